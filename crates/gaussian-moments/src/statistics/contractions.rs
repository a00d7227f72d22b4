//! Contractions of moment tensors to vectors and matrices, batch by batch.
//!
//! Expanding `x_⊥` in the contraction identity (see the parent module), a
//! batch sum of `y S_l(x)[g^{l−2}, ·, ·]` is
//! `Xᵀ diag(w) X − (Σ w) P_⊥ + g rᵀ + r gᵀ + s g gᵀ` with `w = y α`,
//! `r = Xᵀ (y (β − α z))`, `s = Σ y (α z² − 2 β z + γ)` and `(α, β, γ)` the
//! three coefficients of the identity: one weighted Gram matrix (lower
//! triangle, a faer triangular product) per contraction vector and batch,
//! plus O(d²).

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Col, ColRef, Mat, MatRef, Par};

use super::{bits, check_len, packed_len, unit_vectors};
use crate::error::MomentError;
use crate::estimator::{Partial, Statistic};
use crate::hermite::h_three;

/// Contractions of the order-l moment tensor to vectors:
/// `y S_l(x)[g^{l−1}, ·]` for each unit vector g (l ≥ 1; for l = 1 this is
/// `y x` whatever g). Output: the vectors one after the other (J · d).
#[derive(Clone, Debug)]
pub struct VectorContractions {
    pub(super) dim: usize,
    pub(super) order: usize,
    pub(super) gs: Vec<Col<f64>>,
}

impl VectorContractions {
    /// Contractions of order `order` ≥ 1 with unit vectors `gs` (normalised
    /// here).
    ///
    /// # Errors
    /// [`MomentError::Order`] for order 0, [`MomentError::BadVector`] and
    /// [`MomentError::Dim`] for bad vectors, [`MomentError::TooLarge`] beyond
    /// [`MAX_STATISTIC_LEN`](super::MAX_STATISTIC_LEN) entries.
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
    fn spec(&self) -> Option<super::StatisticSpec> {
        Some(super::StatisticSpec::VectorContractions {
            dim: self.dim,
            order: self.order,
            gs: super::spec::to_vecs(&self.gs),
        })
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
    pub(super) dim: usize,
    pub(super) order: usize,
    pub(super) gs: Vec<Col<f64>>,
}

impl MatrixContractions {
    /// Contractions of order `order` ≥ 2 with unit vectors `gs` (normalised
    /// here; must be empty for order 2).
    ///
    /// # Errors
    /// [`MomentError::Order`] for order < 2, [`MomentError::InvalidParam`]
    /// for vectors at order 2 or none at higher orders,
    /// [`MomentError::BadVector`] and [`MomentError::Dim`] for bad vectors,
    /// [`MomentError::TooLarge`] beyond [`MAX_STATISTIC_LEN`](super::MAX_STATISTIC_LEN) entries.
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
    fn spec(&self) -> Option<super::StatisticSpec> {
        Some(super::StatisticSpec::MatrixContractions {
            dim: self.dim,
            order: self.order,
            gs: super::spec::to_vecs(&self.gs),
        })
    }
    fn accumulate_chunk(
        &self,
        x: MatRef<'_, f64>,
        y: ColRef<'_, f64>,
        batch_rows: usize,
        partial: &mut Partial,
    ) {
        let rows = x.nrows();
        // Column slices need a column-major chunk; copy once if the caller
        // passed another layout.
        let owned;
        let x = if x.row_stride() == 1 {
            x
        } else {
            owned = x.to_owned();
            owned.as_ref()
        };
        let mut work = GramWork::new(self, batch_rows);
        let mut out = vec![0.0; self.len()];
        let mut start = 0;
        while start < rows {
            let m = batch_rows.min(rows - start);
            self.accumulate_batch(x.subrows(start, m), y.subrows(start, m), &mut work, &mut out);
            partial.add_batch(&out, m);
            start += m;
        }
    }
}

/// The per-chunk constants and batch buffers of
/// [`MatrixContractions::accumulate_chunk`].
struct GramWork {
    /// `1/√(l(l−1))` and `1/√l`, the scales of `h_{l−2}` and `h_{l−1}`.
    ka: f64,
    kb: f64,
    /// The contraction vectors as columns (d × J).
    g_mat: Mat<f64>,
    /// The projections `z = ⟨g, x⟩` of the batch (rows × J).
    z: Mat<f64>,
    /// The weighted rows `diag(w) X`.
    wx: Mat<f64>,
    /// The lower triangle of `Xᵀ diag(w) X`.
    gram: Mat<f64>,
    /// The Gram weights `w = y α`.
    w: Vec<f64>,
    /// The rank-2 coefficients `c = y (β − α z)`.
    c: Col<f64>,
    /// `r = Xᵀ c`.
    r: Col<f64>,
}

impl GramWork {
    /// Constants and buffers for batches of at most `batch_rows` rows.
    fn new(stat: &MatrixContractions, batch_rows: usize) -> Self {
        let (d, l) = (stat.dim, stat.order);
        let lf = l as f64;
        let (ka, kb) = (1.0 / (lf * (lf - 1.0)).sqrt(), 1.0 / lf.sqrt());
        Self {
            ka,
            kb,
            g_mat: Mat::from_fn(d, stat.gs.len(), |i, j| stat.gs[j][i]),
            z: Mat::zeros(batch_rows, stat.gs.len()),
            wx: Mat::zeros(batch_rows, d),
            gram: Mat::zeros(d, d),
            w: vec![0.0; batch_rows],
            c: Col::zeros(batch_rows),
            r: Col::zeros(d),
        }
    }
}

impl MatrixContractions {
    /// The sums of one batch `(xb, yb)` for every contraction vector, packed
    /// into `out`.
    fn accumulate_batch(
        &self,
        xb: MatRef<'_, f64>,
        yb: ColRef<'_, f64>,
        work: &mut GramWork,
        out: &mut [f64],
    ) {
        let (m, l) = (xb.nrows(), self.order);
        let plen = packed_len(self.dim);
        if !self.gs.is_empty() {
            matmul(
                work.z.as_mut().subrows_mut(0, m),
                Accum::Replace,
                xb,
                work.g_mat.as_ref(),
                1.0,
                Par::Seq,
            );
        }
        for j in 0..self.jobs() {
            let (sum_w, s) = self.sample_coefficients(j, yb, work);
            weighted_gram(xb, &work.w[..m], &mut work.wx, &mut work.gram);
            let packed = &mut out[j * plen..(j + 1) * plen];
            if l > 2 {
                matmul(
                    work.r.as_mut(),
                    Accum::Replace,
                    xb.transpose(),
                    work.c.as_ref().subrows(0, m),
                    1.0,
                    Par::Seq,
                );
                pack_contraction(packed, work.gram.as_ref(), &self.gs[j], &work.r, sum_w, s);
            } else {
                pack_second_moment(packed, work.gram.as_ref(), s);
            }
        }
    }

    /// The per-sample coefficients of contraction `j` on a batch: `w = y α`
    /// (Gram weight) and `c = y (β − α z)` (rank-2 term) into `work`, and the
    /// scalars `(Σ w, s)`.
    fn sample_coefficients(&self, j: usize, yb: ColRef<'_, f64>, work: &mut GramWork) -> (f64, f64) {
        let l = self.order;
        let (mut sum_w, mut s) = (0.0, 0.0);
        for i in 0..yb.nrows() {
            let yi = yb[i];
            let (wi, ci) = if l == 2 {
                (yi * std::f64::consts::FRAC_1_SQRT_2, 0.0)
            } else {
                let zi = work.z[(i, j)];
                let (ha, hb, hc) = h_three(l, zi);
                let (alpha, beta) = (ha * work.ka, hb * work.kb);
                s += yi * (alpha * zi * zi - 2.0 * beta * zi + hc);
                (yi * alpha, yi * (beta - alpha * zi))
            };
            sum_w += wi;
            work.w[i] = wi;
            work.c[i] = ci;
        }
        if l == 2 {
            s = -sum_w;
        }
        (sum_w, s)
    }
}

/// The lower triangle of the weighted Gram matrix `Xᵀ diag(w) X` of a
/// (column-major) batch into `gram`, through the weighted rows in `wx`.
fn weighted_gram(xb: MatRef<'_, f64>, w: &[f64], wx: &mut Mat<f64>, gram: &mut Mat<f64>) {
    let (m, d) = (xb.nrows(), gram.nrows());
    let mut wxb = wx.as_mut().subrows_mut(0, m);
    for k in 0..d {
        let src = xb
            .col(k)
            .try_as_col_major()
            .expect("column-major chunk")
            .as_slice();
        let dst = wxb
            .as_mut()
            .col_mut(k)
            .try_as_col_major_mut()
            .expect("owned matrix")
            .as_slice_mut();
        for ((o, xi), wi) in dst.iter_mut().zip(src).zip(w) {
            *o = wi * xi;
        }
    }
    triangular::matmul(
        gram.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        xb.transpose(),
        BlockStructure::Rectangular,
        wxb.as_ref(),
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
}

/// The packed batch sum of `y S_l(x)[g^{l−2}, ·, ·]` (l > 2):
/// `Xᵀ diag(w) X − (Σ w) P_⊥ + g rᵀ + r gᵀ + s g gᵀ`, lower triangle.
fn pack_contraction(
    packed: &mut [f64],
    gram: MatRef<'_, f64>,
    g: &Col<f64>,
    r: &Col<f64>,
    sum_w: f64,
    s: f64,
) {
    let d = gram.nrows();
    let mut k = 0;
    for q in 0..d {
        let gcol = gram.col(q).try_as_col_major().expect("owned matrix").as_slice();
        let (gq, rq) = (g[q], r[q]);
        for p in q..d {
            let delta = if p == q { sum_w } else { 0.0 };
            packed[k] = gcol[p] - delta + g[p] * (sum_w * gq + rq + s * gq) + r[p] * gq;
            k += 1;
        }
    }
}

/// The packed batch sum of `y S_2(x) = y (x xᵀ − I)/√2`: the Gram matrix
/// with `s = −Σ w` added to the diagonal, lower triangle.
fn pack_second_moment(packed: &mut [f64], gram: MatRef<'_, f64>, s: f64) {
    let d = gram.nrows();
    let mut k = 0;
    for q in 0..d {
        let gcol = gram.col(q).try_as_col_major().expect("owned matrix").as_slice();
        packed[k..k + d - q].copy_from_slice(&gcol[q..]);
        packed[k] += s;
        k += d - q;
    }
}
