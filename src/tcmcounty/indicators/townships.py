"""Township-level quantities for every township at once.

:func:`evaluate_townships` gives, for each township of a list, exactly what
:func:`tcmcounty.indicators.kinds.evaluate` gives for that township alone (value, statuses,
year, definition, notes and reason), with one pass over the table the kind reads instead of one
filter per township: the rows are grouped by township once, each row's condition is decided
once, and counts and sums are taken per group (aggregate, then divide, as the engine always
does).

A kind has a grouped form here only for the parameters listed in :data:`GROUPED_PARAMS`. Any
other kind or parameter, and a township that meets an uncommon case (no facility reporting a
required column, a covered village without population, no alliance at all), is computed one
township at a time by the kind itself, so the grouped form never has to repeat those rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from tcmcounty.indicators import kinds as K
from tcmcounty.indicators.membership import covered_villages
from tcmcounty.indicators.model import Spec
from tcmcounty.memo import reuse

Positions = npt.NDArray[np.intp]
#: ``None`` for a township means "let the kind compute this township on its own".
Grouped = Callable[[Spec, K.Context, Sequence[str]], list[K.Quantity | None]]
_EMPTY: Positions = np.zeros(0, dtype=np.intp)
#: The kind's *not reported* quantity for facilities none of which reports a required column,
#: by spec, level, population base, reference year and number of facilities (it depends on
#: nothing else; kept across counties, bounded).
_NONE_LEFT: dict[tuple[object, ...], K.Quantity] = {}


_A = TypeVar("_A")


def _frozen(a: _A) -> _A:
    """Make the arrays of ``a`` (an array, a tuple or list of arrays, or ``None``) read-only.

    Arrays kept for the rest of a :func:`~tcmcounty.memo.reuse_membership`
    block are shared by every quantity that reads them: none may change them.
    """
    if isinstance(a, np.ndarray):
        a.flags.writeable = False
    elif isinstance(a, (tuple, list)):
        for x in a:
            _frozen(x)
    return a


def _kept(table: pd.DataFrame, what: tuple[object, ...], make: Callable[[], _A]) -> _A:
    """``make()`` (read-only arrays of ``table``), made once per table inside a reuse block."""
    return reuse(("townships", *what), (table,), lambda: _frozen(make()))


def _positions(keys: pd.Series, codes: Sequence[str]) -> list[Positions]:
    """Row positions of each township code in ``codes`` (NA keys belong to no township)."""
    keys = keys.reset_index(drop=True)
    groups = keys.groupby(keys, sort=False, dropna=True).indices
    return [np.asarray(groups.get(c, _EMPTY), dtype=np.intp) for c in codes]


def _na(table: pd.DataFrame, col: str) -> npt.NDArray[np.bool_]:
    return _kept(table, ("na", col), lambda: table[col].isna().to_numpy(dtype=bool))


def _ints(table: pd.DataFrame, col: str) -> npt.NDArray[np.int64] | None:
    """Return the column as whole numbers (blanks 0), ``None`` when it does not convert exactly."""

    def make() -> npt.NDArray[np.int64] | None:
        try:
            # cast: pandas-stubs type to_numpy(dtype=np.int64) as an array of integer[Any]
            return cast(
                "npt.NDArray[np.int64]",
                table[col].astype("Int64").fillna(0).to_numpy(dtype=np.int64),
            )
        except (TypeError, ValueError):
            return None

    return _kept(table, ("ints", col), make)


def _texts(table: pd.DataFrame, col: str) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
    return _kept(table, ("texts", col), lambda: table[col].to_numpy(dtype=object)), _na(table, col)


def _unique(
    values: npt.NDArray[np.object_], na: npt.NDArray[np.bool_], pos: Positions
) -> tuple[str, ...]:
    """Distinct non-blank values at ``pos`` as str, in order of first appearance (``unique``)."""
    return tuple(
        dict.fromkeys(str(v) for v, blank in zip(values[pos], na[pos], strict=True) if not blank)
    )


# --------------------------------------------------------------------------------------------
# Facilities


class _Facilities:
    """Facilities of a spec's ``types``, grouped by township, with ``require_reported`` applied."""

    def __init__(self, spec: Spec, ctx: K.Context, codes: Sequence[str]) -> None:
        # the whole table, rows of other types out of every group (as ``kinds._facilities``)
        self.f = f = ctx.county.facilities
        self.types = K._list(spec.param("types"), "types")
        self.required = K._list(spec.param("require_reported"), "require_reported")
        self.pos = _kept(
            f,
            ("groups", tuple(self.types), ctx.level, tuple(codes)),
            lambda: self._groups(ctx.level, codes),
        )
        self.status = _texts(f, "status") if "status" in f else None

    def _groups(self, level: str, codes: Sequence[str]) -> list[Positions]:
        f = self.f
        typed = (
            f["type"].isin(self.types).fillna(False).to_numpy(dtype=bool)
            if self.types
            else np.ones(len(f), dtype=bool)
        )
        if level == "county":  # one group: the whole county
            return [np.flatnonzero(typed).astype(np.intp)]
        return _positions(f["township_code"].astype("string").where(typed), codes)

    def statuses(self, pos: Positions) -> tuple[str, ...]:
        """Distinct statuses of the facilities at ``pos`` (as ``kinds._fac_status``)."""
        return () if self.status is None else _unique(*self.status, pos)

    def reported(
        self, spec: Spec, ctx: K.Context
    ) -> list[tuple[Positions, tuple[str, ...]] | K.Quantity]:
        """Per township: the rows left after ``require_reported`` and the notes.

        A township where no facility reports them gets the kind's own *not reported* quantity
        (it depends only on how many facilities there are: computed once per number).
        """
        blanks = [(col, _na(self.f, col)) for col in self.required]
        label = K._types_text(self.types)
        none_left: dict[int, K.Quantity] = {}
        out: list[tuple[Positions, tuple[str, ...]] | K.Quantity] = []
        for all_rows in self.pos:
            rows, notes = all_rows, []
            for col, blank in blanks:
                b = blank[rows]
                n = int(b.sum())
                if n:
                    notes.append(
                        f"{n} of {len(rows)} facilities ({label}) did not report "
                        f"{col} ({K.FACILITY_COLUMNS_ZH.get(col, col)}) and are left out"
                    )
                    rows = rows[~b]
            if len(all_rows) and not len(rows):
                n_all = len(all_rows)
                if n_all not in none_left:
                    none_left[n_all] = self._none_left(n_all, spec, ctx)
                out.append(none_left[n_all])
            else:
                out.append((rows, tuple(notes)))
        return out

    def _none_left(self, n_all: int, spec: Spec, ctx: K.Context) -> K.Quantity:
        """Return what the kind says of ``n_all`` facilities that all leave the required columns blank."""
        key = (repr(spec), ctx.level, ctx.population, ctx.county.reference_year, n_all)
        q = _NONE_LEFT.get(key)
        if q is None:
            blank = pd.DataFrame({c: np.full(n_all, None, dtype=object) for c in self.required})
            q = K._drop_unreported(blank, self.required, self.types, spec, ctx)[2]
            if q is None:  # pragma: no cover - the kind would not leave them all out
                raise AssertionError("facilities that report nothing were not left out")
            if len(_NONE_LEFT) > 4096:
                _NONE_LEFT.clear()
            _NONE_LEFT[key] = q
        return q


def _facility_sum(spec: Spec, ctx: K.Context, codes: Sequence[str]) -> list[K.Quantity | None]:
    col = str(spec.param("field"))
    g = _Facilities(spec, ctx, codes)
    absent = K._absent(g.f, [*g.required, col], spec, ctx)
    if absent is not None:
        return [absent] * len(codes)
    values, blank = _ints(g.f, col), _na(g.f, col)
    if values is None:
        return [None] * len(codes)
    definition = K.describe(spec, ctx.level, ctx.population)
    year = ctx.county.reference_year
    out: list[K.Quantity | None] = []
    for kept in g.reported(spec, ctx):
        if isinstance(kept, K.Quantity):
            out.append(kept)
            continue
        rows, notes = kept
        n_blank = int(blank[rows].sum())
        if n_blank:
            out.append(
                K.Quantity(
                    None,
                    g.statuses(rows),
                    year,
                    definition,
                    reason=f"{col} not reported for {n_blank} of {len(rows)} facilities / 机构数据未报告",
                )
            )
            continue
        total = Fraction(int(values[rows].sum())) if len(rows) else Fraction(0)
        out.append(K.Quantity(total, g.statuses(rows), year, definition, notes=notes))
    return out


def _meets(spec: Spec, f: pd.DataFrame) -> npt.NDArray[np.bool_] | None:
    """Rows meeting ``where``, ``at_least`` and ``share_at_least`` (each row decided alone)."""
    where = spec.param("where") or {}
    if not isinstance(where, Mapping):
        return None  # the kind raises its own error
    at_least, share = K._thresholds(spec)
    key = ("meets", repr((dict(where), at_least, share)))
    return _kept(f, key, lambda: _meeting(f, where, at_least, share))


def _meeting(
    f: pd.DataFrame,
    where: Mapping[str, bool | int | float | str],
    at_least: Mapping[str, Fraction],
    share: Mapping[str, object] | None,
) -> npt.NDArray[np.bool_]:
    """Rows of ``f`` meeting the conditions of :func:`_meets`."""
    ok = np.ones(len(f), dtype=bool)
    for col, wanted in where.items():
        ok &= f[col].eq(wanted).fillna(False).astype(bool).to_numpy(dtype=bool)
    for col, low in at_least.items():
        values = pd.to_numeric(f[col], errors="coerce")
        ok &= (values >= float(low)).fillna(False).astype(bool).to_numpy(dtype=bool)
    if share is not None:
        part = pd.to_numeric(f[str(share["part"])], errors="coerce")
        whole = pd.to_numeric(f[str(share["whole"])], errors="coerce")
        value = K.exact(share["value"])
        ok &= np.array(
            [
                bool(pd.notna(p) and pd.notna(w) and w > 0 and K.exact(int(p)) >= value * int(w))
                for p, w in zip(part, whole, strict=True)
            ],
            dtype=bool,
        )
    return ok


def _facility_count(spec: Spec, ctx: K.Context, codes: Sequence[str]) -> list[K.Quantity | None]:
    where = spec.param("where") or {}
    if not isinstance(where, Mapping):
        return [None] * len(codes)
    at_least, share = K._thresholds(spec)
    g = _Facilities(spec, ctx, codes)
    used = [*g.required, *where, *at_least, *((share["part"], share["whole"]) if share else ())]
    absent = K._absent(g.f, [str(c) for c in used], spec, ctx)
    if absent is not None:
        return [absent] * len(codes)
    ok = _meets(spec, g.f)
    if ok is None:
        return [None] * len(codes)
    definition = K.describe(spec, ctx.level, ctx.population)
    year = ctx.county.reference_year
    out: list[K.Quantity | None] = []
    for kept in g.reported(spec, ctx):
        if isinstance(kept, K.Quantity):
            out.append(kept)
            continue
        rows, notes = kept
        counted = rows[ok[rows]]
        out.append(
            K.Quantity(Fraction(len(counted)), g.statuses(counted), year, definition, notes=notes)
        )
    return out


# --------------------------------------------------------------------------------------------
# Township population and alliances


def _population(spec: Spec, ctx: K.Context, codes: Sequence[str]) -> list[K.Quantity | None]:
    if str(spec.param("population", ctx.population)) != "resident":
        return [None] * len(codes)  # registered or invalid: the kind says so, township by township
    t = ctx.county.townships
    if not {"population", "population_year", "population_status"} <= set(t.columns):
        return [None] * len(codes)
    pos = _positions(t["code"].astype("string"), codes)
    pop, pop_na = _texts(t, "population")
    year, year_na = _texts(t, "population_year")
    status, status_na = _texts(t, "population_status")
    definition = K.describe(spec, ctx.level, ctx.population)
    out: list[K.Quantity | None] = []
    for p in pos:
        if not len(p) or pop_na[p[0]]:
            out.append(None)
            continue
        i = p[0]
        out.append(
            K.Quantity(
                K.exact(int(pop[i])),
                (str(status[i]),) if not status_na[i] else ("official",),
                int(year[i]) if not year_na[i] else None,
                definition,
            )
        )
    return out


def _alliance_population(
    spec: Spec, ctx: K.Context, codes: Sequence[str]
) -> list[K.Quantity | None]:
    county = ctx.county
    if county.alliances.empty:
        return [None] * len(codes)
    villages, statuses, notes = covered_villages(
        county, K._list(spec.param("lead_types"), "lead_types")
    )
    pop = _ints(villages, "population")
    if pop is None:
        return [None] * len(codes)
    pop_na = _na(villages, "population")
    vstat, vstat_na = _texts(villages, "population_status")
    years, years_na = _texts(villages, "population_year")
    definition = K.describe(spec, ctx.level, ctx.population)
    out: list[K.Quantity | None] = []
    for p in _positions(villages["township_code"].astype(str), codes):
        if pop_na[p].any():
            out.append(None)
            continue
        known = [int(y) for y, blank in zip(years[p], years_na[p], strict=True) if not blank]
        out.append(
            K.Quantity(
                Fraction(int(pop[p].sum())),
                statuses + _unique(vstat, vstat_na, p),
                max(known) if known else county.reference_year,
                definition,
                notes=(*notes, f"{len(p)} villages covered"),
            )
        )
    return out


#: Kinds with a grouped form, and the parameters that form handles (others: one township at a time).
GROUPED: dict[str, tuple[Grouped, frozenset[str]]] = {
    "facility_sum": (_facility_sum, frozenset({"field", "types", "require_reported"})),
    "facility_count": (
        _facility_count,
        frozenset({"types", "where", "require_reported", "at_least", "share_at_least"}),
    ),
    "population": (_population, frozenset({"population"})),
    "alliance_population": (_alliance_population, frozenset({"lead_types"})),
}
#: The parameters each grouped kind handles.
GROUPED_PARAMS: dict[str, frozenset[str]] = {k: v[1] for k, v in GROUPED.items()}


#: Kinds whose county figure comes from the grouped form too (one group, the whole county); the
#: others read no table row by row at county level.
COUNTY_GROUPED: tuple[str, ...] = ("facility_sum", "facility_count")


def evaluate_county(spec: Spec, ctx: K.Context) -> K.Quantity:
    """Compute ``spec`` for the whole county, as :func:`~kinds.evaluate` does at county level.

    Facility counts and sums take one pass over the facility table (the county is one group of
    the grouped form); every other kind is the kind itself.

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.indicators import load_registry
    >>> from tcmcounty.indicators.kinds import Context, evaluate
    >>> c = tcmcounty.load_county("wenxi", warn=False)
    >>> ind = load_registry()["T-ZYG-HALL"]
    >>> ctx = Context(c, ind, "county")
    >>> evaluate_county(ind.denominator, ctx) == evaluate(ind.denominator, ctx)
    True
    """
    ctx = replace(ctx, level="county", area=None)
    grouped, params = GROUPED.get(spec.kind, (None, frozenset()))
    if spec.kind in COUNTY_GROUPED and grouped is not None and set(spec.params) <= params:
        q = grouped(spec, ctx, [ctx.county.adcode])[0]
        if q is not None:
            return q
    return K.evaluate(spec, ctx)


def evaluate_townships(spec: Spec, ctx: K.Context, codes: Sequence[str]) -> list[K.Quantity]:
    """Compute ``spec`` for each township of ``codes``, as :func:`~kinds.evaluate` does for one.

    Parameters
    ----------
    spec : Spec
        A numerator or denominator.
    ctx : Context
        The context at township level; its ``area`` is ignored (each code of ``codes`` is one).
    codes : sequence of str
        Township codes, as ``county.townships["code"].astype(str)`` gives them.

    Returns
    -------
    list of Quantity
        One per code, in order: equal to ``evaluate(spec, replace(ctx, area=code))``.

    Raises
    ------
    ValueError
        If the kind is unknown (the message lists the valid ones), or as the kind raises.

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.indicators import load_registry
    >>> from tcmcounty.indicators.kinds import Context, evaluate
    >>> c = tcmcounty.load_county("wenxi", warn=False)
    >>> ind = load_registry()["T-ZYG-HALL"]
    >>> ctx = Context(c, ind, "township")
    >>> codes = c.townships["code"].astype(str).tolist()
    >>> got = evaluate_townships(ind.numerator, ctx, codes)
    >>> got == [evaluate(ind.numerator, replace(ctx, area=code)) for code in codes]
    True
    """
    kind = K.get_kind(spec.kind)
    grouped, params = GROUPED.get(spec.kind, (None, frozenset()))
    ctx = replace(ctx, level="township")
    out: list[K.Quantity | None] = (
        grouped(spec, ctx, codes)
        if grouped is not None and set(spec.params) <= params
        else [None] * len(codes)
    )
    return [
        q if q is not None else kind.func(spec, replace(ctx, area=code))
        for q, code in zip(out, codes, strict=True)
    ]
