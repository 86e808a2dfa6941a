"""A county's results are computed fast and once (issue 13).

* Township indicators computed for every township at once equal the same indicators computed
  one township at a time (each kind on its own, and a one-township county through the public
  API), on the bundled counties and on a county with blanks, statuses and gaps put in.
* Alliance membership is computed once per county's results.
* The worklists are computed once, with the results; the report's section and the workbook
  show the same lists.
"""

from __future__ import annotations

import dataclasses
import io
import re
from dataclasses import replace

import numpy as np
import openpyxl
import pandas as pd
import pytest

import tcmcounty
from tcmcounty import memo
from tcmcounty.indicators import compute, load_registry, membership
from tcmcounty.indicators.kinds import Context, evaluate
from tcmcounty.indicators.townships import evaluate_county, evaluate_townships
from tcmcounty.reporting import results as R
from tcmcounty.reporting import worklists as W


def _awkward(county: tcmcounty.County) -> tcmcounty.County:
    """``county`` with the cases a real workbook has: blanks, mixed statuses, gaps, strays."""
    f = county.facilities.copy()
    v = county.villages.copy()
    rng = np.random.default_rng(13)
    for col in ("has_tcm_hall", "provides_tcm", "has_tcm_pavilion", "physicians", "nurses"):
        f.loc[rng.random(len(f)) < 0.15, col] = pd.NA
    f.loc[rng.random(len(f)) < 0.3, "status"] = "estimated"
    f.loc[rng.random(len(f)) < 0.1, "status"] = pd.NA
    f.loc[f.index[:2], "township_code"] = pd.NA  # facilities in no township
    first = str(county.townships["code"].iloc[0])
    f.loc[f["township_code"] == first, "beds"] = pd.NA  # one township's beds not reported
    second = str(county.townships["code"].iloc[1])
    f = f[f["township_code"].astype("string").fillna("") != second]  # a township with none
    v.loc[rng.random(len(v)) < 0.05, "population"] = pd.NA
    v.loc[rng.random(len(v)) < 0.2, "population_status"] = "synthetic"
    t = county.townships.copy()
    t.loc[t.index[2], "population"] = pd.NA
    t.loc[t.index[3], "population_status"] = pd.NA
    return replace(county, facilities=f, villages=v, townships=t)


@pytest.fixture(scope="module")
def counties() -> dict[str, tcmcounty.County]:
    wenxi = tcmcounty.load_county("wenxi", warn=False)
    return {
        "anyue": tcmcounty.load_county("anyue", warn=False),
        "wenxi": wenxi,
        "wenxi-awkward": _awkward(wenxi),
    }


def _township_indicators() -> list:
    return [ind for ind in load_registry() if "township" in ind.levels]


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("wenxi-awkward", (("resident", True), ("registered", False))),
        ("wenxi", (("resident", True),)),
        pytest.param("wenxi", (("registered", True), ("resident", False)), marks=pytest.mark.slow),
        pytest.param("anyue", (("resident", True),), marks=pytest.mark.slow),
    ],
)
def test_every_township_at_once_equals_one_at_a_time(
    counties: dict[str, tcmcounty.County], name: str, settings: tuple[tuple[str, bool], ...]
) -> None:
    """The reference is each kind on one township (the slow way the engine no longer takes)."""
    county = counties[name]
    codes = county.townships["code"].astype(str).tolist()
    compared = 0
    for population, estimates in settings:
        for ind in _township_indicators():
            ctx = Context(county, ind, "township", None, population, estimates)
            for spec in ind.specs("township"):
                got = evaluate_townships(spec, ctx, codes)
                for code, q in zip(codes, got, strict=True):
                    assert q == evaluate(spec, replace(ctx, area=code)), (ind.id, spec, code)
                    compared += 1
    assert compared >= len(codes) * 2 * len(_township_indicators())


@pytest.mark.parametrize("name", ["anyue", "wenxi", "wenxi-awkward"])
def test_county_figures_in_one_pass_equal_the_kinds(
    counties: dict[str, tcmcounty.County], name: str
) -> None:
    county = counties[name]
    for population, estimates in (("resident", True), ("registered", False)):
        for ind in load_registry():
            ctx = Context(county, ind, "county", None, population, estimates)
            for spec in ind.specs("county"):
                assert evaluate_county(spec, ctx) == evaluate(spec, ctx), (ind.id, spec)


def test_awkward_county_has_the_uncommon_cases(counties: dict[str, tcmcounty.County]) -> None:
    """The fixture really holds what the grouped form must get right (else the test above is weak)."""
    df = compute(counties["wenxi-awkward"], by="township")
    reasons = " ".join(df["reason"].astype(str))
    notes = " ".join(df["note"].astype(str))
    assert "beds not reported for" in reasons
    assert "township population not reported" in reasons
    assert "population not reported for" in reasons  # a covered village without population
    assert "did not report" in notes and "are left out" in notes
    statuses = set(df["input_status"].dropna())
    assert {"estimated", "synthetic"} <= statuses or "estimated" in statuses


@pytest.mark.parametrize("name", ["wenxi", "wenxi-awkward"])
def test_one_township_county_gives_the_same_rows(
    counties: dict[str, tcmcounty.County], name: str
) -> None:
    """Through the public API: a county holding one township gives that township's rows."""
    county = counties[name]
    full = compute(county, by="township")
    for i in range(len(county.townships)):
        one = replace(county, townships=county.townships.iloc[[i]])
        alone = compute(one, by="township").reset_index(drop=True)
        code = str(county.townships["code"].iloc[i])
        rows = full[full["area_code"] == code].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone, rows, check_exact=True)


def test_township_table_is_all_indicators_by_all_townships(
    counties: dict[str, tcmcounty.County],
) -> None:
    county = counties["anyue"]
    df = compute(county, by="township")
    ids = [ind.id for ind in _township_indicators()]
    codes = county.townships["code"].astype(str).tolist()
    assert list(df["id"]) == ids * len(codes)  # township by township, registry order
    assert list(df["area_code"]) == [c for c in codes for _ in ids]


def test_alliance_membership_computed_once_per_results(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"covering": 0, "covered": 0}
    covering, covered = membership._village_alliances, membership._covered_villages

    def count_covering(county: tcmcounty.County) -> list[list[str]]:
        calls["covering"] += 1
        return covering(county)

    def count_covered(county: tcmcounty.County, lead: tuple[str, ...]) -> object:
        calls["covered"] += 1
        return covered(county, lead)

    monkeypatch.setattr(membership, "_village_alliances", count_covering)
    monkeypatch.setattr(membership, "_covered_villages", count_covered)
    res = R.compute_results("wenxi")
    assert not res.unavailable
    assert calls == {"covering": 1, "covered": 1}
    c = res.county
    membership.village_alliances(c), membership.village_alliances(c)  # outside: nothing kept
    assert calls["covering"] == 3


@pytest.fixture(scope="module")
def wenxi_view() -> object:
    from tcmcounty.reporting import views

    return views.CountyView(views.check_parameters("wenxi"))


def test_worklists_are_part_of_the_results(monkeypatch: pytest.MonkeyPatch) -> None:
    built = []
    build = W.build_worklists
    monkeypatch.setattr(W, "build_worklists", lambda res: built.append(1) or build(res))
    res = R.compute_results("wenxi")
    assert built == [1] and res.worklists is not None
    assert "worklists" in res.seconds
    assert W.worklists(res) is res.worklists
    W.worklists_xlsx_bytes(W.worklists(res))
    assert built == [1]
    # the staff list reads the township indicators computed with the results
    staff = {w.action_id: w for w in res.worklists}["staff"]
    tw = res.indicators_by_township
    assert tw is not None and set(staff.frame["id"]) <= set(tw["id"])


def test_worklists_cached_with_the_results(tmp_path: object) -> None:
    res = R.compute_results("wenxi")
    R.save_results(res, tmp_path)  # type: ignore[arg-type]
    back = R.read_cached(tmp_path, res.key)  # type: ignore[arg-type]
    assert back is not None and back.worklists is not None
    assert [w.action_id for w in back.worklists] == [w.action_id for w in res.worklists]
    for a, b in zip(res.worklists, back.worklists, strict=True):
        pd.testing.assert_frame_equal(a.frame, b.frame)


def _view_counts(html: str) -> dict[str, int]:
    """Rows per worklist as the report's section says (``id='worklist-…'`` … ``— N 项``)."""
    found = re.findall(r"id='worklist-([^']+)'[^>]*><summary>.*? — (\d+) 项", html)
    return {k: int(n) for k, n in found}


def test_view_and_workbook_show_the_same_worklists(wenxi_view: object) -> None:
    res = wenxi_view.res  # type: ignore[attr-defined]
    lists = W.worklists(res)
    html = wenxi_view.worklist()  # type: ignore[attr-defined]
    counts = _view_counts(html)
    assert counts == {w.action_id: len(w) for w in lists}
    book = openpyxl.load_workbook(io.BytesIO(W.worklists_xlsx_bytes(W.worklists(res))))
    sheets = book.worksheets[: len(lists)]
    for w, ws in zip(lists, sheets, strict=True):
        rows = list(ws.iter_rows(values_only=True))
        frame = w.to_frame("zh")
        assert list(rows[0]) == list(frame.columns)
        assert len(rows) - 1 == len(w) == counts[w.action_id]
        for name in ("机构名称", "村/社区", "乡镇"):  # every named unit of the view is in the sheet
            if name in frame.columns:
                named = [str(x) for x in frame[name].dropna()]
                col = list(frame.columns).index(name)
                assert [str(r[col]) for r in rows[1:] if r[col] is not None] == named
                for unit in named[:50]:
                    assert unit in html


def test_a_failed_worklist_step_is_shown_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    from tcmcounty.reporting import views

    def broken(res: object) -> list:
        raise ValueError("worklist rule broke")

    monkeypatch.setattr(W, "build_worklists", broken)
    res = R.compute_results("wenxi")
    assert res.worklists is None and "worklist rule broke" in res.unavailable["worklists"]
    view = views.CountyView(views.check_parameters("wenxi"))
    view.res = res
    html = view.worklist()
    assert "worklist rule broke" in html
    assert dataclasses.is_dataclass(res)


def test_villages_and_facilities_projected_once_per_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tcmcounty.spatial import coverage as cov

    calls = []
    project = cov._project

    def count(*args: object) -> object:
        calls.append(args)
        return project(*args)

    monkeypatch.setattr(cov, "_project", count)
    res = R.compute_results("wenxi")
    assert not res.unavailable
    assert len(calls) == 1  # nearest service, five coverage levels and accessibility
    c = res.county
    with memo.reuse_membership():
        vxy, _, crs = cov.project(c.villages, c.facilities)
        vxy[:] = 0.0  # each call gets its own arrays
        again, _, same = cov.project(c.villages, c.facilities)
        assert len(calls) == 2 and same is crs
        assert np.isfinite(again).all() and not (again == 0).all()
    cov.project(c.villages, c.facilities)  # outside a block: projected again
    assert len(calls) == 3


def test_tables_kept_in_a_block_belong_to_their_county(
    counties: dict[str, tcmcounty.County],
) -> None:
    """Counties sharing a block (one a changed copy of the other) get their own figures."""
    names = ["wenxi", "wenxi-awkward", "anyue"]
    alone = {n: compute(counties[n], by="township") for n in names}
    alone_county = {n: compute(counties[n]) for n in names}
    with memo.reuse_membership():
        for n in [*names, *reversed(names)]:
            pd.testing.assert_frame_equal(compute(counties[n], by="township"), alone[n])
            pd.testing.assert_frame_equal(compute(counties[n]), alone_county[n])
    assert not alone["wenxi"].equals(alone["wenxi-awkward"])


def test_indicator_rows_read_as_iterrows_reads_them() -> None:
    """Records and the headline's unmet rows hold what ``iterrows`` + ``row.get`` give."""
    res = R.compute_results("wenxi")
    cols = list(res.indicator_records()[0])
    for ind in (res.indicators, res.indicators.drop(columns=["need_unit", "target_grade"])):
        res.indicators = ind
        want = [{c: R.plain_value(r.get(c)) for c in cols} for _, r in ind.iterrows()]
        assert res.indicator_records() == want
        unmet = res.headline()["unmet"]
        rows = [r for _, r in ind.iterrows() if r["met"] is False]
        assert unmet and [u["id"] for u in unmet] == [str(r["id"]) for r in rows]
        assert [u["need_unit"] for u in unmet] == [
            R.plain_value(r.get("need_unit", "")) for r in rows
        ]
        assert [u["value"] for u in unmet] == [R.plain_value(r.get("value")) for r in rows]
