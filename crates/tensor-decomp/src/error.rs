//! The error type of the `tensor-decomp` crate.

use thiserror::Error;

/// Everything that can go wrong when building or decomposing tensors.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DecompError {
    /// The requested rank exceeds what the backend can recover in this
    /// dimension.
    #[error(
        "rank {rank} is too large for dimension {dim}: this backend needs rank <= {max}; ask for at most {max} components"
    )]
    RankTooLarge {
        /// Requested rank.
        rank: usize,
        /// Tensor dimension.
        dim: usize,
        /// The largest rank the backend supports here.
        max: usize,
    },
    /// Rank 0 was requested.
    #[error("rank 0 requested: ask for at least one component")]
    ZeroRank,
    /// The tensor's order is not supported by the backend.
    #[error(
        "order {order} is not supported by this backend (supported: {supported}); pass a tensor of a supported order"
    )]
    UnsupportedOrder {
        /// The order found.
        order: usize,
        /// What the backend supports, in words.
        supported: &'static str,
    },
    /// Shapes of arguments disagree.
    #[error("{what}: expected {expected} but got {got}")]
    Shape {
        /// What has the wrong size.
        what: &'static str,
        /// Expected size.
        expected: usize,
        /// Actual size.
        got: usize,
    },
    /// A value is NaN or infinite.
    #[error("{what} contains a non-finite value; check the input tensor")]
    NonFinite {
        /// What contains it.
        what: &'static str,
    },
    /// A factor is (numerically) zero and cannot be normalised.
    #[error("factor {index} has zero norm: CP factors must be non-zero vectors")]
    ZeroFactor {
        /// Index of the factor.
        index: usize,
    },
    /// A dense tensor would be too large.
    #[error(
        "a dense order-{order} tensor in dimension {dim} is too large; use contractions (an implicit SymTensor) instead"
    )]
    TooLarge {
        /// The order.
        order: usize,
        /// The dimension.
        dim: usize,
    },
    /// Entries of a supposedly symmetric tensor differ under index
    /// permutation.
    #[error("the tensor is not symmetric: entries differ under a permutation of indices")]
    NotSymmetric,
    /// The reference matrix has eigenvalues of both signs where the backend
    /// needs a semidefinite one.
    #[error(
        "the reference matrix is indefinite on its top-{rank} eigenspace; tensor-power whitening needs a semidefinite reference (use jennrich for indefinite ones)"
    )]
    IndefiniteReference {
        /// The rank requested.
        rank: usize,
    },
    /// A linear-algebra routine failed.
    #[error("a linear-algebra routine failed ({what}); check the tensor for extreme values")]
    LinearAlgebra {
        /// Which routine.
        what: &'static str,
    },
    /// A parameter is outside its range.
    #[error("parameter `{name}` = {value} is invalid: it must be {expected}")]
    InvalidParam {
        /// The parameter's name.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
    /// The components are not identifiable from what was given.
    #[error(
        "the reference has numerical rank {found} < {rank}: the {rank} components are not identifiable from it; lower the rank or pass another reference"
    )]
    RankDeficient {
        /// The rank requested.
        rank: usize,
        /// The numerical rank found.
        found: usize,
    },
}
