//! The pre-step every learner shares: inputs from any Gaussian
//! `x ~ N(μ, Σ)` reduced exactly to the standard case.
//!
//! The algorithms of this crate are stated for `x ~ N(0, I_d)`. With
//! `z = A (x − μ)`, `A = Σ^(−1/2)`, the inputs `z` are standard, and a network
//! `g(z)` with first layer `(W, b)` is the network `f(x) = g(A(x − μ))` with
//! first layer `(W A, b − W A μ)` and the deeper layers unchanged: the map
//! back is exact. When `Σ` has rank `r < d` the inputs live on an affine
//! subspace; `A = Λ_r^(−1/2) U_rᵀ` (the top-r eigenpairs of `Σ`) gives
//! standard `z ∈ ℝ^r` and the same map back.
//!
//! [`InputStats`] is one pass over the inputs: the mean, the covariance and,
//! for a Gaussianity check, the standardised third and fourth moments
//! (skewness and excess kurtosis) of every coordinate and of
//! [`GAUSSIANITY_DIRECTIONS`] fixed random directions. Under a Gaussian law
//! each skewness is ≈ `N(0, 6/n)` and each excess kurtosis ≈ `N(0, 24/n)`;
//! the largest z-score is compared with a Bonferroni threshold
//! `4 + sqrt(2 ln m)` over the `m` statistics, so a Gaussian sample is
//! flagged with probability far below 1 %.
//!
//! [`fit_any_gaussian`] runs a learner behind this pre-step: with
//! [`InputMode::Auto`] it whitens unless the data are consistent with
//! `N(0, I_d)` (every mean within `t/√n`, every covariance entry within
//! `t·sqrt((1 + δ_ij)/n)` of the identity, `t` the same Bonferroni threshold)
//! — so standard data are learned exactly as before, bit for bit.

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, ColMut, Mat, MatMut, MatRef, Par, Side};
use relu_net::{Network, SampleSource, Seed, fold_chunks, gaussian_matrix};
use serde::{Deserialize, Serialize};

use crate::common::CHUNK_ROWS;
use crate::error::LearnError;
use crate::model::Model;
use crate::{Fitted, Learner, Observer};

/// Random directions (besides the coordinates) whose marginals enter the
/// Gaussianity check.
pub const GAUSSIANITY_DIRECTIONS: usize = 8;

/// Eigenvalues of `Σ̂` below this fraction of the largest count as zero
/// (the inputs are then learned on the span of the others).
pub const RANK_TOL: f64 = 1e-9;

/// How [`fit_any_gaussian`] treats the inputs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputMode {
    /// Estimate `μ` and `Σ` in one pass and whiten unless the data are
    /// consistent with `N(0, I_d)`.
    #[default]
    Auto,
    /// Take `x ~ N(0, I_d)` as given: no pass, no whitening.
    AssumeStandard,
    /// Whiten with this mean and covariance (row-major, d × d).
    Given {
        /// The mean μ.
        mean: Vec<f64>,
        /// The covariance Σ, one row per entry.
        covariance: Vec<Vec<f64>>,
    },
}

/// Mean, covariance and Gaussianity statistics of the inputs of a source.
#[derive(Clone, Debug, PartialEq)]
pub struct InputStats {
    /// Samples seen.
    pub n: usize,
    /// The sample mean μ̂.
    pub mean: Col<f64>,
    /// The sample covariance Σ̂ (divided by n).
    pub covariance: Mat<f64>,
    /// Skewness z-scores, `skew / sqrt(6/n)`: the coordinates, then the
    /// random directions (NaN for a constant one).
    pub skew_z: Vec<f64>,
    /// Excess-kurtosis z-scores, `(kurt − 3) / sqrt(24/n)`, in the same
    /// order.
    pub kurtosis_z: Vec<f64>,
}

/// The Bonferroni threshold `4 + sqrt(2 ln m)` for the largest of `m`
/// approximately standard normal z-scores.
#[must_use]
pub fn bonferroni(m: usize) -> f64 {
    4.0 + (2.0 * (m.max(1) as f64).ln()).sqrt()
}

impl InputStats {
    /// One pass over the inputs of `src` (labels are ignored). The random
    /// directions come from `seed`.
    ///
    /// # Errors
    /// [`LearnError::TooFewSamples`] below 2 samples, [`LearnError::Net`]
    /// for non-finite inputs.
    // Over 100 lines: to be split into named parts (for a fit: one per step).
    #[allow(clippy::too_many_lines)]
    pub fn estimate(src: &dyn SampleSource, seed: Seed, par: Par) -> Result<Self, LearnError> {
        let (n, d) = (src.len(), src.dim());
        if n < 2 {
            return Err(LearnError::TooFewSamples {
                learner: "input statistics",
                needed: 2,
                got: n,
            });
        }
        // Shift by the mean of the first rows, so that the power sums are of
        // deviations of the spread's size (no cancellation at any offset).
        let n0 = n.min(1024);
        let (x0, _) = crate::common::load_rows(&crate::common::Rows::new(src, 0, n0), n0);
        let shift: Vec<f64> = (0..d)
            .map(|j| (0..n0).map(|i| x0[(i, j)]).sum::<f64>() / n0 as f64)
            .collect();
        if shift.iter().any(|v| !v.is_finite()) {
            return Err(LearnError::Net(relu_net::NetError::NonFinite {
                what: "x",
                location: "the first rows".to_owned(),
            }));
        }
        let r = GAUSSIANITY_DIRECTIONS;
        let mut g = gaussian_matrix(d, r, seed.derive("gaussianity"));
        for c in 0..r {
            let norm = g.col(c).norm_l2();
            for j in 0..d {
                g[(j, c)] /= norm;
            }
        }
        let m = d + r;
        struct Acc {
            rows: usize,
            bad: usize,
            s1: Vec<f64>,
            gram: Mat<f64>,
            // Power sums 1–4 of the coordinates and the directions.
            p: [Vec<f64>; 4],
        }
        let acc = fold_chunks(
            src,
            CHUNK_ROWS,
            || Acc {
                rows: 0,
                bad: 0,
                s1: vec![0.0; d],
                gram: Mat::zeros(d, d),
                p: [vec![0.0; m], vec![0.0; m], vec![0.0; m], vec![0.0; m]],
            },
            |acc, x, _y| {
                let rows = x.nrows();
                let mut c = Mat::from_fn(rows, d, |i, j| x[(i, j)] - shift[j]);
                for j in 0..d {
                    for i in 0..rows {
                        if !c[(i, j)].is_finite() {
                            acc.bad += 1;
                            c[(i, j)] = 0.0;
                        }
                    }
                }
                matmul(
                    acc.gram.as_mut(),
                    Accum::Add,
                    c.transpose(),
                    c.as_ref(),
                    1.0,
                    Par::Seq,
                );
                let mut t = Mat::zeros(rows, r);
                matmul(t.as_mut(), Accum::Replace, c.as_ref(), g.as_ref(), 1.0, Par::Seq);
                for s in 0..m {
                    let col = if s < d { c.col(s) } else { t.col(s - d) };
                    let (mut a1, mut a2, mut a3, mut a4) = (0.0, 0.0, 0.0, 0.0);
                    for &v in col.iter() {
                        let v2 = v * v;
                        a1 += v;
                        a2 += v2;
                        a3 += v2 * v;
                        a4 += v2 * v2;
                    }
                    acc.p[0][s] += a1;
                    acc.p[1][s] += a2;
                    acc.p[2][s] += a3;
                    acc.p[3][s] += a4;
                    if s < d {
                        acc.s1[s] += a1;
                    }
                }
                acc.rows += rows;
            },
            |a, b| {
                a.rows += b.rows;
                a.bad += b.bad;
                for j in 0..d {
                    a.s1[j] += b.s1[j];
                }
                a.gram += &b.gram;
                for q in 0..4 {
                    for s in 0..m {
                        a.p[q][s] += b.p[q][s];
                    }
                }
            },
            par,
        );
        if acc.bad > 0 {
            return Err(LearnError::Net(relu_net::NetError::NonFinite {
                what: "x",
                location: format!("{} entries", acc.bad),
            }));
        }
        let nf = n as f64;
        let dm: Vec<f64> = acc.s1.iter().map(|s| s / nf).collect();
        let mean = Col::from_fn(d, |j| shift[j] + dm[j]);
        let covariance = Mat::from_fn(d, d, |i, j| {
            let v = acc.gram[(i, j)] / nf - dm[i] * dm[j];
            if i == j { v.max(0.0) } else { v }
        });
        let covariance = Mat::from_fn(d, d, |i, j| 0.5 * (covariance[(i, j)] + covariance[(j, i)]));
        let (mut skew_z, mut kurtosis_z) = (Vec::with_capacity(m), Vec::with_capacity(m));
        for s in 0..m {
            let e1 = acc.p[0][s] / nf;
            let e2 = acc.p[1][s] / nf;
            let e3 = acc.p[2][s] / nf;
            let e4 = acc.p[3][s] / nf;
            let m2 = e2 - e1 * e1;
            let m3 = e3 - 3.0 * e1 * e2 + 2.0 * e1.powi(3);
            let m4 = e4 - 4.0 * e1 * e3 + 6.0 * e1 * e1 * e2 - 3.0 * e1.powi(4);
            if m2 > 1e-300 && m2 > 1e-12 * e2.abs() {
                skew_z.push(m3 / m2.powf(1.5) / (6.0 / nf).sqrt());
                kurtosis_z.push((m4 / (m2 * m2) - 3.0) / (24.0 / nf).sqrt());
            } else {
                skew_z.push(f64::NAN);
                kurtosis_z.push(f64::NAN);
            }
        }
        Ok(Self {
            n,
            mean,
            covariance,
            skew_z,
            kurtosis_z,
        })
    }

    /// The largest |z-score| of the Gaussianity check (skewness or excess
    /// kurtosis; constant directions skipped).
    #[must_use]
    pub fn gaussianity_z(&self) -> f64 {
        self.skew_z
            .iter()
            .chain(&self.kurtosis_z)
            .filter(|v| v.is_finite())
            .fold(0.0, |m, v| m.max(v.abs()))
    }

    /// Whether the inputs look Gaussian: the largest z-score within
    /// [`bonferroni`] of the number of statistics.
    #[must_use]
    pub fn looks_gaussian(&self) -> bool {
        self.gaussianity_z() <= bonferroni(self.skew_z.len() + self.kurtosis_z.len())
    }

    /// Whether the mean and covariance are consistent with `N(0, I_d)` at
    /// this sample size (see the module docs).
    #[must_use]
    pub fn consistent_with_standard(&self) -> bool {
        let d = self.mean.nrows();
        let nf = self.n as f64;
        let t = bonferroni(d + d * (d + 1) / 2);
        let mean_ok = (0..d).all(|j| self.mean[j].abs() <= t / nf.sqrt());
        let cov_ok = (0..d).all(|i| {
            (0..=i).all(|j| {
                let target = if i == j { 1.0 } else { 0.0 };
                let sd = (if i == j { 2.0 } else { 1.0 } / nf).sqrt();
                (self.covariance[(i, j)] - target).abs() <= t * sd
            })
        });
        if !(mean_ok && cov_ok) {
            return false;
        }
        // Whole-vector and whole-matrix tests catch deviations spread thinly
        // over many entries (equicorrelation 0.02 in d = 50 passes every
        // entrywise test at n = 10⁵ but moves λ_max(Σ) to about 2):
        // n‖μ̂‖² ~ χ²_d, and ‖Σ̂ − I‖ ≤ 2√(d/n) + d/n up to fluctuations of
        // order 1/√n (Marchenko–Pastur edges).
        let df = d as f64;
        let chi2 = nf * (0..d).map(|j| self.mean[j].powi(2)).sum::<f64>();
        if chi2 > df + t * (2.0 * df).sqrt() + t * t {
            return false;
        }
        let dev = Mat::from_fn(d, d, |i, j| {
            self.covariance[(i, j)] - if i == j { 1.0 } else { 0.0 }
        });
        let Ok(eig) = dev.self_adjoint_eigen(Side::Lower) else {
            return false;
        };
        let s = eig.S().column_vector();
        let op = (0..d).map(|i| s[i].abs()).fold(0.0, f64::max);
        op <= 2.0 * (df / nf).sqrt() + df / nf + t / nf.sqrt()
    }
}

/// An exact affine reduction `z = A (x − μ)` of Gaussian inputs to standard
/// ones, `A` of size r × d.
#[derive(Clone, Debug, PartialEq)]
pub struct Whitening {
    mean: Col<f64>,
    map: Mat<f64>,
    eigenvalues: Vec<f64>,
}

impl Whitening {
    /// The whitening of `N(mean, covariance)`: `A = Σ^(−1/2)` when `Σ` has
    /// full rank, else `Λ_r^(−1/2) U_rᵀ` on the span of the eigenvalues above
    /// [`RANK_TOL`] times the largest.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for a covariance of the wrong shape, not
    /// finite, or zero.
    pub fn new(mean: Col<f64>, covariance: MatRef<'_, f64>) -> Result<Self, LearnError> {
        let d = mean.nrows();
        let bad = |expected: &'static str| {
            LearnError::invalid(
                "inputs",
                "covariance",
                format!("a {}x{} matrix", covariance.nrows(), covariance.ncols()),
                expected,
            )
        };
        if covariance.nrows() != d || covariance.ncols() != d {
            return Err(bad("a d x d covariance for inputs of dimension d"));
        }
        if (0..d).any(|j| !mean[j].is_finite()) || relu_net_first_bad(covariance) {
            return Err(bad("finite mean and covariance entries"));
        }
        let sym = Mat::from_fn(d, d, |i, j| 0.5 * (covariance[(i, j)] + covariance[(j, i)]));
        let eig = sym.self_adjoint_eigen(Side::Lower).map_err(|_| LearnError::Unidentifiable {
            learner: "inputs",
            reason: "the eigendecomposition of the input covariance failed; check the inputs for extreme values".to_owned(),
        })?;
        let s = eig.S().column_vector();
        let u = eig.U();
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| s[b].total_cmp(&s[a]).then(a.cmp(&b)));
        let top = s[order[0]];
        if top.is_nan() || top <= 0.0 {
            return Err(bad(
                "a covariance with a positive eigenvalue (the inputs are constant)",
            ));
        }
        let kept: Vec<usize> = order.iter().copied().filter(|&i| s[i] > RANK_TOL * top).collect();
        let r = kept.len();
        let map = if r == d {
            // Symmetric Σ^(−1/2) = U Λ^(−1/2) Uᵀ keeps the coordinates' meaning.
            Mat::from_fn(d, d, |i, j| {
                (0..d).map(|m| u[(i, m)] * u[(j, m)] / s[m].sqrt()).sum()
            })
        } else {
            Mat::from_fn(r, d, |i, j| u[(j, kept[i])] / s[kept[i]].sqrt())
        };
        Ok(Self {
            mean,
            map,
            eigenvalues: order.iter().map(|&i| s[i]).collect(),
        })
    }

    /// The input dimension d.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.map.ncols()
    }

    /// The rank r of the covariance (the dimension of `z`).
    #[must_use]
    pub fn rank(&self) -> usize {
        self.map.nrows()
    }

    /// The mean μ.
    #[must_use]
    pub fn mean(&self) -> &Col<f64> {
        &self.mean
    }

    /// The map `A` (r × d).
    #[must_use]
    pub fn map(&self) -> MatRef<'_, f64> {
        self.map.as_ref()
    }

    /// The condition number `λ_max / λ_min` of the covariance on its span.
    #[must_use]
    pub fn condition_number(&self) -> f64 {
        self.eigenvalues[0] / self.eigenvalues[self.rank() - 1]
    }

    /// The eigenvalues of the covariance, largest first.
    #[must_use]
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The source of `(A (x − μ), y)`.
    ///
    /// # Panics
    /// If `src.dim() != self.dim()` (a programming error).
    #[must_use]
    pub fn source<'a>(&'a self, src: &'a dyn SampleSource) -> WhitenedSource<'a> {
        assert_eq!(src.dim(), self.dim(), "Whitening::source: dimension");
        WhitenedSource { src, w: self }
    }

    /// The network on `x` of a network `g` on `z`: first layer `(W A, b − W A μ)`.
    ///
    /// # Errors
    /// [`LearnError::Net`] if `g`'s input dimension is not r.
    pub fn network_to_original(&self, g: &Network) -> Result<Network, LearnError> {
        let layers = g.layers();
        let w = layers[0].weight();
        if w.ncols() != self.rank() {
            return Err(LearnError::Net(relu_net::NetError::InputDim {
                expected: self.rank(),
                got: w.ncols(),
            }));
        }
        let wa = w * self.map.as_ref();
        let shift = &wa * &self.mean;
        let b = Col::from_fn(wa.nrows(), |i| layers[0].bias()[i] - shift[i]);
        let mut parts = vec![(wa, b)];
        parts.extend(
            layers[1..]
                .iter()
                .map(|l| (l.weight().to_owned(), l.bias().to_owned())),
        );
        Ok(Network::from_parts(parts)?)
    }

    /// A model on `x` of a model on `z`: networks through
    /// [`Whitening::network_to_original`], kernel models by composing their
    /// input map.
    ///
    /// # Errors
    /// As [`Whitening::network_to_original`].
    pub fn model_to_original(&self, model: Model) -> Result<Model, LearnError> {
        Ok(match model {
            Model::Network(net) => Model::Network(self.network_to_original(&net)?),
            Model::Kernel(k) => Model::Kernel(k.with_input_map(self.mean.clone(), self.map.clone())?),
        })
    }
}

fn relu_net_first_bad(m: MatRef<'_, f64>) -> bool {
    (0..m.ncols()).any(|j| m.col(j).iter().any(|v| !v.is_finite()))
}

/// The samples `(A (x − μ), y)` of a [`Whitening`].
pub struct WhitenedSource<'a> {
    src: &'a dyn SampleSource,
    w: &'a Whitening,
}

impl SampleSource for WhitenedSource<'_> {
    fn dim(&self) -> usize {
        self.w.rank()
    }

    fn len(&self) -> usize {
        self.src.len()
    }

    fn chunk(&self, start: usize, z: MatMut<'_, f64>, y: ColMut<'_, f64>) {
        let m = z.nrows();
        let d = self.w.dim();
        let mut x = Mat::zeros(m, d);
        self.src.chunk(start, x.as_mut(), y);
        for j in 0..d {
            let mu = self.w.mean[j];
            for i in 0..m {
                x[(i, j)] -= mu;
            }
        }
        matmul(
            z,
            Accum::Replace,
            x.as_ref(),
            self.w.map.transpose(),
            1.0,
            Par::Seq,
        );
    }
}

/// What [`fit_any_gaussian`] found out about the inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct InputCheck {
    /// The statistics of the pass (`None` with [`InputMode::AssumeStandard`]).
    pub stats: Option<InputStats>,
    /// The whitening applied (`None`: the inputs were learned as they are).
    pub whitening: Option<Whitening>,
}

/// Runs `learner` on inputs reduced to `N(0, I)` and maps its model back to
/// the original coordinates (see the module docs). The report gains
/// `input_mean_norm`, `input_condition_number`, `input_rank`,
/// `input_gaussianity_z` (and its threshold) and `input_whitened`; inputs
/// that are visibly not Gaussian add a warning (the learners' guarantees do
/// not hold there) and the fit goes on.
///
/// # Errors
/// The learner's errors; [`LearnError::InvalidParam`] for a given mean or
/// covariance of the wrong shape; as [`InputStats::estimate`].
pub fn fit_any_gaussian(
    learner: &dyn Learner,
    src: &dyn SampleSource,
    mode: &InputMode,
    seed: Seed,
    par: Par,
    observer: &mut dyn Observer,
) -> Result<Fitted, LearnError> {
    let d = src.dim();
    let mut unwhitened: Option<String> = None;
    let (stats, whitening) = match mode {
        InputMode::AssumeStandard => (None, None),
        // Below two samples there are no statistics: the learner's own check
        // says how many it needs.
        InputMode::Auto if src.len() < 2 => (None, None),
        InputMode::Auto => {
            observer.stage("input-statistics");
            let stats = InputStats::estimate(src, seed.derive("inputs"), par)?;
            let whitening = if stats.consistent_with_standard() {
                None
            } else {
                match Whitening::new(stats.mean.clone(), stats.covariance.as_ref()) {
                    Ok(w) => Some(w),
                    Err(e) => {
                        unwhitened = Some(e.to_string());
                        None
                    }
                }
            };
            (Some(stats), whitening)
        }
        InputMode::Given { mean, covariance } => {
            if mean.len() != d || covariance.len() != d || covariance.iter().any(|r| r.len() != d) {
                return Err(LearnError::invalid(
                    "inputs",
                    "mean/covariance dimension",
                    format!(
                        "mean of length {}, covariance with {} rows",
                        mean.len(),
                        covariance.len()
                    ),
                    "a mean of length d and a d x d covariance, d the input dimension",
                ));
            }
            let cov = Mat::from_fn(d, d, |i, j| covariance[i][j]);
            let w = Whitening::new(Col::from_fn(d, |j| mean[j]), cov.as_ref())?;
            (None, Some(w))
        }
    };
    let mut fitted = match &whitening {
        None => learner.fit_observed(src, seed, par, observer)?,
        Some(w) => {
            let z = w.source(src);
            let fitted = learner.fit_observed(&z, seed, par, observer)?;
            Fitted {
                model: w.model_to_original(fitted.model)?,
                report: fitted.report,
            }
        }
    };
    let check = InputCheck { stats, whitening };
    record(&mut fitted.report, &check);
    if let Some(reason) = unwhitened {
        fitted.report.warnings.push(format!(
            "the inputs are not standard Gaussian and could not be whitened ({reason}): learned as given, so the learners' guarantees do not apply; check the input file"
        ));
    }
    Ok(fitted)
}

/// Adds the input check to a report.
fn record(report: &mut crate::Report, check: &InputCheck) {
    let m = &mut report.metrics;
    m.insert(
        "input_whitened".to_owned(),
        f64::from(u8::from(check.whitening.is_some())),
    );
    if let Some(w) = &check.whitening {
        let mu = w.mean();
        m.insert("input_mean_norm".to_owned(), mu.norm_l2());
        m.insert("input_condition_number".to_owned(), w.condition_number());
        m.insert("input_rank".to_owned(), w.rank() as f64);
        report
            .series
            .insert("input_mean".to_owned(), (0..mu.nrows()).map(|j| mu[j]).collect());
        report.chosen.insert(
            "inputs".to_owned(),
            format!(
                "whitened: z = A(x - mean) with |mean| = {:.3}, covariance condition number {:.3}, rank {}",
                mu.norm_l2(),
                w.condition_number(),
                w.rank()
            ),
        );
        report.notes.push(format!(
            "inputs are not standard Gaussian (|mean| = {:.3}, condition number of the covariance {:.3}): learned on whitened inputs z = A(x - mean) and mapped back exactly",
            mu.norm_l2(),
            w.condition_number()
        ));
        if w.rank() < w.dim() {
            report.notes.push(format!(
                "the input covariance has rank {} of {}: learned on its span; directions outside it carry no signal",
                w.rank(),
                w.dim()
            ));
        }
    }
    if let Some(s) = &check.stats {
        if check.whitening.is_none() {
            m.insert("input_mean_norm".to_owned(), s.mean.norm_l2());
            report.chosen.insert(
                "inputs".to_owned(),
                "as given: mean and covariance consistent with N(0, I)".to_owned(),
            );
        }
        let t = bonferroni(s.skew_z.len() + s.kurtosis_z.len());
        m.insert("input_gaussianity_z".to_owned(), s.gaussianity_z());
        m.insert("input_gaussianity_threshold".to_owned(), t);
        if !s.looks_gaussian() {
            report.warnings.push(format!(
                "the inputs are visibly not Gaussian (largest skewness/kurtosis z-score {:.1}, threshold {:.1}): the learners' guarantees assume Gaussian inputs, so check the data or treat the fit as a heuristic",
                s.gaussianity_z(),
                t
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relu_net::{Family, InputLaw, Planted};

    #[test]
    fn whitening_round_trip_is_exact_on_a_planted_network() {
        let law = InputLaw::autoregressive(5, 0.8, 0.7).unwrap();
        let w = Whitening::new(law.mean_col(), law.covariance().as_ref()).unwrap();
        // A network on z, mapped to x, agrees with g(A(x − μ)) everywhere.
        let g = Family::Biased {
            dim: 5,
            hidden: 3,
            bias_range: 1.0,
        }
        .plant(Seed(1))
        .unwrap();
        let f = w.network_to_original(&g).unwrap();
        let src = Planted::new(f.clone(), 300, 0.0, Seed(2))
            .unwrap()
            .with_inputs(law)
            .unwrap();
        let z = w.source(&src);
        let (zx, _) = crate::common::load_rows(&z, 300);
        let (xx, _) = crate::common::load_rows(&src, 300);
        let (gz, fx) = (
            g.predict(zx.as_ref(), Par::Seq).unwrap(),
            f.predict(xx.as_ref(), Par::Seq).unwrap(),
        );
        for i in 0..300 {
            assert!((gz[i] - fx[i]).abs() < 1e-11 * (1.0 + fx[i].abs()), "{i}");
        }
        // z really is standard: A Σ Aᵀ = I.
        let s = InputLaw::autoregressive(5, 0.8, 0.7).unwrap().covariance();
        let asa = w.map() * &s * w.map().transpose();
        for i in 0..5 {
            for j in 0..5 {
                assert!((asa[(i, j)] - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn statistics_tell_standard_from_correlated_and_non_gaussian_inputs() {
        let net = Family::Random { dim: 6, hidden: 2 }.plant(Seed(3)).unwrap();
        let std_src = Planted::new(net.clone(), 20_000, 0.0, Seed(4)).unwrap();
        let s = InputStats::estimate(&std_src, Seed(5), Par::Seq).unwrap();
        assert!(s.consistent_with_standard() && s.looks_gaussian(), "{s:?}");
        let law = InputLaw::autoregressive(6, 0.3, 0.5).unwrap();
        let cor = Planted::new(net, 20_000, 0.0, Seed(4))
            .unwrap()
            .with_inputs(law.clone())
            .unwrap();
        let s = InputStats::estimate(&cor, Seed(5), Par::Seq).unwrap();
        assert!(!s.consistent_with_standard() && s.looks_gaussian(), "{s:?}");
        let truth = law.covariance();
        for i in 0..6 {
            assert!((s.mean[i] - 0.3).abs() < 5.0 / (20_000f64).sqrt());
            for j in 0..6 {
                assert!((s.covariance[(i, j)] - truth[(i, j)]).abs() < 6.0 * (2.0 / 20_000f64).sqrt());
            }
        }
        // Uniform inputs: excess kurtosis −1.2, z ≈ −1.2 / sqrt(24/n) ≈ −35.
        let x = Mat::from_fn(20_000, 3, |i, j| {
            ((i * 7919 + j * 104_729) % 10_007) as f64 / 10_007.0 - 0.5
        });
        let y = Col::from_fn(20_000, |i| x[(i, 0)]);
        let uni = relu_net::InMemory::new(x, y).unwrap();
        let s = InputStats::estimate(&uni, Seed(5), Par::Seq).unwrap();
        assert!(
            !s.looks_gaussian() && s.gaussianity_z() > 20.0,
            "{}",
            s.gaussianity_z()
        );
    }

    #[test]
    fn a_thin_equicorrelation_is_not_taken_for_standard_inputs() {
        // Σ = 0.98 I + 0.02 11ᵀ in d = 50: every entry is within the
        // entrywise threshold at n = 10⁵, but λ_max(Σ) ≈ 2.
        let d = 50;
        let cov = Mat::from_fn(d, d, |i, j| if i == j { 1.0 } else { 0.02 });
        let law = InputLaw::new(&vec![0.0; d], cov.as_ref()).unwrap();
        let net = Family::Random { dim: d, hidden: 2 }.plant(Seed(9)).unwrap();
        let src = Planted::new(net.clone(), 100_000, 0.0, Seed(10))
            .unwrap()
            .with_inputs(law)
            .unwrap();
        let s = InputStats::estimate(&src, Seed(11), Par::Seq).unwrap();
        assert!(!s.consistent_with_standard());
        let std_src = Planted::new(net, 100_000, 0.0, Seed(10)).unwrap();
        let s = InputStats::estimate(&std_src, Seed(11), Par::Seq).unwrap();
        assert!(s.consistent_with_standard());
    }

    #[test]
    fn rank_deficient_covariance_is_learned_on_its_span() {
        // x = (z1, z2, z1 + z2): rank 2 in d = 3.
        let cov = Mat::from_fn(3, 3, |i, j| match (i, j) {
            (2, 2) => 2.0,
            (2, _) | (_, 2) => 1.0,
            _ => f64::from(u8::from(i == j)),
        });
        let w = Whitening::new(Col::zeros(3), cov.as_ref()).unwrap();
        assert_eq!((w.rank(), w.dim()), (2, 3));
        let asa = w.map() * &cov * w.map().transpose();
        for i in 0..2 {
            for j in 0..2 {
                assert!((asa[(i, j)] - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
        assert!(Whitening::new(Col::zeros(2), Mat::<f64>::zeros(2, 2).as_ref()).is_err());
        assert!(Whitening::new(Col::zeros(2), Mat::<f64>::zeros(3, 3).as_ref()).is_err());
    }
}
