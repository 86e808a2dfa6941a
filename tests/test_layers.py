"""The package's layers: no import cycle, and no import from a lower layer to a higher one.

Every module under ``src/tcmcounty`` is read with :mod:`ast` (imports at any level: inside
functions and ``if TYPE_CHECKING:`` too). A module belongs to a *unit*: a top-level module
(``county``, ``memo``) or a subpackage (``inputs``, ``run``); the package's own
``__init__`` is the unit ``tcmcounty``. :data:`LAYERS` is the order, bottom first, written
once here. A unit may import units of its own layer or below; the units must form no cycle,
nor may the modules.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tcmcounty"

#: Bottom first. The first layer is the core: small modules every other layer may use.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "core",
        (
            "_deferred",
            "_version",
            "errors",
            "formatting",
            "memo",
            "resources",
            "schema",
            "crs",
            "services",
            "placenames",
            "roster",
            "plans",
            "tasks",
            "county",
            "io",
        ),
    ),
    ("inputs", ("inputs", "tcmcounty")),  # the package's __init__ re-exports load_county
    ("indicators", ("indicators", "synth")),
    ("spatial", ("spatial",)),
    ("reporting", ("reporting",)),
    ("run", ("run",)),
    ("app", ("app",)),
    ("cli", ("cli",)),
)

LAYER_OF = {unit: i for i, (_, units) in enumerate(LAYERS) for unit in units}


def module_name(path: Path) -> str:
    """``src/tcmcounty/inputs/load.py`` -> ``tcmcounty.inputs.load``."""
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    """``tcmcounty.inputs.load`` -> ``inputs``; ``tcmcounty`` -> ``tcmcounty``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _is_module(name: str) -> bool:
    rel = Path(*name.split(".")[1:])
    return (SRC / rel).with_suffix(".py").is_file() or (SRC / rel / "__init__.py").is_file()


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line, module)`` for every import of a tcmcounty module in ``path``."""
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tcmcounty":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "tcmcounty":
                continue
            # from tcmcounty import inputs -> the module tcmcounty.inputs; a name -> target
            subs = [f"{target}.{a.name}" for a in node.names if _is_module(f"{target}.{a.name}")]
            if len(subs) < len(node.names):
                yield node.lineno, target
            for sub in subs:
                yield node.lineno, sub


def graph() -> dict[str, list[tuple[str, int, str]]]:
    """Module -> [(file, line, imported module)] over every module of the package."""
    out: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for path in sorted(SRC.rglob("*.py")):
        this = module_name(path)
        out[this]  # a module that imports nothing is still a node
        for line, target in imports(path):
            if target != this:
                out[this].append((str(path.relative_to(SRC.parents[1])), line, target))
    return out


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


GRAPH = graph()


def test_every_unit_has_a_layer() -> None:
    units = {unit_of(m) for m in GRAPH}
    missing = sorted(units - set(LAYER_OF))
    assert not missing, f"give these units a layer in tests/test_layers.py LAYERS: {missing}"
    assert len(GRAPH) > 100  # the whole package was read


def test_no_import_runs_up_a_layer() -> None:
    upward = [
        f"{file}:{line}: {unit_of(mod)} ({LAYERS[LAYER_OF[unit_of(mod)]][0]}) imports "
        f"{unit_of(target)} ({LAYERS[LAYER_OF[unit_of(target)]][0]}) [{target}]"
        for mod, targets in GRAPH.items()
        for file, line, target in targets
        if LAYER_OF.get(unit_of(target), -1) > LAYER_OF.get(unit_of(mod), len(LAYERS))
    ]
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(upward)


@pytest.mark.parametrize("level", ["unit", "module"])
def test_no_import_cycle(level: str) -> None:
    key = unit_of if level == "unit" else (lambda m: m)
    edges: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], str] = {}
    for mod, targets in GRAPH.items():
        for file, line, target in targets:
            a, b = key(mod), key(target)
            if a != b:
                edges[a].add(b)
                where.setdefault((a, b), f"{file}:{line}")
    found = cycles(edges)
    detail = [
        " -> ".join(comp)
        + ": "
        + "; ".join(
            f"{where[a, b]} ({a} imports {b})" for a in comp for b in comp if (a, b) in where
        )
        for comp in found
    ]
    assert not found, f"{level} import cycles:\n" + "\n".join(detail)


def test_the_checks_see_a_violation() -> None:
    """The walker reads function-level and relative imports; a back edge makes a cycle."""
    tree = ast.parse("def f():\n    from tcmcounty.run import batch\n")
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert node.module == "tcmcounty.run" and node.lineno == 2
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    assert LAYER_OF["cli"] > LAYER_OF["run"] > LAYER_OF["reporting"] > LAYER_OF["spatial"]
    assert LAYER_OF["spatial"] > LAYER_OF["indicators"] > LAYER_OF["inputs"]
    assert LAYER_OF["inputs"] > LAYER_OF["errors"]
    # the package's own modules are found as modules, a re-exported name is not
    assert _is_module("tcmcounty.inputs.load") and _is_module("tcmcounty.inputs")
    assert not _is_module("tcmcounty.load_county")
