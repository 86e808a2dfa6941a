"""The shape of ``county.toml``, checked before anything reads it.

TOML lets a planner write shapes the contract does not mean: ``[[population.resident]]`` (an
array of tables), a bare ``resident = 10000``, ``coordinates = "GCJ-02"``, ``year = inf``, a
misspelt key. :func:`check_shape` compares the parsed document with :data:`SHAPE`: a value of
the wrong shape is an error naming the key (and its line) and the shape expected, and is
removed so that later checks never meet it; an unknown key is a warning naming the nearest
known key.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

from tcmcounty.county import POPULATION_KEYS, RESOURCE_KEYS, UNIT_KEYS
from tcmcounty.inputs.cells import MAX_COUNT, clean_text
from tcmcounty.inputs.raw import RawBundle

#: Largest ``county.toml`` read (a real one is 2–10 KB).
MAX_TOML_BYTES = 1024 * 1024

#: Keys of one figure (``[population.resident]``, ``[resources.beds]`` and their ``.estimate``).
FIGURE: dict[str, str] = {
    "value": "number",
    "year": "year",
    "source": "text",
    "status": "text",
    "method": "text",
    "note": "text",
}
#: The contract: key -> kind, or a nested table.
SHAPE: dict[str, Any] = {
    "adcode": "code",
    "name_zh": "name",
    "name_en": "name",
    "province": "name",
    "city": "name",
    "reference_year": "year",
    "synthetic": "bool",
    "note": "text",
    "coordinates": {"townships": "text", "villages": "text", "facilities": "text"},
    "population": ("entries", tuple(POPULATION_KEYS)),
    "resources": ("entries", tuple(RESOURCE_KEYS)),
    "tcm_hospital": {
        "name": "name",
        "grade": "text",
        "departments": "text_list",
        "status": "text",
        "source": "text",
        "year": "year",
        "note": "text",
    },
    "survey": {
        "respondents": "count",
        "satisfied": "count",
        "awareness_respondents": "count",
        "aware": "count",
        "year": "year",
        "source": "text",
        "status": "text",
        "method": "text",
        "note": "text",
    },
    # units the county declares it has (乡镇卫生院 19 个, 村卫生室 312 个): the roster is
    # checked against them
    "units": {
        **dict.fromkeys(UNIT_KEYS, "count"),
        "year": "year",
        "source": "text",
        "status": "text",
        "note": "text",
    },
}
#: Top-level tables some bundles carry for their own notes; read by nothing, never warned.
EXTRA_SECTIONS = ("area", "census")

_EXAMPLE = {
    "coordinates": '[coordinates] with townships = "EPSG:4326", villages = …, facilities = …',
    "survey": "[survey] with respondents = 400, satisfied = 372, year, source, status",
    "tcm_hospital": '[tcm_hospital] with grade = "二级甲等", departments = ["康复科"], source',
    "population": "[population.resident] with value, year, source, status",
    "resources": "[resources.beds] with value, year, source, status",
    "units": "[units] with township_health_centre = 19, village_clinic = 312, year, source",
}
_KIND_EN = {
    "number": "a number such as 10000",
    "count": "a whole number >= 0 such as 400",
    "year": "a year such as 2023",
    "text": 'text in quotes, such as "official"',
    "name": 'text in quotes, such as "测试县"',
    "code": 'a 6-digit code in quotes, such as "410101"',
    "text_list": 'a list of texts, such as ["治未病科", "康复科"]',
    "bool": "true or false",
}
_KIND_ZH = {
    "number": "数字，如 10000",
    "count": "非负整数，如 400",
    "year": "年份，如 2023",
    "text": '带引号的文字，如 "official"',
    "name": '带引号的文字，如 "测试县"',
    "code": '带引号的6位代码，如 "410101"',
    "text_list": '文字列表，如 ["治未病科", "康复科"]',
    "bool": "true 或 false",
}


def check_shape(meta: dict[str, Any], text: str, raw: RawBundle) -> None:
    """Check ``meta`` (parsed from ``text``) against :data:`SHAPE`, in place.

    Parameters
    ----------
    meta : dict
        The parsed ``county.toml``; values of the wrong shape are removed.
    text : str
        The file's text, to give each problem its line.
    raw : RawBundle
        Receives the problems (file ``county.toml``, column = the dotted key).
    """
    lines = text.splitlines()
    _table(meta, SHAPE, "", lines, raw, top=True)


def _table(
    table: dict[str, Any],
    shape: dict[str, Any],
    prefix: str,
    lines: list[str],
    raw: RawBundle,
    top: bool = False,
) -> None:
    for key in list(table):
        where = f"{prefix}{key}"
        value = table[key]
        if key not in shape:
            if top and key in EXTRA_SECTIONS:
                continue
            _unknown(where, key, list(shape), prefix, lines, raw)
            continue
        kind = shape[key]
        if isinstance(kind, dict):
            if not _is_table(value, where, _EXAMPLE.get(key, f"[{where}]"), lines, raw):
                del table[key]
                continue
            _table(value, kind, f"{where}.", lines, raw)
        elif isinstance(kind, tuple):
            if not _is_table(value, where, _EXAMPLE[key], lines, raw):
                del table[key]
                continue
            _entries(value, where, lines, raw)
        elif not _scalar(table, key, kind, where, lines, raw):
            del table[key]


def _entries(section: dict[str, Any], prefix: str, lines: list[str], raw: RawBundle) -> None:
    """Check ``[population.<key>]`` / ``[resources.<key>]`` entries (unknown keys: validate)."""
    for name in list(section):
        where = f"{prefix}.{name}"
        value = section[name]
        example = f"[{where}] with value = {value!r}, year, source and status"
        if not _is_table(value, where, example, lines, raw):
            del section[name]
            continue
        _figure(value, where, lines, raw, estimate_allowed=True)


def _figure(
    fig: dict[str, Any], where: str, lines: list[str], raw: RawBundle, estimate_allowed: bool
) -> None:
    for key in list(fig):
        at = f"{where}.{key}"
        if key == "estimate" and estimate_allowed:
            value = fig[key]
            example = f"[{at}] with value = {value!r}, year, source, status and method"
            if not _is_table(value, at, example, lines, raw):
                del fig[key]
                continue
            _figure(value, at, lines, raw, estimate_allowed=False)
            continue
        if key not in FIGURE:
            known = [*FIGURE, *(["estimate"] if estimate_allowed else [])]
            _unknown(at, key, known, f"{where}.", lines, raw)
            continue
        # A figure's value is named by the figure itself (resources.beds), as validate does.
        if not _scalar(fig, key, FIGURE[key], where if key == "value" else at, lines, raw):
            del fig[key]


def _is_table(value: object, where: str, example: str, lines: list[str], raw: RawBundle) -> bool:
    if isinstance(value, dict):
        return True
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        en = (
            f"expected one table [{where}], found an array of tables [[{where}]]; write it "
            "with single brackets, once"
        )
        zh = f"应为一个表 [{where}]，却是表数组 [[{where}]]；请用单层方括号，且只写一次"
    else:
        en = f"expected a table, found {_shown(value)}; write {example}"
        zh = f"应为一个表，却是 {_shown(value)}；请写作 {example}"
    raw.problem("error", "county", en, zh, _line(lines, where), where, _shown(value))
    return False


def _scalar(
    table: dict[str, Any], key: str, kind: str, where: str, lines: list[str], raw: RawBundle
) -> bool:
    """Check one value; normalise it in place; False (after an error) when it must go."""
    value = table[key]
    ok = True
    if kind in ("text", "name", "code"):
        if kind == "code" and isinstance(value, int) and not isinstance(value, bool):
            table[key] = value = str(value)
        ok = isinstance(value, str)
        if ok and kind == "name":
            cleaned, changed = clean_text(value)
            if changed:
                raw.problem(
                    "warning",
                    "county",
                    "control characters (line break, tab, NUL …) removed from the name",
                    "名称中的控制字符（换行、制表符、NUL 等）已删除",
                    _line(lines, where),
                    where,
                    repr(value[:40]),
                )
                table[key] = cleaned
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "text_list":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif kind in ("number", "count", "year"):
        ok = _number_ok(value, kind)
        if ok and kind in ("count", "year") and isinstance(value, float):
            table[key] = int(value)
    if ok:
        return True
    en = f"expected {_KIND_EN[kind]}, found {_shown(value)}"
    zh = f"应为{_KIND_ZH[kind]}，却是 {_shown(value)}"
    if kind in ("number", "count") and _is_number(value) and _too_large(value):
        en = f"number too large: no county count exceeds {MAX_COUNT:,}"
        zh = f"数值过大：县级统计数不可能超过 {MAX_COUNT:,}"
    raw.problem("error", "county", en, zh, _line(lines, where), where, _shown(value))
    return False


def _too_large(value: object) -> bool:
    """Return True for a finite number beyond :data:`MAX_COUNT` (an int of any length)."""
    if isinstance(value, int):
        return abs(value) > MAX_COUNT
    return math.isfinite(float(value)) and abs(float(value)) > MAX_COUNT  # type: ignore[arg-type]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_ok(value: object, kind: str) -> bool:
    if not _is_number(value):
        return False
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:  # an int of hundreds of digits
        return False
    if not math.isfinite(number) or abs(number) > MAX_COUNT:
        return False
    if kind in ("count", "year"):
        return number.is_integer() and number >= 0
    return True


def _shown(value: object) -> str:
    """Return the value as TOML would write it, shortened."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):
        text = "a table"
    elif isinstance(value, list):
        text = "an array"
    elif isinstance(value, str):
        text = f'"{value}"'
    else:
        text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _unknown(
    where: str, key: str, known: list[str], prefix: str, lines: list[str], raw: RawBundle
) -> None:
    near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint_en = f"; did you mean {prefix}{near[0]}?" if near else f"; known: {', '.join(known)}"
    hint_zh = f"；是否应为 {prefix}{near[0]}？" if near else f"；可用：{', '.join(known)}"
    raw.problem(
        "warning",
        "county",
        f"unknown key {where} ignored{hint_en}",
        f"未知字段 {where}，已忽略{hint_zh}",
        _line(lines, where),
        where,
    )


def _line(lines: list[str], where: str) -> int | None:
    """Return the line defining a dotted key (``[a.b]`` header, ``[a] … c =``), if found."""
    parts = where.split(".")
    for cut in range(len(parts), 0, -1):
        section, rest = parts[:cut], parts[cut:]
        pattern = re.compile(r"^\s*\[\[?\s*" + r"\s*\.\s*".join(map(re.escape, section)) + r"\s*\]")
        for i, line in enumerate(lines):
            if pattern.match(line):
                if not rest:
                    return i + 1
                key = re.compile(r"^\s*" + r"\s*\.\s*".join(map(re.escape, rest)) + r"\s*=")
                for j in range(i + 1, len(lines)):
                    if lines[j].lstrip().startswith("["):
                        break
                    if key.match(lines[j]):
                        return j + 1
    key = re.compile(r"^\s*" + r"\s*\.\s*".join(map(re.escape, parts)) + r"\s*=")
    for i, line in enumerate(lines):
        if line.lstrip().startswith("["):
            break
        if key.match(line):
            return i + 1
    return None


#: Names of the county read from a workbook's county sheet (cleaned of control characters).
NAME_KEYS = ("name_zh", "name_en", "province", "city")


def clean_names(meta: dict[str, Any], raw: RawBundle) -> None:
    """Remove control characters from the county's names read from a workbook, warning once each."""
    for key in NAME_KEYS:
        value = meta.get(key)
        if isinstance(value, str):
            cleaned, changed = clean_text(value)
            if changed:
                raw.problem(
                    "warning",
                    "county",
                    "control characters (line break, tab, NUL …) removed from the name",
                    "名称中的控制字符（换行、制表符、NUL 等）已删除",
                    None,
                    key,
                    repr(value[:40]),
                )
                meta[key] = cleaned
