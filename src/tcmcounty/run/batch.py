"""Render reports for many counties: in parallel, resumable, on a process pool or Dask.

:func:`run_batch` turns every input (bundle folders, workbooks, or folders holding them) into
a :class:`~tcmcounty.run.report.JobSpec` and runs the jobs:

* **Parallel** — on a pool of worker processes started once (the library, papermill and
  nbconvert are imported once per worker, not once per county), or on a Dask cluster
  (``dask="local"`` starts a ``LocalCluster`` bound to 127.0.0.1; any other value is the
  address of an existing scheduler, which receives the input files with each job).
  Each job starts its own kernel, talking over private IPC sockets (no port races).
* **Robust** — a per-job time limit (the kernel is killed past it), retries for transient
  kernel failures, a worker that dies or hangs is replaced; one failure never stops the
  others. ``batch_status.csv`` says for every county ``ok``, ``skipped``, ``failed`` or
  ``timeout``, with the error and the outputs.
* **Resumable** — a county whose inputs, template, parameters and library are unchanged
  since its last successful report is skipped (``force=True`` re-renders). Every file is
  written atomically, the JSON record last, so a batch killed at any moment leaves no
  half-written file and the next run renders exactly the missing reports.
* **Exclusive** — a lock on the output folder stops a second batch from writing there at the
  same time, with a clear message.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import functools
import gc
import logging
import multiprocessing as mp
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tcmcounty.errors import CountyNotFoundError, ReportError
from tcmcounty.reporting.parameters import ReportParameters
from tcmcounty.reporting.records import JobKind, JobRecord
from tcmcounty.run.report import (
    KIND_COMPARE,
    KIND_COUNTY,
    JobOutcome,
    JobSpec,
    OutputLock,
    check_kernel,
    check_output_folder,
    clean_partial_files,
    failure_record,
    is_up_to_date,
    make_spec,
    run_job,
    write_outcome,
)

STATUS_FILE = "batch_status.csv"
STATUS_COLUMNS = (
    "county",
    "status",
    "duration",
    "error",
    "outputs",
    "name_zh",
    "attempts",
    "input",
    "results_s",
    "figures_s",
    "execute_s",
    "convert_s",
    "worker",
)
#: Steps of a job whose seconds the status table shows (from the job record's ``durations``).
STEP_COLUMNS = {
    "results_s": "results",
    "figures_s": "figures",
    "execute_s": "execute",
    "convert_s": "convert",
}
#: A pool worker is replaced by a fresh process after this many reports (and after any failure),
#: so that whatever a notebook leaves behind in the worker never accumulates.
JOBS_PER_WORKER = 100
#: During a batch, ``batch_status.csv`` is rewritten at most once per this many times the
#: seconds its last rewrite took (it is always written at the end).
STATUS_BUDGET = 50.0
#: Seconds added to the per-job limit before the parent stops a worker that did not answer.
GRACE = 120.0

log = logging.getLogger(__name__)


@dataclass
class BatchRow:
    """One line of ``batch_status.csv``."""

    county: str
    status: str
    duration: float = 0.0
    error: str = ""
    outputs: str = ""
    name_zh: str = ""
    attempts: int = 0
    input: str = ""
    results_s: float | str = ""
    figures_s: float | str = ""
    execute_s: float | str = ""
    convert_s: float | str = ""
    worker: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the row as a dictionary keyed by :data:`STATUS_COLUMNS`."""
        return {c: getattr(self, c) for c in STATUS_COLUMNS}


@dataclass
class BatchResult:
    """What a batch did: one row per county (and comparison), in input order."""

    out_dir: Path
    rows: list[BatchRow] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 0
    backend: str = "pool"
    #: What went wrong with the output folder itself (removed, read-only, status not written).
    problems: list[str] = field(default_factory=list)
    #: What the batch did of its own accord (inputs skipped as the tool's own outputs).
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[BatchRow]:
        """Rows that failed or timed out (or were not run because the batch stopped)."""
        return [r for r in self.rows if r.status not in ("ok", "skipped")]

    @property
    def exit_code(self) -> int:
        """0 when every county succeeded or was up to date and every table was written, else 1."""
        return 1 if self.failed or self.problems else 0

    def counts(self) -> dict[str, int]:
        """Return the number of rows per status."""
        out: dict[str, int] = {}
        for r in self.rows:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def summary(self) -> str:
        """Return a short bilingual summary, listing every failure with its reason."""
        c = self.counts()
        parts = ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
        lines = [
            f"{len(self.rows)} jobs in {self.seconds:.1f} s ({self.backend}, {self.workers} workers): {parts}"
            f" / 共 {len(self.rows)} 项"
        ]
        if self.failed:
            lines.append(f"{len(self.failed)} failed / 失败 {len(self.failed)} 项:")
            lines += [f"  {r.county}: {r.status}: {r.error}" for r in self.failed]
        lines += [f"note / 说明: {n}" for n in self.notes]
        lines += [f"problem / 问题: {p}" for p in self.problems]
        if not any(p.startswith(STATUS_FILE) for p in self.problems):
            lines.append(f"status table / 状态表: {self.out_dir / STATUS_FILE}")
        return "\n".join(lines)


# =============================================================================================
# Inputs


#: Files every batch writes into its output folder (besides each report's own files).
BATCH_FILES = ("index.html", "summary.xlsx", STATUS_FILE)


def own_outputs(folder: Path) -> set[str]:
    """Return the names of the files in ``folder`` that a batch wrote there.

    Read from the folder's report records (each lists its outputs: the worklist workbook,
    the HTML, the notebook), plus the batch's own tables (:data:`BATCH_FILES`) when there is
    at least one record. Together with the mark in the tool's workbooks
    (:func:`tcmcounty.io.is_output_workbook`) this tells a report folder's files from county
    inputs without trusting file names alone.
    """
    from tcmcounty.run.report import read_record

    names: set[str] = set()
    try:
        records = [p for p in folder.glob("*.json") if p.is_file() and not p.is_symlink()]
    except OSError:
        return names
    for p in records:
        rec = read_record(p)
        if rec is None:
            continue
        names.add(p.name)
        names.update(rec.outputs)
    if names:
        names.update(BATCH_FILES)
    return names


def _is_own_output(path: Path, manifest: dict[Path, set[str]]) -> bool:
    """Tell whether ``path`` is a file the tool wrote (its mark, or its folder's records)."""
    from tcmcounty.io import is_output_workbook

    if not path.is_file():
        return False
    if is_output_workbook(path):
        return True
    folder = path.parent
    if folder not in manifest:
        manifest[folder] = own_outputs(folder)
    return path.name in manifest[folder]


def discover(
    inputs: Sequence[str | os.PathLike[str]], notes: list[str] | None = None
) -> tuple[list[Path], list[BatchRow]]:
    """Expand inputs into county inputs; return them and rows for inputs that are no county.

    Each input may be a bundle folder (with ``county.toml``), an Excel workbook, a folder
    holding such bundles or workbooks (one level down), or a bundled county's name. Files the
    tool wrote itself — a report folder's ``summary.xlsx``, worklists, index — are skipped
    (:func:`_is_own_output`), each with a line appended to ``notes``.
    """
    from tcmcounty.inputs.load import resolve
    from tcmcounty.reporting.results import is_county_input

    found: list[Path] = []
    bad: list[BatchRow] = []
    manifest: dict[Path, set[str]] = {}
    skipped: list[Path] = []

    def county(p: Path) -> bool:
        if not is_county_input(p):
            return False
        if _is_own_output(p, manifest):
            skipped.append(p)
            return False
        return True

    for item in inputs:
        p = Path(item)
        if is_county_input(p):
            if county(p):
                found.append(p)
        elif p.is_dir():
            kids = sorted(c for c in p.iterdir() if not c.name.startswith(".") and county(c))
            if kids:
                found.extend(kids)
            else:
                bad.append(
                    BatchRow(
                        p.name or str(p),
                        "failed",
                        error="no county bundle (folder with county.toml) or .xlsx workbook here "
                        "/ 该目录下没有县数据"
                        + (
                            " (only files tcmcounty wrote: a report folder? / 只有本工具生成的文件)"
                            if skipped
                            else ""
                        ),
                        input=str(p),
                    )
                )
        else:
            try:
                found.append(resolve(str(item)))
            except CountyNotFoundError as exc:
                bad.append(BatchRow(p.name or str(item), "failed", error=str(exc), input=str(item)))
    if notes is not None:
        notes += [
            f"skipped {p}: written by tcmcounty (a report folder's summary or worklist), not a "
            "county / 已跳过本工具生成的文件（非县数据）"
            for p in skipped
        ]
    seen: set[Path] = set()
    unique = []
    for p in found:
        rp = p.resolve()
        if rp not in seen:
            seen.add(rp)
            unique.append(p)
    return unique, bad


# =============================================================================================
# Status table


def write_status(out_dir: Path, rows: Sequence[BatchRow]) -> Path:
    """Write ``batch_status.csv`` atomically (UTF-8 with BOM, so spreadsheets read Chinese).

    Cells go through :func:`tcmcounty.io.csv_text`: text that a spreadsheet would run as a
    formula starts with ``'``.
    """
    from tcmcounty.io import csv_bytes, csv_text
    from tcmcounty.run.index import write_file_atomic

    text = csv_text(
        ([getattr(r, c) for c in STATUS_COLUMNS] for r in rows), header=list(STATUS_COLUMNS)
    )
    target = out_dir / STATUS_FILE
    write_file_atomic(target, csv_bytes(text, bom=True))
    return target


def read_status(out_dir: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Read ``batch_status.csv`` back (for tests and tools)."""
    with open(Path(out_dir) / STATUS_FILE, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _row(
    spec: JobSpec, outcome: JobOutcome | None, status: str, error: str = "", duration: float = 0.0
) -> BatchRow:
    rec = outcome.record if outcome else None
    counties = rec.counties if rec else []
    steps: dict[str, float | str] = {}
    if rec is not None and status != "skipped":
        for col, key in STEP_COLUMNS.items():
            v = rec.durations.get(key)
            steps[col] = round(float(v), 3) if isinstance(v, (int, float)) else ""
    return BatchRow(
        county=spec.name,
        status=status,
        duration=round(duration, 2),
        error=error.replace("\n", " ")[:1000],
        outputs=";".join(rec.outputs) if rec else "",
        name_zh="、".join(str(c.get("name_zh") or "") for c in counties),
        attempts=rec.attempts if rec else 0,
        input=";".join(spec.inputs),
        worker=str((rec.extra.get("worker") or "") if rec and status != "skipped" else ""),
        **steps,
    )


# =============================================================================================
# Process pool (one warm worker per core, each job in its own kernel)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the batch process dies (its kernels follow)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def warm_up() -> None:
    """Import what every report needs and build the HTML exporter, once per worker process.

    Called when a pool worker starts (and by a Dask worker on its first job), so the first
    county's time is like every other's.
    """
    import nbformat
    import papermill  # noqa: F401

    from tcmcounty.reporting import county_view, plotting, views  # noqa: F401
    from tcmcounty.run import report
    from tcmcounty.run.engine import engine_class
    from tcmcounty.run.execute import warm_up_fonts

    engine_class()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("warm-up 预热")])
    report.notebook_to_html(nb)
    warm_up_fonts()
    # what is loaded now lives as long as the worker: keep the collector from walking it
    # again in every full collection (~0.1 s of CPU per report, measured)
    gc.collect()
    gc.freeze()


def _worker_main(conn: Any, parent_pid: int) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.getppid() != parent_pid:
        return
    with contextlib.suppress(Exception):
        warm_up()
    while True:
        try:
            spec = conn.recv()
        except (EOFError, OSError):
            return
        if spec is None:
            return
        outcome = run_job(spec)
        try:
            conn.send(outcome)
        except (BrokenPipeError, OSError):
            return


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for d in proc.iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_worker_main,
            args=(child, os.getpid()),
            daemon=True,
            name="tcmcounty-report-worker",
        )
        self.proc.start()
        child.close()
        self.spec: JobSpec | None = None
        self.started = 0.0
        self.jobs = 0

    def kill(self) -> None:
        from tcmcounty.run.execute import is_folder_watcher

        for pid in _descendants(self.proc.pid or -1):
            if is_folder_watcher(pid):  # it removes the job folder once the worker is gone
                continue
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.proc.kill()
        self.proc.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        self.proc.join(10)
        if self.proc.is_alive():
            self.kill()


def _run_pool(
    specs: Sequence[JobSpec], workers: int, on_done: Callable[[JobSpec, JobOutcome], None]
) -> None:
    ctx = mp.get_context("spawn")
    pending: deque[JobSpec] = deque(specs)
    crashes: dict[str, int] = {}
    pool = [_Worker(ctx) for _ in range(max(1, min(workers, len(specs))))]
    try:
        while pending or any(w.spec for w in pool):
            for w in pool:
                if w.spec is None and pending:
                    w.spec, w.started = pending.popleft(), time.monotonic()
                    w.jobs += 1
                    w.conn.send(w.spec)
            busy = [w for w in pool if w.spec is not None]
            ready = multiprocessing.connection.wait(
                [w.conn for w in busy] + [w.proc.sentinel for w in busy], 1.0
            )
            for i, w in enumerate(pool):
                spec = w.spec
                if spec is None:
                    continue
                outcome: JobOutcome | None = None
                died = ""
                if w.conn in ready or w.proc.sentinel in ready:
                    try:
                        if w.conn.poll():
                            outcome = w.conn.recv()
                        else:
                            died = f"worker process died (exit code {w.proc.exitcode}) / 工作进程意外退出"
                    except (EOFError, OSError):
                        died = (
                            f"worker process died (exit code {w.proc.exitcode}) / 工作进程意外退出"
                        )
                limit = (spec.timeout or 0) * (spec.retries + 1) + GRACE if spec.timeout else None
                if outcome is None and not died and limit and time.monotonic() - w.started > limit:
                    died = f"timeout: no answer from the worker after {limit:.0f} s; worker stopped"
                if outcome is None and not died:
                    continue
                w.spec = None
                if died:
                    w.kill()
                    pool[i] = _Worker(ctx)
                    crashes[spec.name] = crashes.get(spec.name, 0) + 1
                    if not died.startswith("timeout") and crashes[spec.name] <= spec.retries:
                        pending.appendleft(spec)
                        continue
                    outcome = JobOutcome(
                        spec.name,
                        spec.kind,
                        "timeout" if died.startswith("timeout") else "failed",
                        failure_record(
                            spec,
                            died,
                            crashes[spec.name],
                            "timeout" if died.startswith("timeout") else "failed",
                        ),
                        {},
                        died,
                    )
                else:
                    assert outcome is not None  # no worker died: its answer came (see above)
                    if w.jobs >= JOBS_PER_WORKER or (
                        outcome.status != "ok" and outcome.record.extra.get("notebook_started")
                    ):
                        # a notebook that failed may have left the worker in any state:
                        # start afresh
                        w.stop()
                        pool[i] = _Worker(ctx)
                on_done(spec, outcome)
    finally:
        for w in pool:
            if w.spec is not None:
                w.kill()
            else:
                w.stop()


# =============================================================================================
# Dask


@contextlib.contextmanager
def dask_client(address: str, workers: int) -> Iterator[Any]:
    """Yield a Dask client: ``"local"`` starts a LocalCluster on 127.0.0.1 only; else connect to ``address``."""
    from dask.distributed import Client, LocalCluster

    if address == "local":
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
    else:
        if "://" not in address and ":" not in address:
            raise ReportError(
                f"--dask expects 'local' or a scheduler address like tcp://host:8786, not {address!r}"
            )
        with Client(address, timeout="30s") as client:
            yield client


def _run_dask(
    specs: Sequence[JobSpec], client: Any, on_done: Callable[[JobSpec, JobOutcome], None]
) -> None:
    from dask.distributed import as_completed, wait

    # every worker imports the library and builds the exporter once, all at the same time
    # (a warm-up task pinned to each worker), so no county pays for it
    warm = [
        client.submit(
            warm_up, key=f"tcmcounty-warm-up-{a}-{time.time_ns()}", workers=[a], pure=False
        )
        for a in client.scheduler_info().get("workers", {})
    ]
    with contextlib.suppress(Exception):
        wait(warm, timeout=120)
    futures = {
        client.submit(
            run_job, s, key=f"tcmcounty-{s.name}-{os.getpid()}-{time.time_ns()}", pure=False
        ): s
        for s in specs
    }
    for fut in as_completed(list(futures)):
        spec = futures[fut]
        try:
            outcome = fut.result()
        except Exception as exc:
            err = f"{type(exc).__name__}: {exc}"[:1000]
            outcome = JobOutcome(spec.name, spec.kind, "failed", failure_record(spec, err), {}, err)
        on_done(spec, outcome)


# =============================================================================================
# The batch


def _job_size(spec: JobSpec) -> int:
    """Bytes of a job's inputs: a cheap estimate of its cost (more villages, more bytes)."""
    if spec.bundle_files:
        return sum(len(b) for files in spec.bundle_files for b in files.values())
    total = 0
    for src in spec.inputs:
        p = Path(src)
        with contextlib.suppress(OSError):
            total += (
                p.stat().st_size
                if p.is_file()
                else sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
            )
    return total


def default_workers() -> int:
    """One worker per available CPU."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


#: Signals that stop a batch: SIGINT as Ctrl-C does (:class:`KeyboardInterrupt`), SIGTERM and
#: SIGHUP as :class:`Terminated` (exit 128 + the signal's number).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Install the batch's own handlers for :data:`STOP_SIGNALS`, whatever was inherited.

    A process started in the background by a script inherits SIGINT *ignored* (and Python then
    installs no handler of its own): without this, Ctrl-C or ``kill -INT`` would do nothing and
    the batch would run on. Here SIGINT always raises :class:`KeyboardInterrupt` and SIGTERM /
    SIGHUP raise :class:`Terminated`, so the batch stops its workers and kernels, writes the
    status table and the index, and exits with 130 / 143 / 129. A second SIGTERM or SIGHUP
    while that runs ends the process at once. The previous handlers come back afterwards.
    Outside the main thread (where Python cannot set handlers) nothing is changed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        for s in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_DFL)
        raise Terminated(signum)

    old = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)


def _stopping_on_signals(func: Callable[..., BatchResult]) -> Callable[..., BatchResult]:
    """Run ``func`` under :func:`stop_on_signals`."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> BatchResult:
        with stop_on_signals():
            return func(*args, **kwargs)

    return run


@_stopping_on_signals
def run_batch(
    inputs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str] = "reports",
    *,
    workers: int | None = None,
    timeout: float | None = 600.0,
    retries: int = 1,
    force: bool = False,
    dask: str | None = None,
    template: str | os.PathLike[str] | None = None,
    compare_template: str | os.PathLike[str] | None = None,
    comparisons: Sequence[Sequence[str | os.PathLike[str]]] = (),
    parameters: ReportParameters | Mapping[str, Any] | None = None,
    kernel_name: str | None = None,
    show_code: bool = False,
    progress: bool = True,
    index: bool = True,
    engine: str = "inprocess",
) -> BatchResult:
    """Render a report for every county in ``inputs`` into ``out_dir``.

    Parameters
    ----------
    inputs : sequence of paths or names
        Bundle folders, workbooks, folders holding them, or bundled county names.
    out_dir : path
        Output folder; locked for the duration of the batch.
    workers : int, optional
        Parallel jobs (default: one per CPU).
    timeout : float, optional
        Seconds per job (kernel start plus execution); ``None`` for no limit.
    retries : int
        Extra attempts after a transient kernel failure (a kernel that died or did not start).
    force : bool
        Re-render counties whose report is up to date.
    dask : str, optional
        ``"local"`` for a LocalCluster on this machine (127.0.0.1 only), or a scheduler address.
    comparisons : sequence of sequences
        County lists to render side by side with ``compare_counties.ipynb``.
    parameters : ReportParameters or dict, optional
        Checked parameters (:func:`tcmcounty.run.report.county_parameters`), or their JSON
        form (:meth:`~tcmcounty.reporting.parameters.ReportParameters.template_parameters`,
        checked here); ``None``: the defaults.
    engine : {"inprocess", "kernel"}
        ``inprocess`` (default) executes each notebook inside the warm worker, in a fresh
        namespace (:mod:`tcmcounty.run.engine`); ``kernel`` starts a Jupyter kernel per report.

    Returns
    -------
    BatchResult
        Rows of the status table; ``exit_code`` is 1 when any job failed.

    Raises
    ------
    ReportError
        If the output folder is locked by another run, or the kernel is not installed.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    kernel = kernel_name or None
    params, workers = _check_batch_arguments(engine, kernel, parameters, workers)
    notes: list[str] = []
    paths, rows = discover(inputs, notes)
    # before the lock creates anything: never write into (or below) a county's input folder
    check_output_folder(out, [*inputs, *paths, *(g for group in comparisons for g in group)])
    remote = bool(dask) and dask != "local"
    result = BatchResult(
        out, workers=workers, backend=f"dask {dask}" if dask else "pool", notes=notes
    )
    with OutputLock(out, "tcmcounty batch"):
        where = _folder_id(out)
        clean_partial_files(out)
        paths = _outside_output(out, paths)
        jobs = _job_list(paths, comparisons, template, compare_template, rows)
        settings = _SpecSettings(
            params, kernel, timeout, retries, show_code, None if remote else out / ".cache", remote
        )
        specs = _job_specs(jobs, settings, engine, rows)
        board = _skip_up_to_date(out, specs, rows, force)
        write_status(out, board.table())
        # the largest counties first, so the batch does not end waiting for one big county
        # while the other workers are idle (longest-processing-time-first scheduling)
        board.todo.sort(key=_job_size, reverse=True)
        _run_todo(out, where, board, result, dask, workers, progress, index, t0)
    return result


def _check_batch_arguments(
    engine: str,
    kernel: str | None,
    parameters: ReportParameters | Mapping[str, Any] | None,
    workers: int | None,
) -> tuple[ReportParameters, int]:
    """Check the kernel (kernel engine), the parameters and the number of workers."""
    if engine == "kernel":
        check_kernel(kernel or os.environ.get("TCMCOUNTY_KERNEL") or "python3")
    params = (
        parameters
        if isinstance(parameters, ReportParameters)
        else ReportParameters.from_template(None, parameters or {})
    )
    workers = workers or default_workers()
    if workers < 1:
        raise ReportError(f"workers must be >= 1, not {workers}")
    return params, workers


def _outside_output(out: Path, paths: list[Path]) -> list[Path]:
    """Drop the inputs that lie in the output folder (its own summary.xlsx ...)."""
    # never take the output folder's own files (summary.xlsx ...) for county inputs
    out_abs = out.resolve()
    return [p for p in paths if out_abs != p.resolve() and out_abs not in p.resolve().parents]


def _job_list(
    paths: list[Path],
    comparisons: Sequence[Sequence[str | os.PathLike[str]]],
    template: str | os.PathLike[str] | None,
    compare_template: str | os.PathLike[str] | None,
    rows: list[BatchRow],
) -> list[tuple[list[Any], JobKind, Any]]:
    """List the county and comparison jobs; a comparison of an unknown county gets a failed row."""
    from tcmcounty.inputs.load import resolve

    jobs: list[tuple[list[Any], JobKind, Any]] = [([p], KIND_COUNTY, template) for p in paths]
    for group in comparisons:
        try:
            jobs.append(([resolve(g) for g in group], KIND_COMPARE, compare_template))
        except CountyNotFoundError as exc:
            rows.append(
                BatchRow("compare", "failed", error=str(exc), input=";".join(map(str, group)))
            )
    return jobs


@dataclass(frozen=True)
class _SpecSettings:
    """What every job of the batch shares: parameters, kernel, limits and the results cache."""

    parameters: ReportParameters
    kernel_name: str | None
    timeout: float | None
    retries: int
    show_code: bool
    cache_dir: Path | None
    ship_inputs: bool


def _job_specs(
    jobs: list[tuple[list[Any], JobKind, Any]],
    settings: _SpecSettings,
    engine: str,
    rows: list[BatchRow],
) -> list[JobSpec]:
    """Make each job's spec; one that cannot be made or repeats a name gets a failed row."""
    specs: list[JobSpec] = []
    names: set[str] = set()
    for group, kind, tpl in jobs:
        try:
            spec = make_spec(
                group,
                kind=kind,
                template=tpl,
                parameters=settings.parameters,
                kernel_name=settings.kernel_name,
                timeout=settings.timeout,
                retries=settings.retries,
                show_code=settings.show_code,
                cache_dir=settings.cache_dir,
                ship_inputs=settings.ship_inputs,
                engine=engine,
            )
        except (ReportError, OSError) as exc:
            rows.append(
                BatchRow(
                    Path(group[0]).name,
                    "failed",
                    error=str(exc),
                    input=";".join(map(str, group)),
                )
            )
            continue
        if spec.name in names:
            rows.append(
                BatchRow(
                    spec.name,
                    "failed",
                    error="two inputs give the same report name; rename one folder / 报告名称重复",
                    input=";".join(spec.inputs),
                )
            )
            continue
        names.add(spec.name)
        specs.append(spec)
    return specs


@dataclass
class _Board:
    """The status table: rows failed before running, jobs done (or skipped), jobs to do."""

    rows: list[BatchRow]
    order: dict[str, int]
    done: dict[str, BatchRow] = field(default_factory=dict)
    todo: list[JobSpec] = field(default_factory=list)

    def table(self) -> list[BatchRow]:
        """Return the rows in input order: failed early, done, then pending."""
        order = self.order
        return (
            list(self.rows)
            + [self.done[n] for n in sorted(self.done, key=order.__getitem__)]
            + [
                BatchRow(s.name, "pending", input=";".join(s.inputs))
                for s in sorted(self.todo, key=lambda s: order[s.name])
                if s.name not in self.done
            ]
        )

    def not_run(self, error: str) -> None:
        """Mark every job not done as not run, saying why."""
        for s in self.todo:
            if s.name not in self.done:
                self.done[s.name] = BatchRow(
                    s.name, "not run", error=error, input=";".join(s.inputs)
                )


def _skip_up_to_date(out: Path, specs: list[JobSpec], rows: list[BatchRow], force: bool) -> _Board:
    """Mark the reports that are up to date as skipped; the others are to do."""
    board = _Board(rows, {s.name: i for i, s in enumerate(specs)})
    for s in specs:
        try:
            from tcmcounty.run.report import job_inputs_hash

            fresh = not force and is_up_to_date(out, s, job_inputs_hash(s.inputs, s.parameters))
        except OSError:
            fresh = False
        if fresh:
            from tcmcounty.run.report import read_record

            rec = read_record(out / f"{s.name}.json") or JobRecord(s.kind, s.name, "ok")
            board.done[s.name] = _row(s, JobOutcome(s.name, s.kind, "ok", rec), "skipped")
        else:
            board.todo.append(s)
    return board


@dataclass
class _OnDone:
    """Record each finished job: its outputs, its row, the status table and the bar."""

    out: Path
    where: tuple[int, int]
    board: _Board
    bar: Any
    failures: int = 0
    status_due: float = 0.0

    def __call__(self, spec: JobSpec, outcome: JobOutcome) -> None:
        """Write the job's outputs and row; stop the batch if the output folder is lost."""
        out = self.out
        unwritable = ""
        try:
            write_outcome(out, outcome, create=False)
            status, error = outcome.status, outcome.error
        except (
            OSError,
            ReportError,
        ) as exc:  # e.g. disk full: the old files stay, the row says why
            status, error = (
                "failed",
                f"could not write the outputs: {exc} / 无法写入输出文件（磁盘已满或无权限？）",
            )
            if isinstance(exc, OSError) and exc.errno in _UNWRITABLE:
                unwritable = (
                    f"the output folder {out} cannot be written ({exc.strerror}) / 输出目录无法写入"
                )
        if status != "ok":
            self.failures += 1
        self.board.done[spec.name] = _row(
            spec,
            outcome,
            status,
            error,
            outcome.record.durations.get("total", 0.0),
        )
        lost = _folder_problem(out, self.where) or unwritable
        if lost:  # no point rendering the rest: nothing can be written
            raise _OutputLost(lost)
        if time.monotonic() >= self.status_due:
            # the whole table is rewritten: after every county in a small batch, but at
            # most 2% of the time in a large one (36 ms for 2,875 rows); always at the end
            t = time.monotonic()
            with contextlib.suppress(OSError):
                write_status(out, self.board.table())
            self.status_due = t + STATUS_BUDGET * (time.monotonic() - t)
        bar = self.bar
        if bar is not None:
            bar.set_postfix_str(f"failed {self.failures}" if self.failures else "", refresh=False)
            bar.update(1)


def _run_todo(
    out: Path,
    where: tuple[int, int],
    board: _Board,
    result: BatchResult,
    dask: str | None,
    workers: int,
    progress: bool,
    index: bool,
    t0: float,
) -> None:
    """Run the jobs to do on the pool or Dask; always write the status table and index."""
    todo = board.todo
    bar = _progress(len(todo), progress)
    on_done = _OnDone(out, where, board, bar)
    try:
        if todo:
            if dask:
                with dask_client(dask, workers) as client:
                    result.workers = len(client.scheduler_info().get("workers", {})) or workers
                    _run_dask(todo, client, on_done)
            else:
                _run_pool(todo, workers, on_done)
    except _OutputLost as exc:
        board.not_run(f"{exc}; batch stopped / 批处理已停止")
        result.problems.append(str(exc))
    except KeyboardInterrupt as exc:
        board.not_run(
            "batch terminated / 批处理被终止"
            if isinstance(exc, Terminated)
            else "batch interrupted / 批处理被中断"
        )
        raise
    finally:
        if bar is not None:
            bar.close()
        result.rows = board.table()
        result.problems += _write_tables(out, where, result.rows, index)
        result.seconds = time.perf_counter() - t0


#: Write errors that no later county will escape (a full disk may free up; these do not).
_UNWRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


class _OutputLost(Exception):
    """The output folder was removed or made read-only during the batch."""


class Terminated(KeyboardInterrupt):
    """The batch was stopped by a signal (SIGTERM, SIGHUP); ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _folder_id(out: Path) -> tuple[int, int]:
    st = os.stat(out)
    return st.st_dev, st.st_ino


def _folder_problem(out: Path, where: tuple[int, int]) -> str:
    """Say what is wrong with the output folder (removed, replaced, read-only), or ``""``."""
    try:
        same = _folder_id(out) == where
    except OSError:
        same = False
    if not same:
        return f"the output folder {out} was removed or replaced during the run / 输出目录在运行中被删除"
    if not os.access(out, os.W_OK | os.X_OK):
        return (
            f"the output folder {out} was made read-only during the run / 输出目录在运行中变为只读"
        )
    return ""


def _write_tables(
    out: Path, where: tuple[int, int], rows: Sequence[BatchRow], index: bool
) -> list[str]:
    """Write ``batch_status.csv`` (and the index) at the end; return what could not be written.

    Never raises: the batch's own result still tells the truth when the folder cannot take it.
    A folder removed during the run is not recreated.
    """
    from tcmcounty.run.index import write_index

    lost = _folder_problem(out, where)
    if lost.startswith(f"the output folder {out} was removed"):
        return [f"{STATUS_FILE} and index.html not written: {lost}"]
    problems = []
    try:
        write_status(out, rows)
    except OSError as exc:
        problems.append(f"{STATUS_FILE} not written ({exc}); the table above is the true status")
    if index:
        try:
            write_index(out)
        except Exception as exc:  # the batch's result must reach the user whatever a record holds
            problems.append(f"index.html / summary.xlsx not written: {type(exc).__name__}: {exc}")
    return problems


class LineProgress:
    """Progress as plain lines (for logs, where a bar would be a wall of carriage returns).

    Prints ``done/total``, the rate, the failures and the expected end every ``every``
    seconds and at the end; the same calls as a ``tqdm`` bar.

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> p = LineProgress(4, file=buf, every=0, clock=iter([0.0, 60.0, 120.0]).__next__)
    >>> p.update(1); p.update(1)
    >>> print(buf.getvalue().splitlines()[-1])
    reports 报告 2/4 (50%), 1.0/min, ETA 2 min (elapsed 2 min)
    """

    def __init__(
        self,
        total: int,
        *,
        file: Any = None,
        every: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.n, self.every, self.clock = total, 0, every, clock
        self.file = file if file is not None else sys.stderr
        self.start = clock()
        self.last = -1e18
        self.postfix = ""

    def set_postfix_str(self, text: str, refresh: bool = False) -> None:
        """Set the text shown after the counts (the failures so far)."""
        self.postfix = text

    def line(self, now: float) -> str:
        """Return the progress line at time ``now``."""
        elapsed = max(now - self.start, 1e-9)
        rate = self.n / elapsed * 60
        left = (self.total - self.n) / (self.n / elapsed) if self.n else float("nan")
        eta = "?" if left != left else _minutes(left)
        tail = f", {self.postfix}" if self.postfix else ""
        return (
            f"reports 报告 {self.n}/{self.total} ({self.n / self.total:.0%}), {rate:.1f}/min, "
            f"ETA {eta} (elapsed {_minutes(elapsed)}){tail}"
        )

    def update(self, n: int = 1) -> None:
        """Count ``n`` more reports done; print a line when ``every`` seconds have passed."""
        self.n += n
        now = self.clock()
        if now - self.last >= self.every or self.n >= self.total:
            self.last = now
            print(self.line(now), file=self.file, flush=True)

    def close(self) -> None:
        """Nothing to clean up (the same call as a bar)."""


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _progress(total: int, enabled: bool) -> Any:
    """Return a bar with rate and ETA on a terminal, plain lines elsewhere (``None`` if off)."""
    if not enabled or total == 0:
        return None
    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return LineProgress(total)
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="report",
        desc="reports 报告",
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=0.5,
    )
