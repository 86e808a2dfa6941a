"""Whether the data can support a verdict: a 达标 / 未达标 that missing rows cannot overturn.

A value computed over the rows a county listed is a fact about those rows; a verdict is a claim
about the county. :class:`Verdicts` gives a verdict only when it holds **whatever the missing
data say**:

* each quantity gets bounds: the value if every unknown unit says "no" (or adds nothing) and
  if every unknown unit says "yes" (or adds without limit);
* unknown units are the units the county's structure expects but the roster does not list
  (:func:`tcmcounty.roster.roster_gaps`) and listed units with a blank in a column the
  quantity reads;
* a count share (``facility_count`` over ``facility_count``) counts every unknown unit in its
  denominator, and between none and all of them in its numerator;
* a sum (``facility_sum``) can grow by as much as its unknown units hold, each taken to be no
  larger than the largest unit of its kind (centre, clinic) the roster lists; when none of that
  kind reports the column, without limit;
* a county total summed from the roster (``derived = "roster"``) is a lower bound while the
  roster is incomplete.

The verdict at every corner of the bounds must be the verdict of the value; otherwise the row
gets **no verdict** and the reason in words
(``数据不全：名册列出 1/20 个乡镇的卫生院；…无法判断是否达标``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import cast

import pandas as pd

from tcmcounty.county import DERIVED_ROSTER, DOUBT, County
from tcmcounty.formatting import value_text
from tcmcounty.indicators.assess import Assessment, assess
from tcmcounty.indicators.kinds import Quantity, exact
from tcmcounty.indicators.model import Indicator, Spec, Target
from tcmcounty.roster import (
    GROUP_TYPES,
    Gap,
    Roster,
    Structure,
    blank_text,
    gap_text,
    group_of,
    groups_of,
)

#: Conditions of a ``facility_count`` that make it a numerator (a subset of its units).
_CONDITIONS = ("where", "at_least", "share_at_least")

Bound = Fraction | None  # None: without limit


@dataclass(frozen=True)
class Bounds:
    """Lowest and highest a quantity can be whatever its unknown units say, and why."""

    low: Bound
    high: Bound
    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        """Return True when the unknown units cannot change the quantity."""
        return self.low == self.high and self.low is not None


@dataclass(frozen=True)
class Decision:
    """What :meth:`Verdicts.check` decided: ``withheld`` is the reason (empty: verdict stands)."""

    withheld: str = ""
    note: str = ""


@dataclass
class Verdicts:
    """Decide, row by row, whether a county's data support the verdict :func:`assess` gave.

    Parameters
    ----------
    county : County
        The county the indicator table is computed for.

    Examples
    --------
    >>> import tcmcounty
    >>> v = Verdicts(tcmcounty.load_county("anyue", warn=False))
    >>> v.gaps(None)["centres"].zh, v.gaps(None)["centres"].complete
    ('名册列出 44/44 个乡镇的卫生院', True)
    """

    county: County
    _gaps: dict[str | None, dict[str, Gap]] = field(default_factory=dict)
    _counts: dict[tuple[object, ...], pd.Series] = field(default_factory=dict)
    _roster: Roster | None = None

    # ----------------------------------------------------------------------------------------
    # what the county's data leave unknown

    def gaps(self, area: str | None) -> dict[str, Gap]:
        """Return the roster gaps of the county (``area`` None) or of one township."""
        if area not in self._gaps:
            if self._roster is None:  # read once: every township asks (roster_gaps per area)
                c = self.county
                structure = (
                    c.structure if c.structure is not None else Structure(c.townships, c.villages)
                )
                self._roster = Roster(structure, c.facilities, c.units)
            self._gaps[area] = self._roster.gaps(area)
        return self._gaps[area]

    def _count(self, types: Sequence[str], cols: Sequence[str], area: str | None) -> int:
        """Rows of ``types`` in ``area`` with every column of ``cols`` filled in."""
        key = (tuple(types), tuple(cols))
        if key not in self._counts:
            f = self.county.facilities
            mask = f["type"].isin(list(types)).fillna(False)
            for col in cols:
                if col in f:
                    mask &= f[col].notna()
            if cols and DOUBT in f:  # a cell a contradiction put in doubt is unknown here
                doubt = f[DOUBT].fillna("").astype(str).str.split(",")
                mask &= ~doubt.map(lambda d: bool(set(d) & set(cols)))
            towns = f["township_code"].astype("string") if "township_code" in f else None
            counts = (
                towns[mask.to_numpy(dtype=bool)].value_counts(dropna=False)
                if towns is not None
                else pd.Series(dtype=int)
            )
            counts["__all__"] = int(mask.sum())
            self._counts[key] = counts
        counts = self._counts[key]
        return int(counts.get("__all__" if area is None else area, 0))

    def _missing(self, types: Sequence[str], area: str | None) -> tuple[int, list[Gap]]:
        gaps = self.gaps(area)
        open_ = [gaps[g] for g in groups_of(types) if not gaps[g].complete]
        return sum(g.missing for g in open_), open_

    def bounds(self, spec: Spec, q: Quantity, level: str, area: str | None) -> Bounds:
        """Return the bounds of quantity ``q`` of ``spec`` (exact when nothing is unknown)."""
        v = q.value
        if v is None:
            return Bounds(None, None)
        if spec.kind == "resource":
            if DERIVED_ROSTER in q.derived and level == "county":
                everything = [t for types in GROUP_TYPES.values() for t in types]
                missing, open_ = self._missing(everything, None)
                if missing:
                    en, zh = gap_text(open_)
                    return Bounds(
                        v,
                        None,
                        (f"{en}; the county total summed from it is a lower bound",),
                        (f"{zh}；由名册汇总的全县合计偏低",),
                    )
            return Bounds(v, v)
        if spec.kind not in ("facility_count", "facility_sum"):
            return Bounds(v, v)
        unknown, per_group, en_l, zh_l = self.unknown(spec, area)
        if not unknown:
            return Bounds(v, v)
        if spec.kind == "facility_sum":
            high = self._largest(spec, per_group)
            return Bounds(v, None if high is None else v + high, tuple(en_l), tuple(zh_l))
        if any(spec.param(c) for c in _CONDITIONS):
            # counted rows are the units known to meet the conditions; each unknown may too
            return Bounds(v, v + unknown, tuple(en_l), tuple(zh_l))
        # every unit of the types counts: the unknown units are there, only not seen
        types = [str(t) for t in _listed(spec, "types")]
        whole = Fraction(self._count(types, (), area) + self._missing(types, area)[0])
        return Bounds(whole, whole, tuple(en_l), tuple(zh_l))

    def unknown(
        self, spec: Spec, area: str | None
    ) -> tuple[int, dict[str, int], list[str], list[str]]:
        """Return the units a facility spec cannot see, and why (in words).

        Returns
        -------
        unknown : int
            Units expected but not listed, plus listed units with a blank in a column read.
        per_group : dict of str to int
            The same by group of units (``centres``, ``clinics``, ``other``).
        en, zh : list of str
            The gaps and the blanks, in the words ``validate`` uses.
        """
        types = [str(t) for t in _listed(spec, "types")]
        read = _read_columns(spec)
        en_l: list[str] = []
        zh_l: list[str] = []
        gaps = self.gaps(area)
        open_ = [gaps[g] for g in groups_of(types) if not gaps[g].complete]
        en, zh = gap_text(open_)
        if en:
            en_l.append(en)
            zh_l.append(zh)
        per_group: dict[str, int] = {}
        for group in dict.fromkeys(group_of(t) for t in types):
            mine = [t for t in types if group_of(t) == group]
            listed = self._count(mine, (), area)
            reported = self._count(mine, read, area)
            missing = gaps[group].missing if group in gaps else 0
            per_group[group] = listed - reported + missing
            if listed > reported:
                b_en, b_zh = blank_text(group, listed - reported, listed, read)
                en_l.append(b_en)
                zh_l.append(b_zh)
        return sum(per_group.values()), per_group, en_l, zh_l

    def _population_doubt(self, num: Spec, den: Spec, area: str | None) -> str:
        """Why a township's per-resident figure has no verdict: its population is in doubt.

        Validation marks a township whose villages add up to more people than it has
        (:mod:`tcmcounty.inputs.consistency`); a figure per resident of it could be off by as
        much: no verdict, said in the words of the warning.
        """
        if area is None or "population" not in (num.kind, den.kind):
            return ""
        t = self.county.townships
        if DOUBT not in t:
            return ""
        rows = t[(t["code"].astype("string") == str(area)).to_numpy(dtype=bool)]
        if not len(rows) or "population" not in str(rows[DOUBT].iloc[0]).split(","):
            return ""
        name = str(rows["name"].iloc[0]) if "name" in rows else str(area)
        return (
            f"the villages of {name} add up to more people than the township: its population is in "
            "doubt, no verdict / "
            f"{name}各村人口之和多于乡镇人口，乡镇人口存疑，无法判断是否达标"
        )

    def _largest(self, spec: Spec, per_group: dict[str, int]) -> Fraction | None:
        """Most the unknown units can add to a sum: each as large as the largest of its kind.

        The largest reported value of the summed column among the county's listed units of the
        same group (a missing 村卫生室 is taken to be no larger than the largest listed one);
        ``None`` (without limit) when no unit of a group with unknowns reports it.
        """
        field = str(spec.param("field"))
        types = [str(t) for t in _listed(spec, "types")]
        f = self.county.facilities
        total = Fraction(0)
        for group, n in per_group.items():
            if not n:
                continue
            mine = f["type"].isin([t for t in types if group_of(t) == group]).fillna(False)
            values = pd.to_numeric(f.loc[mine.to_numpy(dtype=bool), field], errors="coerce")
            values = values.dropna()
            if not len(values):
                return None
            total += n * exact(int(values.max()))
        return total

    # ----------------------------------------------------------------------------------------
    # the decision

    def check(
        self,
        ind: Indicator,
        level: str,
        area: str | None,
        num: Quantity,
        den: Quantity,
        target: Target | None,
        result: Assessment,
    ) -> Decision:
        """Return whether the verdict ``result.met`` holds whatever the unknown units say.

        A value that cannot be computed (no unit listed at all) while units are missing says
        so too: the reason is the roster's gap, not only "denominator is zero".
        """
        if target is None:
            return Decision()
        num_spec, den_spec = ind.specs(level)  # type: ignore[arg-type]
        where = area if level == "township" else None
        doubt = self._population_doubt(num_spec, den_spec, where)
        if doubt and result.met is not None:
            return Decision(withheld=doubt)
        if result.met is None:
            if result.value is not None or den_spec.kind not in ("facility_count", "facility_sum"):
                return Decision()
            types = [str(t) for t in _listed(den_spec, "types")]
            en, zh = gap_text([g for g in self._missing(types, where)[1]])
            return (
                Decision(withheld=f"{en}: no verdict / {zh}，无法判断是否达标")
                if en
                else Decision()
            )
        bn = self.bounds(num_spec, num, level, where)
        bd = self.bounds(den_spec, den, level, where)
        if bn.exact and bd.exact and bn.low == num.value and bd.low == den.value:
            return Decision()
        why_en = list(dict.fromkeys([*bn.en, *bd.en]))
        why_zh = list(dict.fromkeys([*bn.zh, *bd.zh]))
        corners = [
            (n, d)
            for n in dict.fromkeys((bn.low, bn.high))
            for d in dict.fromkeys((bd.low, bd.high))
        ]
        verdicts = [_met_at(n, d, ind, target) for n, d in corners]
        if all(m is result.met for m in verdicts):
            if not why_zh:
                return Decision()
            return Decision(
                note=f"{'; '.join(why_en)}, but the verdict holds whatever the missing data say / "
                f"{'；'.join(why_zh)}，但无论缺失数据如何，判定不变"
            )
        values = [_value_at(n, d, ind) for n, d in corners]
        span_en, span_zh = _span(ind, values)
        return Decision(
            withheld=f"{'; '.join(why_en) or 'incomplete data'}{span_en}: no verdict / "
            f"{'；'.join(why_zh) or '数据不全'}{span_zh}，无法判断是否达标"
        )


def _listed(spec: Spec, name: str) -> Iterable[object]:
    """Parameter ``name`` of ``spec``, a list in the registry (``types``, ``require_reported``), empty when absent."""
    # cast: Spec.param is typed ``object``; the registry stores these parameters as lists
    return cast("Iterable[object]", spec.param(name) or ())


def _read_columns(spec: Spec) -> list[str]:
    """Facility columns a ``facility_count`` / ``facility_sum`` spec reads, in order."""
    cols: list[str] = [str(c) for c in _listed(spec, "require_reported")]
    for key in ("where", "at_least"):
        # a table of column = value (where) or column = minimum (at_least)
        cols.extend(str(c) for c in cast("Iterable[object]", spec.param(key) or {}))
    share = spec.param("share_at_least")
    if isinstance(share, dict):
        cols.extend((str(share["part"]), str(share["whole"])))
    if spec.param("field"):
        cols.append(str(spec.param("field")))
    return list(dict.fromkeys(cols))


def _value_at(n: Bound, d: Bound, ind: Indicator) -> float | None:
    if n is None and d is None:
        return None
    if n is None:
        return math.inf
    if d is None:
        return 0.0
    if d == 0:
        return None
    return float(n * exact(ind.factor) / d)


def _met_at(n: Bound, d: Bound, ind: Indicator, target: Target) -> bool | None:
    """Return the verdict if the numerator were ``n`` and the denominator ``d`` (None: without limit)."""
    if n is None and d is None:
        return None
    if n is None:  # the value without limit
        if target.kind in ("at_least", "boolean") or (
            target.kind == "range" and not ind.range_is_band
        ):
            return True
        return False
    if d is None:  # the value tends to 0
        n, d = Fraction(0), Fraction(1)
    if d == 0:
        return None
    return assess(n, d, ind.factor, target, band=ind.range_is_band).met


def _span(ind: Indicator, values: list[float | None]) -> tuple[str, str]:
    """``, from 5.0 % to 100.0 % depending on the missing data`` (both languages)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if len(finite) != len(values) or not finite:
        return (
            ", the missing data could move the value without limit",
            "，缺失数据可使数值任意变化",
        )
    lo, hi = (f"{value_text(ind, v)} {ind.unit_zh}".strip() for v in (min(finite), max(finite)))
    return (
        f", the value could be anywhere from {lo} to {hi} depending on the missing data",
        f"，按缺失数据全为“否”或全为“是”计算，数值在 {lo} 至 {hi} 之间",
    )
