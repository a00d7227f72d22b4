//! `glmtron`: a single ReLU `relu(⟨w, x⟩ + b)` by the GLMtron of Kakade,
//! Kalai, Kanade & Shamir (NeurIPS 2011, arXiv 1104.2018), in the form
//! restated by Goel & Klivans (COLT 2019) as Alphatron with ψ(x) = x; see
//! `docs/learners/glmtron.md`.
//!
//! ## The algorithm
//! 1. Inputs are augmented with a constant 1 (for the bias) and scaled to
//!    `x̃ = (x, 1)/√(d + 1)`, so that `E‖x̃‖² = 1` (the theorem's unit ball, in
//!    expectation, for Gaussian inputs).
//! 2. From `w̃ = 0`, iterate `w̃ ← w̃ + (1/(L m)) Σ_i (y_i − relu(⟨w̃, x̃_i⟩)) x̃_i`
//!    with L = 1 (ReLU is 1-Lipschitz); no derivative of the link is used.
//! 3. Keep the iterate with the smallest validation loss; stop when the
//!    update's norm falls below `tol` or after `max_iters`.
//!
//! Output: the depth-2 network with one unit `relu(⟨w, x⟩ + b)` (a = 1).
//!
//! # Errors
//! Too few samples, constant labels.
//!
//! # Complexity
//! O(iterations · n d); memory O(n d) for the loaded rows.
//!
//! # References
//! S. Kakade, A. Kalai, V. Kanade, O. Shamir. *Efficient learning of
//! generalized linear and single index models with isotonic regression.*
//! NeurIPS 2011 (arXiv 1104.2018).

mod algorithm;
mod params;

pub use algorithm::Glmtron;
pub use params::GlmtronParams;
