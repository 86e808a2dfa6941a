"""Service levels: which facilities count as a 中医阁, a TCM-capable clinic, a 中医馆 or a county TCM hospital.

Every spatial measure (nearest service, coverage, accessibility, site planning) selects its
facilities through :func:`service_mask`, so the definitions live in one place:

==================  ======================  ==================================================
level               中文                     a facility counts when
==================  ======================  ==================================================
``pavilion``        中医阁                   ``has_tcm_pavilion`` is yes (any facility type)
``tcm_clinic``      能提供中医药服务的村卫生室/  ``type`` is ``village_clinic`` or
                    社区卫生服务站               ``community_health_station`` and it
                                            ``provides_tcm`` or ``has_tcm_pavilion``
``hall``            设有中医馆的乡镇卫生院/      ``type`` is ``township_health_centre`` or
                    社区卫生服务中心             ``community_health_centre`` and ``has_tcm_hall``
``tcm_hospital``    县中医医院                 ``type`` is ``county_tcm_hospital``
``any_tcm``         任一中医药服务              any of the four levels above
==================  ======================  ==================================================

A yes/no column that is *not reported* (empty cell) never counts as yes: such a facility is not
counted at that level, and :func:`service_summary` reports how many were unknown.

The *serving facility* of a village (used for medical-alliance coverage) is its own village
clinic or community health station (matched by ``village_code``); a village without one is
served by the township health centre / community health centre of its township
(``township_code``). See :func:`serving_facilities`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from tcmcounty.errors import ArgumentError, ArgumentTypeError

BoolArray = npt.NDArray[np.bool_]

#: Facility types of village-level primary care (村卫生室, 社区卫生服务站).
VILLAGE_LEVEL_TYPES = ("village_clinic", "community_health_station")
#: Facility types of township-level primary care (乡镇卫生院, 社区卫生服务中心).
TOWNSHIP_LEVEL_TYPES = ("township_health_centre", "community_health_centre")


def _flag(facilities: pd.DataFrame, column: str) -> BoolArray:
    """Return a yes/no column as booleans; missing column or unreported cell is False."""
    if column not in facilities.columns:
        return np.zeros(len(facilities), dtype=bool)
    values = facilities[column]
    return values.astype("boolean").fillna(False).to_numpy(dtype=bool)


def _unknown(facilities: pd.DataFrame, column: str) -> BoolArray:
    if column not in facilities.columns:
        return np.ones(len(facilities), dtype=bool)
    return facilities[column].isna().to_numpy(dtype=bool)


def _type_in(facilities: pd.DataFrame, types: tuple[str, ...]) -> BoolArray:
    if "type" not in facilities.columns:
        raise ArgumentError("facilities needs a 'type' column (see docs/data-format.md)")
    return facilities["type"].astype("string").isin(types).fillna(False).to_numpy(dtype=bool)


def _pavilion(f: pd.DataFrame) -> BoolArray:
    return _flag(f, "has_tcm_pavilion")


def _tcm_clinic(f: pd.DataFrame) -> BoolArray:
    return _type_in(f, VILLAGE_LEVEL_TYPES) & (
        _flag(f, "provides_tcm") | _flag(f, "has_tcm_pavilion")
    )


def _hall(f: pd.DataFrame) -> BoolArray:
    return _type_in(f, TOWNSHIP_LEVEL_TYPES) & _flag(f, "has_tcm_hall")


def _tcm_hospital(f: pd.DataFrame) -> BoolArray:
    return _type_in(f, ("county_tcm_hospital",))


def _any_tcm(f: pd.DataFrame) -> BoolArray:
    return _pavilion(f) | _tcm_clinic(f) | _hall(f) | _tcm_hospital(f)


@dataclass(frozen=True)
class ServiceLevel:
    """A level of TCM service and the rule that selects its facilities.

    Attributes
    ----------
    name : str
        Identifier used in arguments and column names (``pavilion``, ``hall`` ...).
    zh : str
        Chinese name.
    en : str
        English description.
    rule : str
        The selection rule in words (for reports).
    select : callable
        ``select(facilities) -> numpy.ndarray of bool``.
    flags : tuple of str
        Yes/no columns the rule reads (for counting unreported cells).
    """

    name: str
    zh: str
    en: str
    rule: str
    select: Callable[[pd.DataFrame], BoolArray]
    flags: tuple[str, ...] = ()


#: Registry of service levels, in the order reports list them.
SERVICE_LEVELS: dict[str, ServiceLevel] = {
    s.name: s
    for s in (
        ServiceLevel(
            "pavilion",
            "中医阁",
            "village TCM pavilion",
            "has_tcm_pavilion = yes",
            _pavilion,
            ("has_tcm_pavilion",),
        ),
        ServiceLevel(
            "tcm_clinic",
            "能提供中医药服务的村卫生室/社区卫生服务站",
            "village clinic or community health station providing TCM",
            "type in (village_clinic, community_health_station) and "
            "(provides_tcm = yes or has_tcm_pavilion = yes)",
            _tcm_clinic,
            ("provides_tcm",),
        ),
        ServiceLevel(
            "hall",
            "设有中医馆的乡镇卫生院/社区卫生服务中心",
            "township / community health centre with a TCM hall",
            "type in (township_health_centre, community_health_centre) and has_tcm_hall = yes",
            _hall,
            ("has_tcm_hall",),
        ),
        ServiceLevel(
            "tcm_hospital",
            "县中医医院",
            "county TCM hospital",
            "type = county_tcm_hospital",
            _tcm_hospital,
        ),
        ServiceLevel(
            "any_tcm",
            "任一中医药服务",
            "any of the TCM service levels above",
            "pavilion or tcm_clinic or hall or tcm_hospital",
            _any_tcm,
        ),
    )
}

#: The four distinct levels (``any_tcm`` is their union).
BASE_LEVELS: tuple[str, ...] = ("pavilion", "tcm_clinic", "hall", "tcm_hospital")


def get_level(name: str) -> ServiceLevel:
    """Return the :class:`ServiceLevel` called ``name``.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not a registered level; the message lists the valid names.

    Examples
    --------
    >>> get_level("hall").zh
    '设有中医馆的乡镇卫生院/社区卫生服务中心'
    """
    if not isinstance(name, str):
        raise ArgumentTypeError(f"level must be a str, not {type(name).__name__}")
    try:
        return SERVICE_LEVELS[name]
    except KeyError:
        valid = ", ".join(SERVICE_LEVELS)
        raise ArgumentError(f"unknown service level {name!r}; valid levels are: {valid}") from None


def service_mask(facilities: pd.DataFrame, level: str) -> BoolArray:
    """Return a boolean array: True for each facility counted at ``level``.

    Parameters
    ----------
    facilities : pandas.DataFrame
        The facilities table of the data contract (``type``, ``has_tcm_hall``,
        ``has_tcm_pavilion``, ``provides_tcm``).
    level : str
        A name in :data:`SERVICE_LEVELS`.

    Returns
    -------
    numpy.ndarray of bool
        One entry per facility, in input order.

    Raises
    ------
    TypeError
        If ``facilities`` is not a DataFrame.
    ValueError
        If ``level`` is unknown or the ``type`` column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"type": ["village_clinic", "township_health_centre"],
    ...                   "has_tcm_pavilion": [True, None], "has_tcm_hall": [None, True],
    ...                   "provides_tcm": [True, True]})
    >>> service_mask(f, "pavilion").tolist(), service_mask(f, "hall").tolist()
    ([True, False], [False, True])
    """
    if not isinstance(facilities, pd.DataFrame):
        raise ArgumentTypeError(f"facilities must be a DataFrame, not {type(facilities).__name__}")
    return get_level(level).select(facilities)


def service_table(facilities: pd.DataFrame, levels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Return one boolean column per service level (rows in input order).

    Parameters
    ----------
    facilities : pandas.DataFrame
        The facilities table.
    levels : tuple of str, optional
        Levels to include (default: all of :data:`SERVICE_LEVELS`).
    """
    levels = tuple(SERVICE_LEVELS) if levels is None else tuple(levels)
    return pd.DataFrame({lv: service_mask(facilities, lv) for lv in levels}, index=facilities.index)


def service_summary(facilities: pd.DataFrame) -> pd.DataFrame:
    """Count facilities at each level and those whose yes/no answer is not reported.

    Returns
    -------
    pandas.DataFrame
        Columns ``level``, ``zh``, ``n_facilities``, ``n_unreported`` (facilities of a
        candidate type whose deciding yes/no cell is empty), ``rule``.
    """
    rows = []
    for lv in SERVICE_LEVELS.values():
        n = int(lv.select(facilities).sum())
        unreported = 0
        if lv.name == "pavilion":
            unreported = int(_unknown(facilities, "has_tcm_pavilion").sum())
        elif lv.name == "tcm_clinic":
            cand = _type_in(facilities, VILLAGE_LEVEL_TYPES)
            unreported = int(
                (cand & _unknown(facilities, "provides_tcm") & ~lv.select(facilities)).sum()
            )
        elif lv.name == "hall":
            cand = _type_in(facilities, TOWNSHIP_LEVEL_TYPES)
            unreported = int((cand & _unknown(facilities, "has_tcm_hall")).sum())
        rows.append(
            {
                "level": lv.name,
                "zh": lv.zh,
                "n_facilities": n,
                "n_unreported": unreported,
                "rule": lv.rule,
            }
        )
    return pd.DataFrame(rows)


def serving_facilities(villages: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """Return the facilities that serve each village (for medical-alliance coverage).

    A village is served by its own village clinics / community health stations (facilities of
    type ``village_clinic`` or ``community_health_station`` whose ``village_code`` is the
    village's ``code``). A village with none is served by the township health centres /
    community health centres of its township (``township_code``); with neither, it has no
    serving facility.

    Parameters
    ----------
    villages : pandas.DataFrame
        Villages table (``code``, ``township_code``).
    facilities : pandas.DataFrame
        Facilities table (``id``, ``type``, ``village_code``, ``township_code``).

    Returns
    -------
    pandas.DataFrame
        One row per village in input order: ``code``, ``serving_level`` (``"village"``,
        ``"township"`` or ``"none"``) and ``serving_ids`` (a list of facility ids, possibly
        empty).

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"code": ["A", "B"], "township_code": ["T", "T"]})
    >>> f = pd.DataFrame({"id": ["c1", "h1"], "type": ["village_clinic", "township_health_centre"],
    ...                   "village_code": ["A", None], "township_code": ["T", "T"]})
    >>> serving_facilities(v, f)[["serving_level", "serving_ids"]].to_numpy().tolist()
    [['village', ['c1']], ['township', ['h1']]]
    """
    for name, df, cols in (
        ("villages", villages, ("code", "township_code")),
        ("facilities", facilities, ("id", "type", "village_code", "township_code")),
    ):
        if not isinstance(df, pd.DataFrame):
            raise ArgumentTypeError(f"{name} must be a DataFrame, not {type(df).__name__}")
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ArgumentError(f"{name} lacks column(s) {missing}")
    ids = facilities["id"].astype(str).to_numpy()
    vil = _type_in(facilities, VILLAGE_LEVEL_TYPES)
    town = _type_in(facilities, TOWNSHIP_LEVEL_TYPES)
    by_village: dict[str, list[str]] = {}
    for code, fid in zip(facilities["village_code"].to_numpy()[vil], ids[vil], strict=True):
        if isinstance(code, str):
            by_village.setdefault(code, []).append(fid)
    by_town: dict[str, list[str]] = {}
    for code, fid in zip(facilities["township_code"].to_numpy()[town], ids[town], strict=True):
        if isinstance(code, str):
            by_town.setdefault(code, []).append(fid)
    levels, serving = [], []
    for code, tcode in zip(
        villages["code"].astype(str), villages["township_code"].astype(str), strict=True
    ):
        if code in by_village:
            levels.append("village")
            serving.append(list(by_village[code]))
        elif tcode in by_town:
            levels.append("township")
            serving.append(list(by_town[tcode]))
        else:
            levels.append("none")
            serving.append([])
    return pd.DataFrame(
        {
            "code": villages["code"].astype(str).to_numpy(),
            "serving_level": levels,
            "serving_ids": serving,
        }
    )
