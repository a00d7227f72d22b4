//! The error type of the `relu-net` crate.

use thiserror::Error;

/// Everything that can go wrong in `relu-net` because of data, files or
/// parameters supplied by a user.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NetError {
    /// A network needs at least one layer.
    #[error("a network needs at least one layer: add an output layer with one unit")]
    NoLayers,
    /// A dimension that must be positive is zero.
    #[error("{what} is 0: every dimension and width must be at least 1")]
    ZeroDim {
        /// Which dimension.
        what: &'static str,
    },
    /// A layer's weight and bias disagree, or consecutive layers do not chain.
    #[error("layer {layer}: {what} has {got} but {expected} were expected; check the shapes of the weights")]
    LayerShape {
        /// Index of the layer (0 = first).
        layer: usize,
        /// What has the wrong size.
        what: &'static str,
        /// The size that was required.
        expected: usize,
        /// The size that was found.
        got: usize,
    },
    /// The last layer must have exactly one output unit.
    #[error(
        "the last layer has {got} outputs but relu-net networks have exactly one output; use one network per output"
    )]
    OutputNotScalar {
        /// Number of output units found.
        got: usize,
    },
    /// A parameter or data value is NaN or infinite.
    #[error("{what} contains a non-finite value (NaN or infinity) at {location}; clean the input")]
    NonFinite {
        /// What contains it.
        what: &'static str,
        /// Where, e.g. `layer 1, row 3, column 0` or `row 17`.
        location: String,
    },
    /// The input has the wrong number of columns for this network.
    #[error("the input has {got} columns but the network expects {expected}")]
    InputDim {
        /// The network's input dimension.
        expected: usize,
        /// The number of columns supplied.
        got: usize,
    },
    /// The number of rows of `x` and the length of `y` differ.
    #[error("x has {x_rows} rows but y has {y_len} entries; they must describe the same samples")]
    SampleCount {
        /// Rows of x.
        x_rows: usize,
        /// Entries of y.
        y_len: usize,
    },
    /// An operation that needs samples got none (or too few).
    #[error("{what} needs at least {needed} samples but got {got}; supply more samples")]
    TooFewSamples {
        /// The operation.
        what: &'static str,
        /// How many are needed.
        needed: usize,
        /// How many were supplied.
        got: usize,
    },
    /// An operation defined for depth-2 networks got another depth.
    #[error("{what} needs depth-2 networks (one hidden layer) but got depth {depth}")]
    NotDepth2 {
        /// The operation.
        what: &'static str,
        /// The depth found.
        depth: usize,
    },
    /// A closed form that assumes zero biases got a biased network.
    #[error(
        "{what} is exact only for bias-free networks (hidden bias {bias} found); use the Monte Carlo estimate instead"
    )]
    NotBiasFree {
        /// The operation.
        what: &'static str,
        /// The first non-zero hidden bias.
        bias: f64,
    },
    /// A numeric parameter is out of its allowed range.
    #[error("parameter `{name}` = {value} is invalid: it must be {expected}")]
    InvalidParam {
        /// The parameter's name.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
    /// The model file is not valid JSON or not of the expected shape.
    #[error(
        "the model is not valid relu-net/v1 JSON: {0}; check that the file is a relu-net/v1 model (the format is in docs/formats.md)"
    )]
    Json(#[from] serde_json::Error),
    /// The model file declares another format.
    #[error(
        "unknown model format {found:?}: expected \"relu-net/v1\"; check that the file is a relu-net/v1 model (docs/formats.md)"
    )]
    UnknownFormat {
        /// The format tag found in the file.
        found: String,
    },
    /// Two shard reductions do not cover contiguous chunk ranges.
    #[error(
        "the shards are not contiguous: the first ends at chunk {end} but the second starts at chunk {start}; merge shards in order"
    )]
    ShardsNotContiguous {
        /// End (exclusive) of the first shard's chunks.
        end: u64,
        /// Start of the second shard's chunks.
        start: u64,
    },
    /// A pass could not run where the rows live (see [`crate::pass`]).
    #[error("pass {pass}: {reason}")]
    Pass {
        /// The pass's name.
        pass: String,
        /// What went wrong.
        reason: String,
    },
    /// A final value needs the chunks from 0 on.
    #[error("the reduction starts at chunk {start}, not 0: merge the shards that come before it first")]
    ShardNotFromZero {
        /// First chunk covered.
        start: u64,
    },
    /// A numerical routine of faer failed (it does not converge on
    /// non-finite input, for instance).
    #[error("a linear-algebra routine failed ({what}); check the input for extreme values")]
    LinearAlgebra {
        /// Which routine.
        what: &'static str,
    },
}
