//! Parameters of [`super::Narrow`].

use gaussian_moments::MomentParams;
use serde::{Deserialize, Serialize};

use super::Narrow;
use crate::error::LearnError;
use crate::polish::PolishParams;

/// Parameters of the narrow-network learner; `validate` makes the runnable
/// [`Narrow`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NarrowParams {
    /// Largest number of hidden units k (directions found at most). Default
    /// 4 when `None`.
    pub hidden: Option<usize>,
    /// Cap on the (even) moment orders: step 1 estimates `M_l` for every
    /// even l ≤ `min(2k + 2, max_order)`, the orders CDGKM's analysis needs.
    /// Default 20 (the largest accepted), so the theory's 2k + 2 is reached
    /// for k ≤ 9; orders whose matrices stay inside their noise (the
    /// variance grows like l!) cost one pass each and add nothing.
    pub max_order: usize,
    /// Fraction of the rows held out for validation. Default 0.1.
    pub validation_fraction: f64,
    /// Eigenvalues of `M_l` above this multiple of its noise level span V.
    /// Default 3.
    pub subspace_threshold: f64,
    /// Largest number of points of the net over the unit sphere of V (for
    /// every dimension m of V; the net's covering angle, reported as
    /// `net_covering_angle`, is `2 asin(√(m − 1)/(2g))` with g the largest
    /// integer such that `m g^{m−1}` fits). Default 8000: covering angles
    /// 0.028 rad for m = 3, 0.14 for m = 4, 0.34 for m = 5 and 0.57 for
    /// m = 6, from where the refinement at finer scales takes over (20 000
    /// gives 0.017, 0.10, 0.29, 0.45 at 2–3× the time of discovery).
    pub net_points: usize,
    /// Samples used to fit and score candidates. Default 100 000.
    pub fit_samples: usize,
    /// Candidates within this angle (radians, up to sign) of a chosen
    /// direction are skipped: closer neurons collapse. Default 1e-3.
    pub resolution: f64,
    /// A new direction must lower the validation error by this fraction.
    /// Default 0.01.
    pub min_improvement: f64,
    /// Validation error (relative to Var(y)) above which the search in the
    /// joint subspace runs (`narrow` step 7: Adam with `hidden` units on `Vᵀx`, then
    /// the polish in ℝ^d). Default 0.05, the error above which a fit counts
    /// as not recovered; `inf` turns the step off.
    pub search_above: f64,
    /// Projected training rows given to that search. Default 50 000 (parity-16
    /// in a 4-dimensional V: the same validation error, 2·10⁻², as with
    /// 200 000 rows, in a quarter of the time).
    pub search_rows: usize,
    /// Whether to polish by Levenberg–Marquardt. Default true.
    pub polish: bool,
    /// Settings of the polish. Default: [`PolishParams::default`] without
    /// the warm start. narrow polishes an improper, ill-conditioned
    /// network (pairs of ReLUs per direction plus a linear part) that often
    /// does not converge within `max_iters`; from the warm start the result
    /// was as often worse as better (24 paired fits, d = 10, k = 3–4,
    /// n = 10⁵), and the fallback to a cold polish doubled the time
    /// (scaling suite, k = 8: 9.8 s → 20.5 s). At most 100 iterations
    /// (30 elsewhere): units within a few hundredths of a radian make the
    /// Jacobian nearly rank deficient and the polish slow (noise-free cluster
    /// 2 × 0.02 rad, d = 10, k = 4: 2.5·10⁻⁵ after 30 iterations, 10⁻¹¹
    /// after 120); fits that converge stop long before. A work budget of
    /// 2·10⁹ multiply–adds per iteration (10× below the default): the
    /// improper network has p ≈ 2k(d + 1) parameters, and at the default
    /// budget every one of its 20–30 iterations ran on all rows; with this
    /// budget they run on `max(5000, 20p, 2·10⁹/p²)` rows and the
    /// refinement on every training row finishes the fit. Measured on 10
    /// paired fits (signed k = 3–8, d = 10–20, a cluster; 2·10⁵ samples,
    /// noise 0 and 0.1): every fit faster (signed d = 20, k = 8: 75 s →
    /// 40 s), test errors equal or lower (noisy cluster: 6.3·10⁻⁵ →
    /// 1.3·10⁻⁵; noisy k = 3: 1.34·10⁻⁶ both, σ²p/n = 2·10⁻⁶).
    pub polish_params: PolishParams,
    /// Settings of the moment estimators.
    pub moments: MomentParams,
}

impl Default for NarrowParams {
    fn default() -> Self {
        Self {
            hidden: None,
            max_order: 20,
            validation_fraction: 0.1,
            subspace_threshold: 3.0,
            net_points: 8000,
            fit_samples: 100_000,
            resolution: 1e-3,
            min_improvement: 0.01,
            search_above: 0.05,
            search_rows: 50_000,
            polish: true,
            polish_params: PolishParams {
                max_iters: 100,
                warm_start: false,
                flop_budget: 2e9,
                ..PolishParams::default()
            },
            moments: MomentParams::default(),
        }
    }
}

impl NarrowParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for out-of-range values.
    pub fn validate(self) -> Result<Narrow, LearnError> {
        if self.hidden == Some(0) {
            return Err(LearnError::invalid("narrow", "hidden", 0.0, "at least 1"));
        }
        if self.max_order < 2 || self.max_order % 2 == 1 || self.max_order > 20 {
            return Err(LearnError::invalid(
                "narrow",
                "max_order",
                self.max_order,
                "even, between 2 and 20",
            ));
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction <= 0.5) {
            return Err(LearnError::invalid(
                "narrow",
                "validation_fraction",
                self.validation_fraction,
                "in (0, 0.5]",
            ));
        }
        if !(self.subspace_threshold > 0.0 && self.subspace_threshold.is_finite()) {
            return Err(LearnError::invalid(
                "narrow",
                "subspace_threshold",
                self.subspace_threshold,
                "a finite number > 0",
            ));
        }
        if self.net_points == 0 || self.fit_samples < 100 {
            return Err(LearnError::invalid(
                "narrow",
                "net_points / fit_samples",
                0.0,
                "net_points >= 1 and fit_samples >= 100",
            ));
        }
        if !(0.0..1.0).contains(&self.resolution) || !(0.0..1.0).contains(&self.min_improvement) {
            return Err(LearnError::invalid(
                "narrow",
                "resolution / min_improvement",
                self.resolution,
                "in [0, 1)",
            ));
        }
        if self.search_above.is_nan() || self.search_above < 0.0 || self.search_rows < 100 {
            return Err(LearnError::invalid(
                "narrow",
                "search_above / search_rows",
                self.search_above,
                "search_above >= 0 (inf: never) and search_rows >= 100",
            ));
        }
        self.polish_params.validate("narrow", "polish_params")?;
        let est = self.moments.validate()?;
        Ok(Narrow { params: self, est })
    }
}

impl crate::registry::LearnerParams for NarrowParams {
    const ID: &'static str = "narrow";

    fn set_hidden(&mut self, k: usize) -> Result<(), LearnError> {
        self.hidden = Some(k);
        Ok(())
    }

    fn build(self) -> Result<Box<dyn crate::Learner>, LearnError> {
        Ok(Box::new(self.validate()?))
    }
}
