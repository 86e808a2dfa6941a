"""The report's bibliography (参考文献, issue 23): GB/T 7714 entries, numbering, grades, language.

Unit tests of the one entry builder (:func:`format_reference`) with the four kinds of record a
report cites, then rendered reports: the zh appendix in Chinese words except where a
reference keeps its own language, and no 闻喜 page citing 安岳's plan as a plan of its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tcmcounty.reporting.bibliography import (
    GRADE_MEANINGS,
    Bibliography,
    Reference,
    format_reference,
    load_references,
)

# ---- one rule for an entry ----------------------------------------------------------------------


def test_chinese_government_document() -> None:
    ref = Reference(
        "p",
        "安岳县创建全国基层中医药工作示范县实施方案",
        "Z",
        "安岳县人民政府办公室",
        "安府办函〔2023〕12号",
        "2023-03-13",
    )
    assert format_reference(ref) == (
        "安岳县人民政府办公室. 安岳县创建全国基层中医药工作示范县实施方案[Z]. "
        "安府办函〔2023〕12号. 2023-03-13."
    )


def test_statistics_bulletin_online() -> None:
    ref = Reference.from_mapping(
        "b",
        {
            "title": "2023年我国卫生健康事业发展统计公报",
            "issuer": "国家卫生健康委员会",
            "year": 2023.0,
            "url": "http://m.mucunshu.com/?p=26401",
            "type": "Z/OL",
            "grade": "derived",
        },
    )
    assert format_reference(ref) == (
        "国家卫生健康委员会. 2023年我国卫生健康事业发展统计公报[Z/OL]. 2023. "
        "http://m.mucunshu.com/?p=26401."
    )
    assert ref.grade == "derived" and ref.lang == "zh"


def test_english_journal_article_keeps_its_language() -> None:
    ref = Reference(
        "c",
        "The maximal covering location problem",
        "J",
        "Church R, ReVelle C",
        date="1974",
        journal="Papers of the Regional Science Association",
        volume="32",
        pages="101-118",
        lang="en",
        doi="10.1007/BF01942293",
    )
    assert format_reference(ref) == (
        "Church R, ReVelle C. The maximal covering location problem[J]. Papers of the Regional "
        "Science Association, 1974, 32: 101-118. DOI: 10.1007/BF01942293."
    )
    b = Bibliography([ref])
    b.number("c")
    html = b.html("zh")
    assert "<span class='tcm-cite' lang='en'>Church R, ReVelle C." in html


def test_software_dataset_and_unknown_fields_left_out() -> None:
    ref = Reference.from_mapping(
        "v",
        {
            "title": "adcode: China administrative division codes with town centroids (2016)",
            "author": "Vonng",
            "year": "2016",
            "url": "https://github.com/Vonng/adcode",
            "type": "DS/OL",
            "doc_number": None,
            "date": float("nan"),
            "licence": "CC BY 4.0",
        },
    )
    assert format_reference(ref) == (
        "Vonng. adcode: China administrative division codes with town centroids (2016)[DS/OL]. "
        "2016. https://github.com/Vonng/adcode."
    )
    assert ref.lang == "en" and ref.grade == "unverified"  # no grade given: not checked
    # a record with nothing but an author and a year is printed as such, nothing guessed
    assert format_reference(Reference("h", type="Z", author="Hansen", date="1959")) == (
        "Hansen[Z]. 1959."
    )


def test_numbering_follows_first_citation_and_legend_once() -> None:
    b = Bibliography([Reference("src-a", "甲", grade="verified"), Reference("src-b", "乙")])
    text = b.cite_marks("见[src-b]，又见[src-a]与[src-b]；[unknown-id] 不编号", "zh")
    assert re.findall(r"\[(\d)\]", text) == ["1", "2", "1"] and "unknown-id" not in text
    html = b.html("zh")
    for zh, _ in GRADE_MEANINGS.values():
        assert html.count(zh) == 1
    assert html.index("[1] ") < html.index("[2] ") and "乙[Z]" in html.split("[2] ")[0]


def test_shipped_references_never_guess() -> None:
    refs = load_references()
    assert refs["anyue-plan-2023"].doc_number == "安府办函〔2023〕12号"
    assert refs["wenxi-plan-2023"].date == "2023-03-31"
    for r in refs.values():
        assert r.grade in ("verified", "derived", "unverified"), r.id
        assert r.title or r.author, r.id
    # papers not read for the project stay unverified
    assert all(r.grade == "unverified" for r in refs.values() if r.lang == "en")


# ---- rendered reports ---------------------------------------------------------------------------

#: Latin words allowed in the zh appendix outside lang="en" entries, URLs, DOIs and licence
#: names: the methods' abbreviations (each spelt out in Chinese beside it), GB/T 7714 and its
#: document-type codes, coordinate systems, and the names of the data packages and files the
#: data notes point to (names, not words to translate).
ALLOWED = {
    "2SFCA", "E2SFCA", "e",  # the methods' abbreviations (spelt out beside them), 1 − 1/e
    "GB", "T", "Z", "OL", "DB", "DS", "M", "J", "CP",  # GB/T 7714 and its type codes
    "WGS84", "GCJ", "ISBN", "DOI", "doi", "km",  # coordinate systems, identifiers, units
    "npm", "china", "division", "tudigong", "adcode", "GaryBikini", "ChinaAdminDivisonSHP",
    "zenodo", "data", "README", "scripts", "language", "zh", "en",  # names of data and files
}  # fmt: skip
#: Names that are not words: snapshot hashes (4db2f14), versions (v2.0), files and web sites
#: named in the data's notes (seats_2016_gcj02.csv, rcb.hxrc.com).
_NAMES = re.compile(r"(?=[a-f]*\d)[0-9a-f]{7,40}|v\d+(\.\d+)*|[\w-]+(\.[\w-]+)*\.(csv|md|com|cn)")
_URL = re.compile(r"https?://\S+?(?=[\s<）；，。]|\.?<|\.?$)|doi:\S+|10\.\d{4,}/\S+")


def _render(tmp_path_factory: pytest.TempPathFactory, county: str, lang: str) -> str:
    from tcmcounty.run.report import render_report

    out = tmp_path_factory.mktemp(f"bib-{county}-{lang}")
    render_report(county, out, language=lang, report_date="2024-06-30", index=False)
    (page,) = Path(out).glob("*.html")
    return re.sub(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+", "data:", page.read_text("utf-8"))


@pytest.fixture(scope="module")
def anyue_zh(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _render(tmp_path_factory, "anyue", "zh")


@pytest.mark.slow
def test_zh_appendix_is_chinese_except_references_in_their_language(anyue_zh: str) -> None:
    html = anyue_zh[anyue_zh.rindex("<", 0, anyue_zh.index("id='quality'")) :]
    assert "<h3 id='references'>参考文献</h3>" in html and "lang='en'" in html
    entries_en = r"<span class='tcm-cite' lang='en'>.*?</span>"
    licences = r"<span class='tcm-licence[^']*'>.*?</span>"
    text = re.sub(f"{entries_en}|{licences}", " ", html, flags=re.S)
    text = re.sub(r"<(style|script|code)[^>]*>.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text).replace("&amp;", "&")
    text = _URL.sub(" ", text)
    text = re.sub(r"\bT-[A-Z0-9]+(?:-[A-Z0-9]+)*\b", " ", text)  # indicator codes: not here
    words = set(re.findall(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*", text))
    left = {
        w
        for w in words
        if w not in ALLOWED
        and not all(p in ALLOWED or p.isdigit() for p in re.split(r"[-_.]", w))
        and not _NAMES.fullmatch(w)
    }
    assert not left, " ".join(sorted(left))
    # the evidence grades in words, their meaning once; no author-year text, no line numbers
    assert text.count("对照文件原文核对过") == 1
    assert "Anyue plan" not in html and "Teitz &amp; Bart 1968" not in html
    assert re.search(r"单点交换）<a class='tcm-ref' href='#ref-\d+'>\[\d+\]</a>", html)


@pytest.mark.slow
def test_no_wenxi_page_cites_anyue_plan_as_its_own(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """闻喜 cites its own plan; the standard's items only as quoted (引自) in a named document."""
    for lang in ("zh", "en", "zh-en"):
        html = _render(tmp_path_factory, "wenxi", lang)
        body = html[: html.index("<h3 id='references'>")]
        for bad in ("Anyue plan", "安岳方案", "安岳：", "Anyue:", "Anyue l.", "l.94", "第 53 行"):
            assert bad not in body, (lang, bad)
        assert not re.search(r"\bl\.\d+", body), lang
        for m in re.finditer("安府办函〔2023〕12号", body):
            # the words just before the number (an en page marks the number as a citation)
            before = re.sub(r"<[^>]+>", "", body[max(0, m.start() - 80) : m.start()])[-20:]
            assert "引自" in before or "quoted in" in before, (lang, body[m.start() - 80 : m.end()])
        assert "闻政办发〔2023〕6号" in body
