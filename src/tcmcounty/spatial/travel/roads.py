"""Read a road layer: an OpenStreetMap extract (``.osm.pbf``) or lines in GeoPackage / Shapefile / GeoJSON.

Every reader returns a :class:`RoadLayer`: LineStrings with a ``road_class`` (text), an optional
``speed_kmh`` (the layer's own speed, e.g. OSM ``maxspeed``) and ``oneway`` (``1`` forward only,
``-1`` against the digitised direction only, ``0`` both ways). OSM extracts are read with pyrosm
(``pip install "tcmcounty[roads]"``); vector files with pyogrio through geopandas.

Examples
--------
>>> import geopandas as gpd, shapely
>>> from tcmcounty.spatial.travel.roads import roads_from_frame
>>> gdf = gpd.GeoDataFrame({"fclass": ["县道"], "oneway": ["F"]},
...                        geometry=[shapely.LineString([(0, 0), (1000, 0)])], crs="EPSG:4544")
>>> layer = roads_from_frame(gdf, source="demo")
>>> layer.lines[["road_class", "oneway"]].values.tolist()
[['县道', 1]]
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tcmcounty.io import FileKind, check_user_file
from tcmcounty.spatial.travel._errors import TravelFileError, TravelInputError

#: Column names tried, in order, for the road class (Geofabrik shapefiles use ``fclass``).
CLASS_COLUMNS = ("road_class", "highway", "fclass", "class", "type", "道路等级", "等级", "公路等级")
#: Column names tried for a speed in km/h.
SPEED_COLUMNS = ("speed_kmh", "speed", "maxspeed", "限速", "速度")
#: Column names tried for one-way.
ONEWAY_COLUMNS = ("oneway", "one_way", "单行")

_FORWARD = {"yes", "true", "1", "f", "ft", "forward", "是", "单行"}
_BACKWARD = {"-1", "t", "tf", "reverse", "backward"}
_BOTH = {"no", "false", "0", "b", "both", "", "nan", "none", "<na>", "否", "双向"}
_VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".zip")
#: First bytes of an OpenStreetMap PBF extract: a BlobHeader whose type is "OSMHeader".
_PBF_HEAD = b"OSMHeader"
#: A road layer file (``--roads``).
ROAD_LAYER = FileKind(
    "road layer",
    "路网",
    "an OpenStreetMap extract (.osm.pbf) or road lines in "
    + ", ".join(_VECTOR_SUFFIXES)
    + " readable by GDAL",
    "OpenStreetMap 数据（.osm.pbf），或 GDAL 可读的道路线图层（"
    + "、".join(_VECTOR_SUFFIXES)
    + "）",
)
#: A barrier layer file (``--barriers``).
BARRIER_LAYER = FileKind(
    "barrier layer",
    "障碍图层",
    "water polygons in " + ", ".join(_VECTOR_SUFFIXES) + " readable by GDAL",
    "GDAL 可读的水体面图层（" + "、".join(_VECTOR_SUFFIXES) + "）",
)


def check_vector_file(path: str | os.PathLike[str], kind: FileKind = ROAD_LAYER) -> Path:
    """Return ``path`` if GDAL (pyogrio) opens it as a vector layer, else refuse it unquoted.

    Only the file's layer information is read; a failure names the file, its role and what
    was expected (:class:`~tcmcounty.spatial.travel._errors.TravelFileError`), never GDAL's message, which may quote
    the file.

    Raises
    ------
    TravelFileError
    """
    p = check_user_file(path, kind, TravelFileError)
    if not p.name.lower().endswith(_VECTOR_SUFFIXES):
        raise TravelFileError(p, kind, "has an unknown suffix", "文件扩展名不支持")
    try:
        import pyogrio

        pyogrio.read_info(p)
    except Exception as exc:  # DataSourceError, DataLayerError ...: their text may quote the file
        raise TravelFileError(
            p, kind, f"cannot be read by GDAL ({type(exc).__name__})", "无法由 GDAL 读取"
        ) from None
    return p


def check_road_file(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` if it looks like a road layer (.osm.pbf header, or a vector layer).

    Raises
    ------
    TravelFileError
        Naming the file and what a road layer is; the file is never quoted.
    """
    p = check_user_file(path, ROAD_LAYER, TravelFileError)
    if p.name.lower().endswith(".pbf"):
        with open(p, "rb") as fh:
            if _PBF_HEAD not in fh.read(64):
                raise TravelFileError(
                    p, ROAD_LAYER, "is not an OSM PBF extract", "不是 OSM PBF 数据"
                )
        return p
    return check_vector_file(p, ROAD_LAYER)


@dataclass(frozen=True)
class RoadLayer:
    """Road lines ready for :func:`tcmcounty.spatial.travel.graph.build_graph`.

    Attributes
    ----------
    lines : geopandas.GeoDataFrame
        Columns ``road_class`` (str), ``speed_kmh`` (float, NaN = use the class speed),
        ``oneway`` (int8: 1, -1, 0) and LineString geometry; any CRS.
    source : str
        File read (or a label).
    digest : str
        SHA-256 of the file bytes and read options (the graph cache key).
    kind : str
        ``"osm.pbf"`` or ``"vector"``.
    """

    lines: gpd.GeoDataFrame
    source: str
    digest: str
    kind: str

    def __len__(self) -> int:
        return len(self.lines)


def file_digest(path: str | os.PathLike[str], *extra: object) -> str:
    """SHA-256 of a file's bytes (streamed) and of ``extra`` options."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    h.update(json.dumps([str(e) for e in extra]).encode())
    return h.hexdigest()


def parse_oneway(values: pd.Series) -> np.ndarray:
    """Map one-way values (OSM ``yes/-1/no``, Geofabrik ``F/T/B``) to 1 / -1 / 0.

    Raises
    ------
    TravelInputError
        On a value that is none of these (the value is named).

    Examples
    --------
    >>> parse_oneway(pd.Series(["yes", "-1", None, "B", "T"])).tolist()
    [1, -1, 0, 0, -1]
    """
    text = values.astype("string").fillna("").str.strip().str.lower()
    out = np.zeros(len(text), dtype=np.int8)
    fwd = text.isin(_FORWARD).to_numpy()
    bwd = text.isin(_BACKWARD).to_numpy()
    bad = ~(fwd | bwd | text.isin(_BOTH).to_numpy())
    if bad.any():
        first = text[bad].iloc[0]
        raise TravelInputError(
            f"one-way value {first!r} not understood ({int(bad.sum())} rows); expected "
            "yes/no/-1 (OSM) or F/T/B (Geofabrik)"
        )
    out[fwd] = 1
    out[bwd] = -1
    return out


#: A number at the start of a speed (``50``, ``7.5``, ``1e308``), units may follow (``30 mph``).
_SPEED_NUMBER = r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)"
#: Words that spell a non-finite number: a speed given as such is refused, not skipped.
_NOT_FINITE = frozenset({"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})


def parse_speed(values: pd.Series, where: str | None = None) -> np.ndarray:
    """Speeds in km/h from numbers or OSM ``maxspeed`` text (``"50"``, ``"30 mph"``); else NaN.

    Missing values, 0 and words (OSM ``none``, ``signals``, ``walk``) give NaN: the line
    takes its class's speed. With ``where`` (the layer and column, for messages), a speed
    that is given but is no speed — ``nan``, ``inf``, ``1e308``, ``-5``, ``900`` — is refused
    (:func:`tcmcounty.spatial.travel.speeds.check_speed`, motorised bounds), naming the feature and
    the value; without it, such values also give NaN.

    Raises
    ------
    TravelInputError
        With ``where``: the first speed outside the bounds, by feature number and value.

    Examples
    --------
    >>> parse_speed(pd.Series(["50", "30 mph", "none", None, 40])).round(1).tolist()
    [50.0, 48.3, nan, nan, 40.0]
    >>> parse_speed(pd.Series([60, 1e308]), where="roads.gpkg, column 'speed'")
    Traceback (most recent call last):
    tcmcounty.spatial.travel._errors.TravelInputError: roads.gpkg, column 'speed', feature 2: speed 1e+308 km/h is outside 1–200 km/h for motorised travel / 速度 1e+308 公里/小时超出机动车速度范围 1–200 公里/小时
    """
    from tcmcounty.spatial.travel.speeds import check_speed

    text = values.astype("string").fillna("").str.strip().str.lower()
    num = pd.to_numeric(text.str.extract(_SPEED_NUMBER, expand=False), errors="coerce")
    mph = text.str.contains("mph", regex=False).fillna(False).to_numpy(dtype=bool)
    out = num.to_numpy(dtype=float)
    out[mph] *= 1.609344
    given = np.isfinite(out) & (out != 0)
    if where is not None:
        words = text.isin(_NOT_FINITE).to_numpy(dtype=bool)
        lo, hi = _motor_bounds()
        bad = words | (given & ~((out >= lo) & (out <= hi)))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            value = float(text.iloc[i]) if words[i] else float(out[i])
            check_speed(value, "motor", f"{where}, feature {i + 1}", closed_ok=False)
    out[~(out > 0)] = np.nan
    return out


def _motor_bounds() -> tuple[float, float]:
    from tcmcounty.spatial.travel.speeds import SPEED_BOUNDS

    return SPEED_BOUNDS["motor"]


def _pick(
    columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str, src: str
) -> str | None:
    if wanted is not None:
        if wanted not in columns:
            raise TravelInputError(
                f"{src}: {what} column {wanted!r} not found; columns are {columns}"
            )
        return wanted
    lower = {str(c).lower(): c for c in columns}
    for c in candidates:
        if c.lower() in lower:
            return lower[c.lower()]
    return None


def roads_from_frame(
    gdf: gpd.GeoDataFrame,
    *,
    source: str = "GeoDataFrame",
    class_column: str | None = None,
    speed_column: str | None = None,
    oneway_column: str | None = None,
    digest: str | None = None,
    kind: str = "vector",
) -> RoadLayer:
    """Normalise road lines (any CRS) to a :class:`RoadLayer`.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        (Multi)LineStrings with a class column and/or a speed column.
    class_column, speed_column, oneway_column : str, optional
        Column names; by default the first of :data:`CLASS_COLUMNS`, :data:`SPEED_COLUMNS`,
        :data:`ONEWAY_COLUMNS` present.

    Raises
    ------
    TravelInputError
        If there is no CRS, no line, neither a class nor a speed column, or a bad one-way value.
    """
    if len(gdf) == 0:
        raise TravelInputError(
            f"{source}: no road lines in the area read (the county's bounds + margin); "
            "is this the road layer of this county? / 该路网文件在本县范围内没有道路"
        )
    if gdf.crs is None:
        raise TravelInputError(f"{source}: the road layer has no CRS; set one (e.g. EPSG:4326)")
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    ccol = _pick(cols, class_column, CLASS_COLUMNS, "road-class", source)
    scol = _pick(cols, speed_column, SPEED_COLUMNS, "speed", source)
    ocol = _pick(cols, oneway_column, ONEWAY_COLUMNS, "one-way", source)
    if ccol is None and scol is None:
        raise TravelInputError(
            f"{source}: no road-class column (tried {', '.join(CLASS_COLUMNS)}) and no speed column "
            f"(tried {', '.join(SPEED_COLUMNS)}); columns are {cols}. Name one with --road-class-column"
        )
    geom = gdf.geometry
    kinds = geom.geom_type.fillna("None")
    keep = kinds.isin(["LineString", "MultiLineString"]).to_numpy() & ~geom.is_empty.to_numpy()
    if not keep.any():
        raise TravelInputError(
            f"{source}: no LineString geometry (found {sorted(set(kinds))}); a road layer has lines"
        )
    sub = gdf.loc[keep]
    frame = gpd.GeoDataFrame(
        {
            "road_class": (
                sub[ccol].astype("string").fillna("").str.strip().to_numpy(dtype=object)
                if ccol is not None
                else np.full(len(sub), "", dtype=object)
            ),
            "speed_kmh": (
                parse_speed(sub[scol], where=f"{source}, column {scol!r}")
                if scol is not None
                else np.full(len(sub), np.nan)
            ),
            "oneway": (
                parse_oneway(sub[ocol]) if ocol is not None else np.zeros(len(sub), np.int8)
            ),
        },
        geometry=sub.geometry.to_numpy(),
        crs=gdf.crs,
    ).explode(index_parts=False, ignore_index=True)
    if ccol is None and np.isnan(frame["speed_kmh"]).all():
        raise TravelInputError(f"{source}: column {scol!r} has no speed > 0 in km/h")
    return RoadLayer(
        lines=frame,
        source=source,
        digest=digest or _frame_digest(frame),
        kind=kind,
    )


def _frame_digest(frame: gpd.GeoDataFrame) -> str:
    h = hashlib.sha256(str(frame.crs).encode())
    for wkb in shapely.to_wkb(frame.geometry.to_numpy()):
        h.update(wkb)
    h.update(
        pd.util.hash_pandas_object(frame.drop(columns="geometry"), index=False).to_numpy().tobytes()
    )
    return h.hexdigest()


def _read_pbf(path: Path, bbox: tuple[float, float, float, float] | None) -> gpd.GeoDataFrame:
    try:
        import pyrosm
    except ModuleNotFoundError:
        raise TravelInputError(
            f"{path}: reading .osm.pbf needs pyrosm: pip install 'tcmcounty[roads]' "
            "(or convert the extract to GeoPackage)"
        ) from None
    try:
        osm = pyrosm.OSM(str(path), bounding_box=list(bbox) if bbox else None)
        with warnings.catch_warnings():  # "Could not find any edges": our error below says it
            warnings.filterwarnings("ignore", message="Could not find any edges")
            edges = osm.get_network(network_type="all", extra_attributes=["junction"])
    except Exception as exc:  # pyrosm raises plain exceptions of many kinds on a broken file
        raise TravelFileError(
            path,
            ROAD_LAYER,
            f"is not a readable OSM PBF extract ({type(exc).__name__})",
            "不是可读的 OSM PBF 数据",
        ) from None
    if edges is None or len(edges) == 0:
        raise TravelInputError(f"{path}: the OSM extract has no highway ways in the area read")
    edges = edges.copy()
    if "junction" in edges.columns:
        ring = edges["junction"].astype("string").isin(["roundabout", "circular"]).fillna(False)
        edges.loc[ring.to_numpy(dtype=bool) & edges["oneway"].isna().to_numpy(), "oneway"] = "yes"
    return cast(gpd.GeoDataFrame, edges[["highway", "maxspeed", "oneway", "geometry"]])


def read_roads(
    path: str | os.PathLike[str],
    *,
    class_column: str | None = None,
    speed_column: str | None = None,
    oneway_column: str | None = None,
    layer: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> RoadLayer:
    """Read a road layer from a file.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` (OpenStreetMap extract, read with pyrosm: every ``highway`` way; class =
        ``highway``, speed = ``maxspeed``, one-way from ``oneway`` and roundabouts) or a vector
        file readable by pyogrio (GeoPackage, Shapefile, GeoJSON, FlatGeobuf).
    class_column, speed_column, oneway_column : str, optional
        Column names in a vector file (default: the first known name present).
    layer : str, optional
        Layer of a multi-layer GeoPackage.
    bbox : (minx, miny, maxx, maxy), optional
        Read only this box (WGS84 degrees), e.g. the county's bounds plus a margin.

    Raises
    ------
    TravelInputError
        If the file is missing, unreadable, has no lines or no class/speed column.
    """
    p = check_user_file(path, ROAD_LAYER, TravelFileError)
    name = p.name.lower()
    digest = file_digest(p, class_column, speed_column, oneway_column, layer, bbox)
    if name.endswith(".pbf"):
        gdf = _read_pbf(p, bbox)
        return roads_from_frame(
            gdf,
            source=str(p),
            class_column="highway",
            speed_column="maxspeed",
            oneway_column="oneway",
            digest=digest,
            kind="osm.pbf",
        )
    if not name.endswith(_VECTOR_SUFFIXES):
        raise TravelFileError(p, ROAD_LAYER, "has an unknown suffix", "文件扩展名不支持")
    try:
        box = None if bbox is None else gpd.GeoSeries([shapely.box(*bbox)], crs="EPSG:4326")
        gdf = gpd.read_file(p, layer=layer, bbox=box, engine="pyogrio")
    except Exception as exc:  # pyogrio's DataSourceError / DataLayerError: may quote the file
        raise TravelFileError(
            p, ROAD_LAYER, f"cannot be read by GDAL ({type(exc).__name__})", "无法由 GDAL 读取"
        ) from None
    return roads_from_frame(
        gdf,
        source=str(p),
        class_column=class_column,
        speed_column=speed_column,
        oneway_column=oneway_column,
        digest=digest,
        kind="vector",
    )
