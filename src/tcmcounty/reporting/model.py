"""The results of one county as the reports read them: :class:`CountyResults` and :class:`Worklist`.

Both the analyses (:mod:`tcmcounty.reporting.results`, which fills a CountyResults) and the
worklists (:mod:`tcmcounty.reporting.worklists`, which build Worklists from one) import these
types from here, so neither imports the other's module for them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from tcmcounty._version import __version__
from tcmcounty.county import County
from tcmcounty.reporting.cachekeys import code_hash

if TYPE_CHECKING:  # the analyses import geopandas / scipy; a report kernel only reads results
    from tcmcounty.indicators.alliance import AllianceCoverage
    from tcmcounty.spatial.access import AccessResult
    from tcmcounty.spatial.coverage import CoverageResult
    from tcmcounty.spatial.plan import PlanResult
    from tcmcounty.spatial.travel.report import TravelCoverage

Column = tuple[str, str, str]


@dataclass(frozen=True)
class Worklist:
    """One action of the worklist: the units to act on and the targets they serve.

    Attributes
    ----------
    action_id : str
        Short identifier (``"hall"``, ``"tcm_clinic"`` ...), also the order of the sheets.
    title_zh, title_en : str
        Title of the action (the sheet name is ``title_zh`` cut to 31 characters).
    target_ids : tuple of str
        Indicator ids the action works towards (empty when no registry target exists).
    frame : pandas.DataFrame
        One row per unit; its columns are the keys of ``columns``.
    columns : tuple of (str, str, str)
        ``(column, Chinese header, English header)`` for each column of ``frame``.
    rule_zh, rule_en : str
        How the rows were chosen, in words (shown under the list).
    """

    action_id: str
    title_zh: str
    title_en: str
    target_ids: tuple[str, ...]
    frame: pd.DataFrame
    columns: tuple[Column, ...] = ()
    rule_zh: str = ""
    rule_en: str = ""

    def __len__(self) -> int:
        return len(self.frame)

    def to_frame(self, lang: str = "zh") -> pd.DataFrame:
        """Return the table with Chinese (``"zh"``) or English (``"en"``) headers.

        Examples
        --------
        >>> import pandas as pd
        >>> w = Worklist("x", "示例", "example", (), pd.DataFrame({"a": [1]}), (("a", "甲", "A"),))
        >>> list(w.to_frame("zh").columns), list(w.to_frame("en").columns)
        (['甲'], ['A'])
        """
        if lang not in ("zh", "en"):
            raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
        k = 1 if lang == "zh" else 2
        cols = [c for c in self.columns if c[0] in self.frame.columns]
        return self.frame[[c[0] for c in cols]].rename(columns={c[0]: c[k] for c in cols})


@dataclass
class CountyResults:
    """The analyses of one county, ready to display.

    Attributes
    ----------
    key : str
        Cache key (inputs, parameters and library).
    county : County
        The loaded county.
    population, thresholds_km, targets
        Parameters the results were computed with.
    indicators : pandas.DataFrame or None
        :func:`tcmcounty.indicators.compute` at county level.
    indicators_by_township : pandas.DataFrame or None
        The same per township, where the registry defines township-level indicators.
    appendix : pandas.DataFrame or None
        Methods table from the indicator registry.
    nearest : pandas.DataFrame or None
        Per village, distance (km) to the nearest facility of each service level.
    coverage : dict of str to CoverageResult
        Cumulative coverage per service level.
    alliance : AllianceCoverage or None
        Medical-alliance coverage.
    access : AccessResult or None
        Accessibility (E2SFCA) per village.
    equity : pandas.DataFrame or None
        Equity of accessibility (:meth:`AccessResult.equity`).
    plan : PlanResult or None
        Recommended 中医阁 sites.
    travel : TravelCoverage or None
        Coverage in minutes over a road layer or friction raster
        (:func:`tcmcounty.spatial.travel.report.travel_coverage`), when ``travel_args`` name one.
    travel_args : dict
        ``roads`` / ``friction`` / ``mode`` the results were computed with (empty: none).
    worklists : list of Worklist or None
        The worklists (整改清单), built once from the other results
        (:func:`tcmcounty.reporting.worklists.build_worklists`); the report's section and the
        workbook beside it both read them through :func:`~tcmcounty.reporting.worklists.worklists`.
    unavailable : dict of str to str
        Sections that could not be computed, with the reason (shown in the report).
    load_warnings : list of str
        Warnings raised while loading the county (shown in the data-quality section).
    seconds : dict of str to float
        Time spent on each analysis.
    figures : dict
        PNG figures drawn for the report, per language (filled by
        :meth:`tcmcounty.run.report.CountyView.prerender`).
    library_build : str
        :func:`~tcmcounty.reporting.cachekeys.code_hash` of the library that computed the results.
    cache_notes : list of str
        Set by :func:`load_results` when a cache entry did not load and was recomputed (not
        stored in the cache).
    """

    key: str
    county: County
    population: str
    thresholds_km: tuple[float, ...]
    targets: str | None
    indicators: pd.DataFrame | None = None
    indicators_by_township: pd.DataFrame | None = None
    appendix: pd.DataFrame | None = None
    nearest: pd.DataFrame | None = None
    coverage: dict[str, CoverageResult] = field(default_factory=dict)
    alliance: AllianceCoverage | None = None
    access: AccessResult | None = None
    equity: pd.DataFrame | None = None
    plan: PlanResult | None = None
    travel: TravelCoverage | None = None
    travel_args: dict[str, Any] = field(default_factory=dict)
    worklists: list[Worklist] | None = None
    unavailable: dict[str, str] = field(default_factory=dict)
    load_warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    library_version: str = __version__
    library_build: str = field(default_factory=lambda: code_hash())
    figures: dict[str, dict[str, bytes | None]] = field(default_factory=dict)
    cache_notes: list[str] = field(default_factory=list)

    # -- headline figures -----------------------------------------------------------------

    def headline(self) -> dict[str, Any]:
        """Return the headline figures (JSON-serialisable) used by reports and the index.

        Keys: ``n_indicators``, ``n_met``, ``n_unmet``, ``n_no_verdict`` (targets with a number
        the data cannot judge), ``n_without_number`` (targets that state no number; the four
        counts are :func:`tcmcounty.reporting.readiness.target_counts`), ``unmet`` (list of
        dicts with ``id``, ``name_zh``, ``name_en``, ``need``, ``need_unit``),
        ``coverage_share`` (share of residents within the middle threshold of any TCM
        service, the one the report's maps use), ``alliance_share``, ``sites_recommended`` and ``non_official``.
        """
        out: dict[str, Any] = {
            "n_indicators": 0,
            "n_met": 0,
            "n_unmet": 0,
            "n_no_verdict": 0,
            "n_without_number": 0,
            "unmet": [],
            "coverage_share": None,
            "coverage_threshold_km": None,
            "alliance_share": None,
            "sites_recommended": None,
            "non_official": self.county.uses_non_official(),
        }
        ind = self.indicators
        if ind is not None and len(ind):
            met = met_series(ind)
            is_unmet = (~met).fillna(False).to_numpy(dtype=bool)
            from tcmcounty.reporting.readiness import target_counts

            counts = target_counts(ind)  # one count of each kind, as the readiness card's
            out["n_indicators"] = len(ind)
            out["n_met"] = counts["met"]
            out["n_unmet"] = counts["not_met"]
            out["n_no_verdict"] = counts["no_data"]
            out["n_without_number"] = counts["without_number"]
            names = ("id", "name_zh", "name_en")
            plain = ("value", "value_text", "unit", "target", "target_grade", "need", "need_unit")
            for r in row_cells(ind[is_unmet], [*names, *plain], default=""):
                out["unmet"].append(
                    {
                        **{c: str(v) for c, v in zip(names, r[:3], strict=True)},
                        **{c: plain_value(v) for c, v in zip(plain, r[3:], strict=True)},
                    }
                )
        cov = self.coverage.get("any_tcm")
        if cov is not None:
            t = cov.thresholds[len(cov.thresholds) // 2]  # the threshold the maps use
            row = cov.table("county").iloc[0]
            out["coverage_share"] = plain_value(row.get(f"covered_share_{t.label}"))
            out["coverage_threshold_km"] = float(t.km) if hasattr(t, "km") else None
        if self.alliance is not None:
            out["alliance_share"] = plain_value(self.alliance.covered_share)
        if self.plan is not None:
            out["sites_recommended"] = int(self.plan.n_chosen)
        return out

    def indicator_records(self) -> list[dict[str, Any]]:
        """Return indicator rows as plain dicts (id, names, value, unit, target, met, need …).

        ``no_verdict`` is why the data support no verdict (empty when they do).
        """
        if self.indicators is None:
            return []
        cols = [
            "id",
            "name_zh",
            "name_en",
            "value",
            "unit",
            "target",
            "target_grade",
            "met",
            "need",
            "need_unit",
            "input_status",
            "input_derived",
            "no_verdict",
        ]
        return [
            {c: plain_value(v) for c, v in zip(cols, r, strict=True)}
            for r in row_cells(self.indicators, cols)
        ]


def row_cells(
    df: pd.DataFrame, cols: Sequence[str], default: object = None
) -> Iterator[list[object]]:
    """Yield each row's cells of ``cols`` (``default`` for a column ``df`` lacks).

    The cells are those ``df.iterrows()`` holds (both read ``DataFrame.values``), without a
    Series per row; ``default`` is what ``row.get(col, default)`` would give.

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["A", "B"], "value": [1.5, None]})
    >>> list(row_cells(df, ["value", "id", "unit"]))
    [[1.5, 'A', None], [nan, 'B', None]]
    """
    pos = [df.columns.get_loc(c) if c in df.columns else None for c in cols]
    for row in df.values:
        yield [default if p is None else row[p] for p in pos]


def met_series(ind: pd.DataFrame) -> pd.Series:
    """Return the ``met`` column as a nullable boolean Series (NA = no verdict)."""
    if "met" not in ind:
        return pd.Series(pd.NA, index=ind.index, dtype="boolean")
    return (
        ind["met"]
        .map(
            lambda v: (
                v
                if isinstance(v, (bool,)) or v is pd.NA
                else (bool(v) if isinstance(v, (int, float)) and v == v else pd.NA)
            )
        )
        .astype("boolean")
    )


def plain_value(v: object) -> object:
    """Convert numpy / pandas scalars to JSON-friendly Python values (NA -> None)."""
    if v is None:
        return None
    try:
        if pd.isna(v):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        try:
            return v.item()
        except (TypeError, ValueError):
            pass
    if isinstance(v, (str, int, float, bool)):
        return v
    return str(v)
