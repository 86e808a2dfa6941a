"""County creation plans (实施方案 / 工作计划): their timetable of phases.

A plan comes from the county's own data (the 实施步骤 sheet of a workbook, ``timetable.csv`` of
a folder) or, for the two anchor counties, from the transcribed plans shipped in
``tcmcounty/data/plans/<adcode>.toml``.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from tcmcounty.errors import ReportError


@dataclass(frozen=True)
class Milestone:
    """One phase of a county's 示范县 creation plan."""

    phase_zh: str
    phase_en: str
    start: dt.date
    end: dt.date
    tasks_zh: str = ""
    tasks_en: str = ""


@dataclass(frozen=True)
class CountyPlan:
    """A county government's plan for the 示范县 review, with its milestones and source."""

    adcode: str
    county_zh: str
    title_zh: str
    title_en: str
    document_number: str
    issuer: str
    issued: dt.date | None
    source: str
    note: str
    milestones: tuple[Milestone, ...]


def _date(v: object, what: str) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise ReportError(f"{what}: {v!r} is not a date (YYYY-MM-DD)") from None


def county_plan(adcode: str) -> CountyPlan | None:
    """Return the shipped creation plan of a county (``data/plans/<adcode>.toml``), or ``None``.

    Examples
    --------
    >>> [m.phase_zh for m in county_plan("140823").milestones]
    ['基础建设阶段', '创建攻坚阶段', '评估验收阶段']
    """
    if not str(adcode).isdigit():
        return None
    res = resources.files("tcmcounty").joinpath("data", "plans", f"{adcode}.toml")
    if not res.is_file():
        return None
    d = tomllib.loads(res.read_text(encoding="utf-8"))
    ms = tuple(
        Milestone(
            m["phase_zh"],
            m["phase_en"],
            _date(m["start"], "start"),
            _date(m["end"], "end"),
            m.get("tasks_zh", ""),
            m.get("tasks_en", ""),
        )
        for m in d.get("milestone", [])
    )
    return CountyPlan(
        adcode=str(d["adcode"]),
        county_zh=d.get("county_zh", ""),
        title_zh=d.get("title_zh", ""),
        title_en=d.get("title_en", ""),
        document_number=d.get("document_number", ""),
        issuer=d.get("issuer", ""),
        issued=_date(d["issued"], "issued"),
        source=d.get("source", ""),
        note=d.get("note", ""),
        milestones=ms,
    )


def _text(v: object) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def plan_from_table(
    table: pd.DataFrame | None, adcode: str, county_zh: str, path: Path | None = None
) -> CountyPlan | None:
    """Build a county's plan from its timetable table (``None`` when the table is empty).

    Parameters
    ----------
    table : DataFrame or None
        Rows of the 实施步骤 sheet / ``timetable.csv`` (columns of ``schema.TIMETABLE``).
    adcode, county_zh : str
        The county.
    path : pathlib.Path, optional
        Where the data came from (named as the plan's source).
    """
    if table is None or not len(table):
        return None
    rows = table.sort_values("start", kind="stable")
    milestones = tuple(
        Milestone(
            _text(r["phase_zh"]),
            _text(r.get("phase_en")),
            r["start"],
            r["end"],
            _text(r.get("tasks_zh")),
            _text(r.get("tasks_en")),
        )
        for _, r in rows.iterrows()
    )
    where = path.name if path is not None else "county data"
    return CountyPlan(
        adcode=adcode,
        county_zh=county_zh,
        title_zh=f"{county_zh}创建全国基层中医药工作示范县实施步骤",
        title_en="Creation timetable supplied by the county",
        document_number="",
        issuer=county_zh,
        issued=None,
        source=f"{where}（实施步骤，县里提供 / timetable supplied by the county）",
        note="",
        milestones=milestones,
    )


def plan_of(county: object) -> CountyPlan | None:
    """Return the plan a report shows: the county's own timetable, else the shipped plan, else ``None``.

    Examples
    --------
    >>> import tcmcounty
    >>> plan_of(tcmcounty.load_county("wenxi", warn=False)).document_number
    '闻政办发〔2023〕6号'
    """
    own: CountyPlan | None = getattr(county, "plan", None)
    if own is not None:
        return own
    return county_plan(str(getattr(county, "adcode", "")))
