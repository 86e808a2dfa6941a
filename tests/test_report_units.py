"""Fast tests of the report layer: parameters, escaping, names, records, cache, lock, index."""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from test_report_support import make_tiny_bundle

from tcmcounty.errors import ReportError
from tcmcounty.reporting import results as RS
from tcmcounty.run import index as I
from tcmcounty.run import report as R

NASTY = [
    "\"; import os; os.system('touch /tmp/pwned') #",
    "'''; import os; os.system('id')",
    '"""\nimport os\nos.system("id")\n"""',
    '\\"; raise SystemExit #',
    "line1\nline2\r\n\x0b",
    "<script>alert(1)</script>",
    "{__import__('os').system('id')}",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bundle(tmp_path_factory.mktemp("in"))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bundle(
        tmp_path_factory.mktemp("in"),
        "999002-hostile",
        name_zh="\"; import os; os.system('touch /tmp/pwned') #<b>县</b>",
        name_en="<script>alert(1)</script>",
    )


# --------------------------------------------------------------------------- parameters


def test_check_parameters_ok(tiny: Path) -> None:
    p = R.check_parameters(
        county=str(tiny), thresholds_km="2, 5", report_date="2024-06-30", language="zh"
    )
    assert p.thresholds_km == (2.0, 5.0)
    assert p.report_date == dt.date(2024, 6, 30)
    assert p.population == "resident"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"county": ""}, "'county' is required"),
        ({"county": "no-such-county-xyz"}, "no county bundle"),
        ({"population": "everyone"}, "population"),
        ({"language": "fr"}, "language"),
        ({"report_date": "next week"}, "report_date"),
        ({"thresholds_km": [0]}, "between 0 and 500"),
        ({"thresholds_km": "five"}, "not a number"),
        ({"targets": "/no/such/targets.toml"}, "targets"),
        ({"county": 12}, "must be text"),
    ],
)
def test_check_parameters_errors(tiny: Path, kwargs: dict, fragment: str) -> None:
    args = {"county": str(tiny)} | kwargs
    with pytest.raises(ReportError, match=fragment):
        R.check_parameters(**args)


def test_papermill_injects_literals_only() -> None:
    """Whatever the text, papermill's injected cell is a list of constant assignments."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = load_notebook_node(str(R.template_path("county_report")))
    for text in NASTY:
        out = parameterize_notebook(
            nb, {"county": text, "language": text, "thresholds_km": [1.0, text]}
        )
        cell = next(c for c in out.cells if "injected-parameters" in c.metadata.get("tags", []))
        tree = ast.parse(cell.source)
        for node in tree.body:
            assert isinstance(node, ast.Assign), ast.dump(node)
            value = ast.literal_eval(node.value)  # raises if anything is not a literal
            if node.targets[0].id == "county":  # type: ignore[attr-defined]
                assert value == text


# --------------------------------------------------------------------------- names and paths


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("512021-anyue", "512021-anyue"),
        ("../../etc/passwd", "etc_passwd"),
        ("/abs/path", "abs_path"),
        ("..", "county"),
        ("a/../b", "a_.._b".replace("..", ".")),
        ("安岳县", "安岳县"),
        ('inj"; import os #', "inj_import_os"),
    ],
)
def test_safe_name(text: str, expected: str) -> None:
    name = R.safe_name(text)
    assert name == expected
    assert "/" not in name and ".." not in name and not name.startswith(".")


def test_write_outcome_refuses_paths_outside(tmp_path: Path) -> None:
    bad = R.JobOutcome(
        "x", R.KIND_COUNTY, "ok", R.JobRecord(R.KIND_COUNTY, "x"), {"../escape.html": b"no"}
    )
    with pytest.raises(ReportError, match="outside"):
        R.write_outcome(tmp_path / "out", bad)
    assert not (tmp_path / "escape.html").exists()


def test_write_outcome_is_atomic_and_readable(tmp_path: Path) -> None:
    rec = R.JobRecord(R.KIND_COUNTY, "c", "ok", outputs=["c.html"])
    R.write_outcome(
        tmp_path, R.JobOutcome("c", R.KIND_COUNTY, "ok", rec, {"c.html": b"<html></html>"})
    )
    assert (tmp_path / "c.html").read_bytes() == b"<html></html>"
    assert json.loads((tmp_path / "c.json").read_text())["status"] == "ok"
    assert (
        stat.S_IMODE((tmp_path / "c.html").stat().st_mode) & 0o044
    )  # readable by others (umask 022)
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_clean_partial_files(tmp_path: Path) -> None:
    (tmp_path / ".c.html.abc123.tmp.html").write_text("half")
    (tmp_path / "c.html").write_text("<html></html>")
    assert R.clean_partial_files(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.html"]


# --------------------------------------------------------------------------- lock


def test_output_lock_is_exclusive(tmp_path: Path) -> None:
    with R.OutputLock(tmp_path, "first run"):
        with (
            pytest.raises(ReportError, match=r"another tcmcounty run .*first run"),
            R.OutputLock(tmp_path),
        ):
            pass
    with R.OutputLock(tmp_path):  # released
        pass


# --------------------------------------------------------------------------- errors


def test_transient_errors() -> None:
    class DeadKernelError(RuntimeError):
        pass

    class PapermillExecutionError(Exception):
        pass

    assert R.is_transient(DeadKernelError("Kernel died"))
    assert R.is_transient(RuntimeError("Kernel didn't respond in 60 seconds"))
    assert not R.is_transient(PapermillExecutionError("ValueError in cell"))
    assert not R.is_transient(R.KernelTimeoutError("timed out"))
    assert not R.is_transient(ReportError("bad parameter"))


# --------------------------------------------------------------------------- results cache


def test_results_cache_roundtrip_and_permissions(tiny: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    res = RS.load_results(tiny, cache_dir=cache)
    files = list(cache.glob("*.pkl"))
    assert len(files) == 1 and files[0].stem == res.key
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    again = RS.read_cached(cache, res.key)
    assert again is not None and again.key == res.key
    # a cache file others can write is never unpickled
    os.chmod(files[0], 0o666)
    assert RS.read_cached(cache, res.key) is None
    os.chmod(files[0], 0o600)
    # different parameters, different key
    other = RS.results_key(RS.inputs_hash(tiny), thresholds_km=(3.0,))
    assert other != res.key


def test_results_headline(tiny: Path) -> None:
    res = RS.load_results(tiny)
    h = res.headline()
    # the four counts of target_counts: every indicator with a target is counted once
    counted = h["n_met"] + h["n_unmet"] + h["n_no_verdict"] + h["n_without_number"]
    assert 0 < counted <= h["n_indicators"]
    with_target = res.indicators["target"].astype(str).str.len().gt(0).sum()
    assert counted == with_target
    assert h["non_official"] is True
    json.dumps(h)
    assert all("need" in u for u in h["unmet"])


def test_timetable_states() -> None:
    plan = RS.county_plan("512021")
    assert plan is not None and plan.document_number == "安府办函〔2023〕12号"
    tt = RS.timetable(plan, "2023-11-01")
    assert list(tt["state"]) == ["done", "done", "current", "upcoming"]
    assert RS.county_plan("140823").document_number == "闻政办发〔2023〕6号"  # type: ignore[union-attr]
    assert RS.county_plan("../../etc") is None


# --------------------------------------------------------------------------- HTML sections in-process


def test_county_view_escapes_hostile_names(hostile: Path) -> None:
    view = R.CountyView(R.check_parameters(county=str(hostile), report_date="2023-11-01"))
    html = "".join(
        getattr(view, s)() for s in ("header", "headline", "indicators", "alliances", "quality")
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>县</b>" not in html and "&lt;b&gt;县&lt;/b&gt;" in html
    assert "tcm-banner-estimated" in html


def test_strip_timestamp() -> None:
    a = "<p>x</p><div class='tcm-timestamp' data-tcm-timestamp='1'>生成时间 Generated: 2024</div><p>y</p>"
    assert R.strip_timestamp(a) == "<p>x</p><p>y</p>"


# --------------------------------------------------------------------------- index and summary


def _record(name: str, name_zh: str, status: str = "ok", error: str = "") -> dict:
    return {
        "kind": "county_report",
        "name": name,
        "status": status,
        "error": error,
        "counties": [{"adcode": "999999", "name_zh": name_zh, "name_en": "X"}],
        "headline": {
            "n_met": 3,
            "n_unmet": 2,
            "n_no_verdict": 1,
            "coverage_share": 0.5,
            "non_official": True,
        },
        "indicators": [
            {"id": "T-BED", "name_zh": "床位", "value": 5.0, "met": False},
            {"id": "T-DOC", "name_zh": "医师", "value": 3.3, "met": True},
        ],
        "outputs": [f"{name}.html"],
    }


def test_index_escapes_user_text(tmp_path: Path) -> None:
    for rec in (
        _record("a", "<script>alert(1)</script>"),
        _record("b", "县", status="failed", error="<img src=x onerror=alert(1)>"),
    ):
        (tmp_path / f"{rec['name']}.json").write_text(json.dumps(rec), encoding="utf-8")
    (tmp_path / "a.html").write_text("<html></html>")
    (tmp_path / "junk.json").write_text("{not json")
    I.write_index(tmp_path)
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "href='a.html'" in html and "href='b.html'" not in html  # failed report: no link


def test_summary_xlsx_formatting_and_formula_safety(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    recs = [_record("a", '=HYPERLINK("http://x","click")'), _record("b", "闻喜县")]
    I.write_summary_xlsx(tmp_path, recs)
    wb = load_workbook(tmp_path / "summary.xlsx")
    ws = wb.worksheets[0]
    assert ws.cell(2, 2).data_type == "s"  # stays text, never a formula
    headers = [c.value for c in ws[1]]
    assert "T-BED 床位 (张/千人 beds per 1,000)" in headers and "T-BED 达标 met" in headers
    met_col = headers.index("T-BED 达标 met") + 1
    doc_met = headers.index("T-DOC 达标 met") + 1
    assert ws.cell(2, met_col).value == "否" and ws.cell(2, doc_met).value == "是"
    rules = list(ws.conditional_formatting)
    assert len(rules) >= 4
