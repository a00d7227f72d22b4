//! Alternating least squares (ALS) for symmetric CP decompositions.
//!
//! ## The algorithm
//! The tensor is fitted as a general CP model `Σ_i λ_i a_i^{(1)} ⊗ … ⊗
//! a_i^{(l)}` by the classical (monotone) ALS, and the factors of the modes
//! are averaged at the end; on a symmetric tensor the modes converge to the
//! same factors up to sign.
//! 1. Start every mode from the top-r eigenvectors of the reference (if
//!    given) or of a random contraction of T; further restarts from random
//!    unit columns.
//! 2. Sweep the modes m = 1…l: with the other modes fixed, the least-squares
//!    factor is `A_m = Q (∗_{k≠m} A_kᵀ A_k)^{−1}` (∗ the Hadamard product),
//!    `Q = [T(a_i^{(k)}, k ≠ m; ·)]_i` (vector contractions with distinct
//!    vectors); normalise its columns. Stop when no normalised column moves
//!    by more than `tol` (up to sign) in a sweep, or after `max_iters`.
//! 3. `u_i` = the sign-aligned mean of the modes' columns, normalised;
//!    weights by least squares on contractions; the restart with the
//!    smallest residual on fresh probes wins, and restarts stop early once
//!    one converges with a residual below `stop_residual`.
//!
//! `Report::eigengaps` holds, per restart, the smallest singular value of
//! the Hadamard Gram matrix of the first mode in the last sweep (near 0 = nearly collinear factors, the
//! "swamp" where ALS slows down).
//!
//! # Errors
//! Rank 0 or rank > d, order < 3, a malformed reference.
//!
//! # Complexity
//! `restarts · sweeps · l · r` vector contractions, plus O(l (r³ + d r²)) per
//! sweep.
//!
//! # References
//! T. Kolda, B. Bader. *Tensor decompositions and applications.* SIAM
//! Review 2009, §3.4.

mod algorithm;
mod params;

pub use algorithm::Als;
pub use params::AlsParams;
