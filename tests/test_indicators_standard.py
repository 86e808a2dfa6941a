"""The review standard's further items (issue 14): each new indicator by hand on a small county,
their data contract (missing is "not reported", impossible values refused) and evidence grades.

The county is the indicator tests' small county (``test_indicators_bundle.base_tables``) with the
new facility columns, county items and survey counts filled in by hand; every expected value
below is worked out in the comment beside it.
"""

from __future__ import annotations

import copy
import html.parser
import re
from pathlib import Path

import pandas as pd
import pytest
from test_indicators_bundle import (
    ADCODE,
    FACILITY_COLUMNS,
    T1,
    T2,
    _write_csv,
    base_tables,
    make_county,
    write_bundle,
)

from tcmcounty import load_county
from tcmcounty.errors import InputError
from tcmcounty.indicators import compute, default_targets, load_registry, load_targets
from tcmcounty.indicators.model import AREAS, EVIDENCE_GRADES, GRADE_LABELS, Target

NEW_COLUMNS = [
    "tcm_technique_categories",
    "visits",
    "tcm_visits",
    "nondrug_visits",
    "prescriptions",
    "herbal_prescriptions",
    "is_quality_tcm_hall",
    "has_tcm_department",
]
#: Per facility of base_tables (F1 … F8) plus a maternal-child hospital F9; None = blank cell.
EXTRA: dict[str, dict[str, object]] = {
    # county hospitals: not 基层医疗卫生机构, so never in the visit or prescription shares
    "F1": {"visits": 50000, "tcm_visits": 40000, "nondrug_visits": 9000},
    "F8": {"visits": 90000, "tcm_visits": 4000, "has_tcm_department": "是"},
    # 城关社区卫生服务中心: 1 TCM physician of 4 = exactly 25%; 6类10项; a 精品中医馆
    "F2": {
        "tcm_technique_categories": 6,
        "tcm_techniques": 10,
        "visits": 10000,
        "tcm_visits": 3000,
        "nondrug_visits": 1200,
        "prescriptions": 5000,
        "herbal_prescriptions": 1000,
        "is_quality_tcm_hall": "是",
    },
    # 东山镇卫生院: 1 of 5 = 20%; 6类 but only 9项
    "F3": {
        "tcm_technique_categories": 6,
        "tcm_techniques": 9,
        "visits": 8000,
        "tcm_visits": 2000,
        "nondrug_visits": 800,
        "prescriptions": 4000,
        "herbal_prescriptions": 600,
        "is_quality_tcm_hall": "否",
    },
    "F4": {  # station: 4类6项
        "tcm_technique_categories": 4,
        "tcm_techniques": 6,
        "visits": 2000,
        "tcm_visits": 500,
        "nondrug_visits": 100,
    },
    "F5": {  # clinic: 5类 but 5项
        "tcm_technique_categories": 5,
        "tcm_techniques": 5,
        "visits": 1000,
        "tcm_visits": 300,
        "nondrug_visits": 50,
    },
    "F6": {  # clinic giving no TCM: no technique, no TCM visit (0 is a reported zero)
        "tcm_technique_categories": 0,
        "tcm_techniques": 0,
        "visits": 1500,
        "tcm_visits": 0,
        "nondrug_visits": 0,
    },
    "F7": {},  # clinic that reported none of the new columns: left out of every new share
}
MCH = {
    "id": "F9",
    "name": "测试县妇幼保健院",
    "type": "maternal_child_hospital",
    "township_code": T1,
    # no beds or staff: with them the roster would hold more than the county totals
    "has_tcm_department": "否",
}
RESOURCES = {
    "elderly_65": {"value": 1500, "year": 2023, "source": "s1", "status": "official"},
    "elderly_tcm_managed": {"value": 1050, "year": 2023, "source": "s1", "status": "official"},
    "children_0_36": {"value": 300, "year": 2023, "source": "s1", "status": "official"},
    "children_tcm_managed": {"value": 240, "year": 2023, "source": "s1", "status": "official"},
}
SURVEY = {
    "respondents": 200,
    "satisfied": 184,
    "awareness_respondents": 200,
    "aware": 150,
    "year": 2023,
    "source": "s1",
    "status": "official",
}


def standard_tables() -> dict[str, object]:
    """The small county with every new item of the standard reported."""
    t = base_tables()
    t["facilities"] = [  # type: ignore[index]
        {**f, **EXTRA.get(str(f["id"]), {})}
        for f in t["facilities"]  # type: ignore[attr-defined]
    ] + [MCH]
    t["meta"]["resources"].update(copy.deepcopy(RESOURCES))  # type: ignore[index]
    t["meta"]["survey"] = dict(SURVEY)  # type: ignore[index]
    return t


def write_standard(folder: Path, tables: dict[str, object] | None = None) -> Path:
    """Write the bundle with the new facility columns (the builder writes only the old ones)."""
    t = tables or standard_tables()
    write_bundle(folder, t)
    rows = [{"status": "official", "source": "s1", **f} for f in t["facilities"]]  # type: ignore[attr-defined]
    _write_csv(folder / "facilities.csv", [*FACILITY_COLUMNS, *NEW_COLUMNS], rows)
    return folder


@pytest.fixture(scope="module")
def standard(tmp_path_factory: pytest.TempPathFactory):
    return load_county(write_standard(tmp_path_factory.mktemp("std") / "c"), warn=False)


@pytest.fixture(scope="module")
def table(standard) -> pd.DataFrame:
    return compute(standard).set_index("id")


@pytest.fixture(scope="module")
def towns(standard) -> pd.DataFrame:
    return compute(standard, by="township").set_index(["id", "area_code"])


# --------------------------------------------------------------------------------------------
# Each new indicator by hand


def test_tcm_physician_share_of_centres_pooled_and_per_township(table, towns) -> None:
    r = table.loc["T-TCMDOC-PRI"]  # (1 + 1) / (4 + 5) = 22.2% < 25%
    assert r["value"] == pytest.approx(200 / 9) and not r["met"]
    assert r["need"] == 1  # (2 + 1) / 9 = 33% >= 25%; 2 / 9 is not
    assert (r["target"], r["target_grade"]) == ("≥ 25%", "unverified")
    assert towns.loc[("T-TCMDOC-PRI", T1), "value"] == pytest.approx(25.0)  # F2: 1 / 4
    assert bool(towns.loc[("T-TCMDOC-PRI", T1), "met"])  # exactly 25% reaches it
    assert towns.loc[("T-TCMDOC-PRI", T2), "value"] == pytest.approx(20.0)  # F3: 1 / 5


def test_share_of_centres_reaching_25_percent(table, towns) -> None:
    r = table.loc["T-TCMDOC-PRI-FAC"]  # F2 25% reaches, F3 20% does not: 1 of 2
    assert (r["numerator"], r["denominator"], r["value"]) == (1, 2, pytest.approx(50.0))
    assert r["need"] == 1 and not r["met"]
    assert towns.loc[("T-TCMDOC-PRI-FAC", T1), "value"] == pytest.approx(100.0)
    assert towns.loc[("T-TCMDOC-PRI-FAC", T2), "value"] == pytest.approx(0.0)


def test_techniques_categories_and_items_per_facility_level(table) -> None:
    thc = table.loc["T-TECH-THC"]  # F2 6类10项 yes; F3 6类9项 no
    assert (thc["numerator"], thc["denominator"], thc["need"]) == (1, 2, 1)
    vc = table.loc["T-TECH-VC"]  # F4 4类6项 yes; F5 5类5项 no; F6 3类8项 no; F7 blank: left out
    assert (vc["numerator"], vc["denominator"]) == (1, 3)
    assert vc["value"] == pytest.approx(100 / 3) and vc["need"] == 2
    assert "1 of 4 facilities" in vc["note"] and "left out" in vc["note"]


def test_tcm_visit_share_of_primary_care(table) -> None:
    r = table.loc["T-TCMVISIT"]  # F2–F6 (hospitals excluded, F7 blank left out)
    assert (r["numerator"], r["denominator"]) == (3000 + 2000 + 500 + 300 + 0, 22500)
    assert r["value"] == pytest.approx(100 * 5800 / 22500)
    # F7's blank visits make it unknown: as large as the largest clinic listed (500 TCM visits of
    # 2,000) it could bring at most (5800 + 500) / 22500 = 28% < 30%: not met whatever it holds
    assert r["met"] is False or not bool(r["met"])
    assert r["no_verdict"] == "" and "判定不变" in r["note"]
    assert r["need"] == 6750 - 5800  # 30% of 22,500 visits
    assert r["target_grade"] == "unverified" and "2020" in r["target"]


def test_herbal_prescriptions_and_non_drug_therapy(table) -> None:
    rx = table.loc["T-HERBAL-RX"]  # (1000 + 600) / (5000 + 4000); the others left out
    assert rx["value"] == pytest.approx(100 * 1600 / 9000) and pd.isna(rx["met"])
    assert "left out" in rx["note"]
    nd = table.loc["T-NONDRUG"]  # (1200 + 800 + 100 + 50 + 0) / 5800 TCM visits
    assert nd["value"] == pytest.approx(100 * 2150 / 5800) and pd.isna(nd["met"])


def test_quality_tcm_hall_share(table) -> None:
    r = table.loc["T-ZYG-HALL-Q"]  # F2 精品 of F2, F3
    assert r["value"] == pytest.approx(50.0) and bool(r["met"]) and r["need"] == 0
    assert r["target_grade"] == "derived"


def test_tcm_departments_of_county_hospitals(table) -> None:
    gh = table.loc["T-GH-TCMDEPT"]  # 县人民医院 F8 has one
    assert gh["value"] == pytest.approx(100.0) and bool(gh["met"])
    mch = table.loc["T-MCH-TCMDEPT"]  # 妇幼保健院 F9 has none
    assert mch["value"] == pytest.approx(0.0) and not mch["met"] and mch["need"] == 1
    assert mch["target_grade"] == "verified"


def test_health_management_rates_and_awareness(table) -> None:
    old = table.loc["T-ELDERLY-HM"]  # 1,050 / 1,500
    assert old["value"] == pytest.approx(70.0) and old["numerator_year"] == 2023
    assert pd.isna(old["met"]) and old["target_grade"] == "unverified"  # no number was read
    assert table.loc["T-CHILD-HM", "value"] == pytest.approx(80.0)  # 240 / 300
    aware = table.loc["T-AWARE"]  # 150 / 200
    assert aware["value"] == pytest.approx(75.0) and aware["target_grade"] == "verified"
    assert table.loc["T-SAT", "value"] == pytest.approx(92.0)  # the satisfaction survey still


def test_a_county_without_the_new_data_is_not_reported_never_zero(tmp_path: Path) -> None:
    county = make_county(tmp_path / "c")  # the old columns only: the new ones are all blank
    df = compute(county).set_index("id")
    new = [
        "T-TECH-THC",
        "T-TECH-VC",
        "T-TCMVISIT",
        "T-HERBAL-RX",
        "T-NONDRUG",
        "T-ZYG-HALL-Q",
        "T-GH-TCMDEPT",
        "T-ELDERLY-HM",
        "T-CHILD-HM",
        "T-AWARE",
    ]
    for i in new:
        r = df.loc[i]
        assert pd.isna(r["value"]) and pd.isna(r["met"]) and pd.isna(r["need"]), i
        assert "not reported" in r["reason"] and "未报告" in r["reason"], (i, r["reason"])
    assert "not reported by any of 6 facilities" in df.loc["T-TCMVISIT", "reason"]
    # a facility table built without the columns at all (a County made in code) says so
    county.facilities = county.facilities.drop(
        columns=[c for c in NEW_COLUMNS if c in county.facilities]
    )
    r = compute(county, indicators=["T-TCMVISIT"]).iloc[0]
    assert pd.isna(r["value"]) and "no such column" in r["reason"]
    mch = df.loc["T-MCH-TCMDEPT"]  # this county lists no 妇幼保健院 at all: no verdict, and why
    assert pd.isna(mch["value"]) and "maternal-child hospitals" in mch["reason"]
    assert "妇幼保健院" in mch["denominator_definition"]  # the row names it in Chinese too


def test_a_column_blank_for_every_facility_is_not_reported(tmp_path: Path) -> None:
    t = standard_tables()
    for f in t["facilities"]:  # type: ignore[attr-defined]
        f.pop("visits", None)
    df = compute(load_county(write_standard(tmp_path / "c", t), warn=False)).set_index("id")
    r = df.loc["T-TCMVISIT"]
    assert pd.isna(r["value"]) and "not reported by any of" in r["reason"]


# --------------------------------------------------------------------------------------------
# The data contract: vocabulary and impossible values


def _refused(tmp_path: Path, fid: str, changes: dict[str, object]) -> str:
    t = standard_tables()
    for f in t["facilities"]:  # type: ignore[attr-defined]
        if f["id"] == fid:
            f.update(changes)
    with pytest.raises(InputError) as exc:
        load_county(write_standard(tmp_path / "c", t), warn=False)
    return str(exc.value)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"tcm_visits": 12000}, "TCM visits exceed all visits"),
        ({"nondrug_visits": 3500}, "non-drug therapy exceed TCM visits"),
        ({"herbal_prescriptions": 6000}, "herbal prescriptions exceed"),
        ({"tcm_technique_categories": 11}, "more technique categories"),
    ],
)
def test_a_part_larger_than_its_whole_is_refused(
    tmp_path: Path, changes: dict[str, object], words: str
) -> None:
    msg = _refused(tmp_path, "F2", changes)
    assert words in msg and "facilities" in msg and str(next(iter(changes.values()))) in msg


def test_impossible_county_items_are_refused(tmp_path: Path) -> None:
    t = standard_tables()
    t["meta"]["resources"]["elderly_tcm_managed"]["value"] = 1600  # type: ignore[index]
    t["meta"]["survey"]["aware"] = 201  # type: ignore[index]
    with pytest.raises(InputError) as exc:
        load_county(write_standard(tmp_path / "c", t), warn=False)
    msg = str(exc.value)
    assert "more residents 65+ managed than residents 65+" in msg
    assert "survey.aware" in msg and "impossible" in msg
    t = standard_tables()
    t["meta"]["resources"]["children_0_36"]["value"] = 20000  # type: ignore[index]
    with pytest.raises(InputError, match="exceed the county's resident population"):
        load_county(write_standard(tmp_path / "d", t), warn=False)


def test_headers_and_items_planners_write() -> None:
    from tcmcounty.inputs.basics import ItemMatcher
    from tcmcounty.inputs.matching import Matcher
    from tcmcounty.schema import FACILITIES

    m = Matcher(FACILITIES)
    for header, column in {
        "总诊疗人次（人次）": "visits",
        "诊疗量": "visits",
        "中医诊疗人次": "tcm_visits",
        "中医诊疗量（万人次）": "tcm_visits",
        "中医非药物疗法人次": "nondrug_visits",
        "中药饮片处方数（张）": "herbal_prescriptions",
        "门诊处方数": "prescriptions",
        "中医药适宜技术类别数": "tcm_technique_categories",
        "是否精品中医馆": "is_quality_tcm_hall",
        "是否设置中医科": "has_tcm_department",
        "中医馆": "has_tcm_hall",
    }.items():
        assert m.lookup(header) == column, header
    items = ItemMatcher()
    for label, field in {
        "65岁及以上老年人数（人）": "resources.elderly_65",
        "老年人中医药健康管理人数": "resources.elderly_tcm_managed",
        "0-36个月儿童数": "resources.children_0_36",
        "0～36个月儿童中医药健康管理人数": "resources.children_tcm_managed",
        "知晓率调查人数": "survey.awareness_respondents",
        "知晓人数": "survey.aware",
        "群众知晓率": "survey.awareness_rate",
    }.items():
        assert items.lookup(label) == field, label


def test_workbook_reads_the_new_items_and_refuses_a_rate_above_100(tmp_path: Path) -> None:
    import openpyxl

    from tcmcounty.inputs.workbook import write_workbook

    county = load_county(write_standard(tmp_path / "c"), warn=False)
    book = write_workbook(tmp_path / "c.xlsx", county)
    back = compute(load_county(book, warn=False)).set_index("id")
    for i in ("T-TCMVISIT", "T-TECH-VC", "T-ELDERLY-HM", "T-AWARE", "T-MCH-TCMDEPT"):
        assert back.loc[i, "value"] == pytest.approx(
            compute(county).set_index("id").loc[i, "value"]
        )

    def with_rates(aware: str, elderly: str, name: str) -> Path:
        """The same workbook with the counts written as rates, as county sheets often have them."""
        wb = openpyxl.load_workbook(book)
        for row in wb["县基本情况"].iter_rows(min_row=2):
            if row[0].value == "知晓人数":
                row[0].value, row[1].value = "知晓率", aware
            if row[0].value == "接受中医药健康管理服务的65岁及以上居民数":
                row[0].value, row[1].value = "老年人中医药健康管理率", elderly
        wb.save(tmp_path / name)
        return tmp_path / name

    rates = compute(load_county(with_rates("75%", "0.7", "rates.xlsx"), warn=False)).set_index("id")
    assert rates.loc["T-AWARE", "numerator"] == 150  # 75% × 200 respondents
    assert rates.loc["T-ELDERLY-HM", "numerator"] == 1050  # 70% × 1,500 residents 65+
    with pytest.raises(InputError, match="知晓率"):
        load_county(with_rates("120%", "0.7", "bad.xlsx"), warn=False)


# --------------------------------------------------------------------------------------------
# Evidence grades


def test_every_shipped_target_states_its_grade_and_every_indicator_its_area() -> None:
    import tomllib

    from tcmcounty.indicators._files import packaged_text

    raw = tomllib.loads(packaged_text("targets_national_2025.toml"))["targets"]
    assert all(e.get("grade") in EVIDENCE_GRADES for e in raw.values())
    ts = default_targets()
    assert {t.grade for t in ts.targets.values()} == set(EVIDENCE_GRADES)
    reg = load_registry()
    assert all(i.area in AREAS and i.area != "other" for i in reg)
    assert all(ts.lookup(i.id) or ts.lookup(i.id, "county") for i in reg)  # every one has a target
    # the grades decided per target (docs/indicators.md): what was read, and where
    assert ts.lookup("T-ZYG-PAV").grade == "verified"  # 安岳 plan l.109
    assert ts.lookup("T-DOC").grade == "derived"  # national plan, news reprints of its table
    assert ts.lookup("T-BED").grade == "unverified"  # from memory
    assert ts.lookup("T-TCMDOC-PRI").grade == "unverified"  # English news of the standard


def test_shipped_set_without_a_grade_is_an_error() -> None:
    import tomllib

    from tcmcounty.indicators._files import packaged_text
    from tcmcounty.indicators.targets import parse_targets

    data = tomllib.loads(packaged_text("targets_national_2025.toml"))
    del data["targets"]["T-SAT"]["grade"]
    with pytest.raises(InputError, match=r"targets\.T-SAT\.grade"):
        parse_targets(data, "targets_national_2025.toml", require_grade=True)


def test_user_targets_set_a_grade_or_are_unverified(tmp_path: Path) -> None:
    f = tmp_path / "sichuan.toml"
    f.write_text(
        '[targets.T-DOC]\nkind = "at_least"\nvalue = 3.0\ngrade = "verified"\n'
        'source = "四川省医疗卫生服务体系规划"\n'
        '[targets.T-ELDERLY-HM]\nkind = "at_least"\nvalue = 70\n',
        encoding="utf-8",
    )
    ts = load_targets(f)
    assert ts.lookup("T-DOC").grade == "verified"
    assert ts.lookup("T-ELDERLY-HM").grade == "unverified"  # not said: unverified
    assert ts.lookup("T-SAT").grade == "verified"  # the default's own
    c = tmp_path / "t.csv"
    c.write_text("id,kind,value,grade\nT-TCMVISIT,at_least,35,derived\nT-AWARE,at_least,80,\n")
    csv_ts = load_targets(c)
    assert (csv_ts.lookup("T-TCMVISIT").grade, csv_ts.lookup("T-AWARE").grade) == (
        "derived",
        "unverified",
    )


def test_an_unknown_grade_names_file_key_and_the_valid_ones(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('[targets.T-DOC]\nkind = "at_least"\nvalue = 3.0\ngrade = "official"\n')
    with pytest.raises(InputError) as exc:
        load_targets(f)
    msg = str(exc.value)
    assert "bad.toml" in msg and "targets.T-DOC.grade" in msg and "official" in msg
    assert "verified, derived, unverified" in msg
    c = tmp_path / "bad.csv"
    c.write_text("id,kind,value,grade\nT-DOC,at_least,3,sure\n")
    with pytest.raises(InputError, match=r"row 2.*grade"):
        load_targets(c)
    with pytest.raises(ValueError, match="verified, derived, unverified"):
        Target("T-DOC", "at_least", 3.0, grade="high")


# --------------------------------------------------------------------------------------------
# No target is shown without its grade

_LABELS = [x for v in GRADE_LABELS.values() for x in (v, *v.split(" ", 1))]
_GRADED = re.compile(r"\[(?:" + "|".join(re.escape(x) for x in _LABELS) + r")\]$")


class _Targets(html.parser.HTMLParser):
    """Collect the text of every ``tcm-target`` cell or span, and each table's headers and cells."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.tables: list[tuple[list[str], list[list[tuple[str, str]]]]] = []
        self._target_depth = 0
        self._buf: list[str] = []
        self._cell: list[str] | None = None
        self._cell_class = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell, self._cell_class = [], cls
        if "tcm-target" in cls.split():
            self._target_depth, self._buf = 1, []
        elif self._target_depth:
            self._target_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            text = "".join(self._cell).strip()
            if tag == "th":
                self.tables[-1][0].append(text)
            elif self.tables[-1][1]:
                self.tables[-1][1][-1].append((text, self._cell_class))
            self._cell = None
        if self._target_depth:
            self._target_depth -= 1
            if not self._target_depth:
                self.targets.append("".join(self._buf).strip())

    def handle_data(self, data: str) -> None:
        if self._target_depth:
            self._buf.append(data)
        if self._cell is not None:
            self._cell.append(data)


def assert_every_target_graded(page: str) -> int:
    """Every target shown carries its grade; a table with a target column marks it or grades it."""
    p = _Targets()
    p.feed(page)
    shown = [t for t in p.targets if t != "—"]
    bad = [t for t in shown if not _GRADED.search(t)]
    assert not bad, f"targets shown without their grade: {bad[:5]}"
    for headers, rows in p.tables:
        cols = [i for i, h in enumerate(headers) if re.search(r"目标|\btarget\b", h)]
        graded_col = any(re.search(r"证据等级|evidence grade", h) for h in headers)
        for i in cols:
            for r in rows:
                if i < len(r) and r[i][0] not in ("", "—"):
                    assert "tcm-target" in r[i][1].split() or graded_col, (headers[i], r[i])
    return len(shown)


@pytest.mark.parametrize("lang", ["zh", "zh-en"])
def test_no_target_is_shown_without_its_grade_in_the_report(
    standard, tmp_path_factory: pytest.TempPathFactory, lang: str
) -> None:
    from tcmcounty.reporting import views

    v = views.CountyView(views.check_parameters(str(standard.path), language=lang))
    page = "".join(
        s()
        for s in (
            v.headline,
            v.indicators,
            v.facilities,
            v.alliances,
            v.access,
            v.worklist,
            v.appendix,
        )
    )
    n_rows = len(load_registry())
    assert assert_every_target_graded(page) >= n_rows  # the indicator table alone has them all
    areas = re.findall(r"data-tcm-area='([a-z_]+)'", page)
    assert areas == [a for a in AREAS if a != "other"]  # one table per area, in order


def test_no_target_is_shown_without_its_grade_in_the_comparison(standard, tmp_path: Path) -> None:
    from tcmcounty.reporting.compare_view import CompareView
    from tcmcounty.reporting.views import check_parameters

    other = load_county(write_standard(tmp_path / "b"), warn=False)
    cv = CompareView([check_parameters(str(c.path)) for c in (standard, other)])
    assert assert_every_target_graded(cv.indicators()) == len(load_registry())


def test_cli_shows_the_grade_beside_every_target(
    standard, capsys: pytest.CaptureFixture[str]
) -> None:
    from tcmcounty.cli import main

    assert main(["indicators", str(standard.path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [ln for ln in lines if re.match(r"\s*T-[A-Z0-9-]+\s", ln)]
    assert len(rows) == len(load_registry())
    for ln in rows:
        assert re.search(r"已核实 verified|引自其他文件 derived|未核实 unverified", ln), ln
    assert main(["indicators", str(standard.path), "--format", "csv"]) == 0
    import io

    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert set(df["target_grade"]) <= set(EVIDENCE_GRADES) and df["target_grade"].notna().all()
    assert ADCODE in str(standard.adcode)


def test_docs_list_every_indicator_with_its_shipped_grade() -> None:
    """docs/indicators.md agrees with the shipped set: every indicator, its target's grade."""
    docs = (Path(__file__).parents[1] / "docs" / "indicators.md").read_text(encoding="utf-8")
    rows = {
        cells[0]: cells[3]
        for line in docs.splitlines()
        if line.startswith("| T-")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    ts = default_targets()
    for ind in load_registry():
        t = ts.lookup(ind.id, "county")
        assert rows.get(ind.id) == t.grade, (ind.id, rows.get(ind.id), t.grade)
    new = [i.id for i in load_registry()][16:]
    assert all(f"### {i} " in docs for i in new)  # a section per indicator added for issue 14
