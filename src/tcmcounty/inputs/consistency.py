"""One table of consistency rules, applied at every level of a county's data.

Each rule is declared once in :data:`RULES` and applied by :func:`check_consistency` wherever
its cells are: county items (县基本情况), facility rows, and sums across levels (villages →
township → county). A rule's message is bilingual and names both cells. Severity follows one
principle: **error** where the data are impossible (a part larger than its whole, a 精品中医馆
without a 中医馆), **warning** where they are only unlikely (parts adding to much less than their
whole). The roster's sums against the county's totals are checked by
:func:`tcmcounty.inputs.totals.check_roster_totals` with the same tolerance,
:data:`SUM_TOLERANCE`.

The table is printed in ``docs/indicators.md`` (§ Consistency rules); a test keeps the two
together.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from tcmcounty.county import DOUBT, POPULATION_KEYS, RESOURCE_KEYS
from tcmcounty.inputs.raw import RawBundle

Level = Literal["county", "facilities", "townships", "villages", "timetable", "tasks"]
Severity = Literal["error", "warning"]

#: Years a date of a plan (timetable, task deadlines) may fall in: a 1900 date is an empty
#: Excel date cell (serial 1), not a deadline.
PLAN_YEARS = (2000, 2100)
#: Parts may exceed their whole by this share before a sum across levels is refused (rounding,
#: a village counted in two places); below ``1 - SUM_TOLERANCE`` of the whole, when every part is
#: given, a warning says the parts miss something.
SUM_TOLERANCE = 0.10


@dataclass(frozen=True)
class Rule:
    """One consistency rule.

    Parameters
    ----------
    kind : {"part", "implies", "sum", "whole"}
        ``part``: ``a <= b`` on one row (or among county items); ``implies``: ``a`` yes (or, for a count,
        above 0) needs ``b`` yes on the same row; ``sum``: the ``a`` of the rows of ``level`` within one unit
        of the next level up add to at most its ``b`` (within :data:`SUM_TOLERANCE`); ``whole``:
        county item ``a`` is a whole number; ``order``: ``a`` is not after ``b`` on one row;
        ``dates``: every date of column ``a`` lies within :data:`PLAN_YEARS`.
    level : {"county", "facilities", "townships", "villages"}
        Where the rule applies.
    a, b : str
        Column or county item names (``b`` empty for ``whole``).
    en, zh : str
        What is wrong, in words.
    severity : {"error", "warning"}
        ``warning`` only where the data stay usable.
    """

    kind: Literal["part", "implies", "sum", "whole", "order", "dates"]
    level: Level
    a: str
    b: str
    en: str
    zh: str
    severity: Severity = "error"


#: The dates of the plan that must lie within :data:`PLAN_YEARS`: (level, column).
_PLAN_DATES: tuple[tuple[Level, str], ...] = (
    ("timetable", "start"),
    ("timetable", "end"),
    ("tasks", "due"),
)

#: Every consistency rule of the data contract.
RULES: tuple[Rule, ...] = (
    # ---- county items (县基本情况): parts of a count never exceed it
    Rule("part", "county", "tcm_physicians", "physicians",
         "TCM-category physicians exceed all physicians", "中医类别执业（助理）医师数超过执业（助理）医师数"),
    Rule("part", "county", "tcm_gps", "gps",
         "qualified TCM GPs exceed all GPs", "合格的中医类别全科医生数超过全科医生数"),
    Rule("part", "county", "gps", "physicians",
         "GPs exceed all physicians (a GP is a registered physician)", "全科医生数超过执业（助理）医师数"),
    Rule("part", "county", "physicians", "health_staff",
         "physicians exceed all health professionals (卫生技术人员)", "执业（助理）医师数超过卫生技术人员数"),
    Rule("part", "county", "nurses", "health_staff",
         "nurses exceed all health professionals (卫生技术人员)", "注册护士数超过卫生技术人员数"),
    Rule("part", "county", "tcm_staff", "health_staff",
         "TCM staff exceed all health professionals", "中医药人员数超过卫生技术人员数"),
    Rule("part", "county", "tcm_physicians", "tcm_staff",
         "TCM-category physicians exceed all TCM staff (they are part of it)", "中医类别执业（助理）医师数超过中医药人员数"),
    Rule("part", "county", "elderly_tcm_managed", "elderly_65",
         "more residents 65+ managed than residents 65+", "接受中医药健康管理的老年人多于65岁及以上常住居民"),
    Rule("part", "county", "children_tcm_managed", "children_0_36",
         "more children managed than children 0–36 months to manage", "接受中医药健康管理的儿童多于应管理的0～36个月儿童"),
    Rule("part", "county", "elderly_65", "resident",
         "residents 65+ exceed the county's resident population", "65岁及以上常住居民多于全县常住人口"),
    Rule("part", "county", "children_0_36", "resident",
         "children 0–36 months exceed the county's resident population", "0～36个月儿童多于全县常住人口"),
    # ---- county items that count people, beds or staff: whole numbers
    *(Rule("whole", "county", k, "", "a count must be a whole number", "人数、床位数须为整数")
      for k in (*POPULATION_KEYS, *RESOURCE_KEYS)),
    # ---- one facility row: parts and what a yes implies
    Rule("part", "facilities", "tcm_physicians", "physicians",
         "TCM-category physicians exceed all physicians", "中医类别医师数超过执业（助理）医师数", "warning"),
    Rule("part", "facilities", "tcm_visits", "visits",
         "TCM visits exceed all visits", "中医诊疗人次超过总诊疗人次"),
    Rule("part", "facilities", "nondrug_visits", "tcm_visits",
         "visits with a non-drug therapy exceed TCM visits (count visits, not 项次)",
         "中医非药物疗法诊疗人次超过中医诊疗人次（按人次计，不按项次）"),
    Rule("part", "facilities", "nondrug_visits", "visits",
         "visits with a non-drug therapy exceed all visits", "中医非药物疗法诊疗人次超过总诊疗人次"),
    Rule("part", "facilities", "herbal_prescriptions", "prescriptions",
         "herbal prescriptions exceed all outpatient prescriptions", "中药饮片处方数超过门诊处方数"),
    Rule("part", "facilities", "tcm_technique_categories", "tcm_techniques",
         "more technique categories (类) than techniques (项): every category has at least one technique",
         "适宜技术类数多于项数：每一类至少有一项"),
    Rule("implies", "facilities", "is_quality_tcm_hall", "has_tcm_hall",
         "a 精品（示范）中医馆 needs a 中医馆: 中医馆 says no", "精品（示范）中医馆须先有中医馆，但中医馆为“否”",
         "warning"),
    Rule("implies", "facilities", "has_tcm_pavilion", "provides_tcm",
         "a clinic with a 中医阁 provides TCM services: 提供中医药服务 says no",
         "设有中医阁的机构即能提供中医药服务，但“提供中医药服务”为“否”", "warning"),
    Rule("implies", "facilities", "has_tcm_hall", "provides_tcm",
         "a centre with a 中医馆 provides TCM services: 提供中医药服务 says no",
         "设有中医馆的机构即能提供中医药服务，但“提供中医药服务”为“否”", "warning"),
    *(Rule("implies", "facilities", col, "provides_tcm",
           f"a facility with {what} provides TCM services: 提供中医药服务 says no",
           f"有{zh}的机构即能提供中医药服务，但“提供中医药服务”为“否”", "warning")
      for col, what, zh in (
          ("tcm_visits", "TCM visits", "中医诊疗人次"),
          ("nondrug_visits", "visits with a TCM non-drug therapy", "中医非药物疗法诊疗人次"),
          ("herbal_prescriptions", "herbal prescriptions", "中药饮片处方"),
          ("tcm_techniques", "TCM appropriate techniques", "中医药适宜技术"),
      )),
    # ---- sums across levels
    Rule("part", "villages", "population", "township_population",
         "one village has more people than its whole township", "单个村的人口多于其所在乡镇人口"),
    Rule("sum", "villages", "population", "population",
         "the villages of this township add up to more people than the township",
         "该乡镇各村人口之和多于乡镇人口", "warning"),
    Rule("sum", "townships", "population", "resident",
         "the townships add up to more people than the county's resident population",
         "各乡镇人口之和多于全县常住人口", "warning"),
    # ---- dates of the plan
    Rule("order", "timetable", "start", "end",
         "the stage ends before it starts", "该阶段的结束日期早于开始日期"),
    *(Rule("dates", level, col, "",
           f"a date of the plan must lie between {PLAN_YEARS[0]} and {PLAN_YEARS[1]} (a 1900 date "
           "is an empty Excel date cell)",
           f"计划日期应在 {PLAN_YEARS[0]} 至 {PLAN_YEARS[1]} 年之间（1900 年的日期多为空白的 Excel 日期单元格）")
      for level, col in _PLAN_DATES),
)  # fmt: skip

#: Facility parts that, when larger than their whole, are read as not reported (a warning)
#: instead of refusing the roster: registers often count a TCM doctor of a station under another
#: facility's licence, so the category count of one row is unreliable but harmless to drop.
UNUSED_WHEN_OVER = frozenset({"tcm_physicians"})


def rules(kind: str, level: Level) -> Iterator[Rule]:
    """Return the rules of one kind at one level, in table order."""
    return (r for r in RULES if r.kind == kind and r.level == level)


def check_consistency(raw: RawBundle) -> None:
    """Apply every rule of :data:`RULES` to ``raw``; append the problems to ``raw.problems``."""
    _county_rules(raw)
    f = raw.tables.get("facilities")
    if f is not None and len(f):
        _facility_parts(raw, f)
        _facility_implies(raw, f)
    _level_sums(raw)
    _plan_dates(raw)


# ---------------------------------------------------------------------------------------------
# county items


def _county_item(raw: RawBundle, key: str) -> tuple[float | None, dict[str, object]]:
    """Return the value a county item is read as (official, else its estimate) and its figure."""
    group = "population" if key in POPULATION_KEYS else "resources"
    section = raw.meta.get(group)
    entry = section.get(key) if isinstance(section, dict) else None
    if not isinstance(entry, dict):
        return None, {}
    fig = entry if "value" in entry else entry.get("estimate")
    if not isinstance(fig, dict):
        return None, {}
    v = fig.get("value")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None, fig
    return float(v), fig


def _where(fig: dict[str, object], key: str) -> tuple[int | None, str]:
    group = "population" if key in POPULATION_KEYS else "resources"
    row = fig.get("_row")
    return (int(row) if isinstance(row, (int, np.integer)) else None), str(
        fig.get("_column", f"{group}.{key}")
    )


def _label(key: str) -> str:
    return RESOURCE_KEYS.get(key) or POPULATION_KEYS.get(key) or key


def _num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,}"


def _plain(v: float) -> str:
    """Return the value as the cell holds it, for the ``value`` of a message (no separators)."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _county_rules(raw: RawBundle) -> None:
    for rule in rules("whole", "county"):
        v, fig = _county_item(raw, rule.a)
        if v is not None and not v.is_integer():
            row, col = _where(fig, rule.a)
            raw.problem(
                rule.severity,
                "county",
                f"{rule.a}: {rule.en}, not {v!r}",
                f"{_label(rule.a)}：{rule.zh}，不能是 {v!r}",
                row,
                col,
                repr(v),
            )
    for rule in rules("part", "county"):
        p, pfig = _county_item(raw, rule.a)
        w, wfig = _county_item(raw, rule.b)
        if p is None or w is None or p <= w:
            continue
        row, col = _where(pfig, rule.a)
        wrow, _ = _where(wfig, rule.b)
        at = f" (row {wrow})" if wrow is not None else ""
        at_zh = f"（第 {wrow} 行）" if wrow is not None else ""
        raw.problem(
            rule.severity,
            "county",
            f"{rule.en}: {rule.a} {_num(p)} > {rule.b} {_num(w)}{at}: impossible",
            f"{rule.zh}：{_label(rule.a)} {_num(p)} > {_label(rule.b)} {_num(w)}{at_zh}，不可能",
            row,
            col,
            _plain(p),
        )


# ---------------------------------------------------------------------------------------------
# one facility row


def _rows(f: pd.DataFrame, mask: np.ndarray) -> Iterator[tuple[np.intp, pd.Series]]:
    for i in np.flatnonzero(mask):
        yield i, f.iloc[i]


def _facility_parts(raw: RawBundle, f: pd.DataFrame) -> None:
    dropped: dict[str, np.ndarray] = {}
    for rule in rules("part", "facilities"):
        if rule.a not in f or rule.b not in f:
            continue
        p = pd.to_numeric(f[rule.a], errors="coerce")
        w = pd.to_numeric(f[rule.b], errors="coerce")
        over = (p.notna() & w.notna() & (p > w)).to_numpy(dtype=bool)
        drop = rule.a in UNUSED_WHEN_OVER
        for _, r in _rows(f, over):
            whole = f"{raw.header('facilities', rule.b)} = {_num(float(r[rule.b]))}"
            raw.problem(
                "warning" if drop else rule.severity,
                "facilities",
                f"{rule.en} ({whole})"
                + ("; the row's count is read as not reported" if drop else ""),
                f"{rule.zh}（{whole}）" + ("；该行此数按未填报处理" if drop else ""),
                int(r["_row"]),
                raw.header("facilities", rule.a),
                _plain(float(r[rule.a])),
            )
        if drop and over.any():
            dropped[rule.a] = over
    for col, over in dropped.items():
        f.loc[over, col] = pd.NA


def _is(s: pd.Series, value: bool) -> np.ndarray:
    """Cells of a yes/no column that are ``value`` (blanks are neither); a count is yes above 0."""
    if pd.api.types.is_bool_dtype(s) or s.dropna().map(lambda v: isinstance(v, bool)).all():
        return s.eq(value).fillna(False).to_numpy(dtype=bool)
    n = pd.to_numeric(s, errors="coerce")
    return ((n > 0) if value else (n == 0)).fillna(False).to_numpy(dtype=bool)


def _doubt(f: pd.DataFrame, mask: np.ndarray, columns: tuple[str, ...]) -> None:
    """Mark cells of ``f`` (rows ``mask``) as doubtful: read as written, unknown for verdicts.

    ``DOUBT`` holds the columns of each row that a contradiction put in doubt; the indicator
    engine counts such a row as unknown in every share that reads one of them
    (:mod:`tcmcounty.indicators.verdicts`), so a verdict it could change is withheld.
    """
    if DOUBT not in f:
        f[DOUBT] = ""
    for i in np.flatnonzero(mask):
        have = [c for c in str(f[DOUBT].iloc[i]).split(",") if c]
        # get_loc of a unique column name is an int; pandas-stubs allow a slice or mask too
        f.iloc[i, f.columns.get_loc(DOUBT)] = ",".join(dict.fromkeys([*have, *columns]))  # type: ignore[index]


def _facility_implies(raw: RawBundle, f: pd.DataFrame) -> None:
    for rule in rules("implies", "facilities"):
        if rule.a not in f or rule.b not in f:
            continue
        bad = _is(f[rule.a], True) & _is(f[rule.b], False)
        flag = (
            pd.api.types.is_bool_dtype(f[rule.a])
            or f[rule.a].dropna().map(lambda v: isinstance(v, bool)).all()
        )
        _doubt(f, bad, (rule.a, rule.b) if flag else (rule.b,))
        for _, r in _rows(f, bad):
            other = raw.header("facilities", rule.b)
            raw.problem(
                rule.severity,
                "facilities",
                f"{rule.en} (column '{other}'); both are read as written, and the row counts as "
                "unknown in the shares that read them",
                f"{rule.zh}（“{other}”列）；按所填读取，但在涉及的占比中按未知处理",
                int(r["_row"]),
                raw.header("facilities", rule.a),
                "是" if isinstance(r[rule.a], bool) else _plain(float(r[rule.a])),
            )


# ---------------------------------------------------------------------------------------------
# sums across levels


def _level_sums(raw: RawBundle) -> None:
    towns = raw.tables.get("townships")
    villages = raw.tables.get("villages")
    if towns is not None and villages is not None and len(villages) and len(towns):
        _villages_in_townships(raw, towns, villages)
    if towns is not None and len(towns):
        _townships_in_county(raw, towns)


def _villages_in_townships(raw: RawBundle, towns: pd.DataFrame, villages: pd.DataFrame) -> None:
    rule = next(rules("sum", "villages"))
    if "population" not in villages or "population" not in towns:
        return
    pop = pd.to_numeric(villages["population"], errors="coerce")
    codes = villages["township_code"].astype("string")
    sums = pop.groupby(codes).sum(min_count=1)
    given = pop.notna().groupby(codes).all()
    t_pop = pd.to_numeric(towns["population"], errors="coerce")
    by_code = dict(zip(towns["code"].astype("string"), t_pop, strict=True))
    names = dict(zip(towns["code"].astype("string"), towns.get("name", towns["code"]), strict=True))
    part = next(rules("part", "villages"))
    for j, code in enumerate(codes):
        whole, v = by_code.get(code), pop.iloc[j]
        if whole is None or pd.isna(whole) or whole <= 0 or pd.isna(v) or v <= whole:
            continue  # a township of 0 people is warned as such (validate), not compared
        raw.problem(
            part.severity,
            "villages",
            f"{part.en}: {_num(float(v))} > {names[code]} {_num(float(whole))}",
            f"{part.zh}：{_num(float(v))} > {names[code]} {_num(float(whole))}",
            int(villages["_row"].iloc[j]),
            raw.header("villages", "population"),
            _plain(float(v)),
        )
    for i, code in enumerate(towns["code"].astype("string")):
        whole = t_pop.iloc[i]
        total = sums.get(code)
        if pd.isna(whole) or total is None or pd.isna(total) or whole <= 0:
            continue
        row = int(towns["_row"].iloc[i])
        name = str(towns["name"].iloc[i]) if "name" in towns else str(code)
        both = f"{_num(float(total))} vs {name} {_num(float(whole))}"
        both_zh = f"各村合计 {_num(float(total))}，{name} {_num(float(whole))}"
        if total > whole * (1 + SUM_TOLERANCE):
            _doubt(towns, np.arange(len(towns)) == i, ("population",))
            raw.problem(
                rule.severity,
                "townships",
                f"{rule.en} ({both}, more than {SUM_TOLERANCE:.0%} over; the township's per-resident "
                "figures get no verdict): check both, or the "
                "populations are of different years or bases (户籍 / 常住)",
                f"{rule.zh}（{both_zh}，超出 {SUM_TOLERANCE:.0%} 以上；该乡镇人均指标不作判定）：请核对，或两者年份、口径（户籍/常住）不同",
                row,
                raw.header("townships", "population"),
                _num(float(whole)),
            )
        elif bool(given.get(code, False)) and total < whole * (1 - SUM_TOLERANCE):
            raw.problem(
                "warning",
                "townships",
                f"the villages of this township add up to {total / whole:.0%} of its population "
                f"({both}): a village or its population may be missing",
                f"该乡镇各村人口之和只有乡镇人口的 {total / whole:.0%}（{both_zh}）：可能缺村或缺人口数",
                row,
                raw.header("townships", "population"),
                _num(float(whole)),
            )


def _townships_in_county(raw: RawBundle, towns: pd.DataFrame) -> None:
    rule = next(rules("sum", "townships"))
    county, fig = _county_item(raw, "resident")
    if county is None or county <= 0 or "population" not in towns:
        return
    pop = pd.to_numeric(towns["population"], errors="coerce")
    if not pop.notna().any():
        return
    total = float(pop.sum())
    row, col = _where(fig, "resident")
    both = f"{_num(total)} vs {_num(county)}"
    if total > county * (1 + SUM_TOLERANCE):
        raw.problem(
            rule.severity,
            "county",
            f"{rule.en} ({both}, {total / county:.0%}): check both, or the populations are of "
            "different years or bases (户籍 / 常住)",
            f"{rule.zh}（{both}，为 {total / county:.0%}）：请核对，或两者年份、口径（户籍/常住）不同",
            row,
            col,
            _num(county),
        )
    elif pop.notna().all() and total < county * (1 - SUM_TOLERANCE):
        raw.problem(
            "warning",
            "county",
            f"every township gives its population, and they add up to only {total / county:.0%} "
            f"of the county's resident population ({both}): a township or its population may be "
            "wrong",
            f"各乡镇均已填人口，但合计只有全县常住人口的 {total / county:.0%}（{both}）：可能有乡镇人口有误",
            row,
            col,
            _num(county),
        )


# ---------------------------------------------------------------------------------------------
# dates of the plan


def _date(v: object) -> dt.date | None:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date()
    if isinstance(v, dt.datetime):
        return v.date()
    return v if isinstance(v, dt.date) else None


def _plan_dates(raw: RawBundle) -> None:
    for rule in rules("dates", "timetable"):
        _date_range(raw, rule)
    for rule in rules("dates", "tasks"):
        _date_range(raw, rule)
    t = raw.tables.get("timetable")
    for rule in rules("order", "timetable"):
        if t is None or rule.a not in t or rule.b not in t:
            continue
        for _, r in t.iterrows():
            a, b = _date(r[rule.a]), _date(r[rule.b])
            if a is None or b is None or a <= b or not _in_years(a) or not _in_years(b):
                continue
            head_a, head_b = raw.header("timetable", rule.a), raw.header("timetable", rule.b)
            raw.problem(
                rule.severity,
                "timetable",
                f"{rule.en}: {head_a} {a.isoformat()} is after {head_b} {b.isoformat()}",
                f"{rule.zh}：{head_a} {a.isoformat()} 晚于 {head_b} {b.isoformat()}",
                int(r["_row"]),
                head_b,
                b.isoformat(),
            )


def _in_years(d: dt.date) -> bool:
    return PLAN_YEARS[0] <= d.year <= PLAN_YEARS[1]


def _date_range(raw: RawBundle, rule: Rule) -> None:
    df = raw.tables.get(rule.level)
    if df is None or rule.a not in df:
        return
    for _, r in df.iterrows():
        d = _date(r[rule.a])
        if d is not None and not _in_years(d):
            raw.problem(
                rule.severity,
                rule.level,
                rule.en,
                rule.zh,
                int(r["_row"]),
                raw.header(rule.level, rule.a),
                d.isoformat(),
            )
