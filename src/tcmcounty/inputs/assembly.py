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
from tcmcounty.inputs.matching import name_key, sheet_key
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
    value, how = vocabulary_match(sheet_key(sheet), "facility_type")
    if how != "exact" or value in (None, "other"):
        return None
    return value


def sheet_township(sheet: str, raw: RawBundle) -> str | None:
    """Return the township a sheet's name is (one sheet per township), or None.

    The name must be a township of the workbook's township table, or end like one (镇, 乡,
    街道 …) when there is no township table.
    """
    townships = raw.tables.get("townships")
    name = name_key(sheet_key(sheet) or sheet)
    if townships is not None and len(townships):
        known = {name_key(str(n)) for n in townships["name"].dropna()}
        return sheet.strip() if name in known else None
    return sheet.strip() if _TOWNSHIP_SUFFIX.search(name) else None


def sheet_fixed(table: str, sheet: str, stacked: bool, raw: RawBundle) -> dict[str, str]:
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
        township = sheet_township(sheet, raw)
        if township is not None:
            fixed["township_name"] = township
    return fixed


#: Share of a sheet's rows naming units already read above which the sheet adds columns to
#: them (an attribute sheet: 中医馆建设情况, a population sheet by township name) instead of rows.
MERGE_SHARE = 0.6
#: Below :data:`MERGE_SHARE` and above this, the sheets overlap ambiguously: an error.
OVERLAP_SHARE = 0.2


def combine(
    pieces: list[tuple[str, pd.DataFrame]], table: Table, file: str
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

    Returns
    -------
    DataFrame or None, list of Problem
    """
    problems: list[Problem] = []
    acc: pd.DataFrame | None = None
    seen: list[tuple[str, pd.DataFrame]] = []
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
    return acc, problems


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
    if extra:
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
