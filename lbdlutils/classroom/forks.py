"""The grader's handle on :mod:`.runner`'s fork server: one import of torch, a fresh process per submission.

The server is trusted (it runs only the teacher's set-up cells); a failure of it is the grader's,
and stops the run (:class:`GraderError`) rather than costing students their points.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from . import runner, wire


class GraderError(BaseException):  # noqa: N818 - not an Exception: no checker can swallow it
    """The grader itself failed (not a student): the run stops and says why."""


class Zygote:
    """The fork server, started at once (its imports overlap the rebuilding of the checkers)."""

    def __init__(self, lib: Path, log: Path, limit: float):
        self.lib, self.log, self.limit, self.lock = lib, log, limit, threading.Lock()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(lib), "OMP_NUM_THREADS": "1",
               "LBDL_THREADS": "1", "LBDL_HEADLESS": "1", "LBDL_DEVICE": "cpu", "PYTHONDONTWRITEBYTECODE": "1",
               "MPLBACKEND": "Agg", "HOME": str(log.parent), "MPLCONFIGDIR": str(log.parent)}
        with open(log, "ab") as err:
            self.proc = subprocess.Popen([sys.executable, "-s", "-c", runner.BOOTSTRAP, str(lib)], env=env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                         cwd=log.parent, start_new_session=True)
        self.ready = False

    def _receive(self) -> dict[str, Any]:
        try:
            return wire.receive(wire.reader(self.proc.stdout.fileno(), time.monotonic() + self.limit))
        except TimeoutError:
            raise GraderError(f"the fork server did not answer within {self.limit:.0f} s (see {self.log})") from None
        except (EOFError, wire.WireError) as err:
            raise GraderError(f"the fork server failed ({err}); its log: {self.log}") from None

    def fork(self, request: dict[str, Any]) -> tuple[int, str]:
        """(pid, start time) of the keeper of a new process for one submission (see :func:`.runner._keeper`)."""
        with self.lock:
            if not self.ready:
                hello = self._receive()
                if not hello.get("network_cut"):
                    raise GraderError("the fork server could not leave the network (user namespaces refused?)")
                self.ready = True
            try:
                wire.send(self.proc.stdin, request)
            except OSError as err:
                raise GraderError(f"the fork server is gone ({err}); its log: {self.log}") from None
            reply = self._receive()
        if reply.get("setup_problems"):
            with open(self.log, "a", encoding="utf-8") as log:
                log.write("the chapter's set-up cells failed in the fork server:\n"
                          + "\n".join(str(p) for p in reply["setup_problems"]) + "\n")
        return int(reply["pid"]), str(reply.get("start", ""))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
