"""summary.xlsx and CSV files for people: number formats, one percentage scale, links, BOM.

One batch renders the two bundled counties and a broken copy of the tiny county (its villages
table has no columns it needs), then summary.xlsx is read back with openpyxl and compared with
the JSON records the batch wrote beside the reports. The CSV tests check that every file (and
redirected standard output) the command line writes as CSV starts with the UTF-8 byte-order
mark, and that ``--no-bom`` leaves it out.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ANYUE, WENXI, write_bundle

from tcmcounty.cli import build_parser, main
from tcmcounty.formatting import SHARE_FORMAT, value_text
from tcmcounty.indicators import load_registry
from tcmcounty.indicators.model import target_with_grade
from tcmcounty.io import CSV_BOM
from tcmcounty.run.index import ALLIANCE_HEADER, FAILED_COLUMNS, INDICATOR_FIELDS

BOM = CSV_BOM.encode("utf-8")
NAMES = ["512021-anyue", "140823-wenxi"]
BROKEN = "410101-test"
#: Relative precision of a number read back from xlsx (openpyxl writes 16 significant digits).
FULL = 1e-15

bundled = pytest.mark.skipif(
    not (ANYUE / "county.toml").is_file() or not (WENXI / "county.toml").is_file(),
    reason="bundled counties not built yet",
)


@dataclass(frozen=True)
class Summary:
    out: Path
    rows: dict[str, dict[str, Any]]  # adcode -> header -> openpyxl cell
    failed: list[dict[str, object]]
    records: dict[str, dict[str, Any]]  # report name -> JSON record


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> Summary:
    from openpyxl import load_workbook

    from tcmcounty.run.batch import run_batch

    root = tmp_path_factory.mktemp("summary")
    broken = write_bundle(root / "in" / BROKEN, {"villages.csv": "code,name\n"})
    result = run_batch([ANYUE, WENXI, broken], root / "out", workers=2, progress=False)
    assert result.exit_code == 1 and [r.county for r in result.failed] == [BROKEN], result.rows
    wb = load_workbook(root / "out" / "summary.xlsx")
    ws = wb["汇总 summary"]
    header = [c.value for c in ws[1]]
    rows = {str(r[0].value): dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2)}
    fs = wb["失败 failed"]
    failed = [
        dict(zip(FAILED_COLUMNS, (c.value for c in r), strict=True))
        for r in fs.iter_rows(min_row=2)
    ]
    records = {
        n: json.loads((root / "out" / f"{n}.json").read_text(encoding="utf-8"))
        for n in [*NAMES, BROKEN]
    }
    return Summary(root / "out", rows, failed, records)


def _adcode(name: str) -> str:
    return name.split("-")[0]


def _indicator(rec: dict[str, Any], iid: str) -> dict[str, Any]:
    return next(i for i in rec["indicators"] if i["id"] == iid)


def _value_cell(row: dict[str, Any], iid: str) -> Any:
    (key,) = [k for k in row if isinstance(k, str) and k.startswith(f"{iid} ")][:1]
    return row[key]


# --------------------------------------------------------------------------- summary.xlsx


@bundled
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_values_keep_full_precision_behind_number_formats(summary: Summary, name: str) -> None:
    rec, row = summary.records[name], summary.rows[_adcode(name)]
    head = rec["headline"]
    for header, key in (
        ("中医药服务覆盖 coverage", "coverage_share"),
        (ALLIANCE_HEADER, "alliance_share"),
    ):
        assert row[header].number_format == SHARE_FORMAT
        assert row[header].value == pytest.approx(head[key], rel=FULL)  # rounded on screen only
    reg = load_registry()
    for ind in reg:
        x = _indicator(rec, ind.id)
        cell = _value_cell(row, ind.id)
        if x["value"] is None or ind.display == "grade":
            continue
        assert cell.data_type == "n", ind.id
        assert cell.number_format != "General", ind.id
        want = x["value"] / 100 if ind.unit_zh == "%" and ind.factor == 100 else x["value"]
        assert cell.value == pytest.approx(want, rel=FULL), ind.id
    bed = _value_cell(row, "T-BED")
    assert bed.number_format == "0.00"
    assert bed.value == pytest.approx(_indicator(rec, "T-BED")["value"], rel=FULL)
    assert bed.value != round(bed.value, 2)


@bundled
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_percentage_is_on_one_scale(summary: Summary, name: str) -> None:
    rec, row = summary.records[name], summary.rows[_adcode(name)]
    pct = [i.id for i in load_registry() if i.unit_zh == "%" and i.factor == 100]
    known = [iid for iid in pct if _indicator(rec, iid)["value"] is not None]
    assert "T-YLT" in known and len(known) >= 3
    shares = [c for c in row.values() if c.data_type == "n" and c.number_format.endswith("%")]
    assert len(shares) == 2 + len(known)  # coverage, T-YLT alliance, the percentage indicators
    assert {c.coordinate for c in shares} >= {_value_cell(row, iid).coordinate for iid in known}
    assert all(0 <= c.value <= 1 for c in shares)  # shares, never 0–100
    assert _value_cell(row, "T-YLT").value == pytest.approx(row[ALLIANCE_HEADER].value, abs=1e-12)
    assert _value_cell(row, "T-YLT").number_format == SHARE_FORMAT


@bundled
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_ratio_shows_as_one_to_x_and_grade_as_text(summary: Summary, name: str) -> None:
    rec, row = summary.records[name], summary.rows[_adcode(name)]
    reg = load_registry()
    dnr = _value_cell(row, "T-DNR")
    value = _indicator(rec, "T-DNR")["value"]
    assert dnr.number_format == '"1:"0.00' and dnr.value == pytest.approx(value, rel=FULL)
    shown = f"1:{dnr.value:.2f}"  # what Excel shows through the format
    assert shown == value_text(reg["T-DNR"], value)  # the report's own text for it
    html = (summary.out / f"{name}.html").read_text(encoding="utf-8")
    assert f"<td>{shown}</td>" in html
    grade = _value_cell(row, "T-TCMHOSP")
    rank = _indicator(rec, "T-TCMHOSP")["value"]
    if rank is not None:
        assert grade.data_type == "s" and grade.value == reg["T-TCMHOSP"].scale[int(rank)]
        assert "级" in grade.value  # 二级甲等 …, never the code 6


@bundled
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_target_met_need_status_per_indicator(summary: Summary, name: str) -> None:
    rec, row = summary.records[name], summary.rows[_adcode(name)]
    for x in rec["indicators"]:
        iid = x["id"]
        got = {f: row[f"{iid} {label}"].value for label, f in INDICATOR_FIELDS}
        # the target with its evidence grade, as the report prints it
        shown = target_with_grade(x["target"] or "", x.get("target_grade") or "unverified")
        assert got["target"] == (shown or None), iid
        assert not x["target"] or got["target"].endswith("]"), iid
        assert got["met"] == {True: "是", False: "否", None: "—"}[x["met"]], iid
        assert got["need"] == x["need"], iid
        assert x["input_status"] is None or x["input_status"] in str(got["input_status"]), iid
    assert {f"T-YLT {label}" for label, _ in INDICATOR_FIELDS} <= set(row)


@bundled
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_each_report_is_linked(summary: Summary, name: str) -> None:
    cell = summary.rows[_adcode(name)]["报告 report"]
    assert cell.value == f"{name}.html" and cell.hyperlink is not None
    assert cell.hyperlink.target == f"{name}.html"
    assert (summary.out / cell.hyperlink.target).is_file()


@bundled
@pytest.mark.slow
def test_failed_counties_are_listed(summary: Summary) -> None:
    (row,) = summary.failed
    assert row["代码 adcode"] == "410101" and row["县 county"] == "测试县"
    assert row["状态 status"] == "failed" and "villages.csv" in str(row["错误 error"])
    assert row["错误 error"] == summary.records[BROKEN]["error"]
    main_row = summary.rows["410101"]
    assert main_row["报告 report"].value is None and main_row["报告 report"].hyperlink is None


@bundled
@pytest.mark.slow
def test_batch_status_csv_has_a_bom(summary: Summary) -> None:
    assert (summary.out / "batch_status.csv").read_bytes().startswith(BOM)


# --------------------------------------------------------------------------- CSV: the BOM


def _csv_commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    out = {}
    for name, p in sub.choices.items():
        fmt = next((a for a in p._actions if "--format" in a.option_strings), None)
        if fmt is not None and "csv" in (fmt.choices or ()):
            out[name] = p
    return out


def test_every_csv_command_has_no_bom() -> None:
    commands = _csv_commands()
    assert {"coverage", "indicators", "compare", "access", "plan"} <= set(commands)
    for name, p in commands.items():
        assert any("--no-bom" in a.option_strings for a in p._actions), name


CSV_RUNS = [
    ["coverage"],
    ["coverage", "--by", "alliance"],
    ["indicators"],
    ["access"],
    ["plan", "--sites", "1"],
]


@pytest.mark.parametrize("command", CSV_RUNS, ids=lambda c: " ".join(c))
def test_csv_files_start_with_a_bom_unless_no_bom(
    tiny_bundle: Path, tmp_path: Path, command: list[str]
) -> None:
    argv = [command[0], str(tiny_bundle), *command[1:], "--format", "csv"]
    with_bom, without = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main([*argv, "-o", str(with_bom)]) == 0
    assert main([*argv, "-o", str(without), "--no-bom"]) == 0
    data = with_bom.read_bytes()
    assert data.startswith(BOM) and not data.startswith(BOM * 2)
    assert without.read_bytes() == data[len(BOM) :]
    data.decode("utf-8")


def test_compare_csv_has_a_bom(tiny_bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    assert (
        main(["compare", str(tiny_bundle), str(tiny_bundle), "--format", "csv", "-o", str(out)])
        == 0
    )
    assert out.read_bytes().startswith(BOM)


def test_redirected_stdout_gets_the_bom_a_terminal_does_not(
    tiny_bundle: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["indicators", str(tiny_bundle), "--format", "csv"]
    assert main(argv) == 0
    piped = capsysbinary.readouterr().out
    assert piped.startswith(BOM) and not piped.startswith(BOM * 2)
    assert main([*argv, "--no-bom"]) == 0
    assert capsysbinary.readouterr().out == piped[len(BOM) :]
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(argv) == 0
    assert capsysbinary.readouterr().out == piped[len(BOM) :]
