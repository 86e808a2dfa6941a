"""Sparse cost pairs (tcmcounty.spatial.pairs): radius query against brute force, travel-time tables."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from tcmcounty.spatial.pairs import Costs, county_crs, metric_xy


def brute_pairs(
    d: np.ndarray, s: np.ndarray, r: float, detour: float = 1.0
) -> dict[tuple[int, int], float]:
    dist = np.hypot(d[:, None, 0] - s[None, :, 0], d[:, None, 1] - s[None, :, 1]) * detour
    i, j = np.nonzero(dist <= r)
    return {(int(a), int(b)): float(dist[a, b]) for a, b in zip(i, j, strict=True)}


@pytest.mark.parametrize("detour", [1.0, 1.3])
def test_from_points_equals_brute_force(detour: float) -> None:
    rng = np.random.default_rng(7)
    d = rng.uniform(0, 20_000, (400, 2))
    s = rng.uniform(0, 20_000, (50, 2))
    c = Costs.from_points(d, s, 3_000, detour=detour)
    got = {(int(a), int(b)): float(v) for a, b, v in zip(c.row, c.col, c.cost, strict=True)}
    want = brute_pairs(d, s, 3_000, detour)
    # pairs within floating-point noise of the radius may differ; none exist with this seed
    assert got.keys() == want.keys()
    assert np.allclose([got[k] for k in want], [want[k] for k in want], rtol=0, atol=1e-6)
    assert c.shape == (400, 50) and c.unit == "m"
    assert np.all(np.diff(c.row) >= 0)  # sorted by row then col
    same = c.row[1:] == c.row[:-1]
    assert np.all(np.diff(c.col)[same] > 0)


def test_from_points_nan_rows_have_no_pairs_and_zero_cost_kept() -> None:
    d = np.array([[0.0, 0.0], [np.nan, np.nan], [100.0, 0.0]])
    s = np.array([[0.0, 0.0], [np.nan, 1.0]])
    c = Costs.from_points(d, s, 500)
    assert list(zip(c.row.tolist(), c.col.tolist(), strict=True)) == [(0, 0), (2, 0)]
    assert c.cost.tolist() == [0.0, 100.0]  # a zero cost is a kept pair, not a sparse zero
    best, arg = c.nearest()
    assert best[0] == 0.0 and arg[1] == -1 and np.isinf(best[1])


def test_within_is_inclusive() -> None:
    c = Costs.from_points([[0, 0]], [[2000, 0], [2000.001, 0]], 5000)
    assert c.within(2000).col.tolist() == [0]


def test_nearest_ties_go_to_lowest_supply_position() -> None:
    c = Costs.from_points([[0, 0]], [[10, 0], [-10, 0], [0, 10]], 100)
    best, arg = c.nearest()
    assert best.tolist() == [10.0] and arg.tolist() == [0]


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="max_cost"):
        Costs.from_points([[0, 0]], [[1, 1]], -1)
    with pytest.raises(ValueError, match="detour"):
        Costs.from_points([[0, 0]], [[1, 1]], 10, detour=0.5)


def test_from_table_orientation_and_errors() -> None:
    table = pd.DataFrame(
        {"demand_id": ["v1", "v2", "v1"], "supply_id": ["f1", "f1", "f2"], "minutes": [5, 7, 40]}
    )
    c = Costs.from_table(table, ["v1", "v2", "v3"], ["f1", "f2"], max_cost=30)
    assert c.shape == (3, 2) and c.unit == "min"
    assert list(zip(c.row.tolist(), c.col.tolist(), strict=True)) == [(0, 0), (1, 0)]
    reversed_table = table.rename(columns={"demand_id": "supply_id", "supply_id": "demand_id"})
    with pytest.raises(ValueError, match="oriented demand"):
        Costs.from_table(reversed_table, ["v1", "v2", "v3"], ["f1", "f2"])
    with pytest.raises(ValueError, match="needs columns"):
        Costs.from_table(table.drop(columns="minutes"), ["v1"], ["f1"])
    bad = table.assign(minutes=[1, -2, 3])
    with pytest.raises(ValueError, match=">= 0"):
        Costs.from_table(bad, ["v1", "v2"], ["f1", "f2"])


def test_metric_xy_refuses_degrees_and_missing_crs() -> None:
    g = gpd.GeoDataFrame(geometry=gpd.points_from_xy([105.0], [30.0]), crs="EPSG:4326")
    with pytest.raises(ValueError, match="geographic"):
        metric_xy(g, "EPSG:4326")
    with pytest.raises(ValueError, match="no CRS"):
        county_crs(gpd.GeoDataFrame(geometry=gpd.points_from_xy([105.0], [30.0])))
    assert county_crs(g).to_epsg() == 4544
    xy = metric_xy(g, county_crs(g))
    assert abs(xy[0, 0] - 500_000) < 1e-6  # on the central meridian of zone CM 105E
