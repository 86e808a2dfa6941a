"""How figures are shown to people: one rule for the HTML reports, the workbooks and the CSV files.

Two ways to show the same rule:

- **as text** (HTML tables, headline cards, index.html): :func:`fmt_num`, :func:`fmt_pct` and,
  for an indicator's value, :func:`value_text` (``1:1.18`` for a ratio, ``二级甲等`` for a grade);
- **as a spreadsheet cell** (summary.xlsx): :func:`excel_value` gives what the cell holds (the
  value at full precision; a percentage as a share, so every percentage in a workbook is on one
  scale, 0.25 = 25%) and :func:`number_format` the Excel number format that rounds it on screen
  (``0.00``, ``0.0%``, ``"1:"0.00``). A grade is stored as its text.

An indicator is anything with the attributes of :class:`Displayed` (e.g.
:class:`tcmcounty.indicators.model.Indicator`), so this module depends on nothing above the core.
"""

from __future__ import annotations

import math
from typing import Protocol

#: Shown for a missing value.
MISSING = "—"
#: Decimals of a share shown as a percentage (headline cards, index.html, summary.xlsx).
SHARE_DIGITS = 1
#: Excel number format of a float cell that no rule describes: 2–4 decimals, full value kept.
FLOAT_FORMAT = "0.00##"


class Displayed(Protocol):
    """What the display rules need to know about an indicator."""

    # read-only members (properties), so that a frozen dataclass such as Indicator matches
    @property
    def display(self) -> str:
        """How the value is shown: ``number``, ``ratio`` or ``grade``."""

    @property
    def decimals(self) -> int:
        """Decimals shown."""

    @property
    def factor(self) -> int:
        """What the value is multiplied by before it is shown (100 for a percentage)."""

    @property
    def unit_zh(self) -> str:
        """The unit in Chinese."""

    @property
    def scale(self) -> tuple[str, ...]:
        """The ordered grades of a ``grade`` indicator."""


def is_missing(v: object) -> bool:
    """Tell whether ``v`` is a missing value (``None``, NaN, ``pd.NA``, ``NaT``).

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(0), is_missing("")
    (True, True, False, False)
    """
    if v is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(v))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _finite(v: object) -> float | None:
    if is_missing(v) or isinstance(v, bool):
        return None
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def fmt_num(v: object, digits: int = 2) -> str:
    """Format a number for a table (``—`` for missing).

    Examples
    --------
    >>> fmt_num(7.23114034717355), fmt_num(12345.0), fmt_num(None), fmt_num(True)
    ('7.23', '12,345', '—', '是 yes')
    """
    if is_missing(v):
        return MISSING
    if isinstance(v, bool):
        return "是 yes" if v else "否 no"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 100):
        return f"{int(v):,}"
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(f):
        return MISSING
    return f"{f:,.{digits}f}"


def fmt_pct(v: object, digits: int = SHARE_DIGITS) -> str:
    """Format a share (0–1) as a percentage (``—`` for missing).

    Examples
    --------
    >>> fmt_pct(0.1), fmt_pct("x")
    ('10.0%', '—')
    """
    f = _finite(v)
    return MISSING if f is None else f"{100 * f:.{digits}f}%"


def decimal_format(digits: int) -> str:
    """Excel number format with ``digits`` decimals.

    Examples
    --------
    >>> decimal_format(2), decimal_format(0)
    ('0.00', '0')
    """
    return "0." + "0" * digits if digits > 0 else "0"


def percent_format(digits: int = SHARE_DIGITS) -> str:
    """Excel number format of a share shown as a percentage.

    Examples
    --------
    >>> percent_format(), percent_format(0)
    ('0.0%', '0%')
    """
    return decimal_format(digits) + "%"


#: Excel number format of every share (coverage, alliance coverage, percentage indicators).
SHARE_FORMAT = percent_format()


def is_percent(ind: Displayed) -> bool:
    """Tell whether an indicator's value is a percentage (factor 100, unit ``%``)."""
    return ind.display == "number" and ind.factor == 100 and ind.unit_zh.strip() == "%"


def grade_text(ind: Displayed, value: object) -> str | None:
    """Return the grade name of a position on a grade indicator's scale (``None`` off the scale).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> grade_text(NS(scale=("一级", "二级甲等")), 1.0)
    '二级甲等'
    """
    f = _finite(value)
    if f is None or not f.is_integer() or not 0 <= int(f) < len(ind.scale):
        return None
    return ind.scale[int(f)]


def value_text(ind: Displayed, value: object, detail: str = "") -> str:
    """Return an indicator's value as text: rounded to its decimals, ``1:x`` or the grade name.

    Parameters
    ----------
    ind : Displayed
        The indicator (its ``display``, ``decimals`` and ``scale``).
    value : float or None
        The value (for a grade, the position on the scale).
    detail : str
        Shown in brackets after a number (the numerator's own text); for a grade, the grade as
        reported, used instead of the scale's name.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> ratio = NS(display="ratio", decimals=2, factor=1, unit_zh="", scale=())
    >>> value_text(ratio, 1.1811), value_text(ratio, None)
    ('1:1.18', '—')
    >>> value_text(NS(display="grade", decimals=0, factor=1, unit_zh="", scale=("一级", "二级甲等")), 1)
    '二级甲等'
    """
    f = _finite(value)
    if f is None:
        return MISSING
    if ind.display == "grade":
        return detail or grade_text(ind, f) or MISSING
    text = f"{f:.{ind.decimals}f}"
    if ind.display == "ratio":
        text = f"1:{text}"
    return f"{text} ({detail})" if detail else text


def number_format(ind: Displayed) -> str:
    """Return the Excel number format that shows an indicator as :func:`value_text` does.

    A percentage is shown from a share (:func:`excel_value`), a ratio as ``1:x`` (the cell keeps
    the number x), a grade as text (``@``).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> number_format(NS(display="ratio", decimals=2, factor=1, unit_zh="", scale=()))
    '"1:"0.00'
    >>> number_format(NS(display="number", decimals=1, factor=100, unit_zh="%", scale=()))
    '0.0%'
    """
    if ind.display == "grade":
        return "@"
    if ind.display == "ratio":
        return '"1:"' + decimal_format(ind.decimals)
    if is_percent(ind):
        return percent_format(ind.decimals)
    return decimal_format(ind.decimals)


def excel_value(ind: Displayed, value: object) -> object:
    """Return what a workbook cell holds for an indicator's value (``None`` when missing).

    A percentage becomes a share (12.5 -> 0.125, shown ``12.5%`` by :func:`number_format`), a
    grade its name on the scale; any other value is kept at full precision.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> excel_value(NS(display="number", decimals=1, factor=100, unit_zh="%", scale=()), 12.5)
    0.125
    """
    f = _finite(value)
    if f is None:
        return value if isinstance(value, str) and value else None
    if ind.display == "grade":
        return grade_text(ind, f)
    return f / 100 if is_percent(ind) else f
