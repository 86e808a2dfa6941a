"""2SFCA / E2SFCA: decay registry, hand-computed cases, edge cases, asymmetric travel times, counties."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import ANYUE, WENXI

import tcmcounty
from tcmcounty.spatial.access import (
    DECAY_FUNCTIONS,
    AccessResult,
    gaussian_decay,
    get_decay,
    spatial_access,
    step_decay,
    two_step_fca,
    uniform_decay,
)
from tcmcounty.spatial.pairs import Costs

CRS = "EPSG:4544"
X0, Y0 = 500_000.0, 3_300_000.0


def villages_at(
    xy: list[tuple[float, float]], pop: list[float | None], crs: str = CRS
) -> gpd.GeoDataFrame:
    n = len(xy)
    return gpd.GeoDataFrame(
        {
            "code": [f"V{i}" for i in range(n)],
            "name": [f"村{i}" for i in range(n)],
            "township_code": ["T1"] * n,
            "population": pd.array(pop, dtype="Int64"),
        },
        geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]),
        crs=crs,
    )


def facilities_at(
    xy: list[tuple[float, float]], cap: list[float | None], crs: str = CRS
) -> gpd.GeoDataFrame:
    n = len(xy)
    return gpd.GeoDataFrame(
        {
            "id": [f"F{i}" for i in range(n)],
            "name": [f"院{i}" for i in range(n)],
            "type": ["township_health_centre"] * n,
            "has_tcm_hall": pd.array([True] * n, dtype="boolean"),
            "tcm_physicians": pd.array(cap, dtype="Int64"),
            "beds": pd.array([10] * n, dtype="Int64"),
        },
        geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]),
        crs=crs,
    )


# --------------------------------------------------------------------------- decay functions


def test_decay_registry() -> None:
    assert set(DECAY_FUNCTIONS) == {"uniform", "step", "gaussian"}
    assert get_decay("Gaussian") is gaussian_decay
    with pytest.raises(ValueError, match="valid decay functions are: uniform, step, gaussian"):
        get_decay("exponential")
    with pytest.raises(TypeError, match="decay must be a str"):
        get_decay(None)  # type: ignore[arg-type]


def test_gaussian_decay_is_dai_2010() -> None:
    d0 = 10_000.0
    d = np.array([0.0, 2_500.0, 5_000.0, 9_999.0, 10_000.0, 12_000.0])
    h = math.exp(-0.5)
    want = [(math.exp(-0.5 * (x / d0) ** 2) - h) / (1 - h) if x <= d0 else 0.0 for x in d]
    assert np.allclose(gaussian_decay(d, d0), want, rtol=0, atol=1e-15)
    assert gaussian_decay([0.0], d0)[0] == 1.0 and gaussian_decay([d0], d0)[0] == 0.0


def test_step_and_uniform_decay() -> None:
    assert step_decay([0, 10, 10.0001, 20, 20.5, 30, 30.5], 30).tolist() == [
        1,
        1,
        0.68,
        0.68,
        0.22,
        0.22,
        0,
    ]
    assert step_decay([1, 3, 9], 10, steps={2: 1.0, 5: 0.5}).tolist() == [1.0, 0.5, 0.0]
    assert step_decay([1, 3], 2.5, steps={2: 1.0, 5: 0.5}).tolist() == [1.0, 0.0]  # radius caps
    assert uniform_decay([0, 5, 5.0001], 5).tolist() == [1.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="weights"):
        step_decay([1], 10, steps={5: -1})
    with pytest.raises(ValueError, match="non-empty"):
        step_decay([1], 10, steps={})


# --------------------------------------------------------------------------- hand-computed 2SFCA


def test_two_step_fca_by_hand() -> None:
    # villages A (pop 100) at 0, B (pop 300) at 3 km, C (pop 600) at 20 km; facilities X (cap 4) at 0,
    # Y (cap 0) at 20 km. Radius 5 km: X serves A, B → R_X = 4/400; Y serves C → R_Y = 0.
    d = np.array([[0, 0], [3000, 0], [20_000, 0]], dtype=float)
    s = np.array([[0, 0], [20_000, 0]], dtype=float)
    res = two_step_fca(Costs.from_points(d, s, 5000), [100, 300, 600], [4, 0])
    assert res.supply_ratio.tolist() == [0.01, 0.0]
    assert res.access.tolist() == [0.01, 0.01, 0.0]
    assert res.catchment_demand.tolist() == [400.0, 600.0]
    assert res.n_supply.tolist() == [1, 1, 1]  # C reaches Y, which has zero capacity
    # E2SFCA step: B at 3 km is in the second zone (5/3 < 3 <= 10/3): weight 0.68
    res = two_step_fca(Costs.from_points(d, s, 5000), [100, 300, 600], [4, 0], decay="step")
    rx = 4 / (100 + 0.68 * 300)
    assert res.access[0] == pytest.approx(rx, rel=1e-12)
    assert res.access[1] == pytest.approx(0.68 * rx, rel=1e-12)


def test_population_weighted_mean_conserves_supply() -> None:
    rng = np.random.default_rng(5)
    d = rng.uniform(0, 20_000, (500, 2))
    s = rng.uniform(0, 20_000, (30, 2))
    pop = rng.integers(100, 3000, 500).astype(float)
    cap = rng.integers(0, 9, 30).astype(float)
    for decay in ("uniform", "step", "gaussian"):
        res = two_step_fca(Costs.from_points(d, s, 6000), pop, cap, decay=decay)
        reached = res.catchment_demand > 0
        assert np.sum(pop * res.access) == pytest.approx(cap[reached].sum(), rel=1e-12)


def test_zero_population_and_zero_capacity() -> None:
    d = np.array([[0, 0], [100, 0], [50_000, 0]], dtype=float)
    s = np.array([[0, 0], [50_000, 0]], dtype=float)
    res = two_step_fca(Costs.from_points(d, s, 1000), [0, 0, 500], [5, 3])
    # X's catchment has no demand: R_X = 0 (explicit), villages A, B still reach it
    assert res.supply_ratio.tolist() == [0.0, 3 / 500]
    assert res.access.tolist() == [0.0, 0.0, 3 / 500]
    assert np.isfinite(res.access).all()


def test_two_step_fca_argument_errors() -> None:
    c = Costs.from_points([[0, 0]], [[0, 0]], 100)
    with pytest.raises(ValueError, match="population must have 1 values"):
        two_step_fca(c, [1, 2], [1])
    with pytest.raises(ValueError, match="capacity has 1 missing"):
        two_step_fca(c, [1], [np.nan])
    with pytest.raises(ValueError, match="population must be >= 0"):
        two_step_fca(c, [-1], [1])
    with pytest.raises(ValueError, match="unknown decay"):
        two_step_fca(c, [1], [1], decay="linear")
    with pytest.raises(ValueError, match="steps only applies"):
        two_step_fca(c, [1], [1], decay="gaussian", steps={1: 1})
    with pytest.raises(TypeError, match="costs must be"):
        two_step_fca(np.zeros((1, 1)), [1], [1])  # type: ignore[arg-type]
    table = pd.DataFrame({"demand_id": ["a"], "supply_id": ["x"], "minutes": [3]})
    with pytest.raises(ValueError, match="radius"):
        two_step_fca(Costs.from_table(table, ["a"], ["x"]), [1], [1])  # max_cost is inf


# --------------------------------------------------------------------------- asymmetric travel times


def test_asymmetric_travel_time_table_orientation() -> None:
    """Rows are villages, columns facilities; the table's direction decides, never the shape."""
    v = villages_at([(X0, Y0), (X0 + 1, Y0), (X0 + 2, Y0)], [100, 1000, 10])
    f = facilities_at([(X0, Y0), (X0 + 1, Y0)], [10, 2])
    table = pd.DataFrame(
        {
            "demand_id": ["V0", "V0", "V1", "V1", "V2"],
            "supply_id": ["F0", "F1", "F0", "F1", "F1"],
            "minutes": [5.0, 50.0, 50.0, 5.0, 29.0],
        }
    )
    res = spatial_access(v, f, travel_times=table, radius="30min")
    # V0 sees F0 only; V1 and V2 see F1 only: R_F0 = 10/100, R_F1 = 2/1010
    want = np.array([10 / 100, 2 / 1010, 2 / 1010]) * 1000
    np.testing.assert_allclose(res.villages["access_per_1000"].to_numpy(), want, rtol=1e-12)
    assert res.villages["n_supply"].tolist() == [1, 1, 1]
    np.testing.assert_allclose(res.facilities["catchment_population"].to_numpy(), [100, 1010])
    # the same table with the columns swapped is refused, not transposed
    swapped = table.rename(columns={"demand_id": "supply_id", "supply_id": "demand_id"})
    with pytest.raises(ValueError, match="oriented demand"):
        spatial_access(v, f, travel_times=swapped, radius="30min")
    # a cost from F to V would be read as V→F only if the columns said so
    one_way = pd.DataFrame({"demand_id": ["V2"], "supply_id": ["F0"], "minutes": [1.0]})
    r2 = spatial_access(v, f, travel_times=one_way, radius="30min")
    assert r2.villages["n_supply"].tolist() == [0, 0, 1]
    assert r2.villages["access_per_1000"].tolist() == [0.0, 0.0, 1000.0]


def test_repeated_travel_time_pairs_are_refused() -> None:
    v = villages_at([(X0, Y0)], [100])
    f = facilities_at([(X0, Y0)], [1])
    table = pd.DataFrame(
        {"demand_id": ["V0", "V0"], "supply_id": ["F0", "F0"], "minutes": [5.0, 7.0]}
    )
    with pytest.raises(ValueError, match=r"repeats 1 .demand_id, supply_id. pair"):
        spatial_access(v, f, travel_times=table)


def test_travel_time_radius_units(tmp_path: Path) -> None:
    v = villages_at([(X0, Y0)], [100])
    f = facilities_at([(X0, Y0)], [1])
    table = pd.DataFrame({"demand_id": ["V0"], "supply_id": ["F0"], "minutes": [12.0]})
    with pytest.raises(ValueError, match="minutes"):
        spatial_access(v, f, travel_times=table, radius="10km")
    with pytest.raises(ValueError, match="travel-time table"):
        spatial_access(v, f, radius="30min")
    path = tmp_path / "tt.csv"
    table.to_csv(path, index=False, encoding="gbk")
    res = spatial_access(v, f, travel_times=path)  # default radius 30 min
    assert res.radius.label == "30min" and res.villages["access_per_1000"].iloc[0] == 10.0
    assert spatial_access(v, f, travel_times=table, radius=10).villages["n_supply"].iloc[0] == 0


# --------------------------------------------------------------------------- county-level API


def test_spatial_access_points_and_options() -> None:
    v = villages_at([(X0, Y0), (X0 + 3000, Y0), (X0 + 20_000, Y0)], [100, 300, 600])
    f = facilities_at([(X0, Y0), (X0 + 20_000, Y0)], [4, 0])
    res = spatial_access(v, f, radius="5km")
    assert isinstance(res, AccessResult)
    assert res.villages["access_per_1000"].tolist() == pytest.approx([10.0, 10.0, 0.0])
    assert res.facilities["ratio_per_1000"].tolist() == pytest.approx([10.0, 0.0])
    res_beds = spatial_access(v, f, radius="5km", capacity="beds")
    assert res_beds.villages["access_per_1000"].tolist() == pytest.approx(
        [25.0, 25.0, 10 / 600 * 1000]
    )
    e = spatial_access(v, f, method="e2sfca", radius="5km")
    assert e.decay == "step"
    g = spatial_access(v, f, method="e2sfca", decay="gaussian", radius="5km")
    assert g.villages["access_per_1000"].iloc[0] > g.villages["access_per_1000"].iloc[1]
    # detour 2: B at 3 km costs 6 km, beyond the catchment
    dt = spatial_access(v, f, radius="5km", detour=2.0)
    assert dt.villages["access_per_1000"].tolist() == pytest.approx([40.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="no distance decay"):
        spatial_access(v, f, method="2sfca", decay="gaussian")
    with pytest.raises(ValueError, match="valid methods are: 2sfca, e2sfca"):
        spatial_access(v, f, method="3sfca")
    with pytest.raises(
        ValueError, match="capacity column 'doctors' not in facilities; numeric columns"
    ):
        spatial_access(v, f, capacity="doctors")
    with pytest.raises(ValueError, match="geographic"):
        spatial_access(v, f, crs="EPSG:4490")
    with pytest.raises(ValueError, match="'name' is not numeric"):
        spatial_access(v, f, capacity="name")
    with pytest.raises(ValueError, match="yes/no"):
        spatial_access(v, f, capacity="has_tcm_hall")


def test_unreported_capacity_and_population_warn() -> None:
    v = villages_at([(X0, Y0), (X0 + 100, Y0)], [100, None])
    f = facilities_at([(X0, Y0), (X0 + 50, Y0)], [2, None])
    with pytest.warns(UserWarning) as rec:
        res = spatial_access(v, f, radius="1km")
    messages = " ".join(str(w.message) for w in rec)
    assert "no reported 'tcm_physicians'" in messages and "no reported population" in messages
    assert res.facilities["in_supply"].tolist() == [True, False]
    assert res.villages["access_per_1000"].tolist() == pytest.approx([20.0, 20.0])


def test_geographic_input_reprojected_for_access() -> None:
    v = villages_at([(105.0, 30.0), (105.0, 30.05)], [100, 100], crs="EPSG:4326")
    f = facilities_at([(105.0, 30.0)], [2], crs="EPSG:4326")
    # 0.05° of latitude ≈ 5.54 km: outside 5 km, inside 6 km (never 0.05 "units")
    assert spatial_access(v, f, radius="5km").villages["n_supply"].tolist() == [1, 0]
    assert spatial_access(v, f, radius="6km").villages["n_supply"].tolist() == [1, 1]


def test_tables_and_equity() -> None:
    v = villages_at([(X0, Y0), (X0 + 3000, Y0), (X0 + 20_000, Y0)], [100, 300, 600])
    v["township_code"] = ["T1", "T1", "T2"]
    f = facilities_at([(X0, Y0), (X0 + 20_000, Y0)], [4, 0])
    res = spatial_access(v, f, radius="5km")
    t = res.table("township")
    assert t["township_code"].tolist() == ["T1", "T2"]
    assert t["access_per_1000"].tolist() == pytest.approx([10.0, 0.0])
    assert t["share_no_access"].tolist() == [0.0, 1.0]
    c = res.table("county", below=5.0)
    assert c["access_per_1000"].iloc[0] == pytest.approx(4.0)  # 4 physicians / 1000 residents
    assert c["share_no_access"].iloc[0] == pytest.approx(0.6)
    assert c["share_below"].iloc[0] == pytest.approx(0.6)
    assert c["gini_villages"].iloc[0] == pytest.approx(0.6)  # 40% have 10, 60% have 0
    eq = res.equity(rank_by=[1, 2, 3], below=5.0)
    assert eq["unit"].tolist() == ["village", "township"]
    assert eq.loc[0, "concentration_index"] < 0  # access concentrates among low ranks
    with pytest.raises(ValueError, match="by must be"):
        res.table("nation")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rank_by"):
        res.equity(rank_by=[1, 2])


# --------------------------------------------------------------------------- bundled counties


@pytest.mark.skipif(not (ANYUE.is_dir() and WENXI.is_dir()), reason="bundled counties missing")
@pytest.mark.parametrize("name", ["anyue", "wenxi"])
@pytest.mark.parametrize(
    ("method", "decay"), [("2sfca", None), ("e2sfca", "step"), ("e2sfca", "gaussian")]
)
def test_bundled_counties(name: str, method: str, decay: str | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        county = tcmcounty.load_county(name)
        res = spatial_access(county, method=method, decay=decay, radius="20km")
    v = res.villages
    assert len(v) == len(county.villages) and v["code"].tolist() == county.villages["code"].tolist()
    acc = v["access_per_1000"].to_numpy()
    assert np.isfinite(acc).all() and (acc >= 0).all()
    pop = v["population"].to_numpy()
    supplied = res.facilities[res.facilities["catchment_population"] > 0]["capacity"].sum()
    assert np.sum(pop * acc) / 1000 == pytest.approx(supplied, rel=1e-9)
    c = res.table("county")
    assert 0 <= c["gini_villages"].iloc[0] < 1 and 0 <= c["share_no_access"].iloc[0] <= 1
    assert res.table("township")["pop_total"].sum() == pytest.approx(pop.sum())
