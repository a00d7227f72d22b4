//! [`CpModel`]: a symmetric CP decomposition `Σ_i λ_i u_i^{⊗l}`.

use faer::{Col, ColRef, Mat, MatRef, Par};
use pathfinding::kuhn_munkres::kuhn_munkres_min;
use pathfinding::matrix::Matrix;
use serde::{Deserialize, Serialize};

use crate::dense::DenseSymTensor;
use crate::error::DecompError;
use crate::tensor::SymTensor;

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

/// The result of matching the components of two CP models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactorMatching {
    /// `(i, j)`: component i of the first model matched to component j of
    /// the second, ordered by i.
    pub pairs: Vec<(usize, usize)>,
    /// Congruence `|⟨u_i, u'_j⟩|` of each pair (1 = same direction).
    pub congruence: Vec<f64>,
    /// `|λ_i − s λ'_j|` with `s` the sign that aligns the factors
    /// (`s = ±1` for odd orders, 1 for even).
    pub weight_error: Vec<f64>,
}

impl FactorMatching {
    /// The smallest congruence over matched pairs (1 if none).
    #[must_use]
    pub fn min_congruence(&self) -> f64 {
        self.congruence.iter().copied().fold(1.0, f64::min)
    }

    /// The largest weight error over matched pairs (0 if none).
    #[must_use]
    pub fn max_weight_error(&self) -> f64 {
        self.weight_error.iter().copied().fold(0.0, f64::max)
    }
}

impl CpModel {
    /// The dense tensor (small d only).
    ///
    /// # Errors
    /// [`DecompError::TooLarge`] beyond [`crate::dense::MAX_DENSE_ENTRIES`]
    /// entries.
    pub fn reconstruct(&self) -> Result<DenseSymTensor, DecompError> {
        DenseSymTensor::from_cp(self)
    }

    /// The canonical form: every factor signed so that its entry of largest
    /// magnitude is positive (for odd orders the weight changes sign with
    /// the factor, so the tensor is unchanged), components sorted by
    /// decreasing |λ| and then by factor entries.
    #[must_use]
    pub fn canonicalize(&self) -> CpModel {
        let (d, r) = (self.dim(), self.rank());
        let odd = self.order % 2 == 1;
        let mut comps: Vec<(f64, Vec<f64>)> = (0..r)
            .map(|i| {
                let mut u: Vec<f64> = (0..d).map(|k| self.factors[(k, i)]).collect();
                let mut w = self.weights[i];
                let big = u
                    .iter()
                    .copied()
                    .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
                if big < 0.0 {
                    u.iter_mut().for_each(|v| *v = -*v);
                    if odd {
                        w = -w;
                    }
                }
                (w, u)
            })
            .collect();
        comps.sort_by(|a, b| {
            b.0.abs().total_cmp(&a.0.abs()).then_with(|| {
                a.1.iter()
                    .zip(&b.1)
                    .map(|(p, q)| p.total_cmp(q))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
        });
        CpModel {
            order: self.order,
            weights: Col::from_fn(r, |i| comps[i].0),
            factors: Mat::from_fn(d, r, |k, i| comps[i].1[k]),
        }
    }

    /// Matches the components of `self` with those of `other` (same order
    /// and dimension) by an optimal assignment maximising the total
    /// congruence `Σ |⟨u_i, u'_j⟩|` (Kuhn–Munkres).
    ///
    /// # Errors
    /// [`DecompError::Shape`] if orders or dimensions differ.
    pub fn match_factors(&self, other: &CpModel) -> Result<FactorMatching, DecompError> {
        if self.order != other.order || self.dim() != other.dim() {
            return Err(DecompError::Shape {
                what: "the other model's dimension (orders and dimensions must agree)",
                expected: self.dim(),
                got: other.dim(),
            });
        }
        let cos = self.factors.transpose() * &other.factors;
        let flip = self.rank() > other.rank();
        let (nr, nc) = if flip {
            (other.rank(), self.rank())
        } else {
            (self.rank(), other.rank())
        };
        let weights = Matrix::from_fn(nr, nc, |(a, b)| {
            let c = if flip { cos[(b, a)] } else { cos[(a, b)] };
            ((1.0 - c.abs()) * 1e12).round() as i64
        });
        let assignment = if nr == 0 {
            Vec::new()
        } else {
            kuhn_munkres_min(&weights).1
        };
        let mut pairs: Vec<(usize, usize)> = assignment
            .iter()
            .enumerate()
            .map(|(a, &b)| if flip { (b, a) } else { (a, b) })
            .collect();
        pairs.sort_unstable();
        let congruence = pairs.iter().map(|&(i, j)| cos[(i, j)].abs()).collect();
        let weight_error = pairs
            .iter()
            .map(|&(i, j)| {
                let s = if self.order % 2 == 1 && cos[(i, j)] < 0.0 {
                    -1.0
                } else {
                    1.0
                };
                (self.weights[i] - s * other.weights[j]).abs()
            })
            .collect();
        Ok(FactorMatching {
            pairs,
            congruence,
            weight_error,
        })
    }

    /// `c_i = λ_i Π_k ⟨u_i, v_k⟩` for contraction vectors `vs`.
    fn contraction_coefficients(&self, vs: &[ColRef<'_, f64>]) -> Col<f64> {
        let d = self.dim();
        Col::from_fn(self.rank(), |i| {
            self.weights[i]
                * vs.iter()
                    .map(|v| (0..d).map(|k| self.factors[(k, i)] * v[k]).sum::<f64>())
                    .product::<f64>()
        })
    }
}

impl SymTensor for CpModel {
    fn dim(&self) -> usize {
        self.factors.nrows()
    }

    fn order(&self) -> usize {
        self.order
    }

    fn contract_to_matrix(&self, vs: &[ColRef<'_, f64>], _par: Par) -> Mat<f64> {
        assert_eq!(vs.len(), self.order - 2, "contract_to_matrix: number of vectors");
        let c = self.contraction_coefficients(vs);
        let scaled = Mat::from_fn(self.dim(), self.rank(), |k, i| self.factors[(k, i)] * c[i]);
        &scaled * self.factors.transpose()
    }

    fn contract_to_vector(&self, vs: &[ColRef<'_, f64>], _par: Par) -> Col<f64> {
        assert_eq!(vs.len(), self.order - 1, "contract_to_vector: number of vectors");
        let c = self.contraction_coefficients(vs);
        &self.factors * &c
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
    fn canonical_form_fixes_signs_and_order() {
        let m = CpModel::new(3, col![1.0, -3.0], mat![[0.6, 0.0], [-0.8, -1.0]]).unwrap();
        let c = m.canonicalize();
        // Second component first (|λ| = 3); its factor (0, −1) flips to (0, 1), λ to 3.
        assert_eq!(c.weights(), col![3.0, -1.0].as_ref());
        assert_eq!(c.factors(), mat![[0.0, -0.6], [1.0, 0.8]].as_ref());
        let g = col![0.2, 0.7];
        let (a, b) = (
            m.contract_to_vector(&[g.as_ref(), g.as_ref()], Par::Seq),
            c.contract_to_vector(&[g.as_ref(), g.as_ref()], Par::Seq),
        );
        assert!((&a - &b).norm_max() < 1e-15, "canonicalisation keeps the tensor");
        let even = CpModel::new(4, col![-2.0], mat![[-1.0], [0.0]])
            .unwrap()
            .canonicalize();
        assert_eq!((even.weights()[0], even.factors()[(0, 0)]), (-2.0, 1.0));
    }

    #[test]
    fn matching_pairs_components_by_congruence() {
        let a = CpModel::new(3, col![1.0, 2.0], mat![[1.0, 0.0], [0.0, 1.0]]).unwrap();
        let b = CpModel::new(3, col![-2.0, 1.5], mat![[0.0, 1.0], [-1.0, 0.0]]).unwrap();
        let m = a.match_factors(&b).unwrap();
        assert_eq!(m.pairs, vec![(0, 1), (1, 0)]);
        assert_eq!(m.min_congruence(), 1.0);
        assert_eq!(m.weight_error, vec![0.5, 0.0]);
        let c = CpModel::new(3, col![1.0], mat![[1.0], [0.0]]).unwrap();
        assert_eq!(a.match_factors(&c).unwrap().pairs, vec![(0, 0)]);
        assert!(
            a.match_factors(&CpModel::new(4, col![1.0], mat![[1.0], [0.0]]).unwrap())
                .is_err()
        );
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
