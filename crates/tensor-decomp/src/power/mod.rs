//! The robust tensor power method with restarts and deflation, for
//! symmetric tensors with orthogonal components (after whitening).
//!
//! ## The algorithm
//! 1. Whitening (when a reference `B = Σ_i ρ_i u_i u_iᵀ` is given, ρ_i of
//!    one sign): `W = U_r |Λ_r|^{−1/2}` from the top-r eigenpairs of B; the
//!    tensor `T̃ = T(W ·, …, W ·)` on ℝ^r has orthonormal components
//!    `ũ_i = √|ρ_i| Wᵀ u_i`. Without a reference, T itself is assumed to have
//!    orthogonal components.
//! 2. For each of r components: from `restarts` random unit starts, iterate
//!    `θ ← T̃_defl(θ, …, θ, ·) / ‖·‖` (sign-aligned with the previous θ, so
//!    negative weights of even order do not oscillate) until the step is
//!    below `tol` or `n_iters` is reached; keep the start with the largest
//!    `|T̃_defl(θ, …, θ)|`, run `n_iters` more iterations from it, and deflate
//!    `T̃_defl ← T̃_defl − λ θ^{⊗l}` (lazily, [`crate::tensor::Deflated`]).
//! 3. Un-whiten: `u_i ∝ U_r |Λ_r|^{1/2} θ_i`; weights by least squares on
//!    contractions of T, residual on fresh probes.
//!
//! `Report::eigengaps` holds the |λ| of the components in the order found;
//! `converged` means every component's final iteration met `tol`.
//!
//! # Errors
//! Rank 0 or rank > d, order < 3, a reference that is indefinite on its top-r
//! eigenspace.
//!
//! # Complexity
//! `r · restarts · n_iters` vector contractions (plus the whitening and
//! weight fit).
//!
//! # References
//! A. Anandkumar, R. Ge, D. Hsu, S. Kakade, M. Telgarsky. *Tensor
//! decompositions for learning latent variable models.* JMLR 2014,
//! Algorithm 1.

mod algorithm;
mod params;

pub use algorithm::TensorPower;
pub use params::TensorPowerParams;
