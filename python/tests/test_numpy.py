"""numpy ↔ Rust: dtypes, memory orders, shapes, views."""

import numpy as np
import pytest

import relu_learn


def test_float64_c_and_fortran_order_give_the_same_fit(biased):
    X, y, _ = biased
    a = relu_learn.ATV(hidden=4).fit(X, y)
    b = relu_learn.ATV(hidden=4).fit(np.asfortranarray(X), y)
    assert a.report_ == b.report_
    Xt = X[:1000]
    assert np.array_equal(a.predict(Xt), b.predict(np.asfortranarray(Xt)))


def test_float32_inputs_are_read_and_fitted(biased):
    X, y, teacher = biased
    est = relu_learn.ATV(hidden=4).fit(X.astype(np.float32), y)
    # The inputs carry float32 rounding (relative 6e-8) that the labels do
    # not: the fit is limited by it, about 1e-15 measured (100x: 1e-13).
    assert relu_learn.eval(est, teacher)["relative_error"] < 1e-13
    p32 = est.predict(X[:100].astype(np.float32))
    p64 = est.predict(X[:100].astype(np.float32).astype(np.float64))
    assert p32.dtype == np.float64 and np.array_equal(p32, p64)


def test_strided_views_integer_inputs_and_column_labels_are_accepted(biased):
    X, y, _ = biased
    base = relu_learn.ATV(hidden=4).fit(X, y)
    wide = np.zeros((X.shape[0], 2 * X.shape[1]))
    wide[:, ::2] = X
    view = wide[:, ::2]
    assert not view.flags.c_contiguous and not view.flags.f_contiguous
    assert relu_learn.ATV(hidden=4).fit(view, y).report_ == base.report_
    with pytest.warns(Warning, match="column-vector y"):
        col = relu_learn.ATV(hidden=4).fit(X, y[:, None])
    assert col.report_ == base.report_
    ints = np.round(X[:1000] * 4).astype(np.int64)
    assert base.predict(ints).shape == (1000,)


def test_read_only_inputs_are_not_copied_or_written(biased, tmp_path):
    X, y, _ = biased
    path = tmp_path / "x.npy"
    np.save(path, X)
    mm = np.load(path, mmap_mode="r")
    assert not mm.flags.writeable
    est = relu_learn.ATV(hidden=4).fit(mm, y)
    assert np.array_equal(est.predict(mm[:50]), est.predict(X[:50]))


def test_predictions_come_back_as_a_fresh_float64_vector(biased):
    X, y, _ = biased
    est = relu_learn.ATV(hidden=4).fit(X, y)
    p = est.predict(X[:10])
    assert p.shape == (10,) and p.dtype == np.float64 and p.flags.c_contiguous and p.flags.writeable
    assert not np.shares_memory(p, X)


def test_network_layers_round_trip_through_numpy(biased):
    X, y, teacher = biased
    est = relu_learn.ATV(hidden=4).fit(X, y)
    (W1, b1), (W2, b2) = est.network_
    assert W1.shape == (4, 10) and b1.shape == (4,) and W2.shape == (1, 4) and b2.shape == (1,)
    by_hand = np.maximum(X[:100] @ W1.T + b1, 0) @ W2.T + b2
    assert np.allclose(by_hand[:, 0], est.predict(X[:100]), rtol=1e-12, atol=1e-12)
    assert len(teacher.layers()) == 2
