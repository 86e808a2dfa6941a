"""Side-by-side indicator tables for several counties (for researchers)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

from tcmcounty.county import County
from tcmcounty.indicators.engine import compute
from tcmcounty.indicators.model import TargetSet
from tcmcounty.indicators.registry import Registry

#: Per-county columns of :func:`compare`, in order.
COUNTY_COLUMNS = ("value", "met", "need", "input_status")


def _labels(counties: list[County]) -> list[str]:
    names = [c.name_zh or c.adcode for c in counties]
    labels = [
        f"{n} {c.adcode}" if names.count(n) > 1 else n for n, c in zip(names, counties, strict=True)
    ]
    seen: dict[str, int] = {}
    out: list[str] = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def compare(
    counties: Sequence[County | str | os.PathLike[str]],
    population: str = "resident",
    targets: str | os.PathLike[str] | TargetSet | None = None,
    *,
    allow_estimates: bool = True,
    registry: Registry | None = None,
    columns: Sequence[str] = COUNTY_COLUMNS,
) -> pd.DataFrame:
    """Return one row per indicator with a value / met / need / status column per county.

    Every county is computed with the same population base and target set (:func:`compute`),
    so the columns are comparable. For definitions, denominators and statuses of each value use
    :func:`compute` on each county (the long table).

    Parameters
    ----------
    counties : sequence of County, str or path
        Counties (loaded, or bundle paths / names). Column labels are the Chinese names (with the
        adcode when two share a name).
    population : {"resident", "registered"}, default "resident"
        Population base.
    targets : str, path or TargetSet, optional
        Target set (see :func:`compute`).
    allow_estimates : bool, default True
        Use estimates where an official county figure is not reported.
    registry : Registry, optional
        Indicator registry.
    columns : sequence of str
        Per-county columns taken from :func:`compute` (default ``value, met, need, input_status``).

    Returns
    -------
    pandas.DataFrame
        Columns ``id, name_zh, name_en, unit, target, target_set, target_evidence, target_grade,
        area`` then ``"<county> <column>"``.

    Raises
    ------
    TypeError
        If ``counties`` is a single county or string rather than a sequence.
    ValueError
        If ``counties`` is empty or ``columns`` names an unknown column.

    Examples
    --------
    >>> from tcmcounty.indicators import compare
    >>> wide = compare(["anyue", "wenxi"])
    >>> [c for c in wide.columns if c.endswith(" met")]
    ['安岳县 met', '闻喜县 met']
    """
    if isinstance(counties, (str, os.PathLike, County)) or not isinstance(counties, Sequence):
        raise TypeError(
            "counties must be a list of counties or bundle paths, not a single "
            f"{type(counties).__name__}"
        )
    if not counties:
        raise ValueError("counties must not be empty")
    from tcmcounty.inputs.load import load_county

    loaded = [c if isinstance(c, County) else load_county(c, warn=False) for c in counties]
    tables = [
        compute(c, population, targets, allow_estimates=allow_estimates, registry=registry)
        for c in loaded
    ]
    labels = _labels(loaded)
    bad = [c for c in columns if c not in tables[0].columns]
    if bad:
        raise ValueError(
            f"unknown column(s) {', '.join(bad)}; available: {', '.join(tables[0].columns)}"
        )
    wide = tables[0][
        [
            "id",
            "name_zh",
            "name_en",
            "unit",
            "target",
            "target_set",
            "target_evidence",
            "target_grade",
            "area",
        ]
    ].copy()
    for label, t in zip(labels, tables, strict=True):
        part = t.set_index("id")[list(columns)]
        for col in columns:
            wide[f"{label} {col}"] = wide["id"].map(part[col]).astype(part[col].dtype)
    wide.attrs.update(
        {
            "counties": labels,
            "population": population,
            "target_set": tables[0].attrs.get("target_set"),
            "target_set_label": tables[0].attrs.get("target_set_label"),
        }
    )
    return wide
