"""The creation plan's tasks (任务分工) and the units that answer for them.

A county's plan divides the work of the 示范县 creation into tasks, each with one or more lead
units (牵头单位), co-operating units (配合单位), the stage of the timetable it belongs to, a
due date and its progress (未开始 / 进行中 / 已完成, or 未报告 while nobody has said). The
tasks come from the 任务分工 sheet of a workbook or ``tasks.csv`` of a bundle folder
(:data:`tcmcounty.schema.TASKS`); the two anchor counties ship theirs, transcribed from their
plans with progress "not reported" (``scripts/build_tasks.py``).

One rule decides whether a task is late: :func:`task_state`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from tcmcounty.plans import CountyPlan, Milestone

Progress = Literal["not_started", "in_progress", "done", "not_reported"]
#: Progress a county reports for a task, in the order shown.
PROGRESS: tuple[Progress, ...] = ("not_started", "in_progress", "done", "not_reported")
PROGRESS_ZH: dict[str, str] = {
    "not_started": "未开始",
    "in_progress": "进行中",
    "done": "已完成",
    "not_reported": "未报告",
}
PROGRESS_EN: dict[str, str] = {
    "not_started": "not started",
    "in_progress": "in progress",
    "done": "done",
    "not_reported": "not reported",
}

#: The lead unit of a task whose plan text names none (never guessed).
UNNAMED_UNIT = "未明确"

State = Literal["done", "late", "open", "not_reported"]
#: What :func:`task_state` says of a task on the report date.
STATES: tuple[State, ...] = ("late", "open", "not_reported", "done")
STATE_ZH: dict[str, str] = {
    "done": "已完成",
    "late": "逾期",
    "open": "未到期",
    "not_reported": "未报告",
}
STATE_EN: dict[str, str] = {
    "done": "done",
    "late": "late",
    "open": "not yet due",
    "not_reported": "not reported",
}


@dataclass(frozen=True)
class Task:
    """One task of a county's plan.

    Attributes
    ----------
    number : str
        The task's number as the plan writes it (``一``, ``二（一）``); may be empty.
    text : str
        What is to be done.
    lead : tuple of str
        Lead units (牵头单位), at least one.
    partners : tuple of str
        Co-operating units (配合单位).
    stage : str
        The timetable stage the task belongs to (``实施阶段``); empty when not given.
    due : datetime.date or None
        Due date; when empty the task is due at the end of its stage.
    progress : {"not_started", "in_progress", "done", "not_reported"}
        What the county reports.
    evidence : str
        Evidence of progress (文件、记录) as given.
    source : str
        Source id (``sources.csv``) of the task's text.
    row : int or None
        Row of the sheet or CSV line it was read from.
    """

    number: str
    text: str
    lead: tuple[str, ...]
    partners: tuple[str, ...] = ()
    stage: str = ""
    due: dt.date | None = None
    progress: Progress = "not_reported"
    evidence: str = ""
    source: str = ""
    row: int | None = None

    @property
    def units(self) -> tuple[str, ...]:
        """Lead units then co-operating units, each once."""
        return tuple(dict.fromkeys((*self.lead, *self.partners)))


@dataclass(frozen=True)
class TaskList:
    """The tasks of a county's plan, in the order of the plan, and where they were read."""

    tasks: tuple[Task, ...]
    origin: str = ""

    def __len__(self) -> int:
        return len(self.tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks)

    def units(self) -> list[str]:
        """Every unit named, in first-named order (lead units of a task before its partners)."""
        return list(dict.fromkeys(u for t in self.tasks for u in t.units))

    def by_unit(self) -> dict[str, list[tuple[Task, str]]]:
        """Tasks of each unit with its role (``lead`` or ``partner``), units in first-named order.

        Examples
        --------
        >>> tl = TaskList((Task("1", "a", ("卫健局",), ("财政局",)), Task("2", "b", ("财政局",))))
        >>> {u: [(t.number, role) for t, role in ts] for u, ts in tl.by_unit().items()}
        {'卫健局': [('1', 'lead')], '财政局': [('1', 'partner'), ('2', 'lead')]}
        """
        out: dict[str, list[tuple[Task, str]]] = {u: [] for u in self.units()}
        for t in self.tasks:
            for u in t.units:
                out[u].append((t, "lead" if u in t.lead else "partner"))
        return out


_CN_DIGITS = dict(zip("零〇一二三四五六七八九", (0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_CN_NUMBER = re.compile(r"[零〇一二三四五六七八九十百]+")


def _cn_int(run: str) -> int:
    """Value of a Chinese numeral up to the hundreds (``二十四`` → 24, ``十`` → 10)."""
    total = digit = 0
    for ch in run:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:  # 十 or 百: the digit before it (one when none) times ten or a hundred
            total += (digit or 1) * (10 if ch == "十" else 100)
            digit = 0
    return total + digit


def number_en(number: str) -> str:
    """Write a plan's task numbers with Arabic numerals, for English reports.

    Chinese numerals become numbers, full-width brackets ASCII ones, and ``、`` between numbers
    a comma; the plan's own numbering (一、二, 二（一）) is kept in its order and depth.

    Parameters
    ----------
    number : str
        One number as the plan writes it, or several joined by ``、``.

    Returns
    -------
    str

    Examples
    --------
    >>> number_en("二十四"), number_en("一（二）1"), number_en("一、二、十三")
    ('24', '1 (2) 1', '1, 2, 13')
    """
    text = _CN_NUMBER.sub(lambda m: str(_cn_int(m[0])), str(number))
    text = text.replace("（", " (").replace("）", ") ").replace("、", ", ")
    return " ".join(text.split()).replace("( ", "(").replace(" )", ")")


def _stage_key(text: str) -> str:
    return "".join(str(text).split()).removesuffix("阶段")


def find_stage(plan: CountyPlan, stage: str) -> Milestone | None:
    """Return the milestone of ``plan`` that a task's ``stage`` names, or ``None``.

    Names match without spaces and with or without the word 阶段 (``实施`` = ``实施阶段``), or
    the English phase name, case-insensitive.

    Examples
    --------
    >>> from tcmcounty.plans import county_plan
    >>> find_stage(county_plan("512021"), "实施").end
    datetime.date(2023, 9, 30)
    """
    key = _stage_key(stage)
    for m in plan.milestones:
        if _stage_key(m.phase_zh) == key or (
            m.phase_en and m.phase_en.strip().lower() == stage.strip().lower()
        ):
            return m
    return None


def deadline(task: Task, plan: CountyPlan | None) -> tuple[dt.date | None, str]:
    """Return when ``task`` is due and why: its due date, else the end of its stage.

    A task without due date or stage is due when the plan's last stage ends. A stage that the
    timetable does not list gives no deadline (the reason says so).

    Returns
    -------
    date or None, str
        The deadline, and its basis (``due``, ``stage``, ``plan_end``, ``no_timetable``,
        ``unknown_stage``).

    Examples
    --------
    >>> from tcmcounty.plans import county_plan
    >>> deadline(Task("1", "x", ("卫健局",), stage="实施阶段"), county_plan("512021"))
    (datetime.date(2023, 9, 30), 'stage')
    """
    if task.due is not None:
        return task.due, "due"
    if plan is None or not plan.milestones:
        return None, "no_timetable"
    if not task.stage:
        return max(m.end for m in plan.milestones), "plan_end"
    m = find_stage(plan, task.stage)
    return (m.end, "stage") if m is not None else (None, "unknown_stage")


def task_state(task: Task, plan: CountyPlan | None, report_date: dt.date) -> State:
    """Say whether ``task`` is done, late, not yet due or not reported (the one lateness rule).

    ``done`` when reported 已完成; ``not_reported`` when nobody has reported its progress;
    otherwise ``late`` once the report date is past its :func:`deadline` (the deadline day
    itself still counts as in time), else ``open``.

    Examples
    --------
    >>> import datetime as dt
    >>> from tcmcounty.plans import county_plan
    >>> t = Task("1", "x", ("卫健局",), stage="实施阶段", progress="in_progress")
    >>> plan = county_plan("512021")
    >>> task_state(t, plan, dt.date(2023, 9, 30)), task_state(t, plan, dt.date(2023, 10, 1))
    ('open', 'late')
    """
    if task.progress == "done":
        return "done"
    if task.progress == "not_reported":
        return "not_reported"
    due, _basis = deadline(task, plan)
    return "late" if due is not None and report_date > due else "open"


def task_table(tasks: TaskList, plan: CountyPlan | None, report_date: dt.date) -> pd.DataFrame:
    """Every task against the report date: one row per task, its state and deadline.

    Columns: ``number``, ``task``, ``lead``, ``partners`` (text, 、-joined), ``stage``,
    ``due`` (the deadline, ISO text or empty), ``deadline_basis``, ``progress``,
    ``progress_zh``, ``state`` (:func:`task_state`), ``state_zh``, ``days_late`` (days past the
    deadline, for any task not done; ``NA`` without deadline), ``evidence``, ``source``.
    """
    rows = []
    for t in tasks:
        due, basis = deadline(t, plan)
        state = task_state(t, plan, report_date)
        past = (report_date - due).days if due is not None and state != "done" else None
        rows.append(
            {
                "number": t.number,
                "task": t.text,
                "lead": "、".join(t.lead),
                "partners": "、".join(t.partners),
                "stage": t.stage,
                "due": due.isoformat() if due else "",
                "deadline_basis": basis,
                "progress": t.progress,
                "progress_zh": PROGRESS_ZH[t.progress],
                "state": state,
                "state_zh": STATE_ZH[state],
                "days_late": past if past is not None and past > 0 else (0 if due else None),
                "evidence": t.evidence,
                "source": t.source,
            }
        )
    df = pd.DataFrame(rows, columns=TASK_COLUMNS)
    df["days_late"] = df["days_late"].astype("Int64")
    return df


TASK_COLUMNS = (
    "number",
    "task",
    "lead",
    "partners",
    "stage",
    "due",
    "deadline_basis",
    "progress",
    "progress_zh",
    "state",
    "state_zh",
    "days_late",
    "evidence",
    "source",
)


def unit_table(tasks: TaskList, plan: CountyPlan | None, report_date: dt.date) -> pd.DataFrame:
    """Per responsible unit: tasks it leads, tasks it supports, and how many are done / late.

    Units in first-named order. Columns ``unit``, ``lead``, ``partner`` (counts),
    ``lead_tasks``, ``partner_tasks``, ``late_tasks`` (task numbers, 、-joined), and ``done``,
    ``late``, ``open``, ``not_reported`` (the unit's tasks in either role, by
    :func:`task_state`).

    Examples
    --------
    >>> import datetime as dt
    >>> tl = TaskList((Task("1", "a", ("卫健局",), ("财政局",), due=dt.date(2024, 1, 31),
    ...                     progress="in_progress"), Task("2", "b", ("财政局",), progress="done")))
    >>> unit_table(tl, None, dt.date(2024, 2, 1))[["unit", "lead_tasks", "late_tasks", "late"]]
      unit lead_tasks late_tasks  late
    0  卫健局          1          1     1
    1  财政局          2          1     1
    """
    rows = []
    for unit, items in tasks.by_unit().items():
        states = [task_state(t, plan, report_date) for t, _ in items]
        rows.append(
            {
                "unit": unit,
                "lead": sum(role == "lead" for _, role in items),
                "partner": sum(role == "partner" for _, role in items),
                "lead_tasks": "、".join(t.number for t, role in items if role == "lead"),
                "partner_tasks": "、".join(t.number for t, role in items if role == "partner"),
                "late_tasks": "、".join(
                    t.number for (t, _), s in zip(items, states, strict=True) if s == "late"
                ),
                **{s: states.count(s) for s in ("done", "late", "open", "not_reported")},
            }
        )
    return pd.DataFrame(rows, columns=UNIT_COLUMNS)


UNIT_COLUMNS = (
    "unit",
    "lead",
    "partner",
    "lead_tasks",
    "partner_tasks",
    "late_tasks",
    "done",
    "late",
    "open",
    "not_reported",
)


def _text(v: object) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v).strip()


def _units(v: object) -> tuple[str, ...]:
    if isinstance(v, (list, tuple)):
        return tuple(str(u).strip() for u in v if str(u).strip())
    text = _text(v)
    return tuple(u for u in text.replace("；", "、").replace(";", "、").split("、") if u)


def tasks_from_table(table: pd.DataFrame | None, path: Path | None = None) -> TaskList | None:
    """Build a county's task list from its 任务分工 table (``None`` when absent or empty).

    Parameters
    ----------
    table : DataFrame or None
        Rows of the 任务分工 sheet / ``tasks.csv`` as parsed (columns of ``schema.TASKS``).
    path : pathlib.Path, optional
        Where the data came from (named as the list's origin).
    """
    if table is None or not len(table):
        return None
    tasks = tuple(_task(r, i) for i, r in enumerate(table.to_dict("records"), start=1))
    return TaskList(tasks, origin=path.name if path is not None else "")


def _task(r: Mapping[Hashable, object], position: int) -> Task:
    progress = _text(r.get("progress")) or "not_reported"
    due = r.get("due")
    row = r.get("_row")
    return Task(
        number=_text(r.get("number")) or str(position),  # unnumbered: its place in the list
        text=_text(r.get("task")),
        lead=_units(r.get("lead")),
        partners=_units(r.get("partners")),
        stage=_text(r.get("stage")),
        due=due if isinstance(due, dt.date) else None,
        progress=progress if progress in PROGRESS else "not_reported",
        evidence=_text(r.get("evidence")),
        source=_text(r.get("source")),
        row=int(row) if isinstance(row, (int, float)) and row == row else None,
    )


def task_frame(tasks: TaskList) -> pd.DataFrame:
    """Return the tasks as rows of the 任务分工 table (``tasks.csv``; columns of ``schema.TASKS``).

    Units are joined with 、 as a plan writes them; ``progress`` keeps its canonical value.

    Examples
    --------
    >>> tl = TaskList((Task("一", "制定工作计划", ("县卫生健康局",), ("县财政局", "县民政局")),))
    >>> task_frame(tl).loc[0, ["number", "lead", "partners", "progress"]].tolist()
    ['一', '县卫生健康局', '县财政局、县民政局', 'not_reported']
    """
    rows = [
        {
            "number": t.number,
            "task": t.text,
            "lead": "、".join(t.lead),
            "partners": "、".join(t.partners),
            "stage": t.stage,
            "due": t.due,
            "progress": t.progress,
            "evidence": t.evidence,
            "source": t.source,
        }
        for t in tasks
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "number",
            "task",
            "lead",
            "partners",
            "stage",
            "due",
            "progress",
            "evidence",
            "source",
        ],
    )


def counts(states: Iterable[str]) -> dict[str, int]:
    """Count task states (every state of :data:`STATES` present, zero when absent).

    Examples
    --------
    >>> counts(["late", "done", "late"])
    {'late': 2, 'open': 0, 'not_reported': 0, 'done': 1}
    """
    got = list(states)
    return {s: got.count(s) for s in STATES}
