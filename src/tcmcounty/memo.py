"""Compute once, reuse within a block: the memo the indicators, alliance coverage and reports share.

Inside a :func:`reuse_membership` block, :func:`reuse` keeps what it computed per key and per
the identity of the tables it read, so that the county and township indicators, alliance
coverage and the worklists of one report compute each county's alliance membership (and other
per-county arrays) once. Outside any block nothing is kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

_T = TypeVar("_T")
#: What was computed inside :func:`reuse_membership` blocks (``None`` outside any block).
_SCOPE: ContextVar[dict[tuple[object, ...], tuple[object, ...]] | None] = ContextVar(
    "tcmcounty_memo", default=None
)


@contextlib.contextmanager
def reuse_membership() -> Iterator[None]:
    """Within the block, compute each county's alliance membership once and reuse it.

    Which facilities serve each village, which alliances cover it and which villages the
    ``T-YLT`` alliances cover are read by the county and the township indicators, by
    :func:`tcmcounty.indicators.alliance.tcm_led_alliance_coverage` and by the worklists; inside this block each is computed
    once per county (the county's tables must not change within it). Blocks nest: an inner one
    reuses the outer one's results. Outside any block nothing is kept.

    Examples
    --------
    >>> table = [1, 2]
    >>> def total():
    ...     return reuse(("total",), (table,), lambda: [sum(table)])
    >>> with reuse_membership():
    ...     total() is total()
    True
    >>> total() is total()
    False
    """
    if _SCOPE.get() is not None:
        yield
        return
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def reuse(what: tuple[object, ...], objects: tuple[object, ...], make: Callable[[], _T]) -> _T:
    """``make()``, computed once per ``what`` and ``objects`` inside a :func:`reuse_membership` block.

    ``objects`` (the tables ``make`` reads) are matched by identity and must not change within
    the block; outside any block ``make()`` is called every time. An exception is not kept:
    the next call raises it again.

    Examples
    --------
    >>> table = [1, 2]
    >>> with reuse_membership():
    ...     reuse(("sum",), (table,), lambda: [sum(table)]) is reuse(("sum",), (table,), list)
    True
    """
    memo = _SCOPE.get()
    if memo is None:
        return make()
    key = (*what, *(id(t) for t in objects))
    if key not in memo:
        memo[key] = (make(), *objects)  # the objects are kept so that their ids stay theirs
    return memo[key][0]  # type: ignore[return-value]
