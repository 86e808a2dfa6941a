"""Travel time over road networks and friction surfaces, offline.

The result of every model is the long travel-time table (``demand_id, supply_id, minutes``)
that :func:`tcmcounty.coverage.travel_time_costs`, :func:`tcmcounty.access.spatial_access` and
:func:`tcmcounty.plan.plan_sites` already accept, so no analysis has a code path of its own.

Modules: :mod:`~tcmcounty.travel.speeds` (speeds by class and mode), :mod:`~tcmcounty.travel.roads`
(read a road layer), :mod:`~tcmcounty.travel.graph` (sparse graph, snapping, Dijkstra),
:mod:`~tcmcounty.travel.friction` (friction raster cost-distance), :mod:`~tcmcounty.travel.model`
(which distance model a figure uses, with its sources) and :mod:`~tcmcounty.travel.county`
(the county pipeline: a County + a layer → the table).
"""
