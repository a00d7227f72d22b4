//! Step 1 of narrow: the contracted moment matrices
//! `M_l = E[y S_l(x)](g^{l−2}, ·, ·) / ĉ_l(0)` for even l, the squared-label
//! matrix, and the noise level of each.

use faer::{Col, Mat, Par};
use gaussian_moments::hermite::relu_coefficient;
use gaussian_moments::{Estimator, MatrixEstimate, low_order_moments, matrix_contractions};
use rand::rngs::ChaCha8Rng;
use relu_net::SampleSource;
use tensor_decomp::fit::random_unit;

use super::squared_labels::SquaredLabels;
use crate::common::{LabelStats, Rows};
use crate::error::LearnError;

/// One moment matrix: its order l, `M_l` and its noise level.
pub(super) type Order = (usize, Mat<f64>, f64);

/// The moment matrices of step 1, and what a higher order needs.
pub(super) struct MomentMatrices<'a> {
    /// The training rows.
    train: &'a Rows<'a>,
    /// The moment estimator.
    est: &'a Estimator,
    /// The random unit g of the contractions.
    g: Col<f64>,
    /// `E[y S_2(x)]` with its standard errors (M_2 up to scale).
    t2: MatrixEstimate,
    /// Parallelism.
    par: Par,
    /// `(l, M_l, noise)` for l = 2, 4, …, `top`.
    pub mats: Vec<Order>,
    /// The squared-label matrix `Q = E[(y − ȳ)² S_2(x)]`.
    pub squared: Mat<f64>,
    /// Its noise level.
    pub squared_noise: f64,
    /// The highest order estimated.
    pub top: usize,
}

/// The Wigner-scale noise level of a symmetric estimate scaled by `scale`.
fn noise_of(est: &MatrixEstimate, scale: f64) -> f64 {
    crate::linalg::wigner_noise(est) * scale.abs()
}

impl<'a> MomentMatrices<'a> {
    /// Step 1: draws g from `rng`, then estimates `M_l` for even
    /// l ≤ `top` and the squared-label matrix on the training rows.
    ///
    /// # Errors
    /// [`LearnError::Moment`] from the estimators.
    pub(super) fn estimate(
        train: &'a Rows<'a>,
        labels: &LabelStats,
        est: &'a Estimator,
        top: usize,
        rng: &mut ChaCha8Rng,
        par: Par,
    ) -> Result<Self, LearnError> {
        let d = train.dim();
        let low = low_order_moments(train, est, par)?;
        let g = random_unit(rng, d);
        let squared = low_order_moments(&SquaredLabels::new(train, labels.mean), est, par)?.t2;
        let mut out = Self {
            train,
            est,
            g,
            t2: low.t2,
            par,
            mats: Vec::new(),
            squared_noise: noise_of(&squared, 1.0),
            squared: squared.mean,
            top,
        };
        for l in (2..=top).step_by(2) {
            let m = out.order(l)?;
            out.mats.push(m);
        }
        Ok(out)
    }

    /// The random unit g of the contractions.
    pub(super) fn g(&self) -> &Col<f64> {
        &self.g
    }

    /// `(l, M_l, noise)` for one even order l.
    ///
    /// # Errors
    /// [`LearnError::Moment`] from the estimator.
    pub(super) fn order(&self, l: usize) -> Result<Order, LearnError> {
        let est = if l == 2 {
            self.t2.clone()
        } else {
            matrix_contractions(self.train, l, std::slice::from_ref(&self.g), self.est, self.par)?.remove(0)
        };
        let scale = 1.0 / relu_coefficient(l, 0.0);
        Ok((l, faer::Scale(scale) * &est.mean, noise_of(&est, scale)))
    }
}
