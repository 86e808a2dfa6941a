"""Round-3 bad-input corpus (``tests/fixtures/bad/r3-*``): verdicts under incomplete rosters,
duplicates, parts over wholes, fractional counts, target units, merged and hidden cells,
contradictions, population sums, spreadsheet error values and dates.

Each case folder holds its input (``county.xlsx`` filled in from a real county's template, or a CSV
``bundle/``, plus a targets file where needed) and ``expected.toml``:

* ``exit``: exit code of ``tcmcounty validate`` (or of ``command``, its ``{case}`` replaced by the
  copied case folder);
* ``severity``, ``file``, ``sheet``, ``row``, ``column``, ``fragment``, ``values``: a message line
  starting with ERROR / WARNING (``note``: NOTE or WARNING) that names the location and contains
  the fragment and every value (a whole number may be printed with thousands separators);
* ``not_fragment``: no ERROR / WARNING / NOTE line contains it;
* ``no_verdict`` / ``verdict`` / ``value``: the county-level rows of ``tcmcounty.indicators.compute``
  (with the case's targets file when ``command`` passes one): no verdict with a reason in
  ``no_verdict``; ``met`` as given; the value within 0.05;
* ``inspect_fragment``: printed by ``tcmcounty inspect``.

The truths were computed by ``tests/fixtures/bad/make_round3.py`` from the values it wrote, without
tcmcounty. Regenerate with ``python tests/fixtures/bad/make_round3.py``.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from tcmcounty.cli import main

CORPUS = Path(__file__).parent / "fixtures" / "bad"
CASES = sorted(p for p in CORPUS.glob("r3-*") if p.is_dir())
CLASSES = [
    "half-roster", "duplicate", "part-over-whole", "fractional", "target-units", "merged-cells",
    "contradiction", "population-sums", "error-cells-dates", "hidden",
]  # fmt: skip
TAGS = {"error": ("ERROR",), "warning": ("WARNING",), "note": ("NOTE", "WARNING")}


def _expected(case: Path) -> dict:
    return tomllib.loads((case / "expected.toml").read_text(encoding="utf-8"))


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _variants(value: str) -> list[str]:
    """A value as written, and a whole number also with thousands separators (1,234)."""
    if re.fullmatch(r"-?\d{4,}", value):
        return [value, f"{int(value):,}"]
    return [value]


def _matches(line: str, e: dict) -> bool:
    if "fragment" in e and e["fragment"] not in line:
        return False
    if "file" in e:
        location = e["file"] + (f" [{e['sheet']}]" if "sheet" in e else "")
        if location not in line:
            return False
    elif "sheet" in e and f"[{e['sheet']}]" not in line:
        return False
    if "row" in e and not re.search(rf"\brow {e['row']}\b", line):
        return False
    if "column" in e and f"column '{e['column']}'" not in line:
        return False
    return all(any(v in line for v in _variants(str(x))) for x in e.get("values", []))


def _target(work: Path, e: dict) -> Path:
    if "target" in e:
        return work / e["target"]
    return work / "bundle" if (work / "bundle").is_dir() else work / "county.xlsx"


def _args(work: Path, e: dict) -> list[str]:
    if "command" in e:
        return [a.replace("{case}", str(work)) for a in e["command"]]
    return ["validate", str(_target(work, e))]


def test_round3_size() -> None:
    expected = [_expected(c) for c in CASES]
    assert len(CASES) >= 90
    per_class = {c: sum(e["class"] == c for e in expected) for c in CLASSES}
    assert all(n >= 6 for n in per_class.values()), per_class
    assert {e["class"] for e in expected} <= set(CLASSES)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_round3_case(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    e = _expected(case)
    work = shutil.copytree(case, tmp_path / case.name)
    before = _digest(work)
    args = _args(work, e)
    code = main(args)
    out, err = capsys.readouterr()
    text = out + err
    assert "Traceback" not in text
    assert code == e["exit"], f"exit {code}, expected {e['exit']}:\n{text[-6000:]}"
    assert _digest(work) == before, "input changed or a file was written"

    if "fragment" in e or "values" in e:
        tags = TAGS[e.get("severity", "error")]
        tagged = [ln for ln in text.splitlines() if ln.startswith(tags)]
        lines = [ln for ln in tagged if _matches(ln, e)]
        want = {k: e[k] for k in ("file", "sheet", "row", "column", "fragment", "values") if k in e}
        assert lines, f"expected a {'/'.join(tags)} line with {want}; got:\n" + "\n".join(
            tagged[:40]
        )
        chinese = lines[0].split(" / ", 1)[-1]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), "a Chinese message is expected"
    if "not_fragment" in e:
        bad = [
            ln
            for ln in text.splitlines()
            if ln.startswith(("ERROR", "WARNING", "NOTE")) and e["not_fragment"] in ln
        ]
        assert not bad, bad

    if e["exit"] == 0 and any(k in e for k in ("no_verdict", "verdict", "value")):
        import tcmcounty
        import tcmcounty.indicators as indicators

        target = Path(args[1]) if "command" in e else _target(work, e)
        targets = args[args.index("--targets") + 1] if "--targets" in args else None
        county = tcmcounty.load_county(target, warn=False)
        df = indicators.compute(county, targets=targets)
        if "level" in df.columns:
            df = df[df["level"] == "county"]
        rows = df.set_index("id")
        problems = []
        for iid in e.get("no_verdict", []):
            r = rows.loc[iid]
            why = r.get("no_verdict")
            if not pd.isna(r["met"]) or why is None or pd.isna(why) or not str(why).strip():
                problems.append(
                    f"{iid}: met={r['met']!r}, no_verdict={why!r} (expected no verdict, with a reason)"
                )
        for iid, met in e.get("verdict", {}).items():
            r = rows.loc[iid]
            if pd.isna(r["met"]) or bool(r["met"]) != met:
                problems.append(
                    f"{iid}: met={r['met']!r}, expected {met} (value {r['value']!r}, no_verdict={r.get('no_verdict')!r})"
                )
        for iid, value in e.get("value", {}).items():
            got = rows.loc[iid, "value"]
            if pd.isna(got) or abs(float(got) - value) > 0.05:
                problems.append(f"{iid}: value {got!r}, expected {value}")
        assert not problems, "\n".join(problems)

    if "inspect_fragment" in e:
        main(["inspect", str(_target(work, e))])
        shown = capsys.readouterr()
        assert e["inspect_fragment"] in shown.out + shown.err, (shown.out + shown.err)[-4000:]
