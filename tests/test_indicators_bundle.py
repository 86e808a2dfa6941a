"""A builder of small, realistic county bundles for the indicator tests (and tests of the builder).

``make_county`` writes ``county.toml`` and the CSV tables of ``docs/data-format.md`` into a folder
and loads them with :func:`tcmcounty.load_county`, so every indicator test goes through the real
reading and validation path.
"""

from __future__ import annotations

import copy
import csv
import warnings
from pathlib import Path

from tcmcounty import County, load_county

ADCODE = "510199"
T1, T2 = f"{ADCODE}001", f"{ADCODE}100"  # 城关街道, 东山镇

TOWNSHIP_COLUMNS = [
    "code",
    "name",
    "type",
    "lon",
    "lat",
    "location_status",
    "population",
    "population_year",
    "population_status",
    "source",
]
VILLAGE_COLUMNS = [
    "code",
    "name",
    "township_code",
    "kind",
    "lon",
    "lat",
    "location_status",
    "population",
    "population_year",
    "population_status",
    "source",
]
FACILITY_COLUMNS = [
    "id",
    "name",
    "type",
    "township_code",
    "village_code",
    "lon",
    "lat",
    "beds",
    "physicians",
    "tcm_physicians",
    "nurses",
    "has_tcm_hall",
    "has_tcm_pavilion",
    "provides_tcm",
    "tcm_techniques",
    "status",
    "source",
]
ALLIANCE_COLUMNS = ["id", "name", "kind", "lead_facility_id", "member_ids", "status", "source"]

SOURCES = (
    "id,title,issuer,year,url,licence,note\n"
    "s1,测试县2023年卫生健康统计年报,测试县卫生健康局,2023,,official statistics,hand-made test data\n"
    "s2,全国比例估算,tcmcounty,2023,,,national ratio x census population\n"
)


def base_tables() -> dict[str, object]:
    """Return the default small county: 2 townships, 4 villages, 8 facilities, 1 alliance.

    城关街道 (6,000 residents) holds the county TCM hospital, a community health centre, a
    community health station and a village clinic; 东山镇 (4,000) a township health centre and
    two village clinics; the fourth village (西村) has no clinic of its own.
    """
    return {
        "meta": {
            "resident": {"value": 10000, "year": 2020, "source": "s1", "status": "official"},
            "registered": None,
            "resources": {
                "beds": {"value": 60, "year": 2023, "source": "s1", "status": "official"},
                "physicians": {"value": 30, "year": 2023, "source": "s1", "status": "official"},
                "nurses": {"value": 33, "year": 2023, "source": "s1", "status": "official"},
                "gps": {"value": 4, "year": 2023, "source": "s1", "status": "official"},
                "tcm_gps": {"value": 1, "year": 2023, "source": "s1", "status": "official"},
            },
            "tcm_hospital": None,
            "survey": None,
        },
        "townships": [
            {
                "code": T1,
                "name": "城关街道",
                "type": "街道",
                "population": 6000,
                "population_year": 2020,
                "population_status": "official",
                "source": "s1",
            },
            {
                "code": T2,
                "name": "东山镇",
                "type": "镇",
                "population": 4000,
                "population_year": 2020,
                "population_status": "official",
                "source": "s1",
            },
        ],
        "villages": [
            {
                "code": f"{T1}001",
                "name": "北社区",
                "township_code": T1,
                "kind": "社区",
                "population": 3500,
            },
            {
                "code": f"{T1}201",
                "name": "南村",
                "township_code": T1,
                "kind": "村",
                "population": 2500,
            },
            {
                "code": f"{T2}201",
                "name": "东村",
                "township_code": T2,
                "kind": "村",
                "population": 3000,
            },
            {
                "code": f"{T2}202",
                "name": "西村",
                "township_code": T2,
                "kind": "村",
                "population": 1000,
            },
        ],
        "facilities": [
            {
                "id": "F1",
                "name": "测试县中医医院",
                "type": "county_tcm_hospital",
                "township_code": T1,
                "beds": 40,
                "physicians": 12,
                "tcm_physicians": 8,
                "nurses": 15,
                "provides_tcm": "是",
            },
            {
                "id": "F2",
                "name": "城关社区卫生服务中心",
                "type": "community_health_centre",
                "township_code": T1,
                "beds": 5,
                "physicians": 4,
                "tcm_physicians": 1,
                "nurses": 4,
                "has_tcm_hall": "是",
                "provides_tcm": "是",
            },
            {
                "id": "F3",
                "name": "东山镇卫生院",
                "type": "township_health_centre",
                "township_code": T2,
                "beds": 15,
                "physicians": 5,
                "tcm_physicians": 1,
                "nurses": 6,
                "has_tcm_hall": "否",
                "provides_tcm": "是",
            },
            {
                "id": "F4",
                "name": "北社区卫生服务站",
                "type": "community_health_station",
                "township_code": T1,
                "village_code": f"{T1}001",
                "beds": 0,
                "physicians": 1,
                "tcm_physicians": 0,
                "nurses": 1,
                "has_tcm_pavilion": "否",
                "provides_tcm": "是",
            },
            {
                "id": "F5",
                "name": "南村卫生室",
                "type": "village_clinic",
                "township_code": T1,
                "village_code": f"{T1}201",
                "beds": 0,
                "physicians": 1,
                "tcm_physicians": 0,
                "nurses": 0,
                "has_tcm_pavilion": "是",
                "provides_tcm": "是",
            },
            {
                "id": "F6",
                "name": "东村卫生室",
                "type": "village_clinic",
                "township_code": T2,
                "village_code": f"{T2}201",
                "beds": 0,
                "physicians": 1,
                "tcm_physicians": 1,
                "nurses": 0,
                "has_tcm_pavilion": "否",
                "provides_tcm": "否",
            },
            {
                "id": "F7",
                "name": "东村第二卫生室",
                "type": "village_clinic",
                "township_code": T2,
                "village_code": f"{T2}201",
                "beds": 0,
                "physicians": 1,
                "tcm_physicians": 0,
                "nurses": 0,
                "has_tcm_pavilion": "否",
                "provides_tcm": "是",
            },
            {
                "id": "F8",
                "name": "测试县人民医院",
                "type": "county_general_hospital",
                "township_code": T1,
                # staff and beds not in the roster: with them the roster would hold more than the
                # county totals (beds 60, physicians 30, nurses 33), which validation refuses
                "provides_tcm": "是",
            },
        ],
        "alliances": [
            {
                "id": "A1",
                "name": "测试县中医医院医共体",
                "kind": "county_medical_community",
                "lead_facility_id": "F1",
                "member_ids": "F1;F2;F4;F5",
                "status": "official",
                "source": "s1",
            },
        ],
    }


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_table(name: str, d: dict[str, object]) -> str:
    lines = [f"[{name}]"]
    subs = []
    for k, v in d.items():
        if isinstance(v, dict):
            subs.append(_toml_table(f"{name}.{k}", v))
        elif v is not None:
            lines.append(f"{k} = {_toml_value(v)}")
    return "\n".join(lines) + "\n" + "".join(subs)


def _county_toml(meta: dict[str, object]) -> str:
    out = [
        f'adcode = "{ADCODE}"\nname_zh = "测试县"\nname_en = "Test County"\nprovince = "四川省"\n'
        'city = "测试市"\nreference_year = 2023\n'
    ]
    for kind in ("resident", "registered"):
        fig = meta.get(kind)
        out.append(_toml_table(f"population.{kind}", fig or {"note": "not reported"}))
    for key, fig in (meta.get("resources") or {}).items():  # type: ignore[union-attr]
        out.append(_toml_table(f"resources.{key}", fig))
    for section in ("tcm_hospital", "survey"):
        if meta.get(section):
            out.append(_toml_table(section, meta[section]))  # type: ignore[arg-type]
    return "\n".join(out)


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow({c: ("" if r.get(c) is None else r.get(c)) for c in columns})


def write_bundle(folder: Path, tables: dict[str, object]) -> Path:
    """Write ``tables`` (as from :func:`base_tables`) as a bundle folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "county.toml").write_text(_county_toml(tables["meta"]), encoding="utf-8")  # type: ignore[arg-type]
    defaults = {"population_year": 2020, "population_status": "official", "source": "s1"}
    villages = [{**defaults, **v} for v in tables["villages"]]  # type: ignore[attr-defined]
    facilities = [{"status": "official", "source": "s1", **f} for f in tables["facilities"]]  # type: ignore[attr-defined]
    _write_csv(folder / "townships.csv", TOWNSHIP_COLUMNS, tables["townships"])  # type: ignore[arg-type]
    _write_csv(folder / "villages.csv", VILLAGE_COLUMNS, villages)
    _write_csv(folder / "facilities.csv", FACILITY_COLUMNS, facilities)
    if tables.get("alliances"):
        _write_csv(folder / "alliances.csv", ALLIANCE_COLUMNS, tables["alliances"])  # type: ignore[arg-type]
    (folder / "sources.csv").write_text(SOURCES, encoding="utf-8")
    return folder


def make_county(folder: Path, tables: dict[str, object] | None = None, **changes: object) -> County:
    """Write a bundle (the default small county with ``changes`` applied) and load it.

    ``changes`` replace top-level entries of :func:`base_tables` (``townships=[...]``) or, for
    keys of ``meta`` (``resident``, ``registered``, ``resources``, ``tcm_hospital``, ``survey``),
    entries of ``meta``.
    """
    t = copy.deepcopy(tables) if tables is not None else base_tables()
    for key, value in changes.items():
        if key in t["meta"]:  # type: ignore[operator]
            t["meta"][key] = value  # type: ignore[index]
        else:
            t[key] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_county(write_bundle(folder, t), warn=False)


def test_default_bundle_loads_with_its_tables(tmp_path: Path) -> None:
    c = make_county(tmp_path / "b")
    assert (len(c.townships), len(c.villages), len(c.facilities), len(c.alliances)) == (2, 4, 8, 1)
    assert c.population["resident"].official.value == 10000
    assert c.population["registered"].official is None
    assert c.resources["beds"].official.value == 60
    assert c.alliances.loc[0, "member_ids"] == ["F1", "F2", "F4", "F5"]


def test_changes_reach_the_loaded_county(tmp_path: Path) -> None:
    reg = {"value": 12000, "year": 2020, "source": "s1", "status": "official"}
    c = make_county(
        tmp_path / "b",
        registered=reg,
        survey={
            "respondents": 400,
            "satisfied": 372,
            "year": 2023,
            "source": "s1",
            "status": "official",
        },
    )
    assert c.population["registered"].official.value == 12000
    assert c.survey["satisfied"] == 372
