"""One format layer: .xlsx, .xls, .xlsb, .ods and text tables read into the same sheets.

The .xls files are written with xlwt, the .ods files with pandas (odf engine) or odfpy, the
.xlsb files by :func:`write_xlsb` below (the few records calamine reads, after MS-XLSB), the
text files in GBK, GB18030, UTF-8 and UTF-16.
"""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
from pathlib import Path

import pytest

from tcmcounty.inputs.cells import cell_text
from tcmcounty.inputs.formats import book_kind, read_book, read_folder_tables
from tcmcounty.inputs.sheets import Sheet

xlwt = pytest.importorskip("xlwt")

HEADER = ["村代码", "村名称", "人口", "建档日期"]
VILLAGES = [
    ["410101001001", "西村", 3500, dt.datetime(2023, 5, 1)],
    ["410101001002", "东村", 2.5, dt.datetime(2024, 1, 31)],
]


def grid(sheet: Sheet) -> list[list[str]]:
    """The sheet's cells as text, trailing empty rows and cells dropped."""
    rows = [[cell_text(v) for v in r] for r in sheet.rows]
    rows = [r[: max((i + 1 for i, t in enumerate(r) if t), default=0)] for r in rows]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def by_title(sheets: list[Sheet]) -> dict[str, Sheet]:
    return {s.title: s for s in sheets}


# --- writers -------------------------------------------------------------------------------------


def write_xls(path: Path, *, far: tuple[int, int] | None = None) -> Path:
    """村社区 (a merged title row, then the villages), 旧数据 (hidden), 偏移 (data from C5)."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("村社区")
    ws.write_merge(0, 0, 0, 3, "测试县村（社区）基本情况表")
    for c, h in enumerate(HEADER):
        ws.write(1, c, h)
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(VILLAGES, start=2):
        for c, v in enumerate(row):
            ws.write(r, c, v, date) if isinstance(v, dt.datetime) else ws.write(r, c, v)
    if far is not None:
        ws.write(*far, "x")
    old = wb.add_sheet("旧数据")
    old.write(0, 0, "2019年数据")
    old.visibility = 1  # hidden
    off = wb.add_sheet("偏移")
    off.write(4, 2, "乡镇名称")
    off.write_merge(5, 6, 2, 3, "城关镇")
    off.write(7, 4, 12)
    wb.save(str(path))
    return path


def write_ods(path: Path) -> Path:
    """The villages with pandas (odf engine), and a second sheet."""
    import pandas as pd

    with pd.ExcelWriter(path, engine="odf") as w:
        pd.DataFrame(VILLAGES, columns=HEADER).to_excel(w, sheet_name="村社区", index=False)
        pd.DataFrame({"乡镇名称": ["城关镇"], "人口": [52000]}).to_excel(
            w, sheet_name="乡镇", index=False
        )
    return path


def write_ods_merged(path: Path) -> Path:
    """With odfpy: a merged two-row header, repeated rows and cells, and a hidden sheet."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableProperties
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    hidden = Style(name="hiddenTable", family="table")
    hidden.addElement(TableProperties(display="false"))
    doc.automaticstyles.addElement(hidden)

    def cell(value: object = None, **kw: object) -> TableCell:
        if value is None:
            return TableCell(**kw)
        if isinstance(value, str):
            c = TableCell(valuetype="string", **kw)
            c.addElement(P(text=value))
            return c
        return TableCell(valuetype="float", value=value, **kw)

    t = Table(name="医疗机构")
    r1 = TableRow()
    r1.addElement(cell("机构名称", numberrowsspanned=2))
    r1.addElement(cell("人员情况", numbercolumnsspanned=2))
    r1.addElement(CoveredTableCell())
    t.addElement(r1)
    r2 = TableRow()
    r2.addElement(CoveredTableCell())
    r2.addElement(cell("执业（助理）医师"))
    r2.addElement(cell("注册护士"))
    t.addElement(r2)
    r3 = TableRow()
    r3.addElement(cell("县中医院"))
    r3.addElement(cell(160))
    r3.addElement(cell(220))
    r3.addElement(cell(numbercolumnsrepeated=1000))  # trailing empty cells, as LibreOffice
    t.addElement(r3)
    t.addElement(TableRow(numberrowsrepeated=3))  # empty rows
    r4 = TableRow(numberrowsrepeated=2)
    r4.addElement(cell("卫生院", numbercolumnsrepeated=2))
    t.addElement(r4)
    doc.spreadsheet.addElement(t)
    old = Table(name="旧数据", stylename=hidden)
    r = TableRow()
    r.addElement(cell("2019年数据"))
    old.addElement(r)
    doc.spreadsheet.addElement(old)
    doc.save(str(path))
    return path


def _record(typ: int, body: bytes = b"") -> bytes:
    """One .xlsb record: type and size as 7-bit varints, then the body."""
    head = bytes([typ]) if typ < 0x80 else bytes([(typ & 0x7F) | 0x80, typ >> 7])
    n, size = len(body), b""
    while True:
        size += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
        n >>= 7
        if not n:
            break
    return head + size + body


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def _xlsb_sheet(cells: dict[tuple[int, int], object], merged: list[tuple[int, ...]]) -> bytes:
    out = _record(0x81)  # BrtBeginSheet
    rows = sorted({r for r, _ in cells}) or [0]
    cols = sorted({c for _, c in cells}) or [0]
    out += _record(0x94, struct.pack("<4I", rows[0], rows[-1], cols[0], cols[-1]))  # BrtWsDim
    out += _record(0x91)  # BrtBeginSheetData
    for r in rows:
        out += _record(0x00, struct.pack("<IIH3xI", r, 0, 0x12C, 0))  # BrtRowHdr
        for (rr, c), v in sorted(cells.items()):
            if rr != r:
                continue
            if isinstance(v, str):
                out += _record(0x06, struct.pack("<II", c, 0) + _wide(v))  # BrtCellSt
            elif isinstance(v, int):
                out += _record(0x02, struct.pack("<IIi", c, 0, (v << 2) | 2))  # BrtCellRk
            else:
                out += _record(0x05, struct.pack("<IId", c, 0, float(v)))  # BrtCellReal
    out += _record(0x92)  # BrtEndSheetData
    if merged:
        out += _record(0xB1, struct.pack("<I", len(merged)))  # BrtBeginMergeCells
        for r0, c0, r1, c1 in merged:
            out += _record(0xB0, struct.pack("<4I", r0, r1, c0, c1))  # BrtMergeCell
        out += _record(0xB2)
    return out + _record(0x82)  # BrtEndSheet


def write_xlsb(path: Path, sheets: list[tuple[str, dict, list, bool]]) -> Path:
    """An .xlsb of ``(name, {(row, col): value}, [(r0, c0, r1, c1)], hidden)``, 0-based."""
    book = _record(0x83) + _record(0x8F)  # BrtBeginBook, BrtBeginBundleShs
    rels = ['<?xml version="1.0" encoding="UTF-8"?>']
    rels.append(
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, cells, merged, hidden) in enumerate(sheets, start=1):
            book += _record(
                0x9C, struct.pack("<II", 1 if hidden else 0, i) + _wide(f"rId{i}") + _wide(name)
            )  # BrtBundleSh
            rels.append(
                f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/'
                f'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.bin"/>'
            )
            zf.writestr(f"xl/worksheets/sheet{i}.bin", _xlsb_sheet(cells, merged))
        book += _record(0x90) + _record(0x84)  # BrtEndBundleShs, BrtEndBook
        zf.writestr("xl/workbook.bin", book)
        zf.writestr("xl/_rels/workbook.bin.rels", "".join(rels) + "</Relationships>")
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Override PartName="/xl/workbook.bin" ContentType='
            '"application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>',
        )
    return path


def xlsb_villages(path: Path, far: tuple[int, int] | None = None) -> Path:
    cells: dict[tuple[int, int], object] = {(0, 0): "测试县村（社区）基本情况表"}
    for c, h in enumerate(HEADER[:3]):
        cells[(1, c)] = h
    for r, row in enumerate(VILLAGES, start=2):
        for c, v in enumerate(row[:3]):
            cells[(r, c)] = v
    if far is not None:
        cells[far] = "x"
    old = {(0, 0): "2019年数据"}
    return write_xlsb(path, [("村社区", cells, [(0, 0, 0, 2)], False), ("旧数据", old, [], True)])


# --- workbooks -----------------------------------------------------------------------------------


def test_xls_cells_merged_hidden_and_offsets(tmp_path: Path) -> None:
    sheets, findings = read_book(write_xls(tmp_path / "县.xls"))
    assert findings == []
    s = by_title(sheets)
    assert list(s) == ["村社区", "旧数据", "偏移"]
    v = s["村社区"]
    assert v.rows[0] == ["测试县村（社区）基本情况表"]
    assert v.rows[1] == HEADER
    assert v.rows[2] == ["410101001001", "西村", 3500, dt.datetime(2023, 5, 1)]
    assert v.rows[3] == ["410101001002", "东村", 2.5, dt.datetime(2024, 1, 31)]
    assert type(v.rows[2][2]) is int and type(v.rows[2][3]) is dt.datetime
    assert v.merged == [(1, 1, 1, 4)]
    assert (v.hidden, s["旧数据"].hidden, s["偏移"].hidden) == (False, True, False)
    assert s["旧数据"].rows == [["2019年数据"]]
    # data from C5: rows and columns keep their places in the sheet
    off = s["偏移"]
    assert off.rows[:4] == [[], [], [], []]
    assert off.rows[4] == [None, None, "乡镇名称"]
    assert off.rows[5] == [None, None, "城关镇"]
    assert off.rows[7] == [None, None, None, None, 12]
    assert off.merged == [(6, 3, 7, 4)]


def test_ods_values_from_pandas(tmp_path: Path) -> None:
    sheets, findings = read_book(write_ods(tmp_path / "县.ods"))
    assert findings == []
    v, t = sheets
    assert (v.title, t.title) == ("村社区", "乡镇")
    assert v.rows[0] == HEADER
    assert v.rows[1] == ["410101001001", "西村", 3500, dt.datetime(2023, 5, 1)]
    assert v.rows[2][2] == 2.5 and v.rows[2][3] == dt.datetime(2024, 1, 31)
    assert t.rows == [["乡镇名称", "人口"], ["城关镇", 52000]]
    assert cell_text(t.rows[1][1]) == "52000"
    assert not v.hidden and not t.hidden and v.merged == []


def test_ods_merged_ranges_repeats_and_hidden(tmp_path: Path) -> None:
    """calamine gives no merged ranges for .ods; they come from content.xml."""
    sheets, findings = read_book(write_ods_merged(tmp_path / "机构.ods"))
    assert findings == []
    f, old = sheets
    assert f.rows[0] == ["机构名称", "人员情况"]
    assert f.rows[1] == [None, "执业（助理）医师", "注册护士"]
    assert f.rows[2] == ["县中医院", 160, 220]
    assert f.rows[3:6] == [[], [], []]
    assert f.rows[6:] == [["卫生院", "卫生院"], ["卫生院", "卫生院"]]
    assert f.merged == [(1, 1, 2, 1), (1, 2, 1, 3)]
    assert (f.hidden, old.hidden) == (False, True)
    assert old.rows == [["2019年数据"]]


def test_xlsb_cells_merged_and_hidden(tmp_path: Path) -> None:
    """calamine gives no merged ranges for .xlsb; they come from the sheet's records."""
    sheets, findings = read_book(xlsb_villages(tmp_path / "县.xlsb"))
    assert findings == []
    v, old = sheets
    assert v.rows[0] == ["测试县村（社区）基本情况表"]
    assert v.rows[1] == HEADER[:3]
    assert v.rows[2] == ["410101001001", "西村", 3500]
    assert v.rows[3] == ["410101001002", "东村", 2.5]
    assert v.merged == [(1, 1, 1, 3)]
    assert (v.hidden, old.hidden, old.rows) == (False, True, [["2019年数据"]])


def test_xlsx_hidden_sheets_are_read_and_flagged(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from tcmcounty.inputs.sheets import read_sheets

    wb = Workbook()
    ws = wb.active
    ws.title = "村社区"
    ws.append(["测试县村（社区）基本情况表"])
    ws.merge_cells("A1:D1")
    ws.append(HEADER)
    for row in VILLAGES:
        ws.append(row)
    old = wb.create_sheet("旧数据")
    old.append(["2019年数据"])
    old.sheet_state = "hidden"
    very = wb.create_sheet("_lists")
    very.append(["是", "否"])
    very.sheet_state = "veryHidden"
    path = tmp_path / "县.xlsx"
    wb.save(path)
    sheets, findings = read_book(path)
    assert findings == []
    assert [(s.title, s.hidden) for s in sheets] == [
        ("村社区", False),
        ("旧数据", True),
        ("_lists", True),
    ]
    assert sheets[0].rows[2] == VILLAGES[0] and sheets[0].merged == [(1, 1, 1, 4)]
    with path.open("rb") as f:  # read_sheets alone still skips hidden sheets
        assert [s.title for s in read_sheets(f)[0]] == ["村社区"]


def test_same_cells_whatever_the_format(tmp_path: Path) -> None:
    """One table written as .xlsx, .xls, .ods and .xlsb reads to the same text everywhere."""
    import pandas as pd

    rows = [HEADER[:3], *[r[:3] for r in VILLAGES], ["410101001003", "南村", 0]]
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    frame.to_excel(tmp_path / "v.xlsx", index=False, sheet_name="村")
    frame.to_excel(tmp_path / "v.ods", index=False, sheet_name="村", engine="odf")
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("村")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    wb.save(str(tmp_path / "v.xls"))
    cells = {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row)}
    write_xlsb(tmp_path / "v.xlsb", [("村", cells, [], False)])
    grids = {}
    for suffix in ("xlsx", "xls", "ods", "xlsb"):
        sheets, findings = read_book(tmp_path / f"v.{suffix}")
        assert findings == [] and [s.title for s in sheets] == ["村"], suffix
        grids[suffix] = grid(sheets[0])
    assert grids["xlsx"][3] == ["410101001003", "南村", "0"]
    assert grids["xls"] == grids["ods"] == grids["xlsb"] == grids["xlsx"]


def test_kind_is_told_by_content_not_name(tmp_path: Path) -> None:
    xls = write_xls(tmp_path / "a.xls")
    (tmp_path / "xls-named.xlsx").write_bytes(xls.read_bytes())
    ods = write_ods(tmp_path / "b.ods")
    (tmp_path / "ods-named.xls").write_bytes(ods.read_bytes())
    (tmp_path / "csv-named.xls").write_bytes("村名称\t人口\n西村\t3500\n".encode("gbk"))
    html = '<html xmlns:x="urn:schemas-microsoft-com:office:excel"><table><tr><td>村名称</td>'
    (tmp_path / "export.xls").write_text(html, encoding="utf-8")
    assert book_kind(tmp_path / "xls-named.xlsx") == "xls"
    assert book_kind(tmp_path / "ods-named.xls") == "ods"
    assert book_kind(tmp_path / "csv-named.xls") == "text"
    assert book_kind(tmp_path / "export.xls") == "html"
    assert book_kind(xlsb_villages(tmp_path / "c.bin")) == "xlsb"
    assert read_book(tmp_path / "xls-named.xlsx")[0][0].rows[1] == HEADER
    assert read_book(tmp_path / "ods-named.xls")[0][0].rows[0] == HEADER
    sheets, ((sev, en, *_),) = read_book(tmp_path / "csv-named.xls")
    assert sheets[0].rows == [["村名称", "人口"], ["西村", "3500"]]
    assert sev == "warning" and en.startswith("the file is named .xls but holds text")
    sheets, findings = read_book(tmp_path / "export.xls")
    assert sheets == []
    ((sev, en, zh, *_),) = findings
    assert (
        sev == "error" and en.startswith("the file is a web page (HTML)") and "另存为 .xlsx" in zh
    )


# --- text tables ---------------------------------------------------------------------------------

TEXT_ROWS = [["村名称", "人口", "备注"], ["西村", "3500", "含1,2组"], ["𠮷村", "1200", ""]]


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("villages.csv", "gb18030", ","),  # 𠮷 is outside GBK
        ("villages.tsv", "utf-16", "\t"),  # Excel's "Unicode text"
        ("villages.txt", "utf-16-be", ";"),
        ("villages.csv", "utf-8-sig", ";"),
        ("villages.csv", "utf-8", "\t"),
    ],
)
def test_text_tables_encodings_and_delimiters(
    tmp_path: Path, name: str, encoding: str, delimiter: str
) -> None:
    lines = []
    for row in TEXT_ROWS:
        fields = [f'"{v}"' if "," in v or delimiter in v else v for v in row]
        lines.append(delimiter.join(fields))
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = tmp_path / name
    path.write_bytes(data)
    sheets, findings = read_book(path)
    assert findings == []
    (s,) = sheets
    assert s.title == "villages" and s.merged == [] and not s.hidden
    assert s.rows == [["村名称", "人口", "备注"], ["西村", "3500", "含1,2组"], ["𠮷村", "1200"]]


def test_gbk_csv_and_mixed_encoding(tmp_path: Path) -> None:
    path = tmp_path / "乡镇.csv"
    path.write_bytes("乡镇名称,人口\n城关镇,52000\n".encode("gbk"))
    assert read_book(path) == (
        [Sheet("乡镇", [["乡镇名称", "人口"], ["城关镇", "52000"]])],
        [],
    )
    path.write_bytes("乡镇名称,人口\n城关镇,52000\n".encode("gbk") + "东村,1\n".encode())
    sheets, ((sev, en, _zh, row, *_),) = read_book(path)
    assert sheets == [] and sev == "error" and "mixed encodings" in en and row == 3


def test_utf16_broken_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "broken.tsv"
    path.write_bytes("村名称\t人口\n".encode("utf-16") + b"\x00")  # odd length
    sheets, ((sev, en, *_),) = read_book(path)
    assert sheets == [] and sev == "error" and "UTF-16" in en


# --- folders -------------------------------------------------------------------------------------


def test_read_folder_tables(tmp_path: Path) -> None:
    d = tmp_path / "bundle"
    d.mkdir()
    (d / "乡镇.csv").write_bytes("乡镇名称,人口\n城关镇,52000\n".encode("gbk"))
    write_ods(d / "县.ods")  # two sheets
    write_xlsb(d / "机构.xlsb", [("Sheet1", {(0, 0): "机构名称", (1, 0): "县中医院"}, [], False)])
    (d / "村.tsv").write_bytes("村名称\t人口\n西村\t3500\n".encode("utf-16"))
    write_xls(d / "村.xls")  # the same stem as 村.tsv
    (d / ".hidden.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (d / "~$县.xlsx").write_bytes(b"\x00" * 165)  # an Office lock file
    (d / "村.columns.toml").write_text('["村"]\n', encoding="utf-8")
    (d / "readme.md").write_text("# 说明\n", encoding="utf-8")
    (d / "坏.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    sheets, findings = read_folder_tables(d)
    titles = [s.title for s in sheets]
    assert titles == [
        "乡镇",
        "县/村社区",
        "县/乡镇",
        "机构",
        "村.tsv",
        "村.xls/村社区",
        "村.xls/旧数据",
        "村.xls/偏移",
    ]
    s = by_title(sheets)
    assert s["乡镇"].rows[1] == ["城关镇", "52000"]
    assert s["县/乡镇"].rows[1] == ["城关镇", 52000]
    assert s["机构"].rows == [["机构名称"], ["县中医院"]]
    assert s["村.tsv"].rows[1] == ["西村", "3500"]
    assert s["村.xls/旧数据"].hidden
    ((sev, en, zh, *_),) = findings
    assert sev == "error"
    assert en.startswith("坏.xls: cannot open the Excel 97–2003 workbook (.xls)")
    assert zh.startswith("坏.xls：无法打开Excel 97–2003 工作簿（.xls）")


# --- damaged files -------------------------------------------------------------------------------


def _broken_files(tmp_path: Path) -> dict[str, Path]:
    xls = write_xls(tmp_path / "ok.xls").read_bytes()
    ods = write_ods(tmp_path / "ok.ods")
    xlsb = xlsb_villages(tmp_path / "ok.xlsb")
    out = {}

    def put(name: str, data: bytes) -> None:
        out[name] = tmp_path / name
        out[name].write_bytes(data)

    put("truncated.xls", xls[: len(xls) // 2])
    looping = bytearray(xls)  # the directory's sector chain points at itself
    (dir_start,) = struct.unpack_from("<I", looping, 0x30)
    fat0 = struct.unpack_from("<I", looping, 0x4C)[0]
    struct.pack_into("<I", looping, 512 * (fat0 + 1) + 4 * dir_start, dir_start)
    put("looping.xls", bytes(looping))
    counts = bytearray(xls)  # a FAT count beyond the file (calamine would reserve 16 GB)
    struct.pack_into("<I", counts, 0x2C, 0xFFFFFFF0)
    put("counts.xls", bytes(counts))
    put("truncated.ods", ods.read_bytes()[:600])

    def rezip(src: Path, name: str, part: str, data: bytes) -> None:
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp_path / name, "w") as zout:
            for info in zin.infolist():
                zout.writestr(info, data if info.filename == part else zin.read(info))
        out[name] = tmp_path / name

    rezip(ods, "bad-xml.ods", "content.xml", b"<office:document-content><table:table")
    rezip(xlsb, "bad-records.xlsb", "xl/worksheets/sheet1.bin", b"\x81\x01\x06\xff\xff\xff\x7f")
    rezip(xlsb, "bad-rels.xlsb", "xl/_rels/workbook.bin.rels", b"<Relationships/>")
    put("random.xlsb", b"PK\x03\x04" + bytes(range(256)) * 4)
    put("empty.ods", b"")
    return out


def test_not_a_file(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.xlsx")  # would block a read
    for path in (tmp_path / "pipe.xlsx", tmp_path, tmp_path / "missing.xls"):
        sheets, ((sev, en, *_),) = read_book(path)
        assert sheets == [] and sev == "error" and "is not a file" in en


def test_damaged_files_give_a_finding(tmp_path: Path) -> None:
    """Each damaged file gives one error finding; the .xls chains calamine would follow
    forever, and the count it would reserve 16 GB by, are caught before it reads them."""
    expected = {
        "truncated.xls": "beyond the end of the file",
        "looping.xls": "chain broken or looping",
        "counts.xls": "damaged header",
        "truncated.ods": "the file is a damaged zip archive",
        "bad-xml.ods": "ExpatError: unbound prefix",
        "bad-records.xlsb": "xlsb record cut short",
        "bad-rels.xlsb": "cannot open the Excel binary workbook (.xlsb) (PanicException",
        "random.xlsb": "the file is a damaged zip archive",
        "empty.ods": "the file is an empty file (0 bytes)",
    }
    files = _broken_files(tmp_path)
    assert set(files) == set(expected)
    for name, path in files.items():
        sheets, findings = read_book(path)
        assert sheets == [], name
        ((sev, en, zh, *_),) = findings
        assert sev == "error" and expected[name] in en, (name, en)
        assert zh and not zh.isascii(), name
        if en.startswith("cannot open"):
            assert "save it again as .xlsx" in en and "另存为 .xlsx" in zh


# --- limits --------------------------------------------------------------------------------------


def test_cell_cap_applies_to_every_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One cap, :data:`tcmcounty.inputs.sheets.MAX_CELLS`, for every reader."""
    from openpyxl import Workbook

    from tcmcounty.inputs import sheets

    monkeypatch.setattr(sheets, "MAX_CELLS", 5)
    csv = tmp_path / "v.csv"
    csv.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    wb = Workbook()
    for row in (HEADER, *VILLAGES):
        wb.active.append(row)
    wb.save(tmp_path / "v.xlsx")
    files = [
        tmp_path / "v.xlsx",
        write_xls(tmp_path / "v.xls"),
        write_ods(tmp_path / "v.ods"),
        xlsb_villages(tmp_path / "v.xlsb"),
        csv,
    ]
    for path in files:
        found, findings = read_book(path)
        assert found == [] or path.suffix == ".xlsx", path.name  # read_sheets keeps what it read
        ((_sev, en, zh, *_),) = findings
        assert "more than 5 non-empty cells" in en and "非空单元格超过 5 个" in zh, path.name


def test_far_cells_refused_before_calamine_lays_them_out(tmp_path: Path) -> None:
    """calamine would ask for 17 billion cells (512 GB) and stop the process, not raise."""
    far_xlsb = xlsb_villages(tmp_path / "far.xlsb", far=(1048575, 16383))
    far_xls = write_xls(tmp_path / "far.xls", far=(65535, 255))
    for path, ref in ((far_xlsb, "A1:XFD1048576"), (far_xls, "A1:IV65536")):
        sheets, ((sev, en, zh, *_),) = read_book(path)
        assert sheets == [] and sev == "error"
        assert f"sheet '村社区' spans {ref}" in en and "delete it" in en.lower(), en
        assert "远离表格" in zh


def test_far_cell_within_the_span_limit_is_dropped_as_in_xlsx(tmp_path: Path) -> None:
    sheets, findings = read_book(xlsb_villages(tmp_path / "far.xlsb", far=(4999, 2)))
    assert findings == []
    v = sheets[0]
    assert len(v.rows) == 4 and v.rows[3] == ["410101001002", "东村", 2.5]
    assert "cell C5000 lies far outside the table" in v.findings[0][1]


def test_ods_repeat_bomb_and_far_cell(tmp_path: Path) -> None:
    """A 2 KB .ods can state a billion cells by repetition; counted, never expanded."""
    src = write_ods(tmp_path / "ok.ods")

    def with_rows(name: str, xml: str) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w") as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename == "content.xml":
                    data = data.replace(b"</table:table>", xml.encode() + b"</table:table>", 1)
                zout.writestr(info, data)
        return path

    bomb = with_rows(
        "bomb.ods",
        '<table:table-row table:number-rows-repeated="1000000"><table:table-cell '
        'table:number-columns-repeated="1000" office:value-type="string"><text:p>X</text:p>'
        "</table:table-cell></table:table-row>",
    )
    far = with_rows(
        "far.ods",
        '<table:table-row table:number-rows-repeated="1048570"><table:table-cell/>'
        '</table:table-row><table:table-row><table:table-cell table:number-columns-repeated="'
        '16000"/><table:table-cell office:value-type="float" office:value="1"/></table:table-row>',
    )
    sheets, ((_, en, *_),) = read_book(bomb)
    assert sheets == [] and "more than 5,000,000 non-empty cells" in en
    sheets, ((_, en, *_),) = read_book(far)
    assert sheets == [] and "spans A1:WQK1048574" in en


def test_large_books_refused_before_reading(tmp_path: Path) -> None:
    """300 MB of strings: refused by size, with a message, not a MemoryError."""
    xls = write_xls(tmp_path / "big.xls")
    with xls.open("r+b") as f:
        f.truncate(300 * 2**20)  # sparse: nothing written
    sheets, ((sev, en, zh, *_),) = read_book(xls)
    assert sheets == [] and sev == "error"
    assert en.startswith("workbook refused: 300 MB, more than the 200 MB read at most"), en
    ods = tmp_path / "big.ods"
    cell = '<table:table-row><table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell></table:table-row>'
    chunk = "".join(cell.format(f"{i:08d}" * 1000) for i in range(1000)).encode()  # 8 MB
    with zipfile.ZipFile(ods, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        with zf.open("content.xml", "w", force_zip64=True) as f:
            f.write(
                b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
                b'office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
                b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
                b'<office:spreadsheet><table:table table:name="big">'
            )
            for _ in range(-(-300 * 2**20 // len(chunk))):
                f.write(chunk)
            f.write(b"</table:table></office:spreadsheet></office:body></office:document-content>")
    sheets, ((sev, en, zh, *_),) = read_book(ods)
    assert sheets == [] and sev == "error"
    mb = int(en.removeprefix("workbook refused: it unpacks to ").split()[0])
    assert mb >= 300 and "more than the 200 MB read at most" in en, en
    assert "拒绝读取" in zh


def test_zip_bomb_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.ods"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", b"<a>" + b" " * (50 * 2**20) + b"</a>")
    sheets, ((_sev, en, zh, *_),) = read_book(path)
    assert sheets == [] and "ratio" in en and "压缩炸弹" in zh
