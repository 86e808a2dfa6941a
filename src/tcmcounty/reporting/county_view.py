"""The county view: each section of ``county_report.ipynb`` as HTML, from cached results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from tcmcounty._version import __version__
from tcmcounty.county import POPULATION_KEYS, RESOURCE_KEYS, status_label
from tcmcounty.formatting import fmt_num, fmt_pct
from tcmcounty.indicators.targets import DEFAULT_TARGET_SET, target_set_label
from tcmcounty.inputs.sources import supplied_by_user
from tcmcounty.reporting.parameters import ReportParameters
from tcmcounty.reporting.readiness import NO_VERDICT_LABEL
from tcmcounty.reporting.sections import (
    NAME_COLUMNS,
    REPORT_CSS,
    STATUS_ZH,
    Html,
    _is_na,
    _lbl,
    _section,
    _t,
    _unavailable,
    area_label,
    banner_html,
    esc,
    graded_target,
    heat_table_html,
    img_html,
    mark_cites,
    name_html,
    note_html,
    pick,
    span,
    table_html,
)
from tcmcounty.schema import TABLES

if TYPE_CHECKING:
    from tcmcounty.spatial.travel.report import TravelCoverage

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
    FIGURES = ("indicators", "map_any", "access_map", "sites_map", "travel_map")

    def __init__(self, params: ReportParameters, results: Any = None) -> None:
        from tcmcounty.reporting import results as R

        self.params = params
        self.lang = params.language
        self.res = results if results is not None else R.results_for(params, strict=False)
        self.county = self.res.county
        self._bib: Any = None

    @property
    def bib(self) -> Any:
        """The report's bibliography: numbered in the order the sections cite (参考文献)."""
        from tcmcounty.reporting.bibliography import Bibliography, Reference, load_references

        if self._bib is None:
            records = list(load_references().values())
            src = self.county.sources
            if src is not None and "id" in src:
                for row in src.to_dict("records"):
                    # (a record of the table: its column names are str)
                    ref = Reference.from_mapping(str(row["id"]), cast("dict[str, Any]", row))
                    known = {r.id for r in records}
                    # the package's record of a document wins unless the data's says more
                    if ref.id not in known or str(row.get("type") or "").strip():
                        records.append(ref)
            self._bib = Bibliography(records)
        return self._bib

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
        elif name == "travel_map" and getattr(res, "travel", None) is not None:
            # Travel-time bands (15 / 30 / 60 min): each village shows its band's upper edge.
            fig = plotting.value_map(
                c.villages,
                cast("TravelCoverage", res.travel).bands("any_tcm"),  # (not None: tested above)
                boundary=c.boundary,
                facilities=c.facilities,
                lang=lang,
                title=("到最近中医药服务的出行时间", "Travel time to the nearest TCM service"),
                colorbar=("分钟（时段上限；灰叉：60分钟内无）", "minutes (band; grey: none in 60)"),
                target=30.0,
                higher_is_better=False,
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
                    radius=res.plan.radius_text(),
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

    def _name(self, indicator_id: str, lang: str) -> str:
        """Name of an indicator in ``lang`` (``zh-en`` gives the Chinese name): a report names, not codes."""
        from tcmcounty.indicators.registry import indicator_name

        return indicator_name(indicator_id, lang, self.res.indicators)

    def _graded(self, indicator_id: str, target: object = None) -> str:
        """Return the county-level target of an indicator with its evidence grade (plain text).

        ``target`` replaces the target text (e.g. the alliance table's own wording); the grade is
        always the indicator row's, so every view shows the same grade for the same target.
        """
        ind = self.res.indicators
        if ind is None or "target_grade" not in ind:
            return "—"
        row = ind[(ind["id"] == indicator_id) & (ind.get("level", "county") == "county")]
        if not len(row):
            return "—"
        r = row.iloc[0]
        return graded_target(
            r["target"] if target is None else target, r["target_grade"], self.lang
        )

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
            (
                _t("所属", "Province / city", lang),
                " ".join(name_html(x, lang) for x in (c.province, c.city) if x),
            ),
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
                else esc(target_set_label(DEFAULT_TARGET_SET, lang)),
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
        # two items a row: the first screen keeps room for the verdict and the actions
        pairs = [rows[i : i + 2] for i in range(0, len(rows), 2)]
        meta = "".join(
            "<tr>" + "".join(f"<td>{k}</td><td>{v}</td>" for k, v in pair) + "</tr>"
            for pair in pairs
        )
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
            f"{esc(stamp)} · tcmcounty {esc(__version__)}</div>"
            f"{banner_html(c.status_counts(), lang)}</div>"
        )

    def readiness(self) -> Html:
        """Ready for the review? Targets met / not met / no data with their grades, tasks, stages.

        The first screen of the report; the figures are
        :func:`tcmcounty.reporting.readiness.results_readiness`, as in ``tcmcounty readiness``
        and the batch index.
        """
        from tcmcounty.reporting.readiness import GRADE_LABELS, VERDICT_ZH, results_readiness

        lang, r = self.lang, results_readiness(self.res, self.params.report_date)
        verdict = _t("已就绪", "ready", lang) if r.ready else _t("未就绪", "not ready", lang)
        n = len(r.targets)

        # class tcm-ready first: these cards are not the headline's (tcm-card met / unmet)
        def card(css: str, figure: object, zh: str, en: str) -> str:
            return (
                f"<div class='tcm-card tcm-ready {css}' data-tcm-ready='{esc(en)}'>"
                f"<b>{figure}</b>{_t(zh, en, lang)}</div>"
            )

        cards = card("met" if r.ready else "unmet", verdict, "迎接评审", "for the review")
        # green only when all is done, red only when something is wrong: 0/24 is no success
        cards += card(
            "met" if n and r.n("met") == n else "", f"{r.n('met')}/{n}", "项指标达标", "targets met"
        )
        cards += card("unmet" if r.n("not_met") else "", r.n("not_met"), "项未达标", "not met")
        cards += card("", r.n("no_data"), NO_VERDICT_LABEL[0], NO_VERDICT_LABEL[1])
        # the verdict's cards, then what is missing in words, then the tasks and the timetable
        body = f"<div class='tcm-cards'>{cards}</div>"
        missing = r.missing()
        if missing:
            # the link to the worklists before the list: on the first screen whatever the list's length
            file = self.worklist_file()
            body += (
                f"<p>{_t('还缺什么：', 'What is missing:', lang)} "
                f"<a href='#worklist'>{_t('整改清单：逐项列出要整改的机构和村', 'Worklists: the facilities and villages to act on', lang)}</a>"
                f" · <a href='{esc(file)}' download>{span(esc(file), 'tcm-name')}</a></p><ul>"
            )
            body += "".join(f"<li>{_t(zh, en, lang)}</li>" for zh, en in missing) + "</ul>"
        cards = ""
        s = r.task_states
        if s is not None:
            done = "met" if r.n_tasks and s["done"] == r.n_tasks else ""
            cards += card(done, f"{s['done']}/{r.n_tasks}", "项任务完成", "tasks done")
            cards += card(
                "unmet" if r.overdue else "", r.overdue, "项任务过期未完成", "tasks overdue"
            )
            cards += card("", s["not_reported"], "项任务未报告", "tasks not reported")
        if r.next is not None:
            nx = r.next
            cards += card(
                "", nx.days, f"天后进入{nx.phase_zh}", f"days to {nx.phase_en or nx.phase_zh}"
            )
        stage_zh, stage_en = r.stage_text()
        if cards:
            body += f"<div class='tcm-cards'>{cards}</div>"
        body += note_html(_t(stage_zh, stage_en, lang))
        frame = r.target_frame()
        if len(frame):
            order = {"not_met": 0, "no_data": 1, "met": 2}
            frame = frame.sort_values("verdict", key=lambda v: v.map(order), kind="stable")
            frame["verdict_text"] = [
                f"{VERDICT_ZH[v]} {v.replace('_', ' ')}" for v in frame["verdict"]
            ]
            cols = [
                ("id", "编号", "id"),
                ("name_zh", "指标", "indicator"),
                ("name_en", "英文名", "name"),
                ("value", "数值", "value"),
                ("target", "目标", "target"),
                ("verdict_text", "判定", "verdict"),
                ("grade_label", "目标证据等级", "evidence grade of the target"),
                ("status_shown", "数据状态", "data status"),
            ]
            # one name column (the indicators section has both); a zh report names, never codes
            cols = [c for c in cols if c[0] != ("name_zh" if lang == "en" else "name_en")]
            if lang == "zh":
                cols = [c for c in cols if c[0] != "id"]

            def rc(row: pd.Series) -> str:
                return {"met": "tcm-met", "not_met": "tcm-unmet"}.get(str(row["verdict"]), "")

            body += table_html(frame, cols, lang, row_class=rc, classes={"id": "tcm-name"})
        grades = "，".join(
            f"{pick(GRADE_LABELS.get(g, g), 'zh')} {k}" for g, k in r.grade_counts().items()
        )
        grades_en = ", ".join(f"{g} {k}" for g, k in r.grade_counts().items())
        if grades:
            body += note_html(
                _t(
                    f"目标证据等级：{grades}。",
                    f"Evidence grades of the targets: {grades_en}.",
                    lang,
                )
            )
        if r.without_number:
            ids = "、".join(f"“{self._name(i, 'zh')}”" for i in r.without_number)
            body += note_html(
                _t(
                    f"另有 {len(r.without_number)} 项指标的目标没有数值，只列出、不计入判定：{ids}。",
                    f"{len(r.without_number)} more indicators have a target without a number; "
                    f"shown, not counted: {', '.join(r.without_number)}.",
                    lang,
                )
            )
        body += (
            f"<p class='tcm-note' data-tcm-readiness='1'>{esc(pick(r.summary(), lang))}</p>"
            + note_html(
                _t(
                    f"报告日期 {r.report_date.isoformat()}。证据等级：已核实 = 读过规定该数值的原文；"
                    "引自其他文件 = 来自其他范围的官方文件；未核实 = 仅见于二手资料。",
                    f"Report date {r.report_date.isoformat()}. Evidence grade: verified = the text "
                    "setting the number was read; derived = from an official document of another "
                    "scope; unverified = seen only second-hand.",
                    lang,
                )
            )
        )
        return _section("迎检准备", "Ready for the review?", lang, body, "readiness")

    def headline(self) -> Html:
        """Targets met / not met, with the need to close each gap."""
        lang, h = self.lang, self.res.headline()
        cards = (
            f"<div class='tcm-card met'><b>{h['n_met']}</b>{_t('项达标', 'targets met', lang)}</div>"
            f"<div class='tcm-card unmet'><b>{h['n_unmet']}</b>{_t('项未达标', 'targets not met', lang)}</div>"
            f"<div class='tcm-card'><b>{h['n_no_verdict']}</b>{_t(*NO_VERDICT_LABEL, lang)}</div>"
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
                f"{_t('居民由县级中医医院牵头医联体覆盖', 'residents covered by alliances led by the county TCM hospital (T-YLT)', lang)}</div>"
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
                f"{_t('目标', 'target', lang)} "
                f"{span(esc(self._graded(u['id'], u['target'])), 'tcm-target')}"
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
            ("target_shown", "目标（证据等级）", "target (evidence grade)"),
            ("met", "判定", "verdict"),
            ("need", "缺口", "need"),
            ("need_unit", "缺口单位", "need unit"),
            ("status_shown", "数据状态", "data status"),
            ("reason", "说明", "note"),
        ]
        if lang == "zh":
            cols = [c for c in cols if c[0] not in ("name_en", "id")]
        if lang == "en":
            cols = [c for c in cols if c[0] != "name_zh"]
        table = self._indicator_tables(ind, cols, verdict, row_class)
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
            target_set_label(s, lang)
            for s in sorted({str(s) for s in ind.get("target_set", pd.Series(dtype=str)).dropna()})
        )
        note = note_html(
            _t("目标值集：", "Target set: ", lang) + span(esc(sets or "—"), "tcm-name")
        )
        return _section(
            "指标与目标", "Indicators against targets", lang, table + chart + note, "indicators"
        )

    def _indicator_tables(
        self, ind: pd.DataFrame, cols: list[tuple[str, str, str]], verdict: Any, row_class: Any
    ) -> str:
        """One table per area of the standard (:data:`tcmcounty.indicators.model.AREAS`), in order."""
        from tcmcounty.indicators.model import AREAS

        lang = self.lang
        ind = ind.assign(
            target_shown=[
                graded_target(t, g, lang)
                for t, g in zip(
                    ind["target"],
                    ind["target_grade"] if "target_grade" in ind else [""] * len(ind),
                    strict=True,
                )
            ],
            status_shown=[
                status_label(s, d)
                for s, d in zip(
                    ind["input_status"] if "input_status" in ind else [None] * len(ind),
                    ind["input_derived"] if "input_derived" in ind else [None] * len(ind),
                    strict=True,
                )
            ],
        )
        areas = ind["area"] if "area" in ind else pd.Series("other", index=ind.index)
        out = ""
        for area in [a for a in AREAS if (areas == a).any()]:
            part = ind[(areas == area).to_numpy(dtype=bool)]
            out += f"<h3 class='tcm-area' data-tcm-area='{esc(area)}'>{esc(area_label(area, lang))}</h3>"
            out += table_html(
                part,
                cols,
                lang,
                {"met": verdict, "need": lambda v: fmt_num(v, 0)},
                row_class=row_class,
                classes={"target_shown": "tcm-target"},
            )
        return out

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
            f"{_t(zh, en, lang)} {span(esc(self._graded(ids[c])), 'tcm-target')}"
            for c, zh, en in share_cols
            if targets[c] is not None
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
        body = f"<div class='tcm-side'>{''.join(figs)}</div>" + self._distance_model()
        return _section("地图", "Maps", lang, body, "maps")

    def _distance_model(self) -> str:
        """Which distance model the figures use; with travel times, coverage in minutes."""
        from tcmcounty.spatial.travel.model import DETOUR_BAND

        lang, res = self.lang, self.res
        lo, hi = DETOUR_BAND
        # DETOUR_SOURCES in words, cited from the bibliography (boscoe-2012, ballou-2002)
        straight = _t(
            f"距离模型：以上距离与地图均为直线距离（未提供路网或摩擦面）。驾车距离与直线距离高度相关，"
            f"海岸线等障碍附近例外@boscoe；绕行系数敏感性区间 {lo:g}–{hi:g}，即农村路网常用的绕行系数范围@ballou"
            "（未核实；有路网时可用路网图层实测）。",
            f"Distance model: distances and maps above are straight lines (no road or friction "
            f"layer). Driving and straight-line distances are highly correlated, with local "
            f"exceptions near shorelines and other barriers@boscoe; detour-factor sensitivity band "
            f"{lo:g}–{hi:g}, the range commonly used for rural road networks@ballou (unverified; "
            "measure it with a road layer where one exists).",
            lang,
        )
        straight = straight.replace("@boscoe", self.bib.cite("boscoe-2012")).replace(
            "@ballou", self.bib.cite("ballou-2002")
        )
        out = [note_html(straight)]
        travel = getattr(res, "travel", None)
        if travel is None:
            if "travel" in res.unavailable:
                out.append(self._unavailable("travel"))
            return "".join(out)
        if travel.model.kind == "roads":
            mode_zh, mode_en = {"walk": ("步行", "walking"), "motor": ("机动车", "motorised")}[
                travel.mode
            ]
            what = _t(f"出行时间：路网，{mode_zh}", f"Travel time: road network, {mode_en}", lang)
        else:
            what = _t("出行时间：摩擦面", "Travel time: friction surface", lang)
        snap = travel.snap_m if travel.snap_m is not None else pd.Series(dtype=float)
        med = f"{snap.median():.0f}" if len(snap) else "—"
        detail = _t(
            f"已接入 {len(snap)} 个村（接入距离中位数 {med} 米）；无法接入 {len(travel.flagged)} 个点，按未覆盖计。",
            f"{len(snap)} villages joined (median connector {med} m); {len(travel.flagged)} points "
            "could not join and count as not covered.",
            lang,
        )
        out.append(
            note_html(
                f"{what} <span class='tcm-name'>{esc(Path(travel.source).name)}</span><br>{detail}"
            )
        )
        png = self._figure("travel_map")
        if png:
            caption = _t(
                "村按到最近中医药服务的出行时间分段着色（15/30/60分钟）。",
                "Villages coloured by travel-time band to the nearest TCM service (15 / 30 / 60 min).",
                lang,
            )
            out.append(img_html(png, "Map of travel-time bands", caption))
        cov = travel.coverage["any_tcm"]
        cols = [("name", "乡镇", "Township")] + [
            (f"covered_share_{t.label}", f"{t.label}内占比", f"share within {t.label}")
            for t in cov.thresholds
        ]
        fmt = {c: fmt_pct for c, _, _ in cols[1:]}
        out.append(table_html(cov.table("township"), cols, lang, formats=fmt))
        village_cols = [
            ("code", "村代码", "Code"),
            ("name", "村", "Village"),
            ("population", "人口", "Population"),
        ]
        for minutes in (15, 30):
            unc = travel.uncovered(minutes)
            pop = fmt_num(unc["population"].sum())
            zh = f"{minutes}分钟内无中医药服务的村：{len(unc)} 个，人口 {pop}（前50个）。"
            en = f"Villages without a TCM service within {minutes} min: {len(unc)}, population {pop} (first 50)."
            out.append(note_html(_t(zh, en, lang)))
            if len(unc):
                out.append(
                    table_html(unc.head(50), village_cols, lang, formats={"population": fmt_num})
                )
        if len(travel.flagged):
            from tcmcounty.spatial.travel.report import flag_zh

            flagged = travel.flagged.head(50).assign(
                kind=lambda d: (
                    d["kind"].map({"village": "村", "facility": "机构"})
                    if lang == "zh"
                    else d["kind"]
                ),
                flag=lambda d: d["flag"].map(
                    lambda x: (
                        flag_zh(x)
                        if lang == "zh"
                        else (x if lang == "en" else f"{flag_zh(x)} / {x}")
                    )
                ),
            )
            flag_cols = [("kind", "类型", "Kind"), ("id", "代码", "Id"), ("flag", "原因", "Reason")]
            out.append(table_html(flagged, flag_cols, lang))
        return "".join(out)

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
        # the totals' ids (tcm_led, any) are codes: a zh report names the rows only
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

        if lang == "zh":
            cols = cols[1:]

        def yes_no(v: object) -> str:
            return "—" if _is_na(v) else ("✓" if bool(v) else "✗")

        body = (
            f"<p data-tcm-alliance-share='{esc('' if al.share is None else repr(al.share))}'>"
            + _t(
                "县级中医医院牵头医联体覆盖人口比例：",
                "Covered by alliances led by the county TCM hospital (T-YLT): ",
                lang,
            )
            + f"<b>{esc(fmt_pct(al.share))}</b> · {_t('目标', 'target', lang)} "
            + span(esc(self._graded("T-YLT", al.target_text)), "tcm-target")
            + f" · {esc(pick(al.verdict(), lang))}</p>"
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
                "只有县级中医医院牵头的医联体计入目标（力争覆盖人口 ≥ 30%），合计即该项指标；其他医联体列出但不判定，"
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
                "方法：增强型两步移动搜索法（E2SFCA）。第一步，每个机构的中医类别执业（助理）医师数除以"
                f"其服务半径（{s['radius']}）内的人口；第二步，每个村把半径内各机构的这一比值相加，"
                "距离越远权重越低（高斯衰减）。结果为每千居民可及的中医类别医师数。"
                "基尼系数衡量各村（或各乡镇）之间的差异：0 表示完全均等，越接近 1 越不均。",
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
            ).replace("E2SFCA", span("E2SFCA", "tcm-name"))
            + (
                _t(
                    f"色标上的目标（{self._name('T-TCMDOC-1000', 'zh')}）：",
                    " Target on the colour bar (T-TCMDOC-1000): ",
                    lang,
                )
                + span(esc(self._graded("T-TCMDOC-1000")), "tcm-target")
                if self._target("T-TCMDOC-1000") is not None
                else ""
            ),
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
        from tcmcounty.reporting.records import report_name
        from tcmcounty.reporting.worklists import worklist_file_name

        c = self.county
        path = c.path or self.params.county  # the same name the job gives the report
        return worklist_file_name(report_name(path, c.adcode, c.name_en, c.name_zh))

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
            target = graded_target(r.get("target"), r.get("target_grade"), self.lang)
            name = i if self.lang != "zh" else str(r.get("name_zh") or i)  # no code in zh
            parts.append(f"{name} {'—' if _is_na(value) else value}{unit} → {target} {mark}")
        return "; ".join(parts)

    def _unmet(self, ids: Sequence[str]) -> bool:
        """Whether any of the indicators ``ids`` is not met (a verdict of 未达标)."""
        ind = self.res.indicators
        if ind is None or not ids:
            return False
        met = ind.set_index("id")["met"]
        return any(i in met.index and not _is_na(met.loc[i]) and not bool(met.loc[i]) for i in ids)

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
                "全部清单另存为电子表格文件：",
                "The lists below name the facilities and villages to act on for each target; search "
                "them by name with the browser's find (Ctrl-F). All lists as an Excel workbook: ",
                lang,
            )
            .replace("Ctrl-F", "<kbd>Ctrl-F</kbd>")
            .replace("Excel", span("Excel", "tcm-name"))
            + f"<a href='{esc(file)}' download>{span(esc(file), 'tcm-name')}</a>"
        )
        if self.res.worklists is None and "worklists" in self.res.unavailable:
            body = self._unavailable("worklists")
            return _section("整改清单", "Worklists: what to fix", lang, body, "worklist")
        for w in worklists(self.res):
            n = len(w)
            title = _t(w.title_zh, w.title_en, lang)
            count = _t(f"{n} 项", f"{n} rows", lang)
            targets = self._target_text(w.target_ids)
            summary = f"{title} — {count}" + (
                f" <span class='tcm-en'>({esc(targets)})</span>" if targets else ""
            )
            rule = note_html(_t(w.rule_zh, w.rule_en, lang))
            if n:
                inner = table_html(w.frame, w.columns, lang, fmt)
            elif self._unmet(w.target_ids):  # unmet, but not by any one unit: never "nothing"
                inner = note_html(
                    _t(
                        "目标未达标，但缺口不落在某个具体机构或村：需在全县层面补足（缺口见“迎检准备”一节）。",
                        "Not met, but the gap is not at any one facility or village: it is made up "
                        "county-wide (the gap is in the readiness section).",
                        lang,
                    )
                )
            else:
                inner = note_html(_t("无需整改的项目。", "Nothing to act on.", lang))
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
        title = f"{esc(plan.title_zh)}（{about}）" if about else esc(plan.title_zh)
        body = note_html(title if lang == "zh" else span(title, "tcm-cite"))  # the plan as cited
        fmt: dict[str, Any] = {"days_to_end": lambda v: fmt_num(v, 0)}
        if lang == "en":  # the phase's state in English words (the data carry the Chinese)
            words = {"done": "past its end", "current": "in progress", "upcoming": "not started"}
            cols = [("state", "状态", "state") if cc[0] == "state_zh" else cc for cc in cols]
            fmt["state"] = lambda v: words.get(str(v), str(v))
        body += table_html(tt, cols, lang, fmt, row_class=rc)
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

    def tasks(self) -> Html:
        """Show the plan's tasks per responsible unit, late ones against the report date.

        Empty when the county has no task sheet (任务分工 / ``tasks.csv``).
        """
        from tcmcounty.plans import plan_of
        from tcmcounty.tasks import (
            PROGRESS_EN,
            PROGRESS_ZH,
            STATE_EN,
            STATE_ZH,
            UNNAMED_UNIT,
            find_stage,
            number_en,
            task_table,
            unit_table,
        )

        lang, c, day = self.lang, self.county, self.params.report_date
        tasks = getattr(c, "tasks", None)
        if tasks is None or not len(tasks):
            return Html("")
        plan = plan_of(c)
        tt = task_table(tasks, plan, day)
        ut = unit_table(tasks, plan, day)
        n = len(tt)
        states = tt["state"].value_counts()
        summary = "，".join(
            f"{STATE_ZH[k]} {int(states.get(k, 0))}"
            for k in ("done", "late", "open", "not_reported")
        )
        summary_en = ", ".join(
            f"{STATE_EN[k]} {int(states.get(k, 0))}"
            for k in ("done", "late", "open", "not_reported")
        )
        body = note_html(
            _t(
                f"共 {n} 项任务：{summary}（报告日期 {day.isoformat()}）。",
                f"{n} tasks: {summary_en} (report date {day.isoformat()}).",
                lang,
            )
        )
        if (tt["progress"] == "not_reported").all():
            # the sheet's column and words are names a county types in: shown as they are
            words = " / ".join(
                f"{span(esc(PROGRESS_ZH[k]), 'tcm-name')} ({esc(PROGRESS_EN[k])})"
                for k in ("not_started", "in_progress", "done")
            )
            body += note_html(
                _lbl(
                    esc(
                        "各任务的进展尚未报告：请在任务分工表“完成情况”列填写 未开始/进行中/已完成。"
                    ),
                    "No progress is reported for any task: fill in the "
                    f"{span('完成情况', 'tcm-name')} (progress) column of the "
                    f"{span('任务分工', 'tcm-name')} (tasks) sheet with {words}.",
                    lang,
                ),
                "tcm-unavailable",
            )
        en = lang == "en"

        def numbers(v: object) -> str:
            return (number_en(str(v)) if en else str(v)) if v else "—"

        def unit(v: object) -> str:  # the tool's word for a task without unit, in English
            if _is_na(v):
                return "—"
            return "not named" if en and v == UNNAMED_UNIT else str(v)

        # units are names (in pinyin and English beside the characters outside zh reports)
        units = NAME_COLUMNS | {"unit", "lead", "partners"}
        body += f"<h3>{_t('各责任单位', 'By responsible unit', lang)}</h3>"
        body += table_html(
            ut,
            [
                ("unit", "单位", "unit"),
                ("lead_tasks", "牵头任务", "tasks it leads"),
                ("partner_tasks", "配合任务", "tasks it supports"),
                ("late_tasks", "逾期任务", "late tasks"),
                ("done", "已完成", "done"),
                ("late", "逾期", "late"),
                ("open", "未到期", "not yet due"),
                ("not_reported", "未报告", "not reported"),
            ],
            lang,
            {
                "unit": unit,
                **{k: numbers for k in ("lead_tasks", "partner_tasks", "late_tasks")},
            },
            row_class=lambda r: "tcm-unmet" if r["late"] else "",
            classes={"unit": "tcm-name"},
            names=units,
        )
        if UNNAMED_UNIT in set(ut["unit"]):
            body += note_html(
                _t(
                    f"“{UNNAMED_UNIT}”：方案原文未写明责任单位的任务，需创建办指定。",
                    f"“{unit(UNNAMED_UNIT)}”: tasks whose plan text names no responsible unit; "
                    "the creation office must assign one.",
                    lang,
                )
            )
        cols = [
            ("number", "编号", "no."),
            ("task", "任务", "task"),
            ("lead", "牵头单位", "lead units"),
            ("partners", "配合单位", "co-operating units"),
            ("stage", "阶段", "stage"),
            ("due", "期限", "deadline"),
            ("progress" if en else "progress_zh", "完成情况", "progress"),
            ("state_text", "判定", "state"),
            ("days_late", "超过期限天数", "days past deadline"),
            ("evidence", "佐证材料", "evidence"),
        ]
        tt = tt.assign(state_text=[f"{STATE_ZH[s]} {STATE_EN[s]}" for s in tt["state"]])

        def stage(v: object) -> str:  # the plan's phase by its English name (timetable)
            m = find_stage(plan, str(v)) if en and plan is not None and v else None
            return m.phase_en if m is not None and m.phase_en else str(v or "—")

        fmt: dict[str, Any] = {
            "days_late": lambda v: "—" if _is_na(v) or not v else fmt_num(v, 0),
            "lead": unit,
            "partners": unit,
        }
        if en:
            fmt.update(
                number=numbers, stage=stage, progress=lambda v: PROGRESS_EN.get(str(v), str(v))
            )

        def rc(r: pd.Series) -> str:
            return {"late": "tcm-unmet", "done": "tcm-met"}.get(str(r["state"]), "")

        body += (
            f"<details class='tcm-worklist' id='tasks-all'{' open' if n <= 30 else ''}>"
            f"<summary>{_t(f'全部任务（{n} 项）', f'All tasks ({n})', lang)}</summary>"
            + table_html(
                tt,
                cols,
                lang,
                fmt,
                row_class=rc,
                classes={"task": "tcm-cite"},
                names=units,
            )
            + "</details>"
        )
        body += note_html(
            _t(
                "期限：任务写明完成时限的按时限；否则为所属阶段结束日（见创建方案时间表）；未写阶段的为方案最后阶段结束日。"
                "已过期限仍未完成即为逾期；未报告进展的任务不判逾期。",
                "Deadline: the task's due date; else the end of its stage (see the plan timetable); "
                "a task without stage is due when the plan's last stage ends. A task not done after "
                "its deadline is late; a task whose progress is not reported is not called late.",
                lang,
            )
            + "<br>"
            + _t("来源：", "Source: ", lang)
            + span(esc(self._task_sources(tt["source"])), "tcm-cite")
        )
        return _section("任务分工与进展", "Tasks and responsible units", lang, body, "tasks")

    def _task_sources(self, ids: pd.Series) -> str:
        """Titles of the sources the tasks cite (ids from ``sources.csv``), else the ids."""
        src = self.county.sources
        titles = (
            {
                str(r["id"]): f"{r['title']}（{r['doc_number']}）"
                if isinstance(r.get("doc_number"), str) and r["doc_number"].strip()
                else str(r["title"])
                for r in src.to_dict("records")
            }
            if src is not None and "id" in src and "title" in src
            else {}
        )
        found = [i for i in dict.fromkeys(str(x) for x in ids if str(x)) if i]
        origin = getattr(self.county.tasks, "origin", "") or "county data"
        return (
            "；".join(titles.get(i, i) for i in found)
            or f"{origin}（县里提供 supplied by the county）"
        )

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
        if lang == "zh":  # a zh report names tables and columns by their Chinese headers
            st = st.assign(
                table=[TABLES[t].zh for t in st["table"]],
                column=[
                    TABLES[t].column(k).zh for t, k in zip(st["table"], st["column"], strict=True)
                ],
            )
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
        if len(est) and lang == "zh":
            labels = {**RESOURCE_KEYS, **POPULATION_KEYS}
            est = est.assign(key=[labels.get(k, k) for k in est["key"]])
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
                {
                    "year": lambda v: "—" if _is_na(v) else str(int(v)),
                    "source": lambda v: "—" if _is_na(v) else f"[{v}]",
                },
                classes={"key": "tcm-name", "method": "tcm-cite"},  # the derivation as recorded
            )
            body = self.bib.link(body)
            body += note_html(
                _t(
                    "“方法”一栏为数据包中记录的推算过程，方括号中的编号指方法附录末尾的参考文献。"
                    "估算的县级总数＝全国比值 × 该县人口，"
                    "所以据此计算的每千人、每万人指标就是全国比值（各县相同，只差舍入），不反映本县实际。",
                    "The method column gives the derivation recorded in the data bundle; numbers in "
                    "brackets refer to the references at the end of the methods appendix. An estimated "
                    "county total is a national ratio × the county's population, so a per-1,000 or "
                    "per-10,000 indicator computed from it is the national ratio (the same in every "
                    "county up to rounding), not a fact about this county.",
                    lang,
                )
            )
        body += "<h3>" + _t("数据来源与许可", "Sources and licences", lang) + "</h3>"
        src = c.sources
        ids = [str(x) for x in src["id"]] if src is not None and "id" in src else []
        cites = "".join(self.bib.cite(i) for i in ids)
        body += note_html(
            _t(
                "本报告数据的来源：",
                "The data of this report come from ",
                lang,
            )
            + (cites or "—")
            + _t(
                "。各来源的发文机关、文号、日期、网址、许可和核实情况见方法附录末尾的参考文献。",
                ". Issuer, document number, date, address, licence and how far each was checked: "
                "see the references at the end of the methods appendix.",
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

    #: The spatial methods named once in words, with the references' ids (data/references.toml).
    SPATIAL_REFS = (
        (
            "两步移动搜索法（2SFCA）：每个机构的供给除以其服务半径内的人口，每个村再把半径内各机构的比值相加",
            "Two-step floating catchment area method (2SFCA): each facility's supply divided by the "
            "population within its radius, then summed over the facilities within reach of each village",
            ("luo-wang-2003",),
        ),
        (
            "增强型两步移动搜索法（E2SFCA）：同上，但距离越远权重越低（高斯距离衰减）",
            "Enhanced two-step floating catchment area method (E2SFCA): the same, with weights "
            "falling with distance (Gaussian decay)",
            ("luo-qi-2009", "dai-2010"),
        ),
        (
            "阈值内覆盖（累积机会法）：一定距离或时间内能到达服务的居民占比",
            "Coverage within a threshold (cumulative opportunities): the share of residents who "
            "reach a service within a distance or time",
            ("hansen-1959", "accessmod-5"),
        ),
        (
            "中医阁选址：最大覆盖选址问题，用惰性求值的贪心算法求解，保证不低于最优解的 1 − 1/e",
            "中医阁 siting: maximal covering location problem, greedy with lazy evaluation, "
            "≥ 1 − 1/e of the optimum",
            ("church-revelle-1974", "minoux-1978", "nemhauser-1978"),
        ),
        (
            "基尼系数与集中指数：衡量各村（或各乡镇）之间的差异，0 表示完全均等，越接近 1 越不均",
            "Gini coefficient and concentration index: differences between villages (or "
            "townships); 0 is perfect equality, closer to 1 more unequal",
            ("wagstaff-1991",),
        ),
    )

    def _appendix_entry(self, r: dict[Hashable, Any]) -> str:
        """One indicator of the methods appendix as a short block (prints compactly on A4).

        Name, target with its evidence grade, its basis and source (a reference a reviewer
        can look up) and what was checked in plain words; in an English or bilingual report the
        definition and formula too. The internal evidence codes stay in the data, not here.
        """
        lang = self.lang

        def line(zh: str, en: str, value: object, css: str = "") -> str:
            text = "" if value is None or (isinstance(value, float) and value != value) else value
            if not str(text).strip():
                return ""
            sep = "：" if lang == "zh" else ": "
            body = (
                mark_cites(esc(pick(str(text), lang)), lang)
                if not css
                else span(esc(pick(str(text), lang)), css)
            )
            return f"<p><b>{_t(zh, en, lang)}</b>{sep}{body}</p>"

        name = _t(str(r.get("name_zh", "")), str(r.get("name_en", "")), lang)
        code = "" if lang == "zh" else f" <span class='tcm-name'>{esc(r.get('id', ''))}</span>"
        out = f"<div class='tcm-appx'><h4>{name}{code}</h4>"
        out += f"<p><b>{_t('目标（证据等级）', 'Target (evidence grade)', lang)}</b>"
        out += f"{'：' if lang == 'zh' else ': '}{r.get('target_shown', '')}</p>"
        if lang != "zh":
            out += line("定义", "Definition", r.get("definition"))
            # an English report: the formula in English words (formula names the inputs in Chinese too)
            formula = r.get("formula_en") if lang == "en" else None
            out += line("公式", "Formula", formula or r.get("formula"))
        out += line("目标依据", "Basis", r.get("target_basis"))
        source = r.get("target_source")
        if isinstance(source, str) and source.strip() and source.strip() != "—":
            sep = "：" if lang == "zh" else ": "
            out += f"<p><b>{_t('出处', 'Source', lang)}</b>{sep}{self.bib.cite_marks(source, lang)}</p>"
        out += line("核实情况", "Checked", r.get("evidence_plain"))
        return out + "</div>"

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
                grades = ap.get("target_grade", pd.Series("", index=ap.index))
                ap["evidence_plain"] = [
                    _lbl(evidence_words(e, "zh", g), evidence_words(e, "en", g), lang)
                    if lang != "zh-en"
                    else f"{evidence_words(e, 'zh', g)} {evidence_words(e, 'en', g)}".strip()
                    for e, g in zip(ap["target_evidence"], grades, strict=True)
                ]
            ap["target_shown"] = [
                graded_target(t, g, lang)
                + (
                    f"; {_t('乡镇', 'township', lang)} {graded_target(tt, tg, lang)}"
                    if tt and (tt != t or tg != g)
                    else ""
                )
                for t, g, tt, tg in zip(
                    ap["target"],
                    ap.get("target_grade", pd.Series("", index=ap.index)),
                    ap.get("target_township", pd.Series("", index=ap.index)),
                    ap.get("target_township_grade", pd.Series("", index=ap.index)),
                    strict=True,
                )
            ]
            body += "".join(self._appendix_entry(r) for r in ap.to_dict("records"))
            if lang == "zh":
                body += note_html(
                    "各指标的定义与计算公式目前只有英文版，见中英双语版报告。",
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
                + "".join(
                    f"<li>{mark_cites(self.bib.cite_authors(_t(zh, en, lang)))}</li>"
                    for zh, en in pairs
                )
                + "</ul>"
            )
        refs = "".join(
            f"<li>{mark_cites(_t(zh, en, lang))}{''.join(self.bib.cite(i) for i in ids)}</li>"
            for zh, en, ids in self.SPATIAL_REFS
        )
        body += "<h3>" + _t("空间方法", "Spatial methods", lang) + f"</h3><ul>{refs}</ul>"
        body += "<h3 id='references'>" + _t("参考文献", "References", lang) + "</h3>"
        body += self.bib.html(lang)
        return _section("方法附录", "Methods appendix", lang, body, "appendix")
