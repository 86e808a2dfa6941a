"""The parameters of a report, checked once: :class:`ReportParameters`.

Raw parameters are checked once, at the edge where they come in, by
:meth:`ReportParameters.from_raw`: the command line, the notebook's first cell
(:func:`tcmcounty.reporting.views.check_parameters`), a job's JSON parameters
(:meth:`ReportParameters.from_template`) and the library's keyword arguments
(:func:`tcmcounty.reporting.results.compute_results`). So a parameter is accepted or refused,
with the same bilingual message, wherever it comes from; from there on it travels as a
:class:`ReportParameters` (a job's :class:`~tcmcounty.run.report.JobSpec`, a view), and
:meth:`ReportParameters.template_parameters` turns it into JSON only where a notebook or a
record needs it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast, get_args

from tcmcounty.errors import CountyNotFoundError, ReportError

#: A population basis of per-capita indicators.
Population = Literal["resident", "registered"]
#: A report language: Chinese and English, Chinese, or English.
Language = Literal["zh-en", "zh", "en"]
#: A travel mode over a road layer (:data:`tcmcounty.spatial.travel.speeds.MODES`).
Mode = Literal["walk", "motor"]
#: Population bases accepted by the indicator engine.
POPULATIONS: tuple[Population, ...] = get_args(Population)
#: Report languages: Chinese, English, or both.
LANGUAGES: tuple[Language, ...] = get_args(Language)
#: Coverage thresholds (km, straight line) used when none are given.
DEFAULT_THRESHOLDS_KM: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0)


def normalise_thresholds(thresholds: object) -> tuple[float, ...]:
    """Return sorted, distinct, positive thresholds in km.

    Accepts a number, a sequence of numbers or a comma-separated string (``"2,5"``).

    Raises
    ------
    ReportError
        If a threshold is not a positive finite number.
    """
    if (
        thresholds is None
        or thresholds == ""
        or (isinstance(thresholds, (list, tuple)) and not thresholds)
    ):
        return DEFAULT_THRESHOLDS_KM
    items: Sequence[object]
    if isinstance(thresholds, str):
        items = [t for t in thresholds.replace("，", ",").split(",") if t.strip()]
    elif isinstance(thresholds, (int, float)):
        items = [thresholds]
    elif isinstance(thresholds, (list, tuple)):
        items = thresholds
    else:
        raise ReportError(
            f"thresholds must be numbers in km (e.g. [2, 5]), not {type(thresholds).__name__} "
            f"/ 覆盖距离阈值须为公里数"
        )
    out = []
    for t in items:
        try:
            v = float(str(t).strip().removesuffix("km").strip()) if isinstance(t, str) else float(t)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ReportError(
                f"threshold {t!r} is not a number of km / 阈值 {t!r} 不是公里数"
            ) from None
        if not (math.isfinite(v) and 0 < v <= 500):
            raise ReportError(
                f"threshold {t!r} must be between 0 and 500 km / 阈值须在 0–500 公里之间"
            )
        out.append(v)
    return tuple(sorted(set(out)))


def parse_report_date(value: object) -> dt.date:
    """Return the report date: a ``date``, an ISO string, or today for ``None`` / ``""``.

    Raises
    ------
    ReportError
        If the text is not an ISO date.
    """
    if value is None or value == "":
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ReportError(
            f"report_date {str(value)[:40]!r} is not a date like 2024-06-30 / 报告日期格式应为 2024-06-30"
        ) from None


def text_parameter(
    value: object, name: str, *, required: bool = True, limit: int = 4096
) -> str | None:
    """Return a text (or path) parameter, ``None`` when empty and not required.

    Raises
    ------
    ReportError
        If it is required and empty, not text, holds a NUL or is longer than ``limit``.
    """
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if required:
            raise ReportError(f"parameter {name!r} is required / 缺少参数 {name}")
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise ReportError(
            f"parameter {name!r} must be text, not {type(value).__name__} / 参数 {name} 须为文本"
        )
    text = os.fspath(value)
    if not isinstance(text, str) or "\x00" in text or len(text) > limit:
        raise ReportError(f"parameter {name!r} is not a valid path or name / 参数 {name} 无效")
    return text


def check_population(value: object) -> Population:
    """Return ``value`` if it is one of :data:`POPULATIONS`.

    Raises
    ------
    ReportError
        Otherwise, naming the valid ones.
    """
    if not isinstance(value, str) or value not in POPULATIONS:
        raise ReportError(
            f"parameter 'population' must be one of {', '.join(POPULATIONS)}, "
            f"not {str(value)[:40]!r} / 人口口径须为 resident（常住）或 registered（户籍）"
        )
    return value


def _check_language(value: object) -> Language:
    if not isinstance(value, str) or value not in LANGUAGES:
        raise ReportError(
            f"parameter 'language' must be one of {', '.join(LANGUAGES)}, "
            f"not {str(value)[:20]!r} / 语言参数须为 zh-en、zh 或 en"
        )
    return value


def _check_targets(value: object) -> str | None:
    tfile = text_parameter(value, "targets", required=False)
    if tfile is None:
        return None
    if not Path(tfile).is_file():
        raise ReportError(f"parameter 'targets': no file {tfile!r} / 未找到目标值文件")
    return str(Path(tfile).resolve())


def _check_travel(
    roads: object, friction: object, mode: object
) -> tuple[str | None, str | None, Mode]:
    """Check the travel-time options: at most one layer, an existing file, a known mode."""
    from tcmcounty.spatial.travel.speeds import MODES

    if not isinstance(mode, str) or mode not in MODES:
        raise ReportError(
            f"parameter 'mode' must be one of {', '.join(MODES)}, not {str(mode)[:20]!r} "
            "/ 出行方式须为 walk（步行）或 motor（机动车）"
        )
    out = []
    for name, value in (("roads", roads), ("friction", friction)):
        path = text_parameter(value, name, required=False)
        if path is not None and not Path(path).is_file():
            raise ReportError(f"parameter {name!r}: no file {path!r} / 未找到文件")
        out.append(None if path is None else str(Path(path).resolve()))
    if out[0] and out[1]:
        raise ReportError("give roads or friction, not both / 路网与摩擦面只能选一个")
    return out[0], out[1], cast(Mode, mode)


def _check_county(value: object) -> str:
    from tcmcounty.inputs.load import resolve

    name = text_parameter(value, "county")
    try:
        return str(resolve(name))  # type: ignore[arg-type]
    except CountyNotFoundError as exc:
        raise ReportError(f"parameter 'county': {exc}") from None


@dataclass(frozen=True)
class ReportParameters:
    """Checked parameters of a report (build them with :meth:`from_raw`).

    Attributes
    ----------
    county : str
        Resolved path of the county's bundle or workbook; ``""`` for the parameters shared by
        every county of a run (see :meth:`for_county`).
    population : {"resident", "registered"}
        Population basis of per-capita indicators.
    thresholds_km : tuple of float
        Coverage thresholds, sorted and distinct.
    targets : str or None
        Absolute path of a targets file, or ``None`` for the registry's.
    report_date : datetime.date
        Date the timetable and the tasks (late or not, readiness) are read against.
    language : {"zh-en", "zh", "en"}
        Report language.
    results_dir : str or None
        Results cache folder (``None``: nothing cached).
    roads, friction : str or None
        Absolute path of a road layer or friction raster: coverage in minutes as well
        (:mod:`tcmcounty.spatial.travel`); ``None``: straight lines only.
    mode : {"walk", "motor"}
        Travel mode over ``roads``.
    """

    county: str = ""
    population: Population = "resident"
    thresholds_km: tuple[float, ...] = DEFAULT_THRESHOLDS_KM
    targets: str | None = None
    report_date: dt.date = field(default_factory=dt.date.today)
    language: Language = "zh-en"
    results_dir: str | None = None
    roads: str | None = None
    friction: str | None = None
    mode: Mode = "walk"

    @classmethod
    def from_raw(
        cls,
        county: object = None,
        population: object = "resident",
        thresholds_km: object = None,
        targets: object = None,
        report_date: object = None,
        language: object = "zh-en",
        results_dir: object = None,
        *,
        require_county: bool = True,
        roads: object = None,
        friction: object = None,
        mode: object = "walk",
    ) -> ReportParameters:
        """Check raw parameters (a notebook's, the command line's, a job's) and return them typed.

        Parameters
        ----------
        county : str or path
            A bundled county's name, a bundle folder or a workbook.
        population, thresholds_km, targets, report_date, language, results_dir
            As the attributes; ``None`` or ``""`` means the default.
        require_county : bool
            With ``False``, an empty ``county`` gives the parameters shared by a run.
        roads, friction, mode
            Travel-time options (see the attributes).

        Returns
        -------
        ReportParameters

        Raises
        ------
        ReportError
            With a bilingual message naming the parameter.
        """
        empty = county is None or (isinstance(county, str) and not county.strip())
        roads, friction, mode = _check_travel(
            roads, friction, "walk" if mode in (None, "") else mode
        )
        return cls(
            county="" if empty and not require_county else _check_county(county),
            population=check_population(population),
            thresholds_km=normalise_thresholds(thresholds_km),
            targets=_check_targets(targets),
            report_date=parse_report_date(report_date),
            language=_check_language(language),
            results_dir=text_parameter(results_dir, "results_dir", required=False),
            roads=roads,
            friction=friction,
            mode=mode,
        )

    @classmethod
    def from_template(cls, county: object, parameters: Mapping[str, Any]) -> ReportParameters:
        """Check a job's JSON parameters (:meth:`template_parameters`), for one county or a run.

        The edge where parameters come back from JSON (a job's record, a caller's ``dict``);
        keys other than the template's are ignored.

        Parameters
        ----------
        county : str, path or None
            The county; ``None`` gives the parameters shared by a run (``county == ""``).
        parameters : mapping
            Template parameters, as :meth:`template_parameters` gives them.

        Returns
        -------
        ReportParameters

        Raises
        ------
        ReportError
            With a bilingual message naming the parameter.

        Examples
        --------
        >>> p = ReportParameters.from_template(None, {"report_date": "2024-06-30", "language": "en"})
        >>> p.county, p.language, p.report_date.isoformat()
        ('', 'en', '2024-06-30')
        >>> ReportParameters.from_template(None, p.template_parameters()) == p
        True
        """
        keys = ("population", "thresholds_km", "targets", "report_date", "language")
        travel = {k: parameters[k] for k in ("roads", "friction", "mode") if k in parameters}
        return cls.from_raw(
            county,
            **{k: parameters[k] for k in keys if k in parameters},
            require_county=county is not None,
            **travel,
        )

    def for_county(self, county: object) -> ReportParameters:
        """Return these parameters for ``county`` (checked and resolved)."""
        return replace(self, county=_check_county(county))

    def travel_args(self) -> dict[str, Any]:
        """Return the travel-time options, only when a road layer or friction raster is set."""
        if not (self.roads or self.friction):
            return {}
        return {"roads": self.roads, "friction": self.friction, "mode": self.mode}

    def template_parameters(self) -> dict[str, Any]:
        """Return the JSON-able parameters a job passes to its template (date as ISO text)."""
        return {
            "population": self.population,
            "thresholds_km": list(self.thresholds_km),
            "targets": self.targets or "",
            "report_date": self.report_date.isoformat(),
            "language": self.language,
            **self.travel_args(),
        }

    def results_args(self) -> dict[str, Any]:
        """Keyword arguments for :func:`tcmcounty.reporting.results.load_results`."""
        return {
            "population": self.population,
            "thresholds_km": self.thresholds_km,
            "targets": self.targets,
            "cache_dir": self.results_dir,
            **self.travel_args(),
        }
