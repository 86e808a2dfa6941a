"""Which villages an alliance covers: the coverage rule of ``T-YLT`` (see :mod:`tcmcounty.indicators.alliance`).

A village is served by its own 村卫生室 / 社区卫生服务站, or, lacking one, by the 乡镇卫生院 /
社区卫生服务中心 of its township (:func:`tcmcounty.services.serving_facilities`); it is covered
by an alliance when one of its serving facilities is a member (the lead facility included).
Computed once per county inside a :func:`tcmcounty.memo.reuse_membership` block.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd

from tcmcounty.county import County
from tcmcounty.memo import reuse
from tcmcounty.services import TOWNSHIP_LEVEL_TYPES, VILLAGE_LEVEL_TYPES, serving_facilities

_T = TypeVar("_T")


def _once(county: County, what: tuple[object, ...], make: Callable[[], _T]) -> _T:
    """``make()``, computed once per county and ``what`` inside a :func:`reuse_membership` block."""
    return reuse(what, (county, county.villages, county.facilities, county.alliances), make)


def village_serving(county: County) -> pd.DataFrame:
    """Return the facilities serving each village (:func:`tcmcounty.services.serving_facilities`), once per block."""
    return _once(
        county, ("serving",), lambda: serving_facilities(county.villages, county.facilities)
    )


def _statuses(f: pd.DataFrame) -> tuple[str, ...]:
    return tuple(str(s) for s in f["status"].dropna().unique()) if "status" in f else ()


def lead_of(a: pd.Series) -> str | None:
    """Return the id of an alliance row's lead facility (``None`` when it has none)."""
    lead = a.get("lead_facility_id")
    return None if lead is None or (not isinstance(lead, str) and pd.isna(lead)) else str(lead)


def members_of(a: pd.Series) -> set[str]:
    """Return the ids of an alliance row's members, its lead facility included."""
    raw = a.get("member_ids")
    if isinstance(raw, str):
        raw = [m.strip() for m in raw.split(";") if m.strip()]
    elif not isinstance(raw, (list, tuple, set, np.ndarray)):
        raw = []
    out = {str(m) for m in raw}
    lead = lead_of(a)
    if lead is not None:
        out.add(lead)
    return out


def led_by(lead: str | None, types_by_id: dict[str, str], lead_types: tuple[str, ...]) -> bool:
    """Tell whether an alliance with this lead counts: its lead is of ``lead_types`` (all if empty)."""
    if not lead_types:
        return True
    return lead is not None and types_by_id.get(lead) in lead_types


def village_alliances(county: County) -> list[list[str]]:
    """Return, for each village in order, the ids of the alliances that cover it (any lead).

    Parameters
    ----------
    county : County
        The county.

    Returns
    -------
    list of list of str
        One list per row of ``county.villages``: alliance ids in input order.

    Examples
    --------
    >>> import tcmcounty
    >>> c = tcmcounty.load_county("wenxi", warn=False)
    >>> len(village_alliances(c)) == len(c.villages)
    True
    """
    if not isinstance(county, County):
        raise TypeError(f"county must be a County, not {type(county).__name__}")
    return _once(county, ("covering",), lambda: _village_alliances(county))


def _village_alliances(county: County) -> list[list[str]]:
    serving = village_serving(county)
    al = county.alliances
    ids = al["id"].astype(str).tolist() if len(al) else []
    sets = [members_of(a) for _, a in al.iterrows()]
    return [
        [aid for aid, ms in zip(ids, sets, strict=True) if ms.intersection(sid)]
        for sid in serving["serving_ids"]
    ]


def covered_villages(
    county: County, lead_types: list[str] | tuple[str, ...]
) -> tuple[pd.DataFrame, tuple[str, ...], list[str]]:
    """Return the villages covered by alliances led by a facility of ``lead_types``.

    Parameters
    ----------
    county : County
        The county.
    lead_types : list of str
        Facility types whose alliances count (``["county_tcm_hospital"]``); empty for all.

    Returns
    -------
    villages : DataFrame
        The covered rows of ``county.villages``.
    statuses : tuple of str
        Statuses of the alliances and facilities that decided coverage.
    notes : list of str
        Alliances left out and why.

    Examples
    --------
    >>> import tcmcounty
    >>> c = tcmcounty.load_county("wenxi", warn=False)
    >>> villages, statuses, notes = covered_villages(c, ["county_tcm_hospital"])
    >>> 0 < len(villages) < len(c.villages)
    True
    """
    if not isinstance(county, County):
        raise TypeError(f"county must be a County, not {type(county).__name__}")
    lead_types = tuple(lead_types)
    return _once(county, ("covered", lead_types), lambda: _covered_villages(county, lead_types))


def _covered_villages(
    county: County, lead_types: tuple[str, ...]
) -> tuple[pd.DataFrame, tuple[str, ...], list[str]]:
    fac = county.facilities
    types_by_id = dict(zip(fac["id"].astype(str), fac["type"].astype(str), strict=True))
    notes: list[str] = []
    counted: set[str] = set()
    statuses: list[str] = []
    for _, a in county.alliances.iterrows():
        lead = lead_of(a)
        if lead_types and lead is None:
            notes.append(f"alliance {a['id']} has no lead facility and is left out")
            continue
        if not led_by(lead, types_by_id, lead_types):
            continue
        counted.add(str(a["id"]))
        if pd.notna(a.get("status")):
            statuses.append(str(a["status"]))
    statuses.extend(
        _statuses(fac[fac["type"].isin(VILLAGE_LEVEL_TYPES)])
        + _statuses(fac[fac["type"].isin(TOWNSHIP_LEVEL_TYPES)])
    )
    covered = np.array([bool(counted.intersection(ids)) for ids in village_alliances(county)])
    v = county.villages
    return v[covered] if len(v) else v, tuple(dict.fromkeys(statuses)), notes
