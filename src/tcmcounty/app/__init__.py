"""The planner's workbench: a notebook of widgets served by Voila (``tcmcounty app``).

:mod:`tcmcounty.app.session` holds what a page does (open a county or an upload, read it
again with a corrected column map, compute its results and a what-if scenario, write what the
planner takes away) without widgets; :mod:`tcmcounty.app.mapdata` turns a county and its
results into map layers; :mod:`tcmcounty.app.page` lays them out as ipywidgets. Every figure
comes from the library's own functions; the notebook ``notebooks/workbench.ipynb`` only calls
:func:`tcmcounty.app.page.workbench`.
"""

from __future__ import annotations

#: Environment variable naming the folder ``tcmcounty app`` made for its pages' files.
TMP_ENV = "TCMCOUNTY_APP_TMP"


def upload_limit() -> int:
    """Return the largest upload in bytes: the readers' own file limit (200 MB)."""
    from tcmcounty.inputs.text import MAX_BYTES

    return MAX_BYTES
