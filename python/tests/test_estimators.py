"""The scikit-learn estimators: signatures, scikit-learn's own checks, and a
fit per learner on planted data against the target of its docs."""

import inspect
import json
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import check_estimator

import relu_learn
from relu_learn import _native

ESTIMATORS = [
    relu_learn.ATV,
    relu_learn.Narrow,
    relu_learn.CKM,
    relu_learn.ExactERM,
    relu_learn.BoundedWeight,
    relu_learn.Kernel,
    relu_learn.GLMtron,
    relu_learn.Alphatron,
    relu_learn.GD,
]

OWN = ("random_state", "n_jobs", "assume_standard", "recovery_tol")


def test_every_learner_has_an_estimator():
    assert sorted(e._learner for e in ESTIMATORS) == sorted(_native.learner_ids())


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_estimator_signatures_match_the_learners(cls):
    """Regenerate with scripts/gen_estimators.py when this fails."""
    defaults, takes_hidden = _native.default_params(cls._learner)
    defaults = json.loads(defaults)
    defaults.pop("hidden", None)
    sig = inspect.signature(cls.__init__).parameters
    names = [n for n in sig if n != "self"]
    assert names == (["hidden"] if takes_hidden else []) + list(defaults) + list(OWN)
    for name, value in defaults.items():
        expected = None if isinstance(value, (dict, list)) else value
        assert sig[name].default == expected, name
    assert cls._param_names == tuple(defaults)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_scikit_learn_checks_pass_or_hit_a_declared_limit(cls):
    """Every check of ``check_estimator`` passes, or fails only with a
    ValueError naming one of the learner's declared limits (``_check_conflicts``:
    too few samples for the learner, exact-erm's fixed dimension,
    bounded-weight's projection dimension)."""
    patterns = [p for p, _ in cls._check_conflicts]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(cls(), on_fail=None)
    assert len(results) > 40
    passed = [r for r in results if r["status"] == "passed"]
    unexplained = []
    for r in results:
        if r["status"] != "failed":
            continue
        e = r["exception"]
        root = e
        while root.__cause__ is not None or root.__context__ is not None:
            root = root.__cause__ or root.__context__
        if not (isinstance(root, ValueError) and any(p in str(root) for p in patterns)):
            unexplained.append((r["check_name"], repr(e)[:300]))
    assert not unexplained, unexplained
    # The checks that need no fit, or a fit of a size the learner accepts,
    # do run and pass.
    names = {r["check_name"] for r in passed}
    for must in ("check_parameters_default_constructible", "check_get_params_invariance", "check_set_params",
                 "check_no_attributes_set_in_init", "check_estimators_empty_data_messages",
                 "check_estimators_unfitted", "check_fit2d_1sample", "check_requires_y_none"):
        assert must in names, must


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_params_round_trip_and_clone(cls):
    est = cls(random_state=7)
    params = est.get_params()
    assert params["random_state"] == 7
    twin = clone(est)
    assert twin.get_params() == params
    assert twin.set_params(n_jobs=1) is twin and twin.n_jobs == 1


def test_structured_parameters_take_dicts_and_bad_ones_are_named(biased):
    X, y, _ = biased
    est = relu_learn.ATV(hidden=4, polish_params={"max_iters": 3}).fit(X[:20000], y[:20000])
    assert est.report_["polish"]["iters"] <= 3
    with pytest.raises(ValueError, match="unknown field `max_iter`"):
        relu_learn.ATV(hidden=4, polish_params={"max_iter": 3}).fit(X[:5000], y[:5000])
    with pytest.raises(ValueError, match="validation_fraction"):
        relu_learn.ATV(hidden=4, validation_fraction=2.0).fit(X[:5000], y[:5000])
    with pytest.raises(TypeError):
        relu_learn.ATV(hiden=4)


# (estimator, keywords, generate arguments, target relative test error).
# Targets are 100x what was measured on these seeds (or the docs' figure
# where the learner is improper), so a regression fails.
PLANTED = [
    (relu_learn.ATV, dict(hidden=4), dict(family="biased", dim=10, hidden=4, samples=100_000), 3e-20),
    (relu_learn.Narrow, dict(hidden=4), dict(family="signed", dim=8, hidden=4, samples=100_000), 4e-19),
    (relu_learn.CKM, dict(hidden=2), dict(family="random", dim=6, hidden=2, samples=50_000), 6e-12),
    (relu_learn.GLMtron, {}, dict(family="single", dim=10, samples=5000, signs="positive"), 3e-20),
    (relu_learn.Kernel, {}, dict(family="single", dim=5, samples=20_000), 0.05),
    (relu_learn.Alphatron, {}, dict(family="single", dim=5, samples=5000), 0.1),
    (relu_learn.ExactERM, dict(hidden=1), dict(family="single", dim=2, samples=24, bias_range=0.5), 1e-20),
    (relu_learn.BoundedWeight, dict(hidden=1, proj_dim=3), dict(family="single", dim=3, samples=20_000), 0.05),
    (relu_learn.GD, dict(hidden=2), dict(family="random", dim=5, hidden=2, samples=20_000), 1e-6),
]


@pytest.mark.parametrize("cls,kw,gen,target", PLANTED, ids=[p[0].__name__ for p in PLANTED])
def test_each_learner_recovers_a_planted_network(cls, kw, gen, target):
    X, y, teacher = relu_learn.generate(seed=3, **gen)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", relu_learn.FitWarning)
        est = cls(**kw).fit(X, y)
    assert est.n_features_in_ == X.shape[1]
    err = relu_learn.eval(est, teacher, samples=100_000)["relative_error"]
    assert err < target, err
    if est.model_.kind == "network":
        assert isinstance(est.network_, list)
    else:
        assert est.network_ is est.model_
    if cls in (relu_learn.ATV, relu_learn.Narrow, relu_learn.CKM):
        # The paper's stage alone, before local optimisation, is reported
        # and is worse than the polished fit.
        stage = est.report_["provable_stage_error"]
        assert stage is not None and stage > est.report_["validation_error"]
        assert est.provable_network_ is not None


def test_fits_are_deterministic_across_threads_and_pickles(biased, tmp_path):
    X, y, _ = biased
    a = relu_learn.Narrow(hidden=4, n_jobs=1).fit(X[:50_000], y[:50_000])
    b = relu_learn.Narrow(hidden=4, n_jobs=2).fit(X[:50_000], y[:50_000])
    assert a.report_ == b.report_
    assert np.array_equal(a.predict(X[:500]), b.predict(X[:500]))
    c = pickle.loads(pickle.dumps(a))
    assert np.array_equal(c.predict(X[:500]), a.predict(X[:500]))
    a.save(tmp_path / "m.json")
    loaded = relu_learn.load(tmp_path / "m.json")
    assert np.array_equal(loaded.predict(X[:500]), a.predict(X[:500]))


def test_a_fit_that_does_not_recover_says_so():
    X, y, _ = relu_learn.generate("random", dim=10, hidden=6, samples=20_000, seed=1)
    with pytest.warns(relu_learn.NotRecoveredWarning, match="did not recover"):
        est = relu_learn.GD(hidden=1, max_epochs=2).fit(X, y)
    assert est.report_["recovered"] is False


def test_progress_hears_every_stage_and_can_stop_the_fit(biased):
    X, y, _ = biased
    heard = []
    relu_learn.ATV(hidden=4).fit(X, y, progress=lambda stage, seconds: heard.append((stage, seconds)))
    stages = [s for s, _ in heard]
    assert stages[0] == "input-statistics" and "decomposition" in stages
    assert all(t2 >= t1 for (_, t1), (_, t2) in zip(heard, heard[1:]))

    class Stop(Exception):
        pass

    def stop(stage, seconds):
        if stage == "decomposition":
            raise Stop

    est = relu_learn.ATV(hidden=4)
    with pytest.raises(Stop):
        est.fit(X, y, progress=stop)
    assert not hasattr(est, "model_")
