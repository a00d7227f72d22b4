//! The [`Decomposer`] trait and the [`Report`] every backend returns.

use faer::Par;
use serde::{Deserialize, Serialize};

use crate::error::DecompError;
use crate::model::CpModel;
use crate::tensor::SymTensor;

/// Diagnostics of one decomposition run (no timings: reports are
/// deterministic data).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The backend's id (kebab-case, e.g. `"jennrich"`).
    pub backend: String,
    /// Iterations (or random draws) used.
    pub n_iters: usize,
    /// Relative residual of the fitted model on the contractions the
    /// backend checked.
    pub residual: f64,
    /// Whether the backend's convergence criterion was met.
    pub converged: bool,
    /// Eigengaps or separation margins seen along the way (backend
    /// specific; documented by each backend).
    pub eigengaps: Vec<f64>,
}

/// A symmetric tensor decomposition backend.
///
/// Backends are chosen at run time (`&dyn Decomposer`), so experiments and
/// learners can swap them from a configuration.
pub trait Decomposer: Sync {
    /// The backend's id, kebab-case, reused in configs, bench ids and
    /// snapshot names.
    fn name(&self) -> &'static str;

    /// Decomposes `t` into `rank` components.
    ///
    /// Non-convergence is reported in [`Report::converged`], not as an
    /// error.
    ///
    /// # Errors
    /// [`DecompError`] for ranks or orders the backend cannot handle and
    /// for non-finite input.
    fn decompose(
        &self,
        t: &dyn SymTensor,
        rank: usize,
        seed: u64,
        par: Par,
    ) -> Result<(CpModel, Report), DecompError>;
}
