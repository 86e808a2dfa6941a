"""The province overview at the top of a batch's ``index.html`` (issue 23 item 7).

A 省/市 office running 100+ counties opens ``index.html`` on:

* a map of the counties, their real outlines as inline SVG (no network, no external file),
  coloured by readiness (ready / not ready / no verdict data); counties without an outline are
  listed under the map as "no outline";
* the number of counties ready, not ready and without a verdict;
* the targets most often unmet across the counties, by their Chinese names;
* the county table, sortable and filterable in the browser (:data:`SORT_SCRIPT`, a few KB of
  inline JavaScript) and printable on A4 (:data:`OVERVIEW_CSS`).

Every count comes from one function, :func:`overview_counts`, used by both ``index.html``
(:func:`overview_html`) and ``summary.xlsx`` (:func:`write_target_sheet`), so the two always
agree. The counts are read from the per-county records the batch keeps (``headline`` readiness
fields and the ``indicators`` rows with ``met``); outlines from the boundary file of the county
bundle the record names in ``inputs`` (the outline the report itself drew).
"""

from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

#: Readiness classes of a county (CSS class, Chinese label, English label, map colour).
READY, NOT_READY, NO_DATA = "ready", "not-ready", "no-data"
READINESS_CLASSES: dict[str, tuple[str, str, str]] = {
    READY: ("已就绪", "ready", "#66bb6a"),
    NOT_READY: ("未就绪", "not ready", "#ef5350"),
    NO_DATA: ("无法判定（缺数据）", "no verdict data", "#bdbdbd"),
}
#: Title of the per-target sheet of ``summary.xlsx``.
TARGET_SHEET = "指标汇总 by target"
#: Columns of :data:`TARGET_SHEET`.
TARGET_COLUMNS = (
    "代码 id",
    "指标 indicator",
    "Indicator",
    "达标县数 counties met",
    "未达标县数 counties not met",
    "无法判定县数 counties no verdict",
)
#: Targets listed as "most often unmet" on the page.
TOP_UNMET = 10
#: Width of the map in SVG units.
MAP_WIDTH = 640.0


def _esc(v: object) -> str:
    from tcmcounty.io import xml_safe_text

    return html.escape(xml_safe_text("" if v is None else str(v)), quote=True)


@dataclass
class TargetCount:
    """How many counties met, did not meet, or have no verdict on one target."""

    id: str
    name_zh: str
    name_en: str
    met: int = 0
    not_met: int = 0
    no_verdict: int = 0


@dataclass
class Overview:
    """The counts shown by the overview and the per-target sheet.

    Attributes
    ----------
    counties : list of dict
        The county-report records, in the order given.
    readiness : dict of str to str
        Record name -> readiness class (:data:`READY`, :data:`NOT_READY`, :data:`NO_DATA`).
    counts : dict of str to int
        Counties per readiness class (every class present, zero included).
    targets : list of TargetCount
        One per indicator seen in any record, in first-seen order; a county whose record lacks
        the indicator (a failed report) counts as no verdict, so every row sums to the number of
        counties.
    """

    counties: list[dict[str, Any]] = field(default_factory=list)
    readiness: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    targets: list[TargetCount] = field(default_factory=list)

    def top_unmet(self, k: int = TOP_UNMET) -> list[TargetCount]:
        """Targets unmet in at least one county, most often unmet first (ties by id)."""
        unmet = [t for t in self.targets if t.not_met > 0]
        return sorted(unmet, key=lambda t: (-t.not_met, t.id))[:k]


def readiness_class(rec: dict[str, Any]) -> str:
    """Return the readiness class of a county record (from ``headline.readiness_ready``).

    Examples
    --------
    >>> readiness_class({"headline": {"readiness_ready": False}})
    'not-ready'
    >>> readiness_class({"status": "failed", "headline": {}})
    'no-data'
    """
    h = rec.get("headline") or {}
    ready = h.get("readiness_ready") if isinstance(h, dict) else None
    if isinstance(ready, bool):
        return READY if ready else NOT_READY
    return NO_DATA


def overview_counts(records: list[dict[str, Any]]) -> Overview:
    """Count readiness and per-target verdicts over the county-report records.

    The one source of the figures of the overview in ``index.html`` and of the
    :data:`TARGET_SHEET` sheet of ``summary.xlsx``.

    Examples
    --------
    >>> recs = [
    ...     {"kind": "county_report", "name": "a", "headline": {"readiness_ready": False},
    ...      "indicators": [{"id": "T-1", "name_zh": "甲", "met": False}]},
    ...     {"kind": "county_report", "name": "b", "status": "failed"},
    ... ]
    >>> ov = overview_counts(recs)
    >>> ov.counts
    {'ready': 0, 'not-ready': 1, 'no-data': 1}
    >>> t = ov.targets[0]; (t.met, t.not_met, t.no_verdict)
    (0, 1, 1)
    """
    counties = [r for r in records if r.get("kind") == "county_report"]
    ov = Overview(counties=counties, counts={k: 0 for k in READINESS_CLASSES})
    targets: dict[str, TargetCount] = {}
    for r in counties:
        cls = readiness_class(r)
        ov.readiness[str(r.get("name"))] = cls
        ov.counts[cls] += 1
        for x in r.get("indicators") or []:
            if not isinstance(x, dict):
                continue
            iid = str(x.get("id") or "")
            if iid and iid not in targets:
                targets[iid] = TargetCount(
                    iid, str(x.get("name_zh") or iid), str(x.get("name_en") or "")
                )
    for r in counties:
        by_id = {
            str(x.get("id")): x.get("met") for x in r.get("indicators") or [] if isinstance(x, dict)
        }
        for iid, t in targets.items():
            met = by_id.get(iid)
            if met is True:
                t.met += 1
            elif met is False:
                t.not_met += 1
            else:
                t.no_verdict += 1
    ov.targets = list(targets.values())
    return ov


# --------------------------------------------------------------------------- outlines


def county_outline(rec: dict[str, Any]) -> Any | None:
    """Return the county outline of a record as one shapely geometry in WGS84, or ``None``.

    Read from the boundary file (``boundary.geojson`` …) of the county bundle folder the
    record names in ``inputs`` — the outline the report drew. ``None`` when the record names
    no folder, the folder has no boundary, or the file cannot be read.
    """
    inputs = rec.get("inputs")
    if not isinstance(inputs, list) or not inputs or not isinstance(inputs[0], str):
        return None
    try:
        import geopandas as gpd
        import shapely

        from tcmcounty.inputs.bundle import BOUNDARY_FILES

        folder = Path(inputs[0])
        if not folder.is_dir():
            return None
        for name in BOUNDARY_FILES:
            p = folder / name
            if p.is_file():
                g = gpd.read_file(p)
                g = g[g.geometry.notna() & ~g.geometry.is_empty]
                if not len(g):
                    return None
                g = g.to_crs("EPSG:4326") if g.crs else g.set_crs("EPSG:4326")
                geom = shapely.union_all(g.geometry.values)
                geom = geom if geom.is_valid else shapely.make_valid(geom)
                polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
                return shapely.MultiPolygon(polys) if polys else None
    except Exception:
        return None
    return None


def _rings(geom: Any) -> list[Any]:
    out = []
    for poly in getattr(geom, "geoms", [geom]):
        out.append(poly.exterior)
        out.extend(poly.interiors)
    return out


def map_svg(outlines: dict[str, Any], classes: dict[str, str], titles: dict[str, str]) -> str:
    """Return an inline SVG map: one ``<path>`` per county outline, filled by readiness class.

    ``outlines`` maps a record name to its geometry (WGS84), ``classes`` to its readiness class,
    ``titles`` to the text shown on hover. Longitude is scaled by the cosine of the mean
    latitude; outlines are simplified to about a pixel. Empty text when there is no outline.
    """
    if not outlines:
        return ""
    import shapely

    bounds = [g.bounds for g in outlines.values()]
    x0, y0 = min(b[0] for b in bounds), min(b[1] for b in bounds)
    x1, y1 = max(b[2] for b in bounds), max(b[3] for b in bounds)
    k = math.cos(math.radians((y0 + y1) / 2))
    w, h = max((x1 - x0) * k, 1e-6), max(y1 - y0, 1e-6)
    scale = MAP_WIDTH / w
    height = max(h * scale, 60.0)
    tol = max(w, h) / MAP_WIDTH / max(k, 0.1)
    paths = []
    for name, geom in outlines.items():
        simple = shapely.simplify(geom, tol, preserve_topology=True)
        d = []
        for ring in _rings(simple):
            pts = [
                f"{(x - x0) * k * scale:.1f},{(y1 - y) * scale:.1f}" for x, y in ring.coords[:-1]
            ]
            if len(pts) >= 3:
                d.append("M" + "L".join(pts) + "Z")
        if not d:
            continue
        cls = classes.get(name, NO_DATA)
        paths.append(
            f"<path class='county {cls}' data-name='{_esc(name)}' d='{''.join(d)}'>"
            f"<title>{_esc(titles.get(name, name))}</title></path>"
        )
    return (
        f"<svg class='county-map' role='img' "
        f"aria-label='县域地图 county map' viewBox='-2 -2 {MAP_WIDTH + 4:.0f} {height + 4:.0f}' "
        f"width='{MAP_WIDTH:.0f}' height='{height:.0f}'>{''.join(paths)}</svg>"
    )


def _county_name(rec: dict[str, Any]) -> str:
    c = (rec.get("counties") or [{}])[0]
    name = c.get("name_zh") or c.get("name_en") or rec.get("name")
    return f"{name} {c.get('adcode') or ''}".strip()


def overview_html(records: list[dict[str, Any]], overview: Overview | None = None) -> str:
    """Return the overview section of ``index.html``: map, readiness counts, most unmet targets."""
    ov = overview_counts(records) if overview is None else overview
    outlines: dict[str, Any] = {}
    titles: dict[str, str] = {}
    no_outline = []
    for r in ov.counties:
        name = str(r.get("name"))
        zh, en, _ = READINESS_CLASSES[ov.readiness[name]]
        titles[name] = f"{_county_name(r)}：{zh} {en}"
        geom = county_outline(r)
        if geom is None:
            no_outline.append(_county_name(r))
        else:
            outlines[name] = geom
    svg = map_svg(outlines, ov.readiness, titles)
    legend = "".join(
        f"<li><span class='swatch {cls}'></span>{zh} {en}：<b class='n-{cls}'>{ov.counts[cls]}</b> 县</li>"
        for cls, (zh, en, _) in READINESS_CLASSES.items()
    )
    missing = (
        f"<p class='no-outline'>无县界 no outline（{len(no_outline)}）："
        f"{_esc('、'.join(no_outline))}</p>"
        if no_outline
        else ""
    )
    top = ov.top_unmet()
    top_items = "".join(
        f"<li data-id='{_esc(t.id)}'>{_esc(t.name_zh)}：未达标 <b>{t.not_met}</b> 县</li>"
        for t in top
    )
    return f"""<section class='overview'>
<h2>全省概览 Overview <small>{len(ov.counties)} 县 counties</small></h2>
<div class='ov-grid'><div class='ov-map'>{svg or "<p>无县界 no outlines</p>"}{missing}</div>
<div class='ov-side'><h3>迎检准备 Readiness</h3><ul class='ov-counts'>{legend}</ul>
<h3>最常未达标的指标 Targets most often unmet</h3>
<ol class='top-unmet'>{top_items or "<li>—</li>"}</ol></div></div>
</section>"""


# --------------------------------------------------------------------------- page parts

#: CSS of the overview, the sortable table and the printed page (A4).
OVERVIEW_CSS = """
.ov-grid { display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }
svg.county-map { max-width: 100%; height: auto; }
svg.county-map path { stroke: #333; stroke-width: 0.6; fill-rule: evenodd; }
svg.county-map path:hover { stroke-width: 2; }
svg.county-map path.ready { fill: #66bb6a; } .swatch.ready { background: #66bb6a; }
svg.county-map path.not-ready { fill: #ef5350; } .swatch.not-ready { background: #ef5350; }
svg.county-map path.no-data { fill: #bdbdbd; } .swatch.no-data { background: #bdbdbd; }
.swatch { display: inline-block; width: 1em; height: 1em; margin-right: .4em; vertical-align: middle; }
.ov-counts, .top-unmet { line-height: 1.7; }
table[data-sortable] th { cursor: pointer; user-select: none; }
th[aria-sort=ascending]::after { content: " ▲"; } th[aria-sort=descending]::after { content: " ▼"; }
#county-filter { margin: .5em 0; padding: 3px 6px; width: 20em; }
@page { size: A4; margin: 12mm; }
@media print {
  body { margin: 0; font-size: 9pt; }
  .no-print, #county-filter { display: none; }
  table[data-sortable] { font-size: 7.5pt; width: 100%; }
  table[data-sortable] { table-layout: fixed; }
  table[data-sortable] td.ready { font-size: 1em; max-width: none; }
  table[data-sortable] .meta { display: none; }  /* file size and time: for the screen only */
  /* column widths on paper, in index.html's column order (code … error, size/time hidden) */
  #counties th:nth-child(1) { width: 7%; } #counties th:nth-child(2) { width: 12%; }
  #counties th:nth-child(3) { width: 5%; } #counties th:nth-child(4) { width: 4%; }
  #counties th:nth-child(5) { width: 5%; } #counties th:nth-child(6) { width: 5%; }
  #counties th:nth-child(7) { width: 7%; } #counties th:nth-child(8) { width: 7%; }
  #counties th:nth-child(9) { width: 5%; } #counties th:nth-child(10) { width: 25%; }
  #counties th:nth-child(11) { width: 8%; } #counties th:nth-child(14) { width: 10%; }
  svg.county-map { max-height: 110mm; width: auto; }
  table[data-sortable] tr[hidden] { display: table-row; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  svg.county-map path, .swatch, th, tr td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

#: The filter box shown above the county table.
FILTER_BOX = (
    "<input id='county-filter' type='search' class='no-print' "
    "placeholder='筛选 filter（县名、代码、状态…）' aria-label='筛选 filter'>"
)

#: Inline script: click (or Enter on) a header to sort, type in the filter box to hide rows.
SORT_SCRIPT = """<script id="sort-table">
(function () {
  var num = /^-?[\\d.,]+\\s*(%|KB)?$/;
  function key(td) {
    var s = td ? td.textContent.trim() : "";
    if (s === "" || s === "\\u2014") return null;
    return num.test(s) ? parseFloat(s.replace(/[,%\\sKB]/g, "")) : s;
  }
  document.querySelectorAll("table[data-sortable]").forEach(function (t) {
    var hs = t.tHead.rows[0].cells, body = t.tBodies[0];
    Array.prototype.forEach.call(hs, function (th, i) {
      th.tabIndex = 0;
      th.onclick = function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(hs, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[i]), y = key(b.cells[i]);
          if (x === null) return y === null ? 0 : 1;
          if (y === null) return -1;
          if (typeof x === "number" && typeof y === "number") return dir * (x - y);
          return dir * String(x).localeCompare(String(y), "zh");
        });
        rows.forEach(function (r) { body.appendChild(r); });
      };
      th.onkeydown = function (e) { if (e.key === "Enter") th.onclick(); };
    });
    var f = document.getElementById(t.getAttribute("data-filter"));
    if (f) f.oninput = function () {
      var q = f.value.trim().toLowerCase();
      Array.prototype.forEach.call(body.rows, function (r) {
        r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0;
      });
    };
  });
})();
</script>"""


# --------------------------------------------------------------------------- summary.xlsx


def write_target_sheet(
    ws: Any, records: list[dict[str, Any]], overview: Overview | None = None
) -> Any:
    """Fill the :data:`TARGET_SHEET` sheet: per indicator, counties met / not met / no verdict.

    The counts are :func:`overview_counts` (the same as the overview of ``index.html``); rows
    in the order of the indicators, laid out by :func:`tcmcounty.io.format_sheet`.
    """
    from openpyxl.styles import Font

    from tcmcounty.io import format_sheet, set_cell

    ov = overview_counts(records) if overview is None else overview
    bold = Font(bold=True)
    for j, h in enumerate(TARGET_COLUMNS, 1):
        set_cell(ws, 1, j, h).font = bold
    for i, t in enumerate(ov.targets, 2):
        for j, v in enumerate((t.id, t.name_zh, t.name_en, t.met, t.not_met, t.no_verdict), 1):
            set_cell(ws, i, j, v, "0" if isinstance(v, int) else None)
    if not ov.targets:
        set_cell(ws, 2, 1, "无 none")
    return format_sheet(ws, freeze="C2")


def target_counts_from_sheet(path: str | os.PathLike[str]) -> dict[str, tuple[int, int, int]]:
    """Read :data:`TARGET_SHEET` of a written ``summary.xlsx`` back: id -> (met, not met, no verdict)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        rows = list(wb[TARGET_SHEET].iter_rows(min_row=2, values_only=True))
    finally:
        wb.close()
    # cast: openpyxl types a cell's value as any cell content; these cells hold the counts
    # :func:`write_target_sheet` wrote
    return {
        str(r[0]): (int(cast(int, r[3])), int(cast(int, r[4])), int(cast(int, r[5])))
        for r in rows
        if r and r[3] is not None
    }
