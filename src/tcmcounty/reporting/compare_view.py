"""The comparison view: the sections of ``compare_counties.ipynb``, several counties side by side."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from tcmcounty._version import __version__
from tcmcounty.errors import ReportError
from tcmcounty.formatting import fmt_num, fmt_pct
from tcmcounty.indicators.registry import indicator_name
from tcmcounty.reporting.parameters import ReportParameters
from tcmcounty.reporting.sections import (
    REPORT_CSS,
    Html,
    _is_na,
    _png,
    _section,
    _t,
    _unavailable,
    banner_html,
    esc,
    graded_target,
    img_html,
    note_html,
    pick,
    span,
    table_html,
)

# =============================================================================================
# Comparison view (used by notebooks/compare_counties.ipynb)


def check_compare_parameters(counties: object = None, **shared: Any) -> list[ReportParameters]:
    """Validate the parameters of ``compare_counties.ipynb``: one :class:`ReportParameters` per county.

    Parameters
    ----------
    counties : list of str, or str
        County names or paths (a list, or text separated by commas or new lines); at most 12.
    **shared
        The parameters shared by every county, raw, as in
        :meth:`~tcmcounty.reporting.parameters.ReportParameters.from_raw`.

    Returns
    -------
    list of ReportParameters

    Raises
    ------
    ReportError
        If ``counties`` is not a non-empty list of names or paths, or another parameter is invalid.

    Examples
    --------
    >>> ps = check_compare_parameters("anyue, wenxi", report_date="2024-06-30")
    >>> [p.county.rsplit("/", 1)[-1] for p in ps], ps[1].report_date.isoformat()
    (['512021-anyue', '140823-wenxi'], '2024-06-30')
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
    first = ReportParameters.from_raw(counties[0], **shared)
    out = [first, *(first.for_county(c) for c in counties[1:])]
    if len({p.county for p in out}) != len(out):
        raise ReportError("parameter 'counties' lists the same county twice / 县重复")
    return out


class CompareView:
    """Side-by-side sections for several counties."""

    def __init__(self, params: Sequence[ReportParameters]) -> None:
        from tcmcounty.reporting import results as R

        self.params = list(params)
        self.lang = self.params[0].language
        self.results = [R.results_for(p) for p in self.params]
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
            f"{esc(stamp)} · tcmcounty {esc(__version__)}</div>"
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
            ("target_shown", "目标（证据等级）", "target (evidence grade)"),
        ]
        for n in self.names:
            cols += [
                (f"{n} value", f"{n} 数值", "value"),
                (f"{n} met", f"{n} 判定", "verdict"),
                (f"{n} status", f"{n} 数据状态", "data status"),
            ]
        table = table.copy()
        table["target_shown"] = [
            graded_target(t, g, lang)
            for t, g in zip(
                table["target"],
                table["target_grade"] if "target_grade" in table else [""] * len(table),
                strict=True,
            )
        ]
        table["construction"] = self.same_by_construction(table)
        cols.append(("construction", "说明", "note"))
        fmt = {
            f"{n} met": (lambda v: "—" if _is_na(v) else ("✓" if bool(v) else "✗"))
            for n in self.names
        }
        if lang == "zh":  # a zh report names, never codes
            cols = [c for c in cols if c[0] != "id"]
        body = table_html(table, cols, lang, fmt, classes={"target_shown": "tcm-target"})
        same = table.loc[table["construction"] != "", "id"].tolist()
        if same:
            named = "、".join(f"“{indicator_name(i, 'zh', table)}”" for i in same)
            body += note_html(
                _t(
                    f"{named} 在各县都是估算值：县级总数按全国比值 × 该县人口推算，"
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
