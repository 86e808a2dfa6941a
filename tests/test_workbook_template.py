"""The Excel template: pre-filled from the NBS codes, Chinese drop-downs, the 实施步骤 sheet."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
from pathlib import Path

import pytest
from openpyxl import load_workbook

import tcmcounty
from tcmcounty.cli import main
from tcmcounty.inputs.workbook import vocabulary_label, vocabulary_labels, write_workbook
from tcmcounty.schema import TABLES

ADCODE = "360733"  # 会昌县, 江西省赣州市: not a bundled county


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tpl") / "会昌县.xlsx"
    assert main(["template", "--county", ADCODE, str(out)]) == 0
    return out


def _rows(ws) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    header = [c.value for c in ws[1]]
    return [
        dict(zip(header, r, strict=False))
        for r in ws.iter_rows(min_row=2, values_only=True)
        if any(v is not None for v in r)
    ]


def _county_items(ws) -> dict[str, tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return {r[0]: r[1:] for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}


def test_cli_reports_what_was_filled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["template", "--county", "会昌县", str(tmp_path / "t.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "江西省赣州市会昌县 (360733)" in out
    assert "20 townships" in out and "277 villages" in out


def test_unknown_county_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["template", "--county", "360799", str(tmp_path / "t.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "360733 江西省赣州市会昌县" in err and "Traceback" not in err
    assert not (tmp_path / "t.xlsx").exists()
    assert main(["template", "--county", "朝阳区", str(tmp_path / "t.xlsx")]) == 2
    assert "110105" in capsys.readouterr().err


def test_sheets_are_prefilled(template: Path) -> None:
    wb = load_workbook(template)
    items = _county_items(wb["县基本情况"])
    assert items["县代码"][0] == ADCODE and items["县名称"][0] == "会昌县"
    assert items["省份"][0] == "江西省" and items["地市"][0] == "赣州市"
    assert items["常住人口"][0] is None and items["床位数"][0] is None
    towns = _rows(wb["乡镇"])
    assert len(towns) == 20
    assert towns[0] == {**dict.fromkeys(towns[0]), "乡镇代码": "360733100", "乡镇名称": "文武坝镇",
                        "类型": "镇", "来源": "nbs2023-codes"}  # fmt: skip
    villages = _rows(wb["村社区"])
    assert len(villages) == 277
    assert {v["类别"] for v in villages} == {"村", "社区"}
    first = villages[0]
    assert (first["村代码"], first["村名称"], first["乡镇代码"], first["类别"]) == (
        "360733100001",
        "红旗居委会",
        "360733100",
        "社区",
    )
    assert first["人口"] is None and first["来源"] == "nbs2023-codes"
    if "乡镇名称" in first:  # villages carry their township's name when the schema has it
        assert first["乡镇名称"] == "文武坝镇"
    (src,) = _rows(wb["数据来源"])
    assert src["编号"] == "nbs2023-codes" and src["发布机构"] == "国家统计局"
    assert "official" in src["说明"]
    assert _rows(wb["医疗机构"]) == [] and _rows(wb["医联体"]) == []


def test_dropdowns_show_chinese_labels(template: Path) -> None:
    wb = load_workbook(template)
    lists = wb["_lists"]
    assert lists.sheet_state == "hidden"
    columns = [[c for c in col if c is not None] for col in lists.iter_cols(values_only=True)]
    assert ["官方", "估算", "模拟"] in columns
    assert vocabulary_labels("facility_type") in columns
    assert "乡镇卫生院" in vocabulary_labels("facility_type")
    assert "县人民医院" in vocabulary_labels("facility_type")
    assert vocabulary_labels("village_kind") == ["村", "社区"]
    assert not any(c.isascii() for col in columns for c in col)  # no English value offered
    # the 机构类型 and 数据状态 columns point at those lists
    ws = wb["医疗机构"]
    header = [c.value for c in ws[1]]
    letter = {h: ws.cell(1, i + 1).column_letter for i, h in enumerate(header)}
    formulas = {
        str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation
    }
    status_col = next(c for c in lists.iter_cols() if c[0].value == "官方")[0].column_letter
    assert formulas[f"{letter['数据状态']}2"] == f"_lists!${status_col}$1:${status_col}$3"
    assert formulas[f"{letter['中医馆']}2"] == '"是,否"'
    cs = wb["县基本情况"]
    assert any(dv.formula1.endswith("$3") for dv in cs.data_validations.dataValidation)


def test_timetable_sheet_has_date_columns_and_no_hint_row(template: Path) -> None:
    wb = load_workbook(template)
    ws = wb["实施步骤"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["阶段", "开始日期", "结束日期"]
    assert _rows(ws) == []  # a hint would be read as data: it is a prompt, not a row
    for name in ("开始日期", "结束日期"):
        letter = ws.cell(1, header.index(name) + 1).column_letter
        assert ws.column_dimensions[letter].number_format == "yyyy-mm-dd"
        (dv,) = [d for d in ws.data_validations.dataValidation if str(d.sqref).startswith(letter)]
        assert "2024-03-01" in dv.prompt and dv.showInputMessage
        assert dv.type is None  # a prompt only: 2024年3月 and 2024.3 are read too


def _fill(template: Path, out: Path) -> int:
    """Fill the template as a planner would: county figures, a facility for every township."""
    wb = load_workbook(template)
    cs = wb["县基本情况"]
    row = {r[0].value: r[0].row for r in cs.iter_rows(min_row=2) if r[0].value}
    for label, value in (("常住人口", 420_000), ("床位数", 2600), ("执业（助理）医师数", 1100)):
        for c, v in enumerate((value, 2023, "hc-stats", "官方"), start=2):
            cs.cell(row[label], c, v)
    src = wb["数据来源"]
    src.append(["hc-stats", "会昌县卫生健康统计（虚构测试数据）", "会昌县卫生健康委员会", 2023])
    ws = wb["医疗机构"]
    header = [c.value for c in ws[1]]
    towns = _rows(wb["乡镇"])
    facilities = [
        ("F001", "会昌县中医院", "县中医医院", "360733100", 180, 90),
        ("F002", "会昌县人民医院", "县人民医院", "360733100", 400, 200),
    ]
    for i, t in enumerate(towns, start=3):
        ftype = "社区卫生服务中心" if t["类型"] == "其他" else "乡镇卫生院"
        facilities.append((f"F{i:03d}", f"{t['乡镇名称']}卫生院", ftype, t["乡镇代码"], 20, 8))
    for fid, name, ftype, town, beds, phys in facilities:
        rec = {"机构编号": fid, "机构名称": name, "机构类型": ftype, "乡镇代码": town,
               "床位数": beds, "执业（助理）医师数": phys, "中医类别医师数": 2, "中医馆": "是",
               "数据状态": "官方", "来源": "hc-stats"}  # fmt: skip
        ws.append([rec.get(h) for h in header])
    wb.save(out)
    return len(facilities)


def _nbs_difference(w: object) -> bool:
    """A warning that a row differs from the NBS codes (not the roster's gap, which cites them)."""
    en = str(getattr(w, "message_en", ""))
    return "NBS" in en and not en.startswith("incomplete data")


def test_filled_template_validates_and_loads(template: Path, tmp_path: Path) -> None:
    filled = tmp_path / "会昌县-填好.xlsx"
    n_fac = _fill(template, filled)
    report = tcmcounty.validate(filled)
    assert report.ok, [str(p) for p in report.errors]
    assert not [w for w in report.warnings if _nbs_difference(w)], report.warnings
    county = tcmcounty.load_county(filled, warn=False)
    assert (county.adcode, county.name_zh, county.province, county.city) == (
        ADCODE,
        "会昌县",
        "江西省",
        "赣州市",
    )
    assert (len(county.townships), len(county.villages), len(county.facilities)) == (20, 277, n_fac)
    assert county.villages["kind"].value_counts().to_dict() == {"村": 243, "社区": 34}
    assert county.facilities["type"].value_counts().to_dict() == {
        "township_health_centre": 19,
        "community_health_centre": 1,
        "county_tcm_hospital": 1,
        "county_general_hospital": 1,
    }
    assert set(county.facilities["status"]) == {"official"}
    assert county.population["resident"].official.value == 420_000
    assert county.resources["beds"].official.status == "official"


def test_changed_prefilled_name_is_an_nbs_warning(template: Path, tmp_path: Path) -> None:
    filled = tmp_path / "x.xlsx"
    _fill(template, filled)
    wb = load_workbook(filled)
    wb["村社区"].cell(2, 2, "乱写社区")
    wb.save(filled)
    report = tcmcounty.validate(filled)
    assert report.ok
    (w,) = [w for w in report.warnings if _nbs_difference(w)]
    assert w.sheet == "村社区" and w.row == 2 and "'红旗居委会'" in w.message_en


def test_every_label_reads_back_as_its_value() -> None:
    from tcmcounty.schema import VOCABULARIES, vocabulary_lookup

    for name, vocab in VOCABULARIES.items():
        lookup = vocabulary_lookup(name)
        labels = vocabulary_labels(name)
        assert len(set(labels)) == len(labels), name
        assert [lookup[label.lower()] for label in labels] == list(vocab), name


def test_labels() -> None:
    assert vocabulary_label("status", "estimated") == "估算"
    assert vocabulary_label("alliance_kind", "county_medical_community") == "医共体"
    assert vocabulary_label("township_type", "镇") == "镇"
    assert vocabulary_label("status", "unknown") == "unknown"


def test_export_writes_chinese_labels_and_reads_back(tiny_bundle: Path, tmp_path: Path) -> None:
    county = tcmcounty.load_county(tiny_bundle, warn=False)
    out = write_workbook(tmp_path / "x.xlsx", county)
    wb = load_workbook(out)
    fac = _rows(wb["医疗机构"])
    assert {f["数据状态"] for f in fac} == {"官方"}
    assert set(county.facilities["type"].map(lambda t: vocabulary_label("facility_type", t))) == {
        f["机构类型"] for f in fac
    }
    items = _county_items(wb["县基本情况"])
    assert items["常住人口"][3] == "官方"
    back = tcmcounty.load_county(out, warn=False)
    assert list(back.facilities["type"]) == list(county.facilities["type"])
    assert back.population == county.population


def test_export_writes_the_plan_milestones(tiny_bundle: Path, tmp_path: Path) -> None:
    county = tcmcounty.load_county(tiny_bundle, warn=False)
    ms = [
        types.SimpleNamespace(phase_zh="启动阶段", phase_en="Launch", start=dt.date(2024, 1, 1),
                              end=dt.date(2024, 3, 31), tasks_zh="成立领导小组",
                              tasks_en="set up the leading group"),
        types.SimpleNamespace(phase_zh="创建阶段", phase_en="Build", start=dt.date(2024, 4, 1),
                              end=dt.date(2025, 6, 30), tasks_zh="建设中医馆", tasks_en=""),
    ]  # fmt: skip
    plan = types.SimpleNamespace(milestones=ms)
    if any(f.name == "plan" for f in dataclasses.fields(county)):
        county = dataclasses.replace(county, plan=plan)
    else:  # County.plan not there yet: export reads it with getattr
        county = types.SimpleNamespace(**vars(county), plan=plan)  # type: ignore[assignment]
    out = write_workbook(tmp_path / "plan.xlsx", county)  # type: ignore[arg-type]
    ws = load_workbook(out)["实施步骤"]
    rows = _rows(ws)
    assert [r["阶段"] for r in rows] == ["启动阶段", "创建阶段"]
    assert rows[0]["开始日期"] == dt.datetime(2024, 1, 1) and ws["B2"].number_format == "yyyy-mm-dd"
    assert rows[1]["结束日期"] == dt.datetime(2025, 6, 30)
    header = [c.value for c in ws[1]]
    assert header == [c.zh for c in TABLES["timetable"].columns]
    back = tcmcounty.load_county(out, warn=False)
    if getattr(back, "plan", None) is not None:
        got = [(m.phase_zh, m.start, m.end, m.tasks_zh) for m in back.plan.milestones]
        assert got == [(m.phase_zh, m.start, m.end, m.tasks_zh) for m in ms]
