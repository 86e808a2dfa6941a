"""Spatial accessibility: two-step floating catchment area methods (2SFCA, E2SFCA).

The supply-to-demand ratio reachable from each village, in units of capacity (default
TCM-category physicians, 中医类别执业（助理）医师) per 1,000 residents. Costs are sparse
pairs (:class:`tcmcounty.spatial.pairs.Costs`) from a KD-tree radius query or a user's travel-time
table; the demand × supply cross product is never built.

Decay functions are looked up by name in :data:`DECAY_FUNCTIONS` (:func:`get_decay`):

``uniform``
    1 within the catchment (the original 2SFCA of Luo & Wang 2003).
``step``
    Luo & Qi (2009) zones: weights 1.00, 0.68, 0.22 on the first, second and last third of
    the catchment (upper bounds inclusive); custom steps with ``steps={upper_cost: weight}``.
``gaussian``
    Dai (2010): ``w(d) = (exp(-½ (d/d0)²) − exp(-½)) / (1 − exp(-½))`` for ``d <= d0``,
    0 beyond, with ``d0`` the catchment radius.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from pyproj import CRS
from scipy import sparse

from tcmcounty.county import County
from tcmcounty.errors import ArgumentError, ArgumentTypeError
from tcmcounty.spatial.coverage import (
    Threshold,
    _ids,
    _level_mask,
    _population,
    _unpack,
    _village_frame,
    parse_threshold,
    project,
    travel_time_costs,
)
from tcmcounty.spatial.equity import concentration_index, gini, share_below
from tcmcounty.spatial.pairs import Costs

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
DecayFunction = Callable[..., FloatArray]

#: Luo & Qi (2009) step weights for three equal zones of the catchment.
LUO_QI_WEIGHTS: tuple[float, float, float] = (1.0, 0.68, 0.22)

_HALF = np.exp(-0.5)


# --------------------------------------------------------------------------- decay functions


def uniform_decay(cost: npt.ArrayLike, radius: float) -> FloatArray:
    """Binary catchment: 1 where ``cost <= radius``, else 0 (2SFCA, Luo & Wang 2003).

    Examples
    --------
    >>> uniform_decay([0, 10, 10.5], 10).tolist()
    [1.0, 1.0, 0.0]
    """
    c = np.asarray(cost, dtype=float)
    return (c <= radius).astype(float)


def step_decay(
    cost: npt.ArrayLike, radius: float, steps: Mapping[float, float] | None = None
) -> FloatArray:
    """Step weights of E2SFCA (Luo & Qi 2009).

    Parameters
    ----------
    cost : array_like
        Costs (metres or minutes).
    radius : float
        Catchment size ``d0``; costs above it weigh 0.
    steps : mapping of float to float, optional
        ``{upper_bound: weight}`` in cost units; a cost gets the weight of the smallest upper
        bound ``>=`` it (inclusive), 0 above the largest or above ``radius``. Default:
        ``{d0/3: 1.00, 2·d0/3: 0.68, d0: 0.22}`` (Luo & Qi's 0–10, 10–20, 20–30 min zones,
        scaled to the catchment).

    Raises
    ------
    ValueError
        If a weight is negative or a bound is not a finite number >= 0.

    Notes
    -----
    Luo W., Qi Y. (2009) An enhanced two-step floating catchment area (E2SFCA) method for
    measuring spatial accessibility to primary care physicians. Health & Place
    15(4):1100–1107.

    Examples
    --------
    >>> step_decay([0, 10, 11, 20, 30, 31], 30).tolist()
    [1.0, 1.0, 0.68, 0.68, 0.22, 0.0]
    """
    c = np.asarray(cost, dtype=float)
    if steps is None:
        bounds = np.array([radius * 1 / 3, radius * 2 / 3, radius], dtype=float)
        weights = np.array(LUO_QI_WEIGHTS, dtype=float)
    else:
        if not isinstance(steps, Mapping) or not steps:
            raise ArgumentError("steps must be a non-empty mapping {upper_bound: weight}")
        items = sorted((float(k), float(v)) for k, v in steps.items())
        bounds = np.array([k for k, _ in items])
        weights = np.array([v for _, v in items])
        if not np.isfinite(bounds).all() or (bounds < 0).any():
            raise ArgumentError("steps: upper bounds must be finite numbers >= 0")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ArgumentError("steps: weights must be finite numbers >= 0")
    pos = np.searchsorted(bounds, c, side="left")
    w = np.where(pos < len(bounds), weights[np.minimum(pos, len(bounds) - 1)], 0.0)
    return np.where(c <= radius, w, 0.0)


def gaussian_decay(cost: npt.ArrayLike, radius: float) -> FloatArray:
    r"""Gaussian decay of Dai (2010), zero at and beyond the catchment radius.

    Notes
    -----
    .. math:: w(d) = \frac{e^{-\frac12 (d/d_0)^2} - e^{-\frac12}}{1 - e^{-\frac12}}
              \quad (d \le d_0), \qquad w(d) = 0 \quad (d > d_0)

    Dai D. (2010) Black residential segregation, disparities in spatial access to health care
    facilities, and late-stage breast cancer diagnosis in metropolitan Detroit. Health & Place
    16(5):1038–1052.

    Examples
    --------
    >>> [round(x, 6) for x in gaussian_decay([0, 5, 10, 11], 10).tolist()]
    [1.0, 0.701367, 0.0, 0.0]
    """
    c = np.asarray(cost, dtype=float)
    if radius <= 0:
        return np.where(c <= radius, 1.0, 0.0)
    w = (np.exp(-0.5 * (c / radius) ** 2) - _HALF) / (1.0 - _HALF)
    return np.where(c <= radius, w, 0.0)


#: Registry of decay functions: name -> ``f(cost, radius, **params)``.
DECAY_FUNCTIONS: dict[str, DecayFunction] = {
    "uniform": uniform_decay,
    "step": step_decay,
    "gaussian": gaussian_decay,
}

#: Methods and their default decay.
METHODS: dict[str, str] = {"2sfca": "uniform", "e2sfca": "step"}


def get_decay(name: str) -> DecayFunction:
    """Return the decay function registered as ``name``.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is unknown; the message lists the valid names.

    Examples
    --------
    >>> get_decay("gaussian") is gaussian_decay
    True
    """
    if not isinstance(name, str):
        raise ArgumentTypeError(f"decay must be a str, not {type(name).__name__}")
    try:
        return DECAY_FUNCTIONS[name.lower()]
    except KeyError:
        raise ArgumentError(
            f"unknown decay {name!r}; valid decay functions are: {', '.join(DECAY_FUNCTIONS)}"
        ) from None


# --------------------------------------------------------------------------- core


@dataclass(frozen=True)
class FcaResult:
    """Arrays of a floating catchment computation (positions as in the inputs).

    Attributes
    ----------
    access : numpy.ndarray
        ``A_i`` per demand point, capacity per person (0 when no supply is in reach).
    supply_ratio : numpy.ndarray
        ``R_j`` per supply point, capacity per person of its catchment (0 when the catchment
        holds no demand).
    catchment_demand : numpy.ndarray
        Weighted demand ``sum_k w_kj p_k`` in each supply catchment.
    n_supply : numpy.ndarray of int64
        Supply points with positive weight reachable from each demand point.
    n_pairs : int
        Pairs with positive weight.
    """

    access: FloatArray
    supply_ratio: FloatArray
    catchment_demand: FloatArray
    n_supply: IntArray
    n_pairs: int


def _check_values(values: npt.ArrayLike, n: int, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=float)
    if arr.shape != (n,):
        raise ArgumentError(
            f"{name} must have {n} values (one per {'demand' if 'pop' in name else 'supply'} point), not shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ArgumentError(
            f"{name} has {int((~np.isfinite(arr)).sum())} missing or infinite values"
        )
    if (arr < 0).any():
        raise ArgumentError(f"{name} must be >= 0")
    return arr


def _csr(row: IntArray, col: IntArray, w: FloatArray, shape: tuple[int, int]) -> sparse.csr_matrix:
    """CSR matrix of pairs; built without a sort when rows are ascending (as :class:`Costs` keeps them)."""
    if len(row) and not np.all(row[1:] >= row[:-1]):
        return sparse.csr_matrix((w, (row, col)), shape=shape)
    indptr = np.searchsorted(row, np.arange(shape[0] + 1))
    return sparse.csr_matrix((w, col, indptr), shape=shape)


def two_step_fca(
    costs: Costs,
    population: npt.ArrayLike,
    capacity: npt.ArrayLike,
    *,
    radius: float | None = None,
    decay: str = "uniform",
    steps: Mapping[float, float] | None = None,
) -> FcaResult:
    r"""Two-step floating catchment area (2SFCA / E2SFCA) on sparse cost pairs.

    Parameters
    ----------
    costs : Costs
        Demand (rows) × supply (columns) pairs, metres or minutes.
    population : array_like
        Demand ``p_k`` per demand point (>= 0, no missing values).
    capacity : array_like
        Supply ``S_j`` per supply point (>= 0, no missing values).
    radius : float, optional
        Catchment ``d0`` in the unit of ``costs`` (default ``costs.max_cost``).
    decay : {"uniform", "step", "gaussian"}, default "uniform"
        Name in :data:`DECAY_FUNCTIONS`.
    steps : mapping, optional
        Custom step weights for ``decay="step"`` (see :func:`step_decay`).

    Returns
    -------
    FcaResult

    Raises
    ------
    TypeError
        If ``costs`` is not a Costs.
    ValueError
        On wrong lengths, negative or missing values, an unknown decay or no finite radius.

    Notes
    -----
    With weights ``w_ij = f(c_ij)`` for pairs ``c_ij <= d0`` (``f = 1`` for 2SFCA):

    .. math:: R_j = \frac{S_j}{\sum_k w_{kj} p_k}, \qquad A_i = \sum_j w_{ij} R_j

    computed as two sparse matrix–vector products ``W^T p`` and ``W R`` with ``W`` in CSR form
    built directly from the row-sorted pairs, O(pairs). ``R_j = 0`` when the catchment holds
    no demand. Multiply ``A_i`` by 1,000 for capacity per 1,000 residents. The population-weighted mean of ``A`` equals total
    reachable supply over total population when every supply point reaches some demand.

    Luo W., Wang F. (2003) Measures of spatial accessibility to health care in a GIS
    environment. Environment and Planning B 30(6):865–884. Luo W., Qi Y. (2009) Health & Place
    15(4):1100–1107.

    Examples
    --------
    >>> import numpy as np
    >>> from tcmcounty.spatial.pairs import Costs
    >>> c = Costs.from_points([[0, 0], [1000, 0]], [[0, 0]], max_cost=5000)
    >>> two_step_fca(c, [100, 300], [4]).access.tolist()
    [0.01, 0.01]
    """
    if not isinstance(costs, Costs):
        raise ArgumentTypeError(
            f"costs must be a tcmcounty.spatial.pairs.Costs, not {type(costs).__name__}"
        )
    n_d, n_s = costs.shape
    pop = _check_values(population, n_d, "population")
    cap = _check_values(capacity, n_s, "capacity")
    d0 = costs.max_cost if radius is None else float(radius)
    if not np.isfinite(d0) or d0 < 0:
        raise ArgumentError(
            f"radius must be a finite number >= 0, not {radius!r} (costs.max_cost={costs.max_cost})"
        )
    fn = get_decay(decay)
    if steps is not None and fn is not step_decay:
        raise ArgumentError("steps only applies to decay='step'")
    row, col, c = costs.row, costs.col, costs.cost
    keep = c <= d0
    if not keep.all():  # copies only when some pairs lie beyond the catchment
        row, col, c = row[keep], col[keep], c[keep]
    if fn is uniform_decay:
        w = np.ones(len(c))  # every kept pair is within d0
    else:
        w = fn(c, d0, steps) if fn is step_decay else fn(c, d0)
        pos = w > 0
        if not pos.all():
            row, col, w = row[pos], col[pos], w[pos]
    wmat = _csr(row, col, w, (n_d, n_s))
    catchment = np.asarray(wmat.T @ pop, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(catchment > 0, cap / catchment, 0.0)
    access = np.asarray(wmat @ ratio, dtype=float)
    n_supply = np.diff(wmat.indptr).astype(np.int64)
    return FcaResult(access, ratio, catchment, n_supply, len(w))


# --------------------------------------------------------------------------- county level


@dataclass(frozen=True)
class AccessResult:
    """Spatial accessibility of villages to a facility capacity.

    Attributes
    ----------
    villages : pandas.DataFrame
        One row per village in input order: ``code``, ``name``, ``township_code``,
        ``population`` (NaN = not reported, counted as no demand), ``access_per_1000``
        (capacity per 1,000 residents), ``n_supply`` (facilities in reach).
    facilities : pandas.DataFrame
        One row per facility in input order: ``id``, ``name``, ``type``, ``in_supply``
        (selected with a reported capacity), ``capacity``, ``catchment_population``
        (weighted), ``ratio_per_1000``.
    method, decay, capacity : str
        What was computed.
    radius : Threshold
        Catchment size.
    n_pairs : int
        Village–facility pairs with positive weight.
    townships : pandas.DataFrame or None
        Township table for names and order.
    county_name : str
        Name shown on the county row.
    crs : pyproj.CRS or None
        Metric CRS used (None with a travel-time table).
    """

    villages: pd.DataFrame
    facilities: pd.DataFrame
    method: str
    decay: str
    capacity: str
    radius: Threshold
    n_pairs: int
    townships: pd.DataFrame | None = None
    county_name: str = ""
    crs: CRS | None = field(default=None, repr=False)

    def table(
        self,
        by: Literal["village", "township", "county"] = "village",
        *,
        below: float | None = None,
    ) -> pd.DataFrame:
        """Return accessibility per ``village``, ``township`` or ``county``.

        Townships and the county get the population-weighted mean of village accessibility
        (``access_per_1000``), ``pop_total``, ``share_no_access`` (population share with no
        facility in reach) and, per township/county, equity across their villages:
        ``gini_villages`` (population-weighted Gini). The county row adds ``gini_townships``
        (across township means, weighted by township population); with ``below`` it adds
        ``share_below`` (population share with access_per_1000 < ``below``).

        Raises
        ------
        ValueError
            If ``by`` is not one of ``village``, ``township``, ``county``.
        """
        v = self.villages
        if by == "village":
            return v.copy()
        pop = v["population"].to_numpy(dtype=float)
        pop0 = np.where(np.isfinite(pop), pop, 0.0)
        acc = v["access_per_1000"].to_numpy(dtype=float)
        if by == "township":
            if "township_code" not in v.columns:
                raise ArgumentError("villages have no township_code; use by='county'")
            tc = v["township_code"].astype(str).to_numpy()
            order = list(dict.fromkeys(tc))
            names: dict[str, str] = {}
            if self.townships is not None and "code" in self.townships.columns:
                codes = self.townships["code"].astype(str).tolist()
                order = codes + [c for c in order if c not in set(codes)]
                names = dict(
                    zip(
                        codes, self.townships.get("name", pd.Series([""] * len(codes))), strict=True
                    )
                )
            rows = []
            for code in order:
                m = tc == code
                rows.append(
                    {
                        "township_code": code,
                        "name": names.get(code, ""),
                        **_summary(acc[m], pop0[m], below),
                    }
                )
            return pd.DataFrame(rows)
        if by == "county":
            row = {"county": self.county_name, **_summary(acc, pop0, below)}
            if "township_code" in v.columns:
                t = self.table("township")
                tw = t["pop_total"].to_numpy(dtype=float)
                ta = t["access_per_1000"].to_numpy(dtype=float)
                ok = tw > 0
                row["gini_townships"] = gini(ta[ok], tw[ok]) if ok.any() else float("nan")
            row.update(
                {
                    "method": self.method,
                    "decay": self.decay,
                    "capacity": self.capacity,
                    "radius": self.radius.label,
                }
            )
            return pd.DataFrame([row])
        raise ArgumentError(f"by must be 'village', 'township' or 'county', not {by!r}")

    def equity(
        self, rank_by: npt.ArrayLike | None = None, *, below: float | None = None
    ) -> pd.DataFrame:
        """Equity of village accessibility: Gini, concentration index, share below a level.

        Parameters
        ----------
        rank_by : array_like, optional
            One value per village ranking it (e.g. remoteness or income); gives the
            concentration index (Wagstaff et al. 1991). Townships are ranked by the
            population-weighted mean of ``rank_by``.
        below : float, optional
            ``access_per_1000`` level for ``share_below``.

        Returns
        -------
        pandas.DataFrame
            Rows ``village`` and ``township``; columns ``n``, ``pop_total``, ``mean``
            (population-weighted), ``gini``, ``concentration_index``, ``share_below``.
        """
        v = self.villages
        pop = v["population"].to_numpy(dtype=float)
        pop0 = np.where(np.isfinite(pop), pop, 0.0)
        acc = v["access_per_1000"].to_numpy(dtype=float)
        rank = None if rank_by is None else np.asarray(rank_by, dtype=float)
        if rank is not None and rank.shape != (len(v),):
            raise ArgumentError(
                f"rank_by must have one value per village ({len(v)}), not shape {rank.shape}"
            )
        units = [("village", acc, pop0, rank)]
        if "township_code" in v.columns:
            tc = v["township_code"].astype(str).to_numpy()
            codes, inv = np.unique(tc, return_inverse=True)
            tp = np.bincount(inv, weights=pop0, minlength=len(codes))
            with np.errstate(invalid="ignore", divide="ignore"):
                ta = np.bincount(inv, weights=pop0 * acc, minlength=len(codes)) / tp
                tr = (
                    None
                    if rank is None
                    else np.bincount(inv, weights=pop0 * rank, minlength=len(codes)) / tp
                )
            ok = tp > 0
            units.append(("township", ta[ok], tp[ok], None if tr is None else tr[ok]))
        rows = []
        for name, x, w, r in units:
            rows.append(
                {
                    "unit": name,
                    "n": len(x),
                    "pop_total": float(w.sum()),
                    "mean": float(np.sum(w * x) / w.sum()) if w.sum() > 0 else float("nan"),
                    "gini": gini(x, w) if w.sum() > 0 else float("nan"),
                    "concentration_index": concentration_index(x, r, w)
                    if r is not None and w.sum() > 0
                    else float("nan"),
                    "share_below": share_below(x, below, w)
                    if below is not None and w.sum() > 0
                    else float("nan"),
                }
            )
        return pd.DataFrame(rows)


def _summary(acc: FloatArray, pop: FloatArray, below: float | None) -> dict[str, float]:
    total = float(pop.sum())
    out: dict[str, float] = {"n_villages": len(acc), "pop_total": total}
    if total > 0:
        out["access_per_1000"] = float(np.sum(pop * acc) / total)
        out["share_no_access"] = float(pop[acc <= 0].sum() / total)
        out["gini_villages"] = gini(acc, pop)
        if below is not None:
            out["share_below"] = share_below(acc, below, pop)
    else:
        out["access_per_1000"] = float("nan")
        out["share_no_access"] = float("nan")
        out["gini_villages"] = float("nan")
        if below is not None:
            out["share_below"] = float("nan")
    return out


def spatial_access(
    villages: County | gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame | None = None,
    *,
    method: str = "2sfca",
    decay: str | None = None,
    capacity: str = "tcm_physicians",
    radius: str | float | Threshold | None = None,
    travel_times: pd.DataFrame | str | os.PathLike[str] | None = None,
    costs: Costs | None = None,
    detour: float = 1.0,
    level: str | npt.ArrayLike | None = None,
    steps: Mapping[float, float] | None = None,
    crs: object | None = None,
) -> AccessResult:
    """2SFCA / E2SFCA accessibility of each village to a facility capacity, per 1,000 residents.

    Parameters
    ----------
    villages : County or geopandas.GeoDataFrame
        A County, or the villages table (then pass ``facilities``).
    facilities : geopandas.GeoDataFrame, optional
        The facilities table, when ``villages`` is not a County.
    method : {"2sfca", "e2sfca"}, default "2sfca"
        2SFCA (binary catchment) or E2SFCA (distance decay).
    decay : {"step", "gaussian"}, optional
        Decay for E2SFCA (default ``"step"``, Luo & Qi weights). 2SFCA only accepts
        ``None`` / ``"uniform"``.
    capacity : str, default "tcm_physicians"
        Numeric facility column giving supply (e.g. ``beds``, ``physicians``).
    radius : str, float or Threshold, optional
        Catchment: ``"10km"``, ``"2000m"``, ``"30min"`` (with a travel-time table) or a preset;
        a bare number is km (minutes with a travel-time table). Default 10 km, or 30 min with
        a travel-time table.
    travel_times : DataFrame or path, optional
        Table ``demand_id`` (village code), ``supply_id`` (facility id), ``minutes``.
    costs : Costs, optional
        Prebuilt villages × facilities costs (instead of points or ``travel_times``).
    detour : float, default 1.0
        Straight-line distance multiplier.
    level : str, bool array or None, default None
        Restrict supply to a service level (:data:`tcmcounty.services.SERVICE_LEVELS`);
        None keeps every facility with a reported ``capacity``.
    steps : mapping, optional
        Custom step weights ``{upper_cost: weight}`` (cost units: metres or minutes).
    crs : optional
        Metric CRS (default: chosen per county).

    Returns
    -------
    AccessResult

    Raises
    ------
    TypeError, ValueError
        On wrong types, an unknown method/decay/level, a missing or non-numeric capacity
        column, a radius unit that does not match the costs, or a geographic ``crs``.

    Warns
    -----
    UserWarning
        When villages have no reported population (they add no demand) or facilities have no
        reported capacity (they are left out of the supply).

    Notes
    -----
    See :func:`two_step_fca` for the formulas. Output ``access_per_1000 = 1000 · A_i``.

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.spatial.access import spatial_access
    >>> res = spatial_access(tcmcounty.load_county("anyue", warn=False), radius="10km")
    >>> bool((res.villages["access_per_1000"] >= 0).all())
    True
    """
    vil, fac, cty = _unpack(villages, facilities)
    method, decay = _check_method(method, decay)
    cap = _capacity_values(fac, capacity)
    r = _catchment(radius, travel_times, costs)
    supply = _supply_mask(fac, level, cap, capacity)
    pop = _demand_population(vil)
    pairs, metric = _access_costs(vil, fac, supply, r, travel_times, costs, detour, crs)
    res = two_step_fca(
        pairs,
        np.where(np.isfinite(pop), pop, 0.0),
        np.where(supply, cap, 0.0),
        radius=r.value,
        decay=decay,
        steps=steps,
    )
    return _access_result(vil, fac, cty, res, supply, cap, method, decay, capacity, r, metric)


def _check_method(method: str, decay: str | None) -> tuple[str, str]:
    """Check the method and its decay; return both in lower case (the decay defaulted)."""
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ArgumentError(f"unknown method {method!r}; valid methods are: {', '.join(METHODS)}")
    method = method.lower()
    if decay is None:
        decay = METHODS[method]
    get_decay(decay)
    decay = decay.lower()
    if method == "2sfca" and decay != "uniform":
        raise ArgumentError(
            f"method '2sfca' uses no distance decay; use method='e2sfca' with decay={decay!r}"
        )
    if method == "e2sfca" and decay == "uniform":
        raise ArgumentError(
            "method 'e2sfca' needs a decay ('step' or 'gaussian'); use method='2sfca' for none"
        )
    return method, decay


def _capacity_values(fac: gpd.GeoDataFrame, capacity: str) -> npt.NDArray[np.floating[Any]]:
    """Check the capacity column and return it as floats (NaN where not reported)."""
    if not isinstance(capacity, str):
        raise ArgumentTypeError(
            f"capacity must be a column name (str), not {type(capacity).__name__}"
        )
    if capacity not in fac.columns:
        numeric = [
            c
            for c in fac.columns
            if c not in ("lon", "lat")
            and pd.api.types.is_numeric_dtype(fac[c])
            and not pd.api.types.is_bool_dtype(fac[c])
        ]
        raise ArgumentError(
            f"capacity column {capacity!r} not in facilities; numeric columns: {', '.join(numeric)}"
        )
    column = fac[capacity]
    if pd.api.types.is_bool_dtype(column):
        raise ArgumentError(
            f"capacity column {capacity!r} is yes/no, not a number of staff or beds"
        )
    cap = pd.to_numeric(column, errors="coerce").astype(float).to_numpy()
    bad = column.notna().to_numpy() & np.isnan(cap)
    if bad.any():
        raise ArgumentError(
            f"capacity column {capacity!r} is not numeric (e.g. {column[bad].iloc[0]!r})"
        )
    return cap


def _catchment(
    radius: str | float | Threshold | None,
    travel_times: pd.DataFrame | str | os.PathLike[str] | None,
    costs: Costs | None,
) -> Threshold:
    """Parse the catchment radius (defaulted) and check its unit against the costs'."""
    if travel_times is not None and costs is not None:
        raise ArgumentTypeError("pass travel_times or costs, not both")
    unit = "min" if travel_times is not None else (costs.unit if costs is not None else "m")
    if radius is None:
        radius = "30min" if unit == "min" else "10km"
    r = parse_threshold(radius, "min" if unit == "min" else "km")
    if r.unit != unit:
        raise ArgumentError(
            f"radius {r.label!r} is in {r.unit!r} but costs are in {unit!r}: "
            + (
                "give minutes (e.g. '30min') with a travel-time table"
                if unit == "min"
                else "minutes need a travel-time table; use km or a preset such as 'drive30'"
            )
        )
    return r


def _supply_mask(
    fac: gpd.GeoDataFrame,
    level: str | npt.ArrayLike | None,
    cap: npt.NDArray[np.floating[Any]],
    capacity: str,
) -> npt.NDArray[np.bool_]:
    """Facilities of the level with a reported capacity; warn about those without one."""
    supply: npt.NDArray[np.bool_] = _level_mask(fac, level) & np.isfinite(cap)
    n_unrep = int((_level_mask(fac, level) & ~np.isfinite(cap)).sum())
    if n_unrep:
        warnings.warn(
            f"{n_unrep} facilities have no reported {capacity!r}; left out of the supply "
            f"/ {n_unrep} 个机构未报告 {capacity}，不计入供给",
            UserWarning,
            stacklevel=3,
        )
    if (cap[supply] < 0).any():
        raise ArgumentError(f"capacity column {capacity!r} has negative values")
    return supply


def _demand_population(vil: gpd.GeoDataFrame) -> FloatArray:
    """Village populations (NaN where not reported); warn about those without one."""
    pop = _population(vil)
    n_nopop = int((~np.isfinite(pop)).sum())
    if n_nopop:
        warnings.warn(
            f"{n_nopop} villages have no reported population; they add no demand "
            f"/ {n_nopop} 个村人口未报告，不计需求",
            UserWarning,
            stacklevel=3,
        )
    return pop


def _access_costs(
    vil: gpd.GeoDataFrame,
    fac: gpd.GeoDataFrame,
    supply: npt.NDArray[np.bool_],
    r: Threshold,
    travel_times: pd.DataFrame | str | os.PathLike[str] | None,
    costs: Costs | None,
    detour: float,
    crs: object | None,
) -> tuple[Costs, CRS | None]:
    """Village × supply-facility costs within the catchment, and the metric CRS (if projected)."""
    metric = None
    if travel_times is not None:
        pairs = travel_time_costs(travel_times, vil, fac, max_minutes=r.value)
    elif costs is not None:
        if not isinstance(costs, Costs):
            raise ArgumentTypeError(
                f"costs must be a tcmcounty.spatial.pairs.Costs, not {type(costs).__name__}"
            )
        if costs.shape != (len(vil), len(fac)):
            raise ArgumentError(f"costs has shape {costs.shape}; expected ({len(vil)}, {len(fac)})")
        pairs = costs
    else:
        vxy, fxy, metric = project(vil, fac, crs)
        fxy = np.where(supply[:, None], fxy, np.nan)
        pairs = Costs.from_points(vxy, fxy, r.value, detour=detour)  # only supply facilities
    if travel_times is not None or costs is not None:
        pairs = pairs.subset_supply(supply)
    return pairs, metric


def _access_result(
    vil: gpd.GeoDataFrame,
    fac: gpd.GeoDataFrame,
    cty: County | None,
    res: FcaResult,
    supply: npt.NDArray[np.bool_],
    cap: npt.NDArray[np.floating[Any]],
    method: str,
    decay: str,
    capacity: str,
    r: Threshold,
    metric: CRS | None,
) -> AccessResult:
    """Assemble the village and facility tables into an :class:`AccessResult`."""
    vt = _village_frame(vil)
    vt["access_per_1000"] = res.access * 1000.0
    vt["n_supply"] = res.n_supply
    ft = pd.DataFrame({"id": _ids(fac)})
    for c in ("name", "type"):
        if c in fac.columns:
            ft[c] = fac[c].to_numpy()
    ft["in_supply"] = supply
    ft["capacity"] = cap
    ft["catchment_population"] = np.where(supply, res.catchment_demand, np.nan)
    ft["ratio_per_1000"] = np.where(supply, res.supply_ratio * 1000.0, np.nan)
    towns = cty.townships if cty is not None else None
    return AccessResult(
        vt,
        ft,
        method,
        decay,
        capacity,
        r,
        res.n_pairs,
        towns,
        cty.name if cty is not None else "",
        metric,
    )
