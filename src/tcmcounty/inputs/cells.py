"""Parsing of single cells and of whole tables of text into typed columns.

Cells arrive as text (CSV) or as Python values (Excel). Every failure becomes a
:class:`~tcmcounty.errors.Problem` naming the row and column; nothing raises.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple, cast

import numpy as np
import pandas as pd

from tcmcounty.errors import Problem
from tcmcounty.inputs.columnmap import SheetMap, SheetReading
from tcmcounty.inputs.degrees import (
    DEGREE_FORMS_EN,
    DEGREE_FORMS_ZH,
    coordinate_pieces,
    parse_degrees,
)
from tcmcounty.inputs.matching import (
    UNITS,
    ColumnMatch,
    HeaderMatch,
    Matcher,
    flag_legend,
    normalise,
    parse_header,
    split_value_unit,
    unit_misfit,
)
from tcmcounty.schema import (
    FALSE_TOKENS,
    MISSING_TOKENS,
    NOT_YET_TOKENS,
    OPTIONAL_TABLES,
    TRUE_TOKENS,
    VOCABULARIES,
    Column,
    Table,
    suggest,
    vocabulary_lookup,
)

#: Digits, a point and digits (a coordinate); ``$`` would also match before a final newline.
_DECIMAL = re.compile(r"\d+\.\d+\Z", re.ASCII)
_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
_SPACED = re.compile(r"^[+-]?\d{1,3}( \d{3})+(\.\d+)?$", re.ASCII)
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$", re.ASCII)
#: Largest number a count cell may hold. Anything larger is no count of people, beds or staff
#: (and would wrap around in a 64-bit integer); plausibility rules in :mod:`tcmcounty.inputs.validate`
#: give the tighter, per-column limits.
MAX_COUNT = 10**12
#: Control characters (newline, tab, NUL, DEL, C1, line and paragraph separators).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACING = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")


class UncachedFormula(str):
    """A formula cell whose file holds no computed value (written by a program, never opened).

    The text is the formula (``=SUM(B2:B9)``); :func:`cell_text` reads it as empty, and
    :func:`parse_rows` reports it as an error where a value is needed.
    """


FORMULA_EN = (
    "formula {formula} has no saved value (the file was written by a program and never "
    "opened): open and save it in Excel or WPS, or paste the values"
)
FORMULA_ZH = "公式 {formula} 没有保存的计算结果：请用 Excel 或 WPS 打开后保存，或粘贴为数值"


def clean_text(text: str, keep_breaks: bool = False) -> tuple[str, bool]:
    r"""Remove control characters from a name; return the text and whether it changed.

    A line break or tab becomes a space, any other control character (NUL, DEL …) is dropped;
    such characters cannot be written into a workbook or a report, nor belong in a name. With
    ``keep_breaks`` (free text: tasks, notes) line breaks and tabs stay.

    Examples
    --------
    >>> clean_text("西村\n卫生室")
    ('西村 卫生室', True)
    >>> clean_text("西村")
    ('西村', False)
    """
    if not _CONTROL.search(text):
        return text, False
    if keep_breaks:
        out = _CONTROL.sub(
            lambda m: m.group() if m.group() in "\n\t" else "", text.replace("\r\n", "\n")
        )
        return out, out != text
    out = _CONTROL.sub(lambda m: " " if m.group() in _SPACING else "", text)
    return re.sub(r" {2,}", " ", out).strip(), True


#: Columns of free text, where line breaks and tabs are kept.
FREE_TEXT = frozenset({"tasks_zh", "tasks_en", "note", "title", "licence"})


def _clean_cell(text: str, col: Column, row: int, header: str, add: AddProblem) -> str:
    cleaned, changed = clean_text(text, keep_breaks=col.name in FREE_TEXT)
    if changed:
        add(
            "warning",
            "control characters (line break, tab, NUL …) removed from the cell",
            "单元格中的控制字符（换行、制表符、NUL 等）已删除",
            row,
            header,
            repr(text[:40]),
        )
    return cleaned


def other_script_digits(text: str) -> bool:
    """Return True when ``text`` holds decimal digits other than 0–9 (e.g. ٢٠٢٠, २०२०)."""
    return not text.isascii() and any(ch.isdigit() and not ch.isascii() for ch in text)


AddProblem = Callable[..., None]
#: Rows searched for the header.
HEADER_ROWS = 15
_NOTE = re.compile(
    r"^\s*(注|备注|说明|note|notes|资料来源|数据来源|填表说明|填报说明|填表人|填报人|审核人|制表人|"
    r"制表单位|填报单位|单位负责人|负责人|统计负责人|联系人|联系电话|填表日期|填报日期|制表日期|报出日期)"
    r"\s*[\d一二三四五六七八九十①-⑩]*\s*[:：]",
    re.IGNORECASE,
)


def cell_text(value: object) -> str:
    """Return a cell as text, stripped (floats lose ``.0``); the cell's characters are kept.

    Parsers of numbers, codes, flags and vocabularies fold full width to half width themselves,
    so names and tasks keep their Chinese punctuation (``中医（综合）医院``).
    """
    if type(value) is str:
        return value.strip()
    if value is None or isinstance(value, UncachedFormula):
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).strip()


def is_missing(text: str) -> bool:
    """Return True for an empty cell or a token meaning "not reported" (—, /, 无, 未统计, NA …)."""
    if text.isascii():
        return text.strip().lower() in MISSING_TOKENS
    return unicodedata.normalize("NFKC", text).strip().lower() in MISSING_TOKENS


def parse_number(text: str) -> float | None:
    """Parse a number written as ``123``, ``1,234``, ``１２３`` or ``12%``; None if it is not one.

    Only the digits 0–9 (after folding full width) count; a value beyond the range of a float
    (``1e400``) is not a number.
    """
    s = (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip()
    s = s.replace("，", ",")
    if " " in s and _SPACED.match(s):
        s = s.replace(" ", "")  # 28 920: a space between groups of three digits
    pct = s.endswith("%")
    if pct:
        s = s[:-1].strip()
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if not _NUM.match(s):
        return None
    value = float(s)
    if not math.isfinite(value):
        return None
    return value / 100.0 if pct else value


class Quantity(NamedTuple):
    """A number as written and the unit written after it (``46.12万人``: 46.12, 万人, 10,000)."""

    number: float
    unit: str | None
    scale: float

    @property
    def value(self) -> float:
        """The number times its unit's factor."""
        return self.number * self.scale


def parse_quantity(text: str) -> Quantity | None:
    """Parse a number and the unit written after it (``35人``, ``2,825张``, ``１３５１人``).

    The number is read as :func:`parse_number` reads it; the unit must be one of
    :data:`~tcmcounty.inputs.matching.VALUE_UNITS`, and scales as the same unit in a header
    does (:data:`~tcmcounty.inputs.matching.UNITS`: ``万人`` by 10,000). A number without a
    unit has unit ``None`` (``12%`` has unit ``%`` and its number is a fraction). Whether the
    unit fits what is counted is :func:`~tcmcounty.inputs.matching.unit_misfit`'s question.

    Examples
    --------
    >>> parse_quantity("46.12万人")
    Quantity(number=46.12, unit='万人', scale=10000.0)
    >>> parse_quantity("１３５１人").value, parse_quantity("2,825 张").value, parse_quantity("12")
    (1351.0, 2825.0, Quantity(number=12.0, unit=None, scale=1.0))
    >>> parse_quantity("12个人") is None, parse_quantity("2023年") is None
    (True, True)
    """
    s = (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip()
    number = parse_number(s)
    if number is not None:
        return Quantity(number, "%" if s.endswith("%") else None, 1.0)
    digits, unit = split_value_unit(s)
    if unit is None or unit in ("%", "％"):
        return None
    number = parse_number(digits)
    return None if number is None else Quantity(number, unit, UNITS[unit][0])


#: A memo's "not parsed yet" (a cell may parse to ``None``).
_UNPARSED = object()
_SPACES = re.compile(r"\s+")
_TOTAL = re.compile(r"^(合计|总计|小计|全县合计|全县|汇总|total)$", re.IGNORECASE)
#: The first characters :data:`_TOTAL` can match (cells are stripped, so a cell's first
#: character is the first of its text without spaces; ``(?i)t`` matches only t and T).
_TOTAL_FIRST = frozenset("合总小全汇tT")


def total_row(row: Sequence[str]) -> bool:
    """Say whether a row of text cells is a total (合计, 小计 … in one of its first three cells).

    Examples
    --------
    >>> total_row(["小计", "卫生院1所", "5"]), total_row(["1", "西村卫生室", "5"])
    (True, False)
    """
    return any(
        c[0] in _TOTAL_FIRST and _TOTAL.match(_SPACES.sub("", c))
        for c in row[:3]
        if c and len(c) <= 16
    )


def find_header(
    rows: list[list[str]],
    matcher: Matcher,
    limit: int = 15,
    merged: list[tuple[int, int, int, int]] | None = None,
    first_row_number: int = 1,
) -> tuple[int, list[str], int]:
    """Find the header row among the first ``limit`` rows (title rows above it are skipped).

    Whole rows are scored (:meth:`Matcher.score`: known headers less data-like cells). A header
    of two rows (a group label such as ``人员情况`` merged above ``执业医师 | 注册护士``) is
    joined: each lower cell is read alone, then with its group label after or before it
    (``能否提供`` under ``中医药服务`` is ``能否提供中医药服务``), and ``其中：中医类别`` with
    the header to its left (``中医类别执业(助理)医师``).

    Returns
    -------
    index, cells, rows_used : int, list of str, int
        Index of the (first) header row, the header cells, and 1 or 2 header rows; index ``-1``
        when no row has two known headers.

    Examples
    --------
    >>> from tcmcounty.schema import FACILITIES
    >>> rows = [["机构名称", "人员情况", "", "中医药服务", ""],
    ...         ["", "执业（助理）医师", "其中：中医类别", "中医馆", "能否提供"],
    ...         ["甲卫生院", "5", "1", "是", "是"]]
    >>> find_header(rows, Matcher(FACILITIES))[1]
    ['机构名称', '执业（助理）医师', '中医类别执业（助理）医师', '中医馆', '能否提供中医药服务']
    """
    need = min(2, len(matcher.table.columns))
    best, best_score = -1, 0
    for i, row in enumerate(rows[:limit]):
        score = matcher.score(row)
        if score >= need and score > best_score:
            best, best_score = i, score
            if score >= len([c for c in matcher.table.columns if c.required]) + 1:
                break
    if best < 0:
        return -1, [], 0
    options: list[tuple[bool, int, int, list[str], int]] = [
        (False, best_score, 1, list(rows[best]), best)
    ]
    for top in (best - 1, best):
        if 0 <= top and top + 1 < len(rows):
            upper = spread_labels(rows, top, merged or [], first_row_number)
            down = _merged_down(merged or [], first_row_number + top)
            joined = _join_two_rows(upper, rows[top + 1], matcher)
            if joined is None and down:
                joined = _stack_two_rows(upper, rows[top + 1])
            if joined is not None:
                options.append((down, matcher.score(joined), 2, joined, top))
    # a header cell merged down over the next row makes that row part of the header
    _down, _score, used, cells, top = max(options, key=lambda o: (o[0], o[1], -o[2]))
    return top, cells, used


def _merged_down(merged: list[tuple[int, int, int, int]], number: int) -> bool:
    """Say whether a cell of sheet row ``number`` is merged down over the next row only."""
    return any(top == number and bottom == number + 1 for top, _l, bottom, _r in merged)


def _stack_two_rows(upper: list[str], lower: list[str]) -> list[str] | None:
    """Join a header row merged down over the next one, whatever its cells mean.

    Each lower cell follows its group label (``乡镇卫生院`` over ``个数``: ``乡镇卫生院个数``);
    an empty lower cell leaves the upper one. ``None`` when the lower row is data.

    Examples
    --------
    >>> _stack_two_rows(["乡镇名称", "乡镇卫生院", "乡镇卫生院"], ["", "个数", "其中：设中医馆"])
    ['乡镇名称', '乡镇卫生院个数', '乡镇卫生院其中：设中医馆']
    """
    if not any(lower) or any(_NUM_CELL.match(c) for c in (*lower, *upper) if c):
        return None
    if len({c for c in upper if c}) < 2:
        return None
    width = max(len(upper), len(lower))
    up = upper + [""] * (width - len(upper))
    low = lower + [""] * (width - len(lower))
    return [u + w if u != w else u for u, w in zip(up, low, strict=True)]


def _known(matcher: Matcher, text: str) -> bool:
    return bool(text) and bool(
        matcher.candidates(text) or matcher.part(text) or len(matcher.composed(text)) == 1
    )


def spread_labels(
    rows: list[list[str]], index: int, merged: list[tuple[int, int, int, int]], first: int
) -> list[str]:
    """Return the header row with each horizontally merged label copied over its whole span.

    Parameters
    ----------
    rows : list of list of str
        The sheet's rows as text.
    index : int
        0-based index of the row in ``rows``.
    merged : list of (first row, first column, last row, last column)
        The sheet's merged ranges (1-based).
    first : int
        The user-visible number of ``rows[0]``.

    Examples
    --------
    >>> spread_labels([["县", "人口（万人）", "", "床位"]], 0, [(1, 2, 1, 3)], 1)
    ['县', '人口（万人）', '人口（万人）', '床位']
    """
    cells = list(rows[index])
    number = first + index
    for top, left, bottom, right in merged:
        if top <= number <= bottom and right > left and left - 1 < len(cells):
            label = cells[left - 1]
            cells += [""] * (right - len(cells))
            for j in range(left, right):
                cells[j] = cells[j] or label
    return cells


def _join_two_rows(upper: list[str], lower: list[str], matcher: Matcher) -> list[str] | None:
    """Join a group-label row and the row below it, or ``None`` when the lower row is data.

    Where the lower row has a cell, it names the column, read alone, then with its group label
    after or before it; where it is empty, the upper cell is the header (a label merged over
    both rows).
    """
    if not any(lower) or any(_NUM_CELL.match(c) for c in (*lower, *upper) if c):
        return None  # a row with numbers is data (or a label row: 乡镇代码 | 360424100)
    if len({c for c in upper if c}) < 2:
        return None  # one label over the whole table is its title, not a group of columns
    width = max(len(upper), len(lower))
    up = upper + [""] * (width - len(upper))
    low = lower + [""] * (width - len(lower))
    out = list(up)
    gained = False
    label = ""
    for j in range(width):
        if up[j]:
            # a label that is no header by itself (人员情况) groups the cells to its right
            label = "" if matcher.candidates(up[j]) or matcher.part(up[j]) else up[j]
        if not low[j]:
            continue
        group = up[j] or label
        options = [low[j]]
        if group:
            options += [group + low[j], low[j] + group]
        if _OF_WHICH_CELL.match(low[j]) and j > 0 and out[j - 1]:
            # 其中：中医类别 under 执业（助理）医师 is 中医类别执业（助理）医师
            options.insert(0, _OF_WHICH_CELL.sub("", low[j]) + out[j - 1])
        # a qualifier in brackets of the label: 中医药（民族医药）服务
        options += [b for o in options if (b := _BRACKETED.sub("", o)) != o]
        found = next((o for o in options if _known(matcher, o)), None)
        if found is not None:
            out[j] = with_parent_unit(found, group)
            gained = True
        elif not _known(matcher, up[j]):
            out[j] = low[j]  # unknown below an unknown label: the lower cell names the column
    return out if gained else None


def with_parent_unit(header: str, parent: str) -> str:
    """Give a header without a unit the scaling unit of the label over it (人口（万人）/ 常住).

    A unit that scales (万人, 千, %) in a group label merged over several columns is the unit of
    each of them, unless a column names its own.

    Examples
    --------
    >>> with_parent_unit("常住人口", "人口（万人）")
    '常住人口（万人）'
    >>> with_parent_unit("执业医师（人）", "人员情况（万人）"), with_parent_unit("床位", "卫生资源（张）")
    ('执业医师（人）', '床位')
    """
    unit = parse_header(parent).unit if parent else None
    if unit is None or UNITS[unit] == (1.0, False) or parse_header(header).unit is not None:
        return header
    return f"{header}（{unit}）"


_BRACKETED = re.compile(r"[（(][^（()）]*[）)]")
_NUM_CELL = re.compile(r"^[+-]?[\d,，.]+%?$")
_OF_WHICH_CELL = re.compile(r"^\s*(?:其中|含)\s*[:：,，]?\s*")


#: Cells below a header looked at to confirm what its column holds.
CONTENT_SAMPLE = 300
_PAIR = re.compile(
    r"^\s*\(?\s*([+-]?\d+(?:\.\d+)?)\s*(?:[,，;；/、]\s*|\s+)([+-]?\d+(?:\.\d+)?)\s*\)?\s*$"
)
#: Plausible ranges of coordinates in China (degrees), for telling a longitude from a latitude.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)


def split_pair(text: str, index: int, axis: str | None = None) -> str:
    """Return the first (0) or second (1) coordinate of a cell holding two (``115.95,25.50``).

    Decimal degrees or degrees-minutes-seconds (:mod:`tcmcounty.inputs.degrees`); where both
    coordinates name their hemisphere (``E119°41′12.3″ N29°47′30.1″``), ``axis`` (``"lon"`` or
    ``"lat"``) picks by the letters, whatever their order. A cell that is not a pair gives its
    whole text as the first coordinate (so that it is reported where it is parsed) and nothing
    as the second.

    Examples
    --------
    >>> split_pair("115.949814,25.503444", 1), split_pair("115.9 25.5", 0)
    ('25.503444', '115.9')
    >>> split_pair("N29°47′30.1″，E119°41′12.3″", 0, "lon")
    'E119°41′12.3″'
    """
    pieces = _pair_pieces(text)
    if pieces is None:
        return text if index == 0 else ""
    if axis is not None:
        axes = [_axis(p) for p in pieces]
        if axis in axes and len(set(axes)) == 2:
            return pieces[axes.index(axis)]
    return pieces[index]


def _pair_pieces(text: str) -> tuple[str, str] | None:
    """Return the two coordinates of a cell, decimal (``115.95,25.50``) or DMS, or ``None``."""
    if not text:
        return None
    m = _PAIR.match(unicodedata.normalize("NFKC", text))
    if m is not None:
        return m.group(1), m.group(2)
    return coordinate_pieces(text)


def _axis(piece: str) -> str | None:
    """Return the axis a coordinate's hemisphere names (``N29°47′`` -> ``lat``), or ``None``."""
    got = parse_degrees(piece)
    return got[1] if got else None


def _pair_fits(text: str, order: str) -> bool:
    """Whether a cell holds a longitude and a latitude in China, in ``order`` (or as lettered)."""
    pieces = _pair_pieces(unicodedata.normalize("NFKC", text))
    if pieces is None:
        return False
    got = [parse_degrees(p) for p in pieces]
    if got[0] is None or got[1] is None:
        return False
    (v0, a0), (v1, a1) = got[0], got[1]
    if a0 is not None and a1 is not None:  # the letters say which is which
        if {a0, a1} != {"lon", "lat"}:
            return False
        lon, lat = (v0, v1) if a0 == "lon" else (v1, v0)
    else:
        lon, lat = (v0, v1) if order == "lonlat" else (v1, v0)
    return _within(lon, LON_RANGE) and _within(lat, LAT_RANGE)


def content_fit(column: Column | str, sample: list[str]) -> float:
    """Return the share of a column's non-empty values that fit a meaning.

    A value fits a column of the contract when the column's own cell parser reads it without a
    problem (one rule for reading and for recognising), a longitude or latitude lies in China's
    range, and a text column's value is not a number. ``lonlat`` / ``latlon`` ask whether the
    cells hold both coordinates in that order.

    Examples
    --------
    >>> from tcmcounty.schema import FACILITIES
    >>> content_fit(FACILITIES.column("type"), ["A100", "D600", "村卫生室", ""])
    1.0
    >>> content_fit("lonlat", ["115.95,25.50", "115.84,25.43"])
    1.0
    >>> content_fit("lonlat", ["E119°41′12.3″ N29°47′30.1″", "北纬29度47分30秒，东经119度41分"])
    1.0
    """
    values = [t for t in sample if t and not (is_missing(t) and t.strip() not in ("无", "×"))]
    if not values:
        return 0.0
    if isinstance(column, str):
        return sum(1 for t in values if _pair_fits(t, column)) / len(values)
    found: list[tuple[object, ...]] = []

    def record(*args: object, **kwargs: object) -> None:
        if args and args[0] == "error":
            found.append(args)

    ok = 0
    for t in values:
        del found[:]
        value = _parse_cell(t, column, 0, "", record)
        if found or value is None:
            continue
        if column.name == "lon" and not _within(value, LON_RANGE):
            continue
        if column.name == "lat" and not _within(value, LAT_RANGE):
            continue
        if column.kind == "text" and parse_number(t) is not None:
            continue
        ok += 1
    return ok / len(values)


def _within(value: object, bounds: tuple[float, float]) -> bool:
    return isinstance(value, (int, float)) and bounds[0] <= float(value) <= bounds[1]


def _fitter(table: Table, sample: list[list[str]]) -> Callable[[str, int], float]:
    """Return ``fit(column, position)`` over the sampled rows below a header (cached)."""
    cache: dict[tuple[str, int], float] = {}

    def fit(name: str, position: int) -> float:
        k = (name, position)
        if k not in cache:
            cells = [r[position] for r in sample if position < len(r)]
            column: Column | str = name if name in ("lonlat", "latlon") else table.column(name)
            cache[k] = content_fit(column, cells)
        return cache[k]

    return fit


def parse_rows(
    rows: Iterable[Sequence[object]],
    table: Table,
    file: str,
    sheet: str | None,
    first_row_number: int = 1,
    sheet_map: SheetMap | None = None,
    merged: list[tuple[int, int, int, int]] | None = None,
    fixed: dict[str, str] | None = None,
    blank_name_skipped: bool = False,
    optional: frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame | None, list[Problem], SheetReading]:
    """Parse a table given as a list of rows (the header somewhere near the top).

    Headers are read by :class:`~tcmcounty.inputs.matching.Matcher` (synonyms, units, two
    columns summed); title rows, ``注：`` rows, blank rows and ``合计`` rows are skipped and
    reported.

    Parameters
    ----------
    rows : iterable of list
        Cell values, top to bottom; the first is row ``first_row_number`` as the user sees it.
        For a CSV file (``sheet`` None) an iterator of text rows is read once, as a stream.
    table : Table
        The contract table to parse into.
    file, sheet : str
        Where the rows came from (for messages).
    first_row_number : int
        User-visible number of ``rows[0]`` (1 for both CSV lines and Excel rows).
    sheet_map : SheetMap, optional
        What the user's column map says about this sheet.
    merged : list of (first row, first column, last row, last column), optional
        Merged ranges of the sheet (1-based); below the header, every row of a merged range
        gets the value of its top cell (a note says so), instead of "not reported".
    fixed : dict, optional
        Values the sheet's name stands for (``{"type": "village_clinic"}``): a required column
        given here may be absent, and rows that leave it blank take the value.
    blank_name_skipped : bool
        Rows without a name are not records of this table (a sheet of villages and their
        clinics: a village without a clinic); they are skipped and counted in a note.
    optional : frozenset of str
        Required columns this sheet may lack (a sheet of more columns of facilities already
        read: their type is known).

    Returns
    -------
    DataFrame or None, list of Problem, SheetReading
        Typed columns plus ``_row``; ``None`` when the table cannot be read at all; how every
        header was read.
    """
    sheet_map = sheet_map or SheetMap()
    reading = SheetReading(file, sheet, table.name, "file" if sheet is None else "name")
    add = _Report(file, sheet)
    src = _text_rows(rows, sheet)
    if _empty_file(src, table, add):
        return None, add.problems, reading
    matcher = Matcher(table, sheet_map.columns)
    head = _locate_header(src, matcher, sheet_map, first_row_number, merged, table, add)
    if head is None:
        return None, add.problems, reading
    hm = _read_header(head, src, table, matcher, sheet_map, reading, add)
    fixed = {**(fixed or {}), **sheet_map.fill}
    fixed_values = _fixed_values(fixed, table, head.row, add)
    if not _columns_ok(hm, table, fixed, optional, head.row, reading, add):
        return None, add.problems, reading
    keep = [c for c in hm.columns if c.column]
    blank_before = _spread_merged(src.text, keep, table, merged, head, first_row_number, add)
    plan = _row_plan(keep, hm, head.cells, table, sheet_map, blank_before)
    records = _read_records(src, head, plan, blank_name_skipped, add)
    if not records.n:
        return _no_records(table, head.row, add), add.problems, reading
    _note_nameless(records.nameless, table, head.row, add)
    frame = _frame(records.columns, table, records.n)
    reading.flag_texts = _flag_texts(table, plan.memo)
    _fill_fixed(frame, fixed_values)
    return frame, add.problems, reading


@dataclasses.dataclass
class _Report:
    """The problems of one table; called as ``add(severity, en, zh, row, column, value)``."""

    file: str
    sheet: str | None
    problems: list[Problem] = dataclasses.field(default_factory=list)

    def __call__(
        self,
        sev: str,
        en: str,
        zh: str,
        row: int | None = None,
        col: str | None = None,
        val: object = None,
    ) -> None:
        """Record one problem at a row and column of this file and sheet."""
        sheet = self.sheet
        if sheet is not None:  # [SHEET.values.type] of a map line: the sheet's own name
            en = en.replace("[SHEET.", f'["{sheet}".')
            zh = zh.replace("[表名.", f'["{sheet}".')
        self.problems.append(
            Problem(sev, self.file, en, zh, sheet, row, col, None if val is None else str(val))  # type: ignore[arg-type]
        )


@dataclasses.dataclass
class _Rows:
    """The rows as text: the first ones held (``text``), the rest of a CSV streamed (``tail``)."""

    cells: list[Sequence[object]]  # a workbook's cells as given (formulas are looked at); CSV: []
    text: list[list[str]]
    tail: Iterator[list[str]]
    streamed: bool  # a CSV file


def _text_rows(rows: Iterable[Sequence[object]], sheet: str | None) -> _Rows:
    """Read the cells as text: all of a sheet's, a CSV's first rows (the others streamed)."""
    if sheet is None:
        # CSV: the cells are text already; rows below the header are streamed, not copied
        # (a million villages would otherwise be held twice).
        stream = iter(rows)
        text_rows = [[cell_text(c) for c in r] for r in itertools.islice(stream, HEADER_ROWS)]
        # a CSV reader gives text
        tail: Iterator[list[str]] = ([c.strip() for c in cast("list[str]", r)] for r in stream)
        if not any(any(c for c in r) for r in text_rows):
            first = next((r for r in tail if any(r)), None)
            if first is not None:
                tail = itertools.chain([first], tail)
        return _Rows([], text_rows, tail, True)
    cells = rows if isinstance(rows, list) else list(rows)
    return _Rows(cells, [[cell_text(c) for c in r] for r in cells], iter(()), False)


def _expected(table: Table) -> str:
    """List the table's required columns, for messages."""
    return ", ".join(f"{c.name} ({c.zh})" for c in table.columns if c.required)


def _empty_file(src: _Rows, table: Table, add: AddProblem) -> bool:
    """Say so, and return True, when the rows hold no cell at all."""
    if not any(any(c for c in r) for r in src.text) and not any(
        True for _ in itertools.islice(src.tail, 1)
    ):
        expected = _expected(table)
        add(
            "error",
            f"the file is empty; expected a header row with {expected}",
            f"文件为空；应有表头：{expected}",
        )
        return True
    return False


@dataclasses.dataclass
class _Head:
    """The header: its index among the rows, its cells, the rows it spans, its row number."""

    at: int
    cells: list[str]
    used: int
    row: int


def _locate_header(
    src: _Rows,
    matcher: Matcher,
    sheet_map: SheetMap,
    first_row_number: int,
    merged: list[tuple[int, int, int, int]] | None,
    table: Table,
    add: AddProblem,
) -> _Head | None:
    """Find the header where the column map says, or by its cells; None (an error) if none."""
    text_rows = src.text
    if sheet_map.header_row is not None:
        hi, used = sheet_map.header_row - first_row_number, 1
        if not 0 <= hi < len(text_rows) or not any(text_rows[hi]):
            add(
                "error",
                f"the column map says the header is on row {sheet_map.header_row}, which is "
                "empty or beyond the first rows",
                f"列映射指定表头在第 {sheet_map.header_row} 行，但该行为空或超出范围",
                row=sheet_map.header_row,
            )
            return None
        header = list(text_rows[hi])
    else:
        hi, header, used = find_header(text_rows, matcher, HEADER_ROWS, merged, first_row_number)
    if hi < 0:
        expected = _expected(table)
        add(
            "error",
            f"no header row found in the first 15 rows; expected columns {expected}",
            f"前15行中未找到表头；应包含列：{expected}",
            row=first_row_number,
        )
        return None
    return _Head(hi, header, used, first_row_number + hi)


def _read_header(
    head: _Head,
    src: _Rows,
    table: Table,
    matcher: Matcher,
    sheet_map: SheetMap,
    reading: SheetReading,
    add: AddProblem,
) -> HeaderMatch:
    """Match the header's cells to columns, checked on the rows below, and say how."""
    reading.header_row = head.row
    reading.header_rows = head.used
    ahead: list[list[str]] = []
    if src.streamed:  # a CSV stream: look at the next rows too, then read them again
        ahead = list(itertools.islice(src.tail, CONTENT_SAMPLE))
        src.tail = itertools.chain(ahead, src.tail)
    sample = (src.text[head.at + head.used :] + ahead)[:CONTENT_SAMPLE]
    hm = matcher.match(
        head.cells,
        sheet_map.columns,
        sheet_map.ignore,
        fit=_fitter(table, sample),
        summed=sheet_map.summed(),
    )
    reading.columns = hm.columns
    _report_header(hm, head.row, add)
    return hm


def _report_header(hm: HeaderMatch, header_row: int, add: AddProblem) -> None:
    """Report the header's problems and how its unknown, ignored and synonym columns were read."""
    for sev, en, zh, written in hm.problems:
        add("note" if sev == "info" else sev, en, zh, header_row, written)
    for c in hm.columns:
        if c.rule == "unknown":
            add("warning", "unknown column ignored", "未知列，已忽略", header_row, c.written)
        elif c.rule == "ignored" and c.note and "column map" not in c.note:
            add("note", f"column ignored: {c.note}", f"列已忽略：{c.note}", header_row, c.written)
        elif c.rule == "synonym" and c.note:
            add(
                "note",
                f"read as {c.column}; {c.note}",
                f"读作 {c.column}；{c.note}",
                header_row,
                c.written,
            )


def _columns_ok(
    hm: HeaderMatch,
    table: Table,
    fixed: dict[str, str],
    optional: frozenset[str],
    header_row: int,
    reading: SheetReading,
    add: _Report,
) -> bool:
    """Report required columns missing; return False when any error so far stops the reading."""
    seen = {c.column for c in hm.columns if c.column}
    missing = [
        c
        for c in table.columns
        if c.required and c.name not in seen and c.name not in fixed and c.name not in optional
    ]
    if fixed:
        said = ", ".join(f"{k} = {v}" for k, v in fixed.items())
        reading.note = f"from the sheet name: {said} / 按表名：{said}"
        reading.fixed = dict(fixed)
    for col in missing:
        add(
            "error",
            f"required column '{col.name}' ({col.zh}) is missing",
            f"缺少必填列 '{col.zh}'（{col.name}）",
            header_row,
            col.name,
        )
    return not (missing or any(p.severity == "error" for p in add.problems))


def _spread_merged(
    text_rows: list[list[str]],
    keep: list[ColumnMatch],
    table: Table,
    merged: list[tuple[int, int, int, int]] | None,
    head: _Head,
    first_row_number: int,
    add: AddProblem,
) -> set[int]:
    """Give merged cells' rows their value; return the rows blank before (never records)."""
    # a row with nothing of its own is no record, even where a merged cell spans it (a
    # township merged down the rows of its villages, in a table beside)
    blank_before = {i for i, r in enumerate(text_rows) if not any(r)}
    counts = {c.position for c in keep if table.column(c.column).kind == "int"}  # type: ignore[arg-type]
    flags = {c.position for c in keep if table.column(c.column).kind == "bool"}  # type: ignore[arg-type]
    _expand_merged(
        text_rows, merged or [], head.row + head.used - 1, first_row_number, add, counts, flags
    )
    return blank_before


class _Step(NamedTuple):
    """How one kept column is read: where, as what, with which memo, scaled, combined how."""

    position: int
    col: Column
    cache: dict[str, object] | None  # None: parsed every time
    scaled: bool
    combine: str | None  # "part" of a sum, "fallback" where the first is blank, or None
    match: ColumnMatch


@dataclasses.dataclass
class _Plan:
    """How the rows below the header are read: a step per kept column, and rows to skip."""

    keep: list[ColumnMatch]
    steps: list[_Step]
    memo: dict[str, dict[str, object]]
    required_both: list[str]
    value_map: dict[str, dict[str, str]]
    header_keys: set[str]
    blank_before: set[int]
    known_positions: set[int]
    width: int
    gaps: bool
    name_at: int | None


def _row_plan(
    keep: list[ColumnMatch],
    hm: HeaderMatch,
    header: list[str],
    table: Table,
    sheet_map: SheetMap,
    blank_before: set[int],
) -> _Plan:
    """Plan the reading of the kept columns: contract column, memo, scale and how combined."""
    header_keys = {normalise(h) for h in header if h} | {h for h in header if h}
    contract = {c.column: table.column(c.column) for c in keep if c.column}
    known_positions = {c.position for c in hm.columns}
    width = max(known_positions, default=-1) + 1
    gaps = any(j not in known_positions for j in range(width))
    # A column's cells repeat (statuses, kinds, years, township codes): each text that parses
    # without a problem is parsed once per column.
    memo: dict[str, dict[str, object]] = {
        name: {} for name, col in contract.items() if col.kind not in ("text", "ids")
    }
    # a column read from two places (a fallback) may be blank in either; required is checked
    # once both are combined
    backed = {c.column for c in keep if c.column and c.rule == "fallback"}
    required_both = [n for n in backed if not contract[n].nullable]
    for n in backed:
        contract[n] = dataclasses.replace(contract[n], nullable=True)
    steps = [
        _Step(
            c.position,
            contract[c.column],
            memo.get(c.column),
            c.scale != 1.0,
            c.rule if c.rule in ("part", "fallback") else None,
            c,
        )
        for c in keep
        if c.column
    ]
    name_at = next((c.position for c in keep if c.column == "name"), None)
    value_map = _value_map(keep, contract, sheet_map)
    return _Plan(
        keep,
        steps,
        memo,
        required_both,
        value_map,
        header_keys,
        blank_before,
        known_positions,
        width,
        gaps,
        name_at,
    )


def _value_map(
    keep: list[ColumnMatch], contract: dict[str, Column], sheet_map: SheetMap
) -> dict[str, dict[str, str]]:
    """Collect the map's values per column, and what a flag header's legend (1是 2否) says."""
    value_map = {
        col: {k.strip(): v for k, v in mapping.items()} for col, mapping in sheet_map.values.items()
    }
    for c in keep:  # 中医阁（1是 2否）: the header says what its digits mean
        if c.column and contract[c.column].kind == "bool" and (legend := flag_legend(c.written)):
            value_map.setdefault(c.column, {}).update(
                {k: v for k, v in legend.items() if k not in value_map.get(c.column, {})}
            )
    return value_map


@dataclasses.dataclass
class _Records:
    """The values read, column by column (``_row`` first), and how many rows had no name."""

    columns: dict[str, list[object]] = dataclasses.field(default_factory=lambda: {"_row": []})
    n: int = 0
    nameless: int = 0


def _read_records(
    src: _Rows, head: _Head, plan: _Plan, blank_name_skipped: bool, add: _Report
) -> _Records:
    """Read each row below the header; skip blank, note, 合计 and (if asked) nameless rows."""
    out = _Records()
    columns = out.columns
    formulas = not src.streamed  # only workbooks hold formulas
    hi, used, header, cells = head.at, head.used, head.cells, src.cells
    blank_before, keep, header_keys = plan.blank_before, plan.keep, plan.header_keys
    name_at, gaps, width = plan.name_at, plan.gaps, plan.width
    for offset, row in enumerate(itertools.chain(src.text[hi + used :], src.tail), start=used):
        number = head.row + offset
        nonempty = [c for c in row if c]
        if not nonempty or (hi + offset) in blank_before:
            if formulas:
                _uncached(cells[hi + offset], header, number, add)
            continue
        skip = _skipped_row(row, nonempty, keep, header_keys)
        if skip is not None:
            en, zh = skip
            add("warning", en, zh, number, None, nonempty[0][:40] if "note" in en else None)
            continue
        if blank_name_skipped and name_at is not None and not (name_at < len(row) and row[name_at]):
            out.nameless += 1
            continue
        if formulas:
            _uncached(cells[hi + offset], header, number, add)
        if gaps or len(row) > width:
            _beyond_header(row, plan.known_positions, number, add)
        values = _read_row(row, number, plan, add)
        columns["_row"].append(number)
        for name, value in values.items():
            if name not in columns:
                columns[name] = [None] * out.n
            columns[name].append(value)
        out.n += 1
    return out


def _read_row(row: list[str], number: int, plan: _Plan, add: _Report) -> dict[str, object]:
    """Parse one row's cells by the plan; add up parts, take fallbacks where the first is blank."""
    values, parts, fallbacks = _parse_row_cells(row, number, plan, add)
    for name, got_parts in parts.items():
        got = [v for v in got_parts if isinstance(v, (int, float))]
        values[name] = sum(got) if got else None
    _take_fallbacks(values, fallbacks, number, plan.keep, add)
    for name in plan.required_both:
        if values.get(name) is None:
            both = " / ".join(c.written for c in plan.keep if c.column == name)
            add(
                "error",
                f"a value is required in '{both}'",
                f"'{both}' 不能都为空",
                number,
                both,
            )
    return values


def _parse_row_cells(
    row: list[str], number: int, plan: _Plan, add: _Report
) -> tuple[dict[str, object], dict[str, list[object]], dict[str, object]]:
    """Parse each planned cell of a row (memoised): values, parts of sums, and fallbacks."""
    problems = add.problems
    value_map = plan.value_map
    values: dict[str, object] = {}
    parts: dict[str, list[object]] = {}
    fallbacks: dict[str, object] = {}
    n_cells = len(row)
    for position, col, cache, step_scaled, combine, c in plan.steps:
        text = row[position] if position < n_cells else ""
        if c.split is not None:
            text = split_pair(text, c.split, col.name)
        if col.name in value_map:
            text = value_map[col.name].get(text, text)
        value = _UNPARSED if cache is None else cache.get(text, _UNPARSED)
        # a unit written in the cell (461200人 under 人口（万人）) is the number's own: it
        # replaces the header's
        scaled = step_scaled and not _own_unit(text)
        if value is _UNPARSED:
            before = len(problems)
            # a count in 万 (3.6228 万人) is a fraction before its unit makes it whole
            as_col = dataclasses.replace(col, kind="float") if scaled and col.kind == "int" else col
            value = _parse_cell(text, as_col, number, c.written, add)
            if cache is not None and len(problems) == before and len(cache) < 100_000:
                cache[text] = value
        if scaled and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = _scaled(value, c, col, number, text, add)
        if combine == "part":
            parts.setdefault(col.name, []).append(value)
        elif combine == "fallback":
            fallbacks[col.name] = value
        else:
            values[col.name] = value
    return values, parts, fallbacks


def _own_unit(text: str) -> bool:
    """Whether a cell's number carries its own unit (``46.12万人``, ``35人``)."""
    return bool(text) and split_value_unit(unicodedata.normalize("NFKC", text).strip())[1] not in (
        None,
        "%",
        "％",
    )


def _take_fallbacks(
    values: dict[str, object],
    fallbacks: dict[str, object],
    number: int,
    keep: list[ColumnMatch],
    add: AddProblem,
) -> None:
    """Use a second column where the first is blank; warn where the two disagree."""
    for name, value in fallbacks.items():
        first = values.get(name)
        if first in (None, []):
            values[name] = value
        elif value not in (None, []) and value != first:
            both = [c.written for c in keep if c.column == name]
            add(
                "warning",
                f"'{both[0]}' says {first}, '{both[-1]}' says {value}: '{both[0]}' is used",
                f"'{both[0]}' 为 {first}，'{both[-1]}' 为 {value}：采用 '{both[0]}'",
                number,
                both[-1],
                value,
            )


def _no_records(table: Table, header_row: int, add: AddProblem) -> pd.DataFrame | None:
    """Return an optional table's empty frame; any other needs data rows (an error, None)."""
    if table.name in OPTIONAL_TABLES:
        return pd.DataFrame(
            {
                "_row": pd.Series(dtype="int64"),
                **{c.name: pd.Series(dtype=object) for c in table.columns},
            }
        )
    add(
        "error",
        "the table has a header but no data rows",
        "表格只有表头，没有数据行",
        header_row,
    )
    return None


def _note_nameless(nameless: int, table: Table, header_row: int, add: AddProblem) -> None:
    """Count, in a note, the rows skipped for naming nothing (a village without a clinic)."""
    if nameless:
        add(
            "note",
            f"{nameless} rows name no {table.name[:-1] if table.name.endswith('s') else table.name} "
            "(a village without a clinic): not read as one",
            f"{nameless} 行未填名称（如没有卫生室的村）：不作为{table.zh}读取",
            header_row,
        )


def _flag_texts(table: Table, memo: dict[str, dict[str, object]]) -> dict[str, frozenset[str]]:
    """Collect the texts each flag column was written with (for ``tick_blanks``)."""
    return {
        c.name: frozenset(t.strip() for t in memo.get(c.name, {}) if t and not is_missing(t))
        for c in table.columns
        if c.kind == "bool" and c.name in memo
    }


def _fill_fixed(frame: pd.DataFrame, fixed_values: dict[str, object]) -> None:
    """Fill the blanks of the columns the sheet's name or the map's ``fill`` gives."""
    for name, value in fixed_values.items():
        if name in frame:
            # pandas-stubs take only scalar types here; a parsed cell is one, typed as object
            frame[name] = frame[name].fillna(value)  # type: ignore[arg-type]


def _fixed_values(
    fixed: dict[str, str], table: Table, header_row: int, add: AddProblem
) -> dict[str, object]:
    """Parse the values a sheet's name or a map's ``fill`` gives (``是`` for a flag, a type …)."""
    names = {c.name: c for c in table.columns}
    out: dict[str, object] = {}
    for name, text in fixed.items():
        if name not in names:
            add(
                "error",
                f"fill names an unknown column {name!r}; valid: {', '.join(sorted(names))}",
                f"fill 中的列名 {name!r} 无效",
                header_row,
                name,
            )
            continue
        value = _parse_cell(str(text), names[name], header_row, f"fill.{name}", add)
        if value is not None:
            out[name] = value
    return out


#: Marks of a tick column, where a mark means yes and a blank means no.
TICKS = frozenset("√✓✔○●☑")


def tick_blanks(frame: pd.DataFrame, table: Table, readings: list[SheetReading]) -> list[Problem]:
    """Read the blanks of tick columns as "no" over a whole table (all its sheets), with a note.

    A flag column whose every filled cell, on every sheet of the table, is a tick mark
    (``√``) follows the convention "√ where it exists": its blanks mean no, not "not
    reported". Decided over the whole table, so that a township sheet whose centre has no
    中医馆 (a column without any mark there) is read the same way as the others. A column that
    says 否 anywhere keeps its blanks as not reported.

    Returns
    -------
    list of Problem
        One note per column so read, located at the first sheet's header.
    """
    out: list[Problem] = []
    mine = [r for r in readings if r.table == table.name]
    for col in table.columns:
        if col.kind != "bool" or col.name not in frame:
            continue
        seen = set().union(*(r.flag_texts.get(col.name, frozenset()) for r in mine))
        if not seen or not all(t in TICKS for t in seen):
            continue
        values = frame[col.name]
        blanks = int(values.isna().sum())
        if not blanks or (values == False).any():  # noqa: E712
            continue
        frame[col.name] = values.fillna(False)
        first = next(r for r in mine if col.name in r.flag_texts)
        header = next((c.written for c in first.columns if c.column == col.name), col.name)
        marks = "/".join(sorted(seen))
        out.append(
            Problem(
                "note",
                first.file,
                f"tick column: only {marks} marks, so its {blanks} blank cells are read as no",
                f"打勾列：仅有 {marks} 标记，{blanks} 个空白单元格按“否”读取",
                first.sheet,
                first.header_row,
                header,
            )
        )
    return out


def _expand_merged(
    text_rows: list[list[str]],
    merged: list[tuple[int, int, int, int]],
    last_header_row: int,
    first_row_number: int,
    add: AddProblem,
    counts: set[int] | None = None,
    flags: set[int] | None = None,
) -> None:
    """Give every row of a merged range below the header the value of the range's top cell.

    A name, a type or a township merged down its rows belongs to each of them; a **count**
    merged over several rows (中医诊疗人次 of two facilities in one cell) is one number for the
    group, never each row's: it is read on the first row only, and a warning says so (the
    others are not reported), so a merged count is never counted twice. A **yes/no** merged
    over several rows (中医阁 是 for three clinics) is read on every row, with a warning: it
    counts in the shares, so the planner must see it.
    """
    for top, left, bottom, right in merged:
        if top <= last_header_row or bottom == top:
            continue
        i = top - first_row_number
        if not 0 <= i < len(text_rows):
            continue
        value = text_rows[i][left - 1] if left - 1 < len(text_rows[i]) else ""
        if not value:
            continue
        if counts and (left - 1) in counts:
            ref = f"{column_letter(left - 1)}{top}:{column_letter(right - 1)}{bottom}"
            add(
                "warning",
                f"merged cells {ref} hold one count for {bottom - top + 1} rows: read on row "
                f"{top} only, the other rows not reported; give each row its own count",
                f"合并单元格 {ref} 为 {bottom - top + 1} 行共用一个数：仅计入第 {top} 行，其余行按未填报处理；请逐行填写",
                top,
                column_letter(left - 1),
                value[:40],
            )
            continue
        for r in range(i + 1, min(bottom - first_row_number + 1, len(text_rows))):
            row = text_rows[r]
            if len(row) < left:
                row.extend([""] * (left - len(row)))
            if not row[left - 1]:
                row[left - 1] = value
        ref = f"{column_letter(left - 1)}{top}:{column_letter(right - 1)}{bottom}"
        flag = bool(flags) and (left - 1) in flags  # type: ignore[operator]
        add(
            "warning" if flag else "note",
            f"merged cells {ref}: every row read as {value[:40]!r}"
            + ("; it counts for each of them in the shares: give each row its own" if flag else ""),
            f"合并单元格 {ref}：每一行均按 {value[:40]!r} 读取"
            + ("；每一行都计入占比：请逐行填写" if flag else ""),
            top,
            column_letter(left - 1),
        )


def _skipped_row(
    row: list[str], nonempty: list[str], keep: list[ColumnMatch], header_keys: set[str]
) -> tuple[str, str] | None:
    """Say why a data row is skipped (a note, a total, a repeated header), or ``None``."""
    if len(nonempty) == 1 and (
        _NOTE.match(nonempty[0]) or (len(keep) > 2 and not _any_key_cell(row, keep))
    ):
        return "note row ignored", "说明行，已忽略"
    if _NOTE.match(nonempty[0]):
        return "note row ignored", "说明行，已忽略"
    if total_row(row):
        return "total row ignored (合计 rows are not facilities)", "合计行，已忽略"
    first = nonempty[0]
    if len(nonempty) >= 2 and (
        first in header_keys
        or nonempty[1] in header_keys
        or (not any(ch.isdigit() for ch in first) and normalise(first) in header_keys)
    ):
        if sum(1 for c in nonempty if normalise(c) in header_keys) >= max(2, len(nonempty) // 2):
            return "repeated header row ignored", "重复的表头行，已忽略"
    return None


def _uncached(raw_row: Sequence[object], header: list[str], number: int, add: AddProblem) -> None:
    """Report every formula of the row that has no saved value."""
    for j, cell in enumerate(raw_row):
        if isinstance(cell, UncachedFormula):
            name = header[j] if j < len(header) and header[j] else column_letter(j)
            add(
                "error",
                FORMULA_EN.format(formula=str(cell)[:60]),
                FORMULA_ZH.format(formula=str(cell)[:60]),
                number,
                name,
            )


def _beyond_header(row: list[str], known: set[int], number: int, add: AddProblem) -> None:
    """Warn about values in columns that have no header (they cannot be read)."""
    for j, cell in enumerate(row):
        if cell and j not in known:
            add(
                "warning",
                f"value in column {column_letter(j)}, which has no header, ignored; give the "
                "column a header or delete the value",
                f"第 {column_letter(j)} 列没有表头，其中的数值已忽略；请补上表头或删除",
                number,
                column_letter(j),
                cell[:40],
            )


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 → ``A``, 27 → ``AB``).

    Examples
    --------
    >>> column_letter(0), column_letter(27), column_letter(16383)
    ('A', 'AB', 'XFD')
    """
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _frame(columns: dict[str, list[object]], table: Table, n: int) -> pd.DataFrame:
    """Typed DataFrame of the parsed columns (``_row`` first, then the contract's order)."""
    data: dict[str, object] = {"_row": np.asarray(columns["_row"], dtype="int64")}
    for c in table.columns:
        values = columns.get(c.name)
        if values is None:
            values = [[] for _ in range(n)] if c.kind == "ids" else [None] * n
        if c.kind in ("int", "float") and _exact_numbers(values, c.kind):
            # pandas-stubs have no overload for a list of objects (here exact numbers or None)
            data[c.name] = pd.array(values, dtype="Int64" if c.kind == "int" else "Float64")  # type: ignore[call-overload]
        elif c.kind in ("int", "float"):
            series = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
            series = series.astype("Float64")
            data[c.name] = series.astype("Int64") if c.kind == "int" else series
        elif c.kind == "bool":  # the array astype("boolean") of the values would give
            data[c.name] = pd.array(values, dtype="boolean")  # type: ignore[call-overload]
        elif c.kind in ("ids", "date"):
            data[c.name] = pd.Series(values, dtype=object)
        else:  # str or None: the array astype("string") would give
            data[c.name] = pd.array(values, dtype="string")  # type: ignore[call-overload]
    return pd.DataFrame(data)


#: Integers up to this size pass through a float unchanged.
_FLOAT_EXACT = 2**53


def _exact_numbers(values: list[object], kind: str) -> bool:
    """Whether ``values`` convert straight to ``Int64`` / ``Float64`` as through ``to_numeric``.

    True when every value is ``None`` or, for ``int``, an ``int`` of at most 2**53 (which a
    float holds exactly), for ``float`` a finite ``float``: the values the cell parsers give.
    """
    if kind == "int":
        return all(
            v is None or (type(v) is int and -_FLOAT_EXACT <= v <= _FLOAT_EXACT) for v in values
        )
    return all(v is None or (type(v) is float and math.isfinite(v)) for v in values)


def _any_key_cell(row: list[str], keep: list[ColumnMatch]) -> bool:
    """Return True when the row has a value under a required or identifying column."""
    return any(c.position < len(row) and row[c.position] for c in keep[:2])


def _scaled(
    value: float, c: ColumnMatch, col: Column, row: int, text: str, add: AddProblem
) -> object:
    out = float(value) * c.scale
    if col.kind == "int":
        if abs(out - round(out)) > 1e-6 * max(1.0, abs(out)):
            add(
                "error",
                f"{text} {c.note.split(':')[0]} is not a whole number",
                f"{text} 按单位换算后不是整数",
                row,
                c.written,
                text,
            )
            return None
        return round(out)
    return out


_WS218 = re.compile(r"^\(?([A-Ma-m]\d{3})\)?")


_PRIVATE = re.compile(r"民营|私立|私营|个体|私人|股份")


@functools.lru_cache(maxsize=4096)
def vocabulary_match(text: str, vocabulary: str) -> tuple[str | None, str]:
    """Return the canonical value of a cell in a closed vocabulary and how it was found.

    ``how`` is ``exact`` (a listed spelling, the canonical value, a WS 218-2002 class code with
    or without its name: ``D600``, ``D600 村卫生室``, ``村卫生室（D600）``), ``contains`` (the
    cell contains exactly one longest listed spelling: ``县级中医医院`` ⊃ ``中医医院``),
    ``ws218`` (a WS 218 class code outside the classes analysed: ``J100`` → ``other``) or
    ``none``.

    Examples
    --------
    >>> vocabulary_match("县级中医医院", "facility_type")
    ('county_tcm_hospital', 'contains')
    >>> vocabulary_match("J100", "facility_type")
    ('other', 'ws218')
    """
    lookup = vocabulary_lookup(vocabulary)
    t = unicodedata.normalize("NFKC", text).strip().lower()
    if t in lookup:
        return lookup[t], "exact"
    compact = re.sub(r"\s+", "", t)
    if compact in lookup:
        return lookup[compact], "exact"
    m = _WS218.match(compact) or re.search(r"\(([a-m]\d{3})\)$", compact)
    if m and m.group(1) in lookup:
        return lookup[m.group(1)], "exact"
    rest = re.sub(r"^\(?[a-m]\d{3}\)?|\([a-m]\d{3}\)$", "", compact).strip("()-—:：、 ")
    fullwidth = _folded_lookup(vocabulary)
    found = fullwidth.get(rest) or fullwidth.get(compact)
    if found:
        return found, "exact"
    if vocabulary == "facility_type" and m and not rest:
        return "other", "ws218"
    target = rest or compact
    if vocabulary == "facility_type" and _PRIVATE.search(target):
        return "other", "contains"  # 民营中医医院 is no county TCM hospital
    inside = [k for k in fullwidth if len(k) >= 2 and not k.isascii() and k in target]
    if inside:
        longest = max(len(k) for k in inside)
        meanings = {fullwidth[k] for k in inside if len(k) == longest}
        if len(meanings) == 1:
            return meanings.pop(), "contains"
    if vocabulary == "facility_type" and m:
        return "other", "ws218"
    return None, "none"


@functools.cache
def _folded_lookup(vocabulary: str) -> dict[str, str]:
    return {
        re.sub(r"\s+", "", unicodedata.normalize("NFKC", k)): v
        for k, v in vocabulary_lookup(vocabulary).items()
    }


def vocabulary_value(text: str, vocabulary: str) -> str | None:
    """Return the canonical value of a cell in a closed vocabulary, or ``None``.

    See :func:`vocabulary_match` for what is accepted.

    Examples
    --------
    >>> vocabulary_value("D600 村卫生室", "facility_type")
    'village_clinic'
    >>> vocabulary_value("官方", "status")
    'official'
    """
    return vocabulary_match(text, vocabulary)[0]


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[t ]\d{2}:\d{2}(:\d{2})?)?$"),
    re.compile(r"^(\d{4})[-/.年](\d{1,2})月?()$"),
)


def parse_date(text: str, end: bool = False) -> dt.date | None:
    """Parse ``2024-03-01``, ``2024/3/1``, ``2024年3月1日``, ``2024.3`` or ``2024年3月``.

    A month without a day stands for its first day, or its last day when ``end`` is true (the
    end of a phase "2023年6月" is 30 June). Returns ``None`` for anything else.

    Examples
    --------
    >>> parse_date("2023年6月30日"), parse_date("2023.10")
    (datetime.date(2023, 6, 30), datetime.date(2023, 10, 1))
    """
    t = unicodedata.normalize("NFKC", text).strip().lower()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(t)
        if m:
            year, month = int(m.group(1)), int(m.group(2))
            try:
                if m.group(3):
                    return dt.date(year, month, int(m.group(3)))
                first = dt.date(year, month, 1)
            except ValueError:
                return None
            if not end:
                return first
            return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
                days=1
            )
    return None


def _zh_label(vocabulary: str, value: str) -> str:
    """Return the Chinese spelling of a vocabulary value (``not_started`` -> ``未开始``), else itself."""
    spellings = VOCABULARIES.get(vocabulary, {}).get(value, ())
    return next((w for w in (value, *spellings) if re.search(r"[\u4e00-\u9fff]", w)), value)


#: What a spreadsheet shows where a formula failed: never a value.
ERROR_VALUES = frozenset(
    {"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)


def _parse_cell(text: str, col: Column, row: int, header: str, add: AddProblem) -> object:
    if col.kind in ("int", "float") and text.isascii():
        if text.isdigit():
            return _count(int(text), col, row, header, text, add)  # the common case, fast
        if col.kind == "float" and _DECIMAL.match(text):  # 105.3428: what parse_number gives
            decimal = float(text)
            if math.isfinite(decimal):
                return decimal
    if text[:1] == "#" and text.strip().upper() in ERROR_VALUES:
        add(
            "error",
            f"a spreadsheet error value ({text.strip()}): the formula behind this cell is broken; "
            "fix it in Excel or WPS, or type the value",
            f"单元格为公式错误值（{text.strip()}）：请在 Excel 或 WPS 中修正公式或直接填写数值",
            row,
            header,
            text,
        )
        return [] if col.kind == "ids" else None
    if _CONTROL.search(text):
        text = _clean_cell(text, col, row, header, add)
    if not text.isascii():
        if col.kind not in ("text", "ids"):
            text = unicodedata.normalize("NFKC", text).strip()
        if col.kind in ("int", "float", "code", "date") and other_script_digits(text):
            add(
                "error",
                "digits of another script; write the digits 0–9",
                "数字应写作 0–9（阿拉伯数字）",
                row,
                header,
                text,
            )
            return None
    if col.kind == "bool" and re.sub(r"\s+", "", text.lower()) in FALSE_TOKENS:
        return False  # "无" in a yes/no column means "none", not "not reported"
    if is_missing(text):
        if not col.nullable:
            add(
                "error",
                f"a value is required in '{header}'",
                f"'{header}' 不能为空",
                row,
                header,
                text,
            )
        return [] if col.kind == "ids" else None
    if col.kind == "text":
        return text
    if col.kind == "code":
        digits = text.replace(" ", "")
        if digits.endswith(".0"):
            digits = digits[:-2]
        if not (digits.isascii() and digits.isdigit()) or (
            col.digits and len(digits) != col.digits
        ):
            n = col.digits or "only"
            add("error", f"expected a code of {n} digits", f"应为{n}位数字代码", row, header, text)
            return None
        return digits
    if col.kind in ("int", "float"):
        if re.match(r"^\d{4}-\d{2}-\d{2}", text):
            add(
                "error",
                "expected a number, found a date (Excel formatted the cell as a date?)",
                "应为数字，却是日期（单元格被设为日期格式？）",
                row,
                header,
                text,
            )
            return None
        value = parse_number(text)
        if value is None and col.kind == "int" and (q := parse_quantity(text)) is not None:
            return _count_with_unit(q, col, row, header, text, add)  # 35人, 12张, 1.2万人次
        if value is not None and col.kind == "int" and text.strip().endswith("%"):
            add(
                "error",
                "expected a count, found a percentage",
                "应为人数/个数，却是百分比",
                row,
                header,
                text,
            )
            return None
        if value is None and col.name in ("lon", "lat") and _DMS_HINT.search(text):
            return _degrees(text, col.name, row, header, add)
        if value is None:
            if re.search(r"[°度′'″\"]", text):
                en, zh = (
                    "expected decimal degrees (e.g. 105.3428), found degrees-minutes-seconds",
                    "应为十进制度数（如 105.3428），却是度分秒格式",
                )
            else:
                en, zh = ("expected a number", "应为数字")
            add("error", en, zh, row, header, text)
            return None
        if col.kind == "int":
            if value < 0:
                add(
                    "error",
                    "expected a count >= 0, found a negative number",
                    "应为非负整数，却为负数",
                    row,
                    header,
                    text,
                )
                return None
            if not float(value).is_integer():
                add(
                    "error",
                    "expected a whole number (a count), found a fraction",
                    "应为整数，却有小数",
                    row,
                    header,
                    text,
                )
                return None
            return _count(value, col, row, header, text, add)
        return float(value)
    if col.kind == "bool":
        t = re.sub(r"\s+", "", text.lower())
        if t in TRUE_TOKENS:
            return True
        if t in FALSE_TOKENS:
            return False
        if t in NOT_YET_TOKENS:
            add(  # a warning, so that the report shows it: it moves a share
                "warning",
                f"'{text}' read as no: not built yet, and the review counts only what is built "
                "(write 是 once it is)",
                f"'{text}' 按“否”处理：尚未建成，评审只计已建成的（建成后改为“是”）",
                row,
                header,
                text,
            )
            return False
        add(
            "error",
            "expected yes/no (是/否, true/false, 1/0); if this word means yes or no here, say "
            f'so once in the column map: [SHEET.values.{col.name}] "{text[:20]}" = "{_yes_no(text)}"',
            f'应为 是/否；如该词在本表中表示是或否，请在列映射中写明：[表名.values.{col.name}] "{text[:20]}" = "{_yes_no(text)}"',
            row,
            header,
            text,
        )
        return None
    if col.kind == "date":
        day = parse_date(text, end=col.name in ("end", "due"))  # "2023年9月" ends on the 30th
        if day is None:
            add(
                "error",
                "expected a date such as 2024-03-01, 2024年3月1日 or 2024.3",
                "应为日期，如 2024-03-01、2024年3月1日 或 2024.3",
                row,
                header,
                text,
            )
        return day
    if col.kind in ("enum", "status"):
        vocab = "status" if col.kind == "status" else col.vocabulary or ""
        canonical, how = vocabulary_match(text, vocab)
        if how in ("contains", "ws218"):
            label = _zh_label(vocab, canonical or "")
            en, zh = (
                (
                    f"read as {canonical} ({label}): the value contains that name",
                    f"按 {label} 读取（取值包含该名称）",
                )
                if how == "contains"
                else (
                    f"WS 218 class code outside the types analysed: read as {canonical}",
                    f"WS 218 机构分类代码不在分析的类型之内，按 {label} 读取",
                )
            )
            add("note", en, zh, row, header, text)
        if canonical is None:
            hint = suggest(text, vocab)
            values = list(dict.fromkeys(vocabulary_lookup(vocab).values()))
            en = f"unknown value; expected one of: {', '.join(values)}"
            zh = f"未知取值；应为：{'、'.join(_zh_label(vocab, v) for v in values)}"
            if hint:
                en += f" (did you mean '{hint}'?)"
                zh += f"（是否应为 '{_zh_label(vocab, hint)}'？）"
            en += (
                f"; say what it is once in the column map: [SHEET.values.{col.name}] "
                f'"{text[:20]}" = "{hint or values[0]}"'
            )
            zh += f'；可在列映射中写明：[表名.values.{col.name}] "{text[:20]}" = "…"'
            add("error", en, zh, row, header, text)
            return None
        return canonical
    if col.kind == "ids":
        return [p.strip() for p in re.split(r"[;；,，、\s]+", text) if p.strip()]
    return text  # pragma: no cover


#: A mark of degrees-minutes-seconds or a hemisphere: the text is read as a coordinate.
_DMS_HINT = re.compile(r"[°度′'’″\"”分秒]|东经|西经|北纬|南纬|^\s*[ewns]|[ewns]\s*$", re.IGNORECASE)


def _degrees(text: str, axis: str, row: int, header: str, add: AddProblem) -> float | None:
    """Read a longitude or latitude in degrees-minutes-seconds (or lettered decimal degrees).

    Text that is no coordinate of :mod:`tcmcounty.inputs.degrees`, a coordinate beyond 180°
    (90° for a latitude) or with minutes or seconds beyond 60, or one whose hemisphere names
    the other axis, is an error naming the forms accepted.
    """
    got = parse_degrees(text)
    what = "longitude" if axis == "lon" else "latitude"
    what_zh = "经度" if axis == "lon" else "纬度"
    if got is None:
        add(
            "error",
            f"expected a {what} in {DEGREE_FORMS_EN}; degrees up to "
            f"{180 if axis == 'lon' else 90}, minutes and seconds up to 60",
            f"应为{what_zh}：{DEGREE_FORMS_ZH}；度不超过 {180 if axis == 'lon' else 90}，分、秒不超过 60",
            row,
            header,
            text,
        )
        return None
    value, named = got
    if named is not None and named != axis:
        add(
            "error",
            f"a {'latitude' if named == 'lat' else 'longitude'} (its letter says so) in the "
            f"{what} column: longitude and latitude swapped?",
            f"{what_zh}列中是{'纬度' if named == 'lat' else '经度'}（按其字母）：经纬度填反了？",
            row,
            header,
            text,
        )
        return None
    return value


def _yes_no(text: str) -> str:
    """Guess which of 是/否 a word for a flag leans to, for a suggestion (未达标 → 否)."""
    return "否" if re.search(r"[未不无没非]", text) else "是"


def _count_with_unit(
    q: Quantity, col: Column, row: int, header: str, text: str, add: AddProblem
) -> int | float | None:
    """Read a count written with its unit (``35人``): the unit must fit the column; 万 scales."""
    unit = q.unit or ""
    misfit = unit_misfit(unit, header, col.zh, col.name)
    if misfit is not None:
        add("error", misfit[0], misfit[1], row, header, text)
        return None
    value = q.value
    if value < 0 or abs(value - round(value)) > 1e-6 * max(1.0, abs(value)):
        add(
            "error",
            f"expected a whole number >= 0 (a count), found {text}",
            f"应为非负整数，却为 {text}",
            row,
            header,
            text,
        )
        return None
    if q.scale != 1.0:
        add(
            "note",
            f"read {text} as {round(value):,} (unit {unit}: × {q.scale:,.0f})",
            f"{text} 按单位{unit}换算为 {round(value):,}",
            row,
            header,
            text,
        )
    return _count(float(round(value)), col, row, header, text, add)


def _count(
    value: float, col: Column, row: int, header: str, text: str, add: AddProblem
) -> int | float | None:
    """Return a parsed number within :data:`MAX_COUNT` (an int for a count), else report it."""
    if col.kind == "float":
        return float(value)
    if abs(value) > MAX_COUNT:
        add(
            "error",
            f"number too large: {col.name} cannot exceed {MAX_COUNT:,}",
            f"数值过大：{col.zh}不可能超过 {MAX_COUNT:,}",
            row,
            header,
            text[:40],
        )
        return None
    return int(value) if col.kind == "int" else float(value)


def to_int_array(series: pd.Series) -> np.ndarray:
    """Return a nullable integer column as float (NaN for missing) for arithmetic."""
    return pd.to_numeric(series, errors="coerce").astype(float).to_numpy()
