"""generate, moments, eval, load/save from Python."""

import numpy as np

import relu_learn


def test_generate_is_deterministic_and_consistent_with_its_teacher():
    X, y, teacher = relu_learn.generate("biased", dim=6, hidden=3, samples=3000, seed=5)
    X2, y2, _ = relu_learn.generate("biased", dim=6, hidden=3, samples=3000, seed=5)
    assert X.shape == (3000, 6) and y.shape == (3000,)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert np.allclose(teacher.predict(X), y, rtol=0, atol=1e-12)
    # Options reach the family: a noisy, correlated, deep teacher.
    Xn, yn, deep = relu_learn.generate("deep", dim=6, widths=[3, 2], samples=3000, seed=5, noise=0.1, correlation=0.5)
    assert len(deep.layers()) == 3
    resid = yn - deep.predict(Xn)
    assert 0.08 < resid.std() < 0.12
    assert 0.4 < np.corrcoef(Xn[:, 0], Xn[:, 1])[0, 1] < 0.6


def test_second_moment_matches_numpy():
    X, y, _ = relu_learn.generate("random", dim=5, hidden=3, samples=20_000, seed=2)
    m = relu_learn.moments(X, y, order=2)
    assert m["mean"].shape == (1, 5, 5) and m["vectors"].shape == (0, 5) and m["n_samples"] == 20_000
    # E[y S_2(x)] with S_2(x) = (x xᵀ − I) / √2.
    by_hand = (X.T * y) @ X / len(y) - np.eye(5) * y.mean()
    assert np.allclose(m["mean"][0], by_hand / np.sqrt(2), rtol=0, atol=1e-12)
    assert (m["std_error"] > 0).all()


def test_higher_moments_are_contracted_with_seeded_unit_vectors():
    X, y, _ = relu_learn.generate("random", dim=5, hidden=3, samples=20_000, seed=2)
    a = relu_learn.moments(X, y, order=4, vectors=3, seed=9)
    b = relu_learn.moments(X, y, order=4, vectors=3, seed=9)
    assert a["mean"].shape == (3, 5, 5)
    assert np.allclose(np.linalg.norm(a["vectors"], axis=1), 1)
    assert np.array_equal(a["mean"], b["mean"])
    assert np.allclose(a["mean"], np.transpose(a["mean"], (0, 2, 1)))


def test_eval_on_a_teacher_and_on_data(tmp_path):
    X, y, teacher = relu_learn.generate("single", dim=5, samples=20_000, seed=2, signs="positive")
    same = relu_learn.eval(teacher, teacher, samples=10_000)
    assert same["relative_error"] == 0 and same["matching"]["parameter_error"] < 1e-12
    est = relu_learn.GLMtron().fit(X, y)
    on_data = relu_learn.eval(est, X=X, y=y)
    assert on_data["source"] == "data" and on_data["n_samples"] == 20_000
    assert abs(on_data["relative_error"] - (1 - est.score(X, y))) < 1e-9
    est.save(tmp_path / "glm.json")
    assert relu_learn.load(tmp_path / "glm.json").to_json() == est.model_.to_json()
