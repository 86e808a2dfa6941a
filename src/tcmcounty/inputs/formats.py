"""One reader for every table file a county bureau has: workbooks of any kind and text tables.

:func:`read_book` reads a file by what it is (its first bytes), whatever its name:

==============================  ===========================================================
file                            read by
==============================  ===========================================================
.xlsx, .xlsm                    openpyxl (:func:`~tcmcounty.inputs.sheets.read_sheets`):
                                merged ranges, formulas without a saved value
.xls (Excel 97–2003), .xlsb,    python-calamine, after a scan of the file's own records
.ods                            (see below)
CSV / TSV / TXT                 :mod:`tcmcounty.inputs.text`: UTF-8 (with or without BOM),
                                GBK, GB18030, UTF-16 with BOM; comma, tab or semicolon
==============================  ===========================================================

Every reader returns the same :class:`~tcmcounty.inputs.sheets.Sheet`: ``rows[i]`` is sheet
row ``i + 1``, cells as Python values (``str``, ``int``/``float``, ``bool``, ``datetime``),
empty cells ``None``, merged ranges 1-based, ``hidden`` for sheets hidden in the workbook.

calamine lays a sheet out densely, from its first to its last non-empty cell, 32 bytes a
cell, and stops the process (it cannot raise) when that does not fit in memory: one stray
character in ``XFD1048576`` of a 5 KB .xlsb asks for 512 GB. Before calamine sees a file,
its records are therefore read here (the BIFF records of an .xls, the records of an .xlsb's
sheets, an .ods's ``content.xml``) to count the non-empty cells and find their extent; a
workbook of more than :data:`~tcmcounty.inputs.sheets.MAX_CELLS` cells, or with a sheet
spanning more than :data:`MAX_SPAN` cells, is refused with a finding. The same scan gives the
merged ranges of .xlsb and .ods sheets, which calamine does not report. Zip files (.xlsx,
.xlsb, .ods) are checked for compression bombs, and calamine's files may unpack to
:data:`MAX_BOOK_BYTES` at most (calamine holds a whole sheet's strings at once).

A damaged file gives an error finding, never an exception.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tcmcounty.inputs import sheets as _sheets
from tcmcounty.inputs.cells import column_letter
from tcmcounty.inputs.sheets import (
    NOT_XLSX,
    OLE2_MAGIC,
    Finding,
    Merged,
    Sheet,
    build_sheet,
    read_sheets,
    sniff,
)
from tcmcounty.inputs.text import MAX_BYTES, DecodeError, decode, sniff_delimiter, split_rows

__all__ = [
    "BOOK_SUFFIXES",
    "KIND_NAMES",
    "MAX_BOOK_BYTES",
    "MAX_CELL_CHARS",
    "MAX_SPAN",
    "NOT_A_TABLE",
    "WORKBOOK_SUFFIXES",
    "book_kind",
    "read_book",
    "read_folder_tables",
]

#: Cells calamine may lay out for one sheet (first to last non-empty cell, empty ones
#: included): 160 MB at 32 bytes a cell. A county's largest table spans about 30,000.
MAX_SPAN = 5_000_000
#: Bytes a workbook read by calamine may hold (an .xls's size, an .xlsb's or .ods's unpacked
#: size); calamine reads a whole sheet, strings and all, into memory.
MAX_BOOK_BYTES = MAX_BYTES
#: .xlsx / .xlsm (read by openpyxl, streamed): as :mod:`tcmcounty.inputs.excel` checks them.
MAX_UNCOMPRESSED = 500 * 1024 * 1024
#: Unpacked ÷ packed size of a zip beyond which it is taken for a compression bomb.
MAX_RATIO = 200
#: Characters a cell may hold: Excel's own limit. A workbook with a longer cell was not saved
#: by Excel or WPS; it is refused before its text is held in memory (a 300 MB string that
#: compresses under :data:`MAX_RATIO` would otherwise exhaust it).
MAX_CELL_CHARS = 32_767

#: File names :func:`read_folder_tables` reads (by suffix; each is then read by content).
BOOK_SUFFIXES = (".csv", ".tsv", ".txt", ".xls", ".xlsx", ".xlsm", ".xlsb", ".ods")
#: Kinds of file read by calamine.
CALAMINE_KINDS = ("xls", "xlsb", "ods")

_WHAT_TO_DO_EN = "save it as .xlsx or .csv"
_WHAT_TO_DO_ZH = "请另存为 .xlsx 或 .csv"

#: What to say about a file that is no table this module reads: kind -> (English, Chinese),
#: to follow "the file is".
NOT_A_TABLE: dict[str, tuple[str, str]] = {
    "encrypted": NOT_XLSX["encrypted"],
    "empty": NOT_XLSX["empty"],
    "zip": (
        "a zip archive but not a workbook (.xlsx, .xlsb, .ods): unpack it and give the "
        "workbook inside",
        "这是 zip 压缩包而非工作簿（.xlsx/.xlsb/.ods）：请解压后提供其中的工作簿",
    ),
    "ole": (
        "an Office file but not an Excel workbook (a Word or PowerPoint file?): "
        + _WHAT_TO_DO_EN
        + " from Excel or WPS",
        "这是 Office 文件但不是 Excel 工作簿（Word 或 PowerPoint 文件？）：" + _WHAT_TO_DO_ZH,
    ),
    "html": (
        'a web page (HTML) with a spreadsheet\'s name, as web systems "export to Excel"; it '
        "cannot be read: open it in Excel or WPS and save it as .xlsx",
        "这是网页文件（HTML，业务系统“导出 Excel”常见），无法读取：请用 Excel 或 WPS 打开并另存为 .xlsx",
    ),
    "xml": (
        "an XML file (an Excel 2003 XML spreadsheet or a flat .fods?), which cannot be read: "
        "open it in Excel, WPS or LibreOffice and save it as .xlsx",
        "这是 XML 文件（Excel 2003 XML 表格或 .fods？），无法读取：请用 Excel、WPS 或 LibreOffice 打开并另存为 .xlsx",
    ),
    "damaged-zip": (
        "a damaged zip archive (a workbook cut short or corrupted on its way?): open it in Excel "
        "or WPS and save it again, or ask for the file again",
        "这是已损坏的 zip 压缩包（工作簿传输中被截断或损坏？）：请用 Excel 或 WPS 打开后重新保存，或重新索取文件",
    ),
    "other": (
        "neither a workbook (.xlsx, .xlsm, .xls, .xlsb, .ods) nor a text table (CSV or TSV in "
        "UTF-8, GBK, GB18030 or UTF-16): " + _WHAT_TO_DO_EN,
        "既不是工作簿（.xlsx、.xlsm、.xls、.xlsb、.ods），也不是文本表格（UTF-8、GBK、GB18030 或 UTF-16 "
        "编码的 CSV/TSV）：" + _WHAT_TO_DO_ZH,
    ),
}


class _Refused(Exception):
    """A file this module will not read; ``en`` and ``zh`` say why and what to do."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


def _error(en: str, zh: str, row: int | None = None) -> Finding:
    return ("error", en, zh, row, None, None)


def _cell_cap(sheet: str) -> _Refused:
    """Refuse as :func:`~tcmcounty.inputs.sheets.read_sheets` does at the cell cap."""
    return _Refused(
        f"workbook refused: more than {_sheets.MAX_CELLS:,} non-empty cells (sheet '{sheet}' reached "
        "the limit); a county's tables fill far fewer",
        f"拒绝读取：非空单元格超过 {_sheets.MAX_CELLS:,} 个（工作表“{sheet}”处达到上限）",
    )


# --- what a file is ----------------------------------------------------------------------------


def book_kind(path: Path) -> str:
    r"""Say how :func:`read_book` would read a file, by its content, whatever its name.

    Returns
    -------
    str
        ``"xlsx"`` (also .xlsm), ``"xlsb"``, ``"xls"``, ``"ods"``, ``"text"`` (a text table),
        or a key of :data:`NOT_A_TABLE` (``"encrypted"``, ``"zip"``, ``"damaged-zip"``,
        ``"html"``, ``"xml"``, ``"empty"``, ``"other"``). An OLE2 file is ``"xls"`` until its streams are read.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "villages.xls"
    >>> _ = p.write_bytes("村名称\t人口\n西村\t3500\n".encode("gbk"))
    >>> book_kind(p)  # an .xls name, but a GBK text table
    'text'
    """
    kind = sniff(path)
    if kind == "xlsx":
        with zipfile.ZipFile(path) as zf:
            names = {n.lower() for n in zf.namelist()}
        return "xlsb" if "xl/workbook.bin" in names else "xlsx"
    if kind != "other":
        return kind
    with path.open("rb") as f:
        head = f.read(65536)
    if head.startswith(b"PK\x03\x04"):
        return "damaged-zip"
    return _text_kind(head)


def _text_kind(head: bytes) -> str:
    """``"text"``, ``"html"``, ``"xml"`` or ``"other"`` for the first bytes of a file."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-32" if head.startswith(b"\xff\xfe\x00\x00") else "utf-16"
        text = head[: len(head) // 4 * 4].decode(enc, errors="replace")
    else:
        if b"\x00" in head:
            return "other"
        text = ""
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = _decode_head(head, enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            return "other"
    start = text.lstrip("\ufeff \t\r\n").lower()[:4096]
    if start.startswith("mime-version:") or (
        start.startswith("<") and ("<html" in start or "<table" in start or "<!doctype" in start)
    ):
        return "html"
    if start.startswith("<?xml") or start.startswith("<"):
        return "xml"
    if any(ch < " " and ch not in "\t\n\r\f\v\x1a" for ch in text):
        return "other"
    return "text"


def _decode_head(head: bytes, encoding: str) -> str:
    """Decode the first bytes of a file, allowing a character cut at the end."""
    import codecs

    return codecs.getincrementaldecoder(encoding)("strict").decode(head, final=False)


# --- the entry points --------------------------------------------------------------------------


def read_book(path: Path) -> tuple[list[Sheet], list[Finding]]:
    r"""Read every sheet of a workbook, or a text table as one sheet, whatever its kind.

    The reader is chosen by the file's content (:func:`book_kind`), not its name: .xlsx and
    .xlsm by openpyxl; .xls, .xlsb and .ods by python-calamine; CSV, TSV and TXT tables in
    UTF-8, GBK, GB18030 or UTF-16 as one sheet titled by the file's stem. Hidden sheets are
    read too, with ``hidden=True``.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    sheets, findings : list of Sheet, list of Finding
        The sheets in workbook order (chart sheets left out); file-level findings. A file that
        cannot be read (another kind of file, damaged, too large) gives no sheet and an error
        finding saying why and what to do, in English and Chinese.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "村.csv"
    >>> _ = p.write_bytes("村名称,人口\n西村,3500\n".encode("gb18030"))
    >>> sheets, findings = read_book(p)
    >>> sheets[0].title, sheets[0].rows, findings
    ('村', [['村名称', '人口'], ['西村', '3500']], [])
    >>> _ = p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    >>> read_book(p)[1][0][1][:44]
    'the file is neither a workbook (.xlsx, .xlsm'
    """
    kind = "file"
    if not path.is_file():  # a pipe would block the first read; a folder is no book
        return [], [
            _error(
                f"{path.name} is not a file (a folder, a named pipe, or missing)",
                f"{path.name} 不是文件（文件夹、命名管道或不存在）",
            )
        ]
    try:
        kind = book_kind(path)
        if kind == "xlsx":
            return _read_xlsx(path)
        if kind in CALAMINE_KINDS:
            return _read_calamine(path, kind)
        if kind == "text":
            sheets, findings = _read_text(path)
            if path.suffix.lower() in WORKBOOK_SUFFIXES:
                findings.insert(
                    0,
                    (
                        "warning",
                        f"the file is named {path.suffix} but holds text (a CSV table?): read "
                        "as a text table",
                        f"文件名为 {path.suffix}，内容却是文本（CSV 表格？）：按文本表格读取",
                        None,
                        None,
                        None,
                    ),
                )
            return sheets, findings
        en, zh = NOT_A_TABLE.get(kind, NOT_A_TABLE["other"])
        return [], [_error(f"the file is {en}", zh)]
    except _Refused as exc:
        return [], [_error(exc.en, exc.zh)]
    except DecodeError as exc:
        return [], [_error(exc.en, exc.zh, exc.line)]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's Rust panics are BaseException
        return [], [_damaged(exc, kind)]


def read_folder_tables(folder: Path) -> tuple[list[Sheet], list[Finding]]:
    r"""Read every table file directly in a folder as sheets.

    Files ending in one of :data:`BOOK_SUFFIXES` (``.csv .tsv .txt .xls .xlsx .xlsm .xlsb
    .ods``, any case) are read by :func:`read_book`, in name order; hidden files (``.name``),
    Office lock files (``~$name``) and column maps (``*.columns.toml``) are skipped. A
    workbook's sheets are titled ``stem`` if it has one sheet, else ``stem/sheet``; two files
    of one stem (``村.csv``, ``村.xlsx``) are told apart by their full names.

    Parameters
    ----------
    folder : pathlib.Path
        The folder (not searched below).

    Returns
    -------
    sheets, findings : list of Sheet, list of Finding
        All the sheets; file-level findings, each message starting with the file's name.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "乡镇.csv").write_text("乡镇名称,人口\n城关镇,52000\n", encoding="utf-8")
    >>> _ = (d / "村.tsv").write_bytes("村名称\t人口\n西村\t3500\n".encode("utf-16"))
    >>> _ = (d / "notes.md").write_text("not a table", encoding="utf-8")
    >>> sheets, findings = read_folder_tables(d)
    >>> [(s.title, s.rows[1]) for s in sheets], findings
    ([('乡镇', ['城关镇', '52000']), ('村', ['西村', '3500'])], [])
    """
    files = sorted(
        (
            p
            for p in folder.iterdir()
            if p.suffix.lower() in BOOK_SUFFIXES
            and not p.name.startswith((".", "~$"))
            and not p.name.lower().endswith(".columns.toml")
            and p.is_file()
        ),
        key=lambda p: p.name,
    )
    stems = [p.stem for p in files]
    sheets: list[Sheet] = []
    findings: list[Finding] = []
    for p in files:
        base = p.name if stems.count(p.stem) > 1 else p.stem
        found, problems = read_book(p)
        for sev, en, zh, row, col, value in problems:
            findings.append((sev, f"{p.name}: {en}", f"{p.name}：{zh}", row, col, value))
        for s in found:
            s.title = base if len(found) == 1 else f"{base}/{s.title}"
            sheets.append(s)
    return sheets, findings


#: What each kind of file is called in messages: kind -> (English, Chinese).
KIND_NAMES: dict[str, tuple[str, str]] = {
    "xlsx": ("Excel workbook (.xlsx)", "Excel 工作簿（.xlsx）"),
    "xlsb": ("Excel binary workbook (.xlsb)", "Excel 二进制工作簿（.xlsb）"),
    "xls": ("Excel 97–2003 workbook (.xls)", "Excel 97–2003 工作簿（.xls）"),
    "ods": ("OpenDocument spreadsheet (.ods)", "OpenDocument 表格（.ods）"),
    "text": ("text table", "文本表格"),
}
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


def _damaged(exc: BaseException, kind: str) -> Finding:
    if isinstance(exc, MemoryError):
        return _error(
            "the file could not be read within the memory available; delete what is not the "
            "county's tables, or save them as .xlsx",
            "内存不足，无法读取该文件：请删除与本县表格无关的内容，或另存为 .xlsx",
        )
    en, zh = KIND_NAMES.get(kind, ("file", "文件"))
    return _error(
        f"cannot open the {en} ({type(exc).__name__}: {str(exc)[:200]}); it may be damaged: "
        "open it in Excel or WPS and save it again as .xlsx",
        f"无法打开{zh}（{type(exc).__name__}），文件可能已损坏：请用 Excel 或 WPS 打开后重新另存为 .xlsx",
    )


# --- openpyxl and text -------------------------------------------------------------------------


def _check_zip(path: Path, limit: int) -> None:
    """Refuse a zip that unpacks to more than ``limit`` bytes or is compressed suspiciously."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    mb = total // 2**20
    if total / packed > MAX_RATIO:
        raise _Refused(
            f"workbook refused: it unpacks to {mb} MB (ratio {total / packed:.0f}:1)",
            f"拒绝读取：解压后 {mb} MB（压缩比 {total / packed:.0f}:1），疑似压缩炸弹",
        )
    if total > limit:
        raise _Refused(
            f"workbook refused: it unpacks to {mb} MB, more than the {limit // 2**20} MB read at "
            "most (a county's tables take a few MB); delete what is not the county's tables",
            f"拒绝读取：解压后 {mb} MB，超过上限 {limit // 2**20} MB（一个县的表格通常只有几 MB）；"
            "请删除与本县表格无关的内容",
        )


def _read_xlsx(path: Path) -> tuple[list[Sheet], list[Finding]]:
    _check_zip(path, MAX_UNCOMPRESSED)
    _scan_xlsx(path)  # cell text and sheet extent, before openpyxl holds any of it
    with path.open("rb") as f:
        return read_sheets(f, include_hidden=True)


# .xlsx: cell text and sheet extent, streamed ------------------------------------------------

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# element names as expat gives them with namespace_separator=" "
_X_SI, _X_T = f"{_MAIN_NS} si", f"{_MAIN_NS} t"
_X_ROW, _X_C, _X_V = f"{_MAIN_NS} row", f"{_MAIN_NS} c", f"{_MAIN_NS} v"
_X_F = f"{_MAIN_NS} f"
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
#: Bytes of an .xlsx part fed to expat at a time (its text is counted, never kept).
_CHUNK = 1 << 20


def _cell_text_refused(where_en: str, where_zh: str, n: int) -> _Refused:
    return _Refused(
        f"workbook refused: {where_en} holds {n:,} characters, more than the {MAX_CELL_CHARS:,} "
        "a cell can hold in Excel (no workbook saved by Excel or WPS has such a cell); delete "
        "or shorten it",
        f"拒绝读取：{where_zh}有 {n:,} 个字符，超过 Excel 单元格上限 {MAX_CELL_CHARS:,} 个字符"
        "（Excel 或 WPS 保存的工作簿不会有这样的单元格）；请删除或缩短",
    )


def _xlsx_sheet_parts(zf: zipfile.ZipFile) -> tuple[list[tuple[str, str]], str | None]:
    """Return ``(sheet name, part)`` of each worksheet, and the shared-strings part (if any)."""
    import xml.etree.ElementTree as ET

    parts = {n.lower(): n for n in zf.namelist()}

    def read_small(name: str) -> bytes:
        if zf.getinfo(name).file_size > 16 * 2**20:  # workbook.xml and rels are a few KB
            raise _Refused(
                f"workbook refused: its part {name} is larger than 16 MB",
                f"拒绝读取：工作簿的 {name} 部分超过 16 MB",
            )
        return zf.read(name)

    rels: dict[str, tuple[str, str]] = {}
    rels_name = parts.get("xl/_rels/workbook.xml.rels")
    if rels_name is not None:
        for r in ET.fromstring(read_small(rels_name)).iter(f"{{{_PKG_REL_NS}}}Relationship"):
            target = r.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            rels[r.get("Id", "")] = (r.get("Type", "").rsplit("/", 1)[-1], part.lower())
    sheets: list[tuple[str, str]] = []
    book = parts.get("xl/workbook.xml")
    if book is not None:
        for sh in ET.fromstring(read_small(book)).iter(f"{{{_MAIN_NS}}}sheet"):
            kind, part = rels.get(sh.get(f"{{{_REL_NS}}}id", ""), ("", ""))
            if kind == "worksheet" and part in parts:
                sheets.append((sh.get("name", ""), parts[part]))
    shared = next((p for k, p in rels.values() if k == "sharedStrings"), "xl/sharedstrings.xml")
    return sheets, parts.get(shared)


def _parse_part(
    zf: zipfile.ZipFile,
    name: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    text: Callable[[str], None],
) -> None:
    """Stream one part of the zip through expat (no tree, text counted by the handlers)."""
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    with zf.open(name) as f:
        while chunk := f.read(_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)


def _long_shared_strings(zf: zipfile.ZipFile, part: str) -> set[int]:
    """Return the indices of the shared strings longer than :data:`MAX_CELL_CHARS` (text not kept)."""
    long: set[int] = set()
    state = {"i": -1, "n": 0, "in_t": 0}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == _X_SI:
            state["i"] += 1
            state["n"] = 0
        elif tag == _X_T:
            state["in_t"] += 1

    def end(tag: str) -> None:
        if tag == _X_T:
            state["in_t"] -= 1
        elif tag == _X_SI and state["n"] > MAX_CELL_CHARS:
            long.add(state["i"])

    def text(data: str) -> None:
        if state["in_t"]:
            state["n"] += len(data)

    _parse_part(zf, part, start, end, text)
    return long


class _XlsxSheetScanner:
    """expat handlers finding, in one sheet part, over-long cell text and the cells' extent.

    A cell's value (``<v>``), inline string (``<is><t>``) and formula (``<f>``) are counted,
    never kept (only a short ``<v>``: a shared-string index). The rows holding non-empty cells
    and the first row of each column are kept to find the extent as
    :func:`~tcmcounty.inputs.sheets.build_sheet` will lay the sheet out, after the same
    stray-cell rule (:data:`~tcmcounty.inputs.sheets.STRAY_ROWS`, ``STRAY_COLUMNS``).
    """

    def __init__(self, sheet: str, long_shared: set[int]) -> None:
        self.sheet, self.long_shared = sheet, long_shared
        self.rows: set[int] = set()
        self.first_row: dict[int, int] = {}
        self.row = 0
        self.col = 0
        self.shared = False
        self.cell_open = False
        self.n = 0  # characters of the open cell's value, inline text or formula
        self.blank = True  # no character but white space so far
        self.v = ""  # the start of its <v>: a shared-string index
        self.counting = 0
        self.in_v = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == _X_C:
            m = _CELL_REF.match(attrs.get("r", ""))
            if m:
                self.col = _column_number(m.group(1))
                self.row = int(m.group(2))
            else:
                self.col += 1
            self.shared = attrs.get("t") == "s"
            self.cell_open, self.n, self.blank, self.v = True, 0, True, ""
        elif tag == _X_ROW:
            r = attrs.get("r", "")
            self.row = int(r) if r.isdigit() else self.row + 1
            self.col = 0
        elif self.cell_open and tag in (_X_V, _X_T, _X_F):
            self.counting += 1
            self.in_v = tag == _X_V
            if tag == _X_F:
                self.blank = False  # a formula is kept even without a saved value

    def end(self, tag: str) -> None:
        if tag in (_X_V, _X_T, _X_F) and self.counting:
            self.counting -= 1
            self.in_v = False
        elif tag == _X_C and self.cell_open:
            self.cell_open = False
            ref = f"{column_letter(self.col - 1)}{self.row}"
            where = (f"sheet '{self.sheet}' cell {ref}", f"工作表“{self.sheet}”单元格 {ref}")
            if self.n > MAX_CELL_CHARS:
                raise _cell_text_refused(*where, self.n)
            if self.shared and self.v.strip().isdigit() and int(self.v) in self.long_shared:
                raise _cell_text_refused(*where, MAX_CELL_CHARS + 1)
            if not self.blank:
                self.rows.add(self.row)
                if self.row < self.first_row.get(self.col, self.row + 1):
                    self.first_row[self.col] = self.row

    def text(self, data: str) -> None:
        if self.counting:
            self.n += len(data)
            if self.blank and not data.isspace():
                self.blank = False
            if self.in_v and len(self.v) < 32:
                self.v += data[:32]

    def span(self) -> tuple[int, int]:
        """Rows and columns the sheet is laid out over once stray cells are dropped."""
        if not self.rows:
            return 0, 0
        cut_row = _cut(sorted(self.rows), _sheets.STRAY_ROWS)
        cut_col = _cut(
            sorted(c for c, r in self.first_row.items() if r <= cut_row), _sheets.STRAY_COLUMNS
        )
        return cut_row, cut_col


def _cut(values: list[int], gap: int) -> int:
    """Return the last value before the first gap wider than ``gap`` (the last if none)."""
    for a, b in itertools.pairwise(values):
        if b - a > gap:
            return a
    return values[-1]


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _scan_xlsx(path: Path) -> None:
    """Refuse an .xlsx whose cells openpyxl would have to hold in unbounded memory.

    Streamed with expat, before openpyxl reads anything: a cell's text longer than
    :data:`MAX_CELL_CHARS` (Excel's own limit; a 300 MB string would exhaust memory), and a
    sheet whose non-empty cells, stray ones dropped as the reader drops them, span more than
    :data:`MAX_SPAN` cells (the reader lays rows out up to their last cell).

    Raises
    ------
    _Refused
        Naming the sheet and cell, or the sheet and its extent, and the limit.
    """
    with zipfile.ZipFile(path) as zf:
        sheets, shared = _xlsx_sheet_parts(zf)
        long_shared = _long_shared_strings(zf, shared) if shared is not None else set()
        for name, part in sheets:
            scan = _XlsxSheetScanner(name, long_shared)
            _parse_part(zf, part, scan.start, scan.end, scan.text)
            rows, cols = scan.span()
            if rows * cols > MAX_SPAN:
                ref = f"A1:{column_letter(cols - 1)}{rows}"
                raise _Refused(
                    f"workbook refused: sheet '{name}' lays its cells out over {ref} "
                    f"({rows * cols:,} cells, more than the {MAX_SPAN:,} read at most); a "
                    "county's table spans far fewer: delete the cells outside the table",
                    f"拒绝读取：工作表“{name}”的数据铺满 {ref}（{rows * cols:,} 个单元格，超过上限 "
                    f"{MAX_SPAN:,}）；一个县的表格远小于此，请删除表格以外的单元格",
                )


def _read_text(path: Path) -> tuple[list[Sheet], list[Finding]]:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise _Refused(
            f"file larger than {MAX_BYTES // 2**20} MB refused",
            f"文件超过 {MAX_BYTES // 2**20} MB，拒绝读取",
        )
    text, _encoding = decode(path.read_bytes())
    rows = split_rows(text, sniff_delimiter(text))
    del text
    cells: dict[int, list[tuple[int, object]]] = {}
    count = 0
    for i, row in enumerate(rows, start=1):
        kept: list[tuple[int, object]] = [(c, v) for c, v in enumerate(row, 1) if v.strip()]
        if kept:
            cells[i] = kept
            count += len(kept)
            if count > _sheets.MAX_CELLS:
                raise _cell_cap(path.stem)
    return [build_sheet(path.stem, cells)], []


# --- calamine ----------------------------------------------------------------------------------


@dataclass
class _Scan:
    """What the scan of one sheet's records found, before calamine reads it.

    ``first``/``last`` are the (row, column) of the extent of the non-empty cells, 0-based as
    calamine counts; ``merged`` is None where the scan does not read merged ranges.
    """

    name: str
    cells: int = 0
    first: tuple[int, int] | None = None
    last: tuple[int, int] | None = None
    merged: list[Merged] | None = None

    def add(self, row0: int, row1: int, col0: int, col1: int, n: int) -> None:
        """Count ``n`` non-empty cells lying within rows and columns ``row0..row1, col0..col1``."""
        self.cells += n
        if self.first is None or self.last is None:
            self.first, self.last = (row0, col0), (row1, col1)
            return
        self.first = (min(self.first[0], row0), min(self.first[1], col0))
        self.last = (max(self.last[0], row1), max(self.last[1], col1))

    @property
    def span(self) -> int:
        """Cells calamine lays out for the sheet."""
        if self.first is None or self.last is None:
            return 0
        return (self.last[0] - self.first[0] + 1) * (self.last[1] - self.first[1] + 1)


def _check_scans(scans: list[_Scan]) -> None:
    total = 0
    for s in scans:
        total += s.cells
        if total > _sheets.MAX_CELLS:
            raise _cell_cap(s.name)
    for s in scans:
        if s.span > MAX_SPAN and s.first is not None and s.last is not None:
            ref = (
                f"{column_letter(s.first[1])}{s.first[0] + 1}:"
                f"{column_letter(s.last[1])}{s.last[0] + 1}"
            )
            raise _Refused(
                f"workbook refused: sheet '{s.name}' spans {ref} ({s.span:,} cells) but holds "
                f"{s.cells:,} non-empty cells: a cell far outside the table? Delete it, or save "
                "the workbook as .xlsx (where such cells are skipped)",
                f"拒绝读取：工作表“{s.name}”的数据范围为 {ref}（{s.span:,} 个单元格），而非空单元格只有 "
                f"{s.cells:,} 个：可能有远离表格的单元格，请删除，或另存为 .xlsx（其中此类单元格会被忽略）",
            )


def _read_calamine(path: Path, kind: str) -> tuple[list[Sheet], list[Finding]]:
    if kind == "xls":
        size = path.stat().st_size
        if size > MAX_BOOK_BYTES:
            raise _Refused(
                f"workbook refused: {size // 2**20} MB, more than the {MAX_BOOK_BYTES // 2**20} "
                "MB read at most (a county's tables take a few MB); delete what is not the "
                "county's tables",
                f"拒绝读取：文件 {size // 2**20} MB，超过上限 {MAX_BOOK_BYTES // 2**20} MB"
                "（一个县的表格通常只有几 MB）；请删除与本县表格无关的内容",
            )
        scans = _scan_xls(path.read_bytes())
    else:
        _check_zip(path, MAX_BOOK_BYTES)
        scans = _scan_xlsb(path) if kind == "xlsb" else _scan_ods(path)
    _check_scans(scans)
    return _load_calamine(path, scans)


def _load_calamine(path: Path, scans: list[_Scan] | None) -> tuple[list[Sheet], list[Finding]]:
    """Read a workbook with calamine; ``scans`` give merged ranges calamine does not."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    by_name = {s.name: s for s in scans or []}
    sheets: list[Sheet] = []
    budget = _sheets.MAX_CELLS  # read when called: one cap for every reader
    # from_filelike: calamine then tells the format by content; from_path goes by the suffix
    with path.open("rb") as f, CalamineWorkbook.from_filelike(f) as wb:
        for i, meta in enumerate(wb.sheets_metadata):
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # chart and dialog sheets hold no cells
            ws = wb.get_sheet_by_name(meta.name)
            cells, used = _calamine_cells(ws, budget, meta.name)
            budget -= used
            if budget < 0:
                raise _cell_cap(meta.name)
            sheet = build_sheet(meta.name, cells)
            sheet.hidden = meta.visible != SheetVisibleEnum.Visible
            merged = ws.merged_cell_ranges
            if merged is not None:
                ranges = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in merged]
            else:
                scan = by_name.get(meta.name)
                if scan is None and scans and i < len(scans):
                    scan = scans[i]
                ranges = list(scan.merged or []) if scan is not None else []
            sheet.merged = sorted(m for m in ranges if m[0] <= len(sheet.rows))
            sheets.append(sheet)
    return sheets, []


def _calamine_cells(
    ws: object, budget: int, name: str = ""
) -> tuple[dict[int, list[tuple[int, object]]], int]:
    """Return the non-empty cells of a calamine sheet, 1-based, valued as openpyxl does.

    Raises
    ------
    _Refused
        For a cell whose text is longer than :data:`MAX_CELL_CHARS` (named by sheet and cell).
    """
    end = ws.end  # type: ignore[attr-defined]
    if end is None:
        return {}, 0
    relative: list[tuple[int, list[tuple[int, object]]]] = []
    count = 0
    n_rows = 0
    width = 0
    date, datetime = dt.date, dt.datetime
    long: tuple[int, int, int] | None = None
    for n_rows, row in enumerate(ws.iter_rows(), start=1):  # type: ignore[attr-defined]
        width = len(row)
        kept: list[tuple[int, object]] = []
        for c, v in enumerate(row):
            if v == "":
                continue
            t = type(v)
            if t is str:
                if not v.strip():
                    continue
                if len(v) > MAX_CELL_CHARS and long is None:
                    long = (n_rows - 1, c, len(v))
            elif t is date:
                v = datetime(v.year, v.month, v.day)  # openpyxl gives dates as datetimes
            kept.append((c, v))
        if kept:
            relative.append((n_rows - 1, kept))
            count += len(kept)
            if count > budget:
                break
    # iter_rows starts at the sheet's first column but (python-calamine 0.9) at row 1: the
    # offsets are taken from the extent so that either way the cells land where they are.
    row_offset = end[0] + 1 - n_rows
    col_offset = end[1] + 1 - width
    if long is not None:
        ref = f"{column_letter(long[1] + col_offset)}{long[0] + row_offset + 1}"
        raise _cell_text_refused(
            f"sheet '{name}' cell {ref}", f"工作表“{name}”单元格 {ref}", long[2]
        )
    cells = {r + row_offset + 1: [(c + col_offset + 1, v) for c, v in kept] for r, kept in relative}
    return cells, count


# .xls: the Workbook stream of an OLE2 compound file, then its BIFF records ----------------------

_MARKERS = 0xFFFFFFFA  # sector numbers from here up are markers (end of chain, free ...)
_DIFSECT, _END_OF_CHAIN = 0xFFFFFFFC, 0xFFFFFFFE
#: Entries calamine reserves room for, from bytes 62-65 of the header (4 bytes each).
_MAX_DIFAT_RESERVE = 1 << 24


def _ole_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """Return the first of the named streams of an OLE2 compound file (None: it has none).

    The file is read as calamine will read it, and refused where calamine would follow a
    looping sector chain or reserve memory by a damaged count (both stop the process).

    Raises
    ------
    ValueError
        If the file is damaged in one of those ways, or otherwise cannot be followed.
    """
    if len(data) < 512 or data[:8] != OLE2_MAGIC:
        raise ValueError("not an OLE2 compound file")
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if shift not in (9, 12) or mini_shift != 6:
        raise ValueError(f"OLE2 sector size 2^{shift} / 2^{mini_shift} not supported")
    size = 1 << shift
    n_sectors = (len(data) - 1) // size  # the header takes the first sector's place
    n_fat, dir_start, _tx, _cutoff, minifat_start, n_minifat, difat_next = struct.unpack_from(
        "<7I", data, 0x2C
    )
    (reserve,) = struct.unpack_from("<I", data, 62)
    if n_fat > n_sectors or n_minifat > n_sectors or reserve > _MAX_DIFAT_RESERVE:
        raise ValueError("OLE2 header counts beyond the file's size (damaged header)")

    def sector(i: int) -> bytes:
        if i >= n_sectors:
            raise ValueError(f"OLE2 sector {i} beyond the end of the file")
        return data[(i + 1) * size : (i + 2) * size]

    def chain(start: int, table: list[int]) -> Iterator[int]:
        s, steps = start, 0
        while s != _END_OF_CHAIN:
            if s >= len(table) or steps > len(table):
                raise ValueError("OLE2 sector chain broken or looping")
            yield s
            s, steps = table[s], steps + 1

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    seen: set[int] = set()
    while difat_next < _MARKERS:  # calamine follows the DIFAT chain whatever its stated length
        if difat_next in seen:
            raise ValueError("OLE2 DIFAT chain looping")
        seen.add(difat_next)
        entries = struct.unpack(f"<{size // 4}I", sector(difat_next))
        difat += entries[:-1]
        difat_next = entries[-1]
    fat_sectors = [s for s in difat if s < _DIFSECT]
    if len(fat_sectors) > n_sectors:
        raise ValueError("OLE2 allocation table longer than the file")
    fat_bytes = b"".join(sector(s) for s in fat_sectors)
    fat = list(struct.unpack(f"<{len(fat_bytes) // 4}I", fat_bytes))
    directory = b"".join(sector(s) for s in chain(dir_start, fat))
    entries_ = []
    for off in range(0, len(directory) - 127, 128):
        name = directory[off : off + 64].decode("utf-16-le", "replace").split("\x00")[0]
        start, length = struct.unpack_from("<IQ", directory, off + 116)
        if shift == 9:
            length &= 0xFFFFFFFF  # version 3 files: the high half may hold garbage
        entries_.append((name, start, length))
    if not entries_:
        raise ValueError("OLE2 directory empty")
    mini = b""
    minifat: list[int] = []
    if n_minifat:
        _root, root_start, root_length = entries_[0]
        mini = b"".join(sector(s) for s in chain(root_start, fat))[:root_length]
        minifat_bytes = b"".join(sector(s) for s in chain(minifat_start, fat))
        minifat = list(struct.unpack(f"<{len(minifat_bytes) // 4}I", minifat_bytes))
    for wanted in names:  # in calamine's order, by exact name
        for name, start, length in entries_:
            if name != wanted:
                continue
            if length >= 4096:  # calamine's cutoff, whatever the header says
                return b"".join(sector(s) for s in chain(start, fat))[:length]
            return b"".join(mini[s * 64 : (s + 1) * 64] for s in chain(start, minifat))[:length]
    return None


#: BIFF records of one cell each: NUMBER, LABEL, RSTRING, BOOLERR, RK, LABELSST, FORMULA.
_BIFF_CELLS = frozenset((0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006))
_BIFF_MULRK, _BIFF_BOF, _BIFF_EOF, _BIFF_DIMENSIONS = 0x00BD, 0x0809, 0x000A, 0x0200
#: Cells of the largest sheet an .xls can hold (65,536 rows × 256 columns).
_XLS_MAX_CELLS = 65536 * 256
_BIFF_BOUNDSHEET, _BIFF_FILEPASS = 0x0085, 0x002F


def _scan_xls(data: bytes) -> list[_Scan]:
    """Count and locate the cells of each sheet of an .xls, as calamine will lay them out."""
    stream = _ole_stream(data, ("Workbook", "Book", "WORKBOOK", "BOOK"))
    del data
    if stream is None:
        en, zh = NOT_A_TABLE["ole"]
        raise _Refused(f"the file is {en}", zh)
    sheets: list[tuple[int, str]] = []
    pos, end = 0, len(stream)
    biff8 = True
    while pos + 4 <= end:
        typ, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + length]
        pos += 4 + length
        if typ == _BIFF_BOF and pos == 4 + length:
            biff8 = len(body) >= 2 and struct.unpack_from("<H", body)[0] == 0x0600
        elif typ == _BIFF_FILEPASS:
            en, zh = NOT_A_TABLE["encrypted"]
            raise _Refused(f"the file is {en}", zh)
        elif typ == _BIFF_BOUNDSHEET and len(body) >= 7:
            (offset,) = struct.unpack_from("<I", body)
            sheets.append((offset, _biff_name(body[6:], biff8)))
        elif typ == _BIFF_EOF:
            break
    scans = []
    for offset, name in sheets:
        scan = _Scan(name)
        pos, depth = offset, 0
        while pos + 4 <= end:
            typ, length = struct.unpack_from("<HH", stream, pos)
            body_at = pos + 4
            pos = body_at + length
            if typ == _BIFF_BOF:
                depth += 1
            elif typ == _BIFF_EOF:
                depth -= 1
                if depth <= 0:
                    break
            elif depth > 1 or length < 4:
                continue  # an embedded chart's records
            elif (
                typ == _BIFF_DIMENSIONS and _xls_stated_cells(stream[body_at:pos]) > _XLS_MAX_CELLS
            ):
                raise ValueError(f"sheet '{name}' states a size beyond the .xls format's limits")
            elif typ in _BIFF_CELLS:
                row, col = struct.unpack_from("<HH", stream, body_at)
                scan.add(row, row, col, col, 1)
            elif typ == _BIFF_MULRK and length >= 6:
                row, first = struct.unpack_from("<HH", stream, body_at)
                (last,) = struct.unpack_from("<H", stream, pos - 2)
                if last >= first:
                    scan.add(row, row, first, last, last - first + 1)
        scans.append(scan)
    return scans


def _xls_stated_cells(body: bytes) -> int:
    """Return the cells calamine reserves room for by a DIMENSIONS record (its arithmetic)."""
    if len(body) == 10:
        rf, rl, cf, cl = struct.unpack_from("<4H", body)
    elif len(body) == 14:
        rf, rl, cf, cl = struct.unpack_from("<IIHH", body)
    else:
        return 0
    if cf > 0xFF or cl < cf:
        cf = 0
    end = (rl - 1, cl - 1) if rl >= 1 and cl >= 1 else (rf, cf)
    rows = (end[0] - rf + 1) & 0xFFFFFFFF  # u32 arithmetic, wrapping
    cols = (end[1] - cf + 1) & 0xFFFFFFFF
    return int(rows * cols)


def _biff_name(raw: bytes, biff8: bool) -> str:
    """Return the sheet name of a BOUNDSHEET record (for messages; calamine's are used)."""
    if not raw:
        return ""
    n = raw[0]
    if not biff8:
        return raw[1 : 1 + n].decode("gbk", "replace")
    if len(raw) > 1 and raw[1] & 1:
        return raw[2 : 2 + 2 * n].decode("utf-16-le", "replace")
    return raw[2 : 2 + n].decode("latin-1")


# .xlsb: the records of each sheet part ---------------------------------------------------------

_XLSB_ROW, _XLSB_BEGIN_DATA, _XLSB_END_DATA, _XLSB_MERGE = 0x0000, 0x0091, 0x0092, 0x00B0
_XLSB_BUNDLE_SHEET, _XLSB_END_BUNDLE = 0x009C, 0x0090


def _xlsb_records(buf: bytes) -> Iterator[tuple[int, int, int]]:
    """``(type, start, end)`` of each record of an .xlsb part."""
    pos, n = 0, len(buf)
    while pos < n:
        b = buf[pos]
        pos += 1
        typ = b & 0x7F
        if b & 0x80:
            if pos >= n:
                raise ValueError("xlsb record type cut short")
            typ |= (buf[pos] & 0x7F) << 7
            pos += 1
        size = 0
        for i in range(4):
            if pos >= n:
                raise ValueError("xlsb record size cut short")
            b = buf[pos]
            pos += 1
            size |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                break
        if pos + size > n:
            raise ValueError("xlsb record cut short")
        yield typ, pos, pos + size
        pos += size


def _xlsb_wide(buf: bytes, at: int, end: int) -> tuple[str | None, int]:
    """Return the XLWideString at ``at`` (None: the null one) of a record ending at ``end``."""
    if at + 4 > end:
        raise ValueError("xlsb string cut short")
    (n,) = struct.unpack_from("<I", buf, at)
    if n == 0xFFFFFFFF:
        return None, at + 4
    if at + 4 + 2 * n > end:
        raise ValueError("xlsb string cut short")
    return buf[at + 4 : at + 4 + 2 * n].decode("utf-16-le", "replace"), at + 4 + 2 * n


def _scan_xlsb(path: Path) -> list[_Scan]:
    """Count and locate the cells, and read the merged ranges, of each sheet of an .xlsb."""
    import xml.etree.ElementTree as ET

    scans = []
    with zipfile.ZipFile(path) as zf:
        parts = {n.lower(): n for n in zf.namelist()}
        rels: dict[str, str] = {}
        if "xl/_rels/workbook.bin.rels" in parts:
            root = ET.fromstring(zf.read(parts["xl/_rels/workbook.bin.rels"]))
            for r in root:
                if r.get("Id") is not None and r.get("Target") is not None:
                    rels[r.get("Id", "")] = r.get("Target", "")
        workbook = zf.read(parts["xl/workbook.bin"])
        sheets: list[tuple[str, str]] = []
        for typ, start, end in _xlsb_records(workbook):
            if typ == _XLSB_BUNDLE_SHEET:
                relid, at = _xlsb_wide(workbook, start + 8, end)
                if relid is None:
                    continue  # calamine leaves such a sheet out
                name, _ = _xlsb_wide(workbook, at, end)
                target = rels.get(relid, "")
                part = target.lstrip("/") if target.startswith("/") else "xl/" + target
                sheets.append((name or "", part))
            elif typ == _XLSB_END_BUNDLE:
                break
        for name, part in sheets:
            scan = _Scan(name, merged=[])
            if "/worksheets/" in part.lower() and part.lower() in parts:
                _scan_xlsb_sheet(zf.read(parts[part.lower()]), scan)
            scans.append(scan)
    return scans


def _scan_xlsb_sheet(buf: bytes, scan: _Scan) -> None:
    row, in_data = 0, False
    merged = scan.merged if scan.merged is not None else []
    for typ, start, end in _xlsb_records(buf):
        if typ == _XLSB_BEGIN_DATA:
            in_data = True
        elif typ == _XLSB_END_DATA:
            in_data = False
        elif in_data and typ == _XLSB_ROW and end - start >= 4:
            (row,) = struct.unpack_from("<I", buf, start)
            if row > 0x100000:
                in_data = False  # calamine stops reading the sheet at an invalid row
        elif in_data and 2 <= typ <= 11 and end - start >= 4:  # BrtCellRk ... BrtFmlaError
            (col,) = struct.unpack_from("<I", buf, start)
            scan.add(row, row, col, col, 1)
        elif typ == _XLSB_MERGE and end - start >= 16:
            r0, r1, c0, c1 = struct.unpack_from("<4I", buf, start)
            merged.append((r0 + 1, c0 + 1, r1 + 1, c1 + 1))


# .ods: content.xml ------------------------------------------------------------------------------

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
# element and attribute names as expat gives them with namespace_separator=" "
_T_TABLE, _T_ROW = f"{_TABLE_NS} table", f"{_TABLE_NS} table-row"
_T_CELL, _T_COVERED = f"{_TABLE_NS} table-cell", f"{_TABLE_NS} covered-table-cell"
_T_NAME = f"{_TABLE_NS} name"
_ROWS_REPEATED = f"{_TABLE_NS} number-rows-repeated"
_COLS_REPEATED = f"{_TABLE_NS} number-columns-repeated"
_COLS_SPANNED = f"{_TABLE_NS} number-columns-spanned"
_ROWS_SPANNED = f"{_TABLE_NS} number-rows-spanned"
_VALUE_TYPE = f"{_OFFICE_NS} value-type"
#: Attributes that make a cell non-empty for calamine (besides value-type "string").
_ODS_VALUES = (
    *(
        f"{_OFFICE_NS} {a}"
        for a in ("value", "string-value", "date-value", "time-value", "boolean-value")
    ),
    f"{_TABLE_NS} formula",
)


def _repeat(value: str | None) -> int:
    n = int(value) if value else 1
    if n < 1:
        raise ValueError(f"repeat count {n}")
    return n


class _OdsScanner:
    """expat handlers counting the cells of each table of an .ods's ``content.xml``.

    Repeated rows and cells (``number-rows-repeated``, ``number-columns-repeated``) are
    counted, never expanded; no tree is built, so memory stays flat whatever the file.
    A cell is non-empty by its attributes alone, as calamine decides.
    """

    def __init__(self) -> None:
        self.scans: list[_Scan] = []
        self.scan: _Scan | None = None
        self.depth = 0  # tables open (a table inside a cell is a sub-table: not counted)
        self.row = self.col = 0
        self.row_repeat = 1
        self.row_cells = self.row_first = self.row_last = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == _T_TABLE:
            self.depth += 1
            if self.depth == 1:
                self.scan = _Scan(attrs.get(_T_NAME, ""), merged=[])
                self.row = 0
            return
        scan = self.scan
        if scan is None or self.depth != 1:
            return
        if tag == _T_ROW:
            self.row_repeat = _repeat(attrs.get(_ROWS_REPEATED))
            self.col = self.row_cells = self.row_first = self.row_last = 0
        elif tag == _T_CELL or tag == _T_COVERED:
            n = _repeat(attrs.get(_COLS_REPEATED))
            if attrs.get(_VALUE_TYPE) == "string" or any(a in attrs for a in _ODS_VALUES):
                if not self.row_cells:
                    self.row_first = self.col
                self.row_cells += n
                self.row_last = self.col + n - 1
            if tag == _T_CELL and (_COLS_SPANNED in attrs or _ROWS_SPANNED in attrs):
                cs = _repeat(attrs.get(_COLS_SPANNED))
                rs = _repeat(attrs.get(_ROWS_SPANNED))
                if (cs > 1 or rs > 1) and scan.merged is not None:
                    scan.merged.append((self.row + 1, self.col + 1, self.row + rs, self.col + cs))
            self.col += n

    def end(self, tag: str) -> None:
        if tag == _T_TABLE:
            self.depth -= 1
            if self.depth == 0 and self.scan is not None:
                self.scans.append(self.scan)
                self.scan = None
        elif tag == _T_ROW and self.scan is not None and self.depth == 1:
            n = self.row_repeat
            if self.row_cells:
                self.scan.add(
                    self.row, self.row + n - 1, self.row_first, self.row_last, self.row_cells * n
                )
            self.row += n


def _scan_ods(path: Path) -> list[_Scan]:
    """Count and locate the cells, and read the merged ranges, of each table of an .ods."""
    from xml.parsers import expat

    scanner = _OdsScanner()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = scanner.start
    parser.EndElementHandler = scanner.end
    with zipfile.ZipFile(path) as zf, zf.open("content.xml") as f:
        parser.ParseFile(f)
    return scanner.scans
