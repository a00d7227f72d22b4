//! `exact-erm`: exact empirical risk minimisation for one hidden layer in
//! fixed small dimension (Arora, Basu, Mianjy & Mukherjee, ICLR 2018, arXiv
//! 1611.01491), with the convex-map case of Froese & Hertrich (NeurIPS 2023,
//! arXiv 2303.17045); see `docs/learners/exact-erm.md`.
//!
//! ## The problem
//! Given points `x_j ∈ ℝ^n` and labels `y_j` (j = 1…D), minimise the square
//! loss `(1/D) Σ_j (f(x_j) − y_j)²` over `f(x) = Σ_{i≤k} c_i relu(⟨a_i, x⟩ + b_i) + c`.
//! The problem is non-convex, NP-hard even for n = 2 (Froese–Hertrich), but
//! polynomial in D for fixed n and k.
//!
//! ## The algorithm
//! 1. By positive homogeneity `c_i relu(⟨a_i, x⟩ + b_i) = s_i relu(⟨ã_i, x⟩ + b̃_i)`
//!    with `s_i = sign(c_i)`, `(ã_i, b̃_i) = |c_i| (a_i, b_i)`.
//! 2. Each unit's activation pattern on the data is an affine dichotomy of
//!    the points: the sign vector of a chamber of the arrangement
//!    `{θ : ⟨θ, (x_j, 1)⟩ = 0}` in parameter space. All `O(D^n)` of them are
//!    enumerated exactly, degenerate point sets included
//!    ([`dichotomies()`]).
//! 3. For every sign vector s and every k-tuple of dichotomies, the loss is a
//!    convex quadratic in `(θ_1, …, θ_k, c)` under the linear constraints
//!    `⟨θ_i, (x_j, 1)⟩ ≥ 0` on the pattern and `≤ 0` off it: one QP. The
//!    best QP optimum over all combinations is the global optimum, because
//!    every parameter vector is feasible for some combination and every
//!    feasible point's QP objective equals its network loss.
//! 4. Each QP is settled by an unconstrained least-squares bound (pruning and,
//!    when feasible, the answer), otherwise by Clarabel (interior point) and
//!    an active-set refinement to machine precision.
//!
//! Reductions of the enumeration (exact, documented in the code): units of
//! one sign take distinct patterns (two same-sign units on one pattern are
//! one unit), sign vectors are taken up to permutation (p positive units
//! first), so the number of programs is `C(2P, k)` for P dichotomies
//! (`C(P, k)` in the convex case).
//!
//! The **convex-map case** (`convex = true`): all output weights positive,
//! so f is convex. Froese & Hertrich prove it fixed-parameter tractable in
//! (n, k) for zero training error with a 2^{O(k² n)} poly(k, L) algorithm;
//! that algorithm is not reproduced here (its details were not available to
//! us): we run the same enumeration restricted to s = (+1, …, +1), which is
//! exact but `O(D^{nk})`.
//!
//! ## Certificates
//! The optimum is exact up to the QP tolerance (1e-12 gaps, refined to
//! machine precision on the active set); [`ErmSolution::certified`] is false
//! if any program failed numerically. A realizable instance is certified at
//! loss ≤ `zero_tol`, and the enumeration stops there.
//!
//! # Errors
//! Dimension above `max_dim`, more programs than `max_programs` (checked
//! before solving), non-finite data, constant labels (as a learner).
//!
//! # Complexity
//! `C(2P, k)` QPs with `k(n+1)+1` variables and `kD` constraints,
//! `P ≤ 2 Σ_{i≤n} C(D−1, i)`; e.g. D = 12, n = 2, k = 2: P = 134 and
//! 35 778 programs. As a [`crate::Learner`] only the first `max_points`
//! rows are used.
//!
//! # References
//! R. Arora, A. Basu, P. Mianjy, A. Mukherjee. *Understanding deep neural
//! networks with rectified linear units.* ICLR 2018.
//! V. Froese, C. Hertrich. *Training neural networks is NP-hard in fixed
//! dimension.* NeurIPS 2023.
//! T. Cover. *Geometrical and statistical properties of systems of linear
//! inequalities.* IEEE Trans. Electronic Computers, 1965.

mod algorithm;
mod dichotomies;
mod params;
mod qp;

pub use algorithm::{ErmSolution, ExactErm};
pub use dichotomies::{chamber_bound, dichotomies};
pub use params::ExactErmParams;
