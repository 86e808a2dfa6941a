"""Numerator and denominator kinds: a name -> function registry.

Each kind reads one input of a :class:`~tcmcounty.county.County` and returns a
:class:`Quantity`: an exact value (or ``None`` with a reason), the statuses of the inputs it
used, the year, and a one-line definition. Indicators in the registry name kinds by string; an
unknown name raises :class:`ValueError` listing the valid ones (:func:`get_kind`).

Missing values are never zero: a county figure that is not reported, a facility whose count is
blank, or an absent survey gives ``value=None`` with a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, cast

import pandas as pd

from tcmcounty.county import POPULATION_KEYS, RESOURCE_KEYS, County
from tcmcounty.indicators.membership import covered_villages
from tcmcounty.indicators.model import Indicator, Level, Spec
from tcmcounty.schema import FACILITY_TYPE_ZH

POPULATION_LABELS = {
    "resident": "常住人口 resident population",
    "registered": "户籍人口 registered population",
}
#: The population bases in English words (the English side of :data:`POPULATION_LABELS`).
POPULATION_EN = {k: v.split(" ", 1)[1] for k, v in POPULATION_LABELS.items()}
FACILITY_COLUMNS_ZH = {
    "beds": "床位",
    "physicians": "执业（助理）医师",
    "tcm_physicians": "中医类别医师",
    "nurses": "注册护士",
    "has_tcm_hall": "中医馆",
    "has_tcm_pavilion": "中医阁",
    "provides_tcm": "提供中医药服务",
    "tcm_techniques": "中医药适宜技术项数",
    "tcm_technique_categories": "中医药适宜技术类数",
    "visits": "总诊疗人次",
    "tcm_visits": "中医诊疗人次",
    "nondrug_visits": "中医非药物疗法诊疗人次",
    "prescriptions": "门诊处方数",
    "herbal_prescriptions": "中药饮片处方数",
    "is_quality_tcm_hall": "精品（示范）中医馆",
    "has_tcm_department": "中医科",
}
#: What the facility columns of :data:`FACILITY_COLUMNS_ZH` count, in English words (中医馆 and
#: 中医阁 are the programme's own names, kept in English text too).
FACILITY_COLUMNS_EN = {
    "beds": "beds",
    "physicians": "licensed and assistant physicians",
    "tcm_physicians": "TCM-category physicians",
    "nurses": "registered nurses",
    "has_tcm_hall": "has a 中医馆",
    "has_tcm_pavilion": "has a 中医阁",
    "provides_tcm": "provides TCM services",
    "tcm_techniques": "TCM appropriate techniques offered",
    "tcm_technique_categories": "categories of TCM appropriate techniques",
    "visits": "total visits",
    "tcm_visits": "TCM visits",
    "nondrug_visits": "TCM non-drug therapy visits",
    "prescriptions": "outpatient prescriptions",
    "herbal_prescriptions": "herbal-pieces prescriptions",
    "is_quality_tcm_hall": "upgraded (model) 中医馆",
    "has_tcm_department": "has a TCM department",
}
#: County totals of :data:`tcmcounty.county.RESOURCE_KEYS` in English words.
RESOURCE_EN = {
    "beds": "beds in health institutions",
    "physicians": "licensed (assistant) physicians",
    "nurses": "registered nurses",
    "public_health_staff": "public-health staff",
    "gps": "general practitioners",
    "tcm_gps": "qualified TCM-category general practitioners",
    "tcm_staff": "TCM staff",
    "health_staff": "health technical staff",
    "tcm_physicians": "TCM-category licensed (assistant) physicians",
    "elderly_65": "resident population aged 65 and over",
    "elderly_tcm_managed": "residents aged 65 and over receiving TCM health management",
    "children_0_36": "children aged 0–36 months to be managed",
    "children_tcm_managed": "children aged 0–36 months receiving TCM health management",
}
#: Facility types in English words, plural (``village_clinic`` → ``village clinics``).
FACILITY_TYPE_EN = {
    "county_general_hospital": "county general hospitals",
    "county_tcm_hospital": "county TCM hospitals",
    "maternal_child_hospital": "maternal-child hospitals",
    "township_health_centre": "township health centres",
    "community_health_centre": "community health centres",
    "community_health_station": "community health stations",
    "village_clinic": "village clinics",
    "tcm_clinic": "TCM clinics",
    "other": "other facilities",
}
#: Departments of the county TCM hospital the registry asks for, in English words.
DEPARTMENTS_EN = {
    "治未病科": "preventive care department",
    "康复科": "rehabilitation department",
    "感染性疾病科": "infectious diseases department",
    "中医科": "TCM department",
}


@dataclass(frozen=True)
class Context:
    """Where and how a quantity is computed.

    Parameters
    ----------
    county : County
        The county.
    indicator : Indicator
        The indicator being computed.
    level : {"county", "township"}
        Level of the result row.
    area : str, optional
        Township code at township level.
    population : {"resident", "registered"}
        Population base of per-capita denominators.
    allow_estimates : bool
        Use a county figure's estimate when the official value is not reported.
    """

    county: County
    indicator: Indicator
    level: Level = "county"
    area: str | None = None
    population: str = "resident"
    allow_estimates: bool = True


@dataclass(frozen=True)
class Quantity:
    """A numerator or denominator with provenance.

    ``value`` is exact (a :class:`~fractions.Fraction`) so that targets and ``need`` are decided
    without floating-point error; ``None`` means not computable and ``reason`` says why.
    ``derived`` holds the markers of inputs the county did not give but that were derived from
    its other data (``"roster"``: a county total summed from the facility roster,
    :attr:`tcmcounty.county.Figure.derived`).
    """

    value: Fraction | None
    statuses: tuple[str, ...] = ()
    year: int | None = None
    definition: str = ""
    reason: str = ""
    notes: tuple[str, ...] = ()
    text: str | None = None
    derived: tuple[str, ...] = ()


def exact(x: object) -> Fraction:
    """Return ``x`` as an exact fraction (floats through their shortest decimal form).

    Examples
    --------
    >>> exact(0.1) * 30
    Fraction(3, 1)
    """
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool):
        return Fraction(int(x))
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        return Fraction(repr(x))
    return Fraction(str(x))


def _list(value: object, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    raise TypeError(f"parameter {name!r} must be a list of str, not {type(value).__name__}")


def _types_text(types: list[str], en: bool = False) -> str:
    """Name facility types: ``乡镇卫生院 township_health_centre``, or in English words."""
    if not types:
        return "all facilities"
    if en:
        return " + ".join(FACILITY_TYPE_EN.get(t, t) for t in types)
    return " + ".join(f"{FACILITY_TYPE_ZH.get(t, t)} {t}" for t in types)


def _column(col: str, en: bool = False) -> str:
    """Name a facility column: ``beds (床位)``, or ``tcm_visits (TCM visits)`` in English."""
    label = FACILITY_COLUMNS_EN.get(col, col) if en else FACILITY_COLUMNS_ZH.get(col, col)
    return col if label == col else f"{col} ({label})"


# --------------------------------------------------------------------------------------------
# County figures


def resource(spec: Spec, ctx: Context) -> Quantity:
    """Return a county total from ``county.toml`` ``[resources.<field>]``.

    The official figure, else the facility roster's sum when the county gives no figure
    (:mod:`tcmcounty.inputs.totals`; noted, and ``derived`` is ``("roster",)``), else the
    estimate when allowed.
    """
    key = str(spec.param("field"))
    zh = RESOURCE_KEYS.get(key, key)
    en = RESOURCE_EN.get(key, key)
    definition = describe(spec, ctx.level, ctx.population)
    if ctx.level != "county":
        return Quantity(
            None,
            definition=definition,
            reason=f"{key} is only reported for the whole county / 该项只有全县合计",
        )
    entry = ctx.county.resources.get(key)
    if entry is None or (
        entry.official is None and entry.derived is None and entry.estimate is None
    ):
        roster = f"; {entry.roster_note}" if entry is not None and entry.roster_note else ""
        return Quantity(
            None, definition=definition, reason=f"{en} ({key}) not reported / {zh}未报告{roster}"
        )
    fig = entry.best(ctx.allow_estimates)
    if fig is None:
        return Quantity(
            None,
            definition=definition,
            reason=f"{en} ({key}) not reported (an estimate exists; estimates not allowed) / {zh}未报告（有估算值，未允许使用）",
        )
    notes: tuple[str, ...] = ()
    if entry.official is None and fig.derived:
        notes = (
            f"{key}: not on the county sheet; derived from roster / 由机构名册汇总: {fig.method}",
        )
    elif entry.official is None:
        method = f": {fig.method}" if fig.method else ""
        notes = (f"{key}: official figure not reported; estimate used{method}",)
    derived = (fig.derived,) if fig.derived else ()
    return Quantity(
        exact(fig.value), (fig.status,), fig.year, definition, notes=notes, derived=derived
    )


def population(spec: Spec, ctx: Context) -> Quantity:
    """Return the resident (常住) or registered (户籍) population of the county or the township."""
    kind = str(spec.param("population", ctx.population))
    if kind not in POPULATION_KEYS:
        raise ValueError(f"population must be one of {', '.join(POPULATION_KEYS)}, not {kind!r}")
    label = POPULATION_EN[kind]
    definition = describe(spec, ctx.level, ctx.population)
    if ctx.level == "township":
        if kind != "resident":
            return Quantity(
                None,
                definition=definition,
                reason="registered population is not available for townships / 乡镇没有户籍人口数据",
            )
        row = _township(ctx)
        if row is None or pd.isna(row.get("population")):
            return Quantity(
                None,
                definition=definition,
                reason="township population not reported / 乡镇人口未报告",
            )
        year = row.get("population_year")
        status = row.get("population_status")
        return Quantity(
            exact(int(row["population"])),
            (str(status),) if pd.notna(status) else ("official",),
            int(year) if pd.notna(year) else None,
            definition,
        )
    entry = ctx.county.population.get(kind)
    if entry is None or (
        entry.official is None and entry.derived is None and entry.estimate is None
    ):
        return Quantity(None, definition=definition, reason=f"{label} not reported / 人口未报告")
    fig = entry.best(ctx.allow_estimates)
    if fig is None:
        return Quantity(
            None,
            definition=definition,
            reason=f"{label} not reported (an estimate exists; estimates not allowed) / 人口未报告（有估算值，未允许使用）",
        )
    notes: tuple[str, ...] = ()
    if entry.official is None and fig.derived:
        notes = (f"{kind} population: not given; {fig.method}",)
    elif entry.official is None:
        method = f": {fig.method}" if fig.method else ""
        notes = (f"{kind} population: official figure not reported; estimate used{method}",)
    derived = (fig.derived,) if fig.derived else ()
    return Quantity(
        exact(fig.value), (fig.status,), fig.year, definition, notes=notes, derived=derived
    )


def _township(ctx: Context) -> dict[Hashable, Any] | None:
    t = ctx.county.townships
    rows = t[t["code"].astype("string") == str(ctx.area)]
    return None if rows.empty else rows.iloc[0].to_dict()


# --------------------------------------------------------------------------------------------
# Facility table


def _facilities(spec: Spec, ctx: Context) -> pd.DataFrame:
    f = ctx.county.facilities
    types = _list(spec.param("types"), "types")
    if types:
        f = f[f["type"].isin(types)]
    if ctx.level == "township":
        f = f[f["township_code"].astype("string") == str(ctx.area)]
    return f


def _fac_status(f: pd.DataFrame) -> tuple[str, ...]:
    return tuple(str(s) for s in f["status"].dropna().unique()) if "status" in f else ()


def _absent(f: pd.DataFrame, cols: Iterable[str], spec: Spec, ctx: Context) -> Quantity | None:
    """Not reported when a column the spec reads is not in the facility table at all."""
    missing = [c for c in dict.fromkeys(cols) if c not in f.columns]
    if not missing:
        return None
    names = ", ".join(_column(c, en=True) for c in missing)
    zh = "、".join(FACILITY_COLUMNS_ZH.get(c, c) for c in missing)
    return Quantity(
        None,
        definition=describe(spec, ctx.level, ctx.population),
        reason=f"{names} not reported: the facility table has no such column / 机构表无{zh}列，未报告",
    )


def _drop_unreported(
    f: pd.DataFrame, cols: list[str], types: list[str], spec: Spec, ctx: Context
) -> tuple[pd.DataFrame, list[str], Quantity | None]:
    """Leave out facilities with a blank in ``cols`` (noted); none left of some is *not reported*."""
    notes: list[str] = []
    n_all = len(f)
    for col in cols:
        blank = f[col].isna()
        if blank.any():
            notes.append(
                f"{int(blank.sum())} of {len(f)} facilities ({_types_text(types)}) did not report "
                f"{col} ({FACILITY_COLUMNS_ZH.get(col, col)}) and are left out"
            )
            f = f[~blank]
    if n_all and not len(f):
        zh = "、".join(FACILITY_COLUMNS_ZH.get(c, c) for c in cols)
        return (
            f,
            notes,
            Quantity(
                None,
                _fac_status(f),
                ctx.county.reference_year,
                describe(spec, ctx.level, ctx.population),
                reason=f"{', '.join(cols)} not reported by any of {n_all} facilities "
                f"({_types_text(types, en=True)}) / {n_all} 个机构均未报告{zh}",
            ),
        )
    return f, notes, None


def _thresholds(spec: Spec) -> tuple[dict[str, Fraction], dict[str, object] | None]:
    at_least = spec.param("at_least") or {}
    if not isinstance(at_least, Mapping):
        raise TypeError(
            f"parameter 'at_least' must be a table of column = number, not {type(at_least).__name__}"
        )
    share = spec.param("share_at_least")
    if share is not None and (
        not isinstance(share, Mapping) or set(share) != {"part", "whole", "value"}
    ):
        raise ValueError(
            "parameter 'share_at_least' must be a table { part = column, whole = column, value = "
            "fraction }"
        )
    return {str(c): exact(v) for c, v in at_least.items()}, (
        dict(share) if share is not None else None
    )


def facility_count(spec: Spec, ctx: Context) -> Quantity:
    """Count facilities of ``types`` meeting ``where``, ``at_least`` and ``share_at_least``.

    ``where`` compares yes/no columns (``{has_tcm_pavilion = true}``); ``at_least`` asks a
    facility's counts to reach numbers (``{tcm_technique_categories = 6, tcm_techniques = 10}``);
    ``share_at_least`` asks one column over another to reach a fraction
    (``{part = "tcm_physicians", whole = "physicians", value = 0.25}``; a facility with a zero
    ``whole`` does not reach it). ``require_reported`` lists columns that must be filled in for a
    facility to be counted; facilities where they are blank are left out (and the count is noted),
    and when no facility reports them the count is *not reported*, never 0. Use it on a share's
    denominator so that numerator and denominator count the same facilities. A column absent from
    the facility table makes the count not reported.
    """
    f = _facilities(spec, ctx)
    types = _list(spec.param("types"), "types")
    where = spec.param("where") or {}
    if not isinstance(where, Mapping):
        raise TypeError(
            f"parameter 'where' must be a table of column = value, not {type(where).__name__}"
        )
    at_least, share = _thresholds(spec)
    required = _list(spec.param("require_reported"), "require_reported")
    used = [*required, *where, *at_least, *((share["part"], share["whole"]) if share else ())]
    absent = _absent(f, [str(c) for c in used], spec, ctx)
    if absent is not None:
        return absent
    f, notes, none_left = _drop_unreported(f, required, types, spec, ctx)
    if none_left is not None:
        return none_left
    for col, wanted in where.items():
        f = f[f[col].eq(wanted).fillna(False).astype(bool)]
    for col, low in at_least.items():
        values = pd.to_numeric(f[col], errors="coerce")
        f = f[(values >= float(low)).fillna(False).astype(bool)]
    if share is not None:
        part = pd.to_numeric(f[str(share["part"])], errors="coerce")
        whole = pd.to_numeric(f[str(share["whole"])], errors="coerce")
        value = exact(share["value"])
        # part / whole >= value, decided exactly on whole numbers: part * den >= value * whole.
        ok = [
            bool(pd.notna(p) and pd.notna(w) and w > 0 and exact(int(p)) >= value * int(w))
            for p, w in zip(part, whole, strict=True)
        ]
        f = f[pd.Series(ok, index=f.index, dtype=bool)]
    definition = describe(spec, ctx.level, ctx.population)
    return Quantity(
        Fraction(len(f)), _fac_status(f), ctx.county.reference_year, definition, notes=tuple(notes)
    )


def facility_sum(spec: Spec, ctx: Context) -> Quantity:
    """Sum a facility column (``beds``, ``physicians`` ...) over facilities of ``types``.

    A blank cell makes the sum not computable: a partial sum would understate the total. With
    ``require_reported`` (use the same list on both sides of a share), facilities where those
    columns are blank are left out first (noted), so numerator and denominator cover the same
    facilities; none reporting is *not reported*, never 0. A column absent from the facility
    table makes the sum not reported.
    """
    col = str(spec.param("field"))
    f = _facilities(spec, ctx)
    types = _list(spec.param("types"), "types")
    required = _list(spec.param("require_reported"), "require_reported")
    absent = _absent(f, [*required, col], spec, ctx)
    if absent is not None:
        return absent
    f, notes, none_left = _drop_unreported(f, required, types, spec, ctx)
    if none_left is not None:
        return none_left
    definition = describe(spec, ctx.level, ctx.population)
    blank = f[col].isna()
    if blank.any():
        return Quantity(
            None,
            _fac_status(f),
            ctx.county.reference_year,
            definition,
            reason=f"{col} not reported for {int(blank.sum())} of {len(f)} facilities / 机构数据未报告",
        )
    return Quantity(
        Fraction(int(f[col].astype("Int64").sum())) if len(f) else Fraction(0),
        _fac_status(f),
        ctx.county.reference_year,
        definition,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# Medical alliances


def alliance_population(spec: Spec, ctx: Context) -> Quantity:
    """Sum the population of villages covered by medical alliances (see :func:`covered_villages`)."""
    lead_types = _list(spec.param("lead_types"), "lead_types")
    definition = describe(spec, ctx.level, ctx.population)
    county = ctx.county
    if county.alliances.empty:
        return Quantity(
            None,
            definition=definition,
            reason="no medical alliance reported (alliances.csv empty) / 未报告医联体",
        )
    villages, statuses, notes = covered_villages(county, lead_types)
    if ctx.level == "township":
        villages = villages[villages["township_code"].astype(str) == str(ctx.area)]
    blank = villages["population"].isna()
    if blank.any():
        return Quantity(
            None,
            statuses,
            definition=definition,
            reason=f"population not reported for {int(blank.sum())} of {len(villages)} covered villages "
            f"/ {int(blank.sum())} 个被覆盖村（共 {len(villages)} 个）人口未报告",
        )
    vstat: Iterable[str] = (
        villages["population_status"].dropna().astype(str).unique() if len(villages) else []
    )
    years = villages["population_year"].dropna() if len(villages) else pd.Series(dtype=float)
    year = int(years.max()) if len(years) else county.reference_year
    total = int(villages["population"].astype("Int64").sum()) if len(villages) else 0
    notes = [*notes, f"{len(villages)} villages covered"]
    return Quantity(Fraction(total), statuses + tuple(vstat), year, definition, notes=tuple(notes))


# --------------------------------------------------------------------------------------------
# Survey and county TCM hospital


#: Counts of ``[survey]`` the ``survey`` kind reads: field -> (Chinese, English) of its survey.
SURVEY_FIELDS: dict[str, tuple[str, str]] = {
    "satisfied": ("满意度调查", "satisfaction survey"),
    "respondents": ("满意度调查", "satisfaction survey"),
    "aware": ("知晓率调查", "awareness survey"),
    "awareness_respondents": ("知晓率调查", "awareness survey"),
}


def survey(spec: Spec, ctx: Context) -> Quantity:
    """Return a count from ``county.toml`` ``[survey]`` (a key of :data:`SURVEY_FIELDS`)."""
    key = str(spec.param("field"))
    definition = describe(spec, ctx.level, ctx.population)
    s = ctx.county.survey
    value = s.get(key)
    if (
        ctx.level != "county"
        or value is None
        or isinstance(value, bool)
        or not isinstance(value, (int, float))
    ):
        what = SURVEY_FIELDS.get(key, (key, key))
        return Quantity(
            None,
            definition=definition,
            reason=f"{what[1]} not reported / {what[0]}未报告",
        )
    year = s.get("year")
    return Quantity(
        exact(value),
        (str(s.get("status", "official")),),
        year if isinstance(year, int) else None,
        definition,
    )


#: Facility type of the county TCM hospital (县级中医医院) in facilities.csv.
TCM_HOSPITAL_TYPE = "county_tcm_hospital"


def has_county_tcm_hospital(county: County) -> bool:
    """Whether the facility list holds a county TCM hospital (type ``county_tcm_hospital``).

    ``[tcm_hospital]`` of ``county.toml`` (grade, departments) describes that facility; without
    it among the facilities the section describes nothing the bundle shows, and the hospital
    indicators give no verdict.

    Examples
    --------
    >>> import tcmcounty
    >>> has_county_tcm_hospital(tcmcounty.load_county("wenxi", warn=False))
    True
    """
    f = county.facilities
    return bool(len(f)) and bool((f["type"].astype(str) == TCM_HOSPITAL_TYPE).any())


def _hospital(ctx: Context, definition: str) -> Quantity | None:
    if ctx.level != "county" or not ctx.county.tcm_hospital:
        return Quantity(
            None,
            definition=definition,
            reason="county TCM hospital not reported / 县中医医院未报告",
        )
    if not has_county_tcm_hospital(ctx.county):
        return Quantity(
            None,
            definition=definition,
            reason=(
                "no county TCM hospital (county_tcm_hospital) among the facilities, so "
                "[tcm_hospital] in county.toml describes no listed facility / "
                "机构名单中无县级中医医院，county.toml [tcm_hospital] 无对应机构"
            ),
        )
    return None


def hospital_departments(spec: Spec, ctx: Context) -> Quantity:
    """Count required departments the county TCM hospital has (``count = "present"``) or needs.

    ``required`` maps each department to the words that identify it (``康复科 = ["康复"]``).
    """
    required = spec.param("required") or {}
    if not isinstance(required, Mapping) or not required:
        raise ValueError("parameter 'required' must be a non-empty table of department = [words]")
    count = str(spec.param("count", "present"))
    if count not in ("present", "required"):
        raise ValueError(f"parameter 'count' must be 'present' or 'required', not {count!r}")
    definition = describe(spec, ctx.level, ctx.population)
    h = ctx.county.tcm_hospital
    if count == "required":
        return Quantity(Fraction(len(required)), (), None, definition)
    missing = _hospital(ctx, definition)
    if missing is not None:
        return missing
    depts = h.get("departments")
    if depts is None:
        return Quantity(
            None,
            definition=definition,
            reason="departments of the county TCM hospital not reported / 县中医医院科室未报告",
        )
    depts = _list(depts, "departments")
    have = [
        d for d, words in required.items() if any(w in x for x in depts for w in _list(words, d))
    ]
    lacking = [d for d in required if d not in have]
    notes = (f"missing / 缺: {'、'.join(lacking)}",) if lacking else ()
    return Quantity(
        Fraction(len(have)),
        (str(h.get("status", "official")),),
        _int(h.get("year")),
        definition,
        notes=notes,
        text="、".join(have) or "—",
    )


def hospital_grade(spec: Spec, ctx: Context) -> Quantity:
    """Return the position of the county TCM hospital's grade on the indicator's ordinal ``scale``."""
    definition = describe(spec, ctx.level, ctx.population)
    missing = _hospital(ctx, definition)
    if missing is not None:
        return missing
    h = ctx.county.tcm_hospital
    grade = h.get("grade")
    if grade is None or not str(grade).strip():
        return Quantity(
            None,
            definition=definition,
            reason="grade of the county TCM hospital not reported / 县中医医院等级未报告",
        )
    rank = ctx.indicator.rank(str(grade))
    if rank is None:
        return Quantity(
            None,
            definition=definition,
            reason=f"grade {grade!r} is not on the scale {', '.join(ctx.indicator.scale)} "
            f"/ 等级 {grade!r} 不在等级表中",
        )
    return Quantity(
        Fraction(rank),
        (str(h.get("status", "official")),),
        _int(h.get("year")),
        definition,
        text=str(grade),
    )


def constant(spec: Spec, ctx: Context) -> Quantity:
    """Return a fixed number (``value``), e.g. the denominator 1 of a grade."""
    return Quantity(
        exact(spec.param("value", 1)), (), None, describe(spec, ctx.level, ctx.population)
    )


def _int(x: object) -> int | None:
    return int(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


# --------------------------------------------------------------------------------------------
# Definitions (one line each; used in result rows and in the methods appendix)


def _d_resource(spec: Spec, level: str, pop: str, en: bool = False) -> str:
    key = str(spec.param("field"))
    where = f"county total, county.toml [resources.{key}]"
    if en:
        return f"{RESOURCE_EN.get(key, key)} ({where})"
    return f"{RESOURCE_KEYS.get(key, key)} {key} ({where})"


def _d_population(spec: Spec, level: str, pop: str, en: bool = False) -> str:
    kind = str(spec.param("population", pop))
    label = (POPULATION_EN if en else POPULATION_LABELS).get(kind, str(pop))
    return (
        f"{label} of the township (townships.csv)"
        if level == "township"
        else f"{label} of the county"
    )


def _d_facility_count(spec: Spec, level: str, pop: str, en: bool = False) -> str:
    types = _list(spec.param("types"), "types")
    # the registry stores ``where`` as a table of column = value
    where = cast("Mapping[str, object]", spec.param("where") or {})
    cond = " and ".join(f"{_column(c, en)} = {str(v).lower()}" for c, v in where.items())
    at_least = spec.param("at_least")
    pairs = at_least.items() if isinstance(at_least, Mapping) else ()
    reach = [f"{_column(c, en)} ≥ {v}" for c, v in pairs]
    share = spec.param("share_at_least")
    if isinstance(share, Mapping):
        p, w = str(share.get("part")), str(share.get("whole"))
        over = " over " if en else " / "  # an English formula has no " / " (bilingual texts do)
        reach.append(
            f"{_column(p, en)}{over}{_column(w, en)} ≥ {float(exact(share.get('value', 0))):.0%}"
        )
    cond = " and ".join(x for x in (cond, *reach) if x)
    req = _list(spec.param("require_reported"), "require_reported")
    text = f"number of {_types_text(types, en)}" + (f" with {cond}" if cond else "")
    text += f" (reporting {', '.join(req)})" if req else ""
    return text + (" in the township" if level == "township" else "")


def _d_facility_sum(spec: Spec, level: str, pop: str, en: bool = False) -> str:
    col = str(spec.param("field"))
    types = _list(spec.param("types"), "types")
    where = "in the township" if level == "township" else "in the county"
    req = _list(spec.param("require_reported"), "require_reported")
    text = f"sum of {_column(col, en)} over {_types_text(types, en)} {where}"
    return text + (f" (reporting {', '.join(req)})" if req else "")


def _d_alliance(spec: Spec, level: str, pop: str, en: bool = False) -> str:
    lead_types = _list(spec.param("lead_types"), "lead_types")
    lead = _types_text(lead_types, en) if lead_types else "any facility"
    where = " in the township" if level == "township" else ""
    member = (
        "(its village clinic or community health station a member; lacking one, its township's "
        "health centre or community health centre)"
        if en
        else "(its 村卫生室/社区卫生服务站 a member; lacking one, its township's 乡镇卫生院/社区卫生服务中心)"
    )
    return f"population of villages{where} covered by medical alliances led by {lead} {member}"


def _d_survey(spec: Spec, level: str, pop: str, en: bool = False) -> str:
    return f"survey {spec.param('field')} (county.toml [survey])"


def _d_departments(spec: Spec, level: str, pop: str, en: bool = False) -> str:
    required = list(spec.param("required") or {})  # type: ignore[call-overload]
    names = (
        ", ".join(DEPARTMENTS_EN.get(d, d) for d in required)
        if en and all(d in DEPARTMENTS_EN for d in required)
        else f"the {len(required)} named in the registry"
        if en
        else "、".join(required)
    )
    which = "present" if spec.param("count", "present") == "present" else "required"
    return (
        f"departments of the county TCM hospital {which} among {names} (county.toml [tcm_hospital])"
    )


def _d_grade(spec: Spec, level: str, pop: str, en: bool = False) -> str:
    grade = "grade" if en else "grade (等级)"
    return (
        f"{grade} of the county TCM hospital on an ordinal scale (county.toml [tcm_hospital] grade)"
    )


def _d_constant(spec: Spec, level: str, pop: str, en: bool = False) -> str:
    return f"{spec.param('value', 1)}"


def _is_text(v: object) -> bool:
    return isinstance(v, str)


def _is_texts(v: object) -> bool:
    return isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v))


def _is_table(v: object) -> bool:
    return isinstance(v, Mapping)


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


#: What each parameter's value must be in a registry file: a check, and its words (en, zh).
PARAM_SHAPES: dict[str, tuple[Callable[[object], bool], str, str]] = {
    "field": (_is_text, "a column or item name (text)", "字段名（文本）"),
    "population": (_is_text, "a population kind (text)", "人口口径（文本）"),
    "count": (_is_text, '"present" or "required"', '"present" 或 "required"'),
    "types": (_is_texts, "a facility type or a list of them", "机构类型或其列表"),
    "require_reported": (_is_texts, "a column or a list of columns", "字段或字段列表"),
    "lead_types": (_is_texts, "a facility type or a list of them", "机构类型或其列表"),
    "where": (_is_table, "a table { column = value }", "表 { 字段 = 取值 }"),
    "at_least": (_is_table, "a table { column = number }", "表 { 字段 = 数值 }"),
    "share_at_least": (
        _is_table,
        "a table { part = column, whole = column, value = fraction }",
        "表 { part = 字段, whole = 字段, value = 比例 }",
    ),
    "required": (_is_table, "a table { department = [words] }", "表 { 科室 = [关键词] }"),
    "value": (_is_number, "a number", "数值"),
}


@dataclass(frozen=True)
class Kind:
    """A registered kind: the function, its one-line definition and the parameters it accepts."""

    name: str
    func: Callable[[Spec, Context], Quantity]
    describe: Callable[[Spec, str, str, bool], str]
    params: tuple[str, ...] = field(default=())


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("resource", resource, _d_resource, ("field",)),
        Kind("population", population, _d_population, ("population",)),
        Kind(
            "facility_count",
            facility_count,
            _d_facility_count,
            ("types", "where", "require_reported", "at_least", "share_at_least"),
        ),
        Kind("facility_sum", facility_sum, _d_facility_sum, ("field", "types", "require_reported")),
        Kind("alliance_population", alliance_population, _d_alliance, ("lead_types",)),
        Kind("survey", survey, _d_survey, ("field",)),
        Kind("hospital_departments", hospital_departments, _d_departments, ("required", "count")),
        Kind("hospital_grade", hospital_grade, _d_grade, ()),
        Kind("constant", constant, _d_constant, ("value",)),
    )
}


def get_kind(name: str) -> Kind:
    """Return the kind called ``name``.

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    ValueError
        If no kind has that name; the message lists the valid names.

    Examples
    --------
    >>> get_kind("resource").params
    ('field',)
    """
    if not isinstance(name, str):
        raise TypeError(f"kind must be a str, not {type(name).__name__}")
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(
            f"unknown numerator/denominator kind {name!r}; valid kinds: {', '.join(KINDS)}"
        ) from None


def evaluate(spec: Spec, ctx: Context) -> Quantity:
    """Compute ``spec`` in ``ctx`` with the function its kind names."""
    return get_kind(spec.kind).func(spec, ctx)


def describe(
    spec: Spec, level: str = "county", population: str = "resident", lang: str = "zh-en"
) -> str:
    """Return the one-line definition of ``spec`` at ``level``.

    The definition kept in the indicator table (``lang="zh-en"``) is English with the Chinese
    names of the inputs beside them (``常住人口 resident population``); ``lang="en"`` gives it
    in English words only, for English reports (no Chinese but 中医馆 and 中医阁, the
    programme's own names).

    Parameters
    ----------
    spec : Spec
        The numerator or denominator.
    level : {"county", "township"}
        Level of the result row.
    population : {"resident", "registered"}
        Population base of per-capita denominators.
    lang : {"zh-en", "en"}
        ``"zh-en"`` for the table's text, ``"en"`` for English words only.

    Returns
    -------
    str

    Examples
    --------
    >>> describe(Spec("population"), "county", "registered")
    '户籍人口 registered population of the county'
    >>> describe(Spec("population"), "county", "registered", lang="en")
    'registered population of the county'
    """
    if lang not in ("zh-en", "en"):
        raise ValueError(f"lang must be 'zh-en' or 'en', not {lang!r}")
    return get_kind(spec.kind).describe(spec, level, population, lang == "en")
