"""County totals derived from the facility roster (``tcmcounty.inputs.totals``).

A county that sends only its facility roster gets beds, physicians, nurses and TCM physicians
per 1,000 residents from the roster's sums, marked *derived from roster / 由机构名册汇总* in
every output; a roster that too few facilities fill in is not summed (a warning says why); a
county total that the roster contradicts by more than 5% is a warning naming both numbers.

The expected numbers are computed here from the CSV files with pandas, not with the package.
"""

from __future__ import annotations

import re
import shutil
import tomllib
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import ANYUE, WENXI, write_bundle

import tcmcounty
from tcmcounty.county import status_label
from tcmcounty.indicators import compute

#: Indicator -> (facility column, per) of the four totals the roster gives.
PER_1000 = {
    "T-BED": "beds",
    "T-DOC": "physicians",
    "T-RN": "nurses",
    "T-TCMDOC-1000": "tcm_physicians",
}
KEYS = tuple(PER_1000.values())

bundled = pytest.mark.skipif(
    not (ANYUE / "county.toml").is_file() or not (WENXI / "county.toml").is_file(),
    reason="bundled counties not built yet",
)


def _strip_totals(toml_text: str, keys: tuple[str, ...]) -> str:
    """Remove ``[resources.<key>]`` and ``[resources.<key>.estimate]`` (figure and estimate)."""
    out, skipping = [], False
    for line in toml_text.splitlines(keepends=True):
        m = re.match(r"\s*\[([^\]]+)\]", line)
        if m:
            parts = m.group(1).strip().split(".")
            skipping = len(parts) >= 2 and parts[0] == "resources" and parts[1] in keys
        if not skipping:
            out.append(line)
    return "".join(out)


def _copy_without_totals(src: Path, dest: Path, keys: tuple[str, ...] = KEYS) -> Path:
    shutil.copytree(src, dest)
    toml = dest / "county.toml"
    toml.write_text(_strip_totals(toml.read_text(encoding="utf-8"), keys), encoding="utf-8")
    return dest


def _population(bundle: Path) -> int:
    meta = tomllib.loads((bundle / "county.toml").read_text(encoding="utf-8"))
    return int(meta["population"]["resident"]["value"])


def _facilities(bundle: Path) -> pd.DataFrame:
    return pd.read_csv(bundle / "facilities.csv", dtype={"township_code": str, "village_code": str})


def _set_figure(bundle: Path, key: str, value: int, source: str) -> None:
    toml = bundle / "county.toml"
    text = _strip_totals(toml.read_text(encoding="utf-8"), (key,))
    text += (
        f'\n[resources.{key}]\nvalue = {value}\nyear = 2023\nsource = "{source}"\n'
        'status = "official"\n'
    )
    toml.write_text(text, encoding="utf-8")


def _load(bundle: Path) -> tcmcounty.County:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tcmcounty.load_county(bundle, warn=False)


@pytest.fixture(scope="module", params=[WENXI, ANYUE], ids=["wenxi", "anyue"])
def no_totals(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundled county whose county.toml gives none of the four totals (nor estimates)."""
    if not (request.param / "county.toml").is_file():
        pytest.skip("bundled counties not built yet")
    return _copy_without_totals(request.param, tmp_path_factory.mktemp("roster") / "c")


# --------------------------------------------------------------------------- derived


def test_totals_removed_are_the_roster_sums(no_totals: Path) -> None:
    fac, pop = _facilities(no_totals), _population(no_totals)
    county = _load(no_totals)
    df = compute(county).set_index("id")
    for ind, col in PER_1000.items():
        total = fac[col].sum()  # every row reports it in the bundled rosters
        assert fac[col].notna().all()
        r = df.loc[ind]
        assert r["numerator"] == total and r["denominator"] == pop, ind
        assert r["value"] == pytest.approx(total / pop * 1000, rel=1e-12), ind
        assert r["input_derived"] == "roster", ind
        assert r["input_status"] == "synthetic", ind  # the weakest status of the rows summed
        assert "derived from roster" in r["note"], ind
        assert f"{len(fac)} of {len(fac)} facilities report it" in r["note"], ind
        entry = county.resources[col]
        assert entry.official is None and entry.estimate is None
        assert entry.derived is not None and entry.derived.derived == "roster"
        assert entry.derived.value == total and entry.derived.status == "synthetic"
        assert entry.derived.year == county.reference_year
    dnr = df.loc["T-DNR"]
    assert dnr["value"] == pytest.approx(fac["nurses"].sum() / fac["physicians"].sum())
    assert dnr["input_derived"] == "roster"
    # a sum of the county's rows is not an estimate: it stays when estimates are switched off
    off = compute(county, allow_estimates=False).set_index("id")
    assert off.loc["T-DOC", "value"] == df.loc["T-DOC", "value"]
    # indicators that use no roster total carry no marker
    assert pd.isna(df.loc["T-ZYG-PAV", "input_derived"])


def test_validate_notes_each_derived_total(no_totals: Path) -> None:
    report = tcmcounty.validate(no_totals)
    assert report.ok
    derived = {p.column for p in report.notes if "derived from roster" in p.message_en}
    assert derived == {f"resources.{k}" for k in KEYS}
    assert all("由机构名册汇总" in p.message_zh for p in report.notes if p.column in derived)
    assert not [p for p in report.warnings if "roster" in p.message_en]


def test_workbook_export_does_not_make_the_sum_a_county_figure(
    no_totals: Path, tmp_path: Path
) -> None:
    """Exported and read back, the total is derived again, never a figure of the county sheet."""
    from tcmcounty.inputs.workbook import write_workbook

    county = _load(no_totals)
    path = write_workbook(tmp_path / "county.xlsx", county)
    again = _load(path)
    fac = _facilities(no_totals)
    for col in KEYS:
        entry = again.resources[col]
        assert entry.official is None and entry.estimate is None, col
        assert entry.derived is not None and entry.derived.value == fac[col].sum(), col


def test_estimate_is_kept_and_a_complete_roster_only_noted(tiny_bundle: Path) -> None:
    """An estimate the county gives wins over the roster; a note gives the roster's sum."""
    county = _load(tiny_bundle)
    phys = county.resources["physicians"]
    assert phys.estimate is not None and phys.derived is None
    assert county.figure("physicians").value == 34  # the estimate
    fac = _facilities(tiny_bundle)
    (note,) = [
        p
        for p in tcmcounty.validate(tiny_bundle).notes
        if p.column == "resources.physicians.estimate"
    ]
    assert f"roster sums to {fac['physicians'].sum()}" in note.message_en


# --------------------------------------------------------------------------- not derived


def test_30_percent_blank_is_not_derived_and_warned(tmp_path: Path) -> None:
    if not (WENXI / "county.toml").is_file():
        pytest.skip("bundled counties not built yet")
    bundle = _copy_without_totals(WENXI, tmp_path / "c")
    fac = _facilities(bundle)
    primary = ~fac["type"].str.startswith(("county_", "maternal"))
    blank = fac.index[primary][: round(0.3 * len(fac))]  # 30% of the rows, no hospital among them
    fac.loc[blank, "nurses"] = pd.NA
    fac.to_csv(bundle / "facilities.csv", index=False)
    n, m = int(fac["nurses"].notna().sum()), len(fac)
    assert n / m == pytest.approx(0.7, abs=0.01)

    report = tcmcounty.validate(bundle)
    assert report.ok
    (w,) = [p for p in report.warnings if p.column == "resources.nurses"]
    assert f"only {n} of {m} facilities report it" in w.message_en
    assert "not derived from the roster" in w.message_en
    partial = int(fac["nurses"].sum())
    assert f"sum to {partial:,}, a partial sum" in w.message_en
    assert "不能由机构名册汇总" in w.message_zh and f"{m} 个机构中 {n} 个填报" in w.message_zh
    with pytest.warns(UserWarning, match="not derived from the roster"):
        county = tcmcounty.load_county(bundle)
    assert county.resources["nurses"].derived is None and county.figure("nurses") is None
    df = compute(county).set_index("id")
    rn = df.loc["T-RN"]
    assert pd.isna(rn["value"]) and pd.isna(rn["numerator"]) and rn["value_text"] == "—"
    assert "not reported" in rn["reason"] and f"only {n} of {m}" in rn["reason"]
    assert pd.isna(rn["input_derived"])
    # the other totals are complete and still derived
    assert df.loc["T-BED", "input_derived"] == "roster"


def test_a_county_hospital_left_blank_stops_the_sum(tmp_path: Path) -> None:
    if not (WENXI / "county.toml").is_file():
        pytest.skip("bundled counties not built yet")
    bundle = _copy_without_totals(WENXI, tmp_path / "c")
    fac = _facilities(bundle)
    hospital = fac.index[fac["type"] == "county_general_hospital"]
    fac.loc[hospital, "beds"] = pd.NA  # 1 of 217 facilities: 99.5% report it, but not this one
    fac.to_csv(bundle / "facilities.csv", index=False)
    report = tcmcounty.validate(bundle)
    (w,) = [p for p in report.warnings if p.column == "resources.beds"]
    name = str(fac.loc[hospital[0], "name"])
    assert f"county-level hospitals leave it blank: {name}" in w.message_en
    assert name in w.message_zh
    county = _load(bundle)
    assert county.resources["beds"].derived is None
    assert pd.isna(compute(county).set_index("id").loc["T-BED", "value"])


def test_total_only_in_the_skipped_total_row_is_not_derived(tmp_path: Path) -> None:
    """A workbook roster whose nurses are only in its 合计 row: not derived, and said why."""
    from openpyxl import load_workbook

    from tcmcounty.inputs.workbook import write_workbook
    from tcmcounty.schema import TABLES

    county = _load(write_bundle(tmp_path / "b"))
    path = write_workbook(tmp_path / "roster.xlsx", county)
    wb = load_workbook(path)
    ws = wb[TABLES["facilities"].sheet]
    header = [c.value for c in ws[1]]
    col = header.index("注册护士数") + 1
    total = 0
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, 1).value is not None:
            total += int(ws.cell(r, col).value or 0)
            ws.cell(r, col).value = None
    last = ws.max_row + 1
    ws.cell(last, 1).value = "合计"
    ws.cell(last, col).value = total
    wb.save(path)
    report = tcmcounty.validate(path)
    (w,) = [p for p in report.warnings if p.column and p.column.endswith("nurses")]
    assert "0 of 7 facilities report it" in w.message_en and "合计 row is not read" in w.message_en
    assert "合计行不读取" in w.message_zh
    assert report.county is not None and report.county.figure("nurses") is None


# --------------------------------------------------------------------------- compared


def test_given_total_10_percent_off_warns_with_both_numbers(tmp_path: Path) -> None:
    if not (WENXI / "county.toml").is_file():
        pytest.skip("bundled counties not built yet")
    bundle = _copy_without_totals(WENXI, tmp_path / "c")
    roster = int(_facilities(bundle)["physicians"].sum())
    given = round(roster * 1.1)
    _set_figure(bundle, "physicians", given, "census2020")
    diff = (roster - given) / given
    pct = f"{'−' if diff < 0 else '+'}{abs(diff) * 100:.1f}%"
    report = tcmcounty.validate(bundle)
    assert report.ok
    (w,) = [p for p in report.warnings if p.column == "resources.physicians"]
    assert (
        f"county sheet says physicians {given:,}; the roster sums to {roster:,} ({pct})"
        in w.message_en
    )
    assert f"{given:,}" in w.message_zh and f"{roster:,}" in w.message_zh and pct in w.message_zh
    assert "县基本情况" in w.message_zh and "机构名册合计" in w.message_zh
    # the county's own figure is used, never mixed with the roster's
    county = _load(bundle)
    doc = compute(county).set_index("id").loc["T-DOC"]
    assert doc["numerator"] == given and pd.isna(doc["input_derived"])
    assert doc["input_status"] == "official"


def test_given_total_within_5_percent_is_quiet(tmp_path: Path) -> None:
    if not (WENXI / "county.toml").is_file():
        pytest.skip("bundled counties not built yet")
    bundle = _copy_without_totals(WENXI, tmp_path / "c")
    roster = int(_facilities(bundle)["beds"].sum())
    _set_figure(bundle, "beds", round(roster * 1.04), "census2020")
    report = tcmcounty.validate(bundle)
    assert not [p for p in report.warnings if p.column == "resources.beds"]


# --------------------------------------------------------------------------- shown


def test_indicator_table_and_summary_agree_on_the_marker(tiny_bundle: Path, tmp_path: Path) -> None:
    """The indicator table, the report, the readiness table and summary.xlsx print one label."""
    from openpyxl import load_workbook

    from tcmcounty.cli.indicators import _county_table
    from tcmcounty.reporting.county_view import CountyView
    from tcmcounty.reporting.parameters import ReportParameters
    from tcmcounty.reporting.results import compute_results
    from tcmcounty.run.index import write_summary_xlsx

    res = compute_results(tiny_bundle)  # nurses and TCM physicians: the roster's sums
    ind = res.indicators.set_index("id")
    derived = sorted(ind.index[ind["input_derived"].eq("roster").fillna(False).astype(bool)])
    assert {"T-RN", "T-TCMDOC-1000", "T-DNR"} <= set(derived)
    want = {i: status_label(r["input_status"], r["input_derived"]) for i, r in ind.iterrows()}
    assert want["T-RN"] == "官方，由机构名册汇总 / official, derived from roster"
    assert want["T-DNR"] == "估算，由机构名册汇总 / estimated, derived from roster"
    assert want["T-BED"] == "官方 official"

    record = {
        "kind": "county_report",
        "name": "410101-test",
        "status": "ok",
        "counties": [{"adcode": "410101", "name_zh": "测试县", "name_en": "Test County"}],
        "headline": res.headline(),
        "indicators": res.indicator_records(),
    }
    ws = load_workbook(write_summary_xlsx(tmp_path, [record]))["汇总 summary"]
    header = [c.value for c in ws[1]]
    row = dict(zip(header, (c.value for c in ws[2]), strict=True))
    for iid, label in want.items():
        assert row[f"{iid} 数据 data status"] == label, iid

    table = _county_table(res.indicators).set_index("ID")["状态 status"]
    assert table.to_dict() == want

    params = ReportParameters.from_raw(county=str(tiny_bundle), report_date="2024-07-15")
    page = CountyView(params, results=res).indicators()
    rn_row = re.search(r"<tr[^>]*><td>T-RN</td>.*?</tr>", str(page))
    assert rn_row and "<td>官方，由机构名册汇总 / official, derived from roster</td>" in rn_row[0]
    zh = ReportParameters.from_raw(county=str(tiny_bundle), report_date="2024-07-15", language="zh")
    assert "<td>官方，由机构名册汇总</td>" in str(CountyView(zh, results=res).indicators())

    from tcmcounty.reporting.readiness import county_readiness

    frame = county_readiness(res.county, "2024-07-15").target_frame().set_index("id")
    for iid in frame.index:
        assert frame.loc[iid, "status_shown"] == want[iid], iid
