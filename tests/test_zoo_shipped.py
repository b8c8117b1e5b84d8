"""The zoo's shipped models: in the package, current with the code, loaded offline, reproducible by their recipe."""

from __future__ import annotations

import platform

import pytest
import torch
from test_zoo import tiny  # noqa: F401  the fixture: a tiny recipe and an empty cache

from lbdlutils import zoo
from lbdlutils.zoo import store

SHIPPED = [(name, scale) for name in sorted(zoo.RECIPES) for scale in ("ci", "small")]


def _state(name: str, scale: str) -> dict:
    path = zoo.PACKAGE / store.shipped_name(name, scale, 0)
    assert path.is_file(), f"{path.name} is not shipped: python -m lbdlutils.zoo --ship --scale {scale} {name}"
    return store.read(path)


@pytest.mark.parametrize(("name", "scale"), SHIPPED)
def test_every_model_is_shipped_current_and_half_precision(name, scale):
    state = _state(name, scale)
    assert state["code"] == store.code_hash(name), (
        f"the code that trains {name} changed since it was shipped: python -m lbdlutils.zoo --ship --scale {scale} "
        f"{name}")
    assert tuple(state["vocab"]) == zoo.corpus(name, scale).chars
    floats = [v for v in state["state_dict"].values() if v.is_floating_point()]
    assert floats and all(v.dtype == torch.float16 for v in floats)
    assert state["metrics"]["scale"] == scale and state["metrics"]["seed"] == 0


def test_the_package_stays_lean():
    files = list(zoo.PACKAGE.glob(f"*{zoo.SUFFIX}"))
    assert len(files) == len(SHIPPED), sorted(p.name for p in files)
    assert sum(p.stat().st_size for p in files) < 9e6, "a few MB: float16, ci and small only (8.1 MB)"


@pytest.mark.parametrize(("name", "scale"), SHIPPED)
def test_shipped_weights_give_their_recorded_held_out_loss(name, scale, capsys):
    metrics = _state(name, scale)["metrics"]
    model, loaded = zoo.load(name, scale=scale)
    assert "loaded from the package" in capsys.readouterr().out and loaded == metrics
    recipe, data = zoo.RECIPES[name], zoo.corpus(name, scale)
    loss = recipe.evaluate(model, data)
    same_data = metrics["data"] == zoo.key(name, scale, 0, data)  # this Python's corpus and torch version
    assert loss == pytest.approx(metrics["shipped val loss"], rel=1e-3 if same_data else 0.1)
    # Far from an untrained model of the recipe (a GPT's: about log V nats/char): trained, not initialised.
    torch.manual_seed(0)
    assert loss < 0.6 * recipe.evaluate(recipe.build(data, scale).eval(), data)
    assert not list(zoo.folder().glob("*")), "loading a shipped model writes nothing to the cache"


def test_retraining_at_ci_matches_the_recipe_record(capsys):
    """The shipped files are what the recipe makes: retrained here, the held-out curve is the recorded one."""
    recorded = _state("gpt-grammar", "ci")["metrics"]
    again = zoo.load("gpt-grammar", scale="ci", retrain=True)
    assert "training gpt-grammar" in capsys.readouterr().out
    assert again.metrics["history"]["val loss"] == pytest.approx(recorded["history"]["val loss"], abs=0.02)
    assert zoo.load("gpt-grammar", scale="ci", shipped=False).metrics == again.metrics  # now from the reader's cache


def test_the_large_gpts_first_steps_retrace_its_record():
    """The large GPT rerun to its first record only (half its ci steps): a whole retraining costs 16 s."""
    recorded = _state("gpt-python-large", "ci")["metrics"]
    if recorded["python"] != platform.python_version():
        pytest.skip("the corpus is Python's own source: another Python, other data")
    history = recorded["history"]
    here = zoo.first_steps("gpt-python-large", history["step"][0], scale="ci").metrics["history"]
    assert here["step"][-1] == history["step"][0]
    first, second = history["val loss"][:2]
    assert abs(here["val loss"][-1] - first) < 0.02 < abs(second - first)  # far closer than the next record


def test_a_shipped_file_is_checked_and_passed_over(tiny, monkeypatch, capsys, tmp_path):  # noqa: F811
    monkeypatch.setattr(zoo, "PACKAGE", tmp_path / "weights")
    zoo.ship("tiny", "ci", out=tmp_path / "weights")
    path = tmp_path / "weights" / store.shipped_name("tiny", "ci", 0)
    capsys.readouterr()
    zoo.load("tiny", scale="ci")
    assert "loaded from the package" in capsys.readouterr().out and not tiny.exists()
    zoo.load("tiny", scale="ci", shipped=False)
    assert "training tiny" in capsys.readouterr().out, "shipped=False: the chapter that trains it in view"
    zoo.clear()
    state = store.read(path)
    store.write(path, state | {"metrics": state["metrics"] | {"data": "another Python's corpus"}})
    assert "whose data or versions differ from yours" in (zoo.load("tiny", scale="ci"), capsys.readouterr().out)[1]
    store.write(path, state | {"code": "0" * 16})
    zoo.load("tiny", scale="ci")
    out = capsys.readouterr().out
    assert "in the package" in out and "another version of the code" in out and "training tiny" in out
    store.write(path, state | {"vocab": ("a", "b")})
    zoo.clear()
    assert "its vocabulary is not this corpus's" in (zoo.load("tiny", scale="ci"), capsys.readouterr().out)[1]
