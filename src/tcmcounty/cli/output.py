"""Writing result tables in the formats every command offers: table, csv, json, xlsx."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from tcmcounty.errors import ArgumentError
from tcmcounty.io import (
    CSV_BOM,
    csv_bytes,
    frame_csv_text,
    write_csv,
    write_text_atomic,
    write_xlsx,
)

FORMATS = ("table", "csv", "json", "xlsx")


def add_format_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--format``, ``--output`` and ``--no-bom`` to a subcommand (one helper for all)."""
    parser.add_argument(
        "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    parser.add_argument(
        "--output", "-o", help="write to this file instead of standard output (xlsx needs it)"
    )
    parser.add_argument(
        "--no-bom",
        dest="bom",
        action="store_false",
        help="CSV without the UTF-8 byte-order mark (for pipelines; Excel needs the mark to read "
        "Chinese) / CSV 不加 BOM（用于管道处理）",
    )


def wants_bom(args: argparse.Namespace) -> bool:
    """Return whether CSV output starts with the byte-order mark (no ``--no-bom`` given)."""
    return bool(getattr(args, "bom", True))


def emit(
    df: pd.DataFrame, fmt: str, output: str | None, title: str = "", *, bom: bool = True
) -> None:
    """Write ``df`` in ``fmt`` to ``output`` (atomically) or to standard output.

    Spreadsheet formats never carry live formulas: in xlsx text is stored as text
    (:func:`tcmcounty.io.set_cell`); in CSV text starting like a formula gets a leading ``'``
    (:func:`tcmcounty.io.spreadsheet_text`). CSV is UTF-8 and starts with a byte-order mark
    (:func:`tcmcounty.io.csv_bytes`) unless ``bom`` is false (``--no-bom``) or it is shown on a
    terminal; on standard output it is written as UTF-8 bytes whatever the locale.

    Raises
    ------
    ValueError
        If ``fmt`` is unknown or ``xlsx`` is asked for without ``--output``.
    """
    if fmt not in FORMATS:
        raise ArgumentError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "xlsx":
        if not output:
            raise ArgumentError("--format xlsx needs --output FILE.xlsx")
        write_xlsx(Path(output), {"Sheet1": df})
        return
    if fmt == "csv":
        if output:
            write_csv(Path(output), df, bom=bom)
        else:
            _write_stdout_csv(frame_csv_text(df), bom)
        return
    if fmt == "json":
        text = (
            json.dumps(
                json.loads(df.to_json(orient="records", force_ascii=False)),
                ensure_ascii=False,
                indent=1,
            )
            + "\n"
        )
    else:
        with pd.option_context(
            "display.max_rows", None, "display.max_columns", None, "display.width", 200
        ):
            text = (f"{title}\n" if title else "") + df.to_string(index=False) + "\n"
    if output:
        write_text_atomic(Path(output), text)
    else:
        sys.stdout.write(text)


def _write_stdout_csv(text: str, bom: bool) -> None:
    """Write CSV to standard output: UTF-8 bytes, the mark unless a terminal shows it."""
    out = sys.stdout
    bom = bom and not (hasattr(out, "isatty") and out.isatty())
    buffer = getattr(out, "buffer", None)
    if buffer is None:  # a text-only stream (io.StringIO, a notebook): the mark as a character
        out.write((CSV_BOM if bom else "") + text)
        return
    out.flush()
    buffer.write(csv_bytes(text, bom=bom))
    buffer.flush()
