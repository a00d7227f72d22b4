//! Parameters of [`super::Kernel`]: defaults, validation, the runnable learner.

use crate::error::LearnError;
use crate::model::KernelFunction;
use serde::{Deserialize, Serialize};

use super::algorithm::{Kernel, NAME};

/// Parameters of the kernel learner; `validate` makes the runnable
/// [`Kernel`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KernelParams {
    /// The kernel; `None` (the default) for the multinomial kernel of the
    /// largest degree q ≤ 6 whose `C(d + q, q)` polynomials are at most
    /// twice `max_landmarks` ([`super::auto_kernel`]: q = 6 for d ≤ 6, 4 at
    /// d = 10, 2 at d = 20 with the default 800). A ReLU needs degree
    /// O(1/ε); the best degree-q polynomial leaves 1.4 % of a centred
    /// unit's variance at q = 4 and 0.8 % at q = 6.
    pub kernel: Option<KernelFunction>,
    /// The ridge λ (relative to the Gram matrix divided by m). Default 1e-4:
    /// it sets the effective dimension, hence the compression size.
    pub ridge: f64,
    /// Rows of the Gram matrix used for the spectrum and the leverage
    /// scores. Default 2000 (an O(m³) eigendecomposition: about a second).
    pub gram_samples: usize,
    /// Landmarks s; `None` for `⌈2 d_eff log m⌉` capped at `max_landmarks`.
    /// Default `None`.
    pub landmarks: Option<usize>,
    /// Cap on the number of landmarks chosen from d_eff. Default 800: the
    /// regression costs O(n s²).
    pub max_landmarks: usize,
    /// Fraction of the rows held out. Default 0.1.
    pub validation_fraction: f64,
    /// Training rows used by the regression at most. Default 200 000.
    pub max_train: usize,
    /// How the inputs are scaled before the kernel. Default `rms`.
    pub input_scale: InputScale,
}

/// The scale σ of the inputs the kernel sees, `k(σx, σx')`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputScale {
    /// `σ = 1 / √(mean ‖x‖²)` over the training rows: typical inputs have
    /// norm 1, and a degree-j part of the target, whose RKHS norm grows
    /// like `σ^{−j}`, is not pushed under the ridge. With this scale the
    /// error of the multinomial kernel of degree q approaches the best
    /// degree-q polynomial's.
    #[default]
    Rms,
    /// `σ = 1 / max ‖x_i‖` over the training rows: every input in the unit
    /// ball, as Goel–Klivans assume. On Gaussian inputs max ‖x‖ is several
    /// times the typical norm, and the degree-j parts lose a factor
    /// `(max ‖x‖ / √d)^{2j}` to the ridge: at d = 10 the degrees 4 and 6
    /// gave the same error.
    Ball,
}

impl Default for KernelParams {
    fn default() -> Self {
        Self {
            kernel: None,
            ridge: 1e-4,
            gram_samples: 2000,
            landmarks: None,
            max_landmarks: 800,
            validation_fraction: 0.1,
            max_train: 200_000,
            input_scale: InputScale::Rms,
        }
    }
}

impl KernelParams {
    /// The landmarks s used for an effective dimension `d_eff` on `m` Gram
    /// rows: `landmarks` if set, else Goel–Klivans' compression size
    /// `⌈2 d_eff log m⌉` capped at `max_landmarks`; in `[1, m]` either way.
    #[must_use]
    pub fn landmarks_for(&self, d_eff: f64, m: usize) -> usize {
        self.landmarks
            .unwrap_or_else(|| ((2.0 * d_eff * (m as f64).ln()).ceil() as usize).min(self.max_landmarks))
            .clamp(1, m)
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for out-of-range values.
    pub fn validate(self) -> Result<Kernel, LearnError> {
        if !(self.ridge > 0.0 && self.ridge.is_finite()) {
            return Err(LearnError::invalid(
                NAME,
                "ridge",
                self.ridge,
                "a finite number > 0",
            ));
        }
        if self.gram_samples < 10 || self.gram_samples > 20_000 {
            return Err(LearnError::invalid(
                NAME,
                "gram_samples",
                self.gram_samples,
                "between 10 and 20 000",
            ));
        }
        if self.landmarks == Some(0) || self.max_train == 0 || self.max_landmarks == 0 {
            return Err(LearnError::invalid(
                NAME,
                "landmarks / max_train",
                0.0,
                "at least 1",
            ));
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction <= 0.5) {
            return Err(LearnError::invalid(
                NAME,
                "validation_fraction",
                self.validation_fraction,
                "in (0, 0.5]",
            ));
        }
        if let Some(KernelFunction::Multinomial { degree }) = self.kernel
            && degree > 64
        {
            return Err(LearnError::invalid(NAME, "kernel degree", degree, "at most 64"));
        }
        Ok(Kernel { params: self })
    }
}

impl crate::registry::LearnerParams for KernelParams {
    const ID: &'static str = "kernel";

    fn build(self) -> Result<Box<dyn crate::Learner>, LearnError> {
        Ok(Box::new(self.validate()?))
    }
}
