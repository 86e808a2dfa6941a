"""Spatial analysis of a county: distances, coverage, accessibility, equity, siting and travel time.

- :mod:`~tcmcounty.spatial.pairs`: village–facility distance pairs within a radius;
- :mod:`~tcmcounty.spatial.coverage`: nearest service and cumulative coverage by distance;
- :mod:`~tcmcounty.spatial.access`: accessibility (2SFCA / E2SFCA);
- :mod:`~tcmcounty.spatial.equity`: equity of accessibility (Gini, population-weighted);
- :mod:`~tcmcounty.spatial.plan`: siting of new 中医阁 (maximal covering);
- :mod:`~tcmcounty.spatial.travel`: travel time over roads or a friction surface.

Each reads a :class:`tcmcounty.County` and depends on the core and ``inputs/`` only.
"""
