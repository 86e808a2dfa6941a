"""County files made elsewhere: read as they are, with the figures their makers computed.

``tests/fixtures/elsewhere/`` and ``tests/fixtures/heldout/`` hold county files written by
generators that never read the readers (``generate.py``, ``generate_heldout.py``; the second made later and
measured blind first), in the shapes bureaus send; ``../shared/workbooks-from-elsewhere/``
holds three made outside the project. Each has truths computed from its own cells without
tcmcounty (``tests/elsewhere_truth.py`` compares). ``benchmarks/bench_inputs.py`` prints the
same comparison as a table.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import pandas as pd
import pytest
from elsewhere_truth import compare, inputs

import tcmcounty
from tcmcounty import indicators
from tcmcounty.cli import main
from tcmcounty.cli.mapping import describe
from tcmcounty.errors import InputError
from tcmcounty.inputs.columnmap import ColumnMap, map_text
from tcmcounty.inputs.load import read_raw

HERE = Path(__file__).parent
CORPUS = HERE / "fixtures" / "elsewhere"
HELDOUT = HERE / "fixtures" / "heldout"
SHARED = HERE.parent.parent / "shared" / "workbooks-from-elsewhere"
CORPUS_FILES = inputs(CORPUS) + inputs(HELDOUT)
SHARED_FILES = inputs(SHARED) if SHARED.is_dir() else []


def _read(path: Path, columns: ColumnMap | None = None) -> tuple[object, pd.DataFrame] | None:
    if columns is None:  # read each file once for the tests below (they only look)
        return _read_once(path)
    return _read_uncached(path, columns)


@functools.cache
def _read_once(path: Path) -> tuple[object, pd.DataFrame] | None:
    return _read_uncached(path, None)


def _read_uncached(path: Path, columns: ColumnMap | None) -> tuple[object, pd.DataFrame] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            county = tcmcounty.load_county(path, warn=False, columns=columns)
        except InputError:
            return None
        return county, indicators.compute(county)


def test_corpus_is_large_and_varied() -> None:
    assert len(inputs(CORPUS)) >= 30 and len(inputs(HELDOUT)) >= 20
    kinds = {p.suffix or "folder" for p in CORPUS_FILES}
    assert {".xlsx", ".xls", ".ods", "folder"} <= kinds


@pytest.mark.skipif(not SHARED_FILES, reason="../shared/workbooks-from-elsewhere not beside")
@pytest.mark.parametrize("path", SHARED_FILES, ids=lambda p: p.name)
def test_shared_examples_validate_and_match_their_truths(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    read = _read(path)
    assert read is not None
    result = compare(path, *read)
    assert result.ok, (result.wrong, result.missing)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_no_figure_read_from_a_corpus_file_is_wrong(path: Path) -> None:
    """Read or refused, never wrong: a figure the reader gives equals the file's truth."""
    read = _read(path)
    if read is None:
        return  # refused with located errors (counted in the next test)
    result = compare(path, *read)
    assert not result.wrong, result.wrong


def test_most_corpus_files_read_as_they_are() -> None:
    """At least 80% of the files made elsewhere give every truth figure with no edit."""
    ok = []
    for path in CORPUS_FILES:
        read = _read(path)
        if read is not None and compare(path, *read).ok:
            ok.append(path.name)
    assert len(ok) >= 0.8 * len(CORPUS_FILES), sorted(set(p.name for p in CORPUS_FILES) - set(ok))


@pytest.mark.parametrize("path", [*CORPUS_FILES, *SHARED_FILES], ids=lambda p: p.name)
def test_the_written_map_reads_back_to_the_same_tables(path: Path) -> None:
    """``inspect --write-map`` writes a valid map that, used, gives exactly what inspect showed."""
    first = read_raw(path)
    text = map_text(first.readings)
    again = read_raw(path, ColumnMap.from_text(text))
    assert set(first.tables) == set(again.tables)
    for name, table in first.tables.items():
        pd.testing.assert_frame_equal(
            table.reset_index(drop=True), again.tables[name].reset_index(drop=True)
        )
    assert first.meta == again.meta
    errors = sorted(str(p) for p in first.problems if p.severity == "error")
    assert errors == sorted(str(p) for p in again.problems if p.severity == "error")


@pytest.mark.parametrize("path", CORPUS_FILES[::4], ids=lambda p: p.name)
def test_inspect_shows_the_evidence_of_every_guess(path: Path) -> None:
    raw = read_raw(path)
    lines = describe(raw)
    guesses = [c for r in raw.readings for c in r.columns if c.guessed]
    for c in guesses:
        line = next(ln for ln in lines if f"'{c.written}' -> {c.column}" in ln)
        assert "guess" in line and any(w in line for w in ("fit", "other meaning", "year")), line


def test_accept_writes_the_map_beside_the_file_and_it_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    path = tmp_path / "qiaojia"
    shutil.copytree(CORPUS / "qiaojia_530622_CSV", path)
    assert main(["inspect", str(path), "--accept"]) == 0
    out = capsys.readouterr().out
    beside = tmp_path / "qiaojia.columns.toml"
    assert beside.is_file() and "used by every command" in out
    assert '"jgmc" = "name"' in beside.read_text(encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr()
    assert "qiaojia.columns.toml" in err.out + err.err
