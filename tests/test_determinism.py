"""The same inputs give byte-identical outputs, whatever the hash seed or row order of runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import WENXI

COMMANDS = [
    ["indicators", str(WENXI), "--format", "csv"],
    ["indicators", str(WENXI), "--by", "township", "--format", "json"],
    ["plan", str(WENXI), "--format", "csv"],
    ["coverage", str(WENXI), "--by", "village", "--format", "csv"],
    ["access", str(WENXI), "--format", "csv"],
]


def _run(args: list[str], seed: str, tmp: Path) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    proc = subprocess.run(
        [sys.executable, "-m", "tcmcounty.cli", *args],
        capture_output=True,
        env=env,
        cwd=tmp,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: "-".join(a[:1] + a[2:]))
def test_outputs_are_byte_identical(args: list[str], tmp_path: Path) -> None:
    first = _run(args, "1", tmp_path)
    second = _run(args, "12345", tmp_path)
    assert len(first) > 200
    assert first == second
