"""Nearest service, cumulative coverage, alliance coverage: hand-checked cases and edge cases."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

import tcmcounty
from tcmcounty.services import (
    SERVICE_LEVELS,
    get_level,
    service_mask,
    service_summary,
    serving_facilities,
)
from tcmcounty.spatial.coverage import (
    AllianceCoverage,
    Threshold,
    alliance_coverage,
    cumulative_coverage,
    nearest_points,
    nearest_service,
    parse_threshold,
    parse_thresholds,
    travel_time_costs,
)
from tcmcounty.spatial.pairs import Costs

GK105 = "EPSG:4544"  # CGCS2000 / 3-degree Gauss-Kruger CM 105E (metres)
X0, Y0 = 500_000.0, 3_300_000.0


def make_villages(
    xy: list[tuple[float, float]],
    pop: list[float | None] | None = None,
    crs: str = GK105,
    towns: list[str] | None = None,
) -> gpd.GeoDataFrame:
    n = len(xy)
    pop = [1000] * n if pop is None else pop
    return gpd.GeoDataFrame(
        {
            "code": [f"V{i:03d}" for i in range(n)],
            "name": [f"村{i}" for i in range(n)],
            "township_code": towns or ["T1"] * n,
            "population": pd.array(pop, dtype="Int64"),
        },
        geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]),
        crs=crs,
    )


def make_facilities(
    xy: list[tuple[float, float]],
    types: list[str] | None = None,
    crs: str = GK105,
    **cols: list[object],
) -> gpd.GeoDataFrame:
    n = len(xy)
    data = {
        "id": [f"F{i}" for i in range(n)],
        "name": [f"机构{i}" for i in range(n)],
        "type": types or ["village_clinic"] * n,
    }
    for flag in ("has_tcm_pavilion", "has_tcm_hall", "provides_tcm"):
        data[flag] = pd.array(cols.pop(flag, [True] * n), dtype="boolean")
    data.update(cols)
    return gpd.GeoDataFrame(
        data, geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]), crs=crs
    )


@pytest.fixture
def tiny(tiny_bundle: Path) -> tcmcounty.County:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tcmcounty.load_county(tiny_bundle)


# --------------------------------------------------------------------------- thresholds


def test_parse_threshold_units_and_presets() -> None:
    assert parse_threshold("10km") == Threshold(10_000.0, "m", "10km")
    assert parse_threshold("2000m") == Threshold(2000.0, "m", "2km")
    assert parse_threshold(" 1.5 km").value == 1500.0
    assert parse_threshold(2).label == "2km"
    assert parse_threshold("30min") == Threshold(30.0, "min", "30min")
    assert parse_threshold(30, default_unit="min").unit == "min"
    assert parse_threshold("walk15") == Threshold(1200.0, "m", "walk15")
    assert parse_threshold("drive15").value == 7500.0
    assert parse_threshold("5公里").value == 5000.0
    assert [t.label for t in parse_thresholds("10,2,walk15")] == ["walk15", "2km", "10km"]


@pytest.mark.parametrize("bad", ["ten km", "-2km", "nan", "", "2 furlongs"])
def test_parse_threshold_errors(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_thresholds(bad)


def test_parse_threshold_type_and_mixed_units() -> None:
    with pytest.raises(TypeError, match="threshold"):
        parse_threshold([2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mix"):
        parse_thresholds("2km,30min")
    with pytest.raises(ValueError, match="repeat"):
        parse_thresholds("2km,2000m")


# --------------------------------------------------------------------------- services


def test_service_levels_on_tiny_county(tiny: tcmcounty.County) -> None:
    f = tiny.facilities
    ids = f["id"].to_numpy()
    assert ids[service_mask(f, "pavilion")].tolist() == ["F5"]
    assert ids[service_mask(f, "tcm_clinic")].tolist() == ["F4", "F5", "F7"]  # F6 gives no TCM
    assert ids[service_mask(f, "hall")].tolist() == ["F2"]  # F3 has no 中医馆
    assert ids[service_mask(f, "tcm_hospital")].tolist() == ["F1"]
    assert set(ids[service_mask(f, "any_tcm")]) == {"F1", "F2", "F4", "F5", "F7"}
    s = service_summary(f).set_index("level")
    assert s.loc["pavilion", "n_facilities"] == 1
    with pytest.raises(ValueError, match="valid levels are: pavilion, tcm_clinic, hall"):
        get_level("中医阁")
    with pytest.raises(TypeError, match="level"):
        get_level(3)  # type: ignore[arg-type]
    assert set(SERVICE_LEVELS) >= {"pavilion", "tcm_clinic", "hall", "tcm_hospital"}


def test_unreported_flag_is_not_yes() -> None:
    f = make_facilities(
        [(X0, Y0)] * 2, types=["township_health_centre"] * 2, has_tcm_hall=[None, True]
    )
    assert service_mask(f, "hall").tolist() == [False, True]
    assert service_summary(f).set_index("level").loc["hall", "n_unreported"] == 1


def test_serving_facilities(tiny: tcmcounty.County) -> None:
    s = serving_facilities(tiny.villages, tiny.facilities)
    assert s["serving_level"].tolist() == ["village", "village", "village", "village"]
    assert s["serving_ids"].tolist() == [["F4"], ["F5"], ["F6"], ["F7"]]
    fac = tiny.facilities[tiny.facilities["id"] != "F6"]
    s = serving_facilities(tiny.villages, fac)
    assert s.loc[2, "serving_level"] == "township" and s.loc[2, "serving_ids"] == ["F3"]


# --------------------------------------------------------------------------- nearest service


def test_nearest_points_basic() -> None:
    cost, idx = nearest_points([[0, 0], [10, 0], [np.nan, 0]], [[3, 4], [10, 1]], detour=2.0)
    assert cost[:2].tolist() == [10.0, 2.0] and np.isnan(cost[2])
    assert idx.tolist() == [0, 1, -1]
    cost, idx = nearest_points([[0, 0]], np.empty((0, 2)))
    assert np.isnan(cost[0]) and idx[0] == -1
    with pytest.raises(ValueError, match="detour"):
        nearest_points([[0, 0]], [[1, 1]], detour=0.9)


def test_nearest_service_tiny_county(tiny: tcmcounty.County) -> None:
    ns = nearest_service(tiny)
    assert ns["code"].tolist() == tiny.villages["code"].tolist()  # input order
    assert list(ns.columns[:4]) == ["code", "name", "township_code", "population"]
    # 南村 has the 中医阁 F5 on its own point
    assert (
        ns.loc[1, "pavilion_km"] == pytest.approx(0.0, abs=1e-6)
        and ns.loc[1, "pavilion_id"] == "F5"
    )
    # 北社区 to F5: 0.02 degrees of latitude ≈ 2.22 km
    geod = Geod(ellps="GRS80")
    _, _, d = geod.inv(113.60, 34.71, 113.60, 34.69)
    assert ns.loc[0, "pavilion_km"] == pytest.approx(d / 1000, rel=1e-3)
    assert ns["hall_id"].tolist() == ["F2"] * 4
    assert ns["tcm_hospital_id"].tolist() == ["F1"] * 4
    # 西村's clinic F7 has no coordinates: it sits at 西村's point (loader), so distance 0
    assert (
        ns.loc[3, "tcm_clinic_km"] == pytest.approx(0.0, abs=1e-6)
        and ns.loc[3, "tcm_clinic_id"] == "F7"
    )


def test_county_without_any_pavilion(tiny: tcmcounty.County) -> None:
    fac = tiny.facilities.copy()
    fac["has_tcm_pavilion"] = pd.array([False] * len(fac), dtype="boolean")
    ns = nearest_service(tiny.villages, fac)
    assert ns["pavilion_km"].isna().all()
    assert ns["pavilion_id"].isna().all()
    assert ns["hall_km"].notna().all()
    cov = cumulative_coverage(
        tiny.villages, fac, thresholds="1,5", level="pavilion", townships=tiny.townships
    )
    county = cov.table("county")
    assert county["pop_total"].iloc[0] == 10_000
    assert county["pop_covered_5km"].iloc[0] == 0 and county["covered_share_5km"].iloc[0] == 0.0
    unc = cov.uncovered()
    assert len(unc) == 4 and unc["population"].sum() == 10_000 and unc["cost_km"].isna().all()


def test_nearest_service_with_travel_times(tiny: tcmcounty.County) -> None:
    table = pd.DataFrame(
        {
            "demand_id": ["410101001001", "410101001201", "410101100201"],
            "supply_id": ["F5", "F5", "F2"],
            "minutes": [12.0, 0.0, 25.0],
        }
    )
    costs = travel_time_costs(table, tiny.villages, tiny.facilities)
    ns = nearest_service(tiny, costs=costs)
    assert ns["pavilion_min"].tolist()[:2] == [12.0, 0.0]
    assert np.isnan(ns["pavilion_min"].iloc[2]) and ns["pavilion_id"].iloc[2] is None
    assert ns["hall_min"].iloc[2] == 25.0 and ns["hall_id"].iloc[2] == "F2"
    assert "pavilion_km" not in ns


def test_nearest_service_argument_errors(tiny: tcmcounty.County) -> None:
    with pytest.raises(ValueError, match="unknown service level"):
        nearest_service(tiny, levels=["hospital"])
    with pytest.raises(TypeError, match="villages must be a GeoDataFrame"):
        nearest_service(pd.DataFrame(tiny.villages), tiny.facilities)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not both"):
        nearest_service(tiny, tiny.facilities)
    bad = Costs.from_points(np.zeros((2, 2)), np.zeros((3, 2)), 10)
    with pytest.raises(ValueError, match="shape"):
        nearest_service(tiny, costs=bad)


# --------------------------------------------------------------------------- CRS handling


def test_geographic_input_is_reprojected_not_degrees() -> None:
    v = make_villages([(105.0, 30.0), (105.01, 30.0)], crs="EPSG:4326")
    f = make_facilities([(105.0, 30.0)], crs="EPSG:4326")
    ns = nearest_service(v, f, levels=["pavilion"])
    _, _, d = Geod(ellps="GRS80").inv(105.0, 30.0, 105.01, 30.0)
    assert ns["pavilion_km"].iloc[1] == pytest.approx(d / 1000, rel=1e-3)  # ≈ 0.96 km, not 0.01
    cov = cumulative_coverage(v, f, thresholds=[1.0])
    assert cov.crs is not None and cov.crs.to_epsg() == 4544


def test_geographic_crs_refused_and_missing_crs() -> None:
    v = make_villages([(X0, Y0)])
    f = make_facilities([(X0, Y0)])
    with pytest.raises(ValueError, match="geographic"):
        nearest_service(v, f, crs="EPSG:4326")
    with pytest.raises(ValueError, match="villages has no CRS"):
        nearest_service(v.set_crs(None, allow_override=True), f)
    # projected input in metres is used as is
    cov = cumulative_coverage(v, f, thresholds=[1.0])
    assert cov.crs.to_epsg() == 4544


def test_coordinates_contradicting_their_crs_are_refused() -> None:
    metres_as_degrees = make_villages([(X0, Y0)], crs="EPSG:4326")
    f = make_facilities([(105.0, 30.0)], crs="EPSG:4326")
    with pytest.raises(ValueError, match=r"villages: .*not degrees.*look like projected metres"):
        nearest_service(metres_as_degrees, f)
    degrees_as_metres = make_facilities([(105.0, 30.0)], crs=GK105)
    with pytest.raises(ValueError, match=r"facilities: .*looks like degrees.*projected"):
        cumulative_coverage(make_villages([(X0, Y0)]), degrees_as_metres)


def test_feet_crs_refused() -> None:
    v = make_villages([(X0, Y0)])
    f = make_facilities([(X0, Y0)])
    with pytest.raises(ValueError, match="metres"):
        nearest_service(v, f, crs="EPSG:2227")  # US survey feet


# --------------------------------------------------------------------------- thresholds edge cases


def test_points_exactly_on_the_threshold_are_covered() -> None:
    v = make_villages(
        [
            (X0 + 2000.0, Y0),  # exactly 2 km east
            (X0 + 1200.0, Y0 + 1600.0),  # exactly 2 km (3-4-5)
            (X0 + 2000.001, Y0),  # 1 mm beyond
            (X0, Y0 - 1999.999),  # 1 mm inside
        ]
    )
    f = make_facilities([(X0, Y0)])
    cov = cumulative_coverage(v, f, thresholds="2km")
    assert cov.villages["covered_2km"].tolist() == [True, True, False, True]
    assert cov.villages["cost"].iloc[0] == 2000.0 and cov.villages["cost"].iloc[1] == 2000.0
    assert cov.table("county")["pop_covered_2km"].iloc[0] == 3000


def test_threshold_with_nobody_covered() -> None:
    v = make_villages([(X0 + 5000, Y0), (X0, Y0 + 7000)])
    f = make_facilities([(X0, Y0)])
    cov = cumulative_coverage(v, f, thresholds=[0.5, 1])
    county = cov.table("county")
    assert county["pop_covered_0.5km"].iloc[0] == 0
    assert county["covered_share_1km"].iloc[0] == 0.0
    assert len(cov.uncovered("1km")) == 2 and len(cov.uncovered(0.5)) == 2
    with pytest.raises(ValueError, match="not computed"):
        cov.uncovered("3km")


def test_villages_with_zero_and_unreported_population() -> None:
    v = make_villages(
        [(X0, Y0), (X0 + 100, Y0), (X0 + 200, Y0), (X0 + 9000, Y0)],
        pop=[0, 500, None, 1500],
        towns=["T1", "T1", "T2", "T2"],
    )
    f = make_facilities([(X0, Y0)])
    cov = cumulative_coverage(v, f, thresholds=[1])
    vt = cov.table("village")
    assert vt["pop_covered_1km"].tolist()[:2] == [0.0, 500.0]
    assert np.isnan(vt["covered_share_1km"].iloc[0])  # 0 / 0 is undefined, not 0 or 1
    assert vt["covered_share_1km"].iloc[1] == 1.0
    assert np.isnan(vt["pop_covered_1km"].iloc[2])  # not reported stays not reported
    assert cov.villages["covered_1km"].tolist() == [True, True, True, False]
    t = cov.table("township")
    assert t["pop_total"].tolist() == [500.0, 1500.0]
    assert t["n_pop_unreported"].tolist() == [0, 1]
    assert t["covered_share_1km"].tolist() == [1.0, 0.0]
    c = cov.table("county")
    assert c["pop_total"].iloc[0] == 2000 and c["covered_share_1km"].iloc[0] == 0.25


def test_all_zero_population_share_is_nan() -> None:
    v = make_villages([(X0, Y0)], pop=[0])
    f = make_facilities([(X0, Y0)])
    c = cumulative_coverage(v, f, thresholds=[1]).table("county")
    assert c["pop_total"].iloc[0] == 0 and np.isnan(c["covered_share_1km"].iloc[0])


def test_unlocated_village_is_uncovered_and_counted() -> None:
    v = make_villages([(X0, Y0), (np.nan, np.nan)])
    v.loc[1, "geometry"] = None
    f = make_facilities([(X0, Y0)])
    cov = cumulative_coverage(v, f, thresholds=[1])
    assert cov.villages["located"].tolist() == [True, False]
    assert cov.villages["covered_1km"].tolist() == [True, False]
    assert cov.table("county")["n_unlocated"].iloc[0] == 1


def test_detour_factor_shrinks_coverage() -> None:
    v = make_villages([(X0 + 1500, Y0), (X0 + 1900, Y0)])
    f = make_facilities([(X0, Y0)])
    plain = cumulative_coverage(v, f, thresholds=[2]).villages["covered_2km"].tolist()
    detour = cumulative_coverage(v, f, thresholds=[2], detour=1.3).villages["covered_2km"].tolist()
    assert plain == [True, True] and detour == [True, False]  # 1.9 km × 1.3 = 2.47 km


def test_coverage_with_travel_times_and_unit_checks(tiny: tcmcounty.County) -> None:
    table = pd.DataFrame(
        {
            "demand_id": ["410101001001", "410101100201"],
            "supply_id": ["F5", "F5"],
            "minutes": [15.0, 15.0001],
        }
    )
    costs = travel_time_costs(table, tiny.villages, tiny.facilities)
    cov = cumulative_coverage(tiny, thresholds="15min", costs=costs)
    assert cov.villages["covered_15min"].tolist() == [True, False, False, False]
    assert cov.table("county")["pop_covered_15min"].iloc[0] == 3500
    with pytest.raises(ValueError, match="minutes"):
        cumulative_coverage(tiny, thresholds="2km", costs=costs)
    with pytest.raises(ValueError, match="travel-time table"):
        cumulative_coverage(tiny, thresholds="30min")


def test_coverage_tables_tiny_county(tiny: tcmcounty.County) -> None:
    cov = cumulative_coverage(tiny, thresholds=[1, 2.5, 20], level="pavilion")
    t = cov.table("township")
    assert t["township_code"].tolist() == ["410101001", "410101100"]  # townships.csv order
    assert t["name"].tolist() == ["城关街道", "东镇"]
    # 北社区 (2.2 km) and 南村 (0 km) in 城关街道; 东村/西村 ~10 km away
    assert t["pop_covered_1km"].tolist() == [2500, 0]
    assert t["pop_covered_2.5km"].tolist() == [6000, 0]
    assert t["pop_covered_20km"].tolist() == [6000, 4000]
    c = cov.table("county")
    assert c["county"].iloc[0] == "测试县 Test County"
    assert c["covered_share_2.5km"].iloc[0] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="by must be"):
        cov.table("province")  # type: ignore[arg-type]


def test_level_mask_and_none(tiny: tcmcounty.County) -> None:
    every = cumulative_coverage(tiny, thresholds=[0.5], level=None)
    assert every.level == "all" and every.villages["covered_0.5km"].all()
    mask = np.zeros(len(tiny.facilities), dtype=bool)
    custom = cumulative_coverage(tiny, thresholds=[0.5], level=mask)
    assert custom.level == "custom" and not custom.villages["covered_0.5km"].any()
    with pytest.raises(ValueError, match="boolean array"):
        cumulative_coverage(tiny, thresholds=[0.5], level=[1, 0])


# --------------------------------------------------------------------------- alliances


def test_alliance_coverage_tiny(tiny: tcmcounty.County) -> None:
    res = alliance_coverage(tiny)
    assert isinstance(res, AllianceCoverage)
    # A1 (led by the TCM hospital F1) members F1 F2 F4 F5: 北社区 (F4, 3500) and 南村 (F5, 2500)
    assert res.alliances["pop_covered"].tolist() == [6000.0]
    assert res.alliances["n_villages"].tolist() == [2]
    assert res.alliances["tcm_led"].tolist() == [True]
    # denominator: the county's resident population (county.toml), as T-YLT
    assert res.pop_total == 10_000 and res.covered_share == pytest.approx(0.6)
    assert res.meets_target and res.met is True and res.need == 0
    table = res.table()
    assert table["id"].tolist() == ["A1", "tcm_led", "any"]
    assert table["meets_target"].isna().tolist() == [True, False, True]  # only T-YLT is judged
    assert bool(table["meets_target"].iloc[1]) is True
    assert res.villages["alliance_ids"].tolist() == [["A1"], ["A1"], [], []]
    assert res.villages["covered"].tolist() == [True, True, False, False]


def test_alliance_township_fallback_and_registered_base(tiny: tcmcounty.County) -> None:
    fac = tiny.facilities[~tiny.facilities["id"].isin(["F6", "F7"])].reset_index(drop=True)
    al = tiny.alliances.assign(member_ids=[["F3"]])
    c = dataclasses.replace(tiny, facilities=fac, alliances=al)
    res = alliance_coverage(c)
    # 东村 and 西村 have no clinic left: served by 东镇卫生院 F3, a member of A1 (lead F1)
    assert res.pop_covered == 4000 and res.share == pytest.approx(0.4) and res.met
    reg = alliance_coverage(c, population="registered")
    assert reg.pop_total == 12_000 and reg.share == pytest.approx(4000 / 12_000)
    none = alliance_coverage(dataclasses.replace(tiny, alliances=al.iloc[0:0]))
    assert none.share is None and none.met is None and not none.meets_target
    assert "no medical alliance reported" in none.reason
    assert none.table()["id"].tolist() == ["tcm_led", "any"]
    with pytest.raises(TypeError, match="County"):
        alliance_coverage(tiny.villages)  # type: ignore[arg-type]


def test_alliance_not_led_by_tcm_hospital_is_listed_not_counted(tiny: tcmcounty.County) -> None:
    al = pd.concat([tiny.alliances] * 2, ignore_index=True).assign(
        id=["A1", "A2"],
        lead_facility_id=["F1", "F2"],
        member_ids=[["F1", "F5"], ["F2", "F4", "F6", "F7"]],
    )
    res = alliance_coverage(dataclasses.replace(tiny, alliances=al))
    t = res.table().set_index("id")
    assert t.loc["A2", "pop_covered"] == 7500 and not t.loc["A2", "tcm_led"]
    assert pd.isna(t.loc["A2", "meets_target"])  # an alliance alone is never judged
    assert res.pop_covered == 2500 and res.met is False and res.need == 500
    assert not bool(t.loc["tcm_led", "meets_target"])
    assert t.loc["any", "covered_share"] == pytest.approx(1.0)
    assert pd.isna(t.loc["any", "meets_target"]) and "any alliance" in t.loc["any", "name"]
