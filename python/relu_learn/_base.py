"""The scikit-learn estimator every learner shares."""

import json
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import _native


class FitWarning(UserWarning):
    """A warning from a fit's report (e.g. inputs far from Gaussian, heavy
    tails); the full report is the estimator's ``report_``."""


class NotRecoveredWarning(FitWarning, ConvergenceWarning):
    """The fit's relative validation error is above ``recovery_tol``: it did
    not recover a network (see ``report_["warnings"]``)."""


def _plain(value):
    """numpy scalars and tuples as JSON values."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _finite(value):
    if isinstance(value, float):
        return np.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def _seed(random_state):
    if random_state is None:
        return 0
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, got {random_state}")
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int64).max))


def _contiguous(x):
    """x itself when Rust can read it in place (C- or Fortran-contiguous and
    aligned: arrays received from other processes can be unaligned), else a
    C-ordered copy."""
    if (x.flags.c_contiguous or x.flags.f_contiguous) and x.flags.aligned:
        return x
    return np.array(x, order="C", copy=True)


def _network(model):
    layers = model.layers()
    return model if layers is None else layers


class ReluLearnRegressor(RegressorMixin, BaseEstimator):
    """The estimator behind every learner: ``fit`` runs the learner in Rust
    exactly as ``relu-learn fit`` does (inputs whitened unless they look
    standard, the fit judged against ``recovery_tol``).

    Fitted attributes: ``model_`` (the native model), ``network_`` (the list
    of ``(W, b)`` layers, ReLU after every layer but the last; the model
    itself for the kernel learners), ``provable_network_`` (the paper's
    stage's network before local optimisation, for atv, narrow and ckm;
    else None), ``report_`` (the fit's report as a dict: validation error,
    the paper's stage's error, passes, notes, warnings) and
    ``n_features_in_``.
    """

    _learner = None
    _takes_hidden = False
    _param_names = ()
    #: What the learner cannot do that scikit-learn's generic checks
    #: (``check_estimator``) ask of it: (message pattern, reason) pairs. A
    #: check may fail only with a ``ValueError`` whose message contains one
    #: of the patterns (the test suite enforces it); see python/README.md.
    _check_conflicts = (
        (
            "needs at least",
            "the learners need a minimum number of samples (2000 for the moment learners, "
            "100 for the others); the generic checks fit 10 to 200",
        ),
        (
            "the labels are constant",
            "a check whose labels are constant (after the learner's own row selection): nothing to learn",
        ),
    )

    def _learner_params(self):
        params = {}
        for name in self._param_names:
            value = getattr(self, name)
            if value is not None:
                params[name] = _plain(value)
        try:
            return json.dumps(params, allow_nan=False)
        except ValueError:
            bad = [k for k, v in params.items() if not _finite(v)]
            raise ValueError(f"{self._learner}: parameter(s) {', '.join(bad)} must be finite (not NaN or infinity)") from None

    def _threads(self):
        """``n_jobs`` for the native side: None or -1 mean every core."""
        n = self.n_jobs
        if n is None or n == -1:
            return None
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n_jobs must be a positive int, -1 or None (every core), got {n!r}")
        return int(n)

    def _hidden(self):
        if not self._takes_hidden or getattr(self, "hidden", None) is None:
            return None
        h = self.hidden
        if not isinstance(h, numbers.Integral) or isinstance(h, bool) or h < 1:
            raise ValueError(f"{self._learner}: hidden must be a positive int or None, got {h!r}")
        return int(h)

    def _forget(self):
        """Drops what an earlier fit left, so that a failed fit leaves the
        estimator unfitted (never the previous model)."""
        for name in ("model_", "report_", "network_", "provable_network_", "n_features_in_", "feature_names_in_", "dask_"):
            self.__dict__.pop(name, None)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    def fit(self, X, y, progress=None):
        """Fits the learner to ``X`` (n × d) and ``y`` (n).

        ``X`` is read in place when it is C- or Fortran-contiguous float64
        or float32; do not write to it from another thread (or from
        ``progress``) while the fit runs. ``progress(stage, seconds)``, if given, is called as
        each stage of the fit starts. Ctrl-C stops the fit (no model is
        kept). Raises ``ValueError`` for bad input (NaN, wrong shapes, too
        few samples, constant labels, invalid parameters) with the command
        line's messages; warns (``FitWarning``, ``NotRecoveredWarning``)
        with what the report says.
        """
        self._forget()
        params = self._learner_params()
        hidden = self._hidden()
        threads = self._threads()
        # Non-finite values and mismatched lengths are left to the learner,
        # whose messages are the command line's.
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_all_finite=False, ensure_min_samples=2)
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        y = column_or_1d(y, warn=True)
        try:
            y = _contiguous(np.asarray(y, dtype=np.float64))
        except (TypeError, ValueError) as e:
            raise ValueError(f"y must be numeric: {e}") from e
        X = _contiguous(X)
        model, report, provable = _native.fit(
            self._learner,
            params,
            X,
            y,
            _seed(self.random_state),
            hidden=hidden,
            assume_standard=bool(self.assume_standard),
            recovery_tol=float(self.recovery_tol),
            n_threads=threads,
            progress=progress,
        )
        return self._fitted(model, report, provable)

    def _fitted(self, model, report, provable):
        """Sets the fitted attributes from a native fit and warns with what
        its report says."""
        report = json.loads(report)
        self.model_ = model
        self.report_ = report
        self.network_ = _network(model)
        self.provable_network_ = None if provable is None else _network(provable)
        category = NotRecoveredWarning if report.get("recovered") is False else FitWarning
        for message in report.get("warnings", []):
            warnings.warn(f"relu-learn {self._learner}: {message}", category, stacklevel=3)
        return self

    def predict(self, X):
        """The model's output for every row of ``X``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self.model_.predict(_contiguous(X), n_threads=self._threads())

    def save(self, path):
        """Writes the fitted model (``relu-net/v1`` or ``kernel-model/v1``
        JSON), readable by ``relu_learn.load`` and ``relu-learn eval``."""
        check_is_fitted(self)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.model_.to_json())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        # The learners assume Gaussian inputs and a ReLU-network target; on
        # scikit-learn's small non-Gaussian test problems they fit what they
        # can, which is not always a good R².
        tags.regressor_tags.poor_score = True
        return tags
