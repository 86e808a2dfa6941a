"""HTML building blocks of the report sections: escaping, bilingual labels, tables, figures, CSS.

Every piece of user text goes through :func:`html.escape` (:func:`esc`); :func:`_section`
wraps a section and :func:`_unavailable` says why one could not be computed.
"""

from __future__ import annotations

import base64
import html
import itertools
import math
import re
from collections.abc import Sequence
from typing import Any, SupportsFloat, cast

import pandas as pd

from tcmcounty.formatting import fmt_num, fmt_pct

# =============================================================================================
# HTML building blocks (every piece of user text goes through html.escape)


class Html(str):
    """A piece of HTML that Jupyter displays as HTML (``_repr_html_``)."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        return str(self)


def esc(value: object) -> str:
    """Escape any value for HTML text or attribute context."""
    return html.escape("" if value is None else str(value), quote=True)


def _lbl(zh: str, en: str, lang: str) -> str:
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    return f"{zh} <span class='tcm-en'>{en}</span>" if zh != en else zh


def _t(zh: str, en: str, lang: str) -> str:
    """Bilingual label from trusted, escaped-at-source strings (escape both here)."""
    return _lbl(esc(zh), esc(en), lang)


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: "中文 English" in one cell: a Chinese part (no lower-case ASCII) then an English part (no CJK).
_ZH_THEN_EN = re.compile(
    r"^(?P<zh>[^a-z]*[\u3400-\u9fff\uf900-\ufaff）][^a-z]*?)\s+(?P<en>[A-Za-z][^\u3400-\u9fff]*)$"
)

#: Code words of the data shown in tables, in Chinese (data statuses, alliance kinds, levels).
VALUE_ZH = {
    "official": "官方",
    "estimated": "估算",
    "synthetic": "模拟",
    "county_medical_community": "县域医共体",
    "urban_medical_group": "城市医疗集团",
    "specialty_alliance": "专科联盟",
    "telemedicine": "远程医疗协作网",
    "county": "全县",
    "township": "乡镇",
    "village": "村",
}


def _value_en() -> dict[str, str]:
    """Chinese words of the data shown in tables, in English (facility types)."""
    from tcmcounty.schema import VOCABULARIES

    out = {}
    for aliases in VOCABULARIES["facility_type"].values():
        en = [a for a in aliases if a.isascii() and " " in a]
        if en:
            out[aliases[0]] = en[0]
    return out


#: Chinese words of the data shown in tables, in English (``村卫生室`` → ``village clinic``).
VALUE_EN = _value_en()


def _split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside round brackets (ASCII or full-width)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth = max(depth - 1, 0)
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
            i = start
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _lower_letters(s: str) -> int:
    return sum("a" <= ch <= "z" for ch in s)


def pick(text: object, lang: str) -> str:
    """Keep one language of a bilingual text for a ``zh`` or ``en`` report (unchanged for ``zh-en``).

    Understands the package's two bilingual forms: ``"中文 / English"`` (either order; the
    Chinese side is the one with fewer lower-case ASCII letters) and ``"中文 English"`` (a Chinese
    part, then an English part without CJK, as in ``"张/千人 beds per 1,000"``). Texts joined by
    ``"; "`` are picked part by part. Other text is returned as it is.

    Parameters
    ----------
    text : object
        The text (``str()`` of it).
    lang : {"zh-en", "zh", "en"}
        Report language.

    Returns
    -------
    str

    Examples
    --------
    >>> pick("张床位 / beds", "zh"), pick("张床位 / beds", "en")
    ('张床位', 'beds')
    >>> pick("张/千人 beds per 1,000", "zh"), pick("是 yes", "en"), pick("村卫生室", "en")
    ('张/千人', 'yes', 'village clinic')
    """
    s = "" if text is None else str(text)
    if lang not in ("zh", "en") or not s:
        return s
    if lang == "zh" and s in VALUE_ZH:
        return VALUE_ZH[s]
    if lang == "en" and s in VALUE_EN:
        return VALUE_EN[s]
    sides = _split_top(s, " / ")
    if len(sides) == 2 and any(_CJK.search(x) for x in sides):
        a, b = (x.strip() for x in sides)
        zh, en = (a, b) if _lower_letters(a) <= _lower_letters(b) else (b, a)
        if _CJK.search(en) and not _CJK.search(zh):
            zh, en = en, zh
        return zh if lang == "zh" else en
    if len(sides) > 2:
        parts = _split_top(s, "; ")
        if len(parts) > 1:
            return ("；" if lang == "zh" else "; ").join(pick(p, lang) for p in parts)
    if s.startswith("% ") and not _CJK.search(s):  # "% of required departments"
        return "%" if lang == "zh" else s
    m = _ZH_THEN_EN.match(s)
    if m:
        return m["zh"].strip() if lang == "zh" else m["en"].strip()
    return s


_CITE = re.compile(r"\b([A-Z][A-Za-z]+(?:(?:, |,? &amp; )[A-Z][A-Za-z]+)* (?:1[89]|20)\d{2})\b")


_METHOD_NAMES = re.compile(r"\b(spopt MCLP|E?2SFCA)\b")
#: A document's title as written, in title marks (《中华人民共和国中医药法》): a citation.
_TITLE = re.compile(r"《[^《》<>]{1,80}》")


#: A Chinese document number (文号: ``国卫人发〔2022〕27号``).
_DOC_NUMBER = r"[\u4e00-\u9fff]{2,12}〔\d{4}〕\d+号"
#: Chinese that an English text cites as the document wrote it: a quotation in Chinese
#: (``“城乡每万名居民有……”``), a title in 《》 with its document number beside it, a document
#: number on its own. One pass, leftmost first, so a title quoted inside a quotation stays in it.
_ZH_CITE = re.compile(
    r"“(?=[^“”<>]*[\u3400-\u9fff])[^“”<>]*”"
    rf"|《[^《》<>]{{1,80}}》(?:\s?[(（]{_DOC_NUMBER}[)）])?"
    rf"|{_DOC_NUMBER}"
)


def cite_chinese(html_text: str) -> str:
    """Mark the Chinese an English text cites (titles, document numbers, quotations) as ``tcm-cite``.

    Examples
    --------
    >>> cite_chinese("《“十四五”中医药发展规划》 (国办发〔2022〕5号) [x]: “建设中医馆”")
    "<span class='tcm-cite'>《“十四五”中医药发展规划》 (国办发〔2022〕5号)</span> [x]: <span class='tcm-cite'>“建设中医馆”</span>"
    """
    return _ZH_CITE.sub(lambda m: span(m[0], "tcm-cite"), html_text)


def mark_cites(html_text: str, lang: str = "zh") -> str:
    """Mark citations (``Teitz &amp; Bart 1968``, ``《…》`` titles) and method names in escaped HTML.

    In an English text (``lang="en"``) the document's own Chinese words are citations too:
    document numbers (``安府办函〔2023〕12号``) and quotations in Chinese (``“…”``) besides titles.

    Examples
    --------
    >>> mark_cites("贪心算法（Minoux 1978）")
    "贪心算法（<span class='tcm-cite'>Minoux 1978</span>）"
    >>> mark_cites("meet 《综合医院中医临床科室基本标准》")
    "meet <span class='tcm-cite'>《综合医院中医临床科室基本标准》</span>"
    >>> mark_cites("as quoted in 安府办函〔2023〕12号, item 6: “建设中医馆”", "en")
    "as quoted in <span class='tcm-cite'>安府办函〔2023〕12号</span>, item 6: <span class='tcm-cite'>“建设中医馆”</span>"
    """
    out = _CITE.sub(lambda m: span(m[1], "tcm-cite"), html_text)
    out = cite_chinese(out) if lang == "en" else _TITLE.sub(lambda m: span(m[0], "tcm-cite"), out)
    return _METHOD_NAMES.sub(lambda m: span(m[1], "tcm-name"), out)


def span(text: str, css: str) -> str:
    """Wrap already-escaped HTML in a ``<span>`` of class ``css`` (``tcm-name``, ``tcm-cite``)."""
    return f"<span class='{esc(css)}'>{text}</span>"


#: Columns of report tables that hold names from the county's data (townships, villages,
#: facilities, alliances): shown through :func:`name_html`.
NAME_COLUMNS = frozenset(
    {
        "name",
        "township",
        "township_name",
        "village_name",
        "facility_name",
        "nearest_name",
        "serving_names",
        "other_alliances",
        "alliance_name",
        "lead_name",
    }
)
#: Separators of a list of names in one cell (``；`` in the worklists).
_NAME_LIST = re.compile(r"\s*[；;、]\s*")


def name_html(name: object, lang: str) -> str:
    """Show a name from the county's data (place, facility, alliance) in a report's language.

    A ``zh`` report shows the characters as they are. An ``en`` report shows the name in
    Latin letters (:func:`tcmcounty.placenames.place_pinyin`) with the characters beside it in
    brackets, a ``zh-en`` report the characters then the Latin letters; both in an element of
    class ``tcm-name``. A name without Chinese characters is shown as it is; a list of names
    (``；``, ``;`` or ``、`` between them) name by name.

    Parameters
    ----------
    name : object
        The name (``str()`` of it); ``None`` gives an empty string.
    lang : {"zh-en", "zh", "en"}
        Report language.

    Returns
    -------
    str
        Escaped HTML.

    Examples
    --------
    >>> name_html("岳阳镇", "zh")
    '岳阳镇'
    >>> name_html("岳阳镇", "en")
    "<span class='tcm-name'>Yueyang Town (岳阳镇)</span>"
    >>> name_html("岳阳镇", "zh-en")
    "<span class='tcm-name'>岳阳镇 <span class='tcm-en'>Yueyang Town</span></span>"
    """
    from tcmcounty.placenames import place_pinyin

    text = "" if name is None else str(name)
    if lang == "zh" or not _CJK.search(text) or _lower_letters(text):  # bilingual text: no name
        return esc(text)
    names = [n for n in _NAME_LIST.split(text) if n]
    if len(names) > 1:
        return ("; " if lang == "en" else "；").join(name_html(n, lang) for n in names)
    latin = place_pinyin(text)
    if lang == "en":
        return span(f"{esc(latin)} ({esc(text)})", "tcm-name")
    return span(f"{esc(text)} <span class='tcm-en'>{esc(latin)}</span>", "tcm-name")


def graded_target(target: object, grade: object, lang: str) -> str:
    """Return a target as every view prints it: its text (one language) and its evidence grade.

    No target (empty or NA) gives ``"—"``; a target always carries its grade
    (:data:`tcmcounty.indicators.model.GRADE_LABELS`), e.g. ``≥ 25% [未核实]`` in a ``zh`` report.

    Examples
    --------
    >>> graded_target("≥ 10%", "verified", "zh"), graded_target("≥ 10%", "verified", "en")
    ('≥ 10% [已核实]', '≥ 10% [verified]')
    >>> graded_target("", "", "zh")
    '—'
    """
    from tcmcounty.indicators.model import grade_label

    if _is_na(target) or not str(target).strip():
        return "—"
    grade = "unverified" if _is_na(grade) or not str(grade) else grade  # a target that does not say
    return f"{pick(target, lang)} [{pick(grade_label(grade), lang)}]"


def area_label(area: object, lang: str) -> str:
    """Return the printed name of an area of the standard in one language (or both).

    Examples
    --------
    >>> area_label("resources", "zh"), area_label("health_management", "en")
    ('资源配置', 'Health management')
    """
    from tcmcounty.indicators.model import AREAS

    return pick(AREAS.get(str(area), str(area)), lang)


def _is_na(v: object) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


class _Row:
    """One row of a frame: ``get(column)`` gives what ``DataFrame.iterrows`` would give.

    Values come from the row of ``DataFrame.values`` (the same array ``iterrows`` builds its
    Series from), so types are the same; the Series itself is built only for a ``row_class``.
    """

    __slots__ = ("_frame", "_label", "_values", "_where")

    def __init__(self, values: Any, where: dict[Any, int], frame: pd.DataFrame, label: Any) -> None:
        self._values, self._where, self._frame, self._label = values, where, frame, label

    def get(self, column: Any) -> Any:
        """Return the row's value in ``column`` (``None`` when there is no such column)."""
        i = self._where.get(column)
        return None if i is None else self._values[i]

    @property
    def series(self) -> pd.Series:
        """The row as ``iterrows`` gives it."""
        return pd.Series(self._values, index=self._frame.columns, name=self._label)


def _rows(df: pd.DataFrame) -> Any:
    """Rows of ``df`` for :func:`table_html`, without building a Series per row."""
    if not df.columns.is_unique:  # a duplicated label: leave ``get`` to pandas
        yield from (series for _, series in df.iterrows())
        return
    where = {c: i for i, c in enumerate(df.columns)}
    for label, values in zip(df.index, df.values, strict=True):
        yield _Row(values, where, df, label)


def table_html(
    df: pd.DataFrame,
    columns: Sequence[tuple[str, str, str]],
    lang: str,
    formats: dict[str, Any] | None = None,
    css: str = "tcm-table",
    row_class: Any = None,
    classes: dict[str, str] | None = None,
    names: frozenset[str] = NAME_COLUMNS,
) -> str:
    """Render ``df`` as an escaped HTML table.

    ``columns`` lists ``(column, zh header, en header)``; ``formats`` maps a column to a
    function returning plain text (escaped here). ``row_class(row)`` may return a CSS class.
    In a ``zh`` or ``en`` report each cell keeps one language of bilingual text (:func:`pick`);
    ``classes`` maps a column to the class of its cells (``tcm-name`` for names and
    identifiers, ``tcm-cite`` for citations and text quoted as written). Cells of the
    ``names`` columns (default :data:`NAME_COLUMNS`) hold names from the county's data and
    are shown by :func:`name_html` (pinyin beside the characters outside ``zh`` reports).
    """
    formats = formats or {}
    classes = classes or {}
    head = "".join(f"<th>{_t(zh, en, lang)}</th>" for _, zh, en in columns)
    body = []
    for r in _rows(df):
        cls = row_class(r.series if isinstance(r, _Row) else r) if row_class else ""
        cells = []
        for col, _, _ in columns:
            v = r.get(col)
            text = (
                formats[col](v)
                if col in formats
                else (
                    "—"
                    if _is_na(v)
                    else (
                        fmt_num(v)
                        if isinstance(v, (int, float)) and not isinstance(v, bool)
                        else str(v)
                    )
                )
            )
            text = pick(text, lang)
            cls_td = classes.get(col)
            shown = name_html(text, lang) if col in names else esc(text)
            cells.append(
                f"<td class='{esc(cls_td)}'>{shown}</td>" if cls_td else f"<td>{shown}</td>"
            )
        body.append(
            f"<tr class='{esc(cls)}'>{''.join(cells)}</tr>" if cls else f"<tr>{''.join(cells)}</tr>"
        )
    return (
        f"<div class='tcm-scroll'><table class='{esc(css)}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


#: Colours of a share against its target: red below (darker further off), green at or above.
_BELOW_STOPS = ((0.0, (165, 0, 38)), (1.0, (253, 174, 97)))
_ABOVE_STOPS = ((0.0, (166, 217, 106)), (1.0, (26, 152, 80)))
#: Colours of a share without a target: a neutral blue ramp (no verdict implied).
_PLAIN_STOPS = ((0.0, (239, 243, 255)), (1.0, (49, 130, 189)))


def _ramp(stops: Sequence[tuple[float, tuple[int, int, int]]], x: float) -> str:
    x = min(max(x, 0.0), 1.0)
    for (x0, c0), (x1, c1) in itertools.pairwise(stops):
        if x <= x1:
            f = 0.0 if x1 == x0 else (x - x0) / (x1 - x0)
            return "#" + "".join(
                f"{round(a + (b - a) * f):02x}" for a, b in zip(c0, c1, strict=True)
            )
    return "#" + "".join(f"{c:02x}" for c in stops[-1][1])


def heat_colour(share: float | None, target: float | None = None) -> str:
    """Colour of a share in [0, 1], centred on its ``target`` (``#e0e0e0`` for missing).

    With a target: red below it (darkest at 0), green at or above it (darkest at 100%), so
    the colour says "meets / does not meet". Without one: a neutral blue ramp.
    """
    if share is None or not isinstance(share, (int, float)) or not math.isfinite(share):
        return "#e0e0e0"
    x = min(max(float(share), 0.0), 1.0)
    if target is None or not math.isfinite(target):
        return _ramp(_PLAIN_STOPS, x)
    t = min(max(float(target), 0.0), 1.0)
    if x < t:
        return _ramp(_BELOW_STOPS, x / t)
    return _ramp(_ABOVE_STOPS, 1.0 if t >= 1.0 else (x - t) / (1.0 - t))


def _dark(colour: str) -> bool:
    """Whether a ``#rrggbb`` background needs white text (relative luminance below 0.4)."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.4


def heat_table_html(
    df: pd.DataFrame,
    label_col: tuple[str, str, str],
    columns: Sequence[tuple[str, str, str]],
    lang: str,
    extra: Sequence[tuple[str, str, str]] = (),
    targets: dict[str, float | None] | None = None,
) -> str:
    """Render a table whose share cells (0–1) are coloured against their target.

    ``label_col`` holds names of areas (shown by :func:`name_html`), ``extra`` columns
    plain numbers; ``columns`` hold shares.
    ``targets`` maps a share column to its target share (0–1): cells below it are red, at or
    above it green (:func:`heat_colour`); columns without a target get a neutral blue ramp.
    """
    head = "".join(f"<th>{_t(zh, en, lang)}</th>" for _, zh, en in (label_col, *extra, *columns))
    rows = []
    for _, r in df.iterrows():
        cells = [f"<td>{name_html(pick(r.get(label_col[0]), lang), lang)}</td>"]
        cells += [f"<td>{esc(fmt_num(r.get(c), 0))}</td>" for c, _, _ in extra]
        for c, _, _ in columns:
            v = r.get(c)
            # (a cell that is not NA is a number: _is_na(None) is True)
            share = None if _is_na(v) else float(cast("SupportsFloat", v))
            colour = heat_colour(share, (targets or {}).get(c))
            dark = _dark(colour)
            cells.append(
                f"<td class='tcm-heat' style='background:{colour};"
                f"color:{'#fff' if dark else '#000'}'>{esc(fmt_pct(v, 0))}</td>"
            )
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<div class='tcm-scroll'><table class='tcm-table tcm-heatmap'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def png_css_size(png: bytes, css_dpi: float = 96.0) -> tuple[int, int] | None:
    """Return the display size (CSS px) of a PNG from its pixel size and recorded DPI.

    A map rendered at 192 dpi (2x) is shown at half its pixel size, so it stays sharp when
    zoomed or on a high-density screen. ``None`` if the bytes are not a PNG.
    """
    if len(png) < 24 or png[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    scale = 1.0
    i = png.find(b"pHYs", 8, 4096)
    if i > 0 and png[i + 12] == 1:  # unit: metre
        dpi = int.from_bytes(png[i + 4 : i + 8], "big") * 0.0254
        scale = max(dpi / css_dpi, 1.0) if dpi > 0 else 1.0
    return round(w / scale), round(h / scale)


def img_html(png: bytes, alt: str, caption: str = "", css: str = "tcm-figure") -> str:
    """Embed PNG bytes as a ``<figure>`` with escaped alt text and caption.

    The ``<img>`` gets ``width`` and ``height`` at the image's 1x size (see
    :func:`png_css_size`): high-resolution maps are shown at their intended size.
    """
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    size = png_css_size(png)
    dims = f" width='{size[0]}' height='{size[1]}'" if size else ""
    return (
        f"<figure class='{esc(css)}'><img src='data:image/png;base64,{data}'{dims} "
        f"alt='{esc(alt)}'/>{cap}</figure>"
    )


def note_html(text: str, css: str = "tcm-note") -> str:
    """Wrap already-escaped HTML text in a paragraph."""
    return f"<p class='{esc(css)}'>{text}</p>"


STATUS_ZH = {"official": "官方", "estimated": "估算", "synthetic": "模拟"}


def banner_html(
    county_status: dict[str, int],
    lang: str,
    see: tuple[str, str, str] | None = ("quality", "数据质量", "data quality"),
) -> str:
    """Return the visible warning shown whenever estimated or synthetic figures are used.

    Parameters
    ----------
    county_status : dict
        Figures and rows by data status (:meth:`County.status_counts`).
    lang : {"zh-en", "zh", "en"}
        Report language.
    see : (anchor, zh title, en title) or None
        The section of the same report that explains the figures (linked); ``None`` for none.
    """
    est, syn = county_status.get("estimated", 0), county_status.get("synthetic", 0)
    if est + syn == 0:
        return ""
    parts = []
    if syn:
        parts.append(
            _t(
                f"{syn} 项为模拟数据（仅供演示，不是该县的事实）",
                f"{syn} figures or rows are synthetic (illustrative only, never facts about the county)",
                lang,
            )
        )
    if est:
        parts.append(
            _t(
                f"{est} 项为估算数据（按文中方法由官方数据推算）",
                f"{est} figures or rows are estimated (derived from official figures by the stated method)",
                lang,
            )
        )
    title = _t(
        "注意：本报告使用了估算或模拟数据",
        "Caution: this report shows estimated or synthetic figures",
        lang,
    )
    return (
        # one paragraph: the first screen keeps room for the verdict and what is missing
        f"<div class='tcm-banner tcm-banner-estimated' role='alert'><strong>⚠ {title}</strong>{': ' if lang == 'en' else '：'}"
        + ("; " if lang == "en" else "；").join(parts)
        + ("." if lang == "en" else "。")
        + (
            f" <a href='#{esc(see[0])}'>{_t(f'详见“{see[1]}”一节。', f'See the {see[2]} section.', lang)}</a>"
            if see
            else ""
        )
        + "</div>"
    )


REPORT_CSS = """
.tcm-report { font-family: "TCM CJK", "TCM CJK 2", "TCM CJK 3", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
  sans-serif; max-width: 1100px; line-height: 1.5; }
.jp-RenderedHTMLCommon .tcm-report table td, .jp-RenderedHTMLCommon .tcm-report table th { text-align: left; }
.jp-RenderedHTMLCommon .tcm-report table { margin-left: 0; }
.tcm-report h1 { font-size: 1.7em; margin: 0.2em 0; }
.tcm-report h2 { border-bottom: 2px solid #2e7d32; padding-bottom: 0.2em; margin-top: 1.4em; }
.tcm-en { color: #555; font-weight: normal; }
.tcm-meta td { padding: 2px 10px 2px 0; }
.tcm-table { border-collapse: collapse; font-size: 0.86em; margin: 0.5em 0; }
.tcm-table th, .tcm-table td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
.tcm-table th { background: #f1f8e9; }
.tcm-scroll { overflow-x: auto; }
tr.tcm-met td { background: #e8f5e9; }
tr.tcm-unmet td { background: #ffebee; }
.tcm-banner { border: 2px solid #e65100; background: #fff3e0; padding: 0.6em 1em; margin: 0.8em 0; }
.tcm-cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 0.5em 0; }
.tcm-card { border: 1px solid #ccc; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.tcm-appx { break-inside: avoid; border-top: 1px solid #ddd; padding: 4px 0; }
.tcm-appx h4 { margin: 0.4em 0 0.2em; } .tcm-appx p { margin: 0.1em 0; }
.tcm-card b { font-size: 1.6em; display: block; }
.tcm-card.met b { color: #2e7d32; } .tcm-card.unmet b { color: #c62828; }
.tcm-figure img { max-width: 100%; height: auto; }
.tcm-figure figcaption { font-size: 0.85em; color: #444; }
.tcm-side { display: flex; flex-wrap: wrap; gap: 12px; }
.tcm-side > figure { flex: 1 1 420px; margin: 0; }
.tcm-note { font-size: 0.9em; color: #333; }
.tcm-unavailable { color: #8d6e63; font-style: italic; }
.tcm-timestamp { font-size: 0.8em; color: #777; }
.tcm-report h3.tcm-area { margin: 1em 0 0.2em; color: #2e7d32; }
.jp-RenderedHTMLCommon .tcm-report td.tcm-heat { text-align: center; min-width: 5em; }
details.tcm-worklist { border: 1px solid #ccc; border-radius: 4px; padding: 2px 8px; margin: 0.4em 0; }
details.tcm-worklist > summary { cursor: pointer; font-weight: bold; padding: 3px 0; }
details.tcm-worklist .tcm-scroll { max-height: 30em; overflow-y: auto; }
details.tcm-worklist thead th { position: sticky; top: 0; }
@media print { details.tcm-worklist .tcm-scroll { max-height: none; overflow: visible; } }
"""

#: Print and PDF: A4 pages; every section but the first starts a page, so page 1 holds the
#: title, the banner and the headline; tables wrap their cells (never clip a column); closed
#: ``<details>`` (worklists, tables by township) are printed open, as paper cannot expand
#: them. JupyterLab's own print CSS keeps each cell output on one page and clips it
#: (``display: table``, ``overflow``), which pushed the headline off page 1 and cut the
#: right-hand columns: the report's outputs are let flow here. Figures print at the full text
#: width, never below their 1x size (their smallest text, 7 pt, prints at 7 pt or more), and
#: figures shown side by side on screen print one under the other: two maps side by side on
#: A4 print their legends at about 4 pt. ``tests/test_print.py``.
PRINT_CSS = """
@page { size: A4; margin: 13mm 12mm 15mm 12mm;
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #777; } }
@media print {
  html, body, .jp-Notebook { background: #fff; }
  .jp-Notebook { padding: 0; overflow: visible; }
  .jp-Notebook .jp-Cell:has(.tcm-report) { padding: 0; }
  .jp-Notebook .jp-Cell.jp-mod-noOutputs.jp-mod-noInput { display: none; }
  .jp-OutputArea-child:has(.tcm-report), .jp-OutputArea-child:has(.tcm-report) > .jp-OutputArea-output {
    display: block; overflow: visible; break-inside: auto; padding: 0; }
  .tcm-report { max-width: none; font-size: 9.5pt; line-height: 1.4; }
  .tcm-report h1 { font-size: 16pt; margin-top: 0; }
  section.tcm-report { break-before: page; }
  section.tcm-report > h2 { margin-top: 0; }
  .jp-Cell:nth-child(1 of .jp-Cell:has(section.tcm-report)) section.tcm-report { break-before: auto; }
  .jp-Cell:nth-child(1 of .jp-Cell:has(section.tcm-report)) section.tcm-report > h2 { margin-top: 0.8em; }
  .tcm-report h2, .tcm-report h3, .tcm-report h4, .tcm-report summary { break-after: avoid; }
  .tcm-scroll, details.tcm-worklist .tcm-scroll { overflow: visible; max-height: none; }
  .jp-RenderedHTMLCommon .tcm-report table.tcm-table { table-layout: auto; max-width: 100%; font-size: 7.5pt; }
  .jp-RenderedHTMLCommon .tcm-report .tcm-table th, .jp-RenderedHTMLCommon .tcm-report .tcm-table td {
    padding: 2px 3px; overflow-wrap: anywhere; min-width: 4.6em; }
  .jp-RenderedHTMLCommon .tcm-report .tcm-table:has(th:nth-child(12)) :is(th, td) { min-width: 0; }
  .jp-RenderedHTMLCommon .tcm-report td.tcm-heat { min-width: 0; }
  .tcm-table thead { display: table-header-group; }
  .tcm-table tr, .tcm-card, .tcm-banner, .tcm-figure { break-inside: avoid; }
  .tcm-figure img { max-height: 215mm; width: auto; }
  figure.tcm-figure, .tcm-side > figure { margin: 0.4em 0; }
  .tcm-side { display: block; }
  .tcm-report kbd { font-size: 0.9em; }
  .tcm-meta td { padding: 0 10px 0 0; }
  .tcm-banner { margin: 0.5em 0; padding: 0.3em 0.8em; }
  .tcm-banner ul { margin: 0.2em 0; }
  .tcm-cards { gap: 6px; }
  .tcm-card { min-width: 0; padding: 2px 10px; }
  .tcm-card b { font-size: 1.35em; }
  .tcm-report details::details-content { content-visibility: visible; }
  .tcm-report details > summary { list-style: none; }
  details.tcm-worklist thead th { position: static; }
  .tcm-report * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
REPORT_CSS += PRINT_CSS


def _section(title_zh: str, title_en: str, lang: str, body: str, anchor: str) -> Html:
    return Html(
        f"<section class='tcm-report' id='{esc(anchor)}'><h2>{_t(title_zh, title_en, lang)}</h2>{body}</section>"
    )


def _unavailable(reason: str, lang: str) -> str:
    """Say that a section could not be computed, and why (``本节无法计算 / could not compute``)."""
    return note_html(
        _t("本节无法计算", "could not compute", lang) + ": " + esc(pick(reason, lang)),
        "tcm-unavailable",
    )


def _png(fig: Any) -> bytes:
    from tcmcounty.reporting import plotting

    return plotting.figure_png(fig)
