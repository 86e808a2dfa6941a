"""References by name as well as code, resolved within the county.

A village's township, a facility's township and village, an alliance's lead and members, and
a facility's alliances may be written as names (``东镇镇``, ``岳井村``, ``闻喜县中医院``) or codes.
Names are compared after :func:`~tcmcounty.inputs.names.name_key` (村民委员会 → 村, …) and,
failing that, without their kind suffix (:func:`~tcmcounty.inputs.names.name_stem`). An
unknown or ambiguous name is an error naming the row; every name read as a code is noted.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from tcmcounty.inputs.names import name_key, name_stem
from tcmcounty.inputs.raw import RawBundle


class _Names:
    """Names of one table → codes, exact key first, then the stem.

    The index is built on the first look-up: most bundles refer by code only, and keying a
    million village names would cost seconds for nothing.
    """

    def __init__(self, codes: list[str], names: list[str]) -> None:
        self._pairs: list[tuple[str, str]] | None = list(zip(codes, names, strict=True))
        self.by_key: dict[str, set[str]] = defaultdict(set)
        self.by_stem: dict[str, set[str]] = defaultdict(set)

    def _index(self) -> None:
        for code, name in self._pairs or ():
            if code and name:
                self.by_key[name_key(name)].add(code)
                self.by_stem[name_stem(name)].add(code)
        self._pairs = None

    def find(self, name: str, within: set[str] | None = None) -> set[str]:
        if self._pairs is not None:
            self._index()
        for index, k in ((self.by_key, name_key(name)), (self.by_stem, name_stem(name))):
            found = index.get(k, set())
            if within is not None:
                found = found & within
            if found:
                return set(found)
        return set()


def _text(v: object) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v).strip()


def resolve_references(raw: RawBundle) -> None:
    """Fill codes from names (townships, villages, facilities, alliances); change ``raw`` in place."""
    towns = raw.tables.get("townships")
    villages = raw.tables.get("villages")
    facilities = raw.tables.get("facilities")
    town_names = (
        _Names(list(towns["code"].fillna("")), list(towns["name"].fillna("")))
        if towns is not None
        else None
    )
    adcode = str(raw.meta.get("adcode", ""))
    if towns is not None:
        _township_codes_from_nbs(raw, towns, adcode)
        town_names = _Names(list(towns["code"].fillna("")), list(towns["name"].fillna("")))
    if villages is not None:
        _township_codes(raw, "villages", villages, town_names)
        _villages_in_their_township(raw, villages, towns)
        _village_codes_from_nbs(raw, villages, adcode)
    village_names = None
    village_town: dict[str, str] = {}
    if villages is not None:
        village_names = _Names(list(villages["code"].fillna("")), list(villages["name"].fillna("")))
        village_town = {
            str(c): str(t)
            for c, t in zip(villages["code"], villages["township_code"], strict=True)
            if _text(c) and _text(t)
        }
    if raw.tables.get("alliances") is not None and len(raw.tables["alliances"]):
        _ids(raw, "alliances", raw.tables["alliances"])
    if facilities is not None:
        _ids(raw, "facilities", facilities)
        _township_level_codes(raw, facilities, towns)
        _township_codes(raw, "facilities", facilities, town_names)
        _facility_villages(raw, facilities, village_names, village_town)
        _townships_from_villages(raw, facilities, village_town)
        _alliances(raw, facilities)


def _villages_in_their_township(
    raw: RawBundle, villages: pd.DataFrame, towns: pd.DataFrame | None
) -> None:
    """Give a village listed without its township the township its 12-digit code names."""
    if towns is None or "code" not in towns or "township_code" not in villages:
        return
    codes = set(towns["code"].dropna().astype(str))
    filled = 0
    for i in villages.index[villages["township_code"].isna() & villages["code"].notna()]:
        code = _text(villages.loc[i, "code"])
        if len(code) == 12 and code[:9] in codes:
            villages.loc[i, "township_code"] = code[:9]
            filled += 1
    if filled:
        raw.problem(
            "note",
            "villages",
            f"{filled} villages given their township from the first 9 digits of their code",
            f"{filled} 个村按代码前 9 位确定所属乡镇",
            column=raw.header("villages", "code"),
        )


def _township_level_codes(raw: RawBundle, df: pd.DataFrame, towns: pd.DataFrame | None) -> None:
    """Read a 12-digit code ending in 000 (a township's own 统计用区划代码) as its township.

    Rosters such as 卫统 give every facility a 12-digit 行政区划代码: a village's, or its
    township's followed by ``000`` for a facility of the township itself.
    """
    if "village_code" not in df or towns is None or "code" not in towns:
        return
    codes = set(towns["code"].dropna().astype(str))
    moved = 0
    for i in df.index[df["village_code"].notna()]:
        code = _text(df.loc[i, "village_code"])
        if len(code) == 12 and code.endswith("000") and code[:9] in codes:
            if not _text(df.loc[i, "township_code"]):
                df.loc[i, "township_code"] = code[:9]
            df.loc[i, "village_code"] = pd.NA
            moved += 1
    if moved:
        raw.problem(
            "note",
            "facilities",
            f"{moved} codes ending in 000 are their township's own code: read as the township, "
            "no village",
            f"{moved} 个以 000 结尾的代码为乡镇本级代码：按乡镇读取，不属于任何村",
            column=raw.header("facilities", "village_code"),
        )


def _townships_from_villages(
    raw: RawBundle, df: pd.DataFrame, village_town: dict[str, str]
) -> None:
    """Give a facility listed by its village code alone its village's township (a note says so)."""
    if "village_code" not in df or "township_code" not in df:
        return
    filled = 0
    for i in df.index[df["village_code"].notna() & df["township_code"].isna()]:
        town = village_town.get(_text(df.loc[i, "village_code"]))
        if town:
            df.loc[i, "township_code"] = town
            filled += 1
    if filled:
        raw.problem(
            "note",
            "facilities",
            f"{filled} facilities given their township from their village (villages table)",
            f"{filled} 个机构按所在村确定乡镇（村表）",
            column=raw.header("facilities", "village_code"),
        )


def _ids(raw: RawBundle, table: str, df: pd.DataFrame) -> None:
    """Give rows of a roster without an id column ids; a blank id in an id column is an error.

    Facilities are numbered by their row (``F0012``); alliances take their name as id.
    """
    blank = df["id"].isna() | (df["id"].astype("string").str.strip() == "")
    if blank.all():
        if table == "facilities":
            df["id"] = [f"F{int(r):04d}" for r in df["_row"]]
            en = "facilities are numbered by their row (F0012 = row 12)"
            zh = "按行号编号（F0012 = 第12行）"
        else:
            df["id"] = df["name"].astype("string").str.strip()
            en, zh = "each alliance's name is its id", "以医联体名称作为编号"
        raw.problem(
            "note",
            table,
            f"no id column: {en}; other tables refer to them by name",
            f"无编号列：{zh}；其他表按名称对应",
        )
        return
    for i in df.index[blank]:
        raw.problem(
            "error",
            table,
            f"a value is required in '{raw.header(table, 'id')}'",
            f"'{raw.header(table, 'id')}' 不能为空",
            int(df.loc[i, "_row"]),
            raw.header(table, "id"),
        )


def _township_codes(raw: RawBundle, table: str, df: pd.DataFrame, towns: _Names | None) -> None:
    if "township_name" not in df or not df["township_name"].notna().any():
        return
    header = raw.header(table, "township_name")
    resolved = 0
    for i in df.index[df["township_name"].notna()]:
        name = _text(df.loc[i, "township_name"])
        if not name:
            continue
        if name.isdigit() and len(name) == 9:
            code_now = _text(df.loc[i, "township_code"])
            if not code_now:
                df.loc[i, "township_code"] = name
            continue
        if _text(df.loc[i, "township_code"]):
            continue
        found = towns.find(name) if towns is not None else set()
        if len(found) == 1:
            df.loc[i, "township_code"] = next(iter(found))
            resolved += 1
        else:
            _unresolved(raw, table, int(df.loc[i, "_row"]), header, name, found, "township", "乡镇")
    if resolved:
        raw.problem(
            "note",
            table,
            f"{resolved} township names read as their codes (from the townships table)",
            f"{resolved} 个乡镇名称已按乡镇表转换为代码",
            column=header,
        )


def _unresolved(
    raw: RawBundle, table: str, row: int, header: str, name: str, found: set[str], en: str, zh: str
) -> None:
    if found:
        raw.problem(
            "error",
            table,
            f"ambiguous {en} name: it matches {', '.join(sorted(found))}; write the code instead",
            f"{zh}名称有歧义：对应 {'、'.join(sorted(found))}；请填写代码",
            row,
            header,
            name,
        )
    else:
        raw.problem(
            "error",
            table,
            f"unknown {en} name: no {en} of this county is called so",
            f"未知的{zh}名称：本县没有该{zh}",
            row,
            header,
            name,
        )


def _township_codes_from_nbs(raw: RawBundle, towns: pd.DataFrame, adcode: str) -> None:
    """Give townships listed by name only their NBS codes (a note; an error where none fits)."""
    missing = towns["code"].isna() | (towns["code"].astype("string").str.strip() == "")
    if not missing.any():
        return
    from tcmcounty.inputs import nbs

    header = raw.header("townships", "name")
    filled = 0
    for i in towns.index[missing]:
        name = _text(towns.loc[i, "name"])
        found: list[tuple[str, str]] = []
        if adcode.isdigit() and len(adcode) == 6 and name:
            try:
                found = nbs.find_township(adcode, name)
            except LookupError:
                found = []
        if len(found) == 1:
            towns.loc[i, "code"] = found[0][0]
            filled += 1
            continue
        raw.problem(
            "error",
            "townships",
            "township code missing, and "
            + (
                f"the name matches several NBS townships ({', '.join(f'{c} {n}' for c, n in found)})"
                if found
                else "no NBS township of this county has this name"
            )
            + "; write the 9-digit code",
            "缺少乡镇代码，且"
            + ("名称对应多个统计局乡镇" if found else "本县统计用区划代码中没有该名称")
            + "；请填写9位代码",
            int(towns.loc[i, "_row"]),
            header,
            name,
        )
    if filled:
        raw.problem(
            "note",
            "townships",
            f"{filled} township codes taken from the NBS 2023 codes by name",
            f"{filled} 个乡镇代码按名称取自国家统计局 2023 年统计用区划代码",
            column=header,
        )


def _village_codes_from_nbs(raw: RawBundle, villages: pd.DataFrame, adcode: str) -> None:
    missing = villages["code"].isna() | (villages["code"].astype("string").str.strip() == "")
    if not missing.any():
        return
    finder = None
    try:
        from tcmcounty.inputs import nbs

        finder = nbs.find_village
    except ImportError:  # pragma: no cover - the national table ships with the package
        finder = None
    header = raw.header("villages", "code")
    filled = 0
    for i in villages.index[missing]:
        name = _text(villages.loc[i, "name"])
        town = _text(villages.loc[i, "township_code"]) or None
        found: list[tuple[str, str]] = []
        if finder is not None and adcode.isdigit() and len(adcode) == 6 and name:
            try:
                found = list(finder(adcode, name, town))
            except LookupError:
                found = []
        codes = {c for c, _ in found}
        if len(codes) == 1:
            code = next(iter(codes))
            villages.loc[i, "code"] = code
            if not town:
                villages.loc[i, "township_code"] = code[:9]
            filled += 1
        elif codes:
            raw.problem(
                "error",
                "villages",
                f"village code missing and the name matches several NBS villages: "
                f"{', '.join(f'{c} {n}' for c, n in found)}; write the code",
                f"缺少村代码，且名称对应多个统计局村级单位：{'、'.join(c for c, _ in found)}；请填写代码",
                int(villages.loc[i, "_row"]),
                header,
                name,
            )
        else:
            raw.problem(
                "error",
                "villages",
                "village code missing, and no NBS village of this county has this name; write the "
                "12-digit code",
                "缺少村代码，且本县统计用区划代码中没有该名称；请填写12位代码",
                int(villages.loc[i, "_row"]),
                header,
                name,
            )
    if filled:
        raw.problem(
            "note",
            "villages",
            f"{filled} villages given only by name got their NBS 2023 code",
            f"{filled} 个村/社区仅有名称，已按国家统计局 2023 年区划代码补全代码",
            column=header,
        )
    missing_town = villages["township_code"].isna()
    for i in villages.index[missing_town]:
        raw.problem(
            "error",
            "villages",
            "the village's township is missing (give its code or name)",
            "缺少所属乡镇（代码或名称）",
            int(villages.loc[i, "_row"]),
            raw.header("villages", "township_code"),
        )


def _facility_villages(
    raw: RawBundle, df: pd.DataFrame, villages: _Names | None, village_town: dict[str, str]
) -> None:
    if "village_name" not in df or not df["village_name"].notna().any():
        return
    header = raw.header("facilities", "village_name")
    resolved = 0
    for i in df.index[df["village_name"].notna()]:
        name = _text(df.loc[i, "village_name"])
        if not name or _text(df.loc[i, "village_code"]):
            continue
        if name.isdigit() and len(name) == 12:
            df.loc[i, "village_code"] = name
            continue
        town = _text(df.loc[i, "township_code"])
        within = {c for c, t in village_town.items() if t == town} if town else None
        found = villages.find(name, within) if villages is not None else set()
        if len(found) == 1:
            code = next(iter(found))
            df.loc[i, "village_code"] = code
            if not town and code in village_town:
                df.loc[i, "township_code"] = village_town[code]
            resolved += 1
        else:
            _unresolved(
                raw, "facilities", int(df.loc[i, "_row"]), header, name, found, "village", "村/社区"
            )
    if resolved:
        raw.problem(
            "note",
            "facilities",
            f"{resolved} village names read as their codes (from the villages table)",
            f"{resolved} 个村/社区名称已按村表转换为代码",
            column=header,
        )


#: Words in an alliance's name that say its kind (first match wins).
_KIND_WORDS = (
    ("医共体", "county_medical_community"),
    ("共同体", "county_medical_community"),
    ("总院", "county_medical_community"),
    ("医疗集团", "urban_medical_group"),
    ("专科联盟", "specialty_alliance"),
    ("远程", "telemedicine_network"),
)


def _alliances_from_names(facilities: pd.DataFrame) -> pd.DataFrame:
    """Build the alliance table from the alliance names on the facility rows (no sheet of its own).

    Each distinct name is an alliance (its id is its name); its kind comes from its name
    (``…医共体`` is a county medical community), else ``other``; members are added from the
    facility rows by :func:`_alliances`.
    """
    names: list[str] = []
    for tokens in facilities["alliance_ids"]:
        for t in tokens if isinstance(tokens, list) else []:
            if t not in names:
                names.append(t)
    kinds = [next((k for w, k in _KIND_WORDS if w in n), "other") for n in names]
    return pd.DataFrame(
        {
            "_row": pd.Series([0] * len(names), dtype="int64"),
            "id": pd.array(names, dtype="string"),
            "name": pd.array(names, dtype="string"),
            "kind": pd.array(kinds, dtype="string"),
            "lead_facility_id": pd.array([None] * len(names), dtype="string"),
            "member_ids": pd.Series([[] for _ in names], dtype=object),
            "status": pd.array([None] * len(names), dtype="string"),
            "source": pd.array([None] * len(names), dtype="string"),
        }
    )


def _alliances(raw: RawBundle, facilities: pd.DataFrame) -> None:
    alliances = raw.tables.get("alliances")
    ids = [_text(v) for v in facilities["id"]]
    fac_names = _Names(ids, [_text(v) for v in facilities["name"]])
    id_set = set(ids)

    if alliances is not None and len(alliances):
        for i in alliances.index:
            lead = _text(alliances.loc[i, "lead_facility_id"])
            if lead and lead not in id_set:
                found = fac_names.find(lead)
                if len(found) == 1:
                    alliances.loc[i, "lead_facility_id"] = next(iter(found))
            members = alliances.loc[i, "member_ids"]
            if isinstance(members, list) and members:
                out = []
                for m in members:
                    fid = m if m in id_set else None
                    if fid is None:
                        found = fac_names.find(m)
                        fid = next(iter(found)) if len(found) == 1 else None
                    out.append(fid or m)  # unknown ids are reported by validation
                alliances.loc[i, "member_ids"] = out
    if "alliance_ids" not in facilities or not facilities["alliance_ids"].apply(bool).any():
        return
    header = raw.header("facilities", "alliance_ids")
    if alliances is None or not len(alliances):
        alliances = _alliances_from_names(facilities)
        raw.tables["alliances"] = alliances
        raw.problem(
            "note",
            "facilities",
            f"no alliance sheet: {len(alliances)} alliance(s) made from the names in this column "
            f"({'; '.join(alliances['name'].astype(str))}); their lead facilities are not known",
            f"无医联体表：已按本列名称建立 {len(alliances)} 个医联体；牵头机构未知",
            column=header,
        )
    a_ids = [_text(v) for v in alliances["id"]]
    a_names = _Names(a_ids, [_text(v) for v in alliances["name"]])
    added = 0
    by_alliance: dict[str, list[str]] = defaultdict(list)
    for i, fid in zip(facilities.index, ids, strict=True):
        tokens = facilities.loc[i, "alliance_ids"]
        if not isinstance(tokens, list):
            continue
        for token in tokens:
            aid = token if token in a_ids else None
            if aid is None:
                found = a_names.find(token)
                if len(found) == 1:
                    aid = next(iter(found))
                else:
                    _unresolved(
                        raw,
                        "facilities",
                        int(facilities.loc[i, "_row"]),
                        header,
                        token,
                        found,
                        "alliance",
                        "医联体",
                    )
                    continue
            by_alliance[aid].append(fid)
    for j in alliances.index:
        aid = _text(alliances.loc[j, "id"])
        listed = alliances.loc[j, "member_ids"]
        listed = list(listed) if isinstance(listed, list) else []
        for member in by_alliance.get(aid, []):
            if member not in listed:
                listed.append(member)
                added += 1
        alliances.loc[j, "member_ids"] = listed
    if added:
        raw.problem(
            "note",
            "facilities",
            f"alliance membership read from the facility rows ({added} memberships)",
            f"已从机构表读取医联体成员关系（{added} 条）",
            column=header,
        )
