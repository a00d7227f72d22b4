//! Jennrich's algorithm (simultaneous diagonalisation) for symmetric
//! tensors with linearly independent, not necessarily orthogonal, factors.
//!
//! ## The algorithm
//! For `T = Σ_{i≤r} λ_i u_i^{⊗l}` (l ≥ 3) and a reference
//! `B = Σ_i ρ_i u_i u_iᵀ` (a hint such as a second moment, possibly
//! indefinite; otherwise a random contraction of T itself):
//! 1. `U` = the r eigenvectors of B of largest |eigenvalue|, `B_r = Uᵀ B U =
//!    diag(β)`. In these coordinates `v_i = Uᵀ u_i` are linearly independent.
//! 2. For each of `n_draws` random unit g: `A = Uᵀ T(g^{l−2}, ·, ·) U
//!    = Σ_i λ_i ⟨u_i, g⟩^{l−2} v_i v_iᵀ`, so `A B_r^{−1} = V diag(μ) V^{−1}` with
//!    `μ_i = λ_i ⟨u_i, g⟩^{l−2} / ρ_i`: its right eigenvectors are the v_i.
//!    The spectrum is computed with faer's nonsymmetric eigensolver. The
//!    draw with the fewest complex-conjugate pairs (`|Im μ| > imag_tol ·
//!    max |μ|`) wins, ties broken by the largest relative gap
//!    `min_{i≠j} |μ_i − μ_j| / max |μ|` (a pair counted once).
//! 3. A complex pair means two eigenvalues closer than the noise moved
//!    them. Its real invariant plane `span(Re v, Im v)` still holds two of the
//!    v_i and is invariant under every pencil, so the pair is split by the 2 × 2
//!    restriction `Sᵀ A(g') B_r^{−1} S` (S an orthonormal basis of the plane)
//!    for fresh contractions g', keeping the best-separated real one (up to
//!    `n_draws` tries; if none is real the plane's basis is kept). Without
//!    this the pair's real part came out twice and the weight solve was
//!    singular (seen on atv at d = 100, k = 20).
//! 4. `u_i = U v_i / ‖U v_i‖` (eigenvectors rotated to real phase).
//! 5. Weights by least squares on `n_probes` contractions
//!    ([`crate::fit::fit_weights`]); residual on fresh probes.
//!
//! `Report::eigengaps` holds the relative gap of every real draw;
//! `converged` means the chosen draw's gap is at least `min_gap` and every
//! complex pair was split with a gap of at least `min_gap`.
//!
//! # Errors
//! Rank 0 or rank > d, order < 3, a reference of the wrong shape or with
//! non-finite entries, and [`crate::DecompError::RankDeficient`] when the
//! reference has numerical rank below r (the components are then not
//! identifiable from it).
//!
//! # Complexity
//! `n_draws + 2 n_probes` matrix contractions of T, one d × d symmetric
//! eigendecomposition and `n_draws` r × r nonsymmetric ones: O(d³ + n_draws
//! r³) beyond the contractions.
//!
//! # References
//! R. Harshman (1970), attributed to R. Jennrich; A. Moitra, *Algorithmic
//! Aspects of Machine Learning* (2018), §3.3. The indefinite reference is the
//! variant needed for ReLU moments: the second moment of a network whose
//! output weights have both signs is indefinite and cannot whiten (see
//! `docs/math/tensor-decomp.md` and `docs/learners/atv.md`).

mod algorithm;
mod params;

pub use algorithm::Jennrich;
pub use params::JennrichParams;
