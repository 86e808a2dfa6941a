"""``tcmcounty app``: the planner's workbench in the browser (``notebooks/workbench.ipynb`` by Voila)."""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from tcmcounty.errors import ArgumentError

#: Seconds to wait for the server to listen before giving up.
START_TIMEOUT = 60.0
#: Seconds after the start to wait at most for the kept-ready kernel before printing the address.
KERNEL_TIMEOUT = 30.0
#: Seconds after a page took the kept-ready kernel before the next one is started (so that
#: starting it does not slow the page being drawn on a small machine).
REFILL_DELAY = 5.0
#: What Voila logs when its kernel pool is filled (the address is printed then).
POOL_FILLED = b"is filled with"
LOOPBACK = "127.0.0.1"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``app`` subcommand."""
    p = sub.add_parser(
        "app",
        help="open the planner's workbench in the browser / 在浏览器中打开创建工作台",
        description="Start the workbench (load a workbook, correct how it was read, readiness, "
        "map, what-if siting, downloads) on this computer and print its address; open it in a "
        "browser. Ctrl-C stops it and removes every uploaded file.",
    )
    p.add_argument(
        "--port",
        type=int,
        default=8866,
        help="port to listen on (default 8866; 0: any free port) / 端口（默认 8866；0 为任一空闲端口）",
    )
    p.add_argument(
        "--host",
        default=LOOPBACK,
        help="address to listen on (default 127.0.0.1: this computer only; another address "
        "lets anyone on that network use the workbench and read what is uploaded) / 监听地址"
        "（默认 127.0.0.1，仅本机；其他地址则该网络上任何人都可使用并看到上传的文件）",
    )
    p.set_defaults(func=_app)


def _forward(stream: IO[bytes] | None, ready: threading.Event, stopping: threading.Event) -> None:
    """Copy the server's log to ours; set ``ready`` when its kernel pool is filled.

    Voila's own "running at" address is left out: the address to open is the one printed
    when the page is ready (a browser asking before would start a kernel of its own). Once
    ``stopping`` is set nothing more is copied: a kernel stopped while it was starting (the
    one kept ready) reports its closed sockets, which says nothing about the pages.
    """
    if stream is None:  # pragma: no cover - always a pipe here
        ready.set()
        return
    address_next = False
    for line in iter(stream.readline, b""):
        if b"is running at" in line or (address_next and line.strip().startswith(b"http")):
            address_next = b"is running at" in line
            continue
        address_next = False
        if stopping.is_set():
            continue
        sys.stderr.buffer.write(line)
        sys.stderr.flush()
        if POOL_FILLED in line:
            ready.set()
    ready.set()


def free_port(host: str = LOOPBACK) -> int:
    """Return a port that is free on ``host`` now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_to_listen(host: str, port: int) -> int:
    """Return the port a server can listen on at ``host`` now: ``port``, or a free one for 0.

    Raises
    ------
    ArgumentError
        In words, when it cannot: a host unknown here or not this computer's, a port in use or
        reserved.

    Examples
    --------
    >>> port_to_listen(LOOPBACK, 0) > 0
    True
    >>> port_to_listen("no-such-host.invalid", 0)
    Traceback (most recent call last):
    ...
    tcmcounty.errors.ArgumentError: --host no-such-host.invalid: no computer of that name or address is known here / 无法识别主机 no-such-host.invalid（名称或地址不存在）
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError):
        raise ArgumentError(
            f"--host {host}: no computer of that name or address is known here / 无法识别主机 "
            f"{host}（名称或地址不存在）"
        ) from None
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
        try:
            s.bind(address)
        except OSError as exc:
            raise ArgumentError(_bind_failure(host, port, exc)) from None
        return int(s.getsockname()[1])


def _bind_failure(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is in use on {host}: give another with --port / 端口 {port} 已被占用，请用 --port 指定其他端口"
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"--host {host} is not an address of this computer: leave --host out (this computer "
            f"only) or give one of its own addresses / {host} 不是本机地址：请省略 --host（仅本机）"
            "或填写本机的地址"
        )
    if exc.errno == errno.EACCES:
        return (
            f"port {port} needs administrator rights here: give one above 1023 with --port / 端口 "
            f"{port} 需要管理员权限，请用 --port 指定 1023 以上的端口"
        )
    return (
        f"cannot listen on {host} port {port}: {exc.strerror} / 无法在 {host} 的端口 {port} 上监听"
    )


def _listening(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host if host not in ("0.0.0.0", "::") else LOOPBACK, port)) == 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def voila_command(notebook: Path, host: str, port: int) -> list[str]:
    """Return the command serving ``notebook`` with Voila on ``host:port``.

    The rest of the configuration is :func:`write_config` (read from the notebook's folder).
    One kernel is kept ready (``--preheat_kernel``): it has run the notebook, and read the
    county the page opens with, before a browser asks for the page; a page takes it and the
    next one is started :data:`REFILL_DELAY` seconds later.

    Examples
    --------
    >>> cmd = voila_command(Path("/tmp/w.ipynb"), "127.0.0.1", 8866)
    >>> cmd[1:3], "--port=8866" in cmd, "--show_tracebacks=False" in cmd
    (['-m', 'voila'], True, True)
    """
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.port_retries=0",
        f"--Voila.ip={host}",
        "--show_tracebacks=False",
        "--theme=light",
        "--preheat_kernel=True",
        "--pool_size=1",
        f"--VoilaKernelManager.fill_delay={REFILL_DELAY}",
    ]


def write_config(serve: Path, share: Path) -> None:
    """Write Voila's settings beside the notebook and an offline copy of its page template.

    * ``voila.json``: the page's websocket takes an upload of the readers' size limit (plus
      room for the message around it); tornado's default is 10 MB.
    * ``share/voila/templates/lab``: Voila's own ``lab`` template without the two stylesheet
      links to a CDN (the icons are in Voila's bundle already), so the page asks nothing of
      the internet; ``JUPYTER_PATH`` puts it first.
    """
    import json
    from importlib.metadata import version

    from tcmcounty.app import upload_limit

    limit = upload_limit() + 8 * 2**20
    config = {"Voila": {"tornado_settings": {"websocket_max_message_size": limit}}}
    (serve / "voila.json").write_text(json.dumps(config), encoding="utf-8")
    found = [
        Path(p) / "voila" / "templates" / "lab"
        for p in _jupyter_data_paths()
        if (Path(p) / "voila" / "templates" / "lab" / "index.html.j2").is_file()
    ]
    if not found:  # pragma: no cover - voila ships its templates
        raise OSError(f"voila {version('voila')} templates not found")
    out = share / "voila" / "templates" / "lab"
    shutil.copytree(found[0], out)
    page = out / "index.html.j2"
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    page.write_text("".join(ln for ln in lines if "cdn.jsdelivr.net" not in ln), encoding="utf-8")


def _jupyter_data_paths() -> list[str]:
    from jupyter_core.paths import jupyter_path

    return list(jupyter_path())


def _app(args: argparse.Namespace) -> int:
    from tcmcounty.app import TMP_ENV
    from tcmcounty.run.report import template_path

    host = str(args.host)
    port = int(args.port)
    if not 0 <= port < 65536:
        raise ArgumentError(
            f"--port must be from 1 to 65535 (or 0: any free port), not {port} / 端口须为 1 至 "
            f"65535 之间的整数（或 0：任一空闲端口），不能是 {port}"
        )
    port = port_to_listen(host, port)
    if not _is_loopback(host):
        print(
            f"warning: listening on {host}: anyone who can reach this computer on that network "
            "can use the workbench and see what is uploaded / 警告：监听 "
            f"{host}，该网络上任何人都可使用工作台并看到上传的文件",
            file=sys.stderr,
        )
    root = Path(tempfile.mkdtemp(prefix="tcmcounty-app-"))
    serve, pages, share = root / "serve", root / "pages", root / "share"
    serve.mkdir()
    pages.mkdir()
    notebook = serve / "workbench.ipynb"
    shutil.copyfile(template_path("workbench"), notebook)
    write_config(serve, share)
    jupyter_path = os.pathsep.join(p for p in (str(share), os.environ.get("JUPYTER_PATH", "")) if p)
    env = {**os.environ, TMP_ENV: str(pages), "JUPYTER_PATH": jupyter_path}
    proc = subprocess.Popen(
        voila_command(notebook, host, port), env=env, cwd=serve, stderr=subprocess.PIPE
    )
    ready, stopping = threading.Event(), threading.Event()
    threading.Thread(target=_forward, args=(proc.stderr, ready, stopping), daemon=True).start()

    def stop(_signum: int, _frame: object) -> None:  # SIGTERM too: stop the server, clean up
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        t0 = time.monotonic()
        while not _listening(host, port):
            if proc.poll() is not None:
                print(
                    f"error: the workbench server stopped (exit {proc.returncode})", file=sys.stderr
                )
                return 1
            if time.monotonic() - t0 > START_TIMEOUT:
                print("error: the workbench server did not start / 工作台未能启动", file=sys.stderr)
                return 1
            time.sleep(0.05)
        # the kernel kept ready has started: a browser asking now gets it (asking earlier,
        # it would start a second kernel beside it and wait for both)
        ready.wait(max(0.0, KERNEL_TIMEOUT - (time.monotonic() - t0)))
        shown = host if host not in ("0.0.0.0", "::") else LOOPBACK
        print(
            f"工作台已启动 / workbench running: http://{shown}:{port}/\n"
            "在浏览器中打开此地址；按 Ctrl-C 停止 / open this address in a browser; Ctrl-C stops it",
            flush=True,
        )
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            stopping.set()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        with contextlib.suppress(OSError):
            shutil.rmtree(root)
