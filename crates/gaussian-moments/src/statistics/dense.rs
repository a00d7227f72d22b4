//! Dense moment tensors of order ≤ 4 for small d, from raw weighted
//! moments of each batch.

use faer::linalg::matmul::matmul;
use faer::{Accum, ColRef, Mat, MatRef, Par};

use crate::error::MomentError;
use crate::estimator::{Partial, Statistic};

/// The moment tensors `y S_l(x)` of every order l ≤ `max_order` ≤ 4 for
/// small d, stored densely (d^l entries each, last index fastest, orders one
/// after the other from 0).
///
/// Per batch the weighted raw moments `R_l = Σ y z^{⊗l}` come from matrix
/// products of the row-wise Kronecker square `Z₂ = [z ⊗ z]`
/// (`R_4 = Z₂ᵀ diag(y) Z₂`, `R_3 = Z₂ᵀ (y ∘ Z)`, …), and the Hermite tensors
/// follow from `H_2 = z⊗z − I`,
/// `H_3 = z⊗z⊗z − Σ_3 z ⊗ I`,
/// `H_4 = z^{⊗4} − Σ_6 z⊗z⊗I + Σ_3 I⊗I` (sums over the distinct index
/// placements), divided by √(l!). Cost O(n d⁴) at matrix-multiply speed.
#[derive(Clone, Debug)]
pub struct DenseMoments {
    pub(super) dim: usize,
    pub(super) max_order: usize,
}

/// Largest dense tensor [`DenseMoments`] builds.
pub const MAX_DENSE_ENTRIES: u128 = 1 << 24;

impl DenseMoments {
    /// Dense moments of orders 0..=`max_order` in dimension `dim`.
    ///
    /// # Errors
    /// [`MomentError::Order`] for order > 4, [`MomentError::TooLarge`] for
    /// more than [`MAX_DENSE_ENTRIES`] entries.
    pub fn new(dim: usize, max_order: usize) -> Result<Self, MomentError> {
        if max_order > 4 {
            return Err(MomentError::Order {
                order: max_order,
                expected: "at most 4 for a dense tensor (use contractions above)",
            });
        }
        let entries: u128 = (0..=max_order as u32).map(|l| (dim as u128).pow(l)).sum();
        if entries > MAX_DENSE_ENTRIES {
            return Err(MomentError::TooLarge {
                order: max_order,
                dim,
                entries,
                limit: MAX_DENSE_ENTRIES,
            });
        }
        Ok(Self { dim, max_order })
    }

    /// Offset of the order-l block in the output.
    #[must_use]
    pub fn offset(&self, order: usize) -> usize {
        (0..order).map(|l| self.dim.pow(l as u32)).sum()
    }
}

impl Statistic for DenseMoments {
    fn len(&self) -> usize {
        self.offset(self.max_order + 1)
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn fingerprint(&self) -> String {
        format!("dense:d={}:l<={}", self.dim, self.max_order)
    }
    fn spec(&self) -> Option<super::StatisticSpec> {
        Some(super::StatisticSpec::DenseMoments {
            dim: self.dim,
            max_order: self.max_order,
        })
    }
    fn accumulate_chunk(
        &self,
        x: MatRef<'_, f64>,
        y: ColRef<'_, f64>,
        batch_rows: usize,
        partial: &mut Partial,
    ) {
        let mut raw = RawMoments::new(self.dim, self.max_order, batch_rows);
        let mut out = vec![0.0; self.len()];
        let mut start = 0;
        while start < x.nrows() {
            let m = batch_rows.min(x.nrows() - start);
            let (r0, r1) = raw.batch(x.subrows(start, m), y.subrows(start, m));
            self.hermite_tensors(&raw, r0, &r1, &mut out);
            partial.add_batch(&out, m);
            start += m;
        }
    }
}

impl DenseMoments {
    /// Raw moments → Hermite tensors `S_l = H_l / √(l!)` of one batch, every
    /// order into its block of `out`.
    fn hermite_tensors(&self, raw: &RawMoments, r0: f64, r1: &[f64], out: &mut [f64]) {
        let (d, lmax) = (self.dim, self.max_order);
        let o = |l: usize| self.offset(l);
        out[0] = r0;
        if lmax >= 1 {
            out[o(1)..o(1) + d].copy_from_slice(r1);
        }
        if lmax >= 2 {
            hermite_2(&mut out[o(2)..], r0, raw.r2.as_ref());
        }
        if lmax >= 3 {
            hermite_3(&mut out[o(3)..], r1, raw.r3.as_ref());
        }
        if lmax >= 4 {
            hermite_4(&mut out[o(4)..], r0, raw.r2.as_ref(), raw.r4.as_ref());
        }
    }
}

/// The weighted raw moments `R_l = Σ y z^{⊗l}` of a batch for l = 2, 3, 4
/// (as far as the statistic's order needs), with their product buffers.
struct RawMoments {
    d: usize,
    lmax: usize,
    /// The row-wise Kronecker square `Z₂ = [z ⊗ z]` (rows × d²).
    z2: Mat<f64>,
    /// `y ∘ Z` (rows × d).
    yz: Mat<f64>,
    /// `y ∘ Z₂` (rows × d²).
    yz2: Mat<f64>,
    /// `R_2 = Zᵀ (y ∘ Z)` (d × d).
    r2: Mat<f64>,
    /// `R_3 = Z₂ᵀ (y ∘ Z)` (d² × d).
    r3: Mat<f64>,
    /// `R_4 = Z₂ᵀ diag(y) Z₂` (d² × d²).
    r4: Mat<f64>,
}

impl RawMoments {
    /// Buffers for batches of at most `batch_rows` rows in dimension `d`, up
    /// to order `lmax`.
    fn new(d: usize, lmax: usize, batch_rows: usize) -> Self {
        let d2 = d * d;
        Self {
            d,
            lmax,
            z2: Mat::zeros(batch_rows, if lmax >= 3 { d2 } else { 0 }),
            yz: Mat::zeros(batch_rows, d),
            yz2: Mat::zeros(batch_rows, if lmax >= 4 { d2 } else { 0 }),
            r2: Mat::zeros(d, d),
            r3: Mat::zeros(if lmax >= 3 { d2 } else { 0 }, d),
            r4: Mat::zeros(if lmax >= 4 { d2 } else { 0 }, if lmax >= 4 { d2 } else { 0 }),
        }
    }

    /// The raw moments of the batch `(xb, yb)`: returns `R_0 = Σ y` and
    /// `R_1 = Σ y z`, and leaves `R_2`, `R_3`, `R_4` in the buffers.
    fn batch(&mut self, xb: MatRef<'_, f64>, yb: ColRef<'_, f64>) -> (f64, Vec<f64>) {
        let (d, lmax, m) = (self.d, self.lmax, xb.nrows());
        let d2 = d * d;
        let r0: f64 = (0..m).map(|i| yb[i]).sum();
        let mut r1 = vec![0.0; d];
        for j in 0..d {
            for i in 0..m {
                self.yz[(i, j)] = yb[i] * xb[(i, j)];
                r1[j] += self.yz[(i, j)];
            }
        }
        if lmax >= 2 {
            matmul(
                self.r2.as_mut(),
                Accum::Replace,
                xb.transpose(),
                self.yz.as_ref().subrows(0, m),
                1.0,
                Par::Seq,
            );
        }
        if lmax >= 3 {
            for a in 0..d {
                for b in 0..d {
                    for i in 0..m {
                        self.z2[(i, a * d + b)] = xb[(i, a)] * xb[(i, b)];
                    }
                }
            }
            matmul(
                self.r3.as_mut(),
                Accum::Replace,
                self.z2.as_ref().subrows(0, m).transpose(),
                self.yz.as_ref().subrows(0, m),
                1.0,
                Par::Seq,
            );
        }
        if lmax >= 4 {
            for c in 0..d2 {
                for i in 0..m {
                    self.yz2[(i, c)] = yb[i] * self.z2[(i, c)];
                }
            }
            matmul(
                self.r4.as_mut(),
                Accum::Replace,
                self.z2.as_ref().subrows(0, m).transpose(),
                self.yz2.as_ref().subrows(0, m),
                1.0,
                Par::Seq,
            );
        }
        (r0, r1)
    }
}

/// Kronecker's δ as a number.
fn delta(a: usize, b: usize) -> f64 {
    if a == b { 1.0 } else { 0.0 }
}

/// `S_2 = (R_2 − R_0 I) / √2` into `out` (d² entries, last index fastest).
fn hermite_2(out: &mut [f64], r0: f64, r2: MatRef<'_, f64>) {
    let d = r2.nrows();
    let s = std::f64::consts::FRAC_1_SQRT_2;
    for a in 0..d {
        for b in 0..d {
            out[a * d + b] = s * (r2[(a, b)] - r0 * delta(a, b));
        }
    }
}

/// `S_3 = (R_3 − Σ_3 R_1 ⊗ I) / √6` into `out` (d³ entries, last index
/// fastest).
fn hermite_3(out: &mut [f64], r1: &[f64], r3: MatRef<'_, f64>) {
    let d = r3.ncols();
    let s = 1.0 / 6f64.sqrt();
    for a in 0..d {
        for b in 0..d {
            for c in 0..d {
                let v = r3[(a * d + b, c)] - r1[a] * delta(b, c) - r1[b] * delta(a, c) - r1[c] * delta(a, b);
                out[(a * d + b) * d + c] = s * v;
            }
        }
    }
}

/// `S_4 = (R_4 − Σ_6 R_2 ⊗ I + R_0 Σ_3 I ⊗ I) / √24` into `out` (d⁴ entries,
/// last index fastest).
fn hermite_4(out: &mut [f64], r0: f64, r2: MatRef<'_, f64>, r4: MatRef<'_, f64>) {
    let d = r2.nrows();
    let s = 1.0 / 24f64.sqrt();
    for a in 0..d {
        for b in 0..d {
            for c in 0..d {
                for e in 0..d {
                    let v = r4[(a * d + b, c * d + e)]
                        - r2[(a, b)] * delta(c, e)
                        - r2[(a, c)] * delta(b, e)
                        - r2[(a, e)] * delta(b, c)
                        - r2[(b, c)] * delta(a, e)
                        - r2[(b, e)] * delta(a, c)
                        - r2[(c, e)] * delta(a, b)
                        + r0 * (delta(a, b) * delta(c, e)
                            + delta(a, c) * delta(b, e)
                            + delta(a, e) * delta(b, c));
                    out[((a * d + b) * d + c) * d + e] = s * v;
                }
            }
        }
    }
}
