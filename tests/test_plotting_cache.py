"""Fast figures, same pixels: one draw per PNG, process-wide text and geometry caches.

The oracle is matplotlib itself: the same figure built on a plain Agg canvas and saved with
``savefig`` (``bbox_inches="tight"`` for maps), as the figures were made before.
"""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from test_report_support import make_tiny_bundle

from tcmcounty.reporting import canvas as C
from tcmcounty.reporting import plotting as P
from tcmcounty.reporting import results as RS


@pytest.fixture(scope="module")
def res(tmp_path_factory: pytest.TempPathFactory) -> RS.CountyResults:
    return RS.load_results(make_tiny_bundle(tmp_path_factory.mktemp("in")))


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> RS.CountyResults:
    """A second county elsewhere (another outline, other villages)."""
    root = tmp_path_factory.mktemp("in2")
    return RS.load_results(
        make_tiny_bundle(root, "999002-other", adcode="140823", lon0=111.2, lat0=35.35, seed=5)
    )


def _figures(res: RS.CountyResults) -> dict[str, Figure]:
    c, d = res.county, res.nearest["any_tcm_km"]
    sites = c.villages.iloc[:3][["geometry"]].assign(rank=[1, 2, 3])
    return {
        "indicators": P.indicator_chart(res.indicators),
        "county_map": P.county_map(
            c.villages,
            d,
            boundary=c.boundary,
            townships=c.townships,
            facilities=c.facilities,
            uncovered=(d > 2).to_numpy(),
            threshold_km=2.0,
        ),
        "value_map": P.value_map(
            c.villages, res.access.villages["access_per_1000"], boundary=c.boundary, target=0.6
        ),
        "sites_map": P.sites_map(
            c.villages,
            sites,
            boundary=c.boundary,
            facilities=c.facilities,
            covered_before=(d <= 2).to_numpy(),
        ),
    }


def _savefig_png(fig: Figure) -> bytes:
    """The figure's PNG the way it was made before: matplotlib's savefig, then a palette."""
    buf = io.BytesIO()
    fig.savefig(
        buf,
        format="png",
        dpi=fig.dpi,
        bbox_inches="tight" if fig in P._OUTSIDE_LEGEND else None,
        facecolor="white",
    )
    buf.seek(0)
    with Image.open(buf) as im:
        q = im.convert("RGB").quantize(
            colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    out = io.BytesIO()
    q.save(out, format="PNG")
    return out.getvalue()


def _pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("RGB")).astype(int)


def test_figures_match_plain_matplotlib(
    res: RS.CountyResults, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built and drawn by matplotlib alone (plain Agg canvas, savefig) vs ours: same pixels.

    Charts are identical; a map may differ only where a clipped line crosses the crop edge
    of a larger canvas (antialiasing of a few pixels, never a visible change). Drawn again
    with every text cached, the bytes are the same.
    """
    P.clear_caches()
    ours = {k: P.figure_png(f) for k, f in _figures(res).items()}
    hits = C.text_cache_info()["metrics"][0]
    assert {k: P.figure_png(f) for k, f in _figures(res).items()} == ours
    assert C.text_cache_info()["metrics"][0] > hits  # the second round did use the cache
    with monkeypatch.context() as m:
        m.setattr(C, "Canvas", FigureCanvasAgg)  # no cached text anywhere
        plain = {k: _savefig_png(f) for k, f in _figures(res).items()}
    for kind in ours:
        a, b = _pixels(ours[kind]), _pixels(plain[kind])
        assert a.shape == b.shape, kind
        diff = np.abs(a - b).max(axis=2)
        if kind == "indicators":
            assert not diff.any()
        else:
            assert (diff > 0).mean() < 0.005, kind
            assert diff.max() <= 64, kind


def test_chart_layout_measured_once_is_matplotlibs(
    res: RS.CountyResults, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tight_layout(rect=...) with each Axes measured once: the layout of matplotlib's two
    measuring passes, and the Axes measure themselves again afterwards."""
    import contextlib

    ours = P.indicator_chart(res.indicators)
    assert all("get_tightbbox" not in vars(ax) for ax in ours.axes)
    calls = []
    with P._measured_once(ours):
        ax = ours.axes[0]
        renderer = ours.canvas.get_renderer()
        first = ax.get_tightbbox(renderer, for_layout_only=True)
        assert ax.get_tightbbox(renderer, for_layout_only=True) is first  # not measured again
        calls.append(ax.get_tightbbox(renderer) is first)
    assert calls == [False]  # another way of asking is another measurement
    with monkeypatch.context() as m:
        m.setattr(P, "_measured_once", lambda fig: contextlib.nullcontext())
        plain = P.indicator_chart(res.indicators)
    assert vars(ours.subplotpars) == vars(plain.subplotpars)
    assert np.array_equal(_pixels(P.figure_png(ours)), _pixels(P.figure_png(plain)))


def test_tight_box_larger_than_the_figure_is_kept_whole() -> None:
    """A legend far below the axes: the PNG still shows it, as savefig's tight box does."""

    def build() -> Figure:
        fig, ax = P._map_figure((3.0, 2.0))
        ax.plot([0, 1], [0, 1])
        ax.text(0.5, -1.5, "远在图外的说明 note far below", transform=ax.transAxes)
        return fig

    ours, plain = _pixels(P.figure_png(build())), _pixels(_savefig_png(build()))
    assert ours.shape == plain.shape
    assert ours.shape[0] > 2.0 * P.DPI * P.MAP_SCALE  # taller than the figure itself
    assert (np.abs(ours - plain).max(axis=2) > 0).mean() < 0.005


def test_text_cache_keys_size_and_font() -> None:
    """The same string at another size, or in another font, is measured on its own."""
    from matplotlib.font_manager import FontProperties

    P.register_cjk_font()
    r = C.CachingRenderer(100, 100, 96)
    small = r.get_text_width_height_descent("安岳县", FontProperties(size=7), False)
    large = r.get_text_width_height_descent("安岳县", FontProperties(size=14), False)
    noto = r.get_text_width_height_descent("Anyue", FontProperties(size=7), False)
    dejavu = r.get_text_width_height_descent(
        "Anyue", FontProperties(family="DejaVu Sans", size=7), False
    )
    assert large[0] > 1.8 * small[0]
    assert dejavu != noto
    # and each equals what matplotlib's renderer measures
    plain = FigureCanvasAgg(Figure(dpi=96)).get_renderer()
    assert small == plain.get_text_width_height_descent("安岳县", FontProperties(size=7), False)


def _labels_figure(canvas: type) -> Figure:
    """The same labels at many fractions of a pixel and whole pixels apart, some rotated."""
    fig = Figure(figsize=(4.0, 3.0), dpi=192)
    canvas(fig)
    rng = np.random.default_rng(3)
    for i, (x, y) in enumerate(rng.uniform(0.02, 0.9, size=(40, 2))):
        fig.text(
            x,
            y,
            "安岳县 村卫生室 104.5°E",
            fontsize=(6.5, 7, 8)[i % 3],
            rotation=(0, 90, 30)[i % 3],
        )
    for k in range(6):  # whole pixels apart: the same bitmaps, moved
        fig.text(0.1 + k / 192 / 4.0, 0.5 + 3 * k / 192 / 3.0, "中医馆 hall", fontsize=7)
    return fig


def test_cached_glyphs_are_matplotlibs_pixels() -> None:
    """Glyph bitmaps reused at other positions: the pixels of matplotlib's own renderer."""
    P.register_cjk_font()
    C.clear_text_caches()
    first = _pixels(P.figure_png(_labels_figure(C.Canvas)))
    hits, misses, _ = C.text_cache_info()["glyphs"]
    assert hits > 0 and misses > 0  # some glyphs at a fraction already drawn, others not
    again = _pixels(P.figure_png(_labels_figure(C.Canvas)))  # every glyph from the cache
    assert C.text_cache_info()["glyphs"][1] == misses
    fig = _labels_figure(FigureCanvasAgg)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, facecolor="white")
    plain = np.asarray(Image.open(buf).convert("RGB")).astype(int)
    assert np.array_equal(first, again)
    assert first.shape == plain.shape
    # (figure_png's palette of 256 colours: compare both through the same quantizer)
    buf.seek(0)
    quantized = _pixels(_quantized_png(Image.open(buf)))
    assert np.array_equal(first, quantized)


def _quantized_png(im: Image.Image) -> bytes:
    q = im.convert("RGB").quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    q.save(out, format="PNG")
    return out.getvalue()


def test_font_height_metrics_are_the_fonts_tables() -> None:
    """Ascent, descent and line gap as Text._get_layout reads them from the font itself."""
    from matplotlib import font_manager as fm

    P.register_cjk_font()
    r = C.CachingRenderer(100, 100, 192)
    for prop in (fm.FontProperties(size=7), fm.FontProperties(family="DejaVu Sans", size=11)):
        font = fm.get_font(fm.fontManager._find_fonts_by_props(prop))
        table = font.get_sfnt_table("OS/2")
        scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * 192 / 72
        expect = (
            table["sTypoAscender"] * scale,
            -table["sTypoDescender"] * scale,
            table["sTypoLineGap"] * scale,
        )
        assert r._get_font_height_metrics(prop) == expect
        assert r._get_font_height_metrics(prop) == expect  # (from the cache)


def test_font_files_follow_properties_and_rcparams() -> None:
    """The cached font lookup is matplotlib's, and a changed rcParam is a new lookup."""
    import matplotlib
    from matplotlib import font_manager as fm

    P.register_cjk_font()
    prop = fm.FontProperties(size=7)
    assert C.font_files(prop) == tuple(fm.fontManager._find_fonts_by_props(prop))
    assert C.font_files(prop)[0].path.endswith(P.FONT_FILE)
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        assert C.font_files(fm.FontProperties(size=7))[0].path.endswith("DejaVuSans.ttf")
    assert C.font_files(fm.FontProperties(size=7))[0].path.endswith(P.FONT_FILE)
    bold = fm.FontProperties(size=7, family="DejaVu Sans", weight="bold")
    assert C.font_files(bold)[0].path.endswith("DejaVuSans-Bold.ttf")


def test_layer_key_is_content_not_identity(res: RS.CountyResults, other: RS.CountyResults) -> None:
    a, b = res.county, other.county
    assert P._layer_key(a.boundary) == P._layer_key(a.boundary.copy())
    assert P._layer_key(a.boundary) != P._layer_key(b.boundary)
    assert P._layer_key(a.villages) != P._layer_key(b.villages)
    moved = a.boundary.copy()
    moved["geometry"] = shapely.transform(
        moved.geometry.values, lambda xy: xy + np.array([1e-6, 0.0])
    )
    assert P._layer_key(moved) != P._layer_key(a.boundary)
    assert P._layer_key(a.boundary.to_crs(3857)) != P._layer_key(a.boundary)


def _outline(fig: Figure) -> np.ndarray:
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_gid() == "boundary"]
    return np.asarray(line.get_xydata())


def test_two_counties_never_share_cached_geometry(
    res: RS.CountyResults, other: RS.CountyResults
) -> None:
    def draw(r: RS.CountyResults) -> Figure:
        c = r.county
        return P.value_map(c.villages, r.access.villages["access_per_1000"], boundary=c.boundary)

    P.clear_caches()
    first_a, first_b = _outline(draw(res)), _outline(draw(other))
    again_a, again_b = _outline(draw(res)), _outline(draw(other))  # from the cache
    assert not np.array_equal(first_a, first_b, equal_nan=True)
    assert np.array_equal(first_a, again_a, equal_nan=True)
    assert np.array_equal(first_b, again_b, equal_nan=True)
    # the cached coordinates are what a fresh projection gives
    c = res.county
    frame = P._Frame(c.boundary, c.villages)
    x, y = frame.xy(c.villages)
    P.clear_caches()
    fx, fy = P._Frame(c.boundary, c.villages).xy(c.villages)
    assert np.array_equal(x, fx) and np.array_equal(y, fy)
    assert not x.flags.writeable  # nobody can change what the cache hands out


def test_changed_boundary_is_drawn_changed(res: RS.CountyResults) -> None:
    c = res.county
    P.clear_caches()
    before = _outline(P.value_map(c.villages, np.ones(len(c.villages)), boundary=c.boundary))
    moved = c.boundary.copy()
    moved["geometry"] = moved.geometry.scale(1.2, 1.2, origin="centroid")
    after = _outline(P.value_map(c.villages, np.ones(len(c.villages)), boundary=moved))
    assert before.shape == after.shape
    assert np.nanmax(after[:, 0]) - np.nanmin(after[:, 0]) > 1.15 * (
        np.nanmax(before[:, 0]) - np.nanmin(before[:, 0])
    )


def test_importing_plotting_changes_no_matplotlib_setting() -> None:
    """No global side effect at import: the CJK font is registered when a figure is drawn."""
    code = (
        "import matplotlib\n"
        "from matplotlib import font_manager\n"
        "before = dict(matplotlib.rcParams)\n"
        "n = len(font_manager.fontManager.ttflist)\n"
        "from tcmcounty.reporting import plotting as P\n"
        "assert dict(matplotlib.rcParams) == before, 'rcParams changed at import'\n"
        "assert len(font_manager.fontManager.ttflist) == n, 'font added at import'\n"
        "P.indicator_chart(__import__('pandas').DataFrame())\n"
        "assert matplotlib.rcParams['font.sans-serif'][0] == P.FONT_NAME\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


def _draw_in_child(queue: object) -> None:
    info = C.text_cache_info()
    fig, ax = P._new((3.0, 2.0))
    ax.set_title("安岳县 中医馆 forked")
    queue.put((info, P.figure_png(fig)))  # type: ignore[attr-defined]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork()")
def test_forked_worker_starts_with_fresh_text_caches() -> None:
    """FreeType fonts must not cross fork(): a forked child never reuses the parent's layouts."""
    import multiprocessing

    fig, ax = P._new((3.0, 2.0))
    ax.set_title("安岳县 中医馆 forked")
    parent = P.figure_png(fig)
    assert C.text_cache_info()["layouts"][2] > 0
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_draw_in_child, args=(queue,))
    child.start()
    info, png = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert info == {"metrics": (0, 0, 0), "layouts": (0, 0, 0), "glyphs": (0, 0, 0)}
    assert png == parent
