"""The batch hands the largest counties to the workers first (no long tail at the end)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_report_support import make_tiny_bundle

from tcmcounty.run import batch as B


def _pad(bundle: Path, extra_bytes: int) -> Path:
    # a bigger county has more rows: here, a longer notes file stands for them
    (bundle / "README.md").write_text("x" * extra_bytes, encoding="utf-8")
    return bundle


def test_largest_inputs_are_run_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "counties"
    small = _pad(make_tiny_bundle(src, "999021-small", seed=1), 10)
    big = _pad(make_tiny_bundle(src, "999022-big", seed=2), 400_000)
    mid = _pad(make_tiny_bundle(src, "999023-mid", seed=3), 100_000)
    handed: list[str] = []

    def fake_pool(specs: Any, workers: int, on_done: Any) -> None:
        handed.extend(s.name for s in specs)

    monkeypatch.setattr(B, "_run_pool", fake_pool)
    res = B.run_batch([small, big, mid], tmp_path / "out", workers=2, progress=False, index=False)
    assert handed == ["999022-big", "999023-mid", "999021-small"]
    # the status table keeps the order of the inputs
    assert [r.county for r in res.rows] == ["999021-small", "999022-big", "999023-mid"]
    assert B._job_size(B.make_spec([big])) > B._job_size(B.make_spec([small])) > 0
