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
from tcmcounty.schema import (
    FALSE_TOKENS,
    MISSING_TOKENS,
    TRUE_TOKENS,
    Column,
    Table,
    header_lookup,
    normalise_header,
    suggest,
    vocabulary_lookup,
)

_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
AddProblem = Callable[..., None]
_NOTE = re.compile(r"^\s*(注|备注|说明|note|notes|资料来源|数据来源)\s*[:：]", re.IGNORECASE)


def cell_text(value: object) -> str:
    """Return a cell as normalised text (NFKC folds full-width digits; floats lose ``.0``)."""
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
    return unicodedata.normalize("NFKC", str(value)).strip()


def is_missing(text: str) -> bool:
    """Return True for an empty cell or a token meaning "not reported" (—, /, 无, 未统计, NA …)."""
    return text.strip().lower() in MISSING_TOKENS


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


def find_header(rows: list[list[str]], table: Table, limit: int = 15) -> tuple[int, list[str]]:
    """Find the header row among the first ``limit`` rows (title rows above it are skipped).

    Returns the index of the header row and the canonical name of each column (``""`` for an
    unknown column). Returns index ``-1`` when no row has two known headers.
    """
    lookup = header_lookup(table)
    for i, row in enumerate(rows[:limit]):
        names = [lookup.get(normalise_header(c), "") for c in row]
        if sum(1 for n in names if n) >= min(2, len(table.columns)):
            return i, names
    return -1, []


def parse_rows(
    rows: list[list[object]],
    table: Table,
    file: str,
    sheet: str | None,
    first_row_number: int = 1,
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse a table given as a list of rows (the header somewhere near the top).

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

    Returns
    -------
    DataFrame or None, list of Problem
        Typed columns plus ``_row``; ``None`` when the table cannot be read at all.
    """
    problems: list[Problem] = []

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
        return None, problems
    hi, names = find_header(text_rows, table)
    if hi < 0:
        add(
            "error",
            f"no header row found in the first 15 rows; expected columns {expected}",
            f"前15行中未找到表头；应包含列：{expected}",
            row=first_row_number,
        )
        return None, problems
    header_row = first_row_number + hi
    raw_headers = text_rows[hi]
    seen: dict[str, str] = {}
    keep: list[tuple[int, str, str]] = []  # (position, canonical, header as written)
    for pos, (name, written) in enumerate(zip(names, raw_headers, strict=False)):
        if not written:
            continue
        if not name:
            add("warning", "unknown column ignored", "未知列，已忽略", header_row, written)
            continue
        if name in seen:
            add(
                "error",
                f"duplicate column: '{seen[name]}' and '{written}' both mean '{name}'",
                f"重复的列：'{seen[name]}' 与 '{written}' 都表示 '{name}'",
                header_row,
                written,
            )
            continue
        seen[name] = written
        keep.append((pos, name, written))
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
        return None, problems

    records: list[dict[str, object]] = []
    for offset, row in enumerate(text_rows[hi + 1 :], start=1):
        number = header_row + offset
        cells = [row[pos] if pos < len(row) else "" for pos, _, _ in keep]
        if not any(cells) and not any(row):
            continue
        nonempty = [c for c in row if c]
        if nonempty and _NOTE.match(nonempty[0]) and len(nonempty) == 1:
            add("warning", "note row ignored", "说明行，已忽略", number, None, nonempty[0][:40])
            continue
        rec: dict[str, object] = {"_row": number}
        for (_, name, written), text in zip(keep, cells, strict=True):
            col = table.column(name)
            rec[name] = _parse_cell(text, col, number, written, add)
        records.append(rec)
    if not records and table.name == "alliances":
        records_empty = pd.DataFrame(
            {
                "_row": pd.Series(dtype="int64"),
                **{c.name: pd.Series(dtype=object) for c in table.columns},
            }
        )
        return records_empty, problems
    if not records:
        add(
            "error",
            "the table has a header but no data rows",
            "表格只有表头，没有数据行",
            header_row,
        )
        return None, problems
    df = pd.DataFrame.from_records(records)
    for c in table.columns:
        if c.name not in df:
            df[c.name] = None
    df = df[["_row", *[c.name for c in table.columns]]]
    for c in table.columns:
        if c.kind in ("int", "float"):
            df[c.name] = pd.to_numeric(df[c.name], errors="coerce").astype("Float64")
            if c.kind == "int":
                df[c.name] = df[c.name].astype("Int64")
        elif c.kind == "bool":
            df[c.name] = df[c.name].astype("boolean")
        elif c.kind != "ids":
            df[c.name] = df[c.name].astype("string")
    return df, problems


def _parse_cell(text: str, col: Column, row: int, header: str, add: AddProblem) -> object:
    if col.kind == "bool" and text.lower() in FALSE_TOKENS:
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
        t = text.lower()
        if t in TRUE_TOKENS:
            return True
        if t in FALSE_TOKENS:
            return False
        add("error", "expected yes/no (是/否, true/false, 1/0)", "应为 是/否", row, header, text)
        return None
    if col.kind in ("enum", "status"):
        vocab = "status" if col.kind == "status" else col.vocabulary or ""
        canonical = vocabulary_lookup(vocab).get(text.lower())
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
