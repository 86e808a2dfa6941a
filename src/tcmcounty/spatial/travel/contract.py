"""Contract chains of degree-2 vertices into single arcs between junctions.

Road lines carry many shape vertices that join exactly two segments; shortest paths only
branch at junctions. Replacing every chain of segments between two junctions by one arc (as
OSMnx's ``simplify_graph`` does) keeps every travel time exact and makes Dijkstra several
times faster on real networks. A vertex stays a junction when its degree is not 2, or when its
two segments disagree on direction (a one-way segment meets a two-way one, or two one-ways meet
head to head). A closed ring without junctions keeps one of its vertices.

Each segment remembers its chain, its position along it and its orientation, so a point snapped
to any segment can be joined to the two ends of its chain at the right cost.

Examples
--------
>>> import numpy as np
>>> seg = np.array([[0, 1], [1, 2], [2, 3], [2, 4]])
>>> c = contract(seg, np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(4, bool), 5)
>>> c.chain_ends.tolist(), c.chain_cost.tolist()
([[2, 3], [2, 4], [0, 2]], [3.0, 4.0, 3.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Chains:
    """Chains of segments between junction vertices.

    Attributes
    ----------
    chain_ends : numpy.ndarray of int64, shape (k, 2)
        Vertex ids ``A, B`` of each chain; a one-way chain runs ``A → B``.
    chain_cost : numpy.ndarray
        Minutes from ``A`` to ``B``.
    chain_oneway : numpy.ndarray of bool
    seg_chain : numpy.ndarray of int64
        Chain of each segment.
    seg_offset : numpy.ndarray
        Minutes from ``A`` to the segment's end nearer ``A``.
    seg_forward : numpy.ndarray of bool
        True when the segment's ``u`` is its end nearer ``A``.
    junction : numpy.ndarray of bool
        Per vertex: kept as a node of the contracted graph.
    """

    chain_ends: IntArray
    chain_cost: FloatArray
    chain_oneway: BoolArray
    seg_chain: IntArray
    seg_offset: FloatArray
    seg_forward: BoolArray
    junction: BoolArray

    def position(self, seg: IntArray, t: FloatArray, seg_minutes: FloatArray) -> FloatArray:
        """Minutes from chain end ``A`` to the point at fraction ``t`` (from ``u``) of ``seg``."""
        frac = np.where(self.seg_forward[seg], t, 1.0 - t)
        return self.seg_offset[seg] + frac * seg_minutes[seg]


def _junctions(seg: IntArray, oneway: BoolArray, n: int) -> BoolArray:
    deg = np.bincount(seg.ravel(), minlength=n)
    keep: npt.NDArray[np.bool_] = deg != 2
    # For degree-2 vertices, look at their two segments.
    ends = np.concatenate([seg[:, 0], seg[:, 1]])
    sid = np.concatenate([np.arange(len(seg)), np.arange(len(seg))])
    is_head = np.concatenate([np.zeros(len(seg), bool), np.ones(len(seg), bool)])
    order = np.argsort(ends, kind="stable")
    ends, sid, is_head = ends[order], sid[order], is_head[order]
    start = np.searchsorted(ends, np.arange(n))
    two = np.flatnonzero(deg == 2)
    s1, s2 = sid[start[two]], sid[start[two] + 1]
    h1, h2 = is_head[start[two]], is_head[start[two] + 1]
    o1, o2 = oneway[s1], oneway[s2]
    mixed = o1 != o2
    clash = o1 & o2 & (h1 == h2)  # two one-ways meeting head to head or tail to tail
    keep[two[mixed | clash | (s1 == s2)]] = True
    return keep


def contract(seg: IntArray, minutes: FloatArray, oneway: BoolArray, n_nodes: int) -> Chains:
    """Trace the chains of ``seg`` (``u, v`` per segment; one-way segments run ``u → v``).

    Parameters
    ----------
    seg : numpy.ndarray of int64, shape (m, 2)
    minutes : numpy.ndarray, shape (m,)
    oneway : numpy.ndarray of bool, shape (m,)
    n_nodes : int
    """
    m = len(seg)
    keep = _junctions(seg, oneway, n_nodes)
    # Incidence lists (vertex -> segments), as CSR.
    ends = np.concatenate([seg[:, 0], seg[:, 1]])
    sid = np.concatenate([np.arange(m), np.arange(m)])
    order = np.argsort(ends, kind="stable")
    inc_seg = sid[order]
    ptr = np.searchsorted(ends[order], np.arange(n_nodes + 1))
    seg_chain = np.full(m, -1, dtype=np.int64)
    seg_offset = np.zeros(m)
    seg_forward = np.ones(m, dtype=bool)
    ends_out: list[tuple[int, int]] = []
    cost_out: list[float] = []
    ow_out: list[bool] = []

    # Chains of one segment between two junctions: vectorised.
    single = keep[seg[:, 0]] & keep[seg[:, 1]]
    idx = np.flatnonzero(single)
    seg_chain[idx] = np.arange(len(idx))
    ends_arr = [seg[idx]]
    cost_arr = [minutes[idx]]
    ow_arr = [oneway[idx]]
    nxt = len(idx)

    if not (seg_chain < 0).any():  # every segment joins two junctions: nothing to trace
        return Chains(
            chain_ends=seg[idx].astype(np.int64),
            chain_cost=minutes[idx].astype(float),
            chain_oneway=oneway[idx].astype(bool),
            seg_chain=seg_chain,
            seg_offset=seg_offset,
            seg_forward=seg_forward,
            junction=keep,
        )
    u_list, v_list = seg[:, 0].tolist(), seg[:, 1].tolist()
    mins, ones = minutes.tolist(), oneway.tolist()
    keep_l = keep.tolist()
    ptr_l, inc_l = ptr.tolist(), inc_seg.tolist()

    def trace(a: int, s: int) -> None:
        nonlocal nxt
        path: list[tuple[int, bool, float]] = []  # segment, forward, offset
        cur, off = a, 0.0
        while True:
            fwd = u_list[s] == cur
            path.append((s, fwd, off))
            off += mins[s]
            seg_chain[s] = nxt
            cur = v_list[s] if fwd else u_list[s]
            if keep_l[cur]:
                break
            p0 = ptr_l[cur]
            s = inc_l[p0] if inc_l[p0] != s else inc_l[p0 + 1]
        one = ones[path[0][0]]
        b = cur
        if one and not path[0][1]:  # travel runs towards a: flip the chain
            a, b = b, a
            path = [(sg, not f, off - o - mins[sg]) for sg, f, o in path]
        for sg, f, o in path:
            seg_forward[sg] = f
            seg_offset[sg] = o
        ends_out.append((a, b))
        cost_out.append(off)
        ow_out.append(bool(one))
        nxt += 1

    # Trace only from junctions with a segment not yet in a chain (a Python loop over the
    # contracted part only: a junction-only network never enters it).
    pending = np.flatnonzero(seg_chain < 0)
    from_u = pending[keep[seg[pending, 0]]]
    from_v = pending[keep[seg[pending, 1]] & ~keep[seg[pending, 0]]]
    starts = np.concatenate([seg[from_u, 0], seg[from_v, 1]])
    start_seg = np.concatenate([from_u, from_v])
    order = np.lexsort((start_seg, starts))
    for a, s in zip(starts[order].tolist(), start_seg[order].tolist(), strict=True):
        if seg_chain[s] < 0:
            trace(a, s)
    # Closed rings without a junction: keep one vertex of each and trace from it.
    for s in np.flatnonzero(seg_chain < 0).tolist():
        if seg_chain[s] >= 0:
            continue
        a = u_list[s]
        keep[a] = True
        keep_l[a] = True
        trace(a, s)
    if ends_out:
        ends_arr.append(np.asarray(ends_out, dtype=np.int64).reshape(-1, 2))
        cost_arr.append(np.asarray(cost_out))
        ow_arr.append(np.asarray(ow_out, dtype=bool))
    return Chains(
        chain_ends=np.concatenate(ends_arr).astype(np.int64),
        chain_cost=np.concatenate(cost_arr),
        chain_oneway=np.concatenate(ow_arr),
        seg_chain=seg_chain,
        seg_offset=seg_offset,
        seg_forward=seg_forward,
        junction=keep,
    )
