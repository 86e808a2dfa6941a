"""Run mypy once over src/tcmcounty; fail on an error in the strict part or more errors elsewhere.

The strict part is the ``[[tool.mypy.overrides]]`` of pyproject.toml that sets
``disallow_untyped_defs`` (the core modules, inputs/ and the spatial modules): any error there
fails. Errors in the rest are counted; the count may not rise above ``rest`` in
``.mypy-baseline``. When it falls, the script says so: write the new number into the file
(``--update`` does).

``.mypy-baseline`` also lists, as ``pending``, the strict part's modules that still have errors:
their errors count with the rest until they are fixed; a pending module without errors fails
the gate until it is taken off the list (so the list only shrinks).

    python scripts/mypy_gate.py            # as `make lint` runs it
    python scripts/mypy_gate.py --update   # after fixing errors in the rest
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / ".mypy-baseline"
_ERROR = re.compile(r"^(?P<file>[^:\s]+\.py):\d+(?::\d+)?: error: ")


def strict_patterns(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The module patterns of the strict override (the one with ``disallow_untyped_defs``)."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    for override in config["tool"]["mypy"].get("overrides", []):
        if override.get("disallow_untyped_defs"):
            modules = override["module"]
            return [modules] if isinstance(modules, str) else list(modules)
    raise SystemExit("pyproject.toml has no [[tool.mypy.overrides]] with disallow_untyped_defs")


def module_of(file: str) -> str:
    """``src/tcmcounty/inputs/load.py`` -> ``tcmcounty.inputs.load``."""
    parts = Path(file).with_suffix("").parts
    parts = parts[parts.index("tcmcounty") :]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_strict(module: str, patterns: list[str]) -> bool:
    """Match as mypy does: ``a.b`` exactly, ``a.*`` for ``a`` and everything under it."""
    for p in patterns:
        if p.endswith(".*"):
            if module == p[:-2] or module.startswith(p[:-1]):
                return True
        elif module == p:
            return True
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="write the rest's count as baseline")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        print(run.stdout + run.stderr, file=sys.stderr)
        return run.returncode
    patterns = strict_patterns()
    recorded = tomllib.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.is_file() else {}
    baseline: int | None = recorded.get("rest")
    pending: list[str] = list(recorded.get("pending", []))
    strict, rest = [], []
    erring: set[str] = set()
    for line in run.stdout.splitlines():
        m = _ERROR.match(line)
        if m:
            module = module_of(m["file"])
            erring.add(module)
            in_strict = is_strict(module, patterns) and module not in pending
            (strict if in_strict else rest).append(line)
    done = sorted(set(pending) - erring)
    seconds = time.perf_counter() - t0
    print(
        f"mypy: {len(strict)} error(s) in the strict part, {len(rest)} in the rest "
        f"(baseline {baseline}); {seconds:.0f} s"
    )
    if args.update:
        pending = [m for m in pending if m in erring]
        BASELINE.write_text(_baseline_text(len(rest), pending), encoding="utf-8")
        print(f"wrote {len(rest)} and {len(pending)} pending module(s) to {BASELINE.name}")
        baseline, done = len(rest), []
    failed = False
    if done:
        print(f"no error left in {', '.join(done)}: take them off `pending` in {BASELINE.name}")
        failed = True
    if strict:
        print("\n".join(strict))
        print("the strict part must type-check: fix these (see pyproject.toml [tool.mypy])")
        failed = True
    if baseline is None or len(rest) > baseline:
        print("\n".join(rest))
        print(
            f"mypy errors outside the strict part rose to {len(rest)} (baseline {baseline}); "
            "fix the new ones above"
        )
        failed = True
    elif len(rest) < baseline:
        print(f"fewer errors than the baseline: run `{Path(__file__).name} --update` and commit")
    return 1 if failed else 0


def _baseline_text(rest: int, pending: list[str]) -> str:
    lines = "".join(f'  "{m}",\n' for m in sorted(pending))
    return (
        "# written by scripts/mypy_gate.py --update: mypy errors outside the strict part (may\n"
        "# only fall), and the strict part's modules still counted with them (may only shrink)\n"
        f"rest = {rest}\npending = [\n{lines}]\n"
    )


if __name__ == "__main__":
    sys.exit(main())
