//! Dense symmetric tensors (small d, orders up to 4), stored in full with
//! the last index fastest.

use faer::{Col, ColRef, Mat, Par};

use crate::error::DecompError;
use crate::model::CpModel;
use crate::tensor::SymTensor;

/// Largest number of entries of a dense tensor.
pub const MAX_DENSE_ENTRIES: u128 = 1 << 26;

/// A symmetric order-l tensor on ℝ^d stored densely (d^l entries).
#[derive(Clone, Debug, PartialEq)]
pub struct DenseSymTensor {
    // Invariant: data.len() == dim^order; entries invariant under index
    // permutations up to 1e-12 relative; all finite.
    order: usize,
    dim: usize,
    data: Vec<f64>,
}

fn entries(order: usize, dim: usize) -> Result<usize, DecompError> {
    let n = (dim as u128).pow(order as u32);
    if n > MAX_DENSE_ENTRIES {
        return Err(DecompError::TooLarge { order, dim });
    }
    Ok(n as usize)
}

/// Splits a flat index into the multi-index (i_1, …, i_l).
fn unflatten(mut flat: usize, dim: usize, idx: &mut [usize]) {
    for slot in idx.iter_mut().rev() {
        *slot = flat % dim;
        flat /= dim;
    }
}

impl DenseSymTensor {
    /// A tensor from its entries (last index fastest).
    ///
    /// # Errors
    /// [`DecompError::Shape`] for a wrong length or order 0,
    /// [`DecompError::NonFinite`], [`DecompError::NotSymmetric`] if an entry
    /// differs from a permuted one by more than 1e-12 of the largest entry,
    /// [`DecompError::TooLarge`].
    pub fn new(order: usize, dim: usize, data: Vec<f64>) -> Result<Self, DecompError> {
        if order == 0 || dim == 0 {
            return Err(DecompError::Shape {
                what: "order and dimension of a dense tensor (at least 1)",
                expected: 1,
                got: 0,
            });
        }
        let n = entries(order, dim)?;
        if data.len() != n {
            return Err(DecompError::Shape {
                what: "the number of entries (dim^order)",
                expected: n,
                got: data.len(),
            });
        }
        if data.iter().any(|v| !v.is_finite()) {
            return Err(DecompError::NonFinite {
                what: "a dense tensor",
            });
        }
        let scale = data.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut idx = vec![0; order];
        for (flat, &v) in data.iter().enumerate() {
            unflatten(flat, dim, &mut idx);
            let mut sorted = idx.clone();
            sorted.sort_unstable();
            let canon = sorted.iter().fold(0, |acc, &i| acc * dim + i);
            if (data[canon] - v).abs() > 1e-12 * scale {
                return Err(DecompError::NotSymmetric);
            }
        }
        Ok(Self { order, dim, data })
    }

    /// The tensor `Σ_i λ_i u_i^{⊗l}` of a CP model.
    ///
    /// # Errors
    /// [`DecompError::TooLarge`] beyond [`MAX_DENSE_ENTRIES`] entries.
    pub fn from_cp(model: &CpModel) -> Result<Self, DecompError> {
        let (order, dim) = (model.order(), model.dim());
        let n = entries(order, dim)?;
        let u = model.factors();
        let w = model.weights();
        let mut data = vec![0.0; n];
        let mut idx = vec![0; order];
        for (flat, v) in data.iter_mut().enumerate() {
            unflatten(flat, dim, &mut idx);
            *v = (0..model.rank())
                .map(|r| w[r] * idx.iter().map(|&i| u[(i, r)]).product::<f64>())
                .sum();
        }
        Ok(Self { order, dim, data })
    }

    /// The entries, last index fastest.
    #[must_use]
    pub fn data(&self) -> &[f64] {
        &self.data
    }

    /// The entry at multi-index `idx`.
    ///
    /// # Panics
    /// If `idx` has the wrong length or an index is out of range.
    #[must_use]
    pub fn entry(&self, idx: &[usize]) -> f64 {
        assert_eq!(idx.len(), self.order, "entry: index length");
        self.data[idx.iter().fold(0, |acc, &i| {
            assert!(i < self.dim, "entry: index out of range");
            acc * self.dim + i
        })]
    }

    /// The Frobenius norm.
    #[must_use]
    pub fn frobenius_norm(&self) -> f64 {
        self.data.iter().map(|v| v * v).sum::<f64>().sqrt()
    }

    /// The weights `Π_k v_k[i_k]` over the leading `vs.len()` indices.
    fn leading_weights(&self, vs: &[ColRef<'_, f64>]) -> Vec<f64> {
        let p = vs.len();
        let mut idx = vec![0; p];
        (0..self.dim.pow(p as u32))
            .map(|flat| {
                unflatten(flat, self.dim, &mut idx);
                idx.iter().zip(vs).map(|(&i, v)| v[i]).product()
            })
            .collect()
    }
}

impl SymTensor for DenseSymTensor {
    fn dim(&self) -> usize {
        self.dim
    }

    fn order(&self) -> usize {
        self.order
    }

    fn contract_to_matrix(&self, vs: &[ColRef<'_, f64>], _par: Par) -> Mat<f64> {
        assert!(
            self.order >= 2 && vs.len() == self.order - 2,
            "contract_to_matrix: number of vectors"
        );
        let d = self.dim;
        let w = self.leading_weights(vs);
        let mut out = Mat::zeros(d, d);
        for (lead, wl) in w.iter().enumerate() {
            let base = lead * d * d;
            for a in 0..d {
                for b in 0..d {
                    out[(a, b)] += wl * self.data[base + a * d + b];
                }
            }
        }
        out
    }

    fn contract_to_vector(&self, vs: &[ColRef<'_, f64>], _par: Par) -> Col<f64> {
        assert!(
            vs.len() == self.order - 1,
            "contract_to_vector: number of vectors"
        );
        let d = self.dim;
        let w = self.leading_weights(vs);
        Col::from_fn(d, |a| {
            w.iter()
                .enumerate()
                .map(|(lead, wl)| wl * self.data[lead * d + a])
                .sum()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::{col, mat};

    #[test]
    fn dense_tensor_of_a_cp_model_has_the_model_contractions() {
        let m = CpModel::new(3, col![2.0, -1.0], mat![[1.0, 0.0], [0.0, 0.6], [0.0, 0.8]]).unwrap();
        let t = DenseSymTensor::from_cp(&m).unwrap();
        assert_eq!(t.entry(&[0, 0, 0]), 2.0);
        assert!((t.entry(&[1, 2, 1]) + 0.6 * 0.8 * 0.6).abs() < 1e-15);
        let g = col![0.3, -0.2, 0.5];
        let a = t.contract_to_matrix(&[g.as_ref()], Par::Seq);
        let b = m.contract_to_matrix(&[g.as_ref()], Par::Seq);
        assert!((&a - &b).norm_max() < 1e-15);
        let va = t.contract_to_vector(&[g.as_ref(), g.as_ref()], Par::Seq);
        let vb = m.contract_to_vector(&[g.as_ref(), g.as_ref()], Par::Seq);
        assert!((&va - &vb).norm_max() < 1e-15);
    }

    #[test]
    fn construction_checks_shape_symmetry_and_values() {
        assert!(matches!(
            DenseSymTensor::new(2, 2, vec![1.0, 2.0, 2.0]),
            Err(DecompError::Shape { .. })
        ));
        assert!(matches!(
            DenseSymTensor::new(2, 2, vec![1.0, 2.0, 3.0, 4.0]),
            Err(DecompError::NotSymmetric)
        ));
        assert!(matches!(
            DenseSymTensor::new(2, 2, vec![1.0, f64::NAN, f64::NAN, 4.0]),
            Err(DecompError::NonFinite { .. })
        ));
        assert!(matches!(
            DenseSymTensor::new(8, 100, vec![]),
            Err(DecompError::TooLarge { .. })
        ));
        assert!(DenseSymTensor::new(2, 2, vec![1.0, 2.0, 2.0, 4.0]).is_ok());
    }
}
