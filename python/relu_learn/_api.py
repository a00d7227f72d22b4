"""The library's functions beyond the estimators: planted data, moments,
evaluation, model files."""

import json

import numpy as np

from . import _native
from ._base import _contiguous


def generate(family, dim, hidden=None, samples=1000, seed=0, **options):
    """A planted teacher network and samples of it, as ``relu-learn generate``.

    ``family`` is one of random, conditioned, biased, close, signed, deep,
    single, cluster, generic; ``options`` are the command's other flags as
    keywords (``noise``, ``depth``, ``widths``, ``kappa``, ``bias_range``,
    ``angle``, ``bias_std``, ``group``, ``row_scale``, ``signs``, ``offset``,
    ``label_scale``, ``mean``, ``correlation``).

    Returns ``(X, y, teacher)``: X of shape (samples, dim) float64, y of
    shape (samples,), the teacher as a ``Model``. The same arguments give
    the same data as the command line.
    """
    args = ["--family", str(family), "--dim", str(dim), "--samples", str(samples), "--seed", str(seed)]
    if hidden is not None:
        args += ["--hidden", str(hidden)]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        args += [flag, str(value)]
    return _native.generate(args)


def moments(X, y, order, vectors=1, seed=0, n_jobs=None):
    """The order-``order`` Hermite moment ``E[y S_l(x)]`` (``S_l = H_l /
    sqrt(l!)``) contracted ``l − 2`` times with each of ``vectors`` random
    unit vectors drawn from ``seed``, as ``relu-learn moments``; with
    batch-means standard errors.

    Returns a dict: ``mean`` and ``std_error`` of shape (vectors, d, d) (one
    matrix for order 2), ``vectors`` (vectors, d), ``order``, ``n_samples``.
    """
    X = _contiguous(np.asarray(X))
    if X.dtype not in (np.float64, np.float32):
        X = X.astype(np.float64)
    y = _contiguous(np.asarray(np.ravel(y), dtype=np.float64))
    return _native.moments(X, y, int(order), int(vectors), int(seed), n_jobs)


def _model(obj):
    if isinstance(obj, _native.Model):
        return obj
    model = getattr(obj, "model_", None)
    if model is None:
        raise ValueError("expected a relu_learn.Model or a fitted relu_learn estimator")
    return model


def eval(model, teacher=None, X=None, y=None, samples=100_000, seed=0, n_jobs=None):  # noqa: A001
    """A model (or fitted estimator) against a teacher network on ``samples``
    fresh Gaussian inputs from ``seed``, or on labelled data ``X``, ``y``;
    as ``relu-learn eval --json``: relative error with its standard error,
    the closed form for bias-free depth-2 pairs, and the unit matching for
    depth-2 pairs (``matching``: parameter, direction, bias and output errors).
    """
    model = _model(model)
    if teacher is not None:
        doc = _native.evaluate(model, teacher=_model(teacher), samples=int(samples), seed=int(seed), n_threads=n_jobs)
    else:
        if X is None or y is None:
            raise ValueError("give either teacher= or both X= and y=")
        X = _contiguous(np.asarray(X))
        if X.dtype not in (np.float64, np.float32):
            X = X.astype(np.float64)
        y = _contiguous(np.asarray(np.ravel(y), dtype=np.float64))
        doc = _native.evaluate(model, x=X, y=y, n_threads=n_jobs)
    return json.loads(doc)


def load(path):
    """Reads a model file (``relu-net/v1`` or ``kernel-model/v1``) written by
    ``relu-learn fit``, ``relu-learn generate`` or an estimator's ``save``."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ValueError(f"cannot read the model file {path}: {e.strerror}; check the path") from e
    try:
        return _native.Model.from_json(text)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from e
