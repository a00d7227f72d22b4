//! What several learners share about data: train/validation splits by
//! position, loading rows, label statistics and checks, standardised
//! labels, errors on a source, the lift of a network from a subspace and
//! least-squares refits of output weights. The polish lives in
//! [`crate::polish`], the linear algebra in `linalg`.

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, ColMut, ColRef, Mat, MatMut, MatRef, Par};
use relu_net::metrics::compare_on_samples;
use relu_net::stats::LabelSums;
use relu_net::{Network, SampleSource};

use crate::error::LearnError;
use crate::linalg::solve_psd;

/// Rows per chunk of the learners' passes.
pub const CHUNK_ROWS: usize = 4096;

pub use relu_net::Rows;

/// Splits off the last `fraction` of the rows as a validation set:
/// `(train, validation)` ([`Rows::split`]).
#[must_use]
pub fn split(src: &dyn SampleSource, fraction: f64) -> (Rows<'_>, Rows<'_>) {
    Rows::split(src, fraction)
}

/// The rows a fit's choices are made on: polished and pruned on `train`,
/// judged on `val`.
pub(crate) struct Judge<'a> {
    /// Training rows (polish, pruning).
    pub train: &'a Rows<'a>,
    /// Validation rows (acceptance).
    pub val: &'a Rows<'a>,
    /// Parallelism.
    pub par: Par,
}

/// The beginning that the fits share: [`check_data`] (at least `needed`
/// rows), then [`split`] with the validation `fraction`. Returns the label
/// statistics and the training and validation rows.
///
/// # Errors
/// As [`check_data`].
pub fn checked_split<'a>(
    learner: &'static str,
    src: &'a dyn SampleSource,
    needed: usize,
    fraction: f64,
    par: Par,
) -> Result<(LabelStats, Rows<'a>, Rows<'a>), LearnError> {
    let labels = check_data(learner, src, needed, par)?;
    let (train, val) = split(src, fraction);
    Ok((labels, train, val))
}

/// `mean((f(x) − y)²) / Var(y)` on a source.
///
/// # Errors
/// As [`compare_on_samples`].
pub fn relative_error(net: &Network, src: &dyn SampleSource, par: Par) -> Result<f64, LearnError> {
    Ok(compare_on_samples(net, src, par)?.relative_error)
}

/// [`relative_error`] of several networks, in two passes over `src`
/// whatever their number (each value bit-identical to its own
/// [`relative_error`]).
///
/// # Errors
/// As [`compare_on_samples`].
pub fn relative_errors(nets: &[&Network], src: &dyn SampleSource, par: Par) -> Result<Vec<f64>, LearnError> {
    let models: Vec<&dyn relu_net::Predictor> = nets.iter().map(|n| *n as &dyn relu_net::Predictor).collect();
    Ok(relu_net::metrics::compare_many(&models, src, par)?
        .into_iter()
        .map(|c| c.relative_error)
        .collect())
}

/// `net` (depth 2) with more hidden units `a relu(⟨w, x⟩ + b)`, one
/// `(w, b, a)` each, after its own, and its output bias shifted by `shift`:
/// how the residual steps (atv step 8, narrow step 6) add the units they
/// find.
///
/// # Errors
/// [`LearnError::Net`] for a network of another depth or units of another
/// input dimension.
pub(crate) fn with_units(
    net: &Network,
    units: &[(Vec<f64>, f64, f64)],
    shift: f64,
) -> Result<Network, LearnError> {
    let p = net.as_depth2()?;
    let (k, d, m) = (p.w.nrows(), p.w.ncols(), units.len());
    let weight = Mat::from_fn(
        k + m,
        d,
        |i, j| if i < k { p.w[(i, j)] } else { units[i - k].0[j] },
    );
    let bias = Col::from_fn(k + m, |i| if i < k { p.b[i] } else { units[i - k].1 });
    let out = Col::from_fn(k + m, |i| if i < k { p.a[i] } else { units[i - k].2 });
    Ok(Network::depth2(
        weight.as_ref(),
        bias.as_ref(),
        out.as_ref(),
        p.c + shift,
    )?)
}

/// A network fitted on projected inputs `z = Vᵀx` (V: d × m, orthonormal
/// columns) as a network on x: first layer `W Vᵀ`, the rest unchanged.
///
/// # Panics
/// If the first layer does not take `v.ncols()` inputs (callers fit `net`
/// on `Vᵀx`).
///
/// # Errors
/// [`LearnError::Net`] if the lifted layers do not form a network (they do
/// whenever `net` is one).
pub fn lift(net: &Network, v: MatRef<'_, f64>) -> Result<Network, LearnError> {
    let parts = net
        .layers()
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let w = if l == 0 {
                layer.weight() * v.transpose()
            } else {
                layer.weight().to_owned()
            };
            (w, layer.bias().to_owned())
        })
        .collect();
    Ok(Network::from_parts(parts)?)
}

/// The first `n` rows of a source, in memory.
#[must_use]
pub fn load_rows(src: &dyn SampleSource, n: usize) -> (Mat<f64>, Col<f64>) {
    let mut x = Mat::zeros(n, src.dim());
    let mut y = Col::zeros(n);
    if n > 0 {
        src.chunk(0, x.as_mut(), y.as_mut());
    }
    (x, y)
}

/// The (population) variance of labels; 0 for none.
#[must_use]
pub fn variance(y: &Col<f64>) -> f64 {
    let n = y.nrows().max(1) as f64;
    let mean = (0..y.nrows()).map(|i| y[i]).sum::<f64>() / n;
    (0..y.nrows()).map(|i| (y[i] - mean).powi(2)).sum::<f64>() / n
}

/// `mse / var`, or the MSE itself when the labels are constant.
#[must_use]
pub fn relative(mse: f64, var: f64) -> f64 {
    if var > 0.0 { mse / var } else { mse }
}

/// `[f(0), …, f(n − 1)]`, in parallel on rayon's pool unless `par` is
/// [`Par::Seq`]; the results keep their index order, so whatever is
/// reduced from them in that order is the same on any number of threads.
pub(crate) fn map_indices<T: Send>(n: usize, par: Par, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    if matches!(par, Par::Seq) {
        (0..n).map(f).collect()
    } else {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(f).collect()
    }
}

/// The samples of a source with labels standardised, `y' = (y − μ)/σ`:
/// learners whose steps have absolute scales (step sizes, tolerances,
/// ridges) fit `y'` and map the result back with [`scale_output`], so that
/// labels of any magnitude give the same fit.
pub struct Standardized<'a> {
    src: &'a dyn SampleSource,
    mean: f64,
    std: f64,
    exec: Option<(relu_net::view::Viewed<'a>, usize)>,
}

/// The name of the standardisation view in a job's views (its spec: `mean`,
/// `std`).
pub(crate) const STANDARDIZE_VIEW: &str = "standardize";

impl<'a> Standardized<'a> {
    /// Standardises with the labels' mean and standard deviation from
    /// [`check_data`]'s pass (no pass of its own); σ = 1 for constant or
    /// non-finite spreads.
    #[must_use]
    pub fn new(src: &'a dyn SampleSource, labels: LabelStats) -> Self {
        let std = if labels.std > 0.0 && labels.std.is_finite() {
            labels.std
        } else {
            1.0
        };
        Self::with_scale(src, labels.mean, std)
    }

    /// Standardises with the given mean and (positive, finite) standard
    /// deviation: the worker's rebuild of the view.
    pub(crate) fn with_scale(src: &'a dyn SampleSource, mean: f64, std: f64) -> Self {
        let exec = relu_net::view::viewed(src, || {
            relu_net::view::spec(STANDARDIZE_VIEW, &serde_json::json!({ "mean": mean, "std": std }))
        });
        Self { src, mean, std, exec }
    }

    /// (μ, σ).
    #[must_use]
    pub fn scale(&self) -> (f64, f64) {
        (self.mean, self.std)
    }
}

impl SampleSource for Standardized<'_> {
    fn note_pass(&self, name: &'static str) {
        self.src.note_pass(name);
    }
    fn executor(&self) -> Option<(&dyn relu_net::Executor, usize)> {
        relu_net::view::executor_of(&self.exec)
    }
    fn dim(&self) -> usize {
        self.src.dim()
    }
    fn len(&self) -> usize {
        self.src.len()
    }
    fn chunk(&self, start: usize, x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        self.src.chunk(start, x, y.as_mut());
        for i in 0..y.nrows() {
            y[i] = (y[i] - self.mean) / self.std;
        }
    }
}

/// `σ F + μ`: the network with its (linear) output layer scaled by σ and
/// shifted by μ; undoes [`Standardized`].
///
/// # Errors
/// [`LearnError::Net`] if the scaled parameters are not finite.
pub fn scale_output(net: &Network, std: f64, mean: f64) -> Result<Network, LearnError> {
    let layers = net.layers();
    let last = layers.len() - 1;
    let parts = layers
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let (w, b) = (layer.weight().to_owned(), layer.bias().to_owned());
            if l == last {
                (
                    faer::Scale(std) * &w,
                    Col::from_fn(b.nrows(), |i| std * b[i] + mean),
                )
            } else {
                (w, b)
            }
        })
        .collect();
    Ok(Network::from_parts(parts)?)
}

/// The labels' mean and (population) standard deviation, from
/// [`check_data`]'s pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelStats {
    /// Mean of y.
    pub mean: f64,
    /// Standard deviation of y about its mean (divided by n).
    pub std: f64,
}

/// The pass of [`check_data`] (`label-stats`): [`LabelSums`] about the
/// label `shift` (non-finite entries are counted because a user's own
/// source is not validated like `InMemory`, and NaN would pass min/max).
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct LabelPass {
    pub(crate) shift: f64,
}

impl relu_net::Pass for LabelPass {
    type Acc = LabelSums;
    fn name(&self) -> &'static str {
        "label-stats"
    }
    fn chunk_rows(&self) -> usize {
        CHUNK_ROWS
    }
    fn init(&self) -> LabelSums {
        LabelSums::new(self.shift)
    }
    fn fold(&self, acc: &mut LabelSums, x: MatRef<'_, f64>, y: ColRef<'_, f64>) {
        acc.add(x, y);
    }
    fn merge(&self, a: &mut LabelSums, b: LabelSums) {
        a.merge(b);
    }
    fn spec(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }
    fn decode(&self, text: &str) -> Result<relu_net::ChunkTree<LabelSums>, relu_net::NetError> {
        relu_net::pass::decode_tree(self.name(), text)
    }
}

/// The offset the label sums are kept about: the first label when it is
/// finite (see [`LabelSums`]), else 0.
pub(crate) fn label_shift(src: &dyn SampleSource) -> f64 {
    if src.is_empty() {
        return 0.0;
    }
    let (mut x1, mut y1) = (Mat::zeros(1, src.dim()), Col::zeros(1));
    src.chunk(0, x1.as_mut(), y1.as_mut());
    if y1[0].is_finite() { y1[0] } else { 0.0 }
}

/// Checks what every learner needs: enough samples, finite values and
/// non-constant labels, in one pass over the data that also returns the
/// labels' mean and standard deviation ([`LabelSums`]: no cancellation at
/// any label magnitude, bit-identical for every thread count). When the
/// source already knows its label sums ([`SampleSource::label_sums`]: the
/// input-statistics pass of [`crate::inputs::fit_any_gaussian`] gathers
/// them on its way), the check reads no data.
///
/// # Errors
/// [`LearnError::TooFewSamples`], [`LearnError::Net`] with
/// [`relu_net::NetError::NonFinite`], [`LearnError::ConstantLabels`].
pub fn check_data(
    learner: &'static str,
    src: &dyn SampleSource,
    needed: usize,
    par: Par,
) -> Result<LabelStats, LearnError> {
    if src.len() < needed {
        return Err(LearnError::TooFewSamples {
            learner,
            needed,
            got: src.len(),
        });
    }
    let acc = match src.label_sums() {
        Some(known) => known.clone(),
        None => relu_net::pass::run(
            src,
            &LabelPass {
                shift: label_shift(src),
            },
            par,
        )?,
    };
    for (what, bad) in [("x", acc.bad_x), ("y", acc.bad_y)] {
        if bad > 0 {
            return Err(LearnError::Net(relu_net::NetError::NonFinite {
                what,
                location: format!("{bad} entr{} of the samples", if bad == 1 { "y" } else { "ies" }),
            }));
        }
    }
    if acc.lo == acc.hi {
        return Err(LearnError::ConstantLabels { value: acc.lo });
    }
    Ok(LabelStats {
        mean: acc.shift + acc.mean,
        std: (acc.m2 / acc.rows.max(1) as f64).sqrt(),
    })
}

/// The normal equations `(FᵀF, Fᵀy)` of features `F = [relu(XWᵀ + b), 1]`.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Gram {
    #[serde(with = "relu_net::pass::mat")]
    ata: Mat<f64>,
    #[serde(with = "relu_net::pass::col")]
    aty: Col<f64>,
}

/// The pass of [`refit_output`] (`output-normal-equations`).
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct OutputPass {
    #[serde(with = "relu_net::pass::mat")]
    pub(crate) w: Mat<f64>,
    #[serde(with = "relu_net::pass::col")]
    pub(crate) b: Col<f64>,
}

impl relu_net::Pass for OutputPass {
    type Acc = Gram;
    fn name(&self) -> &'static str {
        "output-normal-equations"
    }
    fn chunk_rows(&self) -> usize {
        CHUNK_ROWS
    }
    fn init(&self) -> Gram {
        let k = self.w.nrows();
        Gram {
            ata: Mat::zeros(k + 1, k + 1),
            aty: Col::zeros(k + 1),
        }
    }
    fn fold(&self, acc: &mut Gram, x: MatRef<'_, f64>, y: ColRef<'_, f64>) {
        let (m, k) = (x.nrows(), self.w.nrows());
        let mut f = Mat::zeros(m, k + 1);
        matmul(
            f.as_mut().subcols_mut(0, k),
            Accum::Replace,
            x,
            self.w.transpose(),
            1.0,
            Par::Seq,
        );
        for i in 0..k {
            for r in 0..m {
                f[(r, i)] = (f[(r, i)] + self.b[i]).max(0.0);
            }
        }
        for r in 0..m {
            f[(r, k)] = 1.0;
        }
        matmul(
            acc.ata.as_mut(),
            Accum::Add,
            f.transpose(),
            f.as_ref(),
            1.0,
            Par::Seq,
        );
        matmul(acc.aty.as_mut(), Accum::Add, f.transpose(), y, 1.0, Par::Seq);
    }
    fn merge(&self, a: &mut Gram, b: Gram) {
        a.ata += &b.ata;
        a.aty += &b.aty;
    }
    fn spec(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }
    fn decode(&self, text: &str) -> Result<relu_net::ChunkTree<Gram>, relu_net::NetError> {
        relu_net::pass::decode_tree(self.name(), text)
    }
}

/// Least-squares output weights `(a, c)` for fixed hidden units `(W, b)`:
/// minimises `Σ (aᵀ relu(W x + b) + c − y)²` over the source (normal
/// equations accumulated chunk by chunk).
///
/// # Errors
/// [`LearnError::Unidentifiable`] if the features are collinear.
pub fn refit_output(
    learner: &'static str,
    w: MatRef<'_, f64>,
    b: &Col<f64>,
    src: &dyn SampleSource,
    par: Par,
) -> Result<(Col<f64>, f64), LearnError> {
    let k = w.nrows();
    let pass = OutputPass {
        w: w.to_owned(),
        b: b.clone(),
    };
    let Gram { ata, aty } = relu_net::pass::run(src, &pass, par)?;
    let sol = solve_psd(ata.as_ref(), &aty, 1e-12).ok_or(LearnError::Unidentifiable {
        learner,
        reason: "the hidden units' features are collinear, so the output weights are not determined"
            .to_owned(),
    })?;
    Ok((Col::from_fn(k, |i| sol[i]), sol[k]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3.5 chunks of labels 10¹² + N(0, 1)-like values: the one-pass label
    /// statistics must match the two-pass ones (no cancellation) and not
    /// depend on the thread count.
    #[test]
    fn check_data_label_stats_match_two_passes_at_any_magnitude() {
        let n = 7 * CHUNK_ROWS / 2;
        let x = Mat::from_fn(n, 2, |i, j| ((i * 7 + j * 3) % 11) as f64);
        let y = Col::from_fn(n, |i| 1e12 + ((i * 37) % 101) as f64 / 10.0 - 5.0);
        let src = relu_net::InMemory::new(x, y.clone()).unwrap();
        let seq = check_data("test", &src, 2, Par::Seq).unwrap();
        let two = check_data("test", &src, 2, Par::rayon(2)).unwrap();
        assert_eq!(seq, two);
        // Reference: y − 10¹² is exact (Sterbenz), so the two-pass statistics
        // of the offsets are accurate to a few ulps.
        let off = Col::from_fn(n, |i| y[i] - 1e12);
        let mean = 1e12 + (0..n).map(|i| off[i]).sum::<f64>() / n as f64;
        let std = variance(&off).sqrt();
        assert!((seq.mean - mean).abs() <= 4.0 * 1.2e-4, "{} vs {mean}", seq.mean);
        assert!((seq.std - std).abs() <= 1e-10 * std, "{} vs {std}", seq.std);
        // Two passes over the raw labels, the code this replaced, are worse:
        // their mean carries the rounding of a sum near 10¹⁶.
        let naive = variance(&y).sqrt();
        assert!((naive - std).abs() >= (seq.std - std).abs());
        // The spread is about 2.9, not the 10⁶ a naive Σy² − n μ² would give.
        assert!((2.0..4.0).contains(&seq.std), "{}", seq.std);
    }
}
