//! Parameters of [`super::FilteredPca`].

use gaussian_moments::MomentParams;
use serde::{Deserialize, Serialize};

use super::FilteredPca;
use crate::error::SubspaceError;

/// Parameters of filtered PCA; `validate` makes the runnable
/// [`FilteredPca`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilteredPcaParams {
    /// Most directions to find (the first-layer width k when known).
    /// Default 10.
    pub max_dim: usize,
    /// Quantiles of |y| used as thresholds of `|y| ≥ τ`. Default
    /// 0.5, 0.75, 0.9, 0.97.
    pub abs_quantiles: Vec<f64>,
    /// Quantiles of y whose consecutive pairs bound label intervals.
    /// Default 0.05, 0.3, 0.7, 0.95.
    pub interval_quantiles: Vec<f64>,
    /// Half-width of Chen–Meka's slab `|⟨v_i, x⟩| ≤ slab`. Default 1.
    pub slab: f64,
    /// An eigenvalue must exceed this multiple of the noise floor. Default 4.
    pub noise_mult: f64,
    /// Whether to compare with the shifted-label null. Default true.
    pub null: bool,
    /// An eigenvalue must exceed this multiple of the null's. Default 2.
    pub null_mult: f64,
    /// Fraction of the rows held out for the stopping rule. Default 0.2.
    pub validation_fraction: f64,
    /// Stop when the held-out regression leaves less than this fraction of
    /// the variance. Default 0.01.
    pub target_error: f64,
    /// Bins per coordinate of the held-out regression. Default 8.
    pub bins: usize,
    /// Settings of the moment estimators.
    pub moments: MomentParams,
}

impl Default for FilteredPcaParams {
    fn default() -> Self {
        Self {
            max_dim: 10,
            abs_quantiles: vec![0.5, 0.75, 0.9, 0.97],
            interval_quantiles: vec![0.05, 0.3, 0.7, 0.95],
            slab: 1.0,
            noise_mult: 4.0,
            null: true,
            null_mult: 2.0,
            validation_fraction: 0.2,
            target_error: 0.01,
            bins: 8,
            moments: MomentParams::default(),
        }
    }
}

impl FilteredPcaParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`SubspaceError::InvalidParam`] for out-of-range values.
    pub fn validate(self) -> Result<FilteredPca, SubspaceError> {
        let bad = |name: &'static str, value: f64, expected: &'static str| SubspaceError::InvalidParam {
            name,
            value,
            expected,
        };
        if self.max_dim == 0 {
            return Err(bad("max_dim", 0.0, "at least 1"));
        }
        if self
            .abs_quantiles
            .iter()
            .chain(&self.interval_quantiles)
            .any(|q| !(0.0..1.0).contains(q))
        {
            return Err(bad("quantiles", f64::NAN, "in [0, 1)"));
        }
        if self.abs_quantiles.is_empty() && self.interval_quantiles.len() < 2 {
            return Err(bad(
                "quantiles",
                0.0,
                "at least one threshold or two interval quantiles",
            ));
        }
        for (name, v) in [
            ("slab", self.slab),
            ("noise_mult", self.noise_mult),
            ("null_mult", self.null_mult),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(bad(name, v, "a finite number > 0"));
            }
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return Err(bad("validation_fraction", self.validation_fraction, "in (0, 1)"));
        }
        if self.bins < 2 || !(0.0..1.0).contains(&self.target_error) {
            return Err(bad(
                "bins / target_error",
                self.bins as f64,
                "bins >= 2 and target_error in [0, 1)",
            ));
        }
        let est = self.moments.validate()?;
        Ok(FilteredPca { params: self, est })
    }
}
