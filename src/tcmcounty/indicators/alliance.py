"""Medical-alliance (医联体/医共体) coverage: the one rule behind ``T-YLT`` and every alliance figure.

The 示范县 standard asks that alliances led by the county TCM hospital "cover" at least 30 % of
the population but does not define coverage (catalogue §5, UNVERIFIED). The rule used here, and
everywhere a report, the index, ``summary.xlsx``, ``coverage --by alliance`` or a worklist
shows alliance coverage:

1. The members of an alliance are its ``member_ids`` and its lead facility. Only alliances
   whose lead facility is of one of ``lead_types`` count (for ``T-YLT`` the registry's
   ``lead_types``, the county TCM hospital: :func:`tcm_lead_types`); an alliance without a
   lead is left out (noted).
2. A village is served by its own 村卫生室 / 社区卫生服务站 (by ``village_code``); a village
   with none is served by the 乡镇卫生院 / 社区卫生服务中心 of its township
   (:func:`tcmcounty.services.serving_facilities`).
3. A village is covered by an alliance when one of its serving facilities is a member.

A village whose own clinic is outside the alliance is not covered, even if its township centre
is a member: the clinic is where its residents are served first.

The figure is ``T-YLT`` of the indicator registry: covered village population divided by the
county (or township) population of the chosen base, as :func:`tcmcounty.indicators.compute`
gives it. :func:`tcm_led_alliance_coverage` returns that figure with the rows behind it; an
"any alliance" figure (alliances not led by the TCM hospital included) is given only labelled
as such and never judged against the target.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from tcmcounty.county import County
from tcmcounty.indicators.engine import compute
from tcmcounty.indicators.membership import (
    lead_of,
    led_by,
    members_of,
    village_alliances,
    village_serving,
)
from tcmcounty.indicators.registry import load_registry
from tcmcounty.memo import reuse_membership

#: Indicator whose rule and denominator alliance coverage follows.
INDICATOR_ID = "T-YLT"
#: Label of the "any alliance" row: never the target figure.
ANY_ALLIANCE_LABEL = "任一医联体（含非中医院牵头，不计入目标） any alliance (incl. not TCM-led; not the T-YLT figure)"
#: Label of the figure judged against the target.
TCM_LED_LABEL = "县级中医医院牵头医联体合计 alliances led by the county TCM hospital (T-YLT)"


def tcm_lead_types() -> tuple[str, ...]:
    """Return the facility types whose alliances count for ``T-YLT`` (from the registry).

    Examples
    --------
    >>> tcm_lead_types()
    ('county_tcm_hospital',)
    """
    spec = load_registry()[INDICATOR_ID].numerator
    # the registry stores lead_types as a text or a list of texts
    lead = cast("str | Iterable[object]", spec.param("lead_types") or ())
    return (lead,) if isinstance(lead, str) else tuple(str(t) for t in lead)


# --------------------------------------------------------------------------------------------
# The figure with the rows behind it


@dataclass(frozen=True)
class AllianceCoverage:
    """Alliance coverage by the ``T-YLT`` rule and denominator, with the rows behind it.

    Attributes
    ----------
    share : float or None
        ``T-YLT`` as a share (value / 100); ``None`` when not computable (``reason`` says why).
    pop_covered : float or None
        Numerator: population of villages covered by alliances led by the county TCM hospital.
    pop_total : float or None
        Denominator: the county population of the chosen base (``denominator_definition``).
    target : float or None
        Lower bound of the target as a share (0.30); ``None`` without a target.
    target_text : str
        The target as printed (``≥ 30% (力争)``).
    met : bool or None
        The ``T-YLT`` verdict; ``None`` when there is no verdict.
    need : int or None
        Residents still to cover (``T-YLT`` need).
    population : {"resident", "registered"}
        Population base.
    target_set : str
        Target set the verdict comes from.
    denominator_definition : str
        What the denominator is.
    reason : str
        Why the figure is not computable (empty when it is).
    note : str
        Notes of the ``T-YLT`` row (alliances left out, villages covered).
    alliances : pandas.DataFrame
        One row per alliance: ``id``, ``name``, ``kind``, ``lead_facility_id``, ``lead_type``,
        ``tcm_led`` (counts for ``T-YLT``), ``n_members``, ``n_villages``, ``pop_covered`` and
        ``covered_share`` (over the same denominator).
    townships : pandas.DataFrame
        ``T-YLT`` per township: ``township_code``, ``name``, ``pop_covered``, ``pop_total``,
        ``covered_share``, ``met``, ``need``, ``reason``.
    villages : pandas.DataFrame
        One row per village: ``code``, ``name``, ``township_code``, ``population``,
        ``serving_level``, ``serving_ids``, ``alliance_ids`` (every alliance covering it),
        ``covered`` (by a TCM-led alliance: counts for ``T-YLT``).
    any_pop_covered : float or None
        Population covered by any alliance, whoever leads it (labelled, never judged).
    n_members_total : int
        Distinct facilities that are a member or lead of some TCM-led alliance.
    """

    share: float | None
    pop_covered: float | None
    pop_total: float | None
    target: float | None
    target_text: str
    met: bool | None
    need: int | None
    population: str
    target_set: str
    denominator_definition: str
    reason: str
    note: str
    alliances: pd.DataFrame
    townships: pd.DataFrame
    villages: pd.DataFrame
    any_pop_covered: float | None = None
    n_members_total: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def covered_share(self) -> float:
        """The ``T-YLT`` share (NaN when not computable)."""
        return float("nan") if self.share is None else float(self.share)

    @property
    def any_share(self) -> float:
        """Share covered by any alliance, over the same denominator (NaN when not computable)."""
        if self.any_pop_covered is None or not self.pop_total:
            return float("nan")
        return self.any_pop_covered / self.pop_total

    @property
    def meets_target(self) -> bool:
        """True only when ``T-YLT`` is met (no verdict counts as not met)."""
        return self.met is True

    def verdict(self) -> str:
        """Return ``达标 met``, ``未达标 not met`` or ``无法判定 no verdict``."""
        if self.met is None:
            return "无法判定 no verdict"
        return "达标 met" if self.met else "未达标 not met"

    def table(self) -> pd.DataFrame:
        """Alliances, then the ``T-YLT`` total (the only row judged), then the labelled any-alliance row.

        Returns
        -------
        pandas.DataFrame
            Columns of :attr:`alliances` plus ``target`` and ``meets_target`` (NA except on the
            ``tcm_led`` total row: one alliance alone is not what the standard judges).
        """
        out = self.alliances.copy()
        out["target"] = ""
        out["meets_target"] = pd.Series([pd.NA] * len(out), dtype="boolean")
        n_cov = int(self.villages["covered"].sum()) if len(self.villages) else 0
        n_any = (
            int(sum(bool(a) for a in self.villages["alliance_ids"])) if len(self.villages) else 0
        )
        totals = [
            {
                "id": "tcm_led",
                "name": TCM_LED_LABEL,
                "kind": "",
                "lead_facility_id": "",
                "lead_type": ",".join(tcm_lead_types()),
                "tcm_led": True,
                "n_members": self.n_members_total,
                "n_villages": n_cov,
                "pop_covered": self.pop_covered,
                "covered_share": self.share,
                "target": self.target_text,
                "meets_target": self.met,
            },
            {
                "id": "any",
                "name": ANY_ALLIANCE_LABEL,
                "kind": "",
                "lead_facility_id": "",
                "lead_type": "",
                "tcm_led": False,
                "n_members": None,
                "n_villages": n_any,
                "pop_covered": self.any_pop_covered,
                "covered_share": None if np.isnan(self.any_share) else self.any_share,
                "target": "",
                "meets_target": None,
            },
        ]
        frame = pd.DataFrame(totals, columns=list(out.columns))
        table = pd.concat([out, frame], ignore_index=True) if len(out) else frame
        table["meets_target"] = table["meets_target"].astype("boolean")
        table["n_members"] = pd.to_numeric(table["n_members"], errors="coerce").astype("Int64")
        for c in ("pop_covered", "covered_share"):
            table[c] = pd.to_numeric(table[c], errors="coerce").astype("Float64")
        return table


_ALLIANCE_COLUMNS = (
    "id",
    "name",
    "kind",
    "lead_facility_id",
    "lead_type",
    "tcm_led",
    "n_members",
    "n_villages",
    "pop_covered",
    "covered_share",
)


def _pop_sum(pop: pd.Series, mask: np.ndarray) -> float | None:
    """Sum of ``pop`` over ``mask``; ``None`` when a selected village has no population."""
    sel = pop[mask]
    if sel.isna().any():
        return None
    return float(sel.sum())


def _share(num: float | None, den: float | None) -> float | None:
    return None if num is None or not den else num / den


def _village_frame(county: County, covering: list[list[str]], tcm_ids: set[str]) -> pd.DataFrame:
    v = county.villages
    serving = village_serving(county)
    out = pd.DataFrame(
        {
            "code": v["code"].astype(str).to_numpy(),
            "name": v["name"].to_numpy() if "name" in v else "",
            "township_code": v["township_code"].astype(str).to_numpy(),
            "population": pd.to_numeric(v["population"], errors="coerce").to_numpy(dtype=float),
        }
    )
    out["serving_level"] = serving["serving_level"].to_numpy()
    out["serving_ids"] = serving["serving_ids"].to_numpy()
    out["alliance_ids"] = covering
    out["covered"] = [bool(tcm_ids.intersection(ids)) for ids in covering]
    return out


def _alliance_rows(
    county: County, vt: pd.DataFrame, den: float | None, lead_types: tuple[str, ...]
) -> pd.DataFrame:
    fac = county.facilities
    types_by_id = dict(zip(fac["id"].astype(str), fac["type"].astype(str), strict=True))
    pop = vt["population"]
    rows = []
    for _, a in county.alliances.iterrows():
        aid, lead = str(a["id"]), lead_of(a)
        inside = np.array([aid in ids for ids in vt["alliance_ids"]], dtype=bool)
        pc = _pop_sum(pop, inside)
        rows.append(
            {
                "id": aid,
                "name": a.get("name", ""),
                "kind": a.get("kind", ""),
                "lead_facility_id": lead or "",
                "lead_type": types_by_id.get(lead or "", ""),
                "tcm_led": led_by(lead, types_by_id, lead_types),
                "n_members": len(members_of(a)),
                "n_villages": int(inside.sum()),
                "pop_covered": pc,
                "covered_share": _share(pc, den),
            }
        )
    return pd.DataFrame(rows, columns=list(_ALLIANCE_COLUMNS))


def _township_rows(county: County, by_town: pd.DataFrame) -> pd.DataFrame:
    cols = ["township_code", "name", "pop_covered", "pop_total", "covered_share", "met", "need"]
    if by_town.empty:
        return pd.DataFrame(columns=[*cols, "reason"])
    out = pd.DataFrame(
        {
            "township_code": by_town["area_code"].astype(str).to_numpy(),
            "name": by_town["area_name"].to_numpy(),
            "pop_covered": by_town["numerator"].to_numpy(),
            "pop_total": by_town["denominator"].to_numpy(),
            "covered_share": (by_town["value"] / 100).to_numpy(),
            "met": by_town["met"].to_numpy(),
            "need": by_town["need"].to_numpy(),
            "reason": by_town["reason"].to_numpy(),
        }
    )
    return out


def _none(x: object) -> object:
    try:
        return None if pd.isna(x) else x  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return x


def tcm_led_alliance_coverage(
    county: County,
    population: str = "resident",
    targets: str | os.PathLike[str] | object | None = None,
    *,
    allow_estimates: bool = True,
    by_township: bool = True,
) -> AllianceCoverage:
    """Return alliance coverage by the ``T-YLT`` rule and denominator, with the rows behind it.

    The figure, its verdict and need are the ``T-YLT`` row of
    :func:`tcmcounty.indicators.compute` (same population base and target set); the rows per
    alliance, per township and per village use the same coverage rule (module docstring) and,
    for shares, the same denominator.

    Parameters
    ----------
    county : County
        The county.
    population : {"resident", "registered"}, default "resident"
        Population base of the denominator, as for the indicators.
    targets : str, path or TargetSet, optional
        Target set of the verdict (default set when ``None``; see
        :func:`tcmcounty.indicators.load_targets`).
    allow_estimates : bool, default True
        Use the estimate of a county population that is not reported officially.
    by_township : bool, default True
        Also compute ``T-YLT`` per township (:attr:`AllianceCoverage.townships`).

    Returns
    -------
    AllianceCoverage

    Raises
    ------
    TypeError
        If ``county`` is not a County.
    ValueError
        If ``population`` is not a population base.

    Examples
    --------
    >>> import tcmcounty
    >>> res = tcm_led_alliance_coverage(tcmcounty.load_county("anyue", warn=False))
    >>> res.met, round(res.share, 3)
    (True, 0.319)
    """
    if not isinstance(county, County):
        raise TypeError(f"county must be a County, not {type(county).__name__}")
    with reuse_membership():
        return _tcm_led_alliance_coverage(
            county, population, targets, allow_estimates=allow_estimates, by_township=by_township
        )


def _tcm_led_alliance_coverage(
    county: County,
    population: str,
    targets: str | os.PathLike[str] | object | None,
    *,
    allow_estimates: bool,
    by_township: bool,
) -> AllianceCoverage:
    ts = None if targets in ("", None) else targets
    kw = {"population": population, "targets": ts, "allow_estimates": allow_estimates}
    row = compute(county, indicators=[INDICATOR_ID], **kw).iloc[0]  # type: ignore[arg-type]
    by_town = (
        compute(county, by="township", indicators=[INDICATOR_ID], **kw)  # type: ignore[arg-type]
        if by_township
        else pd.DataFrame()
    )
    den = _none(row["denominator"])
    den_f = float(den) if den is not None else None  # type: ignore[arg-type]
    covering = village_alliances(county)
    lead_types = tcm_lead_types()
    fac = county.facilities
    types_by_id = dict(zip(fac["id"].astype(str), fac["type"].astype(str), strict=True))
    tcm = {
        str(a["id"]): members_of(a)
        for _, a in county.alliances.iterrows()
        if led_by(lead_of(a), types_by_id, lead_types)
    }
    vt = _village_frame(county, covering, set(tcm))
    any_cov = np.array([bool(ids) for ids in covering], dtype=bool)
    value, low = _none(row["value"]), _none(row["target_low"])
    met = _none(row["met"])
    need = _none(row["need"])
    return AllianceCoverage(
        share=None if value is None else float(value) / 100,  # type: ignore[arg-type]
        pop_covered=None if _none(row["numerator"]) is None else float(row["numerator"]),
        pop_total=den_f,
        target=None if low is None else float(low) / 100,  # type: ignore[arg-type]
        target_text=str(row["target"] or ""),
        met=None if met is None else bool(met),
        need=None if need is None else int(need),  # type: ignore[call-overload]
        population=population,
        target_set=str(row["target_set"]),
        denominator_definition=str(row["denominator_definition"]),
        reason=str(row["reason"] or ""),
        note=str(row["note"] or ""),
        alliances=_alliance_rows(county, vt, den_f, lead_types),
        townships=_township_rows(county, by_town),
        villages=vt,
        any_pop_covered=_pop_sum(vt["population"], any_cov) if len(vt) else 0.0,
        n_members_total=len(set().union(*tcm.values())) if tcm else 0,
    )
