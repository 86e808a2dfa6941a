"""Covered sets equal an independent oracle: geopandas buffer + sjoin (and brute-force distances)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from tcmcounty.spatial.coverage import cumulative_coverage, nearest_service

CRS = "EPSG:4544"


def random_points(
    seed: int, n_v: int, n_f: int, side: float = 40_000.0
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    v = rng.uniform(0, side, (n_v, 2)) + np.array([480_000.0, 3_280_000.0])
    f = rng.uniform(0, side, (n_f, 2)) + np.array([480_000.0, 3_280_000.0])
    villages = gpd.GeoDataFrame(
        {
            "code": [f"V{i}" for i in range(n_v)],
            "name": "村",
            "township_code": "T",
            "population": rng.integers(0, 3000, n_v),
        },
        geometry=gpd.points_from_xy(v[:, 0], v[:, 1]),
        crs=CRS,
    )
    kinds = rng.choice(
        ["village_clinic", "township_health_centre", "county_tcm_hospital"],
        n_f,
        p=[0.8, 0.18, 0.02],
    )
    facilities = gpd.GeoDataFrame(
        {
            "id": [f"F{i}" for i in range(n_f)],
            "type": kinds,
            "has_tcm_pavilion": pd.array(rng.random(n_f) < 0.3, dtype="boolean"),
            "has_tcm_hall": pd.array(rng.random(n_f) < 0.7, dtype="boolean"),
            "provides_tcm": pd.array(rng.random(n_f) < 0.6, dtype="boolean"),
        },
        geometry=gpd.points_from_xy(f[:, 0], f[:, 1]),
        crs=CRS,
    )
    return villages, facilities


def brute_min(villages: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> np.ndarray:
    vx, vy = villages.geometry.x.to_numpy(), villages.geometry.y.to_numpy()
    fx, fy = facilities.geometry.x.to_numpy(), facilities.geometry.y.to_numpy()
    if len(fx) == 0:
        return np.full(len(vx), np.inf)
    return np.hypot(vx[:, None] - fx[None, :], vy[:, None] - fy[None, :]).min(axis=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("level", ["pavilion", "tcm_clinic", "hall"])
def test_covered_sets_equal_buffer_sjoin(seed: int, level: str) -> None:
    villages, facilities = random_points(seed, 800, 120)
    thresholds = [1.0, 2.0, 5.0]
    res = cumulative_coverage(villages, facilities, thresholds=thresholds, level=level)
    from tcmcounty.services import service_mask

    fac = facilities[service_mask(facilities, level)]
    exact = brute_min(villages, fac)
    for t in thresholds:
        r = t * 1000
        buffers = gpd.GeoDataFrame(geometry=fac.buffer(r, quad_segs=256), crs=CRS)
        joined = gpd.sjoin(villages[["geometry"]], buffers, predicate="intersects", how="inner")
        oracle = np.zeros(len(villages), dtype=bool)
        oracle[np.unique(joined.index.to_numpy())] = True
        # a buffer polygon lies inside the true disc by at most r·(1 − cos(π/1024)) ≈ 5e-6·r;
        # points that close to the circle are decided by the exact distance instead
        ambiguous = np.abs(exact - r) <= 1e-5 * r
        ours = res.villages[f"covered_{t:g}km"].to_numpy()
        assert np.array_equal(ours[~ambiguous], oracle[~ambiguous])
        assert np.array_equal(ours[ambiguous], exact[ambiguous] <= r)
        pop = villages["population"].to_numpy()
        county = res.table("county")
        assert county[f"pop_covered_{t:g}km"].iloc[0] == pop[ours].sum()


@pytest.mark.parametrize("seed", [3, 4])
def test_nearest_distance_and_id_equal_brute_force_and_sjoin_nearest(seed: int) -> None:
    villages, facilities = random_points(seed, 500, 80)
    ns = nearest_service(villages, facilities, levels=["hall"])
    from tcmcounty.services import service_mask

    fac = facilities[service_mask(facilities, "hall")].reset_index(drop=True)
    exact = brute_min(villages, fac)
    assert np.allclose(ns["hall_km"].to_numpy() * 1000, exact, rtol=0, atol=1e-6)
    joined = gpd.sjoin_nearest(villages[["geometry"]], fac[["id", "geometry"]], distance_col="d")
    joined = joined[
        ~joined.index.duplicated()
    ]  # equidistant ties: none expected with random points
    assert ns["hall_id"].tolist() == joined["id"].tolist()
    assert np.allclose(joined["d"].to_numpy(), exact)
