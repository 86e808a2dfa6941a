"""What-if scenarios: flags changed in a copy, saved as a workbook of its own, input untouched."""

import hashlib

import pytest

import tcmcounty
from tcmcounty.inputs.load import load_county
from tcmcounty.plan import plan_sites
from tcmcounty.scenario import Change, changes_frame, with_changes, with_sites, write_scenario


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
