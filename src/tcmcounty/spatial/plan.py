"""Site planning: which village clinics to upgrade to a 中医阁 to cover the most residents.

The demonstration-county standard asks that at least a target share (10 %) of village clinics
and community health stations have a 中医阁 (TCM corner). :func:`plan_sites` chooses which
clinics without one to upgrade so that the target is met while the newly covered population
(residents of villages within a radius or travel time of a 中医阁) is as large as possible.
Existing 中医阁 stay where they are and the residents they already reach count as covered.

This is the maximal covering location problem (MCLP) of Church & ReVelle (1974) with fixed
facilities. It is solved by the greedy algorithm with lazy evaluation (Minoux 1978), which
reaches at least ``1 − 1/e ≈ 63.2 %`` of the optimum because coverage is a monotone
submodular function (Nemhauser, Wolsey & Fisher 1978); in practice it reaches 98–100 %. By
default the greedy set is then polished by improving 1-swaps (the vertex substitution of Teitz &
Bart 1968), which can only increase coverage. For small instances the exact optimum is computed
with spopt's MCLP integer programme (PuLP/CBC) for comparison.

References
----------
Church R., ReVelle C. (1974) The maximal covering location problem. Papers of the Regional
Science Association 32:101–118.
Nemhauser G., Wolsey L., Fisher M. (1978) An analysis of approximations for maximizing
submodular set functions — I. Mathematical Programming 14:265–294.
Minoux M. (1978) Accelerated greedy algorithms for maximizing submodular set functions.
Optimization Techniques, Lecture Notes in Control and Information Sciences 7:234–243.
Teitz M., Bart P. (1968) Heuristic methods for estimating the generalized vertex median of a
weighted graph. Operations Research 16(5):955–961.
"""

from __future__ import annotations

import heapq
import math
import os
import re
import time
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from tcmcounty.county import weakest_status
from tcmcounty.errors import ArgumentError, ArgumentTypeError, TcmCountyError
from tcmcounty.spatial import coverage
from tcmcounty.spatial.pairs import Costs, county_crs, metric_xy

if TYPE_CHECKING:
    from tcmcounty.county import County

#: Facility types that can host a 中医阁 and make up the denominator of the target share.
CANDIDATE_TYPES: tuple[str, ...] = ("village_clinic", "community_health_station")

#: Target share of village clinics and community health stations with a 中医阁.
DEFAULT_TARGET_SHARE = 0.10
#: Default covering radius: 2 km straight line.
DEFAULT_RADIUS_M = 2000.0
#: Default covering travel time when a travel-time table is given.
DEFAULT_RADIUS_MIN = 15.0
#: ``compare_optimal=None`` solves the ILP when (relevant villages × sites) is at most this.
AUTO_OPTIMAL_CELLS = 60_000

_E_BOUND = 1.0 - 1.0 / math.e

#: Columns of the ranked table with their Chinese headers (for reports).
COLUMN_LABELS: dict[str, str] = {
    "rank": "序号",
    "facility_id": "机构编号",
    "facility_name": "机构名称",
    "facility_type": "机构类型",
    "village_code": "村代码",
    "village_name": "村名称",
    "township_code": "乡镇代码",
    "township_name": "乡镇名称",
    "new_villages": "新增覆盖村数",
    "new_population": "新增覆盖人口",
    "cumulative_new_population": "累计新增覆盖人口",
    "covered_population": "累计覆盖人口",
    "covered_share": "覆盖人口占比",
    "pavilion_share": "设中医阁机构占比",
}

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------- small helpers


def pavilions_needed(n_clinics: int, n_existing: int, target_share: float) -> int:
    """Return how many new 中医阁 reach a target share of clinics and stations.

    The count is ``ceil(target_share × n_clinics) − n_existing`` and never below zero. The share
    is read as the decimal the user wrote (``0.1`` is exactly one tenth), so ``0.1 × 30`` needs
    3 sites, not 4 as binary floating point (``3.0000000000000004``) would give.

    Parameters
    ----------
    n_clinics : int
        Village clinics plus community health stations in the county.
    n_existing : int
        Those that already have a 中医阁.
    target_share : float
        Target share in ``[0, 1]``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If a count is negative, ``n_existing > n_clinics`` or the share is outside ``[0, 1]``.

    Examples
    --------
    >>> pavilions_needed(30, 0, 0.1)
    3
    >>> pavilions_needed(553, 12, 0.1)
    44
    >>> pavilions_needed(100, 15, 0.1)
    0
    """
    for name, v in (("n_clinics", n_clinics), ("n_existing", n_existing)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ArgumentTypeError(f"{name} must be an int, not {type(v).__name__}")
        if v < 0:
            raise ArgumentError(f"{name} must be >= 0, not {v}")
    if n_existing > n_clinics:
        raise ArgumentError(f"n_existing ({n_existing}) cannot exceed n_clinics ({n_clinics})")
    share = _check_share(target_share)
    need = math.ceil(Fraction(repr(float(share))) * int(n_clinics)) - int(n_existing)
    return max(0, need)


def _check_share(target_share: object) -> float:
    if isinstance(target_share, bool) or not isinstance(target_share, (int, float, np.number)):
        raise ArgumentTypeError(f"target_share must be a number, not {type(target_share).__name__}")
    share = float(target_share)
    if not (0.0 <= share <= 1.0):
        raise ArgumentError(
            f"target_share must be between 0 and 1 (e.g. 0.1 for 10 %), not {share!r}"
        )
    return share


def parse_radius(value: float | str, default_unit: str = "m") -> tuple[float, str]:
    """Parse a radius such as ``"2km"``, ``"500m"``, ``"15min"``, a preset or a bare number.

    A thin wrapper of :func:`tcmcounty.spatial.coverage.parse_threshold` returning ``(value, unit)``.

    Parameters
    ----------
    value : float or str
        The radius. A bare number is in ``default_unit``.
    default_unit : {"m", "km", "min"}
        Unit of a bare number.

    Returns
    -------
    tuple of (float, str)
        The value in metres (unit ``"m"``) or minutes (unit ``"min"``).

    Examples
    --------
    >>> parse_radius("2km")
    (2000.0, 'm')
    >>> parse_radius("15min")
    (15.0, 'min')
    >>> parse_radius(2, default_unit="km")
    (2000.0, 'm')
    """
    from tcmcounty.spatial.coverage import parse_threshold

    try:
        t = parse_threshold(value, default_unit)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"radius: {exc}") from None
    return float(t.value), t.unit


# --------------------------------------------------------------------------- the solvers


@dataclass(frozen=True)
class Selection:
    """A set of chosen sites and what they cover (result of :func:`greedy_mclp`/:func:`optimal_mclp`).

    Attributes
    ----------
    chosen : numpy.ndarray of int64
        Supply positions chosen, in the order they were added (greedy) or ascending (optimum).
    gains : numpy.ndarray of float64
        Weight newly covered by each chosen site given the sites before it.
    objective : float
        Weight newly covered by all chosen sites together (fixed sites excluded).
    base : float
        Weight already covered by the fixed sites.
    upper_bound : float
        An upper bound on the optimal objective (greedy only; ``nan`` for the optimum).
    evaluations : int
        Marginal-gain evaluations made (greedy; shows the saving of lazy evaluation).
    seconds : float
        Wall time of the solve.
    status : str
        ``"greedy"``, ``"greedy+swap"``, ``"optimal"`` or ``"feasible"`` (solver stopped by a
        time limit).
    greedy_objective : float
        Objective of the plain greedy solution (before any swap).
    swaps : int
        Improving 1-swaps made after the greedy (``improve=True``).
    """

    chosen: IntArray
    gains: FloatArray
    objective: float
    base: float
    upper_bound: float = float("nan")
    evaluations: int = 0
    seconds: float = 0.0
    status: str = "greedy"
    greedy_objective: float = float("nan")
    swaps: int = 0


def _coverage_inputs(
    costs: Costs,
    weights: npt.ArrayLike,
    p: int,
    candidates: npt.ArrayLike,
    fixed: npt.ArrayLike | None,
    radius: float | None,
) -> tuple[Costs, FloatArray, int, IntArray, IntArray]:
    if not isinstance(costs, Costs):
        raise ArgumentTypeError(
            f"costs must be a tcmcounty.spatial.pairs.Costs, not {type(costs).__name__}"
        )
    n_dem, n_sup = costs.shape
    w = np.asarray(weights, dtype=float).reshape(-1)
    if len(w) != n_dem:
        raise ArgumentError(f"weights has {len(w)} values but costs has {n_dem} demand points")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise ArgumentError("weights must be finite numbers >= 0 (use 0 for unknown population)")
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        raise ArgumentTypeError(f"p must be an int, not {type(p).__name__}")
    if p < 0:
        raise ArgumentError(f"p must be >= 0, not {p}")
    cand = np.asarray(candidates, dtype=np.int64).reshape(-1)
    fix = np.asarray([] if fixed is None else fixed, dtype=np.int64).reshape(-1)
    for name, arr in (("candidates", cand), ("fixed", fix)):
        if len(arr) and (arr.min() < 0 or arr.max() >= n_sup):
            raise ArgumentError(f"{name} holds supply positions outside 0..{n_sup - 1}")
    if len(np.unique(cand)) != len(cand):
        raise ArgumentError("candidates has duplicate positions")
    if np.intersect1d(cand, fix).size:
        raise ArgumentError("a site cannot be both a candidate and fixed")
    if radius is not None:
        costs = costs.within(float(radius))
    # A travel-time table may list a pair twice: a village is covered once.
    if costs.n_pairs > 1:
        dup = np.r_[False, (costs.row[1:] == costs.row[:-1]) & (costs.col[1:] == costs.col[:-1])]
        if dup.any():
            keep = ~dup
            costs = Costs(
                costs.row[keep],
                costs.col[keep],
                costs.cost[keep],
                costs.shape,
                costs.unit,
                costs.max_cost,
            )
    return costs, w, int(p), cand, fix


@dataclass(frozen=True)
class _Cover:
    """Candidate k covers demand rows ``rows[ptr[k]:ptr[k + 1]]``; ``fixed_cnt`` counts fixed sites."""

    rows: IntArray
    ks: IntArray
    ptr: IntArray
    fixed_cnt: IntArray


def _cover(costs: Costs, cand: IntArray, fix: IntArray) -> _Cover:
    n_dem, n_sup = costs.shape
    is_fixed = np.zeros(n_sup, dtype=bool)
    is_fixed[fix] = True
    fixed_cnt = np.bincount(costs.row[is_fixed[costs.col]], minlength=n_dem).astype(np.int64)
    kpos = np.full(n_sup, -1, dtype=np.int64)
    kpos[cand] = np.arange(len(cand))
    k_of_pair = kpos[costs.col]
    keep = k_of_pair >= 0
    order = np.argsort(k_of_pair[keep], kind="stable")
    rows = costs.row[keep][order]
    ks = k_of_pair[keep][order]
    ptr = np.zeros(len(cand) + 1, dtype=np.int64)
    np.cumsum(np.bincount(ks, minlength=len(cand)), out=ptr[1:])
    return _Cover(rows, ks, ptr, fixed_cnt)


def _lazy_greedy(
    cov: _Cover, w: FloatArray, p: int, allowed: IntArray
) -> tuple[list[int], list[float], int]:
    """Lazy greedy over candidate positions ``allowed`` (tie-break: order in ``allowed``)."""
    w_open = np.where(cov.fixed_cnt > 0, 0.0, w)
    rows, ptr = cov.rows, cov.ptr
    heap: list[tuple[float, int, int]] = []
    for order, k in enumerate(allowed.tolist()):
        heap.append((-float(w_open[rows[ptr[k] : ptr[k + 1]]].sum()), order, 0))
    heapq.heapify(heap)
    chosen: list[int] = []
    gains: list[float] = []
    evaluations = len(heap)
    while len(chosen) < min(p, len(allowed)):
        neg, order, stamp = heapq.heappop(heap)
        k = int(allowed[order])
        r = rows[ptr[k] : ptr[k + 1]]
        if stamp == len(chosen):  # evaluated this round: the exact maximum
            chosen.append(k)
            gains.append(-neg)
            w_open[r] = 0.0
            continue
        evaluations += 1
        heapq.heappush(heap, (-float(w_open[r].sum()), order, len(chosen)))
    return chosen, gains, evaluations


def _remaining_gains(cov: _Cover, w: FloatArray, chosen: list[int], n_cand: int) -> FloatArray:
    cnt = cov.fixed_cnt.copy()
    for k in chosen:
        cnt[cov.rows[cov.ptr[k] : cov.ptr[k + 1]]] += 1
    u = np.where(cnt == 0, w, 0.0)
    rest = (  # with weights, bincount returns floats
        cast(FloatArray, np.bincount(cov.ks, weights=u[cov.rows], minlength=n_cand))
        if n_cand
        else np.zeros(0)
    )
    if chosen:
        rest[np.asarray(chosen)] = 0.0
    return rest


def _swap_improve(
    cov: _Cover, w: FloatArray, chosen: list[int], n_cand: int, max_rounds: int
) -> tuple[list[int], int]:
    """Best-improvement 1-swap local search (Teitz & Bart 1968 vertex substitution)."""
    from scipy import sparse

    p = len(chosen)
    if p == 0 or p >= n_cand or n_cand * p > 20_000_000:
        return chosen, 0
    n_dem = len(w)
    a = sparse.csc_matrix((np.ones(len(cov.rows)), cov.rows, cov.ptr), shape=(n_dem, n_cand))
    at = a.T.tocsr()
    cur = list(chosen)
    in_s = np.zeros(n_cand, dtype=bool)
    in_s[cur] = True
    cnt = cov.fixed_cnt.copy()
    for k in cur:
        cnt[cov.rows[cov.ptr[k] : cov.ptr[k + 1]]] += 1
    tol = 1e-9 * (1.0 + float(w.sum()))
    swaps = 0
    for _ in range(max_rounds):
        u = np.where(cnt == 0, w, 0.0)
        e = np.where(cnt == 1, w, 0.0)
        gain = at @ u  # newly covered by adding k
        a_s = a[:, cur]
        loss = a_s.T @ e  # lost by removing s
        overlap = (at @ sparse.diags(e) @ a_s).toarray()  # lost by s but kept by k
        delta = gain[:, None] - loss[None, :] + overlap
        delta[in_s, :] = -np.inf
        best = int(np.argmax(delta))  # first maximum: lowest candidate order, then slot
        if delta.flat[best] <= tol:
            break
        k_in, slot = divmod(best, p)
        k_out = cur[slot]
        cnt[cov.rows[cov.ptr[k_out] : cov.ptr[k_out + 1]]] -= 1
        cnt[cov.rows[cov.ptr[k_in] : cov.ptr[k_in + 1]]] += 1
        in_s[k_out], in_s[k_in] = False, True
        cur[slot] = k_in
        swaps += 1
    return cur, swaps


def greedy_mclp(
    costs: Costs,
    weights: npt.ArrayLike,
    p: int,
    candidates: npt.ArrayLike,
    fixed: npt.ArrayLike | None = None,
    radius: float | None = None,
    improve: bool = False,
    max_swaps: int | None = None,
) -> Selection:
    """Choose ``p`` candidate sites that newly cover the most weight (lazy greedy MCLP).

    Parameters
    ----------
    costs : Costs
        Demand (rows) × supply (columns) pairs; a pair covers when ``cost <= radius``.
    weights : array_like, shape (n_demand,)
        Population of each demand point (>= 0).
    p : int
        Number of sites to add. When fewer candidates exist, all are chosen.
    candidates : array_like of int
        Supply positions that may be chosen, in tie-break order: among equal gains the one
        listed first wins.
    fixed : array_like of int, optional
        Supply positions already open (existing 中医阁); the demand they cover is never
        counted again and they are never chosen.
    radius : float, optional
        Covering threshold (inclusive, ``<=``). Default: every pair in ``costs`` covers.
    improve : bool, default False
        After the greedy, exchange one chosen site for one unchosen candidate while that
        increases coverage (best improvement first; Teitz & Bart 1968). The final set is then
        ranked again in greedy order. The result is never worse than the plain greedy.
    max_swaps : int, optional
        Limit on improving swaps (default ``10 × p``, fewer on large instances so the swap
        step stays around a second; it is skipped when candidates × p exceeds 2e7).

    Returns
    -------
    Selection
        ``chosen`` in the order of selection with the ``gains`` of each step; ``upper_bound``
        certifies how far from the optimum the result can be at most.

    Notes
    -----
    Coverage ``f(S) = Σ w_i [i covered by S ∪ fixed]`` is monotone submodular, so the greedy
    algorithm reaches ``f(S) >= (1 − 1/e) f(OPT)`` (Nemhauser, Wolsey & Fisher 1978) for the MCLP
    of Church & ReVelle (1974). Lazy evaluation (Minoux 1978) keeps stale gains in a heap as upper
    bounds and re-evaluates only the top entry; an entry evaluated in the current round is the
    exact maximum. Ties go to the earlier candidate, so the result is identical to the plain
    greedy algorithm and deterministic. Each evaluation costs the number of demand points the
    site covers; nothing of size demand × supply is built (the optional swap step builds a
    dense candidates × p array).

    ``upper_bound`` is the smaller of ``f(S_greedy) / (1 − 1/e)`` and the data-dependent bound
    ``f(S) + Σ`` of the ``p`` largest remaining marginal gains (which holds for any ``S``,
    Minoux 1978); ``objective / upper_bound`` is a guaranteed approximation ratio for this
    instance without solving the integer programme.

    Examples
    --------
    >>> import numpy as np
    >>> from tcmcounty.spatial.pairs import Costs
    >>> c = Costs.from_points([[0, 0], [3000, 0], [6000, 0]], [[0, 0], [3000, 0], [6000, 0]], 2000)
    >>> s = greedy_mclp(c, [10, 50, 20], p=1, candidates=[0, 1, 2])
    >>> s.chosen.tolist(), s.objective
    ([1], 50.0)
    >>> greedy_mclp(c, [10, 50, 20], p=1, candidates=[0, 2], fixed=[1]).chosen.tolist()
    [2]
    """
    t0 = time.perf_counter()
    costs, w, p, cand, fix = _coverage_inputs(costs, weights, p, candidates, fixed, radius)
    cov = _cover(costs, cand, fix)
    base = float(w[cov.fixed_cnt > 0].sum())
    allowed = np.arange(len(cand), dtype=np.int64)
    chosen, gains, evaluations = _lazy_greedy(cov, w, p, allowed)
    greedy_obj = float(np.sum(gains)) if gains else 0.0
    swaps = 0
    if improve:
        if max_swaps is None:
            # At most 10 p swaps, and about 2e8 array cells of work (~1 s) in total.
            cells = max(1, len(cand) * max(1, len(chosen)))
            limit = min(10 * max(1, len(chosen)), max(1, 200_000_000 // cells))
        else:
            limit = int(max_swaps)
        final, swaps = _swap_improve(cov, w, chosen, len(cand), limit)
        if swaps:
            chosen, gains, more = _lazy_greedy(
                cov, w, len(final), np.sort(np.asarray(final, dtype=np.int64))
            )
            evaluations += more
    objective = float(np.sum(gains)) if gains else 0.0
    # Data-dependent bound: f(OPT) <= f(S) + sum of the p largest gains w.r.t. S.
    rest = _remaining_gains(cov, w, chosen, len(cand))
    bound = objective + float(np.sort(rest)[::-1][: len(chosen)].sum())
    if greedy_obj > 0:
        bound = min(bound, greedy_obj / _E_BOUND)
    return Selection(
        chosen=cand[np.asarray(chosen, dtype=np.int64)],
        gains=np.asarray(gains, dtype=float),
        objective=objective,
        base=base,
        upper_bound=float(max(bound, objective)),
        evaluations=int(evaluations),
        seconds=time.perf_counter() - t0,
        status="greedy+swap" if improve else "greedy",
        greedy_objective=greedy_obj,
        swaps=int(swaps),
    )


def optimal_mclp(
    costs: Costs,
    weights: npt.ArrayLike,
    p: int,
    candidates: npt.ArrayLike,
    fixed: npt.ArrayLike | None = None,
    radius: float | None = None,
    time_limit: float | None = None,
) -> Selection:
    """Solve the same problem as :func:`greedy_mclp` exactly with spopt's MCLP (PuLP/CBC).

    The integer programme of Church & ReVelle (1974) is built by
    ``spopt.locate.MCLP.from_cost_matrix`` with the fixed sites as predefined facilities
    (``p_facilities`` = fixed + ``p``) and solved by ``pulp.PULP_CBC_CMD(msg=False)``.

    Parameters
    ----------
    costs, weights, p, candidates, fixed, radius
        As in :func:`greedy_mclp`.
    time_limit : float, optional
        Seconds allowed to CBC; when it stops early the result has ``status="feasible"``.

    Returns
    -------
    Selection
        ``objective`` is the newly covered weight (the ILP objective minus what the fixed sites
        cover); ``chosen`` ascending.

    Raises
    ------
    TcmCountyError
        If spopt or PuLP is not installed.

    Notes
    -----
    Exact reductions keep the matrix small: only demand points with weight > 0 that some
    candidate can reach are rows (the others add a constant), and only candidates and the fixed
    sites that reach one of those rows are columns. The ILP needs a dense matrix of
    rows × columns, so use it for county-size instances only.

    Examples
    --------
    >>> from tcmcounty.spatial.pairs import Costs
    >>> c = Costs.from_points([[0, 0], [3000, 0], [6000, 0]], [[0, 0], [3000, 0], [6000, 0]], 2000)
    >>> optimal_mclp(c, [10, 50, 20], p=2, candidates=[0, 1, 2]).objective  # doctest: +SKIP
    70.0
    """
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise TcmCountyError(
            "the exact MCLP comparison needs spopt and PuLP: pip install spopt / 需要安装 spopt"
        ) from exc
    t0 = time.perf_counter()
    costs, w, p, cand, fix = _coverage_inputs(costs, weights, p, candidates, fixed, radius)
    n_dem, n_sup = costs.shape
    p_eff = min(p, len(cand))
    is_cand = np.zeros(n_sup, dtype=bool)
    is_cand[cand] = True
    is_fixed = np.zeros(n_sup, dtype=bool)
    is_fixed[fix] = True
    rows_all = np.zeros(n_dem, dtype=bool)
    rows_all[costs.row[is_fixed[costs.col]]] = True
    base = float(w[rows_all].sum())
    reach = np.zeros(n_dem, dtype=bool)
    reach[costs.row[is_cand[costs.col]]] = True
    reach &= w > 0
    if p_eff == 0 or not reach.any():
        # Nothing to decide: choose the first p candidates, which cover nothing new.
        chosen = np.sort(cand[:p_eff])
        return Selection(
            chosen,
            np.zeros(len(chosen)),
            0.0,
            base,
            float("nan"),
            0,
            time.perf_counter() - t0,
            "optimal",
        )
    pair = reach[costs.row] & (is_cand[costs.col] | is_fixed[costs.col])
    rmap = np.full(n_dem, -1, dtype=np.int64)
    rsel = np.flatnonzero(reach)
    rmap[rsel] = np.arange(len(rsel))
    fix_used = np.unique(costs.col[pair & is_fixed[costs.col]])
    cols = np.concatenate([fix_used, cand])
    cmap = np.full(n_sup, -1, dtype=np.int64)
    cmap[cols] = np.arange(len(cols))
    dense = np.full((len(rsel), len(cols)), np.inf)
    dense[rmap[costs.row[pair]], cmap[costs.col[pair]]] = costs.cost[pair]
    predefined = np.zeros(len(cols), dtype=int)
    predefined[: len(fix_used)] = 1
    threshold = float(costs.max_cost) if radius is None else float(radius)
    with warnings.catch_warnings():
        # PuLP 3.x announces API changes for 4.0 on every variable; they are not ours to fix.
        warnings.simplefilter("ignore", DeprecationWarning)
        model = MCLP.from_cost_matrix(
            dense,
            w[rsel],
            service_radius=threshold,
            p_facilities=int(len(fix_used) + p_eff),
            predefined_facilities_arr=predefined if len(fix_used) else None,
            name="tcmcounty_pavilions",
        )
        if time_limit:
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit)
        else:
            solver = pulp.PULP_CBC_CMD(msg=False)
        model = model.solve(solver, results=False)
    status = (
        "optimal"
        if getattr(model.problem, "sol_status", 1) == pulp.LpSolutionOptimal
        else "feasible"
    )
    xs = np.array([round(v.value() or 0.0) for v in model.fac_vars], dtype=np.int64)
    chosen = np.sort(cols[len(fix_used) :][xs[len(fix_used) :] == 1])
    # Evaluate the chosen set directly (independent of solver tolerances).
    cov = np.zeros(n_dem, dtype=bool)
    open_ = is_fixed.copy()
    open_[chosen] = True
    cov[costs.row[open_[costs.col]]] = True
    objective = float(w[cov].sum()) - base
    return Selection(
        chosen,
        np.full(len(chosen), np.nan),
        objective,
        base,
        float("nan"),
        0,
        time.perf_counter() - t0,
        status,
    )


# --------------------------------------------------------------------------- county planning


@dataclass
class PlanResult:
    """Result of :func:`plan_sites`: the ranked clinics to upgrade and the figures behind them.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per chosen clinic in order of choice; columns :data:`COLUMN_LABELS`.
    objective : float
        Population newly covered by the chosen clinics (greedy).
    target_share : float or None
        The share asked for (``None`` when a number of sites was given).
    sites_requested : int or None
        The number of sites asked for (``None`` when a share was given).
    n_needed : int
        New 中医阁 needed: ``ceil(target_share × n_clinics) − n_existing`` (or ``sites``).
    n_chosen : int
        Sites chosen (< ``n_needed`` only when candidates run out).
    n_clinics, n_existing, n_candidates : int
        Village clinics + community stations; those with a 中医阁; those without (candidates).
    population_total : float
        Population of all villages (the denominator of ``covered_share``).
    population_covered_before, population_covered_after : float
        Covered by existing 中医阁; and after the upgrades.
    radius : float
        Covering threshold (inclusive).
    unit : str
        ``"m"`` (straight line) or ``"min"`` (travel-time table).
    method : str
        How the sites were chosen.
    greedy_objective : float
        Newly covered population of the plain greedy solution (before swaps).
    upper_bound : float
        Proven upper bound on the optimal newly covered population.
    optimal_objective : float or None
        Optimum from spopt's MCLP when computed.
    optimal_ids : list of str or None
        Facility ids of the optimal solution.
    optimal_status : str or None
        ``"optimal"`` or ``"feasible"`` (time limit).
    greedy_seconds, optimal_seconds : float or None
        Solve times.
    status : str or None
        Weakest data status of the inputs (``synthetic`` < ``estimated`` < ``official``).
    warnings : list of str
        Everything the planner should know about the inputs.
    """

    table: pd.DataFrame
    objective: float
    target_share: float | None
    sites_requested: int | None
    n_needed: int
    n_chosen: int
    n_clinics: int
    n_existing: int
    n_candidates: int
    population_total: float
    population_covered_before: float
    population_covered_after: float
    radius: float
    unit: str
    method: str
    greedy_objective: float
    upper_bound: float
    optimal_objective: float | None = None
    optimal_ids: list[str] | None = None
    optimal_status: str | None = None
    greedy_seconds: float = 0.0
    optimal_seconds: float | None = None
    status: str | None = None
    county: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def target_reached(self) -> bool:
        """True when as many sites were chosen as needed."""
        return self.n_chosen >= self.n_needed

    @property
    def ratio(self) -> float | None:
        """Greedy objective / optimum (1.0 when both are 0); ``None`` when not computed."""
        if self.optimal_objective is None:
            return None
        if self.optimal_objective <= 0:
            return 1.0
        return self.objective / self.optimal_objective

    @property
    def guaranteed_ratio(self) -> float:
        """Objective / upper bound: a proven lower bound on greedy / optimum for this instance."""
        return 1.0 if self.upper_bound <= 0 else self.objective / self.upper_bound

    @property
    def pavilion_share_before(self) -> float:
        """Share of clinics and stations with a 中医阁 before the upgrades."""
        return self.n_existing / self.n_clinics if self.n_clinics else float("nan")

    @property
    def pavilion_share_after(self) -> float:
        """Share of clinics and stations with a 中医阁 after the upgrades."""
        return (
            (self.n_existing + self.n_chosen) / self.n_clinics if self.n_clinics else float("nan")
        )

    @property
    def covered_share_before(self) -> float:
        """Share of residents within the radius of a 中医阁 before the upgrades."""
        pop = self.population_total
        return self.population_covered_before / pop if pop else float("nan")

    @property
    def covered_share_after(self) -> float:
        """Share of residents within the radius of a 中医阁 after the upgrades."""
        pop = self.population_total
        return self.population_covered_after / pop if pop else float("nan")

    def to_frame(self, lang: str = "en") -> pd.DataFrame:
        """Return the ranked table with English (``"en"``) or Chinese (``"zh"``) headers."""
        return self.table.rename(columns=COLUMN_LABELS) if _is_zh(lang) else self.table.copy()

    def summary(self) -> dict[str, object]:
        """Return the headline figures as a plain dictionary (for JSON and reports)."""
        return {
            "county": self.county,
            "method": self.method,
            "radius": self.radius,
            "unit": self.unit,
            "target_share": self.target_share,
            "sites_requested": self.sites_requested,
            "n_clinics": self.n_clinics,
            "n_existing": self.n_existing,
            "n_candidates": self.n_candidates,
            "n_needed": self.n_needed,
            "n_chosen": self.n_chosen,
            "target_reached": self.target_reached,
            "pavilion_share_before": self.pavilion_share_before,
            "pavilion_share_after": self.pavilion_share_after,
            "population_total": self.population_total,
            "population_covered_before": self.population_covered_before,
            "population_covered_after": self.population_covered_after,
            "objective": self.objective,
            "greedy_objective": self.greedy_objective,
            "upper_bound": self.upper_bound,
            "optimal_objective": self.optimal_objective,
            "optimal_status": self.optimal_status,
            "ratio": self.ratio,
            "status": self.status,
            "warnings": list(self.warnings),
        }

    def summary_lines(self) -> list[str]:
        """Return a short bilingual summary for the terminal and reports."""
        unit = "km" if self.unit == "m" else "min"
        r = self.radius / 1000 if self.unit == "m" else self.radius
        pop = self.population_total or float("nan")
        goal = (
            f"target {self.target_share:.0%} of clinics+stations / 目标占比 {self.target_share:.0%}"
            if self.target_share is not None
            else f"{self.sites_requested} sites asked / 指定新增 {self.sites_requested} 个"
        )
        lines = [
            f"{self.county} — 中医阁 site plan / 中医阁选址 ({self.method}, radius {r:g} {unit})",
            f"  clinics+stations 村卫生室+社区卫生服务站 {self.n_clinics}, with 中医阁 已设 {self.n_existing} "
            f"({self.pavilion_share_before:.1%}); {goal}; new sites needed 需新增 {self.n_needed}, "
            f"chosen 已选 {self.n_chosen} → {self.pavilion_share_after:.1%}",
            f"  population covered 覆盖人口: {self.population_covered_before:,.0f} "
            f"({self.population_covered_before / pop:.1%}) → {self.population_covered_after:,.0f} "
            f"({self.population_covered_after / pop:.1%}); newly covered 新增 {self.objective:,.0f}",
        ]
        if self.greedy_objective < self.objective:
            lines.append(
                f"  greedy alone 纯贪心 {self.greedy_objective:,.0f}; swaps add 交换改进 "
                f"+{self.objective - self.greedy_objective:,.0f}"
            )
        if self.optimal_objective is not None:
            lines.append(
                f"  optimum 最优解 (spopt MCLP, {self.optimal_status}) {self.optimal_objective:,.0f}; "
                f"greedy/optimum 贪心/最优 = {self.ratio:.2%}"
            )
        else:
            lines.append(
                f"  proven bound 理论上界 {self.upper_bound:,.0f}: greedy >= {self.guaranteed_ratio:.1%} of optimum"
            )
        if self.n_needed == 0 and self.target_share is not None:
            lines.append(
                f"  target already met: no new site needed / 已达到 {self.target_share:.0%} 目标，无需新增"
            )
        if not self.target_reached:
            lines.append(
                f"  target NOT reachable: only {self.n_candidates} clinics without 中医阁 / "
                f"候选机构不足，无法达到目标"
            )
        if self.status and self.status != "official":
            lines.append(
                f"  data status 数据状态: {self.status} — figures are not official / 非官方数据"
            )
        lines.extend(f"  note: {w}" for w in self.warnings)
        return lines

    def radius_text(self) -> str:
        """Return the covering radius as shown (``2 km``, ``15 min``)."""
        if self.unit == "m":
            return f"{self.radius / 1000:g} km"
        return f"{self.radius:g} min"

    def planner_lines(self, lang: str = "zh") -> list[str]:
        """Return the plan in plain words for a report, in Chinese (``"zh"``) or English (``"en"``).

        Both languages give the same lines in the same order (a bilingual report pairs them).
        Method details — the algorithm, swaps, the proven bound — are in :meth:`method_lines`,
        which the report's methods appendix shows.

        Parameters
        ----------
        lang : {"zh", "en"}
            Language of the lines.

        Returns
        -------
        list of str

        Raises
        ------
        ValueError
            If ``lang`` is neither ``"zh"`` nor ``"en"``.
        """
        zh = _is_zh(lang)
        reach = self.radius_text()
        pop = self.population_total or float("nan")
        before, after = self.population_covered_before, self.population_covered_after
        n = self.n_chosen
        if self.target_share is not None:
            goal_zh = f"目标为 {self.target_share:.0%}"
            goal_en = f"the target is {self.target_share:.0%}"
        else:
            goal_zh = f"指定新增 {self.sites_requested} 个"
            goal_en = f"{self.sites_requested} new sites were asked for"
        lines = [
            f"全县村卫生室和社区卫生服务站共 {self.n_clinics} 个，已设中医阁 {self.n_existing} 个"
            f"（{self.pavilion_share_before:.1%}）；{goal_zh}，需新增 {self.n_needed} 个，"
            f"推荐 {n} 个，建成后占 {self.pavilion_share_after:.1%}。"
            if zh
            else f"The county has {self.n_clinics} village clinics and community stations, "
            f"{self.n_existing} of them with a 中医阁 ({self.pavilion_share_before:.1%}); {goal_en}: "
            f"{self.n_needed} new sites needed, {n} recommended, giving "
            f"{self.pavilion_share_after:.1%}.",
            f"{reach} 内有中医阁的居民：由 {before:,.0f} 人（{before / pop:.1%}）增至 {after:,.0f} 人"
            f"（{after / pop:.1%}），新增 {self.objective:,.0f} 人。"
            if zh
            else f"Residents within {reach} of a 中医阁: from {before:,.0f} ({before / pop:.1%}) to "
            f"{after:,.0f} ({after / pop:.1%}), {self.objective:,.0f} more.",
        ]
        if n and self.ratio is not None:
            lines.append(
                f"这 {n} 处选址新增覆盖的人口达到最佳选址方案的 {self.ratio:.1%}。"
                if zh
                else f"These {n} sites newly cover {self.ratio:.1%} of what the best possible "
                f"choice of {n} sites would."
            )
        elif n:
            lines.append(
                f"任何 {n} 处选址最多新增覆盖约 {self.upper_bound:,.0f} 人；这 {n} 处选址至少达到"
                f"最佳方案的 {self.guaranteed_ratio:.1%}。"
                if zh
                else f"No choice of {n} sites can newly cover more than about "
                f"{self.upper_bound:,.0f} residents; these {n} sites reach at least "
                f"{self.guaranteed_ratio:.1%} of the best possible."
            )
        if self.n_needed == 0 and self.target_share is not None:
            lines.append(
                f"已达到 {self.target_share:.0%} 的目标，无需新增中医阁。"
                if zh
                else f"The {self.target_share:.0%} target is already met: no new 中医阁 needed."
            )
        if not self.target_reached:
            lines.append(
                f"没有中医阁的村卫生室只有 {self.n_candidates} 个，无法达到目标。"
                if zh
                else f"Only {self.n_candidates} clinics have no 中医阁: the target cannot be reached."
            )
        if self.status and self.status != "official":
            word = {"estimated": "估算", "synthetic": "模拟"}.get(self.status, self.status)
            lines.append(
                f"所用数据为{word}数据，不是官方数字。"
                if zh
                else f"The figures used are {self.status}, not official."
            )
        return lines

    def method_lines(self, lang: str = "zh") -> list[str]:
        """Return how the sites were chosen (algorithm, swaps, bound), for the methods appendix.

        Parameters
        ----------
        lang : {"zh", "en"}
            Language of the lines; citations (author and year) stay as written.

        Returns
        -------
        list of str

        Raises
        ------
        ValueError
            If ``lang`` is neither ``"zh"`` nor ``"en"``.
        """
        zh = _is_zh(lang)
        m = re.search(r"\((?:[^;()]*); (\d+) swaps\)", self.method)
        swaps = int(m.group(1)) if m else None
        by_time = "travel-time" in self.method
        reach = self.radius_text()
        what = (
            f"{'行车时间' if by_time else '直线距离'} {reach}"
            if zh
            else f"{'travel time' if by_time else 'straight-line distance'} {reach}"
        )
        lines = [
            "中医阁选址按最大覆盖选址问题（Church & ReVelle 1974）求解：在没有中医阁的村卫生室中"
            f"逐个选出新增覆盖人口最多的一处（贪心算法，惰性求值，Minoux 1978），覆盖半径为{what}。"
            if zh
            else "中医阁 sites solve the maximal covering location problem (Church & ReVelle 1974): "
            "clinics without a 中医阁 are chosen one at a time, each newly covering the most residents "
            f"(greedy with lazy evaluation, Minoux 1978); covering radius: {what}.",
        ]
        if swaps is not None:
            lines.append(
                f"随后逐一尝试用未选机构替换已选机构，凡能增加覆盖即替换（单点交换，Teitz & Bart 1968），"
                f"本次替换 {swaps} 次。"
                if zh
                else "The chosen set is then improved by exchanging one chosen clinic for an unchosen "
                f"one while that covers more (1-swap, Teitz & Bart 1968): {swaps} swaps here."
            )
        if self.optimal_objective is not None:
            lines.append(
                f"与整数规划最优解（spopt MCLP，{self.optimal_status}）比较：最优新增覆盖 "
                f"{self.optimal_objective:,.0f} 人，本方案为其 {self.ratio:.2%}。"
                if zh
                else f"Compared with the integer-programming optimum (spopt MCLP, "
                f"{self.optimal_status}): {self.optimal_objective:,.0f} newly covered; this plan "
                f"reaches {self.ratio:.2%}."
            )
        else:
            lines.append(
                f"理论上界 {self.upper_bound:,.0f} 人（贪心解 ÷ (1 − 1/e) 与按数据的上界取小，"
                f"Nemhauser, Wolsey & Fisher 1978）：本方案不低于最优解的 "
                f"{self.guaranteed_ratio:.1%}。"
                if zh
                else f"Proven upper bound {self.upper_bound:,.0f} (the smaller of greedy ÷ (1 − 1/e) "
                f"and a data-dependent bound, Nemhauser, Wolsey & Fisher 1978): this plan reaches at "
                f"least {self.guaranteed_ratio:.1%} of the optimum."
            )
        if self.greedy_objective < self.objective:
            lines.append(
                f"纯贪心解新增覆盖 {self.greedy_objective:,.0f} 人，交换改进增加 "
                f"{self.objective - self.greedy_objective:,.0f} 人。"
                if zh
                else f"Greedy alone: {self.greedy_objective:,.0f}; swaps add "
                f"{self.objective - self.greedy_objective:,.0f}."
            )
        return lines


def _is_true(s: pd.Series) -> npt.NDArray[np.bool_]:
    return s.astype("boolean").fillna(False).to_numpy(dtype=bool)


def plan_sites(
    county: County,
    *,
    target_share: float | None = None,
    sites: int | None = None,
    radius: float | str | None = None,
    travel_times: pd.DataFrame | str | os.PathLike[str] | None = None,
    detour: float = 1.0,
    compare_optimal: bool | None = None,
    time_limit: float | None = None,
    improve: bool = True,
) -> PlanResult:
    """Choose village clinics / community stations to upgrade to a 中医阁.

    Parameters
    ----------
    county : County
        A loaded county (:func:`tcmcounty.load_county`).
    target_share : float, optional
        Share of village clinics + community health stations that should have a 中医阁;
        default 0.10 when ``sites`` is not given. New sites needed:
        ``ceil(target_share × n_clinics) − n_existing`` (see :func:`pavilions_needed`).
    sites : int, optional
        Number of new sites instead of a share.
    radius : float or str, optional
        Covering threshold, inclusive (``<=``): ``"2km"`` (default), ``"500m"`` or, with a
        travel-time table, ``"15min"`` (default 15). A bare number is metres, or minutes with a
        travel-time table.
    travel_times : DataFrame or path, optional
        Long table ``demand_id`` (village code), ``supply_id`` (facility id), ``minutes``, read
        in that orientation only; pairs missing from the table do not cover.
    detour : float, default 1.0
        Straight-line detour factor (distance = detour × straight line).
    compare_optimal : bool, optional
        Also solve the exact MCLP with spopt. ``None`` (default): only when the instance is
        small (:data:`AUTO_OPTIMAL_CELLS`) and spopt is installed.
    time_limit : float, optional
        Seconds allowed to the exact solver.
    improve : bool, default True
        Polish the greedy solution by improving 1-swaps (Teitz & Bart 1968); never worse than
        the greedy, typically closer to the optimum. ``False`` gives the plain greedy.

    Returns
    -------
    PlanResult

    Raises
    ------
    ValueError
        If both ``target_share`` and ``sites`` are given, or an argument is out of range.
    TypeError
        If ``county`` is not a :class:`~tcmcounty.county.County`.

    Notes
    -----
    Demand points are villages weighted by population (missing population counts as 0, with a
    warning); supply points are facilities. Every facility with a 中医阁 (of any type) is fixed
    and what it covers counts as already covered; the target share counts village clinics and
    community health stations only. A clinic without coordinates sits at its village's point
    (done by the loader, with a warning). Candidates are tried in ascending facility id, which
    breaks ties deterministically. The greedy algorithm with lazy evaluation (Minoux 1978)
    achieves at least ``1 − 1/e`` of the optimum of the maximal covering location problem
    (Church & ReVelle 1974; Nemhauser, Wolsey & Fisher 1978).

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.spatial.plan import plan_sites
    >>> county = tcmcounty.load_county("anyue", warn=False)  # doctest: +SKIP
    >>> res = plan_sites(county, target_share=0.10)  # doctest: +SKIP
    >>> res.pavilion_share_after >= 0.10  # doctest: +SKIP
    True
    """
    share = _check_plan_arguments(county, target_share, sites)
    clinics = _clinics(county.facilities, sites, share)
    weights, population_notes = _village_weights(county.villages)
    cost = _plan_costs(county, clinics, radius, travel_times, detour)
    notes = [*clinics.notes, *population_notes, *cost.notes, *county.warnings]
    ids, cand, fixed = _candidates(county.facilities, clinics)
    sel = greedy_mclp(cost.costs, weights, clinics.n_needed, cand, fixed, improve=improve)
    opt = _optimal_selection(
        cost.costs, weights, clinics.n_needed, ids, cand, fixed, sel, compare_optimal, time_limit
    )
    return _plan_result(
        county,
        clinics,
        cost,
        weights,
        ids,
        cand,
        fixed,
        sel,
        opt,
        share=share,
        sites=sites,
        improve=improve,
        travel_times=travel_times is not None,
        notes=notes,
    )


@dataclass(frozen=True)
class _Clinics:
    """The facilities' clinic and 中医阁 flags, their counts, and the new sites needed."""

    has_pav: npt.NDArray[np.bool_]
    is_clinic: npt.NDArray[np.bool_]
    n_clinics: int
    n_existing: int
    n_needed: int
    notes: list[str]


@dataclass(frozen=True)
class _PlanCosts:
    """Village × facility costs within the covering radius, the radius and its unit."""

    costs: Costs
    radius: float
    unit: str
    notes: list[str]


def _check_plan_arguments(
    county: County, target_share: float | None, sites: int | None
) -> float | None:
    """Check the county and the target; return the checked share (``None`` with ``sites``)."""
    from tcmcounty.county import County

    if not isinstance(county, County):
        raise ArgumentTypeError(f"county must be a tcmcounty.County, not {type(county).__name__}")
    if target_share is not None and sites is not None:
        raise ArgumentError("give either target_share or sites, not both")
    if sites is not None:
        if isinstance(sites, bool) or not isinstance(sites, (int, np.integer)):
            raise ArgumentTypeError(f"sites must be an int, not {type(sites).__name__}")
        if sites < 0:
            raise ArgumentError(f"sites must be >= 0, not {sites}")
    return (
        None
        if sites is not None
        else _check_share(DEFAULT_TARGET_SHARE if target_share is None else target_share)
    )


def _clinics(fac: pd.DataFrame, sites: int | None, share: float | None) -> _Clinics:
    """Find the clinics/stations and existing 中医阁; count the new sites needed."""
    notes: list[str] = []
    ftype = fac["type"].astype("string").fillna("").to_numpy(dtype=object)
    has_pav = _is_true(fac["has_tcm_pavilion"])
    is_clinic = np.isin(ftype, CANDIDATE_TYPES)
    pav_unknown = is_clinic & fac["has_tcm_pavilion"].isna().to_numpy()
    if pav_unknown.any():
        notes.append(
            f"{int(pav_unknown.sum())} clinics/stations do not report whether they have a 中医阁; "
            f"taken as without / {int(pav_unknown.sum())} 个机构未填写是否设中医阁，按未设处理"
        )
    n_clinics = int(is_clinic.sum())
    n_existing = int((is_clinic & has_pav).sum())
    n_needed = int(sites) if sites is not None else pavilions_needed(n_clinics, n_existing, share)  # type: ignore[arg-type]
    return _Clinics(has_pav, is_clinic, n_clinics, n_existing, n_needed, notes)


def _village_weights(vil: pd.DataFrame) -> tuple[FloatArray, list[str]]:
    """Village populations as demand weights (missing counts as 0), with a note if any is."""
    notes: list[str] = []
    pop = pd.to_numeric(vil["population"], errors="coerce")
    if pop.isna().any():
        notes.append(
            f"{int(pop.isna().sum())} villages without population counted as 0 / "
            f"{int(pop.isna().sum())} 个村未报告人口，按0计"
        )
    weights: FloatArray = pop.fillna(0).to_numpy(dtype=float)
    return weights, notes


def _plan_costs(
    county: County,
    clinics: _Clinics,
    radius: float | str | None,
    travel_times: pd.DataFrame | str | os.PathLike[str] | None,
    detour: float,
) -> _PlanCosts:
    """Costs between villages (demand) and facilities (supply): travel times or distances."""
    vil = county.villages
    fac = county.facilities
    notes: list[str] = []
    if travel_times is not None:
        table = (
            travel_times
            if isinstance(travel_times, pd.DataFrame)
            else coverage.read_travel_times(travel_times)
        )
        r, unit = parse_radius(DEFAULT_RADIUS_MIN if radius is None else radius, default_unit="min")
        if unit != "min":
            raise ArgumentError("with a travel-time table give radius in minutes, e.g. '15min'")
        costs = Costs.from_table(table, vil["code"].astype(str), fac["id"].astype(str), max_cost=r)
    else:
        r, unit = parse_radius(DEFAULT_RADIUS_M if radius is None else radius, default_unit="m")
        if unit != "m":
            raise ArgumentError("a radius in minutes needs a travel-time table (travel_times=...)")
        pts = pd.concat([vil.geometry, fac.geometry], ignore_index=True)
        pts = pts[~(pts.is_empty | pts.isna())]
        if len(pts) == 0:
            raise ArgumentError(
                "neither villages nor facilities have coordinates: nothing to measure"
            )
        crs = county_crs(pts.set_crs(vil.crs or "EPSG:4326", allow_override=True))
        costs = Costs.from_points(
            metric_xy(vil, crs), metric_xy(fac, crs), max_cost=r, detour=detour
        )
        no_xy = (
            clinics.is_clinic
            & ~clinics.has_pav
            & (fac.geometry.is_empty | fac.geometry.isna()).to_numpy()
        )
        if no_xy.any():
            notes.append(
                f"{int(no_xy.sum())} candidate clinics have no location (nor a located village) and "
                f"cover nobody / {int(no_xy.sum())} 个候选机构无位置，不计覆盖"
            )
        if (vil.geometry.is_empty | vil.geometry.isna()).any():
            n = int((vil.geometry.is_empty | vil.geometry.isna()).sum())
            notes.append(
                f"{n} villages without coordinates cannot be covered / {n} 个村无坐标，无法计入覆盖"
            )
    return _PlanCosts(costs, r, unit, notes)


def _candidates(
    fac: pd.DataFrame, clinics: _Clinics
) -> tuple[npt.NDArray[np.object_], IntArray, IntArray]:
    """Facility ids, the candidates (clinics without a 中医阁, by id) and the fixed 中医阁."""
    ids = fac["id"].astype(str).to_numpy()
    cand = np.flatnonzero(clinics.is_clinic & ~clinics.has_pav)
    cand = cand[np.argsort(ids[cand], kind="stable")]
    fixed = np.flatnonzero(clinics.has_pav)
    return ids, cand, fixed


def _optimal_selection(
    costs: Costs,
    weights: FloatArray,
    n_needed: int,
    ids: npt.NDArray[np.object_],
    cand: IntArray,
    fixed: IntArray,
    sel: Selection,
    compare_optimal: bool | None,
    time_limit: float | None,
) -> Selection | None:
    """Solve the exact MCLP when asked (by default: when small and spopt is there), else None."""
    opt: Selection | None = None
    if compare_optimal or compare_optimal is None:
        rel = np.zeros(len(ids), dtype=bool)
        rel[cand] = True
        reach = np.unique(costs.row[rel[costs.col]])
        cells = len(reach) * (len(cand) + len(fixed))
        want = compare_optimal or (cells <= AUTO_OPTIMAL_CELLS and _have_spopt())
        if want and n_needed > 0:
            opt = optimal_mclp(costs, weights, n_needed, cand, fixed, time_limit=time_limit)
        elif want:
            opt = Selection(
                np.zeros(0, dtype=np.int64), np.zeros(0), 0.0, sel.base, status="optimal"
            )
    return opt


def _plan_result(
    county: County,
    clinics: _Clinics,
    cost: _PlanCosts,
    weights: FloatArray,
    ids: npt.NDArray[np.object_],
    cand: IntArray,
    fixed: IntArray,
    sel: Selection,
    opt: Selection | None,
    *,
    share: float | None,
    sites: int | None,
    improve: bool,
    travel_times: bool,
    notes: list[str],
) -> PlanResult:
    """Rank the chosen sites and assemble the :class:`PlanResult`."""
    vil = county.villages
    fac = county.facilities
    table = _ranked_table(county, sel, cost.costs, weights, clinics.n_clinics, clinics.n_existing)
    total = float(weights.sum())
    statuses = [
        *vil.get("population_status", pd.Series(dtype=object)).dropna().unique().tolist(),
        *vil.get("location_status", pd.Series(dtype=object)).dropna().unique().tolist(),
        *fac["status"].iloc[np.r_[cand, fixed]].dropna().unique().tolist(),
    ]
    method = "greedy, lazy evaluation (Minoux 1978)"
    if improve:
        method += f" + 1-swap improvement (Teitz & Bart 1968; {sel.swaps} swaps)"
    if travel_times:
        method += ", travel-time table"
    return PlanResult(
        table=table,
        objective=sel.objective,
        target_share=share,
        sites_requested=int(sites) if sites is not None else None,
        n_needed=clinics.n_needed,
        n_chosen=len(sel.chosen),
        n_clinics=clinics.n_clinics,
        n_existing=clinics.n_existing,
        n_candidates=len(cand),
        population_total=total,
        population_covered_before=sel.base,
        population_covered_after=sel.base + sel.objective,
        radius=cost.radius,
        unit=cost.unit,
        method=method,
        greedy_objective=sel.greedy_objective,
        upper_bound=(
            min(sel.upper_bound, opt.objective)
            if opt is not None and opt.status == "optimal"
            else sel.upper_bound
        ),
        optimal_objective=None if opt is None else opt.objective,
        optimal_ids=None if opt is None else ids[opt.chosen].tolist(),
        optimal_status=None if opt is None else opt.status,
        greedy_seconds=sel.seconds,
        optimal_seconds=None if opt is None else opt.seconds,
        status=weakest_status(statuses),
        county=f"{county.name_zh} {county.adcode}".strip(),
        warnings=notes,
    )


def _have_spopt() -> bool:
    try:
        import pulp  # noqa: F401
        import spopt.locate  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        return False
    return True


def _ranked_table(
    county: County,
    sel: Selection,
    costs: Costs,
    weights: FloatArray,
    n_clinics: int,
    n_existing: int,
) -> pd.DataFrame:
    fac = county.facilities
    vnames = dict(
        zip(county.villages["code"].astype(str), county.villages["name"].astype(str), strict=False)
    )
    tnames = dict(
        zip(
            county.townships["code"].astype(str), county.townships["name"].astype(str), strict=False
        )
    )
    # Newly covered villages per step.
    n_dem = costs.shape[0]
    covered = np.zeros(n_dem, dtype=bool)
    has_pav = _is_true(fac["has_tcm_pavilion"])
    covered[costs.row[has_pav[costs.col]]] = True
    by_col = np.argsort(costs.col, kind="stable")
    ptr = np.zeros(costs.shape[1] + 1, dtype=np.int64)
    np.cumsum(np.bincount(costs.col, minlength=costs.shape[1]), out=ptr[1:])
    new_villages = []
    for j in sel.chosen:
        r = costs.row[by_col[ptr[j] : ptr[j + 1]]]
        new = r[~covered[r]]
        new_villages.append(len(np.unique(new)))
        covered[new] = True
    rows = fac.iloc[sel.chosen]

    def text(col: str) -> list[str | None]:
        return [None if pd.isna(v) else str(v) for v in rows[col]]

    vcodes, tcodes = text("village_code"), text("township_code")
    total = float(weights.sum())
    cum = np.cumsum(sel.gains) if len(sel.gains) else np.zeros(0)
    steps = np.arange(1, len(sel.chosen) + 1)
    df = pd.DataFrame(
        {
            "rank": steps.astype(int),
            "facility_id": text("id"),
            "facility_name": text("name"),
            "facility_type": text("type"),
            "village_code": vcodes,
            "village_name": [vnames.get(v) if v else None for v in vcodes],
            "township_code": tcodes,
            "township_name": [tnames.get(t) if t else None for t in tcodes],
            "new_villages": np.asarray(new_villages, dtype=int),
            "new_population": sel.gains,
            "cumulative_new_population": cum,
            "covered_population": sel.base + cum,
            "covered_share": (sel.base + cum) / total if total > 0 else np.full(len(cum), np.nan),
            "pavilion_share": (n_existing + steps) / n_clinics
            if n_clinics
            else np.full(len(cum), np.nan),
        },
        columns=list(COLUMN_LABELS),
    )
    if np.all(np.mod(weights, 1) == 0):
        for c in ("new_population", "cumulative_new_population", "covered_population"):
            df[c] = df[c].round().astype("int64")
    return df


def _is_zh(lang: str) -> bool:
    """Say whether ``lang`` is ``"zh"`` (else ``"en"``); any other value is an ArgumentError."""
    if lang not in ("zh", "en"):
        raise ArgumentError(f"lang must be 'zh' or 'en', not {lang!r}")
    return lang == "zh"
