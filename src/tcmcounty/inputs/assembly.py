"""Table assembly: what a sheet's name and place say about its rows.

Counties split one table over several sheets: one sheet per township (the township is the sheet
name), the village clinics on a sheet of their own (their type is the sheet's). The readers
stack such sheets into one table (:data:`STACKABLE`), and the values a sheet's name stands for
become columns of its rows (:func:`sheet_fixed`), said so in the reading.
"""

from __future__ import annotations

import re

from tcmcounty.inputs.cells import vocabulary_match
from tcmcounty.inputs.matching import name_key, sheet_key
from tcmcounty.inputs.raw import RawBundle

#: Tables whose rows may come from several sheets, stacked.
STACKABLE = ("townships", "villages", "facilities")
_TOWNSHIP_SUFFIX = re.compile(r"(镇|乡|街道|街道办事处|办事处|苏木|民族乡|农场|林场)$")


def sheet_facility_type(sheet: str) -> str | None:
    """Return the facility type a sheet's name states (``村卫生室`` → ``village_clinic``), or None.

    Only a name that *is* a type (with the usual 名册/一览表 suffixes) counts; a sheet named
    ``医疗机构`` holds all types.

    Examples
    --------
    >>> sheet_facility_type("村卫生室"), sheet_facility_type("三、乡镇卫生院名册")
    ('village_clinic', 'township_health_centre')
    >>> sheet_facility_type("医疗机构") is None
    True
    """
    value, how = vocabulary_match(sheet_key(sheet), "facility_type")
    if how != "exact" or value in (None, "other"):
        return None
    return value


def sheet_township(sheet: str, raw: RawBundle) -> str | None:
    """Return the township a sheet's name is (one sheet per township), or None.

    The name must be a township of the workbook's township table, or end like one (镇, 乡,
    街道 …) when there is no township table.
    """
    townships = raw.tables.get("townships")
    name = name_key(sheet_key(sheet) or sheet)
    if townships is not None and len(townships):
        known = {name_key(str(n)) for n in townships["name"].dropna()}
        return sheet.strip() if name in known else None
    return sheet.strip() if _TOWNSHIP_SUFFIX.search(name) else None


def sheet_fixed(table: str, sheet: str, stacked: bool, raw: RawBundle) -> dict[str, str]:
    """Return the columns a sheet's name fixes for its rows (filled where a row leaves them blank).

    Parameters
    ----------
    table : str
        The table the sheet holds.
    sheet : str
        The sheet's name.
    stacked : bool
        Whether the table is stacked from several sheets (a township sheet only counts then).
    raw : RawBundle
        What was read so far (the township table).

    Returns
    -------
    dict
        ``column -> value``, e.g. ``{"type": "village_clinic"}`` or
        ``{"township_name": "文武坝镇"}``.
    """
    fixed: dict[str, str] = {}
    if table == "facilities":
        kind = sheet_facility_type(sheet)
        if kind is not None:
            fixed["type"] = kind
    if stacked and table in ("facilities", "villages"):
        township = sheet_township(sheet, raw)
        if township is not None:
            fixed["township_name"] = township
    return fixed
