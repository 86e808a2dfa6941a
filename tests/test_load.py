from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ANYUE, TINY_FILES, WENXI, write_bundle

import tcmcounty
from tcmcounty.errors import CountyNotFoundError, InputError


def test_tiny_bundle_loads_in_input_order(tiny_bundle: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        county = tcmcounty.load_county(tiny_bundle)
    assert county.name_zh == "测试县"
    assert list(county.villages["code"]) == [
        "410101001001",
        "410101001201",
        "410101100201",
        "410101100202",
    ]
    assert list(county.facilities["id"]) == [f"F{i}" for i in range(1, 8)]
    assert county.villages.crs.to_epsg() == 4326
    # The clinic without coordinates sits at its village's point, and the user is told.
    f7 = county.facilities.set_index("id").loc["F7"]
    assert (f7["lon"], f7["lat"]) == (113.69, 34.70)
    assert any("village's point" in str(w.message) for w in caught)
    assert county.alliances.loc[0, "member_ids"] == ["F1", "F2", "F4", "F5"]


def test_missing_figure_is_missing_and_estimate_kept_apart(tiny_bundle: Path) -> None:
    county = tcmcounty.load_county(tiny_bundle, warn=False)
    phys = county.resources["physicians"]
    assert phys.official is None
    assert (
        phys.estimate is not None
        and phys.estimate.value == 34
        and phys.estimate.status == "estimated"
    )
    assert county.figure("physicians", allow_estimate=False) is None
    assert county.figure("public_health_staff") is None  # not given, not in the roster
    nurses = county.resources["nurses"]  # not given; every facility reports it: the roster's sum
    assert nurses.official is None and nurses.estimate is None
    assert nurses.derived is not None and nurses.derived.derived == "roster"
    assert county.figure("nurses") == nurses.derived and county.figure("nurses").value == 26
    assert county.figure("beds").value == 60 and county.figure("beds").status == "official"
    assert county.figure("registered").value == 12000
    with pytest.raises(KeyError, match="unknown figure"):
        county.figure("doctors")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_load_the_same(tmp_path: Path, encoding: str) -> None:
    ref = tcmcounty.load_county(write_bundle(tmp_path / "ref"), warn=False)
    other = tcmcounty.load_county(write_bundle(tmp_path / encoding, encoding=encoding), warn=False)
    raw = (tmp_path / encoding / "villages.csv").read_bytes()
    if encoding != "utf-8-sig":
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
    pd.testing.assert_frame_equal(ref.villages, other.villages)
    pd.testing.assert_frame_equal(ref.facilities, other.facilities)


def test_chinese_headers_and_reordered_columns(tmp_path: Path) -> None:
    lines = TINY_FILES["townships.csv"].splitlines()
    zh = "乡镇代码,乡镇名称,类型,经度,纬度,位置状态,人口,人口年份,人口状态,来源"
    rows = [r.split(",") for r in [zh, *lines[1:]]]
    order = [1, 0, *range(2, 10)][::-1]
    text = "\n".join(",".join(r[i] for i in order) for r in rows) + "\n"
    county = tcmcounty.load_county(
        write_bundle(tmp_path / "zh", {"townships.csv": text}), warn=False
    )
    assert list(county.townships["code"]) == ["410101001", "410101100"]
    assert list(county.townships["population"]) == [6000, 4000]


def test_gcj02_declared_file_is_converted(tmp_path: Path) -> None:
    from tcmcounty.crs import wgs84_to_gcj02

    glon, glat = wgs84_to_gcj02([113.60, 113.70], [34.70, 34.70])
    text = (
        TINY_FILES["townships.csv"]
        .replace("113.60,34.70", f"{float(glon[0])!r},{float(glat[0])!r}")
        .replace("113.70,34.70", f"{float(glon[1])!r},{float(glat[1])!r}")
    )
    toml = TINY_FILES["county.toml"].replace('townships = "EPSG:4326"', 'townships = "GCJ-02"')
    county = tcmcounty.load_county(
        write_bundle(tmp_path / "g", {"townships.csv": text, "county.toml": toml}), warn=False
    )
    np.testing.assert_allclose(county.townships["lon"], [113.60, 113.70], atol=1e-9)
    np.testing.assert_allclose(county.townships["lat"], [34.70, 34.70], atol=1e-9)
    assert county.coordinates["townships"] == "GCJ-02"


def _fill_template(template: Path, county: tcmcounty.County, out: Path) -> None:
    """Fill the empty template as a planner would: by the Chinese header of each column."""
    from openpyxl import load_workbook

    from tcmcounty.inputs.workbook import _fmt
    from tcmcounty.schema import TABLES

    wb = load_workbook(template)
    frames = {
        "townships": county.townships,
        "villages": county.villages,
        "facilities": county.facilities,
        "alliances": county.alliances,
        "sources": county.sources,
    }
    for name, df in frames.items():
        table = TABLES[name]
        ws = wb[table.sheet]
        headers = [c.value for c in ws[1]]
        by_zh = {c.zh: c.name for c in table.columns}
        for r, (_, rec) in enumerate(df.iterrows(), start=2):
            for c, h in enumerate(headers, start=1):
                ws.cell(r, c, _fmt(rec.get(by_zh[h])))
    cs = wb["县基本情况"]
    labels = {row[0].value: row[0].row for row in cs.iter_rows(min_row=2)}
    for label, value in (
        ("县代码", county.adcode),
        ("县名称", county.name_zh),
        ("英文名称", county.name_en),
        ("省份", county.province),
        ("地市", county.city),
        ("基准年份", county.reference_year),
    ):
        cs.cell(labels[label], 2, value)
    for key, label in (("resident", "常住人口"), ("registered", "户籍人口")):
        fig = county.population[key].official
        if fig is not None:
            for c, v in enumerate((int(fig.value), fig.year, fig.source, fig.status), start=2):
                cs.cell(labels[label], c, v)
    for key, label in (("beds", "床位数"), ("physicians", "执业（助理）医师数")):
        e = county.resources[key]
        if e.official is not None:
            for c, v in enumerate(
                (int(e.official.value), e.official.year, e.official.source, "official"), start=2
            ):
                cs.cell(labels[label], c, v)
        if e.estimate is not None:
            cs.cell(labels[label], 3, e.estimate.year)
            cs.cell(labels[label], 4, e.estimate.source)
            cs.cell(labels[label], 6, int(e.estimate.value))
            cs.cell(labels[label], 7, e.estimate.method)
    wb.save(out)


def test_excel_round_trip_template_filled_loaded_equals_csv(
    tiny_bundle: Path, tmp_path: Path
) -> None:
    from tcmcounty.cli import main

    csv_county = tcmcounty.load_county(tiny_bundle, warn=False)
    template = tmp_path / "模板.xlsx"
    assert main(["template", str(template)]) == 0
    filled = tmp_path / "测试县.xlsx"
    _fill_template(template, csv_county, filled)
    xl = tcmcounty.load_county(filled, warn=False)
    for name in ("townships", "villages", "facilities", "alliances", "sources"):
        pd.testing.assert_frame_equal(
            getattr(csv_county, name), getattr(xl, name), check_dtype=False
        )
    for key in ("resident", "registered"):
        assert xl.population[key] == csv_county.population[key]
    assert xl.resources["beds"].official == csv_county.resources["beds"].official
    assert xl.resources["physicians"].estimate.value == 34
    assert xl.resources["physicians"].estimate.status == "estimated"
    assert xl.resources["physicians"].official is None


def test_export_then_load_equals_bundle(tiny_bundle: Path, tmp_path: Path) -> None:
    from tcmcounty.inputs.workbook import write_workbook

    a = tcmcounty.load_county(tiny_bundle, warn=False)
    b = tcmcounty.load_county(write_workbook(tmp_path / "x.xlsx", a), warn=False)
    for name in ("townships", "villages", "facilities", "alliances", "sources"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_dtype=False)
    assert a.population == b.population
    assert a.resources["physicians"].estimate == b.resources["physicians"].estimate


def test_unknown_county_name_lists_bundled() -> None:
    with pytest.raises(CountyNotFoundError, match="no county bundle"):
        tcmcounty.load_county("no-such-county-xyz")


def test_load_raises_input_error_with_all_problems(tmp_path: Path) -> None:
    bad = (
        TINY_FILES["villages.csv"].replace("410101100,村", "410101999,村").replace(",3000,", ",-3,")
    )
    with pytest.raises(InputError) as info:
        tcmcounty.load_county(write_bundle(tmp_path / "b", {"villages.csv": bad}))
    cols = {p.column for p in info.value.errors}
    assert {"township_code", "population"} <= cols


# --- the two bundled anchor counties -------------------------------------------------------

needs_bundles = pytest.mark.skipif(
    not ANYUE.is_dir() or not WENXI.is_dir(), reason="bundles not built"
)


@needs_bundles
@pytest.mark.parametrize(
    ("path", "name", "n_town", "n_vill", "n_cun", "pop"),
    [
        (ANYUE, "安岳县", 46, 553, 443, 950_939),
        (WENXI, "闻喜县", 13, 201, 184, 355_269),
    ],
)
def test_bundled_counties_real_counts(
    path: Path, name: str, n_town: int, n_vill: int, n_cun: int, pop: int
) -> None:
    county = tcmcounty.load_county(path, warn=False)
    assert county.name_zh == name
    assert len(county.townships) == n_town
    assert len(county.villages) == n_vill
    assert (county.villages["kind"] == "村").sum() == n_cun
    resident = county.population["resident"].official
    assert (
        resident is not None
        and resident.value == pop
        and resident.status == "official"
        and resident.year == 2020
    )
    assert county.villages["code"].str[:9].isin(set(county.townships["code"])).all()
    # Health-resource totals were not found in open sources: official missing, estimate labelled.
    for key in ("beds", "physicians", "nurses"):
        entry = county.resources[key]
        assert entry.official is None
        assert entry.estimate is not None and entry.estimate.status == "estimated"
    # Every village point lies inside (or within 2 km of) the real boundary.
    assert county.boundary is not None
    from tcmcounty.spatial.pairs import county_crs

    crs = county_crs(county.boundary)
    poly = county.boundary.to_crs(crs).union_all()
    assert county.villages.to_crs(crs).distance(poly).max() <= 2000
    assert set(county.villages["location_status"]) <= {"estimated", "synthetic"}
    ids = set(county.sources["id"])
    assert all(set(str(s).split(";")) <= ids for s in county.villages["source"].dropna())


@needs_bundles
def test_bundled_counties_found_by_name() -> None:
    assert tcmcounty.load_county("anyue", warn=False).adcode == "512021"
    assert tcmcounty.load_county("闻喜县", warn=False).adcode == "140823"
    assert tcmcounty.load_county("512021", warn=False).name_zh == "安岳县"
    table = tcmcounty.list_counties()
    assert {"512021", "140823"} <= set(table["adcode"])


@needs_bundles
def test_bundled_excel_round_trip(tmp_path: Path) -> None:
    from tcmcounty.inputs.workbook import write_workbook

    a = tcmcounty.load_county(ANYUE, warn=False)
    b = tcmcounty.load_county(write_workbook(tmp_path / "安岳县.xlsx", a), warn=False)
    for name in ("townships", "villages", "facilities", "alliances"):
        # Excel keeps 15 significant digits: coordinates converted from GCJ-02 differ by < 1e-12 degrees.
        left = pd.DataFrame(getattr(a, name)).drop(columns="geometry", errors="ignore")
        right = pd.DataFrame(getattr(b, name)).drop(columns="geometry", errors="ignore")
        pd.testing.assert_frame_equal(left, right, check_dtype=False, check_exact=False, rtol=1e-12)
    assert a.population["resident"] == b.population["resident"]


@needs_bundles
def test_validate_cli_on_bundles(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tcmcounty.cli import main

    for path in (ANYUE, WENXI):
        copy = shutil.copytree(path, tmp_path / path.name)
        assert main(["validate", str(copy)]) == 0
        out = capsys.readouterr().out
        assert "valid / 校验通过" in out and "estimated" in out


def test_points_outside_the_boundary_are_measured_as_before() -> None:
    """Only points off the boundary are measured; the distances are GEOS's point-polygon ones."""
    import geopandas as gpd
    from shapely.geometry import box

    from tcmcounty.crs import metric_crs
    from tcmcounty.inputs.raw import RawBundle
    from tcmcounty.inputs.validate import BOUNDARY_TOLERANCE_M, _check_coordinates

    square = box(111.1, 35.2, 111.3, 35.4)
    lon = np.array([111.2, 111.3, 111.31, 111.36, 111.7, 111.1, 110.9])
    lat = np.array([35.3, 35.3, 35.3, 35.3, 35.3, 35.45, 35.1])
    villages = pd.DataFrame({"_row": np.arange(2, 2 + len(lon)), "lon": lon, "lat": lat})
    raw = RawBundle(
        Path("x"),
        {},
        {"villages": villages},
        {"villages": "villages.csv"},
        {},
        boundary=gpd.GeoDataFrame(geometry=[square], crs="EPSG:4326"),
    )
    _check_coordinates(raw)
    crs = metric_crs(square.centroid.x, square.centroid.y)
    poly = gpd.GeoSeries([square], crs="EPSG:4326").to_crs(crs).iloc[0]
    dist = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(crs).distance(poly)
    expected = [
        (int(row), f"point lies {d / 1000:.1f} km outside the county boundary")
        for row, d in zip(villages["_row"], dist, strict=True)
        if d > BOUNDARY_TOLERANCE_M
    ]
    assert [(p.row, p.message_en) for p in raw.problems] == expected
    assert len(expected) == 4  # inside, on the edge and 0.9 km out are not reported
    assert [p.severity for p in raw.problems] == ["warning", "error", "warning", "error"]
