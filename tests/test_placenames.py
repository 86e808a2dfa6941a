"""Names from the county's data in Latin letters for English reports (issue 23, item 3)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tcmcounty.placenames import GENERICS, place_pinyin
from tcmcounty.reporting.sections import name_html, table_html

COUNTIES = Path(__file__).resolve().parents[1] / "data" / "counties"


@pytest.mark.parametrize(
    ("name", "latin"),
    [
        ("岳阳镇", "Yueyang Town"),
        ("岳城街道", "Yuecheng Subdistrict"),
        ("白塔寺乡", "Baitasi Township"),
        # a generic character inside the specific part stays pinyin
        ("镇子镇", "Zhenzi Town"),
        ("东镇镇", "Dongzhen Town"),
        ("侯村镇", "Houcun Town"),
        # polyphones read as place names read them (pypinyin's default: fu, zhang, zhao, dou)
        ("卧佛镇", "Wofo Town"),
        ("长屋村卫生室", "Changwu Village Clinic"),
        ("朝阳镇", "Chaoyang Town"),
        ("薯都社区居民委员会", "Shudu Community Residents' Committee"),
        # generic suffixes of facilities and alliances
        ("安岳县中医医院", "Anyue County TCM Hospital"),
        ("安岳县两板桥镇卫生院", "Anyue County Liangbanqiao Town Health Centre"),
        ("高棕村村民委员会", "Gaozong Village Villagers' Committee"),
        ("铁峰社区卫生服务站", "Tiefeng Community Health Station"),
        ("闻喜县妇幼保健院", "Wenxi County Maternal and Child Health Hospital"),
        (
            "安岳县人民医院牵头县域医共体",
            "Anyue County People's Hospital-led County Medical Community",
        ),
        # apostrophe before a syllable starting with a, o, e; ü kept
        ("奎安社区居民委员会", "Kui'an Community Residents' Committee"),
        ("吕梁市", "Lüliang City"),
        ("F512021-0001", "F512021-0001"),
    ],
)
def test_place_pinyin(name: str, latin: str) -> None:
    assert place_pinyin(name) == latin


def test_every_bundled_name_comes_out_in_latin_letters() -> None:
    for path in COUNTIES.glob("*/*.csv"):
        if path.stem not in ("townships", "villages", "facilities", "alliances"):
            continue
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                latin = place_pinyin(row["name"])
                assert all(ord(ch) < 128 or ch in "üÜ" for ch in latin), (row["name"], latin)
                assert latin and latin[0].isupper() and "  " not in latin, (row["name"], latin)


@pytest.mark.parametrize(
    ("name", "latin"),
    [
        # a plan's responsible units: the county's bodies without the county's name
        ("县卫生健康局", "County Health Bureau"),
        ("县卫健局", "County Health Bureau"),
        ("县人力资源和社会保障局", "County Human Resources and Social Security Bureau"),
        ("县委办公室", "County Party Committee Office"),
        ("县政府外网办", "County Government Website Office"),
        ("县创建领导小组办公室", "County Creation Leading Group Office"),
        ("各相关部门", "All Relevant Departments"),
        ("乡镇卫生院", "Township Health Centres"),
        # after a place name, the plain body; a bare 委 is no generic
        ("安岳县卫生健康局", "Anyue County Health Bureau"),
        ("资阳市卫生健康委员会", "Ziyang City Health Commission"),
        ("乡宁县", "Xiangning County"),
    ],
)
def test_government_bodies(name: str, latin: str) -> None:
    assert place_pinyin(name) == latin


def test_every_bundled_task_unit_comes_out_in_english_words() -> None:
    """Every lead and partner unit of the bundled plans: generics only, no pinyin guess."""
    from tcmcounty.placenames import _parse
    from tcmcounty.tasks import UNNAMED_UNIT

    for path in COUNTIES.glob("*/tasks.csv"):
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for unit in f"{row['lead']}、{row['partners']}".split("、"):
                    if unit and unit != UNNAMED_UNIT:
                        assert all(generic for _, generic in _parse(unit)), (path.parent, unit)


def test_generics_are_english() -> None:
    assert all(en.isascii() for en in GENERICS.values())


def test_name_html_by_language() -> None:
    assert name_html("岳阳镇", "zh") == "岳阳镇"
    assert name_html("岳阳镇", "en") == "<span class='tcm-name'>Yueyang Town (岳阳镇)</span>"
    assert "Yueyang Town" in name_html("岳阳镇", "zh-en")
    assert name_html("alliances led by the county TCM hospital", "en") == (
        "alliances led by the county TCM hospital"
    )
    bilingual = "县中医院牵头 / led by the county TCM hospital"
    assert name_html(bilingual, "zh-en") == bilingual  # a label, not a name
    assert name_html("岳阳镇；镇子镇", "en").count("tcm-name") == 2  # name by name
    assert "&lt;&amp;&gt;" in name_html("岳阳镇<&>", "en")


def test_tables_show_names_with_pinyin_outside_zh() -> None:
    import pandas as pd

    df = pd.DataFrame({"township_name": ["岳阳镇"], "n": [3]})
    cols = [("township_name", "乡镇", "township"), ("n", "数", "n")]
    assert "Yueyang" not in table_html(df, cols, "zh")
    assert "<td><span class='tcm-name'>Yueyang Town (岳阳镇)</span></td>" in table_html(
        df, cols, "en"
    )
