"""tcmcounty: indicators, coverage and reports for 全国基层中医药工作示范县 county planners.

The few names a planner types:

>>> import tcmcounty
>>> county = tcmcounty.load_county("安岳县", warn=False)
>>> county.name_zh
'安岳县'
"""

from tcmcounty import _deferred
from tcmcounty._version import __version__
from tcmcounty.county import County, Figure, FigureEntry
from tcmcounty.errors import CountyNotFoundError, InputError, Problem, ReportError, TcmCountyError
from tcmcounty.inputs.load import list_counties, load_county, validate

_deferred.defer()  # a dependency of nbformat costs 2-3 s per process at import (see _deferred)


__all__ = [
    "County",
    "CountyNotFoundError",
    "Figure",
    "FigureEntry",
    "InputError",
    "Problem",
    "ReportError",
    "TcmCountyError",
    "__version__",
    "list_counties",
    "load_county",
    "validate",
]
