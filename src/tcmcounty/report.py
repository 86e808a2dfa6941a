"""County reports: execute a notebook template with papermill and write self-contained HTML.

Three layers:

* **Notebook side** — :func:`check_parameters` validates a template's parameters in its first
  cell; :class:`CountyView` and :class:`CompareView` load the results
  (:mod:`tcmcounty.results`) and return each report section as escaped HTML with embedded
  PNG figures, so the notebooks hold no computation.
* **One job** — :func:`run_job` executes a template for one county (or a comparison) in a
  fresh kernel and converts it to HTML with code hidden. It writes nothing into the output
  folder: it returns a :class:`JobOutcome` holding the bytes of every output, so the same job
  runs in a local process pool or on a remote Dask worker.
* **Writing** — :func:`write_outcome` puts the outputs in place atomically (temporary file,
  then rename; the JSON record last, as the commit mark), and :func:`render_report` /
  :func:`render_comparison` do all of it for one report under an :class:`OutputLock`.

Kernels talk to the client over IPC sockets in a private temporary folder, not TCP ports, so
parallel jobs can never race for a port. Parameters reach the kernel as Python literals
written by papermill (``repr``-escaped strings), never as code.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import html
import itertools
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import tcmcounty
from tcmcounty.errors import CountyNotFoundError, InputError, ReportError, TcmCountyError

#: Largest report the batch accepts without a warning in the record (bytes).
MAX_HTML_BYTES = 2 * 1024 * 1024
#: Kernel used to execute templates (installed with ``python -m ipykernel install --sys-prefix``).
DEFAULT_KERNEL = "python3"
#: Report languages: Chinese, English, or both.
LANGUAGES = ("zh-en", "zh", "en")
#: Record ``kind`` of a county report and of a comparison.
KIND_COUNTY, KIND_COMPARE = "county_report", "comparison"
#: Name of the lock file in an output folder.
LOCK_NAME = ".tcmcounty.lock"

_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def template_path(name: str = "county_report") -> Path:
    """Return the path of a bundled notebook template (``county_report``, ``compare_counties``).

    Raises
    ------
    ReportError
        If the template cannot be found.
    """
    for base in (
        Path(os.environ.get("TCMCOUNTY_NOTEBOOKS", ""))
        if os.environ.get("TCMCOUNTY_NOTEBOOKS")
        else None,
        _NOTEBOOKS,
        Path.cwd() / "notebooks",
    ):
        if base is not None and (base / f"{name}.ipynb").is_file():
            return base / f"{name}.ipynb"
    raise ReportError(
        f"notebook template {name}.ipynb not found (looked in {_NOTEBOOKS}); "
        f"pass --template PATH / 未找到报告模板"
    )


# =============================================================================================
# Parameters


@dataclass(frozen=True)
class ReportParameters:
    """Validated parameters of the county report template."""

    county: str
    population: str = "resident"
    thresholds_km: tuple[float, ...] = ()
    targets: str | None = None
    report_date: dt.date = field(default_factory=dt.date.today)
    language: str = "zh-en"
    results_dir: str | None = None

    def results_args(self) -> dict[str, Any]:
        """Keyword arguments for :func:`tcmcounty.results.load_results`."""
        return {
            "population": self.population,
            "thresholds_km": self.thresholds_km,
            "targets": self.targets,
            "cache_dir": self.results_dir,
        }


def _text_param(
    value: object, name: str, *, required: bool = True, limit: int = 4096
) -> str | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if required:
            raise ReportError(f"parameter {name!r} is required / 缺少参数 {name}")
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise ReportError(
            f"parameter {name!r} must be text, not {type(value).__name__} / 参数 {name} 须为文本"
        )
    text = os.fspath(value)
    if "\x00" in text or len(text) > limit:
        raise ReportError(f"parameter {name!r} is not a valid path or name / 参数 {name} 无效")
    return text


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
    from tcmcounty import results as R
    from tcmcounty.load import resolve

    name = _text_param(county, "county")
    try:
        path = resolve(name)  # type: ignore[arg-type]
    except CountyNotFoundError as exc:
        raise ReportError(f"parameter 'county': {exc}") from None
    if population not in R.POPULATIONS:
        raise ReportError(
            f"parameter 'population' must be one of {', '.join(R.POPULATIONS)}, "
            f"not {str(population)[:40]!r} / 人口口径须为 resident（常住）或 registered（户籍）"
        )
    ths = R.normalise_thresholds(thresholds_km)
    tfile = _text_param(targets, "targets", required=False)
    if tfile is not None and not Path(tfile).is_file():
        raise ReportError(f"parameter 'targets': no file {tfile!r} / 未找到目标值文件")
    day = R.parse_report_date(report_date)
    if language not in LANGUAGES:
        raise ReportError(
            f"parameter 'language' must be one of {', '.join(LANGUAGES)}, "
            f"not {str(language)[:20]!r} / 语言参数须为 zh-en、zh 或 en"
        )
    rdir = _text_param(results_dir, "results_dir", required=False)
    return ReportParameters(str(path), str(population), ths, tfile, day, str(language), rdir)


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


def _is_na(v: object) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def fmt_num(v: object, digits: int = 2) -> str:
    """Format a number for a table (``—`` for missing)."""
    if _is_na(v):
        return "—"
    if isinstance(v, bool):
        return "是 yes" if v else "否 no"
    if isinstance(v, (int,)) or (isinstance(v, float) and float(v).is_integer() and abs(v) >= 100):
        return f"{int(v):,}"
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(f):
        return "—"
    return f"{f:,.{digits}f}"


def fmt_pct(v: object, digits: int = 1) -> str:
    """Format a share (0–1) as a percentage."""
    if _is_na(v):
        return "—"
    try:
        return f"{100 * float(v):.{digits}f}%"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"


def table_html(
    df: pd.DataFrame,
    columns: Sequence[tuple[str, str, str]],
    lang: str,
    formats: dict[str, Any] | None = None,
    css: str = "tcm-table",
    row_class: Any = None,
) -> str:
    """Render ``df`` as an escaped HTML table.

    ``columns`` lists ``(column, zh header, en header)``; ``formats`` maps a column to a
    function returning plain text (escaped here). ``row_class(row)`` may return a CSS class.
    """
    formats = formats or {}
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
            cells.append(f"<td>{esc(text)}</td>")
        body.append(
            f"<tr class='{esc(cls)}'>{''.join(cells)}</tr>" if cls else f"<tr>{''.join(cells)}</tr>"
        )
    return (
        f"<div class='tcm-scroll'><table class='{esc(css)}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


_HEAT_STOPS = (
    (0.0, (165, 0, 38)),
    (0.25, (244, 109, 67)),
    (0.5, (254, 224, 139)),
    (0.75, (166, 217, 106)),
    (1.0, (26, 152, 80)),
)


def heat_colour(share: float) -> str:
    """Red–yellow–green colour of a share in [0, 1] (``#e0e0e0`` for missing)."""
    if share is None or not isinstance(share, (int, float)) or not math.isfinite(share):
        return "#e0e0e0"
    x = min(max(float(share), 0.0), 1.0)
    for (x0, c0), (x1, c1) in itertools.pairwise(_HEAT_STOPS):
        if x <= x1:
            f = 0.0 if x1 == x0 else (x - x0) / (x1 - x0)
            return "#" + "".join(
                f"{round(a + (b - a) * f):02x}" for a, b in zip(c0, c1, strict=True)
            )
    return "#1a9850"


def heat_table_html(
    df: pd.DataFrame,
    label_col: tuple[str, str, str],
    columns: Sequence[tuple[str, str, str]],
    lang: str,
    extra: Sequence[tuple[str, str, str]] = (),
) -> str:
    """Render a table whose share cells (0–1) are coloured red (0%) to green (100%).

    ``label_col`` and ``extra`` columns are shown as plain text; ``columns`` hold shares.
    """
    head = "".join(f"<th>{_t(zh, en, lang)}</th>" for _, zh, en in (label_col, *extra, *columns))
    rows = []
    for _, r in df.iterrows():
        cells = [f"<td>{esc(r.get(label_col[0]))}</td>"]
        cells += [f"<td>{esc(fmt_num(r.get(c), 0))}</td>" for c, _, _ in extra]
        for c, _, _ in columns:
            v = r.get(c)
            share = None if _is_na(v) else float(v)
            dark = share is not None and (share < 0.2 or share > 0.85)
            cells.append(
                f"<td class='tcm-heat' style='background:{heat_colour(share)};"
                f"color:{'#fff' if dark else '#000'}'>{esc(fmt_pct(v, 0))}</td>"
            )
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<div class='tcm-scroll'><table class='tcm-table tcm-heatmap'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def img_html(png: bytes, alt: str, caption: str = "", css: str = "tcm-figure") -> str:
    """Embed PNG bytes as a ``<figure>`` with escaped alt text and caption."""
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure class='{esc(css)}'><img src='data:image/png;base64,{data}' alt='{esc(alt)}'/>{cap}</figure>"


def note_html(text: str, css: str = "tcm-note") -> str:
    """Wrap already-escaped HTML text in a paragraph."""
    return f"<p class='{esc(css)}'>{text}</p>"


STATUS_ZH = {"official": "官方", "estimated": "估算", "synthetic": "模拟"}


def banner_html(county_status: dict[str, int], lang: str) -> str:
    """Return the visible warning shown whenever estimated or synthetic figures are used."""
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
        f"{_t('详见“数据质量”一节。', 'See the data-quality section.', lang)}</div>"
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
"""


def _section(title_zh: str, title_en: str, lang: str, body: str, anchor: str) -> Html:
    return Html(
        f"<section class='tcm-report' id='{esc(anchor)}'><h2>{_t(title_zh, title_en, lang)}</h2>{body}</section>"
    )


def _unavailable(reason: str, lang: str) -> str:
    return note_html(
        _t("本节无法计算：", "This section could not be computed: ", lang) + esc(reason),
        "tcm-unavailable",
    )


def _png(fig: Any) -> bytes:
    from tcmcounty import plotting

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
        from tcmcounty import results as R

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
        from tcmcounty import plotting
        from tcmcounty import results as R

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
                esc(Path(p.targets).name if p.targets else "national-2025 (default)"),
            ),
            (_t("数据年份", "Reference year", lang), esc(c.reference_year or "—")),
        ]
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
                else f"{fmt_num(u['need'], 0)} {u['need_unit'] or ''}".strip()
            )
            label = _lbl(esc(u["name_zh"]), esc(u["name_en"]), lang)
            items.append(
                f"<li>{label}: {esc(u.get('value_text') or fmt_num(u['value']))}"
                f"{'%' if u.get('unit') == '%' else ''} → "
                f"{_t('目标', 'target', lang)} {esc(u['target'])}"
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
                _unavailable(self.res.unavailable.get("indicators", ""), lang),
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
        note = note_html(_t("目标值集：", "Target set: ", lang) + esc(sets or "—"))
        return _section(
            "指标与目标", "Indicators against targets", lang, table + chart + note, "indicators"
        )

    def facilities(self) -> Html:
        """Facility shares (中医馆 / TCM-capable clinics / 中医阁) and population coverage per township."""
        from tcmcounty import results as R

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
        body += heat_table_html(shares, ("township", "乡镇", "township"), share_cols, lang, counts)
        body += note_html(
            _t(
                "比例以机构数计（不是人口）；颜色由红（0%）到绿（100%）。",
                "Shares count facilities, not people; colours run from red (0%) to green (100%).",
                lang,
            )
        )
        cov = self.res.coverage.get("any_tcm")
        if cov is None:
            return _section(
                "机构覆盖",
                "Facility coverage",
                lang,
                body + _unavailable(self.res.unavailable.get("coverage", ""), lang),
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
                _unavailable(res.unavailable.get("coverage", ""), lang),
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
        """Medical-alliance (医联体/医共体) population coverage against the 30% target."""
        lang, al = self.lang, self.res.alliance
        if al is None:
            return _section(
                "医联体覆盖",
                "Alliance coverage",
                lang,
                _unavailable(self.res.unavailable.get("coverage", ""), lang),
                "alliances",
            )
        t = al.table()
        cols = [
            ("id", "编号", "id"),
            ("name", "名称", "name"),
            ("kind", "类型", "kind"),
            ("n_members", "成员数", "members"),
            ("n_villages", "覆盖村数", "villages"),
            ("pop_covered", "覆盖人口", "population covered"),
            ("covered_share", "覆盖比例", "share"),
            ("meets_target", "达到目标", "meets target"),
        ]
        body = table_html(
            t,
            cols,
            lang,
            {
                "covered_share": fmt_pct,
                "pop_covered": lambda v: fmt_num(v, 0),
                "meets_target": lambda v: "—" if _is_na(v) else ("✓" if bool(v) else "✗"),
            },
        )
        body += note_html(
            _t(
                f"目标：县级中医医院牵头的医联体覆盖人口比例 ≥ {al.target:.0%}（力争）。一个村由其村卫生室（无则乡镇卫生院）所属的医联体覆盖。",
                f"Target: alliances led by the county TCM hospital cover ≥ {al.target:.0%} of residents. A village counts as "
                "covered when its clinic (or, failing that, its township health centre) is a member.",
                lang,
            )
        )
        if len(self.county.alliances) == 0:
            body += note_html(
                _t("未报告医联体。", "No alliance reported.", lang), "tcm-unavailable"
            )
        return _section("医联体覆盖", "Medical-alliance coverage", lang, body, "alliances")

    def access(self) -> Html:
        """Show accessibility (E2SFCA) per township and its equity (Gini, share with no access)."""
        from tcmcounty import results as R

        lang, res, c = self.lang, self.res, self.county
        if res.access is None:
            return _section(
                "可及性与公平性",
                "Accessibility and equity",
                lang,
                _unavailable(res.unavailable.get("access", ""), lang),
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
            )
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
            _t("村按 E2SFCA 可及性着色。", "Villages coloured by E2SFCA accessibility.", lang),
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
                _unavailable(self.res.unavailable.get("plan", ""), lang),
                "sites",
            )
        lines = "".join(f"<li>{esc(line.strip())}</li>" for line in plan.summary_lines())
        body = f"<ul class='tcm-note'>{lines}</ul>"
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

    def timetable(self) -> Html:
        """Show the county plan's milestones against the report date."""
        from tcmcounty import results as R

        lang, c = self.lang, self.county
        plan = R.county_plan(c.adcode)
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
        if lang == "en":
            cols = [cc for cc in cols if cc[0] not in ("phase_zh", "tasks_zh")] + [
                ("tasks_en", "任务", "tasks")
            ]

        def rc(r: pd.Series) -> str:
            return {"done": "", "current": "tcm-met", "upcoming": ""}.get(str(r.get("state")), "")

        body = note_html(
            f"{esc(plan.title_zh)}（{esc(plan.document_number)}，{esc(plan.issuer)}，"
            f"{esc(plan.issued.isoformat())}）"
        )
        body += table_html(tt, cols, lang, {"days_to_end": lambda v: fmt_num(v, 0)}, row_class=rc)
        body += note_html(
            _t("来源：", "Source: ", lang)
            + esc(plan.source)
            + (f"<br>{esc(plan.note)}" if plan.note else "")
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
        from tcmcounty import results as R

        lang, c, res = self.lang, self.county, self.res
        counts = c.status_counts()
        body = banner_html(counts, lang)
        body += note_html(
            _t("数据状态计数：", "Figures and rows by status: ", lang)
            + esc(", ".join(f"{STATUS_ZH[k]} {k} {v}" for k, v in counts.items()))
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
        )
        if res.load_warnings:
            body += (
                "<h3>"
                + _t("读取与计算时的提示", "Warnings from loading and analysis", lang)
                + "</h3><ul>"
            )
            body += "".join(f"<li>{esc(w)}</li>" for w in res.load_warnings[:50]) + "</ul>"
        if res.unavailable:
            body += (
                "<ul>"
                + "".join(
                    f"<li class='tcm-unavailable'>{esc(k)}: {esc(v)}</li>"
                    for k, v in res.unavailable.items()
                )
                + "</ul>"
            )
        return _section("数据质量", "Data quality", lang, body, "quality")

    def appendix(self) -> Html:
        """Methods appendix from the indicator registry and the spatial methods' references."""
        lang, ap = self.lang, self.res.appendix
        body = ""
        if ap is not None and len(ap):
            cols = [
                (k, zh, en)
                for k, zh, en in (
                    ("id", "编号", "id"),
                    ("name_zh", "指标", "indicator"),
                    ("name_en", "英文名", "name"),
                    ("definition", "定义", "definition"),
                    ("formula", "公式", "formula"),
                    ("target", "目标", "target"),
                    ("target_basis", "目标依据", "basis"),
                    ("target_source", "出处", "source"),
                    ("target_evidence", "核实情况", "evidence"),
                )
                if k in ap.columns
            ]
            body += table_html(ap, cols, lang)
        else:
            body += _unavailable(self.res.unavailable.get("indicators", "no registry"), lang)
        refs = [
            "2SFCA: Luo W., Wang F. (2003) Environment and Planning B 30(6):865–884.",
            "E2SFCA: Luo W., Qi Y. (2009) Health & Place 15(4):1100–1107; Gaussian decay: Dai D. (2010) Health & Place 16(5):1038–1052.",
            "Coverage within a threshold: cumulative opportunities (Hansen 1959; WHO AccessMod 5).",
            "中医阁 siting: maximal covering location problem (Church & ReVelle 1974), greedy with lazy evaluation "
            "(Minoux 1978), ≥ 1 − 1/e of the optimum (Nemhauser, Wolsey & Fisher 1978).",
            "Gini / concentration index: Wagstaff A., Paci P., van Doorslaer E. (1991) Soc Sci Med 33(5):545–557.",
        ]
        body += (
            "<h3>"
            + _t("空间方法", "Spatial methods", lang)
            + "</h3><ul>"
            + "".join(f"<li>{esc(r)}</li>" for r in refs)
            + "</ul>"
        )
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
        from tcmcounty import results as R

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
            esc(f"{r.county.name_zh} {r.county.name_en}".strip()) for r in self.results
        )
        return Html(
            f"<style>{REPORT_CSS}</style><div class='tcm-report'><h1>"
            f"{_t('县域比较', 'County comparison', lang)}: {names}</h1>"
            f"<p>{_t('报告日期', 'Report date', lang)}: {esc(self.params[0].report_date.isoformat())}</p>"
            f"<div class='tcm-timestamp' data-tcm-timestamp='1'>{_t('生成时间', 'Generated', lang)}: "
            f"{esc(stamp)} · tcmcounty {esc(tcmcounty.__version__)}</div>"
            f"{banner_html(counts, lang)}</div>"
        )

    def indicators(self) -> Html:
        """Side-by-side indicator table and a chart on a common scale."""
        from tcmcounty import plotting
        from tcmcounty import results as R

        lang = self.lang
        table = R.compare_indicators(self.results)
        if table is None:
            return _section(
                "指标比较",
                "Indicators side by side",
                lang,
                _unavailable("indicators", lang),
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
        fmt = {
            f"{n} met": (lambda v: "—" if _is_na(v) else ("✓" if bool(v) else "✗"))
            for n in self.names
        }
        body = table_html(table, cols, lang, fmt)
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
        from tcmcounty import plotting
        from tcmcounty import results as R

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
        from tcmcounty import plotting
        from tcmcounty import results as R

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
        from tcmcounty import results as R

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


# =============================================================================================
# Executing a template


class KernelTimeoutError(ReportError):
    """The job ran past its time limit and its kernel was stopped."""


def _kernel_manager_class(job_dir: Path, registry: dict[str, Any]) -> type:
    """Return a kernel manager class that talks over IPC sockets in ``job_dir`` (no ports to race for)."""
    from jupyter_client.manager import AsyncKernelManager

    use_ipc = os.name == "posix"

    class _JobKernelManager(AsyncKernelManager):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            if use_ipc:
                kwargs.setdefault("transport", "ipc")
                kwargs.setdefault("ip", str(job_dir / "k"))
            kwargs.setdefault("connection_file", str(job_dir / "kernel.json"))
            super().__init__(**kwargs)
            registry["km"] = self

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            # the kernel's own stdout/stderr (not cell outputs) go to a log, not the batch's terminal
            log = open(job_dir / "kernel.log", "ab")
            registry["log"] = log
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
            await super().start_kernel(**kw)

    return _JobKernelManager


def check_kernel(kernel_name: str = DEFAULT_KERNEL) -> None:
    """Check that ``kernel_name`` exists and runs this Python environment.

    Raises
    ------
    ReportError
        With the command that fixes it (``python -m ipykernel install --sys-prefix``).
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    fix = f"{sys.executable} -m ipykernel install --sys-prefix --name {kernel_name}"
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise ReportError(
            f"Jupyter kernel {kernel_name!r} is not installed; run: {fix} / 未安装 Jupyter 内核"
        ) from None
    exe = spec.argv[0] if spec.argv else ""
    if exe in {"python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"}:
        return
    try:
        same = (
            Path(exe).resolve().parent == Path(sys.executable).resolve().parent
            or Path(exe).resolve() == Path(sys.executable).resolve()
        )
    except OSError:
        same = False
    if not same:
        raise ReportError(
            f"Jupyter kernel {kernel_name!r} runs {exe}, not this environment's "
            f"{sys.executable}; run: {fix} (or set TCMCOUNTY_KERNEL) / 内核不属于当前环境"
        )


def default_kernel() -> str:
    """Kernel name: ``$TCMCOUNTY_KERNEL`` or ``python3``."""
    return os.environ.get("TCMCOUNTY_KERNEL") or DEFAULT_KERNEL


_TRANSIENT = (
    "DeadKernelError",
    "Kernel died",
    "kernel died",
    "Kernel didn't respond",
    "ZMQError",
    "Address already in use",
    "Kernel is dead",
    "kernel_info",
)


def is_transient(exc: BaseException) -> bool:
    """Tell kernel failures worth a retry (died, did not start) from errors in cells."""
    if isinstance(exc, (KernelTimeoutError, TcmCountyError)):
        return False
    name = type(exc).__name__
    if name in {"PapermillExecutionError", "CellExecutionError", "CellTimeoutError"}:
        return False
    text = f"{name}: {exc}"
    return any(t in text for t in _TRANSIENT) or isinstance(exc, (TimeoutError, ConnectionError))


def execute_template(
    template: Path,
    parameters: dict[str, Any],
    *,
    workdir: Path,
    kernel_name: str | None = None,
    timeout: float | None = None,
    start_timeout: float = 60,
) -> tuple[Any, dict[str, float]]:
    """Execute a notebook template with papermill in a fresh kernel.

    Parameters
    ----------
    template : path
        Notebook with a cell tagged ``parameters``.
    parameters : dict
        Injected by papermill as Python literals.
    workdir : path
        Private folder for the kernel's sockets and working directory (short path).
    kernel_name : str, optional
        Default :func:`default_kernel`.
    timeout : float, optional
        Seconds for kernel start plus execution; past it the kernel is killed and
        :class:`KernelTimeoutError` raised.

    Returns
    -------
    (nbformat.NotebookNode, dict)
        The executed notebook and durations ``kernel_start`` and ``execute`` (seconds).

    Raises
    ------
    papermill.PapermillExecutionError
        If a cell raised (the executed notebook is attached as ``.notebook``).
    KernelTimeoutError
        If the time limit was reached.
    """
    import nbformat
    import papermill

    kernel_name = kernel_name or default_kernel()
    registry: dict[str, Any] = {}
    marks: dict[str, float] = {}
    out_nb = workdir / "executed.ipynb"
    timed_out = threading.Event()

    def on_start(**_: Any) -> None:
        marks["started"] = time.perf_counter()

    def watchdog() -> None:
        timed_out.set()
        km = registry.get("km")
        prov = getattr(km, "provisioner", None)
        proc = getattr(prov, "process", None)
        pid = getattr(proc, "pid", None) or getattr(prov, "pid", None)
        if pid:
            with contextlib.suppress(OSError):
                os.kill(int(pid), signal.SIGKILL)

    timer = threading.Timer(timeout, watchdog) if timeout else None
    t0 = time.perf_counter()
    if timer:
        timer.daemon = True
        timer.start()
    try:
        papermill.execute_notebook(
            str(template),
            str(out_nb),
            parameters=parameters,
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            cwd=str(workdir),
            start_timeout=start_timeout,
            execution_timeout=timeout,
            request_save_on_cell_execute=False,
            autosave_cell_every=0,
            kernel_manager_class=_kernel_manager_class(workdir, registry),
            on_notebook_start=on_start,
        )
    except BaseException as exc:
        if timed_out.is_set():
            raise KernelTimeoutError(
                f"timed out after {timeout:g} s; the kernel was stopped / 超时"
            ) from None
        if type(exc).__name__ == "PapermillExecutionError" and out_nb.is_file():
            with contextlib.suppress(Exception):
                exc.notebook = nbformat.read(out_nb, as_version=4)  # type: ignore[attr-defined]
        raise
    finally:
        if timer:
            timer.cancel()
        log = registry.get("log")
        if log is not None:
            log.close()
    t1 = time.perf_counter()
    nb = nbformat.read(out_nb, as_version=4)
    started = marks.get("started", t0)
    return nb, {"kernel_start": round(started - t0, 4), "execute": round(t1 - started, 4)}


_EXPORT_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""


def _exporter(show_code: bool) -> Any:
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    cfg = Config()
    cfg.TagRemovePreprocessor.enabled = True
    cfg.TagRemovePreprocessor.remove_cell_tags = {"remove-in-report"}
    return HTMLExporter(
        config=cfg,
        template_name="lab",
        template_file="tcmcounty_report.html.j2",
        extra_loaders=[DictLoader({"tcmcounty_report.html.j2": _EXPORT_TEMPLATE})],
        exclude_input=not show_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


def _deterministic(nb: Any) -> Any:
    """Stable cell ids and no execution metadata (same inputs give the same HTML)."""
    for i, cell in enumerate(nb.cells):
        if "id" in cell:
            cell["id"] = f"cell-{i}"
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
    nb.metadata.pop("papermill", None)
    return nb


def notebook_to_html(
    nb: Any, *, show_code: bool = False, title: str = "", embed_font: bool = True
) -> str:
    """Convert an executed notebook to one self-contained HTML file (no external scripts).

    Code cells are hidden unless ``show_code``; figures are embedded as data URIs, and so is
    the subset of the CJK font the text needs (:func:`embed_cjk_font`). Cells tagged
    ``remove-in-report`` (the template's instructions) are left out.
    """
    nb = _deterministic(nb)
    body, _ = _exporter(show_code).from_notebook_node(
        nb, resources={"metadata": {"name": title or "tcmcounty report"}}
    )
    return embed_cjk_font(body) if embed_font else body


_FONT_CACHE: dict[str, Any] = {}


def _subset_font(source: Any, chars: Sequence[str]) -> bytes:
    """Subset an OpenType font (path or bytes) to ``chars`` plus ASCII; return OTF bytes."""
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    opts = subset.Options()
    opts.layout_features = []
    opts.name_IDs = []
    opts.hinting = False
    opts.notdef_outline = True
    # no timestamp (deterministic output); keep the full font's bounding boxes (recomputing
    # them is half the cost and changes nothing a browser uses)
    font = TTFont(
        io.BytesIO(source) if isinstance(source, bytes) else str(source),
        lazy=True,
        recalcTimestamp=False,
        recalcBBoxes=False,
    )
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=sorted({ord(c) for c in chars} | set(range(0x20, 0x7F))))
    try:
        sub.subset(font)
        buf = io.BytesIO()
        font.save(buf)
    finally:
        font.close()
    return buf.getvalue()


def _gb2312() -> str:
    chars = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


def _base_font(path: Path) -> tuple[bytes, frozenset[str]] | None:
    """Return the bundled font cut down to GB2312 (7,445 characters), cached in memory and on disk.

    Subsetting each report from this base takes a third of the time of the full 65,000-glyph
    font. Built once per machine (a few seconds) in ``$XDG_CACHE_HOME/tcmcounty``.
    """
    if "base" in _FONT_CACHE:
        return _FONT_CACHE["base"]  # type: ignore[no-any-return]
    from tcmcounty.io import atomic_path

    chars = (
        _gb2312() + "·—–…‘’“”、。〈〉《》「」『』【】〔〕（），：；？！％＋－＜＝＞≥≤×÷±✓✗⚠√→←↑↓"
    )
    st = path.stat()
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tcmcounty"
    cached = root / f"{path.stem}-gb2312-{st.st_size}-{int(st.st_mtime)}.otf"
    data = None
    with contextlib.suppress(OSError):
        data = cached.read_bytes() if cached.is_file() else None
    if data is None:
        data = _subset_font(path, chars)
        with contextlib.suppress(OSError), atomic_path(cached) as tmp:
            tmp.write_bytes(data)
    _FONT_CACHE["base"] = (data, frozenset(chars))
    return _FONT_CACHE["base"]  # type: ignore[no-any-return]


def embed_cjk_font(text: str) -> str:
    """Embed a subset of the bundled CJK font (only the characters used) in report HTML.

    Chinese then renders on any machine, with or without Chinese system fonts, for about
    100 KB. The output is deterministic. Returns ``text`` unchanged when the font or
    ``fontTools`` is missing.
    """
    from tcmcounty import plotting

    path = plotting.font_path()
    if path is None or "</head>" not in text:
        return text
    visible = re.sub(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+", "", text)
    chars = sorted({ch for ch in visible if ord(ch) > 0x2000})
    key = "".join(chars)
    css = _FONT_CACHE.get(key)
    if css is None:
        try:
            base = _base_font(path)
            source: Any = base[0] if base is not None and set(chars) <= base[1] else path
            data = base64.b64encode(_subset_font(source, chars)).decode("ascii")
        except (
            ImportError,
            OSError,
            ValueError,
        ):  # pragma: no cover - fontTools comes with matplotlib
            return text
        css = (
            "<style>@font-face { font-family: 'TCM CJK'; font-weight: 100 900; "
            f"src: url(data:font/otf;base64,{data}) format('opentype'); }}\n"
            "body, .jp-RenderedHTMLCommon { font-family: 'TCM CJK', system-ui, sans-serif; }</style>"
        )
        for k in [k for k in _FONT_CACHE if k != "base"]:
            del _FONT_CACHE[k]
        _FONT_CACHE[key] = css
    return text.replace("</head>", css + "</head>", 1)


def strip_timestamp(text: str) -> str:
    """Remove the generation-time block from report HTML (to compare two renders)."""
    return re.sub(
        r"<div class=[\"']tcm-timestamp[\"'] data-tcm-timestamp=[\"']1[\"']>.*?</div>",
        "",
        text,
        flags=re.S,
    )


def has_traceback(nb: Any) -> str | None:
    """Return the first error output of an executed notebook (``ename: evalue``), or ``None``."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out.get('ename')}: {out.get('evalue')}"
    return None


# =============================================================================================
# Jobs


def safe_name(text: str, fallback: str = "county") -> str:
    """Make ``text`` safe as a file name: one path component, no ``..``, no separators.

    Examples
    --------
    >>> safe_name("512021-anyue")
    '512021-anyue'
    >>> safe_name("../../etc/passwd")
    'etc_passwd'
    """
    s = re.sub(r"[^\w.-]+", "_", str(text), flags=re.UNICODE).strip("._-")
    s = re.sub(r"\.{2,}", ".", s)[:80].strip("._-")
    return s or fallback


def output_name(path: str | os.PathLike[str]) -> str:
    """Report file stem for a county input (folder name or workbook stem, made safe)."""
    p = Path(path)
    return safe_name(p.stem if p.is_file() else p.name)


@dataclass
class JobSpec:
    """Everything one report job needs (picklable; sent to pool or Dask workers).

    ``bundle_files`` carries the input's files (relative path -> bytes) when the worker may
    not see the submitting machine's file system (a remote Dask cluster).
    """

    name: str
    kind: str
    inputs: list[str]
    template: str
    template_text: str
    parameters: dict[str, Any]
    kernel_name: str
    timeout: float | None = 600.0
    retries: int = 1
    show_code: bool = False
    cache_dir: str | None = None
    bundle_files: list[dict[str, bytes]] | None = None
    fail_on_stderr: bool = False


@dataclass
class JobOutcome:
    """Result of :func:`run_job`: status, error, timings and the bytes of every output."""

    name: str
    kind: str
    status: str
    record: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    error: str = ""


def params_hash(parameters: dict[str, Any]) -> str:
    """Hash of the report parameters that change the output (not cache folders)."""
    keep = {k: v for k, v in parameters.items() if k not in ("results_dir", "county", "counties")}
    return hashlib.sha256(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()


def template_hash(text: str) -> str:
    """SHA-256 of a template's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _materialise(spec: JobSpec, workdir: Path) -> list[str]:
    if not spec.bundle_files:
        return list(spec.inputs)
    out = []
    for i, (src, files) in enumerate(zip(spec.inputs, spec.bundle_files, strict=True)):
        base = workdir / "in" / f"{i}" / Path(src).name
        for rel, data in files.items():
            target = (base / rel).resolve()
            if base.resolve() not in target.parents and target != base.resolve():
                raise ReportError(f"refusing to write {rel!r} outside the job folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        out.append(
            str(base / Path(src).name)
            if Path(src).suffix.lower() in (".xlsx", ".xlsm") and (base / Path(src).name).is_file()
            else str(base)
        )
    return out


def bundle_files(path: str | os.PathLike[str], limit: int = 200 * 1024 * 1024) -> dict[str, bytes]:
    """Read a bundle folder's (or workbook's) files for shipping to a remote worker."""
    p = Path(path)
    if p.is_file():
        return {p.name: p.read_bytes()}
    files, total = {}, 0
    for f in sorted(p.rglob("*")):
        rel = f.relative_to(p)
        if f.is_file() and not any(part.startswith(".") for part in rel.parts):
            total += f.stat().st_size
            if total > limit:
                raise ReportError(
                    f"{p} is larger than {limit // 2**20} MB; use a shared file system"
                )
            files[rel.as_posix()] = f.read_bytes()
    return files


def _summarise_error(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "PapermillExecutionError":
        ename = getattr(exc, "ename", "Error")
        evalue = str(getattr(exc, "evalue", "")).strip()
        cell = getattr(exc, "exec_count", None)
        return f"in notebook cell {cell}: {ename}: {evalue}"[:2000]
    if isinstance(exc, InputError):
        lines = str(exc).splitlines()
        return (" | ".join(lines[:4]) + (f" | … {len(lines) - 4} more" if len(lines) > 4 else ""))[
            :2000
        ]
    return f"{name}: {exc}"[:2000]


def run_job(spec: JobSpec) -> JobOutcome:
    """Execute one report job; never raises for a failure of the county (see ``status``).

    Steps: load (or compute and cache) the county's results, execute the template in a fresh
    kernel (retrying transient kernel failures up to ``spec.retries`` times), convert to
    HTML. Returns the record and the bytes of the HTML and executed notebook; writes nothing
    outside a private temporary folder (and the results cache, when given).
    """
    from tcmcounty import results as R

    t_start = time.perf_counter()
    durations: dict[str, float] = {}
    record: dict[str, Any] = {
        "kind": spec.kind,
        "name": spec.name,
        "inputs": spec.inputs,
        "template": spec.template,
        "template_hash": template_hash(spec.template_text),
        "parameters": _jsonable(spec.parameters),
        "params_hash": params_hash(spec.parameters),
        "package_version": tcmcounty.__version__,
        "package_build": R.code_hash(),
        "kernel_name": spec.kernel_name,
        "python": sys.version.split()[0],
    }
    files: dict[str, bytes] = {}
    status, error, attempts = "failed", "", 0
    workdir = Path(tempfile.mkdtemp(prefix="tcmr-"))
    try:
        inputs = _materialise(spec, workdir)
        record["inputs_hash"] = _inputs_hash(inputs)
        # 1. results outside the kernel
        t = time.perf_counter()
        headline: dict[str, Any] = {}
        county_meta: list[dict[str, Any]] = []
        indicators: list[list[dict[str, Any]]] = []
        p = spec.parameters
        for path in inputs:
            res = R.load_results(
                path,
                population=p.get("population", "resident"),
                thresholds_km=p.get("thresholds_km"),
                targets=p.get("targets") or None,
                cache_dir=spec.cache_dir,
            )
            c = res.county
            county_meta.append(
                {
                    "adcode": c.adcode,
                    "name_zh": c.name_zh,
                    "name_en": c.name_en,
                    "province": c.province,
                    "city": c.city,
                    "status_counts": c.status_counts(),
                }
            )
            if spec.kind == KIND_COUNTY:
                # draw the figures here (library and fonts already loaded), so the kernel only embeds them
                lang = p.get("language", "zh-en")
                if lang not in res.figures or len(res.figures[lang]) < len(CountyView.FIGURES):
                    t_fig = time.perf_counter()
                    view = CountyView(
                        check_parameters(
                            path,
                            p.get("population", "resident"),
                            p.get("thresholds_km"),
                            p.get("targets") or None,
                            p.get("report_date") or None,
                            lang,
                        ),
                        results=res,
                    )
                    view.prerender()
                    durations["figures"] = round(time.perf_counter() - t_fig, 4)
                    if spec.cache_dir:
                        R.save_results(res, spec.cache_dir)
            indicators.append(res.indicator_records())
            if not headline:
                headline = res.headline()
        durations["results"] = round(time.perf_counter() - t - durations.get("figures", 0.0), 4)
        record["counties"] = county_meta
        record["headline"] = headline
        record["indicators"] = (
            indicators[0] if spec.kind == KIND_COUNTY and indicators else indicators
        )
        # 2. execute
        params = dict(spec.parameters)
        if spec.kind == KIND_COUNTY:
            params["county"] = inputs[0]
        else:
            params["counties"] = inputs
        if spec.cache_dir:
            params["results_dir"] = spec.cache_dir
        template = workdir / "template.ipynb"
        template.write_text(spec.template_text, encoding="utf-8")
        nb = None
        while True:
            attempts += 1
            kdir = workdir / f"k{attempts}"
            kdir.mkdir()
            try:
                nb, d = execute_template(
                    template,
                    params,
                    workdir=kdir,
                    kernel_name=spec.kernel_name,
                    timeout=spec.timeout,
                )
                durations.update(d)
                break
            except Exception as exc:
                if attempts <= spec.retries and is_transient(exc):
                    record.setdefault("retried", []).append(_summarise_error(exc))
                    continue
                raise
        record["cell_seconds"] = [
            round(float(c.get("metadata", {}).get("papermill", {}).get("duration") or 0), 3)
            for c in nb.cells
            if c.get("cell_type") == "code"
        ]
        err = has_traceback(nb)
        if err:
            raise ReportError(f"the executed notebook holds an error: {err}")
        # 3. convert
        t = time.perf_counter()
        title = (
            f"{county_meta[0]['name_zh']} {county_meta[0]['name_en']}"
            if spec.kind == KIND_COUNTY
            else "县域比较 " + "、".join(m["name_zh"] for m in county_meta)
        )
        body = notebook_to_html(nb, show_code=spec.show_code, title=title)
        durations["convert"] = round(time.perf_counter() - t, 4)
        import nbformat

        files[f"{spec.name}.html"] = body.encode("utf-8")
        files[f"{spec.name}.ipynb"] = nbformat.writes(nb).encode("utf-8")
        record["html_bytes"] = len(files[f"{spec.name}.html"])
        if record["html_bytes"] > MAX_HTML_BYTES:
            record["warning"] = f"report is {record['html_bytes'] / 2**20:.1f} MB (> 2 MB)"
        status = "ok"
    except KernelTimeoutError as exc:
        status, error = "timeout", str(exc)
    except Exception as exc:
        error = _summarise_error(exc)
        failed_nb = getattr(exc, "notebook", None)
        if failed_nb is not None:
            import nbformat

            files[f".failed/{spec.name}.ipynb"] = nbformat.writes(failed_nb).encode("utf-8")
        if (
            not isinstance(exc, (TcmCountyError, OSError))
            and type(exc).__name__ != "PapermillExecutionError"
        ):
            record["traceback"] = traceback.format_exc(limit=8)[-4000:]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    durations["total"] = round(time.perf_counter() - t_start, 4)
    record.update(
        {
            "status": status,
            "error": error,
            "attempts": attempts,
            "durations": durations,
            "outputs": sorted(k for k in files if not k.startswith(".")),
        }
    )
    return JobOutcome(spec.name, spec.kind, status, record, files, error)


def _inputs_hash(inputs: Sequence[str]) -> str:
    from tcmcounty import results as R

    if len(inputs) == 1:
        return R.inputs_hash(inputs[0])
    return hashlib.sha256("".join(R.inputs_hash(p) for p in inputs).encode()).hexdigest()


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(d, default=str))


# =============================================================================================
# Writing outputs


def write_outcome(out_dir: str | os.PathLike[str], outcome: JobOutcome) -> Path:
    """Write a job's outputs into ``out_dir`` atomically; the JSON record is written last.

    A failed job leaves earlier good outputs of the same county in place (its record says it
    failed); the failed notebook, if any, goes to ``.failed/``.
    """
    from tcmcounty.index import write_file_atomic

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    root = out.resolve()
    record_name = f"{outcome.name}.json"
    # check every target (the record too) before writing any: all or nothing
    for rel in [*outcome.files, record_name]:
        if root not in (out / rel).resolve().parents:
            raise ReportError(f"refusing to write {rel!r} outside {out}")
    for rel, data in outcome.files.items():
        write_file_atomic(out / rel, data)
    rec = dict(outcome.record)
    rec["written"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    target = out / record_name
    write_file_atomic(
        target, (json.dumps(rec, ensure_ascii=False, indent=1, default=str) + "\n").encode("utf-8")
    )
    return target


def read_record(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Read a report's JSON record (``None`` if missing or unreadable)."""
    try:
        rec = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) else None


def is_up_to_date(out_dir: str | os.PathLike[str], spec: JobSpec, inputs_hash: str) -> bool:
    """Tell whether ``out_dir`` holds an up-to-date successful report of ``spec``.

    Up to date: the same inputs hash, template hash, parameters, package version and build,
    and every output file present.
    """
    from tcmcounty import results as R

    out = Path(out_dir)
    rec = read_record(out / f"{spec.name}.json")
    if not rec or rec.get("status") != "ok":
        return False
    same = (
        rec.get("inputs_hash") == inputs_hash
        and rec.get("template_hash") == template_hash(spec.template_text)
        and rec.get("params_hash") == params_hash(spec.parameters)
        and rec.get("package_version") == tcmcounty.__version__
        and rec.get("package_build") == R.code_hash()
    )
    return same and all((out / f).is_file() for f in rec.get("outputs", []))


def clean_partial_files(out_dir: str | os.PathLike[str]) -> int:
    """Remove temporary files left by an interrupted atomic write (``.<name>.*.tmp*``)."""
    out = Path(out_dir)
    n = 0
    if not out.is_dir():
        return 0
    for p in [*out.glob(".*.tmp*"), *out.glob(".failed/.*.tmp*"), *out.glob(".cache/.*.tmp*")]:
        if p.is_file() and re.match(r"^\..+\.[^.]*\.?tmp", p.name):
            p.unlink(missing_ok=True)
            n += 1
    return n


class OutputLock:
    """An exclusive lock on an output folder, so two runs never write the same reports.

    Uses ``fcntl.flock`` on ``<out>/.tcmcounty.lock``: the operating system releases it when
    the process ends, even after SIGKILL, so a stale lock never blocks the next run.

    Raises
    ------
    ReportError
        From ``__enter__`` when another process holds the lock (with its pid and start time).
    """

    def __init__(self, out_dir: str | os.PathLike[str], what: str = "tcmcounty") -> None:
        self.path = Path(out_dir) / LOCK_NAME
        self.what = what
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:  # never follow a symlink planted in place of the lock (it would be overwritten)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:
            if not self.path.is_symlink():
                raise
            raise ReportError(
                f"{self.path} is a symbolic link; remove it and run again "
                f"/ 锁文件是符号链接，请删除后重试 ({exc.strerror})"
            ) from None
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            self._fd = fd
            return self
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
            finally:
                os.close(fd)
            raise ReportError(
                f"another tcmcounty run is writing to {self.path.parent} ({holder or 'unknown process'}); "
                f"wait for it to finish or choose another --out folder "
                f"/ 另一个任务正在写入该目录，请等待其结束或换一个输出目录"
            ) from None
        info = f"pid {os.getpid()}, {self.what}, started {dt.datetime.now().astimezone().isoformat(timespec='seconds')}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing releases the flock
            self._fd = None


# =============================================================================================
# One report


def county_parameters(
    population: str = "resident",
    thresholds_km: object = None,
    targets: str | None = None,
    report_date: object = None,
    language: str = "zh-en",
) -> dict[str, Any]:
    """Validate the template parameters shared by every county of a run (dates as ISO text)."""
    from tcmcounty import results as R

    if population not in R.POPULATIONS:
        raise ReportError(
            f"population must be one of {', '.join(R.POPULATIONS)}, not {population!r}"
        )
    if language not in LANGUAGES:
        raise ReportError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    if targets and not Path(targets).is_file():
        raise ReportError(f"targets file not found: {targets}")
    return {
        "population": population,
        "thresholds_km": list(R.normalise_thresholds(thresholds_km)),
        "targets": str(Path(targets).resolve()) if targets else "",
        "report_date": R.parse_report_date(report_date).isoformat(),
        "language": language,
    }


def make_spec(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    kind: str = KIND_COUNTY,
    name: str | None = None,
    template: str | os.PathLike[str] | None = None,
    parameters: dict[str, Any] | None = None,
    kernel_name: str | None = None,
    timeout: float | None = 600.0,
    retries: int = 1,
    show_code: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    ship_inputs: bool = False,
) -> JobSpec:
    """Build a :class:`JobSpec` for a county report or a comparison."""
    tpl = (
        Path(template)
        if template
        else template_path("county_report" if kind == KIND_COUNTY else "compare_counties")
    )
    try:
        text = tpl.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot read template {tpl}: {exc}") from None
    paths = [str(Path(p).resolve()) for p in inputs]
    if name is None:
        name = (
            output_name(paths[0])
            if kind == KIND_COUNTY
            else "compare-" + "-".join(output_name(p).split("-", 1)[-1] for p in paths)
        )
    return JobSpec(
        name=safe_name(name),
        kind=kind,
        inputs=paths,
        template=str(tpl),
        template_text=text,
        parameters=dict(parameters if parameters is not None else county_parameters()),
        kernel_name=kernel_name or default_kernel(),
        timeout=timeout,
        retries=retries,
        show_code=show_code,
        cache_dir=str(Path(cache_dir).resolve()) if cache_dir else None,
        bundle_files=[bundle_files(p) for p in paths] if ship_inputs else None,
    )


def render_report(
    county: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] = "reports",
    *,
    template: str | os.PathLike[str] | None = None,
    show_code: bool = False,
    timeout: float | None = 600.0,
    retries: int = 1,
    kernel_name: str | None = None,
    index: bool = True,
    **params: Any,
) -> dict[str, Any]:
    """Render one county's report into ``out_dir``; return its record.

    Parameters
    ----------
    county : str or path
        A bundle folder, a workbook, or a bundled county's name.
    out_dir : path
        Output folder (``<name>.html``, ``<name>.ipynb``, ``<name>.json``; results cache in
        ``.cache/``).
    params
        Template parameters: ``population``, ``thresholds_km``, ``targets``, ``report_date``,
        ``language``.

    Raises
    ------
    ReportError
        If the report failed (the record in ``out_dir`` says why) or the folder is locked.
    """
    from tcmcounty import index as I
    from tcmcounty.load import resolve

    check_kernel(kernel_name or default_kernel())
    path = resolve(county)
    out = Path(out_dir)
    spec = make_spec(
        [path],
        template=template,
        parameters=county_parameters(**params),
        kernel_name=kernel_name,
        timeout=timeout,
        retries=retries,
        show_code=show_code,
        cache_dir=out / ".cache",
    )
    with OutputLock(out, "tcmcounty report"):
        clean_partial_files(out)
        outcome = run_job(spec)
        write_outcome(out, outcome)
        if index:
            I.write_index(out)
    if outcome.status != "ok":
        raise ReportError(f"report for {spec.name} {outcome.status}: {outcome.error}")
    return outcome.record


def render_comparison(
    counties: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str] = "reports",
    *,
    name: str | None = None,
    template: str | os.PathLike[str] | None = None,
    show_code: bool = False,
    timeout: float | None = 600.0,
    retries: int = 1,
    kernel_name: str | None = None,
    lock: bool = True,
    **params: Any,
) -> dict[str, Any]:
    """Render a side-by-side comparison of ``counties`` into ``out_dir``; return its record."""
    from tcmcounty.load import resolve

    check_kernel(kernel_name or default_kernel())
    paths = [resolve(c) for c in counties]
    out = Path(out_dir)
    spec = make_spec(
        paths,
        kind=KIND_COMPARE,
        name=name,
        template=template,
        parameters=county_parameters(**params),
        kernel_name=kernel_name,
        timeout=timeout,
        retries=retries,
        show_code=show_code,
        cache_dir=out / ".cache",
    )
    ctx = OutputLock(out, "tcmcounty comparison") if lock else contextlib.nullcontext()
    with ctx:
        outcome = run_job(spec)
        write_outcome(out, outcome)
    if outcome.status != "ok":
        raise ReportError(f"comparison {spec.name} {outcome.status}: {outcome.error}")
    return outcome.record


__all__ = [
    "CompareView",
    "CountyView",
    "JobOutcome",
    "JobSpec",
    "OutputLock",
    "ReportParameters",
    "check_compare_parameters",
    "check_kernel",
    "check_parameters",
    "execute_template",
    "make_spec",
    "notebook_to_html",
    "render_comparison",
    "render_report",
    "run_job",
    "strip_timestamp",
    "write_outcome",
]
