"""What a county's facility roster should list, and how much of it is missing.

The county's own structure says how many primary-care units its roster should hold: every
乡/镇 has a 乡镇卫生院 (or a 社区卫生服务中心), every township with 行政村 has 村卫生室 (or
社区卫生服务站). :func:`roster_gaps` compares the roster with that structure; the indicator
engine withholds a verdict the missing units could change
(:mod:`tcmcounty.indicators.verdicts`) and ``validate`` warns with the same words
(:func:`gap_problems`), so a half-filled roster never reads 达标.

The rule is deliberately a *lower bound* on what is missing, so that it never calls a complete
roster incomplete:

* **centres**: a 乡 or 镇 with no 乡镇卫生院 / 社区卫生服务中心 listed is missing one (街道 and
  其他 are not counted: a 街道 is often served by another unit);
* **clinics**: a township (乡 / 镇 / 街道, not 其他 such as 林场 or 开发区) with 行政村 (村, not
  社区) and no 村卫生室 / 社区卫生服务站 listed is missing one per 行政村; a township with at least one listed is taken as complete (villages
  merged or sharing a clinic are common);
* units listed without a township could belong to any empty township: they reduce the count;
* **declared numbers**: when the county says how many units it has (``[units]`` of
  ``county.toml``, 基本情况 rows such as 村卫生室（个）), the county as a whole misses at least
  the declared number of the group's declared types less the units of those types listed:
  missing = max(the structure's lower bound, declared − listed). A roster listing *more* than
  declared is not a gap (:attr:`Gap.surplus`: a stale declaration or a unit listed twice).

The structure is the county's own townships and villages when they say their types, else the
NBS 2023 codes (:func:`tcmcounty.inputs.structure.expected_structure`); only tables are read,
so the same function serves the raw tables of validation and a loaded
:class:`~tcmcounty.county.County`.

Examples
--------
>>> import pandas as pd
>>> towns = pd.DataFrame({"code": ["1", "2", "3"], "name": ["甲镇", "乙乡", "丙街道"],
...                       "type": ["镇", "乡", "街道"]})
>>> villages = pd.DataFrame({"township_code": ["1", "1", "2"], "kind": ["村", "村", "村"]})
>>> fac = pd.DataFrame({"type": ["township_health_centre", "village_clinic"],
...                     "township_code": ["1", "1"]})
>>> gaps = roster_gaps(Structure(towns, villages), fac)
>>> gaps["centres"].missing, gaps["clinics"].missing
(1, 1)
>>> print(gaps["centres"].zh)
名册列出 1/2 个乡镇的卫生院
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

#: Facility types whose roster is checked against the county's structure, by group.
GROUP_TYPES: dict[str, tuple[str, ...]] = {
    "centres": ("township_health_centre", "community_health_centre"),
    "clinics": ("village_clinic", "community_health_station"),
}
#: Township types that must have a health centre of their own.
CENTRE_PLACES: tuple[str, ...] = ("乡", "镇")
#: Township type of units that are not townships (林场, 开发区, 农场): no clinic is expected there.
OTHER_PLACE = "其他"
#: Village kind that must have a clinic (行政村; a 社区 may be served by a station elsewhere).
CLINIC_PLACE = "村"
#: Clinics (村卫生室 + 社区卫生服务站) a roster must list per 行政村 of the county's NBS 2023 codes
#: when the county declares no number of clinics. The policy is one clinic per 行政村 (一村一室);
#: two for every three is a bound well below it (the complete county files of the test corpora
#: list 0.89 to 1.1 per 行政村), while a roster of one clinic in every other village, complete in
#: each township's eyes, falls under it. A county with fewer clinics gives their number.
MIN_CLINICS_PER_VILLAGE = 2 / 3
#: How the facility types of the groups are named in a gap's words: type -> (English, Chinese).
TYPE_WORDS: dict[str, tuple[str, str]] = {
    "township_health_centre": ("township health centres", "乡镇卫生院"),
    "community_health_centre": ("community health centres", "社区卫生服务中心"),
    "village_clinic": ("village clinics", "村卫生室"),
    "community_health_station": ("community health stations", "社区卫生服务站"),
}


def declared_units(section: object) -> dict[str, int]:
    """Return the declared numbers of units of a ``[units]`` section that can be used.

    Only the facility types of :data:`GROUP_TYPES` with a whole number >= 0 are kept (a value
    that is not one is reported where it is read); anything else gives an empty dict.

    Examples
    --------
    >>> declared_units({"village_clinic": 312, "township_health_centre": 19.0, "year": 2023})
    {'village_clinic': 312, 'township_health_centre': 19}
    >>> declared_units({"village_clinic": "312个"}), declared_units(None)
    ({}, {})
    """
    if not isinstance(section, dict):
        return {}
    types = {t for ts in GROUP_TYPES.values() for t in ts}
    out: dict[str, int] = {}
    for k, v in section.items():
        if k not in types or isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if v >= 0 and float(v).is_integer():
            out[str(k)] = int(v)
    return out


@dataclass(frozen=True)
class Structure:
    """The townships and villages a county's roster is checked against.

    Attributes
    ----------
    townships : pandas.DataFrame
        ``code``, ``name`` and ``type`` (乡 / 镇 / 街道 / 其他).
    villages : pandas.DataFrame
        ``township_code`` and ``kind`` (村 / 社区).
    source : {"county", "nbs"}
        The county's own tables, or the NBS 2023 codes.
    nbs_villages : int or None
        行政村 of the county in the NBS 2023 codes (``None``: not known), whatever ``source``:
        the size the roster's clinics are checked against (:data:`MIN_CLINICS_PER_VILLAGE`).
    """

    townships: pd.DataFrame
    villages: pd.DataFrame
    source: str = "county"
    nbs_villages: int | None = None


@dataclass(frozen=True)
class Gap:
    """How much of one group of the roster is missing in one area.

    Attributes
    ----------
    group : {"centres", "clinics"}
        Which units.
    places : int
        Townships that must have a unit of the group (乡/镇 for centres; townships with 行政村
        for clinics).
    places_listed : int
        Of those, how many have at least one unit listed.
    missing : int
        Units expected but not listed (a lower bound; see the module's rule).
    villages : int
        For clinics: the 行政村 of the townships with none listed.
    empty : tuple of str
        Names of the townships with none listed.
    declared : tuple of (str, int)
        The numbers the county declares of the group's types (county as a whole only; empty:
        none declared), e.g. ``(("village_clinic", 312),)``.
    listed : int
        Units of the declared types the roster lists (0 when nothing is declared).
    nbs_villages, nbs_listed : int
        For clinics of the county as a whole, when it declares no number: its 行政村 in the NBS
        2023 codes and the clinics listed, when these are fewer than
        :data:`MIN_CLINICS_PER_VILLAGE` per 行政村 (else 0, 0).
    """

    group: str
    places: int
    places_listed: int
    missing: int
    villages: int = 0
    empty: tuple[str, ...] = ()
    declared: tuple[tuple[str, int], ...] = ()
    listed: int = 0
    nbs_villages: int = 0
    nbs_listed: int = 0

    @property
    def complete(self) -> bool:
        """Return True when no unit of the group is missing."""
        return self.missing == 0

    @property
    def declared_total(self) -> int | None:
        """The number of units of the group the county declares (None: it declares none)."""
        return sum(n for _, n in self.declared) if self.declared else None

    @property
    def short(self) -> int:
        """Declared units the roster does not list (0 when it lists them all or more)."""
        total = self.declared_total
        return max(0, total - self.listed) if total is not None else 0

    @property
    def nbs_short(self) -> int:
        """Clinics below :data:`MIN_CLINICS_PER_VILLAGE` per NBS 行政村 (0: not so, or unknown)."""
        if not self.nbs_villages:
            return 0
        return max(0, math.ceil(MIN_CLINICS_PER_VILLAGE * self.nbs_villages) - self.nbs_listed)

    def _nbs_words(self) -> tuple[str, str]:
        """Say that the roster lists fewer clinics than half the county's 行政村 (en, zh)."""
        return (
            f"the roster lists {self.nbs_listed} village clinics and stations for the "
            f"{self.nbs_villages} 行政村 of the county's NBS 2023 codes, fewer than two for every "
            "three (the policy is one each): list them all, or give their number (村卫生室 个数) "
            "on the county sheet",
            f"名册仅列出 {self.nbs_listed} 个村卫生室、社区卫生服务站，而本县国家统计局 2023 年"
            f"区划代码有 {self.nbs_villages} 个行政村（不足每三个村两个，政策为一村一室）：请列全，"
            "或在基本情况中填写村卫生室个数",
        )

    @property
    def surplus(self) -> int:
        """Units listed beyond the declared number (a stale declaration or duplicates)."""
        total = self.declared_total
        return max(0, self.listed - total) if total is not None else 0

    def _declared_words(self) -> tuple[str, str]:
        """Return ``the roster lists 150 of the 312 village clinics the county declares`` (en, zh)."""
        total = self.declared_total
        en_t = " and ".join(TYPE_WORDS[t][0] for t, _ in self.declared)
        zh_t = "、".join(TYPE_WORDS[t][1] for t, _ in self.declared)
        if len(self.declared) == 1:
            en_d, zh_d = "", f" {total} 个"
        else:
            en_d = " (" + ", ".join(f"{n} {TYPE_WORDS[t][0]}" for t, n in self.declared) + ")"
            zh_d = "、".join(f"{TYPE_WORDS[t][1]} {n} 个" for t, n in self.declared)
        return (
            f"the roster lists {self.listed} of the {total} {en_t} the county declares{en_d}",
            f"名册列出 {self.listed}/{total} 个{zh_t}（基本情况申报{zh_d}）",
        )

    def surplus_text(self) -> tuple[str, str]:
        """Say that the roster lists more units than declared, naming both numbers (en, zh).

        Examples
        --------
        >>> g = Gap("clinics", 0, 0, 0, declared=(("village_clinic", 3),), listed=4)
        >>> print(g.surplus_text()[1])
        名册列出 4 个村卫生室，多于基本情况申报的 3 个：申报数可能已过时，或有机构重复列出；请核对
        """
        total = self.declared_total
        en_t = " and ".join(TYPE_WORDS[t][0] for t, _ in self.declared)
        zh_t = "、".join(TYPE_WORDS[t][1] for t, _ in self.declared)
        return (
            f"the roster lists {self.listed} {en_t}, more than the {total} the county declares: "
            "the declared number may be out of date, or a unit is listed twice; check both",
            f"名册列出 {self.listed} 个{zh_t}，多于基本情况申报的 {total} 个："
            "申报数可能已过时，或有机构重复列出；请核对",
        )

    @property
    def zh(self) -> str:
        """The gap in Chinese words (``名册列出 1/20 个乡镇的卫生院``)."""
        parts = [self._declared_words()[1]] if self.short else []
        parts += [self._nbs_words()[1]] if self.nbs_short else []
        if self.places_listed < self.places or not parts:
            if self.group == "centres":
                parts.append(f"名册列出 {self.places_listed}/{self.places} 个乡镇的卫生院")
            else:
                empty = self.places - self.places_listed
                parts.append(
                    f"名册中 {empty}/{self.places} 个有行政村的乡镇未列出任何村卫生室"
                    f"（共 {self.villages} 个行政村）"
                )
        return "，".join(parts)

    @property
    def en(self) -> str:
        """The gap in English words."""
        parts = [self._declared_words()[0]] if self.short else []
        parts += [self._nbs_words()[0]] if self.nbs_short else []
        if self.places_listed < self.places or not parts:
            if self.group == "centres":
                parts.append(
                    f"the roster lists health centres for {self.places_listed} of {self.places} "
                    "townships (乡/镇)"
                )
            else:
                empty = self.places - self.places_listed
                parts.append(
                    f"{empty} of {self.places} townships with villages list no village clinic "
                    f"({self.villages} villages)"
                )
        return ", and ".join(parts)


def _codes(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip()


def roster_gaps(
    structure: Structure | None,
    facilities: pd.DataFrame,
    area: str | None = None,
    declared: dict[str, int] | None = None,
) -> dict[str, Gap]:
    """Compare the roster with the county's townships and villages, group by group.

    Parameters
    ----------
    structure : Structure or None
        What the roster should cover; ``None``: nothing is known, every group is complete.
    facilities : pandas.DataFrame
        The roster (``type`` and ``township_code``).
    area : str, optional
        One township's code: the gap of that township only.
    declared : dict of str to int, optional
        Units the county declares it has, by facility type (:func:`declared_units`); they
        count for the county as a whole.

    Returns
    -------
    dict of str to Gap
        ``"centres"`` and ``"clinics"``.

    Examples
    --------
    >>> fac = pd.DataFrame({"type": ["village_clinic"] * 4, "township_code": ["1"] * 4})
    >>> gap = roster_gaps(None, fac, declared={"village_clinic": 8})["clinics"]
    >>> gap.missing, gap.zh
    (4, '名册列出 4/8 个村卫生室（基本情况申报 8 个）')
    >>> roster_gaps(None, fac, declared={"village_clinic": 4})["clinics"].complete
    True
    """
    return Roster(structure, facilities, declared).gaps(area)


class Roster:
    """A roster read once against its structure: :meth:`gaps` of the county or any township.

    :func:`roster_gaps` for many areas of one county (the indicator engine asks for every
    township): the tables are read once, each area's gaps are then a few look-ups.

    Examples
    --------
    >>> towns = pd.DataFrame({"code": ["1", "2"], "name": ["甲镇", "乙乡"], "type": ["镇", "乡"]})
    >>> villages = pd.DataFrame({"township_code": ["1", "2"], "kind": ["村", "村"]})
    >>> fac = pd.DataFrame({"type": ["township_health_centre"], "township_code": ["1"]})
    >>> r = Roster(Structure(towns, villages), fac)
    >>> r.gaps("2")["centres"].missing, r.gaps("1")["centres"].missing, r.gaps(None)["clinics"].missing
    (1, 0, 2)
    """

    def __init__(
        self,
        structure: Structure | None,
        facilities: pd.DataFrame,
        declared: dict[str, int] | None = None,
    ) -> None:
        towns = structure.townships if structure is not None else pd.DataFrame()
        codes = _codes(towns["code"]) if "code" in towns else pd.Series(dtype="string")
        kinds = towns["type"].astype("string") if "type" in towns else pd.Series(dtype="string")
        self._names = (
            dict(zip(codes, towns["name"].astype(str), strict=True)) if "name" in towns else {}
        )
        f = facilities if facilities is not None else pd.DataFrame()
        f_types = f["type"].astype("string") if "type" in f else pd.Series(dtype="string")
        f_towns = _codes(f["township_code"]) if "township_code" in f else pd.Series(dtype="string")
        self._listed_in: dict[str, set[object]] = {}
        self._unlocated: dict[str, int] = {}
        # the county's declared numbers: (type, declared) of each group and the units listed
        self._declared: dict[str, tuple[tuple[str, int], ...]] = {}
        self._listed: dict[str, int] = {}
        given = declared or {}
        for group, types in GROUP_TYPES.items():
            mine_declared = tuple((t, int(given[t])) for t in types if t in given)
            if mine_declared:
                self._declared[group] = mine_declared
                kinds_declared = [t for t, _ in mine_declared]
                self._listed[group] = int(f_types.isin(kinds_declared).fillna(False).sum())
        for group, types in GROUP_TYPES.items():
            mine = f_types.isin(types).fillna(False).to_numpy(dtype=bool)
            self._listed_in[group] = set(f_towns[mine].dropna())
            self._unlocated[group] = int(f_towns[mine].isna().sum())
        self._need = list(
            codes[kinds.isin(CENTRE_PLACES).fillna(False).to_numpy(dtype=bool)].dropna()
        )
        self._real = set(codes[~kinds.eq(OTHER_PLACE).fillna(False).to_numpy(dtype=bool)].dropna())
        villages = structure.villages if structure is not None else None
        self._villages = _villages_per_township(villages, None)
        # with no declared number of clinics, the county's NBS 行政村 bound them from below
        n_nbs = structure.nbs_villages if structure is not None else None
        self._nbs_villages = n_nbs if n_nbs and "clinics" not in self._declared else 0
        clinic = f_types.isin(GROUP_TYPES["clinics"]).fillna(False)
        self._clinics_listed = int(clinic.sum())

    def gaps(self, area: str | None = None) -> dict[str, Gap]:
        """Return the gaps of the county (``area`` None) or of one township, as :func:`roster_gaps`."""
        out: dict[str, Gap] = {}
        for group in GROUP_TYPES:
            listed_in = self._listed_in[group]
            unlocated = self._unlocated[group] if area is None else 0
            if group == "centres":
                per_town = {str(c): 1 for c in self._need if area is None or c == area}
            else:
                counts = (
                    self._villages
                    if area is None
                    else {k: n for k, n in self._villages.items() if k == area}
                )
                per_town = {c: n for c, n in counts.items() if c in self._real}
            empty = {c: n for c, n in per_town.items() if c not in listed_in}
            n_villages = sum(empty.values())
            missing = max(0, n_villages - unlocated)
            declared = self._declared.get(group, ()) if area is None else ()
            listed = self._listed.get(group, 0) if declared else 0
            if declared:  # the county's own count: at least declared − listed are missing
                missing = max(missing, sum(n for _, n in declared) - listed)
            nbs = (self._nbs_villages, self._clinics_listed)
            if group != "clinics" or area is not None or not self._nbs_villages:
                nbs = (0, 0)
            elif self._clinics_listed >= MIN_CLINICS_PER_VILLAGE * self._nbs_villages:
                nbs = (0, 0)
            else:
                floor = math.ceil(MIN_CLINICS_PER_VILLAGE * self._nbs_villages)
                missing = max(missing, floor - self._clinics_listed)
            out[group] = Gap(
                group,
                len(per_town),
                len(per_town) - len(empty),
                missing,
                n_villages if group == "clinics" else 0,
                tuple(self._names.get(c, c) for c in empty),
                declared,
                listed,
                *nbs,
            )
        return out


def _villages_per_township(villages: pd.DataFrame | None, area: str | None) -> dict[str, int]:
    """行政村 per township code (townships with none are left out)."""
    if villages is None or not len(villages) or "township_code" not in villages:
        return {}
    v = villages
    if "kind" in v:
        v = v[v["kind"].astype("string").eq(CLINIC_PLACE).fillna(False).to_numpy(dtype=bool)]
    towns = _codes(v["township_code"]).dropna()
    if area is not None:
        towns = towns[towns == area]
    return {str(k): int(n) for k, n in towns.value_counts(sort=False).items()}


def groups_of(types: Iterable[str]) -> tuple[str, ...]:
    """Return the roster groups the facility ``types`` belong to, in :data:`GROUP_TYPES` order.

    Examples
    --------
    >>> groups_of(["village_clinic", "tcm_clinic"])
    ('clinics',)
    """
    wanted = set(types)
    return tuple(g for g, ts in GROUP_TYPES.items() if wanted & set(ts))


#: Names of empty townships listed by ``gap_text(..., names=True)`` at most.
NAMES_SHOWN = 5


def gap_text(gaps: Iterable[Gap], *, names: bool = False) -> tuple[str, str]:
    """Return the incomplete gaps of ``gaps`` as one (English, Chinese) sentence pair.

    With ``names``, the first :data:`NAMES_SHOWN` townships with none listed are named.

    Examples
    --------
    >>> gap_text([Gap("centres", 20, 1, 19)])
    ('incomplete data: the roster lists health centres for 1 of 20 townships (乡/镇)', '数据不全：名册列出 1/20 个乡镇的卫生院')
    >>> gap_text([Gap("centres", 20, 20, 0)])
    ('', '')
    """
    open_ = [g for g in gaps if not g.complete]
    if not open_:
        return "", ""
    en = [
        g.en + (f" (none in {_names(g.empty, ', ')})" if names and g.empty else "") for g in open_
    ]
    zh = [
        g.zh + (f"（未列出：{_names(g.empty, '、')}）" if names and g.empty else "") for g in open_
    ]
    return "incomplete data: " + "; ".join(en), "数据不全：" + "；".join(zh)


def _names(empty: tuple[str, ...], sep: str) -> str:
    more = len(empty) - NAMES_SHOWN
    return sep.join(empty[:NAMES_SHOWN]) + (f"{sep}… (+{more})" if more > 0 else "")


#: How each group of units is named in a sentence (English, Chinese); ``other``: the rest.
GROUP_LABELS: dict[str, tuple[str, str]] = {
    "centres": ("health centres", "卫生院（社区卫生服务中心）"),
    "clinics": ("village clinics", "村卫生室（社区卫生服务站）"),
    "other": ("facilities", "机构"),
}
#: Columns of the roster that the share indicators read, by group (blanks make units unknown).
GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "centres": (
        "has_tcm_hall",
        "is_quality_tcm_hall",
        "physicians",
        "tcm_physicians",
        "tcm_techniques",
        "tcm_technique_categories",
    ),
    "clinics": ("provides_tcm", "has_tcm_pavilion", "tcm_techniques", "tcm_technique_categories"),
}


def group_of(facility_type: str) -> str:
    """Return the roster group of one facility type (``"other"`` outside the groups).

    Examples
    --------
    >>> group_of("village_clinic"), group_of("county_tcm_hospital")
    ('clinics', 'other')
    """
    return next((g for g, ts in GROUP_TYPES.items() if facility_type in ts), "other")


def blank_text(group: str, blank: int, listed: int, columns: Iterable[str]) -> tuple[str, str]:
    """Say that ``blank`` of ``listed`` units of ``group`` left ``columns`` blank (en, zh).

    Examples
    --------
    >>> blank_text("clinics", 31, 199, ["has_tcm_pavilion"])[1]
    '名册中 31/199 个村卫生室（社区卫生服务站）未填中医阁'
    """
    from tcmcounty.schema import TABLES

    cols = list(columns)
    table = TABLES["facilities"]
    known = {c.name: c.zh for c in table.columns}
    zh_cols = "、".join(known.get(c, c) for c in cols)
    en, zh = GROUP_LABELS.get(group, GROUP_LABELS["other"])
    return (
        f"{blank} of {listed} listed {en} left {', '.join(cols)} blank",
        f"名册中 {blank}/{listed} 个{zh}未填{zh_cols}",
    )
