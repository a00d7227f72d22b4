//! `narrow`: bias-free one-hidden-layer networks with signed output weights
//! and no conditioning assumption (Chen, Dou, Goel, Klivans & Meka, COLT
//! 2023, arXiv 2304.10524; the one-stage variant of Chen & Narayanan, COLT
//! 2024, arXiv 2307.12496; see `docs/learners/narrow.md`).
//!
//! Model: `f(x) = Σ_{i≤k} λ_i relu(⟨u_i, x⟩) + c`, unit `u_i`, any signs, any
//! angles. Since `relu(z) = (|z| + z)/2`, `f(x) = c + ⟨w, x⟩ + Σ μ_i |⟨u_i, x⟩|`
//! with `μ_i = λ_i/2` and `w = Σ μ_i u_i = E[y x]`; the |·| part has only even
//! Hermite components, and for one random unit g
//! `M_l = E[y S_l(x)](g^{l−2}, ·, ·) / ĉ_l(0) = Σ_i λ_i ⟨u_i, g⟩^{l−2} u_i u_iᵀ`
//! for even l (CDGKM Lemmas 3–4: g keeps the `⟨u_i, g⟩` anti-concentrated). A
//! single `M_2` can vanish (the planar instance of
//! Diakonikolas–Kane–Kontonis–Zarifis has `M_2 = 0`); the collection over
//! l = 2, 4, …, 2k + 2 cannot, because polynomials in `⟨u_i, g⟩²` isolate
//! groups of units (Chen–Narayanan, Lemma 7; see `docs/learners/narrow.md`).
//!
//! ## The algorithm
//! 1. Validation split; `E[y]`, `E[y x]`; one random unit g; `M_l` for even
//!    l ≤ `min(2k + 2, max_order)`, each with its noise level (Wigner scale of
//!    its standard errors).
//! 2. Joint subspace: the eigenvectors of each `M_l`, and of the squared-label
//!    matrix `Q = E[(y − ȳ)² S_2(x)]` (a departure, see `squared_labels`),
//!    whose |eigenvalue| exceeds `subspace_threshold` × its noise; dim V = m =
//!    the number of eigenvalues ≥ ½ of the sum of their projectors, and the
//!    basis the top m eigenvectors of `Σ (M / noise)²` over the matrices with
//!    significant eigenvalues (signal-to-noise weighted).
//!    When neither `Q` nor any `M_l` shows anything above its noise, higher even orders are
//!    added one at a time up to [`MAX_ADAPTIVE_ORDER`] (the order used is
//!    reported as `max_order_used`).
//! 3. Candidate directions in V (`candidates`, `net`): eigenvectors of each
//!    `Vᵀ M_l V` and of the pencils `(Vᵀ M_{l+2} V)(Vᵀ M_l V)^{−1}`, and the
//!    papers' net: a deterministic covering of V's unit sphere (up to sign)
//!    for every m, at most `net_points` points, with its covering angle
//!    computed and reported (`net_points`, `net_covering_angle`).
//! 4. Iterative neuron discovery at several scales (`discovery`): with
//!    features `[1, Vᵀx, |⟨v_j, Vᵀx⟩|…]` fitted by least squares, the
//!    candidate that most reduces the residual sum of squares outside the
//!    chosen directions' exclusion zones is refined on finer and finer local
//!    nets and added while the validation error improves by
//!    `min_improvement` (units inside a zone are collapsed into one
//!    direction); then the collapsed groups are resolved on local nets at
//!    finer scales, and every direction is refined with the others fixed.
//!    In V of dimension ≤ 3 the papers' brute force over subsets of a coarse
//!    net also runs (complete up to 10⁵ subsets, uniformly sampled above).
//! 5. Networks: the exact |·| form as 2 ReLUs per direction plus 2 for the
//!    linear part (improper), and, when the linear part equals
//!    `Σ s_j μ_j v_j` with signs `s_j = ±1`, the proper network
//!    `Σ 2 μ_j relu(s_j ⟨u_j, x⟩) + c`. The better on validation (a proper one
//!    within 2× preferred) is polished by Levenberg–Marquardt and kept if the
//!    validation error improves. When the improper network is kept before
//!    polishing and a proper candidate exists (signs `sign(t_j)` of the
//!    least-squares fit of the linear part), that one is polished too and
//!    replaces the result if its validation error is lower: the improper
//!    form's polish can stop at a worse stationary point. With more
//!    directions than V has dimensions, every sign pattern is tried for the
//!    proper network (up to 16 directions); the one nearest the linear part
//!    is only ever the runner-up (several patterns can come close).
//!
//!    5b. Re-estimation on the residual (`regroup`, CDGKM's iteration):
//!    `R_2`, `R_4` of `y − f̂` outside V; significant directions extend V and
//!    steps 3–5 run again in it, kept if better (up to 3 rounds). The
//!    network after 5b is the moment stage's result
//!    (`provable_stage_error`).
//! 6. Discovery on the residual (`residual`, CDGKM's iterative step): the
//!    top eigenvector of `E[(y − f̂(x)) S_2(x)]` becomes a new unit while it
//!    stands above that matrix's noise and halves the validation error's
//!    excess above the noise floor ([`crate::compare`]), up
//!    to k directions (units whose net weight nearly cancels, missed by V).
//! 7. Search in V (`subspace_search`): when the validation error is still
//!    above `search_above`, Adam with k units on `Vᵀx`, lifted and polished
//!    in ℝ^d, replaces the result if better (parity-of-signs: 8 directions in
//!    a 4-dimensional V). A start that explains less than half of the label
//!    variance is not polished first.
//!
//! Departures from the papers: the brute force over every tuple of net
//! points (exponential in k) is replaced by greedy discovery over the net
//! with refinement at finer scales (exhaustive over subsets only for
//! m ≤ 3), least squares for the
//! coefficients (for fixed directions the loss is a convex quadratic in them,
//! so this cannot do worse than the papers' net over coefficients), greedy
//! discovery on residuals in the spirit of CDGKM's iterative procedure, a
//! local search (Adam) in V where the papers search a net of networks, and a
//! final polish; the theoretical thresholds, astronomically small in
//! practice, are replaced by empirical noise floors.
//!
//! # Errors
//! k = 0, too few samples, constant labels, non-finite data.
//!
//! # Complexity
//! One pass per order at O(n d²); O(n_fit · candidates · m) for the greedy
//! scoring on a subsample; a polish at O(m' p²) per iteration.
//!
//! # References
//! S. Chen, Z. Dou, S. Goel, A. Klivans, R. Meka. *Learning narrow
//! one-hidden-layer ReLU networks.* COLT 2023. S. Chen, S. Narayanan. *A
//! faster and simpler algorithm for learning shallow networks.* COLT 2024.

mod algorithm;
mod candidates;
mod discovery;
mod moments;
mod net;
mod networks;
mod params;
mod regroup;
mod residual;
mod squared_labels;
mod subspace;
mod subspace_search;

pub use algorithm::{MAX_ADAPTIVE_ORDER, Narrow};
pub use params::NarrowParams;
pub(crate) use squared_labels::{SQUARED_VIEW, SquaredLabels};
