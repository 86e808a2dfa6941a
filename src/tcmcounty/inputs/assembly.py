"""Table assembly: what a sheet's name and place say about its rows.

Counties split one table over several sheets: one sheet per township (the township is the sheet
name), the village clinics on a sheet of their own (their type is the sheet's). The readers
stack such sheets into one table (:data:`STACKABLE`), and the values a sheet's name stands for
become columns of its rows (:func:`sheet_fixed`), said so in the reading.
"""

from __future__ import annotations

import re

import pandas as pd

from tcmcounty.errors import Problem
from tcmcounty.inputs.cells import vocabulary_match
from tcmcounty.inputs.matching import sheet_key
from tcmcounty.inputs.names import name_key
from tcmcounty.inputs.raw import ROW_BLOCK, RawBundle
from tcmcounty.schema import Table

#: Tables whose rows may come from several sheets, stacked.
STACKABLE = ("townships", "villages", "facilities")
_TOWNSHIP_SUFFIX = re.compile(r"(镇|乡|街道|街道办事处|办事处|苏木|民族乡|农场|林场)$")


def sheet_facility_type(sheet: str) -> str | None:
    """Return the facility type a sheet's name states (``村卫生室`` → ``village_clinic``), or None.

    Only a name that *is* a type (with the usual 名册/一览表 suffixes) counts; a sheet named
    ``医疗机构`` holds all types.

    Examples
    --------
    >>> sheet_facility_type("村卫生室"), sheet_facility_type("三、乡镇卫生院名册")
    ('village_clinic', 'township_health_centre')
    >>> sheet_facility_type("医疗机构") is None
    True
    """
    for name in dict.fromkeys(
        (sheet, sheet.rsplit("/", 1)[-1])
    ):  # a block: 机构/二、社区卫生服务站
        value, how = vocabulary_match(sheet_key(name), "facility_type")
        if how == "exact" and value not in (None, "other"):
            return value
    return None


#: Name endings that state a primary-care facility's type (longest first): a township's roster
#: often has no type column, its 卫生院 and 卫生室 being named so.
_NAME_TYPES: tuple[tuple[str, str], ...] = (
    ("社区卫生服务中心", "community_health_centre"),
    ("社区卫生服务站", "community_health_station"),
    ("卫生服务站", "community_health_station"),
    ("卫生院", "township_health_centre"),
    ("卫生室", "village_clinic"),
    ("卫生所", "village_clinic"),
)
#: Share of a roster's named rows whose name must state their type for the sheet to be read
#: as facilities without a type column.
NAMED_TYPES_SHARE = 0.9


def type_from_name(name: object) -> str | None:
    """Return the facility type a facility's name states (``西村卫生室`` → ``village_clinic``).

    Only the primary-care endings count (卫生院, 卫生室/卫生所, 社区卫生服务中心/站); any other
    name (人民医院, 诊所) gives None.

    Examples
    --------
    >>> type_from_name("新城镇中心卫生院"), type_from_name(" 州背社区卫生室")
    ('township_health_centre', 'village_clinic')
    >>> type_from_name("县人民医院") is None
    True
    """
    if not isinstance(name, str):
        return None
    text = re.sub(r"\s+", "", name)
    for ending, kind in _NAME_TYPES:
        if text.endswith(ending) and len(text) > len(ending):
            return kind
    return None


def names_state_types(rows: list[list[object]]) -> bool:
    """Say whether a sheet is a facility roster without a type column whose names state the type.

    The header (found as the facilities') has a facility-name column and no type column, and
    :data:`NAMED_TYPES_SHARE` of the named rows (totals aside), two at least, end in a
    primary-care type (:func:`type_from_name`): ``机构名称 | 村统计代码 | 中医阁`` over
    ``新城镇中心卫生院``, ``州背社区卫生室`` …

    Examples
    --------
    >>> names_state_types([["机构名称", "中医阁"], ["甲镇卫生院", "无"], ["乙村卫生室", "有"]])
    True
    >>> names_state_types([["机构名称", "中医阁"], ["县人民医院", "无"], ["乙村卫生室", "有"]])
    False
    """
    from tcmcounty.inputs.cells import cell_text, find_header, total_row
    from tcmcounty.inputs.matching import Matcher
    from tcmcounty.schema import FACILITIES, TOWNSHIPS, VILLAGES

    text = [[cell_text(c) for c in r] for r in rows]
    m = Matcher(FACILITIES)
    at, header, used = find_header(text[:15], m)
    if at < 0:
        return False
    read = [m.recognise(h) if h else None for h in header]
    if "type" in read or "name" not in read:
        return False
    j = read.index("name")
    if any(Matcher(u).recognise(header[j]) == "name" for u in (TOWNSHIPS, VILLAGES)):
        return False  # 名称 alone may name townships or villages
    names = [r[j] for r in text[at + used :] if j < len(r) and r[j] and not total_row(r)]
    typed = sum(type_from_name(n) is not None for n in names)
    return typed >= 2 and typed >= NAMED_TYPES_SHARE * len(names)


def types_from_names(df: pd.DataFrame, file: str, sheet: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Fill the blank types of a roster's facilities from their names, saying so.

    A facility whose name states no type (:func:`type_from_name`) is an error: its type must
    be written.

    Returns
    -------
    DataFrame, list of Problem
        The frame with ``type`` filled; a note of how many were read so, an error per facility
        left without a type.
    """
    df = df.copy()
    if "type" not in df:
        df["type"] = pd.array([None] * len(df), dtype="string")
    blank = df["type"].isna()
    derived = df["name"].map(type_from_name) if "name" in df else pd.Series(None, index=df.index)
    filled = blank & derived.notna()
    df.loc[filled, "type"] = derived[filled]
    problems: list[Problem] = []
    if filled.any():
        problems.append(
            Problem(
                "note",
                file,
                f"no type column: the type of {int(filled.sum())} facilities is read from their "
                "names (…卫生院: township health centre, …卫生室: village clinic, "
                "…社区卫生服务中心/站: community health centre/station)",
                f"无机构类型列：{int(filled.sum())} 个机构的类型按名称读取（…卫生院、…卫生室、"
                "…社区卫生服务中心/站）",
                sheet,
            )
        )
    for _, row in df[blank & ~filled & df["name"].notna()].iterrows():
        problems.append(
            Problem(
                "error",
                file,
                "no type column, and this facility's name does not state its type (卫生院, "
                "卫生室, 社区卫生服务中心/站): add a 机构类型 column",
                "无机构类型列，且该机构名称看不出类型（卫生院、卫生室、社区卫生服务中心/站）：请补充“机构类型”列",
                sheet,
                int(row["_row"]),
                "type",
                str(row["name"]),
            )
        )
    return df, problems


def sheet_township(sheet: str, raw: RawBundle) -> str | None:
    """Return the township a sheet's name is (one sheet per township), or None.

    The name must be a township of the workbook's township table, or end like one (镇, 乡,
    街道 …) when there is no township table. A number put before it to keep the sheets in order
    (``01新城镇``, ``3-水台镇``) is not part of the name.

    Examples
    --------
    >>> from pathlib import Path
    >>> raw = RawBundle(Path("x.xlsx"), {}, {}, {}, {})
    >>> sheet_township("01新城镇", raw), sheet_township("3-水台镇", raw), sheet_township("汇总", raw)
    ('新城镇', '水台镇', None)
    """
    townships = raw.tables.get("townships")
    stem = _SHEET_ORDER.sub("", sheet.strip()) or sheet.strip()
    name = name_key(sheet_key(stem) or stem)
    if townships is not None and len(townships):
        known = {name_key(str(n)) for n in townships["name"].dropna()}
        return stem if name in known else None
    return stem if _TOWNSHIP_SUFFIX.search(name) else None


#: A number before a sheet's name that only keeps the sheets in order: ``01新城镇``, ``3-水台镇``.
_SHEET_ORDER = re.compile(r"^\d{1,3}(?:\s*[-_.、．]\s*|\s*)(?=\D)")


def title_township(rows: list[list[object]], raw: RawBundle) -> str | None:
    """Return the township a sheet's title names (``宾川县金牛镇医疗卫生机构统计表``), or None.

    Only the first rows above the header are looked at, and only a name of the county's
    townships (its township table, else the NBS codes) that is the one named counts.
    """
    towns = raw.tables.get("townships")
    names: list[str] = []
    if towns is not None and len(towns):
        names = [str(n) for n in towns["name"].dropna()]
    else:
        from tcmcounty.errors import CountyNotFoundError
        from tcmcounty.inputs import nbs
        from tcmcounty.inputs.completion import infer_adcode

        adcode = infer_adcode(raw)
        try:
            names = list(nbs.county_units(adcode).townships["name"]) if adcode else []
        except CountyNotFoundError:
            names = []
    for row in rows[:3]:
        cells = [str(c).strip() for c in row if c is not None and str(c).strip()]
        if len(cells) != 1 or len(cells[0]) < 4:
            continue
        hits = {n for n in names if n and name_key(n) in cells[0]}
        if len(hits) == 1:
            return hits.pop()
    return None


def sheet_fixed(
    table: str,
    sheet: str,
    stacked: bool,
    raw: RawBundle,
    rows: list[list[object]] | None = None,
) -> dict[str, str]:
    """Return the columns a sheet's name fixes for its rows (filled where a row leaves them blank).

    Parameters
    ----------
    table : str
        The table the sheet holds.
    sheet : str
        The sheet's name.
    stacked : bool
        Whether the table is stacked from several sheets (a township sheet only counts then).
    raw : RawBundle
        What was read so far (the township table).

    Returns
    -------
    dict
        ``column -> value``, e.g. ``{"type": "village_clinic"}`` or
        ``{"township_name": "文武坝镇"}``.
    """
    fixed: dict[str, str] = {}
    if table == "facilities":
        kind = sheet_facility_type(sheet)
        if kind is not None:
            fixed["type"] = kind
    if stacked and table in ("facilities", "villages"):
        township = sheet_township(sheet, raw) or (title_township(rows, raw) if rows else None)
        if township is not None:
            fixed["township_name"] = township
    return fixed


#: Share of a sheet's rows naming units already read above which the sheet adds columns to
#: them (an attribute sheet: 中医馆建设情况, a population sheet by township name) instead of rows.
MERGE_SHARE = 0.6
#: Below :data:`MERGE_SHARE` and above this, the sheets overlap ambiguously: an error.
OVERLAP_SHARE = 0.2


def combine(
    pieces: list[tuple[str, pd.DataFrame]],
    table: Table,
    file: str,
    kinds: dict[str, str] | None = None,
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Combine the sheets read for one table into one frame.

    A sheet that repeats another is refused (a copy); a sheet whose rows are mostly units
    already read (by code, else by folded name) adds its columns to them (filling blanks;
    a different value is a warning and the first sheet's is kept); any other sheet is stacked.
    Rows of the second, third … sheet are numbered from ``k * ROW_BLOCK`` so that messages name
    their sheet (:meth:`RawBundle.locate`).

    Parameters
    ----------
    pieces : list of (sheet, DataFrame)
        The sheets' frames in workbook order.
    table : Table
        The contract table.
    file : str
        The file's name, for messages.
    kinds : dict, optional
        ``sheet -> "attribute" | "list"`` for sheets that only add columns to facilities
        already read (:func:`attribute_sheet`): they are merged, never stacked.

    Returns
    -------
    DataFrame or None, list of Problem
    """
    kinds = kinds or {}
    problems: list[Problem] = []
    acc: pd.DataFrame | None = None
    seen: list[tuple[str, pd.DataFrame]] = []
    extras = [(k, p, d) for k, (p, d) in enumerate(pieces) if kinds.get(p) in ("attribute", "list")]
    pieces = [(p, d) for p, d in pieces if kinds.get(p) not in ("attribute", "list")]
    for k, (part, df) in enumerate(pieces):
        df = df.copy()
        df["_row"] += k * ROW_BLOCK
        if acc is None:
            acc, seen = df, [(part, df)]
            continue
        copy_of = next((p for p, other in seen if _same_rows(df, other)), None)
        if copy_of is not None:
            problems.append(
                Problem(
                    "error",
                    file,
                    f"sheet '{part}' repeats the rows of sheet '{copy_of}' ({table.name}): a "
                    "copy? Delete one, or hide the old one",
                    f"工作表 '{part}' 与 '{copy_of}' 的内容相同（{table.zh}）：是否为副本？请删除或隐藏其中一个",
                    part,
                )
            )
            continue
        index = _unique_keys(acc)
        keys = _keys(df)
        matched = [i for i, key in enumerate(keys) if key in index]
        share = len(matched) / len(df) if len(df) else 0.0
        if share >= MERGE_SHARE:
            acc, found = _merge(acc, df, index, keys, part, table, file)
            problems.extend(found)
        elif share > OVERLAP_SHARE:
            problems.append(
                Problem(
                    "error",
                    file,
                    f"sheet '{part}' names {len(matched)} of its {len(df)} units on an earlier sheet "
                    f"of the {table.name} table: is it more rows, or more columns of the same "
                    "units? Say which in a column map, or make the names agree",
                    f"工作表 '{part}' 的 {len(df)} 行中有 {len(matched)} 行与前面工作表同名："
                    "是新增的行，还是同一批单位的补充列？请在列映射中说明，或统一名称",
                    part,
                )
            )
        else:
            acc = pd.concat([acc, df], ignore_index=True)
        seen.append((part, df))
    for k, part, df in extras:
        if acc is None:
            continue
        df = df.copy()
        df["_row"] += (len(pieces) + k) * ROW_BLOCK
        acc, found = _merge(
            acc, df, _unique_keys(acc), _keys(df), part, table, file, new_rows=False
        )
        problems.extend(found)
        if kinds[part] == "list":
            acc, found = _not_listed(acc, part, file)
            problems.extend(found)
    return acc, problems


def _not_listed(acc: pd.DataFrame, part: str, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Read the flag of the facilities a list sheet does not name as "no" (where blank)."""
    col = _list_column(part)
    if col is None or col not in acc:
        return acc, []
    blank = acc[col].isna()
    if not blank.any():
        return acc, []
    acc = acc.copy()
    acc[col] = acc[col].fillna(False)
    return acc, [
        Problem(
            "note",
            file,
            f"'{part}' lists the facilities with {col}: the {int(blank.sum())} others are read as "
            "without",
            f"'{part}' 为名单：其余 {int(blank.sum())} 个机构按“无”读取",
            part,
        )
    ]


def _same_rows(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if len(a) != len(b):
        return False
    return (
        a.drop(columns="_row")
        .reset_index(drop=True)
        .equals(b.drop(columns="_row").reset_index(drop=True))
    )


def _keys(df: pd.DataFrame) -> list[str]:
    """Return each unit's key: its code where given, else its folded name."""
    codes = df["code"] if "code" in df else pd.Series([None] * len(df))
    names = df["name"] if "name" in df else pd.Series([None] * len(df))
    out = []
    for code, name in zip(codes, names, strict=True):
        if isinstance(code, str) and code.strip():
            out.append("code:" + code.strip())
        elif isinstance(name, str) and name.strip():
            out.append("name:" + name_key(name))
        else:
            out.append("")
    return out


def _unique_keys(df: pd.DataFrame) -> dict[str, int]:
    """Key -> row position, for keys (code and name both) that name one row only."""
    counts: dict[str, list[int]] = {}
    codes = df["code"] if "code" in df else pd.Series([None] * len(df))
    names = df["name"] if "name" in df else pd.Series([None] * len(df))
    for i, (code, name) in enumerate(zip(codes, names, strict=True)):
        if isinstance(code, str) and code.strip():
            counts.setdefault("code:" + code.strip(), []).append(i)
        if isinstance(name, str) and name.strip():
            counts.setdefault("name:" + name_key(name), []).append(i)
    return {k: v[0] for k, v in counts.items() if len(v) == 1}


def _merge(
    acc: pd.DataFrame,
    df: pd.DataFrame,
    index: dict[str, int],
    keys: list[str],
    part: str,
    table: Table,
    file: str,
    new_rows: bool = True,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Add the columns of an attribute sheet to the units already read."""
    problems: list[Problem] = []
    acc = acc.copy()
    columns = [c.name for c in table.columns if c.name in df and df[c.name].notna().any()]
    added: set[str] = set()
    extra = []
    for i, key in enumerate(keys):
        at = index.get(key)
        if at is None and key.startswith("code:") and "name" in df:
            at = index.get("name:" + name_key(str(df["name"].iloc[i])))
        if at is None:
            extra.append(i)
            continue
        for col in columns:
            value = df[col].iloc[i]
            if _blank(value):
                continue
            current = acc[col].iloc[at]
            if _blank(current):
                acc.loc[acc.index[at], col] = value
                added.add(col)
            elif current != value and col not in ("name", "source"):
                problems.append(
                    Problem(
                        "warning",
                        file,
                        f"{col}: '{part}' says {value}, an earlier sheet says {current}; the "
                        "earlier is kept",
                        f"{col}：'{part}' 为 {value}，前面工作表为 {current}；保留前者",
                        part,
                        int(df["_row"].iloc[i]) % ROW_BLOCK,
                        col,
                        str(value),
                    )
                )
    problems.append(
        Problem(
            "note",
            file,
            f"sheet '{part}' gives more columns of units already read ({', '.join(sorted(added)) or 'none new'}): "
            f"merged by {'code' if any(k.startswith('code:') for k in keys) else 'name'}",
            f"工作表 '{part}' 为已读单位的补充列（{'、'.join(sorted(added)) or '无新列'}）：已按代码或名称合并",
            part,
        )
    )
    if extra and not new_rows:
        rows = df.iloc[extra]
        problems.append(
            Problem(
                "warning",
                file,
                f"sheet '{part}': {len(extra)} names are no facility of the roster and are not read "
                f"({', '.join(str(n) for n in rows['name'].head(5))})",
                f"工作表 '{part}'：{len(extra)} 个名称不在机构名册中，未读取",
                part,
            )
        )
    elif extra:
        rows = df.iloc[extra]
        acc = pd.concat([acc, rows], ignore_index=True)
        problems.append(
            Problem(
                "warning",
                file,
                f"sheet '{part}': {len(extra)} rows name no unit of the earlier sheets and are "
                f"added as new rows ({', '.join(str(n) for n in rows['name'].head(5))})",
                f"工作表 '{part}'：{len(extra)} 行与前面工作表的单位均不同名，按新增行读取",
                part,
            )
        )
    return acc, problems


def _blank(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, list) and not value


def split_tables(title: str, rows: list[list[object]]) -> list[tuple[str, int, list[list[object]]]]:
    """Split a sheet holding several tables, one under another, into one block per table.

    A new table starts after a blank row, at a title row (one cell of text) or directly at a
    header-like row (at least three cells of text, no number) that is followed by data. The
    first block keeps the sheet's name; the others are named by their title
    (``机构/二、社区卫生服务站``) or place (``机构（表2，第33行起）``) so that a message says where
    they are, and keep their row numbers.

    Returns
    -------
    list of (name, first row number, rows)

    Examples
    --------
    >>> rows = [["机构名称", "床位"], ["甲院", 5], [], ["二、村卫生室"], ["名称", "类别", "村"],
    ...         ["乙室", "村卫生室", "东村"]]
    >>> [(n, r) for n, r, _ in split_tables("机构", rows)]
    [('机构', 1), ('机构/二、村卫生室', 4)]
    """
    starts = [0]
    blank_before = False
    seen_data = False
    for i, row in enumerate(rows):
        cells = [c for c in row if c is not None and str(c).strip()]
        if not cells:
            blank_before = seen_data
            continue
        if blank_before and (_is_title(cells) or _is_header(cells, rows[i + 1 : i + 2])):
            starts.append(i)
            seen_data = False
        elif len(cells) >= 2:
            seen_data = True
        blank_before = False
    if len(starts) == 1:
        return [(title, 1, rows)]
    out = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(rows)
        head = next((c for c in rows[start] if c is not None and str(c).strip()), "")
        label = (
            str(head).strip()
            if _is_title([head])
            and len([c for c in rows[start] if c is not None and str(c).strip()]) == 1
            else ""
        )
        name = (
            title
            if k == 0
            else (f"{title}/{label}" if label else f"{title}（表{k + 1}，第{start + 1}行起）")
        )
        out.append((name, start + 1, rows[start:end]))
    return out


def _is_title(cells: list[object]) -> bool:
    return (
        len(cells) == 1
        and isinstance(cells[0], str)
        and not cells[0].lstrip().startswith(("注", "备注", "说明", "填表", "制表"))
    )


def _is_header(cells: list[object], below: list[list[object]]) -> bool:
    if len(cells) < 3 or not all(isinstance(c, str) for c in cells):
        return False
    nxt = [c for c in (below[0] if below else []) if c is not None and str(c).strip()]
    return any(isinstance(c, (int, float)) for c in nxt)


#: Units that a sheet may list with their facility on the same row: unit table -> (the word
#: that names the facility in its header, the facility's type).
UNIT_FACILITY = {
    "villages": ("卫生室", "village_clinic"),
    "townships": ("卫生院", "township_health_centre"),
}


def unit_and_facility(rows: list[list[object]]) -> str | None:
    """Return the unit table of a sheet listing units and their facility on one row, or None.

    ``村代码 | 村名称 | 常住人口 | 卫生室名称 | 中医阁`` lists villages and their clinics; ``乡镇名称 |
    乡镇代码 | 常住人口 | 卫生院名称 | 床位`` townships and their centres. Such a sheet holds two
    tables: the units (every row) and the facilities (the rows that name one).

    Examples
    --------
    >>> unit_and_facility([["村代码", "村名称", "常住人口", "卫生室名称", "中医阁"]])
    'villages'
    >>> unit_and_facility([["乡镇名称", "乡镇代码", "常住人口", "卫生院名称", "床位"]])
    'townships'
    >>> unit_and_facility([["机构名称", "村名称", "中医阁"]]) is None  # a roster naming its villages
    True

    Without a population the units must be a list of their own: some row names a unit and no
    facility. A sheet where every row names a facility and its unit by name and code only
    (``乡镇 | 乡镇代码 | 卫生院名称 | 类别``) is a roster naming where each facility is: the
    units without one (a development zone without its 卫生院) are not on it.

    >>> unit_and_facility([["乡镇", "乡镇代码", "卫生院名称", "床位"],
    ...                    ["甲镇", "341323100", "甲镇卫生院", 20]]) is None
    True
    >>> unit_and_facility([["村代码", "村名称", "卫生室名称"], ["341323100201", "东村", "东村卫生室"],
    ...                    ["341323100202", "西村", None]])
    'villages'
    """
    from tcmcounty.inputs.cells import cell_text, find_header
    from tcmcounty.inputs.matching import Matcher
    from tcmcounty.schema import FACILITIES, TABLES

    text = [[cell_text(c) for c in r] for r in rows[:15]]
    facilities = Matcher(FACILITIES)
    at, header, used = find_header(text, facilities)
    if at < 0:
        return None
    for unit, (word, _type) in UNIT_FACILITY.items():
        units = Matcher(TABLES[unit])
        read = {j: units.recognise(h) for j, h in enumerate(header) if h}
        unit_name = [j for j, c in read.items() if c == "name"]
        about = [j for j, c in read.items() if c in ("code", "population")]
        facility_name = [
            j for j, h in enumerate(header) if h and word in h and facilities.recognise(h) == "name"
        ]
        if unit_name and about and facility_name and set(unit_name).isdisjoint(facility_name):
            if "population" in read.values() or _unit_without_facility(
                rows[at + used :], unit_name[0], facility_name[0]
            ):
                return unit
            return None
    return None


def _unit_without_facility(rows: list[list[object]], unit: int, facility: int) -> bool:
    """Say whether some row names a unit and no facility (a list of units, not a roster)."""
    from tcmcounty.inputs.cells import cell_text

    def text(row: list[object], j: int) -> str:
        return cell_text(row[j]) if j < len(row) else ""

    return any(text(r, unit) and not text(r, facility) for r in rows)


def facility_counts(
    rows: list[list[object]], merged: list[tuple[int, int, int, int]], first_row_number: int = 1
) -> str | None:
    """Return the unit (``township``, ``village``) of a sheet counting facilities per unit, or None.

    Such a sheet (``乡镇名称 | 村卫生室 个数 | 其中：中医阁``) names no facility and gives, under
    a facility flag (中医阁, 中医馆, 能提供中医药服务), numbers beyond 0 and 1: counts, not
    flags. It cannot stand for the roster.

    Examples
    --------
    >>> facility_counts([["乡镇名称", "村卫生室个数", "其中：中医阁"], ["甲镇", 45, 2]], [])
    'township'
    >>> facility_counts([["机构名称", "机构类型", "中医阁"], ["甲村卫生室", "村卫生室", 1]], []) is None
    True
    """
    from tcmcounty.inputs.cells import cell_text, find_header, total_row
    from tcmcounty.inputs.matching import Matcher
    from tcmcounty.schema import FACILITIES

    text = [[cell_text(c) for c in r] for r in rows]
    m = Matcher(FACILITIES)
    at, header, used = find_header(text[:15], m, 15, merged, first_row_number)
    if at < 0:
        return None
    read = [m.recognise(h) if h else None for h in header]
    if "name" in read:
        return None
    flags = [j for j, c in enumerate(read) if c and FACILITIES.column(c).kind == "bool"]
    below = [r for r in text[at + used :] if not total_row(r)]
    if not any(_count_above_one(r[j]) for j in flags for r in below if j < len(r)):
        return None
    if {"village_name", "village_code"} & set(read):
        return "village"
    return "township"


def _count_above_one(text: str) -> bool:
    try:
        return float(text) > 1
    except ValueError:
        return False


def transposed(rows: list[list[object]], force: bool = False) -> list[list[object]] | None:
    """Return a sheet whose items are rows and units columns turned the usual way, or None.

    ``项目 | 围场镇 | 四合永镇 …`` over ``乡镇代码 | 130828100 | …`` becomes one row per township.
    The first cell (项目, 指标 or empty) becomes the header of the units' names: 乡镇名称 when the
    names end like townships, 村名称 when like villages. ``force`` (a column map's
    ``transpose = true``) turns any sheet.

    Examples
    --------
    >>> transposed([["项目", "甲镇", "乙乡"], ["常住人口", 100, 200]])
    [['乡镇名称', '常住人口'], ['甲镇', 100], ['乙乡', 200]]
    """
    if len(rows) < 2 or not rows[0]:
        return None
    corner = str(rows[0][0] or "").strip()
    names = [str(c).strip() for c in rows[0][1:] if c is not None and str(c).strip()]
    if not force and (corner not in ("", "项目", "指标", "名称", "单位") or len(names) < 2):
        return None
    width = max(len(r) for r in rows)
    grid = [list(r) + [None] * (width - len(r)) for r in rows]
    out = [list(col) for col in zip(*grid, strict=True)]
    if sum(bool(_TOWNSHIP_SUFFIX.search(n)) for n in names) >= 0.8 * len(names):
        out[0][0] = "乡镇名称"
    elif sum(n.endswith(("村", "社区", "村委会", "居委会")) for n in names) >= 0.8 * len(names):
        out[0][0] = "村名称"
    else:
        out[0][0] = "名称"
    return [r for r in out if any(c is not None and str(c).strip() for c in r)]


def _list_column(sheet: str) -> str | None:
    """Return the flag a sheet's name lists (``中医阁名单`` → has_tcm_pavilion), or None."""
    from tcmcounty.inputs.matching import Matcher
    from tcmcounty.schema import FACILITIES

    for name in dict.fromkeys((sheet, sheet.rsplit("/", 1)[-1])):
        col = Matcher(FACILITIES).recognise(sheet_key(name))
        if col is not None and FACILITIES.column(col).kind == "bool":
            return col
    return None


def attribute_sheet(rows: list[list[object]], sheet: str) -> str | None:
    """Say whether a sheet gives more of the facilities already read: ``attribute``, ``list``.

    ``attribute``: the sheet names facilities (a name column) and some of their columns but not
    their type (``机构名称 | 中医馆建设情况 | 建成年份``); ``list``: the sheet's name is a flag and
    it lists the facilities that have it (``中医阁名单``). Both are merged into the facilities by
    name (:func:`combine`); a list's flag is "no" for facilities it does not name.

    Examples
    --------
    >>> attribute_sheet([["序号", "机构名称", "中医馆建设情况", "建成年份"]], "中医馆")
    'attribute'
    >>> attribute_sheet([["序号", "所在乡镇", "机构名称", "验收时间"]], "中医阁名单")
    'list'
    >>> attribute_sheet([["序号", "所在乡镇", "人口"]], "人口") is None
    True
    """
    from tcmcounty.inputs.cells import cell_text, find_header
    from tcmcounty.inputs.matching import Matcher
    from tcmcounty.schema import FACILITIES

    text = [[cell_text(c) for c in r] for r in rows[:15]]
    m = Matcher(FACILITIES)
    at, header, _ = find_header(text, m)
    if at < 0:
        at, header = next(
            ((i, r) for i, r in enumerate(text) if any(m.recognise(c) == "name" for c in r if c)),
            (-1, []),
        )
    found = {m.recognise(c) for c in header if c} - {None}
    if "name" not in found or "type" in found:
        return None
    from tcmcounty.schema import TOWNSHIPS, VILLAGES

    units = (Matcher(TOWNSHIPS), Matcher(VILLAGES))
    names = [c for c in header if c and m.recognise(c) == "name"]
    if any(u.recognise(c) == "name" for c in names for u in units):
        return None  # 名称 alone may name townships or villages: not a facility's name
    flag = _list_column(sheet)
    if flag is not None and flag not in found:
        return "list"
    about = found - {"name", "township_name", "township_code", "village_name", "village_code"}
    return "attribute" if about else None


def listed(df: pd.DataFrame, sheet: str) -> pd.DataFrame:
    """Mark every facility of a list sheet as having the flag the sheet lists."""
    col = _list_column(sheet)
    if col is not None:
        df = df.copy()
        df[col] = pd.array([True] * len(df), dtype="boolean")
    return df


_NUMBER = re.compile(r"^[\d.,%+-]+$")


def side_by_side(
    name: str, first: int, rows: list[list[object]], merged: list[tuple[int, int, int, int]]
) -> list[tuple[str, int, list[list[object]], list[tuple[int, int, int, int]]]]:
    """Split two tables set side by side under labels (``乡镇 | … | 行政村（社区） | …``).

    The sign: a row of at least two labels above a header row that repeats its headers
    (``代码 | 名称 | 常住人口 | 代码 | 名称 | 常住人口``), each label over the first column of its
    table. Each table becomes a block named ``sheet/label`` (its label names its table), with its
    columns, its rows from the header down (row numbers kept) and its merged ranges.

    Examples
    --------
    >>> rows = [["乡镇", None, "行政村（社区）", None], ["代码", "名称", "代码", "名称"],
    ...         ["441621100", "紫城镇", "441621100001", "九田社区居民委员会"]]
    >>> [(n, top, b[0]) for n, top, b, _ in side_by_side("乡镇村", 2, rows, [])]
    [('乡镇村/乡镇', 3, ['代码', '名称']), ('乡镇村/行政村（社区）', 3, ['代码', '名称'])]
    """
    for i in range(min(6, len(rows) - 1)):
        cells = [c for c in rows[i] if c is not None and str(c).strip()]
        labels = [(j, c.strip()) for j, c in enumerate(rows[i]) if isinstance(c, str) and c.strip()]
        header = [c.strip() if isinstance(c, str) else "" for c in rows[i + 1]]
        filled = [h for h in header if h]
        numbers = sum(1 for c in rows[i + 1] if isinstance(c, (int, float)))
        if (
            len(labels) != len(cells)  # a label row holds text only
            or not 2 <= len(labels) <= len(filled) // 2
            or numbers
            or len(set(filled)) == len(filled)
            or any(_NUMBER.match(h) for h in filled)
            or any(_NUMBER.match(t) for _, t in labels)
        ):
            continue
        if not all(j < len(header) and header[j] for j, _ in labels):
            continue
        out = []
        for k, (start, label) in enumerate(labels):
            end = labels[k + 1][0] if k + 1 < len(labels) else max(len(r) for r in rows)
            block = [list(r[start:end]) for r in rows[i + 1 :]]
            ranges = [
                (top, left - start, bottom, right - start)
                for top, left, bottom, right in merged
                if start < left <= end and right <= end
            ]
            out.append((f"{name}/{label}", first + i + 1, block, ranges))
        return out
    return [(name, first, rows, merged)]
