//! Parameters of [`super::Glmtron`]: defaults, validation, the runnable learner.

use crate::error::LearnError;
use serde::{Deserialize, Serialize};

use super::algorithm::{Glmtron, NAME};

/// Parameters of GLMtron; `validate` makes the runnable [`Glmtron`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlmtronParams {
    /// Fit a bias b. Default true.
    pub bias: bool,
    /// Iteration cap. Default 3000: the expected step contracts the error by
    /// about `1 − 1/(2(d + 1))`, so d = 10 needs about 600 iterations per
    /// factor 10⁻⁵.
    pub max_iters: usize,
    /// Stop when the update's norm falls below this. Default 1e-12.
    pub tol: f64,
    /// Fraction of the rows held out for validation. Default 0.1.
    pub validation_fraction: f64,
    /// Training rows loaded at most. Default 10⁶.
    pub max_train: usize,
}

impl Default for GlmtronParams {
    fn default() -> Self {
        Self {
            bias: true,
            max_iters: 3000,
            tol: 1e-12,
            validation_fraction: 0.1,
            max_train: 1_000_000,
        }
    }
}

impl GlmtronParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for out-of-range values.
    pub fn validate(self) -> Result<Glmtron, LearnError> {
        if self.max_iters == 0 || self.max_train == 0 {
            return Err(LearnError::invalid(
                NAME,
                "max_iters / max_train",
                0.0,
                "at least 1",
            ));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(LearnError::invalid(NAME, "tol", self.tol, "a finite number >= 0"));
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction <= 0.5) {
            return Err(LearnError::invalid(
                NAME,
                "validation_fraction",
                self.validation_fraction,
                "in (0, 0.5]",
            ));
        }
        Ok(Glmtron { params: self })
    }
}

impl crate::registry::LearnerParams for GlmtronParams {
    const ID: &'static str = "glmtron";

    fn build(self) -> Result<Box<dyn crate::Learner>, LearnError> {
        Ok(Box::new(self.validate()?))
    }
}
