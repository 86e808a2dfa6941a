"""A county and a road layer or friction surface → the travel-time table the analyses accept.

:func:`road_travel_times` and :func:`friction_travel_times` return a :class:`CountyTravel`
whose ``table`` has the columns ``demand_id`` (village code), ``supply_id`` (facility id) and
``minutes`` — exactly what :func:`tcmcounty.spatial.coverage.travel_time_costs`,
:func:`tcmcounty.spatial.access.spatial_access` (``travel_times=``) and
:func:`tcmcounty.spatial.plan.plan_sites` (``travel_times=``) read from a CSV. Villages and facilities
that could not be placed on the network are listed with the reason, never silently dropped.

Examples
--------
>>> import tcmcounty
>>> from tcmcounty.spatial.travel.synthetic import grid_roads
>>> from tcmcounty.spatial.travel.county import road_travel_times
>>> county = tcmcounty.load_county("wenxi", warn=False)
>>> tt = road_travel_times(county, grid_roads(county, spacing_m=1000), mode="walk", cutoff=30)
>>> tt.table.columns.tolist()
['demand_id', 'supply_id', 'minutes']
>>> bool(tt.table["minutes"].max() <= 30)
True
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tcmcounty.county import County
from tcmcounty.spatial.pairs import Costs, county_crs, metric_xy
from tcmcounty.spatial.travel._errors import TravelInputError
from tcmcounty.spatial.travel.friction import barrier_geometry, friction_pair_times, read_friction
from tcmcounty.spatial.travel.graph import DEFAULT_MAX_SNAP_M, PairTimes, build_graph, pair_times
from tcmcounty.spatial.travel.model import DistanceModel
from tcmcounty.spatial.travel.roads import RoadLayer, file_digest, read_roads
from tcmcounty.spatial.travel.speeds import MODES, SpeedTable, check_mode, load_speeds

#: Default cutoff (minutes) of the travel-time table.
DEFAULT_CUTOFF_MIN = 60.0
#: Margin (degrees) around the county read from a road file: roads just outside still count.
BBOX_MARGIN_DEG = 0.1


@dataclass(frozen=True)
class CountyTravel:
    """Travel times for one county, with how they were obtained.

    Attributes
    ----------
    table : pandas.DataFrame
        ``demand_id``, ``supply_id``, ``minutes`` (all pairs within ``cutoff``).
    model : DistanceModel
        Which model, layer, mode, speeds; notes on snapping.
    villages, facilities : pandas.DataFrame
        One row per point: ``id``, ``snapped``, ``snap_m``, ``flag`` (why not snapped).
    cutoff : float
        Largest time kept (minutes).
    seconds : dict of str to float
        ``graph`` (read + build, 0 when cached) and ``times`` (snapping + shortest paths).
    """

    table: pd.DataFrame
    model: DistanceModel
    villages: pd.DataFrame
    facilities: pd.DataFrame
    cutoff: float
    seconds: dict[str, float] = field(default_factory=dict)

    def costs(self, county: County, max_minutes: float | None = None) -> Costs:
        """:class:`~tcmcounty.spatial.pairs.Costs` through :func:`tcmcounty.spatial.coverage.travel_time_costs`."""
        from tcmcounty.spatial.coverage import travel_time_costs

        return travel_time_costs(
            self.table,
            county.villages,
            county.facilities,
            max_minutes=self.cutoff if max_minutes is None else max_minutes,
        )

    def flagged(self) -> pd.DataFrame:
        """Villages and facilities without a travel time, with the reason."""
        v = self.villages.loc[~self.villages["snapped"]].assign(kind="village")
        f = self.facilities.loc[~self.facilities["snapped"]].assign(kind="facility")
        return pd.concat([v, f], ignore_index=True)[["kind", "id", "snap_m", "flag"]]


def _bbox(county: County) -> tuple[float, float, float, float]:
    pts = pd.concat([county.villages.geometry, county.facilities.geometry], ignore_index=True)
    pts = pts[~(pts.is_empty | pts.isna())]
    if len(pts) == 0:
        raise TravelInputError(f"{county.name}: no village or facility has coordinates")
    wgs = pts.set_crs(county.villages.crs or "EPSG:4326", allow_override=True).to_crs("EPSG:4326")
    minx, miny, maxx, maxy = wgs.total_bounds
    m = BBOX_MARGIN_DEG
    return (minx - m, miny - m, maxx + m, maxy + m)


def _xy(county: County) -> tuple[Any, np.ndarray, np.ndarray]:
    pts = pd.concat([county.villages.geometry, county.facilities.geometry], ignore_index=True)
    pts = pts[~(pts.is_empty | pts.isna())]
    if len(pts) == 0:
        raise TravelInputError(f"{county.name}: no village or facility has coordinates")
    crs = county_crs(pts.set_crs(county.villages.crs or "EPSG:4326", allow_override=True))
    return crs, metric_xy(county.villages, crs), metric_xy(county.facilities, crs)


def _frames(county: County, res: PairTimes) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    vid = county.villages["code"].astype(str).to_numpy()
    fid = county.facilities["id"].astype(str).to_numpy()
    table = pd.DataFrame(
        {
            "demand_id": vid[res.origin],
            "supply_id": fid[res.destination],
            "minutes": np.round(res.minutes, 3),
        }
    )
    return table, res.origin_snap.frame(vid), res.destination_snap.frame(fid)


def _snap_notes(villages: pd.DataFrame, facilities: pd.DataFrame, what: str) -> list[str]:
    out = []
    for name, df in (("villages", villages), ("facilities", facilities)):
        ok = df["snapped"].to_numpy()
        d = df.loc[ok, "snap_m"]
        if len(d):
            out.append(
                f"{name}: {int(ok.sum())} {what}, distance to it median {d.median():.0f} m, "
                f"max {d.max():.0f} m"
            )
        if (~ok).any():
            reasons = df.loc[~ok, "flag"].astype(str).str.replace(r"\(.*\)", "", regex=True)
            counts = reasons.str.strip().value_counts()
            listed = "; ".join(f"{k}: {v}" for k, v in counts.items())
            out.append(f"{name}: {int((~ok).sum())} without a travel time ({listed})")
    return out


def road_travel_times(
    county: County,
    roads: RoadLayer | str | os.PathLike[str],
    *,
    mode: str = "walk",
    speeds: SpeedTable | str | os.PathLike[str] | None = None,
    cutoff: float = DEFAULT_CUTOFF_MIN,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    barriers: Any = None,
    class_column: str | None = None,
    speed_column: str | None = None,
    cache: bool = True,
) -> CountyTravel:
    """Village → facility minutes over a road network, within ``cutoff``.

    Parameters
    ----------
    county : County
    roads : RoadLayer or path
        A :class:`~tcmcounty.spatial.travel.roads.RoadLayer` or a file for
        :func:`~tcmcounty.spatial.travel.roads.read_roads` (read for the county's bounds plus
        :data:`BBOX_MARGIN_DEG`; the graph is cached by the file's hash).
    mode : {"walk", "motor"}
        Walking ignores one-way; motorised travel respects it.
    speeds : SpeedTable or path, optional
        Speed table or a user TOML overriding the defaults.
    cutoff : float, default 60
        Largest travel time kept (minutes).
    max_snap_m : float, default 1000
        Farther points are flagged, not snapped.
    barriers : GeoDataFrame or path, optional
        Water polygons a snap connector may not cross.

    Raises
    ------
    TravelInputError
        On a bad layer, mode or speed table.
    """
    check_mode(mode)
    if not isinstance(speeds, SpeedTable):
        speeds = load_speeds(speeds)
    crs, vxy, fxy = _xy(county)
    t0 = time.perf_counter()
    if isinstance(roads, RoadLayer):
        graph = build_graph(roads, mode, crs, speeds, cache=cache)
        source = roads.source
    else:
        path = Path(roads)
        if not path.exists():
            raise TravelInputError(f"{path}: road layer not found")
        bbox = _bbox(county)
        digest = file_digest(path, class_column, speed_column, bbox)
        graph = build_graph(
            None,
            mode,
            crs,
            speeds,
            digest=digest,
            reader=lambda: read_roads(
                path,
                class_column=class_column,
                speed_column=speed_column,
                bbox=bbox,
            ),
            cache=cache,
        )
        source = str(path)
    t_graph = time.perf_counter() - t0
    bar = barrier_geometry(barriers, crs)
    res = pair_times(graph, vxy, fxy, cutoff=cutoff, max_snap_m=max_snap_m, barriers=bar)
    table, vil, fac = _frames(county, res)
    notes = [
        *([f"  {graph.cache_note}"] if graph.cache_note else []),
        f"  {graph.summary()}" + (" (cached)" if graph.from_cache else ""),
        f"  speeds: {', '.join(speeds.files)}; connector to the road walked at "
        f"{graph.off_road_kmh:g} km/h; max snap {max_snap_m:g} m",
        *(f"  {n}" for n in _snap_notes(vil, fac, "snapped to a road")),
    ]
    model = DistanceModel(
        "roads",
        "min",
        f"road network, {MODES[mode]}, {source} (minutes ≤ {cutoff:g}) / 距离模型：路网出行时间",
        1.0,
        tuple(notes),
    )
    return CountyTravel(
        table, model, vil, fac, float(cutoff), {"graph": t_graph, "times": res.seconds}
    )


def friction_travel_times(
    county: County,
    friction: str | os.PathLike[str],
    *,
    units: str = "minutes_per_metre",
    cutoff: float = DEFAULT_CUTOFF_MIN,
    barriers: Any = None,
) -> CountyTravel:
    """Village → facility minutes over a friction / speed raster, within ``cutoff``.

    Parameters
    ----------
    county : County
    friction : path
        GeoTIFF of minutes per metre (MAP convention) or km/h (``units="kmh"``).
    barriers : GeoDataFrame or path, optional
        Polygons made impassable (rivers, lakes).

    Raises
    ------
    TravelInputError
        On a bad raster, units or barrier layer.
    """
    crs, vxy, fxy = _xy(county)
    t0 = time.perf_counter()
    surface = read_friction(friction, crs, units=units, barriers=barriers)
    t_read = time.perf_counter() - t0
    res = friction_pair_times(surface, vxy, fxy, cutoff=cutoff)
    table, vil, fac = _frames(county, res)
    notes = [
        f"  {surface.summary()}",
        *(f"  {n}" for n in _snap_notes(vil, fac, "on a passable cell")),
    ]
    model = DistanceModel(
        "friction",
        "min",
        f"friction surface {friction} ({units}; minutes ≤ {cutoff:g}) / 距离模型：摩擦面出行时间",
        1.0,
        tuple(notes),
    )
    return CountyTravel(
        table, model, vil, fac, float(cutoff), {"graph": t_read, "times": res.seconds}
    )
