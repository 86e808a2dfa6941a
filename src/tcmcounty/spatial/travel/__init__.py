"""Travel time over road networks and friction surfaces, offline.

The result of every model is the long travel-time table (``demand_id, supply_id, minutes``)
that :func:`tcmcounty.spatial.coverage.travel_time_costs`, :func:`tcmcounty.spatial.access.spatial_access` and
:func:`tcmcounty.spatial.plan.plan_sites` already accept, so no analysis has a code path of its own.

Modules: :mod:`~tcmcounty.spatial.travel.speeds` (speeds by class and mode), :mod:`~tcmcounty.spatial.travel.roads`
(read a road layer), :mod:`~tcmcounty.spatial.travel.graph` (sparse graph, snapping, Dijkstra),
:mod:`~tcmcounty.spatial.travel.friction` (friction raster cost-distance), :mod:`~tcmcounty.spatial.travel.model`
(which distance model a figure uses, with its sources) and :mod:`~tcmcounty.spatial.travel.county`
(the county pipeline: a County + a layer → the table).
"""
