"""Map layers of the workbench as GeoJSON: outline, villages by distance, facilities, new sites.

Everything is in WGS84 longitude/latitude (the county's own coordinates, EPSG:4326), which
Leaflet draws on its default Web Mercator view; no tile server is needed. A basemap a planner
adds must be a WGS84 / Web Mercator tile service (EPSG:3857 tiles such as OpenStreetMap or
天地图 ``_w``); tiles in GCJ-02 (高德, 腾讯) are shifted by several hundred metres from these
points. Colours and classes are the report's (:data:`DISTANCE_CLASSES`,
:data:`tcmcounty.reporting.plotting.FACILITY_SYMBOLS`, imported when first used: the page
draws before matplotlib is loaded).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from tcmcounty.county import County
from tcmcounty.formatting import fmt_num

#: Distance classes of the village layer: (upper bound in km, colour, Chinese, English).
DISTANCE_CLASSES: tuple[tuple[float, str, str, str], ...] = (
    (1.0, "#1a9850", "1 公里内", "within 1 km"),
    (2.0, "#91cf60", "1–2 公里", "1–2 km"),
    (5.0, "#fee08b", "2–5 公里", "2–5 km"),
    (10.0, "#fc8d59", "5–10 公里", "5–10 km"),
    (float("inf"), "#d73027", "10 公里以上", "over 10 km"),
)
#: Colour of a village with no service of the level in the county.
NONE_COLOUR = "#4a148c"
#: Service levels the map colours villages by: level -> (Chinese, English).
MAP_LEVELS: dict[str, tuple[str, str]] = {
    "any_tcm": ("任一中医药服务", "any TCM service"),
    "hall": ("中医馆", "中医馆 (TCM hall)"),
    "pavilion": ("中医阁", "中医阁 (TCM pavilion)"),
}


def distance_class(km: object) -> int:
    """Return the index in :data:`DISTANCE_CLASSES` of a distance (``-1``: no service).

    Examples
    --------
    >>> distance_class(0.4), distance_class(2.0), distance_class(12), distance_class(float("nan"))
    (0, 1, 4, -1)
    """
    try:
        d = float(km)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return -1
    if not np.isfinite(d):
        return -1
    return next(i for i, (top, *_rest) in enumerate(DISTANCE_CLASSES) if d <= top)


def _text(v: object) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def _points(frame: pd.DataFrame, props: list[dict[str, Any]]) -> dict[str, Any]:
    feats = []
    for (lon, lat), p in zip(zip(frame["lon"], frame["lat"], strict=True), props, strict=True):
        if lon is None or lat is None or not (np.isfinite(lon) and np.isfinite(lat)):
            continue
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                "properties": p,
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def outline(county: County) -> dict[str, Any] | None:
    """Return the county outline as GeoJSON (``None`` without a boundary)."""
    if county.boundary is None or not len(county.boundary):
        return None
    geo = county.boundary[["geometry"]].to_crs("EPSG:4326").simplify(0.0005)
    return json.loads(geo.to_json())  # type: ignore[no-any-return]


def villages(
    county: County, nearest: pd.DataFrame | None, level: str = "any_tcm"
) -> dict[str, Any]:
    """Return the villages as GeoJSON points, coloured by distance to the nearest ``level``.

    Each feature carries ``name``, ``township``, ``population``, ``km`` (text), ``colour``
    and ``tip`` (the line shown on hover).
    """
    v = county.villages
    towns = dict(zip(county.townships["code"].astype(str), county.townships["name"], strict=False))
    col = f"{level}_km"
    km = (
        nearest[col].to_numpy(float)
        if nearest is not None and col in nearest
        else np.full(len(v), np.nan)
    )
    zh = MAP_LEVELS.get(level, (level, level))[0]
    props = []
    for name, town, pop, d in zip(
        v["name"], v["township_code"].astype(str), v["population"], km, strict=True
    ):
        k = distance_class(d)
        colour = NONE_COLOUR if k < 0 else DISTANCE_CLASSES[k][1]
        shown = "无 none" if k < 0 else f"{fmt_num(d, 1)} km"
        props.append(
            {
                "kind": "village",
                "name": _text(name),
                "township": _text(towns.get(town, town)),
                "population": _text(pop),
                "km": shown,
                "colour": colour,
                "tip": f"{_text(name)}（{_text(towns.get(town, town))}）人口 {_text(pop)}，"
                f"到最近{zh} {shown}",
            }
        )
    return _points(v, props)


def facilities(county: County) -> dict[str, Any]:
    """Return the facilities as GeoJSON points, coloured by the report's map symbols.

    Each feature carries ``id``, ``name``, ``category`` (a key of ``FACILITY_SYMBOLS``),
    ``label`` (its Chinese), ``colour`` and ``tip``.
    """
    from tcmcounty.reporting.plotting import FACILITY_SYMBOLS, facility_category

    f = county.facilities
    cat = facility_category(f)
    props = []
    for fid, name, c, doc, tcm in zip(
        f["id"].astype(str),
        f["name"],
        cat,
        f.get("physicians", pd.Series(pd.NA, index=f.index)),
        f.get("tcm_physicians", pd.Series(pd.NA, index=f.index)),
        strict=True,
    ):
        zh, _en, _m, colour, _s = FACILITY_SYMBOLS[c]
        props.append(
            {
                "kind": "facility",
                "id": fid,
                "name": _text(name),
                "category": c,
                "label": zh,
                "colour": colour,
                "tip": f"{_text(name)}：{zh}；医师 {_text(doc) or '—'}，中医类别医师 "
                f"{_text(tcm) or '—'}",
            }
        )
    return _points(f, props)


def sites(county: County, facility_ids: list[str]) -> dict[str, Any]:
    """Return the recommended 中医阁 sites (in order of choice) as GeoJSON points."""
    f = county.facilities
    f = f[f["id"].astype(str).isin(facility_ids)]
    order = {i: k for k, i in enumerate(facility_ids)}
    f = f.iloc[np.argsort([order[i] for i in f["id"].astype(str)])]
    props = [
        {
            "kind": "site",
            "id": fid,
            "name": _text(name),
            "rank": order[fid] + 1,
            "tip": f"推荐新建中医阁第 {order[fid] + 1} 位：{_text(name)}",
        }
        for fid, name in zip(f["id"].astype(str), f["name"], strict=True)
    ]
    return _points(f, props)


def bounds(county: County) -> list[list[float]]:
    """Return ``[[south, west], [north, east]]`` of the county (outline, else its points)."""
    if county.boundary is not None and len(county.boundary):
        w, s, e, n = county.boundary.to_crs("EPSG:4326").total_bounds
    else:
        pts = pd.concat([county.villages[["lon", "lat"]], county.facilities[["lon", "lat"]]])
        w, s = pts.min()
        e, n = pts.max()
    return [[float(s), float(w)], [float(n), float(e)]]


def legend_items() -> list[tuple[str, str]]:
    """Return the map legend: (label, colour) of each distance class and facility kind."""
    from tcmcounty.reporting.plotting import FACILITY_SYMBOLS

    out = [(f"村：{zh} {en}", c) for _t, c, zh, en in DISTANCE_CLASSES]
    out.append(("村：无此类服务 none in the county", NONE_COLOUR))
    out += [(f"{zh} {en}", c) for zh, en, _m, c, _s in FACILITY_SYMBOLS.values()]
    out.append(("推荐新建中医阁 recommended 中医阁", "#d50000"))
    return out
