"""From the pre-filled template of a county that is not bundled to its report (issue: a planner's
own workbook goes in as it is).

``tcmcounty template --county 360733`` (会昌县, 江西省赣州市) → filled in Chinese as a planner would
(官方, 乡镇卫生院, 是, 有, a 实施步骤 timetable) → ``validate`` → ``report``: the report renders and
shows the county's own timetable.
"""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_workbook_template import _fill

from tcmcounty.cli import main

pytestmark = pytest.mark.slow

PHASES = (
    ("宣传发动阶段", "2025年1月", "2025年3月", "成立创建领导小组，印发实施方案"),
    ("全面创建阶段", "2025年4月", "2025年9月", "建设中医馆、中医阁，开展适宜技术培训"),
    ("评估验收阶段", "2025年10月", "2025年12月", "自查自评，迎接省级评估和国家验收"),
)


def test_prefilled_template_to_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "会昌县.xlsx"
    assert main(["template", "--county", "360733", str(template)]) == 0
    filled = tmp_path / "会昌县-填好.xlsx"
    _fill(template, filled)
    wb = load_workbook(filled)
    ws = wb["医疗机构"]
    header = [c.value for c in ws[1]]
    ws.cell(ws.max_row, header.index("中医阁") + 1, "有")  # the last centre: 有 means yes
    tt = wb["实施步骤"]
    for phase, start, end, tasks in PHASES:
        tt.append([phase, start, end, tasks])
    wb.save(filled)
    capsys.readouterr()
    assert main(["validate", str(filled)]) == 0, capsys.readouterr()
    out = tmp_path / "reports"
    code = main(["report", str(filled), "--out", str(out), "--report-date", "2025-05-01"])
    assert code == 0, capsys.readouterr()
    (page,) = [p for p in out.glob("*.html") if p.name != "index.html"]
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))
    assert "会昌县" in text
    for phase, *_ in PHASES:
        assert phase in text
    assert "2025-09-30" in text  # 2025年9月 as an end date runs to the month's last day
    assert "进行中" in text  # on 2025-05-01 the second phase is under way
    assert "没有收录创建方案时间表" not in text
