//! Parameters of [`super::Atv`].

use gaussian_moments::MomentParams;
use serde::{Deserialize, Serialize};

use super::Atv;
use crate::error::LearnError;
use crate::polish::PolishParams;

/// Parameters of the ATV learner; `validate` makes the runnable [`Atv`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AtvParams {
    /// Hidden units k; `None` chooses k from the spectral gap of `T_2`.
    pub hidden: Option<usize>,
    /// Fraction of the rows held out for validation. Default 0.1.
    pub validation_fraction: f64,
    /// Held-out rows actually used to score candidates and to accept the
    /// polish, at most. Default 10⁶: a relative error is then known to
    /// about 10⁻³ of itself, and each candidate costs a forward pass over
    /// these rows (at n = 10⁸ the uncapped set made scoring the slowest
    /// stage).
    pub max_validation: usize,
    /// Draws of g₀ for the mixed tensor `T_3 + T_4(g₀)`. Default 4: each
    /// draw is cheap (a k³ tensor) and guards against an unlucky g₀.
    pub mix_draws: usize,
    /// Decomposition backend id (`tensor_decomp::BACKENDS`). Default
    /// `"jennrich"`: the reference `T_2` is indefinite in general, which
    /// only Jennrich handles.
    pub decomposer: String,
    /// Largest plausible |bias| of a unit with unit weight. Default 4: at
    /// |b| = 4 every moment of order ≥ 2 carries a factor φ(4) ≈ 1.3e-4, so
    /// larger estimates are noise.
    pub max_bias: f64,
    /// Whether to polish the best candidate by Levenberg–Marquardt.
    /// Default true.
    pub polish: bool,
    /// Most units step 8 adds from the residual's second moment (only with
    /// `polish`). Default 8; 0 turns the step off.
    pub residual_units: usize,
    /// Settings of the polish.
    pub polish_params: PolishParams,
    /// Settings of the moment estimators.
    pub moments: MomentParams,
}

/// Random contractions of atv's Jennrich backend (the backend's own
/// default is 8).
pub const JENNRICH_DRAWS: usize = 64;

impl Default for AtvParams {
    fn default() -> Self {
        Self {
            hidden: None,
            validation_fraction: 0.1,
            max_validation: 1_000_000,
            mix_draws: 4,
            decomposer: "jennrich".to_owned(),
            max_bias: 4.0,
            polish: true,
            residual_units: 8,
            polish_params: PolishParams::default(),
            moments: MomentParams::default(),
        }
    }
}

impl AtvParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for out-of-range values or an unknown
    /// decomposer.
    pub fn validate(self) -> Result<Atv, LearnError> {
        if self.hidden == Some(0) {
            return Err(LearnError::invalid("atv", "hidden", 0.0, "at least 1"));
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction <= 0.5) {
            return Err(LearnError::invalid(
                "atv",
                "validation_fraction",
                self.validation_fraction,
                "in (0, 0.5]",
            ));
        }
        if self.max_validation < 100 {
            return Err(LearnError::invalid(
                "atv",
                "max_validation",
                self.max_validation,
                "at least 100",
            ));
        }
        if self.mix_draws == 0 {
            return Err(LearnError::invalid("atv", "mix_draws", 0.0, "at least 1"));
        }
        if !(self.max_bias > 0.0 && self.max_bias.is_finite()) {
            return Err(LearnError::invalid(
                "atv",
                "max_bias",
                self.max_bias,
                "a finite number > 0",
            ));
        }
        // Jennrich with 64 random contractions instead of its default 8: with
        // output weights of both signs the pencil's reference is indefinite,
        // noise makes eigenvalues of opposite-sign units collide into complex
        // pairs, and a draw fails when no contraction has a real spectrum; the
        // extra contractions cost k × k eigenproblems only.
        let decomposer: Box<dyn tensor_decomp::Decomposer> = if self.decomposer == "jennrich" {
            Box::new(
                tensor_decomp::JennrichParams {
                    n_draws: JENNRICH_DRAWS,
                    ..tensor_decomp::JennrichParams::default()
                }
                .validate()?,
            )
        } else {
            tensor_decomp::backend(&self.decomposer).ok_or_else(|| {
                LearnError::invalid(
                    "atv",
                    "decomposer",
                    format!("{:?}", self.decomposer),
                    "one of tensor_decomp::BACKENDS",
                )
            })?
        };
        self.polish_params.validate("atv", "polish_params")?;
        let estimator = self.moments.validate()?;
        Ok(Atv::new(self, decomposer, estimator))
    }
}

impl crate::registry::LearnerParams for AtvParams {
    const ID: &'static str = "atv";

    fn set_hidden(&mut self, k: usize) -> Result<(), LearnError> {
        self.hidden = Some(k);
        Ok(())
    }

    fn build(self) -> Result<Box<dyn crate::Learner>, LearnError> {
        Ok(Box::new(self.validate()?))
    }
}
