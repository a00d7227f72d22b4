//! `gd`: the baseline users would otherwise reach for — mini-batch Adam on
//! the square loss for a given architecture.
//!
//! ## The algorithm
//! 1. Hold out the last `validation_fraction` of the rows; load at most
//!    `max_train` training rows into memory.
//! 2. For each of `restarts` seeded starts (run in parallel, each
//!    deterministic): He initialisation ([`relu_net::Init::He`]), then epochs
//!    of Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8) over a seeded shuffle in
//!    mini-batches of `batch_size`. After each epoch the validation loss is
//!    measured; the best parameters are kept. When it has not improved for
//!    `patience` epochs the learning rate is divided by 5 (at most
//!    `lr_drops` times, then training stops), the usual plateau schedule.
//! 3. The restart with the lowest validation loss wins.
//!
//! This is at least the standard practice (scikit-learn's `MLPRegressor`
//! uses Adam with the same constants, batches of 200 and a tolerance-based
//! stop without learning-rate drops); `docs/learners/gd.md` says how it was
//! compared.
//!
//! # Errors
//! An empty architecture or a zero width, too few samples, constant labels.
//!
//! # Complexity
//! O(epochs · n · Σ_l n_l n_{l−1}) per restart; memory O(n d) for the
//! training rows.
//!
//! # References
//! D. Kingma, J. Ba. *Adam: a method for stochastic optimization.* ICLR 2015.
//! K. He et al. *Delving deep into rectifiers.* ICCV 2015.

mod algorithm;
mod params;

pub use algorithm::Gd;
pub use params::GdParams;
