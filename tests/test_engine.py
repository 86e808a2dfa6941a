"""The in-process papermill engine: isolation, outputs, errors and time limits (no kernel)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest

from tcmcounty.errors import NotebookFailed
from tcmcounty.run.engine import ENGINE_NAME, engine_class, run_cell
from tcmcounty.run.execute import KernelTimeoutError, execute_template


def _notebook(path: Path, *cells: str, parameters: str = "county = 'x'") -> Path:
    p = nbformat.v4.new_code_cell(parameters)
    p.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(
        cells=[p, *(nbformat.v4.new_code_cell(c) for c in cells)],
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "P"}},
    )
    nbformat.write(nb, path)
    return path


def _run(tmp_path: Path, nb: Path, timeout: float | None = None, **params: object):  # type: ignore[no-untyped-def]
    work = tmp_path / f"w{time.perf_counter_ns()}"
    work.mkdir()
    return execute_template(nb, dict(params), workdir=work, timeout=timeout)


def test_a_variable_of_one_notebook_is_not_seen_by_the_next(tmp_path: Path) -> None:
    nb = _notebook(
        tmp_path / "iso.ipynb",
        "seen = globals().get('previous_county')\nprevious_county = county\nseen",
    )
    first, _ = _run(tmp_path, nb, county="512021-anyue")
    second, _ = _run(tmp_path, nb, county="140823-wenxi")
    # `seen` is None in both (no output at all): nothing of the first run survives
    assert first.cells[-1].outputs == [] and second.cells[-1].outputs == []
    assert "140823-wenxi" in second.cells[1].source  # papermill's injected parameters cell


def test_modules_stay_loaded_between_notebooks(tmp_path: Path) -> None:
    nb = _notebook(tmp_path / "m.ipynb", "import sys\nid(sys.modules['tcmcounty'])")
    a, _ = _run(tmp_path, nb)
    b, _ = _run(tmp_path, nb)
    assert a.cells[-1].outputs[0]["data"] == b.cells[-1].outputs[0]["data"]


def test_outputs_as_a_kernel_gives_them(tmp_path: Path) -> None:
    nb = _notebook(
        tmp_path / "out.ipynb",
        "print('stdout line')\nimport sys\nprint('to stderr', file=sys.stderr)",
        "from IPython.display import HTML\ndisplay(HTML('<b>shown</b>'))\nHTML('<i>result</i>')",
        "x = 1  # no value, no output",
    )
    done, durations = _run(tmp_path, nb)
    streams = {o["name"]: o["text"] for o in done.cells[-3].outputs}
    assert streams == {"stdout": "stdout line\n", "stderr": "to stderr\n"}
    kinds = [o["output_type"] for o in done.cells[-2].outputs]
    assert kinds == ["display_data", "execute_result"]
    assert done.cells[-2].outputs[0]["data"]["text/html"] == "<b>shown</b>"
    assert done.cells[-2].outputs[1]["data"]["text/html"] == "<i>result</i>"
    assert done.cells[-1].outputs == []
    assert durations["kernel_start"] == 0.0 and durations["execute"] > 0
    nbformat.validate(done)  # a valid notebook, savable as it is


def test_a_failing_cell_stops_the_notebook_with_notebook_failed(tmp_path: Path) -> None:
    nb = _notebook(
        tmp_path / "err.ipynb",
        "def inner():\n    raise ValueError('bad county data')\ninner()",
        "never = True",
    )
    with pytest.raises(NotebookFailed) as info:
        _run(tmp_path, nb)
    assert info.value.ename == "ValueError" and info.value.evalue == "bad county data"
    assert info.value.notebook == "err.ipynb" and info.value.cell == 2  # after the parameters
    assert str(info.value) == "in notebook cell 2: ValueError: bad county data"
    assert isinstance(info.value.__cause__, papermill.PapermillExecutionError)
    failed: Any = info.value.executed
    error_cell = next(c for c in failed.cells if c.get("outputs") and c.cell_type == "code")
    tb = "\n".join(error_cell.outputs[-1]["traceback"])
    assert "inner()" in tb and "raise ValueError" in tb  # the cell's own lines, not the engine's
    assert "engine.py" not in tb
    assert failed.cells[-1].outputs == [] and failed.cells[-1].execution_count is None
    assert (tmp_path.glob("w*/executed.ipynb")).__next__().is_file()


def test_time_limit_in_the_main_thread_interrupts_sleep(tmp_path: Path) -> None:
    nb = _notebook(
        tmp_path / "sleep.ipynb",
        "import time\ntry:\n    time.sleep(60)\nexcept Exception:\n    pass  # cannot swallow it",
    )
    t0 = time.monotonic()
    with pytest.raises(KernelTimeoutError, match="timed out after 1 s"):
        _run(tmp_path, nb, timeout=1)
    assert time.monotonic() - t0 < 10


def test_time_limit_in_another_thread(tmp_path: Path) -> None:
    """Dask runs jobs in worker threads, where no signal can be used."""
    nb = _notebook(tmp_path / "loop.ipynb", "n = 0\nwhile True:\n    n += 1")
    caught: list[BaseException] = []

    def job() -> None:
        try:
            _run(tmp_path, nb, timeout=1)
        except BaseException as exc:
            caught.append(exc)

    t = threading.Thread(target=job)
    t0 = time.monotonic()
    t.start()
    t.join(30)
    assert not t.is_alive() and time.monotonic() - t0 < 30
    assert len(caught) == 1 and isinstance(caught[0], KernelTimeoutError)


def test_papermill_finds_the_engine_by_name(tmp_path: Path) -> None:
    engine_class()
    nb = _notebook(tmp_path / "pm.ipynb", "county.upper()")
    done = papermill.execute_notebook(
        str(nb),
        str(tmp_path / "pm-out.ipynb"),
        parameters={"county": "wenxi"},
        engine_name=ENGINE_NAME,
        progress_bar=False,
    )
    assert done.cells[-1].outputs[0]["data"]["text/plain"] == "'WENXI'"
    saved = nbformat.read(tmp_path / "pm-out.ipynb", as_version=4)
    assert saved.metadata.papermill["parameters"] == {"county": "wenxi"}
    assert all(c.metadata.papermill["status"] == "completed" for c in saved.cells)


def test_importing_papermill_does_not_import_tcmcounty() -> None:
    """No ``papermill.engine`` entry point: papermill users do not pay for loading this library."""
    import subprocess
    import sys

    code = "import sys, papermill; print('tcmcounty' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_system_exit_in_a_cell_is_an_error_output_not_an_exit() -> None:
    outputs, error = run_cell("raise SystemExit(3)", {}, index=0, execution_count=1)
    assert isinstance(error, SystemExit) and outputs[-1]["ename"] == "SystemExit"


def test_a_warning_shows_in_every_notebook_as_in_a_fresh_kernel(tmp_path: Path) -> None:
    nb = _notebook(
        tmp_path / "warn.ipynb",
        "import warnings\n"
        "def check():\n"
        "    warnings.warn('village 12 has no population', UserWarning)\n"
        "check()",
    )
    for _ in range(2):
        done, _ = _run(tmp_path, nb)
        (out,) = done.cells[-1].outputs
        assert out["name"] == "stderr" and "village 12 has no population" in out["text"]


def test_a_changed_road_file_changes_the_jobs_inputs_hash(tmp_path: Path) -> None:
    """So a batch renders a county again when its road layer changes under the same path."""
    from tcmcounty.resources import bundled_counties
    from tcmcounty.run.report import county_parameters, job_inputs_hash

    county = str(next(p for p in bundled_counties() if p.name == "140823-wenxi"))
    roads = tmp_path / "roads.geojson"
    roads.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    plain = job_inputs_hash([county])
    walk = county_parameters(roads=str(roads), mode="walk")
    with_roads = job_inputs_hash([county], walk)
    assert job_inputs_hash([county], county_parameters(population="resident")) == plain
    assert with_roads != plain
    roads.write_text('{"type": "FeatureCollection", "features": [] }', encoding="utf-8")
    assert job_inputs_hash([county], walk) != with_roads
    assert job_inputs_hash([county], county_parameters(roads=str(roads), mode="motor")) != (
        job_inputs_hash([county], walk)
    )


def test_results_handed_over_are_the_ones_the_notebook_loads() -> None:
    """In process, the notebook's load_results gets the worker's object; other parameters do not."""
    from tcmcounty.reporting import results as R

    res = R.compute_results("wenxi", thresholds_km=[2.0, 5.0])
    with R.handed_over([("wenxi", res)]):
        assert R.load_results("wenxi", thresholds_km=[2.0, 5.0]) is res
        other = R.load_results("wenxi", thresholds_km=[2.0, 5.0], population="registered")
        assert other is not res and other.population == "registered"
    assert R.load_results("wenxi", thresholds_km=[2.0, 5.0]) is not res  # forgotten after
