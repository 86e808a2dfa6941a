"""Print a rendered report (self-contained HTML) to an A4 PDF with headless Chromium.

The engine is headless Chromium through its command line (``--print-to-pdf``), found on the
``PATH`` or named by ``$TCMCOUNTY_CHROMIUM``. It is optional: nothing else in tcmcounty needs
it, and :func:`require_engine` says what to install when it is missing.

Why Chromium and not WeasyPrint: the report is Jupyter's HTML export (flex layout, CSS
variables, ``:has()``, the report's ``@media print`` rules); Chromium lays it out exactly as
the browser the planner opens it in, and the print test (``tests/test_print.py``) checks the
PDF of that same engine. It is packaged by every distribution (Debian ``chromium``) and kept
up to date with security fixes. WeasyPrint is pure Python and well kept, but has its own
layout engine (partial flexbox, no ``:has()``), needs Pango from the system anyway, and would
print a page nobody has looked at in a browser.

The PDF is written atomically beside the HTML (temporary file in the same folder, then
rename), so a reader never sees half a PDF and an interrupted print leaves the earlier PDF.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tcmcounty.errors import ReportError

#: Environment variable naming the Chromium (or Chrome) binary to print with.
ENV_VAR = "TCMCOUNTY_CHROMIUM"
#: Names looked up on ``PATH``, in this order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: What to install when no engine is found.
INSTALL_HINT = (
    "install Chromium (Debian/Ubuntu: apt-get install chromium; Fedora: dnf install chromium; "
    f"macOS: brew install --cask chromium) or set {ENV_VAR} to a Chrome/Chromium binary / "
    "请安装 Chromium 浏览器"
)
#: Seconds one print may take (a 45-page county report takes a few seconds).
DEFAULT_TIMEOUT = 180.0


class PdfEngineError(ReportError):
    """No HTML→PDF engine is installed (the message names what to install)."""


@dataclass(frozen=True)
class PdfEngine:
    """An HTML→PDF engine found on this machine.

    Attributes
    ----------
    name : str
        ``"chromium"``.
    path : str
        The binary.
    """

    name: str
    path: str

    def command(self, html: Path, pdf: Path, profile: Path) -> list[str]:
        """Return the command line that prints ``html`` to ``pdf``.

        Parameters
        ----------
        html, pdf : Path
            The report and the PDF to write (absolute paths).
        profile : Path
            A private, empty browser profile folder (so parallel prints never share one).

        Returns
        -------
        list of str
            The arguments; the sandbox is turned off only when running as root, where
            Chromium refuses to start with it (the page is our own, without scripts).
        """
        args = [
            self.path,
            "--headless",
            "--disable-gpu",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        return [*args, html.resolve().as_uri()]


def find_engine() -> PdfEngine | None:
    """Return the HTML→PDF engine of this machine, or ``None`` when there is none.

    ``$TCMCOUNTY_CHROMIUM`` wins when set (a path, or a name on ``PATH``); otherwise the first of
    :data:`CHROMIUM_NAMES` found on ``PATH``.
    """
    named = os.environ.get(ENV_VAR, "").strip()
    for name in [named] if named else CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return PdfEngine("chromium", path)
    return None


def require_engine() -> PdfEngine:
    """Return the engine, or raise :class:`PdfEngineError` naming what to install.

    Raises
    ------
    PdfEngineError
        No Chromium on ``PATH`` (or ``$TCMCOUNTY_CHROMIUM`` does not name a program).
    """
    engine = find_engine()
    if engine is not None:
        return engine
    named = os.environ.get(ENV_VAR, "").strip()
    where = f"{ENV_VAR}={named!r} is not a program" if named else "no Chromium on PATH"
    raise PdfEngineError(f"--pdf needs an HTML→PDF engine: {where}; {INSTALL_HINT}")


def pdf_path(html: str | os.PathLike[str]) -> Path:
    """Return where the PDF of ``html`` goes: beside it, ``<name>.pdf``."""
    return Path(html).with_suffix(".pdf")


def write_pdf(
    html: str | os.PathLike[str],
    target: str | os.PathLike[str] | None = None,
    *,
    engine: PdfEngine | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Print the report ``html`` to an A4 PDF, atomically; return the PDF's path.

    Parameters
    ----------
    html : path
        A rendered report (its print CSS sets A4 pages).
    target : path, optional
        The PDF (default: beside the HTML, :func:`pdf_path`).
    engine : PdfEngine, optional
        Default :func:`require_engine`.
    timeout : float
        Seconds before the print is stopped.

    Returns
    -------
    Path
        The PDF written.

    Raises
    ------
    PdfEngineError
        No engine is installed.
    ReportError
        The engine failed, timed out or wrote no PDF (an earlier PDF is left as it was).
    """
    from tcmcounty.io import atomic_path

    source = Path(html)
    if not source.is_file():
        raise ReportError(f"cannot print {source}: no such file / 文件不存在")
    out = Path(target) if target is not None else pdf_path(source)
    engine = engine or require_engine()
    with tempfile.TemporaryDirectory(prefix="tcmcounty-pdf-") as profile:
        with atomic_path(out) as tmp:
            _run(engine.command(source, tmp.resolve(), Path(profile)), timeout, source)
            _check_pdf(tmp, source)
    return out


def _run(args: list[str], timeout: float, source: Path) -> None:
    """Run the engine in its own process group; stop the whole group on timeout."""
    with subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    ) as proc:
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ReportError(
                f"printing {source.name} to PDF took more than {timeout:.0f} s; stopped / 超时"
            ) from None
        finally:
            if proc.poll() is None:
                _kill_group(proc)
    if proc.returncode != 0:
        tail = output.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise ReportError(
            f"Chromium could not print {source.name} (exit {proc.returncode}): " + " | ".join(tail)
        )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """End the engine and the helper processes it started (its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _check_pdf(path: Path, source: Path) -> None:
    """Raise :class:`ReportError` unless ``path`` holds a complete PDF."""
    data = path.read_bytes() if path.is_file() else b""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise ReportError(f"Chromium wrote no complete PDF for {source.name} / 未生成 PDF")


__all__ = [
    "CHROMIUM_NAMES",
    "ENV_VAR",
    "INSTALL_HINT",
    "PdfEngine",
    "PdfEngineError",
    "find_engine",
    "pdf_path",
    "require_engine",
    "write_pdf",
]
