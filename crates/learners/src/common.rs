//! What several learners share: train/validation splits, errors on a
//! source, least-squares refits of output weights, and Levenberg–Marquardt
//! polishing of networks of any depth.

use faer::linalg::matmul::matmul;
use faer::linalg::solvers::Solve;
use faer::{Accum, Col, ColMut, Mat, MatMut, MatRef, Par, Side};
use relu_net::metrics::compare_on_samples;
use relu_net::{Network, SampleSource, fold_chunks};
use serde::{Deserialize, Serialize};

use crate::error::LearnError;

/// Rows per chunk of the learners' passes.
pub const CHUNK_ROWS: usize = 4096;

/// Rows `[start, start + len)` of another source.
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
}

/// Splits off the last `fraction` of the rows as a validation set:
/// `(train, validation)`. The split is by position, so ordered data should
/// be shuffled first (planted streams are i.i.d.).
#[must_use]
pub fn split(src: &dyn SampleSource, fraction: f64) -> (Rows<'_>, Rows<'_>) {
    let n = src.len();
    let n_val = ((n as f64) * fraction).round() as usize;
    let n_val = n_val.min(n);
    (Rows::new(src, 0, n - n_val), Rows::new(src, n - n_val, n_val))
}

/// `mean((f(x) − y)²) / Var(y)` on a source.
///
/// # Errors
/// As [`compare_on_samples`].
pub fn relative_error(net: &Network, src: &dyn SampleSource, par: Par) -> Result<f64, LearnError> {
    Ok(compare_on_samples(net, src, par)?.relative_error)
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

/// The Wigner-scale noise level of a symmetric d × d moment estimate:
/// a symmetric matrix of independent entries with standard deviation σ has
/// operator norm about `2 σ √d`, with σ² the mean of the entries' squared
/// standard errors. Eigenvalues of the estimate above a few times this are
/// signal.
#[must_use]
pub fn wigner_noise(est: &gaussian_moments::MatrixEstimate) -> f64 {
    let d = est.std_error.nrows();
    if d == 0 {
        return 0.0;
    }
    let se = est.std_error.as_ref();
    let mean_var = (0..d)
        .flat_map(|i| (0..d).map(move |j| (i, j)))
        .map(|(i, j)| se[(i, j)].powi(2))
        .sum::<f64>()
        / (d * d) as f64;
    2.0 * (d as f64).sqrt() * mean_var.sqrt()
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

/// The samples of a source with labels standardised, `y' = (y − μ)/σ`:
/// learners whose steps have absolute scales (step sizes, tolerances,
/// ridges) fit `y'` and map the result back with [`scale_output`], so that
/// labels of any magnitude give the same fit.
pub struct Standardized<'a> {
    src: &'a dyn SampleSource,
    mean: f64,
    std: f64,
}

impl<'a> Standardized<'a> {
    /// Standardises with the labels' mean and standard deviation from
    /// [`check_data`]'s pass (no pass of its own); σ = 1 for constant or
    /// non-finite spreads.
    #[must_use]
    pub fn new(src: &'a dyn SampleSource, labels: LabelStats) -> Self {
        Self {
            src,
            mean: labels.mean,
            std: if labels.std > 0.0 && labels.std.is_finite() {
                labels.std
            } else {
                1.0
            },
        }
    }

    /// (μ, σ).
    #[must_use]
    pub fn scale(&self) -> (f64, f64) {
        (self.mean, self.std)
    }
}

impl SampleSource for Standardized<'_> {
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

/// Checks what every learner needs: enough samples, finite values and
/// non-constant labels, in one pass over the data that also returns the
/// labels' mean and standard deviation.
///
/// The label statistics are kept about `K` = the first label and computed
/// per chunk by the corrected two-pass formula over rows in cache (`c` = the
/// chunk's mean of `y − K`, `s₁ = Σ(y − K − c)`, `M₂ = Σ(y − K − c)² − s₁²/m`,
/// mean `c + s₁/m`); chunks are combined with Chan–Golub–LeVeque's pairwise update
/// `M₂ = M₂ᵃ + M₂ᵇ + δ² nₐ n_b / n`, `δ = μ_b − μ_a`, along
/// [`fold_chunks`]' fixed tree: no cancellation at any label magnitude,
/// and bit-identical for every thread count.
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
    /// Per chunk, then merged: min y, max y, non-finite entries of x and
    /// of y (a user's own source is not validated like `InMemory`, and NaN
    /// would pass min/max), and the rows, mean and M₂ of y.
    struct Acc {
        lo: f64,
        hi: f64,
        bad_x: usize,
        bad_y: usize,
        rows: usize,
        mean: f64,
        m2: f64,
    }
    // Label statistics are kept about the first label, so that chunk means
    // are offsets of the spread's size: at |y| ≈ 10¹² raw means would carry
    // ulp(10¹²) ≈ 10⁻⁴ each into the merges' δ².
    let shift = if src.is_empty() {
        0.0
    } else {
        let (mut x1, mut y1) = (Mat::zeros(1, src.dim()), Col::zeros(1));
        src.chunk(0, x1.as_mut(), y1.as_mut());
        if y1[0].is_finite() { y1[0] } else { 0.0 }
    };
    let acc = fold_chunks(
        src,
        CHUNK_ROWS,
        || Acc {
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
            bad_x: 0,
            bad_y: 0,
            rows: 0,
            mean: 0.0,
            m2: 0.0,
        },
        |acc, x, y| {
            for i in 0..y.nrows() {
                acc.lo = acc.lo.min(y[i]);
                acc.hi = acc.hi.max(y[i]);
                acc.bad_y += usize::from(!y[i].is_finite());
            }
            for j in 0..x.ncols() {
                acc.bad_x += x.col(j).iter().filter(|v| !v.is_finite()).count();
            }
            let m = y.nrows();
            if m > 0 {
                // Corrected two-pass (Björck): deviations from the rounded
                // mean c, with their sum s₁ correcting both c and M₂.
                let c = (0..m).map(|i| y[i] - shift).sum::<f64>() / m as f64;
                let (s1, s2) = (0..m).fold((0.0, 0.0), |(s1, s2), i| {
                    let v = (y[i] - shift) - c;
                    (s1 + v, s2 + v * v)
                });
                merge_moments(acc, m, c + s1 / m as f64, (s2 - s1 * s1 / m as f64).max(0.0));
            }
        },
        |a, b| {
            a.lo = a.lo.min(b.lo);
            a.hi = a.hi.max(b.hi);
            a.bad_x += b.bad_x;
            a.bad_y += b.bad_y;
            merge_moments(a, b.rows, b.mean, b.m2);
        },
        par,
    );
    fn merge_moments(a: &mut Acc, rows: usize, mean: f64, m2: f64) {
        if rows == 0 {
            return;
        }
        if a.rows == 0 {
            (a.rows, a.mean, a.m2) = (rows, mean, m2);
            return;
        }
        let (na, nb) = (a.rows as f64, rows as f64);
        let n = na + nb;
        let delta = mean - a.mean;
        a.mean += delta * nb / n;
        a.m2 += m2 + delta * delta * na * nb / n;
        a.rows += rows;
    }
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
        mean: shift + acc.mean,
        std: (acc.m2 / acc.rows.max(1) as f64).sqrt(),
    })
}

/// Solves the symmetric positive semidefinite system `A x = b` with a small
/// ridge `eps · tr(A)/p` for stability.
pub(crate) fn solve_psd(a: MatRef<'_, f64>, b: &Col<f64>, eps: f64) -> Option<Col<f64>> {
    let p = a.nrows();
    let tr: f64 = (0..p).map(|i| a[(i, i)]).sum::<f64>() / p.max(1) as f64;
    let reg = Mat::from_fn(p, p, |i, j| {
        a[(i, j)] + if i == j { eps * tr.max(1e-300) } else { 0.0 }
    });
    let llt = reg.llt(Side::Lower).ok()?;
    let x = llt.solve(b.as_mat());
    let x = Col::from_fn(p, |i| x[(i, 0)]);
    let finite = x.iter().all(|v| v.is_finite());
    finite.then_some(x)
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
    let (ata, aty) = fold_chunks(
        src,
        CHUNK_ROWS,
        || (Mat::<f64>::zeros(k + 1, k + 1), Col::<f64>::zeros(k + 1)),
        |acc, x, y| {
            let m = x.nrows();
            let mut f = Mat::zeros(m, k + 1);
            matmul(
                f.as_mut().subcols_mut(0, k),
                Accum::Replace,
                x,
                w.transpose(),
                1.0,
                Par::Seq,
            );
            for i in 0..k {
                for r in 0..m {
                    f[(r, i)] = (f[(r, i)] + b[i]).max(0.0);
                }
            }
            for r in 0..m {
                f[(r, k)] = 1.0;
            }
            matmul(
                acc.0.as_mut(),
                Accum::Add,
                f.transpose(),
                f.as_ref(),
                1.0,
                Par::Seq,
            );
            matmul(acc.1.as_mut(), Accum::Add, f.transpose(), y, 1.0, Par::Seq);
        },
        |a, b| {
            a.0 += &b.0;
            a.1 += &b.1;
        },
        par,
    );
    let sol = solve_psd(ata.as_ref(), &aty, 1e-12).ok_or(LearnError::Unidentifiable {
        learner,
        reason: "the hidden units' features are collinear, so the output weights are not determined"
            .to_owned(),
    })?;
    Ok((Col::from_fn(k, |i| sol[i]), sol[k]))
}

/// Settings of the Levenberg–Marquardt polish.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolishParams {
    /// Iteration cap. Default 30: from a moment solution the method
    /// converges quadratically in a handful of steps.
    pub max_iters: usize,
    /// Least samples used (the first of the training set). Default 5000:
    /// with 20 samples per parameter the Gauss–Newton system is well
    /// determined.
    pub samples: usize,
    /// Work per iteration allowed, in multiply–adds of the normal equations
    /// (`n · p²` for n samples and p parameters). The polish uses
    /// `max(samples, 20 p, flop_budget / p²)` samples, capped by the
    /// training size: on noisy labels the excess error of the polished
    /// network is about `σ² p / n`, so it must see as many samples as it
    /// can afford — with the old fixed 5000 it plateaued at `σ² p / 5000`
    /// (found by the `samples` suite). Default 2·10¹⁰ (about a third of a
    /// second per iteration here): all of 10⁶ samples for p ≤ 140.
    pub flop_budget: f64,
    /// Stop when the loss falls by less than this fraction. Default 1e-12.
    pub rel_tol: f64,
    /// Statistical stop: also stop when the loss falls by less than
    /// `stat_tol · p / n` of itself in one iteration (p parameters, n polish
    /// samples). On noisy labels the fitted network's excess error is about
    /// `σ² p / n`, so a step that gains a thousandth of that cannot move the
    /// test error; without this rule the polish ran its 30 iterations on
    /// gains at the loss's rounding level (10⁻¹² of it). Measured with ckm
    /// on 3·10⁶ samples (d = 20, p = 51): iterations 30 → 5, final polish
    /// 29 s → 4 s, test error 6.864e-5 → 6.905e-5. Noise-free fits, whose
    /// loss falls by orders of magnitude per step, are not affected.
    /// Default 1e-3; 0 turns the rule off.
    pub stat_tol: f64,
    /// Warm start: when the polish rows are more than four times
    /// `max(samples, 20 p)`, run the first iterations on those first rows
    /// only (see [`polish_lm`]). Default true.
    pub warm_start: bool,
    /// Stop when the loss falls below this fraction of the label variance
    /// (an exact fit up to rounding). Default 1e-20.
    pub abs_tol: f64,
}

impl Default for PolishParams {
    fn default() -> Self {
        Self {
            max_iters: 30,
            samples: 5000,
            flop_budget: 2e10,
            rel_tol: 1e-12,
            stat_tol: 1e-3,
            warm_start: true,
            abs_tol: 1e-20,
        }
    }
}

impl PolishParams {
    /// Checks the settings, as part of the validation of `learner`'s
    /// parameters; `name` is the field that holds them (`polish_params`).
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] (named `name.field`) for zero
    /// iterations or samples, and for a budget or tolerance that is not a
    /// finite number ≥ 0 (a budget of 0 means: `samples` rows only).
    pub fn validate(&self, learner: &'static str, name: &'static str) -> Result<(), LearnError> {
        let field = |f: &str| format!("{name}.{f}");
        if self.max_iters == 0 {
            return Err(LearnError::invalid(learner, field("max_iters"), 0, "at least 1"));
        }
        if self.samples == 0 {
            return Err(LearnError::invalid(learner, field("samples"), 0, "at least 1"));
        }
        for (f, v) in [
            ("flop_budget", self.flop_budget),
            ("rel_tol", self.rel_tol),
            ("stat_tol", self.stat_tol),
            ("abs_tol", self.abs_tol),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(LearnError::invalid(learner, field(f), v, "a finite number >= 0"));
            }
        }
        Ok(())
    }
}

/// What a polish did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolishReport {
    /// Iterations run.
    pub iters: usize,
    /// Mean squared error on the polish samples before.
    pub loss_before: f64,
    /// Mean squared error on the polish samples after.
    pub loss_after: f64,
    /// Whether the relative improvement fell below `rel_tol` or the
    /// statistical tolerance `stat_tol · p / n`.
    pub converged: bool,
}

/// The parameters θ of a network, layer by layer: `W_l` (row-major), then
/// `b_l`.
fn pack(net: &Network) -> Vec<f64> {
    let mut theta = Vec::with_capacity(net.n_params());
    for layer in net.layers() {
        let w = layer.weight();
        for i in 0..w.nrows() {
            theta.extend((0..w.ncols()).map(|j| w[(i, j)]));
        }
        theta.extend((0..w.nrows()).map(|i| layer.bias()[i]));
    }
    theta
}

/// The network of architecture `shape` (input dimension, then widths, the
/// last 1) with parameters θ (see [`pack`]).
fn unpack(theta: &[f64], shape: &[usize]) -> Result<Network, LearnError> {
    let mut at = 0;
    let mut parts = Vec::with_capacity(shape.len() - 1);
    for l in 1..shape.len() {
        let (out, inp) = (shape[l], shape[l - 1]);
        let w = Mat::from_fn(out, inp, |i, j| theta[at + i * inp + j]);
        at += out * inp;
        let b = Col::from_fn(out, |i| theta[at + i]);
        at += out;
        parts.push((w, b));
    }
    Ok(Network::from_parts(parts)?)
}

fn shape_of(net: &Network) -> Vec<usize> {
    let mut shape = vec![net.input_dim()];
    shape.extend(net.layers().iter().map(relu_net::Layer::fan_out));
    shape
}

/// `(JᵀJ, Jᵀr)` of a network on a source, r = y − f(x). The forward pass is
/// one GEMM per layer and chunk; the Jacobian rows come from
/// back-propagation, row by row (ReLU′(0) = 0).
fn normal_equations(net: &Network, src: &dyn SampleSource, par: Par) -> (Mat<f64>, Col<f64>) {
    let p = net.n_params();
    let layers = net.layers();
    let last = layers.len() - 1;
    // Offset of each layer's weights in θ.
    let mut offsets = Vec::with_capacity(layers.len());
    let mut at = 0;
    for layer in layers {
        offsets.push(at);
        at += layer.fan_out() * (layer.fan_in() + 1);
    }
    let widest = layers.iter().map(relu_net::Layer::fan_out).max().unwrap_or(1);
    fold_chunks(
        src,
        1024,
        || (Mat::<f64>::zeros(p, p), Col::<f64>::zeros(p)),
        |acc, x, y| {
            let m = x.nrows();
            // acts[l] is the input of layer l; pre[l] its pre-activation.
            let mut acts: Vec<Mat<f64>> = Vec::with_capacity(layers.len());
            let mut pre: Vec<Mat<f64>> = Vec::with_capacity(layers.len());
            for (l, layer) in layers.iter().enumerate() {
                let input = if l == 0 { x } else { acts[l - 1].as_ref() };
                let mut z = Mat::zeros(m, layer.fan_out());
                matmul(
                    z.as_mut(),
                    Accum::Replace,
                    input,
                    layer.weight().transpose(),
                    1.0,
                    Par::Seq,
                );
                for j in 0..layer.fan_out() {
                    let bj = layer.bias()[j];
                    for i in 0..m {
                        z[(i, j)] += bj;
                    }
                }
                if l != last {
                    acts.push(Mat::from_fn(m, layer.fan_out(), |i, j| z[(i, j)].max(0.0)));
                }
                pre.push(z);
            }
            let mut jac = Mat::<f64>::zeros(m, p);
            let mut r = Col::<f64>::zeros(m);
            let mut delta = vec![0.0; widest];
            let mut below = vec![0.0; widest];
            for row in 0..m {
                r[row] = y[row] - pre[last][(row, 0)];
                delta[0] = 1.0;
                for l in (0..layers.len()).rev() {
                    let layer = &layers[l];
                    let (out, inp) = (layer.fan_out(), layer.fan_in());
                    let input = if l == 0 { x } else { acts[l - 1].as_ref() };
                    for i in 0..out {
                        let g = delta[i];
                        if g == 0.0 {
                            continue;
                        }
                        let base = offsets[l] + i * inp;
                        for c in 0..inp {
                            jac[(row, base + c)] = g * input[(row, c)];
                        }
                        jac[(row, offsets[l] + out * inp + i)] = g;
                    }
                    if l > 0 {
                        let w = layer.weight();
                        for c in 0..inp {
                            below[c] = if pre[l - 1][(row, c)] > 0.0 {
                                (0..out).map(|i| w[(i, c)] * delta[i]).sum()
                            } else {
                                0.0
                            };
                        }
                        delta[..inp].copy_from_slice(&below[..inp]);
                    }
                }
            }
            matmul(
                acc.0.as_mut(),
                Accum::Add,
                jac.transpose(),
                jac.as_ref(),
                1.0,
                Par::Seq,
            );
            matmul(
                acc.1.as_mut(),
                Accum::Add,
                jac.transpose(),
                r.as_ref(),
                1.0,
                Par::Seq,
            );
        },
        |a, b| {
            a.0 += &b.0;
            a.1 += &b.1;
        },
        par,
    )
}

fn loss(net: &Network, src: &dyn SampleSource, par: Par) -> f64 {
    let n = src.len().max(1) as f64;
    let sse = fold_chunks(
        src,
        CHUNK_ROWS,
        || 0.0,
        |acc, x, y| {
            let mut f = Col::zeros(x.nrows());
            relu_net::Predictor::predict_into(net, x, f.as_mut(), Par::Seq);
            *acc += (0..x.nrows()).map(|i| (f[i] - y[i]).powi(2)).sum::<f64>();
        },
        |a, b| *a += b,
        par,
    );
    sse / n
}

/// Levenberg–Marquardt on the square loss of a network of any depth, all
/// parameters at once: `(JᵀJ + λ diag(JᵀJ)) δ = Jᵀ r`, λ divided by 3 after
/// an accepted step and multiplied by 4 after a rejected one (Nielsen's
/// strategy, simplified). From a moment solution near the optimum it
/// converges quadratically; the loss never increases. The architecture is
/// kept (units that are dead on every polish sample stay where they are).
///
/// Unless [`PolishParams::warm_start`] is off, it runs in two stages when
/// the polish rows (see
/// [`PolishParams::flop_budget`]) are more than four times
/// `m₀ = max(samples, 20 p)`: first on the first m₀ rows, then on all of
/// them from where the first stage stopped. The large early steps cost
/// `m₀ p²` instead of `n p²` each, and the full rows only see the last,
/// quadratically converging ones: a noise-free fit is exact after the first
/// stage and the second checks it in one pass (atv in the recovery suite,
/// d = 10, k = 4, n = 10⁵: fit 0.50 s → 0.04 s; at d = 100: 0.47 s →
/// 0.10 s). If the first stage raised the loss on
/// all rows (it overfitted its subset), the second starts from `net`; if
/// the second stage does not converge within `max_iters`, a polish from
/// `net` on all rows runs too and the lower loss wins.
///
/// # Errors
/// [`LearnError::Net`] if a step produced an invalid network (it cannot:
/// non-finite steps are rejected).
pub fn polish_lm(
    net: &Network,
    src: &dyn SampleSource,
    params: &PolishParams,
    par: Par,
) -> Result<(Network, PolishReport), LearnError> {
    let shape = shape_of(net);
    let p = net.n_params();
    let affordable = (params.flop_budget / (p * p).max(1) as f64).min(usize::MAX as f64) as usize;
    let m0 = params.samples.max(20 * p);
    let n = m0.max(affordable).min(src.len());
    let full = Rows::new(src, 0, n);
    let label_var = relu_net::metrics::compare_on_samples(net, &full, par)?.label_variance;
    let loss_before = loss(net, &full, par);
    let mut report = PolishReport {
        loss_before,
        loss_after: loss_before,
        ..PolishReport::default()
    };
    // Warm start (see above): LM on the first m₀ rows, kept as the start
    // on all rows if it did not raise their loss.
    let mut warm = None;
    if params.warm_start && n > 4 * m0 {
        let sub = Rows::new(src, 0, m0);
        let sub_var = relu_net::metrics::compare_on_samples(net, &sub, par)?.label_variance;
        let (w, iters, _, _) = lm_stage(net, loss(net, &sub, par), &sub, &shape, sub_var, params, par)?;
        report.iters += iters;
        let w_loss = loss(&w, &full, par);
        warm = (w_loss <= loss_before).then_some((w, w_loss));
    }
    let (start, start_loss) = warm.as_ref().map_or((net, loss_before), |(w, l)| (w, *l));
    let (mut out, iters, mut converged, mut after) =
        lm_stage(start, start_loss, &full, &shape, label_var, params, par)?;
    report.iters += iters;
    if warm.is_some() && !converged {
        // The warm start led somewhere the full rows cannot finish in
        // max_iters (seen once in the scaling suite: atv, d = 20, k = 8):
        // polish from `net` as well and keep the lower loss.
        let (cold, iters, cold_converged, cold_after) =
            lm_stage(net, loss_before, &full, &shape, label_var, params, par)?;
        report.iters += iters;
        converged = cold_converged;
        if cold_after < after {
            (out, after) = (cold, cold_after);
        }
    }
    report.converged = converged;
    report.loss_after = after;
    Ok((out, report))
}

/// One Levenberg–Marquardt run on `rows` from `net` (whose loss there is
/// `current`): the network, the iterations, whether it converged, the loss.
fn lm_stage(
    net: &Network,
    mut current: f64,
    rows: &dyn SampleSource,
    shape: &[usize],
    label_var: f64,
    params: &PolishParams,
    par: Par,
) -> Result<(Network, usize, bool, f64), LearnError> {
    let mut theta = pack(net);
    let mut current_net = net.clone();
    let p = theta.len();
    let n = rows.len();
    let mut iters = 0;
    let mut converged = false;
    let mut lambda = 1e-3;
    let tol = params.rel_tol.max(params.stat_tol * p as f64 / n.max(1) as f64);
    for it in 0..params.max_iters {
        if current <= params.abs_tol * label_var {
            converged = true;
            break;
        }
        iters = it + 1;
        let (jtj, jtr) = normal_equations(&current_net, rows, par);
        let mut accepted = false;
        for _ in 0..12 {
            let damped = Mat::from_fn(p, p, |i, j| {
                jtj[(i, j)]
                    + if i == j {
                        lambda * jtj[(i, i)].max(1e-12)
                    } else {
                        0.0
                    }
            });
            let Some(step) = damped
                .llt(Side::Lower)
                .ok()
                .map(|l| l.solve(jtr.as_mat()))
                .filter(|s| (0..p).all(|i| s[(i, 0)].is_finite()))
            else {
                lambda *= 4.0;
                continue;
            };
            let candidate: Vec<f64> = theta.iter().enumerate().map(|(i, t)| t + step[(i, 0)]).collect();
            let candidate_net = unpack(&candidate, shape)?;
            let new_loss = loss(&candidate_net, rows, par);
            if new_loss < current {
                let improvement = (current - new_loss) / current.max(f64::MIN_POSITIVE);
                theta = candidate;
                current_net = candidate_net;
                current = new_loss;
                lambda = (lambda / 3.0).max(1e-12);
                accepted = true;
                if improvement < tol || current == 0.0 {
                    converged = true;
                }
                break;
            }
            lambda *= 4.0;
        }
        if !accepted || converged {
            converged = true;
            break;
        }
    }
    Ok((current_net, iters, converged, current))
}

/// Solves the least-squares problem `min ‖V c − t‖` for a d × k matrix V of
/// full column rank (normal equations with a tiny ridge).
pub(crate) fn least_squares(v: MatRef<'_, f64>, t: &Col<f64>) -> Option<Col<f64>> {
    let vtv = v.transpose() * v;
    let vtt = v.transpose() * t;
    solve_psd(vtv.as_ref(), &vtt, 1e-14)
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
