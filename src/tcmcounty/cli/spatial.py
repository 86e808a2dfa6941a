"""Spatial subcommands: ``coverage`` and ``access`` (site planning ``plan`` and ``synth`` join here).

Each subcommand is registered by its own ``_register_<name>(sub)`` function, called from
:func:`register`.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import TYPE_CHECKING

from tcmcounty.cli.mapping import add_columns_option
from tcmcounty.cli.output import add_format_options, emit, wants_bom
from tcmcounty.cli.travel_options import (
    add_travel_options,
    distance_model,
    report_model,
    travel_from_args,
    wants_travel,
)
from tcmcounty.errors import ArgumentError

if TYPE_CHECKING:
    from tcmcounty.county import County


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the spatial subcommands."""
    _register_coverage(sub)
    _register_access(sub)
    # --- site planning and synthetic data (plan.py / synth.py) register below ---


# --------------------------------------------------------------------------- coverage


def _register_coverage(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from tcmcounty.services import SERVICE_LEVELS
    from tcmcounty.spatial.coverage import PRESETS

    presets = ", ".join(f"{k} = {v[0]:g} km" for k, v in PRESETS.items())
    p = sub.add_parser(
        "coverage",
        help="distance to TCM services and population covered / 中医药服务覆盖",
        description=(
            "Distance from every village to the nearest 中医阁, TCM-capable clinic, 中医馆 and county "
            "TCM hospital, and the population within thresholds (inclusive: distance <= threshold). "
            "Straight-line distances in the county's metric CRS (× --detour), or minutes from "
            f"--travel-times. Presets: {presets}."
        ),
    )
    p.add_argument("path", help="bundle folder, .xlsx workbook, or bundled county name")
    add_columns_option(p)
    p.add_argument(
        "--by",
        choices=("village", "township", "county", "alliance"),
        default="village",
        help="village: distances to each level and coverage; township/county: population covered; "
        "alliance: share of residents covered by alliances led by the county TCM hospital, "
        "indicator T-YLT (its rule and denominator; other alliances listed, not judged) "
        "(default: village)",
    )
    p.add_argument(
        "--population",
        choices=("resident", "registered"),
        default="resident",
        help="population base of --by alliance, as for the indicators (default: resident 常住)",
    )
    p.add_argument(
        "--thresholds",
        default=None,
        help="comma-separated thresholds: km numbers, '1500m', presets, or '30min' with --travel-times "
        "(default: 1,2,5,10 km; 15,30,60 min with --travel-times)",
    )
    p.add_argument(
        "--level",
        choices=tuple(SERVICE_LEVELS),
        default="pavilion",
        help="service level whose coverage is counted (default: pavilion 中医阁)",
    )
    p.add_argument(
        "--detour", type=float, default=1.0, help="road / straight-line factor >= 1 (default 1)"
    )
    p.add_argument(
        "--travel-times",
        metavar="FILE.csv",
        help="travel-time table: demand_id, supply_id, minutes",
    )
    p.add_argument(
        "--uncovered",
        action="store_true",
        help="list the villages not covered at the largest threshold, with their population",
    )
    add_travel_options(p)
    add_format_options(p)
    p.set_defaults(func=_coverage)


def _load(path: str, columns: str | None = None) -> County:
    from tcmcounty.inputs.load import load_county

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        county = load_county(path, columns=columns)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    return county


def _share_text(share: float | None) -> str:
    return "—" if share is None else f"{share:.1%}"


def _largest_minutes(spec: str) -> float:
    """Largest threshold in minutes of a threshold list (60 when it is in km)."""
    from tcmcounty.spatial.coverage import parse_thresholds

    ths = parse_thresholds(spec, default_unit="min")
    return max(t.value for t in ths) if ths[-1].unit == "min" else 60.0


def _sensitivity_lines(county: County, thresholds: str, level: str) -> list[str]:
    """Coverage at the ends of the detour band, from the same coverage function."""
    from tcmcounty.spatial.travel.model import DETOUR_BAND, detour_sensitivity

    tab = detour_sensitivity(county, thresholds, level)
    lo, hi = DETOUR_BAND
    return [f"population share within reach at detour 1 / {lo:g} / {hi:g}:"] + [
        f"  {r.threshold}: {r[1]:.1%} / {r[2]:.1%} / {r[3]:.1%}"
        for r in tab.itertuples(index=False)
    ]


def _coverage(args: argparse.Namespace) -> int:
    from tcmcounty.spatial.coverage import (
        alliance_coverage,
        cumulative_coverage,
        nearest_service,
        travel_time_costs,
    )

    county = _load(args.path, args.columns)
    if args.by == "alliance":
        alliance = alliance_coverage(county, population=args.population)
        title = (
            f"{county.name} — alliances led by the county TCM hospital (T-YLT) / "
            f"县级中医医院牵头医联体覆盖人口: {_share_text(alliance.share)} "
            f"(target {alliance.target_text or '—'}: {alliance.verdict()})"
        )
        emit(alliance.table(), args.format, args.output, title, bom=wants_bom(args))
        return 0
    minutes = bool(args.travel_times) or wants_travel(args)
    thresholds = args.thresholds or ("15min,30min,60min" if minutes else "1,2,5,10")
    travel = travel_from_args(args, county, _largest_minutes(thresholds))
    if travel is not None:
        costs = travel.costs(county)
    elif args.travel_times:
        costs = travel_time_costs(args.travel_times, county.villages, county.facilities)
    else:
        costs = None
    res = cumulative_coverage(
        county, thresholds=thresholds, level=args.level, costs=costs, detour=args.detour
    )
    unit = "min" if costs is not None else f"km × detour {args.detour:g}"
    if args.uncovered:
        t = res.thresholds[-1]
        df = res.uncovered(t)
        if travel is not None:  # why a village has no time: not snapped, across a barrier...
            flags = travel.villages.rename(columns={"id": "code"})[["code", "snap_m", "flag"]]
            df = df.merge(flags, on="code", how="left")
        title = f"{county.name} — villages beyond {t.label} of {args.level} / 未覆盖村 ({len(df)})"
    elif args.by == "village":
        ns = nearest_service(county, costs=costs, detour=args.detour)
        df = ns
        for t in res.thresholds:
            df[f"covered_{args.level}_{t.label}"] = res.villages[f"covered_{t.label}"].to_numpy()
        title = (
            f"{county.name} — nearest TCM service per village ({unit}) / 各村到最近中医药服务的距离"
        )
    else:
        df = res.table(args.by)
        title = f"{county.name} — population within reach of {args.level} ({unit}, inclusive) / 覆盖人口"
    extra = _sensitivity_lines(county, thresholds, args.level) if costs is None else []
    title += report_model(args, distance_model(args, travel), extra)
    emit(df, args.format, args.output, title, bom=wants_bom(args))
    return 0


# --------------------------------------------------------------------------- access


def _register_access(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from tcmcounty.services import SERVICE_LEVELS
    from tcmcounty.spatial.access import DECAY_FUNCTIONS, METHODS

    p = sub.add_parser(
        "access",
        help="spatial accessibility (2SFCA / E2SFCA) / 空间可达性",
        description=(
            "Two-step floating catchment accessibility: capacity (e.g. TCM physicians) reachable per "
            "1,000 residents of each village (Luo & Wang 2003; E2SFCA Luo & Qi 2009; Gaussian decay "
            "Dai 2010). Township and county rows add population-weighted means and Gini coefficients."
        ),
    )
    p.add_argument("path", help="bundle folder, .xlsx workbook, or bundled county name")
    add_columns_option(p)
    p.add_argument("--method", choices=tuple(METHODS), default="2sfca", help="default: 2sfca")
    p.add_argument(
        "--decay",
        choices=tuple(d for d in DECAY_FUNCTIONS if d != "uniform"),
        default=None,
        help="distance decay for e2sfca (default: step, weights 1/0.68/0.22 on thirds of the radius)",
    )
    p.add_argument(
        "--capacity",
        default="tcm_physicians",
        help="facility column used as supply (default: tcm_physicians)",
    )
    p.add_argument(
        "--radius",
        default=None,
        help="catchment: '10km', '2000m', a preset, or '30min' with --travel-times (default 10km / 30min)",
    )
    p.add_argument(
        "--travel-times",
        metavar="FILE.csv",
        help="travel-time table: demand_id, supply_id, minutes",
    )
    p.add_argument(
        "--detour", type=float, default=1.0, help="road / straight-line factor >= 1 (default 1)"
    )
    p.add_argument(
        "--level",
        choices=tuple(SERVICE_LEVELS),
        default=None,
        help="only facilities of this service level supply capacity (default: all facilities)",
    )
    p.add_argument(
        "--by",
        choices=("village", "township", "county"),
        default="village",
        help="default: village",
    )
    p.add_argument(
        "--below",
        type=float,
        default=None,
        help="report the population share below this many per 1,000",
    )
    add_travel_options(p)
    add_format_options(p)
    p.set_defaults(func=_access)


def _access(args: argparse.Namespace) -> int:
    from tcmcounty.spatial.access import spatial_access

    county = _load(args.path, args.columns)
    decay = args.decay
    if args.method == "2sfca" and decay is not None:
        raise ArgumentError("--decay applies to --method e2sfca; 2sfca has no distance decay")
    radius = args.radius or ("30min" if args.travel_times or wants_travel(args) else None)
    travel = travel_from_args(args, county, _largest_minutes(radius) if radius else 30.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = spatial_access(
            county,
            method=args.method,
            decay=decay,
            capacity=args.capacity,
            radius=radius,
            travel_times=travel.table if travel is not None else args.travel_times,
            detour=args.detour,
            level=args.level,
        )
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    df = res.table(args.by, below=args.below)
    title = (
        f"{county.name} — {res.method.upper()} ({res.decay}) {res.capacity} per 1,000 residents within "
        f"{res.radius.label} / 每千人可及{res.capacity}"
    )
    title += report_model(args, distance_model(args, travel))
    emit(df, args.format, args.output, title, bom=wants_bom(args))
    return 0
