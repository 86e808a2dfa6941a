"""The ``tcmcounty`` command line.

Each module of this package adds its subcommands with a ``register(subparsers)`` function;
:func:`tcmcounty.cli.checks.apply_checks` then gives every numeric option its checked type,
and :func:`tcmcounty.cli.checks.check_files` checks every file given to an option before any
work. Every :class:`~tcmcounty.errors.TcmCountyError` becomes a message and exit code 2; no
traceback reaches the user.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from tcmcounty import __version__
from tcmcounty.cli.checks import apply_checks, check_files
from tcmcounty.cli.zh import bilingual
from tcmcounty.errors import CountyNotFoundError, InputError, TcmCountyError

#: Modules of ``tcmcounty.cli`` that register subcommands (absent ones are skipped).
COMMAND_MODULES = (
    "data",
    "mapping",
    "indicators",
    "spatial",
    "planning",
    "reports",
    "readiness",
    "app",
)

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="tcmcounty",
        description="全国基层中医药工作示范县 indicators, coverage and reports / 示范县指标、覆盖与报告",
    )
    parser.add_argument("--version", action="version", version=f"tcmcounty {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"tcmcounty.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"tcmcounty.cli.{name}":
                continue
            raise
        module.register(sub)
    return bilingual(apply_checks(parser))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_files(args)  # every file given to an option is of its kind, before any work
        return int(args.func(args) or 0)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except (CountyNotFoundError, TcmCountyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted / 已中断", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("TCMCOUNTY_DEBUG"):
            raise
        print(
            f"internal error / 内部错误: {type(exc).__name__}: {exc}\n"
            "This is a bug in tcmcounty; rerun with TCMCOUNTY_DEBUG=1 for details and report it.",
            file=sys.stderr,
        )
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
