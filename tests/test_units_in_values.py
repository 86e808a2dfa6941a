"""Numbers written the way people write them: with their unit, thousands separators, full width.

``46.12万人``, ``2,825张``, ``１３５１人`` on the county sheet, ``35人`` and ``１２张`` in a roster:
the number is read and a unit that scales (万人, 万) scales it by the same rule as a unit in a
header; a unit that does not fit the item (``35张`` of physicians, ``%`` of a count) is an
error. A unit in a group label merged over several columns (``人口（万人）`` over ``常住 | 户籍``)
is the unit of each of them.
"""

from __future__ import annotations

from pathlib import Path

from workbooks import write_book

from tcmcounty.errors import Problem
from tcmcounty.inputs.cells import parse_quantity, with_parent_unit
from tcmcounty.inputs.load import read_raw
from tcmcounty.inputs.matching import count_units, split_value_unit, unit_misfit

#: 会昌县 (360733): two of its townships, NBS 2023.
TOWNS = [["360733100", "文武坝镇", 12175], ["360733101", "筠门岭镇", 17943]]


def _book(
    path: Path,
    sheets: dict[str, list[list[object]]],
    merges: dict[str, list[str]] | None = None,
) -> Path:
    return write_book(path, sheets, merges=merges)


def _basics(*items: list[object]) -> list[list[object]]:
    return [["项目", "数值"], ["县名", "会昌县"], ["区划代码", "360733"], *items]


#: The smallest roster a county file needs.
ROSTER: list[list[object]] = [
    ["机构名称", "机构类别", "所在乡镇"],
    ["文武坝镇卫生院", "乡镇卫生院", "文武坝镇"],
]


def _county(
    basics: list[list[object]], **extra: list[list[object]]
) -> dict[str, list[list[object]]]:
    towns = [["乡镇代码", "乡镇名称", "常住人口"], *TOWNS]
    return {"基本情况": basics, "乡镇": towns, "机构": ROSTER, **extra}


def _value(meta: dict[str, object], group: str, name: str) -> object:
    return meta[group][name]["value"]  # type: ignore[index]


def _errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


# ------------------------------------------------------------------------------- the rule


def test_a_value_unit_is_split_off_and_scales_as_in_a_header() -> None:
    assert split_value_unit("46.12万人") == ("46.12", "万人")
    assert parse_quantity("46.12万人").value == 461_200.0  # type: ignore[union-attr]
    assert parse_quantity("42.3万").value == 423_000.0  # type: ignore[union-attr]
    assert parse_quantity("１３５１人").value == 1351.0  # type: ignore[union-attr]
    assert parse_quantity("2,825张").value == 2825.0  # type: ignore[union-attr]
    assert parse_quantity("1,619 人").value == 1619.0  # type: ignore[union-attr]
    assert parse_quantity("2023年") is None and parse_quantity("三人") is None
    assert parse_quantity("12%") == (0.12, "%", 1.0)


def test_a_unit_fits_what_the_item_counts() -> None:
    assert count_units("医疗卫生机构实有床位") == ("张", "床")
    assert count_units("其中：中医类别", "中医类别医师数") == ("人", "名")
    assert count_units("总诊疗人次") == ("人次", "次")
    assert unit_misfit("万人", "常住人口") is None and unit_misfit("万", "实有床位") is None
    assert unit_misfit("万人次", "总诊疗人次") is None
    assert unit_misfit("张", "执业（助理）医师") is not None
    assert unit_misfit("人", "实有床位") is not None
    assert unit_misfit("万人", "总诊疗人次") is not None  # 人 is not 人次
    assert unit_misfit("%", "常住人口") is not None


def test_a_parent_unit_that_scales_goes_to_the_columns_under_it() -> None:
    assert with_parent_unit("常住人口", "人口（万人）") == "常住人口（万人）"
    assert with_parent_unit("常住人口（人）", "人口（万人）") == "常住人口（人）"  # its own
    assert with_parent_unit("执业医师", "人员情况（人）") == "执业医师"  # nothing to scale


# ------------------------------------------------------------------------- the county sheet


def test_county_figures_with_their_units_are_read(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "c.xlsx",
        _county(
            _basics(
                ["常住人口", "46.12万人"],
                ["户籍人口", "42.3万"],
                ["医疗卫生机构实有床位", "2,825张"],
                ["执业（助理）医师", "１３５１人"],
                ["注册护士", "1,619人"],
                ["全科医生", "165人"],
                ["中医类别全科医生", "３１人"],
            )
        ),
    )
    raw = read_raw(path)
    assert not _errors(raw.problems), _errors(raw.problems)
    m = raw.meta
    assert _value(m, "population", "resident") == 461_200
    assert _value(m, "population", "registered") == 423_000
    assert [
        _value(m, "resources", k) for k in ("beds", "physicians", "nurses", "gps", "tcm_gps")
    ] == [2825, 1351, 1619, 165, 31]
    notes = [p for p in raw.problems if p.severity == "note" and p.value == "46.12万人"]
    assert notes and "461,200" in notes[0].message_en  # the scaled reading is said


def test_a_cell_unit_replaces_the_label_unit(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "c.xlsx",
        _county(_basics(["常住人口（万人）", "461200人"], ["户籍人口（人）", "42.3万人"])),
    )
    raw = read_raw(path)
    assert not _errors(raw.problems)
    assert _value(raw.meta, "population", "resident") == 461_200  # not × 10,000 again
    assert _value(raw.meta, "population", "registered") == 423_000


def test_a_unit_that_contradicts_the_item_is_an_error(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "c.xlsx",
        _county(
            _basics(
                ["常住人口", "30118"],
                ["执业（助理）医师", "35张"],
                ["注册护士", "12%"],
                ["实有床位", "120人"],
            )
        ),
    )
    raw = read_raw(path)
    errors = {p.value: p for p in _errors(raw.problems)}
    assert set(errors) == {"35张", "12%", "120人"}, errors
    doctors = errors["35张"]
    assert (doctors.file, doctors.sheet, doctors.row, doctors.column) == (
        "c.xlsx",
        "基本情况",
        5,
        "数值",
    )
    assert (
        "expected a number of 人 or 名" in doctors.message_en and "应为数字" in doctors.message_zh
    )
    assert "percentage" in errors["12%"].message_en
    assert "expected a number of 张 or 床" in errors["120人"].message_en
    resources = raw.meta["resources"]
    assert all("value" not in resources[k] for k in ("physicians", "nurses", "beds"))  # type: ignore[index, operator]


def test_a_unit_column_that_contradicts_the_item_is_an_error(tmp_path: Path) -> None:
    basics = [
        ["项目", "数值", "单位"],
        ["县名", "会昌县", None],
        ["常住人口", "3.0118", "万人"],
        ["执业（助理）医师", "35", "张"],
        ["注册护士", "40", "%"],
    ]
    raw = read_raw(_book(tmp_path / "c.xlsx", _county(basics)))
    errors = [(p.row, p.column, p.value) for p in _errors(raw.problems)]
    assert errors == [(4, "单位", "张"), (5, "单位", "%")]
    assert _value(raw.meta, "population", "resident") == 30_118


def test_a_unit_merged_over_the_wide_form_scales_its_items(tmp_path: Path) -> None:
    """人口（万人） over 常住人口 | 户籍人口: both are in 万人 (淮滨县's basics)."""
    rows: list[list[object]] = [
        ["县（区）", "人口（万人）", None, "卫生资源", None],
        [None, "常住人口", "户籍人口", "实有床位（张）", "注册护士（人）"],
        ["会昌县", 58.63, 78.95, "2,735", "1,514"],
    ]
    path = _book(
        tmp_path / "c.xlsx",
        {**_county([]), "基本情况": rows},
        {"基本情况": ["B1:C1", "D1:E1", "A1:A2"]},
    )
    raw = read_raw(path)
    assert not _errors(raw.problems), _errors(raw.problems)
    assert _value(raw.meta, "population", "resident") == 586_300
    assert _value(raw.meta, "population", "registered") == 789_500
    assert _value(raw.meta, "resources", "beds") == 2735
    assert _value(raw.meta, "resources", "nurses") == 1514
    assert any(p.severity == "note" and "586,300" in p.message_en for p in raw.problems)


# ----------------------------------------------------------------------------- table cells


def test_roster_cells_with_their_units_are_read(tmp_path: Path) -> None:
    roster: list[list[object]] = [
        [
            "机构名称",
            "机构类别",
            "所在乡镇",
            "床位",
            "执业（助理）医师",
            "其中：中医类别",
            "总诊疗人次",
        ],
        ["文武坝镇卫生院", "乡镇卫生院", "文武坝镇", "１２张", "35人", "５人", "1.2万人次"],
        ["筠门岭镇卫生院", "乡镇卫生院", "筠门岭镇", 40, "8", "2人", "9,876"],
    ]
    raw = read_raw(_book(tmp_path / "c.xlsx", _county(_basics(["常住人口", 30118]), 机构=roster)))
    assert not _errors(raw.problems), _errors(raw.problems)
    f = raw.tables["facilities"].set_index("name")
    a, b = f.loc["文武坝镇卫生院"], f.loc["筠门岭镇卫生院"]
    assert (a["beds"], a["physicians"], a["tcm_physicians"], a["visits"]) == (12, 35, 5, 12_000)
    assert (b["beds"], b["physicians"], b["tcm_physicians"], b["visits"]) == (40, 8, 2, 9876)
    assert any(p.severity == "note" and p.value == "1.2万人次" for p in raw.problems)


def test_a_roster_unit_that_contradicts_the_column_is_an_error(tmp_path: Path) -> None:
    roster: list[list[object]] = [
        ["机构名称", "机构类别", "所在乡镇", "床位", "执业（助理）医师"],
        ["文武坝镇卫生院", "乡镇卫生院", "文武坝镇", "12人", "35张"],
        ["筠门岭镇卫生院", "乡镇卫生院", "筠门岭镇", "40张", "8人"],
        ["某卫生院", "乡镇卫生院", "筠门岭镇", "30", "1.5人"],
    ]
    raw = read_raw(_book(tmp_path / "c.xlsx", _county(_basics(["常住人口", 30118]), 机构=roster)))
    errors = {p.value: p for p in _errors(raw.problems)}
    assert set(errors) == {"12人", "35张", "1.5人"}, errors
    beds = errors["12人"]
    assert (beds.sheet, beds.row, beds.column) == ("机构", 2, "床位")
    assert "expected a number of 张 or 床" in beds.message_en
    assert "expected a number of 人 or 名" in errors["35张"].message_en
    assert "whole number" in errors["1.5人"].message_en
    f = raw.tables["facilities"].set_index("name")
    assert f["beds"].isna()["文武坝镇卫生院"] and f.loc["筠门岭镇卫生院", "beds"] == 40


def test_a_cell_unit_replaces_a_header_unit_and_a_parent_unit_scales(tmp_path: Path) -> None:
    towns: list[list[object]] = [
        ["乡镇代码", "乡镇名称", "人口（万人）"],
        [None, None, "常住人口"],
        ["360733100", "文武坝镇", 1.2175],
        ["360733101", "筠门岭镇", "17943人"],
    ]
    basics = _basics(["常住人口", 30118])
    raw = read_raw(_book(tmp_path / "c.xlsx", {**_county(basics), "乡镇": towns}))
    assert not _errors(raw.problems), _errors(raw.problems)
    t = raw.tables["townships"].set_index("name")
    assert list(t["population"]) == [12175, 17943]
