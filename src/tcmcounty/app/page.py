"""The workbench page: six steps of ipywidgets over a :class:`~tcmcounty.app.session.Session`.

``notebooks/workbench.ipynb`` calls :func:`workbench` and displays what it returns; Voila
serves it as a page (``tcmcounty app``), JupyterLab shows the same widgets. The map is an
ipyleaflet map with no tile layer (GeoJSON over a blank background; works without network);
see ``docs/app.md`` for why. Every callback shows a failure as the command line words it
(file, sheet, row, column, value, what was expected), never as a traceback.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import html
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from tcmcounty.app import mapdata
from tcmcounty.app.session import (
    IGNORE_LABEL,
    TRAVEL_MODES,
    Session,
    column_options,
    table_options,
    upload_limit,
)
from tcmcounty.errors import InputError, Problem, TcmCountyError
from tcmcounty.reporting.scenario import FLAGS

#: Problems listed at most in the reading step (all are counted).
PROBLEMS_SHOWN = 300
#: Widths of the reading step's columns: header, meaning (drop-down), evidence.
_COLUMN_WIDTHS = ("200px", "260px", "640px")
#: Marks an "ignore" choice in a drop-down (ipywidgets keeps ``None`` for "no selection").
_NONE = ""
#: Type of the workbooks the page offers.
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_CSS = """
.tcm-app { max-width: 1180px; }
.tcm-app h2 { font-size: 1.25em; margin: 18px 0 6px; border-bottom: 2px solid #2e7d32; }
.tcm-app .tcm-err { color: #b71c1c; white-space: pre-wrap; }
.tcm-app .tcm-ok { color: #1b5e20; }
.tcm-app .tcm-muted { color: #555; font-size: 0.92em; }
.tcm-app table.tcm-fig { border-collapse: collapse; }
.tcm-app table.tcm-fig td, .tcm-app table.tcm-fig th { border: 1px solid #ccc; padding: 3px 8px; }
.tcm-app .tcm-legend span.sw { display: inline-block; width: 11px; height: 11px;
  border-radius: 6px; margin-right: 6px; vertical-align: middle; }
.tcm-app .leaflet-container { background: #f4f1ea; }
"""


def _esc(v: object) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _link(name: str, data: bytes, mime: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return (
        f"<a class='tcm-download' download='{_esc(name)}' "
        f"href='data:{mime};base64,{b64}'>⬇ {_esc(name)}</a>"
    )


def _without_report_links(text: str) -> str:
    """Return the report's readiness without its links to the worklists (a page has no file).

    The report points at its worklist section and at the workbook beside it; on the page the
    worklist comes from the button under the readiness (and in step ⑥).

    Examples
    --------
    >>> _without_report_links("<p>还缺什么： <a href='#worklist'>整改清单</a> · "
    ...                        "<a href='x-worklist.xlsx' download><span>x-worklist.xlsx</span></a></p>")
    '<p>还缺什么： 整改清单（见下方按钮 · button below）</p>'
    """
    text = re.sub(r"\s*·\s*<a href='[^']*' download>.*?</a>", "", text, flags=re.S)
    return re.sub(
        r"<a href='#worklist'>(.*?)</a>", r"\1（见下方按钮 · button below）", text, flags=re.S
    )


def _problem_html(problems: list[Problem]) -> str:
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        return ""
    lines = "\n".join(_esc(p) for p in errors[:50])
    more = f"\n… 另有 {len(errors) - 50} 个错误 more errors" if len(errors) > 50 else ""
    return f"<div class='tcm-err'>{len(errors)} 个错误 error(s):\n{lines}{more}</div>"


def font_css(text: str) -> str:
    """Return ``<style>`` embedding the bundled CJK font, for the page and ``text``.

    The face is the reports' base font (:func:`tcmcounty.run.execute._base_font`: GB 2312 and
    every NBS place name, built once per machine and cached), so Chinese renders on a machine
    without Chinese fonts at no cost per page; characters of ``text`` outside it get a second
    face cut from the full font. ``""`` when the font is not installed.
    """
    from tcmcounty import resources
    from tcmcounty.run.execute import FONT_FACES, _base_font, _face, _subset_font

    path = resources.cjk_font()
    base = _base_font(path) if path is not None else None
    if path is None or base is None:
        return ""
    css = _face(FONT_FACES[0], base[0])
    rare = sorted({ch for ch in text if ord(ch) > 0x2000} - base[1])
    if rare:
        css += _face(FONT_FACES[2], _subset_font(path, rare))
    families = ", ".join(f"'{f}'" for f in FONT_FACES)
    return (
        f"<style>{css}.tcm-app, .tcm-app .jupyter-widgets, .tcm-app select, .tcm-app input, "
        f".tcm-app button, .tcm-app .widget-label, .tcm-app .leaflet-container "
        f"{{ font-family: {families}, system-ui, sans-serif; }}</style>"
    )


def _county_text(session: Session) -> str:
    """Return the names a page shows for this county (for the font subset)."""
    c, parts = session.county, [session.label]
    if session.raw is not None:
        for r in session.raw.readings:
            parts.append(r.label)
            parts += [m.written for m in r.columns] + [i[1] for i in r.items]
        parts += [str(p) for p in session.raw.problems[:PROBLEMS_SHOWN]]
    if c is not None:
        for df in (c.townships, c.villages, c.facilities):
            parts += [str(v) for v in df["name"].tolist()]
    return "".join(parts)


class Workbench:
    """The page: build it with :func:`workbench`; ``widget`` is what to display."""

    def __init__(
        self,
        session: Session | None = None,
        county: str | None = "512021-anyue",
        *,
        background: bool = False,
    ) -> None:
        self.s = session or Session()
        self.font = W.HTML()
        self.status = W.HTML().add_class("tcm-app-status")
        self.timing = W.HTML().add_class("tcm-app-timing")
        self._data()
        self._reading()
        self._readiness()
        self._map()
        self._whatif()
        self._takeaway()
        self.widget = W.VBox(
            [
                W.HTML(f"<style>{_css()}</style>"),
                self.font,
                W.HTML(
                    "<h1 style='font-size:1.5em;margin:4px 0'>基层中医药工作示范县 创建工作台 "
                    "<span class='tcm-muted'>planner's workbench</span></h1>"
                    "<p class='tcm-muted'>六步：选数据 → 核对读取 → 看迎检准备 → 看地图 → "
                    "试算 → 下载。所有数字由 tcmcounty 计算，与报告一致；不会修改您上传的文件。"
                    "<br>Six steps: data → how it was read → readiness → map → what if → take "
                    "away. Every figure is the report's; your file is never changed.</p>"
                ),
                self.status,
                self._step(1, "数据", "Data", self.data_box),
                self._step(2, "表格如何读取", "How it was read", self.reading_box),
                self._step(3, "迎检准备", "Readiness", self.readiness_box),
                self._step(4, "地图", "Map", self.map_box),
                self._step(5, "试算：如果……", "What if", self.whatif_box),
                self._step(6, "下载", "Take away", self.takeaway_box),
                self.timing,
            ]
        ).add_class("tcm-app")
        self._loading = False
        if county:
            if county in [o[1] for o in self.county_pick.options]:
                self.county_pick.value = county
            loop = _kernel_loop() if background else None
            if loop is None:
                self._run(functools.partial(self._open_bundled, county), "打开 opening")
            else:  # the page shows at once; the county follows when it is read
                self._loading = True
                self.status.value = "<span class='tcm-muted'>⏳ 正在打开 opening …</span>"
                threading.Thread(
                    target=self._read_in_background, args=(county, loop), daemon=True
                ).start()

    def _read_in_background(self, folder: str, loop: Any) -> None:
        """Read and compute a bundled county off the kernel's main thread; show it on that thread.

        The kernel's main thread keeps answering the page (it draws while the county is read);
        no widget is touched here: the page is filled in by :meth:`_show_opened`, which the
        kernel's loop runs on its own thread. The reading runs at a lower priority where the
        system allows it, so that the page and other pages come first.
        """
        t0 = time.perf_counter()
        with contextlib.suppress(AttributeError, OSError):  # Linux: this thread only
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        try:
            problems, error = self.s.open_bundled(folder), None
        except Exception as exc:  # shown by _run on the main thread, in words
            problems, error = [], exc
        loop.add_callback(self._show_opened, problems, error, t0)

    def _show_opened(self, problems: list[Problem], error: Exception | None, t0: float) -> None:
        self._loading = False

        def show() -> None:
            if error is not None:
                raise error
            self._after_read(problems)

        self._run(show, "打开 opening", started=t0)

    # -- layout helpers -----------------------------------------------------------------------

    @staticmethod
    def _step(n: int, zh: str, en: str, box: W.Widget) -> W.Widget:
        head = W.HTML(f"<h2>{'①②③④⑤⑥'[n - 1]} {zh} <span class='tcm-muted'>{en}</span></h2>")
        return W.VBox([head, box])

    def _run(self, fn: Callable[[], object], what: str, started: float | None = None) -> None:
        """Run a callback: busy line, then its time; a failure in words, never a traceback."""
        if self._loading:
            self.status.value = (
                "<span class='tcm-muted'>⏳ 正在打开，请稍候 · still opening, one moment …</span>"
            )
            return
        t0 = time.perf_counter() if started is None else started
        self.status.value = f"<span class='tcm-muted'>⏳ {_esc(what)} …</span>"
        try:
            fn()
        except InputError as exc:
            self.status.value = (
                _problem_html(exc.problems) or f"<div class='tcm-err'>{_esc(exc)}</div>"
            )
            return
        except (TcmCountyError, OSError, ValueError, KeyError) as exc:
            self.status.value = f"<div class='tcm-err'>错误 error: {_esc(exc)}</div>"
            return
        except Exception as exc:  # shown, not raised: the page must never show a traceback
            self.status.value = (
                f"<div class='tcm-err'>内部错误 internal error: {_esc(type(exc).__name__)}: "
                f"{_esc(exc)}（这是 tcmcounty 的缺陷，请报告 / a bug in tcmcounty, please report "
                "it）</div>"
            )
            return
        seconds = time.perf_counter() - t0
        self.timing.value = (
            f"<span class='tcm-muted' data-tcm-app-seconds='{seconds:.3f}'>"
            f"{_esc(what)}：{seconds:.2f} 秒 s</span>"
        )
        if self.s.county is not None:
            self.status.value = (
                f"<span class='tcm-ok'>✓ {_esc(self.s.county.name)}：{len(self.s.county.villages)} "
                f"个村/社区 villages，{len(self.s.county.facilities)} 个机构 facilities</span>"
            )

    def _button(self, text: str, css: str, fn: Callable[[], object], what: str) -> W.Button:
        b = W.Button(description=text, layout=W.Layout(width="auto")).add_class(css)
        b.on_click(lambda _b: self._run(fn, what))
        return b

    # -- 1 data -------------------------------------------------------------------------------

    def _data(self) -> None:
        from tcmcounty.inputs.load import list_counties

        table = list_counties()
        self.county_pick = W.Dropdown(
            options=[
                (f"{r.name_zh} {r.name_en} ({r.adcode})", r.folder) for r in table.itertuples()
            ],
            description="内置县 county",
            style={"description_width": "initial"},
        ).add_class("tcm-app-county")
        open_b = self._button(
            "打开 open",
            "tcm-app-open",
            lambda: self._open_bundled(self.county_pick.value),
            "打开 opening",
        )
        limit = upload_limit() // 2**20
        self.upload = W.FileUpload(
            accept=".xlsx,.xlsm,.xls,.xlsb,.ods,.zip",
            multiple=False,
            description="上传表格 upload",
            layout=W.Layout(width="auto"),
        ).add_class("tcm-app-upload")
        self.upload.observe(
            lambda _c: self._run(self._open_upload, "读取上传 reading upload"), "value"
        )
        self.template_county = W.Text(
            placeholder="县代码或县名，如 360733 / 会昌县", layout=W.Layout(width="260px")
        ).add_class("tcm-app-template-county")
        self.template_link = W.HTML()
        tpl_b = self._button(
            "生成模板 template", "tcm-app-template", self._template, "生成模板 template"
        )
        self.data_box = W.VBox(
            [
                W.HBox([self.county_pick, open_b]),
                W.HBox(
                    [
                        self.upload,
                        W.HTML(
                            f"<span class='tcm-muted'>&nbsp;工作簿 .xlsx/.xls/.ods，或 CSV 文件的 .zip；"
                            f"不超过 {limit} MB · a workbook, or a zip of CSV files, at most "
                            f"{limit} MB</span>"
                        ),
                    ]
                ),
                W.HBox(
                    [
                        W.HTML("还没有表格？ No workbook yet?&nbsp;"),
                        self.template_county,
                        tpl_b,
                        self.template_link,
                    ]
                ),
            ]
        )

    def _open_bundled(self, folder: str) -> None:
        self._after_read(self.s.open_bundled(folder))

    def _open_upload(self) -> None:
        if not self.upload.value:
            return
        f = self.upload.value[0]
        self._after_read(self.s.open_upload(f["name"], bytes(f["content"])))

    def _template(self) -> None:
        name, data = self.s.template_file(self.template_county.value)
        self.template_link.value = _link(
            name, data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    def _after_read(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.edits_tables: dict[str, str | None] = {}
        self.edits_columns: dict[tuple[str, int, int | None], str | None] = {}
        self.font.value = font_css(_county_text(self.s))
        self._show_reading()
        if self.s.county is None:
            self.readiness_html.value = ""
            self.figures.value = ""
            self._clear_map()
            raise InputError(problems, self.s.label)
        self._show_results()

    def _show_results(self) -> None:
        self._show_readiness()
        self._show_map(fit=True)
        self._show_whatif()
        self._show_facility()

    # -- 2 reading ----------------------------------------------------------------------------

    def _reading(self) -> None:
        self.sheet_pick = W.Dropdown(
            description="工作表 sheet", style={"description_width": "initial"}
        )
        self.sheet_pick.add_class("tcm-app-sheet")
        self.sheet_pick.observe(lambda _c: self._show_sheet(), "value")
        self.sheet_table = W.Dropdown(
            description="读作 read as", style={"description_width": "initial"}
        )
        self.sheet_table.add_class("tcm-app-sheet-table")
        self.sheet_table.observe(self._table_changed, "value")
        self.sheet_box = W.VBox()
        self.problem_list = W.Select(rows=6, layout=W.Layout(width="100%")).add_class(
            "tcm-app-problems"
        )
        self.problem_list.observe(lambda _c: self._show_problem_row(), "value")
        self.problem_row = W.HTML().add_class("tcm-app-problem-row")
        self.problem_head = W.HTML()
        self.map_link = W.HTML()
        apply_b = self._button(
            "应用并重新读取 apply", "tcm-app-apply", self._apply, "重新读取 reading again"
        )
        save_b = self._button(
            "保存列映射 save map", "tcm-app-savemap", self._save_map, "保存列映射 map"
        )
        self.reading_box = W.VBox(
            [
                W.HTML(
                    "<p class='tcm-muted'>每一列读成了什么、依据是什么（表头、内容）。读错了就在下拉框里改，"
                    "再点“应用”。“保存列映射”得到与命令行相同的 FILE.columns.toml。<br>What each "
                    "column was read as and why (header, content). Change a drop-down where it is "
                    "wrong, then apply; “save map” gives the FILE.columns.toml the command line "
                    "uses.</p>"
                ),
                W.HBox([self.sheet_pick, self.sheet_table]),
                self.sheet_box,
                W.HBox([apply_b, save_b, self.map_link]),
                self.problem_head,
                self.problem_list,
                self.problem_row,
            ]
        )

    def _show_reading(self) -> None:
        self.views = {v.label: v for v in self.s.sheets()}
        with self.sheet_pick.hold_trait_notifications():
            self.sheet_pick.options = [
                (
                    f"{v.label} → {dict((b, a) for a, b in table_options()).get(v.table, '未读取 not read')}",
                    v.label,
                )
                for v in self.views.values()
            ]
        if self.views and self.sheet_pick.value not in self.views:
            self.sheet_pick.value = next(iter(self.views))
        self._show_sheet()
        ps = self.problems
        n = {k: sum(p.severity == k for p in ps) for k in ("error", "warning", "note")}
        self.problem_head.value = (
            f"<b>问题 problems</b>：{n['error']} 个错误 errors，{n['warning']} 个警告 warnings，"
            f"{n['note']} 条说明 notes <span class='tcm-muted'>（点一条，看它所在的行 · click one "
            "to see its row）</span>"
        )
        self.problem_list.options = [(str(p)[:300], i) for i, p in enumerate(ps[:PROBLEMS_SHOWN])]
        self.problem_row.value = ""

    def _show_sheet(self) -> None:
        v = self.views.get(self.sheet_pick.value) if self.sheet_pick.value else None
        if v is None:
            self.sheet_box.children = ()
            return
        self._showing = True
        self.sheet_table.options = [(a, b if b is not None else _NONE) for a, b in table_options()]
        self.sheet_table.value = self.edits_tables.get(v.label, v.table) or _NONE
        self._showing = False
        table = self.edits_tables.get(v.label, v.table)
        opts = [(a, b if b is not None else _NONE) for a, b in column_options(table)]
        rows: list[W.Widget] = [
            W.HBox(
                [
                    W.HTML(f"<b>{text}</b>", layout=W.Layout(width=width))
                    for text, width in (
                        ("表头 header", _COLUMN_WIDTHS[0]),
                        ("读作 read as", _COLUMN_WIDTHS[1]),
                        ("依据 evidence · 示例 values", _COLUMN_WIDTHS[2]),
                    )
                ]
            ).add_class("tcm-app-reading-head")
        ]
        for c in v.columns:
            key = (v.label, c.position, c.split)
            current = self.edits_columns.get(key, c.column)
            dd = W.Dropdown(
                options=opts
                if current in [o[1] for o in opts] or current is None
                else [*opts, (current, current)],
                value=current or _NONE,
                layout=W.Layout(width=_COLUMN_WIDTHS[1]),
            ).add_class("tcm-app-column")
            dd.observe(functools.partial(self._column_changed, key), "value")
            evidence = _esc(c.rule) + (f"：{_esc(c.note)}" if c.note else "")
            samples = "，".join(_esc(x) for x in c.samples)
            rows.append(
                W.HBox(
                    [
                        W.HTML(
                            f"<b>{_esc(c.written)}</b>", layout=W.Layout(width=_COLUMN_WIDTHS[0])
                        ).add_class("tcm-app-header"),
                        dd,
                        W.HTML(
                            f"<span class='tcm-muted'>{evidence}</span>"
                            + (f" · 例 e.g. {samples}" if samples else ""),
                            layout=W.Layout(width=_COLUMN_WIDTHS[2]),
                        ),
                    ]
                ).add_class("tcm-app-reading-row")
            )
        for row, label, field_key, rule in v.items:
            rows.append(
                W.HTML(
                    f"第 {row} 行 row {row}：<b>{_esc(label)}</b> → {_esc(field_key or IGNORE_LABEL)} "
                    f"<span class='tcm-muted'>({_esc(rule)})</span>"
                )
            )
        self.sheet_box.children = tuple(rows)

    def _table_changed(self, change: dict[str, Any]) -> None:
        if getattr(self, "_showing", False) or not self.sheet_pick.value:
            return
        self.edits_tables[self.sheet_pick.value] = change["new"] or None
        self._show_sheet()

    def _column_changed(self, key: tuple[str, int, int | None], change: dict[str, Any]) -> None:
        self.edits_columns[key] = change["new"] or None

    def _apply(self) -> None:
        self._after_read(self.s.apply(self.edits_tables, self.edits_columns))

    def _save_map(self) -> None:
        if self.edits_tables or self.edits_columns:
            self._apply()
        name, data = self.s.map_file()
        self.map_link.value = _link(name, data, "application/toml")
        self._add_download(name, data, "application/toml")

    def _show_problem_row(self) -> None:
        i = self.problem_list.value
        if i is None or i >= len(self.problems):
            return
        p = self.problems[i]
        header, cells = self.s.row_cells(p.sheet or p.file, p.row)
        if not cells:
            self.problem_row.value = (
                f"<p class='tcm-muted'>{_esc(p.location())}：此问题不指向某一行 · not about one "
                "row</p>"
            )
            return
        tds = "".join(
            f"<td style='{'background:#ffcdd2' if h == p.column else ''}'>{_esc(x)}</td>"
            for h, x in zip(header + [""] * (len(cells) - len(header)), cells, strict=False)
        )
        ths = "".join(f"<th>{_esc(h)}</th>" for h in header[: len(cells)])
        self.problem_row.value = (
            f"<p>{_esc(p.location())}</p><div style='overflow-x:auto'><table class='tcm-fig'>"
            f"<tr><th>行 row</th>{ths}</tr><tr><td>{p.row}</td>{tds}</tr></table></div>"
        )

    # -- 3 readiness --------------------------------------------------------------------------

    def _readiness(self) -> None:
        self.readiness_html = W.HTML().add_class("tcm-app-readiness")
        self.readiness_link = W.HTML()
        self.readiness_box = W.VBox(
            [
                self.readiness_html,
                W.HBox(
                    [
                        self._button(
                            "下载整改清单 download the worklist (xlsx)",
                            "tcm-app-readiness-worklist",
                            self._readiness_worklist,
                            "整改清单 worklist",
                        ),
                        self.readiness_link,
                    ]
                ),
            ]
        )

    def _show_readiness(self) -> None:
        from tcmcounty.reporting.county_view import CountyView
        from tcmcounty.reporting.parameters import ReportParameters

        view = CountyView(ReportParameters(), self.s.results)
        self.readiness_link.value = ""
        self.readiness_html.value = (
            f"<div class='tcm-report'>{_without_report_links(view.readiness())}"
            f"{view.headline()}</div>"
        )

    def _readiness_worklist(self) -> None:
        name, data = self.s.worklist_file(scenario=False)
        self.readiness_link.value = _link(name, data, _XLSX)

    # -- 4 map --------------------------------------------------------------------------------

    def _map(self) -> None:
        import ipyleaflet as L

        self.m = L.Map(
            layers=(),  # no tile server: the county's own layers on a blank background
            zoom=9,
            scroll_wheel_zoom=True,
            layout=W.Layout(height="560px", width="760px"),
        ).add_class("tcm-app-map")
        self.lyr_outline = L.GeoJSON(
            data={"type": "FeatureCollection", "features": []},
            style={"color": "#424242", "weight": 2, "fill": False},
            name="县界 outline",
        )
        self.lyr_villages = L.GeoJSON(
            data={"type": "FeatureCollection", "features": []},
            point_style={"radius": 4, "weight": 0.6, "color": "#333", "fillOpacity": 0.9},
            hover_style={"weight": 2, "color": "#000"},
            style_callback=lambda f: {"fillColor": f["properties"]["colour"]},
            name="村 villages",
        )
        self.lyr_facilities = L.GeoJSON(
            data={"type": "FeatureCollection", "features": []},
            point_style={"radius": 3, "weight": 1.5, "fillOpacity": 0.15},
            hover_style={"weight": 3},
            style_callback=lambda f: {"color": f["properties"]["colour"]},
            name="机构 facilities",
        )
        self.lyr_sites = L.GeoJSON(
            data={"type": "FeatureCollection", "features": []},
            point_style={"radius": 8, "weight": 2.5, "color": "#d50000", "fillOpacity": 0},
            hover_style={"weight": 4},
            name="推荐中医阁 recommended sites",
        )
        for lyr in (self.lyr_outline, self.lyr_villages, self.lyr_facilities, self.lyr_sites):
            self.m.add(lyr)
        self.m.add(L.ScaleControl(position="bottomleft", imperial=False))
        self.hover = W.HTML(
            "<span class='tcm-muted'>把鼠标移到点上看名称和数字 · hover a point</span>"
        )
        self.hover.add_class("tcm-app-hover")
        for lyr in (self.lyr_villages, self.lyr_facilities, self.lyr_sites):
            lyr.on_hover(self._hovered)
        self.lyr_facilities.on_click(self._clicked)
        self.lyr_sites.on_click(self._clicked)
        self.level = W.Dropdown(
            options=[
                (f"到最近{zh}的距离 · distance to {en}", k)
                for k, (zh, en) in mapdata.MAP_LEVELS.items()
            ],
            description="村的颜色 villages by",
            style={"description_width": "initial"},
            layout=W.Layout(width="640px"),
        ).add_class("tcm-app-level")
        self.level.observe(lambda _c: self._run(self._show_map, "地图 map"), "value")
        self.basemap = W.Text(
            placeholder="https://…/{z}/{x}/{y}.png（可选 optional）", layout=W.Layout(width="380px")
        )
        base_b = self._button(
            "添加底图 add basemap", "tcm-app-basemap", self._add_basemap, "底图 basemap"
        )
        self.legend = W.HTML()  # filled with the first county (its colours come with matplotlib)
        self.map_box = W.VBox(
            [
                self.level,
                W.HBox(
                    [
                        self.m,
                        W.VBox(
                            [
                                self.hover,
                                self.legend,
                            ],
                            layout=W.Layout(width="380px", padding="0 0 0 10px"),
                        ),
                    ]
                ),
                W.HBox([W.HTML("底图 basemap&nbsp;"), self.basemap, base_b]),
                W.HTML(
                    "<p class='tcm-muted'>不需要网络：只画本县的县界、村和机构。若有瓦片服务，可填地址添加底图；"
                    "本图坐标为 WGS84 经纬度（Web 墨卡托显示），底图须为 WGS84/EPSG:3857 瓦片（如天地图 _w、"
                    "OpenStreetMap）；高德、腾讯等 GCJ-02 底图会偏移数百米。· No network needed. "
                    "Coordinates are WGS84; a basemap must be WGS84 / EPSG:3857 tiles (GCJ-02 tiles "
                    "are shifted by hundreds of metres).</p>"
                ),
            ]
        )

    _layer_keys: dict[str, object] = {}  # noqa: RUF012 - replaced, never changed in place

    def _hovered(self, feature: dict[str, Any], **_kw: Any) -> None:
        self.hover.value = f"<b>{_esc(feature.get('properties', {}).get('tip', ''))}</b>"

    def _clicked(self, feature: dict[str, Any], **_kw: Any) -> None:
        fid = feature.get("properties", {}).get("id")
        if fid and fid in self._facility_ids:
            self.facility.value = self._facility_ids[fid]

    def _clear_map(self) -> None:
        empty = {"type": "FeatureCollection", "features": []}
        for lyr in (self.lyr_outline, self.lyr_villages, self.lyr_facilities, self.lyr_sites):
            lyr.data = empty

    def _show_map(self, fit: bool = False) -> None:
        s = self.s
        county = s.scenario if s.scenario is not None else s.county
        res = s.shown_results()
        if county is None or res is None:
            return
        if not self.legend.value:
            legend = "".join(
                f"<div><span class='sw' style='background:{c}'></span>{_esc(t)}</div>"
                for t, c in mapdata.legend_items()
            )
            self.legend.value = f"<div class='tcm-legend tcm-muted'>{legend}</div>"
        if fit:
            outline = mapdata.outline(county)
            self.lyr_outline.data = outline or {"type": "FeatureCollection", "features": []}
            self.m.fit_bounds(mapdata.bounds(county))
            self._layer_keys = {}
        # a layer is made again only when what it shows changed (a what-if often moves only
        # the red rings): the villages' distances at this level, the facilities' flags
        col = f"{self.level.value}_km"
        near = res.nearest
        km = near[col].to_numpy(float).tobytes() if near is not None and col in near else b""
        keys: dict[str, object] = {
            "villages": (id(county.villages), self.level.value, km),
            "facilities": (id(county.villages), _flags_key(county.facilities)),
        }
        if self._layer_keys.get("villages") != keys["villages"]:
            self.lyr_villages.data = mapdata.villages(county, near, self.level.value)
        if self._layer_keys.get("facilities") != keys["facilities"]:
            self.lyr_facilities.data = mapdata.facilities(county)
        self._layer_keys = keys
        ids = [] if s.plan is None else [str(i) for i in s.plan.table["facility_id"]]
        self.lyr_sites.data = mapdata.sites(county, ids)

    def _add_basemap(self) -> None:
        import ipyleaflet as L

        url = self.basemap.value.strip()
        if not url.startswith(("http://", "https://")) or "{z}" not in url:
            raise ValueError(
                "底图地址应为 http(s)://…/{z}/{x}/{y}.png · a tile URL with {z}/{x}/{y}"
            )
        tiles = L.TileLayer(url=url, name="底图 basemap", max_zoom=18)
        self.m.layers = (tiles, *[lyr for lyr in self.m.layers if not isinstance(lyr, L.TileLayer)])

    # -- 5 what if ----------------------------------------------------------------------------

    def _whatif(self) -> None:
        self.share = W.FloatSlider(
            value=0.10,
            min=0.0,
            max=0.5,
            step=0.01,
            readout_format=".0%",
            description="目标：设中医阁的村卫生室占比 target share",
            continuous_update=False,
            style={"description_width": "initial"},
            layout=W.Layout(width="620px"),
        ).add_class("tcm-app-share")
        self.sites_n = W.IntSlider(
            value=0,
            min=0,
            max=100,
            description="或：新建中医阁个数 or number of new 中医阁（0 = 按目标 by target）",
            continuous_update=False,
            style={"description_width": "initial"},
            layout=W.Layout(width="620px"),
        ).add_class("tcm-app-sites")
        self.travel = W.Dropdown(
            options=[(label, k) for k, (label, _d) in TRAVEL_MODES.items()],
            description="距离 distance",
            style={"description_width": "initial"},
            layout=W.Layout(width="520px"),
        ).add_class("tcm-app-travel")
        for w in (self.share, self.sites_n, self.travel):
            w.observe(lambda _c: self._run(self._replan, "试算 what if"), "value")
        self._facility_ids: dict[str, str] = {}
        self.facility = W.Dropdown(
            description="机构 facility",
            style={"description_width": "initial"},
            layout=W.Layout(width="520px"),
        ).add_class("tcm-app-facility")
        self.facility.observe(lambda _c: self._show_facility(), "value")
        self.flag_boxes = {
            f: W.Checkbox(
                description=f"{zh}", indent=False, layout=W.Layout(width="150px")
            ).add_class(f"tcm-app-flag-{f}")
            for f, (zh, _en) in FLAGS.items()
        }
        set_b = self._button(
            "改入情景 set in scenario", "tcm-app-setflag", self._set_flags, "试算 what if"
        )
        clear_b = self._button(
            "清除改动 clear", "tcm-app-clear", self._clear_changes, "试算 what if"
        )
        self.figures = W.HTML().add_class("tcm-app-figures")
        self.changes_html = W.HTML().add_class("tcm-app-changes")
        self.whatif_box = W.VBox(
            [
                W.HTML(
                    "<p class='tcm-muted'>现有中医阁和您改过的机构保持不变，推荐的新建点显示在地图上（红圈）。"
                    "情景不会写入您的文件，可在第⑥步另存为工作簿。· Existing 中医阁 and the facilities you "
                    "set stay fixed; recommended sites are red rings on the map. A scenario is never "
                    "written into your file; save it as its own workbook in step ⑥.</p>"
                ),
                self.share,
                self.sites_n,
                self.travel,
                W.HBox([self.facility, *self.flag_boxes.values()]),
                W.HBox([set_b, clear_b]),
                self.figures,
                self.changes_html,
            ]
        )

    def _replan(self) -> None:
        self.s.what_if(self.share.value, self.sites_n.value, self.travel.value)
        self._show_map()
        self._show_whatif()

    def _set_flags(self) -> None:
        fid = self.facility.value
        if not fid or self.s.county is None:
            raise ValueError("先选一个机构 · pick a facility first")
        row = self.s.county.facilities.set_index(self.s.county.facilities["id"].astype(str)).loc[
            fid
        ]
        for flag, box in self.flag_boxes.items():
            now = row.get(flag)
            was = None if now is None or now is _NA or now != now else bool(now)
            if was is None or bool(box.value) != was:
                self.s.set_flag(fid, flag, bool(box.value))
        self._replan()
        self._show_readiness_of_scenario()

    def _clear_changes(self) -> None:
        self.s.changes = []
        self._replan()
        self._show_facility()

    def _show_readiness_of_scenario(self) -> None:
        """Keep step ③ on the county as read; the what-if table shows the scenario."""

    def _show_facility(self) -> None:
        c = self.s.county
        if c is None:
            return
        if set(self._facility_ids) != set(c.facilities["id"].astype(str)):
            towns = dict(zip(c.townships["code"].astype(str), c.townships["name"], strict=False))
            opts = [
                (f"{n}（{towns.get(str(t), '')}）{i}", str(i))
                for i, n, t in zip(
                    c.facilities["id"],
                    c.facilities["name"],
                    c.facilities["township_code"],
                    strict=True,
                )
            ]
            self._facility_ids = {v: v for _l, v in opts}
            with self.facility.hold_trait_notifications():
                self.facility.options = opts
            if opts and self.facility.value not in self._facility_ids:
                self.facility.value = _first_candidate(c) or opts[0][1]
        fid = self.facility.value
        if not fid:
            return
        scen = with_flags_view(self.s, fid)
        for flag, box in self.flag_boxes.items():
            box.value = bool(scen.get(flag, False))

    def _show_whatif(self) -> None:
        s = self.s
        if s.plan is None:
            self.figures.value = ""
            return
        rows = "".join(
            f"<tr data-key='{_esc(r['key'])}'><td>{_esc(r['指标 figure'])}</td>"
            f"<td data-col='base'>{_esc(r['现状 as read'])}</td>"
            f"<td data-col='scenario'><b>{_esc(r['情景 scenario'])}</b></td></tr>"
            for r in s.key_figures().to_dict("records")
        )
        plan = s.plan
        lines = "".join(f"<li>{_esc(x)}</li>" for x in plan.planner_lines("zh"))
        self.figures.value = (
            f"<p>推荐新建中医阁 recommended new 中医阁：<b data-tcm-app='sites'>{plan.n_chosen}</b> 个"
            f"（需要 needed {plan.n_needed}）</p><ul class='tcm-muted'>{lines}</ul>"
            "<table class='tcm-fig'><tr><th>指标 figure</th><th>现状 as read</th>"
            f"<th>情景 scenario</th></tr>{rows}</table>"
        )
        table = s.changes_table()
        if len(table):
            body = table.head(200).to_html(index=False, border=0, classes="tcm-fig", escape=True)
            more = (
                f"<p class='tcm-muted'>共 {len(table)} 项 changes in all</p>"
                if len(table) > 200
                else ""
            )
            self.changes_html.value = f"<p><b>情景改动 changes in the scenario</b></p>{body}{more}"
        else:
            self.changes_html.value = ""

    # -- 6 take away --------------------------------------------------------------------------

    def _takeaway(self) -> None:
        self.downloads = W.HTML().add_class("tcm-app-downloads")
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        self.takeaway_box = W.VBox(
            [
                W.HBox(
                    [
                        self._button(
                            "整改清单 worklist (xlsx)",
                            "tcm-app-dl-worklist",
                            lambda: self._add_download(*self.s.worklist_file(), xlsx),
                            "整改清单 worklist",
                        ),
                        self._button(
                            "情景工作簿 scenario (xlsx)",
                            "tcm-app-dl-scenario",
                            lambda: self._add_download(*self.s.scenario_file(), xlsx),
                            "情景工作簿 scenario",
                        ),
                        self._button(
                            "列映射 column map (toml)",
                            "tcm-app-dl-map",
                            self._save_map,
                            "列映射 map",
                        ),
                    ]
                ),
                W.HBox(
                    [
                        self._button(
                            "报告 report (HTML)",
                            "tcm-app-dl-report",
                            lambda: self._add_download(*self.s.report_file(), "text/html"),
                            "报告 report",
                        ),
                        self._button(
                            "报告 report (PDF)",
                            "tcm-app-dl-pdf",
                            lambda: self._add_download(
                                *self.s.report_file(pdf=True), "application/pdf"
                            ),
                            "报告 PDF",
                        ),
                        self._button(
                            "情景报告 scenario report (HTML)",
                            "tcm-app-dl-scenario-report",
                            lambda: self._add_download(
                                *self.s.report_file(scenario=True), "text/html"
                            ),
                            "情景报告 scenario report",
                        ),
                    ]
                ),
                W.HTML(
                    "<p class='tcm-muted'>整改清单按当前情景（未改动时即现状）；报告需几秒到几十秒。· The "
                    "worklist follows the scenario shown (as read when nothing is changed); a "
                    "report takes seconds.</p>"
                ),
                self.downloads,
            ]
        )

    def _add_download(self, name: str, data: bytes, mime: str) -> None:
        self.downloads.value = f"<p>{_link(name, data, mime)}</p>" + self.downloads.value


_NA: Any = None
try:  # pandas' missing value, compared by identity in _set_flags
    import pandas as _pd

    _NA = _pd.NA
except ImportError:  # pragma: no cover - pandas is a dependency
    pass


def _flags_key(facilities: Any) -> bytes:
    """Return what the facility layer depends on beyond the rows: the flags of every facility."""
    import pandas as pd

    cols = [c for c in FLAGS if c in facilities]
    if not cols:
        return b""
    return bytes(pd.util.hash_pandas_object(facilities[cols], index=False).to_numpy().tobytes())


def _first_candidate(county: Any) -> str | None:
    """Return the first village clinic without a 中医阁 (what a planner sets first), if any."""
    f = county.facilities
    pav = f["has_tcm_pavilion"] if "has_tcm_pavilion" in f else None
    mask = f["type"].astype(str).eq("village_clinic")
    if pav is not None:
        mask &= ~pav.astype("boolean").fillna(False).to_numpy(dtype=bool)
    ids = f.loc[mask.to_numpy(dtype=bool), "id"].astype(str)
    return str(ids.iloc[0]) if len(ids) else None


def with_flags_view(session: Session, facility_id: str) -> dict[str, object]:
    """Return a facility's flags as the scenario has them (the planner's changes applied)."""
    c = session.county
    if c is None:
        return {}
    row = c.facilities.set_index(c.facilities["id"].astype(str)).loc[facility_id]
    out: dict[str, object] = {}
    for flag in FLAGS:
        v = row.get(flag)
        out[flag] = False if v is None or v is _NA or v != v else bool(v)
    for ch in session.changes:
        if ch.facility_id == facility_id:
            out[ch.flag] = ch.value
    return out


def _kernel_loop() -> Any:
    """Return the running kernel's event loop (``None`` outside a kernel).

    A job put on it runs in the kernel's main thread once the notebook's cell has finished,
    that is once Voila has sent the page: widgets are only ever changed from that thread.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return None
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    return getattr(kernel, "io_loop", None)


def _css() -> str:
    from tcmcounty.reporting.sections import REPORT_CSS

    return REPORT_CSS + _CSS


def workbench(county: str | None = "512021-anyue", *, background: bool = True) -> W.Widget:
    """Build the workbench page, with ``county`` (a bundled county's folder) open.

    With ``background`` (inside a kernel) the page is returned at once and the county is read
    right after (the page says so until it is shown), so the page is ready before the county.

    Returns
    -------
    ipywidgets.Widget
        The page; display it (the notebook's last line).
    """
    return Workbench(county=county, background=background).widget
