"""group_keys against numpy's sorting unique on random keys with many repeats."""
import numpy as np
import pytest

from analysis.grouping import group_keys, n_distinct


@pytest.mark.parametrize("n,span", [(0, 1), (1, 1), (1000, 7), (100_000, 50_000), (50_000, 10**12)])
def test_group_keys_matches_numpy_unique(n, span):
    rng = np.random.default_rng(n)
    key = rng.integers(-span, span, n, dtype=np.int64)
    g = group_keys(key)
    uniq, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    assert len(g.first) == len(uniq) == n_distinct(key)
    # same groups: each row's group holds the same key; first rows and counts agree per key
    assert np.array_equal(key[g.first][g.codes], key)
    order = np.argsort(key[g.first])
    assert np.array_equal(key[g.first][order], uniq)
    assert np.array_equal(g.first[order], first)
    assert np.array_equal(g.counts[order], counts)
    assert g.counts.sum() == n


def test_group_keys_rejects_2d():
    with pytest.raises(ValueError):
        group_keys(np.zeros((2, 2), dtype=np.int64))
