//! `ckm`: deep ReLU networks in time polynomial in d (Chen, Klivans & Meka,
//! FOCS 2021, arXiv 2009.13512; see `docs/learners/ckm.md` for what is the
//! paper's and what is ours).
//!
//! A network `F(x) = G(W₁ x)` of any depth depends on x only through
//! `U = rowspan W₁` (dim ≤ k, the first-layer width). Filtered PCA recovers
//! U; the rest of the search happens in k dimensions, whatever d is.
//!
//! ## The algorithm
//! 1. Filtered PCA ([`subspace_pca::FilteredPca`], at most k rounds) gives V
//!    (d × m, m ≤ k).
//! 2. Project `z = Vᵀ x`; split the rows into training and validation parts.
//! 3. Search a network of the given architecture on z (input dimension m):
//!    (a) the paper's net over networks (`search.rs`, `NetPlan`): hidden
//!    units' rows `(w, b)` on nets of unit spheres (exact by positive
//!    homogeneity), the output layer by least squares; exhaustive when the
//!    net has at most `net_candidates` points, else that many uniform draws
//!    with the coverage probability reported; (b) a practical search:
//!    Adam on z with seeded restarts ([`crate::gd`]); (c) for one hidden
//!    layer, exact ERM ([`crate::exact_erm`]) on a few projected rows — the
//!    certified best network on them, cheap when m and k are tiny.
//!    `search` picks (a), (b), (c) or `auto` (the net, exact ERM when
//!    k ≤ 2 and m ≤ 2 with one hidden layer, Adam when those stay above
//!    `train_above`); the validation error decides, and the report says which
//!    produced the answer.
//! 4. Lift: the first layer `W' ∈ ℝ^{k × m}` becomes `W' Vᵀ`; the other layers
//!    are unchanged.
//!
//! Departures: the net is sampled when it is too large to score, its best
//! points are refined by Levenberg–Marquardt, and the
//! practical search (not in the paper) is allowed to win; CKM's own
//! thresholds and cells are not known (see [`subspace_pca::filtered`]).
//!
//! # Errors
//! Too few samples, constant labels, an empty architecture, a subspace of
//! dimension 0 (nothing above the noise floor).
//!
//! # Complexity
//! Filtered PCA at O(k · filters · n d²); the searches are independent of d:
//! O(candidates · n_val · size) and O(epochs · n · size) on m-dimensional
//! inputs.
//!
//! # References
//! S. Chen, A. Klivans, R. Meka. *Learning deep ReLU networks is
//! fixed-parameter tractable.* FOCS 2021 (arXiv 2009.13512).

mod algorithm;
mod extend;
mod params;
mod search;

pub use algorithm::Ckm;
pub use params::{CkmParams, Search};
