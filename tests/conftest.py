"""Shared fixtures: a clean lbdlutils state per test (make test's notebook times: scripts/ci_notebooks.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

import lbdlutils as lbdl
from lbdlutils import scale, session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))  # nbtools, ci_notebooks


@pytest.fixture(scope="session")
def zoo_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One zoo cache for the unit tests, empty at the start; never the user's own."""
    return str(tmp_path_factory.mktemp("zoo"))


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch: pytest.MonkeyPatch, zoo_cache: str):
    """No test sees another's scale, session, metrics, environment variables, torch threads, nor the user's zoo."""
    for var in ("LBDL_SCALE", "LBDL_DEVICE", "LBDL_THREADS", "LBDL_METRICS", "LBDL_HEADLESS", "LBDL_ZOO_SHARED"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LBDL_CACHE", zoo_cache)
    monkeypatch.setattr(scale, "_current", None)
    monkeypatch.setattr(session, "_session", None)
    lbdl.records.clear()
    threads = torch.get_num_threads()  # lbdl.setup sets them: a test must not leave a worker oversubscribed
    yield
    torch.set_num_threads(threads)
