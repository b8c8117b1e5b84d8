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
