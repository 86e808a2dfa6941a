"""Road graph: oracle checks against networkx, one-way, snapping, contraction, barriers, cache."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely

from tcmcounty.spatial.travel import graph as graph_mod
from tcmcounty.spatial.travel._errors import TravelInputError
from tcmcounty.spatial.travel.contract import contract
from tcmcounty.spatial.travel.graph import (
    build_graph,
    graph_from_segments,
    nearest_times,
    pair_times,
    snap_points,
)
from tcmcounty.spatial.travel.synthetic import grid_segments, rural_segments

CRS = "EPSG:4544"


def _oracle(g, o_xy, d_xy, snap_o, snap_d):
    """Travel times with networkx on the *uncontracted* vertex graph plus point nodes.

    Independent of the contraction and of the attachment code: each point joins the two ends
    of its own segment (respecting one-way) with ``t``-proportional costs plus the connector.
    """
    G = nx.DiGraph()
    m = g.vertex_matrix().tocoo()
    for r, c, w in zip(m.row.tolist(), m.col.tolist(), m.data.tolist(), strict=True):
        G.add_edge(r, c, weight=w)
    k = 60.0 / 1000.0 / g.off_road_kmh

    def add(name, snap, i, outgoing):
        s = int(snap.segment[i])
        u, v = (int(x) for x in g.seg[s])
        t, c, conn = float(snap.t[i]), float(g.seg_minutes[s]), float(snap.distance_m[i]) * k
        fwd = [(u, name, t * c + conn)] if not outgoing else [(name, v, (1 - t) * c + conn)]
        back = [(v, name, (1 - t) * c + conn)] if not outgoing else [(name, u, t * c + conn)]
        for a, b, w in fwd + ([] if g.seg_oneway[s] else back):
            G.add_edge(a, b, weight=w)

    for i in np.flatnonzero(snap_o.snapped):
        add(("o", int(i)), snap_o, int(i), outgoing=True)
    for j in np.flatnonzero(snap_d.snapped):
        add(("d", int(j)), snap_d, int(j), outgoing=False)
    out = np.full((len(o_xy), len(d_xy)), np.inf)
    for i in np.flatnonzero(snap_o.snapped):
        dist = nx.single_source_dijkstra_path_length(G, ("o", int(i)), weight="weight")
        for j in np.flatnonzero(snap_d.snapped):
            out[i, j] = dist.get(("d", int(j)), np.inf)
    return out


def _same_segment_direct(g, o_xy, d_xy, so, sd, out):
    """Add the along-the-segment shortcut for points sharing a segment (as the graph does)."""
    k = 60.0 / 1000.0 / g.off_road_kmh
    for i in np.flatnonzero(so.snapped):
        for j in np.flatnonzero(sd.snapped):
            if so.segment[i] == sd.segment[j]:
                s = so.segment[i]
                if g.seg_oneway[s] and sd.t[j] < so.t[i]:
                    continue
                direct = (
                    abs(sd.t[j] - so.t[i]) * g.seg_minutes[s]
                    + (so.distance_m[i] + sd.distance_m[j]) * k
                )
                out[i, j] = min(out[i, j], direct)
    return out


@pytest.mark.parametrize("shape_points", [0, 3])
def test_pair_times_match_networkx_on_a_small_graph(shape_points: int) -> None:
    a, b, s, o = rural_segments(7, 6, 400.0, shape_points, seed=3)
    g = graph_from_segments(a, b, speed_kmh=s, oneway=o, mode="motor", crs=CRS)
    rng = np.random.default_rng(5)
    vxy = rng.uniform(0, 2400, (25, 2))
    fxy = rng.uniform(0, 2400, (12, 2))
    res = pair_times(g, vxy, fxy, cutoff=1e6, max_snap_m=5000)
    want = _oracle(g, vxy, fxy, res.origin_snap, res.destination_snap)
    # A chain joins points on different segments of it directly; the oracle walks the same
    # vertices, so only the same-segment shortcut has to be added on its side.
    want = _same_segment_direct(g, vxy, fxy, res.origin_snap, res.destination_snap, want)
    got = np.full_like(want, np.inf)
    got[res.origin, res.destination] = res.minutes
    assert np.isfinite(want).sum() > 200
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_nearest_times_agree_with_pair_times_and_cutoff() -> None:
    a, b, s, o = rural_segments(10, 10, 500.0, 2, seed=1)
    g = graph_from_segments(a, b, speed_kmh=s, oneway=o, mode="motor", crs=CRS)
    rng = np.random.default_rng(2)
    vxy, fxy = rng.uniform(0, 4500, (60, 2)), rng.uniform(0, 4500, (15, 2))
    res = pair_times(g, vxy, fxy, cutoff=6.0)
    best = np.full(len(vxy), np.inf)
    np.minimum.at(best, res.origin, res.minutes)
    minutes, which = nearest_times(g, vxy, fxy, cutoff=6.0)
    np.testing.assert_allclose(minutes, best)
    assert res.minutes.max() <= 6.0 and np.isinf(minutes).any() and np.isfinite(minutes).any()
    ok = which >= 0
    keys = zip(res.origin.tolist(), res.destination.tolist(), strict=True)
    pair = dict(zip(keys, res.minutes, strict=True))
    for i in np.flatnonzero(ok):
        assert pair[(int(i), int(which[i]))] == pytest.approx(minutes[i])


def test_one_way_for_motor_but_not_for_walking() -> None:
    # A square block: the bottom edge is one-way eastwards.
    a = [[0, 0], [1000, 0], [1000, 1000], [0, 1000]]
    b = [[1000, 0], [1000, 1000], [0, 1000], [0, 0]]
    kw = {"speed_kmh": [60] * 4, "oneway": [1, 0, 0, 0], "crs": CRS}
    motor = graph_from_segments(a, b, mode="motor", **kw)
    walk = graph_from_segments(a, b, mode="walk", **kw)
    west, east = [[100, 0]], [[900, 0]]
    assert pair_times(motor, west, east).minutes[0] == pytest.approx(0.8)
    # Against the one-way: round the block, 0.1 + 1 + 1 + 1 + 0.1 km at 60 km/h.
    assert pair_times(motor, east, west).minutes[0] == pytest.approx(3.2)
    walk_min = pair_times(walk, east, west).minutes[0]
    assert walk_min == pytest.approx(0.8)  # walking ignores the one-way


def test_snapping_reports_distance_and_flags_far_points() -> None:
    g = graph_from_segments([[0, 0]], [[2000, 0]], speed_kmh=[30], oneway=[0], mode="walk", crs=CRS)
    s = snap_points(g, [[500, 30], [1500, -200], [1000, 3000], [np.nan, np.nan]], max_snap_m=1000)
    assert s.snapped.tolist() == [True, True, False, False]
    np.testing.assert_allclose(s.distance_m[:2], [30, 200])
    np.testing.assert_allclose(s.t[:2], [0.25, 0.75])
    assert "beyond max snap 1000 m" in s.reason[2] and s.reason[3] == "no location"
    # 500 m of road at 30 km/h; the connectors (30 m + 200 m) walked at 4.8 km/h.
    res = pair_times(g, [[500, 30]], [[1000, -200]])
    assert res.minutes[0] == pytest.approx(0.5 / 30 * 60 + 0.23 / 4.8 * 60)


def test_a_village_across_a_river_is_not_snapped_across_it() -> None:
    # Road north of a river (y in 100..300); a bridge road crosses at x = 3000; the village sits
    # south of the river, 150 m from the northern road but 900 m from a southern road.
    a = [[0, 400], [3000, 400], [3000, 0], [0, -800]]
    b = [[3000, 400], [3000, 0], [3000, -800], [3000, -800]]
    g = graph_from_segments(a, b, speed_kmh=[30] * 4, oneway=[0] * 4, mode="walk", crs=CRS)
    river = shapely.Polygon([(-100, 100), (2900, 100), (2900, 300), (-100, 300)])
    village, clinic = [[1000, 50]], [[1000, 400]]
    naive = snap_points(g, village, 1000)
    assert naive.distance_m[0] == pytest.approx(350)  # straight over the water
    safe = snap_points(g, village, 1000, barriers=river)
    assert safe.snapped[0] and safe.distance_m[0] > 350
    t_naive = pair_times(g, village, clinic).minutes[0]
    t_safe = pair_times(g, village, clinic, barriers=river).minutes[0]
    assert t_safe > 2 * t_naive  # the long way round, over the bridge
    blocked = snap_points(g, village, 500, barriers=river)
    assert not blocked.snapped[0] and "barrier" in blocked.reason[0]


def test_contraction_keeps_direction_changes_and_rings() -> None:
    # 0-1-2 two-way, 2->3->4 one-way, a ring 5-6-7-5 without junction.
    seg = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [5, 6], [6, 7], [7, 5]])
    one = np.array([0, 0, 1, 1, 0, 0, 0], dtype=bool)
    c = contract(seg, np.arange(1, 8, dtype=float), one, 8)
    assert c.junction[[0, 2, 4]].all() and not c.junction[[1, 3]].any()
    assert c.junction[5:].sum() == 1
    chains = {
        tuple(e): (cost, ow)
        for e, cost, ow in zip(c.chain_ends.tolist(), c.chain_cost, c.chain_oneway, strict=True)
    }
    assert chains[(0, 2)] == (3.0, False) or chains[(2, 0)] == (3.0, False)
    assert chains[(2, 4)] == (7.0, True)


def test_graph_needs_a_usable_segment_and_metres() -> None:
    with pytest.raises(TravelInputError, match="usable"):
        graph_from_segments([[0, 0]], [[1, 0]], speed_kmh=[0], oneway=[0], mode="walk", crs=CRS)
    with pytest.raises(TravelInputError, match="geographic"):
        graph_from_segments([[0, 0]], [[1, 0]], speed_kmh=[5], oneway=[0], mode="walk", crs=4326)
    with pytest.raises(TravelInputError, match="valid modes: walk, motor"):
        graph_from_segments([[0, 0]], [[1, 0]], speed_kmh=[5], oneway=[0], mode="bike", crs=CRS)


def test_graph_cache_by_input_hash(tmp_path, monkeypatch) -> None:
    import geopandas as gpd

    from tcmcounty.spatial.travel.roads import roads_from_frame

    monkeypatch.setenv("TCMCOUNTY_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(graph_mod, "_MEMORY", {})
    a, b, *_ = grid_segments(4, 4, 300.0)
    gdf = gpd.GeoDataFrame(
        {"highway": ["tertiary"] * len(a)},
        geometry=shapely.linestrings(np.stack([a, b], 1)),
        crs=CRS,
    )
    layer = roads_from_frame(gdf)
    calls = []

    def reader():
        calls.append(1)
        return layer

    g1 = build_graph(None, "motor", CRS, digest="abc", reader=reader)
    graph_mod._MEMORY.clear()
    g2 = build_graph(None, "motor", CRS, digest="abc", reader=reader)  # from disk
    assert calls == [1] and g2.from_cache and not g1.from_cache
    np.testing.assert_array_equal(g1.matrix.toarray(), g2.matrix.toarray())
    build_graph(None, "walk", CRS, digest="abc", reader=reader)  # another mode: rebuilt
    build_graph(None, "motor", CRS, digest="abd", reader=reader)  # another input: rebuilt
    assert calls == [1, 1, 1]
    (tmp_path / "roads" / f"{g1.key}.npz").write_bytes(b"broken")
    graph_mod._MEMORY.clear()
    g3 = build_graph(None, "motor", CRS, digest="abc", reader=reader)  # damaged: rebuilt
    assert len(calls) == 4 and not g3.from_cache


def test_a_village_at_a_crossroads_can_take_every_road() -> None:
    # Junction X = (0, 0): one-way east to (1000, 0), two-way north and west. Whichever segment
    # the village at X is snapped to, every road out of X is open to it.
    a = [[0, 0], [0, 0], [-1000, 0]]
    b = [[1000, 0], [0, 1000], [0, 0]]
    g = graph_from_segments(a, b, speed_kmh=[60] * 3, oneway=[1, 0, 0], mode="motor", crs=CRS)
    ends = [[1000, 0], [0, 1000], [-1000, 0]]
    res = pair_times(g, [[0, 0]], ends)
    assert res.destination.tolist() == [0, 1, 2]
    np.testing.assert_allclose(res.minutes, [1.0, 1.0, 1.0])
    back = pair_times(g, ends, [[0, 0]])  # the east end has no way back
    assert back.origin.tolist() == [1, 2]


def test_pair_times_are_the_same_from_either_side() -> None:
    a, b, s, o = rural_segments(8, 8, 400.0, 2, seed=9)
    g = graph_from_segments(a, b, speed_kmh=s, oneway=o, mode="motor", crs=CRS)
    rng = np.random.default_rng(4)
    few, many = rng.uniform(0, 2800, (5, 2)), rng.uniform(0, 2800, (40, 2))
    r1 = pair_times(g, few, many, cutoff=8.0)  # Dijkstra from the 5 origins
    r2 = pair_times(g, many, few, cutoff=8.0)  # from the 5 destinations, reversed graph
    t1 = dict(
        zip(zip(r1.origin.tolist(), r1.destination.tolist(), strict=True), r1.minutes, strict=True)
    )
    r3 = pair_times(g, few, many, cutoff=8.0, chunk_cells=1)  # one source per chunk
    t3 = dict(
        zip(zip(r3.origin.tolist(), r3.destination.tolist(), strict=True), r3.minutes, strict=True)
    )
    assert t1 == t3 and len(t1) > 20 and len(r2.minutes) > 20
    want = _oracle(g, few, many, r1.origin_snap, r1.destination_snap)
    want = _same_segment_direct(g, few, many, r1.origin_snap, r1.destination_snap, want)
    got = np.full_like(want, np.inf)
    got[r1.origin, r1.destination] = r1.minutes
    want[want > 8.0] = np.inf
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    want2 = _oracle(g, many, few, r2.origin_snap, r2.destination_snap)
    want2 = _same_segment_direct(g, many, few, r2.origin_snap, r2.destination_snap, want2)
    got2 = np.full_like(want2, np.inf)
    got2[r2.origin, r2.destination] = r2.minutes
    want2[want2 > 8.0] = np.inf
    np.testing.assert_allclose(got2, want2, rtol=1e-9, atol=1e-12)
