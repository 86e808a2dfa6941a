"""Writing the planner's Excel workbook: an empty or NBS-pre-filled template, or a county.

A template can be pre-filled with a county's NBS townships and villages; a county can be
exported to the same layout. The workbook has one sheet per table of the data contract with Chinese headers, a
``县基本情况`` sheet of key/value rows, a ``说明`` sheet of instructions, and drop-down lists
of Chinese labels for the closed vocabularies (官方/估算/模拟, 乡镇卫生院 …). Every value goes
through :func:`tcmcounty.io.set_cell`: a name starting with ``=`` is stored as text, never as
a formula, and reads back unchanged.
:func:`tcmcounty.load_county` reads it back (the readers accept every spelling of
:data:`tcmcounty.schema.VOCABULARIES`).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from pathlib import Path

import pandas as pd

from tcmcounty.county import POPULATION_KEYS, RESOURCE_KEYS, County, Figure
from tcmcounty.errors import ArgumentError
from tcmcounty.inputs.excel import COUNTY_COLUMNS, COUNTY_FIELDS
from tcmcounty.io import atomic_path, format_sheet, set_cell
from tcmcounty.schema import COUNTY_SHEET, TABLES, VOCABULARIES, Column

DATE_FORMAT = "yyyy-mm-dd"
_CJK = re.compile(r"[\u4e00-\u9fff]")

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
    (
        "7. 实施步骤：每行一个阶段，填写阶段、开始日期、结束日期（如 2024-03-01）和主要任务。",
        "Sheet 实施步骤: one stage a row with its start and end dates (e.g. 2024-03-01) and tasks.",
    ),
    ("8. 检查：tcmcounty validate 本文件.xlsx", "Check with: tcmcounty validate this.xlsx"),
    (
        "9. 任务分工：每行一项任务，填写牵头单位（必填）、配合单位（多个用、分隔）、所属阶段（与实施步骤一致）"
        "或完成时限，完成情况选 未开始/进行中/已完成（未填 = 未报告），并注明佐证材料。",
        "Sheet 任务分工: one task a row with its lead unit (required), co-operating units (separated "
        "by 、), stage (as in 实施步骤) or due date, progress 未开始/进行中/已完成 (empty = not "
        "reported) and the evidence.",
    ),
)


def vocabulary_label(vocabulary: str, value: str) -> str:
    """Return the Chinese label of a canonical vocabulary value, as the drop-down lists show it.

    The label is the canonical value itself when it is Chinese (``街道``, ``村``), otherwise its
    first Chinese spelling in :data:`tcmcounty.schema.VOCABULARIES`.

    Parameters
    ----------
    vocabulary : str
        Name of the vocabulary (``status``, ``facility_type`` …).
    value : str
        Canonical value.

    Returns
    -------
    str
        The label; ``value`` unchanged when it is not in the vocabulary.

    Examples
    --------
    >>> vocabulary_label("status", "official"), vocabulary_label("facility_type", "village_clinic")
    ('官方', '村卫生室')
    >>> vocabulary_label("township_type", "街道")
    '街道'
    """
    spellings = VOCABULARIES[vocabulary].get(value)
    if spellings is None or _CJK.search(value):
        return value
    return next((s for s in spellings if _CJK.search(s)), value)


def vocabulary_labels(vocabulary: str) -> list[str]:
    """Return the drop-down list of a vocabulary: one Chinese label per canonical value.

    Examples
    --------
    >>> vocabulary_labels("status")
    ['官方', '估算', '模拟']
    """
    return [vocabulary_label(vocabulary, v) for v in VOCABULARIES[vocabulary]]


def _vocabulary(col: Column) -> str | None:
    return "status" if col.kind == "status" else col.vocabulary


def _fmt(v: object) -> object:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, list):
        return ";".join(map(str, v))
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v


def _cell(v: object, col: Column) -> object:
    """Return a table value as written in the workbook (vocabulary values as Chinese labels)."""
    out = _fmt(v)
    vocab = _vocabulary(col)
    if vocab and isinstance(out, str):
        return vocabulary_label(vocab, out)
    if col.kind == "date" and isinstance(out, str):
        try:
            return dt.date.fromisoformat(out)
        except ValueError:
            return out
    return out


def _figure_cells(fig: Figure | None) -> tuple[object, object, object, object]:
    if fig is None:
        return None, None, None, None
    value = int(fig.value) if float(fig.value).is_integer() else fig.value
    return value, fig.year, fig.source, fig.status


def write_workbook(
    path: str | os.PathLike[str], county: County | None = None, *, adcode: str | None = None
) -> Path:
    """Write an empty template, a template pre-filled from the NBS codes, or a county's data.

    Parameters
    ----------
    path : str or pathlib.Path
        Target ``.xlsx`` file; written atomically.
    county : County, optional
        The county to export; coordinates are written in WGS84 and declared as such. Its
        ``plan`` (if any) fills the sheet 实施步骤.
    adcode : str, optional
        A county code or unique county name of the NBS 2023 list (see
        :func:`tcmcounty.inputs.nbs.county_units`): the template is pre-filled with the county's code,
        name, province and city, its townships (code, name, type) and villages (code, name,
        township code and name, kind), and the ``数据来源`` row of the NBS codes they cite.
        Numbers, facilities and alliances are left to fill in. Not together with ``county``.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    tcmcounty.errors.CountyNotFoundError
        ``adcode`` is not a county of the NBS codes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_workbook(pathlib.Path(tempfile.mkdtemp()) / "模板.xlsx")
    >>> out.exists()
    True
    >>> out = write_workbook(pathlib.Path(tempfile.mkdtemp()) / "会昌县.xlsx", adcode="360733")
    >>> import tcmcounty.inputs.nbs
    >>> len(tcmcounty.inputs.nbs.county_units("360733").villages)
    277
    """
    from openpyxl import Workbook

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ArgumentError(f"path must end in .xlsx, not {path.name!r}")
    if county is not None and adcode is not None:
        raise ArgumentError("give either a county to export or an adcode to pre-fill, not both")
    meta, frames = (
        _export_content(county)
        if county is not None
        else _nbs_content(adcode)
        if adcode is not None
        else ({}, {})
    )
    wb = Workbook()
    _instructions_sheet(wb.active)
    vocab_ranges = _lists_sheet(wb.create_sheet("_lists"))
    _county_sheet(wb.create_sheet(COUNTY_SHEET, 1), county, meta, vocab_ranges)
    for name, table in TABLES.items():
        _table_sheet(wb.create_sheet(table.sheet), table, frames.get(name), vocab_ranges)
    wb.move_sheet("_lists", offset=len(wb.sheetnames))
    for ws in wb.worksheets:
        if ws.sheet_state == "visible":  # the hidden vocabulary lists are not printed
            header = ws.title != "说明"
            format_sheet(ws, header_rows=int(header), freeze="A2" if header else None)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


# --------------------------------------------------------------------------------------------
# What goes in
# --------------------------------------------------------------------------------------------


def _export_content(county: County) -> tuple[dict[str, object], dict[str, pd.DataFrame]]:
    frames = {
        "townships": county.townships,
        "villages": county.villages,
        "facilities": county.facilities,
        "alliances": county.alliances,
        "sources": county.sources,
    }
    plan = getattr(county, "plan", None)
    if plan is not None:
        frames["timetable"] = plan_frame(plan)
    tasks = getattr(county, "tasks", None)
    if tasks is not None:
        from tcmcounty.tasks import task_frame

        frames["tasks"] = task_frame(tasks)
    return {}, frames


def plan_frame(plan: object) -> pd.DataFrame:
    """Return the milestones of a county plan as rows of the 实施步骤 table.

    Parameters
    ----------
    plan : tcmcounty.plans.CountyPlan
        Anything with ``milestones``, each having ``phase_zh``, ``phase_en``, ``start``,
        ``end`` (dates), ``tasks_zh`` and ``tasks_en`` (text or a list of tasks).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`tcmcounty.schema.TIMETABLE`, one row per milestone.

    Examples
    --------
    >>> import datetime as dt, types
    >>> m = types.SimpleNamespace(phase_zh="启动阶段", phase_en="launch",
    ...     start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31), tasks_zh=["成立领导小组"],
    ...     tasks_en=["set up a leading group"])
    >>> plan_frame(types.SimpleNamespace(milestones=[m]))[["phase_zh", "start", "tasks_zh"]]
      phase_zh       start tasks_zh
    0     启动阶段  2024-01-01   成立领导小组
    """
    table = TABLES["timetable"]
    rows = []
    for m in getattr(plan, "milestones", ()) or ():
        rec = {}
        for col in table.columns:
            v = getattr(m, col.name, None)
            if isinstance(v, (list, tuple)):
                v = ("；" if col.name.endswith("_zh") else "; ").join(map(str, v))
            rec[col.name] = v
        rows.append(rec)
    return pd.DataFrame(rows, columns=[c.name for c in table.columns])


def _nbs_content(adcode: str) -> tuple[dict[str, object], dict[str, pd.DataFrame]]:
    from tcmcounty.inputs.nbs import NBS_SOURCE, NBS_SOURCE_ID, county_units

    units = county_units(adcode)
    meta: dict[str, object] = {
        "adcode": units.adcode,
        "name_zh": units.name,
        "province": units.province,
        "city": units.city,
    }
    towns = units.townships.assign(source=NBS_SOURCE_ID)
    town_names = dict(zip(towns["code"], towns["name"], strict=True))
    vill = units.villages.assign(
        township_name=units.villages["township_code"].map(town_names), source=NBS_SOURCE_ID
    )
    frames = {
        "townships": towns.reindex(columns=[c.name for c in TABLES["townships"].columns]),
        "villages": vill.reindex(columns=[c.name for c in TABLES["villages"].columns]),
        "sources": pd.DataFrame([NBS_SOURCE]).reindex(
            columns=[c.name for c in TABLES["sources"].columns]
        ),
    }
    return meta, frames


# --------------------------------------------------------------------------------------------
# Sheets
# --------------------------------------------------------------------------------------------


def _header(ws: object, row: int, col: int, text: str) -> None:
    from openpyxl.styles import Font, PatternFill

    cell = set_cell(ws, row, col, text)
    cell.font = Font(bold=True)
    cell.fill = PatternFill("solid", fgColor="DDEBF7")


def _instructions_sheet(ws: object) -> None:
    ws.title = "说明"  # type: ignore[attr-defined]
    for r, (zh, en) in enumerate(INSTRUCTIONS, start=1):
        set_cell(ws, r, 1, zh)
        set_cell(ws, r, 2, en)


def _lists_sheet(ws: object) -> dict[str, str]:
    """Write the Chinese labels of every vocabulary (hidden sheet); return their ranges."""
    ranges: dict[str, str] = {}
    for c, name in enumerate(VOCABULARIES, start=1):
        labels = vocabulary_labels(name)
        for r, v in enumerate(labels, start=1):
            set_cell(ws, r, c, v)
        col = ws.cell(1, c).column_letter  # type: ignore[attr-defined]
        ranges[name] = f"_lists!${col}$1:${col}${len(labels)}"
    ws.sheet_state = "hidden"  # type: ignore[attr-defined]
    return ranges


def _county_sheet(
    cs: object, county: County | None, meta: dict[str, object], vocab_ranges: dict[str, str]
) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    for c, h in enumerate(COUNTY_COLUMNS, start=1):
        _header(cs, 1, c, h)
    cs.column_dimensions["A"].width = 28  # type: ignore[attr-defined]
    for r, (key, zh) in enumerate(COUNTY_FIELDS, start=2):
        set_cell(cs, r, 1, zh)
        if key.startswith("coordinates."):
            set_cell(cs, r, 2, "EPSG:4326")
        elif county is None:
            if meta.get(key) is not None:
                set_cell(cs, r, 2, meta[key])
        else:
            for c, v in enumerate(_county_row(county, key), start=2):
                set_cell(cs, r, c, v)
    status_dv = DataValidation(type="list", formula1=vocab_ranges["status"], allow_blank=True)
    status_dv.error = "请从下拉列表选择 / choose from the list (官方/估算/模拟)"
    cs.add_data_validation(status_dv)  # type: ignore[attr-defined]
    status_dv.add(f"E2:E{len(COUNTY_FIELDS) + 1}")


def _county_row(county: County, key: str) -> tuple[object, ...]:
    """Cells B… of one 县基本情况 row of an exported county."""
    group, _, name = key.partition(".")
    if group in ("population", "resources"):
        entry = (county.population if group == "population" else county.resources).get(name)
        if entry is None:
            return ()
        value, year, source, status = _figure_cells(entry.official)
        evalue, eyear, esource, estatus = _figure_cells(entry.estimate)
        method = entry.estimate.method if entry.estimate else None
        if value is None and evalue is not None:
            year, source, status = eyear, esource, estatus
        cells = (
            value,
            year or eyear,
            source or esource,
            status or estatus,
            evalue,
            method,
            entry.note or None,
        )
        label = vocabulary_label("status", str(cells[3])) if cells[3] else None
        return (*cells[:3], label, *cells[4:])
    if group == "units":  # the units the county declares it has (村卫生室 312 个)
        declared = county.units.get(name)
        return () if declared is None else (declared,)
    if group in ("tcm_hospital", "survey"):
        section = getattr(county, group)
        v = section.get(name)
        if v is None:
            return ()
        status = section.get("status")
        return (
            "、".join(v) if isinstance(v, list) else v,
            section.get("year"),
            section.get("source"),
            vocabulary_label("status", str(status)) if status else None,
        )
    return (getattr(county, key),)


def _table_sheet(
    ws: object, table: object, df: pd.DataFrame | None, vocab_ranges: dict[str, str]
) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = table.columns  # type: ignore[attr-defined]
    for c, col in enumerate(columns, start=1):
        _header(ws, 1, c, col.zh)
        letter = ws.cell(1, c).column_letter  # type: ignore[attr-defined]
        dim = ws.column_dimensions[letter]  # type: ignore[attr-defined]
        dim.width = max(10, len(col.zh) * 2 + 2)
        rng = f"{letter}2:{letter}5000"
        vocab = _vocabulary(col)
        if vocab:
            dv = DataValidation(type="list", formula1=vocab_ranges[vocab], allow_blank=True)
            dv.error = f"请从下拉列表选择 / choose from the list ({col.name})"
        elif col.kind == "bool":
            dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
        elif col.kind == "date":
            # a prompt, not a restriction: 2024年3月 and 2024.3 are accepted too
            dv = DataValidation(allow_blank=True, showInputMessage=True)
            dv.promptTitle = col.zh
            dv.prompt = "日期，如 2024-03-01 / a date, e.g. 2024-03-01"
            dim.number_format = DATE_FORMAT
            dim.width = 13
        else:
            dv = None
        if col.name.startswith("tasks") or col.name == "task":
            dim.width = 60
        if dv is not None:
            ws.add_data_validation(dv)  # type: ignore[attr-defined]
            dv.add(rng)
    ws.freeze_panes = "A2"  # type: ignore[attr-defined]
    if df is None:
        return
    names = [c.name for c in columns]
    frame = df.reindex(columns=names)
    for r, rec in enumerate(frame.itertuples(index=False), start=2):
        for c, (v, col) in enumerate(zip(rec, columns, strict=True), start=1):
            cell = set_cell(ws, r, c, _cell(v, col))
            if col.kind == "date":
                cell.number_format = DATE_FORMAT


__all__ = [
    "POPULATION_KEYS",
    "RESOURCE_KEYS",
    "plan_frame",
    "vocabulary_label",
    "vocabulary_labels",
    "write_workbook",
]
