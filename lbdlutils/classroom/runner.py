"""The process that runs one submission's code, inside the walls, and answers the grader's calls.

A fork server, started by :mod:`.reference` through :data:`BOOTSTRAP` (which leaves the network
while the process has one thread), imports torch and a copy of lbdlutils without the notebooks once,
then forks a fresh process per submission. That process cuts its ties to the server, walls itself in
(:func:`.sandbox.enter`), reads the chapter's set-up code and the student's exercise cells, and runs
them statement by statement (a failing line costs that line, not the cell). Then, for each ``call``,
it calls the student's function on the inputs sent and returns what it gave, as plain data
(:mod:`.wire`). Nothing here decides a grade: the checker runs in the grader's process.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import signal
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

# Run with `python -s -c BOOTSTRAP lib`: leaves the network before torch starts threads (the children inherit it).
BOOTSTRAP = (
    "import ctypes, sys; sys.argv.append(str(ctypes.CDLL(None).unshare(0x50000000) == 0)); "
    "import runpy; runpy.run_module('lbdlutils.classroom.runner', run_name='__main__')"
)


def _say(error: BaseException, limit: int = 300) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[:limit] + "…"


def execute(cells: list[str], namespace: dict[str, Any], label: str) -> list[dict[str, Any]]:
    """Run each top-level statement of each cell in ``namespace``; what failed, in words, with the names it binds."""
    problems = []
    for k, code in enumerate(cells):
        where = f"{label} {k + 1}"
        try:
            tree = ast.parse(code)
        except SyntaxError as err:
            problems.append({"text": f"{where} has a syntax error at line {err.lineno}: {err.msg}",
                             "names": re.findall(r"^\s*def\s+(\w+)", code, re.M)})
            continue
        for node in tree.body:
            try:
                exec(compile(ast.Module([node], []), f"<{where}>", "exec"), namespace)
            except BaseException as err:  # noqa: BLE001 - the student's code may raise anything, even SystemExit
                names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
                problems.append({"text": f"{where}, line {node.lineno}: {_say(err)}",
                                 "names": names + [getattr(node, "name", "")]})
    return problems


def answer(namespace: dict[str, Any], name: str, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Call the student's ``name`` on the inputs; the reply to send back."""
    from . import wire

    if name not in namespace:
        return {"missing": f"your exercise cells define no {name!r}"}
    try:
        value = namespace[name](*args, **kwargs)
    except NotImplementedError:
        return {"not_done": True}
    except BaseException as err:  # noqa: BLE001
        return {"raised": type(err).__name__, "message": _say(err, 500)[len(type(err).__name__) + 2:]}
    try:
        return {"value": wire.encode(value)}
    except (wire.WireError, RecursionError) as err:
        return {"unreadable": f"your function returned {err}"}
    except BaseException as err:  # noqa: BLE001 - a lying object may raise while it is read
        return {"unreadable": f"your answer could not be read ({_say(err)})"}


def serve(inbox: int, outbox: int, folder: Path, lib: Path, limits: dict[str, int], network_cut: bool,
          chapter: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    """One submission, in a freshly forked process: wall in, run its cells, answer calls until told to stop.

    ``chapter`` is the namespace left by the chapter's set-up cells (run once by the server, before
    the fork: the teacher's code) and what failed in them.
    """
    import lbdlutils

    from . import sandbox, wire

    walls = sandbox.enter(folder, limits["memory"], limits["cpu"], lib, network_cut)
    out = os.fdopen(outbox, "wb")

    def read(n: int) -> bytes:
        chunks, got = [], 0
        while got < n and (chunk := os.read(inbox, n - got)):
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    job = wire.receive(read)
    lbdlutils.exercise = lambda *args, **kwargs: None  # the student's own check calls do nothing here
    namespace = dict(chapter[0])
    problems = chapter[1] + execute(job["cells"], namespace, "cell")
    sys.stdout.flush()
    wire.send(out, {"ready": True, "walls": walls, "problems": problems})
    while True:
        try:
            message = wire.receive(read)
        except EOFError:
            return
        reply = answer(namespace, message["call"], wire.decode(message["args"]), wire.decode(message["kwargs"]))
        sys.stdout.flush()
        wire.send(out, reply)


def _child(request: dict[str, Any], lib: Path, network_cut: bool,
           chapter: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    """In the forked process: cut every tie to the fork server, take the submission's pipes, serve it."""
    os.setsid()
    folder = Path(request["folder"])
    for name in ("TMPDIR", "HOME", "MPLCONFIGDIR", "LBDL_CACHE"):  # the one folder it may write to
        os.environ[name] = str(folder)
    tempfile.tempdir = None
    log = os.open(folder / "output.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    for fd, target in ((null, 0), (log, 1), (log, 2)):  # the server's own pipes must not reach student code
        os.dup2(fd, target)
    outbox = os.open(request["from_child"], os.O_WRONLY)
    inbox = os.open(request["to_child"], os.O_RDONLY)
    keep = sorted({0, 1, 2, outbox, inbox})
    for low, high in zip(keep, [*keep[1:], 65536]):
        os.closerange(low + 1, high)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = sys.stdout
    os.chdir(folder)
    serve(inbox, outbox, folder, lib, request["limits"], network_cut, chapter)


def main() -> None:
    """The fork server: import once, then fork a fresh walled process for each submission it is asked to."""
    lib, network_cut = Path(sys.argv[1]), sys.argv[-1] == "True"
    import matplotlib

    matplotlib.use("Agg")
    import torch

    import lbdlutils

    from . import wire

    torch.set_num_threads(1)
    if not Path(lbdlutils.__file__).resolve().is_relative_to(lib.resolve()):
        raise SystemExit(f"lbdlutils was imported from {lbdlutils.__file__}, not from the copy in {lib}")
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    inbox, outbox = sys.stdin.buffer, sys.stdout.buffer
    chapters: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    wire.send(outbox, {"ready": True})
    while True:
        try:
            request = wire.receive(inbox.read)
        except EOFError:
            return
        key = "\n".join(request["setup"])
        if key not in chapters:  # the teacher's set-up cells, once per chapter: every child starts from there
            namespace: dict[str, Any] = {"__name__": "__main__"}
            with contextlib.redirect_stdout(sys.stderr):  # this process's stdout is the grader's pipe
                problems = execute(request["setup"], namespace, "the chapter's set-up cell")
            chapters[key] = namespace, problems
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _child(request, lib, network_cut, chapters[key])
            except BaseException:  # noqa: BLE001 - into the submission's log; the server never sees it
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        wire.send(outbox, {"pid": pid})


if __name__ == "__main__":
    try:
        main()
    except BaseException:  # noqa: BLE001 - said on stderr, which the grader keeps
        traceback.print_exc()
        raise
