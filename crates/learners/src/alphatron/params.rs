//! Parameters of [`super::Alphatron`]: defaults, validation, the runnable learner.

use crate::error::LearnError;
use crate::model::{KernelFunction, Link};
use serde::{Deserialize, Serialize};

use super::algorithm::{Alphatron, NAME};

/// Parameters of Alphatron; `validate` makes the runnable [`Alphatron`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlphatronParams {
    /// The kernel. Default multinomial of degree 4.
    pub kernel: KernelFunction,
    /// The known output activation. Default identity (a linear output).
    pub link: Link,
    /// The learning rate λ (the theorem takes 1/L = 1). Default 1.
    pub learning_rate: f64,
    /// Iterations T. Default 500.
    pub iters: usize,
    /// Training rows in the Gram matrix, m. Default 2000.
    pub train_size: usize,
    /// Fraction of the rows held out. Default 0.1 (at most 2000 rows used).
    pub validation_fraction: f64,
}

impl Default for AlphatronParams {
    fn default() -> Self {
        Self {
            kernel: KernelFunction::Multinomial { degree: 4 },
            link: Link::Identity,
            learning_rate: 1.0,
            iters: 500,
            train_size: 2000,
            validation_fraction: 0.1,
        }
    }
}

impl AlphatronParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for out-of-range values.
    pub fn validate(self) -> Result<Alphatron, LearnError> {
        if self.iters == 0 || self.train_size < 2 {
            return Err(LearnError::invalid(
                NAME,
                "iters / train_size",
                0.0,
                "iters >= 1 and train_size >= 2",
            ));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(LearnError::invalid(
                NAME,
                "learning_rate",
                self.learning_rate,
                "a finite number > 0",
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
        if let KernelFunction::Multinomial { degree } = self.kernel
            && degree > 64
        {
            return Err(LearnError::invalid(NAME, "kernel degree", degree, "at most 64"));
        }
        Ok(Alphatron { params: self })
    }
}

impl crate::registry::LearnerParams for AlphatronParams {
    const ID: &'static str = "alphatron";

    fn build(self) -> Result<Box<dyn crate::Learner>, LearnError> {
        Ok(Box::new(self.validate()?))
    }
}
