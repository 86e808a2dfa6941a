"""Worklists (整改清单): the named units to act on for each target that is not met.

Each action is one function returning a :class:`Worklist` — a typed table with bilingual
column labels — and reuses the rule that decides the target, never a second copy of it:

==============  ==========================================  ===================================
action          rows                                        rule from
==============  ==========================================  ===================================
``hall``        乡镇卫生院/社区卫生服务中心 without a 中医馆      ``T-ZYG-HALL`` numerator (registry)
``tcm_clinic``  村卫生室/社区卫生服务站 that cannot give TCM     ``T-VC-TCM`` numerator (registry)
``pavilion``    clinics to upgrade to a 中医阁, in order         :func:`tcmcounty.spatial.plan.plan_sites`
``distance``    villages beyond the report's middle threshold  :meth:`CoverageResult.uncovered`
``alliance``    villages outside every TCM-led alliance        ``T-YLT`` (``res.alliance``)
``staff``       townships below a staff target                 township indicators (engine)
==============  ==========================================  ===================================

:func:`unit_worklists` adds one list per responsible unit of the plan's tasks (任务分工), late
tasks first, by :func:`tcmcounty.tasks.task_state` on the report date.

:func:`worklists` builds all of them from a :class:`~tcmcounty.reporting.model.CountyResults`;
:func:`write_worklists_xlsx` writes one sheet per action (Chinese headers, frozen header row,
filters) through the spreadsheet-safe cell writer :func:`tcmcounty.io.set_cell`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tcmcounty.io import (
    STATUS_COLUMNS,
    atomic_path,
    format_sheet,
    is_share_column,
    mark_output_workbook,
    set_cell,
    shown_status,
    xml_safe_text,
)
from tcmcounty.reporting.model import Column, CountyResults, Worklist
from tcmcounty.schema import FACILITY_TYPE_ZH

#: Township-level staff indicators whose unmet targets make the ``staff`` worklist.
STAFF_INDICATORS: tuple[str, ...] = ("T-DOC", "T-RN", "T-TCMDOC-1000", "T-DNR")
#: Suffix of the workbook written beside a report (``<report name>-worklist.xlsx``).
WORKLIST_SUFFIX = "-worklist.xlsx"

# ------------------------------------------------------------------------------- helpers


def _names(table: pd.DataFrame) -> dict[str, str]:
    return dict(zip(table["code"].astype(str), table["name"].astype(str), strict=False))


def _text(values: Any) -> list[str | None]:
    return [None if pd.isna(v) else str(v) for v in values]


def _town_order(county: Any) -> dict[str, int]:
    return {str(c): i for i, c in enumerate(county.townships["code"])}


def _sorted(df: pd.DataFrame, county: Any, *more: str) -> pd.DataFrame:
    """Rows in the townships' order, then by ``more`` columns."""
    if df.empty:
        return df.reset_index(drop=True)
    order = df["township_code"].map(_town_order(county)).fillna(len(county.townships))
    keyed = df.assign(_order=order.to_numpy())
    return (
        keyed.sort_values(["_order", *more], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def _verdict_word(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "未填报 not reported"
    return "否 no" if not bool(value) else "是 yes"


# ------------------------------------------------------------------------------- facilities

_FACILITY_COLUMNS: tuple[Column, ...] = (
    ("township_name", "乡镇", "township"),
    ("village_name", "村/社区", "village"),
    ("facility_id", "机构编号", "facility id"),
    ("facility_name", "机构名称", "facility"),
    ("facility_type", "机构类型", "type"),
    ("situation", "现状", "situation"),
    ("status", "数据状态", "data status"),
)


def facility_gaps(res: CountyResults, indicator_id: str) -> pd.DataFrame:
    """Facilities counted by an indicator's denominator that fail its numerator's condition.

    The rule is the registry's: the numerator of ``indicator_id`` (a ``facility_count``) names
    the facility ``types`` and the yes/no ``where`` columns; a facility of those types is
    listed when one of them is not yes — "no" or not reported (a blank cell, which the
    indicator leaves out of its denominator, is listed too so that it gets filled in).

    Parameters
    ----------
    res : CountyResults
        The county's results.
    indicator_id : str
        A ``facility_count`` indicator of the registry (``"T-ZYG-HALL"``, ``"T-VC-TCM"``).

    Returns
    -------
    pandas.DataFrame
        ``township_code``, ``township_name``, ``village_code``, ``village_name``,
        ``facility_id``, ``facility_name``, ``facility_type`` (Chinese), ``situation`` and
        ``status``, in township order.

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.reporting.results import CountyResults
    >>> c = tcmcounty.load_county("wenxi", warn=False)
    >>> res = CountyResults("k", c, "resident", (2.0,), None, library_build="")
    >>> gaps = facility_gaps(res, "T-ZYG-HALL")
    >>> sorted(set(gaps["facility_type"]))
    ['乡镇卫生院', '社区卫生服务中心']
    """
    from tcmcounty.indicators import load_registry

    spec = load_registry()[indicator_id].numerator
    if spec.kind != "facility_count":
        raise ValueError(f"{indicator_id} is not counted over facilities ({spec.kind})")
    raw_types = spec.param("types") or []
    types = [str(t) for t in raw_types] if isinstance(raw_types, (list, tuple)) else []
    where = spec.param("where") or {}
    if not isinstance(where, Mapping):
        raise TypeError(f"{indicator_id}: 'where' must be a table of column = value")
    county = res.county
    f = county.facilities
    f = f[f["type"].astype(str).isin(types)] if types else f
    ok = np.ones(len(f), dtype=bool)
    for col, wanted in where.items():
        ok &= f[col].eq(wanted).fillna(False).astype(bool).to_numpy()
    gaps = f[~ok]
    towns, villages = _names(county.townships), _names(county.villages)
    situation = [
        "；".join(f"{_label(col)}: {_verdict_word(r[col])}" for col in where)
        for _, r in gaps.iterrows()
    ]
    tcodes, vcodes = _text(gaps["township_code"]), _text(gaps["village_code"])
    out = pd.DataFrame(
        {
            "township_code": tcodes,
            "township_name": [towns.get(t) if t else None for t in tcodes],
            "village_code": vcodes,
            "village_name": [villages.get(v) if v else None for v in vcodes],
            "facility_id": _text(gaps["id"]),
            "facility_name": _text(gaps["name"]),
            "facility_type": [FACILITY_TYPE_ZH.get(str(t), str(t)) for t in gaps["type"]],
            "situation": situation,
            "status": _text(gaps["status"]) if "status" in gaps else [None] * len(gaps),
        }
    )
    return _sorted(out, county, "village_code", "facility_id")


def _label(col: str) -> str:
    from tcmcounty.indicators.kinds import FACILITY_COLUMNS_ZH

    return f"{FACILITY_COLUMNS_ZH.get(col, col)}"


def halls(res: CountyResults) -> Worklist:
    """Township and community health centres without a 中医馆 (target ``T-ZYG-HALL``).

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.reporting.results import CountyResults
    >>> c = tcmcounty.load_county("wenxi", warn=False)
    >>> halls(CountyResults("k", c, "resident", (2.0,), None, library_build="")).action_id
    'hall'
    """
    return Worklist(
        "hall",
        "未设中医馆的乡镇卫生院和社区卫生服务中心",
        "Township and community health centres without a 中医馆",
        ("T-ZYG-HALL",),
        facility_gaps(res, "T-ZYG-HALL"),
        tuple(c for c in _FACILITY_COLUMNS if c[0] != "village_name"),
        "按该项指标的计数规则：乡镇卫生院、社区卫生服务中心中“中医馆”不为“是”的（含未填报）。",
        "The numerator rule of T-ZYG-HALL: township / community health centres whose 中医馆 "
        "answer is not yes (blank answers included).",
    )


def tcm_clinics(res: CountyResults) -> Worklist:
    """Village clinics and community health stations that cannot give TCM (``T-VC-TCM``).

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.reporting.results import CountyResults
    >>> c = tcmcounty.load_county("wenxi", warn=False)
    >>> len(tcm_clinics(CountyResults("k", c, "resident", (2.0,), None, library_build=""))) > 0
    True
    """
    return Worklist(
        "tcm_clinic",
        "不能提供中医药服务的村卫生室和社区卫生服务站",
        "Village clinics and community health stations that cannot provide TCM",
        ("T-VC-TCM",),
        facility_gaps(res, "T-VC-TCM"),
        _FACILITY_COLUMNS,
        "按该项指标的计数规则：村卫生室、社区卫生服务站中“提供中医药服务”不为“是”的（含未填报）。",
        "The numerator rule of T-VC-TCM: village clinics and community health stations whose "
        "'provides TCM' answer is not yes (blank answers included).",
    )


# ------------------------------------------------------------------------------- 中医阁 order


def pavilions(res: CountyResults) -> Worklist:
    """Clinics to upgrade to a 中医阁, in the plan's order (target ``T-ZYG-PAV``).

    The order is that of :func:`tcmcounty.spatial.plan.plan_sites` (greedy maximal covering); an
    empty list when no new 中医阁 is needed or the plan could not be computed.

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.reporting.results import CountyResults
    >>> c = tcmcounty.load_county("wenxi", warn=False)
    >>> len(pavilions(CountyResults("k", c, "resident", (2.0,), None, library_build="")))
    0
    """
    cols: tuple[Column, ...] = (
        ("rank", "建设顺序", "order"),
        ("township_name", "乡镇", "township"),
        ("village_name", "村/社区", "village"),
        ("facility_id", "机构编号", "facility id"),
        ("facility_name", "机构名称", "facility"),
        ("new_population", "新增覆盖人口", "newly covered residents"),
        ("covered_share", "累计覆盖人口占比", "cumulative share covered"),
        ("pavilion_share", "设中医阁机构占比", "share of clinics with 中医阁"),
    )
    plan = res.plan
    frame = (
        plan.table[[c[0] for c in cols]].reset_index(drop=True)
        if plan is not None
        else pd.DataFrame(columns=[c[0] for c in cols])
    )
    if plan is not None:
        r = plan.radius / 1000 if plan.unit == "m" else plan.radius
        unit = "km" if plan.unit == "m" else "min"
        rule_zh = (
            f"中医阁选址方案的推荐顺序（最大覆盖，半径 {r:g} {unit}）：按顺序在这些村卫生室/社区卫生服务站设置中医阁，"
            f"共需新增 {plan.n_needed} 个。"
        )
        rule_en = (
            f"Order of the 中医阁 site plan (maximal covering, radius {r:g} {unit}): add a 中医阁 to "
            f"these clinics in this order; {plan.n_needed} new ones needed."
        )
    else:
        rule_zh = "未能计算中医阁选址（见数据质量）。"
        rule_en = "The 中医阁 site plan could not be computed (see data quality)."
    return Worklist(
        "pavilion",
        "中医阁建设顺序",
        "中医阁 upgrade order",
        ("T-ZYG-PAV",),
        frame,
        cols,
        rule_zh,
        rule_en,
    )


# ------------------------------------------------------------------------------- distance


def middle_threshold_km(res: CountyResults) -> float | None:
    """Return the threshold the report's headline and maps use (``None`` without coverage).

    This is the ``coverage_threshold_km`` of :meth:`CountyResults.headline`.
    """
    km = res.headline().get("coverage_threshold_km")
    return None if km is None else float(km)


def far_villages(res: CountyResults, level: str = "any_tcm") -> Worklist:
    """Villages with no TCM service within the middle threshold, with the nearest one.

    Parameters
    ----------
    res : CountyResults
        The county's results.
    level : str, default "any_tcm"
        Service level of :data:`tcmcounty.services.SERVICE_LEVELS`.

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.reporting.results import compute_results
    >>> w = far_villages(compute_results("wenxi", thresholds_km=[1, 2, 5]))
    >>> w.title_zh, list(w.to_frame("zh").columns[:3])
    ('2 公里内无中医药服务的村', ['乡镇', '村代码', '村/社区'])
    """
    cols: tuple[Column, ...] = (
        ("township_name", "乡镇", "township"),
        ("village_code", "村代码", "village code"),
        ("village_name", "村/社区", "village"),
        ("population", "人口", "population"),
        ("distance_km", "到最近中医药服务距离（公里）", "distance to nearest TCM service (km)"),
        ("nearest_name", "最近中医药服务机构", "nearest TCM service"),
        ("nearest_type", "机构类型", "its type"),
        ("note", "说明", "note"),
    )
    km = middle_threshold_km(res)
    cov = res.coverage.get(level)
    if km is None or cov is None:
        reason = res.unavailable.get("coverage", "")
        return Worklist(
            "distance",
            "距离中医药服务较远的村",
            "Villages far from a TCM service",
            (),
            pd.DataFrame(columns=[c[0] for c in cols]),
            cols,
            "未能计算距离：" + reason,
            "Distances could not be computed: " + reason,
        )
    county = res.county
    far = cov.uncovered(km)
    fid = county.facilities["id"].astype(str)
    fname = dict(zip(fid, county.facilities["name"].astype(str), strict=False))
    ftype = dict(zip(fid, county.facilities["type"].astype(str), strict=False))
    ids = _text(far["nearest_id"])
    cost = far["cost_km"].to_numpy(dtype=float) if "cost_km" in far else np.full(len(far), np.nan)
    towns = _names(county.townships)
    tcodes = _text(far["township_code"])
    frame = pd.DataFrame(
        {
            "township_code": tcodes,
            "township_name": [towns.get(t) if t else None for t in tcodes],
            "village_code": _text(far["code"]),
            "village_name": _text(far["name"]),
            "population": far["population"].to_numpy(),
            "distance_km": np.round(cost, 2),
            "nearest_id": ids,
            "nearest_name": [fname.get(i) if i else None for i in ids],
            "nearest_type": [
                FACILITY_TYPE_ZH.get(ftype[i], ftype[i]) if i in ftype else None for i in ids
            ],
            "note": [
                "无坐标或无此类服务 no location or no such service" if not np.isfinite(d) else None
                for d in cost
            ],
        }
    )
    frame = _sorted(frame.assign(_d=-np.nan_to_num(cost, nan=np.inf)), county, "_d")
    frame = frame.drop(columns="_d")
    return Worklist(
        "distance",
        f"{km:g} 公里内无中医药服务的村",
        f"Villages with no TCM service within {km:g} km",
        (),
        frame,
        cols,
        f"直线距离超过报告中间阈值 {km:g} 公里（概要和地图所用阈值）的村，按乡镇、距离由远到近排列；最近服务为任一中医药服务"
        "（中医阁、提供中医药的村卫生室、中医馆、县中医医院）。",
        f"Villages farther than the report's middle threshold, {km:g} km straight line (the one "
        "the headline and maps use), by township, farthest first; nearest service of any TCM level.",
    )


# ------------------------------------------------------------------------------- alliances


def alliance_gaps(res: CountyResults) -> Worklist:
    """Villages outside every alliance led by the county TCM hospital (target ``T-YLT``).

    The villages are those of the report's alliance coverage, ``res.alliance`` (computed by
    :func:`tcmcounty.indicators.alliance.tcm_led_alliance_coverage`, the ``T-YLT`` rule),
    whose ``covered`` is false. Each row names the facility to bring into such an alliance
    (the village's own clinic, else its township centre), the other alliances it is already
    in, and whether its whole township is outside.

    Examples
    --------
    >>> from tcmcounty.reporting.results import compute_results
    >>> w = alliance_gaps(compute_results("wenxi"))
    >>> w.target_ids, w.columns[1][1]
    (('T-YLT',), '全乡镇均未覆盖')
    """
    cols: tuple[Column, ...] = (
        ("township_name", "乡镇", "township"),
        ("township_outside", "全乡镇均未覆盖", "whole township outside"),
        ("village_code", "村代码", "village code"),
        ("village_name", "村/社区", "village"),
        ("population", "人口", "population"),
        ("serving_level", "服务机构层级", "serving level"),
        ("serving_ids", "应纳入医联体的机构编号", "facility to bring in (id)"),
        ("serving_names", "应纳入医联体的机构", "facility to bring in"),
        ("other_alliances", "已加入的其他医联体", "other alliances it is in"),
    )
    county = res.county
    al = res.alliance
    if al is None or not hasattr(al, "villages") or "covered" not in al.villages:
        from tcmcounty.indicators.alliance import tcm_led_alliance_coverage

        al = tcm_led_alliance_coverage(
            county, res.population, res.targets or None, by_township=False
        )
    vt = al.villages
    inside = vt["covered"].to_numpy(dtype=bool)
    fac = county.facilities
    names = dict(zip(fac["id"].astype(str), fac["name"].astype(str), strict=False))
    a = county.alliances
    a_names = dict(zip(a["id"].astype(str), a["name"].astype(str), strict=False)) if len(a) else {}
    towns = _names(county.townships)
    covered_towns = set(vt.loc[inside, "township_code"].astype(str))
    level_zh = {
        "village": "村卫生室/社区卫生服务站 own clinic",
        "township": "乡镇卫生院/社区卫生服务中心 township centre",
        "none": "无 none",
    }
    out = vt.loc[~inside]
    frame = pd.DataFrame(
        {
            "township_code": _text(out["township_code"]),
            "township_name": [towns.get(str(t)) for t in out["township_code"]],
            "township_outside": [
                "否 no" if str(t) in covered_towns else "是 yes" for t in out["township_code"]
            ],
            "village_code": _text(out["code"]),
            "village_name": _text(out["name"]),
            "population": out["population"].to_numpy(),
            "serving_level": [level_zh.get(str(x), str(x)) for x in out["serving_level"]],
            "serving_ids": ["；".join(map(str, ids)) for ids in out["serving_ids"]],
            "serving_names": [
                "；".join(names.get(str(i), str(i)) for i in ids) for ids in out["serving_ids"]
            ],
            "other_alliances": [
                "；".join(a_names.get(str(i), str(i)) for i in ids) or None
                for ids in out["alliance_ids"]
            ],
        }
    )
    return Worklist(
        "alliance",
        "未被县级中医医院牵头医联体覆盖的村",
        "Villages outside every alliance led by the county TCM hospital",
        ("T-YLT",),
        _sorted(frame, county, "village_code"),
        cols,
        "按该项指标的覆盖规则：村卫生室/社区卫生服务站是县级中医医院牵头医联体成员的村被覆盖；"
        "没有村卫生室的村，其乡镇卫生院是成员即被覆盖。把所列机构纳入该医联体即可覆盖该村。",
        "The coverage rule of T-YLT: a village is covered when its clinic is a member of an "
        "alliance led by the county TCM hospital; a village with no clinic, when its township "
        "centre is. Bringing the listed facility into such an alliance covers the village.",
    )


# ------------------------------------------------------------------------------- staff


def staff_gaps(res: CountyResults) -> Worklist:
    """Townships below a township-level staff target (:data:`STAFF_INDICATORS`).

    Uses ``res.indicators_by_township`` (computed with the results) when present, else
    computes the staff indicators per township with the report's population and targets.
    Townships whose value cannot be computed, and indicators without a township target, are
    not listed.

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.reporting.results import CountyResults
    >>> c = tcmcounty.load_county("wenxi", warn=False)
    >>> staff_gaps(CountyResults("k", c, "resident", (2.0,), None, library_build="")).target_ids
    ('T-DOC', 'T-RN', 'T-TCMDOC-1000', 'T-DNR')
    """
    from tcmcounty import indicators
    from tcmcounty.indicators.model import GRADE_LABELS

    cols: tuple[Column, ...] = (
        ("township_name", "乡镇", "township"),
        ("id", "指标编号", "indicator id"),
        ("name_zh", "指标", "indicator"),
        ("value_text", "现值", "value"),
        ("target", "目标", "target"),
        ("target_grade", "目标证据等级", "evidence grade of the target"),
        ("need", "缺口", "need"),
        ("need_unit", "缺口单位", "need unit"),
        ("input_status", "数据状态", "data status"),
    )
    tw = res.indicators_by_township
    if tw is None:
        tw = indicators.compute(
            res.county,
            population=res.population,
            targets=res.targets or None,
            by="township",
            indicators=list(STAFF_INDICATORS),
        )
    tw = tw[tw["id"].isin(STAFF_INDICATORS)]
    unmet = tw[(~tw["met"].astype("boolean")).fillna(False).to_numpy(dtype=bool)]
    frame = unmet.rename(columns={"area_code": "township_code", "area_name": "township_name"})
    keep = ["township_code", *[c[0] for c in cols]]
    frame = _sorted(frame[keep].reset_index(drop=True), res.county, "id")
    frame["target_grade"] = [GRADE_LABELS.get(str(g), "—") for g in frame["target_grade"]]
    has_target = int(tw["target_low"].notna().sum() + tw["target_high"].notna().sum())
    return Worklist(
        "staff",
        "乡镇人员配置缺口",
        "Staffing gaps by township",
        STAFF_INDICATORS,
        frame,
        cols,
        "乡镇级人员指标（机构人员合计 ÷ 乡镇人口）未达乡镇目标的乡镇；"
        + ("" if has_target else "本目标集没有为这些指标设乡镇级目标。"),
        "Townships below a township-level staff target (staff of the township's facilities over "
        "its population)"
        + ("." if has_target else "; the target set gives no township-level target for them."),
    )


# ------------------------------------------------------------------------------- orchestration

#: The actions in the order of the report and the workbook.
ACTIONS = {
    "hall": halls,
    "tcm_clinic": tcm_clinics,
    "pavilion": pavilions,
    "distance": far_villages,
    "alliance": alliance_gaps,
    "staff": staff_gaps,
}


def worklists(results: Any) -> list[Worklist]:
    """Every worklist of a county, in the order of :data:`ACTIONS`: the one source of both outputs.

    The report's worklist section and the workbook beside it (``-worklist.xlsx``) both call
    this. The lists are part of the county's results: ``compute_results`` builds them once
    (:func:`build_worklists`) and they are cached with the results, so this returns
    ``results.worklists``; results made without them get them built here once and kept.

    Parameters
    ----------
    results : CountyResults
        From :func:`tcmcounty.reporting.results.compute_results` or ``load_results``.

    Returns
    -------
    list of Worklist

    Examples
    --------
    >>> from tcmcounty.reporting.results import compute_results
    >>> res = compute_results("wenxi")
    >>> [w.action_id for w in worklists(res)]
    ['hall', 'tcm_clinic', 'pavilion', 'distance', 'alliance', 'staff']
    >>> worklists(res) is res.worklists
    True
    """
    if not isinstance(results, CountyResults):
        raise TypeError(f"results must be CountyResults, not {type(results).__name__}")
    if results.worklists is None:
        results.worklists = build_worklists(results)
    return results.worklists


def build_worklists(results: Any) -> list[Worklist]:
    """Build every worklist of :data:`ACTIONS` from a county's results (see :func:`worklists`).

    Called once per county by :func:`~tcmcounty.reporting.results.compute_results`; views and
    the workbook read the stored lists through :func:`worklists`.

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.reporting.results import CountyResults
    >>> c = tcmcounty.load_county("wenxi", warn=False)
    >>> len(build_worklists(CountyResults("k", c, "resident", (2.0,), None, library_build="")))
    6
    """
    return [make(results) for make in ACTIONS.values()]


#: Columns of a responsible unit's task sheet (:func:`unit_worklists`).
UNIT_COLUMNS: tuple[Column, ...] = (
    ("number", "编号", "no."),
    ("task", "任务", "task"),
    ("role_zh", "本单位角色", "role of the unit"),
    ("stage", "阶段", "stage"),
    ("due", "期限", "deadline"),
    ("progress_zh", "完成情况", "progress"),
    ("state_zh", "判定", "state"),
    ("days_late", "超过期限天数", "days past deadline"),
    ("evidence", "佐证材料", "evidence"),
    ("lead", "牵头单位", "lead units"),
    ("partners", "配合单位", "co-operating units"),
)
_STATE_ORDER = {"late": 0, "open": 1, "not_reported": 2, "done": 3}


def unit_worklists(results: Any, report_date: object = None) -> list[Worklist]:
    """One worklist per responsible unit of the plan's tasks (empty without a task sheet).

    Each lists the tasks the unit leads (牵头) or supports (配合), late ones first, with the
    deadline and the state of :func:`tcmcounty.tasks.task_state` on ``report_date``
    (default today). The worklist workbook gets one sheet per unit after the actions.

    Examples
    --------
    >>> from tcmcounty.reporting.results import compute_results
    >>> lists = unit_worklists(compute_results("wenxi"), "2023-05-01")
    >>> len(lists), lists[0].title_zh, len(lists[0])
    (10, '任务-县中医院', 2)
    """
    from tcmcounty.plans import plan_of
    from tcmcounty.reporting.parameters import parse_report_date
    from tcmcounty.tasks import task_table

    county = results.county
    tasks = getattr(county, "tasks", None)
    if tasks is None or not len(tasks):
        return []
    day = parse_report_date(report_date)
    table = task_table(tasks, plan_of(county), day)
    out = []
    position = {id(t): i for i, t in enumerate(tasks)}
    for k, (unit, items) in enumerate(tasks.by_unit().items(), start=1):
        rows = [position[id(t)] for t, _ in items]
        frame = table.iloc[rows].assign(
            role_zh=["牵头" if r == "lead" else "配合" for _, r in items]
        )
        frame = frame.sort_values(
            "state", key=lambda s: s.map(_STATE_ORDER), kind="stable"
        ).reset_index(drop=True)
        n_late = int((frame["state"] == "late").sum())
        out.append(
            Worklist(
                f"unit-{k:02d}",
                f"任务-{unit}",
                f"Tasks: {unit}",
                (),
                frame,
                UNIT_COLUMNS,
                f"{unit}牵头或配合的任务；逾期 {n_late} 项（报告日期 {day.isoformat()}）。",
                f"Tasks {unit} leads or supports; {n_late} late (report date {day.isoformat()}).",
            )
        )
    return out


# ------------------------------------------------------------------------------- xlsx


def worklist_file_name(report_name: str) -> str:
    """File name of the worklist workbook beside a report called ``report_name``.

    Examples
    --------
    >>> worklist_file_name("512021-anyue")
    '512021-anyue-worklist.xlsx'
    """
    return f"{report_name}{WORKLIST_SUFFIX}"


def _sheet_names(lists: Sequence[Worklist]) -> list[str]:
    names: list[str] = []
    for w in lists:
        base = xml_safe_text(w.title_zh)
        for ch in "[]:*?/\\":
            base = base.replace(ch, "_")
        base = base[:31] or w.action_id
        name, k = base, 2
        while name in names:
            name = f"{base[: 31 - len(str(k)) - 1]}_{k}"
            k += 1
        names.append(name)
    return names


def worklists_workbook(lists: Sequence[Worklist]) -> Any:
    """Build the openpyxl workbook: one sheet per action, Chinese headers, frozen, filtered.

    Every cell goes through :func:`tcmcounty.io.set_cell` (text stays text, never a formula;
    floats are rounded by a number format, the cell keeps their full precision). As in the
    report, shares are shown as percentages and data statuses with their Chinese label; each
    sheet is laid out for reading and printing (:func:`tcmcounty.io.format_sheet`) and the
    workbook is marked as the tool's output.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from tcmcounty.formatting import SHARE_FORMAT

    wb = mark_output_workbook(Workbook())
    wb.remove(wb.active)
    bold = Font(bold=True)
    for w, name in zip(lists, _sheet_names(lists), strict=True):
        ws = wb.create_sheet(name)
        df = w.to_frame("zh")
        keys = [c[0] for c in w.columns if c[0] in w.frame.columns]
        for c, col in enumerate(df.columns, start=1):
            set_cell(ws, 1, c, str(col)).font = bold
        for r, rec in enumerate(df.itertuples(index=False), start=2):
            for c, (key, v) in enumerate(zip(keys, rec, strict=True), start=1):
                if key in STATUS_COLUMNS:
                    set_cell(ws, r, c, shown_status(v))
                elif is_share_column(key):
                    set_cell(ws, r, c, v, SHARE_FORMAT)
                else:
                    set_cell(ws, r, c, v, rounded=True)
        last = get_column_letter(max(1, len(df.columns)))
        ws.auto_filter.ref = f"A1:{last}{len(df) + 1}"
        format_sheet(ws)
    if not wb.sheetnames:
        format_sheet(wb.create_sheet("整改清单"))
    return wb


def worklists_xlsx_bytes(lists: Sequence[Worklist]) -> bytes:
    """Return the worklist workbook as bytes (for a report job's outputs)."""
    buf = io.BytesIO()
    worklists_workbook(lists).save(buf)
    return buf.getvalue()


def write_worklists_xlsx(lists: Sequence[Worklist], path: str | os.PathLike[str]) -> Path:
    """Write the worklists to an xlsx file atomically; return the path.

    Parameters
    ----------
    lists : sequence of Worklist
        From :func:`worklists`.
    path : path
        The ``.xlsx`` file (replaced whole or not at all).

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> from tcmcounty.reporting.results import compute_results
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "w.xlsx"
    >>> _ = write_worklists_xlsx(worklists(compute_results("wenxi")), out)
    >>> openpyxl.load_workbook(out).worksheets[0]["A1"].value
    '乡镇'
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_bytes(worklists_xlsx_bytes(lists))
    return target
