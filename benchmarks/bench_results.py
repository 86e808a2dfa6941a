"""Benchmark: the cost of one county's results and worklists, step by step.

For each county (the two bundled ones and synthetic counties inside real outlines, from
``bench_batch.make_counties``) every analysis step is timed on its own (median of
``--repeat`` runs, milliseconds):

==================  ===========================================================================
step                what is timed
==================  ===========================================================================
load                :func:`tcmcounty.load_county`
ind county          :func:`tcmcounty.indicators.compute` (county level)
ind township        the same with ``by="township"`` (every township-level indicator)
coverage            nearest service + cumulative coverage of each level the report shows
alliance            :func:`tcmcounty.spatial.coverage.alliance_coverage` (``T-YLT`` with its rows)
access              E2SFCA accessibility and its equity table, as the report computes them
plan                中医阁 site plan (:func:`tcmcounty.spatial.plan.plan_sites`)
worklists           building the worklists from computed results, with no township
                    indicators precomputed (what the staff list costs when it computes them)
==================  ===========================================================================

and, end to end, ``results`` (:func:`compute_results`, what a batch worker runs) and ``report``
= ``results`` + the worklists as a report asks for them (once for the xlsx, once in the
notebook's worklist section: ``worklists(res)`` called twice on the same results).

Times are CPU time of the process (``time.process_time``: core-seconds, steadier than wall
time on a shared machine). ``--baseline SRC`` times the same counties, in the same run, with
another version of the library (its ``src`` folder, e.g. ``git archive REV | tar -x -C DIR``)
and prints the ratio::

    python benchmarks/bench_results.py [--synthetic 2] [--seed 7] [--repeat 3] [--json out.json]
    python benchmarks/bench_results.py --baseline /tmp/before/src
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

STEPS = (
    "load",
    "ind county",
    "ind township",
    "coverage",
    "alliance",
    "access",
    "plan",
    "worklists",
    "results",
    "report",
)


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return 1000 * statistics.median(times)


def _fresh_worklists(res: object) -> object:
    """Build the worklists from ``res`` as if nothing about them were computed yet."""
    from dataclasses import replace

    from tcmcounty.reporting import worklists as W

    bare = replace(res, indicators_by_township=None)  # type: ignore[type-var]
    if hasattr(bare, "worklists"):
        bare.worklists = None
    build = getattr(W, "build_worklists", None) or W.worklists
    return build(bare)


def time_county(path: Path, repeat: int) -> dict[str, float]:
    """Median milliseconds of each step of :data:`STEPS` for the county at ``path``."""
    import tcmcounty
    from tcmcounty import indicators
    from tcmcounty.reporting import results as R
    from tcmcounty.reporting import worklists as W
    from tcmcounty.spatial import coverage as cov
    from tcmcounty.spatial.access import spatial_access
    from tcmcounty.spatial.plan import plan_sites

    c = tcmcounty.load_county(path, warn=False)
    ths = list(R.DEFAULT_THRESHOLDS_KM)

    def coverage() -> None:
        cov.nearest_service(c, levels=R.COVERAGE_LEVELS)
        for lv in R.COVERAGE_LEVELS:
            cov.cumulative_coverage(c, thresholds=ths, level=lv)

    def access() -> None:
        spatial_access(c, **R.ACCESS_SETTINGS).equity()

    res = R.compute_results(path)

    def report() -> None:
        r = R.compute_results(path)
        W.worklists(r)  # the xlsx beside the report
        W.worklists(r)  # the notebook's worklist section

    steps: dict[str, Callable[[], object]] = {
        "load": lambda: tcmcounty.load_county(path, warn=False),
        "ind county": lambda: indicators.compute(c),
        "ind township": lambda: indicators.compute(c, by="township"),
        "coverage": coverage,
        "alliance": lambda: cov.alliance_coverage(c),
        "access": access,
        "plan": lambda: plan_sites(c, compare_optimal=False),
        "worklists": lambda: _fresh_worklists(res),
        "results": lambda: R.compute_results(path),
        "report": report,
    }
    return {name: _median_ms(fn, repeat) for name, fn in steps.items()}


def counties(n_synthetic: int, seed: int, work: Path) -> list[tuple[str, Path]]:
    """The bundled counties, then ``n_synthetic`` synthetic ones (written under ``work``)."""
    from bench_batch import make_counties

    out = [(p.name, p) for p in sorted((ROOT / "data" / "counties").iterdir()) if p.is_dir()]
    if n_synthetic:
        out += [(p.name, p) for p in make_counties(n_synthetic, work, seed)]
    return out


def table(rows: dict[str, dict[str, float]], fmt: str = "{:>14.1f}") -> str:
    """Format per-county figures (one column per step) as a fixed-width table."""
    width = max(len(n) for n in rows) + 2
    head = "county".ljust(width) + "".join(f"{s:>14}" for s in STEPS)
    lines = [head, "-" * len(head)]
    for name, r in rows.items():
        lines.append(
            name.ljust(width) + "".join(fmt.format(r[s]) if s in r else f"{'—':>14}" for s in STEPS)
        )
    return "\n".join(lines)


def run_baseline(src: Path, paths: list[Path], repeat: int) -> dict[str, dict[str, float]]:
    """Time the same counties with the library at ``src`` (another checkout's ``src``)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "baseline.json"
        cmd = [sys.executable, __file__, "--json", str(out), "--repeat", str(repeat)]
        for p in paths:
            cmd += ["--county", str(p)]
        env = {**os.environ, "PYTHONPATH": str(src)}
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--synthetic", type=int, default=2, help="synthetic counties (default 2)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="runs per step; the median is shown")
    ap.add_argument("--json", type=Path, help="also write the milliseconds as JSON here")
    ap.add_argument(
        "--baseline",
        type=Path,
        help="src folder of another version (e.g. from `git archive REV`): timed on the same "
        "counties in the same run, with the ratio baseline / this",
    )
    ap.add_argument("--county", type=Path, action="append", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    import tcmcounty

    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        if args.county:
            chosen = [(p.name, p) for p in args.county]
        else:
            chosen = counties(args.synthetic, args.seed, Path(tmp))
        base = (
            run_baseline(args.baseline, [p for _, p in chosen], args.repeat)
            if args.baseline
            else None
        )
        rows = {name: time_county(p, args.repeat) for name, p in chosen}
    print(
        f"CPU milliseconds per county, median of {args.repeat} (report = results + worklists twice)"
    )
    if base is not None:
        print(f"\nbaseline: tcmcounty from {args.baseline}")
        print(table(base))
    print(f"\nthis: tcmcounty from {Path(tcmcounty.__file__).parent}")
    print(table(rows))
    if base is not None:
        ratio = {n: {s: base[n][s] / r[s] for s in STEPS if r[s] > 0} for n, r in rows.items()}
        print("\nratio baseline / this (× faster)")
        print(table(ratio, "{:>13.1f}×"))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
