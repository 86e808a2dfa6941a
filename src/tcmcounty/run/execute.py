"""Executing a report template in a fresh kernel and converting it to self-contained HTML.

Kernels talk to the client over IPC sockets in a private temporary folder, not TCP ports, so
parallel jobs can never race for a port. Parameters reach the kernel as Python literals
written by papermill (``repr``-escaped strings), never as code.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import functools
import hashlib
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tcmcounty.errors import NotebookFailed, ReportError, TcmCountyError
from tcmcounty.run.engine import ENGINES

#: Kernel used to execute templates (installed with ``python -m ipykernel install --sys-prefix``).
DEFAULT_KERNEL = "python3"

# =============================================================================================
# Executing a template


class KernelTimeoutError(ReportError):
    """The job ran past its time limit and its kernel was stopped."""


def _kernel_manager_class(job_dir: Path, registry: dict[str, Any]) -> type:
    """Return a kernel manager class that talks over IPC sockets in ``job_dir`` (no ports to race for)."""
    from jupyter_client.manager import AsyncKernelManager

    use_ipc = os.name == "posix"

    class _JobKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            if use_ipc:
                kwargs.setdefault("transport", "ipc")
                kwargs.setdefault("ip", str(job_dir / "k"))
            kwargs.setdefault("connection_file", str(job_dir / "kernel.json"))
            super().__init__(**kwargs)
            registry["km"] = self

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            # the kernel's own stdout/stderr (not cell outputs) go to a log, not the batch's terminal
            log = open(job_dir / "kernel.log", "ab")
            registry["log"] = log
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
            await super().start_kernel(**kw)

    return _JobKernelManager


def check_kernel(kernel_name: str = DEFAULT_KERNEL) -> None:
    """Check that ``kernel_name`` exists and runs this Python environment.

    Raises
    ------
    ReportError
        With the command that fixes it (``python -m ipykernel install --sys-prefix``).
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    fix = f"{sys.executable} -m ipykernel install --sys-prefix --name {kernel_name}"
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise ReportError(
            f"Jupyter kernel {kernel_name!r} is not installed; run: {fix} / 未安装 Jupyter 内核"
        ) from None
    exe = spec.argv[0] if spec.argv else ""
    if exe in {"python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"}:
        return
    try:
        same = (
            Path(exe).resolve().parent == Path(sys.executable).resolve().parent
            or Path(exe).resolve() == Path(sys.executable).resolve()
        )
    except OSError:
        same = False
    if not same:
        raise ReportError(
            f"Jupyter kernel {kernel_name!r} runs {exe}, not this environment's "
            f"{sys.executable}; run: {fix} (or set TCMCOUNTY_KERNEL) / 内核不属于当前环境"
        )


def default_kernel() -> str:
    """Kernel name: ``$TCMCOUNTY_KERNEL`` or ``python3``."""
    return os.environ.get("TCMCOUNTY_KERNEL") or DEFAULT_KERNEL


_TRANSIENT = (
    "DeadKernelError",
    "Kernel died",
    "kernel died",
    "Kernel didn't respond",
    "ZMQError",
    "Address already in use",
    "Kernel is dead",
    "kernel_info",
)


def is_transient(exc: BaseException) -> bool:
    """Tell kernel failures worth a retry (died, did not start) from errors in cells."""
    if isinstance(exc, (KernelTimeoutError, TcmCountyError)):  # NotebookFailed among them
        return False
    from nbclient.exceptions import CellControlSignal, CellExecutionError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, (PapermillExecutionError, CellExecutionError, CellControlSignal)):
        return False  # a cell's own error or time limit (CellTimeoutError is a CellControlSignal)
    text = f"{type(exc).__name__}: {exc}"
    return any(t in text for t in _TRANSIENT) or isinstance(exc, (TimeoutError, ConnectionError))


def execute_template(
    template: Path,
    parameters: dict[str, Any],
    *,
    workdir: Path,
    kernel_name: str | None = None,
    timeout: float | None = None,
    start_timeout: float = 60,
    engine: str = "inprocess",
) -> tuple[Any, dict[str, float]]:
    """Execute a notebook template with papermill, in this process or in a fresh kernel.

    Parameters
    ----------
    template : path
        Notebook with a cell tagged ``parameters``.
    parameters : dict
        Injected by papermill as Python literals.
    workdir : path
        Private folder for the kernel's sockets and working directory (short path).
    kernel_name : str, optional
        Default :func:`default_kernel`.
    timeout : float, optional
        Seconds for kernel start plus execution; past it the kernel is killed (or the cell
        interrupted) and :class:`KernelTimeoutError` raised.
    engine : {"inprocess", "kernel"}
        ``inprocess`` (the default) runs the cells in this process in a fresh namespace
        (:mod:`tcmcounty.run.engine`, a papermill engine); ``kernel`` starts a Jupyter kernel
        for this notebook alone (any notebook, magics and inline pyplot included).

    Returns
    -------
    (nbformat.NotebookNode, dict)
        The executed notebook and durations ``kernel_start`` (0 in process) and ``execute``
        (seconds).

    Raises
    ------
    NotebookFailed
        If a cell raised (the notebook as far as it ran is its ``.executed``).
    KernelTimeoutError
        If the time limit was reached.
    """
    import nbformat
    import papermill

    if engine not in ENGINES:
        raise ReportError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    kernel_name = kernel_name or default_kernel()
    if engine == "inprocess":
        return _execute_in_process(template, parameters, workdir, kernel_name, timeout)
    registry: dict[str, Any] = {}
    marks: dict[str, float] = {}
    out_nb = workdir / "executed.ipynb"
    timed_out = threading.Event()

    def on_start(**_: Any) -> None:
        marks["started"] = time.perf_counter()

    def watchdog() -> None:
        timed_out.set()
        km = registry.get("km")
        prov = getattr(km, "provisioner", None)
        proc = getattr(prov, "process", None)
        pid = getattr(proc, "pid", None) or getattr(prov, "pid", None)
        if pid:
            with contextlib.suppress(OSError):
                os.kill(int(pid), signal.SIGKILL)

    timer = threading.Timer(timeout, watchdog) if timeout else None
    t0 = time.perf_counter()
    if timer:
        timer.daemon = True
        timer.start()
    try:
        papermill.execute_notebook(
            str(template),
            str(out_nb),
            parameters=parameters,
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            cwd=str(workdir),
            start_timeout=start_timeout,
            execution_timeout=timeout,
            request_save_on_cell_execute=False,
            autosave_cell_every=0,
            kernel_manager_class=_kernel_manager_class(workdir, registry),
            on_notebook_start=on_start,
        )
    except BaseException as exc:
        if timed_out.is_set():
            raise KernelTimeoutError(
                f"timed out after {timeout:g} s; the kernel was stopped / 超时"
            ) from None
        if isinstance(exc, papermill.PapermillExecutionError):
            executed = None
            if out_nb.is_file():
                with contextlib.suppress(Exception):
                    executed = nbformat.read(out_nb, as_version=4)
            raise notebook_failed(exc, template, executed) from exc
        raise
    finally:
        if timer:
            timer.cancel()
        log = registry.get("log")
        if log is not None:
            log.close()
    t1 = time.perf_counter()
    nb = nbformat.read(out_nb, as_version=4)
    started = marks.get("started", t0)
    return nb, {"kernel_start": round(started - t0, 4), "execute": round(t1 - started, 4)}


def _execute_in_process(
    template: Path,
    parameters: dict[str, Any],
    workdir: Path,
    kernel_name: str,
    timeout: float | None,
) -> tuple[Any, dict[str, float]]:
    """:func:`execute_template` with the in-process engine (:mod:`tcmcounty.run.engine`)."""
    import nbformat
    import papermill

    from tcmcounty.run.engine import ENGINE_NAME, NotebookDeadline, engine_class

    engine_class()  # registered with papermill
    out_nb = workdir / "executed.ipynb"
    t0 = time.perf_counter()
    try:
        nb = papermill.execute_notebook(
            str(template),
            None,
            parameters=parameters,
            engine_name=ENGINE_NAME,
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            autosave_cell_every=0,
            execution_timeout=timeout,
        )
    except NotebookDeadline:
        raise KernelTimeoutError(
            f"timed out after {timeout:g} s; the notebook was stopped / 超时"
        ) from None
    except papermill.PapermillExecutionError as exc:
        last = _last_notebook()
        if last is not None:
            with contextlib.suppress(Exception):
                nbformat.write(last, out_nb)
        raise notebook_failed(exc, template, last) from exc
    return nb, {"kernel_start": 0.0, "execute": round(time.perf_counter() - t0, 4)}


def notebook_failed(exc: Any, template: Path, executed: Any = None) -> NotebookFailed:
    """Return the :class:`~tcmcounty.errors.NotebookFailed` for papermill's error ``exc``.

    ``exc`` is a :class:`papermill.PapermillExecutionError`: the failed cell's execution count,
    the exception's name and message inside the notebook; ``executed`` the notebook as far as
    it ran.
    """
    return NotebookFailed(
        Path(template).name,
        getattr(exc, "exec_count", None),
        str(getattr(exc, "ename", "Error")),
        str(getattr(exc, "evalue", "")).strip(),
        executed,
    )


def _last_notebook() -> Any:
    from tcmcounty.run.engine import last_notebook

    return last_notebook()


_EXPORT_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""


@functools.lru_cache(maxsize=2)
def _exporter(show_code: bool) -> Any:
    """Return the HTML exporter, built once per process (its templates compiled once)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
    from traitlets.config import Config

    class ReportHTMLExporter(HTMLExporter):
        """nbconvert's HTML exporter without its BeautifulSoup pass over the finished page.

        That pass (half of a report's conversion time) only adds ``alt`` text to images that
        have none (every figure of a report has its own) and ``tabindex="0"`` to input and
        output areas, which :func:`_focusable` adds here. The rest is
        ``HTMLExporter.from_notebook_node`` as it is.
        """

        # ignore: nbconvert's HTML exporters return (str, resources) where the base Exporter
        # declares (NotebookNode, resources); nbconvert's own overrides ignore the same error
        def from_notebook_node(  # type: ignore[override]
            self, nb: Any, resources: Any = None, **kw: Any
        ) -> tuple[str, Any]:
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight)
            self.register_filter("filter_data_type", data_type)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _focusable(html), resources

    cfg = Config()
    cfg.TagRemovePreprocessor.enabled = True
    cfg.TagRemovePreprocessor.remove_cell_tags = {"remove-in-report"}
    return ReportHTMLExporter(
        config=cfg,
        template_name="lab",
        template_file="tcmcounty_report.html.j2",
        extra_loaders=[DictLoader({"tcmcounty_report.html.j2": _EXPORT_TEMPLATE})],
        exclude_input=not show_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


_FOCUSABLE = re.compile(
    r'<div class="([^"]*\b(?:jp-Cell-inputWrapper|jp-OutputArea-output)\b[^"]*)"(?! tabindex)'
)


def _focusable(html: str) -> str:
    """Make input and output areas reachable with the keyboard, as nbconvert's HTML exporter does.

    Examples
    --------
    >>> _focusable('<div class="jp-OutputArea-output jp-RenderedHTML">x</div>')
    '<div class="jp-OutputArea-output jp-RenderedHTML" tabindex="0">x</div>'
    """
    return _FOCUSABLE.sub(r'<div class="\1" tabindex="0"', html)


def _deterministic(nb: Any) -> Any:
    """Stable cell ids and no execution metadata (same inputs give the same HTML)."""
    for i, cell in enumerate(nb.cells):
        if "id" in cell:
            cell["id"] = f"cell-{i}"
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
    nb.metadata.pop("papermill", None)
    return nb


def notebook_to_html(
    nb: Any, *, show_code: bool = False, title: str = "", embed_font: bool = True
) -> str:
    """Convert an executed notebook to one self-contained HTML file (no external scripts).

    Code cells are hidden unless ``show_code``; figures are embedded as data URIs, and so is
    the subset of the CJK font the text needs (:func:`embed_cjk_font`). Cells tagged
    ``remove-in-report`` (the template's instructions) are left out.
    """
    nb = _deterministic(nb)
    body, _ = _exporter(show_code).from_notebook_node(
        nb, resources={"metadata": {"name": title or "tcmcounty report"}}
    )
    return embed_cjk_font(body) if embed_font else body


_FONT_CACHE: dict[tuple[str, str], Any] = {}


def _subset_font(source: Any, chars: Sequence[str]) -> bytes:
    """Subset an OpenType font (path or bytes) to ``chars`` plus ASCII; return OTF bytes."""
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    opts = subset.Options()
    opts.layout_features = []
    opts.name_IDs = []
    opts.hinting = False
    opts.notdef_outline = True
    # no timestamp (deterministic output); keep the full font's bounding boxes (recomputing
    # them is half the cost and changes nothing a browser uses)
    font = TTFont(
        io.BytesIO(source) if isinstance(source, bytes) else str(source),
        lazy=True,
        recalcTimestamp=False,
        recalcBBoxes=False,
    )
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=sorted({ord(c) for c in chars} | set(range(0x20, 0x7F))))
    try:
        sub.subset(font)
        buf = io.BytesIO()
        font.save(buf)
    finally:
        font.close()
    return buf.getvalue()


def _gb2312() -> str:
    chars = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


_SYMBOLS = "·—–…‘’“”、。〈〉《》「」『』【】〔〕（），：；？！％＋－＜＝＞≥≤×÷±✓✗⚠√→←↑↓•−"


def _nbs_files() -> list[Any]:
    from tcmcounty import resources

    root = resources.data("nbs")
    files = [f for f in root.iterdir() if f.name.endswith(".csv.gz")]
    files += [f for f in root.joinpath("villages").iterdir() if f.name.endswith(".csv.gz")]
    return sorted(files, key=lambda f: f.name)


def _nbs_characters() -> set[str]:
    """Every character of the names of China's counties, townships and villages (NBS 2023)."""
    import gzip

    found: set[str] = set()
    for f in _nbs_files():
        found.update(
            ch for ch in set(gzip.decompress(f.read_bytes()).decode("utf-8")) if ord(ch) > 0x2000
        )
    return found


def _cache_root() -> Path:
    """Return the per-user cache folder (``$XDG_CACHE_HOME/tcmcounty``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tcmcounty"


def _font_id(path: Path) -> str:
    st = path.stat()
    return f"{path.stem}-{st.st_size}-{int(st.st_mtime)}"


#: Version of the font cache files (character lists and font subsets); another is rebuilt.
FONT_CACHE_VERSION = "1"


def _write_cache(target: Path, data: bytes, kind: str) -> None:
    """Write a font cache file (versioned, checksummed); a read-only cache only costs time."""
    from tcmcounty.io import write_cache

    write_cache(target, data, kind=kind, version=FONT_CACHE_VERSION)


def _read_cache(target: Path, kind: str) -> bytes | None:
    """Return a font cache file's payload, or ``None`` (then rebuilt, with a note if damaged).

    A file that is cut short, damaged or of another version is never used: a report would
    embed a broken font, or miss characters, with no error.
    """
    from tcmcounty.io import cache_note, read_cache

    payload, why = read_cache(target, kind=kind, version=FONT_CACHE_VERSION)
    if why:
        print(cache_note("font cache", "字体缓存", target, why), file=sys.stderr)
    return payload


def _cached_subset(source: Path | bytes, chars: str, cached: Path) -> bytes:
    """:func:`_subset_font`, read from ``cached`` when a process made it before (else written)."""
    data = _read_cache(cached, "font-subset")
    if data is not None:
        return data
    data = _subset_font(source, chars)
    _write_cache(cached, data, "font-subset")
    return data


def _base_font(path: Path) -> tuple[bytes, frozenset[str]] | None:
    """Return the bundled font cut down to what reports use, cached in memory and on disk.

    GB 2312 (7,445 characters), the report's symbols, and every character of the NBS names of
    China's counties, townships and villages (so a place name never needs the full font).
    Subsetting each report from this base takes a fraction of the time of the full
    65,000-glyph font. Built once per machine (a few seconds) in ``$XDG_CACHE_HOME/tcmcounty``,
    with the list of its characters beside it.
    """
    key = ("base", str(path))  # per font file: a face is never cut from another font's base
    if key in _FONT_CACHE:
        return _FONT_CACHE[key]  # type: ignore[no-any-return]
    h = hashlib.sha256(("base-1" + _SYMBOLS).encode("utf-8"))
    for f in _nbs_files():
        h.update(f"{f.name}:{len(f.read_bytes())}".encode())
    listed = _cache_root() / f"{_font_id(path)}-base-{h.hexdigest()[:10]}.txt"
    chars = ""
    with contextlib.suppress(UnicodeDecodeError):
        chars = (_read_cache(listed, "font-characters") or b"").decode("utf-8")
    if not chars:
        chars = "".join(sorted(set(_gb2312() + _SYMBOLS) | _nbs_characters()))
        _write_cache(listed, chars.encode("utf-8"), "font-characters")
    data = _cached_subset(path, chars, listed.with_suffix(".otf"))
    _FONT_CACHE[key] = (data, frozenset(chars))
    return _FONT_CACHE[key]  # type: ignore[no-any-return]


#: Names of the font faces a page may embed (see :func:`_font_faces`).
FONT_FACES = ("TCM CJK", "TCM CJK 2", "TCM CJK 3")


@functools.lru_cache(maxsize=1)
def library_characters() -> frozenset[str]:
    """Return the CJK characters of the library's own text: labels, headings, notes, registry, plans.

    Every Chinese report uses most of them, whatever the county; they are embedded as one font
    face made once per process (see :func:`embed_cjk_font`). Read from the installed package's
    files, so the set belongs to the library's version (the same for ``report`` and ``batch``).
    """
    from tcmcounty import resources

    root = resources.files()
    found: set[str] = set()
    todo = [root]
    while todo:
        for entry in todo.pop().iterdir():
            if entry.is_dir():
                if entry.name not in {"counties", "nbs", "__pycache__"}:
                    todo.append(entry)
            elif entry.name.endswith((".py", ".toml", ".csv")):
                with contextlib.suppress(OSError, UnicodeDecodeError):
                    found.update(ch for ch in entry.read_text(encoding="utf-8") if ord(ch) > 0x2000)
    return frozenset(found)


def _face(family: str, data: bytes) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return (
        f"@font-face {{ font-family: '{family}'; font-weight: 100 900; "
        f"src: url(data:font/otf;base64,{b64}) format('opentype'); }}\n"
    )


def _font_faces(path: Path, chars: Sequence[str]) -> list[tuple[str, bytes]]:
    """Return the faces a page needs, each cut from the smallest font that has its characters.

    * ``TCM CJK``: the library's own characters (:func:`library_characters`), made once per
      process, when the page uses at least half of them (any Chinese report);
    * ``TCM CJK 2``: the page's other characters of GB 2312 (place and facility names), or
      all of them on a page that uses few of the library's (an English report, an index);
    * ``TCM CJK 3``: characters outside GB 2312 (a rare character in a village name), cut
      from the full font.
    """
    base = _base_font(path)
    used = set(chars)
    in_base = used & base[1] if base is not None else set()
    rare = sorted(used - in_base)
    faces: list[tuple[str, bytes]] = []
    if in_base and base is not None:
        common = library_characters() & base[1]
        rest = in_base
        if common and len(in_base & common) * 2 >= len(common):
            data = _FONT_CACHE.get(("common", str(path)))
            if data is None:
                text = "".join(sorted(common))
                key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
                cached = _cache_root() / f"{_font_id(path)}-common-{key}.otf"
                data = _cached_subset(base[0], text, cached)
                _FONT_CACHE[("common", str(path))] = data
            faces.append((FONT_FACES[0], data))
            rest = in_base - common
        if rest:
            faces.append((FONT_FACES[1], _subset_font(base[0], sorted(rest))))
    if rare:
        faces.append((FONT_FACES[2], _subset_font(path, rare)))
    return faces


def warm_up_fonts() -> None:
    """Load the base font and make the library's face now (a worker does this before its jobs)."""
    from tcmcounty import resources

    path = resources.cjk_font()
    if path is not None:
        with contextlib.suppress(ImportError, OSError, ValueError):
            base = _base_font(path)
            if base is not None:  # only the face pages share (not a face of rare characters)
                _font_faces(path, sorted(library_characters() & base[1]))


def embed_cjk_font(text: str) -> str:
    """Embed subsets of the bundled CJK font (the characters the page uses) in report HTML.

    Chinese then renders on any machine, with or without Chinese system fonts, for about
    150 KB. The output is deterministic. Returns ``text`` unchanged when the font or
    ``fontTools`` is missing. See :func:`_font_faces` for the two faces.
    """
    from tcmcounty import resources

    path = resources.cjk_font()
    if path is None or "</head>" not in text:
        return text
    visible = re.sub(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+", "", text)
    chars = sorted(ch for ch in set(visible) if ord(ch) > 0x2000)
    try:
        faces = _font_faces(path, chars)
    except (ImportError, OSError, ValueError):  # pragma: no cover - fontTools comes with matplotlib
        return text
    if not faces:
        return text
    families = ", ".join(f"'{name}'" for name, _ in faces)
    css = (
        "<style>"
        + "".join(_face(name, data) for name, data in faces)
        + f"body, .jp-RenderedHTMLCommon {{ font-family: {families}, system-ui, sans-serif; }}"
        + "</style>"
    )
    return text.replace("</head>", css + "</head>", 1)


def strip_timestamp(text: str) -> str:
    """Remove the generation-time block from report HTML (to compare two renders)."""
    return re.sub(
        r"<div class=[\"']tcm-timestamp[\"'] data-tcm-timestamp=[\"']1[\"']>.*?</div>",
        "",
        text,
        flags=re.S,
    )


def has_traceback(nb: Any) -> str | None:
    """Return the first error output of an executed notebook (``ename: evalue``), or ``None``."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out.get('ename')}: {out.get('evalue')}"
    return None


# =============================================================================================
# Private job folders that never outlive the process

#: Prefix of the temporary folders holding kernel connection files (with their keys).
WORK_PREFIX = "tcmr-"
_REAPER = """
import os, shutil, signal, sys
for s in (signal.SIGINT, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
try:
    sys.stdin.buffer.read()
finally:
    shutil.rmtree(sys.argv[1], ignore_errors=True)
"""
_ROOTS: dict[int, tuple[Path, Any]] = {}
#: Marks the watcher's command line, so that stopping a job's processes spares it.
WATCHER_TAG = "tcmcounty-job-folder-watcher"


def is_folder_watcher(pid: int) -> bool:
    """Tell whether ``pid`` is the watcher of a job folder (Linux ``/proc``; else ``False``).

    Whoever stops a worker and its kernels must spare the watcher: it removes the folder
    once the worker is gone.
    """
    try:
        return WATCHER_TAG.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def job_folder() -> Path:
    """Return a new private folder for one job, inside this process's work folder.

    The work folder (``$TMPDIR/tcmr-<pid>-…``, mode 0700) is removed however this process
    ends — normally, by an exception, or killed with SIGKILL: a small watcher process started
    with it waits on a pipe from this process and removes the folder when the pipe closes. The
    kernels' connection files (which hold their keys) and sockets live there, so none is left
    behind. Work folders of processes that no longer exist are swept when a new one is made.
    """
    import tempfile

    return Path(tempfile.mkdtemp(prefix="j", dir=_work_root()))


def _work_root() -> Path:
    import subprocess
    import tempfile

    pid = os.getpid()
    known = _ROOTS.get(pid)
    if known is not None and known[0].is_dir() and known[1].poll() is None:
        return known[0]
    _sweep_stale_roots()
    root = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{pid}-"))
    reaper = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", _REAPER, str(root), WATCHER_TAG],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not in the terminal's process group: Ctrl-C does not stop it
        close_fds=True,
    )
    _ROOTS[pid] = (root, reaper)
    atexit.register(_close_work_root, pid)
    return root


def _close_work_root(pid: int) -> None:
    """At a normal exit: let the watcher remove the folder now, and wait for it (no warnings).

    Killed, this never runs: the watcher's pipe closes with the process and it does the same.
    """
    known = _ROOTS.get(pid)
    if known is None or pid != os.getpid():
        return
    reaper = known[1]
    with contextlib.suppress(Exception):
        if reaper.stdin is not None:
            reaper.stdin.close()
        reaper.wait(10)


def _sweep_stale_roots() -> None:
    """Remove our work folders whose process is gone (a watcher that was killed too)."""
    import shutil
    import tempfile

    base = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for d in base.glob(f"{WORK_PREFIX}*-*"):
            pid_text = d.name[len(WORK_PREFIX) :].split("-", 1)[0]
            if not pid_text.isdigit() or not d.is_dir() or d.is_symlink():
                continue
            if hasattr(os, "getuid") and d.stat().st_uid != os.getuid():
                continue
            try:
                os.kill(int(pid_text), 0)
            except ProcessLookupError:
                shutil.rmtree(d, ignore_errors=True)
            except OSError:
                continue
