//! [`CpModel`]: a symmetric CP decomposition `Σ_i λ_i u_i^{⊗l}`.

use faer::{Col, ColRef, Mat, MatRef};

use crate::error::DecompError;

/// A symmetric CP model `T = Σ_{i=1}^r λ_i u_i^{⊗l}` with unit-norm
/// factors `u_i` (the columns of a d × r matrix) and real weights `λ_i`.
#[derive(Clone, Debug, PartialEq)]
pub struct CpModel {
    // Invariant: weights.nrows() == factors.ncols(); every column of
    // factors has unit Euclidean norm; all entries finite.
    order: usize,
    weights: Col<f64>,
    factors: Mat<f64>,
}

impl CpModel {
    /// A CP model of order `order` from weights and factors; each factor
    /// is normalised to unit length and its norm^order folded into the
    /// weight, so the tensor is unchanged.
    ///
    /// # Errors
    /// [`DecompError::Shape`] if the number of weights differs from the
    /// number of factor columns or `order < 2`,
    /// [`DecompError::NonFinite`] for NaN or infinite entries and
    /// [`DecompError::ZeroFactor`] for a zero column.
    pub fn new(order: usize, weights: Col<f64>, mut factors: Mat<f64>) -> Result<Self, DecompError> {
        if order < 2 {
            return Err(DecompError::Shape {
                what: "the order of a CP model (at least 2)",
                expected: 2,
                got: order,
            });
        }
        if weights.nrows() != factors.ncols() {
            return Err(DecompError::Shape {
                what: "the number of weights (one per factor column)",
                expected: factors.ncols(),
                got: weights.nrows(),
            });
        }
        let mut weights = weights;
        for i in 0..factors.ncols() {
            if !weights[i].is_finite() || (0..factors.nrows()).any(|j| !factors[(j, i)].is_finite()) {
                return Err(DecompError::NonFinite { what: "a CP model" });
            }
            let norm = factors.col(i).norm_l2();
            if norm == 0.0 {
                return Err(DecompError::ZeroFactor { index: i });
            }
            for j in 0..factors.nrows() {
                factors[(j, i)] /= norm;
            }
            weights[i] *= norm.powi(order as i32);
        }
        Ok(Self {
            order,
            weights,
            factors,
        })
    }

    /// The order l.
    #[must_use]
    pub fn order(&self) -> usize {
        self.order
    }

    /// The rank r (number of components).
    #[must_use]
    pub fn rank(&self) -> usize {
        self.weights.nrows()
    }

    /// The dimension d.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.factors.nrows()
    }

    /// The weights λ_i.
    #[must_use]
    pub fn weights(&self) -> ColRef<'_, f64> {
        self.weights.as_ref()
    }

    /// The unit factors u_i as the columns of a d × r matrix.
    #[must_use]
    pub fn factors(&self) -> MatRef<'_, f64> {
        self.factors.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::{col, mat};

    #[test]
    fn construction_normalises_factors_and_rescales_weights() {
        let m = CpModel::new(3, col![1.0, -2.0], mat![[2.0, 0.0], [0.0, 0.5]]).unwrap();
        assert_eq!(m.factors(), mat![[1.0, 0.0], [0.0, 1.0]].as_ref());
        assert_eq!(m.weights(), col![8.0, -0.25].as_ref());
        assert_eq!((m.order(), m.rank(), m.dim()), (3, 2, 2));
    }

    #[test]
    fn construction_rejects_bad_input() {
        assert!(matches!(
            CpModel::new(3, col![1.0], mat![[0.0], [0.0]]),
            Err(DecompError::ZeroFactor { index: 0 })
        ));
        assert!(matches!(
            CpModel::new(3, col![1.0, 2.0], mat![[1.0], [0.0]]),
            Err(DecompError::Shape { .. })
        ));
        assert!(matches!(
            CpModel::new(1, col![1.0], mat![[1.0]]),
            Err(DecompError::Shape { .. })
        ));
        assert!(matches!(
            CpModel::new(2, col![f64::NAN], mat![[1.0]]),
            Err(DecompError::NonFinite { .. })
        ));
    }
}
