"""Benchmarks of the Python package: its overhead over the command line, and
Dask fits against local ones. Run by ``cargo xtask bench --python``, which
writes the section "Python and Dask" of docs/performance.md from the JSON
this prints.

    python python/benches/bench.py [--quick] --out FILE.json

* **Overhead.** atv on a biased depth-2 network (d = 20, k = 4, σ = 0.1)
  at 10⁶ samples: ``relu-learn fit --x --y`` (the binary in
  ``RELU_LEARN_BIN``; its time includes starting and reading the ``.npy``
  files) against ``relu_learn.ATV(...).fit(X, y)`` on the same arrays with
  the same seed (the same model, checked). Medians of 3 runs, 2 threads.
* **Dask.** atv (d = 50, k = 5, σ = 0.1) at 10⁶ and 10⁷ samples whose
  blocks (5·10⁵ rows) are generated on the workers of a
  ``LocalCluster(n_workers=2, threads_per_worker=1)`` and kept there. The
  Dask fit runs in a client process of its own that never holds the data:
  its wall time and its peak resident memory (``ru_maxrss``) are reported,
  the latter for both n (it should not grow with n). The local fit is
  ``ATV(..., n_jobs=2).fit`` on the same rows gathered into this process;
  the two models must be identical.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import relu_learn

BLOCK = 500_000


def overhead(n, reps):
    binary = os.environ.get("RELU_LEARN_BIN")
    if not binary or not os.path.exists(binary):
        raise SystemExit("RELU_LEARN_BIN must name the release relu-learn binary")
    X, y, _ = relu_learn.generate("biased", dim=20, hidden=4, samples=n, seed=1, noise=0.1)
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "x.npy"), X)
        np.save(os.path.join(tmp, "y.npy"), y)
        out = os.path.join(tmp, "cli.json")
        cli, py = [], []
        for _ in range(reps):
            t0 = time.perf_counter()
            subprocess.run(
                [binary, "fit", "--learner", "atv", "--hidden", "4", "--x", os.path.join(tmp, "x.npy"),
                 "--y", os.path.join(tmp, "y.npy"), "--seed", "4", "--threads", "2", "--out", out],
                check=True, capture_output=True)
            cli.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            est = relu_learn.ATV(hidden=4, random_state=4, n_jobs=2).fit(X, y)
            py.append(time.perf_counter() - t0)
        with open(out) as f:
            same = f.read() == est.model_.to_json()
    c, p = statistics.median(cli), statistics.median(py)
    return {"n": n, "d": 20, "k": 4, "cli_seconds": c, "python_seconds": p, "overhead": p / c - 1.0,
            "same_model": same, "runs": reps}


def _block(teacher_json, i, rows, d):
    """Rows of block i: standard Gaussian inputs from seed (7, i), labels of
    the teacher plus N(0, 0.1²) noise."""
    rng = np.random.default_rng([7, i])
    X = rng.standard_normal((rows, d))
    teacher = relu_learn._native.Model.from_json(teacher_json)
    y = teacher.predict(X) + 0.1 * rng.standard_normal(rows)
    return X, y


def _arrays(client, teacher_json, n, d):
    import dask
    import dask.array as da

    blocks = []
    for i, start in enumerate(range(0, n, BLOCK)):
        rows = min(BLOCK, n - start)
        pair = dask.delayed(_block, nout=2, pure=True)(teacher_json, i, rows, d)
        blocks.append((da.from_delayed(pair[0], (rows, d), dtype=np.float64),
                       da.from_delayed(pair[1], (rows,), dtype=np.float64)))
    X = da.concatenate([b[0] for b in blocks])
    y = da.concatenate([b[1] for b in blocks])
    X, y = client.persist([X, y])
    from distributed import wait
    wait([X, y])
    return X, y


def dask_client(address, k):
    """The Dask fit, from a process that holds no rows: prints its time, peak
    memory and model."""
    import warnings

    from distributed import Client

    import relu_learn.dask as rdask

    warnings.simplefilter("ignore")
    client = Client(address)
    X, y = client.get_dataset("X"), client.get_dataset("y")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    est = rdask.fit(relu_learn.ATV(hidden=k, random_state=4, n_jobs=2), X, y, client=client)
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_rss_mib": rss / 1024, "start_rss_mib": rss0 / 1024,
                      "dask": est.dask_, "model": est.model_.to_json()}))
    client.close()


def dask_runs(ns, d, k):
    import warnings

    from distributed import Client, LocalCluster

    warnings.simplefilter("ignore")
    _, _, teacher = relu_learn.generate("biased", dim=d, hidden=k, samples=1, seed=2)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    rows = []
    try:
        for n in ns:
            X, y = _arrays(client, teacher.to_json(), n, d)
            client.publish_dataset(X=X, y=y, override=True)
            out = subprocess.run([sys.executable, __file__, "--client", cluster.scheduler_address, "--k", str(k)],
                                 check=True, capture_output=True, text=True)
            remote = json.loads(out.stdout.strip().splitlines()[-1])
            client.unpublish_dataset("X")
            client.unpublish_dataset("y")
            Xl, yl = X.compute(), y.compute()
            t0 = time.perf_counter()
            local = relu_learn.ATV(hidden=k, random_state=4, n_jobs=2).fit(Xl, yl)
            local_seconds = time.perf_counter() - t0
            del Xl, yl
            client.cancel([X, y])
            rows.append({"n": n, "d": d, "k": k, "blocks": remote["dask"]["blocks"], "local_seconds": local_seconds,
                         "dask_seconds": remote["seconds"], "ratio": remote["seconds"] / local_seconds,
                         "client_peak_rss_mib": remote["peak_rss_mib"], "jobs": remote["dask"]["jobs"],
                         "rows_fetched": remote["dask"]["rows_fetched"],
                         "same_model": remote["model"] == local.model_.to_json()})
    finally:
        client.close()
        cluster.close()
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--quick", action="store_true", help="10⁵ and 10⁶ rows instead of 10⁶ and 10⁷")
    ap.add_argument("--client", help=argparse.SUPPRESS)
    ap.add_argument("--k", type=int, default=5, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.client:
        dask_client(a.client, a.k)
        return
    scale = 10 if a.quick else 1
    result = {"overhead": overhead(1_000_000 // scale, 3),
              "dask": dask_runs([1_000_000 // scale, 10_000_000 // scale], 50, 5)}
    text = json.dumps(result, indent=1)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
