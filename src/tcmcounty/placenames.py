"""Chinese place, facility and alliance names in Latin letters, for the English reports.

One rule, in one place (:func:`place_pinyin`), used wherever an English report shows a name
from the county's data (townships, villages, facilities, alliances, the county itself).

The style is that of GB/T 30240.1-2013 (English in public services, general rules) for place
names, built on GB/T 16159-2012 (Hanyu Pinyin orthography): the *specific* part of a name (专名)
is written in Hanyu Pinyin, its syllables joined into one word with a capital initial and tone
marks left out (``岳阳`` → ``Yueyang``, ``西安`` → ``Xi'an``); the *generic* part (通名: 县, 镇,
乡, 村, 卫生院, 医共体 …) is translated (``岳阳镇`` → ``Yueyang Town``). Translating the
generic tells a reader who has no Chinese what kind of unit a row is (a town, a village, a
health centre), which a pinyin generic (``Yueyang Zhen``) would not; it is also how the
counties themselves write their names in English (``Anyue County``). Only the generics of
:data:`GENERICS` are translated: anything else stays in pinyin, so an unknown name still comes
out as its reading. The report shows the characters beside this text, so that planners and
reviewers still recognise the name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import cast

__all__ = ["GENERICS", "ORGANISATIONS", "READINGS", "place_pinyin"]

#: Generic parts of names (通名) and their English, longest first when they overlap. A
#: one-character generic (县, 镇, 村 …) is read as one only after a specific part, so that
#: ``镇子镇`` is ``Zhenzi Town``; longer ones may follow another generic
#: (``安岳县两板桥镇卫生院`` → ``Anyue County Liangbanqiao Town Health Centre``).
GENERICS: dict[str, str] = {
    # administrative areas
    "省": "Province",
    "市": "City",
    "县": "County",
    "区": "District",
    "镇": "Town",
    "乡": "Township",
    "街道": "Subdistrict",
    "村": "Village",
    "社区": "Community",
    "居民委员会": "Residents' Committee",
    "居委会": "Residents' Committee",
    "村民委员会": "Villagers' Committee",
    "村委会": "Villagers' Committee",
    # facilities
    "县中医医院": "County TCM Hospital",
    "县中医院": "County TCM Hospital",
    "县人民医院": "County People's Hospital",
    "中医医院": "TCM Hospital",
    "中医院": "TCM Hospital",
    "中西医结合医院": "Integrated Chinese and Western Medicine Hospital",
    "人民医院": "People's Hospital",
    "医院": "Hospital",
    "妇幼保健院": "Maternal and Child Health Hospital",
    "妇幼保健计划生育服务中心": "Maternal and Child Health and Family Planning Centre",
    "中心卫生院": "Central Health Centre",
    "卫生院": "Health Centre",
    "社区卫生服务中心": "Community Health Centre",
    "社区卫生服务站": "Community Health Station",
    "卫生服务中心": "Health Centre",
    "卫生服务站": "Health Station",
    "村卫生室": "Village Clinic",
    "卫生室": "Clinic",
    "中医诊所": "TCM Clinic",
    "诊所": "Clinic",
    "中医门诊部": "TCM Outpatient Department",
    "门诊部": "Outpatient Department",
    # alliances
    "牵头县域医共体": "-led County Medical Community",
    "牵头医共体": "-led Medical Community",
    "牵头医联体": "-led Medical Alliance",
    "县域医共体": "County Medical Community",
    "医共体": "Medical Community",
    "医联体": "Medical Alliance",
    "医疗集团": "Medical Group",
}

#: Government bodies that a plan names as responsible units (牵头单位, 配合单位), and their
#: offices. A county's plan writes its own bodies without the county's name (县卫生健康局), so
#: each is also a generic with 县 in front (``County Health Bureau``); after a place name the
#: plain form serves (``安岳县卫生健康局`` → ``Anyue County Health Bureau``).
ORGANISATIONS: dict[str, str] = {
    "卫生健康局": "Health Bureau",
    "卫健局": "Health Bureau",
    "卫生健康委员会": "Health Commission",
    "中医药管理局": "Administration of Traditional Chinese Medicine",
    "医疗保障局": "Healthcare Security Bureau",
    "财政局": "Finance Bureau",
    "人力资源和社会保障局": "Human Resources and Social Security Bureau",
    "发展和改革局": "Development and Reform Bureau",
    "农业农村局": "Agriculture and Rural Affairs Bureau",
    "乡村振兴局": "Rural Revitalisation Bureau",
    "民政局": "Civil Affairs Bureau",
    "教育和体育局": "Education and Sports Bureau",
    "统计局": "Statistics Bureau",
    "信访局": "Letters and Calls Bureau",
    "市场监督管理局": "Market Regulation Administration",
    "自然资源和规划局": "Natural Resources and Planning Bureau",
    "文化广播电视和旅游局": "Culture, Radio, Television and Tourism Bureau",
    "经济科技信息化局": "Economy, Science, Technology and Informatisation Bureau",
    "融媒体中心": "Media Centre",
    "委": "Party Committee",
    "政府": "Government",
    "创建领导小组": "Creation Leading Group",
}
#: Offices of a body (``县委办公室`` → ``County Party Committee Office``).
OFFICES: dict[str, str] = {
    "办公室": "Office",
    "组织部": "Organisation Department",
    "宣传部": "Publicity Department",
    "外网办": "Website Office",
}
#: Units a plan names as a group rather than by name.
GROUPS: dict[str, str] = {
    "各相关部门": "All Relevant Departments",
    "各相关单位": "All Relevant Units",
    "各医疗机构": "All Medical Institutions",
    "乡镇卫生院": "Township Health Centres",
}
# one-character bodies (委) only with the county in front: 县委, never a bare 委
GENERICS.update({k: v for k, v in ORGANISATIONS.items() if len(k) > 1})
GENERICS.update({"县" + k: f"County {v}" for k, v in ORGANISATIONS.items()})
GENERICS.update(OFFICES)
GENERICS.update(GROUPS)

#: Readings of characters as place names use them where pypinyin's default is another one
#: (found in the bundled counties: ``卧佛`` Wofo, ``长屋`` Changwu, ``朝阳`` Chaoyang,
#: ``薯都`` Shudu).
READINGS: dict[str, str] = {"佛": "fo", "长": "chang", "朝": "chao", "都": "du"}

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LONGEST = max(map(len, GENERICS))


def _each_character(text: str) -> list[str]:
    """Keep what has no pinyin as its characters, one item each (``errors=`` of pypinyin)."""
    return list(text)


#: pypinyin takes a callback returning a list (its documentation); its stub says ``str``.
_EACH_CHARACTER = cast("Callable[[str], str]", _each_character)


def _syllables(text: str) -> list[str]:
    """Toneless pinyin of each character of ``text`` (ü kept), place-name readings first."""
    from pypinyin import Style, lazy_pinyin

    out = lazy_pinyin(text, style=Style.NORMAL, v_to_u=True, errors=_EACH_CHARACTER)
    if len(out) != len(text):  # one syllable per character is what errors=list gives
        return out
    return [READINGS.get(ch, py) for ch, py in zip(text, out, strict=True)]


def _word(text: str) -> str:
    """One specific part as one word: syllables joined, apostrophe before a, o, e, capitalised."""
    parts = _syllables(text)
    word = ""
    for i, s in enumerate(parts):
        if i and s[:1] in ("a", "o", "e") and _HAN.match(text[min(i, len(text) - 1)]):
            word += "'"
        word += s
    return word[:1].upper() + word[1:]


def _preference(option: tuple[int, int, tuple[tuple[str, bool], ...]]) -> tuple[int, bool, int]:
    """Rank a reading: most characters in generics, then a generic last, then fewest parts."""
    covered, parts, split = option
    return covered, bool(split) and split[-1][1], parts


@lru_cache(maxsize=4096)
def _parse(name: str) -> tuple[tuple[str, bool], ...]:
    """Split ``name`` into (part, is_generic) covering the most characters with generics."""
    n = len(name)

    def ok(i: int, j: int, after_specific: bool) -> bool:
        g = name[i:j]
        return g in GENERICS and (len(g) > 1 or after_specific)

    # states: position i and whether name[:i] ends in a specific part; solved by memo over both
    memo: dict[tuple[int, bool], tuple[int, int, tuple[tuple[str, bool], ...]]] = {}

    def solve(i: int, after_specific: bool) -> tuple[int, int, tuple[tuple[str, bool], ...]]:
        if i == n:
            return (0, 0, ())
        key = (i, after_specific)
        if key in memo:
            return memo[key]
        options = []
        for j in range(i + 1, min(n, i + _LONGEST) + 1):
            if ok(i, j, after_specific):
                cov, parts, rest = solve(j, False)
                options.append((cov + j - i, parts - 1, ((name[i:j], True), *rest)))
        # a specific part: one character, then on (merged with the next specific characters)
        cov, parts, rest = solve(i + 1, True)
        if rest and not rest[0][1]:
            options.append((cov, parts, ((name[i] + rest[0][0], False), *rest[1:])))
        else:
            options.append((cov, parts - 1, ((name[i], False), *rest)))
        memo[key] = max(options, key=_preference)
        return memo[key]

    return solve(0, False)[2]


def place_pinyin(name: str) -> str:
    """Write a Chinese place, facility, alliance or government body's name in Latin letters.

    The specific part is in Hanyu Pinyin (syllables joined, capitalised, no tone marks), the
    generic parts of :data:`GENERICS` in English; text without Chinese characters is returned
    unchanged. See the module docstring for why this style.

    Parameters
    ----------
    name : str
        The name as the data write it (``岳阳镇``, ``安岳县中医医院``).

    Returns
    -------
    str
        The name in Latin letters (``Yueyang Town``, ``Anyue County TCM Hospital``).

    Examples
    --------
    >>> place_pinyin("岳阳镇"), place_pinyin("镇子镇"), place_pinyin("卧佛镇")
    ('Yueyang Town', 'Zhenzi Town', 'Wofo Town')
    >>> place_pinyin("安岳县中医医院")
    'Anyue County TCM Hospital'
    >>> place_pinyin("安岳县人民医院牵头县域医共体")
    "Anyue County People's Hospital-led County Medical Community"
    >>> place_pinyin("西安"), place_pinyin("F512021-0001")
    ("Xi'an", 'F512021-0001')
    >>> place_pinyin("县卫生健康局"), place_pinyin("县委办公室")
    ('County Health Bureau', 'County Party Committee Office')
    """
    name = name.strip()
    if not _HAN.search(name):
        return name
    out = ""
    for part, generic in _parse(name):
        if not _HAN.search(part):
            text = part.strip()
        else:
            text = GENERICS[part] if generic else _word(part)
        if not text:
            continue
        out += text if (not out or text.startswith("-")) else " " + text
    return out
