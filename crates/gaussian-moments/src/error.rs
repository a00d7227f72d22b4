//! The error type of the `gaussian-moments` crate.

use relu_net::NetError;
use thiserror::Error;

/// Everything that can go wrong when estimating moments.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MomentError {
    /// The samples contain NaN or infinite values.
    #[error("the samples contain {count} non-finite value(s) (NaN or infinity) in x or y: clean the input")]
    NonFinite {
        /// How many.
        count: u64,
    },
    /// Too few samples for an estimate.
    #[error("{what} needs at least {needed} samples but got {got}; supply more samples")]
    TooFewSamples {
        /// The estimate.
        what: &'static str,
        /// Samples needed.
        needed: usize,
        /// Samples available.
        got: usize,
    },
    /// A moment order outside the supported range.
    #[error("order {order} is not supported here: {expected}")]
    Order {
        /// The order requested.
        order: usize,
        /// The supported range, in words.
        expected: &'static str,
    },
    /// Dimensions of arguments disagree.
    #[error("{what}: expected dimension {expected} but got {got}")]
    Dim {
        /// What has the wrong dimension.
        what: &'static str,
        /// Expected dimension.
        expected: usize,
        /// Actual dimension.
        got: usize,
    },
    /// A contraction vector is zero or not finite.
    #[error("contraction vector {index} is zero or not finite: pass non-zero finite vectors")]
    BadVector {
        /// Index of the vector.
        index: usize,
    },
    /// A numeric parameter is out of range.
    #[error("parameter `{name}` = {value} is invalid: it must be {expected}")]
    InvalidParam {
        /// The parameter's name.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
    /// Accumulators of different statistics or settings cannot be merged.
    #[error("cannot merge accumulators: {reason}; shards must use the same statistic, chunk and batch sizes")]
    Incompatible {
        /// What differs.
        reason: &'static str,
    },
    /// A dense tensor would be too large.
    #[error(
        "a dense order-{order} tensor in dimension {dim} has {entries} entries (limit {limit}); use contractions instead"
    )]
    TooLarge {
        /// The order.
        order: usize,
        /// The dimension.
        dim: usize,
        /// Number of entries requested.
        entries: u128,
        /// The limit.
        limit: u128,
    },
    /// A numerical routine failed.
    #[error("a linear-algebra routine failed ({what}); check the input for extreme values")]
    LinearAlgebra {
        /// Which routine.
        what: &'static str,
    },
    /// An error from the network crate (sources, shards).
    #[error(transparent)]
    Net(#[from] NetError),
}
