"""Report language: ``zh`` reports are in Chinese only, ``en`` reports in English only.

What the count leaves out — "names and citations" — is defined here, once:

* elements of class ``tcm-name`` (proper names and identifiers: county names, file names,
  target-set ids, data table and column names, method names such as E2SFCA) and ``tcm-cite``
  (citations and text quoted as recorded: the sources table, an estimate's recorded
  derivation, evidence codes, author–year references);
* ``<code>`` and ``<kbd>`` elements, ``<style>``, ``<script>`` and the document ``<head>``;
* the generation stamp (``tcm-timestamp``: date, package name and version);
* indicator ids (``T-BED``, ``T-TCMDOC-1000``), facility and village codes, and units (km, min).

What remains of the visible text (including headings, table cells, captions and notebook
markdown that reaches the HTML) must hold no English word of three or more letters in a
``zh`` report.
"""

from __future__ import annotations

import html as htmllib
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

#: Classes whose text is a name or a citation (see the module docstring).
NAME_CLASSES = frozenset({"tcm-name", "tcm-cite", "tcm-timestamp"})
#: Elements whose text is never counted.
SKIP_TAGS = frozenset({"style", "script", "code", "kbd", "head", "title"})
_VOID = frozenset(
    {"img", "br", "hr", "meta", "link", "input", "wbr", "source", "col", "area", "base"}
)
#: Indicator ids, facility ids (F512021-0001, A512021-01) and units.
_IDS_AND_UNITS = re.compile(r"\bT-[A-Z0-9]+(?:-[A-Z0-9]+)*\b|\b[FA]\d{6}-\d+\b|\b(?:km|min)\b")
_WORD = re.compile(r"[A-Za-z]{3,}")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


class _Text(HTMLParser):
    """Collect the visible text outside names and citations."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.skipping = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        skip = tag in SKIP_TAGS or bool(classes & NAME_CLASSES)
        self.stack.append((tag, skip))
        self.skipping += skip

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        while self.stack:
            t, skip = self.stack.pop()
            self.skipping -= skip
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def body_text(html: str) -> str:
    """Visible text of a report outside names and citations (ids and units removed)."""
    parser = _Text()
    parser.feed(html[html.find("<body") :])
    return _IDS_AND_UNITS.sub(" ", " ".join(parser.parts))


def english_words(html: str) -> Counter[str]:
    """ASCII words of three or more letters left in ``html``'s counted text."""
    return Counter(_WORD.findall(body_text(html)))


def cjk_runs(html: str) -> Counter[str]:
    """Runs of CJK characters left in ``html``'s counted text."""
    return Counter(_CJK.findall(body_text(html)))


def _render(tmp_path_factory: pytest.TempPathFactory, lang: str) -> dict[str, str]:
    from tcmcounty.run.report import render_comparison, render_report

    out = tmp_path_factory.mktemp(f"lang-{lang}")
    render_report("anyue", out, language=lang, report_date="2024-06-30", index=False)
    pages = {"county": (Path(out) / "512021-anyue.html").read_text(encoding="utf-8")}
    if lang == "zh":
        render_comparison(["anyue", "wenxi"], out, language=lang, report_date="2024-06-30")
        pages["compare"] = (Path(out) / "compare-anyue-wenxi.html").read_text(encoding="utf-8")
    return pages


@pytest.fixture(scope="module")
def zh_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The Anyue report and the Anyue–Wenxi comparison rendered with ``language="zh"``."""
    return _render(tmp_path_factory, "zh")


@pytest.fixture(scope="module")
def en_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The Anyue report rendered with ``language="en"``."""
    return _render(tmp_path_factory, "en")


def test_counter_sees_english_and_skips_names() -> None:
    html = (
        "<body><p>达标 met <span class='tcm-name'>Anyue</span> T-BED 2 km</p>"
        "<code>language</code><span class='tcm-cite'>Minoux 1978</span></body>"
    )
    assert english_words(html) == Counter({"met": 1})


@pytest.mark.parametrize("page", ["county", "compare"])
def test_zh_report_has_no_english_words(zh_pages: dict[str, str], page: str) -> None:
    words = english_words(zh_pages[page])
    assert not words, f"English words in the zh {page} report: {words.most_common(30)}"


#: Latin text a zh report may show, beyond test_bibliography's list for the appendix: the tool's
#: own name (generation stamp), keys in <kbd> (Ctrl-F) and units.
ZH_PAGE_ALLOWED = frozenset({"tcmcounty", "Ctrl", "F", "km", "min"})
#: Files the page links to (the worklist workbook), data ids (F512021-0001, A512021-01),
#: figures with their unit (5km, 30min) and the generation time (2026-12-07T15:30:00).
_FILES_AND_IDS = re.compile(
    r"[\w.-]+\.(?:xlsx|csv|html|toml|json|geojson|md)\b|\b[FA]\d{6}-\d+\b"
    r"|\b\d+(?:\.\d+)?(?:km|min)\b|\b\d{4}-\d{2}-\d{2}T[\d:+.-]+"
)


def zh_latin_left(html: str) -> set[str]:
    """Latin words of a zh page outside the checked allow-list (issue 23).

    What may stay: foreign-language bibliography entries (``lang='en'``, kept in their language
    as GB/T 7714 wants), licence names, URLs and DOIs, files and data ids, and the words of
    :data:`ZH_PAGE_ALLOWED` and ``test_bibliography.ALLOWED`` (abbreviations spelt out beside
    them, GB/T 7714 type codes, coordinate systems, package names). Indicator codes are not
    allowed: a zh report names indicators.
    """
    from test_bibliography import _NAMES, _URL, ALLOWED

    allowed = ALLOWED | ZH_PAGE_ALLOWED
    body = re.sub(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+", "data:", html)
    body = body[body.find("<body") :]
    body = re.sub(
        r"<span class='tcm-cite' lang='en'>.*?</span>|<span class='tcm-licence[^']*'>.*?</span>",
        " ",
        body,
        flags=re.S,
    )
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", body, flags=re.S)
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", body))
    text = _FILES_AND_IDS.sub(" ", _URL.sub(" ", text))
    words = set(re.findall(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*", text))
    return {
        w
        for w in words
        if w not in allowed
        and not all(p in allowed or p.isdigit() for p in re.split(r"[-_.]", w))
        and not _NAMES.fullmatch(w)
    }


@pytest.mark.parametrize("page", ["county", "compare"])
def test_zh_report_has_no_latin_word_outside_the_allow_list(
    zh_pages: dict[str, str], page: str
) -> None:
    left = zh_latin_left(zh_pages[page])
    assert not left, f"Latin words in the zh {page} report: {sorted(left)}"


def test_zh_allow_list_sees_codes_and_english() -> None:
    html = (
        "<body><p>目标 T-BED 达标 met，见 <a href='x.xlsx'>512021-anyue-worklist.xlsx</a>"
        "<span class='tcm-cite' lang='en'>Luo W. Health &amp; Place</span> 5 km</p></body>"
    )
    assert zh_latin_left(html) == {"T-BED", "met"}


def test_zh_report_keeps_method_details_in_the_appendix(zh_pages: dict[str, str]) -> None:
    # the text a reader sees: figures are base64 data, where any letters may occur
    html = re.sub(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+", "data:", zh_pages["county"])
    at = {m.group(1): m.start() for m in re.finditer(r"""id=["']([a-z-]+)["']""", html)}
    sites = html[at["sites"] : at["worklist"]]
    appendix = html[at["appendix"] :]
    assert sites and appendix
    for jargon in ("proven bound", "1-swap", "greedy", "UNVERIFIED", "E43"):
        assert jargon not in sites
    assert "处选址至少达到最佳方案的" in sites
    # method references are numbered entries of the bibliography (参考文献), each in its own
    # language: the swap step cites [n], the entry is marked lang="en"
    assert "理论上界" in appendix and "Teitz &amp; Bart 1968" not in appendix
    assert "<span class='tcm-cite' lang='en'>Teitz, Bart[Z]. 1968.</span>" in appendix
    assert re.search(r"单点交换）<a class='tcm-ref' href='#ref-\d+'>\[\d+\]</a>", appendix)
    # the appendix is a reference list, not research notes: grades in Chinese words, and no
    # internal evidence code (E43, catalogue §) nor English grade word (issue 23)
    assert "未核实" in appendix
    for note in ("E43", "E30", "catalogue §", "VERIFIED", "UNVERIFIED"):
        assert note not in appendix, note


def test_zh_comparison_says_equal_by_construction(zh_pages: dict[str, str]) -> None:
    html = zh_pages["compare"]
    assert "同一估算方法" in html and "不说明各县实际情况相同" in html
    assert "data-tcm-status-by-county" in html
    anchors = set(re.findall(r"<a href=[\"']#([^\"']+)", html))
    ids = set(re.findall(r"<section class=[\"']tcm-report[\"'] id=[\"']([^\"']+)", html))
    assert anchors and anchors <= ids, f"links to missing sections: {anchors - ids}"


def test_en_report_has_no_chinese_outside_names(en_pages: dict[str, str]) -> None:
    # 中医馆 / 中医阁 are the programme's own names of facilities, used in English text too.
    runs = cjk_runs(en_pages["county"])
    left = {k: v for k, v in runs.items() if k not in ("中医馆", "中医阁")}
    assert not left, f"CJK in the en report: {Counter(left).most_common(40)}"


def test_en_report_sections_before_the_bibliography_have_no_chinese(
    en_pages: dict[str, str],
) -> None:
    """Show no Chinese outside names in each section of an en report but quality and the appendix.

    Indicators, their reasons and formulas, tasks and their units, the timetable; the test above
    holds the whole page, this one says which section a run of Chinese came back in.
    """
    html = en_pages["county"]
    at = [(m.start(), m[1]) for m in re.finditer(r"<section class='tcm-report' id='([^']+)'", html)]
    assert {"indicators", "tasks", "timetable"} <= {name for _, name in at}
    for (start, name), (end, _) in zip(at, [*at[1:], (len(html), "")], strict=True):
        if name in ("quality", "appendix"):
            continue
        runs = cjk_runs("<body>" + html[start:end])
        left = {k: v for k, v in runs.items() if k not in ("中医馆", "中医阁")}
        assert not left, f"CJK in the en {name} section: {Counter(left).most_common(20)}"


def test_zh_report_shows_no_pinyin(zh_pages: dict[str, str]) -> None:
    """Names stay in characters only in a zh report: no romanised place name (issue 23)."""
    from tcmcounty.placenames import place_pinyin

    for page, html in zh_pages.items():
        for name in ("岳阳镇", "安岳县中医医院"):
            assert place_pinyin(name) not in html, (page, name)
        assert "Yueyang" not in html and "Subdistrict" not in html, page


def test_en_report_names_carry_pinyin_beside_the_characters(en_pages: dict[str, str]) -> None:
    html = en_pages["county"]
    assert "<span class='tcm-name'>Yueyang Town (岳阳镇)</span>" in html
    assert "Anyue County TCM Hospital-led County Medical Community (" in html


def test_no_worklist_says_nothing_to_act_on_beside_an_unmet_target(
    zh_pages: dict[str, str],
) -> None:
    """A list with no unit to name, for a target not met, says the gap is county-wide (issue 23)."""
    html = zh_pages["county"]
    lists = re.findall(r"<details[^>]*>(.*?)</details>", html, flags=re.S)
    assert any("✗" in block for block in lists), "the county has unmet targets with worklists"
    for block in lists:
        if "✗" in block:
            assert "无需整改的项目" not in block, block[:300]
    assert not re.search(r"T-[A-Z]+(?:-[A-Z0-9]+)* [\d—]", html), (
        "an indicator code in the zh worklists"
    )
