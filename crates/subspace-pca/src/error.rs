//! The error type of the `subspace-pca` crate.

use thiserror::Error;

/// Errors of subspace construction and finding.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SubspaceError {
    /// The basis is not orthonormal.
    #[error("the basis is not orthonormal (‖BᵀB − I‖ = {deviation:e}); orthonormalise it first")]
    NotOrthonormal {
        /// Largest entry of `BᵀB − I` in absolute value.
        deviation: f64,
    },
    /// Shapes disagree.
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
    #[error("{what} contains a non-finite value (NaN or infinity): clean the input")]
    NonFinite {
        /// What contains it.
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
    /// Too few samples.
    #[error("{what} needs at least {needed} samples but got {got}; supply more samples")]
    TooFewSamples {
        /// The operation.
        what: &'static str,
        /// Samples needed.
        needed: usize,
        /// Samples available.
        got: usize,
    },
    /// A linear-algebra routine failed.
    #[error("a linear-algebra routine failed ({what})")]
    LinearAlgebra {
        /// Which routine.
        what: &'static str,
    },
    /// An error of the moment estimators.
    #[error(transparent)]
    Moment(#[from] gaussian_moments::MomentError),
}
