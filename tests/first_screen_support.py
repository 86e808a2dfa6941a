"""Measure the first screen of a report, as a planner opens it (issue 23): at 1366×768 in Chromium
it must show the verdict, the three largest gaps in words with their need, and the link to the
worklists (``tests/test_consistency.py::test_first_screen_shows_verdict_gaps_and_worklist_link``).

The report is copied with a small script appended that measures, after layout, where these
elements end; headless Chromium runs it and ``--dump-dom`` prints the page with the result.
Needs ``chromium`` (skipped when missing, unless ``TCMCOUNTY_PRINT_TEST=required``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tcmcounty.run import pdf as P

#: The screen a county office's laptop shows (CSS pixels).
SCREEN = (1366, 768)

#: Appended to a copy of the report: the bottom edge (CSS px) of each element the first
#: screen must show, and their texts, written into the page for ``--dump-dom``.
MEASURE = """
<script>
window.addEventListener("load", () => {
  const sec = document.getElementById("readiness");
  const bottom = (el) => el ? el.getBoundingClientRect().bottom : null;
  const cards = [...sec.querySelectorAll(".tcm-ready")];
  const gaps = [...sec.querySelectorAll("ul > li")].slice(0, 3);
  const link = sec.querySelector("a[href='#worklist']");
  const out = {
    verdict: bottom(cards[0]), verdict_text: cards[0] ? cards[0].innerText : "",
    gaps: gaps.map(bottom), gap_texts: gaps.map((li) => li.innerText),
    link: bottom(link), link_target: link ? link.getAttribute("href") : null,
  };
  const pre = document.createElement("pre");
  pre.id = "tcm-measured";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _chromium() -> str:
    engine = P.find_engine()
    if engine is None:
        if os.environ.get("TCMCOUNTY_PRINT_TEST") == "required":
            pytest.fail("chromium is required here but not installed")
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    return engine.path


def browser_json(html: Path, script: str, tmp: Path, out_id: str = "tcm-measured") -> object:
    """Open a copy of ``html`` with ``script`` appended in headless Chromium; return its JSON.

    The script must write its result, as JSON, into an element ``<pre id=out_id>`` it appends
    to the body; ``--dump-dom`` prints the page after the scripts ran (no network is used:
    the pages are self-contained).
    """
    page = tmp / f"measured-{html.name}"
    page.write_text(html.read_text(encoding="utf-8") + script, encoding="utf-8")
    args = [
        _chromium(),
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}",
        f"--window-size={SCREEN[0]},{SCREEN[1]}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(1, "--no-sandbox")
    dom = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True).stdout
    m = re.search(rf'<pre id="{out_id}">(.*?)</pre>', dom, re.S)
    assert m, "the measuring script did not run"
    import html as htmllib

    return json.loads(htmllib.unescape(m.group(1)))


def measure(html: Path, tmp: Path) -> dict[str, object]:
    """Lay the report out at :data:`SCREEN` in headless Chromium and return the measurements."""
    got = browser_json(html, MEASURE, tmp)
    assert isinstance(got, dict)
    return got


#: Appended to index.html: sort the county table by its "met" column both ways and by county
#: name, then filter it; report the column's values in row order after each step.
SORT_AND_FILTER = """
<script>
window.addEventListener("load", () => {
  const t = document.querySelector("table[data-sortable]");
  const heads = [...t.tHead.rows[0].cells];
  const col = (name) => heads.findIndex((h) => h.textContent.includes(name));
  const values = (i) => [...t.tBodies[0].rows].filter((r) => !r.hidden)
    .map((r) => r.cells[i] ? r.cells[i].textContent.trim() : "");
  const met = col("达标 met"), code = 0;
  const out = {};
  heads[met].click(); out.met_up = values(met); out.code_after_up = values(code);
  heads[met].click(); out.met_down = values(met);
  heads[code].click(); out.codes = values(code);
  const f = document.getElementById(t.getAttribute("data-filter"));
  const first = out.codes[0];
  f.value = first; f.dispatchEvent(new Event("input"));
  out.filtered = values(code);
  const pre = document.createElement("pre");
  pre.id = "tcm-measured";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""
