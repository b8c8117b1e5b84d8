import pytest
import torch

import lbdlutils as lbdl
from lbdlutils import data


def test_regression_1d_shapes_range_and_determinism():
    x, y = data.regression_1d(50, noise=0.1, seed=1)
    assert x.shape == y.shape == (50,) and x.dtype == torch.float32
    assert x.min() >= -1 and x.max() <= 1
    x2, y2 = data.regression_1d(50, noise=0.1, seed=1)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    x0, y0 = data.regression_1d(50, noise=0.0, seed=1, dtype=torch.float64)
    torch.testing.assert_close(y0, data.TARGETS_1D["wave"](x0))


def test_regression_1d_errors():
    with pytest.raises(ValueError, match="valid targets are wave, bump, step"):
        data.regression_1d(10, target="zigzag")
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        data.regression_1d(0)
    with pytest.raises(ValueError, match="noise is a standard deviation"):
        data.regression_1d(10, noise=-1)


def test_split_partitions_everything():
    x, y = torch.arange(100.0), torch.arange(100)
    s = data.split(x, y, (0.5, 0.3, 0.2), seed=0)
    assert [len(p[0]) for p in s] == [50, 30, 20]
    assert sorted(torch.cat([p[1] for p in s]).tolist()) == list(range(100))
    with pytest.raises(ValueError, match="summing to 1"):
        data.split(x, y, (0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="same length"):
        data.split(x, y[:10])


def test_digits_bundled_offline():
    s = data.digits()
    x, y = s.train
    assert x.shape[1:] == (1, 8, 8) and x.min() >= 0 and x.max() <= 1
    assert sum(len(p[0]) for p in s) == 1797 and set(y.tolist()) == set(range(10))
    assert data.digits(size=16).test[0].shape[1:] == (1, 16, 16)
    with pytest.raises(ValueError, match="size must be an integer >= 8"):
        data.digits(size=4)


@pytest.mark.parametrize("name,classes", [("moons", 2), ("circles", 2), ("spirals", 3), ("blobs", 5)])
def test_toy_2d(name, classes):
    x, y = data.toy_2d(name, 300, seed=0)
    assert x.shape == (300, 2) and y.shape == (300,) and x.dtype == torch.float32
    assert set(y.tolist()) == set(range(classes)) and x.abs().max() < 4


def test_toy_2d_errors():
    with pytest.raises(ValueError, match="valid are moons, circles, spirals, blobs"):
        data.toy_2d("swirl", 10)
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        data.toy_2d("moons", 1)


def test_book_data():
    assert [s[0] for s in lbdl.book.sections(1)] == ["1.1", "1.2", "1.3", "1.4"]
    assert len(lbdl.book.load("bibliography")["entries"]) == 78
    assert [f["number"] for f in lbdl.book.figures(1)] == ["1.1", "1.2"]
    with pytest.raises(ValueError, match="valid are toc, bibliography, index, companion"):
        lbdl.book.load("glossary")
    with pytest.raises(ValueError, match="numbered 1..8"):
        lbdl.book.chapter(12)
    with pytest.raises(ValueError, match="numbered 1..8"):
        lbdl.book.figures(0)
