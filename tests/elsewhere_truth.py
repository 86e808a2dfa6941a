"""Compare a county read by tcmcounty with the truths computed by a file's own generator.

Used by ``tests/test_elsewhere.py`` and ``benchmarks/bench_inputs.py`` (one comparison for
both). A truth file (``FILE.truth.json`` beside a workbook, ``truth.json`` in a CSV folder)
holds figures computed from the file's cells without tcmcounty; the keys are described in
``tests/fixtures/elsewhere/README.md``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

#: Truth key -> (indicator id, field of the indicator table).
INDICATOR_KEYS: dict[str, tuple[str, str]] = {
    "physicians_per_1000": ("T-DOC", "value"),
    "nurses_per_1000": ("T-RN", "value"),
    "beds_per_1000": ("T-BED", "value"),
    "tcm_gps_per_10000": ("T-TCMGP", "value"),
    "hall_share_pct": ("T-ZYG-HALL", "value"),
    "pavilion_share_pct": ("T-ZYG-PAV", "value"),
    "pavilion_need": ("T-ZYG-PAV", "need"),
}
#: Truth key -> facility type counted.
COUNT_KEYS = {
    "n_thc": "township_health_centre",
    "n_chc": "community_health_centre",
    "n_vc": "village_clinic",
    "n_station": "community_health_station",
}


@dataclass
class Comparison:
    """What a read gave against the truths: figures that agree, differ, or were not read."""

    path: Path
    agree: list[str] = field(default_factory=list)
    wrong: list[tuple[str, object, object]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every truth figure was read and agrees."""
        return not self.wrong and not self.missing


def truth_path(path: Path) -> Path:
    """Return the truth file of a workbook or CSV folder."""
    return path / "truth.json" if path.is_dir() else path.with_name(path.name + ".truth.json")


def inputs(folder: Path) -> list[Path]:
    """Return every county file (or CSV folder) in ``folder`` that has a truth file."""
    out = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or p.name.endswith((".json", ".toml", ".md", ".py")):
            continue
        if truth_path(p).is_file():
            out.append(p)
    return out


def _close(got: object, want: object) -> bool:
    try:
        g, w = float(got), float(want)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    if math.isnan(g):
        return False
    return math.isclose(g, w, rel_tol=1e-6, abs_tol=1e-9)


def _need_over_listed(row: object) -> object:
    """The need over the rows the roster lists, where the tool withholds its verdict.

    A truth's need is a reading of the roster (units to add over the listed rows); when blanks
    or missing units leave the verdict open the tool shows no need, so the reading is taken
    from the row's own numerator, denominator and target (the same :func:`assess`).
    """
    from tcmcounty.indicators import Target, assess

    r = row  # a Series of the indicator table
    if not r["no_verdict"] or _isna(r["numerator"]) or _isna(r["target_low"]):  # type: ignore[index]
        return None
    t = Target(str(r.name), "at_least", low=float(r["target_low"]))  # type: ignore[index, attr-defined]
    factor = 100 if str(r["unit"]).startswith("%") else 1  # type: ignore[index]
    return assess(int(r["numerator"]), int(r["denominator"]), factor, t).need  # type: ignore[index]


def compare(path: Path, county: object, table: object) -> Comparison:
    """Compare a loaded county and its indicator table with the truths of ``path``."""
    truth = json.loads(truth_path(path).read_text(encoding="utf-8"))
    out = Comparison(path)
    ind = table.set_index("id")  # type: ignore[attr-defined]
    county_rows = ind[ind["level"] == "county"] if "level" in ind else ind

    def check(key: str, got: object) -> None:
        if got is None or (isinstance(got, float) and math.isnan(got)) or got is _NA:
            out.missing.append(key)
        elif _close(got, truth[key]):
            out.agree.append(key)
        else:
            out.wrong.append((key, got, truth[key]))

    for key in truth:
        base = key.removesuffix("_from_roster")
        if base in INDICATOR_KEYS:
            if key != base and base in truth:
                continue  # the county's own total is the figure; the roster sum is a check
            ident, col = INDICATOR_KEYS[base]
            got = county_rows.loc[ident, col] if ident in county_rows.index else None
            if col == "need" and got is not None and _isna(got):
                got = _need_over_listed(county_rows.loc[ident])
            check(key, None if got is None or _isna(got) else got)
        elif key in COUNT_KEYS:
            check(key, int((county.facilities["type"] == COUNT_KEYS[key]).sum()))  # type: ignore[attr-defined]
        elif key == "townships":
            check(key, len(county.townships))  # type: ignore[attr-defined]
        elif key == "villages":
            check(key, len(county.villages))  # type: ignore[attr-defined]
        elif key == "vc_tcm_share_pct":
            # village clinics alone (T-VC-TCM also counts community stations): the reading of
            # the roster, not the indicator's definition, is what is compared
            vc = county.facilities[county.facilities["type"] == "village_clinic"]  # type: ignore[attr-defined]
            flags = vc["provides_tcm"]
            check(
                key, None if flags.isna().any() or not len(vc) else 100 * flags.astype(bool).mean()
            )
        elif key == "resident_population":
            entry = county.population.get("resident")  # type: ignore[attr-defined]
            fig = entry.best(allow_estimate=False) if entry is not None else None
            check(key, fig.value if fig is not None else None)
    return out


class _Missing:
    pass


_NA = _Missing()


def _isna(v: object) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
