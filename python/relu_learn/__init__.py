"""relu_learn: provable algorithms for learning ReLU networks from Gaussian
samples, as scikit-learn estimators.

>>> import relu_learn
>>> X, y, teacher = relu_learn.generate("biased", dim=10, hidden=4, samples=100_000, seed=1)
>>> est = relu_learn.ATV(hidden=4).fit(X, y)
>>> relu_learn.eval(est, teacher)["relative_error"] < 1e-6
True

Estimators (one per learner; parameters as in docs/learners/<id>.md):
``ATV``, ``Narrow``, ``CKM``, ``Kernel``, ``GLMtron``, ``Alphatron``,
``ExactERM``, ``BoundedWeight``, ``GD``. Functions: ``generate``,
``moments``, ``eval``, ``load``. Fits on a Dask cluster: ``relu_learn.dask``.
"""

from ._api import eval, generate, load, moments
from ._base import FitWarning, NotRecoveredWarning, ReluLearnRegressor
from ._estimators import CKM, ATV, GD, Alphatron, BoundedWeight, ExactERM, GLMtron, Kernel, Narrow
from ._native import Model

__all__ = [
    "ATV",
    "Narrow",
    "CKM",
    "Kernel",
    "GLMtron",
    "Alphatron",
    "ExactERM",
    "BoundedWeight",
    "GD",
    "Model",
    "ReluLearnRegressor",
    "FitWarning",
    "NotRecoveredWarning",
    "generate",
    "moments",
    "eval",
    "load",
]
