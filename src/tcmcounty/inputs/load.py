"""Finding, loading and validating county bundles."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd

from tcmcounty.county import POPULATION_KEYS, RESOURCE_KEYS, County, Figure, FigureEntry
from tcmcounty.crs import to_wgs84
from tcmcounty.errors import ArgumentTypeError, CountyNotFoundError, InputError, Problem, summarise
from tcmcounty.inputs import RawBundle, read_bundle, read_workbook
from tcmcounty.inputs.cells import vocabulary_value
from tcmcounty.inputs.columnmap import ColumnMap, sidecar
from tcmcounty.inputs.references import resolve_references
from tcmcounty.inputs.structure import raw_structure
from tcmcounty.inputs.tasks import check_tasks
from tcmcounty.inputs.totals import (
    apply_roster_totals,
    apply_township_population,
    roster_sums,
)
from tcmcounty.inputs.validate import check
from tcmcounty.plans import plan_from_table
from tcmcounty.roster import declared_units
from tcmcounty.schema import TABLES
from tcmcounty.tasks import tasks_from_table

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
#: Files read as a county's workbook (by content; the suffix only says to try).
BOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".tsv", ".txt")


def data_dirs() -> list[Path]:
    """Folders searched for county bundles, in order.

    ``$TCMCOUNTY_DATA`` (``os.pathsep``-separated) first, then the bundled counties (inside the
    installed package, or ``data/counties`` of an editable checkout; see
    :mod:`tcmcounty.resources`), then ``./data/counties``.
    """
    from tcmcounty import resources

    dirs = [Path(p) for p in os.environ.get("TCMCOUNTY_DATA", "").split(os.pathsep) if p]
    bundled = resources.bundled_counties_dir()
    if bundled is not None:
        dirs.append(bundled)
    dirs.append(Path.cwd() / "data" / "counties")
    out: list[Path] = []
    for d in dirs:
        if d.is_dir() and d.resolve() not in [o.resolve() for o in out]:
            out.append(d)
    return out


def _bundle_dirs() -> list[Path]:
    return [p for d in data_dirs() for p in sorted(d.iterdir()) if (p / "county.toml").is_file()]


def list_counties() -> pd.DataFrame:
    """List the county bundles that :func:`load_county` can find by name.

    Returns
    -------
    pandas.DataFrame
        Columns ``folder``, ``adcode``, ``name_zh``, ``name_en``, ``path``.

    Examples
    --------
    >>> import tcmcounty
    >>> sorted(tcmcounty.list_counties()["adcode"])
    ['140823', '512021']
    """
    import tomllib

    rows = []
    for p in _bundle_dirs():
        try:
            meta = tomllib.loads((p / "county.toml").read_text(encoding="utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
            meta = {}
        rows.append(
            {
                "folder": p.name,
                "adcode": str(meta.get("adcode", p.name.split("-")[0])),
                "name_zh": meta.get("name_zh", ""),
                "name_en": meta.get("name_en", ""),
                "path": str(p),
            }
        )
    return pd.DataFrame(rows, columns=["folder", "adcode", "name_zh", "name_en", "path"])


def resolve(name_or_path: str | os.PathLike[str]) -> Path:
    """Turn a path, folder name, adcode, Chinese or pinyin name into a bundle path.

    Raises
    ------
    CountyNotFoundError
        If nothing matches; the message lists the bundled counties.
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise ArgumentTypeError(
            f"name_or_path must be a str or path, not {type(name_or_path).__name__}"
        )
    p = Path(name_or_path)
    if p.is_dir():
        return p
    if p.exists():
        return _given_file(p)
    key = str(name_or_path).strip().lower()
    table = list_counties()
    for _, r in table.iterrows():
        pinyin = r["folder"].split("-", 1)[-1].lower()
        names = {
            r["folder"].lower(),
            r["adcode"],
            str(r["name_zh"]).lower(),
            pinyin,
            str(r["name_zh"]).rstrip("县市区").lower(),
            str(r["name_en"]).lower(),
        }
        if key in names:
            return Path(r["path"])
    raise CountyNotFoundError(not_found_message(str(name_or_path), table))


def not_found_message(given: str, table: pd.DataFrame) -> str:
    """Say that ``given`` is neither a file nor a bundled county, with "did you mean" and a hint.

    Close matches (:mod:`difflib`) are looked for among the bundled counties' folder names,
    adcodes, Chinese, pinyin and English names, and among the files beside the path given;
    a county that is not bundled is pointed at ``tcmcounty template --county``.
    """
    import difflib

    known = ", ".join(f"{r.folder} ({r.name_zh})" for r in table.itertuples()) or "none"
    key = given.strip().lower()
    aliases: dict[str, str] = {}
    for r in table.itertuples():
        folder = str(r.folder)
        for alias in (folder, r.adcode, r.name_zh, folder.split("-", 1)[-1], r.name_en):
            if str(alias or "").strip():
                aliases.setdefault(str(alias).strip().lower(), folder)
    near = [aliases[a] for a in difflib.get_close_matches(key, list(aliases), n=5, cutoff=0.6)]
    p = Path(given)
    with_files: list[str] = []
    beside = p.parent if str(p.parent) else Path(".")
    if beside.is_dir():
        try:
            names = [q.name for q in beside.iterdir() if not q.name.startswith(".")]
        except OSError:
            names = []
        for n in difflib.get_close_matches(p.name, names[:10_000], n=3, cutoff=0.6):
            with_files.append(str(p.with_name(n)) if str(p.parent) != "." else n)
    guesses = list(dict.fromkeys(with_files + near))[:5]
    mean = (
        f" Did you mean {' or '.join(guesses)}? / 是否要找 {' 或 '.join(guesses)}？"
        if guesses
        else ""
    )
    return (
        f"no county bundle or file found for {given!r}; bundled counties: {known} / "
        f"未找到县数据或文件 {given!r}；内置县：{known}.{mean}\n"
        "For a county that is not bundled, `tcmcounty template --county <adcode or name> "
        "FILE.xlsx` writes a workbook to fill in / 未内置的县：用 `tcmcounty template --county "
        "<区划代码或县名> 文件.xlsx` 生成待填写的工作簿"
    )


#: Suffixes of a single text table read as a county.
_TEXT_TABLE_SUFFIXES = (".csv", ".tsv", ".txt")


def _given_file(p: Path) -> Path:
    r"""Accept a workbook or a text table whatever its name; say what any other file is.

    A single CSV, TSV or TXT table is read as a folder holding that one file would be (by
    :func:`~tcmcounty.inputs.excel.read_workbook`): usually the facility roster, the townships
    and villages then coming from the NBS lists. A table of the contract given alone
    (``villages.csv``) is one table of a bundle: its folder is asked for.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "机构.csv"
    >>> _ = p.write_text("机构名称,机构类别\n西村卫生室,村卫生室\n", encoding="gbk")
    >>> _given_file(p) == p
    True
    """
    import stat

    from tcmcounty.inputs.sheets import NOT_XLSX, sniff

    mode = p.stat().st_mode
    if not stat.S_ISREG(mode):
        what_en, what_zh = (
            ("a named pipe (FIFO)", "命名管道") if stat.S_ISFIFO(mode) else ("no file", "非文件")
        )
        raise InputError(
            [
                Problem(
                    "error",
                    p.name,
                    f"{p.name} is {what_en}: give a bundle folder or an .xlsx workbook",
                    f"{p.name} 是{what_zh}：请提供县数据文件夹或 .xlsx 工作簿",
                )
            ],
            str(p),
        )
    from tcmcounty.inputs.formats import book_kind

    kind = sniff(p)
    book = book_kind(p)
    if book in ("xlsx", "xlsb", "xls", "ods"):
        return p
    contract = {t.file for t in TABLES.values()}
    if book == "text" and p.suffix.lower() in _TEXT_TABLE_SUFFIXES and p.name not in contract:
        return p  # one table: read as a folder holding that one file (the facility roster)
    if book == "text" and p.name in contract:  # one table of a bundle (villages.csv)
        en = (
            f"a single {p.suffix} file, one table of a bundle: a bundle is a folder holding "
            "county.toml and the contract's CSV files; give the folder"
        )
        zh = f"这是单个 {p.suffix} 文件，是县数据文件夹中的一张表：请提供存放 county.toml 与各 CSV 表的文件夹"
        raise InputError([Problem("error", p.name, f"the file is {en}", zh)], str(p))
    if book == "text" and p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"):
        en = (
            f"not an {p.suffix} workbook but a text table: save it as .xlsx from Excel or WPS, "
            "or name it .csv"
        )
        zh = f"不是 {p.suffix} 工作簿而是文本表格：请用 Excel 或 WPS 另存为 .xlsx，或改名为 .csv"
    elif book == "text":
        en = (
            f"a single {p.suffix or 'text'} file, not a table file: a county is a workbook "
            "(.xlsx, .xls, .ods), a table (.csv, .tsv, .txt), or a folder holding its tables "
            "(CSV files of any names, or county.toml and the contract's CSV files); give the "
            "folder or the table"
        )
        zh = (
            f"这是单个 {p.suffix or '文本'} 文件，不是表格文件：县数据应为工作簿（.xlsx、.xls、.ods）、"
            "表格（.csv、.tsv、.txt），或存放各表的文件夹；请提供文件夹或表格"
        )
    else:
        from tcmcounty.inputs.formats import NOT_A_TABLE

        en, zh = NOT_A_TABLE.get(book, NOT_XLSX.get(kind, NOT_XLSX["other"]))
    raise InputError([Problem("error", p.name, f"the file is {en}", zh)], str(p))


ColumnsArg = ColumnMap | str | os.PathLike[str] | None


def column_map(path: Path, columns: ColumnsArg = None) -> ColumnMap:
    """Return the column map to read ``path`` with: ``columns`` if given, else ``<path>.columns.toml``.

    Raises
    ------
    InputError
        If the map is not valid TOML or has entries of the wrong shape.
    """
    if isinstance(columns, ColumnMap):
        return columns
    if columns is not None:
        return ColumnMap.read(columns)
    beside = sidecar(path)
    return ColumnMap.read(beside) if beside.is_file() else ColumnMap()


def _is_bundle(folder: Path) -> bool:
    """Whether a folder is a bundle of the contract.

    It is when it holds ``county.toml``, or when every table file in it has a name of the
    contract (``villages.csv`` …: a bundle missing its county.toml, reported as such). A folder
    with other table files (``county.csv``, ``机构.csv``) is read as a workbook of its files.
    """
    if (folder / "county.toml").is_file():
        return True
    contract = {t.file for t in TABLES.values()}
    tables = [
        p.name
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in (".csv", ".tsv", ".txt", ".xls", ".xlsx", ".ods")
    ]
    return bool(tables) and all(n in contract for n in tables)


def read_raw(name_or_path: str | os.PathLike[str], columns: ColumnsArg = None) -> RawBundle:
    """Read and check a bundle folder or workbook without raising on bad content.

    Parameters
    ----------
    name_or_path : str or path
        As for :func:`load_county`.
    columns : ColumnMap or path, optional
        A column map correcting how sheets, headers and items are read.
    """
    path = resolve(name_or_path)
    cmap = column_map(path, columns)
    beside = columns is None and cmap.path is not None
    if path.is_file() or not _is_bundle(path):
        raw = read_workbook(path, cmap)  # a workbook, or a folder of tables of any names
    else:
        raw = read_bundle(path, cmap)
    if beside and cmap.path is not None:  # (beside says so: the map has a path)
        raw.problems.append(
            Problem(
                "note",
                cmap.path.name,
                f"the column map beside the file is used ({cmap.path.name}); delete or rename it "
                "to read the file without it",
                f"已使用文件旁的列映射（{cmap.path.name}）；如不需要请删除或改名",
            )
        )
    resolve_references(raw)
    check(raw)
    check_tasks(raw)
    raw.problems = summarise(raw.problems)
    return raw


@dataclass
class ValidationReport:
    """Result of :func:`validate`: every problem, and the county when it loaded."""

    path: Path
    problems: list[Problem]
    county: County | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        """Problems that stop loading."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems reported without failing."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def notes(self) -> list[Problem]:
        """How things were read: units applied, columns summed, names resolved."""
        return [p for p in self.problems if p.severity == "note"]

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors


def validate(name_or_path: str | os.PathLike[str], columns: ColumnsArg = None) -> ValidationReport:
    """Validate a bundle folder or workbook and report every problem at once.

    Nothing is written; the input is only read.

    Parameters
    ----------
    name_or_path : str or path
        As for :func:`load_county`.
    columns : ColumnMap or path, optional
        A column map (see ``docs/data-format.md``).
    """
    raw = read_raw(name_or_path, columns)
    county = None
    if not any(p.severity == "error" for p in raw.problems):
        county = build_county(raw)
    return ValidationReport(raw.path, raw.problems, county)


def load_county(
    name_or_path: str | os.PathLike[str], *, warn: bool = True, columns: ColumnsArg = None
) -> County:
    """Load a county bundle folder, a planner's Excel workbook, or a bundled county by name.

    Parameters
    ----------
    name_or_path : str or path
        A bundle folder, an ``.xlsx`` workbook, or a bundled county's folder name, adcode,
        Chinese or pinyin name (``"512021-anyue"``, ``"512021"``, ``"安岳县"``, ``"anyue"``).
    warn : bool, default True
        Emit validation warnings as Python warnings.
    columns : ColumnMap or path, optional
        A column map saying what a sheet, header or item means where the guess is wrong
        (``tcmcounty inspect FILE --write-map`` writes one). By default
        ``<workbook>.columns.toml`` beside the workbook is used when it exists.

    Returns
    -------
    County

    Raises
    ------
    CountyNotFoundError
        If the name matches no bundle.
    InputError
        If the files have errors; ``.problems`` lists them all with file, row and column.

    Examples
    --------
    >>> import tcmcounty
    >>> c = tcmcounty.load_county("anyue", warn=False)
    >>> c.name_zh, len(c.townships), len(c.villages)
    ('安岳县', 46, 553)
    """
    raw = read_raw(name_or_path, columns)
    if any(p.severity == "error" for p in raw.problems):
        raise InputError(raw.problems, str(raw.path))
    county = build_county(raw)
    if warn:
        for p in raw.problems:
            if p.severity == "warning":
                warnings.warn(str(p), UserWarning, stacklevel=2)
        for w in county.warnings:
            warnings.warn(w, UserWarning, stacklevel=2)
    return county


def _figure(d: object) -> Figure | None:
    if not isinstance(d, dict) or "value" not in d:
        return None
    year = d.get("year")
    return Figure(
        value=float(d["value"]),
        status=vocabulary_value(str(d.get("status") or "official"), "status") or "official",  # type: ignore[arg-type]
        year=int(year) if isinstance(year, (int, float)) else None,
        source=str(d["source"]) if d.get("source") else None,
        method=str(d.get("method", "")),
    )


def _entries(section: object, keys: dict[str, str]) -> dict[str, FigureEntry]:
    out: dict[str, FigureEntry] = {}
    section = section if isinstance(section, dict) else {}
    for key in keys:
        d = section.get(key, {})
        d = d if isinstance(d, dict) else {}
        out[key] = FigureEntry(key, _figure(d), _figure(d.get("estimate")), str(d.get("note", "")))
    return out


#: Columns that only carry references by name into the readers; the County keeps the codes.
REFERENCE_ONLY = ("township_name", "village_name", "alliance_ids")


def _points(df: pd.DataFrame, system: str) -> gpd.GeoDataFrame:
    df = df.drop(columns=["_row", *[c for c in REFERENCE_ONLY if c in df]])
    df = df.reset_index(drop=True)
    lon, lat = to_wgs84(df["lon"].astype(float), df["lat"].astype(float), system)
    df["lon"], df["lat"] = lon, lat
    return gpd.GeoDataFrame(df, geometry=_point_geometry(lon, lat), crs="EPSG:4326")


def _point_geometry(lon: np.ndarray, lat: np.ndarray) -> gpd.array.GeometryArray:
    """Points from coordinates; a row without coordinates gets an empty point, not POINT (nan nan)."""
    import shapely

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    geoms = np.full(len(lon), shapely.Point(), dtype=object)  # one immutable empty point
    if ok.any():
        geoms[ok] = shapely.points(lon[ok], lat[ok])
    return gpd.array.from_shapely(geoms)


def _meta_table(meta: dict[str, object], key: str) -> dict[str, object]:
    """Return a table of ``county.toml`` (validated: a table, empty or absent)."""
    return cast("dict[str, object]", meta.get(key) or {})


def build_county(raw: RawBundle) -> County:
    """Build a :class:`County` from a bundle that passed validation."""
    meta = raw.meta
    coords = {k: str(v) for k, v in _meta_table(meta, "coordinates").items()}
    for t in ("townships", "villages", "facilities"):
        coords.setdefault(t, "EPSG:4326")
    empty = {
        n: pd.DataFrame(
            {
                "_row": pd.Series(dtype=int),
                **{c.name: pd.Series(dtype=object) for c in TABLES[n].columns},
            }
        )
        for n in TABLES
    }
    tables = {n: raw.tables.get(n, empty[n]) for n in TABLES}
    towns = _points(tables["townships"], coords["townships"])
    villages = _points(tables["villages"], coords["villages"])
    fac = _points(tables["facilities"], coords["facilities"])
    notes: list[str] = []
    for col in ("location_status", "population_status"):
        for df in (towns, villages):
            df[col] = (
                df[col].fillna("official")
                if df[col].notna().any() or col == "location_status"
                else df[col]
            )
    fac["status"] = fac["status"].fillna("official")
    # A village clinic without coordinates sits at its village's point.
    missing = (fac["lon"].isna() | fac["lat"].isna()) & fac["village_code"].notna()
    if missing.any():
        vpos = villages.set_index("code")[["lon", "lat"]]
        idx = fac.index[missing & fac["village_code"].isin(vpos.index)]
        if len(idx):
            fac.loc[idx, "lon"] = vpos.loc[fac.loc[idx, "village_code"], "lon"].to_numpy()
            fac.loc[idx, "lat"] = vpos.loc[fac.loc[idx, "village_code"], "lat"].to_numpy()
            fac = fac.set_geometry(
                _point_geometry(fac["lon"].to_numpy(float), fac["lat"].to_numpy(float)),
                crs="EPSG:4326",
            )
            notes.append(
                f"{len(idx)} facilities without coordinates placed at their village's point "
                f"/ {len(idx)} 个机构无坐标，按所在村位置处理"
            )
    alliances = tables["alliances"].drop(columns="_row").reset_index(drop=True)
    alliances["member_ids"] = alliances["member_ids"].apply(
        lambda v: list(v) if isinstance(v, list) else []
    )
    if len(alliances):
        alliances["status"] = alliances["status"].fillna("official")
    boundary = None
    if raw.boundary is not None:
        boundary = (
            raw.boundary.to_crs("EPSG:4326")
            if raw.boundary.crs
            else raw.boundary.set_crs("EPSG:4326")
        )
    ref = meta.get("reference_year")
    year = int(ref) if isinstance(ref, (int, float, np.integer)) else None
    # County totals the county does not give are the roster's sums when the roster is complete
    # enough (marked derived = "roster"); check_roster_totals reported which and why.
    resources = apply_roster_totals(
        _entries(meta.get("resources"), RESOURCE_KEYS), roster_sums(raw), year
    )
    county = County(
        adcode=str(meta.get("adcode", "")),
        name_zh=str(meta.get("name_zh", "")),
        name_en=str(meta.get("name_en", "")),
        province=str(meta.get("province", "")),
        city=str(meta.get("city", "")),
        reference_year=year,
        population=apply_township_population(
            _entries(meta.get("population"), POPULATION_KEYS), raw, year
        ),
        resources=resources,
        townships=towns,
        villages=villages,
        facilities=fac,
        alliances=alliances,
        boundary=boundary,
        sources=tables["sources"].drop(columns="_row").reset_index(drop=True),
        tcm_hospital=dict(_meta_table(meta, "tcm_hospital")),
        survey=dict(_meta_table(meta, "survey")),
        coordinates=coords,
        warnings=notes,
        path=raw.path,
        plan=plan_from_table(
            tables["timetable"], str(meta.get("adcode", "")), str(meta.get("name_zh", "")), raw.path
        ),
        tasks=tasks_from_table(tables["tasks"], raw.path),
        structure=raw_structure(raw),
        units=declared_units(meta.get("units")),
    )
    return county
