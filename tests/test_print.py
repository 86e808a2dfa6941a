"""Print the county and the comparison report in a real headless Chromium (``--pdf``) and read
the PDF back with poppler: A4 pages, every table header of the HTML in the PDF text (no column
lost to the page edge), page 1 holding the title, banner and headline, each later section on
a page of its own.

Needs ``chromium`` and ``pdftotext``/``pdfinfo`` (Debian ``chromium``, ``poppler-utils``;
``.ci/run`` installs them). Skipped when they are missing, unless
``TCMCOUNTY_PRINT_TEST=required`` (set by ``.ci/run``), where a missing tool fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_report_support import make_tiny_bundle, no_temp_files

from tcmcounty import pdf as P
from tcmcounty.run import report as R

pytestmark = pytest.mark.slow

#: A4 in PostScript points (210 mm × 297 mm), as pdfinfo prints it.
A4_PT = (595.28, 841.89)


def _require_tools() -> None:
    missing = [t for t in ("pdftotext", "pdfinfo") if not shutil.which(t)]
    if P.find_engine() is None:
        missing.insert(0, "chromium")
    if not missing:
        return
    why = f"{', '.join(missing)} not installed (apt-get install -y chromium poppler-utils)"
    if os.environ.get("TCMCOUNTY_PRINT_TEST") == "required":
        pytest.fail(f"the print test is required here but {why}")
    pytest.skip(why)


class _Headings(HTMLParser):
    """Collect the text of every table header cell and of every section's ``<h2>``."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.sections: list[str] = []
        self._open: str | None = None  # "th" or "h2" being read
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("th", "h2") and self._open is None:
            self._open, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            text = "".join(self._text).strip()
            (self.headers if tag == "th" else self.sections).append(text)
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)


def _squash(text: str) -> str:
    """Text compared without white space (Chromium's PDF has no space glyphs) or ligatures."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _pages(pdf: Path) -> list[str]:
    """The text of each page in content-stream order (one table cell after another)."""
    out = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode("utf-8")
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def _page_sizes(pdf: Path) -> set[tuple[float, float]]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "9999", str(pdf)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    sizes = re.findall(r"Page\s+\d+\s+size:\s+([\d.]+) x ([\d.]+) pts", info)
    return {(round(float(w)), round(float(h))) for w, h in sizes}


def check_printed(html_path: Path, pdf_path: Path, title: str) -> None:
    """Assert A4, every table header present, page 1 and the sections' page breaks."""
    html = html_path.read_text(encoding="utf-8")
    found = _Headings()
    found.feed(html)
    assert found.headers and found.sections, "no tables or sections in the HTML"
    assert _page_sizes(pdf_path) == {tuple(round(x) for x in A4_PT)}, "not every page is A4"
    pages = [_squash(p) for p in _pages(pdf_path)]
    text = "".join(pages)
    lost = sorted({h for h in found.headers if _squash(h) not in text})
    assert not lost, f"{len(lost)} table header(s) missing from the PDF: {lost}"
    # page 1: the title, the banner, and the first section (the headline) with its heading
    first = pages[0]
    assert _squash(title) in first
    assert _squash("Caution: this report shows estimated or synthetic figures") in first
    assert _squash(found.sections[0]) in first
    # every later section starts a page: its heading opens the page (after the "n / N" footer)
    for heading in found.sections[1:]:
        where = [p for p in pages if _squash(heading) in p]
        assert where, f"section {heading!r} missing from the PDF"
        opening = re.sub(r"^\d+/\d+", "", where[0])
        assert opening.startswith(_squash(heading)), f"section {heading!r} does not start a page"


def test_county_and_comparison_print_to_a4_without_losing_columns(tmp_path: Path) -> None:
    _require_tools()
    tiny = make_tiny_bundle(tmp_path / "in", "999001-tiny", name_zh="小测县")
    other = make_tiny_bundle(
        tmp_path / "in", "999002-other", adcode="510102", name_zh="另测县", name_en="Other", seed=3
    )
    out = tmp_path / "reports"
    rec = R.render_report(tiny, out, report_date="2023-11-01", timeout=300, pdf=True)
    check_printed(out / f"{rec['name']}.html", out / f"{rec['name']}.pdf", "小测县")
    cmp = R.render_comparison([tiny, other], out, report_date="2023-11-01", timeout=300, pdf=True)
    check_printed(out / f"{cmp['name']}.html", out / f"{cmp['name']}.pdf", "县域比较")
    assert not no_temp_files(out)


def test_print_fails_clearly_without_an_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tcmcounty.cli import main

    monkeypatch.setenv(P.ENV_VAR, str(tmp_path / "no-such-chromium"))
    with pytest.raises(P.PdfEngineError, match="apt-get install chromium"):
        P.require_engine()
    assert main(["report", "no-such-county", "--out", str(tmp_path / "o"), "--pdf"]) == 2
    assert not (tmp_path / "o").exists()  # nothing was started
