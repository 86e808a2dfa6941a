"""Comparing a value with its target: met, gap, need and excess, in exact arithmetic.

``value = numerator / denominator × factor``. All decisions are made on exact fractions
(targets read through their decimal text), so ``need`` is exactly the smallest whole number of
numerator units that makes the target met: with ``need`` units it is met, with ``need - 1`` it
is not.

Definitions (numerator units, the denominator held fixed):

``at_least``
    ``need`` = units to **add** to reach the lower bound; ``excess`` = NA (no upper bound).
``at_most``
    ``need`` = units to **remove** to come down to the upper bound (equivalently, for a
    per-capita value, the denominator would have to grow); ``excess`` = the same number.
``range``
    a level to **reach** (the default; the 示范县 standard asks counties to *reach* 0.6–0.8
    TCM GPs per 10,000): met within or above it, judged like ``at_least`` on the low end;
    ``need`` = units to add to reach the low end, ``excess`` 0 (nothing to remove).
``range`` with ``band=True``
    (the registry gives the indicator a ``range_band_reason``): both ends bind. Below:
    ``need`` = units to add to reach the low end (``excess`` 0); inside: both 0; above the
    high end: ``met`` is False, ``need`` is NA (adding cannot help) and ``excess`` = units to
    remove to come down to the high end. When the band is narrower than one unit (no whole
    number of units lands in it) ``need`` is NA.
``equals``
    a range whose ends are equal: ``need`` = units to add when below (NA when no whole number
    of units gives the value exactly), NA when above; ``excess`` = units to remove when above.
``boolean``
    met when the value is non-zero (target yes) or zero (target no); ``need`` 0 when met, else NA.
``none``
    no numeric target: ``met`` and ``need`` are NA.

``gap`` is the signed margin to the target in the indicator's unit: ``value − low`` for
``at_least`` and a ``range`` to reach, ``high − value`` for ``at_most``, the smaller of the two
for a band and ``equals``; ``gap >= 0`` exactly when the target is met.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from tcmcounty.indicators.kinds import exact
from tcmcounty.indicators.model import Target


@dataclass(frozen=True)
class Assessment:
    """Result of :func:`assess`; ``None`` stands for NA."""

    value: float | None
    met: bool | None
    gap: float | None
    need: int | None
    excess: int | None


def _ceil(x: Fraction) -> int:
    return math.ceil(x)


def assess(
    numerator: object,
    denominator: object,
    factor: int | float,
    target: Target | None,
    *,
    band: bool = False,
) -> Assessment:
    """Compare ``numerator / denominator × factor`` with ``target``.

    Parameters
    ----------
    numerator, denominator : int, float, Fraction or None
        Aggregated inputs; ``None`` means not reported.
    factor : int or float
        Multiplier (1, 100, 1,000, 10,000).
    target : Target or None
        The target; ``None`` gives ``met`` NA.
    band : bool, default False
        Whether a ``range`` target is a band that both ends bind (above the top is not met);
        by default a range is a level to reach, met within or above it.

    Returns
    -------
    Assessment
        ``value`` is NA when an input is missing or the denominator is zero (never ``inf``).

    Raises
    ------
    ValueError
        If ``factor`` is not positive or an input is negative.

    Examples
    --------
    30 village clinics, 2 with a 中医阁, target at least 10 %: one more is needed
    (3/30 = 10 %).

    >>> t = Target("T-ZYG-PAV", "at_least", low=10)
    >>> a = assess(2, 30, 100, t)
    >>> round(a.value, 2), a.met, a.need
    (6.67, False, 1)
    >>> assess(3, 30, 100, t).met
    True

    A range is a level to reach unless it is a band: 1.13 per 10,000 against 0.6–0.8.

    >>> r = Target("T-TCMGP", "range", low=0.6, high=0.8)
    >>> assess(113, 1_000_000, 10_000, r).met, assess(113, 1_000_000, 10_000, r, band=True).met
    (True, False)
    """
    if not isinstance(factor, (int, float)) or isinstance(factor, bool) or factor <= 0:
        raise ValueError(f"factor must be a positive number, not {factor!r}")
    if numerator is None or denominator is None:
        return Assessment(None, None, None, None, None)
    num, den, fac = exact(numerator), exact(denominator), exact(factor)
    if num < 0 or den < 0:
        raise ValueError(
            f"numerator and denominator must be >= 0, not {numerator!r} / {denominator!r}"
        )
    if den == 0:
        return Assessment(None, None, None, None, None)
    value = num * fac / den
    if target is None or target.kind == "none":
        return Assessment(float(value), None, None, None, None)
    lo = exact(target.low) if target.low is not None else None
    hi = exact(target.high) if target.high is not None else None
    # units of numerator per unit of value
    per = den / fac
    if target.kind == "boolean":
        met = (value != 0) == bool(lo)
        return Assessment(float(value), met, None, 0 if met else None, None)
    if target.kind == "at_least" or (target.kind == "range" and not band):
        assert lo is not None
        gap = value - lo
        need: int | None = max(0, _ceil(lo * per - num))
        return Assessment(
            float(value), gap >= 0, float(gap), need, None if target.kind == "at_least" else 0
        )
    if target.kind == "at_most":
        assert hi is not None
        gap = hi - value
        remove = max(0, _ceil(num - hi * per))
        return Assessment(float(value), gap >= 0, float(gap), remove, remove)
    assert lo is not None and hi is not None  # band, equals
    gap = min(value - lo, hi - value)
    if value > hi:
        return Assessment(float(value), False, float(gap), None, _ceil(num - hi * per))
    need = max(0, _ceil(lo * per - num))
    if need and (num + need) * fac / den > hi:
        need = None  # the band is narrower than one unit: no whole number of units lands in it
    return Assessment(float(value), gap >= 0, float(gap), need, 0)
