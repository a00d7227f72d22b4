//! Passes over the data: the one way the learners read every row.
//!
//! A fit is a sequence of *passes*. A pass folds an accumulator over the
//! rows chunk by chunk and merges the per-chunk accumulators along the
//! canonical [`ChunkTree`]: moments, label statistics, input statistics,
//! losses, gradients, Gram blocks and validation errors are all passes.
//! [`run`] executes one:
//!
//! * by default **here**, on the rayon pool ([`fold_chunks`]), bit-identical
//!   for every thread count;
//! * or, when the source names an [`Executor`] ([`SampleSource::executor`])
//!   and the pass is *portable* ([`Pass::spec`]), **where the rows live**:
//!   the executor receives a [`Job`] (the pass's name and parameters as
//!   JSON, the row range and the chunk size), folds contiguous chunk
//!   ranges in other processes or on other machines with
//!   [`fold_job_range`], and returns their encoded [`ChunkTree`]s. Trees of
//!   contiguous shards merge into exactly the tree of one pass, so the
//!   result is the same, bit for bit, as the local pass.
//!
//! Every pass is announced to the source ([`SampleSource::note_pass`]) by
//! name, so a [`crate::Counted`] source reports how many passes of each
//! kind a fit made.
//!
//! Reads of a bounded number of rows (the polish's subsample, a first row)
//! are not passes: they go through [`SampleSource::chunk`] and are counted
//! as rows read.

use faer::{ColRef, MatRef, Par};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::NetError;
use crate::fold::{ChunkTree, fold_chunk_range, fold_chunks};
use crate::source::{Rows, SampleSource};

/// One pass over the data: an accumulator, how a chunk of rows folds into
/// it, and how two accumulators of neighbouring chunk ranges merge.
///
/// `merge(left, right)` must not depend on where it runs; together with the
/// fixed chunk size and the fixed [`ChunkTree`] bracketing this makes a pass
/// bit-identical on any number of threads and across shards.
pub trait Pass: Sync {
    /// The accumulator.
    type Acc: Send;

    /// The pass's kind, e.g. `"label-stats"` (counted per fit; the key an
    /// executor's worker looks the pass up by).
    fn name(&self) -> &'static str;

    /// Rows per chunk: the grain of the fold (the result depends on it).
    fn chunk_rows(&self) -> usize;

    /// An empty accumulator.
    fn init(&self) -> Self::Acc;

    /// Folds the rows `(x, y)` of one chunk into `acc`.
    fn fold(&self, acc: &mut Self::Acc, x: MatRef<'_, f64>, y: ColRef<'_, f64>);

    /// Merges the accumulator of the chunks that follow into `left`.
    fn merge(&self, left: &mut Self::Acc, right: Self::Acc);

    /// The pass's parameters as JSON, from which a worker rebuilds it; `None`
    /// (the default) for a pass that runs only here.
    fn spec(&self) -> Option<serde_json::Value> {
        None
    }

    /// Decodes a shard's tree that a worker encoded with [`fold_job_range`].
    ///
    /// # Errors
    /// [`NetError::Pass`] for a pass that is not portable (the default) or
    /// text that is not such a tree.
    fn decode(&self, text: &str) -> Result<ChunkTree<Self::Acc>, NetError> {
        let _ = text;
        Err(NetError::Pass {
            pass: self.name().to_owned(),
            reason: "this pass runs only in the process that holds the fit".to_owned(),
        })
    }
}

/// Decodes a [`ChunkTree`] encoded by [`fold_job_range`]: the body of
/// [`Pass::decode`] for a portable pass.
///
/// # Errors
/// [`NetError::Pass`] if the text is not a tree of `A`.
pub fn decode_tree<A: DeserializeOwned>(pass: &'static str, text: &str) -> Result<ChunkTree<A>, NetError> {
    serde_json::from_str(text).map_err(|e| NetError::Pass {
        pass: pass.to_owned(),
        reason: format!("a shard's accumulator does not decode: {e}"),
    })
}

/// A pass to run where the rows live: what an [`Executor`] receives.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Job {
    /// [`Pass::name`].
    pub pass: String,
    /// [`Pass::spec`]: the parameters a worker rebuilds the pass from.
    pub spec: serde_json::Value,
    /// First row, in the executor's rows.
    pub start: usize,
    /// Rows covered: `[start, start + len)`.
    pub len: usize,
    /// [`Pass::chunk_rows`]: chunk c is rows `start + c·chunk_rows` on.
    pub chunk_rows: usize,
    /// The views the pass reads through ([`crate::view`]), innermost first:
    /// the worker applies `views[0]` to its rows, `views[1]` to the result,
    /// and so on; empty for a pass over the rows themselves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<serde_json::Value>,
}

impl Job {
    /// The number of chunks, `⌈len / chunk_rows⌉`.
    #[must_use]
    pub fn n_chunks(&self) -> usize {
        self.len.div_ceil(self.chunk_rows.max(1))
    }
}

/// Runs passes where the rows live (other processes, a cluster).
///
/// An implementation splits the job's chunks `0..job.n_chunks()` into
/// contiguous ranges, has each folded (typically by calling
/// [`fold_job_range`] through a worker-side registry of passes on a
/// [`SampleSource`] of the job's rows) and returns the encoded trees in
/// chunk order, covering every chunk.
pub trait Executor: Sync {
    /// The encoded [`ChunkTree`]s of contiguous chunk ranges covering the
    /// job, in order.
    ///
    /// # Errors
    /// [`NetError::Pass`] when a shard failed; the fit then stops with the
    /// error rather than use a partial result.
    fn run(&self, job: &Job) -> Result<Vec<String>, NetError>;
}

/// Worker side: folds `pass` over the chunks `chunks` of the job's rows
/// `rows` (row 0 of `rows` is the job's first row) and encodes the tree.
///
/// # Errors
/// [`NetError::Pass`] if the chunk range lies beyond the rows or the
/// accumulator does not encode (JSON has no NaN).
pub fn fold_job_range<P>(
    pass: &P,
    rows: &dyn SampleSource,
    chunks: std::ops::Range<usize>,
    par: Par,
) -> Result<String, NetError>
where
    P: Pass,
    P::Acc: Serialize,
{
    let n_chunks = rows.len().div_ceil(pass.chunk_rows().max(1));
    if chunks.start > chunks.end || chunks.end > n_chunks {
        return Err(NetError::Pass {
            pass: pass.name().to_owned(),
            reason: format!(
                "chunks {}..{} lie beyond the {n_chunks} chunks of the rows",
                chunks.start, chunks.end
            ),
        });
    }
    let tree = fold_chunk_range(
        rows,
        pass.chunk_rows(),
        chunks,
        || pass.init(),
        |acc, x, y| pass.fold(acc, x, y),
        |l, r| pass.merge(l, r),
        par,
    );
    serde_json::to_string(&tree).map_err(|e| NetError::Pass {
        pass: pass.name().to_owned(),
        reason: format!("the accumulator does not encode: {e}"),
    })
}

/// Runs `pass` over every row of `src` and returns its accumulator (see the
/// module docs): through the source's [`Executor`] when it has one and the
/// pass is portable, here otherwise. The pass is announced to the source
/// with [`SampleSource::note_pass`].
///
/// # Errors
/// [`NetError::Pass`] from the executor, or when its shards do not decode
/// or do not cover the rows; a local pass cannot fail.
pub fn run<P: Pass>(src: &dyn SampleSource, pass: &P, par: Par) -> Result<P::Acc, NetError> {
    src.note_pass(pass.name());
    if let (Some((executor, offset)), Some(spec)) = (src.executor(), pass.spec()) {
        let job = Job {
            pass: pass.name().to_owned(),
            spec,
            start: offset,
            len: src.len(),
            chunk_rows: pass.chunk_rows(),
            views: Vec::new(),
        };
        let mut tree = ChunkTree::new();
        for text in executor.run(&job)? {
            let shard = pass.decode(&text)?;
            tree = tree.merge(shard, |l, r| pass.merge(l, r))?;
        }
        let covered = tree.range().unwrap_or((0, 0));
        let n_chunks = job.n_chunks();
        if covered != (0, n_chunks as u64) && n_chunks > 0 {
            return Err(NetError::Pass {
                pass: job.pass,
                reason: format!(
                    "the executor's shards cover chunks {}..{}, not 0..{}",
                    covered.0, covered.1, n_chunks
                ),
            });
        }
        return Ok(tree
            .finish(|l, r| pass.merge(l, r))?
            .unwrap_or_else(|| pass.init()));
    }
    Ok(fold_chunks(
        src,
        pass.chunk_rows(),
        || pass.init(),
        |acc, x, y| pass.fold(acc, x, y),
        |l, r| pass.merge(l, r),
        par,
    ))
}

/// A source whose passes run in shards that cross a serialisation
/// boundary: each shard's [`Job`] is encoded to JSON, decoded, rebuilt into
/// a pass by `worker` and folded over its chunk range with
/// [`fold_job_range`], exactly as a process or a cluster worker would.
/// Bounded reads ([`SampleSource::chunk`]) are served from the wrapped
/// source.
///
/// It is the reference for writing an executor, and the test that a fit's
/// passes merge across shards bit for bit.
pub struct Sharded<'a, W> {
    src: &'a dyn SampleSource,
    shards: usize,
    worker: W,
}

impl<'a, W> Sharded<'a, W>
where
    W: Fn(&Job, &dyn SampleSource, std::ops::Range<usize>) -> Result<String, NetError> + Sync,
{
    /// Runs every portable pass over `src` in `shards` contiguous pieces
    /// (at least 1), each through `worker(job, rows, chunks)`, the
    /// worker-side registry that rebuilds the pass from the decoded job.
    #[must_use]
    pub fn new(src: &'a dyn SampleSource, shards: usize, worker: W) -> Self {
        Self {
            src,
            shards: shards.max(1),
            worker,
        }
    }
}

impl<W> SampleSource for Sharded<'_, W>
where
    W: Fn(&Job, &dyn SampleSource, std::ops::Range<usize>) -> Result<String, NetError> + Sync,
{
    fn dim(&self) -> usize {
        self.src.dim()
    }
    fn len(&self) -> usize {
        self.src.len()
    }
    fn chunk(&self, start: usize, x: faer::MatMut<'_, f64>, y: faer::ColMut<'_, f64>) {
        self.src.chunk(start, x, y);
    }
    fn note_pass(&self, name: &'static str) {
        self.src.note_pass(name);
    }
    fn executor(&self) -> Option<(&dyn Executor, usize)> {
        Some((self, 0))
    }
}

impl<W> Executor for Sharded<'_, W>
where
    W: Fn(&Job, &dyn SampleSource, std::ops::Range<usize>) -> Result<String, NetError> + Sync,
{
    fn run(&self, job: &Job) -> Result<Vec<String>, NetError> {
        let wire = serde_json::to_string(job).map_err(|e| NetError::Pass {
            pass: job.pass.clone(),
            reason: format!("the job does not encode: {e}"),
        })?;
        let job: Job = serde_json::from_str(&wire).map_err(|e| NetError::Pass {
            pass: "?".to_owned(),
            reason: format!("the job does not decode: {e}"),
        })?;
        let rows = Rows::new(self.src, job.start, job.len);
        let n = job.n_chunks();
        (0..self.shards)
            .map(|s| (s * n / self.shards)..((s + 1) * n / self.shards))
            .filter(|r| !r.is_empty())
            .map(|r| (self.worker)(&job, &rows, r))
            .collect()
    }
}

/// Serde for the faer matrices and columns inside accumulators
/// (`#[serde(with = "relu_net::pass::mat")]`, `…::col`): shape and
/// column-major entries, exact through JSON.
pub mod mat {
    use faer::Mat;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Dense {
        rows: usize,
        cols: usize,
        data: Vec<f64>,
    }

    /// Writes `m` as `{rows, cols, data}`.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(m: &Mat<f64>, s: S) -> Result<S::Ok, S::Error> {
        let data = (0..m.ncols())
            .flat_map(|j| (0..m.nrows()).map(move |i| m[(i, j)]))
            .collect();
        Dense {
            rows: m.nrows(),
            cols: m.ncols(),
            data,
        }
        .serialize(s)
    }

    /// Reads what [`serialize`] wrote.
    ///
    /// # Errors
    /// The deserializer's, or a custom error when the entries do not fill
    /// the shape.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Mat<f64>, D::Error> {
        let m = Dense::deserialize(d)?;
        if m.data.len() != m.rows * m.cols {
            return Err(serde::de::Error::custom(
                "a matrix's entries do not fill its shape",
            ));
        }
        Ok(Mat::from_fn(m.rows, m.cols, |i, j| m.data[j * m.rows + i]))
    }
}

/// Serde for an `f64` that may be infinite or NaN (a label set's open end,
/// a cell's unbounded side): finite numbers as JSON numbers, the others as
/// the strings `"inf"`, `"-inf"` and `"nan"` (JSON has no such numbers; a
/// plain `f64` would be written as `null` and not read back).
pub mod extended {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Wire {
        Number(f64),
        Word(String),
    }

    fn to_wire(v: f64) -> Wire {
        if v.is_finite() {
            Wire::Number(v)
        } else if v.is_nan() {
            Wire::Word("nan".to_owned())
        } else if v > 0.0 {
            Wire::Word("inf".to_owned())
        } else {
            Wire::Word("-inf".to_owned())
        }
    }

    fn from_wire<E: serde::de::Error>(w: Wire) -> Result<f64, E> {
        match w {
            Wire::Number(v) => Ok(v),
            Wire::Word(s) => match s.as_str() {
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                "nan" => Ok(f64::NAN),
                other => Err(E::custom(format!("{other:?} is not a number"))),
            },
        }
    }

    /// Writes `v`.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        to_wire(*v).serialize(s)
    }

    /// Reads what [`serialize`] wrote (or any JSON number).
    ///
    /// # Errors
    /// The deserializer's, or a string that names no number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        from_wire(Wire::deserialize(d)?)
    }

    /// The same for a list of numbers.
    pub mod vec {
        use super::{Wire, from_wire, to_wire};
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        /// Writes the entries.
        ///
        /// # Errors
        /// The serializer's.
        pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
            v.iter().map(|x| to_wire(*x)).collect::<Vec<_>>().serialize(s)
        }

        /// Reads what [`serialize`] wrote.
        ///
        /// # Errors
        /// The deserializer's, or a string that names no number.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
            Vec::<Wire>::deserialize(d)?.into_iter().map(from_wire).collect()
        }
    }
}

/// Serde for a faer column (see [`mat`]): its entries as a list.
pub mod col {
    use faer::Col;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes the entries.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(c: &Col<f64>, s: S) -> Result<S::Ok, S::Error> {
        c.iter().copied().collect::<Vec<f64>>().serialize(s)
    }

    /// Reads what [`serialize`] wrote.
    ///
    /// # Errors
    /// The deserializer's.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Col<f64>, D::Error> {
        let v = Vec::<f64>::deserialize(d)?;
        Ok(Col::from_fn(v.len(), |i| v[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;
    use crate::source::Planted;
    use crate::source::tests::teacher;
    use serde::Deserialize;

    /// Σ y·x₁, Σ y² and the row count: a portable pass for the tests.
    #[derive(Serialize, Deserialize)]
    struct Moments {
        column: usize,
    }

    impl Pass for Moments {
        type Acc = (f64, f64, u64);
        fn name(&self) -> &'static str {
            "test-moments"
        }
        fn chunk_rows(&self) -> usize {
            1000
        }
        fn init(&self) -> Self::Acc {
            (0.0, 0.0, 0)
        }
        fn fold(&self, acc: &mut Self::Acc, x: MatRef<'_, f64>, y: ColRef<'_, f64>) {
            for i in 0..x.nrows() {
                acc.0 += y[i] * x[(i, self.column)];
                acc.1 += y[i] * y[i];
                acc.2 += 1;
            }
        }
        fn merge(&self, l: &mut Self::Acc, r: Self::Acc) {
            l.0 += r.0;
            l.1 += r.1;
            l.2 += r.2;
        }
        fn spec(&self) -> Option<serde_json::Value> {
            serde_json::to_value(self).ok()
        }
        fn decode(&self, text: &str) -> Result<ChunkTree<Self::Acc>, NetError> {
            decode_tree(self.name(), text)
        }
    }

    fn worker(
        job: &Job,
        rows: &dyn SampleSource,
        chunks: std::ops::Range<usize>,
    ) -> Result<String, NetError> {
        assert_eq!(job.pass, "test-moments");
        let pass: Moments = serde_json::from_value(job.spec.clone()).unwrap();
        fold_job_range(&pass, rows, chunks, Par::Seq)
    }

    #[test]
    fn a_pass_is_identical_here_on_two_threads_and_in_shards() {
        let src = Planted::new(teacher(), 10_007, 0.3, Seed(9)).unwrap();
        let pass = Moments { column: 1 };
        let here = run(&src, &pass, Par::Seq).unwrap();
        let two = run(&src, &pass, Par::rayon(2)).unwrap();
        assert_eq!(here.2, 10_007);
        for shards in [1, 2, 3, 7, 11, 20] {
            let sharded = Sharded::new(&src, shards, worker);
            let there = run(&sharded, &pass, Par::Seq).unwrap();
            assert_eq!(
                (there.0.to_bits(), there.1.to_bits(), there.2),
                (here.0.to_bits(), here.1.to_bits(), here.2)
            );
        }
        assert_eq!(
            (two.0.to_bits(), two.1.to_bits()),
            (here.0.to_bits(), here.1.to_bits())
        );
        // A view of rows in the middle runs at its offset.
        let view = Sharded::new(&src, 3, worker);
        let rows = Rows::new(&view, 2500, 5000);
        let there = run(&rows, &pass, Par::Seq).unwrap();
        let plain = run(&Rows::new(&src, 2500, 5000), &pass, Par::Seq).unwrap();
        assert_eq!(there.0.to_bits(), plain.0.to_bits());
        assert_eq!(there.2, 5000);
    }

    #[test]
    fn an_executor_that_loses_a_shard_is_an_error() {
        struct Lossy;
        impl Executor for Lossy {
            fn run(&self, _job: &Job) -> Result<Vec<String>, NetError> {
                Ok(vec![])
            }
        }
        struct On<'a>(&'a dyn SampleSource);
        impl SampleSource for On<'_> {
            fn dim(&self) -> usize {
                self.0.dim()
            }
            fn len(&self) -> usize {
                self.0.len()
            }
            fn chunk(&self, start: usize, x: faer::MatMut<'_, f64>, y: faer::ColMut<'_, f64>) {
                self.0.chunk(start, x, y);
            }
            fn executor(&self) -> Option<(&dyn Executor, usize)> {
                Some((&Lossy, 0))
            }
        }
        let src = Planted::new(teacher(), 3000, 0.0, Seed(1)).unwrap();
        let err = run(&On(&src), &Moments { column: 0 }, Par::Seq).unwrap_err();
        assert!(err.to_string().contains("cover chunks 0..0, not 0..3"), "{err}");
        let bad = Moments { column: 0 }.decode("{").unwrap_err();
        assert!(bad.to_string().contains("does not decode"), "{bad}");
    }
}
