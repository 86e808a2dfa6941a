"""The report folder's front page (``index.html``) and the planners' workbook (``summary.xlsx``).

Both are rebuilt from the JSON records that :func:`tcmcounty.report.write_outcome` leaves next
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
import math
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tcmcounty.io import atomic_path, set_cell, xml_safe_text

KINDS = ("county_report", "comparison")
#: Status shown for a record that says ``ok`` but whose HTML is gone or not the one it wrote.
MISSING = "missing"
_COUNTY_KEYS = ("adcode", "name_zh", "name_en", "province", "city")


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


def _text(v: object) -> str | None:
    if v is None or isinstance(v, (dict, list)):
        return None
    return str(v)


def _number(v: object) -> object:
    """Keep a finite number (or a bool) as it is, other scalars as text, the rest ``None``."""
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v if math.isfinite(v) else None
    return _text(v)


def clean_record(rec: object, stem: str | None = None) -> dict[str, Any] | None:
    """Return a report record with every field of the type the index expects, or ``None``.

    ``None`` when ``rec`` is not a record written by this tool: not a JSON object, an unknown
    ``kind``, or a ``name`` that is not text (or not the file's ``stem``, when given). Fields of the wrong type are replaced by their empty value (a list
    where a dictionary belongs, a number as text …), so no later step fails on them.

    Examples
    --------
    >>> rec = clean_record({"kind": "county_report", "name": "a", "status": "ok",
    ...     "counties": "oops", "headline": [1], "attempts": "2"})
    >>> rec["counties"], rec["headline"], rec["attempts"]
    ([], {}, 0)
    >>> clean_record({"kind": "county_report", "name": "a"}, stem="copy of a") is None
    True
    """
    if not isinstance(rec, dict) or rec.get("kind") not in KINDS:
        return None
    name = rec.get("name")
    if not isinstance(name, str) or not name or (stem is not None and name != stem):
        return None
    out = dict(rec)
    for key in ("status", "error", "written", "warning", "inputs_hash", "template_hash"):
        out[key] = _text(rec.get(key)) or ("?" if key == "status" else "")
    counties = rec.get("counties")
    out["counties"] = [
        {k: _text(c.get(k)) for k in _COUNTY_KEYS}
        for c in (counties if isinstance(counties, list) else [])
        if isinstance(c, dict)
    ]
    head = rec.get("headline")
    out["headline"] = (
        {str(k): _number(v) for k, v in head.items()} if isinstance(head, dict) else {}
    )
    inds = rec.get("indicators")
    out["indicators"] = [
        {str(k): _number(v) for k, v in i.items()}
        for i in (inds if isinstance(inds, list) else [])
        if isinstance(i, dict)
    ]
    outputs = rec.get("outputs")
    out["outputs"] = [
        f for f in (outputs if isinstance(outputs, list) else []) if isinstance(f, str)
    ]
    notes = rec.get("notes")
    out["notes"] = [n for n in (notes if isinstance(notes, list) else []) if isinstance(n, str)]
    for key in ("html_bytes", "attempts"):
        v = rec.get(key)
        out[key] = v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None
    out["attempts"] = out["attempts"] or 0
    d = rec.get("durations")
    out["durations"] = (
        {str(k): float(v) for k, v in d.items() if isinstance(v, (int, float))}
        if isinstance(d, dict)
        else {}
    )
    return out


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


def _pct(v: object) -> str:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    return "—" if not math.isfinite(f) else f"{100 * f:.1f}%"


def _link(out: Path, rec: dict[str, Any], label: str) -> str:
    html_name = f"{rec['name']}.html"
    if rec.get("status") == "ok" and (out / html_name).is_file():
        return f"<a href='{esc(quote(html_name))}'>{esc(label)}</a>"
    return esc(label)


def _county_label(rec: dict[str, Any]) -> str:
    cs = rec.get("counties") or []
    if rec.get("kind") == "comparison":
        return "、".join(str(c.get("name_zh") or c.get("adcode") or "") for c in cs) or rec["name"]
    if cs:
        c = cs[0]
        return f"{c.get('name_zh') or ''} {c.get('name_en') or ''}".strip() or rec["name"]
    return rec["name"]


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
            f"<td>{esc(h.get('n_no_verdict', '—'))}</td><td>{esc(_pct(h.get('coverage_share')))}</td>"
            f"<td>{esc(_pct(h.get('alliance_share')))}</td><td>{esc(h.get('sites_recommended', '—'))}</td>"
            f"<td>{esc(flag)}</td><td>{esc(f'{size / 1024:.0f} KB' if isinstance(size, int) else '—')}</td>"
            f"<td>{esc(r.get('written', ''))}</td><td class='err'>{esc(r.get('error', ''))}</td></tr>"
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
</style></head><body>
<h1>县级中医药工作报告 <small>County reports for the primary-level TCM demonstration county review</small></h1>
<p>{n_ok} / {len(counties)} 个县报告成功 county reports succeeded · 生成 generated {esc(stamp)}</p>
<table><thead><tr><th>代码 code</th><th>县 county</th><th>状态 status</th><th>达标 met</th>
<th>未达标 not met</th><th>无法判定 no verdict</th><th>中医药服务覆盖 coverage</th><th>{esc(ALLIANCE_HEADER)}</th>
<th>推荐中医阁 sites</th><th>数据 data</th><th>大小 size</th><th>生成 written</th><th>错误 error</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>县域比较 Comparisons</h2><ul>{comp_rows or "<li>—</li>"}</ul>
<p><a href="summary.xlsx">summary.xlsx</a> · <a href="batch_status.csv">batch_status.csv</a></p>
</body></html>
"""


#: Header of the alliance column: the T-YLT figure (TCM-led alliances only), never "any alliance".
ALLIANCE_HEADER = "县中医院牵头医联体覆盖 TCM-led alliance (T-YLT)"


def _cell(ws: Any, row: int, col: int, value: object) -> Any:
    """Write a value; text stays text (:func:`tcmcounty.io.set_cell`)."""
    return set_cell(ws, row, col, value)


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


def write_summary_xlsx(
    out_dir: str | os.PathLike[str], records: list[dict[str, Any]] | None = None
) -> Path:
    """Write ``summary.xlsx``: one row per county, indicators with met/unmet conditional formatting."""
    from openpyxl import Workbook
    from openpyxl.formatting.rule import CellIsRule, FormulaRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    out = Path(out_dir)
    recs = [
        r
        for r in (load_records(out) if records is None else records)
        if r.get("kind") == "county_report"
    ]
    ind_order: dict[str, str] = {}
    for r in recs:
        for i in r.get("indicators") or []:
            if isinstance(i, dict) and i.get("id") and i["id"] not in ind_order:
                ind_order[str(i["id"])] = str(i.get("name_zh") or "")
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总 summary"
    fixed = [
        "代码 adcode",
        "县 county",
        "County",
        "状态 status",
        "报告 report",
        "达标数 met",
        "未达标数 not met",
        "无法判定 no verdict",
        "中医药服务覆盖 coverage",
        ALLIANCE_HEADER,
        "推荐中医阁 sites",
        "含估算/模拟 non-official",
        "错误 error",
    ]
    headers = list(fixed)
    for iid, name in ind_order.items():
        headers += [f"{iid} {name}", f"{iid} 达标 met"]
    bold = Font(bold=True)
    for j, h in enumerate(headers, 1):
        _cell(ws, 1, j, h).font = bold
    for i, r in enumerate(recs, 2):
        c = (r.get("counties") or [guess_county(r["name"])])[0]
        h = r.get("headline") or {}
        vals = [
            c.get("adcode"),
            c.get("name_zh"),
            c.get("name_en"),
            r.get("status"),
            f"{r['name']}.html" if r.get("status") == "ok" else "",
            h.get("n_met"),
            h.get("n_unmet"),
            h.get("n_no_verdict"),
            h.get("coverage_share"),
            h.get("alliance_share"),
            h.get("sites_recommended"),
            "是" if h.get("non_official") else "否",
            r.get("error") or "",
        ]
        for j, v in enumerate(vals, 1):
            cell = _cell(ws, i, j, v)
            if j in (9, 10) and isinstance(v, (int, float)):
                cell.number_format = "0.0%"
        by_id = {str(x.get("id")): x for x in r.get("indicators") or [] if isinstance(x, dict)}
        for k, iid in enumerate(ind_order):
            x = by_id.get(iid, {})
            v = x.get("value")
            met = x.get("met")
            _cell(
                ws,
                i,
                len(fixed) + 2 * k + 1,
                v if isinstance(v, (int, float)) else (None if v is None else str(v)),
            )
            _cell(
                ws,
                i,
                len(fixed) + 2 * k + 2,
                "是" if met is True else ("否" if met is False else "—"),
            )
    n = len(recs) + 1
    green = PatternFill(start_color="C8E6C9", end_color="C8E6C9", fill_type="solid")
    red = PatternFill(start_color="FFCDD2", end_color="FFCDD2", fill_type="solid")
    if n >= 2:
        for k in range(len(ind_order)):
            vcol = get_column_letter(len(fixed) + 2 * k + 1)
            mcol = get_column_letter(len(fixed) + 2 * k + 2)
            ws.conditional_formatting.add(
                f"{mcol}2:{mcol}{n}", CellIsRule(operator="equal", formula=['"是"'], fill=green)
            )
            ws.conditional_formatting.add(
                f"{mcol}2:{mcol}{n}", CellIsRule(operator="equal", formula=['"否"'], fill=red)
            )
            ws.conditional_formatting.add(
                f"{vcol}2:{vcol}{n}", FormulaRule(formula=[f'${mcol}2="是"'], fill=green)
            )
            ws.conditional_formatting.add(
                f"{vcol}2:{vcol}{n}", FormulaRule(formula=[f'${mcol}2="否"'], fill=red)
            )
        ws.conditional_formatting.add(
            f"D2:D{n}", CellIsRule(operator="notEqual", formula=['"ok"'], fill=red)
        )
    ws.freeze_panes = "C2"
    for j in range(1, len(headers) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 14 if j > 3 else 12
    notes = wb.create_sheet("说明 notes")
    lines = [
        "每行一个县；指标列为数值，随后一列为是否达标（是/否/—）。绿色 = 达标，红色 = 未达标。",
        "One row per county; each indicator has a value column and a met column (是 yes / 否 no / — no verdict).",
        "Green = target met, red = not met. Shares are fractions (0.25 = 25%); indicator values are in the units of the report.",
        "含估算/模拟 = the county's data include estimated or synthetic figures (see the report's data-quality section).",
        f"Generated {dt.datetime.now().astimezone().isoformat(timespec='seconds')} from the JSON records in this folder.",
    ]
    for i, line in enumerate(lines, 1):
        _cell(notes, i, 1, line)
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
    from tcmcounty.execute import embed_cjk_font

    write_file_atomic(target, embed_cjk_font(index_html(out, recs)).encode("utf-8"))
    return target
