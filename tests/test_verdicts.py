"""No verdict without the data for it (issue 22): a half-filled roster never reads 达标.

The county is the 会昌县 template (``tcmcounty template --county 360733``: 20 township-level
units, 277 villages from the NBS codes) filled as a planner in a hurry would: the county's
population and two totals, 1 of its 19 乡/镇 health centres and 2 village clinics of the same
town. Every share over those units could be anything from a few percent to 100%: no verdict,
said in words, the same in ``validate``, the indicator table and the readiness card.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import tcmcounty
from tcmcounty.cli import main
from tcmcounty.indicators import compute
from tcmcounty.indicators.targets import load_targets
from tcmcounty.inputs.structure import expected_structure
from tcmcounty.reporting.readiness import readiness
from tcmcounty.roster import Gap, Structure, gap_text, roster_gaps

HUICHANG = "360733"
SHARES = ("T-ZYG-HALL", "T-VC-TCM", "T-ZYG-PAV", "T-TCMDOC-PRI-FAC", "T-TCMDOC-PRI")


def _fill(path: Path, rows: list[dict[str, object]]) -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb["县基本情况"]
    given = {"基准年份": 2023, "常住人口": 465000, "执业（助理）医师数": 1100, "床位数": 2600}
    for row in ws.iter_rows(min_row=2):
        if row[0].value in given:
            row[1].value = given[row[0].value]
            row[2].value, row[3].value, row[4].value = 2023, "own", "官方"
    wb["数据来源"].append(["own", "会昌县卫生健康统计", "会昌县卫生健康委员会", 2023])
    f = wb["医疗机构"]
    header = [c.value for c in f[1]]
    for i, values in enumerate(rows, start=2):
        for k, v in {**values, "数据状态": "官方", "来源": "own"}.items():
            f.cell(i, header.index(k) + 1, v)
    wb.save(path)
    return path


CENTRE = {
    "机构编号": "F1",
    "机构名称": "文武坝镇卫生院",
    "机构类型": "乡镇卫生院",
    "乡镇代码": "360733100",
    "床位数": 40,
    "执业（助理）医师数": 20,
    "中医类别医师数": 6,
    "中医馆": "是",
    "提供中医药服务": "是",
}
CLINICS = [
    {
        "机构编号": f"F{i}",
        "机构名称": name,
        "机构类型": "村卫生室",
        "乡镇代码": "360733100",
        "中医阁": pav,
        "提供中医药服务": "是",
    }
    for i, (name, pav) in enumerate((("红旗卫生室", "否"), ("富东卫生室", "是")), start=2)
]


@pytest.fixture(scope="module")
def half(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("huichang") / "会昌县.xlsx"
    assert main(["template", "--county", HUICHANG, str(path)]) == 0
    return _fill(path, [CENTRE, *CLINICS])


@pytest.fixture(scope="module")
def table(half: Path) -> pd.DataFrame:
    return compute(tcmcounty.load_county(half, warn=False)).set_index("id")


def test_half_roster_gets_no_verdict_in_words(table: pd.DataFrame) -> None:
    for ind in SHARES:
        r = table.loc[ind]
        assert pd.isna(r["met"]) and pd.isna(r["need"]), ind
        assert r["no_verdict"].startswith("incomplete data: "), r["no_verdict"]
        assert "数据不全：" in r["no_verdict"] and "无法判断是否达标" in r["no_verdict"]
        assert r["reason"] == r["no_verdict"]
    hall = table.loc["T-ZYG-HALL"]
    assert hall["value"] == 100.0  # the one centre listed has a 中医馆: a fact about the rows
    assert "名册列出 1/19 个乡镇的卫生院" in hall["no_verdict"]
    # 1 of 19 centres with a hall if the 18 missing have none, 19 of 19 if they all have one
    assert "5.3 % 至 100.0 %" in hall["no_verdict"]
    pav = table.loc["T-ZYG-PAV"]
    assert "18/19 个有行政村的乡镇未列出任何村卫生室" in pav["no_verdict"]
    # county figures given on the county sheet stand: their verdicts are not the roster's
    assert table.loc["T-BED", "met"] is False or not bool(table.loc["T-BED", "met"])
    assert table.loc["T-BED", "no_verdict"] == ""


def test_validate_warns_with_the_same_words(
    half: Path, table: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(half)]) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if "数据不全" in ln]
    assert len(lines) == 1 and lines[0].startswith("WARNING") and "[医疗机构]" in lines[0]
    for sentence in (
        "名册列出 1/19 个乡镇的卫生院",
        "名册中 18/19 个有行政村的乡镇未列出任何村卫生室",
    ):
        assert sentence in lines[0]
        assert any(sentence in t for t in table["no_verdict"])
    assert "筠门岭镇" in lines[0]  # the empty townships are named


def test_readiness_counts_them_as_missing_data(half: Path, table: pd.DataFrame) -> None:
    county = tcmcounty.load_county(half, warn=False)
    card = readiness(county, table.reset_index(), dt.date(2026, 12, 7))
    verdicts = {t.id: t.verdict for t in card.targets}
    for ind in ("T-ZYG-HALL", "T-VC-TCM", "T-ZYG-PAV", "T-TCMDOC-PRI-FAC"):
        assert verdicts[ind] == "no_data", ind
    assert "met" not in {verdicts[i] for i in SHARES if i in verdicts}


def test_a_complete_roster_keeps_its_verdict(tmp_path: Path) -> None:
    """Every 乡/镇 with its centre and every township with villages with a clinic: verdicts stand."""
    path = tmp_path / "会昌县.xlsx"
    assert main(["template", "--county", HUICHANG, str(path)]) == 0
    c = tcmcounty.load_county(_fill(path, [CENTRE, *CLINICS]), warn=False)
    towns = c.structure.townships  # type: ignore[union-attr]
    rows = []
    villages = c.structure.villages  # type: ignore[union-attr]
    for i, t in enumerate(towns.itertuples()):
        if t.type in ("乡", "镇"):
            rows.append(
                {**CENTRE, "机构编号": f"C{i}", "机构名称": f"{t.name}卫生院", "乡镇代码": t.code}
            )
        if (villages["township_code"] == t.code).any():
            for j, pav in enumerate(("是", "否")):
                rows.append({**CLINICS[0], "机构编号": f"V{i}-{j}", "机构名称": f"{t.name}{j}卫生室",
                             "乡镇代码": t.code, "中医阁": pav})  # fmt: skip
    path2 = tmp_path / "full.xlsx"
    assert main(["template", "--county", HUICHANG, str(path2)]) == 0
    df = compute(tcmcounty.load_county(_fill(path2, rows), warn=False)).set_index("id")
    assert df.loc["T-ZYG-HALL", "met"] and df.loc["T-ZYG-HALL", "no_verdict"] == ""
    assert df.loc["T-ZYG-PAV", "value"] == 50.0 and df.loc["T-ZYG-PAV", "met"]


def test_a_verdict_the_missing_cannot_change_stands_with_a_note(half: Path) -> None:
    """One centre listed without a 中医馆: 18 missing cannot bring 100% — not met, robustly."""
    wb = openpyxl.load_workbook(half)
    f = wb["医疗机构"]
    header = [c.value for c in f[1]]
    f.cell(2, header.index("中医馆") + 1, "否")
    path = half.with_name("no-hall.xlsx")
    wb.save(path)
    r = compute(tcmcounty.load_county(path, warn=False)).set_index("id").loc["T-ZYG-HALL"]
    assert r["met"] is False or not bool(r["met"])
    assert pd.notna(r["met"]) and r["no_verdict"] == ""
    assert "判定不变" in r["note"] and "1/19" in r["note"]


def test_roster_gaps_rule() -> None:
    towns = pd.DataFrame(
        {
            "code": ["1", "2", "3", "4"],
            "name": ["甲镇", "乙乡", "丙街道", "丁林场"],
            "type": ["镇", "乡", "街道", "其他"],
        }
    )
    villages = pd.DataFrame(
        {
            "township_code": ["1", "1", "2", "3", "4", "4"],
            "kind": ["村", "社区", "村", "村", "村", "村"],
        }
    )
    fac = pd.DataFrame(
        {"type": ["township_health_centre", "village_clinic"], "township_code": ["1", "1"]}
    )
    gaps = roster_gaps(Structure(towns, villages), fac)
    # 乙乡 has no centre (a 街道 and a 林场 are not expected to have one)
    assert gaps["centres"] == Gap("centres", 2, 1, 1, 0, ("乙乡",))
    # 乙乡 and 丙街道 have a 村 and no clinic; 丁林场 (其他) expects none
    assert gaps["clinics"].missing == 2 and gaps["clinics"].empty == ("乙乡", "丙街道")
    # a clinic listed without a township could be either one of them
    fac2 = pd.concat([fac, pd.DataFrame({"type": ["village_clinic"], "township_code": [None]})])
    assert roster_gaps(Structure(towns, villages), fac2)["clinics"].missing == 1
    assert roster_gaps(Structure(towns, villages), fac, area="1")["centres"].complete
    assert gap_text(gaps.values())[1].startswith("数据不全：名册列出 1/2 个乡镇的卫生院；")
    assert roster_gaps(None, fac)["centres"].complete


def test_structure_falls_back_to_nbs_only_for_nbs_codes() -> None:
    nbs_coded = pd.DataFrame({"type": ["village_clinic"], "township_code": ["360733100"]})
    s = expected_structure(None, None, nbs_coded, HUICHANG)
    assert s is not None and s.source == "nbs" and len(s.townships) == 20
    own_codes = pd.DataFrame({"type": ["village_clinic"] * 3, "township_code": ["A1", "A2", "A3"]})
    assert expected_structure(None, None, own_codes, HUICHANG) is None


def test_share_targets_as_fractions(tmp_path: Path) -> None:
    frac = tmp_path / "frac.csv"
    frac.write_text("id,kind,value\nT-SAT,at_least,0.9\nT-ZYG-PAV,at_least,0.1\n", encoding="utf-8")
    ts = load_targets(frac)
    assert ts.lookup("T-SAT", "county").low == 90.0
    assert "target written 0.9 read as 90%" in ts.lookup("T-SAT", "county").reading
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("id,kind,value\nT-SAT,at_least,0.9\nT-ZYG-PAV,at_least,15\n", encoding="utf-8")
    with pytest.raises(tcmcounty.InputError, match=r"row 2: T-SAT.*looks like a fraction"):
        load_targets(mixed)
    over = tmp_path / "over.toml"
    over.write_text('[targets.T-SAT]\nkind = "at_least"\nvalue = 120\n', encoding="utf-8")
    with pytest.raises(tcmcounty.InputError, match="above 100%"):
        load_targets(over)


def test_docs_state_every_consistency_rule() -> None:
    """docs/indicators.md prints the one table of rules (tcmcounty.inputs.consistency.RULES)."""
    from tcmcounty.inputs.consistency import RULES

    docs = (Path(__file__).parents[1] / "docs" / "indicators.md").read_text(encoding="utf-8")
    table = docs.split("## Consistency rules", 1)[1].split("\n\n**", 1)[0]
    for r in RULES:
        if r.kind == "whole":
            continue
        line = next((ln for ln in table.splitlines() if f"`{r.a}`" in ln
                     and (not r.b or f"`{r.b}`" in ln) and ln.startswith(f"| {r.level} ")
                     and r.zh in ln),
                    None)  # fmt: skip
        assert line is not None, r
        assert f"| {r.severity} |" in line and r.zh in line, line
    assert "90%" in docs.split("## No verdict without", 1)[1].split("## Consistency", 1)[0]


def test_report_summary_and_index_say_the_same(half: Path, tmp_path: Path) -> None:
    """The half-filled 会昌县 through the batch: no 达标 for a share it cannot support, anywhere."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "会昌县.xlsx").write_bytes(half.read_bytes())
    out = tmp_path / "out"
    code = main(["batch", str(src), "--out", str(out), "--workers", "1", "--no-progress",
                 "--report-date", "2026-12-07"])  # fmt: skip
    assert code == 0
    html = next(out.rglob("*.html"), None)
    reports = [p for p in out.rglob("*.html") if p.name != "index.html"]
    assert html is not None and len(reports) == 1
    page = reports[0].read_text(encoding="utf-8")
    assert "数据不全：名册列出 1/19 个乡镇的卫生院" in page
    summary = pd.read_excel(out / "summary.xlsx", sheet_name=None, engine="openpyxl")
    cells = "\n".join(str(v) for df in summary.values() for v in df.to_numpy().ravel())
    assert "无法判断：数据不全" in cells
    # the shares the roster cannot support are nowhere 是 (met) in the summary
    sheet = next(df for df in summary.values() if any("T-ZYG-HALL" in str(c) for c in df.columns))
    met_cols = [c for c in sheet.columns if "T-ZYG-HALL" in str(c) and "达标" in str(c)]
    assert met_cols and all(str(sheet[c].iloc[0]).startswith("无法判断") for c in met_cols)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "会昌县" in index
    # one count of each kind: the headline's "no verdict" is the readiness card's
    records = [json.loads(p.read_text(encoding="utf-8")) for p in out.rglob("*.json")]
    rec = next(r for r in records if "readiness_targets_no_data" in json.dumps(r))
    flat = {**rec, **rec.get("headline", {})} if isinstance(rec.get("headline"), dict) else rec
    assert flat["n_no_verdict"] == flat["readiness_targets_no_data"] > 0
