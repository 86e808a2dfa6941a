"""Coverage on the bundled counties (安岳县, 闻喜县): plausibility, consistency, speed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import ANYUE, WENXI

import tcmcounty
from tcmcounty.spatial.coverage import alliance_coverage, cumulative_coverage, nearest_service

pytestmark = pytest.mark.skipif(
    not (ANYUE.is_dir() and WENXI.is_dir()), reason="bundled counties missing"
)


@pytest.fixture(scope="module", params=["anyue", "wenxi"])
def county(request: pytest.FixtureRequest) -> tcmcounty.County:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tcmcounty.load_county(request.param)


def test_every_village_reaches_a_hall_and_the_tcm_hospital(county: tcmcounty.County) -> None:
    ns = nearest_service(county)
    assert len(ns) == len(county.villages)
    assert ns["code"].tolist() == county.villages["code"].tolist()
    for level in ("hall", "tcm_hospital"):
        d = ns[f"{level}_km"].to_numpy()
        assert np.isfinite(d).all() and (d >= 0).all()
        assert ns[f"{level}_id"].notna().all()
    # a county spans well under 150 km
    assert ns[["hall_km", "tcm_hospital_km"]].max().max() < 150
    # the nearest of any TCM service is no farther than the nearest of each level
    anyl = nearest_service(county, levels=["any_tcm"])["any_tcm_km"].to_numpy()
    for level in ("pavilion", "tcm_clinic", "hall", "tcm_hospital"):
        d = ns[f"{level}_km"].to_numpy()
        ok = np.isfinite(d)
        assert (anyl[ok] <= d[ok] + 1e-9).all()


@pytest.mark.parametrize("level", ["pavilion", "hall", "any_tcm"])
def test_shares_and_population_sums(county: tcmcounty.County, level: str) -> None:
    res = cumulative_coverage(county, level=level)
    labels = [t.label for t in res.thresholds]
    assert labels == ["1km", "2km", "5km", "10km"]
    pop = county.villages["population"].astype(float)
    c = res.table("county")
    assert c["pop_total"].iloc[0] == pytest.approx(pop.sum())
    t = res.table("township")
    assert len(t) == len(county.townships)
    assert t["pop_total"].sum() == pytest.approx(pop.sum())
    shares = []
    for lab in labels:
        assert t[f"pop_covered_{lab}"].sum() == pytest.approx(c[f"pop_covered_{lab}"].iloc[0])
        s = t[f"covered_share_{lab}"].dropna()
        assert ((s >= 0) & (s <= 1)).all()
        shares.append(c[f"covered_share_{lab}"].iloc[0])
    assert all(0 <= s <= 1 for s in shares)
    assert shares == sorted(shares)  # cumulative: never decreases with the threshold
    v = res.table("village")
    assert len(v) == len(county.villages)
    unc = res.uncovered()
    assert unc["population"].sum() == pytest.approx(pop.sum() - c["pop_covered_10km"].iloc[0])


def test_alliance_coverage_between_zero_and_one(county: tcmcounty.County) -> None:
    res = alliance_coverage(county)
    assert 0 <= res.covered_share <= 1
    assert len(res.alliances) == len(county.alliances)
    assert (res.alliances["pop_covered"] <= res.any_pop_covered + 1e-9).all()
    tcm_led = res.alliances[res.alliances["tcm_led"]]
    assert tcm_led["pop_covered"].sum() >= res.pop_covered - 1e-9  # union <= sum of parts
