"""Which villages a medical alliance (医联体/医共体) covers: the rule behind ``T-YLT``.

The 示范县 standard asks that alliances led by the county TCM hospital "cover" at least 30 % of
the population but does not define coverage (catalogue §5, UNVERIFIED). The rule used here:

1. The members of an alliance are its ``member_ids`` and its lead facility. Only alliances
   whose lead facility is of one of ``lead_types`` count (all alliances when empty); an
   alliance without a lead is left out when ``lead_types`` is given (noted).
2. A village is covered when a 村卫生室 / 社区卫生服务站 with its ``village_code`` is a member.
3. A village with no 村卫生室 / 社区卫生服务站 of its own is covered when a 乡镇卫生院 /
   社区卫生服务中心 of its township is a member.

A village whose own clinic is outside the alliance is not covered, even if its township centre
is a member: the clinic is where its residents are served first.
"""

from __future__ import annotations

import pandas as pd

from tcmcounty.county import County

VILLAGE_LEVEL = ("village_clinic", "community_health_station")
TOWN_LEVEL = ("township_health_centre", "community_health_centre")


def _statuses(f: pd.DataFrame) -> tuple[str, ...]:
    return tuple(str(s) for s in f["status"].dropna().unique()) if "status" in f else ()


def covered_villages(
    county: County, lead_types: list[str]
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
    fac = county.facilities
    types_by_id = dict(zip(fac["id"].astype(str), fac["type"].astype(str), strict=True))
    notes: list[str] = []
    members: set[str] = set()
    statuses: list[str] = []
    for _, a in county.alliances.iterrows():
        lead = a.get("lead_facility_id")
        lead = None if lead is None or pd.isna(lead) else str(lead)
        if lead_types:
            if lead is None:
                notes.append(f"alliance {a['id']} has no lead facility and is left out")
                continue
            if types_by_id.get(lead) not in lead_types:
                continue
        members.update(str(m) for m in (a.get("member_ids") or []))
        if lead is not None:
            members.add(lead)
        if pd.notna(a.get("status")):
            statuses.append(str(a["status"]))
    village_level = fac[fac["type"].isin(VILLAGE_LEVEL)]
    town_level = fac[fac["type"].isin(TOWN_LEVEL)]
    statuses.extend(_statuses(village_level) + _statuses(town_level))
    has_own = set(village_level["village_code"].dropna().astype(str))
    in_alliance = village_level[village_level["id"].astype(str).isin(members)]
    own_member = set(in_alliance["village_code"].dropna().astype(str))
    centres = town_level[town_level["id"].astype(str).isin(members)]
    town_member = set(centres["township_code"].dropna().astype(str))
    v = county.villages
    codes = v["code"].astype(str)
    covered = codes.isin(own_member) | (
        ~codes.isin(has_own) & v["township_code"].astype(str).isin(town_member)
    )
    return v[covered.to_numpy()], tuple(dict.fromkeys(statuses)), notes
