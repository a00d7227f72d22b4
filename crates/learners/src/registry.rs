//! The one registry of learners: their ids, their parameters and what the
//! number of hidden units means to each.
//!
//! A [`LearnerSpec`] is a learner's id together with its parameters, in the
//! JSON form `{"learner": "<id>", "params": {…}}` (missing parameters keep
//! their defaults). The CLI (`relu-learn fit --learner <id> [--params
//! P.json] [--hidden k]`), every suite and xtask build their learners here
//! and nowhere else. Adding a learner means its own folder (whose
//! `params.rs` implements [`LearnerParams`]), its `pub mod` line in `lib.rs`
//! and one line in the `registry!` list below.
//!
//! What `hidden = k` sets, per learner ([`LearnerSpec::with_hidden`]):
//!
//! | id | `hidden = k` sets | without it |
//! |---|---|---|
//! | `atv` | k hidden units | k from the spectrum of `T_2` |
//! | `narrow` | k hidden units | k from the joint subspace |
//! | `ckm` | every hidden layer's width to k | widths `[3, 3]` |
//! | `exact-erm` | k hidden units | 2 |
//! | `bounded-weight` | k hidden units | 2 |
//! | `gd` | one hidden layer of k units | the learner's default widths |
//! | `kernel`, `glmtron`, `alphatron` | rejected: no hidden units | – |

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::Learner;
use crate::error::LearnError;

/// What the registry needs of a learner's parameters, implemented next to
/// them in the learner's `params.rs`.
pub trait LearnerParams: Clone + Default + Serialize + DeserializeOwned {
    /// The learner's id (kebab-case; the CLI's `--learner`).
    const ID: &'static str;

    /// Sets the number of hidden units as the learner understands it (the
    /// table in the module docs). The default rejects it: the learner has
    /// no hidden units.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] when the learner has no hidden units.
    fn set_hidden(&mut self, k: usize) -> Result<(), LearnError> {
        Err(LearnError::invalid(
            Self::ID,
            "hidden",
            k,
            "absent: this learner fits a predictor without hidden units (leave out --hidden)",
        ))
    }

    /// Validates the parameters and returns the runnable learner.
    ///
    /// # Errors
    /// As the learner's `validate`.
    fn build(self) -> Result<Box<dyn Learner>, LearnError>;
}

/// The registry: one line per learner, `Variant => parameters type`; the
/// variant's kebab-case name is the learner's id (checked by a test against
/// [`LearnerParams::ID`]).
macro_rules! registry {
    ($($variant:ident => $params:ty),* $(,)?) => {
        /// A learner's id and its parameters (see the module docs).
        // A spec is built once per fit; boxing the larger parameter sets
        // would only complicate matching on it.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "learner", content = "params", rename_all = "kebab-case")]
        pub enum LearnerSpec {
            $(
                #[doc = concat!("The parameters [`", stringify!($params), "`].")]
                $variant($params),
            )*
        }

        /// The learner ids, in the order of [`LearnerSpec`]'s variants.
        pub const LEARNERS: &[&str] = &[$(<$params as LearnerParams>::ID),*];

        impl LearnerSpec {
            /// The learner's id.
            #[must_use]
            pub fn id(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => <$params as LearnerParams>::ID,)*
                }
            }

            fn set_hidden(&mut self, k: usize) -> Result<(), LearnError> {
                match self {
                    $(Self::$variant(p) => p.set_hidden(k),)*
                }
            }

            /// Validates the parameters and returns the runnable learner.
            ///
            /// # Errors
            /// As the learner's `validate`.
            pub fn build(self) -> Result<Box<dyn Learner>, LearnError> {
                match self {
                    $(Self::$variant(p) => p.build(),)*
                }
            }
        }
    };
}

registry! {
    Atv => crate::atv::AtvParams,
    Narrow => crate::narrow::NarrowParams,
    Ckm => crate::ckm::CkmParams,
    ExactErm => crate::exact_erm::ExactErmParams,
    BoundedWeight => crate::bounded_weight::BoundedWeightParams,
    Kernel => crate::kernel::KernelParams,
    Glmtron => crate::glmtron::GlmtronParams,
    Alphatron => crate::alphatron::AlphatronParams,
    Gd => crate::gd::GdParams,
}

impl LearnerSpec {
    /// The learner `id` with its default parameters.
    ///
    /// # Errors
    /// [`LearnError::UnknownLearner`] for an id not in [`LEARNERS`].
    pub fn defaults(id: &str) -> Result<Self, LearnError> {
        Self::from_params(id, serde_json::Value::Object(serde_json::Map::new())).map_err(|_| unknown(id))
    }

    /// The learner `id` with parameters from JSON (an object whose missing
    /// fields keep their defaults; unknown fields are rejected).
    ///
    /// # Errors
    /// [`LearnError::UnknownLearner`] for an id not in [`LEARNERS`];
    /// [`LearnError::InvalidParams`] when the JSON does not describe the
    /// learner's parameters (the message names the field).
    pub fn from_params(id: &str, params: serde_json::Value) -> Result<Self, LearnError> {
        if !LEARNERS.contains(&id) {
            return Err(unknown(id));
        }
        let tagged = serde_json::json!({ "learner": id, "params": params });
        serde_json::from_value(tagged).map_err(|e| LearnError::InvalidParams {
            learner: id.to_owned(),
            reason: e.to_string(),
        })
    }

    /// Whether [`LearnerSpec::with_hidden`] accepts a number of hidden units
    /// (false for `kernel`, `glmtron` and `alphatron`).
    #[must_use]
    pub fn takes_hidden(&self) -> bool {
        self.clone().set_hidden(1).is_ok()
    }

    /// Sets the number of hidden units as the learner understands it (the
    /// table in the module docs); `None` leaves the parameters as they are.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for k = 0, and for the learners without
    /// hidden units (`kernel`, `glmtron`, `alphatron`).
    pub fn with_hidden(mut self, hidden: Option<usize>) -> Result<Self, LearnError> {
        let Some(k) = hidden else { return Ok(self) };
        if k == 0 {
            return Err(LearnError::invalid(self.id(), "hidden", 0, "at least 1"));
        }
        self.set_hidden(k)?;
        Ok(self)
    }
}

fn unknown(id: &str) -> LearnError {
    LearnError::UnknownLearner {
        name: id.to_owned(),
        choices: LEARNERS.join(", "),
    }
}

/// A learner by id with default parameters and, where the learner takes
/// one, the number of hidden units (`None`: chosen from the data where the
/// learner can, else its default): `LearnerSpec::defaults(id)?
/// .with_hidden(hidden)?.build()`.
///
/// # Errors
/// As [`LearnerSpec::defaults`], [`LearnerSpec::with_hidden`] and
/// [`LearnerSpec::build`].
pub fn learner(id: &str, hidden: Option<usize>) -> Result<Box<dyn Learner>, LearnError> {
    LearnerSpec::defaults(id)?.with_hidden(hidden)?.build()
}
