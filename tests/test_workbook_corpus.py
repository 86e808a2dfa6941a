"""The corpus of government-style workbooks: each loads to the same County as its canonical version.

The workbooks are written by ``tests/fixtures/workbooks/make_workbooks.py`` (its docstring lists
every variant and what differs) from the bundled county 闻喜县. Each must validate without errors
and load to the County it was written from: same counts, codes, populations, facility figures
and flags (not reported stays not reported), alliance members, county figures, and the same
indicator values; with provenance (sources, statuses, years) too where the variant carries it.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

import tcmcounty
from tcmcounty.county import County, Figure
from tcmcounty.indicators import compute
from tcmcounty.inputs.workbook import write_workbook

MAKER = Path(__file__).parent / "fixtures" / "workbooks" / "make_workbooks.py"
TOLERANCE = 1e-9


def _load_maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tcmcounty_corpus_make_workbooks", MAKER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


mw = _load_maker()
VARIANTS = {v.name: v for v in mw.VARIANTS}
INDICATOR_LEVELS: tuple[str | None, ...] = (None, "township")


# --------------------------------------------------------------------------------------------
# Comparing two counties


def _na(v: object) -> bool:
    if isinstance(v, (list, tuple, set, frozenset)):
        return False
    try:
        return bool(pd.isna(v))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _plain(v: object) -> object:
    """A cell as a comparable Python value (NA -> None; numbers -> float; text stripped)."""
    if _na(v):
        return None
    if hasattr(v, "item"):
        v = v.item()  # type: ignore[union-attr]
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return str(v).strip()


def _same(a: object, b: object) -> bool:
    a, b = _plain(a), _plain(b)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=TOLERANCE)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _index(df: pd.DataFrame, key: str, what: str, out: list[str]) -> dict[str, pd.Series]:
    rows: dict[str, pd.Series] = {}
    for _, r in df.iterrows():
        k = str(_plain(r.get(key)))
        if k in rows:
            out.append(f"{what}: {key} {k!r} appears twice")
        rows[k] = r
    return rows


def _compare_rows(
    what: str,
    a: pd.DataFrame,
    b: pd.DataFrame,
    key: str,
    columns: Iterable[str],
    out: list[str],
) -> None:
    """Compare two tables row by row on ``key``; report every differing cell."""
    ra, rb = _index(a, key, what, out), _index(b, key, what, out)
    only_a, only_b = sorted(set(ra) - set(rb)), sorted(set(rb) - set(ra))
    if only_a or only_b:
        out.append(
            f"{what}: {key}s only in the loaded county {only_a[:5]}, only in the expected {only_b[:5]}"
        )
    for k in [k for k in ra if k in rb]:
        for col in columns:
            va = ra[k].get(col) if col in a else "<column missing>"
            vb = rb[k].get(col) if col in b else "<column missing>"
            if not _same(va, vb):
                out.append(f"{what} {k!r}: {col} is {_plain(va)!r}, expected {_plain(vb)!r}")


def _compare_figure(
    label: str, fa: Figure | None, fb: Figure | None, provenance: bool, out: list[str]
) -> None:
    if fa is None or fb is None:
        if (fa is None) != (fb is None):
            got = None if fa is None else fa.value
            want = None if fb is None else fb.value
            out.append(f"{label}: is {got!r}, expected {want!r}")
        return
    if not _same(fa.value, fb.value):
        out.append(f"{label}: value is {fa.value!r}, expected {fb.value!r}")
    if provenance:
        for attr in ("status", "year", "source"):
            if not _same(getattr(fa, attr), getattr(fb, attr)):
                out.append(
                    f"{label}: {attr} is {getattr(fa, attr)!r}, expected {getattr(fb, attr)!r}"
                )


def _alliance_members(county: County) -> pd.DataFrame:
    """Alliances with lead and members as facility names (ids may have been generated)."""
    names = dict(
        zip(county.facilities["id"].astype(str), county.facilities["name"].astype(str), strict=True)
    )
    df = county.alliances.copy()
    df["lead_name"] = [names.get(str(v), f"<unknown id {v}>") for v in df["lead_facility_id"]]
    df["member_names"] = [
        ";".join(sorted(names.get(str(m), f"<unknown id {m}>") for m in ms))
        for ms in df["member_ids"]
    ]
    df["member_set"] = [";".join(sorted(map(str, ms))) for ms in df["member_ids"]]
    return df


def _indicator_values(county: County, by: str | None) -> pd.DataFrame:
    return compute(county, by=by)[["id", "area_code", "value", "input_status"]]


def _compare_indicators(
    a: County,
    b: County,
    provenance: bool,
    out: list[str],
    indicators: Callable[[County, str | None], pd.DataFrame],
) -> None:
    for by in INDICATOR_LEVELS:
        ta, tb = indicators(a, by), indicators(b, by)
        level = by or "county"
        ka = list(zip(ta["id"], ta["area_code"], strict=True))
        kb = list(zip(tb["id"], tb["area_code"], strict=True))
        if ka != kb:
            out.append(f"indicators ({level}): rows differ: {sorted(set(ka) ^ set(kb))[:5]}")
            continue
        for (iid, area), va, vb, sa, sb in zip(
            ka, ta["value"], tb["value"], ta["input_status"], tb["input_status"], strict=True
        ):
            na_a, na_b = _na(va), _na(vb)
            if na_a != na_b or (not na_a and abs(float(va) - float(vb)) > TOLERANCE):
                out.append(f"indicator {iid} ({level} {area}): value is {va!r}, expected {vb!r}")
            if provenance and not _same(sa, sb):
                out.append(
                    f"indicator {iid} ({level} {area}): input_status is {sa!r}, expected {sb!r}"
                )


def assert_same_county(
    a: County,
    b: County,
    *,
    compare_provenance: bool,
    facility_key: str = "id",
    indicators: Callable[[County, str | None], pd.DataFrame] = _indicator_values,
) -> None:
    """Assert that county ``a`` (loaded) holds the same data as county ``b`` (expected).

    Compares the identity, the number of townships, villages, facilities and alliances, township
    and village codes and populations, facility types, places, beds, staff and flags (NA must
    stay NA), alliance leads and member sets, the county's population and resource figures
    (official and estimate), and the indicator values (county and township level, within
    :data:`TOLERANCE`). With ``compare_provenance`` also the statuses, years and sources of
    figures and rows, and the indicators' input status. Every difference is listed at once.

    Parameters
    ----------
    a, b : County
        The loaded county and the expected one.
    compare_provenance : bool
        Also compare sources, statuses and years.
    facility_key : {"id", "name"}
        Match facilities by id, or by name where the workbook has no ids.
    indicators : callable, optional
        ``f(county, by)`` giving the indicator table (a cache may be passed).
    """
    __tracebackhide__ = True
    out: list[str] = []
    for attr in ("adcode", "name_zh", "name_en", "province", "city", "reference_year"):
        if not _same(getattr(a, attr), getattr(b, attr)):
            out.append(f"county {attr} is {getattr(a, attr)!r}, expected {getattr(b, attr)!r}")
    for table in ("townships", "villages", "facilities", "alliances"):
        na, nb = len(getattr(a, table)), len(getattr(b, table))
        if na != nb:
            out.append(f"{nb} {table} expected, {na} loaded")

    prov_rows = ["location_status", "population_status", "population_year", "source"]
    _compare_rows(
        "township",
        a.townships,
        b.townships,
        "code",
        ["name", "type", "population", *(prov_rows if compare_provenance else [])],
        out,
    )
    _compare_rows(
        "village",
        a.villages,
        b.villages,
        "code",
        ["name", "township_code", "kind", "population", *(prov_rows if compare_provenance else [])],
        out,
    )
    fac_cols = [
        *(["name"] if facility_key == "id" else []),
        "type",
        "township_code",
        "village_code",
        "beds",
        "physicians",
        "nurses",
        "tcm_physicians",
        "tcm_techniques",
        "has_tcm_hall",
        "has_tcm_pavilion",
        "provides_tcm",
    ]
    _compare_rows(
        "facility",
        a.facilities,
        b.facilities,
        facility_key,
        [*fac_cols, *(["status", "source"] if compare_provenance else [])],
        out,
    )
    alliance_cols = ["name", "kind", "lead_name", "member_names"]
    if facility_key == "id":
        alliance_cols += ["lead_facility_id", "member_set"]
    _compare_rows(
        "alliance",
        _alliance_members(a),
        _alliance_members(b),
        "id",
        [*alliance_cols, *(["status", "source"] if compare_provenance else [])],
        out,
    )

    for group in ("population", "resources"):
        sa, sb = getattr(a, group), getattr(b, group)
        for key in sorted(set(sa) | set(sb)):
            ea, eb = sa.get(key), sb.get(key)
            for part in ("official", "estimate"):
                _compare_figure(
                    f"{group}.{key} {part}",
                    getattr(ea, part) if ea is not None else None,
                    getattr(eb, part) if eb is not None else None,
                    compare_provenance,
                    out,
                )
    if not _same(a.tcm_hospital.get("grade"), b.tcm_hospital.get("grade")):
        out.append(
            f"tcm_hospital grade is {a.tcm_hospital.get('grade')!r}, expected {b.tcm_hospital.get('grade')!r}"
        )

    _compare_indicators(a, b, compare_provenance, out, indicators)
    shown = "\n  ".join(out[:60])
    more = f"\n  … and {len(out) - 60} more" if len(out) > 60 else ""
    assert not out, f"{len(out)} difference(s) from the expected county:\n  {shown}{more}"


# --------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def expected_counties() -> dict[str, County]:
    """The counties the variants are written from (make_workbooks.COUNTY_TRANSFORMS)."""
    return mw.derived_counties()


@pytest.fixture(scope="session")
def corpus(
    tmp_path_factory: pytest.TempPathFactory, expected_counties: dict[str, County]
) -> dict[str, object]:
    """Every variant, written once into a temporary folder."""
    out = tmp_path_factory.mktemp("corpus")
    return {v.name: mw.write_variant(v, expected_counties[v.county], out) for v in mw.VARIANTS}


@pytest.fixture(scope="session")
def indicator_cache() -> Callable[[County, str | None], pd.DataFrame]:
    """Indicator tables, computed once per expected county and level."""
    cache: dict[tuple[int, str | None], pd.DataFrame] = {}
    keep: list[County] = []

    def get(county: County, by: str | None) -> pd.DataFrame:
        key = (id(county), by)
        if key not in cache:
            keep.append(county)  # ids stay unique while the county is alive
            cache[key] = _indicator_values(county, by)
        return cache[key]

    return get


def _errors(path: Path) -> tuple[object, list[str]]:
    report = tcmcounty.validate(path)
    return report, [str(p) for p in report.errors]


def _shown(errors: list[str]) -> str:
    """Validation errors for an assertion message, one a line."""
    more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
    return f"{len(errors)} validation error(s):\n  " + "\n  ".join(errors[:20]) + more


# --------------------------------------------------------------------------------------------
# Tests


def test_corpus_covers_every_feature() -> None:
    assert len(VARIANTS) >= 12
    styles = [v.style for v in VARIANTS.values()]
    for feature, present in {
        "numbered sheets": any(s.sheets == mw.SHEETS_NUMBERED for s in styles),
        "unfamiliar sheet names": any(s.sheets == mw.SHEETS_UNFAMILIAR for s in styles),
        "title rows, notes, blank and total rows": any(s.decorations for s in styles),
        "units in the basics": any(s.population_wan for s in styles),
        "wide basics": any(s.basics == "wide" for s in styles),
        "synonym headers": any(s.synonyms for s in styles),
        "split physicians": any(s.split_physicians for s in styles),
        "references by name": any(s.by_name for s in styles),
        "WS 218 codes": any(s.facility_type == "ws218_code" for s in styles),
        "WS 218 names": any(s.facility_type == "ws218_name" for s in styles),
        "membership on facilities": any(s.membership == "facilities" for s in styles),
        "flag spellings": any(s.flags == "mixed" for s in styles),
        "no sources sheet": any(not s.sources for s in styles),
        "no facility ids": any(not s.facility_ids for s in styles),
    }.items():
        assert present, feature


def test_assert_same_county_sees_every_kind_of_difference(
    expected_counties: dict[str, County],
    indicator_cache: Callable[[County, str | None], pd.DataFrame],
) -> None:
    """The comparison is not vacuous: known edits of a copy are each reported."""
    from dataclasses import replace

    b = expected_counties["wenxi"]
    fac = b.facilities.copy()
    na_hall = int(fac.index[fac["has_tcm_hall"].isna()][0])
    fac.loc[0, "beds"] = int(fac.loc[0, "beds"]) + 1
    fac.loc[na_hall, "has_tcm_hall"] = False  # not reported must stay not reported
    villages = b.villages.copy()
    villages.loc[0, "population"] = int(villages.loc[0, "population"]) + 7
    alliances = b.alliances.copy()
    alliances["member_ids"] = [
        list(m)[:-1] if i == 0 else list(m) for i, m in enumerate(alliances["member_ids"])
    ]
    beds = b.resources["beds"]
    resources = {
        **b.resources,
        "beds": replace(beds, estimate=replace(beds.estimate, value=beds.estimate.value + 1)),
    }  # type: ignore[arg-type]
    fac.loc[1, "status"] = "official"
    a = replace(b, facilities=fac, villages=villages, alliances=alliances, resources=resources)
    with pytest.raises(AssertionError) as values_only:
        assert_same_county(a, b, compare_provenance=False, indicators=indicator_cache)
    message = str(values_only.value)
    for expected in (
        f"facility {str(fac.loc[0, 'id'])!r}: beds",
        f"facility {str(fac.loc[na_hall, 'id'])!r}: has_tcm_hall is False, expected None",
        f"village {str(villages.loc[0, 'code'])!r}: population",
        "alliance 'A140823-01': member_names",
        "resources.beds estimate: value is 2570.0, expected 2569.0",
        "indicator T-BED (county 140823): value",
    ):
        assert expected in message, (expected, message)
    assert "status" not in message
    with pytest.raises(AssertionError, match=r"facility 'F140823-0002': status is 'official'"):
        assert_same_county(a, b, compare_provenance=True, indicators=indicator_cache)


@pytest.mark.parametrize("county_key", list(mw.COUNTY_TRANSFORMS))
def test_canonical_workbook_round_trips(
    county_key: str,
    expected_counties: dict[str, County],
    tmp_path: Path,
    indicator_cache: Callable[[County, str | None], pd.DataFrame],
) -> None:
    """The baseline: the template layout written by write_workbook loads to the same County."""
    expected = expected_counties[county_key]
    path = write_workbook(tmp_path / f"canonical-{county_key}.xlsx", expected)
    _, errors = _errors(path)
    assert not errors, _shown(errors)
    loaded = tcmcounty.load_county(path, warn=False)
    assert_same_county(loaded, expected, compare_provenance=True, indicators=indicator_cache)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_loads_to_its_canonical_county(
    name: str,
    corpus: dict[str, object],
    expected_counties: dict[str, County],
    indicator_cache: Callable[[County, str | None], pd.DataFrame],
) -> None:
    written = corpus[name]
    variant = written.variant  # type: ignore[attr-defined]
    path: Path = written.path  # type: ignore[attr-defined]
    _, errors = _errors(path)
    assert not errors, _shown(errors)
    loaded = tcmcounty.load_county(path, warn=False)
    assert_same_county(
        loaded,
        expected_counties[variant.county],
        compare_provenance=variant.compare_provenance,
        facility_key="id" if variant.style.facility_ids else "name",
        indicators=indicator_cache,
    )


@pytest.mark.parametrize(
    "name", [n for n, v in VARIANTS.items() if v.style.decorations and v.kind == "xlsx"]
)
def test_total_rows_are_ignored_and_reported(name: str, corpus: dict[str, object]) -> None:
    written = corpus[name]
    assert written.total_rows  # type: ignore[attr-defined]
    report, errors = _errors(written.path)  # type: ignore[attr-defined]
    assert not errors, _shown(errors)
    for sheet, row in written.total_rows:  # type: ignore[attr-defined]
        found = [p for p in report.problems if p.sheet == sheet and p.row == row]  # type: ignore[attr-defined]
        assert found and all(p.severity == "warning" for p in found), (
            f"the 合计 row {row} of sheet {sheet!r} is not reported as a skipped row: "
            f"{[str(p) for p in report.problems if p.sheet == sheet][:10]}"  # type: ignore[attr-defined]
        )


def _mentions(county: County, source: object, file_name: str) -> bool:
    """True when a source cell names the file, directly or through a sources row."""
    if _na(source) or not str(source).strip():
        return False
    text = str(source)
    if file_name in text:
        return True
    titles = (
        county.sources.set_index(county.sources["id"].astype(str)) if len(county.sources) else None
    )
    if titles is None:
        return False
    for sid in text.replace("；", ";").split(";"):
        if sid.strip() in titles.index:
            row = titles.loc[sid.strip()]
            if any(file_name in str(row.get(c, "")) for c in ("title", "note", "issuer")):
                return True
    return False


@pytest.mark.parametrize("name", [n for n, v in VARIANTS.items() if not v.style.sources])
def test_without_sources_everything_is_sourced_to_the_workbook(
    name: str, corpus: dict[str, object]
) -> None:
    """No 数据来源 sheet: every row and figure is sourced to the user's workbook."""
    path: Path = corpus[name].path  # type: ignore[attr-defined]
    county = tcmcounty.load_county(path, warn=False)
    unsourced: list[str] = []
    for table in ("townships", "villages", "facilities", "alliances"):
        df = getattr(county, table)
        bad = [i for i, s in enumerate(df["source"]) if not _mentions(county, s, path.name)]
        if bad:
            unsourced.append(f"{len(bad)} {table} rows (first: {df['source'].iloc[bad[0]]!r})")
    for group in ("population", "resources"):
        for key, entry in getattr(county, group).items():
            for part in ("official", "estimate"):
                fig = getattr(entry, part)
                if fig is not None and not _mentions(county, fig.source, path.name):
                    unsourced.append(f"{group}.{key} {part} (source {fig.source!r})")
    assert not unsourced, f"not sourced to {path.name}: {unsourced}"


@pytest.mark.parametrize("name", list(VARIANTS))
def test_inspect_shows_how_every_variant_is_read(
    name: str, corpus: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    from tcmcounty.cli import main

    path: Path = corpus[name].path  # type: ignore[attr-defined]
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    tables = ("townships", "villages", "facilities") + (() if path.is_dir() else ("county",))
    for table in tables:  # a folder's county.toml is TOML: no headers to match
        assert f"-> {table}: recognised by" in out or f"-> {table}: file" in out, (
            table,
            out[:2000],
        )
    assert "-> type (" in out  # the facility type column, however it was headed
