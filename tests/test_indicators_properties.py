"""Property tests: ``need`` is the smallest whole number of units that meets the target."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_indicators_bundle import T1, T2, base_tables, make_county

from tcmcounty import County
from tcmcounty.indicators import Target, assess, compute

FACTORS = st.sampled_from([1, 100, 1000, 10000])
COUNTS = st.integers(min_value=0, max_value=2_000_000)
POPULATIONS = st.integers(min_value=1, max_value=3_000_000)
# targets as written in target files: decimals with up to 2 places
BOUNDS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("120"), places=2).map(float)


def met(num: int, den: int, factor: int, t: Target, band: bool = False) -> bool:
    return bool(assess(num, den, factor, t, band=band).met)


@given(num=COUNTS, den=POPULATIONS, factor=FACTORS, low=BOUNDS)
def test_at_least_need_is_smallest(num: int, den: int, factor: int, low: float) -> None:
    t = Target("T-X", "at_least", low=low)
    a = assess(num, den, factor, t)
    assert a.need is not None and a.need >= 0
    assert (a.need == 0) == bool(a.met)
    assert met(num + a.need, den, factor, t)
    if a.need > 0:
        assert not met(num + a.need - 1, den, factor, t)
    # the decision agrees with exact arithmetic on the decimal target
    assert bool(a.met) == (Fraction(num * factor, den) >= Fraction(str(low)))


@given(num=COUNTS, den=POPULATIONS, factor=FACTORS, high=BOUNDS)
def test_at_most_need_is_smallest_removal(num: int, den: int, factor: int, high: float) -> None:
    t = Target("T-X", "at_most", high=high)
    a = assess(num, den, factor, t)
    assert a.need is not None and 0 <= a.need <= num and a.excess == a.need
    assert (a.need == 0) == bool(a.met)
    assert met(num - a.need, den, factor, t)
    if a.need > 0:
        assert not met(num - a.need + 1, den, factor, t)


@given(num=COUNTS, den=POPULATIONS, factor=FACTORS, low=BOUNDS, width=BOUNDS)
def test_range_to_reach_is_at_least_its_low_end(
    num: int, den: int, factor: int, low: float, width: float
) -> None:
    """A range that is not a band is met within or above it: the low end decides, as ``at_least``."""
    high = float(Decimal(str(low)) + Decimal(str(width)))
    a = assess(num, den, factor, Target("T-X", "range", low=low, high=high))
    b = assess(num, den, factor, Target("T-X", "at_least", low=low))
    assert (a.value, a.met, a.gap, a.need) == (b.value, b.met, b.gap, b.need)
    assert a.excess == 0


@given(num=COUNTS, den=POPULATIONS, factor=FACTORS, low=BOUNDS, width=BOUNDS)
def test_band_need_and_excess(num: int, den: int, factor: int, low: float, width: float) -> None:
    high = float(Decimal(str(low)) + Decimal(str(width)))
    t = Target("T-X", "range", low=low, high=high)
    a = assess(num, den, factor, t, band=True)
    value = Fraction(num * factor, den)
    if value > Fraction(str(high)):  # above the band: adding cannot help
        assert not a.met and a.need is None and a.excess is not None and a.excess > 0
        hi = Fraction(str(high))  # removing `excess` units is the least that comes down to the top
        assert Fraction((num - a.excess) * factor, den) <= hi
        assert Fraction((num - a.excess + 1) * factor, den) > hi
        return
    assert a.excess == 0
    if a.need is None:  # band narrower than one unit: no whole number of units lands in it
        k = math.ceil(Fraction(str(low)) * den / factor) - num
        assert not met(num + k, den, factor, t, band=True) and not met(
            num + k - 1, den, factor, t, band=True
        )
        return
    assert (a.need == 0) == bool(a.met)
    assert met(num + a.need, den, factor, t, band=True)
    if a.need > 0:
        assert not met(num + a.need - 1, den, factor, t, band=True)


@given(num=COUNTS, den=POPULATIONS, factor=FACTORS)
def test_zero_or_missing_denominator_is_never_inf(num: int, den: int, factor: int) -> None:
    t = Target("T-X", "at_least", low=1.0)
    for a in (
        assess(num, 0, factor, t),
        assess(None, den, factor, t),
        assess(num, None, factor, t),
    ):
        assert (a.value, a.met, a.gap, a.need, a.excess) == (None, None, None, None, None)


def test_decimal_targets_are_exact() -> None:
    """0.1 × 30 is 3.0000000000000004 in floating point; the need is still 3, not 4."""
    t = Target("T-ZYG-PAV", "at_least", low=10)
    assert assess(0, 30, 100, t).need == 3
    assert assess(3, 30, 100, t).met
    doc = Target("T-DOC", "at_least", low=3.2)
    assert assess(3199, 1_000_000, 1000, doc).need == 1  # 3.2 × 1,000 = 3,200 physicians
    assert assess(3200, 1_000_000, 1000, doc).met


def test_range_band_narrower_than_one_unit() -> None:
    """1,000 residents: one TCM GP is 10 per 10,000, so the band 0.6–0.8 cannot be met: need NA."""
    t = Target("T-TCMGP", "range", low=0.6, high=0.8)
    a = assess(0, 1000, 10000, t, band=True)
    assert a.met is False and a.need is None and a.excess == 0
    reach = assess(0, 1000, 10000, t)  # as a level to reach, one GP (10 per 10,000) meets it
    assert reach.met is False and reach.need == 1 and assess(1, 1000, 10000, t).met


def test_equals_and_boolean_targets() -> None:
    eq = Target("T-X", "equals", low=50.0, high=50.0)
    assert assess(1, 4, 100, eq).need == 1 and not assess(1, 4, 100, eq).met
    assert assess(3, 4, 100, eq).need is None and assess(3, 4, 100, eq).excess == 1
    assert assess(1, 3, 100, eq).need is None  # 50 % of 3 is not a whole number
    yes = Target("T-X", "boolean", low=1.0)
    assert assess(2, 1, 1, yes).met and assess(2, 1, 1, yes).need == 0
    assert assess(0, 1, 1, yes).met is False and assess(0, 1, 1, yes).need is None


def test_assess_rejects_bad_factor_and_negative_counts() -> None:
    t = Target("T-X", "at_least", low=1.0)
    with pytest.raises(ValueError, match="factor"):
        assess(1, 2, 0, t)
    with pytest.raises(ValueError, match="numerator"):
        assess(-1, 2, 1, t)


@settings(max_examples=15, deadline=None)
# n >= 2: one clinic in each of the two townships with 行政村, or the roster is incomplete
@given(n=st.integers(min_value=2, max_value=60), pav=st.integers(min_value=0, max_value=60))
def test_adding_need_pavilions_to_a_county_meets_the_target(
    tmp_path_factory: pytest.TempPathFactory, n: int, pav: int
) -> None:
    """Through the whole engine: give ``need`` more clinics a 中医阁 and the county meets 10 %."""
    assume(pav <= n)
    folder: Path = tmp_path_factory.mktemp("pav")

    def county(k: int) -> County:
        t = base_tables()
        t["facilities"] = [
            f
            for f in t["facilities"]  # type: ignore[attr-defined]
            if f["type"] not in ("village_clinic", "community_health_station")
        ]
        t["facilities"] += [
            {
                "id": f"V{i}",
                "name": f"第{i}村卫生室",
                "type": "village_clinic",  # type: ignore[operator]
                # one in each township with villages: a complete roster (tcmcounty.roster)
                "township_code": T1 if i == 0 else T2,
                "has_tcm_pavilion": "是" if i < k else "否",
                "provides_tcm": "是",
            }
            for i in range(n)
        ]
        t["alliances"] = []
        return make_county(folder / f"k{k}", t)

    def pav_row(k: int) -> pd.Series:
        df = compute(county(k), indicators=["T-ZYG-PAV"])
        return df.iloc[0]

    r = pav_row(pav)
    need = int(r["need"])
    assert need == max(0, math.ceil(n / 10) - pav)  # ceil(0.1 × n) − existing
    if need:
        assert bool(pav_row(pav + need)["met"])
        assert not bool(pav_row(pav + need - 1)["met"])
    else:
        assert bool(r["met"])
