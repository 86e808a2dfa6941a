"""Benchmark: ``tcmcounty batch`` against the naive loop a user writes today.

Naive loop (sequential, for each county)::

    papermill notebooks/county_report.ipynb out.ipynb -k python3 -p county PATH -p report_date D
    jupyter nbconvert --to html out.ipynb

Ours: :func:`tcmcounty.run.batch.run_batch` on the same synthetic counties (inside real county
outlines, from :mod:`tcmcounty.synth`), with a process pool of 1 and 2 workers and with a Dask
LocalCluster of 1 and 2 workers, each from an empty output folder (no cached results).

Prints a table: wall time, throughput, ratio to the naive loop, per-report time breakdown
(kernel start, execution, conversion), peak memory of the whole process tree, and the
projection to all 2,875 county-level units on this machine.

Usage::

    python benchmarks/bench_batch.py [--counties 20] [--seed 7] [--work DIR] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

N_COUNTIES_CHINA = 2875
DATE = "2024-06-30"


class PeakMemory:
    """Sample the resident memory of this process and all its descendants every 0.25 s.

    Sampling costs CPU that the workers compete for (about 3% of a core at 0.1 s), so not
    more often.
    """

    def __init__(self) -> None:
        import psutil

        self.psutil = psutil
        self.root = psutil.Process()
        self.peak = 0
        #: Largest resident memory of any single process (a worker, the batch itself).
        self.peak_one = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except self.psutil.Error:
                procs = [self.root]
            for p in procs:
                try:
                    rss = p.memory_info().rss
                except self.psutil.Error:
                    continue
                total += rss
                self.peak_one = max(self.peak_one, rss)
            self.peak = max(self.peak, total)
            self._stop.wait(0.25)

    def __enter__(self) -> PeakMemory:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def make_counties(n: int, root: Path, seed: int) -> list[Path]:
    from tcmcounty import synth

    return synth.make_many(n, root, seed=seed)


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (and theirs: papermill's kernel)."""
    import resource

    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def naive(counties: list[Path], work: Path) -> dict:
    """Sequential papermill CLI + nbconvert CLI per county."""
    from tcmcounty.run.report import template_path

    bindir = Path(sys.executable).parent
    papermill = (
        [str(bindir / "papermill")]
        if (bindir / "papermill").exists()
        else [sys.executable, "-m", "papermill"]
    )
    jupyter = (
        [str(bindir / "jupyter")]
        if (bindir / "jupyter").exists()
        else [sys.executable, "-m", "jupyter"]
    )
    out = work / "naive"
    out.mkdir(parents=True)
    tpl = template_path("county_report")
    rows = []
    t0 = time.perf_counter()
    with PeakMemory() as mem:
        for c in counties:
            nb = out / f"{c.name}.ipynb"
            cpu0 = _children_cpu()
            t = time.perf_counter()
            subprocess.run(
                [
                    *papermill,
                    str(tpl),
                    str(nb),
                    "-k",
                    "python3",
                    "-p",
                    "county",
                    str(c),
                    "-p",
                    "report_date",
                    DATE,
                    "--no-progress-bar",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            t_pm = time.perf_counter() - t
            t = time.perf_counter()
            subprocess.run(
                [*jupyter, "nbconvert", "--to", "html", str(nb)],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            t_nbc = time.perf_counter() - t
            meta = json.loads(nb.read_text(encoding="utf-8"))
            execute = sum(
                float(cell.get("metadata", {}).get("papermill", {}).get("duration") or 0)
                for cell in meta["cells"]
            )
            rows.append(
                {
                    "start": t_pm - execute,
                    "execute": execute,
                    "convert": t_nbc,
                    "html_bytes": (out / f"{c.name}.html").stat().st_size,
                    "cpu": _children_cpu() - cpu0,
                }
            )
    wall = time.perf_counter() - t0
    return {
        "mode": "naive loop (papermill CLI + nbconvert CLI)",
        "workers": 1,
        "wall": wall,
        "n": len(counties),
        "failed": 0,
        "peak_mb": mem.peak / 2**20,
        "peak_one_mb": mem.peak_one / 2**20,
        "core": statistics.mean(r["start"] + r["execute"] + r["convert"] for r in rows),
        "cpu": statistics.mean(r["cpu"] for r in rows),
        "start": statistics.mean(r["start"] for r in rows),
        "execute": statistics.mean(r["execute"] for r in rows),
        "convert": statistics.mean(r["convert"] for r in rows),
        "results": 0.0,
        "figures": 0.0,
        "html_kb": statistics.mean(r["html_bytes"] for r in rows) / 1024,
    }


def ours(
    counties: list[Path],
    work: Path,
    label: str,
    workers: int,
    dask: str | None = None,
    engine: str = "inprocess",
) -> dict:
    from tcmcounty.run import report
    from tcmcounty.run.batch import run_batch

    out = work / label.replace(" ", "_")
    t0 = time.perf_counter()
    with PeakMemory() as mem:
        res = run_batch(
            counties,
            out,
            workers=workers,
            dask=dask,
            force=True,
            progress=False,
            parameters=report.county_parameters(report_date=DATE),
            timeout=900,
            engine=engine,
        )
    wall = time.perf_counter() - t0
    recs = [
        json.loads((out / f"{r.county}.json").read_text(encoding="utf-8"))
        for r in res.rows
        if (out / f"{r.county}.json").is_file()
    ]
    ok = [r for r in recs if r.get("status") == "ok"]

    def mean(key: str) -> float:
        return (
            statistics.mean(float(r["durations"].get(key, 0.0)) for r in ok) if ok else float("nan")
        )

    return {
        "mode": label,
        "workers": workers,
        "wall": wall,
        "n": len(counties),
        "failed": len(res.failed),
        "peak_mb": mem.peak / 2**20,
        "peak_one_mb": mem.peak_one / 2**20,
        "core": mean("total"),
        "cpu": mean("cpu"),
        "start": mean("kernel_start"),
        "execute": mean("execute"),
        "convert": mean("convert"),
        "results": mean("results"),
        "figures": mean("figures"),
        "html_kb": statistics.mean(r["html_bytes"] for r in ok) / 1024 if ok else float("nan"),
    }


def _median_seconds(code: str, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def import_costs() -> dict:
    """Seconds to start Python and import nbformat, with and without ``rfc3987_syntax``.

    Each report of the naive loop starts two such processes (papermill, nbconvert); a worker of
    ours starts once, and defers that package (:mod:`tcmcounty._deferred`).
    """
    return {
        "python": _median_seconds("pass"),
        "nbformat": _median_seconds("import nbformat"),
        "nbformat_deferred": _median_seconds(
            "import sys; sys.modules['rfc3987_syntax'] = None; import nbformat"
        ),
    }


def _spin(_: int) -> float:
    t = time.process_time()
    x = 0
    for i in range(15_000_000):
        x += i * i
    return time.process_time() - t


def cpu_scaling() -> float:
    """Speed-up of two processes over one on pure Python arithmetic (the machine's ceiling)."""
    import multiprocessing as mp

    t = time.perf_counter()
    _spin(0)
    one = time.perf_counter() - t
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(_spin, [0, 0])  # start-up
        t = time.perf_counter()
        pool.map(_spin, [0, 1])
        two = time.perf_counter() - t
    return 2 * one / two


def print_table(runs: list[dict], costs: dict | None = None, scaling: float | None = None) -> None:
    """Print the runs side by side: ratios to the naive loop (same counties, same run)."""
    base = next((r for r in runs if r["mode"].startswith("naive")), None)
    print()
    print(
        "| run | workers | reports | wall s | s/report | × naive | failed | per report (core s): "
        "results / figures / kernel start / execute / convert / total | CPU s/report | "
        "peak MB (all / one process) | HTML KB | 2,875 units (min) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        per = r["wall"] / r["n"]
        ratio = f"{base['wall'] / base['n'] / per:.1f}" if base else "–"
        proj = N_COUNTIES_CHINA * per / 60
        print(
            f"| {r['mode']} | {r['workers']} | {r['n']} | {r['wall']:.1f} | {per:.2f} | {ratio} | "
            f"{r['failed']} | {r['results']:.2f} / {r['figures']:.2f} / {r['start']:.2f} / "
            f"{r['execute']:.2f} / {r['convert']:.2f} / {r['core']:.2f} | {r['cpu']:.2f} | "
            f"{r['peak_mb']:.0f} / {r['peak_one_mb']:.0f} | {r['html_kb']:.0f} | {proj:.0f} |"
        )
    by = {r["mode"]: r for r in runs}
    d1, d2 = by.get("dask local 1w"), by.get("dask local 2w")
    if d1 and d2:
        print(f"\nDask: 2 workers / 1 worker = {d1['wall'] / d2['wall']:.2f}×")
    p1, p2 = by.get("batch pool 1w"), by.get("batch pool 2w")
    if p1 and p2:
        print(f"Pool: 2 workers / 1 worker = {p1['wall'] / p2['wall']:.2f}×")
    k, i = by.get("batch pool, kernel engine 2w"), p2
    if k and i:
        print(f"In-process engine vs a kernel per report (pool 2w): {k['wall'] / i['wall']:.2f}×")
    s_in, s_k = by.get("2 counties, pool 2w"), by.get("2 counties, pool, kernel engine 2w")
    if s_in and s_k:
        print(
            f"2-county batch: {s_in['wall']:.1f} s in process, {s_k['wall']:.1f} s with a kernel "
            "per report (start-up included)"
        )
    if p1 and p2 and p1["cpu"] == p1["cpu"] and p2["cpu"] == p2["cpu"]:
        print(
            f"CPU per report, pool: {p1['cpu']:.2f} s with 1 worker, {p2['cpu']:.2f} s with 2 "
            f"({100 * (p2['cpu'] / p1['cpu'] - 1):+.0f}% when two run at once)"
        )
    if d1 and d2:
        print(
            f"CPU per report, Dask: {d1['cpu']:.2f} s with 1 worker, {d2['cpu']:.2f} s with 2 "
            f"({100 * (d2['cpu'] / d1['cpu'] - 1):+.0f}%)"
        )
    if scaling:
        print(f"Control: two processes of pure Python arithmetic run {scaling:.2f}× one")
    if costs:
        print(
            f"Start Python: {costs['python']:.2f} s; + import nbformat: {costs['nbformat']:.2f} s "
            f"({costs['nbformat_deferred']:.2f} s without rfc3987_syntax). The naive loop "
            f"starts two such processes per report: about "
            f"{2 * (costs['nbformat'] - costs['nbformat_deferred']):.1f} s of each naive report "
            "is that one package's import (python-jsonschema/jsonschema#1428)."
        )
    print(
        "\n'CPU s/report' = CPU time of the job (worker process; naive: the CLI processes and their "
        "kernel), the core-seconds a report costs whatever else the machine is doing; "
        "'s/report' = wall time / reports (what the projection uses: 2,875 × s/report, start-up "
        "included). Per-report core seconds are means over the reports of the run (each step timed "
        "in the worker; 'total' is the whole job, writing outputs aside). naive: 'kernel start' = "
        "papermill CLI wall time minus cell execution (CLI start-up + kernel start); 'execute' "
        "includes computing the results and drawing in the kernel; 'convert' = nbconvert CLI. "
        "Ours: results and figures are computed in the warm worker; with the in-process engine the "
        "notebook runs in the worker too (kernel start 0). Wall times include starting the workers "
        "(and the Dask cluster)."
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--counties", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--work", type=Path, help="working folder (default: a temporary one, removed at the end)"
    )
    ap.add_argument("--quick", action="store_true", help="skip the 1-worker pool run")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive loop (no ratio then)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="tcmbench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        counties = make_counties(args.counties, work / "counties", args.seed)
        print(
            f"{len(counties)} synthetic counties (seed {args.seed}) in {work}; CPUs: {os.cpu_count()}",
            flush=True,
        )
        runs = [] if args.no_naive else [naive(counties, work)]
        if runs:
            print(f"naive: {runs[-1]['wall']:.1f} s", flush=True)
        plan = [
            ("batch pool", 2, None, "inprocess"),
            ("batch pool, kernel engine", 2, None, "kernel"),
            ("dask local", 1, "local", "inprocess"),
            ("dask local", 2, "local", "inprocess"),
        ]
        if not args.quick:
            plan.insert(0, ("batch pool", 1, None, "inprocess"))
        for label, w, dask, engine in plan:
            runs.append(ours(counties, work, f"{label} {w}w", w, dask, engine))
            print(f"{runs[-1]['mode']}: {runs[-1]['wall']:.1f} s", flush=True)
        small = counties[:2]
        for label, engine in (
            ("2 counties, pool", "inprocess"),
            ("2 counties, pool, kernel engine", "kernel"),
        ):
            runs.append(ours(small, work, f"{label} 2w", 2, None, engine))
            print(f"{runs[-1]['mode']}: {runs[-1]['wall']:.1f} s", flush=True)
        print_table(runs, import_costs(), cpu_scaling())
        if args.json:
            args.json.write_text(json.dumps(runs, indent=1), encoding="utf-8")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
