"""The classroom: student editions hold no solution, and the grader scores each submission what it deserves."""

from __future__ import annotations

import csv
import json
import socket
import sys
import threading
from pathlib import Path

import pytest
import torch
from classroom_cases import solved, write  # noqa: I001 - tests/ is on the path

from lbdlutils.classroom import grader, notebooks, student, wire
from lbdlutils.exercises import NOT_DONE

CHAPTERS = notebooks.chapter_paths()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name[:2])
def test_student_edition_holds_no_solution(path):
    teacher = notebooks.read(path)
    found = notebooks.exercises(teacher)
    edition = student.edition(teacher, source=path.name)
    text = json.dumps(edition, ensure_ascii=False)
    # a line the chapter itself shows outside its solutions is the chapter's, not a solution's
    shown = "\n".join(notebooks.source(c) for c in teacher["cells"] if "solution" not in notebooks.tags(c))
    for ex in found:
        body = [ln.strip() for ln in notebooks.source(teacher["cells"][ex.solution_cell]).splitlines()]
        leaked = [ln for ln in body if len(ln) > 12 and not ln.startswith(("lbdl.exercise", "#", ")"))
                  and ln in text and ln not in shown]
        assert ex.solution not in text and not leaked, f"{ex.name}: {ex.solution} or its lines {leaked} left"
        stub = next(c for c in edition["cells"] if c.get("id") == teacher["cells"][ex.cells[-1]].get("id"))
        assert stub["outputs"] == [{"output_type": "stream", "name": "stdout", "text": f"✗ {ex.name}: {NOT_DONE}\n"}]
    assert "(solution)" not in text and not any("solution" in notebooks.tags(c) for c in edition["cells"])
    assert "colab.research.google.com" not in text and "mybinder.org" not in text
    assert edition["metadata"]["lbdl_classroom"]["exercises"] == [{"name": e.name, "answer": e.answer} for e in found]
    kept = [c for c in teacher["cells"] if c["cell_type"] == "code" and "solution" not in notebooks.tags(c)]
    assert sum(c["cell_type"] == "code" for c in edition["cells"]) == len(kept)
    cleared = student.edition(teacher, clear_outputs=True, source=path.name)
    assert all(c["outputs"] == [] or c["outputs"][0]["text"].startswith("✗") for c in cleared["cells"]
               if c["cell_type"] == "code")


def test_writing_editions_never_overwrites_a_students_work(tmp_path):
    written, kept = student.write(tmp_path, CHAPTERS[:2])
    assert [p.name for p in written] == [p.name for p in CHAPTERS[:2]] and not kept
    assert student.write(tmp_path, CHAPTERS[:1])[0]  # untouched: written again
    worked = json.loads(written[0].read_text())
    worked["cells"][5]["source"] = "my answer"
    written[0].write_text(json.dumps(worked))
    assert student.write(tmp_path, CHAPTERS[:1]) == ([], [written[0]])
    assert json.loads(written[0].read_text())["cells"][5]["source"] == "my answer"
    assert student.write(tmp_path, CHAPTERS[:1], force=True)[0] == [written[0]]


def test_wire_carries_plain_data_only():
    class Liar(torch.Tensor):
        def __eq__(self, other):
            return True

    sent = {"a": (1, 2.5, float("nan")), 3: [True, None, "s", {4, 5}], "t": torch.arange(6.0).reshape(2, 3)}
    back = wire.decode(json.loads(json.dumps(wire.encode(sent))))
    assert back["a"][:2] == (1, 2.5) and back["a"][2] != back["a"][2] and back[3] == [True, None, "s", {4, 5}]
    assert torch.equal(back["t"], sent["t"]) and type(back["t"]) is torch.Tensor
    lie = wire.decode(wire.encode(torch.zeros(3).as_subclass(Liar)))
    assert type(lie) is torch.Tensor and not torch.equal(lie, torch.ones(3))
    with pytest.raises(wire.WireError, match="does not read"):
        wire.encode(object())
    for garbage in ({"tensor": "float32", "shape": [2], "data": "AAAA"}, {"eval": "os.system('x')"}, {"a": 1, "b": 2}):
        with pytest.raises(wire.WireError):
            wire.decode(garbage)


SOLUTION_READER = """
def perplexity(logits, targets):
    import json, re
    for path in {paths!r}:
        try:
            cells = json.load(open(path))["cells"]
        except OSError:
            continue
        code = next("".join(c["source"]) for c in cells if "solution" in c["metadata"].get("tags", [])
                    and "def perplexity_solution" in "".join(c["source"]))
        scope = {{}}
        exec(code.split("lbdl.exercise(")[0], globals() | scope, scope)
        return scope["perplexity_solution"](logits, targets)
    raise PermissionError("no solution could be read")
"""

SOCKET_USER = """
def perplexity(logits, targets):
    import socket
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()  # e.g. to ask a friend's server
    return (-logits.log_softmax(-1).gather(-1, targets[..., None]).mean()).exp()
"""

LIAR = """
class Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func.__name__ in ("allclose", "equal", "__eq__"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})


def perplexity(logits, targets):
    return torch.tensor(0.0).as_subclass(Liar)
"""

LINGERER = """
import os, time
def perplexity(logits, targets):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(300)
        os._exit(0)
    return None
"""

PLANTER = """
import os
for name in ("output.log",):
    if os.path.lexists(name):
        os.remove(name)
    os.symlink(CANARY + "/linked.txt", name)
def perplexity(logits, targets):
    os._exit(0)
"""

ADVERSARIAL = {  # name: (what it tries, the code added after the stubs, the points it deserves per exercise)
    "redefines_checker": ("replaces the checkers and lbdl.exercise, leaves the stubs",
                          {"3.1 perplexity": "check_perplexity = lambda f: None\nlbdl.exercise = lambda *a, **k: "
                           "print('✓ correct')\nlbdl.exercise('3.1 perplexity', perplexity, check_perplexity)\n"},
                          [0, 0, 0]),
    "patches_torch": ("makes torch.allclose and torch.equal always true, at top level and in its answer",
                      {"3.1 perplexity": "torch.allclose = torch.equal = lambda *a, **k: True\n"
                       "def perplexity(logits, targets):\n    return torch.tensor(1.0)\n",
                       "3.2 momentum": "def momentum_step(w, v, grad, lr, mu):\n    torch.allclose = lambda *a, **k: "
                       "True\n    return w, v\n"},
                      [0, 0, 0]),
    "records_success": ("records a passed check and prints ✓ correct, answers nothing",
                        {"3.1 perplexity": "lbdl.record('exercise: 3.1 perplexity (your answer)', 1.0, passed=True)\n"
                         "print('✓ 3.1 perplexity: correct')\n"}, [0, 0, 0]),
    "always_equal": ("returns objects equal to anything",
                     {"3.1 perplexity": "class Yes(float):\n    def __eq__(self, other):\n        return True\n"
                      "class AnyThing:\n    __eq__ = lambda self, other: True\n    __float__ = lambda self: 0.0\n"
                      "def perplexity(logits, targets):\n    return AnyThing()\n"
                      "def momentum_step(w, v, grad, lr, mu):\n    return AnyThing(), AnyThing()\n"}, [0, 0, 0]),
    "lying_tensor": ("returns a tensor subclass whose comparisons all say yes", {"3.1 perplexity": LIAR}, [0, 0, 0]),
    "loops_forever": ("loops forever in one answer, solves the others", {"3.1 perplexity": "def perplexity(l, t):\n"
                      "    while True:\n        pass\n"}, [0, 1, 1]),
    "allocates_10gb": ("allocates 10 GB in one answer, solves the others",
                       {"3.1 perplexity": "def perplexity(l, t):\n    return torch.empty(10 * 2**30, dtype=torch.uint8)"
                        ".sum()\n"}, [0, 1, 1]),
    "exits": ("ends its own process in one answer", {"3.1 perplexity": "import os\ndef perplexity(l, t):\n"
              "    os._exit(3)\n"}, [0, 1, 1]),
    "kills_the_grader": ("kills the process that forked it", {"3.1 perplexity": "import os, signal\n"
                         "def perplexity(l, t):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return l.sum()\n"},
                         [0, 1, 1]),
    "syntax_error": ("hands in a cell that does not parse for one answer",
                     {"3.1 perplexity": "def perplexity(logits, targets)\n    return 1\n"}, [0, 1, 1]),
    "huge_answer": ("returns 100 MB", {"3.1 perplexity": "def perplexity(l, t):\n    return torch.zeros(25_000_000)\n"},
                    [0, 1, 1]),
    "forges_feedback": ("raises an error whose message is a line of feedback saying ✓",
                        {"3.1 perplexity": "def perplexity(l, t):\n    raise ValueError('no\\n- ✓ **3.1 perplexity**: "
                         "correct')\n"}, [0, 1, 1]),
    "leaves_a_process": ("starts a process that leaves its session and outlives the grading",
                         {"3.1 perplexity": LINGERER}, [0, 1, 1]),
    "plants_a_link": ("links its log to a file outside, then ends its process so that a new one opens the log",
                      {"3.1 perplexity": PLANTER}, [0, 0, 0]),
}


def submissions(folder: Path, server_port: int, canary: Path) -> dict[str, list[int]]:
    """Chapter 3's set, written to ``folder``: each submission with the points it deserves per exercise."""
    expected = {"solution": [1, 1, 1], "stub": [0, 0, 0], "half_done": [1, 0, 1]}
    write(folder, "solution", solved(3))
    write(folder, "stub", solved(3, set()))
    write(folder, "half_done", solved(3, {"3.1 perplexity", "3.3 linear layer backward"}))
    for name, (_, extra, points) in ADVERSARIAL.items():
        solves_two = points == [0, 1, 1] or name == "plants_a_link"  # whose own sabotage then costs all three
        keep = {"3.2 momentum", "3.3 linear layer backward"} if solves_two else set()
        extra = {k: v.replace("CANARY", repr(str(canary))) for k, v in extra.items()}
        write(folder, name, solved(3, keep, extra))
    # reads the teacher's notebooks, where a clone and an install keep them, and runs the solution found
    paths = [str(notebooks.teacher_folder() / "03_training.ipynb"), str(Path(notebooks.__file__).parents[1] /
             "notebooks" / "03_training.ipynb")]
    write(folder, "reads_solutions", solved(3, set(), {"3.1 perplexity": SOLUTION_READER.format(paths=paths)}))
    # asks a server for the answer: the test's own server, which counts its connections
    write(folder, "opens_socket", solved(3, {"3.2 momentum", "3.3 linear layer backward"},
                                         {"3.1 perplexity": SOCKET_USER.format(port=server_port)}))
    # overwrites the teacher's grades and drops files outside its folder, then answers correctly
    outside = (f"for target in [{str(canary / 'grades.csv')!r}, {str(canary / 'new.txt')!r}, '../../escaped.txt']:\n"
               "    try:\n        open(target, 'w').write('0')\n    except OSError:\n        pass\n")
    write(folder, "writes_outside", solved(3, None, {"3.1 perplexity": outside}))
    # no cell at all, and not a notebook: their chapter comes from the file name
    write(folder, "03_empty", {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    write(folder, "03_not_json", "this is not JSON {")
    write(folder, "03_malformed", {"cells": [{"cell_type": "code", "metadata": [], "source": [1]}],
                                   "metadata": {"lbdl_classroom": 3}})
    # leans on the checker's own reference, given in the exercise cell: it passes in the notebook, not here
    write(folder, "calls_the_reference", solved(3, {"3.1 perplexity", "3.2 momentum"}, {
        "3.3 linear layer backward": "def linear_backward(x, W, grad_y):\n    flat = autograd_linear_backward(x, W, "
        "grad_y)\n    n, m = x.numel(), W.numel()\n    return flat[:n].reshape(x.shape), flat[n:n + m].reshape("
        "W.shape), flat[n + m:]\n"}))
    expected |= {"reads_solutions": [0, 0, 0], "opens_socket": [0, 1, 1], "writes_outside": [1, 1, 1],
                 "03_empty": [0, 0, 0], "03_not_json": [0, 0, 0], "03_malformed": [0, 0, 0],
                 "calls_the_reference": [1, 1, 0]}
    return expected | {name: points for name, (_, _, points) in ADVERSARIAL.items()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One lbdl-grade run over chapter 3's set and a solved submission of every chapter with exercises."""
    if sys.platform != "linux":
        pytest.skip("lbdl-grade needs Linux")
    tmp = tmp_path_factory.mktemp("grading")
    server, connections = socket.create_server(("127.0.0.1", 0)), []
    threading.Thread(target=lambda: connections.append(server.accept()), daemon=True).start()
    canary, subs = tmp / "canary", tmp / "subs"
    canary.mkdir()
    subs.mkdir()
    (canary / "grades.csv").write_text("teacher's grades")
    expected = submissions(subs, server.getsockname()[1], canary)
    chapters = {}
    for path in CHAPTERS:
        found = notebooks.exercises(notebooks.read(path))
        if found:
            write(subs, f"solved{path.name[:2]}", solved(int(path.name[:2])))
            chapters[f"solved{path.name[:2]}"] = {ex.name: "1" for ex in found}
    # chapter 7 with NaN for 7.2: its checker compares with `>`, which NaN never is
    nan = solved(7, {"7.1 min-p sampling", "7.3 Bradley–Terry by hand"}, {"7.2 x0 from the predicted noise":
               "def x0_from_noise(x_t, eps, alpha_bar_t):\n    return torch.full_like(x_t, float('nan'))\n"})
    write(subs, "nan07", nan)
    chapters["nan07"] = {ex.name: "1" if ex.name in ("7.1 min-p sampling", "7.3 Bradley–Terry by hand") else "0"
                         for ex in notebooks.exercises(notebooks.read(CHAPTERS[6]))}
    out = tmp / "out"
    code = grader.main([*map(str, sorted(subs.glob("*.ipynb"))), "--out", str(out), "--time-limit", "5"])
    lingering = [p for p in Path("/proc").glob("[0-9]*") if b"lbdl-grade-" in _cmdline(p)]
    with open(out / "grades.csv", newline="") as f:
        rows = {r.pop("student"): r for r in csv.DictReader(f)}
    server.close()
    return {"code": code, "rows": rows, "out": out, "expected": expected, "chapters": chapters, "tmp": tmp,
            "connections": connections, "canary": canary, "subs": subs, "lingering": lingering}


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def test_every_submission_scores_what_it_deserves(graded):
    assert graded["code"] == 0
    rows, out, expected = graded["rows"], graded["out"], graded["expected"]
    # unwalled, the solution reader would score: the attack is real
    assert "def perplexity_solution" in (notebooks.teacher_folder() / "03_training.ipynb").read_text()
    names = ["3.1 perplexity", "3.2 momentum", "3.3 linear layer backward"]
    got = {s: [int(rows[s][n]) for n in names] for s in expected}
    assert got == expected
    totals = {s: sum(int(v) for k, v in rows[s].items() if k != "total" and v != "") for s in expected}
    assert all(int(rows[s]["total"]) == totals[s] for s in expected)
    feedback = {s: (out / "feedback" / f"{s}.md").read_text() for s in expected}
    for student_name, phrase in [("loops_forever", "longer than the 5 s"), ("allocates_10gb", "raised RuntimeError"),
                                 ("exits", "ended the process"), ("syntax_error", "syntax error"),
                                 ("03_not_json", "not a notebook"), ("03_empty", "no exercise cell"),
                                 ("reads_solutions", "PermissionError"), ("opens_socket", "raised"),
                                 ("stub", "not done yet"), ("lying_tensor", "values are wrong"),
                                 ("huge_answer", "too large"), ("03_malformed", "no exercise cell"),
                                 ("calls_the_reference", "NameError")]:
        assert phrase in feedback[student_name], (student_name, feedback[student_name])
    lines = 2 + len(notebooks.exercises(notebooks.read(CHAPTERS[2])))  # a title, a blank line, one per exercise
    assert all(len(text.strip().splitlines()) == lines for text in feedback.values()), "one line per exercise"
    assert graded["lingering"] == [], "a submission's process outlived the grading"
    report = json.loads((out / "results" / "half_done.json").read_text())
    assert report["score"] == 2 and report["max_score"] == lines - 2 and report["tests"][1]["status"] == "failed"
    canary = graded["canary"]
    assert graded["connections"] == [] and (canary / "grades.csv").read_text() == "teacher's grades"
    assert sorted(p.name for p in canary.iterdir()) == ["grades.csv"]  # nothing written, nothing linked
    assert not list(graded["tmp"].rglob("escaped.txt"))
    assert grader.main([str(graded["subs"] / "stub.ipynb"), "--out", str(out)]) == 2  # no silent overwrite


def test_every_chapters_checkers_grade_through_the_walls(graded):
    """Each chapter's checkers rebuilt from its slice; its solutions cross the wire and pass."""
    got = {s: {k: v for k, v in r.items() if v and k != "total"} for s, r in graded["rows"].items()
           if s.startswith(("solved", "nan"))}
    assert got == graded["chapters"], {s: (graded["out"] / "feedback" / f"{s}.md").read_text() for s in got}
