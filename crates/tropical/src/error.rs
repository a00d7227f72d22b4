//! The error type of the `tropical` crate.

use relu_net::NetError;
use thiserror::Error;

/// Everything that can go wrong in the tropical tools.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TropicalError {
    /// A number is NaN or infinite where a finite one is needed.
    #[error("{what} contains a non-finite value; check the input")]
    NonFinite {
        /// What contains it.
        what: &'static str,
    },
    /// Dimensions do not agree.
    #[error("dimension mismatch in {what}: expected {expected}, got {got}")]
    Dimension {
        /// Where.
        what: &'static str,
        /// Expected dimension.
        expected: usize,
        /// Dimension supplied.
        got: usize,
    },
    /// An exact computation would exceed its stated limit.
    #[error("{what} would need {size} {unit}, above the limit {limit}; {advice}")]
    TooLarge {
        /// What is being computed.
        what: &'static str,
        /// The size needed (or a lower bound on it).
        size: u128,
        /// Unit of the size.
        unit: &'static str,
        /// The limit.
        limit: u128,
        /// What to change.
        advice: &'static str,
    },
    /// The input is degenerate in a way the method cannot handle.
    #[error("{reason}")]
    Invalid {
        /// What is wrong and what to do, in words.
        reason: String,
    },
    /// The linear-programming solver failed.
    #[error("the LP solver failed ({status}) in {what}; the input may be badly scaled")]
    Lp {
        /// Where.
        what: &'static str,
        /// The solver's status.
        status: String,
    },
    /// An error of the network crate.
    #[error(transparent)]
    Net(#[from] NetError),
}
