//! `alphatron`: the kernelised GLMtron of Goel & Klivans (COLT 2019, arXiv
//! 1709.06010; see `docs/learners/alphatron.md`), an improper learner for models
//! `E[y | x] = u(⟨v, ψ(x)⟩)` with a known non-decreasing Lipschitz u (the
//! identity for a network's linear output, or a ReLU) and a kernel feature
//! map ψ (multinomial `MK_q(x, x') = Σ_{j≤q} ⟨x, x'⟩^j`, or arc-cosine).
//!
//! ## The algorithm (Algorithm 1 of the paper)
//! 1. Scale inputs into the unit ball (`x̃ = σ x`, σ = 1 / max ‖x_i‖ over the
//!    training rows), load at most `train_size` of them and precompute the
//!    Gram matrix `K_ij = k(x̃_i, x̃_j)`.
//! 2. `α = 0`; for t = 1…T: `h_t(x) = u(Σ_i α_i k(x, x̃_i))` and simultaneously
//!    `α_i ← α_i + (λ/m)(y_i − h_t(x̃_i))`.
//! 3. Return `h_r` with r minimising the hold-out loss.
//!
//! Output: a [`crate::KernelModel`] (format `kernel-model/v1`).
//!
//! # Errors
//! Too few samples, constant labels.
//!
//! # Complexity
//! O(m² d) for the Gram matrix, O(T m²) for the iterations, O(m) memory per
//! prediction.
//!
//! # References
//! S. Goel, A. Klivans. *Learning neural networks with two nonlinear layers
//! in polynomial time.* COLT 2019 (arXiv 1709.06010), Algorithm 1,
//! Theorem 1.

mod algorithm;
mod params;

pub use algorithm::Alphatron;
pub use params::AlphatronParams;

/// Loading and scaling helpers shared with the kernel learner.
pub(crate) mod algorithm_helpers {
    pub(crate) use super::algorithm::ball_scale;
}
