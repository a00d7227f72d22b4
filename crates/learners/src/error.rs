//! The error type of the `learners` crate.

use gaussian_moments::MomentError;
use relu_net::NetError;
use tensor_decomp::DecompError;
use thiserror::Error;

/// Everything that can go wrong when fitting.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LearnError {
    /// Too few samples for the method.
    #[error(
        "{learner} needs at least {needed} samples here but got {got}; supply more data or ask for fewer hidden units"
    )]
    TooFewSamples {
        /// The learner's name.
        learner: &'static str,
        /// Samples needed.
        needed: usize,
        /// Samples supplied.
        got: usize,
    },
    /// More hidden units than the method can recover in this dimension.
    #[error(
        "{learner} recovers at most {max} hidden units in dimension {dim}, but {hidden} were requested; ask for at most {max}"
    )]
    HiddenTooLarge {
        /// The learner's name.
        learner: &'static str,
        /// Units requested.
        hidden: usize,
        /// Input dimension.
        dim: usize,
        /// The largest number the method supports.
        max: usize,
    },
    /// The labels are constant, so every moment vanishes.
    #[error("the labels are constant ({value}): there is nothing to learn; check the label file")]
    ConstantLabels {
        /// The constant.
        value: f64,
    },
    /// The instance is not identifiable from the data with this method.
    #[error("{learner} could not identify the network: {reason}")]
    Unidentifiable {
        /// The learner's name.
        learner: &'static str,
        /// What failed, in words.
        reason: String,
    },
    /// An exact (exponential-time) computation would exceed its stated
    /// limits.
    #[error("{learner}: the problem is too large: {reason}")]
    TooLarge {
        /// The learner's name.
        learner: &'static str,
        /// The size, the limit and what to change, in words.
        reason: String,
    },
    /// A parameter is outside its range.
    #[error("{learner}: parameter `{name}` = {value} is invalid: it must be {expected}")]
    InvalidParam {
        /// The learner's name.
        learner: &'static str,
        /// Parameter name (`outer.inner` for nested parameters).
        name: String,
        /// Offending value, as given.
        value: String,
        /// Allowed range, in words.
        expected: &'static str,
    },
    /// No learner has this id.
    #[error("unknown learner {name:?}: choose one of {choices}")]
    UnknownLearner {
        /// The id given.
        name: String,
        /// The ids there are, comma-separated.
        choices: String,
    },
    /// Parameters given as JSON do not describe the learner's parameters.
    #[error("invalid {learner} parameters: {reason} (see docs/learners/{learner}.md)")]
    InvalidParams {
        /// The learner's id.
        learner: String,
        /// The parser's message (names the field).
        reason: String,
    },
    /// A model file or model parameters are invalid.
    #[error("invalid model: {reason}")]
    InvalidModel {
        /// What is wrong, in words.
        reason: String,
    },
    /// An error of the network crate (shapes, non-finite data).
    #[error(transparent)]
    Net(#[from] NetError),
    /// An error of the moment estimators.
    #[error(transparent)]
    Moment(#[from] MomentError),
    /// An error of a decomposition backend.
    #[error(transparent)]
    Decomp(#[from] DecompError),
}

impl LearnError {
    /// [`LearnError::InvalidParam`]: parameter `name` of `learner` has
    /// `value` (printed as given: a number, a name, a list), which is not
    /// `expected`.
    pub(crate) fn invalid(
        learner: &'static str,
        name: impl Into<String>,
        value: impl std::fmt::Display,
        expected: &'static str,
    ) -> Self {
        Self::InvalidParam {
            learner,
            name: name.into(),
            value: value.to_string(),
            expected,
        }
    }
}
