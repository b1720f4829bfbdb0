"""Connectivity generators: exact distributions (fixed seeds, statistical bounds), structure, reproducibility."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

import spikeloom as sl
from spikeloom._errors import ModelDefinitionError


def build(conn, n_pre, n_post, seed=0, same=False):
    return conn.build(n_pre, n_post, np.random.default_rng(seed), same)


@pytest.mark.parametrize("p", [0.02, 0.1, 0.5])
def test_fixed_prob_is_bernoulli(p):
    n_pre, n_post = 2000, 1500
    csr = build(sl.FixedProb(p), n_pre, n_post)
    total = n_pre * n_post
    # total count is Binomial(total, p): within 5 standard deviations
    assert abs(csr.nnz - total * p) < 5 * np.sqrt(total * p * (1 - p))
    # each row's count is Binomial(n_post, p): a chi-square goodness-of-fit test does not reject
    counts = np.diff(csr.rowptr)
    assert abs(counts.var() - n_post * p * (1 - p)) < 0.15 * n_post * p * (1 - p)
    # targets are uniform over post neurons (column counts Binomial(n_pre, p))
    col_counts = np.bincount(csr.col, minlength=n_post)
    chi2 = ((col_counts - n_pre * p) ** 2 / (n_pre * p * (1 - p))).sum()
    assert stats.chi2.sf(chi2, n_post - 1) > 1e-4
    # no duplicate synapse within a row
    assert sp.csr_array((np.ones(csr.nnz), csr.col, csr.rowptr), shape=(n_pre, n_post)).max() == 1


def test_fixed_prob_without_self_connections():
    csr = build(sl.FixedProb(0.2, allow_self=False), 500, 500, same=True)
    assert not np.any(csr.rows() == csr.col)
    assert abs(csr.nnz - 500 * 499 * 0.2) < 5 * np.sqrt(500 * 499 * 0.2 * 0.8)
    dense = build(sl.FixedProb(0.6, allow_self=False), 300, 300, same=True)
    assert not np.any(dense.rows() == dense.col)


def test_fixed_degrees_are_exact_and_distinct():
    out = build(sl.FixedOutDegree(30), 400, 200)
    assert np.all(np.diff(out.rowptr) == 30)
    indeg = build(sl.FixedInDegree(25, allow_self=False), 300, 300, same=True)
    assert np.all(np.bincount(indeg.col, minlength=300) == 25)
    assert not np.any(indeg.rows() == indeg.col)
    m = indeg.to_scipy()
    assert m.max() == 1


def test_one_to_one_all_to_all_lists_and_sparse():
    assert build(sl.OneToOne(), 5, 5).to_scipy().toarray().tolist() == np.eye(5).tolist()
    a2a = build(sl.AllToAll(allow_self=False), 4, 4, same=True).to_scipy().toarray()
    np.testing.assert_array_equal(a2a, 1 - np.eye(4))
    lst = build(sl.FromList([2, 0, 2], [1, 3, 0], [0.5, 1.5, 2.5]), 3, 4)
    np.testing.assert_array_equal(lst.to_scipy().toarray(), [[0, 0, 0, 1.5], [0, 0, 0, 0], [2.5, 0.5, 0, 0]])
    m = sp.random(6, 7, density=0.3, random_state=1, format="csr")
    np.testing.assert_allclose(build(sl.FromSparse(m), 6, 7).to_scipy().toarray(), m.toarray())


def test_same_seed_same_connectivity_and_different_seed_differs():
    a, b, c = (build(sl.FixedProb(0.05), 300, 300, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.col, b.col)
    assert a.col.size != c.col.size or np.any(a.col != c.col)


def test_bad_connectivity_is_rejected_with_the_culprit():
    with pytest.raises(ModelDefinitionError, match=r"FixedProb: p must be finite and in \[0, 1\]"):
        sl.FixedProb(1.5)
    with pytest.raises(ModelDefinitionError, match="OneToOne needs equal sizes"):
        build(sl.OneToOne(), 3, 4)
    with pytest.raises(ModelDefinitionError, match=r"FromList post index must be in \[0, 4\)"):
        build(sl.FromList([0], [9]), 3, 4)
    with pytest.raises(ModelDefinitionError, match="shape"):
        build(sl.FromSparse(sp.eye(3, format="csr")), 3, 4)
    with pytest.raises(ModelDefinitionError, match="FixedOutDegree: k = 10 distinct targets"):
        build(sl.FixedOutDegree(10), 3, 4)
    with pytest.raises(ModelDefinitionError, match="FixedInDegree: k = 10 distinct sources .* 3 neurons of pre"):
        build(sl.FixedInDegree(10), 3, 40)


def test_from_list_table_form_equals_separate_arrays():
    """A (m, 3) table gives the synapses of the three arrays it holds; other column counts are refused."""
    pre, post, w = [2, 0, 2], [1, 3, 0], [0.5, 1.5, 2.5]
    table = build(sl.FromList(np.column_stack([pre, post, w])), 3, 4)
    arrays = build(sl.FromList(pre, post, w), 3, 4)
    np.testing.assert_array_equal(table.to_scipy().toarray(), arrays.to_scipy().toarray())
    pairs = build(sl.FromList(np.column_stack([pre, post])), 3, 4)
    assert pairs.weight is None and pairs.nnz == 3
    with pytest.raises(ModelDefinitionError, match=r"shape \(m, 2\).*got shape \(3, 4\)"):
        sl.FromList(np.zeros((3, 4)))


def test_expected_synapses_match_built_counts():
    """The memory estimate made before building uses these means; they must agree with what is built."""
    rng = np.random.default_rng(0)
    for conn, n_pre, n_post, same in [(sl.FixedProb(0.1, allow_self=False), 400, 400, True),
                                      (sl.FixedOutDegree(7), 50, 60, False), (sl.FixedInDegree(7), 50, 60, False),
                                      (sl.AllToAll(allow_self=False), 30, 30, True), (sl.OneToOne(), 9, 9, False),
                                      (sl.FromList([0, 1], [1, 1]), 2, 2, False)]:
        expected = conn.expected_synapses(n_pre, n_post, same)
        nnz = conn.build(n_pre, n_post, rng, same).nnz
        assert abs(nnz - expected) <= 5 * np.sqrt(max(expected, 1.0)) * (isinstance(conn, sl.FixedProb))
