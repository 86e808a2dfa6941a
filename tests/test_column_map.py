"""A workbook a county made itself (not from the template): inspect, column maps, Chinese words.

The workbook is 测试县 (the tiny fixture) laid out as a county health bureau lays out its own
tables: numbered sheet names, a title row, key–value basics with a unit column, Chinese status
words, a facility roster with 床位 (meaning 编制床位) and 在用床位, an alliance sheet led by a facility name,
a timetable, and no 数据来源 sheet.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import tcmcounty
from tcmcounty.cli import main
from tcmcounty.inputs.columnmap import ColumnMap, sidecar

BASICS = [
    ("行政区划代码", "", "410101", "", ""),
    ("县（市、区）名称", "", "测试县", "", ""),
    ("省份", "", "测试省", "", ""),
    ("地市", "", "测试市", "", ""),
    ("统计年份", "", 2023, "", ""),
    ("年末常住人口", "万人", 1.0, 2020, "官方"),
    ("户籍人口（人）", "", 12000, 2020, "官方"),
    ("医疗卫生机构床位数（张）", "", 60, 2023, "官方"),
    ("执业医师", "人", 20, 2023, "官方"),
    ("执业助理医师", "人", 14, 2023, "官方"),
    ("县中医医院等级", "", "二级甲等", 2023, "官方"),
]
FACILITIES = [
    # 机构名称, 机构类别 (WS 218), 所在乡镇, 所在村, 床位 (编制), 在用床位, 执业（助理）医师, 中医馆, 中医阁, 中医药服务
    # 编制 beds add up to 64, near the county's 60 (a roster over it by 10% is refused)
    ("测试县中医医院", "A210", "城关街道", "", 44, 40, 12, "", "", "是"),
    ("城关社区卫生服务中心", "B100", "城关街道", "", 5, 5, 4, "√", "×", "是"),
    ("东镇卫生院", "C210 中心卫生院", "东镇", "", 15, 15, 5, "无", "无", "有"),
    ("北社区卫生服务站", "B200", "城关", "北社区居委会", 0, 0, 1, "否", "否", "Y"),
    ("南村卫生室", "D600", "城关街道", "南村村民委员会", 0, 0, 1, "否", "是", "1"),
    ("东村卫生室", "D600", "东镇", "东村", 0, 0, 1, "否", "否", "0"),
]


def government_workbook(path: Path) -> Path:
    """Write 测试县 as a county would: not from the template."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "填表说明"
    ws["A1"] = "本表由县卫生健康局填报，数据截至2023年底。"
    ws = wb.create_sheet("一、县情")
    ws.append(["测试县基本情况表"])
    ws.append(["指标", "单位", "数值", "年份", "状态"])
    for row in BASICS:
        ws.append(list(row))
    ws.append(["注：人口为第七次人口普查数。"])
    ws = wb.create_sheet("二、乡镇（街道）")
    ws.append(["乡镇（街道）代码", "乡镇（街道）名称", "类别", "常住人口（人）"])
    ws.append(["410101001", "城关街道办事处", "街道", 6000])
    ws.append(["410101100", "东镇", "镇", 4000])
    ws = wb.create_sheet("三、村居")
    ws.append(["序号", "村（社区）代码", "村（社区）名称", "所属乡镇", "类别", "常住人口（人）"])
    ws.append([1, "410101001001", "北社区居民委员会", "城关街道", "社区", 3500])
    ws.append([2, "410101001201", "南村村民委员会", "城关街道", "村委会", 2500])
    ws.append([None] * 6)
    ws.append([3, "410101100201", "东村村民委员会", "东镇", "村委会", 3000])
    ws.append([4, "410101100202", "西村村民委员会", "东镇", "村委会", 1000])
    ws = wb.create_sheet("四、医疗卫生机构名册")
    ws.append(["测试县医疗卫生机构名册（2023年）"])
    ws.append(
        [
            "机构\n名称",
            "机构类别",
            "所在乡镇",
            "所在村（社区）",
            "床位",
            "在用床位",
            "执业（助理）医师数",
            "是否设置中医馆",
            "有无中医阁",
            "能否提供中医药服务",
        ]
    )
    for row in FACILITIES:
        ws.append(list(row))
    ws.append(["合计", "", "", "", 64, 60, 24, "", "", ""])
    ws = wb.create_sheet("五、医共体")
    ws.append(["医共体名称", "牵头单位", "成员单位"])
    ws.append(["测试县中医医院医共体", "测试县中医医院", "测试县中医医院、城关社区卫生服务中心"])
    ws = wb.create_sheet("六、实施步骤")
    ws.append(["阶段", "开始时间", "完成时限", "主要任务"])
    ws.append(["动员部署阶段", "2024年1月", "2024年3月", "成立领导小组，印发实施方案"])
    ws.append(["创建实施阶段", "2024.4", "2024.10", "建设中医馆、中医阁"])
    ws.append(
        ["评估验收阶段", dt.datetime(2024, 11, 1), dt.datetime(2024, 12, 31), "自评，迎接验收"]
    )
    wb.save(path)
    return path


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return government_workbook(tmp_path / "测试县2023年基层卫生统计.xlsx")


def test_a_county_workbook_loads_as_it_is(workbook: Path) -> None:
    report = tcmcounty.validate(workbook)
    assert report.ok, [str(p) for p in report.errors]
    c = report.county
    assert c is not None
    assert (c.adcode, c.name_zh, c.reference_year) == ("410101", "测试县", 2023)
    assert (len(c.townships), len(c.villages), len(c.facilities), len(c.alliances)) == (2, 4, 6, 1)
    # 万人 × 10,000; 执业医师 + 执业助理医师 summed; Chinese status words.
    assert c.population["resident"].official.value == 10_000
    assert c.resources["physicians"].official.value == 34
    assert c.status_counts()["official"] > 0  # KeyError '官方' before: statuses are canonical
    assert {f.status for e in c.resources.values() for f in (e.official, e.estimate) if f} == {
        "official"
    }
    # References by name resolved to codes; WS 218 codes read.
    fac = c.facilities.set_index("name")
    assert fac.loc["北社区卫生服务站", "village_code"] == "410101001001"
    assert fac.loc["东镇卫生院", "township_code"] == "410101100"
    assert fac.loc["东镇卫生院", "type"] == "township_health_centre"
    assert fac.loc["测试县中医医院", "type"] == "county_tcm_hospital"
    assert bool(fac.loc["城关社区卫生服务中心", "has_tcm_hall"]) is True
    assert bool(fac.loc["东镇卫生院", "provides_tcm"]) is True
    # The alliance's lead and members given by name.
    lead = fac.loc["测试县中医医院", "id"]
    assert c.alliances.loc[0, "lead_facility_id"] == lead
    assert len(c.alliances.loc[0, "member_ids"]) == 2
    # No sources sheet: the county's own data, said so.
    assert list(c.sources["id"]) == ["user-data"]
    assert any("no sources table" in p.message_en for p in report.notes)
    # The 合计 row is not a facility, and it is reported.
    assert any("total row" in p.message_en for p in report.warnings)
    # The timetable sheet: month-only ends run to the month's last day.
    assert c.plan is not None
    assert [m.end for m in c.plan.milestones] == [
        dt.date(2024, 3, 31),
        dt.date(2024, 10, 31),
        dt.date(2024, 12, 31),
    ]


def test_wrong_guess_is_corrected_by_a_map_file(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The matcher reads 床位 as beds, but this county's 床位 are authorised (编制) beds.
    guessed = tcmcounty.load_county(workbook, warn=False).facilities.set_index("name")["beds"]
    assert guessed["测试县中医医院"] == 44
    assert main(["inspect", str(workbook), "--write-map"]) == 0
    out = capsys.readouterr().out
    assert "'机构类别' -> type (synonym)" in out
    assert "'在用床位' ignored" in out and "unknown column ignored" in out
    assert "recognised by its name" in out
    written = sidecar(workbook)
    text = written.read_text(encoding="utf-8")
    assert '"床位" = "beds"' in text
    fixed = text.replace('"床位" = "beds"', '"在用床位" = "beds"').replace(
        'ignore = ["在用床位"]', 'ignore = ["床位"]'
    )
    assert fixed != text
    mapfile = workbook.parent / "my-map.toml"
    mapfile.write_text(fixed, encoding="utf-8")
    written.unlink()
    county = tcmcounty.load_county(workbook, warn=False, columns=mapfile)
    beds = county.facilities.set_index("name")["beds"]
    assert beds["测试县中医医院"] == 40 and beds["东镇卫生院"] == 15
    # The CLI takes it too, and a map beside the workbook is used without being named.
    assert main(["validate", str(workbook), "--columns", str(mapfile)]) == 0
    mapfile.rename(written)
    beside = tcmcounty.load_county(workbook, warn=False).facilities.set_index("name")["beds"]
    assert beside["测试县中医医院"] == 40


def test_map_with_an_unknown_column_is_a_clear_error(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = workbook.parent / "bad.toml"
    bad.write_text('["四、医疗卫生机构名册"]\n"床位" = "bedz"\n', encoding="utf-8")
    assert main(["validate", str(workbook), "--columns", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bedz" in err and "beds" in err and "Traceback" not in err
    bad.write_text("not toml [", encoding="utf-8")
    assert main(["validate", str(workbook), "--columns", str(bad)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_column_map_round_trip() -> None:
    m = ColumnMap.from_text(
        '["四、机构"]\ntable = "facilities"\n"机构类别" = "type"\nignore = ["电话"]\n'
    )
    sm = m.for_sheet("四、机构")
    assert (sm.table, sm.columns, sm.ignore) == ("facilities", {"机构类别": "type"}, ("电话",))
    assert m.for_sheet("其他").columns == {}


def test_sheet_assigned_by_the_map(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = government_workbook(tmp_path / "x.xlsx")
    wb = load_workbook(path)
    wb["四、医疗卫生机构名册"].title = "附件"  # unfamiliar name, headers still recognisable
    wb.save(path)
    assert tcmcounty.validate(path).ok
    cmap = ColumnMap.from_text('["附件"]\ntable = "alliances"\n')
    report = tcmcounty.validate(path, cmap)
    assert not report.ok  # the user said the sheet is the alliances: read as such, and it is not


def test_near_miss_header_stops_until_a_map_says_what_it_is(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(workbook)
    ws = wb["四、医疗卫生机构名册"]
    ws.cell(2, 6).value = "实际开放床位"  # close to 开放床位 (beds) but not the same
    ws.cell(2, 5).value = "编制床位"
    wb.save(workbook)
    assert main(["validate", str(workbook)]) == 2
    err = capsys.readouterr().err
    assert "'实际开放床位'" in err and "looks like beds" in err and "column map" in err
    mapfile = workbook.parent / "map.toml"
    mapfile.write_text('["四、医疗卫生机构名册"]\n"实际开放床位" = "beds"\n', encoding="utf-8")
    county = tcmcounty.load_county(workbook, warn=False, columns=mapfile)
    assert county.facilities.set_index("name")["beds"]["测试县中医医院"] == 40


@pytest.mark.parametrize(
    ("unit", "value", "satisfied"),
    [("%", 92, 368), ("", "92%", 368), ("", 0.92, 368), ("", 92, 368), ("%", 0.5, 200)],
)
def test_satisfaction_rate_as_a_share(
    tmp_path: Path, unit: str, value: object, satisfied: int
) -> None:
    from openpyxl import load_workbook

    path = government_workbook(tmp_path / "x.xlsx")
    wb = load_workbook(path)
    ws = wb["一、县情"]
    ws.append(["满意度调查人数", "人", 400, 2023, "官方"])
    ws.append(["群众满意率", unit, value, 2023, "官方"])
    wb.save(path)
    report = tcmcounty.validate(path)
    assert report.ok, [str(p) for p in report.errors]
    assert report.county is not None and report.county.survey["satisfied"] == satisfied
    assert any("满意率" in p.message_zh for p in report.notes)


def test_satisfaction_rate_above_100_percent_is_an_error(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = government_workbook(tmp_path / "x.xlsx")
    wb = load_workbook(path)
    wb["一、县情"].append(["群众满意率", "%", 920, 2023, "官方"])
    wb.save(path)
    report = tcmcounty.validate(path)
    assert [p.message_en for p in report.errors] == ["expected a share: more than 100%"]


def test_villages_given_only_by_name_get_their_nbs_code(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from tcmcounty.inputs.workbook import write_workbook

    wenxi = tcmcounty.load_county("wenxi", warn=False)
    path = write_workbook(tmp_path / "闻喜.xlsx", wenxi)
    wb = load_workbook(path)
    ws = wb["村社区"]
    header = [c.value for c in ws[1]]
    code_col = header.index("村代码") + 1
    for r in range(2, ws.max_row + 1):
        ws.cell(r, code_col).value = None
    wb.save(path)
    report = tcmcounty.validate(path)
    assert report.ok, [str(p) for p in report.errors][:5]
    assert report.county is not None
    assert list(report.county.villages["code"]) == list(wenxi.villages["code"])
    assert any("got their NBS 2023 code" in p.message_en for p in report.notes)


def test_role_on_the_only_roster_sheet_is_an_input_error(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `role = "attribute"` says a sheet adds columns to facilities listed elsewhere; on the only
    # facility sheet nothing lists them. That is the map's fault, said as such (it was a bug).
    mapfile = workbook.parent / "role.toml"
    mapfile.write_text(
        '["四、医疗卫生机构名册"]\ntable = "facilities"\nrole = "attribute"\n', encoding="utf-8"
    )
    assert main(["validate", str(workbook), "--columns", str(mapfile)]) == 2
    err = capsys.readouterr().err
    assert "[四、医疗卫生机构名册]" in err and "no sheet lists the facilities" in err
    assert "role" in err and "internal error" not in err
