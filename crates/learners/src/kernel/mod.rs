//! `kernel`: improper learning under eigenvalue decay (Goel & Klivans,
//! NeurIPS 2017, arXiv 1708.03708; see `docs/learners/kernel.md`).
//!
//! A ReLU network is approximated by an element of the RKHS of the
//! multinomial kernel (or the arc-cosine kernel); when the Gram matrix's
//! eigenvalues decay, a few Nyström landmarks chosen by ridge leverage span
//! the relevant part of that RKHS, and kernel ridge regression on them
//! generalises through a compression argument (landmarks + coefficients)
//! rather than through the RKHS norm.
//!
//! ## The algorithm
//! 1. Scale the inputs to typical norm 1 (σ = 1 / √(mean ‖x_i‖²) on the
//!    training rows; `input_scale = "ball"` gives the paper's unit ball,
//!    σ = 1 / max ‖x_i‖) and form the Gram matrix of the first m training
//!    rows.
//! 2. Spectrum of `K/m`: eigenvalues μ_i, reported with the fitted decay
//!    (slope of log μ_i against log i — polynomial — and against i —
//!    exponential) and the effective dimension `d_eff(λ) = Σ μ_i / (μ_i + λ)`.
//! 3. Ridge leverage scores `l_i = (K (K + λ m I)^{−1})_{ii}` from the
//!    eigendecomposition; `s = ⌈2 d_eff log m⌉` landmarks (or as given) are
//!    sampled without replacement with probability ∝ l_i.
//! 4. Nyström features `φ(x) = K(x, S) K_SS^{−1/2}` on all training rows;
//!    ridge regression `min Σ (y − ⟨β, φ(x)⟩ − c)² + λ n ‖β‖²`.
//! 5. Output `h(x) = Σ_{j∈S} γ_j k(σ x, σ x_j) + c` with `γ = K_SS^{−1/2} β`: a
//!    [`crate::KernelModel`] (format `kernel-model/v1`).
//!
//! Departures: inputs are scaled to typical norm 1 rather than into the
//! unit ball (see [`InputScale`]: the ball scaling pushes the kernel's
//! higher degrees under the ridge, so degree 6 learned no better than
//! degree 4); the paper's recursive Nyström sampling (Musco & Musco) is
//! replaced by exact leverage scores from one O(m³) eigendecomposition,
//! feasible at m of a few thousand; the kernel, λ and the number of
//! landmarks are parameters (the paper's constants were not available).
//!
//! # Errors
//! Too few samples, constant labels.
//!
//! # Complexity
//! O(m² d + m³) for the Gram matrix and its eigendecomposition, O(n s (d +
//! s)) for the regression on n training rows.
//!
//! # References
//! S. Goel, A. Klivans. *Eigenvalue decay implies polynomial-time
//! learnability for neural networks.* NeurIPS 2017 (arXiv 1708.03708).
//! C. Musco, C. Musco. *Recursive sampling for the Nyström method.* NeurIPS
//! 2017.

mod algorithm;
mod params;

pub use algorithm::{AUTO_MAX_DEGREE, Kernel, auto_kernel};
pub use params::{InputScale, KernelParams};
