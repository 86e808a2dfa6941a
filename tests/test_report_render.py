"""End-to-end: execute the report template for a small county and check the HTML."""

from __future__ import annotations

import ast
import html as htmllib
import json
import uuid
from pathlib import Path

import nbformat
import pytest
from test_report_support import complete_outputs, has_class, images, make_tiny_bundle, no_temp_files

from tcmcounty.run import report as R

pytestmark = pytest.mark.slow


def test_render_small_county_end_to_end(tmp_path: Path) -> None:
    bundle = make_tiny_bundle(tmp_path / "in", "999001-tiny", name_zh="小测县")
    out = tmp_path / "reports"
    rec = R.render_report(bundle, out, report_date="2023-11-01", timeout=300)
    html = (out / "999001-tiny.html").read_text(encoding="utf-8")
    assert rec.status == "ok"
    assert "小测县" in html  # the county's Chinese name
    assert (
        has_class(html, "tcm-table") and "T-BED" in html and "T-ZYG-PAV" in html
    )  # indicator table
    maps = [
        alt
        for alt, src in images(html)
        if alt.startswith("Map of") and src.startswith("data:image/png;base64,")
    ]
    assert len(maps) >= 1  # at least one map image
    assert has_class(html, "tcm-banner-estimated")  # estimated / synthetic data banner
    assert "Traceback" not in html
    assert (
        'data-mime-type="application/vnd.jupyter.stderr"' not in html
    )  # no warnings printed by the kernel
    assert "<script" not in html  # self-contained, no external scripts
    assert "county = " not in html  # code hidden
    assert len(html.encode()) < R.MAX_HTML_BYTES
    assert "@font-face" in html  # Chinese renders without system fonts
    # the record next to it
    saved = json.loads((out / "999001-tiny.json").read_text(encoding="utf-8"))
    for key in ("inputs_hash", "template_hash", "package_version", "package_build", "params_hash"):
        assert len(str(saved[key])) >= 5, key
    assert {"kernel_start", "execute", "convert", "results", "total"} <= set(saved["durations"])
    assert saved["counties"][0]["name_zh"] == "小测县"
    # the executed notebook is saved; index and summary are written
    nb = nbformat.read(out / "999001-tiny.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert (out / "index.html").is_file() and (out / "summary.xlsx").is_file()
    assert not no_temp_files(out) and not complete_outputs(out)
    # show_code keeps the code
    spec = R.make_spec(
        [bundle],
        parameters=R.county_parameters(report_date="2023-11-01"),
        show_code=True,
        cache_dir=out / ".cache",
    )
    # deterministic: a second render from scratch gives the same page apart from the timestamp
    R.render_report(bundle, tmp_path / "again", report_date="2023-11-01", timeout=300)
    again = (tmp_path / "again" / "999001-tiny.html").read_text(encoding="utf-8")
    assert R.strip_timestamp(again) == R.strip_timestamp(html)
    assert not has_class(html, "jp-InputArea-editor")
    assert has_class(R.notebook_to_html(nb, show_code=True), "jp-InputArea-editor")
    assert spec.show_code


def test_injected_county_name_is_rendered_as_text(tmp_path: Path) -> None:
    sentinel = Path("/tmp") / f"pwned-{uuid.uuid4().hex}"
    payload = f"\"; import os; os.system('touch {sentinel}') #"
    folder = "999003-inj\"; import os; os.system('touch pwned') #"
    bundle = make_tiny_bundle(
        tmp_path / "in", folder, name_zh=payload + "县", name_en="<script>alert(1)</script>"
    )
    out = tmp_path / "reports"
    rec = R.render_report(bundle, out, report_date="2023-11-01", timeout=300)
    assert not sentinel.exists()
    assert not (out / "pwned").exists() and not (tmp_path / "pwned").exists()
    name = rec.name
    assert "/" not in name and "'" not in name and '"' not in name
    html = (out / f"{name}.html").read_text(encoding="utf-8")
    assert "&quot;; import os; os.system(" in html  # shown, escaped, as text
    assert payload in htmllib.unescape(html)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the parameters reached the kernel as literals
    nb = nbformat.read(out / f"{name}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    values = {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(cell.source).body}  # type: ignore[attr-defined]
    assert values["county"] == str(bundle.resolve())
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in index


def test_explore_notebook_runs(tmp_path: Path) -> None:
    """The planner's starter notebook executes top to bottom on a small county."""
    import papermill

    bundle = make_tiny_bundle(tmp_path / "in")
    nb = papermill.execute_notebook(
        str(R.template_path("explore")),
        str(tmp_path / "explore.ipynb"),
        parameters={"county": str(bundle)},
        kernel_name=R.default_kernel(),
        progress_bar=False,
        cwd=str(tmp_path),
    )
    assert R.has_traceback(nb) is None
    assert any(o.get("data", {}).get("image/png") for c in nb.cells for o in c.get("outputs", []))
