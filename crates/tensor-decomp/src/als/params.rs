//! Parameters of [`super::Als`].

use serde::{Deserialize, Serialize};

use super::Als;
use crate::error::DecompError;

/// Parameters of ALS; `validate` makes the runnable [`Als`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlsParams {
    /// Starts (the first from eigenvectors, the others random). Default 5:
    /// ALS can stall in a local minimum, and a restart is cheap.
    pub restarts: usize,
    /// Iteration cap per start. Default 1000.
    pub max_iters: usize,
    /// Step size at which iterations stop. Default 1e-13.
    pub tol: f64,
    /// Probe contractions for the weights and for the residual. Default 3.
    pub n_probes: usize,
    /// Remaining restarts are skipped once a restart converges with a
    /// residual below this. Default 1e-10 (an exact fit up to rounding).
    pub stop_residual: f64,
}

impl Default for AlsParams {
    fn default() -> Self {
        Self {
            restarts: 5,
            max_iters: 1000,
            tol: 1e-13,
            n_probes: 3,
            stop_residual: 1e-10,
        }
    }
}

impl AlsParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`DecompError::InvalidParam`] for zero counts or a non-positive
    /// tolerance.
    pub fn validate(self) -> Result<Als, DecompError> {
        if self.restarts == 0 || self.max_iters == 0 || self.n_probes == 0 {
            return Err(DecompError::InvalidParam {
                name: "restarts / max_iters / n_probes",
                value: 0.0,
                expected: "at least 1",
            });
        }
        if !(self.stop_residual >= 0.0 && self.stop_residual.is_finite()) {
            return Err(DecompError::InvalidParam {
                name: "stop_residual",
                value: self.stop_residual,
                expected: "a finite number >= 0",
            });
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return Err(DecompError::InvalidParam {
                name: "tol",
                value: self.tol,
                expected: "a finite number > 0",
            });
        }
        Ok(Als { params: self })
    }
}
