"""Dataclasses of the indicator registry and of target sets.

An :class:`Indicator` says *what* is measured (numerator, denominator, factor, unit); a
:class:`Target` says *what value is required* and who requires it; a :class:`TargetSet` is a
named collection of targets (the shipped default, or a province's or county's own file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Level = Literal["county", "township"]
LEVELS: tuple[Level, ...] = ("county", "township")
TargetKind = Literal["at_least", "at_most", "range", "equals", "boolean", "none"]
TARGET_KINDS: tuple[TargetKind, ...] = ("at_least", "at_most", "range", "equals", "boolean", "none")
Display = Literal["number", "ratio", "grade"]
DISPLAYS: tuple[Display, ...] = ("number", "ratio", "grade")

#: Evidence grades of a target, strongest first (see :data:`GRADE_LABELS`).
EVIDENCE_GRADES: tuple[str, ...] = ("verified", "derived", "unverified")
#: How each evidence grade is printed (bilingual; ``pick`` keeps one side).
GRADE_LABELS: dict[str, str] = {
    "verified": "已核实 verified",
    "derived": "引自其他文件 derived",
    "unverified": "未核实 unverified",
}
#: What each grade means, for the methods appendix and ``docs/indicators.md``.
GRADE_MEANINGS: dict[str, str] = {
    "verified": "the text that sets this number for the 示范县 review was read (the county plan "
    "quoting the standard, or the official document itself); the citation names it",
    "derived": "the number comes from an official document of another scope (a national plan or "
    "standard standing in for the item), read in its own wording or table; the citation names it",
    "unverified": "the number was seen only second-hand (a news summary, a translation, memory); "
    "the citation says where",
}

#: Areas of the 示范县 standard the indicators are grouped by in reports: code -> label.
AREAS: dict[str, str] = {
    "resources": "资源配置 / Resources",
    "capacity": "服务能力 / Service capacity",
    "coverage": "中医药服务覆盖 / TCM service coverage",
    "county_hospitals": "县级医院 / County hospitals",
    "health_management": "健康管理 / Health management",
    "public": "群众满意 / Public satisfaction",
    "other": "其他 / Other",
}


def grade_label(grade: object) -> str:
    """Return the printed label of an evidence grade (``"未核实 unverified"``).

    Raises
    ------
    ValueError
        If ``grade`` is not one of :data:`EVIDENCE_GRADES`.

    Examples
    --------
    >>> grade_label("derived")
    '引自其他文件 derived'
    """
    if grade not in GRADE_LABELS:
        raise ValueError(
            f"evidence grade must be one of {', '.join(EVIDENCE_GRADES)}, not {grade!r}"
        )
    return GRADE_LABELS[str(grade)]


def target_with_grade(target: object, grade: object) -> str:
    """Return a target text followed by its evidence grade, as every view prints a target.

    An empty target (no target in the set) stays empty: there is no grade to show.

    Examples
    --------
    >>> target_with_grade("≥ 25%", "unverified")
    '≥ 25% [未核实 unverified]'
    >>> target_with_grade("", "verified")
    ''
    """
    text = "" if target is None else str(target)
    if not text or text == "nan":
        return ""
    return f"{text} [{grade_label(grade)}]"


@dataclass(frozen=True)
class Spec:
    """How to obtain a numerator or a denominator: a kind name and its parameters.

    Parameters
    ----------
    kind : str
        A name in :data:`tcmcounty.indicators.kinds.KINDS` (``"resource"``, ``"population"``,
        ``"facility_count"`` ...).
    params : mapping
        Parameters of that kind (e.g. ``{"field": "beds"}``).

    Examples
    --------
    >>> Spec("resource", {"field": "beds"}).param("field")
    'beds'
    """

    kind: str
    params: Mapping[str, object] = field(default_factory=dict)

    def param(self, name: str, default: object = None) -> object:
        """Return parameter ``name`` (``default`` when absent)."""
        return self.params.get(name, default)


@dataclass(frozen=True)
class Indicator:
    """One entry of the indicator registry.

    Parameters
    ----------
    id : str
        Catalogue ID, e.g. ``"T-ZYG-PAV"`` (``shared/domain/indicators.md`` §2).
    name_zh, name_en : str
        Names as printed in reports.
    numerator, denominator : Spec
        County-level inputs. The value is ``numerator / denominator * factor``, computed after
        aggregation (DHIS2 model: sum, then divide).
    factor : int
        1, 100, 1,000 or 10,000.
    unit_zh, unit_en : str
        Unit of the value (``"%"``, ``"per 1,000 residents"``).
    decimals : int
        Decimals shown in tables.
    levels : tuple of {"county", "township"}
        Levels at which the indicator can be computed.
    need_unit : str
        What one unit of ``need`` is (``"个中医阁 / TCM pavilions"``).
    description : str
        Definition for the methods appendix.
    township_numerator, township_denominator : Spec, optional
        Inputs at township level when they differ from the county-level ones.
    display : {"number", "ratio", "grade"}
        ``ratio`` prints ``1:x``; ``grade`` prints the grade text of an ordinal scale.
    scale : tuple of str
        Ordinal scale for ``grade`` indicators, lowest first.
    countable : bool
        Whether ``need`` (additional numerator units) is meaningful.
    band_reason : str
        Why a ``range`` target of this indicator is a band that both ends bind (too much is
        as bad as too little). Empty (the default): a range is a level to *reach*, met within
        or above it (the 示范县 standard asks counties to reach 0.6–0.8 TCM GPs per 10,000).
    area : str
        Area of the standard the indicator belongs to, a key of :data:`AREAS` (reports group
        their indicator tables by it).
    """

    id: str
    name_zh: str
    name_en: str
    numerator: Spec
    denominator: Spec
    factor: int = 1
    unit_zh: str = ""
    unit_en: str = ""
    decimals: int = 2
    levels: tuple[Level, ...] = ("county",)
    need_unit: str = ""
    description: str = ""
    township_numerator: Spec | None = None
    township_denominator: Spec | None = None
    display: Display = "number"
    scale: tuple[str, ...] = ()
    countable: bool = True
    band_reason: str = ""
    area: str = "other"

    @property
    def range_is_band(self) -> bool:
        """Whether a ``range`` target is a band (above the top is not met); see :attr:`band_reason`."""
        return bool(self.band_reason)

    @property
    def unit(self) -> str:
        """Bilingual unit, e.g. ``"张/千人 per 1,000 residents"``."""
        return " ".join(u for u in (self.unit_zh, self.unit_en) if u)

    def specs(self, level: Level) -> tuple[Spec, Spec]:
        """Return the (numerator, denominator) specs used at ``level``."""
        if level == "township":
            return (
                self.township_numerator or self.numerator,
                self.township_denominator or self.denominator,
            )
        return self.numerator, self.denominator

    def rank(self, grade: str) -> int | None:
        """Return the position of ``grade`` on :attr:`scale` (``None`` if not on it)."""
        g = normalise_grade(grade)
        for i, s in enumerate(self.scale):
            if normalise_grade(s) == g:
                return i
        return None


_GRADE_ABBREV = {
    "三甲": "三级甲等",
    "三乙": "三级乙等",
    "三丙": "三级丙等",
    "二甲": "二级甲等",
    "二乙": "二级乙等",
    "二丙": "二级丙等",
    "一甲": "一级甲等",
    "一乙": "一级乙等",
    "一丙": "一级丙等",
}


def normalise_grade(text: str) -> str:
    """Normalise a hospital grade: strip spaces and the word 医院, expand ``二甲`` style abbreviations.

    Examples
    --------
    >>> normalise_grade("二甲")
    '二级甲等'
    >>> normalise_grade(" 二级甲等中医医院 ")
    '二级甲等'
    """
    s = str(text).strip().replace(" ", "").replace("　", "")
    for suffix in ("中医医院", "医院", "中医院"):
        if s.endswith(suffix):
            s = s[: -len(suffix)]
    return _GRADE_ABBREV.get(s, s)


@dataclass(frozen=True)
class Target:
    """A required value for one indicator, with the document that requires it.

    Parameters
    ----------
    indicator : str
        Indicator ID.
    kind : {"at_least", "at_most", "range", "equals", "boolean", "none"}
        ``none`` records that a document asks for something without a number (e.g. "符合区域卫生规划").
    low, high : float, optional
        Bounds in the indicator's unit: ``at_least`` uses ``low``, ``at_most`` ``high``, ``range``
        both, ``equals`` both equal; ``boolean`` uses ``low`` = 1.0 (yes) or 0.0 (no).
    level : {"county", "township"}, optional
        Level the target applies to; ``None`` means every level.
    text : str
        How the target is printed (e.g. ``"0.6–0.8"``, ``"1:1.2"``); built from the bounds when empty.
    source : str
        Document that sets the target.
    clause : str
        Clause or line of that document.
    basis : str
        Why this target is in the set (the standard's own number, or a planning value standing in
        for "符合区域卫生规划").
    evidence : str
        Free note on the evidence, with the catalogue's codes (``"E30: two news reprints"``).
    grade : {"verified", "derived", "unverified"}
        Evidence grade of the target (:data:`EVIDENCE_GRADES`, meanings in
        :data:`GRADE_MEANINGS`); a user target without one is ``"unverified"``.
    reading : str
        How a user file's value was read when it was not taken as written (a share written as a
        fraction, ``0.9`` read as 90%); printed beside every result of the target.
    set_id : str
        ID of the target set the target comes from.

    Examples
    --------
    >>> t = Target("T-ZYG-PAV", "at_least", low=10.0)
    >>> t.describe()
    '≥ 10'
    """

    indicator: str
    kind: TargetKind
    low: float | None = None
    high: float | None = None
    level: Level | None = None
    text: str = ""
    source: str = ""
    clause: str = ""
    basis: str = ""
    evidence: str = ""
    set_id: str = ""
    grade: str = "unverified"
    reading: str = ""

    def __post_init__(self) -> None:
        if self.grade not in EVIDENCE_GRADES:
            raise ValueError(
                f"grade must be one of {', '.join(EVIDENCE_GRADES)}, not {self.grade!r}"
            )
        if self.kind not in TARGET_KINDS:
            raise ValueError(f"kind must be one of {', '.join(TARGET_KINDS)}, not {self.kind!r}")
        if self.level is not None and self.level not in LEVELS:
            raise ValueError(
                f"level must be one of {', '.join(LEVELS)} or None, not {self.level!r}"
            )
        need = {
            "at_least": ("low",),
            "at_most": ("high",),
            "range": ("low", "high"),
            "equals": ("low", "high"),
            "boolean": ("low",),
            "none": (),
        }[self.kind]
        for name in need:
            if getattr(self, name) is None:
                raise ValueError(f"a {self.kind} target of {self.indicator} needs {name!r}")
        if self.kind == "range" and self.low > self.high:  # type: ignore[operator]
            raise ValueError(f"range target of {self.indicator}: low {self.low} > high {self.high}")

    @property
    def key(self) -> str:
        """Key in a target set: ``ID`` or ``ID@level``."""
        return self.indicator if self.level is None else f"{self.indicator}@{self.level}"

    def describe(self, decimals: int | None = None, scale: tuple[str, ...] = ()) -> str:
        """Return :attr:`text`, or a text built from the bounds (``≥ 3.20``, ``0.6–0.8``).

        Parameters
        ----------
        decimals : int, optional
            Decimals of the bounds (shortest form when ``None``).
        scale : tuple of str
            Ordinal scale of a grade indicator: bounds are printed as its names.

        Examples
        --------
        >>> Target("T-TCMHOSP", "at_least", low=6).describe(scale=("一级", "二级") * 3 + ("二级甲等",))
        '≥ 二级甲等'
        """
        if self.text:
            return self.text

        def f(x: float | None) -> str:
            if x is None:
                return ""
            if scale and float(x).is_integer() and 0 <= int(x) < len(scale):
                return scale[int(x)]
            return f"{x:g}" if decimals is None else f"{x:.{decimals}f}"

        return {
            "at_least": f"≥ {f(self.low)}",
            "at_most": f"≤ {f(self.high)}",
            "range": f"{f(self.low)}–{f(self.high)}",
            "equals": f"= {f(self.low)}",
            "boolean": "是 yes" if self.low else "否 no",
            "none": "no numeric target / 无数值目标",
        }[self.kind]

    @property
    def citation(self) -> str:
        """Source and clause in one string."""
        return ", ".join(p for p in (self.source, self.clause) if p)

    @property
    def grade_label(self) -> str:
        """The printed evidence grade (``"已核实 verified"``)."""
        return grade_label(self.grade)


@dataclass(frozen=True)
class TargetSet:
    """A named set of targets keyed by ``ID`` or ``ID@level``.

    Parameters
    ----------
    id : str
        Short name printed in every result row (``"national-2025"``).
    name_zh, name_en : str
        Long names.
    description : str
        What the set is and where it comes from.
    targets : mapping of str to Target
        Keyed by :attr:`Target.key`.
    files : tuple of str
        Files the set was read from.

    Examples
    --------
    >>> ts = TargetSet("demo", targets={"T-DOC": Target("T-DOC", "at_least", low=3.2)})
    >>> ts.lookup("T-DOC", "township").low
    3.2
    """

    id: str
    name_zh: str = ""
    name_en: str = ""
    description: str = ""
    targets: Mapping[str, Target] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """ID and names in one line."""
        names = " / ".join(n for n in (self.name_zh, self.name_en) if n)
        return f"{self.id} ({names})" if names else self.id

    def lookup(self, indicator: str, level: Level = "county") -> Target | None:
        """Return the target of ``indicator`` at ``level``: ``ID@level`` first, then ``ID``."""
        if not isinstance(indicator, str):
            raise TypeError(f"indicator must be a str, not {type(indicator).__name__}")
        return self.targets.get(f"{indicator}@{level}") or self.targets.get(indicator)

    def updated(self, other: TargetSet) -> TargetSet:
        """Return this set with ``other`` laid over it.

        For every indicator that ``other`` mentions, all of this set's targets for that indicator
        (at any level) are dropped and ``other``'s are used; other indicators keep their targets.
        The ID becomes ``"<self.id>+<other.id>"``.

        Examples
        --------
        >>> base = TargetSet("a", targets={"T-DOC@county": Target("T-DOC", "at_least", 3.2, level="county")})
        >>> user = TargetSet("b", targets={"T-DOC": Target("T-DOC", "at_least", 3.5)})
        >>> merged = base.updated(user)
        >>> merged.id, merged.lookup("T-DOC").low
        ('a+b', 3.5)
        """
        if not isinstance(other, TargetSet):
            raise TypeError(f"other must be a TargetSet, not {type(other).__name__}")
        overridden = {t.indicator for t in other.targets.values()}
        merged = {k: t for k, t in self.targets.items() if t.indicator not in overridden}
        merged.update(other.targets)
        return replace(
            self,
            id=f"{self.id}+{other.id}",
            name_zh=" + ".join(n for n in (self.name_zh, other.name_zh) if n),
            name_en=" + ".join(n for n in (self.name_en, other.name_en) if n),
            description="\n\n".join(d for d in (self.description, other.description) if d),
            targets=merged,
            files=self.files + other.files,
        )
