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
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import write_bundle

from tcmcounty.cli import build_parser, main
from tcmcounty.cli.checks import (
    FILE_OPTIONS,
    OUTPUT_OPTIONS,
    subcommand_actions,
)

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
    from tcmcounty.travel._errors import TravelInputError
    from tcmcounty.travel.friction import MAX_RASTER_CELLS, check_raster_file, read_friction

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
    import tcmcounty.travel.friction as F
    from tcmcounty.travel._errors import TravelInputError

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
