"""Measure a printed report (the A4 PDF of :mod:`tcmcounty.run.pdf`) with poppler.

What a reader of the paper sees, measured from the PDF and the HTML it was printed from:

* **page size** of every page (``pdfinfo``); A4 is 595 × 842 pt;
* **fill** of every page: how far down the page's text area the content reaches, from the
  page drawn at a low resolution (``pdftoppm``): the lowest row with ink (text, table rules
  and shading, images) inside the text area, as a fraction of the text area's height. The
  text area is the page less its ``@page`` margins (read from the HTML's CSS), so the page
  number in the bottom margin does not count;
* **smallest text** of every page, in pt, from the font size poppler computes from the text
  matrix (``pdftohtml -xml``, at its largest zoom: sizes are rounded to 1/3 pt). Word boxes
  of ``pdftotext -bbox-layout`` are no measure of size here: Chromium embeds the CJK web
  font as Type 3 subsets whose bounding boxes differ from subset to subset (box height / font
  size is 2.67 for body text, 2.60 for the title and 1.16 for the DejaVu page numbers of one
  report);
* **section ends**: a page is the last of a section when the next page opens with a
  section heading (an ``<h2>`` of the HTML; every section of a report starts a page) or
  it is the last page;
* **text inside figures**, which poppler cannot read (figures are PNG images): every report
  PNG records the smallest font size its figure uses, in points, and its resolution
  (:func:`tcmcounty.reporting.plotting.figure_png`: ``tEXt`` chunk
  :data:`MIN_FONT_KEY` and ``pHYs``). A font of ``s`` pt drawn at ``dpi`` is ``s * dpi / 72``
  pixels high; the PDF shows the image at ``ppi`` pixels per inch (``pdfimages -list``), so
  the text prints at ``s * dpi / ppi`` pt. PDF images are matched to the HTML's PNGs in
  document order by their pixel size.

Needs ``pdfinfo``, ``pdftoppm``, ``pdftohtml``, ``pdftotext`` and ``pdfimages``
(Debian ``poppler-utils``). ``python -m tcmcounty.run.print_check REPORT.pdf [REPORT.html]``
prints the measures page by page.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

#: ``tEXt`` key of a report PNG: the smallest font size (pt) its figure uses.
MIN_FONT_KEY = "tcmcounty:min-font-pt"
#: A4 in points (210 mm × 297 mm), as pdfinfo prints it (within a point).
A4_PT = (595.28, 841.89)
#: ``@page`` margins (top, right, bottom, left; mm) when the HTML does not say.
DEFAULT_MARGINS_MM = (13.0, 12.0, 15.0, 12.0)
#: Resolution pages are drawn at to find their ink (dots per inch).
FILL_DPI = 30
#: A pixel darker than this (of 255) is ink.
INK_LEVEL = 245
_MM_PT = 72 / 25.4
_TIMEOUT = 120


@dataclass(frozen=True)
class PageMeasure:
    """What one printed page holds.

    Attributes
    ----------
    number : int
        Page number, from 1.
    size_pt : tuple of float
        Width and height in points.
    fill : float
        How far down the text area the content reaches (0 empty, 1 full).
    min_text_pt : float or None
        Smallest font size of the page's text (``None``: no text but the page number).
    smallest : str
        A piece of text at that size.
    opening : str
        The page's first text after the page number, without white space.
    section_end : bool
        The page is the last of a section (the next one opens with a heading) or of the PDF.
    """

    number: int
    size_pt: tuple[float, float]
    fill: float
    min_text_pt: float | None
    smallest: str
    opening: str
    section_end: bool

    @property
    def is_a4(self) -> bool:
        """Whether the page is A4 (portrait, within a point)."""
        return all(abs(a - b) < 1.0 for a, b in zip(self.size_pt, A4_PT, strict=True))


@dataclass(frozen=True)
class FigureMeasure:
    """A figure (PNG) as printed.

    Attributes
    ----------
    page : int
        The page it is printed on.
    pixels : tuple of int
        Its width and height in pixels.
    dpi : float
        The resolution it was drawn at (the PNG's ``pHYs``).
    ppi : float
        Pixels per inch on paper (``pdfimages -list``).
    min_font_pt : float or None
        Smallest font size its figure uses (``None``: the PNG does not record it).
    """

    page: int
    pixels: tuple[int, int]
    dpi: float
    ppi: float
    min_font_pt: float | None

    @property
    def printed_pt(self) -> float | None:
        """The figure's smallest text as printed, in points (``None`` when unknown)."""
        if self.min_font_pt is None or self.ppi <= 0:
            return None
        return self.min_font_pt * self.dpi / self.ppi


@dataclass(frozen=True)
class PrintMeasure:
    """Measures of a whole printed report: its pages and its figures.

    Attributes
    ----------
    pages : list of PageMeasure
        Every page, in order.
    figures : list of FigureMeasure
        The PDF's images matched to a PNG of the HTML.
    unmatched_images : int
        The PDF's images matched to no PNG of the HTML.
    html_pngs : int
        The PNG images (``<img src="data:image/png...">``) of the HTML.
    """

    pages: list[PageMeasure]
    figures: list[FigureMeasure] = field(default_factory=list)
    unmatched_images: int = 0
    html_pngs: int = 0

    def underfull(self, least: float = 1 / 3) -> list[int]:
        """Return the pages filled less than ``least`` that do not end a section."""
        return [p.number for p in self.pages if p.fill < least and not p.section_end]

    def min_text_pt(self) -> float | None:
        """Return the smallest font size of the PDF's text (pt)."""
        sizes = [p.min_text_pt for p in self.pages if p.min_text_pt is not None]
        return min(sizes) if sizes else None

    def min_figure_pt(self) -> float | None:
        """Return the smallest printed text of the figures that record their fonts (pt)."""
        sizes = [f.printed_pt for f in self.figures if f.printed_pt is not None]
        return min(sizes) if sizes else None

    def not_a4(self) -> list[int]:
        """Return the pages that are not A4."""
        return [p.number for p in self.pages if not p.is_a4]

    def table(self) -> str:
        """Return the measures as text, a line a page and a line a figure."""
        lines = ["page  size(pt)      fill  min-text(pt)  section-end  opening"]
        for p in self.pages:
            size = f"{p.size_pt[0]:.0f}x{p.size_pt[1]:.0f}"
            text = "-" if p.min_text_pt is None else f"{p.min_text_pt:.2f} {p.smallest[:12]}"
            lines.append(
                f"{p.number:4d}  {size:12s} {p.fill:5.2f}  {text:22s} "
                f"{'yes' if p.section_end else '':3s}  {p.opening[:24]}"
            )
        lines.append("figure page  pixels      dpi   ppi  min-font(pt)  printed(pt)")
        for i, f in enumerate(self.figures, 1):
            font = "-" if f.min_font_pt is None else f"{f.min_font_pt:.1f}"
            out = "-" if f.printed_pt is None else f"{f.printed_pt:.2f}"
            lines.append(
                f"{i:6d} {f.page:4d}  {f.pixels[0]}x{f.pixels[1]:<6d} {f.dpi:4.0f} "
                f"{f.ppi:5.0f}  {font:12s}  {out}"
            )
        lines.append(
            f"pages {len(self.pages)}, not A4 {self.not_a4()}, underfull {self.underfull()}, "
            f"smallest text {self.min_text_pt()} pt, smallest figure text "
            f"{_round(self.min_figure_pt())} pt, images without a match {self.unmatched_images}, "
            f"PNGs in the HTML {self.html_pngs}"
        )
        return "\n".join(lines)


def measure_print(
    pdf: str | Path,
    html: str | Path | None = None,
    *,
    margins_mm: tuple[float, float, float, float] | None = None,
) -> PrintMeasure:
    """Measure the pages and figures of a printed report.

    Parameters
    ----------
    pdf : path
        The PDF.
    html : path, optional
        The HTML it was printed from: its ``<h2>`` headings mark the sections, its PNGs give
        the figures' fonts and its ``@page`` rule the margins. Without it, only the last page
        ends a section and no figure is measured.
    margins_mm : tuple of float, optional
        ``@page`` margins (top, right, bottom, left) in mm; default from the HTML, else
        :data:`DEFAULT_MARGINS_MM`.

    Returns
    -------
    PrintMeasure

    Examples
    --------
    >>> m = measure_print("report.pdf", "report.html")  # doctest: +SKIP
    >>> m.not_a4(), m.underfull(), m.min_text_pt() >= 7, m.min_figure_pt() >= 7  # doctest: +SKIP
    ([], [], True, True)
    """
    pdf = Path(pdf)
    source = _HtmlParts()
    if html is not None:
        source.feed(Path(html).read_text(encoding="utf-8"))
    margins = margins_mm or source.margins_mm or DEFAULT_MARGINS_MM
    sizes = page_sizes(pdf)
    fills = page_fills(pdf, sizes, margins)
    texts = smallest_text(pdf, sizes)
    openings = page_openings(pdf)
    headings = [h for h in (_squash(h) for h in source.headings) if h]
    pages = []
    for i, size in enumerate(sizes):
        nxt = openings[i + 1] if i + 1 < len(openings) else None
        end = nxt is None or any(nxt.startswith(h) for h in headings)
        least, sample = texts.get(i + 1, (None, ""))
        opening = openings[i] if i < len(openings) else ""
        pages.append(PageMeasure(i + 1, size, fills[i], least, sample, opening, end))
    figures, unmatched = _figures(pdf, source.pngs) if source.pngs else ([], 0)
    return PrintMeasure(pages, figures, unmatched, len(source.pngs))


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """Return the width and height (pt) of every page (``pdfinfo``)."""
    info = _run(["pdfinfo", "-f", "1", "-l", "99999", str(pdf)])
    found = re.findall(r"Page\s+\d+\s+size:\s+([\d.]+) x ([\d.]+) pts", info)
    return [(float(w), float(h)) for w, h in found]


def page_fills(
    pdf: Path, sizes: list[tuple[float, float]], margins_mm: tuple[float, float, float, float]
) -> list[float]:
    """Return how far down its text area each page's ink reaches (0–1, ``pdftoppm``)."""
    top, _, bottom, _ = (m * _MM_PT for m in margins_mm)
    fills = []
    with tempfile.TemporaryDirectory(prefix="tcmcounty-fill-") as tmp:
        _run(["pdftoppm", "-r", str(FILL_DPI), "-gray", str(pdf), f"{tmp}/p"])
        files = sorted(Path(tmp).glob("p-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        for path, (_, height) in zip(files, sizes, strict=True):
            image = _read_pgm(path.read_bytes())
            scale = image.shape[0] / height
            first, last = round(top * scale), round((height - bottom) * scale)
            rows = np.flatnonzero((image[first:last] < INK_LEVEL).any(axis=1))
            fills.append(0.0 if rows.size == 0 else float(rows[-1] + 1) / (last - first))
    return fills


def smallest_text(pdf: Path, sizes: list[tuple[float, float]]) -> dict[int, tuple[float, str]]:
    """Return, per page number, the smallest font size (pt) of its text and a sample of it.

    Sizes are those ``pdftohtml -xml`` computes from the text matrix, at its largest zoom
    (page widths of about 1,800 units: sizes rounded to 1/3 pt); white space is not text.
    """
    xml = _run(["pdftohtml", "-xml", "-i", "-q", "-zoom", "3", "-stdout", str(pdf)])
    fonts: dict[str, int] = {}
    out: dict[int, tuple[float, str]] = {}
    for chunk in re.split(r"<page ", xml)[1:]:
        number = int(re.search(r'number="(\d+)"', chunk)[1])  # type: ignore[index]
        width = float(re.search(r'width="([\d.]+)"', chunk)[1])  # type: ignore[index]
        scale = width / sizes[number - 1][0]
        fonts.update(
            (m[1], int(m[2])) for m in re.finditer(r'<fontspec id="(\d+)" size="(-?\d+)"', chunk)
        )
        for m in re.finditer(r'<text [^>]*font="(\d+)"[^>]*>(.*?)</text>', chunk, re.S):
            text = re.sub(r"<[^>]+>", "", m[2]).strip()
            if not text:
                continue
            size = abs(fonts[m[1]]) / scale
            if number not in out or size < out[number][0]:
                out[number] = (round(size, 2), text)
    return out


def page_openings(pdf: Path) -> list[str]:
    """Return each page's first text without white space, the page number left out."""
    text = _run(["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"])
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1]
    return [re.sub(r"^\d+/\d+", "", _squash(p)) for p in pages]


def png_facts(png: bytes) -> tuple[tuple[int, int], float, float | None] | None:
    """Return a PNG's pixel size, resolution (dpi; 96 if unrecorded) and recorded min font.

    Examples
    --------
    >>> import io
    >>> from PIL import Image, PngImagePlugin
    >>> info = PngImagePlugin.PngInfo()
    >>> info.add_text(MIN_FONT_KEY, "7.5")
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (20, 10), "white").save(buf, "PNG", dpi=(192, 192), pnginfo=info)
    >>> png_facts(buf.getvalue())
    ((20, 10), 192.0, 7.5)
    """
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos, size, dpi, font = 8, (0, 0), 96.0, None
    while pos + 8 <= len(png):
        length = int.from_bytes(png[pos : pos + 4], "big")
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            size = (int.from_bytes(data[:4], "big"), int.from_bytes(data[4:8], "big"))
        elif kind == b"pHYs" and data[8:9] == b"\x01":
            dpi = round(int.from_bytes(data[:4], "big") * 0.0254, 1)
        elif kind == b"tEXt":
            key, _, value = data.partition(b"\0")
            if key.decode("latin-1") == MIN_FONT_KEY:
                font = float(value)
        elif kind in (b"IDAT", b"IEND"):
            break
        pos += 12 + length
    return size, dpi, font


def _figures(pdf: Path, pngs: list[bytes]) -> tuple[list[FigureMeasure], int]:
    """Match the PDF's images to the HTML's PNGs (document order, pixel size)."""
    facts = [f for f in (png_facts(p) for p in pngs) if f is not None]
    listing = _run(["pdfimages", "-list", str(pdf)]).splitlines()[2:]
    figures, unmatched, start = [], 0, 0
    for line in listing:
        cols = line.split()
        if len(cols) < 14 or cols[2] != "image":
            continue  # masks and stencils are no pictures of their own
        page, w, h, ppi = int(cols[0]), int(cols[3]), int(cols[4]), float(cols[12])
        hit = next((j for j in range(start, len(facts)) if facts[j][0] == (w, h)), None)
        if hit is None:
            unmatched += 1
            continue
        (_, dpi, font), start = facts[hit], hit + 1
        figures.append(FigureMeasure(page, (w, h), dpi, ppi, font))
    return figures, unmatched


class _HtmlParts(HTMLParser):
    """The section headings, embedded PNGs and ``@page`` margins of a report's HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[str] = []
        self.pngs: list[bytes] = []
        self.margins_mm: tuple[float, float, float, float] | None = None
        self._h2: list[str] | None = None
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self._h2 = []
        elif tag == "style":
            self._style = True
        elif tag == "img":
            src = dict(attrs).get("src") or ""
            if src.startswith("data:image/png;base64,"):
                self.pngs.append(base64.b64decode(src.split(",", 1)[1]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self._h2 is not None:
            self.headings.append("".join(self._h2).replace("¶", ""))
            self._h2 = None
        elif tag == "style":
            self._style = False

    def handle_data(self, data: str) -> None:
        if self._h2 is not None:
            self._h2.append(data)
        if self._style and self.margins_mm is None:
            self.margins_mm = _page_margins(data)


def _page_margins(css: str) -> tuple[float, float, float, float] | None:
    """Return the margins (mm) of a CSS ``@page`` rule written in mm, if any.

    Examples
    --------
    >>> _page_margins("@page { size: A4; margin: 13mm 12mm 15mm 12mm; }")
    (13.0, 12.0, 15.0, 12.0)
    >>> _page_margins("@page { size: A4; margin: 12mm; }"), _page_margins("p { margin: 0 }")
    ((12.0, 12.0, 12.0, 12.0), None)
    """
    m = re.search(r"@page\s*\{[^}]*?margin:\s*([^;}]+)", css)
    if not m:
        return None
    values = [float(v) for v in re.findall(r"([\d.]+)mm", m[1])]
    if not 1 <= len(values) <= 4:
        return None
    top = values[0]  # the CSS shorthand: top [right [bottom [left]]], the missing ones mirrored
    right = values[1] if len(values) > 1 else top
    bottom = values[2] if len(values) > 2 else top
    left = values[3] if len(values) > 3 else right
    return top, right, bottom, left


def _read_pgm(data: bytes) -> np.ndarray:
    """Decode a binary grey PGM (``P5``, 8 bit) as ``pdftoppm -gray`` writes it."""
    head = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if head is None:
        raise ValueError("not a binary PGM")
    w, h = int(head[1]), int(head[2])
    return np.frombuffer(data, np.uint8, w * h, head.end()).reshape(h, w)


def _squash(text: str) -> str:
    """Text without white space (Chromium's PDF has no space glyphs), NFKC-normalised."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _run(args: list[str]) -> str:
    return subprocess.run(args, capture_output=True, check=True, timeout=_TIMEOUT).stdout.decode(
        "utf-8", "replace"
    )


def main(argv: list[str] | None = None) -> int:
    """Print the measures of ``PDF [HTML]`` (``python -m tcmcounty.run.print_check``)."""
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        print(
            "usage: python -m tcmcounty.run.print_check REPORT.pdf [REPORT.html]", file=sys.stderr
        )
        return 2
    print(measure_print(*args).table())
    return 0


__all__ = [
    "A4_PT",
    "MIN_FONT_KEY",
    "FigureMeasure",
    "PageMeasure",
    "PrintMeasure",
    "measure_print",
    "page_fills",
    "page_openings",
    "page_sizes",
    "png_facts",
    "smallest_text",
]

if __name__ == "__main__":
    raise SystemExit(main())
