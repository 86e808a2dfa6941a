"""County totals from the facility roster: derived where the county gives none, compared where it does.

Counties often send only the facility roster (医疗机构名册): beds, physicians, nurses and TCM
physicians per facility, and no county totals on the county sheet. For these four totals
(:data:`ROSTER_TOTALS`):

* the county gives an official figure and the roster has the column: the two are compared, and a
  difference above :data:`MAX_DIFFERENCE` is a warning naming both numbers (the county figure is
  used);
* the county gives neither a figure nor an estimate: the roster's sum is the county total,
  marked ``derived = "roster"`` (:attr:`tcmcounty.county.Figure.derived`) with the weakest status
  of the rows summed, provided at least :data:`MIN_REPORTING` of the facilities and every
  county-level hospital (:data:`COUNTY_HOSPITALS`) report the column; otherwise it is not derived
  (the figure stays *not reported*) and a warning says why: a partial sum must never look
  complete;
* the county gives only an estimate: the estimate is kept; a note gives the roster's sum when the
  roster is complete and differs from it by more than :data:`MAX_DIFFERENCE`.

:func:`check_roster_totals` reports these (``tcmcounty validate``); :func:`apply_roster_totals`
builds the derived figures (:func:`tcmcounty.inputs.load.build_county`). Both read the same
:func:`roster_sums`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import pandas as pd

from tcmcounty.county import (
    DERIVED_ROSTER,
    DERIVED_TOWNSHIPS,
    RESOURCE_KEYS,
    Figure,
    FigureEntry,
    weakest_status,
)
from tcmcounty.inputs.consistency import SUM_TOLERANCE
from tcmcounty.inputs.raw import RawBundle

#: County totals the roster can give: resource key (``[resources.<key>]``) -> facility column.
ROSTER_TOTALS: dict[str, str] = {
    "beds": "beds",
    "physicians": "physicians",
    "nurses": "nurses",
    "tcm_physicians": "tcm_physicians",
}
#: Share of the roster's facilities that must report a column for its sum to stand for the county.
MIN_REPORTING = 0.9
#: Relative difference between a county figure and the roster's sum above which a warning is given.
MAX_DIFFERENCE = 0.05
#: Facility types of the county-level hospitals: a sum without one of them is far from complete.
COUNTY_HOSPITALS: tuple[str, ...] = (
    "county_general_hospital",
    "county_tcm_hospital",
    "maternal_child_hospital",
)


def number_text(x: float) -> str:
    """Return a count with thousands separators (``1,866``; decimals only when it has some).

    Examples
    --------
    >>> number_text(1866.0), number_text(12.5)
    ('1,866', '12.5')
    """
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,}"


def difference_text(given: float, total: float) -> str:
    """Return the roster's sum relative to the county figure, signed (``−19.6%``, ``+10.0%``).

    Examples
    --------
    >>> difference_text(1866, 1500)
    '−19.6%'
    >>> difference_text(0, 5)
    'county figure 0'
    """
    if given == 0:
        return "county figure 0"
    d = (total - given) / given
    return f"{'−' if d < 0 else '+'}{abs(d):.1%}"


def differs(given: float, total: float) -> bool:
    """Whether the roster's sum differs from a county figure by more than :data:`MAX_DIFFERENCE`.

    Examples
    --------
    >>> differs(100, 105), differs(100, 94), differs(0, 0)
    (False, True, False)
    """
    if given == 0:
        return total != 0
    return abs(total - given) > MAX_DIFFERENCE * abs(given)


@dataclass(frozen=True)
class RosterSum:
    """The sum of one facility column over the roster, and how much of the roster it covers.

    Attributes
    ----------
    key : str
        Resource key (:data:`ROSTER_TOTALS`), also the facility column.
    total : float
        Sum over the facilities that report the column (blank cells are left out, never 0).
    reporting, facilities : int
        Facilities that report the column, and all facilities of the roster.
    status : str
        Weakest status of the rows summed (a row without one is ``official``, as on loading).
    blank_hospitals : tuple of str
        Names of county-level hospitals (:data:`COUNTY_HOSPITALS`) that leave the column blank.
    sources : tuple of str
        Source ids the rows summed cite.
    where : str
        The roster as the user knows it (``facilities.csv``, or the sheet's name).
    total_row_skipped : bool
        The roster had a 合计 row, which the reader skips (it is not a facility).
    """

    key: str
    total: float
    reporting: int
    facilities: int
    status: str
    blank_hospitals: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    where: str = "facilities"
    total_row_skipped: bool = False

    @property
    def enough_facilities(self) -> bool:
        """Whether at least :data:`MIN_REPORTING` of the facilities report the column."""
        return self.facilities > 0 and Fraction(self.reporting, self.facilities) >= Fraction(
            str(MIN_REPORTING)
        )

    @property
    def usable(self) -> bool:
        """Whether the sum may stand for the county total (enough facilities, every hospital)."""
        return self.enough_facilities and not self.blank_hospitals

    @property
    def coverage_en(self) -> str:
        """``"5 of 7 facilities report it"``."""
        return f"{self.reporting:,} of {self.facilities:,} facilities report it"

    @property
    def coverage_zh(self) -> str:
        """``"7 个机构中 5 个填报"``."""
        return f"{self.facilities:,} 个机构中 {self.reporting:,} 个填报"

    def method(self) -> str:
        """How the derived figure was made (:attr:`tcmcounty.county.Figure.method`)."""
        return f"sum of {self.key} over the facility roster ({self.where}): {self.coverage_en}"

    def refusal(self) -> tuple[str, str]:
        """Why the sum is not used as the county total: (English, Chinese)."""
        zh_name = RESOURCE_KEYS.get(self.key, self.key)
        pct = f"{MIN_REPORTING:.0%}"
        if self.enough_facilities:
            en, zh = [self.coverage_en], [self.coverage_zh]
        else:
            en = [f"only {self.coverage_en} (at least {pct} must)"]
            zh = [f"{self.coverage_zh}（须不少于 {pct}）"]
        if self.blank_hospitals:
            en.append(f"county-level hospitals leave it blank: {', '.join(self.blank_hospitals)}")
            zh.append(f"县级医院未填报：{'、'.join(self.blank_hospitals)}")
        if self.reporting:
            en.append(f"those reporting sum to {number_text(self.total)}, a partial sum")
            zh.append(f"已填报机构合计 {number_text(self.total)}，不完整")
        if self.total_row_skipped:
            en.append("the roster's 合计 row is not read (it is not a facility)")
            zh.append("名册的合计行不读取（不是机构）")
        head_en = f"{self.key} is not on the county sheet and is not derived from the roster: "
        head_zh = f"县基本情况未填{zh_name}，且不能由机构名册汇总："
        return (
            head_en + "; ".join(en) + "; give the county total on the county sheet, or fill in "
            "the roster",
            head_zh + "；".join(zh) + "；请在县基本情况中填写全县合计，或补全名册",
        )

    def figure(self, year: int | None) -> Figure:
        """Return the derived figure (``derived = "roster"``, status of the weakest row)."""
        return Figure(
            value=float(self.total),
            status=self.status,  # type: ignore[arg-type]
            year=year,
            source=self.sources[0] if len(self.sources) == 1 else None,
            method=self.method(),
            derived=DERIVED_ROSTER,
        )


def _read_columns(raw: RawBundle) -> set[str | None] | None:
    """Facility columns the reader found in the file (``None`` when it did not say)."""
    readings = [r for r in raw.readings if r.table == "facilities"]
    if not readings:
        return None
    return {c.column for r in readings for c in r.columns}


def _total_row_skipped(raw: RawBundle) -> bool:
    file, sheet = raw.files.get("facilities"), raw.sheets.get("facilities")
    return any(
        p.file == file and p.sheet == sheet and p.message_en.startswith("total row")
        for p in raw.problems
    )


def roster_sum(
    facilities: pd.DataFrame, key: str, *, read: bool = False, where: str = "facilities"
) -> RosterSum | None:
    """Sum one facility column over the roster.

    Parameters
    ----------
    facilities : pandas.DataFrame
        The facility table (``type``, ``name``, ``status``, ``source`` and the column).
    key : str
        A key of :data:`ROSTER_TOTALS`.
    read : bool, default False
        The column was read from the file: a column whose cells are all blank is then a roster
        where no facility reports it (0 of M), not a roster without the column.
    where : str
        The roster's file or sheet, for messages.

    Returns
    -------
    RosterSum or None
        ``None`` when the roster has no facility, or lacks the column (absent, or all blank and
        not read from the file).
    """
    column = ROSTER_TOTALS[key]
    if column not in facilities or not len(facilities):
        return None
    values = pd.to_numeric(facilities[column], errors="coerce").astype("Float64")
    reported = values.notna().to_numpy(dtype=bool)
    if not reported.any() and not read:
        return None
    rows = facilities[reported]
    status = "official"
    if "status" in rows and len(rows):
        status = weakest_status(rows["status"].astype("string").fillna("official")) or "official"
    hospital = (
        facilities["type"].astype("string").isin(COUNTY_HOSPITALS).fillna(False).to_numpy(bool)
        if "type" in facilities
        else False
    )
    blank = ~reported & hospital
    names = facilities.loc[blank, "name"] if "name" in facilities else pd.Series(dtype=object)
    sources: dict[str, None] = {}
    if "source" in rows:
        for text in rows["source"].dropna().astype(str):
            for s in text.replace("；", ";").split(";"):
                if s.strip():
                    sources[s.strip()] = None
    return RosterSum(
        key=key,
        total=float(values[reported].sum()) if reported.any() else 0.0,
        reporting=int(reported.sum()),
        facilities=len(facilities),
        status=status,
        blank_hospitals=tuple(str(n) for n in names.dropna()),
        sources=tuple(sources),
        where=where,
    )


def roster_sums(raw: RawBundle) -> dict[str, RosterSum]:
    """Return the roster's sum of each column of :data:`ROSTER_TOTALS` that the roster has."""
    f = raw.tables.get("facilities")
    if f is None:
        return {}
    read = _read_columns(raw)
    where = raw.sheets.get("facilities") or raw.files.get("facilities") or "facilities"
    skipped = _total_row_skipped(raw)
    out: dict[str, RosterSum] = {}
    for key, column in ROSTER_TOTALS.items():
        s = roster_sum(f, key, read=read is not None and column in read, where=str(where))
        if s is not None:
            out[key] = replace(s, total_row_skipped=skipped)
    return out


def _given(raw: RawBundle, key: str) -> tuple[float | None, float | None, dict[str, object]]:
    """Return the official value and estimate of ``[resources.<key>]`` (``None`` when absent)."""
    res = raw.meta.get("resources")
    entry = res.get(key) if isinstance(res, dict) else None
    entry = entry if isinstance(entry, dict) else {}

    def number(d: object) -> float | None:
        v = d.get("value") if isinstance(d, dict) else None
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v == v
        return float(v) if ok else None  # type: ignore[arg-type]

    return number(entry), number(entry.get("estimate")), entry


def check_roster_totals(raw: RawBundle) -> None:
    """Compare the county totals with the roster's sums; say which totals are derived or not.

    Appends to ``raw.problems``: a **warning** when the county figure and the roster's sum differ
    by more than :data:`MAX_DIFFERENCE` (both numbers named), a **warning** when a total the
    county does not give cannot be derived (too few facilities report it), a **note** when it
    is derived, and a note when the county's estimate differs from a complete roster's sum.
    """
    for key, s in roster_sums(raw).items():
        zh_name = RESOURCE_KEYS.get(key, key)
        given, estimate, entry = _given(raw, key)
        row = entry.get("_row")
        column = str(entry.get("_column", f"resources.{key}"))
        partial_en = "" if s.reporting == s.facilities else f" over the {s.coverage_en}"
        partial_zh = "" if s.reporting == s.facilities else f"（{s.coverage_zh}）"
        if given is not None:
            if s.reporting and s.total > given * (1 + SUM_TOLERANCE):
                diff = difference_text(given, s.total)
                raw.problem(
                    "error",
                    "county",
                    f"the roster's facilities add up to more {key} ({number_text(s.total)}) than "
                    f"the county total on the county sheet ({number_text(given)}, {diff}): "
                    "impossible, the county total counts every facility; correct one of them",
                    f"机构名册合计{zh_name} {number_text(s.total)}，多于县基本情况中的全县合计 "
                    f"{number_text(given)}（{diff}），不可能：全县合计包含所有机构；请更正其一",
                    row,  # type: ignore[arg-type]
                    column,
                    number_text(given),
                )
            elif s.reporting and differs(given, s.total):
                diff = difference_text(given, s.total)
                raw.problem(
                    "warning",
                    "county",
                    f"county sheet says {key} {number_text(given)}; the roster sums to "
                    f"{number_text(s.total)} ({diff}){partial_en}; the county figure is used, "
                    "check which is right (a roster may miss facilities or be of another year)",
                    f"县基本情况中{zh_name}为 {number_text(given)}；机构名册合计为 "
                    f"{number_text(s.total)}（{diff}）{partial_zh}；采用县基本情况数值，请核对",
                    row,  # type: ignore[arg-type]
                    column,
                    number_text(given),
                )
        elif estimate is not None:
            if s.usable and differs(estimate, s.total):
                raw.problem(
                    "note",
                    "county",
                    f"{key}: the county gives only an estimate ({number_text(estimate)}); the "
                    f"roster sums to {number_text(s.total)} ({s.coverage_en}); the estimate is "
                    "used, leave it out to use the roster's sum",
                    f"{zh_name}：县基本情况只有估算值（{number_text(estimate)}）；机构名册合计为 "
                    f"{number_text(s.total)}（{s.coverage_zh}）；现用估算值，删去估算值则采用名册合计",
                    row,  # type: ignore[arg-type]
                    f"{column}.estimate",
                )
        elif s.usable:
            raw.problem(
                "note",
                "county",
                f"{key} is not on the county sheet: the roster's sum {number_text(s.total)} is "
                f"used, derived from roster ({s.coverage_en}; status {s.status})",
                f"县基本情况未填{zh_name}：采用机构名册合计 {number_text(s.total)}，由机构名册汇总"
                f"（{s.coverage_zh}）",
                row,  # type: ignore[arg-type]
                column,
            )
        else:
            en, zh = s.refusal()
            raw.problem("warning", "county", en, zh, row, column)  # type: ignore[arg-type]


def apply_roster_totals(
    resources: dict[str, FigureEntry], sums: dict[str, RosterSum], year: int | None
) -> dict[str, FigureEntry]:
    """Return ``resources`` with the roster's sums where the county gives no figure at all.

    A total with neither an official figure nor an estimate gets ``derived`` (the roster's sum,
    :meth:`RosterSum.figure`) when the roster is complete enough (:attr:`RosterSum.usable`), or
    ``roster_note`` saying why not. Figures the county gives are never replaced.

    Parameters
    ----------
    resources : dict of str to FigureEntry
        The county's resource figures (:attr:`tcmcounty.county.County.resources`).
    sums : dict of str to RosterSum
        :func:`roster_sums` of the bundle.
    year : int, optional
        Year of the roster (the bundle's ``reference_year``).
    """
    out = dict(resources)
    for key, s in sums.items():
        entry = out.get(key) or FigureEntry(key)
        if entry.official is not None or entry.estimate is not None:
            continue
        if s.usable:
            out[key] = replace(entry, derived=s.figure(year))
        else:
            en, zh = s.refusal()
            out[key] = replace(entry, roster_note=f"{en} / {zh}")
    return out


@dataclass(frozen=True)
class TownshipSum:
    """The resident population summed over the township table, and whether it may stand.

    ``usable`` only when every township reports its population: a sum over part of the
    townships is never the county's population.
    """

    total: float
    townships: int
    reporting: int
    status: str

    @property
    def usable(self) -> bool:
        """Every township reports a population (and there is at least one)."""
        return self.townships > 0 and self.reporting == self.townships

    def figure(self, year: int | None) -> Figure:
        """Return the derived figure (``derived = "townships"``)."""
        return Figure(
            self.total,
            self.status,  # type: ignore[arg-type]
            year,
            None,
            f"sum of the {self.townships} townships' populations / {self.townships} 个乡镇人口之和",
            DERIVED_TOWNSHIPS,
        )


def township_population(raw: RawBundle) -> TownshipSum | None:
    """Sum the township table's populations (``None`` without a township population column)."""
    towns = raw.tables.get("townships")
    if towns is None or "population" not in towns or not len(towns):
        return None
    pop = pd.to_numeric(towns["population"], errors="coerce")
    if not pop.notna().any():
        return None
    statuses = towns["population_status"] if "population_status" in towns else None
    given = [s for s in statuses[pop.notna()] if isinstance(s, str)] if statuses is not None else []
    status = weakest_status(given) or "official"
    return TownshipSum(float(pop.sum()), len(towns), int(pop.notna().sum()), status)


def _resident_given(raw: RawBundle) -> bool:
    pop = raw.meta.get("population")
    entry = pop.get("resident") if isinstance(pop, dict) else None
    return isinstance(entry, dict) and (
        entry.get("value") is not None or isinstance(entry.get("estimate"), dict)
    )


def check_township_population(raw: RawBundle) -> None:
    """Say when the resident population is the townships' sum, or why it cannot be."""
    if _resident_given(raw):
        return
    s = township_population(raw)
    if s is None:
        return
    if s.usable:
        raw.problem(
            "note",
            "county",
            f"the resident population is not given: the sum of the {s.townships} townships' "
            f"populations, {number_text(s.total)}, is used (summed over townships)",
            f"未填常住人口：采用 {s.townships} 个乡镇人口之和 {number_text(s.total)}（由各乡镇人口汇总）",
            column="population.resident",
        )
    else:
        raw.problem(
            "warning",
            "county",
            f"the resident population is not given and only {s.reporting} of {s.townships} "
            f"townships report one (their sum {number_text(s.total)} is part of the county): "
            "every per-resident figure is not reported; give the county's population",
            f"未填常住人口，且仅 {s.townships} 个乡镇中 {s.reporting} 个填报人口（合计 "
            f"{number_text(s.total)} 只是部分）：所有人均指标无法计算；请填写全县常住人口",
            column="population.resident",
        )


def apply_township_population(
    population: dict[str, FigureEntry], raw: RawBundle, year: int | None
) -> dict[str, FigureEntry]:
    """Return ``population`` with the townships' sum as the resident population where none is given."""
    entry = population.get("resident") or FigureEntry("resident")
    if entry.official is not None or entry.estimate is not None or entry.derived is not None:
        return population
    s = township_population(raw)
    if s is None or not s.usable:
        return population
    return {**population, "resident": replace(entry, derived=s.figure(year))}
