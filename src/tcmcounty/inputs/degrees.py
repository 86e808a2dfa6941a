"""Coordinates as county files write them: decimal degrees, or degrees, minutes and seconds.

One coordinate (:func:`parse_degrees`) is decimal degrees (``119.6867``) or degrees-minutes-
seconds with the marks ``° ′ ″``, their ASCII forms ``° ' "`` (also ``''`` for seconds) or
``度 分 秒`` (``119°41′12.3″``, ``119°41'12.3"``, ``119度41分12.3秒``, minutes and seconds
optional, each may be decimal), with or without a hemisphere before or after it (``E``, ``N``,
``W``, ``S``, ``东经``, ``北纬``, ``西经``, ``南纬``). Minutes and seconds are below 60 (exactly 60,
a rounding carry such as ``28′60.0″``, is 29′ and read so).

A cell holding both coordinates (:func:`coordinate_pieces`) has them separated by a space, a
comma (also full width ``，``), a semicolon or a slash, in either order: with hemispheres the
letters say which is which; without them the column's order decides (``lon,lat`` unless the
numbers say ``lat,lon``).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["DEGREE_FORMS_EN", "DEGREE_FORMS_ZH", "coordinate_pieces", "parse_degrees"]

#: The forms a coordinate may take, for messages.
DEGREE_FORMS_EN = (
    "decimal degrees (105.3428) or degrees-minutes-seconds (105°20′34.1″, 105°20'34.1\", "
    "105度20分34.1秒, with or without E/N or 东经/北纬)"
)
DEGREE_FORMS_ZH = "十进制度数（105.3428）或度分秒（105°20′34.1″、105°20'34.1\"、105度20分34.1秒，可带 E/N 或 东经/北纬）"

_HEMISPHERES = {
    "e": ("lon", 1),
    "w": ("lon", -1),
    "n": ("lat", 1),
    "s": ("lat", -1),
    "东经": ("lon", 1),
    "西经": ("lon", -1),
    "北纬": ("lat", 1),
    "南纬": ("lat", -1),
}
_HEMI = r"东经|西经|北纬|南纬|[ewns]"
_NUMBER = r"\d+(?:\.\d+)?"
#: One coordinate, after NFKC (which turns ″ into ′′ and full-width marks into ASCII).
_ONE = re.compile(
    rf"""^(?P<pre>{_HEMI})?[:\s]*
    (?P<d>{_NUMBER})\s*(?P<dm>°|度)?
    (?:\s*(?P<m>{_NUMBER})\s*(?:′|'|’|‘|分))?
    (?:\s*(?P<s>{_NUMBER})\s*(?:′′|''|’’|″|"|”|“|秒))?
    \s*(?P<post>{_HEMI})?$""",
    re.VERBOSE,
)
#: Where a cell holding two coordinates may be cut: a separator, or before a hemisphere.
_CUT = re.compile(rf"\s*[,;/、，；／]\s*|\s+|(?=(?:{_HEMI})\s*\d)", re.IGNORECASE)
_LIMITS = {"lon": 180.0, "lat": 90.0}


def parse_degrees(text: str) -> tuple[float, str | None] | None:
    r"""Read one coordinate: its decimal degrees and the axis its hemisphere names.

    Parameters
    ----------
    text : str
        The coordinate as written.

    Returns
    -------
    (float, str or None) or None
        Decimal degrees (negative for W and S) and ``"lon"``/``"lat"`` when a hemisphere
        says which, else ``None``; ``None`` for text that is no coordinate, minutes or seconds
        beyond 60, seconds without minutes, two hemispheres, or degrees beyond 180 (90 for a
        latitude).

    Examples
    --------
    >>> parse_degrees("E119°41′12.3″")
    (119.68675, 'lon')
    >>> parse_degrees("23°11'38.6\"N")[1], parse_degrees("北纬29度47分30秒")[1]
    ('lat', 'lat')
    >>> parse_degrees("119.6867"), parse_degrees("119°75′"), parse_degrees("N200°")
    ((119.6867, None), None, None)
    """
    s = unicodedata.normalize("NFKC", text).strip().lower()
    m = _ONE.match(s)
    if m is None or (m["pre"] and m["post"]) or (m["s"] and not m["m"]):
        return None
    hemi = m["pre"] or m["post"]
    axis, sign = _HEMISPHERES[hemi] if hemi else (None, 1)
    if m["m"] is None and m["dm"] is None and hemi is None and not re.fullmatch(_NUMBER, s):
        return None
    minutes, seconds = float(m["m"] or 0), float(m["s"] or 0)
    if minutes > 60 or seconds > 60 or ((m["m"] or m["s"]) and "." in m["d"]):
        return None
    value = float(m["d"]) + minutes / 60 + seconds / 3600
    if value > _LIMITS[axis or "lon"]:
        return None
    return sign * value, axis


def coordinate_pieces(text: str) -> tuple[str, str] | None:
    """Cut a cell holding two coordinates into its two, as written (``None``: not two).

    Examples
    --------
    >>> coordinate_pieces("E119°41′12.3″ N29°47′30.1″")
    ('E119°41′12.3″', 'N29°47′30.1″')
    >>> coordinate_pieces("29°47′30.1″N，119°41′12.3″E")
    ('29°47′30.1″N', '119°41′12.3″E')
    >>> coordinate_pieces("115.95,25.50"), coordinate_pieces("115.95")
    (('115.95', '25.50'), None)
    """
    s = text.strip()
    if not s:
        return None
    for cut in _CUT.finditer(s):
        if cut.start() == 0 or cut.end() >= len(s):
            continue
        left, right = s[: cut.start()].strip(), s[cut.end() :].strip()
        if left and right and parse_degrees(left) and parse_degrees(right):
            return left, right
    return None
