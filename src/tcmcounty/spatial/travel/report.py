"""Travel-time coverage for the county report: one computation, shown by the view and the CLI.

:func:`travel_coverage` runs the road or friction model once and feeds its table to the same
:func:`tcmcounty.spatial.coverage.nearest_service` and :func:`tcmcounty.spatial.coverage.cumulative_coverage` the
straight-line figures use, at the policy circles (:data:`REPORT_MINUTES`).

Examples
--------
>>> import tcmcounty
>>> from tcmcounty.spatial.travel.synthetic import grid_roads
>>> county = tcmcounty.load_county("wenxi", warn=False)
>>> tc = travel_coverage(county, roads=grid_roads(county, 1000), mode="walk")
>>> [t.label for t in tc.coverage["any_tcm"].thresholds]
['15min', '30min', '60min']
>>> bool(tc.uncovered(30)["population"].sum() >= tc.uncovered(60)["population"].sum())
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tcmcounty.errors import ArgumentError
from tcmcounty.spatial.travel.model import DistanceModel

if TYPE_CHECKING:  # at run time travel_coverage imports it, to keep this import light
    from tcmcounty.spatial.coverage import CoverageResult

#: Travel-time thresholds of the report (minutes): the 15 / 30 minute circles and 60.
REPORT_MINUTES: tuple[float, ...] = (15.0, 30.0, 60.0)
#: Upper edges of the map's travel-time bands (minutes); beyond the last: not reached.
BANDS: tuple[float, ...] = (15.0, 30.0, 60.0)


@dataclass(frozen=True)
class TravelCoverage:
    """Coverage in minutes over a road network or friction surface.

    Attributes
    ----------
    model : DistanceModel
        Which model, layer and mode; notes on snapping and flagged points.
    nearest : pandas.DataFrame
        :func:`tcmcounty.spatial.coverage.nearest_service` in minutes (``<level>_min``).
    coverage : dict of str to CoverageResult
        Per service level, at :data:`REPORT_MINUTES`.
    flagged : pandas.DataFrame
        Villages and facilities without a travel time, with the reason.
    table_pairs : int
        Pairs in the travel-time table.
    mode : str
        ``"walk"`` or ``"motor"`` (roads), ``""`` for a friction surface.
    source : str
        The layer's file.
    snap_m : pandas.Series
        Connector length of each snapped village (metres).
    """

    model: DistanceModel
    nearest: pd.DataFrame
    coverage: dict[str, CoverageResult]
    flagged: pd.DataFrame
    table_pairs: int
    mode: str = ""
    source: str = ""
    snap_m: pd.Series | None = None

    def uncovered(self, minutes: float, level: str = "any_tcm") -> pd.DataFrame:
        """Villages with no ``level`` service within ``minutes`` (unreached ones included)."""
        return self.coverage[level].uncovered(f"{minutes:g}min")

    def bands(self, level: str = "any_tcm") -> pd.Series:
        """Per village, the upper edge of its travel-time band (NaN: beyond the last band).

        Examples
        --------
        >>> import numpy as np
        >>> s = pd.Series([3.0, 20.0, 45.0, 80.0, np.nan])
        >>> band_edges(s).tolist()
        [15.0, 30.0, 60.0, nan, nan]
        """
        return band_edges(self.nearest[f"{level}_min"])


def band_edges(minutes: pd.Series) -> pd.Series:
    """Upper edge of the :data:`BANDS` band of each time (NaN beyond the last or unreached)."""
    m = pd.to_numeric(minutes, errors="coerce").to_numpy(dtype=float)
    edges = np.asarray(BANDS)
    pos = np.searchsorted(edges, m, side="left")
    out = np.where(
        np.isfinite(m) & (pos < len(edges)), edges[np.minimum(pos, len(edges) - 1)], np.nan
    )
    return pd.Series(out, index=minutes.index)


def travel_coverage(
    county: Any,
    *,
    roads: Any = None,
    friction: str | os.PathLike[str] | None = None,
    mode: str = "walk",
    levels: tuple[str, ...] = ("any_tcm", "pavilion"),
    speeds: Any = None,
    barriers: Any = None,
) -> TravelCoverage:
    """Nearest service and coverage in minutes, from a road layer or a friction raster.

    Raises
    ------
    TravelInputError
        On a bad layer; ValueError if neither or both of ``roads`` and ``friction`` are given.
    """
    from tcmcounty.spatial.coverage import cumulative_coverage, nearest_service
    from tcmcounty.spatial.travel.county import friction_travel_times, road_travel_times

    if (roads is None) == (friction is None):
        raise ArgumentError("give one of roads or friction")
    cutoff = max(REPORT_MINUTES)
    if roads is not None:
        tt = road_travel_times(
            county, roads, mode=mode, speeds=speeds, cutoff=cutoff, barriers=barriers
        )
    else:
        tt = friction_travel_times(county, friction, cutoff=cutoff, barriers=barriers)  # type: ignore[arg-type]
    costs = tt.costs(county)
    nearest = nearest_service(county, levels=levels, costs=costs)
    ths = ",".join(f"{m:g}min" for m in REPORT_MINUTES)
    coverage = {
        lv: cumulative_coverage(county, thresholds=ths, level=lv, costs=costs) for lv in levels
    }
    snapped = tt.villages["snapped"].to_numpy(dtype=bool)
    return TravelCoverage(
        tt.model,
        nearest,
        coverage,
        tt.flagged(),
        len(tt.table),
        mode=mode if roads is not None else "",
        source=str(getattr(roads, "source", roads) if roads is not None else friction),
        snap_m=tt.villages.loc[snapped, "snap_m"].reset_index(drop=True),
    )


#: Why a point has no travel time, in Chinese (by the start of the English reason).
FLAG_ZH: dict[str, str] = {
    "no location": "无坐标",
    "beyond max snap": "距最近道路超过最大接入距离",
    "only roads across a barrier": "最近道路均隔水体（河流、湖泊）",
    "outside the friction raster": "在摩擦面范围以外",
    "on an impassable cell": "位于不可通行的栅格（无数据、速度为0或障碍）",
}


def flag_zh(reason: str) -> str:
    """Chinese text of a flag reason (the English one when unknown).

    Examples
    --------
    >>> flag_zh("beyond max snap 1000 m (nearest road 5000 m)")
    '距最近道路超过最大接入距离'
    """
    for en, zh in FLAG_ZH.items():
        if str(reason).startswith(en):
            return zh
    return str(reason)
