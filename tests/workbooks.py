"""Write small county workbooks for the input tests (one helper for every test file).

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "c.xlsx"
>>> write_book(path, {"机构": [["机构名称", "中医馆"], ["甲卫生院", "是"]]}).name
'c.xlsx'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from openpyxl import Workbook


def write_book(
    path: Path,
    sheets: Mapping[str, list[list[object]]],
    *,
    hidden: Iterable[str] = (),
    merges: Mapping[str, Iterable[str]] | None = None,
) -> Path:
    """Write ``sheets`` (title -> rows, in order) to ``path``; merge and hide as told."""
    wb = Workbook()
    wb.remove(wb.active)
    hide = set(hidden)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        for ref in (merges or {}).get(title, ()):
            ws.merge_cells(ref)
        if title in hide:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path
