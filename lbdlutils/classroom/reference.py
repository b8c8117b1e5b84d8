"""The grader's side of the wall: the teacher's checkers, fed with what a student's process returns.

This process never runs a student's code. It rebuilds a chapter's checkers from the teacher's
notebook (:func:`.notebooks.checker_code`), checks that each solution passes them, and then grades
each submission: the checker runs here, and each time it calls the student's answer, the call goes
to that submission's own process (:mod:`.runner`), behind the walls of :mod:`.sandbox`, and only
plain data comes back (:mod:`.wire`). Time, memory and a process that dies cost that exercise only.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..exercises import NOT_DONE
from . import runner, wire


class Stop(BaseException):  # noqa: N818 - not an Exception: a checker's `except Exception` cannot swallow it
    """The student's process is gone or out of time: the exercise is lost, and the process replaced."""


class Zygote:
    """The fork server of :mod:`.runner`: one import of torch, then a fresh process per submission."""

    def __init__(self, lib: Path, log: Path):
        self.lib, self.lock = lib, threading.Lock()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(lib), "OMP_NUM_THREADS": "1",
               "LBDL_THREADS": "1", "LBDL_HEADLESS": "1", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
               "HOME": str(log.parent), "MPLCONFIGDIR": str(log.parent)}
        with open(log, "ab") as err:
            self.proc = subprocess.Popen([sys.executable, "-s", "-c", runner.BOOTSTRAP, str(lib)], env=env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                         cwd=log.parent, start_new_session=True)
        self.ready = False

    def fork(self, request: dict[str, Any]) -> int:
        """The pid of a new process for one submission, whose pipes are the FIFOs the request names."""
        with self.lock:
            if not self.ready:
                self.ready = wire.receive(self.proc.stdout.read).get("ready", False)
            wire.send(self.proc.stdin, request)
            return int(wire.receive(self.proc.stdout.read)["pid"])

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class Student:
    """One submission's process: started lazily, asked for calls, replaced when it dies or hangs."""

    def __init__(self, folder: Path, zygote: Zygote, setup: list[str], cells: list[str], limits: dict[str, float]):
        self.folder, self.zygote, self.setup, self.cells, self.limits = folder, zygote, setup, cells, limits
        self.pid: int | None = None
        self.problems: list[str] = []
        self.broken: str | None = None  # why the cells could not be run: every exercise then says so
        self.starts = 0
        self.rfd: int | None = None
        self.wfd: int | None = None

    def start(self) -> None:
        if self.broken:
            raise Stop(self.broken)
        self.starts += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        fifos = {k: self.folder / f".{k}-{self.starts}" for k in ("to_child", "from_child")}
        for path in fifos.values():
            os.mkfifo(path, 0o600)
        self.rfd = os.open(fifos["from_child"], os.O_RDONLY | os.O_NONBLOCK)
        cpu = int(self.limits["setup"] + 4 * self.limits["exercise"] * self.limits["exercises"]) + 10
        limits = {"memory": int(self.limits["memory"]), "cpu": cpu}
        request = {"folder": str(self.folder), "limits": limits, "setup": self.setup,
                   **{k: str(v) for k, v in fifos.items()}}
        self.pid = self.zygote.fork(request)
        deadline = time.monotonic() + self.limits["setup"]
        while True:
            try:
                self.wfd = os.open(fifos["to_child"], os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:  # ENXIO: the child has not opened its end yet
                if time.monotonic() > deadline:
                    raise Stop("the process for your code did not start") from None
                time.sleep(0.005)
        self._send({"cells": self.cells}, deadline)
        reply = self._receive(deadline, "running your exercise cells")
        if not reply.get("ready"):
            raise Stop("your exercise cells could not be run")
        self.walls, self.problems = reply.get("walls"), [p for p in reply.get("problems", []) if isinstance(p, dict)]

    def problems_of(self, answer: str) -> str:
        """What went wrong, when the cells ran, in the lines that define ``answer`` (or in the set-up)."""
        said = [str(p.get("text")) for p in self.problems
                if answer in p.get("names", []) or str(p.get("text", "")).startswith("the chapter")]
        return "".join(f"; {text}" for text in said[:3])

    def ensure_started(self) -> None:
        """Start the process if none runs; a start that fails is remembered, and said for every exercise."""
        if self.pid is None:
            try:
                self.start()
            except Stop as err:
                self.broken = str(err)
                self.stop()
                raise

    def _send(self, message: dict[str, Any], deadline: float) -> None:
        data, fd = wire.frame(message), self.wfd
        while data:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise Stop(f"your code did not take its inputs within {self.limits['exercise']:.0f} s")
            try:
                data = data[os.write(fd, data):]
            except (BrokenPipeError, OSError):
                raise Stop(self._gone()) from None

    def _receive(self, deadline: float, doing: str) -> dict[str, Any]:
        fd = self.rfd

        def read(n: int) -> bytes:
            buf = b""
            while len(buf) < n:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    limit = self.limits["setup" if doing.startswith("running") else "exercise"]
                    raise Stop(f"{doing} took longer than the {limit:.0f} s allowed (an endless loop?)")
                chunk = os.read(fd, n - len(buf))
                if not chunk:
                    return buf
                buf += chunk
            return buf

        try:
            return wire.receive(read)
        except EOFError:
            raise Stop(self._gone()) from None
        except wire.WireError as err:
            raise Stop(f"your process sent something that is not an answer ({err})") from None

    def _gone(self) -> str:
        return "your code ended the process that ran it (an exit, a crash, or its CPU time limit)"

    def call(self, name: str, args: tuple, kwargs: dict[str, Any], deadline: float) -> Any:
        """The student's ``name(*args, **kwargs)``, as plain data, or an exception that says what happened."""
        self.ensure_started()
        self._send({"call": name, "args": wire.encode(list(args)), "kwargs": wire.encode(kwargs)}, deadline)
        reply = self._receive(deadline, "your function")
        if "value" in reply:
            try:
                return wire.decode(reply["value"])
            except wire.WireError as err:
                raise Answered(f"your function returned {err}") from None
        if reply.get("not_done"):
            raise NotImplementedError
        if "raised" in reply:
            raise Answered(f"your code raised {reply['raised']}: {reply.get('message', '')}")
        raise Answered(str(reply.get("missing") or reply.get("unreadable") or "no answer"), missing="missing" in reply)

    def stop(self) -> None:
        """Kill the process and whatever it started in its session."""
        if self.pid is not None:
            for kill in (os.killpg, os.kill):  # the group, and the process if it has not made its group yet
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    kill(self.pid, 9)
            self.pid = None
        for fd in (self.rfd, self.wfd):
            if fd is not None:
                os.close(fd)
        self.rfd = self.wfd = None


class Answered(BaseException):  # noqa: N818 - the student's function raised, or gave nothing readable
    def __init__(self, message: str, missing: bool = False):
        super().__init__(message)
        self.missing = missing


def grade(student: Student, answer: str, check: Any, limit: float) -> tuple[bool, str]:
    """(correct, what the checker says) for one exercise, the checker running here on the student's answers.

    The exercise's time ``limit`` counts from the moment the student's process is ready: the calls
    and the checker's own work within it.
    """
    try:
        student.ensure_started()
        deadline = time.monotonic() + limit
        problem = check(lambda *args, **kwargs: student.call(answer, args, kwargs, deadline))
    except NotImplementedError:
        problem = NOT_DONE + student.problems_of(answer)
    except Answered as err:
        problem = str(err) + (student.problems_of(answer) if err.missing else "")
    except Stop as err:
        student.stop()
        problem = str(err)
    except Exception as err:  # noqa: BLE001 - the checker choked on what the student returned
        problem = f"your answer is not of the kind expected ({type(err).__name__}: {err})"
    return problem is None, "correct" if problem is None else str(problem)
