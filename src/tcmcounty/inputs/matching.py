"""Matching headers, county items and sheet names the way Chinese county rosters write them.

One place for every rule that turns what a planner wrote (``二、乡镇（街道）``,
``是否设置中医馆``, ``年末常住人口（万人）``, ``村（社区）代码``) into the data contract of
:mod:`tcmcounty.schema`. The Excel and CSV readers both use it.

The rules, in order:

1. **Normalise** (:func:`normalise`): NFKC (full width to half width), lower case, no spaces or
   line breaks, every bracket kind to ``()``, leading numbering (``一、``, ``1.``, ``（一）``,
   ``①``, ``序号``) and ``其中：`` removed.
2. **Units** (:func:`parse_header`): a trailing unit in brackets or after a slash (``（人）``,
   ``（万人）``, ``（%）``, ``/张``) is split off; ``万`` scales by 10,000 and ``千`` by 1,000,
   ``%`` marks a percentage.
3. **Synonyms by meaning** (:data:`SYNONYMS`): 类别/分类 → 类型; 所在/隶属/归属 → 所属;
   村（社区）/村居/行政村/村级/村（居）委会 → 村; flag prefixes 是否/能否/有无/已/设置/设有/建有
   removed; 数/数量/人数 suffixes removed; 诊疗量/就诊人次 → 诊疗人次.
4. **The table's own subject** may prefix a header (``医联体编号`` on the alliance sheet is the
   alliance's ``编号``; ``机构名称`` on the facility sheet is its ``名称``).

A header matches a column when its key equals the key of one of the column's accepted headers.
Two columns with the same key, or a header close to a known one but not equal, are never used
silently: the caller reports them with the candidates and the map entry that fixes it.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from tcmcounty.schema import Column, Table

#: Bracket characters folded to ``(`` and ``)``.
_OPEN = "（［【〔〖｛{[<《〈「『"
_CLOSE = "）］】〕〗｝}]>》〉」』"
_BRACKETS = str.maketrans(_OPEN + _CLOSE, "(" * len(_OPEN) + ")" * len(_CLOSE))

_CN_NUM = "一二三四五六七八九十百零〇"
_NUMBERING = re.compile(
    rf"^(?:序号|"
    rf"[{_CN_NUM}]+[、.．:：]|"  # 一、  十二.
    rf"\([{_CN_NUM}\d]+\)[、.．]?|"  # (一) (3)
    rf"\d+(?:\.\d+)*[、.．:：)](?!\d)|"  # 1.  1、  2.3.  1)
    rf"第[{_CN_NUM}\d]+(?:部分|章|节|表|项)?[、.．:：]?)"
)
_OF_WHICH = re.compile(r"^(?:其中|含|包括)[:：,，]?")

#: Units recognised at the end of a header: unit text -> (scale, is percentage).
UNITS: dict[str, tuple[float, bool]] = {
    "万人": (10_000.0, False),
    "千人": (1_000.0, False),
    "万人次": (10_000.0, False),
    "万": (10_000.0, False),
    "千": (1_000.0, False),
    "%": (1.0, True),
    "％": (1.0, True),
    "百分比": (1.0, True),
    "人": (1.0, False),
    "名": (1.0, False),
    "张": (1.0, False),
    "床": (1.0, False),
    "个": (1.0, False),
    "所": (1.0, False),
    "家": (1.0, False),
    "项": (1.0, False),
    "类": (1.0, False),
    "种": (1.0, False),
    "户": (1.0, False),
    "人次": (1.0, False),
    "次": (1.0, False),
    "年": (1.0, False),
    "km": (1.0, False),
    "公里": (1.0, False),
    "平方公里": (1.0, False),
    "km2": (1.0, False),
    "km²": (1.0, False),
    "度": (1.0, False),
    "°": (1.0, False),
    "张/千人": (1.0, False),
    # flag columns say how they are filled: 中医馆（Y/N）, 中医阁（是/否）, 中医馆(√)
    "y/n": (1.0, False),
    "是/否": (1.0, False),
    "有/无": (1.0, False),
    "√": (1.0, False),
    "打√": (1.0, False),
    "是否": (1.0, False),
    "1/0": (1.0, False),
    "人/千人": (1.0, False),
    "人/万人": (1.0, False),
}
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
#: A bracket at the end of a header telling how a flag is written: (1是0否), (是/否), (y/n), (√).
_FLAG_LEGEND = re.compile(
    r"\((?=[^()]*(?:是|否|有|无|能|√|y/n|1/0))(?:[\d是否有无能不可已未建设立y/n√×/、,，:：=\s]|打|填|或)+\)$"
)
_LEGEND_PAIR = re.compile(r"(\d)\s*[=＝:：]?\s*(是|否|有|无|能|不能)")


def flag_legend(header: str) -> dict[str, str]:
    """Return what the digits of a flag column mean, from its header's legend.

    Examples
    --------
    >>> flag_legend("为中医阁（1是 2否）")
    {'1': '是', '2': '否'}
    >>> flag_legend("中医馆")
    {}
    """
    m = _FLAG_LEGEND.search(normalise(header))
    return dict(_LEGEND_PAIR.findall(m.group(0))) if m else {}


_UNIT_TAIL = re.compile(rf"(?:\((?:单位[:：]?)?({_UNIT_ALT})\)|[/／]({_UNIT_ALT}))$")

#: Rewrites by meaning, applied in order to a normalised header (regex, replacement).
SYNONYMS: tuple[tuple[str, str], ...] = (
    (
        r"村\(社区\)|村/社区|村、社区|村\(居\)委会|村\(居\)|村居委会|村居|村社区|行政村|村级|村民委员会|村委会",
        "村",
    ),
    (r"居民委员会|居委会", "社区"),
    (
        r"乡镇\([^()]*\)|乡\([^()]*\)|镇\([^()]*\)|乡镇场|乡镇/街道|乡镇、街道|乡、镇|乡镇街道|镇街|乡级|乡镇级",
        "乡镇",
    ),
    (r"县\([^()]*\)|旗\([^()]*\)|县市区|区县", "县"),
    (r"^(?:年末|年底|期末)(?=.)", ""),  # 年末常住人口 is 常住人口
    (r"类别|分类|性质", "类型"),
    (r"所在|隶属|归属|所处", "所属"),
    (r"执业\(含助理\)医师|执业医师\(含助理\)|执业医师\(助理\)", "执业(助理)医师"),
    (r"诊疗量$|诊疗人次数$|就诊人次$", "诊疗人次"),
    (r"^中医药健康管理|^中医健康管理", "中医药健康管理"),
    (r"^(?:驻地|政府驻地|所在地|中心点|位置|坐标|地理)(经度|纬度)$", r"\1"),
    (r"^东经(?:度)?$", "经度"),
    (r"^北纬(?:度)?$", "纬度"),
    (
        r"^(?:是否已建成|是否建成|是否已|是否有|是否设置|是否设立|是否设有|是否建有|是否为|是否|能否|可否|有无|已建成|建成|已建|已设|已|设置|设立|设有|建有|具备|有|为(?=中医))",
        "",
    ),
    (r"(?<=.)(?:合计|总计|小计)$", ""),  # 实有床位合计 is 实有床位
    (r"(?<=中医馆|中医阁)(?:建设情况|建成情况|情况|建设)$", ""),  # 中医馆建设情况 is 中医馆
    (r"(?<=[村镇乡区道构位院室体])名$", "名称"),  # 村名 is 村名称
    (r"(?:总数|数量|人数|数)$", ""),
)
_SYNONYMS = tuple((re.compile(p), r) for p, r in SYNONYMS)


@functools.lru_cache(maxsize=65536)
def normalise(text: object) -> str:
    r"""Normalise a header, item or sheet name for matching.

    Examples
    --------
    >>> normalise("二、乡镇（街道）")
    '乡镇(街道)'
    >>> normalise(" 机构\n名称 ")
    '机构名称'
    >>> normalise("（一）其中：中医类别执业医师")
    '中医类别执业医师'
    """
    s = re.sub(r"^\s*[①-⑳㈠-㈩⑴-⒇]", "", str(text if text is not None else ""))  # before NFKC
    s = unicodedata.normalize("NFKC", s).lower()
    s = s.translate(_BRACKETS)
    s = re.sub(r"[\s_]+", "", s)  # resident_population = resident population
    for _ in range(3):
        before = s
        s = _NUMBERING.sub("", s)
        s = _OF_WHICH.sub("", s)
        if s == before:
            break
    return s.strip(":：、.,，;；*＊")


@dataclass(frozen=True)
class HeaderParts:
    """A header split into its meaning and its unit.

    Attributes
    ----------
    written : str
        The header as the file has it.
    key : str
        The normalised meaning after synonyms, e.g. ``常住人口`` for ``年末常住人口（万人）``.
    unit : str or None
        The unit found at the end (``万人``), if any.
    scale : float
        Multiply values by this (10,000 for ``万人``).
    percent : bool
        The unit is ``%``.
    """

    written: str
    key: str
    unit: str | None = None
    scale: float = 1.0
    percent: bool = False


def _meaning(s: str) -> str:
    """Apply :data:`SYNONYMS` until nothing changes (``行政村(社区)`` → ``村(社区)`` → ``村``)."""
    for _ in range(4):
        before = s
        for pattern, repl in _SYNONYMS:
            s = pattern.sub(repl, s)
        if s == before:
            break
    return s


@functools.lru_cache(maxsize=65536)
def parse_header(text: object) -> HeaderParts:
    """Split a header into its key (meaning) and unit.

    Examples
    --------
    >>> p = parse_header("年末常住人口（万人）")
    >>> p.key, p.unit, p.scale
    ('常住人口', '万人', 10000.0)
    >>> parse_header("是否设置中医馆").key
    '中医馆'
    >>> parse_header("村（社区）代码").key == parse_header("村代码").key
    True
    """
    written = "" if text is None else str(text)
    s = normalise(written)
    unit = None
    scale, percent = 1.0, False
    s = _FLAG_LEGEND.sub("", s) or s  # 是否中医馆(1是0否), 中医阁(有/无)
    m = _UNIT_TAIL.search(s)
    if m and m.start() > 0:
        unit = m.group(1) or m.group(2)
        scale, percent = UNITS[unit]
        s = s[: m.start()]
    return HeaderParts(written, _meaning(s), unit, scale, percent)


def key(text: object) -> str:
    """Return the matching key of a header (:func:`parse_header` ``.key``).

    Examples
    --------
    >>> key("机构类别") == key("机构类型")
    True
    """
    return parse_header(text).key


# ------------------------------------------------------------------------------ units of values

#: What a count is written with after its number (``35人``, ``12张``, ``46.12万人``), by what it
#: counts: the first pattern that the item or header matches gives the units that fit it; a
#: ``万`` or ``千`` before them (or alone) scales it as in a header (:data:`UNITS`).
COUNT_UNITS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("人次", ("人次", "次")),
    ("床", ("张", "床")),
    ("处方", ("张", "个")),
    ("适宜技术|项数|类数", ("项", "类", "个", "种")),
    ("人口|医师|医生|护士|人员|居民|儿童|老年人|人数|调查|满意|知晓|执业", ("人", "名")),
    (
        "机构|卫生室|卫生院|中心|服务站|诊所|医院|乡镇|街道|村|社区|中医馆|中医阁|个数|家数",
        ("个", "所", "家"),
    ),
)
_COUNT_UNITS = tuple((re.compile(p), units) for p, units in COUNT_UNITS)
_SCALES = ("万", "千")
#: Units a value may carry: those of :data:`COUNT_UNITS`, with or without 万/千, and % (all in
#: :data:`UNITS`, which gives their factor).
VALUE_UNITS = frozenset(
    u
    for units in COUNT_UNITS
    for base in units[1]
    for u in (base, *(s + base for s in _SCALES), *_SCALES, "%", "％")
    if u in UNITS
)
_VALUE_UNIT = re.compile(
    rf"^(.*[\d.])\s*({'|'.join(sorted(map(re.escape, VALUE_UNITS), key=len, reverse=True))})$"
)


def split_value_unit(text: str) -> tuple[str, str | None]:
    """Split the unit written after a number off a (normalised, stripped) value.

    Returns the number's text and the unit, or the text and ``None`` when no unit of
    :data:`VALUE_UNITS` ends it. The unit's factor is ``UNITS[unit]``.

    Examples
    --------
    >>> split_value_unit("46.12万人"), split_value_unit("2,825 张"), split_value_unit("12")
    (('46.12', '万人'), ('2,825', '张'), ('12', None))
    >>> split_value_unit("2023年")
    ('2023年', None)
    """
    m = _VALUE_UNIT.match(text)
    return (m.group(1).strip(), m.group(2)) if m else (text, None)


def count_units(*labels: str) -> tuple[str, ...] | None:
    """Return the units a count named by ``labels`` (item, header, contract name) may carry.

    The first pattern of :data:`COUNT_UNITS` that one of the labels matches decides; ``None``
    when none does (any count unit fits, % never).

    Examples
    --------
    >>> count_units("医疗卫生机构实有床位"), count_units("执业（助理）医师", "physicians")
    (('张', '床'), ('人', '名'))
    >>> count_units("stations") is None
    True
    """
    for pattern, units in _COUNT_UNITS:
        if any(pattern.search(label) for label in labels if label):
            return units
    return None


def unit_misfit(unit: str, *labels: str) -> tuple[str, str] | None:
    """Say why a value's unit does not fit the count the labels name (English, Chinese), or None.

    ``万`` and ``千`` alone fit every count; ``%`` fits none; ``万人`` fits what ``人`` fits.

    Examples
    --------
    >>> unit_misfit("万人", "常住人口") is None, unit_misfit("万", "床位") is None
    (True, True)
    >>> unit_misfit("张", "执业（助理）医师")[0]
    "the unit 张 does not fit '执业（助理）医师': expected a number of 人 or 名 (万 or 千 before them scale it)"
    """
    what = next((label for label in labels if label), "")
    if UNITS[unit][1]:
        return (
            f"expected a count, found a percentage (the unit {unit}) for '{what}'",
            f"'{what}' 应为人数/个数，却是百分比（单位 {unit}）",
        )
    base = unit[1:] if unit[:1] in _SCALES and len(unit) > 1 else unit
    fits = count_units(*labels)
    if base in _SCALES or fits is None or base in fits:
        return None
    return (
        f"the unit {unit} does not fit '{what}': expected a number of {' or '.join(fits)} "
        "(万 or 千 before them scale it)",
        f"单位“{unit}”与'{what}'不符：应为数字，可带单位 {'、'.join(fits)}（前加 万 或 千 表示倍数）",
    )


# ------------------------------------------------------------------------------ columns

#: Headers that are known but deliberately not read, with the reason shown to the user.
KNOWN_IGNORED: dict[str, tuple[str, str]] = {
    "序号": ("row number", "序号列"),
    "编制床位": (
        "编制床位 (authorised beds) is not read; beds are 实有床位 (beds in use)",
        "编制床位不读取；床位数按实有床位计",
    ),
    "合计": ("total column", "合计列"),
    "户籍人口": (
        "registered population (户籍人口) is not read; populations are resident (常住人口)",
        "户籍人口不读取；人口按常住人口计",
    ),
    "乡村医生": (
        "village doctors (乡村医生) are not licensed physicians (执业（助理）医师)",
        "乡村医生不计入执业（助理）医师",
    ),
    "备注": ("remarks", "备注"),
    "填报人": ("form filler", "填报人"),
    "联系电话": ("contact phone", "联系电话"),
    "联系人": ("contact person", "联系人"),
}

#: Columns given as parts that are summed: canonical column -> parts (headers of each part).
COMPOUND: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "facilities": {
        "physicians": (("执业医师", "执业医师数"), ("执业助理医师", "助理医师", "执业助理医师数")),
        "tcm_physicians": (
            ("中医类别执业医师", "中医执业医师"),
            ("中医类别执业助理医师", "中医执业助理医师", "中医助理医师"),
        ),
    },
}

#: Words a table's own headers may start with (``医联体编号`` = the alliance's ``编号``).
SUBJECTS: dict[str, tuple[str, ...]] = {
    "townships": ("乡镇", "街道"),
    "villages": ("村", "社区"),
    "facilities": (
        "医疗卫生机构",
        "医疗机构",
        "卫生机构",
        "机构",
        "单位",
        # a sheet of one type names its rows by the type (村卫生室名称)
        "村卫生室",
        "卫生室",
        "乡镇卫生院",
        "卫生院",
        "社区卫生服务中心",
        "社区卫生服务站",
        "服务站",
        "医院",
    ),
    "alliances": ("医联体", "医共体", "医疗联合体", "联合体", "医疗集团"),
    "sources": ("数据来源", "来源", "资料"),
    "timetable": ("工作", "实施"),
    "tasks": ("任务",),
}


_NUMBER_CELL = re.compile(r"^[+-]?[\d,，.]+%?$")
#: Rules of a reading that rests on a guess confirmed by the column's values.
GUESS_RULES = frozenset({"content", "composed", "pinyin", "near"})
#: Share of a column's values that must fit a meaning for the content to confirm it.
CONTENT_FIT = 0.9
#: Attribute words a header may add to a column's subject (``牵头单位`` + ``编号``).
_ATTRIBUTES = re.compile(r"(?:编号|编码|代码|id|号|名称|名字|全称|简称)$")
#: Headers of one cell holding both coordinates (``经纬度``: ``115.95,25.50``).
_PAIR_HEADER = re.compile(
    r"^(?:经纬度|经纬度坐标|坐标|位置坐标|gps坐标|gps|地理坐标|lnglat|lonlat|latlon|经度纬度|经度,纬度|经度/纬度|纬度,经度|纬度/经度)$"
)
#: A content check: (column name, or ``lonlat``/``latlon`` for a pair, position) -> share of fit.
Fit = Callable[[str, int], float]


@dataclass(frozen=True)
class ColumnMatch:
    """How one header cell was read.

    Attributes
    ----------
    position : int
        0-based column index in the sheet.
    written : str
        The header as written.
    column : str or None
        Canonical column (``None``: ignored).
    rule : str
        ``exact``, ``synonym``, ``map`` (from a column map), ``part`` (one part of a sum),
        ``pair`` (one number of a ``lon,lat`` cell), ``fallback`` (a second column of the same
        meaning, read where the first is blank), ``ignored``, ``unknown``, or a guess
        confirmed by the column's values (:data:`GUESS_RULES`: ``content``, ``composed``,
        ``pinyin``, ``near``).
    note : str
        What the user should know (English / Chinese).
    scale : float
        Multiplier from the header's unit.
    percent : bool
        The header's unit is ``%``.
    split : int, optional
        For a ``pair``: which number of the cell (0 first, 1 second).
    """

    position: int
    written: str
    column: str | None
    rule: str
    note: str = ""
    scale: float = 1.0
    percent: bool = False
    split: int | None = None

    @property
    def guessed(self) -> bool:
        """Whether the reading rests on a guess (content, a composed or pinyin header)."""
        return self.rule in GUESS_RULES


@dataclass
class HeaderMatch:
    """The reading of one header row: a :class:`ColumnMatch` per non-empty cell, and problems.

    ``problems`` holds ``(severity, en, zh, written)`` tuples for the reader to locate.
    """

    columns: list[ColumnMatch] = field(default_factory=list)
    problems: list[tuple[str, str, str, str]] = field(default_factory=list)

    def known(self) -> int:
        """Count the header cells matched to a column."""
        return sum(1 for c in self.columns if c.column)


class Matcher:
    """Header matching for one table of the contract.

    Parameters
    ----------
    table : Table
        The contract table.
    extra : dict of str to str, optional
        Extra aliases ``header -> canonical column`` (from a column map).

    Examples
    --------
    >>> from tcmcounty.schema import FACILITIES
    >>> m = Matcher(FACILITIES)
    >>> m.lookup("机构类别"), m.lookup("是否设置中医馆"), m.lookup("所属村（社区）代码")
    ('type', 'has_tcm_hall', 'village_code')
    """

    def __init__(self, table: Table, extra: dict[str, str] | None = None) -> None:
        self.table = table
        self._keys: dict[str, set[str]] = {}
        self._literal: dict[str, str] = {}
        for col in table.columns:
            for h in col.headers():
                self._literal[normalise(h)] = col.name
                self._add(key(h), col.name)
        self._names = frozenset(c.name for c in table.columns)
        for h, col_name in (extra or {}).items():
            self._literal[normalise(h)] = col_name
        self._parts: dict[str, tuple[str, int]] = {}
        for target, parts in COMPOUND.get(table.name, {}).items():
            for i, names in enumerate(parts):
                for n in names:
                    self._parts[key(n)] = (target, i)

    def _add(self, k: str, col: str) -> None:
        if not k:
            return
        self._keys.setdefault(k, set()).add(col)
        for subject in SUBJECTS.get(self.table.name, ()):
            if k.startswith(subject) and len(k) > len(subject):
                self._keys.setdefault(k[len(subject) :], set()).add(col)

    def candidates(self, header: str) -> set[str]:
        """Columns the header may mean (empty when unknown, several when ambiguous)."""
        n = normalise(header)
        if n in self._literal:
            return {self._literal[n]}
        k = key(header)
        found = self._keys.get(k)
        if found:
            return set(found)
        for subject in SUBJECTS.get(self.table.name, ()):
            if k.startswith(subject):
                rest = re.sub(r"^\([^()]*\)", "", k[len(subject) :])  # 卫生院(中心)名称
                if rest in self._keys:
                    return set(self._keys[rest])
        return set()

    def lookup(self, header: str) -> str | None:
        """Return the single column a header means, or ``None`` (unknown or ambiguous)."""
        found = self.candidates(header)
        return next(iter(found)) if len(found) == 1 else None

    def recognise(self, header: str) -> str | None:
        """Return the column a header most likely means, by its words alone, or ``None``.

        A plain header, a part of a sum, or a composed or pinyin header with one meaning: what
        finding a header row and recognising a sheet by its headers use (the values confirm a
        guess later, in :meth:`match`).

        Examples
        --------
        >>> from tcmcounty.schema import FACILITIES
        >>> m = Matcher(FACILITIES)
        >>> m.recognise("jgmc"), m.recognise("机构分类代码"), m.recognise("执业助理医师")
        ('name', 'type', 'physicians')
        """
        found = self.candidates(header)
        if len(found) == 1:
            col = next(iter(found))
            if col not in self._names:
                return None  # a column map naming no column: reported by match()
            return None if _count_of(normalise(header), self.table.column(col)) else col
        if found:
            return None
        part = self.part(header)
        if part is not None:
            return part[0]
        for guesses in (self.composed(header), self.pinyin(header)):
            if len(guesses) == 1:
                return next(iter(guesses))
        return None

    def part(self, header: str) -> tuple[str, int] | None:
        """Return ``(column, part index)`` when the header is one part of a summed column.

        Pinyin initials count too: ``zyys`` (执业医师) and ``zyzlys`` (执业助理医师) are the
        two parts of physicians.
        """
        found = self._parts.get(key(header))
        if found is None:
            n = normalise(header).replace("_", "")
            if _initials_like(n):
                found = _part_initials(self.table.name).get(n)
        if found is None:
            spelled = _spelled_key(header)
            if spelled:
                found = _part_spelled(self.table.name).get(spelled)
        return found

    def near(self, header: str) -> list[str]:
        """Known headers close to an unknown one (for "did you mean")."""
        k = key(header)
        if len(k) < 2:
            return []
        close = difflib.get_close_matches(k, list(self._keys), n=3, cutoff=0.8)
        return sorted({c for m in close for c in self._keys[m]})

    def score(self, cells: list[str]) -> int:
        """Score a row as this table's header: known headers, less cells that look like data.

        A data row may hold a cell that happens to be a header (``Y`` is an alias of ``lat``);
        its numbers count against it, so the whole row decides, not one cell.
        """
        known = sum(1 for c in cells if c and self.recognise(c))
        numbers = sum(1 for c in cells if c and _NUMBER_CELL.match(c))
        return known - numbers

    def match(
        self,
        cells: list[str],
        overrides: dict[str, str] | None = None,
        ignore: tuple[str, ...] = (),
        fit: Fit | None = None,
        summed: dict[str, str] | None = None,
    ) -> HeaderMatch:
        """Read a header row: one :class:`ColumnMatch` per cell, then sums and duplicates.

        Parameters
        ----------
        cells : list of str
            The header cells as written (``""`` for empty).
        overrides : dict, optional
            ``header as written -> canonical column`` from a column map; always wins.
        ignore : tuple of str
            Headers the user chose to ignore.
        fit : callable, optional
            ``fit(column, position)``: the share of the values under ``position`` that fit
            ``column`` (see :func:`tcmcounty.inputs.cells.content_fit`). With it, a header that
            is a near miss, a composition (``牵头单位编号``), pinyin initials (``jgmc``) or
            ambiguous is read when its values confirm exactly one meaning; a header that says
            nothing is read only when its values are distinctive (codes, a ``lon,lat`` pair).
        summed : dict, optional
            ``header -> column`` of headers a column map sums into one column.

        Returns
        -------
        HeaderMatch

        Examples
        --------
        >>> from tcmcounty.schema import ALLIANCES
        >>> hm = Matcher(ALLIANCES).match(["医联体名称", "牵头单位编号"], fit=lambda c, p: 1.0)
        >>> [(c.column, c.rule) for c in hm.columns]
        [('name', 'synonym'), ('lead_facility_id', 'composed')]
        """
        out = HeaderMatch()
        mapped = {normalise(k): v for k, v in (overrides or {}).items()}
        ignored = {normalise(i) for i in ignore}
        sums = {normalise(k): v for k, v in (summed or {}).items()}
        for pos, written in enumerate(cells):
            if written and normalise(written) in sums:
                hp = parse_header(written)
                out.columns.append(
                    ColumnMatch(pos, written, sums[normalise(written)], "part", "", hp.scale)
                )
                continue
            if written:
                matches, problem = self._match_cell(pos, written, mapped, ignored, fit)
                out.columns.extend(matches)
                if problem is not None:
                    out.problems.append(problem)
        self._eliminate(out, fit)
        self._merge_parts(out)
        _check_duplicates(out)
        return out

    def _match_cell(
        self,
        pos: int,
        written: str,
        mapped: dict[str, str],
        ignored: set[str],
        fit: Fit | None,
    ) -> tuple[list[ColumnMatch], tuple[str, str, str, str] | None]:
        """Read one header cell: map, ignore, exact or synonym, part of a sum, guess, or refuse."""
        hp = parse_header(written)
        n = normalise(written)
        if n in ignored:
            return [
                ColumnMatch(pos, written, None, "ignored", "column map: ignore / 按列映射忽略")
            ], None
        if n in mapped:
            return self._mapped(pos, written, mapped[n], hp)
        found = self.candidates(written)
        if len(found) == 1 and next(iter(found)) not in self._names:
            found = set()
        if len(found) == 1 and _count_of(n, self.table.column(next(iter(found)))):
            col = next(iter(found))
            return [
                ColumnMatch(
                    pos,
                    written,
                    None,
                    "ignored",
                    f"a count of {col}, not {col} itself / 为 {col} 的个数，不是其本身",
                )
            ], None
        if len(found) == 1:
            col = next(iter(found))
            exact = n in {normalise(h) for h in self.table.column(col).headers()}
            note = ""
            if hp.scale != 1.0:
                note = f"unit {hp.unit}: values × {hp.scale:,.0f} / 单位{hp.unit}，数值乘以 {hp.scale:,.0f}"
            rule = "exact" if exact else "synonym"
            return [ColumnMatch(pos, written, col, rule, note, hp.scale, hp.percent)], None
        if len(found) > 1:
            chosen = _confirmed(found, pos, fit)
            if chosen is not None:
                return [self._guess(pos, written, chosen, "content", found, fit, hp)], None
            names = ", ".join(sorted(found))
            return [ColumnMatch(pos, written, None, "ambiguous")], (
                "error",
                f"ambiguous header: it may mean {names}; say which in a column map "
                f'(tcmcounty inspect FILE --write-map, then edit "{written}" = "…")',
                f"表头有歧义：可能是 {names}；请在列映射文件中指定（tcmcounty inspect 文件 --write-map）",
                written,
            )
        part = self.part(written)
        if part is not None:
            return [ColumnMatch(pos, written, part[0], "part", "", hp.scale)], None
        if not n:  # 序号, a bare number: a row-number column
            return [ColumnMatch(pos, written, None, "ignored", "row number / 序号列")], None
        ignored_as = _known_ignored(written)
        if ignored_as is not None:
            en, zh = KNOWN_IGNORED[ignored_as]
            return [ColumnMatch(pos, written, None, "ignored", f"{en} / {zh}")], None
        pair = self._pair(pos, written, fit)
        if pair:
            return pair, None
        for rule, guesses in (
            ("composed", self.composed(written)),
            ("pinyin", self.pinyin(written)),
        ):
            if not guesses:
                continue
            chosen = _confirmed(guesses, pos, fit) if fit else None
            if chosen is None and fit is None and len(guesses) == 1:
                chosen = next(iter(guesses))
            if chosen is not None:
                return [self._guess(pos, written, chosen, rule, guesses, fit, hp)], None
            names = ", ".join(sorted(guesses))
            return [ColumnMatch(pos, written, None, "ambiguous")], (
                "error",
                f"header read as {names} ({rule}), but the values under it do not fit "
                f"{'it' if len(guesses) == 1 else 'exactly one of them'}: say what it is in a "
                f'column map ("{written}" = "{sorted(guesses)[0]}") or ignore it',
                f"表头像是 {names}，但该列的内容不符：请在列映射文件中指定或忽略",
                written,
            )
        near = self.near(written)
        # a near miss is read only where values can tell meanings apart (flags, codes, classes,
        # coordinates, dates): any count fits a count column, so 实际开放床位 still stops
        specific = {
            n for n in near if self.table.column(n).kind not in ("int", "float", "text", "ids")
        }
        if specific and fit is not None:
            chosen = _confirmed(specific, pos, fit)
            if chosen is not None:
                return [self._guess(pos, written, chosen, "near", set(near), fit, hp)], None
        if not near and fit is not None:
            distinctive = {c.name for c in self.table.columns if _distinctive(c)}
            chosen = _confirmed(distinctive, pos, fit)
            if chosen is not None:
                return [self._guess(pos, written, chosen, "content", set(), fit, hp)], None
        if near:
            names = ", ".join(near)
            return [ColumnMatch(pos, written, None, "ambiguous")], (
                "error",
                f"header not recognised; it looks like {names} but is not the same, and the "
                f'values under it do not confirm it: say what it is in a column map ("{written}" '
                f'= "{near[0]}") or ignore it (ignore = ["{written}"])',
                f"表头无法确认：与 {names} 相近但不相同，该列内容也无法确认；请在列映射文件中指定或忽略",
                written,
            )
        return [
            ColumnMatch(pos, written, None, "unknown", "unknown column ignored / 未知列，已忽略")
        ], None

    def _eliminate(self, out: HeaderMatch, fit: Fit | None) -> None:
        """Read an ambiguous guess whose other meanings the row's other headers already take.

        ``zyg`` may be 中医馆 or 中医阁 (both zyg); beside ``zyge`` (中医阁) it is 中医馆.
        """
        for i, c in enumerate(out.columns):
            if c.rule != "ambiguous":
                continue
            guesses = self.composed(c.written) or self.pinyin(c.written)
            taken = {o.column for o in out.columns if o.column and o is not c}
            left = guesses - taken
            if len(guesses) < 2 or len(left) != 1:
                continue
            col = next(iter(left))
            if fit is not None and fit(col, c.position) < CONTENT_FIT:
                continue
            others = ", ".join(sorted(guesses & taken))
            note = (
                f"guess: {col} (the other meaning, {others}, is another header of this row) "
                f"/ 推断为 {self.table.column(col).zh}（另一含义已由本行其他表头占用）"
            )
            rule = "pinyin" if self.pinyin(c.written) else "composed"
            out.columns[i] = ColumnMatch(c.position, c.written, col, rule, note)
            out.problems = [p for p in out.problems if p[3] != c.written or p[0] != "error"]

    def _mapped(
        self, pos: int, written: str, target: str, hp: HeaderParts
    ) -> tuple[list[ColumnMatch], tuple[str, str, str, str] | None]:
        """Read a header the column map names: a column, or ``lon,lat`` / ``lat,lon`` (a pair)."""
        valid = sorted(c.name for c in self.table.columns)
        pair = [p.strip() for p in target.split(",")]
        if len(pair) == 2 and set(pair) == {"lon", "lat"} and {"lon", "lat"} <= set(valid):
            note = f"one cell holds {target} / 一个单元格含经度与纬度"
            return [
                ColumnMatch(pos, written, pair[0], "pair", note, split=0),
                ColumnMatch(pos, written, pair[1], "pair", note, split=1),
            ], None
        if target in valid:
            return [ColumnMatch(pos, written, target, "map", "", hp.scale, hp.percent)], None
        return [], (
            "error",
            f"column map names an unknown column {target!r}; valid: {', '.join(valid)}",
            f"列映射中的列名 {target!r} 无效；可用：{', '.join(valid)}",
            written,
        )

    def _guess(
        self,
        pos: int,
        written: str,
        column: str,
        rule: str,
        candidates: set[str],
        fit: Fit | None,
        hp: HeaderParts,
    ) -> ColumnMatch:
        """Return a reading resting on a guess, with its evidence in words."""
        share = f"{fit(column, pos):.0%}" if fit is not None else ""
        zh = self.table.column(column).zh
        why = {
            "content": "its values",
            "composed": "header = subject + attribute",
            "pinyin": "pinyin initials",
            "near": "header close to a known one",
        }[rule]
        why_zh = {
            "content": "按列内容",
            "composed": "表头由主体加属性组成",
            "pinyin": "拼音首字母",
            "near": "表头与已知表头相近",
        }[rule]
        others = sorted(candidates - {column})
        en = f"guess: {column} ({why}"
        zh_note = f"推断为 {zh}（{why_zh}"
        if share:
            en += f"; {share} of its values fit"
            zh_note += f"；{share} 的取值相符"
        if others:
            en += f"; not {', '.join(others)}"
        note = f"{en}) / {zh_note}）"
        return ColumnMatch(pos, written, column, rule, note, hp.scale, hp.percent)

    def _pair(self, pos: int, written: str, fit: Fit | None) -> list[ColumnMatch]:
        """Two matches (lon, lat) for one cell holding both coordinates, when content says so."""
        names = {c.name for c in self.table.columns}
        if not {"lon", "lat"} <= names or fit is None:
            return []
        header_says = bool(_PAIR_HEADER.match(normalise(written)))
        for order in ("lonlat", "latlon"):
            share = fit(order, pos)
            if share >= CONTENT_FIT and (header_says or share >= 0.99):
                first, second = ("lon", "lat") if order == "lonlat" else ("lat", "lon")
                note = (
                    f"one cell holds {first},{second} ({share:.0%} of the values) "
                    f"/ 一个单元格含{'经度、纬度' if order == 'lonlat' else '纬度、经度'}"
                )
                return [
                    ColumnMatch(pos, written, first, "pair", note, split=0),
                    ColumnMatch(pos, written, second, "pair", note, split=1),
                ]
        return []

    def composed(self, header: str) -> set[str]:
        """Columns a header composed of a known subject and an attribute may mean.

        ``牵头单位编号`` is ``牵头单位`` (lead_facility_id) + ``编号``; ``机构分类代码`` is
        ``机构分类`` (type) + ``代码``; ``中医药服务`` is read through the flag ``提供中医药服务``.

        Examples
        --------
        >>> from tcmcounty.schema import ALLIANCES, FACILITIES
        >>> Matcher(ALLIANCES).composed("牵头单位编号"), Matcher(FACILITIES).composed("机构分类代码")
        ({'lead_facility_id'}, {'type'})
        """
        k = key(header)
        out: set[str] = set()
        stem = _ATTRIBUTES.sub("", k)
        if stem and stem != k:
            out |= self.candidates(stem) or self._keys.get(stem, set())
        # the end of exactly one known header (中医药服务 ⊂ 提供中医药服务), or its start
        # (提供中医药 ⊂ 提供中医药服务)
        for part_of, shortest in ((str.endswith, 3), (str.startswith, 4)):
            if not out and len(k) >= shortest:
                found = {
                    c
                    for h, cols in self._keys.items()
                    if len(h) > len(k) and part_of(h, k)
                    for c in cols
                }
                if len(found) == 1:
                    out |= found
        return out

    def pinyin(self, header: str) -> set[str]:
        """Columns whose header is in pinyin: initials (``jgmc``) or in full (``jigou_mingcheng``).

        Pinyin in full is read word by word (``_``, ``-`` or a space between words), with the
        word synonyms of :data:`SYNONYMS` (``jigou_leibie`` 机构类别 is 机构类型); the end of one
        known header counts too (``zhongyi_fuwu`` of 提供中医服务).

        Examples
        --------
        >>> from tcmcounty.schema import FACILITIES
        >>> sorted(Matcher(FACILITIES).pinyin("cwzs"))
        ['beds']
        >>> m = Matcher(FACILITIES)
        >>> m.pinyin("jigou_mingcheng"), m.pinyin("jigou_leibie"), m.pinyin("zhongyi_fuwu")
        ({'name'}, {'type'}, {'provides_tcm'})
        """
        k = normalise(header).replace("_", "")
        spelled = _spelled_key(header)
        whole, ends = _spelled(self.table.name) if spelled else ({}, {})
        if not _initials_like(k):
            return set(whole.get(spelled, ends.get(spelled, set()))) if spelled else set()
        exact = set(_initials(self.table.name).get(k, set()))
        if exact or len(k) < 3:
            return exact
        if spelled and spelled in whole:  # pinyin in full: zhongyige (中医阁), jingdu (经度)
            return set(whole[spelled])
        # an abbreviation of the end of one header: zyfw (中医服务) of tgzyfw (提供中医服务)
        found = {c for h, cols in _initials(self.table.name).items() if h.endswith(k) for c in cols}
        return found or (set(ends.get(spelled, set())) if spelled else set())

    def _merge_parts(self, out: HeaderMatch) -> None:
        """Note columns given as parts of a sum; never add parts to the column itself."""
        targets = dict.fromkeys(c.column for c in out.columns if c.rule == "part")
        for target in targets:
            parts = [c for c in out.columns if c.column == target and c.rule == "part"]
            whole = [c for c in out.columns if c.column == target and c.rule != "part"]
            labels = " + ".join(c.written for c in parts)
            if whole:
                used = whole[0].written
                out.problems.append(
                    (
                        "warning",
                        f"'{used}' is used; {labels} not added to it",
                        f"使用 '{used}'；{labels} 不再相加",
                        labels,
                    )
                )
                note, rule, column = f"'{used}' is used", "ignored", None
            else:
                zh = self.table.column(target).zh  # type: ignore[arg-type]
                known_parts = COMPOUND.get(self.table.name, {}).get(target)  # type: ignore[arg-type]
                complete = known_parts is None or len(parts) == len(known_parts)
                note = (
                    f"{labels} summed into {target} / {labels} 相加为 {zh}"
                    if complete
                    else f"only {labels} given: read as {target}, which may then be too low "
                    f"/ 仅有 {labels}：按 {zh} 读取，可能偏低"
                )
                out.problems.append(("info" if complete else "warning", note, note, labels))
                rule, column = "part", target
            out.columns = [
                ColumnMatch(c.position, c.written, column, rule, note, c.scale) if c in parts else c
                for c in out.columns
            ]


_COUNT_SUFFIX = re.compile(r"(?:个数|数量|总数|人数|家数|数)$")


def _count_of(normalised: str, col: Column) -> bool:
    """Whether a header is the number of something whose column is not a count (成员单位数)."""
    return col.kind in ("ids", "text", "code") and bool(_COUNT_SUFFIX.search(normalised))


def _confirmed(candidates: set[str], pos: int, fit: Fit | None) -> str | None:
    """Return the one candidate the values fit (at least :data:`CONTENT_FIT`), or ``None``."""
    if fit is None or not candidates:
        return None
    fitting = [c for c in sorted(candidates) if fit(c, pos) >= CONTENT_FIT]
    return fitting[0] if len(fitting) == 1 else None


def _distinctive(col: Column) -> bool:
    """Columns whose values alone say what they are (codes of a fixed length, facility classes)."""
    return (col.kind == "code" and col.digits in (9, 12)) or col.vocabulary == "facility_type"


@functools.cache
def _initials(table: str) -> dict[str, frozenset[str]]:
    """Pinyin initials of every accepted header of a table -> the columns they mean."""
    from pypinyin import Style, lazy_pinyin

    from tcmcounty.schema import TABLES

    out: dict[str, set[str]] = {}
    for col in TABLES[table].columns:
        for h in col.headers():
            n = normalise(h)
            if n.isascii():
                continue
            k = parse_header(h).key
            texts = {n, k} | ({k + "数", k + "总数"} if col.kind == "int" else set())
            for text in texts:
                first = lazy_pinyin(text, style=Style.FIRST_LETTER)
                # initials, and initials with the last syllable in full (中医阁 zyge, 中医馆 zyguan)
                for syllables in (first, [*first[:-1], *lazy_pinyin(text[-1:])]):
                    letters = re.sub(r"[^a-z]", "", "".join(syllables).lower())
                    if len(letters) >= 2:
                        out.setdefault(letters, set()).add(col.name)
    parts = _part_initials(table)
    for letters, targets in out.items():
        if letters in parts:  # 执业(助理)医师 and 执业助理医师 are both zyzlys: the part is read
            targets.discard(parts[letters][0])
    return {k: frozenset(v) for k, v in out.items() if v}


@functools.cache
def _part_initials(table: str) -> dict[str, tuple[str, int]]:
    """Pinyin initials of the parts of summed columns (``zyys`` -> physicians, part 0)."""
    from pypinyin import Style, lazy_pinyin

    out: dict[str, tuple[str, int]] = {}
    for target, parts in COMPOUND.get(table, {}).items():
        for i, names in enumerate(parts):
            for n in names:
                letters = "".join(lazy_pinyin(key(n), style=Style.FIRST_LETTER)).lower()
                letters = re.sub(r"[^a-z]", "", letters)
                if len(letters) >= 2:
                    out.setdefault(letters, (target, i))
    return out


def _initials_like(text: str) -> bool:
    """Whether a header looks like pinyin initials (``jgmc``, ``cwzs``)."""
    return text.isascii() and text.isalpha() and 2 <= len(text) <= 10


_SPELLED = re.compile(r"^[a-z]+(?:[_\s-]+[a-z]+)*$")


def _spelled_key(header: str) -> str | None:
    """Return a header in pinyin in full as one word, its words' synonyms applied, or ``None``.

    ``None`` unless the header is ASCII letters (words separated by ``_``, ``-`` or spaces) of
    at least four letters; a word that is the pinyin of a synonym (``leibie`` 类别) becomes the
    pinyin of its meaning (``leixing`` 类型).

    Examples
    --------
    >>> _spelled_key("jigou_leibie"), _spelled_key("ZhongYiGuan"), _spelled_key("中医馆")
    ('jigouleixing', 'zhongyiguan', None)
    """
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    if not _SPELLED.match(text):
        return None
    words = [_word_synonyms().get(w, w) for w in re.split(r"[_\s-]+", text)]
    joined = "".join(words)
    return joined if len(joined) >= 4 else None


def _spell(text: str) -> list[str]:
    """Return the syllables of a Chinese text in pinyin, letters only (``中医馆`` -> zhong, yi, guan)."""
    from pypinyin import lazy_pinyin

    return [re.sub(r"[^a-z]", "", s.lower()) for s in lazy_pinyin(text)]


@functools.cache
def _word_synonyms() -> dict[str, str]:
    """Pinyin of the plain words of :data:`SYNONYMS` -> pinyin of their meaning (leibie -> leixing)."""
    out: dict[str, str] = {}
    for pattern, repl in SYNONYMS:
        if not re.fullmatch(r"[\u4e00-\u9fff|]+", pattern) or not repl:
            continue
        for word in pattern.split("|"):
            out.setdefault("".join(_spell(word)), "".join(_spell(repl)))
    return out


@functools.cache
def _spelled(table: str) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Pinyin in full of every accepted header of a table -> columns; and of their ends.

    The ends are the last two or more syllables of a header (中医服务 of 提供中医服务); an end
    that is itself a whole header is left to it.
    """
    from tcmcounty.schema import TABLES

    whole: dict[str, set[str]] = {}
    ends: dict[str, set[str]] = {}
    columns = TABLES[table].columns if table in TABLES else ()  # (the county sheet's items)
    for col in columns:
        for h in col.headers():
            if normalise(h).isascii():
                continue
            for text in {normalise(h), key(h)}:
                syllables = [s for s in _spell(text) if s]
                whole.setdefault("".join(syllables), set()).add(col.name)
                for i in range(1, len(syllables) - 1):
                    ends.setdefault("".join(syllables[i:]), set()).add(col.name)
    parts = _part_spelled(table)
    for spelled, targets in whole.items():
        if spelled in parts:
            targets.discard(parts[spelled][0])
    return (
        {k: frozenset(v) for k, v in whole.items() if v},
        {k: frozenset(v) for k, v in ends.items() if v and k not in whole},
    )


@functools.cache
def _part_spelled(table: str) -> dict[str, tuple[str, int]]:
    """Pinyin in full of the parts of summed columns (``zhiyeyishi`` -> physicians, part 0)."""
    out: dict[str, tuple[str, int]] = {}
    for target, parts in COMPOUND.get(table, {}).items():
        for i, names in enumerate(parts):
            for n in names:
                out.setdefault("".join(_spell(key(n))), (target, i))
    return out


def _known_ignored(header: str) -> str | None:
    """Return the :data:`KNOWN_IGNORED` entry a header is, also in pinyin (``xiangcun_yisheng``).

    Examples
    --------
    >>> _known_ignored("乡村医生"), _known_ignored("xiangcun_yisheng"), _known_ignored("床位")
    ('乡村医生', '乡村医生', None)
    """
    hp, n = parse_header(header), normalise(header)
    for k in (hp.key, n):
        if k in KNOWN_IGNORED:
            return k
    spelled = _spelled_key(header)
    if spelled is None:
        return None
    return next((k for k in KNOWN_IGNORED if "".join(_spell(k)) == spelled), None)


def _check_duplicates(out: HeaderMatch) -> None:
    """Two headers that mean one column: an error naming both, unless one is only a guess.

    A column read by a guess (or as one half of a ``lon,lat`` pair) that another header names
    plainly, or that an earlier guess already takes, becomes its ``fallback``: read only where
    the first is blank (a WS 218 code column beside a 机构类别 column, say); so does a second
    header the column map names for one column. Two plain headers stay an error.
    """

    def soft(c: ColumnMatch) -> bool:
        return c.guessed or c.rule == "pair"

    first: dict[str, ColumnMatch] = {}
    plain = {c.column: c for c in reversed(out.columns) if c.column and not soft(c)}
    for i, c in enumerate(out.columns):
        if c.column is None or c.rule == "part":
            continue
        earlier = first.get(c.column)
        if c.rule == "map" and earlier is not None and earlier.rule == "map":
            primary, why = earlier, "the column map names a second header for it"
        elif soft(c) and c.column in plain:
            primary, why = plain[c.column], "also means it"
        elif soft(c) and earlier is not None and soft(earlier):
            primary, why = earlier, "also means it"
        elif earlier is not None:
            out.problems.append(
                (
                    "error",
                    f"duplicate column: '{earlier.written}' and '{c.written}' both mean "
                    f"'{c.column}'; say which in a column map (ignore the other)",
                    f"重复的列：'{earlier.written}' 与 '{c.written}' 都表示 '{c.column}'",
                    c.written,
                )
            )
            continue
        else:
            first[c.column] = c
            continue
        note = (
            f"{c.column}: {why}; read only where '{primary.written}' is blank "
            f"/ 同为该列：仅在 '{primary.written}' 为空时使用"
        )
        out.columns[i] = ColumnMatch(
            c.position, c.written, c.column, "fallback", note, c.scale, c.percent, c.split
        )
        out.problems.append(("info", note, note, c.written))


# ------------------------------------------------------------------------------ sheets


def sheet_key(name: str) -> str:
    """Normalise a sheet name (numbering, brackets, ``表``/``情况``/``名册`` suffixes removed).

    Examples
    --------
    >>> sheet_key("一、县基本情况") == sheet_key("县基本情况")
    True
    >>> sheet_key("四、医疗卫生机构名册表")
    '医疗卫生机构'
    """
    s = _meaning(normalise(name))
    s = re.sub(r"^(?:附表|表)\d*[-—.、]?", "", s)
    for _ in range(2):
        s = re.sub(
            r"(?:一览表|统计表|登记表|信息表|明细表|清单|名册|名单|汇总|列表|表|情况|信息|基本信息)$",
            "",
            s,
        )
    s = re.sub(r"\([^()]*\)$", "", s) or s
    return s.strip("()")
