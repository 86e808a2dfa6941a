"""Validation of a parsed bundle: every problem in one pass, each located for the user.

:func:`check` runs the checks that need more than one cell: county metadata, unique ids,
references between tables, coordinates and plausibility. Parse-level problems (types,
vocabularies, missing columns) are found earlier by :mod:`tcmcounty.inputs.cells`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from tcmcounty.county import POPULATION_KEYS, RESOURCE_KEYS
from tcmcounty.crs import SUPPORTED, normalise_crs_name, to_wgs84
from tcmcounty.inputs.consistency import check_consistency
from tcmcounty.inputs.identity import check_identity
from tcmcounty.inputs.raw import RawBundle
from tcmcounty.inputs.structure import raw_structure
from tcmcounty.inputs.totals import check_roster_totals, check_township_population, roster_sums
from tcmcounty.roster import (
    GROUP_COLUMNS,
    GROUP_TYPES,
    Gap,
    blank_text,
    declared_units,
    gap_text,
    roster_gaps,
)
from tcmcounty.schema import TABLES, vocabulary_lookup

if TYPE_CHECKING:
    from pyproj import CRS
    from shapely.geometry.base import BaseGeometry

#: Plausible ranges of county ratios (per 1,000 residents); outside them a warning is given.
PLAUSIBLE_PER_1000 = {
    "beds": (1.0, 20.0),
    "physicians": (0.5, 10.0),
    "nurses": (0.5, 12.0),
    "public_health_staff": (0.05, 5.0),
}
#: Counts of one row: (table, column) -> (unlikely above: warning, impossible above: error).
ROW_LIMITS: dict[tuple[str, str], tuple[int, int]] = {
    ("villages", "population"): (100_000, 2_000_000),
    ("townships", "population"): (1_000_000, 5_000_000),
    ("facilities", "beds"): (5_000, 20_000),
    ("facilities", "physicians"): (3_000, 20_000),
    ("facilities", "tcm_physicians"): (1_000, 20_000),
    ("facilities", "nurses"): (5_000, 30_000),
    ("facilities", "tcm_techniques"): (100, 1_000),
    ("facilities", "tcm_technique_categories"): (20, 100),
    ("facilities", "visits"): (3_000_000, 30_000_000),
    ("facilities", "tcm_visits"): (2_000_000, 30_000_000),
    ("facilities", "nondrug_visits"): (2_000_000, 30_000_000),
    ("facilities", "prescriptions"): (3_000_000, 30_000_000),
    ("facilities", "herbal_prescriptions"): (2_000_000, 30_000_000),
}
#: Resource figures that count residents: checked against the population limits, not the staff limits.
RESOURCE_PEOPLE = ("elderly_65", "elderly_tcm_managed", "children_0_36", "children_tcm_managed")
#: County figures: group -> (unlikely above: warning, impossible above: error).
COUNTY_LIMITS: dict[str, tuple[int, int]] = {
    "population": (5_000_000, 30_000_000),
    "resources": (200_000, 1_000_000),
}
#: Years of data: none before the People's Republic's first statistics, none in the future.
FIRST_YEAR = 1949
#: Sources may be older (a gazetteer), never before this.
FIRST_SOURCE_YEAR = 1900
CHINA_LON = (73.0, 135.5)
CHINA_LAT = (3.5, 53.6)
BOUNDARY_TOLERANCE_M = 2000.0


def check(raw: RawBundle) -> None:
    """Append every cross-table problem of ``raw`` to ``raw.problems``."""
    _check_meta(raw)
    _check_unique(raw)
    check_identity(raw)
    _check_sources(raw)
    _check_references(raw)
    _check_values(raw)
    check_consistency(raw)
    _check_coordinates(raw)
    _check_gcj02_declared_as_wgs84(raw)
    _check_population(raw)
    check_roster_totals(raw)
    check_township_population(raw)
    _check_row_limits(raw)
    _check_county_limits(raw)
    _check_years(raw)
    _check_survey(raw)
    _check_clinic_township(raw)
    _check_nbs(raw)
    _check_tcm_hospital_listed(raw)
    _check_roster_gaps(raw)


def _figure_items(meta: dict[str, object]) -> Iterable[tuple[str, str, dict[str, object]]]:
    for group in ("population", "resources"):
        section = meta.get(group, {})
        if not isinstance(section, dict):
            continue
        for key, entry in section.items():
            if isinstance(entry, dict):
                yield group, key, entry


def _check_meta(raw: RawBundle) -> None:
    meta = raw.meta
    if not meta and any(p.file == raw.meta_file and p.severity == "error" for p in raw.problems):
        return
    for key, zh in (("adcode", "县代码"), ("name_zh", "县名称")):
        if not str(meta.get(key, "")).strip():
            raw.problem(
                "error",
                "county",
                f"'{key}' ({zh}) is required",
                f"缺少必填项 '{zh}'（{key}）",
                column=key,
            )
    adcode = str(meta.get("adcode", ""))
    if adcode and not (adcode.isdigit() and len(adcode) == 6):
        raw.problem(
            "error",
            "county",
            "expected a 6-digit county code (adcode)",
            "县代码应为6位数字",
            column="adcode",
            value=adcode,
        )
    coords = meta.get("coordinates", {})
    if isinstance(coords, dict):
        for name, system in coords.items():
            try:
                normalise_crs_name(str(system))
            except ValueError:
                raw.problem(
                    "error",
                    "county",
                    f"unknown coordinate system; expected one of {', '.join(SUPPORTED)}",
                    f"未知坐标系；应为 {', '.join(SUPPORTED)} 之一",
                    column=f"coordinates.{name}",
                    value=system,
                )
    statuses = vocabulary_lookup("status")
    for group, key, entry in _figure_items(meta):
        valid = POPULATION_KEYS if group == "population" else RESOURCE_KEYS
        where = f"{group}.{key}"
        row = cast("int | None", entry.get("_row"))  # the sheet row the reader noted
        if key not in valid:
            raw.problem(
                "warning",
                "county",
                f"unknown figure ignored; known: {', '.join(valid)}",
                f"未知指标，已忽略；应为：{', '.join(valid.values())}",
                row,
                where,
            )
            continue
        for fig, label in ((entry, where), (entry.get("estimate"), f"{where}.estimate")):
            if not isinstance(fig, dict) or "value" not in fig:
                continue
            col = str(fig.get("_column", label))
            value = fig["value"]
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not np.isfinite(value)
            ):
                raw.problem("error", "county", "expected a number", "应为数字", row, col, value)
            elif value < 0:
                raw.problem(
                    "error", "county", "expected a number >= 0", "应为非负数", row, col, value
                )
            elif group == "population" and value == 0:
                raw.problem(
                    "error",
                    "county",
                    "population is 0; leave it empty if not reported",
                    "人口为0；未统计请留空",
                    row,
                    col,
                    value,
                )
            status = str(fig.get("status", "")).lower()
            if status not in statuses:
                raw.problem(
                    "error",
                    "county",
                    "status must be official, estimated or synthetic",
                    "状态应为 官方/估算/模拟",
                    row,
                    f"{label}.status",
                    fig.get("status"),
                )
            if not fig.get("source"):
                raw.problem(
                    "error",
                    "county",
                    "every figure needs a source id (see sources)",
                    "每个数值都须注明来源编号",
                    row,
                    f"{label}.source",
                )


def _flagged(df: pd.DataFrame, mask: pd.Series | np.ndarray) -> Iterator[tuple[object, pd.Series]]:
    """Return ``df[mask].iterrows()``, selecting nothing when a plain boolean mask flags no row."""
    dtype = getattr(mask, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype == np.bool_ and not mask.any():
        return iter(())
    return df[mask].iterrows()


def _check_unique(raw: RawBundle) -> None:
    for name, df in raw.tables.items():
        key = TABLES[name].key
        if key is None or key not in df:
            continue
        dup = df[key].notna() & df[key].duplicated(keep="first")
        if isinstance(dup.dtype, np.dtype) and dup.dtype == np.bool_ and not dup.any():
            continue
        first = df.drop_duplicates(key).set_index(key)["_row"]
        for _, r in _flagged(df, dup):
            raw.problem(
                "error",
                name,
                f"duplicate id; first used on row {first[r[key]]}",
                f"编号重复；第 {first[r[key]]} 行已使用",
                int(r["_row"]),
                key,
                r[key],
            )


def _ids(raw: RawBundle, table: str, key: str) -> set[str] | None:
    df = raw.tables.get(table)
    return None if df is None else set(df[key].dropna().astype(str))


def _check_sources(raw: RawBundle) -> None:
    known = _ids(raw, "sources", "id")
    if known is None:
        return
    for group, key, entry in _figure_items(raw.meta):
        for fig, label in (
            (entry, f"{group}.{key}"),
            (entry.get("estimate"), f"{group}.{key}.estimate"),
        ):
            if isinstance(fig, dict) and fig.get("source") and str(fig["source"]) not in known:
                raw.problem(
                    "error",
                    "county",
                    "source id not found in sources",
                    "来源编号在数据来源表中不存在",
                    fig.get("_row"),
                    f"{label}.source",
                    fig["source"],
                )
    for name, df in raw.tables.items():
        if name == "sources" or "source" not in df:
            continue
        cited = df["source"].dropna().astype(str)
        unknown = {
            text: bad
            for text in cited.unique()
            if (bad := [s.strip() for s in text.replace("；", ";").split(";") if s.strip()])
            and not set(bad) <= known
        }
        if not unknown:
            continue
        for i in np.flatnonzero(df["source"].astype(str).isin(list(unknown)).to_numpy()):
            for sid in unknown[str(df["source"].iloc[i])]:
                if sid not in known:
                    raw.problem(
                        "error",
                        name,
                        "source id not found in sources",
                        "来源编号在数据来源表中不存在",
                        int(df["_row"].iloc[i]),
                        "source",
                        sid,
                    )


def _check_references(raw: RawBundle) -> None:
    towns = _ids(raw, "townships", "code")
    villages = _ids(raw, "villages", "code")
    facilities = _ids(raw, "facilities", "id")
    adcode = str(raw.meta.get("adcode", ""))
    t = raw.tables.get("townships")
    if t is not None and adcode:
        for _, r in _flagged(t, t["code"].notna() & ~t["code"].astype(str).str.startswith(adcode)):
            raw.problem(
                "error",
                "townships",
                f"township code must start with the county code {adcode}",
                f"乡镇代码应以县代码 {adcode} 开头",
                int(r["_row"]),
                "code",
                r["code"],
            )
    v = raw.tables.get("villages")
    if v is not None and towns is not None:
        bad = v["township_code"].notna() & ~v["township_code"].isin(towns)
        for _, r in _flagged(v, bad):
            raw.problem(
                "error",
                "villages",
                "township code not found in townships",
                "乡镇代码在乡镇表中不存在",
                int(r["_row"]),
                "township_code",
                r["township_code"],
            )
        mism = (
            v["code"].notna()
            & v["township_code"].notna()
            & ~bad
            & (v["code"].astype(str).str[:9] != v["township_code"].astype(str))
        )
        for _, r in _flagged(v, mism):
            raw.problem(
                "warning",
                "villages",
                f"village code does not begin with its township code {r['township_code']}",
                f"村代码未以所属乡镇代码 {r['township_code']} 开头",
                int(r["_row"]),
                "code",
                r["code"],
            )
    f = raw.tables.get("facilities")
    if f is not None:
        for col, ids, label in (
            ("township_code", towns, "townships"),
            ("village_code", villages, "villages"),
        ):
            if ids is None:
                continue
            for _, r in _flagged(f, f[col].notna() & ~f[col].isin(ids)):
                raw.problem(
                    "error",
                    "facilities",
                    f"{col} not found in {label}",
                    f"{col} 在{TABLES[label].zh}表中不存在",
                    int(r["_row"]),
                    col,
                    r[col],
                )
        needs_town = f["type"].isin(
            [
                "township_health_centre",
                "community_health_centre",
                "community_health_station",
                "village_clinic",
            ]
        )
        for _, r in _flagged(f, needs_town & f["township_code"].isna()):
            raw.problem(
                "error",
                "facilities",
                "a primary-care facility needs its township code",
                "基层医疗机构须填写乡镇代码",
                int(r["_row"]),
                "township_code",
            )
        clinics = f["type"].isin(["village_clinic"])
        for _, r in _flagged(f, clinics & f["village_code"].isna()):
            raw.problem(
                "warning",
                "facilities",
                "village clinic without a village code",
                "村卫生室未填写村代码",
                int(r["_row"]),
                "village_code",
            )
    a = raw.tables.get("alliances")
    if a is not None and facilities is not None:
        for _, r in a.iterrows():
            lead = r["lead_facility_id"]
            if pd.notna(lead) and str(lead) not in facilities:
                raw.problem(
                    "error",
                    "alliances",
                    "lead facility not found in facilities",
                    "牵头机构编号在医疗机构表中不存在",
                    int(r["_row"]),
                    "lead_facility_id",
                    lead,
                )
            for m in r["member_ids"] or []:
                if m not in facilities:
                    raw.problem(
                        "error",
                        "alliances",
                        "member facility not found in facilities",
                        "成员机构编号在医疗机构表中不存在",
                        int(r["_row"]),
                        "member_ids",
                        m,
                    )


def _check_values(raw: RawBundle) -> None:
    for name in ("townships", "villages", "facilities", "alliances"):
        df = raw.tables.get(name)
        if df is None:
            continue
        for col in ("status", "location_status", "population_status"):
            if col in df and df[col].isna().all() and len(df):
                if (
                    col == "population_status"
                    and df.get("population") is not None
                    and df["population"].isna().all()
                ):
                    continue
                if col == "location_status" and df["lon"].isna().all():
                    continue
                raw.problem(
                    "warning",
                    name,
                    "no status given; rows are taken as official",
                    "未填写数据状态，按官方数据处理",
                    None,
                    col,
                )
    for name in ("townships", "villages"):
        df = raw.tables.get(name)
        if df is not None:
            for _, r in _flagged(df, df["population"].notna() & (df["population"] == 0)):
                raw.problem(
                    "warning", name, "population is 0", "人口为0", int(r["_row"]), "population", 0
                )


def _figure_value(entry: object) -> tuple[float | None, dict[str, object] | None]:
    """Return the value a county figure is read as (official, else its estimate) and the figure."""
    if not isinstance(entry, dict):
        return None, None
    fig = entry if "value" in entry else entry.get("estimate")
    if isinstance(fig, dict) and _is_number(fig.get("value")):
        return float(fig["value"]), fig
    return None, None


def _check_coordinates(raw: RawBundle) -> None:
    given = raw.meta.get("coordinates", {})
    coords: dict[str, object] = given if isinstance(given, dict) else {}
    boundary = None
    if raw.boundary is not None and len(raw.boundary):
        try:
            b = raw.boundary.to_crs("EPSG:4326") if raw.boundary.crs else raw.boundary
            boundary = b.union_all()
        except Exception:
            boundary = None
    metric = None  # the boundary in its metric CRS, projected once for the three tables
    for name in ("townships", "villages", "facilities"):
        df = raw.tables.get(name)
        if df is None:
            continue
        lon, lat = df["lon"].astype(float).to_numpy(), df["lat"].astype(float).to_numpy()
        half = np.isnan(lon) ^ np.isnan(lat)
        for i in np.flatnonzero(half):
            col = "lat" if np.isnan(lat[i]) else "lon"
            raw.problem(
                "error",
                name,
                "longitude and latitude go together: one is missing",
                "经度和纬度须同时填写",
                int(df["_row"].iloc[i]),
                col,
            )
        ok = ~np.isnan(lon) & ~np.isnan(lat)
        in_lon = (lon >= CHINA_LON[0]) & (lon <= CHINA_LON[1])
        in_lat = (lat >= CHINA_LAT[0]) & (lat <= CHINA_LAT[1])
        swapped = (
            ok
            & ~(in_lon & in_lat)
            & (lat >= CHINA_LON[0])
            & (lat <= CHINA_LON[1])
            & (lon >= CHINA_LAT[0])
            & (lon <= CHINA_LAT[1])
        )
        outside = ok & ~(in_lon & in_lat) & ~swapped
        for i in np.flatnonzero(swapped):
            raw.problem(
                "error",
                name,
                "longitude and latitude look swapped (lon should be 73–135, lat 3–54 in China)",
                "经纬度似乎填反了（中国境内经度73–135，纬度3–54）",
                int(df["_row"].iloc[i]),
                "lon",
                f"{lon[i]}, {lat[i]}",
            )
        for i in np.flatnonzero(outside):
            raw.problem(
                "error",
                name,
                "point outside China: expected longitude 73–135 and latitude 3–54 in degrees",
                "坐标不在中国境内：经度应为73–135，纬度3–54（十进制度）",
                int(df["_row"].iloc[i]),
                "lon",
                f"{lon[i]}, {lat[i]}",
            )
        good = ok & in_lon & in_lat
        if boundary is None or not good.any():
            continue
        try:
            wlon, wlat = to_wgs84(lon[good], lat[good], str(coords.get(name, "EPSG:4326")))
        except ValueError:
            continue
        if metric is None:
            metric = _metric_boundary(boundary)
        _check_inside(raw, name, df, np.flatnonzero(good), wlon, wlat, metric)


def _metric_boundary(boundary: BaseGeometry) -> tuple[CRS, BaseGeometry]:
    """Return the county's metric CRS and its boundary in it, prepared for point tests."""
    import geopandas as gpd
    import shapely

    from tcmcounty.crs import metric_crs

    c = boundary.centroid
    crs = metric_crs(c.x, c.y)
    poly = gpd.GeoSeries([boundary], crs="EPSG:4326").to_crs(crs).iloc[0]
    shapely.prepare(poly)
    return crs, poly


def _check_inside(
    raw: RawBundle,
    name: str,
    df: pd.DataFrame,
    idx: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    metric: tuple[CRS, BaseGeometry],
) -> None:
    import geopandas as gpd
    import shapely

    crs, poly = metric
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(crs).to_numpy()
    # a point inside (or on) the boundary is at distance 0: only the others are measured
    dist = np.zeros(len(pts))
    outside = ~shapely.intersects(poly, pts)
    if outside.any():
        dist[outside] = shapely.distance(pts[outside], poly)
    for j in np.flatnonzero(dist > BOUNDARY_TOLERANCE_M):
        raw.problem(
            "warning" if dist[j] < 20_000 else "error",
            name,
            f"point lies {dist[j] / 1000:.1f} km outside the county boundary",
            f"坐标位于县界外 {dist[j] / 1000:.1f} 公里",
            int(df["_row"].iloc[idx[j]]),
            "lon",
            f"{df['lon'].iloc[idx[j]]}, {df['lat'].iloc[idx[j]]}",
        )


def _check_population(raw: RawBundle) -> None:
    pop = raw.meta.get("population", {})
    resident = pop.get("resident", {}) if isinstance(pop, dict) else {}
    total = None
    if isinstance(resident, dict):
        fig = resident if "value" in resident else resident.get("estimate")
        if isinstance(fig, dict) and isinstance(fig.get("value"), (int, float)):
            total = float(fig["value"])
    if total and total > COUNTY_LIMITS["population"][1]:
        total = None  # impossible, reported by _check_county_limits; no ratio can use it
    v = raw.tables.get("villages")
    if total and v is not None and v["population"].notna().any():
        s = float(v["population"].sum())
        if s > 1.05 * total or s < 0.5 * total:
            raw.problem(
                "warning",
                "villages",
                f"village populations add up to {s:,.0f}, {s / total:.0%} of the county resident population {total:,.0f}",
                f"各村人口合计 {s:,.0f}，为全县常住人口 {total:,.0f} 的 {s / total:.0%}",
                None,
                "population",
            )
    if total:
        res = raw.meta.get("resources", {})
        sums = roster_sums(raw)
        for key, (lo, hi) in PLAUSIBLE_PER_1000.items():
            entry = res.get(key) if isinstance(res, dict) else None
            value, derived_en, derived_zh = None, "", ""
            if isinstance(entry, dict) and isinstance(entry.get("value"), (int, float)):
                value = entry["value"]
            elif key in sums and sums[key].usable and not _figure_value(entry)[1]:
                # the county total will be the roster's sum (tcmcounty.inputs.totals)
                value = sums[key].total
                derived_en, derived_zh = " (derived from roster)", "（由机构名册汇总）"
            if value is not None:
                ratio = value / total * 1000
                if not lo <= ratio <= hi:
                    raw.problem(
                        "warning",
                        "county",
                        f"{ratio:.2f} per 1,000 residents{derived_en} is far from national "
                        f"references ({lo}–{hi})",
                        f"每千人 {ratio:.2f}{derived_zh}，明显偏离全国参考范围（{lo}–{hi}）",
                        entry.get("_row") if isinstance(entry, dict) else None,
                        f"resources.{key}",
                        value,
                    )


def _declared(raw: RawBundle, name: str) -> str:
    coords = raw.meta.get("coordinates", {})
    system = coords.get(name, "EPSG:4326") if isinstance(coords, dict) else "EPSG:4326"
    try:
        return normalise_crs_name(str(system))
    except ValueError:
        return "invalid"


def _check_gcj02_declared_as_wgs84(raw: RawBundle) -> None:
    """Warn when points declared WGS84 sit at the GCJ-02 offset from their village points.

    A village clinic is usually at (or within tens of metres of) its village's point. If the
    facility file was copied from 高德/腾讯 (GCJ-02) but declared WGS84 while the villages are
    truly WGS84, every clinic is displaced by the GCJ-02 offset (100–700 m, locally almost
    constant); the median displacement then matches that offset, which random placement never
    does. The reverse case (villages in GCJ-02) shows the opposite displacement.
    """
    from tcmcounty.crs import wgs84_to_gcj02

    f, v = raw.tables.get("facilities"), raw.tables.get("villages")
    if (
        f is None
        or v is None
        or "invalid" in (_declared(raw, "facilities"), _declared(raw, "villages"))
    ):
        return
    if _declared(raw, "facilities") != _declared(raw, "villages"):
        return
    vpos = v.dropna(subset=["lon", "lat"]).drop_duplicates("code").set_index("code")[["lon", "lat"]]
    pairs = f.dropna(subset=["lon", "lat", "village_code"])
    pairs = pairs[pairs["village_code"].isin(vpos.index)]
    if len(pairs) < 5:
        return
    vl = vpos.loc[pairs["village_code"], "lon"].to_numpy(float)
    va = vpos.loc[pairs["village_code"], "lat"].to_numpy(float)
    fl, fa = pairs["lon"].to_numpy(float), pairs["lat"].to_numpy(float)
    coslat = np.cos(np.radians(va))
    d = np.c_[(fl - vl) * 111_320 * coslat, (fa - va) * 111_320]
    gl, ga = wgs84_to_gcj02(vl, va)
    g = np.c_[(gl - vl) * 111_320 * coslat, (ga - va) * 111_320]
    gnorm = np.linalg.norm(np.median(g, axis=0))
    if gnorm < 50:
        return
    for sign, table in ((1, "facilities"), (-1, "villages")):
        resid = np.linalg.norm(d - sign * g, axis=1)
        if np.median(resid) < 0.25 * gnorm and np.linalg.norm(np.median(d, axis=0)) > 0.5 * gnorm:
            raw.problem(
                "warning",
                table,
                f"coordinates look like GCJ-02 (高德/腾讯) although declared {_declared(raw, table)}: "
                f"clinics sit a median {np.median(np.linalg.norm(d, axis=1)):.0f} m from their villages in the "
                f'GCJ-02 offset direction; declare {table} = "GCJ-02" in [coordinates] if they were copied from a web map',
                f"坐标疑似为GCJ-02（高德/腾讯）却声明为 {_declared(raw, table)}：村卫生室与所在村的位置偏差中位数 "
                f'{np.median(np.linalg.norm(d, axis=1)):.0f} 米，方向与GCJ-02偏移一致；如坐标取自网络地图，请在 [coordinates] 中声明 {table} = "GCJ-02"',
                None,
                "lon",
            )
            return


def _same_place(given: str, nbs_name: str) -> bool:
    """Names agree up to a suffix or a prefix (四川 / 四川省, 安岳 / 安岳县, 资阳市安岳县)."""
    a, b = "".join(given.split()), "".join(nbs_name.split())
    return bool(a) and (a.startswith(b) or b.startswith(a) or a.endswith(b))


def _check_nbs(raw: RawBundle) -> None:
    """Compare the county and its township and village codes with the NBS 2023 codes.

    Runs only when the county code is a 6-digit code of the NBS list (the shipped national
    table, see :mod:`tcmcounty.inputs.nbs`); every difference is a warning naming the row and the NBS
    name.
    """
    from tcmcounty.inputs import nbs

    adcode = str(raw.meta.get("adcode", "")).strip()
    if not nbs.is_county_code(adcode) or raw.meta.get("synthetic") is True:
        return  # a synthetic bundle invents its units inside a real outline
    units = nbs.county_units(adcode)
    city_known = not units.city.endswith("直辖县级行政区划")
    for key, zh, expected, check in (
        ("name_zh", "县名称", units.name, True),
        ("province", "省份", units.province, True),
        ("city", "地市", units.city, city_known),
    ):
        given = str(raw.meta.get(key, "") or "").strip()
        if check and given and not _same_place(given, expected):
            raw.problem(
                "warning",
                "county",
                f"the NBS 2023 codes give {adcode} the {key} '{expected}', not '{given}'",
                f"国家统计局2023年区划代码中 {adcode} 的{zh}为“{expected}”，而非“{given}”",
                None,
                key,
                given,
            )
    for f in nbs.check_units(adcode, raw.tables.get("townships"), None):
        raw.problem("warning", f.table, f.message_en, f.message_zh, f.row, f.column, f.value)
    _check_nbs_villages(raw, adcode)


#: Villages compared with the NBS codes per step; the comparison stops after this many differ.
NBS_CHUNK = 2_000
NBS_MAX_FINDINGS = 1_000


def _check_nbs_villages(raw: RawBundle, adcode: str) -> None:
    """Compare the villages with the NBS codes in steps, stopping once most of them differ.

    A village whose code NBS does not know costs a name search of the whole county; a bundle
    of a million invented codes would take an hour to say the same thing a million times.
    """
    from tcmcounty.inputs import nbs

    v = raw.tables.get("villages")
    if v is None:
        return
    found = 0
    for start in range(0, len(v), NBS_CHUNK):
        for f in nbs.check_units(adcode, None, v.iloc[start : start + NBS_CHUNK]):
            raw.problem("warning", f.table, f.message_en, f.message_zh, f.row, f.column, f.value)
            found += 1
        done = min(start + NBS_CHUNK, len(v))
        if found > NBS_MAX_FINDINGS and done < len(v):
            raw.problem(
                "warning",
                "villages",
                f"comparison with the NBS 2023 codes stopped after {done:,} of {len(v):,} "
                f"villages: {found:,} of them differ; check that the codes are NBS codes",
                f"与国家统计局2023年区划代码的比对在 {done:,}/{len(v):,} 个村后停止：已有 {found:,} "
                "处不一致；请确认所用代码为统计用区划代码",
                None,
                "code",
            )
            return


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check_row_limits(raw: RawBundle) -> None:
    """Check counts of one village, township or facility against :data:`ROW_LIMITS`."""
    for (name, col), (unlikely, impossible) in ROW_LIMITS.items():
        df = raw.tables.get(name)
        if df is None or col not in df:
            continue
        values = pd.to_numeric(df[col], errors="coerce").astype(float).to_numpy()
        for i in np.flatnonzero(np.nan_to_num(values) > unlikely):
            v = values[i]
            bad = v > impossible
            limit = impossible if bad else unlikely
            raw.problem(
                "error" if bad else "warning",
                name,
                f"{v:,.0f} is {'impossible' if bad else 'unlikely'} for one "
                f"{name[:-1].replace('facilitie', 'facility')} ({col} above {limit:,}); "
                + ("correct it" if bad else "check the unit and the digits"),
                f"{v:,.0f} 对单个{TABLES[name].zh}而言{'不可能' if bad else '不太可能'}"
                f"（超过 {limit:,}）；" + ("请更正" if bad else "请检查单位与位数"),
                int(df["_row"].iloc[i]),
                raw.header(name, col),
                f"{v:.0f}",
            )


def _check_county_limits(raw: RawBundle) -> None:
    """County figures beyond :data:`COUNTY_LIMITS` (a value the unit or a typo inflated)."""
    for group, key, entry in _figure_items(raw.meta):
        unlikely, impossible = COUNTY_LIMITS["population" if key in RESOURCE_PEOPLE else group]
        for fig, label in (
            (entry, f"{group}.{key}"),
            (entry.get("estimate"), f"{group}.{key}.estimate"),
        ):
            if not isinstance(fig, dict) or not _is_number(fig.get("value")):
                continue
            v = float(fig["value"])
            if not np.isfinite(v) or v <= unlikely:
                continue
            bad = v > impossible
            limit = impossible if bad else unlikely
            raw.problem(
                "error" if bad else "warning",
                "county",
                f"{v:,.0f} is {'impossible' if bad else 'unlikely'} for a county "
                f"(above {limit:,}); " + ("correct it" if bad else "check the unit and the digits"),
                f"{v:,.0f} 对一个县而言{'不可能' if bad else '不太可能'}（超过 {limit:,}）；"
                + ("请更正" if bad else "请检查单位与位数"),
                fig.get("_row"),
                str(fig.get("_column", label)),
                f"{v:.0f}",
            )


def _year_problem(
    raw: RawBundle, table: str, year: object, row: int | None, column: str, first: int
) -> None:
    this_year = dt.date.today().year
    if not _is_number(year) or not float(year).is_integer():  # type: ignore[arg-type]
        raw.problem(
            "error", table, "expected a year such as 2023", "应为年份，如 2023", row, column, year
        )
        return
    y = int(year)  # type: ignore[call-overload]
    if y < first or y > this_year:
        raw.problem(
            "error",
            table,
            f"impossible year: data years run from {first} to {this_year}",
            f"年份不可能：应在 {first} 至 {this_year} 之间",
            row,
            column,
            y,
        )


def _check_years(raw: RawBundle) -> None:
    """Every year of the data between :data:`FIRST_YEAR` and this year."""
    meta = raw.meta
    ref = meta.get("reference_year")
    if ref is not None:
        row, col = where_on_county_sheet(raw, "reference_year")
        _year_problem(raw, "county", ref, row, col, FIRST_YEAR)
    for group, key, entry in _figure_items(meta):
        for fig, label in (
            (entry, f"{group}.{key}"),
            (entry.get("estimate"), f"{group}.{key}.estimate"),
        ):
            if isinstance(fig, dict) and fig.get("year") not in (None, ""):
                _year_problem(
                    raw, "county", fig["year"], fig.get("_row"), f"{label}.year", FIRST_YEAR
                )
    for section in ("survey", "tcm_hospital"):
        sub = meta.get(section)
        if isinstance(sub, dict) and sub.get("year") not in (None, ""):
            _year_problem(raw, "county", sub["year"], None, f"{section}.year", FIRST_YEAR)
    for name, col, first in (
        ("townships", "population_year", FIRST_YEAR),
        ("villages", "population_year", FIRST_YEAR),
        ("sources", "year", FIRST_SOURCE_YEAR),
    ):
        df = raw.tables.get(name)
        if df is None or col not in df:
            continue
        years = pd.to_numeric(df[col], errors="coerce").astype(float).to_numpy()
        bad = np.isfinite(years) & ((years < first) | (years > dt.date.today().year))
        for i in np.flatnonzero(bad):
            _year_problem(
                raw, name, float(years[i]), int(df["_row"].iloc[i]), raw.header(name, col), first
            )


#: Surveys of ``[survey]``: (respondents key, count key, English, Chinese of the count, of the rate).
SURVEYS: tuple[tuple[str, str, str, str, str], ...] = (
    ("respondents", "satisfied", "satisfied", "满意人数", "满意率"),
    ("awareness_respondents", "aware", "aware of TCM services", "知晓人数", "知晓率"),
)


def _check_survey(raw: RawBundle) -> None:
    """Check the surveys: whole counts, count <= respondents <= residents, no survey of nobody."""
    survey = raw.meta.get("survey")
    if not isinstance(survey, dict):
        return
    counts: dict[str, float] = {}
    for key in [k for pair in SURVEYS for k in pair[:2]]:
        if key not in survey:
            continue
        v = survey[key]
        if (
            not _is_number(v)
            or not np.isfinite(float(v))
            or float(v) < 0
            or not float(v).is_integer()
        ):
            raw.problem(
                "error",
                "county",
                "expected a whole number of people >= 0",
                "应为非负整数（人数）",
                *where_on_county_sheet(raw, f"survey.{key}"),
                v,
            )
        else:
            counts[key] = float(v)
    total = _resident_total(raw)
    for n_key, ok_key, en, zh, rate_zh in SURVEYS:
        n, ok = counts.get(n_key), counts.get(ok_key)
        if ok is not None and n is not None and ok > n:
            raw.problem(
                "error",
                "county",
                f"more people {en} ({ok:,.0f}) than surveyed ({n:,.0f}): impossible",
                f"{zh}（{ok:,.0f}）多于调查人数（{n:,.0f}），不可能",
                *where_on_county_sheet(raw, f"survey.{ok_key}"),
                f"{ok:.0f}",
            )
        if n == 0 and ok is not None:
            raw.problem(
                "error",
                "county",
                f"a survey of 0 respondents cannot give a rate of people {en}; leave it out",
                f"调查人数为0，无法计算{rate_zh}；请删除该项",
                *where_on_county_sheet(raw, f"survey.{n_key}"),
                0,
            )
        if n is not None and total and n > total:
            raw.problem(
                "error",
                "county",
                f"more respondents ({n:,.0f}) than county residents ({total:,.0f}): impossible",
                f"调查人数（{n:,.0f}）多于全县常住人口（{total:,.0f}），不可能",
                *where_on_county_sheet(raw, f"survey.{n_key}"),
                f"{n:.0f}",
            )


def where_on_county_sheet(raw: RawBundle, key: str) -> tuple[int | None, str]:
    """Return the row and the header of a county item (``survey.satisfied``, ``reference_year``).

    A workbook's county sheet records where it read each item; a ``county.toml`` has no rows,
    and the key names the item.
    """
    where = raw.meta.get("_where")
    found = where.get(key) if isinstance(where, dict) else None
    if isinstance(found, tuple) and len(found) == 2:
        row, label = found
        return (int(row) if isinstance(row, int) else None), str(label)
    return None, key


def _resident_total(raw: RawBundle) -> float | None:
    pop = raw.meta.get("population", {})
    resident = pop.get("resident", {}) if isinstance(pop, dict) else {}
    if not isinstance(resident, dict):
        return None
    fig = resident if "value" in resident else resident.get("estimate")
    if isinstance(fig, dict) and _is_number(fig.get("value")):
        return float(fig["value"])
    return None


def _check_clinic_township(raw: RawBundle) -> None:
    """Check that a facility lies in the township of its village."""
    f, v = raw.tables.get("facilities"), raw.tables.get("villages")
    if f is None or v is None:
        return
    coded = v.dropna(subset=["code", "township_code"]).drop_duplicates("code")
    towns = _ids(raw, "townships", "code")
    if towns is not None:  # a village in an unknown township is reported already
        coded = coded[coded["township_code"].isin(towns)]
    town_of = coded.set_index("code")["township_code"]
    both = (
        f["village_code"].notna()
        & f["township_code"].notna()
        & f["village_code"].isin(town_of.index)
    )
    sub = f[both]
    if sub.empty:
        return
    expected = town_of.loc[sub["village_code"]].to_numpy()
    for i in np.flatnonzero(sub["township_code"].to_numpy() != expected):
        raw.problem(
            "error",
            "facilities",
            f"the facility's township {sub['township_code'].iloc[i]} is not the township "
            f"{expected[i]} of its village {sub['village_code'].iloc[i]}",
            f"机构所在乡镇 {sub['township_code'].iloc[i]} 与其所在村 {sub['village_code'].iloc[i]} "
            f"的乡镇 {expected[i]} 不一致",
            int(sub["_row"].iloc[i]),
            raw.header("facilities", "township_code"),
            sub["township_code"].iloc[i],
        )


def _check_tcm_hospital_listed(raw: RawBundle) -> None:
    """Warn when ``[tcm_hospital]`` describes a county TCM hospital the facility list lacks.

    The hospital indicators (``T-TCMHOSP``, ``T-TCMHOSP-DEPT``) then give no verdict.
    """
    section = raw.meta.get("tcm_hospital")
    if not isinstance(section, dict) or not section:
        return
    f = raw.tables.get("facilities")
    if f is not None and "type" in f and (f["type"].astype(str) == "county_tcm_hospital").any():
        return
    raw.problem(
        "warning",
        "county",
        "[tcm_hospital] describes a county TCM hospital but no facility has type "
        "county_tcm_hospital; add it to the facilities, else T-TCMHOSP and T-TCMHOSP-DEPT "
        "give no verdict",
        "county.toml [tcm_hospital] 填写了县级中医医院，但机构名单中无 county_tcm_hospital 类型机构；"
        "请补充该机构，否则县中医院等级与科室指标无法判定",
        None,
        "tcm_hospital",
    )


def _check_roster_gaps(raw: RawBundle) -> None:
    """Warn when the roster misses units, or leaves blank a column the shares read.

    The same words as the indicators whose verdict the gap withholds
    (:mod:`tcmcounty.indicators.verdicts`): one rule, :func:`tcmcounty.roster.roster_gaps`, and
    one sentence for blanks, :func:`tcmcounty.roster.blank_text`.
    """
    f = raw.tables.get("facilities")
    if f is None:
        return
    gaps = roster_gaps(raw_structure(raw), f, declared=declared_units(raw.meta.get("units")))
    _check_declared_surplus(raw, gaps.values())
    en, zh = gap_text(gaps.values(), names=True)
    en_l, zh_l = (
        ([en.removeprefix("incomplete data: ")] if en else []),
        ([zh.removeprefix("数据不全：")] if zh else []),
    )
    for gap in gaps.values():  # where the county declares the number the roster falls short of
        if gap.short:
            row, label = where_on_county_sheet(raw, f"units.{gap.declared[0][0]}")
            sheet = raw.meta_sheet or raw.meta_file
            en_l.append(
                f"the number is declared on {sheet}"
                + (f" row {row} ({label})" if row else f" ({label})")
            )
            zh_l.append(f"申报数见{sheet}" + (f"第 {row} 行（{label}）" if row else f"（{label}）"))
    for group, cols in GROUP_COLUMNS.items():
        mine = f["type"].isin(GROUP_TYPES[group]).fillna(False).to_numpy(dtype=bool)
        listed = int(mine.sum())
        for col in cols:
            if col not in f or not listed:
                continue
            blank = int(f.loc[mine, col].isna().sum())
            if 0 < blank < listed:  # all blank: the column is not reported, said elsewhere
                b_en, b_zh = blank_text(group, blank, listed, [col])
                en_l.append(b_en)
                zh_l.append(b_zh)
    if en_l:
        raw.problem(
            "warning",
            "facilities",
            f"incomplete data: {'; '.join(en_l)}; shares over these units get no verdict unless "
            "the missing ones cannot change it (list every unit, fill every cell)",
            f"数据不全：{'；'.join(zh_l)}；涉及这些机构的占比指标，除非缺失数据不影响判定，否则无法判断"
            "是否达标（请列全机构、填全数据）",
            None,
            "type",
        )


def _check_declared_surplus(raw: RawBundle, gaps: Iterable[Gap]) -> None:
    """Warn when the roster lists more units than the county declares (never an error).

    A declared number below the roster's is a stale declaration or a unit listed twice; it
    withholds no verdict (the roster's units are there), so it is only said, at the county
    item that declares it, naming both numbers.
    """
    for gap in gaps:
        if not gap.surplus:
            continue
        en, zh = gap.surplus_text()
        row, label = where_on_county_sheet(raw, f"units.{gap.declared[0][0]}")
        raw.problem("warning", "county", en, zh, row, label, gap.declared_total)
