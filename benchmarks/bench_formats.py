"""Benchmark: reading workbooks with openpyxl and with python-calamine.

Each .xlsx is read ``--repeat`` times by both readers, the median wall time printed in
milliseconds:

=============  ==================================================================================
column         what is timed
=============  ==================================================================================
openpyxl       :func:`tcmcounty.inputs.sheets.read_sheets` (all sheets, hidden ones too): what
               :func:`~tcmcounty.inputs.formats.read_book` does for .xlsx
calamine       the same workbook through python-calamine, as ``read_book`` reads .xls/.xlsb/.ods
               (values converted, stray cells dropped; no record scan, which .xlsx does not get)
ratio          openpyxl ÷ calamine
same           whether both readings hold the same non-empty cells (as text)
=============  ==================================================================================

The workbooks: a realistic county made here with openpyxl (``--villages`` villages × 8 columns,
``--facilities`` facilities × 20 columns under a two-row merged header, township and county
sheets), and the three county workbooks in ``shared/workbooks-from-elsewhere`` when that folder
is found. The generated county is also saved as .xls (xlwt) and .ods (pandas, odf engine) and
read with :func:`read_book`, whose time then includes the scan of the file's records that
guards calamine; ``scan`` is that scan alone::

    python benchmarks/bench_formats.py [--repeat 7] [--villages 600] [--facilities 700]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tcmcounty.inputs import formats
from tcmcounty.inputs.cells import cell_text
from tcmcounty.inputs.sheets import Sheet, read_sheets

ROOT = Path(__file__).resolve().parents[1]
ELSEWHERE = [
    ROOT.parent / "shared" / "workbooks-from-elsewhere",
    ROOT / "shared" / "workbooks-from-elsewhere",
]

FACILITY_HEADER = [
    ["机构代码", "机构名称", "机构类别", "所在乡镇", "所在村", "经度", "纬度", "床位数"]
    + ["人员情况"]
    + [None] * 5
    + ["中医药服务"]
    + [None] * 3
    + ["医共体", "备注"],
    [None] * 8
    + ["执业（助理）医师", "其中：中医类别", "注册护士", "乡村医生", "药师", "其他"]
    + ["中医馆", "中医阁", "能否提供", "中医诊疗量"]
    + [None, None],
]


def make_county(folder: Path, villages: int, facilities: int, seed: int = 7) -> Path:
    """Write a county workbook of the template's shape with openpyxl; return its path."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    wb = Workbook()
    ws = wb.active
    ws.title = "一、县基本情况"
    ws.append(["示范县卫生健康基本情况"])
    ws.merge_cells("A1:D1")
    ws.append(["指标名称", "指标值", "单位", "统计年度"])
    items = [("县名称", "示范县", "", ""), ("县代码", "999901", "", "")]
    items += [(f"指标{i}", rng.randint(100, 500000), "人", 2023) for i in range(18)]
    for row in items:
        ws.append(list(row))
    towns = [f"99990110{t:01d}" if t < 10 else f"9999012{t - 10:02d}" for t in range(20)]
    ws = wb.create_sheet("二、乡镇")
    ws.append(["乡镇代码", "乡镇名称", "类型", "常住人口", "经度", "纬度"])
    for i, code in enumerate(towns):
        ws.append([code, f"第{i + 1}镇", "镇", rng.randint(8000, 60000), 113.5, 34.7])
    ws = wb.create_sheet("三、村（社区）")
    ws.append(["村代码", "村名称", "乡镇代码", "类型", "常住人口", "经度", "纬度", "统计年度"])
    for i in range(villages):
        town = towns[i % len(towns)]
        ws.append(
            [
                f"{town}{i // len(towns) + 1:03d}",
                f"村{i + 1}",
                town,
                "村" if i % 7 else "社区",
                rng.randint(300, 5000),
                round(113.4 + rng.random() * 0.4, 6),
                round(34.5 + rng.random() * 0.4, 6),
                2023,
            ]
        )
    ws = wb.create_sheet("四、医疗卫生机构名册")
    for row in FACILITY_HEADER:
        ws.append(row)
    for c in (*range(1, 9), 19, 20):
        ws.merge_cells(start_row=1, start_column=c, end_row=2, end_column=c)
    ws.merge_cells("I1:N1")
    ws.merge_cells("O1:R1")
    for i in range(facilities):
        kind = "村卫生室" if i % 30 else "乡镇卫生院"
        ws.append(
            [
                f"F{i:05d}",
                f"{kind}{i + 1}",
                kind,
                f"第{i % 20 + 1}镇",
                f"村{i + 1}",
                round(113.4 + rng.random() * 0.4, 6),
                round(34.5 + rng.random() * 0.4, 6),
                rng.randint(0, 60),
                rng.randint(0, 30),
                rng.randint(0, 5),
                rng.randint(0, 40),
                rng.randint(0, 3),
                rng.randint(0, 4),
                rng.randint(0, 6),
                "是" if i % 3 == 0 else "否",
                "已建" if i % 4 == 0 else "未建",
                "是" if i % 2 else "否",
                rng.randint(0, 9000),
                f"医共体{i % 3 + 1}",
                dt.datetime(2023, 1 + i % 12, 1 + i % 28),
            ]
        )
    path = folder / "county.xlsx"
    wb.save(path)
    return path


def as_xls(sheets: list[Sheet], path: Path) -> Path:
    """Save sheets read from the .xlsx as an .xls (values and merged ranges)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for s in sheets:
        ws = wb.add_sheet(s.title)
        covered = {
            (r, c)
            for r0, c0, r1, c1 in s.merged
            for r in range(r0, r1 + 1)
            for c in range(c0, c1 + 1)
        }
        for r0, c0, r1, c1 in s.merged:
            ws.write_merge(r0 - 1, r1 - 1, c0 - 1, c1 - 1, s.rows[r0 - 1][c0 - 1])
        for r, row in enumerate(s.rows):
            for c, v in enumerate(row):
                if v is None or (r + 1, c + 1) in covered:
                    continue
                ws.write(r, c, v, date) if isinstance(v, dt.datetime) else ws.write(r, c, v)
    wb.save(str(path))
    return path


def as_ods(sheets: list[Sheet], path: Path) -> Path:
    """Save sheets read from the .xlsx as an .ods (values only) with pandas."""
    import pandas as pd

    with pd.ExcelWriter(path, engine="odf") as w:
        for s in sheets:
            width = max((len(r) for r in s.rows), default=0)
            rows = [r + [None] * (width - len(r)) for r in s.rows]
            pd.DataFrame(rows).to_excel(w, sheet_name=s.title, index=False, header=False)
    return path


def same_cells(a: list[Sheet], b: list[Sheet]) -> bool:
    """True if two readings hold the same sheets with the same non-empty cells, as text."""

    def text(sheets: list[Sheet]) -> dict[tuple[str, int, int], str]:
        return {
            (s.title, r, c): cell_text(v)
            for s in sheets
            for r, row in enumerate(s.rows)
            for c, v in enumerate(row)
            if cell_text(v)
        }

    return text(a) == text(b)


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm: imports, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def by_openpyxl(path: Path) -> list[Sheet]:
    with path.open("rb") as f:
        sheets, findings = read_sheets(f, include_hidden=True)
    assert not findings, findings
    return sheets


def by_calamine(path: Path) -> list[Sheet]:
    sheets, findings = formats._load_calamine(path, None)
    assert not findings, findings
    return sheets


def by_read_book(path: Path) -> list[Sheet]:
    sheets, findings = formats.read_book(path)
    assert not findings, findings
    return sheets


def scan_only(path: Path) -> object:
    kind = formats.book_kind(path)
    if kind == "xls":
        return formats._scan_xls(path.read_bytes())
    return formats._scan_ods(path) if kind == "ods" else formats._scan_xlsb(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--villages", type=int, default=600)
    ap.add_argument("--facilities", type=int, default=700)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        county = make_county(Path(tmp), args.villages, args.facilities)
        files = [county]
        for folder in ELSEWHERE:
            if folder.is_dir():
                files += sorted(folder.glob("*.xlsx"))
                break
        print(
            f"{'file':<26} {'KB':>6} {'cells':>7} {'openpyxl ms':>12} {'calamine ms':>12} "
            f"{'ratio':>6}  same"
        )
        for path in files:
            a, b = by_openpyxl(path), by_calamine(path)
            cells = sum(1 for s in a for r in s.rows for v in r if cell_text(v))
            t_open = median_ms(lambda p=path: by_openpyxl(p), args.repeat)
            t_cal = median_ms(lambda p=path: by_calamine(p), args.repeat)
            print(
                f"{path.name:<26} {path.stat().st_size // 1024:>6} {cells:>7} {t_open:>12.1f} "
                f"{t_cal:>12.1f} {t_open / t_cal:>6.1f}  {'yes' if same_cells(a, b) else 'NO'}"
            )
        base = by_openpyxl(county)
        print()
        print(f"{'read_book':<26} {'KB':>6} {'cells':>7} {'scan ms':>12} {'total ms':>12}  same")
        for path in (
            as_xls(base, Path(tmp) / "county.xls"),
            as_ods(base, Path(tmp) / "county.ods"),
        ):
            got = by_read_book(path)
            cells = sum(1 for s in got for r in s.rows for v in r if cell_text(v))
            t_scan = median_ms(lambda p=path: scan_only(p), args.repeat)
            t_all = median_ms(lambda p=path: by_read_book(p), args.repeat)
            print(
                f"{path.name:<26} {path.stat().st_size // 1024:>6} {cells:>7} {t_scan:>12.1f} "
                f"{t_all:>12.1f}  {'yes' if same_cells(base, got) else 'NO'}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
