//! `atv`: learning a depth-2 ReLU network with biases from Hermite moments
//! (Awasthi, Tang & Vijayaraghavan, NeurIPS 2021, arXiv 2107.10209,
//! full-rank case; a pipeline derived from the Hermite expansion, made robust
//! as described below; see `docs/learners/atv.md`).
//!
//! Model: `f(x) = Σ_{i≤k} a_i relu(⟨w_i, x⟩ + b_i) + c`, `‖w_i‖ = 1` w.l.o.g.,
//! linearly independent `w_i` (k ≤ d), x ~ N(0, I_d). With `S_l = H_l/√(l!)`
//! and `ĉ_l` the Hermite coefficients of a biased ReLU,
//! `T_l = E[y S_l(x)] = Σ_i a_i ĉ_l(b_i) w_i^{⊗l}` (l ≥ 2), `T_1 = Σ a_i Φ(b_i) w_i`,
//! `T_0 = c + Σ a_i (b_i Φ(b_i) + φ(b_i))`.
//!
//! ## The algorithm
//! 1. Split off a validation set (the last 10 % of the rows). On the
//!    training rows estimate `T_0`, `T_1`, `T_2` in one pass.
//! 2. Subspace: U = the k eigenvectors of `T_2` with the largest
//!    |eigenvalue| (`T_2` is indefinite when the `a_i` have both signs, so no
//!    square-root whitening). If k is not given it is the number of
//!    eigenvalues above 1.5 times the noise level `2 σ √d` (σ² the mean
//!    squared standard error of the entries of `T_2`: the operator norm of a
//!    symmetric noise matrix, by Wigner's law); the gap is reported.
//! 3. Project `z = Uᵀ x` and estimate the dense tensors `T_1 … T_4` in k
//!    dimensions in one pass ([`gaussian_moments::dense_moments`]).
//! 4. Every unit must be visible: `ĉ_3(b) ∝ −b` vanishes at b = 0 and
//!    `ĉ_4(b) ∝ b² − 1` at b = ±1, but never both. For a random unit `g₀` the
//!    order-3 tensor `T̃ = T_3 + T_4(g₀, ·, ·, ·) = Σ_i a_i (ĉ_3(b_i) +
//!    ĉ_4(b_i) ⟨v_i, g₀⟩) v_i^{⊗3}` has the same factors `v_i = Uᵀ w_i` and a
//!    non-vanishing weight for every unit unless g₀ is unlucky; it is
//!    decomposed by any [`tensor_decomp::Decomposer`] (default Jennrich)
//!    with `T_2` as the pencil's reference, for `mix_draws` draws of g₀.
//! 5. For each draw, the weights of the found factors in `T_2`, `T_3`, `T_4`
//!    (least squares on contractions, never a division by `⟨v_i, g⟩`) give
//!    `α_l = a ĉ_l(b)` up to the factor's sign s:
//!    `s b = −√3 α_3/α_2` (order 3/2) and `b² = 1 + √12 α_4/α_2` (order 4/2).
//!    Three bias estimates are formed (order 3/2; order 4/2 with the sign of
//!    3/2; the 3/2 value when |b| < ½ else the 4/2 one); implausible values
//!    (non-finite, |b| > `max_bias`, b² < 0) fall back to the other
//!    estimate and are reported. Then `a = √2 α_2/φ(b)`, and the sign s
//!    from the first moment: the coefficient of `v_i` in `T_1` is `a Φ(sb)`
//!    if s = +1 and `a (Φ(sb) − 1)` if s = −1. The output bias follows from
//!    `T_0`.
//! 6. Low-error mode: since `relu(z) − relu(−z) = z`, `(w, b)` and `(−w, −b)`
//!    differ by an affine function only, so when a unit's first-moment
//!    coefficient lies near the middle of the two options (within a quarter
//!    of |a|) its sign is not identifiable at this sample size; an extra
//!    candidate keeps s = +1 for it and adds the affine correction
//!    `⟨T_1 − Σ a_i Φ(b_i) w_i, x⟩` (exactly the least-squares affine fit
//!    under N(0, I)) as two more units, `relu(⟨c, x⟩) − relu(−⟨c, x⟩)`.
//! 7. Every candidate is scored on the validation set; the best is polished
//!    by Levenberg–Marquardt on the square loss
//!    ([`crate::polish::polish_lm`]) and kept if it improves the validation
//!    error. Units beyond k (an affine pair, step 8's units) are removed
//!    when that costs at most a factor 2: a mirrored pair is absorbed by
//!    flipping units, others go by backward elimination on the output
//!    layer's least squares.
//! 8. Units in the residual (`atv/residual.rs`): a unit whose `T_2`
//!    eigenvalue sits inside `T_2`'s noise is missed by step 2; the second
//!    moment of the residual `y − f̂(x)` has noise proportional to the
//!    residual, so the missed unit stands out there. Its top eigenvector,
//!    with sign, bias and output weight by least squares on a bias grid, is
//!    added and the network polished again, while that halves the validation
//!    error's excess above the noise floor, significantly
//!    ([`crate::compare`]; at most `residual_units` times).
//!
//! Departures from the paper: the paper's exact tensor orders, its
//! combination of orders and its robust decomposition are not reproduced
//! verbatim (its full text was not available); steps 4–6 are a recipe
//! derived from the Hermite expansion (written out, with its check on exact
//! population moments, in `docs/learners/atv.md`) with the robustness changes
//! above, and steps 7 (polish) and 8 (residual units) are additions that the
//! report announces.
//!
//! # Errors
//! k = 0 or k > d, too few samples (`max(2000, 20 (d + k²))`), constant
//! labels, non-finite data, and an unidentifiable instance (no eigenvalue of
//! `T_2` above noise, every decomposition failed).
//!
//! # Complexity
//! Two passes over the training data at O(n d²) and O(n (d k + k⁴)), two
//! over the validation data for all candidates together (O(n_val d k) per
//! candidate), O(d³ + k⁶) for the eigen- and
//! tensor decompositions, and O(m p²) per polish iteration on m samples for
//! p = k(d + 2) + 1 parameters.
//!
//! # References
//! P. Awasthi, A. Tang, A. Vijayaraghavan. *Efficient algorithms for
//! learning depth-2 neural networks with general ReLU activations.* NeurIPS
//! 2021 (arXiv 2107.10209), Theorem for the full-rank case.

mod algorithm;
mod decompose;
mod moments;
mod params;
mod recover;
mod residual;
mod simplify;
mod subspace;

pub use algorithm::Atv;
pub use decompose::Candidate;
pub use moments::{AtvMoments, ProjectedMoments, noise_level};
pub use params::{AtvParams, JENNRICH_DRAWS};
pub use subspace::SubspaceChoice;
