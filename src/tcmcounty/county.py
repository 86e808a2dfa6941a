"""The :class:`County` dataclass and the provenance-carrying :class:`Figure`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeGuard

import geopandas as gpd
import pandas as pd

from tcmcounty.plans import CountyPlan
from tcmcounty.roster import Structure
from tcmcounty.tasks import TaskList

Status = Literal["official", "estimated", "synthetic"]
STATUSES: tuple[Status, ...] = ("official", "estimated", "synthetic")
_RANK = {"official": 0, "estimated": 1, "synthetic": 2}

STATUS_LABELS = {
    "official": "官方 official",
    "estimated": "估算 estimated",
    "synthetic": "模拟 synthetic",
}

#: Marker of a county total summed from the facility roster (:attr:`Figure.derived`).
#: Column of ``County.facilities`` listing, per row, the columns a contradiction put in doubt
#: (comma-separated; :mod:`tcmcounty.inputs.consistency`): read as written, unknown for verdicts.
DOUBT = "_doubt"
DERIVED_ROSTER = "roster"
#: How each derivation marker is printed: marker -> (Chinese, English).
#: Marker of a resident population summed over the township table.
DERIVED_TOWNSHIPS = "townships"
DERIVED_LABELS: dict[str, tuple[str, str]] = {
    DERIVED_ROSTER: ("由机构名册汇总", "derived from roster"),
    DERIVED_TOWNSHIPS: ("由各乡镇人口汇总", "summed over townships"),
}


def status_label(status: object, derived: object = None) -> str:
    """Return a data status as every output prints it, with the derivation marker if any.

    The indicator table of the report and of ``tcmcounty indicators``, the readiness table and
    summary.xlsx all print the status of an indicator's inputs with this function, so a county
    total summed from the facility roster says so wherever the status is shown.

    Parameters
    ----------
    status : {"official", "estimated", "synthetic"} or None
        The weakest status of the inputs; ``None`` (or NA) when there is none.
    derived : str, optional
        A key of :data:`DERIVED_LABELS` (``"roster"``) when an input was derived; empty or
        ``None`` otherwise.

    Returns
    -------
    str
        ``"估算 estimated"``; with a marker the bilingual form
        ``"模拟，由机构名册汇总 / synthetic, derived from roster"``; ``"—"`` without a status.

    Examples
    --------
    >>> status_label("official")
    '官方 official'
    >>> status_label("synthetic", "roster")
    '模拟，由机构名册汇总 / synthetic, derived from roster'
    >>> status_label("official", "roster; townships")
    '官方，由机构名册汇总、由各乡镇人口汇总 / official, derived from roster, summed over townships'
    >>> status_label(None)
    '—'
    """
    text = status if isinstance(status, str) else ""
    marker = derived if isinstance(derived, str) else ""
    if not text:
        return "—"
    label = STATUS_LABELS.get(text, text)
    if not marker:
        return label
    zh_status, _, en_status = label.partition(" ")
    markers = [m.strip() for m in marker.split(";") if m.strip()]
    zh = "、".join(DERIVED_LABELS.get(m, (m, m))[0] for m in markers)
    en = ", ".join(DERIVED_LABELS.get(m, (m, m))[1] for m in markers)
    return f"{zh_status}，{zh} / {en_status or text}, {en}"


def _is_status(s: object) -> TypeGuard[Status]:
    return isinstance(s, str) and s in _RANK


def weakest_status(statuses: Iterable[object]) -> Status | None:
    """Return the weakest of several statuses (``synthetic`` < ``estimated`` < ``official``).

    Missing entries are ignored; ``None`` is returned when nothing is given.

    Examples
    --------
    >>> weakest_status(["official", "estimated"])
    'estimated'
    """
    found = [s for s in statuses if _is_status(s)]
    if not found:
        return None
    return max(found, key=_RANK.__getitem__)


@dataclass(frozen=True)
class Figure:
    """One number with its provenance.

    Parameters
    ----------
    value : float
        The number.
    status : {"official", "estimated", "synthetic"}
        How the number was obtained.
    year : int, optional
        The year the number refers to.
    source : str, optional
        An id in the bundle's ``sources.csv``.
    method : str
        How an estimate was made, or how a derived figure was summed (empty for official
        figures).
    derived : str, optional
        ``"roster"`` (:data:`DERIVED_ROSTER`) when the county did not give the figure and it is
        the sum of the facility roster's column; ``status`` is then the weakest status of the
        rows summed and ``method`` says how many facilities report it. ``None`` for a figure the
        county gave.
    """

    value: float
    status: Status
    year: int | None = None
    source: str | None = None
    method: str = ""
    derived: str | None = None


@dataclass(frozen=True)
class FigureEntry:
    """A county figure: the official value if reported, and an estimate kept apart.

    ``official`` is ``None`` when the figure is not reported; ``estimate`` is ``None`` when no
    estimate was made. The two are never merged: :meth:`best` says which one it returns.

    ``derived`` is the sum of the facility roster's column (:attr:`Figure.derived` is
    ``"roster"``), set only when the county gives neither an official figure nor an estimate and
    the roster is complete enough (:mod:`tcmcounty.inputs.totals`). ``roster_note`` says why
    the roster's sum was *not* used when the roster has the column but too few facilities report
    it (bilingual; empty otherwise).
    """

    key: str
    official: Figure | None = None
    estimate: Figure | None = None
    note: str = ""
    derived: Figure | None = None
    roster_note: str = ""

    def best(self, allow_estimate: bool = True) -> Figure | None:
        """Return the official figure, else the roster's sum, else the estimate when allowed.

        A figure derived from the roster is not an estimate: it is returned whatever
        ``allow_estimate`` says (its status says how good its rows are).
        """
        if self.official is not None:
            return self.official
        if self.derived is not None:
            return self.derived
        if allow_estimate:
            return self.estimate
        return None


RESOURCE_KEYS: dict[str, str] = {
    "beds": "医疗卫生机构实有床位数",
    "physicians": "执业（助理）医师数",
    "nurses": "注册护士数",
    "public_health_staff": "公共卫生人员数",
    "gps": "全科医生数",
    "tcm_gps": "合格的中医类别全科医生数",
    "tcm_staff": "中医药人员数",
    "health_staff": "卫生技术人员数",
    "tcm_physicians": "中医类别执业（助理）医师数",
    "elderly_65": "65岁及以上常住居民数",
    "elderly_tcm_managed": "接受中医药健康管理服务的65岁及以上居民数",
    "children_0_36": "应管理的0～36个月儿童数",
    "children_tcm_managed": "接受中医药健康管理服务的0～36个月儿童数",
}

POPULATION_KEYS: dict[str, str] = {"resident": "常住人口", "registered": "户籍人口"}

#: Units the county declares it has (``[units]`` of ``county.toml``, 基本情况 rows such as
#: 村卫生室（个）): facility type -> Chinese label. The roster is checked against them
#: (:class:`tcmcounty.roster.Roster`): a roster listing fewer is incomplete.
UNIT_KEYS: dict[str, str] = {
    "township_health_centre": "乡镇卫生院数",
    "community_health_centre": "社区卫生服务中心数",
    "village_clinic": "村卫生室数",
    "community_health_station": "社区卫生服务站数",
}


@dataclass
class County:
    """A county bundle: metadata, figures with provenance and the spatial tables.

    All spatial tables are GeoDataFrames in WGS84 (EPSG:4326) with points built from ``lon`` and
    ``lat`` (missing coordinates give empty geometries); rows keep the order of the input file.

    Attributes
    ----------
    adcode, name_zh, name_en, province, city : str
        Identity of the county.
    reference_year : int or None
        The year the bundle describes.
    population : dict of str to FigureEntry
        ``resident`` (常住) and ``registered`` (户籍).
    resources : dict of str to FigureEntry
        County totals (keys in :data:`RESOURCE_KEYS`).
    townships, villages, facilities : geopandas.GeoDataFrame
        The tables of the data contract (``docs/data-format.md``).
    alliances : pandas.DataFrame
        Medical alliances; ``member_ids`` is a list of facility ids.
    boundary : geopandas.GeoDataFrame or None
        County outline.
    sources : pandas.DataFrame
        The bundle's bibliography.
    tcm_hospital, survey : dict
        Optional sections of ``county.toml``.
    coordinates : dict of str to str
        Coordinate system declared for each file before conversion to WGS84.
    path : pathlib.Path or None
        Where the bundle was read from.
    plan : CountyPlan or None
        The county's creation timetable (实施步骤) when the bundle has one; otherwise
        :func:`tcmcounty.reporting.results.county_plan` finds the bundled plan of the two anchor counties.
    structure : Structure or None
        The townships and villages the facility roster should cover (the county's own tables
        or the NBS codes, :func:`tcmcounty.inputs.structure.expected_structure`); ``None`` when
        unknown. Indicators withhold verdicts a gap in the roster could change.
    tasks : TaskList or None
        The plan's tasks and responsible units (任务分工, ``tasks.csv``); ``None`` when the
        county gives none.
    units : dict of str to int
        How many units of each facility type (keys in :data:`UNIT_KEYS`) the county declares
        it has (``[units]``, 基本情况 村卫生室（个）); empty when it declares none. A roster
        listing fewer has gaps (:class:`tcmcounty.roster.Roster`).
    """

    adcode: str
    name_zh: str
    name_en: str
    province: str
    city: str
    reference_year: int | None
    population: dict[str, FigureEntry]
    resources: dict[str, FigureEntry]
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    alliances: pd.DataFrame
    boundary: gpd.GeoDataFrame | None
    sources: pd.DataFrame
    tcm_hospital: dict[str, object] = field(default_factory=dict)
    survey: dict[str, object] = field(default_factory=dict)
    coordinates: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    path: Path | None = None
    plan: CountyPlan | None = None
    tasks: TaskList | None = None
    structure: Structure | None = None
    units: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Bilingual display name, e.g. ``安岳县 Anyue County``."""
        return f"{self.name_zh} {self.name_en}".strip()

    def __repr__(self) -> str:
        return (
            f"<County {self.adcode} {self.name}: {len(self.townships)} townships, "
            f"{len(self.villages)} villages, {len(self.facilities)} facilities, "
            f"{len(self.alliances)} alliances>"
        )

    def figure(self, key: str, allow_estimate: bool = True) -> Figure | None:
        """Return a resource or population figure by key (official, roster's sum, then the estimate).

        Parameters
        ----------
        key : str
            A key of :data:`RESOURCE_KEYS` or ``"resident"`` / ``"registered"``.
        allow_estimate : bool, default True
            Return the estimate when no official value is reported.

        Raises
        ------
        KeyError
            If ``key`` names no known figure.
        """
        if key in POPULATION_KEYS:
            entry = self.population.get(key)
        elif key in RESOURCE_KEYS:
            entry = self.resources.get(key)
        else:
            valid = ", ".join([*POPULATION_KEYS, *RESOURCE_KEYS])
            raise KeyError(f"unknown figure {key!r}; expected one of {valid}")
        return entry.best(allow_estimate) if entry is not None else None

    def status_counts(self) -> dict[str, int]:
        """Count figures and table rows by status (``official`` / ``estimated`` / ``synthetic``)."""
        counts: dict[str, int] = {s: 0 for s in STATUSES}
        for entry in [*self.population.values(), *self.resources.values()]:
            for fig in (entry.official, entry.estimate):
                if fig is not None:
                    counts[fig.status] += 1
        for table, cols in (
            (self.townships, ("location_status", "population_status")),
            (self.villages, ("location_status", "population_status")),
            (self.facilities, ("status",)),
            (self.alliances, ("status",)),
        ):
            for col in cols:
                if col in table:
                    for s, n in table[col].value_counts().items():
                        if s in counts:
                            counts[str(s)] += int(n)
        return counts

    def uses_non_official(self) -> bool:
        """Return True when any figure or row of the bundle is estimated or synthetic."""
        counts = self.status_counts()
        return counts["estimated"] + counts["synthetic"] > 0

    def fingerprint(self) -> str:
        """Return a SHA-256 of the bundle's files (for caches and resumable batches)."""
        h = hashlib.sha256()
        if self.path is not None and self.path.is_dir():
            for p in sorted(self.path.rglob("*")):
                if p.is_file():
                    h.update(p.relative_to(self.path).as_posix().encode())
                    h.update(p.read_bytes())
        elif self.path is not None and self.path.is_file():
            h.update(self.path.read_bytes())
        else:
            for df in (self.townships, self.villages, self.facilities, self.alliances):
                h.update(
                    pd.util.hash_pandas_object(
                        df.drop(columns="geometry", errors="ignore").astype(str)
                    )
                    .to_numpy()
                    .tobytes()
                )
        return h.hexdigest()
