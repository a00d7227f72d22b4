//! Parameters of [`super::BoundedWeight`]: defaults, validation, the runnable learner.

use crate::error::LearnError;
use crate::exact_erm::ExactErmParams;
use serde::{Deserialize, Serialize};

use super::algorithm::{BoundedWeight, NAME};

/// The search run in the projected space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Inner {
    /// An η-net of the weight ball for every unit, output weights by least
    /// squares.
    Net,
    /// Exact ERM ([`crate::exact_erm`]) on the projected points.
    Exact,
}

/// Parameters of the bounded-weight learner; `validate` makes the runnable
/// [`BoundedWeight`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BoundedWeightParams {
    /// Hidden units k. Default 2.
    pub hidden: usize,
    /// Projection dimension d'. Default 2.
    pub proj_dim: usize,
    /// The search in the projected space. Default `net`.
    pub inner: Inner,
    /// Training rows (the first of the source). Default 2000 for the net;
    /// the exact search uses its own `exact.max_points`.
    pub samples: usize,
    /// Weight bound B of the net (radius of the ball of `(u, b)`).
    /// Default 1.
    pub weight_bound: f64,
    /// Net spacing η. Default 0.25.
    pub resolution: f64,
    /// Largest number of k-subsets the net search may visit (checked before
    /// searching). Default 5·10⁶.
    pub max_candidates: u64,
    /// Settings of the exact search (`hidden` from `hidden`, `max_dim` from
    /// `proj_dim`). Default: 16 points.
    pub exact: ExactErmParams,
    /// Rows after the training rows used to report the validation error.
    /// Default 10⁵.
    pub validation_rows: usize,
    /// Polish the lifted network with Levenberg–Marquardt in ℝ^d (not part
    /// of the paper's algorithm). Default false.
    pub polish: bool,
}

impl Default for BoundedWeightParams {
    fn default() -> Self {
        Self {
            hidden: 2,
            proj_dim: 2,
            inner: Inner::Net,
            samples: 2000,
            weight_bound: 1.0,
            resolution: 0.25,
            max_candidates: 5_000_000,
            exact: ExactErmParams {
                max_points: 16,
                ..ExactErmParams::default()
            },
            validation_rows: 100_000,
            polish: false,
        }
    }
}

impl BoundedWeightParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for out-of-range values.
    pub fn validate(self) -> Result<BoundedWeight, LearnError> {
        if self.hidden == 0 || self.hidden > 8 {
            return Err(LearnError::invalid(
                NAME,
                "hidden",
                self.hidden,
                "between 1 and 8",
            ));
        }
        if self.proj_dim == 0 || self.proj_dim > 6 {
            return Err(LearnError::invalid(
                NAME,
                "proj_dim",
                self.proj_dim,
                "between 1 and 6 (the search is exponential in it)",
            ));
        }
        if self.samples < 2 {
            return Err(LearnError::invalid(NAME, "samples", self.samples, "at least 2"));
        }
        if !(self.resolution > 0.0 && self.weight_bound >= self.resolution && self.weight_bound.is_finite()) {
            return Err(LearnError::invalid(
                NAME,
                "resolution / weight_bound",
                self.resolution,
                "0 < resolution <= weight_bound < inf",
            ));
        }
        ExactErmParams {
            hidden: self.hidden,
            max_dim: self.proj_dim,
            ..self.exact.clone()
        }
        .validate()?;
        Ok(BoundedWeight { params: self })
    }
}

impl crate::registry::LearnerParams for BoundedWeightParams {
    const ID: &'static str = "bounded-weight";

    fn set_hidden(&mut self, k: usize) -> Result<(), LearnError> {
        self.hidden = k;
        Ok(())
    }

    fn build(self) -> Result<Box<dyn crate::Learner>, LearnError> {
        Ok(Box::new(self.validate()?))
    }
}
