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
//! Expanding `x_⊥`, a batch sum of `y S_l(x)[g^{l−2}, ·, ·]` is
//! `Xᵀ diag(w) X − (Σ w) P_⊥ + g rᵀ + r gᵀ + s g gᵀ` with `w = y α`,
//! `r = Xᵀ (y (β − α z))`, `s = Σ y (α z² − 2 β z + γ)` and `(α, β, γ)` the
//! three coefficients above: one weighted Gram matrix (lower triangle, a
//! faer triangular product) per contraction vector and batch, plus O(d²).

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Col, ColRef, Mat, MatRef, Par};

use crate::error::MomentError;
use crate::estimator::{Partial, Statistic};
use crate::hermite::h_three;

/// Largest number of components a contraction statistic may have (each is
/// kept, with its standard-error sums, in every node of the reduction tree).
pub const MAX_STATISTIC_LEN: u128 = 1 << 26;

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

/// Contractions of the order-l moment tensor to vectors:
/// `y S_l(x)[g^{l−1}, ·]` for each unit vector g (l ≥ 1; for l = 1 this is
/// `y x` whatever g). Output: the vectors one after the other (J · d).
#[derive(Clone, Debug)]
pub struct VectorContractions {
    dim: usize,
    order: usize,
    gs: Vec<Col<f64>>,
}

impl VectorContractions {
    /// Contractions of order `order` ≥ 1 with unit vectors `gs` (normalised
    /// here).
    ///
    /// # Errors
    /// [`MomentError::Order`] for order 0, [`MomentError::BadVector`] and
    /// [`MomentError::Dim`] for bad vectors, [`MomentError::TooLarge`] beyond
    /// [`MAX_STATISTIC_LEN`] entries.
    pub fn new(dim: usize, order: usize, gs: &[Col<f64>]) -> Result<Self, MomentError> {
        if order == 0 {
            return Err(MomentError::Order {
                order,
                expected: "at least 1 for a vector contraction (use LabelMean for order 0)",
            });
        }
        check_len(order, dim, gs.len() as u128 * dim as u128)?;
        let (gs, _) = unit_vectors(gs, dim)?;
        Ok(Self { dim, order, gs })
    }

    /// The (unit) contraction vectors.
    #[must_use]
    pub fn vectors(&self) -> &[Col<f64>] {
        &self.gs
    }
}

impl Statistic for VectorContractions {
    fn len(&self) -> usize {
        self.gs.len() * self.dim
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn fingerprint(&self) -> String {
        format!(
            "vector-contractions:d={}:l={}:g={}",
            self.dim,
            self.order,
            bits(&self.gs)
        )
    }
    fn accumulate_chunk(
        &self,
        x: MatRef<'_, f64>,
        y: ColRef<'_, f64>,
        batch_rows: usize,
        partial: &mut Partial,
    ) {
        let (rows, d, l) = (x.nrows(), self.dim, self.order);
        let jobs = self.gs.len();
        let g_mat = Mat::from_fn(d, jobs, |i, j| self.gs[j][i]);
        let mut z = Mat::zeros(batch_rows, jobs);
        let mut w = Mat::zeros(batch_rows, jobs);
        let mut xtw = Mat::zeros(d, jobs);
        let mut out = vec![0.0; self.len()];
        let mut start = 0;
        while start < rows {
            let m = batch_rows.min(rows - start);
            let xb = x.subrows(start, m);
            let mut zb = z.as_mut().subrows_mut(0, m);
            matmul(zb.as_mut(), Accum::Replace, xb, g_mat.as_ref(), 1.0, Par::Seq);
            let mut wb = w.as_mut().subrows_mut(0, m);
            let mut scal = vec![0.0; jobs];
            for j in 0..jobs {
                for i in 0..m {
                    let zi = zb[(i, j)];
                    let (b, c) = if l == 1 {
                        (1.0, zi)
                    } else {
                        let (_, b, c) = h_three(l, zi);
                        (b, c)
                    };
                    let beta = b / (l as f64).sqrt();
                    wb[(i, j)] = y[start + i] * beta;
                    scal[j] += y[start + i] * (c - zi * beta);
                }
            }
            matmul(
                xtw.as_mut(),
                Accum::Replace,
                xb.transpose(),
                wb.as_ref(),
                1.0,
                Par::Seq,
            );
            for j in 0..jobs {
                for k in 0..d {
                    out[j * d + k] = xtw[(k, j)] + scal[j] * self.gs[j][k];
                }
            }
            partial.add_batch(&out, m);
            start += m;
        }
    }
}

/// Contractions of the order-l moment tensor to matrices:
/// `y S_l(x)[g^{l−2}, ·, ·]` for each unit vector g (l ≥ 2; for l = 2 the
/// single matrix `y (x xᵀ − I)/√2` and no vectors). Output: the packed
/// lower triangles one after the other (J · d(d+1)/2).
#[derive(Clone, Debug)]
pub struct MatrixContractions {
    dim: usize,
    order: usize,
    gs: Vec<Col<f64>>,
}

impl MatrixContractions {
    /// Contractions of order `order` ≥ 2 with unit vectors `gs` (normalised
    /// here; must be empty for order 2).
    ///
    /// # Errors
    /// [`MomentError::Order`] for order < 2, [`MomentError::InvalidParam`]
    /// for vectors at order 2 or none at higher orders,
    /// [`MomentError::BadVector`] and [`MomentError::Dim`] for bad vectors,
    /// [`MomentError::TooLarge`] beyond [`MAX_STATISTIC_LEN`] entries.
    pub fn new(dim: usize, order: usize, gs: &[Col<f64>]) -> Result<Self, MomentError> {
        if order < 2 {
            return Err(MomentError::Order {
                order,
                expected: "at least 2 for a matrix contraction",
            });
        }
        if (order == 2) != gs.is_empty() {
            return Err(MomentError::InvalidParam {
                name: "number of contraction vectors",
                value: gs.len() as f64,
                expected: "0 at order 2 and at least 1 above",
            });
        }
        check_len(order, dim, gs.len().max(1) as u128 * packed_len(dim) as u128)?;
        let (gs, _) = unit_vectors(gs, dim)?;
        Ok(Self { dim, order, gs })
    }

    /// The order-2 moment `y (x xᵀ − I)/√2`.
    #[must_use]
    pub fn second_order(dim: usize) -> Self {
        Self {
            dim,
            order: 2,
            gs: Vec::new(),
        }
    }

    fn jobs(&self) -> usize {
        self.gs.len().max(1)
    }

    /// Floating-point operations per sample (multiply–adds count two): the
    /// weighted lower-triangular Gram product dominates.
    #[must_use]
    pub fn flops_per_sample(&self) -> f64 {
        let d = self.dim as f64;
        self.jobs() as f64 * (d * (d + 1.0) + 4.0 * d)
    }
}

impl Statistic for MatrixContractions {
    fn len(&self) -> usize {
        self.jobs() * packed_len(self.dim)
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn fingerprint(&self) -> String {
        format!(
            "matrix-contractions:d={}:l={}:g={}",
            self.dim,
            self.order,
            bits(&self.gs)
        )
    }
    #[allow(non_snake_case)]
    // Over 100 lines: to be split into named parts (for a fit: one per step).
    #[allow(clippy::too_many_lines)]
    fn accumulate_chunk(
        &self,
        x: MatRef<'_, f64>,
        y: ColRef<'_, f64>,
        batch_rows: usize,
        partial: &mut Partial,
    ) {
        let (rows, d, l) = (x.nrows(), self.dim, self.order);
        // Column slices need a column-major chunk; copy once if the caller
        // passed another layout.
        let owned;
        let x = if x.row_stride() == 1 {
            x
        } else {
            owned = x.to_owned();
            owned.as_ref()
        };
        let jobs = self.jobs();
        let plen = packed_len(d);
        let lf = l as f64;
        let (ka, kb) = (1.0 / (lf * (lf - 1.0)).sqrt(), 1.0 / lf.sqrt());
        let g_mat = Mat::from_fn(d, self.gs.len(), |i, j| self.gs[j][i]);
        let mut Z = Mat::zeros(batch_rows, self.gs.len());
        let mut WX = Mat::zeros(batch_rows, d);
        let mut G = Mat::zeros(d, d);
        let mut w = vec![0.0; batch_rows];
        let mut c = Col::zeros(batch_rows);
        let mut r = Col::zeros(d);
        let mut out = vec![0.0; self.len()];
        let mut start = 0;
        while start < rows {
            let m = batch_rows.min(rows - start);
            let xb = x.subrows(start, m);
            if !self.gs.is_empty() {
                matmul(
                    Z.as_mut().subrows_mut(0, m),
                    Accum::Replace,
                    xb,
                    g_mat.as_ref(),
                    1.0,
                    Par::Seq,
                );
            }
            for j in 0..jobs {
                // Per-sample coefficients: w = y α (Gram weight), c = y (β − α z)
                // (rank-2 term), and the scalars Σ w and s.
                let (mut sum_w, mut s) = (0.0, 0.0);
                for i in 0..m {
                    let yi = y[start + i];
                    let (wi, ci) = if l == 2 {
                        (yi * std::f64::consts::FRAC_1_SQRT_2, 0.0)
                    } else {
                        let zi = Z[(i, j)];
                        let (ha, hb, hc) = h_three(l, zi);
                        let (alpha, beta) = (ha * ka, hb * kb);
                        s += yi * (alpha * zi * zi - 2.0 * beta * zi + hc);
                        (yi * alpha, yi * (beta - alpha * zi))
                    };
                    sum_w += wi;
                    w[i] = wi;
                    c[i] = ci;
                }
                if l == 2 {
                    s = -sum_w;
                }
                let mut WXb = WX.as_mut().subrows_mut(0, m);
                for k in 0..d {
                    let src = xb
                        .col(k)
                        .try_as_col_major()
                        .expect("column-major chunk")
                        .as_slice();
                    let dst = WXb
                        .as_mut()
                        .col_mut(k)
                        .try_as_col_major_mut()
                        .expect("owned matrix")
                        .as_slice_mut();
                    for ((o, xi), wi) in dst.iter_mut().zip(src).zip(&w[..m]) {
                        *o = wi * xi;
                    }
                }
                triangular::matmul(
                    G.as_mut(),
                    BlockStructure::TriangularLower,
                    Accum::Replace,
                    xb.transpose(),
                    BlockStructure::Rectangular,
                    WXb.as_ref(),
                    BlockStructure::Rectangular,
                    1.0,
                    Par::Seq,
                );
                let packed = &mut out[j * plen..(j + 1) * plen];
                let mut k = 0;
                if l > 2 {
                    let g = &self.gs[j];
                    matmul(
                        r.as_mut(),
                        Accum::Replace,
                        xb.transpose(),
                        c.as_ref().subrows(0, m),
                        1.0,
                        Par::Seq,
                    );
                    for q in 0..d {
                        let gcol = G.col(q).try_as_col_major().expect("owned matrix").as_slice();
                        let (gq, rq) = (g[q], r[q]);
                        for p in q..d {
                            let delta = if p == q { sum_w } else { 0.0 };
                            packed[k] = gcol[p] - delta + g[p] * (sum_w * gq + rq + s * gq) + r[p] * gq;
                            k += 1;
                        }
                    }
                } else {
                    for q in 0..d {
                        let gcol = G.col(q).try_as_col_major().expect("owned matrix").as_slice();
                        packed[k..k + d - q].copy_from_slice(&gcol[q..]);
                        packed[k] += s;
                        k += d - q;
                    }
                }
            }
            partial.add_batch(&out, m);
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
    dim: usize,
    max_order: usize,
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
    #[allow(non_snake_case)]
    // Over 100 lines: to be split into named parts (for a fit: one per step).
    #[allow(clippy::too_many_lines)]
    fn accumulate_chunk(
        &self,
        x: MatRef<'_, f64>,
        y: ColRef<'_, f64>,
        batch_rows: usize,
        partial: &mut Partial,
    ) {
        let (d, lmax) = (self.dim, self.max_order);
        let d2 = d * d;
        let mut Z2 = Mat::zeros(batch_rows, if lmax >= 3 { d2 } else { 0 });
        let mut YZ = Mat::zeros(batch_rows, d);
        let mut YZ2 = Mat::zeros(batch_rows, if lmax >= 4 { d2 } else { 0 });
        let mut r2 = Mat::zeros(d, d);
        let mut r3 = Mat::zeros(if lmax >= 3 { d2 } else { 0 }, d);
        let mut r4 = Mat::zeros(if lmax >= 4 { d2 } else { 0 }, if lmax >= 4 { d2 } else { 0 });
        let mut out = vec![0.0; self.len()];
        let o = |l: usize| self.offset(l);
        let delta = |a: usize, b: usize| if a == b { 1.0 } else { 0.0 };
        let mut start = 0;
        while start < x.nrows() {
            let m = batch_rows.min(x.nrows() - start);
            let xb = x.subrows(start, m);
            let yb = y.subrows(start, m);
            let r0: f64 = (0..m).map(|i| yb[i]).sum();
            let mut r1 = vec![0.0; d];
            for j in 0..d {
                for i in 0..m {
                    YZ[(i, j)] = yb[i] * xb[(i, j)];
                    r1[j] += YZ[(i, j)];
                }
            }
            if lmax >= 2 {
                matmul(
                    r2.as_mut(),
                    Accum::Replace,
                    xb.transpose(),
                    YZ.as_ref().subrows(0, m),
                    1.0,
                    Par::Seq,
                );
            }
            if lmax >= 3 {
                for a in 0..d {
                    for b in 0..d {
                        for i in 0..m {
                            Z2[(i, a * d + b)] = xb[(i, a)] * xb[(i, b)];
                        }
                    }
                }
                matmul(
                    r3.as_mut(),
                    Accum::Replace,
                    Z2.as_ref().subrows(0, m).transpose(),
                    YZ.as_ref().subrows(0, m),
                    1.0,
                    Par::Seq,
                );
            }
            if lmax >= 4 {
                for c in 0..d2 {
                    for i in 0..m {
                        YZ2[(i, c)] = yb[i] * Z2[(i, c)];
                    }
                }
                matmul(
                    r4.as_mut(),
                    Accum::Replace,
                    Z2.as_ref().subrows(0, m).transpose(),
                    YZ2.as_ref().subrows(0, m),
                    1.0,
                    Par::Seq,
                );
            }
            // Raw moments → Hermite tensors S_l = H_l / √(l!).
            out[0] = r0;
            if lmax >= 1 {
                out[o(1)..o(1) + d].copy_from_slice(&r1);
            }
            if lmax >= 2 {
                let s = std::f64::consts::FRAC_1_SQRT_2;
                for a in 0..d {
                    for b in 0..d {
                        out[o(2) + a * d + b] = s * (r2[(a, b)] - r0 * delta(a, b));
                    }
                }
            }
            if lmax >= 3 {
                let s = 1.0 / 6f64.sqrt();
                for a in 0..d {
                    for b in 0..d {
                        for c in 0..d {
                            let v = r3[(a * d + b, c)]
                                - r1[a] * delta(b, c)
                                - r1[b] * delta(a, c)
                                - r1[c] * delta(a, b);
                            out[o(3) + (a * d + b) * d + c] = s * v;
                        }
                    }
                }
            }
            if lmax >= 4 {
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
                                out[o(4) + ((a * d + b) * d + c) * d + e] = s * v;
                            }
                        }
                    }
                }
            }
            partial.add_batch(&out, m);
            start += m;
        }
    }
}
