//! ReLU networks as tropical rational maps, linear regions and lattice
//! polynomials.
//!
//! # The maths
//!
//! In the max-plus semiring `(ℝ ∪ {−∞}, max, +)` a tropical polynomial is
//! `p(x) = max_m (c_m + ⟨e_m, x⟩)`. Every ReLU network is a difference of
//! two such polynomials, `F = G − H` (a tropical rational map; Zhang, Naitzat
//! & Lim 2018), obtained layer by layer by splitting weights into positive
//! and negative parts. Its linear regions are the cells on which the
//! activation pattern is constant, and every continuous piecewise-linear
//! function is a lattice polynomial `max_i min_{j ∈ S_i} ℓ_j(x)` of its
//! affine pieces (Ovchinnikov 2002).
//!
//! This crate is filled by the tropical issue. It depends on `relu-net`
//! only.
//!
//! # References
//! * L. Zhang, G. Naitzat, L.-H. Lim. *Tropical geometry of deep neural
//!   networks.* ICML 2018.
//! * S. Ovchinnikov. *Max-min representation of piecewise linear
//!   functions.* 2002.
