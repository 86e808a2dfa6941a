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

from typing import Any

from tcmcounty.reporting.compare_view import CompareView as CompareView
from tcmcounty.reporting.compare_view import check_compare_parameters as check_compare_parameters
from tcmcounty.reporting.county_view import CountyView as CountyView
from tcmcounty.reporting.parameters import LANGUAGES as LANGUAGES
from tcmcounty.reporting.parameters import ReportParameters
from tcmcounty.reporting.sections import Html as Html

# =============================================================================================
# Parameters


def check_parameters(county: object = None, **raw: Any) -> ReportParameters:
    """Validate the parameters of ``county_report.ipynb`` and return them typed.

    Called in the first cell after the ``parameters`` cell, so a wrong parameter stops the
    report at once with a message that says what is wrong and what is expected. The
    parameters are those of :meth:`~tcmcounty.reporting.parameters.ReportParameters.from_raw`
    (``county``, ``population``, ``thresholds_km``, ``targets``, ``report_date``, ``language``,
    ``results_dir``; ``roads`` / ``friction`` / ``mode`` for travel times, ``docs/travel.md``).

    Parameters
    ----------
    county : str or path
        A bundled county's name, a bundle folder or a workbook.
    **raw
        The other parameters, raw (as papermill wrote them into the notebook).

    Returns
    -------
    ReportParameters

    Raises
    ------
    ReportError
        With a bilingual message naming the parameter.

    Examples
    --------
    >>> p = check_parameters("wenxi", report_date="2024-06-30", language="en")
    >>> p.language, p.report_date.isoformat(), p.thresholds_km
    ('en', '2024-06-30', (1.0, 2.0, 5.0, 10.0))
    """
    return ReportParameters.from_raw(county, **raw)
