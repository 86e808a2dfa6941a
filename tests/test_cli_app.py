"""``tcmcounty app --port``: a port it cannot use is the user's error (exit 2), never a bug.

Only the argument check runs: the server is never started (the first step after the checks,
making the server's folder, fails the test if it is reached).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from types import SimpleNamespace

import pytest

import tcmcounty.cli as cli
import tcmcounty.cli.app as app

#: Runs ``tcmcounty app ARGS...``; returns the exit code and what was printed to stderr.
RunApp = Callable[..., tuple[int, str]]


def _no_server(*_args: object, **_kwargs: object) -> str:
    raise AssertionError("the port was accepted: the server would start")


@pytest.fixture
def run_app(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunApp:
    monkeypatch.delenv("TCMCOUNTY_DEBUG", raising=False)
    monkeypatch.setattr(app, "tempfile", SimpleNamespace(mkdtemp=_no_server))

    def run(*argv: str) -> tuple[int, str]:
        try:
            code = cli.main(["app", *argv])
        except SystemExit as exc:  # refused by the parser itself
            code = int(exc.code or 0)
        return code, capsys.readouterr().err

    return run


@pytest.mark.parametrize("port", ["99999", "65536", "abc", "-1"])
def test_a_port_out_of_range_is_an_argument_error(run_app: RunApp, port: str) -> None:
    code, said = run_app("--port", port)
    assert code == 2, said
    assert "--port" in said and port in said and "bug" not in said
    assert "端口" in said or "整数" in said  # in Chinese too


def test_a_port_in_use_is_an_argument_error(run_app: RunApp) -> None:
    with socket.socket() as taken:
        taken.bind((app.LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, said = run_app("--port", str(port), "--host", app.LOOPBACK)
    assert code == 2, said
    assert said.startswith("error: ") and f"port {port} is in use" in said and "已被占用" in said
    assert "bug" not in said


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("no-such-host.invalid", "no computer of that name or address is known here"),
        ("192.0.2.1", "is not an address of this computer"),  # TEST-NET-1, never a local address
    ],
)
def test_a_host_it_cannot_listen_on_is_named_as_such(
    run_app: RunApp, host: str, words: str
) -> None:
    code, said = run_app("--host", host, "--port", "0")
    assert code == 2, said
    assert words in said and host in said and "in use" not in said and "bug" not in said
    assert "warning" not in said  # refused before the warning about other computers
