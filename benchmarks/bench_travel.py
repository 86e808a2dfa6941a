"""Travel time over road networks and friction surfaces vs networkx (and pandana) on the same graphs.

Run::

    .venv/bin/python benchmarks/bench_travel.py           # county, province and friction sizes
    .venv/bin/python benchmarks/bench_travel.py --quick   # small sizes (about a minute)

Every case runs in its own subprocess, so its peak RSS (``ru_maxrss``) is its own.

1. County: ≈ 600 villages × 700 facilities on a ≈ 100k-segment network, motorised, all pairs
   within 60 minutes (:func:`tcmcounty.spatial.travel.graph.pair_times`, snapping included; the graph
   build is timed separately). Two networks: "rural" (a junction grid whose links carry 4 shape
   vertices each, as road lines do: most vertices join two segments) and "grid" (every vertex a
   junction, the worst case for contraction). Baselines on the *uncontracted vertex graph* with
   points on vertices: networkx ``single_source_dijkstra(cutoff=60)`` per facility (run on a
   subset of facilities and scaled linearly — stated in the table) and pandana
   ``nodes_in_range`` (contraction hierarchies) when installed. Results are compared pair by pair.
2. Province: ≥ 5 M segments, 50k villages, 5k facilities, nearest facility time for every
   village (one multi-source Dijkstra, :func:`tcmcounty.spatial.travel.graph.nearest_times`). networkx
   ``multi_source_dijkstra_path_length`` (and pandana ``nearest_pois``) run on a smaller grid
   and are extrapolated by the number of arcs × log (stated as such).
3. Friction: 520 × 520 cells (≈ 270k) at 100 m, 700 facilities: the nearest-facility surface
   (one :class:`skimage.graph.MCP_Geometric` run) and all pairs within 60 min walking
   (:func:`tcmcounty.spatial.travel.friction.friction_pair_times`) vs networkx multi-source Dijkstra on
   the 8-neighbour cell graph with the same move costs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

CRS = "EPSG:4544"
GIB = 1024**3


def peak_rss() -> int:
    """Peak resident set size of this process in bytes (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _points(n: int, side: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, side, (n, 2))


def _nx_graph(g, reverse: bool = True):
    import networkx as nx

    m = g.vertex_matrix().tocoo()
    G = nx.DiGraph()
    a, b = (m.col, m.row) if reverse else (m.row, m.col)
    G.add_weighted_edges_from(zip(a.tolist(), b.tolist(), m.data.tolist(), strict=True))
    return G


def _pandana(g, reverse: bool):
    """A pandana Network of the vertex graph (checked against networkx on a small grid:
    ``nodes_in_range`` from facilities needs the reversed arcs, ``nearest_pois`` the forward ones,
    for times to run village → facility)."""
    import pandana

    m = g.vertex_matrix().tocoo()
    nodes = pd.DataFrame(g.node_xy, columns=["x", "y"])
    edges = pd.DataFrame({"w": m.data})
    a, b = (m.col, m.row) if reverse else (m.row, m.col)
    return pandana.Network(nodes["x"], nodes["y"], a, b, edges[["w"]], twoway=False)


def _have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------- cases


def case_county(net: str, quick: bool) -> dict:
    from tcmcounty.spatial.travel.graph import graph_from_segments, pair_times
    from tcmcounty.spatial.travel.synthetic import grid_segments, rural_segments

    n_v, n_f = (600, 700)
    if net == "rural":
        n = 50 if quick else 112  # (2n² − 2n)·5 ≈ 124k segments at 112
        link = 500.0
        a, b, s, o = rural_segments(n, n, link, 4, seed=1)
    else:
        n = 70 if quick else 224  # 2n² − 2n ≈ 100k segments at 224
        link = 250.0
        a, b, s, o = grid_segments(n, n, link, seed=1)
    side = (n - 1) * link
    t0 = time.perf_counter()
    g = graph_from_segments(a, b, speed_kmh=s, oneway=o, mode="motor", crs=CRS)
    build = time.perf_counter() - t0
    rng = np.random.default_rng(2)
    # Villages and facilities on random vertices, so every tool answers the same question.
    vnode = rng.choice(g.n_nodes, n_v, replace=False)
    fnode = rng.choice(np.setdiff1d(np.arange(g.n_nodes), vnode), n_f, replace=False)
    t0 = time.perf_counter()
    res = pair_times(g, g.node_xy[vnode], g.node_xy[fnode], cutoff=60.0)
    ours = time.perf_counter() - t0
    out = {
        "case": f"county ({net})",
        "size": f"{g.n_segments:,} segments, {g.n_nodes:,} vertices → {g.n_junctions:,} junctions; "
        f"{n_v} × {n_f}; side {side / 1000:.0f} km",
        "graph build s": round(build, 3),
        "ours s": round(ours, 3),
        "pairs": len(res.minutes),
        "peak GiB": round(peak_rss() / GIB, 2),
    }
    # networkx on a subset of facilities, scaled linearly.
    import networkx as nx

    G = _nx_graph(g)
    k = 10 if quick else 25
    t0 = time.perf_counter()
    worst = 0.0
    mine = {
        (int(o), int(d)): m
        for o, d, m in zip(res.origin, res.destination, res.minutes, strict=True)
    }
    vpos = {int(v): i for i, v in enumerate(vnode)}
    for j in range(k):
        dist = nx.single_source_dijkstra_path_length(G, int(fnode[j]), cutoff=60.0)
        for v, dmin in dist.items():
            if v in vpos:
                worst = max(worst, abs(mine.get((vpos[v], j), np.inf) - dmin))
    nx_s = (time.perf_counter() - t0) * n_f / k
    out["networkx s"] = f"{nx_s:.1f} (scaled from {k} facilities)"
    out["ratio networkx/ours"] = round(nx_s / ours, 1)
    out["max |diff| min"] = f"{worst:.1e}"
    if _have("pandana"):
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            t0 = time.perf_counter()
            net_p = _pandana(g, reverse=True)
            prep = time.perf_counter() - t0
            t0 = time.perf_counter()
            # nodes_in_range returns every node in range of every source (tens of millions of
            # rows for 700 facilities on the full network): run it on the networkx subset, scaled.
            rng_df = net_p.nodes_in_range(fnode[:k].tolist(), 60.0)
            p_s = (time.perf_counter() - t0) * n_f / k
        col = next(c for c in rng_df.columns if c not in ("source", "destination"))
        sub = rng_df[rng_df["destination"].isin(vpos)]
        fpos = {int(f): j for j, f in enumerate(fnode)}
        keys = [
            (vpos[int(d)], fpos[int(s_)])
            for s_, d in zip(sub["source"], sub["destination"], strict=True)
        ]
        w = sub[col].to_numpy(float)
        common = np.array([k in mine for k in keys])
        diffs = np.abs(
            np.array([mine[k] for k, c in zip(keys, common, strict=True) if c]) - w[common]
        )
        out["pandana s"] = f"{p_s:.2f} (scaled from {k} facilities; +{prep:.1f} CH build)"
        # pandana keeps float32 weights: pairs within ~1e-4 min of the cutoff may differ.
        extra = w[~common]
        out["pandana pairs"] = (
            f"{len(sub):,} of {k} facilities ({int((~common).sum())} only in pandana, "
            f"{extra.min() if len(extra) else 60:.4f}–{extra.max() if len(extra) else 60:.4f} min)"
        )
        out["pandana max |diff|"] = f"{diffs.max():.1e}" if len(diffs) else "—"
    return out


def case_province(quick: bool) -> dict:
    from tcmcounty.spatial.travel.graph import graph_from_segments, nearest_times
    from tcmcounty.spatial.travel.synthetic import grid_segments

    n = 400 if quick else 1600  # 2n² − 2n = 5.1 M segments at 1600
    n_v, n_f = (5_000, 500) if quick else (50_000, 5_000)
    link = 200.0
    a, b, s, o = grid_segments(n, n, link, seed=4)
    t0 = time.perf_counter()
    g = graph_from_segments(a, b, speed_kmh=s, oneway=o, mode="motor", crs=CRS)
    build = time.perf_counter() - t0
    del a, b, s, o
    side = (n - 1) * link
    v, f = _points(n_v, side, 5), _points(n_f, side, 6)
    t0 = time.perf_counter()
    minutes, _ = nearest_times(g, v, f)
    ours = time.perf_counter() - t0
    return {
        "case": "province (nearest)",
        "size": f"{g.n_segments:,} segments, {g.n_nodes:,} vertices; {n_v:,} villages, "
        f"{n_f:,} facilities; side {side / 1000:.0f} km",
        "graph build s": round(build, 2),
        "ours s": round(ours, 2),
        "reached": int(np.isfinite(minutes).sum()),
        "peak GiB": round(peak_rss() / GIB, 2),
        "arcs": int(g.n_arcs),
    }


def case_province_baseline(quick: bool) -> dict:
    """networkx / pandana and ours on a smaller grid of the same kind (for the ratio)."""
    import networkx as nx

    from tcmcounty.spatial.travel.graph import graph_from_segments, nearest_times
    from tcmcounty.spatial.travel.synthetic import grid_segments

    n = 120 if quick else 300
    link = 200.0
    a, b, s, o = grid_segments(n, n, link, seed=4)
    g = graph_from_segments(a, b, speed_kmh=s, oneway=o, mode="motor", crs=CRS)
    rng = np.random.default_rng(7)
    n_v, n_f = max(100, n * n // 50), max(10, n * n // 500)
    vnode = rng.choice(g.n_nodes, n_v, replace=False)
    fnode = rng.choice(np.setdiff1d(np.arange(g.n_nodes), vnode), n_f, replace=False)
    t0 = time.perf_counter()
    mine, _ = nearest_times(g, g.node_xy[vnode], g.node_xy[fnode])
    ours = time.perf_counter() - t0
    G = _nx_graph(g)
    t0 = time.perf_counter()
    d = nx.multi_source_dijkstra_path_length(G, set(fnode.tolist()))
    nx_s = time.perf_counter() - t0
    want = np.array([d.get(int(x), np.inf) for x in vnode])
    out = {
        "case": "province baseline (small grid)",
        "size": f"{g.n_segments:,} segments; {n_v:,} villages, {n_f:,} facilities",
        "ours s": round(ours, 3),
        "networkx s": round(nx_s, 2),
        "ratio networkx/ours": round(nx_s / ours, 1),
        "max |diff| min": f"{np.nanmax(np.abs(mine - want)):.1e}",
        "arcs": int(g.n_arcs),
        "nodes": int(g.n_nodes),
    }
    if _have("pandana"):
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            t0 = time.perf_counter()
            net_p = _pandana(g, reverse=False)
            xy = g.node_xy[fnode]
            net_p.set_pois("fac", 1e6, 1, pd.Series(xy[:, 0]), pd.Series(xy[:, 1]))
            prep = time.perf_counter() - t0
            t0 = time.perf_counter()
            near = net_p.nearest_pois(1e6, "fac", num_pois=1)
            p_s = time.perf_counter() - t0
        got = near.iloc[:, 0].to_numpy()[vnode]
        out["pandana s"] = f"{p_s:.3f} (+{prep:.1f} CH build)"
        out["pandana max |diff|"] = f"{np.nanmax(np.abs(got - want)):.1e}"
    return out


def case_friction(quick: bool) -> dict:
    from affine import Affine

    from tcmcounty.spatial.travel.friction import (
        cost_distance,
        friction_pair_times,
        surface_from_array,
    )

    n = 200 if quick else 520
    cell = 100.0
    rng = np.random.default_rng(8)
    speed = rng.uniform(2.0, 6.0, (n, n))  # walking, 2–6 km/h
    speed[rng.random((n, n)) < 0.02] = 0  # some impassable cells
    s = surface_from_array(speed, Affine(cell, 0, 0, 0, -cell, n * cell), CRS, units="kmh")
    side = n * cell
    v, f = _points(600, side, 9), _points(700, side, 10)
    t0 = time.perf_counter()
    surface = cost_distance(s, f)
    near_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = friction_pair_times(s, v, f, cutoff=60.0)
    pair_s = time.perf_counter() - t0
    out = {
        "case": "friction",
        "size": f"{n}×{n} = {n * n:,} cells at {cell:g} m; 600 villages × 700 facilities",
        "ours s": f"{near_s:.2f} nearest surface; {pair_s:.2f} all pairs ≤ 60 min",
        "pairs": len(res.minutes),
        "peak GiB": round(peak_rss() / GIB, 2),
    }
    # networkx multi-source Dijkstra over the 8-neighbour graph with MCP_Geometric's move costs.
    import networkx as nx

    fr = s.minutes_per_m
    G = nx.Graph()
    idx = np.arange(n * n).reshape(n, n)
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        r0, r1 = 0, n - dr
        c0, c1 = max(0, -dc), n - max(0, dc)
        a = idx[r0:r1, c0:c1].ravel()
        b = idx[r0 + dr : r1 + dr, c0 + dc : c1 + dc].ravel()
        w = (fr.ravel()[a] + fr.ravel()[b]) / 2 * cell * math.hypot(dr, dc)
        ok = np.isfinite(w)
        G.add_weighted_edges_from(zip(a[ok].tolist(), b[ok].tolist(), w[ok].tolist(), strict=True))
    r, c = s.cells(f)
    srcs = {int(x) for x in (r * n + c)[(r >= 0)] if np.isfinite(fr.ravel()[x])}
    t0 = time.perf_counter()
    d = nx.multi_source_dijkstra_path_length(G, srcs)
    nx_s = time.perf_counter() - t0
    want = np.full(n * n, np.inf)
    want[list(d)] = list(d.values())
    got = surface.ravel()
    ok = np.isfinite(want)
    out["networkx s"] = round(nx_s, 2)
    out["ratio networkx/ours"] = round(nx_s / near_s, 1)
    out["max |diff| min"] = f"{np.max(np.abs(got[ok] - want[ok])):.1e}"
    return out


CASES = {
    "county-rural": lambda q: case_county("rural", q),
    "county-grid": lambda q: case_county("grid", q),
    "province": case_province,
    "province-baseline": case_province_baseline,
    "friction": case_friction,
}


def run_child(case: str, quick: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", case] + (["--quick"] if quick else [])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, check=False)
    if p.returncode != 0:
        return {"case": case, "error": p.stderr.strip().splitlines()[-1:]}
    # pandana's C++ core prints to the process's stdout: find our marked line.
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def show(title: str, rows: list[dict]) -> None:
    print(f"\n{title}\n" + "-" * len(title))
    df = pd.DataFrame(rows).astype(object).fillna("")
    with pd.option_context(
        "display.width", 250, "display.max_columns", None, "display.max_colwidth", 120
    ):
        print(df.T.to_string(header=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument(
        "--only", choices=tuple(CASES), action="append", help="run only these cases"
    )
    args = parser.parse_args()
    if args.child:
        result = CASES[args.child](args.quick)
        print("\nRESULT " + json.dumps(result))
        return
    import platform

    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}; "
        f"pandana {'installed' if _have('pandana') else 'not installed'}"
        + (" — QUICK sizes" if args.quick else "")
    )
    cases = args.only or list(CASES)
    rows = [run_child(c, args.quick) for c in cases]
    by = {r["case"]: r for r in rows}
    base = by.get("province baseline (small grid)")
    prov = by.get("province (nearest)")
    if base and prov and "error" not in base and "error" not in prov:
        scale = (prov["arcs"] * math.log(prov["arcs"])) / (base["arcs"] * math.log(base["arcs"]))
        prov["networkx s"] = (
            f"≈ {base['networkx s'] * scale:.0f} (extrapolated ×{scale:.0f} by E·log E)"
        )
        prov["ratio networkx/ours"] = (
            f"≈ {base['networkx s'] * scale / prov['ours s']:.0f} (extrapolated)"
        )
    show(
        "Travel time: ours vs networkx (and pandana) — targets: county ≤ 2 s, province ≤ 60 s and ≤ 4 GB, friction ≤ 5 s",
        rows,
    )


if __name__ == "__main__":
    main()
