"""The county-basics sheet (县基本情况): key–value rows or one wide row of items.

Key–value form: a header row (``项目 | 数值 | 单位 | 年份 | 来源 | 状态 | 估算值 | 估算方法 | 说明``
in any order and spelling) and one row per item. Wide form: one row of item labels and the row
of values below it. Without a header row, rows are read by position (item, value, year, source,
status, estimate, method, note). Item labels go through the same matcher as headers, so
``常住人口（人）``, ``年末常住人口（万人）``, ``县（市、区）名称`` and ``行政区划代码`` are read.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import NamedTuple

from tcmcounty.county import RESOURCE_KEYS
from tcmcounty.inputs.cells import (
    cell_text,
    is_missing,
    parse_number,
    parse_quantity,
    spread_labels,
    vocabulary_value,
    with_parent_unit,
)
from tcmcounty.inputs.columnmap import SheetMap, SheetReading
from tcmcounty.inputs.matching import (
    VALUE_UNITS,
    ColumnMatch,
    Matcher,
    key,
    normalise,
    parse_header,
    unit_misfit,
)
from tcmcounty.inputs.raw import RawBundle
from tcmcounty.schema import Column, Table

#: Rows of the 县基本情况 sheet: (key in county.toml, Chinese label).
COUNTY_FIELDS: tuple[tuple[str, str], ...] = (
    ("adcode", "县代码"),
    ("name_zh", "县名称"),
    ("name_en", "英文名称"),
    ("province", "省份"),
    ("city", "地市"),
    ("reference_year", "基准年份"),
    ("population.resident", "常住人口"),
    ("population.registered", "户籍人口"),
    ("resources.beds", "床位数"),
    ("resources.physicians", "执业（助理）医师数"),
    ("resources.nurses", "注册护士数"),
    ("resources.public_health_staff", "公共卫生人员数"),
    ("resources.gps", "全科医生数"),
    ("resources.tcm_gps", "合格的中医类别全科医生数"),
    ("resources.tcm_staff", "中医药人员数"),
    ("resources.health_staff", "卫生技术人员数"),
    ("resources.tcm_physicians", "中医类别执业（助理）医师数"),
    ("resources.elderly_65", "65岁及以上常住居民数"),
    ("resources.elderly_tcm_managed", "接受中医药健康管理服务的65岁及以上居民数"),
    ("resources.children_0_36", "应管理的0～36个月儿童数"),
    ("resources.children_tcm_managed", "接受中医药健康管理服务的0～36个月儿童数"),
    ("units.township_health_centre", "乡镇卫生院数"),
    ("units.community_health_centre", "社区卫生服务中心数"),
    ("units.village_clinic", "村卫生室数"),
    ("units.community_health_station", "社区卫生服务站数"),
    ("tcm_hospital.grade", "县中医医院等级"),
    ("tcm_hospital.departments", "县中医医院科室"),
    ("survey.respondents", "满意度调查人数"),
    ("survey.satisfied", "满意人数"),
    ("survey.awareness_respondents", "知晓率调查人数"),
    ("survey.aware", "知晓人数"),
    ("coordinates.townships", "乡镇坐标系"),
    ("coordinates.villages", "村社区坐标系"),
    ("coordinates.facilities", "医疗机构坐标系"),
)

#: Items read from a county's own sheet but not written by the template: (field, label).
EXTRA_FIELDS: tuple[tuple[str, str], ...] = (
    ("survey.satisfaction_rate", "满意率"),
    ("survey.awareness_rate", "知晓率"),
    ("health.elderly_tcm_rate", "老年人中医药健康管理率"),
    ("health.children_tcm_rate", "儿童中医药健康管理率"),
)

#: Other labels of the items, as county rosters and statistical yearbooks write them.
ITEM_ALIASES: dict[str, tuple[str, ...]] = {
    "adcode": (
        "行政区划代码",
        "区划代码",
        "县（市、区）代码",
        "统计用区划代码",
        "县区代码",
        "adcode",
    ),
    "name_zh": (
        "县（市、区）名称",
        "县（市、区）",
        "县名",
        "县区名称",
        "地区名称",
        "name_zh",
        "county",
        "county name",
    ),
    "name_en": ("英文名", "name_en"),
    "province": ("省", "所属省份", "省（区、市）", "省（自治区、直辖市）", "province"),
    "city": ("市", "地级市", "所属地市", "市（州）", "所属市（州）", "city"),
    "reference_year": ("统计年份", "数据年份", "统计年度", "报告年份", "reference_year"),
    "population.resident": ("年末常住人口", "常住人口数", "常住总人口", "resident population"),
    "population.registered": ("户籍人口数", "年末户籍人口", "户籍总人口", "registered population"),
    "resources.beds": (
        "医疗卫生机构床位数",
        "医疗机构床位数",
        "医疗卫生机构实有床位数",
        "实有床位数",
        "床位总数",
        "beds",
    ),
    "resources.physicians": ("执业（助理）医师", "执业(助理)医师数", "physicians", "doctors"),
    "resources.nurses": ("注册护士", "护士数", "nurses"),
    "resources.public_health_staff": (
        "公共卫生人员",
        "专业公共卫生机构人员数",
        "public_health_staff",
    ),
    "resources.gps": ("全科医生", "全科医师数", "gps", "gp"),
    "resources.tcm_gps": (
        "中医类别全科医生数",
        "合格中医类别全科医生数",
        "中医全科医生数",
        "中医类全科医生",
        "tcm_gps",
        "tcm_gp",
    ),
    "resources.tcm_staff": ("中医药人员", "中医药人员总数", "tcm_staff"),
    "resources.health_staff": ("卫生技术人员", "卫生技术人员总数", "health_staff"),
    "resources.tcm_physicians": (
        "中医类别执业（助理）医师",
        "中医执业（助理）医师数",
        "中医类别医师数",
        "tcm_physicians",
    ),
    "resources.elderly_65": (
        "65岁及以上老年人数",
        "65岁及以上老年人口数",
        "65岁以上老年人数",
        "65岁以上老年人口",
        "65岁及以上人口",
        "辖区内65岁及以上常住居民数",
        "elderly_65",
    ),
    "resources.elderly_tcm_managed": (
        "老年人中医药健康管理人数",
        "65岁及以上老年人中医药健康管理人数",
        "65岁以上老年人中医药健康管理人数",
        "年内接受中医药健康管理服务的65岁及以上居民数",
        "老年人中医体质辨识人数",
        "elderly_tcm_managed",
    ),
    "resources.children_0_36": (
        "0～36个月儿童数",
        "0-36个月儿童数",
        "辖区内应管理的0～36个月儿童数",
        "年度辖区内应管理的0～36个月儿童数",
        "应管理0-36个月儿童数",
        "children_0_36",
    ),
    "resources.children_tcm_managed": (
        "儿童中医药健康管理人数",
        "0～36个月儿童中医药健康管理人数",
        "0-36个月儿童中医药健康管理人数",
        "按照月龄接受中医药健康管理服务的0～36个月儿童数",
        "0～36个月儿童中医调养人数",
        "children_tcm_managed",
    ),
    # declared numbers of units (村卫生室（个）, 村卫生室数量, 村卫生室 个数): the roster is
    # checked against them; a label's 数/数量/总数 and a unit (个/所/家) are dropped by the matcher
    "units.township_health_centre": (
        "乡镇卫生院个数",
        "乡镇卫生院",
        "镇卫生院",
        "镇卫生院个数",
        "乡卫生院",
        "卫生院",
        "卫生院个数",
        "township_health_centres",
    ),
    "units.community_health_centre": ("社区卫生服务中心个数", "community_health_centres"),
    "units.village_clinic": ("村卫生室个数", "村卫生室", "卫生室", "卫生室个数", "village_clinics"),
    "units.community_health_station": (
        "社区卫生服务站个数",
        "社区服务站",
        "社区卫生服务站",
        "community_health_stations",
    ),
    "tcm_hospital.grade": ("县中医院等级", "中医医院等级", "县级中医医院等级"),
    "tcm_hospital.departments": ("县中医院科室", "中医医院科室", "县中医医院临床科室"),
    "survey.respondents": ("满意度调查样本数", "调查人数", "调查样本量"),
    "survey.satisfied": ("满意人数", "满意样本数"),
    "survey.awareness_respondents": ("知晓率调查样本数", "知晓率调查样本量", "知晓调查人数"),
    "survey.aware": ("知晓样本数", "知晓中医药服务人数"),
    "survey.satisfaction_rate": (
        "群众满意率",
        "群众对中医药服务满意率",
        "满意度",
        "中医药服务满意率",
    ),
    "health.elderly_tcm_rate": (
        "65岁及以上老年人中医药健康管理率",
        "65岁以上老年人中医药健康管理率",
        "老年人中医药健康管理服务率",
    ),
    "health.children_tcm_rate": (
        "0～36个月儿童中医药健康管理率",
        "0-36个月儿童中医药健康管理率",
        "0～36个月儿童中医药健康管理服务率",
        "0-36个月儿童中医药健康管理服务率",
        "儿童中医药健康管理服务率",
    ),
    "survey.awareness_rate": ("群众知晓率", "群众中医药服务知晓率", "中医药服务知晓率", "知晓度"),
    "coordinates.townships": ("乡镇坐标系统",),
    "coordinates.villages": ("村坐标系", "村（社区）坐标系"),
    "coordinates.facilities": ("机构坐标系",),
}

#: Items given as parts that are summed (执业医师 + 执业助理医师 → 执业（助理）医师).
ITEM_PARTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "resources.physicians": (("执业医师", "执业医师数"), ("执业助理医师", "执业助理医师数")),
    "resources.tcm_physicians": (
        ("中医类别执业医师", "中医执业医师"),
        ("中医类别执业助理医师", "中医执业助理医师"),
    ),
}

#: Columns of the key–value form (the template writes the first spelling).
COUNTY_COLUMNS = ("项目", "数值", "年份", "来源", "状态", "估算值", "估算方法", "说明")
BASICS = Table(
    "county",
    "county.toml",
    "县基本情况",
    "县基本情况",
    (
        Column("item", "项目", aliases=("指标", "指标名称", "项目名称", "内容", "item")),
        Column(
            "value",
            "数值",
            aliases=("数据", "值", "填报值", "填报数", "指标值", "实际值", "现状值", "value"),
        ),
        Column("unit", "单位", aliases=("计量单位", "unit")),
        Column("year", "年份", aliases=("统计年度", "数据年份", "年度", "year")),
        Column("source", "来源", aliases=("数据来源", "来源编号", "source")),
        Column("status", "状态", aliases=("数据状态", "status")),
        Column("estimate", "估算值", aliases=("估计值", "estimate")),
        Column("method", "估算方法", aliases=("估计方法", "method")),
        Column("note", "说明", aliases=("备注", "note")),
    ),
)
_FIGURE_PREFIXES = ("population.", "resources.")
#: The Chinese label of each item, which says what it counts (人, 张 …).
_FIELD_LABELS = dict(COUNTY_FIELDS + EXTRA_FIELDS)
#: Counts beyond these are impossible for one county (after the header's unit is applied).
CEILINGS = {"population": 3.0e7, "resources": 1.0e6, "survey": 1.0e7}


class ItemMatcher:
    """Match county-item labels (``年末常住人口（万人）``) to county fields (``population.resident``).

    Examples
    --------
    >>> m = ItemMatcher()
    >>> m.lookup("年末常住人口（万人）"), m.lookup("县（市、区）名称"), m.lookup("执业医师")
    ('population.resident', 'name_zh', None)
    >>> m.part("执业助理医师数")
    ('resources.physicians', 1)
    """

    def __init__(self, extra: dict[str, str] | None = None) -> None:
        self._literal: dict[str, str] = {normalise(k): v for k, v in (extra or {}).items()}
        self._keys: dict[str, set[str]] = {}
        for field_key, zh in (*COUNTY_FIELDS, *EXTRA_FIELDS):
            for label in (zh, field_key, *ITEM_ALIASES.get(field_key, ())):
                self._keys.setdefault(key(label), set()).add(field_key)
        self._parts: dict[str, tuple[str, int]] = {}
        for field_key, parts in ITEM_PARTS.items():
            for i, labels in enumerate(parts):
                for label in labels:
                    self._parts[key(label)] = (field_key, i)
        self.valid = {k for k, _ in (*COUNTY_FIELDS, *EXTRA_FIELDS)}
        self._units = {k for k in self.valid if k.startswith("units.")}

    def candidates(self, label: str) -> set[str]:
        """Fields a label may mean (by its words, or by pinyin initials: ``czrk`` = 常住人口)."""
        n = normalise(label)
        if n in self._literal:
            return {self._literal[n]}
        found = set(self._keys.get(key(label), set()))
        if not found and _initials_like(n):
            found = {f for f in self._by_initials().get(n, ()) if not f.startswith("part:")}
        return found

    def lookup(self, label: str) -> str | None:
        """Return the one field a label means, else ``None``."""
        found = self.candidates(label)
        return next(iter(found)) if len(found) == 1 else None

    def part(self, label: str) -> tuple[str, int] | None:
        """``(field, part index)`` when the label is one part of a summed item."""
        got = self._parts.get(key(label))
        n = normalise(label)
        if got is None and _initials_like(n) and not self._keys.get(key(label)):
            parts = [f for f in self._by_initials().get(n, ()) if f.startswith("part:")]
            if len(parts) == 1:
                field_key, i = parts[0][5:].rsplit(":", 1)
                got = (field_key, int(i))
        return got

    def _by_initials(self) -> dict[str, set[str]]:
        """Pinyin initials of every label -> fields (``part:field:i`` for parts of a sum)."""
        if not hasattr(self, "_initials"):
            from pypinyin import Style, lazy_pinyin

            out: dict[str, set[str]] = {}

            def add(text: str, target: str) -> None:
                if text.isascii():
                    return
                letters = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).lower()
                letters = "".join(ch for ch in letters if "a" <= ch <= "z")
                if len(letters) >= 2:
                    out.setdefault(letters, set()).add(target)

            for field_key, zh in (*COUNTY_FIELDS, *EXTRA_FIELDS):
                for label in (zh, *ITEM_ALIASES.get(field_key, ())):
                    for text in {normalise(label), key(label)}:
                        add(text, field_key)
            for field_key, parts in ITEM_PARTS.items():
                for i, labels in enumerate(parts):
                    for label in labels:
                        add(key(label), f"part:{field_key}:{i}")
            for targets in out.values():
                # a whole whose initials are a part's (执业(助理)医师 and 执业助理医师 are both
                # zyzlys) is left to the part: the sum of the parts is read, said in a note
                wholes = {t.split(":")[1] for t in targets if t.startswith("part:")}
                targets -= wholes
            self._initials = out
        return self._initials

    def known(self, label: str, units: bool = True) -> bool:
        """Return True when the label is an item or an item part.

        With ``units`` False a declared number of units (村卫生室, 乡镇卫生院) does not count:
        those words are also a roster's facility types, so they never make a sheet, a column
        or a row the county items' by themselves.
        """
        if not label:
            return False
        found = self.candidates(label)
        if not units:
            found -= self._units
        return bool(found) or self.part(label) is not None


_YEAR_HEADER = re.compile(r"^\s*((?:19|20)\d{2})\s*年?(?:度|末)?\s*$")


def _initials_like(n: str) -> bool:
    return n.isascii() and n.isalpha() and 2 <= len(n) <= 10


def _item_column(rows: list[list[str]], given: int, items: ItemMatcher) -> int:
    """Return the column holding the items: the header's, or the next one.

    A header's column may hold group labels (``人口 | 常住人口 | 647200``) and the next the items.
    """

    def known(j: int) -> int:
        return sum(1 for r in rows if j < len(r) and items.known(r[j], units=False))

    return given + 1 if known(given + 1) > known(given) else given


def score_county_sheet(rows: list[list[str]]) -> int:
    """How many county items a sheet's first column (or one row, for the wide form) names."""
    m = ItemMatcher()
    first = sum(1 for r in rows if r and m.known(r[0], units=False))
    second = sum(1 for r in rows if len(r) > 1 and m.known(r[1], units=False))
    wide = max((sum(1 for c in r if m.known(c, units=False)) for r in rows), default=0)
    return max(first, second, wide)


def read_county_sheet(
    rows: list[list[object]],
    raw: RawBundle,
    reading: SheetReading,
    sheet_map: SheetMap,
    merged: list[tuple[int, int, int, int]] | None = None,
    first_row_number: int = 1,
) -> dict[str, object]:
    """Read the basics sheet into the ``county.toml`` shape, recording problems on ``raw``.

    A value may carry its unit (``46.12万人``, ``2,825张``); a unit in the item's label, the 单位
    column or a label merged over the wide form's items (``人口（万人）`` over ``常住 | 户籍``)
    scales it as in a header (:data:`~tcmcounty.inputs.matching.UNITS`); a unit that does not
    fit the item is an error.

    Parameters
    ----------
    rows : list of list
        The sheet's cells.
    raw : RawBundle
        Receives the problems.
    reading : SheetReading
        Receives how each item was read (for ``tcmcounty inspect``).
    sheet_map : SheetMap
        The user's column map for this sheet: item label → county field, header → column.
    merged : list of (first row, first column, last row, last column), optional
        The sheet's merged ranges (1-based), for a group label over items of the wide form.
    first_row_number : int
        User-visible number of ``rows[0]``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from tcmcounty.inputs.raw import RawBundle
    >>> rows = [["县", "人口（万人）", None, "卫生资源"],
    ...         [None, "常住人口", "户籍人口", "实有床位"],
    ...         ["甲县", 58.63, "78.95", "2,735张"]]
    >>> raw = RawBundle(Path("x.xlsx"), {}, {}, {}, {})
    >>> meta = read_county_sheet(rows, raw, SheetReading("f", "基本情况", "county", "name"),
    ...                          SheetMap(), [(1, 2, 1, 3)])
    >>> [meta["population"][k]["value"] for k in ("resident", "registered")]
    [586300.0, 789500.0]
    >>> meta["resources"]["beds"]["value"]
    2735.0
    """
    text = [[cell_text(c) for c in r] for r in rows]
    items = ItemMatcher(sheet_map.columns)
    where = (merged or [], first_row_number)
    entries = _sheet_entries(text, items, reading, sheet_map, where)
    _source_by_default(entries, raw)
    got = _read_items(entries, items, reading, sheet_map, raw)
    _sum_parts(got, raw)
    for rate in _SURVEY_RATES:
        _count_from_rate(got.meta, raw, *rate)
    _managed_from_rate(got.meta, raw)
    _unread_items(text, reading, items, raw)
    return got.meta


class _Entry(NamedTuple):
    """One item as the sheet writes it: its row, its label and its cells by column."""

    row: int
    label: str
    cells: dict[str, str]


class _Part(NamedTuple):
    """One part of a summed item (执业医师 of 执业（助理）医师), with its unit's factor."""

    row: int
    label: str
    cells: dict[str, str]
    scale: float


@dataclasses.dataclass
class _Items:
    """What the item rows gave: the figures, the parts still to sum, the row of each field."""

    meta: dict[str, object] = dataclasses.field(default_factory=dict)
    parts: dict[str, dict[int, _Part]] = dataclasses.field(default_factory=dict)
    seen: dict[str, int] = dataclasses.field(default_factory=dict)


def _sheet_entries(
    text: list[list[str]],
    items: ItemMatcher,
    reading: SheetReading,
    sheet_map: SheetMap,
    where: tuple[list[tuple[int, int, int, int]], int],
) -> list[_Entry]:
    """Collect the item rows, in whichever layout the sheet has: key–value, wide or by position."""
    columns = Matcher(BASICS, sheet_map.columns)
    header_at, year_at = _find_header(text, columns)
    if header_at >= 0:
        return _keyvalue_entries(text, header_at, year_at, columns, items, reading, sheet_map)
    wide_at = _find_wide_row(text, items)
    if wide_at >= 0:
        return _wide_entries(text, wide_at, columns, reading, where)
    return _positional_entries(text, items)


def _find_header(text: list[list[str]], columns: Matcher) -> tuple[int, int | None]:
    """Find the key–value header row (-1: none) and the column whose header is a year, if any."""
    year_at: int | None = None
    for i, row in enumerate(text[:15]):
        found = {columns.lookup(c) for c in row if c}
        years = [j for j, c in enumerate(row) if _YEAR_HEADER.match(c)]
        if "value" not in found and "item" in found and len(years) == 1:
            year_at = years[0]  # 项目 | 单位 | 2023年: the year heads the values
        if ("value" in found or year_at is not None) and (
            "item" in found or normalise(row[0]) in ("", "项目", "指标")
        ):
            return i, year_at
        year_at = None
    return -1, None


def _keyvalue_entries(
    text: list[list[str]],
    header_at: int,
    year_at: int | None,
    columns: Matcher,
    items: ItemMatcher,
    reading: SheetReading,
    sheet_map: SheetMap,
) -> list[_Entry]:
    """One entry per labelled row below the header, its cells by the header's columns."""
    hm = columns.match(text[header_at], sheet_map.columns, sheet_map.ignore)
    if year_at is not None:
        written = text[header_at][year_at]
        hm.columns = [c for c in hm.columns if c.position != year_at] + [
            ColumnMatch(
                year_at,
                written,
                "value",
                "content",
                f"guess: value (its header is a year, {written}: the figures of that year) "
                "/ 推断为数值（表头为年份：数值为该年数据）",
            )
        ]
    reading.header_row = header_at + 1
    reading.columns = hm.columns
    pos = {c.column: c.position for c in hm.columns if c.column}
    item_pos = _item_column(text[header_at + 1 :], pos.get("item", 0), items)
    value_header = next((c.written for c in hm.columns if c.column == "value"), "")
    year = _YEAR_HEADER.match(value_header)  # 项目 | 单位 | 2023年: figures of 2023
    entries: list[_Entry] = []
    for j, row in enumerate(text[header_at + 1 :], start=header_at + 2):
        label = row[item_pos] if item_pos < len(row) else ""
        if not label:
            continue
        cells = {name: row[p] if p < len(row) else "" for name, p in pos.items()}
        if year is not None and not cells.get("year"):
            cells["year"] = year.group(1)
        entries.append(_Entry(j, label, cells))
    return entries


def _find_wide_row(text: list[list[str]], items: ItemMatcher) -> int:
    """Find the row of item labels of the wide form (-1: none): three items, not key–value."""
    for i, row in enumerate(text[:15]):
        if sum(1 for c in row if items.known(c, units=False)) >= 3 and not (
            row and items.known(row[0], units=False) and len([c for c in row if c]) <= 3
        ):
            return i
    return -1


def _wide_entries(
    text: list[list[str]],
    wide_at: int,
    columns: Matcher,
    reading: SheetReading,
    where: tuple[list[tuple[int, int, int, int]], int],
) -> list[_Entry]:
    """One entry per label of the wide row, valued from the next row; 年份, 来源, 状态 go to all.

    A label merged over several items (``人口（万人）`` over ``常住 | 户籍``) gives them its unit.
    """
    labels = text[wide_at]
    parents = spread_labels(text, wide_at - 1, *where) if wide_at > 0 else []
    values = next((r for r in text[wide_at + 1 :] if any(r)), [])
    reading.header_row = wide_at + 1
    common: dict[str, str] = {}
    for p, label in enumerate(labels):
        col = columns.lookup(label) if label else None
        if col in ("year", "source", "status") and col is not None and p < len(values):
            common[col] = values[p]
    entries: list[_Entry] = []
    for p, label in enumerate(labels):
        if not label or columns.lookup(label) in ("year", "source", "status"):
            continue
        value = values[p] if p < len(values) else ""
        cells = {"value": value, **common}
        own = with_parent_unit(label, parents[p] if p < len(parents) else "")
        if own != label:
            cells["unit"] = parse_header(own).unit or ""
        entries.append(_Entry(wide_at + 2, label, cells))
    return entries


def _positional_entries(text: list[list[str]], items: ItemMatcher) -> list[_Entry]:
    """Read rows without a header by position: item, value, year, source, status, estimate …."""
    order = ("value", "year", "source", "status", "estimate", "method", "note")
    entries: list[_Entry] = []
    for j, row in enumerate(text, start=1):
        if not row or not row[0] or not items.known(row[0]):
            if row and row[0] and not items.known(row[0]) and any(row[1:2]):
                entries.append(_Entry(j, row[0], {"value": row[1] if len(row) > 1 else ""}))
            continue
        entries.append(
            _Entry(
                j,
                row[0],
                {n: row[k + 1] if k + 1 < len(row) else "" for k, n in enumerate(order)},
            )
        )
    return entries


def _source_by_default(entries: list[_Entry], raw: RawBundle) -> None:
    """Without a 来源 column, the figures are the county's own: this workbook is their source."""
    if not any("source" in cells for _, _, cells in entries) and entries:
        # No 来源 column (wide form, or a two-column list): the figures are the county's own.
        from tcmcounty.inputs.sources import USER_SOURCE

        for _, _, cells in entries:
            cells["source"] = USER_SOURCE
        raw.problem(
            "note",
            "county",
            "the county items have no source column: their source is this workbook, provided by "
            "the user",
            "县基本情况没有来源列：数据来源记为本工作簿（用户提供）",
        )


def _read_items(
    entries: list[_Entry],
    items: ItemMatcher,
    reading: SheetReading,
    sheet_map: SheetMap,
    raw: RawBundle,
) -> _Items:
    """Read every entry, in order, into the figures (parts of a sum are kept aside)."""
    ignored = {normalise(i) for i in sheet_map.ignore}
    got = _Items()
    for entry in entries:
        _read_item(entry, got, items, ignored, reading, raw)
    return got


def _read_item(
    entry: _Entry,
    got: _Items,
    items: ItemMatcher,
    ignored: set[str],
    reading: SheetReading,
    raw: RawBundle,
) -> None:
    """Read one entry: ignored, ambiguous, a part or unknown, invalid, twice, or its figure."""
    number, label, cells = entry
    if normalise(label) in ignored:
        reading.items.append((number, label, None, "ignored (column map)"))
        return
    scale = _item_scale(label, cells)
    found = items.candidates(label)
    if len(found) > 1:
        raw.problem(
            "error",
            "county",
            f"ambiguous item: it may mean {', '.join(sorted(found))}; say which in a column map",
            f"项目有歧义：可能是 {'、'.join(sorted(found))}；请在列映射中指定",
            number,
            "项目",
            label,
        )
        reading.items.append((number, label, None, "ambiguous"))
        return
    if not found:
        _part_or_unknown(entry, scale, got, items, reading, raw)
        return
    field_key = next(iter(found))
    if field_key not in items.valid:
        raw.problem(
            "error",
            "county",
            f"column map names an unknown county field {field_key!r}; valid: {', '.join(sorted(items.valid))}",
            f"列映射中的县级项目 {field_key!r} 无效",
            number,
            "项目",
            label,
        )
        return
    if field_key in got.seen:
        raw.problem(
            "error",
            "county",
            f"item given twice (rows {got.seen[field_key]} and {number}); keep one",
            f"项目重复（第 {got.seen[field_key]} 行与第 {number} 行）；请保留一行",
            number,
            "项目",
            label,
        )
        return
    got.seen[field_key] = number
    rule = (
        "exact"
        if normalise(label) in {normalise(zh) for k, zh in COUNTY_FIELDS if k == field_key}
        else "synonym"
    )
    if scale != 1.0:
        rule += f", unit × {scale:,.0f}"
    reading.items.append((number, label, field_key, rule))
    _put(got.meta, field_key, cells, number, scale, label, raw)


def _item_scale(label: str, cells: dict[str, str]) -> float:
    """Return the factor of the label's unit (常住人口（万人）), else of the 单位 cell's."""
    hp = parse_header(label)
    unit = cells.get("unit", "")
    scale = hp.scale
    if unit and not hp.unit:
        uh = parse_header(f"x({unit})")
        scale = uh.scale
    return scale


def _part_or_unknown(
    entry: _Entry,
    scale: float,
    got: _Items,
    items: ItemMatcher,
    reading: SheetReading,
    raw: RawBundle,
) -> None:
    """Read a label naming no item: a part of a sum (kept aside), a title or note row, or unknown."""
    number, label, cells = entry
    part = items.part(label)
    if part is not None:
        got.parts.setdefault(part[0], {})[part[1]] = _Part(number, label, cells, scale)
        reading.items.append((number, label, part[0], "part (summed)"))
        return
    if normalise(label) in ("项目", "指标", "县基本情况") or re.match(
        r"^(注|说明|备注)[:：]", label
    ):
        return
    raw.problem(
        "warning",
        "county",
        "unknown item ignored",
        "未知项目，已忽略",
        number,
        "项目",
        label,
    )
    reading.items.append((number, label, None, "unknown"))


def _sum_parts(got: _Items, raw: RawBundle) -> None:
    """Sum the parts of each item the sheet does not give whole; a whole given wins."""
    for field_key, parts in got.parts.items():
        if field_key in got.seen:
            labels = " + ".join(v.label for v in parts.values())
            raw.problem(
                "warning",
                "county",
                f"{labels} not added: the item itself is given",
                f"已有该项目，{labels} 不再相加",
                min(v.row for v in parts.values()),
                "项目",
            )
            continue
        _sum_part(field_key, parts, got.meta, raw)


def _sum_part(
    field_key: str, parts: dict[int, _Part], meta: dict[str, object], raw: RawBundle
) -> None:
    """Put the sum of one item's parts into ``meta``, with a note (a warning if one is missing)."""
    values: list[float] = []
    number, _, cells, _scale = parts[min(parts)]
    for _idx, (n, label, c, s) in sorted(parts.items()):
        v, s, misfit = _quantity(c.get("value", ""), s, (label, _FIELD_LABELS[field_key]), n, raw)
        if misfit:
            continue
        if v is None and not is_missing(c.get("value", "")):
            raw.problem(
                "error", "county", "expected a number", "应为数字", n, "数值", c.get("value")
            )
        elif v is not None:
            values.append(v * s)
    labels = " + ".join(v.label for _, v in sorted(parts.items()))
    complete = len(parts) == len(ITEM_PARTS[field_key])
    if not values:
        return
    merged = dict(cells)
    merged["value"] = repr(sum(values))
    _put(meta, field_key, merged, number, 1.0, labels, raw)
    raw.problem(
        "note" if complete else "warning",
        "county",
        f"{labels} summed into {field_key}"
        + ("" if complete else " (a part is missing: the figure may be low)"),
        f"{labels} 相加为 {field_key}" + ("" if complete else "（缺少一部分，数值可能偏低）"),
        number,
        "项目",
        labels,
    )


def _unread_items(
    text: list[list[str]], reading: SheetReading, items: ItemMatcher, raw: RawBundle
) -> None:
    """Warn about a county item written on the sheet but not read (a layout not understood).

    A figure the county gives must never be replaced in silence by one summed from its tables:
    when a cell names an item (``常住人口``) that the reading did not take, the sheet's layout
    was not understood, and the warning says where and how to say it in a column map.
    """
    read = {f for _row, _label, f, _rule in reading.items if f}
    read |= {f for _row, _label, f, rule in reading.items if f and rule.startswith("part")}
    seen: set[str] = set()
    for i, row in enumerate(text, start=1):
        for j, cell in enumerate(row):
            field = items.lookup(cell) if cell and len(cell) <= 30 else None
            if field is None or field in read or field in seen or "." not in field:
                continue
            seen.add(field)
            raw.problem(
                "warning",
                "county",
                f"'{cell}' (row {i}, column {j + 1}) names the county item {field}, which was "
                "not read: the sheet's layout was not understood; say where its value is in a "
                f'column map (["sheet"] "{cell}" = "{field}")',
                f"第 {i} 行的“{cell}”是县级项目 {field}，但未被读取：该表的版式未能识别；请在列映射中指明",
                i,
                cell,
            )


#: Health-management rates read from a county's sheet: rate -> (managed, residents to manage, labels).
_HEALTH_RATES: dict[str, tuple[str, str, str, str]] = {
    "elderly_tcm_rate": (
        "elderly_tcm_managed",
        "elderly_65",
        "老年人中医药健康管理率",
        "65岁及以上常住居民数",
    ),
    "children_tcm_rate": (
        "children_tcm_managed",
        "children_0_36",
        "儿童中医药健康管理率",
        "应管理的0～36个月儿童数",
    ),
}


def _managed_from_rate(meta: dict[str, object], raw: RawBundle) -> None:
    """Turn a health-management rate × the residents to manage into the managed count (said so).

    The indicator needs the count (its need is a number of residents); a rate without the
    residents it is a share of is not used, and a count given as well wins over the rate.
    """
    health = meta.pop("health", None)
    if not isinstance(health, dict):
        return
    res = meta.setdefault("resources", {})
    if not isinstance(res, dict):
        return
    for rate_key, (managed, base, rate_zh, base_zh) in _HEALTH_RATES.items():
        if rate_key not in health:
            continue
        rate, row = health[rate_key]
        given = res.get(managed)
        if isinstance(given, dict) and "value" in given:
            continue
        fig = res.get(base)
        if not isinstance(fig, dict):
            fig = {}
        n = fig.get("value")
        if not isinstance(n, (int, float)) or isinstance(n, bool):
            raw.problem(
                "warning",
                "county",
                f"{rate_zh} is given without {base_zh}: the indicator needs the number of residents "
                "the rate is a share of, so the rate is not used",
                f"仅有{rate_zh}、没有{base_zh}：该指标需要人数，{rate_zh}未使用",
                row,
                rate_zh,
            )
            continue
        count = float(round(float(rate) * float(n)))
        entry = {k: v for k, v in fig.items() if k in ("year", "source", "status", "_column")}
        res[managed] = {**entry, "value": count, "_row": row}
        raw.problem(
            "note",
            "county",
            f"{managed} = {rate_zh} {float(rate):.1%} × {n:,.0f} = {count:,.0f}",
            f"{RESOURCE_KEYS.get(managed, managed)} = {rate_zh} {float(rate):.1%} × {base_zh} {n:,.0f} = {count:,.0f}",
            row,
            rate_zh,
        )


#: Rates of ``[survey]`` read from a county's sheet: (rate, count, respondents, labels, indicator).
_SURVEY_RATES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    (
        "satisfaction_rate",
        "satisfied",
        "respondents",
        "满意率",
        "满意人数",
        "满意度调查人数",
        "satisfaction",
    ),
    (
        "awareness_rate",
        "aware",
        "awareness_respondents",
        "知晓率",
        "知晓人数",
        "知晓率调查人数",
        "awareness",
    ),
)


def _count_from_rate(
    meta: dict[str, object],
    raw: RawBundle,
    rate_key: str,
    count_key: str,
    n_key: str,
    rate_zh: str,
    count_zh: str,
    n_zh: str,
    what: str,
) -> None:
    """Turn 满意率 (知晓率) × 调查人数 into the count of respondents T-SAT (T-AWARE) uses."""
    survey = meta.get("survey")
    if not isinstance(survey, dict) or rate_key not in survey:
        return
    rate = survey.pop(rate_key)
    if count_key in survey:
        return
    n = survey.get(n_key)
    if not isinstance(n, (int, float)) or isinstance(n, bool):
        raw.problem(
            "warning",
            "county",
            f"{rate_zh} is given without {n_zh}: the {what} indicator needs the number of "
            "respondents, so the rate is not used",
            f"仅有{rate_zh}、没有{n_zh}：该指标需要调查人数，{rate_zh}未使用",
            column=rate_zh,
        )
        return
    survey[count_key] = float(round(float(rate) * float(n)))
    raw.problem(
        "note",
        "county",
        f"{count_key} respondents = {rate_zh} {float(rate):.1%} × {n:,.0f} respondents = {survey[count_key]:,.0f}",
        f"{count_zh} = {rate_zh} {float(rate):.1%} × {n_zh} {n:,.0f} = {survey[count_key]:,.0f}",
        column=rate_zh,
    )


def parse_share(text: str, percent: bool) -> tuple[float | None, str]:
    """Read a share written as ``92%``, ``0.92`` or ``92`` (a percentage); say how it was read.

    Parameters
    ----------
    text : str
        The cell.
    percent : bool
        The label or the unit column says ``%``.

    Examples
    --------
    >>> parse_share("92%", False)[0], parse_share("0.92", False)[0], parse_share("92", True)[0]
    (0.92, 0.92, 0.92)
    >>> parse_share("92", False)
    (0.92, 'a number above 1 read as a percentage')
    >>> parse_share("920", False)[0] is None
    True
    """
    t = unicodedata.normalize("NFKC", text).strip()
    v = parse_number(t)
    if v is None:
        return None, "not a number"
    if t.endswith("%"):
        return (v, "written with %") if 0 <= v <= 1 else (None, "more than 100%")
    if v < 0:
        return None, "negative"
    if percent:
        if v <= 1:
            return v, "the unit is % but the value is at most 1: read as a fraction"
        return (v / 100, "the unit is %") if v <= 100 else (None, "more than 100%")
    if v <= 1:
        return v, "a fraction from 0 to 1"
    if v <= 100:
        return v / 100, "a number above 1 read as a percentage"
    return None, "more than 100%"


def _put(
    meta: dict[str, object],
    field_key: str,
    cells: dict[str, str],
    number: int,
    scale: float,
    label: str,
    raw: RawBundle,
) -> None:
    unit_is_percent = (
        parse_header(f"x({cells.get('unit', '')})").percent if cells.get("unit") else False
    )
    value = cells.get("value", "")
    year, source, status = cells.get("year", ""), cells.get("source", ""), cells.get("status", "")
    est, method, note = cells.get("estimate", ""), cells.get("method", ""), cells.get("note", "")
    if status:
        status = vocabulary_value(status, "status") or status
    group, _, name = field_key.partition(".")
    what = _FIELD_LABELS.get(field_key, "")
    if field_key.startswith(_FIGURE_PREFIXES):
        if _unit_cell_misfits(cells.get("unit", ""), label, what, number, raw):
            return
        entry: dict[str, object] = {}
        if not is_missing(value):
            entry.update(
                _figure(
                    value, year, source, status or "official", number, raw, scale, label, what=what
                )
            )
        if not is_missing(est):
            est_status = status if (is_missing(value) and status) else "estimated"
            entry["estimate"] = _figure(
                est, year, source, est_status, number, raw, scale, label, "估算值", what
            )
            if method:
                entry["estimate"]["method"] = method  # type: ignore[index]
        if note:
            entry["note"] = note
        meta.setdefault(group, {})[name] = entry  # type: ignore[index]
    elif group == "units":
        _put_units(meta, field_key, value, number, scale, label, raw)
    elif group in ("tcm_hospital", "survey", "coordinates", "health"):
        if is_missing(value):
            return
        sub = meta.setdefault(group, {})
        if name == "departments":
            sub[name] = [d.strip() for d in re.split(r"[、,，;；]", value) if d.strip()]  # type: ignore[index]
        elif name in (
            "satisfaction_rate",
            "awareness_rate",
            "elderly_tcm_rate",
            "children_tcm_rate",
        ):
            share, how = parse_share(value, parse_header(label).percent or unit_is_percent)
            if share is None:
                raw.problem(
                    "error",
                    "county",
                    f"expected a share: {how}",
                    f"应为比例（如 92%、0.92 或 92）：{how}",
                    number,
                    label,
                    value,
                )
                return
            sub[name] = (share, number) if group == "health" else share  # type: ignore[index]
            raw.problem(
                "note",
                "county",
                f"read {value} as {share:.1%} ({how})",
                f"{value} 读作 {share:.1%}",
                number,
                label,
                value,
            )
        elif group == "survey":
            v, factor, misfit = _quantity(value, scale, (label, what), number, raw)
            if misfit:
                return
            sub[name] = v * factor if v is not None else value  # type: ignore[index]
            meta.setdefault("_where", {})[f"survey.{name}"] = (number, label)  # type: ignore[index]
        else:
            sub[name] = value  # type: ignore[index]
        if group in ("tcm_hospital", "survey"):
            for k, given in (("source", source), ("status", status), ("year", year)):
                if given:
                    sub[k] = int(given) if k == "year" and given.isdigit() else given  # type: ignore[index]
    elif field_key == "reference_year":
        if not is_missing(value):
            value = unicodedata.normalize("NFKC", value).strip()
            meta[field_key] = int(value) if value.isdigit() else value
            meta.setdefault("_where", {})[field_key] = (number, label)  # type: ignore[index]
    elif field_key == "adcode":
        if not is_missing(value):
            meta[field_key] = unicodedata.normalize("NFKC", value).replace(" ", "")[:12]
    elif not is_missing(value):
        meta[field_key] = value


def _unit_cell_misfits(unit: str, label: str, what: str, row: int, raw: RawBundle) -> bool:
    """Report a 单位 cell whose unit contradicts the item (张 of physicians, % of a count)."""
    own = parse_header(f"x({unit})").unit if unit else None
    if own is None or own not in VALUE_UNITS:
        return False
    misfit = unit_misfit(own, label, what)
    if misfit is not None:
        raw.problem("error", "county", misfit[0], misfit[1], row, "单位", unit)
    return misfit is not None


def _quantity(
    value: str,
    scale: float,
    labels: tuple[str, str],
    row: int,
    raw: RawBundle,
    column: str = "数值",
) -> tuple[float | None, float, bool]:
    """Read a figure's number and the factor it takes; say whether its unit did not fit.

    A unit written after the number (``46.12万人``, ``2,825张``) is the number's own: it
    replaces the label's or the 单位 column's (``scale``). A unit that does not fit the item
    (``35张`` of physicians, ``12%`` of a count) is an error naming the row and value.
    """
    q = parse_quantity(value)
    if q is None:
        return None, scale, False
    if q.unit is None:
        return q.number, scale, False
    misfit = unit_misfit(q.unit, *labels)
    if misfit is not None:
        raw.problem("error", "county", misfit[0], misfit[1], row, column, value)
        return None, scale, True
    return q.number, q.scale, False


def _put_units(
    meta: dict[str, object],
    field_key: str,
    value: str,
    row: int,
    scale: float,
    label: str,
    raw: RawBundle,
) -> None:
    """Put a declared number of units (``村卫生室 | 312 | 个``) into ``meta["units"]``.

    A value that is not a whole number >= 0 is an error naming the row, label and value, and is
    not used (the roster is then checked against the county's structure only).
    """
    if is_missing(value):
        return
    q = parse_quantity(value)  # 312, or 312个 / 所 / 家 (a unit of units)
    v = q.number if q is not None and q.unit in (None, "个", "所", "家") else None
    if v is None or v < 0 or not float(v * scale).is_integer():
        raw.problem(
            "error",
            "county",
            "expected a whole number of units (such as 312)",
            "应为机构个数（非负整数，如 312）",
            row,
            label,
            value,
        )
        return
    meta.setdefault("units", {})[field_key.partition(".")[2]] = int(v * scale)  # type: ignore[index]
    meta.setdefault("_where", {})[field_key] = (row, label)  # type: ignore[index]


def _figure(
    value: str,
    year: str,
    source: str,
    status: str,
    row: int,
    raw: RawBundle,
    scale: float,
    label: str,
    column: str = "数值",
    what: str = "",
) -> dict[str, object]:
    number, scale, misfit = _quantity(value, scale, (label, what), row, raw, column)
    out: dict[str, object] = {"status": status}
    if not misfit:  # a misfit unit is reported: the figure is not read
        out["value"] = number if number is not None else value
    if number is not None and scale != 1.0:
        scaled = number * scale
        group = "population" if "人口" in label else "resources"
        if scaled > CEILINGS[group]:
            raw.problem(
                "error",
                "county",
                f"the unit conflicts with the value: {value} × {scale:,.0f} = {scaled:,.0f} is more "
                f"than any county has; is the unit in the label wrong?",
                f"单位与数值矛盾：{value} × {scale:,.0f} = {scaled:,.0f}，超过任何一个县；请检查单位",
                row,
                label,
                value,
            )
        else:
            out["value"] = float(round(scaled)) if abs(scaled - round(scaled)) < 0.5 else scaled
            raw.problem(
                "note",
                "county",
                f"read {value} {label} as {round(scaled):,} (unit × {scale:,.0f})",
                f"{label} {value} 按单位换算为 {round(scaled):,}（× {scale:,.0f}）",
                row,
                label,
                value,
            )
    if year:
        out["year"] = int(year) if year.isdigit() else year
    if source:
        out["source"] = source
    out["_row"] = row
    out["_column"] = column
    return out
