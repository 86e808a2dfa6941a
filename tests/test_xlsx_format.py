"""Every .xlsx the tool writes opens and prints well (issue 23, item 5).

For each writer — ``summary.xlsx``, a worklist workbook, :func:`tcmcounty.io.write_xlsx`, the
data template and a county's export — the file re-read with openpyxl has widths from its
content within bounds, long text wrapped, the header frozen and repeated on printed pages, A4
landscape fit to width, percentages with a ``%`` number format and Chinese status labels.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import WENXI

import tcmcounty
from tcmcounty.io import (
    MAX_COLUMN_WIDTH,
    MIN_COLUMN_WIDTH,
    OUTPUT_MARK,
    is_output_workbook,
    text_width,
    write_xlsx,
)
from tcmcounty.reporting import worklists as W

TASK = "完成县中医院中医馆标准化建设并配备中医诊疗设备" * 13  # > 300 characters
CHINESE_STATUS = {"官方", "估算", "模拟"}

bundled = pytest.mark.skipif(
    not (WENXI / "county.toml").is_file(), reason="bundled counties not built yet"
)


def _check_layout(ws: object, *, header: bool = True) -> None:
    """Widths set and bounded, long text wrapped, header frozen, A4 landscape fit to width."""
    widths = {k: d.width for k, d in ws.column_dimensions.items() if d.width}
    assert widths, ws.title
    assert all(MIN_COLUMN_WIDTH <= w <= MAX_COLUMN_WIDTH for w in widths.values()), widths
    for row in ws.iter_rows():
        for cell in row:
            v = cell.value
            if isinstance(v, str) and text_width(v) + 2 > MAX_COLUMN_WIDTH:
                assert cell.alignment.wrap_text, (ws.title, cell.coordinate)
    assert ws.page_setup.paperSize in (9, "9")
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.fitToWidth) == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    if header:
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2")
        assert ws.print_title_rows in ("1:1", "$1:$1")


def _column(ws: object, header: str) -> list[object]:
    col = [c.value for c in ws[1]].index(header) + 1
    return [ws.cell(r, col) for r in range(2, ws.max_row + 1)]


def test_write_xlsx(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "id": ["T-ZYG-HALL", "T-BED"],
            "value": [84.615385, 7.23114],
            "unit": ["%", "张/千人 beds per 1,000"],
            "covered_share_2km": [0.245, 0.5],
            "input_status": ["synthetic", "official"],
            "input_derived": [None, "roster"],
            "note": [TASK, "=1+1"],
        }
    )
    path = write_xlsx(tmp_path / "t.xlsx", {"Sheet1": df})
    assert is_output_workbook(path)
    ws = openpyxl.load_workbook(path)["Sheet1"]
    _check_layout(ws)
    value = _column(ws, "value")
    assert "%" in value[0].number_format and value[0].value == pytest.approx(84.615385)
    assert "%" not in value[1].number_format
    share = _column(ws, "covered_share_2km")[0]
    assert share.value == 0.245 and share.number_format == "0.0%"
    status = [c.value for c in _column(ws, "input_status")]
    assert status[0] == "模拟 synthetic" and status[1].startswith("官方，由机构名册汇总")
    note = _column(ws, "note")
    assert note[0].alignment.wrap_text
    assert note[1].data_type == "s" and note[1].value == "=1+1"


def test_worklist(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "name": ["安岳县某村卫生室", '=HYPERLINK("x")'],
            "covered_share": [0.245, 1.0],
            "status": ["estimated", "official"],
            "task": [TASK, "短"],
        }
    )
    cols = (
        ("name", "机构名称", "facility"),
        ("covered_share", "累计覆盖人口占比", "cumulative share covered"),
        ("status", "数据状态", "data status"),
        ("task", "任务", "task"),
    )
    w = W.Worklist("x", "示例", "example", (), frame, cols)
    wb = openpyxl.load_workbook(W.write_worklists_xlsx([w], tmp_path / "w.xlsx"))
    assert wb.properties.keywords == OUTPUT_MARK
    ws = wb.active
    _check_layout(ws)
    assert ws.freeze_panes == "A2"
    share = _column(ws, "累计覆盖人口占比")[0]
    assert share.value == 0.245 and share.number_format == "0.0%"
    assert [c.value for c in _column(ws, "数据状态")] == ["估算 estimated", "官方 official"]
    assert _column(ws, "任务")[0].alignment.wrap_text
    assert ws["A3"].data_type == "s" and ws["A3"].value == '=HYPERLINK("x")'


@bundled
def test_summary(tmp_path: Path) -> None:
    from tcmcounty.run.batch import run_batch

    run_batch([WENXI], tmp_path / "out", workers=1, progress=False)
    path = tmp_path / "out" / "summary.xlsx"
    assert is_output_workbook(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["汇总 summary"]
    _check_layout(ws)
    assert ws.freeze_panes == "C2"
    _check_layout(wb["失败 failed"])
    _check_layout(wb["说明 notes"], header=False)
    assert wb["说明 notes"]["A1"].alignment.wrap_text
    header = [c.value for c in ws[1]]
    hall = header.index("T-ZYG-HALL") + 1 if "T-ZYG-HALL" in header else None
    percent = [c for c in ws[2] if isinstance(c.value, float) and "%" in c.number_format]
    assert percent, "no percentage cell"
    if hall is not None:
        assert "%" in ws.cell(2, hall).number_format
    statuses = {
        str(c.value).split(" ")[0].split("，")[0]
        for c, h in zip(ws[2], header, strict=True)
        if str(h).endswith("数据 data status") and c.value not in (None, "—")
    }
    assert statuses and statuses <= CHINESE_STATUS, statuses


def test_template(tmp_path: Path) -> None:
    from tcmcounty.inputs.workbook import write_workbook

    wb = openpyxl.load_workbook(write_workbook(tmp_path / "模板.xlsx"))
    assert not is_output_workbook(tmp_path / "模板.xlsx")
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        _check_layout(ws, header=ws.title != "说明")


@bundled
def test_export(tmp_path: Path) -> None:
    from tcmcounty.inputs.workbook import write_workbook

    county = tcmcounty.load_county("wenxi", warn=False)
    path = write_workbook(tmp_path / "闻喜县.xlsx", county)
    assert not is_output_workbook(path)
    wb = openpyxl.load_workbook(path)
    wrapped = 0
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        _check_layout(ws, header=ws.title != "说明")
        wrapped += sum(bool(c.alignment.wrap_text) for row in ws.iter_rows() for c in row)
    assert wrapped
    header = [c.value for c in wb["医疗机构"][1]]
    status_col = next(i for i, h in enumerate(header, 1) if "状态" in str(h))
    statuses = {
        wb["医疗机构"].cell(r, status_col).value for r in range(2, wb["医疗机构"].max_row + 1)
    }
    assert statuses - {None} <= CHINESE_STATUS and statuses - {None}, statuses
