//! Hard instances for learning ReLU networks: families on which gradient
//! (correlational statistical query) methods provably fail, NP-hardness
//! reductions with verifiers for tiny instances, and the Lipschitz example.
//!
//! Every family implements [`HardFamily`]: a name, a seeded
//! [`HardFamily::instance`], and [`HardFamily::verify`], which checks the
//! property the family claims with the workspace's own exact code (Hermite
//! norms of [`norms`], brute-force colourability, exact integer
//! arithmetic).
//!
//! | family | what | claim verified |
//! |---|---|---|
//! | [`Planar`] | DKKZ: 2k ReLUs with signs ±1 at angles πm/k in a random plane | Hermite components of degree < k vanish, degree k does not |
//! | [`Parity`] | GGJKK: Σ_w χ(w) relu(⟨w, Qx⟩/√k), w ∈ {±1}^k | same, and members for different Q are orthogonal |
//! | [`Lipschitz`] | slab bump: 3 biased ReLUs of slope Λ | the function lives on a slab of mass ≈ 2φ(c)/Λ |
//! | [`Colouring`] | hypergraph 2-colouring / graph k-colouring → training set for a sum of k ReLUs | zero loss is achievable iff the (hyper)graph is k-colourable |
//!
//! # Example
//! DKKZ's planar instance with k = 4 in d = 6: every Hermite component of
//! degree below 4 vanishes (so correlational methods see nothing there),
//! checked exactly by the family's verifier:
//! ```
//! use lower_bounds::{FamilyParams, family};
//! use relu_net::Seed;
//!
//! let planar = family("planar", &FamilyParams { dim: 6, k: 4, ..FamilyParams::default() })?;
//! let instance = planar.instance(Seed(7))?;
//! let check = planar.verify(&instance)?;
//! assert!(check.holds, "{}", check.details);
//! let norms = &check.degree_norms; // ‖f^[m]‖² for m = 0, 1, …
//! assert!(norms[1..4].iter().all(|v| *v < 1e-12) && norms[4] > 1e-3, "{norms:?}");
//! # Ok::<(), lower_bounds::HardError>(())
//! ```
//!
//! What is **not** implemented, and why: the papers' own reductions. For a
//! single ReLU (Goel–Klivans–Manurangsi–Reichman, from Set Cover /
//! Densest-κ-Subgraph) and for dimension 2 (Froese–Hertrich, from a variant
//! of 3-SAT with "levee" and "selection" gadgets), the source problems'
//! gadgets — point coordinates and labels — were not available in the
//! material we could read (only abstracts and third-party summaries), so no
//! faithful generator can be written. The colouring reductions here are
//! derived ones in the pattern of Blum–Rivest, not the papers' own, with
//! complete proofs in `docs/math/lower-bounds.md`.
//!
//! # References
//! * I. Diakonikolas, D. Kane, V. Kontonis, N. Zarifis. *Algorithms and SQ
//!   lower bounds for PAC learning one-hidden-layer ReLU networks.* COLT
//!   2020 (arXiv 2006.12476).
//! * S. Goel, A. Gollakota, Z. Jin, S. Karmalkar, A. Klivans.
//!   *Superpolynomial lower bounds for learning one-layer neural networks
//!   using gradient descent.* ICML 2020 (arXiv 2006.12011).
//! * S. Goel, A. Klivans, P. Manurangsi, D. Reichman. *Tight hardness
//!   results for training depth-2 ReLU networks.* ITCS 2021 (arXiv
//!   2011.13550).
//! * V. Froese, C. Hertrich. *Training neural networks is NP-hard in fixed
//!   dimension.* NeurIPS 2023 (arXiv 2303.17045).
//! * A. Blum, R. Rivest. *Training a 3-node neural network is NP-complete.*
//!   1992 (the pattern of the colouring reductions).

use std::collections::BTreeMap;

use faer::{Col, Mat};
use relu_net::{NetError, Network, Seed};
use thiserror::Error;

mod colouring;
mod families;
pub mod norms;

pub use colouring::{Colouring, Hypergraph, colourable, colouring_network};
pub use families::{Lipschitz, Parity, Planar, random_orthonormal};

/// Errors of the hard families.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HardError {
    /// [`family`] was given a name not in [`FAMILIES`].
    #[error("unknown family {name:?}: choose one of {known}")]
    UnknownFamily {
        /// The name given.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// A parameter is outside its range.
    #[error("{family}: parameter `{name}` = {value} is invalid: it must be {expected}")]
    InvalidParam {
        /// The family's name.
        family: &'static str,
        /// Parameter name.
        name: &'static str,
        /// Offending value.
        value: f64,
        /// Allowed range and why, in words.
        expected: &'static str,
    },
    /// An error from the network crate.
    #[error(transparent)]
    Net(#[from] NetError),
}

/// One instance of a hard family.
#[derive(Clone, Debug)]
pub struct HardInstance {
    /// The family's name.
    pub family: &'static str,
    /// The planted network (for a training set: a network with zero loss
    /// when one exists and is known, else `None`).
    pub network: Option<Network>,
    /// A training set, when the instance is one (reductions); otherwise
    /// samples come from the network under N(0, I).
    pub data: Option<(Mat<f64>, Col<f64>)>,
    /// The property the family claims, in words.
    pub claim: String,
    /// The instance's parameters (sizes, derived quantities).
    pub params: BTreeMap<String, f64>,
}

/// The outcome of [`HardFamily::verify`].
#[derive(Clone, Debug, PartialEq)]
pub struct Verification {
    /// Whether the claim holds.
    pub holds: bool,
    /// What was checked and the numbers, in words.
    pub details: String,
    /// `‖f^{[m]}‖²` for m = 0, 1, … (moment families; empty otherwise).
    pub degree_norms: Vec<f64>,
}

/// A named family of hard instances.
pub trait HardFamily {
    /// The family's id (kebab-case).
    fn name(&self) -> &'static str;

    /// The instance for `seed`.
    ///
    /// # Errors
    /// [`HardError`] for invalid parameters.
    fn instance(&self, seed: Seed) -> Result<HardInstance, HardError>;

    /// Checks the claimed property of `instance` with exact computations.
    ///
    /// # Errors
    /// [`HardError`] if the instance is not of this family's shape.
    fn verify(&self, instance: &HardInstance) -> Result<Verification, HardError>;
}

/// The names accepted by [`family`].
pub const FAMILIES: &[&str] = &[
    "planar",
    "parity",
    "lipschitz",
    "hypergraph-2-colouring",
    "graph-colouring",
];

/// Parameters of [`family`] (unused ones are ignored).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FamilyParams {
    /// Input dimension d (moment families).
    pub dim: usize,
    /// Degree parameter k (planar, parity); colours (graph-colouring).
    pub k: usize,
    /// Lipschitz constant Λ (lipschitz).
    pub lambda: f64,
    /// Slab offset c (lipschitz).
    pub offset: f64,
    /// Vertices (colouring reductions).
    pub vertices: usize,
    /// Edges (colouring reductions).
    pub edges: usize,
}

impl Default for FamilyParams {
    fn default() -> Self {
        Self {
            dim: 20,
            k: 4,
            lambda: 10.0,
            offset: 0.5,
            vertices: 6,
            edges: 8,
        }
    }
}

/// A family by name.
///
/// # Errors
/// [`HardError::UnknownFamily`] for an unknown name, [`HardError::InvalidParam`] for
/// invalid parameters.
pub fn family(name: &str, p: &FamilyParams) -> Result<Box<dyn HardFamily>, HardError> {
    Ok(match name {
        "planar" => Box::new(Planar::new(p.dim, p.k)?),
        "parity" => Box::new(Parity::new(p.dim, p.k)?),
        "lipschitz" => Box::new(Lipschitz::new(p.dim, p.lambda, p.offset)?),
        "hypergraph-2-colouring" => Box::new(Colouring::new(p.vertices, p.edges, 3, 2)?),
        "graph-colouring" => Box::new(Colouring::new(p.vertices, p.edges, 2, p.k)?),
        _ => {
            return Err(HardError::UnknownFamily {
                name: name.to_owned(),
                known: FAMILIES.join(", "),
            });
        }
    })
}
