"""What one workbench page does, without widgets: open, read, correct, compute, what-if, take away.

A :class:`Session` belongs to one page (one Voila kernel). It keeps every file it is given or
writes in its own temporary folder (removed when the kernel exits; ``tcmcounty app`` also
removes the folder holding them all), never reads a path typed by the user (a county is
either bundled, picked from :func:`tcmcounty.list_counties`, or uploaded as bytes), and never
writes into an input: corrections become a column map, what-ifs a scenario workbook.
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import os
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tcmcounty.app import TMP_ENV, upload_limit
from tcmcounty.county import County
from tcmcounty.errors import InputError, Problem, TcmCountyError
from tcmcounty.formatting import fmt_pct
from tcmcounty.inputs.columnmap import ColumnMap, SheetReading, map_text, sidecar
from tcmcounty.inputs.load import build_county, list_counties, read_raw
from tcmcounty.inputs.raw import RawBundle
from tcmcounty.reporting.scenario import (
    Change,
    changes_frame,
    scenario_results,
    with_changes,
    write_scenario,
)
from tcmcounty.schema import TABLES

if TYPE_CHECKING:  # imported when first used: the page draws before they are needed
    from tcmcounty.reporting.results import CountyResults
    from tcmcounty.spatial.plan import PlanResult

#: Files a planner may upload: workbooks, one CSV table, or a zip of CSV files.
UPLOAD_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".zip")
#: Tables read from a zip of CSV files (by suffix; each is then read by its content).
ZIP_MEMBER_SUFFIXES = (".csv", ".tsv", ".txt", ".xls", ".xlsx", ".ods")
#: Figures the what-if step shows before and after (indicator ids of the registry).
KEY_INDICATORS = ("T-ZYG-PAV", "T-ZYG-HALL", "T-VC-TCM")
#: Travel modes of the what-if step: name -> (label, detour factor over straight lines).
TRAVEL_MODES: dict[str, tuple[str, float]] = {
    "straight": ("直线距离 straight line", 1.0),
    "road": ("道路估算（直线 × 1.3）road estimate (straight line × 1.3)", 1.3),
}
#: What-ifs kept per county (the slider's recent positions), oldest dropped first.
WHATIF_CACHE = 64
#: Label of "this column is not read" in the column drop-downs.
IGNORE_LABEL = "（不读取）not read"


def _refuse(name: str, en: str, zh: str) -> InputError:
    return InputError([Problem("error", name, en, zh)], name)


def save_upload(folder: Path, name: str, content: bytes) -> Path:
    """Store an uploaded file in ``folder``; return what to read (the file, or a folder of CSVs).

    The name is reduced to its last part (no folder of the server is ever named by the user);
    a file over :func:`upload_limit` is refused as the command line refuses it; a zip is
    checked as the readers check a workbook's zip (size unpacked, compression ratio) and only
    its table files are unpacked, flat, into a folder of their own.

    Raises
    ------
    InputError
        The file is too large, of a kind the readers do not take, or a zip bomb.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> save_upload(d, "../../etc/县.xlsx", b"PK").name
    '县.xlsx'
    >>> save_upload(d, "a.exe", b"MZ")
    Traceback (most recent call last):
    ...
    tcmcounty.errors.InputError: 1 error(s) in a.exe
    ERROR a.exe: the file is not a workbook (.xlsx, .xls, .xlsb, .ods) or a zip of CSV files / 不是工作簿（.xlsx、.xls、.xlsb、.ods）或 CSV 文件的 zip 压缩包
    """
    base = Path(str(name).replace("\\", "/")).name.strip() or "upload.xlsx"
    limit = upload_limit()
    if len(content) > limit:
        raise _refuse(
            base,
            f"file larger than {limit // 2**20} MB refused",
            f"文件超过 {limit // 2**20} MB，拒绝读取",
        )
    suffix = Path(base).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise _refuse(
            base,
            "the file is not a workbook (.xlsx, .xls, .xlsb, .ods) or a zip of CSV files",
            "不是工作簿（.xlsx、.xls、.xlsb、.ods）或 CSV 文件的 zip 压缩包",
        )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / base
    path.write_bytes(content)
    if suffix != ".zip":
        return path
    return _unzip_tables(path)


def _unzip_tables(path: Path) -> Path:
    """Unpack the table files of a zip into ``<stem>/`` (checked first as the readers check)."""
    from tcmcounty.inputs.formats import MAX_UNCOMPRESSED, _check_zip, _Refused

    try:
        _check_zip(path, MAX_UNCOMPRESSED)
        out = path.with_suffix("")
        out.mkdir(exist_ok=True)
        n = 0
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                leaf = Path(info.filename.replace("\\", "/")).name
                if info.is_dir() or not leaf.lower().endswith(ZIP_MEMBER_SUFFIXES):
                    continue
                (out / leaf).write_bytes(zf.read(info))
                n += 1
    except _Refused as exc:
        raise _refuse(path.name, exc.en, exc.zh) from None
    except zipfile.BadZipFile:
        raise _refuse(
            path.name,
            "the file is a damaged zip archive: make it again, or send the workbook itself",
            "zip 压缩包已损坏：请重新压缩，或直接上传工作簿",
        ) from None
    if not n:
        raise _refuse(
            path.name,
            "the zip holds no table (.csv, .xlsx, .xls, .ods)",
            "压缩包中没有表格文件（.csv、.xlsx、.xls、.ods）",
        )
    return out


@dataclass(frozen=True)
class ColumnView:
    """One column of a sheet as the page shows it: header, meaning, evidence, sample values."""

    position: int
    split: int | None
    written: str
    column: str | None
    rule: str
    note: str
    samples: tuple[str, ...]


@dataclass(frozen=True)
class SheetView:
    """One sheet (or CSV file) as the page shows it: its table and its columns."""

    label: str
    table: str | None
    how: str
    header_row: int | None
    columns: tuple[ColumnView, ...]
    items: tuple[tuple[int, str, str | None, str], ...]


def table_options() -> list[tuple[str, str | None]]:
    """Return the drop-down choices for a sheet's table: (label, table name or ``None``).

    Examples
    --------
    >>> table_options()[1]
    ('县基本情况 county', 'county')
    """
    out: list[tuple[str, str | None]] = [(IGNORE_LABEL, None), ("县基本情况 county", "county")]
    out += [(f"{t.zh} {name}", name) for name, t in TABLES.items()]
    return out


def column_options(table: str | None) -> list[tuple[str, str | None]]:
    """Return the drop-down choices for a column of ``table``: (``中文 name``, column or ``None``).

    Examples
    --------
    >>> [v for _, v in column_options("facilities")][:3]
    [None, 'id', 'name']
    >>> column_options("facilities")[2]
    ('机构名称 name', 'name')
    """
    out: list[tuple[str, str | None]] = [(IGNORE_LABEL, None)]
    if table in TABLES:
        out += [(f"{c.zh} {c.name}", c.name) for c in TABLES[table].columns]
    return out


@dataclass
class Session:
    """The state of one workbench page.

    Parameters
    ----------
    workdir : path, optional
        Folder for uploads and outputs (default: a new temporary folder, under
        ``$TCMCOUNTY_APP_TMP`` when ``tcmcounty app`` set it), removed when the process exits.
    """

    workdir: Path = field(default_factory=lambda: Path(_new_workdir()))
    label: str = ""
    path: Path | None = None
    bundled: bool = False
    raw: RawBundle | None = None
    columns: ColumnMap | None = None
    county: County | None = None
    results: CountyResults | None = None
    load_warnings: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    target_share: float | None = None  # None: the plan's default share
    sites: int | None = None
    travel: str = "straight"
    plan: PlanResult | None = None
    scenario: County | None = None
    scenario_results: CountyResults | None = None
    _cells: dict[str, list[list[object]]] = field(default_factory=dict)
    _whatifs: dict[tuple[object, ...], tuple[PlanResult, County, CountyResults]] = field(
        default_factory=dict
    )

    # -- opening ------------------------------------------------------------------------------

    def open_bundled(self, name: str) -> list[Problem]:
        """Open a bundled county by its folder name, adcode or name; return the problems."""
        table = list_counties()
        hit = table[(table["folder"] == name) | (table["adcode"] == name)]
        if not len(hit):
            raise _refuse(name, "not a bundled county", "不是内置县")
        self.label = f"{hit.iloc[0]['name_zh']} {hit.iloc[0]['name_en']}".strip()
        return self._open(Path(hit.iloc[0]["path"]), bundled=True)

    def open_upload(self, name: str, content: bytes) -> list[Problem]:
        """Store an upload (:func:`save_upload`) and read it; return the problems."""
        folder = Path(tempfile.mkdtemp(prefix="upload-", dir=self.workdir))
        path = save_upload(folder, name, content)
        self.label = Path(name).name
        return self._open(path, bundled=False)

    def _open(self, path: Path, *, bundled: bool) -> list[Problem]:
        self.path, self.bundled, self.columns = path, bundled, None
        self.changes, self._cells = [], {}
        return self.read()

    # -- reading ------------------------------------------------------------------------------

    def read(self, columns: ColumnMap | None = None) -> list[Problem]:
        """Read the county again (with ``columns`` when given); compute its results if it loads.

        Returns
        -------
        list of Problem
            Every problem of the read, errors first; on an error the county is ``None``.
        """
        if self.path is None:
            raise ValueError("open a county first")
        if columns is not None:
            self.columns = columns
        self.county = self.results = self.plan = self.scenario = self.scenario_results = None
        self._whatifs = {}
        try:
            self.raw = read_raw(self.path, self.columns)
        except InputError as exc:  # an unreadable map or file: problems, never a traceback
            self.raw = None
            return exc.problems
        problems = sorted(self.raw.problems, key=lambda p: _ORDER.get(p.severity, 3))
        if any(p.severity == "error" for p in problems):
            return problems
        from tcmcounty.reporting.results import compute_results

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.county = build_county(self.raw)
            self.results = compute_results(self.county)
        self.load_warnings = [str(w.message) for w in caught]
        ids = set(self.county.facilities["id"].astype(str))
        self.changes = [c for c in self.changes if c.facility_id in ids]
        self.what_if()
        return problems

    def sheets(self) -> list[SheetView]:
        """Return how each sheet was read, with a few values of each column as evidence."""
        if self.raw is None:
            return []
        out = []
        for r in self.raw.readings:
            cols = tuple(
                ColumnView(
                    c.position,
                    c.split,
                    c.written,
                    c.column,
                    c.rule,
                    c.note,
                    self._samples(r, c.position),
                )
                for c in r.columns
            )
            out.append(SheetView(r.label, r.table, r.how, r.header_row, cols, tuple(r.items)))
        return out

    def _sheet_cells(self, label: str) -> list[list[object]]:
        if not self._cells and self.path is not None:
            from tcmcounty.inputs.formats import read_book

            files = [self.path] if self.path.is_file() else sorted(self.path.iterdir())
            for f in files:
                if f.is_file() and not f.name.endswith(".toml"):
                    sheets, _ = read_book(f)
                    for s in sheets:
                        self._cells[s.title] = s.rows
                    if len(sheets) == 1:  # a CSV file: its sheet is labelled by the file's name
                        self._cells.setdefault(f.name, sheets[0].rows)
        return self._cells.get(label, [])

    def _samples(self, r: SheetReading, position: int, k: int = 3) -> tuple[str, ...]:
        rows = self._sheet_cells(r.label)
        start = (r.header_row or 1) + max(r.header_rows - 1, 0)
        got: list[str] = []
        for row in rows[start:]:
            if position < len(row) and row[position] not in (None, ""):
                got.append(str(row[position])[:24])
                if len(got) == k:
                    break
        return tuple(got)

    def row_cells(self, sheet: str | None, row: int | None) -> tuple[list[str], list[str]]:
        """Return the header and the cells of a sheet's row (as the user numbers rows)."""
        if sheet is None or row is None:
            return [], []
        rows = self._sheet_cells(sheet)
        reading = next(
            (r for r in (self.raw.readings if self.raw else []) if r.label == sheet), None
        )
        head_at = (reading.header_row if reading and reading.header_row else 1) - 1
        header = [str(v or "") for v in rows[head_at]] if head_at < len(rows) else []
        cells = (
            [str(v if v is not None else "") for v in rows[row - 1]] if 0 < row <= len(rows) else []
        )
        return header, cells

    def edited_readings(
        self,
        tables: dict[str, str | None] | None = None,
        columns: dict[tuple[str, int, int | None], str | None] | None = None,
    ) -> list[SheetReading]:
        """Return the readings with the planner's choices: a sheet's table, a column's meaning.

        Parameters
        ----------
        tables : dict, optional
            ``sheet label -> table`` (``None``: not read). A sheet given another table is read
            again by its headers under that table.
        columns : dict, optional
            ``(sheet label, position, split) -> column`` (``None``: not read).
        """
        tables, columns = tables or {}, columns or {}
        out = []
        for r in self.raw.readings if self.raw else []:
            if r.label in tables and tables[r.label] != r.table:
                out.append(SheetReading(r.file, r.sheet, tables[r.label], "map", r.header_row))
                continue
            cols = []
            for c in r.columns:
                key = (r.label, c.position, c.split)
                if key in columns and columns[key] != c.column:
                    c = dataclasses.replace(c, column=columns[key], rule="map", note="", split=None)
                cols.append(c)
            out.append(dataclasses.replace(r, columns=cols))
        return out

    def map_text(
        self,
        tables: dict[str, str | None] | None = None,
        columns: dict[tuple[str, int, int | None], str | None] | None = None,
    ) -> str:
        """Return the column map (``FILE.columns.toml``, as ``tcmcounty inspect`` writes it)."""
        return map_text(self.edited_readings(tables, columns))

    def apply(
        self,
        tables: dict[str, str | None] | None = None,
        columns: dict[tuple[str, int, int | None], str | None] | None = None,
    ) -> list[Problem]:
        """Read the county again with the planner's choices (see :meth:`edited_readings`)."""
        text = self.map_text(tables, columns)
        try:
            cmap = ColumnMap.from_text(text)
        except InputError as exc:
            return exc.problems
        return self.read(cmap)

    def map_file(self) -> tuple[str, bytes]:
        """Return the column map to save: ``<file>.columns.toml`` and its text.

        For an uploaded file the map is also written beside the working copy, so that the
        report read from it uses the same reading; a bundled county is never written to.
        """
        text = map_text(self.raw.readings) if self.raw else ""
        name = sidecar(Path(self.label or "county")).name
        if self.path is not None and not self.bundled:
            sidecar(self.path).write_text(text, encoding="utf-8")
        return name, text.encode("utf-8")

    # -- what if ------------------------------------------------------------------------------

    def set_flag(self, facility_id: str, flag: str, value: bool) -> None:
        """Set one facility flag in the scenario (the last choice for a facility and flag wins)."""
        self.changes = [
            c for c in self.changes if (c.facility_id, c.flag) != (str(facility_id), flag)
        ]
        self.changes.append(Change(str(facility_id), flag, bool(value)))

    def what_if(
        self,
        target_share: float | None = None,
        sites: int | None = None,
        travel: str | None = None,
    ) -> None:
        """Plan new 中医阁 on the county with the planner's changes; compute the scenario.

        ``sites`` (a number of new 中医阁) wins over ``target_share`` when it is above 0.
        Existing 中医阁, and those the planner set, are fixed; the recommended clinics are then
        given a 中医阁 in the scenario, whose results are those ``compute_results`` gives
        (:func:`tcmcounty.reporting.scenario.scenario_results`: only what the flags change is computed
        again). A what-if seen before on this county (same changes, target or number of sites,
        distance) is not computed again.
        """
        from tcmcounty.spatial.plan import plan_sites

        if self.county is None or self.results is None:
            return
        if target_share is not None:
            self.target_share = float(target_share)
        self.sites = sites if sites else None
        if travel is not None:
            self.travel = travel
        key = (
            tuple(self.changes),
            None if self.sites else self.target_share,
            self.sites,
            self.travel,
        )
        if key not in self._whatifs:
            manual = with_changes(self.county, self.changes) if self.changes else self.county
            plan = plan_sites(
                manual,
                target_share=None if self.sites else self.target_share,
                sites=self.sites,
                detour=TRAVEL_MODES[self.travel][1],
                compare_optimal=False,
            )
            sites_ = [Change(str(i), "has_tcm_pavilion", True) for i in plan.table["facility_id"]]
            scenario = with_changes(manual, sites_)
            if len(self._whatifs) >= WHATIF_CACHE:
                self._whatifs.pop(next(iter(self._whatifs)))
            self._whatifs[key] = (plan, scenario, scenario_results(self.results, scenario))
        self.plan, self.scenario, self.scenario_results = self._whatifs[key]

    def scenario_changes(self, *, only_sites: bool = False) -> list[Change]:
        """Return the scenario's changes: the planner's, then a 中医阁 at each recommended site."""
        ids = [] if self.plan is None else [str(i) for i in self.plan.table["facility_id"]]
        sites = [Change(i, "has_tcm_pavilion", True) for i in ids]
        return sites if only_sites else [*self.changes, *sites]

    def changes_table(self) -> pd.DataFrame:
        """Return the scenario's changes as the planner reads them (:func:`changes_frame`)."""
        if self.county is None:
            return pd.DataFrame()
        return changes_frame(self.county, self.scenario_changes())

    def key_figures(self) -> pd.DataFrame:
        """Return the figures the what-if changes: as read, and in the scenario.

        Rows: the indicators of :data:`KEY_INDICATORS` (value and verdict), the share of
        residents within the plan's radius of a 中医阁, and the rows of each worklist.
        """
        from tcmcounty.reporting.worklists import worklists

        rows: list[dict[str, object]] = []
        base, scen = self.results, self.scenario_results
        if base is None or scen is None:
            return pd.DataFrame(columns=["key", "指标 figure", "现状 as read", "情景 scenario"])
        shown_b, shown_s = _indicators_shown(base), _indicators_shown(scen)
        for i in KEY_INDICATORS:
            b, s = shown_b.get(i), shown_s.get(i)
            if b is None or s is None:
                continue
            rows.append(
                {"key": i, "指标 figure": b[0], "现状 as read": b[1], "情景 scenario": s[1]}
            )
        label = self.plan.radius_text() if self.plan is not None else ""
        rows.append(
            {
                "key": "pavilion_cover",
                "指标 figure": f"居民 {label} 内有中医阁 residents within {label} of a 中医阁",
                "现状 as read": fmt_pct(self.plan.covered_share_before) if self.plan else "—",
                "情景 scenario": fmt_pct(self.plan.covered_share_after) if self.plan else "—",
            }
        )
        for wb, ws in zip(worklists(base), worklists(scen), strict=True):
            rows.append(
                {
                    "key": f"worklist_{wb.action_id}",
                    "指标 figure": f"整改清单：{wb.title_zh}（行）",
                    "现状 as read": str(len(wb)),
                    "情景 scenario": str(len(ws)),
                }
            )
        return pd.DataFrame(rows)

    # -- take away ----------------------------------------------------------------------------

    def shown_results(self) -> CountyResults | None:
        """Return the results the page shows: the scenario's when it changes anything, else as read."""
        return self.scenario_results if self.scenario_changes() else self.results

    def name(self) -> str:
        """Return the name files are given: ``<adcode>-<name>`` of the county."""
        from tcmcounty.reporting.records import safe_name

        c = self.county
        return safe_name(f"{c.adcode}-{c.name_en or c.name_zh}") if c else "county"

    def worklist_file(self, scenario: bool = True) -> tuple[str, bytes]:
        """Return the worklist workbook (``…-worklist.xlsx``) of the scenario or of the county."""
        from tcmcounty.reporting.worklists import (
            worklist_file_name,
            worklists,
            worklists_xlsx_bytes,
        )

        res = self.shown_results() if scenario else self.results
        if res is None:
            raise ValueError("no county loaded")
        stem = self.name() + ("-scenario" if scenario and res is self.scenario_results else "")
        return worklist_file_name(stem), worklists_xlsx_bytes(worklists(res))

    def scenario_file(self) -> tuple[str, bytes]:
        """Return the scenario saved as a workbook of its own (:func:`write_scenario`)."""
        if self.county is None:
            raise ValueError("no county loaded")
        out = self.workdir / "out" / f"{self.name()}-scenario.xlsx"
        out.parent.mkdir(parents=True, exist_ok=True)
        write_scenario(out, self.county, self.scenario_changes())
        return out.name, out.read_bytes()

    def report_file(self, pdf: bool = False, scenario: bool = False) -> tuple[str, bytes]:
        """Render the county's report (HTML, or PDF through Chromium) and return it.

        The report of the county as read comes from its own file with the column map the
        page applied (a bundled county with a changed reading is copied first, the map beside
        the copy: the bundled data are never written to); a scenario's from its scenario
        workbook.
        """
        from tcmcounty.run.report import render_report

        if self.path is None or self.county is None:
            raise ValueError("no county loaded")
        out = Path(tempfile.mkdtemp(prefix="report-", dir=self.workdir))
        if scenario:
            source: Path = out / f"{self.name()}-scenario.xlsx"
            write_scenario(source, self.county, self.scenario_changes())
        elif self.columns is not None and self.raw is not None:
            source = self.path
            if self.bundled:  # the page's reading applies to a copy, never to the bundled data
                source = out / self.path.name
                copy = shutil.copytree if self.path.is_dir() else shutil.copy2
                copy(self.path, source)
            sidecar(source).write_text(map_text(self.raw.readings), encoding="utf-8")
        else:
            source = self.path
        record = render_report(
            source, out / "reports", pdf=pdf, index=False, report_date=dt.date.today()
        )
        # a record as a mapping, or as a JobRecord (its ``name`` attribute)
        got = record.get("name") if isinstance(record, dict) else getattr(record, "name", None)
        name = str(got or self.name())
        f = out / "reports" / f"{name}.{'pdf' if pdf else 'html'}"
        if not f.is_file():
            found = sorted((out / "reports").glob(f"*.{'pdf' if pdf else 'html'}"))
            if not found:
                raise TcmCountyError("the report was not written / 报告未生成")
            f = found[0]
        return f.name, f.read_bytes()

    def template_file(self, county: str) -> tuple[str, bytes]:
        """Return a workbook to fill in, pre-filled with a county's townships and villages."""
        from tcmcounty.inputs.nbs import county_units
        from tcmcounty.inputs.workbook import write_workbook

        units = county_units(county.strip())
        out = self.workdir / "out" / f"{units.adcode}-{units.full_name}.xlsx"
        out.parent.mkdir(parents=True, exist_ok=True)
        write_workbook(out, adcode=units.adcode)
        return out.name, out.read_bytes()


_ORDER = {"error": 0, "warning": 1, "note": 2}


def _new_workdir() -> str:
    root = os.environ.get(TMP_ENV) or None
    if root is not None and not Path(root).is_dir():
        root = None
    path = tempfile.mkdtemp(prefix="tcmcounty-page-", dir=root)
    atexit.register(shutil.rmtree, path, True)
    return path


def _indicators_shown(res: CountyResults) -> dict[str, tuple[str, str]]:
    """Return each target's name and its value with verdict, as the report writes them."""
    from tcmcounty.reporting.readiness import VERDICT_ZH, results_readiness
    from tcmcounty.reporting.sections import pick

    # the engine's note on the county row says when units left a column blank (the value is
    # then over the units that answered) and whether the verdict holds whatever they say
    notes: dict[str, str] = {}
    ind = res.indicators
    if ind is not None and "note" in ind:
        rows = ind[ind["level"] == "county"] if "level" in ind else ind
        why_not = rows["no_verdict"] if "no_verdict" in rows else [""] * len(rows)
        for i, note, nv in zip(rows["id"], rows["note"], why_not, strict=True):
            zh = pick(nv, "zh") if isinstance(nv, str) and nv else ""  # why no verdict, first
            if not zh and isinstance(note, str) and ("未填" in note or "未报告" in note):
                zh = pick(note, "zh")
            if zh:
                notes.setdefault(str(i), zh)
    out: dict[str, tuple[str, str]] = {}
    for t in results_readiness(res).targets:
        need = f"，还差 {t.need} {t.need_unit.split(' / ')[0]}" if t.need else ""
        why = f" — {notes[t.id]}" if t.id in notes else ""
        out.setdefault(t.id, (t.name_zh, f"{t.shown}（{VERDICT_ZH[t.verdict]}{need}）{why}"))
    return out
