"""The notebook reader of scripts/ (render, tests): clear errors and a code hash that ignores outputs."""

import nbtools as notebooks
import pytest


def test_notebook_files_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no notebook at"):
        notebooks.read(tmp_path / "missing.ipynb")
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        notebooks.read(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a notebook"):
        notebooks.read(bad)
    with pytest.raises(FileNotFoundError, match="no notebooks/ folder"):
        notebooks.notebook_dir(tmp_path)
    assert notebooks.paths(tmp_path) == []


def test_code_hash_ignores_outputs_and_injected_parameters():
    cell = {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": []}
    nb = {"cells": [cell]}
    before = notebooks.code_hash(nb)
    cell["outputs"] = [{"output_type": "stream", "text": "hi"}]
    injected = {"cell_type": "code", "source": "SCALE = 'ci'", "metadata": {"tags": ["injected-parameters"]}}
    nb["cells"].append(injected)
    assert notebooks.code_hash(nb) == before
    cell["source"] = "x = 2"
    assert notebooks.code_hash(nb) != before


def _cell(text: str, cid: str = "a") -> dict:
    return {"cell_type": "code", "id": cid, "source": "train()\n",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}


def test_longest_silence_reads_progress_summaries():
    loop = _cell("model: 200/200 in 50.0 s, 4.0 it/s [loss=0.1]\naccuracy 0.97\n")
    assert notebooks.progress_loops(loop) == [("model", 200, 50.0)]
    assert notebooks.longest_silence(loop, 56.0) == pytest.approx(6.0 + 0.25)  # outside + one step
    two = _cell("a: 10/10 in 4.0 s, 2.5 it/s\nb, γ = 1: 5 in 30.0 s, 0.2 it/s\n")
    assert notebooks.longest_silence(two, 36.0) == pytest.approx(2.0 + 6.0)  # a step of b is 6 s
    quiet = _cell("accuracy 0.97\n")
    assert notebooks.longest_silence(quiet, 25.0) == 25.0
    nb = {"cells": [loop, _cell("done\\n", "q"), {"cell_type": "markdown", "id": "m", "source": "# x"}]}
    assert notebooks.looping_code_cells(nb) == [0]
    found = notebooks.silences(nb, {"a": 56.0, "q": 12.0})
    assert [(f["id"], f["silent_s"]) for f in found] == [("q", 12.0)]


def test_cell_seconds_reads_papermill_durations():
    nb = {"cells": [{"cell_type": "code", "id": "x", "metadata": {"papermill": {"duration": 12.345}}},
                    {"cell_type": "code", "id": "y", "metadata": {"papermill": {"duration": 0.5}}},
                    {"cell_type": "code", "id": "z", "metadata": {}}]}
    assert notebooks.cell_seconds(nb) == {"x": 12.3, "y": 0.5}
    assert notebooks.cell_seconds(nb, at_least=10) == {"x": 12.3}


def test_budgets_scale_times_to_the_reference_machine_and_flag_what_is_over():
    import budgets

    fast = 2 * budgets.REFERENCE_GFLOPS  # a machine twice as fast as the reference: times count double there
    assert budgets.scaled(10.0, fast) == 20.0
    stats = {"05_a.ipynb": {"seconds": 20.0, "silent_s": 2.0}, "06_b.ipynb": {"seconds": 30.0, "peak_rss_mb": 900},
             "08_c.ipynb": {"seconds": 5.0, "silent_s": 6.0}}
    assert budgets.over_budget(stats, fast, "ci") == ["06_b.ipynb", "08_c.ipynb"]  # 60 s > 45 s; 12 s silent > 10
    assert budgets.over_budget(stats, budgets.REFERENCE_GFLOPS, "ci") == []
    assert budgets.budget("06_b.ipynb", "small") == 480 and budgets.budget("05_a.ipynb", "small") == 300
    assert budgets.table(stats, fast, "ci", compare=False)[2] == "| notebook | here | on the reference |"
    lines = budgets.table(stats, fast, "ci")
    assert "times × 2.00 there" in lines[0] and any("| 06_b.ipynb | 30.0 s | 900 MB | 60 s | 45 s | – | OVER |" == x
                                                     for x in lines)


def test_readme_costs_add_the_time_on_the_reference_machine():
    stamp = {"seconds": 100.0, "peak_rss_mb": 700}
    assert notebooks.readme_costs(stamp) == ("100 s", "700 MB")
    assert notebooks.readme_costs(stamp | {"matmul_gflops": 2 * notebooks.REFERENCE_GFLOPS})[0] == "100 s (200 s)"


def test_committed_renders_carry_what_the_budget_table_needs():
    import budgets

    stats = budgets.committed(notebooks.paths())
    assert list(stats) == [p.name for p in notebooks.paths()], "a notebook has no render stamp: run make render"
    assert all(s["gflops"] > 0 and s["seconds"] > 0 and s["silent_s"] >= 0 for s in stats.values())
