"""Reading a county bundle folder (``county.toml`` + CSV tables + ``boundary.geojson``)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import geopandas as gpd

from tcmcounty.readers.cells import parse_rows
from tcmcounty.readers.columnmap import ColumnMap
from tcmcounty.readers.raw import RawBundle
from tcmcounty.readers.sources import default_sources
from tcmcounty.readers.text import MAX_BYTES, DecodeError, read_csv_rows
from tcmcounty.schema import OPTIONAL_TABLES, TABLES

BOUNDARY_FILES = ("boundary.geojson", "boundary.gpkg", "boundary.shp")


def read_bundle(path: Path, columns: ColumnMap | None = None) -> RawBundle:
    """Read every file of a bundle folder, collecting problems instead of raising.

    Parameters
    ----------
    path : pathlib.Path
        The bundle folder.
    columns : ColumnMap, optional
        The user's column map; its tables are keyed by file name (``facilities.csv``).

    Returns
    -------
    RawBundle
        Parsed tables (absent ones missing from ``tables``) and all parse problems.
    """
    columns = columns or ColumnMap()
    raw = RawBundle(path=path, meta={}, tables={}, files={}, sheets={})
    meta_path = path / "county.toml"
    if not meta_path.is_file():
        raw.problem(
            "error",
            "county",
            "county.toml is missing from the bundle folder",
            "县数据文件夹中缺少 county.toml",
        )
    else:
        try:
            raw.meta = tomllib.loads(meta_path.read_bytes().decode("utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            found = re.search(r"line (\d+)", str(exc))
            line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
            raw.problem(
                "error",
                "county",
                f"county.toml is not valid TOML: {exc}",
                f"county.toml 不是有效的 TOML 格式：{exc}",
                row=line,
            )
    for name, table in TABLES.items():
        file = path / table.file
        raw.files[name] = table.file
        raw.sheets[name] = None
        if not file.is_file():
            if name not in OPTIONAL_TABLES:
                raw.problem(
                    "error",
                    name,
                    f"{table.file} is missing",
                    f"缺少文件 {table.file}（{table.zh}）",
                )
            continue
        if file.stat().st_size > MAX_BYTES:
            raw.problem(
                "error",
                name,
                f"file larger than {MAX_BYTES // 2**20} MB refused",
                f"文件超过 {MAX_BYTES // 2**20} MB，拒绝读取",
            )
            continue
        try:
            rows, _enc = read_csv_rows(file)
        except DecodeError:
            raw.problem(
                "error",
                name,
                "cannot decode the file: expected UTF-8, UTF-8 with BOM, GBK or GB18030",
                "无法解码：应为 UTF-8、带BOM的UTF-8、GBK 或 GB18030 编码",
            )
            continue
        df, problems, reading = parse_rows(
            rows, table, table.file, None, sheet_map=columns.for_sheet(table.file)
        )
        raw.readings.append(reading)
        raw.problems.extend(problems)
        if df is not None:
            raw.tables[name] = df
    if "sources" not in raw.tables and not (path / TABLES["sources"].file).is_file():
        default_sources(raw, f"folder {path.name}", f"文件夹 {path.name}")
    for fname in BOUNDARY_FILES:
        bpath = path / fname
        if bpath.is_file():
            try:
                raw.boundary = gpd.read_file(bpath)
            except Exception as exc:
                raw.problem(
                    "error",
                    "boundary",
                    f"cannot read the boundary file: {exc}",
                    f"无法读取县界文件：{exc}",
                )
            break
    return raw
