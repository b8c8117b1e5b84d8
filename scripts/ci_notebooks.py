"""make test's one execution of every notebook: papermill prepares a copy, nbval runs it, its last cell checks it.

    python scripts/ci_notebooks.py OUT [notebooks/NN_title.ipynb ...]   (default: every chapter)

Writes under OUT:
- ``site/``: lbdlutils installed as a wheel would be (no link back to this clone), as Colab installs it;
- ``jupyter/kernels/lbdl-ci/kernel.json``: this Python, with ``site/`` first on its path, one torch thread
  (two kernels run side by side on two cores without fighting), headless, and a zoo shared by the run;
- ``order.txt``: the copies, longest first, for pytest's command line;
- ``notebooks/NN_title.ipynb``: each notebook's student edition (``make student``: no solution, every
  exercise a stub) with papermill's injected parameters (``SCALE = "ci"``, ``SEED = 0``), then the
  solution cells, a first cell that sends its checks to ``metrics/NN_title.jsonl``, and a last cell
  that checks what the run recorded (:func:`check_run`): each stub said "not done yet", each solution
  passed. Chapter 1 runs twice in one kernel, and the second pass must repeat the first's numbers
  (Run All twice, and seeding).

Then ``pytest -p ci_notebooks --nbval-lax --nbval-kernel-name lbdl-ci OUT/notebooks`` (with
``JUPYTER_PATH=OUT/jupyter`` and this folder on ``PYTHONPATH``) executes each copy once, cell by cell:
nbval's report, papermill's parameters and the metric checks all come from that one run. Every copy
sits in a folder of its own (make test: under build/, three levels down), so that no notebook can
lean on a path of the clone and pass. Loaded as a pytest plugin, this module
adds up each notebook's time and prints it at the end, measured and never tested (see budgets.py).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import nbtools as notebooks

ROOT = Path(__file__).resolve().parent.parent
KERNEL = "lbdl-ci"
SCALE, SEED = "ci", 0
TWICE = ("01_machine_learning.ipynb",)  # run twice in one kernel: cheap, and it trains real models
SECOND_PASS = "lbdl-ci-second-pass"


def expected_metric_names(nb: dict[str, Any]) -> list[str]:
    """Every literal name passed to lbdl.expect / lbdl.check_close in the notebook's code."""
    src = "\n".join(notebooks.source(c) for c in nb["cells"] if c.get("cell_type") == "code")
    calls = re.findall(r"""lbdl\.(?:expect|check_close)\(\s*(f?)(["'])(.*?)\2""", src)
    return sorted({name for prefix, _, name in calls if not prefix})  # f-string names vary: not checked


def check_records(records: list[dict[str, Any]], notebook: str, expected: list[str], passes: int = 1) -> list[str]:
    """What is wrong with one ci run's records (an empty list when nothing is): the rules of make test.

    Every record at ci and of this notebook, no failed check, every check written in the code ran,
    every exercise's stub rejected and its solution accepted; with ``passes`` > 1, every pass gave
    the same names and (up to round-off) the same values.
    """
    problems = []
    if not records:
        return [f"{notebook}: no check was recorded (was LBDL_METRICS set before lbdl.setup?)"]
    if {r.get("scale") for r in records} != {SCALE}:
        problems.append(f"scales {sorted({str(r.get('scale')) for r in records})}: the injected SCALE did not "
                        "reach lbdl.setup")
    if {r.get("notebook") for r in records} != {notebook}:
        problems.append(f"records name notebooks {sorted({str(r.get('notebook')) for r in records})}, "
                        f"expected {notebook!r}")
    failed = [r["name"] for r in records if r.get("passed") is False]  # plain measurements carry no "passed"
    if failed:
        problems.append(f"failed checks: {failed}")
    missing = sorted(set(expected) - {r["name"] for r in records})
    if missing:
        problems.append(f"checks in the code that never ran: {missing}")
    for name in sorted({r["exercise"] for r in records if "exercise" in r}):
        roles = {r["role"]: r["value"] for r in records if r.get("exercise") == name}
        if roles != {"attempt": 0.0, "solution": 1.0}:
            problems.append(f"exercise {name!r}: stub and solution gave {roles}, expected attempt 0, solution 1")
        elif not all(r.get("stub") for r in records if r.get("exercise") == name and r["role"] == "attempt"):
            problems.append(f"exercise {name!r}: the student edition's stub did not say 'not done yet'")
    if passes > 1:
        problems += _compare_passes(records, passes)
    return problems


def _compare_passes(records: list[dict[str, Any]], passes: int) -> list[str]:
    """Seeded notebooks repeat: each pass must record what the first did (machine measurements aside)."""
    kept = [r for r in records if not r.get("machine_dependent")]
    if len(kept) % passes:
        return [f"{len(kept)} records cannot be cut into {passes} equal passes"]
    n = len(kept) // passes
    first = kept[:n]
    for k in range(1, passes):
        again = kept[k * n:(k + 1) * n]
        if [r["name"] for r in again] != [r["name"] for r in first]:
            return [f"pass {k + 1} recorded other checks than pass 1"]
        # multithreaded BLAS may change the last bits of a sum: round-off sized differences are allowed
        differ = [a["name"] for a, b in zip(first, again)
                  if not math.isclose(a["value"], b["value"], rel_tol=1e-6, abs_tol=1e-9)]
        if differ:
            return [f"pass {k + 1} gave other values than pass 1 for {differ}"]
    return []


def check_run(metrics: str, notebook: str, expected: list[str], site: str, passes: int = 1) -> None:
    """The last cell of a prepared copy: the run came from the install, at the injected scale, and its records hold."""
    import lbdlutils
    from lbdlutils import session

    problems = []
    if not Path(lbdlutils.__file__).resolve().is_relative_to(Path(site).resolve()):
        problems.append(f"lbdlutils came from {lbdlutils.__file__}, not from the install in {site}")
    current = session.current()
    if current is None or current.scale_source != "notebook parameter":
        problems.append(f"the scale came from {current.scale_source if current else 'nowhere'}, not from "
                        "papermill's injected SCALE")
    path = Path(metrics)
    records = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    problems += check_records(records, notebook, expected, passes)
    if problems:
        raise AssertionError(f"{notebook} at ci:\n- " + "\n- ".join(problems))
    print(f"✓ {notebook}: {len(records)} records, {len(expected)} named checks ran, all passed"
          + (f", {passes} passes agree" if passes > 1 else ""))


def _code_cell(source: str, tag: str) -> dict[str, Any]:
    return {"cell_type": "code", "id": tag, "metadata": {"tags": [tag]}, "execution_count": None, "outputs": [],
            "source": source}


def prepare_notebook(path: Path, out: Path) -> Path:
    """The copy of ``path`` that make test runs: parameters injected, metrics sent to a file, a checking last cell."""
    import papermill as pm

    from lbdlutils.classroom import student

    target = out / "notebooks" / path.name
    metrics = out / "metrics" / f"{path.stem}.jsonl"
    for folder in (target.parent, metrics.parent):
        folder.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(str(path), str(target), parameters={"SCALE": SCALE, "SEED": SEED}, prepare_only=True,
                        progress_bar=False, log_output=False)
    teacher = notebooks.read(target)
    expected = expected_metric_names(teacher)
    passes = 2 if path.name in TWICE else 1
    # the student edition, top to bottom, then the solutions: what students run, and the solutions checked
    nb = student.edition(teacher, clear_outputs=True, source=path.name)
    solutions = [c for c in teacher["cells"] if "solution" in c.get("metadata", {}).get("tags", [])]
    cells = nb["cells"] + [{**c, "outputs": [], "execution_count": None} for c in solutions]
    for cell in cells:
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    body = list(cells)
    for k in range(2, passes + 1):
        body.append(_code_cell(f"# pass {k}: Run All again in the same kernel", SECOND_PASS))
        body += [{**c, "id": f"{c.get('id', i)}-pass{k}"} for i, c in enumerate(cells)]
    first = _code_cell(f"import os\n\nos.environ['LBDL_METRICS'] = {str(metrics)!r}", "lbdl-ci-metrics")
    last = _code_cell(f"import sys\n\nsys.path.insert(0, {str(ROOT / 'scripts')!r})\nimport ci_notebooks\n\n"
                      f"ci_notebooks.check_run({str(metrics)!r}, {path.stem!r}, {expected!r}, "
                      f"{str(out / 'site')!r}, passes={passes})", "lbdl-ci-check")
    nb["cells"] = [first, *body, last]
    target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def install(out: Path) -> Path:
    """lbdlutils installed under ``out/site`` as a wheel would be, with no link back to this clone."""
    import importlib.util

    site = out / "site"
    # the venv's setuptools when it has one (Python < 3.12's venvs do): no download of a build environment
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *isolation,
                           "--target", str(site), str(ROOT)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"installing lbdlutils into {site} failed:\n{done.stderr[-3000:]}")
    return site


def write_kernel(out: Path, site: Path) -> Path:
    """A kernel spec whose kernels import lbdlutils from ``site``: one thread, a shared zoo, the device check."""
    spec = out / "jupyter" / "kernels" / KERNEL / "kernel.json"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "lbdl ci (installed lbdlutils)", "language": "python",
        # LBDL_DEVICE=check: the CPU refuses what CUDA or MPS would (lbdlutils.device.check), so every
        # notebook is checked device-correct here, on machines without a GPU
        "env": {"PYTHONPATH": str(site), "LBDL_THREADS": "1", "LBDL_HEADLESS": "1", "LBDL_DEVICE": "check",
                "LBDL_CACHE": str(out / "zoo")},
    }, indent=1))
    return spec


NOTEBOOK_SECONDS: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report) -> None:
    """Add up each notebook's cells (nbval items, kernel start included); with xdist, on the controller."""
    path, _, rest = report.nodeid.partition("::")
    if path.endswith(".ipynb") and rest:
        NOTEBOOK_SECONDS[Path(path).name] += report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if not NOTEBOOK_SECONDS or hasattr(terminalreporter.config, "workerinput"):
        return
    import budgets

    gflops = budgets.matmul_gflops()
    terminalreporter.section("notebooks at ci: measured, never tested (make budgets compares them with budgets)")
    workers = terminalreporter.config.getoption("numprocesses", None) or 1
    note = (f"Under make test: {workers} kernel(s) side by side, one torch thread each, a zoo shared by the run, "
            "so no budget is compared here (make budgets runs each notebook alone)")
    for line in budgets.table({name: {"seconds": s} for name, s in sorted(NOTEBOOK_SECONDS.items())}, gflops,
                              "ci", note=note, compare=False):
        terminalreporter.write_line(line)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.exit(__doc__)
    out = Path(args[0]).resolve()
    targets = [Path(p) for p in args[1:]] or notebooks.paths(ROOT / "notebooks")
    (out / "zoo").mkdir(parents=True, exist_ok=True)
    write_kernel(out, install(out))
    prepared = {prepare_notebook(path, out): path for path in targets}
    # Longest first (by the committed render's time): two workers then finish together, not one waiting.
    cost = {copy: notebooks.read(path)["metadata"].get("lbdl", {}).get("seconds", 0) for copy, path in prepared.items()}
    (out / "order.txt").write_text("\n".join(str(p) for p in sorted(cost, key=cost.get, reverse=True)) + "\n")
    print(f"prepared {len(targets)} notebook(s) at {SCALE} under {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
