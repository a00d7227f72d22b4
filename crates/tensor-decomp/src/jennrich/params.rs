//! Parameters of [`super::Jennrich`].

use serde::{Deserialize, Serialize};

use super::Jennrich;
use crate::error::DecompError;

/// Parameters of Jennrich's algorithm; `validate` makes the runnable
/// [`Jennrich`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JennrichParams {
    /// Random contractions tried; the best-separated real spectrum wins.
    /// Default 8: with independent draws the chance that all have a gap
    /// below a given small δ falls geometrically.
    pub n_draws: usize,
    /// Largest `max |Im μ| / max |μ|` accepted as a real spectrum. Default
    /// 1e-6: exact problems give ~1e-14, noisy ones with well-separated
    /// spectra stay real.
    pub imag_tol: f64,
    /// Smallest relative eigengap counted as converged. Default 1e-4.
    pub min_gap: f64,
    /// Probe contractions for the weights and for the residual. Default 3.
    pub n_probes: usize,
}

impl Default for JennrichParams {
    fn default() -> Self {
        Self {
            n_draws: 8,
            imag_tol: 1e-6,
            min_gap: 1e-4,
            n_probes: 3,
        }
    }
}

impl JennrichParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`DecompError::InvalidParam`] for zero counts or tolerances outside
    /// (0, 1).
    pub fn validate(self) -> Result<Jennrich, DecompError> {
        if self.n_draws == 0 || self.n_probes == 0 {
            return Err(DecompError::InvalidParam {
                name: "n_draws / n_probes",
                value: 0.0,
                expected: "at least 1",
            });
        }
        for (name, v) in [("imag_tol", self.imag_tol), ("min_gap", self.min_gap)] {
            if !(v > 0.0 && v < 1.0) {
                return Err(DecompError::InvalidParam {
                    name,
                    value: v,
                    expected: "in (0, 1)",
                });
            }
        }
        Ok(Jennrich { params: self })
    }
}
