"""``tcmcounty inspect``: how a workbook or folder is read, and the column map to correct it."""

from __future__ import annotations

import argparse
from pathlib import Path

from tcmcounty.inputs.columnmap import SheetReading, map_text, sidecar
from tcmcounty.inputs.load import read_raw, resolve
from tcmcounty.inputs.raw import RawBundle
from tcmcounty.io import atomic_path

_HOW = {
    "name": "recognised by its name / 按表名识别",
    "content": "recognised by its headers / 按表头内容识别",
    "map": "assigned by the column map / 按列映射指定",
    "file": "file / 文件",
    "ignored": "not read / 未读取",
    "attribute": "more columns of facilities already read / 已读机构的补充列",
    "list": "a list of facilities that have what the sheet names / 具备该项的机构名单",
}


def add_columns_option(p: argparse.ArgumentParser) -> None:
    """Add ``--columns MAP.toml`` to a subcommand that reads a county."""
    p.add_argument(
        "--columns",
        metavar="MAP.toml",
        help="column map saying what a sheet, header or county item means "
        "(tcmcounty inspect FILE --write-map writes one; <file>.columns.toml beside the "
        "workbook is used by default) / 列映射文件",
    )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``inspect`` subcommand."""
    p = sub.add_parser(
        "inspect",
        help="show how a workbook is read; write a column map / 显示表格识别结果，生成列映射",
        description="Print, per sheet, how every sheet, column and county item was read, what "
        "was ignored and why. With --write-map, write FILE.columns.toml to check and correct.",
    )
    p.add_argument("path", help="bundle folder, .xlsx workbook, or bundled county name")
    add_columns_option(p)
    p.add_argument(
        "--write-map",
        nargs="?",
        const="",
        metavar="OUT.toml",
        help="write the column map of this reading, guesses marked (default: "
        "<file>.columns.toml beside the input, which every command then uses)",
    )
    p.add_argument(
        "--accept",
        action="store_true",
        help="accept this reading: write it as <file>.columns.toml beside the input, so that "
        "every command reads the file exactly so / 确认识别结果：写出文件旁的列映射，之后所有命令按此读取",
    )
    p.set_defaults(func=_inspect)


def reading_lines(reading: SheetReading) -> list[str]:
    """Describe how one sheet was read, one line per column or item.

    Examples
    --------
    >>> from tcmcounty.inputs.matching import ColumnMatch
    >>> r = SheetReading("x.xlsx", "机构", "facilities", "name", 2,
    ...                  [ColumnMatch(0, "机构类别", "type", "synonym")])
    >>> reading_lines(r)[1]
    "    '机构类别' -> type (synonym)"
    """
    head = f"[{reading.label}] -> {reading.table or '—'}: {_HOW.get(reading.how, reading.how)}"
    if reading.header_row:
        head += f"; header row {reading.header_row} / 表头第 {reading.header_row} 行"
    if reading.note:
        head += f"; {reading.note}"
    lines = [head]
    for c in reading.columns:
        if c.column:
            extra = f"; {c.note}" if c.note else ""
            lines.append(f"    '{c.written}' -> {c.column} ({c.rule}{extra})")
        else:
            lines.append(
                f"    '{c.written}' ignored / 忽略 ({c.rule}{'; ' + c.note if c.note else ''})"
            )
    for row, written, field, rule in reading.items:
        target = field or "ignored / 忽略"
        lines.append(f"    row {row}: '{written}' -> {target} ({rule})")
    return lines


def describe(raw: RawBundle) -> list[str]:
    """Describe a whole read: every sheet, then the problems, errors first."""
    lines = [f"{raw.path}"]
    for r in raw.readings:
        lines.extend(reading_lines(r))
    order = {"error": 0, "warning": 1, "note": 2}
    for p in sorted(raw.problems, key=lambda p: order.get(p.severity, 3)):
        lines.append(str(p))
    errors = sum(p.severity == "error" for p in raw.problems)
    lines.append(
        f"{errors} error(s), {sum(p.severity == 'warning' for p in raw.problems)} warning(s) "
        f"/ {errors} 个错误"
    )
    return lines


def _inspect(args: argparse.Namespace) -> int:
    path = resolve(args.path)
    raw = read_raw(path, args.columns)
    for line in describe(raw):
        print(line)
    if args.write_map is not None or args.accept:
        out = Path(args.write_map) if args.write_map else sidecar(path)
        with atomic_path(out) as tmp:
            tmp.write_text(map_text(raw.readings), encoding="utf-8")
        used = (
            " (used by every command from now on / 之后所有命令自动使用)"
            if out == sidecar(path)
            else ""
        )
        print(f"wrote {out}{used} / 已写出列映射")
    return 2 if any(p.severity == "error" for p in raw.problems) else 0
