//! Hard instances for learning ReLU networks: families on which gradient
//! (correlational statistical query) methods provably fail, NP-hardness
//! reductions with verifiers for tiny instances, and the Lipschitz example.
//!
//! Every family implements [`HardFamily`]: a name, its parameters, a seeded
//! [`HardFamily::instance`] and the property it claims, which the family
//! verifies with the workspace's own exact moment code. The families arrive
//! with the lower-bounds issue.
//!
//! # References
//! * I. Diakonikolas, D. Kane, V. Kontonis, N. Zarifis. *Algorithms and SQ
//!   lower bounds for PAC learning one-hidden-layer ReLU networks.* COLT
//!   2020.
//! * S. Goel, A. Gollakota, Z. Jin, S. Karmalkar, A. Klivans.
//!   *Superpolynomial lower bounds for learning one-layer neural networks
//!   using gradient descent.* ICML 2020.
//! * S. Goel, A. Klivans, P. Manurangsi, D. Reichman. *Tight hardness
//!   results for training depth-2 ReLU networks.* ITCS 2021.
//! * V. Froese, C. Hertrich. *Training neural networks is NP-hard in fixed
//!   dimension.* NeurIPS 2023.

use faer::{Col, Mat};
use relu_net::{NetError, Network, Seed};
use thiserror::Error;

/// Errors of the hard families.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HardError {
    /// A parameter is outside its range.
    #[error("{family}: parameter `{name}` = {value} is invalid: it must be {expected}")]
    InvalidParam {
        /// The family's name.
        family: &'static str,
        /// Parameter name.
        name: &'static str,
        /// Offending value.
        value: f64,
        /// Allowed range, in words.
        expected: &'static str,
    },
    /// An error from the network crate.
    #[error(transparent)]
    Net(#[from] NetError),
}

/// One instance of a hard family.
#[derive(Clone, Debug)]
pub struct HardInstance {
    /// The planted network.
    pub network: Network,
    /// A training set, when the instance is one (reductions); otherwise
    /// samples come from the network under N(0, I).
    pub data: Option<(Mat<f64>, Col<f64>)>,
    /// The property the family claims, in words (e.g. "Hermite components
    /// of degree < 4 vanish").
    pub claim: String,
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
}
