//! Learners for ReLU networks from Gaussian samples, behind one
//! [`Learner`] trait.
//!
//! Each learner takes samples `(x, y)`, `x ~ N(0, I_d)`, through a
//! [`relu_net::SampleSource`] and returns a [`Fitted`] network with a
//! [`Report`] of deterministic diagnostics (spectra, gaps, residuals,
//! iterations, samples used — no timings: the application times the stages
//! it is told about through an [`Observer`]). Every learner has a `Params`
//! struct with documented defaults, validated into the runnable algorithm,
//! and typed errors.
//!
//! | learner | model | idea |
//! |---|---|---|
//! | [`atv`] | `Σ a_i relu(⟨w_i, x⟩ + b_i) + c`, k ≤ d | Hermite moments of orders 2–4, simultaneous diagonalisation, bias/sign from coefficient ratios, Levenberg–Marquardt polish |
//! | [`narrow`] | `Σ λ_i relu(⟨u_i, x⟩) + c`, any signs and angles | random contractions of moments of orders 2…2k+2, joint subspace, candidate directions, greedy discovery with least squares, polish |
//! | [`kernel`] | anything (improper) | Goel–Klivans: multinomial kernel, ridge-leverage Nyström landmarks, kernel ridge regression |
//! | [`glmtron`] | one ReLU `relu(⟨w, x⟩ + b)` | GLMtron (Kakade et al.) |
//! | [`alphatron`] | `u(⟨v, ψ(x)⟩)` (improper) | kernelised GLMtron (Goel–Klivans) |
//! | [`ckm`] | any depth (first-layer width k) | filtered PCA for the first-layer span, then a search in k dimensions |
//! | [`exact_erm`] | `Σ c_i relu(⟨a_i, x⟩ + b_i) + c`, tiny n, D, k | Arora et al.: enumerate activation patterns, one convex QP each; certified global optimum |
//! | [`bounded_weight`] | `Σ a_i relu(⟨w_i, x⟩ + b_i) + c`, bounded weights | random projection to d' dimensions, net (or exact) search there, lift |
//! | [`gd`] | any architecture | mini-batch Adam with restarts and early stopping: the baseline |
//!
//! # Example
//! Plant a depth-2 network with biases, learn it from noise-free samples
//! with `atv`, and measure the relative test error on fresh samples:
//! ```
//! use faer::Par;
//! use relu_net::{Family, Planted, Seed, metrics::relative_l2_error};
//!
//! let teacher = Family::Biased { dim: 5, hidden: 2, bias_range: 1.0 }.plant(Seed(1))?;
//! let data = Planted::new(teacher.clone(), 20_000, 0.0, Seed(2))?.materialize();
//! let fitted = learners::learner("atv", Some(2))?.fit(&data, Seed(3), Par::Seq)?;
//! let err = relative_l2_error(&fitted.model, &teacher, 10_000, Seed(4), Par::Seq)?;
//! assert!(err.relative_error < 1e-4, "{err:?}");
//! // The report says what the algorithm saw (spectra, residuals, notes).
//! assert!(fitted.report.converged);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # References
//! See each learner's module.
//!
//! # Determinism
//!
//! Every pass over the data folds fixed chunks and merges them in a fixed
//! tree ([`relu_net::fold_chunk_range`]), whatever the thread count. Dense
//! products that take the fit's `Par` keep their bits for matrix–matrix
//! shapes (faer splits those by output blocks, which leaves every entry's
//! summation order alone; checked for inner dimensions up to 45 000).
//! Products written with `*` use faer's *global* parallelism, and faer's
//! parallel matrix–vector product splits the inner dimension across
//! threads, so its rounding depends on the thread count (a narrow fit with
//! d = 10, k = 4, n = 5·10⁴ differed in its last bits between 1 and 2
//! threads). Hence the requirement: **faer's global parallelism must be
//! `Par::Seq`** while a fit runs. The command line and the Python package
//! set it at start-up (`faer::set_global_parallelism(Par::Seq)`); a program
//! that calls the learners directly and wants thread-count-independent
//! results should do the same. The test
//! `every_learner_is_bit_identical_on_one_and_two_threads` runs each fit in
//! a one-thread and a two-thread pool under that setting.

pub mod alphatron;
pub mod atv;
pub mod bounded_weight;
pub mod cancel;
pub mod ckm;
pub mod common;
pub mod compare;
mod error;
pub mod exact_erm;
mod forward;
pub mod gd;
pub mod glmtron;
pub mod inputs;
pub mod kernel;
pub(crate) mod linalg;
mod model;
pub mod narrow;
pub mod passes;
pub mod polish;
pub mod recovery;
pub mod refine;
pub mod registry;
mod residual_labels;
pub mod screen;
mod sphere_net;

use std::collections::BTreeMap;

use faer::Par;
use relu_net::{Network, SampleSource, Seed};
use serde::{Deserialize, Serialize};

pub use error::LearnError;
pub use model::{KERNEL_FORMAT, KernelFunction, KernelModel, Link, Model};
pub use registry::{LEARNERS, LearnerParams, LearnerSpec, learner};

/// Receives the stages of a fit as they start (for timings and progress in
/// the application; libraries never read clocks).
pub trait Observer {
    /// A stage named `name` starts (the previous one, if any, ends).
    fn stage(&mut self, name: &str);
}

/// An observer that ignores everything.
pub struct NoObserver;

impl Observer for NoObserver {
    fn stage(&mut self, _name: &str) {}
}

/// Deterministic diagnostics of a fit: no timings, so reports of the same
/// seed are identical and can be snapshotted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The learner's name.
    pub learner: String,
    /// Samples used.
    pub samples_used: usize,
    /// Iterations of the main loop (learner specific).
    pub n_iters: usize,
    /// Whether the learner's convergence criterion was met.
    pub converged: bool,
    /// Relative error `mean((f̂ − y)²) / Var(y)` of the returned model on
    /// the held-out rows its choices were judged on; `None` for a learner
    /// without a held-out split.
    #[serde(default)]
    pub validation_error: Option<f64>,
    /// The same error of the paper's own stage, before any local
    /// optimisation: atv — the best moment candidate (steps 1–6); narrow —
    /// the network the moment discovery returns; ckm — the best network of
    /// the best point of the net over networks in the filtered-PCA subspace
    /// (or exact ERM's network), before Levenberg–Marquardt. `None` for
    /// learners that have no such stage.
    #[serde(default)]
    pub provable_stage_error: Option<f64>,
    /// The paper's own stage's network (the one `provable_stage_error`
    /// measures), in the same input and label coordinates as the fitted
    /// model, so that it can be compared with a teacher parameter by
    /// parameter (`relu-learn fit --provable-out`, the `theory` suite).
    /// Not part of the JSON report (it is a model: write it as
    /// `relu-net/v1`).
    #[serde(skip)]
    pub provable_network: Option<Network>,
    /// Other named scalar diagnostics (eigengaps, residuals, stage errors).
    pub metrics: BTreeMap<String, f64>,
    /// Named vector diagnostics (spectra, per-unit values).
    pub series: BTreeMap<String, Vec<f64>>,
    /// Decisions taken, in words (chosen k, rejected candidates, fallbacks).
    pub notes: Vec<String>,
    /// Problems the user must know about (inputs that are not Gaussian, a
    /// fit that did not recover a network); the CLI prints each on one line.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Whether the fit recovered a network, judged from its held-out error
    /// (see [`recovery`]); `None` when nobody judged.
    #[serde(default)]
    pub recovered: Option<bool>,
    /// Settings the fit chose from the data rather than from its
    /// parameters, by name (`hidden`, `max_order`, `landmarks`,
    /// `subspace_dim`, `inputs`, …): the value and the rule, in words. Empty
    /// when every setting came from the parameters.
    #[serde(default)]
    pub chosen: BTreeMap<String, String>,
    /// The Levenberg–Marquardt polish of the chosen network, when one ran
    /// ([`polish`]): its iterations, losses, convergence,
    /// validation error and whether it was kept.
    #[serde(default)]
    pub polish: Option<polish::PolishOutcome>,
    /// The refinement of the final network on every training row, when the
    /// polish could afford only some of them ([`refine`]).
    #[serde(default)]
    pub refine: Option<refine::RefineOutcome>,
    /// Rows read from the samples over the whole fit, in passes over the
    /// data (rows read / n; loading rows into memory counts; passes run by
    /// an executor elsewhere read no rows here): set by
    /// [`inputs::fit_any_gaussian`], `None` for a learner called directly.
    #[serde(default)]
    pub data_passes: Option<f64>,
    /// The passes over every row the fit made, by kind (see [`passes`]):
    /// set by [`inputs::fit_any_gaussian`], empty for a learner called
    /// directly.
    #[serde(default)]
    pub passes: std::collections::BTreeMap<String, u64>,
}

impl Report {
    /// An empty report of `learner` on `samples_used` samples.
    #[must_use]
    pub fn new(learner: &str, samples_used: usize) -> Self {
        Self {
            learner: learner.to_owned(),
            samples_used,
            ..Self::default()
        }
    }
}

/// A fitted model and its report.
#[derive(Clone, Debug)]
pub struct Fitted {
    /// The learned model.
    pub model: Model,
    /// What happened during the fit.
    pub report: Report,
}

impl Fitted {
    /// A fitted network.
    #[must_use]
    pub fn from_network(network: Network, report: Report) -> Self {
        Self {
            model: Model::Network(network),
            report,
        }
    }

    /// The network, for proper learners (`None` for kernel models).
    #[must_use]
    pub fn network(&self) -> Option<&Network> {
        self.model.network()
    }
}

/// A learning algorithm.
pub trait Learner {
    /// The learner's id (kebab-case), as used by `relu-learn fit --learner`.
    fn name(&self) -> &'static str;

    /// Learns a network from the samples of `src`, announcing its stages to
    /// `observer`.
    ///
    /// # Errors
    /// [`LearnError`] for unusable input; non-convergence is reported in
    /// [`Report::converged`] instead.
    fn fit_observed(
        &self,
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError>;

    /// Learns a network from the samples of `src`.
    ///
    /// # Errors
    /// As [`Learner::fit_observed`].
    fn fit(&self, src: &dyn SampleSource, seed: Seed, par: Par) -> Result<Fitted, LearnError> {
        self.fit_observed(src, seed, par, &mut NoObserver)
    }
}
