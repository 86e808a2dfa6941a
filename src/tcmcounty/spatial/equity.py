"""Equity of accessibility across villages and townships: Gini, concentration index, share below.

All measures are population-weighted: each village (or township) counts with its population,
so a measure describes residents, not places.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tcmcounty.errors import ArgumentError

FloatArray = npt.NDArray[np.float64]


def _prepare(
    values: npt.ArrayLike, weights: npt.ArrayLike | None, name: str = "values"
) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(values, dtype=float).ravel()
    if weights is None:
        w = np.ones_like(x)
    else:
        w = np.asarray(weights, dtype=float).ravel()
        if w.shape != x.shape:
            raise ArgumentError(
                f"weights must have one value per entry of {name} ({len(x)}), not {len(w)}"
            )
        if not np.isfinite(w).all() or (w < 0).any():
            raise ArgumentError("weights must be finite numbers >= 0")
    if len(x) == 0:
        raise ArgumentError(f"{name} is empty")
    if not np.isfinite(x).all():
        raise ArgumentError(f"{name} has {int((~np.isfinite(x)).sum())} missing or infinite values")
    if w.sum() <= 0:
        raise ArgumentError("weights sum to zero")
    return x, w


def gini(values: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> float:
    r"""Population-weighted Gini coefficient of a non-negative quantity.

    Parameters
    ----------
    values : array_like
        E.g. accessibility per village (>= 0, no missing values).
    weights : array_like, optional
        E.g. village population (>= 0); default equal weights.

    Returns
    -------
    float
        In [0, 1): 0 when everyone has the same value; NaN when every value is 0 (undefined).

    Raises
    ------
    ValueError
        On negative or missing values, or weights of the wrong length, negative or all zero.

    Notes
    -----
    .. math:: G = \frac{\sum_i \sum_j w_i w_j |x_i - x_j|}{2 W^2 \mu},
              \qquad W = \sum_i w_i, \quad \mu = \frac{1}{W}\sum_i w_i x_i

    computed in O(n log n) after sorting by ``x`` as
    :math:`G = \sum_i w_i x_i (W_{<i} - W_{>i}) / (W^2 \mu)`, with :math:`W_{<i}` and
    :math:`W_{>i}` the weight below and above position ``i``. With integer weights this equals
    the Gini of the data with each value repeated ``w_i`` times.

    Examples
    --------
    >>> gini([1, 1, 1, 1])
    0.0
    >>> round(gini([0, 0, 0, 1]), 6)
    0.75
    >>> round(gini([0, 1], weights=[3, 1]), 6)
    0.75
    """
    x, w = _prepare(values, weights)
    if (x < 0).any():
        raise ArgumentError("gini: values must be >= 0")
    total = float(np.sum(w * x))
    if total <= 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cum = np.cumsum(ws)
    big_w = cum[-1]
    below = cum - ws
    above = big_w - cum
    return float(np.sum(ws * xs * (below - above)) / (big_w * total))


def fractional_rank(rank_by: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> FloatArray:
    """Weighted fractional rank in (0, 1): the mid-point of each unit's weight share.

    Ties in ``rank_by`` share the mean rank of their group.

    Notes
    -----
    :math:`R_i = W_{<i}/W + w_i/(2W)` after sorting by ``rank_by`` (Kakwani, Wagstaff &
    van Doorslaer 1997).

    Examples
    --------
    >>> fractional_rank([30, 10, 20]).tolist()
    [0.8333333333333334, 0.16666666666666666, 0.5]
    """
    r, w = _prepare(rank_by, weights, "rank_by")
    order = np.argsort(r, kind="stable")
    ws = w[order]
    cum = np.cumsum(ws)
    big_w = cum[-1]
    mid = (cum - ws / 2.0) / big_w
    rs = r[order]
    # average over ties: weighted by w, the tie group's ranks average to its mid-point
    start = np.r_[True, rs[1:] != rs[:-1]]
    group = np.cumsum(start) - 1
    gw = np.bincount(group, weights=ws)
    gm = np.bincount(group, weights=ws * mid)
    with np.errstate(invalid="ignore", divide="ignore"):
        gmean = np.where(
            gw > 0,
            gm / np.where(gw > 0, gw, 1),
            np.bincount(group, weights=mid) / np.bincount(group),
        )
    out: FloatArray = np.empty_like(mid)
    out[order] = gmean[group]
    return out


def concentration_index(
    values: npt.ArrayLike, rank_by: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> float:
    r"""Concentration index of ``values`` ranked by ``rank_by`` (Wagstaff, Paci & van Doorslaer 1991).

    Parameters
    ----------
    values : array_like
        E.g. accessibility per village.
    rank_by : array_like
        Ranking variable per village, low to high (e.g. income, or minus remoteness).
    weights : array_like, optional
        Population weights.

    Returns
    -------
    float
        In [-1, 1]: negative when ``values`` concentrate among low ranks, positive among high
        ranks, 0 when unrelated to rank. NaN when the weighted mean of ``values`` is 0.

    Raises
    ------
    ValueError
        On missing values or mismatched lengths.

    Notes
    -----
    .. math:: C = \frac{2}{\mu} \operatorname{cov}_w(x, R)
              = \frac{2}{W\mu} \sum_i w_i x_i R_i - 1

    with :math:`R_i` the weighted fractional rank (:func:`fractional_rank`; tied ranks
    averaged). Ranking ``x`` by itself gives the Gini coefficient.

    Wagstaff A., Paci P., van Doorslaer E. (1991) On the measurement of inequalities in
    health. Social Science & Medicine 33(5):545–557.

    Examples
    --------
    >>> round(concentration_index([1, 2, 3, 4], rank_by=[1, 2, 3, 4]), 6)
    0.25
    >>> round(concentration_index([4, 3, 2, 1], rank_by=[1, 2, 3, 4]), 6)
    -0.25
    """
    x, w = _prepare(values, weights)
    r = np.asarray(rank_by, dtype=float).ravel()
    if r.shape != x.shape:
        raise ArgumentError(
            f"rank_by must have one value per entry of values ({len(x)}), not {len(r)}"
        )
    rank = fractional_rank(r, w)
    big_w = w.sum()
    mu = float(np.sum(w * x) / big_w)
    if mu == 0:
        return float("nan")
    return float(2.0 / (big_w * mu) * np.sum(w * x * rank) - 1.0)


def share_below(
    values: npt.ArrayLike, threshold: float, weights: npt.ArrayLike | None = None
) -> float:
    """Share of the (weighted) population whose value is strictly below ``threshold``.

    Examples
    --------
    >>> share_below([0, 1, 2, 3], 2, weights=[10, 10, 10, 70])
    0.2
    """
    x, w = _prepare(values, weights)
    if not isinstance(threshold, (int, float, np.integer, np.floating)) or not np.isfinite(
        threshold
    ):
        raise ArgumentError(f"threshold must be a finite number, not {threshold!r}")
    return float(w[x < threshold].sum() / w.sum())
