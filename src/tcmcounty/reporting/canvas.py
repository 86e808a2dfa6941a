"""An Agg canvas for drawing many report figures in one process.

Matplotlib measures and lays out every text of a figure with FreeType (and HarfBuzz) and
caches the measurements per renderer, that is per figure. A batch worker draws the same
labels (titles, legends, indicator names, degrees) for every county, in a 16 MB CJK font where
laying out one label costs about as much as drawing a hundred village dots. :class:`Canvas`
gives its figures a renderer that keeps text metrics and glyph layouts for the whole process
(bounded caches, keyed by everything the result depends on: the text, the font files, size,
resolution, hinting, font features and language), so the pixels are exactly those of
matplotlib's own renderer (``tests/test_plotting_speed.py`` compares them).

Examples
--------
>>> from matplotlib.figure import Figure
>>> fig = Figure(figsize=(2, 1), dpi=96)
>>> canvas = Canvas(fig)
>>> fig.text(0.1, 0.5, "Anyue County")
Text(0.1, 0.5, 'Anyue County')
>>> canvas.draw()
>>> isinstance(canvas.get_renderer(), CachingRenderer)
True
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any

import matplotlib
from matplotlib import font_manager, ft2font
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

__all__ = ["CachingRenderer", "Canvas", "clear_text_caches", "text_cache_info"]

#: Entries kept per cache (a county's report has a few hundred distinct labels).
MAX_ENTRIES = 8192

#: Glyph layouts are cached where matplotlib lays text out as 3.11 does (HarfBuzz via
#: ``FT2Font._layout``); with older matplotlib only the metrics are cached.
LAYOUT_CACHE = hasattr(ft2font.FT2Font, "_layout") and hasattr(
    RendererAgg, "_draw_text_glyphs_and_boxes"
)


class _Lru:
    """A small thread-safe least-recently-used mapping."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...]) -> Any:
        with self.lock:
            value = self.data.get(key)
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
                self.data.move_to_end(key)
            return value

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self.lock:
            self.data[key] = value
            if len(self.data) > self.size:
                self.data.popitem(last=False)


_METRICS = _Lru(MAX_ENTRIES)
_LAYOUTS = _Lru(MAX_ENTRIES)


def _after_fork_in_child() -> None:
    """Give a forked worker fresh caches and locks.

    Cached layouts hold FreeType fonts, which must not be used across ``fork()`` (matplotlib
    empties its own font cache in the child for the same reason); a lock held by another
    thread at the fork would never be released in the child.
    """
    global _METRICS, _LAYOUTS
    _METRICS = _Lru(MAX_ENTRIES)
    _LAYOUTS = _Lru(MAX_ENTRIES)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def clear_text_caches() -> None:
    """Forget every cached text measurement and layout (e.g. after changing fonts)."""
    for cache in (_METRICS, _LAYOUTS):  # (module globals: a fork replaces them)
        with cache.lock:
            cache.data.clear()
            cache.hits = cache.misses = 0


def text_cache_info() -> dict[str, tuple[int, int, int]]:
    """``{"metrics": (hits, misses, size), "layouts": (...)}`` of this process's caches."""
    return {
        name: (c.hits, c.misses, len(c.data))
        for name, c in (("metrics", _METRICS), ("layouts", _LAYOUTS))
    }


class CachingRenderer(RendererAgg):
    """:class:`~matplotlib.backends.backend_agg.RendererAgg` with process-wide text caches.

    Only plain text is cached (mathtext and TeX go to matplotlib unchanged). The key holds
    the font files matplotlib picks for the font properties (so a change of rcParams or of a
    figure's font is a different key), the size in points, the resolution and the hinting
    flag; a layout also holds the font features, the language and the thread (FreeType fonts
    are per thread in matplotlib).
    """

    def _font_key(self, prop: font_manager.FontProperties) -> tuple[Any, ...]:
        files = tuple(font_manager.fontManager._find_fonts_by_props(prop))
        rc = matplotlib.rcParams  # what else matplotlib's font objects depend on
        return (
            files,
            prop.get_size_in_points(),
            self.dpi,
            backend_agg.get_hinting_flag(),
            rc["text.kerning_factor"],
            rc["font.enable_last_resort"],
        )

    def get_text_width_height_descent(
        self, s: str, prop: font_manager.FontProperties, ismath: Any
    ) -> tuple[float, float, float]:
        """Width, height and descent of ``s`` (pixels), from the cache when measured before."""
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)  # type: ignore[no-any-return]
        key = (s, *self._font_key(prop))
        hit = _METRICS.get(key)
        if hit is None:
            hit = super().get_text_width_height_descent(s, prop, ismath)
            _METRICS.put(key, hit)
        return hit  # type: ignore[no-any-return]

    def draw_text(
        self,
        gc: Any,
        x: float,
        y: float,
        s: str,
        prop: font_manager.FontProperties,
        angle: float,
        ismath: Any = False,
        mtext: Any = None,
    ) -> None:
        """Draw ``s`` as :class:`RendererAgg` does, reusing its glyph layout when cached."""
        if ismath or not LAYOUT_CACHE:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)  # type: ignore[no-any-return]
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        key = (
            s,
            *self._font_key(prop),
            tuple(features) if features is not None else None,
            language if isinstance(language, (str, type(None))) else repr(language),
            threading.get_ident(),
        )
        glyphs = _LAYOUTS.get(key)
        if glyphs is None:
            # as RendererAgg.draw_text lays the text out (matplotlib 3.11)
            font = self._prepare_font(prop)
            items = font._layout(
                s, flags=backend_agg.get_hinting_flag(), features=features, language=language
            )
            glyphs = tuple((i.ft_object, i.glyph_index, i.x, i.y) for i in items)
            _LAYOUTS.put(key, glyphs)
        size = prop.get_size_in_points()
        self._draw_text_glyphs_and_boxes(
            gc, x, y, angle, ((f, size, g, 0, 1, gx, gy) for f, g, gx, gy in glyphs), []
        )
        return None


class Canvas(FigureCanvasAgg):
    """Agg canvas whose renderer is a :class:`CachingRenderer` (one per size and dpi)."""

    def get_renderer(self) -> RendererAgg:
        """Return the renderer for the figure's current size and dpi (made when they change)."""
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if getattr(self, "_lastKey", None) != key or not isinstance(
            getattr(self, "renderer", None), CachingRenderer
        ):
            self.renderer = CachingRenderer(w, h, self.figure.dpi)
            self._lastKey = key  # type: ignore[assignment]
        return self.renderer
