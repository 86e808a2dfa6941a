"""One unit listed twice: facilities, villages and alliances that are the same under two rows.

A duplicated row doubles a count and can turn 8.3% into 15.4% and 未达标 into 达标. Ids are
checked for uniqueness elsewhere (:func:`tcmcounty.inputs.validate.check`); here the *units*:

* facilities of the same type in the same township with the same folded name
  (:func:`tcmcounty.inputs.names.facility_key`: full-width spaces, invisible characters and the
  kind suffix 卫生室 / 村卫生室 do not make two units) are an **error** naming both rows;
* facilities of the same type with the same village code and folded name under two townships
  (one clinic on the sheets of two townships) are an **error** naming both rows and the other
  sheet;
* facilities of the same type at exactly the same point are a **warning** naming both rows
  (two clinics of one village geocoded to the village's point are possible);
* villages of one township with the same short name (:func:`tcmcounty.inputs.names.name_key`),
  and alliances with the same name, are an **error** naming both rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import pandas as pd

from tcmcounty.inputs.names import facility_key, facility_place_kind, name_key
from tcmcounty.inputs.raw import RawBundle


def check_identity(raw: RawBundle) -> None:
    """Append an error for every unit listed twice in ``raw`` (and a warning for a shared point)."""
    f = raw.tables.get("facilities")
    if f is not None and len(f) and "name" in f:
        _twice(raw, "facilities", f, lambda r: (r.get("type"), _town(r), facility_key(r["name"])),
               "the same facility as row {first} ({name}): one unit listed twice; delete one "
               "row, or name them apart (e.g. （一）/（二）)",
               "与第 {first} 行（{name}）为同一机构，重复列出；请删去一行，或在名称中区分（如（一）/（二））",
               "error", same=_same_place_kind)  # fmt: skip
        if "village_code" in f:  # one clinic on the sheets of two townships: its village says
            _twice(raw, "facilities", f, _by_village,
                   "the same facility as row {first} ({name}): same name and village code, listed "
                   "under two townships; delete the row that is not its township's",
                   "与第 {first} 行（{name}）名称与村代码相同，在两个乡镇下重复列出；请删去不属于本乡镇的一行",
                   "error", same=_other_town)  # fmt: skip
        if "lon" in f and "lat" in f:
            _twice(raw, "facilities", f, _point,
                   "a facility of the same type at exactly the same point as row {first} ({name}): "
                   "check that they are two units", "与第 {first} 行（{name}）类型相同且坐标完全相同：请确认是两个机构",
                   "warning")  # fmt: skip
    v = raw.tables.get("villages")
    if v is not None and len(v) and "name" in v:
        # two villages with one short name but their own codes are NBS namesakes (六峰社区居委会
        # and 六峰居委会 of one town): only a row without a code of its own can repeat another
        _twice(raw, "villages", v, lambda r: (_town(r), name_key(str(r["name"]))),
               "the same village as row {first} ({name}) in this township: one village listed twice",
               "与第 {first} 行（{name}）为本乡镇同一村，重复列出", "error",
               same=lambda a, b: "?" in (_code(a), _code(b)))  # fmt: skip
    a = raw.tables.get("alliances")
    if a is not None and len(a) and "name" in a:
        _twice(raw, "alliances", a, lambda r: facility_key(r["name"]),
               "the same alliance as row {first} ({name}): one alliance listed twice",
               "与第 {first} 行（{name}）为同一医联体，重复列出", "error")  # fmt: skip


def _same_place_kind(a: pd.Series, b: pd.Series) -> bool:
    """Two names of one stem are one unit unless they say different kinds (村 / 社区)."""
    ka, kb = facility_place_kind(a["name"]), facility_place_kind(b["name"])
    return not (ka and kb and ka != kb)


def _other_town(a: pd.Series, b: pd.Series) -> bool:
    """Two rows of one village's clinic under two townships (one township: the name key's)."""
    return _town(a) != _town(b)


def _by_village(r: pd.Series) -> Hashable:
    """Key a facility by its type, village code and folded name; None without a village code."""
    code = r.get("village_code")
    if code is None or pd.isna(code) or not str(code).strip():
        return None
    return (r.get("type"), str(code).strip(), facility_key(r["name"]))


def _code(r: pd.Series) -> str:
    """Return the village's own code, or ``"?"`` when it has none (it may then repeat any namesake)."""
    code = r.get("code")
    return "?" if code is None or pd.isna(code) or not str(code).strip() else str(code).strip()


def _town(r: pd.Series) -> str:
    code = r.get("township_code")
    return "" if code is None or pd.isna(code) else str(code).strip()


def _point(r: pd.Series) -> Hashable:
    lon, lat = r.get("lon"), r.get("lat")
    if lon is None or lat is None or pd.isna(lon) or pd.isna(lat):
        return None
    return (r.get("type"), round(float(lon), 6), round(float(lat), 6))


def _twice(
    raw: RawBundle,
    table: str,
    df: pd.DataFrame,
    key: Callable[[pd.Series], Hashable],
    en: str,
    zh: str,
    severity: str,
    same: Callable[[pd.Series, pd.Series], bool] | None = None,
) -> None:
    """Report every row whose ``key`` an earlier row already has, naming the earlier row.

    ``same(first, row)``, when given, must also hold for the two to be one unit.
    """
    seen: dict[Hashable, list[pd.Series]] = {}
    for _, r in df.iterrows():
        name = r.get("name")
        if name is None or pd.isna(name) or not str(name).strip():
            continue
        k = key(r)
        if k is None or k == "" or (isinstance(k, tuple) and k[-1] == ""):
            continue
        earlier = seen.setdefault(k, [])
        first = next((e for e in earlier if same is None or same(e, r)), None)
        if first is None:
            earlier.append(r)
            continue
        sheet, shown = raw.locate(table, int(first["_row"]))
        here, _ = raw.locate(table, int(r["_row"]))
        other = f"sheet '{sheet}'" if sheet and sheet != here else ""
        first_name = str(first["name"]).strip()
        raw.problem(
            severity,
            table,
            en.format(first=shown, name=f"{first_name}, {other}" if other else first_name),
            zh.format(first=shown, name=f"{first_name}，工作表“{sheet}”" if other else first_name),
            int(r["_row"]),
            raw.header(table, "name"),
            str(name),
        )
