"""The model zoo: train once, load after; corrupt files rebuilt; code changes change the key; safe writers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
import torch

from lbdlutils import train, zoo
from lbdlutils.data import text
from lbdlutils.models import GPT

TINY = textwrap.dedent('''
    from lbdlutils import train, zoo
    from lbdlutils.data import text
    from lbdlutils.models import GPT

    def tiny_corpus(scale):
        t = text.grammar_corpus(4000, seed=0)
        v = text.CharVocab.from_text(t)
        ids = v.encode(t)
        return zoo.Corpus(v, ids[:3500], ids[3500:])

    def tiny_fit(model, c, scale, seed, stop=None):
        return train.train_lm(model, c.train_ids, steps=6, batch=4, lr=1e-2, val_ids=c.val_ids, seed=seed,
                              evals=2, live=False, stop=stop)

    zoo.RECIPES["tiny"] = zoo.Recipe("a tiny GPT for tests", tiny_corpus,
                                     lambda c, scale: GPT(len(c.vocab), 16, 2, 1, 16), tiny_fit)
''')


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    monkeypatch.setenv("LBDL_CACHE", str(tmp_path / "zoo"))
    monkeypatch.setitem(zoo.RECIPES, "tiny", None)
    namespace: dict = {}
    exec(TINY, namespace)  # registers RECIPES["tiny"], restored by monkeypatch afterwards
    return tmp_path / "zoo"


def test_cold_then_warm_gives_the_same_model(tiny, capsys):
    cold = zoo.load("tiny", scale="ci", seed=1)
    assert "training tiny" in capsys.readouterr().out
    files = list(tiny.glob("*.lbdlzoo"))
    assert len(files) == 1 and files[0].name.startswith("tiny-ci-seed1-")
    warm = zoo.load("tiny", scale="ci", seed=1)
    assert "loaded from the cache" in capsys.readouterr().out
    for (k, a), (_, b) in zip(cold.model.state_dict().items(), warm.model.state_dict().items()):
        assert torch.equal(a, b), k
    assert warm.metrics["history"] == cold.metrics["history"] and len(warm.metrics["history"]["val loss"]) == 2
    assert not warm.model.training
    other_seed = zoo.load("tiny", scale="ci", seed=2)
    assert len(list(tiny.glob("*.lbdlzoo"))) == 2 and other_seed.metrics["seed"] == 2


def test_first_steps_retrace_the_recorded_run_and_store_nothing(tiny, capsys):
    whole = zoo.load("tiny", scale="ci")
    part = zoo.first_steps("tiny", 3, scale="ci")
    assert "its first 3 steps" in capsys.readouterr().out
    h, w = part.metrics["history"], whole.metrics["history"]
    assert h["step"] == [3] and w["step"] == [3, 6]
    assert h["val loss"][0] == pytest.approx(w["val loss"][0], abs=1e-5)  # the same schedule, cut short
    assert len(list(tiny.glob("*"))) == 1, "only the whole run is stored"
    with pytest.raises(ValueError, match="stop must be an integer from 1 to steps"):
        zoo.first_steps("tiny", 7, scale="ci")


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_corrupt_file_is_reported_in_one_line_and_rebuilt(tiny, capsys, damage):
    zoo.load("tiny", scale="ci")
    path = next(tiny.glob("*.lbdlzoo"))
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "flip":
        path.write_bytes(raw[:-10] + bytes([raw[-10] ^ 0xFF]) + raw[-9:])
    else:
        path.write_bytes(b"not a zoo file at all")
    capsys.readouterr()
    again = zoo.load("tiny", scale="ci")
    out = capsys.readouterr().out
    assert "cannot be used" in out and "training it again" in out and "Traceback" not in out
    assert "/" not in out.split("cannot be used")[0], "no machine path in the message"
    assert again.metrics["parameters"] > 0
    assert "loaded from the cache" in (zoo.load("tiny", scale="ci"), capsys.readouterr().out)[1]


def test_changed_training_code_gives_a_new_key(tiny):
    before = zoo.key("tiny", "ci", 0)
    assert before == zoo.key("tiny", "ci", 0) and before != zoo.key("tiny", "ci", 1)
    assert before != zoo.key("tiny", "small", 0)
    recipe = zoo.RECIPES["tiny"]

    def tiny_fit(model, c, scale, seed):  # same name, one number changed
        return train.train_lm(model, c.train_ids, steps=7, batch=4, lr=1e-2, seed=seed, live=False)

    zoo.RECIPES["tiny"] = zoo.Recipe(recipe.description, recipe.corpus, recipe.build, tiny_fit)
    assert zoo.key("tiny", "ci", 0) != before


def test_two_writers_at_once_leave_one_valid_file(tiny):
    script = TINY + "\nzoo.load('tiny', scale='ci', seed=0)\nprint('done')\n"
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    assert all("done" in o[0] for o in outs)
    assert [p.suffix for p in tiny.iterdir()] == [".lbdlzoo"], "one file, no temporary left behind"
    # threads racing on the same path: every reader sees a whole file
    path = next(tiny.glob("*.lbdlzoo"))
    state = zoo._read(path)
    writers = [threading.Thread(target=zoo._write, args=(path, state)) for _ in range(4)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    assert zoo._read(path)["metrics"] == state["metrics"]


def test_clear_removes_only_zoo_files(tiny, capsys):
    zoo.load("tiny", scale="ci")
    mine = tiny / "my_notes.txt"
    mine.write_text("a reader's own file")
    zoo.clear("tiny")
    assert "removed 1 file(s)" in capsys.readouterr().out
    assert mine.read_text() == "a reader's own file" and not list(tiny.glob("*.lbdlzoo"))
    zoo.clear()


def test_errors_name_what_is_valid(tiny):
    with pytest.raises(ValueError, match="no model 'gpt-shakespeare' in the zoo: it has denoiser, gpt-grammar, "
                       "gpt-python, gpt-python-large, segmenter, segmenter-noskips, tiny"):
        zoo.load("gpt-shakespeare")
    with pytest.raises(ValueError, match="valid scales are"):
        zoo.load("tiny", scale="huge")
    with pytest.raises(ValueError, match="non-negative integer"):
        zoo.load("tiny", seed=-1)


def test_cache_folder_follows_the_precedence_rule(monkeypatch, tmp_path):
    monkeypatch.setenv("LBDL_CACHE", str(tmp_path / "here"))
    assert zoo.folder() == tmp_path / "here"
    monkeypatch.delenv("LBDL_CACHE")
    assert zoo.folder().name == "zoo" and "lbdlutils" in str(zoo.folder())


def test_real_recipes_data_and_models_fit():
    for name in zoo.RECIPES:
        c = zoo.corpus(name, "ci")
        model = zoo.RECIPES[name].build(c, "ci")
        if isinstance(c, zoo.Pictures):  # images in, a map of the same height and width out
            x, target = c.val[0][:2], c.val[-1][:2]
            assert model(x).shape[-2:] == target.shape[-2:] and len(c.train[0]) >= 1000
            continue
        assert isinstance(model, GPT) and model.tokens.num_embeddings == len(c.vocab)
        assert c.train_ids.max() < len(c.vocab) and len(c.val_ids) > 1000
    large = zoo.RECIPES["gpt-python-large"].build
    c = zoo.corpus("gpt-python-large", "ci")
    size = lambda scale: sum(p.numel() for p in large(c, scale).parameters())
    assert size("ci") < size("small") / 3  # ci trains a smaller model, quick on one thread
    assert isinstance(text.CharVocab.from_text("ab"), text.CharVocab)


def test_a_shared_folder_is_read_first_and_never_written(tiny, monkeypatch, capsys, tmp_path):
    shared = tmp_path / "class-zoo"
    seconds = zoo.build(shared, "ci", names=["tiny"])  # what `make zoo` does, for one recipe
    assert list(seconds) == ["tiny"] and len(list(shared.glob("*.lbdlzoo"))) == 1
    assert next(shared.glob("*.lbdlzoo")).stat().st_mode & 0o044 == 0o044, "readable by the students"
    monkeypatch.setenv("LBDL_ZOO_SHARED", f"{tmp_path / 'missing'}:{shared}")
    before = {p.name: p.stat().st_mtime_ns for p in shared.iterdir()}
    capsys.readouterr()
    first = zoo.load("tiny", scale="ci")
    assert "loaded from the shared zoo" in capsys.readouterr().out
    assert not tiny.exists() or not list(tiny.glob("*")), "nothing written to the reader's cache"
    again = zoo.load("tiny", scale="ci", retrain=True)  # retraining goes to the reader's own cache
    assert "training tiny" in capsys.readouterr().out and len(list(tiny.glob("*.lbdlzoo"))) == 1
    assert {p.name: p.stat().st_mtime_ns for p in shared.iterdir()} == before, "the shared folder never written"
    for (k, a), (_, b) in zip(first.model.state_dict().items(), again.model.state_dict().items()):
        assert torch.equal(a, b), k  # the same recipe and seed give the same weights
    zoo.clear()
    assert len(list(shared.glob("*.lbdlzoo"))) == 1, "clear() forgets the reader's copies, not the class's"


def test_a_damaged_shared_file_falls_back_to_the_readers_cache(tiny, monkeypatch, capsys, tmp_path):
    shared = tmp_path / "class-zoo"
    zoo.build(shared, "ci", names=["tiny"])
    path = next(shared.glob("*.lbdlzoo"))
    path.write_bytes(path.read_bytes()[:100])
    damaged = path.read_bytes()
    monkeypatch.setenv("LBDL_ZOO_SHARED", str(shared))
    capsys.readouterr()
    zoo.load("tiny", scale="ci")
    out = capsys.readouterr().out
    assert "in the shared zoo" in out and "cannot be used" in out and "training tiny" in out
    assert path.read_bytes() == damaged and len(list(tiny.glob("*.lbdlzoo"))) == 1  # trained into the cache
    zoo.load("tiny", scale="ci")
    assert "loaded from the cache" in capsys.readouterr().out
