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
import time
from pathlib import Path
from typing import Any

import torch

from ..exercises import NOT_DONE, nan_in
from . import runner, wire
from .forks import GraderError, Zygote


class Stop(BaseException):  # noqa: N818 - not an Exception: a checker's `except Exception` cannot swallow it
    """The student's process is gone or out of time: the exercise is lost, and the process replaced."""


class Student:
    """One submission's process: started lazily, asked for calls, replaced when it dies or hangs."""

    def __init__(self, folder: Path, zygote: Zygote, setup: list[str], cells: list[str], limits: dict[str, float],
                 hide: list[str]):
        self.folder, self.zygote, self.setup, self.cells, self.limits = folder, zygote, setup, cells, limits
        self.hide = hide  # the teacher's notebooks: never readable from the student's process
        self.pid: int | None = None
        self.started = ""
        self.problems: list[dict[str, Any]] = []
        self.broken: str | None = None  # why the cells could not be run: every exercise then says so
        self.starts = 0
        self.rfd: int | None = None
        self.wfd: int | None = None

    def start(self) -> None:
        if self.broken:
            raise Stop(self.broken)
        self.starts += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        # the pipes live where no submission may write: none can swap them for a link
        pipes = self.folder.parent / "pipes" / f"{self.folder.name}-{self.starts}"
        pipes.mkdir(parents=True)
        fifos = {k: pipes / k for k in ("to_child", "from_child")}
        for path in fifos.values():
            os.mkfifo(path, 0o600)
        self.rfd = os.open(fifos["from_child"], os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        cpu = int(self.limits["setup"] + 2 * self.limits["exercise"] * self.limits["exercises"]) + 10
        request = {"folder": str(self.folder), "setup": self.setup, "cells": self.cells, "hide": self.hide,
                   "limits": {"memory": int(self.limits["memory"]), "cpu": cpu},
                   **{k: str(v) for k, v in fifos.items()}}
        self.pid, self.started = self.zygote.fork(request)
        deadline = time.monotonic() + self.limits["setup"]
        while True:
            try:
                self.wfd = os.open(fifos["to_child"], os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
                break
            except OSError:  # ENXIO: the child has not opened its end yet
                if time.monotonic() > deadline:
                    raise Stop("the process for your code did not start") from None
                time.sleep(0.005)
        reply = self._receive(deadline, "running your exercise cells")
        if "walls_failed" in reply:
            raise GraderError(f"a submission's process could not wall itself in: {reply['walls_failed']}")
        if not reply.get("ready"):
            raise Stop("your exercise cells could not be run")
        self.problems = [{"text": _line(p.get("text")), "names": [str(n) for n in p.get("names", [])][:50]}
                         for p in reply.get("problems", [])[:50] if isinstance(p, dict)]

    def problems_of(self, answer: str) -> str:
        """What went wrong, when the cells ran, in the lines that define ``answer``."""
        said = [p["text"] for p in self.problems if answer in p["names"]]
        return "".join(f"; {text}" for text in said[:3])

    def ensure_started(self) -> None:
        """Start the process if none runs; a start that fails is remembered, and said for every exercise."""
        if self.pid is None:
            try:
                self.start()
            except (Stop, Exception) as err:  # noqa: BLE001 - whatever the submission made of its start
                self.broken = str(err) if isinstance(err, Stop) else f"your code could not be started ({_line(err)})"
                self.stop()
                raise Stop(self.broken) from None

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
        try:
            return wire.receive(wire.reader(self.rfd, deadline, wire.REPLY_BYTES))
        except TimeoutError:
            limit = self.limits["setup" if doing.startswith("running") else "exercise"]
            raise Stop(f"{doing} took longer than the {limit:.0f} s allowed (an endless loop?)") from None
        except EOFError:
            raise Stop(self._gone()) from None
        except wire.WireError as err:
            raise Stop(f"your process sent something that is not an answer ({_line(err)})") from None

    def _gone(self) -> str:
        return "your code ended the process that ran it (an exit, a crash, or its CPU time limit)"

    def call(self, name: str, args: tuple, kwargs: dict[str, Any], deadline: float) -> Any:
        """The student's ``name(*args, **kwargs)``, as plain data, or an exception that says what happened."""
        self.ensure_started()
        self._send({"call": name, "args": wire.encode(list(args)), "kwargs": wire.encode(kwargs)}, deadline)
        reply = self._receive(deadline, "your function")
        if "value" in reply:
            try:
                value = wire.decode(reply["value"])
                if "args" in reply:  # what the answer did to its inputs, done to the checker's own
                    mirror(list(args), wire.decode(reply["args"]))
            except (wire.WireError, ValueError, TypeError, RecursionError) as err:
                raise Answered(f"your function returned {_line(err)}") from None
            if (where := nan_in(value)) is not None:
                raise Answered(f"your function returned NaN (not a number){where}")
            return value
        if reply.get("not_done"):
            raise NotImplementedError
        if "raised" in reply:
            kind = str(reply["raised"]) if str(reply["raised"]).isidentifier() else "an exception"
            raise Answered(f"your code raised {kind}: {_line(reply.get('message', ''))}")
        said = _line(reply.get("missing") or reply.get("unreadable") or "no answer")
        raise Answered(said, missing="missing" in reply)

    def stop(self) -> None:
        """Kill the keeper, and so its PID namespace: every process the submission made."""
        if self.pid is not None and runner.start_time(self.pid) == self.started:  # still ours, not a reused pid
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, 9)
        self.pid = None
        for fd in (self.rfd, self.wfd):
            if fd is not None:
                os.close(fd)
        self.rfd = self.wfd = None


def _line(text: Any, limit: int = 300) -> str:
    """Text from a submission, made one short line: it cannot forge a line of the feedback."""
    one = " ".join(str(text).split())
    return one if len(one) <= limit else one[:limit] + "…"


def mirror(mine: Any, theirs: Any) -> None:
    """Make the checker's inputs ``mine`` what the student's answer left of its copy, ``theirs``."""
    if isinstance(mine, torch.Tensor) and isinstance(theirs, torch.Tensor):
        if mine.shape == theirs.shape and not torch.equal(mine, theirs.to(mine.dtype)):
            mine.copy_(theirs)
    elif isinstance(mine, dict) and isinstance(theirs, dict):
        for key in mine:
            if key in theirs:
                mirror(mine[key], theirs[key])
    elif isinstance(mine, list) and isinstance(theirs, list | tuple) and len(mine) == len(theirs):
        for a, b in zip(mine, theirs):
            mirror(a, b)


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
