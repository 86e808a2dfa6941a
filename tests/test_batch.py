"""Batch runs: failures stay isolated, timeouts, the output lock, kill-and-resume, Dask."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_report_support import (
    break_bundle,
    complete_outputs,
    make_tiny_bundle,
    no_temp_files,
    template_with_cell,
)

from tcmcounty.cli import main
from tcmcounty.run import report as R
from tcmcounty.run.batch import STATUS_FILE, dask_client, read_status, run_batch

pytestmark = pytest.mark.slow

DATE = "2023-11-01"
FAULTS = (
    'if "boom" in county:\n'
    '    raise RuntimeError("deliberate failure inside the kernel")\n'
    'if "sleepy" in county:\n'
    "    import time\n\n"
    "    time.sleep(600)"
)


@pytest.fixture(scope="module")
def fault_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tpl")
    return template_with_cell(
        R.template_path("county_report"), d / "county_report_faults.ipynb", FAULTS
    )


def _status(out: Path) -> dict[str, dict[str, str]]:
    return {r["county"]: r for r in read_status(out)}


def test_one_failure_never_stops_the_others(
    tmp_path: Path, fault_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "counties"
    make_tiny_bundle(src, "999011-good", seed=1)
    break_bundle(make_tiny_bundle(src, "999012-broken", seed=2))
    make_tiny_bundle(src, "999013-boom", seed=3)
    out = tmp_path / "reports"
    args = [
        "batch",
        str(src),
        "--out",
        str(out),
        "--template",
        str(fault_template),
        "--workers",
        "2",
        "--no-progress",
        "--report-date",
        DATE,
        "--timeout",
        "300",
    ]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "2 failed" in err and "999012-broken" in err and "999013-boom" in err
    st = _status(out)
    assert st["999011-good"]["status"] == "ok"
    assert (
        st["999012-broken"]["status"] == "failed" and "villages.csv" in st["999012-broken"]["error"]
    )
    assert st["999013-boom"]["status"] == "failed"
    assert "deliberate failure inside the kernel" in st["999013-boom"]["error"]
    assert (out / "999011-good.html").is_file() and not (out / "999013-boom.html").exists()
    assert (out / ".failed" / "999013-boom.ipynb").is_file()  # the failed notebook, for debugging
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "999011-good.html" in index and "deliberate failure" in index
    assert not no_temp_files(out) and not complete_outputs(out)
    # resumable: the good county is skipped, the failed ones are tried again
    assert main(args) == 1
    st = _status(out)
    assert st["999011-good"]["status"] == "skipped"
    assert st["999012-broken"]["status"] == "failed" and st["999013-boom"]["status"] == "failed"


def test_timeout_stops_the_kernel(tmp_path: Path, fault_template: Path) -> None:
    src = tmp_path / "counties"
    make_tiny_bundle(src, "999021-sleepy")
    out = tmp_path / "reports"
    t0 = time.monotonic()
    result = run_batch(
        [src],
        out,
        workers=1,
        timeout=8,
        retries=1,
        template=fault_template,
        parameters=R.county_parameters(report_date=DATE),
        progress=False,
    )
    assert time.monotonic() - t0 < 90
    (row,) = result.rows
    assert row.status == "timeout" and "timed out" in row.error
    assert result.exit_code == 1
    assert json.loads((out / "999021-sleepy.json").read_text())["status"] == "timeout"


def test_second_batch_on_the_same_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_tiny_bundle(tmp_path / "in")
    out = tmp_path / "reports"
    with R.OutputLock(out, "tcmcounty batch (test)"):
        code = main(["batch", str(src), "--out", str(out), "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert "another tcmcounty run is writing to" in err and f"pid {os.getpid()}" in err
    assert not (out / STATUS_FILE).exists()


def _ok_records(out: Path) -> set[str]:
    done = set()
    for p in out.glob("*.json"):
        try:
            if json.loads(p.read_text(encoding="utf-8")).get("status") == "ok":
                done.add(p.stem)
        except ValueError:
            pass
    return done


def test_kill_and_resume(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    src = tmp_path / "counties"
    names = [f"99903{i}-kill" for i in range(1, 4)]
    for i, n in enumerate(names):
        make_tiny_bundle(src, n, seed=i)
    out = tmp_path / "reports"
    cmd = [
        sys.executable,
        "-m",
        "tcmcounty.cli",
        "batch",
        str(src),
        "--out",
        str(out),
        "--workers",
        "1",
        "--no-progress",
        "--report-date",
        DATE,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not _ok_records(out) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert proc.poll() is None, "the batch finished before it could be killed"
        children = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    # its worker and kernel die with it
    _gone, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, [p.cmdline() for p in alive]
    done_before = _ok_records(out)
    assert 1 <= len(done_before) < len(names)
    assert not complete_outputs(out)  # nothing half-written under a final name
    # the rerun finishes exactly the missing ones
    assert main(cmd[3:]) == 0
    st = _status(out)
    assert {n for n, r in st.items() if r["status"] == "skipped"} == done_before
    assert {n for n, r in st.items() if r["status"] == "ok"} == set(names) - done_before
    assert not no_temp_files(out) and not complete_outputs(out)
    assert _ok_records(out) == set(names)


@pytest.mark.extended  # the real scheduler test below covers Dask in the default tier
def test_local_cluster(tmp_path: Path) -> None:
    with dask_client("local", 1) as client:
        info = client.scheduler_info()
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
        assert info["workers"] and all(a.startswith("tcp://127.0.0.1:") for a in info["workers"])
    src = make_tiny_bundle(tmp_path / "in", "999041-dask")
    out = tmp_path / "reports"
    result = run_batch(
        [src],
        out,
        dask="local",
        workers=1,
        parameters=R.county_parameters(report_date=DATE),
        progress=False,
        timeout=300,
    )
    assert [r.status for r in result.rows] == ["ok"], result.summary()
    assert result.backend == "dask local"
    assert (out / "999041-dask.html").is_file()
    assert json.loads((out / "999041-dask.json").read_text())["status"] == "ok"


ISOLATION = (
    "assert 'left_by_another_county' not in globals(), 'a variable leaked from the last county'\n"
    "left_by_another_county = county\n"
    "import os\n"
    "print('worker', os.getpid())"
)


def test_counties_in_one_worker_never_see_each_others_variables(tmp_path: Path) -> None:
    tpl = template_with_cell(R.template_path("county_report"), tmp_path / "iso.ipynb", ISOLATION)
    src = tmp_path / "counties"
    for i in range(3):
        make_tiny_bundle(src, f"99905{i}-iso", seed=i)
    out = tmp_path / "reports"
    result = run_batch(
        [src],
        out,
        workers=1,
        template=tpl,
        parameters=R.county_parameters(report_date=DATE),
        progress=False,
        timeout=300,
    )
    assert [r.status for r in result.rows] == ["ok"] * 3, result.summary()
    # one warm worker ran all three (the status table names it), each in a fresh namespace
    assert len({r.worker for r in result.rows}) == 1 and result.rows[0].worker
    assert all(float(r.execute_s) > 0 and float(r.results_s) > 0 for r in result.rows)
    status = _status(out)
    assert {k: v["worker"] for k, v in status.items()} == {r.county: r.worker for r in result.rows}


@pytest.mark.extended  # the kernel engine, like the other kernel tests (make test-all runs them)
def test_batch_report_and_kernel_engine_give_the_same_html(tmp_path: Path) -> None:
    src = make_tiny_bundle(tmp_path / "in", "999061-same", seed=6)
    params = {"report_date": DATE}
    R.render_report(src, tmp_path / "report", **params)
    R.render_report(src, tmp_path / "kernel", engine="kernel", **params)
    result = run_batch(
        [src],
        tmp_path / "batch",
        workers=1,
        parameters=R.county_parameters(**params),
        progress=False,
        timeout=300,
    )
    assert [r.status for r in result.rows] == ["ok"], result.summary()
    html = {
        d: R.strip_timestamp((tmp_path / d / "999061-same.html").read_text(encoding="utf-8"))
        for d in ("report", "kernel", "batch")
    }
    assert html["batch"] == html["report"]
    assert html["kernel"] == html["report"]
    rec = json.loads((tmp_path / "kernel" / "999061-same.json").read_text())
    assert rec["engine"] == "kernel" and rec["durations"]["kernel_start"] > 0


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "dask", *args],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_real_dask_scheduler_and_workers_on_loopback(tmp_path: Path) -> None:
    """A `dask scheduler` process and two `dask worker` processes, as on a real cluster."""
    sched_file = tmp_path / "scheduler.json"
    procs = [
        _start(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ],
            tmp_path / "scheduler.log",
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for i in range(2):
            procs.append(
                _start(
                    [
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--name",
                        f"w{i}",
                        "--local-directory",
                        str(tmp_path / f"w{i}"),
                    ],
                    tmp_path / f"worker{i}.log",
                )
            )
        from dask.distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
        src = tmp_path / "counties"
        make_tiny_bundle(src, "999071-east", seed=7)
        make_tiny_bundle(src, "999072-west", seed=8)
        break_bundle(make_tiny_bundle(src, "999073-broken", seed=9))
        out = tmp_path / "reports"
        result = run_batch(
            [src],
            out,
            dask=address,
            parameters=R.county_parameters(report_date=DATE),
            progress=False,
            timeout=300,
        )
        st = {r.county: r for r in result.rows}
        assert st["999071-east"].status == st["999072-west"].status == "ok", result.summary()
        assert (
            st["999073-broken"].status == "failed" and "villages.csv" in st["999073-broken"].error
        )
        assert result.workers == 2 and result.backend == f"dask {address}"
        # the inputs travelled with the jobs: the workers never read the submitting folder
        rec = json.loads((out / "999071-east.json").read_text())
        assert rec["status"] == "ok" and rec["engine"] == "inprocess"
        assert (out / "999072-west.html").is_file() and (out / "index.html").is_file()
    finally:
        for p in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
