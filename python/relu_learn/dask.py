"""Fits on a Dask cluster: the passes over the data run where the blocks live.

>>> from distributed import Client
>>> import dask.array as da, relu_learn, relu_learn.dask
>>> client = Client("tcp://scheduler:8786")          # or LocalCluster(...)
>>> X = da.from_zarr("x.zarr"); y = da.from_zarr("y.zarr")   # chunked by rows
>>> est = relu_learn.dask.fit(relu_learn.ATV(hidden=4), X, y)
>>> est.dask_                                         # jobs run, rows fetched, blocks

Every pass a fit makes over its rows is a job (a named accumulator with its
parameters, a row range and a chunk size). ``fit`` gives each job to the
cluster as one task per block (a chunk that straddles two blocks is joined
from the two blocks' slices on a worker), each task folds its chunks into an
accumulator tree on the worker that holds the block and returns it encoded,
and the client merges the trees in the fixed order that makes the result
bit-identical to ``estimator.fit(X.compute(), y.compute())``. The blocks
stay on the workers for these passes: only jobs and accumulators travel.

Passes over derived rows (projected or whitened inputs, residual, squared
or screened labels) are portable too: the job carries the derivation as a
view, which the worker rebuilds over its block. What still reads rows at the
client: the rows a fit loads into memory (its polish and search rows, gd's
training rows) and filtered PCA's null test (labels shifted between rows).
They are fetched and kept (up to 512 MiB, so the client's memory does not
grow with n), and passes over at most a quarter of the rows and 256 MiB
(the polish's, the refinement's and the validation rows, when that small)
run at the client on them. ``est.dask_["rows_fetched"]`` says how many rows came to the client.
"""

import json

import numpy as np

from . import _native
from ._base import ReluLearnRegressor, _contiguous, _seed

__all__ = ["fit", "moments"]


# The job format the client writes; a worker refuses others. (Jobs carry
# views since protocol 2: a worker that ignored them would fold the raw rows
# and return a wrong accumulator without an error. Since protocol 3 the
# error passes carry a list of networks.)
_PROTOCOL = 3


def _fold(job_json, x, y, offset, c0, c1, protocol):
    """Worker side: one job's chunks c0..c1 on one block."""
    from relu_learn import _native as native
    from relu_learn._base import _contiguous
    from relu_learn.dask import _PROTOCOL as mine

    if protocol != mine:
        raise RuntimeError(
            f"this worker's relu_learn speaks job protocol {mine}, the client's {protocol}: "
            "install the same relu_learn version on the client and every worker"
        )

    return native.fold_block(job_json, _contiguous(np.asarray(x)), _contiguous(np.asarray(y, dtype=np.float64)),
                             int(offset), int(c0), int(c1))


def _slice(a, lo, hi):
    return a[lo:hi]


def _join(parts):
    return np.concatenate(parts)


class _Blocks:
    """The cluster side of one fit: the blocks of X and y as futures on the
    workers, and the two callables the Rust fit calls."""

    def __init__(self, X, y, client):
        import dask.array as da
        from distributed import default_client

        self.client = client if client is not None else default_client()
        X = X if isinstance(X, da.Array) else da.asarray(X)
        y = y if isinstance(y, da.Array) else da.asarray(y)
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D dask array (one row per sample), got {X.ndim} dimensions")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(f"y must be a 1-D dask array (one label per sample), got shape {y.shape}")
        if any(np.isnan(c) for c in X.chunks[0]) or any(np.isnan(c) for c in y.chunks[0]):
            raise ValueError("X and y need known chunk sizes; call X.compute_chunk_sizes() first")
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"x has {X.shape[0]} rows but y has {y.shape[0]} entries; they must describe the same samples")
        if X.dtype not in (np.float64, np.float32):
            X = X.astype(np.float64)
        if X.numblocks[1] != 1:
            X = X.rechunk({1: -1})
        y = y.astype(np.float64)
        if y.chunks[0] != X.chunks[0]:
            y = y.rechunk({0: X.chunks[0]})
        self.n, self.d = (int(s) for s in X.shape)
        self.offsets = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(np.int64)
        self.xb = self.client.compute(list(X.to_delayed().ravel()))
        self.yb = self.client.compute(list(y.to_delayed().ravel()))

    def _block_of(self, row):
        return int(np.searchsorted(self.offsets, row, side="right") - 1)

    def dispatch(self, job_json):
        """The job's encoded accumulator trees, in chunk order."""
        job = json.loads(job_json)
        start, length, cs = job["start"], job["len"], max(job["chunk_rows"], 1)
        n_chunks = -(-length // cs)
        submit = self.client.submit
        tasks = []
        c = 0
        while c < n_chunks:
            lo = start + c * cs
            b = self._block_of(lo)
            end = self.offsets[b + 1]
            last = c
            while last < n_chunks and start + min((last + 1) * cs, length) <= end:
                last += 1
            if last > c:
                tasks.append(
                    submit(_fold, job_json, self.xb[b], self.yb[b], self.offsets[b], c, last, _PROTOCOL, pure=False)
                )
                c = last
                continue
            # Chunk c straddles blocks: slice each piece where it lives, join.
            hi = start + min((c + 1) * cs, length)
            xs, ys = [], []
            bb = b
            while bb + 1 < len(self.offsets) and self.offsets[bb] < hi:
                a0, a1 = max(lo, self.offsets[bb]) - self.offsets[bb], min(hi, self.offsets[bb + 1]) - self.offsets[bb]
                xs.append(submit(_slice, self.xb[bb], a0, a1, pure=False))
                ys.append(submit(_slice, self.yb[bb], a0, a1, pure=False))
                bb += 1
            jx, jy = submit(_join, xs, pure=False), submit(_join, ys, pure=False)
            tasks.append(submit(_fold, job_json, jx, jy, lo, c, c + 1, _PROTOCOL, pure=False))
            c += 1
        try:
            return self.client.gather(tasks)
        except BaseException:
            # Interrupted or failed: stop the job's other tasks.
            self.client.cancel(tasks)
            raise

    def fetch(self, row, want):
        """Rows ``row`` to ``row + want`` (or to the end of the block holding
        ``row``), brought to the client; the whole block when that is all
        of it."""
        b = self._block_of(row)
        lo = row - int(self.offsets[b])
        hi = min(lo + int(want), int(self.offsets[b + 1] - self.offsets[b]))
        if lo == 0 and hi == int(self.offsets[b + 1] - self.offsets[b]):
            x, y = self.client.gather([self.xb[b], self.yb[b]])
        else:
            submit = self.client.submit
            x, y = self.client.gather([submit(_slice, self.xb[b], lo, hi, pure=False),
                                       submit(_slice, self.yb[b], lo, hi, pure=False)])
        return row, _contiguous(np.asarray(x)), _contiguous(np.asarray(y, dtype=np.float64))


def fit(estimator, X, y, client=None, progress=None):
    """Fits ``estimator`` (a relu_learn estimator) on dask arrays ``X`` (n × d)
    and ``y`` (n) chunked by rows, on ``client``'s cluster (default: the
    current client), and returns it fitted: bit-identical to
    ``estimator.fit(X.compute(), y.compute())``. ``estimator.dask_`` records
    the jobs run on the workers, the rows fetched to the client and the
    number of blocks."""
    if not isinstance(estimator, ReluLearnRegressor):
        raise ValueError("relu_learn.dask.fit needs a relu_learn estimator (e.g. relu_learn.ATV(hidden=4))")
    estimator._forget()
    params, hidden, threads = estimator._learner_params(), estimator._hidden(), estimator._threads()
    # Bad parameters fail before any block is computed.
    _native.check_params(estimator._learner, params, hidden)
    blocks = _Blocks(X, y, client)
    model, report, provable, fetched, jobs = _native.fit_remote(
        estimator._learner,
        params,
        blocks.n,
        blocks.d,
        blocks.dispatch,
        blocks.fetch,
        _seed(estimator.random_state),
        hidden=hidden,
        assume_standard=bool(estimator.assume_standard),
        recovery_tol=float(estimator.recovery_tol),
        n_threads=threads,
        progress=progress,
    )
    estimator.n_features_in_ = blocks.d
    estimator.dask_ = {"jobs": int(jobs), "rows_fetched": int(fetched), "blocks": len(blocks.xb), "rows": blocks.n}
    return estimator._fitted(model, report, provable)


def moments(X, y, order, vectors=1, seed=0, client=None):
    """``relu_learn.moments`` on dask arrays: the moment pass runs on the
    workers, bit-identical to the local result."""
    blocks = _Blocks(X, y, client)
    return _native.moments_remote(blocks.n, blocks.d, blocks.dispatch, blocks.fetch, int(order), int(vectors), int(seed))
