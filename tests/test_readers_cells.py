"""Fast paths of the cell parser give what the general path gives (issue 13).

* A coordinate such as ``105.3428`` is read as :func:`parse_number` reads it; a decimal beyond
  a float's range is still "expected a number".
* Parsed columns become the same typed columns whether they take the direct conversion (ints
  a float holds exactly, finite floats, text, yes/no) or ``to_numeric``.
* A row is still skipped as a total (合计, Total, 全 县 合计) and kept otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tcmcounty.inputs.cells import _frame, _parse_cell, parse_number, parse_rows
from tcmcounty.schema import TABLES, Column, Table


def _parse(text: str, kind: str) -> tuple[object, list[tuple[object, ...]]]:
    problems: list[tuple[object, ...]] = []
    col = Column("x", "x", kind)
    return _parse_cell(text, col, 2, "x", lambda *a: problems.append(a)), problems


@pytest.mark.parametrize(
    "text",
    [
        "105.3428",
        "0.5",
        "30.000001",
        "007.10",
        "1." + "0" * 400,
        "9" * 300 + ".5",
        "12.5%",
        "1,234.5",
    ],
)
def test_a_decimal_reads_as_parse_number_reads_it(text: str) -> None:
    value, problems = _parse(text, "float")
    assert type(value) is float and value == parse_number(text) and not problems


def test_a_decimal_beyond_float_range_is_not_a_number() -> None:
    value, problems = _parse("9" * 400 + ".5", "float")
    assert value is None
    assert [p[1] for p in problems] == ["expected a number"]


def _reference(values: list[object], kind: str) -> pd.Series:
    """The conversion every column took before the direct paths."""
    if kind in ("int", "float"):
        s = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("Float64")
        return s.astype("Int64") if kind == "int" else s
    return pd.Series(values, dtype=object).astype("boolean" if kind == "bool" else "string")


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("int", [1, None, 3, 10**12]),
        ("int", [2**53, None]),
        ("int", [2**53 + 1, 3]),  # beyond 2**53: through a float, as before
        ("int", [None, None]),
        ("float", [105.3428, None, -0.0, 1e-300]),
        ("float", [1, 2.5]),  # an int among floats: to_numeric
        ("bool", [True, None, False]),
        ("text", ["安岳", None, "Wenxi"]),
    ],
)
def test_columns_typed_as_through_to_numeric(kind: str, values: list[object]) -> None:
    table = Table("t", "t.csv", "t", "t", (Column("x", "x", kind, nullable=True),))
    got = _frame({"_row": list(range(2, 2 + len(values))), "x": values}, table, len(values))
    want = _reference(values, kind)
    pd.testing.assert_series_equal(got["x"], want, check_names=False, check_exact=True)
    assert [str(v) for v in got["x"]] == [str(v) for v in want]  # -0.0 keeps its sign
    assert got["_row"].dtype == np.int64


def test_totals_skipped_and_lookalikes_kept() -> None:
    header = ["code", "name", "township_code", "kind", "population"]
    rows = [
        header,
        ["110119001001", "东村", "110119001", "村", "100"],
        ["合计", "", "", "", "300"],
        ["Total", "", "", "", "300"],
        ["全 县 合计", "", "", "", "300"],
        ["110119001002", "合计村", "110119001", "村", "200"],
        ["110119001003", "tTotal", "110119001", "村", "50"],
    ]
    df, problems, _ = parse_rows(iter(rows), TABLES["villages"], "villages.csv", None)
    assert df is not None
    assert list(df["name"]) == ["东村", "合计村", "tTotal"]
    skipped = [p.row for p in problems if p.message_en.startswith("total row ignored")]
    assert skipped == [3, 4, 5]
