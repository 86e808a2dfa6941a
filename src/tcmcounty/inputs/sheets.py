"""The cells of a workbook's sheets, read by their real extent, and what a file really is.

A sheet's stated size (its ``<dimension>``) may be far beyond its data: one stray character in
``XFD1048576`` makes a 14 KB workbook claim 17 billion cells. Sheets are therefore read cell by
cell from the file, only the non-empty cells are kept, cells far away from the table are
reported and dropped, and the workbook as a whole is capped at :data:`MAX_CELLS` cells.

Formula cells without a saved value (a file written by a program and never opened in Excel)
come back as :class:`~tcmcounty.inputs.cells.UncachedFormula`; merged ranges are returned so
that :func:`~tcmcounty.inputs.cells.parse_rows` can give every row of a merged cell its value.
"""

from __future__ import annotations

import itertools
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tcmcounty.inputs.cells import UncachedFormula, cell_text, column_letter

#: Non-empty cells read from one workbook at most (the template's tables fill a few thousand;
#: a county of 1,000 villages and 600 facilities about 30,000).
MAX_CELLS = 5_000_000
#: Empty rows (columns) that separate a stray cell from the table.
STRAY_ROWS = 1_000
STRAY_COLUMNS = 100
#: A stated size this far beyond the data is reported.
DIMENSION_SLACK = 1_000

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")

#: Merged range: (first row, first column, last row, last column), 1-based as in the sheet.
Merged = tuple[int, int, int, int]
#: A finding: (severity, English, Chinese, row, column, value).
Finding = tuple[str, str, str, int | None, str | None, str | None]


@dataclass
class Sheet:
    """The cells of one sheet: ``rows[i]`` is sheet row ``i + 1``; merged ranges; findings.

    ``hidden`` is True for a sheet hidden in its workbook (hidden or "very hidden"): often old
    data kept out of sight, which a reader should rank below the visible sheets.
    ``hidden_rows`` are the rows holding data that Excel hides (hidden by hand or filtered out):
    they are read like the others, and a warning lists them (:data:`HIDDEN_ROWS_SHOWN` at most).
    """

    title: str
    rows: list[list[object]]
    merged: list[Merged] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    hidden: bool = False
    hidden_rows: list[int] = field(default_factory=list)


def sniff(path: Path) -> str:
    """Say what a file is by its first bytes, whatever its name.

    Returns
    -------
    str
        ``"xlsx"`` (an Office Open XML workbook), ``"ods"`` (OpenDocument), ``"zip"`` (another
        zip archive), ``"encrypted"`` (a password-protected Office file), ``"xls"`` (an Excel
        97–2003 workbook or another OLE2 file), ``"empty"`` or ``"other"``.
    """
    with path.open("rb") as f:
        head = f.read(8)
        if not head:
            return "empty"
        if head == OLE2_MAGIC:
            f.seek(0)
            data = f.read(1 << 20)
            return "encrypted" if _ENCRYPTED in data else "xls"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
                if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
                    return "xlsx"
                if "mimetype" in names and b"spreadsheet" in zf.read("mimetype"):
                    return "ods"
        except zipfile.BadZipFile:
            return "other"
        return "zip"
    return "other"


#: What to say about a file that is not an .xlsx workbook: kind -> (English, Chinese).
NOT_XLSX: dict[str, tuple[str, str]] = {
    "xls": (
        "an Excel 97–2003 workbook (.xls), which cannot be read: open it in Excel or WPS and "
        "save it as .xlsx (文件 → 另存为 → Excel 工作簿)",
        "这是 Excel 97–2003 工作簿（.xls），无法读取：请用 Excel 或 WPS 打开并另存为 .xlsx",
    ),
    "encrypted": (
        "a password-protected (encrypted) workbook, which cannot be read: open it, remove the "
        "password (文件 → 信息 → 保护工作簿 → 用密码进行加密, clear it) and save it",
        "工作簿设有打开密码（已加密），无法读取：请打开后取消密码（文件→信息→保护工作簿→用密码进行加密，清空）再保存",
    ),
    "ods": (
        "an OpenDocument spreadsheet (.ods), which cannot be read: save it as .xlsx",
        "这是 OpenDocument 表格（.ods），无法读取：请另存为 .xlsx",
    ),
    "zip": (
        "a zip archive but not an .xlsx workbook: unpack it, or save the workbook as .xlsx",
        "这是 zip 压缩包而非 .xlsx 工作簿：请解压，或将工作簿另存为 .xlsx",
    ),
    "empty": ("an empty file (0 bytes)", "文件为空（0 字节）"),
    "other": (
        "not an .xlsx workbook (not a zip archive): save the workbook as .xlsx, or give a "
        "bundle folder",
        "不是 .xlsx 工作簿：请另存为 .xlsx，或提供县数据文件夹",
    ),
}


def read_sheets(
    source: IO[bytes], *, include_hidden: bool = False
) -> tuple[list[Sheet], list[Finding]]:
    """Read the visible sheets of an .xlsx workbook by their real extent.

    Parameters
    ----------
    source : binary file
        The open workbook.
    include_hidden : bool
        Also read hidden sheets (returned with ``hidden=True``); by default they are skipped.

    Returns
    -------
    sheets, findings : list of Sheet, list of Finding
        The sheets in workbook order; workbook-level findings (too many cells).
    """
    from openpyxl import load_workbook

    wb = load_workbook(source, read_only=True, data_only=True)
    sheets: list[Sheet] = []
    findings: list[Finding] = []
    budget = MAX_CELLS
    try:
        for ws in wb.worksheets:
            hidden = ws.sheet_state != "visible"
            if hidden and not include_hidden:
                continue
            sheet, used = _read_sheet(ws, wb, budget)
            sheet.hidden = hidden
            budget -= used
            sheets.append(sheet)
            if budget <= 0:
                findings.append(
                    (
                        "error",
                        f"workbook refused: more than {MAX_CELLS:,} non-empty cells (sheet "
                        f"'{ws.title}' reached the limit); a county's tables fill far fewer",
                        f"拒绝读取：非空单元格超过 {MAX_CELLS:,} 个（工作表“{ws.title}”处达到上限）",
                        None,
                        None,
                        None,
                    )
                )
                break
    finally:
        wb.close()
    return sheets, findings


def _parser_class() -> type:
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class _Parser(WorkSheetParser):
        """Keeps formulas without a saved value as :class:`UncachedFormula`."""

        def parse_cell(self, element):  # type: ignore[no-untyped-def]
            cell = super().parse_cell(element)
            if cell["value"] is None:
                formula = element.find(FORMULA_TAG)
                if formula is not None:
                    cell["value"] = UncachedFormula("=" + (formula.text or ""))
            return cell

    return _Parser


def _read_sheet(ws: object, wb: object, budget: int) -> tuple[Sheet, int]:
    parser_class = _parser_class()
    cells: dict[int, list[tuple[int, object]]] = {}
    count = 0
    with ws._get_source() as src:  # type: ignore[attr-defined]
        parser = parser_class(
            src,
            ws._shared_strings,  # type: ignore[attr-defined]
            data_only=True,
            epoch=wb.epoch,  # type: ignore[attr-defined]
            date_formats=wb._date_formats,  # type: ignore[attr-defined]
            timedelta_formats=wb._timedelta_formats,  # type: ignore[attr-defined]
        )
        for idx, row in parser.parse():
            kept = [(c["column"], c["value"]) for c in row if cell_text(c["value"]) != ""]
            kept += [
                (c["column"], c["value"]) for c in row if isinstance(c["value"], UncachedFormula)
            ]
            if kept:
                cells[idx] = kept
                count += len(kept)
                if count >= budget:
                    break
        merged_cells = parser.merged_cells
        hidden_rows = sorted(
            int(r)
            for r, attrs in parser.row_dimensions.items()
            if str(attrs.get("hidden", "")).lower() in ("1", "true") and int(r) in cells
        )
        hidden_cols = sorted(
            {
                c
                for attrs in parser.column_dimensions.values()
                if str(attrs.get("hidden", "")).lower() in ("1", "true")
                for c in range(int(attrs.get("min", 0)), int(attrs.get("max", 0)) + 1)
            }
            & {col for row in cells.values() for col, _ in row}
        )
    sheet = build_sheet(str(ws.title), cells)  # type: ignore[attr-defined]
    if hidden_rows:
        sheet.hidden_rows = hidden_rows
        sheet.findings.append(_hidden_rows_finding(hidden_rows))
    if hidden_cols:
        letters = ", ".join(column_letter(c - 1) for c in hidden_cols)
        sheet.findings.append(
            (
                "warning",
                f"hidden column(s) {letters} with data: read like the others; unhide them to "
                "check, delete them if they are not data",
                f"隐藏列 {letters} 含数据：照常读取；请取消隐藏核对，若不是数据请删除",
                None,
                column_letter(hidden_cols[0] - 1),
                None,
            )
        )
    rows = sheet.rows
    last_row = len(rows)
    width = max((len(r) for r in rows), default=0)
    declared_rows = getattr(ws, "max_row", None) or 0
    declared_cols = getattr(ws, "max_column", None) or 0
    if declared_rows > last_row + DIMENSION_SLACK or declared_cols > width + DIMENSION_SLACK:
        sheet.findings.append(
            (
                "warning",
                f"the sheet states a size of {column_letter(declared_cols - 1)}{declared_rows}, "
                f"far beyond its data (to {column_letter(max(width, 1) - 1)}{last_row}); read by "
                "its data",
                f"工作表声明的范围（至 {column_letter(declared_cols - 1)}{declared_rows}）远超实际数据"
                f"（至 {column_letter(max(width, 1) - 1)}{last_row}）；按实际数据读取",
                None,
                None,
                None,
            )
        )
    if merged_cells is not None:
        for m in merged_cells.mergeCell:
            b = _bounds(str(m.ref))
            if b is not None and b[0] <= last_row:
                sheet.merged.append(b)
    return sheet, count


#: Hidden rows named in the warning, at most.
HIDDEN_ROWS_SHOWN = 10


def _hidden_rows_finding(rows: list[int]) -> Finding:
    """Return the warning for rows Excel hides: they are read, the planner should know which."""
    shown = ", ".join(str(r) for r in rows[:HIDDEN_ROWS_SHOWN])
    more = f" … (+{len(rows) - HIDDEN_ROWS_SHOWN})" if len(rows) > HIDDEN_ROWS_SHOWN else ""
    return (
        "warning",
        f"{len(rows)} hidden row(s) with data (hidden or filtered out in Excel): rows {shown}{more}; "
        "they are read like the others: unhide them to check, delete them if they are not data",
        f"{len(rows)} 行含数据的隐藏行（在 Excel 中被隐藏或筛选掉）：第 {shown}{more} 行；这些行照常读取："
        "请取消隐藏核对，若不是数据请删除",
        rows[0],
        None,
        None,
    )


def build_sheet(title: str, cells: dict[int, list[tuple[int, object]]]) -> Sheet:
    """Make a :class:`Sheet` from its non-empty cells, dropping (and reporting) stray ones.

    Parameters
    ----------
    title : str
        The sheet's title.
    cells : dict
        ``row -> [(column, value), ...]``, 1-based, non-empty cells only; changed in place
        (stray cells are removed).

    Returns
    -------
    Sheet
        ``rows[i]`` is sheet row ``i + 1``, each as long as its last non-empty cell; no merged
        ranges yet; a finding for each cell far outside the table.

    Examples
    --------
    >>> s = build_sheet("村社区", {1: [(1, "村名称"), (3, "人口")], 3: [(1, "西村")]})
    >>> s.rows
    [['村名称', None, '人口'], [], ['西村']]
    """
    sheet = Sheet(title, [])
    _drop_stray(cells, sheet)
    rows: list[list[object]] = [[] for _ in range(max(cells, default=0))]
    for idx, kept in cells.items():
        row: list[object] = [None] * max(c for c, _ in kept)
        for c, v in kept:
            row[c - 1] = v
        rows[idx - 1] = row
    sheet.rows = rows
    return sheet


def _bounds(ref: str) -> Merged | None:
    from openpyxl.utils.cell import range_boundaries

    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return None
    if None in (min_col, min_row, max_col, max_row):
        return None
    return (int(min_row), int(min_col), int(max_row), int(max_col))  # type: ignore[arg-type]


def _drop_stray(cells: dict[int, list[tuple[int, object]]], sheet: Sheet) -> None:
    """Drop cells separated from the table by many empty rows or columns, reporting each."""
    if not cells:
        return
    order = sorted(cells)
    cut_row = order[-1]
    for a, b in itertools.pairwise(order):
        if b - a > STRAY_ROWS:
            cut_row = a
            break
    columns = sorted({c for r in order if r <= cut_row for c, _ in cells[r]})
    cut_col = columns[-1]
    for a, b in itertools.pairwise(columns):
        if b - a > STRAY_COLUMNS:
            cut_col = a
            break
    stray: list[tuple[int, int, object]] = []
    for r in order:
        kept = [(c, v) for c, v in cells[r] if r <= cut_row and c <= cut_col]
        stray += [(r, c, v) for c, v in cells[r] if r > cut_row or c > cut_col]
        if kept:
            cells[r] = kept
        else:
            del cells[r]
    end = f"{column_letter(cut_col - 1)}{cut_row}"
    for r, c, v in stray[:10]:
        sheet.findings.append(
            (
                "warning",
                f"cell {column_letter(c - 1)}{r} lies far outside the table (its data end at "
                f"{end}) and is ignored; delete it if it is not data",
                f"单元格 {column_letter(c - 1)}{r} 远离表格（数据止于 {end}），已忽略；如非数据请删除",
                r,
                column_letter(c - 1),
                cell_text(v)[:40],
            )
        )
    if len(stray) > 10:
        sheet.findings.append(
            (
                "warning",
                f"and {len(stray) - 10:,} more cells far outside the table, ignored",
                f"另有 {len(stray) - 10:,} 个远离表格的单元格，已忽略",
                None,
                None,
                None,
            )
        )
