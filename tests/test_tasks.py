"""The plan's tasks (任务分工): the bundled counties' tasks as their plans write them, and late tasks
per responsible unit on a filled county, checked by hand against the report date.

The filled county (:func:`filled_bundle`) is the tiny test county with a timetable and six tasks:

======  ==================  ===============  =========================  ==============  ======
number  lead                partners         stage / due                progress        due by
======  ==================  ===============  =========================  ==============  ======
1       县卫生健康局          县政府办公室        启动阶段                     已完成           03-31
2       县卫生健康局          县发展和改革局、县财政局  建设阶段                 进行中           09-30
3       县财政局              县卫生健康局        due 2024年6月               未开始           06-30
4       县教育和体育局         县卫生健康局        建设 (= 建设阶段)            进行中           09-30
5       县卫生健康局          —                 验收阶段                     未开始           12-31
6       县委宣传部            —                 — (plan end)                —  (未报告)     12-31
======  ==================  ===============  =========================  ==============  ======

On 2024-07-15: 1 done; 3 late by 15 days (30 June → 15 July); 2, 4, 5 not yet due; 6 not
reported. On 2024-10-08: 2 and 4 late by 8 days, 3 late by 100 days (30+31+31+8), 5 not yet
due, 6 not reported.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from conftest import write_bundle

import tcmcounty
from tcmcounty.plans import county_plan
from tcmcounty.tasks import Task, TaskList, deadline, task_state, task_table, unit_table

TIMETABLE_CSV = (
    "phase_zh,start,end,tasks_zh\n"
    "启动阶段,2024-01-01,2024-03-31,成立领导小组\n"
    "建设阶段,2024年4月,2024年9月,建设中医馆\n"
    "验收阶段,2024-10-01,2024-12-31,迎接验收\n"
)
TASKS_CSV = (
    "任务编号,任务内容,牵头单位,配合单位,阶段,完成时限,完成情况,佐证材料,来源\n"
    "1,成立创建工作领导小组,县卫生健康局,县政府办公室,启动阶段,,已完成,县政府办文件,s1\n"
    "2,制定中医药发展规划,县卫生健康局,县发展和改革局、县财政局,建设阶段,,进行中,,s1\n"
    "3,建设中医馆,县财政局,县卫生健康局,,2024年6月,未开始,,s1\n"
    "4,开展中医药文化进校园,县教育和体育局,县卫生健康局,建设,,进行中,,s1\n"
    "5,迎接省级验收,县卫生健康局,,验收阶段,,未开始,,s1\n"
    "6,中医药宣传,县委宣传部,,,,,,s1\n"
)


def filled_bundle(folder: Path) -> Path:
    """The tiny county with its own timetable and a filled 任务分工 (see the module docstring)."""
    return write_bundle(folder, {"timetable.csv": TIMETABLE_CSV, "tasks.csv": TASKS_CSV})


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tcmcounty.County:
    folder = filled_bundle(tmp_path_factory.mktemp("filled") / "410101-test")
    return tcmcounty.load_county(folder, warn=False)


# ------------------------------------------------------------------------------ bundled counties


def test_anyue_has_the_24_tasks_of_its_plan() -> None:
    c = tcmcounty.load_county("anyue", warn=False)
    tasks = c.tasks.tasks
    assert len(tasks) == 24
    assert [t.number for t in tasks[:3]] + [tasks[-1].number] == ["一", "二", "三", "二十四"]
    # 〔责任单位：县委办公室、县政府办公室，县发展和改革局、县农业农村局、县卫生健康局（逗号前为牵头单位…）〕
    assert tasks[0].lead == ("县委办公室", "县政府办公室")
    assert tasks[0].partners == ("县发展和改革局", "县农业农村局", "县卫生健康局")
    assert "《中共中央 国务院关于促进中医药传承创新发展的意见》" in tasks[0].text
    # (四) 〔责任单位：县卫生健康局，县政府外网办、县信访局、县统计局〕
    assert tasks[3].text.endswith("使群众对中医药服务满意率≥90%。")
    assert (tasks[3].lead, tasks[3].partners) == (
        ("县卫生健康局",),
        ("县政府外网办", "县信访局", "县统计局"),
    )
    # (十) one lead, no partners; (十三) 县医保局 is the plan's 县医疗保障局
    assert (tasks[9].lead, tasks[9].partners) == (("县医疗保障局",), ())
    assert tasks[12].lead == ("县市场监督管理局",)
    assert tasks[12].partners[0] == "县医疗保障局"
    # (十七) no comma: both units lead
    assert tasks[16].lead == ("县教育和体育局", "县卫生健康局") and tasks[16].partners == ()
    assert tasks[17].partners == ("各相关部门",)
    assert "至少有10%的社区卫生服务站和村卫生室设置“中医阁”" in tasks[23].text
    assert {t.progress for t in tasks} == {"not_reported"}
    assert {t.source for t in tasks} == {"anyue-plan-2023"}
    assert {t.stage for t in tasks} == {"实施阶段"}
    lead_count = {u: sum(u in t.lead for t in tasks) for u in c.tasks.units()}
    # 县卫生健康局 leads (二)(三)(四)(九)(十七)(十八)(二十)–(二十四); 县财政局 (六)(十二)(十四)
    assert lead_count["县卫生健康局"] == 11 and lead_count["县财政局"] == 3


def test_wenxi_tasks_are_its_stages_and_measures() -> None:
    c = tcmcounty.load_county("wenxi", warn=False)
    tasks = {t.number: t for t in c.tasks}
    assert len(tasks) == 16
    assert tasks["二（一）"].lead == ("县卫健局",) and tasks["二（一）"].partners == ("各医疗机构",)
    assert "签订目标管理责任书" in tasks["二（一）"].text
    assert tasks["三（二）2"].lead == ("县中医院",)
    assert tasks["三（二）2"].text.startswith("县中医院负责完成中医药人员")
    assert tasks["一（二）1"].lead == ("县中医院", "县人民医院", "乡镇卫生院")
    assert tasks["一（二）3"].lead == ("未明确",)  # the plan names no unit: never guessed
    plan = county_plan("140823")
    stages = {m.phase_zh for m in plan.milestones}
    assert {t.stage for t in tasks.values() if t.stage} == stages
    assert {t.progress for t in tasks.values()} == {"not_reported"}
    assert deadline(tasks["三（三）"], plan) == (dt.date(2023, 12, 31), "stage")
    assert deadline(tasks["二（二）"], plan) == (dt.date(2023, 12, 31), "plan_end")


# ------------------------------------------------------------------------------ filled county


def test_filled_county_reads_the_sheet(filled: tcmcounty.County) -> None:
    t = filled.tasks.tasks
    assert [x.progress for x in t] == [
        "done",
        "in_progress",
        "not_started",
        "in_progress",
        "not_started",
        "not_reported",
    ]
    assert t[1].partners == ("县发展和改革局", "县财政局")
    assert t[2].due == dt.date(2024, 6, 30)  # 2024年6月 as a due date is the month's last day
    assert t[0].evidence == "县政府办文件"


def test_late_tasks_on_2024_07_15(filled: tcmcounty.County) -> None:
    tt = task_table(filled.tasks, filled.plan, dt.date(2024, 7, 15))
    assert list(tt["state"]) == ["done", "open", "late", "open", "open", "not_reported"]
    assert list(tt["due"]) == [
        "2024-03-31",
        "2024-09-30",
        "2024-06-30",
        "2024-09-30",
        "2024-12-31",
        "2024-12-31",
    ]
    assert tt.loc[2, "days_late"] == 15
    ut = unit_table(filled.tasks, filled.plan, dt.date(2024, 7, 15)).set_index("unit")
    assert ut.loc["县卫生健康局", "lead_tasks"] == "1、2、5"
    assert ut.loc["县卫生健康局", "partner_tasks"] == "3、4"
    assert ut.loc["县卫生健康局", ["done", "late", "open", "not_reported"]].tolist() == [1, 1, 3, 0]
    assert ut.loc["县财政局", ["lead_tasks", "partner_tasks", "late_tasks"]].tolist() == [
        "3",
        "2",
        "3",
    ]
    assert ut.loc["县委宣传部", "not_reported"] == 1 and ut.loc["县委宣传部", "late"] == 0
    assert ut.loc["县政府办公室", "done"] == 1
    assert int(ut["late"].gt(0).sum()) == 2  # 县卫生健康局 (supports 3) and 县财政局 (leads 3)


def test_late_tasks_on_2024_10_08(filled: tcmcounty.County) -> None:
    tt = task_table(filled.tasks, filled.plan, dt.date(2024, 10, 8))
    assert list(tt["state"]) == ["done", "late", "late", "late", "open", "not_reported"]
    assert tt["days_late"].tolist()[1:4] == [8, 100, 8]
    ut = unit_table(filled.tasks, filled.plan, dt.date(2024, 10, 8)).set_index("unit")
    assert ut.loc["县卫生健康局", "late_tasks"] == "2、3、4"
    assert ut.loc["县教育和体育局", "late_tasks"] == "4"
    assert ut.loc["县发展和改革局", "late"] == 1


def test_the_lateness_rule() -> None:
    plan = county_plan("512021")  # 实施阶段 ends 2023-09-30
    t = Task("1", "x", ("卫健局",), stage="实施阶段", progress="in_progress")
    assert task_state(t, plan, dt.date(2023, 9, 30)) == "open"  # the deadline day is in time
    assert task_state(t, plan, dt.date(2023, 10, 1)) == "late"
    for progress, state in (("done", "done"), ("not_reported", "not_reported")):
        other = Task("1", "x", ("卫健局",), stage="实施阶段", progress=progress)
        assert task_state(other, plan, dt.date(2030, 1, 1)) == state
    due = Task(
        "1", "x", ("卫健局",), stage="实施阶段", due=dt.date(2023, 5, 1), progress="in_progress"
    )
    assert deadline(due, plan) == (dt.date(2023, 5, 1), "due")  # a due date beats the stage
    unknown = Task("1", "x", ("卫健局",), stage="宣传阶段", progress="not_started")
    assert deadline(unknown, plan) == (None, "unknown_stage")
    assert task_state(unknown, plan, dt.date(2030, 1, 1)) == "open"  # no deadline: never late
    assert deadline(t, None) == (None, "no_timetable")


def test_unknown_stage_is_warned(tmp_path: Path) -> None:
    tasks = TASKS_CSV.replace(
        "4,开展中医药文化进校园,县教育和体育局,县卫生健康局,建设,",
        "4,开展中医药文化进校园,县教育和体育局,县卫生健康局,宣传阶段,",
    )
    folder = write_bundle(tmp_path / "b", {"timetable.csv": TIMETABLE_CSV, "tasks.csv": tasks})
    report = tcmcounty.validate(folder)
    (p,) = [p for p in report.problems if p.column == "stage"]
    assert p.severity == "warning" and p.row == 5 and p.value == "宣传阶段"
    assert "启动阶段、建设阶段、验收阶段" in p.message_zh


def test_county_without_tasks_has_none(tiny_bundle: Path) -> None:
    assert tcmcounty.load_county(tiny_bundle, warn=False).tasks is None


def test_workbook_round_trip(filled: tcmcounty.County, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from tcmcounty.inputs.workbook import write_workbook

    path = write_workbook(tmp_path / "测试县.xlsx", filled)
    ws = load_workbook(path)["任务分工"]
    assert [c.value for c in ws[1]][:4] == ["任务编号", "任务内容", "牵头单位", "配合单位"]
    assert ws.cell(3, 4).value == "县发展和改革局、县财政局" and ws.cell(2, 7).value == "已完成"
    back = tcmcounty.load_county(path)
    assert back.tasks.tasks == tuple(
        Task(
            t.number,
            t.text,
            t.lead,
            t.partners,
            t.stage,
            t.due,
            t.progress,
            t.evidence,
            t.source,
            r,
        )
        for t, r in zip(filled.tasks, range(2, 8), strict=True)
    )


def test_template_has_the_sheet(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from tcmcounty.cli import main

    out = tmp_path / "模板.xlsx"
    assert main(["template", str(out)]) == 0
    wb = load_workbook(out)
    assert "任务分工" in wb.sheetnames
    assert [c.value for c in wb["任务分工"][1]] == [
        "任务编号",
        "任务内容",
        "牵头单位",
        "配合单位",
        "阶段",
        "完成时限",
        "完成情况",
        "佐证材料",
        "来源",
    ]
    assert TaskList(()).units() == []


def test_own_sheet_found_by_its_headers(filled: tcmcounty.County, tmp_path: Path) -> None:
    """A county's own sheet (named Sheet3, with 序号 and 责任单位) is read as the task table."""
    from openpyxl import load_workbook

    from tcmcounty.inputs.workbook import write_workbook

    path = write_workbook(tmp_path / "县里的表.xlsx", filled)
    wb = load_workbook(path)
    del wb["任务分工"]
    ws = wb.create_sheet("Sheet3")
    ws.append(["测试县创建工作任务分解表"])
    ws.append(["序号", "重点任务", "责任单位", "配合部门", "完成时限", "进展情况"])
    ws.append([1, "建设中医馆", "县财政局", "县卫生健康局", "2024年6月", "推进中"])
    ws.append([2, "中医药宣传", "县委宣传部", None, None, None])
    wb.save(path)
    c = tcmcounty.load_county(path, warn=False)
    assert [(t.number, t.lead, t.partners, t.due, t.progress) for t in c.tasks] == [
        ("1", ("县财政局",), ("县卫生健康局",), dt.date(2024, 6, 30), "in_progress"),
        ("2", ("县委宣传部",), (), None, "not_reported"),
    ]


SEEDS = Path(
    os.environ.get("TCMCOUNTY_SEEDS", Path(__file__).resolve().parents[2] / "shared" / "seeds")
)


@pytest.mark.skipif(not (SEEDS / "anyue_plan_2023.txt").is_file(), reason="plan texts not here")
def test_bundled_tasks_rebuild_from_the_plans(tmp_path: Path) -> None:
    """``scripts/build_tasks.py`` writes the shipped tasks.csv files from the plans' text."""
    import runpy

    root = Path(__file__).resolve().parents[1]
    build = runpy.run_path(str(root / "scripts" / "build_tasks.py"))
    assert build["main"]([str(SEEDS), "--check"]) == 0
    for folder in ("512021-anyue", "140823-wenxi"):
        (tmp_path / folder).mkdir()
    assert build["main"]([str(SEEDS), "--out", str(tmp_path)]) == 0
    for folder in ("512021-anyue", "140823-wenxi"):
        shipped = root / "data" / "counties" / folder / "tasks.csv"
        assert (tmp_path / folder / "tasks.csv").read_bytes() == shipped.read_bytes()
