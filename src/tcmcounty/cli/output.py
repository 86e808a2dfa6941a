"""Writing result tables in the formats every command offers: table, csv, json, xlsx."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from tcmcounty.io import frame_csv_text, write_csv, write_text_atomic, write_xlsx

FORMATS = ("table", "csv", "json", "xlsx")


def add_format_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--format`` and ``--output`` to a subcommand."""
    parser.add_argument(
        "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    parser.add_argument(
        "--output", "-o", help="write to this file instead of standard output (xlsx needs it)"
    )


def emit(df: pd.DataFrame, fmt: str, output: str | None, title: str = "") -> None:
    """Write ``df`` in ``fmt`` to ``output`` (atomically) or to standard output.

    Spreadsheet formats never carry live formulas: in xlsx text is stored as text
    (:func:`tcmcounty.io.set_cell`); in CSV text starting like a formula gets a leading ``'``
    (:func:`tcmcounty.io.spreadsheet_text`).

    Raises
    ------
    ValueError
        If ``fmt`` is unknown or ``xlsx`` is asked for without ``--output``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "xlsx":
        if not output:
            raise ValueError("--format xlsx needs --output FILE.xlsx")
        write_xlsx(Path(output), {"Sheet1": df})
        return
    if fmt == "csv":
        if output:
            write_csv(Path(output), df)
            return
        text = frame_csv_text(df)
    elif fmt == "json":
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
