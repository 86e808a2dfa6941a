"""Helpers shared by the report, batch and plotting tests (no tests here).

``make_tiny_bundle`` writes a small valid county bundle (3 townships, 12 villages, a dozen
facilities, one alliance, a boundary) so that notebook-executing tests stay quick.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

TOWNSHIP_NAMES = ["岳阳镇", "石桥铺镇", "龙台镇"]


def make_tiny_bundle(
    root: Path,
    folder: str = "999001-tiny",
    *,
    adcode: str = "510101",
    name_zh: str = "小测县",
    name_en: str = "Tiny Test County",
    seed: int = 0,
    lon0: float = 105.30,
    lat0: float = 30.10,
    status: str = "synthetic",
) -> Path:
    """Write a small valid bundle under ``root/folder`` and return its path."""
    rng = np.random.default_rng(seed)
    d = Path(root) / folder
    d.mkdir(parents=True, exist_ok=True)
    half = 0.12
    toml = f"""adcode = {json.dumps(adcode)}
name_zh = {json.dumps(name_zh, ensure_ascii=False)}
name_en = {json.dumps(name_en)}
province = "四川省"
city = "资阳市"
reference_year = 2023

[coordinates]
townships = "EPSG:4326"
villages = "EPSG:4326"
facilities = "EPSG:4326"

[population.resident]
value = 60000
year = 2020
source = "census2020"
status = "official"

[population.registered]
note = "not found in an open source"

[resources.beds]
note = "not published"
[resources.beds.estimate]
value = 434
year = 2020
source = "nhc2023"
status = "estimated"
method = "7.23 beds per 1,000 residents (national 2023) x 60,000"

[resources.physicians]
value = 150
year = 2022
source = "census2020"
status = "{status}"

[resources.tcm_gps]
value = 4
year = 2022
source = "census2020"
status = "{status}"
"""
    (d / "county.toml").write_text(toml, encoding="utf-8")
    towns = [
        "code,name,type,lon,lat,location_status,population,population_year,population_status,source"
    ]
    for i, t in enumerate(TOWNSHIP_NAMES):
        lon = lon0 - half / 2 + i * half / 2
        towns.append(
            f"{adcode}{i + 1:03d},{t},镇,{lon:.5f},{lat0:.5f},{status},20000,2020,{status},census2020"
        )
    (d / "townships.csv").write_text("\n".join(towns) + "\n", encoding="utf-8")
    vil = [
        "code,name,township_code,kind,lon,lat,location_status,population,population_year,population_status,source"
    ]
    codes = []
    for i in range(12):
        t = i % 3
        code = f"{adcode}{t + 1:03d}{i + 1:03d}"
        codes.append((code, t))
        lon = lon0 + rng.uniform(-half * 0.8, half * 0.8)
        lat = lat0 + rng.uniform(-half * 0.8, half * 0.8)
        vil.append(
            f"{code},第{i + 1}村,{adcode}{t + 1:03d},村,{lon:.5f},{lat:.5f},{status},5000,2020,{status},census2020"
        )
    (d / "villages.csv").write_text("\n".join(vil) + "\n", encoding="utf-8")
    fac = [
        "id,name,type,township_code,village_code,lon,lat,beds,physicians,tcm_physicians,nurses,"
        "has_tcm_hall,has_tcm_pavilion,provides_tcm,tcm_techniques,status,source"
    ]
    fac.append(
        f"F001,{name_zh}中医医院,county_tcm_hospital,{adcode}001,,{lon0:.5f},{lat0:.5f},"
        f"120,40,30,60,否,否,是,20,{status},census2020"
    )
    fac.append(
        f"F002,{name_zh}人民医院,county_general_hospital,{adcode}001,,{lon0 + 0.01:.5f},"
        f"{lat0 + 0.01:.5f},200,60,5,90,否,否,是,6,{status},census2020"
    )
    for t in range(3):
        lon = lon0 - half / 2 + t * half / 2
        hall = "是" if t < 2 else "否"
        fac.append(
            f"T{t + 1:03d},{TOWNSHIP_NAMES[t]}卫生院,township_health_centre,{adcode}{t + 1:03d},,"
            f"{lon:.5f},{lat0 + 0.002:.5f},30,8,3,10,{hall},否,是,12,{status},census2020"
        )
    for j, (code, t) in enumerate(codes[::2]):
        pav = "是" if j == 0 else "否"
        tcm = "是" if j < 4 else "否"
        fac.append(
            f"V{j + 1:03d},第{2 * j + 1}村卫生室,village_clinic,{adcode}{t + 1:03d},{code},,,"
            f"0,1,0,0,否,{pav},{tcm},{4 if tcm == '是' else 0},{status},census2020"
        )
    (d / "facilities.csv").write_text("\n".join(fac) + "\n", encoding="utf-8")
    (d / "alliances.csv").write_text(
        "id,name,kind,lead_facility_id,member_ids,status,source\n"
        f"A1,{name_zh}医共体,county_medical_community,F001,T001;T002;V001,{status},census2020\n",
        encoding="utf-8",
    )
    (d / "sources.csv").write_text(
        "id,title,issuer,year,url,licence,note\n"
        "census2020,第七次全国人口普查,国家统计局,2021,https://www.stats.gov.cn/,public,test\n"
        "nhc2023,2023年我国卫生健康事业发展统计公报,国家卫生健康委,2024,https://www.nhc.gov.cn/,public,test\n",
        encoding="utf-8",
    )
    ring = [
        [lon0 - half, lat0 - half],
        [lon0 + half, lat0 - half],
        [lon0 + half, lat0 + half],
        [lon0 - half, lat0 + half],
        [lon0 - half, lat0 - half],
    ]
    gj = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": name_zh},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    (d / "boundary.geojson").write_text(json.dumps(gj, ensure_ascii=False), encoding="utf-8")
    return d


def break_bundle(path: Path) -> Path:
    """Make a bundle invalid: a village row whose township does not exist and a bad code."""
    p = Path(path) / "villages.csv"
    with open(p, "a", encoding="utf-8") as f:
        f.write("12345,坏村,999999999,村,105.3,30.1,synthetic,abc,2020,synthetic,census2020\n")
    return Path(path)


def template_with_cell(src: Path, dest: Path, code: str) -> Path:
    """Copy a notebook template with one extra code cell right after the validation cell."""
    import nbformat

    nb = nbformat.read(src, as_version=4)
    idx = next(
        i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])
    )
    cell = nbformat.v4.new_code_cell(code)
    cell["id"] = "fault-injection"
    nb.cells.insert(idx + 2, cell)
    nbformat.write(nb, dest)
    return dest


def no_temp_files(root: Path) -> list[Path]:
    """Temporary files left by atomic writes under ``root`` (should be none)."""
    return [p for p in Path(root).rglob("*") if p.is_file() and ".tmp" in p.name]


def complete_outputs(root: Path) -> list[str]:
    """Problems with the outputs in ``root``: unparsable records, truncated HTML or notebooks."""
    import json

    problems = []
    for p in Path(root).glob("*.json"):
        try:
            json.loads(p.read_text(encoding="utf-8"))
        except ValueError:
            problems.append(f"{p.name}: not valid JSON")
    for p in Path(root).glob("*.html"):
        if not p.read_text(encoding="utf-8").rstrip().endswith("</html>"):
            problems.append(f"{p.name}: truncated")
    for p in Path(root).glob("*.ipynb"):
        try:
            json.loads(p.read_text(encoding="utf-8"))
        except ValueError:
            problems.append(f"{p.name}: not valid JSON")
    return problems


def images(html_text: str) -> list[tuple[str, str]]:
    """``(alt, src)`` of every ``<img>`` in an HTML page."""
    from html.parser import HTMLParser

    found: list[tuple[str, str]] = []

    class P(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "img":
                a = dict(attrs)
                found.append((a.get("alt") or "", a.get("src") or ""))

    P().feed(html_text)
    return found


def has_class(html_text: str, css: str) -> bool:
    """True when an element of the page has the CSS class ``css``."""
    import re

    return re.search(rf"class=[\"'][^\"']*\b{re.escape(css)}\b", html_text) is not None
