//! Step 6 of `narrow` (module docs): discovery on the residual, CDGKM's iterative procedure.
//!
//! After the network of steps 1–5 has been polished, the labels it leaves
//! unexplained, `r = y − f̂(x)`, are themselves the output of a bias-free
//! one-hidden-layer network plus what the fit got slightly wrong. Units the
//! joint subspace missed (a cluster whose output weights nearly cancel: its
//! net contribution to every `M_l` of y is small next to the other clusters
//! and next to the noise of y's own moments) stand out in the residual's
//! second Hermite moment
//!
//! `R = E[r S_2(x)] / ĉ_2(0)`, with `r = Σ_i λ_i relu(⟨u_i, x⟩) − f̂(x)`,
//!
//! because its noise scales with the residual's size, not the labels'. CDGKM
//! re-estimate the moments on the residual after each discovery; this step
//! does it once per added unit: the eigenvector u of R with the largest
//! |eigenvalue| is added as the unit `a relu(±⟨u, x⟩)` (sign and a by least
//! squares of r on `relu(⟨u, x⟩)` and `relu(−⟨u, x⟩)`), the network is
//! polished again, and the larger network is kept only if it halves the
//! validation error's excess above the noise floor, significantly
//! ([`crate::compare`]). It stops at k distinct directions, when
//! R shows nothing above `subspace_threshold` × its Wigner noise level (what
//! a fit that already explains y to the noise leaves), or when a unit does
//! not pay.
//!
//! Inside a cluster of close units the same residual carries the
//! difference `λ (relu(⟨u_1, x⟩) − relu(⟨u_2, x⟩))` that one unit per
//! cluster cannot express; R's top eigenvector then lies in the span of the
//! cluster's direction and its spread, and the polish splits the unit.

use faer::{Mat, MatRef, Par};
use gaussian_moments::hermite::relu_coefficient;
use gaussian_moments::{Estimator, low_order_moments};
use relu_net::{Network, SampleSource};
use tensor_decomp::fit::top_eigen;

use crate::Report;
use crate::common::{Rows, relative_error, with_units};
use crate::compare::compare;
use crate::error::LearnError;
use crate::linalg::{solve_psd, wigner_noise};
use crate::polish::{PolishParams, polish_lm};
use crate::residual_labels::ResidualLabels;

/// The number of distinct directions (up to sign, |cos| < 1 − 10⁻⁶, about
/// 1.4·10⁻³ rad: the resolution at which discovery merges directions) among
/// the first layer's rows.
fn directions(net: &Network) -> usize {
    let w = net.layers()[0].weight();
    let unit = |i: usize| {
        let n = (0..w.ncols()).map(|j| w[(i, j)].powi(2)).sum::<f64>().sqrt();
        (0..w.ncols()).map(move |j| w[(i, j)] / n.max(f64::MIN_POSITIVE))
    };
    let mut seen: Vec<Vec<f64>> = Vec::new();
    for i in 0..w.nrows() {
        let u: Vec<f64> = unit(i).collect();
        let new = seen.iter().all(|s| {
            let c: f64 = s.iter().zip(&u).map(|(a, b)| a * b).sum();
            c.abs() < 1.0 - 1e-6
        });
        if new {
            seen.push(u);
        }
    }
    seen.len()
}

/// The unit `a relu(s ⟨u, x⟩)` (s = ±1) that best fits the residual on the
/// first `rows` training rows, by least squares on the two features
/// `relu(⟨u, x⟩)`, `relu(−⟨u, x⟩)` (their sum is |⟨u, x⟩|, the part of R's
/// direction that both signs share; their difference the linear part).
fn best_unit(res: &ResidualLabels<'_>, rows: usize, u: MatRef<'_, f64>) -> Option<(Vec<f64>, f64)> {
    let (x, r) = crate::common::load_rows(res, rows);
    let z = &x * u;
    let f = Mat::from_fn(z.nrows(), 2, |i, j| {
        let s = if j == 0 { z[(i, 0)] } else { -z[(i, 0)] };
        s.max(0.0)
    });
    let beta = solve_psd((f.transpose() * &f).as_ref(), &(f.transpose() * &r), 1e-12)?;
    let s = if beta[0].abs() >= beta[1].abs() { 1.0 } else { -1.0 };
    let a = if s > 0.0 { beta[0] } else { beta[1] };
    Some(((0..u.nrows()).map(|i| s * u[(i, 0)]).collect(), a))
}

/// What [`grow`] needs besides the network.
pub(super) struct GrowParams<'a> {
    /// At most this many distinct directions.
    pub k: usize,
    /// Residual eigenvalues must exceed this many Wigner noise levels.
    pub threshold: f64,
    /// Rows used for the least-squares unit.
    pub fit_samples: usize,
    pub est: &'a Estimator,
    pub polish: &'a PolishParams,
}

/// Step 6 (see the module docs): adds units found in the residual's second
/// moment while they halve the validation excess ([`crate::compare`]); returns the network, its
/// validation error and the number of units added.
pub(super) fn grow(
    mut net: Network,
    mut error: f64,
    train: &Rows<'_>,
    val: &Rows<'_>,
    g: &GrowParams<'_>,
    par: Par,
    report: &mut Report,
) -> Result<(Network, f64, usize), LearnError> {
    let mut added = 0;
    let scale = 1.0 / relu_coefficient(2, 0.0);
    let mut errors = vec![error];
    while net.depth() == 2 && added < g.k && directions(&net) < g.k && error > 0.0 {
        let res = ResidualLabels::new(train, &net);
        let r2 = low_order_moments(&res, g.est, par)?.t2;
        let noise = wigner_noise(&r2) * scale;
        let (vecs, vals) = top_eigen(r2.mean.as_ref(), 1)?;
        let top = vals.first().map_or(0.0, |v| v.abs() * scale);
        if top <= g.threshold * noise {
            report.notes.push(format!(
                "residual: top eigenvalue {top:.3e} of its second moment within {}x its noise level {noise:.3e}: nothing more to add",
                g.threshold
            ));
            break;
        }
        let Some((w, a)) = best_unit(&res, g.fit_samples.min(train.len()), vecs.as_ref()) else {
            break;
        };
        let candidate = with_units(&net, &[(w, 0.0, a)], 0.0)?;
        let (polished, polish) = polish_lm(&candidate, train, g.polish, par)?;
        let verdict = compare(&net, &polished, val, polish.loss_after, par)?;
        if !verdict.keep {
            report.notes.push(format!(
                "residual: a unit along its top eigenvector ({top:.3e}, noise {noise:.3e}): {}: not kept",
                verdict.describe()
            ));
            break;
        }
        let e = relative_error(&polished, val, par)?;
        report.notes.push(format!(
            "residual: added a unit along its top eigenvector ({top:.3e}, noise {noise:.3e}): {}, validation error {error:.3e} -> {e:.3e}",
            verdict.describe()
        ));
        net = polished;
        error = e;
        added += 1;
        errors.push(e);
    }
    if errors.len() > 1 {
        report
            .series
            .insert("residual_validation_errors".to_owned(), errors);
    }
    report.metrics.insert("residual_units".to_owned(), added as f64);
    Ok((net, error, added))
}
