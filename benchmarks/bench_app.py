"""Workbench speed in a real browser: page ready after ``tcmcounty app``, then interactions.

Prints one table (not a timed test). Measured in headless chromium through chromedriver, from
the action (launch, click, slider key) to the updated figure on the page:

* page shown: ``tcmcounty app`` launched -> page's widgets on screen;
* 安岳 ready: ... -> 安岳's figures shown (the county is read after the page is sent);
* per county (安岳 553 villages; a 2,000-village synthetic county uploaded as a workbook):
  target share +1 point (slider key) -> new number of recommended sites; a facility's 中医阁
  set -> the what-if table redrawn; the map's distance level changed -> redrawn.

    .venv/bin/python benchmarks/bench_app.py [--runs 2]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def _driver(tmp: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    o = webdriver.ChromeOptions()
    o.binary_location = shutil.which("chromium")
    for a in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / 'chromium'}",
        "--window-size=1400,1100",
    ):
        o.add_argument(a)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=o)


def _seconds(d) -> str:
    from selenium.webdriver.common.by import By

    return d.find_element(By.CSS_SELECTOR, ".tcm-app-timing").text


def _until_changed(d, css: str, before: str, timeout: float = 60.0) -> float:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            now = d.find_element(By.CSS_SELECTOR, css).text
        except StaleElementReferenceException:
            continue
        if now and now != before:
            return time.perf_counter() - t0
        time.sleep(0.02)
    raise TimeoutError(css)


def interactions(d) -> dict[str, float]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    out = {}
    figures = ".tcm-app-figures"
    handle = d.find_element(By.CSS_SELECTOR, ".tcm-app-share .noUi-handle")
    handle.click()
    before = d.find_element(By.CSS_SELECTOR, figures).text
    handle.send_keys(Keys.ARROW_RIGHT)
    out["share slider -> sites"] = _until_changed(d, figures, before)
    fac = Select(d.find_element(By.CSS_SELECTOR, ".tcm-app-facility select"))
    clinic = next(o for o in fac.options if "卫生室" in o.text)
    fac.select_by_value(clinic.get_attribute("value"))
    time.sleep(0.5)
    box = d.find_element(By.CSS_SELECTOR, ".tcm-app-flag-has_tcm_pavilion input")
    box.click()
    before = d.find_element(By.CSS_SELECTOR, figures).text
    d.find_element(By.CSS_SELECTOR, "button.tcm-app-setflag").click()
    out["中医阁 toggled -> figures"] = _until_changed(d, figures, before)
    before = _seconds(d)
    level = Select(d.find_element(By.CSS_SELECTOR, ".tcm-app-level select"))
    now = [o.is_selected() for o in level.options].index(True)
    level.select_by_index((now + 1) % len(level.options))
    out["map level -> redrawn"] = _until_changed(d, ".tcm-app-timing", before)
    return out


def run(synthetic: Path) -> dict[str, float]:
    from selenium.webdriver.common.by import By
    from test_app import _wait  # the test's own waiting

    from tcmcounty.cli.app import free_port

    tmp = Path(tempfile.mkdtemp())
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    d = _driver(tmp)
    res: dict[str, float] = {}
    log = (tmp / "app.log").open("wb")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tcmcounty.cli", "app", "--port", str(port)], stdout=log, stderr=log
    )
    try:
        while url not in (tmp / "app.log").read_text(errors="replace"):
            time.sleep(0.02)
        d.get(url)
        _wait(d, ".tcm-app-status")
        res["page shown"] = time.perf_counter() - t0
        _wait(d, ".tcm-app-figures", "推荐新建中医阁")
        res["安岳 ready"] = time.perf_counter() - t0
        res.update({f"安岳: {k}": v for k, v in interactions(d).items()})
        d.execute_script(
            "const c = HTMLInputElement.prototype.click;"
            "HTMLInputElement.prototype.click = function () {"
            "  if (this.type !== 'file') return c.call(this);"
            "  this.id = 'tcm-test-file'; document.body.appendChild(this); };"
        )
        t1 = time.perf_counter()
        d.find_element(By.CSS_SELECTOR, ".tcm-app-upload").click()
        d.find_element(By.ID, "tcm-test-file").send_keys(str(synthetic))
        _wait(d, ".tcm-app-status", "2000 个村", timeout=120)
        _wait(d, ".tcm-app-figures", "推荐新建中医阁")
        res["2,000 villages: upload -> ready"] = time.perf_counter() - t1
        res.update({f"2,000 villages: {k}": v for k, v in interactions(d).items()})
    finally:
        d.quit()
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def synthetic_workbook(folder: Path) -> Path:
    """Write a 2,000-village synthetic county (安岳's outline) as a workbook to upload."""
    exe = [sys.executable, "-m", "tcmcounty.cli"]
    subprocess.run(
        [*exe, "synth", "512021", "--out", str(folder), "--villages", "2000"],
        check=True,
        capture_output=True,
    )
    out = folder / "synthetic-2000.xlsx"
    subprocess.run(
        [*exe, "export", str(folder / "512021-synthetic"), str(out)],
        check=True,
        capture_output=True,
    )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=2)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp())
    book = synthetic_workbook(work)
    runs = [run(book) for _ in range(args.runs)]
    print(f"{'step':<44}" + "".join(f"{f'run {i + 1} (s)':>12}" for i in range(len(runs))))
    for k in runs[0]:
        print(f"{k:<44}" + "".join(f"{r.get(k, float('nan')):>12.2f}" for r in runs))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
