"""Target sets, user target files, the registry file and the methods appendix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_indicators_bundle import make_county

from tcmcounty.errors import InputError, TcmCountyError
from tcmcounty.indicators import (
    appendix,
    appendix_text,
    compute,
    default_targets,
    get_kind,
    load_registry,
    load_targets,
)
from tcmcounty.indicators._files import packaged_names

USER_TOML = """\
[target_set]
id = "sichuan-test"
name_zh = "测试省医疗卫生服务体系规划（2021—2025年）"

[targets.T-BED]
kind = "at_least"
value = 5.5
source = "测试省医疗卫生服务体系规划（2021—2025年）"
clause = "表1 主要指标"

[targets.T-TCMSHARE]
kind = "at_least"
value = 20
source = "测试县卫生健康规划"
"""


def row(df: pd.DataFrame, ind: str) -> pd.Series:
    return df.set_index("id").loc[ind]


def test_default_set_is_shipped_and_labelled() -> None:
    assert {"registry.toml", "targets_national_2025.toml"} <= set(packaged_names())
    ts = default_targets()
    assert ts.id == "national-2025" and "2025" in ts.name_en and "示范县" in ts.name_zh
    assert (
        ts.lookup("T-DOC").low == 3.2
        and ts.lookup("T-RN").low == 3.8
        and ts.lookup("T-GP").low == 3.93
    )
    assert ts.lookup("T-DNR").low == 1.2 and ts.lookup("T-DNR", "township").low == 1.0
    tcmgp = ts.lookup("T-TCMGP")
    assert (tcmgp.kind, tcmgp.low, tcmgp.high) == ("range", 0.6, 0.8)
    assert (
        ts.lookup("T-ZYG-PAV").low == 10
        and ts.lookup("T-YLT").low == 30
        and ts.lookup("T-SAT").low == 90
    )
    assert ts.lookup("T-VC-TCM").low == 100 and ts.lookup("T-ZYG-HALL").low == 100
    assert ts.lookup("T-BED").evidence.startswith("UNVERIFIED")
    assert "national 2025 planning value" in ts.lookup("T-DOC").basis
    assert "demonstration-county standard" in ts.lookup("T-ZYG-PAV").basis
    assert ts.lookup("T-DOC", "township") is None  # per-capita planning values are county-level


def test_user_toml_overrides_and_adds_targets(tmp_path: Path) -> None:
    f = tmp_path / "sichuan.toml"
    f.write_text(USER_TOML, encoding="utf-8")
    c = make_county(tmp_path / "c")
    df = compute(c, targets=f)
    assert df.attrs["target_set"] == "national-2025+sichuan-test"
    bed = row(df, "T-BED")  # 6.0 beds per 1,000 now meets the provincial 5.5
    assert bed["target"] == "≥ 5.50" and bool(bed["met"]) and bed["need"] == 0
    assert bed["target_set"] == "sichuan-test" and bed["target_source"].startswith("测试省")
    share = row(df, "T-TCMSHARE")
    assert share["target"] == "≥ 20.0" and share["target_set"] == "sichuan-test"
    doc = row(df, "T-DOC")  # not in the user file: default kept
    assert doc["target_low"] == 3.2 and doc["target_set"] == "national-2025"
    assert not bool(row(compute(c), "T-BED")["met"])  # without the file, 7.40 is not met


def test_user_csv_target_file(tmp_path: Path) -> None:
    f = tmp_path / "county-plan.csv"
    f.write_text(
        "id,kind,value,low,high,source\nT-BED,at_most,5.5,,,县规划\nT-TCMGP@county,range,,0.5,1.5,县规划\n",
        encoding="utf-8",
    )
    df = compute(make_county(tmp_path / "c"), targets=f)
    bed = row(df, "T-BED")  # 60 beds, at most 5.5 per 1,000 of 10,000 residents: remove 5
    assert not bool(bed["met"]) and bed["need"] == 5 and bed["excess"] == 5
    assert "remove" in bed["need_unit"] and bed["target_set"] == "county-plan"
    assert bool(row(df, "T-TCMGP")["met"])  # 1.0 is inside 0.5–1.5


def test_user_file_alone_without_default(tmp_path: Path) -> None:
    f = tmp_path / "only.toml"
    f.write_text(USER_TOML, encoding="utf-8")
    ts = load_targets(f, base=False)
    assert ts.id == "sichuan-test" and ts.lookup("T-DOC") is None


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        (
            '[targets.T-NOPE]\nkind = "at_least"\nvalue = 1\n',
            "targets.T-NOPE",
            "unknown indicator ID",
        ),
        (
            '[targets.T-DOC]\nkind = "more_than"\nvalue = 1\n',
            "targets.T-DOC.kind",
            "expected one of",
        ),
        (
            '[targets.T-DOC]\nkind = "at_least"\nvalue = "many"\n',
            "targets.T-DOC.value",
            "expected a number",
        ),
        ('[targets.T-DOC]\nkind = "at_least"\nvlaue = 3\n', "targets.T-DOC.vlaue", "unknown key"),
        ('[targets.T-TCMGP]\nkind = "range"\nlow = 0.6\n', "targets.T-TCMGP", "needs 'high'"),
        (
            '[targets.T-TCMGP]\nkind = "range"\nlow = 0.9\nhigh = 0.6\n',
            "targets.T-TCMGP",
            "low 0.9 > high 0.6",
        ),
        (
            '[targets."T-DOC@village"]\nkind = "at_least"\nvalue = 3\n',
            "targets.T-DOC@village",
            "unknown level",
        ),
        (
            '[targets.T-TCMHOSP]\nkind = "at_least"\nvalue = "特级"\n',
            "targets.T-TCMHOSP.value",
            "expected a grade",
        ),
        ("[targets.T-DOC\nkind = 1\n", None, "not valid TOML"),
        ('[target_set]\nid = "x"\n', "targets", "expected one or more"),
    ],
)
def test_bad_target_file_names_file_key_and_expectation(
    tmp_path: Path, text: str, key: str | None, expected: str
) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_targets(f)
    p = info.value.errors[0]
    assert p.file == str(f) and p.column == key and expected in p.message_en
    assert str(f) in str(info.value) and isinstance(info.value, TcmCountyError)


def test_bad_csv_target_file(tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text("indicator,kind,value\nT-DOC,at_least,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="required column 'id'"):
        load_targets(f)
    f.write_text("id,kind,value\nT-DOC,at_least,lots\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_targets(f)
    assert info.value.errors[0].column == "row 2: T-DOC.value"


def test_missing_target_file_and_bad_type(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_targets(tmp_path / "nope.toml")
    with pytest.raises(TypeError, match="targets"):
        load_targets(3.2)  # type: ignore[arg-type]


def test_grade_target_by_name(tmp_path: Path) -> None:
    f = tmp_path / "grade.toml"
    f.write_text('[targets.T-TCMHOSP]\nkind = "at_least"\nvalue = "三级乙等"\n', encoding="utf-8")
    h = {"grade": "二级甲等", "status": "official", "source": "s1"}
    r = row(compute(make_county(tmp_path / "c", tcm_hospital=h), targets=f), "T-TCMHOSP")
    assert not bool(r["met"]) and r["target"] == "≥ 三级乙等" and r["target_low"] == 8


def test_registry_entries_and_kind_registry() -> None:
    reg = load_registry()
    expected = {
        "T-BED",
        "T-DOC",
        "T-RN",
        "T-PH",
        "T-GP",
        "T-TCMGP",
        "T-DNR",
        "T-TCMSHARE",
        "T-ZYG-HALL",
        "T-VC-TCM",
        "T-ZYG-PAV",
        "T-YLT",
        "T-TCMHOSP",
        "T-TCMHOSP-DEPT",
        "T-SAT",
        "T-TCMDOC-1000",
        # issue 14
        "T-TCMDOC-PRI",
        "T-TCMDOC-PRI-FAC",
        "T-TECH-THC",
        "T-TECH-VC",
        "T-TCMVISIT",
        "T-HERBAL-RX",
        "T-NONDRUG",
        "T-ZYG-HALL-Q",
        "T-GH-TCMDEPT",
        "T-MCH-TCMDEPT",
        "T-ELDERLY-HM",
        "T-CHILD-HM",
        "T-AWARE",
    }
    assert set(reg.ids) == expected
    pav = reg["T-ZYG-PAV"]
    assert (pav.factor, pav.unit_zh, pav.levels) == (100, "%", ("county", "township"))
    assert pav.numerator.kind == "facility_count" and pav.numerator.param("where") == {
        "has_tcm_pavilion": True
    }
    assert reg["T-TCMGP"].factor == 10000 and reg["T-DOC"].factor == 1000
    with pytest.raises(ValueError, match="valid kinds: resource, population"):
        get_kind("village_count")
    with pytest.raises(TypeError, match="kind"):
        get_kind(3)  # type: ignore[arg-type]


def test_bad_registry_file(tmp_path: Path) -> None:
    f = tmp_path / "reg.toml"
    f.write_text(
        '[[indicator]]\nid = "X"\nname_zh = "x"\nname_en = "x"\n'
        'numerator = { kind = "village_count" }\ndenominator = { kind = "population" }\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load_registry(f)
    p = info.value.errors[0]
    assert p.column == "indicator[1] (X).numerator.kind" and "valid kinds" in p.message_en


@pytest.mark.parametrize(
    ("spec", "where", "words"),
    [
        ('{ kind = "facility_count", types = 3 }', "numerator.types", "a facility type or a list"),
        ('{ kind = "facility_count", types = [3] }', "numerator.types", "a list of them"),
        ('{ kind = "resource", field = 7 }', "numerator.field", "a column or item name"),
        ('{ kind = "facility_count", where = "x" }', "numerator.where", "a table { column"),
        ('{ kind = "constant", value = true }', "numerator.value", "a number"),
    ],
)
def test_a_parameter_of_the_wrong_shape_is_refused_when_read(
    tmp_path: Path, spec: str, where: str, words: str
) -> None:
    # refused with the file and key when the registry is read, not a TypeError mid-report
    f = tmp_path / "reg.toml"
    f.write_text(
        f'[[indicator]]\nid = "X"\nname_zh = "x"\nname_en = "x"\nnumerator = {spec}\n'
        'denominator = { kind = "population" }\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load_registry(f)
    p = info.value.errors[0]
    assert p.column == f"indicator[1] (X).{where}" and words in p.message_en


def test_every_parameter_of_every_kind_has_a_shape() -> None:
    from tcmcounty.indicators.kinds import KINDS, PARAM_SHAPES

    assert {n for k in KINDS.values() for n in k.params} == set(PARAM_SHAPES)


def test_appendix_table_and_text() -> None:
    a = appendix()
    assert len(a) == len(load_registry()) and a.attrs["target_set"] == "national-2025"
    pav = a.set_index("id").loc["T-ZYG-PAV"]
    assert (
        pav["target"] == "≥ 10%"
        and "has_tcm_pavilion" in pav["formula"]
        and "安府办函〔2023〕12号[anyue-plan-2023]" in pav["target_source"]
    )
    assert "× 1,000" in a.set_index("id").loc["T-DOC", "formula"]
    md = appendix_text()
    assert md.startswith("## 指标与目标说明") and "| T-TCMGP |" in md and "0.6–0.8" in md
    assert "aggregation" in md and "national-2025" in md
    html = appendix_text(fmt="html")
    assert (
        html.startswith("<h2>")
        and "<td>T-YLT</td>" in html
        and "&lt;" not in html.split("<table>")[0][:4]
    )
    with pytest.raises(ValueError, match="fmt"):
        appendix_text(fmt="pdf")
