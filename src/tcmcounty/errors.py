"""Exceptions and the :class:`Problem` record used by validation.

Every error a user can cause is a :class:`TcmCountyError`; the command line turns it into a
message and an exit code, never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Problem:
    """One finding about an input file, located as the user sees it.

    Parameters
    ----------
    severity : {"error", "warning", "note"}
        Errors stop loading; warnings are reported and never fail; notes say how something was
        read (a unit applied, two columns summed, a name resolved to a code).
    file : str
        File name (``villages.csv``) or workbook name.
    message_en, message_zh : str
        What is wrong and what was expected, in English and Chinese.
    sheet : str, optional
        Excel sheet name.
    row : int, optional
        Row number as the user sees it: the CSV line number or the Excel row number.
    column : str, optional
        Column header as written in the file.
    value : str, optional
        The offending value, as text.
    """

    severity: Severity
    file: str
    message_en: str
    message_zh: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def location(self) -> str:
        """Return ``file[sheet] row N, column C`` for messages."""
        parts = [self.file + (f" [{self.sheet}]" if self.sheet else "")]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        value = f" value {self.value!r}:" if self.value is not None else ""
        return (
            f"{self.severity.upper()} {self.location()}:{value} {self.message_en}"
            f" / {self.message_zh}"
        )

    def to_dict(self) -> dict[str, object]:
        """Return the problem as a plain dictionary (for JSON output)."""
        return asdict(self)


#: Problems of one kind kept in full; the rest are counted in one line.
KEEP_PER_KIND = 20
#: Parts of a message that differ between problems of one kind: numbers and quoted names.
_VARIABLE = re.compile(r"'[^']*'|“[^”]*”|\d[\d,.]*")


def summarise(problems: list[Problem], keep: int = KEEP_PER_KIND) -> list[Problem]:
    """Keep the first ``keep`` problems of each kind; count the rest in one problem per kind.

    A kind is a severity, file, sheet, column and message (numbers and quoted names in the
    message aside), so
    48,000 "population is 0" warnings become 20 of them and "and 47,980 more like this".

    Examples
    --------
    >>> ps = [Problem("warning", "villages.csv", "population is 0", "人口为0", row=r)
    ...       for r in range(2, 30)]
    >>> out = summarise(ps)
    >>> len(out), out[-1].message_en
    (21, 'and 8 more like this: population is 0')
    """
    seen: dict[tuple[object, ...], int] = {}
    first: dict[tuple[object, ...], Problem] = {}
    out: list[Problem] = []
    for p in problems:
        kind: tuple[object, ...] = (
            p.severity,
            p.file,
            p.sheet,
            p.column,
            _VARIABLE.sub("#", p.message_en),
        )
        seen[kind] = seen.get(kind, 0) + 1
        if seen[kind] <= keep:
            out.append(p)
            first.setdefault(kind, p)
    for kind, n in seen.items():
        if n > keep:
            p = first[kind]
            out.append(
                Problem(
                    p.severity,
                    p.file,
                    f"and {n - keep:,} more like this: {p.message_en}",
                    f"另有 {n - keep:,} 条同类问题：{p.message_zh}",
                    p.sheet,
                    None,
                    p.column,
                )
            )
    return out


class TcmCountyError(Exception):
    """Base class of every error raised on purpose by tcmcounty."""


class InputError(TcmCountyError):
    """Input files are invalid; ``problems`` lists every error and warning found."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} error(s) in {source}" if source else f"{len(errors)} error(s)"
        lines = [head] + [str(p) for p in errors[:50]]
        if len(errors) > 50:
            lines.append(f"... and {len(errors) - 50} more")
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> list[Problem]:
        """Problems of severity ``error``."""
        return [p for p in self.problems if p.severity == "error"]


class CountyNotFoundError(TcmCountyError, LookupError):
    """A county name or path does not lead to a bundle."""


class ReportError(TcmCountyError):
    """Rendering a report failed."""


class NotebookFailed(ReportError):
    """A cell of a report notebook raised; the report was not made.

    Parameters
    ----------
    notebook : str
        The template's file name (``county_report.ipynb``).
    cell : int, optional
        The failed cell's execution count, as the notebook shows it (``In [7]``).
    ename, evalue : str
        The exception's type name and message inside the notebook.
    executed : nbformat.NotebookNode, optional
        The notebook as far as it ran, the failed cell's traceback in its outputs.

    Examples
    --------
    >>> str(NotebookFailed("county.ipynb", 7, "KeyError", "'pop'"))
    "in notebook cell 7: KeyError: 'pop'"
    """

    def __init__(
        self,
        notebook: str,
        cell: int | None,
        ename: str,
        evalue: str,
        executed: object = None,
    ) -> None:
        self.notebook = notebook
        self.cell = cell
        self.ename = ename
        self.evalue = evalue
        self.executed = executed
        super().__init__(f"in notebook cell {cell}: {ename}: {evalue}")


class ArgumentError(TcmCountyError, ValueError):
    """An argument of a library function is out of its domain.

    A negative radius, an unknown method, a table without a needed column. A :class:`ValueError` too, so ``except ValueError`` around older calls still catches it.
    """


class ArgumentTypeError(TcmCountyError, TypeError):
    """An argument of a library function is of the wrong type (also a :class:`TypeError`)."""
