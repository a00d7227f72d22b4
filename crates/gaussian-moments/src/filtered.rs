//! Label-filtered second moments conditioned on a cell of a subspace: the
//! statistic of the filtered PCA of Chen–Klivans–Meka (FOCS 2021, arXiv
//! 2009.13512, after Chen & Meka, COLT 2020; see `docs/math/subspace-pca.md`):
//!
//! ```text
//! M_{A,c} = E[(P x xᵀ P − P) 1[y ∈ A] | Vᵀ x ∈ c],   P = I − V Vᵀ
//! ```
//!
//! for a label set A, an orthonormal V (d × m, possibly m = 0) and a box c
//! in V-coordinates. If F depends on x only through a subspace U ⊇ V, then
//! M_{A,c} has its column space inside P U: a non-negligible eigenvalue
//! reveals a new direction of U. The estimate is
//! `P (S / n_c) P − (n_A / n_c) P` with `S = Σ_{cell ∧ A} x xᵀ`, one weighted
//! Gram matrix per batch.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, ColRef, Mat, MatRef, Par};
use relu_net::SampleSource;
use serde::{Deserialize, Serialize};

use crate::error::MomentError;
use crate::estimator::{Estimator, Partial, Statistic};
use crate::statistics::{packed_len, unpack_sym};

/// A set of labels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LabelSet {
    /// `y ≥ tau`.
    AtLeast {
        /// The threshold τ.
        #[serde(with = "relu_net::pass::extended")]
        tau: f64,
    },
    /// `lo ≤ y < hi`.
    Interval {
        /// Lower end (inclusive).
        #[serde(with = "relu_net::pass::extended")]
        lo: f64,
        /// Upper end (exclusive).
        #[serde(with = "relu_net::pass::extended")]
        hi: f64,
    },
    /// `|y| ≥ tau`.
    AbsAtLeast {
        /// The threshold τ.
        #[serde(with = "relu_net::pass::extended")]
        tau: f64,
    },
}

impl LabelSet {
    /// Whether `y` is in the set.
    #[must_use]
    pub fn contains(&self, y: f64) -> bool {
        match *self {
            LabelSet::AtLeast { tau } => y >= tau,
            LabelSet::Interval { lo, hi } => lo <= y && y < hi,
            LabelSet::AbsAtLeast { tau } => y.abs() >= tau,
        }
    }

    fn fingerprint(&self) -> String {
        match *self {
            LabelSet::AtLeast { tau } => format!("ge:{:016x}", tau.to_bits()),
            LabelSet::Interval { lo, hi } => format!("in:{:016x}:{:016x}", lo.to_bits(), hi.to_bits()),
            LabelSet::AbsAtLeast { tau } => format!("absge:{:016x}", tau.to_bits()),
        }
    }
}

/// A box `lo ≤ Vᵀ x < hi` in the coordinates of an orthonormal V.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    // Invariant: basis is d × m with orthonormal columns; lo, hi have m
    // entries with lo < hi. (A deserialised cell is a worker's copy of a
    // cell built with `new`: see `StatisticSpec`.)
    #[serde(with = "relu_net::pass::mat")]
    pub(crate) basis: Mat<f64>,
    #[serde(with = "relu_net::pass::extended::vec")]
    pub(crate) lo: Vec<f64>,
    #[serde(with = "relu_net::pass::extended::vec")]
    pub(crate) hi: Vec<f64>,
}

impl Cell {
    /// The box `[lo, hi)` in the coordinates of the columns of `basis`.
    ///
    /// # Errors
    /// [`MomentError::Dim`] for mismatched lengths,
    /// [`MomentError::InvalidParam`] for a non-orthonormal basis or an empty
    /// box.
    pub fn new(basis: MatRef<'_, f64>, lo: Vec<f64>, hi: Vec<f64>) -> Result<Self, MomentError> {
        let m = basis.ncols();
        if lo.len() != m || hi.len() != m {
            return Err(MomentError::Dim {
                what: "the cell's bounds (one per basis vector)",
                expected: m,
                got: lo.len().min(hi.len()),
            });
        }
        if lo
            .iter()
            .zip(&hi)
            .any(|(a, b)| a.partial_cmp(b) != Some(std::cmp::Ordering::Less))
        {
            return Err(MomentError::InvalidParam {
                name: "cell bounds",
                value: f64::NAN,
                expected: "lo < hi in every coordinate",
            });
        }
        let gram = basis.transpose() * basis;
        let dev = (0..m)
            .flat_map(|i| (0..m).map(move |j| (i, j)))
            .map(|(i, j)| (gram[(i, j)] - if i == j { 1.0 } else { 0.0 }).abs())
            .fold(0.0, f64::max);
        if dev.is_nan() || dev > 1e-10 {
            return Err(MomentError::InvalidParam {
                name: "cell basis orthonormality deviation",
                value: dev,
                expected: "at most 1e-10",
            });
        }
        Ok(Self {
            basis: basis.to_owned(),
            lo,
            hi,
        })
    }
}

/// The statistic `[1[c], 1[c ∧ A], 1[c ∧ A] x xᵀ (packed)]`.
pub(crate) struct Filtered<'a> {
    pub(crate) dim: usize,
    pub(crate) set: LabelSet,
    pub(crate) cell: Option<std::borrow::Cow<'a, Cell>>,
}

impl Statistic for Filtered<'_> {
    fn len(&self) -> usize {
        2 + packed_len(self.dim)
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn spec(&self) -> Option<crate::statistics::StatisticSpec> {
        Some(crate::statistics::StatisticSpec::Filtered {
            dim: self.dim,
            set: self.set,
            cell: self.cell.as_deref().cloned(),
        })
    }
    fn fingerprint(&self) -> String {
        let cell = self.cell.as_deref().map_or("none".to_owned(), |c| {
            let b: Vec<String> = c
                .basis
                .col_iter()
                .flat_map(|col| {
                    col.iter()
                        .map(|v| format!("{:016x}", v.to_bits()))
                        .collect::<Vec<_>>()
                })
                .collect();
            let lo: Vec<String> = c.lo.iter().map(|v| format!("{:016x}", v.to_bits())).collect();
            let hi: Vec<String> = c.hi.iter().map(|v| format!("{:016x}", v.to_bits())).collect();
            format!("{}:{}:{}", b.join(""), lo.join(""), hi.join(""))
        });
        format!("filtered:d={}:{}:{cell}", self.dim, self.set.fingerprint())
    }
    fn accumulate_chunk(
        &self,
        x: MatRef<'_, f64>,
        y: ColRef<'_, f64>,
        batch_rows: usize,
        partial: &mut Partial,
    ) {
        let d = self.dim;
        let mut wx = Mat::zeros(batch_rows, d);
        let mut g = Mat::zeros(d, d);
        let cell = self.cell.as_deref();
        let mut z = cell.map(|c| Mat::zeros(batch_rows, c.basis.ncols()));
        let mut out = vec![0.0; self.len()];
        let mut start = 0;
        while start < x.nrows() {
            let m = batch_rows.min(x.nrows() - start);
            let xb = x.subrows(start, m);
            if let (Some(c), Some(z)) = (cell, z.as_mut()) {
                matmul(
                    z.as_mut().subrows_mut(0, m),
                    Accum::Replace,
                    xb,
                    c.basis.as_ref(),
                    1.0,
                    Par::Seq,
                );
            }
            let (mut n_cell, mut n_sel) = (0.0, 0.0);
            for i in 0..m {
                let in_cell = match (cell, z.as_ref()) {
                    (Some(c), Some(z)) => {
                        (0..c.lo.len()).all(|k| c.lo[k] <= z[(i, k)] && z[(i, k)] < c.hi[k])
                    }
                    _ => true,
                };
                let w = if in_cell && self.set.contains(y[start + i]) {
                    1.0
                } else {
                    0.0
                };
                n_cell += if in_cell { 1.0 } else { 0.0 };
                n_sel += w;
                for k in 0..d {
                    wx[(i, k)] = w * xb[(i, k)];
                }
            }
            triangular::matmul(
                g.as_mut(),
                BlockStructure::TriangularLower,
                Accum::Replace,
                xb.transpose(),
                BlockStructure::Rectangular,
                wx.as_ref().subrows(0, m),
                BlockStructure::Rectangular,
                1.0,
                Par::Seq,
            );
            out[0] = n_cell;
            out[1] = n_sel;
            let mut k = 2;
            for q in 0..d {
                for p in q..d {
                    out[k] = g[(p, q)];
                    k += 1;
                }
            }
            partial.add_batch(&out, m);
            start += m;
        }
    }
}

/// A filtered second moment and what it was computed from.
#[derive(Clone, Debug, PartialEq)]
pub struct FilteredMoment {
    /// `M_{A,c}` (d × d, symmetric, column space inside `P = I − V Vᵀ`).
    pub matrix: Mat<f64>,
    /// Entrywise standard errors of `E[x xᵀ 1[A] | c]` (before the
    /// projection by P).
    pub std_error: Mat<f64>,
    /// Samples in the cell.
    pub n_cell: u64,
    /// Samples in the cell with a label in A.
    pub n_selected: u64,
    /// `√(d / n_cell)`, the order of the operator-norm fluctuation of an
    /// empirical second moment of n_cell Gaussian vectors: eigenvalues below
    /// a few times this are indistinguishable from noise.
    pub noise_floor: f64,
}

/// Estimates `M_{A,c}` (see the module docs); without a cell, V = 0 and
/// `P = I`.
///
/// # Errors
/// [`MomentError::Dim`] if the cell's basis has the wrong dimension,
/// [`MomentError::TooFewSamples`] if no sample falls in the cell.
pub fn filtered_second_moment(
    src: &dyn SampleSource,
    set: LabelSet,
    cell: Option<&Cell>,
    est: &Estimator,
    par: Par,
) -> Result<FilteredMoment, MomentError> {
    let d = src.dim();
    if let Some(c) = cell
        && c.basis.nrows() != d
    {
        return Err(MomentError::Dim {
            what: "the cell basis",
            expected: d,
            got: c.basis.nrows(),
        });
    }
    let stat = Filtered {
        dim: d,
        set,
        cell: cell.map(std::borrow::Cow::Borrowed),
    };
    let e = est.estimate(&stat, src, par)?;
    let n = e.n_samples as f64;
    let (n_cell, n_sel) = (e.mean[0] * n, e.mean[1] * n);
    if n_cell < 0.5 {
        return Err(MomentError::TooFewSamples {
            what: "a filtered moment (samples in the cell)",
            needed: 1,
            got: 0,
        });
    }
    // Means over all samples → conditional means given the cell.
    let ratio = n / n_cell;
    let s = unpack_sym(&e.mean[2..], d);
    let se = if e.std_error.is_empty() {
        Mat::from_fn(d, d, |_, _| f64::NAN)
    } else {
        unpack_sym(&e.std_error[2..], d)
    };
    let p = match cell {
        Some(c) => Mat::<f64>::identity(d, d) - &c.basis * c.basis.transpose(),
        None => Mat::identity(d, d),
    };
    let cond = faer::Scale(ratio) * &s;
    let matrix = &p * &cond * &p - faer::Scale(n_sel / n_cell) * &p;
    Ok(FilteredMoment {
        matrix,
        std_error: faer::Scale(ratio) * &se,
        n_cell: n_cell.round() as u64,
        n_selected: n_sel.round() as u64,
        noise_floor: (d as f64 / n_cell).sqrt(),
    })
}
