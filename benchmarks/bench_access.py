"""Accessibility and coverage benchmarks: county scale vs PySAL ``access``, national scale limits.

Run::

    /tmp/venv/bin/python benchmarks/bench_access.py           # full run (a few minutes)
    /tmp/venv/bin/python benchmarks/bench_access.py --quick   # small sizes (seconds)

Prints three tables:

1. Bundled counties: wall time of the public API for one county (target: well under 1 s).
2. County scale (10,000 villages × 1,000 facilities, 10 km): our 2SFCA / E2SFCA vs PySAL
   ``access`` on identical inputs (the same demand, supply and village–facility pairs), with
   the speed ratio (target >= 20×) and the largest absolute difference (target <= 1e-9 per
   1,000 residents).
3. National scale (500,000 villages × 40,000 facilities, 30 km catchment): nearest service,
   cumulative coverage and 2SFCA, each in a fresh subprocess so that its peak RSS is its own
   (targets: <= 10 s and <= 2 GB). Then what happens with PySAL ``access`` at that size.

Synthetic points are seeded: uniform in a square of China's land area (9.6 million km², 3,098 km
a side) and, as a denser worst case, in a square of the area east of the Hu line (43 %,
2,032 km a side), in a China Albers equal-area projection (metres).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

CHINA_ALBERS = (
    "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
)
LAYOUTS = {"uniform": 3_098_000.0, "east": 2_032_000.0}  # square side in metres
GIB = 1024**3


def rss_bytes() -> int:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


# --------------------------------------------------------------------------- synthetic data


def national_points(n_v: int, n_f: int, layout: str, seed: int = 2024):
    """Villages and facilities (GeoDataFrames in metres) with realistic service mixes."""
    import geopandas as gpd

    side = LAYOUTS[layout]
    rng = np.random.default_rng(seed)
    v = rng.uniform(0, side, (n_v, 2))
    f = rng.uniform(0, side, (n_f, 2))
    villages = gpd.GeoDataFrame(
        {
            "code": np.char.add("V", np.arange(n_v).astype(str)),
            "township_code": np.char.add("T", (np.arange(n_v) // 15).astype(str)),
            "population": rng.integers(50, 5000, n_v),
        },
        geometry=gpd.points_from_xy(v[:, 0], v[:, 1]),
        crs=CHINA_ALBERS,
    )
    # 5 % county TCM hospitals, 75 % township / community health centres, 20 % village clinics
    kind = rng.choice(
        [
            "county_tcm_hospital",
            "township_health_centre",
            "community_health_centre",
            "village_clinic",
        ],
        n_f,
        p=[0.05, 0.65, 0.10, 0.20],
    )
    facilities = gpd.GeoDataFrame(
        {
            "id": np.char.add("F", np.arange(n_f).astype(str)),
            "type": kind,
            "has_tcm_hall": pd.array(rng.random(n_f) < 0.85, dtype="boolean"),
            "has_tcm_pavilion": pd.array(
                (kind == "village_clinic") & (rng.random(n_f) < 0.5), dtype="boolean"
            ),
            "provides_tcm": pd.array(rng.random(n_f) < 0.8, dtype="boolean"),
            "tcm_physicians": rng.integers(0, 12, n_f),
        },
        geometry=gpd.points_from_xy(f[:, 0], f[:, 1]),
        crs=CHINA_ALBERS,
    )
    return villages, facilities


def county_points(n_v: int, n_f: int, seed: int = 7):
    """A county-sized square (2,700 km², like 安岳县) with villages and facilities."""
    rng = np.random.default_rng(seed)
    side = 52_000.0
    d = rng.uniform(0, side, (n_v, 2))
    s = rng.uniform(0, side, (n_f, 2))
    pop = rng.integers(100, 5000, n_v).astype(float)
    cap = rng.integers(0, 15, n_f).astype(float)
    return d, s, pop, cap


# --------------------------------------------------------------------------- section 1: counties


def bench_counties() -> pd.DataFrame:
    import tcmcounty
    from tcmcounty.spatial.access import spatial_access
    from tcmcounty.spatial.coverage import cumulative_coverage, nearest_service

    rows = []
    for name in ("anyue", "wenxi"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                county = tcmcounty.load_county(name)
        except Exception as exc:
            print(f"  (skipped {name}: {exc})")
            continue
        cases = {
            "nearest_service (4 levels)": lambda c=county: nearest_service(c),
            "cumulative_coverage (4 thresholds)": lambda c=county: cumulative_coverage(c).table(
                "township"
            ),
            "2SFCA 10 km": lambda c=county: spatial_access(c, radius="10km"),
            "E2SFCA gaussian 20 km": lambda c=county: spatial_access(
                c, method="e2sfca", decay="gaussian", radius="20km"
            ),
        }
        for label, fn in cases.items():
            fn()  # warm-up
            t, _ = timed(fn, repeat=5)
            rows.append(
                {
                    "county": county.name_zh,
                    "villages": len(county.villages),
                    "facilities": len(county.facilities),
                    "measure": label,
                    "seconds": round(t, 4),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- section 2: county scale vs PySAL


def pysal_access(
    pop: np.ndarray, cap: np.ndarray, cost_df: pd.DataFrame | None = None, points=None
):
    """A PySAL ``Access`` object on a given cost table, or on points (its own distances)."""
    import geopandas as gpd
    from access import Access

    dem = pd.DataFrame({"geoid": np.arange(len(pop)), "pop": pop})
    sup = pd.DataFrame({"geoid": np.arange(len(cap)), "cap": cap})
    kw: dict[str, object] = {}
    if points is not None:
        d, s = points
        dem = gpd.GeoDataFrame(dem, geometry=gpd.points_from_xy(d[:, 0], d[:, 1]), crs=CHINA_ALBERS)
        sup = gpd.GeoDataFrame(sup, geometry=gpd.points_from_xy(s[:, 0], s[:, 1]), crs=CHINA_ALBERS)
    else:
        kw = {"cost_df": cost_df, "cost_origin": "origin", "cost_dest": "dest", "cost_name": "cost"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = Access(
            demand_df=dem,
            demand_index="geoid",
            demand_value="pop",
            supply_df=sup,
            supply_index="geoid",
            supply_value="cap",
            **kw,
        )
    a.log.setLevel("WARNING")  # PySAL logs "Overwriting ..." at INFO on every rerun
    return a


def pysal_fca(a, radius: float, weight_fn=None, cost: str | None = None) -> np.ndarray:
    """Run PySAL 2SFCA / E2SFCA on an Access object; access per person in demand order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if weight_fn is None:
            out = a.two_stage_fca(name="x", cost=cost, max_cost=radius)
        else:
            out = a.enhanced_two_stage_fca(
                name="x", cost=cost, max_cost=radius, weight_fn=weight_fn
            )
    n = len(a.demand_df)
    return out["x_cap"].reindex(np.arange(n)).to_numpy(dtype=float)


def pysal_two_stage(
    costs, pop: np.ndarray, cap: np.ndarray, radius: float, weight_fn=None
) -> np.ndarray:
    """PySAL 2SFCA given our sparse pairs as its cost table."""
    cost_df = pd.DataFrame({"origin": costs.row, "dest": costs.col, "cost": costs.cost})
    return pysal_fca(pysal_access(pop, cap, cost_df), radius, weight_fn)


def max_diff(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Largest |difference| per 1,000 residents (PySAL's NaN = no facility in reach = our 0)."""
    b = np.where(np.isnan(theirs), 0.0, theirs)
    return float(np.max(np.abs(ours - b)) * 1000)


def bench_county_scale(
    n_v: int, n_f: int, radius: float, repeat: int, pysal_repeat: int
) -> pd.DataFrame:
    """Same points, population, capacity and radius for both; two comparisons per method.

    * from points: ours = KD-tree pairs + sparse 2SFCA; PySAL = its ``create_euclidean_distance``
      (the full N x M cross product, its only way from points to costs) + ``two_stage_fca``.
    * same pairs: both get our sparse village-facility pairs within the radius as the cost table.
    """
    import math

    from access import weights

    from tcmcounty.spatial.access import two_step_fca
    from tcmcounty.spatial.pairs import Costs

    d, s, pop, cap = county_points(n_v, n_f)
    t_pairs, costs = timed(lambda: Costs.from_points(d, s, radius), repeat)
    a_points = pysal_access(pop, cap, points=(d, s))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # PySAL keeps distance < threshold; a hair above the radius keeps pairs at exactly d0
        a_points.create_euclidean_distance(name="euclidean", threshold=radius * (1 + 1e-9))
    t_dist = time.perf_counter() - t0
    h = math.exp(-0.5)

    def dai(x: float) -> float:
        return (math.exp(-0.5 * (x / radius) ** 2) - h) / (1 - h) if x <= radius else 0.0

    methods = {
        "2SFCA": ("uniform", None),
        "E2SFCA step": (
            "step",
            weights.step_fn({radius * 1 / 3: 1.0, radius * 2 / 3: 0.68, radius: 0.22}),
        ),
        "E2SFCA gaussian": ("gaussian", dai),
    }
    rows = []
    for label, (decay, fn) in methods.items():
        t_core, ours = timed(
            lambda decay=decay: two_step_fca(costs, pop, cap, radius=radius, decay=decay), repeat
        )
        acc = ours.access  # type: ignore[attr-defined]
        t_meth, theirs_pts = timed(
            lambda fn=fn: pysal_fca(a_points, radius, fn, "euclidean"), pysal_repeat
        )
        t_same, theirs_pairs = timed(
            lambda fn=fn: pysal_two_stage(costs, pop, cap, radius, fn), pysal_repeat
        )
        ours_total = t_pairs + t_core
        pysal_total = t_dist + t_meth
        rows.append(
            {
                "method": label,
                "ours s (KD-tree + sparse)": round(ours_total, 3),
                "PySAL s (cross product + fca)": round(pysal_total, 2),
                "ratio from points": f"{pysal_total / ours_total:,.0f}x",
                "ours core s": round(t_core, 4),
                "PySAL same pairs s": round(t_same, 3),
                "ratio same pairs": f"{t_same / t_core:,.0f}x",
                "max |diff| /1000 (points)": f"{max_diff(acc, theirs_pts):.1e}",
                "max |diff| /1000 (pairs)": f"{max_diff(acc, theirs_pairs):.1e}",
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["note"] = (
        f"{n_v:,} villages x {n_f:,} facilities in a 52 km square, {costs.n_pairs:,} pairs within "
        f"{radius / 1000:g} km; PySAL cross product = {n_v * n_f:,} rows built in {t_dist:.2f} s; "
        f"our KD-tree pairs {t_pairs:.3f} s"
    )
    return out


# --------------------------------------------------------------------------- section 3: national scale


def child_case(case: str, n_v: int, n_f: int, layout: str) -> dict[str, object]:
    """Run one national case in this (fresh) process; report time and peak RSS."""
    from tcmcounty.spatial.access import spatial_access
    from tcmcounty.spatial.coverage import cumulative_coverage, nearest_service

    villages, facilities = national_points(n_v, n_f, layout)
    base = rss_bytes()
    extra: dict[str, object] = {}
    t0 = time.perf_counter()
    if case == "nearest":
        out = nearest_service(villages, facilities)
        extra["finite hall distances"] = int(out["hall_km"].notna().sum())
    elif case == "coverage":
        res = cumulative_coverage(villages, facilities, thresholds="1,2,5,10,30", level="any_tcm")
        c = res.table("county")
        extra["share within 30 km"] = round(float(c["covered_share_30km"].iloc[0]), 4)
    elif case in ("2sfca", "e2sfca"):
        res = spatial_access(
            villages,
            facilities,
            method=case,
            decay="gaussian" if case == "e2sfca" else None,
            radius="30km",
        )
        extra["pairs"] = res.n_pairs
    elif case in ("pysal-sparse-2sfca", "pysal-sparse-e2sfca"):
        import math

        from tcmcounty.spatial.coverage import project
        from tcmcounty.spatial.pairs import Costs

        vxy, fxy, _ = project(villages, facilities)
        costs = Costs.from_points(vxy, fxy, 30_000.0)
        extra["pairs"] = costs.n_pairs
        h = math.exp(-0.5)

        def dai(x: float) -> float:
            return (math.exp(-0.5 * (x / 30_000.0) ** 2) - h) / (1 - h) if x <= 30_000.0 else 0.0

        t0 = time.perf_counter()
        pysal_two_stage(
            costs,
            villages["population"].to_numpy(dtype=float),
            facilities["tcm_physicians"].to_numpy(dtype=float),
            30_000.0,
            dai if case.endswith("e2sfca") else None,
        )
    else:
        raise SystemExit(f"unknown case {case}")
    seconds = time.perf_counter() - t0
    return {
        "case": case,
        "seconds": seconds,
        "peak_rss": rss_bytes(),
        "baseline_rss": base,
        **extra,
    }


def run_child(
    case: str, n_v: int, n_f: int, layout: str, timeout: float, mem_limit: int | None = None
) -> dict:
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        case,
        "--n-villages",
        str(n_v),
        "--n-facilities",
        str(n_f),
        "--layout",
        layout,
    ]

    def limit() -> None:
        if mem_limit:
            resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))

    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=limit, check=False
        )
    except subprocess.TimeoutExpired:
        return {"case": case, "error": f"did not finish within {timeout:.0f} s (killed)"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"case": case, "error": f"exit {proc.returncode}: {tail[:160]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_national(n_v: int, n_f: int, layouts: list[str], cases: list[str]) -> pd.DataFrame:
    rows = []
    for layout in layouts:
        for case in cases:
            r = run_child(case, n_v, n_f, layout, timeout=600)
            row = {"layout": layout, "measure": case, "villages x facilities": f"{n_v:,} x {n_f:,}"}
            if "error" in r:
                row["seconds"] = r["error"]
            else:
                row["seconds"] = round(r["seconds"], 2)
                row["peak RSS GiB"] = round(r["peak_rss"] / GIB, 2)
                row["RSS before GiB"] = round(r["baseline_rss"] / GIB, 2)
                row["<= 10 s"] = "yes" if r["seconds"] <= 10 else "NO"
                row["<= 2 GB"] = "yes" if r["peak_rss"] <= 2e9 else "NO"
                for k in ("pairs", "share within 30 km", "finite hall distances"):
                    if k in r:
                        row["detail"] = f"{k} {r[k]:,}" if isinstance(r[k], int) else f"{k} {r[k]}"
            rows.append(row)
    return pd.DataFrame(rows)


def pysal_cross_product_estimate(
    n_v: int, n_f: int, small: tuple[int, int] = (2_000, 200)
) -> pd.DataFrame:
    """Measure PySAL's own distance step (a full cross product) at a small size; extrapolate."""
    import geopandas as gpd
    from access import Access

    rows = []
    for nv, nf in (small, (small[0] * 2, small[1])):
        rng = np.random.default_rng(1)
        d = rng.uniform(0, 52_000, (nv, 2))
        s = rng.uniform(0, 52_000, (nf, 2))
        dem = gpd.GeoDataFrame(
            {"geoid": np.arange(nv), "pop": 1000.0},
            geometry=gpd.points_from_xy(d[:, 0], d[:, 1]),
            crs=CHINA_ALBERS,
        )
        sup = gpd.GeoDataFrame(
            {"geoid": np.arange(nf), "cap": 1.0},
            geometry=gpd.points_from_xy(s[:, 0], s[:, 1]),
            crs=CHINA_ALBERS,
        )
        import tracemalloc

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = Access(
                demand_df=dem,
                demand_index="geoid",
                demand_value="pop",
                supply_df=sup,
                supply_index="geoid",
                supply_value="cap",
            )
            tracemalloc.start()
            t0 = time.perf_counter()
            a.create_euclidean_distance(threshold=30_000)
            secs = time.perf_counter() - t0
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        rows.append(
            {"size": f"{nv:,} x {nf:,}", "cross rows": nv * nf, "seconds": secs, "peak bytes": peak}
        )
    per_row = rows[-1]["peak bytes"] / rows[-1]["cross rows"]
    per_row_s = rows[-1]["seconds"] / rows[-1]["cross rows"]
    big = n_v * n_f
    out = pd.DataFrame(rows)
    out["peak bytes/row"] = (out["peak bytes"] / out["cross rows"]).round(0)
    out["seconds"] = out["seconds"].round(3)
    out = pd.concat(
        [
            out,
            pd.DataFrame(
                [
                    {
                        "size": f"{n_v:,} x {n_f:,} (extrapolated)",
                        "cross rows": big,
                        "seconds": round(big * per_row_s),
                        "peak bytes": big * per_row,
                        "peak bytes/row": round(per_row),
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    out["peak GiB"] = (out["peak bytes"] / GIB).map(
        lambda x: f"{x:,.3f}" if x < 10 else f"{x:,.0f}"
    )
    return out.drop(columns="peak bytes")


def show(title: str, df: pd.DataFrame) -> None:
    print(f"\n{title}\n" + "-" * len(title))
    with pd.option_context(
        "display.width", 250, "display.max_columns", None, "display.max_colwidth", 90
    ):
        print(df.to_string(index=False))
    if df.attrs.get("note"):
        print(df.attrs["note"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes; skips the PySAL national attempt"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--n-villages", type=int, default=500_000)
    parser.add_argument("--n-facilities", type=int, default=40_000)
    parser.add_argument("--layout", default="uniform", choices=tuple(LAYOUTS))
    parser.add_argument(
        "--skip-pysal-national", action="store_true", help="do not try PySAL at national scale"
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_case(args.child, args.n_villages, args.n_facilities, args.layout)))
        return

    import platform

    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    show("1. Bundled counties: one county, public API (median of 5)", bench_counties())

    if args.quick:
        n_v, n_f, rep, prep = 2_000, 200, 3, 1
    else:
        n_v, n_f, rep, prep = 10_000, 1_000, 5, 3
    show(
        f"2. County scale: {n_v:,} villages x {n_f:,} facilities, 10 km catchment, our 2SFCA vs PySAL access "
        "(target >= 20x, |diff| <= 1e-9)",
        bench_county_scale(n_v, n_f, 10_000.0, rep, prep),
    )

    nv, nf = (50_000, 4_000) if args.quick else (args.n_villages, args.n_facilities)
    layouts = ["uniform"] if args.quick else ["uniform", "east"]
    show(
        f"3. National scale: {nv:,} villages x {nf:,} facilities, 30 km catchment, one subprocess per row "
        "(targets <= 10 s, <= 2 GB peak RSS)",
        bench_national(nv, nf, layouts, ["nearest", "coverage", "2sfca", "e2sfca"]),
    )

    show(
        "4a. PySAL access's own distance step (create_euclidean_distance: full cross product) measured small, "
        "extrapolated",
        pysal_cross_product_estimate(nv, nf),
    )
    if not (args.quick or args.skip_pysal_national):
        rows = []
        for layout in layouts:
            for case in ("pysal-sparse-2sfca", "pysal-sparse-e2sfca"):
                r = run_child(case, nv, nf, layout, timeout=900, mem_limit=16 * GIB)
                if "error" in r:
                    msg = r["error"]
                else:
                    msg = (
                        f"finished in {r['seconds']:.1f} s, peak RSS {r['peak_rss'] / GIB:.2f} GiB "
                        f"on {r['pairs']:,} pairs"
                    )
                rows.append({"layout": layout, "case": case, "result": msg})
        show(
            "4b. PySAL access at national scale when handed OUR sparse 30 km pairs as its cost_df "
            "(16 GiB address-space limit, 900 s timeout)",
            pd.DataFrame(rows),
        )


if __name__ == "__main__":
    main()
