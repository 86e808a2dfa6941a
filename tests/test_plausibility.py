"""Plausibility rules and the shape of county.toml: each rule at its boundary, one message each."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import TINY_FILES, write_bundle

from tcmcounty.errors import Problem
from tcmcounty.inputs.cells import MAX_COUNT, clean_text, parse_number
from tcmcounty.inputs.load import read_raw
from tcmcounty.inputs.meta import check_shape
from tcmcounty.inputs.raw import RawBundle
from tcmcounty.inputs.validate import COUNTY_LIMITS, FIRST_YEAR, ROW_LIMITS


def _village_population(tmp_path: Path, value: str) -> list[Problem]:
    villages = TINY_FILES["villages.csv"].replace(",1000,2020,", f",{value},2020,")
    # the township holds the village whatever its size (a village above its township is refused)
    towns = TINY_FILES["townships.csv"].replace(",4000,", ",4999999,")
    files = {"villages.csv": villages, "townships.csv": towns}
    return read_raw(write_bundle(tmp_path / "b", files)).problems


def _about(problems: list[Problem], column: str) -> list[Problem]:
    return [p for p in problems if p.column == column and p.severity != "note"]


@pytest.mark.parametrize(
    ("value", "severity", "fragment"),
    [
        (str(ROW_LIMITS["villages", "population"][0]), None, None),
        (str(ROW_LIMITS["villages", "population"][0] + 1), "warning", "unlikely for one village"),
        (str(ROW_LIMITS["villages", "population"][1]), "warning", "unlikely"),
        (str(ROW_LIMITS["villages", "population"][1] + 1), "error", "impossible for one village"),
        (str(MAX_COUNT + 1), "error", "number too large"),
        ("9" * 30, "error", "number too large"),
    ],
)
def test_village_population_limits(
    tmp_path: Path, value: str, severity: str | None, fragment: str | None
) -> None:
    found = [p for p in _about(_village_population(tmp_path, value), "population") if p.row == 5]
    if severity is None:
        assert not found
    else:
        assert [p.severity for p in found] == [severity]
        assert fragment in found[0].message_en
        assert any("\u4e00" <= ch <= "\u9fff" for ch in found[0].message_zh)


def test_no_int64_wrap_in_the_sum(tmp_path: Path) -> None:
    problems = _village_population(tmp_path, "1e30")
    assert not any("add up to -" in p.message_en for p in problems)
    assert any(p.severity == "error" and "number too large" in p.message_en for p in problems)


@pytest.mark.parametrize(
    ("year", "ok"),
    [(FIRST_YEAR - 1, False), (FIRST_YEAR, True), (dt.date.today().year, True), (2099, False)],
)
def test_population_year_range(tmp_path: Path, year: int, ok: bool) -> None:
    villages = TINY_FILES["villages.csv"].replace(",1000,2020,", f",1000,{year},")
    problems = read_raw(write_bundle(tmp_path / "b", {"villages.csv": villages})).problems
    bad = [p for p in problems if "impossible year" in p.message_en]
    assert (not bad) == ok
    if bad:
        assert (bad[0].file, bad[0].row, bad[0].column) == ("villages.csv", 5, "population_year")


@pytest.mark.parametrize(
    ("value", "severity"),
    [
        (COUNTY_LIMITS["population"][0], None),
        (COUNTY_LIMITS["population"][0] + 1, "warning"),
        (COUNTY_LIMITS["population"][1] + 1, "error"),
    ],
)
def test_county_population_limits(tmp_path: Path, value: int, severity: str | None) -> None:
    toml = TINY_FILES["county.toml"].replace("value = 10000\n", f"value = {value}\n")
    problems = read_raw(write_bundle(tmp_path / "b", {"county.toml": toml})).problems
    found = [p for p in problems if "for a county" in p.message_en]
    assert [p.severity for p in found] == ([severity] if severity else [])


@pytest.mark.parametrize(
    ("respondents", "satisfied", "fragment"),
    [
        (400, 372, None),
        (400, 400, None),
        (400, 401, "more people satisfied"),
        (0, 0, "0 respondents"),
        (10_001, 10, "more respondents"),
        (400.5, 10, "whole number"),
    ],
)
def test_survey_rules(
    tmp_path: Path, respondents: float, satisfied: int, fragment: str | None
) -> None:
    toml = TINY_FILES["county.toml"] + (
        f"\n[survey]\nrespondents = {respondents}\nsatisfied = {satisfied}\nyear = 2023\n"
        'source = "s1"\nstatus = "official"\n'
    )
    problems = read_raw(write_bundle(tmp_path / "b", {"county.toml": toml})).problems
    errors = [p for p in problems if p.severity == "error"]
    if fragment is None:
        assert not errors
    else:
        assert any(fragment in p.message_en and p.column.startswith("survey.") for p in errors)


def test_clinic_in_its_villages_township(tmp_path: Path) -> None:
    ok = read_raw(write_bundle(tmp_path / "ok")).problems
    assert not [p for p in ok if "of its village" in p.message_en]
    moved = TINY_FILES["facilities.csv"].replace(
        "F6,东村卫生室,village_clinic,410101100", "F6,东村卫生室,village_clinic,410101001"
    )
    bad = read_raw(write_bundle(tmp_path / "bad", {"facilities.csv": moved})).problems
    (p,) = [p for p in bad if "of its village" in p.message_en]
    assert (p.severity, p.row, p.column, p.value) == ("error", 7, "township_code", "410101001")


def _shape(meta: dict[str, object], text: str = "") -> tuple[dict[str, object], list[Problem]]:
    raw = RawBundle(path=Path("."), meta=meta, tables={}, files={}, sheets={})
    check_shape(meta, text, raw)
    return meta, raw.problems


@pytest.mark.parametrize(
    ("meta", "key", "fragment"),
    [
        ({"coordinates": "GCJ-02"}, "coordinates", "expected a table"),
        ({"survey": 400}, "survey", "expected a table"),
        ({"population": {"resident": [{"value": 1}]}}, "population.resident", "array of tables"),
        ({"population": {"resident": 10000}}, "population.resident", "expected a table"),
        ({"reference_year": True}, "reference_year", "expected a year"),
        ({"reference_year": float("inf")}, "reference_year", "expected a year"),
        ({"resources": {"beds": {"value": 10**400}}}, "resources.beds", "number too large"),
        ({"resources": {"beds": {"value": float("nan")}}}, "resources.beds", "expected a number"),
        ({"tcm_hospital": {"departments": "康复科"}}, "tcm_hospital.departments", "list of texts"),
        ({"name_zh": 410101}, "name_zh", "expected text"),
    ],
)
def test_wrong_shapes_are_errors_and_removed(
    meta: dict[str, object], key: str, fragment: str
) -> None:
    out, problems = _shape(meta)
    (p,) = problems
    assert (p.severity, p.column) == ("error", key) and fragment in p.message_en
    path = key.split(".") + (["value"] if key == "resources.beds" else [])  # a figure's value
    node: object = out
    for part in path[:-1]:
        node = node[part]  # type: ignore[index]
    assert path[-1] not in node  # type: ignore[operator]


@pytest.mark.parametrize(
    ("meta", "key", "near"),
    [
        ({"coordinates": {"vilages": "GCJ-02"}}, "coordinates.vilages", "coordinates.villages"),
        ({"resources": {"beds": {"vaule": 60}}}, "resources.beds.vaule", "resources.beds.value"),
        ({"populaton": {}}, "populaton", "population"),
    ],
)
def test_unknown_keys_warn_with_the_nearest(meta: dict[str, object], key: str, near: str) -> None:
    _, problems = _shape(meta)
    (p,) = problems
    assert (p.severity, p.column) == ("warning", key) and f"did you mean {near}?" in p.message_en


def test_shape_errors_give_the_line() -> None:
    text = 'adcode = "410101"\n\n[population.resident]\nvalue = 1\nyear = inf\n'
    _, problems = _shape({"population": {"resident": {"value": 1, "year": float("inf")}}}, text)
    (p,) = problems
    assert (p.row, p.column) == (5, "population.resident.year")


def test_bundled_counties_have_no_shape_warnings() -> None:
    from conftest import ANYUE, WENXI

    for folder in (ANYUE, WENXI):
        problems = read_raw(folder).problems
        assert not [
            p for p in problems if p.file == "county.toml" and "unknown key" in p.message_en
        ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1e30", 1e30), ("1e400", None), ("inf", None), ("٢٠٢٠", None), ("１２３", 123.0)],
)
def test_parse_number_bounds(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


def test_clean_text() -> None:
    assert clean_text("西\x00村") == ("西村", True)
    assert clean_text("城关\r\n社区") == ("城关 社区", True)
    assert clean_text("中医（综合）医院") == ("中医（综合）医院", False)
