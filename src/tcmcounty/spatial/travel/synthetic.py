"""Synthetic road networks for tests, demos and benchmarks — labelled synthetic, never real roads.

:func:`grid_roads` lays a square grid of roads over a county's real outline (the bundle's
``boundary.geojson``); :func:`grid_segments` builds a large grid as arrays, for benchmarks.

Examples
--------
>>> import tcmcounty
>>> county = tcmcounty.load_county("wenxi", warn=False)
>>> layer = grid_roads(county, spacing_m=2000)
>>> layer.source
'synthetic grid 2000 m inside 闻喜县 (not real roads)'
>>> sorted(set(layer.lines["road_class"]))
['secondary', 'unclassified']
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from tcmcounty.errors import ArgumentError
from tcmcounty.spatial.pairs import county_crs
from tcmcounty.spatial.travel.roads import RoadLayer, roads_from_frame

FloatArray = npt.NDArray[np.float64]


def grid_roads(
    county: object,
    spacing_m: float = 1000.0,
    *,
    major_every: int = 5,
    oneway_every: int = 0,
) -> RoadLayer:
    """Return a grid of roads clipped to the county's real outline.

    Every ``major_every``-th line is a ``secondary`` road (县道), the others ``unclassified``
    (村道). Lines carry a vertex at every crossing, so the grid is connected. With
    ``oneway_every`` > 0, every such minor east–west line is one-way eastwards.

    Raises
    ------
    ValueError
        If the county has no boundary.
    """
    boundary = getattr(county, "boundary", None)
    if boundary is None or len(boundary) == 0:
        raise ArgumentError("the county has no boundary to lay a synthetic grid in")
    crs = county_crs(boundary)
    outline = shapely.union_all(boundary.to_crs(crs).geometry.to_numpy())
    minx, miny, maxx, maxy = outline.bounds
    xs = np.arange(minx, maxx + spacing_m, spacing_m)
    ys = np.arange(miny, maxy + spacing_m, spacing_m)
    geoms, classes, oneway = [], [], []
    for i, y in enumerate(ys):
        geoms.append(shapely.linestrings(np.column_stack([xs, np.full(len(xs), y)])))
        classes.append("secondary" if i % major_every == 0 else "unclassified")
        oneway.append("yes" if oneway_every and i % major_every and i % oneway_every == 0 else "no")
    for j, x in enumerate(xs):
        geoms.append(shapely.linestrings(np.column_stack([np.full(len(ys), x), ys])))
        classes.append("secondary" if j % major_every == 0 else "unclassified")
        oneway.append("no")
    clipped = shapely.intersection(np.array(geoms), outline)
    gdf = gpd.GeoDataFrame({"highway": classes, "oneway": oneway}, geometry=clipped, crs=crs)
    gdf = gdf[~gdf.geometry.is_empty]
    name = getattr(county, "name_zh", "") or getattr(county, "name", "")
    return roads_from_frame(
        gdf, source=f"synthetic grid {spacing_m:g} m inside {name} (not real roads)"
    )


def grid_segments(
    nx: int, ny: int, spacing_m: float = 100.0, *, seed: int = 0
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.int8]]:
    """Segments of an ``nx × ny`` node grid with random speeds (20–60 km/h) and 10 % one-way.

    Returns ``start_xy, end_xy, speed_kmh, oneway`` for
    :func:`tcmcounty.spatial.travel.graph.graph_from_segments`; ``2·nx·ny − nx − ny`` segments.

    Examples
    --------
    >>> a, b, s, o = grid_segments(3, 2)
    >>> len(a)
    7
    """
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(nx) * spacing_m, np.arange(ny) * spacing_m, indexing="xy")
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    idx = np.arange(nx * ny).reshape(ny, nx)
    h = np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()])
    v = np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()])
    e = np.concatenate([h, v])
    speed = rng.uniform(20.0, 60.0, len(e))
    oneway = np.where(rng.random(len(e)) < 0.1, 1, 0).astype(np.int8)
    return xy[e[:, 0]], xy[e[:, 1]], speed, oneway


def rural_segments(
    nx: int, ny: int, link_m: float = 800.0, shape_points: int = 4, *, seed: int = 0
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.int8]]:
    """Return a junction grid whose links carry ``shape_points`` wiggly shape vertices each.

    Closer to a rural road layer than :func:`grid_segments`: most vertices join exactly two
    segments (real OSM extracts: about two thirds in the Helsinki test extract). Speeds are
    random per link (20–60 km/h), 10 % of links one-way. ``(2·nx·ny − nx − ny)·(shape_points+1)``
    segments.

    Examples
    --------
    >>> a, b, s, o = rural_segments(3, 2, shape_points=2)
    >>> len(a)
    21
    """
    rng = np.random.default_rng(seed)
    a, b, speed, oneway = grid_segments(nx, ny, link_m, seed=seed)
    k = shape_points + 1
    f = np.linspace(0.0, 1.0, k + 1)
    pts = a[:, None, :] + (b - a)[:, None, :] * f[None, :, None]
    normal = np.stack([-(b - a)[:, 1], (b - a)[:, 0]], axis=1) / link_m
    wiggle = rng.normal(0.0, 0.05 * link_m, (len(a), k + 1))
    wiggle[:, [0, -1]] = 0.0
    pts = pts + wiggle[:, :, None] * normal[:, None, :]
    start = pts[:, :-1].reshape(-1, 2)
    end = pts[:, 1:].reshape(-1, 2)
    return start, end, np.repeat(speed, k), np.repeat(oneway, k)
