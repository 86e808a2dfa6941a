"""Indicators of the two bundled counties, checked against numbers computed by hand from the files.

The expected values are worked out here from ``county.toml`` and the CSV tables with plain
Python (csv, tomllib, fractions), not with the engine's code.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tomllib
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

import tcmcounty
from tcmcounty.cli import main
from tcmcounty.indicators import compare, compute

ROOT = Path(__file__).resolve().parents[1]
ANYUE = ROOT / "data" / "counties" / "512021-anyue"
WENXI = ROOT / "data" / "counties" / "140823-wenxi"
BUNDLES = [pytest.param(ANYUE, 950939, id="anyue"), pytest.param(WENXI, 355269, id="wenxi")]
needs_bundles = pytest.mark.skipif(
    not (ANYUE / "county.toml").is_file() or not (WENXI / "county.toml").is_file(),
    reason="bundled counties data/counties/512021-anyue and 140823-wenxi not built yet",
)
VILLAGE_LEVEL = ("village_clinic", "community_health_station")
TOWN_LEVEL = ("township_health_centre", "community_health_centre")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def figure(meta: dict, key: str) -> tuple[float, str]:
    """County figure as the bundle gives it: official value, else its estimate."""
    entry = meta["resources"][key]
    fig = entry if "value" in entry else entry["estimate"]
    return fig["value"], fig["status"]


def by_id(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("id")


@needs_bundles
@pytest.mark.parametrize(("bundle", "census"), BUNDLES)
def test_per_capita_indicators_by_hand(bundle: Path, census: int) -> None:
    meta = tomllib.loads((bundle / "county.toml").read_text(encoding="utf-8"))
    pop = meta["population"]["resident"]["value"]
    assert pop == census  # 2020 census 常住人口 (real figure)
    df = by_id(compute(tcmcounty.load_county(bundle, warn=False)))
    for ind, key, per, low in (
        ("T-BED", "beds", 1000, "7.40"),
        ("T-DOC", "physicians", 1000, "3.20"),
        ("T-RN", "nurses", 1000, "3.80"),
        ("T-GP", "gps", 10000, "3.93"),
        ("T-TCMDOC-1000", "tcm_physicians", 1000, "0.62"),
    ):
        value, status = figure(meta, key)
        r = df.loc[ind]
        assert r["value"] == pytest.approx(value / pop * per), ind
        assert (r["numerator"], r["denominator"]) == (value, pop)
        expected_need = max(0, math.ceil(Fraction(low) * pop / per - Fraction(str(value))))
        assert r["need"] == expected_need, ind
        assert bool(r["met"]) == (Fraction(str(value)) * per / pop >= Fraction(low)), ind
        if "value" not in meta["resources"][key]:
            assert r["input_status"] == status == "estimated"
            assert "official figure not reported; estimate used" in r["note"]
    nurses, _ = figure(meta, "nurses")
    physicians, _ = figure(meta, "physicians")
    dnr = df.loc["T-DNR"]
    assert dnr["value"] == pytest.approx(nurses / physicians)
    assert dnr["need"] == max(0, math.ceil(Fraction("1.2") * int(physicians) - int(nurses)))
    tcm_gps, _ = figure(meta, "tcm_gps")
    gp = df.loc["T-TCMGP"]
    assert gp["value"] == pytest.approx(tcm_gps / pop * 10000)
    assert bool(gp["met"]) == (0.6 <= tcm_gps / pop * 10000 <= 0.8)


@needs_bundles
@pytest.mark.parametrize(("bundle", "census"), BUNDLES)
def test_facility_indicators_by_hand(bundle: Path, census: int) -> None:
    fac = read_csv(bundle / "facilities.csv")
    df = by_id(compute(tcmcounty.load_county(bundle, warn=False)))
    clinics = [f for f in fac if f["type"] in VILLAGE_LEVEL and f["has_tcm_pavilion"] != ""]
    pav = sum(f["has_tcm_pavilion"] == "true" for f in clinics)
    r = df.loc["T-ZYG-PAV"]
    assert (r["numerator"], r["denominator"]) == (pav, len(clinics))
    assert r["value"] == pytest.approx(100 * pav / len(clinics))
    assert r["need"] == max(0, -(-len(clinics) // 10) - pav)  # ceil(0.1 × n) − existing
    assert r["input_status"] == "synthetic"
    tcm = [f for f in fac if f["type"] in VILLAGE_LEVEL and f["provides_tcm"] != ""]
    n_tcm = sum(f["provides_tcm"] == "true" for f in tcm)
    assert (df.loc["T-VC-TCM", "value"], df.loc["T-VC-TCM", "need"]) == (
        pytest.approx(100 * n_tcm / len(tcm)),
        len(tcm) - n_tcm,
    )
    centres = [f for f in fac if f["type"] in TOWN_LEVEL and f["has_tcm_hall"] != ""]
    halls = sum(f["has_tcm_hall"] == "true" for f in centres)
    assert (df.loc["T-ZYG-HALL", "value"], df.loc["T-ZYG-HALL", "need"]) == (
        pytest.approx(100 * halls / len(centres)),
        len(centres) - halls,
    )


@needs_bundles
@pytest.mark.parametrize(("bundle", "census"), BUNDLES)
def test_alliance_coverage_by_hand(bundle: Path, census: int) -> None:
    fac = read_csv(bundle / "facilities.csv")
    villages = read_csv(bundle / "villages.csv")
    types = {f["id"]: f["type"] for f in fac}
    members: set[str] = set()
    for a in read_csv(bundle / "alliances.csv"):
        if types.get(a["lead_facility_id"]) == "county_tcm_hospital":
            members |= set(a["member_ids"].split(";")) | {a["lead_facility_id"]}
    own = {f["village_code"] for f in fac if f["type"] in VILLAGE_LEVEL and f["village_code"]}
    own_member = {
        f["village_code"] for f in fac if f["type"] in VILLAGE_LEVEL and f["id"] in members
    }
    town_member = {
        f["township_code"] for f in fac if f["type"] in TOWN_LEVEL and f["id"] in members
    }
    covered = [
        v
        for v in villages
        if v["code"] in own_member or (v["code"] not in own and v["township_code"] in town_member)
    ]
    num = sum(int(v["population"]) for v in covered)
    r = by_id(compute(tcmcounty.load_county(bundle, warn=False))).loc["T-YLT"]
    assert (r["numerator"], r["denominator"]) == (num, census)
    assert r["value"] == pytest.approx(100 * num / census)
    assert r["need"] == max(0, math.ceil(Fraction(3, 10) * census) - num)
    assert r["input_status"] == "synthetic"


@needs_bundles
def test_hospital_and_unreported_items() -> None:
    wenxi = by_id(compute(tcmcounty.load_county(WENXI, warn=False)))
    grade = tomllib.loads((WENXI / "county.toml").read_text(encoding="utf-8"))["tcm_hospital"][
        "grade"
    ]
    assert grade == "二级甲等"  # 闻政办发〔2023〕6号
    assert wenxi.loc["T-TCMHOSP", "value_text"] == grade and bool(wenxi.loc["T-TCMHOSP", "met"])
    assert wenxi.loc["T-TCMHOSP", "input_status"] == "official"
    anyue = by_id(compute(tcmcounty.load_county(ANYUE, warn=False)))
    assert pd.isna(anyue.loc["T-TCMHOSP", "value"]) and "grade" in anyue.loc["T-TCMHOSP", "reason"]
    for df in (anyue, wenxi):  # not in the bundles: not reported, never zero
        assert pd.isna(df.loc["T-SAT", "value"]) and pd.isna(df.loc["T-TCMSHARE", "value"])
        assert "not reported" in df.loc["T-TCMSHARE", "reason"]


@needs_bundles
def test_without_estimates_resource_indicators_are_not_reported() -> None:
    df = by_id(compute(tcmcounty.load_county(ANYUE, warn=False), allow_estimates=False))
    for ind in ("T-BED", "T-DOC", "T-RN", "T-PH", "T-GP", "T-TCMGP", "T-TCMDOC-1000", "T-DNR"):
        assert (
            pd.isna(df.loc[ind, "value"])
            and pd.isna(df.loc[ind, "met"])
            and pd.isna(df.loc[ind, "need"])
        )
        assert "not reported" in df.loc[ind, "reason"]
    assert df.loc["T-ZYG-PAV", "value"] > 0  # facility-based indicators are unaffected


@needs_bundles
def test_township_table_aggregates_to_county_shares() -> None:
    c = tcmcounty.load_county(WENXI, warn=False)
    county = by_id(compute(c))
    towns = compute(c, by="township")
    assert set(towns["area_code"]) == set(c.townships["code"])
    for ind in ("T-ZYG-PAV", "T-VC-TCM", "T-ZYG-HALL"):
        t = towns[towns["id"] == ind]
        assert t["numerator"].sum() == county.loc[ind, "numerator"]
        assert t["denominator"].sum() == county.loc[ind, "denominator"]


@needs_bundles
def test_compare_bundled_counties() -> None:
    wide = compare([ANYUE, WENXI])
    assert wide.attrs["counties"] == ["安岳县", "闻喜县"]
    assert {
        "安岳县 value",
        "安岳县 met",
        "闻喜县 value",
        "闻喜县 need",
        "闻喜县 input_status",
    } <= set(wide.columns)
    anyue = by_id(compute(tcmcounty.load_county(ANYUE, warn=False)))
    assert wide.set_index("id").loc["T-ZYG-PAV", "安岳县 value"] == pytest.approx(
        anyue.loc["T-ZYG-PAV", "value"]
    )


@needs_bundles
def test_cli_indicators_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["indicators", str(ANYUE), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    df = pd.read_csv(io.StringIO(out), dtype={"area_code": str})
    n = len(tcmcounty.indicators.load_registry())
    assert len(df) == n and df["id"].iloc[0] == "T-BED" and set(df["area_code"]) == {"512021"}
    expected = by_id(compute(tcmcounty.load_county(ANYUE, warn=False)))
    got = df.set_index("id")
    assert got.loc["T-ZYG-PAV", "need"] == expected.loc["T-ZYG-PAV", "need"]
    assert got.loc["T-BED", "target_set"] == "national-2025"


@needs_bundles
def test_cli_indicators_table_marks_unmet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["indicators", str(WENXI)]) == 0
    out = capsys.readouterr().out
    assert "闻喜县 Wenxi County" in out and "national-2025" in out
    assert "每千常住人口执业（助理）医师数" in out and "Licensed (assistant) physicians" in out
    assert "✗ 未达标" in out and "estimate used" in out
    assert main(["indicators", str(WENXI), "--by", "township"]) == 0
    town = capsys.readouterr().out
    assert "桐城镇" in town and "✗" in town


@needs_bundles
def test_cli_other_formats_and_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["indicators", str(ANYUE), "--format", "json", "--no-estimates"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0]["id"] == "T-BED" and records[0]["value"] is None and records[0]["met"] is None
    out = tmp_path / "anyue.xlsx"
    assert main(["indicators", str(ANYUE), "--format", "xlsx", "-o", str(out)]) == 0
    assert pd.read_excel(out)["id"].tolist()[:2] == ["T-BED", "T-DOC"]
    assert main(["indicators", str(ANYUE), "--population", "registered", "--format", "csv"]) == 0
    reg = pd.read_csv(io.StringIO(capsys.readouterr().out))
    # "English / 中文": the English side in English words, for English reports
    assert reg.set_index("id").loc["T-BED", "reason"] == (
        "registered population not reported / 人口未报告"
    )
    assert main(["compare", str(ANYUE), str(WENXI), "--format", "csv"]) == 0
    wide = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert "安岳县 met" in wide.columns and len(wide) == len(tcmcounty.indicators.load_registry())
    assert main(["compare", str(ANYUE), str(WENXI)]) == 0
    assert "闻喜县" in capsys.readouterr().out


@needs_bundles
def test_cli_targets_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "sichuan.toml"
    good.write_text(
        '[target_set]\nid = "sichuan"\n[targets.T-BED]\nkind = "at_least"\nvalue = 7.0\n',
        encoding="utf-8",
    )
    assert main(["indicators", str(ANYUE), "--targets", str(good), "--format", "csv"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("id")
    assert df.loc["T-BED", "target_set"] == "sichuan" and df.loc["T-BED", "target_low"] == 7.0
    bad = tmp_path / "bad.toml"
    bad.write_text('[targets.T-BED]\nkind = "at_least"\nvalue = "seven"\n', encoding="utf-8")
    assert main(["indicators", str(ANYUE), "--targets", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "targets.T-BED.value" in err and "expected a number" in err
