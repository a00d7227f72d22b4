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

use faer::{Col, Mat, Par};
use relu_net::{SampleSource, Seed};
use serde::{Deserialize, Serialize};

use crate::error::LearnError;
use crate::{Fitted, Learner, Observer};

mod stats;
mod whitening;

pub(crate) use stats::InputPass;
pub use stats::{InputStats, bonferroni};
pub(crate) use whitening::WHITEN_VIEW;
pub use whitening::{WhitenedSource, Whitening};

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
    let counted = relu_net::Counted::new(src);
    let src: &dyn SampleSource = &counted;
    let d = src.dim();
    let mut unwhitened: Option<String> = None;
    let mut labels = None;
    let (stats, whitening) = match mode {
        InputMode::AssumeStandard => (None, None),
        // Below two samples there are no statistics: the learner's own check
        // says how many it needs.
        InputMode::Auto if src.len() < 2 => (None, None),
        InputMode::Auto => {
            observer.stage("input-statistics");
            let (stats, sums) = InputStats::estimate_with_labels(src, seed.derive("inputs"), par)?;
            labels = Some(sums);
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
    // The labels' sums came with the input statistics: the learner's check
    // of the data reads nothing.
    let known = labels.and_then(|sums| relu_net::KnownLabels::new(src, sums));
    let src: &dyn SampleSource = match &known {
        Some(k) => k,
        None => src,
    };
    let mut fitted = match &whitening {
        None => learner.fit_observed(src, seed, par, observer)?,
        Some(w) => {
            let z = w.source(src);
            let mut fitted = learner.fit_observed(&z, seed, par, observer)?;
            if let Some(net) = fitted.report.provable_network.take() {
                fitted.report.provable_network = w
                    .model_to_original(crate::Model::Network(net))?
                    .network()
                    .cloned();
            }
            Fitted {
                model: w.model_to_original(fitted.model)?,
                report: fitted.report,
            }
        }
    };
    let check = InputCheck { stats, whitening };
    record(&mut fitted.report, &check);
    fitted.report.data_passes = Some(counted.rows_read() as f64 / src.len().max(1) as f64);
    fitted.report.passes = counted
        .passes()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
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
mod tests;
