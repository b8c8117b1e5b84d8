"""make test's notebook run (scripts/ci_notebooks.py), kernel-free: the copies it prepares and the checks it makes.

The notebooks themselves run once each, in the same pytest session, as nbval items (see the Makefile);
these tests show that what checks that run can fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import ci_notebooks
import nbtools as notebooks
import pytest

ROOT = Path(__file__).resolve().parent.parent


def rec(name: str, value: float = 1.0, **extra) -> dict:
    return {"notebook": "01_x", "name": name, "value": value, "scale": "ci", "seed": 0, **extra}


GOOD = [rec("loss", 0.1, passed=True, at_most=0.5), rec("a measurement", 3.0),
        rec("exercise: 1.1 (your answer)", 0.0, exercise="1.1", role="attempt", stub=True),
        rec("exercise: 1.1 (solution)", 1.0, exercise="1.1", role="solution")]


def test_a_good_run_passes():
    assert ci_notebooks.check_records(GOOD, "01_x", ["loss"]) == []


@pytest.mark.parametrize("broken, expected, says", [
    ([], ["loss"], "no check was recorded"),
    ([{**r, "scale": "small"} for r in GOOD], ["loss"], "injected SCALE did not reach"),
    ([{**GOOD[0], "notebook": "02_y"}, *GOOD[1:]], ["loss"], "records name notebooks"),
    ([{**GOOD[0], "passed": False}, *GOOD[1:]], ["loss"], "failed checks: ['loss']"),
    (GOOD, ["loss", "accuracy"], "never ran: ['accuracy']"),
    ([*GOOD[:2], {**GOOD[2], "value": 1.0}, GOOD[3]], ["loss"], "exercise '1.1'"),  # the stub passes its checker
    (GOOD[:3], ["loss"], "exercise '1.1'"),  # the solution never ran
    ([*GOOD[:2], {**GOOD[2], "stub": False}, GOOD[3]], ["loss"], "did not say 'not done yet'"),  # it raised instead
])
def test_each_rule_can_fail(broken, expected, says):
    problems = ci_notebooks.check_records(broken, "01_x", expected)
    assert problems and says in " ".join(problems), problems


def test_a_second_pass_must_repeat_the_first():
    machine = rec("speed", 9.0, machine_dependent=True)
    twice = [*GOOD, machine, *GOOD, {**machine, "value": 4.0}]  # machine measurements may differ
    assert ci_notebooks.check_records(twice, "01_x", ["loss"], passes=2) == []
    drifted = [*GOOD, *[{**r, "value": r["value"] + 1e-3} if r["name"] == "loss" else r for r in GOOD]]
    assert "other values than pass 1 for ['loss']" in ci_notebooks.check_records(drifted, "01_x", ["loss"], 2)[0]
    assert "cannot be cut" in ci_notebooks.check_records([*GOOD, GOOD[0]], "01_x", ["loss"], 2)[0]
    other = [*GOOD, *reversed(GOOD)]
    assert "other checks" in ci_notebooks.check_records(other, "01_x", ["loss"], 2)[0]


def test_expected_names_are_the_literal_ones():
    code = 'lbdl.expect("acc", a, at_least=1)\nlbdl.check_close(\n    "grad", x, y)\nlbdl.expect(f"acc {k}", a)'
    nb = {"cells": [{"cell_type": "code", "source": code}, {"cell_type": "markdown", "source": 'lbdl.expect("no")'}]}
    assert ci_notebooks.expected_metric_names(nb) == ["acc", "grad"]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("ci")
    first = notebooks.paths()[0]
    return out, notebooks.read(ci_notebooks.prepare_notebook(first, out))


def test_prepared_copy_injects_parameters_and_checks_last(prepared):
    out, nb = prepared
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    injected = [c for c in code if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 2 and 'SCALE = "ci"' in notebooks.source(injected[0])  # chapter 1 runs twice
    assert "LBDL_METRICS" in notebooks.source(code[0]) and str(out / "metrics") in notebooks.source(code[0])
    last = notebooks.source(code[-1])
    assert "check_run(" in last and "passes=2" in last and str(out / "site") in last
    assert not [c for c in code if c["outputs"] or c["execution_count"]], "a prepared copy starts without outputs"
    ids = [c["id"] for c in nb["cells"]]
    assert len(ids) == len(set(ids)), "cell ids must stay unique when a notebook runs twice"
    # the student edition runs top to bottom, then the solutions: in each pass, every solution after every stub
    tags = [c["metadata"].get("tags", []) for c in code]
    first_solution = next(k for k, t in enumerate(tags) if "solution" in t)
    last_stub = max(k for k, t in enumerate(tags[:len(tags) // 2]) if "exercise" in t)
    assert last_stub < first_solution and any("student-note" in c["metadata"].get("tags", []) for c in nb["cells"])


def test_the_kernel_imports_the_install_with_one_thread(tmp_path):
    spec = json.loads(ci_notebooks.write_kernel(tmp_path, tmp_path / "site").read_text())
    assert spec["env"]["PYTHONPATH"] == str(tmp_path / "site") and spec["env"]["LBDL_THREADS"] == "1"
    assert "LBDL_SCALE" not in spec["env"], "the scale must come from papermill's parameters, not the environment"
