//! The streaming estimator: statistics summed over samples in chunks and
//! batches, with standard errors, in accumulators that merge exactly across
//! shards.
//!
//! Every estimate here is a mean `m = (1/n) Σ_i φ(x_i, y_i)` of a vector
//! statistic `φ ∈ ℝ^D` ([`Statistic`]). Rows are cut into chunks of
//! `chunk_rows` (the unit of parallel work and of sharding) and chunks into
//! batches of `batch_rows` (the unit of the standard error). For each batch
//! b with `m_b` rows and sum `S_b` the accumulator keeps `Σ S_b`, `Σ S_b²`,
//! `Σ m_b S_b` and `Σ m_b²`, from which the batch-means (cluster) estimate
//! of the standard error is
//!
//! ```text
//! se² = B/(B − 1) · Σ_b (S_b − m_b m)² / n²,   B = number of batches,
//! ```
//!
//! entrywise. Chunks are reduced along the canonical pairwise tree of
//! [`relu_net::ChunkTree`], so results are bit-identical for any thread count
//! and shards merged with [`Accumulator::merge`] give exactly the one-pass
//! result.

use std::ops::Range;

use faer::{ColRef, MatRef, Par};
use relu_net::pass::{Job, Pass, decode_tree, fold_job_range};
use relu_net::{ChunkTree, NetError, SampleSource, fold_chunk_range};
use serde::{Deserialize, Serialize};

use crate::error::MomentError;

/// A per-sample vector statistic `φ(x, y) ∈ ℝ^D`, summed batch by batch.
pub trait Statistic: Sync {
    /// The number of components D.
    fn len(&self) -> usize;

    /// Whether D = 0.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The input dimension d the statistic expects.
    fn dim(&self) -> usize;

    /// A string that identifies the statistic and its parameters exactly;
    /// accumulators merge only when fingerprints agree.
    fn fingerprint(&self) -> String;

    /// Adds every batch of `batch_rows` rows of the chunk `(x, y)` to
    /// `partial` with [`Partial::add_batch`] (the last batch may be
    /// shorter).
    fn accumulate_chunk(
        &self,
        x: MatRef<'_, f64>,
        y: ColRef<'_, f64>,
        batch_rows: usize,
        partial: &mut Partial,
    );

    /// The statistic as data, for a moment pass that runs on an executor's
    /// workers; `None` (the default) keeps its passes here.
    fn spec(&self) -> Option<crate::statistics::StatisticSpec> {
        None
    }
}

/// Sums over the batches of some chunks: the leaves and nodes of an
/// [`Accumulator`]'s tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    /// Samples summed.
    pub n_samples: u64,
    /// Batches summed.
    pub n_batches: u64,
    /// `Σ_b m_b²`.
    pub sum_batch_size_sq: f64,
    /// `Σ_b S_b`.
    pub sum: Vec<f64>,
    /// `Σ_b S_b²` (empty when standard errors are off).
    pub sum_sq: Vec<f64>,
    /// `Σ_b m_b S_b` (empty when standard errors are off).
    pub sum_cross: Vec<f64>,
    /// Non-finite entries (NaN, ±∞) met in the samples' x and y; an
    /// estimate with any is refused by [`Accumulator::finish`].
    #[serde(default)]
    pub non_finite: u64,
}

impl Partial {
    /// An empty partial sum of `len` components.
    #[must_use]
    pub fn new(len: usize, std_errors: bool) -> Self {
        let se = if std_errors { len } else { 0 };
        Self {
            n_samples: 0,
            n_batches: 0,
            sum_batch_size_sq: 0.0,
            sum: vec![0.0; len],
            sum_sq: vec![0.0; se],
            sum_cross: vec![0.0; se],
            non_finite: 0,
        }
    }

    /// Counts the non-finite entries of a chunk into [`Partial::non_finite`].
    pub fn count_non_finite(&mut self, x: MatRef<'_, f64>, y: ColRef<'_, f64>) {
        let bad_y = y.iter().filter(|v| !v.is_finite()).count();
        let bad_x: usize = (0..x.ncols())
            .map(|j| x.col(j).iter().filter(|v| !v.is_finite()).count())
            .sum();
        self.non_finite += (bad_x + bad_y) as u64;
    }

    /// Adds one batch of `rows` samples whose statistic sums to `s`.
    ///
    /// # Panics
    /// If `s.len()` differs from the partial's length.
    pub fn add_batch(&mut self, s: &[f64], rows: usize) {
        assert_eq!(s.len(), self.sum.len(), "Partial::add_batch: length");
        let m = rows as f64;
        self.n_samples += rows as u64;
        self.n_batches += 1;
        self.sum_batch_size_sq += m * m;
        for (acc, v) in self.sum.iter_mut().zip(s) {
            *acc += v;
        }
        if !self.sum_sq.is_empty() {
            for ((sq, cr), v) in self.sum_sq.iter_mut().zip(self.sum_cross.iter_mut()).zip(s) {
                *sq += v * v;
                *cr += m * v;
            }
        }
    }

    /// Adds `other` (the partial of the chunks that follow) to `self`.
    pub fn merge(&mut self, other: Partial) {
        self.n_samples += other.n_samples;
        self.non_finite += other.non_finite;
        self.n_batches += other.n_batches;
        self.sum_batch_size_sq += other.sum_batch_size_sq;
        for (a, b) in self.sum.iter_mut().zip(&other.sum) {
            *a += b;
        }
        for (a, b) in self.sum_sq.iter_mut().zip(&other.sum_sq) {
            *a += b;
        }
        for (a, b) in self.sum_cross.iter_mut().zip(&other.sum_cross) {
            *a += b;
        }
    }
}

/// Settings of the streaming estimator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MomentParams {
    /// Rows per chunk, the unit of parallel work and of sharding. Default
    /// 4096: large enough for efficient matrix products, small enough that
    /// a chunk of d = 400 inputs fits in the L2 cache of one core.
    pub chunk_rows: usize,
    /// Rows per batch, the unit of the batch-means standard error; must
    /// divide `chunk_rows`. Default 256: the batch products stay
    /// GEMM-shaped, and n ≥ 8 · 10³ samples already give 30 batches.
    pub batch_rows: usize,
    /// Whether to accumulate what the standard errors need. Default true;
    /// the cost is O(D) per batch, against O(batch_rows · D) for the sums.
    pub std_errors: bool,
}

impl Default for MomentParams {
    fn default() -> Self {
        Self {
            chunk_rows: 4096,
            batch_rows: 256,
            std_errors: true,
        }
    }
}

impl MomentParams {
    /// Checks the settings.
    ///
    /// # Errors
    /// [`MomentError::InvalidParam`] if a size is 0 or `batch_rows` does not
    /// divide `chunk_rows`.
    pub fn validate(self) -> Result<Estimator, MomentError> {
        if self.batch_rows == 0 || self.chunk_rows == 0 {
            return Err(MomentError::InvalidParam {
                name: "chunk_rows / batch_rows",
                value: 0.0,
                expected: "at least 1",
            });
        }
        if !self.chunk_rows.is_multiple_of(self.batch_rows) {
            return Err(MomentError::InvalidParam {
                name: "batch_rows",
                value: self.batch_rows as f64,
                expected: "a divisor of chunk_rows, so batches align across chunks and shards",
            });
        }
        Ok(Estimator { params: self })
    }
}

/// The validated streaming estimator (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Estimator {
    params: MomentParams,
}

/// A mergeable, serialisable accumulation of a statistic over a contiguous
/// range of chunks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Accumulator {
    fingerprint: String,
    len: usize,
    chunk_rows: usize,
    batch_rows: usize,
    std_errors: bool,
    tree: ChunkTree<Partial>,
}

/// The mean of a statistic with entrywise standard errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// `m = (1/n) Σ φ`.
    pub mean: Vec<f64>,
    /// Batch-means standard error of each entry; infinite with fewer than
    /// two batches, empty when standard errors were turned off.
    pub std_error: Vec<f64>,
    /// Samples n.
    pub n_samples: u64,
    /// Batches B.
    pub n_batches: u64,
}

impl Estimator {
    /// The settings.
    #[must_use]
    pub fn params(&self) -> MomentParams {
        self.params
    }

    fn check(&self, stat: &dyn Statistic, src: &dyn SampleSource) -> Result<(), MomentError> {
        if stat.dim() != src.dim() {
            return Err(MomentError::Dim {
                what: "the statistic's input dimension",
                expected: src.dim(),
                got: stat.dim(),
            });
        }
        Ok(())
    }

    /// Accumulates `stat` over the chunks `chunks` of `src` (a shard).
    ///
    /// # Errors
    /// [`MomentError::Dim`] if the statistic and the source disagree on d,
    /// [`MomentError::InvalidParam`] if the chunk range goes beyond the data.
    pub fn accumulate_range(
        &self,
        stat: &dyn Statistic,
        src: &dyn SampleSource,
        chunks: Range<usize>,
        par: Par,
    ) -> Result<Accumulator, MomentError> {
        self.check(stat, src)?;
        let p = self.params;
        let n_chunks = src.len().div_ceil(p.chunk_rows);
        if chunks.end > n_chunks || chunks.start > chunks.end {
            return Err(MomentError::InvalidParam {
                name: "chunk range end",
                value: chunks.end as f64,
                expected: "within the source's chunks (n / chunk_rows, rounded up)",
            });
        }
        let len = stat.len();
        let tree = fold_chunk_range(
            src,
            p.chunk_rows,
            chunks,
            || Partial::new(len, p.std_errors),
            |acc, x, y| {
                acc.count_non_finite(x, y);
                stat.accumulate_chunk(x, y, p.batch_rows, acc);
            },
            Partial::merge,
            par,
        );
        Ok(Accumulator {
            fingerprint: stat.fingerprint(),
            len,
            chunk_rows: p.chunk_rows,
            batch_rows: p.batch_rows,
            std_errors: p.std_errors,
            tree,
        })
    }

    /// Accumulates `stat` over all of `src`.
    ///
    /// # Errors
    /// As [`Estimator::accumulate_range`].
    pub fn accumulate(
        &self,
        stat: &dyn Statistic,
        src: &dyn SampleSource,
        par: Par,
    ) -> Result<Accumulator, MomentError> {
        let n_chunks = src.len().div_ceil(self.params.chunk_rows);
        self.accumulate_range(stat, src, 0..n_chunks, par)
    }

    /// The mean of `stat` over `src`, with standard errors.
    ///
    /// # Errors
    /// As [`Estimator::accumulate`] and [`Accumulator::finish`].
    pub fn estimate(
        &self,
        stat: &dyn Statistic,
        src: &dyn SampleSource,
        par: Par,
    ) -> Result<Estimate, MomentError> {
        self.check(stat, src)?;
        let pass = MomentPass {
            params: self.params,
            stat,
        };
        let total = relu_net::pass::run(src, &pass, par)?;
        finish(Some(total), self.params.std_errors)
    }
}

/// One moment pass: `stat` folded over every row with the estimator's
/// settings (a [`relu_net::Pass`] named `moments`).
struct MomentPass<'a> {
    params: MomentParams,
    stat: &'a dyn Statistic,
}

impl Pass for MomentPass<'_> {
    type Acc = Partial;
    fn name(&self) -> &'static str {
        "moments"
    }
    fn chunk_rows(&self) -> usize {
        self.params.chunk_rows
    }
    fn init(&self) -> Partial {
        Partial::new(self.stat.len(), self.params.std_errors)
    }
    fn fold(&self, acc: &mut Partial, x: MatRef<'_, f64>, y: ColRef<'_, f64>) {
        acc.count_non_finite(x, y);
        self.stat.accumulate_chunk(x, y, self.params.batch_rows, acc);
    }
    fn merge(&self, left: &mut Partial, right: Partial) {
        Partial::merge(left, right);
    }
    fn spec(&self) -> Option<serde_json::Value> {
        serde_json::to_value((self.params, self.stat.spec()?)).ok()
    }
    fn decode(&self, text: &str) -> Result<ChunkTree<Partial>, NetError> {
        decode_tree(self.name(), text)
    }
}

/// Worker side of the moment pass (see [`relu_net::Executor`]): rebuilds
/// the statistic from the job and folds the chunks `chunks` of `rows`;
/// `None` for a job of another pass.
#[must_use]
pub fn worker(
    job: &Job,
    rows: &dyn SampleSource,
    chunks: Range<usize>,
    par: Par,
) -> Option<Result<String, NetError>> {
    if job.pass != "moments" {
        return None;
    }
    let bad = |reason: String| NetError::Pass {
        pass: job.pass.clone(),
        reason,
    };
    Some((|| {
        let (params, spec): (MomentParams, crate::statistics::StatisticSpec) =
            serde_json::from_value(job.spec.clone())
                .map_err(|e| bad(format!("the job does not decode: {e}")))?;
        let stat = spec.build().map_err(|e| bad(e.to_string()))?;
        let pass = MomentPass {
            params,
            stat: stat.as_ref(),
        };
        fold_job_range(&pass, rows, chunks, par)
    })())
}

/// The estimate from the sum over every chunk (see the module docs).
fn finish(total: Option<Partial>, std_errors: bool) -> Result<Estimate, MomentError> {
    let Some(p) = total.filter(|p| p.n_samples > 0) else {
        return Err(MomentError::TooFewSamples {
            what: "a moment estimate",
            needed: 1,
            got: 0,
        });
    };
    if p.non_finite > 0 {
        return Err(MomentError::NonFinite { count: p.non_finite });
    }
    let n = p.n_samples as f64;
    let mean: Vec<f64> = p.sum.iter().map(|s| s / n).collect();
    let std_error = if !std_errors {
        Vec::new()
    } else if p.n_batches < 2 {
        vec![f64::INFINITY; mean.len()]
    } else {
        let b = p.n_batches as f64;
        mean.iter()
            .zip(&p.sum_sq)
            .zip(&p.sum_cross)
            .map(|((m, sq), cr)| {
                let ss = (sq - 2.0 * m * cr + m * m * p.sum_batch_size_sq).max(0.0);
                (b / (b - 1.0) * ss).sqrt() / n
            })
            .collect()
    };
    Ok(Estimate {
        mean,
        std_error,
        n_samples: p.n_samples,
        n_batches: p.n_batches,
    })
}

impl Accumulator {
    /// Samples accumulated so far.
    #[must_use]
    pub fn n_samples(&self) -> u64 {
        self.tree.nodes().iter().map(|n| n.value.n_samples).sum()
    }

    /// The chunk range covered, `[start, end)`.
    #[must_use]
    pub fn chunk_range(&self) -> Option<(u64, u64)> {
        self.tree.range()
    }

    /// Combines with the accumulator of the shard that follows.
    ///
    /// # Errors
    /// [`MomentError::Incompatible`] for different statistics or settings,
    /// [`MomentError::Net`] if the chunk ranges are not contiguous.
    pub fn merge(self, next: Accumulator) -> Result<Accumulator, MomentError> {
        if self.fingerprint != next.fingerprint || self.len != next.len {
            return Err(MomentError::Incompatible {
                reason: "the statistics differ",
            });
        }
        if (self.chunk_rows, self.batch_rows, self.std_errors)
            != (next.chunk_rows, next.batch_rows, next.std_errors)
        {
            return Err(MomentError::Incompatible {
                reason: "chunk size, batch size or the standard-error setting differ",
            });
        }
        let tree = self.tree.merge(next.tree, Partial::merge)?;
        Ok(Accumulator { tree, ..self })
    }

    /// The estimate from chunks `[0, N)`.
    ///
    /// # Errors
    /// [`MomentError::TooFewSamples`] for no samples, [`MomentError::Net`]
    /// if the shards before this one have not been merged in,
    /// [`MomentError::NonFinite`] if a sample had a NaN or infinite value.
    /// With fewer than two batches the standard errors are `+∞` (unknown),
    /// never NaN.
    pub fn finish(self) -> Result<Estimate, MomentError> {
        let std_errors = self.std_errors;
        finish(self.tree.finish(Partial::merge)?, std_errors)
    }
}
