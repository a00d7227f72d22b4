//! Parameters and the runnable kernel learner (see the module docs).

use faer::{Col, Mat, Par, Side};
use rand::RngExt;
use relu_net::{SampleSource, Seed};

use super::params::{InputScale, KernelParams};
use crate::alphatron::algorithm_helpers::ball_scale;
use crate::common::{checked_split, load_rows as load, relative, variance};
use crate::error::LearnError;
use crate::linalg::solve_psd;
use crate::model::{KernelFunction, KernelModel, Link, Model};
use crate::{Fitted, Learner, Observer, Report};

pub(super) const NAME: &str = "kernel";

/// The kernel learner with validated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    pub(super) params: KernelParams,
}

/// Least-squares slope of y on x.
fn slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    if sxx > 0.0 { sxy / sxx } else { f64::NAN }
}

/// Step 1: the spectrum `μ_1 ≥ μ_2 ≥ …` of the normalised Gram matrix
/// `K/m` of the first m rows, the effective dimension
/// `d_eff = Σ μ_i/(μ_i + λ)`, the decay fits and the ridge leverages.
struct Spectrum {
    /// Eigenvalues, descending, clipped at 0.
    mu: Vec<f64>,
    /// `d_eff(λ)`.
    d_eff: f64,
    /// p of the fit `μ_i ~ i^−p` over the leading 50.
    poly: f64,
    /// r of the fit `μ_i ~ e^−r i` over the leading 50.
    expo: f64,
    /// Ridge leverage of each row, `l_i = Σ_k U_ik² μ_k/(μ_k + λ)`.
    leverage: Vec<f64>,
}

impl Kernel {
    /// Step 1 on the scaled rows `xs` (see [`Spectrum`]).
    fn spectrum(&self, kernel: KernelFunction, xs: &Mat<f64>, par: Par) -> Result<Spectrum, LearnError> {
        let p = &self.params;
        let m = xs.nrows().min(p.gram_samples);
        let xm = xs.as_ref().subrows(0, m);
        let k = kernel.gram(xm, xm, par);
        let eig = (faer::Scale(1.0 / m as f64) * &k)
            .self_adjoint_eigen(Side::Lower)
            .map_err(|_| LearnError::Unidentifiable {
                learner: NAME,
                reason: "the Gram matrix's eigendecomposition failed".to_owned(),
            })?;
        let (mu_asc, u) = (eig.S().column_vector(), eig.U());
        let mu: Vec<f64> = (0..m).rev().map(|i| mu_asc[i].max(0.0)).collect();
        let d_eff: f64 = mu.iter().map(|v| v / (v + p.ridge)).sum();
        let positive: Vec<(f64, f64)> = mu
            .iter()
            .enumerate()
            .take(50)
            .filter(|(_, v)| **v > 1e-14 * mu[0])
            .map(|(i, v)| ((i + 1) as f64, v.ln()))
            .collect();
        let (is, logs): (Vec<f64>, Vec<f64>) = positive.iter().copied().unzip();
        let poly = -slope(&is.iter().map(|i| i.ln()).collect::<Vec<_>>(), &logs);
        let expo = -slope(&is, &logs);
        let leverage: Vec<f64> = (0..m)
            .map(|i| {
                (0..m)
                    .map(|kk| u[(i, kk)].powi(2) * mu_asc[kk].max(0.0) / (mu_asc[kk].max(0.0) + p.ridge))
                    .sum()
            })
            .collect();
        Ok(Spectrum {
            mu,
            d_eff,
            poly,
            expo,
            leverage,
        })
    }

    /// Step 3: `K_SS^{−1/2}` of the landmarks by an eigendecomposition,
    /// cutting eigenvalues below 1e-12 of the largest (jitter for
    /// near-duplicate landmarks).
    fn inverse_sqrt(kernel: KernelFunction, centers: &Mat<f64>, par: Par) -> Result<Mat<f64>, LearnError> {
        let s = centers.nrows();
        let kss = kernel.gram(centers.as_ref(), centers.as_ref(), par);
        let e = kss
            .self_adjoint_eigen(Side::Lower)
            .map_err(|_| LearnError::Unidentifiable {
                learner: NAME,
                reason: "the landmark Gram matrix's eigendecomposition failed".to_owned(),
            })?;
        let (ev, vv) = (e.S().column_vector(), e.U());
        let top = (0..s).map(|i| ev[i]).fold(0.0, f64::max);
        let scaled = Mat::from_fn(s, s, |i, r| {
            if ev[r] > 1e-12 * top {
                vv[(i, r)] / ev[r].sqrt()
            } else {
                0.0
            }
        });
        Ok(&scaled * vv.transpose())
    }

    /// Step 4: ridge regression of y on the Nyström features
    /// `φ(x) = K(x, S) K_SS^{−1/2}` and a constant, the normal equations
    /// accumulated over blocks of 4096 rows, ridge `λ n` on the feature
    /// block. Returns the coefficients (the constant last).
    fn regression(
        &self,
        kernel: KernelFunction,
        xs: &Mat<f64>,
        y: &Col<f64>,
        centers: &Mat<f64>,
        isqrt: &Mat<f64>,
        par: Par,
    ) -> Result<Col<f64>, LearnError> {
        let p = &self.params;
        let (n, s) = (xs.nrows(), centers.nrows());
        let mut ftf = Mat::<f64>::zeros(s + 1, s + 1);
        let mut fty = Col::<f64>::zeros(s + 1);
        let mut start = 0;
        while start < n {
            crate::cancel::checkpoint();
            let rows = 4096.min(n - start);
            let kx = kernel.gram(xs.as_ref().subrows(start, rows), centers.as_ref(), par);
            let phi = &kx * isqrt;
            let f = Mat::from_fn(rows, s + 1, |i, j| if j < s { phi[(i, j)] } else { 1.0 });
            // A matrix product: faer splits it by output blocks, so the
            // thread count does not change its bits (see the crate docs' Determinism section).
            faer::linalg::matmul::matmul(
                ftf.as_mut(),
                faer::Accum::Add,
                f.transpose(),
                f.as_ref(),
                1.0,
                par,
            );
            fty += f.transpose() * y.as_ref().subrows(start, rows);
            start += rows;
        }
        for i in 0..s {
            ftf[(i, i)] += p.ridge * n as f64;
        }
        solve_psd(ftf.as_ref(), &fty, 1e-14).ok_or(LearnError::Unidentifiable {
            learner: NAME,
            reason: "the ridge regression is singular".to_owned(),
        })
    }

    /// The spectrum, the landmarks and the validation error in the report.
    fn report(&self, spectrum: &Spectrum, m: usize, s: usize, report: &mut Report) {
        let p = &self.params;
        let Spectrum {
            mu,
            d_eff,
            poly,
            expo,
            ..
        } = spectrum;
        report.metrics.insert("effective_dimension".to_owned(), *d_eff);
        report.metrics.insert("landmarks".to_owned(), s as f64);
        if p.landmarks.is_none() {
            report.chosen.insert(
                "landmarks".to_owned(),
                format!("{s}: ceil(2 d_eff log m) with d_eff = {d_eff:.1} from the Gram spectrum, capped at max_landmarks = {}", p.max_landmarks),
            );
        }
        report
            .metrics
            .insert("decay_polynomial_exponent".to_owned(), *poly);
        report.metrics.insert("decay_exponential_rate".to_owned(), *expo);
        report
            .series
            .insert("gram_spectrum".to_owned(), mu.iter().take(100).copied().collect());
        report.notes.push(format!(
            "Gram spectrum of {m} rows: d_eff({}) = {d_eff:.1}, decay fit μ_i ~ i^-{poly:.2} (or e^-{expo:.3} i); {s} landmarks",
            p.ridge
        ));
    }
}

/// The highest degree the automatic kernel takes.
pub const AUTO_MAX_DEGREE: usize = 6;

/// The kernel when none is given: the multinomial kernel of the largest
/// degree q ≤ [`AUTO_MAX_DEGREE`] (at least 1) whose `C(d + q, q)`
/// polynomials are at most twice `max_landmarks`. A degree whose
/// polynomials far outnumber the landmarks cannot be fitted through them and
/// does worse than a lower one (single ReLU, 10⁵ samples, 800 landmarks:
/// d = 10, q = 6 0.041 against q = 4 0.027; d = 20, q = 4 0.045 against
/// q = 2 0.034).
#[must_use]
pub fn auto_kernel(d: usize, max_landmarks: usize) -> KernelFunction {
    KernelFunction::Multinomial {
        degree: fitting_degree(d, AUTO_MAX_DEGREE, max_landmarks).unwrap_or(1),
    }
}

/// The largest degree q ≤ `max` whose `C(d + q, q)` polynomials in d
/// variables are at most twice `landmarks`, if any.
fn fitting_degree(d: usize, max: usize, landmarks: usize) -> Option<usize> {
    (1..=max)
        .rev()
        .find(|&q| relu_net::stats::binomial((d + q) as u64, q as u64) <= 2 * landmarks as u128)
}

/// A note when the multinomial kernel of degree q spans more than twice as
/// many polynomials, `C(d + q, q)`, as the s landmarks (the rule of
/// [`auto_kernel`]): its error then stays well above the best degree-q
/// polynomial's (d = 10, q = 6, 1 000 landmarks: 3.9 times it, where q = 4,
/// with 1 001 polynomials, came within 1.07 times its own).
fn note_degree(q: usize, d: usize, s: usize, report: &mut Report) {
    let dim = relu_net::stats::binomial((d + q) as u64, q as u64);
    if dim > 2 * s as u128 {
        let fits = fitting_degree(d, q - 1, s);
        report.notes.push(format!(
            "the multinomial kernel of degree {q} spans C(d + q, q) = {dim} polynomials in d = {d}, more than twice the {s} landmarks used: the fit stays well above the best degree-{q} polynomial{}",
            fits.map_or_else(String::new, |t| format!("; degree {t} fits the landmarks (or raise landmarks / max_landmarks and gram_samples)"))
        ));
    }
}

/// `1 / √(mean ‖x_i‖²)` over the rows of `x` (1 for all-zero inputs).
fn rms_scale(x: &Mat<f64>) -> f64 {
    let ms = (0..x.nrows()).map(|i| x.row(i).squared_norm_l2()).sum::<f64>() / x.nrows().max(1) as f64;
    if ms > 0.0 { 1.0 / ms.sqrt() } else { 1.0 }
}

/// Step 2: `s` landmarks drawn without replacement with probabilities
/// proportional to the ridge leverages, sorted (fewer when the leverages
/// run out).
fn landmarks(leverage: &[f64], s: usize, seed: Seed) -> Vec<usize> {
    let mut rng = seed.derive("kernel-landmarks").rng();
    let mut weights = leverage.to_vec();
    let mut chosen = Vec::with_capacity(s);
    for _ in 0..s {
        let total: f64 = weights.iter().sum();
        if total.is_nan() || total <= 0.0 {
            break;
        }
        let mut r = rng.random::<f64>() * total;
        let mut pick = weights.len() - 1;
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                pick = i;
                break;
            }
            r -= w;
        }
        chosen.push(pick);
        weights[pick] = 0.0;
    }
    chosen.sort_unstable();
    chosen
}

impl Learner for Kernel {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit_observed(
        &self,
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        let p = &self.params;
        observer.stage("checks");
        let (_, train, val) = checked_split(NAME, src, 100, p.validation_fraction, par)?;
        let (x, y) = load(&train, train.len().min(p.max_train));
        let (xv, yv) = load(&val, val.len().min(20_000));
        let sigma = match p.input_scale {
            InputScale::Rms => rms_scale(&x),
            InputScale::Ball => ball_scale(&x),
        };
        let xs = faer::Scale(sigma) * &x;
        let m = xs.nrows().min(p.gram_samples);
        observer.stage("gram-spectrum");
        let budget = p.landmarks.unwrap_or(p.max_landmarks);
        let kernel = p.kernel.unwrap_or_else(|| auto_kernel(x.ncols(), budget));
        let spectrum = self.spectrum(kernel, &xs, par)?;
        let s = p.landmarks_for(spectrum.d_eff, m);
        observer.stage("landmarks");
        let chosen = landmarks(&spectrum.leverage, s, seed);
        let s = chosen.len();
        let centers = Mat::from_fn(s, xs.ncols(), |i, j| xs[(chosen[i], j)]);
        let isqrt = Self::inverse_sqrt(kernel, &centers, par)?;
        observer.stage("regression");
        let beta = self.regression(kernel, &xs, &y, &centers, &isqrt, par)?;
        let gamma = &isqrt * Col::from_fn(s, |i| beta[i]);
        let model = KernelModel::new(kernel, sigma, Link::Identity, centers, gamma, beta[s])?;
        let pred = {
            let mut out = Col::zeros(xv.nrows());
            relu_net::Predictor::predict_into(&model, xv.as_ref(), out.as_mut(), par);
            out
        };
        let nv = yv.nrows().max(1) as f64;
        let mse = (0..yv.nrows()).map(|i| (pred[i] - yv[i]).powi(2)).sum::<f64>() / nv;
        let mut report = Report::new(NAME, xs.nrows() + xv.nrows());
        report.converged = true;
        report.validation_error = Some(relative(mse, variance(&yv)));
        self.report(&spectrum, m, s, &mut report);
        if let KernelFunction::Multinomial { degree } = kernel {
            if p.kernel.is_none() {
                report.chosen.insert(
                    "kernel".to_owned(),
                    format!("multinomial of degree {degree}: the largest q <= {AUTO_MAX_DEGREE} with C(d + q, q) <= 2 x the landmarks = {} in d = {}", 2 * budget, xs.ncols()),
                );
            }
            note_degree(degree, xs.ncols(), s, &mut report);
        }
        Ok(Fitted {
            model: Model::Kernel(model),
            report,
        })
    }
}
