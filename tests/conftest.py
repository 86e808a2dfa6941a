"""Shared fixtures: a tiny but complete county bundle written to a temporary folder.

The tiny county (测试县, adcode 410101) has 2 townships, 4 villages, 7 facilities and one
alliance; its numbers are small enough to check by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Scripts that made fixtures run when imported: never collected (no doctests there).
collect_ignore = ["fixtures/unseen4/_generator"]
ANYUE = ROOT / "data" / "counties" / "512021-anyue"
WENXI = ROOT / "data" / "counties" / "140823-wenxi"

TINY = ROOT / "tests" / "fixtures" / "tiny" / "410101-test"
TINY_FILES: dict[str, str] = {p.name: p.read_text(encoding="utf-8") for p in sorted(TINY.iterdir())}


def write_bundle(
    folder: Path, files: dict[str, str] | None = None, encoding: str = "utf-8"
) -> Path:
    """Write the tiny bundle (optionally with some files replaced) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**TINY_FILES, **(files or {})}.items():
        if text is None:
            continue
        data = text.encode(encoding) if name.endswith(".csv") else text.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def tiny_bundle(tmp_path: Path) -> Path:
    """A valid tiny bundle folder."""
    return write_bundle(tmp_path / "410101-test")
