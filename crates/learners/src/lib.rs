//! Learners for ReLU networks from Gaussian samples, behind one
//! [`Learner`] trait.
//!
//! Each learner takes samples `(x, y)`, `x ~ N(0, I_d)`, through a
//! [`relu_net::SampleSource`] and returns a [`Fitted`] network with a
//! [`Report`] of deterministic diagnostics. The learners (`atv`, `narrow`,
//! `ckm`, `kernel`, `glmtron`, `alphatron`, `gd`, `exact-erm`) arrive with
//! their issues; every one has a `Params` struct validated into the runnable
//! algorithm, documented defaults, and typed errors.
//!
//! # References
//! See each learner's module.

use std::collections::BTreeMap;

use faer::Par;
use relu_net::{NetError, Network, SampleSource, Seed};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Errors of the learners.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LearnError {
    /// Too few samples for the method.
    #[error("{learner} needs at least {needed} samples but got {got}; supply more data")]
    TooFewSamples {
        /// The learner's name.
        learner: &'static str,
        /// Samples needed.
        needed: usize,
        /// Samples supplied.
        got: usize,
    },
    /// A parameter is outside its range.
    #[error("{learner}: parameter `{name}` = {value} is invalid: it must be {expected}")]
    InvalidParam {
        /// The learner's name.
        learner: &'static str,
        /// Parameter name.
        name: &'static str,
        /// Offending value.
        value: f64,
        /// Allowed range, in words.
        expected: &'static str,
    },
    /// An error from the network crate (bad shapes, non-finite data).
    #[error(transparent)]
    Net(#[from] NetError),
}

/// Deterministic diagnostics of a fit: no timings, so reports of the same
/// seed are identical and can be snapshotted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The learner's name.
    pub learner: String,
    /// Samples used.
    pub samples_used: usize,
    /// Iterations of the main loop.
    pub n_iters: usize,
    /// Whether the learner's convergence criterion was met.
    pub converged: bool,
    /// Named scalar diagnostics (eigengaps, residuals, validation errors).
    pub metrics: BTreeMap<String, f64>,
    /// Notes on decisions taken (chosen k, rejected candidates, fallbacks).
    pub notes: Vec<String>,
}

/// A fitted network and its report.
#[derive(Clone, Debug)]
pub struct Fitted {
    /// The learned network.
    pub network: Network,
    /// What happened during the fit.
    pub report: Report,
}

/// A learning algorithm.
pub trait Learner {
    /// The learner's id (kebab-case), as used by `relu-learn fit --learner`.
    fn name(&self) -> &'static str;

    /// Learns a network from the samples of `src`.
    ///
    /// # Errors
    /// [`LearnError`] for unusable input; non-convergence is reported in
    /// [`Report::converged`] instead.
    fn fit(&self, src: &dyn SampleSource, seed: Seed, par: Par) -> Result<Fitted, LearnError>;
}
