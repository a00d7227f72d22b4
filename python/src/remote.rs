//! Fits whose rows live elsewhere (a Dask cluster): the portable passes run
//! where the rows are, the rest reads rows on demand.
//!
//! [`RemoteSource`] is the client's view of `n` rows it does not hold. It
//! names itself as the [`Executor`] of its rows, so every portable pass of a
//! fit (label and input statistics, moments, validation errors, losses,
//! normal equations, the refinement's gradient, output refits, paired
//! comparisons: `learners::passes`) becomes a [`Job`] handed to the Python
//! `dispatch(job_json)` callable, which has the workers fold chunk ranges
//! ([`fold_block`] on each block) and returns the encoded trees in chunk
//! order; merged in the fixed tree of `relu_net::fold_chunk_range`, they are
//! bit for bit the local result. Passes over derived rows (projected or
//! whitened inputs, residual, squared, standardised or screened labels)
//! are portable too: the job carries their views (`relu_net::view`) and the
//! worker rebuilds them over its block. What still reads rows here — the
//! rows a fit loads into memory (its polish and search rows) and filtered
//! PCA's null test over labels shifted between rows — goes through
//! `fetch(row, want)`, which returns `want` rows from `row` on (at least
//! [`MIN_FETCH`] bytes of them, at most to the end of the block holding
//! `row`); the
//! pieces are kept up to [`CACHE_BYTES`], and the number of rows that came
//! to the client is reported. A pass over at most [`LOCAL_BYTES`] of rows
//! and at most a quarter of them runs here, on rows fetched once and kept.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use faer::reborrow::ReborrowMut;
use faer::{Col, ColMut, Mat, MatMut};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use relu_net::{Executor, Job, NetError, SampleSource};

use crate::source::{InputArray, label_view};

/// One block of rows fetched to the client.
struct Block {
    start: usize,
    x: Mat<f64>,
    y: Col<f64>,
}

/// The rows kept at the client, in bytes (most recently used pieces first;
/// the newest piece is kept whatever its size): enough for the passes
/// that run here ([`LOCAL_BYTES`]) and a chunk that straddles two pieces.
pub(crate) const CACHE_BYTES: usize = 512 << 20;

/// A pass over at most this many bytes of rows, and at most a quarter of
/// them, runs here, on rows fetched once and kept: the polish's and the refinement's subsamples, passed over
/// at every Levenberg–Marquardt iteration, would otherwise run on the one
/// worker that holds their block, on one thread.
const LOCAL_BYTES: usize = 256 << 20;

/// The fewest bytes of rows one fetch brings (when their block has them):
/// a read of one row does not bring a whole block, and a scan of 4 096-row
/// chunks does not pay one round trip per chunk.
const MIN_FETCH: usize = 16 << 20;

/// `n` rows of dimension `d` held elsewhere (see the module docs).
pub(crate) struct RemoteSource {
    pub(crate) n: usize,
    pub(crate) d: usize,
    pub(crate) dispatch: Py<PyAny>,
    pub(crate) fetch: Py<PyAny>,
    cache: Mutex<Vec<Block>>,
    /// Rows that came to the client through `fetch`.
    pub(crate) fetched: AtomicU64,
    /// Jobs run on the workers (not those run here on cached rows).
    pub(crate) jobs: AtomicU64,
}

impl RemoteSource {
    pub(crate) fn new(n: usize, d: usize, dispatch: Py<PyAny>, fetch: Py<PyAny>) -> Self {
        Self {
            n,
            d,
            dispatch,
            fetch,
            cache: Mutex::new(Vec::new()),
            fetched: AtomicU64::new(0),
            jobs: AtomicU64::new(0),
        }
    }

    /// Rows from `row` on, from `fetch`: `want` rows or [`MIN_FETCH`] bytes
    /// of rows, whichever is more, but not beyond the block holding `row`.
    fn fetch_block(&self, row: usize, want: usize) -> Block {
        let want = want.max(MIN_FETCH / ((self.d + 1) * 8)).max(1);
        let got = Python::attach(|py| -> PyResult<Block> {
            let out = self.fetch.call1(py, (row, want))?;
            let (start, x, y): (usize, Bound<'_, PyAny>, Bound<'_, PyAny>) = out.extract(py)?;
            let xa = InputArray::extract(&x)?;
            let ya: PyReadonlyArray1<'_, f64> = y.extract()?;
            let (xv, yv) = (xa.view()?, label_view(&ya)?);
            let mut xm = Mat::zeros(xv.nrows(), xv.ncols());
            xv.copy_rows(0, xm.as_mut());
            Ok(Block {
                start,
                x: xm,
                y: yv.to_owned(),
            })
        });
        match got {
            Ok(b)
                if b.start <= row
                    && row < b.start + b.x.nrows()
                    && b.x.ncols() == self.d
                    && b.y.nrows() == b.x.nrows() =>
            {
                self.fetched.fetch_add(b.x.nrows() as u64, Ordering::Relaxed);
                b
            }
            Ok(b) => panic!(
                "fetch({row}) returned rows {}..{} of dimension {}: not the block holding row {row} of dimension {}",
                b.start,
                b.start + b.x.nrows(),
                b.x.ncols(),
                self.d
            ),
            Err(e) => std::panic::panic_any(crate::control::Failed(format!(
                "fetching the rows at {row} from the cluster failed: {e}"
            ))),
        }
    }
}

impl SampleSource for RemoteSource {
    fn dim(&self) -> usize {
        self.d
    }

    fn len(&self) -> usize {
        self.n
    }

    fn chunk(&self, start: usize, mut x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        learners::cancel::checkpoint();
        let m = y.nrows();
        let mut done = 0;
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while done < m {
            let row = start + done;
            match holding(&cache, row) {
                Some(0) => {}
                Some(i) => {
                    let b = cache.remove(i);
                    cache.insert(0, b);
                }
                None => {
                    cache.insert(0, self.fetch_block(row, m - done));
                    evict(&mut cache);
                }
            }
            let b = &cache[0];
            let from = row - b.start;
            let take = (b.x.nrows() - from).min(m - done);
            x.rb_mut()
                .subrows_mut(done, take)
                .copy_from(b.x.as_ref().subrows(from, take));
            y.rb_mut()
                .subrows_mut(done, take)
                .copy_from(b.y.as_ref().subrows(from, take));
            done += take;
        }
    }

    fn executor(&self) -> Option<(&dyn Executor, usize)> {
        Some((self, 0))
    }
}

/// The position of the kept piece that holds `row`.
fn holding(cache: &[Block], row: usize) -> Option<usize> {
    cache
        .iter()
        .position(|b| b.start <= row && row < b.start + b.x.nrows())
}

/// Drops the least recently used pieces beyond [`CACHE_BYTES`] (never the
/// newest).
fn evict(cache: &mut Vec<Block>) {
    let bytes = |b: &Block| b.x.nrows() * (b.x.ncols() + 1) * 8;
    let mut total: usize = cache.iter().map(bytes).sum();
    while cache.len() > 1 && total > CACHE_BYTES {
        if let Some(b) = cache.pop() {
            total -= bytes(&b);
        }
    }
}

impl RemoteSource {
    /// Fetches the rows of `[lo, hi)` that are not kept yet (one fetch per
    /// block they lie in).
    fn prefetch(&self, lo: usize, hi: usize) {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut row = lo;
        while row < hi {
            if let Some(i) = holding(&cache, row) {
                row = cache[i].start + cache[i].x.nrows();
                continue;
            }
            let b = self.fetch_block(row, hi - row);
            row = b.start + b.x.nrows();
            cache.insert(0, b);
            evict(&mut cache);
        }
    }
}

impl Executor for RemoteSource {
    fn run(&self, job: &Job) -> Result<Vec<String>, NetError> {
        learners::cancel::checkpoint();
        // A pass over few enough rows to fetch and keep ([`LOCAL_BYTES`]:
        // the polish's and the refinement's subsamples and the validation
        // rows when they are that small, passed over again and again) runs
        // here on the fit's threads:
        // on the cluster it would run where its one or two blocks live, on
        // one worker's thread. Same tree, same bits.
        let (lo, hi) = (job.start, job.start + job.len);
        // Passes over all rows, or most of them, stay on the cluster.
        let small = job.len * (self.d + 1) * 8 <= LOCAL_BYTES && job.len <= self.n / 4;
        if job.len > 0 && small {
            self.prefetch(lo, hi);
            let rows = relu_net::Rows::new(self, job.start, job.len);
            let threads = rayon::current_num_threads();
            let par = if threads > 1 {
                faer::Par::rayon(threads)
            } else {
                faer::Par::Seq
            };
            return learners::passes::worker(job, &rows, 0..job.n_chunks(), par).map(|tree| vec![tree]);
        }
        let fail = |reason: String| NetError::Pass {
            pass: job.pass.clone(),
            reason,
        };
        let wire = serde_json::to_string(job).map_err(|e| fail(format!("the job does not encode: {e}")))?;
        self.jobs.fetch_add(1, Ordering::Relaxed);
        Python::attach(|py| -> PyResult<Vec<String>> { self.dispatch.call1(py, (wire,))?.extract(py) })
            .map_err(|e| fail(format!("the cluster failed to run it: {e}")))
    }
}

/// The job's rows seen from one block: job row r is block row
/// `job.start + r − offset`; only the chunks the block holds may be read.
struct Window<'a> {
    job: &'a Job,
    offset: usize,
    x: crate::source::Inputs<'a>,
    y: faer::ColRef<'a, f64>,
}

impl SampleSource for Window<'_> {
    fn dim(&self) -> usize {
        self.x.ncols()
    }

    fn len(&self) -> usize {
        self.job.len
    }

    fn chunk(&self, start: usize, x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        learners::cancel::checkpoint();
        let m = y.nrows();
        let from = self.job.start + start - self.offset;
        self.x.copy_rows(from, x);
        y.copy_from(self.y.subrows(from, m));
    }
}

/// Worker side of a [`RemoteSource`] job: folds the chunks `c0..c1` of the
/// job `job_json` on a block of rows `(x, y)` whose first row is row
/// `offset` of the data, and returns the encoded tree. The block must hold
/// every row of those chunks.
#[pyfunction]
#[pyo3(signature = (job_json, x, y, offset, c0, c1))]
pub(crate) fn fold_block(
    py: Python<'_>,
    job_json: &str,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    offset: usize,
    c0: usize,
    c1: usize,
) -> PyResult<String> {
    let job: Job = serde_json::from_str(job_json)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("not a job: {e}")))?;
    let xa = InputArray::extract(x)?;
    let ya: PyReadonlyArray1<'_, f64> = crate::source::labels(y)?;
    let (xv, yv) = (xa.view()?, label_view(&ya)?);
    let cs = job.chunk_rows.max(1);
    let first = job.start + c0 * cs;
    let last = job.start + (c1 * cs).min(job.len);
    if c0 > c1 || first < offset || last > offset + xv.nrows() || yv.nrows() != xv.nrows() {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "the block holds rows {offset}..{} but chunks {c0}..{c1} of the job need rows {first}..{last}",
            offset + xv.nrows()
        )));
    }
    let window = Window {
        job: &job,
        offset,
        x: xv,
        y: yv,
    };
    crate::control::run(py, None, Some(1), |_, par| {
        learners::passes::worker(&job, &window, c0..c1, par).map_err(|e| e.to_string())
    })
}
