//! The error type of the `tensor-decomp` crate.

use thiserror::Error;

/// Everything that can go wrong when building or decomposing tensors.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DecompError {
    /// The requested rank exceeds what the backend can recover in this
    /// dimension.
    #[error("rank {rank} is too large for dimension {dim}: this backend needs rank <= {max}")]
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
    #[error("order {order} is not supported by this backend (supported: {supported})")]
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
}
