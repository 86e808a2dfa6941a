"""Formula injection (issue class 4): every spreadsheet and CSV the tool writes keeps text as text.

A name starting with ``=``, ``+``, ``-``, ``@`` (or full-width ``＝＋－＠``, tab, carriage return)
must never become a live formula:

* **xlsx** — the cell is a string cell (openpyxl ``data_type == "s"``) and reads back
  unchanged (:func:`tcmcounty.io.set_cell`);
* **CSV** — the OWASP advice: such a cell is written with a leading ``'``
  (:func:`tcmcounty.io.spreadsheet_text`).

Numbers stay numbers: a negative number is written as a number in both.
No kernel is started; the whole module runs in a few seconds.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_bundle
from openpyxl import Workbook, load_workbook

import tcmcounty.run.index as I
from tcmcounty import load_county
from tcmcounty.cli import main
from tcmcounty.cli.output import emit
from tcmcounty.inputs.load import validate
from tcmcounty.inputs.workbook import write_workbook
from tcmcounty.io import (
    FORMULA_START,
    csv_text,
    frame_csv_text,
    looks_like_formula,
    set_cell,
    spreadsheet_text,
)
from tcmcounty.run.batch import BatchRow, read_status, write_status

HYPERLINK = '=HYPERLINK("http://evil.example/","点我")'
FORMULAS = [
    HYPERLINK,
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1",
    "＝1+1",
    "＋1",
    "－1",
    "＠A1",
]
PREFIXES = ("=", "+", "-", "@", "＝", "＋", "－", "＠")


def _text_cells(path: Path) -> list:
    wb = load_workbook(path)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _assert_no_formula(path: Path) -> list:
    cells = _text_cells(path)
    assert not [c.coordinate for c in cells if c.data_type == "f"], path.name
    for c in cells:
        if isinstance(c.value, str):
            assert c.data_type == "s", (c.coordinate, c.value)
    return cells


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _assert_csv_safe(rows: list[list[str]]) -> None:
    """No CSV cell starts like a formula unless it is a number (a negative number is fine)."""
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_START):
                float(cell)  # raises for text: text must have been quoted


# ---------------------------------------------------------------------------- the helpers


@pytest.mark.parametrize("text", FORMULAS)
def test_set_cell_stores_formula_text_as_text(tmp_path: Path, text: str) -> None:
    wb = Workbook()
    ws = wb.active
    set_cell(ws, 1, 1, text)
    set_cell(ws, 2, 1, -5)
    set_cell(ws, 3, 1, -2.5)
    wb.save(tmp_path / "x.xlsx")
    back = load_workbook(tmp_path / "x.xlsx").active
    assert back["A1"].data_type == "s" and back["A1"].value == text
    assert back["A2"].data_type == "n" and back["A2"].value == -5
    assert back["A3"].data_type == "n" and back["A3"].value == -2.5


def test_carriage_return_is_text_too(tmp_path: Path) -> None:
    """XML keeps no bare CR (it reads back as LF), but the cell is still text, not a formula."""
    wb = Workbook()
    set_cell(wb.active, 1, 1, "\r=1+1")
    wb.save(tmp_path / "x.xlsx")
    cell = load_workbook(tmp_path / "x.xlsx").active["A1"]
    assert cell.data_type == "s" and cell.value in ("\r=1+1", "\n=1+1")


@pytest.mark.parametrize("text", [*FORMULAS, "\r=1"])
def test_csv_cells_get_a_leading_quote(text: str) -> None:
    assert looks_like_formula(text)
    assert spreadsheet_text(text) == "'" + text
    ((cell, number, plain),) = _csv_rows(csv_text([[text, -3, "县"]]))
    # one row, whatever the text holds (a CR is written as a line feed, as in xlsx)
    assert cell == "'" + text.replace("\r", "\n") and number == "-3" and plain == "县"


def test_numbers_are_never_quoted() -> None:
    for v in (-1, -2.5, 0, 3, float("-inf")):
        assert spreadsheet_text(v) == v and not looks_like_formula(v)
    df = pd.DataFrame({"name": ["-村", "县"], "value": [-1.5, 2.0], "n": [-3, 4]})
    rows = _csv_rows(frame_csv_text(df))
    assert rows == [["name", "value", "n"], ["'-村", "-1.5", "-3"], ["县", "2.0", "4"]]
    _assert_csv_safe(rows)


# ---------------------------------------------------------------------------- emit (CLI tables)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": FORMULAS,
            "value": [-float(i) - 0.5 for i in range(len(FORMULAS))],
            "count": [-i for i in range(len(FORMULAS))],
        }
    )


def test_emit_xlsx_keeps_text_and_numbers(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    emit(_frame(), "xlsx", str(out))
    ws = load_workbook(out).active
    assert [c.value for c in ws[1]] == ["name", "value", "count"]
    for r, text in enumerate(FORMULAS, start=2):
        assert ws.cell(r, 1).data_type == "s" and ws.cell(r, 1).value == text
        assert ws.cell(r, 2).data_type == "n" and ws.cell(r, 2).value < 0
        assert ws.cell(r, 3).data_type == "n"


def test_emit_csv_file_and_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t.csv"
    emit(_frame(), "csv", str(out))
    rows = _csv_rows(out.read_text(encoding="utf-8"))
    assert [r[0] for r in rows[1:]] == ["'" + t for t in FORMULAS]
    assert rows[2][1] == "-1.5" and rows[2][2] == "-1"
    _assert_csv_safe(rows)
    emit(_frame(), "csv", None)
    assert _csv_rows(capsys.readouterr().out) == rows


# ---------------------------------------------------------------------------- every command


@pytest.fixture(scope="module")
def hostile_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny county with every township, village and facility name starting like a formula."""
    folder = write_bundle(tmp_path_factory.mktemp("inj") / "410101-test")
    for table in ("townships", "villages", "facilities"):
        p = folder / f"{table}.csv"
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        df["name"] = [
            (HYPERLINK.replace("点我", n) if i == 0 else PREFIXES[i % len(PREFIXES)] + n)
            for i, n in enumerate(df["name"])
        ]
        df.to_csv(p, index=False)
    return folder


@pytest.fixture(scope="module")
def hostile_names(hostile_bundle: Path) -> set[str]:
    """The names as the readers give them back (full-width signs may be folded)."""
    c = load_county(hostile_bundle, warn=False)
    names = {*c.townships["name"], *c.villages["name"], *c.facilities["name"]}
    assert sum(looks_like_formula(n) for n in names) == len(names)
    return names


COMMANDS = [
    ["coverage"],
    ["coverage", "--by", "township"],
    ["coverage", "--uncovered", "--thresholds", "1"],
    ["indicators"],
    ["indicators", "--by", "township"],
    ["access"],
    ["plan", "--sites", "2"],
]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_every_table_command_writes_text_as_text(
    hostile_bundle: Path, hostile_names: set[str], tmp_path: Path, command: list[str], fmt: str
) -> None:
    out = tmp_path / f"out.{fmt}"
    argv = [command[0], str(hostile_bundle), *command[1:], "--format", fmt, "-o", str(out)]
    assert main(argv) == 0, argv
    if fmt == "xlsx":
        cells = _assert_no_formula(out)
        texts = {c.value for c in cells if isinstance(c.value, str)}
        assert not any(t.startswith("'") for t in texts)  # no quote in xlsx: the cell is text
    else:
        rows = _csv_rows(out.read_text(encoding="utf-8"))
        _assert_csv_safe(rows)
        texts = {c[1:] if c.startswith("'") else c for r in rows for c in r}
    found = texts & hostile_names
    if command[0] in ("coverage", "plan", "access") and "--by" not in command:
        assert found, f"{argv}: no village or facility name in the table"


# ---------------------------------------------------------------------------- export round trip


def test_export_then_validate_round_trips_formula_names(
    hostile_bundle: Path, hostile_names: set[str], tmp_path: Path
) -> None:
    out = tmp_path / "县.xlsx"
    assert main(["export", str(hostile_bundle), str(out)]) == 0
    cells = _assert_no_formula(out)
    assert hostile_names <= {c.value for c in cells}
    assert main(["validate", str(out)]) == 0
    report = validate(out)
    assert report.ok, [str(p) for p in report.errors]
    src, back = load_county(hostile_bundle, warn=False), report.county
    for table in ("townships", "villages", "facilities"):
        assert list(getattr(back, table)["name"]) == list(getattr(src, table)["name"]), table


def test_export_of_a_county_built_directly(tmp_path: Path) -> None:
    """Names set on a County (bypassing the readers), the county's own name included."""
    import dataclasses

    c = load_county(write_bundle(tmp_path / "410101-test"), warn=False)
    towns = c.townships.assign(name=[HYPERLINK, "＝东镇"][: len(c.townships)])
    c2 = dataclasses.replace(c, townships=towns, name_zh="=测试县", name_en="@Test")
    out = write_workbook(tmp_path / "x.xlsx", c2)
    cells = _assert_no_formula(out)
    assert {HYPERLINK, "＝东镇", "=测试县", "@Test"} <= {c.value for c in cells}
    back = load_county(out, warn=False)
    assert back.name_zh == "=测试县" and back.townships["name"].iloc[0] == HYPERLINK


# ---------------------------------------------------------------------------- batch outputs


def test_summary_and_status_table(tmp_path: Path) -> None:
    rec = {
        "kind": "county_report",
        "name": "999401-formula",
        "status": "failed",
        "error": "@error",
        "counties": [{"adcode": "999401", "name_zh": "＝县", "name_en": "-County"}],
        "headline": {"n_met": 1, "coverage_share": 0.5},
        "indicators": [{"id": "T-X", "name_zh": "+指标", "value": -1.5, "met": False}],
    }
    (tmp_path / "999401-formula.json").write_text(
        __import__("json").dumps(rec, ensure_ascii=False), encoding="utf-8"
    )
    I.write_index(tmp_path)
    cells = _assert_no_formula(tmp_path / "summary.xlsx")
    values = {c.value for c in cells}
    assert {"＝县", "-County", "@error", "T-X +指标"} <= values
    (neg,) = [c for c in cells if c.value == -1.5]
    assert neg.data_type == "n"
    write_status(tmp_path, [BatchRow("999401-formula", "failed", error="=1+1", name_zh="＠县")])
    (row,) = read_status(tmp_path)
    assert row["error"] == "'=1+1" and row["name_zh"] == "'＠县" and row["duration"] == "0.0"
