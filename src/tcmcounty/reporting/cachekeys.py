"""Cache keys of a county's results: the hashes of its inputs, of the library and of the parameters.

:func:`results_key` names a cache entry of :func:`tcmcounty.reporting.results.load_results`;
:attr:`tcmcounty.reporting.model.CountyResults.library_build` is :func:`code_hash`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from tcmcounty._version import __version__
from tcmcounty.reporting.parameters import DEFAULT_THRESHOLDS_KM

#: Bumped whenever the layout of :class:`~tcmcounty.reporting.model.CountyResults` changes
#: (invalidates caches).
RESULTS_FORMAT = 6  # 4: travel, travel_args; 5: CountyResults in reporting.model; 6: spatial/


def _sha256_file(path: Path, h: Any) -> None:
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)


def inputs_hash(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 of a bundle's files (names and contents) or of a workbook.

    Reads only bytes (no parsing), so it is cheap and works on broken inputs too. Hidden files
    (names starting with ``.``) are ignored.
    """
    p = Path(path)
    h = hashlib.sha256()
    if p.is_dir():
        for f in sorted(p.rglob("*")):
            rel = f.relative_to(p)
            if f.is_file() and not any(part.startswith(".") for part in rel.parts):
                h.update(rel.as_posix().encode() + b"\0")
                _sha256_file(f, h)
                h.update(b"\0")
    elif p.is_file():
        _sha256_file(p, h)
    else:
        raise FileNotFoundError(f"no county bundle or workbook at {p}")
    return h.hexdigest()


@lru_cache(maxsize=1)
def code_hash() -> str:
    """Return a SHA-256 of the installed library's source and data files.

    Used next to the package version so that a changed library (even without a version bump)
    invalidates caches and re-renders reports. The bundled counties and templates, which the
    build maps into a wheel (:mod:`tcmcounty.resources`), are left out: they are hashed as
    inputs and templates, and a wheel and an editable install of the same sources agree.
    """
    from tcmcounty import resources as shipped

    root = Path(str(shipped.files()))
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        rel = f.relative_to(root)
        if (
            f.is_file()
            and f.suffix in {".py", ".toml", ".csv", ".json", ".txt"}
            and "__pycache__" not in f.parts
            and not shipped.is_shipped(rel)
        ):
            h.update(rel.as_posix().encode() + b"\0")
            _sha256_file(f, h)
    return h.hexdigest()


def file_hash(path: str | os.PathLike[str] | None) -> str | None:
    """SHA-256 of one file, or ``None`` when no path is given."""
    if path is None or str(path) == "":
        return None
    h = hashlib.sha256()
    _sha256_file(Path(path), h)
    return h.hexdigest()


def results_key(
    inputs: str,
    *,
    population: str = "resident",
    thresholds_km: Sequence[float] = DEFAULT_THRESHOLDS_KM,
    targets_hash: str | None = None,
    travel: dict[str, Any] | None = None,
) -> str:
    """Return the cache key of a county's results (SHA-256 hex).

    ``travel`` (:func:`travel_key`) is part of the key only when a road layer or friction
    raster is used, so keys of straight-line results do not change.
    """
    payload = {
        "format": RESULTS_FORMAT,
        "inputs": inputs,
        "population": population,
        "thresholds_km": [float(t) for t in thresholds_km],
        "targets": targets_hash,
        "version": __version__,
    }
    if travel:
        payload["travel"] = travel
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def travel_key(travel_args: dict[str, Any]) -> dict[str, Any] | None:
    """Return the travel-time part of a cache key: the layer's hash, mode and speed table."""
    if not travel_args:
        return None
    from tcmcounty.spatial.travel.speeds import load_speeds

    return {
        "roads": file_hash(travel_args.get("roads")),
        "friction": file_hash(travel_args.get("friction")),
        "mode": travel_args.get("mode", "walk"),
        "speeds": load_speeds().digest(),
    }
