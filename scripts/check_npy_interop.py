"""Interoperability check with numpy (run by .ci/run).

Generates a planted data set with the relu-learn binary, reads it with numpy,
recomputes the labels from teacher.json with numpy alone, and round-trips
float32 / Fortran-order files written by numpy through `relu-learn predict`.
Usage: python3 scripts/check_npy_interop.py PATH/TO/relu-learn
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def forward(model, x):
    h = x
    layers = model["layers"]
    for i, layer in enumerate(layers):
        h = h @ np.asarray(layer["weight"]).T + np.asarray(layer["bias"])
        if i + 1 < len(layers):
            h = np.maximum(h, 0.0)
    return h[:, 0]


def main():
    exe = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        subprocess.run([exe, "generate", "--family", "biased", "--dim", "10", "--hidden", "4",
                        "--samples", "1000", "--seed", "1", "--out", str(d)], check=True,
                       stdout=subprocess.DEVNULL)
        model = json.loads((d / "teacher.json").read_text())
        x = np.load(d / "x.npy")
        y = np.load(d / "y.npy")
        assert x.shape == (1000, 10) and x.dtype == np.float64, (x.shape, x.dtype)
        assert y.shape == (1000,) and y.dtype == np.float64, (y.shape, y.dtype)
        err = np.max(np.abs(forward(model, x) - y))
        assert err < 1e-12, f"labels differ from numpy's forward pass by {err}"
        # numpy-written float32 Fortran-order input and an (n, 1) label file.
        np.save(d / "x32f.npy", np.asfortranarray(x.astype(np.float32)))
        subprocess.run([exe, "predict", "--model", str(d / "teacher.json"), "--x", str(d / "x32f.npy"),
                        "--out", str(d / "yhat.npy")], check=True, stdout=subprocess.DEVNULL)
        yhat = np.load(d / "yhat.npy")
        ref = forward(model, x.astype(np.float32).astype(np.float64))
        assert np.max(np.abs(yhat - ref)) < 1e-12
        np.save(d / "y2.npy", y[:, None])
        out = subprocess.run([exe, "eval", "--model", str(d / "teacher.json"), "--x", str(d / "x.npy"),
                              "--y", str(d / "y2.npy"), "--json"], check=True, capture_output=True, text=True)
        assert json.loads(out.stdout)["mse"] == 0.0
    print(f"numpy {np.__version__} interop: ok (max label difference {err:.1e})")


if __name__ == "__main__":
    main()
