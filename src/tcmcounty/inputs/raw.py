"""The :class:`RawBundle`: parsed tables before cross-table validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from tcmcounty.errors import Problem
from tcmcounty.inputs.columnmap import SheetReading


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
            file, sheet = self.files.get(table, table), self.sheets.get(table)
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
