"""Benchmark: county files made elsewhere, read as they are, after one confirmation, and how fast.

For every county file of ``tests/fixtures/elsewhere/`` and ``tests/fixtures/heldout/`` (made by
generators that never read tcmcounty's readers, with truths computed from their own numbers)
and of ``shared/workbooks-from-elsewhere/`` (made outside the project), one row:

=============  ==================================================================================
column         meaning
=============  ==================================================================================
as is          ``ok``: read with no error and every truth figure read and equal (0 edits);
               ``partial``: read, no figure wrong, some truth figure not read (no verdict);
               ``refused``: the reader stopped with located errors; ``WRONG``: a figure differs
               from the truth (must never happen)
accepted       the same after ``tcmcounty inspect FILE --accept`` (the map of the reading written
               beside the file and read back): one confirmation, no hand edit
wrong          the figures that differ from the truth (name: read / true)
read+check s   seconds for :func:`tcmcounty.inputs.load.read_raw` (read, resolve, validate),
               median of repeats in one process; the largest file also in a fresh process
=============  ==================================================================================

Then, for the .xlsx files, the time to read their cells with openpyxl (what the readers use for
.xlsx: merged ranges, formulas without a saved value) and with python-calamine (what they use
for .xls, .xlsb and .ods), median of ``--repeat`` runs, as a ratio::

    python benchmarks/bench_inputs.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from elsewhere_truth import compare, inputs  # noqa: E402

import tcmcounty  # noqa: E402
from tcmcounty import indicators  # noqa: E402
from tcmcounty.errors import InputError  # noqa: E402
from tcmcounty.inputs.columnmap import ColumnMap, map_text  # noqa: E402
from tcmcounty.inputs.load import read_raw  # noqa: E402

FOLDERS = [
    ROOT / "tests" / "fixtures" / "elsewhere",
    ROOT / "tests" / "fixtures" / "heldout",
    ROOT.parent / "shared" / "workbooks-from-elsewhere",
]


def verdict(path: Path, columns: ColumnMap | None = None) -> tuple[str, list[str]]:
    """Read a county file and compare it with its truths: (status, wrong figures)."""
    try:
        county = tcmcounty.load_county(path, warn=False, columns=columns)
    except InputError:
        return "refused", []
    result = compare(path, county, indicators.compute(county))
    wrong = [f"{k}: {got:.4g} / {want:.4g}" for k, got, want in result.wrong]  # type: ignore[str-format]
    if wrong:
        return "WRONG", wrong
    return ("ok" if result.ok else "partial"), []


def accepted(path: Path) -> str:
    """Status after ``inspect --accept``: the map of the reading, read back."""
    raw = read_raw(path)
    with tempfile.TemporaryDirectory() as d:
        mapfile = Path(d) / "map.columns.toml"
        mapfile.write_text(map_text(raw.readings), encoding="utf-8")
        return verdict(path, ColumnMap.read(mapfile))[0]


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Median seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def engines(path: Path, repeat: int) -> tuple[float, float]:
    """Median seconds to read an .xlsx's cells with openpyxl and with python-calamine."""
    from python_calamine import CalamineWorkbook

    from tcmcounty.inputs.sheets import read_sheets

    def with_openpyxl() -> None:
        with path.open("rb") as f:
            read_sheets(f, include_hidden=True)

    def with_calamine() -> None:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()

    return timed(with_openpyxl, repeat), timed(with_calamine, repeat)


def _villages(path: Path) -> int:
    """The number of villages a file's truth gives (0 when it gives none)."""
    import json

    from elsewhere_truth import truth_path

    return int(json.loads(truth_path(path).read_text(encoding="utf-8")).get("villages", 0))


def first_read(path: Path) -> float:
    """Seconds of the first read_raw of ``path`` in a fresh process (the package imported)."""
    import subprocess

    code = (
        "import time, warnings; warnings.simplefilter('ignore'); import tcmcounty\n"
        "from tcmcounty.inputs.load import read_raw\n"
        f"t = time.perf_counter(); read_raw({str(path)!r}); print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    files = [p for folder in FOLDERS if folder.is_dir() for p in inputs(folder)]
    rows = []
    for p in files:
        status, wrong = verdict(p)
        after = accepted(p)
        seconds = timed(lambda p=p: read_raw(p), max(1, args.repeat // 2))
        rows.append((p, status, after, wrong, seconds))
    width = max(len(p.name) for p in files)
    print(f"{'file':<{width}}  {'as is':<8} {'accepted':<8} {'read+check s':>12}  wrong")
    for p, status, after, wrong, seconds in rows:
        print(f"{p.name:<{width}}  {status:<8} {after:<8} {seconds:>12.2f}  {'; '.join(wrong)}")
    print()
    print(
        f"{'folder':<28} {'files':>5} {'as is ok':>9} {'accepted':>9} {'partial':>8} {'refused':>8} {'WRONG':>6}"
    )
    for folder in [*FOLDERS, None]:
        sel = [r for r in rows if folder is None or r[0].parent == folder]
        if not sel:
            continue
        n = len(sel)
        count = {s: sum(r[1] == s for r in sel) for s in ("ok", "partial", "refused", "WRONG")}
        after_ok = sum(r[2] == "ok" for r in sel)
        label = "all" if folder is None else folder.name
        print(
            f"{label:<28} {n:>5} {count['ok']:>4} ({count['ok'] / n:>3.0%}) {after_ok:>4} ({after_ok / n:>3.0%})"
            f" {count['partial']:>8} {count['refused']:>8} {count['WRONG']:>6}"
        )
    biggest = max(rows, key=lambda r: _villages(r[0]))
    print(
        f"largest county {biggest[0].name} ({_villages(biggest[0])} villages): read and validated "
        f"in {biggest[4]:.2f} s "
        f"(again in one process), {first_read(biggest[0]):.2f} s (first read in a fresh process)"
    )
    print()
    print(f"{'xlsx file':<{width}}  {'openpyxl ms':>11} {'calamine ms':>11} {'ratio':>6}")
    for p in files:
        if p.suffix == ".xlsx":
            a, b = engines(p, args.repeat)
            print(f"{p.name:<{width}}  {a * 1000:>11.1f} {b * 1000:>11.1f} {a / b:>6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
