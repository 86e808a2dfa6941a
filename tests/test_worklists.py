"""Worklists (整改清单) of 安岳: every unit named, checked against the bundle independently."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import tcmcounty
from tcmcounty.reporting import worklists as W
from tcmcounty.reporting.results import CountyResults, compute_results
from tcmcounty.spatial.coverage import cumulative_coverage, nearest_service


@pytest.fixture(scope="module")
def res() -> CountyResults:
    """安岳's results, computed once for the module."""
    return compute_results(tcmcounty.load_county("anyue", warn=False))


@pytest.fixture(scope="module")
def lists(res: CountyResults) -> dict[str, W.Worklist]:
    return {w.action_id: w for w in W.worklists(res)}


def _not_yes(s: pd.Series) -> pd.Series:
    return ~s.astype("boolean").fillna(False).astype(bool)


def test_actions_in_order(lists: dict[str, W.Worklist]) -> None:
    assert list(lists) == ["hall", "tcm_clinic", "pavilion", "distance", "alliance", "staff"]
    for w in lists.values():
        assert w.title_zh and w.title_en and w.rule_zh and w.rule_en
        assert set(c[0] for c in w.columns) <= set(w.frame.columns)


def test_every_centre_without_hall(res: CountyResults, lists: dict[str, W.Worklist]) -> None:
    f = res.county.facilities
    centre = f["type"].isin(["township_health_centre", "community_health_centre"])
    expected = set(f.loc[centre & _not_yes(f["has_tcm_hall"]), "id"].astype(str))
    got = lists["hall"].frame
    assert expected and set(got["facility_id"]) == expected
    assert len(got) == len(expected)  # each centre once
    town = dict(zip(res.county.townships["code"], res.county.townships["name"], strict=True))
    names = f.set_index(f["id"].astype(str))
    for _, r in got.iterrows():
        assert r["township_name"] == town[names.loc[r["facility_id"], "township_code"]]
    assert lists["hall"].target_ids == ("T-ZYG-HALL",)


def test_every_clinic_without_tcm(res: CountyResults, lists: dict[str, W.Worklist]) -> None:
    f = res.county.facilities
    clinic = f["type"].isin(["village_clinic", "community_health_station"])
    expected = set(f.loc[clinic & _not_yes(f["provides_tcm"]), "id"].astype(str))
    got = lists["tcm_clinic"].frame
    assert len(expected) == 83
    assert set(got["facility_id"]) == expected and len(got) == len(expected)
    # the named count agrees with the indicator's need at county level
    ind = res.indicators.set_index("id")
    n_clinics = int(clinic.sum())
    assert ind.loc["T-VC-TCM", "numerator"] == n_clinics - len(expected)


def test_township_order(res: CountyResults, lists: dict[str, W.Worklist]) -> None:
    order = {c: i for i, c in enumerate(res.county.townships["code"].astype(str))}
    for key in ("hall", "tcm_clinic", "alliance"):
        pos = lists[key].frame["township_code"].map(order)
        assert pos.is_monotonic_increasing


def test_pavilion_order_is_the_plan(res: CountyResults, lists: dict[str, W.Worklist]) -> None:
    got = lists["pavilion"].frame
    assert list(got["facility_id"]) == list(res.plan.table["facility_id"])
    assert list(got["rank"]) == list(range(1, len(got) + 1))


def _middle(res: CountyResults) -> float:
    ths = res.thresholds_km
    return ths[len(ths) // 2]


def test_far_villages_at_middle_threshold(res: CountyResults) -> None:
    assert W.middle_threshold_km(res) == _middle(res) == 5.0
    ns = nearest_service(res.county, levels=("any_tcm",))
    beyond = ~(ns["any_tcm_km"] <= 5.0)
    w = W.far_villages(res)
    assert set(w.frame["village_code"]) == set(ns.loc[beyond, "code"].astype(str))
    assert "5 公里" in w.title_zh


def test_far_villages_named_with_nearest_service(res: CountyResults) -> None:
    """At a 1 km middle threshold many villages are beyond it; each gets its nearest service."""
    ths = (0.5, 1.0, 2.0)
    cov = cumulative_coverage(res.county, thresholds=list(ths), level="any_tcm")
    small = dataclasses.replace(res, thresholds_km=ths, coverage={"any_tcm": cov})
    w = W.far_villages(small)
    ns = nearest_service(res.county, levels=("any_tcm",)).set_index("code")
    expected = ns.index[~(ns["any_tcm_km"] <= 1.0)].astype(str)
    assert len(expected) > 0
    assert set(w.frame["village_code"]) == set(expected)
    got = w.frame.set_index("village_code")
    np.testing.assert_allclose(
        got["distance_km"].to_numpy(float),
        ns.loc[got.index, "any_tcm_km"].to_numpy(float),
        atol=0.006,
    )
    assert list(got["nearest_id"]) == list(ns.loc[got.index, "any_tcm_id"])
    assert got["nearest_name"].notna().all()
    assert w.title_zh == "1 公里内无中医药服务的村"


def test_alliance_gaps_use_the_indicator_rule(
    res: CountyResults, lists: dict[str, W.Worklist]
) -> None:
    from tcmcounty.indicators.membership import covered_villages

    covered, _, _ = covered_villages(res.county, ["county_tcm_hospital"])
    v = res.county.villages
    outside = set(v["code"].astype(str)) - set(covered["code"].astype(str))
    got = lists["alliance"].frame
    assert set(got["village_code"]) == outside and len(got) == len(outside)
    # a township with no covered village is flagged as outside as a whole
    cov_towns = set(covered["township_code"].astype(str))
    flag = got["township_outside"].str.startswith("是")
    assert set(got.loc[flag, "township_code"]) == set(got["township_code"]) - cov_towns
    assert (got["serving_ids"] != "").all()


def test_staff_gaps_only_unmet_township_targets(lists: dict[str, W.Worklist]) -> None:
    w = lists["staff"]
    assert set(w.target_ids) == set(W.STAFF_INDICATORS)
    assert set(w.frame["id"]) <= set(W.STAFF_INDICATORS)


def test_xlsx_sheets_headers_freeze_filter(lists: dict[str, W.Worklist], tmp_path: Path) -> None:
    ws_lists = list(lists.values())
    path = W.write_worklists_xlsx(ws_lists, tmp_path / W.worklist_file_name("512021-anyue"))
    assert path.name == "512021-anyue-worklist.xlsx"
    wb = openpyxl.load_workbook(path)
    assert len(wb.worksheets) == len(ws_lists)
    for ws, w in zip(wb.worksheets, ws_lists, strict=True):
        header = [c.value for c in ws[1]]
        assert header == [c[1] for c in w.columns]
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in header)
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert ws.max_row == len(w) + 1
    clinics = wb.worksheets[1]
    col = [c.value for c in clinics[1]].index("机构编号")
    ids = {row[col] for row in clinics.iter_rows(min_row=2, values_only=True)}
    assert ids == set(lists["tcm_clinic"].frame["facility_id"])


def test_xlsx_text_never_a_formula(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": ['=HYPERLINK("x")', "安岳"], "b": [-1, 2]})
    w = W.Worklist("x", "示例", "example", (), frame, (("a", "名称", "name"), ("b", "数", "n")))
    wb = openpyxl.load_workbook(W.write_worklists_xlsx([w], tmp_path / "w.xlsx"))
    cell = wb.active["A2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("x")'
    assert wb.active["B2"].value == -1


def test_rejects_other_inputs() -> None:
    with pytest.raises(TypeError, match="CountyResults"):
        W.worklists({"county": "anyue"})


def test_report_section_lists_every_unit(res: CountyResults, lists: dict[str, W.Worklist]) -> None:
    """Rows are in the HTML even when a list is collapsed, so find-in-page reaches them."""
    from tcmcounty.reporting import views

    view = views.CountyView(views.check_parameters("anyue"), results=res)
    html = str(view.worklist())
    assert view.worklist_file() == "512021-anyue-worklist.xlsx"
    assert "href='512021-anyue-worklist.xlsx'" in html
    assert html.count("<details class='tcm-worklist'") == len(lists)
    assert "<script" not in html
    for key in ("hall", "tcm_clinic"):
        for fid in lists[key].frame["facility_id"]:
            assert f"<td>{fid}</td>" in html
    # long lists start collapsed, short ones open
    assert "id='worklist-tcm_clinic'>" in html and "id='worklist-hall' open>" in html
