"""Files shipped with tcmcounty, found the same way in a wheel and in a source checkout.

Package data lives under ``tcmcounty/data/`` (indicator registry and targets, creation plans,
NBS codes, …) and is read with :mod:`importlib.resources`. Two folders are kept once, at the top
level of the repository, and mapped into the package by the build backend (see
``[tool.hatch.build.targets.wheel.sources]`` in ``pyproject.toml``):

=====================  ==============================  ==============================
what                   in the repository               in an installed wheel
=====================  ==============================  ==============================
report templates       ``notebooks/*.ipynb``           ``tcmcounty/notebooks/``
bundled counties       ``data/counties/<folder>/``     ``tcmcounty/data/counties/``
=====================  ==============================  ==============================

An editable install (``pip install -e .``) maps nothing; its checkout is found through the
install record that pip writes (``direct_url.json``, :pep:`610`), never by walking up from
``__file__``. The CJK font comes from the ``mplfonts`` dependency (:func:`cjk_font`).

Examples
--------
>>> from tcmcounty import resources
>>> sorted(p.name for p in resources.bundled_counties())
['140823-wenxi', '512021-anyue']
>>> resources.template("county_report").name
'county_report.ipynb'
"""

from __future__ import annotations

import functools
import importlib.util
import json
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from tcmcounty.errors import ArgumentError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

PACKAGE = "tcmcounty"
#: Shipped folder → (its place inside the package, its place in the repository).
MAPPED: dict[str, tuple[str, str]] = {
    "counties": ("data/counties", "data/counties"),
    "notebooks": ("notebooks", "notebooks"),
}


#: The CJK font of every figure and page (Noto Sans CJK SC, shipped by ``mplfonts``).
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"


@functools.lru_cache(maxsize=1)
def cjk_font() -> Path | None:
    """Return the path of the bundled CJK font file, or ``None`` if ``mplfonts`` is absent.

    The package is located without importing it (importing ``mplfonts`` changes matplotlib's
    rcParams), so a process that only writes HTML never loads matplotlib.
    """
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        p = Path(base) / "fonts" / CJK_FONT_FILE
        if p.is_file():
            return p
    return None


def files() -> Traversable:
    """Return the root of the package's files (``importlib.resources.files("tcmcounty")``)."""
    return resources.files(PACKAGE)


def data(*parts: str) -> Traversable:
    """Return a file or folder under ``tcmcounty/data`` (``data("indicators", "registry.toml")``)."""
    return files().joinpath("data", *parts)


def _as_path(t: Traversable) -> Path | None:
    # an installed wheel is unpacked on disk; a zipped package has no folder to hand to papermill
    return t if isinstance(t, Path) else None


@functools.cache
def source_checkout() -> Path | None:
    """Return the repository of an editable install, or ``None`` when installed from a wheel.

    Read from ``direct_url.json`` in the installed distribution's metadata (:pep:`610`), and only
    trusted when the package being imported is that checkout's ``src/tcmcounty``.
    """
    try:
        text = metadata.distribution(PACKAGE).read_text("direct_url.json")
        info = json.loads(text) if text else {}
    except (metadata.PackageNotFoundError, ValueError, OSError):
        return None
    url = str(info.get("url", "")) if isinstance(info, dict) else ""
    if not (info.get("dir_info") or {}).get("editable") or not url.startswith("file:"):
        return None
    root = Path(url2pathname(unquote(urlparse(url).path)))
    pkg = _as_path(files())
    try:
        if pkg is None or pkg.resolve() != (root / "src" / PACKAGE).resolve():
            return None
    except OSError:
        return None
    return root


def shipped_dir(name: str) -> Path | None:
    """Return the folder of shipped files ``name`` (``"counties"``, ``"notebooks"``), or ``None``.

    Inside the package first (wheel), then the top level of an editable install's checkout.
    """
    if name not in MAPPED:
        raise ArgumentError(f"unknown shipped folder {name!r}; valid: {', '.join(MAPPED)}")
    in_package, in_repo = MAPPED[name]
    p = _as_path(files().joinpath(*in_package.split("/")))
    if p is not None and p.is_dir():
        return p
    root = source_checkout()
    if root is not None and (root / in_repo).is_dir():
        return root / in_repo
    return None


def bundled_counties_dir() -> Path | None:
    """Return the folder holding the bundled county bundles, or ``None`` if none is shipped."""
    return shipped_dir("counties")


def bundled_counties() -> list[Path]:
    """Return the bundled county folders (those with a ``county.toml``), sorted by name."""
    d = bundled_counties_dir()
    if d is None:
        return []
    return sorted(p for p in d.iterdir() if (p / "county.toml").is_file())


def templates_dir() -> Path | None:
    """Return the folder of the bundled report templates, or ``None`` if none is shipped."""
    return shipped_dir("notebooks")


def template(name: str) -> Path | None:
    """Return the bundled notebook template ``<name>.ipynb``, or ``None`` if it is not shipped."""
    d = templates_dir()
    p = None if d is None else d / f"{name}.ipynb"
    return p if p is not None and p.is_file() else None


def is_shipped(path: Path) -> bool:
    """Tell whether ``path`` (relative to the package) lies in a folder mapped in by the build.

    Used by :func:`tcmcounty.reporting.results.code_hash` so that a wheel and an editable install of the
    same sources hash the same library files.
    """
    rel = path.as_posix()
    return any(rel == p or rel.startswith(p + "/") for p, _ in MAPPED.values())
