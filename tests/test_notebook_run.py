"""Execute every notebook at ci scale in a fresh kernel, parameters injected by papermill."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbtools as notebooks
import pytest
from conftest import NOTEBOOK_STATS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from run_notebook import run  # noqa: E402

PATHS = notebooks.paths()
CI_BUDGET_S = 120  # the plan's budget is 60 s; this twice-as-loose bound catches only regressions


def expected_metric_names(path: Path) -> set[str]:
    """Every literal name passed to lbdl.expect / lbdl.check_close in the notebook's code."""
    src = "\n".join(notebooks.source(c) for c in notebooks.read(path)["cells"] if c["cell_type"] == "code")
    calls = re.findall(r"""lbdl\.(?:expect|check_close)\(\s*(f?)(["'])(.*?)\2""", src)
    return {name for prefix, _, name in calls if not prefix}  # f-string names vary: not checked


RECORDS: dict[str, list[dict]] = {}


def run_ci(path: Path, tmp_path: Path) -> tuple[dict, list[dict]]:
    """Run ``path`` at ci scale in a fresh kernel; return its stats and metric records."""
    try:
        stats, records, _ = run(path, tmp_path, scale="ci", seed=0)
    except RuntimeError as err:
        pytest.fail(str(err))
    return stats, records


@pytest.mark.notebooks
@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_runs_at_ci_scale(path: Path, tmp_path: Path) -> None:
    stats, records = run_ci(path, tmp_path)
    RECORDS[path.name] = records
    NOTEBOOK_STATS.append(stats | {"metrics": len(records)})

    assert {r["scale"] for r in records} == {"ci"}, "the injected SCALE parameter did not reach lbdl.setup"
    assert {r["notebook"] for r in records} == {path.stem}
    failed = [r for r in records if r.get("passed") is False]  # plain measurements carry no "passed"
    assert not failed, failed
    missing = expected_metric_names(path) - {r["name"] for r in records}
    assert not missing, f"{path.name}: checks in the code that never ran: {sorted(missing)}"
    assert stats["seconds"] < CI_BUDGET_S, f"{path.name} took {stats['seconds']} s at ci scale"
    # Checked exercises: the committed stub is rejected and the collapsed solution accepted.
    exercises = {r["exercise"] for r in records if "exercise" in r}
    for name in exercises:
        roles = {r["role"]: r["value"] for r in records if r.get("exercise") == name}
        assert roles == {"attempt": 0.0, "solution": 1.0}, f"{path.name}: exercise {name!r}: {roles}"


@pytest.mark.notebooks
def test_a_second_run_gives_the_same_numbers(tmp_path: Path) -> None:
    """Seeded notebooks repeat on CPU: re-run chapter 1 and compare every metric."""
    path = PATHS[0]
    if path.name not in RECORDS:
        (tmp_path / "first").mkdir()
        RECORDS[path.name] = run_ci(path, tmp_path / "first")[1]
    first = RECORDS[path.name]
    (tmp_path / "second").mkdir(exist_ok=True)
    second = run_ci(path, tmp_path / "second")[1]
    assert [r["name"] for r in first] == [r["name"] for r in second]
    # Multithreaded BLAS may change the last bits of a sum, so round-off sized differences are allowed.
    for a, b in zip(first, second):
        assert b["value"] == pytest.approx(a["value"], rel=1e-6, abs=1e-9), a["name"]
