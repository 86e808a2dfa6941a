"""References of a report as a numbered GB/T 7714-2015 bibliography (参考文献).

One rule builds an entry from a structured record (:func:`format_reference`); one class numbers
the entries in the order a report cites them and turns the ``[source-id]`` marks of data texts
into ``[n]`` (:class:`Bibliography`).

Records come from two places: the county's ``sources.csv`` (the data's sources, columns
``type``, ``author``, ``doc_number``, ``date``, ``journal``, ``doi``, ``grade`` besides the
title, issuer, year, url, licence and note) and the package's ``data/references.toml`` (the
documents the targets cite and the papers of the spatial methods). A field that is not known
stays empty and is left out of the entry; a record without a grade is ``unverified``.

Evidence grades (:data:`GRADE_WORDS`): *verified* 已核实, *derived* 引自其他文件, *unverified*
未核实; their meaning is printed once, as the legend of the bibliography.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from typing import Any, cast

from tcmcounty.indicators.model import GRADE_LABELS
from tcmcounty.reporting.sections import cite_chinese, esc, pick

#: Evidence grade -> (Chinese word, English word), as targets print them (``GRADE_LABELS``).
GRADE_WORDS: dict[str, tuple[str, str]] = {
    g: tuple(label.split(" ", 1))  # type: ignore[misc]
    for g, label in GRADE_LABELS.items()
}
#: What each grade means, in one plain sentence (the legend of the bibliography).
GRADE_MEANINGS: dict[str, tuple[str, str]] = {
    "verified": (
        "对照文件原文核对过。",
        "checked against the document itself.",
    ),
    "derived": (
        "没有读到原件，内容读自引用或转载它的其他文件（如另一份公文、新闻转载、数据副本），条目中注明是哪一份。",
        "the document itself was not read; its content was read in another document that "
        "quotes or reprints it (another official document, a news reprint, a data copy), "
        "named in the entry.",
    ),
    "unverified": (
        "没有核对原文，使用前请向发文机关或原始出处核实。",
        "not checked against the document; check it with the issuer or the original before "
        "relying on it.",
    ),
}
#: Grades a sources table may spell otherwise (the targets' words, Chinese words).
_GRADE_ALIASES = {
    "已核实": "verified",
    "引自其他文件": "derived",
    "未核实": "unverified",
    "quoted": "derived",
}
#: Author–year citations written in method texts (``plan.method_lines``) -> reference id.
AUTHOR_YEAR: dict[str, str] = {
    "Church & ReVelle 1974": "church-revelle-1974",
    "Minoux 1978": "minoux-1978",
    "Teitz & Bart 1968": "teitz-bart-1968",
    "Nemhauser, Wolsey & Fisher 1978": "nemhauser-1978",
}
#: A Latin run in a Chinese note: a URL, a file, package or site name, a version or a hash
#: (tests/test_bibliography.py holds the zh appendix to a short list of such names).
_LATIN_NAME = re.compile(
    r"(?<![&#\w])(?:https?://|doi:)?[A-Za-z0-9][\w./:?=&;~%+-]*[A-Za-z0-9/](?!;)"
)
#: The characters of a name in brackets beside its English in an English note
#: (``County TCM Hospital (县中医医院)``), as :func:`~tcmcounty.reporting.sections.name_html`
#: writes names.
_ZH_NAME = re.compile(r"\([\u3400-\u9fff]+\)")
#: A ``[source-id]`` mark in a data text (lower-case id with a digit or a hyphen).
_MARK = re.compile(r"\[([a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z]+\d+[a-z0-9-]*)\]")


@dataclass(frozen=True)
class Reference:
    """One bibliography record.

    Parameters
    ----------
    id : str
        Source id (``sources.csv`` ``id``, or the key in ``references.toml``).
    title : str
        Title in the document's own language (without 《》 and without the 文号).
    type : str
        GB/T 7714 document type code: ``Z`` (other, e.g. an official document), ``S``
        (standard), ``M`` (book), ``J`` (journal article), ``DB`` (database), ``DS``
        (dataset), ``CP`` (program); ``/OL`` for an online copy (``Z/OL``, ``DS/OL``).
    author : str
        发文机关 or authors (``"Luo W, Wang F"``); empty when unknown.
    doc_number : str
        文号 (``"国办发〔2022〕5号"``).
    date : str
        Date (``YYYY-MM-DD``) or year of issue.
    url, doi : str
        Where it is public; a DOI without ``https://doi.org/``.
    journal, volume, issue, pages : str
        For a journal article.
    lang : {"zh", "en"}
        Language of the record: an ``en`` entry is printed in English in every report.
    grade : {"verified", "derived", "unverified", ""}
        Evidence grade; ``""`` for the project's own method (no outside document to check).
    note : str
        What the entry is used for and how it was checked, bilingual ``中文 / English``.
    licence : str
        Licence of the data (``MIT``, ``CC BY 4.0``), bilingual when it is a phrase.
    """

    id: str
    title: str = ""
    type: str = "Z"
    author: str = ""
    doc_number: str = ""
    date: str = ""
    url: str = ""
    doi: str = ""
    journal: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    lang: str = "zh"
    grade: str = "unverified"
    note: str = ""
    licence: str = ""
    county: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_mapping(cls, id: str, data: Mapping[str, Any]) -> Reference:
        """Build a record from a mapping (a ``sources.csv`` row or a TOML table); NA is empty.

        Examples
        --------
        >>> Reference.from_mapping("x", {"title": "T", "year": 2020.0, "grade": "已核实"}).date
        '2020'
        """
        names = {f.name for f in fields(cls)} - {"id", "extra"}

        def text(v: object) -> str:
            if v is None or (isinstance(v, float) and v != v):
                return ""
            if isinstance(v, float) and v.is_integer():
                return str(int(v))
            return str(v).strip()

        kw = {k: text(data.get(k)) for k in names if text(data.get(k))}
        if not kw.get("author") and text(data.get("issuer")):
            kw["author"] = text(data.get("issuer"))
        if not kw.get("date") and text(data.get("year")):
            kw["date"] = text(data.get("year"))
        grade = kw.get("grade", "unverified")
        if "grade" in data and not text(data.get("grade")):
            grade = ""
        kw["grade"] = _GRADE_ALIASES.get(grade, grade)
        if kw["grade"] not in (*GRADE_WORDS, ""):
            kw["grade"] = "unverified"
        if "lang" not in kw:
            kw["lang"] = "zh" if re.search(r"[\u3400-\u9fff]", kw.get("title", "")) else "en"
        return cls(id=id, **cast("dict[str, Any]", kw))  # (str fields only: never ``extra``)

    @property
    def year(self) -> str:
        """Year of :attr:`date`."""
        return self.date[:4]


def format_reference(ref: Reference) -> str:
    """Format one record as a GB/T 7714-2015 entry (plain text, no number).

    Chinese documents: ``发文机关. 标题[Z]. 文号. 日期. 网址.``; journal articles: ``作者. 标题[J].
    刊名, 年, 卷(期): 页码. DOI.``; books, databases and datasets: ``责任者. 题名[M/DB/DS]. 年.
    网址.`` Unknown fields are left out, never guessed. A foreign-language record keeps its own
    language (GB/T 7714: a reference is cited in its original language).

    Parameters
    ----------
    ref : Reference
        The record.

    Returns
    -------
    str

    Examples
    --------
    A Chinese government document:

    >>> format_reference(Reference("p", "“十四五”中医药发展规划", "Z", "国务院办公厅",
    ...     "国办发〔2022〕5号", "2022-03-03"))
    '国务院办公厅. “十四五”中医药发展规划[Z]. 国办发〔2022〕5号. 2022-03-03.'

    An English journal article:

    >>> format_reference(Reference("l", "An enhanced two-step floating catchment area (E2SFCA) "
    ...     "method", "J", "Luo W, Qi Y", date="2009", journal="Health & Place", volume="15",
    ...     issue="4", pages="1100-1107", lang="en"))
    'Luo W, Qi Y. An enhanced two-step floating catchment area (E2SFCA) method[J]. Health & Place, 2009, 15(4): 1100-1107.'
    """
    parts: list[str] = []
    if ref.author:
        parts.append(ref.author.rstrip("."))
    kind = ref.type or "Z"
    title = ref.title.rstrip(".")
    if title:
        parts.append(f"{title}[{kind}]")
    elif parts:
        parts[-1] += f"[{kind}]"
    base = kind.split("/")[0]
    if base == "J":
        src = ref.journal
        tail = ", ".join(x for x in (src, ref.year) if x)
        if ref.volume or ref.issue:
            tail += f", {ref.volume}" + (f"({ref.issue})" if ref.issue else "")
        if ref.pages:
            tail += f": {ref.pages}"
        if tail:
            parts.append(tail)
    else:
        if ref.doc_number:
            parts.append(ref.doc_number)
        if ref.date:
            parts.append(ref.date)
    if ref.url and not (ref.doi and ref.doi in ref.url):
        parts.append(ref.url)
    if ref.doi:
        parts.append(f"DOI: {ref.doi}")
    return ". ".join(parts) + "." if parts else ref.id


def grade_word(grade: str, lang: str) -> str:
    """Return the printed word of an evidence grade (``""`` for none).

    Examples
    --------
    >>> grade_word("derived", "zh"), grade_word("derived", "en")
    ('引自其他文件', 'derived')
    """
    if grade not in GRADE_WORDS:
        return ""
    zh, en = GRADE_WORDS[grade]
    return {"zh": zh, "en": en}.get(lang, f"{zh} {en}")


def _both(zh: str, en: str, lang: str) -> str:
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    return f"{zh} <span class='tcm-en'>{en}</span>"


def load_references() -> dict[str, Reference]:
    """Read the package's references (``tcmcounty/data/references.toml``).

    Returns
    -------
    dict
        Source id -> :class:`Reference`, in file order.

    Examples
    --------
    >>> refs = load_references()
    >>> refs["anyue-plan-2023"].doc_number
    '安府办函〔2023〕12号'
    """
    text = resources.files("tcmcounty").joinpath("data/references.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return {k: Reference.from_mapping(k, v) for k, v in data.get("references", {}).items()}


class Bibliography:
    """Number references in the order a report cites them and print them as 参考文献.

    Parameters
    ----------
    records : iterable of Reference
        Every record the report may cite; a later record of the same id replaces an earlier
        one only when it says more (has a ``type`` of its own).
    anchor : str
        Prefix of the entries' HTML ids (``ref-<anchor>-<n>``).

    Examples
    --------
    >>> b = Bibliography([Reference("doc-a", "甲"), Reference("doc-b", "乙")])
    >>> b.cite_marks("见[doc-b]与[doc-a]，又见[doc-b]", "zh")
    "见<a class='tcm-ref' href='#ref-1'>[1]</a>与<a class='tcm-ref' href='#ref-2'>[2]</a>，又见<a class='tcm-ref' href='#ref-1'>[1]</a>"
    >>> [r.id for r in b.cited]
    ['doc-b', 'doc-a']
    """

    def __init__(self, records: Iterable[Reference], anchor: str = "") -> None:
        self.records: dict[str, Reference] = {}
        for r in records:
            self.records[r.id] = r
        self.anchor = anchor
        self._order: list[str] = []

    def number(self, ref_id: str) -> int | None:
        """Return the number of a reference, numbering it at its first citation."""
        if ref_id not in self.records:
            return None
        if ref_id not in self._order:
            self._order.append(ref_id)
        return self._order.index(ref_id) + 1

    def cite(self, ref_id: str) -> str:
        """Return ``[n]`` as a link to the entry (escaped HTML), or ``""`` for an unknown id."""
        n = self.number(ref_id)
        if n is None:
            return ""
        href = f"#ref-{self.anchor + '-' if self.anchor else ''}{n}"
        return f"<a class='tcm-ref' href='{href}'>[{n}]</a>"

    def cite_marks(self, text: str, lang: str) -> str:
        """Escape ``text`` (one language kept) and turn its ``[source-id]`` marks into ``[n]``.

        A mark of an id the report does not know is dropped (its words stay). In an English
        text the document's own Chinese words (titles, document numbers, quotations) are marked
        as citations (:func:`~tcmcounty.reporting.sections.cite_chinese`).
        """
        out = esc(pick(text, lang))
        if lang == "en":
            out = cite_chinese(out)
        return _MARK.sub(lambda m: self.cite(m[1]), out)

    def link(self, html_text: str) -> str:
        """Turn the ``[source-id]`` marks of already-escaped HTML into numbered citations."""
        return _MARK.sub(lambda m: self.cite(m[1]) or m[0], html_text)

    def cite_authors(self, html_text: str) -> str:
        """Replace the author–year citations of escaped HTML (``Minoux 1978``) by ``[n]``.

        Only the references of :data:`AUTHOR_YEAR` are known; other text is unchanged.
        """
        for words, ref_id in AUTHOR_YEAR.items():
            w, n = esc(words), self.cite(ref_id)
            html_text = html_text.replace(f"（{w}）", n).replace(f"，{w}）", f"）{n}")
            html_text = html_text.replace(f" ({w})", n).replace(f", {w})", f"){n}")
            html_text = html_text.replace(w, n)
        return html_text

    @property
    def cited(self) -> list[Reference]:
        """Records cited so far, in citation order."""
        return [self.records[i] for i in self._order]

    def entry_html(self, n: int, ref: Reference, lang: str) -> str:
        """One entry: its number, the GB/T 7714 text, the grade and a note in ``lang``."""
        text = esc(format_reference(ref))
        # the entry is a citation as recorded (tcm-cite); a foreign one says its language
        body = (
            f"<span class='tcm-cite' lang='en'>{text}</span>"
            if ref.lang != "zh"
            else f"<span class='tcm-cite tcm-bib-zh'>{text}</span>"
        )
        extra = []
        if ref.grade:
            extra.append(f"<b class='tcm-grade'>{grade_word(ref.grade, lang)}</b>")
        if ref.note:
            note = esc(pick(ref.note, lang))
            if lang != "en":  # names in a Chinese note (packages, files, sites) are names
                note = _LATIN_NAME.sub(lambda m: f"<span class='tcm-name'>{m[0]}</span>", note)
            else:  # an English note: titles, 文号 and quotations cited, (汉字) beside a name
                note = _ZH_NAME.sub(
                    lambda m: f"<span class='tcm-name'>{m[0]}</span>", cite_chinese(note)
                )
            extra.append(note)
        if ref.licence:
            lic = pick(ref.licence, lang)
            extra.append(
                _both("许可：", "Licence: ", lang)
                + f"<span class='tcm-licence tcm-name'>{esc(lic)}</span>"
            )
        sep = "；" if lang == "zh" else "; "
        note = f"<br><small>{sep.join(extra)}</small>" if extra else ""
        id_ = f"ref-{self.anchor + '-' if self.anchor else ''}{n}"
        return f"<p class='tcm-bib-entry' id='{id_}'>[{n}] {body}{note}</p>"

    def html(self, lang: str) -> str:
        """Return the legend of the grades and the numbered list of the cited records (HTML)."""
        if not self._order:
            return ""
        legend = "".join(
            f"<li><b>{grade_word(g, lang)}</b>{'：' if lang == 'zh' else ': '}"
            f"{_both(*GRADE_MEANINGS[g], lang)}</li>"
            for g in GRADE_WORDS
        )
        intro = _both(
            "按 GB/T 7714—2015 著录，按正文中首次引用的顺序编号；外文文献保留原文。每条之后注明核实情况：",
            "Entries follow GB/T 7714-2015, numbered in order of first citation; works in "
            "another language keep their own. Each entry says how far it was checked:",
            lang,
        )
        items = "".join(self.entry_html(i + 1, r, lang) for i, r in enumerate(self.cited))
        return (
            f"<p class='tcm-note'>{intro}</p><ul class='tcm-grades'>{legend}</ul>"
            f"<div class='tcm-bib'>{items}</div>"
        )
