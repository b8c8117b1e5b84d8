"""The process that runs one submission's code, inside the walls, and answers the grader's calls.

Started by :mod:`.reference` through :data:`BOOTSTRAP` (which leaves the network while the process
has one thread), from a copy of lbdlutils without the notebooks. It walls itself in
(:func:`.sandbox.enter`), then reads one ``run`` message: the chapter's set-up code and the
student's exercise cells, which it executes statement by statement (a failing line costs that line,
not the cell). Then, for each ``call``, it calls the student's function on the inputs sent and
returns what it gave, as plain data (:mod:`.wire`). Nothing here decides a grade: the checker runs
in the grader's process, on what this one returned.
"""

from __future__ import annotations

import ast
import os
import sys
import traceback
from pathlib import Path
from typing import Any

# Run with `python -s -c BOOTSTRAP folder lib memory cpu`: leaves the network before torch starts threads.
BOOTSTRAP = (
    "import ctypes, sys; sys.argv.append(str(ctypes.CDLL(None).unshare(0x50000000) == 0)); "
    "import runpy; runpy.run_module('lbdlutils.classroom.runner', run_name='__main__')"
)


def _say(error: BaseException, limit: int = 300) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[:limit] + "…"


def execute(cells: list[str], namespace: dict[str, Any], label: str) -> list[str]:
    """Run each top-level statement of each cell in ``namespace``; what failed, in words."""
    problems = []
    for k, code in enumerate(cells):
        where = f"{label} {k + 1}"
        try:
            tree = ast.parse(code)
        except SyntaxError as err:
            problems.append(f"{where} has a syntax error at line {err.lineno}: {err.msg}")
            continue
        for node in tree.body:
            try:
                exec(compile(ast.Module([node], []), f"<{where}>", "exec"), namespace)
            except BaseException as err:  # noqa: BLE001 - the student's code may raise anything, even SystemExit
                problems.append(f"{where}, line {node.lineno}: {_say(err)}")
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


def main() -> None:
    folder, lib, memory, cpu, network_cut = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
        sys.argv[-1] == "True"
    import matplotlib

    matplotlib.use("Agg")
    import torch

    import lbdlutils

    from . import sandbox, wire

    torch.set_num_threads(1)
    if not Path(lbdlutils.__file__).resolve().is_relative_to(Path(lib).resolve()):
        raise SystemExit(f"lbdlutils was imported from {lbdlutils.__file__}, not from the copy in {lib}")
    inbox, outbox = os.fdopen(os.dup(0), "rb", buffering=0), os.fdopen(os.dup(1), "wb")
    log = os.open(Path(folder) / "output.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(log, 1)
    walls = sandbox.enter(Path(folder), memory, cpu, Path(lib), network_cut)

    def read(n: int) -> bytes:
        chunks, got = [], 0
        while got < n and (chunk := inbox.read(n - got)):
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    job = wire.receive(read)
    lbdlutils.exercise = lambda *args, **kwargs: None  # the student's own check calls do nothing here
    namespace: dict[str, Any] = {"__name__": "__main__"}
    problems = execute(job["setup"], namespace, "set-up cell")
    problems = [f"(the chapter's own set-up) {p}" for p in problems] + execute(job["cells"], namespace, "cell")
    sys.stdout.flush()
    wire.send(outbox, {"ready": True, "walls": walls, "problems": problems})
    while True:
        try:
            message = wire.receive(read)
        except EOFError:
            return
        args, kwargs = wire.decode(message["args"]), wire.decode(message["kwargs"])
        reply = answer(namespace, message["call"], args, kwargs)
        sys.stdout.flush()
        wire.send(outbox, reply)


if __name__ == "__main__":
    try:
        main()
    except BaseException:  # noqa: BLE001 - said on stderr, which the grader keeps
        traceback.print_exc()
        raise
