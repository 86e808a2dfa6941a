"""Fault injection and hostile input for batch runs (issue 7).

Faults: a kernel killed mid-cell, a worker killed mid-job, the output disk full while a report
is written. Security: county names and paths that try to write outside the output folder,
symlinks planted in the output folder, and a county named ``<script>alert(1)</script>``.

Every batch case checks the same four things: the other counties complete, nothing is left
half-written (no temporary files, every ``.html`` ends with ``</html>``, every record parses),
``batch_status.csv`` tells the truth, and a resumed run renders exactly the missing reports.
The tests without a kernel run in a second; those that execute notebooks are marked ``slow``.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_report_support import (
    complete_outputs,
    make_tiny_bundle,
    no_temp_files,
    template_with_cell,
)

import tcmcounty.io as io_mod
import tcmcounty.run.index as I
from tcmcounty.errors import ReportError
from tcmcounty.run import report as R
from tcmcounty.run.batch import (
    STATUS_FILE,
    BatchRow,
    dask_client,
    read_status,
    run_batch,
    write_status,
)

DATE = "2023-11-01"
XSS = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example/","点我")'


# =============================================================================================
# Helpers


def _status(out: Path) -> dict[str, dict[str, str]]:
    return {r["county"]: r for r in read_status(out)}


def _batch(src: Path | list[Path | str], out: Path, **kw: object) -> dict[str, str]:
    """Run a batch in this process; return ``{county: status}`` (checked against the table)."""
    kw = {
        "workers": 2,
        "timeout": 300,
        "retries": 1,
        "parameters": R.county_parameters(report_date=DATE),
        "progress": False,
        **kw,
    }
    result = run_batch(src if isinstance(src, list) else [src], out, **kw)  # type: ignore[arg-type]
    got = {r.county: r.status for r in result.rows}
    # the status table on disk says exactly what run_batch returned
    assert {n: r["status"] for n, r in _status(out).items()} == got
    assert result.exit_code == (0 if set(got.values()) <= {"ok", "skipped"} else 1)
    return got


def _assert_clean(out: Path) -> None:
    """Nothing half-written: no temp files, every html/json/ipynb complete."""
    assert not no_temp_files(out), no_temp_files(out)
    assert not list(out.glob(".*.tmp*")) and not list(out.glob(".failed/.*.tmp*"))
    assert not complete_outputs(out), complete_outputs(out)
    for p in out.glob("*.html"):
        assert p.read_text(encoding="utf-8").rstrip().endswith("</html>"), p.name


def _assert_record_truth(out: Path) -> None:
    """Every ``ok`` row has its record, HTML and notebook; every failed row has no ok record."""
    for name, row in _status(out).items():
        rec = R.read_record(out / f"{name}.json")
        if row["status"] in ("ok", "skipped"):
            assert rec and rec.status == "ok", name
            for f in rec.outputs:
                assert (out / f).is_file(), f
        else:
            assert not rec or rec.status != "ok", name
            assert row["error"], name  # a failure always says why


def _tree(root: Path, skip: Path | None = None) -> dict[str, str]:
    """``{relative path: sha256 or link target}`` of everything under ``root`` (minus ``skip``)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if skip is not None and (p == skip or skip in p.parents):
            continue
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def _outcome(name: str, files: dict[str, bytes]) -> R.JobOutcome:
    rec = R.JobRecord(R.KIND_COUNTY, name, "ok", outputs=sorted(files))
    return R.JobOutcome(name, R.KIND_COUNTY, "ok", rec, files)


def _sentinel(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    d = tmp_path / "sentinel"
    d.mkdir()
    (d / "victim.html").write_text("<html>victim</html>\n", encoding="utf-8")
    (d / "victim.csv").write_text("do not touch\n", encoding="utf-8")
    (d / "victim.lock").write_text("do not touch\n", encoding="utf-8")
    return d, _tree(d)


# =============================================================================================
# Path traversal and symlinks, without a kernel


@pytest.mark.parametrize(
    "name",
    ["../evil", "../../evil", "/tmp/evil", "a/../../evil", "..", ".", "..\\evil", "evil/..", ""],
)
def test_report_names_never_leave_the_output_folder(tmp_path: Path, name: str) -> None:
    bundle = make_tiny_bundle(tmp_path / "in", "999050-name")
    out = tmp_path / "reports"
    spec = R.make_spec([bundle], name=name, parameters=R.county_parameters(report_date=DATE))
    assert spec.name and "/" not in spec.name and "\\" not in spec.name
    assert not spec.name.startswith(".")
    for suffix in (".html", ".json", ".ipynb"):
        assert (out / f"{spec.name}{suffix}").resolve().parent == out.resolve()


@pytest.mark.parametrize(
    ("name", "files"),
    [
        ("ok", {"ok.html": b"<html></html>", "../evil.html": b"x"}),
        ("ok", {"ok.html": b"<html></html>", "SENTINEL/evil.html": b"x"}),
        ("ok", {"ok.html": b"<html></html>", ".failed/../../evil.ipynb": b"x"}),
        ("../evil", {}),
        ("SENTINEL/evil", {}),
    ],
)
def test_write_outcome_refuses_paths_outside(
    tmp_path: Path, name: str, files: dict[str, bytes]
) -> None:
    """A hand-made job whose names point outside is refused before anything is written."""
    sentinel, before = _sentinel(tmp_path)
    name = name.replace("SENTINEL", str(sentinel))
    files = {k.replace("SENTINEL", str(sentinel)): v for k, v in files.items()}
    out = tmp_path / "reports"
    with pytest.raises(ReportError, match="refusing to write"):
        R.write_outcome(out, _outcome(name, files))
    assert _tree(sentinel) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports", "sentinel"]
    assert list(out.iterdir()) == []  # all or nothing: not even the good file


def test_symlinked_report_file_is_not_followed(tmp_path: Path) -> None:
    sentinel, before = _sentinel(tmp_path)
    out = tmp_path / "reports"
    out.mkdir()
    (out / "999051-x.html").symlink_to(sentinel / "victim.html")
    with pytest.raises(ReportError, match="refusing to write"):
        R.write_outcome(out, _outcome("999051-x", {"999051-x.html": b"<html>new</html>"}))
    assert _tree(sentinel) == before
    assert not (out / "999051-x.json").exists()  # no record claims a report that was not written
    # a symlinked .failed folder is refused the same way
    (out / ".failed").symlink_to(sentinel, target_is_directory=True)
    with pytest.raises(ReportError, match="refusing to write"):
        R.write_outcome(out, _outcome("999052-y", {".failed/999052-y.ipynb": b"{}"}))
    assert _tree(sentinel) == before


def test_symlinked_index_and_status_are_replaced_not_followed(tmp_path: Path) -> None:
    sentinel, before = _sentinel(tmp_path)
    out = tmp_path / "reports"
    out.mkdir()
    (out / "index.html").symlink_to(sentinel / "victim.html")
    (out / STATUS_FILE).symlink_to(sentinel / "victim.csv")
    (out / "summary.xlsx").symlink_to(sentinel / "victim.csv")
    write_status(out, [BatchRow("999053-z", "ok")])
    I.write_index(out)
    assert _tree(sentinel) == before
    for f in ("index.html", STATUS_FILE, "summary.xlsx"):
        assert not (out / f).is_symlink() and (out / f).is_file(), f
    _assert_clean(out)


def test_symlinked_lock_file_is_not_followed(tmp_path: Path) -> None:
    sentinel, before = _sentinel(tmp_path)
    out = tmp_path / "reports"
    out.mkdir()
    (out / R.LOCK_NAME).symlink_to(sentinel / "victim.lock")
    with pytest.raises(ReportError, match="symbolic link"), R.OutputLock(out, "test"):
        pass
    assert _tree(sentinel) == before


def test_dask_never_listens_beyond_localhost_without_an_address() -> None:
    """Anything but ``local`` or a scheduler address is refused before a cluster starts."""
    pytest.importorskip("dask.distributed")
    for bad in ("0.0.0.0", "everywhere", "yes"):
        with pytest.raises(ReportError, match="scheduler address"), dask_client(bad, 1):
            pass  # pragma: no cover


# =============================================================================================
# Hostile county names in index.html, summary.xlsx and batch_status.csv, without a kernel


def test_index_summary_and_status_escape_hostile_names(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    hostile = {
        "kind": "county_report",
        "name": "999054-xss",
        "status": "failed",
        "error": f"boom {XSS} <img src=x onerror=alert(2)>",
        "written": XSS,
        "counties": [{"adcode": XSS, "name_zh": XSS, "name_en": "<b onmouseover=alert(3)>x</b>"}],
        "headline": {"n_met": XSS, "sites_recommended": "<iframe src=//evil>"},
        "indicators": [{"id": "T-BED", "name_zh": XSS, "value": XSS, "met": True}],
    }
    formula = {
        "kind": "county_report",
        "name": "999055-formula",
        "status": "ok",
        "counties": [{"adcode": "999055", "name_zh": FORMULA, "name_en": "@SUM(1+1)"}],
        "headline": {},
    }
    comparison = {
        "kind": "comparison",
        "name": "compare-xss",
        "status": "failed",
        "error": XSS,
        "counties": [{"name_zh": XSS}],
    }
    for rec in (hostile, formula, comparison):
        (out / f"{rec['name']}.json").write_text(json.dumps(rec), encoding="utf-8")
    I.write_index(out)
    page = (out / "index.html").read_text(encoding="utf-8")
    # the index's own sort script (one, by id) aside, nothing of the hostile names is markup
    own = re.sub(r"<script id=\"sort-table\">.*?</script>", "", page, flags=re.S)
    for raw in ("<script", "<img", "<iframe", "<b onmouseover", "onerror=alert(2)>"):
        assert raw not in own, raw
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5
    assert page.rstrip().endswith("</html>")
    # the workbook keeps the text as text: no formulas, no markup interpreted
    ws = load_workbook(out / "summary.xlsx")["汇总 summary"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert XSS in values and FORMULA in values and "@SUM(1+1)" in values
    # the status table defuses formulas for spreadsheets
    write_status(out, [BatchRow("999055-formula", "ok", name_zh=FORMULA, error=XSS)])
    (row,) = read_status(out)
    assert row["name_zh"] == "'" + FORMULA and row["error"] == XSS


# =============================================================================================
# Faults during a real batch (execute notebooks)

KILL = """
import os, signal, pathlib
if pathlib.Path({flag!r}).exists():
    if "killkernel" in county:
        os.kill(os.getpid(), signal.SIGKILL)  # the kernel dies mid-cell
    if "killworker" in county:
        os.kill(os.getppid(), signal.SIGKILL)  # the worker process running the job dies
"""


KILL_IN_PROCESS = """
import os, signal, pathlib
if pathlib.Path({flag!r}).exists() and "killworker" in county:
    os.kill(os.getpid(), signal.SIGKILL)  # the notebook runs in the worker: the worker dies mid-cell
"""


@pytest.mark.slow
def test_worker_killed_mid_cell_in_process(tmp_path: Path) -> None:
    """With the default engine the notebook runs in the worker: its death is one county's failure."""
    flag = tmp_path / "kill-on"
    flag.touch()
    tpl = template_with_cell(
        R.template_path("county_report"),
        tmp_path / "county_report_kill.ipynb",
        KILL_IN_PROCESS.format(flag=str(flag)),
    )
    src = tmp_path / "counties"
    names = ["999074-good", "999075-killworker"]
    for i, n in enumerate(names):
        make_tiny_bundle(src, n, seed=i)
    out = tmp_path / "reports"
    got = _batch(src, out, template=tpl, retries=1)
    assert got == {"999074-good": "ok", "999075-killworker": "failed"}
    row = _status(out)["999075-killworker"]
    assert "worker process died" in row["error"] and row["attempts"] == "2"
    assert "Traceback" not in row["error"] and not (out / "999075-killworker.html").exists()
    _assert_clean(out)
    _assert_record_truth(out)
    flag.unlink()
    assert _batch(src, out, template=tpl) == {"999074-good": "skipped", "999075-killworker": "ok"}
    _assert_clean(out)


@pytest.mark.slow
@pytest.mark.extended  # the kernel engine; the default engine has test_worker_killed_mid_cell_in_process
def test_kernel_or_worker_killed_mid_cell(tmp_path: Path) -> None:
    flag = tmp_path / "kill-on"
    flag.touch()
    tpl = template_with_cell(
        R.template_path("county_report"),
        tmp_path / "county_report_kill.ipynb",
        KILL.format(flag=str(flag)),
    )
    src = tmp_path / "counties"
    names = ["999071-good", "999072-killkernel", "999073-killworker"]
    for i, n in enumerate(names):
        make_tiny_bundle(src, n, seed=i)
    out = tmp_path / "reports"
    got = _batch(src, out, template=tpl, retries=1, engine="kernel")
    assert got == {
        "999071-good": "ok",
        "999072-killkernel": "failed",
        "999073-killworker": "failed",
    }
    st = _status(out)
    # clear errors, no traceback; each kernel death was retried once
    assert "DeadKernelError" in st["999072-killkernel"]["error"]
    assert "worker process died" in st["999073-killworker"]["error"]
    assert st["999072-killkernel"]["attempts"] == "2" and st["999073-killworker"]["attempts"] == "2"
    assert not any("Traceback" in r["error"] for r in st.values())
    assert not (out / "999072-killkernel.html").exists()
    assert not (out / "999073-killworker.html").exists()
    _assert_clean(out)
    _assert_record_truth(out)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "999071-good.html" in page and "999072-killkernel.html" not in page
    # resume with the fault gone: exactly the two missing reports are rendered
    flag.unlink()
    got = _batch(src, out, template=tpl, engine="kernel")
    assert got == {
        "999071-good": "skipped",
        "999072-killkernel": "ok",
        "999073-killworker": "ok",
    }
    _assert_clean(out)
    _assert_record_truth(out)


@pytest.mark.slow
def test_disk_full_while_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC half-way through a report (or its record): that county fails, nothing is torn."""
    src = tmp_path / "counties"
    names = ["999081-fine", "999082-fullhtml", "999083-fulljson"]
    for i, n in enumerate(names):
        make_tiny_bundle(src, n, seed=i)
    out = tmp_path / "reports"
    real = io_mod._stage
    refused: list[str] = []

    def disk_full(target: Path, data: bytes, mode: int) -> Path:
        if target.name in ("999082-fullhtml.html", "999083-fulljson.json"):
            refused.append(target.name)
            tmp = real(target, data[: len(data) // 2], mode)  # half the bytes reach the disk
            tmp.unlink()  # as the real _stage does when its write fails
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
        return real(target, data, mode)

    monkeypatch.setattr(io_mod, "_stage", disk_full)
    got = _batch(src, out)
    assert sorted(refused) == ["999082-fullhtml.html", "999083-fulljson.json"]
    assert got == {"999081-fine": "ok", "999082-fullhtml": "failed", "999083-fulljson": "failed"}
    st = _status(out)
    for n in ("999082-fullhtml", "999083-fulljson"):
        assert "could not write the outputs" in st[n]["error"], st[n]
        assert "No space left on device" in st[n]["error"], st[n]
        assert not (out / f"{n}.json").exists()  # no record claims a report
        assert not (out / f"{n}.html").exists()  # and no report without its record
    assert not list(out.glob(".*.tmp*"))  # the half-written temporary files are gone
    _assert_clean(out)
    _assert_record_truth(out)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "999081-fine.html" in page and "999083-fulljson.html" not in page
    # space again: the resumed run renders exactly the two that were lost
    monkeypatch.setattr(io_mod, "_stage", real)
    got = _batch(src, out)
    assert got == {"999081-fine": "skipped", "999082-fullhtml": "ok", "999083-fulljson": "ok"}
    _assert_clean(out)
    _assert_record_truth(out)


@pytest.mark.slow
def test_hostile_names_paths_and_symlinks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative ``../`` inputs, a symlinked county folder, links planted in the output folder
    and a county named ``<script>``: outputs land only inside --out, all text is escaped."""
    sentinel, before = _sentinel(tmp_path)
    src = tmp_path / "counties"
    make_tiny_bundle(src, "999091-xss", name_zh=XSS, name_en=XSS, seed=1)
    make_tiny_bundle(tmp_path / "elsewhere", "999092-rel", seed=2)
    real = make_tiny_bundle(tmp_path / "elsewhere", "999093-real", seed=3)
    (src / "999093-link").symlink_to(real, target_is_directory=True)
    out = tmp_path / "reports"
    out.mkdir()
    (out / "index.html").symlink_to(sentinel / "victim.html")
    (out / STATUS_FILE).symlink_to(sentinel / "victim.csv")
    (out / "999092-rel.html").symlink_to(sentinel / "victim.html")
    work = tmp_path / "cwd"
    work.mkdir()
    outside = _tree(tmp_path, skip=out)
    monkeypatch.chdir(work)
    inputs: list[Path | str] = [src, "../elsewhere/999092-rel"]
    got = _batch(inputs, Path("../reports"))
    assert got == {"999091-xss": "ok", "999093-real": "ok", "999092-rel": "failed"}
    err = _status(out)["999092-rel"]["error"]
    assert "could not write the outputs" in err and "refusing to write" in err
    # nothing outside the output folder was written or changed
    assert _tree(sentinel) == before
    assert _tree(tmp_path, skip=out) == outside
    assert not (out / "index.html").is_symlink() and not (out / STATUS_FILE).is_symlink()
    _assert_clean(out)
    _assert_record_truth(out)
    # the <script> county: escaped in its report, the index, the workbook and the status table
    report = (out / "999091-xss.html").read_text(encoding="utf-8")
    assert "<script" not in report and "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    page = (out / "index.html").read_text(encoding="utf-8")
    # the index's own sort script (one, by id) aside, no script: the county's name is escaped
    own = re.sub(r"<script id=\"sort-table\">.*?</script>", "", page, flags=re.S)
    assert "<script" not in own and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    ws = load_workbook(out / "summary.xlsx")["汇总 summary"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert XSS in {c.value for c in cells} and not [c for c in cells if c.data_type == "f"]
    assert _status(out)["999091-xss"]["name_zh"] == XSS
    # remove the planted link: the resumed run renders exactly the missing report
    (out / "999092-rel.html").unlink()
    got = _batch(inputs, Path("../reports"))
    assert got == {"999091-xss": "skipped", "999093-real": "skipped", "999092-rel": "ok"}
    assert _tree(sentinel) == before and _tree(tmp_path, skip=out) == outside
    _assert_clean(out)
    _assert_record_truth(out)


def test_symlinked_results_cache_is_refused(tiny_bundle: Path, tmp_path: Path) -> None:
    from tcmcounty.errors import TcmCountyError
    from tcmcounty.reporting import results

    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / ".cache").symlink_to(outside, target_is_directory=True)
    res = results.compute_results(tiny_bundle)
    with pytest.raises(TcmCountyError, match="symbolic link"):
        results.save_results(res, out / ".cache")
    assert list(outside.iterdir()) == []
    assert results.read_cached(out / ".cache", res.key) is None
