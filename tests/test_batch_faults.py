"""Batch faults of issue classes 2 and 7: nothing one county holds poisons the output folder.

Class 2 — a control character in a name, a corrupted results cache, a record with the wrong
types: the index and summary are still written, the cache entry is discarded and recomputed.
Class 7 — bookkeeping: ``--out`` inside the input refused, a stray JSON never an ``ok``
county, the html and its record written all or nothing, the output folder removed or made
read-only mid-run, SIGTERM/SIGINT/SIGKILL leave no ``tcmr-*`` folder and exit with a code that
says so, failed counties keep adcode, name and error in ``summary.xlsx``.

Most tests need no kernel: they build records, counties and job outcomes directly, or run the
batch's bookkeeping with a stand-in for the worker pool. The ones that execute notebooks are
marked ``slow`` and share one rendered folder.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import write_bundle
from openpyxl import load_workbook
from test_report_support import (
    break_bundle,
    complete_outputs,
    make_tiny_bundle,
    no_temp_files,
    template_with_cell,
)

import tcmcounty.io as io_mod
import tcmcounty.run.batch as B
import tcmcounty.run.index as I
from tcmcounty import load_county
from tcmcounty.cli import main
from tcmcounty.cli.output import emit
from tcmcounty.errors import ReportError
from tcmcounty.inputs.workbook import write_workbook
from tcmcounty.reporting import results as RS
from tcmcounty.run import report as R
from tcmcounty.run.batch import STATUS_FILE, read_status, run_batch

DATE = "2023-11-01"
CONTROL = ["北\x00村", "南\n村", "东\x1b[31m村", "西\x0b\x0c村", "中\r村", "\x7f末村"]


def _status(out: Path) -> dict[str, dict[str, str]]:
    return {r["county"]: r for r in read_status(out)}


def _summary_rows(out: Path) -> dict[str, dict[str, Any]]:
    ws = load_workbook(out / "summary.xlsx")["汇总 summary"]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    return {str(r[head.index("代码 adcode")]): dict(zip(head, r, strict=True)) for r in rows[1:]}


def _record(name: str, **kw: Any) -> dict[str, Any]:
    rec = {
        "kind": "county_report",
        "name": name,
        "status": "failed",
        "error": "x",
        "package_version": "0",
        "counties": [{"adcode": name[:6], "name_zh": "县", "name_en": "X"}],
        "headline": {"n_met": 1},
        "indicators": [{"id": "T-BED", "name_zh": "床位", "value": 1.0, "met": True}],
        "outputs": [],
    }
    rec.update(kw)
    return rec


def _write(out: Path, rec: object, name: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")


# =============================================================================================
# Class 2: whatever a county holds, the index and summary are written


def test_control_characters_never_stop_the_index(tmp_path: Path) -> None:
    for i, text in enumerate(CONTROL):
        name = f"99950{i}-ctl"
        _write(
            tmp_path,
            _record(
                name,
                status="ok" if i % 2 else "failed",
                error=f"boom {text}",
                counties=[{"adcode": f"99950{i}", "name_zh": text, "name_en": text}],
                indicators=[{"id": "T-BED", "name_zh": text, "value": text, "met": None}],
            ),
            name,
        )
    I.write_index(tmp_path)  # used to raise IllegalCharacterError for every later run
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "\x00" not in page and "\x1b" not in page and page.rstrip().endswith("</html>")
    rows = _summary_rows(tmp_path)
    assert len(rows) == len(CONTROL)
    names = {r["县 county"] for r in rows.values()}
    assert {"北村", "南\n村", "东[31m村", "西村", "\x7f末村"} <= names  # what XML can hold stays
    # a second run into the same folder works too
    I.write_index(tmp_path)


def test_control_characters_in_a_county_built_directly(tmp_path: Path) -> None:
    """Bypassing the readers: export, xlsx and CSV tables of such names do not crash."""
    c = load_county(write_bundle(tmp_path / "410101-test"), warn=False)
    vill = c.villages.assign(
        name=[CONTROL[i % len(CONTROL)] + str(i) for i in range(len(c.villages))]
    )
    c2 = dataclasses.replace(c, villages=vill, name_zh="测\x00试县")
    out = write_workbook(tmp_path / "x.xlsx", c2)
    back = load_county(out, warn=False)
    assert back.name_zh == "测试县" and back.villages["name"].iloc[0] == "北村0"
    emit(vill[["code", "name"]], "xlsx", str(tmp_path / "v.xlsx"))
    emit(vill[["code", "name"]], "csv", str(tmp_path / "v.csv"))
    import csv

    with open(tmp_path / "v.csv", encoding="utf-8", newline="") as f:
        assert len(list(csv.reader(f))) == len(vill) + 1  # one row per village, CR or not


# --------------------------------------------------------------------------- results cache


@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RS.CountyResults]:
    """The tiny county's results, computed once and cached."""
    root = tmp_path_factory.mktemp("cache")
    bundle = write_bundle(root / "410101-test")
    res = RS.load_results(bundle, cache_dir=root / "cache")
    return bundle, res


class _Evil:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {tempfile.gettempdir()}/tcm-pwned-{os.getpid()}",))


def _corruptions(good: bytes) -> dict[str, bytes]:
    head = len(RS.CACHE_MAGIC) + 32
    flipped = bytearray(good)
    flipped[head + len(good[head:]) // 2] ^= 0xFF
    return {
        "truncated": good[: len(good) // 2],
        "empty": b"",
        "garbage": os.urandom(4096),
        # a pickle announcing a 2**62-byte string: MemoryError if it were ever unpickled
        "huge-length": RS.CACHE_MAGIC
        + b"\0" * 32
        + b"\x80\x04\x8e"
        + (2**62).to_bytes(8, "little"),
        "old-format": pickle.dumps({"not": "signed"}),
        "flipped-byte": bytes(flipped),
        "forged-code": RS.CACHE_MAGIC + b"\0" * 32 + pickle.dumps(_Evil()),
    }


@pytest.mark.parametrize(
    "kind",
    ["truncated", "empty", "garbage", "huge-length", "old-format", "flipped-byte", "forged-code"],
)
def test_a_cache_entry_that_does_not_load_is_recomputed(
    cached: tuple[Path, RS.CountyResults], tmp_path: Path, kind: str
) -> None:
    bundle, res = cached
    cache = tmp_path / "cache"
    good = RS.save_results(res, cache)
    assert good is not None and RS.read_cached(cache, res.key) is not None
    good.write_bytes(_corruptions(good.read_bytes())[kind])
    os.chmod(good, 0o600)
    assert RS.read_cached(cache, res.key) is None  # never raises
    again = RS.load_results(bundle, cache_dir=cache)
    assert again.key == res.key and again.headline() == res.headline()
    (note,) = again.cache_notes
    assert "discarded and recomputed" in note and good.name in note
    assert not Path(tempfile.gettempdir(), f"tcm-pwned-{os.getpid()}").exists()
    # the entry was replaced by a good one, loaded without a note next time
    third = RS.load_results(bundle, cache_dir=cache)
    assert not third.cache_notes and RS.read_cached(cache, res.key) is not None


def test_cache_signed_with_another_secret_is_not_loaded(
    cached: tuple[Path, RS.CountyResults], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, res = cached
    cache = tmp_path / "cache"
    RS.save_results(res, cache)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-user"))
    assert RS.read_cached(cache, res.key) is None
    assert (tmp_path / "other-user" / "tcmcounty" / "results-cache.key").stat().st_mode & 0o077 == 0


# --------------------------------------------------------------------------- records


BAD_FIELDS: list[dict[str, Any]] = [
    {"counties": "512021"},
    {"counties": [1, None, "x"]},
    {"counties": [{"adcode": ["x"], "name_zh": {"a": 1}}]},
    {"headline": [1, 2]},
    {"headline": {"n_met": [1], "coverage_share": "half", "non_official": "yes"}},
    {"indicators": {"id": "T"}},
    {"indicators": [None, {"id": None, "value": {"x": 1}, "met": "maybe"}]},
    {"outputs": 5},
    {"outputs": [1, None]},
    {"attempts": "two"},
    {"html_bytes": "big"},
    {"durations": [1]},
    {"status": ["ok"]},
    {"error": {"nested": True}},
    {"written": 12},
]


@pytest.mark.parametrize(
    "bad", BAD_FIELDS, ids=lambda b: next(iter(b)) + "-" + type(next(iter(b.values()))).__name__
)
def test_a_record_with_wrong_types_breaks_nothing(tmp_path: Path, bad: dict[str, Any]) -> None:
    bundle = make_tiny_bundle(tmp_path / "in", "999511-types")
    out = tmp_path / "out"
    _write(out, _record("999511-types", **{"status": "ok", **bad}), "999511-types")
    rec = R.read_record(out / "999511-types.json")
    assert rec is not None
    spec = R.make_spec([bundle], parameters=R.county_parameters(report_date=DATE))
    assert not R.is_up_to_date(out, spec, R.job_inputs_hash(spec.inputs))
    B._row(spec, R.JobOutcome(spec.name, spec.kind, "ok", rec), "skipped")
    I.write_index(out)
    assert (out / "index.html").is_file() and (out / "summary.xlsx").is_file()


def test_records_that_are_no_records(tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe{")
    I.write_index(tmp_path)
    assert I.load_records(tmp_path) == []


# =============================================================================================
# Class 7: bookkeeping


def test_a_stray_json_is_never_an_ok_county(tmp_path: Path) -> None:
    out = tmp_path
    (out / "999521-real.html").write_text("<html>real</html>\n")
    real = _record("999521-real", status="ok", html_bytes=18, outputs=["999521-real.html"])
    _write(out, real, "999521-real")
    # a copy under another name, a record claiming a report that is not there, one whose
    # HTML is not the one it wrote, and JSON files that are no records at all
    _write(out, real, "999521-real copy")
    _write(out, _record("999522-ghost", status="ok", outputs=["999522-ghost.html"]), "999522-ghost")
    (out / "999523-swapped.html").write_text("<html>something else entirely</html>\n")
    _write(out, _record("999523-swapped", status="ok", html_bytes=18), "999523-swapped")
    (out / "package.json").write_text('{"name": "package", "status": "ok"}')
    (out / "settings.json").write_text('{"kind": "county_report", "status": "ok"}')
    I.write_index(out)
    recs = {r["name"]: r["status"] for r in I.load_records(out)}
    assert recs == {"999521-real": "ok", "999522-ghost": I.MISSING, "999523-swapped": I.MISSING}
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "1 / 3 个县报告成功" in page and "href='999521-real.html'" in page
    assert "href='999522-ghost.html'" not in page and "href='999523-swapped.html'" not in page
    rows = _summary_rows(out)
    assert {a: r["状态 status"] for a, r in rows.items()} == {
        "999521": "ok",
        "999522": I.MISSING,
        "999523": I.MISSING,
    }
    assert "missing" in rows["999522"]["错误 error"]


@pytest.mark.parametrize("where", ["same", "inside", "deep"])
def test_out_equal_to_or_inside_the_input_is_refused(
    tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "counties"
    make_tiny_bundle(src, "999531-x")
    out = {"same": src, "inside": src / "reports", "deep": src / "999531-x" / "r"}[where]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(ReportError, match=r"(inside the|is the) input"):
        run_batch([src], out, progress=False)
    assert main(["batch", str(src), "--out", str(out), "--no-progress"]) == 2
    assert "--out" in capsys.readouterr().err
    with pytest.raises(ReportError, match="input"):
        R.render_report(src / "999531-x", src / "999531-x" / "out")
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def _pair(out: Path, name: str, html: bytes) -> R.JobOutcome:
    rec = {
        "kind": R.KIND_COUNTY,
        "name": name,
        "status": "ok",
        "package_version": "0",
        "outputs": [f"{name}.html", f"{name}.ipynb"],
        "html_bytes": len(html),
    }
    files = {f"{name}.html": html, f"{name}.ipynb": b"{}"}
    return R.JobOutcome(name, R.KIND_COUNTY, "ok", R.JobRecord.from_json(rec), files)  # type: ignore[arg-type]


@pytest.mark.parametrize("fail", ["stage-record", "stage-html", "rename-record"])
def test_html_and_record_are_written_all_or_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: str
) -> None:
    out = tmp_path / "out"
    R.write_outcome(out, _pair(out, "999541-pair", b"<html>old</html>\n"))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_stage, real_replace = io_mod._stage, os.replace

    def stage(target: Path, data: bytes, mode: int) -> Path:
        if (fail == "stage-record" and target.suffix == ".json") or (
            fail == "stage-html" and target.suffix == ".html"
        ):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        return real_stage(target, data, mode)

    def replace(src: Any, dst: Any) -> None:
        if fail == "rename-record" and str(dst).endswith("999541-pair.json"):
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(io_mod, "_stage", stage)
    monkeypatch.setattr(io_mod.os, "replace", replace)
    with pytest.raises(OSError):
        R.write_outcome(out, _pair(out, "999541-pair", b"<html>new and longer</html>\n"))
    monkeypatch.undo()
    # the old pair, untouched; no temporary file left
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# --------------------------------------------------------------------------- the batch's bookkeeping


def _fake_pool(
    action: dict[str, Any],
) -> Any:
    """A stand-in for the worker pool: each job 'renders' at once; ``action`` runs before one."""

    def run(specs: list[R.JobSpec], workers: int, on_done: Any) -> None:
        for spec in specs:
            if spec.name in action:
                action[spec.name]()
            html = f"<html>{spec.name}</html>\n".encode()
            rec = {
                "kind": spec.kind,
                "name": spec.name,
                "status": "ok",
                "package_version": "0",
                "counties": [R.input_identity(spec.inputs[0])],
                "outputs": [f"{spec.name}.html"],
                "html_bytes": len(html),
                "durations": {"total": 0.1},
            }
            on_done(
                spec,
                R.JobOutcome(
                    spec.name,
                    spec.kind,
                    "ok",
                    R.JobRecord.from_json(rec),  # type: ignore[arg-type]
                    {f"{spec.name}.html": html},
                ),
            )

    return run


def _three(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "counties"
    for i, n in enumerate(["999551-first", "999552-second", "999553-third"]):
        make_tiny_bundle(src, n, seed=i)
    return src, tmp_path / "reports"


def test_output_folder_removed_mid_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = _three(tmp_path)
    moved = tmp_path / "moved-away"
    monkeypatch.setattr(B, "_run_pool", _fake_pool({"999552-second": lambda: out.rename(moved)}))
    result = run_batch([src], out, progress=False)
    got = {r.county: r.status for r in result.rows}
    assert got == {"999551-first": "ok", "999552-second": "failed", "999553-third": "not run"}
    rows = {r.county: r for r in result.rows}
    assert (
        "removed" in rows["999552-second"].error and "batch stopped" in rows["999553-third"].error
    )
    assert result.exit_code == 1 and result.problems
    assert "removed" in result.summary() and "not written" in result.summary()
    assert not out.exists()  # not recreated behind the user's back
    assert not list(moved.glob("999552*")) and not no_temp_files(moved)


def test_output_folder_read_only_mid_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EROFS after the first county: the rest is not rendered, the result says what happened."""
    src, out = _three(tmp_path)
    real_stage, real_write = io_mod._stage, I.write_file_atomic
    state = {"ro": False}

    def ro() -> None:
        state["ro"] = True

    def stage(target: Path, data: bytes, mode: int) -> Path:
        if state["ro"]:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(target))
        return real_stage(target, data, mode)

    def write(target: Any, data: bytes) -> Path:
        if state["ro"]:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(target))
        return real_write(target, data)

    monkeypatch.setattr(io_mod, "_stage", stage)
    monkeypatch.setattr(I, "write_file_atomic", write)
    monkeypatch.setattr(B, "_run_pool", _fake_pool({"999552-second": ro}))
    result = run_batch([src], out, progress=False)
    got = {r.county: r.status for r in result.rows}
    assert got == {"999551-first": "ok", "999552-second": "failed", "999553-third": "not run"}
    assert "Read-only file system" in {r.county: r for r in result.rows}["999552-second"].error
    assert result.exit_code == 1
    assert any(p.startswith(STATUS_FILE) and "not written" in p for p in result.problems)
    # what is on disk is what was true when it was written: no row claims more
    disk = _status(out)
    assert disk["999551-first"]["status"] == "ok" and disk["999552-second"]["status"] != "ok"
    assert not (out / "999552-second.html").exists() and not (out / "999552-second.json").exists()


def test_interrupted_batch_marks_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = _three(tmp_path)

    def term() -> None:
        raise B.Terminated(signal.SIGTERM)

    monkeypatch.setattr(B, "_run_pool", _fake_pool({"999552-second": term}))
    with pytest.raises(B.Terminated):
        run_batch([src], out, progress=False)
    st = _status(out)
    assert st["999551-first"]["status"] == "ok"
    assert (
        st["999552-second"]["status"] == "not run" and "terminated" in st["999552-second"]["error"]
    )
    assert (out / "index.html").is_file()


def test_failure_records_keep_adcode_and_name(tmp_path: Path) -> None:
    bundle = make_tiny_bundle(tmp_path / "in", "999561-dead", adcode="510199", name_zh="死县")
    spec = R.make_spec([bundle], parameters=R.county_parameters(report_date=DATE))
    out = tmp_path / "out"
    rec = R.failure_record(spec, "worker process died / 工作进程意外退出", 2)
    R.write_outcome(out, R.JobOutcome(spec.name, spec.kind, "failed", rec, {}, rec.error))
    I.write_index(out)
    rows = _summary_rows(out)
    assert (
        rows["510199"]["县 county"] == "死县"
        and "worker process died" in rows["510199"]["错误 error"]
    )
    assert rows["510199"]["状态 status"] == "failed"


# =============================================================================================
# With notebooks: one rendered folder, shared


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A batch over a good county and a broken one (rendered once for the module)."""
    root = tmp_path_factory.mktemp("rendered")
    src = root / "counties"
    make_tiny_bundle(src, "999601-good", adcode="510601", name_zh="好县", seed=1)
    break_bundle(make_tiny_bundle(src, "999602-broken", adcode="510602", name_zh="坏县", seed=2))
    out = root / "reports"
    result = run_batch(
        [src],
        out,
        workers=2,
        timeout=300,
        parameters=R.county_parameters(report_date=DATE),
        progress=False,
    )
    assert {r.county: r.status for r in result.rows} == {
        "999601-good": "ok",
        "999602-broken": "failed",
    }, result.summary()
    return src, out


@pytest.mark.slow
def test_failed_county_keeps_adcode_name_and_error_in_the_summary(
    rendered: tuple[Path, Path],
) -> None:
    _, out = rendered
    rows = _summary_rows(out)
    bad = rows["510602"]
    assert bad["县 county"] == "坏县" and bad["状态 status"] == "failed"
    assert "villages.csv" in bad["错误 error"]
    assert rows["510601"]["状态 status"] == "ok" and not rows["510601"]["错误 error"]


@pytest.mark.slow
def test_corrupt_cache_bad_record_stray_json_and_control_characters_in_one_rerun(
    rendered: tuple[Path, Path], tmp_path: Path
) -> None:
    """Every poison at once in a copy of the folder: the rerun renders, indexes and tells why."""
    src, first = rendered
    out = tmp_path / "reports"
    shutil.copytree(first, out)
    pkls = list((out / ".cache").glob("*.pkl"))
    assert pkls
    for p in pkls:  # MemoryError bait, as the attack planted
        p.write_bytes(b"\x80\x04\x8e" + (2**62).to_bytes(8, "little"))
    rec = json.loads((out / "999601-good.json").read_text(encoding="utf-8"))
    rec.update(outputs=5, counties="x", attempts="abc", headline=[1])
    (out / "999601-good.json").write_text(json.dumps(rec), encoding="utf-8")
    (out / "stray.json").write_text(json.dumps({**rec, "name": "stray", "status": "ok"}))
    ctl = _record("999699-ctl", counties=[{"adcode": "999699", "name_zh": "\x00\n县"}])
    _write(out, ctl, "999699-ctl")
    result = run_batch(
        [src],
        out,
        workers=2,
        timeout=300,
        parameters=R.county_parameters(report_date=DATE),
        progress=False,
    )
    got = {r.county: r.status for r in result.rows}
    assert got == {"999601-good": "ok", "999602-broken": "failed"}, result.summary()
    assert not result.problems
    good = R.read_record(out / "999601-good.json")
    assert good is not None and any("discarded and recomputed" in n for n in good.notes)
    statuses = {r["name"]: r["status"] for r in I.load_records(out)}
    assert statuses["stray"] == I.MISSING and statuses["999601-good"] == "ok"
    assert "999699" in _summary_rows(out)
    assert not complete_outputs(out) and not no_temp_files(out)


SLEEP = (
    'if "sleepy" in county:\n'
    "    import os, pathlib, time\n\n"
    '    pathlib.Path(os.environ["TCM_TEST_STARTED"]).touch()\n'
    "    time.sleep(600)"
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("engine", "sig", "code"),
    [
        ("inprocess", signal.SIGTERM, 143),
        ("inprocess", signal.SIGINT, 130),
        ("inprocess", signal.SIGKILL, -9),
        pytest.param("kernel", signal.SIGKILL, -9, marks=pytest.mark.extended),
    ],
)
def test_signals_leave_no_job_folders(tmp_path: Path, engine: str, sig: int, code: int) -> None:
    """Job folders (with a kernel's connection file and keys) never outlive the batch."""
    src = tmp_path / "counties"
    make_tiny_bundle(src, "999611-sleepy")
    tpl = template_with_cell(R.template_path("county_report"), tmp_path / "sleepy.ipynb", SLEEP)
    tmp = Path(tempfile.mkdtemp(prefix="t", dir="/tmp"))  # short: it holds the kernel sockets
    out = tmp_path / "reports"
    started = tmp_path / "cell-started"
    env = {**os.environ, "TMPDIR": str(tmp), "TCM_TEST_STARTED": str(started)}
    cmd = [
        sys.executable,
        "-m",
        "tcmcounty.cli",
        "batch",
        str(src),
        "--out",
        str(out),
        "--template",
        str(tpl),
        "--workers",
        "1",
        "--no-progress",
        "--report-date",
        DATE,
        "--engine",
        engine,
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while not started.exists() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            time.sleep(0.2)
        assert started.exists(), "the sleeping cell never started"
        assert list(tmp.glob("tcmr-*/j*"))  # the job's folder is there while it runs
        if engine == "kernel":
            assert list(tmp.glob("tcmr-*/j*/k1/kernel.json"))
        os.kill(proc.pid, sig)
        assert proc.wait(60) == code
        deadline = time.monotonic() + 30
        while list(tmp.glob("tcmr-*")) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not list(tmp.glob("tcmr-*")), list(tmp.rglob("*"))
        if sig != signal.SIGKILL:
            row = _status(out)["999611-sleepy"]
            assert row["status"] == "not run"
            assert ("terminated" if sig == signal.SIGTERM else "interrupted") in row["error"]
            assert (out / "index.html").is_file()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)
