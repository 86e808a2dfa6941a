"""Bad input: every case exits 2 from ``tcmcounty validate`` with a located, bilingual message,
prints no traceback, writes nothing and leaves the input untouched."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import TINY_FILES, write_bundle

from tcmcounty.cli import main


def _sub(name: str, old: str, new: str) -> dict[str, str]:
    assert old in TINY_FILES[name], (name, old)
    return {name: TINY_FILES[name].replace(old, new, 1)}


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str | None]
    file: str  # file named in the message
    row: int | None  # row named in the message (CSV line / toml line)
    column: str | None  # column named in the message
    fragment: str  # part of the English message


VILL_HEADER = TINY_FILES["villages.csv"].splitlines()[0] + "\n"

CASES = [
    Case("empty-file", {"villages.csv": ""}, "villages.csv", None, None, "file is empty"),
    Case("header-only", {"villages.csv": VILL_HEADER}, "villages.csv", 1, None, "no data rows"),
    Case(
        "missing-file",
        {"townships.csv": None},
        "townships.csv",
        None,
        None,
        "townships.csv is missing",
    ),
    Case(
        "unknown-type",
        _sub("facilities.csv", "township_health_centre", "乡镇医院"),
        "facilities.csv",
        4,
        "type",
        "did you mean",
    ),
    Case(
        "negative-beds",
        _sub(
            "facilities.csv",
            "F3,东镇卫生院,township_health_centre,410101100,,113.700,34.700,15",
            "F3,东镇卫生院,township_health_centre,410101100,,113.700,34.700,-15",
        ),
        "facilities.csv",
        4,
        "beds",
        "negative",
    ),
    Case(
        "fractional-physicians",
        _sub("facilities.csv", "34.700,15,5,1,6", "34.700,15,5.5,1,6"),
        "facilities.csv",
        4,
        "physicians",
        "whole number",
    ),
    Case(
        "duplicate-village",
        _sub("villages.csv", "410101100202,西村", "410101100201,西村"),
        "villages.csv",
        5,
        "code",
        "duplicate id",
    ),
    Case(
        "duplicate-facility",
        _sub("facilities.csv", "F7,西村卫生室", "F6,西村卫生室"),
        "facilities.csv",
        8,
        "id",
        "duplicate id",
    ),
    Case(
        "village-in-unknown-township",
        _sub("villages.csv", "西村,410101100", "西村,410101109"),
        "villages.csv",
        5,
        "township_code",
        "not found in townships",
    ),
    Case(
        "alliance-member-unknown",
        _sub("alliances.csv", "F1;F2;F4;F5", "F1;F2;F4;F99"),
        "alliances.csv",
        2,
        "member_ids",
        "member facility not found",
    ),
    Case(
        "alliance-lead-unknown",
        _sub("alliances.csv", "county_medical_community,F1,", "county_medical_community,F0,"),
        "alliances.csv",
        2,
        "lead_facility_id",
        "lead facility not found",
    ),
    Case(
        "lonlat-swapped",
        _sub("villages.csv", "113.71,34.70", "34.70,113.71"),
        "villages.csv",
        4,
        "lon",
        "swapped",
    ),
    Case(
        "dms-coordinates",
        _sub("villages.csv", "113.71,34.70", "113°42'36\",34.70"),
        "villages.csv",
        4,
        "lon",
        "degrees-minutes-seconds",
    ),
    Case(
        "outside-china",
        _sub("villages.csv", "113.71,34.70", "13.71,4.70"),
        "villages.csv",
        4,
        "lon",
        "outside China",
    ),
    Case(
        "missing-required-column",
        {"townships.csv": TINY_FILES["townships.csv"].replace("code,name,", "code,xname,")},
        "townships.csv",
        1,
        "name",
        "required column",
    ),
    Case(
        "duplicate-column",
        {"townships.csv": TINY_FILES["townships.csv"].replace(",source", ",名称", 1)},
        "townships.csv",
        1,
        "名称",
        "duplicate column",
    ),
    Case(
        "short-township-code",
        _sub("townships.csv", "410101100,东镇", "41010110,东镇"),
        "townships.csv",
        3,
        "code",
        "9 digits",
    ),
    Case(
        "letters-in-village-code",
        _sub("villages.csv", "410101100202,西村", "41010110020X,西村"),
        "villages.csv",
        5,
        "code",
        "12 digits",
    ),
    Case(
        "bad-boolean",
        _sub("facilities.csv", "否,否,否,0,official", "也许,否,否,0,official"),
        "facilities.csv",
        7,
        "has_tcm_hall",
        "yes/no",
    ),
    Case(
        "bad-status",
        _sub("villages.csv", "3000,2020,official", "3000,2020,guess"),
        "villages.csv",
        4,
        "population_status",
        "unknown value",
    ),
    Case(
        "text-population",
        _sub("villages.csv", ",3000,", ",很多,"),
        "villages.csv",
        4,
        "population",
        "expected a number",
    ),
    Case(
        "date-in-number",
        _sub("villages.csv", ",3000,", ",2023-01-05,"),
        "villages.csv",
        4,
        "population",
        "found a date",
    ),
    Case(
        "tcm-physicians-exceed",
        _sub("facilities.csv", "34.700,15,5,1,6", "34.700,15,5,9,6"),
        "facilities.csv",
        4,
        "tcm_physicians",
        "exceed",
    ),
    Case(
        "unknown-source-row",
        _sub("villages.csv", "1000,2020,official,s1", "1000,2020,official,s9"),
        "villages.csv",
        5,
        "source",
        "source id not found",
    ),
    Case(
        "township-code-other-county",
        _sub("townships.csv", "410101100,东镇", "410102100,东镇"),
        "townships.csv",
        3,
        "code",
        "must start with the county code",
    ),
    Case(
        "lat-missing",
        _sub("villages.csv", "113.71,34.70", "113.71,"),
        "villages.csv",
        4,
        "lat",
        "go together",
    ),
    Case(
        "facility-unknown-village",
        _sub("facilities.csv", "410101100,410101100202", "410101100,410101100299"),
        "facilities.csv",
        8,
        "village_code",
        "not found in villages",
    ),
    Case(
        "toml-syntax",
        {
            "county.toml": TINY_FILES["county.toml"].replace(
                'name_en = "Test County"', "name_en = Test"
            )
        },
        "county.toml",
        3,
        None,
        "not valid TOML",
    ),
    Case(
        "toml-missing-adcode",
        {"county.toml": TINY_FILES["county.toml"].replace('adcode = "410101"\n', "")},
        "county.toml",
        None,
        "adcode",
        "is required",
    ),
    Case(
        "toml-population-zero",
        {"county.toml": TINY_FILES["county.toml"].replace("value = 10000", "value = 0")},
        "county.toml",
        None,
        "population.resident",
        "population is 0",
    ),
    Case(
        "toml-negative-beds",
        {"county.toml": TINY_FILES["county.toml"].replace("value = 60", "value = -60")},
        "county.toml",
        None,
        "resources.beds",
        ">= 0",
    ),
    Case(
        "toml-unknown-source",
        {"county.toml": TINY_FILES["county.toml"].replace('source = "s2"', 'source = "s7"')},
        "county.toml",
        None,
        "resources.physicians.estimate.source",
        "source id not found",
    ),
    Case(
        "toml-bad-status",
        {
            "county.toml": TINY_FILES["county.toml"].replace(
                'status = "estimated"', 'status = "guess"'
            )
        },
        "county.toml",
        None,
        "resources.physicians.estimate.status",
        "status must be",
    ),
    Case(
        "toml-bad-crs",
        {
            "county.toml": TINY_FILES["county.toml"].replace(
                'villages = "EPSG:4326"', 'villages = "BD-09"'
            )
        },
        "county.toml",
        None,
        "coordinates.villages",
        "unknown coordinate system",
    ),
    Case(
        "bad-encoding",
        {"villages.csv": TINY_FILES["villages.csv"].replace("南村", "\udcff")},
        "villages.csv",
        None,
        None,
        "cannot decode",
    ),
]


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _write(folder: Path, files: dict[str, str | None]) -> Path:
    write_bundle(folder, {k: v for k, v in files.items() if v is not None and "\udcff" not in v})
    for name, text in files.items():
        if text is None:
            (folder / name).unlink()
        elif "\udcff" in text:
            (folder / name).write_bytes(
                text.encode("utf-8", "surrogateescape").replace(b"\xff", b"\xff\xfe\x80")
            )
    return folder


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_exit_2_located_message_nothing_written(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _write(tmp_path / "bundle", case.files)
    before = _digest(folder)
    code = main(["validate", str(folder)])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    text = out + err
    assert "Traceback" not in text
    lines = [
        line for line in err.splitlines() if line.startswith("ERROR") and case.fragment in line
    ]
    assert lines, f"expected an error containing {case.fragment!r}; got:\n{err}"
    line = lines[0]
    assert case.file in line
    if case.row is not None:
        assert f"row {case.row}" in line, line
    if case.column is not None:
        assert f"column '{case.column}'" in line, line
    assert any("\u4e00" <= ch <= "\u9fff" for ch in line.split(" / ", 1)[-1]), (
        "Chinese message expected"
    )
    assert _digest(folder) == before, "input changed or a file was written"


def test_all_problems_reported_in_one_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files: dict[str, str | None] = {}
    for case in (CASES[4], CASES[8], CASES[9]):
        for name, text in case.files.items():
            base = files.get(name, TINY_FILES[name])
            # apply each case's change on top of the previous ones
            orig = TINY_FILES[name]
            diff = [
                (a, b)
                for a, b in zip(orig.splitlines(), (text or "").splitlines(), strict=False)
                if a != b
            ]
            for a, b in diff:
                base = base.replace(a, b)
            files[name] = base
    folder = _write(tmp_path / "multi", files)
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert (
        "negative" in err and "not found in townships" in err and "member facility not found" in err
    )


Warn = Callable[[str], dict[str, str]]


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        (_sub("villages.csv", ",3000,", ",0,"), "population is 0"),
        (
            {"townships.csv": TINY_FILES["townships.csv"] + "注：人口为2020年数据\n"},
            "note row ignored",
        ),
        ({"villages.csv": "村社区名单（2023）\n" + TINY_FILES["villages.csv"] + "\n\n"}, None),
        ({"villages.csv": TINY_FILES["villages.csv"].replace(",3000,", ',"3,000",')}, None),
        ({"villages.csv": TINY_FILES["villages.csv"].replace(",3000,", ",３０００,")}, None),
        ({"villages.csv": TINY_FILES["villages.csv"].replace(",3000,", ",未统计,")}, None),
    ],
)
def test_messy_but_valid_input_exits_0(
    files: dict[str, str], fragment: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _write(tmp_path / "ok", files)
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    if fragment:
        assert fragment in out
