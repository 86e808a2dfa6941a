"""Resource limits: validate under a 2 GB address space, caps on files and cells, summaries.

The two scale tests run ``tcmcounty validate`` in a subprocess whose address space is capped
with ``resource.setrlimit(RLIMIT_AS, 2 GB)``; the child reports its wall time and peak resident
memory, which are printed (``pytest -s``) and attached to the test report (``record_property``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import TINY, TINY_FILES, write_bundle

from tcmcounty.cli import main

LIMIT_BYTES = 2 * 1024**3

_CHILD = textwrap.dedent(
    """
    import io, json, resource, sys, time
    from contextlib import redirect_stderr, redirect_stdout
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    start = time.perf_counter()
    from tcmcounty.cli import main
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["validate", sys.argv[1]])
    print(json.dumps({{
        "exit": code,
        "seconds": round(time.perf_counter() - start, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "stdout": out.getvalue()[-4000:],
        "stderr": err.getvalue()[-4000:],
    }}))
    """
)


def _validate_capped(path: Path) -> dict[str, object]:
    """Run validate on ``path`` in a child limited to 2 GB of address space."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD.format(limit=LIMIT_BYTES), str(path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def write_villages(folder: Path, n: int) -> Path:
    """The tiny bundle with ``n`` villages in ``ceil(n / 1000)`` townships, written fast."""
    write_bundle(folder)
    n_towns = max(2, -(-n // 1000))
    codes = ["001", "100"] + [f"{x:03d}" for x in range(1000) if x not in (1, 100)]
    towns = [TINY_FILES["townships.csv"].splitlines()[0]]
    towns += [f"410101{codes[t]},镇{t},镇,113.60,34.70,official,,,,s1" for t in range(n_towns)]
    (folder / "townships.csv").write_text("\n".join(towns) + "\n", encoding="utf-8")
    lines = [TINY_FILES["villages.csv"].splitlines()[0]]
    for i in range(n):
        town = "410101" + codes[i // 1000]
        lines.append(
            f"{town}{i % 1000:03d},村{i},{town},村,{113.56 + (i % 1000) * 0.0002:.4f},"
            f"{34.66 + (i // 1000 % 80) * 0.001:.4f},official,{10 + i % 3},2020,official,s1"
        )
    (folder / "villages.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _report(record_property: object, name: str, got: dict[str, object]) -> None:
    print(f"\n{name}: {got['seconds']} s, peak {got['peak_mb']} MB (limit 2 GB address space)")
    record_property(f"{name}_seconds", got["seconds"])  # type: ignore[operator]
    record_property(f"{name}_peak_mb", got["peak_mb"])  # type: ignore[operator]


def test_stray_corner_workbook_under_2_gb(tmp_path: Path, record_property: object) -> None:
    """One character in XFD1048576 of a 15 KB workbook (3.7 GB, then MemoryError before)."""
    from openpyxl import load_workbook

    import tcmcounty
    from tcmcounty.inputs.workbook import write_workbook

    path = write_workbook(tmp_path / "corner.xlsx", tcmcounty.load_county(TINY, warn=False))
    wb = load_workbook(path)
    wb["村社区"]["XFD1048576"] = "x"
    wb.save(path)
    assert path.stat().st_size < 30_000
    got = _validate_capped(path)
    _report(record_property, "stray_corner", got)
    assert got["exit"] == 0, got["stderr"]
    assert "cell XFD1048576 lies far outside the table" in str(got["stdout"])
    assert int(got["peak_mb"]) < 1024  # type: ignore[call-overload]


@pytest.mark.parametrize(
    "n",
    [
        200_000,
        pytest.param(
            1_000_000,
            marks=pytest.mark.skipif(
                not os.environ.get("TCMCOUNTY_SCALE_1M"),
                reason="set TCMCOUNTY_SCALE_1M=1 to measure 1,000,000 villages (about 30 s)",
            ),
        ),
    ],
    ids=["200k", "1M"],
)
def test_many_villages_under_2_gb(tmp_path: Path, record_property: object, n: int) -> None:
    """200,000 villages in the suite (8 s); 1,000,000 by hand (29 s, 0.97 GB measured)."""
    folder = write_villages(tmp_path / "many", n)
    got = _validate_capped(folder)
    _report(record_property, f"villages_{n}", got)
    assert got["exit"] == 0, got["stderr"]
    assert f"villages 村/社区 {n}" in str(got["stdout"])
    assert int(got["peak_mb"]) < 1900  # type: ignore[call-overload]


def test_workbook_cell_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tcmcounty
    from tcmcounty.inputs import sheets
    from tcmcounty.inputs.workbook import write_workbook

    monkeypatch.setattr(sheets, "MAX_CELLS", 50)
    path = write_workbook(tmp_path / "c.xlsx", tcmcounty.load_county(TINY, warn=False))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "more than 50 non-empty cells" in err and "Traceback" not in err


def test_county_toml_size_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    padding = "# " + "x" * 1000 + "\n"
    folder = write_bundle(
        tmp_path / "big", {"county.toml": TINY_FILES["county.toml"] + padding * 1100}
    )
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "county.toml is larger than 1024 KB" in err


def test_warnings_summarised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """2,000 villages of population 0: 20 warnings and one line for the other 1,980."""
    folder = write_villages(tmp_path / "zeros", 2000)
    text = (folder / "villages.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    zeroed = [lines[0]] + [
        ",".join(c if j != 7 else "0" for j, c in enumerate(ln.split(","))) for ln in lines[1:]
    ]
    (folder / "villages.csv").write_text("\n".join(zeroed) + "\n", encoding="utf-8")
    main(["validate", str(folder)])
    out = capsys.readouterr().out
    assert out.count("population is 0 / 人口为0") == 20
    assert "and 1,980 more like this: population is 0" in out


def test_mixed_encoding_that_gb18030_would_decode(tmp_path: Path) -> None:
    """A UTF-8 line whose bytes GB18030 also decodes (silent mojibake before) is refused."""
    from tcmcounty.inputs.text import DecodeError, decode

    utf8 = "东村".encode()
    assert utf8.decode("gb18030")  # GB18030 would read it, as mojibake
    data = "a,西村\n".encode("gbk") + b"b," + utf8 + b"\n"
    with pytest.raises(DecodeError) as info:
        decode(data)
    assert info.value.line == 2 and "mixed encodings" in info.value.en


def test_nbs_comparison_stops_once_most_codes_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Invented village codes under a real county code: compared in steps, then stopped."""
    import importlib

    from tcmcounty.inputs.load import read_raw

    V = importlib.import_module(
        "tcmcounty.inputs.validate"
    )  # the package exports a function of the name

    monkeypatch.setattr(V, "NBS_CHUNK", 50)
    monkeypatch.setattr(V, "NBS_MAX_FINDINGS", 20)
    folder = write_villages(tmp_path / "nbs", 300)
    for f in folder.iterdir():
        if f.suffix in (".csv", ".toml"):
            f.write_text(f.read_text(encoding="utf-8").replace("410101", "512021"), "utf-8")
    problems = read_raw(folder).problems
    (stop,) = [p for p in problems if "stopped after" in p.message_en]
    assert "stopped after 50 of 300 villages" in stop.message_en
    assert stop.file == "villages.csv" and stop.severity == "warning"
