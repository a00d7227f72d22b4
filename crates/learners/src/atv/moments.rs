//! Step 3 of atv: the moments of the projected inputs `z = Uᵀ x`, and
//! everything steps 4–6 start from.

use faer::{Col, Mat, MatRef, Par};
use gaussian_moments::{LowOrderMoments, PopulationMoments, Projected, dense_moments};
use tensor_decomp::{CpModel, DenseSymTensor};

use super::Atv;
use crate::common::Rows;
use crate::error::LearnError;

/// The moments of the projected inputs `z = Uᵀ x` that steps 4–6 use.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectedMoments {
    /// `E[y z]` (k).
    pub t1: Col<f64>,
    /// `E[y S_2(z)]`.
    pub t2: DenseSymTensor,
    /// `E[y S_3(z)]`.
    pub t3: DenseSymTensor,
    /// `E[y S_4(z)]`.
    pub t4: DenseSymTensor,
}

impl ProjectedMoments {
    /// The exact projected moments of a depth-2 network (for population
    /// tests): `T_l(U, …, U)` from its CP form.
    ///
    /// # Errors
    /// [`LearnError::Moment`] for networks of another depth.
    pub fn from_population(pop: &PopulationMoments, u: MatRef<'_, f64>) -> Result<Self, LearnError> {
        let project = |l: usize| -> Result<DenseSymTensor, LearnError> {
            let t = pop.tensor(l)?;
            let factors = u.transpose() * t.factors();
            Ok(DenseSymTensor::from_cp(&CpModel::new(
                l,
                t.weights().to_owned(),
                factors,
            )?)?)
        };
        Ok(Self {
            t1: u.transpose() * pop.order1(),
            t2: project(2)?,
            t3: project(3)?,
            t4: project(4)?,
        })
    }
}

/// Everything steps 4–6 start from.
#[derive(Clone, Debug, PartialEq)]
pub struct AtvMoments {
    /// `E[y]`.
    pub t0: f64,
    /// `E[y x]` (d).
    pub t1: Col<f64>,
    /// The subspace U (d × k).
    pub basis: Mat<f64>,
    /// The moments of `z = Uᵀ x`.
    pub projected: ProjectedMoments,
    /// The noise levels of the projected `T_2`, `T_3`, `T_4`
    /// ([`noise_level`] of their entrywise standard errors).
    pub noise: [f64; 3],
}

/// The noise level of an order-l moment tensor in k dimensions whose
/// entries have standard errors `se` (all `k^l` of them): the root mean
/// square standard error times `√(l k)`, the order of the spectral norm of a
/// symmetric tensor of independent entries of that size (for l = 2 the
/// Wigner scale `2√k` up to the factor √2; for higher orders Tomioka &
/// Suzuki's bound `√(l k log l)` up to the log). A unit whose weight in the
/// tensor, `|ã ĉ_l(β)|`, stands well above it is identifiable from that
/// moment at this n.
#[must_use]
pub fn noise_level(se: &[f64], l: usize, k: usize) -> f64 {
    if se.is_empty() {
        return f64::NAN;
    }
    let ms = se.iter().map(|v| v * v).sum::<f64>() / se.len() as f64;
    ms.sqrt() * ((l * k) as f64).sqrt()
}

/// Each hidden unit's moment confidence: the largest over l = 2, 3, 4 of
/// its weight `|ã ĉ_l(β)|` in `T_l` over that tensor's noise level, for the
/// units of `net` (depth 2) in canonical form (zero units get 0). Below
/// about 3 the moments alone do not pin the unit down at this n.
pub(super) fn unit_confidence(net: &relu_net::Network, noise: &[f64; 3]) -> Result<Vec<f64>, LearnError> {
    let pop = PopulationMoments::of_depth2(net)?;
    // PopulationMoments keeps the units with w ≠ 0, in order: map them back.
    let w = net.as_depth2()?.w;
    let nonzero: Vec<usize> = (0..w.nrows())
        .filter(|&i| (0..w.ncols()).any(|j| w[(i, j)] != 0.0))
        .collect();
    let mut best = vec![0.0f64; w.nrows()];
    for (l, level) in (2..=4).zip(noise) {
        let weights = pop.tensor(l)?.weights().to_owned();
        for (c, &i) in nonzero.iter().enumerate() {
            best[i] = best[i].max(weights[c].abs() / level);
        }
    }
    Ok(best)
}

impl Atv {
    /// Step 3: projects the training inputs on `u` (d × k) and estimates
    /// the dense tensors `T_1 … T_4` of `z = Uᵀ x` in one pass; `T_0` and
    /// `T_1` of x come from step 1's `low`.
    ///
    /// # Errors
    /// [`LearnError::Moment`] from the estimators.
    pub(super) fn project_moments(
        &self,
        train: &Rows<'_>,
        low: &LowOrderMoments,
        u: Mat<f64>,
        par: Par,
    ) -> Result<AtvMoments, LearnError> {
        let k = u.ncols();
        let projected = Projected::new(train, u.as_ref())?;
        let dense = dense_moments(&projected, 4, &self.est, par)?;
        let proj = ProjectedMoments {
            t1: Col::from_fn(k, |i| dense[1].mean[i]),
            t2: DenseSymTensor::new(2, k, dense[2].mean.clone())?,
            t3: DenseSymTensor::new(3, k, dense[3].mean.clone())?,
            t4: DenseSymTensor::new(4, k, dense[4].mean.clone())?,
        };
        let noise = [2, 3, 4].map(|l| noise_level(&dense[l].std_error, l, k));
        Ok(AtvMoments {
            t0: low.t0.mean,
            t1: low.t1.mean.clone(),
            basis: u,
            projected: proj,
            noise,
        })
    }
}
