"""Shared fixtures: a tiny but complete county bundle written to a temporary folder.

The tiny county (测试县, adcode 410101) has 2 townships, 4 villages, 7 facilities and one
alliance; its numbers are small enough to check by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANYUE = ROOT / "data" / "counties" / "512021-anyue"
WENXI = ROOT / "data" / "counties" / "140823-wenxi"

TINY_FILES: dict[str, str] = {
    "county.toml": """\
adcode = "410101"
name_zh = "测试县"
name_en = "Test County"
province = "测试省"
city = "测试市"
reference_year = 2023

[coordinates]
townships = "EPSG:4326"
villages = "EPSG:4326"
facilities = "EPSG:4326"

[population.resident]
value = 10000
year = 2020
source = "s1"
status = "official"

[population.registered]
value = 12000
year = 2020
source = "s1"
status = "official"

[resources.beds]
value = 60
year = 2023
source = "s1"
status = "official"

[resources.physicians]
note = "not reported"
[resources.physicians.estimate]
value = 34
year = 2023
source = "s2"
status = "estimated"
method = "3.40 per 1,000 x 10,000"
""",
    "townships.csv": """\
code,name,type,lon,lat,location_status,population,population_year,population_status,source
410101001,城关街道,街道,113.60,34.70,official,6000,2020,official,s1
410101100,东镇,镇,113.70,34.70,official,4000,2020,official,s1
""",
    "villages.csv": """\
code,name,township_code,kind,lon,lat,location_status,population,population_year,population_status,source
410101001001,北社区,410101001,社区,113.60,34.71,official,3500,2020,official,s1
410101001201,南村,410101001,村,113.60,34.69,official,2500,2020,official,s1
410101100201,东村,410101100,村,113.71,34.70,official,3000,2020,official,s1
410101100202,西村,410101100,村,113.69,34.70,official,1000,2020,official,s1
""",
    "facilities.csv": """\
id,name,type,township_code,village_code,lon,lat,beds,physicians,tcm_physicians,nurses,has_tcm_hall,has_tcm_pavilion,provides_tcm,tcm_techniques,status,source
F1,测试县中医医院,county_tcm_hospital,410101001,,113.601,34.701,40,12,8,15,否,否,是,20,official,s1
F2,城关社区卫生服务中心,community_health_centre,410101001,,113.600,34.700,5,4,1,4,是,否,是,10,official,s1
F3,东镇卫生院,township_health_centre,410101100,,113.700,34.700,15,5,1,6,否,否,是,6,official,s1
F4,北社区卫生服务站,community_health_station,410101001,410101001001,113.600,34.710,0,1,0,1,否,否,是,4,official,s1
F5,南村卫生室,village_clinic,410101001,410101001201,113.600,34.690,0,1,0,0,否,是,是,6,official,s1
F6,东村卫生室,village_clinic,410101100,410101100201,113.710,34.700,0,1,1,0,否,否,否,0,official,s1
F7,西村卫生室,village_clinic,410101100,410101100202,,,0,1,0,0,否,否,是,2,official,s1
""",
    "alliances.csv": """\
id,name,kind,lead_facility_id,member_ids,status,source
A1,测试县中医医院医共体,county_medical_community,F1,F1;F2;F4;F5,official,s1
""",
    "sources.csv": """\
id,title,issuer,year,url,licence,note
s1,测试数据,测试县卫生健康局,2023,https://example.org/s1,CC BY 4.0,hand-made test data
s2,国家比例估算,tcmcounty,2023,,,estimate for tests
""",
}


def write_bundle(
    folder: Path, files: dict[str, str] | None = None, encoding: str = "utf-8"
) -> Path:
    """Write the tiny bundle (optionally with some files replaced) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**TINY_FILES, **(files or {})}.items():
        if text is None:
            continue
        data = text.encode(encoding) if name.endswith(".csv") else text.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def tiny_bundle(tmp_path: Path) -> Path:
    """A valid tiny bundle folder."""
    return write_bundle(tmp_path / "410101-test")
