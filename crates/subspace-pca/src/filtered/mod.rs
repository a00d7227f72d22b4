//! Filtered PCA: the subspace spanned by the first-layer weights of a ReLU
//! network, one direction at a time (Chen & Meka, COLT 2020, Algorithm 2
//! "TrimmedPCA"; its extension to ReLU networks by Chen, Klivans & Meka,
//! FOCS 2021, arXiv 2009.13512; see `docs/math/subspace-pca.md` for what
//! comes from which paper).
//!
//! If `F(x) = G(W x)`, the part of x orthogonal to `U = rowspan W` is
//! independent of y. So for any label set A and any cell c of an
//! already-found subspace V,
//! `M = E[(P x xᵀ P − P) 1[y ∈ A] | Vᵀ x ∈ c]` (P = I − V Vᵀ) has its column
//! space inside `P U`: a large eigenvalue is a new direction of U. The
//! indicator makes the statistic non-correlational — it works where every
//! low-degree moment vanishes.
//!
//! ## The algorithm
//! 1. Split off a validation part (the last `validation_fraction`). From the
//!    training labels (at most 200 000) take the label sets: `|y| ≥ τ_q` for
//!    the quantiles q of |y| in `abs_quantiles` (Chen–Meka's filter), and the
//!    intervals between consecutive quantiles of y in `interval_quantiles`
//!    (CKM's label intervals).
//! 2. Round ℓ = 0, 1, …: for every label set and every cell — all samples,
//!    and Chen–Meka's slab `|⟨v_i, x⟩| ≤ slab` for the found `v_i` — estimate
//!    M ([`gaussian_moments::filtered_second_moment`]) and its eigenvalue of
//!    largest magnitude; score it against the noise floor `√(d / n_cell)`.
//! 3. Keep the best; stop unless its score exceeds `noise_mult`, and —
//!    with the empirical null on — unless its eigenvalue exceeds `null_mult`
//!    times that of the same statistic with labels shifted by n/2 rows
//!    (independent of x: the null distribution of the eigenvalue).
//! 4. Add the eigenvector to V (Gram–Schmidt twice). Stop after `max_dim`
//!    directions, or when a piecewise-constant regression of y on `Vᵀ x`
//!    (`bins` Gaussian-quantile bins per coordinate, fitted on the training
//!    rows, scored on the validation rows; dim V ≤ 4) explains all but
//!    `target_error` of the label variance.
//!
//! The report records, per round: the eigenvalue, the label set, the cell,
//! the noise floor, the null eigenvalue, the samples in the cell and
//! selected, and the validation error of the regression on `Vᵀ x`.
//!
//! Departures: CKM's exact thresholds, cells and stopping rule are not
//! given in the material available to us (the paper's abstract and later
//! papers' descriptions of it); the thresholds here are label quantiles,
//! the cells Chen–Meka's slab, the stop an empirical noise floor and null
//! and a held-out regression. Fresh samples per round (Chen–Meka) are
//! replaced by the same training samples (the dependence only weakens the
//! guarantee, it does not bias the statistic).
//!
//! # Errors
//! Too few samples, invalid parameters, constant labels (no label set
//! selects a proper subset of the samples).
//!
//! # Complexity
//! Per round, one pass over the training rows per label set and cell, at
//! O(n d²); O(d³) per eigendecomposition.
//!
//! # References
//! S. Chen, R. Meka. *Learning polynomials in few relevant dimensions.* COLT
//! 2020. S. Chen, A. Klivans, R. Meka. *Learning deep ReLU networks is
//! fixed-parameter tractable.* FOCS 2021.

mod algorithm;
mod params;

pub use algorithm::{FilteredPca, RoundRecord, ShiftedLabels};
pub use params::FilteredPcaParams;
