"""A papermill engine that executes a notebook in this process, in a fresh namespace.

A report template only loads results the worker has already computed and assembles HTML, so
most of the cost of a kernel per report — starting it, importing the library again, loading
the results from disk, sending every output over a socket — is overhead. The engine runs the
notebook's cells in the calling process instead, through papermill's documented engine
interface (:class:`papermill.engines.Engine`, registered in papermill's registry under
:data:`ENGINE_NAME` when first used — not as a ``papermill.engine`` entry point, which would make
every ``import papermill`` load this library): papermill still injects the
parameters cell, tracks each cell's state and raises
:class:`~papermill.exceptions.PapermillExecutionError` for a cell that failed, and the
executed notebook is saved as with a kernel.

Isolation
    Each notebook gets a new namespace (a ``dict`` with fresh ``__builtins__``): a variable
    set by one county's notebook is never visible to the next. Imported modules stay loaded
    (that is the point); a worker that ran a failing notebook is replaced by the batch, and
    every worker is replaced after :data:`tcmcounty.run.batch.JOBS_PER_WORKER` jobs.
Outputs
    The value of a cell's last expression becomes an ``execute_result`` formatted by
    IPython's :class:`~IPython.core.formatters.DisplayFormatter` (the same rich formats a
    kernel sends), ``display(obj)`` calls inside the notebook become ``display_data``, and
    what the cell prints becomes ``stream`` outputs. A raised exception becomes an ``error``
    output with its traceback, and execution stops there, as in a kernel.
Time limit
    ``execution_timeout`` bounds the whole notebook. In the main thread a ``SIGALRM`` timer
    interrupts the cell (also inside ``time.sleep``); in another thread (a Dask worker) the
    exception is raised asynchronously in that thread at the next bytecode. Either way the
    caller gets :class:`~tcmcounty.run.execute.KernelTimeoutError`; a worker stuck in C code
    past that is stopped by the batch's own limit.

What it does not do: IPython magics (``%time``, ``!ls``) and pyplot's inline figures. A
template that needs them runs with ``engine="kernel"`` (a fresh Jupyter kernel per notebook).
"""

from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import ctypes
import io
import linecache
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator
from typing import Any

#: Name of the engine in papermill's registry (after :func:`engine_class`).
ENGINE_NAME = "tcmcounty-inprocess"
#: The engines :func:`tcmcounty.run.execute.execute_template` knows.
ENGINES = ("inprocess", "kernel")


class NotebookDeadline(BaseException):
    """Raised inside a cell when the notebook's time limit is reached.

    A ``BaseException``, so that a cell's ``except Exception`` cannot swallow it.
    """


class _Outputs:
    """Collects one cell's outputs in order (streams are merged per name until a display)."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def stream(self, name: str, text: str) -> None:
        import nbformat

        if not text:
            return
        last = self.items[-1] if self.items else None
        if last is not None and last.get("output_type") == "stream" and last.get("name") == name:
            last["text"] += text
        else:
            self.items.append(nbformat.v4.new_output("stream", name=name, text=text))

    def rich(self, kind: str, obj: object, execution_count: int | None = None) -> None:
        import nbformat

        data, metadata = _format(obj)
        if not data:
            return
        if kind == "execute_result":
            out = nbformat.v4.new_output(
                "execute_result", data=data, metadata=metadata, execution_count=execution_count
            )
        else:
            out = nbformat.v4.new_output("display_data", data=data, metadata=metadata)
        self.items.append(out)


class _Tee(io.TextIOBase):
    """A text stream that feeds one named stream of :class:`_Outputs`."""

    def __init__(self, outputs: _Outputs, name: str) -> None:
        self._outputs, self._name = outputs, name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._outputs.stream(self._name, str(text))
        return len(text)


_FORMATTER: list[Any] = []


def _format(obj: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """Format ``obj`` as a kernel would: a mime bundle of JSON-able values."""
    if not _FORMATTER:
        from IPython.core.formatters import DisplayFormatter

        _FORMATTER.append(DisplayFormatter())
    data, metadata = _FORMATTER[0].format(obj)
    clean: dict[str, Any] = {}
    for mime, value in data.items():
        if isinstance(value, bytes):  # images: base64 text, as ipykernel sends them
            clean[mime] = base64.b64encode(value).decode("ascii")
        elif mime.endswith("json") or isinstance(value, str):
            clean[mime] = value
        else:
            clean[mime] = str(value)
    return clean, dict(metadata or {})


def fresh_namespace() -> dict[str, Any]:
    """Return the namespace a notebook starts with: ``__name__`` is ``"__main__"``, nothing else.

    Examples
    --------
    >>> ns = fresh_namespace()
    >>> sorted(ns)
    ['__builtins__', '__name__']
    """
    return {"__name__": "__main__", "__builtins__": builtins}


def _compile_cell(source: str, filename: str) -> tuple[Any, Any]:
    """Compile a cell: its statements, and its last expression apart (its value is shown)."""
    tree = ast.parse(source, filename=filename, mode="exec")
    last = None
    final = tree.body[-1] if tree.body else None
    if isinstance(final, ast.Expr):
        tree.body.pop()
        last = ast.Expression(final.value)
    body = compile(tree, filename, "exec")
    tail = compile(last, filename, "eval") if last is not None else None
    return body, tail


def _traceback(exc: BaseException, filename_prefix: str) -> list[str]:
    """Traceback lines of ``exc`` from the first frame of the cell on."""
    frames = traceback.extract_tb(exc.__traceback__)
    keep = [f for f in frames if f.filename.startswith(filename_prefix)]
    start = frames.index(keep[0]) if keep else 0
    lines = traceback.format_list(frames[start:])
    lines += traceback.format_exception_only(type(exc), exc)
    return ["Traceback (most recent call last):", *(line.rstrip("\n") for line in lines)]


def run_cell(
    source: str, namespace: dict[str, Any], *, index: int, execution_count: int
) -> tuple[list[Any], BaseException | None]:
    r"""Execute one cell's ``source`` in ``namespace``; return its outputs and the exception, if any.

    Parameters
    ----------
    source : str
        Python code (no IPython magics).
    namespace : dict
        Globals of the notebook (see :func:`fresh_namespace`).
    index : int
        Position of the cell in the notebook (names it in tracebacks).
    execution_count : int
        Number shown beside the result.

    Examples
    --------
    >>> ns = fresh_namespace()
    >>> outputs, error = run_cell("x = 2\nprint('hi')\nx * 21", ns, index=0, execution_count=1)
    >>> [o["output_type"] for o in outputs], outputs[-1]["data"]["text/plain"], error
    (['stream', 'execute_result'], '42', None)
    >>> outputs, error = run_cell("1 / 0", ns, index=1, execution_count=2)
    >>> outputs[-1]["ename"], type(error).__name__
    ('ZeroDivisionError', 'ZeroDivisionError')
    """
    outputs = _Outputs()
    filename = f"<notebook cell {index}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)

    def display(*objs: object, **_: object) -> list[None]:
        # a list with one None per object, as it always returned (IPython's display: None)
        for o in objs:
            outputs.rich("display_data", o)
        return [None] * len(objs)

    namespace["display"] = display
    error: BaseException | None = None
    with (
        contextlib.redirect_stdout(_Tee(outputs, "stdout")),
        contextlib.redirect_stderr(_Tee(outputs, "stderr")),
    ):
        try:
            body, tail = _compile_cell(source, filename)
            exec(body, namespace)
            if tail is not None:
                value = eval(tail, namespace)
                if value is not None:
                    outputs.rich("execute_result", value, execution_count)
        except (NotebookDeadline, KeyboardInterrupt):
            raise
        except BaseException as exc:  # a cell's error is an output, as in a kernel
            error = exc
    if error is not None:
        import nbformat

        outputs.items.append(
            nbformat.v4.new_output(
                "error",
                ename=type(error).__name__,
                evalue=str(error),
                traceback=_traceback(error, "<notebook cell"),
            )
        )
    return outputs.items, error


class _NotebookStart(Warning):
    """Never raised: adding a filter for it makes every module forget the warnings it showed."""


@contextlib.contextmanager
def _fresh_warnings() -> Iterator[None]:
    """Warnings as a fresh process shows them: a warning shown once for one notebook shows again.

    Python shows a ``"default"`` warning once per code location and process; a kernel per
    notebook would show it in every report. Changing the filters (here: one for a class that is
    never raised) makes every module forget what it has shown; the filters are restored after.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _NotebookStart)
        warnings.showwarning = _show_warning  # to the cell's stderr, as in a kernel
        yield


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`NotebookDeadline` in the current thread after ``seconds`` (``None``: never)."""
    if not seconds or seconds <= 0:
        yield
        return
    if threading.current_thread() is threading.main_thread():

        def on_alarm(signum: int, frame: object) -> None:
            raise NotebookDeadline

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    ident = threading.get_ident()
    done = threading.Event()

    def fire() -> None:
        if not done.is_set():
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(ident), ctypes.py_object(NotebookDeadline)
            )

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        done.set()
        timer.cancel()


def _engine_class() -> type:
    from papermill.engines import Engine

    class InProcessEngine(Engine):  # type: ignore[misc]
        """Papermill engine: the cells run in this process, in a fresh namespace."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            execution_timeout: float | None = None,
            **kwargs: Any,
        ) -> Any:
            namespace = fresh_namespace()
            count = 0
            with deadline(execution_timeout), _fresh_warnings():
                for index, cell in enumerate(nb_man.nb.cells):
                    nb_man.cell_start(cell, index)
                    try:
                        if cell.cell_type != "code":
                            continue
                        count += 1
                        cell.execution_count = count
                        outputs, error = run_cell(
                            cell.source, namespace, index=index, execution_count=count
                        )
                        cell.outputs = outputs
                        if error is not None:
                            nb_man.cell_exception(cell, cell_index=index, exception=error)
                            break
                    finally:
                        nb_man.cell_complete(cell, cell_index=index)
            namespace.clear()
            _LAST.nb = nb_man.nb
            return nb_man.nb

    return InProcessEngine


_REGISTERED: list[type] = []
_LAST = threading.local()


def last_notebook() -> Any:
    """Return the notebook this thread executed last (with its outputs up to the failed cell), or ``None``."""
    return getattr(_LAST, "nb", None)


def engine_class() -> type:
    """Return the engine class (registered in papermill's registry under :data:`ENGINE_NAME`).

    Examples
    --------
    >>> from papermill.engines import papermill_engines
    >>> engine_class() is papermill_engines.get_engine(ENGINE_NAME)
    True
    """
    if not _REGISTERED:
        from papermill.engines import papermill_engines

        cls = _engine_class()
        papermill_engines.register(ENGINE_NAME, cls)
        _REGISTERED.append(cls)
    return _REGISTERED[0]


def __getattr__(name: str) -> Any:
    # ``tcmcounty.run.engine.InProcessEngine``: the class is built (and registered with
    # papermill) on first use, so that importing this module does not import papermill.
    if name == "InProcessEngine":
        return engine_class()
    raise AttributeError(name)
