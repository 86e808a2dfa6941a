"""``tcmcounty access`` on the tiny bundle: formats, options, exit codes."""

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


def test_access_cli(tiny_bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "access", str(tiny_bundle), "--format", "csv", "--radius", "5km")
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    assert len(df) == 4 and (df["access_per_1000"] >= 0).all()
    # every supplied physician is reached: population-weighted mean = 11 physicians / 10,000 residents
    assert (df["access_per_1000"] * df["population"]).sum() / 1000 == pytest.approx(11.0)
    code, out, _ = run(
        capsys,
        "access",
        str(tiny_bundle),
        "--method",
        "e2sfca",
        "--decay",
        "gaussian",
        "--capacity",
        "beds",
        "--radius",
        "20000m",
        "--by",
        "county",
        "--format",
        "json",
        "--below",
        "1",
    )
    assert code == 0
    row = json.loads(out)[0]
    assert row["decay"] == "gaussian" and row["capacity"] == "beds" and "share_below" in row
    code, out, _ = run(capsys, "access", str(tiny_bundle), "--by", "township", "--level", "hall")
    assert code == 0 and "城关街道" in out


def test_access_cli_errors(tiny_bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "access", str(tiny_bundle), "--decay", "gaussian")
    assert code == 2 and "e2sfca" in err
    code, _, err = run(capsys, "access", str(tiny_bundle), "--capacity", "doctors")
    assert code == 2 and "numeric columns" in err
    code, _, err = run(capsys, "access", str(tiny_bundle), "--radius", "30min")
    assert code == 2 and "travel-time table" in err
    code, _, err = run(capsys, "access", str(tiny_bundle), "--format", "xlsx")
    assert code == 2 and "--output" in err
