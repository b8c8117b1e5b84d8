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
import ctypes
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
    "import ctypes, os, sys; sys.path[:] = [p for p in sys.path if p and p != os.getcwd()]; "
    "sys.argv.append(str(ctypes.CDLL(None).unshare(0x50000000) == 0)); "
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


def serve(inbox: int, outbox: int, cells: list[str], namespace: dict[str, Any]) -> None:
    """Run the submission's cells in ``namespace`` (the chapter's set-up done), then answer calls until EOF."""
    import lbdlutils

    from . import wire

    out = os.fdopen(outbox, "wb")

    def read(n: int) -> bytes:
        chunks, got = [], 0
        while got < n and (chunk := os.read(inbox, n - got)):
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    lbdlutils.exercise = lambda *args, **kwargs: None  # the student's own check calls do nothing here
    problems = execute(cells, namespace, "cell")
    sys.stdout.flush()
    wire.send(out, {"ready": True, "problems": problems})
    while True:
        try:
            message = wire.receive(read)
        except EOFError:
            return
        args = wire.decode(message["args"])
        reply = answer(namespace, message["call"], args, wire.decode(message["kwargs"]))
        if "value" in reply:  # an answer may change its inputs in place: the checker must see it
            with contextlib.suppress(Exception):
                reply["args"] = wire.encode(args)
        sys.stdout.flush()
        try:
            wire.send(out, reply, wire.REPLY_BYTES)
        except wire.WireError as err:
            wire.send(out, {"unreadable": f"your answer is too large to grade ({err})"})


def _submission(request: dict[str, Any], lib: Path, network_cut: bool, namespace: dict[str, Any]) -> None:
    """PID 1 of the submission's own PID namespace: take the pipes, wall in, then open its log and serve."""
    from . import sandbox, wire

    _PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # the keeper killed: this dies, and all it made
    folder = Path(request["folder"])
    null = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):  # the server's pipes must not reach the student's code
        os.dup2(null, target)
    outbox = os.open(request["from_child"], os.O_WRONLY | os.O_NOFOLLOW)
    inbox = os.open(request["to_child"], os.O_RDONLY | os.O_NOFOLLOW)
    keep = sorted({0, 1, 2, outbox, inbox})
    for low, high in zip(keep, [*keep[1:], 65536]):
        os.closerange(low + 1, high)
    for name in ("TMPDIR", "HOME", "MPLCONFIGDIR", "LBDL_CACHE"):  # the one folder it may write to
        os.environ[name] = str(folder)
    tempfile.tempdir = None
    limits = request["limits"]
    try:
        walls = sandbox.enter(folder, limits["memory"], limits["cpu"], lib, network_cut, request["hide"])
    except OSError as err:
        wire.send(os.fdopen(outbox, "wb"), {"walls_failed": str(err)})
        raise
    # opened only now, walled in: a symbolic link left in the folder cannot point it outside
    log = os.open(folder / "output.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = sys.stdout
    os.chdir(folder)
    print(f"walls: {walls}")
    serve(inbox, outbox, request["cells"], namespace)


def _keeper(request: dict[str, Any], lib: Path, network_cut: bool, namespace: dict[str, Any]) -> None:
    """The process the grader kills: it starts the submission as PID 1 of a new PID namespace and waits.

    Killing it kills that PID 1 (parent-death signal), and with it every process the submission made,
    even one that left its session. Inside, no process outside the namespace can be named or signalled.
    """
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(null, target)
    if ctypes.CDLL(None).unshare(0x20000000) != 0:  # CLONE_NEWPID: the next child is PID 1 of a new one
        raise OSError("could not make a PID namespace")
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            _submission(request, lib, network_cut, namespace)
        except BaseException:  # noqa: BLE001 - into the submission's log; the server never sees it
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    os.waitpid(pid, 0)


def start_time(pid: int) -> str:
    """When process ``pid`` started (in clock ticks since boot): with its pid, it names it for good."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


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
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # keepers are reaped by the kernel
    inbox, outbox = sys.stdin.buffer, sys.stdout.buffer
    chapters: dict[str, dict[str, Any]] = {}
    wire.send(outbox, {"ready": True, "network_cut": network_cut})
    while True:
        try:
            request = wire.receive(inbox.read)
        except EOFError:
            return
        key, said = "\n".join(request["setup"]), []
        if key not in chapters:  # the teacher's set-up cells, once per chapter: every child starts from there
            chapters[key] = {"__name__": "__main__"}
            with contextlib.redirect_stdout(sys.stderr):  # this process's stdout is the grader's pipe
                said = execute(request["setup"], chapters[key], "the chapter's set-up cell")
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                _keeper(request, lib, network_cut, dict(chapters[key]))
            finally:
                os._exit(0)
        wire.send(outbox, {"pid": pid, "start": start_time(pid), "setup_problems": said})


if __name__ == "__main__":
    try:
        main()
    except BaseException:  # noqa: BLE001 - said on stderr, which the grader keeps
        traceback.print_exc()
        raise
