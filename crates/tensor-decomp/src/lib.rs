//! Symmetric tensors known only through contractions, symmetric CP models,
//! and the [`Decomposer`] trait behind which decomposition backends plug in.
//!
//! This crate knows nothing of networks or samples: it is pure tensor maths.
//!
//! # The maths
//!
//! A symmetric order-l tensor `T ∈ (ℝ^d)^{⊗l}` of symmetric rank r is
//! `T = Σ_{i=1}^r λ_i u_i^{⊗l}` with unit vectors `u_i` (a [`CpModel`]).
//! Moment tensors of Gaussian data are never stored: a [`SymTensor`] only
//! answers the contractions `T(v_1, …, v_{l−2}, ·, ·)` (a d × d matrix) and
//! `T(v_1, …, v_{l−1}, ·)` (a vector), which is all the backends need. For a
//! CP model `T(v_1, …, v_{l−2}, ·, ·) = Σ_i λ_i Π_k ⟨u_i, v_k⟩ u_i u_iᵀ`.
//!
//! # Backends
//!
//! | id | assumptions | idea |
//! |---|---|---|
//! | [`jennrich`] | l ≥ 3, factors linearly independent (r ≤ d) | eigenvectors of `A B^{−1}` for a random contraction A and a reference B (a hint, possibly indefinite, or another contraction) |
//! | [`power`] (`tensor-power`) | l ≥ 3, orthogonal factors, or a semidefinite reference to whiten with | power iterations with restarts and deflation |
//! | [`als`] | l ≥ 3, r ≤ d | symmetric alternating least squares with restarts |
//!
//! All take `&dyn SymTensor`, a rank, [`Hints`] (an optional reference
//! matrix `Σ ρ_i u_i u_iᵀ`), a seed and a [`faer::Par`], and return the
//! canonicalised model with a [`Report`] (iterations, residual on fresh
//! probe contractions, convergence, eigengaps, notes). Non-convergence is
//! in the report, not an error.
//!
//! # Adding a backend
//!
//! A backend is one module implementing [`Decomposer`]; it may use the
//! helpers of [`fit`] (random unit vectors, least-squares weights, residuals)
//! and the wrappers [`Whitened`] and [`Deflated`]:
//!
//! ```
//! use faer::{Col, Mat, Par};
//! use tensor_decomp::{fit, CpModel, DecompError, Decomposer, Hints, Report, SymTensor};
//!
//! /// A toy backend: the top eigenvectors of one random contraction, for
//! /// orthogonal factors with distinct |λ_i ⟨u_i, g⟩|.
//! struct OneContraction;
//!
//! impl Decomposer for OneContraction {
//!     fn name(&self) -> &'static str { "one-contraction" }
//!     fn decompose(&self, t: &dyn SymTensor, rank: usize, _hints: &Hints<'_>, seed: u64, par: Par)
//!         -> Result<(CpModel, Report), DecompError> {
//!         let mut rng = fit::rng(seed, 0);
//!         let g = fit::random_unit(&mut rng, t.dim());
//!         let m = fit::contract_matrix(t, g.as_ref(), par);
//!         let eig = m.self_adjoint_eigen(faer::Side::Lower).map_err(|_| DecompError::LinearAlgebra { what: "eig" })?;
//!         let (s, u) = (eig.S().column_vector(), eig.U());
//!         let mut idx: Vec<usize> = (0..t.dim()).collect();
//!         idx.sort_by(|&a, &b| s[b].abs().total_cmp(&s[a].abs()));
//!         let factors = Mat::from_fn(t.dim(), rank, |i, j| u[(i, idx[j])]);
//!         let probes = vec![g];
//!         let weights = fit::fit_weights(t, factors.as_ref(), &probes, par)?;
//!         let model = CpModel::new(t.order(), weights, factors)?.canonicalize();
//!         let residual = fit::contraction_residual(t, &model, &probes, par);
//!         Ok((model, Report { backend: self.name().into(), residual, converged: true, ..Report::default() }))
//!     }
//! }
//!
//! let truth = CpModel::new(3, faer::col![3.0, 1.0], faer::mat![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])?;
//! let (found, report) = OneContraction.decompose(&truth, 2, &Hints::default(), 7, Par::Seq)?;
//! assert!(report.residual < 1e-12);
//! assert!(truth.match_factors(&found)?.min_congruence() > 1.0 - 1e-12);
//! # Ok::<(), DecompError>(())
//! ```
//!
//! Register it where a configuration picks backends (in the application's
//! learner configuration) and add it to the benches and snapshot tests by
//! id.
//!
//! # References
//! * R. Harshman. *Foundations of the PARAFAC procedure*, 1970 (Jennrich's
//!   algorithm); A. Moitra, *Algorithmic Aspects of Machine Learning*, §3.3.
//! * A. Anandkumar et al. *Tensor decompositions for learning latent
//!   variable models.* JMLR 2014.
//! * T. Kolda, B. Bader. *Tensor decompositions and applications.* SIAM
//!   Review 2009.

pub mod als;
mod decomposer;
mod dense;
mod error;
pub mod fit;
pub mod jennrich;
mod model;
pub mod power;
mod tensor;

pub use als::{Als, AlsParams};
pub use decomposer::{Decomposer, Hints, Report};
pub use dense::{DenseSymTensor, MAX_DENSE_ENTRIES};
pub use error::DecompError;
pub use jennrich::{Jennrich, JennrichParams};
pub use model::{CpModel, FactorMatching};
pub use power::{TensorPower, TensorPowerParams};
pub use tensor::{Deflated, SymTensor, Whitened};

/// A backend by its id (`"jennrich"`, `"tensor-power"`, `"als"`) with
/// default parameters; `None` for an unknown id.
#[must_use]
pub fn backend(id: &str) -> Option<Box<dyn Decomposer>> {
    match id {
        "jennrich" => Some(Box::new(Jennrich::default())),
        "tensor-power" => Some(Box::new(TensorPower::default())),
        "als" => Some(Box::new(Als::default())),
        _ => None,
    }
}

/// The ids accepted by [`backend`].
pub const BACKENDS: &[&str] = &["jennrich", "tensor-power", "als"];
