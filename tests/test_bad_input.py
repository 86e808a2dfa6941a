"""The bad-input corpus (``tests/fixtures/bad/``): every case gives the expected exit code and a
located, bilingual message, prints no traceback, writes nothing and leaves the input untouched.

Regenerate the corpus with ``python tests/fixtures/bad/make_corpus.py``.
"""

from __future__ import annotations

import hashlib
import shutil
import tomllib
from pathlib import Path

import pytest
from conftest import TINY_FILES, write_bundle

from tcmcounty.cli import main

CORPUS = Path(__file__).parent / "fixtures" / "bad"
#: Round-3 cases (``r3-*``, verdicts and consistency) have their own harness: tests/test_bad_round3.py.
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("r3-"))


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_corpus_size() -> None:
    expected = [tomllib.loads((c / "expected.toml").read_text(encoding="utf-8")) for c in CASES]
    assert len(CASES) >= 60
    assert sum(e["exit"] == 2 for e in expected) >= 45


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_bad_input_case(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = tomllib.loads((case / "expected.toml").read_text(encoding="utf-8"))
    work = shutil.copytree(case, tmp_path / case.name)
    if "target" in expected:
        target = work / expected["target"]
    else:
        target = work / "bundle" if (work / "bundle").is_dir() else work / "county.xlsx"
    before = _digest(work)
    code = main(["validate", str(target)])
    out, err = capsys.readouterr()
    text = out + err
    assert "Traceback" not in text
    assert code == expected["exit"], text
    assert _digest(work) == before, "input changed or a file was written"
    if "fragment" not in expected:
        assert "valid / 校验通过" in out
        return
    tag = expected.get("severity", "error").upper()
    lines = [ln for ln in text.splitlines() if ln.startswith(tag) and expected["fragment"] in ln]
    assert lines, f"expected a {tag} containing {expected['fragment']!r}; got:\n{text}"
    line = lines[0]
    location = expected["file"] + (f" [{expected['sheet']}]" if "sheet" in expected else "")
    assert location in line, line
    if "row" in expected:
        assert f"row {expected['row']}" in line, line
    if "column" in expected:
        assert f"column '{expected['column']}'" in line, line
    chinese = line.split(" / ", 1)[-1]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), "a Chinese message is expected"


def test_all_problems_reported_in_one_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    villages = (
        TINY_FILES["villages.csv"]
        .replace("西村,410101100", "西村,410101109")
        .replace(",3000,", ",-3,")
    )
    alliances = TINY_FILES["alliances.csv"].replace("F1;F2;F4;F5", "F1;F2;F4;F99")
    folder = write_bundle(
        tmp_path / "multi", {"villages.csv": villages, "alliances.csv": alliances}
    )
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert (
        "negative" in err and "not found in townships" in err and "member facility not found" in err
    )
    assert "3 error(s)" in err


def test_gcj02_declared_as_wgs84_is_warned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    from tcmcounty.crs import wgs84_to_gcj02

    rng = np.random.default_rng(7)
    villages = TINY_FILES["villages.csv"].rstrip("\n").splitlines()
    facilities = TINY_FILES["facilities.csv"].rstrip("\n").splitlines()
    for i in range(8):
        lon, lat = 113.6 + rng.uniform(0, 0.1), 34.68 + rng.uniform(0, 0.05)
        code = f"4101011002{10 + i}"
        villages.append(
            # no population: the township's villages already add up to its population
            f"{code},新村{i},410101100,村,{lon:.6f},{lat:.6f},official,,,,s1"
        )
        glon, glat = wgs84_to_gcj02(lon, lat)
        facilities.append(
            f"G{i},新村{i}卫生室,village_clinic,410101100,{code},{glon[0]:.6f},{glat[0]:.6f},0,1,0,0,否,否,是,2,official,s1"
        )
    folder = write_bundle(
        tmp_path / "gcj",
        {
            "villages.csv": "\n".join(villages) + "\n",
            "facilities.csv": "\n".join(facilities) + "\n",
        },
    )
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "WARNING facilities.csv" in out and "look like GCJ-02" in out


def test_fifo_where_a_table_belongs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    folder = write_bundle(tmp_path / "fifo", {"villages.csv": None})
    os.mkfifo(folder / "villages.csv")  # reading it would block for ever
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "villages.csv is a named pipe (FIFO), not a file" in err and "Traceback" not in err


def test_fifo_given_as_the_county(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    os.mkfifo(tmp_path / "county.xlsx")
    assert main(["validate", str(tmp_path / "county.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "county.xlsx is a named pipe (FIFO)" in err and "Traceback" not in err


@pytest.mark.parametrize("suffix", [".csv", ".toml"])
def test_targets_never_echo_another_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    """--targets pointing (through a symlink) at a system file names nothing of its content."""
    secret = tmp_path / "passwd"
    secret.write_text("SECRET-root:x:0:0:root:/root:/bin/bash\nSECRET-2\n", encoding="utf-8")
    link = tmp_path / f"targets{suffix}"
    link.symlink_to(secret)
    bundle = write_bundle(tmp_path / "county")
    out_dir = tmp_path / "out"
    code = main(["indicators", str(bundle), "--targets", str(link)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "SECRET" not in out + err
    assert "Traceback" not in out + err
    assert not out_dir.exists()


def test_targets_of_another_toml_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = write_bundle(tmp_path / "county")
    code = main(["indicators", str(bundle), "--targets", str(bundle / "county.toml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "not a targets file" in err and "adcode" not in err
