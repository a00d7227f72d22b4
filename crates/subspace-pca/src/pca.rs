//! PCA of symmetric operators: dense eigendecomposition for moderate d, and
//! randomized subspace iteration (Halko, Martinsson & Tropp 2011) for large d,
//! which needs only products with blocks of vectors.

use faer::{Mat, MatRef, Par, Side};
use relu_net::{Seed, gaussian_matrix};

use crate::error::SubspaceError;
use crate::subspace::{Subspace, orthonormalize};

/// A symmetric linear operator on ℝ^d known through products.
pub trait SymOperator: Sync {
    /// The dimension d.
    fn dim(&self) -> usize;
    /// `A X` for a block X (d × b).
    fn apply(&self, x: MatRef<'_, f64>, par: Par) -> Mat<f64>;
}

/// A dense symmetric matrix as a [`SymOperator`].
pub struct Dense<'a>(pub MatRef<'a, f64>);

impl SymOperator for Dense<'_> {
    fn dim(&self) -> usize {
        self.0.nrows()
    }
    fn apply(&self, x: MatRef<'_, f64>, _par: Par) -> Mat<f64> {
        self.0 * x
    }
}

/// The eigenpairs of a small symmetric matrix sorted by decreasing
/// |eigenvalue|: `(vectors as columns, eigenvalues)`.
fn sorted_eigen(m: MatRef<'_, f64>) -> Result<(Mat<f64>, Vec<f64>), SubspaceError> {
    let sym = Mat::from_fn(m.nrows(), m.ncols(), |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
    let eig = sym
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| SubspaceError::LinearAlgebra {
            what: "symmetric eigendecomposition",
        })?;
    let (s, u) = (eig.S().column_vector(), eig.U());
    let mut order: Vec<usize> = (0..s.nrows()).collect();
    order.sort_by(|&a, &b| s[b].abs().total_cmp(&s[a].abs()).then(a.cmp(&b)));
    Ok((
        Mat::from_fn(m.nrows(), order.len(), |i, j| u[(i, order[j])]),
        order.iter().map(|&k| s[k]).collect(),
    ))
}

/// The k eigenvectors of a symmetric matrix with the largest |eigenvalue|,
/// as a [`Subspace`] whose spectrum holds the (signed) eigenvalues.
///
/// # Errors
/// [`SubspaceError::Shape`] for a non-square matrix or k > d,
/// [`SubspaceError::LinearAlgebra`] if the eigendecomposition fails.
pub fn dense_pca(m: MatRef<'_, f64>, k: usize) -> Result<Subspace, SubspaceError> {
    if m.nrows() != m.ncols() || k > m.nrows() {
        return Err(SubspaceError::Shape {
            what: "a square matrix with at least k rows",
            expected: k,
            got: m.nrows(),
        });
    }
    let (u, s) = sorted_eigen(m)?;
    Subspace::new(
        Mat::from_fn(m.nrows(), k, |i, j| u[(i, j)]),
        faer::Col::from_fn(k, |i| s[i]),
    )
}

/// Randomized subspace iteration for the k eigenvectors of largest
/// |eigenvalue|: a Gaussian block Ω of k + `oversample` columns, `Y = A Ω`,
/// `iters` rounds of `Y ← A orth(Y)`, then the Rayleigh–Ritz step on
/// `Q = orth(Y)`: the top k eigenvectors of `Qᵀ A Q`, lifted by Q.
///
/// # Errors
/// [`SubspaceError::Shape`] for k = 0 or k > d, [`SubspaceError::LinearAlgebra`].
///
/// # Complexity
/// `(iters + 2)` block products with k + oversample columns, plus O(d (k +
/// p)²) for the orthonormalisations.
pub fn randomized_pca(
    op: &dyn SymOperator,
    k: usize,
    oversample: usize,
    iters: usize,
    seed: Seed,
    par: Par,
) -> Result<Subspace, SubspaceError> {
    let d = op.dim();
    if k == 0 || k > d {
        return Err(SubspaceError::Shape {
            what: "the number of components (1..=d)",
            expected: d,
            got: k,
        });
    }
    let b = (k + oversample).min(d);
    let omega = gaussian_matrix(d, b, seed.derive("randomized-pca"));
    let mut y = op.apply(omega.as_ref(), par);
    for _ in 0..iters {
        let q = orthonormalize(y.as_ref(), 1e-12);
        y = op.apply(q.as_ref(), par);
    }
    let q = orthonormalize(y.as_ref(), 1e-12);
    let small = q.transpose() * op.apply(q.as_ref(), par);
    let (u, s) = sorted_eigen(small.as_ref())?;
    let k = k.min(u.ncols());
    let basis = &q * Mat::from_fn(u.nrows(), k, |i, j| u[(i, j)]);
    Subspace::new(
        orthonormalize(basis.as_ref(), 1e-12),
        faer::Col::from_fn(k, |i| s[i]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subspace::sin_theta;

    #[test]
    fn randomized_pca_finds_the_dense_top_subspace() {
        // A = U diag(5, −4, 3, 0.1, …) Uᵀ in d = 60.
        let d = 60;
        let u = relu_net::init::haar_orthogonal(d, d, Seed(1));
        let spec: Vec<f64> = (0..d)
            .map(|i| match i {
                0 => 5.0,
                1 => -4.0,
                2 => 3.0,
                _ => 0.1 / (1.0 + i as f64),
            })
            .collect();
        let a = Mat::from_fn(d, d, |i, j| {
            (0..d).map(|r| u[(i, r)] * spec[r] * u[(j, r)]).sum::<f64>()
        });
        let dense = dense_pca(a.as_ref(), 3).unwrap();
        let rand = randomized_pca(&Dense(a.as_ref()), 3, 5, 3, Seed(2), Par::Seq).unwrap();
        assert!(sin_theta(rand.basis(), dense.basis()).unwrap() < 1e-8);
        assert!(
            (dense.spectrum()[1] + 4.0).abs() < 1e-10,
            "signed eigenvalues kept"
        );
        assert!(dense_pca(a.as_ref(), d + 1).is_err());
    }
}
