"""The planner's workbench: a notebook of widgets served by Voila (``tcmcounty app``).

:mod:`tcmcounty.app.session` holds what a page does (open a county or an upload, read it
again with a corrected column map, compute its results and a what-if scenario, write what the
planner takes away) without widgets; :mod:`tcmcounty.app.mapdata` turns a county and its
results into map layers; :mod:`tcmcounty.app.page` lays them out as ipywidgets. Every figure
comes from the library's own functions; the notebook ``notebooks/workbench.ipynb`` only calls
:func:`tcmcounty.app.page.workbench`.
"""
