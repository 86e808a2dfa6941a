"""Travel speeds by road class and mode, from the shipped ``speeds.toml`` and a user's overrides.

The defaults (``tcmcounty/travel/speeds.toml``) name a source and an evidence grade for every
class. A user TOML with the same layout overrides single values or adds classes.

Examples
--------
>>> from tcmcounty.travel.speeds import load_speeds
>>> s = load_speeds()
>>> s.speed("secondary", "motor"), s.speed("县道", "motor"), s.speed("motorway", "walk")
(40.0, 40.0, 0.0)
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tcmcounty.travel._errors import TravelInputError

#: Travel modes: walking (both directions on every way) and motorised (one-way respected).
MODES: dict[str, str] = {"walk": "walking / 步行", "motor": "motorised / 机动车"}

_GRADES = ("verified", "derived", "unverified")


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
    return Path(str(resources.files("tcmcounty.travel") / "speeds.toml"))


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise TravelInputError(f"{path}: speed table not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise TravelInputError(
            f"{path}: not a valid TOML speed table ({exc}); quote Chinese class names, "
            'e.g. [classes."村道"]'
        ) from None


def _number(raw: object, where: str) -> float:
    if (
        isinstance(raw, bool)
        or not isinstance(raw, (int, float))
        or not np.isfinite(raw)
        or raw < 0
    ):
        raise TravelInputError(f"{where}: speed must be a number of km/h >= 0, not {raw!r}")
    return float(raw)


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
        walk=_number(walk, f"{where} walk"),
        motor=_number(motor, f"{where} motor"),
        source=str(raw.get("source", base.source if base else file)),
        grade=grade,
        aliases=tuple(str(a) for a in raw.get("aliases", base.aliases if base else ())),
        note=str(raw.get("note", base.note if base else "")),
    )


def _merge(table: SpeedTable | None, data: dict[str, Any], file: str) -> SpeedTable:
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
            off_road[mode] = _number(data["off_road"][mode], f"{file} [off_road] {mode}")
            if off_road[mode] <= 0:
                raise TravelInputError(f"{file} [off_road] {mode}: must be > 0 km/h")
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
        If the file is missing, not TOML, or a speed is not a number >= 0.

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
