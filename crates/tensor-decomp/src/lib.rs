//! Symmetric tensors known only through contractions, symmetric CP models,
//! and the [`Decomposer`] trait behind which decomposition backends plug in.
//!
//! # The maths
//!
//! A symmetric order-l tensor `T ∈ (ℝ^d)^{⊗l}` of symmetric rank r is
//! `T = Σ_{i=1}^r λ_i u_i^{⊗l}` with unit vectors `u_i` (a CP model).
//! Moment tensors of Gaussian data are never stored: a [`SymTensor`] only
//! answers the contractions `T(v_1, …, v_{l-2}, I, I)` (a d × d matrix) and
//! `T(v_1, …, v_{l-1}, I)` (a vector), which is all that simultaneous
//! diagonalisation (Jennrich), the tensor power method and symmetric ALS
//! need. For a CP model,
//! `T(v_1, …, v_{l-2}, I, I) = Σ_i λ_i Π_j ⟨u_i, v_j⟩ · u_i u_iᵀ`.
//!
//! # Entry points
//! * [`SymTensor`]: the contraction interface (object safe: `&dyn SymTensor`).
//! * [`CpModel`]: weights and unit factors of a symmetric CP decomposition.
//! * [`Decomposer`]: a decomposition backend, chosen at run time
//!   (`&dyn Decomposer`), returning a [`CpModel`] and a [`Report`].
//!
//! This crate knows nothing of networks: it is pure tensor maths.
//! The backends (`jennrich`, `tensor-power`, `als`) arrive with the moment
//! engine; a new backend is one module implementing [`Decomposer`].
//!
//! # References
//! * R. Harshman. *Foundations of the PARAFAC procedure* (Jennrich's
//!   algorithm), 1970; A. Moitra, *Algorithmic Aspects of Machine
//!   Learning*, ch. 3.
//! * A. Anandkumar et al. *Tensor decompositions for learning latent
//!   variable models.* JMLR 2014.

mod decomposer;
mod error;
mod model;
mod tensor;

pub use decomposer::{Decomposer, Report};
pub use error::DecompError;
pub use model::CpModel;
pub use tensor::SymTensor;
