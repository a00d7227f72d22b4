//! [`InputStats`]: one pass over the inputs for their mean, covariance and
//! Gaussianity statistics (see the module docs).

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Col, Mat, MatRef, Par, Side};
use relu_net::stats::LabelSums;
use relu_net::{SampleSource, Seed, gaussian_matrix};

use super::GAUSSIANITY_DIRECTIONS;
use crate::common::{CHUNK_ROWS, label_shift};
use crate::error::LearnError;

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
    pub fn estimate(src: &dyn SampleSource, seed: Seed, par: Par) -> Result<Self, LearnError> {
        Ok(Self::estimate_with_labels(src, seed, par)?.0)
    }

    /// [`InputStats::estimate`], and the labels' sums of the same pass.
    pub(crate) fn estimate_with_labels(
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
    ) -> Result<(Self, LabelSums), LearnError> {
        let n = src.len();
        if n < 2 {
            return Err(LearnError::TooFewSamples {
                learner: "input statistics",
                needed: 2,
                got: n,
            });
        }
        let shift = first_rows_mean(src)?;
        let g = directions(src.dim(), seed);
        let acc = relu_net::pass::run(
            src,
            &InputPass {
                shift: shift.clone(),
                label_shift: label_shift(src),
                g,
            },
            par,
        )?;
        if acc.bad > 0 {
            return Err(LearnError::Net(relu_net::NetError::NonFinite {
                what: "x",
                location: format!("{} entries", acc.bad),
            }));
        }
        Ok((acc.statistics(n, &shift), acc.labels))
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

/// The mean of the first (at most 1024) rows: the pass sums deviations from
/// it, of the spread's size (no cancellation at any offset).
///
/// # Errors
/// [`LearnError::Net`] when it is not finite.
fn first_rows_mean(src: &dyn SampleSource) -> Result<Vec<f64>, LearnError> {
    let (n0, d) = (src.len().min(1024), src.dim());
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
    Ok(shift)
}

/// [`GAUSSIANITY_DIRECTIONS`] random unit directions of ℝ^d (columns).
fn directions(d: usize, seed: Seed) -> Mat<f64> {
    let r = GAUSSIANITY_DIRECTIONS;
    let mut g = gaussian_matrix(d, r, seed.derive("gaussianity"));
    for c in 0..r {
        let norm = g.col(c).norm_l2();
        for j in 0..d {
            g[(j, c)] /= norm;
        }
    }
    g
}

/// The sums of the pass, per chunk and merged: rows, non-finite entries,
/// first moments and the Gram matrix (lower triangle) of the shifted coordinates, and the
/// power sums 1–4 of the coordinates and the directions.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Sums {
    rows: usize,
    bad: usize,
    s1: Vec<f64>,
    #[serde(with = "relu_net::pass::mat")]
    gram: Mat<f64>,
    p: [Vec<f64>; 4],
    /// The labels' sums, gathered on the way (the fit's check of the
    /// labels then reads no data).
    labels: LabelSums,
}

/// The pass of [`InputStats::estimate`] (`input-stats`): the sums of
/// [`Sums`] about `shift`, with projections on the columns of `g`.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct InputPass {
    pub(crate) shift: Vec<f64>,
    pub(crate) label_shift: f64,
    #[serde(with = "relu_net::pass::mat")]
    pub(crate) g: Mat<f64>,
}

impl relu_net::Pass for InputPass {
    type Acc = Sums;
    fn name(&self) -> &'static str {
        "input-stats"
    }
    fn chunk_rows(&self) -> usize {
        CHUNK_ROWS
    }
    fn init(&self) -> Sums {
        Sums::new(self.shift.len(), self.g.ncols(), self.label_shift)
    }
    fn fold(&self, acc: &mut Sums, x: MatRef<'_, f64>, y: faer::ColRef<'_, f64>) {
        // The inputs' non-finite entries are counted by `add` (and refused
        // before the label sums are used), so only the labels are added.
        acc.labels.add_labels(y);
        acc.add(x, &self.shift, &self.g);
    }
    fn merge(&self, left: &mut Sums, right: Sums) {
        Sums::merge(left, right);
    }
    fn spec(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }
    fn decode(&self, text: &str) -> Result<relu_net::ChunkTree<Sums>, relu_net::NetError> {
        relu_net::pass::decode_tree(self.name(), text)
    }
}

impl Sums {
    /// Zero sums for d coordinates and r directions, labels about
    /// `label_shift`.
    fn new(d: usize, r: usize, label_shift: f64) -> Self {
        let m = d + r;
        Self {
            rows: 0,
            bad: 0,
            s1: vec![0.0; d],
            gram: Mat::zeros(d, d),
            p: [vec![0.0; m], vec![0.0; m], vec![0.0; m], vec![0.0; m]],
            labels: LabelSums::new(label_shift),
        }
    }

    /// Adds one chunk: deviations from `shift` (non-finite entries counted
    /// and zeroed), their Gram matrix and projections on `g`.
    fn add(&mut self, x: MatRef<'_, f64>, shift: &[f64], g: &Mat<f64>) {
        let (rows, d, r) = (x.nrows(), x.ncols(), g.ncols());
        let mut c = Mat::from_fn(rows, d, |i, j| x[(i, j)] - shift[j]);
        for j in 0..d {
            for i in 0..rows {
                if !c[(i, j)].is_finite() {
                    self.bad += 1;
                    c[(i, j)] = 0.0;
                }
            }
        }
        // The lower triangle only (the Gram matrix is symmetric): half the
        // flops of the pass's largest product.
        triangular::matmul(
            self.gram.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Add,
            c.transpose(),
            BlockStructure::Rectangular,
            c.as_ref(),
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
        let mut t = Mat::zeros(rows, r);
        matmul(t.as_mut(), Accum::Replace, c.as_ref(), g.as_ref(), 1.0, Par::Seq);
        for s in 0..d + r {
            let col = if s < d { c.col(s) } else { t.col(s - d) };
            let (mut a1, mut a2, mut a3, mut a4) = (0.0, 0.0, 0.0, 0.0);
            for &v in col.iter() {
                let v2 = v * v;
                a1 += v;
                a2 += v2;
                a3 += v2 * v;
                a4 += v2 * v2;
            }
            self.p[0][s] += a1;
            self.p[1][s] += a2;
            self.p[2][s] += a3;
            self.p[3][s] += a4;
            if s < d {
                self.s1[s] += a1;
            }
        }
        self.rows += rows;
    }

    /// Adds another range's sums (exact up to the fixed merge order).
    fn merge(a: &mut Self, b: Self) {
        let (d, m) = (a.s1.len(), a.p[0].len());
        a.rows += b.rows;
        a.bad += b.bad;
        for j in 0..d {
            a.s1[j] += b.s1[j];
        }
        a.gram += &b.gram;
        a.labels.merge(b.labels);
        for q in 0..4 {
            for s in 0..m {
                a.p[q][s] += b.p[q][s];
            }
        }
    }

    /// The mean, the covariance and the skewness and kurtosis z-scores of n
    /// rows from the sums of deviations from `shift`.
    fn statistics(&self, n: usize, shift: &[f64]) -> InputStats {
        let (d, m) = (self.s1.len(), self.p[0].len());
        let nf = n as f64;
        let dm: Vec<f64> = self.s1.iter().map(|s| s / nf).collect();
        let mean = Col::from_fn(d, |j| shift[j] + dm[j]);
        // Symmetric by construction: both triangles read the stored lower one.
        let covariance = Mat::from_fn(d, d, |i, j| {
            let v = self.gram[(i.max(j), i.min(j))] / nf - dm[i] * dm[j];
            if i == j { v.max(0.0) } else { v }
        });
        let (mut skew_z, mut kurtosis_z) = (Vec::with_capacity(m), Vec::with_capacity(m));
        for s in 0..m {
            let e1 = self.p[0][s] / nf;
            let e2 = self.p[1][s] / nf;
            let e3 = self.p[2][s] / nf;
            let e4 = self.p[3][s] / nf;
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
        InputStats {
            n,
            mean,
            covariance,
            skew_z,
            kurtosis_z,
        }
    }
}
