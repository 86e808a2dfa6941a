"""Reading CSV files written in UTF-8, UTF-8 with BOM, GBK, GB18030 or UTF-16 with BOM.

Decoding is strict and whole: a file is UTF-8 or it is GBK/GB18030, never a mixture. A UTF-8
line pasted into a GBK file would otherwise turn 西村 into mojibake without a word (GB18030
decodes almost any bytes), so such a file is refused, naming the line. A file that starts with
a UTF-16 byte order mark (Excel's "Unicode text", WPS exports) is UTF-16 as a whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

ENCODINGS = ("utf-8-sig", "gb18030")
MAX_BYTES = 200 * 1024 * 1024  # refuse files above 200 MB before parsing
#: Longest field read (the csv module's own limit); a longer one is almost always an unclosed
#: quote that swallowed the rest of the file.
MAX_FIELD = 131_072


class DecodeError(ValueError):
    """The bytes are in none of the supported encodings, or in two of them.

    Attributes
    ----------
    en, zh : str
        What is wrong and what to do, in English and Chinese.
    line : int or None
        The first line that shows the problem.
    """

    def __init__(self, en: str, zh: str, line: int | None = None) -> None:
        super().__init__(en)
        self.en, self.zh, self.line = en, zh, line


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _utf8_line(data: bytes) -> int | None:
    """Return the first line holding UTF-8 multi-byte characters (in a file not UTF-8)."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        return number
    return None


#: Byte order marks of UTF-16 (checked after UTF-32's, which begins like UTF-16-LE's).
UTF16_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode(data: bytes) -> tuple[str, str]:
    r"""Decode bytes as UTF-8 (with or without BOM), else GB18030 (a superset of GBK).

    Bytes that start with a UTF-16 (or UTF-32) byte order mark are decoded as such.

    Returns
    -------
    text, encoding : str
        The decoded text and the name of the encoding that worked (``utf-8``, ``utf-8-sig``,
        ``gb18030``, ``utf-16`` or ``utf-32``).

    Raises
    ------
    DecodeError
        If the bytes are in none of them, or if a GBK file holds UTF-8 lines (naming the first).

    Examples
    --------
    >>> decode("村名称,人口".encode("gbk"))
    ('村名称,人口', 'gb18030')
    >>> decode("村名称\t人口".encode("utf-16"))
    ('村名称\t人口', 'utf-16')
    """
    for bom, name in UTF16_BOMS:
        if data.startswith(bom):
            return _decode_utf16(data, name), name
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first_bad = _line_of(data, exc.start)
    else:
        return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        mixed = _utf8_line(data)
        if mixed is not None and mixed != first_bad:
            raise _mixed(mixed, first_bad) from None
        raise DecodeError(
            f"cannot decode the file (line {line}): expected UTF-8, UTF-8 with BOM, GBK or GB18030",
            f"无法解码（第 {line} 行）：应为 UTF-8、带BOM的UTF-8、GBK 或 GB18030 编码",
            line,
        ) from None
    mixed = _utf8_line(data)
    if mixed is not None:
        raise _mixed(mixed, first_bad)
    return text, "gb18030"


def _decode_utf16(data: bytes, name: str) -> str:
    try:
        return data.decode(name).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        unit = 4 if name == "utf-32" else 2
        line = data[: exc.start].decode(name, errors="replace").count("\n") + 1
        raise DecodeError(
            f"cannot decode the file (line {line}): it starts as {name.upper()} (byte order mark) "
            f"but is not {name.upper()} throughout (odd length or a broken {unit}-byte unit); "
            "save it again as UTF-8",
            f"无法解码（第 {line} 行）：文件以 {name.upper()} 字节顺序标记开头，但后文并非 {name.upper()}；"
            "请另存为 UTF-8",
            line,
        ) from None


def _mixed(utf8_line: int, gbk_line: int) -> DecodeError:
    return DecodeError(
        f"mixed encodings: line {utf8_line} is UTF-8 while line {gbk_line} is GBK; save the "
        "whole file in one encoding (UTF-8 is best)",
        f"编码混杂：第 {utf8_line} 行为 UTF-8，而第 {gbk_line} 行为 GBK；请将整个文件另存为同一编码"
        "（建议 UTF-8）",
        utf8_line,
    )


def read_csv_rows(path: Path) -> tuple[Iterator[list[str]], str]:
    """Read a CSV file into rows of text, detecting its encoding and delimiter.

    Returns
    -------
    rows, encoding : iterator of list of str, str
        The rows, read as they are consumed (a million-row file is never held twice).

    Raises
    ------
    DecodeError
        If the bytes are in no supported encoding or mix two; while the rows are read, if a
        field is longer than :data:`MAX_FIELD` characters or the CSV is malformed.
    """
    data = path.read_bytes()
    text, enc = decode(data)
    del data
    sample = text[:4096]
    delimiter = ","
    if sample.count("\t") > sample.count(",") and sample.count("\t") > 0:
        delimiter = "\t"
    return _rows(text, delimiter), enc


#: Delimiters a text table may use, most likely first.
DELIMITERS = (",", "\t", ";")


def sniff_delimiter(text: str) -> str:
    r"""Guess a text table's delimiter (comma, tab or semicolon) from its first lines.

    Each candidate splits the first lines (quotes respected); the one that gives the same
    number of fields, more than one, on most lines wins; ties go to the earlier candidate in
    :data:`DELIMITERS`. A table of one column is comma-separated.

    Examples
    --------
    >>> sniff_delimiter("村名称;人口;备注\n西村;3500;\"含1,2组\"\n")
    ';'
    >>> sniff_delimiter("村名称\t人口\n西村\t3,500\n")
    '\t'
    """
    sample = text[:65536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    lines = [ln for ln in sample.splitlines() if ln.strip()][:50]
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        if not any(delimiter in ln for ln in lines):
            continue
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        common = max(set(counts), key=lambda n: (counts.count(n), n))
        if common < 2:
            continue
        score = (counts.count(common) / len(counts), common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def split_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    r"""Split decoded text into rows of fields, as they are consumed.

    Raises
    ------
    DecodeError
        While the rows are read, if a field is longer than :data:`MAX_FIELD` characters or the
        text is malformed.

    Examples
    --------
    >>> list(split_rows('村名称,人口\n"西村,一组",3500\n', ","))
    [['村名称', '人口'], ['西村,一组', '3500']]
    """
    return _rows(text, delimiter)


def _rows(text: str, delimiter: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    del text
    try:
        yield from reader
    except csv.Error as exc:
        line = reader.line_num
        if "field larger than field limit" in str(exc):
            raise DecodeError(
                f"a field ending on line {line} is longer than {MAX_FIELD:,} characters (an "
                'unclosed quote " ?); close the quote or shorten the cell',
                f"第 {line} 行附近有一个单元格超过 {MAX_FIELD:,} 个字符（引号未闭合？）",
                line,
            ) from None
        raise DecodeError(
            f"the file is not valid CSV near line {line}: {exc}",
            f"第 {line} 行附近不是有效的 CSV：{exc}",
            line,
        ) from None
