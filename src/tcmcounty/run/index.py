"""The report folder's front page (``index.html``) and the planners' workbook (``summary.xlsx``).

Both are rebuilt from the JSON records that :func:`tcmcounty.run.report.write_outcome` leaves next
to every report, so they always describe what is on disk, including reports from earlier runs.
Every piece of user text (county names, error messages) is escaped with :func:`html.escape`;
in the workbook every text is stored as text (:func:`tcmcounty.io.set_cell`), never as a
formula. Records are checked before use (:func:`clean_record`): a JSON file that this tool did
not write is ignored, a field of the wrong type is dropped, and a record that claims a report
whose HTML is missing is shown as ``missing`` — one odd file never stops the index.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tcmcounty.county import status_label
from tcmcounty.formatting import (
    SHARE_FORMAT,
    Displayed,
    excel_value,
    fmt_pct,
    is_percent,
    number_format,
)
from tcmcounty.io import (
    atomic_path,
    format_sheet,
    mark_output_workbook,
    set_cell,
    set_link,
    xml_safe_text,
)
from tcmcounty.reporting.records import KINDS as KINDS
from tcmcounty.reporting.records import JobRecord
from tcmcounty.run.overview import (
    FILTER_BOX,
    OVERVIEW_CSS,
    SORT_SCRIPT,
    TARGET_SHEET,
    overview_html,
    write_target_sheet,
)

#: Status shown for a record that says ``ok`` but whose HTML is gone or not the one it wrote.
MISSING = "missing"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Permissions of published files (reports are meant to be read by others; caches stay private).
PUBLIC_MODE = 0o666 & ~_umask()


def write_file_atomic(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically, readable as the user's umask allows."""
    target = Path(target)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
        os.chmod(tmp, PUBLIC_MODE)
    return target


def esc(v: object) -> str:
    """HTML-escape any value (``None`` -> empty; control characters dropped)."""
    return html.escape(xml_safe_text("" if v is None else str(v)), quote=True)


def clean_record(rec: object, stem: str | None = None) -> dict[str, Any] | None:
    """Return a report record with every field of the type the index expects, or ``None``.

    The JSON form of :meth:`tcmcounty.reporting.records.JobRecord.from_json`: ``None`` when ``rec`` is
    not a record written by this tool (not a JSON object, an unknown ``kind``, or a ``name``
    that is not text, or not the file's ``stem`` when given). Fields of the wrong type are
    replaced by their empty value (a list where a dictionary belongs, a number as text …), so
    no later step fails on them.

    Examples
    --------
    >>> rec = clean_record({"kind": "county_report", "name": "a", "status": "ok",
    ...     "counties": "oops", "headline": [1], "attempts": "2"})
    >>> rec["counties"], rec["headline"], rec["attempts"]
    ([], {}, 0)
    >>> clean_record({"kind": "county_report", "name": "a"}, stem="copy of a") is None
    True
    """
    record = JobRecord.from_json(rec, stem)
    return None if record is None else record.to_json()


def _verify_ok(out: Path, rec: dict[str, Any]) -> dict[str, Any]:
    """Turn ``ok`` into :data:`MISSING` when the record's HTML is gone or not the one it wrote."""
    if rec["status"] != "ok":
        return rec
    html_file = out / f"{rec['name']}.html"
    try:
        size = html_file.stat().st_size if html_file.is_file() else None
    except OSError:
        size = None
    if size is None or (rec["html_bytes"] is not None and size != rec["html_bytes"]):
        rec = {
            **rec,
            "status": MISSING,
            "error": f"{html_file.name} is missing or was changed after it was written "
            "/ 报告文件缺失或已被修改",
        }
    return rec


def load_records(out_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Return the report records in ``out_dir``, checked (:func:`clean_record`), sorted by name.

    JSON files that are not records of this tool (or whose ``name`` is not their file name)
    are left out; a record that says ``ok`` but whose HTML is missing says :data:`MISSING`.
    """
    out = []
    root = Path(out_dir)
    for p in sorted(root.glob("*.json")):
        try:
            if p.is_symlink() or not p.is_file():
                continue
            rec = clean_record(json.loads(p.read_text(encoding="utf-8")), p.stem)
        except (OSError, ValueError, RecursionError):
            continue
        if rec is not None:
            rec = _verify_ok(root, rec)
            rec["_record"] = p.name
            out.append(rec)
    return out


def _link(out: Path, rec: dict[str, Any], label: str) -> str:
    html_name = f"{rec['name']}.html"
    if rec.get("status") == "ok" and (out / html_name).is_file():
        return f"<a href='{esc(quote(html_name))}'>{esc(label)}</a>"
    return esc(label)


def _table_links(out: Path) -> str:
    """Links to the folder's tables that exist (a single ``report`` writes no batch_status.csv)."""
    names = [n for n in ("summary.xlsx", "batch_status.csv") if (out / n).is_file()]
    return " · ".join(f'<a href="{n}">{n}</a>' for n in names)


def _county_label(rec: dict[str, Any]) -> str:
    cs = rec.get("counties") or []
    if rec.get("kind") == "comparison":
        return "、".join(str(c.get("name_zh") or c.get("adcode") or "") for c in cs) or rec["name"]
    if cs:
        c = cs[0]
        return f"{c.get('name_zh') or ''} {c.get('name_en') or ''}".strip() or rec["name"]
    name: str = rec["name"]
    return name


def index_html(out_dir: str | os.PathLike[str], records: list[dict[str, Any]] | None = None) -> str:
    """Return the HTML of ``index.html`` for the records in ``out_dir``."""
    out = Path(out_dir)
    recs = load_records(out) if records is None else records
    counties = [r for r in recs if r.get("kind") == "county_report"]
    comps = [r for r in recs if r.get("kind") == "comparison"]
    n_ok = sum(r.get("status") == "ok" for r in counties)
    rows = []
    for r in counties:
        h = r.get("headline") or {}
        c = (r.get("counties") or [{}])[0]
        status = str(r.get("status", "?"))
        flag = "⚠ 含估算/模拟 estimated/synthetic" if h.get("non_official") else ""
        size = r.get("html_bytes")
        rows.append(
            f"<tr class='st-{esc(status)}'><td>{esc(c.get('adcode', ''))}</td>"
            f"<td>{_link(out, r, _county_label(r))}</td><td>{esc(status)}</td>"
            f"<td>{esc(h.get('n_met', '—'))}</td><td>{esc(h.get('n_unmet', '—'))}</td>"
            f"<td>{esc(h.get('n_no_verdict', '—'))}</td><td>{esc(fmt_pct(h.get('coverage_share')))}</td>"
            f"<td>{esc(fmt_pct(h.get('alliance_share')))}</td><td>{esc(h.get('sites_recommended', '—'))}</td>"
            f"<td class='ready'>{esc(readiness_text(h))}</td>"
            f"<td>{esc(flag)}</td><td class='meta'>{esc(f'{size / 1024:.0f} KB' if isinstance(size, int) else '—')}</td>"
            f"<td class='meta'>{esc(r.get('written', ''))}</td><td class='err'>{esc(r.get('error', ''))}</td></tr>"
        )
    comp_rows = "".join(
        f"<li>{_link(out, r, _county_label(r))} — {esc(r.get('status', '?'))}"
        f"{(' — ' + esc(r.get('error'))) if r.get('error') else ''}</li>"
        for r in comps
    )
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>县级中医药报告 County TCM reports</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
th {{ background: #f1f8e9; }}
tr.st-failed td, tr.st-timeout td {{ background: #ffebee; }}
td.err {{ color: #b71c1c; max-width: 40em; }}
td.ready {{ max-width: 30em; font-size: 0.9em; }}
{OVERVIEW_CSS}</style></head><body>
<h1>县级中医药工作报告 <small>County reports for the primary-level TCM demonstration county review</small></h1>
<p>{n_ok} / {len(counties)} 个县报告成功 county reports succeeded · 生成 generated {esc(stamp)}</p>
{overview_html(recs)}
<h2>各县 Counties</h2>{FILTER_BOX}
<table id='counties' data-sortable data-filter='county-filter'><thead><tr><th>代码 code</th><th>县 county</th><th>状态 status</th><th>达标 met</th>
<th>未达标 not met</th><th>无法判定 no verdict</th><th>中医药服务覆盖 coverage</th><th>{esc(ALLIANCE_HEADER)}</th>
<th>推荐中医阁 sites</th><th>{esc(READINESS_HEADER)}</th><th>数据 data</th><th class='meta'>大小 size</th><th class='meta'>生成 written</th><th>错误 error</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>县域比较 Comparisons</h2><ul>{comp_rows or "<li>—</li>"}</ul>
<p>{_table_links(out)}</p>
{SORT_SCRIPT}
</body></html>
"""


#: Header of the readiness column (:func:`tcmcounty.reporting.readiness.readiness`, on the report date).
READINESS_HEADER = "迎检准备 readiness"


def readiness_text(headline: dict[str, Any]) -> str:
    """Return the readiness line of a record (``—`` for a record written before readiness).

    The line is :meth:`tcmcounty.reporting.readiness.Readiness.summary` as the report job
    stored it, with its report date.

    Examples
    --------
    >>> readiness_text({"readiness_summary": "未就绪 / not ready", "readiness_report_date": "2024-07-15"})
    '未就绪 / not ready (2024-07-15)'
    >>> readiness_text({})
    '—'
    """
    text = headline.get("readiness_summary")
    if not isinstance(text, str) or not text:
        return "—"
    day = headline.get("readiness_report_date")
    return f"{text} ({day})" if isinstance(day, str) and day else text


#: Header of the alliance column: the T-YLT figure (TCM-led alliances only), never "any alliance".
ALLIANCE_HEADER = "县中医院牵头医联体覆盖 TCM-led alliance (T-YLT)"


def _cell(ws: Any, row: int, col: int, value: object, number_format: str | None = None) -> Any:
    """Write a value; text stays text, numbers keep full precision (:func:`tcmcounty.io.set_cell`)."""
    return set_cell(ws, row, col, value, number_format, rounded=True)


def guess_county(name: str) -> dict[str, Any]:
    """Return the adcode and name that a report's name gives, for a county that did not load.

    Examples
    --------
    >>> guess_county("512021-anyue")
    {'adcode': '512021', 'name_zh': 'anyue', 'name_en': None}
    """
    code, _, rest = name.partition("-")
    if code.isdigit() and len(code) == 6:
        return {"adcode": code, "name_zh": rest or None, "name_en": None}
    return {"adcode": None, "name_zh": name, "name_en": None}


#: Fixed columns of the summary sheet: (header, number format of a number in it).
SUMMARY_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("代码 adcode", None),
    ("县 county", None),
    ("County", None),
    ("状态 status", None),
    ("报告 report", None),
    ("达标数 met", "0"),
    ("未达标数 not met", "0"),
    ("无法判定 no verdict", "0"),
    ("中医药服务覆盖 coverage", SHARE_FORMAT),
    (ALLIANCE_HEADER, SHARE_FORMAT),
    ("推荐中医阁 sites", "0"),
    ("就绪 ready", None),
    (READINESS_HEADER, None),
    ("过期未完成任务 tasks overdue", "0"),
    ("未报告任务 tasks not reported", "0"),
    ("含估算/模拟 non-official", None),
    ("错误 error", None),
)
#: Columns of each indicator, after its value column: (header suffix, record field).
INDICATOR_FIELDS: tuple[tuple[str, str], ...] = (
    ("目标 target", "target"),
    ("达标 met", "met"),
    ("缺口 need", "need"),
    ("数据 data status", "input_status"),
)
#: Columns of the sheet of counties whose report failed.
FAILED_COLUMNS = ("代码 adcode", "县 county", "County", "状态 status", "错误 error", "记录 record")
_MET_TEXT = {True: "是", False: "否"}
#: The met cell of a row whose data support no verdict (the report's reason says why).
_NO_VERDICT = "无法判断：数据不全 no verdict: incomplete data"


@dataclass(frozen=True)
class _Column:
    """An indicator's value column: its header and how its values are shown."""

    id: str
    header: str
    indicator: Displayed | None  # None: not in the registry, shown as a plain number


def _indicator_columns(recs: list[dict[str, Any]]) -> list[_Column]:
    """Return the indicators of ``recs`` in first-seen order, each with its registry entry."""
    from tcmcounty.indicators import load_registry

    reg = {i.id: i for i in load_registry()}
    cols: dict[str, _Column] = {}
    for r in recs:
        for x in r.get("indicators") or []:
            iid = str(x.get("id") or "")
            if not iid or iid in cols:
                continue
            ind = reg.get(iid)
            header = f"{iid} {x.get('name_zh') or ''}".strip()
            if ind is not None and ind.display != "grade" and not is_percent(ind) and ind.unit:
                header += f" ({ind.unit})"
            cols[iid] = _Column(iid, header, ind)
    return list(cols.values())


def _summary_values(out: Path, r: dict[str, Any]) -> list[object]:
    """Return the fixed cells of a county's row (in :data:`SUMMARY_COLUMNS` order)."""
    c = (r.get("counties") or [guess_county(r["name"])])[0]
    h = r.get("headline") or {}
    return [
        c.get("adcode"),
        c.get("name_zh"),
        c.get("name_en"),
        r.get("status"),
        _report_file(out, r) or "",
        h.get("n_met"),
        h.get("n_unmet"),
        h.get("n_no_verdict"),
        h.get("coverage_share"),
        h.get("alliance_share"),
        h.get("sites_recommended"),
        _MET_TEXT.get(h["readiness_ready"], "—")
        if isinstance(h.get("readiness_ready"), bool)
        else "—",
        readiness_text(h),
        h.get("readiness_tasks_late"),
        h.get("readiness_tasks_not_reported"),
        "是" if h.get("non_official") else "否",
        r.get("error") or "",
    ]


def _report_file(out: Path, r: dict[str, Any]) -> str | None:
    """Return the name of the record's HTML report when it succeeded and is on disk."""
    name = f"{r['name']}.html"
    return name if r.get("status") == "ok" and (out / name).is_file() else None


def _indicator_cells(col: _Column, x: dict[str, Any]) -> list[tuple[object, str | None]]:
    """Return the (value, number format) cells of one indicator for one county.

    The target is shown with its evidence grade, as in the report (``target_with_grade``).
    """
    from tcmcounty.indicators.model import target_with_grade

    v = x.get("value")
    if col.indicator is not None:
        value, fmt = excel_value(col.indicator, v), number_format(col.indicator)
    else:
        value, fmt = (v if isinstance(v, (int, float)) or v is None else str(v)), None
    met = x.get("met")
    need = x.get("need")
    return [
        (value, fmt),
        (target_with_grade(x.get("target") or "", x.get("target_grade") or "unverified"), None),
        (
            _MET_TEXT[met]
            if isinstance(met, bool)
            else _NO_VERDICT
            if x.get("no_verdict")
            else "—",
            None,
        ),
        (need if isinstance(need, (int, float)) else None, "0"),
        (status_label(x.get("input_status"), x.get("input_derived")), None),
    ]


def _write_summary_sheet(
    ws: Any, out: Path, recs: list[dict[str, Any]], cols: list[_Column]
) -> None:
    """Fill the summary sheet: header, one row per county, links, conditional colours."""
    from openpyxl.styles import Font

    bold = Font(bold=True)
    headers = [h for h, _ in SUMMARY_COLUMNS]
    for col in cols:
        headers += [col.header, *(f"{col.id} {label}" for label, _ in INDICATOR_FIELDS)]
    for j, h in enumerate(headers, 1):
        _cell(ws, 1, j, h).font = bold
    link_col = headers.index("报告 report") + 1
    width = 1 + len(INDICATOR_FIELDS)
    for i, r in enumerate(recs, 2):
        for j, (v, (_, fmt)) in enumerate(
            zip(_summary_values(out, r), SUMMARY_COLUMNS, strict=True), 1
        ):
            cell = _cell(ws, i, j, v, fmt)
            if j == link_col and v:
                set_link(cell, str(v))
        by_id = {str(x.get("id")): x for x in r.get("indicators") or []}
        for k, col in enumerate(cols):
            first = len(SUMMARY_COLUMNS) + width * k + 1
            for d, (v, fmt) in enumerate(_indicator_cells(col, by_id.get(col.id, {}))):
                _cell(ws, i, first + d, v, fmt)
    _colour_verdicts(ws, len(recs) + 1, len(cols), width)
    format_sheet(ws, freeze="C2")


def _colour_verdicts(ws: Any, last_row: int, n_indicators: int, width: int) -> None:
    """Green = met, red = not met (value and met columns); a status other than ok in red."""
    from openpyxl.formatting.rule import CellIsRule, FormulaRule
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    if last_row < 2:
        return
    green = PatternFill(start_color="C8E6C9", end_color="C8E6C9", fill_type="solid")
    red = PatternFill(start_color="FFCDD2", end_color="FFCDD2", fill_type="solid")
    met_offset = 1 + [f for _, f in INDICATOR_FIELDS].index("met")
    for k in range(n_indicators):
        first = len(SUMMARY_COLUMNS) + width * k + 1
        vcol, mcol = get_column_letter(first), get_column_letter(first + met_offset)
        for text, fill in (("是", green), ("否", red)):
            ws.conditional_formatting.add(
                f"{mcol}2:{mcol}{last_row}",
                CellIsRule(operator="equal", formula=[f'"{text}"'], fill=fill),
            )
            ws.conditional_formatting.add(
                f"{vcol}2:{vcol}{last_row}", FormulaRule(formula=[f'${mcol}2="{text}"'], fill=fill)
            )
    ws.conditional_formatting.add(
        f"D2:D{last_row}", CellIsRule(operator="notEqual", formula=['"ok"'], fill=red)
    )


def _write_failed_sheet(ws: Any, recs: list[dict[str, Any]]) -> None:
    """List the counties whose report did not succeed: adcode, names, status, error, record."""
    from openpyxl.styles import Font

    bold = Font(bold=True)
    for j, h in enumerate(FAILED_COLUMNS, 1):
        _cell(ws, 1, j, h).font = bold
    failed = [r for r in recs if r.get("status") != "ok"]
    for i, r in enumerate(failed, 2):
        c = (r.get("counties") or [guess_county(r["name"])])[0]
        values = (
            c.get("adcode"),
            c.get("name_zh"),
            c.get("name_en"),
            r.get("status"),
            r.get("error") or "",
            r.get("_record") or f"{r['name']}.json",
        )
        for j, v in enumerate(values, 1):
            _cell(ws, i, j, v)
    if not failed:
        _cell(ws, 2, 1, "无 none")
    format_sheet(ws)


def _write_notes_sheet(ws: Any) -> None:
    lines = [
        "每行一个县；每个指标有数值、目标、是否达标（是/否/—）、缺口和数据状态五列。绿色 = 达标，红色 = 未达标。",
        "One row per county; each indicator has five columns: value, target, met (是 yes / 否 no / — no verdict), "
        "need (what it takes to meet the target) and data status.",
        "数值按格式显示（如 0.00、0.0%、1:1.18），单元格保留完整精度；所有百分比均为同一尺度（0.25 = 25%）；医院等级为文字。",
        "Values are rounded by their number format (0.00, 0.0%, 1:1.18); the cell keeps full precision. "
        "Every percentage is on one scale (0.25 shows as 25%); hospital grades are text (二级甲等).",
        "“报告 report”列链接到本文件夹中的报告；“失败 failed”表列出未成功的县及错误。",
        "The report column links to the report in this folder; the 失败 failed sheet lists the counties that did not succeed.",
        "含估算/模拟 = the county's data include estimated or synthetic figures (see the report's data-quality section).",
        "迎检准备 readiness：报告第一节的结论（数值目标达标/未达标/缺数据，任务完成/逾期/未报告，距下一阶段天数），括号内为报告日期。",
        "Readiness is the first section of each report (quantitative targets met / not met / no data, tasks "
        "done / late / not reported, days to the next stage) on the report date in brackets.",
        f"Generated {dt.datetime.now().astimezone().isoformat(timespec='seconds')} from the JSON records in this folder.",
    ]
    for i, line in enumerate(lines, 1):
        _cell(ws, i, 1, line)
    format_sheet(ws, header_rows=0, freeze=None)


def write_summary_xlsx(
    out_dir: str | os.PathLike[str], records: list[dict[str, Any]] | None = None
) -> Path:
    """Write ``summary.xlsx``: a summary sheet, a sheet of failed counties and notes.

    The summary has one row per county: figures at full precision shown through number formats
    (:mod:`tcmcounty.formatting`: percentages as shares, ``1:x`` ratios, grades as text), a link
    to each report, and per indicator its value, target, met, need and data status.

    Parameters
    ----------
    out_dir : path
        The report folder (``summary.xlsx`` is written there, atomically).
    records : list of dict, optional
        Checked records (:func:`load_records`); read from ``out_dir`` when not given.

    Returns
    -------
    pathlib.Path
        The workbook written.
    """
    from openpyxl import Workbook

    out = Path(out_dir)
    recs = [
        r
        for r in (load_records(out) if records is None else records)
        if r.get("kind") == "county_report"
    ]
    wb = mark_output_workbook(Workbook())  # a batch never takes it for a county
    ws = wb.active
    ws.title = "汇总 summary"
    _write_summary_sheet(ws, out, recs, _indicator_columns(recs))
    write_target_sheet(wb.create_sheet(TARGET_SHEET), recs)
    _write_failed_sheet(wb.create_sheet("失败 failed"), recs)
    _write_notes_sheet(wb.create_sheet("说明 notes"))
    target = out / "summary.xlsx"
    with atomic_path(target) as tmp:
        wb.save(tmp)
        os.chmod(tmp, PUBLIC_MODE)
    return target


def write_index(out_dir: str | os.PathLike[str]) -> Path:
    """Rebuild ``index.html`` and ``summary.xlsx`` in ``out_dir`` (atomically); return the index path."""
    out = Path(out_dir)
    recs = load_records(out)
    write_summary_xlsx(out, recs)
    target = out / "index.html"
    from tcmcounty.run.execute import embed_cjk_font

    write_file_atomic(target, embed_cjk_font(index_html(out, recs)).encode("utf-8"))
    return target
