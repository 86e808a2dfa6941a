"""The matcher: how headers, county items and sheet names written by counties are read."""

from __future__ import annotations

import pytest

from tcmcounty.inputs.basics import ItemMatcher
from tcmcounty.inputs.cells import parse_date, vocabulary_value
from tcmcounty.inputs.matching import Matcher, normalise, parse_header, sheet_key
from tcmcounty.inputs.names import name_key, name_stem
from tcmcounty.schema import ALLIANCES, FACILITIES, TOWNSHIPS, VILLAGES


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("一、县基本情况", "县基本情况"),
        ("（一）其中：中医类别执业医师", "中医类别执业医师"),
        ("1. 机构名称", "机构名称"),
        ("12、机构名称", "机构名称"),
        ("①床位数", "床位数"),
        ("第三部分：医联体", "医联体"),
        ("机构\n名称", "机构名称"),
        ("机 构 名 称", "机构名称"),
        ("【床位数】", "(床位数)"),
        ("ＡＢＣ１２３", "abc123"),
    ],
)
def test_normalise(written: str, expected: str) -> None:
    assert normalise(written) == expected


def test_numbers_inside_a_name_are_not_numbering() -> None:
    assert normalise("2023年常住人口") == "2023年常住人口"
    assert normalise("3.5") == "3.5"


@pytest.mark.parametrize(
    ("written", "unit", "scale", "percent"),
    [
        ("常住人口（人）", "人", 1.0, False),
        ("年末常住人口（万人）", "万人", 10_000.0, False),
        ("年末常住人口(千人)", "千人", 1_000.0, False),
        ("床位数/张", "张", 1.0, False),
        ("中医药人员占比（%）", "%", 1.0, True),
        ("服务半径（km）", "km", 1.0, False),
        ("机构数（个）", "个", 1.0, False),
        ("常住人口", None, 1.0, False),
    ],
)
def test_units(written: str, unit: str | None, scale: float, percent: bool) -> None:
    p = parse_header(written)
    assert (p.unit, p.scale, p.percent) == (unit, scale, percent)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("机构类别", "机构类型"),
        ("机构分类", "机构类型"),
        ("所在乡镇代码", "所属乡镇代码"),
        ("隶属乡镇代码", "所属乡镇代码"),
        ("村（社区）代码", "村代码"),
        ("村居代码", "村代码"),
        ("行政村代码", "村代码"),
        ("村级代码", "村代码"),
        ("村（居）委会代码", "村代码"),
        ("是否设置中医馆", "中医馆"),
        ("能否提供中医药服务", "提供中医药服务"),
        ("有无中医阁", "中医阁"),
        ("已建中医馆", "中医馆"),
        ("设有中医馆", "中医馆"),
        ("建有中医阁", "中医阁"),
        ("床位数量", "床位"),
        ("床位数", "床位"),
        ("注册护士人数", "注册护士"),
    ],
)
def test_synonyms_share_a_key(a: str, b: str) -> None:
    assert parse_header(a).key == parse_header(b).key


@pytest.mark.parametrize(
    ("table", "header", "column"),
    [
        (FACILITIES, "机构类别", "type"),
        (FACILITIES, "是否设置中医馆", "has_tcm_hall"),
        (FACILITIES, "有无中医阁", "has_tcm_pavilion"),
        (FACILITIES, "能否提供中医药服务", "provides_tcm"),
        (FACILITIES, "所属村（社区）代码", "village_code"),
        (FACILITIES, "村（社区）代码", "village_code"),
        (FACILITIES, "实有床位数（张）", "beds"),
        (FACILITIES, "注册护士（人）", "nurses"),
        (FACILITIES, "执业（助理）医师数（人）", "physicians"),
        (FACILITIES, "执业(含助理)医师", "physicians"),
        (FACILITIES, "中医医师（人）", "tcm_physicians"),  # as rosters write it (unseen4 宾阳)
        (FACILITIES, "中医师数", "tcm_physicians"),
        (FACILITIES, "机构\n名称", "name"),
        (FACILITIES, "单位名称", "name"),
        (FACILITIES, "所在乡镇", "township_name"),
        (FACILITIES, "所属医联体", "alliance_ids"),
        (FACILITIES, "统一社会信用代码", "id"),
        (VILLAGES, "村（社区）代码", "code"),
        (VILLAGES, "村（社区）名称", "name"),
        (VILLAGES, "所属乡镇", "township_name"),
        (VILLAGES, "常住人口（人）", "population"),
        (TOWNSHIPS, "乡镇（街道）代码", "code"),
        (TOWNSHIPS, "乡镇（街道）名称", "name"),
        (ALLIANCES, "医联体编号", "id"),
        (ALLIANCES, "医共体名称", "name"),
        (ALLIANCES, "牵头单位", "lead_facility_id"),
    ],
)
def test_headers_of_county_rosters(table, header: str, column: str) -> None:
    assert Matcher(table).lookup(header) == column


def test_split_physicians_are_parts_of_one_column() -> None:
    m = Matcher(FACILITIES)
    assert m.lookup("执业医师数") is None
    assert m.part("执业医师数") == ("physicians", 0)
    assert m.part("执业助理医师（人）") == ("physicians", 1)
    hm = m.match(["机构名称", "机构类型", "执业医师", "执业助理医师"])
    parts = [c for c in hm.columns if c.rule == "part"]
    assert [c.column for c in parts] == ["physicians", "physicians"]
    assert any("summed" in en for _, en, _, _ in hm.problems)


def test_one_part_alone_is_read_with_a_warning() -> None:
    hm = Matcher(FACILITIES).match(["机构名称", "机构类型", "执业医师"])
    assert [c.column for c in hm.columns if c.rule == "part"] == ["physicians"]
    assert [sev for sev, *_ in hm.problems] == ["warning"]


def test_whole_column_wins_over_parts() -> None:
    hm = Matcher(FACILITIES).match(["机构名称", "机构类型", "执业（助理）医师数", "执业医师"])
    used = [c for c in hm.columns if c.column == "physicians"]
    assert [c.written for c in used] == ["执业（助理）医师数"]


def test_authorised_beds_are_not_read_as_beds() -> None:
    hm = Matcher(FACILITIES).match(["机构名称", "机构类型", "编制床位", "实有床位"])
    by = {c.written: c for c in hm.columns}
    assert by["编制床位"].column is None and "实有" in by["编制床位"].note
    assert by["实有床位"].column == "beds"


def test_near_miss_is_an_error_naming_the_candidate() -> None:
    hm = Matcher(FACILITIES).match(["机构名称", "机构类型", "中医类别医生数"])
    errors = [p for p in hm.problems if p[0] == "error"]
    assert len(errors) == 1 and "tcm_physicians" in errors[0][1] and "column map" in errors[0][1]
    assert [c.rule for c in hm.columns if c.written == "中医类别医生数"] == ["ambiguous"]


def test_unrelated_extra_columns_are_ignored_with_a_warning_only() -> None:
    hm = Matcher(FACILITIES).match(["机构名称", "机构类型", "联系电话", "法人代表"])
    assert not [p for p in hm.problems if p[0] == "error"]
    assert {c.written: c.rule for c in hm.columns}["法人代表"] == "unknown"


def test_two_headers_for_one_column_are_an_error() -> None:
    hm = Matcher(VILLAGES).match(["村代码", "村名称", "人口", "常住人口（人）"])
    assert any("duplicate column" in en for sev, en, _, _ in hm.problems if sev == "error")


def test_map_entry_wins_and_an_unknown_target_is_an_error() -> None:
    m = Matcher(FACILITIES)
    hm = m.match(["机构名称", "机构类型", "床位"], overrides={"床位": "beds"}, ignore=())
    assert [c.rule for c in hm.columns if c.written == "床位"] == ["map"]
    hm = m.match(["机构名称", "机构类型", "床位"], overrides={"床位": "bedz"})
    assert any("unknown column 'bedz'" in en for _, en, _, _ in hm.problems)
    hm = m.match(["机构名称", "机构类型", "床位"], ignore=("床位",))
    assert [c.column for c in hm.columns if c.written == "床位"] == [None]


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("常住人口（人）", "population.resident"),
        ("年末常住人口（万人）", "population.resident"),
        ("县（市、区）名称", "name_zh"),
        ("行政区划代码", "adcode"),
        ("医疗卫生机构床位数（张）", "resources.beds"),
        ("中医类别全科医生数", "resources.tcm_gps"),
        ("执业（助理）医师数（人）", "resources.physicians"),
        ("二、卫生技术人员数", "resources.health_staff"),
    ],
)
def test_county_items(label: str, field: str) -> None:
    assert ItemMatcher().lookup(label) == field


@pytest.mark.parametrize(
    ("sheet", "same_as"),
    [
        ("一、县基本情况", "县基本情况"),
        ("二、乡镇（街道）", "乡镇"),
        ("三、村（社区）", "村社区"),
        ("四、医疗卫生机构名册", "医疗卫生机构"),
        ("五、医联体（医共体）", "医联体"),
        ("附表6 数据来源", "数据来源"),
    ],
)
def test_sheet_names(sheet: str, same_as: str) -> None:
    assert sheet_key(sheet) == sheet_key(same_as)


def test_names_of_places() -> None:
    assert name_key("岳井村村民委员会") == name_key("岳井村")
    assert name_key("路北社区居民委员会") == "路北社区"
    assert name_key("东城街道办事处") == "东城街道"
    assert name_stem("郭家庄镇") == name_stem("郭家庄")
    assert name_stem("姚村村") == name_stem("姚村村委会") == name_stem("姚村")
    assert name_stem("东镇镇") != name_stem("西镇镇")


@pytest.mark.parametrize(
    ("text", "vocabulary", "value"),
    [
        ("官方", "status", "official"),
        ("估算", "status", "estimated"),
        ("模拟", "status", "synthetic"),
        ("A100", "facility_type", "county_general_hospital"),
        ("a210", "facility_type", "county_tcm_hospital"),
        ("C210 中心卫生院", "facility_type", "township_health_centre"),
        ("乡卫生院（C220）", "facility_type", "township_health_centre"),
        ("D600", "facility_type", "village_clinic"),
        ("Ｄ６００", "facility_type", "village_clinic"),
        ("B100", "facility_type", "community_health_centre"),
        ("B200", "facility_type", "community_health_station"),
        ("G100", "facility_type", "maternal_child_hospital"),
        ("综合医院", "facility_type", "county_general_hospital"),
        ("村委会", "village_kind", "村"),
    ],
)
def test_vocabularies(text: str, vocabulary: str, value: str) -> None:
    assert vocabulary_value(text, vocabulary) == value


def test_unknown_codes_are_not_guessed() -> None:
    assert vocabulary_value("Z999", "facility_type") is None
    assert vocabulary_value("村保健站", "facility_type") is None


def test_dates() -> None:
    import datetime as dt

    assert parse_date("2023-03-01") == dt.date(2023, 3, 1)
    assert parse_date("2023/3/1") == dt.date(2023, 3, 1)
    assert parse_date("2023年6月") == dt.date(2023, 6, 1)
    assert parse_date("2023年6月", end=True) == dt.date(2023, 6, 30)
    assert parse_date("2024.2", end=True) == dt.date(2024, 2, 29)
    assert parse_date("2023-02-30") is None
    assert parse_date("明年") is None
