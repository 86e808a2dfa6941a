"""Which distance model a figure uses, the detour factor's source and band, and the policy circles.

Every output that shows a distance or a time names its model with :class:`DistanceModel`:
straight line × detour factor (the default), a road network, a friction surface, or a user's
travel-time table. Straight-line figures come with the sensitivity band of the detour factor
(:data:`DETOUR_BAND`), computed by :func:`detour_sensitivity` with the same coverage function
as the figure itself.

Examples
--------
>>> m = straight_line_model(1.0)
>>> m.kind, m.unit
('straight', 'km')
>>> print(m.lines()[0])
distance model: straight line × detour 1 (no road or friction layer) / 距离模型：直线距离 × 绕行系数 1
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from tcmcounty.io import FileKind, check_user_file
from tcmcounty.spatial.travel._errors import TravelFileError

#: Sensitivity band of the road / straight-line detour factor.
DETOUR_BAND: tuple[float, float] = (1.2, 1.5)

#: Sources of the detour factor and its band, with evidence grades.
DETOUR_SOURCES: tuple[str, ...] = (
    "Boscoe FP, Henry KA, Zdeb MS (2012). A nationwide comparison of driving distance versus "
    "straight-line distance to hospitals. Prof Geogr 64(2). doi:10.1080/00330124.2011.583586 — "
    "driving and straight-line distance are highly correlated (r² > 0.9), with local exceptions "
    "near shorelines and other barriers [verified: abstract read]",
    "band 1.2–1.5: the range of road-network circuity factors commonly used for rural road "
    "networks (e.g. Ballou, Rahardja & Sakai 2002) [unverified: the ratio tables were not read "
    "here; measure it with --roads where a road layer exists]",
)

Kind = Literal["straight", "roads", "friction", "table"]

#: Columns a travel-time table must have (read by :func:`tcmcounty.spatial.coverage.read_travel_times`).
TRAVEL_TIME_COLUMNS: tuple[str, ...] = ("demand_id", "supply_id", "minutes")
#: A travel-time table file (``--travel-times``).
TRAVEL_TABLE = FileKind(
    "travel-time table",
    "出行时间表",
    "a CSV table (UTF-8 or GBK) whose first line names the columns "
    + ", ".join(TRAVEL_TIME_COLUMNS),
    "首行为列名 " + "、".join(TRAVEL_TIME_COLUMNS) + " 的 CSV 表格（UTF-8 或 GBK 编码）",
    max_bytes=200 * 1024 * 1024,
)


def check_travel_table(path: str | os.PathLike[str]) -> Path:
    r"""Return ``path`` if it is a travel-time table by its first line, else refuse it unquoted.

    Only the header is judged (the columns of :data:`TRAVEL_TIME_COLUMNS`); the values are
    checked when the table is read. A file that is no such table is refused by
    :class:`~tcmcounty.spatial.travel._errors.TravelFileError`, which never quotes the file.

    Raises
    ------
    TravelFileError
        Naming the file, the columns missing and what a travel-time table is.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("demand_id,supply_id,minutes\n1,2,3.5\n", encoding="utf-8")
    >>> check_travel_table(p) == p
    True
    >>> _ = p.write_text("SECRET-TOKEN\n", encoding="utf-8")
    >>> check_travel_table(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    tcmcounty.spatial.travel._errors.TravelFileError: ...: travel-time table lacks, in its first line, the columns demand_id, supply_id, minutes; ...
    """
    from tcmcounty.inputs.text import DecodeError, decode

    p = check_user_file(path, TRAVEL_TABLE, TravelFileError)
    try:
        text, _ = decode(p.read_bytes())
    except (OSError, DecodeError):
        raise TravelFileError(
            p, TRAVEL_TABLE, "is not text in UTF-8 or GBK", "不是 UTF-8 或 GBK 文本"
        ) from None
    first = next(csv.reader(io.StringIO(text[:65536].lstrip("\ufeff"))), [])
    header = {c.strip() for c in first}
    missing = [c for c in TRAVEL_TIME_COLUMNS if c not in header]
    if missing:
        raise TravelFileError(
            p,
            TRAVEL_TABLE,
            f"lacks, in its first line, the columns {', '.join(missing)}",
            f"首行缺少列 {'、'.join(missing)}",
        )
    return p


@dataclass(frozen=True)
class ServiceCircle:
    """A policy travel-time circle (e.g. the 15-minute health service circle)."""

    minutes: float
    wording: str
    source: str
    grade: str

    def line(self) -> str:
        """``15 min: wording — source [grade]``."""
        return f"{self.minutes:g} min: {self.wording} — {self.source} [{self.grade}]"


#: Policy wording for the 15 / 30 minute circles, graded like every other source.
SERVICE_CIRCLES: tuple[ServiceCircle, ...] = (
    ServiceCircle(
        15,
        "以县域为单位，根据服务人口和半径，合理布局医疗卫生机构，打造15分钟医疗卫生服务圈",
        "国家卫生健康委新闻发布会（基层卫生健康司诸宏明），as reported at "
        "http://cuiru123.com/caijing/50089.html",
        "verified (news report of the press conference; the official transcript not read)",
    ),
    ServiceCircle(
        15,
        "超过90%的居民可在15分钟内就近就医（十四五 outcome）",
        "经济日报 2025-11-28, as summarised at https://reportify.ai/news/1191711486943301632; "
        "also 国新办 2020-10-28: ~90% 家庭15分钟内到达最近医疗点 (domain notes E31)",
        "verified (news)",
    ),
    ServiceCircle(
        30,
        "农村地区30分钟（县域内）医疗卫生服务圈 — provincial wording differs",
        "provincial 十四五 health plans (not found in the sources searched here)",
        "unverified (check your province's plan before citing)",
    ),
)


@dataclass(frozen=True)
class DistanceModel:
    """How the distances or times of a figure were obtained.

    Attributes
    ----------
    kind : {"straight", "roads", "friction", "table"}
    unit : {"km", "min"}
    label : str
        One-line description (layer, mode, speeds).
    detour : float
        Detour factor (straight line only, else 1).
    notes : tuple of str
        Further lines: sources, snapping, flagged points.
    """

    kind: Kind
    unit: str
    label: str
    detour: float = 1.0
    notes: tuple[str, ...] = field(default=())

    def lines(self) -> list[str]:
        """Lines for a report or a table title, model first, then sources and notes."""
        out = [f"distance model: {self.label}"]
        if self.kind == "straight":
            lo, hi = DETOUR_BAND
            out.append(f"detour factor sensitivity band {lo:g}–{hi:g}; sources:")
            out.extend(f"  - {s}" for s in DETOUR_SOURCES)
        out.extend(self.notes)
        return out


def straight_line_model(detour: float = 1.0) -> DistanceModel:
    """Return the default model: straight line in the county's metric CRS × ``detour``."""
    return DistanceModel(
        "straight",
        "km",
        f"straight line × detour {detour:g} (no road or friction layer) / "
        f"距离模型：直线距离 × 绕行系数 {detour:g}",
        float(detour),
    )


def table_model(path: str) -> DistanceModel:
    """Return the model of a user's travel-time table."""
    return DistanceModel("table", "min", f"travel-time table {path} / 出行时间表")


def detour_sensitivity(
    county: object,
    thresholds: object = None,
    level: str = "pavilion",
    band: tuple[float, float] = DETOUR_BAND,
) -> pd.DataFrame:
    """Return the population share covered at each km threshold for detour 1, and the band's two ends.

    Uses :func:`tcmcounty.spatial.coverage.cumulative_coverage` (the same function as the figures).

    Returns
    -------
    pandas.DataFrame
        ``threshold``, ``share_detour_1``, ``share_detour_<lo>``, ``share_detour_<hi>``.

    Examples
    --------
    >>> import tcmcounty
    >>> county = tcmcounty.load_county("anyue", warn=False)
    >>> s = detour_sensitivity(county, "2,5")
    >>> s.columns.tolist()
    ['threshold', 'share_detour_1', 'share_detour_1.2', 'share_detour_1.5']
    >>> bool((s["share_detour_1"] >= s["share_detour_1.5"]).all())  # a longer detour covers less
    True
    """
    from tcmcounty.spatial.coverage import cumulative_coverage

    rows: dict[str, list[object]] = {}
    for d in (1.0, *band):
        res = cumulative_coverage(county, thresholds=thresholds, level=level, detour=d)  # type: ignore[arg-type]
        tab = res.table("county")
        rows.setdefault("threshold", [t.label for t in res.thresholds])
        rows[f"share_detour_{d:g}"] = [
            float(tab[f"covered_share_{t.label}"].iloc[0]) for t in res.thresholds
        ]
    return pd.DataFrame(rows)
