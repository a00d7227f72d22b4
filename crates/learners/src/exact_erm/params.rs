//! Parameters of [`super::ExactErm`]: defaults, validation, the runnable learner.

use crate::error::LearnError;
use serde::{Deserialize, Serialize};

use super::algorithm::{ExactErm, NAME};

/// Parameters of exact ERM; `validate` makes the runnable [`ExactErm`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExactErmParams {
    /// Hidden units k. Default 2.
    pub hidden: usize,
    /// Units have biases `relu(⟨a, x⟩ + b)`; false: `relu(⟨a, x⟩)`.
    /// Default true.
    pub biases: bool,
    /// Fit an output bias c. Default true.
    pub output_bias: bool,
    /// Convex-map case (Froese–Hertrich): all output weights positive, so
    /// the network is a convex function. Default false.
    pub convex: bool,
    /// Training points used by the learner (the first rows of the source).
    /// Default 24.
    pub max_points: usize,
    /// Largest input dimension accepted. Default 3.
    pub max_dim: usize,
    /// Largest number of convex programs the enumeration may need (checked
    /// before any is solved). Default 2·10⁶.
    pub max_programs: u64,
    /// Stop as soon as a loss ≤ `zero_tol · (1 + mean y²)` is found: the
    /// optimum is certified to be zero. Default 1e-24.
    pub zero_tol: f64,
}

impl Default for ExactErmParams {
    fn default() -> Self {
        Self {
            hidden: 2,
            biases: true,
            output_bias: true,
            convex: false,
            max_points: 24,
            max_dim: 3,
            max_programs: 2_000_000,
            zero_tol: 1e-24,
        }
    }
}

impl ExactErmParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for out-of-range values.
    pub fn validate(self) -> Result<ExactErm, LearnError> {
        if self.hidden == 0 || self.hidden > 8 {
            return Err(LearnError::invalid(
                NAME,
                "hidden",
                self.hidden,
                "between 1 and 8",
            ));
        }
        if self.max_points < 1 || self.max_dim < 1 || self.max_programs < 1 {
            return Err(LearnError::invalid(
                NAME,
                "max_points / max_dim / max_programs",
                0.0,
                "at least 1",
            ));
        }
        if !(self.zero_tol >= 0.0 && self.zero_tol.is_finite()) {
            return Err(LearnError::invalid(
                NAME,
                "zero_tol",
                self.zero_tol,
                "a finite number >= 0",
            ));
        }
        Ok(ExactErm { params: self })
    }
}

impl crate::registry::LearnerParams for ExactErmParams {
    const ID: &'static str = "exact-erm";

    fn set_hidden(&mut self, k: usize) -> Result<(), LearnError> {
        self.hidden = k;
        Ok(())
    }

    fn build(self) -> Result<Box<dyn crate::Learner>, LearnError> {
        Ok(Box::new(self.validate()?))
    }
}
