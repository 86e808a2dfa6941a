"""Target sets: the shipped default and user files (TOML or CSV) laid over it.

A user file names targets by indicator ID (``T-DOC``) or ID and level (``T-DNR@township``).
For every indicator it mentions, it replaces all default targets of that indicator; other
indicators keep the default. No code changes are needed to use a province's or county's plan.

TOML::

    [target_set]                 # optional; id defaults to the file name
    id = "sichuan-2025"
    name_zh = "四川省医疗卫生服务体系规划（2021—2025年）"

    [targets.T-DOC]
    kind = "at_least"            # at_least | at_most | range | equals | boolean | none
    value = 3.0
    source = "四川省医疗卫生服务体系规划（2021—2025年）"
    clause = "表1"
    grade = "verified"           # verified | derived | unverified (default: unverified)

    [targets.T-TCMGP]
    kind = "range"
    low = 0.6
    high = 0.8

CSV (UTF-8): columns ``id, kind, value, low, high, text, source, clause, basis, evidence, grade``;
``id`` may carry ``@county`` / ``@township``.

Every target has an evidence grade (:data:`~tcmcounty.indicators.model.EVIDENCE_GRADES`):
``verified`` (the official text was read), ``derived`` (from an official document of another
scope) or ``unverified`` (seen only second-hand). A user target that does not say is
``unverified``; the shipped set states a grade for every target.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from tcmcounty.errors import InputError, Problem
from tcmcounty.indicators._files import (
    packaged_names,
    packaged_text,
    parse_toml,
    problem,
    read_user_text,
)
from tcmcounty.indicators.model import (
    EVIDENCE_GRADES,
    LEVELS,
    TARGET_KINDS,
    Indicator,
    Target,
    TargetSet,
)
from tcmcounty.indicators.registry import Registry, load_registry

DEFAULT_TARGET_SET = "national-2025"
_SHIPPED = {"national-2025": "targets_national_2025.toml"}
_TEXT_KEYS = ("text", "source", "clause", "basis", "evidence")
_NUM_KEYS = ("value", "low", "high")
_KEYS = ("kind", *_NUM_KEYS, *_TEXT_KEYS, "grade")


def _number(raw: object, file: str, where: str, problems: list[Problem]) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        problems.append(problem(file, where, "expected a number", "应为数字", raw))
        return None
    try:
        x = float(str(raw).strip().rstrip("%")) if isinstance(raw, str) else float(raw)  # type: ignore[arg-type]
    except ValueError:
        problems.append(problem(file, where, "expected a number", "应为数字", raw))
        return None
    if not math.isfinite(x):
        problems.append(problem(file, where, "expected a finite number", "应为有限数值", raw))
        return None
    return x


def _grade(
    entry: Mapping[str, object],
    file: str,
    where: str,
    required: bool,
    problems: list[Problem],
) -> str | None:
    """Return the target's evidence grade (``unverified`` when a user file does not say)."""
    raw = entry.get("grade")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            problems.append(
                problem(
                    file,
                    f"{where}.grade",
                    f"every shipped target states its evidence grade; expected one of: "
                    f"{', '.join(EVIDENCE_GRADES)}",
                    f"缺少证据等级；应为 {'/'.join(EVIDENCE_GRADES)} 之一",
                )
            )
            return None
        return "unverified"
    grade = str(raw).strip().lower()
    if grade not in EVIDENCE_GRADES:
        problems.append(
            problem(
                file,
                f"{where}.grade",
                f"unknown evidence grade; expected one of: {', '.join(EVIDENCE_GRADES)}",
                f"证据等级无效；应为 {'/'.join(EVIDENCE_GRADES)} 之一",
                raw,
            )
        )
        return None
    return grade


def _target(
    key: str,
    entry: Mapping[str, object],
    registry: Registry,
    set_id: str,
    file: str,
    prefix: str,
    problems: list[Problem],
    require_grade: bool = False,
) -> Target | None:
    where = f"{prefix}{key}"
    ind_id, _, level = str(key).partition("@")
    if ind_id not in registry.ids:
        problems.append(
            problem(
                file,
                where,
                f"unknown indicator ID; expected one of: {', '.join(registry.ids)}",
                "未知指标编号",
                ind_id,
            )
        )
        return None
    if level and level not in LEVELS:
        problems.append(
            problem(
                file,
                where,
                f"unknown level after '@'; expected {' or '.join(LEVELS)}",
                "层级应为 county 或 township",
                level,
            )
        )
        return None
    unknown = [k for k in entry if k not in _KEYS]
    if unknown:
        problems.append(
            problem(
                file,
                f"{where}.{unknown[0]}",
                f"unknown key; expected some of: {', '.join(_KEYS)}",
                "未知字段",
                unknown[0],
            )
        )
        return None
    kind = str(entry.get("kind", "")).strip()
    if kind not in TARGET_KINDS:
        problems.append(
            problem(
                file,
                f"{where}.kind",
                f"expected one of: {', '.join(TARGET_KINDS)}",
                "目标类型应为 at_least/at_most/range/equals/boolean/none",
                kind or "(empty)",
            )
        )
        return None
    ind = registry[ind_id]
    nums: dict[str, float | None] = {}
    for name in _NUM_KEYS:
        raw = entry.get(name)
        if kind == "boolean" and name == "value" and raw is not None:
            b = str(raw).strip().lower()
            if isinstance(raw, bool) or b in ("true", "false", "yes", "no", "是", "否", "1", "0"):
                nums[name] = 1.0 if (raw is True or b in ("true", "yes", "是", "1")) else 0.0
            else:
                problems.append(
                    problem(
                        file, f"{where}.value", "expected true or false", "应为 true 或 false", raw
                    )
                )
                return None
        elif isinstance(raw, str) and ind.scale and ind.rank(raw) is not None:
            nums[name] = float(ind.rank(raw))  # type: ignore[arg-type]
        else:
            if isinstance(raw, str) and ind.scale and raw.strip():
                problems.append(
                    problem(
                        file,
                        f"{where}.{name}",
                        f"expected a grade among {', '.join(ind.scale)}",
                        "等级不在等级表中",
                        raw,
                    )
                )
                return None
            nums[name] = _number(raw, file, f"{where}.{name}", problems)
    value, low, high = nums["value"], nums["low"], nums["high"]
    if kind in ("at_least", "boolean"):
        low, high = (value if value is not None else low), None
    elif kind == "at_most":
        low, high = None, (value if value is not None else high)
    elif kind == "equals":
        low = high = value if value is not None else low
    elif kind == "none":
        low = high = None
    grade = _grade(entry, file, where, require_grade, problems)
    if grade is None:
        return None
    texts = {k: " ".join(str(entry.get(k) or "").split()) for k in _TEXT_KEYS}
    try:
        return Target(ind_id, kind, low, high, level or None, set_id=set_id, grade=grade, **texts)
    except ValueError as exc:
        expected = {
            "at_least": "value",
            "at_most": "value",
            "range": "low and high",
            "equals": "value",
            "boolean": "value = true/false",
        }.get(kind, "")
        problems.append(
            problem(
                file, where, f"{exc}; expected {expected}", f"目标值缺失或无效；应填写 {expected}"
            )
        )
        return None


def parse_targets(
    data: Mapping[str, object],
    file: str,
    registry: Registry | None = None,
    default_id: str = "user",
    *,
    require_grade: bool = False,
) -> TargetSet:
    """Build a :class:`TargetSet` from parsed TOML (``[target_set]`` and ``[targets.<ID>]``).

    ``require_grade`` makes a target without ``grade`` an error (the shipped set); otherwise such
    a target is ``unverified``.

    Raises
    ------
    InputError
        Naming the file, the key and what was expected, for every problem found.
    """
    registry = registry or load_registry()
    if "target_set" not in data and "targets" not in data:
        # Another file (county.toml, a system file behind a symlink): name nothing in it.
        raise InputError(
            [
                problem(
                    file,
                    None,
                    "not a targets file: it has no [target_set] or [targets.<ID>] table",
                    "不是目标值文件：没有 [target_set] 或 [targets.<指标编号>] 表",
                )
            ],
            file,
        )
    meta = data.get("target_set", {})
    if not isinstance(meta, Mapping):
        raise InputError([problem(file, "target_set", "expected a table", "应为表")], file)
    unknown = [k for k in data if k not in ("target_set", "targets")]
    problems: list[Problem] = []
    if unknown:
        problems.append(
            problem(
                file,
                unknown[0],
                "unknown top-level key; expected [target_set] and [targets.<ID>]",
                "未知字段；应为 [target_set] 与 [targets.<指标编号>]",
                unknown[0],
            )
        )
    section = data.get("targets", {})
    if not isinstance(section, Mapping) or not section:
        problems.append(
            problem(
                file,
                "targets",
                "expected one or more [targets.<ID>] tables, e.g. [targets.T-DOC]",
                "应至少有一个 [targets.<指标编号>] 表",
            )
        )
        raise InputError(problems, file)
    set_id = str(meta.get("id") or default_id)
    targets: dict[str, Target] = {}
    wheres: dict[str, str] = {}
    for key, entry in section.items():
        if not isinstance(entry, Mapping):
            problems.append(
                problem(
                    file,
                    f"targets.{key}",
                    "expected a table with kind and value",
                    "应为含 kind 与 value 的表",
                    entry,
                )
            )
            continue
        t = _target(str(key), entry, registry, set_id, file, "targets.", problems, require_grade)
        if t is not None:
            targets[t.key] = t
            wheres[t.key] = f"targets.{key}"
    if not require_grade:
        targets = _share_units(targets, wheres, registry, file, problems)
    if problems:
        raise InputError(problems, file)
    return TargetSet(
        set_id,
        str(meta.get("name_zh", "")),
        str(meta.get("name_en", "")),
        " ".join(str(meta.get("description", "")).split()),
        targets,
        (file,),
    )


def parse_targets_csv(
    text: str, file: str, registry: Registry | None = None, default_id: str = "user"
) -> TargetSet:
    """Build a :class:`TargetSet` from CSV text (header ``id, kind, value, low, high, ...``).

    Raises
    ------
    InputError
        Naming the file, the row and column, and what was expected.
    """
    registry = registry or load_registry()
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputError(
            [
                problem(
                    file,
                    None,
                    "the file is empty; expected a header id, kind, value ...",
                    "文件为空",
                )
            ],
            file,
        )
    header = [h.strip().lower() for h in rows[0]]
    problems: list[Problem] = []
    if not {"id", "kind"} & set(header):
        # Not a targets table (a system file behind a symlink?): echo nothing of its content.
        raise InputError(
            [
                problem(
                    file,
                    None,
                    "not a targets file: its first line is not a header with the columns id, "
                    "kind, value, low, high, text, source, clause, basis, evidence, grade",
                    "不是目标值文件：首行不是含 id、kind、value 等列的表头",
                )
            ],
            file,
        )
    for col in ("id", "kind"):
        if col not in header:
            problems.append(
                problem(
                    file,
                    col,
                    f"required column '{col}' is missing; expected id, kind, value, low, "
                    "high, text, source, clause, basis, evidence, grade",
                    f"缺少必填列 '{col}'",
                )
            )
    extra = [h for h in header if h and h not in ("id", *_KEYS)]
    if extra:
        problems.append(
            problem(
                file,
                extra[0],
                f"unknown column; expected some of: id, {', '.join(_KEYS)}",
                "未知列",
                extra[0],
            )
        )
    if problems:
        raise InputError(problems, file)
    targets: dict[str, Target] = {}
    wheres: dict[str, str] = {}
    for n, r in enumerate(rows[1:], start=2):
        rec = {h: (r[i].strip() if i < len(r) else "") for i, h in enumerate(header) if h}
        key = rec.pop("id")
        entry = {k: v for k, v in rec.items() if v != ""}
        t = _target(key, entry, registry, default_id, file, f"row {n}: ", problems)
        if t is not None:
            targets[t.key] = t
            wheres[t.key] = f"row {n}: {key}"
    targets = _share_units(targets, wheres, registry, file, problems)
    if problems:
        raise InputError(problems, file)
    return TargetSet(default_id, targets=targets, files=(file,))


def _is_share(ind: Indicator) -> bool:
    return ind.factor == 100 and ind.unit_zh.strip() == "%"


def _share_units(
    targets: dict[str, Target],
    wheres: Mapping[str, str],
    registry: Registry,
    file: str,
    problems: list[Problem],
) -> dict[str, Target]:
    """Read a user file's share targets in percent; fractions only when the whole file uses them.

    A share (an indicator in %) is written 0–100. A file whose every share target is at most 1
    wrote them as fractions (0.9 for 90%): they are read ×100 and each target says so
    (:attr:`Target.reading`). A file that mixes the two (0.9 beside 85) is refused at the
    fraction's row: it cannot be told whether 0.9 means 0.9% or 90%. A share above 100 is refused.
    """
    shares = {
        k: t
        for k, t in targets.items()
        if t.kind in ("at_least", "at_most", "range", "equals") and _is_share(registry[t.indicator])
    }
    values = {k: [v for v in (t.low, t.high) if v is not None] for k, t in shares.items()}
    for k, vs in values.items():
        if any(v > 100 for v in vs):
            problems.append(
                problem(
                    file,
                    wheres.get(k, k),
                    f"a share target above 100%: {targets[k].indicator} is a percentage (0–100)",
                    "占比目标超过 100%：该指标为百分比（0–100）",
                    max(vs),
                )
            )
    small = [k for k, vs in values.items() if vs and all(v <= 1 for v in vs)]
    large = [k for k, vs in values.items() if any(1 < v <= 100 for v in vs)]
    if small and large:
        other = targets[large[0]]
        for k in small:
            written = "–".join(f"{v:g}" for v in values[k])
            problems.append(
                problem(
                    file,
                    wheres.get(k, k),
                    f"share target {written} looks like a fraction while other share targets of "
                    f"this file are percentages ({other.indicator} = {other.describe()}); write "
                    f"it in percent (e.g. {100 * values[k][0]:g} for {written})",
                    f"占比目标 {written} 像是小数，而本文件其他占比目标为百分数（{other.indicator} = "
                    f"{other.describe()}）；请按百分数填写（如 {100 * values[k][0]:g}）",
                    written,
                )
            )
        return targets
    out = dict(targets)
    for k in small:
        t = targets[k]
        low = None if t.low is None else round(t.low * 100, 10)
        high = None if t.high is None else round(t.high * 100, 10)
        written = "–".join(f"{v:g}" for v in values[k])
        read = "–".join(f"{v:g}" for v in (low, high) if v is not None)
        out[k] = replace(
            t,
            low=low,
            high=high,
            text="",
            reading=f"{Path(file).name}, {wheres.get(k, k)}: target written {written} read as "
            f"{read}% (every share target of the file is at most 1: fractions) / 目标值 "
            f"{written} 按比例读作 {read}%（该文件所有占比目标均不超过 1，视为小数）",
        )
    return out


@functools.lru_cache(maxsize=4)
def _shipped(name: str) -> TargetSet:
    fname = _SHIPPED[name]
    return parse_targets(
        parse_toml(packaged_text(fname), fname), fname, load_registry(), name, require_grade=True
    )


def shipped_target_sets() -> dict[str, str]:
    """Names of the target sets shipped with the package and their files.

    Examples
    --------
    >>> shipped_target_sets()
    {'national-2025': 'targets_national_2025.toml'}
    """
    return {k: v for k, v in _SHIPPED.items() if v in packaged_names()}


def default_targets() -> TargetSet:
    """Return the default target set: 示范县 targets + national 2025 planning values.

    Examples
    --------
    >>> ts = default_targets()
    >>> ts.id, ts.lookup("T-DOC").low, ts.lookup("T-TCMGP").high
    ('national-2025', 3.2, 0.8)
    """
    return _shipped(DEFAULT_TARGET_SET)


def target_set_label(set_id: str, lang: str = "zh") -> str:
    """Name a target set for people: a shipped set by its long name, any other by its id.

    A combined id (``"national-2025+sichuan-2025"``) is named part by part. The id is what
    tables and files keep; reports in Chinese show this name instead of the code.

    Parameters
    ----------
    set_id : str
        The :attr:`TargetSet.id` printed in result rows.
    lang : {"zh", "en", "zh-en"}
        Language of the name (``zh-en`` gives the Chinese name).

    Returns
    -------
    str

    Examples
    --------
    >>> target_set_label("national-2025")
    '示范县标准目标 + 全国2025年规划值（默认）'
    >>> target_set_label("national-2025+my-plan", "en").split(" + ")[-1]
    'my-plan'
    """
    names = []
    for part in str(set_id).split("+"):
        if part in shipped_target_sets():
            ts = _shipped(part)
            names.append(ts.name_en if lang == "en" else ts.name_zh)
        else:
            names.append(part)
    return " + ".join(names)


def load_targets(
    source: str | os.PathLike[str] | TargetSet | None = None,
    *,
    base: TargetSet | bool | None = True,
    registry: Registry | None = None,
) -> TargetSet:
    """Return a target set: the default, a shipped set by name, or a user file laid over the default.

    Parameters
    ----------
    source : str, path or TargetSet, optional
        ``None`` for the default set; the name of a shipped set (``"national-2025"``); a user
        file (``.toml`` or ``.csv``); or a :class:`TargetSet` (returned as it is).
    base : TargetSet, bool or None, default True
        What a user file is laid over: ``True`` for the default set, a :class:`TargetSet`, or
        ``False`` / ``None`` for nothing (the file alone).
    registry : Registry, optional
        Registry the IDs are checked against (the shipped one by default).

    Returns
    -------
    TargetSet
        Its ``id`` names what was used, e.g. ``"national-2025+sichuan-2025"``.

    Raises
    ------
    TypeError
        If ``source`` has another type.
    InputError
        If the file is invalid (file, key and what was expected are named).

    Examples
    --------
    >>> load_targets().id
    'national-2025'
    """
    if source is None:
        return default_targets()
    if isinstance(source, TargetSet):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            f"targets must be None, a target-set name, a file path or a TargetSet, "
            f"not {type(source).__name__}"
        )
    if isinstance(source, str) and source in _SHIPPED:
        return _shipped(source)
    file, text = read_user_text(source)
    stem = Path(file).stem
    if Path(file).suffix.lower() == ".csv":
        user = parse_targets_csv(text, file, registry, default_id=stem)
    else:
        user = parse_targets(parse_toml(text, file), file, registry, default_id=stem)
    if base is True:
        return default_targets().updated(user)
    if isinstance(base, TargetSet):
        return base.updated(user)
    if base is False or base is None:
        return user
    raise TypeError(f"base must be True, False, None or a TargetSet, not {type(base).__name__}")
