"""Readiness for the review: "are we ready, and what is missing?" in one view.

:func:`readiness` puts together, for one county on one report date, the quantitative targets
(met / not met / no data, each with the evidence grade of its target), the plan's tasks (done,
late, not yet due, not reported; :func:`tcmcounty.tasks.task_state`) and the timetable (the
current stage and the days to the next one). The report's first section, the
``tcmcounty readiness`` command and the batch index (``index.html``, ``summary.xlsx``) all show
what this one function returns.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from tcmcounty.county import status_label
from tcmcounty.indicators.model import GRADE_LABELS
from tcmcounty.plans import CountyPlan, plan_of
from tcmcounty.tasks import counts, task_state

Verdict = Literal["met", "not_met", "no_data"]
VERDICTS: tuple[Verdict, ...] = ("not_met", "no_data", "met")
VERDICT_ZH = {"met": "达标", "not_met": "未达标", "no_data": "无法判定"}
#: How a count of targets without a verdict is labelled in every output (Chinese, English).
NO_VERDICT_LABEL = ("项无法判定（缺数据）", "no verdict (data missing or incomplete)")
VERDICT_EN = {"met": "met", "not_met": "not met", "no_data": "no data"}
#: Grade of a target whose row carries none (read defensively from the indicator table).
DEFAULT_GRADE = "unverified"
#: Unmet targets the first screen names with their action, largest gaps first.
ACTIONS_SHOWN = 3


@dataclass(frozen=True)
class TargetCheck:
    """One quantitative target of the review at county level, with its verdict and grade."""

    id: str
    name_zh: str
    name_en: str
    value_text: str
    unit: str
    target: str
    verdict: Verdict
    grade: str
    reason: str = ""
    input_status: str = ""
    input_derived: str = ""
    need: int | None = None
    need_unit: str = ""
    shortfall: float | None = None

    @property
    def action(self) -> tuple[str, str]:
        """The gap in words, with what it takes to close it (Chinese, English).

        ``每千常住人口医疗卫生机构床位数 5.59，目标 ≥ 7.40，还差 841 张床位``: the value, the target
        and the need, never the indicator's code.
        """
        from tcmcounty.reporting.sections import pick

        unit_zh, unit_en = pick(self.need_unit, "zh"), pick(self.need_unit, "en")
        value = self.shown
        zh = f"{self.name_zh} {value}，目标 {pick(self.target, 'zh')}"
        en = f"{self.name_en} {value} against {pick(self.target, 'en')}"
        if self.need:
            zh += f"，还差 {self.need} {unit_zh}".rstrip()
            en += f": {self.need} more {unit_en}".rstrip()
        return zh, en

    @property
    def status_shown(self) -> str:
        """The data status as every output prints it (:func:`tcmcounty.county.status_label`)."""
        return status_label(self.input_status or None, self.input_derived or None)

    @property
    def shown(self) -> str:
        """The value as shown: ``87.0%`` for a percentage, else the value text."""
        pct = self.unit.split(" ")[0] == "%" and self.value_text != "—"
        return f"{self.value_text}%" if pct else self.value_text

    @property
    def non_official(self) -> bool:
        """The verdict rests on estimated or synthetic inputs."""
        return self.input_status in ("estimated", "synthetic")


@dataclass(frozen=True)
class Stage:
    """A stage of the plan's timetable seen from the report date (``days``: to its start or end)."""

    phase_zh: str
    phase_en: str
    start: dt.date
    end: dt.date
    days: int


@dataclass(frozen=True)
class Readiness:
    """What the creation office needs to know on ``report_date``.

    Attributes
    ----------
    adcode, county_zh, county_en : str
        The county.
    report_date : datetime.date
        The day the tasks and the timetable are read against.
    targets : tuple of TargetCheck
        County-level quantitative targets (a number to meet), in the order of the indicator
        table.
    without_number : tuple of str
        Indicators whose target states no number (``无数值目标``): shown, never counted.
    task_states : dict of str to int or None
        Tasks per state (:data:`tcmcounty.tasks.STATES`); ``None`` when the county has no task
        sheet.
    unreported_past_due : int
        Tasks whose progress is not reported although their deadline has passed.
    current : Stage or None
        The stage the report date falls in (``days``: to its end).
    next : Stage or None
        The next stage to start (``days``: to its start).
    plan_end : datetime.date or None
        When the timetable's last stage ends.
    """

    adcode: str
    county_zh: str
    county_en: str
    report_date: dt.date
    targets: tuple[TargetCheck, ...] = ()
    task_states: dict[str, int] | None = None
    unreported_past_due: int = 0
    current: Stage | None = None
    next: Stage | None = None
    plan_end: dt.date | None = None
    without_number: tuple[str, ...] = field(default=())

    # -- counts -----------------------------------------------------------------------------

    def n(self, verdict: Verdict) -> int:
        """Count the targets with ``verdict``."""
        return sum(t.verdict == verdict for t in self.targets)

    def by_grade(self, verdict: Verdict) -> dict[str, int]:
        """Count the targets with ``verdict`` per evidence grade (grades present only)."""
        out: dict[str, int] = {}
        for t in self.targets:
            if t.verdict == verdict:
                out[t.grade] = out.get(t.grade, 0) + 1
        return out

    @property
    def n_tasks(self) -> int:
        """Number of tasks (0 without a task sheet)."""
        return sum((self.task_states or {}).values())

    @property
    def overdue(self) -> int:
        """Tasks past their deadline and not done: reported late, or not reported at all.

        The one count of overdue tasks every output shows (a task whose progress is not
        reported past its deadline is overdue too, never "0 late" beside it).
        """
        s = self.task_states or {}
        return int(s.get("late", 0)) + self.unreported_past_due

    @property
    def ready(self) -> bool:
        """Every target met (none without data) and every task done."""
        tasks_done = self.task_states is None or self.task_states["done"] == self.n_tasks
        return bool(self.targets) and self.n("met") == len(self.targets) and tasks_done

    def grade_counts(self) -> dict[str, int]:
        """Count the targets per evidence grade of the target (grades present only)."""
        out: dict[str, int] = {}
        for t in self.targets:
            out[t.grade] = out.get(t.grade, 0) + 1
        return out

    def largest_gaps(self, k: int = ACTIONS_SHOWN) -> list[TargetCheck]:
        """Return the ``k`` unmet targets furthest from their target (shortfall, largest first)."""
        unmet = [t for t in self.targets if t.verdict == "not_met"]
        return sorted(unmet, key=lambda t: -(t.shortfall or 0.0))[:k]

    # -- text -------------------------------------------------------------------------------

    def missing(self) -> list[tuple[str, str]]:
        """Return what stands between the county and the review, as (Chinese, English) lines."""
        out: list[tuple[str, str]] = []
        if not self.targets:
            out.append(("没有可判定的指标", "no indicator could be assessed"))
        first = self.largest_gaps()
        out.extend(t.action for t in first)
        rest = [t for t in self.targets if t.verdict == "not_met" and t not in first]
        if rest:
            out.append(
                (
                    f"另有 {len(rest)} 项未达标：{'；'.join(t.name_zh for t in rest)}",
                    f"{len(rest)} more targets not met: {'; '.join(t.name_en for t in rest)}",
                )
            )
        no_data = [t for t in self.targets if t.verdict == "no_data"]
        if no_data:
            out.append(
                (
                    f"{len(no_data)} 项无法判定（缺数据或数据不全）：{'；'.join(t.name_zh for t in no_data)}",
                    f"{len(no_data)} targets without a verdict (data missing or incomplete): "
                    f"{'; '.join(t.name_en for t in no_data)}",
                )
            )
        weak = [t for t in self.targets if t.verdict != "no_data" and t.non_official]
        if weak:
            out.append(
                (
                    f"{len(weak)} 项判定基于估算或模拟数据，须以本县官方数据核实："
                    f"{'；'.join(t.name_zh for t in weak)}",
                    f"{len(weak)} verdicts rest on estimated or synthetic data and must be checked "
                    f"against the county's official figures: {'; '.join(t.name_en for t in weak)}",
                )
            )
        s = self.task_states
        if s is not None:
            if self.overdue:
                out.append(
                    (
                        f"{self.overdue} 项任务已过期限未完成（其中 {self.unreported_past_due} 项未报告进展）",
                        f"{self.overdue} tasks past their deadline and not done "
                        f"({self.unreported_past_due} with no progress reported)",
                    )
                )
            if s["not_reported"]:
                past = (
                    f"（{self.unreported_past_due} 项已过期限）" if self.unreported_past_due else ""
                )
                past_en = f" ({self.unreported_past_due} past their deadline)" if past else ""
                out.append(
                    (
                        f"{s['not_reported']} 项任务未报告进展{past}",
                        f"{s['not_reported']} tasks with no progress reported{past_en}",
                    )
                )
            if s["open"]:
                out.append(
                    (f"{s['open']} 项任务未完成（未到期）", f"{s['open']} tasks open, not yet due")
                )
        return out

    def stage_text(self) -> tuple[str, str]:
        """Return the timetable in one phrase (Chinese, English)."""
        if self.current is not None or self.next is not None:
            zh_parts, en_parts = [], []
            if self.current is not None:
                c = self.current
                zh_parts.append(f"{c.phase_zh}进行中，{c.days} 天后结束")
                en_parts.append(f"{c.phase_en or c.phase_zh} under way, ends in {c.days} days")
            if self.next is not None:
                n = self.next
                zh_parts.append(f"距{n.phase_zh}（{n.start.isoformat()} 开始）{n.days} 天")
                en_parts.append(
                    f"{n.days} days to {n.phase_en or n.phase_zh} (starts {n.start.isoformat()})"
                )
            zh, en = "，".join(zh_parts), ", ".join(en_parts)
        elif self.plan_end is not None:
            days = (self.report_date - self.plan_end).days
            zh = f"方案各阶段已于 {self.plan_end.isoformat()} 结束（{days} 天前）"
            en = f"every stage of the plan ended on {self.plan_end.isoformat()} ({days} days ago)"
        else:
            zh, en = "无创建方案时间表", "no plan timetable"
        return zh, en

    def summary(self) -> str:
        """One bilingual line: the verdict, targets, tasks and the timetable.

        The line the index shows and the report and the command print.
        """
        zh = [
            "已就绪" if self.ready else "未就绪",
            f"指标 {self.n('met')}/{len(self.targets)} 达标、{self.n('not_met')} 未达标、"
            f"{self.n('no_data')} 无法判定",
        ]
        en = [
            "ready" if self.ready else "not ready",
            f"targets {self.n('met')}/{len(self.targets)} met, {self.n('not_met')} not met, "
            f"{self.n('no_data')} no verdict",
        ]
        s = self.task_states
        if s is not None:
            zh.append(
                f"任务 {s['done']}/{self.n_tasks} 完成、{self.overdue} 过期未完成、{s['not_reported']} 未报告"
            )
            en.append(
                f"tasks {s['done']}/{self.n_tasks} done, {self.overdue} overdue, "
                f"{s['not_reported']} not reported"
            )
        stage_zh, stage_en = self.stage_text()
        return "；".join([*zh, stage_zh]) + " / " + "; ".join([*en, stage_en])

    # -- records ----------------------------------------------------------------------------

    def record(self) -> dict[str, Any]:
        """Flat JSON fields for a report's record (``readiness_*``; read by the batch index)."""
        s = self.task_states
        return {
            "readiness_ready": self.ready,
            "readiness_summary": self.summary(),
            "readiness_report_date": self.report_date.isoformat(),
            "readiness_targets_met": self.n("met"),
            "readiness_targets_not_met": self.n("not_met"),
            "readiness_targets_no_data": self.n("no_data"),
            "readiness_tasks": None if s is None else self.n_tasks,
            "readiness_tasks_done": None if s is None else s["done"],
            "readiness_tasks_late": None if s is None else self.overdue,
            "readiness_tasks_not_reported": None if s is None else s["not_reported"],
            "readiness_days_to_next_stage": None if self.next is None else self.next.days,
        }

    def to_json(self) -> dict[str, Any]:
        """Everything, JSON-serialisable (``tcmcounty readiness --format json``)."""

        def stage(s: Stage | None) -> dict[str, Any] | None:
            if s is None:
                return None
            return {
                "phase_zh": s.phase_zh,
                "phase_en": s.phase_en,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "days": s.days,
            }

        return {
            "adcode": self.adcode,
            "county_zh": self.county_zh,
            "county_en": self.county_en,
            "report_date": self.report_date.isoformat(),
            "ready": self.ready,
            "summary": self.summary(),
            "targets": [
                {
                    "id": t.id,
                    "name_zh": t.name_zh,
                    "name_en": t.name_en,
                    "value": t.shown,
                    "target": t.target,
                    "verdict": t.verdict,
                    "grade": t.grade,
                    "input_status": t.input_status or None,
                    "input_derived": t.input_derived or None,
                }
                for t in self.targets
            ],
            "targets_by_verdict": {v: self.n(v) for v in VERDICTS},
            "tasks": self.task_states,
            "tasks_unreported_past_due": self.unreported_past_due,
            "tasks_overdue": None if self.task_states is None else self.overdue,
            "current_stage": stage(self.current),
            "next_stage": stage(self.next),
            "plan_end": self.plan_end.isoformat() if self.plan_end else None,
            "targets_without_number": list(self.without_number),
            "missing": [{"zh": zh, "en": en} for zh, en in self.missing()],
        }

    def target_frame(self) -> pd.DataFrame:
        """Return the targets as a table: id, names, value, target, verdict, grade (and labels)."""
        return pd.DataFrame(
            [
                {
                    "id": t.id,
                    "name_zh": t.name_zh,
                    "name_en": t.name_en,
                    "value": t.shown,
                    "target": t.target,
                    "verdict": t.verdict,
                    "verdict_zh": VERDICT_ZH[t.verdict],
                    "grade": t.grade,
                    "grade_label": GRADE_LABELS.get(t.grade, t.grade),
                    "input_status": t.input_status,
                    "input_derived": t.input_derived,
                    "status_shown": t.status_shown,
                    "reason": t.reason,
                }
                for t in self.targets
            ],
            columns=[
                "id",
                "name_zh",
                "name_en",
                "value",
                "target",
                "verdict",
                "verdict_zh",
                "grade",
                "grade_label",
                "input_status",
                "input_derived",
                "status_shown",
                "reason",
            ],
        )


def _text(v: object) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    return str(v)


def _verdict(met: object) -> Verdict:
    if met is None or met is pd.NA or (isinstance(met, float) and met != met):
        return "no_data"
    return "met" if bool(met) else "not_met"


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v


def _targets(indicators: pd.DataFrame | None) -> tuple[tuple[TargetCheck, ...], tuple[str, ...]]:
    """County-level rows with a quantitative target, and the ids of those without a number."""
    if indicators is None or not len(indicators):
        return (), ()
    rows = indicators
    if "level" in rows:
        rows = rows[rows["level"].astype(str).isin(["county", ""]) | rows["level"].isna()]
    out, without = [], []
    for r in rows.to_dict("records"):
        if not _text(r.get("target")):
            continue  # a figure shown for information has no verdict to give
        if not (_is_number(r.get("target_low")) or _is_number(r.get("target_high"))):
            without.append(_text(r.get("id")))  # "no numeric target found": nothing to meet
            continue
        grade = _text(r.get("target_grade")) or DEFAULT_GRADE
        out.append(
            TargetCheck(
                id=_text(r.get("id")),
                name_zh=_text(r.get("name_zh")),
                name_en=_text(r.get("name_en")),
                value_text=_text(r.get("value_text")) or "—",
                unit=_text(r.get("unit")),
                target=_text(r.get("target")),
                verdict=_verdict(r.get("met")),
                grade=grade,
                reason=_text(r.get("reason")),
                input_status=_text(r.get("input_status")),
                input_derived=_text(r.get("input_derived")),
                need=int(r["need"]) if _is_number(r.get("need")) else None,
                need_unit=_text(r.get("need_unit")),
                shortfall=_shortfall(r),
            )
        )
    return tuple(out), tuple(without)


def _shortfall(r: dict[Hashable, Any]) -> float | None:
    """How far a value is from its target, as a share of the target (0 when met)."""
    gap, low, high = r.get("gap"), r.get("target_low"), r.get("target_high")
    if not _is_number(gap):
        return None
    scale = low if _is_number(low) and low else high if _is_number(high) and high else None
    return max(0.0, -float(gap)) / abs(float(scale)) if scale else max(0.0, -float(gap))  # type: ignore[arg-type]


def target_counts(indicators: pd.DataFrame | None) -> dict[str, int]:
    """Count the county-level targets: met, not met, no verdict, and targets without a number.

    The one count of each kind every output shows (the report's first screen and headline,
    ``tcmcounty readiness``, index.html and summary.xlsx): ``no_data`` counts targets with a
    number that the data cannot judge; ``without_number`` the targets that state no number
    (shown, never judged).

    Examples
    --------
    >>> target_counts(None)
    {'met': 0, 'not_met': 0, 'no_data': 0, 'without_number': 0}
    """
    targets, without = _targets(indicators)
    out = {v: sum(t.verdict == v for t in targets) for v in ("met", "not_met", "no_data")}
    return {**out, "without_number": len(without)}


def _stages(
    plan: CountyPlan | None, day: dt.date
) -> tuple[Stage | None, Stage | None, dt.date | None]:
    if plan is None or not plan.milestones:
        return None, None, None
    ms = sorted(plan.milestones, key=lambda m: (m.start, m.end))
    current = next((m for m in ms if m.start <= day <= m.end), None)
    upcoming = next((m for m in ms if m.start > day), None)
    cur = (
        None
        if current is None
        else Stage(
            current.phase_zh, current.phase_en, current.start, current.end, (current.end - day).days
        )
    )
    nxt = (
        None
        if upcoming is None
        else Stage(
            upcoming.phase_zh,
            upcoming.phase_en,
            upcoming.start,
            upcoming.end,
            (upcoming.start - day).days,
        )
    )
    return cur, nxt, max(m.end for m in ms)


def readiness(county: Any, indicators: pd.DataFrame | None, report_date: dt.date) -> Readiness:
    """Compute the readiness of ``county`` on ``report_date`` (the one function every view uses).

    Parameters
    ----------
    county : County
        The loaded county (its tasks and plan are read; the plan is the county's own
        timetable, else the shipped plan of an anchor county: :func:`tcmcounty.plans.plan_of`).
    indicators : DataFrame or None
        The county-level indicator table (:func:`tcmcounty.indicators.compute`;
        :attr:`CountyResults.indicators` in a report).
    report_date : datetime.date
        The day to read tasks and timetable against.

    Examples
    --------
    >>> import datetime as dt, tcmcounty
    >>> c = tcmcounty.load_county("anyue", warn=False)
    >>> r = readiness(c, None, dt.date(2023, 3, 15))
    >>> r.task_states["not_reported"], r.next.phase_zh, r.next.days
    (24, '实施阶段', 17)
    """
    from tcmcounty.tasks import deadline

    plan = plan_of(county)
    states = None
    past_due = 0
    tasks = getattr(county, "tasks", None)
    if tasks is not None and len(tasks):
        got = [task_state(t, plan, report_date) for t in tasks]
        states = counts(got)
        for t, s in zip(tasks, got, strict=True):
            due, _ = deadline(t, plan)
            past_due += s == "not_reported" and due is not None and report_date > due
    current, nxt, end = _stages(plan, report_date)
    checks, without = _targets(indicators)
    return Readiness(
        adcode=str(getattr(county, "adcode", "")),
        county_zh=str(getattr(county, "name_zh", "")),
        county_en=str(getattr(county, "name_en", "")),
        report_date=report_date,
        targets=checks,
        task_states=states,
        unreported_past_due=int(past_due),
        current=current,
        next=nxt,
        plan_end=end,
        without_number=without,
    )


def results_readiness(res: Any, report_date: object = None) -> Readiness:
    """:func:`readiness` of a county's :class:`~tcmcounty.reporting.results.CountyResults`."""
    from tcmcounty.reporting.parameters import parse_report_date

    return readiness(res.county, res.indicators, parse_report_date(report_date))


def county_readiness(
    county: Any,
    report_date: object = None,
    *,
    population: str = "resident",
    targets: str | os.PathLike[str] | None = None,
) -> Readiness:
    """:func:`readiness` of a loaded county, computing its indicators as a report does.

    The indicators are :func:`tcmcounty.indicators.compute` with the report's population basis
    and targets file (what :func:`tcmcounty.reporting.results.compute_results` stores), so
    ``tcmcounty readiness`` and the report agree without running the spatial analyses.
    """
    from tcmcounty import indicators
    from tcmcounty.reporting.parameters import parse_report_date

    table = indicators.compute(county, population=population, targets=targets)
    return readiness(county, table, parse_report_date(report_date))


def to_frame(r: Readiness) -> pd.DataFrame:
    """One long table of a readiness (``tcmcounty readiness --format csv``).

    Rows of ``kind`` ``target`` (one per target: value, target, verdict, grade, data status),
    ``tasks`` (one per task state, ``value`` = count) and ``stage`` (current / next stage,
    ``value`` = days to its end / start); a first row ``summary`` holds :meth:`Readiness.summary`.
    """
    cols = [
        "kind",
        "id",
        "name_zh",
        "name_en",
        "value",
        "target",
        "verdict",
        "grade",
        "input_status",
        "input_derived",
    ]
    rows: list[dict[str, object]] = [
        {"kind": "summary", "id": "ready" if r.ready else "not_ready", "value": r.summary()}
    ]
    for t in r.targets:
        rows.append(
            {
                "kind": "target",
                "id": t.id,
                "name_zh": t.name_zh,
                "name_en": t.name_en,
                "value": t.shown,
                "target": t.target,
                "verdict": t.verdict,
                "grade": t.grade,
                "input_status": t.input_status,
                "input_derived": t.input_derived or None,
            }
        )
    for state, n in (r.task_states or {}).items():
        rows.append({"kind": "tasks", "id": state, "value": n})
    for which, st in (("current", r.current), ("next", r.next)):
        if st is not None:
            rows.append(
                {
                    "kind": "stage",
                    "id": which,
                    "name_zh": st.phase_zh,
                    "name_en": st.phase_en,
                    "value": st.days,
                }
            )
    return pd.DataFrame(rows, columns=cols)
