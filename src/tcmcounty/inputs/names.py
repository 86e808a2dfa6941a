"""Folding the names of townships and villages: one rule for every comparison of names.

A name given in a county's file is compared with the NBS name of the unit, and with the names in
the county's other tables, after the same folding everywhere (the NBS look-ups of
:mod:`tcmcounty.inputs.nbs` and the references of :mod:`tcmcounty.inputs.references` both use it):

- the *short* name drops what names the office, not the place: ``人民政府``, ``办事处``
  (``岳城街道办事处`` → ``岳城街道``), and a village's committee (``村民委员会``, ``村委会``,
  ``居民委员会``, ``居委会``): the short name ends in its kind (``岳井村村民委员会`` → ``岳井村``,
  ``水东居委会`` → ``水东社区``); a kind written twice is once (``姚村村`` → ``姚村``, as NBS
  ``姚村村委会`` is);
- the *stem* also drops the kind (镇, 乡, 街道, 苏木, 村, 社区), for a name written without it
  (``郭家庄`` = ``郭家庄镇``).
"""

from __future__ import annotations

import unicodedata

#: Office suffixes of township names and what they are replaced with (short name).
_TOWNSHIP_OFFICES: tuple[tuple[str, str], ...] = (
    ("街道办事处", "街道"),
    ("地区办事处", "地区"),
    ("办事处", ""),
)
#: Type suffixes removed from a township's short name to give its stem.
_TOWNSHIP_KIND_SUFFIXES: tuple[str, ...] = ("街道", "地区", "苏木", "镇", "乡")
#: Committee suffixes of village names (longest first) and the kind suffix they stand for.
_VILLAGE_COMMITTEES: tuple[tuple[str, str], ...] = (
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("牧民委员会", ""),
    ("牧委会", ""),
    ("委员会", ""),
)
_VILLAGE_KIND_SUFFIXES: tuple[str, ...] = ("社区", "村")


def _clean(name: object) -> str:
    """NFKC, no spaces, ASCII brackets."""
    s = unicodedata.normalize("NFKC", str(name)).strip()
    return "".join(s.split())


def short_township_name(name: str) -> str:
    """Return a township name without 人民政府 / 办事处 (``岳城街道办事处`` -> ``岳城街道``).

    Examples
    --------
    >>> short_township_name("岳城街道办事处"), short_township_name("龙台镇人民政府")
    ('岳城街道', '龙台镇')
    """
    s = _clean(name).removesuffix("人民政府")
    for suffix, repl in _TOWNSHIP_OFFICES:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)] + repl
    return s


def normalise_township_name(name: str) -> str:
    """Return the stem of a township name (镇/乡/街道/办事处/人民政府 removed).

    Examples
    --------
    >>> normalise_township_name("岳城街道办事处"), normalise_township_name("龙台镇人民政府")
    ('岳城', '龙台')
    """
    return _strip_one(short_township_name(name), _TOWNSHIP_KIND_SUFFIXES)


def short_village_name(name: str) -> str:
    """Return a village name without its committee suffix, ending in 村 or 社区.

    Examples
    --------
    >>> short_village_name("岳井村村民委员会"), short_village_name("牛居村民委员会")
    ('岳井村', '牛居村')
    >>> short_village_name("水东居委会"), short_village_name("土城门社区居民委员会")
    ('水东社区', '土城门社区')
    >>> short_village_name("姚村村") == short_village_name("姚村村委会") == "姚村"
    True
    >>> short_village_name("廖家村居委会")
    '廖家村社区'
    """
    s = _clean(name)
    for suffix, kind in _VILLAGE_COMMITTEES:
        if s.endswith(suffix) and len(s) > len(suffix):
            rest = s[: -len(suffix)]
            return rest if rest.endswith(kind) else rest + kind  # 廖家村居委会 is 廖家村社区
    for kind in _VILLAGE_KIND_SUFFIXES:
        if s.endswith(kind * 2) and len(s) > 2 * len(kind):
            return s[: -len(kind)]  # 姚村村 is 姚村 (NBS 姚村村委会)
    return s


def normalise_village_name(name: str) -> str:
    """Return the stem of a village name (村民委员会/居民委员会, then 村/社区 removed).

    Examples
    --------
    >>> normalise_village_name("岳井村村民委员会"), normalise_village_name("岳井村")
    ('岳井', '岳井')
    >>> normalise_village_name("土城门社区居民委员会"), normalise_village_name("土城门社区")
    ('土城门', '土城门')
    """
    return _strip_one(short_village_name(name), _VILLAGE_KIND_SUFFIXES)


def _strip_one(s: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)]
    return s


def name_key(name: str) -> str:
    """Return the short name of a township or village (its office or committee dropped).

    Examples
    --------
    >>> name_key("岳井村村民委员会"), name_key("东城街道办事处"), name_key("姚村村")
    ('岳井村', '东城街道', '姚村')
    """
    return short_village_name(short_township_name(name))


def name_stem(name: str) -> str:
    """Return the stem of a township or village name (its kind dropped too).

    Examples
    --------
    >>> name_stem("东镇镇"), name_stem("岳井村村民委员会"), name_stem("姚村村") == name_stem("姚村村委会")
    ('东镇', '岳井', True)
    """
    key = name_key(name)
    stem = _strip_one(key, _VILLAGE_KIND_SUFFIXES)
    return stem if stem != key else _strip_one(key, _TOWNSHIP_KIND_SUFFIXES)


#: Kind suffixes of facility names, longest first, and the kind they stand for.
_FACILITY_KINDS: tuple[tuple[str, str], ...] = (
    ("妇幼保健计划生育服务中心", "妇幼"),
    ("社区卫生服务中心", "社区中心"),
    ("社区卫生服务站", "服务站"),
    ("妇幼保健院", "妇幼"),
    ("人民医院", "人民医院"),
    ("中医医院", "中医院"),
    ("中医院", "中医院"),
    ("中心卫生院", "卫生院"),
    ("卫生服务站", "服务站"),
    ("村卫生室", "卫生室"),
    ("卫生院", "卫生院"),
    ("卫生室", "卫生室"),
    ("卫生所", "卫生室"),
    ("医务室", "医务室"),
    ("诊所", "诊所"),
)


def facility_key(name: object) -> str:
    """Return the folded name of a facility, to find one unit listed twice.

    NFKC (full-width letters, spaces and brackets), no spaces or invisible characters, the kind
    suffix written one way (卫生室 = 村卫生室 = 卫生所, 卫生院 = 中心卫生院, 中医院 = 中医医院) and the
    place's stem (:func:`name_stem`). A bracketed number stays: ``卫生室（一）`` and ``卫生室（二）``
    are two units.

    Examples
    --------
    >>> facility_key("富东村卫生室") == facility_key("富东卫生室　") == facility_key("富东\u200b卫生室")
    True
    >>> facility_key("富东村卫生室（一）") == facility_key("富东村卫生室（二）")
    False
    >>> facility_key("会昌县中医院") == facility_key("会昌县中医医院")
    True
    >>> facility_key("会昌县中医院") == facility_key("会昌县人民医院")
    False
    """
    s = "".join(ch for ch in _clean(name) if unicodedata.category(ch) not in ("Cf", "Zs"))
    kind = ""
    for suffix, canonical in _FACILITY_KINDS:
        if s.endswith(suffix) and len(s) > len(suffix):
            s, kind = s[: -len(suffix)], canonical
            break
    return f"{name_stem(s) or s}|{kind}"


def facility_place_kind(name: object) -> str:
    """Return the kind of place a facility's name says it serves: ``村``, ``社区`` or ``""``.

    Two facilities of one stem are one unit only when their names do not say different kinds:
    ``周田社区卫生室`` and ``周田村委会卫生室`` serve two committees of the same name.

    Examples
    --------
    >>> facility_place_kind("周田村委会卫生室"), facility_place_kind("周田社区卫生室")
    ('村', '社区')
    >>> facility_place_kind("湖口村卫生室")
    '村'

    >>> facility_place_kind("富东卫生室")
    ''
    """
    s = "".join(ch for ch in _clean(name) if unicodedata.category(ch) not in ("Cf", "Zs"))
    for suffix, _ in _FACILITY_KINDS:
        if suffix != "村卫生室" and s.endswith(suffix) and len(s) > len(suffix):
            s = s[: -len(suffix)]  # 湖口村卫生室 keeps its 村: 湖口村
            break
    key = name_key(s)
    return next((k for k in _VILLAGE_KIND_SUFFIXES if key.endswith(k)), "")
