//! Parameters of [`super::Gd`].

use serde::{Deserialize, Serialize};

use super::Gd;
use crate::error::LearnError;

/// Parameters of the gradient-descent baseline; `validate` makes the
/// runnable [`Gd`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GdParams {
    /// Hidden widths (depth = len + 1). `None`: one hidden layer of 10.
    pub hidden: Option<Vec<usize>>,
    /// Mini-batch size. Default 256 (scikit-learn: 200).
    pub batch_size: usize,
    /// Adam's initial learning rate. Default 1e-3 (Kingma & Ba; scikit-learn).
    pub learning_rate: f64,
    /// Epoch cap. Default 200 (scikit-learn's `max_iter`).
    pub max_epochs: usize,
    /// Epochs without validation improvement before the learning rate
    /// drops. Default 10 (scikit-learn's `n_iter_no_change`).
    pub patience: usize,
    /// Learning-rate drops (÷5 each) before training stops. Default 3.
    pub lr_drops: usize,
    /// Seeded restarts; the best by validation loss wins. Default 3.
    pub restarts: usize,
    /// Fraction of the rows held out for validation. Default 0.1.
    pub validation_fraction: f64,
    /// Training rows loaded into memory at most. Default 10⁶.
    pub max_train: usize,
}

impl Default for GdParams {
    fn default() -> Self {
        Self {
            hidden: None,
            batch_size: 256,
            learning_rate: 1e-3,
            max_epochs: 200,
            patience: 10,
            lr_drops: 3,
            restarts: 3,
            validation_fraction: 0.1,
            max_train: 1_000_000,
        }
    }
}

impl GdParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for out-of-range values.
    pub fn validate(self) -> Result<Gd, LearnError> {
        if self
            .hidden
            .as_ref()
            .is_some_and(|h| h.is_empty() || h.contains(&0))
        {
            return Err(LearnError::invalid(
                "gd",
                "hidden",
                0.0,
                "a non-empty list of positive widths",
            ));
        }
        if self.batch_size == 0 || self.max_epochs == 0 || self.restarts == 0 || self.max_train == 0 {
            return Err(LearnError::invalid(
                "gd",
                "batch_size / max_epochs / restarts / max_train",
                0.0,
                "at least 1",
            ));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(LearnError::invalid(
                "gd",
                "learning_rate",
                self.learning_rate,
                "a finite number > 0",
            ));
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction <= 0.5) {
            return Err(LearnError::invalid(
                "gd",
                "validation_fraction",
                self.validation_fraction,
                "in (0, 0.5]",
            ));
        }
        Ok(Gd { params: self })
    }
}

impl crate::registry::LearnerParams for GdParams {
    const ID: &'static str = "gd";

    fn set_hidden(&mut self, k: usize) -> Result<(), LearnError> {
        self.hidden = Some(vec![k]);
        Ok(())
    }

    fn build(self) -> Result<Box<dyn crate::Learner>, LearnError> {
        Ok(Box::new(self.validate()?))
    }
}
