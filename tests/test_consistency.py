"""One figure, every output: the headline figures agree across HTML, index.html, summary.xlsx, JSON and CLI.

One batch renders the two bundled counties and a copy of the tiny county whose alliance led by the
county TCM hospital covers only 10% of residents (西村, 1,000 of 10,000), while an alliance led by a
community health centre covers everyone else: "any alliance" is 100%, T-YLT is 10% and not met.

Each figure is first computed two ways (by hand from the bundle's CSV files, and through the library:
the indicator engine and :func:`tcmcounty.indicators.alliance.tcm_led_alliance_coverage`), then read
back from every output: the county HTML (headline card, alliance section, indicator table), the JSON
record, index.html, summary.xlsx and ``tcmcounty coverage --by alliance --format csv|json``.
"""

from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from conftest import ANYUE, WENXI, write_bundle
from first_screen_support import SCREEN, measure

import tcmcounty
from tcmcounty.cli import main
from tcmcounty.indicators import compute
from tcmcounty.indicators.alliance import tcm_led_alliance_coverage
from tcmcounty.run.index import ALLIANCE_HEADER
from tcmcounty.spatial.coverage import cumulative_coverage

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (ANYUE / "county.toml").is_file() or not (WENXI / "county.toml").is_file(),
        reason="bundled counties not built yet",
    ),
]

#: TCM-led A1 covers 西村 only (its clinic F7); A2, led by 城关社区卫生服务中心 F2, covers the rest.
TEN_PERCENT_ALLIANCES = (
    "id,name,kind,lead_facility_id,member_ids,status,source\n"
    "A1,测试县中医医院医共体,county_medical_community,F1,F1;F7,official,s1\n"
    "A2,城关社区医共体,county_medical_community,F2,F2;F3;F4;F5;F6,official,s1\n"
)
VILLAGE_LEVEL = ("village_clinic", "community_health_station")
TOWN_LEVEL = ("township_health_centre", "community_health_centre")


@dataclass(frozen=True)
class Rendered:
    out: Path
    bundles: dict[str, Path]  # output name -> bundle folder


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    from tcmcounty.run.batch import run_batch

    root = tmp_path_factory.mktemp("consistency")
    tiny = write_bundle(root / "in" / "410101-test", {"alliances.csv": TEN_PERCENT_ALLIANCES})
    result = run_batch([ANYUE, WENXI, tiny], root / "out", workers=2, progress=False)
    assert result.exit_code == 0, result.rows
    return Rendered(
        root / "out", {"512021-anyue": ANYUE, "140823-wenxi": WENXI, "410101-test": tiny}
    )


NAMES = ["512021-anyue", "140823-wenxi", "410101-test"]


# --------------------------------------------------------------------------- the figures, two ways


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def alliance_share_by_hand(bundle: Path) -> float:
    """T-YLT from the CSV files: TCM-led members, own clinic first, else the township centre."""
    fac = _rows(bundle / "facilities.csv")
    types = {f["id"]: f["type"] for f in fac}
    members: set[str] = set()
    for a in _rows(bundle / "alliances.csv"):
        if types.get(a["lead_facility_id"]) == "county_tcm_hospital":
            members |= set(a["member_ids"].split(";")) | {a["lead_facility_id"]}
    own = {f["village_code"] for f in fac if f["type"] in VILLAGE_LEVEL and f["village_code"]}
    own_member = {
        f["village_code"] for f in fac if f["type"] in VILLAGE_LEVEL and f["id"] in members
    }
    town_member = {
        f["township_code"] for f in fac if f["type"] in TOWN_LEVEL and f["id"] in members
    }
    covered = sum(
        int(v["population"])
        for v in _rows(bundle / "villages.csv")
        if v["code"] in own_member or (v["code"] not in own and v["township_code"] in town_member)
    )
    meta = tomllib.loads((bundle / "county.toml").read_text(encoding="utf-8"))
    return covered / float(meta["population"]["resident"]["value"])


def _county(bundle: Path) -> tcmcounty.County:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tcmcounty.load_county(bundle, warn=False)


def expected(bundle: Path) -> dict[str, object]:
    """Every headline figure, computed through the library and checked against a second way."""
    county = _county(bundle)
    ind = compute(county).set_index("id")
    al = tcm_led_alliance_coverage(county)
    ylt = ind.loc["T-YLT"]
    assert al.share == pytest.approx(alliance_share_by_hand(bundle), abs=1e-12)
    assert al.share == pytest.approx(float(ylt["value"]) / 100, abs=1e-12)
    assert al.met is bool(ylt["met"]) and al.met is (al.share >= 0.30)
    met = ind["met"]
    # targets with a number the data cannot judge (a target that states no number is never
    # judged, and counted apart: tcmcounty.reporting.readiness.target_counts)
    numeric = (ind["target_low"].notna() | ind["target_high"].notna()).to_numpy(dtype=bool)
    counts = {
        "n_met": int((met == True).sum()),  # noqa: E712
        "n_unmet": int((met == False).sum()),  # noqa: E712
        "n_no_verdict": int((met.isna().to_numpy(dtype=bool) & numeric).sum()),
    }
    cov = cumulative_coverage(county, thresholds=[5.0], level="any_tcm").table("county")
    return {
        **counts,
        "alliance_share": al.share,
        "alliance_met": al.met,
        "coverage_share": float(cov["covered_share_5km"].iloc[0]),
        "adcode": county.adcode,
    }


@pytest.fixture(scope="module")
def figures(rendered: Rendered) -> dict[str, dict[str, object]]:
    return {name: expected(b) for name, b in rendered.bundles.items()}


def pct(share: object) -> str:
    return f"{100 * float(share):.1f}%"  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the outputs


def read_json(rendered: Rendered, name: str) -> dict[str, object]:
    return json.loads((rendered.out / f"{name}.json").read_text(encoding="utf-8"))


def read_html(rendered: Rendered, name: str) -> str:
    return (rendered.out / f"{name}.html").read_text(encoding="utf-8")


def card(html: str, css: str) -> str:
    m = re.search(rf"""<div class=["']tcm-card{css}["'][^>]*><b>([^<]*)</b>""", html)
    assert m, css
    return htmllib.unescape(m.group(1))


def index_cells(rendered: Rendered, adcode: str) -> dict[str, str]:
    text = (rendered.out / "index.html").read_text(encoding="utf-8")
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", text, re.S)
    assert head
    headers = [htmllib.unescape(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", head.group(1), re.S)]
    row = re.search(rf"<tr class='st-ok'><td>{adcode}</td>(.*?)</tr>", text, re.S)
    assert row, adcode
    cells = [adcode, *re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
    texts = [htmllib.unescape(re.sub("<[^>]+>", "", c)) for c in cells]
    return dict(zip(headers, texts, strict=True))


def summary_row(rendered: Rendered, adcode: str) -> dict[str, object]:
    from openpyxl import load_workbook

    ws = load_workbook(rendered.out / "summary.xlsx", read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    for r in rows[1:]:
        if str(r[0]) == adcode:
            return dict(zip(rows[0], r, strict=True))
    raise AssertionError(f"{adcode} not in summary.xlsx")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, _ = capsys.readouterr()
    assert code == 0, argv
    return out


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("name", NAMES)
def test_headline_counts_agree_everywhere(
    rendered: Rendered, figures: dict[str, dict[str, object]], name: str
) -> None:
    fig = figures[name]
    rec = read_json(rendered, name)
    head = rec["headline"]
    html = read_html(rendered, name)
    idx = index_cells(rendered, str(fig["adcode"]))
    xl = summary_row(rendered, str(fig["adcode"]))
    got = {
        "json": (head["n_met"], head["n_unmet"], head["n_no_verdict"]),  # type: ignore[index]
        "html": tuple(int(card(html, c)) for c in (" met", " unmet", "")),
        "index": tuple(int(idx[h]) for h in ("达标 met", "未达标 not met", "无法判定 no verdict")),
        "summary": tuple(xl[h] for h in ("达标数 met", "未达标数 not met", "无法判定 no verdict")),
    }
    want = (fig["n_met"], fig["n_unmet"], fig["n_no_verdict"])
    assert all(v == want for v in got.values()), (want, got)
    verdicts = [i["met"] for i in rec["indicators"]]  # type: ignore[union-attr]
    assert want[:2] == (verdicts.count(True), verdicts.count(False))
    assert want[2] <= verdicts.count(None)


@pytest.mark.parametrize("name", NAMES)
def test_service_coverage_agrees_everywhere(
    rendered: Rendered,
    figures: dict[str, dict[str, object]],
    name: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fig = figures[name]
    head = read_json(rendered, name)["headline"]
    assert head["coverage_threshold_km"] == 5.0  # type: ignore[index]
    share = float(fig["coverage_share"])  # type: ignore[arg-type]
    assert head["coverage_share"] == pytest.approx(share, abs=1e-12)  # type: ignore[index]
    html = read_html(rendered, name)
    assert re.search(rf"<b>{re.escape(pct(share))}</b>居民 5 公里内", html)
    assert index_cells(rendered, str(fig["adcode"]))["中医药服务覆盖 coverage"] == pct(share)
    xl = summary_row(rendered, str(fig["adcode"]))
    assert xl["中医药服务覆盖 coverage"] == pytest.approx(share, abs=1e-12)
    out = cli(
        capsys,
        "coverage",
        str(rendered.bundles[name]),
        "--by",
        "county",
        "--level",
        "any_tcm",
        "--thresholds",
        "5",
        "--format",
        "json",
    )
    assert json.loads(out)[0]["covered_share_5km"] == pytest.approx(share, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_alliance_coverage_agrees_everywhere(
    rendered: Rendered,
    figures: dict[str, dict[str, object]],
    name: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fig = figures[name]
    share, met = float(fig["alliance_share"]), fig["alliance_met"]  # type: ignore[arg-type]
    verdict = "未达标" if met is False else "达标"
    # JSON record: the headline and the T-YLT indicator row
    rec = read_json(rendered, name)
    assert rec["headline"]["alliance_share"] == pytest.approx(share, abs=1e-12)  # type: ignore[index]
    ylt = next(i for i in rec["indicators"] if i["id"] == "T-YLT")  # type: ignore[union-attr]
    assert ylt["value"] == pytest.approx(100 * share, abs=1e-9) and ylt["met"] is met
    # county HTML: headline card, alliance section, indicator table
    html = read_html(rendered, name)
    assert card(html, """["'] data-tcm-headline=["']alliance_share""") == pct(share)
    m = re.search(r"""data-tcm-alliance-share=["']([^"']*)["']>(.*?)</p>""", html, re.S)
    assert m and float(m.group(1)) == pytest.approx(share, abs=1e-12)
    assert pct(share) in m.group(2) and verdict in m.group(2)
    row = re.search(r"<td>T-YLT</td>(.*?)</tr>", html, re.S)
    assert row and f"<td>{100 * share:.1f}</td>" in row.group(1) and verdict in row.group(1)
    # index.html and summary.xlsx
    idx = index_cells(rendered, str(fig["adcode"]))
    assert idx[ALLIANCE_HEADER] == pct(share)
    xl = summary_row(rendered, str(fig["adcode"]))
    assert xl[ALLIANCE_HEADER] == pytest.approx(share, abs=1e-12)
    assert xl["T-YLT 达标 met"] == ("是" if met else "否")
    # coverage --by alliance, CSV and JSON: only the T-YLT total is judged
    bundle = str(rendered.bundles[name])
    as_json = json.loads(cli(capsys, "coverage", bundle, "--by", "alliance", "--format", "json"))
    as_csv = pd.read_csv(
        io.StringIO(cli(capsys, "coverage", bundle, "--by", "alliance", "--format", "csv"))
    )
    by_id = {r["id"]: r for r in as_json}
    assert by_id["tcm_led"]["covered_share"] == pytest.approx(share, abs=1e-9)  # 10 digits
    assert by_id["tcm_led"]["meets_target"] is met
    assert [r["meets_target"] for r in as_json if r["id"] != "tcm_led"] == [None] * (
        len(as_json) - 1
    )
    assert "any alliance" in by_id["any"]["name"] and "not the T-YLT figure" in by_id["any"]["name"]
    total = as_csv.set_index("id").loc["tcm_led"]
    assert float(total["covered_share"]) == pytest.approx(share, abs=1e-9)
    assert str(total["meets_target"]) == str(met)


def test_ten_percent_alliance_is_not_met_anywhere(
    rendered: Rendered, figures: dict[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    """The case of the issue: any alliance covers everyone, the TCM-led one 10%; T-YLT not met."""
    fig = figures["410101-test"]
    assert fig["alliance_share"] == pytest.approx(0.10) and fig["alliance_met"] is False
    html = read_html(rendered, "410101-test")
    assert "100.0%" not in re.search(r"data-tcm-headline=.*?</div>", html, re.S).group(0)  # type: ignore[union-attr]
    rows = json.loads(
        cli(
            capsys,
            "coverage",
            str(rendered.bundles["410101-test"]),
            "--by",
            "alliance",
            "--format",
            "json",
        )
    )
    by_id = {r["id"]: r for r in rows}
    assert by_id["A2"]["covered_share"] == pytest.approx(0.9) and by_id["A2"]["tcm_led"] is False
    assert by_id["A2"]["meets_target"] is None  # listed, never judged
    assert by_id["any"]["covered_share"] == pytest.approx(1.0)
    assert by_id["any"]["meets_target"] is None
    assert by_id["tcm_led"]["meets_target"] is False
    assert summary_row(rendered, "410101")["T-YLT 达标 met"] == "否"


# --------------------------------------------------------------------------- the first screen

#: Each card of the report's first screen (``data-tcm-ready``, its English name) and the
#: same-named figure elsewhere: summary.xlsx's column and ``tcmcounty readiness``'s JSON field.
FIRST_SCREEN = {
    "targets met": ("达标数 met", "met"),
    "not met": ("未达标数 not met", "not_met"),
    "no verdict (data missing or incomplete)": ("无法判定 no verdict", "no_data"),
    "tasks overdue": ("过期未完成任务 tasks overdue", "overdue"),
    "tasks not reported": ("未报告任务 tasks not reported", "not_reported"),
}


def first_screen(html: str) -> dict[str, str]:
    """The readiness cards of a report: English name -> the figure in bold."""
    cards = re.findall(r"data-tcm-ready=['\"]([^'\"]+)['\"]><b>(.*?)</b>", html)
    return {htmllib.unescape(k): htmllib.unescape(re.sub("<[^>]+>", "", v)) for k, v in cards}


@pytest.mark.parametrize("name", ["512021-anyue", "140823-wenxi"])
def test_first_screen_counts_agree_everywhere(
    rendered: Rendered, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each count on the first screen equals the same-named count in summary, index and CLI."""
    shown = first_screen(read_html(rendered, name))
    assert set(FIRST_SCREEN) <= set(shown), shown
    adcode = name.split("-")[0]
    xl = summary_row(rendered, adcode)
    idx = index_cells(rendered, adcode)
    got = json.loads(cli(capsys, "readiness", str(rendered.bundles[name]), "--format", "json"))
    verdicts = [t["verdict"] for t in got["targets"]]
    from_cli = {
        "met": verdicts.count("met"),
        "not_met": verdicts.count("not_met"),
        "no_data": verdicts.count("no_data"),
        "overdue": got["tasks_overdue"],
        "not_reported": got["tasks"]["not_reported"],
    }
    for label, (column, field) in FIRST_SCREEN.items():
        figure = int(shown[label].split("/")[0])
        assert xl[column] == figure, (label, column, xl[column], figure)
        assert from_cli[field] == figure, (label, field, from_cli[field], figure)
    # the index shows the verdict counts in their columns and the rest in the readiness line
    for label, header in (
        ("targets met", "达标 met"),
        ("not met", "未达标 not met"),
        ("no verdict (data missing or incomplete)", "无法判定 no verdict"),
    ):
        assert int(idx[header]) == int(shown[label].split("/")[0]), (label, idx[header])
    assert got["summary"] in idx["迎检准备 readiness"]
    assert shown["for the review"].startswith("已就绪" if got["ready"] else "未就绪")
    assert xl["就绪 ready"] == ("是" if got["ready"] else "否")


@pytest.mark.parametrize("name", ["512021-anyue", "140823-wenxi"])
def test_first_screen_shows_verdict_gaps_and_worklist_link(
    rendered: Rendered, name: str, tmp_path: Path
) -> None:
    """At 1366×768 the report shows the verdict, the three largest gaps and the worklist link."""
    got = measure(rendered.out / f"{name}.html", tmp_path)
    height = SCREEN[1]
    assert got["verdict"] is not None and got["verdict"] <= height, got
    assert str(got["verdict_text"]).startswith(("未就绪", "已就绪")), got
    gaps = got["gaps"]
    assert isinstance(gaps, list) and len(gaps) == 3, got
    assert all(b is not None and b <= height for b in gaps), got
    # each gap in words with its need: "还差 46 个卫生院/社区中心"
    for text in got["gap_texts"]:  # type: ignore[union-attr]
        assert re.search(r"还(差|需)[^，。]*\d", str(text)), text
        assert not re.search(r"\bT-[A-Z]", str(text)), text
    assert got["link"] is not None and got["link"] <= height, got
    assert got["link_target"] == "#worklist"
