"""Which sheet holds which table, in the layouts county bureaus send (one small workbook each).

* one roster sheet per township, numbered (``01文武坝镇``), with no type column: the 卫生院 and
  卫生室 are named so, and the type is read from the name; a clinic on two townships' sheets is
  one unit listed twice;
* a sheet of 卫生院 naming their township by name and code only, with a 类别 of facility types, is
  a roster of facilities, not the townships table (the county's other townships are not on it);
* a summary of counts per township under a header merged over two rows: the header rows are
  read as the header, and the missing roster is refused in words.
"""

from __future__ import annotations

from pathlib import Path

from workbooks import write_book

from tcmcounty.inputs.assembly import (
    facility_counts,
    names_state_types,
    sheet_township,
    type_from_name,
    unit_and_facility,
)
from tcmcounty.inputs.cells import find_header
from tcmcounty.inputs.load import read_raw
from tcmcounty.inputs.matching import Matcher
from tcmcounty.inputs.raw import RawBundle
from tcmcounty.schema import TOWNSHIPS

COUNTY = {"基本情况": [["项目", "数值"], ["县名", "会昌县"], ["区划代码", "360733"]]}


def _book(path: Path, sheets: dict[str, list[list[object]]], merges: tuple[str, ...] = ()) -> Path:
    return write_book(path, sheets, merges={t: merges for t in sheets if t != "基本情况"})


def _errors(raw: RawBundle) -> list[str]:
    return [p.message_en for p in raw.problems if p.severity == "error"]


def _township_sheet(town: str, rows: list[list[object]]) -> list[list[object]]:
    return [
        [f"会昌县{town}基层医疗卫生机构中医药服务情况表"],
        [f"填报单位：{town}卫生院", None, None, "填报日期：2024年2月26日"],
        ["序号", "机构名称", "所在村（社区）", "村统计代码", "中医药服务", None],
        [None, None, None, None, "中医馆", "中医阁"],
        *rows,
        ["小计", f"卫生院1所，村卫生室{len(rows) - 1}个", None, None, 1, None],
    ]


# ----------------------------------------------------------------- rosters typed by their names


def test_the_type_a_name_states() -> None:
    assert type_from_name("文武坝镇中心卫生院") == "township_health_centre"
    assert type_from_name("晨光村卫生室") == "village_clinic"
    assert type_from_name("红旗社区卫生服务站") == "community_health_station"
    assert type_from_name("会昌县人民医院") is None
    assert type_from_name("卫生院") is None  # the bare word names no facility


def test_a_roster_naming_hospitals_is_not_typed_by_its_names() -> None:
    rows: list[list[object]] = [["机构名称", "中医馆"], ["县人民医院", "有"], ["县中医院", "有"]]
    assert not names_state_types(rows)
    assert not names_state_types([["机构名称", "机构类型"], ["甲镇卫生院", "乡镇卫生院"]])


def test_a_numbered_township_sheet_names_its_township() -> None:
    raw = RawBundle(Path("x.xlsx"), {}, {}, {}, {})
    assert sheet_township("01文武坝镇", raw) == "文武坝镇"
    assert sheet_township("2-筠门岭镇", raw) == "筠门岭镇"
    assert sheet_township("2022年（旧）", raw) is None


def test_numbered_township_sheets_without_a_type_column_are_the_roster(tmp_path: Path) -> None:
    merges = ("A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:F3")
    sheets = {
        **COUNTY,
        "01文武坝镇": _township_sheet(
            "文武坝镇",
            [
                [1, "文武坝镇中心卫生院", None, None, "有", None],
                [2, "文武坝村卫生室", "文武坝村", "360733100200", None, "有"],
                [3, "晨光村卫生室", "晨光村", "360733100201", None, "无"],
            ],
        ),
        "02筠门岭镇": _township_sheet(
            "筠门岭镇",
            [
                [1, "筠门岭镇卫生院", None, None, "有", None],
                [2, "门岭村卫生室", "门岭村", "360733101200", None, "无"],
                [3, "盘古村卫生室", "盘古村", "360733101201", None, "无"],
                [4, "黄坌村卫生室", "黄坌村", "360733101203", None, "无"],
                [5, "竹村村卫生室", "竹村村", "360733101204", None, "无"],
                [6, "晨光村卫生室", "晨光村", "360733100201", None, "无"],  # 文武坝镇's, twice
            ],
        ),
    }
    raw = read_raw(_book(tmp_path / "会昌县.xlsx", sheets, merges))
    f = raw.tables["facilities"]
    assert len(f) == 9  # the 小计 rows are no facilities
    typed = dict(zip(f["name"], f["type"], strict=True))
    assert typed["文武坝镇中心卫生院"] == "township_health_centre"
    assert typed["门岭村卫生室"] == "village_clinic"
    towns = dict(zip(f["name"], f["township_name"], strict=True))
    assert towns["筠门岭镇卫生院"] == "筠门岭镇"  # not "02筠门岭镇"
    assert any("read from their names" in p.message_en for p in raw.problems)
    # the clinic on both sheets is one unit listed twice, the other sheet named
    twice = [e for e in _errors(raw) if "listed under two townships" in e]
    assert len(twice) == 1 and "sheet '01文武坝镇'" in twice[0]


def test_a_name_that_states_no_type_is_an_error(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["机构名称", "村统计代码", "中医阁"],
        ["文武坝村卫生室", "360733100200", "有"],
        ["晨光村卫生室", "360733100201", "无"],
        ["水西村卫生室", "360733100202", "无"],
        ["晨光村卫生室", "360733100201", "无"],
        ["晨光村卫生室", "360733100201", "无"],
        ["晨光村卫生室", "360733100201", "无"],
        ["晨光村卫生室", "360733100201", "无"],
        ["晨光村卫生室", "360733100201", "无"],
        ["晨光村卫生室", "360733100201", "无"],
        ["晨光村卫生室", "360733100201", "无"],
        ["晨光中医诊所", "360733100201", "无"],
    ]
    assert names_state_types(rows)  # 10 of 11 names state a type
    raw = read_raw(_book(tmp_path / "会昌县.xlsx", {**COUNTY, "文武坝镇": rows}))
    assert any("does not state its type" in e for e in _errors(raw))


# ---------------------------------------------------------- a sheet of 卫生院 naming their towns


def test_a_sheet_of_centres_with_their_township_code_is_a_roster(tmp_path: Path) -> None:
    centres: list[list[object]] = [
        ["序号", "乡镇", "乡镇代码", "卫生院名称", "类别", "床位", "是否建成中医馆"],
        [1, "文武坝镇", "360733100", "文武坝镇中心卫生院", "中心卫生院", 90, "是"],
        [2, "筠门岭镇", "360733101", "筠门岭镇卫生院", "一般卫生院", 40, "是"],
        ["合计", None, None, "2所", None, 130, 2],
    ]
    assert unit_and_facility(centres) is None
    raw = read_raw(_book(tmp_path / "会昌县.xlsx", {**COUNTY, "乡镇卫生院": centres}))
    assert not _errors(raw)
    assert set(raw.tables["facilities"]["type"]) == {"township_health_centre"}
    assert len(raw.tables["townships"]) == 20  # the county's, from the NBS codes


def test_a_list_of_villages_and_their_clinics_still_gives_both() -> None:
    rows: list[list[object]] = [
        ["村代码", "村名称", "卫生室名称", "中医阁"],
        ["360733100200", "文武坝村", "文武坝村卫生室", "有"],
        ["360733100201", "晨光村", None, None],  # a village without a clinic
    ]
    assert unit_and_facility(rows) == "villages"


# ------------------------------------------------------------------- counts instead of a roster

SUMMARY: list[list[object]] = [
    ["会昌县基层医疗卫生机构中医药服务能力统计表（按乡镇）"],
    ["填报单位：会昌县卫生健康委"],
    ["序号", "乡镇名称", "乡镇代码", "常住人口（人）", "乡镇卫生院", None, "村卫生室", None, None],
    [None, None, None, None, "个数", "其中：设中医馆", "个数", "其中：中医阁", "其中：能提供"],
    [1, "文武坝镇", "360733100", 25302, 1, 1, 45, 2, 39],
    [2, "筠门岭镇", "360733101", 12152, 1, 1, 18, 0, 17],
    ["合计", None, None, 37454, 2, 2, 63, 2, 56],
]
SUMMARY_MERGES = ("A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:F3", "G3:I3")


def test_a_header_merged_down_over_two_rows_is_one_header() -> None:
    text = [["" if c is None else str(c) for c in r] for r in SUMMARY]
    merged = [(3, 1, 4, 1), (3, 2, 4, 2), (3, 3, 4, 3), (3, 4, 4, 4), (3, 5, 3, 6), (3, 7, 3, 9)]
    at, header, used = find_header(text, Matcher(TOWNSHIPS), 15, merged)
    assert (at, used) == (2, 2)
    assert header[4] == "乡镇卫生院个数"
    assert facility_counts(SUMMARY, merged) == "township"


def test_counts_per_township_are_refused_in_words(tmp_path: Path) -> None:
    raw = read_raw(_book(tmp_path / "会昌县.xlsx", {**COUNTY, "乡镇汇总": SUMMARY}, SUMMARY_MERGES))
    errors = _errors(raw)
    assert len(errors) == 1, errors  # the second header row is no township without a name
    assert "sheet '乡镇汇总' gives counts of facilities per township" in errors[0]
    assert "one row per facility" in errors[0]
    zh = next(p.message_zh for p in raw.problems if p.severity == "error")
    assert "每个机构一行" in zh
    assert len(raw.tables["townships"]) == 2
