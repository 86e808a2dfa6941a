"""The deferred import of rfc3987_syntax (tcmcounty._deferred): faster, and the same behaviour."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("rfc3987_syntax")

IRIS = [
    "http://例子.测试/ü?q=1#f",
    "not an iri",
    "http://[::1]:80/",
    "http://a b/",
    "urn:isbn:0451450523",
]

CHECK = f"""
import json, sys, time
{{prelude}}
import nbformat, jsonschema
before = "lark" in sys.modules
fc = jsonschema.Draft7Validator.FORMAT_CHECKER
iri = [fc.conforms(s, "iri") for s in {IRIS!r}]
ref = [fc.conforms(s, "iri-reference") for s in {IRIS!r}]
print(json.dumps({{"lark_before": before, "iri": iri, "ref": ref, "lark_after": "lark" in sys.modules}}))
"""


def _run(prelude: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHECK.replace("{prelude}", prelude)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_tcmcounty_then_nbformat_does_not_compile_the_iri_grammars() -> None:
    got = _run("import tcmcounty")
    assert got["lark_before"] is False  # the 2-3 s import was not paid by reading notebooks
    assert got["lark_after"] is True  # the first IRI check imported the real package


def test_iri_formats_give_what_the_real_package_gives() -> None:
    with_standin = _run("import tcmcounty")
    plain = _run("")
    assert plain["lark_before"] is True  # without tcmcounty, nbformat pays for it up front
    assert with_standin["iri"] == plain["iri"]
    assert with_standin["ref"] == plain["ref"]
    assert plain["iri"][:2] == [True, False]  # the check really discriminates


def test_defer_leaves_an_imported_module_alone() -> None:
    from tcmcounty import _deferred

    mod = sys.modules.get("rfc3987_syntax")
    _deferred.defer()
    assert sys.modules.get("rfc3987_syntax") is mod
