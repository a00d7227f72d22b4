//! Parameters and the runnable kernel learner (see the module docs).

use faer::{Col, Mat, Par, Side};
use rand::RngExt;
use relu_net::{SampleSource, Seed};

use super::params::KernelParams;
use crate::alphatron::algorithm_helpers::ball_scale;
use crate::common::{check_data, load_rows as load, relative, split, variance};
use crate::error::LearnError;
use crate::linalg::solve_psd;
use crate::model::{KernelModel, Link, Model};
use crate::{Fitted, Learner, Observer, Report};

pub(super) const NAME: &str = "kernel";

/// The kernel learner with validated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelLearner {
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

impl Learner for KernelLearner {
    fn name(&self) -> &'static str {
        NAME
    }

    // Over 100 lines: to be split into named parts (for a fit: one per step).
    #[allow(clippy::too_many_lines)]
    fn fit_observed(
        &self,
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        let p = &self.params;
        observer.stage("checks");
        check_data(NAME, src, 100, par)?;
        let (train, val) = split(src, p.validation_fraction);
        let (x, y) = load(&train, train.len().min(p.max_train));
        let (xv, yv) = load(&val, val.len().min(20_000));
        let sigma = ball_scale(&x);
        let xs = faer::Scale(sigma) * &x;
        let m = xs.nrows().min(p.gram_samples);
        observer.stage("gram-spectrum");
        let xm = xs.as_ref().subrows(0, m);
        let k = p.kernel.gram(xm, xm, par);
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
        // Ridge leverage l_i = Σ_k U_ik² μ_k/(μ_k + λ).
        let lev: Vec<f64> = (0..m)
            .map(|i| {
                (0..m)
                    .map(|kk| u[(i, kk)].powi(2) * mu_asc[kk].max(0.0) / (mu_asc[kk].max(0.0) + p.ridge))
                    .sum()
            })
            .collect();
        let s = p.landmarks_for(d_eff, m);
        observer.stage("landmarks");
        let mut rng = seed.derive("kernel-landmarks").rng();
        let mut weights = lev.clone();
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
        let s = chosen.len();
        let centers = Mat::from_fn(s, xs.ncols(), |i, j| xs[(chosen[i], j)]);
        // K_SS^{−1/2} by an eigendecomposition, cutting eigenvalues below
        // 1e-12 of the largest (jitter for near-duplicate landmarks).
        let kss = p.kernel.gram(centers.as_ref(), centers.as_ref(), par);
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
        let isqrt = &scaled * vv.transpose();
        observer.stage("regression");
        let n = xs.nrows();
        let mut ftf = Mat::<f64>::zeros(s + 1, s + 1);
        let mut fty = Col::<f64>::zeros(s + 1);
        let mut start = 0;
        while start < n {
            let rows = 4096.min(n - start);
            let kx = p
                .kernel
                .gram(xs.as_ref().subrows(start, rows), centers.as_ref(), par);
            let phi = &kx * &isqrt;
            let f = Mat::from_fn(rows, s + 1, |i, j| if j < s { phi[(i, j)] } else { 1.0 });
            ftf += f.transpose() * &f;
            fty += f.transpose() * y.as_ref().subrows(start, rows);
            start += rows;
        }
        for i in 0..s {
            ftf[(i, i)] += p.ridge * n as f64;
        }
        let beta = solve_psd(ftf.as_ref(), &fty, 1e-14).ok_or(LearnError::Unidentifiable {
            learner: NAME,
            reason: "the ridge regression is singular".to_owned(),
        })?;
        let gamma = &isqrt * Col::from_fn(s, |i| beta[i]);
        let model = KernelModel::new(p.kernel, sigma, Link::Identity, centers, gamma, beta[s])?;
        let pred = {
            let mut out = Col::zeros(xv.nrows());
            relu_net::Predictor::predict_into(&model, xv.as_ref(), out.as_mut(), par);
            out
        };
        let nv = yv.nrows().max(1) as f64;
        let mse = (0..yv.nrows()).map(|i| (pred[i] - yv[i]).powi(2)).sum::<f64>() / nv;
        let var = variance(&yv);
        let mut report = Report {
            learner: NAME.to_owned(),
            samples_used: n + xv.nrows(),
            converged: true,
            ..Report::default()
        };
        report.validation_error = Some(relative(mse, var));
        report.metrics.insert("effective_dimension".to_owned(), d_eff);
        report.metrics.insert("landmarks".to_owned(), s as f64);
        if p.landmarks.is_none() {
            report.chosen.insert(
                "landmarks".to_owned(),
                format!("{s}: ceil(2 d_eff log m) with d_eff = {d_eff:.1} from the Gram spectrum, capped at max_landmarks = {}", p.max_landmarks),
            );
        }
        report
            .metrics
            .insert("decay_polynomial_exponent".to_owned(), poly);
        report.metrics.insert("decay_exponential_rate".to_owned(), expo);
        report
            .series
            .insert("gram_spectrum".to_owned(), mu.iter().take(100).copied().collect());
        report.notes.push(format!(
            "Gram spectrum of {m} rows: d_eff({}) = {d_eff:.1}, decay fit μ_i ~ i^-{poly:.2} (or e^-{expo:.3} i); {s} landmarks",
            p.ridge
        ));
        Ok(Fitted {
            model: Model::Kernel(model),
            report,
        })
    }
}
