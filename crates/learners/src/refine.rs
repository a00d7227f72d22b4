//! Refinement on every training row: Gauss–Newton steps whose gradient
//! `Jᵀr` and loss come from one streaming pass over all rows, with the
//! curvature `JᵀJ` from the polish's rows.
//!
//! The polish ([`crate::polish::polish_lm`]) forms the normal equations,
//! `m p²` multiply–adds for m rows and p parameters, so it runs on the
//! `m = flop_budget / p²` rows it can afford. On noisy labels its excess
//! error is then about `σ² p / m`, not the `σ² p / n` that all n training
//! rows allow: at d = 100, k = 10 (p = 1 021) the default budget buys
//! m ≈ 2·10⁴ rows, and 10⁸ samples gave the accuracy of 2·10⁴.
//!
//! The refinement minimises the loss over all n rows from the polished
//! network, which is already in the basin of the optimum. Each iteration:
//! 1. the curvature `H = (n / m) JᵀJ` on the first `m = max(4 × the polish
//!    rows, 10 n / p)` training rows (see `curvature_rows`), one `m p²`
//!    accumulation per run (at least four polish iterations' budget and
//!    about one gradient pass, spent once: near the optimum it hardly
//!    changes);
//! 2. the step `δ = (H + λ diag H)⁻¹ Jᵀr`, with `Jᵀr` summed over all n rows;
//! 3. one pass over all n rows at `θ + δ` for the loss and the next
//!    gradient (forward and back-propagation by GEMMs, `O(n p)`): accepted
//!    if the loss fell (λ divided by 1.5: dividing by 3, as the polish does,
//!    cost a rejected step, hence a wasted pass, every other step at
//!    d = 100, k = 10, n = 10⁷: 10 passes against 6), else λ multiplied by
//!    4 and the step recomputed.
//!
//! With the full gradient and a curvature from m rows, the iteration is a
//! preconditioned gradient method whose fixed point is the full-sample
//! least-squares fit; near it, it contracts at a linear rate of order
//! `√(p / m)` (the relative error of the subsampled curvature; with the
//! curvature on the polish rows alone, m = 2·10⁴ at d = 100, k = 10, it was
//! about 0.45 per step and took 10 steps where 4 do now). It stops when the
//! predicted gain `½ δᵀJᵀr` falls below `refine_tol · p / n` of the loss (5 %
//! of the statistical excess error by default, about the excess's own
//! sampling spread `√(2 / p)` at p ≈ 1 000: the steps left could move the
//! test error by about 7 % of it), when the loss is exact to
//! `abs_tol` of the label variance, or after `refine_iters` iterations.
//! Every pass is a [`relu_net::Pass`] over fixed chunks, merged in a fixed
//! tree: bit-identical on any number of threads.

use std::borrow::Cow;

use faer::{Col, ColRef, Mat, MatRef, Par};
use relu_net::{Network, SampleSource};
use serde::{Deserialize, Serialize};

use crate::Report;
use crate::common::{CHUNK_ROWS, Judge, Rows, relative_error};
use crate::error::LearnError;
use crate::forward::Forward;
use crate::polish::{PolishParams, damped_step, pack, polish_rows, unpack, weighted_normal_equations};

/// What a refinement did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RefineReport {
    /// Accepted steps.
    pub iters: usize,
    /// Passes over all rows (one for the start, one per tried step).
    pub passes: usize,
    /// Rows of each pass (all training rows).
    pub rows: usize,
    /// Rows of the curvature: `max(4 ×` the polish's rows`, 10 n / p)`, at
    /// most n.
    pub curvature_rows: usize,
    /// Mean squared error on all rows before.
    pub loss_before: f64,
    /// Mean squared error on all rows after.
    pub loss_after: f64,
    /// Whether a stopping rule was met (rather than the iteration cap).
    pub converged: bool,
    /// The Huber threshold δ used, when the loss was Huber's.
    pub huber_threshold: Option<f64>,
    /// The fraction of the polish rows (at most 10⁵) whose residual lies
    /// beyond 5 robust standard deviations (1.4826 × the median |r|) at the
    /// start; Gaussian noise gives 5.7·10⁻⁷.
    pub outlier_fraction: f64,
}

/// Above this fraction of residuals beyond 5 robust standard deviations
/// the report warns about outliers.
pub(crate) const OUTLIER_WARNING: f64 = 1e-3;

/// Rows the robust scale and the outlier fraction are computed on.
const SCALE_ROWS: usize = 100_000;

/// Residuals below this fraction of the labels' standard deviation are
/// rounding, never outliers: a fit that interpolates noise-free labels has a
/// robust scale near 10⁻¹², and its residuals of 10⁻¹⁰ lie "beyond 5 robust
/// standard deviations" without meaning anything (atv on a noise-free
/// biased teacher, d = 6, k = 3, 8·10⁴ samples, test error 7·10⁻²⁴, was
/// warned of 5 % "heavy tails"; test
/// `fit_recovers_a_planted_network_from_files_and_from_a_stream`). Inputs
/// stored as float32 (relative rounding 6·10⁻⁸) with labels computed from
/// float64 inputs leave residuals near 10⁻⁷ of the labels' spread, which
/// were warned as 0.9 % "heavy tails" (the Python package's float32 test);
/// no outlier that small can move a fit.
const ROUNDING: f64 = 1e-6;

/// The robust standard deviation `1.4826 · median |r|` of `net`'s residuals
/// on the first rows of `src`, and the fraction of them beyond 5 of it (and
/// beyond [`ROUNDING`] times the labels' standard deviation).
pub(crate) fn robust_scale(net: &Network, src: &dyn SampleSource, rows: usize, par: Par) -> (f64, f64) {
    let m = rows.min(SCALE_ROWS).min(src.len());
    let (x, y) = crate::common::load_rows(&Rows::new(src, 0, m), m);
    let mut pred = Col::zeros(m);
    relu_net::Predictor::predict_into(net, x.as_ref(), pred.as_mut(), par);
    let abs: Vec<f64> = (0..m).map(|i| (y[i] - pred[i]).abs()).collect();
    let sigma = 1.4826 * relu_net::stats::median(&abs);
    let floor = ROUNDING * crate::common::variance(&y).sqrt();
    let beyond = abs.iter().filter(|&&a| a > 5.0 * sigma && a > floor).count();
    (sigma, beyond as f64 / m.max(1) as f64)
}

/// The sums of one pass: squared residuals, `Jᵀr` (packed like θ), and the
/// labels' sum and sum of squares (for their variance).
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Sums {
    sse: f64,
    #[serde(with = "relu_net::pass::col")]
    grad: Col<f64>,
    sy: f64,
    syy: f64,
}

/// The Huber loss `ρ(r)` with threshold δ (`r²` inside, `2δ|r| − δ²`
/// outside: twice the textbook ρ, so that it equals the squared error on
/// inliers) and its half-derivative ψ(r) = clip(r, ±δ); the square loss for
/// `None`.
fn rho_psi(r: f64, huber: Option<f64>) -> (f64, f64) {
    match huber {
        Some(h) if r.abs() > h => (2.0 * h * r.abs() - h * h, h * r.signum()),
        _ => (r * r, r),
    }
}

/// One pass over every row at a network (`loss-gradient`): the sums of
/// [`Sums`], chunk by chunk (the forward pass and the back-propagation of
/// ψ of the residuals `r = y − f(x)`; `sse` is the sum of ρ).
pub(crate) struct GradientPass<'a> {
    pub(crate) net: Cow<'a, Network>,
    pub(crate) huber: Option<f64>,
}

impl relu_net::Pass for GradientPass<'_> {
    type Acc = Sums;
    fn name(&self) -> &'static str {
        "loss-gradient"
    }
    fn chunk_rows(&self) -> usize {
        CHUNK_ROWS
    }
    fn init(&self) -> Sums {
        Sums {
            sse: 0.0,
            grad: Col::zeros(self.net.n_params()),
            sy: 0.0,
            syy: 0.0,
        }
    }
    fn fold(&self, acc: &mut Sums, x: MatRef<'_, f64>, y: ColRef<'_, f64>) {
        let layers = self.net.layers();
        let weights: Vec<MatRef<'_, f64>> = layers.iter().map(relu_net::Layer::weight).collect();
        let fwd = Forward::new(x, layers.iter().map(|l| (l.weight(), l.bias())));
        let out = fwd.output();
        let mut r = Mat::from_fn(x.nrows(), 1, |i, _| y[i] - out[(i, 0)]);
        for i in 0..x.nrows() {
            let (rho, psi) = rho_psi(r[(i, 0)], self.huber);
            acc.sse += rho;
            r[(i, 0)] = psi;
            acc.sy += y[i];
            acc.syy += y[i] * y[i];
        }
        let mut at = 0;
        for (gw, gb) in fwd.backward(x, &weights, r) {
            for i in 0..gw.nrows() {
                for j in 0..gw.ncols() {
                    acc.grad[at + i * gw.ncols() + j] += gw[(i, j)];
                }
            }
            at += gw.nrows() * gw.ncols();
            for i in 0..gb.nrows() {
                acc.grad[at + i] += gb[i];
            }
            at += gb.nrows();
        }
    }
    fn merge(&self, a: &mut Sums, b: Sums) {
        a.sse += b.sse;
        a.grad += &b.grad;
        a.sy += b.sy;
        a.syy += b.syy;
    }
    fn spec(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({"network": crate::passes::net_value(&self.net)?, "huber": self.huber}))
    }
    fn decode(&self, text: &str) -> Result<relu_net::ChunkTree<Sums>, relu_net::NetError> {
        relu_net::pass::decode_tree(self.name(), text)
    }
}

/// [`GradientPass`] over `src` at `net`.
fn pass(net: &Network, src: &dyn SampleSource, huber: Option<f64>, par: Par) -> Result<Sums, LearnError> {
    let pass = GradientPass {
        net: Cow::Borrowed(net),
        huber,
    };
    Ok(relu_net::pass::run(src, &pass, par)?)
}

/// Refines `net` on every row of `src` (see the module docs); returns `net`
/// itself, with a report of zero iterations, when the polish already saw
/// every row or `refine_iters` is 0.
///
/// # Errors
/// [`LearnError::Net`] if a step produced an invalid network (non-finite
/// steps are rejected, so it cannot).
pub fn refine_full(
    net: &Network,
    src: &dyn SampleSource,
    params: &PolishParams,
    par: Par,
) -> Result<(Network, RefineReport), LearnError> {
    let n = src.len();
    let p = net.n_params();
    let m = polish_rows(p, n, params);
    let mut report = RefineReport {
        rows: n,
        curvature_rows: curvature_rows(m, n, p),
        ..RefineReport::default()
    };
    if params.refine_iters == 0 {
        return Ok((net.clone(), report));
    }
    let (sigma, outliers) = robust_scale(net, src, m, par);
    report.outlier_fraction = outliers;
    let huber = params.huber.map(|c| c * sigma).filter(|h| *h > 0.0);
    report.huber_threshold = huber;
    if m >= n && huber.is_none() {
        return Ok((net.clone(), report));
    }
    let nf = n as f64;
    let shape: Vec<usize> = std::iter::once(net.input_dim())
        .chain(net.layers().iter().map(relu_net::Layer::fan_out))
        .collect();
    let sums = pass(net, src, huber, par)?;
    report.passes = 1;
    report.loss_before = sums.sse / nf;
    let label_var = (sums.syy / nf - (sums.sy / nf).powi(2)).max(0.0);
    let curvature_rows = Rows::new(src, 0, report.curvature_rows);
    let run = Run {
        src,
        curvature_rows: &curvature_rows,
        shape: &shape,
        label_var,
        params,
        par,
    };
    let (mut current, mut sums) = run.gauss_newton(net.clone(), sums, huber, &mut report)?;
    // Huber: the threshold follows the residuals' scale as the fit leaves
    // the start's errors behind (a start pulled by outliers has residuals
    // several times the noise), for at most HUBER_ROUNDS more runs.
    if let (Some(c), Some(mut now)) = (params.huber, huber) {
        for _ in 0..HUBER_ROUNDS {
            let (sigma, _) = robust_scale(&current, src, m, par);
            let next = c * sigma;
            if !(next > 0.0 && next < 0.9 * now) {
                break;
            }
            now = next;
            report.huber_threshold = Some(now);
            report.converged = false;
            let start = pass(&current, src, Some(now), par)?;
            report.passes += 1;
            (current, sums) = run.gauss_newton(current, start, Some(now), &mut report)?;
        }
    }
    let loss = sums.sse / nf;
    Ok(finish(current, loss, report))
}

/// The curvature is computed once per run on at least this many times the
/// polish rows (a polish iteration's budget, spent once instead of every
/// step): the contraction per step is of order √(p / rows).
const CURVATURE_FACTOR: usize = 4;

/// The rows of the curvature for m polish rows, n training rows and p
/// parameters: `max(4 m, 10 n / p)`, at most n.
///
/// The curvature on `m_c` rows makes the step's error relative to the full
/// Newton step about `2 √(p / m_c)` (the Marchenko–Pastur edge of a
/// subsampled Gram matrix), so each step multiplies the remaining gain by
/// about `4 p / m_c`; the number of steps, hence of passes over all n rows,
/// grows like `log(n / m) / log(m_c / 4p)`. Its cost, `m_c p²`
/// multiply–adds, is that of about one gradient pass (`≈ 10 n p`) at
/// `m_c = 10 n / p`: at d = 100, k = 10 (p = 1 021) and 9·10⁷ training
/// rows that is 8.8·10⁵ rows, a contraction of the gain by about 200 per step where the
/// polish's 4 m = 8·10⁴ rows gave about 20 (7 steps and 10 passes).
fn curvature_rows(m: usize, n: usize, p: usize) -> usize {
    let by_cost = n.saturating_mul(10) / p.max(1);
    (CURVATURE_FACTOR * m).max(by_cost).min(n)
}

/// Runs of the Huber loss after the first, each with the threshold
/// re-estimated from the refined network's residuals.
const HUBER_ROUNDS: usize = 3;

/// What the Gauss–Newton runs of one refinement share.
struct Run<'a> {
    src: &'a dyn SampleSource,
    curvature_rows: &'a Rows<'a>,
    shape: &'a [usize],
    label_var: f64,
    params: &'a PolishParams,
    par: Par,
}

impl Run<'_> {
    /// Up to `refine_iters` damped Gauss–Newton steps from `start` (whose
    /// pass gave `sums`) with the loss of `huber`; counts steps and passes
    /// in `report` and sets `converged` when a stopping rule was met.
    fn gauss_newton(
        &self,
        start: Network,
        mut sums: Sums,
        huber: Option<f64>,
        report: &mut RefineReport,
    ) -> Result<(Network, Sums), LearnError> {
        let (src, params, par) = (self.src, self.params, self.par);
        let nf = src.len() as f64;
        let m = self.curvature_rows.len();
        let p = start.n_params();
        let label_var = self.label_var;
        let shape = self.shape;
        let curvature_rows = self.curvature_rows;
        let mut theta = pack(&start);
        let mut current = start;
        let mut lambda = 1e-3;
        // The curvature once per run: near the optimum it hardly changes,
        // and every step reuses it.
        let (jtj, _) = weighted_normal_equations(&current, curvature_rows, huber, par)?;
        let h = faer::Scale(nf / m as f64) * &jtj;
        for _ in 0..params.refine_iters {
            if sums.sse / nf <= params.abs_tol * label_var {
                report.converged = true;
                break;
            }
            let mut accepted = false;
            for _ in 0..12 {
                let Some(step) = damped_step(&h, &sums.grad, lambda) else {
                    lambda *= 4.0;
                    continue;
                };
                // The Gauss–Newton model's gain ½ δᵀJᵀr (in squared-error sums):
                // below `refine_tol` of the statistical excess error, stop.
                let gain = 0.5 * (0..p).map(|i| step[(i, 0)] * sums.grad[i]).sum::<f64>();
                if gain <= params.refine_tol * p as f64 / nf * sums.sse {
                    report.converged = true;
                    return Ok((current, sums));
                }
                let candidate: Vec<f64> = theta.iter().enumerate().map(|(i, t)| t + step[(i, 0)]).collect();
                let candidate_net = unpack(&candidate, shape)?;
                let trial = pass(&candidate_net, src, huber, par)?;
                report.passes += 1;
                if trial.sse < sums.sse {
                    let improvement = (sums.sse - trial.sse) / sums.sse.max(f64::MIN_POSITIVE);
                    (theta, current, sums) = (candidate, candidate_net, trial);
                    lambda = (lambda / 1.5).max(1e-12);
                    report.iters += 1;
                    accepted = true;
                    if improvement < params.rel_tol {
                        report.converged = true;
                    }
                    break;
                }
                lambda *= 4.0;
            }
            if !accepted || report.converged {
                // No damping gave a lower loss: the start is a stationary point
                // of the full loss to the precision of the arithmetic.
                report.converged = true;
                break;
            }
        }
        Ok((current, sums))
    }
}

/// The network and its report with the final loss.
fn finish(net: Network, loss: f64, mut report: RefineReport) -> (Network, RefineReport) {
    report.loss_after = loss;
    (net, report)
}

/// What the refinement of a fit's network did, and whether the fit kept it
/// ([`Report::refine`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RefineOutcome {
    /// The refinement's own report.
    #[serde(flatten)]
    pub refine: RefineReport,
    /// The refined network's relative error on the validation rows.
    pub validation_error: f64,
    /// Whether the refined network replaced the polished one (it did not
    /// raise the validation error).
    pub kept: bool,
}

/// The last step of the moment learners' fits: refines `network` on every
/// training row ([`refine_full`]) when the polish saw only some of them,
/// and keeps the result when its validation error is at most `error`.
/// Records the outcome in [`Report::refine`] and a note.
///
/// # Errors
/// As [`refine_full`] and [`relative_error`].
pub(crate) fn refine_if_better(
    network: Network,
    error: f64,
    judge: &Judge<'_>,
    params: &PolishParams,
    report: &mut Report,
) -> Result<(Network, f64), LearnError> {
    let (refined, r) = refine_full(&network, judge.train, params, judge.par)?;
    if r.outlier_fraction > OUTLIER_WARNING && params.huber.is_none() {
        report.warnings.push(format!(
            "the residuals have heavy tails: {:.2} % of the polish rows lie beyond 5 robust standard deviations \
             (Gaussian noise gives 6·10⁻⁵ %); either the labels have outliers, which the square loss lets pull \
             the fit (set polish_params.huber = 1.345 for a robust refinement, or clean the labels), or the fit \
             missed part of the network (see the validation error)",
            100.0 * r.outlier_fraction
        ));
    }
    if r.passes == 0 {
        return Ok((network, error));
    }
    let refined_error = relative_error(&refined, judge.val, judge.par)?;
    // With the Huber loss the square validation error is dominated by the
    // held-out outliers, so it does not judge the robust fit: it is kept.
    let kept = refined_error <= error || params.huber.is_some();
    report.notes.push(format!(
        "refinement on all {} training rows (curvature from {}): {} steps, {} passes, loss {:.3e} -> {:.3e}, validation error {refined_error:.3e} ({})",
        r.rows,
        r.curvature_rows,
        r.iters,
        r.passes,
        r.loss_before,
        r.loss_after,
        if kept { "kept" } else { "discarded" }
    ));
    report.refine = Some(RefineOutcome {
        refine: r,
        validation_error: refined_error,
        kept,
    });
    Ok(if kept {
        (refined, refined_error)
    } else {
        (network, error)
    })
}
