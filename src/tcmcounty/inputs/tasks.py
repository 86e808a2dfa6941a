"""Checks of the 任务分工 table that need more than one cell (run with the other checks).

Cell-level problems (an unknown 完成情况, a date that is no date, an empty 牵头单位) are found
when the sheet is parsed (:mod:`tcmcounty.inputs.cells`); here: task numbers used twice, a
stage the timetable does not list (the task then has no deadline), and tasks reported 已完成
without evidence.
"""

from __future__ import annotations

import pandas as pd

from tcmcounty.inputs.raw import RawBundle
from tcmcounty.plans import CountyPlan, county_plan, plan_from_table
from tcmcounty.tasks import find_stage


def check_tasks(raw: RawBundle) -> None:
    """Append the problems of the tasks table of ``raw`` (if any) to ``raw.problems``."""
    df = raw.tables.get("tasks")
    if df is None or not len(df):
        return
    _duplicate_numbers(raw)
    _stages(raw, _plan(raw))
    _evidence(raw)


def _plan(raw: RawBundle) -> CountyPlan | None:
    """Return the timetable the tasks are read against: the county's own, else the shipped plan."""
    own = raw.tables.get("timetable")
    adcode = str(raw.meta.get("adcode", ""))
    if own is not None and len(own) and own["start"].notna().all() and own["end"].notna().all():
        return plan_from_table(own, adcode, str(raw.meta.get("name_zh", "")), raw.path)
    return county_plan(adcode) if adcode else None


def _text(v: object) -> str:
    """Return a cell as stripped text (empty for a missing value)."""
    # pandas-stubs have no overload of isna for an object (a scalar cell here)
    return "" if v is None or pd.isna(v) else str(v).strip()  # type: ignore[call-overload]


def _duplicate_numbers(raw: RawBundle) -> None:
    df = raw.tables["tasks"]
    first: dict[str, int] = {}
    for cell, row in zip(df["number"], df["_row"], strict=True):
        number = _text(cell)
        if not number:
            continue
        if number in first:
            raw.problem(
                "error",
                "tasks",
                f"task number used twice; first on row {first[number]}",
                f"任务编号重复；第 {first[number]} 行已使用",
                int(row),
                "number",
                number,
            )
        else:
            first[number] = int(row)


def _stages(raw: RawBundle, plan: CountyPlan | None) -> None:
    df = raw.tables["tasks"]
    if plan is None or not plan.milestones:
        return
    valid = "、".join(m.phase_zh for m in plan.milestones)
    for stage, due, row in zip(df["stage"], df["due"], df["_row"], strict=True):
        text = _text(stage)
        if not text or find_stage(plan, text) is not None:
            continue
        fallback_en = "; its due date is used" if _text(due) else ""
        fallback_zh = "" if not fallback_en else "；按完成时限判断"
        raw.problem(
            "warning",
            "tasks",
            f"stage not in the timetable ({valid}): the task has no deadline from it" + fallback_en,
            f"阶段不在实施步骤中（{valid}），无法据此确定期限" + fallback_zh,
            int(row),
            "stage",
            text,
        )


def _evidence(raw: RawBundle) -> None:
    df = raw.tables["tasks"]
    for progress, evidence, row in zip(df["progress"], df["evidence"], df["_row"], strict=True):
        if _text(progress) == "done" and not _text(evidence):
            raw.problem(
                "warning",
                "tasks",
                "task reported 已完成 without evidence (佐证材料): the review asks for it",
                "任务已完成但未填写佐证材料，评审时需提供",
                int(row),
                "evidence",
            )
