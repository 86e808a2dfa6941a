"""Subcommand ``tcmcounty readiness``: are we ready for the review, and what is missing."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from tcmcounty.cli.mapping import add_columns_option

if TYPE_CHECKING:
    from tcmcounty.reporting.readiness import Readiness

FORMATS = ("text", "csv", "json")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``readiness`` subcommand."""
    p = subparsers.add_parser(
        "readiness",
        help="ready for the review? targets, tasks, stages / 迎检准备情况",
        description="Quantitative targets met / not met / no data with the evidence grade of each "
        "target, the plan's tasks done / late / not reported, and the days to the next stage: the "
        "first screen of the county report. / 指标达标情况（含目标证据等级）、任务完成与逾期、距下一阶段天数。",
    )
    p.add_argument(
        "path", metavar="COUNTY", help="county bundle folder, Excel workbook or bundled county name"
    )
    p.add_argument(
        "--report-date",
        metavar="YYYY-MM-DD",
        help="date tasks and timetable are read against (default today) / 报告日期",
    )
    p.add_argument(
        "--population",
        choices=("resident", "registered"),
        default="resident",
        help="population base: resident 常住人口 (default) or registered 户籍人口",
    )
    p.add_argument(
        "--targets", metavar="FILE", help="targets file laid over the defaults / 目标文件"
    )
    p.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    p.add_argument("--output", "-o", help="write to this file instead of standard output")
    p.add_argument(
        "--no-bom",
        dest="bom",
        action="store_false",
        help="CSV without the UTF-8 byte-order mark (for pipelines) / CSV 不加 BOM",
    )
    add_columns_option(p)
    p.set_defaults(func=run_readiness)


def run_readiness(args: argparse.Namespace) -> int:
    """Run ``tcmcounty readiness``; exit 0 whether or not the county is ready."""
    from tcmcounty.cli.output import emit, wants_bom
    from tcmcounty.inputs.load import load_county
    from tcmcounty.io import write_text_atomic
    from tcmcounty.reporting.parameters import ReportParameters
    from tcmcounty.reporting.readiness import county_readiness, to_frame

    checked = ReportParameters.from_raw(
        population=args.population,
        targets=args.targets,
        report_date=args.report_date,
        require_county=False,
    )
    county = load_county(args.path, warn=False, columns=args.columns)
    r = county_readiness(
        county, checked.report_date, population=checked.population, targets=checked.targets
    )
    if args.format == "csv":
        emit(to_frame(r), "csv", args.output, bom=wants_bom(args))
        return 0
    text = (
        json.dumps(r.to_json(), ensure_ascii=False, indent=1) + "\n"
        if args.format == "json"
        else render_text(r)
    )
    if args.output:
        from pathlib import Path

        write_text_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0


def render_text(r: Readiness) -> str:
    """Return the readiness as plain text for a terminal (one block per part)."""
    from tcmcounty.reporting.readiness import GRADE_LABELS, VERDICT_EN, VERDICT_ZH

    lines = [
        f"{r.county_zh} {r.county_en} ({r.adcode}) — 迎检准备 readiness, {r.report_date.isoformat()}",
        r.summary(),
        "",
        "指标 Targets (value → target: verdict [evidence grade of the target] data status):",
    ]
    order = {"not_met": 0, "no_data": 1, "met": 2}
    for t in sorted(r.targets, key=lambda t: order[t.verdict]):
        status = (
            f" ({t.status_shown})"
            if t.input_derived or (t.input_status and t.input_status != "official")
            else ""
        )
        lines.append(
            f"  {t.id:<16} {t.shown} → {t.target}: {VERDICT_ZH[t.verdict]} "
            f"{VERDICT_EN[t.verdict]} [{GRADE_LABELS.get(t.grade, t.grade)}]{status}"
        )
    if r.without_number:
        lines.append(
            f"  目标无数值、不计入判定 targets without a number, not counted: {', '.join(r.without_number)}"
        )
    if r.task_states is not None:
        s = r.task_states
        lines += [
            "",
            f"任务 Tasks: {r.n_tasks} — 已完成 done {s['done']}, 过期未完成 overdue {r.overdue}, "
            f"未到期 not yet due {s['open']}, 未报告 not reported {s['not_reported']}",
        ]
    zh, en = r.stage_text()
    lines += ["", f"阶段 Stage: {zh} / {en}"]
    missing = r.missing()
    if missing:
        lines += ["", "还缺什么 What is missing:"]
        lines += [f"  - {zh} / {en}" for zh, en in missing]
    return "\n".join(lines) + "\n"
