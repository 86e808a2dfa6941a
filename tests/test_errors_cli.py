"""Which errors the command line calls the user's (exit 2) and which a bug (exit 70)."""

from __future__ import annotations

import errno

import pytest

import tcmcounty.cli as cli
from tcmcounty.errors import ArgumentError, ArgumentTypeError, NotebookFailed, TcmCountyError
from tcmcounty.spatial.coverage import parse_threshold


def _run(
    exc: BaseException, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    def boom(args: object) -> None:
        raise exc

    monkeypatch.setattr(cli, "check_files", boom)
    code = cli.main(["list"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "exc",
    [
        ArgumentError("radius must be >= 0"),
        NotebookFailed("county.ipynb", 3, "KeyError", "'x'"),
        FileNotFoundError(errno.ENOENT, "No such file or directory", "villages.csv"),
        PermissionError(errno.EACCES, "Permission denied", "out/report.html"),
        OSError(errno.ENOSPC, "No space left on device"),
    ],
)
def test_the_users_errors_exit_2(
    exc: BaseException, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TCMCOUNTY_DEBUG", raising=False)
    code, said = _run(exc, monkeypatch, capsys)
    assert code == 2 and said.startswith("error: ") and "bug" not in said


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("operands could not be broadcast together"),
        KeyError("township_code"),
        TypeError("unsupported operand"),
        OSError("voila templates not found"),
        ConnectionResetError(errno.ECONNRESET, "reset"),
    ],
)
def test_anything_else_is_a_bug_exit_70(
    exc: BaseException, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TCMCOUNTY_DEBUG", raising=False)
    code, said = _run(exc, monkeypatch, capsys)
    assert code == cli.EXIT_BUG == 70
    assert type(exc).__name__ in said and "bug in tcmcounty" in said and "程序错误" in said
    assert "TCMCOUNTY_DEBUG=1" in said and "Traceback" not in said


def test_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TCMCOUNTY_DEBUG", "1")
    with pytest.raises(KeyError):
        _run(KeyError("x"), monkeypatch, capsys)


def test_argument_errors_are_still_value_and_type_errors() -> None:
    with pytest.raises(ArgumentError) as info:
        parse_threshold("-3km")
    assert isinstance(info.value, ValueError) and isinstance(info.value, TcmCountyError)
    assert issubclass(ArgumentTypeError, TypeError) and issubclass(NotebookFailed, TcmCountyError)
