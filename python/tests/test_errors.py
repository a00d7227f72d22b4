"""Bad input raises ValueError with the command line's one-line messages;
Ctrl-C stops a fit cleanly."""

import _thread
import threading
import time

import numpy as np
import pytest

import relu_learn


def one_line(excinfo):
    text = str(excinfo.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize("where", ["x", "y"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_values_are_refused(biased, where, bad):
    X, y, _ = biased
    X, y = X[:5000].copy(), y[:5000].copy()
    (X if where == "x" else y)[17] = bad
    with pytest.raises(ValueError, match="non-finite value") as e:
        relu_learn.ATV(hidden=4).fit(X, y)
    assert "clean the input" in one_line(e)


def test_mismatched_rows_wrong_dimensions_and_predict_columns(biased):
    X, y, _ = biased
    with pytest.raises(ValueError, match="x has 5000 rows but y has 4000 entries"):
        relu_learn.ATV(hidden=4).fit(X[:5000], y[:4000])
    with pytest.raises(ValueError):
        relu_learn.ATV(hidden=4).fit(X[:5000, 0], y[:5000])
    est = relu_learn.ATV(hidden=4).fit(X[:5000], y[:5000])
    with pytest.raises(ValueError, match="10 features"):
        est.predict(X[:10, :5])
    with pytest.raises(ValueError, match="NaN"):
        est.predict(np.full((3, 10), np.nan))


def test_too_few_samples_more_units_than_dimensions_and_constant_labels(biased):
    X, y, _ = biased
    with pytest.raises(ValueError, match="atv needs at least 2000 samples here but got 500") as e:
        relu_learn.ATV(hidden=4).fit(X[:500], y[:500])
    assert "supply more data" in one_line(e)
    with pytest.raises(ValueError, match="recovers at most 10 hidden units in dimension 10") as e:
        relu_learn.ATV(hidden=12).fit(X[:20000], y[:20000])
    one_line(e)
    with pytest.raises(ValueError, match="the labels are constant") as e:
        relu_learn.ATV(hidden=4).fit(X[:5000], np.full(5000, 2.5))
    one_line(e)


def test_invalid_parameters_name_the_parameter(biased):
    X, y, _ = biased
    with pytest.raises(ValueError, match="decomposer"):
        relu_learn.ATV(hidden=4, decomposer="svd").fit(X[:5000], y[:5000])
    with pytest.raises(ValueError, match="hidden"):
        relu_learn.ATV(hidden=0).fit(X[:5000], y[:5000])
    with pytest.raises(ValueError, match="n_jobs must be a positive int"):
        relu_learn.ATV(hidden=4, n_jobs=0).fit(X[:5000], y[:5000])
    with pytest.raises(ValueError, match="recovery_tol"):
        relu_learn.ATV(hidden=4, recovery_tol=-1).fit(X[:5000], y[:5000])


def test_generate_and_load_refuse_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown family") as e:
        relu_learn.generate("nope", dim=3, hidden=2)
    one_line(e)
    with pytest.raises(ValueError, match="hidden"):
        relu_learn.generate("random", dim=3)
    with pytest.raises(ValueError, match="bias_range"):
        relu_learn.generate("biased", dim=3, hidden=2, bias_range="wide")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "relu-net/v1", "layers": [')
    with pytest.raises(ValueError, match="bad.json"):
        relu_learn.load(bad)
    with pytest.raises(ValueError, match="cannot read the model file"):
        relu_learn.load(tmp_path / "missing.json")


def test_ctrl_c_interrupts_a_fit_and_leaves_no_model():
    X, y, _ = relu_learn.generate("random", dim=20, hidden=8, samples=200_000, seed=1)
    est = relu_learn.GD(hidden=8, max_epochs=10_000, patience=10_000)
    timer = threading.Timer(1.0, _thread.interrupt_main)
    start = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    elapsed = time.monotonic() - start
    timer.cancel()
    assert not hasattr(est, "model_")
    # The fit stops at its next read of the data: well within a few seconds.
    assert elapsed < 30, elapsed
    # The library is usable afterwards.
    X2, y2, _ = relu_learn.generate("single", dim=5, samples=2000, seed=1, signs="positive")
    assert relu_learn.GLMtron().fit(X2, y2).report_["validation_error"] < 1e-10


def test_a_failed_refit_leaves_the_estimator_unfitted(biased):
    from sklearn.exceptions import NotFittedError

    X, y, _ = biased
    est = relu_learn.ATV(hidden=4).fit(X[:20000], y[:20000])
    with pytest.raises(ValueError, match="needs at least"):
        est.fit(X[:50], y[:50])
    with pytest.raises(NotFittedError):
        est.predict(X[:5])
    assert not hasattr(est, "report_") and not hasattr(est, "network_")


def test_thread_counts_hidden_units_and_parameters_are_checked_in_python(biased):
    X, y, _ = biased
    a = relu_learn.ATV(hidden=4, n_jobs=-1).fit(X[:20000], y[:20000])
    b = relu_learn.ATV(hidden=4, n_jobs=1).fit(X[:20000], y[:20000])
    assert a.report_ == b.report_
    with pytest.raises(ValueError, match="n_jobs must be a positive int"):
        relu_learn.ATV(hidden=4, n_jobs=-2).fit(X[:5000], y[:5000])
    with pytest.raises(ValueError, match="hidden must be a positive int"):
        relu_learn.ATV(hidden=-1).fit(X[:5000], y[:5000])
    with pytest.raises(ValueError, match="max_bias must be finite"):
        relu_learn.ATV(hidden=4, max_bias=float("inf")).fit(X[:5000], y[:5000])
