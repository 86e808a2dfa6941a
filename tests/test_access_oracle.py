"""2SFCA / E2SFCA equal PySAL ``access`` (independent implementation) on random inputs, to 1e-9."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

access_pkg = pytest.importorskip("access")
from access import Access, weights  # noqa: E402

from tcmcounty.spatial.access import two_step_fca  # noqa: E402
from tcmcounty.spatial.pairs import Costs  # noqa: E402


def dai_gaussian(d0: float):
    h = math.exp(-0.5)
    return lambda d: (math.exp(-0.5 * (d / d0) ** 2) - h) / (1 - h) if d <= d0 else 0.0


def pysal_fca(
    d: np.ndarray, s: np.ndarray, pop: np.ndarray, cap: np.ndarray, radius: float, weight_fn=None
) -> np.ndarray:
    """PySAL on the full cross product of brute-force distances (its own pair selection)."""
    n, m = len(d), len(s)
    dist = np.hypot(d[:, None, 0] - s[None, :, 0], d[:, None, 1] - s[None, :, 1])
    cost_df = pd.DataFrame(
        {
            "origin": np.repeat(np.arange(n), m),
            "dest": np.tile(np.arange(m), n),
            "cost": dist.ravel(),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = Access(
            demand_df=pd.DataFrame({"geoid": np.arange(n), "pop": pop}),
            demand_index="geoid",
            demand_value="pop",
            supply_df=pd.DataFrame({"geoid": np.arange(m), "cap": cap}),
            supply_index="geoid",
            supply_value="cap",
            cost_df=cost_df,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        if weight_fn is None:
            out = a.two_stage_fca(name="x", max_cost=radius)
        else:
            out = a.enhanced_two_stage_fca(name="x", max_cost=radius, weight_fn=weight_fn)
    return out["x_cap"].reindex(np.arange(n)).to_numpy(dtype=float)


def random_case(seed: int, n: int = 300, m: int = 40, side: float = 30_000.0):
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, side, (n, 2))
    s = rng.uniform(0, side, (m, 2))
    pop = rng.integers(1, 5000, n).astype(float)
    cap = rng.integers(0, 20, m).astype(float)  # includes zero-capacity facilities
    return d, s, pop, cap


def compare(ours: np.ndarray, theirs: np.ndarray, n_supply: np.ndarray) -> None:
    # PySAL leaves villages with no facility in reach out (NaN); ours says 0 explicitly
    none = np.isnan(theirs)
    assert np.array_equal(none, n_supply == 0)
    assert (ours[none] == 0).all()
    np.testing.assert_allclose(ours[~none] * 1000, theirs[~none] * 1000, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("radius", [4_000.0, 8_000.0])
def test_2sfca_equals_pysal(seed: int, radius: float) -> None:
    d, s, pop, cap = random_case(seed)
    ours = two_step_fca(Costs.from_points(d, s, radius), pop, cap)
    compare(ours.access, pysal_fca(d, s, pop, cap, radius), ours.n_supply)


@pytest.mark.parametrize("seed", range(5))
def test_e2sfca_step_equals_pysal(seed: int) -> None:
    d, s, pop, cap = random_case(seed)
    r = 9_000.0
    ours = two_step_fca(Costs.from_points(d, s, r), pop, cap, radius=r, decay="step")
    fn = weights.step_fn({r * 1 / 3: 1.0, r * 2 / 3: 0.68, r: 0.22})
    compare(ours.access, pysal_fca(d, s, pop, cap, r, fn), ours.n_supply)


@pytest.mark.parametrize("seed", range(5))
def test_e2sfca_custom_steps_equals_pysal(seed: int) -> None:
    d, s, pop, cap = random_case(seed)
    steps = {2_000.0: 1.0, 5_000.0: 0.5, 7_500.0: 0.1}
    ours = two_step_fca(Costs.from_points(d, s, 7_500.0), pop, cap, decay="step", steps=steps)
    compare(ours.access, pysal_fca(d, s, pop, cap, 7_500.0, weights.step_fn(steps)), ours.n_supply)


@pytest.mark.parametrize("seed", range(5))
def test_e2sfca_gaussian_equals_pysal(seed: int) -> None:
    d, s, pop, cap = random_case(seed)
    r = 8_000.0
    ours = two_step_fca(Costs.from_points(d, s, r), pop, cap, decay="gaussian")
    theirs = pysal_fca(d, s, pop, cap, r, dai_gaussian(r))
    # a pair exactly at d0 has weight 0: PySAL keeps it (NaN-free), we drop it; none at random
    compare(ours.access, theirs, ours.n_supply)


def test_travel_time_table_equals_pysal_on_same_table() -> None:
    rng = np.random.default_rng(11)
    n, m = 200, 30
    table = pd.DataFrame(
        {
            "demand_id": np.repeat([f"v{i}" for i in range(n)], m),
            "supply_id": np.tile([f"f{j}" for j in range(m)], n),
            "minutes": rng.uniform(0, 90, n * m),
        }
    )
    pop = rng.integers(1, 3000, n).astype(float)
    cap = rng.integers(0, 10, m).astype(float)
    costs = Costs.from_table(
        table, [f"v{i}" for i in range(n)], [f"f{j}" for j in range(m)], max_cost=30
    )
    ours = two_step_fca(costs, pop, cap, decay="step")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = Access(
            demand_df=pd.DataFrame({"geoid": [f"v{i}" for i in range(n)], "pop": pop}),
            demand_index="geoid",
            demand_value="pop",
            supply_df=pd.DataFrame({"geoid": [f"f{j}" for j in range(m)], "cap": cap}),
            supply_index="geoid",
            supply_value="cap",
            cost_df=table,
            cost_origin="demand_id",
            cost_dest="supply_id",
            cost_name="minutes",
        )
        theirs = a.enhanced_two_stage_fca(
            name="x", max_cost=30, weight_fn=weights.step_fn({10: 1.0, 20: 0.68, 30: 0.22})
        )
    theirs = theirs["x_cap"].reindex([f"v{i}" for i in range(n)]).to_numpy(dtype=float)
    compare(ours.access, theirs, ours.n_supply)
