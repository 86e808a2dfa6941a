"""An Agg canvas for drawing many report figures in one process.

Matplotlib measures and lays out every text of a figure with FreeType (and HarfBuzz) and
caches the measurements per renderer, that is per figure. A batch worker draws the same
labels (titles, legends, indicator names, degrees) for every county, in a 16 MB CJK font where
laying out one label costs about as much as drawing a hundred village dots. :class:`Canvas`
gives its figures a renderer that keeps text metrics, glyph layouts and rendered glyph
bitmaps for the whole process (bounded caches, keyed by everything the result depends on: the
text, the font files, size, resolution, hinting, font features and language; for a bitmap,
its glyph and the fraction of a pixel it is drawn at), and that looks up fonts and their
vertical metrics once, so the pixels are exactly those of matplotlib's own renderer
(``tests/test_plotting_cache.py`` compares them).

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

import math
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, cast

import matplotlib
import numpy as np
from matplotlib import font_manager, ft2font
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = ["CachingRenderer", "Canvas", "clear_text_caches", "font_files", "text_cache_info"]

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
#: Glyph bitmaps kept (~0.7 kB each with their key: ~11 MB; a report draws ~2,000 glyphs).
MAX_GLYPHS = 16384
_GLYPHS = _Lru(MAX_GLYPHS)
#: Font files per font properties (see :func:`font_files`).
_FILES = _Lru(1024)
#: Per font (its files): the vertical metrics of its ``OS/2`` or ``hhea`` table, in font units.
_HEIGHTS = _Lru(256)


def _after_fork_in_child() -> None:
    """Give a forked worker fresh caches and locks.

    Cached layouts hold FreeType fonts, which must not be used across ``fork()`` (matplotlib
    empties its own font cache in the child for the same reason); a lock held by another
    thread at the fork would never be released in the child.
    """
    global _METRICS, _LAYOUTS, _HEIGHTS, _FILES, _GLYPHS
    _METRICS = _Lru(MAX_ENTRIES)
    _LAYOUTS = _Lru(MAX_ENTRIES)
    _HEIGHTS = _Lru(256)
    _FILES = _Lru(1024)
    _GLYPHS = _Lru(MAX_GLYPHS)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def clear_text_caches() -> None:
    """Forget every cached text measurement and layout (e.g. after changing fonts)."""
    # (module globals: a fork replaces them)
    for cache in (_METRICS, _LAYOUTS, _HEIGHTS, _FILES, _GLYPHS):
        with cache.lock:
            cache.data.clear()
            cache.hits = cache.misses = 0


def text_cache_info() -> dict[str, tuple[int, int, int]]:
    """``{"metrics": (hits, misses, size), "layouts": (...), "glyphs": (...)}`` of the process."""
    return {
        name: (c.hits, c.misses, len(c.data))
        for name, c in (("metrics", _METRICS), ("layouts", _LAYOUTS), ("glyphs", _GLYPHS))
    }


#: The rcParams matplotlib's font lookup depends on (``FontManager.findfont``, 3.11).
_FONT_RC = cast(
    "tuple[RcKeyType, ...]",  # (each of them an rcParams key)
    tuple(
        f"font.{key}"
        for key in (
            "family",
            "style",
            "variant",
            "weight",
            "stretch",
            "size",
            "serif",
            "sans-serif",
            "cursive",
            "fantasy",
            "monospace",
        )
    ),
)


def font_files(prop: font_manager.FontProperties) -> tuple[Any, ...]:
    """Return the font files matplotlib draws ``prop`` with (``_find_fonts_by_props``).

    Looked up once per state of ``prop`` (every property of it), of the rcParams the lookup
    reads, of ``MPL_IGNORE_SYSTEM_FONTS`` and of the font manager (which object, how many
    fonts it knows): matplotlib's own lookup spends most of its time building such a key.

    Examples
    --------
    >>> from matplotlib.font_manager import FontProperties
    >>> font_files(FontProperties(family="DejaVu Sans"))[0].path.endswith("DejaVuSans.ttf")
    True
    """
    rc = matplotlib.rcParams
    manager = font_manager.fontManager
    key = (
        tuple(prop.__dict__.items()),
        tuple(tuple(v) if isinstance(v, list) else v for v in map(rc._get, _FONT_RC)),
        os.getenv("MPL_IGNORE_SYSTEM_FONTS"),
        id(manager),
        len(manager.ttflist),
    )
    files = _FILES.get(key)
    if files is None:
        files = tuple(manager._find_fonts_by_props(prop))
        _FILES.put(key, files)
    return files  # type: ignore[no-any-return]


class CachingRenderer(RendererAgg):
    """:class:`~matplotlib.backends.backend_agg.RendererAgg` with process-wide text caches.

    Only plain text is cached (mathtext and TeX go to matplotlib unchanged). The key holds
    the font files matplotlib picks for the font properties (so a change of rcParams or of a
    figure's font is a different key), the size in points, the resolution and the hinting
    flag; a layout also holds the font features, the language and the thread (FreeType fonts
    are per thread in matplotlib).
    """

    def _font_key(self, prop: font_manager.FontProperties) -> tuple[Any, ...]:
        files = font_files(prop)
        rc = matplotlib.rcParams  # what else matplotlib's font objects depend on
        return (
            files,
            prop.get_size_in_points(),
            self.dpi,
            backend_agg.get_hinting_flag(),
            rc["text.kerning_factor"],
            rc["font.enable_last_resort"],
        )

    def _prepare_font(self, font_prop: font_manager.FontProperties) -> ft2font.FT2Font:
        """Return the font of ``font_prop``, cleared and sized, as ``RendererAgg`` does."""
        font = font_manager.get_font(font_files(font_prop))
        font.clear()
        font.set_size(font_prop.get_size_in_points(), self.dpi)
        return font

    def _get_font_height_metrics(
        self, prop: font_manager.FontProperties
    ) -> tuple[float | None, float | None, float | None]:
        """Ascent, descent and line gap of the font of ``prop`` (pixels), as ``Text`` reads them.

        :meth:`matplotlib.text.Text._get_layout` asks the renderer for these first and
        otherwise opens the font and reads its ``OS/2`` (else ``hhea``) table for every text
        laid out; here the table's values are read once per font and scaled the same way, at
        the renderer's resolution (the figure's: :class:`Canvas` makes one per figure dpi).
        ``(None, None, None)`` (no such table) lets matplotlib measure the font instead.
        """
        files = font_files(prop)
        units = _HEIGHTS.get(files)
        if units is None:
            units = ()
            font = font_manager.get_font(list(files))
            table_name: Literal["OS/2", "hhea"]
            for table_name, linegap_key, ascent_key, descent_key in (
                ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                ("hhea", "lineGap", "ascent", "descent"),
            ):
                # (the stubs type a table by its name: here the keys are chosen in the loop)
                table = cast("Mapping[str, int] | None", font.get_sfnt_table(table_name))
                if table is not None:
                    # every TrueType/OpenType font has a "head" table
                    head = cast("Mapping[str, int]", font.get_sfnt_table("head"))
                    units_per_em = head["unitsPerEm"]
                    units = (
                        table[linegap_key],
                        table[ascent_key],
                        table[descent_key],
                        units_per_em,
                    )
                    break
            _HEIGHTS.put(files, units)
        if not units:
            return None, None, None
        line_gap, ascent, descent, units_per_em = units
        # the arithmetic of Text._get_layout (matplotlib 3.11), in its order
        scale = 1 / units_per_em * prop.get_size_in_points() * self.dpi / 72
        return ascent * scale, -descent * scale, line_gap * scale

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
        self._draw_glyphs(gc, x, y, angle, prop.get_size_in_points(), glyphs)
        return None

    def _draw_glyphs(
        self,
        gc: Any,
        x: float,
        y: float,
        angle: float,
        size: float,
        glyphs: tuple[tuple[Any, int, float, float], ...],
    ) -> None:
        """Draw laid-out glyphs as ``RendererAgg._draw_text_glyphs_and_boxes`` does (3.11).

        Each glyph is rendered by FreeType at its position in 1/64 pixel, as matplotlib does,
        and blended in the same way; what is the same for every glyph of a text (rotation
        matrix, load flags, render mode) is computed once. A glyph's bitmap depends on its
        position only through the fraction of a pixel (FreeType hints the outline, then
        translates it: a whole pixel more moves the same bitmap by a pixel), so bitmaps are
        kept per font object, size, resolution, glyph, flags, mode, matrix and that fraction,
        and the same glyph at the same fraction elsewhere is not rendered again.
        """
        cos = math.cos(math.radians(angle))
        sin = math.sin(math.radians(angle))
        load_flags = backend_agg.get_hinting_flag()
        matrix = (
            (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[1, 0], [0, 1]]).round().astype(int)
        )
        antialiased = gc.get_antialiased()
        mode = ft2font.RenderMode.NORMAL if antialiased else ft2font.RenderMode.MONO
        height = self.height
        dpi = self.dpi
        draw_image = self._renderer.draw_text_image
        common = (size, dpi, load_flags, mode, tuple(matrix.ravel().tolist()))
        cache = _GLYPHS
        for font, glyph_index, dx, dy in glyphs:  # dy is upwards
            gx = round(0x40 * (x + dx * cos - dy * sin))
            gy = round(0x40 * (height - y + dx * sin + dy * cos))  # FreeType's y is upwards
            key = (font, glyph_index, gx & 0x3F, gy & 0x3F, *common)
            hit = cache.get(key)
            if hit is None:
                font.set_size(size, dpi)
                font._set_transform(matrix, [gx, gy])
                bitmap = font._render_glyph(glyph_index, load_flags, mode)
                buffer = np.array(bitmap.buffer)  # (kept: a copy of FreeType's)
                if not antialiased:
                    buffer *= 0xFF
                # kept relative to the whole pixel of its position (an empty bitmap, e.g. a
                # space, has no position)
                shift = bool(buffer.size)
                hit = (buffer, bitmap.left - (gx >> 6) * shift, bitmap.top - (gy >> 6) * shift)
                cache.put(key, hit)
            buffer, left, top = hit
            if buffer.size:
                left += gx >> 6
                top += gy >> 6
            # draw_text_image's y is downwards & the bitmap bottom side
            draw_image(buffer, left, int(height) - top + buffer.shape[0], 0, gc)
        # (RendererAgg then draws the rules of mathtext: plain text has none)


class Canvas(FigureCanvasAgg):
    """Agg canvas whose renderer is a :class:`CachingRenderer` (one per size and dpi)."""

    renderer: RendererAgg

    def get_renderer(self) -> RendererAgg:
        """Return the renderer for the figure's current size and dpi (made when they change)."""
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if getattr(self, "_lastKey", None) != key or not isinstance(
            getattr(self, "renderer", None), CachingRenderer
        ):
            self.renderer = CachingRenderer(w, h, self.figure.dpi)
            # (matplotlib sets ``_lastKey = None`` in the class body of FigureCanvasAgg: whether
            # mypy widens it depends on check_untyped_defs for matplotlib, hence unused-ignore)
            self._lastKey = key  # type: ignore[assignment, unused-ignore]
        return self.renderer
