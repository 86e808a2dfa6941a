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
* units listed without a township could belong to any empty township: they reduce the count.

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
    """

    townships: pd.DataFrame
    villages: pd.DataFrame
    source: str = "county"


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
    """

    group: str
    places: int
    places_listed: int
    missing: int
    villages: int = 0
    empty: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Return True when no unit of the group is missing."""
        return self.missing == 0

    @property
    def zh(self) -> str:
        """The gap in Chinese words (``名册列出 1/20 个乡镇的卫生院``)."""
        if self.group == "centres":
            return f"名册列出 {self.places_listed}/{self.places} 个乡镇的卫生院"
        empty = self.places - self.places_listed
        return (
            f"名册中 {empty}/{self.places} 个有行政村的乡镇未列出任何村卫生室"
            f"（共 {self.villages} 个行政村）"
        )

    @property
    def en(self) -> str:
        """The gap in English words."""
        if self.group == "centres":
            return (
                f"the roster lists health centres for {self.places_listed} of {self.places} "
                "townships (乡/镇)"
            )
        empty = self.places - self.places_listed
        return (
            f"{empty} of {self.places} townships with villages list no village clinic "
            f"({self.villages} villages)"
        )


def _codes(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip()


def roster_gaps(
    structure: Structure | None, facilities: pd.DataFrame, area: str | None = None
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

    Returns
    -------
    dict of str to Gap
        ``"centres"`` and ``"clinics"``.
    """
    return Roster(structure, facilities).gaps(area)


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

    def __init__(self, structure: Structure | None, facilities: pd.DataFrame) -> None:
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
            out[group] = Gap(
                group,
                len(per_town),
                len(per_town) - len(empty),
                max(0, n_villages - unlocated),
                n_villages if group == "clinics" else 0,
                tuple(self._names.get(c, c) for c in empty),
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
    en = [g.en + (f" (none in {_names(g.empty, ', ')})" if names else "") for g in open_]
    zh = [g.zh + (f"（未列出：{_names(g.empty, '、')}）" if names else "") for g in open_]
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
