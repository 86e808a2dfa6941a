"""Reading CSV files written in UTF-8, UTF-8 with BOM, GBK or GB18030."""

from __future__ import annotations

import csv
import io
from pathlib import Path

ENCODINGS = ("utf-8-sig", "gb18030")
MAX_BYTES = 200 * 1024 * 1024  # refuse files above 200 MB before parsing


class DecodeError(ValueError):
    """The bytes are in none of the supported encodings."""


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), else GB18030 (a superset of GBK).

    Returns
    -------
    text, encoding : str
        The decoded text and the name of the encoding that worked (``utf-8``, ``utf-8-sig`` or
        ``gb18030``).
    """
    for enc in ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            enc = "utf-8"
        return text, enc
    raise DecodeError("the file is neither UTF-8 nor GBK/GB18030")


def read_csv_rows(path: Path) -> tuple[list[list[str]], str]:
    """Read a CSV file into rows of text, detecting its encoding and delimiter.

    Raises
    ------
    DecodeError
        If the bytes are in no supported encoding.
    """
    data = path.read_bytes()
    text, enc = decode(data)
    sample = text[:4096]
    delimiter = ","
    if sample.count("\t") > sample.count(",") and sample.count("\t") > 0:
        delimiter = "\t"
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return rows, enc
