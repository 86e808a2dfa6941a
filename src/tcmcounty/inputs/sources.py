"""The county's own data: a workbook or folder without a sources table.

A planner's workbook often has no 数据来源 sheet: its figures are the county's own. Such a
bundle gets one source, ``user-data`` ("workbook <file>, provided by the user"), on every figure
and row that names none; statuses stay as given (``official`` where no status column says
otherwise), and the report says that the county supplied the figures.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import cast

import pandas as pd

from tcmcounty.inputs.raw import RawBundle
from tcmcounty.schema import TABLES

#: Source id given to the figures of a bundle without a sources table.
USER_SOURCE = "user-data"


def _title(what_en: str, what_zh: str) -> str:
    return f"{what_en}, provided by the user / {what_zh}，由用户提供"


def ensure_user_source(raw: RawBundle, what_en: str, what_zh: str) -> None:
    """Add the ``user-data`` source to a sources table when a figure cites it and it is absent."""
    df = raw.tables.get("sources")
    if df is None or (df["id"] == USER_SOURCE).any():
        return
    cites = any(
        isinstance(fig, dict) and fig.get("source") == USER_SOURCE
        for group in ("population", "resources")
        # a county.toml table (population, resources): figures by name
        for entry in cast("dict[str, object]", raw.meta.get(group) or {}).values()
        if isinstance(entry, dict)
        for fig in (entry, entry.get("estimate"))
    )
    if not cites:
        return
    row: dict[Hashable, object] = {c: None for c in df.columns}
    row.update({"_row": 0, "id": USER_SOURCE, "title": _title(what_en, what_zh)})
    raw.tables["sources"] = pd.concat([df, pd.DataFrame([row])], ignore_index=True).astype(
        df.dtypes.to_dict()
    )


#: Source id of the national division codes (tables supplied by :mod:`.completion`).
NBS_SOURCE = "nbs2023"


def ensure_nbs_source(raw: RawBundle) -> None:
    """Add the NBS 2023 division codes to the sources table (cited by supplied tables)."""
    df = raw.tables.get("sources")
    if df is None or (df["id"] == NBS_SOURCE).any():
        return
    row: dict[Hashable, object] = {c: None for c in df.columns}
    row.update(
        {
            "_row": 0,
            "id": NBS_SOURCE,
            "title": "2023年统计用区划代码和城乡划分代码 / NBS 2023 statistical division codes",
            "issuer": "国家统计局 / National Bureau of Statistics",
            "year": 2023,
            "url": "https://www.stats.gov.cn/sj/tjbz/tjyqhdmhcxhfdm/2023/",
        }
    )
    raw.tables["sources"] = pd.concat([df, pd.DataFrame([row])], ignore_index=True).astype(
        df.dtypes.to_dict()
    )


def default_sources(raw: RawBundle, what_en: str, what_zh: str) -> None:
    """Give a bundle without a sources table the single source "provided by the user".

    Parameters
    ----------
    raw : RawBundle
        The bundle as read; changed in place.
    what_en, what_zh : str
        What was read, e.g. ``workbook 闻喜.xlsx`` / ``工作簿 闻喜.xlsx``.
    """
    title = _title(what_en, what_zh)
    raw.tables["sources"] = pd.DataFrame(
        {
            "_row": pd.Series([0], dtype="int64"),
            **{c.name: pd.Series([None], dtype="string") for c in TABLES["sources"].columns},
        }
    )
    raw.tables["sources"].loc[0, "id"] = USER_SOURCE
    raw.tables["sources"].loc[0, "title"] = title
    raw.tables["sources"].loc[0, "issuer"] = "county / 县（用户提供）"
    raw.tables["sources"]["year"] = pd.array([None], dtype="Int64")
    filled = 0
    for group in ("population", "resources"):
        section = raw.meta.get(group)
        if not isinstance(section, dict):
            continue
        for entry in section.values():
            if not isinstance(entry, dict):
                continue
            for fig in (entry, entry.get("estimate")):
                if isinstance(fig, dict) and "value" in fig and not fig.get("source"):
                    fig["source"] = USER_SOURCE
                    filled += 1
    for group in ("tcm_hospital", "survey"):
        section = raw.meta.get(group)
        if isinstance(section, dict) and section and not section.get("source"):
            section["source"] = USER_SOURCE
    for name, df in raw.tables.items():
        if name != "sources" and "source" in df:
            df["source"] = df["source"].astype("string").fillna(USER_SOURCE)
    raw.problem(
        "note",
        "county",
        f"no sources table: the figures are taken as the county's own ({title}); statuses are "
        "official unless a status column says otherwise",
        f"无数据来源表：数据视为县里提供（{what_zh}，由用户提供）；未注明状态的视为官方数据",
    )


def supplied_by_user(sources: pd.DataFrame) -> str | None:
    """Return the title of the "provided by the user" source when the bundle cites it, else ``None``.

    Examples
    --------
    >>> import tcmcounty
    >>> supplied_by_user(tcmcounty.load_county("wenxi", warn=False).sources) is None
    True
    """
    if "id" not in sources:
        return None
    hit = sources[sources["id"].astype("string") == USER_SOURCE]
    return None if hit.empty else str(hit["title"].iloc[0])
