from __future__ import annotations

import eviltransform
import numpy as np
import prcoords
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tcmcounty.crs import gcj02_to_wgs84, metric_crs, normalise_crs_name, to_wgs84, wgs84_to_gcj02

M_PER_DEG = 111_320.0

# Known pairs: (WGS84 lon, lat) of real places; GCJ-02 from two independent implementations.
POINTS = [
    (116.397128, 39.916527),  # 天安门, Beijing
    (105.342868 - 0.0035, 30.103075 + 0.0025),  # 安岳 county town
    (111.2212, 35.3514),  # 闻喜 桐城镇
    (121.4737, 31.2304),  # Shanghai
    (87.6168, 43.8256),  # Ürümqi
    (126.6424, 45.7567),  # Harbin
    (110.3312, 20.0311),  # Haikou
]


@pytest.mark.parametrize(("lon", "lat"), POINTS)
def test_forward_matches_independent_implementations(lon: float, lat: float) -> None:
    glon, glat = wgs84_to_gcj02(lon, lat)
    p = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
    e_lat, e_lon = eviltransform.wgs2gcj(lat, lon)
    for ref_lon, ref_lat in ((p.lon, p.lat), (e_lon, e_lat)):
        err = np.hypot(
            (glon[0] - ref_lon) * M_PER_DEG * np.cos(np.radians(lat)),
            (glat[0] - ref_lat) * M_PER_DEG,
        )
        assert err < 0.05  # metres
    # GCJ-02 shifts points by 100–700 m.
    shift = np.hypot(
        (glon[0] - lon) * M_PER_DEG * np.cos(np.radians(lat)), (glat[0] - lat) * M_PER_DEG
    )
    assert 50 < shift < 1000


@pytest.mark.parametrize(("lon", "lat"), POINTS)
def test_inverse_error_below_half_a_metre(lon: float, lat: float) -> None:
    glon, glat = wgs84_to_gcj02(lon, lat)
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    err = np.hypot(
        (wlon[0] - lon) * M_PER_DEG * np.cos(np.radians(lat)), (wlat[0] - lat) * M_PER_DEG
    )
    assert err < 0.5
    # and against eviltransform's exact inverse
    e_lat, e_lon = eviltransform.gcj2wgs_exact(glat[0], glon[0])
    err2 = np.hypot(
        (wlon[0] - e_lon) * M_PER_DEG * np.cos(np.radians(lat)), (wlat[0] - e_lat) * M_PER_DEG
    )
    assert err2 < 0.5


@given(st.floats(73.5, 135.0), st.floats(18.0, 53.0))
def test_inverse_round_trip_anywhere_in_china(lon: float, lat: float) -> None:
    wlon, wlat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert abs(wlon[0] - lon) * M_PER_DEG < 0.01
    assert abs(wlat[0] - lat) * M_PER_DEG < 0.01


def test_outside_china_unchanged_and_nan_passes_through() -> None:
    lon, lat = wgs84_to_gcj02([2.35, np.nan], [48.85, np.nan])
    assert lon[0] == 2.35 and lat[0] == 48.85
    assert np.isnan(lon[1])
    wl, _ = gcj02_to_wgs84([np.nan, 113.6], [np.nan, 34.7])
    assert np.isnan(wl[0]) and np.isfinite(wl[1])


def test_declared_names() -> None:
    assert normalise_crs_name("wgs84") == "EPSG:4326"
    assert normalise_crs_name("高德") == "GCJ-02"
    assert normalise_crs_name("cgcs2000") == "EPSG:4490"
    with pytest.raises(ValueError, match="expected one of"):
        normalise_crs_name("BD-09")
    lon, _ = to_wgs84([113.6], [34.7], "EPSG:4490")
    assert lon[0] == 113.6


def test_metric_crs_zone() -> None:
    anyue = metric_crs(105.34, 30.10)
    assert anyue.to_epsg() == 4544 and not anyue.is_geographic
    assert "105E" in anyue.name
    assert metric_crs(111.22, 35.35).to_epsg() == 4546  # 闻喜: CM 111E
    assert metric_crs(2.35, 48.85).to_epsg() == 32631  # outside China: UTM
