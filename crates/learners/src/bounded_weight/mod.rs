//! `bounded-weight`: the proper learner for depth-2 networks with bounded
//! weights by random projection and exhaustive search in the projected
//! space (Goel, Klivans, Manurangsi & Reichman, ITCS 2021, after
//! Manurangsi & Reichman 2018, arXiv 1810.04207; the procedure is
//! reconstructed from summaries, see `docs/learners/bounded-weight.md`).
//!
//! ## Setting
//! Inputs in the unit ball, unit weights `‖(a_i, b_i)‖ ≤ B`, any
//! distribution; the guarantee is additive: square loss within ε of the
//! best network of the class, in time `2^{(k/ε)^{O(1)}} · poly(n, d)` —
//! polynomial in d, exponential in k/ε. It matches the hardness side
//! (for one ReLU, `exp(1/ε²)` is necessary).
//!
//! ## The algorithm
//! 1. Take the first `samples` rows and scale them into the unit ball:
//!    `x̃ = x / R`, `R = max_j ‖x_j‖`.
//! 2. Draw a Gaussian projection `P ∈ ℝ^{d' × d}`, entries `N(0, 1/d')`
//!    (Johnson–Lindenstrauss: `⟨P w, P x̃⟩ = ⟨w, x̃⟩ ± ε` for all relevant
//!    pairs when `d' = O(log(m k / δ) / ε²)`).
//! 3. Solve the k-ReLU problem on `z_j = P x̃_j ∈ ℝ^{d'}`:
//!    `inner = "net"`: every unit's `(u, b)` ranges over the grid
//!    `{−B, −B + η, …, B}^{d'+1}` inside the ball of radius B (an η-net);
//!    for every k-subset of net points, the output weights and bias are
//!    fitted by least squares; the best training loss wins.
//!    `inner = "exact"`: [`crate::exact_erm`] on the projected points.
//! 4. Lift: `w_i = Pᵀ u_i / R`, so `⟨w_i, x⟩ = ⟨u_i, P x̃⟩`; output the
//!    network on ℝ^d; report its validation error on fresh rows.
//!
//! ## Departures, stated
//! The theory's `d' = O(log m / ε²)` is far beyond what an exponential
//! search can visit; the default `d' = 2` means ε is of order `1/√d'` — the
//! learner demonstrates the algorithm and its running time, not a practical
//! accuracy. On Gaussian inputs in ℝ^d the scaling to the unit ball makes
//! the additive guarantee weak (labels are O(1/√d) after scaling): compare
//! it with the moment learners in the `scaling` suite. An optional
//! Levenberg–Marquardt polish in ℝ^d (off by default: not in the paper)
//! turns the answer into a starting point.
//!
//! # Errors
//! Too few samples, constant labels, a projection dimension above d or
//! above the inner solver's limit, searches above `max_candidates`.
//!
//! # Complexity
//! Net: `C(N, k)` least-squares fits of k + 1 columns on `samples` rows,
//! `N ≈ vol(B_{d'+1}) (B/η)^{d'+1}`; exact: as [`crate::exact_erm`] with
//! n = d'. Projection and lifting: O(samples · d · d').
//!
//! # References
//! S. Goel, A. Klivans, P. Manurangsi, D. Reichman. *Tight hardness results
//! for training depth-2 ReLU networks.* ITCS 2021 (arXiv 2011.13550).
//! P. Manurangsi, D. Reichman. *The computational complexity of training
//! ReLU(s).* arXiv 1810.04207, 2018.

mod algorithm;
mod params;

pub use algorithm::BoundedWeight;
pub use params::{BoundedWeightParams, Inner};
