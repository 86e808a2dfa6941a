"""What-if scenarios: a county with some facilities' 中医阁 / 中医馆 / TCM flags changed.

A scenario never touches the input file: :func:`with_changes` returns a new
:class:`~tcmcounty.county.County` (``path`` is ``None``, so caches key it by its content), and
:func:`write_scenario` saves it as a workbook of its own, with a sheet listing what was changed.
Every figure of a scenario then comes from the same functions as the county's own
(:func:`tcmcounty.reporting.results.compute_results`, :func:`tcmcounty.spatial.plan.plan_sites`).

One rule lives here: a facility that gets a 中医阁 or a 中医馆 provides TCM services
(:data:`IMPLIES`), as the consistency checks of the inputs expect.

:func:`scenario_results` gives a scenario's results faster than ``compute_results`` (the
workbench's what-if): it computes again only what a flag can change and takes the rest from
the county's own results; the figures are the same (``tests/test_scenario.py`` checks it).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast

import numpy as np
import pandas as pd

from tcmcounty.county import County

if TYPE_CHECKING:
    from tcmcounty.reporting.results import CountyResults

    class _IndicatorArgs(TypedDict):
        """Arguments of ``indicators.compute`` a scenario passes on from its base results."""

        population: str
        targets: str | None
        indicators: list[str]


#: Facility flags a scenario may change: column -> (Chinese, English).
FLAGS: dict[str, tuple[str, str]] = {
    "has_tcm_pavilion": ("中医阁", "中医阁 (TCM pavilion)"),
    "has_tcm_hall": ("中医馆", "中医馆 (TCM hall)"),
    "provides_tcm": ("提供中医药服务", "provides TCM services"),
}
#: Setting one of these flags to yes sets ``provides_tcm`` to yes too.
IMPLIES: dict[str, str] = {"has_tcm_pavilion": "provides_tcm", "has_tcm_hall": "provides_tcm"}
#: Sheet of a scenario workbook that lists the changes.
CHANGES_SHEET = "情景变更"


@dataclass(frozen=True)
class Change:
    """One facility flag set to a value in a scenario.

    Parameters
    ----------
    facility_id : str
        The facility's ``id``.
    flag : str
        A key of :data:`FLAGS`.
    value : bool
        The value in the scenario.
    """

    facility_id: str
    flag: str
    value: bool


def _as_changes(changes: Iterable[Change] | Mapping[str, Mapping[str, bool]]) -> list[Change]:
    if isinstance(changes, Mapping):
        return [Change(str(i), f, bool(v)) for i, fl in changes.items() for f, v in fl.items()]
    return list(changes)


def _check(county: County, changes: list[Change]) -> None:
    ids = set(county.facilities["id"].astype(str))
    for c in changes:
        if c.flag not in FLAGS:
            raise ValueError(
                f"unknown flag {c.flag!r}; a scenario changes one of {', '.join(FLAGS)}"
            )
        if c.facility_id not in ids:
            raise KeyError(f"no facility with id {c.facility_id!r} in {county.name_zh}")


def with_changes(
    county: County, changes: Iterable[Change] | Mapping[str, Mapping[str, bool]]
) -> County:
    """Return a copy of ``county`` with facility flags changed; the input is left as it was.

    Parameters
    ----------
    county : County
        The county as read.
    changes : iterable of Change, or mapping
        What to change: :class:`Change` records, or ``{facility_id: {flag: value}}``.
        Setting ``has_tcm_pavilion`` or ``has_tcm_hall`` to yes also sets ``provides_tcm``
        (:data:`IMPLIES`); later changes win over earlier ones.

    Returns
    -------
    County
        A new county (``path`` ``None``); its ``warnings`` say how many facilities changed.

    Raises
    ------
    ValueError
        A flag is not one of :data:`FLAGS`.
    KeyError
        A facility id is not in the county.

    Examples
    --------
    >>> import tcmcounty
    >>> c = tcmcounty.load_county("anyue", warn=False)
    >>> fid = c.facilities.loc[c.facilities["type"] == "village_clinic", "id"].iloc[0]
    >>> s = with_changes(c, {fid: {"has_tcm_pavilion": True}})
    >>> bool(s.facilities.set_index("id").loc[fid, "provides_tcm"]), s.path is None
    (True, True)
    >>> c.facilities.set_index("id").loc[fid, "has_tcm_pavilion"] == s.facilities.set_index(
    ...     "id").loc[fid, "has_tcm_pavilion"]
    np.False_
    """
    todo = _as_changes(changes)
    _check(county, todo)
    fac = county.facilities.copy()
    where = pd.Series(range(len(fac)), index=fac["id"].astype(str))
    values: dict[str, dict[int, bool]] = {}  # column -> row -> value, later changes winning
    for c in todo:
        at = where[c.facility_id]
        rows = list(at) if isinstance(at, pd.Series) else [int(at)]
        cols = [c.flag] + ([IMPLIES[c.flag]] if c.value and c.flag in IMPLIES else [])
        for col in cols:
            for r in rows:
                values.setdefault(col, {}).pop(r, None)
                values[col][r] = c.value
    for col, by_row in values.items():
        if col not in fac:
            fac[col] = pd.Series(pd.NA, index=fac.index, dtype="boolean")
        fac[col] = fac[col].astype("boolean")
        for value in (True, False):
            rows = [r for r, v in by_row.items() if bool(v) == value]
            if rows:
                # (one position: the facility table's column names are unique)
                fac.iloc[rows, cast(int, fac.columns.get_loc(col))] = value
    n = len({c.facility_id for c in todo})
    note = f"scenario: {n} facilities changed / 情景：{n} 个机构的标记已改变"
    return dataclasses.replace(
        county, facilities=fac, path=None, warnings=[*county.warnings, note] if n else []
    )


@functools.cache
def flag_indicators() -> tuple[str, ...]:
    """Return the indicators whose rule reads a flag of :data:`FLAGS` (those a scenario changes).

    An indicator reads a flag when its numerator or denominator (county or township) names
    one, as ``where`` or ``require_reported`` do; no other kind of the registry reads them
    (medical-alliance coverage follows facility types, not flags).

    Examples
    --------
    >>> sorted(flag_indicators())
    ['T-VC-TCM', 'T-ZYG-HALL', 'T-ZYG-PAV']
    """
    from tcmcounty.indicators import load_registry

    def names_a_flag(v: object) -> bool:
        if isinstance(v, str):
            return v in FLAGS
        if isinstance(v, Mapping):
            return any(names_a_flag(k) or names_a_flag(x) for k, x in v.items())
        if isinstance(v, (list, tuple, set)):
            return any(names_a_flag(x) for x in v)
        return False

    return tuple(
        ind.id
        for ind in load_registry()
        if any(
            spec is not None and names_a_flag(dict(spec.params))
            for spec in (
                ind.numerator,
                ind.denominator,
                ind.township_numerator,
                ind.township_denominator,
            )
        )
    )


def only_flags_differ(county: County, scenario: County) -> bool:
    """Return whether ``scenario`` differs from ``county`` in facility flags only.

    True for :func:`with_changes` of ``county`` (and of a scenario of it): every other table
    is the same object, and the facilities are the same rows outside :data:`FLAGS`.

    Examples
    --------
    >>> import tcmcounty
    >>> c = tcmcounty.load_county("wenxi", warn=False)
    >>> fid = str(c.facilities["id"].iloc[0])
    >>> only_flags_differ(c, with_changes(c, {fid: {"has_tcm_hall": True}}))
    True
    >>> only_flags_differ(c, tcmcounty.load_county("wenxi", warn=False))
    False
    """
    for f in dataclasses.fields(county):
        if f.name not in ("facilities", "path", "warnings") and getattr(
            county, f.name
        ) is not getattr(scenario, f.name):
            return False
    a, b = county.facilities, scenario.facilities
    if len(a) != len(b) or not set(b.columns) - set(a.columns) <= set(FLAGS):
        return False
    other = [c for c in a.columns if c not in FLAGS]
    return bool(a[other].equals(b[other]))


def _splice(base: pd.DataFrame, part: pd.DataFrame, ids: tuple[str, ...]) -> pd.DataFrame:
    """Return ``base`` with its rows of ``ids`` replaced, in place and order, by ``part``."""
    at = np.flatnonzero(base["id"].isin(ids).to_numpy())
    keys = [c for c in ("id", "area_code") if c in base.columns]
    if len(at) != len(part) or any(
        base[k].to_numpy(dtype=object)[at].tolist() != part[k].to_numpy(dtype=object).tolist()
        for k in keys
    ):
        raise ValueError("the indicator rows do not line up")
    rest = np.setdiff1d(np.arange(len(base)), at)
    out = pd.concat(
        [base.iloc[rest].set_axis(rest), part.set_axis(at)[list(base.columns)]]
    ).sort_index()
    out = out.set_axis(base.index)
    out.attrs = {**base.attrs, **part.attrs}
    return out


def scenario_results(base: CountyResults, scenario: County) -> CountyResults:
    """Return the results of a scenario of ``base.county``, computing again only what flags change.

    The figures are those of ``compute_results(scenario)`` with ``base``'s parameters: the
    indicators of :func:`flag_indicators` are computed again (county and township rows; the
    other rows are ``base``'s, whose inputs the scenario does not change), then the steps
    that read the facilities' services are run as ``compute_results`` runs them: coverage,
    accessibility, the 中医阁 plan, travel (when ``base`` has it) and the worklists. A county
    that differs from ``base.county`` in more than flags (:func:`only_flags_differ`) is
    computed in full. ``load_warnings`` are ``base``'s and those of the steps run again.

    Parameters
    ----------
    base : CountyResults
        The results of the county as read.
    scenario : County
        :func:`with_changes` of ``base.county``.

    Returns
    -------
    CountyResults
    """
    from tcmcounty import indicators as ind
    from tcmcounty.memo import reuse_membership
    from tcmcounty.reporting import results as R

    travel = {
        "roads": base.travel_args.get("roads"),
        "friction": base.travel_args.get("friction"),
        "mode": base.travel_args.get("mode", "walk"),
    }
    if (
        base.indicators is None
        or base.indicators_by_township is None
        or "indicators" in base.unavailable
        or not only_flags_differ(base.county, scenario)
    ):
        return R.compute_results(
            scenario,
            population=base.population,
            thresholds_km=base.thresholds_km,
            targets=base.targets,
            **travel,
        )
    key = R.results_key(
        scenario.fingerprint(),
        population=base.population,
        thresholds_km=base.thresholds_km,
        targets_hash=R.file_hash(base.targets),
        travel=R.travel_key(base.travel_args),
    )
    res = R.CountyResults(
        key=key,
        county=scenario,
        population=base.population,
        thresholds_km=base.thresholds_km,
        targets=base.targets,
        load_warnings=list(base.load_warnings),
        travel_args=dict(base.travel_args),
    )
    ids = flag_indicators()

    def indicators_again(r: CountyResults) -> None:
        kw: _IndicatorArgs = {
            "population": r.population,
            "targets": r.targets or None,
            "indicators": list(ids),
        }
        r.indicators = _splice(base.indicators, ind.compute(scenario, **kw), ids)  # type: ignore[arg-type]
        r.indicators_by_township = _splice(
            base.indicators_by_township,  # type: ignore[arg-type]
            ind.compute(scenario, by="township", **kw),
            ids,
        )
        r.appendix = base.appendix

    steps = (
        ("indicators", indicators_again),
        ("coverage", R._coverage),
        ("access", R._access),
        ("plan", R._plan),
        ("travel", R._travel),
        ("worklists", R._worklists),  # last, as in compute_results: built from the others
    )
    with warnings.catch_warnings(record=True) as caught, reuse_membership():
        warnings.simplefilter("always")
        missing = R.missing_coordinates(scenario)
        for name, fn in steps:
            if name == "travel" and not res.travel_args:
                continue
            if missing and name not in ("indicators", "worklists"):
                res.unavailable[name] = missing
                continue
            R._run_step(res, name, fn)
    if "indicators" in res.unavailable:  # rows that do not line up: compute them all
        res.unavailable.pop("indicators")
        R._run_step(res, "indicators", R._indicators)
        R._run_step(res, "worklists", R._worklists)
    seen = set(res.load_warnings)
    for w in caught:
        if issubclass(w.category, UserWarning) and str(w.message) not in seen:
            seen.add(str(w.message))
            res.load_warnings.append(str(w.message))
    return res


def with_sites(county: County, facility_ids: Iterable[str]) -> County:
    """Return ``county`` with a 中医阁 at each facility of ``facility_ids`` (recommended sites).

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.spatial.plan import plan_sites
    >>> c = tcmcounty.load_county("anyue", warn=False)
    >>> p = plan_sites(c, sites=3, compare_optimal=False)
    >>> s = with_sites(c, p.table["facility_id"])
    >>> plan_sites(s, sites=0, compare_optimal=False).n_existing - p.n_existing
    3
    """
    return with_changes(county, [Change(str(i), "has_tcm_pavilion", True) for i in facility_ids])


def changes_frame(county: County, changes: Iterable[Change]) -> pd.DataFrame:
    """Return the changes as a table a planner reads: facility, what changed, before and after.

    Columns (Chinese, as in the workbooks): ``机构编号``, ``机构名称``, ``所属乡镇``, ``变更项``,
    ``原值``, ``情景值``.

    Examples
    --------
    >>> import tcmcounty
    >>> c = tcmcounty.load_county("anyue", warn=False)
    >>> fid = str(c.facilities["id"].iloc[0])
    >>> changes_frame(c, [Change(fid, "has_tcm_hall", True)]).columns.tolist()
    ['机构编号', '机构名称', '所属乡镇', '变更项', '原值', '情景值']
    """
    todo = _as_changes(changes)
    _check(county, todo)
    fac = county.facilities.set_index(county.facilities["id"].astype(str))
    towns = dict(zip(county.townships["code"].astype(str), county.townships["name"], strict=False))

    def word(v: object) -> str:
        return "—" if v is None or v is pd.NA or v != v else ("是" if bool(v) else "否")

    rows = []
    for c in todo:
        r = fac.loc[c.facility_id]
        r = r.iloc[0] if isinstance(r, pd.DataFrame) else r
        rows.append(
            {
                "机构编号": c.facility_id,
                "机构名称": r.get("name"),
                "所属乡镇": towns.get(str(r.get("township_code")), r.get("township_code")),
                "变更项": FLAGS[c.flag][0],
                "原值": word(r.get(c.flag)),
                "情景值": word(c.value),
            }
        )
    return pd.DataFrame(
        rows, columns=["机构编号", "机构名称", "所属乡镇", "变更项", "原值", "情景值"]
    )


def write_scenario(path: str | os.PathLike[str], county: County, changes: Iterable[Change]) -> Path:
    """Save a scenario as a workbook of its own: the changed county, then its list of changes.

    The workbook is the county's export (:func:`tcmcounty.inputs.workbook.write_workbook`) of
    :func:`with_changes`, so every command reads it like any county workbook; the sheet
    :data:`CHANGES_SHEET` lists each change (:func:`changes_frame`). The input is not touched.

    Parameters
    ----------
    path : path
        The ``.xlsx`` file to write (atomically).
    county : County
        The county as read (before the changes).
    changes : iterable of Change
        What the scenario changes.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from openpyxl import load_workbook

    from tcmcounty.inputs.workbook import write_workbook
    from tcmcounty.io import atomic_path, format_sheet

    todo = _as_changes(changes)
    out = write_workbook(path, with_changes(county, todo))
    frame = changes_frame(county, todo)
    wb = load_workbook(out)
    ws = wb.create_sheet(CHANGES_SHEET)
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([None if v is None else str(v) for v in row])
    format_sheet(ws)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return Path(out)
