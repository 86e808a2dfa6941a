"""Benchmark: a large synthetic batch with a few deliberately broken counties.

Makes ``--counties`` synthetic counties inside real county outlines (:mod:`tcmcounty.synth`),
breaks ``--broken`` of them (a village row with an impossible code and population, the kind of
error a planner's file has), renders them all with ``tcmcounty batch`` (process pool,
``--workers``), and prints: wall time, reports per minute, CPU seconds per report (mean, median
and 95th percentile), per-step core seconds, peak memory of the whole process tree and of the
largest single process, which counties failed and why, and the projection to all 2,875
county-level units on this machine. Exits 1 when a county other than the broken ones failed,
or a broken one did not.

Usage::

    python benchmarks/bench_batch_scale.py [--counties 200] [--broken 5] [--workers 2] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import DATE, N_COUNTIES_CHINA, PeakMemory, make_counties


def break_county(path: Path) -> None:
    """Append a village row with a 5-digit code and a population of ``abc``."""
    villages = path / "villages.csv"
    text = villages.read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    row = ["" for _ in header]
    for i, col in enumerate(header):
        if col == "code":
            row[i] = "12345"
        elif col == "population":
            row[i] = "abc"
        elif col == "name":
            row[i] = "坏村"
    villages.write_text(text.rstrip("\n") + "\n" + ",".join(row) + "\n", encoding="utf-8")


def pct(values: list[float], q: float) -> float:
    """Return the ``q`` quantile of ``values`` (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--counties", type=int, default=200)
    ap.add_argument("--broken", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--work", type=Path, help="working folder (default: temporary, removed)")
    args = ap.parse_args()
    from tcmcounty.run import report
    from tcmcounty.run.batch import run_batch

    work = args.work or Path(tempfile.mkdtemp(prefix="tcmscale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        counties = make_counties(args.counties, work / "counties", args.seed)
        made = time.perf_counter() - t
        broken = set(random.Random(args.seed).sample([c.name for c in counties], args.broken))
        for c in counties:
            if c.name in broken:
                break_county(c)
        print(f"{len(counties)} synthetic counties made in {made:.0f} s; broken: {sorted(broken)}")
        out = work / "reports"
        t0 = time.perf_counter()
        with PeakMemory() as mem:
            res = run_batch(
                [work / "counties"],
                out,
                workers=args.workers,
                parameters=report.county_parameters(report_date=DATE),
                timeout=600,
            )
        wall = time.perf_counter() - t0
        recs = [
            json.loads(p.read_text(encoding="utf-8"))
            for p in out.glob("*.json")
            if p.name != "index.json"
        ]
        ok = [r for r in recs if r.get("status") == "ok"]
        failed = {r.county: r.error for r in res.failed}
        cpu = [float(r["durations"].get("cpu", 0.0)) for r in ok]
        steps = {
            k: statistics.mean(float(r["durations"].get(k, 0.0)) for r in ok)
            for k in ("results", "figures", "execute", "convert", "total")
        }
        n = len(counties)
        print()
        print("| what | value |")
        print("|---|---|")
        print(f"| counties (workers) | {n} ({args.workers}) |")
        print(f"| ok / failed | {len(ok)} / {len(failed)} |")
        print(f"| wall | {wall:.0f} s ({60 * n / wall:.1f} reports/min, {wall / n:.2f} s/report) |")
        print(
            f"| CPU s/report: mean / median / p95 | {statistics.mean(cpu):.2f} / "
            f"{statistics.median(cpu):.2f} / {pct(cpu, 0.95):.2f} |"
        )
        print(
            "| per report (core s): results / figures / execute / convert / total | "
            + " / ".join(f"{steps[k]:.2f}" for k in steps)
            + " |"
        )
        print(
            f"| peak memory: whole tree / largest process | {mem.peak / 2**20:.0f} MB / "
            f"{mem.peak_one / 2**20:.0f} MB |"
        )
        print(
            f"| 2,875 units projected (this machine, {args.workers} workers) | "
            f"{N_COUNTIES_CHINA * wall / n / 60:.0f} min |"
        )
        print("\nfailed:")
        for name, err in sorted(failed.items()):
            print(f"  {name}: {err[:160]}")
        wrong = set(failed) ^ broken
        if wrong:
            print(
                f"\nUNEXPECTED: {sorted(wrong)} (failed but not broken, or broken but not failed)"
            )
            return 1
        print(f"\nexactly the {len(broken)} broken counties failed, each alone")
        return 0
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
