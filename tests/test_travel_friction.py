"""Friction surfaces: brute-force cost-distance oracle, barriers (the long way round), GeoTIFF input."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
import shapely

pytest.importorskip("skimage")
rasterio = pytest.importorskip("rasterio")
from affine import Affine  # noqa: E402

from tcmcounty.spatial.travel._errors import TravelInputError  # noqa: E402
from tcmcounty.spatial.travel.friction import (  # noqa: E402
    apply_barriers,
    cost_distance,
    friction_pair_times,
    read_friction,
    surface_from_array,
)

CRS = "EPSG:4544"
CELL = 100.0


def _brute(fr: np.ndarray, starts: list[tuple[int, int]], cell: float = CELL) -> np.ndarray:
    """Textbook Dijkstra over the 8-neighbour grid: a move costs mean friction × length."""
    rows, cols = fr.shape
    best = np.full(fr.shape, np.inf)
    heap = []
    for s in starts:
        if np.isfinite(fr[s]):
            best[s] = 0.0
            heap.append((0.0, s))
    heapq.heapify(heap)
    while heap:
        d, (r, c) = heapq.heappop(heap)
        if d > best[r, c]:
            continue
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = r + dr, c + dc
                if (dr or dc) and 0 <= rr < rows and 0 <= cc < cols and np.isfinite(fr[rr, cc]):
                    nd = d + (fr[r, c] + fr[rr, cc]) / 2 * cell * np.hypot(dr, dc)
                    if nd < best[rr, cc]:
                        best[rr, cc] = nd
                        heapq.heappush(heap, (nd, (rr, cc)))
    return best


def _surface(fr: np.ndarray):
    return surface_from_array(fr, Affine(CELL, 0, 0, 0, -CELL, fr.shape[0] * CELL), CRS)


def _centre(r: int, c: int, rows: int) -> list[float]:
    return [(c + 0.5) * CELL, (rows - r - 0.5) * CELL]


@pytest.fixture
def friction() -> np.ndarray:
    rng = np.random.default_rng(7)
    fr = rng.uniform(0.005, 0.05, (14, 17))  # 1.2–12 km/h
    fr[rng.random(fr.shape) < 0.1] = np.nan  # impassable cells
    return fr


def test_cost_distance_matches_brute_force(friction) -> None:
    s = _surface(friction)
    starts = [(2, 3), (11, 14)]
    got = cost_distance(s, [_centre(r, c, 14) for r, c in starts])
    want = _brute(np.where(np.isnan(friction), np.inf, friction), starts)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert np.isinf(want).sum() > 0 and np.isfinite(want).sum() > 150


def test_pair_times_match_brute_force_within_cutoff(friction) -> None:
    s = _surface(friction)
    fr = np.where(np.isnan(friction), np.inf, friction)
    rng = np.random.default_rng(1)
    villages = [
        (int(r), int(c))
        for r, c in zip(rng.integers(0, 14, 30), rng.integers(0, 17, 30), strict=True)
    ]
    facilities = [(3, 3), (10, 12), (0, 16)]
    res = friction_pair_times(
        s,
        [_centre(r, c, 14) for r, c in villages],
        [_centre(r, c, 14) for r, c in facilities],
        cutoff=25.0,
    )
    got = {
        (int(o), int(d)): m
        for o, d, m in zip(res.origin, res.destination, res.minutes, strict=True)
    }
    want = {}
    for j, f in enumerate(facilities):
        if not np.isfinite(fr[f]):
            continue
        dist = _brute(fr, [f])
        for i, v in enumerate(villages):
            if np.isfinite(fr[v]) and dist[v] <= 25.0:
                want[(i, j)] = dist[v]
    assert got.keys() == want.keys() and len(want) > 10
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-9)
    on_blocked = [i for i, v in enumerate(villages) if not np.isfinite(fr[v])]
    for i in on_blocked:
        assert "impassable" in res.origin_snap.reason[i]


def test_a_village_across_a_river_gets_the_long_way_round() -> None:
    fr = np.full((20, 30), 60 / (1000 * 5.0))  # 5 km/h everywhere
    s = _surface(fr)
    # A river across the raster (rows 9–10), with a bridge gap at the east end (x 2600–2800 m).
    river = shapely.Polygon([(0, 1000), (2600, 1000), (2600, 1200), (0, 1200)])
    s2 = apply_barriers(s, river)
    assert s2.n_barrier_cells > 0
    clinic, village = [500, 1550], [500, 650]  # 900 m apart, on either bank
    straight = friction_pair_times(s, [village], [clinic], cutoff=600).minutes[0]
    around = friction_pair_times(s2, [village], [clinic], cutoff=600).minutes[0]
    assert straight == pytest.approx(0.9 / 5 * 60, rel=0.01)
    # Over the bridge: at least the straight lines via the gap's corners (2129 + 200 + 2129 m).
    assert around >= 4.458 / 5 * 60 and around > 4 * straight
    fr_blocked = s2.minutes_per_m
    r_c, c_c = s2.cells([clinic])
    r_v, c_v = s2.cells([village])
    want = _brute(fr_blocked, [(int(r_c[0]), int(c_c[0]))])[r_v[0], c_v[0]]
    assert around == pytest.approx(want, rel=1e-9)


def test_geotiff_in_degrees_is_reprojected_and_units_checked(tmp_path) -> None:
    path = tmp_path / "speed.tif"
    speed = np.full((60, 80), 5.0, dtype="float32")
    speed[:, 40] = 0  # a wall of speed 0
    transform = Affine(0.001, 0, 105.0, 0, -0.001, 30.06)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=80,
        height=60,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=transform,
        nodata=-1,
    ) as dst:
        dst.write(speed, 1)
    s = read_friction(path, CRS, units="kmh")
    assert s.crs.to_epsg() == 4544 and 80 < s.cell_size[1] < 110
    assert (~np.isfinite(s.minutes_per_m)).any()
    finite = s.minutes_per_m[np.isfinite(s.minutes_per_m)]
    np.testing.assert_allclose(finite, 60 / 5000)
    with pytest.raises(TravelInputError, match="looks like a speed raster"):
        read_friction(path, CRS)  # default units: minutes per metre
    with pytest.raises(TravelInputError, match="not found"):
        read_friction(tmp_path / "missing.tif", CRS)
    (tmp_path / "bad.tif").write_bytes(b"not a tiff")
    with pytest.raises(TravelInputError, match="cannot read"):
        read_friction(tmp_path / "bad.tif", CRS)
