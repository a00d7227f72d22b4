//! Hermite polynomials and Hermite moment tensors of Gaussian samples,
//! estimated in one streaming pass, chunk by chunk, with standard errors,
//! and exposed as implicit [`tensor_decomp::SymTensor`]s.
//!
//! # The maths
//!
//! For x ~ N(0, I_d) the normalised Hermite tensor of order l is
//! `S_l(x) = H_l(x) / √(l!)`, where `H_l(x)_{i_1…i_l} = Π_j He_{α_j}(x_j)`
//! and `α_j` counts the occurrences of j among the indices. By Stein's
//! identity, for a ReLU unit with unit weight w and bias b,
//! `E[relu(⟨w,x⟩ + b) S_l(x)] = ĉ_l(b) w^{⊗l}` with
//! `ĉ_l(b) = (−1)^l h_{l−2}(b) φ(b) / √(l(l−1))` for l ≥ 2
//! ([`hermite::relu_coefficient`]; derivation in
//! `docs/math/gaussian-moments.md`). The contraction of `S_l(x)` with
//! `g^{⊗(l−2)}` (g a unit vector, z = ⟨g, x⟩, `x_⊥ = x − z g`) is
//!
//! ```text
//! S_l(x)[g^{l−2}, ·, ·] = h_{l−2}(z)/√(l(l−1)) (x_⊥ x_⊥ᵀ − I + g gᵀ) + h_{l−1}(z)/√l (g x_⊥ᵀ + x_⊥ gᵀ) + h_l(z) g gᵀ
//! ```
//!
//! (from the generating function `exp(⟨t, x⟩ − ‖t‖²/2)` at `t = s g + v`,
//! v ⊥ g; see `docs/math/gaussian-moments.md`), so a batch of samples
//! contributes one weighted Gram matrix `Xᵀ diag(w) X` plus rank-2
//! corrections: moment tensors of any order are estimated at
//! matrix-multiply speed without forming d^l numbers.
//!
//! # Entry points
//! * [`hermite`]: `He_n`, the stable normalised `h_n`, Φ, φ, ReLU
//!   coefficients; [`quadrature`]: Gauss–Hermite and Gauss–Legendre rules.
//! * [`label_mean`], [`first_moment`], [`second_moment`],
//!   [`matrix_contractions`], [`vector_contractions`], [`dense_moments`]:
//!   estimates with entrywise standard errors.
//! * [`EmpiricalTensor`]: the order-l moment tensor of a sample source as a
//!   `SymTensor` (each contraction is a streaming pass).
//! * [`Estimator`], [`Accumulator`]: the streaming machinery; accumulators
//!   of contiguous shards merge into exactly the one-pass result.
//! * [`PopulationMoments`]: exact moments of a planted depth-2 network.
//! * [`Projected`]: moments of `z = Uᵀ x`; [`filtered_second_moment`]: the
//!   label-filtered, cell-conditioned second moment of filtered PCA.
//!
//! # Example
//! ```
//! use faer::{Col, Par};
//! use gaussian_moments::{Estimator, PopulationMoments, matrix_contractions};
//! use relu_net::{Family, Planted, Seed};
//!
//! let teacher = Family::Biased { dim: 4, hidden: 2, bias_range: 1.0 }.plant(Seed(1))?;
//! let data = Planted::new(teacher.clone(), 20_000, 0.0, Seed(2))?;
//! let g = Col::from_fn(4, |i| if i == 0 { 1.0 } else { 0.0 });
//! let est = matrix_contractions(&data, 3, &[g.clone()], &Estimator::default(), Par::Seq)?;
//! let exact = PopulationMoments::of_depth2(&teacher)?.tensor(3)?;
//! let truth = tensor_decomp::fit::contract_matrix(&exact, g.as_ref(), Par::Seq);
//! // Every entry within 6 standard errors of the population value.
//! for i in 0..4 {
//!     for j in 0..4 {
//!         assert!((est[0].mean[(i, j)] - truth[(i, j)]).abs() < 6.0 * est[0].std_error[(i, j)]);
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Invariants
//! No files, clocks or printing; results are bit-identical for every thread
//! count (fixed chunks, canonical pairwise reduction).
//!
//! # References
//! * C. Stein. *A bound for the error in the normal approximation.* 1972.
//! * P. Awasthi, A. Tang, A. Vijayaraghavan. *Efficient algorithms for
//!   learning depth-2 neural networks with general ReLU activations.*
//!   NeurIPS 2021.
//! * S. Chen, Z. Dou, S. Goel, A. Klivans, R. Meka. *Learning narrow
//!   one-hidden-layer ReLU networks.* COLT 2023, arXiv 2304.10524 (random
//!   contractions of moment tensors).

mod error;
mod estimator;
mod filtered;
pub mod hermite;
mod moments;
mod population;
mod projected;
pub mod quadrature;
pub mod statistics;

pub use error::MomentError;
pub use estimator::{Accumulator, Estimate, Estimator, MomentParams, Partial, Statistic, worker};
pub use filtered::{Cell, FilteredMoment, LabelSet, filtered_second_moment};
pub use moments::{
    DenseEstimate, EmpiricalTensor, LowOrderMoments, MAX_POLARIZED, MatrixEstimate, ScalarEstimate,
    VectorEstimate, dense_moment, dense_moments, first_moment, label_mean, low_order_moments,
    matrix_contractions, matrix_estimates, second_moment, vector_contractions,
};
pub use population::{PolynomialError, PopulationMoments};
pub use projected::{PROJECT_VIEW, Projected};
