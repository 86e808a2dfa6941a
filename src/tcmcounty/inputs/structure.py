"""Which townships and villages a county's roster should cover: its own tables, else the NBS codes.

:func:`expected_structure` picks the county's own township and village tables when they say
each row's type (乡 / 镇 / 街道; 村 / 社区), and the NBS 2023 codes of the county otherwise, so
that a county that sends only a facility roster is still checked against its real townships
(:mod:`tcmcounty.roster`). The NBS codes are used only when the roster's township codes are
NBS codes (most of them found there): a roster coded some other way cannot be compared.
"""

from __future__ import annotations

import pandas as pd

from tcmcounty.inputs.raw import RawBundle
from tcmcounty.roster import CLINIC_PLACE, GROUP_TYPES, Structure

#: Share of a roster's township codes that must be NBS codes for the NBS structure to be used.
MIN_NBS_CODES = 0.8


def _typed(df: pd.DataFrame | None, col: str) -> bool:
    return df is not None and len(df) > 0 and col in df and bool(df[col].notna().all())


def _nbs_frames(adcode: str) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    from tcmcounty.inputs.nbs import county_units, is_county_code

    if not is_county_code(adcode):
        return None
    try:
        units = county_units(adcode)
    except LookupError:
        return None
    return units.townships, units.villages


def expected_structure(
    townships: pd.DataFrame | None,
    villages: pd.DataFrame | None,
    facilities: pd.DataFrame | None,
    adcode: str | None,
) -> Structure | None:
    """Return the townships and villages the roster should cover, or ``None`` when unknown.

    Parameters
    ----------
    townships, villages, facilities : pandas.DataFrame or None
        The county's tables (raw or loaded).
    adcode : str or None
        The county's 6-digit code, for the NBS codes.

    Examples
    --------
    >>> import pandas as pd
    >>> fac = pd.DataFrame({"type": ["township_health_centre"], "township_code": ["360733100"]})
    >>> s = expected_structure(None, None, fac, "360733")
    >>> s.source, len(s.townships), len(s.villages)
    ('nbs', 20, 277)
    """
    own_towns = _typed(townships, "type")
    own_villages = _typed(villages, "kind")
    nbs = _nbs_frames(str(adcode)) if adcode else None
    n_nbs = _nbs_village_count(nbs)
    if own_towns and own_villages:
        return Structure(townships, villages, "county", n_nbs)  # type: ignore[arg-type]
    if nbs is not None and not _nbs_coded(facilities, nbs[0]):
        nbs = None
    if nbs is None:
        if not own_towns:
            return None
        empty = pd.DataFrame({"township_code": pd.Series(dtype="string"), "kind": []})
        return Structure(townships, villages if own_villages else empty, "county", n_nbs)  # type: ignore[arg-type]
    towns = townships if own_towns else nbs[0]
    vills = villages if own_villages else nbs[1]
    return Structure(towns, vills, "county" if own_towns else "nbs", n_nbs)  # type: ignore[arg-type]


def _nbs_village_count(nbs: tuple[pd.DataFrame, pd.DataFrame] | None) -> int | None:
    """行政村 (kind 村) of the county in the NBS 2023 codes; ``None`` when unknown."""
    if nbs is None or "kind" not in nbs[1]:
        return None
    return int(nbs[1]["kind"].astype("string").eq(CLINIC_PLACE).fillna(False).sum())


def _nbs_coded(facilities: pd.DataFrame | None, nbs_towns: pd.DataFrame) -> bool:
    """Whether the roster's township codes are NBS codes (or the roster gives none)."""
    if facilities is None or "township_code" not in facilities or "type" not in facilities:
        return True
    types = [t for ts in GROUP_TYPES.values() for t in ts]
    mine = facilities["type"].isin(types).fillna(False).to_numpy(dtype=bool)
    codes = facilities["township_code"][mine].dropna().astype(str).str.strip()
    if not len(codes):
        return True
    known = set(nbs_towns["code"].astype(str))
    return float(codes.isin(known).mean()) >= MIN_NBS_CODES


def raw_structure(raw: RawBundle) -> Structure | None:
    """Return :func:`expected_structure` of a read bundle (its tables and county code)."""
    t = raw.tables
    adcode = raw.meta.get("adcode")
    return expected_structure(
        t.get("townships"), t.get("villages"), t.get("facilities"), str(adcode) if adcode else None
    )
