"""County pipeline: synthetic road grids inside the real outlines of 安岳 and 闻喜 → the analyses."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pandas as pd
import pytest

import tcmcounty
from tcmcounty.cli import main
from tcmcounty.spatial.access import spatial_access
from tcmcounty.spatial.coverage import cumulative_coverage, travel_time_costs
from tcmcounty.spatial.pairs import county_crs, metric_xy
from tcmcounty.spatial.plan import plan_sites
from tcmcounty.spatial.travel.county import road_travel_times
from tcmcounty.spatial.travel.synthetic import grid_roads


@pytest.fixture(autouse=True)
def _no_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TCMCOUNTY_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def wenxi():
    return tcmcounty.load_county("wenxi", warn=False)


@pytest.fixture(scope="module")
def wenxi_roads(wenxi):
    return grid_roads(wenxi, spacing_m=1000, oneway_every=3)


@pytest.fixture(scope="module")
def wenxi_walk(wenxi, wenxi_roads):
    return road_travel_times(wenxi, wenxi_roads, mode="walk", cutoff=60)


def test_grid_lies_inside_the_real_outline(wenxi, wenxi_roads) -> None:
    outline = wenxi.boundary.to_crs(wenxi_roads.lines.crs).union_all()
    inside = wenxi_roads.lines.geometry.within(outline.buffer(1.0))
    assert inside.all() and len(wenxi_roads) > 50
    assert "not real roads" in wenxi_roads.source


@pytest.mark.parametrize("name", ["anyue", "wenxi"])
def test_network_times_respect_the_straight_line_bound(name: str) -> None:
    county = tcmcounty.load_county(name, warn=False)
    tt = road_travel_times(county, grid_roads(county, spacing_m=1500), mode="motor", cutoff=45)
    t = tt.table
    assert list(t.columns) == ["demand_id", "supply_id", "minutes"] and len(t) > 1000
    assert t["minutes"].max() <= 45 and (t["minutes"] >= 0).all()
    crs = county_crs(county.villages)
    v = pd.Series(range(len(county.villages)), index=county.villages["code"].astype(str))
    f = pd.Series(range(len(county.facilities)), index=county.facilities["id"].astype(str))
    vxy, fxy = metric_xy(county.villages, crs), metric_xy(county.facilities, crs)
    d = np.hypot(*(vxy[v[t["demand_id"]].to_numpy()] - fxy[f[t["supply_id"]].to_numpy()]).T)
    # No road is faster than 40 km/h (secondary) in the grid: time >= straight line / 40 km/h.
    assert (t["minutes"].to_numpy() + 1e-6 >= d / 1000 / 40 * 60).all()
    # A Manhattan grid is longer than the straight line for most pairs.
    ratio = (t["minutes"].to_numpy() / 60 * 40 * 1000) / np.maximum(d, 1)
    assert np.median(ratio[d > 3000]) > 1.1
    assert tt.villages["snapped"].all()  # every village is within 1 km of the 1.5 km grid


def test_the_table_is_exactly_what_travel_times_accept(wenxi, wenxi_walk, tmp_path) -> None:
    costs = wenxi_walk.costs(wenxi)
    csv = tmp_path / "tt.csv"
    wenxi_walk.table.to_csv(csv, index=False)
    from_csv = travel_time_costs(csv, wenxi.villages, wenxi.facilities)
    np.testing.assert_array_equal(costs.row, from_csv.row)
    np.testing.assert_allclose(costs.cost, from_csv.cost)
    a = cumulative_coverage(wenxi, thresholds="15min,30min", costs=costs).table("county")
    b = cumulative_coverage(wenxi, thresholds="15min,30min", costs=from_csv).table("county")
    pd.testing.assert_frame_equal(a, b)
    acc = spatial_access(wenxi, radius="30min", travel_times=wenxi_walk.table)
    acc_csv = spatial_access(wenxi, radius="30min", travel_times=csv)
    pd.testing.assert_frame_equal(acc.table("county"), acc_csv.table("county"))
    plan = plan_sites(
        wenxi, sites=3, radius="15min", travel_times=wenxi_walk.table, compare_optimal=False
    )
    assert plan.unit == "min" and plan.n_chosen == 3
    assert "travel-time table" in plan.method


def test_motor_is_faster_than_walking_and_flags_far_villages(wenxi, wenxi_roads) -> None:
    village = wenxi.villages.copy()
    # Move one village 30 km east of the county: beyond the max snap distance.
    village.loc[0, "geometry"] = village.geometry.iloc[0].__class__(
        village.geometry.iloc[0].x + 0.35, village.geometry.iloc[0].y
    )
    far = dataclasses.replace(wenxi, villages=village)
    walk = road_travel_times(far, wenxi_roads, mode="walk", cutoff=30)
    motor = road_travel_times(far, wenxi_roads, mode="motor", cutoff=30)
    assert len(motor.table) > 3 * len(walk.table)
    flagged = walk.flagged()
    assert flagged["id"].tolist() == [str(village["code"].iloc[0])]
    assert "beyond max snap 1000 m" in flagged["flag"].iloc[0]
    assert str(village["code"].iloc[0]) not in set(walk.table["demand_id"])
    assert any("1 without a travel time" in n for n in walk.model.notes)


def _write_roads(layer, path):
    layer.lines.rename(columns={"road_class": "fclass"}).to_file(path, engine="pyogrio")
    return path


def test_cli_coverage_by_village_prints_minutes(wenxi_roads, tmp_path, capsys) -> None:
    roads = _write_roads(wenxi_roads, tmp_path / "roads.gpkg")
    rc = main(["coverage", "wenxi", "--roads", str(roads), "--mode", "walk", "--by", "village"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "pavilion_min" in out and "hall_min" in out and "covered_pavilion_30min" in out
    assert "distance model: road network, walking" in out and "snapped to a road" in out
    rc = main(["coverage", "wenxi", "--roads", str(roads), "--mode", "motor", "--by", "county"])
    out = capsys.readouterr().out
    assert rc == 0 and "covered_share_15min" in out and "motorised" in out


def test_cli_access_and_plan_accept_roads(wenxi_roads, tmp_path, capsys) -> None:
    roads = _write_roads(wenxi_roads, tmp_path / "roads.gpkg")
    assert main(["access", "wenxi", "--roads", str(roads), "--by", "county"]) == 0
    out = capsys.readouterr().out
    assert "within 30min" in out and "road network" in out
    plan = ["plan", "wenxi", "--sites", "2", "--no-compare-optimal", "--roads", str(roads)]
    assert main([*plan, "--mode", "motor"]) == 0
    out = capsys.readouterr().out
    assert "road network, motorised" in out


def test_cli_bad_road_inputs_name_the_file(tmp_path, capsys) -> None:
    assert main(["coverage", "wenxi", "--roads", str(tmp_path / "none.gpkg")]) == 2
    assert "none.gpkg: road layer not found" in capsys.readouterr().err
    import geopandas as gpd
    import shapely

    gpd.GeoDataFrame(
        {"name": ["x"]}, geometry=[shapely.LineString([(111.2, 35.3), (111.3, 35.3)])], crs=4326
    ).to_file(tmp_path / "noclass.gpkg", engine="pyogrio")
    assert main(["coverage", "wenxi", "--roads", str(tmp_path / "noclass.gpkg")]) == 2
    err = capsys.readouterr().err
    assert "noclass.gpkg: no road-class column" in err and "['name']" in err
    assert main(["coverage", "wenxi", "--roads", "x.gpkg", "--travel-times", "t.csv"]) == 2
    assert "not both" in capsys.readouterr().err


def test_cli_friction_prints_minutes(wenxi, tmp_path, capsys) -> None:
    rasterio = pytest.importorskip("rasterio")
    pytest.importorskip("skimage")
    from affine import Affine

    minx, miny, maxx, maxy = wenxi.boundary.total_bounds
    w, h = 120, 100
    tr = Affine((maxx - minx) / w, 0, minx, 0, -(maxy - miny) / h, maxy)
    speed = np.full((h, w), 5.0, dtype="float32")
    with rasterio.open(
        tmp_path / "f.tif",
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=tr,
    ) as dst:
        dst.write(speed, 1)
    rc = main(
        [
            "coverage",
            "wenxi",
            "--friction",
            str(tmp_path / "f.tif"),
            "--friction-units",
            "kmh",
            "--by",
            "village",
            "--format",
            "csv",
        ]
    )
    cap = capsys.readouterr()
    assert rc == 0 and "pavilion_min" in cap.out.splitlines()[0]
    assert "distance model: friction surface" in cap.err


def test_cli_uncovered_lists_why_villages_have_no_time(wenxi_roads, tmp_path, capsys) -> None:
    roads = _write_roads(wenxi_roads, tmp_path / "roads.gpkg")
    args = ["coverage", "wenxi", "--roads", str(roads), "--max-snap", "60", "--uncovered"]
    assert main([*args, "--format", "csv", "--no-bom"]) == 0
    cap = capsys.readouterr()
    df = pd.read_csv(io.StringIO(cap.out))
    far = df["flag"].fillna("").str.startswith("beyond max snap 60 m")
    assert far.sum() > 10 and df.loc[far, "snap_m"].isna().all()
    assert "without a travel time" in cap.err


def test_a_road_layer_of_another_county_says_so(wenxi_roads, tmp_path) -> None:
    from tcmcounty.spatial.travel._errors import TravelInputError

    roads = _write_roads(wenxi_roads, tmp_path / "wenxi.gpkg")
    anyue = tcmcounty.load_county("anyue", warn=False)
    with pytest.raises(TravelInputError, match="no road lines in the area read"):
        road_travel_times(anyue, roads)
