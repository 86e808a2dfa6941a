"""Report integration: parameters, results (cached by the layer's hash), the view, one figure everywhere."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

import tcmcounty
from tcmcounty.cli import main
from tcmcounty.errors import ReportError
from tcmcounty.reporting import results as R
from tcmcounty.reporting.county_view import CountyView
from tcmcounty.reporting.parameters import ReportParameters
from tcmcounty.spatial.travel.synthetic import grid_roads


@pytest.fixture(scope="module")
def roads_file(tmp_path_factory):
    county = tcmcounty.load_county("wenxi", warn=False)
    path = tmp_path_factory.mktemp("roads") / "wenxi_grid.gpkg"
    layer = grid_roads(county, spacing_m=1000)
    layer.lines.rename(columns={"road_class": "fclass"}).to_file(path, engine="pyogrio")
    return path


@pytest.fixture(scope="module")
def results(roads_file):
    return R.compute_results("wenxi", roads=roads_file, mode="walk")


def test_parameters_check_travel_options(roads_file, tmp_path) -> None:
    p = ReportParameters.from_raw("wenxi", roads=str(roads_file), mode="motor")
    assert p.roads == str(roads_file.resolve()) and p.mode == "motor"
    tp = p.template_parameters()
    assert tp["roads"] == p.roads and tp["mode"] == "motor"
    assert ReportParameters.from_template("wenxi", tp) == p
    plain = ReportParameters.from_raw("wenxi")
    assert "roads" not in plain.template_parameters() and plain.results_args().keys() == {
        "population",
        "thresholds_km",
        "targets",
        "cache_dir",
    }
    with pytest.raises(ReportError, match="parameter 'roads': no file"):
        ReportParameters.from_raw("wenxi", roads=str(tmp_path / "none.gpkg"))
    with pytest.raises(ReportError, match="walk"):
        ReportParameters.from_raw("wenxi", roads=str(roads_file), mode="bike")
    with pytest.raises(ReportError, match="not both"):
        ReportParameters.from_raw("wenxi", roads=str(roads_file), friction=str(roads_file))


@pytest.mark.slow  # computes whole county results (several seconds)
def test_results_hold_travel_coverage_keyed_by_the_layer(results, roads_file, tmp_path) -> None:
    assert results.travel is not None and "travel" not in results.unavailable
    cov = results.travel.coverage["any_tcm"]
    assert [t.label for t in cov.thresholds] == ["15min", "30min", "60min"]
    shares = cov.table("county").iloc[0]
    assert 0 < shares["covered_share_15min"] <= shares["covered_share_30min"] <= 1
    straight = R.compute_results("wenxi")
    assert straight.travel is None and straight.key != results.key
    # A different layer is a different cache key.
    other = tmp_path / "other.gpkg"
    county = tcmcounty.load_county("wenxi", warn=False)
    grid_roads(county, spacing_m=2000).lines.to_file(other, engine="pyogrio")
    k1 = R.results_key("x", travel=R.travel_key({"roads": str(roads_file), "mode": "walk"}))
    k2 = R.results_key("x", travel=R.travel_key({"roads": str(other), "mode": "walk"}))
    k3 = R.results_key("x", travel=R.travel_key({"roads": str(roads_file), "mode": "motor"}))
    assert len({k1, k2, k3, R.results_key("x")}) == 4
    # Cached and read back with the same parameters.
    cache = tmp_path / "cache"
    a = R.load_results("wenxi", cache_dir=cache, roads=roads_file)
    b = R.load_results("wenxi", cache_dir=cache, roads=roads_file)
    assert b.key == a.key and b.travel is not None
    pd.testing.assert_frame_equal(
        a.travel.coverage["any_tcm"].table("county"), b.travel.coverage["any_tcm"].table("county")
    )


@pytest.mark.slow  # computes whole county results (several seconds)
def test_view_shows_model_bands_and_uncovered_villages(results) -> None:
    params = ReportParameters.from_raw("wenxi", language="zh")
    html = CountyView(params, results=results).maps()
    assert "出行时间：路网，步行" in html and "wenxi_grid.gpkg" in html
    # the detour band and its two papers, cited from the bibliography by number
    assert "绕行系数敏感性区间 1.2–1.5" in html
    assert len(re.findall(r"<a class='tcm-ref' href='#ref-\d+'>\[\d+\]</a>", html)) >= 2
    assert "Map of travel-time bands" in html  # the band map is drawn
    n15 = len(results.travel.uncovered(15))
    assert f"15分钟内无中医药服务的村：{n15} 个" in html
    straight = CountyView(params, results=R.compute_results("wenxi")).maps()
    assert "绕行系数敏感性区间" in straight and "出行时间" not in straight


@pytest.mark.slow  # computes whole county results (several seconds)
def test_report_and_cli_show_the_same_travel_figure(results, roads_file, capsys) -> None:
    rc = main(
        [
            "coverage",
            "wenxi",
            "--roads",
            str(roads_file),
            "--by",
            "county",
            "--level",
            "any_tcm",
            "--format",
            "csv",
            "--no-bom",
        ]
    )
    assert rc == 0
    cli = pd.read_csv(io.StringIO(capsys.readouterr().out))
    rep = results.travel.coverage["any_tcm"].table("county")
    for t in ("15min", "30min", "60min"):
        assert cli[f"covered_share_{t}"].iloc[0] == pytest.approx(rep[f"covered_share_{t}"].iloc[0])


def test_report_cli_accepts_travel_options() -> None:
    from tcmcounty.cli import build_parser

    args = build_parser().parse_args(["report", "wenxi", "--roads", "r.gpkg", "--mode", "motor"])
    assert (args.roads, args.mode, args.friction) == ("r.gpkg", "motor", None)
    args = build_parser().parse_args(["batch", "data/counties", "--friction", "f.tif"])
    assert args.friction == "f.tif"
