"""relu_learn.ATV against scikit-learn's MLPRegressor on the same data.

A depth-2 ReLU network with biases (d = 20, k = 5, mixed-sign output
weights) is planted; both estimators get the same 10⁵ noisy training samples
and are scored on 10⁴ fresh ones. Run: python examples/atv_vs_mlp.py
"""

import time

import numpy as np
from sklearn.neural_network import MLPRegressor

import relu_learn

X, y, teacher = relu_learn.generate("biased", dim=20, hidden=5, samples=110_000, seed=7, noise=0.1)
X_train, y_train, X_test, y_test = X[:100_000], y[:100_000], X[100_000:], y[100_000:]
clean = teacher.predict(X_test)  # the noise-free labels of the test rows


def report(name, est, seconds):
    excess = np.mean((est.predict(X_test) - clean) ** 2) / np.var(clean)
    print(f"{name:<28} R² {est.score(X_test, y_test):.4f}   excess error {excess:.2e}   {seconds:6.1f} s")


t = time.perf_counter()
atv = relu_learn.ATV(hidden=5, random_state=0).fit(X_train, y_train)
report("relu_learn.ATV (k = 5)", atv, time.perf_counter() - t)
print(f"{'':<28} the paper's moment stage alone: validation error {atv.report_['provable_stage_error']:.2e}")

for width in (5, 50):
    t = time.perf_counter()
    mlp = MLPRegressor(hidden_layer_sizes=(width,), max_iter=200, early_stopping=True, random_state=0)
    mlp.fit(X_train, y_train)
    report(f"MLPRegressor (width {width})", mlp, time.perf_counter() - t)

# With noise σ = 0.1 the best possible R² is 1 − σ² / Var(y); the excess
# error is the squared distance to the teacher, relative to its variance.
print(f"best possible R² {1 - 0.01 / np.var(y_test):.4f}; least-squares limit of the excess error "
      f"σ²p/n / Var = {0.01 * (5 * 22 + 1) / 100_000 / np.var(clean):.1e}")
