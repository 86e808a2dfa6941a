"""Travel speeds by road class and mode, from the shipped ``speeds.toml`` and a user's overrides.

The defaults (``tcmcounty/spatial/travel/speeds.toml``) name a source and an evidence grade for every
class. A user TOML with the same layout overrides single values or adds classes.

Examples
--------
>>> from tcmcounty.spatial.travel.speeds import load_speeds
>>> s = load_speeds()
>>> s.speed("secondary", "motor"), s.speed("县道", "motor"), s.speed("motorway", "walk")
(40.0, 40.0, 0.0)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tcmcounty.io import FileKind, check_user_file
from tcmcounty.spatial.travel._errors import TravelFileError, TravelInputError

#: Travel modes: walking (both directions on every way) and motorised (one-way respected).
MODES: dict[str, str] = {"walk": "walking / 步行", "motor": "motorised / 机动车"}

_GRADES = ("verified", "derived", "unverified")

#: Speeds (km/h) a mode may have: walking (steps, paths, a brisk walk) and motorised travel
#: (a village track to an expressway). 0 closes a class to a mode; any other speed outside
#: these bounds — nan, inf, 1e308, 0.01 — is refused, wherever it is given (a speed table,
#: a road layer's speed column, a speed raster), naming where and the value.
SPEED_BOUNDS: dict[str, tuple[float, float]] = {"walk": (0.5, 15.0), "motor": (1.0, 200.0)}
#: A speed table file (``--speeds``).
SPEED_TABLE = FileKind(
    "speed table",
    "速度表",
    "a TOML file of [classes.<name>] tables with walk and motor speeds in km/h "
    "(see docs/travel.md)",
    "TOML 格式的速度表（[classes.<名称>] 表，含 walk、motor 速度，单位公里/小时；见 docs/travel.md）",
    max_bytes=1024 * 1024,
)


def check_speed(value: object, mode: str, where: str, *, closed_ok: bool = True) -> float:
    """Return ``value`` as a speed in km/h for ``mode`` if it is one, else refuse it by name.

    A speed is a finite number within :data:`SPEED_BOUNDS` for the mode, or 0 (the mode may
    not use the class) where ``closed_ok``.

    Raises
    ------
    TravelInputError
        Naming ``where``, the value and the bounds, in English and Chinese.

    Examples
    --------
    >>> check_speed(40, "motor", "x.toml [classes.secondary] motor")
    40.0
    >>> check_speed(1e308, "motor", "x.toml [classes.secondary] motor")
    Traceback (most recent call last):
    tcmcounty.spatial.travel._errors.TravelInputError: x.toml [classes.secondary] motor: speed 1e+308 km/h is outside 1–200 km/h for motorised travel (0 closes the class to it) / 速度 1e+308 公里/小时超出机动车速度范围 1–200 公里/小时（0 表示禁行）
    """
    lo, hi = SPEED_BOUNDS[check_mode(mode)]
    zero = " (0 closes the class to it)" if closed_ok else ""
    zero_zh = "（0 表示禁行）" if closed_ok else ""
    mode_en = "walking" if mode == "walk" else "motorised travel"
    mode_zh = "步行" if mode == "walk" else "机动车"
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not np.isfinite(value)
        or value < 0
    ):
        raise TravelInputError(
            f"{where}: speed must be a number of km/h >= 0, not {value!r}: "
            f"{lo:g}–{hi:g} km/h for {mode_en}{zero} / 速度须为数值（{mode_zh} {lo:g}–{hi:g} "
            f"公里/小时{zero_zh}），不能是 {value!r}"
        )
    v = float(value)
    if v == 0 and closed_ok:
        return v
    if not lo <= v <= hi:
        raise TravelInputError(
            f"{where}: speed {v:g} km/h is outside {lo:g}–{hi:g} km/h for {mode_en}{zero} "
            f"/ 速度 {v:g} 公里/小时超出{mode_zh}速度范围 {lo:g}–{hi:g} 公里/小时{zero_zh}"
        )
    return v


def check_mode(mode: str) -> str:
    """Return ``mode`` if it is a known travel mode, else raise listing the valid ones.

    Examples
    --------
    >>> check_mode("walk")
    'walk'
    """
    if mode not in MODES:
        raise TravelInputError(f"unknown travel mode {mode!r}; valid modes: {', '.join(MODES)}")
    return mode


@dataclass(frozen=True)
class ClassSpeed:
    """Speeds (km/h) of one road class; 0 = the mode may not use it."""

    name: str
    label: str
    walk: float
    motor: float
    source: str
    grade: str
    aliases: tuple[str, ...] = ()
    note: str = ""

    def for_mode(self, mode: str) -> float:
        """Speed in km/h for ``mode``."""
        return self.walk if check_mode(mode) == "walk" else self.motor


@dataclass(frozen=True)
class SpeedTable:
    """Speeds by road class and mode, with the off-road (snapping) speed and sources.

    Attributes
    ----------
    classes : dict of str to ClassSpeed
        By class name (OSM ``highway`` values and Chinese road classes as aliases).
    default : ClassSpeed
        Used for classes not listed (each use is counted by the graph builder).
    off_road : dict of str to float
        Speed (km/h) between a point and the road it is snapped to, per mode.
    sources : dict of str to str
        Source keys to citations.
    files : tuple of str
        The TOML files read, defaults first.
    """

    classes: dict[str, ClassSpeed]
    default: ClassSpeed
    off_road: dict[str, float]
    sources: dict[str, str]
    files: tuple[str, ...] = field(default=())

    def lookup(self, road_class: str) -> ClassSpeed | None:
        """Return the class named ``road_class`` or having it as an alias (None if unknown)."""
        key = str(road_class).strip()
        if key in self.classes:
            return self.classes[key]
        low = key.lower()
        for c in self.classes.values():
            if low == c.name.lower() or key in c.aliases or low in (a.lower() for a in c.aliases):
                return c
        return None

    def speed(self, road_class: str, mode: str) -> float:
        """Speed in km/h of ``road_class`` for ``mode`` (the default class when unknown)."""
        c = self.lookup(road_class)
        return (c or self.default).for_mode(mode)

    def speeds(
        self, road_classes: Iterable[object], mode: str
    ) -> tuple[npt.NDArray[np.float64], dict[str, int]]:
        """Speeds (km/h) for an array of classes, and the count of each unknown class.

        Examples
        --------
        >>> v, unknown = load_speeds().speeds(["primary", "村道", "mystery", "mystery"], "motor")
        >>> v.tolist(), unknown
        ([60.0, 20.0, 20.0, 20.0], {'mystery': 2})
        """
        check_mode(mode)
        values = np.asarray(list(road_classes), dtype=object)
        uniq, inv = np.unique(values.astype(str), return_inverse=True)
        out = np.empty(len(uniq))
        unknown: dict[str, int] = {}
        counts = np.bincount(inv, minlength=len(uniq))
        for i, name in enumerate(uniq):
            c = self.lookup(name)
            if c is None:
                unknown[str(name)] = int(counts[i])
                c = self.default
            out[i] = c.for_mode(mode)
        return out[inv], unknown

    def digest(self) -> str:
        """Return a hash of every speed (part of the road-graph cache key)."""
        payload = {
            "classes": {k: [v.walk, v.motor, list(v.aliases)] for k, v in self.classes.items()},
            "default": [self.default.walk, self.default.motor],
            "off_road": self.off_road,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def citation(self, road_class: str) -> str:
        """Source text and grade of the speed used for ``road_class``."""
        c = self.lookup(road_class) or self.default
        return f"{self.sources.get(c.source, c.source)} [{c.grade}]"


def _default_file() -> Path:
    return Path(str(resources.files("tcmcounty.spatial.travel") / "speeds.toml"))


def _read(path: Path) -> dict[str, Any]:
    p = check_user_file(path, SPEED_TABLE, TravelFileError)
    try:
        return tomllib.loads(p.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise TravelFileError(p, SPEED_TABLE, "is not UTF-8 text", "不是 UTF-8 文本") from None
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"line \d+, column \d+", str(exc))  # where, never the text itself
        raise TravelFileError(
            p,
            SPEED_TABLE,
            f"is not a valid TOML file{f' ({at.group()})' if at else ''}; quote Chinese class "
            'names, e.g. [classes."村道"]',
            "不是有效的 TOML 文件（中文类别名须加引号）",
        ) from None


def _class(name: str, raw: dict[str, Any], base: ClassSpeed | None, file: str) -> ClassSpeed:
    where = f"{file} [classes.{name}]"
    unknown = set(raw) - {"label", "aliases", "walk", "motor", "source", "grade", "note"}
    if unknown:
        raise TravelInputError(
            f"{where}: unknown key(s) {sorted(unknown)}; "
            "valid: label, aliases, walk, motor, source, grade, note"
        )
    grade = str(raw.get("grade", base.grade if base else "unverified"))
    if grade not in _GRADES:
        raise TravelInputError(f"{where}: grade must be one of {', '.join(_GRADES)}, not {grade!r}")
    walk = raw.get("walk", base.walk if base else None)
    motor = raw.get("motor", base.motor if base else None)
    if walk is None or motor is None:
        raise TravelInputError(f"{where}: a new class needs both 'walk' and 'motor' speeds (km/h)")
    return ClassSpeed(
        name=name,
        label=str(raw.get("label", base.label if base else name)),
        walk=check_speed(walk, "walk", f"{where} walk"),
        motor=check_speed(motor, "motor", f"{where} motor"),
        source=str(raw.get("source", base.source if base else file)),
        grade=grade,
        aliases=tuple(str(a) for a in raw.get("aliases", base.aliases if base else ())),
        note=str(raw.get("note", base.note if base else "")),
    )


#: Tables a speed file may hold.
_TOP_KEYS = ("meta", "sources", "off_road", "default", "classes")


def _merge(table: SpeedTable | None, data: dict[str, Any], file: str) -> SpeedTable:
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise TravelInputError(
            f"{file}: unknown key(s) {unknown}; a speed table holds {', '.join(_TOP_KEYS)} "
            f"/ 速度表含未知项 {unknown}；应为 {'、'.join(_TOP_KEYS)}"
        )
    classes = dict(table.classes) if table else {}
    for name, raw in (data.get("classes") or {}).items():
        if not isinstance(raw, dict):
            raise TravelInputError(f"{file}: [classes.{name}] must be a table")
        classes[name] = _class(name, raw, classes.get(name), file)
    default = table.default if table else None
    if "default" in data:
        default = _class("default", data["default"], default, file)
    if default is None:
        raise TravelInputError(f"{file}: a [default] table (walk, motor) is required")
    off_road = dict(table.off_road) if table else {}
    for mode in MODES:
        if mode in (data.get("off_road") or {}):
            off_road[mode] = check_speed(
                data["off_road"][mode], mode, f"{file} [off_road] {mode}", closed_ok=False
            )
    missing = [m for m in MODES if m not in off_road]
    if missing:
        raise TravelInputError(f"{file}: [off_road] needs a speed for {', '.join(missing)}")
    sources = {**(table.sources if table else {}), **(data.get("sources") or {})}
    files = (*(table.files if table else ()), file)
    return SpeedTable(classes, default, off_road, sources, files)


def load_speeds(path: str | os.PathLike[str] | None = None) -> SpeedTable:
    """Return the default speed table, overridden by the user TOML at ``path`` if given.

    Parameters
    ----------
    path : path-like, optional
        A TOML file with ``[classes.<name>]`` tables (``walk``, ``motor`` in km/h, optional
        ``aliases``, ``label``, ``source``, ``grade``), ``[default]`` and ``[off_road]``.

    Raises
    ------
    TravelInputError
        If the file is missing, not TOML, or a speed is neither 0 nor within
        :data:`SPEED_BOUNDS` for its mode.

    Examples
    --------
    >>> load_speeds().off_road["walk"]
    4.8
    """
    default_file = _default_file()
    table = _merge(None, _read(default_file), "speeds.toml (tcmcounty default)")
    if path is not None:
        p = Path(path)
        table = _merge(table, _read(p), str(p))
    return table
