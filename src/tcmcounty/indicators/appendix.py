"""The registry rendered as a methods appendix (definitions, formula, target, source)."""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from typing import Protocol, cast

import pandas as pd

from tcmcounty.indicators.kinds import describe
from tcmcounty.indicators.model import GRADE_LABELS, Indicator, TargetSet, target_with_grade
from tcmcounty.indicators.registry import Registry, load_registry
from tcmcounty.indicators.targets import load_targets

APPENDIX_COLUMNS = (
    "id",
    "name_zh",
    "name_en",
    "unit",
    "levels",
    "definition",
    "formula",
    "formula_en",
    "target",
    "target_township",
    "target_basis",
    "target_source",
    "target_evidence",
    "target_grade",
    "target_township_grade",
    "area",
    "need_unit",
)
FORMATS = ("markdown", "html")

METHODS_TEXT = {
    "markdown": """\
**Method / 计算方法.** Each indicator is *numerator ÷ denominator × factor*, computed after aggregation
(DHIS2 model): numerators and denominators are summed over the area, then divided; ratios of townships are
never averaged. The population base is 常住人口 (resident) unless 户籍人口 (registered) is chosen; the base and
its year are printed with every value. A missing input is *not reported*, never zero: the value is NA and the
reason is given; a zero denominator also gives NA. When an official county figure is not reported and the
bundle holds an estimate, the estimate is used and marked (`estimated`, "official figure not reported; estimate
used") unless estimates are switched off. The status of a value is the weakest of its inputs
(official > estimated > synthetic). **need** is the smallest whole number of units (beds, physicians, 中医阁,
residents covered …) that, added with the denominator unchanged, makes the target met; 0 when met. For an
upper bound (at most) it is the number to remove. A range (0.6–0.8) is a level to *reach*: met within or
above it, as the standard asks counties to reach it; only an indicator the registry marks as a band (with the
reason printed in its note) is not met above the top, where need is NA and **excess** gives the number above
the top. Targets are judged on the unrounded value. Facilities that did not report a yes/no
attribute are left out of both numerator and denominator of that share (noted); a blank staff or bed count
makes a township sum not computable. **Evidence grade** of each target: *verified* (已核实) = the text that
sets the number for the 示范县 review was read; *derived* (引自其他文件) = from an official document of another
scope; *unverified* (未核实) = seen only second-hand (news, a translation, memory); the evidence column says
where.""",
}


#: Plain words for the grades and qualifiers of an evidence note (``"VERIFIED (E30)"``).
_EVIDENCE_WORDS = (
    ("origin document UNVERIFIED", "原始文件未核实", "original document not verified"),
    ("coverage rule UNVERIFIED", "覆盖规则未核实", "coverage rule not verified"),
)


def evidence_words(evidence: object, lang: str = "zh", grade: object = None) -> str:
    """Say in plain words how far a target's evidence was checked (codes left to the appendix).

    ``"VERIFIED (E9, E30)"`` becomes ``"已核实"`` (``"verified"``); ``"UNVERIFIED (catalogue
    §3.1, E43)"`` becomes ``"未核实"``; a qualifier such as *origin document UNVERIFIED* is
    added. The evidence codes (catalogue sections, E-numbers) are shown as written beside it
    in the methods appendix.

    Parameters
    ----------
    evidence : object
        The target's ``evidence`` text (``""`` or missing gives ``""``).
    lang : {"zh", "en"}
        Language of the words.

    Returns
    -------
    str

    Examples
    --------
    >>> evidence_words("VERIFIED (seed); origin document UNVERIFIED")
    '已核实；原始文件未核实'
    >>> evidence_words("UNVERIFIED (catalogue §3.1; 2020 planning value 6 is VERIFIED, E43)", "en")
    'not verified'

    With the target's evidence ``grade`` the words are the grade's
    (:data:`~tcmcounty.indicators.model.GRADE_LABELS`), qualifiers still added:

    >>> evidence_words("E30: two news reprints", "zh", "derived")
    '引自其他文件'
    """
    text = "" if evidence is None or evidence != evidence else str(evidence).strip()
    zh = lang == "zh"
    if isinstance(grade, str) and grade in GRADE_LABELS:
        label = GRADE_LABELS[grade].split(" ", 1)
        words = [label[0] if zh else label[1]]
        words += [w_zh if zh else w_en for key, w_zh, w_en in _EVIDENCE_WORDS if key in text]
        return ("；" if zh else "; ").join(words)
    if not text:
        return ""
    head = text.split("(", 1)[0].strip().upper()
    if head.startswith("UNVERIFIED"):
        words = ["未核实" if zh else "not verified"]
    elif head.startswith("VERIFIED"):
        words = ["已核实" if zh else "verified"]
    else:
        words = ["见证据说明" if zh else "see the evidence note"]
    words += [w_zh if zh else w_en for key, w_zh, w_en in _EVIDENCE_WORDS if key in text]
    return ("；" if zh else "; ").join(words)


def _formula(ind: Indicator, level: str, lang: str = "zh-en") -> str:
    num, den = ind.specs(level)  # type: ignore[arg-type]
    factor = f" × {ind.factor:,}" if ind.factor != 1 else ""
    return f"[{describe(num, level, lang=lang)}] ÷ [{describe(den, level, lang=lang)}]{factor}"


def _formulas(ind: Indicator, lang: str) -> str:
    """Return the county formula, and the township one when it differs."""
    formula = _formula(ind, "county", lang)
    if "township" in ind.levels and ind.specs("township") != ind.specs("county"):
        formula += f"; township level: {_formula(ind, 'township', lang)}"
    return formula


def appendix(
    target_set: str | os.PathLike[str] | TargetSet | None = None, registry: Registry | None = None
) -> pd.DataFrame:
    """Return the methods appendix as a table: one row per indicator.

    Parameters
    ----------
    target_set : str, path or TargetSet, optional
        Target set whose targets are shown (default set when ``None``; see :func:`load_targets`).
    registry : Registry, optional
        Indicator registry (the shipped one by default).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`APPENDIX_COLUMNS`; ``df.attrs["target_set"]`` names the set.
        ``formula`` names the inputs in English with their Chinese names beside them,
        ``formula_en`` in English words only (for English reports).

    Examples
    --------
    >>> from tcmcounty.indicators import appendix
    >>> a = appendix()
    >>> a.set_index("id").loc["T-TCMGP", "target"]
    '0.6–0.8'
    """
    reg = registry or load_registry()
    ts = load_targets(target_set)
    rows = []
    for ind in reg:
        t = ts.lookup(ind.id, "county")
        tt = ts.lookup(ind.id, "township") if "township" in ind.levels else None
        rows.append(
            {
                "id": ind.id,
                "name_zh": ind.name_zh,
                "name_en": ind.name_en,
                "unit": ind.unit,
                "levels": ", ".join(ind.levels),
                "definition": ind.description,
                "formula": _formulas(ind, "zh-en"),
                "formula_en": _formulas(ind, "en"),
                "target": t.describe(ind.decimals, ind.scale) if t else "",
                "target_township": tt.describe(ind.decimals, ind.scale) if tt else "",
                "target_basis": t.basis if t else "",
                "target_source": t.citation if t else "",
                "target_evidence": t.evidence if t else "",
                "target_grade": t.grade if t else "",
                "target_township_grade": tt.grade if tt else "",
                "area": ind.area,
                "need_unit": ind.need_unit,
            }
        )
    df = pd.DataFrame(rows, columns=list(APPENDIX_COLUMNS))
    df.attrs.update({"target_set": ts.id, "target_set_label": ts.label})
    return df


class _Row(Protocol):
    """A row of :func:`appendix` as ``itertuples`` gives it: the columns the views print."""

    id: str
    name_zh: str
    name_en: str
    unit: str
    definition: str
    formula: str
    target: str
    target_township: str
    target_basis: str
    target_source: str
    target_evidence: str
    target_grade: str
    target_township_grade: str


def _rows(df: pd.DataFrame) -> Iterable[_Row]:
    """Return the rows of an :func:`appendix` table (``df.itertuples(index=False)``)."""
    # cast: pandas-stubs type itertuples' fields as any scalar; appendix() fills every column
    # with text
    return cast("Iterable[_Row]", df.itertuples(index=False))


def _graded_target(r: _Row) -> str:
    """County target and (when it differs) township target, each with its evidence grade."""
    text = target_with_grade(r.target, r.target_grade)
    tt = r.target_township
    if tt and (tt != r.target or r.target_township_grade != r.target_grade):
        text += f"; township: {target_with_grade(tt, r.target_township_grade)}"
    return text


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def appendix_text(
    target_set: str | os.PathLike[str] | TargetSet | None = None,
    fmt: str = "markdown",
    registry: Registry | None = None,
) -> str:
    """Render the methods appendix as Markdown or HTML for reports.

    Parameters
    ----------
    target_set : str, path or TargetSet, optional
        Target set shown (default set when ``None``).
    fmt : {"markdown", "html"}
        Output format.
    registry : Registry, optional
        Indicator registry.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``fmt`` is not ``"markdown"`` or ``"html"``.

    Examples
    --------
    >>> from tcmcounty.indicators import appendix_text
    >>> print(appendix_text().splitlines()[0])
    ## 指标与目标说明 / Indicators and targets (target set: national-2025)
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    df = appendix(target_set, registry)
    label = df.attrs["target_set_label"]
    title = f"指标与目标说明 / Indicators and targets (target set: {df.attrs['target_set']})"
    if fmt == "markdown":
        lines = [
            f"## {title}",
            "",
            f"Target set / 目标集: {label}",
            "",
            METHODS_TEXT["markdown"],
            "",
            "| ID | 指标 / Indicator | Formula / 公式 | Target / 目标 | Source / 依据 | Evidence |",
            "|---|---|---|---|---|---|",
        ]
        for r in _rows(df):
            target = _graded_target(r)
            lines.append(
                "| "
                + " | ".join(
                    _md_cell(x)
                    for x in (
                        r.id,
                        f"{r.name_zh}<br>{r.name_en} ({r.unit})",
                        r.formula,
                        target,
                        f"{r.target_source} — {r.target_basis}"
                        if r.target_basis
                        else r.target_source,
                        r.target_evidence,
                    )
                )
                + " |"
            )
        lines += ["", "### Definitions / 定义", ""]
        lines += [f"- **{r.id} {r.name_zh}** — {r.definition}" for r in _rows(df)]
        return "\n".join(lines) + "\n"
    e = html.escape
    out = [
        f"<h2>{e(title)}</h2>",
        f"<p>Target set / 目标集: {e(label)}</p>",
        "<p>"
        + e(METHODS_TEXT["markdown"].replace("**", "").replace("*", "").replace("`", ""))
        + "</p>",
        "<table>",
        "<thead><tr><th>ID</th><th>指标 / Indicator</th><th>Definition / 定义</th>"
        "<th>Formula / 公式</th><th>Target / 目标</th><th>Source / 依据</th><th>Evidence</th></tr></thead>",
        "<tbody>",
    ]
    for r in _rows(df):
        target = _graded_target(r)
        out.append(
            "<tr>"
            + "".join(
                f"<td>{c}</td>"
                for c in (
                    e(r.id),
                    f"{e(r.name_zh)}<br>{e(r.name_en)} ({e(r.unit)})",
                    e(r.definition),
                    e(r.formula),
                    e(target),
                    e(
                        f"{r.target_source} — {r.target_basis}"
                        if r.target_basis
                        else r.target_source
                    ),
                    e(r.target_evidence),
                )
            )
            + "</tr>"
        )
    out += ["</tbody>", "</table>"]
    return "\n".join(out) + "\n"
