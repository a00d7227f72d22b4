//! Step 5b of narrow, CDGKM's re-estimation on the residual: after a group
//! of units has been discovered in V, the moments are estimated again on
//! what the discovered network leaves, `r = y − f̂(x)`, and directions of
//! the residual's moment matrices outside V extend it.
//!
//! The residual is again a bias-free one-hidden-layer network in the |·|
//! form (plus what the fit got slightly wrong), so the same contracted
//! matrices apply: `R_l = E[r S_l(x)](g^{l−2}, ·, ·) / ĉ_l(0)` for l = 2, 4,
//! with the same random unit g as step 1. Their noise scales with the
//! residual, not with y, so units whose contributions to y's moments
//! nearly cancel (a pair of opposite output weights 0.02 rad apart has a
//! net weight of order 0.02) stand out once the strong units are fitted.
//! The eigenvectors of `P⊥ R_l P⊥` (P⊥ the projector off V) above
//! `subspace_threshold` × the Wigner noise of `R_l` are added to V, and
//! discovery runs again in the larger V (at most [`MAX_ROUNDS`] times;
//! the fit reports `regroup_rounds` and `regroup_added_dimensions`).

use faer::{Col, Mat, MatRef, Par};
use gaussian_moments::hermite::relu_coefficient;
use gaussian_moments::{Estimator, low_order_moments, matrix_contractions};
use relu_net::Network;
use tensor_decomp::fit::top_eigen;

use crate::common::Rows;
use crate::error::LearnError;
use crate::linalg::wigner_noise;
use crate::residual_labels::ResidualLabels;

/// Rounds of re-estimation at most.
pub(super) const MAX_ROUNDS: usize = 3;

/// The residual's significant directions outside V, appended to V and
/// orthonormalised; `None` when the residual's `R_2` and `R_4` show
/// nothing outside V above `threshold` × their noise.
///
/// # Errors
/// [`LearnError::Moment`] and eigen-decomposition failures.
pub(super) fn extended_subspace(
    train: &Rows<'_>,
    net: &Network,
    v: MatRef<'_, f64>,
    g: &Col<f64>,
    (est, threshold): (&Estimator, f64),
    par: Par,
) -> Result<Option<Mat<f64>>, LearnError> {
    let d = v.nrows();
    let res = ResidualLabels::new(train, net);
    let off = Mat::<f64>::identity(d, d) - v * v.transpose();
    let mut projector = Mat::<f64>::zeros(d, d);
    for l in [2, 4] {
        let raw = if l == 2 {
            low_order_moments(&res, est, par)?.t2
        } else {
            matrix_contractions(&res, l, std::slice::from_ref(g), est, par)?.remove(0)
        };
        let scale = 1.0 / relu_coefficient(l, 0.0);
        let noise = wigner_noise(&raw) * scale.abs();
        let outside = &off * (faer::Scale(scale) * &raw.mean) * &off;
        let (vecs, vals) = top_eigen(outside.as_ref(), d)?;
        for (i, val) in vals.iter().enumerate() {
            if val.abs() > threshold * noise {
                let c = vecs.col(i);
                projector += c * c.transpose();
            }
        }
    }
    let (pv, pvals) = top_eigen(projector.as_ref(), d)?;
    let new = pvals.iter().take_while(|&&x| x >= 0.5).count().min(d - v.ncols());
    if new == 0 {
        return Ok(None);
    }
    let joined = Mat::from_fn(d, v.ncols() + new, |i, j| {
        if j < v.ncols() {
            v[(i, j)]
        } else {
            pv[(i, j - v.ncols())]
        }
    });
    Ok(Some(subspace_pca::orthonormalize(joined.as_ref(), 1e-8)))
}
