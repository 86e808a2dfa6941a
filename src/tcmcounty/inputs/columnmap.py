"""The column map: how a user tells the readers what a sheet, column or county item means.

A column map is a TOML file with one table per sheet (or CSV file) as the user named it::

    ["四、医疗机构名册"]
    table = "facilities"          # optional: which table of the contract the sheet holds
    "机构类别" = "type"            # header as written = canonical column
    "床位（张）" = "beds"
    ignore = ["联系电话", "负责人"]

    ["一、县基本情况"]
    "年末常住人口（万人）" = "population.resident"   # county item = county field

``tcmcounty inspect FILE --write-map`` writes one for a workbook with every guess filled in;
every command that reads a county takes ``--columns MAP.toml``, and a file named
``<workbook>.columns.toml`` next to the workbook is used when no map is given.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tcmcounty.errors import InputError, Problem
from tcmcounty.inputs.matching import ColumnMatch, normalise


@dataclass(frozen=True)
class SheetMap:
    """What a column map says about one sheet (empty when it says nothing)."""

    table: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    fill: dict[str, str] = field(default_factory=dict)
    header_row: int | None = None
    sums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    transpose: bool = False
    role: str | None = None

    def summed(self) -> dict[str, str]:
        """Return ``header -> column`` for every header that is one part of a sum."""
        return {h: col for col, headers in self.sums.items() for h in headers}


@dataclass(frozen=True)
class ColumnMap:
    r"""A parsed column map.

    Examples
    --------
    >>> m = ColumnMap.from_text('["医疗机构"]\n"机构类别" = "type"\nignore = ["电话"]\n')
    >>> m.for_sheet("医疗机构").columns
    {'机构类别': 'type'}
    """

    sheets: dict[str, SheetMap] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def from_text(cls, text: str, path: Path | None = None) -> ColumnMap:
        """Parse the TOML text of a column map; raise :class:`InputError` naming what is wrong."""
        where = str(path) if path else "column map"
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(
                [Problem("error", where, f"not valid TOML: {exc}", f"不是有效的 TOML：{exc}")],
                where,
            ) from None
        problems: list[Problem] = []
        sheets: dict[str, SheetMap] = {}
        for sheet, body in data.items():
            if not isinstance(body, dict):
                problems.append(
                    Problem(
                        "error",
                        where,
                        f'expected a table ["{sheet}"] holding "header" = "column" lines',
                        f'应为表 ["{sheet}"]，其中每行 "表头" = "列名"',
                        column=sheet,
                    )
                )
                continue
            sheets[normalise(_file_stem(sheet))] = _sheet_map(sheet, body, where, problems)
        if problems:
            raise InputError(problems, where)
        return cls(sheets, path)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> ColumnMap:
        """Read a column map file."""
        p = Path(path)
        try:
            text = p.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                [
                    Problem(
                        "error",
                        str(p),
                        f"cannot read the column map: {exc}",
                        f"无法读取列映射文件：{exc}",
                    )
                ],
                str(p),
            ) from None
        return cls.from_text(text, p)

    def for_sheet(self, name: str | None) -> SheetMap:
        """Return what the map says about a sheet or file (an empty :class:`SheetMap` if nothing)."""
        if name is None:
            return SheetMap()
        return self.sheets.get(normalise(_file_stem(name)), SheetMap())


def _sheet_map(
    sheet: str, body: dict[str, object], where: str, problems: list[Problem]
) -> SheetMap:
    """Read one ``["sheet"]`` section of a column map, recording what is malformed."""

    def bad(key: str, en: str, zh: str, value: object = None) -> None:
        problems.append(
            Problem(
                "error",
                where,
                en,
                zh,
                sheet=sheet,
                column=key,
                value=None if value is None else str(value),
            )
        )

    cols: dict[str, str] = {}
    ignore: tuple[str, ...] = ()
    table: str | None = None
    fill: dict[str, str] = {}
    header_row: int | None = None
    sums: dict[str, tuple[str, ...]] = {}
    values: dict[str, dict[str, str]] = {}
    transpose = False
    role: str | None = None
    for k, v in body.items():
        if k == "ignore":
            if isinstance(v, list) and all(isinstance(i, str) for i in v):
                ignore = tuple(v)
            else:
                bad(k, "ignore must be a list of headers", "ignore 应为表头列表")
        elif k == "table":
            table = str(v)
        elif k == "role":
            if v in ("attribute", "list"):
                role = str(v)
            else:
                bad(
                    k,
                    'role must be "attribute" (more columns of units already read) or "list" '
                    "(the units that have what the sheet names)",
                    "role 应为 attribute 或 list",
                    v,
                )
        elif k == "transpose":
            if isinstance(v, bool):
                transpose = v
            else:
                bad(k, "transpose must be true or false", "transpose 应为 true 或 false", v)
        elif k == "header_row":
            if isinstance(v, int) and not isinstance(v, bool) and v >= 1:
                header_row = v
            else:
                bad(k, "header_row must be a row number (1 or more)", "header_row 应为行号", v)
        elif k == "fill":
            if isinstance(v, dict) and all(isinstance(x, str) for x in v.values()):
                fill = {str(a): str(b) for a, b in v.items()}
            else:
                bad(k, 'fill must be a table: fill = { type = "village_clinic" }', "fill 应为表", v)
        elif k == "sum":
            ok = isinstance(v, dict) and all(
                isinstance(x, list) and len(x) >= 2 and all(isinstance(h, str) for h in x)
                for x in v.values()
            )
            if ok and isinstance(v, dict):
                sums = {str(a): tuple(b) for a, b in v.items()}
            else:
                bad(
                    k,
                    'sum must be a table of header lists: ["sheet".sum] physicians = ["执业医师", '
                    '"执业助理医师"]',
                    "sum 应为列名到表头列表的表",
                    v,
                )
        elif k == "values":
            ok = isinstance(v, dict) and all(
                isinstance(x, dict) and all(isinstance(y, str) for y in x.values())
                for x in v.values()
            )
            if ok and isinstance(v, dict):
                values = {str(a): {str(x): str(y) for x, y in b.items()} for a, b in v.items()}
            else:
                bad(
                    k,
                    'values must be tables of value = value: ["sheet".values.type] "J100" = "other"',
                    "values 应为 取值 = 取值 的表",
                    v,
                )
        elif isinstance(v, str):
            cols[k] = v
        else:
            bad(
                k,
                'expected "header" = "canonical_column" (a string)',
                '应为 "表头" = "列名"（字符串）',
                v,
            )
    return SheetMap(table, cols, ignore, fill, header_row, sums, values, transpose, role)


_TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xls", ".xlsx", ".xlsm", ".xlsb", ".ods")


def _file_stem(name: str) -> str:
    """Return a file name without its table suffix (a map may name ``机构.csv`` or ``机构``)."""
    for suffix in _TABLE_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def sidecar(path: Path) -> Path:
    """Return the column map that sits beside a workbook or folder: ``<name>.columns.toml``."""
    return path.with_name(path.name + ".columns.toml")


@dataclass
class SheetReading:
    """How one sheet (or CSV file) was read: its table, header row and every column match."""

    file: str
    sheet: str | None
    table: str | None
    how: str  # "name", "content", "map", "file" or "ignored"
    header_row: int | None = None
    columns: list[ColumnMatch] = field(default_factory=list)
    items: list[tuple[int, str, str | None, str]] = field(default_factory=list)
    note: str = ""
    #: Rows the header takes (2 for a group label above the column names).
    header_rows: int = 1
    #: Values the sheet's name gives its rows (``{"type": "village_clinic"}``).
    fixed: dict[str, str] = field(default_factory=dict)
    #: The sheet was read transposed (items in rows, one column per unit).
    transposed: bool = False
    #: Texts seen in each flag column (for the tick convention over a whole table).
    flag_texts: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The sheet name, or the file name for a CSV file."""
        return self.sheet or self.file


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def map_text(readings: list[SheetReading]) -> str:
    r"""Write the column map of a read: every sheet, table, header row and column, guesses marked.

    The map is complete (reading the file with it gives exactly this read) and valid TOML (one
    line per header; a header written twice in a row is commented out). Guesses carry a
    ``# guess`` comment saying on what they rest, for the user to check.

    Examples
    --------
    >>> from tcmcounty.inputs.matching import ColumnMatch
    >>> r = SheetReading("x.xlsx", "机构", "facilities", "name", 1,
    ...                  [ColumnMatch(0, "机构类别", "type", "synonym"),
    ...                   ColumnMatch(1, "经纬度", "lon", "pair", split=0),
    ...                   ColumnMatch(1, "经纬度", "lat", "pair", split=1),
    ...                   ColumnMatch(2, "执业医师", "physicians", "part"),
    ...                   ColumnMatch(3, "执业助理医师", "physicians", "part")])
    >>> print("\n".join(map_text([r]).splitlines()[6:]))
    ["机构"]
    table = "facilities"  # recognised by name
    header_row = 1
    "机构类别" = "type"  # synonym
    "经纬度" = "lon,lat"  # one cell holds both
    <BLANKLINE>
    ["机构".sum]
    "physicians" = ["执业医师", "执业助理医师"]
    """
    lines = [
        "# Column map written by `tcmcounty inspect`. Check each line, above all those marked",
        "# `# guess`; change the right-hand side where it is wrong, add headers to `ignore`.",
        "# Kept beside the file as <file>.columns.toml it is used by every command.",
        "# 列映射：请逐行核对（尤其是标有 guess 的推断）；右侧为标准列名；不需要的列写入 ignore。",
        "# 与数据文件同名并以 .columns.toml 结尾时，所有命令自动使用。",
    ]
    done: set[str] = set()
    for r in readings:
        if r.table is None and not r.items:
            continue
        lines.append("")
        if r.label in done:  # a sheet holding a second table (villages and their clinics)
            lines.append(f"# [{_q(r.label)}] is also read as {r.table}, by its headers")
            continue
        done.add(r.label)
        lines.extend(_section(r))
    return "\n".join(lines) + "\n"


def _section(r: SheetReading) -> list[str]:
    """Return the lines of one sheet's section (see :func:`map_text`)."""
    out = [f"[{_q(r.label)}]", f"table = {_q(r.table or '')}  # recognised by {r.how}"]
    if r.transposed:
        out.append("transpose = true  # items in rows, one column per unit")
    if r.how in ("attribute", "list"):
        out.append(f"role = {_q(r.how)}  # adds to the units read on other sheets")
    if r.header_row and r.header_rows == 1 and r.table != "county":
        out.append(f"header_row = {r.header_row}")
    if r.fixed:
        out.append("fill = { " + ", ".join(f"{k} = {_q(v)}" for k, v in r.fixed.items()) + " }")
    written: set[str] = set()
    ignored: list[str] = []
    sums: dict[str, list[str]] = {}
    for c in r.columns:
        key = normalise(c.written)
        if c.rule == "part" and c.column:
            sums.setdefault(c.column, []).append(c.written)
            continue
        if c.rule == "pair" and c.split == 1:
            continue
        if key in written:
            out.append(f"# {_q(c.written)} (a second column of this header) is not read")
            continue
        written.add(key)
        if c.rule == "pair":
            other = next(
                (o.column for o in r.columns if o.position == c.position and o.split == 1), "lat"
            )
            out.append(f"{_q(c.written)} = {_q(f'{c.column},{other}')}  # one cell holds both")
        elif c.column:
            comment = f"guess — check: {c.note}" if c.guessed else c.rule
            out.append(f"{_q(c.written)} = {_q(c.column)}  # {comment}")
        elif c.written not in ignored:
            ignored.append(c.written)
    for _row, label, field_key, rule in r.items:
        if rule.startswith("part"):
            out.append(f"# {_q(label)} is one part of {field_key} (summed)")
        elif field_key:
            out.append(f"{_q(label)} = {_q(field_key)}  # {rule}")
        elif label not in ignored:
            ignored.append(label)
    if ignored:
        out.append("ignore = [" + ", ".join(_q(i) for i in ignored) + "]")
    if sums:
        out.append("")
        out.append(f"[{_q(r.label)}.sum]")
        out.extend(
            f"{_q(col)} = [" + ", ".join(_q(h) for h in hs) + "]" for col, hs in sums.items()
        )
    return out
