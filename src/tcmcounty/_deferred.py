"""Defer the one slow import that a dependency makes eagerly and no report ever uses.

``nbformat`` (and so papermill and nbconvert) imports ``jsonschema``, whose format checkers
import ``rfc3987_syntax`` when it is installed (it is, through ``jsonschema[format-nongpl]``).
That package compiles about 40 Lark grammars at import: 2–3 s of CPU in every process that
reads a notebook (python-jsonschema/jsonschema#1428), before anything is validated. Only the
``iri`` and ``iri-reference`` formats use it, and no notebook schema does.

:func:`defer` puts a stand-in module in :data:`sys.modules` whose functions import the real
package on their first call, so behaviour is unchanged (an ``iri`` check still runs the real
code) and the cost is paid only by a process that checks an IRI. It does nothing when the
package is missing or already imported.

Examples
--------
>>> from tcmcounty import _deferred
>>> _deferred.defer()  # tcmcounty does this on import, before anything imports nbformat
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

#: Module name -> the names that importers take from it with ``from module import name``.
DEFERRED: dict[str, tuple[str, ...]] = {"rfc3987_syntax": ("is_valid_syntax",)}

_lock = threading.RLock()


class _Standin(types.ModuleType):
    """A module that imports the real one when anything else is asked of it."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(_real(self.__name__), name)


def _real(name: str) -> types.ModuleType:
    """Import the real module in place of its stand-in (once) and return it."""
    with _lock:
        mod = sys.modules.get(name)
        if not isinstance(mod, _Standin):
            return mod if mod is not None else importlib.import_module(name)
        del sys.modules[name]
        try:
            real = importlib.import_module(name)
        except BaseException:
            sys.modules[name] = mod
            raise
        return real


def _forward(module: str, name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``{module}.{name}``, imported on first call (tcmcounty._deferred)."
    return call


def defer() -> None:
    """Put stand-ins for :data:`DEFERRED` modules that are installed and not yet imported."""
    with _lock:
        for name, names in DEFERRED.items():
            if name in sys.modules:
                continue
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                continue
            if spec is None:
                continue
            mod = _Standin(name)
            mod.__spec__ = spec
            if spec.submodule_search_locations is not None:
                mod.__path__ = list(spec.submodule_search_locations)
            for attr in names:
                setattr(mod, attr, _forward(name, attr))
            sys.modules[name] = mod
