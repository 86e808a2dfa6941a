"""A county given as one CSV file, headers in pinyin in full, coordinates in degrees-minutes-seconds.

Each case is built here in the shape a bureau writes it (a GBK roster exported from a
provincial system, ``jigou_mingcheng`` headers, ``108°41'21.7"E``) and checked on the values read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from tcmcounty.errors import InputError
from tcmcounty.inputs.cells import content_fit, split_pair
from tcmcounty.inputs.degrees import coordinate_pieces, parse_degrees
from tcmcounty.inputs.load import read_raw
from tcmcounty.inputs.matching import Matcher
from tcmcounty.schema import FACILITIES

#: 会昌县 (360733): two townships and a village of each, NBS 2023.
HEADER = (
    "xuhao,jigou_mingcheng,jigou_leibie,xiangzhen_mingcheng,xiangzhen_daima,cun_mingcheng,"
    "cun_daima,zhiye_yishi,zhuce_hushi,xiangcun_yisheng,zhongyiguan,zhongyige,zhongyi_fuwu,"
    "jingdu,weidu,beizhu"
)
ROWS = [
    '1,文武坝镇卫生院,乡镇卫生院,文武坝镇,360733100,,,12,9,,1,,1,"115°47\'21.7""E","25°36\'38.6""N",',
    "2,红旗社区卫生室,村卫生室,文武坝镇,360733100,红旗居委会,360733100001,1,0,2,,1,1,,,",
    '3,筠门岭镇卫生院,乡镇卫生院,筠门岭镇,360733101,,,8,7,,0,,1,"115°44\'3.2""E","25°15\'24.0""N",',
]


def _csv(path: Path, rows: list[str] = ROWS) -> Path:
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("gbk"))
    return path


def _errors(raw: object) -> list[str]:
    return [str(p) for p in raw.problems if p.severity == "error"]  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ one CSV file


def test_a_single_csv_is_read_as_a_folder_holding_it(tmp_path: Path) -> None:
    alone = read_raw(_csv(tmp_path / "huichang_360733.csv"))
    (tmp_path / "huichang_360733").mkdir()
    folder = read_raw(_csv(tmp_path / "huichang_360733" / "huichang_360733.csv"))
    assert _errors(alone) == [] and _errors(folder) == []
    f = alone.tables["facilities"].set_index("name")
    assert f.loc["文武坝镇卫生院", "has_tcm_hall"] == True  # noqa: E712
    assert f.loc["红旗社区卫生室", "has_tcm_pavilion"] == True  # noqa: E712
    assert f.loc["文武坝镇卫生院", "lon"] == pytest.approx(115 + 47 / 60 + 21.7 / 3600)
    assert f.loc["筠门岭镇卫生院", "lat"] == pytest.approx(25 + 15 / 60 + 24 / 3600)
    assert len(alone.tables["villages"]) > 200  # the NBS list of the county
    cols = ["name", "type", "lon", "lat", "has_tcm_hall", "provides_tcm"]
    assert alone.tables["facilities"][cols].equals(folder.tables["facilities"][cols])


def test_a_single_text_file_that_is_no_table_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "county.json"
    p.write_text('{"county": "会昌县"}', encoding="utf-8")
    with pytest.raises(InputError, match="not a table file"):
        read_raw(p)


def test_no_population_gives_no_ratio_but_says_why(tmp_path: Path) -> None:
    import tcmcounty
    from tcmcounty import indicators

    county = tcmcounty.load_county(_csv(tmp_path / "huichang_360733.csv"), warn=False)
    table = indicators.compute(county).set_index("id")
    row = table.loc["T-DOC"]
    row = row[row["level"] == "county"].iloc[0] if row.ndim == 2 else row
    assert row["value"] is None or str(row["value"]) == "<NA>"
    assert "population" in str(row["reason"])


# ------------------------------------------------------------------------------ pinyin in full


def test_pinyin_in_full_word_synonyms_ends_parts_and_known_ignored() -> None:
    m = Matcher(FACILITIES)
    assert m.recognise("jigou_mingcheng") == "name"
    assert m.recognise("jigou_leibie") == "type"  # 类别 is 类型
    assert m.recognise("zhongyi_fuwu") == "provides_tcm"  # the end of 提供中医服务
    assert m.recognise("ZhongYiGe") == "has_tcm_pavilion"
    assert m.part("zhiye_yishi") == ("physicians", 0)
    hm = m.match(["xiangcun_yisheng", "jingdu"], fit=lambda col, pos: 0.0 if "lat" in col else 1.0)
    assert [(c.column, c.rule) for c in hm.columns] == [(None, "ignored"), ("lon", "pinyin")]
    assert m.pinyin("zhongyi") == set()  # no header of the contract


# ------------------------------------------------------------------------------ DMS


@pytest.mark.parametrize(
    ("text", "value", "axis"),
    [
        ("119°41′12.3″", 119.68675, None),
        ("E119°41′12.3″", 119.68675, "lon"),
        ("119°41'12.3\"E", 119.68675, "lon"),
        ("119°41'12.3''", 119.68675, None),
        ("东经119度41分12.3秒", 119.68675, "lon"),
        ("北纬29度30分", 29.5, "lat"),
        ("N 29° 30′", 29.5, "lat"),
        ("29.5°", 29.5, None),
        ("S29°30′", -29.5, "lat"),
        ("１１９°４１′１２.３″", 119.68675, None),  # full-width digits
        ("119°28′60.0″", 119 + 29 / 60, None),  # a rounding carry: 60″ is 1′
    ],
)
def test_degrees_minutes_seconds(text: str, value: float, axis: str | None) -> None:
    got = parse_degrees(text)
    assert got is not None and got[0] == pytest.approx(value) and got[1] == axis


@pytest.mark.parametrize(
    "text", ["119°75′", "119°41′72″", "N95°", "E200°", "119°12.3″", "E119°N", "119.5°41′", "abc"]
)
def test_what_is_no_coordinate(text: str) -> None:
    assert parse_degrees(text) is None


def test_a_cell_holding_both_in_either_order() -> None:
    assert coordinate_pieces("E119°41′12.3″ N29°47′30.1″") == ("E119°41′12.3″", "N29°47′30.1″")
    assert coordinate_pieces("E119°41′12.3″N29°47′30.1″") == ("E119°41′12.3″", "N29°47′30.1″")
    lat_first = "29°47'30.1\"N，119°41'12.3\"E"
    assert split_pair(lat_first, 0, "lon") == "119°41'12.3\"E"
    assert split_pair(lat_first, 1, "lat") == "29°47'30.1\"N"
    cells = ["E119°41′12.3″ N29°47′30.1″", lat_first, "东经119度41分, 北纬29度47分", ""]
    assert content_fit("lonlat", cells) == 1.0
    assert content_fit("lonlat", ["119°41′12.3″ 29°47′30.1″"]) == 1.0  # no letters: by order
    assert content_fit("latlon", ["119°41′12.3″ 29°47′30.1″"]) == 0.0


def _roster(path: Path, lonlat: list[object], lon: list[object]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "医疗机构"
    ws.append(["机构名称", "机构类型", "所属乡镇", "经纬度"])
    names = ["文武坝镇卫生院", "筠门岭镇卫生院", "红旗卫生室", "富东卫生室"]
    towns = ["文武坝镇", "筠门岭镇", "文武坝镇", "文武坝镇"]
    types = ["乡镇卫生院", "乡镇卫生院", "村卫生室", "村卫生室"]
    for row in zip(names, types, towns, lonlat, strict=True):
        ws.append(list(row))
    ws2 = wb.create_sheet("村卫生室")
    ws2.append(["机构名称", "机构类型", "所属乡镇", "经度", "纬度"])
    for i, value in enumerate(lon):
        ws2.append([f"水东{i}卫生室", "村卫生室", "文武坝镇", value, "25°36′"])
    wb.save(path)
    return path


def test_a_dms_pair_column_and_dms_columns_are_read(tmp_path: Path) -> None:
    pairs = [
        "E115°47′21.7″ N25°36′38.6″",
        "25°15′24.0″N, 115°44′03.2″E",
        None,
        "东经115度47分，北纬25度36分",
    ]
    raw = read_raw(_roster(tmp_path / "huichang_360733.xlsx", pairs, ["115°47′", "E115°48′"]))
    assert _errors(raw) == []
    f = raw.tables["facilities"].set_index("name")
    assert f.loc["筠门岭镇卫生院", "lon"] == pytest.approx(115 + 44 / 60 + 3.2 / 3600)
    assert f.loc["筠门岭镇卫生院", "lat"] == pytest.approx(25 + 15 / 60 + 24 / 3600)
    assert f.loc["水东1卫生室", "lon"] == pytest.approx(115.8)


def test_a_coordinate_out_of_range_or_unreadable_is_an_error_naming_the_forms(
    tmp_path: Path,
) -> None:
    pairs = ["E115°47′21.7″ N25°36′38.6″"] * 4
    lon = ["115°47′", "115°47′", "115°47′", "115°47′", "115°47′", "115°47′", "115°47′"]
    lon += ["115°75′", "N25°36′", "115度47分"]
    raw = read_raw(_roster(tmp_path / "huichang_360733.xlsx", pairs, lon))
    errors = [p for p in raw.problems if p.severity == "error"]
    by_value = {p.value: p for p in errors if p.value is not None}
    assert set(by_value) == {"115°75′", "N25°36′"}
    bad = by_value["115°75′"]
    assert bad.row == 9 and bad.column == "经度" and "村卫生室" in str(bad)
    assert "degrees-minutes-seconds" in bad.message_en and "度分秒" in bad.message_zh
    assert "swapped" in by_value["N25°36′"].message_en


def test_a_table_of_the_contract_alone_asks_for_its_folder(tmp_path: Path) -> None:
    p = tmp_path / "villages.csv"
    p.write_text("code,name\n360733100001,红旗居委会\n", encoding="utf-8")
    with pytest.raises(InputError, match="one table of a bundle"):
        read_raw(p)
