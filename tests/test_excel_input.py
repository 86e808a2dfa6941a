"""Planners' workbooks: Chinese sheets, title rows, merged headers, text numbers, dates."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import tcmcounty
from tcmcounty.cli import main
from tcmcounty.inputs.workbook import write_workbook


@pytest.fixture
def workbook(tiny_bundle: Path, tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "县.xlsx", tcmcounty.load_county(tiny_bundle, warn=False))


def _edit(path: Path, fn) -> Path:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    fn(wb)
    wb.save(path)
    return path


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    before = _sha(path)
    files = set(path.parent.iterdir())
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert _sha(path) == before and set(path.parent.iterdir()) == files
    assert "Traceback" not in out + err
    return code, out + err


def test_title_row_and_merged_header_cells_are_read(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def add_title(wb) -> None:
        ws = wb["村社区"]
        ws.insert_rows(1, 2)
        ws.cell(1, 1, "测试县村（社区）基本情况表")
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)

    _edit(workbook, add_title)
    code, text = _validate(workbook, capsys)
    assert code == 0, text
    county = tcmcounty.load_county(workbook, warn=False)
    assert list(county.villages["population"]) == [3500, 2500, 3000, 1000]


def test_numbers_stored_as_text_are_numbers(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def as_text(wb) -> None:
        ws = wb["村社区"]
        col = [c.value for c in ws[1]].index("人口") + 1
        ws.cell(2, col, "3,500")
        ws.cell(3, col, "２５００")

    _edit(workbook, as_text)
    assert _validate(workbook, capsys)[0] == 0
    county = tcmcounty.load_county(workbook, warn=False)
    assert list(county.villages["population"][:2]) == [3500, 2500]


def test_unknown_facility_type_in_workbook(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def bad_type(wb) -> None:
        ws = wb["医疗机构"]
        col = [c.value for c in ws[1]].index("机构类型") + 1
        ws.cell(3, col, "卫生服务中心")

    _edit(workbook, bad_type)
    code, text = _validate(workbook, capsys)
    assert code == 2
    assert "[医疗机构], row 3, column '机构类型'" in text and "did you mean" in text
