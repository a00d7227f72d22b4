//! Parameters of [`super::TensorPower`].

use serde::{Deserialize, Serialize};

use super::TensorPower;
use crate::error::DecompError;

/// Parameters of the tensor power method; `validate` makes the runnable
/// [`TensorPower`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TensorPowerParams {
    /// Random starts per component. Default 10 (the paper's L grows like
    /// r log r; 10 suffices for r ≤ 20 in our tests).
    pub restarts: usize,
    /// Iterations per start and for the final refinement. Default 100:
    /// convergence is quadratic for orthogonal tensors of order 3.
    pub n_iters: usize,
    /// Step size `‖θ_new − θ‖` at which an iteration stops. Default 1e-12.
    pub tol: f64,
    /// Probe contractions for the weights and for the residual. Default 3.
    pub n_probes: usize,
}

impl Default for TensorPowerParams {
    fn default() -> Self {
        Self {
            restarts: 10,
            n_iters: 100,
            tol: 1e-12,
            n_probes: 3,
        }
    }
}

impl TensorPowerParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`DecompError::InvalidParam`] for zero counts or a non-positive
    /// tolerance.
    pub fn validate(self) -> Result<TensorPower, DecompError> {
        if self.restarts == 0 || self.n_iters == 0 || self.n_probes == 0 {
            return Err(DecompError::InvalidParam {
                name: "restarts / n_iters / n_probes",
                value: 0.0,
                expected: "at least 1",
            });
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return Err(DecompError::InvalidParam {
                name: "tol",
                value: self.tol,
                expected: "a finite number > 0",
            });
        }
        Ok(TensorPower { params: self })
    }
}
