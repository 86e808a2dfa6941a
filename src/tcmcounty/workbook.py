"""Writing the planner's Excel workbook: an empty template, or a county exported to it.

The workbook has one sheet per table of the data contract with Chinese headers, a
``县基本情况`` sheet of key/value rows, a ``说明`` sheet of instructions, and drop-down lists
for the closed vocabularies. :func:`tcmcounty.load_county` reads it back.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from tcmcounty.county import POPULATION_KEYS, RESOURCE_KEYS, County, Figure
from tcmcounty.io import atomic_path
from tcmcounty.readers.excel import COUNTY_COLUMNS, COUNTY_FIELDS
from tcmcounty.schema import COUNTY_SHEET, TABLES, VOCABULARIES

INSTRUCTIONS = (
    ("tcmcounty 县级数据模板 / county data template", ""),
    (
        "1. 每个工作表对应一个数据表；表头不要修改（英文表头亦可）。",
        "One sheet per table; keep the headers (English headers also work).",
    ),
    (
        "2. 未统计或未公开的数值请留空，不要填0；留空表示“未报告”。",
        "Leave a figure empty when it is not reported; never write 0 for unknown.",
    ),
    (
        "3. 每个数值须注明来源编号（数据来源表）和状态：官方 / 估算 / 模拟。",
        "Every figure needs a source id (sheet 数据来源) and a status: official / estimated / synthetic.",
    ),
    (
        "4. 坐标为十进制度数；在县基本情况表中声明坐标系：EPSG:4326（WGS84）、EPSG:4490（CGCS2000）或 GCJ-02（高德/腾讯）。",
        "Coordinates in decimal degrees; declare the system per table in 县基本情况.",
    ),
    (
        "5. 代码：乡镇9位，村/社区12位（国家统计局统计用区划代码）。",
        "Codes: township 9 digits, village 12 digits (NBS statistical division codes).",
    ),
    (
        "6. 机构类型、村类别、状态等请从下拉列表中选择。",
        "Pick closed-vocabulary values from the drop-down lists.",
    ),
    ("7. 检查：tcmcounty validate 本文件.xlsx", "Check with: tcmcounty validate this.xlsx"),
)


def _fmt(v: object) -> object:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, list):
        return ";".join(map(str, v))
    if isinstance(v, bool):
        return "是" if v else "否"
    return v


def _figure_cells(fig: Figure | None) -> tuple[object, object, object, object]:
    if fig is None:
        return None, None, None, None
    value = int(fig.value) if float(fig.value).is_integer() else fig.value
    return value, fig.year, fig.source, fig.status


def write_workbook(path: str | Path, county: County | None = None) -> Path:
    """Write an empty template (``county=None``) or a county's data as a planner's workbook.

    Parameters
    ----------
    path : str or pathlib.Path
        Target ``.xlsx`` file; written atomically.
    county : County, optional
        The county to export; coordinates are written in WGS84 and declared as such.

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_workbook(pathlib.Path(tempfile.mkdtemp()) / "模板.xlsx")
    >>> out.exists()
    True
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"path must end in .xlsx, not {path.name!r}")
    wb = Workbook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    info = wb.active
    info.title = "说明"
    for r, (zh, en) in enumerate(INSTRUCTIONS, start=1):
        info.cell(r, 1, zh)
        info.cell(r, 2, en)
    info.column_dimensions["A"].width = 90
    info.column_dimensions["B"].width = 90

    # Hidden sheet holding the vocabularies for drop-down lists.
    lists = wb.create_sheet("_lists")
    vocab_ranges: dict[str, str] = {}
    for c, (name, vocab) in enumerate(VOCABULARIES.items(), start=1):
        values = list(vocab) if name != "status" else ["official", "estimated", "synthetic"]
        for r, v in enumerate(values, start=1):
            lists.cell(r, c, v)
        col = lists.cell(1, c).column_letter
        vocab_ranges[name] = f"_lists!${col}$1:${col}${len(values)}"
    lists.sheet_state = "hidden"

    cs = wb.create_sheet(COUNTY_SHEET, 1)
    for c, h in enumerate(COUNTY_COLUMNS, start=1):
        cs.cell(1, c, h).font = bold
        cs.cell(1, c).fill = fill
    cs.column_dimensions["A"].width = 28
    for r, (key, zh) in enumerate(COUNTY_FIELDS, start=2):
        cs.cell(r, 1, zh)
        if county is None:
            if key.startswith("coordinates."):
                cs.cell(r, 2, "EPSG:4326")
            continue
        group, _, name = key.partition(".")
        if group in ("population", "resources"):
            entry = (county.population if group == "population" else county.resources).get(name)
            if entry is None:
                continue
            value, year, source, status = _figure_cells(entry.official)
            evalue, eyear, esource, estatus = _figure_cells(entry.estimate)
            cells = (
                value,
                year or eyear,
                source or esource,
                status or estatus,
                evalue,
                entry.estimate.method if entry.estimate else None,
                entry.note or None,
            )
            if value is None and evalue is not None:
                cells = (
                    None,
                    eyear,
                    esource,
                    estatus,
                    evalue,
                    entry.estimate.method,
                    entry.note or None,
                )  # type: ignore[union-attr]
            for c, v in enumerate(cells, start=2):
                cs.cell(r, c, v)
        elif group == "coordinates":
            cs.cell(r, 2, "EPSG:4326")
        elif group in ("tcm_hospital", "survey"):
            section = getattr(county, group)
            v = section.get(name)
            if v is not None:
                cs.cell(r, 2, "、".join(v) if isinstance(v, list) else v)
                cs.cell(r, 3, section.get("year"))
                cs.cell(r, 4, section.get("source"))
                cs.cell(r, 5, section.get("status"))
        else:
            cs.cell(r, 2, getattr(county, key))
    status_dv = DataValidation(type="list", formula1=vocab_ranges["status"], allow_blank=True)
    cs.add_data_validation(status_dv)
    status_dv.add(f"E2:E{len(COUNTY_FIELDS) + 1}")

    frames = (
        {}
        if county is None
        else {
            "townships": county.townships,
            "villages": county.villages,
            "facilities": county.facilities,
            "alliances": county.alliances,
            "sources": county.sources,
        }
    )
    for name, table in TABLES.items():
        ws = wb.create_sheet(table.sheet)
        for c, col in enumerate(table.columns, start=1):
            ws.cell(1, c, col.zh).font = bold
            ws.cell(1, c).fill = fill
            ws.column_dimensions[ws.cell(1, c).column_letter].width = max(10, len(col.zh) * 2 + 2)
            vocab = "status" if col.kind == "status" else col.vocabulary
            if vocab:
                dv = DataValidation(type="list", formula1=vocab_ranges[vocab], allow_blank=True)
                dv.error = f"请从下拉列表选择 / choose from the list ({col.name})"
                ws.add_data_validation(dv)
                dv.add(f"{ws.cell(2, c).column_letter}2:{ws.cell(2, c).column_letter}5000")
            elif col.kind == "bool":
                dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
                ws.add_data_validation(dv)
                dv.add(f"{ws.cell(2, c).column_letter}2:{ws.cell(2, c).column_letter}5000")
        df = frames.get(name)
        if df is None:
            continue
        for r, rec in enumerate(
            df[[c.name for c in table.columns]].itertuples(index=False), start=2
        ):
            for c, v in enumerate(rec, start=1):
                ws.cell(r, c, _fmt(v))
        ws.freeze_panes = "A2"
    wb.move_sheet("_lists", offset=len(wb.sheetnames))
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


__all__ = ["POPULATION_KEYS", "RESOURCE_KEYS", "write_workbook"]
