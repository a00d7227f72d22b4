//! Subspaces of ℝ^d, PCA, and the filtered PCA of Chen–Klivans–Meka that
//! recovers the span of a deep network's first-layer weights.
//!
//! # The maths
//!
//! A ReLU network `F(x) = G(W x)` depends on x only through its projection
//! onto `U = rowspan(W)` (dim ≤ k). For any event A defined through the
//! label, `M_A = E[(x xᵀ − I) 1[y ∈ A]]` has its column space inside U
//! (see `docs/math/subspace-pca.md`); filtered PCA finds U one direction at
//! a time from the top eigenvectors of such matrices.
//!
//! # Entry points
//! * [`Subspace`]: an orthonormal basis with the spectrum that found it;
//!   [`principal_angles`], [`sin_theta`], [`orthonormalize`].
//! * [`dense_pca`], [`randomized_pca`]: PCA of symmetric operators.
//! * [`SubspaceFinder`]: anything that finds a subspace from samples;
//!   [`FilteredPca`] is the CKM / Chen–Meka finder.
//!
//! # Example
//! Filtered PCA finds the two-dimensional span of a depth-3 network's first
//! layer in ℝ⁸ from samples:
//! ```
//! use faer::Par;
//! use relu_net::{Family, Planted, Seed};
//! use subspace_pca::{FilteredPcaParams, SubspaceFinder, orthonormalize, sin_theta};
//!
//! let teacher = Family::Deep { dim: 8, widths: vec![2, 2], bias_std: 0.0 }.plant(Seed(1))?;
//! let data = Planted::new(teacher.clone(), 60_000, 0.0, Seed(2))?;
//! let finder = FilteredPcaParams { max_dim: 3, ..FilteredPcaParams::default() }.validate()?;
//! let (found, _report) = finder.find(&data, Seed(3), Par::Seq)?;
//! let truth = orthonormalize(teacher.layers()[0].weight().transpose(), 1e-10);
//! assert_eq!(found.dim(), 2);
//! assert!(sin_theta(found.basis(), truth.as_ref())? < 0.1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # References
//! * S. Chen, A. Klivans, R. Meka. *Learning deep ReLU networks is
//!   fixed-parameter tractable.* FOCS 2021.
//! * S. Chen, R. Meka. *Learning polynomials in few relevant dimensions.*
//!   COLT 2020.

mod error;
pub mod filtered;
mod pca;
mod subspace;

use std::collections::BTreeMap;

use faer::Par;
use relu_net::{SampleSource, Seed};
use serde::{Deserialize, Serialize};

pub use error::SubspaceError;
pub use filtered::{FilteredPca, FilteredPcaParams, RoundRecord};
pub use pca::{Dense, SymOperator, dense_pca, randomized_pca};
pub use subspace::{Subspace, orthonormalize, principal_angles, sin_theta};

/// Diagnostics of a subspace search (deterministic data, no timings).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Samples used.
    pub samples_used: usize,
    /// Rounds (directions tried).
    pub n_iters: usize,
    /// Whether a stopping rule (noise floor, null, explained variance) ended
    /// the search rather than the dimension cap.
    pub converged: bool,
    /// What each round found.
    pub rounds: Vec<RoundRecord>,
    /// Named scalar diagnostics.
    pub metrics: BTreeMap<String, f64>,
    /// Decisions taken, in words.
    pub notes: Vec<String>,
}

/// Anything that finds a subspace from samples.
pub trait SubspaceFinder {
    /// Finds a subspace from the samples of `src`.
    ///
    /// # Errors
    /// [`SubspaceError`] for unusable input.
    fn find(&self, src: &dyn SampleSource, seed: Seed, par: Par)
    -> Result<(Subspace, Report), SubspaceError>;
}
