"""What a county's file leaves out but the national codes know: its code, townships, villages.

A bureau's roster often has no township sheet (the townships are in the facility rows or the
sheet names), no village sheet, or no county code. The NBS 2023 codes shipped with the package
(:mod:`tcmcounty.inputs.nbs`) list every county's townships and villages, so such a file is
completed from them, and every completion is said in a note. Nothing is completed where the
county cannot be identified: the missing tables are then reported as before.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from tcmcounty.inputs.raw import RawBundle
from tcmcounty.schema import TABLES

#: Tables that the NBS codes can supply for a known county.
FROM_NBS = ("townships", "villages")
_NBS_SOURCE = "国家统计局 2023 年统计用区划代码 / NBS 2023 statistical division codes"


def infer_adcode(raw: RawBundle) -> str | None:
    """Return the county code a file gives or implies, setting it on ``raw.meta`` with a note.

    In order: the county sheet's code; the county's name when one county has it (``安岳县``);
    the 9- and 12-digit codes in the tables (at least 90% under one county); the file's name
    (``gushi_411525.xlsx``, ``会昌县2023年报表.xlsx``).

    Examples
    --------
    >>> from pathlib import Path
    >>> raw = RawBundle(Path("会昌县卫生统计.xlsx"), {}, {}, {}, {})
    >>> infer_adcode(raw), raw.meta["name_zh"]
    ('360733', '会昌县')
    """
    from tcmcounty.errors import CountyNotFoundError
    from tcmcounty.inputs import nbs

    given = str(raw.meta.get("adcode") or "").strip()
    if given:
        _names_from_nbs(raw, given)
        return given
    found: str | None = None
    how_en = how_zh = ""
    name = str(raw.meta.get("name_zh") or "").strip()
    if name:
        try:
            found = nbs.resolve_county(name)
            how_en, how_zh = f"from the county name {name}", f"按县名称 {name}"
        except CountyNotFoundError:
            found = None
    if found is None:
        codes: Counter[str] = Counter()
        for table in ("townships", "villages", "facilities"):
            df = raw.tables.get(table)
            if df is None:
                continue
            for col in ("code", "township_code", "village_code"):
                if col in df:
                    codes.update(str(c)[:6] for c in df[col].dropna() if len(str(c)) in (9, 12))
        if codes:
            code, n = codes.most_common(1)[0]
            if n >= 0.9 * sum(codes.values()) and nbs.is_county_code(code):
                found = code
                how_en, how_zh = "from the township and village codes", "按乡镇、村代码"
    if found is None:
        found = _from_file_name(raw.path.name)
        how_en, how_zh = f"from the file name {raw.path.name}", f"按文件名 {raw.path.name}"
    if found is None:
        return None
    try:
        units = nbs.county_units(found)
    except CountyNotFoundError:
        return None
    raw.meta["adcode"] = found
    _identity(raw, units)
    raw.problem(
        "note",
        "county",
        f"county code {found} ({units.full_name}) inferred {how_en}",
        f"县代码 {found}（{units.full_name}）系{how_zh}推断",
        column="adcode",
    )
    return found


def _names_from_nbs(raw: RawBundle, adcode: str) -> None:
    """Give a county sheet that states its code the NBS name (a note), province and city it lacks."""
    if all(str(raw.meta.get(k) or "").strip() for k in ("name_zh", "province", "city")):
        return
    from tcmcounty.errors import CountyNotFoundError
    from tcmcounty.inputs import nbs

    try:
        units = nbs.county_units(adcode)
    except CountyNotFoundError:
        return
    if str(raw.meta.get("name_zh") or "").strip():
        _identity(raw, units)  # the province and city of the code's NBS record
        return
    raw.meta["name_zh"] = units.name
    _identity(raw, units)
    raw.problem(
        "note",
        "county",
        f"the county's name is not given: {units.name}, the NBS name of code {adcode}",
        f"未填县名称：按代码 {adcode} 取国家统计局名称 {units.name}",
        column="name_zh",
    )


def _identity(raw: RawBundle, units: object) -> None:
    """Give the county's name, province and city from its NBS record where the file has none."""
    for key, attr in (("name_zh", "name"), ("province", "province"), ("city", "city")):
        if not str(raw.meta.get(key) or "").strip():
            raw.meta[key] = getattr(units, attr)


def _from_file_name(name: str) -> str | None:
    from tcmcounty.errors import CountyNotFoundError
    from tcmcounty.inputs import nbs

    code: str
    for code in re.findall(r"(?<!\d)(\d{6})(?!\d)", name):
        if nbs.is_county_code(code):
            return code
    for stem in re.findall(r"[\u4e00-\u9fff]{1,8}?(?:自治县|县|市|区|旗)", name):
        for start in range(len(stem) - 1):
            try:
                return nbs.resolve_county(stem[start:])
            except CountyNotFoundError:
                continue
    return None


def complete_from_nbs(raw: RawBundle) -> list[str]:
    """Supply the township and village tables a file lacks from the NBS codes of its county.

    Only a table that no sheet holds is supplied (a sheet that failed to read is reported, never
    replaced), and only for a county of the NBS 2023 list.

    Returns
    -------
    list of str
        The tables supplied (empty when the county is unknown or nothing was missing).
    """
    read = {r.table for r in raw.readings if r.table}
    missing = [t for t in FROM_NBS if t not in raw.tables and t not in read]
    if not missing:
        return []
    adcode = infer_adcode(raw)
    if adcode is None:
        return []
    from tcmcounty.errors import CountyNotFoundError
    from tcmcounty.inputs import nbs

    try:
        units = nbs.county_units(adcode)
    except CountyNotFoundError:
        return []
    done = []
    for table in missing:
        frame = units.townships if table == "townships" else units.villages
        towns = raw.tables.get("townships")
        if table == "villages" and towns is not None and len(towns):
            listed = _listed_townships(towns, adcode)
            keep = frame["township_code"].astype(str).isin(listed)
            if not keep.all():
                left = sorted(set(frame.loc[~keep, "township_code"].astype(str)))
                raw.problem(
                    "warning",
                    "townships",
                    f"the township sheet lists {len(listed)} of the county's "
                    f"{len(units.townships)} NBS townships: the {int((~keep).sum())} villages of "
                    f"the {len(left)} others ({', '.join(left[:5])}…) are not taken either",
                    f"乡镇表只列出本县 {len(units.townships)} 个乡镇中的 {len(listed)} 个：其余 "
                    f"{len(left)} 个乡镇的 {int((~keep).sum())} 个村也未采用",
                )
            frame = frame[keep]
        raw.tables[table] = _frame(table, frame)
        raw.sheets[table] = None
        raw.files[table] = "NBS 2023"
        done.append(table)
        zh = TABLES[table].zh
        raw.problem(
            "note",
            "county",
            f"no {table} table in the file: the county's {len(frame)} {table} are taken from "
            f"the {_NBS_SOURCE.split(' / ')[1]} (names and codes; populations not reported)",
            f"文件中没有{zh}表：本县 {len(frame)} 个{zh}取自{_NBS_SOURCE.split(' / ')[0]}（名称与代码；人口未填报）",
        )
    return done


def _listed_townships(towns: pd.DataFrame, adcode: str) -> set[str]:
    """Return the NBS codes of the townships a township table lists (by code, else by name)."""
    from tcmcounty.inputs import nbs

    out: set[str] = set()
    codes = towns["code"] if "code" in towns else pd.Series([None] * len(towns))
    for code, name in zip(codes, towns["name"], strict=True):
        if isinstance(code, str) and code.strip():
            out.add(code.strip())
        elif isinstance(name, str) and name.strip():
            found = nbs.find_township(adcode, name)
            if len(found) == 1:
                out.add(found[0][0])
    return out


def _frame(table: str, nbs_frame: pd.DataFrame) -> pd.DataFrame:
    """Return a contract table (typed like the readers' tables) made from an NBS frame."""
    n = len(nbs_frame)
    data: dict[str, object] = {"_row": pd.Series([0] * n, dtype="int64")}
    for col in TABLES[table].columns:
        values: np.ndarray | list[None]
        if col.name in nbs_frame:
            values = nbs_frame[col.name].astype("string").to_numpy()
        elif col.name == "type" and "type" in nbs_frame:
            values = nbs_frame["type"].to_numpy()
        else:
            values = [None] * n
        if col.kind in ("int", "float"):
            data[col.name] = pd.array([None] * n, dtype="Int64" if col.kind == "int" else "Float64")
        elif col.kind == "ids":
            data[col.name] = pd.Series([[] for _ in range(n)], dtype=object)
        elif col.kind == "bool":
            data[col.name] = pd.array([None] * n, dtype="boolean")
        else:
            data[col.name] = pd.array(values, dtype="string")
    if "kind" in nbs_frame and table == "villages":
        data["kind"] = pd.array(nbs_frame["kind"].to_numpy(), dtype="string")
    data["source"] = pd.array(["nbs2023"] * n, dtype="string")
    return pd.DataFrame(data)
