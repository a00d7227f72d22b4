"""Benchmarks of the Python package: its overhead over the command line, and
Dask fits against local ones. Run by ``cargo xtask bench --python``, which
writes the section "Python and Dask" of docs/performance.md from the JSON
this prints.

    python python/benches/bench.py [--quick] --out FILE.json

* **Overhead.** atv on a biased depth-2 network (d = 20, k = 4, σ = 0.1)
  at 10⁶ samples: ``relu-learn fit --x --y`` (the binary in
  ``RELU_LEARN_BIN``) against ``relu_learn.ATV(...).fit(X, y)`` on the same
  arrays with the same seed (the same model, checked). The command line's
  fit time is its report's ``fit_seconds`` (the fit alone, without starting,
  reading the ``.npy`` files and writing the model and report;
  ``total_seconds`` and the wall time of the process are reported too);
  Python's is the wall time of ``fit``, its conversions and checks included.
  Medians of 5 runs, 2 threads, the two taking turns to go first.
* **Dask.** atv (d = 50, k = 5, σ = 0.1) at 10⁶ and 10⁷ samples whose
  blocks (5·10⁵ rows) are generated on the workers of a
  ``LocalCluster(n_workers=2, threads_per_worker=1)`` and kept there. The
  Dask fit runs in a client process of its own that never holds the data:
  its wall time and its peak resident memory are reported, the latter for
  both n (it should not grow with n). The peak is the kernel's high-water
  mark of the process's own memory (``VmHWM``); ``ru_maxrss`` would not do:
  Linux carries it over from the parent through ``fork`` and ``exec``, so a
  client started by a process that held 10⁶ rows reported their size. The
  local fit is ``ATV(..., n_jobs=2).fit`` on the same rows, generated in a
  process of its own (the cluster idle meanwhile); the two models must be
  identical. 3 runs of each, alternating; the ratio reported is the median
  of each Dask run's time over the local run's next to it. At 2·10⁷ samples the
  Dask client runs once and alone (no local fit): its peak memory against
  the other two.
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
        out, report = os.path.join(tmp, "cli.json"), os.path.join(tmp, "report.json")
        wall, total, fit, py = [], [], [], []
        for rep in range(reps):
            if rep % 2:
                # Python first on every other run: neither always finds the
                # other's caches warm.
                t0 = time.perf_counter()
                est = relu_learn.ATV(hidden=4, random_state=4, n_jobs=2).fit(X, y)
                py.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run(
                [binary, "fit", "--learner", "atv", "--hidden", "4", "--x", os.path.join(tmp, "x.npy"),
                 "--y", os.path.join(tmp, "y.npy"), "--seed", "4", "--threads", "2", "--out", out,
                 "--report", report],
                check=True, capture_output=True)
            wall.append(time.perf_counter() - t0)
            with open(report) as f:
                r = json.load(f)
            total.append(r["total_seconds"])
            fit.append(r["fit_seconds"])
            if rep % 2 == 0:
                t0 = time.perf_counter()
                est = relu_learn.ATV(hidden=4, random_state=4, n_jobs=2).fit(X, y)
                py.append(time.perf_counter() - t0)
        with open(out) as f:
            same = f.read() == est.model_.to_json()
    c, p = statistics.median(fit), statistics.median(py)
    return {"n": n, "d": 20, "k": 4, "cli_fit_seconds": c, "cli_total_seconds": statistics.median(total),
            "cli_wall_seconds": statistics.median(wall), "python_seconds": p, "overhead": p / c - 1.0,
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


def _peak_mib():
    """This process's peak resident memory in MiB: ``VmHWM`` where the
    kernel reports it (Linux), else ``ru_maxrss`` (which Linux would carry
    over from the parent process)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _printed(args):
    """Runs this script with ``args`` in a process of its own and returns
    the JSON object it printed last."""
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def dask_client(address, k):
    """The Dask fit, from a process that holds no rows: prints its time, peak
    memory and model."""
    import warnings

    from distributed import Client

    import relu_learn.dask as rdask

    warnings.simplefilter("ignore")
    client = Client(address)
    X, y = client.get_dataset("X"), client.get_dataset("y")
    rss0 = _peak_mib()
    t0 = time.perf_counter()
    est = rdask.fit(relu_learn.ATV(hidden=k, random_state=4, n_jobs=2), X, y, client=client)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "peak_rss_mib": _peak_mib(), "start_rss_mib": rss0,
                      "dask": est.dask_, "model": est.model_.to_json()}))
    client.close()


def local_fit(n, d, k):
    """The local fit on the rows the workers hold, generated here block by
    block: prints its time and model."""
    _, _, teacher = relu_learn.generate("biased", dim=d, hidden=k, samples=1, seed=2)
    X, y = np.empty((n, d)), np.empty(n)
    for i, start in enumerate(range(0, n, BLOCK)):
        rows = min(BLOCK, n - start)
        X[start:start + rows], y[start:start + rows] = _block(teacher.to_json(), i, rows, d)
    t0 = time.perf_counter()
    est = relu_learn.ATV(hidden=k, random_state=4, n_jobs=2).fit(X, y)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "model": est.model_.to_json()}))


def dask_runs(ns, d, k, reps, alone):
    import warnings

    from distributed import Client, LocalCluster

    warnings.simplefilter("ignore")
    _, _, teacher = relu_learn.generate("biased", dim=d, hidden=k, samples=1, seed=2)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    rows = []
    try:
        for n in ns + alone:
            X, y = _arrays(client, teacher.to_json(), n, d)
            client.publish_dataset(X=X, y=y, override=True)
            remote, local = [], []
            dask_args = ["--client", cluster.scheduler_address, "--k", str(k)]
            if n in alone:
                r = _printed(dask_args)
                client.unpublish_dataset("X")
                client.unpublish_dataset("y")
                client.cancel([X, y])
                rows.append({"n": n, "d": d, "k": k, "blocks": r["dask"]["blocks"], "runs": 1,
                             "dask_seconds": r["seconds"], "client_peak_rss_mib": r["peak_rss_mib"],
                             "jobs": r["dask"]["jobs"], "rows_fetched": r["dask"]["rows_fetched"]})
                continue
            for _ in range(reps):
                # Alternately, so that a slow spell of the machine hits both.
                remote.append(_printed(dask_args))
                local.append(_printed(["--local", str(n), "--d", str(d), "--k", str(k)]))
            client.unpublish_dataset("X")
            client.unpublish_dataset("y")
            client.cancel([X, y])
            dask_seconds = statistics.median(r["seconds"] for r in remote)
            local_seconds = statistics.median(r["seconds"] for r in local)
            # Each Dask run against the local run next to it, then the median.
            ratios = [r["seconds"] / l["seconds"] for r, l in zip(remote, local)]
            rows.append({"n": n, "d": d, "k": k, "blocks": remote[0]["dask"]["blocks"], "runs": reps,
                         "local_seconds": local_seconds, "dask_seconds": dask_seconds,
                         "ratio": statistics.median(ratios), "ratios": ratios,
                         "client_peak_rss_mib": max(r["peak_rss_mib"] for r in remote),
                         "jobs": remote[0]["dask"]["jobs"], "rows_fetched": remote[0]["dask"]["rows_fetched"],
                         "same_model": all(r["model"] == l["model"] for r in remote for l in local)})
    finally:
        client.close()
        cluster.close()
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--quick", action="store_true", help="10⁵, 10⁶ and 2·10⁶ rows instead of 10⁶, 10⁷ and 2·10⁷")
    ap.add_argument("--client", help=argparse.SUPPRESS)
    ap.add_argument("--local", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--d", type=int, default=50, help=argparse.SUPPRESS)
    ap.add_argument("--k", type=int, default=5, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.client:
        dask_client(a.client, a.k)
        return
    if a.local:
        local_fit(a.local, a.d, a.k)
        return
    scale = 10 if a.quick else 1
    result = {"overhead": overhead(1_000_000 // scale, 5),
              "dask": dask_runs([1_000_000 // scale, 10_000_000 // scale], 50, 5, 3, [20_000_000 // scale])}
    text = json.dumps(result, indent=1)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
