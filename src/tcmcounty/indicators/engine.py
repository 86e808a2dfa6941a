"""The indicator engine: :func:`compute` turns a county into the indicator table."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from tcmcounty.county import POPULATION_KEYS, County, weakest_status
from tcmcounty.formatting import value_text
from tcmcounty.indicators.assess import Assessment, assess
from tcmcounty.indicators.kinds import Context, Quantity, describe
from tcmcounty.indicators.model import Indicator, Level, Target, TargetSet
from tcmcounty.indicators.registry import Registry, load_registry
from tcmcounty.indicators.targets import load_targets
from tcmcounty.indicators.townships import evaluate_county, evaluate_townships
from tcmcounty.indicators.verdicts import Decision, Verdicts
from tcmcounty.memo import reuse_membership

#: Columns of the indicator table, in order.
COLUMNS: tuple[str, ...] = (
    "id",
    "name_zh",
    "name_en",
    "level",
    "area_code",
    "area_name",
    "value",
    "value_text",
    "unit",
    "target",
    "target_low",
    "target_high",
    "met",
    "gap",
    "need",
    "need_unit",
    "excess",
    "numerator",
    "denominator",
    "numerator_definition",
    "denominator_definition",
    "numerator_year",
    "denominator_year",
    "input_status",
    "input_derived",
    "note",
    "reason",
    "no_verdict",
    "target_set",
    "target_source",
    "target_basis",
    "target_evidence",
    "target_grade",
    "area",
)
_DTYPES: dict[str, Literal["Float64", "boolean", "Int64"]] = {
    "value": "Float64",
    "target_low": "Float64",
    "target_high": "Float64",
    "met": "boolean",
    "gap": "Float64",
    "need": "Int64",
    "excess": "Int64",
    "numerator": "Float64",
    "denominator": "Float64",
    "numerator_year": "Int64",
    "denominator_year": "Int64",
}
BY_VALUES = (None, "county", "township")
MET_MARKS = {True: "✓ 达标 met", False: "✗ 未达标 not met"}


#: The decision of a row whose verdict the data support.
_STANDS = Decision()


@dataclass(frozen=True)
class _Row:
    ind: Indicator
    level: Level
    code: str
    name: str
    num: Quantity
    den: Quantity
    target: Target | None
    result: Assessment
    decision: Decision = _STANDS
    population: str = "resident"


def _value_text(ind: Indicator, num: Quantity, a: Assessment) -> str:
    """Return the value as shown (:func:`tcmcounty.formatting.value_text`, shared with summary.xlsx)."""
    return value_text(ind, a.value, num.text or "")


def _reason(r: _Row) -> str:
    num, den = r.num, r.den
    reasons = [q.reason for q in (num, den) if q.value is None and q.reason]
    if not reasons and den.value == 0:
        # the English side in English words (the definition kept in the row names the inputs
        # in Chinese too), the Chinese side as it was
        den_en = describe(r.ind.specs(r.level)[1], r.level, r.population, lang="en")
        reasons.append(f"denominator is zero: {den_en} / 分母为0")
    return "; ".join(dict.fromkeys(reasons))


def _range_notes(ind: Indicator, t: Target | None, a: Assessment) -> list[str]:
    """Say how a range target was read: a level to reach (met above it) or a band (and why)."""
    if t is None or t.kind != "range" or a.value is None:
        return []
    text = t.describe(ind.decimals, ind.scale)
    if ind.range_is_band:
        return [f"range {text} is a band, both ends bind: {ind.band_reason} / 区间上下限均须遵守"]
    if t.high is not None and a.value > t.high:
        return [
            f"above the range {text}: met, the target is a level to reach / "
            f"高于区间 {text}，按达到区间判定为达标"
        ]
    return []


def _record(r: _Row, target_set: TargetSet) -> dict[str, object]:
    ind, a, t = r.ind, r.result, r.target
    notes = [*r.num.notes, *r.den.notes]
    withheld = r.decision.withheld
    if withheld:  # the data cannot support a verdict: the value stands, met / need do not
        a = Assessment(a.value, None, None, None, None)
    if r.decision.note:
        notes.append(r.decision.note)
    if t is not None and t.reading:
        notes.append(t.reading)
    if t is None and a.value is not None:
        notes.append(
            f"no target for this indicator at {r.level} level in target set {target_set.id}"
        )
    notes.extend(_range_notes(ind, t, a))
    need = a.need
    if not ind.countable:
        need = 0 if a.met else None
    need_unit = ind.need_unit
    if t is not None and t.kind == "at_most" and need_unit:
        need_unit = f"to remove / 需减少: {need_unit}"
    statuses = [*r.num.statuses, *r.den.statuses]
    return {
        "id": ind.id,
        "name_zh": ind.name_zh,
        "name_en": ind.name_en,
        "level": r.level,
        "area_code": r.code,
        "area_name": r.name,
        "value": a.value,
        "value_text": _value_text(ind, r.num, a),
        "unit": ind.unit,
        "target": t.describe(ind.decimals, ind.scale) if t else "",
        "target_low": t.low if t else None,
        "target_high": t.high if t else None,
        "met": a.met,
        "gap": a.gap,
        "need": need,
        "need_unit": need_unit,
        "excess": a.excess,
        "numerator": float(r.num.value) if r.num.value is not None else None,
        "denominator": float(r.den.value) if r.den.value is not None else None,
        "numerator_definition": r.num.definition,
        "denominator_definition": r.den.definition,
        "numerator_year": r.num.year,
        "denominator_year": r.den.year,
        "input_status": weakest_status(statuses),
        "input_derived": "; ".join(dict.fromkeys([*r.num.derived, *r.den.derived])) or None,
        "note": "; ".join(dict.fromkeys(notes)),
        "reason": "; ".join(x for x in (withheld, _reason(r)) if x),
        "no_verdict": withheld,
        "target_set": t.set_id if t else target_set.id,
        "target_source": t.citation if t else "",
        "target_basis": t.basis if t else "",
        "target_evidence": t.evidence if t else "",
        "target_grade": t.grade if t else "",
        "area": ind.area,
    }


def _frame(records: list[dict[str, object]]) -> pd.DataFrame:
    df = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    for col, dtype in _DTYPES.items():
        df[col] = df[col].astype(dtype)
    return df


#: :func:`assess` of each numerator, denominator, factor, target and band met (townships repeat
#: them: 0 of 1, 1 of 1 …). An Assessment is immutable; the arguments' types are part of the
#: key (a float and the Fraction equal to it are not the same input); errors are not kept.
_assess = functools.lru_cache(maxsize=1 << 14, typed=True)(assess)


def _row(
    ind: Indicator,
    level: Level,
    code: str,
    name: str,
    num: Quantity,
    den: Quantity,
    ts: TargetSet,
    verdicts: Verdicts,
    population: str = "resident",
) -> _Row:
    target = ts.lookup(ind.id, level)
    result = _assess(num.value, den.value, ind.factor, target, band=ind.range_is_band)
    decision = verdicts.check(ind, level, code, num, den, target, result)
    return _Row(ind, level, code, name, num, den, target, result, decision, population)


def _one(
    ind: Indicator, ctx: Context, ts: TargetSet, code: str, name: str, verdicts: Verdicts
) -> _Row:
    num_spec, den_spec = ind.specs(ctx.level)
    num, den = evaluate_county(num_spec, ctx), evaluate_county(den_spec, ctx)
    return _row(ind, ctx.level, code, name, num, den, ts, verdicts, ctx.population)


def _by_township(
    county: County,
    reg: Registry,
    ts: TargetSet,
    population: str,
    allow_estimates: bool,
    verdicts: Verdicts,
) -> list[_Row]:
    """Rows of every township, township by township: each quantity computed for all at once.

    :func:`~tcmcounty.indicators.townships.evaluate_townships` groups the facilities and
    villages by township once per quantity; the values are those of one township at a time.
    """
    towns = county.townships
    codes = towns["code"].astype(str).tolist()
    names = towns["name"].astype(str).tolist()
    columns = []
    for ind in reg:
        if "township" in ind.levels:
            ctx = Context(county, ind, "township", None, population, allow_estimates)
            num_spec, den_spec = ind.specs("township")
            nums = evaluate_townships(num_spec, ctx, codes)
            columns.append((ind, nums, evaluate_townships(den_spec, ctx, codes)))
    return [
        _row(ind, "township", code, name, nums[i], dens[i], ts, verdicts, population)
        for i, (code, name) in enumerate(zip(codes, names, strict=True))
        for ind, nums, dens in columns
    ]


def compute(
    county: County | str | os.PathLike[str],
    population: str = "resident",
    targets: str | os.PathLike[str] | TargetSet | None = None,
    by: str | None = None,
    *,
    allow_estimates: bool = True,
    registry: Registry | None = None,
    indicators: list[str] | None = None,
) -> pd.DataFrame:
    """Compute every indicator of the registry for a county and compare it with its target.

    Values follow the DHIS2 model: numerators and denominators are summed over the area, then
    divided (ratios are never averaged). Missing inputs are *not reported*, never zero: the value
    is NA and ``reason`` says why; a zero denominator also gives NA, never ``inf``.

    Parameters
    ----------
    county : County, str or path
        A loaded county, or a bundle path / bundled county name for :func:`tcmcounty.load_county`.
    population : {"resident", "registered"}, default "resident"
        Population base of per-capita indicators: 常住人口 (default, as the standard) or 户籍人口.
    targets : str, path or TargetSet, optional
        ``None`` for the default set (示范县 targets + national 2025 planning values); a user
        TOML/CSV file laid over the default; a shipped set name; or a :class:`TargetSet`.
    by : {None, "county", "township"}, default None
        ``"township"`` gives one row per township and indicator available at that level
        (facility-based indicators; staff from facility sums over the township population).
    allow_estimates : bool, default True
        When an official county figure is not reported, use its estimate (status ``estimated``,
        ``note`` "official figure not reported; estimate used"). ``False`` makes such indicators NA.
    registry : Registry, optional
        Indicator registry (the shipped one by default).
    indicators : list of str, optional
        Restrict to these indicator IDs.

    Returns
    -------
    pandas.DataFrame
        One row per indicator (per township with ``by="township"``), columns :data:`COLUMNS`:
        ``value`` (unrounded) and ``value_text`` (rounded for display), ``target`` text with
        ``target_low`` / ``target_high``, ``met`` (nullable boolean), ``gap`` (signed margin,
        ``>= 0`` when met), ``need`` (smallest whole number of ``need_unit`` to add; 0 when met;
        for ``at_most`` targets the number to remove), ``excess`` (units above an upper bound),
        ``numerator``, ``denominator`` and their definitions and years, ``input_status``
        (weakest of official / estimated / synthetic), ``input_derived`` (``"roster"`` when a
        county total the county did not give was summed from the facility roster, else NA;
        print it with :func:`tcmcounty.county.status_label`), ``note``, ``reason`` (why NA),
        ``target_set``, ``target_source``, ``target_basis``, ``target_evidence``,
        ``target_grade`` (``verified`` / ``derived`` / ``unverified``; empty without a target)
        and ``area`` (the area of the standard, :data:`~tcmcounty.indicators.model.AREAS`).
        ``df.attrs`` holds ``county``, ``population``, ``target_set`` and ``target_set_label``.

    Raises
    ------
    TypeError
        If ``county`` or ``allow_estimates`` has the wrong type.
    ValueError
        If ``population`` or ``by`` is not one of the allowed values.
    InputError
        If a target file is invalid.

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.indicators import compute
    >>> df = compute(tcmcounty.load_county("anyue", warn=False))
    >>> df.set_index("id").loc["T-ZYG-PAV", "target"]
    '≥ 10%'
    """
    if isinstance(county, (str, os.PathLike)):
        from tcmcounty.inputs.load import load_county

        county = load_county(county, warn=False)
    if not isinstance(county, County):
        raise TypeError(f"county must be a County or a bundle path, not {type(county).__name__}")
    if population not in POPULATION_KEYS:
        raise ValueError(
            f"population must be one of {', '.join(POPULATION_KEYS)}, not {population!r}"
        )
    if by not in BY_VALUES:
        raise ValueError(f"by must be None, 'county' or 'township', not {by!r}")
    if not isinstance(allow_estimates, bool):
        raise TypeError(f"allow_estimates must be a bool, not {type(allow_estimates).__name__}")
    reg = (registry or load_registry()).select(indicators)
    ts = load_targets(targets)
    verdicts = Verdicts(county)
    with reuse_membership():
        if by == "township":
            rows = _by_township(county, reg, ts, population, allow_estimates, verdicts)
        else:
            rows = [
                _one(
                    ind,
                    Context(county, ind, "county", None, population, allow_estimates),
                    ts,
                    county.adcode,
                    county.name_zh,
                    verdicts,
                )
                for ind in reg
            ]
    df = _frame([_record(r, ts) for r in rows])
    df.attrs.update(
        {
            "county": county.name,
            "adcode": county.adcode,
            "population": population,
            "target_set": ts.id,
            "target_set_label": ts.label,
            "allow_estimates": allow_estimates,
            "target_readings": tuple(
                dict.fromkeys(t.reading for t in ts.targets.values() if t.reading)
            ),
        }
    )
    return df


def met_mark(met: object) -> str:
    """Return ``✓ 达标 met``, ``✗ 未达标 not met`` or ``— 无法判断 n/a`` for a ``met`` cell.

    Examples
    --------
    >>> met_mark(False)
    '✗ 未达标 not met'
    """
    if met is True or met is False:
        return MET_MARKS[bool(met)]
    try:
        if pd.isna(met):  # type: ignore[call-overload]  # any cell: pandas-stubs take scalars and arrays only
            return "— 无法判断 n/a"
    except (TypeError, ValueError):
        pass
    return MET_MARKS[bool(met)]
