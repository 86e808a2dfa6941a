"""Equity measures against independent formulas: brute-force Gini, replicated data, weighted covariance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcmcounty.spatial.equity import concentration_index, fractional_rank, gini, share_below


def gini_brute(x: np.ndarray, w: np.ndarray) -> float:
    """Mean absolute difference over all pairs / (2 · mean) — the definition."""
    big_w = w.sum()
    mu = np.sum(w * x) / big_w
    return float(
        np.sum(w[:, None] * w[None, :] * np.abs(x[:, None] - x[None, :])) / (2 * big_w**2 * mu)
    )


# 0 or at least 1e-6: a subnormal value (5e-324) overflows the brute-force oracle to inf
values = st.lists(
    st.one_of(st.just(0.0), st.floats(1e-6, 1e4, allow_nan=False)), min_size=1, max_size=40
)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_gini_equals_pairwise_definition(data: st.DataObject) -> None:
    x = np.array(data.draw(values))
    w = np.array(data.draw(st.lists(st.floats(0.01, 1e4), min_size=len(x), max_size=len(x))))
    if np.sum(w * x) <= 0:
        assert np.isnan(gini(x, w))
        return
    assert gini(x, w) == pytest.approx(gini_brute(x, w), rel=1e-9, abs=1e-12)


def test_weighted_gini_equals_replicated_data() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 5, 30)
    w = rng.integers(1, 6, 30)
    assert gini(x, w) == pytest.approx(gini(np.repeat(x, w)), rel=1e-12)


def test_gini_known_values_and_errors() -> None:
    assert gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)
    assert np.isnan(gini([0, 0]))
    with pytest.raises(ValueError, match=">= 0"):
        gini([-1, 2])
    with pytest.raises(ValueError, match="missing"):
        gini([np.nan, 2])
    with pytest.raises(ValueError, match="one value per entry"):
        gini([1, 2], [1])
    with pytest.raises(ValueError, match="sum to zero"):
        gini([1, 2], [0, 0])
    with pytest.raises(ValueError, match="empty"):
        gini([])


def test_fractional_rank_and_ties() -> None:
    assert fractional_rank([3, 1, 2]).tolist() == pytest.approx([5 / 6, 1 / 6, 1 / 2])
    # weights 1, 3: first unit spans [0, .25) → .125; second [.25, 1) → .625
    assert fractional_rank([1, 2], [1, 3]).tolist() == pytest.approx([0.125, 0.625])
    # ties share the mid-point of the group
    assert fractional_rank([1, 1, 2]).tolist() == pytest.approx([1 / 3, 1 / 3, 5 / 6])


def test_concentration_index_equals_covariance_formula() -> None:
    rng = np.random.default_rng(9)
    x = rng.uniform(0, 3, 200)
    r = rng.normal(size=200)
    w = rng.uniform(1, 100, 200)
    rank = fractional_rank(r, w)
    cov = np.cov(x, rank, aweights=w, bias=True)[0, 1]
    mu = np.average(x, weights=w)
    assert concentration_index(x, r, w) == pytest.approx(2 * cov / mu, rel=1e-10)


def test_concentration_index_ranked_by_itself_is_gini() -> None:
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 10, 100)
    w = rng.uniform(1, 50, 100)
    assert concentration_index(x, x, w) == pytest.approx(gini(x, w), rel=1e-10)
    assert concentration_index([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-0.25)
    assert concentration_index([2, 2, 2], [1, 2, 3]) == pytest.approx(0.0, abs=1e-15)
    assert np.isnan(concentration_index([0, 0], [1, 2]))
    with pytest.raises(ValueError, match="rank_by must have"):
        concentration_index([1, 2], [1])


def test_share_below_is_strict() -> None:
    assert share_below([0, 1, 2, 3], 2, [10, 10, 10, 70]) == pytest.approx(0.2)
    assert share_below([1, 1], 1) == 0.0
    with pytest.raises(ValueError, match="threshold"):
        share_below([1], float("nan"))
