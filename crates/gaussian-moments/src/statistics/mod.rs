//! The statistics behind the moment estimates, each a sum over samples of
//! `y` times a Hermite tensor, computed batch by batch as matrix products.
//!
//! Conventions: `S_l(x) = H_l(x) / √(l!)` is the normalised Hermite tensor
//! (not the entrywise `√(α!)` normalisation of some papers; see
//! `docs/math/gaussian-moments.md`), so that for a ReLU unit with unit
//! weight w, `E[relu(⟨w,x⟩ + b) S_l(x)] = ĉ_l(b) w^{⊗l}` with
//! `ĉ_l = `[`relu_coefficient`](crate::hermite::relu_coefficient). For a
//! unit vector g and z = ⟨g, x⟩, `x_⊥ = x − z g`, `P_⊥ = I − g gᵀ`
//! (the contraction identity of `docs/math/gaussian-moments.md`, from the
//! generating function of `H_l`):
//!
//! ```text
//! S_l(x)[g^{l−2}, ·, ·] = h_{l−2}(z)/√(l(l−1)) (x_⊥ x_⊥ᵀ − P_⊥) + h_{l−1}(z)/√l (g x_⊥ᵀ + x_⊥ gᵀ) + h_l(z) g gᵀ
//! S_l(x)[g^{l−1}, ·]    = h_{l−1}(z)/√l x_⊥ + h_l(z) g
//! ```
//!
//! [`VectorContractions`] and [`MatrixContractions`] evaluate these
//! contractions batch by batch as matrix products; [`DenseMoments`] forms
//! the whole tensors of order ≤ 4 for small d, and [`LowOrder`] the label
//! mean, first and second moments in one pass.

use faer::{Col, ColRef, Mat, MatRef};

use crate::error::MomentError;
use crate::estimator::{Partial, Statistic};

mod contractions;
mod dense;
mod spec;

pub use contractions::{MatrixContractions, VectorContractions};
pub use dense::{DenseMoments, MAX_DENSE_ENTRIES};
pub use spec::StatisticSpec;

/// Largest number of components a contraction statistic may have (each is
/// kept, with its standard-error sums, in every node of the reduction tree).
pub const MAX_STATISTIC_LEN: u128 = 1 << 26;

/// Refuses a statistic of more than [`MAX_STATISTIC_LEN`] components.
fn check_len(order: usize, dim: usize, entries: u128) -> Result<(), MomentError> {
    if entries > MAX_STATISTIC_LEN {
        return Err(MomentError::TooLarge {
            order,
            dim,
            entries,
            limit: MAX_STATISTIC_LEN,
        });
    }
    Ok(())
}

/// Number of entries of the packed lower triangle of a d × d matrix.
#[must_use]
pub fn packed_len(d: usize) -> usize {
    d * (d + 1) / 2
}

/// Packs the lower triangle of a square matrix column by column.
#[must_use]
pub fn pack_lower(m: MatRef<'_, f64>) -> Vec<f64> {
    let d = m.nrows();
    let mut out = Vec::with_capacity(packed_len(d));
    for j in 0..d {
        for i in j..d {
            out.push(m[(i, j)]);
        }
    }
    out
}

/// The symmetric matrix whose packed lower triangle is `packed`.
///
/// # Panics
/// If `packed.len() != packed_len(d)`.
#[must_use]
pub fn unpack_sym(packed: &[f64], d: usize) -> Mat<f64> {
    assert_eq!(packed.len(), packed_len(d), "unpack_sym: length");
    let mut m = Mat::zeros(d, d);
    let mut k = 0;
    for j in 0..d {
        for i in j..d {
            m[(i, j)] = packed[k];
            m[(j, i)] = packed[k];
            k += 1;
        }
    }
    m
}

/// Checks contraction vectors: finite, non-zero, of dimension d; returns
/// them normalised and their norms.
pub(crate) fn unit_vectors(vs: &[Col<f64>], d: usize) -> Result<(Vec<Col<f64>>, Vec<f64>), MomentError> {
    let mut units = Vec::with_capacity(vs.len());
    let mut norms = Vec::with_capacity(vs.len());
    for (i, v) in vs.iter().enumerate() {
        if v.nrows() != d {
            return Err(MomentError::Dim {
                what: "a contraction vector",
                expected: d,
                got: v.nrows(),
            });
        }
        let n = v.norm_l2();
        if !(n.is_finite() && n > 0.0) {
            return Err(MomentError::BadVector { index: i });
        }
        units.push(Col::from_fn(d, |k| v[k] / n));
        norms.push(n);
    }
    Ok((units, norms))
}

/// The bits of the contraction vectors, for a statistic's fingerprint.
fn bits(vs: &[Col<f64>]) -> String {
    vs.iter()
        .map(|v| {
            v.iter()
                .map(|x| format!("{:016x}", x.to_bits()))
                .collect::<Vec<_>>()
                .join("")
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// `y`: the label mean, `E[y] = E[y S_0(x)]`.
#[derive(Clone, Debug)]
pub struct LabelMean {
    dim: usize,
}

impl LabelMean {
    /// The label mean for inputs of dimension `dim`.
    #[must_use]
    pub fn new(dim: usize) -> Self {
        Self { dim }
    }
}

impl Statistic for LabelMean {
    fn len(&self) -> usize {
        1
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn fingerprint(&self) -> String {
        format!("label-mean:d={}", self.dim)
    }
    fn spec(&self) -> Option<StatisticSpec> {
        Some(StatisticSpec::LabelMean { dim: self.dim })
    }
    fn accumulate_chunk(
        &self,
        _x: MatRef<'_, f64>,
        y: ColRef<'_, f64>,
        batch_rows: usize,
        partial: &mut Partial,
    ) {
        let mut start = 0;
        while start < y.nrows() {
            let m = batch_rows.min(y.nrows() - start);
            let s: f64 = (start..start + m).map(|i| y[i]).sum();
            partial.add_batch(&[s], m);
            start += m;
        }
    }
}

/// `[y, y x, y S_2(x) (packed)]`: the label mean, first and second moments
/// in one pass (1 + d + d(d+1)/2 components).
#[derive(Clone, Debug)]
pub struct LowOrder {
    dim: usize,
    second: MatrixContractions,
}

impl LowOrder {
    /// The low-order statistic for inputs of dimension `dim`.
    #[must_use]
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            second: MatrixContractions::second_order(dim),
        }
    }
}

impl Statistic for LowOrder {
    fn len(&self) -> usize {
        1 + self.dim + packed_len(self.dim)
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn fingerprint(&self) -> String {
        format!("low-order:d={}", self.dim)
    }
    fn spec(&self) -> Option<StatisticSpec> {
        Some(StatisticSpec::LowOrder { dim: self.dim })
    }
    fn accumulate_chunk(
        &self,
        x: MatRef<'_, f64>,
        y: ColRef<'_, f64>,
        batch_rows: usize,
        partial: &mut Partial,
    ) {
        // The second moment's batches, then the label and first-moment sums of
        // the same batches, combined batch by batch.
        let d = self.dim;
        let mut second = Partial::new(packed_len(d), false);
        let mut out = vec![0.0; self.len()];
        let mut start = 0;
        while start < x.nrows() {
            let m = batch_rows.min(x.nrows() - start);
            let (xb, yb) = (x.subrows(start, m), y.subrows(start, m));
            second.sum.iter_mut().for_each(|v| *v = 0.0);
            self.second.accumulate_chunk(xb, yb, batch_rows, &mut second);
            out[0] = (0..m).map(|i| yb[i]).sum();
            for j in 0..d {
                out[1 + j] = (0..m).map(|i| yb[i] * xb[(i, j)]).sum();
            }
            out[1 + d..].copy_from_slice(&second.sum);
            partial.add_batch(&out, m);
            start += m;
        }
    }
}
