"""``tcmcounty coverage`` on the tiny bundle: formats, options, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from tcmcounty.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_coverage_by_village_csv(tiny_bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "coverage", str(tiny_bundle), "--format", "csv", "--thresholds", "1,2.5"
    )
    assert code == 0
    df = pd.read_csv(io.StringIO(out), dtype={"code": str, "township_code": str})
    assert df["code"].tolist() == ["410101001001", "410101001201", "410101100201", "410101100202"]
    for level in ("pavilion", "tcm_clinic", "hall", "tcm_hospital"):
        assert f"{level}_km" in df and f"{level}_id" in df
    assert df["pavilion_id"].tolist() == ["F5"] * 4
    assert df["covered_pavilion_1km"].tolist() == [False, True, False, False]
    assert df["covered_pavilion_2.5km"].tolist() == [True, True, False, False]


def test_coverage_by_township_and_county(
    tiny_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "coverage",
        str(tiny_bundle),
        "--by",
        "township",
        "--format",
        "json",
        "--thresholds",
        "2.5",
        "--level",
        "pavilion",
    )
    assert code == 0
    rows = json.loads(out)
    assert [r["township_code"] for r in rows] == ["410101001", "410101100"]
    assert [r["pop_covered_2.5km"] for r in rows] == [6000, 0]
    code, out, _ = run(
        capsys,
        "coverage",
        str(tiny_bundle),
        "--by",
        "county",
        "--format",
        "json",
        "--thresholds",
        "walk15",
        "--level",
        "hall",
        "--detour",
        "1.2",
    )
    assert code == 0
    row = json.loads(out)[0]
    assert row["pop_total"] == 10_000 and "covered_share_walk15" in row
    code, out, _ = run(capsys, "coverage", str(tiny_bundle), "--by", "county")
    assert code == 0 and "测试县" in out and "covered_share_10km" in out


def test_coverage_uncovered_and_alliance(
    tiny_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "coverage", str(tiny_bundle), "--uncovered", "--thresholds", "1", "--format", "csv"
    )
    assert code == 0
    df = pd.read_csv(io.StringIO(out), dtype={"code": str})
    assert df["code"].tolist() == ["410101001001", "410101100201", "410101100202"]
    assert df["population"].sum() == 7500
    code, out, _ = run(capsys, "coverage", str(tiny_bundle), "--by", "alliance", "--format", "json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert code == 0 and rows["tcm_led"]["covered_share"] == pytest.approx(0.6)
    assert rows["tcm_led"]["meets_target"] is True and rows["any"]["meets_target"] is None


def test_coverage_travel_times_and_xlsx(
    tiny_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tt = tmp_path / "tt.csv"
    tt.write_text(
        "demand_id,supply_id,minutes\n410101001001,F5,12\n410101001201,F5,0\n", encoding="utf-8"
    )
    code, out, _ = run(
        capsys, "coverage", str(tiny_bundle), "--travel-times", str(tt), "--format", "csv"
    )
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    assert "pavilion_min" in df and df["covered_pavilion_15min"].tolist() == [
        True,
        True,
        False,
        False,
    ]
    xlsx = tmp_path / "cov.xlsx"
    code, _, _ = run(
        capsys,
        "coverage",
        str(tiny_bundle),
        "--by",
        "township",
        "--format",
        "xlsx",
        "-o",
        str(xlsx),
    )
    assert code == 0 and len(pd.read_excel(xlsx)) == 2


def test_coverage_errors_exit_2(
    tiny_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "coverage", str(tiny_bundle), "--thresholds", "2 furlongs")
    assert code == 2 and "cannot read threshold" in err
    code, _, err = run(capsys, "coverage", str(tiny_bundle), "--thresholds", "30min")
    assert code == 2 and "travel-time table" in err
    code, _, err = run(capsys, "coverage", str(tmp_path / "nowhere"))
    assert code == 2 and "no county bundle" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("supply_id,demand_id,minutes\n410101001001,F5,12\n", encoding="utf-8")
    code, _, err = run(capsys, "coverage", str(tiny_bundle), "--travel-times", str(bad))
    assert code == 2 and "oriented demand" in err
