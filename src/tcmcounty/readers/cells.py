"""Parsing of single cells and of whole tables of text into typed columns.

Cells arrive as text (CSV) or as Python values (Excel). Every failure becomes a
:class:`~tcmcounty.errors.Problem` naming the row and column; nothing raises.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

from tcmcounty.errors import Problem
from tcmcounty.readers.columnmap import SheetMap, SheetReading
from tcmcounty.readers.matching import ColumnMatch, Matcher, normalise
from tcmcounty.schema import (
    FALSE_TOKENS,
    MISSING_TOKENS,
    OPTIONAL_TABLES,
    TRUE_TOKENS,
    Column,
    Table,
    suggest,
    vocabulary_lookup,
)

_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
AddProblem = Callable[..., None]
_NOTE = re.compile(r"^\s*(注|备注|说明|note|notes|资料来源|数据来源)\s*[:：]", re.IGNORECASE)


def cell_text(value: object) -> str:
    """Return a cell as text, stripped (floats lose ``.0``); the cell's characters are kept.

    Parsers of numbers, codes, flags and vocabularies fold full width to half width themselves,
    so names and tasks keep their Chinese punctuation (``中医（综合）医院``).
    """
    if value is None:
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
    return unicodedata.normalize("NFKC", text).strip().lower() in MISSING_TOKENS


def parse_number(text: str) -> float | None:
    """Parse a number written as ``123``, ``1,234``, ``１２３`` or ``12%``; None if it is not one."""
    s = unicodedata.normalize("NFKC", text).strip().replace("，", ",")
    pct = s.endswith("%")
    if pct:
        s = s[:-1].strip()
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if not _NUM.match(s):
        return None
    value = float(s)
    return value / 100.0 if pct else value


_TOTAL = re.compile(r"^(合计|总计|小计|全县合计|全县|汇总|total)$", re.IGNORECASE)


def find_header(
    rows: list[list[str]], matcher: Matcher, limit: int = 15
) -> tuple[int, list[str], int]:
    """Find the header row among the first ``limit`` rows (title rows above it are skipped).

    A header of two rows (a group label such as ``卫生人员`` above ``执业医师 | 注册护士``) is
    merged: cells of the lower row fill the positions where the upper row is empty or unknown.

    Returns
    -------
    index, cells, rows_used : int, list of str, int
        Index of the (first) header row, the header cells, and 1 or 2 header rows; index ``-1``
        when no row has two known headers.
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
    cells = list(rows[best])
    if best + 1 < len(rows):
        below = rows[best + 1]
        fills = {
            j: c
            for j, c in enumerate(below)
            if c
            and (matcher.candidates(c) or matcher.part(c))
            and (
                j >= len(cells)
                or not cells[j]
                or not (matcher.candidates(cells[j]) or matcher.part(cells[j]))
            )
        }
        if fills and all(not c or j in fills for j, c in enumerate(below)):
            cells += [""] * (len(below) - len(cells))
            for j, c in fills.items():
                cells[j] = c
            return best, cells, 2
    return best, cells, 1


def parse_rows(
    rows: list[list[object]],
    table: Table,
    file: str,
    sheet: str | None,
    first_row_number: int = 1,
    sheet_map: SheetMap | None = None,
) -> tuple[pd.DataFrame | None, list[Problem], SheetReading]:
    """Parse a table given as a list of rows (the header somewhere near the top).

    Headers are read by :class:`~tcmcounty.readers.matching.Matcher` (synonyms, units, two
    columns summed); title rows, ``注：`` rows, blank rows and ``合计`` rows are skipped and
    reported.

    Parameters
    ----------
    rows : list of list
        Cell values, top to bottom; the first is row ``first_row_number`` as the user sees it.
    table : Table
        The contract table to parse into.
    file, sheet : str
        Where the rows came from (for messages).
    first_row_number : int
        User-visible number of ``rows[0]`` (1 for both CSV lines and Excel rows).
    sheet_map : SheetMap, optional
        What the user's column map says about this sheet.

    Returns
    -------
    DataFrame or None, list of Problem, SheetReading
        Typed columns plus ``_row``; ``None`` when the table cannot be read at all; how every
        header was read.
    """
    problems: list[Problem] = []
    sheet_map = sheet_map or SheetMap()
    reading = SheetReading(file, sheet, table.name, "file" if sheet is None else "name")

    def add(
        sev: str,
        en: str,
        zh: str,
        row: int | None = None,
        col: str | None = None,
        val: object = None,
    ) -> None:
        problems.append(
            Problem(sev, file, en, zh, sheet, row, col, None if val is None else str(val))  # type: ignore[arg-type]
        )

    text_rows = [[cell_text(c) for c in r] for r in rows]
    expected = ", ".join(f"{c.name} ({c.zh})" for c in table.columns if c.required)
    if not any(any(c for c in r) for r in text_rows):
        add(
            "error",
            f"the file is empty; expected a header row with {expected}",
            f"文件为空；应有表头：{expected}",
        )
        return None, problems, reading
    matcher = Matcher(table, sheet_map.columns)
    hi, header, used = find_header(text_rows, matcher)
    if hi < 0:
        add(
            "error",
            f"no header row found in the first 15 rows; expected columns {expected}",
            f"前15行中未找到表头；应包含列：{expected}",
            row=first_row_number,
        )
        return None, problems, reading
    header_row = first_row_number + hi
    reading.header_row = header_row
    hm = matcher.match(header, sheet_map.columns, sheet_map.ignore)
    reading.columns = hm.columns
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
    seen = {c.column for c in hm.columns if c.column}
    missing = [c for c in table.columns if c.required and c.name not in seen]
    for c in missing:
        add(
            "error",
            f"required column '{c.name}' ({c.zh}) is missing",
            f"缺少必填列 '{c.zh}'（{c.name}）",
            header_row,
            c.name,
        )
    if missing or any(p.severity == "error" for p in problems):
        return None, problems, reading

    keep = [c for c in hm.columns if c.column]
    header_keys = {normalise(h) for h in header if h}
    records: list[dict[str, object]] = []
    for offset, row in enumerate(text_rows[hi + used :], start=used):
        number = header_row + offset
        nonempty = [c for c in row if c]
        if not nonempty:
            continue
        if len(nonempty) == 1 and (
            _NOTE.match(nonempty[0]) or (len(keep) > 2 and not _any_key_cell(row, keep))
        ):
            add("warning", "note row ignored", "说明行，已忽略", number, None, nonempty[0][:40])
            continue
        if _NOTE.match(nonempty[0]):
            add("warning", "note row ignored", "说明行，已忽略", number, None, nonempty[0][:40])
            continue
        if any(_TOTAL.match(re.sub(r"\s+", "", c)) for c in row[:3] if c):
            add(
                "warning",
                "total row ignored (合计 rows are not facilities)",
                "合计行，已忽略",
                number,
            )
            continue
        if sum(1 for c in nonempty if normalise(c) in header_keys) >= max(2, len(nonempty) // 2):
            add("warning", "repeated header row ignored", "重复的表头行，已忽略", number)
            continue
        rec: dict[str, object] = {"_row": number}
        parts: dict[str, list[object]] = {}
        for c in keep:
            text = row[c.position] if c.position < len(row) else ""
            col = table.column(c.column)  # type: ignore[arg-type]
            value = _parse_cell(text, col, number, c.written, add)
            if c.scale != 1.0 and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = _scaled(value, c, col, number, text, add)
            if c.rule == "part":
                parts.setdefault(col.name, []).append(value)
            else:
                rec[col.name] = value
        for name, values in parts.items():
            got = [v for v in values if isinstance(v, (int, float))]
            rec[name] = sum(got) if got else None  # type: ignore[assignment]
        records.append(rec)
    if not records and table.name in OPTIONAL_TABLES:
        records_empty = pd.DataFrame(
            {
                "_row": pd.Series(dtype="int64"),
                **{c.name: pd.Series(dtype=object) for c in table.columns},
            }
        )
        return records_empty, problems, reading
    if not records:
        add(
            "error",
            "the table has a header but no data rows",
            "表格只有表头，没有数据行",
            header_row,
        )
        return None, problems, reading
    df = pd.DataFrame.from_records(records)
    for c in table.columns:
        if c.name not in df:
            df[c.name] = [[] for _ in range(len(df))] if c.kind == "ids" else None
    df = df[["_row", *[c.name for c in table.columns]]]
    for c in table.columns:
        if c.kind in ("int", "float"):
            df[c.name] = pd.to_numeric(df[c.name], errors="coerce").astype("Float64")
            if c.kind == "int":
                df[c.name] = df[c.name].astype("Int64")
        elif c.kind == "bool":
            df[c.name] = df[c.name].astype("boolean")
        elif c.kind not in ("ids", "date"):
            df[c.name] = df[c.name].astype("string")
    return df, problems, reading


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


def vocabulary_value(text: str, vocabulary: str) -> str | None:
    """Return the canonical value of a cell in a closed vocabulary, or ``None``.

    Accepts the canonical value, any listed spelling (Chinese or English), a WS 218-2002 class
    code with or without its name (``D600``, ``D600 村卫生室``, ``村卫生室（D600）``), and
    brackets or spaces around the words.

    Examples
    --------
    >>> vocabulary_value("D600 村卫生室", "facility_type")
    'village_clinic'
    >>> vocabulary_value("官方", "status")
    'official'
    """
    lookup = vocabulary_lookup(vocabulary)
    t = unicodedata.normalize("NFKC", text).strip().lower()
    if t in lookup:
        return lookup[t]
    compact = re.sub(r"\s+", "", t)
    if compact in lookup:
        return lookup[compact]
    m = _WS218.match(compact) or re.search(r"\(([a-m]\d{3})\)$", compact)
    if m and m.group(1) in lookup:
        return lookup[m.group(1)]
    rest = re.sub(r"^\(?[a-m]\d{3}\)?|\([a-m]\d{3}\)$", "", compact).strip("()-—:：、 ")
    fullwidth = {unicodedata.normalize("NFKC", k): v for k, v in lookup.items()}
    return fullwidth.get(rest) or fullwidth.get(compact)


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


def _parse_cell(text: str, col: Column, row: int, header: str, add: AddProblem) -> object:
    if col.kind not in ("text", "ids"):
        text = unicodedata.normalize("NFKC", text).strip()
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
        if not digits.isdigit() or (col.digits and len(digits) != col.digits):
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
            return int(value)
        return float(value)
    if col.kind == "bool":
        t = re.sub(r"\s+", "", text.lower())
        if t in TRUE_TOKENS:
            return True
        if t in FALSE_TOKENS:
            return False
        add("error", "expected yes/no (是/否, true/false, 1/0)", "应为 是/否", row, header, text)
        return None
    if col.kind == "date":
        day = parse_date(text, end=col.name == "end")
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
        canonical = vocabulary_value(text, vocab)
        if canonical is None:
            hint = suggest(text, vocab)
            valid = ", ".join(dict.fromkeys(vocabulary_lookup(vocab).values()))
            en = f"unknown value; expected one of: {valid}"
            zh = f"未知取值；应为：{valid}"
            if hint:
                en += f" (did you mean '{hint}'?)"
                zh += f"（是否应为 '{hint}'？）"
            add("error", en, zh, row, header, text)
            return None
        return canonical
    if col.kind == "ids":
        return [p.strip() for p in re.split(r"[;；,，、\s]+", text) if p.strip()]
    return text  # pragma: no cover


def to_int_array(series: pd.Series) -> np.ndarray:
    """Return a nullable integer column as float (NaN for missing) for arithmetic."""
    return pd.to_numeric(series, errors="coerce").astype(float).to_numpy()
