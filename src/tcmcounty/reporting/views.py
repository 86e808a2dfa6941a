"""The notebook side of reports: parameter checks and HTML sections.

:func:`check_parameters` validates a template's parameters in its first cell (a thin call
to :meth:`tcmcounty.reporting.parameters.ReportParameters.from_raw`, the one place they are checked);
:class:`CountyView` and :class:`CompareView` load the results (:mod:`tcmcounty.reporting.results`) and
return each report section as escaped HTML with embedded PNG figures, so the notebooks hold
no computation. Every piece of user text goes through :func:`html.escape`.

This module is what the notebooks import; the code lives in :mod:`~tcmcounty.reporting.sections`
(HTML building blocks), :mod:`~tcmcounty.reporting.county_view` and
:mod:`~tcmcounty.reporting.compare_view`.
"""

from __future__ import annotations

from tcmcounty.reporting.compare_view import CompareView as CompareView
from tcmcounty.reporting.compare_view import check_compare_parameters as check_compare_parameters
from tcmcounty.reporting.county_view import CountyView as CountyView
from tcmcounty.reporting.parameters import LANGUAGES as LANGUAGES
from tcmcounty.reporting.parameters import ReportParameters
from tcmcounty.reporting.sections import Html as Html

# =============================================================================================
# Parameters


def check_parameters(
    county: object = None,
    population: object = "resident",
    thresholds_km: object = None,
    targets: object = None,
    report_date: object = None,
    language: object = "zh-en",
    results_dir: object = None,
    roads: object = None,
    friction: object = None,
    mode: object = "walk",
) -> ReportParameters:
    """Validate the parameters of ``county_report.ipynb`` and return them typed.

    ``roads`` / ``friction`` / ``mode`` give travel times over a road layer or a friction
    raster (``docs/travel.md``); without them distances are straight lines.

    Called in the first cell after the ``parameters`` cell, so a wrong parameter stops the
    report at once with a message that says what is wrong and what is expected.

    Raises
    ------
    ReportError
        With a bilingual message naming the parameter.
    """
    return ReportParameters.from_raw(
        county,
        population,
        thresholds_km,
        targets,
        report_date,
        language,
        results_dir,
        roads=roads,
        friction=friction,
        mode=mode,
    )
