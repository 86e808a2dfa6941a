"""Classes of defects found by a hostile-input attack, each closed by one mechanism.

1. No option that reads a file ever echoes its content (``cli/checks.FILE_OPTIONS``,
   ``io.UnusableFileError``).
2. Every allocation sized by the input is checked first (``formats.MAX_CELL_CHARS``,
   ``formats.MAX_SPAN``, ``friction.MAX_RASTER_CELLS``).
3. Every on-disk cache is versioned and checksummed and rebuilt when it does not load
   (``io.write_cache`` / ``io.read_cache``).
4. Temporary names never exceed the file-system limit (``io.temp_name_parts``).
5. The batch skips the files it wrote itself (``io.OUTPUT_MARK``, the folder's records).
6. Numeric options refuse nan, inf and values that mean nothing (``cli/checks.NUMBERS``).
7. The batch installs its own SIGINT/SIGTERM handlers (``run.batch.stop_on_signals``).
8. Road speeds are bounded wherever they are given (``travel.speeds.SPEED_BOUNDS``).

Each test is parametrised over the members of its class; options are found by walking the
command line's parsers, so a new option is covered without editing this file.
"""

from __future__ import annotations

import io as _io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import write_bundle
from test_report_support import make_tiny_bundle, template_with_cell

from tcmcounty import io as tio
from tcmcounty.cli import build_parser, main
from tcmcounty.cli.checks import (
    FILE_OPTIONS,
    OUTPUT_OPTIONS,
    Number,
    check_thresholds,
    subcommand_actions,
)
from tcmcounty.run.batch import STOP_SIGNALS

SECRET = "SECRET-TOKEN-123"
CJK = re.compile(r"[\u4e00-\u9fff]")
DATE = "2023-11-01"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny bundle, shared by the tests that only need a county to point at."""
    return write_bundle(tmp_path_factory.mktemp("county") / "410101-test")


def _positionals(command: str, county: Path, tmp: Path) -> list[str]:
    """Arguments a subcommand needs before its options (never reached: checks come first)."""
    needs = {
        "validate": [str(county)],
        "template": [str(tmp / "t.xlsx")],
        "export": [str(county), str(tmp / "e.xlsx")],
        "inspect": [str(county)],
        "indicators": [str(county)],
        "compare": [str(county)],
        "coverage": [str(county)],
        "access": [str(county)],
        "plan": [str(county)],
        "synth": ["410101", "--out", str(tmp / "synth")],
        "report": [str(county), "-o", str(tmp / "report")],
        "batch": [str(county), "-o", str(tmp / "batch"), "--no-progress"],
        "run": ["-o", str(tmp / "run"), "--no-progress"],
        "readiness": [str(county)],
    }
    return needs.get(command, [])


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the command line in-process; return the exit code and stdout + stderr."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refusals
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out + out.err


# =============================================================================== class 1

#: Every option of every subcommand that reads a file, found by walking the parsers.
FILE_MEMBERS = sorted(
    {
        (cmd, a.option_strings[-1])
        for cmd, a in subcommand_actions(build_parser())
        if a.option_strings and a.dest in FILE_OPTIONS
    }
)
_PATHLIKE = re.compile(r"FILE|NOTEBOOK|MAP|PATH|\.\w+$")


def test_every_path_option_is_a_checked_file_option() -> None:
    """An option whose value looks like a path is either checked as input or is an output."""
    unlisted = [
        (cmd, a.option_strings)
        for cmd, a in subcommand_actions(build_parser())
        if a.option_strings
        and _PATHLIKE.search(str(a.metavar or ""))
        and a.dest not in FILE_OPTIONS
        and a.dest not in OUTPUT_OPTIONS
    ]
    assert not unlisted, f"add these to cli/checks.FILE_OPTIONS (or OUTPUT_OPTIONS): {unlisted}"
    assert len(FILE_MEMBERS) >= 30  # columns, targets, travel times, roads ... over 14 commands


#: What the file holds: a secret line (and a /etc/passwd line), or a secret as a TOML value.
SECRET_FILES = {
    "line": f"{SECRET}\nroot:x:0:0:root:/root:/bin/bash\n",
    "toml": f'TOKEN = "{SECRET}"\n',
    "json": f'{{"cells": "{SECRET}"}}\n',
}
SUFFIXES = ("", ".csv", ".toml", ".ipynb", ".tif", ".gpkg", ".geojson", ".osm.pbf")


@pytest.mark.parametrize(("command", "option"), FILE_MEMBERS)
def test_file_option_never_echoes_content(
    command: str, option: str, county: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for kind, text in SECRET_FILES.items():
        for suffix in SUFFIXES:
            secret = tmp_path / f"secret-{kind}{suffix}"
            secret.write_text(text, encoding="utf-8")
            argv = [command, *_positionals(command, county, tmp_path), option, str(secret)]
            code, said = _main(argv, capsys)
            assert code == 2, (argv, said)
            assert SECRET not in said and "root:x:0" not in said, (argv, said)
            assert "Traceback" not in said and "internal error" not in said, (argv, said)
            assert secret.name in said and CJK.search(said), (argv, said)  # names the file


@pytest.mark.parametrize(("command", "option"), FILE_MEMBERS)
def test_file_option_names_a_missing_file_and_what_was_expected(
    command: str, option: str, county: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in (tmp_path / "nowhere.toml", tmp_path):  # missing; a folder
        argv = [command, *_positionals(command, county, tmp_path), option, str(path)]
        code, said = _main(argv, capsys)
        assert code == 2 and "expected" in said and "应为" in said, (argv, said)
        assert "Traceback" not in said


# =============================================================================== class 2


def _xlsx(tmp: Path, sheet_xml: Callable[[str], str], shared: str | None = None) -> Path:
    """A one-sheet workbook (村社区) whose sheet XML (and shared strings) are rewritten."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "村社区"
    ws.append(["村代码", "村名称", "人口"])
    ws.append(["410101100201", "东村", 3000])
    buf = _io.BytesIO()
    wb.save(buf)
    out = tmp / "book.xlsx"
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml(data.decode()).encode()
            elif shared is not None and info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.'
                    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
                    b"</Relationships>",
                )
            elif shared is not None and info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            zout.writestr(info, data)
        if shared is not None:
            zout.writestr(
                "xl/sharedStrings.xml",
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                f'uniqueCount="1"><si><t>{shared}</t></si></sst>',
            )
    return out


LONG = "长" * 40_000  # over Excel's 32,767 characters a cell


def _long_inline(tmp: Path) -> Path:
    cell = f'<c r="B3" t="inlineStr"><is><t>{LONG}</t></is></c>'
    return _xlsx(tmp, lambda x: x.replace("</sheetData>", f'<row r="3">{cell}</row></sheetData>'))


def _long_shared(tmp: Path) -> Path:
    cell = '<c r="B3" t="s"><v>0</v></c>'
    return _xlsx(
        tmp, lambda x: x.replace("</sheetData>", f'<row r="3">{cell}</row></sheetData>'), LONG
    )


def _long_formula(tmp: Path) -> Path:
    cell = f'<c r="B3" t="str"><f>"{LONG}"</f><v>x</v></c>'
    return _xlsx(tmp, lambda x: x.replace("</sheetData>", f'<row r="3">{cell}</row></sheetData>'))


def _wide_sheet(tmp: Path) -> Path:
    """310 rows with a cell every 99 columns out to XFD: no gap the stray rule would cut."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(c) for c in range(1, 16385, 99)]
    rows = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>1</v></c>' for c in letters) + "</row>"
        for r in range(10, 320)
    )
    return _xlsx(tmp, lambda x: x.replace("</sheetData>", rows + "</sheetData>"))


def _long_ods(tmp: Path) -> Path:
    import pandas as pd

    out = tmp / "book.ods"
    with pytest.warns(UserWarning):  # pandas' own odf writer says the cell is too long
        pd.DataFrame({"村名称": ["东村", LONG]}).to_excel(out, engine="odf", index=False)
    return out


BOOK_MEMBERS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "xlsx-inline-string": (_long_inline, "cell B3 holds 40,000 characters"),
    "xlsx-shared-string": (_long_shared, "cell B3 holds"),
    "xlsx-formula": (_long_formula, "cell B3 holds"),
    "xlsx-sheet-extent": (_wide_sheet, "more than the 5,000,000 read at most"),
    "ods-cell": (_long_ods, "cell A3 holds 40,000 characters"),
}


@pytest.mark.parametrize("member", sorted(BOOK_MEMBERS))
def test_workbook_sized_allocations_are_refused_first(member: str, tmp_path: Path) -> None:
    from tcmcounty.inputs.formats import read_book

    make, expected = BOOK_MEMBERS[member]
    sheets, findings = read_book(make(tmp_path))
    assert sheets == [] and len(findings) == 1, findings
    severity, en, zh, *_ = findings[0]
    assert severity == "error" and expected in en and "拒绝读取" in zh, en
    assert "村社区" in en or "Sheet1" in en  # the sheet is named


def test_workbook_cell_limit_through_validate(tmp_path: Path, capsys) -> None:
    code, said = _main(["validate", str(_long_shared(tmp_path))], capsys)
    assert code == 2 and "32,767" in said and "村社区" in said and "B3" in said
    assert LONG[:100] not in said and "Traceback" not in said


def test_stray_corner_cell_is_still_read(tmp_path: Path) -> None:
    """The extent check drops stray cells as the reader does: a far corner cell is no refusal."""
    from tcmcounty.inputs.formats import read_book

    corner = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    book = _xlsx(tmp_path, lambda x: x.replace("</sheetData>", corner + "</sheetData>"))
    sheets, findings = read_book(book)
    assert not findings and sheets[0].rows[1][:2] == ["410101100201", "东村"]
    assert any("far outside the table" in f[1] for f in sheets[0].findings)


def _huge_raster(path: Path, crs: str = "EPSG:4544", size: int = 300_000) -> Path:
    """A GeoTIFF declaring ``size`` × ``size`` cells, a few KB on disk (sparse, tiled)."""
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="float32",
        crs=crs,
        transform=from_origin(500_000, 4_000_000, 30, 30),
        tiled=True,
        blockxsize=4096,
        blockysize=4096,
        compress="deflate",
        sparse_ok=True,
    ):
        pass
    return path


def test_raster_declaring_300000_squared_cells_is_refused_before_reading(
    tmp_path: Path, county: Path, capsys
) -> None:
    from tcmcounty.spatial.travel._errors import TravelInputError
    from tcmcounty.spatial.travel.friction import MAX_RASTER_CELLS, check_raster_file, read_friction

    big = _huge_raster(tmp_path / "big.tif")
    assert big.stat().st_size < 200_000
    for read in (lambda: read_friction(big, "EPSG:4544"), lambda: check_raster_file(big)):
        with pytest.raises(TravelInputError, match=r"300,000 × 300,000 cells") as exc:
            read()
        assert f"{MAX_RASTER_CELLS:,}" in str(exc.value) and "GiB" in str(exc.value)
    code, said = _main(["coverage", str(county), "--friction", str(big)], capsys)
    assert code == 2 and "300,000 × 300,000" in said and "像元" in said
    assert "Unable to allocate" not in said and "Traceback" not in said


def test_raster_reprojected_grid_is_checked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A raster in degrees under the limit whose metric grid would exceed it is refused."""
    import tcmcounty.spatial.travel.friction as F
    from tcmcounty.spatial.travel._errors import TravelInputError

    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin

    path = tmp_path / "degrees.tif"
    profile = {"driver": "GTiff", "width": 10, "height": 10, "count": 1, "dtype": "float32"}
    with rasterio.open(
        path, "w", **profile, crs="EPSG:4326", transform=from_origin(120, 30, 0.01, 0.01)
    ) as dst:
        dst.write(np.full((1, 10, 10), 0.01, dtype="float32"))
    monkeypatch.setattr(F, "MAX_RASTER_CELLS", 120)  # 10 × 10 passes, its 11 × 12 grid does not
    with pytest.raises(TravelInputError, match="declares 11 × 12 cells"):
        F.read_friction(path, "EPSG:4544")


# =============================================================================== class 3


def _roads_frame(speeds: list[object] | None = None):
    """Three road lines in metres (EPSG:4544), with a speed column when ``speeds`` is given."""
    import geopandas as gpd
    import shapely

    lines = [shapely.LineString([(500_000 + 1000 * i, 3_300_000), (501_000 + 1000 * i, 3_300_000)])
             for i in range(3)]  # fmt: skip
    cols: dict[str, object] = {"fclass": ["secondary"] * 3}
    if speeds is not None:
        cols["speed"] = speeds
    return gpd.GeoDataFrame(cols, geometry=lines, crs="EPSG:4544")


def _road_graph_member(tmp: Path, monkeypatch: pytest.MonkeyPatch):
    """Build (or load) the road graph of a file-like layer; return (result, note, file)."""
    import tcmcounty.spatial.travel.graph as G
    from tcmcounty.spatial.travel.roads import roads_from_frame

    monkeypatch.setenv("TCMCOUNTY_CACHE_DIR", str(tmp / "cache"))
    layer = roads_from_frame(_roads_frame())

    def run() -> tuple[object, str]:
        G._MEMORY.clear()
        g = G.build_graph(None, "walk", "EPSG:4544", digest="hostile", reader=lambda: layer)
        return (g.n_arcs, g.seg_minutes.round(9).tolist(), g.from_cache), g.cache_note

    def file() -> Path:
        return next((tmp / "cache" / "roads").glob("*.npz"))

    return run, file, lambda result: result[:2]


def _font_member(tmp: Path, monkeypatch: pytest.MonkeyPatch, suffix: str):
    """The base font subset (``.otf``) or its character list (``.txt``), cached on disk."""
    import matplotlib

    from tcmcounty.run import execute as E

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    monkeypatch.setattr(E, "_cache_root", lambda: tmp / "fonts")
    # the module's faces of the real font stay untouched: this test's DejaVu base never leaks
    monkeypatch.setattr(E, "_FONT_CACHE", {})

    def run() -> tuple[object, str]:
        E._FONT_CACHE.clear()
        buf = _io.StringIO()
        err, sys.stderr = sys.stderr, buf
        try:
            data, chars = E._base_font(font)
        finally:
            sys.stderr = err
        from fontTools.ttLib import TTFont

        glyphs = len(TTFont(_io.BytesIO(data)).getGlyphOrder())  # a font that opens
        return (glyphs, len(chars)), buf.getvalue()

    def file() -> Path:
        return next((tmp / "fonts").glob(f"*-base-*{suffix}"))

    return run, file, lambda result: result


def _results_member(tmp: Path, monkeypatch: pytest.MonkeyPatch):
    """A county's results in the report cache (reporting.results, HMAC-signed pickles)."""
    from tcmcounty.reporting import results as RS

    bundle = write_bundle(tmp / "410101-test")

    def run() -> tuple[object, str]:
        res = RS.load_results(bundle, cache_dir=tmp / "rcache")
        return (res.key, len(res.county.villages)), " ".join(res.cache_notes)

    def file() -> Path:
        return next((tmp / "rcache").glob("*.pkl"))

    return run, file, lambda result: result


CACHE_MEMBERS = {
    "road-graph": _road_graph_member,
    "font-subset": lambda t, m: _font_member(t, m, ".otf"),
    "font-characters": lambda t, m: _font_member(t, m, ".txt"),
    "results": _results_member,
}


def _other_version(data: bytes) -> bytes:
    if data.startswith(tio.CACHE_MAGIC):
        head, _, rest = data[len(tio.CACHE_MAGIC) :].partition(b"\n")
        kind, _version, *tail = head.split(b"\t")
        return tio.CACHE_MAGIC + b"\t".join([kind, b"0", *tail]) + b"\n" + rest
    return data.replace(b"-v2\n", b"-v1\n", 1)  # the results cache's own magic


CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda d: d[: len(d) // 2],
    "byte-flipped": lambda d: d[:-7] + bytes([d[-7] ^ 0xFF]) + d[-6:],
    "empty": lambda d: b"",
    "other-version": _other_version,
    "old-format": lambda d: d.split(b"\n", 2)[-1] if d.startswith(tio.CACHE_MAGIC) else d[40:],
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
@pytest.mark.parametrize("member", sorted(CACHE_MEMBERS))
def test_damaged_cache_is_rebuilt_with_a_note(
    member: str, corruption: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, file, same = CACHE_MEMBERS[member](tmp_path, monkeypatch)
    first, note = run()
    assert note == ""
    good = file().read_bytes()
    file().write_bytes(CORRUPTIONS[corruption](good))
    again, note = run()  # the next run succeeds: rebuilt, said in one line
    assert same(again) == same(first)
    assert note.count("\n") <= 1 and "did not load" in note and "重" in note, note
    third, note = run()  # and the rebuilt file loads
    assert note == "" and same(third) == same(first)
    if member == "road-graph":
        assert third[2] is True  # loaded from the disk cache


# =============================================================================== class 4

#: 83 Chinese characters: 249 bytes of UTF-8, a legal file name of 254 bytes with ".json".
LONG_NAME = "测" * 83 + ".json"


def _atomic_path(target: Path) -> None:
    with tio.atomic_path(target) as tmp:
        tmp.write_text("x", encoding="utf-8")


TEMP_MEMBERS: dict[str, Callable[[Path], None]] = {
    "atomic_path": _atomic_path,
    "write_text_atomic": lambda t: tio.write_text_atomic(t, "x"),
    "write_files_atomic": lambda t: tio.write_files_atomic({t: b"x", t.with_name("b.json"): b"y"}),
    "write_files_atomic-replacing": lambda t: (
        t.write_bytes(b"old"),
        tio.write_files_atomic({t: b"x"}),
    ),
    "write_cache": lambda t: tio.write_cache(t, b"x", kind="k", version="1") or 1 / 0,
}


@pytest.mark.parametrize("member", sorted(TEMP_MEMBERS))
def test_temporary_names_fit_the_file_system(member: str, tmp_path: Path) -> None:
    target = tmp_path / LONG_NAME
    assert len(target.name.encode()) == 254
    TEMP_MEMBERS[member](target)
    assert target.is_file()
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_temporary_name_is_bounded_and_distinct() -> None:
    a = tio.temp_name_parts(Path("测" * 85))
    b = tio.temp_name_parts(Path("测" * 84 + "试"))
    assert len((a["prefix"] + "12345678" + a["suffix"]).encode()) < 100
    assert a["prefix"] != b["prefix"] and a["prefix"].startswith(".测")


#: A county folder named by 75 Chinese characters (225 bytes): its report files fit in 255
#: bytes, their temporary names did not.
CHINESE_75 = "测" * 75


def test_validate_a_county_named_by_75_chinese_characters(tmp_path: Path, capsys) -> None:
    bundle = write_bundle(tmp_path / CHINESE_75)
    code, said = _main(["validate", str(bundle)], capsys)
    assert code == 0 and "valid" in said
    workbook = tmp_path / f"{CHINESE_75}.xlsx"
    code, said = _main(["export", str(bundle), str(workbook)], capsys)
    assert code == 0 and workbook.is_file()
    code, said = _main(["validate", str(workbook)], capsys)
    assert code == 0, said


@pytest.mark.slow
@pytest.mark.parametrize("command", ["report", "batch"])
def test_report_and_batch_for_a_county_named_by_75_chinese_characters(
    command: str, tmp_path: Path, capsys
) -> None:
    bundle = make_tiny_bundle(tmp_path / "in", CHINESE_75)
    out = tmp_path / "out"
    source = str(bundle) if command == "report" else str(bundle.parent)
    args = [command, source, "-o", str(out), "--report-date", DATE]
    code, said = _main([*args, *(["--no-progress"] if command == "batch" else [])], capsys)
    assert code == 0, said
    assert (out / f"{CHINESE_75}.html").is_file()
    assert (out / f"{CHINESE_75}-worklist.xlsx").is_file()
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]


# =============================================================================== class 5


def _own_outputs_folder(root: Path) -> tuple[Path, dict[str, Path], Path]:
    """A folder holding each kind of file the tool writes, and one county workbook."""
    from openpyxl import Workbook

    from tcmcounty import load_county
    from tcmcounty.inputs.workbook import write_workbook
    from tcmcounty.run.index import write_summary_xlsx
    from tcmcounty.run.report import JobOutcome, JobRecord, write_outcome

    folder = root / "reports"
    folder.mkdir()
    county = load_county(write_bundle(root / "410101-test"), warn=False)
    members: dict[str, Path] = {}
    members["summary"] = write_summary_xlsx(folder, [])
    import pandas as pd

    members["table"] = tio.write_xlsx(folder / "indicators.xlsx", {"t": pd.DataFrame({"a": [1]})})
    buf = _io.BytesIO()
    Workbook().save(buf)  # a worklist as a report job hands it over: unmarked bytes
    rec = JobRecord("county_report", "999-x", "ok")
    write_outcome(folder, JobOutcome("999-x", "county_report", "ok", rec, {"999-x-worklist.xlsx": buf.getvalue()}))  # fmt: skip
    members["worklist"] = folder / "999-x-worklist.xlsx"
    # an older report's workbook, unmarked, known only from its record (the folder's manifest)
    listed = write_workbook(folder / "888-old-worklist.xlsx", county)
    old = {"kind": "county_report", "name": "888-old", "status": "ok"}
    old["outputs"] = [listed.name]
    (folder / "888-old.json").write_text(json.dumps(old), encoding="utf-8")
    members["listed-in-record"] = listed
    real = write_workbook(folder / "410101-test.xlsx", county)  # a county: still read
    return folder, members, real


OWN_OUTPUTS = ("summary", "table", "worklist", "listed-in-record")


def test_batch_discovery_skips_each_kind_of_own_output(tmp_path: Path) -> None:
    from tcmcounty.run.batch import discover

    folder, members, real = _own_outputs_folder(tmp_path)
    assert sorted(members) == sorted(OWN_OUTPUTS)
    notes: list[str] = []
    found, bad = discover([folder], notes)
    assert found == [real] and bad == []
    for name in OWN_OUTPUTS:
        assert any(str(members[name]) in n and "本工具生成" in n for n in notes), (name, notes)
    notes = []
    found, bad = discover([members["summary"]], notes)  # given by name: skipped too
    assert found == [] and len(notes) == 1


def test_workbooks_to_fill_in_are_never_marked(tmp_path: Path) -> None:
    from tcmcounty.inputs.workbook import write_workbook

    assert not tio.is_output_workbook(write_workbook(tmp_path / "template.xlsx"))
    assert tio.is_output_workbook(tio.write_xlsx(tmp_path / "t.xlsx", {}))


@pytest.mark.slow
def test_batch_over_its_own_report_folder(tmp_path: Path, capsys) -> None:
    from tcmcounty.run.batch import read_status

    src = tmp_path / "in"
    make_tiny_bundle(src, "999001-tiny")
    first = tmp_path / "first"
    args = ["--no-progress", "--report-date", DATE, "--workers", "1"]
    assert _main(["batch", str(src), "-o", str(first), *args], capsys)[0] == 0
    make_tiny_bundle(first, "999002-other", adcode="510102")  # a county beside the outputs
    second = tmp_path / "second"
    code, said = _main(["batch", str(first), "-o", str(second), *args], capsys)
    assert code == 0, said
    assert "summary.xlsx: written by tcmcounty" in said
    assert "999001-tiny-worklist.xlsx: written by tcmcounty" in said
    assert [r["county"] for r in read_status(second)] == ["999002-other"]


# =============================================================================== class 6

NUMBER_MEMBERS = sorted(
    {
        (cmd, a.option_strings[-1])
        for cmd, a in subcommand_actions(build_parser())
        if a.option_strings and isinstance(a.type, Number)
    }
)


def test_every_numeric_option_has_a_checked_type() -> None:
    raw = [
        (cmd, a.option_strings)
        for cmd, a in subcommand_actions(build_parser())
        if a.type in (int, float)
    ]
    assert raw == []
    assert len(NUMBER_MEMBERS) >= 25


@pytest.mark.parametrize(("command", "option"), NUMBER_MEMBERS)
def test_numeric_option_refuses_what_means_nothing(
    command: str, option: str, county: Path, tmp_path: Path, capsys
) -> None:
    for bad in ("nan", "NaN", "inf", "-inf", "1e999", "-1", "abc", "1e308"):
        argv = [command, *_positionals(command, county, tmp_path), f"{option}={bad}"]
        code, said = _main(argv, capsys)
        assert code == 2, (argv, said)
        assert option in said and CJK.search(said) and "/" in said, (argv, said)
        assert "Traceback" not in said
    action = next(
        a
        for cmd, a in subcommand_actions(build_parser())
        if cmd == command and option in a.option_strings
    )
    number: Number = action.type  # type: ignore[assignment]
    ok = number.low + (1 if number.low_open else 0)
    assert number(str(int(ok) if number.integer else ok)) == ok  # the bounds admit a value


THRESHOLD_MEMBERS = sorted(
    {
        (cmd, a.option_strings[-1])
        for cmd, a in subcommand_actions(build_parser())
        if a.option_strings and a.dest in ("thresholds", "radius")
    }
)


@pytest.mark.parametrize(("command", "option"), THRESHOLD_MEMBERS)
def test_threshold_option_refuses_nan_and_absurd_values(
    command: str, option: str, county: Path, tmp_path: Path, capsys
) -> None:
    for bad in ("nan", "inf", "1e308", "-1", "2,nan"):
        argv = [command, *_positionals(command, county, tmp_path), f"{option}={bad}"]
        code, said = _main(argv, capsys)
        assert code == 2 and "阈值" in said and "Traceback" not in said, (argv, said)
    assert check_thresholds("1,2,5km") == "1,2,5km"


# =============================================================================== class 7


@pytest.mark.parametrize("sig", [s.name for s in STOP_SIGNALS])
def test_batch_handles_stop_signals_even_when_inherited_ignored(sig: str) -> None:
    from tcmcounty.run.batch import Terminated, stop_on_signals

    signum = signal.Signals[sig]
    before = signal.signal(signum, signal.SIG_IGN)  # as a script started in the background
    try:
        with pytest.raises(KeyboardInterrupt) as exc, stop_on_signals():
            signal.raise_signal(signum)
            time.sleep(1)  # not reached: the handler raises
        assert isinstance(exc.value, Terminated) == (signum != signal.SIGINT)
        assert signal.getsignal(signum) == signal.SIG_IGN  # given back afterwards
    finally:
        signal.signal(signum, before)


@pytest.mark.slow
def test_batch_started_with_sigint_ignored_still_stops_on_sigint(tmp_path: Path) -> None:
    """``make test &`` from a script: SIGINT arrives ignored; the batch still stops cleanly."""
    from tcmcounty.run import report as R
    from tcmcounty.run.batch import read_status

    src = tmp_path / "counties"
    make_tiny_bundle(src, "999611-sleepy")
    sleep = (
        'if "sleepy" in county:\n    import os, pathlib, time\n\n'
        '    pathlib.Path(os.environ["TCM_TEST_STARTED"]).touch()\n    time.sleep(600)'
    )
    tpl = template_with_cell(R.template_path("county_report"), tmp_path / "sleepy.ipynb", sleep)
    tmp = Path(tempfile.mkdtemp(prefix="t", dir="/tmp"))
    out, started = tmp_path / "reports", tmp_path / "cell-started"
    env = {**os.environ, "TMPDIR": str(tmp), "TCM_TEST_STARTED": str(started)}
    cmd = [sys.executable, "-m", "tcmcounty.cli", "batch", str(src), "--out", str(out)]
    cmd += ["--template", str(tpl), "--workers", "1", "--no-progress", "--report-date", DATE]
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        deadline = time.monotonic() + 180
        while not started.exists() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            time.sleep(0.2)
        assert started.exists(), "the sleeping cell never started"
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(60) == 130
        deadline = time.monotonic() + 30
        while list(tmp.glob("tcmr-*")) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not list(tmp.glob("tcmr-*"))
        row = {r["county"]: r for r in read_status(out)}["999611-sleepy"]
        assert row["status"] == "not run" and "interrupted" in row["error"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)


# =============================================================================== class 8

SPEED_TABLES = {
    "motor-nan": ("[classes.secondary]\nmotor = nan\n", "[classes.secondary] motor", "nan"),
    "motor-inf": ("[classes.secondary]\nmotor = inf\n", "[classes.secondary] motor", "inf"),
    "motor-1e308": ("[classes.secondary]\nmotor = 1e308\n", "[classes.secondary] motor", "1e+308"),
    "motor-0.5": ("[classes.secondary]\nmotor = 0.5\n", "[classes.secondary] motor", "0.5"),
    "walk-100": ("[classes.path]\nwalk = 100\n", "[classes.path] walk", "100"),
    "default-nan": ("[default]\nmotor = nan\n", "[classes.default] motor", "nan"),
    "off-road-0": ("[off_road]\nwalk = 0\n", "[off_road] walk", "0"),
    "off-road-inf": ("[off_road]\nmotor = inf\n", "[off_road] motor", "inf"),
}


@pytest.mark.parametrize("member", sorted(SPEED_TABLES))
def test_speed_table_refuses_non_finite_and_absurd_speeds(member: str, tmp_path: Path) -> None:
    from tcmcounty.spatial.travel._errors import TravelInputError
    from tcmcounty.spatial.travel.speeds import load_speeds

    text, where, value = SPEED_TABLES[member]
    path = tmp_path / "speeds.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TravelInputError) as exc:
        load_speeds(path)
    said = str(exc.value)
    assert where in said and value in said and "公里/小时" in said, said


LAYER_SPEEDS = {
    "float-1e308": [60.0, 1e308, 40.0],
    "float-inf": [60.0, float("inf"), 40.0],
    "text-nan": ["60", "nan", "40"],
    "text-inf": ["60", "Infinity", "40"],
    "negative": [60, -5, 40],
    "900": [60, 900, 40],
    "text-1e308": ["60", "1e308", "40"],
}


@pytest.mark.parametrize("member", sorted(LAYER_SPEEDS))
def test_road_layer_speed_column_refuses_absurd_speeds(member: str, tmp_path: Path) -> None:
    from tcmcounty.spatial.travel._errors import TravelInputError
    from tcmcounty.spatial.travel.roads import read_roads

    path = tmp_path / "roads.gpkg"
    _roads_frame(LAYER_SPEEDS[member]).to_file(path, engine="pyogrio")
    with pytest.raises(TravelInputError) as exc:
        read_roads(path)
    said = str(exc.value)
    assert "roads.gpkg" in said and "'speed'" in said and "feature 2" in said, said
    assert "1–200 km/h" in said and "公里/小时" in said, said


def test_road_layer_missing_and_osm_word_speeds_take_the_class_speed(tmp_path: Path) -> None:
    from tcmcounty.spatial.travel.roads import read_roads

    path = tmp_path / "roads.gpkg"
    _roads_frame(["50", "none", None]).to_file(path, engine="pyogrio")
    assert np.isnan(read_roads(path).lines["speed_kmh"].to_numpy()[1:]).all()


RASTERS = {
    "kmh-1e308": ("kmh", 1e308, "1e+308 km/h"),
    "kmh-inf": ("kmh", np.inf, "inf km/h"),
    "kmh-900": ("kmh", 900.0, "900 km/h"),
    "friction-1e-9": ("minutes_per_metre", 1e-9, "1e-09 minutes per metre"),
}


@pytest.mark.parametrize("member", sorted(RASTERS))
def test_speed_raster_refuses_cells_faster_than_any_road(member: str) -> None:
    from affine import Affine

    from tcmcounty.spatial.travel._errors import TravelInputError
    from tcmcounty.spatial.travel.friction import surface_from_array

    units, value, shown = RASTERS[member]
    good = 5.0 if units == "kmh" else 0.012
    cells = np.full((3, 3), good)
    cells[1, 2] = value
    with pytest.raises(TravelInputError) as exc:
        surface_from_array(cells, Affine(100, 0, 0, 0, -100, 300), "EPSG:4544", units=units)
    said = str(exc.value)
    assert "row 2, column 3" in said and shown in said and "200 km/h" in said, said


def test_cli_names_the_speed_key_and_value(county: Path, tmp_path: Path, capsys) -> None:
    roads = tmp_path / "roads.gpkg"
    _roads_frame().to_file(roads, engine="pyogrio")
    speeds = tmp_path / "speeds.toml"
    speeds.write_text("[classes.secondary]\nmotor = 1e308\n", encoding="utf-8")
    argv = ["coverage", str(county), "--roads", str(roads), "--speeds", str(speeds)]
    code, said = _main([*argv, "--mode", "motor"], capsys)
    assert code == 2 and "[classes.secondary] motor" in said and "1e+308" in said
    assert "公里/小时" in said and "Traceback" not in said
