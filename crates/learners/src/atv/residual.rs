//! Step 8 of `atv` (module docs): units found in the residual.
//!
//! When a unit's second-moment weight `a ĉ_2(b) = a φ(b)/√2` is small (|b|
//! near 2 or above, or a small |a|), its eigenvalue of `T_2` can sit inside
//! the noise of `T_2`, whose size is set by the labels' variance: at
//! d = 50, k = 10, |b| ≤ 2 and 10⁶ samples the tenth eigenvalue was 0.040
//! against a noise level of 0.048. Steps 2–7 then fit the other units and
//! waste one on noise. The residual of that fit, `r = y − f̂(x)`, is a
//! network of its own whose largest part is the missed unit, and the noise
//! of its second Hermite moment
//!
//! `R = E[r S_2(x)] = a ĉ_2(b) w wᵀ + (what the fit got slightly wrong)`
//!
//! scales with the residual's size, not the labels': after a fit at relative
//! error 6.5·10⁻⁴ it is about 40 times smaller than `T_2`'s, and the missed
//! unit stands far above it. This step takes every eigenvector u of R whose
//! |eigenvalue| stands above 1.5 times R's Wigner noise level (the
//! threshold of step 2) as a unit's direction; the units are fitted one
//! after the other on what the previous ones left, each with its sign s,
//! bias b and output weight a by least squares of the residual on
//! `(relu(s⟨u, x⟩ + b), 1)` over a grid of b (the output bias absorbs the
//! constant). When several units are missed their eigenvectors mix them;
//! the polish of the whole network that follows separates them. The larger
//! network is kept only if its validation error's excess above the noise
//! floor falls by at least half, significantly ([`crate::compare`]), and
//! the step repeats on the new residual, adding at most `max_units` units
//! in all.
//!
//! The same re-estimation on the residual is CDGKM's iterative step
//! (`narrow` step 6); in ATV's pipeline it is an addition, announced in the
//! report.

use faer::{MatRef, Par};
use gaussian_moments::{Estimator, low_order_moments};
use relu_net::{Network, SampleSource};
use tensor_decomp::fit::top_eigen;

use crate::Report;
use crate::common::{Rows, load_rows, relative_error, with_units};
use crate::compare::compare;
use crate::error::LearnError;
use crate::linalg::wigner_noise;
use crate::polish::{PolishParams, polish_lm};
use crate::residual_labels::ResidualLabels;

/// Biases tried for a residual unit: −4 to 4 in steps of 1/8 (the polish
/// refines it; atv's `max_bias` default is 4).
const BIAS_GRID: std::ops::RangeInclusive<i32> = -32..=32;

/// What [`grow`] needs besides the network.
pub(super) struct GrowParams<'a> {
    /// At most this many units are added.
    pub max_units: usize,
    /// Rows used for the least-squares unit.
    pub fit_samples: usize,
    pub est: &'a Estimator,
    pub polish: &'a PolishParams,
}

/// The unit `(s u, s b, a)` and output-bias shift `c` that best fit the
/// residual `r` at `z = ⟨u, x⟩`: least squares of r on
/// `(relu(s z + b), 1)` for s = ±1 and b on [`BIAS_GRID`]. Returns the
/// sign, bias, output weight and shift.
fn best_unit(z: &[f64], r: &[f64]) -> Option<(f64, f64, f64, f64)> {
    let n = z.len() as f64;
    let r_mean = r.iter().sum::<f64>() / n;
    let mut best: Option<(f64, f64, f64, f64, f64)> = None;
    let mut f = vec![0.0; z.len()];
    for s in [1.0, -1.0] {
        for step in BIAS_GRID {
            let b = f64::from(step) / 8.0;
            // Centred least squares on one feature: a = cov(f, r) / var(f).
            for (fi, zi) in f.iter_mut().zip(z) {
                *fi = (s * zi + b).max(0.0);
            }
            let f_mean = f.iter().sum::<f64>() / n;
            let (mut sff, mut sfr) = (0.0, 0.0);
            for (fi, ri) in f.iter().zip(r) {
                let fc = fi - f_mean;
                sff += fc * fc;
                sfr += fc * (ri - r_mean);
            }
            if sff <= 1e-12 * n {
                continue;
            }
            // The fall of the residual sum of squares.
            let gain = sfr * sfr / sff;
            if best.is_none_or(|bst| gain > bst.0) {
                let a = sfr / sff;
                best = Some((gain, s, b, a, r_mean - a * f_mean));
            }
        }
    }
    best.map(|(_, s, b, a, c)| (s, b, a, c))
}

/// The units for the eigenvectors (columns of `vecs`) of the residual's
/// second moment, fitted one after the other on the first `rows` rows:
/// each by [`best_unit`] on what the previous ones left.
fn units_from(
    res: &ResidualLabels<'_>,
    rows: usize,
    vecs: MatRef<'_, f64>,
) -> (Vec<(Vec<f64>, f64, f64)>, f64) {
    let (x, r) = load_rows(res, rows);
    let mut r: Vec<f64> = (0..r.nrows()).map(|i| r[i]).collect();
    let z = &x * vecs;
    let mut units = Vec::new();
    let mut shift = 0.0;
    for j in 0..vecs.ncols() {
        let zj: Vec<f64> = (0..z.nrows()).map(|i| z[(i, j)]).collect();
        let Some((s, b, a, c)) = best_unit(&zj, &r) else {
            continue;
        };
        for (ri, zi) in r.iter_mut().zip(&zj) {
            *ri -= a * (s * zi + b).max(0.0) + c;
        }
        shift += c;
        units.push(((0..vecs.nrows()).map(|i| s * vecs[(i, j)]).collect(), b, a));
    }
    (units, shift)
}

/// Step 8 (see the module docs): adds units found in the residual's second
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
    let mut errors = vec![error];
    while net.depth() == 2 && added < g.max_units && error > 0.0 {
        let res = ResidualLabels::new(train, &net);
        let r2 = low_order_moments(&res, g.est, par)?.t2;
        let noise = wigner_noise(&r2);
        let room = (g.max_units - added).min(r2.mean.nrows());
        let (vecs, vals) = top_eigen(r2.mean.as_ref(), room)?;
        let above = vals
            .iter()
            .take(vecs.ncols())
            .take_while(|v| v.abs() > 1.5 * noise)
            .count();
        let top = vals.first().map_or(0.0, |v| v.abs());
        if above == 0 {
            report.notes.push(format!(
                "residual: top eigenvalue {top:.3e} of its second moment within 1.5x its noise level {noise:.3e}: no unit missed"
            ));
            break;
        }
        let vecs = vecs.subcols(0, above);
        let (units, shift) = units_from(&res, g.fit_samples.min(train.len()), vecs);
        if units.is_empty() {
            break;
        }
        let m = units.len();
        let candidate = with_units(&net, &units, shift)?;
        let (polished, polish) = polish_lm(&candidate, train, g.polish, par)?;
        let verdict = compare(&net, &polished, val, polish.loss_after, par)?;
        if !verdict.keep {
            report.notes.push(format!(
                "residual: {m} unit(s) along its eigenvectors above 1.5x its noise level (top {top:.3e}, noise {noise:.3e}): {}: not kept",
                verdict.describe()
            ));
            break;
        }
        let e = relative_error(&polished, val, par)?;
        report.notes.push(format!(
            "residual: added {m} unit(s) along its eigenvectors above 1.5x its noise level (top {top:.3e}, noise {noise:.3e}): {}, validation error {error:.3e} -> {e:.3e}",
            verdict.describe()
        ));
        net = polished;
        error = e;
        added += m;
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
