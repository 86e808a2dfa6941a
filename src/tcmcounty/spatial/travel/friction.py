"""Cost-distance over a friction (or speed) raster, with barriers, by minimum-cost paths.

A friction surface gives the minutes needed to cross one metre of each cell (the Malaria Atlas
Project convention for its motorised and walking-only surfaces, Weiss et al. 2018/2020); a
speed surface gives km/h (``60 / (1000 · speed)`` minutes per metre). Rasters are read with
rasterio and, when in degrees, reprojected (nearest neighbour) to the county's metric CRS.

Travel times follow :class:`skimage.graph.MCP_Geometric`: moving between neighbouring cells
(8 directions) costs the mean friction of the two cells times the distance between their
centres. Cells that are nodata, have a speed of 0, or lie in a barrier polygon (rivers, lakes)
are impassable; a point in such a cell is flagged and gets no time (like AccessMod's
"facility on a barrier").

Examples
--------
>>> import numpy as np
>>> from affine import Affine
>>> from tcmcounty.spatial.travel.friction import surface_from_array, cost_distance
>>> s = surface_from_array(np.full((3, 3), 5.0), Affine(100, 0, 0, 0, -100, 300),
...                        "EPSG:4544", units="kmh")
>>> cost_distance(s, [[50, 250]]).round(2)[0].tolist()  # 100 m at 5 km/h = 1.2 min
[0.0, 1.2, 2.4]
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from pyproj import CRS
from scipy.spatial import cKDTree

from tcmcounty.io import FileKind, check_user_file
from tcmcounty.spatial.travel._errors import TravelFileError, TravelInputError
from tcmcounty.spatial.travel.graph import PairTimes, Snap
from tcmcounty.spatial.travel.roads import BARRIER_LAYER, check_vector_file

FloatArray = npt.NDArray[np.float64]

#: Units of a friction raster: name -> description.
UNITS: dict[str, str] = {
    "minutes_per_metre": "minutes to cross one metre (Malaria Atlas Project friction surfaces)",
    "kmh": "travel speed in km/h (0 = impassable)",
}


#: Cells of a raster read at most (before and after reprojection): 25 million, 5,000 × 5,000,
#: 200 MB as 64-bit numbers; a county at 30 m takes about 3 million. The size a raster
#: declares is checked before anything is read, so a small file declaring 300,000 × 300,000
#: cells is refused instead of asking for 335 GiB.
MAX_RASTER_CELLS = 25_000_000
#: A friction or speed raster file (``--friction``).
FRICTION_RASTER = FileKind(
    "friction raster",
    "摩擦面栅格",
    "a single-band GeoTIFF (or another raster GDAL reads) of minutes per metre or km/h, "
    f"at most {MAX_RASTER_CELLS:,} cells (clipped to the county)",
    f"GDAL 可读的单波段栅格（如 GeoTIFF，每米分钟数或公里/小时），不超过 {MAX_RASTER_CELLS:,} 个像元（裁剪到本县）",
)


def check_raster_size(width: int, height: int, path: object) -> None:
    """Refuse a raster of more than :data:`MAX_RASTER_CELLS` cells before it is allocated.

    Raises
    ------
    TravelFileError
        Naming the file, the size it declares, the memory that would take and the limit.

    Examples
    --------
    >>> check_raster_size(300_000, 300_000, "big.tif")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    tcmcounty.spatial.travel._errors.TravelFileError: big.tif: friction raster declares 300,000 × 300,000 cells (670.6 GiB as 64-bit numbers), more than the 25,000,000 cells read at most; ...
    """
    cells = int(width) * int(height)
    if cells > MAX_RASTER_CELLS:
        gib = cells * 8 / 2**30
        raise TravelFileError(
            path,
            FRICTION_RASTER,
            f"declares {int(width):,} × {int(height):,} cells ({gib:.1f} GiB as 64-bit numbers), "
            f"more than the {MAX_RASTER_CELLS:,} cells read at most; clip it to the county "
            "first (gdalwarp -te ...)",
            f"声明了 {int(width):,} × {int(height):,} 个像元（约 {gib:.1f} GiB），超过上限 "
            f"{MAX_RASTER_CELLS:,}；请先裁剪到本县（gdalwarp -te ...）",
        )


def check_raster_file(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` if rasterio opens it as a raster of a size that may be read, else refuse.

    Only the header is read. A file that is no raster is refused by
    :class:`~tcmcounty.spatial.travel._errors.TravelFileError`, never quoting GDAL's message (which
    may quote the file).

    Raises
    ------
    TravelFileError
    """
    p = check_user_file(path, FRICTION_RASTER, TravelFileError)
    try:
        import rasterio
    except ModuleNotFoundError:
        raise TravelInputError(
            f"{path}: friction rasters need rasterio: pip install 'tcmcounty[roads]'"
        ) from None
    try:
        with rasterio.open(p) as src:
            width, height, count = src.width, src.height, src.count
    except Exception as exc:  # RasterioIOError ...: its text may quote the file
        raise _unreadable(p, exc) from None
    if count < 1:
        raise TravelFileError(p, FRICTION_RASTER, "has no band", "没有波段")
    check_raster_size(width, height, p)
    return p


def _unreadable(path: object, exc: BaseException) -> TravelFileError:
    return TravelFileError(
        path,
        FRICTION_RASTER,
        f"is unreadable: rasterio cannot read it ({type(exc).__name__})",
        "无法读取（rasterio 无法打开）",
    )


@dataclass(frozen=True)
class FrictionSurface:
    """Minutes per metre on a regular metric grid.

    Attributes
    ----------
    minutes_per_m : numpy.ndarray
        2-D array; ``inf`` where impassable.
    transform : affine.Affine
        Pixel → metric coordinates (north-up).
    crs : pyproj.CRS
        Metric CRS.
    source : str
        File read (or a label).
    units : str
        Units of the file (see :data:`UNITS`).
    n_barrier_cells : int
        Cells made impassable by barrier polygons.
    """

    minutes_per_m: FloatArray
    transform: Any
    crs: CRS
    source: str = "array"
    units: str = "minutes_per_metre"
    n_barrier_cells: int = 0

    @property
    def shape(self) -> tuple[int, int]:
        """Rows, columns."""
        return self.minutes_per_m.shape

    @property
    def cell_size(self) -> tuple[float, float]:
        """Cell height and width in metres."""
        return abs(float(self.transform.e)), abs(float(self.transform.a))

    def cells(self, xy: npt.ArrayLike) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Row and column of each point (-1 outside the raster or without a location)."""
        p = np.asarray(xy, dtype=float).reshape(-1, 2)
        tr = self.transform  # north-up, no rotation (checked when built)
        col = (p[:, 0] - tr.c) / tr.a
        row = (p[:, 1] - tr.f) / tr.e
        rows, cols = self.shape
        ok = np.isfinite(row) & np.isfinite(col)
        r = np.where(ok, np.floor(np.where(ok, row, 0)), -1).astype(np.int64)
        c = np.where(ok, np.floor(np.where(ok, col, 0)), -1).astype(np.int64)
        inside = ok & (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
        return np.where(inside, r, -1), np.where(inside, c, -1)

    def summary(self) -> str:
        """One line: size, cell size, impassable cells."""
        dy, dx = self.cell_size
        blocked = int((~np.isfinite(self.minutes_per_m)).sum())
        return (
            f"friction surface {self.shape[0]}×{self.shape[1]} cells of {dx:.0f}×{dy:.0f} m; "
            f"{blocked:,} impassable ({self.n_barrier_cells:,} from barriers)"
        )


def _to_minutes_per_m(values: FloatArray, units: str, source: str) -> FloatArray:
    if units not in UNITS:
        raise TravelInputError(f"unknown friction units {units!r}; valid: {', '.join(UNITS)}")
    v = np.asarray(values, dtype=float)
    good = np.isfinite(v) & (v > 0)
    if not good.any():
        raise TravelInputError(f"{source}: no cell has a value > 0; nothing can be crossed")
    med = float(np.median(v[good]))
    if units == "minutes_per_metre" and med > 1.0:
        raise TravelInputError(
            f"{source}: median value {med:g} minutes per metre (slower than 0.06 km/h) looks like a "
            "speed raster; pass --friction-units kmh"
        )
    if units == "kmh" and med < 0.1:
        raise TravelInputError(
            f"{source}: median speed {med:g} km/h looks like a friction raster (minutes per metre); "
            "pass --friction-units minutes_per_metre"
        )
    out = np.full(v.shape, np.inf)
    out[good] = v[good] if units == "minutes_per_metre" else 60.0 / (1000.0 * v[good])
    _check_cell_speeds(v, out, units, source)
    return out


def _check_cell_speeds(v: FloatArray, minutes_per_m: FloatArray, units: str, source: str) -> None:
    """Refuse cells faster than the motorised bound of :data:`~tcmcounty.spatial.travel.speeds.SPEED_BOUNDS`.

    ``inf`` km/h (or a friction of nearly 0) would make a cell free to cross; it is refused
    naming the first such cell (row, column) and its value. ``inf`` minutes per metre means
    impassable, as nodata does.
    """
    from tcmcounty.spatial.travel.speeds import SPEED_BOUNDS

    top = SPEED_BOUNDS["motor"][1]
    fastest = 60.0 / (1000.0 * top)  # minutes per metre at the top speed
    bad = minutes_per_m < fastest
    if units == "kmh":
        bad |= np.isposinf(v)
    if bad.any():
        r, c = (int(i) for i in np.argwhere(bad)[0])
        unit = "km/h" if units == "kmh" else "minutes per metre"
        unit_zh = "公里/小时" if units == "kmh" else "分钟/米"
        raise TravelInputError(
            f"{source}: {int(bad.sum()):,} cell(s) faster than {top:g} km/h, the first at row "
            f"{r + 1}, column {c + 1}: {float(v[r, c]):g} {unit}; speeds above {top:g} km/h "
            f"(friction below {fastest:g} minutes per metre) are not travel speeds "
            f"/ {int(bad.sum()):,} 个像元速度超过 {top:g} 公里/小时（第 {r + 1} 行第 {c + 1} 列："
            f"{float(v[r, c]):g} {unit_zh}），不是合理的出行速度"
        )


def surface_from_array(
    values: npt.ArrayLike,
    transform: Any,
    crs: object,
    *,
    units: str = "minutes_per_metre",
    source: str = "array",
) -> FrictionSurface:
    """Return a :class:`FrictionSurface` from an array on a metric grid (NaN / <= 0 = impassable)."""
    crs = CRS.from_user_input(crs)
    if crs.is_geographic:
        raise TravelInputError(f"{source}: {crs.name} is geographic; reproject to metres first")
    if abs(transform.b) > 1e-9 or abs(transform.d) > 1e-9:
        raise TravelInputError(f"{source}: rotated rasters are not supported")
    m = _to_minutes_per_m(np.asarray(values, dtype=float), units, source)
    return FrictionSurface(m, transform, crs, source, units)


def read_friction(
    path: str | os.PathLike[str],
    crs: object,
    *,
    units: str = "minutes_per_metre",
    barriers: Any = None,
) -> FrictionSurface:
    """Read a friction / speed GeoTIFF into the metric CRS ``crs``.

    Parameters
    ----------
    path : path-like
        A single-band raster readable by rasterio.
    crs : CRS-like
        Metric CRS (e.g. the county's); a raster in another CRS is reprojected, keeping about
        its cell size.
    units : {"minutes_per_metre", "kmh"}
    barriers : GeoDataFrame, shapely geometry or path, optional
        Polygons that cannot be crossed (rivers, lakes).

    Raises
    ------
    TravelInputError
        If rasterio is missing, the file is unreadable, or the values do not fit the units.
    """
    try:
        import rasterio
        from rasterio.warp import Resampling, calculate_default_transform, reproject
    except ModuleNotFoundError:
        raise TravelInputError(
            f"{path}: friction rasters need rasterio: pip install 'tcmcounty[roads]'"
        ) from None
    p = check_user_file(path, FRICTION_RASTER, TravelFileError)
    target = CRS.from_user_input(crs)
    try:
        with rasterio.open(p) as src:
            if src.crs is None:
                raise TravelInputError(f"{p}: the raster has no CRS")
            check_raster_size(src.width, src.height, p)  # before anything is allocated
            band = src.read(1, masked=True).astype(float).filled(np.nan)
            if CRS.from_user_input(src.crs.to_wkt()) == target:
                transform = src.transform
            else:
                transform, w, h = calculate_default_transform(
                    src.crs, target.to_wkt(), src.width, src.height, *src.bounds
                )
                check_raster_size(w, h, p)  # the reprojected grid may be larger
                out = np.full((h, w), np.nan)
                reproject(
                    band,
                    out,
                    src_transform=src.transform,
                    src_crs=src.crs,
                    dst_transform=transform,
                    dst_crs=target.to_wkt(),
                    resampling=Resampling.nearest,
                    src_nodata=np.nan,
                    dst_nodata=np.nan,
                )
                band = out
    except rasterio.errors.RasterioError as exc:
        raise _unreadable(p, exc) from None
    surface = surface_from_array(band, transform, target, units=units, source=str(p))
    if barriers is not None:
        surface = apply_barriers(surface, barriers)
    return surface


def barrier_geometry(barriers: Any, crs: CRS) -> Any:
    """Union of barrier polygons (a GeoDataFrame, GeoSeries, path or shapely geometry) in ``crs``.

    Raises
    ------
    TravelInputError
        If the file cannot be read or holds no polygon.
    """
    import geopandas as gpd
    import shapely

    if barriers is None:
        return None
    if isinstance(barriers, (str, Path)):
        path = check_vector_file(barriers, BARRIER_LAYER)
        try:
            barriers = gpd.read_file(path, engine="pyogrio")
        except Exception as exc:  # pyogrio's errors may quote the file: never shown
            raise TravelFileError(
                path,
                BARRIER_LAYER,
                f"cannot be read by GDAL ({type(exc).__name__})",
                "无法由 GDAL 读取",
            ) from None
    if isinstance(barriers, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if barriers.crs is None:
            raise TravelInputError("the barrier layer has no CRS; set one (e.g. EPSG:4326)")
        geoms = barriers.to_crs(crs).geometry
        poly = geoms[geoms.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(poly) == 0:
            raise TravelInputError("the barrier layer has no polygons (rivers and lakes as areas)")
        return shapely.union_all(cast(gpd.GeoSeries, poly).to_numpy())
    return barriers


def apply_barriers(surface: FrictionSurface, barriers: Any) -> FrictionSurface:
    """Make every cell touched by a barrier polygon impassable."""
    from rasterio.features import rasterize

    geom = barrier_geometry(barriers, surface.crs)
    mask = rasterize(
        [(geom, 1)],
        out_shape=surface.shape,
        transform=surface.transform,
        all_touched=True,
        fill=0,
        dtype="uint8",
    ).astype(bool)
    m = surface.minutes_per_m.copy()
    m[mask] = np.inf
    return replace(surface, minutes_per_m=m, n_barrier_cells=int(mask.sum()))


def _locate(surface: FrictionSurface, xy: FloatArray) -> Snap:
    r, c = surface.cells(xy)
    n = len(xy)
    reason = np.full(n, "", dtype=object)
    located = np.isfinite(xy).all(axis=1)
    reason[~located] = "no location"
    reason[located & (r < 0)] = "outside the friction raster"
    inside = r >= 0
    blocked = np.zeros(n, dtype=bool)
    blocked[inside] = ~np.isfinite(surface.minutes_per_m[r[inside], c[inside]])
    reason[blocked] = "on an impassable cell (nodata, speed 0 or barrier)"
    ok = inside & ~blocked
    flat = np.where(ok, r * surface.shape[1] + c, -1).astype(np.int64)
    centre = np.full((n, 2), np.nan)
    if ok.any():
        tr = surface.transform
        centre[ok] = np.column_stack([tr.c + (c[ok] + 0.5) * tr.a, tr.f + (r[ok] + 0.5) * tr.e])
    dist = np.where(ok, np.hypot(*(xy - centre).T), np.nan)
    return Snap(flat, np.where(ok, 0.0, np.nan), dist, reason, float("nan"))


def cost_distance(surface: FrictionSurface, sources_xy: npt.ArrayLike) -> FloatArray:
    """Minutes from the nearest source to every cell (``inf`` where unreachable).

    One multi-source :class:`skimage.graph.MCP_Geometric` run; sources on impassable cells or
    outside the raster are ignored.
    """
    from skimage.graph import MCP_Geometric

    s = _locate(surface, np.asarray(sources_xy, dtype=float).reshape(-1, 2))
    ok = s.segment[s.segment >= 0]
    if len(ok) == 0:
        return np.full(surface.shape, np.inf)
    starts = np.column_stack(np.unravel_index(ok, surface.shape))
    mcp = MCP_Geometric(surface.minutes_per_m, sampling=surface.cell_size)
    cum, _ = mcp.find_costs([tuple(p) for p in starts])
    return np.asarray(cum, dtype=float)


def friction_pair_times(
    surface: FrictionSurface,
    origins_xy: npt.ArrayLike,
    destinations_xy: npt.ArrayLike,
    *,
    cutoff: float = 60.0,
) -> PairTimes:
    """All origin → destination minutes within ``cutoff`` over the friction surface.

    One :class:`skimage.graph.MCP_Geometric` run per destination on the window it can reach
    within ``cutoff`` (radius ``cutoff / min friction``), so cost grows with the reachable area,
    not with the whole raster. Costs are symmetric, so the direction of travel does not matter.
    Each point takes the time of its cell (the connector inside the cell is not added).
    """
    from skimage.graph import MCP_Geometric

    t0 = time.perf_counter()
    if not np.isfinite(cutoff) or cutoff < 0:
        raise TravelInputError(f"cutoff must be a number of minutes >= 0, not {cutoff!r}")
    o_xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    d_xy = np.asarray(destinations_xy, dtype=float).reshape(-1, 2)
    so, sd = _locate(surface, o_xy), _locate(surface, d_xy)
    fr = surface.minutes_per_m
    rows, cols = surface.shape
    dy, dx = surface.cell_size
    fmin = float(fr[np.isfinite(fr)].min())
    reach = cutoff / fmin  # metres
    ry, rx = int(np.ceil(reach / dy)) + 1, int(np.ceil(reach / dx)) + 1
    o_ok = np.flatnonzero(so.segment >= 0)
    orc = np.column_stack(np.unravel_index(so.segment[o_ok], surface.shape))
    tree = cKDTree(orc * [dy, dx]) if len(o_ok) else None
    out_o, out_d, out_m = [], [], []
    for j in np.flatnonzero(sd.segment >= 0):
        r, c = np.unravel_index(sd.segment[j], surface.shape)
        near = (
            tree.query_ball_point([r * dy, c * dx], reach + max(dx, dy), p=np.inf) if tree else []
        )
        if not near:
            continue
        r0, r1 = max(0, r - ry), min(rows, r + ry + 1)
        c0, c1 = max(0, c - rx), min(cols, c + rx + 1)
        mcp = MCP_Geometric(fr[r0:r1, c0:c1], sampling=(dy, dx))
        cum, _ = mcp.find_costs([(r - r0, c - c0)])
        near = np.asarray(near, dtype=np.int64)
        pr, pc = orc[near, 0] - r0, orc[near, 1] - c0
        inside = (pr >= 0) & (pr < r1 - r0) & (pc >= 0) & (pc < c1 - c0)
        near, pr, pc = near[inside], pr[inside], pc[inside]
        t = cum[pr, pc]
        keep = t <= cutoff
        out_o.append(o_ok[near[keep]])
        out_d.append(np.full(int(keep.sum()), j, dtype=np.int64))
        out_m.append(t[keep])
    o = np.concatenate([np.zeros(0, np.int64), *out_o])
    d = np.concatenate([np.zeros(0, np.int64), *out_d])
    m = np.concatenate([np.zeros(0), *out_m])
    order = np.lexsort((d, o))
    return PairTimes(o[order], d[order], m[order], so, sd, float(cutoff), time.perf_counter() - t0)
