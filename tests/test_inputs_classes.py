"""The classes of county layouts the readers recognise, one small case each.

Each case is written here in the shape a bureau uses (not the template) and checked on the
values read; ``tests/test_elsewhere.py`` checks whole county files made elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from workbooks import write_book

from tcmcounty.inputs.cells import content_fit, find_header, split_pair, vocabulary_match
from tcmcounty.inputs.columnmap import ColumnMap
from tcmcounty.inputs.load import read_raw
from tcmcounty.inputs.matching import Matcher, key
from tcmcounty.inputs.names import name_key, name_stem
from tcmcounty.inputs.nbs import county_units
from tcmcounty.schema import ALLIANCES, FACILITIES, VILLAGES

#: 会昌县 (360733): its first township and two of its villages, NBS 2023.
TOWNS = [["360733100", "文武坝镇", 12175], ["360733101", "筠门岭镇", 17943]]


def _book(path: Path, sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> Path:
    return write_book(path, sheets, hidden=hidden)


def _county(extra: dict[str, list[list[object]]]) -> dict[str, list[list[object]]]:
    return {
        "基本情况": [
            ["项目", "数值"],
            ["县名", "会昌县"],
            ["区划代码", "360733"],
            ["常住人口", 30118],
        ],
        "乡镇": [["乡镇代码", "乡镇名称", "常住人口"], *TOWNS],
        **extra,
    }


def _errors(raw: object) -> list[str]:
    return [str(p) for p in raw.problems if p.severity == "error"]  # type: ignore[attr-defined]


# -------------------------------------------------------------------------- headers by content


def test_a_near_miss_is_read_when_its_values_confirm_one_meaning() -> None:
    hm = Matcher(FACILITIES).match(
        ["机构名称", "机构分类代码", "是否中医阁（1是0否）"],
        fit=lambda col, pos: {(1, "type"): 1.0, (2, "has_tcm_pavilion"): 1.0}.get((pos, col), 0.0),
    )
    got = {c.written: (c.column, c.rule) for c in hm.columns}
    assert got["机构分类代码"] == ("type", "composed")
    assert got["是否中医阁（1是0否）"][0] == "has_tcm_pavilion"
    assert not [p for p in hm.problems if p[0] == "error"]


def test_a_guess_whose_values_do_not_fit_stops_the_read() -> None:
    hm = Matcher(ALLIANCES).match(["名称", "牵头单位编号"], fit=lambda col, pos: 0.2)
    assert [p for p in hm.problems if p[0] == "error" and p[3] == "牵头单位编号"]


def test_pinyin_initials_and_the_parts_of_a_sum() -> None:
    m = Matcher(FACILITIES)
    assert m.recognise("jgmc") == "name" and m.recognise("cwzs") == "beds"
    assert m.part("zyys") == ("physicians", 0) and m.part("zyzlys") == ("physicians", 1)
    hm = m.match(["jgmc", "zyg", "zyge"], fit=lambda col, pos: 0.0 if "lat" in col else 1.0)
    assert {c.written: c.column for c in hm.columns} == {
        "jgmc": "name",
        "zyg": "has_tcm_hall",  # 中医馆 or 中医阁; zyge takes 中医阁
        "zyge": "has_tcm_pavilion",
    }


def test_content_fit_is_the_cell_parser() -> None:
    assert content_fit(FACILITIES.column("type"), ["A100", "J100", "县级中医医院"]) == 1.0
    assert content_fit(FACILITIES.column("lon"), ["115.9", "25.5"]) == 0.5  # 25.5 is no longitude
    assert content_fit("lonlat", ["115.95,25.50", "25.50,115.95"]) == 0.5
    assert content_fit(VILLAGES.column("code"), ["360733100001", "3607331"]) == 0.5
    assert split_pair("115.949814，25.503444", 1) == "25.503444"


def test_values_by_meaning() -> None:
    assert vocabulary_match("县级中医医院", "facility_type") == ("county_tcm_hospital", "contains")
    assert vocabulary_match("J100", "facility_type") == ("other", "ws218")
    assert vocabulary_match("D211", "facility_type") == ("other", "ws218")
    assert vocabulary_match("民营中医医院", "facility_type") == ("other", "contains")
    assert vocabulary_match("村卫生所", "facility_type") == ("village_clinic", "exact")
    assert vocabulary_match("县级医院", "facility_type") == (None, "none")  # general or TCM?


def test_a_two_row_header_is_joined() -> None:
    rows = [
        ["机构名称", "人员情况", "", "", "中医药服务", ""],
        ["", "执业（助理）医师", "其中：中医类别", "注册护士", "中医阁", "能否提供"],
        ["甲卫生院", "5", "1", "3", "是", "是"],
    ]
    at, header, used = find_header(rows, Matcher(FACILITIES))
    assert (at, used) == (0, 2)
    hm = Matcher(FACILITIES).match(header)
    assert [c.column for c in hm.columns] == [
        "name",
        "physicians",
        "tcm_physicians",
        "nurses",
        "has_tcm_pavilion",
        "provides_tcm",
    ]


def test_a_data_row_with_a_y_is_not_the_header() -> None:
    rows = [
        ["县医院名册"],
        ["机构名称", "机构类别", "床位"],
        ["甲院", "综合医院", "Y"],
        ["乙院", "中医医院", "12"],
    ]
    assert find_header(rows, Matcher(FACILITIES))[0] == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [("岳井村村民委员会", "岳井村"), ("姚村村", "姚村村委会"), ("东城社区居委会", "东城社区")],
)
def test_name_folding(a: str, b: str) -> None:
    assert name_stem(a) == name_stem(b)


def test_meanings_fold_repeatedly() -> None:
    assert key("行政村（社区）名称") == key("村名称")
    assert key("所属乡（镇、场）") == key("所属乡镇")
    assert name_key("东城街道办事处") == "东城街道"


# -------------------------------------------------------------------------- sheets to tables


def test_one_sheet_per_township_and_a_sheet_of_village_clinics(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "会昌县.xlsx",
        _county(
            {
                "文武坝镇": [
                    ["机构名称", "机构类别", "床位", "中医馆"],
                    ["文武坝镇卫生院", "乡镇卫生院", 54, "√"],
                ],
                "筠门岭镇": [
                    ["机构名称", "机构类别", "床位", "中医馆"],
                    ["筠门岭镇卫生院", "乡镇卫生院", 40, None],
                ],
                "村卫生室": [
                    ["卫生室名称", "所在村代码", "中医阁"],
                    ["红旗社区卫生室", "360733100001", "√"],
                ],
            }
        ),
    )
    raw = read_raw(path)
    f = raw.tables["facilities"].set_index("name")
    assert f.loc["筠门岭镇卫生院", "township_name"] == "筠门岭镇"  # the sheet's name
    assert f.loc["红旗社区卫生室", "type"] == "village_clinic"  # the sheet's type
    # a tick column over all the township sheets: the blank is "no", not "not reported"
    assert f.loc["筠门岭镇卫生院", "has_tcm_hall"] == False  # noqa: E712
    assert f.loc["红旗社区卫生室", "township_code"] == "360733100"  # from its village
    # no village sheet: the villages of the listed townships come from the NBS 2023 codes, and
    # a warning says the township sheet lists 2 of the county's 20 townships
    nbs_villages = county_units("360733").villages
    listed = nbs_villages[nbs_villages["township_code"].isin(["360733100", "360733101"])]
    assert sorted(raw.tables["villages"]["code"]) == sorted(listed["code"])
    assert any("lists 2 of the county's 20" in p.message_en for p in raw.problems)
    assert not _errors(raw)


def test_a_copied_sheet_is_refused_and_a_hidden_one_not_read(tmp_path: Path) -> None:
    roster = [["机构名称", "机构类别", "所在乡镇"], ["文武坝镇卫生院", "乡镇卫生院", "文武坝镇"]]
    path = _book(
        tmp_path / "c.xlsx",
        _county({"机构": roster, "机构 (2)": roster, "2022年": roster}),
        hidden=("2022年",),
    )
    raw = read_raw(path)
    assert any("repeats the rows of sheet '机构'" in e for e in _errors(raw))
    assert any(p.sheet == "2022年" and "hidden sheet" in p.message_en for p in raw.problems)


def test_an_attribute_sheet_adds_columns_to_the_units_read(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "c.xlsx",
        _county(
            {
                "机构": [
                    ["机构名称", "机构类别", "所在乡镇"],
                    ["文武坝镇卫生院", "乡镇卫生院", "文武坝镇"],
                    ["筠门岭镇卫生院", "乡镇卫生院", "筠门岭镇"],
                ],
                "床位": [["机构名称", "机构类别", "床位数"], ["文武坝镇卫生院", "乡镇卫生院", 54]],
            }
        ),
    )
    raw = read_raw(path)
    f = raw.tables["facilities"].set_index("name")
    assert len(f) == 2 and f.loc["文武坝镇卫生院", "beds"] == 54
    assert not _errors(raw)


def test_a_list_sheet_marks_the_facilities_it_names(tmp_path: Path) -> None:
    roster = [
        ["机构名称", "机构类别", "所在乡镇"],
        ["文武坝镇卫生院", "乡镇卫生院", "文武坝镇"],
        ["红旗社区卫生室", "村卫生室", "文武坝镇"],
        ["富东社区卫生室", "村卫生室", "文武坝镇"],
    ]
    path = _book(
        tmp_path / "c.xlsx",
        _county(
            {
                "机构": roster,
                "中医阁名单": [
                    ["序号", "所在乡镇", "机构名称", "验收时间"],
                    [1, "文武坝镇", "红旗社区卫生室", "2023年1月"],
                ],
                "中医馆": [["机构名称", "中医馆建设情况"], ["文武坝镇卫生院", "未建"]],
            }
        ),
    )
    raw = read_raw(path)
    f = raw.tables["facilities"].set_index("name")
    assert len(f) == 3
    assert f.loc["红旗社区卫生室", "has_tcm_pavilion"] == True  # noqa: E712
    assert f.loc["富东社区卫生室", "has_tcm_pavilion"] == False  # noqa: E712 (not on the list)
    assert f.loc["文武坝镇卫生院", "has_tcm_hall"] == False  # noqa: E712 (未建, not a list)
    assert not _errors(raw)


def test_under_construction_reads_as_not_built_with_a_warning(tmp_path: Path) -> None:
    # 已建成 / 在建 / 未建: the review counts what is built, so 在建 is no (never a false 达标),
    # and each cell so read is said (a warning: the report lists it)
    path = _book(
        tmp_path / "c.xlsx",
        _county(
            {
                "机构": [
                    ["机构名称", "机构类别", "所在乡镇", "中医馆建设情况"],
                    ["文武坝镇卫生院", "乡镇卫生院", "文武坝镇", "已建成"],
                    ["筠门岭镇卫生院", "乡镇卫生院", "筠门岭镇", "在建"],
                    ["文武坝镇第二卫生院", "乡镇卫生院", "文武坝镇", "未建"],
                ]
            }
        ),
    )
    raw = read_raw(path)
    halls = raw.tables["facilities"].set_index("name")["has_tcm_hall"].tolist()
    assert halls == [True, False, False]
    notes = [p for p in raw.problems if p.severity == "warning" and p.value == "在建"]
    assert len(notes) == 1 and notes[0].row == 3 and "read as no: not built yet" in str(notes[0])
    assert not _errors(raw)


def test_two_tables_on_one_sheet(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "c.xlsx",
        _county(
            {
                "机构": [
                    ["一、乡镇卫生院"],
                    ["机构名称", "机构类别", "所在乡镇", "床位"],
                    ["文武坝镇卫生院", "乡镇卫生院", "文武坝镇", 54],
                    [],
                    ["二、村卫生室"],
                    ["卫生室名称", "所在村代码", "中医阁"],
                    ["红旗社区卫生室", "360733100001", "是"],
                ]
            }
        ),
    )
    raw = read_raw(path)
    f = raw.tables["facilities"].set_index("name")
    assert f.loc["红旗社区卫生室", "type"] == "village_clinic"
    assert f.loc["文武坝镇卫生院", "beds"] == 54
    assert not _errors(raw)


# -------------------------------------------------------------------------- the column map


def test_the_map_expresses_sums_values_fill_and_the_header_row(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "c.xlsx",
        _county(
            {
                "表3": [
                    ["说明：本表由系统导出"],
                    ["单位", "分类", "在编医生", "返聘医生", "地点"],
                    ["文武坝镇卫生院", "乙类", 10, 2, "文武坝镇"],
                ]
            }
        ),
    )
    cmap = ColumnMap.from_text(
        """
["表3"]
table = "facilities"
header_row = 2
"单位" = "name"
"分类" = "type"
"地点" = "township_name"
fill = { has_tcm_hall = "是" }

["表3".sum]
physicians = ["在编医生", "返聘医生"]

["表3".values.type]
"乙类" = "乡镇卫生院"
"""
    )
    raw = read_raw(path, cmap)
    row = raw.tables["facilities"].iloc[0]
    assert row["type"] == "township_health_centre" and row["physicians"] == 12
    assert bool(row["has_tcm_hall"]) is True
    assert not _errors(raw)


def test_a_map_section_that_names_no_sheet_is_said(tmp_path: Path) -> None:
    path = _book(tmp_path / "c.xlsx", _county({}))
    raw = read_raw(path, ColumnMap.from_text('["机构.csv"]\ntable = "facilities"\n'))
    assert any("names [机构]" in p.message_en for p in raw.problems)


def test_a_county_item_left_unread_is_a_warning(tmp_path: Path) -> None:
    """A layout the reader misses never lets a total summed from the tables pass in silence."""
    from tcmcounty.inputs.basics import ItemMatcher, _unread_items
    from tcmcounty.inputs.columnmap import SheetReading
    from tcmcounty.inputs.raw import RawBundle

    raw = RawBundle(tmp_path / "c.xlsx", {}, {}, {}, {})
    reading = SheetReading("c.xlsx", "基本情况", "county", "name")
    reading.items = [(3, "县名", "name_zh", "synonym")]
    _unread_items(
        [["项目"], ["县名", "会昌县"], ["常住人口", "436500"]], reading, ItemMatcher(), raw
    )
    assert [p.column for p in raw.problems if p.severity == "warning"] == ["常住人口"]


def test_a_merged_count_is_read_once_and_error_values_are_refused(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "机构"
    for r in (
        ["机构名称", "机构类别", "所在乡镇", "中医诊疗人次", "床位"],
        ["文武坝镇卫生院", "乡镇卫生院", "文武坝镇", 1200, 54],
        ["筠门岭镇卫生院", "乡镇卫生院", "筠门岭镇", None, 40],
    ):
        ws.append(r)
    ws.merge_cells("D2:D3")  # one number for two centres
    for title, rows in _county({}).items():
        sheet = wb.create_sheet(title)
        for r in rows:
            sheet.append(r)
    path = tmp_path / "c.xlsx"
    wb.save(path)
    raw = read_raw(path)
    visits = raw.tables["facilities"].set_index("name")["tcm_visits"]
    assert visits["文武坝镇卫生院"] == 1200 and visits.isna()["筠门岭镇卫生院"]  # not 2 × 1200
    assert any("merged cells D2:D3 hold one count" in p.message_en for p in raw.problems)

    ws["E3"] = "#REF!"
    wb.save(path)
    raw = read_raw(path)
    assert any("#REF!" in e and "row 3" in e for e in _errors(raw))
