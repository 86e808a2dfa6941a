"""Indicator engine on small hand-made bundles: values, need, NA rules, population switch, levels."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pandas as pd
import pytest
from test_indicators_bundle import T1, T2, base_tables, make_county

import tcmcounty
from tcmcounty.errors import InputError
from tcmcounty.indicators import COLUMNS, Registry, compare, compute, load_registry

ROOT_REGISTRY = Path(tcmcounty.__file__).parent / "data" / "indicators" / "registry.toml"


def row(df: pd.DataFrame, ind: str, area: str | None = None) -> pd.Series:
    sel = df[df["id"] == ind]
    if area is not None:
        sel = sel[sel["area_code"] == area]
    assert len(sel) == 1, (ind, area, len(sel))
    return sel.iloc[0]


@pytest.fixture
def county(tmp_path: Path):
    return make_county(tmp_path / "c")


def test_table_shape_and_columns(county) -> None:
    df = compute(county)
    assert tuple(df.columns) == COLUMNS
    assert df["id"].is_unique and len(df) == len(load_registry())
    assert df["met"].dtype == "boolean" and df["need"].dtype == "Int64"
    assert set(df["level"]) == {"county"} and set(df["area_code"]) == {"510199"}
    assert df.attrs["target_set"] == "national-2025"


def test_per_capita_values_and_need_by_hand(county) -> None:
    df = compute(county)
    bed = row(df, "T-BED")  # 60 beds / 10,000 residents
    assert bed["value"] == pytest.approx(6.0)
    assert bed["met"] is False or bed["met"] == False  # noqa: E712
    assert bed["need"] == 74 - 60  # 7.40 × 10 = 74 beds
    assert bed["numerator"] == 60 and bed["denominator"] == 10000
    assert bed["denominator_year"] == 2020 and bed["input_status"] == "official"
    assert "常住人口" in bed["denominator_definition"]
    assert bed["gap"] == pytest.approx(6.0 - 7.4)
    doc = row(df, "T-DOC")
    assert (doc["value"], doc["need"]) == (pytest.approx(3.0), 2)  # 3.20 × 10 = 32 physicians
    rn = row(df, "T-RN")
    assert (rn["value"], rn["need"]) == (pytest.approx(3.3), 5)  # 38 − 33
    gp = row(df, "T-GP")
    assert bool(gp["met"]) and gp["need"] == 0 and gp["gap"] > 0
    dnr = row(df, "T-DNR")  # 33 nurses / 30 physicians = 1.1; 1.2 × 30 = 36
    assert dnr["value"] == pytest.approx(1.1) and dnr["need"] == 3 and dnr["value_text"] == "1:1.10"
    assert dnr["need_unit"].startswith("名注册护士")


def test_range_target_above_the_high_end_is_met(county) -> None:
    """1 TCM GP per 10,000 residents is above 0.6–0.8: the standard asks to *reach* it, so met."""
    r = row(compute(county), "T-TCMGP")
    assert r["value"] == pytest.approx(1.0)
    assert bool(r["met"]) and r["need"] == 0 and r["excess"] == 0
    assert r["gap"] == pytest.approx(1.0 - 0.6)
    assert (r["target_low"], r["target_high"]) == (0.6, 0.8)
    assert "above the range 0.6–0.8: met" in r["note"]


def test_range_marked_as_band_punishes_excess_and_says_why(county) -> None:
    """Only an indicator the registry marks as a band is not met above the top (and says why)."""
    reg = load_registry()
    why = "more than 0.8 would take GPs from neighbouring counties"
    banded = Registry(
        tuple(
            dataclasses.replace(i, band_reason=why) if i.id == "T-TCMGP" else i
            for i in reg.indicators
        )
    )
    r = row(compute(county, registry=banded), "T-TCMGP")
    assert not r["met"] and pd.isna(r["need"]) and r["excess"] == 1
    assert r["gap"] == pytest.approx(0.8 - 1.0)
    assert why in r["note"] and "band" in r["note"]


def test_registry_band_reason_must_be_text(tmp_path: Path) -> None:
    text = (ROOT_REGISTRY.read_text(encoding="utf-8")).replace(
        'id = "T-TCMGP"\n', 'id = "T-TCMGP"\nrange_band_reason = ""\n'
    )
    f = tmp_path / "registry.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="range_band_reason"):
        load_registry(f)


def test_range_target_below_the_low_end(tmp_path: Path) -> None:
    """0 TCM GPs among 40,000 residents: 0.6 per 10,000 needs 3 TCM GPs (2.4 rounded up)."""
    t = base_tables()
    t["meta"]["resident"]["value"] = 40000  # type: ignore[index]
    t["meta"]["resources"]["tcm_gps"]["value"] = 0  # type: ignore[index]
    r = row(compute(make_county(tmp_path / "c", t)), "T-TCMGP")
    assert r["value"] == 0 and not r["met"] and r["need"] == 3 and r["excess"] == 0


def test_facility_shares_by_hand(county) -> None:
    df = compute(county)
    hall = row(df, "T-ZYG-HALL")  # F2 yes, F3 no
    assert (hall["numerator"], hall["denominator"], hall["value"], hall["need"]) == (1, 2, 50.0, 1)
    vc = row(df, "T-VC-TCM")  # F4, F5, F7 yes; F6 no
    assert (vc["numerator"], vc["denominator"], vc["value"], vc["need"]) == (3, 4, 75.0, 1)
    pav = row(df, "T-ZYG-PAV")  # F5 only: 1 of 4
    assert (pav["value"], bool(pav["met"]), pav["need"]) == (25.0, True, 0)
    assert pav["need_unit"] == "个中医阁 / TCM pavilions"
    assert pav["input_status"] == "official" and pav["target_source"].startswith(
        "《全国基层中医药工作示范市"
    )


def test_pavilion_need_is_ceil_of_ten_percent_minus_existing(tmp_path: Path) -> None:
    """31 clinics, 1 中医阁: ceil(3.1) − 1 = 3 more; with 4 the share is 12.9 % and met."""
    t = base_tables()
    clinics = [
        {
            "id": f"V{i}",
            "name": f"第{i}村卫生室",
            "type": "village_clinic",
            "township_code": T2,
            "has_tcm_pavilion": "是" if i == 0 else "否",
            "provides_tcm": "是",
        }
        for i in range(31)
    ]
    t["facilities"] = [
        f for f in t["facilities"] if f["type"] != "village_clinic" and f["id"] != "F4"
    ]  # type: ignore[attr-defined]
    t["facilities"] += clinics  # type: ignore[operator]
    t["alliances"] = []
    r = row(compute(make_county(tmp_path / "a", t)), "T-ZYG-PAV")
    assert (r["numerator"], r["denominator"], r["need"]) == (1, 31, math.ceil(0.1 * 31) - 1)
    for c in clinics[1:4]:
        c["has_tcm_pavilion"] = "是"
    r2 = row(compute(make_county(tmp_path / "b", t)), "T-ZYG-PAV")
    assert bool(r2["met"]) and r2["need"] == 0 and r2["value"] == pytest.approx(400 / 31)


def test_alliance_coverage_rule(tmp_path: Path) -> None:
    """Village covered if its clinic is a member; a village without a clinic through its centre."""
    alliances = [
        {
            "id": "A1",
            "name": "中医医院医共体",
            "kind": "county_medical_community",
            "lead_facility_id": "F1",
            "member_ids": "F1;F3;F5",
            "status": "official",
            "source": "s1",
        },
        {
            "id": "A2",
            "name": "人民医院医共体",
            "kind": "county_medical_community",
            "lead_facility_id": "F8",
            "member_ids": "F8;F4;F6;F7",
            "status": "official",
            "source": "s1",
        },
    ]
    df = compute(make_county(tmp_path / "c", alliances=alliances))
    r = row(df, "T-YLT")
    # 南村 (F5 member) 2,500 + 西村 (no clinic; 东山镇卫生院 F3 member) 1,000. 东村 has its own
    # non-member clinics, so F3's membership does not cover it; A2 is not led by the TCM hospital.
    assert (
        r["numerator"] == 3500 and r["denominator"] == 10000 and r["value"] == pytest.approx(35.0)
    )
    assert bool(r["met"]) and "2 villages covered" in r["note"]


def test_alliance_default_and_township_rows(county) -> None:
    df = compute(county, by="township")
    assert row(compute(county), "T-YLT")["value"] == pytest.approx(
        60.0
    )  # 北社区 3,500 + 南村 2,500
    assert row(df, "T-YLT", T1)["value"] == pytest.approx(100.0)
    t2 = row(df, "T-YLT", T2)
    assert (
        t2["value"] == 0
        and t2["need"] == 1200
        and t2["need_unit"] == "名覆盖居民 / residents covered"
    )


def test_no_alliance_reported_is_na_not_zero(tmp_path: Path) -> None:
    r = row(compute(make_county(tmp_path / "c", alliances=[])), "T-YLT")
    assert pd.isna(r["value"]) and pd.isna(r["met"]) and pd.isna(r["need"])
    assert "no medical alliance reported" in r["reason"]


def test_township_rows_sum_facilities_over_township_population(county) -> None:
    df = compute(county, by="township")
    assert set(df["level"]) == {"township"}
    assert set(df["id"]) == {
        "T-BED",
        "T-DOC",
        "T-RN",
        "T-TCMDOC-1000",
        "T-DNR",
        "T-ZYG-HALL",
        "T-VC-TCM",
        "T-ZYG-PAV",
        "T-YLT",
        # issue 14: facility-based items, also per township
        "T-TCMDOC-PRI",
        "T-TCMDOC-PRI-FAC",
        "T-TECH-THC",
        "T-TECH-VC",
        "T-TCMVISIT",
        "T-HERBAL-RX",
        "T-NONDRUG",
    }
    # 城关街道: F2 (4 physicians) + F4 (1) + F5 (1) over 6,000; the county hospitals are left out
    d1 = row(df, "T-DOC", T1)
    assert (d1["numerator"], d1["denominator"], d1["value"]) == (6, 6000, pytest.approx(1.0))
    assert pd.isna(d1["met"]) and "no target" in d1["note"]
    d2 = row(df, "T-DOC", T2)  # F3 5 + F6 1 + F7 1 over 4,000
    assert d2["value"] == pytest.approx(7 / 4)
    assert row(df, "T-BED", T2)["value"] == pytest.approx(15 / 4)
    # 医护比 at township level: 乡镇卫生院/社区卫生服务中心 only, target 1:1.0
    dnr2 = row(df, "T-DNR", T2)
    assert (dnr2["numerator"], dnr2["denominator"], dnr2["target"]) == (
        6,
        5,
        "1:1.0（乡镇卫生院） / 1:1.0 (township health centres)",
    )
    assert bool(dnr2["met"])
    p2 = row(df, "T-ZYG-PAV", T2)  # F6, F7 without 中医阁
    assert (p2["value"], p2["need"]) == (0.0, 1)


def test_aggregate_then_divide_differs_from_mean_of_ratios(tmp_path: Path) -> None:
    """1 of 2 clinics in 城关 (50 %), 0 of 18 in 东山 (0 %): county 1/20 = 5 %, not 25 %."""
    t = base_tables()
    keep = [
        f
        for f in t["facilities"]
        if f["type"] not in ("village_clinic", "community_health_station")
    ]  # type: ignore[attr-defined]
    clinics = [
        {
            "id": "C1",
            "name": "南村卫生室",
            "type": "village_clinic",
            "township_code": T1,
            "village_code": f"{T1}201",
            "physicians": 1,
            "has_tcm_pavilion": "是",
            "provides_tcm": "是",
        },
        {
            "id": "C2",
            "name": "北社区卫生服务站",
            "type": "community_health_station",
            "township_code": T1,
            "village_code": f"{T1}001",
            "physicians": 1,
            "has_tcm_pavilion": "否",
            "provides_tcm": "是",
        },
    ]
    clinics += [
        {
            "id": f"D{i}",
            "name": f"东山第{i}卫生室",
            "type": "village_clinic",
            "township_code": T2,
            "physicians": 2,
            "has_tcm_pavilion": "否",
            "provides_tcm": "是",
        }
        for i in range(18)
    ]
    t["facilities"] = keep + clinics
    t["alliances"] = []
    # the county total counts at least the 59 physicians the roster lists (validation refuses less)
    t["meta"]["resources"]["physicians"]["value"] = 60  # type: ignore[index]
    c = make_county(tmp_path / "c", t)
    county_row = row(compute(c), "T-ZYG-PAV")
    towns = compute(c, by="township")
    pav = towns[towns["id"] == "T-ZYG-PAV"]
    assert list(pav["value"]) == [50.0, 0.0]
    assert county_row["value"] == pytest.approx(5.0)
    assert county_row["value"] == pytest.approx(
        100 * pav["numerator"].sum() / pav["denominator"].sum()
    )
    assert county_row["value"] != pytest.approx(pav["value"].mean())
    assert not county_row["met"] and county_row["need"] == 1  # ceil(2.0) − 1
    # staff: 城关 (4 + 1 + 1) / 6,000 = 1.0 ‰; 东山 (5 + 36) / 4,000 = 10.25 ‰
    doc = towns[towns["id"] == "T-DOC"]
    assert list(doc["value"]) == [pytest.approx(1.0), pytest.approx(10.25)]
    pooled = 1000 * doc["numerator"].sum() / doc["denominator"].sum()
    assert pooled == pytest.approx(4.7) and pooled != pytest.approx(doc["value"].mean())


def test_zero_and_missing_denominators(tmp_path: Path) -> None:
    t = base_tables()
    t["townships"][1]["population"] = 0  # type: ignore[index]
    t["meta"]["resources"]["physicians"]["value"] = 0  # type: ignore[index]
    for key in ("gps", "tcm_gps"):  # parts of the physicians: 0 too, or validation refuses them
        t["meta"]["resources"][key]["value"] = 0  # type: ignore[index]
    t["facilities"] = [
        {**f, "physicians": 0, "tcm_physicians": 0}  # no roster row may list more than the county
        for f in t["facilities"]  # type: ignore[attr-defined]
        if f["township_code"] != T2 or f["type"] != "village_clinic"
    ]
    c = make_county(tmp_path / "c", t)
    df = compute(c)
    dnr = row(df, "T-DNR")  # 33 nurses / 0 physicians
    assert pd.isna(dnr["value"]) and pd.isna(dnr["met"]) and pd.isna(dnr["need"])
    assert "denominator is zero" in dnr["reason"]
    towns = compute(c, by="township")
    d2 = row(towns, "T-DOC", T2)
    assert pd.isna(d2["value"]) and "denominator is zero" in d2["reason"]
    p2 = row(towns, "T-ZYG-PAV", T2)  # no clinic or station in 东山镇
    assert p2["denominator"] == 0 and pd.isna(p2["value"]) and "denominator is zero" in p2["reason"]
    values = towns["value"].dropna().to_numpy(dtype=float)
    assert not any(math.isinf(v) for v in values)
    # the other township keeps a value (0 physicians over 6,000 residents), not NA
    assert row(towns, "T-DOC", T1)["value"] == pytest.approx(0.0)


def test_missing_population_is_not_reported(tmp_path: Path) -> None:
    t = base_tables()
    t["meta"]["resident"] = None  # type: ignore[index]
    t["townships"][0]["population"] = None  # type: ignore[index]
    c = make_county(tmp_path / "c", t)
    df = compute(c)
    for ind in ("T-BED", "T-DOC", "T-RN", "T-GP", "T-TCMGP"):
        r = row(df, ind)
        assert (
            pd.isna(r["value"])
            and pd.isna(r["need"])
            and "resident population not reported" in r["reason"]
        )
    assert row(df, "T-ZYG-PAV")["value"] == 25.0  # facility shares need no population
    t1 = row(compute(c, by="township"), "T-DOC", T1)
    assert pd.isna(t1["value"]) and "township population not reported" in t1["reason"]


def test_missing_figure_is_na_not_zero(county) -> None:
    df = compute(county)
    # tcm_physicians is not given either, but the roster gives it (tests/test_roster_totals.py)
    for ind, key in (("T-PH", "public_health_staff"), ("T-TCMSHARE", "tcm_staff")):
        r = row(df, ind)
        assert pd.isna(r["value"]) and pd.isna(r["numerator"]) and key in r["reason"]
        assert r["value_text"] == "—"
    assert "satisfaction survey not reported" in row(df, "T-SAT")["reason"]
    assert "county TCM hospital not reported" in row(df, "T-TCMHOSP")["reason"]


def test_registered_population_switch(tmp_path: Path) -> None:
    reg = {"value": 12000, "year": 2021, "source": "s1", "status": "official"}
    c = make_county(tmp_path / "c", registered=reg)
    resident, registered = compute(c), compute(c, population="registered")
    assert row(resident, "T-BED")["value"] == pytest.approx(6.0)
    r = row(registered, "T-BED")
    assert (
        r["value"] == pytest.approx(5.0)
        and r["denominator"] == 12000
        and r["denominator_year"] == 2021
    )
    assert r["need"] == 29  # 7.40 × 12 = 88.8 → 89 beds
    assert (
        "户籍人口" in r["denominator_definition"] and registered.attrs["population"] == "registered"
    )
    assert row(registered, "T-ZYG-PAV")["value"] == row(resident, "T-ZYG-PAV")["value"]
    t = row(compute(c, population="registered", by="township"), "T-DOC", T1)
    assert pd.isna(t["value"]) and "not available for townships" in t["reason"]


def test_registered_population_not_reported(county) -> None:
    r = row(compute(county, population="registered"), "T-DOC")
    assert pd.isna(r["value"]) and "registered population not reported" in r["reason"]


def test_estimate_used_and_switched_off(tmp_path: Path) -> None:
    t = base_tables()
    t["meta"]["resources"]["beds"] = {  # type: ignore[index]
        "note": "not published",
        "estimate": {
            "value": 72,
            "year": 2020,
            "source": "s2",
            "status": "estimated",
            "method": "7.23 × 10,000 / 1,000",
        },
    }
    c = make_county(tmp_path / "c", t)
    r = row(compute(c), "T-BED")
    assert r["value"] == pytest.approx(7.2) and r["input_status"] == "estimated"
    assert "official figure not reported; estimate used" in r["note"] and r["need"] == 2
    off = compute(c, allow_estimates=False)
    r2 = row(off, "T-BED")
    assert (
        pd.isna(r2["value"])
        and pd.isna(r2["met"])
        and pd.isna(r2["need"])
        and "not reported" in r2["reason"]
    )
    assert row(off, "T-DOC")["value"] == pytest.approx(3.0)  # official figures are still used


def test_status_is_weakest_of_inputs(tmp_path: Path) -> None:
    t = base_tables()
    t["facilities"][4]["status"] = "synthetic"  # type: ignore[index]  # F5 南村卫生室 in 城关街道
    t["townships"][1]["population_status"] = "estimated"  # type: ignore[index]  # 东山镇
    c = make_county(tmp_path / "c", t)
    assert row(compute(c), "T-ZYG-PAV")["input_status"] == "synthetic"
    assert row(compute(c), "T-ZYG-HALL")["input_status"] == "official"
    towns = compute(c, by="township")
    assert (
        row(towns, "T-DOC", T1)["input_status"] == "synthetic"
    )  # F5 synthetic, population official
    assert (
        row(towns, "T-DOC", T2)["input_status"] == "estimated"
    )  # facilities official, population estimated
    assert row(towns, "T-DNR", T2)["input_status"] == "official"  # 医护比 uses no population


def test_unreported_flags_are_left_out_of_both_terms(tmp_path: Path) -> None:
    t = base_tables()
    t["facilities"][5]["has_tcm_pavilion"] = None  # type: ignore[index]  # F6
    r = row(compute(make_county(tmp_path / "c", t)), "T-ZYG-PAV")
    assert (r["numerator"], r["denominator"]) == (1, 3)
    assert "1 of 4 facilities" in r["note"] and "has_tcm_pavilion" in r["note"]


def test_blank_staff_count_makes_township_sum_na(tmp_path: Path) -> None:
    t = base_tables()
    t["facilities"][6]["physicians"] = None  # type: ignore[index]  # F7 in 东山镇
    towns = compute(make_county(tmp_path / "c", t), by="township")
    r = row(towns, "T-DOC", T2)
    assert pd.isna(r["value"]) and "physicians not reported for 1 of 3 facilities" in r["reason"]
    assert row(towns, "T-DOC", T1)["value"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("grade", "met"),
    [
        ("二级甲等", True),
        ("二甲", True),
        ("三级乙等", True),
        ("二级乙等", False),
        ("一级甲等", False),
    ],
)
def test_tcm_hospital_grade(tmp_path: Path, grade: str, met: bool) -> None:
    h = {"grade": grade, "departments": ["治未病科"], "status": "official", "source": "s1"}
    r = row(compute(make_county(tmp_path / "c", tcm_hospital=h)), "T-TCMHOSP")
    assert bool(r["met"]) is met and r["value_text"] == grade
    assert (r["need"] == 0) if met else pd.isna(r["need"])


def test_tcm_hospital_departments(tmp_path: Path) -> None:
    h = {
        "grade": "二级甲等",
        "departments": ["治未病中心", "康复医学科", "针灸科"],
        "status": "official",
        "source": "s1",
    }
    r = row(compute(make_county(tmp_path / "c", tcm_hospital=h)), "T-TCMHOSP-DEPT")
    assert (r["numerator"], r["denominator"]) == (2, 3) and r["value"] == pytest.approx(200 / 3)
    assert not r["met"] and r["need"] == 1 and "感染性疾病科" in r["note"]


def test_satisfaction_survey(tmp_path: Path) -> None:
    s = {"respondents": 400, "satisfied": 350, "year": 2023, "source": "s1", "status": "official"}
    r = row(compute(make_county(tmp_path / "c", survey=s)), "T-SAT")
    assert (
        r["value"] == pytest.approx(87.5) and r["need"] == 360 - 350 and r["numerator_year"] == 2023
    )
    # A survey of nobody is refused at input (leave the survey out instead) ...
    s0 = {**s, "respondents": 0, "satisfied": 0}
    with pytest.raises(InputError, match="respondents"):
        make_county(tmp_path / "d", survey=s0)
    # ... and the engine still gives no value, never a division by zero, if one gets through.
    county = make_county(tmp_path / "e", survey=s)
    county.survey.update(respondents=0, satisfied=0)
    r0 = row(compute(county), "T-SAT")
    assert pd.isna(r0["value"]) and "denominator is zero" in r0["reason"]


def test_argument_errors_name_the_argument(county) -> None:
    with pytest.raises(TypeError, match="county"):
        compute(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="population"):
        compute(county, population="household")
    with pytest.raises(ValueError, match="by"):
        compute(county, by="village")
    with pytest.raises(TypeError, match="allow_estimates"):
        compute(county, allow_estimates="no")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="T-NOPE"):
        compute(county, indicators=["T-NOPE"])


def test_indicator_selection_keeps_registry_order(county) -> None:
    df = compute(county, indicators=["T-ZYG-PAV", "T-BED"])
    assert list(df["id"]) == ["T-BED", "T-ZYG-PAV"]


def test_compare_wide_table(tmp_path: Path) -> None:
    a = make_county(tmp_path / "a")
    t = base_tables()
    t["meta"]["resources"]["beds"]["value"] = 80  # type: ignore[index]
    b = make_county(tmp_path / "b", t)
    wide = compare([a, b])
    assert len(wide) == len(load_registry())
    labels = wide.attrs["counties"]
    assert labels == ["测试县 510199", "测试县 510199 (2)"]  # same name and code: still two columns
    bed = wide.set_index("id").loc["T-BED"]
    assert bed[f"{labels[0]} value"] == pytest.approx(6.0) and bed[
        f"{labels[1]} value"
    ] == pytest.approx(8.0)
    assert not bed[f"{labels[0]} met"] and bool(bed[f"{labels[1]} met"])
    assert bed[f"{labels[0]} need"] == 14 and bed[f"{labels[1]} need"] == 0
    with pytest.raises(TypeError, match="counties"):
        compare(a)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        compare([])


def test_tcm_hospital_grade_needs_the_hospital_among_the_facilities(tmp_path: Path) -> None:
    """[tcm_hospital] grade without a county TCM hospital in facilities.csv: no verdict."""
    h = {"grade": "二级甲等", "departments": ["治未病科"], "status": "official", "source": "s1"}
    t = base_tables()
    t["meta"]["tcm_hospital"] = h  # type: ignore[index]
    for f in t["facilities"]:  # type: ignore[union-attr]
        if f["type"] == "county_tcm_hospital":
            f["type"] = "county_general_hospital"
    df = compute(make_county(tmp_path / "c", t))
    for ind in ("T-TCMHOSP", "T-TCMHOSP-DEPT"):
        r = row(df, ind)
        assert pd.isna(r["value"]) and pd.isna(r["met"]), ind
        assert "no county TCM hospital" in r["reason"] and "机构名单中无县级中医医院" in r["reason"]


def test_tcm_hospital_without_the_facility_is_a_validation_warning(tmp_path: Path) -> None:
    from test_indicators_bundle import write_bundle

    from tcmcounty.inputs.load import validate

    t = base_tables()
    t["meta"]["tcm_hospital"] = {"grade": "二级甲等", "status": "official", "source": "s1"}  # type: ignore[index]
    for f in t["facilities"]:  # type: ignore[union-attr]
        if f["type"] == "county_tcm_hospital":
            f["type"] = "county_general_hospital"
    found = [
        p for p in validate(write_bundle(tmp_path / "c", t)).problems if p.column == "tcm_hospital"
    ]
    assert len(found) == 1 and found[0].severity == "warning"
    assert "county_tcm_hospital" in found[0].message_en and "县级中医医院" in found[0].message_zh


def test_kept_assessments_keep_a_float_and_its_fraction_apart() -> None:
    """0.1 is read as 1/10, the Fraction of its binary value is not: the memo keeps both."""
    from fractions import Fraction

    from tcmcounty.indicators import Target, assess
    from tcmcounty.indicators import engine as E

    t = Target("T-X", "at_least", low=10.0)
    binary = Fraction(0.1)
    for first, second in ((0.1, binary), (binary, 0.1)):
        E._assess.cache_clear()
        assert E._assess(first, 1, 100, t) == assess(first, 1, 100, t)
        assert E._assess(second, 1, 100, t) == assess(second, 1, 100, t)
    assert assess(0.1, 1, 100, t).gap == 0.0 and assess(binary, 1, 100, t).gap > 0
    with pytest.raises(ValueError, match=">= 0"):
        E._assess(-1, 1, 100, t)  # errors are raised every time, never kept
    with pytest.raises(ValueError, match=">= 0"):
        E._assess(-1, 1, 100, t)
