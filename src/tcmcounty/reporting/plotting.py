"""Charts and maps with Chinese labels.

The first figure drawn registers a bundled CJK font (Noto Sans CJK SC, shipped by the
``mplfonts`` package) with matplotlib and makes it the default sans-serif font, so Chinese text
renders in every figure without "missing glyph" warnings (importing this module changes
nothing). DejaVu Sans stays as a per-glyph fallback for symbols.

Every function takes plain tables (pandas / geopandas) and returns a
:class:`matplotlib.figure.Figure`; :func:`figure_png` turns a figure into PNG bytes for the
reports. Labels are bilingual: ``lang`` is ``"zh"``, ``"en"`` or ``"zh-en"`` (both).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import math
import threading
import warnings
import weakref
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar, cast

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pyproj
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from PIL import Image, PngImagePlugin

from tcmcounty import resources

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.cm import ScalarMappable
    from matplotlib.transforms import Bbox

    from tcmcounty.county import County

_T = TypeVar("_T")

__all__ = [
    "FONT_NAME",
    "LANGS",
    "clear_caches",
    "county_map",
    "coverage_chart",
    "ecdf_chart",
    "explore",
    "figure_png",
    "font_path",
    "indicator_chart",
    "label",
    "place_labels",
    "register_cjk_font",
    "sites_map",
    "smallest_font_pt",
    "span_km",
    "value_map",
]

LANGS = ("zh", "en", "zh-en")
FONT_FILE = resources.CJK_FONT_FILE
#: Display resolution of report figures (CSS pixels per inch; keeps a report well under 2 MB).
DPI = 96
#: zlib strategy of report PNGs (``Z_RLE``): a palette image compresses fast and well with it.
PNG_ZLIB_STRATEGY = zlib.Z_RLE
#: ``tEXt`` key under which a report PNG records the smallest font size (pt) its figure uses.
MIN_FONT_KEY = "tcmcounty:min-font-pt"
#: Smallest font size (pt) of any text in a figure: what the A4 print shows at 1x (7 pt).
MIN_FONT = 7.0
#: Width (inches) of a full-width figure: within the A4 print's text width (186 mm, less the
#: report's padding), so a figure prints at least at its 1x size and its smallest text at
#: :data:`MIN_FONT` or more (:mod:`tcmcounty.run.print_check` measures it; ``tests/test_print.py``).
PRINT_WIDTH_IN = 7.0
# Default map heights end in 5/100 inch, so that a map's tight box is no whole number of
# pixels: at 6.1 in (less the 0.1 in pad: 1152 px at 192 dpi), a rounding error of 1e-12 px
# decided whether the PNG had a row less than savefig's (tests/test_plotting_cache.py).
#: Maps are rasterised at this multiple of :data:`DPI` and shown at their 1x size, so they
#: stay sharp at 200% zoom and on high-density screens (the PNG records its DPI).
MAP_SCALE = 2

# Drawing order of map layers (higher is drawn on top): village status above facility symbols.
Z_GRATICULE = 0.5
Z_BOUNDARY = 1.0
Z_FACILITY = 3.0
Z_COUNTY_HOSPITAL = 3.4
Z_TOWNSHIP_SEAT = 3.6
Z_VILLAGE = 4.0
Z_VILLAGE_RING = 4.5
Z_SITE = 7.0
Z_LABEL = 8.0
Z_FURNITURE = 9.0


def font_path() -> Path | None:
    """Return the path of the bundled CJK font file, or ``None`` if ``mplfonts`` is absent.

    The same file as the report pages embed (:func:`tcmcounty.resources.cjk_font`).
    """
    return resources.cjk_font()


def register_cjk_font() -> str:
    """Register the bundled CJK font with matplotlib and make it the default; return its name.

    Idempotent; every figure of this module calls it (once per process, see
    :func:`_ensure_font`) before it is built or drawn. When the font file cannot be found a :class:`RuntimeWarning` says how to fix
    it (``pip install mplfonts``) and matplotlib's defaults are left unchanged.
    """
    path = font_path()
    if path is None:
        warnings.warn(
            "the CJK font of the 'mplfonts' package was not found; Chinese labels will not "
            "render (pip install mplfonts) / 未找到中文字体，请安装 mplfonts",
            RuntimeWarning,
            stacklevel=2,
        )
        return ""
    names = {f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == path}
    if not names:
        font_manager.fontManager.addfont(str(path))
        names = {font_manager.FontProperties(fname=str(path)).get_name()}
    name = sorted(names)[0]
    matplotlib.rcParams["font.family"] = ["sans-serif"]
    rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f not in (name, "DejaVu Sans")]
    matplotlib.rcParams["font.sans-serif"] = [name, "DejaVu Sans", *rest]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["svg.fonttype"] = "path"
    matplotlib.rcParams["figure.max_open_warning"] = 0
    return name


#: Family name of the bundled font (:func:`register_cjk_font` returns the name it registered).
FONT_NAME = "Noto Sans CJK SC"

_FONT: list[str] = []  # the registered family name, once registered


def clear_caches() -> None:
    """Forget what this process has cached to draw figures faster (text, map geometry).

    Figures drawn afterwards are identical, only slower the first time.

    Examples
    --------
    >>> clear_caches()
    """
    from tcmcounty.reporting.canvas import clear_text_caches

    clear_text_caches()
    with _GEOMETRY_LOCK:
        _GEOMETRY.clear()


def _ensure_font() -> str:
    """Register the CJK font the first time a figure is made or drawn; return its name."""
    if not _FONT:
        _FONT.append(register_cjk_font() or FONT_NAME)
    return _FONT[0]


def label(zh: str, en: str, lang: str = "zh-en", sep: str = " ") -> str:
    """Return ``zh``, ``en`` or both, as ``lang`` asks.

    Examples
    --------
    >>> label("床位", "beds", "zh-en")
    '床位 beds'
    >>> label("床位", "beds", "en")
    'beds'
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    zh, en = str(zh or ""), str(en or "")
    if lang == "zh":
        return zh or en
    if lang == "en":
        return en or zh
    if zh and en and zh != en:
        return f"{zh}{sep}{en}"
    return zh or en


def figure_png(fig: MplFigure, dpi: float | None = None, palette: bool = True) -> bytes:
    r"""Render ``fig`` to PNG bytes (deterministic: no timestamp).

    The figure is drawn once, on a white background; a map (legend below its axes) is
    cropped to its tight bounding box plus ``savefig.pad_inches``, as
    ``savefig(bbox_inches="tight")`` would (within half a pixel), without drawing it again;
    the pixels are encoded once.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    dpi : float, optional
        Resolution; by default the figure's own (maps are made at ``MAP_SCALE`` x
        :data:`DPI`, charts at :data:`DPI`). The PNG records it (``pHYs``), so a page can show
        the image at ``pixels * DPI / dpi`` CSS pixels.
    palette : bool
        Reduce the image to 256 colours (no dithering): about a third of the size of a
        full-colour PNG with no visible change for charts and maps.

    Returns
    -------
    bytes

    Examples
    --------
    >>> fig, ax = _new((2.0, 1.5))
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> figure_png(fig)[:4]
    b'\x89PNG'
    """
    _ensure_font()  # a figure made elsewhere may carry Chinese labels too
    dpi = float(dpi or fig.dpi)
    out = io.BytesIO()
    with _render(fig, dpi, tight=fig in _OUTSIDE_LEGEND) as (buf, (w, h)):
        info = PngImagePlugin.PngInfo()
        smallest = smallest_font_pt(fig)
        if smallest is not None:
            info.add_text(MIN_FONT_KEY, f"{smallest:g}")
        if palette:
            # the RGB of the drawn box, read straight from the canvas (its rows are longer
            # when the box is cropped): what cropping and dropping the alpha (all opaque on
            # the white background) gives, in one pass
            rgb = Image.frombytes("RGB", (w, h), buf, "raw", "RGBX", buf.shape[1] * 4, 1)
            q = rgb.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
            # run-length zlib: the palette image's long runs of one index compress ~2.5x
            # faster than with zlib's default strategy, at ~1.2x the size
            q.save(
                out,
                format="PNG",
                dpi=(dpi, dpi),
                compress_type=PNG_ZLIB_STRATEGY,
                pnginfo=info,
            )
        else:
            im = Image.frombuffer("RGBA", (buf.shape[1], buf.shape[0]), buf, "raw", "RGBA", 0, 1)
            im.crop((0, 0, w, h)).save(
                out, format="PNG", dpi=(dpi, dpi), compress_level=1, pnginfo=info
            )
    return out.getvalue()


def smallest_font_pt(fig: MplFigure) -> float | None:
    """Return the smallest font size (pt) of the text ``fig`` shows, ``None`` if it shows none.

    Every visible, non-empty text of the figure counts: titles, tick labels, legends,
    colour-bar labels, annotations and place names. :func:`figure_png` records it in the PNG
    (``tEXt`` :data:`MIN_FONT_KEY`), so the size the text prints at can be measured from the
    PDF (:mod:`tcmcounty.run.print_check`: ``size * dpi / printed pixels per inch``).

    Examples
    --------
    >>> fig, ax = _new((2.0, 1.5))
    >>> _ = ax.set_title("t", fontsize=11)
    >>> _ = ax.text(0.5, 0.5, "note", fontsize=7.5)
    >>> smallest_font_pt(fig) <= 7.5
    True
    """
    from matplotlib.text import Text

    hidden = {  # tick labels of axes drawn without their axes (maps)
        id(label)
        for ax in fig.axes
        if not ax.axison
        for axis in (ax.xaxis, ax.yaxis)
        for tick in (*axis.majorTicks, *axis.minorTicks)
        for label in (tick.label1, tick.label2)
    }
    sizes = [
        float(t.get_fontsize())
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and id(t) not in hidden
    ]
    return min(sizes) if sizes else None


@contextlib.contextmanager
def _render(
    fig: MplFigure, dpi: float, tight: bool
) -> Iterator[tuple[np.ndarray, tuple[int, int]]]:
    """Draw ``fig`` once with Agg on white at ``dpi``; yield its RGBA pixels and the box's size.

    With ``tight``, only the figure's tight bounding box (padded by ``savefig.pad_inches``)
    is kept, pixel for pixel as ``savefig(bbox_inches="tight")`` draws it: the content is
    shifted the way ``savefig`` shifts it, onto a canvas of the figure's own size when the box
    fits in it (the renderer then keeps the text measured while the figure was built) and
    cropped; a larger box gets a canvas of its own size. The pixels are the canvas's
    ``(rows, columns, 4)`` buffer, the picture its upper left ``(width, height)``; they are
    the canvas's own memory: use them inside the ``with`` block only.
    """
    from matplotlib import cbook
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from tcmcounty.reporting.canvas import Canvas

    own = fig.canvas
    if not isinstance(own, FigureCanvasAgg):
        Canvas(fig)  # for this drawing only (given back below)
    canvas = fig.canvas
    face = fig.patch.get_facecolor()
    fig.patch.set_facecolor("white")
    restore = None
    try:
        with cbook._setattr_cm(fig, dpi=dpi) if dpi != fig.dpi else contextlib.nullcontext():
            size = None
            if tight:
                restore, size = _shift_to_tight_box(fig, canvas.get_renderer())  # type: ignore[attr-defined]
            canvas.draw()
            buf = np.asarray(canvas.buffer_rgba())  # type: ignore[attr-defined]
            yield buf, size if size is not None else (buf.shape[1], buf.shape[0])
    finally:
        if restore is not None:
            restore()
        fig.patch.set_facecolor(face)
        if fig.canvas is not own:
            fig.set_canvas(own)


def _shift_to_tight_box(
    fig: MplFigure, renderer: object
) -> tuple[Callable[[], None], tuple[int, int] | None]:
    """Adjust ``fig`` as ``savefig(bbox_inches="tight")`` does; return the undo and the crop.

    ``savefig`` draws the tight box on a canvas of the box's size, its lower left corner at
    the origin. When the box fits in the figure, the same shift on a canvas of the figure's
    own size (one renderer for building and drawing) puts every pixel of the box at the same
    place, in its upper left ``(width, height)`` pixels; otherwise the canvas takes the size
    of the box (crop ``None``).
    """
    from matplotlib import _tight_bbox
    from matplotlib.transforms import Bbox

    pad = float(matplotlib.rcParams["savefig.pad_inches"])
    box = fig.get_tightbbox(renderer).padded(pad)  # type: ignore[arg-type]
    dpi = fig.dpi
    w, h = int(box.width * dpi), int(box.height * dpi)  # savefig's canvas (pixels)
    fig_w, fig_h = fig.get_size_inches()
    full_w, full_h = int(fig_w * dpi), int(fig_h * dpi)
    if w > full_w or h > full_h:
        return _tight_bbox.adjust_bbox(fig, box, renderer), None
    # rows are counted from the top: lower the origin so that the box's top row is row 0
    same = Bbox.from_bounds(box.x0, box.y0 + (h - full_h) / dpi, fig_w, fig_h)
    return _tight_bbox.adjust_bbox(fig, same, renderer), (w, h)


_OUTSIDE_LEGEND: weakref.WeakSet[MplFigure] = weakref.WeakSet()


def _new(figsize: tuple[float, float], dpi: float = DPI) -> tuple[MplFigure, Axes]:
    """Make a figure outside pyplot (no global state, no GUI backend, nothing shown twice).

    The figure is made at the resolution it is saved at, on an Agg canvas
    (:class:`tcmcounty.reporting.canvas.Canvas`) whose text metrics and glyph layouts are
    kept for the whole process: a label is measured once per process, not once per layout pass
    and figure.
    """
    from tcmcounty.reporting.canvas import Canvas

    _ensure_font()
    fig = MplFigure(figsize=figsize, dpi=dpi)
    Canvas(fig)
    return fig, fig.subplots()


# ---------------------------------------------------------------------------------------------
# Charts

_MET = "#2e7d32"
_UNMET = "#c62828"
_NOTARGET = "#9e9e9e"


def _met_colour(met: object) -> str:
    if isinstance(met, (bool, np.bool_)):
        return _MET if bool(met) else _UNMET
    return _NOTARGET


def _num(x: object) -> float:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return v


def indicator_chart(table: pd.DataFrame, lang: str = "zh-en", max_pct: float = 200.0) -> MplFigure:
    """Bar chart of each indicator's value as a percentage of its target.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``id``, ``name_zh``, ``name_en``, ``value``, ``met`` and the numeric target
        ``target_low`` (else ``target_high``, else a numeric ``target``), as returned by
        :func:`tcmcounty.indicators.compute`. Rows without a numeric value and target are
        listed by id under the chart.
    lang : {"zh", "en", "zh-en"}
        Label language.
    max_pct : float
        Bars longer than this are cut and marked with their true percentage.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = []
    skipped = []
    for r in table.to_dict("records"):
        value = _num(r.get("value"))
        target = _num(r.get("target_low"))
        if not math.isfinite(target):
            target = _num(r.get("target_high"))
        if not math.isfinite(target):
            target = _num(r.get("target"))
        name = label(r.get("name_zh", ""), r.get("name_en", ""), lang)
        if len(name) > 38:
            name = name[:37] + "…"
        if math.isfinite(value) and math.isfinite(target) and target > 0:
            rows.append((name, 100.0 * value / target, r.get("met"), value, target))
        else:
            skipped.append(str(r.get("id") or name))
    n = max(len(rows), 1)
    fig, ax = _new((PRINT_WIDTH_IN, 0.42 * n + 1.6))
    if rows:
        names = [r[0] for r in rows][::-1]
        pct = np.array([r[1] for r in rows][::-1])
        colours = [_met_colour(r[2]) for r in rows][::-1]
        shown = np.minimum(pct, max_pct)
        ax.barh(range(len(rows)), shown, color=colours, height=0.6)
        for i, (p, s) in enumerate(zip(pct, shown, strict=True)):
            ax.text(s + 2, i, f"{p:.0f}%", va="center", fontsize=8)
        ax.set_yticks(range(len(rows)), names, fontsize=8)
        ax.axvline(100, color="black", lw=1, ls="--")
        ax.set_xlim(0, max_pct * 1.15)
    else:
        ax.text(
            0.5,
            0.5,
            label("无可比较的指标", "no comparable indicator", lang),
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        ax.set_yticks([])
    ax.set_xlabel(
        label("占目标值的百分比（虚线 = 目标）", "% of target (dashed line = target)", lang)
    )
    handles = [
        Line2D([], [], color=_MET, lw=6, label=label("达标", "met", lang)),
        Line2D([], [], color=_UNMET, lw=6, label=label("未达标", "not met", lang)),
        Line2D([], [], color=_NOTARGET, lw=6, label=label("无判定", "no verdict", lang)),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=True)
    ax.set_title(label("指标与目标", "Indicators against targets", lang), fontsize=11)
    if skipped:
        note = label(
            "未绘制（无数值或无数值目标）：", "not drawn (no value or no numeric target): ", lang
        )
        text = note + ", ".join(skipped[:12]) + (" …" if len(skipped) > 12 else "")
        fig.text(0.01, 0.005, text, fontsize=7, color="#555555", wrap=True, va="bottom")
    ax.spines[["top", "right"]].set_visible(False)
    with _measured_once(fig):
        fig.tight_layout(rect=(0, 0.04 if skipped else 0, 1, 1))
    return fig


@contextlib.contextmanager
def _measured_once(fig: MplFigure) -> Iterator[None]:
    """Within the block, each Axes of ``fig`` measures its tight box once per way of asking.

    Given a ``rect``, ``tight_layout`` computes the layout twice (the second pass fits it into
    the rect) from the tight boxes of the same, unchanged Axes: the second pass gets the
    first one's boxes instead of measuring every label again, and computes the same layout.
    Use it around a layout only (nothing may change the figure inside the block).
    """
    patched = []
    for ax in fig.axes:
        memo: dict[tuple[object, ...], tuple[object, Bbox | None]] = {}

        def once(
            renderer: object = None,
            *args: object,
            _measure: Callable[..., Bbox | None] = ax.get_tightbbox,
            _memo: dict[tuple[object, ...], tuple[object, Bbox | None]] = memo,
            **kw: object,
        ) -> Bbox | None:
            if args or kw.get("bbox_extra_artists") is not None:
                return _measure(renderer, *args, **kw)
            key = (id(renderer), *sorted(kw.items()))
            if key not in _memo:  # (the renderer is kept: its id stays its own)
                _memo[key] = (renderer, _measure(renderer, **kw))
            return _memo[key][1]

        ax.get_tightbbox = once  # type: ignore[method-assign]
        patched.append(ax)
    try:
        yield
    finally:
        for ax in patched:
            del ax.get_tightbbox


def coverage_chart(
    shares: pd.DataFrame,
    lang: str = "zh-en",
    title: tuple[str, str] = ("各乡镇覆盖率", "Coverage by township"),
    xlabel: tuple[str, str] = ("覆盖比例", "share covered"),
    series_labels: Mapping[str, tuple[str, str]] | None = None,
) -> MplFigure:
    """Heat-map table of shares (0–1): one row per township, one column per series.

    Parameters
    ----------
    shares : pandas.DataFrame
        One row per township (the index is the township's name), one column per series
        (e.g. a service level or a threshold); values between 0 and 1 (NaN = not applicable,
        drawn grey). Each cell is annotated with its percentage.
    series_labels : mapping of column to (zh, en), optional
        Column labels; the column names are used otherwise.
    """
    n, k = len(shares), max(len(shares.columns), 1)
    fig, ax = _new((2.2 + 1.25 * k, 0.9 + 0.21 * max(n, 3)))
    vals = (
        shares.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        if n
        else np.zeros((0, k))
    )
    cmap = matplotlib.colormaps.get_cmap("RdYlGn").with_extremes(bad="#e0e0e0")
    ax.imshow(
        np.ma.masked_invalid(vals * 100),
        cmap=cmap,
        vmin=0,
        vmax=100,
        aspect="auto",
        interpolation="nearest",
    )
    for i in range(n):
        for j in range(k):
            v = vals[i, j]
            dark = np.isfinite(v) and (v < 0.15 or v > 0.85)
            ax.text(
                j,
                i,
                "—" if not np.isfinite(v) else f"{100 * v:.0f}%",
                ha="center",
                va="center",
                fontsize=MIN_FONT,
                color="white" if dark else "black",
            )
    labels = [
        label(*(series_labels or {}).get(c, (str(c), str(c))), lang=lang, sep="\n")
        for c in shares.columns
    ]
    ax.set_xticks(range(k), labels, fontsize=7)
    ax.xaxis.tick_top()
    ax.set_yticks(range(n), [str(i) for i in shares.index], fontsize=7)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        label(*title, lang=lang) + "\n" + label(*xlabel, lang=lang) + " (%)", fontsize=10, pad=28
    )
    fig.tight_layout()
    return fig


def ecdf_chart(
    series: Mapping[str, Sequence[float] | np.ndarray | pd.Series],
    lang: str = "zh-en",
    thresholds: Sequence[float] = (),
    weights: Mapping[str, Sequence[float] | np.ndarray | pd.Series] | None = None,
    title: tuple[str, str] = ("到最近中医药服务的距离分布", "Distance to the nearest TCM service"),
    xlabel: tuple[str, str] = ("距离（公里）", "distance (km)"),
    xmax: float | None = None,
) -> MplFigure:
    """Empirical cumulative distribution of distances, one line per series, on one scale.

    Parameters
    ----------
    series : mapping of label to distances (km)
        NaN (no service reachable) counts as "beyond the axis".
    weights : mapping of label to weights, optional
        E.g. village population, to read the share of *residents* rather than villages.
    thresholds : sequence of float
        Vertical guide lines (km).
    """
    fig, ax = _new((7.0, 4.2))
    finite_max = 0.0
    for i, (name, values) in enumerate(series.items()):
        d = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
        w = (
            np.ones_like(d)
            if not weights or name not in weights
            else np.asarray(weights[name], float)
        )
        w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
        total = w.sum()
        ok = np.isfinite(d)
        if total <= 0 or not ok.any():
            continue
        order = np.argsort(d[ok], kind="stable")
        x = d[ok][order]
        y = np.cumsum(w[ok][order]) / total
        finite_max = max(finite_max, float(x.max()))
        ax.step(
            np.r_[0.0, x],
            np.r_[0.0, y] * 100,
            where="post",
            lw=1.6,
            label=str(name),
            color=matplotlib.colormaps.get_cmap("tab10")(i % 10),
        )
    right = xmax if xmax else max(finite_max * 1.1, 0.5)
    for t in thresholds:
        if float(t) <= right:
            ax.axvline(float(t), color="#777777", lw=0.8, ls=":")
            ax.text(
                float(t),
                101,
                f"{float(t):g} km",
                fontsize=7,
                ha="center",
                va="bottom",
                color="#555555",
            )
    ax.set_xlim(0, right)
    ax.set_ylim(0, 108)
    ax.set_xlabel(label(*xlabel, lang=lang))
    ylab = (
        ("累计人口比例", "cumulative share of residents")
        if weights
        else ("累计村比例", "cumulative share of villages")
    )
    ax.set_ylabel(label(*ylab, lang=lang) + " (%)")
    ax.set_title(label(*title, lang=lang), fontsize=11)
    if series:
        ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Maps

#: Facility map symbols: key -> (zh, en, marker, colour, size).
FACILITY_SYMBOLS: dict[str, tuple[str, str, str, str, float]] = {
    "county_tcm_hospital": ("县中医医院", "county TCM hospital", "*", "#b71c1c", 150),
    "county_hospital": ("其他县级医院", "other county hospital", "*", "#212121", 110),
    "hall": ("卫生院/社区中心（有中医馆）", "THC/CHC with 中医馆", "s", "#1b5e20", 42),
    "centre": ("卫生院/社区中心（无中医馆）", "THC/CHC without 中医馆", "s", "#9e9e9e", 42),
    "pavilion": ("村卫生室/服务站（有中医阁）", "clinic/station with 中医阁", "^", "#2e7d32", 26),
    "clinic_tcm": (
        "村卫生室/服务站（提供中医药）",
        "clinic/station providing TCM",
        "^",
        "#1565c0",
        16,
    ),
    "clinic": ("村卫生室/服务站（未提供中医药）", "clinic/station, no TCM", "^", "#bdbdbd", 12),
    "tcm_clinic": ("中医诊所", "TCM clinic", "D", "#6a1b9a", 18),
    "other": ("其他机构", "other facility", "o", "#616161", 12),
}


#: Village-level facility symbols drawn as outlines (the village dot shows through).
_HOLLOW = frozenset({"clinic", "clinic_tcm", "pavilion", "tcm_clinic", "other"})


def _truthy(s: pd.Series) -> np.ndarray:
    return s.map(
        lambda v: v is True or (isinstance(v, (int, float, np.bool_)) and bool(v) and v == v)
    ).to_numpy(bool)


def facility_category(facilities: pd.DataFrame) -> pd.Series:
    """Return the map symbol key (see :data:`FACILITY_SYMBOLS`) of each facility."""
    t = facilities.get("type", pd.Series("other", index=facilities.index)).astype(str)
    hall = _truthy(facilities.get("has_tcm_hall", pd.Series(False, index=facilities.index)))
    pav = _truthy(facilities.get("has_tcm_pavilion", pd.Series(False, index=facilities.index)))
    tcm = _truthy(facilities.get("provides_tcm", pd.Series(False, index=facilities.index)))
    cat = np.full(len(t), "other", dtype=object)
    centre = t.isin(["township_health_centre", "community_health_centre"]).to_numpy()
    clinic = t.isin(["village_clinic", "community_health_station"]).to_numpy()
    cat[t.eq("county_tcm_hospital").to_numpy()] = "county_tcm_hospital"
    cat[t.isin(["county_general_hospital", "maternal_child_hospital"]).to_numpy()] = (
        "county_hospital"
    )
    cat[centre] = np.where(hall[centre], "hall", "centre")
    cat[clinic] = np.where(pav[clinic], "pavilion", np.where(tcm[clinic], "clinic_tcm", "clinic"))
    cat[t.eq("tcm_clinic").to_numpy()] = "tcm_clinic"
    return pd.Series(cat, index=facilities.index, name="category")


@functools.lru_cache(maxsize=32)
def _transformer(src: object, dst: object) -> pyproj.Transformer:
    """Return a cached lon/lat <-> map transformer (making one costs about 0.1 s)."""
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


#: Projected layers kept per process (a worker draws three maps of each county in turn).
GEOMETRY_CACHE_SIZE = 64
_GEOMETRY: OrderedDict[tuple[object, ...], object] = OrderedDict()
_GEOMETRY_LOCK = threading.Lock()


def _layer_key(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[str, str]:
    """Content key of a layer: its CRS and a digest of its geometries (not its identity).

    Two counties, or a county whose boundary changed, never share a key; the same geometries
    read twice do.
    """
    import hashlib

    import shapely

    geoms = np.asarray(gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf, dtype=object)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(len(geoms).to_bytes(8, "little"))
    for wkb in shapely.to_wkb(geoms, hex=False, output_dimension=2, include_srid=False):
        digest.update(b"\x00" if wkb is None else wkb)
    crs = gdf.crs.to_wkt() if gdf.crs is not None else ""
    return crs, digest.hexdigest()


def _cached(key: tuple[object, ...], make: Callable[[], _T]) -> _T:
    """Return ``make()`` for ``key``, made once per process (least recently used dropped)."""
    with _GEOMETRY_LOCK:
        if key in _GEOMETRY:
            _GEOMETRY.move_to_end(key)
            return cast("_T", _GEOMETRY[key])  # what ``make`` made for this key
    value = make()  # outside the lock: two threads may both make it, either result is right
    with _GEOMETRY_LOCK:
        _GEOMETRY[key] = value
        if len(_GEOMETRY) > GEOMETRY_CACHE_SIZE:
            _GEOMETRY.popitem(last=False)
    return value


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.setflags(write=False)  # shared through the cache: nobody may change them
    return arrays


class _Frame:
    """Projection of a county's layers to its metric CRS (km) for drawing.

    The CRS, the projected points and the boundary lines of a layer are cached by its content
    (:func:`_layer_key`), so the maps of one county project each layer once.
    """

    def __init__(self, *layers: gpd.GeoDataFrame | None) -> None:
        from tcmcounty.spatial.pairs import county_crs

        present = [g for g in layers if g is not None and len(g) and g.crs is not None]
        if not present:
            raise ValueError("nothing to map: every layer is empty / 没有可绘制的图层")
        first = present[0]
        self.crs = _cached(
            ("crs", *_layer_key(first)), lambda: county_crs(first[~first.geometry.is_empty])
        )
        self._wkt = self.crs.to_wkt()

    def xy(self, gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Map coordinates (km) of each feature (its representative point); NaN if empty."""
        key = ("xy", self._wkt, *_layer_key(gdf))
        return cast("tuple[np.ndarray, np.ndarray]", _cached(key, lambda: self._project(gdf)))

    def _project(self, gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, ...]:
        proj = gdf.geometry.to_crs(self.crs)
        ok = ~(proj.is_empty | proj.isna())
        x = np.full(len(proj), np.nan)
        y = np.full(len(proj), np.nan)
        pts = cast("gpd.GeoSeries", proj[ok])  # (the stubs lose the GeoSeries of a mask)
        if len(pts) and not (pts.geom_type == "Point").all():
            pts = pts.representative_point()
        x[ok.to_numpy()] = pts.x.to_numpy() / 1000.0
        y[ok.to_numpy()] = pts.y.to_numpy() / 1000.0
        return _frozen(x, y)

    def lonlat_to_km(
        self, lon: np.ndarray, lat: np.ndarray, inverse: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Project degrees to map km (or, with ``inverse``, map km to degrees).

        One transformer per county CRS serves both directions (making one costs about 0.1 s).
        """
        tr = _transformer("EPSG:4326", self.crs)
        if inverse:
            a, b = tr.transform(
                np.asarray(lon) * 1000.0,
                np.asarray(lat) * 1000.0,
                direction=pyproj.enums.TransformDirection.INVERSE,
            )
            return np.asarray(a), np.asarray(b)
        a, b = tr.transform(np.asarray(lon), np.asarray(lat))
        return np.asarray(a) / 1000.0, np.asarray(b) / 1000.0

    def boundary(self, ax: Axes, boundary: gpd.GeoDataFrame | None) -> None:
        """Draw the outline as one line, its rings separated by NaN (projected once, cached).

        The vertices are kept as they are: Agg simplifies paths finer than a pixel when it
        draws them (in C, about a millisecond for a county's few thousand vertices), and
        dropping one on the edge of the outline would move the whole map by a fraction of
        a pixel (the outline sets the map's extent).
        """
        if boundary is None or not len(boundary):
            return
        key = ("outline", self._wkt, *_layer_key(boundary))
        x, y = cast("tuple[np.ndarray, np.ndarray]", _cached(key, lambda: self._outline(boundary)))
        if len(x):
            ax.plot(x, y, color="#333333", lw=1.0, zorder=Z_BOUNDARY, gid="boundary")

    def _outline(self, boundary: gpd.GeoDataFrame) -> tuple[np.ndarray, ...]:
        import shapely

        rings = shapely.get_parts(shapely.boundary(boundary.geometry.to_crs(self.crs).values))
        rings = shapely.get_parts(rings[~shapely.is_empty(rings)])  # multi-lines to lines
        parts = [np.vstack([shapely.get_coordinates(r) / 1000.0, [np.nan, np.nan]]) for r in rings]
        xy = np.vstack(parts)[:-1] if parts else np.empty((0, 2))
        return _frozen(np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]))


def _map_figure(figsize: tuple[float, float]) -> tuple[MplFigure, Axes]:
    """Make a map figure at ``MAP_SCALE`` x :data:`DPI` (saved cropped to its tight box)."""
    fig, ax = _new(figsize, dpi=DPI * MAP_SCALE)
    _OUTSIDE_LEGEND.add(fig)
    return fig, ax


def _target_cmap(higher_is_better: bool) -> matplotlib.colors.Colormap:
    """Red (does not meet the target) / green (meets) colour map, pale at the target."""
    from matplotlib.colors import ListedColormap

    # lighter than the dark-green 中医馆 symbols, so village status never reads as a facility
    red = matplotlib.colormaps["Reds"](np.linspace(0.9, 0.35, 128))
    green = matplotlib.colormaps["Greens"](np.linspace(0.3, 0.7, 128))
    if not higher_is_better:  # low values meet the target: dark green near 0, dark red far
        red, green = green[::-1], red[::-1]
    return ListedColormap(np.vstack([red, green]), name="tcm_target")


def _target_norm(
    values: np.ndarray, target: float, vmin: float | None = None, vmax: float | None = None
) -> matplotlib.colors.TwoSlopeNorm:
    """Colour norm centred on ``target`` (two halves of equal length on the colour bar)."""
    from matplotlib.colors import TwoSlopeNorm

    v = values[np.isfinite(values)]
    lo = float(np.nanpercentile(v, 2)) if vmin is None and len(v) else (vmin or 0.0)
    hi = float(np.nanpercentile(v, 98)) if vmax is None and len(v) else (vmax or 0.0)
    span = abs(target) or 1.0
    lo = min(lo, target - 0.5 * span) if vmin is None else min(vmin, target - 1e-9)
    hi = max(hi, target + 0.5 * span) if vmax is None else max(vmax, target + 1e-9)
    return TwoSlopeNorm(vcenter=target, vmin=lo, vmax=hi)


def _colorbar(
    fig: MplFigure,
    ax: Axes,
    mappable: ScalarMappable,
    title: tuple[str, str],
    lang: str,
    target: float | None = None,
    higher_is_better: bool = True,
    unit: str = "",
) -> None:
    """Colour bar beside a map; centred scales mark the target and which side meets it."""
    cb = fig.colorbar(mappable, ax=ax, shrink=0.6, pad=0.02)
    cb.set_label(label(*title, lang=lang), fontsize=8)
    cb.ax.tick_params(labelsize=7)
    if target is None:
        return
    norm = cb.mappable.norm
    # the colour bar has scaled the norm to the data: both limits are numbers by now
    ticks = [cast("float", norm.vmin), target, cast("float", norm.vmax)]
    mark = f"{label('目标', 'target', lang)} {target:g}{unit}"
    cb.set_ticks(ticks, labels=[f"{ticks[0]:.2g}", mark, f"{ticks[2]:.2g}"])
    cb.ax.axhline(target, color="black", lw=1.2)
    good, bad = label("达标", "meets", lang, sep="\n"), label("未达标", "not met", lang, sep="\n")
    top, bottom = (good, bad) if higher_is_better else (bad, good)
    for y, text in ((0.75, top), (0.25, bottom)):
        cb.ax.text(
            0.5,
            y,
            text,
            transform=cb.ax.transAxes,
            rotation=90,
            ha="center",
            va="center",
            fontsize=MIN_FONT,
            color="#212121",
        )


def _close_map(
    fig: MplFigure,
    ax: Axes,
    frame: _Frame,
    handles: list[Line2D],
    title: tuple[str, str],
    lang: str,
    span_km: float | None = None,
) -> MplFigure:
    """Put the legend below a county map, title it, finish its axes and lay it out."""
    if handles:
        ax.legend(
            handles=handles,
            fontsize=7,
            loc="upper left",
            bbox_to_anchor=(0.0, -0.06),
            ncol=2,
            frameon=False,
        )
    ax.set_title(label(*title, lang=lang), fontsize=11)
    _finish_map(ax, frame, lang, span_km)
    fig.tight_layout()
    ax.apply_aspect()
    return fig


def _finish_map(ax: Axes, frame: _Frame, lang: str, span_km: float | None = None) -> None:
    """Equal aspect, lon/lat graticule, scale bar (km) and north arrow."""
    ax.set_aspect("equal")
    ax.autoscale_view()
    if span_km:  # the same ground distance per axis on every map (maps side by side)
        cx, cy = cast("float", np.mean(ax.get_xlim())), cast("float", np.mean(ax.get_ylim()))
        ax.set_xlim(cx - span_km / 2, cx + span_km / 2)
        ax.set_ylim(cy - span_km / 2, cy + span_km / 2)
    ax.set_autoscale_on(False)
    _graticule(ax, frame)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    span = max((x1 - x0) / 4, 1e-3)
    base = 10 ** math.floor(math.log10(span))
    length = max(m * base for m in (1, 2, 5) if m * base <= span)
    bx, by = x0 + (x1 - x0) * 0.05, y0 + (y1 - y0) * 0.04
    ax.plot(
        [bx, bx + length],
        [by] * 2,
        color="black",
        lw=2,
        zorder=Z_FURNITURE,
        solid_capstyle="butt",
        gid="scale-bar",
    )
    ax.text(
        bx + length / 2,
        y0 + (y1 - y0) * 0.055,
        f"{length:g} km",
        ha="center",
        va="bottom",
        fontsize=7,
        zorder=Z_FURNITURE,
        gid="scale-bar",
    )
    ax.annotate(
        label("北", "N", lang, sep=" "),
        xy=(0.96, 0.95),
        xytext=(0.96, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="top",
        fontsize=8,
        arrowprops={"arrowstyle": "-|>", "color": "black"},
        zorder=Z_FURNITURE,
        gid="north-arrow",
    )


#: Graticule steps in degrees (the smallest that leaves at most five lines is used).
_GRATICULE_STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


def _degree_text(v: float, step: float, pos: str, neg: str) -> str:
    dec = max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if step in (0.25, 0.05) else 0)
    dec = min(dec, 2) if step >= 0.01 else dec
    return f"{abs(v):.{dec}f}°{pos if v >= 0 else neg}"


def _graticule(ax: Axes, frame: _Frame, max_lines: int = 5) -> None:
    """Draw a light lon/lat graticule; tick labels in degrees where it meets the frame."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    gx, gy = np.meshgrid(np.linspace(x0, x1, 5), np.linspace(y0, y1, 5))
    lon, lat = frame.lonlat_to_km(gx.ravel(), gy.ravel(), inverse=True)
    lon_lo, lon_hi, lat_lo, lat_hi = lon.min(), lon.max(), lat.min(), lat.max()
    extent = max(lon_hi - lon_lo, lat_hi - lat_lo)
    step = next((s for s in _GRATICULE_STEPS if extent / s <= max_lines), _GRATICULE_STEPS[-1])
    pad = 0.2 * extent
    n = 24
    mers = np.arange(math.ceil(lon_lo / step), math.floor(lon_hi / step) + 1) * step
    pars = np.arange(math.ceil(lat_lo / step), math.floor(lat_hi / step) + 1) * step
    la = np.linspace(lat_lo - pad, lat_hi + pad, n)
    lo = np.linspace(lon_lo - pad, lon_hi + pad, n)
    lons = np.concatenate([np.repeat(mers, n), np.tile(lo, len(pars))])
    lats = np.concatenate([np.tile(la, len(mers)), np.repeat(pars, n)])
    gx, gy = frame.lonlat_to_km(lons, lats)
    gx, gy = gx.reshape(-1, n), gy.reshape(-1, n)
    xt: list[tuple[float, str]] = []
    yt: list[tuple[float, str]] = []
    for m, x, y in zip(mers, gx[: len(mers)], gy[: len(mers)], strict=True):
        xb = float(np.interp(y0, y, x))
        if x0 <= xb <= x1:
            xt.append((xb, _degree_text(float(m), step, "E", "W")))
    for p, x, y in zip(pars, gx[len(mers) :], gy[len(mers) :], strict=True):
        yb = float(np.interp(x0, x, y))
        if y0 <= yb <= y1:
            yt.append((yb, _degree_text(float(p), step, "N", "S")))
    sep = np.full((len(gx), 1), np.nan)  # one artist for all lines (NaN breaks them)
    ax.plot(
        np.hstack([gx, sep]).ravel(),
        np.hstack([gy, sep]).ravel(),
        color="#b0bec5",
        lw=0.5,
        zorder=Z_GRATICULE,
        gid="graticule",
    )
    ax.set_xticks([t for t, _ in xt], [s for _, s in xt])
    ax.set_yticks([t for t, _ in yt], [s for _, s in yt])
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.tick_params(labelsize=7, length=2)


def _draw_facilities(
    ax: Axes, frame: _Frame, facilities: gpd.GeoDataFrame | None, lang: str
) -> list[Line2D]:
    handles: list[Line2D] = []
    if facilities is None or not len(facilities):
        return handles
    cat = facility_category(facilities)
    x, y = frame.xy(facilities)
    for key in [
        "clinic",
        "clinic_tcm",
        "other",
        "tcm_clinic",
        "pavilion",
        "centre",
        "hall",
        "county_hospital",
        "county_tcm_hospital",
    ]:
        m = (cat == key).to_numpy() & np.isfinite(x)
        if not m.any():
            continue
        zh, en, marker, colour, size = FACILITY_SYMBOLS[key]
        hollow = key in _HOLLOW  # village-level: an outline around the village's own dot
        ax.scatter(
            x[m],
            y[m],
            marker=marker,
            s=size * 1.6 if hollow else size,
            facecolors="none" if hollow else colour,
            edgecolors=colour if hollow else "white",
            linewidths=0.9 if hollow else 0.4,
            zorder=Z_COUNTY_HOSPITAL if key.startswith("county") else Z_FACILITY,
            gid=f"facility-{key}",
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=marker,
                color=colour,
                markerfacecolor="none" if hollow else colour,
                markersize=7 if size > 30 else 5.5,
                label=f"{label(zh, en, lang)} ({int(m.sum())})",
            )
        )
    return handles


#: Candidate label positions around a point: (dx, dy) in units of the gap, ha, va.
_LABEL_SPOTS: tuple[
    tuple[float, float, Literal["left", "center", "right"], Literal["bottom", "center", "top"]],
    ...,
] = (
    (1.0, 0.0, "left", "center"),
    (0.7, 0.7, "left", "bottom"),
    (0.7, -0.7, "left", "top"),
    (-1.0, 0.0, "right", "center"),
    (0.0, 1.0, "center", "bottom"),
    (0.0, -1.0, "center", "top"),
    (-0.7, 0.7, "right", "bottom"),
    (-0.7, -0.7, "right", "top"),
)


def _box(
    px: float, py: float, w: float, h: float, dx: float, dy: float, ha: str, va: str
) -> tuple[float, float, float, float]:
    x = px + dx - (w if ha == "right" else w / 2 if ha == "center" else 0.0)
    y = py + dy - (h if va == "top" else h / 2 if va == "center" else 0.0)
    return (x, y, x + w, y + h)


def _overlaps(box: tuple[float, float, float, float], boxes: np.ndarray) -> bool:
    if not len(boxes):
        return False
    return bool(
        np.any(
            (boxes[:, 0] < box[2])
            & (box[0] < boxes[:, 2])
            & (boxes[:, 1] < box[3])
            & (box[1] < boxes[:, 3])
        )
    )


def place_labels(
    ax: Axes,
    x: np.ndarray,
    y: np.ndarray,
    texts: Sequence[str],
    priority: Sequence[float] | np.ndarray | pd.Series[float] | None = None,
    *,
    fontsize: float = 7.0,
    gap_pt: float = 3.5,
    gid: str = "township-label",
    keep_all: bool = False,
    **text_kw: object,
) -> list[matplotlib.text.Annotation]:
    """Label points without collisions: label priority with eight candidate positions.

    Labels are placed in order of ``priority`` (highest first) at the first of eight
    positions around their point that stays inside the axes and touches no placed label,
    no other labelled point and no map furniture (scale bar, north arrow); a label that finds
    no free position is left out. Call it once the figure's layout is final.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes in data coordinates of ``x`` and ``y``.
    x, y : numpy.ndarray
        Point coordinates (NaN points are skipped).
    texts : sequence of str
        One label per point.
    priority : array-like, optional
        E.g. population; by default the order given.
    fontsize, gap_pt : float
        Label size and its distance from the point (points).
    gid : str
        Artist id of the labels.
    keep_all : bool
        Draw a label that finds no free position at its first position anyway (for labels
        that must not be missing, such as the ranks of recommended sites).
    **text_kw
        Further :class:`matplotlib.text.Text` properties (colour, weight).

    Returns
    -------
    list of matplotlib.text.Annotation
        The labels drawn (``gid`` set, to find them again).
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    pts = ax.transData.transform(np.column_stack([np.where(ok, x, 0), np.where(ok, y, 0)]))
    frame = ax.get_window_extent(renderer)
    k = fig.dpi / 72.0
    pad = 1.0 * k  # room for the pale box behind a label
    r = 2.2 * k  # half-size of a point marker
    boxes = [np.column_stack([pts[ok] - r, pts[ok] + r])]  # labelled points
    # (the stubs add only ArtistLists of one artist type; the sum is a list of both)
    for t in cast("Axes.ArtistList[Artist]", ax.texts) + cast("Axes.ArtistList[Artist]", ax.lines):
        if t.get_gid() in ("scale-bar", "north-arrow"):
            bb = t.get_window_extent(renderer)
            boxes.append(np.array([[bb.x0 - pad, bb.y0 - pad, bb.x1 + pad, bb.y1 + pad]]))
    obstacles = np.concatenate(boxes).reshape(-1, 4)
    placed = np.empty((int(ok.sum()), 4))  # boxes of the labels drawn so far
    n_placed = 0
    order: np.ndarray = np.arange(len(x))
    if priority is not None:
        pr = np.asarray(pd.to_numeric(pd.Series(np.asarray(priority)), errors="coerce"), float)
        order = np.lexsort((order, -np.nan_to_num(pr, nan=-np.inf)))
    out = []
    # a pale box, not a stroked halo: path effects draw CJK text as paths (4x slower)
    halo = {"boxstyle": "square,pad=0.08", "fc": "white", "ec": "none", "alpha": 0.75}
    for i in order:
        if not ok[i] or not str(texts[i]).strip():
            continue
        own = np.array([pts[i, 0] - r, pts[i, 1] - r, pts[i, 0] + r, pts[i, 1] + r])
        # every obstacle but the point itself (and points at the same place), then the labels
        others = np.concatenate([obstacles[~(obstacles == own).all(axis=1)], placed[:n_placed]])
        ann = ax.annotate(
            str(texts[i]),
            (x[i], y[i]),
            xytext=(gap_pt, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=fontsize,
            zorder=Z_LABEL,
            gid=gid,
            bbox=halo,
            annotation_clip=False,
            **text_kw,  # type: ignore[arg-type]
        )
        ext = ann.get_window_extent(renderer)
        w, h = ext.width, ext.height
        for dx, dy, ha, va in _LABEL_SPOTS:
            b = _box(pts[i, 0], pts[i, 1], w, h, dx * gap_pt * k, dy * gap_pt * k, ha, va)
            inside = (
                b[0] >= frame.x0 + pad
                and b[2] <= frame.x1 - pad
                and b[1] >= frame.y0 + pad
                and b[3] <= frame.y1 - pad
            )
            grown = (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad)
            if inside and not _overlaps(grown, others):
                ann.set_position((dx * gap_pt, dy * gap_pt))
                ann.set_horizontalalignment(ha)
                ann.set_verticalalignment(va)
                ann.set_in_layout(False)  # inside the axes: no need to measure it for the crop
                placed[n_placed] = b
                n_placed += 1
                out.append(ann)
                break
        else:
            if keep_all:
                placed[n_placed] = _box(
                    pts[i, 0], pts[i, 1], w, h, gap_pt * k, 0.0, "left", "center"
                )
                n_placed += 1
                out.append(ann)
            else:
                ann.remove()
    return out


def _draw_townships(ax: Axes, frame: _Frame, townships: gpd.GeoDataFrame | None) -> None:
    """Township seats as rings (labels are placed later by :func:`_label_townships`)."""
    if townships is None or not len(townships):
        return
    x, y = frame.xy(townships)
    ok = np.isfinite(x)
    ax.scatter(
        x[ok],
        y[ok],
        s=14,
        facecolors="none",
        edgecolors="#37474f",
        linewidths=0.8,
        zorder=Z_TOWNSHIP_SEAT,
        gid="township-seat",
    )


def _label_townships(
    ax: Axes, frame: _Frame, townships: gpd.GeoDataFrame | None, max_labels: int = 300
) -> list[matplotlib.text.Annotation]:
    """Name township seats (most populous first) where the names do not collide."""
    if townships is None or not len(townships) or "name" not in townships:
        return []
    x, y = frame.xy(townships)
    pop = townships["population"] if "population" in townships else None
    if len(townships) > max_labels:
        keep = np.zeros(len(x), bool)
        rank = np.argsort(
            -np.nan_to_num(np.asarray(pd.to_numeric(pop), float), nan=-1.0)
            if pop is not None
            else np.arange(len(x)),
            kind="stable",
        )
        keep[rank[:max_labels]] = True
        x = np.where(keep, x, np.nan)
    return place_labels(ax, x, y, townships["name"].astype(str).tolist(), pop, color="#263238")


def _village_points(
    ax: Axes, x: np.ndarray, y: np.ndarray, **kw: object
) -> matplotlib.collections.PathCollection:
    """Villages as dots with a thin white edge, drawn above facility symbols."""
    style: dict[str, object] = {"s": 11, "edgecolors": "white", "linewidths": 0.3}
    style.update(kw)
    return ax.scatter(x, y, zorder=Z_VILLAGE, gid="village", **style)  # type: ignore[arg-type]


def _uncovered_zh(km: float | None) -> str:
    return f"{km:g} 公里内无中医药服务的村" if km else "未覆盖的村"


def _uncovered_en(km: float | None) -> str:
    return f"village with no TCM service within {km:g} km" if km else "uncovered village"


def county_map(
    villages: gpd.GeoDataFrame,
    distance_km: pd.Series | np.ndarray,
    *,
    boundary: gpd.GeoDataFrame | None = None,
    townships: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    uncovered: pd.Series | np.ndarray | None = None,
    threshold_km: float | None = None,
    lang: str = "zh-en",
    title: tuple[str, str] = ("到最近中医药服务的距离", "Distance to the nearest TCM service"),
    vmax: float | None = None,
    figsize: tuple[float, float] = (PRINT_WIDTH_IN, 6.65),
    span_km: float | None = None,
) -> MplFigure:
    """Map villages coloured by distance to the nearest TCM service, with facilities by type.

    Villages are drawn above the facility symbols; township names are placed so that they do
    not collide (most populous first, see :func:`place_labels`); the axes show longitude and
    latitude and a scale bar gives distances in km.

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        Village points (any CRS).
    distance_km : array-like
        Distance of each village (same order) to its nearest TCM service; NaN = none reachable.
    boundary, townships, facilities : geopandas.GeoDataFrame, optional
        County outline, township seats (labelled with ``name``) and facilities (drawn by type).
    uncovered : array-like of bool, optional
        Villages beyond the coverage threshold, highlighted with a red ring.
    threshold_km : float, optional
        Coverage threshold: the colour scale is centred on it, green within (meets), red
        beyond (does not meet). Without it, a sequential scale from 0 km.
    vmax : float, optional
        Top of the colour scale in km (default: the 98th percentile of the distances, and at
        least twice ``threshold_km``).
    span_km : float, optional
        Width and height of the map in km (to draw several counties at the same scale).

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _Frame(boundary, villages, facilities, townships)
    fig, ax = _map_figure(figsize)
    frame.boundary(ax, boundary)
    x, y = frame.xy(villages)
    d = np.asarray(pd.to_numeric(pd.Series(np.asarray(distance_km)), errors="coerce"), dtype=float)
    ok = np.isfinite(x)
    top = vmax or (float(np.nanpercentile(d, 98)) if np.isfinite(d).any() else 1.0)
    has = ok & np.isfinite(d)
    if threshold_km:
        colour: dict[str, object] = {
            "cmap": _target_cmap(higher_is_better=False),
            "norm": _target_norm(d, float(threshold_km), 0.0, max(top, 2 * float(threshold_km))),
        }
    else:
        colour = {"cmap": "YlOrRd", "vmin": 0, "vmax": max(top, 0.1)}
    sc = _village_points(ax, x[has], y[has], c=d[has], **colour)
    none = ok & ~np.isfinite(d)
    if none.any():
        _village_points(ax, x[none], y[none], c="#4a148c", marker="x", linewidths=0.8)
    handles: list[Line2D] = []
    if uncovered is not None:
        u = np.asarray(uncovered, dtype=bool) & ok
        if u.any():
            ax.scatter(
                x[u],
                y[u],
                s=40,
                facecolors="none",
                edgecolors="#d50000",
                linewidths=1.0,
                zorder=Z_VILLAGE_RING,
            )
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                markerfacecolor="none",
                markeredgecolor="#d50000",
                label=f"{label(_uncovered_zh(threshold_km), _uncovered_en(threshold_km), lang)}"
                f" ({int(u.sum())})",
            )
        )
    if none.any():
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="x",
                color="#4a148c",
                label=label("范围内无服务", "no service in range", lang),
            )
        )
    _draw_townships(ax, frame, townships)
    handles += _draw_facilities(ax, frame, facilities, lang)
    if townships is not None and len(townships):
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                markerfacecolor="none",
                markeredgecolor="#37474f",
                label=label("乡镇驻地", "township seat", lang),
            )
        )
    _colorbar(
        fig,
        ax,
        sc,
        ("村到最近中医药服务距离（公里）", "village distance to nearest TCM service (km)"),
        lang,
        target=float(threshold_km) if threshold_km else None,
        higher_is_better=False,
        unit=" km",
    )
    _close_map(fig, ax, frame, handles, title, lang, span_km)
    _label_townships(ax, frame, townships)
    return fig


def span_km(*layers: gpd.GeoDataFrame | None) -> float:
    """Largest width or height (km, projected) of the layers' extent, for maps on one scale."""
    frame = _Frame(*layers)
    best = 0.0
    for g in layers:
        if g is not None and len(g):
            b = g.geometry.to_crs(frame.crs).total_bounds / 1000.0
            if np.isfinite(b).all():
                best = max(best, b[2] - b[0], b[3] - b[1])
    return best


def value_map(
    villages: gpd.GeoDataFrame,
    values: pd.Series | np.ndarray,
    *,
    boundary: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    lang: str = "zh-en",
    title: tuple[str, str] = ("可及性", "Accessibility"),
    colorbar: tuple[str, str] = ("数值", "value"),
    cmap: str = "viridis",
    target: float | None = None,
    higher_is_better: bool = True,
    figsize: tuple[float, float] = (PRINT_WIDTH_IN, 6.15),
) -> MplFigure:
    """Map villages coloured by any value (e.g. a 2SFCA accessibility score).

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        Village points (any CRS).
    values : array-like
        One value per village (NaN drawn as a grey cross).
    boundary, facilities : geopandas.GeoDataFrame, optional
        County outline and facilities (drawn by type, below the villages).
    colorbar : (str, str)
        Colour-bar title (zh, en).
    cmap : str
        Sequential colour map, used when there is no ``target``.
    target : float, optional
        Target value: the colour scale is centred on it, green on the side that meets it and
        red on the other.
    higher_is_better : bool
        Which side of ``target`` meets it.

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _Frame(boundary, villages, facilities)
    fig, ax = _map_figure(figsize)
    frame.boundary(ax, boundary)
    x, y = frame.xy(villages)
    v = np.asarray(pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce"), dtype=float)
    ok = np.isfinite(x) & np.isfinite(v)
    if target is not None and math.isfinite(target):
        colour: dict[str, object] = {
            "cmap": _target_cmap(higher_is_better),
            "norm": _target_norm(v[ok], float(target)),
        }
    else:
        target, colour = None, {"cmap": cmap}
    sc = _village_points(ax, x[ok], y[ok], c=v[ok], **colour)
    miss = np.isfinite(x) & ~np.isfinite(v)
    if miss.any():
        _village_points(ax, x[miss], y[miss], c="#bdbdbd", s=8, marker="x", linewidths=0.8)
    handles = _draw_facilities(ax, frame, facilities, lang)
    _colorbar(fig, ax, sc, colorbar, lang, target=target, higher_is_better=higher_is_better)
    return _close_map(fig, ax, frame, handles, title, lang)


def sites_map(
    villages: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    covered_before: pd.Series | np.ndarray | None = None,
    lang: str = "zh-en",
    title: tuple[str, str] = ("推荐的中医阁选址", "Recommended 中医阁 sites"),
    rank_column: str = "rank",
    radius: str = "",
    figsize: tuple[float, float] = (PRINT_WIDTH_IN, 6.15),
) -> MplFigure:
    """Map recommended 中医阁 sites (numbered by rank) over villages and existing facilities.

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        Village points (any CRS), drawn above the facility symbols.
    sites : geopandas.GeoDataFrame
        Recommended sites, with their rank in ``rank_column`` (else numbered in order).
    covered_before : array-like of bool, optional
        Villages already covered by a 中医阁 (blue) or not (orange).

    radius : str, optional
        The covering radius as shown (``"2 km"``): the legend says what "not covered" means.

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _Frame(boundary, villages, facilities, sites)
    fig, ax = _map_figure(figsize)
    frame.boundary(ax, boundary)
    x, y = frame.xy(villages)
    handles = _draw_facilities(ax, frame, facilities, lang)
    if covered_before is not None:
        c = np.asarray(covered_before, dtype=bool)
        _village_points(ax, x[c], y[c], s=8, c="#64b5f6")
        _village_points(ax, x[~c], y[~c], s=11, c="#ef6c00")
        handles += [
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                color="#64b5f6",
                label=label(
                    f"在中医阁 {radius} 内的村" if radius else "已被中医阁覆盖的村",
                    f"village within {radius} of a 中医阁"
                    if radius
                    else "village covered by a 中医阁",
                    lang,
                ),
            ),
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                color="#ef6c00",
                label=label(
                    f"不在中医阁 {radius} 内的村" if radius else "未被中医阁覆盖的村",
                    f"village not within {radius} of a 中医阁"
                    if radius
                    else "village not covered by a 中医阁",
                    lang,
                ),
            ),
        ]
    else:
        _village_points(ax, x, y, s=8, c="#90a4ae")
    ranked = None
    if sites is not None and len(sites):
        sx, sy = frame.xy(sites)
        ax.scatter(
            sx,
            sy,
            s=90,
            marker="P",
            c="#d50000",
            edgecolors="white",
            linewidths=0.6,
            zorder=Z_SITE,
            gid="site",
        )
        ranks = sites[rank_column].tolist() if rank_column in sites else range(1, len(sites) + 1)
        ranked = (sx, sy, [str(r) for r in ranks])
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="P",
                color="#d50000",
                label=f"{label('推荐新建中医阁', 'recommended new 中医阁', lang)} ({len(sites)})",
            )
        )
    _close_map(fig, ax, frame, handles, title, lang)
    if ranked is not None:
        sx, sy, texts = ranked
        prio = -np.arange(len(texts), dtype=float)  # rank 1 first
        place_labels(
            ax,
            sx,
            sy,
            texts,
            prio,
            fontsize=7,
            gap_pt=5.0,
            gid="site-label",
            keep_all=True,
            color="#b71c1c",
        )
    return fig


class PngImage:
    """PNG bytes that Jupyter displays as an image."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def _repr_png_(self) -> bytes:
        return self.data


def explore(results_or_county: object, column: str = "any_tcm_km", lang: str = "zh-en") -> object:
    """Map a county for exploration in JupyterLab.

    With ``folium`` installed, an interactive map (``GeoDataFrame.explore``) of villages
    coloured by ``column`` of the results' ``nearest`` table, with facilities; otherwise the
    static :func:`county_map` as an image.

    Parameters
    ----------
    results_or_county : CountyResults or County
        From :func:`tcmcounty.reporting.results.load_results`, or a loaded county (no distances then).
    """
    county = cast("County", getattr(results_or_county, "county", results_or_county))
    nearest = getattr(results_or_county, "nearest", None)
    villages = county.villages
    dist = (
        nearest[column].to_numpy(dtype=float)
        if nearest is not None and column in nearest
        else np.full(len(villages), np.nan)
    )
    if importlib.util.find_spec("folium") is not None:
        v = villages[["code", "name", "township_code", "population", "geometry"]].copy()
        v["distance_km"] = dist
        m = v.explore(
            column="distance_km" if np.isfinite(dist).any() else None,
            cmap="YlOrRd",
            name="villages",
        )
        f = county.facilities[["id", "name", "type", "geometry"]]
        f.explore(m=m, color="black", marker_kwds={"radius": 4}, name="facilities")
        if county.boundary is not None:
            county.boundary.boundary.explore(m=m, color="#333333", name="boundary")
        return m
    return PngImage(
        figure_png(
            county_map(
                villages,
                dist,
                boundary=county.boundary,
                townships=county.townships,
                facilities=county.facilities,
                lang=lang,
            )
        )
    )
