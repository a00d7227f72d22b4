//! Sample sources: in-memory data and planted teachers streamed chunk by
//! chunk.
//!
//! A [`SampleSource`] fills any row range on request, so estimators never
//! need all samples in memory; [`crate::fold_chunks`] walks a source chunk by
//! chunk.

use faer::{Col, ColMut, ColRef, Mat, MatMut, MatRef, Par};

use crate::error::NetError;
use crate::inputs::InputLaw;
use crate::network::{Network, Predictor, first_non_finite, first_non_finite_col};
use crate::seed::{GaussianRows, Seed};

/// Samples `(x_i, y_i)`, `x_i ∈ ℝ^d`, `y_i ∈ ℝ`, addressable by row range.
pub trait SampleSource: Sync {
    /// The input dimension d.
    fn dim(&self) -> usize;

    /// The number of samples n.
    fn len(&self) -> usize;

    /// Whether the source has no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `x` (m × d) and `y` (m) with samples `[start, start + m)`.
    ///
    /// Deterministic: the same rows are returned whatever the chunking and
    /// the thread count of the caller.
    ///
    /// # Panics
    /// If `start + m > self.len()`, `x.ncols() != self.dim()` or
    /// `y.nrows() != x.nrows()` (programming errors).
    fn chunk(&self, start: usize, x: MatMut<'_, f64>, y: ColMut<'_, f64>);

    /// Hears that a pass named `name` over every row starts (see
    /// [`crate::pass::run`]); wrappers pass it on, [`Counted`] counts it.
    /// The default ignores it.
    fn note_pass(&self, name: &'static str) {
        let _ = name;
    }

    /// The executor that runs portable passes where these rows live, and the
    /// position of this source's row 0 in the executor's rows; `None` (the
    /// default) runs every pass here.
    fn executor(&self) -> Option<(&dyn crate::pass::Executor, usize)> {
        None
    }

    /// The label sums of a pass an earlier step already made over exactly
    /// these rows and labels ([`KnownLabels`]), so that a fit's first check
    /// need not read the data again; `None` (the default) when there is
    /// none. Wrappers that keep every row and label pass it on; sources
    /// that select rows or change labels must not.
    fn label_sums(&self) -> Option<&crate::stats::LabelSums> {
        None
    }
}

/// Rows `[start, start + len)` of another source: a view, no copy.
pub struct Rows<'a> {
    src: &'a dyn SampleSource,
    start: usize,
    len: usize,
}

impl<'a> Rows<'a> {
    /// The rows `[start, start + len)` of `src`.
    ///
    /// # Panics
    /// If the range exceeds the source.
    #[must_use]
    pub fn new(src: &'a dyn SampleSource, start: usize, len: usize) -> Self {
        assert!(start + len <= src.len(), "Rows: range out of bounds");
        Self { src, start, len }
    }

    /// Splits off the last `fraction` of the rows (rounded) as a
    /// validation set: `(train, validation)`. The split is by position, so
    /// ordered data should be shuffled first (planted streams are i.i.d.).
    #[must_use]
    pub fn split(src: &'a dyn SampleSource, fraction: f64) -> (Self, Self) {
        let n = src.len();
        let n_val = ((n as f64) * fraction).round() as usize;
        let n_val = n_val.min(n);
        (Self::new(src, 0, n - n_val), Self::new(src, n - n_val, n_val))
    }
}

impl SampleSource for Rows<'_> {
    fn dim(&self) -> usize {
        self.src.dim()
    }
    fn len(&self) -> usize {
        self.len
    }
    fn chunk(&self, start: usize, x: MatMut<'_, f64>, y: ColMut<'_, f64>) {
        assert!(start + x.nrows() <= self.len, "Rows::chunk: out of range");
        self.src.chunk(self.start + start, x, y);
    }
    fn note_pass(&self, name: &'static str) {
        self.src.note_pass(name);
    }
    fn executor(&self) -> Option<(&dyn crate::pass::Executor, usize)> {
        self.src.executor().map(|(e, offset)| (e, offset + self.start))
    }
}

/// Another source, counting the rows read from it (every chunk of every
/// pass, and rows loaded into memory): `rows_read / len` is the number of
/// passes over the data a computation made. The count is the same on any
/// number of threads (the chunks are). Passes that the source's executor
/// runs elsewhere read no rows here: they are counted in
/// [`Counted::passes`] only.
pub struct Counted<'a> {
    src: &'a dyn SampleSource,
    rows: std::sync::atomic::AtomicU64,
    passes: std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

impl<'a> Counted<'a> {
    /// Counts the rows read from `src`, from zero.
    #[must_use]
    pub fn new(src: &'a dyn SampleSource) -> Self {
        Self {
            src,
            rows: std::sync::atomic::AtomicU64::new(0),
            passes: std::sync::Mutex::default(),
        }
    }

    /// The passes over every row made so far, by kind ([`crate::pass::Pass::name`]).
    #[must_use]
    pub fn passes(&self) -> std::collections::BTreeMap<&'static str, u64> {
        self.passes.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Rows read so far.
    #[must_use]
    pub fn rows_read(&self) -> u64 {
        self.rows.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl SampleSource for Counted<'_> {
    fn dim(&self) -> usize {
        self.src.dim()
    }
    fn len(&self) -> usize {
        self.src.len()
    }
    fn chunk(&self, start: usize, x: MatMut<'_, f64>, y: ColMut<'_, f64>) {
        self.rows
            .fetch_add(x.nrows() as u64, std::sync::atomic::Ordering::Relaxed);
        self.src.chunk(start, x, y);
    }
    fn note_pass(&self, name: &'static str) {
        if let Ok(mut p) = self.passes.lock() {
            *p.entry(name).or_insert(0) += 1;
        }
        self.src.note_pass(name);
    }
    fn executor(&self) -> Option<(&dyn crate::pass::Executor, usize)> {
        self.src.executor()
    }
    fn label_sums(&self) -> Option<&crate::stats::LabelSums> {
        self.src.label_sums()
    }
}

/// Another source with the [`crate::stats::LabelSums`] of all its rows,
/// computed by a pass that read them for something else (the input
/// statistics of a fit): the fit's own check of the labels then costs no
/// pass. Everything else is the source's.
pub struct KnownLabels<'a> {
    src: &'a dyn SampleSource,
    sums: crate::stats::LabelSums,
}

impl<'a> KnownLabels<'a> {
    /// `src` with `sums`, the sums over all of its rows; `None` if `sums`
    /// counts another number of rows.
    #[must_use]
    pub fn new(src: &'a dyn SampleSource, sums: crate::stats::LabelSums) -> Option<Self> {
        (sums.rows == src.len()).then_some(Self { src, sums })
    }
}

impl SampleSource for KnownLabels<'_> {
    fn dim(&self) -> usize {
        self.src.dim()
    }
    fn len(&self) -> usize {
        self.src.len()
    }
    fn chunk(&self, start: usize, x: MatMut<'_, f64>, y: ColMut<'_, f64>) {
        self.src.chunk(start, x, y);
    }
    fn note_pass(&self, name: &'static str) {
        self.src.note_pass(name);
    }
    fn executor(&self) -> Option<(&dyn crate::pass::Executor, usize)> {
        self.src.executor()
    }
    fn label_sums(&self) -> Option<&crate::stats::LabelSums> {
        Some(&self.sums)
    }
}

/// Samples held in memory: `x` (n × d) and `y` (n), validated finite.
#[derive(Clone, Debug)]
pub struct InMemory {
    // Invariant: x.nrows() == y.nrows(), x.ncols() >= 1, all entries finite.
    x: Mat<f64>,
    y: Col<f64>,
}

impl InMemory {
    /// In-memory samples.
    ///
    /// # Errors
    /// [`NetError::SampleCount`] if `x` and `y` have different numbers of
    /// samples, [`NetError::ZeroDim`] if `x` has no columns,
    /// [`NetError::NonFinite`] for NaN or infinite values.
    pub fn new(x: Mat<f64>, y: Col<f64>) -> Result<Self, NetError> {
        if x.nrows() != y.nrows() {
            return Err(NetError::SampleCount {
                x_rows: x.nrows(),
                y_len: y.nrows(),
            });
        }
        if x.ncols() == 0 {
            return Err(NetError::ZeroDim {
                what: "the input dimension of x",
            });
        }
        if let Some((i, j)) = first_non_finite(x.as_ref()) {
            return Err(NetError::NonFinite {
                what: "x",
                location: format!("row {i}, column {j}"),
            });
        }
        if let Some(i) = first_non_finite_col(y.as_ref()) {
            return Err(NetError::NonFinite {
                what: "y",
                location: format!("entry {i}"),
            });
        }
        Ok(Self { x, y })
    }

    /// The inputs (n × d).
    #[must_use]
    pub fn x(&self) -> MatRef<'_, f64> {
        self.x.as_ref()
    }

    /// The labels (n).
    #[must_use]
    pub fn y(&self) -> ColRef<'_, f64> {
        self.y.as_ref()
    }

    /// Splits into `(x, y)`.
    #[must_use]
    pub fn into_parts(self) -> (Mat<f64>, Col<f64>) {
        (self.x, self.y)
    }
}

impl SampleSource for InMemory {
    fn dim(&self) -> usize {
        self.x.ncols()
    }

    fn len(&self) -> usize {
        self.x.nrows()
    }

    fn chunk(&self, start: usize, mut x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        let m = x.nrows();
        assert!(start + m <= self.len(), "InMemory::chunk: rows out of range");
        assert_eq!(y.nrows(), m, "InMemory::chunk: y length");
        x.copy_from(self.x.as_ref().subrows(start, m));
        y.copy_from(self.y.as_ref().subrows(start, m));
    }
}

/// A teacher network labelling a stream of Gaussian inputs:
/// `x ~ N(0, I_d)` (or any [`InputLaw`], see [`Planted::with_inputs`]),
/// `y = F(x) + σ ξ`, `ξ ~ N(0, 1)`.
///
/// Inputs come from [`GaussianRows`] with seed `seed.derive("x")` and the
/// label noise from a separate stream `seed.derive("noise")`, so the same
/// seed gives the same inputs whatever the noise level. Nothing is stored:
/// 10^8 samples cost no more memory than 10^3.
#[derive(Clone, Debug)]
pub struct Planted {
    teacher: Network,
    n_samples: usize,
    noise_std: f64,
    x_rows: GaussianRows,
    noise_rows: GaussianRows,
    inputs: Option<InputLaw>,
}

impl Planted {
    /// `n_samples` samples of `teacher` with label noise of standard
    /// deviation `noise_std`, drawn from `seed`.
    ///
    /// # Errors
    /// [`NetError::InvalidParam`] if `noise_std` is negative or not finite.
    pub fn new(teacher: Network, n_samples: usize, noise_std: f64, seed: Seed) -> Result<Self, NetError> {
        if !(noise_std.is_finite() && noise_std >= 0.0) {
            return Err(NetError::InvalidParam {
                name: "noise",
                value: noise_std,
                expected: "a finite number >= 0",
            });
        }
        let d = teacher.input_dim();
        Ok(Self {
            teacher,
            n_samples,
            noise_std,
            x_rows: GaussianRows::new(d, seed.derive("x")),
            noise_rows: GaussianRows::new(1, seed.derive("noise")),
            inputs: None,
        })
    }

    /// The same stream with inputs `x = μ + L z` of the law `law` instead
    /// of `x = z ~ N(0, I_d)` (the standard rows `z` are those of
    /// [`Planted::new`] with the same seed); the teacher acts on `x`.
    ///
    /// # Errors
    /// [`NetError::InputDim`] when the law's dimension is not the
    /// teacher's.
    pub fn with_inputs(mut self, law: InputLaw) -> Result<Self, NetError> {
        if law.dim() != self.dim() {
            return Err(NetError::InputDim {
                expected: self.dim(),
                got: law.dim(),
            });
        }
        self.inputs = (!law.is_standard()).then_some(law);
        Ok(self)
    }

    /// The input law, `None` for `N(0, I_d)`.
    #[must_use]
    pub fn inputs(&self) -> Option<&InputLaw> {
        self.inputs.as_ref()
    }

    /// The teacher network.
    #[must_use]
    pub fn teacher(&self) -> &Network {
        &self.teacher
    }

    /// The label-noise standard deviation σ.
    #[must_use]
    pub fn noise_std(&self) -> f64 {
        self.noise_std
    }

    /// All samples in memory (for small n).
    #[must_use]
    pub fn materialize(&self) -> InMemory {
        let mut x = Mat::zeros(self.n_samples, self.dim());
        let mut y = Col::zeros(self.n_samples);
        self.chunk(0, x.as_mut(), y.as_mut());
        InMemory { x, y }
    }
}

impl SampleSource for Planted {
    fn dim(&self) -> usize {
        self.teacher.input_dim()
    }

    fn len(&self) -> usize {
        self.n_samples
    }

    fn chunk(&self, start: usize, mut x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        let m = x.nrows();
        assert!(start + m <= self.len(), "Planted::chunk: rows out of range");
        self.x_rows.fill(start, x.as_mut());
        if let Some(law) = &self.inputs {
            law.transform_rows(x.as_mut());
        }
        self.teacher.predict_into(x.as_ref(), y.as_mut(), Par::Seq);
        if self.noise_std > 0.0 {
            let mut noise = Mat::zeros(m, 1);
            self.noise_rows.fill(start, noise.as_mut());
            for i in 0..m {
                y[i] += self.noise_std * noise[(i, 0)];
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use faer::{col, mat};

    /// A depth-2 teacher with biases and output weights of both signs.
    pub(crate) fn teacher() -> Network {
        Network::depth2(
            mat![[1.0, 0.0, 0.0], [0.0, 1.0, -1.0]].as_ref(),
            col![0.5, -0.2].as_ref(),
            col![1.0, -2.0].as_ref(),
            0.1,
        )
        .unwrap()
    }

    #[test]
    fn in_memory_rejects_mismatch_and_non_finite() {
        let e = InMemory::new(Mat::zeros(3, 2), Col::zeros(2));
        assert!(matches!(e, Err(NetError::SampleCount { x_rows: 3, y_len: 2 })));
        let e = InMemory::new(mat![[1.0, f64::INFINITY]], col![0.0]);
        assert!(matches!(e, Err(NetError::NonFinite { .. })));
        let e = InMemory::new(mat![[1.0, 1.0]], col![f64::NAN]);
        assert!(matches!(e, Err(NetError::NonFinite { .. })));
        let e = InMemory::new(Mat::zeros(2, 0), Col::zeros(2));
        assert!(matches!(e, Err(NetError::ZeroDim { .. })));
    }

    #[test]
    fn planted_labels_equal_teacher_forward_pass() {
        let src = Planted::new(teacher(), 1000, 0.0, Seed(4)).unwrap();
        let data = src.materialize();
        let y = teacher().predict(data.x(), Par::Seq).unwrap();
        for i in 0..1000 {
            assert_eq!(y[i].to_bits(), data.y()[i].to_bits());
        }
    }

    #[test]
    fn planted_noise_does_not_change_inputs() {
        let a = Planted::new(teacher(), 200, 0.0, Seed(4)).unwrap().materialize();
        let b = Planted::new(teacher(), 200, 0.5, Seed(4)).unwrap().materialize();
        assert_eq!(a.x(), b.x());
        let resid: f64 = (0..200).map(|i| (a.y()[i] - b.y()[i]).powi(2)).sum::<f64>() / 200.0;
        // The residual variance is 0.25 with standard error 0.25 * sqrt(2/200) = 0.025.
        assert!((resid - 0.25).abs() < 0.1, "noise variance {resid}");
        assert!(Planted::new(teacher(), 1, -1.0, Seed(0)).is_err());
        assert!(Planted::new(teacher(), 1, f64::NAN, Seed(0)).is_err());
    }
}
