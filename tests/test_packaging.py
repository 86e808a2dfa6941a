from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_names_the_same_packages_as_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(s) for s in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(s) for s in extra}
    listed: set[str] = set()
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    deps = text.split("dependencies:", 1)[1]
    for line in deps.splitlines():
        m = re.match(r"^\s*-\s+([A-Za-z0-9_.\-]+)", line)
        if (
            m
            and not line.strip().startswith("- -e")
            and m.group(1) not in ("pip", "python", "pip:")
        ):
            listed.add(_name(m.group(1)))
    assert listed == wanted, (
        f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"
    )


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme and "make reports" in readme
    assert re.search(r"^make test$", ci, re.MULTILINE)


def test_notebooks_are_stored_without_outputs() -> None:
    import json

    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and not cell.get("execution_count"), nb.name


def test_package_code_computes_no_path_from_file() -> None:
    """Shipped files are found with importlib.resources (tcmcounty.resources), not from __file__."""
    import ast

    found = []
    for f in sorted((ROOT / "src" / "tcmcounty").rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Name) and node.id == "__file__") or (
                isinstance(node, ast.Attribute) and node.attr == "__file__"
            ):
                found.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"paths computed from __file__: {found}"


def test_wheel_maps_the_folders_that_resources_looks_for() -> None:
    from tcmcounty import resources

    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"][
        "build"
    ]["targets"]["wheel"]
    expected = {"src/tcmcounty": "tcmcounty"} | {
        in_repo: f"tcmcounty/{in_package}" for in_package, in_repo in resources.MAPPED.values()
    }
    assert wheel["sources"] == expected
    assert set(wheel["only-include"]) == set(expected)
    for _, in_repo in resources.MAPPED.values():
        assert (ROOT / in_repo).is_dir(), in_repo


def test_editable_install_finds_the_top_level_folders() -> None:
    from tcmcounty import resources

    checkout = resources.source_checkout()
    if checkout is None:
        pytest.skip("tcmcounty is not installed in editable mode")
    assert checkout.resolve() == ROOT
    assert resources.templates_dir() == checkout / "notebooks"
    assert resources.bundled_counties_dir() == checkout / "data" / "counties"


def test_readme_says_how_to_install_from_git() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"pip install \"tcmcounty @ git\+", readme)
    assert "tcmcounty[synth]" in readme and "make dist" in readme


def test_reporting_never_imports_run() -> None:
    """Imports go one way: ``tcmcounty.run`` uses ``tcmcounty.reporting``, never the reverse."""
    import ast

    bad = []
    for f in sorted((ROOT / "src" / "tcmcounty" / "reporting").rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n == "tcmcounty.run" or n.startswith("tcmcounty.run.") for n in names):
                bad.append(f"{f.name}:{node.lineno}")
    assert not bad, bad
