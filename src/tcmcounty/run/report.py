"""County reports: execute a notebook template with papermill and write self-contained HTML.

Three layers, one module each:

* **Notebook side** (:mod:`tcmcounty.reporting.views`) — parameter checks and the HTML sections that the
  templates display; the notebooks hold no computation.
* **Execution** (:mod:`tcmcounty.run.execute`) — a fresh kernel per job, then HTML with code hidden.
* **Jobs and outputs** (this module) — **one job** — :func:`run_job` executes a template for one county (or a comparison) in a
  fresh kernel and converts it to HTML with code hidden. It writes nothing into the output
  folder: it returns a :class:`JobOutcome` holding the bytes of every output, so the same job
  runs in a local process pool or on a remote Dask worker.
* **Writing** — :func:`write_outcome` puts the outputs in place atomically (temporary file,
  then rename; the JSON record last, as the commit mark), and :func:`render_report` /
  :func:`render_comparison` do all of it for one report under an :class:`OutputLock`.

Kernels talk to the client over IPC sockets in a private temporary folder, not TCP ports, so
parallel jobs can never race for a port. Parameters reach the kernel as Python literals
written by papermill (``repr``-escaped strings), never as code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import socket
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tcmcounty._version import __version__
from tcmcounty.errors import InputError, NotebookFailed, ReportError, TcmCountyError
from tcmcounty.io import FileKind, UnusableFileError, check_user_file, mark_output_xlsx
from tcmcounty.reporting.parameters import LANGUAGES as LANGUAGES
from tcmcounty.reporting.parameters import ReportParameters as ReportParameters
from tcmcounty.reporting.records import JobKind, JobStatus, report_name
from tcmcounty.reporting.records import JobRecord as JobRecord
from tcmcounty.reporting.records import output_name as output_name
from tcmcounty.reporting.records import safe_name as safe_name
from tcmcounty.reporting.views import CompareView as CompareView
from tcmcounty.reporting.views import CountyView as CountyView
from tcmcounty.reporting.views import check_compare_parameters as check_compare_parameters
from tcmcounty.reporting.views import check_parameters as check_parameters
from tcmcounty.run.engine import ENGINES

# The notebook side (views) and execution are re-exported for templates and callers.
from tcmcounty.run.execute import DEFAULT_KERNEL as DEFAULT_KERNEL
from tcmcounty.run.execute import KernelTimeoutError as KernelTimeoutError
from tcmcounty.run.execute import (
    check_kernel,
    default_kernel,
    execute_template,
    has_traceback,
    is_transient,
    job_folder,
    notebook_to_html,
)
from tcmcounty.run.execute import embed_cjk_font as embed_cjk_font
from tcmcounty.run.execute import strip_timestamp as strip_timestamp

if TYPE_CHECKING:
    from tcmcounty.run.pdf import PdfEngine

#: Largest report the batch accepts without a warning in the record (bytes).
MAX_HTML_BYTES = 2 * 1024 * 1024
#: Record ``kind`` of a county report and of a comparison.
KIND_COUNTY: JobKind = "county_report"
KIND_COMPARE: JobKind = "comparison"
#: Name of the lock file in an output folder.
LOCK_NAME = ".tcmcounty.lock"


def template_path(name: str = "county_report") -> Path:
    """Return the path of a bundled notebook template (``county_report``, ``compare_counties``).

    Looked for in ``$TCMCOUNTY_NOTEBOOKS``, then among the templates shipped with the package
    (:func:`tcmcounty.resources.template`), then in ``./notebooks``.

    Raises
    ------
    ReportError
        If the template cannot be found.
    """
    from tcmcounty import resources

    env = os.environ.get("TCMCOUNTY_NOTEBOOKS")
    if env and (Path(env) / f"{name}.ipynb").is_file():
        return Path(env) / f"{name}.ipynb"
    shipped = resources.template(name)
    if shipped is not None:
        return shipped
    local = Path.cwd() / "notebooks" / f"{name}.ipynb"
    if local.is_file():
        return local
    looked = [p for p in (env, resources.templates_dir(), Path.cwd() / "notebooks") if p]
    raise ReportError(
        f"notebook template {name}.ipynb not found (looked in "
        f"{', '.join(str(p) for p in looked)}; the package ships it in tcmcounty/notebooks/ — "
        f"reinstall tcmcounty); pass --template PATH / 未找到报告模板"
    )


#: A report template file (``--template``).
TEMPLATE_FILE = FileKind(
    "report template",
    "报告模板",
    "a Jupyter notebook (.ipynb: JSON with cells), such as notebooks/county_report.ipynb",
    "Jupyter 笔记本（.ipynb，含 cells 的 JSON），如 notebooks/county_report.ipynb",
    max_bytes=64 * 1024 * 1024,
)


class TemplateFileError(UnusableFileError, ReportError):
    """A file given as a report template is not a notebook (never quoted in the message)."""


def read_template(path: str | os.PathLike[str]) -> str:
    """Return the text of a report template after checking that it is a notebook.

    The file must be UTF-8 JSON that nbformat reads as a notebook. Anything else is refused
    naming the file and what a template is (:class:`TemplateFileError`), never quoting it:
    nbformat's own message starts with the file's first characters.

    Raises
    ------
    TemplateFileError
        If the file is missing, unreadable, not UTF-8, not JSON or not a notebook.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.ipynb"
    >>> _ = p.write_text("SECRET-TOKEN-123", encoding="utf-8")
    >>> read_template(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    tcmcounty.run.report.TemplateFileError: ...t.ipynb: report template is not JSON; expected a Jupyter notebook ...
    """
    import nbformat

    tpl = check_user_file(path, TEMPLATE_FILE, TemplateFileError)
    try:
        text = tpl.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise TemplateFileError(
            tpl, TEMPLATE_FILE, "is not UTF-8 text", "不是 UTF-8 文本"
        ) from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise TemplateFileError(tpl, TEMPLATE_FILE, "is not JSON", "不是 JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise TemplateFileError(
            tpl, TEMPLATE_FILE, "is JSON but no notebook", "是 JSON 但不是笔记本"
        )
    try:
        nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat's errors quote the file: only their kind is said
        raise TemplateFileError(
            tpl,
            TEMPLATE_FILE,
            f"is no notebook nbformat reads ({type(exc).__name__})",
            "无法按笔记本读取",
        ) from None
    return text


# =============================================================================================
# Jobs


@dataclass
class JobSpec:
    """Everything one report job needs (picklable; sent to pool or Dask workers).

    ``parameters`` are the checked parameters shared by the job's counties (``county`` empty);
    the job turns them into the template's JSON parameters
    (:meth:`~tcmcounty.reporting.parameters.ReportParameters.template_parameters`) only where
    the notebook and the record need them. ``bundle_files`` carries the input's files
    (relative path -> bytes) when the worker may not see the submitting machine's file system
    (a remote Dask cluster).
    """

    name: str
    kind: JobKind
    inputs: list[str]
    template: str
    template_text: str
    parameters: ReportParameters
    kernel_name: str
    timeout: float | None = 600.0
    retries: int = 1
    show_code: bool = False
    cache_dir: str | None = None
    bundle_files: list[dict[str, bytes]] | None = None
    fail_on_stderr: bool = False
    engine: str = "inprocess"


@dataclass
class JobOutcome:
    """Result of :func:`run_job`: status, error, its record and the bytes of every output.

    ``record`` becomes JSON only when it is written (:func:`write_outcome`).
    """

    name: str
    kind: JobKind
    status: JobStatus
    record: JobRecord
    files: dict[str, bytes] = field(default_factory=dict)
    error: str = ""


def params_hash(parameters: ReportParameters) -> str:
    """Hash of the report parameters that change the output (not the county, not cache folders).

    The hash of their JSON form (:meth:`ReportParameters.template_parameters`), as written in
    every record's ``params_hash`` (a resumed batch compares the two).

    Examples
    --------
    >>> p = ReportParameters.from_raw(report_date="2024-06-30", require_county=False)
    >>> params_hash(p) == params_hash(p.for_county("wenxi"))
    True
    >>> params_hash(p) == params_hash(replace(p, language="en"))
    False
    """
    keep = parameters.template_parameters()
    return hashlib.sha256(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()


def template_hash(text: str) -> str:
    """SHA-256 of a template's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _materialise(spec: JobSpec, workdir: Path) -> list[str]:
    if not spec.bundle_files:
        return list(spec.inputs)
    out = []
    for i, (src, files) in enumerate(zip(spec.inputs, spec.bundle_files, strict=True)):
        base = workdir / "in" / f"{i}" / Path(src).name
        for rel, data in files.items():
            target = (base / rel).resolve()
            if base.resolve() not in target.parents and target != base.resolve():
                raise ReportError(f"refusing to write {rel!r} outside the job folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        out.append(
            str(base / Path(src).name)
            if Path(src).suffix.lower() in (".xlsx", ".xlsm") and (base / Path(src).name).is_file()
            else str(base)
        )
    return out


def bundle_files(path: str | os.PathLike[str], limit: int = 200 * 1024 * 1024) -> dict[str, bytes]:
    """Read a bundle folder's (or workbook's) files for shipping to a remote worker."""
    p = Path(path)
    if p.is_file():
        return {p.name: p.read_bytes()}
    files, total = {}, 0
    for f in sorted(p.rglob("*")):
        rel = f.relative_to(p)
        if f.is_file() and not any(part.startswith(".") for part in rel.parts):
            total += f.stat().st_size
            if total > limit:
                raise ReportError(
                    f"{p} is larger than {limit // 2**20} MB; use a shared file system"
                )
            files[rel.as_posix()] = f.read_bytes()
    return files


def _summarise_error(exc: BaseException) -> str:
    name = type(exc).__name__
    if isinstance(exc, NotebookFailed):  # in notebook cell 7: KeyError: 'pop'
        return str(exc)[:2000]
    if isinstance(exc, InputError):
        lines = str(exc).splitlines()
        return (" | ".join(lines[:4]) + (f" | … {len(lines) - 4} more" if len(lines) > 4 else ""))[
            :2000
        ]
    if name == "DeadKernelError":
        return f"{name}: {exc} / 内核意外退出"[:2000]
    return f"{name}: {exc}"[:2000]


def run_job(spec: JobSpec) -> JobOutcome:
    """Execute one report job; never raises for a failure of the county (see ``status``).

    Steps: load (or compute and cache) the county's results, execute the template in a fresh
    kernel (retrying transient kernel failures up to ``spec.retries`` times), convert to
    HTML. Returns the record and the bytes of the HTML and executed notebook; writes nothing
    outside a private temporary folder (and the results cache, when given).
    """
    t_start, cpu_start = time.perf_counter(), time.process_time()
    durations: dict[str, float] = {}
    record = _new_record(spec)
    files: dict[str, bytes] = {}
    status: JobStatus = "failed"
    error = ""
    workdir = job_folder()  # removed even if this process is killed (kernel keys inside)
    try:
        inputs = _materialise(spec, workdir)
        record.inputs_hash = job_inputs_hash(inputs, spec.parameters)
        computed = _compute_results(spec, inputs, record, durations)
        nb = _execute_notebook(spec, inputs, workdir, computed, record, durations)
        _convert_outputs(spec, nb, computed, record, durations, files)
        status = "ok"
    except KernelTimeoutError as exc:
        status, error = "timeout", str(exc)
    except Exception as exc:
        error = _record_failure(spec, exc, record, files)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    durations["total"] = round(time.perf_counter() - t_start, 4)
    # CPU seconds of this process (a kernel's own are not in it): the core-seconds of the job
    durations["cpu"] = round(time.process_time() - cpu_start, 4)
    record.status, record.error = status, error
    record.durations = durations
    record.outputs = sorted(k for k in files if not k.startswith("."))
    return JobOutcome(spec.name, spec.kind, status, record, files, error)


def _new_record(spec: JobSpec) -> JobRecord:
    """Start the job's record: what it renders, from which inputs, with which code."""
    from tcmcounty.reporting import results as R

    return JobRecord(
        kind=spec.kind,
        name=spec.name,
        template_hash=template_hash(spec.template_text),
        # what the inputs say about themselves, so a county that fails to load keeps its
        # adcode and name in the index and summary.xlsx (replaced by the loaded county's)
        counties=[input_identity(p) for p in spec.inputs],
        extra={
            "inputs": spec.inputs,
            "template": spec.template,
            "parameters": _jsonable(spec.parameters.template_parameters()),
            "params_hash": params_hash(spec.parameters),
            "package_version": __version__,
            "package_build": R.code_hash(),
            "kernel_name": spec.kernel_name,
            "engine": spec.engine,
            "worker": f"{socket.gethostname()}:{os.getpid()}",
            "python": sys.version.split()[0],
        },
    )


@dataclass
class _Computed:
    """The counties' results computed outside the kernel, and their identities."""

    results: list[tuple[str, Any]]
    counties: list[dict[str, Any]]


def _compute_results(
    spec: JobSpec, inputs: list[str], record: JobRecord, durations: dict[str, float]
) -> _Computed:
    """Step 1: load or compute each county's results (and figures); fill the record's summary."""
    from tcmcounty.inputs.load import resolve
    from tcmcounty.reporting import results as R
    from tcmcounty.reporting.readiness import results_readiness

    t = time.perf_counter()
    headline: dict[str, Any] = {}
    county_meta: list[dict[str, Any]] = []
    indicators: list[list[dict[str, Any]]] = []
    p = spec.parameters
    computed: list[tuple[str, Any]] = []
    for path in inputs:
        params = replace(p, county=str(resolve(path)), results_dir=spec.cache_dir)
        res = R.results_for(params)
        if res.cache_notes:  # a cache entry that did not load was recomputed: say so
            record.notes.extend(res.cache_notes)
        c = res.county
        county_meta.append(
            {
                "adcode": c.adcode,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "province": c.province,
                "city": c.city,
                "status_counts": c.status_counts(),
            }
        )
        if spec.kind == KIND_COUNTY:
            # draw the figures here (library and fonts already loaded), so the kernel only embeds them
            lang = p.language
            if lang not in res.figures or len(res.figures[lang]) < len(CountyView.FIGURES):
                t_fig = time.perf_counter()
                CountyView(params, results=res).prerender()
                durations["figures"] = round(time.perf_counter() - t_fig, 4)
                if spec.cache_dir:
                    with contextlib.suppress(OSError):  # the kernel recomputes, that is all
                        R.save_results(res, spec.cache_dir)
        computed.append((path, res))
        indicators.append(res.indicator_records())
        if not headline:
            headline = res.headline()
            if spec.kind == KIND_COUNTY:  # the index's readiness column, on the report date
                headline.update(results_readiness(res, p.report_date).record())
    durations["results"] = round(time.perf_counter() - t - durations.get("figures", 0.0), 4)
    record.counties = county_meta
    record.headline = headline
    record.indicators = indicators[0] if spec.kind == KIND_COUNTY and indicators else indicators
    return _Computed(computed, county_meta)


def _execute_notebook(
    spec: JobSpec,
    inputs: list[str],
    workdir: Path,
    computed: _Computed,
    record: JobRecord,
    durations: dict[str, float],
) -> Any:
    """Step 2: execute the template, retrying transient kernel failures; return the notebook."""
    from tcmcounty.reporting import results as R

    # the notebook gets the parameters as JSON (papermill writes them as literals)
    nb_params: dict[str, Any] = spec.parameters.template_parameters()
    if spec.kind == KIND_COUNTY:
        nb_params["county"] = inputs[0]
    else:
        nb_params["counties"] = inputs
    if spec.cache_dir:
        nb_params["results_dir"] = spec.cache_dir
    template = workdir / "template.ipynb"
    template.write_text(spec.template_text, encoding="utf-8")
    record.extra["notebook_started"] = True  # a failure from here on may leave state behind
    nb = None
    while True:
        record.attempts += 1
        kdir = workdir / f"k{record.attempts}"
        kdir.mkdir()
        try:
            # in process, the notebook gets these very results (nothing read back)
            with R.handed_over(computed.results if spec.engine == "inprocess" else []):
                nb, d = execute_template(
                    template,
                    nb_params,
                    workdir=kdir,
                    kernel_name=spec.kernel_name,
                    timeout=spec.timeout,
                    engine=spec.engine,
                )
            durations.update(d)
            break
        except Exception as exc:
            if record.attempts <= spec.retries and is_transient(exc):
                record.extra.setdefault("retried", []).append(_summarise_error(exc))
                continue
            raise
    record.extra["cell_seconds"] = [
        round(float(c.get("metadata", {}).get("papermill", {}).get("duration") or 0), 3)
        for c in nb.cells
        if c.get("cell_type") == "code"
    ]
    err = has_traceback(nb)
    if err:
        raise ReportError(f"the executed notebook holds an error: {err}")
    return nb


def _convert_outputs(
    spec: JobSpec,
    nb: Any,
    computed: _Computed,
    record: JobRecord,
    durations: dict[str, float],
    files: dict[str, bytes],
) -> None:
    """Step 3: convert the notebook to HTML; add the report's files (and worklists) to ``files``."""
    t = time.perf_counter()
    county_meta = computed.counties
    title = (
        f"{county_meta[0]['name_zh']} {county_meta[0]['name_en']}"
        if spec.kind == KIND_COUNTY
        else "县域比较 " + "、".join(m["name_zh"] for m in county_meta)
    )
    body = notebook_to_html(nb, show_code=spec.show_code, title=title)
    durations["convert"] = round(time.perf_counter() - t, 4)
    import nbformat

    files[f"{spec.name}.html"] = body.encode("utf-8")
    files[f"{spec.name}.ipynb"] = nbformat.writes(nb).encode("utf-8")
    if spec.kind == KIND_COUNTY:  # the worklists (整改清单) the report links to
        from tcmcounty.reporting import worklists as W

        res = computed.results[-1][1]
        lists = [*W.worklists(res), *W.unit_worklists(res, spec.parameters.report_date)]
        files[W.worklist_file_name(spec.name)] = W.worklists_xlsx_bytes(lists)
    record.html_bytes = size = len(files[f"{spec.name}.html"])
    if size > MAX_HTML_BYTES:
        record.warning = f"report is {size / 2**20:.1f} MB (> 2 MB)"


def _record_failure(
    spec: JobSpec, exc: Exception, record: JobRecord, files: dict[str, bytes]
) -> str:
    """Keep a failed notebook and (for an unexpected error) the traceback; return the error."""
    error = _summarise_error(exc)
    failed_nb = exc.executed if isinstance(exc, NotebookFailed) else None
    if failed_nb is not None:
        import nbformat

        files[f".failed/{spec.name}.ipynb"] = nbformat.writes(failed_nb).encode("utf-8")
    if not isinstance(exc, (TcmCountyError, OSError)):  # NotebookFailed is a TcmCountyError
        record.extra["traceback"] = traceback.format_exc(limit=8)[-4000:]
    return error


def input_identity(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the adcode and names of a county input without loading it (for failed jobs).

    Read from a bundle's ``county.toml`` when it parses, else guessed from the folder or
    workbook name (``512021-anyue``); never raises.

    Examples
    --------
    >>> input_identity("/nowhere/512021-anyue")["adcode"]
    '512021'
    """
    import tomllib

    from tcmcounty.run.index import guess_county

    p = Path(path)
    out = guess_county(output_name(p))
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        meta = tomllib.loads((p / "county.toml").read_text(encoding="utf-8"))
        basics = meta.get("county", meta) if isinstance(meta.get("county"), dict) else meta
        for key in ("adcode", "name_zh", "name_en"):
            v = basics.get(key)
            if isinstance(v, (str, int)) and not isinstance(v, bool):
                out[key] = str(v)
    return out


def failure_record(
    spec: JobSpec, error: str, attempts: int = 0, status: JobStatus = "failed"
) -> JobRecord:
    """Return the record of a job that never reported back (worker died, Dask failure)."""
    return JobRecord(
        kind=spec.kind,
        name=spec.name,
        status=status,
        error=error,
        attempts=attempts,
        counties=[input_identity(p) for p in spec.inputs],
        extra={"inputs": spec.inputs, "package_version": __version__},
    )


def job_inputs_hash(inputs: Sequence[str], parameters: ReportParameters | None = None) -> str:
    """Return the hash of a job's input files, and of its road layer or friction raster if any.

    A changed road file under the same path changes the hash, so the batch renders the county
    again instead of skipping it (:func:`is_up_to_date` compares it with the record's).

    Parameters
    ----------
    inputs : sequence of str
        The job's county bundle folders or workbooks (:attr:`JobSpec.inputs`); one for a county
        report, several for a comparison.
    parameters : ReportParameters, optional
        The job's parameters; only their road layer or friction raster (its contents) and
        travel mode count. None: the inputs alone.

    Returns
    -------
    str
        A SHA-256 hex digest: of the one input's files
        (:func:`tcmcounty.reporting.cachekeys.inputs_hash`), or of the inputs' digests in
        order, then with the travel options added when there are any.
    """
    from tcmcounty.reporting import results as R

    h = (
        R.inputs_hash(inputs[0])
        if len(inputs) == 1
        else hashlib.sha256("".join(R.inputs_hash(p) for p in inputs).encode()).hexdigest()
    )
    travel = parameters.travel_args() if parameters is not None else {}
    if travel:
        key = json.dumps(R.travel_key(travel), sort_keys=True, default=str)
        h = hashlib.sha256((h + key).encode()).hexdigest()
    return h


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(d, default=str))
    return out


# =============================================================================================
# Writing outputs


def write_outcome(
    out_dir: str | os.PathLike[str], outcome: JobOutcome, *, create: bool = True
) -> Path:
    """Write a job's outputs into ``out_dir``, all or nothing; the JSON record is written last.

    Every output and the record are first written in full to temporary files, then renamed
    into place (:func:`tcmcounty.io.write_files_atomic`): a full disk or a folder made
    read-only leaves the county's earlier files as they were — never a new HTML without its
    record. A failed job leaves earlier good outputs of the same county in place (its record
    says it failed); the failed notebook, if any, goes to ``.failed/``.

    Parameters
    ----------
    out_dir : path
        The output folder.
    outcome : JobOutcome
        What :func:`run_job` returned.
    create : bool
        Create ``out_dir`` when it does not exist (a batch passes ``False``: a folder deleted
        during the run is an error, not something to recreate).

    Raises
    ------
    ReportError
        A name points outside ``out_dir`` (nothing is written), or ``out_dir`` is gone.
    OSError
        Writing failed (nothing was changed).
    """
    from tcmcounty.io import write_files_atomic
    from tcmcounty.run.index import PUBLIC_MODE

    out = Path(out_dir)
    if create:
        out.mkdir(parents=True, exist_ok=True)
    elif not out.is_dir():
        raise ReportError(
            f"the output folder {out} was removed during the run / 输出目录在运行中被删除"
        )
    root = out.resolve()
    record_name = f"{outcome.name}.json"
    # check every target (the record too) before writing any: all or nothing
    for rel in [*outcome.files, record_name]:
        if root not in (out / rel).resolve().parents:
            raise ReportError(f"refusing to write {rel!r} outside {out}")
    written = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    rec = replace(outcome.record, written=written).to_json()
    # the report's workbooks (worklists) are marked: a batch over this folder skips them
    files = {
        out / rel: mark_output_xlsx(data) if rel.lower().endswith(".xlsx") else data
        for rel, data in outcome.files.items()
    }
    files[out / record_name] = (
        json.dumps(rec, ensure_ascii=False, indent=1, default=str) + "\n"
    ).encode("utf-8")
    for target in files:
        if target.parent != out:
            target.parent.mkdir(parents=True, exist_ok=True)
    write_files_atomic(files, PUBLIC_MODE)
    return out / record_name


def read_record(path: str | os.PathLike[str]) -> JobRecord | None:
    """Read a report's JSON record, checked (``None`` if missing, unreadable or not a record).

    Fields of the wrong type are replaced by empty values (:meth:`JobRecord.from_json`).
    """
    p = Path(path)
    try:
        return JobRecord.from_json(json.loads(p.read_text(encoding="utf-8")), p.stem)
    except (OSError, ValueError, RecursionError):
        return None


def is_up_to_date(out_dir: str | os.PathLike[str], spec: JobSpec, inputs_hash: str) -> bool:
    """Tell whether ``out_dir`` holds an up-to-date successful report of ``spec``.

    Up to date: the same inputs hash, template hash, parameters, package version and build,
    and every output file present.
    """
    from tcmcounty.reporting import results as R

    out = Path(out_dir)
    rec = read_record(out / f"{spec.name}.json")
    if rec is None or rec.status != "ok":
        return False
    same = (
        rec.inputs_hash == inputs_hash
        and rec.template_hash == template_hash(spec.template_text)
        and rec.extra.get("params_hash") == params_hash(spec.parameters)
        and rec.extra.get("package_version") == __version__
        and rec.extra.get("package_build") == R.code_hash()
    )
    outputs = rec.outputs
    return same and f"{spec.name}.html" in outputs and all((out / f).is_file() for f in outputs)


def check_output_folder(
    out_dir: str | os.PathLike[str], inputs: Sequence[str | os.PathLike[str]]
) -> None:
    """Refuse an output folder that is an input folder or lies inside one.

    Reports written into a county's folder would change its inputs (and so its hash) on every
    run, and a batch over the folder would take the reports for counties.

    Raises
    ------
    ReportError
        Naming the input and the fix (``--out`` elsewhere).
    """
    out = Path(out_dir).resolve()
    for item in inputs:
        p = Path(item)
        if not p.is_dir():
            continue
        root = p.resolve()
        if out == root or root in out.parents:
            raise ReportError(
                f"the output folder {out_dir} is {'the' if out == root else 'inside the'} input "
                f"folder {item}; choose --out outside it (e.g. {root.parent / 'reports'}) "
                "/ 输出目录不能是输入目录或位于其中，请另选 --out"
            )


def clean_partial_files(out_dir: str | os.PathLike[str]) -> int:
    """Remove temporary files left by an interrupted atomic write (``.<name>.*.tmp*``)."""
    out = Path(out_dir)
    n = 0
    if not out.is_dir():
        return 0
    for p in [*out.glob(".*.tmp*"), *out.glob(".failed/.*.tmp*"), *out.glob(".cache/.*.tmp*")]:
        if p.is_file() and re.match(r"^\..+\.[^.]*\.?tmp", p.name):
            p.unlink(missing_ok=True)
            n += 1
    return n


class OutputLock:
    """An exclusive lock on an output folder, so two runs never write the same reports.

    Uses ``fcntl.flock`` on ``<out>/.tcmcounty.lock``: the operating system releases it when
    the process ends, even after SIGKILL, so a stale lock never blocks the next run.

    Raises
    ------
    ReportError
        From ``__enter__`` when another process holds the lock (with its pid and start time).
    """

    def __init__(self, out_dir: str | os.PathLike[str], what: str = "tcmcounty") -> None:
        self.path = Path(out_dir) / LOCK_NAME
        self.what = what
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:  # never follow a symlink planted in place of the lock (it would be overwritten)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:
            if not self.path.is_symlink():
                raise
            raise ReportError(
                f"{self.path} is a symbolic link; remove it and run again "
                f"/ 锁文件是符号链接，请删除后重试 ({exc.strerror})"
            ) from None
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            self._fd = fd
            return self
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
            finally:
                os.close(fd)
            raise ReportError(
                f"another tcmcounty run is writing to {self.path.parent} ({holder or 'unknown process'}); "
                f"wait for it to finish or choose another --out folder "
                f"/ 另一个任务正在写入该目录，请等待其结束或换一个输出目录"
            ) from None
        info = f"pid {os.getpid()}, {self.what}, started {dt.datetime.now().astimezone().isoformat(timespec='seconds')}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing releases the flock
            self._fd = None


# =============================================================================================
# One report


def county_parameters(**raw: Any) -> ReportParameters:
    """Check the parameters shared by every county of a run (the library's way in).

    A thin call to :meth:`tcmcounty.reporting.parameters.ReportParameters.from_raw` without a
    county: ``population``, ``thresholds_km``, ``targets``, ``report_date``, ``language``;
    ``roads`` / ``friction`` / ``mode`` add travel times (docs/travel.md).

    Parameters
    ----------
    **raw
        The parameters, raw (``None`` or ``""``: the default).

    Returns
    -------
    ReportParameters
        With ``county == ""``; :meth:`~ReportParameters.template_parameters` gives their JSON.

    Raises
    ------
    ReportError
        With a bilingual message naming the parameter.

    Examples
    --------
    >>> p = county_parameters(report_date="2024-06-30", thresholds_km="5,2")
    >>> p.county, p.thresholds_km, p.template_parameters()["report_date"]
    ('', (2.0, 5.0), '2024-06-30')
    """
    return ReportParameters.from_raw(require_county=False, **raw)


def _shared(parameters: ReportParameters | None, raw: Mapping[str, Any]) -> ReportParameters:
    """Return the parameters of a run: checked ones, or keyword ones checked here (not both)."""
    if parameters is None:
        return county_parameters(**raw)
    if raw:
        raise ReportError(
            f"give parameters= or keyword parameters ({', '.join(raw)}), not both "
            "/ 参数只能以一种方式给出"
        )
    return parameters


def workbook_name(path: str | os.PathLike[str]) -> str:
    """Report name of a county input: :func:`~tcmcounty.reporting.records.report_name` of its meta.

    A workbook is named after the county it holds; one whose county cannot be read keeps the
    file's stem.
    """
    p = Path(path)
    if not p.is_file():
        return output_name(p)
    from tcmcounty.inputs.load import read_raw

    try:
        meta = read_raw(p).meta
    except Exception:  # the job itself reports what is wrong with the workbook
        return output_name(p)
    return report_name(p, meta.get("adcode"), meta.get("name_en"), meta.get("name_zh"))


def make_spec(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    kind: JobKind = KIND_COUNTY,
    name: str | None = None,
    template: str | os.PathLike[str] | None = None,
    parameters: ReportParameters | Mapping[str, Any] | None = None,
    kernel_name: str | None = None,
    timeout: float | None = 600.0,
    retries: int = 1,
    show_code: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    ship_inputs: bool = False,
    engine: str = "inprocess",
) -> JobSpec:
    """Build a :class:`JobSpec` for a county report or a comparison.

    ``parameters`` are checked ones (:func:`county_parameters`), or their JSON form
    (:meth:`ReportParameters.template_parameters`, checked here); ``None``: the defaults.
    ``engine`` is ``"inprocess"`` (the default: the notebook runs in the worker, see
    :mod:`tcmcounty.run.engine`) or ``"kernel"`` (a fresh Jupyter kernel per report).
    """
    if engine not in ENGINES:
        raise ReportError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    tpl = (
        Path(template)
        if template
        else template_path("county_report" if kind == KIND_COUNTY else "compare_counties")
    )
    text = read_template(tpl)
    paths = [str(Path(p).resolve()) for p in inputs]
    if name is None:
        name = (
            workbook_name(paths[0])
            if kind == KIND_COUNTY
            else "compare-" + "-".join(output_name(p).split("-", 1)[-1] for p in paths)
        )
    return JobSpec(
        name=safe_name(name),
        kind=kind,
        inputs=paths,
        template=str(tpl),
        template_text=text,
        parameters=(
            parameters
            if isinstance(parameters, ReportParameters)
            else ReportParameters.from_template(None, parameters or {})
        ),
        kernel_name=kernel_name or default_kernel(),
        timeout=timeout,
        retries=retries,
        show_code=show_code,
        cache_dir=str(Path(cache_dir).resolve()) if cache_dir else None,
        bundle_files=[bundle_files(p) for p in paths] if ship_inputs else None,
        engine=engine,
    )


def render_report(
    county: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] = "reports",
    *,
    template: str | os.PathLike[str] | None = None,
    show_code: bool = False,
    timeout: float | None = 600.0,
    retries: int = 1,
    kernel_name: str | None = None,
    index: bool = True,
    pdf: bool = False,
    engine: str = "inprocess",
    parameters: ReportParameters | None = None,
    **params: Any,
) -> JobRecord:
    """Render one county's report into ``out_dir``; return its record.

    Parameters
    ----------
    county : str or path
        A bundle folder, a workbook, or a bundled county's name.
    out_dir : path
        Output folder (``<name>.html``, ``<name>.ipynb``, ``<name>.json``; results cache in
        ``.cache/``).
    pdf : bool
        Also print the finished HTML to ``<name>.pdf`` beside it (:mod:`tcmcounty.run.pdf`; needs
        Chromium, checked before any work).
    engine : {"inprocess", "kernel"}
        How the template is executed (:func:`make_spec`).
    parameters : ReportParameters, optional
        Checked parameters (:func:`county_parameters`), instead of ``params``.
    params
        Template parameters: ``population``, ``thresholds_km``, ``targets``, ``report_date``,
        ``language``, ``roads``, ``friction``, ``mode`` (checked by :func:`county_parameters`).

    Returns
    -------
    JobRecord
        What the job did; its JSON is ``<name>.json`` in ``out_dir``.

    Raises
    ------
    ReportError
        If the report failed (the record in ``out_dir`` says why) or the folder is locked.
    tcmcounty.run.pdf.PdfEngineError
        ``pdf`` is true and no HTML→PDF engine is installed (nothing is rendered).
    """
    from tcmcounty.inputs.load import resolve
    from tcmcounty.run import index as I

    printer = _pdf_engine(pdf)
    if engine == "kernel":
        check_kernel(kernel_name or default_kernel())
    path = resolve(county)
    out = Path(out_dir)
    check_output_folder(out, [path])
    spec = make_spec(
        [path],
        template=template,
        parameters=_shared(parameters, params),
        kernel_name=kernel_name,
        timeout=timeout,
        retries=retries,
        show_code=show_code,
        cache_dir=out / ".cache",
        engine=engine,
    )
    with OutputLock(out, "tcmcounty report"):
        clean_partial_files(out)
        outcome = run_job(spec)
        write_outcome(out, outcome)
        if index:
            I.write_index(out)
        if outcome.status == "ok" and printer is not None:
            _print_pdf(out, spec.name, printer)
    if outcome.status != "ok":
        raise ReportError(f"report for {spec.name} {outcome.status}: {outcome.error}")
    return outcome.record


def render_comparison(
    counties: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str] = "reports",
    *,
    name: str | None = None,
    template: str | os.PathLike[str] | None = None,
    show_code: bool = False,
    timeout: float | None = 600.0,
    retries: int = 1,
    kernel_name: str | None = None,
    lock: bool = True,
    pdf: bool = False,
    engine: str = "inprocess",
    parameters: ReportParameters | None = None,
    **params: Any,
) -> JobRecord:
    """Render a side-by-side comparison of ``counties`` into ``out_dir``; return its record.

    ``pdf`` also prints the finished HTML to ``<name>.pdf``; ``parameters`` or ``params`` as in
    :func:`render_report`.
    """
    from tcmcounty.inputs.load import resolve

    printer = _pdf_engine(pdf)
    if engine == "kernel":
        check_kernel(kernel_name or default_kernel())
    paths = [resolve(c) for c in counties]
    out = Path(out_dir)
    check_output_folder(out, paths)
    spec = make_spec(
        paths,
        kind=KIND_COMPARE,
        name=name,
        template=template,
        parameters=_shared(parameters, params),
        kernel_name=kernel_name,
        timeout=timeout,
        retries=retries,
        show_code=show_code,
        cache_dir=out / ".cache",
        engine=engine,
    )
    ctx = OutputLock(out, "tcmcounty comparison") if lock else contextlib.nullcontext()
    with ctx:
        outcome = run_job(spec)
        write_outcome(out, outcome)
        if outcome.status == "ok" and printer is not None:
            _print_pdf(out, spec.name, printer)
    if outcome.status != "ok":
        raise ReportError(f"comparison {spec.name} {outcome.status}: {outcome.error}")
    return outcome.record


def _pdf_engine(pdf: bool) -> PdfEngine | None:
    """Return the HTML→PDF engine when ``pdf`` is asked for (raise if none), else ``None``."""
    if not pdf:
        return None
    from tcmcounty.run.pdf import require_engine

    return require_engine()


def _print_pdf(out: Path, name: str, engine: PdfEngine) -> Path:
    """Print the final ``<name>.html`` in ``out`` to ``<name>.pdf`` beside it, atomically."""
    from tcmcounty.run.pdf import write_pdf

    return write_pdf(out / f"{name}.html", engine=engine)


__all__ = [
    "CompareView",
    "CountyView",
    "JobOutcome",
    "JobSpec",
    "OutputLock",
    "ReportParameters",
    "check_compare_parameters",
    "check_kernel",
    "check_parameters",
    "execute_template",
    "make_spec",
    "notebook_to_html",
    "render_comparison",
    "render_report",
    "run_job",
    "strip_timestamp",
    "write_outcome",
]
