"""A sparse directed road graph in minutes, snapping of points to it, and Dijkstra with a cutoff.

Nodes are the vertices of the road lines (vertices closer than :data:`NODE_PRECISION_M` merge),
so lines that share a vertex connect and lines that cross without one (a bridge over a road)
do not. Each segment between two vertices costs ``length / speed`` minutes; motorised one-way
segments get one arc, all others two. Shortest paths use :func:`scipy.sparse.csgraph.dijkstra`
(multi-source with ``min_only`` when only the nearest facility matters).

Points (villages, facilities) are snapped to the nearest point of the nearest usable segment
(:class:`shapely.STRtree`); the straight connector is walked at the off-road speed of the speed
table and its length is reported. Points farther than ``max_snap_m`` from every road, or whose
only roads within reach lie across a barrier polygon (a river, a lake), are flagged and get no
travel time: they are never snapped across the water.

Examples
--------
>>> import numpy as np
>>> from tcmcounty.spatial.travel.graph import graph_from_segments, nearest_times
>>> a = np.array([[0, 0], [1000, 0]]); b = np.array([[1000, 0], [2000, 0]])
>>> g = graph_from_segments(a, b, speed_kmh=[60, 60], oneway=[0, 0], mode="motor", crs="EPSG:4544")
>>> g.n_nodes, g.n_arcs, g.n_junctions  # the middle vertex is contracted away
(3, 4, 2)
>>> minutes, which = nearest_times(g, [[0, 0]], [[2000, 0]])
>>> round(float(minutes[0]), 3), int(which[0])
(2.0, 0)
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse import csgraph

from tcmcounty.errors import ArgumentTypeError
from tcmcounty.spatial.travel._errors import TravelInputError
from tcmcounty.spatial.travel.contract import Chains, contract
from tcmcounty.spatial.travel.roads import RoadLayer
from tcmcounty.spatial.travel.speeds import SpeedTable, check_mode, load_speeds

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Vertices closer than this (metres) are one node.
NODE_PRECISION_M = 0.1
#: Default largest distance (metres) from a point to the road it is snapped to.
DEFAULT_MAX_SNAP_M = 1000.0
#: Smallest arc cost (minutes): csgraph must never see a zero-weight arc as "no arc".
_MIN_ARC = 1e-9
#: Cached graphs kept in memory.
_MEMORY: dict[str, RoadGraph] = {}
#: Version of the road-graph cache files; a file of another version is rebuilt.
_CACHE_VERSION = "2"


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """A directed road graph in minutes for one travel mode.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Arc costs in minutes (directed) between junctions: every chain of degree-2 vertices is
        one arc (:mod:`tcmcounty.spatial.travel.contract`); ``n_junctions`` square.
    chains : Chains
        The chains, with each segment's chain, offset and orientation.
    core_index : numpy.ndarray of int64
        Row of each vertex in ``matrix`` (-1 for contracted vertices).
    node_xy : numpy.ndarray
        ``(n_nodes, 2)`` node coordinates in ``crs`` (metres).
    seg : numpy.ndarray of int64
        ``(n_segments, 2)`` usable segments ``u, v`` (one-way segments point along travel).
    seg_minutes : numpy.ndarray
        Minutes to traverse each segment.
    seg_oneway : numpy.ndarray of bool
        True when a segment may only be travelled ``u → v``.
    mode : str
        ``"walk"`` or ``"motor"``.
    crs : pyproj.CRS
        Metric CRS of the coordinates.
    off_road_kmh : float
        Speed of the connector between a point and its road.
    key : str
        Cache key (input hash, mode, speeds, CRS).
    unknown_classes : dict of str to int
        Road classes absent from the speed table (given the default speed), with line counts.
    n_lines : int
        Lines read.
    build_seconds : float
        Time to build (0 when loaded from the cache is not distinguished; see ``from_cache``).
    from_cache : bool
        Whether the graph came from the memory or disk cache.
    cache_note : str
        One line when a disk cache file was there but did not load (damaged, cut short,
        another version) and the graph was rebuilt; ``""`` otherwise.
    """

    matrix: sparse.csr_matrix
    chains: Chains
    core_index: IntArray
    node_xy: FloatArray
    seg: IntArray
    seg_minutes: FloatArray
    seg_oneway: npt.NDArray[np.bool_]
    mode: str
    crs: CRS
    off_road_kmh: float
    key: str = ""
    unknown_classes: dict[str, int] = field(default_factory=dict)
    n_lines: int = 0
    build_seconds: float = 0.0
    from_cache: bool = False
    cache_note: str = ""
    _tree: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of vertices (nodes before contraction)."""
        return len(self.node_xy)

    @property
    def n_junctions(self) -> int:
        """Nodes of the contracted graph."""
        return int(self.matrix.shape[0])

    @property
    def n_arcs(self) -> int:
        """Directed arcs before contraction (two per two-way segment)."""
        return int(2 * len(self.seg) - self.seg_oneway.sum())

    def vertex_matrix(self) -> sparse.csr_matrix:
        """Return the uncontracted ``n_nodes × n_nodes`` arc matrix (for checks and oracles)."""
        u, v, one = self.seg[:, 0], self.seg[:, 1], self.seg_oneway
        rows = np.concatenate([u, v[~one]])
        cols = np.concatenate([v, u[~one]])
        cost = np.concatenate([self.seg_minutes, self.seg_minutes[~one]])
        return _csr_min(rows, cols, cost, self.n_nodes)

    @property
    def n_segments(self) -> int:
        """Number of usable segments (undirected edges of the road network)."""
        return len(self.seg)

    def segment_tree(self) -> shapely.STRtree:
        """STRtree over the usable segments (built once, on first use)."""
        if "tree" not in self._tree:
            xy = self.node_xy
            lines = shapely.linestrings(np.stack([xy[self.seg[:, 0]], xy[self.seg[:, 1]]], axis=1))
            self._tree["tree"] = shapely.STRtree(cast(npt.NDArray[np.object_], lines))
        return cast(shapely.STRtree, self._tree["tree"])

    def summary(self) -> str:
        """One line: mode, nodes, segments, arcs, unknown classes."""
        unk = (
            f"; {sum(self.unknown_classes.values())} lines of unknown class at the default speed "
            f"({', '.join(sorted(self.unknown_classes)[:5])})"
            if self.unknown_classes
            else ""
        )
        return (
            f"{self.mode} graph: {self.n_nodes:,} vertices, {self.n_segments:,} segments "
            f"({self.n_arcs:,} arcs); contracted to {self.n_junctions:,} junctions, "
            f"{int(self.matrix.nnz):,} arcs{unk}"
        )


# --------------------------------------------------------------------------- building


def _node_ids(xy: FloatArray) -> tuple[IntArray, FloatArray]:
    """Merge coordinates on a :data:`NODE_PRECISION_M` grid; return ids and node coordinates."""
    k = np.round(xy / NODE_PRECISION_M).astype(np.int64)
    k -= k.min(axis=0)
    key = k[:, 0] * (int(k[:, 1].max()) + 1) + k[:, 1]
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    return inv.astype(np.int64), xy[first]


def graph_from_segments(
    start_xy: npt.ArrayLike,
    end_xy: npt.ArrayLike,
    *,
    speed_kmh: npt.ArrayLike,
    oneway: npt.ArrayLike,
    mode: str,
    crs: object,
    off_road_kmh: float = 4.8,
    key: str = "",
    unknown_classes: dict[str, int] | None = None,
    n_lines: int = 0,
) -> RoadGraph:
    """Build a :class:`RoadGraph` from straight segments (metric coordinates).

    Parameters
    ----------
    start_xy, end_xy : array_like, shape (m, 2)
        Segment end points in metres.
    speed_kmh : array_like, shape (m,)
        Speed of each segment for ``mode``; segments with speed 0 are left out.
    oneway : array_like, shape (m,)
        1 = only start → end, -1 = only end → start, 0 = both (ignored for walking).
    mode : {"walk", "motor"}
    crs : CRS-like
        The metric CRS of the coordinates.

    Raises
    ------
    TravelInputError
        If no segment is usable by ``mode``, or ``crs`` is geographic.
    """
    t0 = time.perf_counter()
    check_mode(mode)
    crs = CRS.from_user_input(crs)
    if crs.is_geographic:
        raise TravelInputError(f"{crs.name} is geographic; the road graph needs metres")
    a = np.asarray(start_xy, dtype=float).reshape(-1, 2)
    b = np.asarray(end_xy, dtype=float).reshape(-1, 2)
    speed = np.asarray(speed_kmh, dtype=float).reshape(-1)
    ow = np.asarray(oneway, dtype=np.int8).reshape(-1)
    if mode == "walk":
        ow = np.zeros_like(ow)
    ok = (speed > 0) & np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    if not ok.any():
        raise TravelInputError(f"no road segment is usable for mode {mode!r} (all speeds are 0)")
    a, b, speed, ow = a[ok], b[ok], speed[ok], ow[ok]
    ids, node_xy = _node_ids(np.concatenate([a, b]))
    u, v = ids[: len(a)], ids[len(a) :]
    back = ow == -1
    u, v = np.where(back, v, u), np.where(back, u, v)
    length = np.hypot(*(node_xy[v] - node_xy[u]).T)
    minutes = np.maximum(length / 1000.0 / speed * 60.0, _MIN_ARC)
    keep = u != v
    u, v, minutes, one = u[keep], v[keep], minutes[keep], ow[keep] != 0
    seg = np.stack([u, v], axis=1)
    graph = _graph(
        seg,
        minutes,
        one,
        node_xy,
        mode=mode,
        crs=crs,
        off_road_kmh=float(off_road_kmh),
        key=key,
        unknown_classes=dict(unknown_classes or {}),
        n_lines=n_lines,
    )
    return replace(graph, build_seconds=time.perf_counter() - t0)


def _graph(
    seg: np.ndarray, minutes: np.ndarray, one: np.ndarray, node_xy: np.ndarray, **meta: Any
) -> RoadGraph:
    """Make a :class:`RoadGraph` from its segments (built, or read from the cache)."""
    chains, core_index, matrix = _core(seg, minutes, one, len(node_xy))
    return RoadGraph(
        matrix=matrix,
        chains=chains,
        core_index=core_index,
        node_xy=node_xy,
        seg=seg,
        seg_minutes=minutes,
        seg_oneway=one,
        **meta,
    )


def _core(
    seg: IntArray, minutes: FloatArray, one: npt.NDArray[np.bool_], n: int
) -> tuple[Chains, IntArray, sparse.csr_matrix]:
    """Contract degree-2 chains; return the chains, vertex → junction row, junction matrix."""
    chains = contract(seg, minutes, one, n)
    core_index = np.full(n, -1, dtype=np.int64)
    core_index[chains.junction] = np.arange(int(chains.junction.sum()))
    a = core_index[chains.chain_ends[:, 0]]
    b = core_index[chains.chain_ends[:, 1]]
    ok = a != b
    two = ok & ~chains.chain_oneway
    rows = np.concatenate([a[ok], b[two]])
    cols = np.concatenate([b[ok], a[two]])
    cost = np.concatenate([chains.chain_cost[ok], chains.chain_cost[two]])
    nj = int(chains.junction.sum())
    return chains, core_index, _csr_min(rows, cols, np.maximum(cost, _MIN_ARC), nj)


def _csr_min(rows: IntArray, cols: IntArray, cost: FloatArray, n: int) -> sparse.csr_matrix:
    """CSR matrix keeping the smallest cost of repeated arcs (coo → csr would sum them)."""
    if len(rows) == 0:
        return sparse.csr_matrix((n, n))
    key = np.asarray(rows, dtype=np.int64) * n + np.asarray(cols, dtype=np.int64)
    order = np.argsort(key)
    k = key[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    w = np.minimum.reduceat(np.asarray(cost, dtype=float)[order], starts)
    r, c = np.divmod(k[starts], n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, r + 1, 1)
    return sparse.csr_matrix((w, c.astype(np.int32), np.cumsum(indptr)), shape=(n, n))


def _layer_segments(
    layer: RoadLayer, mode: str, speeds: SpeedTable, crs: CRS
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.int8], dict[str, int]]:
    lines = layer.lines.to_crs(crs)
    line_speed, unknown = speeds.speeds(lines["road_class"], mode)
    own = lines["speed_kmh"].to_numpy(dtype=float)
    if mode == "motor":
        # The layer's own speed (a speed column, OSM maxspeed) wins over the class default.
        line_speed = np.where(np.isfinite(own), own, line_speed)
    blank = lines["road_class"].astype(str).str.len().to_numpy() == 0
    unknown.pop("", None)
    if blank.any() and mode == "walk":
        line_speed[blank] = speeds.default.walk
    coords, idx = shapely.get_coordinates(lines.geometry.to_numpy(), return_index=True)
    same = idx[1:] == idx[:-1]
    a, b, li = coords[:-1][same], coords[1:][same], idx[:-1][same]
    oneway = lines["oneway"].to_numpy(dtype=np.int8)[li]
    return a, b, line_speed[li], oneway, unknown


def _cache_dir() -> Path | None:
    env = os.environ.get("TCMCOUNTY_CACHE_DIR")
    if env == "":
        return None
    if env:
        return Path(env) / "roads"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tcmcounty" / "roads"


def graph_key(digest: str, mode: str, speeds: SpeedTable, crs: CRS) -> str:
    """Return the cache key of a graph: input hash, mode, speed table and CRS."""
    import hashlib

    text = "|".join([_CACHE_VERSION, digest, mode, speeds.digest(), crs.to_wkt()])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


#: ``kind`` of the road-graph cache files (:func:`tcmcounty.io.write_cache`).
_CACHE_KIND = "road-graph"


def _save(graph: RoadGraph, path: Path) -> bool:
    """Write ``graph`` to the disk cache (versioned, checksummed); ``False`` if it cannot."""
    import io

    from tcmcounty.io import write_cache

    buf = io.BytesIO()
    np.savez(
        buf,
        node_xy=graph.node_xy,
        seg=graph.seg,
        seg_minutes=graph.seg_minutes,
        seg_oneway=graph.seg_oneway,
        meta=np.array(
            [
                graph.mode,
                graph.crs.to_wkt(),
                repr(graph.off_road_kmh),
                repr(graph.unknown_classes),
                str(graph.n_lines),
            ]
        ),
    )
    return write_cache(path, buf.getvalue(), kind=_CACHE_KIND, version=_CACHE_VERSION)


def _load(path: Path, key: str) -> tuple[RoadGraph | None, str]:
    """Return the cached graph in ``path`` and ``""``, or ``None`` and why it did not load.

    The file's version and checksum are checked first (:func:`tcmcounty.io.read_cache`); a
    file that passes but still does not make a graph is reported the same way. The caller
    rebuilds the graph: a damaged cache never fails a run and is never trusted.
    """
    import ast
    import io

    from tcmcounty.io import read_cache

    payload, why = read_cache(path, kind=_CACHE_KIND, version=_CACHE_VERSION)
    if payload is None:
        return None, why
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as z:
            seg, minutes, one = z["seg"], z["seg_minutes"], z["seg_oneway"]
            node_xy = z["node_xy"]
            mode, wkt, off, unknown, n_lines = (str(x) for x in z["meta"])
        graph = _graph(
            seg,
            minutes,
            one,
            node_xy,
            mode=mode,
            crs=CRS.from_wkt(wkt),
            off_road_kmh=float(off),
            key=key,
            unknown_classes=ast.literal_eval(unknown),
            n_lines=int(n_lines),
            from_cache=True,
        )
    except Exception as exc:  # whatever a damaged payload raises: rebuild, never fail
        return None, f"its content does not make a graph ({type(exc).__name__})"
    return graph, ""


def build_graph(
    layer: RoadLayer | None,
    mode: str,
    crs: object,
    speeds: SpeedTable | None = None,
    *,
    digest: str | None = None,
    reader: Any = None,
    cache: bool = True,
) -> RoadGraph:
    """Build (or fetch from the cache) the road graph of a layer for one mode.

    Parameters
    ----------
    layer : RoadLayer or None
        Road lines; may be None when ``reader`` reads them only on a cache miss.
    mode : {"walk", "motor"}
    crs : CRS-like
        Metric CRS (e.g. :func:`tcmcounty.spatial.pairs.county_crs` of the villages).
    speeds : SpeedTable, optional
        Default: :func:`tcmcounty.spatial.travel.speeds.load_speeds`.
    digest : str, optional
        Input hash (default ``layer.digest``).
    reader : callable, optional
        Returns the RoadLayer when the graph is not cached (so a cached file is never parsed).
    cache : bool, default True
        Keep graphs in memory, and graphs of files (``layer=None`` with ``reader``) on disk too
        (``$TCMCOUNTY_CACHE_DIR/roads`` or ``~/.cache/tcmcounty/roads``;
        ``TCMCOUNTY_CACHE_DIR=""`` turns the disk cache off). A cache file is versioned and
        checksummed; one that does not load is rebuilt and overwritten, with a one-line
        ``cache_note`` on the graph.

    Raises
    ------
    TravelInputError
        If no segment is usable for the mode.
    """
    check_mode(mode)
    speeds = speeds or load_speeds()
    crs = CRS.from_user_input(crs)
    digest = digest or (layer.digest if layer is not None else None)
    if digest is None:
        raise ArgumentTypeError("give a layer or a digest")
    key = graph_key(digest, mode, speeds, crs)
    # Disk cache only for files (parsing is the slow part); in-memory layers are cached in memory.
    folder = _cache_dir() if cache and layer is None else None
    if cache and key in _MEMORY:
        return _MEMORY[key]
    note = ""
    if folder is not None:
        cached, why = _load(folder / f"{key}.npz", key)
        if cached is not None:
            _MEMORY[key] = cached
            return cached
        if why:  # there was a file, and it did not load: rebuilt below and overwritten
            from tcmcounty.io import cache_note

            note = cache_note("road-graph cache", "路网缓存", folder / f"{key}.npz", why)
    t0 = time.perf_counter()
    if layer is None:
        layer = reader()
    a, b, speed, oneway, unknown = _layer_segments(layer, mode, speeds, crs)
    g = graph_from_segments(
        a,
        b,
        speed_kmh=speed,
        oneway=oneway,
        mode=mode,
        crs=crs,
        off_road_kmh=speeds.off_road[mode],
        key=key,
        unknown_classes=unknown,
        n_lines=len(layer),
    )
    g = _replace(g, build_seconds=time.perf_counter() - t0, cache_note=note)
    if cache:
        _MEMORY[key] = _replace(g, cache_note="")
        if folder is not None:
            _save(g, folder / f"{key}.npz")  # a read-only cache folder only costs a rebuild
    return g


def _replace(g: RoadGraph, **changes: Any) -> RoadGraph:
    from dataclasses import replace

    return replace(g, **changes)


# --------------------------------------------------------------------------- snapping


@dataclass(frozen=True)
class Snap:
    """Where points join the road graph.

    Attributes
    ----------
    segment : numpy.ndarray of int64
        Segment index (-1 when not snapped).
    t : numpy.ndarray
        Position along the segment from ``u`` (0) to ``v`` (1).
    distance_m : numpy.ndarray
        Connector length in metres (NaN when not snapped).
    reason : numpy.ndarray of object
        Empty when snapped, else why not (no location / beyond the max snap distance / only
        across a barrier).
    max_snap_m : float
        The max snap distance used.
    """

    segment: IntArray
    t: FloatArray
    distance_m: FloatArray
    reason: npt.NDArray[np.object_]
    max_snap_m: float

    @property
    def snapped(self) -> npt.NDArray[np.bool_]:
        """True where the point joined the graph."""
        return self.segment >= 0

    def frame(self, ids: npt.ArrayLike) -> pd.DataFrame:
        """One row per point: ``id``, ``snapped``, ``snap_m``, ``flag``."""
        return pd.DataFrame(
            {
                "id": np.asarray(ids).astype(str),
                "snapped": self.snapped,
                "snap_m": np.round(self.distance_m, 1),
                "flag": self.reason,
            }
        )


def _project(
    graph: RoadGraph, seg: IntArray, xy: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Fraction along each segment, the foot point and the distance to it."""
    p0 = graph.node_xy[graph.seg[seg, 0]]
    p1 = graph.node_xy[graph.seg[seg, 1]]
    d = p1 - p0
    den = np.maximum((d * d).sum(axis=1), 1e-12)
    t = np.clip(((xy - p0) * d).sum(axis=1) / den, 0.0, 1.0)
    foot = p0 + t[:, None] * d
    return t, foot, np.hypot(*(xy - foot).T)


def snap_points(
    graph: RoadGraph,
    xy: npt.ArrayLike,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    barriers: Any = None,
) -> Snap:
    """Snap points (metric coordinates) to the nearest usable segment within ``max_snap_m``.

    Parameters
    ----------
    graph : RoadGraph
    xy : array_like, shape (n, 2)
        Coordinates in ``graph.crs`` (NaN = no location).
    max_snap_m : float
        Points farther from every road are flagged, not snapped.
    barriers : shapely geometry, optional
        Polygons (rivers, lakes) a connector may not cross; the nearest road on the point's side
        within ``max_snap_m`` is used instead, else the point is flagged.

    Examples
    --------
    >>> import numpy as np
    >>> g = graph_from_segments([[0, 0]], [[1000, 0]], speed_kmh=[30], oneway=[0], mode="walk",
    ...                         crs="EPSG:4544")
    >>> s = snap_points(g, [[250, 40], [500, 5000]], max_snap_m=500)
    >>> s.segment.tolist(), s.t.round(2).tolist(), s.distance_m.round(1).tolist()
    ([0, -1], [0.25, nan], [40.0, nan])
    >>> str(s.reason[1])
    'beyond max snap 500 m (nearest road 5000 m)'
    """
    if not np.isfinite(max_snap_m) or max_snap_m < 0:
        raise TravelInputError(
            f"max snap distance must be a number of metres >= 0, not {max_snap_m!r}"
        )
    pts_xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(pts_xy)
    seg = np.full(n, -1, dtype=np.int64)
    t = np.full(n, np.nan)
    dist = np.full(n, np.nan)
    reason = np.full(n, "", dtype=object)
    located = np.isfinite(pts_xy).all(axis=1)
    reason[~located] = "no location"
    idx = np.flatnonzero(located)
    if len(idx) == 0:
        return Snap(seg, t, dist, reason, float(max_snap_m))
    tree = graph.segment_tree()
    pts = shapely.points(pts_xy[idx])
    (pi, si), near = tree.query_nearest(pts, return_distance=True, all_matches=False)
    best = np.full(len(idx), -1, dtype=np.int64)
    best_d = np.full(len(idx), np.inf)
    best[pi], best_d[pi] = si, near
    far = best_d > max_snap_m
    for k in np.flatnonzero(far):
        reason[idx[k]] = f"beyond max snap {max_snap_m:g} m (nearest road {best_d[k]:.0f} m)"
    ok = np.flatnonzero(~far)
    tt, foot, dd = _project(graph, best[ok], pts_xy[idx[ok]])
    if barriers is not None and len(ok):
        crossing = _crosses(pts_xy[idx[ok]], foot, barriers)
        for j in np.flatnonzero(crossing):
            k = ok[j]
            alt = _snap_avoiding(graph, tree, pts_xy[idx[k]], max_snap_m, barriers)
            if alt is None:
                reason[idx[k]] = f"only roads across a barrier within {max_snap_m:g} m"
                best[k] = -1
            else:
                best[k], tt[j], dd[j] = alt
        keep = best[ok] >= 0
        ok, tt, dd = ok[keep], tt[keep], dd[keep]
    seg[idx[ok]], t[idx[ok]], dist[idx[ok]] = best[ok], tt, dd
    return Snap(seg, t, dist, reason, float(max_snap_m))


def _crosses(a: FloatArray, b: FloatArray, barriers: Any) -> npt.NDArray[np.bool_]:
    conn = shapely.linestrings(np.stack([a, b], axis=1))
    shapely.prepare(barriers)
    return shapely.intersects(conn, barriers)


def _snap_avoiding(
    graph: RoadGraph, tree: shapely.STRtree, xy: FloatArray, max_snap_m: float, barriers: Any
) -> tuple[int, float, float] | None:
    cand = tree.query(shapely.points(xy), predicate="dwithin", distance=max_snap_m)
    if len(cand) == 0:
        return None
    tt, foot, dd = _project(graph, cand, np.repeat(xy[None, :], len(cand), axis=0))
    order = np.argsort(dd, kind="stable")
    crossing = _crosses(np.repeat(xy[None, :], len(cand), axis=0)[order], foot[order], barriers)
    good = np.flatnonzero(~crossing)
    if len(good) == 0:
        return None
    j = order[good[0]]
    return int(cand[j]), float(tt[j]), float(dd[j])


# --------------------------------------------------------------------------- shortest paths


def _attach(graph: RoadGraph, snaps: list[Snap]) -> tuple[sparse.csr_matrix, list[IntArray]]:
    """Return the junction graph with one extra node per snapped point; its row per point (-1 if not).

    A point on chain ``A → B`` at ``pos`` minutes from ``A`` (chain length ``L``) is joined by
    ``A → p`` (``pos``) and ``p → B`` (``L − pos``), and on two-way chains also by ``B → p``
    and ``p → A``; each arc adds the connector walked off-road. A point snapped exactly onto a
    junction is also joined to it both ways.
    """
    ch = graph.chains
    n = graph.n_junctions
    rows, cols, costs = [], [], []
    nodes: list[IntArray] = []
    nxt = n
    for s in snaps:
        node = np.full(len(s.segment), -1, dtype=np.int64)
        ok = np.flatnonzero(s.snapped)
        node[ok] = nxt + np.arange(len(ok))
        nxt += len(ok)
        nodes.append(node)
        seg = s.segment[ok]
        c = ch.seg_chain[seg]
        pos = ch.position(seg, s.t[ok], graph.seg_minutes)
        length = ch.chain_cost[c]
        a = graph.core_index[ch.chain_ends[c, 0]]
        b = graph.core_index[ch.chain_ends[c, 1]]
        conn = s.distance_m[ok] / 1000.0 / graph.off_road_kmh * 60.0
        p = node[ok]
        two = ~ch.chain_oneway[c]
        rows += [a, p, b[two], p[two]]
        cols += [p, b, p[two], a[two]]
        costs += [
            pos + conn,
            (length - pos) + conn,
            (length - pos)[two] + conn[two],
            pos[two] + conn[two],
        ]
        # A point whose foot is a junction (a village at a crossroads) joins it directly, so
        # every road from the junction is open to it, not only the segment it was snapped to.
        t = s.t[ok]
        end = np.where(
            t <= 1e-12, graph.seg[seg, 0], np.where(t >= 1 - 1e-12, graph.seg[seg, 1], -1)
        )
        j = np.where(end >= 0, graph.core_index[np.maximum(end, 0)], -1)
        at = j >= 0
        rows += [j[at], p[at]]
        cols += [p[at], j[at]]
        costs += [conn[at], conn[at]]
    # Every new arc touches a new node, so it never coincides with a base arc: the union is a
    # sum of the (padded) base matrix and the small, de-duplicated matrix of new arcs.
    base = graph.matrix
    indptr = np.concatenate(
        [base.indptr, np.full(nxt - n, base.indptr[-1], dtype=base.indptr.dtype)]
    )
    padded = sparse.csr_matrix((base.data, base.indices, indptr), shape=(nxt, nxt))
    new = _csr_min(
        np.concatenate([np.zeros(0, np.int64), *rows]),
        np.concatenate([np.zeros(0, np.int64), *cols]),
        np.maximum(np.concatenate([np.zeros(0), *costs]), _MIN_ARC),
        nxt,
    )
    return (padded + new).tocsr(), nodes


def _same_chain_pairs(
    graph: RoadGraph, o: Snap, d: Snap, o_xy: FloatArray, d_xy: FloatArray
) -> pd.DataFrame:
    """Direct times between an origin and a destination on the same chain (no junction between)."""
    ch = graph.chains
    oi = np.flatnonzero(o.snapped)
    di = np.flatnonzero(d.snapped)
    left = pd.DataFrame({"o": oi, "chain": ch.seg_chain[o.segment[oi]]})
    right = pd.DataFrame({"d": di, "chain": ch.seg_chain[d.segment[di]]})
    m = left.merge(right, on="chain")
    if m.empty:
        return pd.DataFrame({"o": [], "d": [], "minutes": []})
    oo, dd, cc = m["o"].to_numpy(), m["d"].to_numpy(), m["chain"].to_numpy()
    po = ch.position(o.segment[oo], o.t[oo], graph.seg_minutes)
    pd_ = ch.position(d.segment[dd], d.t[dd], graph.seg_minutes)
    k = 60.0 / 1000.0 / graph.off_road_kmh
    minutes = np.abs(pd_ - po) + (o.distance_m[oo] + d.distance_m[dd]) * k
    allowed = ~ch.chain_oneway[cc] | (pd_ >= po)
    same_place = np.hypot(*(o_xy[oo] - d_xy[dd]).T) < 1.0
    minutes = np.where(same_place, 0.0, minutes)
    keep = allowed | same_place
    return pd.DataFrame({"o": oo[keep], "d": dd[keep], "minutes": minutes[keep]})


@dataclass(frozen=True)
class PairTimes:
    """Origin → destination travel times within a cutoff, by position.

    Attributes
    ----------
    origin, destination : numpy.ndarray of int64
        Positions in the origin and destination point arrays.
    minutes : numpy.ndarray
        Shortest travel time of each pair (``<= cutoff``).
    origin_snap, destination_snap : Snap
    cutoff : float
    seconds : float
        Time for snapping and Dijkstra.
    """

    origin: IntArray
    destination: IntArray
    minutes: FloatArray
    origin_snap: Snap
    destination_snap: Snap
    cutoff: float
    seconds: float


def pair_times(
    graph: RoadGraph,
    origins_xy: npt.ArrayLike,
    destinations_xy: npt.ArrayLike,
    *,
    cutoff: float = 60.0,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    barriers: Any = None,
    chunk_cells: int = 20_000_000,
) -> PairTimes:
    """All origin → destination times within ``cutoff`` minutes.

    Travel goes from origin (village) to destination (facility), so one-way streets count in
    that direction: Dijkstra runs from each origin on the graph, or from each destination on
    the reversed graph, whichever side has fewer points, in chunks whose dense distance block
    stays under ``chunk_cells`` values.

    Examples
    --------
    >>> g = graph_from_segments([[0, 0]], [[1000, 0]], speed_kmh=[60], oneway=[1], mode="motor",
    ...                         crs="EPSG:4544")
    >>> pair_times(g, [[0, 0]], [[1000, 0]]).minutes.round(3).tolist()  # with the one-way
    [1.0]
    >>> pair_times(g, [[1000, 0]], [[0, 0]]).minutes.tolist()  # against it: unreachable
    []
    """
    t0 = time.perf_counter()
    if not np.isfinite(cutoff) or cutoff < 0:
        raise TravelInputError(f"cutoff must be a number of minutes >= 0, not {cutoff!r}")
    o_xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    d_xy = np.asarray(destinations_xy, dtype=float).reshape(-1, 2)
    so = snap_points(graph, o_xy, max_snap_m, barriers)
    sd = snap_points(graph, d_xy, max_snap_m, barriers)
    m, (on, dn) = _attach(graph, [so, sd])
    o_ok = np.flatnonzero(on >= 0)
    d_ok = np.flatnonzero(dn >= 0)
    # One Dijkstra per point of the smaller side: forward from the origins, or on the reversed
    # graph from the destinations (times always run origin -> destination).
    from_origins = len(o_ok) < len(d_ok)
    g_run = m if from_origins else m.T.tocsr()
    src, src_node, dst, dst_node = (o_ok, on, d_ok, dn) if from_origins else (d_ok, dn, o_ok, on)
    out_o, out_d, out_m = [], [], []
    step = max(1, chunk_cells // max(m.shape[0], 1))
    for i in range(0, len(src), step):
        chunk = src[i : i + step]
        dist = csgraph.dijkstra(g_run, directed=True, indices=src_node[chunk], limit=cutoff)
        sub = dist[:, dst_node[dst]]
        si, ti = np.nonzero(np.isfinite(sub))
        out_o.append(chunk[si] if from_origins else dst[ti])
        out_d.append(dst[ti] if from_origins else chunk[si])
        out_m.append(sub[si, ti])
    direct = _same_chain_pairs(graph, so, sd, o_xy, d_xy)
    direct = direct[direct["minutes"] <= cutoff]
    frame = pd.DataFrame(
        {
            "o": np.concatenate([np.zeros(0, np.int64), *out_o, direct["o"].to_numpy(np.int64)]),
            "d": np.concatenate([np.zeros(0, np.int64), *out_d, direct["d"].to_numpy(np.int64)]),
            "minutes": np.concatenate([np.zeros(0), *out_m, direct["minutes"].to_numpy(float)]),
        }
    )
    frame = cast(  # as_index=False: a frame with o, d and minutes
        pd.DataFrame, frame.groupby(["o", "d"], sort=True, as_index=False)["minutes"].min()
    )
    return PairTimes(
        frame["o"].to_numpy(np.int64),
        frame["d"].to_numpy(np.int64),
        frame["minutes"].to_numpy(float),
        so,
        sd,
        float(cutoff),
        time.perf_counter() - t0,
    )


def nearest_times(
    graph: RoadGraph,
    origins_xy: npt.ArrayLike,
    destinations_xy: npt.ArrayLike,
    *,
    cutoff: float = np.inf,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    barriers: Any = None,
) -> tuple[FloatArray, IntArray]:
    """Minutes from each origin to its nearest destination, and that destination's position.

    One multi-source Dijkstra (``min_only=True``) on the reversed graph; unreachable or
    unsnapped origins get ``inf`` and ``-1``. An origin and a destination on the same chain
    also get the direct time along it, as in :func:`pair_times`.
    """
    o_xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
    d_xy = np.asarray(destinations_xy, dtype=float).reshape(-1, 2)
    so = snap_points(graph, o_xy, max_snap_m, barriers)
    sd = snap_points(graph, d_xy, max_snap_m, barriers)
    m, (on, dn) = _attach(graph, [so, sd])
    minutes = np.full(len(o_xy), np.inf)
    which = np.full(len(o_xy), -1, dtype=np.int64)
    d_ok = np.flatnonzero(dn >= 0)
    if len(d_ok) == 0:
        return minutes, which
    dist, _, src = csgraph.dijkstra(
        m.T.tocsr(),
        directed=True,
        indices=dn[d_ok],
        min_only=True,
        limit=cutoff,
        return_predecessors=True,
    )
    o_ok = np.flatnonzero(on >= 0)
    minutes[o_ok] = dist[on[o_ok]]
    node_to_dest = np.full(m.shape[0], -1, dtype=np.int64)
    node_to_dest[dn[d_ok]] = d_ok
    s = src[on[o_ok]]
    which[o_ok] = np.where(s >= 0, node_to_dest[np.maximum(s, 0)], -1)
    # Pairs on one chain may be closer along it than through its ends.
    direct = _same_chain_pairs(graph, so, sd, o_xy, d_xy)
    if len(direct):
        direct = direct.sort_values(["o", "minutes", "d"]).drop_duplicates("o")
        oo = direct["o"].to_numpy(np.int64)
        better = direct["minutes"].to_numpy(float) < minutes[oo]
        minutes[oo[better]] = direct["minutes"].to_numpy(float)[better]
        which[oo[better]] = direct["d"].to_numpy(np.int64)[better]
    minutes[minutes > cutoff] = np.inf
    which[~np.isfinite(minutes)] = -1
    return minutes, which
