"""What the command line accepts: numbers that mean something, files of the kind an option reads.

Two rules, each in one place, for every subcommand (:func:`tcmcounty.cli.build_parser` calls
:func:`apply_checks` once all subcommands are registered, so an option added later is covered):

* **Numbers** are checked by the parser itself. Every option declared with ``type=float`` or
  ``type=int`` gets a :class:`Number`: a finite number (``nan``, ``inf`` are refused) within
  the bounds of :data:`NUMBERS` for its name, ``>= 0`` for an option not listed there.
  A refused value exits with 2 and a message in English and Chinese naming the option, the
  value and the bounds. Threshold lists (``--thresholds``, ``--radius``: text with units)
  are read by the coverage module's own parser before any work and must be finite and
  positive (:func:`check_thresholds`).
* **Files** given to an option are checked before any work (:func:`check_files`, called by
  :func:`tcmcounty.cli.main`): each option of :data:`FILE_OPTIONS` names the check of its
  kind, which refuses a file that is not of that kind by :class:`tcmcounty.io.UnusableFileError`
  — the file, its role, why not, what was expected — and never prints any of the file's
  content (a path pointed at a system file or a secret must not echo it).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tcmcounty.errors import TcmCountyError
from tcmcounty.io import FileKind, UnusableFileError, check_user_file

# ------------------------------------------------------------------------------------ numbers


@dataclass(frozen=True)
class Number:
    """An argparse type: a finite number within ``low``–``high`` (``integer`` for counts).

    ``low_open`` excludes ``low`` itself (a time limit must be > 0). Every refusal says the
    value and the bounds in English and Chinese.

    Examples
    --------
    >>> Number(1, 10)("1.5")
    1.5
    >>> Number(0, 10)("nan")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: 'nan' is not a finite number: give a number from 0 to 10 / 须为 0 至 10 之间的有限数值，不能是 'nan'
    >>> Number(0, integer=True)("-2")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: '-2' is out of range: give a whole number at least 0 / 须为不小于 0 的整数，不能是 '-2'
    """

    low: float = 0.0
    high: float = math.inf
    integer: bool = False
    low_open: bool = False
    unit: str = ""

    def bounds(self) -> tuple[str, str]:
        """Return the bounds as text, in English and in Chinese as it reads after 须为."""
        lo = f"{self.low:g}" if not self.integer else f"{int(self.low):,}"
        unit = f" {self.unit}" if self.unit else ""
        if math.isinf(self.high):
            en = f"{'more than' if self.low_open else 'at least'} {lo}{unit}"
            zh = f"{'大于' if self.low_open else '不小于'} {lo}{unit} "
            return en, zh
        hi = f"{self.high:g}" if not self.integer else f"{int(self.high):,}"
        lead = "more than " if self.low_open else "from "
        return (
            f"{lead}{lo} to {hi}{unit}",
            f" {lo}{' (不含)' if self.low_open else ''} 至 {hi}{unit} 之间",
        )

    def __call__(self, text: str) -> float | int:
        """Return ``text`` as a number within the bounds, or raise ``ArgumentTypeError``."""
        en, zh = self.bounds()
        kind_en = "whole number" if self.integer else "number"
        kind_zh = "整数" if self.integer else "数值"
        try:
            value: float | int = int(text.strip()) if self.integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a {kind_en}: give a {kind_en} {en} / 须为{zh}的{kind_zh}，"
                f"不能是 {text!r}"
            ) from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a finite number: give a number {en} / 须为{zh}的有限数值，"
                f"不能是 {text!r}"
            )
        too_low = value <= self.low if self.low_open else value < self.low
        if too_low or value > self.high:
            raise argparse.ArgumentTypeError(
                f"{text!r} is out of range: give a {kind_en} {en} / 须为{zh}的{kind_zh}，"
                f"不能是 {text!r}"
            )
        return value


@dataclass(frozen=True)
class Share(Number):
    """A share from 0 to 1, also written as a percentage (``10%``).

    Examples
    --------
    >>> Share()("10%"), Share()("0.25")
    (0.1, 0.25)
    """

    high: float = 1.0

    def __call__(self, text: str) -> float:
        """Return ``text`` as a share, reading ``N%`` as ``N / 100``."""
        s = text.strip()
        if s.endswith("%"):
            return float(Number(0, 100, unit="%")(s[:-1])) / 100.0
        return float(super().__call__(s))


#: Bounds of every numeric option, by its ``dest``. An option not listed must be finite and
#: ``>= 0``; list it here when it means something narrower.
NUMBERS: dict[str, Number] = {
    "detour": Number(1.0, 10.0),  # road / straight-line factor: 1.2-1.5 typical, 3 in gorges
    "max_snap": Number(0.0, 100_000.0, low_open=True, unit="m"),
    "max_minutes": Number(0.0, 1440.0, low_open=True, unit="min"),
    "below": Number(0.0, 1_000_000.0),
    "time_limit": Number(0.0, 86_400.0, low_open=True, unit="s"),
    "timeout": Number(0.0, 7 * 86_400.0, low_open=True, unit="s"),
    "retries": Number(0, 10, integer=True),
    "workers": Number(1, 1024, integer=True),
    "target_share": Share(),
    "sites": Number(0, 100_000, integer=True),
    "villages": Number(1, 100_000, integer=True),  # synthetic villages per county
    "facilities": Number(1, 100_000, integer=True),
    "seed": Number(0, 2**32 - 1, integer=True),
    "random": Number(0, 3_000, integer=True),  # China has about 2,850 county-level units
}
#: Options holding a list of thresholds or one radius, read by the coverage module's parser.
THRESHOLD_OPTIONS = ("thresholds", "radius")
#: Largest threshold accepted by the parser: 5,000 km, or a week in minutes.
MAX_THRESHOLD_M = 5_000_000.0
MAX_THRESHOLD_MIN = 7 * 1440.0


class ThresholdError(TcmCountyError, ValueError):
    """A threshold list given on the command line cannot be read or is out of range."""


def check_thresholds(text: str) -> str:
    """Return ``text`` if it is a list of finite, positive thresholds (checked, kept as text).

    Read by :func:`tcmcounty.spatial.coverage.parse_thresholds`, the parser every command uses later,
    so the rule is that parser's; here only before any work, with the ranges added.

    Raises
    ------
    ThresholdError
        Naming the value and what a threshold is, in English and Chinese.

    Examples
    --------
    >>> check_thresholds("1,2,5km")
    '1,2,5km'
    >>> check_thresholds("1e308")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    tcmcounty.cli.checks.ThresholdError: threshold '1e308' is out of range: ...
    """
    from tcmcounty.spatial.coverage import parse_thresholds

    try:
        parsed = parse_thresholds(text)
    except (ValueError, TypeError) as exc:
        raise ThresholdError(f"{exc} / 无法读取阈值 {text!r}") from None
    for t in parsed:
        top = MAX_THRESHOLD_MIN if t.unit == "min" else MAX_THRESHOLD_M
        if not (math.isfinite(t.value) and 0 < t.value <= top):
            raise ThresholdError(
                f"threshold {text!r} is out of range: give distances above 0 and at most "
                f"{MAX_THRESHOLD_M / 1000:,.0f} km, or minutes above 0 and at most "
                f"{MAX_THRESHOLD_MIN:,.0f} / 阈值须大于 0，距离不超过 {MAX_THRESHOLD_M / 1000:,.0f} "
                f"公里，时间不超过 {MAX_THRESHOLD_MIN:,.0f} 分钟"
            )
    return text


# -------------------------------------------------------------------------------------- files

#: A column map (``--columns``).
COLUMN_MAP = FileKind(
    "column map",
    "列映射",
    "a column map in TOML (tcmcounty inspect FILE --write-map writes one)",
    "TOML 格式的列映射（可用 tcmcounty inspect 文件 --write-map 生成）",
    max_bytes=16 * 1024 * 1024,
)
#: A targets file (``--targets``), when it is not the name of a shipped target set.
TARGETS_FILE = FileKind(
    "targets file",
    "目标文件",
    "a targets file in TOML, or a CSV table with the columns id, kind, value ... "
    "(docs/indicators.md), or the name of a shipped target set",
    "TOML 格式的目标文件，或含 id、kind、value 等列的 CSV 表格（见 docs/indicators.md），或内置目标集名称",
    max_bytes=16 * 1024 * 1024,
)


def check_toml(path: str | os.PathLike[str], kind: FileKind) -> Path:
    """Return ``path`` if it is a UTF-8 TOML file, else refuse it without quoting it.

    Raises
    ------
    tcmcounty.io.UnusableFileError
        Naming the file, its role and where the TOML breaks (line and column, never the text).
    """
    p = check_user_file(path, kind)
    try:
        tomllib.loads(p.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UnusableFileError(p, kind, "is not UTF-8 text", "不是 UTF-8 文本") from None
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"line \d+, column \d+", str(exc))
        where = f" ({at.group()})" if at else ""
        raise UnusableFileError(
            p, kind, f"is not valid TOML{where}", f"不是有效的 TOML{where}"
        ) from None
    return p


def check_targets(value: str) -> str:
    """Accept a shipped target set's name, or a targets file that the targets reader accepts.

    A file is first checked for its kind without quoting it (text for ``.csv``, TOML
    otherwise), then read in full by :func:`tcmcounty.indicators.targets.load_targets`, whose
    errors name the file, row and key (and never quote a file that is no targets table), so
    that a batch never starts with targets every county would fail on.
    """
    from tcmcounty.indicators.targets import load_targets, shipped_target_sets

    if value not in shipped_target_sets():
        if Path(value).suffix.lower() == ".csv":
            from tcmcounty.inputs.text import DecodeError, decode

            p = check_user_file(value, TARGETS_FILE)
            try:
                decode(p.read_bytes())
            except DecodeError:
                raise UnusableFileError(
                    p, TARGETS_FILE, "is not text in UTF-8 or GBK", "不是 UTF-8 或 GBK 文本"
                ) from None
        else:
            check_toml(value, TARGETS_FILE)
    load_targets(value)
    return value


def _columns(value: str) -> object:
    return check_toml(value, COLUMN_MAP)


def _travel_times(value: str) -> object:
    from tcmcounty.spatial.travel.model import check_travel_table

    return check_travel_table(value)


def _roads(value: str) -> object:
    from tcmcounty.spatial.travel.roads import check_road_file

    return check_road_file(value)


def _barriers(value: str) -> object:
    from tcmcounty.spatial.travel.roads import BARRIER_LAYER, check_vector_file

    return check_vector_file(value, BARRIER_LAYER)


def _friction(value: str) -> object:
    from tcmcounty.spatial.travel.friction import check_raster_file

    return check_raster_file(value)


def _speeds(value: str) -> object:
    from tcmcounty.spatial.travel.speeds import load_speeds

    return load_speeds(value)  # the file's kind, then every speed within its bounds


def _template(value: str) -> object:
    from tcmcounty.run.report import read_template

    return read_template(value)


#: Options that read a file, by ``dest``, with the check of the file's kind. Every option whose
#: value is a file to read must be listed here (``tests/test_hostile_classes.py`` points each
#: at a file holding a secret and fails on any that echoes it).
FILE_OPTIONS: dict[str, Callable[[str], object]] = {
    "columns": _columns,
    "targets": check_targets,
    "travel_times": _travel_times,
    "roads": _roads,
    "barriers": _barriers,
    "friction": _friction,
    "speeds": _speeds,
    "template": _template,
}
#: Options naming a file or folder the command writes (never read as input).
OUTPUT_OPTIONS = frozenset({"output", "out", "write_map"})


def check_files(args: argparse.Namespace) -> None:
    """Check every file given to an option of :data:`FILE_OPTIONS`, before any work is done.

    Threshold lists (:data:`THRESHOLD_OPTIONS`) are checked here too (:func:`check_thresholds`):
    their errors are the coverage parser's, which a command returns as exit 2.

    Raises
    ------
    ValueError
        For --travel-times given with --roads / --friction.
    ThresholdError
        For a threshold list that cannot be read or is out of range.
    tcmcounty.io.UnusableFileError
        For the first file that is not of its option's kind (never quoting it).
    tcmcounty.errors.TcmCountyError
        From a check that reads the file in full (a speed table's speeds).
    """
    from tcmcounty.cli.travel_options import check_travel_sources

    check_travel_sources(args)  # which options go together, before what each file holds
    for dest in THRESHOLD_OPTIONS:
        value = getattr(args, dest, None)
        if isinstance(value, str) and value:
            check_thresholds(value)
    for dest, check in FILE_OPTIONS.items():
        value = getattr(args, dest, None)
        if isinstance(value, str) and value:
            check(value)


# ------------------------------------------------------------------------------------ parsers


def subcommand_actions(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.Action]]:
    """Yield ``(subcommand, action)`` for every argument of every subcommand of ``parser``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                for a in sub._actions:
                    yield name, a


def apply_checks(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Give every numeric and threshold option of every subcommand its checked type.

    ``type=float`` / ``type=int`` options get the :class:`Number` of :data:`NUMBERS` (or
    finite and ``>= 0``), :class:`Number` options keep theirs. Returns ``parser``.
    """
    for _, action in subcommand_actions(parser):
        if action.type in (float, int) or isinstance(action.type, Number):
            default = Number(integer=action.type is int)
            action.type = NUMBERS.get(
                action.dest, action.type if isinstance(action.type, Number) else default
            )
    return parser
