"""Options shared by ``coverage``, ``access`` and ``plan``: a road layer or friction raster.

Not a command group: :func:`add_travel_options` adds ``--roads/--mode/--friction/...`` to a
subcommand, :func:`travel_from_args` turns them into a
:class:`~tcmcounty.spatial.travel.county.CountyTravel` (its ``table`` is the travel-time table the
analyses read), and :func:`model_lines` says which distance model the figures use.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tcmcounty.errors import ArgumentError
from tcmcounty.spatial.travel.model import DistanceModel

if TYPE_CHECKING:  # imported when first used: most commands draw no travel times
    from tcmcounty.county import County
    from tcmcounty.spatial.travel.county import CountyTravel


def add_travel_options(p: argparse.ArgumentParser) -> None:
    """Add the road-network / friction-surface options to a subcommand."""
    from tcmcounty.spatial.travel.graph import DEFAULT_MAX_SNAP_M
    from tcmcounty.spatial.travel.speeds import MODES

    g = p.add_argument_group(
        "travel time over roads or a friction surface (pip install 'tcmcounty[roads]')"
    )
    src = g.add_mutually_exclusive_group()
    src.add_argument(
        "--roads",
        metavar="FILE",
        help="road layer: .osm.pbf, or lines in .gpkg/.shp/.geojson with a class or speed column",
    )
    src.add_argument(
        "--friction",
        metavar="FILE.tif",
        help="friction raster (minutes per metre, as the Malaria Atlas Project surfaces) or speeds",
    )
    g.add_argument(
        "--mode",
        choices=tuple(MODES),
        default="walk",
        help="walk (one-way ignored) or motor (one-way respected); default walk",
    )
    g.add_argument(
        "--speeds", metavar="FILE.toml", help="speed table overriding the defaults (km/h by class)"
    )
    g.add_argument(
        "--friction-units",
        choices=("minutes_per_metre", "kmh"),
        default="minutes_per_metre",
        help="units of --friction (default minutes_per_metre)",
    )
    g.add_argument(
        "--barriers",
        metavar="FILE",
        help="water polygons (rivers, lakes): impassable on --friction, never snapped across",
    )
    g.add_argument(
        "--max-snap",
        type=float,
        default=DEFAULT_MAX_SNAP_M,
        metavar="METRES",
        help=f"points farther from a road are flagged, not snapped (default {DEFAULT_MAX_SNAP_M:g})",
    )
    g.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        metavar="MIN",
        help="largest travel time kept (default: the largest threshold / radius, at least 60)",
    )
    g.add_argument(
        "--road-class-column", default=None, help="road-class column of a vector road layer"
    )
    g.add_argument("--road-speed-column", default=None, help="speed column (km/h) of a road layer")


def wants_travel(args: argparse.Namespace) -> bool:
    """Return True when a road layer or a friction raster was given."""
    return bool(getattr(args, "roads", None) or getattr(args, "friction", None))


def check_travel_sources(args: argparse.Namespace) -> None:
    """Refuse --travel-times together with --roads / --friction (one source of minutes).

    Raises
    ------
    ValueError
        If both are given.
    """
    if wants_travel(args) and getattr(args, "travel_times", None):
        raise ArgumentError(
            "give --travel-times or --roads/--friction, not both / 出行时间表与路网（摩擦面）只能二选一"
        )


def travel_from_args(
    args: argparse.Namespace, county: County, needed_minutes: float = 60.0
) -> CountyTravel | None:
    """Compute the county's travel times from the options (None without --roads/--friction).

    Raises
    ------
    ValueError
        If --travel-times is combined with --roads / --friction.
    """
    check_travel_sources(args)
    if not wants_travel(args):
        return None
    cutoff = max(needed_minutes, args.max_minutes if args.max_minutes is not None else 60.0)
    if args.roads:
        from tcmcounty.spatial.travel.county import road_travel_times

        return road_travel_times(
            county,
            args.roads,
            mode=args.mode,
            speeds=args.speeds,
            cutoff=cutoff,
            max_snap_m=args.max_snap,
            barriers=args.barriers,
            class_column=args.road_class_column,
            speed_column=args.road_speed_column,
        )
    from tcmcounty.spatial.travel.county import friction_travel_times

    return friction_travel_times(
        county, args.friction, units=args.friction_units, cutoff=cutoff, barriers=args.barriers
    )


def distance_model(args: argparse.Namespace, travel: CountyTravel | None) -> DistanceModel:
    """Return the model the figures of this command use."""
    from tcmcounty.spatial.travel.model import straight_line_model, table_model

    if travel is not None:
        return travel.model
    if getattr(args, "travel_times", None):
        return table_model(args.travel_times)
    return straight_line_model(getattr(args, "detour", 1.0))


def model_lines(model: DistanceModel, extra: list[str] | None = None) -> str:
    """Return the model description as text (for a table title or standard error)."""
    return "\n".join([*model.lines(), *(extra or [])])


def report_model(
    args: argparse.Namespace, model: DistanceModel, extra: list[str] | None = None
) -> str:
    """Return the model text for a ``table`` title, or write it to stderr for other formats."""
    text = model_lines(model, extra)
    if getattr(args, "format", "table") == "table":
        return "\n" + text
    print(text, file=sys.stderr)
    return ""
