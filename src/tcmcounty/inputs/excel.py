"""Reading a planner's Excel workbook, in the template's layout or in the county's own.

Sheets are recognised by name (``一、县基本情况``, ``四、医疗卫生机构名册``) or, when the name is
unfamiliar (``Sheet1``), by their header content. Headers and county items go through
:mod:`tcmcounty.inputs.matching`; a column map (:mod:`tcmcounty.inputs.columnmap`) overrides
any guess.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from tcmcounty.errors import Problem
from tcmcounty.inputs.assembly import (
    STACKABLE,
    UNIT_FACILITY,
    attribute_sheet,
    combine,
    facility_counts,
    listed,
    names_state_types,
    sheet_facility_type,
    sheet_fixed,
    side_by_side,
    split_tables,
    transposed,
    types_from_names,
    unit_and_facility,
)
from tcmcounty.inputs.basics import (
    COUNTY_COLUMNS,
    COUNTY_FIELDS,
    read_county_sheet,
    score_county_sheet,
)
from tcmcounty.inputs.cells import (
    FORMULA_EN,
    FORMULA_ZH,
    UncachedFormula,
    cell_text,
    parse_rows,
    tick_blanks,
)
from tcmcounty.inputs.columnmap import ColumnMap, SheetMap, SheetReading
from tcmcounty.inputs.completion import FROM_NBS, complete_from_nbs, infer_adcode
from tcmcounty.inputs.formats import read_book, read_folder_tables
from tcmcounty.inputs.matching import Matcher, normalise, sheet_key
from tcmcounty.inputs.meta import clean_names
from tcmcounty.inputs.raw import RawBundle
from tcmcounty.inputs.sheets import NOT_XLSX, Sheet, sniff
from tcmcounty.inputs.sources import default_sources, ensure_nbs_source, ensure_user_source
from tcmcounty.schema import COUNTY_SHEET, COUNTY_SHEET_ALIASES, OPTIONAL_TABLES, TABLES, Table

__all__ = ["COUNTY_COLUMNS", "COUNTY_FIELDS", "read_workbook", "recognise_sheets"]

MAX_UNCOMPRESSED = 500 * 1024 * 1024  # xlsx bombs: refuse before parsing
MAX_RATIO = 200

#: Sheets that hold instructions, never data.
#: ``情景变更`` lists what a what-if scenario changed (:func:`tcmcounty.reporting.scenario.write_scenario`).
INSTRUCTION_SHEETS = (
    "说明",
    "填表说明",
    "填报说明",
    "使用说明",
    "readme",
    "_lists",
    "指标解释",
    "情景变更",
)


def _check_zip(path: Path, raw: RawBundle) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
            packed = sum(i.compress_size for i in zf.infolist()) or 1
    except (zipfile.BadZipFile, OSError):
        en, zh = NOT_XLSX.get(sniff(path), NOT_XLSX["other"])
        _file_problem(raw, path, f"the file is {en}", zh)
        return False
    if total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO:
        _file_problem(
            raw,
            path,
            f"workbook refused: it unpacks to {total // 2**20} MB (ratio {total / packed:.0f}:1)",
            f"拒绝读取：解压后 {total // 2**20} MB（压缩比 {total / packed:.0f}:1），疑似压缩炸弹",
        )
        return False
    return True


def _names(table: str) -> set[str]:
    names: tuple[str, ...]
    if table == "county":
        names = (COUNTY_SHEET, *COUNTY_SHEET_ALIASES)
    else:
        t = TABLES[table]
        names = (t.sheet, t.name, t.zh, *t.sheet_aliases)
    return {sheet_key(n) for n in names}


def recognise_sheets(
    sheets: dict[str, list[list[object]]], columns: ColumnMap
) -> tuple[dict[str, str], list[tuple[str, str, str]], dict[str, str], dict[str, list[str]]]:
    """Decide which sheet holds which table.

    A column map's ``table = "…"`` wins; then the sheet name; then, for sheets whose name is
    unfamiliar, the header content (the table whose headers the sheet matches best, all its
    required columns present).

    Several sheets may hold one roster table (:data:`STACKABLE`: one sheet per township, the
    village clinics on a sheet of their own): they are stacked. Two sheets claiming another
    table (the county sheet, the sources) are a conflict.

    Returns
    -------
    chosen, conflicts, how, stacked : dict, list, dict, dict
        ``table -> first sheet``; ``(table, sheet a, sheet b)`` for two sheets claiming one
        table; ``sheet -> "map" | "name" | "content"``; ``table -> all its sheets`` where
        there are several.
    """
    from tcmcounty.inputs.cells import cell_text

    tables = ["county", *TABLES]
    chosen: dict[str, str] = {}
    how: dict[str, str] = {}
    conflicts: list[tuple[str, str, str]] = []
    stacked: dict[str, list[str]] = {}

    def claim(table: str, sheet: str, why: str) -> None:
        if table in chosen and chosen[table] != sheet:
            if table in STACKABLE:
                stacked.setdefault(table, [chosen[table]]).append(sheet)
                how[sheet] = why
                return
            conflicts.append((table, chosen[table], sheet))
            return
        chosen[table] = sheet
        how[sheet] = why

    instructions = {sheet_key(n) for n in INSTRUCTION_SHEETS}
    for sheet in sheets:
        forced = columns.for_sheet(sheet).table
        if forced:
            claim(forced, sheet, columns.for_sheet(sheet).role or "map")
    for sheet in sheets:
        if sheet in how or sheet_key(sheet) in {sheet_key(n) for n in INSTRUCTION_SHEETS}:
            continue
        keys = {sheet_key(sheet), sheet_key(sheet.rsplit("/", 1)[-1])}  # a block: 乡镇村/乡镇
        for table in tables:
            if keys & _names(table):
                claim(table, sheet, "name")
                break
        else:
            if sheet_facility_type(sheet) is not None:
                claim("facilities", sheet, "name")
    for sheet, rows in sheets.items():
        if sheet in how or sheet_key(sheet) in {sheet_key(n) for n in INSTRUCTION_SHEETS}:
            continue
        text = [[cell_text(c) for c in r] for r in rows[:15]]
        scores: dict[str, int] = {}
        for table in TABLES:
            if table in chosen and table not in STACKABLE:
                continue
            t = TABLES[table]
            m = Matcher(t, columns.for_sheet(sheet).columns)
            best = 0
            for row in text:
                found = {m.recognise(c) for c in row if c} - {None}
                if all(c.name in found for c in t.columns if c.required):
                    best = max(best, len(found))
            if best >= 2:
                scores[table] = best
        if "county" not in chosen and score_county_sheet(text) >= 3:
            scores["county"] = score_county_sheet(text)
        if not scores:
            continue
        top = max(scores.values())
        best_tables = [t for t, s in scores.items() if s == top]
        if len(best_tables) > 1:
            best_tables = _by_codes(best_tables, text, columns.for_sheet(sheet).columns)
        if len(best_tables) == 1:
            claim(best_tables[0], sheet, "content")
    if "facilities" not in chosen:  # rosters without a type column: 卫生院 and 卫生室 by name
        for sheet, rows in sheets.items():
            if sheet not in how and sheet_key(sheet) not in instructions:
                if names_state_types(rows):
                    claim("facilities", sheet, "content")
    if "facilities" in chosen:
        for sheet, rows in sheets.items():
            if sheet not in how and sheet_key(sheet) not in instructions:
                kind = attribute_sheet(rows, sheet)
                if kind is not None:
                    claim("facilities", sheet, kind)
    for sheet, rows in sheets.items():
        if sheet not in how:
            continue
        holds = [
            t
            for t in ("townships", "villages", "facilities")
            if sheet in stacked.get(t, [chosen.get(t)])
        ]
        unit = unit_and_facility(rows) if len(holds) == 1 else None
        if unit is not None:
            claim("facilities" if holds[0] == unit else unit, sheet, how[sheet])
    return chosen, conflicts, how, stacked


def _nothing_to_add_to(parts: list[str], how: dict[str, str], table: Table, file: str) -> Problem:
    """Say that every sheet of a table only adds to units that no sheet lists (an error)."""
    named = ", ".join(f"'{p}' ({how[p]})" for p in parts)
    return Problem(
        "error",
        file,
        f"{table.name}: sheet(s) {named} only add columns to units read on another sheet, but "
        f"no sheet lists the {table.name} themselves: add that sheet, or take `role` off the "
        "column map",
        f"{table.zh}：工作表 {'、'.join(parts)} 只为其他工作表中的单位补充列，但没有工作表列出这些单位："
        "请补上该表，或在列映射中删去 role",
        parts[0],
    )


def _by_codes(tables: list[str], text: list[list[str]], extra: dict[str, str]) -> list[str]:
    """Break a tie between tables by the length of the codes under a ``code`` header.

    ``code | name | population`` may be townships or villages: 9-digit codes are townships',
    12-digit ones villages'.
    """
    keep = []
    for table in tables:
        col = (
            TABLES[table].column("code")
            if "code" in {c.name for c in TABLES[table].columns}
            else None
        )
        if col is None or col.digits is None:
            continue
        m = Matcher(TABLES[table], extra)
        for i, row in enumerate(text):
            at = [j for j, c in enumerate(row) if c and m.recognise(c) == "code"]
            if at:
                values = [r[at[0]] for r in text[i + 1 :] if at[0] < len(r) and r[at[0]]]
                if values and all(v.isdigit() and len(v) == col.digits for v in values):
                    keep.append(table)
                break
    return keep if len(keep) == 1 else tables


def read_workbook(path: Path, columns: ColumnMap | None = None) -> RawBundle:
    """Read a planner's workbook.

    Parameters
    ----------
    path : pathlib.Path
        The ``.xlsx`` file.
    columns : ColumnMap, optional
        The user's corrections (see :mod:`tcmcounty.inputs.columnmap`).

    Returns
    -------
    RawBundle
        The same shape as a bundle folder read by :func:`~tcmcounty.inputs.bundle.read_bundle`;
        ``readings`` says how every sheet, column and county item was read.
    """
    columns = columns or ColumnMap()
    raw = RawBundle(
        path=path,
        meta={},
        tables={},
        files={},
        sheets={},
        meta_file=path.name,
        meta_sheet=COUNTY_SHEET,
    )
    found, findings = read_folder_tables(path) if path.is_dir() else read_book(path)
    for sev, en, zh, _row, _col, _value in findings:
        raw.problems.append(Problem(sev, path.name, en, zh))  # type: ignore[arg-type]
    if any(f[0] == "error" for f in findings) and not found:
        return raw
    if not found:
        _file_problem(
            raw,
            path,
            "no table found: the folder holds no .csv, .tsv, .txt, .xls, .xlsx or .ods file",
            "未找到表格：文件夹中没有 .csv、.tsv、.txt、.xls、.xlsx 或 .ods 文件",
        )
        return raw
    _unused_map_entries(raw, path, columns, [s.title for s in found])
    by_title: dict[str, Sheet] = {}
    first_row: dict[str, int] = {}
    for s in found:
        for sev, en, zh, row, col, value in s.findings:
            raw.problems.append(_sheet_problem(path.name, s.title, sev, en, zh, row, col, value))
        for name, first, rows in split_tables(s.title, s.rows):
            for part, top, block, merged in side_by_side(name, first, rows, s.merged):
                by_title[part] = Sheet(part, block, merged, [], getattr(s, "hidden", False))
                first_row[part] = top
    sheets = {t: s.rows for t, s in by_title.items()}
    hidden = [
        t
        for t in sheets
        if getattr(by_title[t], "hidden", False) and not columns.for_sheet(t).table
    ]
    instructions = {sheet_key(n) for n in INSTRUCTION_SHEETS}
    for t in hidden:
        if sheet_key(t) in instructions:
            continue  # the template's own lists
        raw.problems.append(
            Problem(
                "warning",
                path.name,
                "hidden sheet not read (often last year's data); unhide it or name its table in "
                f'a column map (["{t}"] table = "…") to read it',
                "隐藏的工作表未读取（常为往年数据）；如需读取，请取消隐藏或在列映射中指定",
                t,
            )
        )
    sheets = {t: r for t, r in sheets.items() if t not in hidden}
    told = [t for t in sheets if columns.for_sheet(t).transpose]
    for t in told:
        grid = transposed([[cell_text(c) or None for c in r] for r in sheets[t]], force=True)
        if grid is not None:
            sheets[t] = grid
            by_title[t] = Sheet(t, grid, [], [], getattr(by_title[t], "hidden", False))
    chosen, conflicts, how, stacked = recognise_sheets(sheets, columns)
    turned = told + _turn_unread(sheets, by_title, how, columns)
    if turned:
        chosen, conflicts, how, stacked = recognise_sheets(sheets, columns)
        for t in turned:
            if t in how:
                raw.problems.append(
                    Problem(
                        "note",
                        path.name,
                        "read transposed: its items are rows and its units columns",
                        "按转置读取：项目在行，各单位在列",
                        t,
                    )
                )
    for which, a, b in conflicts:
        label = "县基本情况" if which == "county" else TABLES[which].zh
        raw.problem(
            "error",
            "county",
            f"two sheets hold the {which} table: '{a}' and '{b}'; keep one, or say which in a "
            f'column map (["{a}"] table = "{which}")',
            f"两个工作表都像是{label}：'{a}' 与 '{b}'；请保留一个，或在列映射中指定",
        )
    cs = chosen.get("county")
    if cs is not None:
        raw.meta_sheet = cs
        _uncached_items(sheets[cs], raw)
        _merged_items(by_title[cs], first_row.get(cs, 1), raw)
        reading = SheetReading(path.name, cs, "county", how.get(cs, "name"))
        raw.meta = read_county_sheet(
            sheets[cs],
            raw,
            reading,
            columns.for_sheet(cs),
            by_title[cs].merged,
            first_row.get(cs, 1),
        )
        clean_names(raw.meta, raw)
        raw.readings.append(reading)
    for name, table in TABLES.items():
        raw.files[name] = path.name
        sheet = chosen.get(name)
        raw.sheets[name] = sheet or table.sheet
        if sheet is None:
            counts = _counts_instead(name, by_title, first_row, sheets)
            if counts is not None:
                raw.problem("error", name, *counts)
            elif name not in OPTIONAL_TABLES and name not in FROM_NBS:
                raw.problem(
                    "error",
                    name,
                    f"sheet '{table.sheet}' ({name}) is missing: no sheet is named so or has its "
                    f"headers ({', '.join(c.zh for c in table.columns if c.required)}); sheets "
                    f"found: {', '.join(sheets)}",
                    f"未找到{table.zh}工作表（{table.sheet}）；现有：{'、'.join(sheets)}",
                )
            continue
        frames: list[tuple[str, pd.DataFrame]] = []
        order = list(sheets)
        parts = sorted(stacked.get(name, [sheet]), key=order.index)  # workbook order
        for part in parts:
            fixed = sheet_fixed(name, part, len(parts) > 1, raw, sheets[part])
            unit = unit_and_facility(sheets[part]) if name == "facilities" else None
            dual = unit is not None
            if unit is not None:
                fixed.setdefault("type", UNIT_FACILITY[unit][1])
            extra = how.get(part) in ("attribute", "list")
            by_name = (
                name == "facilities" and "type" not in fixed and names_state_types(sheets[part])
            )
            df, problems, reading = parse_rows(
                sheets[part],
                table,
                path.name,
                part,
                sheet_map=_map_for(columns, part, name),
                first_row_number=first_row[part],
                merged=by_title[part].merged,
                fixed=fixed,
                blank_name_skipped=dual,
                optional=frozenset({"type"}) if extra or by_name else frozenset(),
            )
            if df is not None and by_name:
                df, named = types_from_names(df, path.name, part)
                problems.extend(named)
            reading.how = how.get(part, "name")
            reading.transposed = part in turned
            raw.readings.append(reading)
            if name in UNIT_FACILITY and unit_and_facility(sheets[part]) == name:
                problems = _quiet_facility_columns(problems, reading, part)
            raw.problems.extend(problems)
            if df is not None:
                if how.get(part) == "list":
                    df = listed(df, part)
                frames.append((part, df))
        if len(parts) > 1:
            raw.stacked[name] = [p for p, _ in frames]  # rows are numbered by these
            raw.problems.append(
                Problem(
                    "note",
                    path.name,
                    f"{table.name}: {len(parts)} sheets stacked into one table ({', '.join(parts)})",
                    f"{table.zh}：{len(parts)} 个工作表合并为一张表（{'、'.join(parts)}）",
                )
            )
        if frames:
            combined, combining = combine(
                frames, table, path.name, {p: how[p] for p, _ in frames if p in how}
            )
            raw.problems.extend(combining)
            if combined is not None:
                raw.tables[name] = combined
                raw.problems.extend(tick_blanks(combined, table, raw.readings))
            elif all(how.get(p) in ("attribute", "list") for p in parts):
                raw.problems.append(_nothing_to_add_to(parts, how, table, path.name))
    for sheet in sheets:
        if sheet not in how:
            raw.readings.append(
                SheetReading(path.name, sheet, None, "ignored", note="no table recognised / 未识别")
            )
            _unread_sheet(raw, path, sheet, sheets[sheet], columns)
    _complete(raw, sheets)
    if "sources" not in chosen:
        default_sources(raw, f"workbook {path.name}", f"工作簿 {path.name}")
    else:
        ensure_user_source(raw, f"workbook {path.name}", f"工作簿 {path.name}")
    if any(raw.files.get(t) == "NBS 2023" for t in FROM_NBS):
        ensure_nbs_source(raw)
    return raw


#: What a count per unit is a count of, for messages: unit -> (English, Chinese).
_COUNT_UNITS = {"township": ("township", "乡镇"), "village": ("village", "村")}


def _counts_instead(
    name: str,
    by_title: dict[str, Sheet],
    first_row: dict[str, int],
    sheets: dict[str, list[list[object]]],
) -> tuple[str, str] | None:
    """Say why a workbook of facility counts per township has no roster: (English, Chinese), or None.

    Counts (村卫生室 45, 其中：中医阁 2) cannot say which clinic has what, nor be checked
    against the villages: the indicators need one row per facility.
    """
    if name != "facilities":
        return None
    for title in sheets:
        unit = facility_counts(sheets[title], by_title[title].merged, first_row.get(title, 1))
        if unit is None:
            continue
        en, zh = _COUNT_UNITS[unit]
        table = TABLES[name]
        return (
            f"sheet '{table.sheet}' (facilities) is missing: sheet '{title}' gives counts of "
            f"facilities per {en} (how many 村卫生室, how many with a 中医阁 …), but the tool "
            "needs the list of facilities, one row per facility (机构名称, 机构类型, 中医馆, "
            "中医阁 …): counts cannot say which facility has what, nor be checked; add the "
            f"facility roster (a sheet like '{table.sheet}' of the template)",
            f"未找到医疗机构名册（{table.sheet}）：工作表“{title}”只给出按{zh}汇总的机构数"
            "（村卫生室个数、其中中医阁个数等），而本工具需要机构名册，每个机构一行（机构名称、"
            "机构类型、中医馆、中医阁等）：汇总数无法说明哪个机构具备什么，也无法核对；"
            f"请补充机构名册（参照模板的“{table.sheet}”表）",
        )
    return None


def _complete(raw: RawBundle, sheets: dict[str, list[list[object]]]) -> None:
    """Supply missing township and village tables from the NBS codes, else report them.

    A workbook without a county sheet is accepted when its county can be identified (from its
    codes or its file name): its name and code then come from the NBS codes, and its totals from
    its tables where they are complete (see :mod:`tcmcounty.inputs.totals`).
    """
    no_county_sheet = not any(r.table == "county" for r in raw.readings)
    adcode = infer_adcode(raw)
    if no_county_sheet:
        if adcode is None:
            raw.problem(
                "error",
                "county",
                f"sheet '{COUNTY_SHEET}' is missing: no sheet is named so or lists the county's "
                f"items (县代码, 县名称, 常住人口 …), and no code or name in the file says which "
                f"county it is; sheets found: {', '.join(sheets)}",
                f"未找到县基本情况工作表（{COUNTY_SHEET}），文件中的代码和名称也无法确定是哪个县；"
                f"现有：{'、'.join(sheets)}",
            )
        else:
            raw.meta_sheet = None
            raw.problem(
                "note",
                "county",
                f"no county sheet: the county is {raw.meta.get('name_zh')} ({adcode}); its totals "
                "come from its tables where they are complete",
                f"无县基本情况表：本县为 {raw.meta.get('name_zh')}（{adcode}）；全县合计按各表汇总（如完整）",
            )
    complete_from_nbs(raw)
    for name in FROM_NBS:
        if name in raw.tables or any(p.table == name for p in raw.readings if p.table):
            continue
        table = TABLES[name]
        raw.problem(
            "error",
            name,
            f"sheet '{table.sheet}' ({name}) is missing: no sheet is named so or has its "
            f"headers ({', '.join(c.zh for c in table.columns if c.required)}), and the county "
            f"is not known to take them from the national codes; sheets found: {', '.join(sheets)}",
            f"未找到{table.zh}工作表（{table.sheet}），且无法识别本县以采用统计用区划代码；现有：{'、'.join(sheets)}",
        )


def _quiet_facility_columns(
    problems: list[Problem], reading: SheetReading, sheet: str
) -> list[Problem]:
    """On a sheet of units and their facilities, the facility columns are not unknown."""
    from tcmcounty.inputs.matching import Matcher

    facilities = Matcher(TABLES["facilities"])
    theirs = {
        c.written for c in reading.columns if c.column is None and facilities.recognise(c.written)
    }
    if not theirs:
        return problems
    kept = [p for p in problems if not (p.severity == "warning" and p.column in theirs)]
    kept.append(
        Problem(
            "note",
            reading.file,
            f"{', '.join(sorted(theirs))}: read as the facilities listed on this sheet",
            f"{'、'.join(sorted(theirs))}：作为本表所列机构读取",
            sheet,
            reading.header_row,
        )
    )
    return kept


def _turn_unread(
    sheets: dict[str, list[list[object]]],
    by_title: dict[str, Sheet],
    how: dict[str, str],
    columns: ColumnMap,
) -> list[str]:
    """Turn the sheets no table claimed that read as a table once transposed (in place)."""
    turned = []
    for title, rows in list(sheets.items()):
        if (
            title in how
            or sheet_key(title) in {sheet_key(n) for n in INSTRUCTION_SHEETS}
            or columns.for_sheet(title).transpose
        ):
            continue
        grid = transposed([[cell_text(c) or None for c in r] for r in rows])
        if grid is None:
            continue
        _, _, got, _ = recognise_sheets({title: grid}, columns)
        if title in got:
            sheets[title] = grid
            by_title[title] = Sheet(title, grid, [], [], getattr(by_title[title], "hidden", False))
            turned.append(title)
    return turned


def _map_for(columns: ColumnMap, sheet: str, table: str) -> SheetMap:
    """Return what the map says about a sheet for one table (a sheet may hold two)."""
    sheet_map = columns.for_sheet(sheet)
    return SheetMap() if sheet_map.table and sheet_map.table != table else sheet_map


def _unused_map_entries(raw: RawBundle, path: Path, columns: ColumnMap, titles: list[str]) -> None:
    """Warn about column-map sections that name no sheet or file of what is read."""
    known = {normalise(t) for t in titles}
    for key in columns.sheets:
        if key not in known:
            raw.problems.append(
                Problem(
                    "warning",
                    str(columns.path.name if columns.path else "column map"),
                    f"the column map names [{key}], which is no sheet or file of {path.name} "
                    f"(sheets: {', '.join(titles)}); that section is not used",
                    f"列映射中的 [{key}] 不是 {path.name} 的工作表或文件，未使用",
                )
            )


def _sheet_problem(
    file: str,
    sheet: str,
    severity: str,
    en: str,
    zh: str,
    row: int | None,
    column: str | None,
    value: str | None,
) -> Problem:
    return Problem(severity, file, en, zh, sheet, row, column, value)  # type: ignore[arg-type]


def _merged_items(sheet: Sheet, first: int, raw: RawBundle) -> None:
    """Warn of a value merged over several items of the county sheet: it is read for the first.

    One number written once for two items (床位数 and 执业（助理）医师数 in one merged cell) is
    the first item's; the others read as not reported, and the planner must see why.
    """
    from tcmcounty.inputs.cells import column_letter

    for top, left, bottom, right in sheet.merged:
        if bottom == top or left == 1:
            continue  # one row, or the item labels themselves
        ref = f"{column_letter(left - 1)}{top}:{column_letter(right - 1)}{bottom}"
        raw.problems.append(
            _sheet_problem(
                raw.meta_file,
                sheet.title,
                "warning",
                f"merged cells {ref} hold one value for {bottom - top + 1} items: read for row "
                f"{top} only, the other items not reported; give each item its own value",
                f"合并单元格 {ref} 为 {bottom - top + 1} 个项目共用一个值：仅计入第 {top} 行，"
                "其余项目按未填报处理；请逐项填写",
                top + first - 1,
                column_letter(left - 1),
                None,
            )
        )


def _uncached_items(rows: list[list[object]], raw: RawBundle) -> None:
    """Report formulas without a saved value on the county sheet, by item label."""
    from tcmcounty.inputs.cells import cell_text, column_letter

    for i, row in enumerate(rows, start=1):
        for j, cell in enumerate(row):
            if isinstance(cell, UncachedFormula):
                label = cell_text(row[0]) if row and j > 0 else ""
                raw.problem(
                    "error",
                    "county",
                    FORMULA_EN.format(formula=str(cell)[:60])
                    + (f" (item {label})" if label else ""),
                    FORMULA_ZH.format(formula=str(cell)[:60])
                    + (f"（项目 {label}）" if label else ""),
                    i,
                    column_letter(j),
                )


def _file_problem(raw: RawBundle, path: Path, en: str, zh: str) -> None:
    """Record an error about the workbook file as a whole (no sheet)."""
    raw.problems.append(Problem("error", path.name, en, zh))


def _unread_sheet(
    raw: RawBundle, path: Path, sheet: str, rows: list[list[object]], columns: ColumnMap
) -> None:
    """Warn about a sheet holding data that no table claims (its data would be dropped)."""
    from tcmcounty.inputs.cells import cell_text

    if sheet_key(sheet) in {sheet_key(n) for n in INSTRUCTION_SHEETS}:
        return
    if columns.for_sheet(sheet).table or sum(1 for r in rows if any(cell_text(c) for c in r)) < 2:
        return
    raw.problems.append(
        Problem(
            "warning",
            path.name,
            "sheet not read: no table of the contract recognised by its name or headers; "
            f'if it holds data, say which table in a column map (["{sheet}"] table = "villages")',
            "未读取该工作表：名称与表头均未识别为任何数据表；如含数据，请在列映射中指定表名",
            sheet,
        )
    )
