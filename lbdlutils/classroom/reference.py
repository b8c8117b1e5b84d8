"""The grader's side of the wall: the teacher's checkers, fed with what a student's process returns.

This process never runs a student's code. It rebuilds a chapter's checkers from the teacher's
notebook (:func:`.notebooks.checker_code`), checks that each solution passes them, and then grades
each submission: the checker runs here, and each time it calls the student's answer, the call goes
to that submission's own process (:mod:`.runner`), behind the walls of :mod:`.sandbox`, and only
plain data comes back (:mod:`.wire`). Time, memory and a process that dies cost that exercise only.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ..exercises import NOT_DONE
from . import runner, wire


class Stop(BaseException):  # noqa: N818 - not an Exception: a checker's `except Exception` cannot swallow it
    """The student's process is gone or out of time: the exercise is lost, and the process replaced."""


class Student:
    """One submission's process: started lazily, asked for calls, replaced when it dies or hangs."""

    def __init__(self, folder: Path, lib: Path, setup: list[str], cells: list[str], limits: dict[str, float]):
        self.folder, self.lib, self.setup, self.cells, self.limits = folder, lib, setup, cells, limits
        self.proc: subprocess.Popen | None = None
        self.problems: list[str] = []
        self.broken: str | None = None  # why the cells could not be run: every exercise then says so

    def _env(self) -> dict[str, str]:
        f = str(self.folder)
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(self.lib), "HOME": f,
                "TMPDIR": f, "MPLCONFIGDIR": f, "OMP_NUM_THREADS": "1", "LBDL_THREADS": "1",
                "LBDL_HEADLESS": "1", "LBDL_CACHE": f, "PYTHONDONTWRITEBYTECODE": "1"}

    def start(self) -> None:
        if self.broken:
            raise Stop(self.broken)
        self.folder.mkdir(parents=True, exist_ok=True)
        cpu = int(self.limits["setup"] + 4 * self.limits["exercise"] * self.limits["exercises"]) + 10
        cmd = [sys.executable, "-s", "-c", runner.BOOTSTRAP, str(self.folder), str(self.lib),
               str(int(self.limits["memory"])), str(cpu)]
        with open(self.folder / "stderr.log", "ab") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                         cwd=self.folder, env=self._env(), start_new_session=True)
        os.set_blocking(self.proc.stdin.fileno(), False)
        deadline = time.monotonic() + self.limits["setup"]
        self._send({"setup": self.setup, "cells": self.cells}, deadline)
        reply = self._receive(deadline, "running your exercise cells")
        if not reply.get("ready"):
            raise Stop("your exercise cells could not be run")
        self.walls, self.problems = reply.get("walls"), [str(p) for p in reply.get("problems", [])][:20]

    def _send(self, message: dict[str, Any], deadline: float) -> None:
        data, fd = wire.frame(message), self.proc.stdin.fileno()
        while data:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise Stop(f"your code did not take its inputs within {self.limits['exercise']:.0f} s")
            try:
                data = data[os.write(fd, data):]
            except (BrokenPipeError, OSError):
                raise Stop(self._gone()) from None

    def _receive(self, deadline: float, doing: str) -> dict[str, Any]:
        fd = self.proc.stdout.fileno()

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
        code = self.proc.wait(timeout=5) if self.proc else None
        why = {-9: " (killed: CPU time or memory limit)", -24: " (CPU time limit)"}.get(code, "")
        return f"your code ended the process that ran it (exit status {code}{why})"

    def call(self, name: str, args: tuple, kwargs: dict[str, Any], deadline: float) -> Any:
        """The student's ``name(*args, **kwargs)``, as plain data, or an exception that says what happened."""
        if self.proc is None:
            try:
                self.start()
            except Stop as err:
                self.broken = str(err)
                raise
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
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None


class Answered(BaseException):  # noqa: N818 - the student's function raised, or gave nothing readable
    def __init__(self, message: str, missing: bool = False):
        super().__init__(message)
        self.missing = missing


def grade(student: Student, name: str, answer: str, check: Any, limit: float) -> tuple[bool, str]:
    """(correct, what the checker says) for one exercise, the checker running here on the student's answers."""
    deadline = time.monotonic() + limit

    def proxy(*args: Any, **kwargs: Any) -> Any:
        return student.call(answer, args, kwargs, deadline)

    try:
        problem = check(proxy)
    except NotImplementedError:
        problem = NOT_DONE
    except Answered as err:
        problem = str(err)
        if err.missing and student.problems:
            problem += "; " + "; ".join(student.problems[:3])
    except Stop as err:
        student.stop()
        problem = str(err)
    except Exception as err:  # noqa: BLE001 - the checker choked on what the student returned
        problem = f"your answer is not of the kind expected ({type(err).__name__}: {err})"
    return problem is None, "correct" if problem is None else str(problem)
