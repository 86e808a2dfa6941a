"""Subcommands ``tcmcounty indicators`` and ``tcmcounty compare``."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.typing import NAType

from tcmcounty.cli.mapping import add_columns_option
from tcmcounty.cli.output import add_format_options, emit, wants_bom
from tcmcounty.county import status_label
from tcmcounty.indicators import compare, compute, met_mark
from tcmcounty.indicators.model import grade_label, target_with_grade
from tcmcounty.inputs.load import load_county

_POPULATION_HELP = "population base: resident 常住人口 (default) or registered 户籍人口"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--population",
        choices=("resident", "registered"),
        default="resident",
        help=_POPULATION_HELP,
    )
    p.add_argument(
        "--targets",
        metavar="FILE",
        help="target file (TOML or CSV) laid over the default target set / 目标文件",
    )
    p.add_argument(
        "--no-estimates",
        action="store_true",
        help="do not use estimates where an official county figure is not reported / 不使用估算值",
    )
    add_format_options(p)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``indicators`` and ``compare`` subcommands."""
    p = subparsers.add_parser(
        "indicators",
        help="示范县 indicators: value, target, met, need / 示范县指标与缺口",
        description="Compute every indicator of the 示范县 review for a county, compare it with its target "
        "and say how many more units are needed. / 计算示范县各项指标、目标、是否达标及缺口。",
    )
    p.add_argument(
        "path", metavar="PATH", help="county bundle folder, Excel workbook or bundled county name"
    )
    p.add_argument(
        "--by", choices=("township",), help="one row per township (facility-based indicators)"
    )
    _common(p)
    add_columns_option(p)
    p.set_defaults(func=run_indicators)
    c = subparsers.add_parser(
        "compare",
        help="indicators of several counties side by side / 多县指标对比",
        description="One row per indicator, a value / met / need / status column per county.",
    )
    c.add_argument(
        "paths", metavar="PATH", nargs="+", help="county bundle folders, workbooks or names"
    )
    _common(c)
    add_columns_option(c)
    c.set_defaults(func=run_compare)


#: A cell of the ``need`` and ``excess`` columns: a count, or missing (``pd.NA``, NaN, None).
_Count = float | np.integer[Any] | NAType | None


def _need_text(need: _Count, unit: str, excess: _Count) -> str:
    if pd.notna(excess) and int(excess) > 0 and pd.isna(need):
        return f"excess {int(excess)} 超出 {unit}".strip()
    if pd.isna(need):
        return "—"
    return "0" if int(need) == 0 else f"+{int(need)} {unit}".strip()


def _footnotes(df: pd.DataFrame) -> str:
    lines = [f"NOTE {text}" for text in df.attrs.get("target_readings", ())]
    for r in df.itertuples(index=False):
        if r.reason:
            where = f" {r.area_name}" if r.level == "township" else ""
            what = "no verdict / 无法判断" if r.no_verdict else "NA"
            lines.append(f"  {r.id}{where}: {what} — {r.reason!s}")  # a text, never bytes
    est = df[df["note"].str.contains("estimate used", regex=False, na=False)]["id"].unique()
    if len(est):
        lines.append(
            "  estimated inputs / 使用估算值 (official figure not reported; estimate used): "
            + ", ".join(est)
        )
    derived = df[df["input_derived"].notna().to_numpy(dtype=bool)]["id"].unique()
    if len(derived):
        lines.append(
            "  county totals derived from roster / 由机构名册汇总 (not on the county sheet; the "
            "facility roster's sum): " + ", ".join(derived)
        )
    syn = df[df["input_status"].eq("synthetic").fillna(False).astype(bool)]["id"].unique()
    if len(syn):
        lines.append(
            "  synthetic inputs / 模拟数据 (illustrative only, not facts about the county): "
            + ", ".join(syn)
        )
    return ("\nNotes / 说明:\n" + "\n".join(lines) + "\n") if lines else ""


def _grade(grade: object) -> str:
    """Return the evidence grade shown beside a target (``—`` without a target)."""
    return grade_label(grade) if isinstance(grade, str) and grade else "—"


def _county_table(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ID": df["id"],
            "指标": df["name_zh"],
            "Indicator": df["name_en"],
            "值 value": [
                v if v == "—" or not u else f"{v} {u}"
                for v, u in zip(df["value_text"], df["unit"].str.split(" ").str[0], strict=True)
            ],
            "目标 target": df["target"],
            "证据 grade": df["target_grade"].map(_grade),
            "达标 met": df["met"].map(met_mark),
            "缺口 need": [
                _need_text(n, u.split(" / ")[0], e)
                for n, u, e in zip(df["need"], df["need_unit"], df["excess"], strict=True)
            ],
            "状态 status": [
                status_label(s, d)
                for s, d in zip(df["input_status"], df["input_derived"], strict=True)
            ],
        }
    )


def _township_table(df: pd.DataFrame) -> pd.DataFrame:
    cell = df["value_text"] + df["met"].map(
        lambda m: " ✗" if m is False or (pd.notna(m) and not m) else ""
    )
    wide = (
        df.assign(cell=cell)
        .pivot_table(
            index=["area_code", "area_name"],
            columns="id",
            values="cell",
            aggfunc="first",
            sort=False,
        )
        .reindex(columns=list(dict.fromkeys(df["id"])))
        .reset_index()
    )
    return wide.rename(columns={"area_code": "乡镇代码 code", "area_name": "乡镇 township"})


def _legend(df: pd.DataFrame) -> str:
    seen = df.drop_duplicates("id")
    return "\n".join(
        f"  {r.id}: {r.name_zh} / {r.name_en} ({r.unit}); target "
        f"{target_with_grade(r.target, r.target_grade) or '—'}"
        for r in seen.itertuples(index=False)
    )


def run_indicators(args: argparse.Namespace) -> int:
    """Run ``tcmcounty indicators``."""
    county = load_county(args.path, warn=False, columns=args.columns)
    df = compute(
        county, args.population, args.targets, by=args.by, allow_estimates=not args.no_estimates
    )
    if args.format != "table":
        emit(df, args.format, args.output, bom=wants_bom(args))
        return 0
    title = (
        f"{county.name} — 示范县指标 / demonstration-county indicators\n"
        f"population base / 人口口径: {args.population}; target set / 目标集: {df.attrs['target_set_label']}"
        + ("; estimates not used / 不使用估算值" if args.no_estimates else "")
    )
    if args.by == "township":
        table = _township_table(df)
        title += "\n✗ = 未达标 not met\n" + _legend(df)
    else:
        table = _county_table(df)
    with pd.option_context("display.unicode.east_asian_width", True, "display.max_colwidth", 60):
        emit(table, "table", args.output, title + "\n")
    if not args.output:
        print(_footnotes(df), end="")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """Run ``tcmcounty compare``."""
    counties = [load_county(p, warn=False, columns=args.columns) for p in args.paths]
    if args.format != "table":
        wide = compare(
            counties, args.population, args.targets, allow_estimates=not args.no_estimates
        )
        emit(wide, args.format, args.output, bom=wants_bom(args))
        return 0
    wide = compare(
        counties,
        args.population,
        args.targets,
        allow_estimates=not args.no_estimates,
        columns=("value_text", "met", "input_status", "input_derived"),
    )
    table = wide[["id", "name_zh", "target"]].rename(
        columns={"id": "ID", "name_zh": "指标", "target": "目标 target"}
    )
    table["证据 grade"] = wide["target_grade"].map(_grade)
    for label in wide.attrs["counties"]:
        table[label] = wide[f"{label} value_text"] + wide[f"{label} met"].map(
            lambda m: " ✗" if pd.notna(m) and not m else ""
        )
        table[f"{label} 状态"] = [
            status_label(s, d)
            for s, d in zip(
                wide[f"{label} input_status"], wide[f"{label} input_derived"], strict=True
            )
        ]
    title = (
        f"示范县指标对比 / indicators compared; population base / 人口口径: {args.population}; "
        f"target set / 目标集: {wide.attrs['target_set_label']}\n✗ = 未达标 not met\n"
    )
    with pd.option_context("display.unicode.east_asian_width", True):
        emit(table, "table", args.output, title)
    return 0
