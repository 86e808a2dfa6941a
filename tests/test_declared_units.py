"""The units a county declares it has (村卫生室（个）) against the units its roster lists.

A roster listing half the village clinics the county declares must not read 达标 on the half:
the county as a whole misses at least declared − listed units, and the shares they could change
get no verdict, in words naming both numbers (``名册列出 4/8 个村卫生室（基本情况申报 8 个）``).
A roster listing as many as declared is complete; one listing more is a warning, never a gap.
One small workbook per case, built here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from workbooks import write_book

import tcmcounty
from tcmcounty.indicators import compute
from tcmcounty.inputs.basics import ItemMatcher
from tcmcounty.inputs.load import read_raw
from tcmcounty.roster import Gap, declared_units, roster_gaps

#: 会昌县 (360733): one town of it and twelve of its villages (NBS 2023 codes and names).
TOWN = ["360733100", "文武坝镇", "镇", 30118]
_NAMES = "文武坝 晨光 水西 湘东 黄坊 林岗 南坑 上半岭 下半岭 联丰 彭迳 古坊".split()
_CODES = "200 201 202 204 205 206 207 208 209 210 211 212".split()
VILLAGES = [
    [f"360733100{n}", f"{name}村", "360733100", "村"]
    for n, name in zip(_CODES, _NAMES, strict=True)
]


def _roster(clinics: int) -> list[list[object]]:
    """The town's 卫生院 and ``clinics`` 村卫生室 (one village each), 中医阁 on the first only."""
    rows: list[list[object]] = [
        ["机构名称", "机构类型", "乡镇代码", "村代码", "中医馆", "中医阁", "提供中医药服务"],
        ["文武坝镇卫生院", "乡镇卫生院", "360733100", None, "是", None, "是"],
    ]
    for i, (code, name, _town, _kind) in enumerate(VILLAGES[:clinics]):
        rows.append(
            [f"{name}卫生室", "村卫生室", "360733100", code, None, "是" if i == 0 else "否", "是"]
        )
    return rows


def _book(path: Path, basics: list[list[object]], clinics: int = 4) -> Path:
    sheets: dict[str, list[list[object]]] = {
        "基本情况": basics,
        "乡镇": [["乡镇代码", "乡镇名称", "类型", "常住人口"], TOWN],
        "村": [["村代码", "村名称", "乡镇代码", "类别"], *VILLAGES],
        "医疗机构": _roster(clinics),
    }
    return write_book(path, sheets)


def _vertical(declared: int | None) -> list[list[object]]:
    rows: list[list[object]] = [
        ["项目", "数值", "单位"],
        ["县名", "会昌县", None],
        ["区划代码", "360733", None],
        ["常住人口", 30118, "人"],
    ]
    if declared is not None:
        rows.append(["村卫生室", declared, "个"])
    return rows


def _row(df: pd.DataFrame, ind: str) -> pd.Series:
    return df[(df["id"] == ind) & (df["level"] == "county")].iloc[0]


# ------------------------------------------------------------------------------ the item read


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("村卫生室（个）", "units.village_clinic"),
        ("村卫生室数", "units.village_clinic"),
        ("村卫生室 个数", "units.village_clinic"),
        ("村卫生室数量", "units.village_clinic"),
        ("乡镇卫生院（个）", "units.township_health_centre"),
        ("镇卫生院（个）", "units.township_health_centre"),
        ("社区卫生服务中心（所）", "units.community_health_centre"),
        ("社区卫生服务站（个）", "units.community_health_station"),
    ],
)
def test_the_labels_bureaus_write(label: str, field: str) -> None:
    assert ItemMatcher().lookup(label) == field


def test_a_facility_type_alone_does_not_make_a_sheet_the_county_items() -> None:
    m = ItemMatcher()
    assert m.known("村卫生室") and not m.known("村卫生室", units=False)


def test_the_item_in_the_vertical_form(tmp_path: Path) -> None:
    raw = read_raw(_book(tmp_path / "c.xlsx", _vertical(8)))
    assert raw.meta["units"] == {"village_clinic": 8}
    assert not any("unknown item" in p.message_en for p in raw.problems)


def test_the_item_in_the_wide_form(tmp_path: Path) -> None:
    basics: list[list[object]] = [
        ["县名", "区划代码", "常住人口（人）", "乡镇卫生院（个）", "村卫生室（个）"],
        ["会昌县", "360733", 30118, 1, 8],
    ]
    raw = read_raw(_book(tmp_path / "c.xlsx", basics))
    assert raw.meta["units"] == {"township_health_centre": 1, "village_clinic": 8}


def test_the_item_in_key_value_form_with_the_unit_in_the_value(tmp_path: Path) -> None:
    basics: list[list[object]] = [
        ["县名", "会昌县"],
        ["区划代码", "360733"],
        ["常住人口（人）", 30118],
        ["村卫生室数量", "8个"],
    ]
    raw = read_raw(_book(tmp_path / "c.xlsx", basics))
    assert raw.meta["units"] == {"village_clinic": 8}


def test_a_declared_number_that_is_not_a_count_is_an_error(tmp_path: Path) -> None:
    raw = read_raw(_book(tmp_path / "c.xlsx", [*_vertical(None), ["村卫生室", 8.5, "个"]]))
    errors = [p for p in raw.problems if p.severity == "error"]
    assert [(p.sheet, p.row, p.column, p.value) for p in errors] == [
        ("基本情况", 5, "村卫生室", "8.5")
    ]
    assert "units" not in raw.meta


# ------------------------------------------------------------------------------ the verdicts


def test_half_a_roster_gets_no_verdict_in_words(tmp_path: Path) -> None:
    path = _book(tmp_path / "c.xlsx", _vertical(8))
    county = tcmcounty.load_county(path, warn=False)
    assert county.units == {"village_clinic": 8}
    table = compute(county)
    tcm = _row(table, "T-VC-TCM")
    assert tcm["value"] == pytest.approx(100.0)  # all 4 listed: a false 达标 on the rows
    assert pd.isna(tcm["met"])
    assert "名册列出 4/8 个村卫生室（基本情况申报 8 个）" in tcm["no_verdict"]
    assert "the roster lists 4 of the 8 village clinics the county declares" in tcm["no_verdict"]
    # 中医阁 on 1 of 4 listed: at least 1 of 8 = 12.5% whatever the 4 others say, so it is met
    pav = _row(table, "T-ZYG-PAV")
    assert pav["met"] == True  # noqa: E712
    assert "名册列出 4/8 个村卫生室" in pav["note"] and "判定不变" in pav["note"]
    assert _row(table, "T-ZYG-HALL")["met"] == True  # noqa: E712 (centres complete)
    # validate says it with the same words, and where the number is declared
    raw = read_raw(path)
    said = [p for p in raw.problems if "名册列出 4/8 个村卫生室" in p.message_zh]
    assert len(said) == 1 and said[0].severity == "warning"
    assert "基本情况第 5 行（村卫生室）" in said[0].message_zh


def test_a_third_of_a_roster_withholds_the_pavilion_share(tmp_path: Path) -> None:
    county = tcmcounty.load_county(_book(tmp_path / "c.xlsx", _vertical(12)), warn=False)
    pav = _row(compute(county), "T-ZYG-PAV")
    assert pav["value"] == pytest.approx(25.0)  # 1 of the 4 listed: a false 达标 on the rows
    assert pd.isna(pav["met"])  # 1 of 12 is 8.3%, below 10%
    assert "名册列出 4/12 个村卫生室（基本情况申报 12 个）" in pav["no_verdict"]
    assert "8.3 %" in pav["no_verdict"]


def test_as_many_as_declared_keeps_the_verdict(tmp_path: Path) -> None:
    county = tcmcounty.load_county(_book(tmp_path / "c.xlsx", _vertical(4)), warn=False)
    pav = _row(compute(county), "T-ZYG-PAV")
    assert pav["met"] == True  # noqa: E712
    assert not _row(compute(county), "T-VC-TCM")["no_verdict"]
    # undeclared, the 4 clinics are checked against 会昌县's NBS 行政村 (this file gives one
    # township of twenty): no verdict on the shares of clinics, said in words
    undeclared = tcmcounty.load_county(_book(tmp_path / "d.xlsx", _vertical(None)), warn=False)
    vc = _row(compute(undeclared), "T-VC-TCM")
    assert vc["no_verdict"] and "行政村 of the county's NBS 2023 codes" in str(vc["reason"])


def test_more_than_declared_is_a_warning_and_changes_no_verdict(tmp_path: Path) -> None:
    path = _book(tmp_path / "c.xlsx", _vertical(3))
    raw = read_raw(path)
    said = [p for p in raw.problems if "多于基本情况申报的 3 个" in p.message_zh]
    assert len(said) == 1 and said[0].severity == "warning"
    assert (said[0].sheet, said[0].row, said[0].value) == ("基本情况", 5, "3")
    assert "lists 4 village clinics, more than the 3" in said[0].message_en
    county = tcmcounty.load_county(path, warn=False)
    exact = tcmcounty.load_county(_book(tmp_path / "d.xlsx", _vertical(4)), warn=False)
    cols = ["id", "value", "met", "no_verdict"]
    pd.testing.assert_frame_equal(compute(county)[cols], compute(exact)[cols])


# ------------------------------------------------------------------------------ the rule


def test_the_rule_takes_the_larger_of_the_structure_and_the_declaration() -> None:
    towns = pd.DataFrame({"code": ["1", "2"], "name": ["甲镇", "乙镇"], "type": ["镇", "镇"]})
    villages = pd.DataFrame({"township_code": ["1", "2", "2", "2"], "kind": ["村"] * 4})
    fac = pd.DataFrame({"type": ["village_clinic"], "township_code": ["1"]})
    from tcmcounty.roster import Structure

    s = Structure(towns, villages)
    assert roster_gaps(s, fac)["clinics"].missing == 3  # 乙镇 lists none of its 3 villages
    assert roster_gaps(s, fac, declared={"village_clinic": 2})["clinics"].missing == 3
    gap = roster_gaps(s, fac, declared={"village_clinic": 10})["clinics"]
    assert gap.missing == 9 and gap.short == 9
    assert "名册列出 1/10 个村卫生室" in gap.zh and "1/2 个有行政村的乡镇" in gap.zh
    # a township's gap is its own: the county's declaration is not split among townships
    assert roster_gaps(s, fac, "1", declared={"village_clinic": 10})["clinics"].complete


def test_only_the_declared_types_are_counted() -> None:
    fac = pd.DataFrame(
        {
            "type": ["village_clinic", "community_health_station", "community_health_station"],
            "township_code": ["1", "1", "1"],
        }
    )
    gap = roster_gaps(None, fac, declared={"village_clinic": 2})["clinics"]
    assert (gap.listed, gap.missing) == (1, 1)
    both = roster_gaps(None, fac, declared={"village_clinic": 2, "community_health_station": 2})[
        "clinics"
    ]
    assert (both.listed, both.missing) == (3, 1)
    assert (
        both.zh
        == "名册列出 3/4 个村卫生室、社区卫生服务站（基本情况申报村卫生室 2 个、社区卫生服务站 2 个）"
    )
    assert roster_gaps(None, fac, declared={})["centres"] == Gap("centres", 0, 0, 0)


def test_declared_units_keeps_whole_counts_of_known_types() -> None:
    assert declared_units({"village_clinic": 3.0, "tcm_clinic": 2, "clinic": 1}) == {
        "village_clinic": 3
    }
    assert declared_units({"village_clinic": True}) == {}
    assert declared_units({"village_clinic": -1}) == {}


def test_county_toml_units_are_read(tmp_path: Path) -> None:
    from tcmcounty.inputs.meta import check_shape
    from tcmcounty.inputs.raw import RawBundle

    raw = RawBundle(tmp_path, {}, {}, {}, {})
    meta: dict[str, object] = {"units": {"village_clinic": 312, "village_clinics": 1}}
    check_shape(meta, "[units]\nvillage_clinic = 312\nvillage_clinics = 1\n", raw)
    assert declared_units(meta["units"]) == {"village_clinic": 312}
    assert any("village_clinics" in p.message_en for p in raw.problems)


def test_the_template_writes_and_reads_back_the_declared_units(tmp_path: Path) -> None:
    from tcmcounty.inputs.workbook import write_workbook

    county = tcmcounty.load_county(_book(tmp_path / "c.xlsx", _vertical(8)), warn=False)
    back = tcmcounty.load_county(write_workbook(tmp_path / "out.xlsx", county), warn=False)
    assert back.units == {"village_clinic": 8}


def test_without_a_declared_number_clinics_are_bounded_by_the_nbs_villages() -> None:
    # a roster with one clinic in every other village is complete in each township's eyes; the
    # county's NBS 行政村 bound it from below (two clinics for every three villages)
    from tcmcounty.roster import Structure

    towns = pd.DataFrame({"code": ["1"], "name": ["甲镇"], "type": ["镇"]})
    villages = pd.DataFrame({"township_code": ["1"] * 6, "kind": ["村"] * 6})
    fac = pd.DataFrame({"type": ["village_clinic"] * 3, "township_code": ["1"] * 3})
    alone = roster_gaps(Structure(towns, villages), fac)["clinics"]
    assert alone.complete  # the structure alone sees no gap
    gap = roster_gaps(Structure(towns, villages, nbs_villages=12), fac)["clinics"]
    assert (gap.missing, gap.nbs_short) == (5, 5)  # ceil(12 × 2/3) = 8, 3 listed
    assert "名册仅列出 3 个村卫生室、社区卫生服务站" in gap.zh and "12 个行政村" in gap.zh
    assert "3 village clinics and stations for the 12 行政村" in gap.en
    # enough clinics, a declared number (it wins), or a township's own gap: no NBS bound
    assert roster_gaps(Structure(towns, villages, nbs_villages=4), fac)["clinics"].complete
    declared = roster_gaps(
        Structure(towns, villages, nbs_villages=12), fac, declared={"village_clinic": 3}
    )["clinics"]
    assert declared.complete and declared.nbs_short == 0
    assert roster_gaps(Structure(towns, villages, nbs_villages=12), fac, "1")["clinics"].complete
