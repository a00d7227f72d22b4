//! Subspaces of ℝ^d, PCA, and the filtered PCA of Chen–Klivans–Meka that
//! recovers the span of a deep network's first-layer weights.
//!
//! # The maths
//!
//! A ReLU network `F(x) = G(W x)` depends on x only through its projection
//! onto `U = rowspan(W)` (dim ≤ k). For any event A defined through the
//! label, `M_A = E[(x xᵀ − I) 1[y ∈ A]]` has its column space inside U
//! (`../shared/algorithms.md` §1.2); filtered PCA finds U one direction at a
//! time from the top eigenvectors of such matrices.
//!
//! # Entry points
//! * [`Subspace`]: an orthonormal basis with the spectrum that found it.
//! * [`SubspaceFinder`]: anything that finds a subspace from samples.
//!
//! The finders arrive with the deep-network issue.
//!
//! # References
//! * S. Chen, A. Klivans, R. Meka. *Learning deep ReLU networks is
//!   fixed-parameter tractable.* FOCS 2021.
//! * S. Chen, R. Meka. *Learning polynomials in few relevant dimensions.*
//!   COLT 2020.

use faer::{Col, ColRef, Mat, MatRef, Par};
use relu_net::{SampleSource, Seed};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Errors of subspace construction and finding.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SubspaceError {
    /// The basis is not orthonormal.
    #[error("the basis is not orthonormal (‖BᵀB − I‖ = {deviation:e}); orthonormalise it first")]
    NotOrthonormal {
        /// Largest entry of `BᵀB − I` in absolute value.
        deviation: f64,
    },
    /// Shapes disagree.
    #[error("{what}: expected {expected} but got {got}")]
    Shape {
        /// What has the wrong size.
        what: &'static str,
        /// Expected size.
        expected: usize,
        /// Actual size.
        got: usize,
    },
    /// A value is NaN or infinite.
    #[error("{what} contains a non-finite value")]
    NonFinite {
        /// What contains it.
        what: &'static str,
    },
}

/// A subspace of ℝ^d: an orthonormal basis (d × m) and, for each basis
/// vector, the eigenvalue (or score) with which it was found.
#[derive(Clone, Debug, PartialEq)]
pub struct Subspace {
    // Invariant: basis has orthonormal columns (to 1e-8), spectrum has one
    // entry per column, all entries finite.
    basis: Mat<f64>,
    spectrum: Col<f64>,
}

impl Subspace {
    /// A subspace from an orthonormal basis and its spectrum.
    ///
    /// # Errors
    /// [`SubspaceError::Shape`] if the spectrum length differs from the
    /// number of columns, [`SubspaceError::NonFinite`],
    /// [`SubspaceError::NotOrthonormal`] if `‖BᵀB − I‖_max > 1e-8`.
    pub fn new(basis: Mat<f64>, spectrum: Col<f64>) -> Result<Self, SubspaceError> {
        if spectrum.nrows() != basis.ncols() {
            return Err(SubspaceError::Shape {
                what: "the spectrum (one value per basis vector)",
                expected: basis.ncols(),
                got: spectrum.nrows(),
            });
        }
        let finite = (0..basis.ncols()).all(|j| (0..basis.nrows()).all(|i| basis[(i, j)].is_finite()))
            && (0..spectrum.nrows()).all(|i| spectrum[i].is_finite());
        if !finite {
            return Err(SubspaceError::NonFinite { what: "a subspace" });
        }
        let gram = basis.transpose() * &basis;
        let mut deviation: f64 = 0.0;
        for i in 0..gram.nrows() {
            for j in 0..gram.ncols() {
                let e = if i == j { 1.0 } else { 0.0 };
                deviation = deviation.max((gram[(i, j)] - e).abs());
            }
        }
        if deviation > 1e-8 {
            return Err(SubspaceError::NotOrthonormal { deviation });
        }
        Ok(Self { basis, spectrum })
    }

    /// The ambient dimension d.
    #[must_use]
    pub fn ambient_dim(&self) -> usize {
        self.basis.nrows()
    }

    /// The subspace dimension m.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.basis.ncols()
    }

    /// The orthonormal basis (d × m).
    #[must_use]
    pub fn basis(&self) -> MatRef<'_, f64> {
        self.basis.as_ref()
    }

    /// The spectrum, one value per basis vector.
    #[must_use]
    pub fn spectrum(&self) -> ColRef<'_, f64> {
        self.spectrum.as_ref()
    }
}

/// Diagnostics of a subspace search (deterministic data, no timings).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Samples used.
    pub samples_used: usize,
    /// Iterations (directions tried).
    pub n_iters: usize,
    /// Whether the stopping rule was met.
    pub converged: bool,
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

#[cfg(test)]
mod tests {
    use super::*;
    use faer::{col, mat};

    #[test]
    fn subspace_requires_an_orthonormal_basis() {
        let s = Subspace::new(mat![[1.0], [0.0], [0.0]], col![2.0]).unwrap();
        assert_eq!((s.ambient_dim(), s.dim()), (3, 1));
        assert!(matches!(
            Subspace::new(mat![[1.0, 1.0], [0.0, 0.0]], col![1.0, 1.0]),
            Err(SubspaceError::NotOrthonormal { .. })
        ));
        assert!(matches!(
            Subspace::new(mat![[1.0]], col![1.0, 2.0]),
            Err(SubspaceError::Shape { .. })
        ));
        assert!(matches!(
            Subspace::new(mat![[f64::NAN]], col![1.0]),
            Err(SubspaceError::NonFinite { .. })
        ));
    }
}
