//! The [`Decomposer`] trait, the [`Hints`] a caller may pass, and the
//! [`Report`] every backend returns.

use faer::{MatRef, Par};
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
    /// Relative residual of the fitted model on fresh probe contractions
    /// ([`crate::fit::contraction_residual`]).
    pub residual: f64,
    /// Whether the backend's convergence criterion was met.
    pub converged: bool,
    /// Eigengaps or separation margins seen along the way (backend
    /// specific; documented by each backend).
    pub eigengaps: Vec<f64>,
    /// What happened, in words (rejected draws, restarts, fallbacks).
    pub notes: Vec<String>,
}

/// Extra knowledge a caller can pass to a backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hints<'a> {
    /// A symmetric d × d matrix `Σ_i ρ_i u_i u_iᵀ` with the same factors
    /// as the tensor and non-zero ρ_i: for example the second-order moment.
    /// Jennrich uses it as the reference of the matrix pencil (it may be
    /// indefinite); the tensor power method whitens with it (it must then
    /// be semidefinite on its top-r eigenspace). Without it, Jennrich uses a
    /// random contraction of the tensor itself and the power method assumes
    /// orthogonal factors.
    pub reference: Option<MatRef<'a, f64>>,
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
    /// [`DecompError`] for ranks or orders the backend cannot handle, for
    /// hints of the wrong shape and for non-finite input.
    fn decompose(
        &self,
        t: &dyn SymTensor,
        rank: usize,
        hints: &Hints<'_>,
        seed: u64,
        par: Par,
    ) -> Result<(CpModel, Report), DecompError>;
}

/// Checks the common preconditions: rank in 1..=d, order within
/// `min_order..`, reference of shape d × d with finite entries.
pub(crate) fn check_problem(
    t: &dyn SymTensor,
    rank: usize,
    hints: &Hints<'_>,
    min_order: usize,
) -> Result<(), DecompError> {
    if rank == 0 {
        return Err(DecompError::ZeroRank);
    }
    if rank > t.dim() {
        return Err(DecompError::RankTooLarge {
            rank,
            dim: t.dim(),
            max: t.dim(),
        });
    }
    if t.order() < min_order {
        return Err(DecompError::UnsupportedOrder {
            order: t.order(),
            supported: if min_order == 3 {
                "order 3 or more"
            } else {
                "order 2 or more"
            },
        });
    }
    if let Some(r) = hints.reference {
        if r.nrows() != t.dim() || r.ncols() != t.dim() {
            return Err(DecompError::Shape {
                what: "the reference matrix (d × d)",
                expected: t.dim(),
                got: r.nrows(),
            });
        }
        if (0..r.ncols()).any(|j| (0..r.nrows()).any(|i| !r[(i, j)].is_finite())) {
            return Err(DecompError::NonFinite {
                what: "the reference matrix",
            });
        }
    }
    Ok(())
}
