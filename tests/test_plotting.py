"""Charts and maps: Chinese renders with the bundled font, no missing-glyph warnings."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from test_report_support import make_tiny_bundle

from tcmcounty import plotting as P
from tcmcounty import results as RS

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
