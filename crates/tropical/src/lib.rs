//! ReLU networks as tropical rational maps, linear regions and lattice
//! polynomials.
//!
//! # The maths
//!
//! In the max-plus semiring `(ℝ ∪ {−∞}, max, +)` a tropical polynomial is
//! `p(x) = max_m (c_m + ⟨e_m, x⟩)` ([`TropicalPolynomial`]). Every ReLU
//! network is a difference of two such polynomials, `F = G − H` (a tropical
//! rational map, [`TropicalRational`]; Zhang, Naitzat & Lim 2018), obtained
//! layer by layer by splitting weights into positive and negative parts
//! ([`to_tropical`]); conversely a balanced tree of pairwise maxima turns
//! any `G ⊘ H` back into a network ([`to_network`]). Its activation regions
//! are the convex cells on which the on/off pattern is constant: enumerated
//! exactly with LPs in low dimension ([`enumerate_regions`]), counted
//! exactly on segments ([`regions_on_line`]) and 2-D slices ([`slice()`]),
//! and compared with the bounds of Zaslavsky / Serra et al.
//! ([`one_layer_bound`], [`serra_bound`], [`product_bound`]). Every
//! continuous piecewise-linear function is a lattice polynomial
//! `max_i min_{j ∈ S_i} ℓ_j(x)` of its affine pieces ([`Lattice`];
//! Ovchinnikov 2002). [`svg::render`] draws slices.
//!
//! Lattice polynomials and tropical geometry are the structural tools that
//! Chen, Klivans & Meka (FOCS 2021, arXiv 2009.13512) use to analyse
//! filtered PCA (superlevel sets of a network are unions of few polyhedra;
//! see `docs/math/tropical.md`), and this crate is a workbench in its own
//! right. It depends on `relu-net` only (and on
//! Clarabel for LPs).
//!
//! # Example
//! A network with three hidden units in the plane: its tropical form
//! `G ⊘ H` computes the same function, and its activation regions (at most
//! 1 + 3 + 3 = 7 for three lines in general position) are enumerated
//! exactly:
//! ```
//! use faer::{Col, Mat};
//! use relu_net::Network;
//! use tropical::{ConvertOptions, EnumerateOptions, enumerate_regions, one_layer_bound, to_tropical};
//!
//! let w = Mat::from_fn(3, 2, |i, j| [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]][i][j]);
//! let b = Col::from_fn(3, |i| [0.5, -0.25, 0.0][i]);
//! let a = Col::from_fn(3, |i| [1.0, -2.0, 0.5][i]);
//! let net = Network::depth2(w.as_ref(), b.as_ref(), a.as_ref(), 0.1)?;
//! let f = to_tropical(&net, &ConvertOptions::default())?;
//! let x = [0.3, -0.7];
//! let direct = net.predict(Mat::from_fn(1, 2, |_, j| x[j]).as_ref(), faer::Par::Seq)?[0];
//! assert!((f.eval(&x) - direct).abs() < 1e-12);
//! let regions = enumerate_regions(&net, &EnumerateOptions::cube(2, 10.0))?;
//! assert_eq!(regions.len() as u128, one_layer_bound(2, 3));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # References
//! * L. Zhang, G. Naitzat, L.-H. Lim. *Tropical geometry of deep neural
//!   networks.* ICML 2018.
//! * S. Ovchinnikov. *Max-min representation of piecewise linear
//!   functions.* Contributions to Algebra and Geometry, 2002; J. M. Tarela,
//!   M. V. Martínez, *Region configurations for realizability of lattice
//!   piecewise-linear models*, 1999.
//! * T. Serra, C. Tjandraatmadja, S. Ramalingam. *Bounding and counting
//!   linear regions of deep neural networks.* ICML 2018.
//! * G. Montúfar, R. Pascanu, K. Cho, Y. Bengio. *On the number of linear
//!   regions of deep neural networks.* NeurIPS 2014.
//! * T. Zaslavsky. *Facing up to arrangements.* Memoirs AMS, 1975.

mod convert;
mod error;
mod lattice;
mod lp;
mod poly;
mod regions;
mod slice;
pub mod svg;

pub use convert::{ConvertOptions, to_network, to_tropical};
pub use error::TropicalError;
pub use lattice::Lattice;
pub use poly::{MaxPlus, Monomial, TropicalPolynomial, TropicalRational};
pub use regions::{
    Affine, EnumerateOptions, LinePieces, Region, enumerate_regions, one_layer_bound, product_bound,
    regions_on_line, serra_bound,
};
pub use slice::{Cell, Plane, Slice, SliceOptions, slice};
