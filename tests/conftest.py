"""Shared fixtures: a clean lbdlutils state per test, and the notebook timing summary."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import lbdlutils as lbdl
from lbdlutils import scale, session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))  # nbtools, run_notebook
NOTEBOOK_STATS: list[dict] = []


@pytest.fixture(scope="session")
def zoo_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One zoo cache for the whole run, empty at its start: notebooks start cold, as on a reader's first run.

    ``make test`` names it (LBDL_TEST_ZOO, an empty folder) so that its nbval run reuses what this run trained.
    """
    return os.environ.get("LBDL_TEST_ZOO") or str(tmp_path_factory.mktemp("zoo"))


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch: pytest.MonkeyPatch, zoo_cache: str) -> None:
    """No test sees another's scale, session, metrics or environment variables, nor the user's zoo."""
    for var in ("LBDL_SCALE", "LBDL_DEVICE", "LBDL_THREADS", "LBDL_METRICS", "LBDL_HEADLESS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LBDL_CACHE", zoo_cache)
    monkeypatch.setattr(scale, "_current", None)
    monkeypatch.setattr(session, "_session", None)
    lbdl.records.clear()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if NOTEBOOK_STATS:
        terminalreporter.section("notebooks at ci scale")
        for s in NOTEBOOK_STATS:
            terminalreporter.write_line(f"{s['notebook']:<32} {s['seconds']:>6.1f} s   peak {s['peak_rss_mb']:>5} MB"
                                        f"   {s['metrics']} metrics")
