"""The JSON record written beside every report: :class:`JobRecord`.

One dataclass for the record a job builds (:func:`tcmcounty.run.report.run_job`), the record of a
job that never reported back (:func:`tcmcounty.run.report.failure_record`, used by the batch) and
the record the index reads back (:func:`tcmcounty.run.index.clean_record`). :meth:`JobRecord.to_json`
gives the JSON object written to ``<name>.json``; :meth:`JobRecord.from_json` reads one back
tolerantly: a field of the wrong type becomes its empty value, so no later step fails on it.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, cast, get_args

#: A kind of job: a county's report or a comparison of counties.
JobKind = Literal["county_report", "comparison"]
#: A job's status: ``"?"`` in a record read back without a known one.
JobStatus = Literal["ok", "failed", "timeout", "?"]
#: Kinds of job (``kind`` of a record).
KINDS: tuple[JobKind, ...] = get_args(JobKind)
#: Statuses of a job (``status`` of a record).
STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)
#: Identity fields of each county of a record (text, or ``None``).
COUNTY_KEYS = ("adcode", "name_zh", "name_en", "province", "city")
#: Text fields of a record (empty text when missing or not text; ``status`` ``"?"``, or one of
#: :data:`STATUSES`).
TEXT_FIELDS = ("status", "error", "written", "warning", "inputs_hash", "template_hash")


def safe_name(text: str, fallback: str = "county") -> str:
    """Make ``text`` safe as a file name: one path component, no ``..``, no separators.

    Examples
    --------
    >>> safe_name("512021-anyue")
    '512021-anyue'
    >>> safe_name("../../etc/passwd")
    'etc_passwd'
    """
    s = re.sub(r"[^\w.-]+", "_", str(text), flags=re.UNICODE).strip("._-")
    s = re.sub(r"\.{2,}", ".", s)[:80].strip("._-")
    return s or fallback


def output_name(path: str | os.PathLike[str]) -> str:
    """Report file stem for a county input (folder name or workbook stem, made safe)."""
    p = Path(path)
    return safe_name(p.stem if p.is_file() else p.name)


def report_name(
    path: str | os.PathLike[str], adcode: object = "", name_en: object = "", name_zh: object = ""
) -> str:
    """Report file stem of a county input: ``<adcode>-<name>`` for a workbook, else :func:`output_name`.

    A workbook is named after the county it holds (its adcode and English or Chinese name, as
    the README says), not after the file; a folder keeps its own name, and a workbook whose
    county has no 6-digit adcode or no name keeps the file's stem. The report, its worklist
    workbook and the report's link to it all take their names from here.

    Examples
    --------
    >>> report_name("data/counties/512021-anyue")
    '512021-anyue'
    """
    p = Path(path)
    code = str(adcode or "").strip()
    label = str(name_en or name_zh or "").strip()
    if p.is_file() and code.isdigit() and len(code) == 6 and label:
        return safe_name(f"{code}-{label}")
    return output_name(p)


def _text(v: object) -> str | None:
    if v is None or isinstance(v, (dict, list)):
        return None
    return str(v)


def _number(v: object) -> object:
    """Keep a finite number (or a bool) as it is, other scalars as text, the rest ``None``."""
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v if math.isfinite(v) else None
    return _text(v)


def _count(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None


def _list(v: object) -> list[Any]:
    return v if isinstance(v, list) else []


@dataclass
class JobRecord:
    """What a report job did: its identity, status, figures, outputs and timings.

    Attributes
    ----------
    kind : {"county_report", "comparison"}
        The template.
    name : str
        Output name (``<name>.html``, ``<name>.json``).
    status : {"ok", "failed", "timeout", "?"}
        ``"?"`` when a read record has none (or another).
    error, written, warning, inputs_hash, template_hash : str
        Empty text when not set.
    counties : list of dict
        Adcode and names of each county (:data:`COUNTY_KEYS`).
    headline : dict
        :meth:`tcmcounty.reporting.results.CountyResults.headline` (county reports).
    indicators : list
        Indicator rows, dicts (:meth:`tcmcounty.reporting.results.CountyResults.indicator_records`); a
        comparison writes one list per county, which :meth:`from_json` drops.
    outputs : list of str
        Files written, relative to the output folder.
    notes : list of str
        Notes for the reader (e.g. a cache entry that was discarded).
    html_bytes : int or None
        Size of the HTML written.
    attempts : int
        Kernel attempts.
    durations : dict of str to float
        Seconds per stage.
    extra : dict
        The other fields, kept as they are (inputs, parameters, hashes of the package …).
    """

    kind: JobKind
    name: str
    status: JobStatus = "?"
    error: str = ""
    written: str = ""
    warning: str = ""
    inputs_hash: str = ""
    template_hash: str = ""
    counties: list[dict[str, Any]] = field(default_factory=list)
    headline: dict[str, Any] = field(default_factory=dict)
    indicators: list[Any] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    html_bytes: int | None = None
    attempts: int = 0
    durations: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of the record (the ``extra`` fields at top level).

        Only where the record meets a file: the ``<name>.json`` written beside a report, and
        the index that reads it back.

        Examples
        --------
        >>> JobRecord("comparison", "c", "ok", extra={"inputs": ["a", "b"]}).to_json()["inputs"]
        ['a', 'b']
        """
        out = dict(self.extra)
        for f in fields(self):
            if f.name != "extra":
                out[f.name] = getattr(self, f.name)
        return out

    @classmethod
    def from_json(cls, rec: object, stem: str | None = None) -> JobRecord | None:
        """Read a record back, every field of its type, or ``None`` if it is not a record.

        ``None`` when ``rec`` is not a record written by this tool: not a JSON object, an
        unknown ``kind``, or a ``name`` that is not text (or not the file's ``stem``, when
        given). Fields of the wrong type are replaced by their empty value (a list where a
        dictionary belongs, a number as text …).

        Examples
        --------
        >>> r = JobRecord.from_json({"kind": "county_report", "name": "a", "attempts": "2"})
        >>> r.attempts, r.status
        (0, '?')
        """
        if not isinstance(rec, dict) or rec.get("kind") not in KINDS:
            return None
        name = rec.get("name")
        if not isinstance(name, str) or not name or (stem is not None and name != stem):
            return None
        known = {f.name for f in fields(cls)} - {"extra"}
        text = {k: _text(rec.get(k)) or "" for k in TEXT_FIELDS if k != "status"}
        status = rec.get("status")
        head, d = rec.get("headline"), rec.get("durations")
        return cls(
            kind=cast(JobKind, rec["kind"]),
            name=name,
            status=cast(JobStatus, status) if status in STATUSES else "?",
            **text,
            counties=[
                {k: _text(c.get(k)) for k in COUNTY_KEYS}
                for c in _list(rec.get("counties"))
                if isinstance(c, dict)
            ],
            headline=(
                {str(k): _number(v) for k, v in head.items()} if isinstance(head, dict) else {}
            ),
            indicators=[
                {str(k): _number(v) for k, v in i.items()}
                for i in _list(rec.get("indicators"))
                if isinstance(i, dict)
            ],
            outputs=[f for f in _list(rec.get("outputs")) if isinstance(f, str)],
            notes=[n for n in _list(rec.get("notes")) if isinstance(n, str)],
            html_bytes=_count(rec.get("html_bytes")),
            attempts=_count(rec.get("attempts")) or 0,
            durations=(
                {str(k): float(v) for k, v in d.items() if isinstance(v, (int, float))}
                if isinstance(d, dict)
                else {}
            ),
            extra={k: v for k, v in rec.items() if k not in known},
        )
