"""What-if scenarios: a county with some facilities' 中医阁 / 中医馆 / TCM flags changed.

A scenario never touches the input file: :func:`with_changes` returns a new
:class:`~tcmcounty.county.County` (``path`` is ``None``, so caches key it by its content), and
:func:`write_scenario` saves it as a workbook of its own, with a sheet listing what was changed.
Every figure of a scenario then comes from the same functions as the county's own
(:func:`tcmcounty.reporting.results.compute_results`, :func:`tcmcounty.plan.plan_sites`).

One rule lives here: a facility that gets a 中医阁 or a 中医馆 provides TCM services
(:data:`IMPLIES`), as the consistency checks of the inputs expect.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tcmcounty.county import County

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
    for c in todo:
        at = where[c.facility_id]
        rows = list(at) if isinstance(at, pd.Series) else [int(at)]
        cols = [c.flag] + ([IMPLIES[c.flag]] if c.value and c.flag in IMPLIES else [])
        for col in cols:
            if col not in fac:
                fac[col] = pd.Series(pd.NA, index=fac.index, dtype="boolean")
            fac[col] = fac[col].astype("boolean")
            fac.iloc[rows, fac.columns.get_loc(col)] = c.value
    n = len({c.facility_id for c in todo})
    note = f"scenario: {n} facilities changed / 情景：{n} 个机构的标记已改变"
    return dataclasses.replace(
        county, facilities=fac, path=None, warnings=[*county.warnings, note] if n else []
    )


def with_sites(county: County, facility_ids: Iterable[str]) -> County:
    """Return ``county`` with a 中医阁 at each facility of ``facility_ids`` (recommended sites).

    Examples
    --------
    >>> import tcmcounty
    >>> from tcmcounty.plan import plan_sites
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
