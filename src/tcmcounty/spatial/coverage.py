"""Geographic coverage: nearest TCM service, cumulative coverage within thresholds, alliance coverage.

Alliance coverage follows the ``T-YLT`` rule and denominator of :mod:`tcmcounty.indicators.alliance`.

Distances are straight lines in a projected metric CRS chosen per county
(:func:`tcmcounty.spatial.pairs.county_crs`, the CGCS2000 3-degree Gauss–Krüger zone of the county);
a network ``detour`` factor (road distance ≈ ``detour`` × straight line) turns them into
approximate travel distances. A user's travel-time table (``demand_id, supply_id, minutes``)
can replace them everywhere, through :class:`tcmcounty.spatial.pairs.Costs`.

Thresholds are **inclusive**: a village is covered at threshold ``t`` when the cost to its
nearest facility is ``<= t``.

Named presets (travel distance compared with straight line × ``detour``):

==========  ==============================  ==========
preset      assumption                      distance
==========  ==============================  ==========
``walk15``  15 min walking at 4.8 km/h      1.2 km
``walk30``  30 min walking at 4.8 km/h      2.4 km
``ebike15`` 15 min by e-bike at 20 km/h     5 km
``drive15`` 15 min driving at 30 km/h       7.5 km
``drive30`` 30 min driving at 30 km/h       15 km
``drive60`` 60 min driving at 30 km/h       30 km
==========  ==============================  ==========

30 km/h is a typical average speed on rural county and township roads; use a travel-time table
for real network times.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from pyproj import CRS
from scipy.spatial import cKDTree

from tcmcounty.county import County
from tcmcounty.errors import ArgumentError, ArgumentTypeError
from tcmcounty.indicators.alliance import AllianceCoverage, tcm_led_alliance_coverage
from tcmcounty.memo import reuse
from tcmcounty.services import BASE_LEVELS, get_level, service_mask
from tcmcounty.spatial.pairs import Costs, county_crs, metric_xy

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Default coverage thresholds in km (straight line).
DEFAULT_THRESHOLDS_KM: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0)

#: Named presets: name -> (distance in km, description).
PRESETS: dict[str, tuple[float, str]] = {
    "walk15": (1.2, "15 min walking at 4.8 km/h / 步行15分钟"),
    "walk30": (2.4, "30 min walking at 4.8 km/h / 步行30分钟"),
    "ebike15": (5.0, "15 min by e-bike at 20 km/h / 电动车15分钟"),
    "drive15": (7.5, "15 min driving at 30 km/h / 驾车15分钟"),
    "drive30": (15.0, "30 min driving at 30 km/h / 驾车30分钟"),
    "drive60": (30.0, "60 min driving at 30 km/h / 驾车60分钟"),
}

By = Literal["village", "township", "county"]


# --------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class Threshold:
    """A cost threshold: metres (straight line × detour) or minutes (travel-time table).

    Attributes
    ----------
    value : float
        Metres when ``unit == "m"``, minutes when ``unit == "min"``.
    unit : {"m", "min"}
        Unit of ``value``.
    label : str
        Suffix used in column names (``2km``, ``1.2km``, ``walk15``, ``30min``).
    """

    value: float
    unit: Literal["m", "min"]
    label: str

    @property
    def km(self) -> float:
        """The threshold in km (NaN for minutes)."""
        return self.value / 1000.0 if self.unit == "m" else float("nan")

    def __str__(self) -> str:
        return self.label


_NUM = r"([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
_UNIT_RE = re.compile(rf"^\s*{_NUM}\s*(km|m|min|公里|千米|米|分钟)?\s*$", re.IGNORECASE)


def _km_label(metres: float) -> str:
    return f"{metres / 1000.0:g}km"


def parse_threshold(value: str | float | Threshold, default_unit: str = "km") -> Threshold:
    """Parse a threshold or radius: ``"10km"``, ``"2000m"``, ``"30min"``, ``"walk15"`` or a number.

    Parameters
    ----------
    value : str, float or Threshold
        A number with a unit (``km``, ``m``, ``min``, or 公里/米/分钟), a preset name from
        :data:`PRESETS`, or a bare number read in ``default_unit``.
    default_unit : {"km", "m", "min"}, default "km"
        Unit of a bare number.

    Returns
    -------
    Threshold

    Raises
    ------
    TypeError
        If ``value`` is not a string, number or Threshold.
    ValueError
        If the text cannot be read, or the number is negative or not finite.

    Examples
    --------
    >>> parse_threshold("10km")
    Threshold(value=10000.0, unit='m', label='10km')
    >>> parse_threshold("walk15").value
    1200.0
    >>> parse_threshold("30min")
    Threshold(value=30.0, unit='min', label='30min')
    """
    if isinstance(value, Threshold):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float, np.integer, np.floating)):
        raise ArgumentTypeError(f"threshold must be a str or number, not {type(value).__name__}")
    if default_unit not in ("km", "m", "min"):
        raise ArgumentError(f"default_unit must be 'km', 'm' or 'min', not {default_unit!r}")
    if isinstance(value, str):
        key = value.strip().lower()
        if key in PRESETS:
            return Threshold(PRESETS[key][0] * 1000.0, "m", key)
        m = _UNIT_RE.match(key)
        if not m:
            valid = ", ".join(PRESETS)
            raise ArgumentError(
                f"cannot read threshold {value!r}; write e.g. '2km', '2000m', '30min', "
                f"a number of {default_unit}, or a preset ({valid})"
            )
        number, unit = float(m.group(1)), (m.group(2) or default_unit).lower()
    else:
        number, unit = float(value), default_unit
    if not np.isfinite(number) or number < 0:
        raise ArgumentError(f"threshold must be a finite number >= 0, not {value!r}")
    unit = {"公里": "km", "千米": "km", "米": "m", "分钟": "min"}.get(unit, unit)
    if unit == "km":
        return Threshold(number * 1000.0, "m", _km_label(number * 1000.0))
    if unit == "m":
        return Threshold(number, "m", _km_label(number))
    return Threshold(number, "min", f"{number:g}min")


def parse_thresholds(
    spec: str | float | Threshold | Iterable[str | float | Threshold], default_unit: str = "km"
) -> tuple[Threshold, ...]:
    """Parse several thresholds (a comma-separated string or a sequence), sorted ascending.

    Raises
    ------
    ValueError
        If there is no threshold, one cannot be read, units are mixed (metres with minutes),
        or two thresholds give the same column label.

    Examples
    --------
    >>> [t.label for t in parse_thresholds("5,2,walk15")]
    ['walk15', '2km', '5km']
    """
    if isinstance(spec, str):
        items: list[str | float | Threshold] = [s for s in spec.split(",") if s.strip()]
    elif isinstance(spec, (int, float, np.integer, np.floating, Threshold)):
        items = [spec]
    else:
        items = list(spec)
    out = sorted((parse_threshold(s, default_unit) for s in items), key=lambda t: t.value)
    if not out:
        raise ArgumentError("thresholds: give at least one threshold, e.g. '1,2,5,10' (km)")
    if len({t.unit for t in out}) > 1:
        raise ArgumentError("thresholds mix distances and minutes; use one unit")
    labels = [t.label for t in out]
    if len(set(labels)) != len(labels):
        raise ArgumentError(f"thresholds repeat a value: {labels}")
    return tuple(out)


# --------------------------------------------------------------------------- spatial inputs


def _unpack(
    villages: County | gpd.GeoDataFrame, facilities: gpd.GeoDataFrame | None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, County | None]:
    if isinstance(villages, County):
        if facilities is not None:
            raise ArgumentTypeError("pass either a County or villages and facilities, not both")
        return villages.villages, villages.facilities, villages
    for name, df in (("villages", villages), ("facilities", facilities)):
        if not isinstance(df, gpd.GeoDataFrame):
            raise ArgumentTypeError(
                f"{name} must be a GeoDataFrame (or pass a County), not {type(df).__name__}"
            )
    return villages, facilities, None  # type: ignore[return-value]


def _check_coordinates(gdf: gpd.GeoDataFrame, name: str) -> None:
    """Refuse coordinates that contradict their CRS (metres labelled as degrees, or the reverse)."""
    geom = gdf.geometry
    located = cast(gpd.GeoSeries, geom[~(geom.is_empty | geom.isna())])
    if len(located) == 0:
        return
    minx, miny, maxx, maxy = located.total_bounds
    crs = CRS.from_user_input(gdf.crs)
    if crs.is_geographic:
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise ArgumentError(
                f"{name}: coordinates reach ({maxx:.0f}, {maxy:.0f}), which are not degrees, but the "
                f"CRS is {crs.name} (geographic); they look like projected metres — set the CRS they "
                "are in, e.g. gdf.set_crs('EPSG:4544', allow_override=True)"
            )
    elif max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
        raise ArgumentError(
            f"{name}: every coordinate lies within ±180 / ±90, which looks like degrees, but the "
            f"CRS is {crs.name} (projected, metres); set the geographic CRS, e.g. "
            "gdf.set_crs('EPSG:4326', allow_override=True)"
        )


def resolve_crs(
    villages: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, crs: object | None = None
) -> CRS:
    """Choose the metric CRS used for distances.

    With ``crs=None``: the common CRS of both tables if it is projected in metres, else the
    county's CGCS2000 Gauss–Krüger zone from :func:`tcmcounty.spatial.pairs.county_crs` (geographic
    inputs such as EPSG:4326 are reprojected, never measured in degrees).

    Raises
    ------
    ValueError
        If a table has no CRS, its coordinates contradict its CRS (values beyond ±180 / ±90 in a
        geographic CRS, or only degree-sized values in a projected one), or ``crs`` is
        geographic or not in metres.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([105.3], [30.1]), crs="EPSG:4326")
    >>> resolve_crs(pts, pts).to_epsg()  # CGCS2000 / 3-degree Gauss-Kruger CM 105E
    4544
    """
    for name, df in (("villages", villages), ("facilities", facilities)):
        if df.crs is None:
            raise ArgumentError(
                f"{name} has no CRS; set one (e.g. gdf.set_crs('EPSG:4326')) — coordinates "
                "without a CRS are never measured"
            )
        _check_coordinates(df, name)
    if crs is not None:
        out = CRS.from_user_input(crs)
        if out.is_geographic:
            raise ArgumentError(
                f"crs={out.to_string()!r} is geographic (degrees); distances need a projected CRS "
                "in metres — leave crs=None to choose one automatically"
            )
    elif villages.crs is not None and villages.crs.is_projected and villages.crs == facilities.crs:
        out = CRS.from_user_input(villages.crs)
    else:
        both = pd.concat(
            [villages.geometry.to_crs("EPSG:4326"), facilities.geometry.to_crs("EPSG:4326")]
        )
        both = gpd.GeoSeries(both, crs="EPSG:4326")
        return county_crs(cast(gpd.GeoSeries, both[~(both.is_empty | both.isna())]))
    unit = out.axis_info[0].unit_name if out.axis_info else ""
    if unit not in ("metre", "meter", "m"):
        raise ArgumentError(f"crs {out.to_string()!r} has unit {unit!r}; distances need metres")
    return out


def project(
    villages: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, crs: object | None = None
) -> tuple[FloatArray, FloatArray, CRS]:
    """Return village and facility coordinates in metres, and the CRS used.

    Rows without a location give NaN coordinates (they have no distance and are never
    covered). See :func:`resolve_crs` for how the CRS is chosen.

    Inside a :func:`~tcmcounty.memo.reuse_membership` block (a report's
    results) the same tables are projected once; each call gets its own copy of the arrays.
    """
    if crs is not None:
        return _project(villages, facilities, crs)
    vxy, fxy, metric = reuse(
        ("project",), (villages, facilities), lambda: _project(villages, facilities, None)
    )
    return vxy.copy(), fxy.copy(), metric


def _project(
    villages: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, crs: object | None
) -> tuple[FloatArray, FloatArray, CRS]:
    metric = resolve_crs(villages, facilities, crs)
    return metric_xy(villages, metric), metric_xy(facilities, metric), metric


def nearest_points(
    demand_xy: npt.ArrayLike, supply_xy: npt.ArrayLike, *, detour: float = 1.0
) -> tuple[FloatArray, IntArray]:
    """Distance from each demand point to its nearest supply point (unbounded KD-tree query).

    Parameters
    ----------
    demand_xy, supply_xy : array_like, shape (n, 2)
        Projected coordinates in metres; rows with NaN are skipped.
    detour : float, default 1.0
        Multiplies the straight-line distance (>= 1).

    Returns
    -------
    cost : numpy.ndarray of float64
        ``detour`` × distance in metres; NaN where there is no supply point or no location.
    index : numpy.ndarray of int64
        Position of the nearest supply point in ``supply_xy``; -1 where there is none.

    Notes
    -----
    One :meth:`scipy.spatial.cKDTree.query` with ``k=1``: O((n + m) log m), no radius and no
    pair list, so it scales to every village of China. Among equidistant supply points the
    KD-tree returns one of them.

    Examples
    --------
    >>> cost, idx = nearest_points([[0, 0], [10, 0]], [[3, 4], [10, 1]])
    >>> cost.tolist(), idx.tolist()
    ([5.0, 1.0], [0, 1])
    """
    d = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
    s = np.asarray(supply_xy, dtype=float).reshape(-1, 2)
    if not np.isfinite(detour) or detour < 1:
        raise ArgumentError(f"detour must be a finite number >= 1, not {detour!r}")
    cost = np.full(len(d), np.nan)
    index = np.full(len(d), -1, dtype=np.int64)
    sok = np.flatnonzero(np.isfinite(s).all(axis=1))
    dok = np.isfinite(d).all(axis=1)
    if len(sok) == 0 or not dok.any():
        return cost, index
    dist, pos = cKDTree(s[sok]).query(d[dok], k=1)
    cost[dok] = dist * detour
    index[dok] = sok[pos]
    return cost, index


def _village_frame(villages: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ("code", "name", "township_code") if c in villages.columns]
    out = pd.DataFrame({c: villages[c].to_numpy() for c in cols})
    out["population"] = _population(villages)
    return out


def _population(villages: pd.DataFrame) -> FloatArray:
    if "population" not in villages.columns:
        return np.full(len(villages), np.nan)
    pop = pd.to_numeric(villages["population"], errors="coerce").to_numpy(dtype=np.float64)
    if (pop[np.isfinite(pop)] < 0).any():
        raise ArgumentError("villages: population must be >= 0")
    return pop


def _ids(facilities: pd.DataFrame) -> npt.NDArray[np.object_]:
    if "id" in facilities.columns:
        return facilities["id"].astype(str).to_numpy(dtype=object)
    return np.asarray([str(i) for i in range(len(facilities))], dtype=object)


def _id_column(ids: npt.NDArray[np.object_], arg: IntArray) -> pd.Series:
    """Facility ids at positions ``arg`` (None where ``arg`` is -1), as an object column."""
    vals = np.full(len(arg), None, dtype=object)
    ok = arg >= 0
    vals[ok] = ids[arg[ok]]
    return pd.Series(vals, dtype=object)


def _check_costs(costs: Costs, n_villages: int, n_facilities: int) -> None:
    if not isinstance(costs, Costs):
        raise ArgumentTypeError(
            f"costs must be a tcmcounty.spatial.pairs.Costs, not {type(costs).__name__}"
        )
    if costs.shape != (n_villages, n_facilities):
        raise ArgumentError(
            f"costs has shape {costs.shape} but there are {n_villages} villages and "
            f"{n_facilities} facilities (rows are villages, columns facilities)"
        )


def _level_mask(facilities: pd.DataFrame, level: str | npt.ArrayLike | None) -> BoolArray:
    if level is None:
        return np.ones(len(facilities), dtype=bool)
    if isinstance(level, str):
        return service_mask(facilities, level)
    mask = np.asarray(level)
    if mask.dtype != bool or mask.shape != (len(facilities),):
        raise ArgumentError(
            "level must be a level name, None, or a boolean array with one entry per facility"
        )
    return mask


def read_travel_times(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a travel-time table (CSV: ``demand_id, supply_id, minutes``; UTF-8 or GBK).

    Ids are read as text (leading zeros kept).

    Raises
    ------
    ValueError
        If the file lacks the three columns.
    """
    from tcmcounty.inputs.text import decode

    text, _ = decode(Path(path).read_bytes())
    table = pd.read_csv(io.StringIO(text), dtype={"demand_id": str, "supply_id": str})
    table.columns = [str(c).strip() for c in table.columns]
    need = {"demand_id", "supply_id", "minutes"}
    if not need <= set(table.columns):
        raise ArgumentError(
            f"{os.fspath(path)}: travel-time table needs columns {sorted(need)}; found {list(table.columns)}"
        )
    return table


def travel_time_costs(
    table: pd.DataFrame | str | os.PathLike[str],
    villages: pd.DataFrame,
    facilities: pd.DataFrame,
    max_minutes: float = np.inf,
) -> Costs:
    """Build :class:`~tcmcounty.spatial.pairs.Costs` from a travel-time table for these villages and facilities.

    ``demand_id`` must be a village ``code`` and ``supply_id`` a facility ``id``; a table given
    the other way round raises (see :meth:`tcmcounty.spatial.pairs.Costs.from_table`).

    Raises
    ------
    ValueError
        If columns are missing, ids unknown, minutes negative, or a pair is repeated.
    """
    if not isinstance(table, pd.DataFrame):
        table = read_travel_times(table)
    if {"demand_id", "supply_id"} <= set(table.columns):
        dup = table.duplicated(subset=["demand_id", "supply_id"])
        if dup.any():
            first = table.loc[dup, ["demand_id", "supply_id"]].astype(str).iloc[0].tolist()
            raise ArgumentError(
                f"travel-time table repeats {int(dup.sum())} (demand_id, supply_id) pair(s), e.g. {first}; "
                "keep one time per pair"
            )
    return Costs.from_table(
        table,
        villages["code"].astype(str).to_numpy(),
        _ids(facilities),
        max_cost=max_minutes,
        unit="min",
    )


# --------------------------------------------------------------------------- nearest service


def nearest_service(
    villages: County | gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame | None = None,
    *,
    levels: Sequence[str] = BASE_LEVELS,
    costs: Costs | None = None,
    detour: float = 1.0,
    crs: object | None = None,
) -> pd.DataFrame:
    """Distance (km) or travel time to the nearest facility of each service level, per village.

    Parameters
    ----------
    villages : County or geopandas.GeoDataFrame
        A :class:`~tcmcounty.county.County`, or the villages table (then pass ``facilities``).
    facilities : geopandas.GeoDataFrame, optional
        The facilities table, when ``villages`` is not a County.
    levels : sequence of str, default ("pavilion", "tcm_clinic", "hall", "tcm_hospital")
        Service levels (:data:`tcmcounty.services.SERVICE_LEVELS`).
    costs : Costs, optional
        Pairwise costs (villages × facilities), e.g. from a travel-time table
        (:func:`travel_time_costs`). Default: straight-line distance with an unbounded KD-tree
        query, so every village with a location gets a finite distance when the level has a
        facility.
    detour : float, default 1.0
        Straight-line distance multiplier (ignored with ``costs``).
    crs : optional
        Metric CRS to use (default: chosen per county, see :func:`resolve_crs`).

    Returns
    -------
    pandas.DataFrame
        One row per village in input order: ``code``, ``name``, ``township_code``,
        ``population``, then for each level ``<level>_km`` (``<level>_min`` with a
        travel-time table) and ``<level>_id``. When a level has no facility (e.g. a county
        without any 中医阁) or a village has no location, the cost is NaN and the id None.
        With a travel-time table, facilities beyond the table's pairs are unreachable.

    Raises
    ------
    TypeError, ValueError
        On inputs of the wrong type, unknown levels, a geographic ``crs`` or missing CRS.

    Notes
    -----
    ``cost_i(level) = min_{j in level} detour · ||x_i − y_j||`` (cost to closest; cf.
    ipeaGIT ``accessibility::cost_to_closest``).

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.spatial.coverage import nearest_service
    >>> county = tcmcounty.load_county("anyue", warn=False)
    >>> ns = nearest_service(county)
    >>> bool(ns["hall_km"].notna().all())
    True
    """
    vil, fac, _ = _unpack(villages, facilities)
    levels = tuple(levels)
    for lv in levels:
        get_level(lv)
    out = _village_frame(vil)
    ids = _ids(fac)
    if costs is not None:
        _check_costs(costs, len(vil), len(fac))
        suffix, scale = ("min", 1.0) if costs.unit == "min" else ("km", 1e-3)
    else:
        suffix, scale = "km", 1e-3
        vxy, fxy, _ = project(vil, fac, crs)
    for lv in levels:
        mask = service_mask(fac, lv)
        if costs is not None:
            best, arg = costs.subset_supply(mask).nearest()
            best = np.where(arg >= 0, best, np.nan)
        else:
            sel = np.flatnonzero(mask)
            best, pos = nearest_points(vxy, fxy[sel], detour=detour)
            arg = np.where(pos >= 0, sel[np.maximum(pos, 0)], -1) if len(sel) else pos
        out[f"{lv}_{suffix}"] = best * scale
        out[f"{lv}_id"] = _id_column(ids, arg)
    return out


# --------------------------------------------------------------------------- cumulative coverage


@dataclass(frozen=True)
class CoverageResult:
    """Cumulative coverage of villages by one service level at several thresholds.

    Attributes
    ----------
    villages : pandas.DataFrame
        One row per village in input order: ``code``, ``name``, ``township_code``,
        ``population`` (NaN = not reported), ``located``, ``cost`` (metres or minutes to the
        nearest facility, NaN if none), ``nearest_id``, and per threshold ``covered_<t>``.
    thresholds : tuple of Threshold
        Ascending thresholds.
    level : str
        Service level (or ``"custom"`` for a mask, ``"all"`` for every facility).
    unit : {"m", "min"}
        Unit of ``cost``.
    detour : float
        Detour factor applied to straight-line distances.
    townships : pandas.DataFrame or None
        Township table for ordering and names (input order), when known.
    county_name : str
        Name shown on the county row.
    crs : pyproj.CRS or None
        The metric CRS used (None with a travel-time table).
    """

    villages: pd.DataFrame
    thresholds: tuple[Threshold, ...]
    level: str
    unit: str
    detour: float
    townships: pd.DataFrame | None = None
    county_name: str = ""
    crs: CRS | None = field(default=None, repr=False)

    def _pop_columns(self, pop: FloatArray, covered: dict[str, BoolArray]) -> dict[str, FloatArray]:
        cols: dict[str, FloatArray] = {}
        for t in self.thresholds:
            cols[f"pop_covered_{t.label}"] = np.where(covered[t.label], pop, 0.0)
        return cols

    def table(self, by: By = "village") -> pd.DataFrame:
        """Return coverage per ``village``, ``township`` or ``county``.

        Columns: identification, ``pop_total``, then ``pop_covered_<t>`` and
        ``covered_share_<t>`` for each threshold (``covered_share = pop_covered / pop_total``,
        NaN when ``pop_total`` is 0). Villages also get ``cost_km`` (or ``cost_min``),
        ``nearest_id`` and ``covered_<t>`` (True when the cost is ``<= t``). Aggregates ignore
        villages whose population is not reported and count them in ``n_pop_unreported``;
        ``n_villages`` and ``n_unlocated`` complete the picture.

        Examples
        --------
        >>> import tcmcounty
        >>> res = cumulative_coverage(tcmcounty.load_county("wenxi", warn=False), thresholds="5")
        >>> t = res.table("township")
        >>> bool(t["pop_total"].sum() == res.table("county")["pop_total"].iloc[0])
        True

        Raises
        ------
        ValueError
            If ``by`` is not one of ``village``, ``township``, ``county``.
        """
        v = self.villages
        pop = v["population"].to_numpy(dtype=float)
        known = np.isfinite(pop)
        pop0 = np.where(known, pop, 0.0)
        covered = {t.label: v[f"covered_{t.label}"].to_numpy(dtype=bool) for t in self.thresholds}
        if by == "village":
            out = v[[c for c in ("code", "name", "township_code") if c in v.columns]].copy()
            out["pop_total"] = pop
            out["cost_km" if self.unit == "m" else "cost_min"] = (
                v["cost"].to_numpy() / 1000.0 if self.unit == "m" else v["cost"].to_numpy()
            )
            out["nearest_id"] = v["nearest_id"]
            for t in self.thresholds:
                out[f"covered_{t.label}"] = covered[t.label]
                pc = np.where(covered[t.label], pop, 0.0)
                pc[~known] = np.nan
                out[f"pop_covered_{t.label}"] = pc
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[f"covered_share_{t.label}"] = np.where(pop > 0, pc / pop, np.nan)
            return out
        frame = pd.DataFrame({"pop_total": pop0, **self._pop_columns(pop0, covered)})
        frame["n_villages"] = 1
        frame["n_pop_unreported"] = (~known).astype(int)
        frame["n_unlocated"] = (~v["located"].to_numpy(dtype=bool)).astype(int)
        if by == "township":
            if "township_code" not in v.columns:
                raise ArgumentError("villages have no township_code; use by='county'")
            frame["township_code"] = v["township_code"].astype(str).to_numpy()
            agg = frame.groupby("township_code", sort=False).sum()
            if self.townships is not None and "code" in self.townships.columns:
                codes = self.townships["code"].astype(str).to_numpy()
                known_codes = set(codes)
                extra = [c for c in agg.index if c not in known_codes]
                agg = agg.reindex(list(codes) + extra, fill_value=0)
                names = dict(
                    zip(
                        codes, self.townships.get("name", pd.Series([""] * len(codes))), strict=True
                    )
                )
            else:
                names = {}
            town_codes = agg.index.to_numpy()
            columns: dict[str, object] = {
                "township_code": town_codes,
                "name": [names.get(c, "") for c in town_codes],
            }
            agg = agg.reset_index(drop=True)
        elif by == "county":
            agg = frame.sum().to_frame().T
            columns = {"county": [self.county_name]}
        else:
            raise ArgumentError(f"by must be 'village', 'township' or 'county', not {by!r}")
        total = agg["pop_total"].to_numpy(dtype=float)
        columns["pop_total"] = total
        for t in self.thresholds:
            pc = agg[f"pop_covered_{t.label}"].to_numpy(dtype=float)
            columns[f"pop_covered_{t.label}"] = pc
            with np.errstate(invalid="ignore", divide="ignore"):
                columns[f"covered_share_{t.label}"] = np.where(total > 0, pc / total, np.nan)
        for c in ("n_villages", "n_pop_unreported", "n_unlocated"):
            columns[c] = agg[c].to_numpy(dtype=int)
        return pd.DataFrame(columns)  # one frame, columns in the order they were set

    def uncovered(self, threshold: str | float | Threshold | None = None) -> pd.DataFrame:
        """Villages not covered at ``threshold`` (default: the largest), in input order.

        Returns
        -------
        pandas.DataFrame
            ``code``, ``name``, ``township_code``, ``population``, ``cost_km`` (or
            ``cost_min``; NaN when no facility of the level exists or the village has no
            location) and ``nearest_id``.

        Raises
        ------
        ValueError
            If ``threshold`` is not one of the result's thresholds.
        """
        t = (
            self.thresholds[-1]
            if threshold is None
            else parse_threshold(threshold, "km" if self.unit == "m" else "min")
        )
        if f"covered_{t.label}" not in self.villages.columns:
            valid = ", ".join(x.label for x in self.thresholds)
            raise ArgumentError(f"threshold {t.label!r} was not computed; valid: {valid}")
        v = self.villages
        keep = ~v[f"covered_{t.label}"].to_numpy(dtype=bool)
        out = v.loc[
            keep, [c for c in ("code", "name", "township_code", "population") if c in v.columns]
        ].copy()
        cost = v.loc[keep, "cost"].to_numpy()
        out["cost_km" if self.unit == "m" else "cost_min"] = (
            cost / 1000.0 if self.unit == "m" else cost
        )
        out["nearest_id"] = v.loc[keep, "nearest_id"]
        return out.reset_index(drop=True)


def cumulative_coverage(
    villages: County | gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame | None = None,
    thresholds: str | Iterable[str | float | Threshold] = DEFAULT_THRESHOLDS_KM,
    *,
    level: str | npt.ArrayLike | None = "pavilion",
    costs: Costs | None = None,
    detour: float = 1.0,
    crs: object | None = None,
    townships: pd.DataFrame | None = None,
) -> CoverageResult:
    """Count the population within each threshold of the nearest facility of a service level.

    Parameters
    ----------
    villages : County or geopandas.GeoDataFrame
        A County, or the villages table (then pass ``facilities``).
    facilities : geopandas.GeoDataFrame, optional
        The facilities table, when ``villages`` is not a County.
    thresholds : str or sequence, default (1, 2, 5, 10) km
        Numbers in km, strings such as ``"2km"``, ``"1500m"``, ``"30min"`` or presets
        (:data:`PRESETS`), or a comma-separated string. Minutes need ``costs`` in minutes.
    level : str, bool array or None, default "pavilion"
        Service level (:data:`tcmcounty.services.SERVICE_LEVELS`), a boolean mask over
        facilities, or None for every facility.
    costs : Costs, optional
        Villages × facilities costs (e.g. a travel-time table); default straight line.
    detour : float, default 1.0
        Straight-line distance multiplier (>= 1; ignored with ``costs``).
    crs : optional
        Metric CRS (default: chosen per county; geographic inputs are reprojected).
    townships : pandas.DataFrame, optional
        Township table, for names and order of ``table("township")`` (taken from the County).

    Returns
    -------
    CoverageResult

    Raises
    ------
    TypeError, ValueError
        On wrong input types, unknown level, a threshold unit that does not match the costs.

    Notes
    -----
    Village *i* is covered at threshold *t* when ``min_j c_ij <= t`` (inclusive), where
    ``c_ij = detour · ||x_i − y_j||`` (metres, projected CRS) or the travel time in minutes.
    Population covered is ``sum_i p_i · [min_j c_ij <= t]`` — the cumulative-opportunity
    measure of geographic coverage (Hansen 1959; WHO AccessMod 5 "geographic coverage").

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.spatial.coverage import cumulative_coverage
    >>> county = tcmcounty.load_county("anyue", warn=False)
    >>> res = cumulative_coverage(county, thresholds="2,5", level="hall")
    >>> list(res.table("county").columns[:4])
    ['county', 'pop_total', 'pop_covered_2km', 'covered_share_2km']
    """
    vil, fac, cty = _unpack(villages, facilities)
    if cty is not None and townships is None:
        townships = cty.townships
    unit = "m" if costs is None else costs.unit
    ths = parse_thresholds(thresholds, "km" if unit == "m" else "min")
    if ths[0].unit != unit:
        raise ArgumentError(
            f"thresholds are in {ths[0].unit!r} but costs are in {unit!r}: "
            + (
                "give minutes (e.g. '30min') with a travel-time table"
                if unit == "min"
                else "minutes need a travel-time table; use km or a preset such as 'drive15'"
            )
        )
    mask = _level_mask(fac, level)
    ids = _ids(fac)
    out = _village_frame(vil)
    metric = None
    if costs is not None:
        _check_costs(costs, len(vil), len(fac))
        best, arg = costs.subset_supply(mask).nearest()
        best = np.where(arg >= 0, best, np.nan)
        located: npt.NDArray[np.bool_] = np.ones(len(vil), dtype=bool)
    else:
        vxy, fxy, metric = project(vil, fac, crs)
        sel = np.flatnonzero(mask)
        best, pos = nearest_points(vxy, fxy[sel], detour=detour)
        arg = np.where(pos >= 0, sel[np.maximum(pos, 0)], -1) if len(sel) else pos
        located = np.all(np.isfinite(vxy), axis=1)
    out["located"] = located
    out["cost"] = best
    out["nearest_id"] = _id_column(ids, arg)
    with np.errstate(invalid="ignore"):
        for t in ths:
            out[f"covered_{t.label}"] = np.isfinite(best) & (best <= t.value)
    name = ""
    if cty is not None:
        name = cty.name
    level_name = level if isinstance(level, str) else ("all" if level is None else "custom")
    return CoverageResult(out, ths, level_name, unit, float(detour), townships, name, metric)


# --------------------------------------------------------------------------- alliance coverage


def alliance_coverage(
    county: County,
    *,
    population: str = "resident",
    targets: str | os.PathLike[str] | object | None = None,
) -> AllianceCoverage:
    """Count the population covered by medical alliances (医联体/医共体), by the ``T-YLT`` rule.

    The one rule and denominator live in :mod:`tcmcounty.indicators.alliance`; this is
    :func:`~tcmcounty.indicators.alliance.tcm_led_alliance_coverage` under its spatial name.
    The figure judged against the target counts only alliances led by the county TCM hospital
    over the county population (``T-YLT``); an "any alliance" row is labelled as such.

    Parameters
    ----------
    county : County
        The county.
    population : {"resident", "registered"}, default "resident"
        Population base of the denominator.
    targets : str, path or TargetSet, optional
        Target set of the verdict (the default set when ``None``).

    Returns
    -------
    AllianceCoverage

    Raises
    ------
    TypeError
        If ``county`` is not a County.

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.spatial.coverage import alliance_coverage
    >>> res = alliance_coverage(tcmcounty.load_county("anyue", warn=False))
    >>> 0 <= res.covered_share <= 1
    True
    """
    return tcm_led_alliance_coverage(county, population, targets)
