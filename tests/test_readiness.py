"""Readiness for the review: one function (:func:`tcmcounty.reporting.readiness.readiness`), and the
report's first section, ``tcmcounty readiness`` and the batch index all show what it returns.

The filled county is the one of ``test_tasks.py`` (tiny county, own timetable 启动 2024-01-01 →
03-31, 建设 04-01 → 09-30, 验收 10-01 → 12-31; six tasks). On 2024-07-15: tasks 1 done, 1 late
(task 3, due 30 June), 3 not yet due, 1 not reported; 建设阶段 ends in 77 days (16 + 31 + 30) and
验收阶段 starts in 78.
"""

from __future__ import annotations

import datetime as dt
import html as htmllib
import json
import re
from pathlib import Path

import pytest
from test_tasks import filled_bundle

import tcmcounty
from tcmcounty import indicators
from tcmcounty.cli import main
from tcmcounty.reporting.readiness import county_readiness, readiness, to_frame

DAY = dt.date(2024, 7, 15)


@pytest.fixture(scope="module")
def filled_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filled_bundle(tmp_path_factory.mktemp("ready") / "410101-test")


def _text(page: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", page))


def test_readiness_of_the_filled_county(filled_path: Path) -> None:
    county = tcmcounty.load_county(filled_path, warn=False)
    table = indicators.compute(county)
    r = readiness(county, table, DAY)
    assert r.task_states == {"late": 1, "open": 3, "not_reported": 1, "done": 1}
    assert (r.current.phase_zh, r.current.days) == ("建设阶段", 77)
    assert (r.next.phase_zh, r.next.days, r.next.start) == ("验收阶段", 78, dt.date(2024, 10, 1))
    assert r.unreported_past_due == 0 and not r.ready
    # targets: the county rows with a number to meet, verdicts as the engine gives them
    numeric = table[table["target_low"].notna() | table["target_high"].notna()]
    met = numeric["met"]
    assert len(r.targets) == len(numeric)
    assert r.n("met") == int(met.eq(True).sum()) and r.n("not_met") == int(met.eq(False).sum())
    assert r.n("no_data") == int(met.isna().sum())
    assert {t.grade for t in r.targets} <= {"verified", "derived", "unverified"}
    assert dict(zip(numeric["id"], numeric["target_grade"], strict=True)) == {
        t.id: t.grade for t in r.targets
    }
    assert set(r.without_number) == set(table["id"]) - set(numeric["id"])
    lines = dict(r.missing())
    assert "1 项任务已过期限未完成（其中 0 项未报告进展）" in lines
    assert "1 项任务未报告进展" in lines
    assert "任务 1/6 完成、1 过期未完成、1 未报告" in r.summary()
    # the first screen names actions in words, never an indicator's code
    assert not any(t.id in line for line in lines for t in r.targets)
    assert r.overdue == 1
    # after the plan: every stage over, the unreported task past its deadline (31 December)
    late = readiness(county, table, dt.date(2025, 1, 10))
    assert late.current is None and late.next is None and late.plan_end == dt.date(2024, 12, 31)
    assert late.unreported_past_due == 1 and late.task_states["late"] == 4
    assert "已于 2024-12-31 结束（10 天前）" in late.summary()


def test_bundled_counties_not_reported() -> None:
    for name, n in (("anyue", 24), ("wenxi", 16)):
        r = county_readiness(tcmcounty.load_county(name, warn=False), "2023-05-01")
        assert r.task_states == {"late": 0, "open": 0, "not_reported": n, "done": 0}
        assert r.unreported_past_due == 0  # 实施阶段 / 基础建设阶段 still under way
        assert r.targets and not r.ready
    wenxi = county_readiness(tcmcounty.load_county("wenxi", warn=False), "2023-05-01")
    assert (wenxi.next.phase_zh, wenxi.next.days) == ("创建攻坚阶段", 31)


def test_cli_gives_the_function_s_answer(
    filled_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    county = tcmcounty.load_county(filled_path, warn=False)
    expected = county_readiness(county, DAY)
    capsys.readouterr()
    assert (
        main(["readiness", str(filled_path), "--report-date", "2024-07-15", "--format", "json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out) == expected.to_json()
    assert main(["readiness", str(filled_path), "--report-date", "2024-07-15"]) == 0
    text = capsys.readouterr().out
    assert expected.summary() in text and "还缺什么" in text
    for t in expected.targets:
        assert t.id in text
    out = filled_path.parent / "ready.csv"
    assert (
        main(
            [
                "readiness",
                str(filled_path),
                "--report-date",
                "2024-07-15",
                "--format",
                "csv",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    rows = out.read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 1 + len(to_frame(expected))
    assert expected.summary() in rows[1]


def test_cli_bad_date_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["readiness", "wenxi", "--report-date", "下个月"]) == 2
    err = capsys.readouterr().err
    assert "report_date" in err and "Traceback" not in err


def test_report_section_shows_the_same(filled_path: Path) -> None:
    from tcmcounty.reporting.county_view import CountyView
    from tcmcounty.reporting.parameters import ReportParameters
    from tcmcounty.reporting.results import compute_results

    res = compute_results(filled_path)
    params = ReportParameters.from_raw(county=str(filled_path), report_date="2024-07-15")
    view = CountyView(params, results=res)
    expected = county_readiness(tcmcounty.load_county(filled_path, warn=False), DAY)
    page = str(view.readiness())
    (line,) = re.findall(r"data-tcm-readiness='1'>([^<]*)<", page)
    assert htmllib.unescape(line) == expected.summary()
    text = _text(page)
    for t in expected.targets:  # every target with its grade
        assert t.id in text
    assert "未核实 unverified" in text or "已核实 verified" in text
    tasks = _text(str(view.tasks()))
    assert "共 6 项任务：已完成 1，逾期 1，未到期 3，未报告 1" in tasks
    # leads 3, supports 2, late: 3 (zh-en: the English name of the unit beside it)
    assert re.search(r"县财政局\s+(?:[A-Z][A-Za-z ]+?\s+)?3\s+2\s+3\s", tasks)


def test_no_sheet_no_section(tiny_bundle: Path) -> None:
    from tcmcounty.reporting.county_view import CountyView
    from tcmcounty.reporting.parameters import ReportParameters
    from tcmcounty.reporting.results import compute_results

    view = CountyView(
        ReportParameters.from_raw(county=str(tiny_bundle)), results=compute_results(tiny_bundle)
    )
    assert str(view.tasks()) == ""
    page = str(view.readiness())
    assert "项任务完成" not in page and "项指标达标" in page  # targets only, no task cards


def test_index_shows_the_record_s_line(filled_path: Path, tmp_path: Path) -> None:
    from tcmcounty.reporting.readiness import results_readiness
    from tcmcounty.reporting.records import JobRecord
    from tcmcounty.reporting.results import compute_results
    from tcmcounty.run.index import READINESS_HEADER, index_html, write_summary_xlsx

    res = compute_results(filled_path)
    r = results_readiness(res, "2024-07-15")
    rec = JobRecord(
        "county_report",
        "410101-test",
        status="ok",
        headline={**res.headline(), **r.record()},
        counties=[{"adcode": "410101", "name_zh": "测试县"}],
    )
    back = JobRecord.from_json(json.loads(json.dumps(rec.to_json())))  # as the index reads it
    page = index_html(tmp_path, [back.to_json()])
    assert READINESS_HEADER in page and f"{r.summary()} (2024-07-15)" in _text(page)
    from openpyxl import load_workbook

    write_summary_xlsx(tmp_path, [back.to_json()])
    ws = load_workbook(tmp_path / "summary.xlsx")["汇总 summary"]
    row = dict(zip([c.value for c in ws[1]], [c.value for c in ws[2]], strict=True))
    assert row[READINESS_HEADER] == f"{r.summary()} (2024-07-15)"
    assert row["过期未完成任务 tasks overdue"] == 1 and row["就绪 ready"] == "否"


@pytest.mark.slow
def test_report_cli_and_index_agree(
    filled_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end: the rendered report, ``tcmcounty readiness`` and index.html show one line."""
    out = tmp_path / "reports"
    assert main(["report", str(filled_path), "--out", str(out), "--report-date", "2024-07-15"]) == 0
    capsys.readouterr()
    assert (
        main(["readiness", str(filled_path), "--report-date", "2024-07-15", "--format", "json"])
        == 0
    )
    cli = json.loads(capsys.readouterr().out)
    page = (out / "410101-test.html").read_text(encoding="utf-8")
    (line,) = re.findall(r"data-tcm-readiness=(?:'|\")1(?:'|\")>([^<]*)<", page)
    assert htmllib.unescape(line) == cli["summary"]
    index = _text((out / "index.html").read_text(encoding="utf-8"))
    assert f"{cli['summary']} (2024-07-15)" in index
    record = json.loads((out / "410101-test.json").read_text(encoding="utf-8"))
    assert record["headline"]["readiness_tasks_late"] == cli["tasks"]["late"] == 1


def test_cli_on_a_filled_workbook(
    filled_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tcmcounty.inputs.workbook import write_workbook

    book = write_workbook(tmp_path / "测试县.xlsx", tcmcounty.load_county(filled_path, warn=False))
    capsys.readouterr()
    args = ["--report-date", "2024-07-15", "--format", "json"]
    assert main(["readiness", str(book), *args]) == 0
    from_book = json.loads(capsys.readouterr().out)
    assert main(["readiness", str(filled_path), *args]) == 0
    assert from_book == json.loads(capsys.readouterr().out)
    assert from_book["tasks"] == {"late": 1, "open": 3, "not_reported": 1, "done": 1}
