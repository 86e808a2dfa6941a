"""The :class:`RawBundle`: parsed tables before cross-table validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from tcmcounty.errors import Problem
from tcmcounty.inputs.columnmap import SheetReading

#: Rows of the second, third … sheet stacked into one table are numbered from
#: ``k * ROW_BLOCK``, so that a row keeps the sheet it came from (:meth:`RawBundle.locate`).
ROW_BLOCK = 10_000_000


@dataclass
class RawBundle:
    """Tables parsed from a bundle folder or workbook, with the problems met while parsing.

    Each table has a ``_row`` column holding the row number the user sees (CSV line or Excel
    row), so later checks can point at it.
    """

    path: Path
    meta: dict[str, object]
    tables: dict[str, pd.DataFrame]
    files: dict[str, str]
    sheets: dict[str, str | None]
    boundary: gpd.GeoDataFrame | None = None
    problems: list[Problem] = field(default_factory=list)
    meta_file: str = "county.toml"
    meta_sheet: str | None = None
    readings: list[SheetReading] = field(default_factory=list)
    stacked: dict[str, list[str]] = field(default_factory=dict)

    def locate(self, table: str, row: int | None) -> tuple[str | None, int | None]:
        """Return the sheet and the row number the user sees for a row of ``table``.

        Examples
        --------
        >>> raw = RawBundle(Path("x.xlsx"), {}, {}, {}, {"facilities": "机构"})
        >>> raw.stacked["facilities"] = ["机构", "村卫生室"]
        >>> raw.locate("facilities", ROW_BLOCK + 7)
        ('村卫生室', 7)
        """
        sheets = self.stacked.get(table)
        if sheets and row is not None and row >= ROW_BLOCK:
            k, r = divmod(row, ROW_BLOCK)
            return sheets[min(k, len(sheets) - 1)], r
        return self.sheets.get(table), row

    def header(self, table: str, column: str) -> str:
        """Return the header as the user wrote it for a canonical column (for messages)."""
        for r in self.readings:
            if r.table == table:
                for c in r.columns:
                    if c.column == column:
                        return c.written
        return column

    def problem(
        self,
        severity: str,
        table: str,
        en: str,
        zh: str,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        """Record a problem located in ``table`` (a table name or ``"county"``)."""
        if table == "county":
            file, sheet = self.meta_file, self.meta_sheet
        elif table == "boundary":
            file, sheet = "boundary.geojson", None
        else:
            file = self.files.get(table, table)
            sheet, row = self.locate(table, row)
        self.problems.append(
            Problem(
                severity,  # type: ignore[arg-type]
                file,
                en,
                zh,
                sheet=sheet,
                row=row,
                column=column,
                value=None if value is None else str(value),
            )
        )
