"""The notebook side of reports: parameter checks and HTML sections.

:func:`check_parameters` validates a template's parameters in its first cell (a thin call
to :meth:`tcmcounty.reporting.parameters.ReportParameters.from_raw`, the one place they are checked);
:class:`CountyView` and :class:`CompareView` load the results (:mod:`tcmcounty.reporting.results`) and
return each report section as escaped HTML with embedded PNG figures, so the notebooks hold
no computation. Every piece of user text goes through :func:`html.escape`.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import itertools
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import tcmcounty
from tcmcounty.errors import ReportError
from tcmcounty.formatting import fmt_num, fmt_pct
from tcmcounty.readers.sources import supplied_by_user
from tcmcounty.reporting.parameters import LANGUAGES as LANGUAGES
from tcmcounty.reporting.parameters import ReportParameters as ReportParameters

# =============================================================================================
# Parameters


def check_parameters(
    county: object = None,
    population: object = "resident",
    thresholds_km: object = None,
    targets: object = None,
    report_date: object = None,
    language: object = "zh-en",
    results_dir: object = None,
) -> ReportParameters:
    """Validate the parameters of ``county_report.ipynb`` and return them typed.

    Called in the first cell after the ``parameters`` cell, so a wrong parameter stops the
    report at once with a message that says what is wrong and what is expected.

    Raises
    ------
    ReportError
        With a bilingual message naming the parameter.
    """
    return ReportParameters.from_raw(
        county, population, thresholds_km, targets, report_date, language, results_dir
    )


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
    >>> pick("张/千人 beds per 1,000", "zh"), pick("是 yes", "en")
    ('张/千人', 'yes')
    """
    s = "" if text is None else str(text)
    if lang not in ("zh", "en") or not s:
        return s
    if lang == "zh" and s in VALUE_ZH:
        return VALUE_ZH[s]
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


def mark_cites(html_text: str) -> str:
    """Mark author–year citations (``Teitz &amp; Bart 1968``) and method names in escaped HTML.

    Examples
    --------
    >>> mark_cites("贪心算法（Minoux 1978）")
    "贪心算法（<span class='tcm-cite'>Minoux 1978</span>）"
    """
    out = _CITE.sub(lambda m: span(m[1], "tcm-cite"), html_text)
    return _METHOD_NAMES.sub(lambda m: span(m[1], "tcm-name"), out)


def span(text: str, css: str) -> str:
    """Wrap already-escaped HTML in a ``<span>`` of class ``css`` (``tcm-name``, ``tcm-cite``)."""
    return f"<span class='{esc(css)}'>{text}</span>"


def _is_na(v: object) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def table_html(
    df: pd.DataFrame,
    columns: Sequence[tuple[str, str, str]],
    lang: str,
    formats: dict[str, Any] | None = None,
    css: str = "tcm-table",
    row_class: Any = None,
    classes: dict[str, str] | None = None,
) -> str:
    """Render ``df`` as an escaped HTML table.

    ``columns`` lists ``(column, zh header, en header)``; ``formats`` maps a column to a
    function returning plain text (escaped here). ``row_class(row)`` may return a CSS class.
    In a ``zh`` or ``en`` report each cell keeps one language of bilingual text (:func:`pick`);
    ``classes`` maps a column to the class of its cells (``tcm-name`` for names and
    identifiers, ``tcm-cite`` for citations and text quoted as written).
    """
    formats = formats or {}
    classes = classes or {}
    head = "".join(f"<th>{_t(zh, en, lang)}</th>" for _, zh, en in columns)
    body = []
    for _, r in df.iterrows():
        cls = row_class(r) if row_class else ""
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
            cells.append(
                f"<td class='{esc(cls_td)}'>{esc(text)}</td>" if cls_td else f"<td>{esc(text)}</td>"
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


def heat_colour(share: float, target: float | None = None) -> str:
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

    ``label_col`` and ``extra`` columns are shown as plain text; ``columns`` hold shares.
    ``targets`` maps a share column to its target share (0–1): cells below it are red, at or
    above it green (:func:`heat_colour`); columns without a target get a neutral blue ramp.
    """
    head = "".join(f"<th>{_t(zh, en, lang)}</th>" for _, zh, en in (label_col, *extra, *columns))
    rows = []
    for _, r in df.iterrows():
        cells = [f"<td>{esc(pick(r.get(label_col[0]), lang))}</td>"]
        cells += [f"<td>{esc(fmt_num(r.get(c), 0))}</td>" for c, _, _ in extra]
        for c, _, _ in columns:
            v = r.get(c)
            share = None if _is_na(v) else float(v)
            colour = heat_colour(share, (targets or {}).get(c))  # type: ignore[arg-type]
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
        f"<div class='tcm-banner tcm-banner-estimated' role='alert'><strong>⚠ {title}</strong>"
        f"<ul>{''.join(f'<li>{p}</li>' for p in parts)}</ul>"
        + (
            f"<a href='#{esc(see[0])}'>{_t(f'详见“{see[1]}”一节。', f'See the {see[2]} section.', lang)}</a>"
            if see
            else ""
        )
        + "</div>"
    )


REPORT_CSS = """
.tcm-report { font-family: "TCM CJK", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
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
.tcm-card b { font-size: 1.6em; display: block; }
.tcm-card.met b { color: #2e7d32; } .tcm-card.unmet b { color: #c62828; }
.tcm-figure img { max-width: 100%; height: auto; }
.tcm-figure figcaption { font-size: 0.85em; color: #444; }
.tcm-side { display: flex; flex-wrap: wrap; gap: 12px; }
.tcm-side > figure { flex: 1 1 420px; margin: 0; }
.tcm-note { font-size: 0.9em; color: #333; }
.tcm-unavailable { color: #8d6e63; font-style: italic; }
.tcm-timestamp { font-size: 0.8em; color: #777; }
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
#: right-hand columns: the report's outputs are let flow here. ``tests/test_print.py``.
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
  .tcm-meta td { padding: 0 10px 0 0; }
  .tcm-banner { margin: 0.5em 0; padding: 0.3em 0.8em; }
  .tcm-banner ul { margin: 0.2em 0; }
  .tcm-cards { gap: 6px; }
  .tcm-card { min-width: 0; padding: 2px 10px; }
  .tcm-card b { font-size: 1.35em; }
  .tcm-side > figure { flex-basis: 240px; }
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


# =============================================================================================
# County view (used by notebooks/county_report.ipynb)


class CountyView:
    """Sections of a county report, as HTML, from the county's cached results.

    Parameters
    ----------
    params : ReportParameters
        From :func:`check_parameters`.
    """

    #: Figures of the report, drawn once per language (see :meth:`prerender`).
    FIGURES = ("indicators", "map_any", "access_map", "sites_map")

    def __init__(self, params: ReportParameters, results: Any = None) -> None:
        from tcmcounty.reporting import results as R

        self.params = params
        self.lang = params.language
        self.res = (
            results
            if results is not None
            else R.load_results(params.county, strict=False, **params.results_args())
        )
        self.county = self.res.county

    # -- figures -------------------------------------------------------------------------------

    def prerender(self) -> dict[str, bytes | None]:
        """Draw every figure of the report into ``results.figures[language]`` and return them.

        A batch worker calls this before the kernel starts (and caches the results), so the
        kernel embeds the PNGs instead of importing matplotlib and drawing.
        """
        return {name: self._figure(name) for name in self.FIGURES}

    def _figure(self, name: str) -> bytes | None:
        store = self.res.figures.setdefault(self.lang, {})
        if name not in store:
            store[name] = self._draw(name)
        return store[name]

    def _draw(self, name: str) -> bytes | None:
        from tcmcounty.reporting import plotting
        from tcmcounty.reporting import results as R

        lang, c, res = self.lang, self.county, self.res
        fig = None
        if name == "indicators" and res.indicators is not None:
            fig = plotting.indicator_chart(res.indicators, lang=lang)
        elif name == "map_any" and res.nearest is not None:
            d = res.nearest["any_tcm_km"]
            fig = plotting.county_map(
                c.villages,
                d,
                boundary=c.boundary,
                townships=c.townships,
                facilities=c.facilities,
                uncovered=~(d <= self._thr()).to_numpy(),
                threshold_km=self._thr(),
                lang=lang,
            )
        elif name == "access_map" and res.access is not None:
            fig = plotting.value_map(
                c.villages,
                res.access.villages["access_per_1000"],
                boundary=c.boundary,
                facilities=None,
                lang=lang,
                title=("中医药服务可及性（E2SFCA）", "TCM accessibility (E2SFCA)"),
                colorbar=("每千人可及中医类别医师", "TCM physicians per 1,000 residents"),
                target=self._target("T-TCMDOC-1000"),
            )
        elif name == "sites_map" and res.plan is not None and len(res.plan.table):
            sites = R.plan_sites_points(res)
            if sites is not None and len(sites):
                fig = plotting.sites_map(
                    c.villages,
                    sites,
                    boundary=c.boundary,
                    facilities=c.facilities,
                    lang=lang,
                    covered_before=R.covered_by_pavilions(res),
                )
        return None if fig is None else plotting.figure_png(fig)

    # -- helpers ---------------------------------------------------------------------------

    def _target(self, indicator_id: str) -> float | None:
        """County-level lower target of an indicator in its own unit (``None`` if none)."""
        ind = self.res.indicators
        if ind is None or "target_low" not in ind:
            return None
        row = ind[(ind["id"] == indicator_id) & (ind.get("level", "county") == "county")]
        if not len(row) or _is_na(row["target_low"].iloc[0]):
            return None
        return float(row["target_low"].iloc[0])

    def _unavailable(self, step: str) -> str:
        """Return the note of a section whose analysis ``step`` failed, with the reason."""
        return _unavailable(self.res.unavailable.get(step, "not computed / 未计算"), self.lang)

    def _thr(self) -> float:
        """Threshold used to call a village 'uncovered' on maps (the middle threshold)."""
        ths = self.res.thresholds_km
        return ths[len(ths) // 2]

    # -- sections ----------------------------------------------------------------------------

    def header(self) -> Html:
        """Title, parameters, generation time and the estimated-data banner."""
        c, p, lang = self.county, self.params, self.lang
        rows = [
            (_t("行政区划代码", "Administrative code", lang), esc(c.adcode)),
            (_t("所属", "Province / city", lang), esc(f"{c.province} {c.city}".strip())),
            (_t("报告日期", "Report date", lang), esc(p.report_date.isoformat())),
            (
                _t("人口口径", "Population basis", lang),
                _t("常住人口", "resident population", lang)
                if p.population == "resident"
                else _t("户籍人口", "registered population", lang),
            ),
            (
                _t("覆盖距离阈值", "Coverage thresholds", lang),
                esc(", ".join(f"{t:g} km" for t in p.thresholds_km)),
            ),
            (
                _t("目标值", "Targets", lang),
                span(esc(Path(p.targets).name), "tcm-name")
                if p.targets
                else span("national-2025", "tcm-name") + _t("（默认）", " (default)", lang),
            ),
            (_t("数据年份", "Reference year", lang), esc(c.reference_year or "—")),
        ]
        if supplied_by_user(c.sources):
            what = esc(c.path.name if c.path is not None else "")
            rows.append(
                (
                    _t("数据提供", "Data supplied by", lang),
                    _t(
                        f"县里提供（{what}，未附数据来源表）",
                        f"the county ({what}; no sources sheet)",
                        lang,
                    ),
                )
            )
        meta = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        title = _lbl(
            esc(c.name_zh) + " " + _t("基层中医药工作示范县评估报告", "", "zh"),
            esc(c.name_en) + " — primary-level TCM demonstration county report",
            lang,
        )
        return Html(
            f"<style>{REPORT_CSS}</style><div class='tcm-report'><h1>{title}</h1>"
            f"<table class='tcm-meta'>{meta}</table>"
            f"<div class='tcm-timestamp' data-tcm-timestamp='1'>{_t('生成时间', 'Generated', lang)}: "
            f"{esc(stamp)} · tcmcounty {esc(tcmcounty.__version__)}</div>"
            f"{banner_html(c.status_counts(), lang)}</div>"
        )

    def headline(self) -> Html:
        """Targets met / not met, with the need to close each gap."""
        lang, h = self.lang, self.res.headline()
        cards = (
            f"<div class='tcm-card met'><b>{h['n_met']}</b>{_t('项达标', 'targets met', lang)}</div>"
            f"<div class='tcm-card unmet'><b>{h['n_unmet']}</b>{_t('项未达标', 'targets not met', lang)}</div>"
            f"<div class='tcm-card'><b>{h['n_no_verdict']}</b>{_t('项无法判定', 'no verdict (data missing)', lang)}</div>"
        )
        if h["coverage_share"] is not None:
            km = float(h["coverage_threshold_km"] or 0)
            cards += (
                f"<div class='tcm-card'><b>{esc(fmt_pct(h['coverage_share']))}</b>"
                f"{_t(f'居民 {km:g} 公里内有中医药服务', f'residents within {km:g} km of a TCM service', lang)}</div>"
            )
        if h.get("alliance_share") is not None:
            cards += (
                f"<div class='tcm-card' data-tcm-headline='alliance_share'>"
                f"<b>{esc(fmt_pct(h['alliance_share']))}</b>"
                f"{_t('居民由县级中医医院牵头医联体覆盖 (T-YLT)', 'residents covered by alliances led by the county TCM hospital (T-YLT)', lang)}</div>"
            )
        if h["sites_recommended"] is not None:
            cards += (
                f"<div class='tcm-card'><b>{h['sites_recommended']}</b>"
                f"{_t('个推荐新建中医阁', 'new 中医阁 sites recommended', lang)}</div>"
            )
        items = []
        for u in h["unmet"]:
            need = (
                ""
                if u["need"] is None
                else f"{fmt_num(u['need'], 0)} {pick(u['need_unit'] or '', lang)}".strip()
            )
            label = _lbl(esc(u["name_zh"]), esc(u["name_en"]), lang)
            items.append(
                f"<li>{label}: {esc(u.get('value_text') or fmt_num(u['value']))}"
                f"{'%' if u.get('unit') == '%' else ''} → "
                f"{_t('目标', 'target', lang)} {esc(pick(u['target'], lang))}"
                + (f"; <strong>{_t('需增加', 'need', lang)} {esc(need)}</strong>" if need else "")
                + "</li>"
            )
        body = f"<div class='tcm-cards'>{cards}</div>"
        if items:
            body += f"<p>{_t('未达标指标及缺口：', 'Targets not met and what it takes to meet them:', lang)}</p><ul>{''.join(items)}</ul>"
        return _section("概要", "Headline", lang, body, "headline")

    def indicators(self) -> Html:
        """Show the indicator table and chart against targets."""
        lang, ind = self.lang, self.res.indicators
        if ind is None:
            return _section(
                "指标",
                "Indicators",
                lang,
                self._unavailable("indicators"),
                "indicators",
            )

        def verdict(v: object) -> str:
            return "—" if _is_na(v) else ("✓ 达标 met" if bool(v) else "✗ 未达标 not met")

        def row_class(r: pd.Series) -> str:
            m = r.get("met")
            return "" if _is_na(m) else ("tcm-met" if bool(m) else "tcm-unmet")

        cols = [
            ("id", "编号", "id"),
            ("name_zh", "指标", "indicator"),
            ("name_en", "英文名", "name"),
            ("value_text", "数值", "value"),
            ("unit", "单位", "unit"),
            ("target", "目标", "target"),
            ("met", "判定", "verdict"),
            ("need", "缺口", "need"),
            ("need_unit", "缺口单位", "need unit"),
            ("input_status", "数据状态", "data status"),
            ("reason", "说明", "note"),
        ]
        if lang == "zh":
            cols = [c for c in cols if c[0] != "name_en"]
        if lang == "en":
            cols = [c for c in cols if c[0] != "name_zh"]
        table = table_html(
            ind, cols, lang, {"met": verdict, "need": lambda v: fmt_num(v, 0)}, row_class=row_class
        )
        chart = img_html(
            self._figure("indicators") or b"",
            f"{self.county.name_zh} indicators against targets",
            _t(
                "各指标占目标值的百分比（绿色达标、红色未达标、灰色无法判定）",
                "Each indicator as a percentage of its target (green met, red not met, grey no verdict)",
                lang,
            ),
        )
        sets = ", ".join(
            sorted({str(s) for s in ind.get("target_set", pd.Series(dtype=str)).dropna()})
        )
        note = note_html(
            _t("目标值集：", "Target set: ", lang) + span(esc(sets or "—"), "tcm-name")
        )
        return _section(
            "指标与目标", "Indicators against targets", lang, table + chart + note, "indicators"
        )

    def facilities(self) -> Html:
        """Facility shares (中医馆 / TCM-capable clinics / 中医阁) and population coverage per township."""
        from tcmcounty.reporting import results as R

        lang = self.lang
        shares = R.facility_shares(self.county)
        share_cols = [
            ("hall_share", "卫生院/社区中心有中医馆", "THC/CHC with 中医馆"),
            ("tcm_clinic_share", "村卫生室/服务站提供中医药", "clinics/stations providing TCM"),
            ("pavilion_share", "村卫生室/服务站有中医阁", "clinics/stations with 中医阁"),
        ]
        counts = [
            ("n_centres", "卫生院/社区中心数", "THC/CHC"),
            ("n_clinics", "村卫生室/服务站数", "clinics/stations"),
        ]
        body = (
            "<h3>"
            + _t("中医药服务机构比例（按乡镇）", "Facilities offering TCM, by township", lang)
            + "</h3>"
        )
        ids = {
            "hall_share": "T-ZYG-HALL",
            "tcm_clinic_share": "T-VC-TCM",
            "pavilion_share": "T-ZYG-PAV",
        }
        targets = {
            c: (None if (t := self._target(ids[c])) is None else t / 100.0)
            for c, _, _ in share_cols
        }
        body += heat_table_html(
            shares, ("township", "乡镇", "township"), share_cols, lang, counts, targets
        )
        shown = [
            f"{_t(zh, en, lang)} ≥ {100 * t:g}%"
            for c, zh, en in share_cols
            if (t := targets[c]) is not None
        ]
        body += note_html(
            _t(
                "比例以机构数计（不是人口）；颜色以目标为界：红色未达目标（越深越远），绿色达到目标。",
                "Shares count facilities, not people; colours are centred on the target: red below it "
                "(darker further off), green at or above it.",
                lang,
            )
            + (" " + _t("目标：", "Targets: ", lang) + "; ".join(shown) if shown else "")
        )
        cov = self.res.coverage.get("any_tcm")
        if cov is None:
            return _section(
                "机构覆盖",
                "Facility coverage",
                lang,
                body + self._unavailable("coverage"),
                "facilities",
            )
        tt = R.coverage_by_township(self.res)
        body += (
            "<h3>"
            + _t(
                "居民到最近中医药服务的距离覆盖（按乡镇）",
                "Residents within reach of any TCM service, by township",
                lang,
            )
            + "</h3>"
        )
        body += heat_table_html(
            tt,
            ("name", "乡镇", "township"),
            [
                (f"covered_share_{t.label}", f"{t.label} 内", f"within {t.label}")
                for t in cov.thresholds
            ],
            lang,
            [("pop_total", "人口", "population")],
        )
        body += note_html(
            _t(
                "直线距离；任一中医药服务（中医阁、提供中医药的村卫生室、中医馆、县中医医院）；按人口计。",
                "Straight-line distance to any TCM service (中医阁, clinic providing TCM, 中医馆, county "
                "TCM hospital); shares of residents.",
                lang,
            )
        )
        return _section(
            "机构与覆盖（按乡镇）", "Facility coverage by township", lang, body, "facilities"
        )

    def maps(self) -> Html:
        """Map villages coloured by distance to the nearest TCM service, facilities by type."""
        lang, c, res = self.lang, self.county, self.res
        if res.nearest is None:
            return _section(
                "地图",
                "Maps",
                lang,
                self._unavailable("coverage"),
                "maps",
            )
        thr = self._thr()
        figs = []
        figs.append(
            img_html(
                self._figure("map_any") or b"",
                f"Map of {c.name_en}: distance to the nearest TCM service",
                _t(
                    f"村按到最近中医药服务的直线距离着色；红圈：{thr:g} 公里内无中医药服务的村。",
                    f"Villages coloured by straight-line distance to the nearest TCM service; red rings: "
                    f"no TCM service within {thr:g} km.",
                    lang,
                ),
            )
        )
        return _section(
            "地图", "Maps", lang, f"<div class='tcm-side'>{''.join(figs)}</div>", "maps"
        )

    def alliances(self) -> Html:
        """Medical-alliance (医联体/医共体) coverage: ``T-YLT``'s figure, rule and denominator."""
        lang, al = self.lang, self.res.alliance
        if al is None:
            return _section(
                "医联体覆盖",
                "Alliance coverage",
                lang,
                self._unavailable("coverage"),
                "alliances",
            )
        t = al.table()
        cols = [
            ("id", "编号", "id"),
            ("name", "名称", "name"),
            ("kind", "类型", "kind"),
            ("tcm_led", "县中医院牵头", "TCM-led"),
            ("n_members", "成员数", "members"),
            ("n_villages", "覆盖村数", "villages"),
            ("pop_covered", "覆盖人口", "population covered"),
            ("covered_share", "覆盖比例", "share"),
            ("meets_target", "达到目标", "meets target"),
        ]

        def yes_no(v: object) -> str:
            return "—" if _is_na(v) else ("✓" if bool(v) else "✗")

        body = (
            f"<p data-tcm-alliance-share='{esc('' if al.share is None else repr(al.share))}'>"
            + _t(
                "县级中医医院牵头医联体覆盖人口比例（T-YLT）：",
                "Covered by alliances led by the county TCM hospital (T-YLT): ",
                lang,
            )
            + f"<b>{esc(fmt_pct(al.share))}</b> · {_t('目标', 'target', lang)} "
            + f"{esc(pick(al.target_text or '—', lang))} · {esc(pick(al.verdict(), lang))}</p>"
        )
        body += table_html(
            t,
            cols,
            lang,
            {
                "covered_share": fmt_pct,
                "pop_covered": lambda v: fmt_num(v, 0),
                "tcm_led": yes_no,
                "meets_target": yes_no,
            },
            classes={"id": "tcm-name"},
        )
        body += note_html(
            _t(
                "只有县级中医医院牵头的医联体计入目标（力争覆盖人口 ≥ 30%），合计即指标 T-YLT；其他医联体列出但不判定，"
                "“任一医联体”一行仅供参考。一个村由其村卫生室/社区卫生服务站（无则乡镇卫生院/社区卫生服务中心）所属的医联体覆盖。"
                f"分母：{pick(al.denominator_definition, 'zh')}。",
                "Only alliances led by the county TCM hospital count for the target (cover ≥ 30% of residents); "
                "their total is indicator T-YLT. Other alliances are listed, not judged; the 'any alliance' row is "
                "for reference only. A village counts as covered when its clinic / community station (or, lacking "
                f"one, its township health centre) is a member. Denominator: {pick(al.denominator_definition, 'en')}.",
                lang,
            )
        )
        if al.reason:
            body += note_html(esc(pick(al.reason, lang)), "tcm-unavailable")
        if len(self.county.alliances) == 0:
            body += note_html(
                _t("未报告医联体。", "No alliance reported.", lang), "tcm-unavailable"
            )
        return _section("医联体覆盖", "Medical-alliance coverage", lang, body, "alliances")

    def access(self) -> Html:
        """Show accessibility (E2SFCA) per township and its equity (Gini, share with no access)."""
        from tcmcounty.reporting import results as R

        lang, res, c = self.lang, self.res, self.county
        if res.access is None:
            return _section(
                "可及性与公平性",
                "Accessibility and equity",
                lang,
                self._unavailable("access"),
                "access",
            )
        acc = res.access
        s = R.ACCESS_SETTINGS
        body = note_html(
            _t(
                f"方法：E2SFCA（高斯距离衰减，半径 {s['radius']}），供给为中医类别执业（助理）医师数，结果为每千居民可及的中医类别医师数。",
                f"Method: E2SFCA (Gaussian decay, radius {s['radius']}); supply = TCM-category physicians; result = "
                "TCM physicians reachable per 1,000 residents.",
                lang,
            ).replace("E2SFCA", span("E2SFCA", "tcm-name"))
        )
        county_row = acc.table("county")
        cols = [
            ("access_per_1000", "每千人可及中医师", "TCM physicians per 1,000"),
            ("share_no_access", "无可及服务人口比例", "share with no access"),
            ("gini_villages", "村间基尼系数", "Gini across villages"),
            ("gini_townships", "乡镇间基尼系数", "Gini across townships"),
        ]
        body += table_html(
            county_row,
            [cc for cc in cols if cc[0] in county_row],
            lang,
            {
                "share_no_access": fmt_pct,
                "access_per_1000": lambda v: fmt_num(v, 3),
                "gini_villages": lambda v: fmt_num(v, 3),
                "gini_townships": lambda v: fmt_num(v, 3),
            },
        )
        tw = acc.table("township")
        tcols = [
            ("name", "乡镇", "township"),
            ("pop_total", "人口", "population"),
            ("access_per_1000", "每千人可及中医师", "per 1,000"),
            ("share_no_access", "无可及比例", "no access"),
            ("gini_villages", "村间基尼", "Gini"),
        ]
        body += (
            "<details><summary>"
            + _t("各乡镇可及性", "Accessibility by township", lang)
            + "</summary>"
        )
        body += (
            table_html(
                tw,
                tcols,
                lang,
                {
                    "share_no_access": fmt_pct,
                    "pop_total": lambda v: fmt_num(v, 0),
                    "access_per_1000": lambda v: fmt_num(v, 3),
                    "gini_villages": lambda v: fmt_num(v, 3),
                },
            )
            + "</details>"
        )
        if res.equity is not None:
            ecols = [
                ("unit", "单位", "unit"),
                ("n", "数量", "n"),
                ("mean", "人口加权均值", "weighted mean"),
                ("gini", "基尼系数", "Gini"),
            ]
            body += table_html(
                res.equity,
                ecols,
                lang,
                {"mean": lambda v: fmt_num(v, 3), "gini": lambda v: fmt_num(v, 3)},
            )
        body += img_html(
            self._figure("access_map") or b"",
            f"Accessibility map of {c.name_en}",
            _t(
                "村按可及性（E2SFCA）着色。", "Villages coloured by E2SFCA accessibility.", lang
            ).replace("E2SFCA", span("E2SFCA", "tcm-name")),
        )
        return _section("可及性与公平性", "Accessibility and equity", lang, body, "access")

    def sites(self) -> Html:
        """Recommended 中医阁 sites (greedy maximal covering) with a map."""
        lang, plan, c = self.lang, self.res.plan, self.county
        if plan is None:
            return _section(
                "推荐中医阁选址",
                "Recommended 中医阁 sites",
                lang,
                self._unavailable("plan"),
                "sites",
            )
        pairs = zip(plan.planner_lines("zh"), plan.planner_lines("en"), strict=True)
        lines = [_t(zh, en, lang) for zh, en in pairs]
        lines += [esc(pick(w, lang)) for w in plan.warnings]
        body = f"<ul class='tcm-note'>{''.join(f'<li>{x}</li>' for x in lines)}</ul>"
        body += note_html(
            _t("选址方法见", "How the sites are chosen: see the ", lang)
            + f"<a href='#appendix'>{_t('方法附录', 'methods appendix', lang)}</a>"
            + _t("。", ".", lang)
        )
        t = plan.table
        if len(t):
            cols = [
                ("rank", "序号", "rank"),
                ("facility_name", "机构", "facility"),
                ("village_name", "村", "village"),
                ("township_name", "乡镇", "township"),
                ("new_population", "新增覆盖人口", "newly covered"),
                ("covered_share", "累计覆盖比例", "cumulative share"),
            ]
            body += table_html(
                t,
                [cc for cc in cols if cc[0] in t],
                lang,
                {"covered_share": fmt_pct, "new_population": lambda v: fmt_num(v, 0)},
            )
            png = self._figure("sites_map")
            if png:
                body += img_html(
                    png,
                    f"Recommended 中医阁 sites in {c.name_en}",
                    _t(
                        "编号为推荐顺序；蓝点为已被现有中医阁覆盖的村。",
                        "Numbers give the order of choice; blue villages are already covered by a 中医阁.",
                        lang,
                    ),
                )
        else:
            body += note_html(
                _t(
                    "无需新增中医阁，或没有候选村卫生室。",
                    "No new 中医阁 needed, or no candidate clinic.",
                    lang,
                )
            )
        return _section("推荐中医阁选址", "Recommended 中医阁 sites", lang, body, "sites")

    #: Worklists with at most this many rows are shown open; longer ones start collapsed.
    WORKLIST_OPEN_ROWS = 15

    def worklist_file(self) -> str:
        """Name of the worklist workbook written beside this report (``<name>-worklist.xlsx``)."""
        from tcmcounty.reporting.records import output_name
        from tcmcounty.reporting.worklists import worklist_file_name

        return worklist_file_name(output_name(self.county.path or self.params.county))

    def _target_text(self, ids: Sequence[str]) -> str:
        """Return ``"ID value → target mark"`` for the indicators a worklist serves."""
        ind = self.res.indicators
        if ind is None or not ids:
            return ""
        rows = ind.set_index("id")
        parts = []
        for i in ids:
            if i not in rows.index:
                continue
            r = rows.loc[i]
            mark = "—" if _is_na(r.get("met")) else ("✓" if bool(r.get("met")) else "✗")
            value = r.get("value_text")
            unit = "%" if r.get("unit") == "%" else ""
            target = pick(r.get("target"), self.lang)
            parts.append(f"{i} {'—' if _is_na(value) else value}{unit} → {target} {mark}")
        return "; ".join(parts)

    def worklist(self) -> Html:
        """Worklists (整改清单): the named units to act on, one collapsible list per action.

        Each list is a ``<details>`` element: the rows are in the page even when it is closed,
        so the browser's find-in-page (Ctrl-F) finds a clinic or village by name and opens the
        list (HTML find-in-page, Chromium 97+, Firefox 139+); no script is needed. The same
        lists are in ``<name>-worklist.xlsx`` beside the report, one sheet per action.

        Examples
        --------
        >>> from tcmcounty.reporting import views
        >>> v = views.CountyView(views.check_parameters("wenxi"))
        >>> html = v.worklist()
        >>> "<details" in html and "140823-wenxi-worklist.xlsx" in html
        True
        """
        from tcmcounty.reporting.worklists import worklists

        lang = self.lang
        fmt = {
            "population": lambda v: fmt_num(v, 0),
            "new_population": lambda v: fmt_num(v, 0),
            "covered_share": fmt_pct,
            "pavilion_share": fmt_pct,
            "distance_km": lambda v: fmt_num(v, 2),
            "need": lambda v: fmt_num(v, 0),
            "rank": lambda v: fmt_num(v, 0),
        }
        file = self.worklist_file()
        body = note_html(
            _t(
                "以下清单列出每项未达标或部分达标目标需要整改的具体机构和村；可用浏览器“查找”（Ctrl-F）搜索名称。"
                "全部清单另存为 Excel 文件：",
                "The lists below name the facilities and villages to act on for each target; search "
                "them by name with the browser's find (Ctrl-F). All lists as an Excel workbook: ",
                lang,
            )
            .replace("Ctrl-F", "<kbd>Ctrl-F</kbd>")
            .replace("Excel", span("Excel", "tcm-name"))
            + f"<a href='{esc(file)}' download>{span(esc(file), 'tcm-name')}</a>"
        )
        for w in worklists(self.res):
            n = len(w)
            title = _t(w.title_zh, w.title_en, lang)
            count = _t(f"{n} 项", f"{n} rows", lang)
            targets = self._target_text(w.target_ids)
            summary = f"{title} — {count}" + (
                f" <span class='tcm-en'>({esc(targets)})</span>" if targets else ""
            )
            rule = note_html(_t(w.rule_zh, w.rule_en, lang))
            inner = (
                table_html(w.frame, w.columns, lang, fmt)
                if n
                else note_html(_t("无需整改的项目。", "Nothing to act on.", lang))
            )
            is_open = " open" if n <= self.WORKLIST_OPEN_ROWS else ""
            body += (
                f"<details class='tcm-worklist' id='worklist-{esc(w.action_id)}'{is_open}>"
                f"<summary>{summary}</summary>{rule}{inner}</details>"
            )
        return _section("整改清单", "Worklists: what to fix", lang, body, "worklist")

    def timetable(self) -> Html:
        """Show the county plan's milestones against the report date."""
        from tcmcounty.plans import plan_of
        from tcmcounty.reporting import results as R

        lang, c = self.lang, self.county
        plan = plan_of(c)
        if plan is None:
            return _section(
                "创建时间表",
                "Plan timetable",
                lang,
                note_html(
                    _t(
                        "本县没有收录创建方案时间表。",
                        "No creation-plan timetable is on file for this county.",
                        lang,
                    ),
                    "tcm-unavailable",
                ),
                "timetable",
            )
        tt = R.timetable(plan, self.params.report_date)
        cols = [
            ("phase_zh", "阶段", "phase"),
            ("phase_en", "Phase", "phase (en)"),
            ("start", "开始", "start"),
            ("end", "结束", "end"),
            ("state_zh", "状态", "state"),
            ("days_to_end", "距结束天数", "days to end"),
            ("tasks_zh", "任务", "tasks"),
        ]
        has_en = bool((tt["phase_en"].astype(str).str.strip() != "").any())
        if not has_en or lang == "zh":  # a county's own timetable is often in Chinese only
            cols = [cc for cc in cols if cc[0] != "phase_en"]
        if lang == "en" and has_en:
            cols = [cc for cc in cols if cc[0] not in ("phase_zh", "tasks_zh")] + [
                ("tasks_en", "任务", "tasks")
            ]

        def rc(r: pd.Series) -> str:
            return {"done": "", "current": "tcm-met", "upcoming": ""}.get(str(r.get("state")), "")

        about = "，".join(
            esc(x)
            for x in (plan.document_number, plan.issuer, plan.issued and plan.issued.isoformat())
            if x
        )
        body = note_html(f"{esc(plan.title_zh)}（{about}）" if about else esc(plan.title_zh))
        body += table_html(tt, cols, lang, {"days_to_end": lambda v: fmt_num(v, 0)}, row_class=rc)
        body += note_html(
            _t("来源：", "Source: ", lang)
            + span(esc(plan.source), "tcm-cite")
            + (f"<br>{esc(pick(plan.note, lang))}" if plan.note else "")
        )
        body += note_html(
            _t(
                f"报告日期 {self.params.report_date.isoformat()}；仅按月份给出的阶段取该月首日至末日。",
                f"Report date {self.params.report_date.isoformat()}; phases given by month run from the "
                "first to the last day of the month.",
                lang,
            )
        )
        return _section("创建方案时间表", "Plan timetable", lang, body, "timetable")

    def quality(self) -> Html:
        """Show data quality: statuses, estimated figures, sources and licences, warnings."""
        from tcmcounty.reporting import results as R

        lang, c, res = self.lang, self.county, self.res
        counts = c.status_counts()
        body = banner_html(counts, lang, see=None)
        body += note_html(
            _t("数据状态计数：", "Figures and rows by status: ", lang)
            + esc(
                ("，" if lang == "zh" else ", ").join(
                    f"{_lbl(STATUS_ZH[k], k, lang) if lang != 'zh-en' else STATUS_ZH[k] + ' ' + k} {v}"
                    for k, v in counts.items()
                )
            )
        )
        st = R.status_table(c)
        body += table_html(
            st,
            [
                ("table", "表", "table"),
                ("column", "列", "column"),
                ("official", "官方", "official"),
                ("estimated", "估算", "estimated"),
                ("synthetic", "模拟", "synthetic"),
                ("not_reported", "未报告", "not reported"),
            ],
            lang,
            classes={"table": "tcm-name", "column": "tcm-name"},
        )
        est = R.estimated_figures(c)
        if len(est):
            body += (
                "<h3>" + _t("估算与模拟的数字", "Estimated and synthetic figures", lang) + "</h3>"
            )
            body += table_html(
                est,
                [
                    ("key", "项目", "figure"),
                    ("value", "数值", "value"),
                    ("status", "状态", "status"),
                    ("year", "年份", "year"),
                    ("source", "来源", "source"),
                    ("method", "方法", "method"),
                ],
                lang,
                {"year": lambda v: "—" if _is_na(v) else str(int(v))},
                classes={"key": "tcm-name", "source": "tcm-name", "method": "tcm-cite"},
            )
            body += note_html(
                _t(
                    "“方法”一栏为数据包中记录的推算过程原文。估算的县级总数＝全国比值 × 该县人口，"
                    "所以据此计算的每千人、每万人指标就是全国比值（各县相同，只差舍入），不反映本县实际。",
                    "The method column quotes the derivation recorded in the data bundle. An estimated "
                    "county total is a national ratio × the county's population, so a per-1,000 or "
                    "per-10,000 indicator computed from it is the national ratio (the same in every "
                    "county up to rounding), not a fact about this county.",
                    lang,
                )
            )
        body += "<h3>" + _t("数据来源与许可", "Sources and licences", lang) + "</h3>"
        body += table_html(
            c.sources,
            [
                ("id", "编号", "id"),
                ("title", "标题", "title"),
                ("issuer", "发布机构", "issuer"),
                ("year", "年份", "year"),
                ("url", "网址", "url"),
                ("licence", "许可", "licence"),
                ("note", "说明", "note"),
            ],
            lang,
            {"year": lambda v: "—" if _is_na(v) else str(int(v))},
            css="tcm-table tcm-cite",
        )
        body += note_html(
            _t(
                "来源表按数据包中的记录原样列出（书目信息不翻译）。",
                "Sources are listed as recorded in the data bundle.",
                lang,
            )
        )
        if res.load_warnings:
            body += (
                "<h3>"
                + _t("读取与计算时的提示", "Warnings from loading and analysis", lang)
                + "</h3><ul>"
            )
            body += (
                "".join(f"<li>{esc(pick(w, lang))}</li>" for w in res.load_warnings[:50]) + "</ul>"
            )
        if res.unavailable:
            body += (
                "<ul>"
                + "".join(
                    f"<li class='tcm-unavailable'>{span(esc(k), 'tcm-name')}: {esc(pick(v, lang))}</li>"
                    for k, v in res.unavailable.items()
                )
                + "</ul>"
            )
        return _section("数据质量", "Data quality", lang, body, "quality")

    #: References of the spatial methods: (what, zh; what, en; citation as written).
    SPATIAL_REFS = (
        (
            "两步移动搜寻法（2SFCA）",
            "2SFCA",
            "Luo W., Wang F. (2003) Environment and Planning B 30(6):865–884.",
        ),
        (
            "增强两步移动搜寻法（E2SFCA）；高斯距离衰减",
            "E2SFCA; Gaussian decay",
            "Luo W., Qi Y. (2009) Health & Place 15(4):1100–1107; Dai D. (2010) Health & Place "
            "16(5):1038–1052.",
        ),
        (
            "阈值内覆盖：累积机会法",
            "Coverage within a threshold: cumulative opportunities",
            "Hansen 1959; WHO AccessMod 5.",
        ),
        (
            "中医阁选址：最大覆盖选址问题，惰性求值贪心算法，保证不低于最优解的 1 − 1/e",
            "中医阁 siting: maximal covering location problem, greedy with lazy evaluation, "
            "≥ 1 − 1/e of the optimum",
            "Church & ReVelle 1974; Minoux 1978; Nemhauser, Wolsey & Fisher 1978.",
        ),
        (
            "基尼系数与集中指数",
            "Gini / concentration index",
            "Wagstaff A., Paci P., van Doorslaer E. (1991) Soc Sci Med 33(5):545–557.",
        ),
    )

    def appendix(self) -> Html:
        """Methods appendix: indicator definitions and targets, evidence, spatial methods.

        Evidence codes (catalogue sections, E-numbers) and the site plan's algorithm, swaps and
        proven bound are shown here; the sections above say the same in plain words.
        """
        from tcmcounty.indicators.appendix import evidence_words

        lang, ap = self.lang, self.res.appendix
        body = ""
        if ap is not None and len(ap):
            ap = ap.copy()
            if "target_evidence" in ap:
                ap["evidence_plain"] = [
                    _lbl(evidence_words(e, "zh"), evidence_words(e, "en"), lang)
                    if lang != "zh-en"
                    else f"{evidence_words(e, 'zh')} {evidence_words(e, 'en')}".strip()
                    for e in ap["target_evidence"]
                ]
            described: tuple[tuple[str, str, str], ...] = (
                ("id", "编号", "id"),
                ("name_zh", "指标", "indicator"),
                ("name_en", "英文名", "name"),
                ("definition", "定义", "definition"),
                ("formula", "公式", "formula"),
            )
            if lang == "zh":  # the registry's definitions and formulas are not in Chinese yet
                described = (("id", "编号", "id"), ("name_zh", "指标", "indicator"))
            elif lang == "en":
                described = tuple(d for d in described if d[0] != "name_zh")
            cols = [
                (k, zh, en)
                for k, zh, en in (
                    *described,
                    ("target", "目标", "target"),
                    ("target_basis", "目标依据", "basis"),
                    ("target_source", "出处", "source"),
                    ("evidence_plain", "核实情况", "checked"),
                    ("target_evidence", "证据编号", "evidence"),
                )
                if k in ap.columns
            ]
            body += table_html(
                ap,
                cols,
                lang,
                classes={"target_source": "tcm-cite", "target_evidence": "tcm-cite"},
            )
            if lang == "zh":
                body += note_html(
                    "各指标的定义与计算公式目前只有英文版，见中英双语报告（<code>language = zh-en</code>）。",
                    "tcm-unavailable",
                )
        else:
            body += self._unavailable("indicators")
        plan = self.res.plan
        if plan is not None:
            pairs = zip(plan.method_lines("zh"), plan.method_lines("en"), strict=True)
            body += (
                "<h3>"
                + _t("中医阁选址方法", "How the 中医阁 sites are chosen", lang)
                + "</h3><ul>"
                + "".join(f"<li>{mark_cites(_t(zh, en, lang))}</li>" for zh, en in pairs)
                + "</ul>"
            )
        refs = "".join(
            f"<li>{mark_cites(_t(zh, en, lang))}：{span(esc(cite), 'tcm-cite')}</li>"
            if lang == "zh"
            else f"<li>{mark_cites(_t(zh, en, lang))}: {span(esc(cite), 'tcm-cite')}</li>"
            for zh, en, cite in self.SPATIAL_REFS
        )
        body += "<h3>" + _t("空间方法", "Spatial methods", lang) + f"</h3><ul>{refs}</ul>"
        return _section("方法附录", "Methods appendix", lang, body, "appendix")


# =============================================================================================
# Comparison view (used by notebooks/compare_counties.ipynb)


def check_compare_parameters(
    counties: object = None,
    population: object = "resident",
    thresholds_km: object = None,
    targets: object = None,
    report_date: object = None,
    language: object = "zh-en",
    results_dir: object = None,
) -> list[ReportParameters]:
    """Validate the parameters of ``compare_counties.ipynb``: one :class:`ReportParameters` per county.

    Raises
    ------
    ReportError
        If ``counties`` is not a non-empty list of names or paths, or another parameter is invalid.
    """
    if isinstance(counties, str):
        counties = [c for c in re.split(r"[,，;\n]", counties) if c.strip()]
    if not isinstance(counties, (list, tuple)) or not counties:
        raise ReportError(
            "parameter 'counties' must be a non-empty list of county names or paths "
            "/ counties 参数须为县名或路径的列表"
        )
    if len(counties) > 12:
        raise ReportError("compare at most 12 counties at once / 一次最多比较 12 个县")
    out = [
        check_parameters(c, population, thresholds_km, targets, report_date, language, results_dir)
        for c in counties
    ]
    if len({p.county for p in out}) != len(out):
        raise ReportError("parameter 'counties' lists the same county twice / 县重复")
    return out


class CompareView:
    """Side-by-side sections for several counties."""

    def __init__(self, params: Sequence[ReportParameters]) -> None:
        from tcmcounty.reporting import results as R

        self.params = list(params)
        self.lang = self.params[0].language
        self.results = [R.load_results(p.county, **p.results_args()) for p in self.params]
        self.names = [r.county.name_zh or r.county.adcode for r in self.results]

    def header(self) -> Html:
        """Title, counties, generation time and a banner if any county uses non-official data."""
        lang = self.lang
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        counts: dict[str, int] = {}
        for r in self.results:
            for k, v in r.county.status_counts().items():
                counts[k] = counts.get(k, 0) + v
        names = "、".join(
            span(esc(pick(f"{r.county.name_zh} {r.county.name_en}".strip(), lang)), "tcm-name")
            for r in self.results
        )
        return Html(
            f"<style>{REPORT_CSS}</style><div class='tcm-report'><h1>"
            f"{_t('县域比较', 'County comparison', lang)}: {names}</h1>"
            f"<p>{_t('报告日期', 'Report date', lang)}: {esc(self.params[0].report_date.isoformat())}</p>"
            f"<div class='tcm-timestamp' data-tcm-timestamp='1'>{_t('生成时间', 'Generated', lang)}: "
            f"{esc(stamp)} · tcmcounty {esc(tcmcounty.__version__)}</div>"
            f"{banner_html(counts, lang, see=('caveats', '定义与注意事项', 'definitions and caveats'))}"
            f"{self._status_by_county()}</div>"
        )

    def _status_by_county(self) -> str:
        """One line per county: its figures and rows by data status."""
        lang, items = self.lang, []
        for r, n in zip(self.results, self.names, strict=True):
            counts = r.county.status_counts()
            parts = ("，" if lang == "zh" else ", ").join(
                f"{pick(k, 'zh') if lang == 'zh' else k} {v}" for k, v in counts.items() if v
            )
            items.append(f"<li>{span(esc(n), 'tcm-name')}: {esc(parts or '—')}</li>")
        title = _t("各县数据状态（项数）", "Data status by county (figures and rows)", lang)
        return f"<p>{title}</p><ul data-tcm-status-by-county='1'>{''.join(items)}</ul>"

    def same_by_construction(self, table: pd.DataFrame) -> pd.Series:
        """Say, per indicator row, when every county's value is an estimate of the same method.

        An estimated county figure is a national ratio × the county's population, so the
        indicator divided by that population is the national ratio in every county: equal
        values then say nothing about the counties.

        Returns
        -------
        pandas.Series
            ``""`` or a bilingual note (``"zh / en"``), aligned with ``table``.
        """
        status = [f"{n} status" for n in self.names if f"{n} status" in table]
        value = [f"{n} value" for n in self.names if f"{n} value" in table]
        out = []
        for _, r in table.iterrows():
            if len(status) < 2 or any(str(r[c]) != "estimated" for c in status):
                out.append("")
                continue
            equal = len({str(r[c]) for c in value}) == 1
            out.append(
                "各县相同：同一估算方法（全国比值 × 人口） / equal by construction: same estimate "
                "method (national ratio × population)"
                if equal
                else "同一估算方法（全国比值 × 人口），差别只来自舍入 / same estimate method "
                "(national ratio × population); differences are rounding only"
            )
        return pd.Series(out, index=table.index, dtype=object)

    def indicators(self) -> Html:
        """Side-by-side indicator table and a chart on a common scale."""
        from tcmcounty.reporting import plotting
        from tcmcounty.reporting import results as R

        lang = self.lang
        table = R.compare_indicators(self.results)
        if table is None:
            return _section(
                "指标比较",
                "Indicators side by side",
                lang,
                _unavailable(
                    "; ".join(
                        f"{n}: {r.unavailable.get('indicators', '—')}"
                        for n, r in zip(self.names, self.results, strict=True)
                    ),
                    lang,
                ),
                "indicators",
            )
        cols = [
            ("id", "编号", "id"),
            ("name_zh", "指标", "indicator"),
            ("target", "目标", "target"),
        ]
        for n in self.names:
            cols += [
                (f"{n} value", f"{n} 数值", "value"),
                (f"{n} met", f"{n} 判定", "verdict"),
                (f"{n} status", f"{n} 数据状态", "data status"),
            ]
        table = table.copy()
        table["construction"] = self.same_by_construction(table)
        cols.append(("construction", "说明", "note"))
        fmt = {
            f"{n} met": (lambda v: "—" if _is_na(v) else ("✓" if bool(v) else "✗"))
            for n in self.names
        }
        body = table_html(table, cols, lang, fmt)
        same = table.loc[table["construction"] != "", "id"].tolist()
        if same:
            body += note_html(
                _t(
                    f"{'、'.join(same)} 在各县都是估算值：县级总数按全国比值 × 该县人口推算，"
                    "所以这些指标等于全国比值，各县相同是推算方法决定的，不说明各县实际情况相同。",
                    f"{', '.join(same)} are estimates in every county: the county total is a national "
                    "ratio × the county's population, so these indicators are the national ratio; "
                    "that they agree comes from the method, not from the counties.",
                    lang,
                )
            )
        figs = []
        for r in self.results:
            if r.indicators is not None:
                figs.append(
                    img_html(
                        _png(plotting.indicator_chart(r.indicators, lang=lang)),
                        f"{r.county.name_en} indicators",
                        esc(r.county.name_zh),
                    )
                )
        body += f"<div class='tcm-side'>{''.join(figs)}</div>"
        body += note_html(
            _t(
                "所有图使用同一刻度（占目标值的百分比，截至 200%）。",
                "All charts use the same scale (percentage of target, cut at 200%).",
                lang,
            )
        )
        return _section("指标比较", "Indicators side by side", lang, body, "indicators")

    def distances(self) -> Html:
        """ECDF of village distance to the nearest TCM service, all counties on one axis."""
        from tcmcounty.reporting import plotting
        from tcmcounty.reporting import results as R

        lang = self.lang
        series, weights = R.distance_series(self.results, "any_tcm_km")
        ths = self.params[0].thresholds_km
        body = ""
        for w, (zh, en) in (
            (None, ("按村计", "by village")),
            (weights, ("按人口计", "by residents")),
        ):
            body += img_html(
                _png(plotting.ecdf_chart(series, lang=lang, thresholds=ths, weights=w)),
                f"ECDF of distance to the nearest TCM service ({en})",
                _t(zh, en, lang),
            )
        cov = R.compare_coverage(self.results)
        if cov is not None:
            cols = [("county", "县", "county")] + [(c, c, c) for c in cov.columns if c != "county"]
            body += table_html(cov, cols, lang, {c: fmt_pct for c in cov.columns if c != "county"})
        return _section(
            "距离分布",
            "Distance distributions",
            lang,
            f"<div class='tcm-side'>{body}</div>",
            "distances",
        )

    def maps(self) -> Html:
        """County maps side by side with a common colour scale."""
        from tcmcounty.reporting import plotting
        from tcmcounty.reporting import results as R

        lang = self.lang
        series, _ = R.distance_series(self.results, "any_tcm_km")
        vmax = R.common_vmax(series)
        span = (
            max(plotting.span_km(r.county.boundary, r.county.villages) for r in self.results) * 1.05
        )
        figs = []
        for r in self.results:
            c = r.county
            if r.nearest is None:
                continue
            fig = plotting.county_map(
                c.villages,
                r.nearest["any_tcm_km"],
                boundary=c.boundary,
                townships=None,
                facilities=c.facilities,
                lang=lang,
                vmax=vmax,
                figsize=(6.5, 6.5),
                span_km=span,
                title=(c.name_zh, c.name_en),
            )
            figs.append(img_html(_png(fig), f"Map of {c.name_en}", esc(c.name_zh)))
        body = f"<div class='tcm-side'>{''.join(figs)}</div>" + note_html(
            _t(
                f"村按到最近中医药服务的直线距离着色；颜色刻度相同（0–{vmax:.1f} 公里），"
                f"地图比例尺相同（每幅 {span:.0f} × {span:.0f} 公里）。",
                f"Villages coloured by straight-line distance to the nearest TCM service; same colour "
                f"scale (0–{vmax:.1f} km) and same map scale (each {span:.0f} × {span:.0f} km).",
                lang,
            )
        )
        return _section("地图比较", "Maps side by side", lang, body, "maps")

    def caveats(self) -> Html:
        """Definitions and caveats: denominators, population years, data status per county."""
        from tcmcounty.reporting import results as R

        lang = self.lang
        t = R.compare_caveats(self.results)
        cols = [
            ("county", "县", "county"),
            ("population", "常住人口", "resident population"),
            ("population_year", "人口年份", "year"),
            ("population_status", "人口数据状态", "status"),
            ("official", "官方项", "official"),
            ("estimated", "估算项", "estimated"),
            ("synthetic", "模拟项", "synthetic"),
            ("villages", "村数", "villages"),
            ("facilities", "机构数", "facilities"),
        ]
        body = table_html(
            t,
            cols,
            lang,
            {
                "population": lambda v: fmt_num(v, 0),
                "population_year": lambda v: "—" if _is_na(v) else str(int(v)),
            },
        )
        body += note_html(
            _t(
                "每千人、每万人指标的分母为所选人口口径（默认常住人口）；人口年份不同的县，比值不可直接比较。"
                "模拟数据仅用于演示流程，不代表该县实际情况。",
                "Per-1,000 and per-10,000 indicators divide by the chosen population (resident by default); counties "
                "whose population years differ are not strictly comparable. Synthetic figures only demonstrate the "
                "pipeline and are never facts about a county.",
                lang,
            )
        )
        return _section("定义与注意事项", "Definitions and caveats", lang, body, "caveats")
