"""The executable bibliography and index (lbdlutils.references), on the package's own data."""

from __future__ import annotations

import pytest

import lbdlutils as lbdl
from lbdlutils import references


def test_anchors_follow_github_and_jupyterlab():
    assert references.github_anchor("1.2 Basis function regression") == "12-basis-function-regression"
    assert references.github_anchor("Graph Neural Networks (p. 164)") == "graph-neural-networks-p-164"
    assert references.lab_anchor("4.5 Dropout") == "4.5-Dropout"


def test_lookup_finds_the_section_and_a_demo():
    found = lbdl.lookup("Dropout ")  # case and spaces do not matter
    assert found.term == "dropout" and found.pages == [79, 94]
    assert any(p.notebook == "04_model_components.ipynb" and p.heading == "4.5 Dropout" for p in found.places)
    assert found.demo is not None and found.demo.lines > 0
    assert found.places[0].github.startswith(lbdl.REPO_URL) and "#" in found.places[1].lab
    assert "4.5 Dropout" in found._repr_markdown_()


def test_see_references_are_followed_and_subentries_read_both_ways():
    gnn = lbdl.lookup("GNN")
    assert gnn.see and all(s in references.terms() for s in gnn.see)
    assert any(p.notebook.startswith("09") for p in gnn.places)
    assert lbdl.lookup("attention layer").term == lbdl.lookup("layer attention").term


def test_most_terms_resolve_and_every_notebook_is_reachable():
    found = {t: lbdl.lookup(t) for t in references.terms()}
    resolved = [t for t, f in found.items() if f.places]
    assert len(resolved) >= 0.9 * len(found), sorted(set(found) - set(resolved))
    reached = {p.notebook for f in found.values() for p in f.places}
    assert reached == {nb["file"] for nb in lbdl.book.companion() if nb["chapter"] <= 10}  # 11 is the index itself


def test_index_ties_are_read_not_matched_and_point_at_real_cells():
    """Each term is tied to cells someone read (bookdata/index-ties.json); a stale or solution cell fails."""
    rows = {(nb["file"], c["id"]): c for nb in lbdl.book.companion() for c in nb["cells"]}  # solutions are left out
    for term, by_notebook in lbdl.book.load("ties")["ties"].items():
        assert term in references.terms(), term
        for file, ids in by_notebook.items():
            assert ids and all((file, cid) in rows for cid in ids), (term, file, ids)
    # what word matching used to tie: Python's return, torch.minimum, the KV cache, torch.Generator
    assert {p.notebook[:2] for p in lbdl.lookup("return").places} == {"06"}  # reinforcement learning's return
    assert not lbdl.lookup("local minimum").places
    assert {p.notebook[:2] for p in lbdl.lookup("cache memory").places} == {"02"}
    assert all(p.notebook[:2] == "09" for p in lbdl.lookup("generator").places)
    assert lbdl.lookup("tokenizer").places and lbdl.lookup("layer attention").demo is not None
    assert lbdl.lookup("batch normalisation").term == "batch normalization"  # British spelling
    assert lbdl.lookup("cross entropy").term == "cross-entropy" and lbdl.lookup("GPUs").term == "GPU"
    assert lbdl.lookup("residual").places  # a heading of the index only: its subentries answer
    assert lbdl.lookup("return").demo.cell == "361cdfe3"  # not the exercise's stub before it
    demo = lbdl.lookup("attention operator").demo  # the reviewers' first code cell, not a show_source call
    assert demo.notebook.startswith("04") and demo.lines > 4


def test_unknown_terms_and_keys_say_what_is_close():
    with pytest.raises(ValueError, match="closest: 'dropout'"):
        lbdl.lookup("dropuot")
    with pytest.raises(ValueError, match="kingma2014"):
        references.work("kingma")
    with pytest.raises(ValueError, match="needs a term"):
        lbdl.lookup("")


def test_cited_works_point_at_code_cells():
    adam = references.cited("kingma2014")
    assert [p.notebook for p in adam] == ["03_training.ipynb", "10_bibliography.ipynb"] and adam[0].lines > 0
    tied, untied = references.coverage()
    assert len(tied) + len(untied) == 78 and not set(tied) & set(untied)


def test_works_are_found_by_words_and_described_with_their_cells():
    assert references.find_works("Kingma Adam") == ["kingma2014"]
    assert "vaswani2017" in references.find_works("attention")
    assert references.find_works("") == [] and references.find_works("no such work at all") == []
    text = references.describe("kingma2014")
    assert "*Adam: A Method for Stochastic Optimization*" in text and "arxiv.org/abs/1412.6980" in text
    assert "03_training" in text and "10_bibliography" in text  # chapter 3 derives it, chapter 10 reruns it
    assert references.arxiv_url("fukushima1980") is None  # a journal article of 1980


def test_coverage_counts_code_cells_and_meets_the_plan():
    tied, untied = references.coverage()
    assert len(tied) >= 0.8 * len(references.works())
    for key in tied:
        assert references.cited(key), key
