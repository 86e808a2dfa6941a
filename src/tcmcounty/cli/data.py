"""Data subcommands: ``validate``, ``template``, ``export``, ``list``."""

from __future__ import annotations

import argparse
import json
import sys

from tcmcounty.cli.mapping import add_columns_option
from tcmcounty.county import STATUS_LABELS, STATUSES
from tcmcounty.inputs.load import ValidationReport, list_counties, load_county, validate
from tcmcounty.inputs.workbook import write_workbook


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the data subcommands."""
    p = sub.add_parser(
        "validate",
        help="check a county folder or workbook / 检查县数据",
        description="Check a county bundle folder or .xlsx workbook; report every problem. "
        "Exit 0 when valid (warnings allowed), 2 on errors. Nothing is written.",
    )
    p.add_argument("path", help="bundle folder, .xlsx workbook, or bundled county name")
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format (default: text) / 输出格式（默认 text 文本）",
    )
    add_columns_option(p)
    p.set_defaults(func=_validate)

    p = sub.add_parser(
        "template",
        help="write an Excel workbook to fill in / 生成Excel模板",
        description="Write an empty workbook, or with --county one pre-filled with the county's "
        "NBS 2023 townships and villages (codes, names, types) and its name, province and city; "
        "only numbers, facilities and alliances are left to fill in.",
    )
    p.add_argument("out", help="output .xlsx file")
    p.add_argument(
        "--county",
        metavar="ADCODE",
        help="6-digit county code or unique county name (安岳县) to pre-fill / 预填县代码或县名",
    )
    p.set_defaults(func=_template)

    p = sub.add_parser("export", help="export a county to a planner's Excel workbook / 导出为Excel")
    p.add_argument("path", help="bundle folder or bundled county name")
    p.add_argument("out", help="output .xlsx file")
    add_columns_option(p)
    p.set_defaults(func=_export)

    p = sub.add_parser("list", help="list bundled counties / 列出内置县")
    p.set_defaults(func=_list)


def summary_lines(report: ValidationReport) -> list[str]:
    """Return the human summary of a successful validation: counts and data status."""
    c = report.county
    if c is None:
        return []
    counts = c.status_counts()
    total = sum(counts.values()) or 1
    lines = [
        f"{c.name_zh} {c.name_en} ({c.adcode}) — valid / 校验通过",
        f"  townships 乡镇 {len(c.townships)}, villages 村/社区 {len(c.villages)}, "
        f"facilities 医疗机构 {len(c.facilities)}, alliances 医联体 {len(c.alliances)}, "
        f"sources 来源 {len(c.sources)}, boundary 县界 {'yes' if c.boundary is not None else 'no'}",
        "  figures and rows by status / 数据状态: "
        + ", ".join(f"{STATUS_LABELS[s]} {counts[s]} ({counts[s] / total:.0%})" for s in STATUSES),
    ]
    missing = [k for k, e in c.resources.items() if e.official is None]
    if missing:
        lines.append("  not reported (official) / 官方未报告: " + ", ".join(missing))
    derived = [e.key for e in c.resources.values() if e.official is None and e.derived]
    if derived:
        lines.append(
            "  derived from roster / 由机构名册汇总 (the facility roster's sum is used): "
            + ", ".join(derived)
        )
    return lines


def _validate(args: argparse.Namespace) -> int:
    report = validate(args.path, args.columns)
    if args.format == "json":
        payload = {
            "path": str(report.path),
            "ok": report.ok,
            "errors": [p.to_dict() for p in report.errors],
            "warnings": [p.to_dict() for p in report.warnings],
            "notes": [p.to_dict() for p in report.notes],
            "status_counts": report.county.status_counts() if report.county else None,
        }
        print(json.dumps(payload, ensure_ascii=False, indent=1))
        return 0 if report.ok else 2
    for p in report.errors + report.warnings + report.notes:
        print(str(p), file=sys.stderr if p.severity == "error" else sys.stdout)
    if not report.ok:
        print(
            f"{len(report.errors)} error(s), {len(report.warnings)} warning(s) in {report.path} "
            f"/ {len(report.errors)} 个错误",
            file=sys.stderr,
        )
        return 2
    for line in summary_lines(report):
        print(line)
    if report.warnings:
        print(f"  {len(report.warnings)} warning(s) / 警告")
    return 0


def _template(args: argparse.Namespace) -> int:
    if args.county is None:
        out = write_workbook(args.out)
        print(f"wrote {out} / 已生成模板")
        return 0
    from tcmcounty.inputs.nbs import county_units

    units = county_units(args.county)  # CountyNotFoundError -> exit 2
    out = write_workbook(args.out, adcode=units.adcode)
    print(
        f"wrote {out} / 已生成模板: {units.full_name} ({units.adcode}), "
        f"{len(units.townships)} townships 乡镇, {len(units.villages)} villages 村/社区 "
        "pre-filled from NBS 2023 codes / 已按国家统计局2023年区划代码预填"
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    out = write_workbook(args.out, load_county(args.path, warn=False, columns=args.columns))
    print(f"wrote {out}")
    return 0


def _list(args: argparse.Namespace) -> int:
    table = list_counties()
    print(table.to_string(index=False) if len(table) else "no bundled counties found")
    return 0
