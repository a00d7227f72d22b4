//! Levenberg–Marquardt polishing of networks of any depth: the square loss
//! over the rows of a source, Jacobian rows by back-propagation, the normal
//! equations accumulated chunk by chunk (identical on any number of
//! threads), damping adapted by the gain ratio.

use crate::Report;
use crate::common::{CHUNK_ROWS, Judge, Rows, relative_error};
use crate::error::LearnError;
use crate::forward::Forward;
use faer::linalg::matmul::matmul;
use faer::linalg::solvers::Solve;
use faer::{Accum, Col, ColRef, Mat, MatRef, Par, Side};
use relu_net::{Network, SampleSource};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

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
    /// Most steps of the refinement on every training row that ends the
    /// moment learners' fits when the polish could afford only some of the
    /// rows ([`crate::refine`]); each tried step costs one pass over the
    /// rows (the curvature is formed once per run). Default 10; 0 turns the
    /// refinement off.
    pub refine_iters: usize,
    /// The refinement stops when a step's predicted gain is below this
    /// fraction of the statistical excess error `p / n` × the loss. Default
    /// 0.05: the excess error itself fluctuates by about `√(2 / p)` of its
    /// size from one sample to the next (4.4 % at p = 1 000), and at
    /// d = 100, k = 10 the steps below 5 % (gains of a few 10⁻⁸ of the loss)
    /// were as often rejected as kept, each for a pass over all rows.
    pub refine_tol: f64,
    /// A robust refinement: `Some(c)` minimises the Huber loss with
    /// threshold `δ = c · σ̂`, σ̂ = 1.4826 × the median |residual| of the
    /// polished network on the polish rows, by iteratively reweighted
    /// steps on the same passes (and runs even when the polish saw every
    /// row); c = 1.345 keeps 95 % of the square loss's efficiency under
    /// Gaussian noise. Default `None` (the square loss).
    pub huber: Option<f64>,
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
            refine_iters: 10,
            refine_tol: 0.05,
            huber: None,
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
            ("refine_tol", self.refine_tol),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(LearnError::invalid(learner, field(f), v, "a finite number >= 0"));
            }
        }
        if let Some(c) = self.huber
            && !(c > 0.0 && c.is_finite())
        {
            return Err(LearnError::invalid(
                learner,
                field("huber"),
                c,
                "a finite number > 0 (1.345 is usual)",
            ));
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
    /// statistical tolerance `stat_tol · p / n`; when every damped step of
    /// an iteration was rejected, only if the Gauss–Newton model's own
    /// predicted gain was below that tolerance (else the run stalled).
    pub converged: bool,
}

/// The parameters θ of a network, layer by layer: `W_l` (row-major), then
/// `b_l`.
pub(crate) fn pack(net: &Network) -> Vec<f64> {
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
pub(crate) fn unpack(theta: &[f64], shape: &[usize]) -> Result<Network, LearnError> {
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
pub(crate) fn normal_equations(
    net: &Network,
    src: &dyn SampleSource,
    par: Par,
) -> Result<(Mat<f64>, Col<f64>), LearnError> {
    weighted_normal_equations(net, src, None, par)
}

/// [`normal_equations`] with the rows whose residual exceeds `huber` in
/// absolute value left out (the Huber loss's second derivative is
/// `1[|r| ≤ δ]`); `None` keeps every row.
pub(crate) fn weighted_normal_equations(
    net: &Network,
    src: &dyn SampleSource,
    huber: Option<f64>,
    par: Par,
) -> Result<(Mat<f64>, Col<f64>), LearnError> {
    let pass = NormalPass {
        net: Cow::Borrowed(net),
        huber,
    };
    let g = relu_net::pass::run(src, &pass, par)?;
    Ok((g.jtj, g.jtr))
}

/// `(JᵀJ, Jᵀr)` summed over chunks.
#[derive(Serialize, Deserialize)]
pub(crate) struct NormalSums {
    #[serde(with = "relu_net::pass::mat")]
    jtj: Mat<f64>,
    #[serde(with = "relu_net::pass::col")]
    jtr: Col<f64>,
}

/// The pass of [`weighted_normal_equations`] (`normal-equations`).
pub(crate) struct NormalPass<'a> {
    pub(crate) net: Cow<'a, Network>,
    pub(crate) huber: Option<f64>,
}

impl relu_net::Pass for NormalPass<'_> {
    type Acc = NormalSums;
    fn name(&self) -> &'static str {
        "normal-equations"
    }
    fn chunk_rows(&self) -> usize {
        1024
    }
    fn init(&self) -> NormalSums {
        let p = self.net.n_params();
        NormalSums {
            jtj: Mat::zeros(p, p),
            jtr: Col::zeros(p),
        }
    }
    fn fold(&self, acc: &mut NormalSums, x: MatRef<'_, f64>, y: ColRef<'_, f64>) {
        let (jac, r) = jacobian_rows(&self.net, x, y, self.huber);
        matmul(
            acc.jtj.as_mut(),
            Accum::Add,
            jac.transpose(),
            jac.as_ref(),
            1.0,
            Par::Seq,
        );
        matmul(
            acc.jtr.as_mut(),
            Accum::Add,
            jac.transpose(),
            r.as_ref(),
            1.0,
            Par::Seq,
        );
    }
    fn merge(&self, a: &mut NormalSums, b: NormalSums) {
        a.jtj += &b.jtj;
        a.jtr += &b.jtr;
    }
    fn spec(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({"network": crate::passes::net_value(&self.net)?, "huber": self.huber}))
    }
    fn decode(&self, text: &str) -> Result<relu_net::ChunkTree<NormalSums>, relu_net::NetError> {
        relu_net::pass::decode_tree(self.name(), text)
    }
}

/// The Jacobian rows of `net` at the rows of `x` (one per row, p columns,
/// by back-propagation; ReLU′(0) = 0) and the residuals `r = y − f(x)`;
/// rows whose |r| exceeds `huber` are zero in both.
fn jacobian_rows(
    net: &Network,
    x: MatRef<'_, f64>,
    y: ColRef<'_, f64>,
    huber: Option<f64>,
) -> (Mat<f64>, Col<f64>) {
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
    let m = x.nrows();
    let fwd = Forward::new(x, layers.iter().map(|l| (l.weight(), l.bias())));
    let pre = &fwd.pre;
    let mut jac = Mat::<f64>::zeros(m, p);
    let mut r = Col::<f64>::zeros(m);
    let mut delta = vec![0.0; widest];
    let mut below = vec![0.0; widest];
    for row in 0..m {
        r[row] = y[row] - pre[last][(row, 0)];
        if huber.is_some_and(|h| r[row].abs() > h) {
            r[row] = 0.0;
            continue;
        }
        delta[0] = 1.0;
        for l in (0..layers.len()).rev() {
            let layer = &layers[l];
            let (out, inp) = (layer.fan_out(), layer.fan_in());
            let input = fwd.input(x, l);
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
    (jac, r)
}

/// The pass of [`loss`] (`loss`): the sum of squared errors.
pub(crate) struct LossPass<'a>(pub(crate) Cow<'a, Network>);

impl relu_net::Pass for LossPass<'_> {
    type Acc = f64;
    fn name(&self) -> &'static str {
        "loss"
    }
    fn chunk_rows(&self) -> usize {
        CHUNK_ROWS
    }
    fn init(&self) -> f64 {
        0.0
    }
    fn fold(&self, acc: &mut f64, x: MatRef<'_, f64>, y: ColRef<'_, f64>) {
        let mut f = Col::zeros(x.nrows());
        relu_net::Predictor::predict_into(self.0.as_ref(), x, f.as_mut(), Par::Seq);
        *acc += (0..x.nrows()).map(|i| (f[i] - y[i]).powi(2)).sum::<f64>();
    }
    fn merge(&self, a: &mut f64, b: f64) {
        *a += b;
    }
    fn spec(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({"network": crate::passes::net_value(&self.0)?}))
    }
    fn decode(&self, text: &str) -> Result<relu_net::ChunkTree<f64>, relu_net::NetError> {
        relu_net::pass::decode_tree(self.name(), text)
    }
}

/// The mean squared error of `net` on `src`.
///
/// # Errors
/// [`LearnError::Net`] when an executor failed.
fn loss(net: &Network, src: &dyn SampleSource, par: Par) -> Result<f64, LearnError> {
    let n = src.len().max(1) as f64;
    Ok(relu_net::pass::run(src, &LossPass(Cow::Borrowed(net)), par)? / n)
}

/// The rows the polish uses for p parameters out of n: `max(samples, 20 p,
/// flop_budget / p²)`, at most n (see [`PolishParams::flop_budget`]).
#[must_use]
pub fn polish_rows(p: usize, n: usize, params: &PolishParams) -> usize {
    let affordable = (params.flop_budget / (p * p).max(1) as f64).min(usize::MAX as f64) as usize;
    params.samples.max(20 * p).max(affordable).min(n)
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
    let m0 = params.samples.max(20 * p);
    let n = polish_rows(p, src.len(), params);
    let full = Rows::new(src, 0, n);
    let label_var = relu_net::metrics::compare_on_samples(net, &full, par)?.label_variance;
    let loss_before = loss(net, &full, par)?;
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
        let (w, iters, _, _) = lm_stage(net, loss(net, &sub, par)?, &sub, &shape, sub_var, params, par)?;
        report.iters += iters;
        let w_loss = loss(&w, &full, par)?;
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

/// The Levenberg–Marquardt step `(H + λ diag H)⁻¹ g` (diagonal entries
/// floored at 1e-12) by Cholesky; `None` when the damped matrix is not
/// positive definite or the step is not finite (the caller raises λ).
pub(crate) fn damped_step(h: &Mat<f64>, g: &Col<f64>, lambda: f64) -> Option<Mat<f64>> {
    let p = h.nrows();
    let damped = Mat::from_fn(p, p, |i, j| {
        h[(i, j)]
            + if i == j {
                lambda * h[(i, i)].max(1e-12)
            } else {
                0.0
            }
    });
    damped
        .llt(Side::Lower)
        .ok()
        .map(|l| l.solve(g.as_mat()))
        .filter(|s| (0..p).all(|i| s[(i, 0)].is_finite()))
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
        crate::cancel::checkpoint();
        if current <= params.abs_tol * label_var {
            converged = true;
            break;
        }
        iters = it + 1;
        let (jtj, jtr) = normal_equations(&current_net, rows, par)?;
        let mut accepted = false;
        // The Gauss–Newton model's predicted fall of the mean loss for the
        // least damped step tried: (2 δᵀJᵀr − δᵀJᵀJδ) / n.
        let mut predicted: Option<f64> = None;
        for _ in 0..12 {
            let Some(step) = damped_step(&jtj, &jtr, lambda) else {
                lambda *= 4.0;
                continue;
            };
            if predicted.is_none() {
                let jd = &jtj * &step;
                let gain = (0..p)
                    .map(|i| step[(i, 0)] * (2.0 * jtr[i] - jd[(i, 0)]))
                    .sum::<f64>();
                predicted = Some(gain / n.max(1) as f64);
            }
            let candidate: Vec<f64> = theta.iter().enumerate().map(|(i, t)| t + step[(i, 0)]).collect();
            let candidate_net = unpack(&candidate, shape)?;
            let new_loss = loss(&candidate_net, rows, par)?;
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
        if !accepted {
            // Every damping was rejected: converged only if the model itself
            // saw nothing left to gain; otherwise the loss stalled at a
            // point the Gauss–Newton model does not describe (a kink of the
            // piecewise-linear network), which is not convergence, and no
            // solvable damped step at all says nothing.
            converged = predicted.is_some_and(|g| g <= tol * current);
            break;
        }
        if converged {
            break;
        }
    }
    Ok((current_net, iters, converged, current))
}

/// What the polish of a fit's chosen network did, and whether the fit kept
/// it ([`Report::polish`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolishOutcome {
    /// The optimiser's own report (iterations, losses, convergence).
    #[serde(flatten)]
    pub lm: PolishReport,
    /// The polished network's relative error on the validation rows.
    pub validation_error: f64,
    /// Whether the polished network replaced the start (it did not raise
    /// the validation error).
    pub kept: bool,
}

/// The end that the moment learners' fits share: polishes `network` on the
/// training rows by [`polish_lm`] and keeps the result when its validation
/// error is at most `error` (the start's). Records the outcome in
/// [`Report::polish`], the iterations and convergence in
/// [`Report::n_iters`] and [`Report::converged`], and a note; returns the
/// network kept and its validation error.
///
/// # Errors
/// As [`polish_lm`] and [`relative_error`].
pub(crate) fn polish_if_better(
    network: Network,
    error: f64,
    judge: &Judge<'_>,
    params: &PolishParams,
    report: &mut Report,
) -> Result<(Network, f64), LearnError> {
    let (polished, lm) = polish_lm(&network, judge.train, params, judge.par)?;
    let polished_error = relative_error(&polished, judge.val, judge.par)?;
    let kept = polished_error <= error;
    if kept {
        report.notes.push(format!(
            "polish (Levenberg–Marquardt, {} iterations) kept: validation error {polished_error:.3e}",
            lm.iters
        ));
    } else {
        report.notes.push(format!(
            "polish discarded: validation error {polished_error:.3e} > {error:.3e}"
        ));
    }
    report.n_iters = lm.iters;
    report.converged = lm.converged;
    report.polish = Some(PolishOutcome {
        lm,
        validation_error: polished_error,
        kept,
    });
    Ok(if kept {
        (polished, polished_error)
    } else {
        (network, error)
    })
}
