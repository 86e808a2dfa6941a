"""``tcmcounty report``, ``tcmcounty batch`` and ``tcmcounty run``: HTML reports with papermill."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tcmcounty.reporting.parameters import ReportParameters
    from tcmcounty.reporting.records import JobRecord

#: The bundled counties rendered by ``tcmcounty run``.
MAIN_COUNTIES = ("512021-anyue", "140823-wenxi")


def _add_params(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("report parameters / 报告参数")
    g.add_argument(
        "--population",
        choices=("resident", "registered"),
        default="resident",
        help="population basis: resident 常住 (default) or registered 户籍",
    )
    g.add_argument(
        "--thresholds",
        default="1,2,5,10",
        metavar="KM,KM",
        help="coverage thresholds in km, comma-separated (default 1,2,5,10)",
    )
    g.add_argument(
        "--targets", metavar="FILE", help="targets file (default: national 2025 targets)"
    )
    g.add_argument(
        "--report-date",
        metavar="YYYY-MM-DD",
        help="date the plan timetable and tasks (late or not) are read against (default today)",
    )
    g.add_argument(
        "--language",
        choices=("zh-en", "zh", "en"),
        default="zh-en",
        help="report language (default zh-en)",
    )
    g.add_argument(
        "--roads",
        metavar="FILE",
        help="road layer (.osm.pbf / .gpkg / .shp / .geojson): coverage in minutes too, "
        "see docs/travel.md / 路网：同时给出出行时间覆盖",
    )
    g.add_argument(
        "--friction",
        metavar="FILE.tif",
        help="friction raster (minutes per metre) instead of roads",
    )
    g.add_argument(
        "--mode",
        choices=("walk", "motor"),
        default="walk",
        help="travel mode over --roads (default walk)",
    )
    g.add_argument("--show-code", action="store_true", help="show the notebook code in the HTML")
    g.add_argument(
        "--template",
        metavar="NOTEBOOK",
        help="county report template (default notebooks/county_report.ipynb)",
    )
    g.add_argument(
        "--timeout", type=float, default=600.0, metavar="S", help="seconds per report (default 600)"
    )
    g.add_argument(
        "--retries",
        type=int,
        default=1,
        metavar="K",
        help="retries after a transient kernel failure (default 1)",
    )
    g.add_argument(
        "--kernel",
        metavar="NAME",
        help="Jupyter kernel for --engine kernel (default $TCMCOUNTY_KERNEL or python3)",
    )
    g.add_argument(
        "--engine",
        choices=("inprocess", "kernel"),
        default="inprocess",
        help="inprocess (default): run the notebook inside the worker, in a fresh namespace; "
        "kernel: a fresh Jupyter kernel per report (for templates with magics or pyplot) "
        "/ 执行方式",
    )


def _params(args: argparse.Namespace) -> ReportParameters:
    """Check the report parameters given on the command line (the edge: checked once here)."""
    from tcmcounty.reporting.parameters import ReportParameters

    return ReportParameters.from_raw(
        population=args.population,
        thresholds_km=args.thresholds,
        targets=args.targets,
        report_date=args.report_date,
        language=args.language,
        require_county=False,
        roads=getattr(args, "roads", None),
        friction=getattr(args, "friction", None),
        mode=getattr(args, "mode", "walk"),
    )


def _add_batch(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out", "-o", default="reports", metavar="DIR", help="output folder (default reports/)"
    )
    p.add_argument(
        "--workers", "-j", type=int, metavar="N", help="parallel reports (default: one per CPU)"
    )
    p.add_argument("--force", action="store_true", help="re-render reports that are up to date")
    p.add_argument(
        "--dask",
        metavar="ADDRESS|local",
        help="run on Dask: 'local' starts a LocalCluster on 127.0.0.1, or a scheduler address",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _run(**kw: Any) -> int:
    """Run a batch from the command line; a terminating signal gives 128 + its number.

    The batch installs its own signal handlers (:func:`tcmcounty.run.batch.stop_on_signals`):
    SIGTERM / SIGHUP end here as :class:`~tcmcounty.run.batch.Terminated`, SIGINT as
    ``KeyboardInterrupt`` (exit 130 in :func:`tcmcounty.cli.main`), whatever the process
    inherited.
    """
    from tcmcounty.run.batch import Terminated, run_batch

    try:
        result = run_batch(**kw)
    except Terminated as exc:
        name = signal.Signals(exc.signum).name
        print(
            f"terminated by {name}; the status table says what was done / 已被 {name} 终止",
            file=sys.stderr,
        )
        return 128 + exc.signum
    return _finish(result)


def _finish(result: Any) -> int:
    print(result.summary(), file=sys.stderr if result.failed else sys.stdout)
    print(f"index / 索引: {result.out_dir / 'index.html'}")
    return int(result.exit_code)


def cmd_report(args: argparse.Namespace) -> int:
    """Render one county's report (or, with --compare, a comparison of the counties given)."""
    from tcmcounty.run.index import write_index
    from tcmcounty.run.report import OutputLock, render_comparison, render_report

    params = _params(args)
    common = {
        "show_code": args.show_code,
        "timeout": args.timeout,
        "retries": args.retries,
        "kernel_name": args.kernel,
        "engine": args.engine,
    }
    if args.pdf:
        from tcmcounty.run.pdf import require_engine

        require_engine()  # before any work: a missing engine is exit 2, naming what to install
    if args.compare:
        with OutputLock(args.out, "tcmcounty report --compare"):
            rec = render_comparison(
                args.county,
                args.out,
                template=args.template,
                lock=False,
                pdf=args.pdf,
                parameters=params,
                **common,
            )
            write_index(args.out)
        print(f"{Path(args.out) / (rec.name + '.html')} ({(rec.html_bytes or 0) / 1024:.0f} KB)")
        _print_pdf_path(args, rec)
        return 0
    if len(args.county) != 1:
        print(
            "error: give one county, or several with --compare / 请给出一个县（比较多个县请加 --compare）",
            file=sys.stderr,
        )
        return 2
    rec = render_report(
        args.county[0],
        args.out,
        template=args.template,
        pdf=args.pdf,
        parameters=params,
        **common,
    )
    print(
        f"{Path(args.out) / (rec.name + '.html')} ({(rec.html_bytes or 0) / 1024:.0f} KB, "
        f"{rec.durations['total']:.1f} s)"
    )
    _print_pdf_path(args, rec)
    return 0


def _print_pdf_path(args: argparse.Namespace, rec: JobRecord) -> None:
    """Print the path and size of the PDF written beside the report (with ``--pdf``)."""
    if args.pdf:
        pdf = Path(args.out) / f"{rec.name}.pdf"
        print(f"{pdf} ({pdf.stat().st_size / 1024:.0f} KB)")


def cmd_batch(args: argparse.Namespace) -> int:
    """Render every county under the given folders."""
    comparisons = [[c.strip() for c in g.split(",") if c.strip()] for g in (args.compare or [])]
    return _run(
        inputs=args.inputs,
        out_dir=args.out,
        workers=args.workers,
        timeout=args.timeout,
        retries=args.retries,
        force=args.force,
        dask=args.dask,
        template=args.template,
        comparisons=comparisons,
        parameters=_params(args),
        kernel_name=args.kernel,
        show_code=args.show_code,
        progress=not args.no_progress,
        engine=args.engine,
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Run the main job: both bundled counties, their comparison, index.html and summary.xlsx."""
    return _run(
        inputs=list(MAIN_COUNTIES),
        out_dir=args.out,
        workers=args.workers,
        timeout=args.timeout,
        retries=args.retries,
        force=args.force,
        dask=args.dask,
        template=args.template,
        comparisons=[list(MAIN_COUNTIES)],
        parameters=_params(args),
        kernel_name=args.kernel,
        show_code=args.show_code,
        progress=not args.no_progress,
        engine=args.engine,
    )


def register(subparsers: Any) -> None:
    """Add the ``report``, ``batch`` and ``run`` subcommands."""
    p = subparsers.add_parser(
        "report",
        help="render one county's HTML report / 生成一个县的报告",
        description="Execute the report notebook for one county with papermill and write self-contained HTML "
        "(code hidden), the executed notebook and a JSON record into --out.",
    )
    p.add_argument("county", nargs="+", help="bundle folder, .xlsx workbook or bundled county name")
    p.add_argument(
        "--out", "-o", default="reports", metavar="DIR", help="output folder (default reports/)"
    )
    p.add_argument("--compare", action="store_true", help="render the given counties side by side")
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also print the report to an A4 <name>.pdf beside the HTML (needs Chromium: "
        "apt-get install chromium, or $TCMCOUNTY_CHROMIUM) / 同时生成 PDF",
    )
    _add_params(p)
    p.set_defaults(func=cmd_report)

    b = subparsers.add_parser(
        "batch",
        help="render reports for many counties in parallel / 批量生成报告",
        description="Render a report for every county bundle or workbook under DIR..., in parallel, resumable "
        "(up-to-date reports are skipped), with batch_status.csv, index.html and summary.xlsx. "
        "Exit code 1 when any county failed.",
    )
    b.add_argument(
        "inputs",
        nargs="+",
        metavar="DIR",
        help="bundle folders, workbooks, or folders holding them",
    )
    b.add_argument(
        "--compare",
        action="append",
        metavar="A,B",
        help="also render these counties side by side (repeatable)",
    )
    _add_batch(b)
    _add_params(b)
    b.set_defaults(func=cmd_batch)

    r = subparsers.add_parser(
        "run",
        help="main job: Anyue and Wenxi reports, their comparison, index and summary / 主任务",
        description="Render the bundled counties (安岳县 512021-anyue, 闻喜县 140823-wenxi), the Anyue–Wenxi "
        "comparison, index.html and summary.xlsx into --out (default reports/).",
    )
    _add_batch(r)
    _add_params(r)
    r.set_defaults(func=cmd_run)
