"""The ``tcmcounty`` command line.

Each module of this package adds its subcommands with a ``register(subparsers)`` function;
:func:`tcmcounty.cli.checks.apply_checks` then gives every numeric option its checked type,
and :func:`tcmcounty.cli.checks.check_files` checks every file given to an option before any
work. Every :class:`~tcmcounty.errors.TcmCountyError` becomes a message and exit code 2; any
other exception is a bug, reported as one with exit code 70; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from collections.abc import Sequence

from tcmcounty._version import __version__
from tcmcounty.cli.checks import apply_checks, check_files
from tcmcounty.cli.zh import bilingual
from tcmcounty.errors import InputError, TcmCountyError

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


#: Commands whose start time is measured: only their own module is imported for them
#: (``tcmcounty app`` starts a server; the analyses' modules would cost it half a second).
FAST_COMMANDS = {"app": "app"}


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """Return the argument parser with the subcommands of ``modules`` (default: all)."""
    parser = argparse.ArgumentParser(
        prog="tcmcounty",
        description="全国基层中医药工作示范县 indicators, coverage and reports / 示范县指标、覆盖与报告",
    )
    parser.add_argument("--version", action="version", version=f"tcmcounty {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in modules:
        try:
            module = importlib.import_module(f"tcmcounty.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"tcmcounty.cli.{name}":
                continue
            raise
        module.register(sub)
    return bilingual(apply_checks(parser))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Exit 2 is for what the user can fix: every :class:`~tcmcounty.errors.TcmCountyError` (bad
    input files, arguments out of range, a county not found, a report that failed) and a file
    the system refuses (:func:`user_file_problem`). Anything else is a bug in tcmcounty:
    a short bilingual note with the exception and where to report it, exit 70
    (``EX_SOFTWARE``); ``TCMCOUNTY_DEBUG=1`` shows the traceback instead.
    """
    given = list(sys.argv[1:] if argv is None else argv)
    fast = FAST_COMMANDS.get(given[0]) if given else None
    parser = build_parser((fast,) if fast else COMMAND_MODULES)
    args = parser.parse_args(given)
    try:
        check_files(args)  # every file given to an option is of its kind, before any work
        return int(args.func(args) or 0)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except TcmCountyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted / 已中断", file=sys.stderr)
        return 130
    except OSError as exc:
        if user_file_problem(exc):
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INPUT
        return _bug(exc)
    except Exception as exc:
        return _bug(exc)


#: ``errno`` values of a file problem the user can fix (missing, not allowed, disk full ...).
_USER_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "ENOENT",
        "EACCES",
        "EPERM",
        "EISDIR",
        "ENOTDIR",
        "EEXIST",
        "ENOSPC",
        "EROFS",
        "ENAMETOOLONG",
        "ELOOP",
        "EDQUOT",
        "EFBIG",
        "EMFILE",
    )
    if hasattr(errno, name)
)


def user_file_problem(exc: OSError) -> bool:
    """Tell an :class:`OSError` about a file the user can fix from a fault of the program.

    A missing or unreadable file, a folder where a file was expected, a full or read-only disk
    is the user's to fix (exit 2); an OSError with no such ``errno`` (a socket, a broken
    pipe, one raised without an errno) is not.

    Examples
    --------
    >>> user_file_problem(FileNotFoundError(2, "No such file or directory", "x.csv"))
    True
    >>> user_file_problem(OSError("voila templates not found"))
    False
    """
    return exc.errno in _USER_ERRNOS


#: ``sysexits.h``: an internal software error.
EXIT_BUG = 70


def _bug(exc: BaseException) -> int:
    """Report an unexpected exception as a bug of tcmcounty (exit 70), or re-raise it to debug."""
    if os.environ.get("TCMCOUNTY_DEBUG"):
        raise exc
    print(
        f"internal error / 内部错误: {type(exc).__name__}: {exc}\n"
        "This is a bug in tcmcounty, not a fault in your files. Please report it to the "
        "tcmcounty maintainers (the project's issue tracker) with the command you ran and this "
        "message; rerun with TCMCOUNTY_DEBUG=1 to see the traceback.\n"
        "这是 tcmcounty 的程序错误，不是您的文件有误。请将所运行的命令和本条信息报告给 tcmcounty "
        "维护者（项目的问题跟踪页）；设置 TCMCOUNTY_DEBUG=1 重新运行可查看详细回溯。",
        file=sys.stderr,
    )
    return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
