"""Writing result tables in the formats every command offers: table, csv, json, xlsx."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from tcmcounty.io import atomic_path

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
        with atomic_path(Path(output)) as tmp:
            df.to_excel(tmp, index=False, engine="openpyxl")
        return
    if fmt == "csv":
        text = df.to_csv(index=False, lineterminator="\n")
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
        with atomic_path(Path(output)) as tmp:
            tmp.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
