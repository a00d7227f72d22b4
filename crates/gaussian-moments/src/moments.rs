//! Moment estimates from samples: label mean, first moment, contractions of
//! moment tensors of any order (several in one pass), dense tensors for small
//! d, and the [`EmpiricalTensor`] that exposes an order-l moment tensor as a
//! [`SymTensor`] known only through contractions.
//!
//! All tensors use the normalised Hermite tensor `S_l = H_l / √(l!)`; the
//! unnormalised `E[y H_l(x)]` (e.g. `T₂ = E[y (x xᵀ − I)]`) is `√(l!)` times
//! these.

use faer::{Col, ColRef, Mat, Par};
use relu_net::SampleSource;
use serde::{Deserialize, Serialize};
use tensor_decomp::{DenseSymTensor, SymTensor};

use crate::error::MomentError;
use crate::estimator::{Estimate, Estimator};
use crate::statistics::{
    DenseMoments, LabelMean, MatrixContractions, VectorContractions, packed_len, unpack_sym,
};

/// A scalar estimate with its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalarEstimate {
    /// The estimate.
    pub mean: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Samples used.
    pub n_samples: u64,
}

/// A vector estimate with entrywise standard errors.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorEstimate {
    /// The estimate.
    pub mean: Col<f64>,
    /// Entrywise standard errors.
    pub std_error: Col<f64>,
    /// Samples used.
    pub n_samples: u64,
}

/// A symmetric matrix estimate with entrywise standard errors.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixEstimate {
    /// The estimate.
    pub mean: Mat<f64>,
    /// Entrywise standard errors.
    pub std_error: Mat<f64>,
    /// Samples used.
    pub n_samples: u64,
}

fn se_or_nan(se: &[f64], k: usize) -> f64 {
    se.get(k).copied().unwrap_or(f64::NAN)
}

/// `E[y]`.
///
/// # Errors
/// [`MomentError::TooFewSamples`] for an empty source.
pub fn label_mean(src: &dyn SampleSource, est: &Estimator, par: Par) -> Result<ScalarEstimate, MomentError> {
    let e = est.estimate(&LabelMean::new(src.dim()), src, par)?;
    Ok(ScalarEstimate {
        mean: e.mean[0],
        std_error: se_or_nan(&e.std_error, 0),
        n_samples: e.n_samples,
    })
}

/// The moments a depth-2 learner starts from, in one pass: `E[y]`,
/// `E[y x]` and `E[y S_2(x)] = E[y (x xᵀ − I)]/√2`.
#[derive(Clone, Debug, PartialEq)]
pub struct LowOrderMoments {
    /// `E[y]`.
    pub t0: ScalarEstimate,
    /// `E[y x]`.
    pub t1: VectorEstimate,
    /// `E[y S_2(x)]`.
    pub t2: MatrixEstimate,
}

/// `E[y]`, `E[y x]` and `E[y S_2(x)]` in one pass.
///
/// # Errors
/// [`MomentError::TooFewSamples`] for an empty source.
pub fn low_order_moments(
    src: &dyn SampleSource,
    est: &Estimator,
    par: Par,
) -> Result<LowOrderMoments, MomentError> {
    let d = src.dim();
    let stat = crate::statistics::LowOrder::new(d);
    let e = est.estimate(&stat, src, par)?;
    let p = packed_len(d);
    let se = |k: usize| se_or_nan(&e.std_error, k);
    Ok(LowOrderMoments {
        t0: ScalarEstimate {
            mean: e.mean[0],
            std_error: se(0),
            n_samples: e.n_samples,
        },
        t1: VectorEstimate {
            mean: Col::from_fn(d, |k| e.mean[1 + k]),
            std_error: Col::from_fn(d, |k| se(1 + k)),
            n_samples: e.n_samples,
        },
        t2: MatrixEstimate {
            mean: unpack_sym(&e.mean[1 + d..1 + d + p], d),
            std_error: unpack_sym(&(1 + d..1 + d + p).map(se).collect::<Vec<_>>(), d),
            n_samples: e.n_samples,
        },
    })
}

/// Vector contractions `E[y S_l(x)[g^{l−1}, ·]]`, one per vector in `gs`, in
/// one pass (l = 1 gives `E[y x]` for any g).
///
/// # Errors
/// As [`VectorContractions::new`] and [`Estimator::estimate`].
pub fn vector_contractions(
    src: &dyn SampleSource,
    order: usize,
    gs: &[Col<f64>],
    est: &Estimator,
    par: Par,
) -> Result<Vec<VectorEstimate>, MomentError> {
    let d = src.dim();
    let stat = VectorContractions::new(d, order, gs)?;
    let norms: Vec<f64> = gs.iter().map(|g| g.norm_l2()).collect();
    let e = est.estimate(&stat, src, par)?;
    Ok(norms
        .iter()
        .enumerate()
        .map(|(j, n)| {
            // The contraction is homogeneous of degree l − 1 in g.
            let s = n.powi(order as i32 - 1);
            VectorEstimate {
                mean: Col::from_fn(d, |k| s * e.mean[j * d + k]),
                std_error: Col::from_fn(d, |k| s * se_or_nan(&e.std_error, j * d + k)),
                n_samples: e.n_samples,
            }
        })
        .collect())
}

/// `E[y x]`, the first moment.
///
/// # Errors
/// As [`vector_contractions`].
pub fn first_moment(
    src: &dyn SampleSource,
    est: &Estimator,
    par: Par,
) -> Result<VectorEstimate, MomentError> {
    let g = Col::from_fn(src.dim(), |k| if k == 0 { 1.0 } else { 0.0 });
    Ok(vector_contractions(src, 1, &[g], est, par)?.remove(0))
}

/// Matrix contractions `E[y S_l(x)[g^{l−2}, ·, ·]]`, one per vector in `gs`,
/// in one pass over the samples. For l = 2 pass no vectors: the result is
/// the single matrix `E[y (x xᵀ − I)]/√2`.
///
/// # Errors
/// As [`MatrixContractions::new`] and [`Estimator::estimate`].
///
/// # Complexity
/// O(n d² J) time (J = number of vectors), O(J d²) memory per worker plus
/// O(J d² log(n / chunk)) for the reduction tree; independent of n otherwise.
pub fn matrix_contractions(
    src: &dyn SampleSource,
    order: usize,
    gs: &[Col<f64>],
    est: &Estimator,
    par: Par,
) -> Result<Vec<MatrixEstimate>, MomentError> {
    let d = src.dim();
    let stat = MatrixContractions::new(d, order, gs)?;
    let e = est.estimate(&stat, src, par)?;
    Ok(matrix_estimates(&e, d, order, gs))
}

/// The contractions of an [`Estimate`] of [`MatrixContractions`]`::new(d,
/// order, gs)`: what [`matrix_contractions`] returns, for estimates
/// assembled from shards ([`Estimator::accumulate_range`],
/// [`crate::Accumulator::merge`], [`crate::Accumulator::finish`]).
///
/// # Panics
/// If `e` does not have the statistic's length (`d(d+1)/2` per vector, one
/// block when `gs` is empty).
#[must_use]
pub fn matrix_estimates(e: &Estimate, d: usize, order: usize, gs: &[Col<f64>]) -> Vec<MatrixEstimate> {
    let p = packed_len(d);
    assert_eq!(
        e.mean.len(),
        p * gs.len().max(1),
        "matrix_estimates: the estimate is not of this statistic"
    );
    let scales: Vec<f64> = if gs.is_empty() {
        vec![1.0]
    } else {
        gs.iter().map(|g| g.norm_l2().powi(order as i32 - 2)).collect()
    };
    scales
        .iter()
        .enumerate()
        .map(|(j, s)| {
            let mean: Vec<f64> = e.mean[j * p..(j + 1) * p].iter().map(|v| s * v).collect();
            let se: Vec<f64> = (j * p..(j + 1) * p)
                .map(|k| s * se_or_nan(&e.std_error, k))
                .collect();
            MatrixEstimate {
                mean: unpack_sym(&mean, d),
                std_error: unpack_sym(&se, d),
                n_samples: e.n_samples,
            }
        })
        .collect()
}

/// `E[y (x xᵀ − I)]/√2 = E[y S_2(x)]`.
///
/// # Errors
/// As [`matrix_contractions`].
pub fn second_moment(
    src: &dyn SampleSource,
    est: &Estimator,
    par: Par,
) -> Result<MatrixEstimate, MomentError> {
    Ok(matrix_contractions(src, 2, &[], est, par)?.remove(0))
}

/// A dense tensor estimate: entries (last index fastest) and their standard
/// errors.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseEstimate {
    /// The entries.
    pub mean: Vec<f64>,
    /// Entrywise standard errors.
    pub std_error: Vec<f64>,
}

/// The dense moment tensors `E[y S_l(x)]` of every order l ≤ `max_order`
/// (≤ 4, small d), with entrywise standard errors (same layout), in one
/// pass. `result[l]` is the order-l tensor (order 0 and 1 as tensors of
/// order 1 with 1 and d entries).
///
/// # Errors
/// As [`DenseMoments::new`] and [`Estimator::estimate`].
pub fn dense_moments(
    src: &dyn SampleSource,
    max_order: usize,
    est: &Estimator,
    par: Par,
) -> Result<Vec<DenseEstimate>, MomentError> {
    let d = src.dim();
    let stat = DenseMoments::new(d, max_order)?;
    let e = est.estimate(&stat, src, par)?;
    Ok((0..=max_order)
        .map(|l| {
            let (a, b) = (stat.offset(l), stat.offset(l + 1));
            let se = if e.std_error.is_empty() {
                vec![f64::NAN; b - a]
            } else {
                e.std_error[a..b].to_vec()
            };
            DenseEstimate {
                mean: e.mean[a..b].to_vec(),
                std_error: se,
            }
        })
        .collect())
}

/// The dense order-l moment tensor `E[y S_l(x)]` (2 ≤ l ≤ 4, small d) and
/// its entrywise standard errors.
///
/// # Errors
/// [`MomentError::Order`] for l outside 2..=4, and as [`dense_moments`].
pub fn dense_moment(
    src: &dyn SampleSource,
    order: usize,
    est: &Estimator,
    par: Par,
) -> Result<(DenseSymTensor, Vec<f64>), MomentError> {
    if !(2..=4).contains(&order) {
        return Err(MomentError::Order {
            order,
            expected: "between 2 and 4 for a dense symmetric tensor",
        });
    }
    let DenseEstimate { mean, std_error: se } = dense_moments(src, order, est, par)?.swap_remove(order);
    let t = DenseSymTensor::new(order, src.dim(), mean).map_err(|_| MomentError::LinearAlgebra {
        what: "assembling a dense tensor from its entries",
    })?;
    Ok((t, se))
}

/// The order-l moment tensor `E[y S_l(x)]` of a sample source, known only
/// through contractions: each contraction is one streaming pass over the
/// samples. Contractions with l − 2 (or l − 1) equal vectors cost one
/// weighted Gram matrix per sample; distinct vectors go through the
/// polarisation identity
/// `T(v_1, …, v_p, ·) = (1/(2^{p−1} p!)) Σ_{ε ∈ {±1}^p, ε_1 = 1} (Π ε_i) T(u_ε^{⊗p}, ·)`,
/// `u_ε = Σ ε_i v_i`, whose 2^{p−1} terms are computed in the same pass.
///
/// # Panics
/// The `SymTensor` methods panic, as the trait documents, for contraction
/// vectors of the wrong number or length, for non-finite vectors, and for
/// more than [`MAX_POLARIZED`] distinct ones; [`EmpiricalTensor::contract_many`]
/// returns these as errors instead.
pub struct EmpiricalTensor<'a> {
    src: &'a dyn SampleSource,
    order: usize,
    est: Estimator,
}

/// Largest number of contraction vectors that polarisation accepts
/// (2^{p−1} contractions per call).
pub const MAX_POLARIZED: usize = 10;

impl<'a> EmpiricalTensor<'a> {
    /// The order-`order` moment tensor of `src` (order ≥ 2).
    ///
    /// # Errors
    /// [`MomentError::Order`] for order < 2, [`MomentError::TooFewSamples`]
    /// for an empty source.
    pub fn new(src: &'a dyn SampleSource, order: usize, est: Estimator) -> Result<Self, MomentError> {
        if order < 2 {
            return Err(MomentError::Order {
                order,
                expected: "at least 2 for a tensor known through matrix contractions",
            });
        }
        if src.is_empty() {
            return Err(MomentError::TooFewSamples {
                what: "an empirical moment tensor",
                needed: 1,
                got: 0,
            });
        }
        Ok(Self { src, order, est })
    }

    /// Several matrix contractions `T(g^{l−2}, ·, ·)` in one pass, with
    /// standard errors.
    ///
    /// # Errors
    /// As [`matrix_contractions`].
    pub fn contract_many(&self, gs: &[Col<f64>], par: Par) -> Result<Vec<MatrixEstimate>, MomentError> {
        matrix_contractions(self.src, self.order, gs, &self.est, par)
    }

    /// Polarisation: the combined vectors `u_ε` and signed weights for
    /// `T(v_1, …, v_p, …)`.
    fn polarize(vs: &[ColRef<'_, f64>]) -> Vec<(Col<f64>, f64)> {
        let p = vs.len();
        let d = vs[0].nrows();
        if vs.iter().any(|v| v.norm_l2() == 0.0) {
            // Multilinear in each vector: a zero vector gives zero.
            return Vec::new();
        }
        let first = vs[0].to_owned();
        let parallel = vs.iter().all(|v| {
            let dot: f64 = (0..d).map(|k| v[k] * first[k]).sum();
            (dot.abs() - v.norm_l2() * first.norm_l2()).abs() <= 1e-15 * v.norm_l2() * first.norm_l2()
        });
        if parallel {
            // All vectors are multiples of the first: one contraction.
            let scale: f64 = vs
                .iter()
                .map(|v| {
                    let dot: f64 = (0..d).map(|k| v[k] * first[k]).sum();
                    dot / first.squared_norm_l2()
                })
                .product();
            return vec![(first, scale)];
        }
        assert!(
            p <= MAX_POLARIZED,
            "EmpiricalTensor: at most {MAX_POLARIZED} distinct contraction vectors"
        );
        let fact: f64 = (1..=p).map(|k| k as f64).product();
        let norm = 1.0 / (2f64.powi(p as i32 - 1) * fact);
        (0..1usize << (p - 1))
            .map(|mask| {
                let signs: Vec<f64> = (0..p)
                    .map(|i| {
                        if i > 0 && mask & (1 << (i - 1)) != 0 {
                            -1.0
                        } else {
                            1.0
                        }
                    })
                    .collect();
                let u = Col::from_fn(d, |k| (0..p).map(|i| signs[i] * vs[i][k]).sum());
                (u, norm * signs.iter().product::<f64>())
            })
            .collect()
    }
}

impl SymTensor for EmpiricalTensor<'_> {
    fn dim(&self) -> usize {
        self.src.dim()
    }

    fn order(&self) -> usize {
        self.order
    }

    fn contract_to_matrix(&self, vs: &[ColRef<'_, f64>], par: Par) -> Mat<f64> {
        assert_eq!(vs.len(), self.order - 2, "contract_to_matrix: number of vectors");
        let d = self.dim();
        if vs.is_empty() {
            return second_moment(self.src, &self.est, par)
                .expect("validated source")
                .mean;
        }
        let terms = Self::polarize(vs);
        let (us, ws): (Vec<Col<f64>>, Vec<f64>) =
            terms.into_iter().filter(|(u, _)| u.norm_l2() > 0.0).unzip();
        if us.is_empty() {
            return Mat::zeros(d, d);
        }
        let parts = self
            .contract_many(&us, par)
            .expect("validated source and vectors");
        let mut out = Mat::zeros(d, d);
        for (part, w) in parts.iter().zip(&ws) {
            out += faer::Scale(*w) * &part.mean;
        }
        out
    }

    fn contract_to_vector(&self, vs: &[ColRef<'_, f64>], par: Par) -> Col<f64> {
        assert_eq!(vs.len(), self.order - 1, "contract_to_vector: number of vectors");
        let d = self.dim();
        let terms = Self::polarize(vs);
        let (us, ws): (Vec<Col<f64>>, Vec<f64>) =
            terms.into_iter().filter(|(u, _)| u.norm_l2() > 0.0).unzip();
        if us.is_empty() {
            return Col::zeros(d);
        }
        let parts = vector_contractions(self.src, self.order, &us, &self.est, par)
            .expect("validated source and vectors");
        let mut out = Col::zeros(d);
        for (part, w) in parts.iter().zip(&ws) {
            out += faer::Scale(*w) * &part.mean;
        }
        out
    }
}
