//! ReLU networks and everything around them that the learners need: the
//! [`Network`] type with a batched forward pass, seeds and sample sources,
//! planted teacher families and random initialisations, matching of hidden
//! units and error metrics, and the exact output distribution of random
//! networks.
//!
//! # The model
//!
//! A network of depth L computes
//! `f(x) = W_L relu(W_{L-1} ⋯ relu(W_1 x + b_1) ⋯ + b_{L-1}) + b_L` with one
//! output; depth 2 is `aᵀ relu(W x + b) + c`. Inputs are the rows of an
//! n × d matrix, and the learners see samples `(x, y)` with `x ~ N(0, I_d)`
//! and `y = f(x) + noise` through a [`SampleSource`].
//!
//! # Entry points
//!
//! * [`Network`]: validated construction, [`Network::predict`],
//!   [`Network::as_depth2`], JSON via [`Network::to_json`] /
//!   [`Network::from_json`] (format `relu-net/v1`).
//! * [`Seed`], [`GaussianRows`]: all randomness, reproducible whatever the
//!   thread count.
//! * [`SampleSource`], [`InMemory`], [`Planted`], [`fold_chunks`]: data in
//!   memory or streamed from a teacher, and the deterministic chunked fold.
//! * [`pass`]: every pass over the data as a [`Pass`], run here or by an
//!   [`Executor`] where the rows live, merged bit for bit.
//! * [`Family`], [`Init`]: planted teachers and initialisations (He,
//!   Gaussian, Burkholz–Dubatovka parameter sharing).
//! * [`matching`], [`metrics`]: canonical forms, unit matching, test errors.
//! * [`signal`]: the exact law of the squared signal norm of random nets.
//!
//! # Example
//! ```
//! use faer::Par;
//! use relu_net::{Family, Planted, Seed, SampleSource, matching, metrics};
//!
//! let teacher = Family::Biased { dim: 10, hidden: 4, bias_range: 1.0 }.plant(Seed(1))?;
//! let data = Planted::new(teacher.clone(), 1000, 0.0, Seed(2))?;
//! assert_eq!((data.len(), data.dim()), (1000, 10));
//! let err = metrics::compare_on_samples(&teacher, &data, Par::Seq)?;
//! assert_eq!(err.mse, 0.0);
//! assert_eq!(matching::match_depth2(&teacher, &teacher)?.parameter_error(), 0.0);
//! # Ok::<(), relu_net::NetError>(())
//! ```
//!
//! # Invariants
//! No printing, no files, no clocks, no OS randomness: every random
//! function takes a [`Seed`], and parallel work is split into fixed blocks
//! so results are bit-identical on any number of threads.
//!
//! # References
//! * R. Burkholz, A. Dubatovka. *Initialization of ReLUs for dynamical
//!   isometry.* NeurIPS 2019.
//! * Y. Cho, L. Saul. *Kernel methods for deep learning.* NeurIPS 2009
//!   (arc-cosine kernel).
//! * K. He et al. *Delving deep into rectifiers.* ICCV 2015.

pub mod alloc;
mod error;
pub mod families;
mod fold;
mod format;
pub mod init;
pub mod inputs;
pub mod matching;
pub mod metrics;
mod network;
pub mod pass;
mod seed;
pub mod signal;
mod source;
pub mod stats;
pub mod view;

pub use error::NetError;
pub use families::{FAMILY_NAMES, Family, FamilyOptions, Signs, Variation};
pub use fold::{ChunkTree, TreeNode, fold_chunk_range, fold_chunks};
pub use format::FORMAT_TAG;
pub use init::{Init, Template};
pub use inputs::InputLaw;
pub use network::{Depth2, FORWARD_BLOCK_ROWS, Layer, Network, Predictor};
pub use pass::{Executor, Job, Pass, Sharded};
pub use seed::{GaussianRows, ROWS_PER_STREAM, Seed, gaussian_matrix};
pub use source::{Counted, InMemory, KnownLabels, Planted, Rows, SampleSource};
