"""Reading a county bundle folder (``county.toml`` + CSV tables + ``boundary.geojson``)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import geopandas as gpd

from tcmcounty.inputs.cells import parse_rows, tick_blanks
from tcmcounty.inputs.columnmap import ColumnMap
from tcmcounty.inputs.raw import RawBundle
from tcmcounty.inputs.sources import default_sources
from tcmcounty.inputs.text import MAX_BYTES, DecodeError, read_csv_rows
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
    if not meta_path.exists():
        raw.problem(
            "error",
            "county",
            "county.toml is missing from the bundle folder",
            "县数据文件夹中缺少 county.toml",
        )
    elif _not_a_file(meta_path, raw, "county"):
        pass
    else:
        _read_meta(meta_path, raw)
    for name, table in TABLES.items():
        file = path / table.file
        raw.files[name] = table.file
        raw.sheets[name] = None
        if not file.exists():
            if name not in OPTIONAL_TABLES:
                raw.problem(
                    "error",
                    name,
                    f"{table.file} is missing",
                    f"缺少文件 {table.file}（{table.zh}）",
                )
            continue
        if _not_a_file(file, raw, name):
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
            df, problems, reading = parse_rows(
                rows, table, table.file, None, sheet_map=columns.for_sheet(table.file)
            )
        except DecodeError as exc:
            raw.problem("error", name, exc.en, exc.zh, exc.line)
            continue
        raw.readings.append(reading)
        raw.problems.extend(problems)
        if df is not None:
            raw.tables[name] = df
            raw.problems.extend(tick_blanks(df, table, raw.readings))
    if "sources" not in raw.tables and not (path / TABLES["sources"].file).is_file():
        default_sources(raw, f"folder {path.name}", f"文件夹 {path.name}")
    for fname in BOUNDARY_FILES:
        bpath = path / fname
        if bpath.is_file():
            _read_boundary(bpath, raw)
            break
    return raw


def _not_a_file(file: Path, raw: RawBundle, table: str) -> bool:
    """Report a path that exists but is no regular file (a folder, a pipe, a device)."""
    import stat

    mode = file.stat().st_mode
    if stat.S_ISREG(mode):
        return False
    what_en, what_zh = (
        ("a folder", "文件夹")
        if stat.S_ISDIR(mode)
        else ("a named pipe (FIFO)", "命名管道（FIFO）")
        if stat.S_ISFIFO(mode)
        else ("not a regular file", "非普通文件")
    )
    raw.problem(
        "error",
        table,
        f"{file.name} is {what_en}, not a file; put the {file.suffix[1:].upper()} file there",
        f"{file.name} 是{what_zh}而不是文件；请放入该文件",
    )
    return True


def _read_meta(meta_path: Path, raw: RawBundle) -> None:
    """Read ``county.toml`` (UTF-8, at most 1 MB) and check its shape."""
    from tcmcounty.inputs.meta import MAX_TOML_BYTES, check_shape

    if meta_path.stat().st_size > MAX_TOML_BYTES:
        raw.problem(
            "error",
            "county",
            f"county.toml is larger than {MAX_TOML_BYTES // 1024} KB and is refused (a county's "
            "basics fill a few KB)",
            f"county.toml 超过 {MAX_TOML_BYTES // 1024} KB，拒绝读取",
        )
        return
    data = meta_path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line: int | None = data[: exc.start].count(b"\n") + 1
        try:
            data.decode("gb18030")
            en = "county.toml is saved as GBK/GB18030, but TOML must be UTF-8: save it as UTF-8"
            zh = "county.toml 为 GBK/GB18030 编码，而 TOML 须为 UTF-8：请另存为 UTF-8"
        except UnicodeDecodeError:
            en = "county.toml is not UTF-8 text: save it as UTF-8"
            zh = "county.toml 不是 UTF-8 文本：请另存为 UTF-8"
        raw.problem("error", "county", en, zh, row=line)
        return
    try:
        raw.meta = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
        raw.problem(
            "error",
            "county",
            f"county.toml is not valid TOML: {exc}",
            f"county.toml 不是有效的 TOML 格式：{exc}",
            row=line,
        )
        return
    except (RecursionError, MemoryError):
        raw.problem(
            "error", "county", "county.toml is nested too deeply", "county.toml 嵌套层级过深"
        )
        return
    check_shape(raw.meta, text, raw)


def _read_boundary(bpath: Path, raw: RawBundle) -> None:
    """Read the county boundary; features without a geometry are dropped (warned)."""
    try:
        boundary = gpd.read_file(bpath)
    except Exception as exc:  # GDAL/pyogrio raise many types on a damaged file
        raw.problem(
            "error",
            "boundary",
            f"cannot read the boundary file: {str(exc)[:200]}",
            f"无法读取县界文件：{str(exc)[:200]}",
        )
        return
    empty = boundary.geometry.isna() | boundary.geometry.is_empty
    if empty.any():
        rows = ", ".join(str(i + 1) for i in empty.to_numpy().nonzero()[0][:10])
        raw.problem(
            "warning" if not empty.all() else "error",
            "boundary",
            f"boundary feature(s) {rows} have no geometry (null or empty)"
            + (" and are ignored" if not empty.all() else "; the file has no polygon"),
            f"县界第 {rows} 个要素没有几何图形"
            + ("，已忽略" if not empty.all() else "；文件中没有面"),
        )
        boundary = boundary[~empty].reset_index(drop=True)
    if len(boundary):
        raw.boundary = boundary
