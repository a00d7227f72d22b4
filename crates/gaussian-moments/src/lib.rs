//! Hermite polynomials and empirical Hermite moment tensors of Gaussian
//! samples, streamed chunk by chunk and exposed as implicit
//! [`tensor_decomp::SymTensor`]s.
//!
//! # The maths
//!
//! For x ~ N(0, I_d) the normalised Hermite tensor of order l is
//! `S_l(x) = H_l(x) / √(l!)`, where `H_l(x)_{i_1…i_l} = Π_j He_{α_j}(x_j)`
//! and `α_j` counts the occurrences of j among the indices. By Stein's
//! identity, for a ReLU unit with unit weight w and bias b,
//! `E[relu(⟨w,x⟩ + b) S_l(x)] = ĉ_l(b) w^{⊗l}` with
//! `ĉ_l(b) = (−1)^l He_{l−2}(b) φ(b) / √(l!)` for l ≥ 2
//! (`../shared/algorithms.md` §0.3). The contraction of `H_l(x)` with
//! `g^{⊗(l−2)}` is a d × d matrix computable in O(d²) per sample without
//! forming the tensor (§0.4), so moment tensors are known through
//! contractions only.
//!
//! This crate is filled by the moment-engine issue: Hermite recurrences,
//! closed-form ReLU coefficients, streaming estimators with standard
//! errors, and exact population moments of planted networks. It depends on
//! `relu-net` (samples) and `tensor-decomp` (the `SymTensor` interface).
//!
//! # References
//! * C. Stein. *A bound for the error in the normal approximation.* 1972.
//! * P. Awasthi, A. Tang, A. Vijayaraghavan. *Efficient algorithms for
//!   learning depth-2 neural networks with general ReLU activations.*
//!   NeurIPS 2021.
