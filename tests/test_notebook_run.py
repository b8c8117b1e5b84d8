"""Execute every notebook at ci scale in a fresh kernel, parameters injected by papermill."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NOTEBOOK_STATS

from lbdlutils import notebooks

ROOT = Path(__file__).resolve().parent.parent
PATHS = notebooks.paths()
CI_BUDGET_S = 120  # the plan's budget is 60 s; this twice-as-loose bound catches only regressions


def expected_metric_names(path: Path) -> set[str]:
    """Every literal name passed to lbdl.expect / lbdl.check_close in the notebook's code."""
    src = "\n".join(notebooks.source(c) for c in notebooks.read(path)["cells"] if c["cell_type"] == "code")
    return set(re.findall(r"lbdl\.(?:expect|check_close)\(\s*f?[\"']([^\"'{}]+)[\"']", src))


@pytest.mark.notebooks
@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_runs_at_ci_scale(path: Path, tmp_path: Path) -> None:
    out, metrics = tmp_path / path.name, tmp_path / "metrics.jsonl"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "run_notebook.py"), str(path), str(out),
                          "--scale", "ci", "--seed", "0", "--metrics", str(metrics)],
                         capture_output=True, text=True)
    assert run.returncode == 0, f"{path.name} failed at ci scale:\n{run.stderr[-4000:]}"
    stats = json.loads(run.stdout.strip().splitlines()[-1])
    records = [json.loads(line) for line in metrics.read_text().splitlines()]
    NOTEBOOK_STATS.append(stats | {"metrics": len(records)})

    assert {r["scale"] for r in records} == {"ci"}, "the injected SCALE parameter did not reach lbdl.setup"
    assert {r["notebook"] for r in records} == {path.stem}
    assert all(r["passed"] for r in records), [r for r in records if not r["passed"]]
    missing = expected_metric_names(path) - {r["name"] for r in records}
    assert not missing, f"{path.name}: checks in the code that never ran: {sorted(missing)}"
    assert stats["seconds"] < CI_BUDGET_S, f"{path.name} took {stats['seconds']} s at ci scale"
