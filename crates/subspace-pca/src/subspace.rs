//! [`Subspace`]: an orthonormal basis with the spectrum that found it;
//! principal angles and sin-θ distances between subspaces.

use faer::{Col, ColRef, Mat, MatRef};

use crate::error::SubspaceError;

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

/// Orthonormalises the columns of `m` by Gram–Schmidt applied twice,
/// dropping columns whose remainder is below `tol` of their norm.
#[must_use]
pub fn orthonormalize(m: MatRef<'_, f64>, tol: f64) -> Mat<f64> {
    let d = m.nrows();
    let mut cols: Vec<Col<f64>> = Vec::new();
    for j in 0..m.ncols() {
        let mut v = m.col(j).to_owned();
        let n0 = v.norm_l2();
        for _ in 0..2 {
            for q in &cols {
                let dot = q.transpose() * &v;
                v -= faer::Scale(dot) * q;
            }
        }
        let n = v.norm_l2();
        if n > tol * n0.max(f64::MIN_POSITIVE) && n > 0.0 {
            cols.push(Col::from_fn(d, |i| v[i] / n));
        }
    }
    Mat::from_fn(d, cols.len(), |i, j| cols[j][i])
}

/// The principal angles between the column spans of two orthonormal bases
/// (ascending, radians): `θ_i = arccos σ_i(Aᵀ B)`; min(dim A, dim B) of them.
///
/// # Errors
/// [`SubspaceError::Shape`] if the ambient dimensions differ,
/// [`SubspaceError::LinearAlgebra`] if the SVD fails.
pub fn principal_angles(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Result<Vec<f64>, SubspaceError> {
    if a.nrows() != b.nrows() {
        return Err(SubspaceError::Shape {
            what: "the ambient dimension of the second basis",
            expected: a.nrows(),
            got: b.nrows(),
        });
    }
    if a.ncols() == 0 || b.ncols() == 0 {
        return Ok(Vec::new());
    }
    let c = a.transpose() * b;
    let mut s = c
        .singular_values()
        .map_err(|_| SubspaceError::LinearAlgebra { what: "SVD of AᵀB" })?;
    s.sort_by(|x, y| y.total_cmp(x));
    Ok(s.iter().map(|v| v.clamp(-1.0, 1.0).acos()).collect())
}

/// `‖(I − P_B) A‖₂`: how far the span of the orthonormal A sticks out of the
/// span of the orthonormal B — the sine of the largest angle between a
/// vector of A and the subspace B (0 when span A ⊆ span B, 1 when a
/// direction of A is orthogonal to B).
///
/// # Errors
/// [`SubspaceError::Shape`], [`SubspaceError::LinearAlgebra`].
pub fn sin_theta(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Result<f64, SubspaceError> {
    if a.nrows() != b.nrows() {
        return Err(SubspaceError::Shape {
            what: "the ambient dimension of the second basis",
            expected: a.nrows(),
            got: b.nrows(),
        });
    }
    if a.ncols() == 0 {
        return Ok(0.0);
    }
    let residual = a - b * (b.transpose() * a);
    let s = residual
        .singular_values()
        .map_err(|_| SubspaceError::LinearAlgebra {
            what: "SVD of the residual",
        })?;
    Ok(s.iter().copied().fold(0.0, f64::max).min(1.0))
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
