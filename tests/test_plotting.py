"""Charts and maps: Chinese renders with the bundled font, no missing-glyph warnings."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from test_report_support import make_tiny_bundle

from tcmcounty.reporting import plotting as P
from tcmcounty.reporting import results as RS

CHINESE = "安岳县 闻喜县 中医阁 中医馆 村卫生室 乡镇卫生院 覆盖率（公里）≥ 10% — 医共体"


@pytest.fixture(scope="module")
def res(tmp_path_factory: pytest.TempPathFactory) -> RS.CountyResults:
    return RS.load_results(make_tiny_bundle(tmp_path_factory.mktemp("in")))


def _draw_all(res: RS.CountyResults) -> list[bytes]:
    c = res.county
    d = res.nearest["any_tcm_km"]
    sites = RS.plan_sites_points(res)
    if sites is None:
        sites = c.villages.iloc[:2][["geometry"]].assign(rank=[1, 2])
    shares = RS.facility_shares(c).set_index("township")[
        ["hall_share", "tcm_clinic_share", "pavilion_share"]
    ]
    figs = [
        P.indicator_chart(res.indicators),
        P.coverage_chart(
            shares, series_labels={"hall_share": ("卫生院有中医馆", "THC with 中医馆")}
        ),
        P.ecdf_chart(
            {"小测县": d, "对照县": d * 1.5},
            thresholds=[1, 5],
            weights={"小测县": c.villages["population"]},
        ),
        P.county_map(
            c.villages,
            d,
            boundary=c.boundary,
            townships=c.townships,
            facilities=c.facilities,
            uncovered=(d > 2).to_numpy(),
        ),
        P.value_map(
            c.villages,
            res.access.villages["access_per_1000"],
            boundary=c.boundary,
            facilities=c.facilities,
        ),
        P.sites_map(
            c.villages,
            sites,
            boundary=c.boundary,
            facilities=c.facilities,
            covered_before=(d <= 2).to_numpy(),
        ),
    ]
    fig = Figure()
    fig.subplots().set_title(CHINESE)
    figs.append(fig)
    return [P.figure_png(f) for f in figs]


def test_cjk_font_is_registered() -> None:
    assert P.font_path() is not None and P.font_path().name == "NotoSansCJKsc-Regular.otf"
    assert P.register_cjk_font() == P.FONT_NAME
    assert matplotlib.rcParams["font.sans-serif"][0] == P.FONT_NAME
    assert "CJK" in P.FONT_NAME


def test_no_missing_glyph_warnings(res: RS.CountyResults) -> None:
    """Every chart and map with Chinese labels draws with warnings turned into errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lang in ("zh-en", "zh", "en"):
            pngs = (
                _draw_all(res)
                if lang == "zh-en"
                else [P.figure_png(P.indicator_chart(res.indicators, lang=lang))]
            )
            assert all(p.startswith(b"\x89PNG") for p in pngs)


def test_missing_glyph_check_is_sensitive() -> None:
    """Control: with a Latin-only font the same label does warn (so the test above means something)."""
    with matplotlib.rc_context(
        {"font.family": ["DejaVu Sans"], "font.sans-serif": ["DejaVu Sans"]}
    ):
        fig = Figure()
        fig.subplots().set_title(CHINESE)
        with pytest.warns(UserWarning, match="missing from font"):
            P.figure_png(fig)


def test_pngs_are_deterministic_and_small(res: RS.CountyResults) -> None:
    a, b = _draw_all(res), _draw_all(res)
    assert a == b
    assert max(len(x) for x in a) < 400_000


def test_figure_png_palette_is_valid(tmp_path: Path) -> None:
    from PIL import Image

    fig = Figure()
    fig.subplots().plot([0, 1], [0, 1])
    p = tmp_path / "x.png"
    p.write_bytes(P.figure_png(fig))
    with Image.open(p) as im:
        assert im.mode == "P"


def test_palette_png_is_the_quantized_full_colour_png(res: RS.CountyResults) -> None:
    """The palette PNG (read from the canvas row by row) holds the full-colour PNG's pixels
    reduced to 256 colours: the same crop, the same colours (a cropped map and a chart)."""
    from PIL import Image

    c = res.county
    for build in (
        lambda: P.value_map(
            c.villages, res.access.villages["access_per_1000"], boundary=c.boundary
        ),
        lambda: P.indicator_chart(res.indicators),
    ):
        with Image.open(io.BytesIO(P.figure_png(build(), palette=False))) as im:
            assert im.mode == "RGBA"
            expect = im.convert("RGB").quantize(
                colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
            )
        with Image.open(io.BytesIO(P.figure_png(build()))) as im:
            assert im.mode == "P"
            assert im.size == expect.size
            assert np.array_equal(np.asarray(im.convert("RGB")), np.asarray(expect.convert("RGB")))


def test_label() -> None:
    assert P.label("床位", "beds") == "床位 beds"
    assert P.label("床位", "beds", "zh") == "床位"
    assert P.label("", "beds", "zh") == "beds"
    with pytest.raises(ValueError, match="lang"):
        P.label("a", "b", "fr")


def test_facility_category() -> None:
    f = pd.DataFrame(
        {
            "type": [
                "county_tcm_hospital",
                "township_health_centre",
                "township_health_centre",
                "village_clinic",
                "village_clinic",
                "village_clinic",
                "tcm_clinic",
                "other",
            ],
            "has_tcm_hall": [False, True, False, False, False, False, False, False],
            "has_tcm_pavilion": [False, False, False, True, False, False, False, False],
            "provides_tcm": [True, True, True, True, True, pd.NA, True, False],
        }
    )
    assert list(P.facility_category(f)) == [
        "county_tcm_hospital",
        "hall",
        "centre",
        "pavilion",
        "clinic_tcm",
        "clinic",
        "tcm_clinic",
        "other",
    ]


def test_ecdf_handles_missing_distances() -> None:
    d = np.array([1.0, np.nan, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P.figure_png(P.ecdf_chart({"县": d}, thresholds=[2]))


# ---------------------------------------------------------------------------------------------
# Maps a planner can read


def _map(res: RS.CountyResults, **kw: object) -> Figure:
    c = res.county
    d = res.nearest["any_tcm_km"]
    return P.county_map(
        c.villages,
        d,
        boundary=c.boundary,
        townships=c.townships,
        facilities=c.facilities,
        uncovered=(d > 2).to_numpy(),
        threshold_km=2.0,
        **kw,  # type: ignore[arg-type]
    )


def _boxes(fig: Figure, gid: str) -> list[object]:
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    return [t.get_window_extent(r) for t in fig.axes[0].texts if t.get_gid() == gid]


def test_place_labels_do_not_overlap() -> None:
    """Sixty names crowded into a small area: the labels drawn never overlap, some are left out."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    rng = np.random.default_rng(3)
    fig = Figure(figsize=(4, 4), dpi=192)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    x, y = rng.uniform(0, 10, 60), rng.uniform(0, 10, 60)
    ax.scatter(x, y)
    ax.set_xlim(-1, 11)
    ax.set_ylim(-1, 11)
    drawn = P.place_labels(ax, x, y, [f"乡镇{i}号" for i in range(60)], priority=-np.arange(60))
    assert 10 < len(drawn) < 60
    boxes = _boxes(fig, "township-label")
    assert len(boxes) == len(drawn)
    for i, a in enumerate(boxes):
        assert ax.get_window_extent().contains(a.x0, a.y0)
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), "two labels overlap"
    # the highest priority label is always drawn
    assert drawn[0].get_text() == "乡镇0号"


def test_county_map_labels_do_not_overlap(res: RS.CountyResults) -> None:
    fig = _map(res)
    boxes = _boxes(fig, "township-label")
    assert boxes, "no township label drawn"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_map_axes_show_degrees_not_metres(res: RS.CountyResults) -> None:
    for fig in (
        _map(res),
        P.value_map(
            res.county.villages,
            res.access.villages["access_per_1000"],
            boundary=res.county.boundary,
            target=0.62,
        ),
    ):
        fig.canvas.draw()
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        assert labels and all("°" in t for t in labels if t), labels
        assert "km" not in ax.get_xlabel() + ax.get_ylabel()
        assert "公里" not in ax.get_xlabel() + ax.get_ylabel()


def test_villages_drawn_above_facilities(res: RS.CountyResults) -> None:
    c = res.county
    sites = c.villages.iloc[:2][["geometry"]].assign(rank=[1, 2])
    d = res.nearest["any_tcm_km"]
    figs = [
        _map(res),
        P.value_map(c.villages, d, boundary=c.boundary, facilities=c.facilities),
        P.sites_map(c.villages, sites, facilities=c.facilities, covered_before=(d <= 2).to_numpy()),
    ]
    for fig in figs:
        ax = fig.axes[0]
        z = {}
        for coll in ax.collections:
            gid = str(coll.get_gid() or "")
            z.setdefault(gid.split("-")[0], []).append(coll.get_zorder())
        assert z.get("village") and z.get("facility"), z.keys()
        assert min(z["village"]) > max(z["facility"])


def test_map_png_is_2x_and_records_its_dpi(res: RS.CountyResults) -> None:
    from PIL import Image

    from tcmcounty.reporting.sections import img_html, png_css_size

    png = P.figure_png(_map(res, figsize=(8.0, 7.5)))
    with Image.open(io.BytesIO(png)) as im:
        assert im.info["dpi"][0] == pytest.approx(P.DPI * P.MAP_SCALE, abs=0.1)
        w, h = im.size
    assert w > 8.0 * P.DPI * 1.5  # rasterised at 2x (a tight box trims a little)
    assert len(png) < 600_000
    cw, ch = png_css_size(png)
    assert abs(cw - w / 2) <= 1 and abs(ch - h / 2) <= 1
    assert f"width='{cw}' height='{ch}'" in img_html(png, "map")
    chart = P.figure_png(P.indicator_chart(res.indicators))
    with Image.open(io.BytesIO(chart)) as im:
        assert png_css_size(chart) == im.size  # charts stay at 1x


def test_colour_scales_centred_on_target(res: RS.CountyResults) -> None:
    from tcmcounty.reporting.sections import heat_colour

    fig = _map(res)
    v = next(c for c in fig.axes[0].collections if c.get_gid() == "village")
    norm = v.norm
    assert norm.vcenter == 2.0 and norm(2.0) == pytest.approx(0.5)
    near, far = v.cmap(norm(1.9)), v.cmap(norm(2.1))
    assert near[1] > near[0] and far[0] > far[1]  # green within the threshold, red beyond

    # the township table: 15% of clinics with a 中医阁 meets the 10% target -> green, 5% red
    def rgb(c: str) -> tuple[int, ...]:
        return tuple(int(c[i : i + 2], 16) for i in (1, 3, 5))

    r, g, _ = rgb(heat_colour(0.15, 0.10))
    assert g > r
    r, g, _ = rgb(heat_colour(0.05, 0.10))
    assert r > g
    r, g, _ = rgb(heat_colour(0.95, 1.0))  # 95% against a 100% target does not meet it
    assert r > g
    r, g, b = rgb(heat_colour(0.5))  # no target: neutral (blue), no verdict
    assert b >= r and b >= g
