"""The indicator registry: a TOML data file turned into :class:`Indicator` records."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tcmcounty.errors import InputError
from tcmcounty.indicators._files import fail, packaged_text, parse_toml, problem, read_user_text
from tcmcounty.indicators.kinds import PARAM_SHAPES, get_kind
from tcmcounty.indicators.model import AREAS, DISPLAYS, LEVELS, Indicator, Spec

REGISTRY_FILE = "registry.toml"
_REQUIRED = ("id", "name_zh", "name_en", "numerator", "denominator")
_SPECS = ("numerator", "denominator", "township_numerator", "township_denominator")


@dataclass(frozen=True)
class Registry:
    """An ordered collection of indicators.

    Examples
    --------
    >>> reg = load_registry()
    >>> reg["T-ZYG-PAV"].factor
    100
    >>> "T-DOC" in reg.ids
    True
    """

    indicators: tuple[Indicator, ...]
    file: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        """Indicator IDs in registry order."""
        return tuple(i.id for i in self.indicators)

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def __getitem__(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(f"unknown indicator {indicator_id!r}; known: {', '.join(self.ids)}")

    def select(self, ids: list[str] | None) -> Registry:
        """Return the registry restricted to ``ids`` (all when ``None``), in registry order.

        Raises
        ------
        ValueError
            If an ID is unknown; the message lists the known ones.
        """
        if ids is None:
            return self
        unknown = [i for i in ids if i not in self.ids]
        if unknown:
            raise ValueError(
                f"unknown indicator(s) {', '.join(unknown)}; known: {', '.join(self.ids)}"
            )
        return Registry(tuple(i for i in self.indicators if i.id in ids), self.file)


def _spec(value: object, file: str, key: str) -> Spec:
    if not isinstance(value, Mapping) or "kind" not in value:
        raise fail(
            file,
            key,
            'expected a table with a \'kind\', e.g. { kind = "resource", field = "beds" }',
            "应为含 kind 的表",
        )
    kind = str(value["kind"])
    try:
        k = get_kind(kind)
    except ValueError as exc:
        raise fail(file, f"{key}.kind", str(exc), "未知的分子/分母类型", kind) from None
    params = {n: v for n, v in value.items() if n != "kind"}
    unknown = [n for n in params if n not in k.params]
    if unknown:
        raise fail(
            file,
            f"{key}.{unknown[0]}",
            f"unknown parameter of kind {kind!r}; expected one of: {', '.join(k.params) or 'none'}",
            "未知参数",
            unknown[0],
        )
    for name, v in params.items():
        fits, en, zh = PARAM_SHAPES[name]
        if not fits(v):
            raise fail(file, f"{key}.{name}", f"expected {en}", f"应为{zh}", v)
    return Spec(kind, params)


def parse_registry(data: Mapping[str, object], file: str) -> Registry:
    """Build a :class:`Registry` from parsed TOML; every problem raises :class:`InputError`."""
    entries = data.get("indicator")
    if not isinstance(entries, list) or not entries:
        raise fail(
            file,
            "indicator",
            "expected one or more [[indicator]] tables",
            "应至少有一个 [[indicator]]",
        )
    out: list[Indicator] = []
    problems = []
    for n, e in enumerate(entries, start=1):
        where = f"indicator[{n}]"
        if not isinstance(e, Mapping):
            raise fail(file, where, "expected a table", "应为表")
        where = f"indicator[{n}] ({e.get('id', '?')})"
        missing = [k for k in _REQUIRED if k not in e]
        if missing:
            problems.append(
                problem(
                    file,
                    f"{where}.{missing[0]}",
                    f"required key(s) missing: {', '.join(missing)}",
                    f"缺少必填项：{', '.join(missing)}",
                )
            )
            continue
        specs = {k: _spec(e[k], file, f"{where}.{k}") for k in _SPECS if k in e}
        levels = tuple(e.get("levels", ["county"]))
        bad = [lv for lv in levels if lv not in LEVELS]
        if bad:
            problems.append(
                problem(
                    file,
                    f"{where}.levels",
                    f"expected levels among {', '.join(LEVELS)}",
                    "层级应为 county/township",
                    bad[0],
                )
            )
            continue
        display = str(e.get("display", "number"))
        if display not in DISPLAYS:
            problems.append(
                problem(
                    file,
                    f"{where}.display",
                    f"expected one of {', '.join(DISPLAYS)}",
                    "显示方式无效",
                    display,
                )
            )
            continue
        factor = e.get("factor", 1)
        if isinstance(factor, bool) or not isinstance(factor, int) or factor <= 0:
            problems.append(
                problem(
                    file,
                    f"{where}.factor",
                    "expected a positive whole number (1, 100, 1000, 10000)",
                    "应为正整数",
                    factor,
                )
            )
            continue
        area = str(e.get("area", "other"))
        if area not in AREAS:
            problems.append(
                problem(
                    file,
                    f"{where}.area",
                    f"unknown area of the standard; expected one of: {', '.join(AREAS)}",
                    "标准领域无效",
                    area,
                )
            )
            continue
        band = e.get("range_band_reason", "")
        if not isinstance(band, str) or ("range_band_reason" in e and not band.strip()):
            problems.append(
                problem(
                    file,
                    f"{where}.range_band_reason",
                    "expected a text saying why a range target is a band that both ends bind",
                    "应说明为何区间目标的上下限均须遵守",
                    band,
                )
            )
            continue
        out.append(
            Indicator(
                id=str(e["id"]),
                name_zh=str(e["name_zh"]),
                name_en=str(e["name_en"]),
                numerator=specs["numerator"],
                denominator=specs["denominator"],
                factor=factor,
                unit_zh=str(e.get("unit_zh", "")),
                unit_en=str(e.get("unit_en", "")),
                decimals=int(e.get("decimals", 2)),
                levels=levels,
                need_unit=str(e.get("need_unit", "")),
                description=" ".join(str(e.get("description", "")).split()),
                township_numerator=specs.get("township_numerator"),
                township_denominator=specs.get("township_denominator"),
                display=display,
                scale=tuple(str(s) for s in e.get("scale", ())),
                countable=bool(e.get("countable", True)),
                band_reason=" ".join(band.split()),
                area=area,
            )
        )
    ids = [i.id for i in out]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        problems.append(
            problem(file, "indicator.id", "duplicate indicator id", "指标编号重复", dups[0])
        )
    if problems:
        raise InputError(problems, file)
    return Registry(tuple(out), file)


@functools.lru_cache(maxsize=1)
def _default_registry() -> Registry:
    return parse_registry(parse_toml(packaged_text(REGISTRY_FILE), REGISTRY_FILE), REGISTRY_FILE)


def load_registry(path: str | os.PathLike[str] | None = None) -> Registry:
    """Load the indicator registry: the one shipped with the package, or a TOML file.

    Parameters
    ----------
    path : str or path, optional
        A registry file in the format of the shipped ``tcmcounty/data/indicators/registry.toml``.

    Returns
    -------
    Registry

    Raises
    ------
    InputError
        If the file is invalid; the message names the file, the key and what was expected.

    Examples
    --------
    >>> reg = load_registry()
    >>> reg["T-TCMGP"].name_zh
    '城乡每万名居民合格的中医类别全科医生数'
    """
    if path is None:
        return _default_registry()
    file, text = read_user_text(path)
    return parse_registry(parse_toml(text, file), file)


def indicator_name(indicator_id: str, lang: str = "zh", table: Any = None) -> str:
    """Name an indicator for people, in Chinese or English, instead of its code.

    The name is the one in ``table`` (an indicator table with ``id``, ``name_zh``, ``name_en``,
    which may come from a user registry) when it lists the id, else the shipped registry's;
    an id found in neither is returned as it is.

    Parameters
    ----------
    indicator_id : str
        E.g. ``"T-YLT"``.
    lang : {"zh", "en", "zh-en"}
        ``zh-en`` gives the Chinese name.
    table : pandas.DataFrame, optional
        An indicator table (:func:`tcmcounty.indicators.compute_indicators`).

    Returns
    -------
    str

    Examples
    --------
    >>> indicator_name("T-TCMGP")
    '城乡每万名居民合格的中医类别全科医生数'
    >>> indicator_name("T-TCMGP", "en")
    'Qualified TCM-category GPs per 10,000 residents'
    """
    column = "name_en" if lang == "en" else "name_zh"
    if table is not None and column in table and "id" in table:
        names = table.loc[table["id"] == indicator_id, column].dropna()
        if len(names):
            return str(names.iloc[0])
    reg = load_registry()
    return getattr(reg[indicator_id], column) if indicator_id in reg.ids else indicator_id
