"""Safe file writing: every output is written to a temporary file and renamed into place.

Also the one place for what a spreadsheet may see: :func:`set_cell` (xlsx: text is stored as
text, never as a formula; numbers keep full precision and are rounded by a number format) and
:func:`csv_text` / :func:`write_csv` (CSV: text that would run as a formula gets a leading ``'``,
the OWASP advice), used by every writer of the tool. Every CSV file starts with a UTF-8
byte-order mark (:func:`csv_bytes`), so Excel on Windows reads its Chinese; ``bom=False`` (the
command line's ``--no-bom``) leaves it out for pipelines.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import math
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import quote

from tcmcounty.errors import TcmCountyError
from tcmcounty.formatting import FLOAT_FORMAT


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Bytes of a file name most file systems allow (ext4, XFS, APFS, NTFS in UTF-16 units).
NAME_MAX_BYTES = 255
#: Bytes of the target's name kept in a temporary name (the rest is replaced by a hash).
TEMP_NAME_KEEP = 48
#: Longest target suffix kept at the end of a temporary name (``.xlsx``, ``.ipynb``).
TEMP_SUFFIX_KEEP = 8


def _cut_utf8(text: str, limit: int) -> str:
    """Return the longest start of ``text`` whose UTF-8 form fits in ``limit`` bytes."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


class TempNameParts(TypedDict):
    """The ``prefix`` and ``suffix`` keywords of :func:`tempfile.mkstemp` for a target."""

    prefix: str
    suffix: str


def temp_name_parts(target: Path) -> TempNameParts:
    """Return ``prefix`` and ``suffix`` of a temporary file beside ``target``, of bounded length.

    A temporary name is ``.<start of the name>~<hash>.<random>.tmp<suffix>``: at most
    :data:`TEMP_NAME_KEEP` bytes of the target's name (cut on a character boundary), an
    8-digit hash of the whole name (two long names that start alike never share a prefix),
    the random part ``mkstemp`` adds, and the target's suffix when it is short. So however
    long the target's name (a county folder named by 85 Chinese characters), the temporary
    name stays far below :data:`NAME_MAX_BYTES`; it still starts with ``.`` and holds
    ``.tmp`` (what :func:`tcmcounty.run.report.clean_partial_files` removes).

    Examples
    --------
    >>> parts = temp_name_parts(Path("测" * 85 + "-worklist.xlsx"))
    >>> parts["suffix"], len((parts["prefix"] + "abcdefgh" + parts["suffix"]).encode()) < 100
    ('.tmp.xlsx', True)
    >>> temp_name_parts(Path("a.html"))["prefix"][:8]
    '.a.html~'
    """
    name = Path(target).name
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    suffix = Path(name).suffix
    keep = suffix if len(suffix.encode("utf-8", "surrogateescape")) <= TEMP_SUFFIX_KEEP else ""
    start = _cut_utf8(
        name.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), TEMP_NAME_KEEP
    )
    return {"prefix": f".{start}~{digest}.", "suffix": ".tmp" + keep}


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is left as it was, so a
    reader never sees a half-written file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("done")
    >>> out.read_text()
    'done'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(**temp_name_parts(target), dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(target: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


# --------------------------------------------------------------------------------------------
# Several files as one: all or nothing


def write_files_atomic(files: dict[Path, bytes], mode: int | None = None) -> list[Path]:
    """Write several files so that either all of them change or none does.

    Every file is first written in full to a temporary file beside its target (this is where a
    full disk or a read-only folder fails, before any target changes); then the temporary
    files are renamed onto their targets in order, the last one last (a JSON record, say, as
    the commit mark). If a rename fails, the targets already replaced get their previous
    content back (kept as hard links while renaming), or are removed when they had none.

    Parameters
    ----------
    files : dict of pathlib.Path to bytes
        Targets and their contents, in the order they are put in place.
    mode : int, optional
        Permissions of the new files (default: ``0o666`` less the umask).

    Returns
    -------
    list of pathlib.Path
        The targets written.

    Raises
    ------
    OSError
        The first error met; the targets are then as they were before the call.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_files_atomic({d / "a.html": b"<html></html>", d / "a.json": b"{}"})
    >>> sorted(p.name for p in d.iterdir())
    ['a.html', 'a.json']
    """
    mode = 0o666 & ~_umask() if mode is None else mode
    staged: list[tuple[Path, Path]] = []
    try:
        for target, data in files.items():
            staged.append((Path(target), _stage(Path(target), data, mode)))
    except BaseException:
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)
        raise
    done: list[tuple[Path, Path | None]] = []
    try:
        for target, tmp in staged:
            backup = _backup(target)
            done.append((target, backup))
            os.replace(tmp, target)
    except BaseException:
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                else:
                    target.unlink(missing_ok=True)
        for _, tmp in staged:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        raise
    finally:
        for _, backup in done:
            if backup is not None:
                with contextlib.suppress(OSError):
                    backup.unlink(missing_ok=True)
    return [t for t, _ in staged]


def _stage(target: Path, data: bytes, mode: int) -> Path:
    """Write ``data`` to a new temporary file beside ``target``; return its path."""
    fd, name = tempfile.mkstemp(**temp_name_parts(target), dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _backup(target: Path) -> Path | None:
    """Hard-link the current ``target`` to a temporary name (``None`` if there is none)."""
    if target.is_symlink() or not target.is_file():
        return None
    for _ in range(5):
        name = target.parent / f"{temp_name_parts(target)['prefix']}{os.urandom(4).hex()}.bak.tmp"
        try:
            os.link(target, name)
            return name
        except FileExistsError:
            continue
        except OSError:  # no hard links here: the old content cannot come back
            return None
    return None


# --------------------------------------------------------------------------------------------
# Files a user points an option at: refused by name and kind, never by their content


@dataclass(frozen=True)
class FileKind:
    """What a file given to an option must be, for messages (English and Chinese).

    ``what`` names the role (``travel-time table``), ``expected`` says what such a file is
    (``a CSV table whose first line names the columns demand_id, supply_id, minutes``).
    """

    what_en: str
    what_zh: str
    expected_en: str
    expected_zh: str
    max_bytes: int | None = None


class UnusableFileError(TcmCountyError, ValueError):
    """A file given for an option is not of the kind the option reads.

    The message names the file, what it was to be used as, why not (in the tool's own words)
    and what such a file is; it never quotes the file's content (a path pointed at a system
    file or a secret must not print it). ``reason_en`` / ``reason_zh`` are predicates:
    ``"not found"``, ``"is not valid TOML (line 1, column 7)"``.

    Examples
    --------
    >>> k = FileKind("speed table", "速度表", "a TOML file", "TOML 文件")
    >>> print(UnusableFileError("/etc/passwd", k, "is not valid TOML", "不是有效的 TOML"))
    /etc/passwd: speed table is not valid TOML; expected a TOML file / 速度表不是有效的 TOML；应为TOML 文件
    """

    def __init__(self, path: object, kind: FileKind, reason_en: str, reason_zh: str) -> None:
        self.path, self.kind = str(path), kind
        super().__init__(
            f"{path}: {kind.what_en} {reason_en}; expected {kind.expected_en} "
            f"/ {kind.what_zh}{reason_zh}；应为{kind.expected_zh}"
        )


def check_user_file(
    path: str | os.PathLike[str], kind: FileKind, error: type[UnusableFileError] = UnusableFileError
) -> Path:
    """Return ``path`` if it is a regular file that can be read (and not too large), else raise.

    A folder, a named pipe or device (reading it would block or never end), a missing or
    unreadable file, or one larger than ``kind.max_bytes`` is refused with ``error`` (a
    :class:`UnusableFileError`), before any byte of it is read.

    Raises
    ------
    UnusableFileError
        Naming the file, its role and what was expected.

    Examples
    --------
    >>> k = FileKind("speed table", "速度表", "a TOML file", "TOML 文件")
    >>> check_user_file("/no/such.toml", k)
    Traceback (most recent call last):
    tcmcounty.io.UnusableFileError: /no/such.toml: speed table not found; expected a TOML file / 速度表文件不存在；应为TOML 文件
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise error(p, kind, "not found", "文件不存在") from None
    except OSError as exc:
        raise error(p, kind, f"cannot be opened ({exc.strerror})", "无法打开") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(p, kind, "is a folder, not a file", "是文件夹，不是文件")
    if not stat.S_ISREG(st.st_mode):
        raise error(p, kind, "is not a regular file (a pipe or device)", "不是普通文件")
    if not os.access(p, os.R_OK):
        raise error(p, kind, "cannot be read (permission denied)", "没有读取权限")
    if kind.max_bytes is not None and st.st_size > kind.max_bytes:
        raise error(
            p,
            kind,
            f"is {st.st_size // 2**20} MB, more than the {kind.max_bytes // 2**20} MB read at most",
            f"有 {st.st_size // 2**20} MB，超过上限 {kind.max_bytes // 2**20} MB",
        )
    return p


# --------------------------------------------------------------------------------------------
# Caches: versioned, checksummed, rebuilt when they do not load

#: First bytes of every cache file the tool writes; a header line follows (kind, version,
#: payload length, SHA-256 of the payload), then the payload.
CACHE_MAGIC = b"tcmcounty-cache\n"
#: A cache file larger than this is not read (a damaged length must not exhaust memory).
CACHE_MAX_BYTES = 1 << 30


def write_cache(path: Path, payload: bytes, *, kind: str, version: str) -> bool:
    """Write ``payload`` as a cache file: :data:`CACHE_MAGIC`, a header line, the payload.

    The header names the ``kind`` of cache and its ``version`` and carries the payload's
    length and SHA-256, which :func:`read_cache` checks. The file is written atomically and
    private to the user (mode 0600). A cache that cannot be written only costs time: returns
    ``False`` then, never raises ``OSError``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.cache"
    >>> write_cache(p, b"data", kind="demo", version="1")
    True
    >>> read_cache(p, kind="demo", version="1")
    (b'data', '')
    """
    head = f"{kind}\t{version}\t{len(payload)}\t{hashlib.sha256(payload).hexdigest()}\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(CACHE_MAGIC + head.encode("ascii") + payload)
            os.chmod(tmp, 0o600)
    except OSError:
        return False
    return True


def read_cache(
    path: Path, *, kind: str, version: str, max_bytes: int = CACHE_MAX_BYTES
) -> tuple[bytes | None, str]:
    """Return the payload of a cache file written by :func:`write_cache`, checked.

    Returns
    -------
    payload, why : bytes or None, str
        The payload and ``""``; or ``None`` and why it is not used: ``""`` when there is no
        such file, else a short reason (not a cache file, another kind or version, cut short,
        checksum mismatch, unreadable). The caller rebuilds the cache and says so in one line
        (:func:`cache_note`); a cache that does not load is never an error.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.cache"
    >>> _ = write_cache(p, b"0123456789", kind="demo", version="1")
    >>> read_cache(p, kind="demo", version="2")
    (None, 'cache version 1, this version of tcmcounty reads 2')
    >>> _ = p.write_bytes(p.read_bytes()[:-3])  # cut short
    >>> read_cache(p, kind="demo", version="1")
    (None, 'cut short (7 of 10 bytes)')
    """
    try:
        if not path.is_file():
            return None, ""
        size = path.stat().st_size
        if size > max_bytes:
            return None, f"larger than {max_bytes // 2**20} MB"
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or type(exc).__name__})"
    if not data.startswith(CACHE_MAGIC):
        return None, "not a tcmcounty cache file (an older format, or damaged)"
    end = data.find(b"\n", len(CACHE_MAGIC), len(CACHE_MAGIC) + 512)
    fields = data[len(CACHE_MAGIC) : end].decode("ascii", "replace").split("\t")
    if end < 0 or len(fields) != 4 or not fields[2].isdigit():
        return None, "damaged header"
    got_kind, got_version, length, digest = fields
    if got_kind != kind:
        return None, f"a {got_kind!r} cache, not {kind!r}"
    if got_version != version:
        return None, f"cache version {got_version}, this version of tcmcounty reads {version}"
    payload, n = data[end + 1 :], int(length)
    if len(payload) < n:
        return None, f"cut short ({len(payload)} of {n} bytes)"
    if len(payload) > n:
        return None, "longer than written (damaged)"
    if hashlib.sha256(payload).hexdigest() != digest:
        return None, "checksum mismatch (damaged)"
    return payload, ""


def cache_note(what_en: str, what_zh: str, path: Path, why: str) -> str:
    """Return the one line said when a cache file did not load and was rebuilt.

    Examples
    --------
    >>> cache_note("road-graph cache", "路网缓存", Path("/c/ab.npz"), "cut short (1 of 9 bytes)")
    'note: road-graph cache ab.npz did not load (cut short (1 of 9 bytes)); rebuilt / 路网缓存无法读取，已重建'
    """
    return f"note: {what_en} {path.name} did not load ({why}); rebuilt / {what_zh}无法读取，已重建"


# --------------------------------------------------------------------------------------------
# Spreadsheet-safe text (one rule for every xlsx and CSV the tool writes)

#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"),
#: with the full-width forms that the readers fold to ASCII (＝ is read back as =).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
#: Characters an xlsx file cannot hold (XML 1.0 forbids C0 controls except tab, LF, CR).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def looks_like_formula(value: object) -> bool:
    """Tell whether ``value`` is text that a spreadsheet would run as a formula.

    Only text counts: a negative *number* is a number, not a formula.

    Examples
    --------
    >>> looks_like_formula('=HYPERLINK("http://x")'), looks_like_formula("＝1+1")
    (True, True)
    >>> looks_like_formula(-5), looks_like_formula("安岳县")
    (False, False)
    """
    return isinstance(value, str) and value.startswith(FORMULA_START)


def xml_safe_text(text: str) -> str:
    r"""Remove the control characters an xlsx (XML) file cannot hold; keep tab and newlines.

    Examples
    --------
    >>> xml_safe_text("a\x00b\nc")
    'ab\nc'
    """
    return _XML_ILLEGAL.sub("", text)


def spreadsheet_text(value: object) -> object:
    """Return a value as a CSV cell: text that would run as a formula gets a leading ``'``.

    This is the OWASP advice for CSV files: a cell beginning with ``=``, ``+``, ``-``, ``@``,
    tab or carriage return (or ``＝＋－＠``, which spreadsheets and our readers fold to ASCII) is
    prefixed with a single quote, which spreadsheets show as text and do not display. Numbers,
    including negative ones, are returned unchanged. In xlsx files no quote is added: the cell
    is stored as a string instead (:func:`set_cell`).

    Examples
    --------
    >>> spreadsheet_text("=1+1"), spreadsheet_text("－3"), spreadsheet_text(-3), spreadsheet_text("县")
    ("'=1+1", "'－3", -3, '县')
    """
    return "'" + value if looks_like_formula(value) else value  # type: ignore[operator]


def set_cell(
    ws: Any,
    row: int,
    column: int,
    value: object,
    number_format: str | None = None,
    *,
    rounded: bool = False,
) -> Any:
    """Write ``value`` into an openpyxl worksheet cell; text always stays text.

    Text is stored as a string cell (``data_type`` ``"s"``, with Excel's quote-prefix flag
    when it starts like a formula, so editing it does not turn it into one), without the
    control characters XML cannot hold; non-finite floats become empty cells; numbers, dates
    and booleans are stored as they are, at full precision: a number format rounds what is
    shown (``number_format``; with ``rounded``, a float with decimals that has none gets
    :data:`tcmcounty.formatting.FLOAT_FORMAT`).

    Parameters
    ----------
    ws : openpyxl.worksheet.worksheet.Worksheet
        The sheet.
    row, column : int
        1-based cell position.
    value : object
        The value (``None`` leaves the cell empty).
    number_format : str, optional
        Excel number format (``"0.00"``, ``"0.0%"``, ``'"1:"0.00'``) of a number.
    rounded : bool
        Show floats with 2–4 decimals when no ``number_format`` is given (tables for people;
        not the data template, whose coordinates must show in full).

    Returns
    -------
    openpyxl.cell.cell.Cell
        The cell, for styling.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> ws = Workbook().active
    >>> c = set_cell(ws, 1, 1, 7.23114034717355, rounded=True)
    >>> c.value, c.number_format
    (7.23114034717355, '0.00##')
    >>> set_cell(ws, 1, 2, 0.125, "0.0%").number_format
    '0.0%'
    """
    value = _cell_value(value)
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # never "f": text is never a formula
        if looks_like_formula(value):
            cell.quotePrefix = True
    else:
        cell.value = value
        if number_format is not None and isinstance(value, (int, float)):
            cell.number_format = number_format
        elif rounded and isinstance(value, float) and not value.is_integer():
            cell.number_format = FLOAT_FORMAT
    return cell


def set_link(cell: Any, file_name: str) -> Any:
    """Make ``cell`` a link to a file beside the workbook (a relative link, never a URL).

    The name is percent-encoded, so it cannot carry a scheme (``javascript:``, ``file:``) or
    leave the folder; the cell keeps its text and gets Excel's hyperlink style.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> ws = Workbook().active
    >>> set_link(set_cell(ws, 1, 1, "a b.html"), "a b.html").hyperlink.target
    'a%20b.html'
    """
    cell.hyperlink = quote(xml_safe_text(Path(file_name).name), safe="")
    cell.style = "Hyperlink"
    return cell


def _cell_value(value: object) -> object:
    """Turn numpy/pandas scalars into plain values; text without XML-illegal characters."""
    if value is None:
        return None
    if isinstance(value, str):
        return xml_safe_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value if not isinstance(value, float) or math.isfinite(value) else None
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value
    try:
        import pandas as pd

        if value is pd.NaT or value is pd.NA:
            return None
        if isinstance(value, pd.Timestamp):
            return value.to_pydatetime()
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    item = getattr(value, "item", None)
    if callable(item):
        with contextlib.suppress(TypeError, ValueError):
            return _cell_value(item())
    return xml_safe_text(str(value))


# --------------------------------------------------------------------------------------------
# Layout of every sheet the tool writes: widths, wrapping, frozen header, print setup

#: Narrowest and widest column (in characters; a CJK character counts two); longer text wraps.
MIN_COLUMN_WIDTH = 8
MAX_COLUMN_WIDTH = 60
#: Data status columns shown with their Chinese label (:func:`tcmcounty.county.status_label`).
STATUS_COLUMNS = frozenset({"status", "input_status", "数据状态"})
#: A column holding shares (0–1) shown as percentages: ``covered_share_2km``, ``pavilion_share``.
_SHARE_COLUMN = re.compile(r"(^|_)share($|_)")
#: Excel number format of a value stored in percent (24.5 shown ``24.5%``).
PERCENT_POINTS_FORMAT = '0.0"%"'


def text_width(text: str) -> int:
    r"""Return the width of text in a spreadsheet column: CJK characters count two, longest line.

    Examples
    --------
    >>> text_width("安岳县"), text_width("abc"), text_width("ab\n安岳县人民医院")
    (6, 3, 14)
    """
    import unicodedata

    return max(
        (
            sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
            for line in text.split("\n")
        ),
        default=0,
    )


def _shown_width(value: object, number_format: str) -> int:
    """Approximate width of a cell as a spreadsheet shows it."""
    if value is None:
        return 0
    if isinstance(value, str):
        return text_width(value)
    if isinstance(value, bool):
        return 5
    if isinstance(value, (int, float)):
        if "%" in number_format:
            points = value if '"%"' in number_format else 100 * value
            return len(f"{points:.1f}%")
        if isinstance(value, float) and not value.is_integer():
            return len(f"{value:.2f}") + (2 if "1:" in number_format else 0)
        return len(str(int(value)))
    if isinstance(value, (dt.datetime,)):
        return 16
    return 10


def is_share_column(name: object) -> bool:
    """Tell whether a table column holds shares (0–1) shown as percentages.

    Examples
    --------
    >>> is_share_column("covered_share_2km"), is_share_column("pavilion_share"), is_share_column("shareholder")
    (True, True, False)
    """
    return isinstance(name, str) and bool(_SHARE_COLUMN.search(name))


def shown_status(value: object, derived: object = None) -> object:
    """Return a data status as the report shows it (``官方 official``); others unchanged.

    Examples
    --------
    >>> shown_status("synthetic"), shown_status(None), shown_status("官方 official")
    ('模拟 synthetic', None, '官方 official')
    """
    from tcmcounty.county import STATUS_LABELS, status_label

    if isinstance(value, str) and value in STATUS_LABELS:
        return status_label(value, derived)
    return value


def format_sheet(
    ws: Any,
    *,
    header_rows: int = 1,
    freeze: str | None = "A2",
    max_width: float = MAX_COLUMN_WIDTH,
    landscape: bool = True,
) -> Any:
    """Make a written sheet one a planner can open and print; return it.

    Every workbook the tool writes goes through this after its cells are filled:

    * column widths from the content (CJK characters count two, :func:`text_width`), at least
      :data:`MIN_COLUMN_WIDTH` and at most ``max_width``; a width the writer set is kept as a
      minimum (a date or a task column), within the same bound;
    * text wider than its column, or of several lines, wraps (top-aligned);
    * the header row(s) frozen (``freeze``, e.g. ``"C2"`` to keep two key columns too; ``None``
      for a sheet without header), bold header cells keep their style;
    * print setup: A4, landscape (``landscape``), fit to one page wide, the header row(s)
      repeated on every page.

    Parameters
    ----------
    ws : openpyxl.worksheet.worksheet.Worksheet
        The filled sheet.
    header_rows : int
        Rows at the top repeated on every printed page (0: none).
    freeze : str or None
        Top-left cell of the scrolling part (``ws.freeze_panes``).
    max_width : float
        Widest column.
    landscape : bool
        Landscape (default) or portrait pages.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> ws = Workbook().active
    >>> _ = set_cell(ws, 1, 1, "任务"), set_cell(ws, 2, 1, "完成" * 150)
    >>> ws = format_sheet(ws)
    >>> ws.column_dimensions["A"].width, ws["A2"].alignment.wrap_text, ws.freeze_panes
    (60.0, True, 'A2')
    >>> ws.page_setup.paperSize, ws.page_setup.orientation, ws.print_title_rows
    (9, 'landscape', '$1:$1')
    """
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            w = _shown_width(cell.value, cell.number_format or "")
            if w > widths.get(cell.column, 0):
                widths[cell.column] = w
    for col, w in widths.items():
        dim = ws.column_dimensions[get_column_letter(col)]
        set_before = dim.width if dim.customWidth else 0
        dim.width = min(max_width, max(MIN_COLUMN_WIDTH, w + 2, set_before))
    for row in ws.iter_rows():
        for cell in row:
            v = cell.value
            if not isinstance(v, str):
                continue
            limit = ws.column_dimensions[get_column_letter(cell.column)].width or max_width
            if "\n" in v or text_width(v) + 2 > limit:
                cell.alignment = Alignment(
                    wrap_text=True, vertical="top", horizontal=cell.alignment.horizontal
                )
    ws.freeze_panes = freeze
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    if header_rows > 0:
        ws.print_title_rows = f"1:{header_rows}"
    return ws


def write_xlsx(target: Path, sheets: dict[str, Any]) -> Path:
    """Write data frames to an xlsx workbook atomically, one sheet each; text stays text.

    The workbook is marked as the tool's output (:func:`mark_output_workbook`) and laid out
    for reading and printing (:func:`format_sheet`).

    Floats are shown with 2–4 decimals (:func:`set_cell` ``rounded``), the cell keeps them all.
    As in the report, a share column (:func:`is_share_column`, 0–1) is shown as a percentage
    (``0.0%``), a value whose row's ``unit`` is ``%`` (an indicator in percent, 24.5) with a
    ``%`` format, and a data status column (:data:`STATUS_COLUMNS`) with its Chinese label
    (:func:`shown_status`, with the row's ``input_derived`` marker).

    Parameters
    ----------
    target : pathlib.Path
        The ``.xlsx`` file.
    sheets : dict of str to pandas.DataFrame
        Sheet name -> table (its columns become a bold header row; the index is left out).

    Returns
    -------
    pathlib.Path
        ``target``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from tcmcounty.formatting import SHARE_FORMAT

    wb = mark_output_workbook(Workbook())
    wb.remove(wb.active)
    bold = Font(bold=True)
    for name, df in sheets.items():
        ws = wb.create_sheet(xml_safe_text(str(name))[:31] or "Sheet")
        columns = [str(col) for col in df.columns]
        for c, col in enumerate(columns, start=1):
            set_cell(ws, 1, c, col).font = bold
        unit_at = columns.index("unit") if "unit" in columns else None
        derived_at = columns.index("input_derived") if "input_derived" in columns else None
        for r, rec in enumerate(df.itertuples(index=False), start=2):
            in_percent = unit_at is not None and str(rec[unit_at]).strip() == "%"
            for c, (col, v) in enumerate(zip(columns, rec, strict=True), start=1):
                fmt = None
                if col in STATUS_COLUMNS:
                    v = shown_status(v, rec[derived_at] if derived_at is not None else None)
                elif is_share_column(col):
                    fmt = SHARE_FORMAT
                elif col == "value" and in_percent:
                    fmt = PERCENT_POINTS_FORMAT
                set_cell(ws, r, c, v, fmt, rounded=True)
        format_sheet(ws)
    if not wb.sheetnames:
        wb.create_sheet("Sheet")
    with atomic_path(Path(target)) as tmp:
        wb.save(tmp)
    return Path(target)


# --------------------------------------------------------------------------------------------
# The tool's own workbooks: marked, so that no run takes them for a county's data

#: Keyword in the document properties of every workbook the tool writes as a result (tables,
#: ``summary.xlsx``, worklists) — never in a county workbook it writes to be filled in or
#: re-read (``tcmcounty template`` / ``export``). A batch skips a marked workbook.
OUTPUT_MARK = "tcmcounty-output"
_CORE = "docProps/core.xml"
_CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"


def mark_output_workbook(wb: Any) -> Any:
    """Mark an openpyxl workbook as a result of the tool (:data:`OUTPUT_MARK`); return it."""
    wb.properties.creator = "tcmcounty"
    wb.properties.keywords = OUTPUT_MARK
    return wb


def mark_output_xlsx(data: bytes) -> bytes:
    """Return an .xlsx (as bytes) with :data:`OUTPUT_MARK` in its core properties.

    For workbooks built elsewhere and handed over as bytes (a report's worklists); the other
    parts are copied unchanged. Bytes that are no workbook are returned as they are.

    Examples
    --------
    >>> import io as _io
    >>> from openpyxl import Workbook
    >>> buf = _io.BytesIO(); Workbook().save(buf)
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.xlsx"
    >>> _ = p.write_bytes(mark_output_xlsx(buf.getvalue()))
    >>> is_output_workbook(p)
    True
    """
    import xml.etree.ElementTree as ET
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zin:
            root = ET.fromstring(zin.read(_CORE))
            keywords = root.find(f"{{{_CP}}}keywords")
            if keywords is None:
                keywords = ET.SubElement(root, f"{{{_CP}}}keywords")
            keywords.text = OUTPUT_MARK
            ET.register_namespace("cp", _CP)
            for prefix, uri in (
                ("dc", "http://purl.org/dc/elements/1.1/"),
                ("dcterms", "http://purl.org/dc/terms/"),
                ("xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ):
                ET.register_namespace(prefix, uri)
            core = ET.tostring(root, xml_declaration=True, encoding="UTF-8")
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
                for info in zin.infolist():
                    zout.writestr(info, core if info.filename == _CORE else zin.read(info))
    except (zipfile.BadZipFile, KeyError, ET.ParseError):
        return data
    return out.getvalue()


def is_output_workbook(path: str | os.PathLike[str]) -> bool:
    """Tell whether ``path`` is a workbook the tool wrote as a result (:data:`OUTPUT_MARK`).

    Reads only the workbook's core properties (a few hundred bytes); ``False`` for anything
    that is not such a workbook, unreadable files included.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(_CORE)
            if info.file_size > 65536:
                return False
            text = zf.read(info).decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return False
    return f">{OUTPUT_MARK}<" in text


# --------------------------------------------------------------------------------------------
# CSV (one writer for every CSV the tool produces)

#: Encoding of every CSV the tool writes.
CSV_ENCODING = "utf-8"
#: The byte-order mark every CSV file starts with unless asked not to (``--no-bom``): without
#: it Excel on Windows reads UTF-8 as the local code page and garbles Chinese.
CSV_BOM = "\ufeff"


def csv_text(rows: Iterable[Sequence[object]], header: Sequence[str] | None = None) -> str:
    """Return CSV text (LF line ends) with every cell made safe by :func:`spreadsheet_text`.

    Parameters
    ----------
    rows : iterable of sequences
        The rows; ``None`` and NaN become empty cells.
    header : sequence of str, optional
        The header row.

    Examples
    --------
    >>> print(csv_text([["=1+1", -2, None]], header=["a", "b", "c"]), end="")
    a,b,c
    '=1+1,-2,
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header is not None:
        w.writerow([_csv_text_cell(h) for h in header])
    for row in rows:
        w.writerow([_csv_cell(v) for v in row])
    return buf.getvalue()


def _csv_cell(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if not isinstance(value, (str, int, float)):
        value = _cell_value(value) if not isinstance(value, (list, tuple)) else str(value)
        if value is None:
            return ""
    return _csv_text_cell(value)


def _csv_text_cell(value: object) -> object:
    r""":func:`spreadsheet_text`, and a carriage return in text written as a line feed.

    Python's csv writer quotes a field holding a line feed but not one holding only a CR (with
    LF line ends), which would split the row; XML and so xlsx keep no bare CR either.
    """
    out = spreadsheet_text(value)
    if isinstance(out, str) and "\r" in out:
        out = out.replace("\r\n", "\n").replace("\r", "\n")
    return out


def frame_csv_text(df: Any) -> str:
    """Return a data frame as CSV text (header, no index, LF line ends), its text made safe.

    Numbers, dates and missing values are formatted by pandas as usual; only text cells (and
    the header) go through :func:`spreadsheet_text`, so a negative number stays a number.

    Examples
    --------
    >>> import pandas as pd
    >>> print(frame_csv_text(pd.DataFrame({"name": ["=cmd", "县"], "v": [-1.5, None]})), end="")
    name,v
    '=cmd,-1.5
    县,
    """
    import pandas as pd

    safe = df.copy()
    safe.columns = [_csv_text_cell(str(c)) for c in df.columns]
    for i in range(safe.shape[1]):
        col = safe.iloc[:, i]
        t = pd.api.types
        if not (t.is_numeric_dtype(col.dtype) or t.is_datetime64_any_dtype(col.dtype)):
            safe.isetitem(i, col.astype(object).map(_csv_text_cell))
    return str(safe.to_csv(index=False, lineterminator="\n"))


def csv_bytes(text: str, *, bom: bool = True) -> bytes:
    r"""Encode CSV text for a file: :data:`CSV_ENCODING`, starting with :data:`CSV_BOM`.

    Parameters
    ----------
    text : str
        The CSV text (:func:`csv_text`, :func:`frame_csv_text`).
    bom : bool
        Start with the byte-order mark (default); ``False`` for pipelines (``--no-bom``).

    Examples
    --------
    >>> csv_bytes("a\n"), csv_bytes("a\n", bom=False)
    (b'\xef\xbb\xbfa\n', b'a\n')
    """
    return ((CSV_BOM if bom else "") + text).encode(CSV_ENCODING)


def write_csv(target: Path, df: Any, *, bom: bool = True) -> Path:
    """Write a data frame as a CSV file atomically (safe cells, :func:`csv_bytes`)."""
    write_bytes_atomic(Path(target), csv_bytes(frame_csv_text(df), bom=bom))
    return Path(target)
