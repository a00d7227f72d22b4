//! Parameters of [`super::Ckm`]: defaults, validation, the runnable learner.

use crate::error::LearnError;
use crate::exact_erm::ExactErmParams;
use crate::gd::GdParams;
use crate::polish::PolishParams;
use serde::{Deserialize, Serialize};
use subspace_pca::FilteredPcaParams;

use super::algorithm::{Ckm, NAME};

/// Which network search runs in the subspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Search {
    /// The paper's net over networks in the subspace
    /// (`ckm/search.rs`, `NetPlan`): exhaustive when it fits
    /// `net_candidates`, else sampled with its coverage reported. Also
    /// accepted as `"grid"`, its former name.
    #[serde(alias = "grid")]
    Net,
    /// Adam with restarts.
    Train,
    /// The net first (plus exact ERM when the architecture has one hidden
    /// layer of at most 2 units and the subspace at most 2 dimensions); Adam
    /// too when the best validation error is above `train_above`. The
    /// validation error decides.
    Auto,
    /// Exact ERM ([`crate::exact_erm`]) on the first `exact.max_points`
    /// projected training rows: the certified best one-hidden-layer network
    /// on them (one hidden layer only).
    Exact,
}

/// Parameters of CKM; `validate` makes the runnable [`Ckm`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CkmParams {
    /// Hidden widths of the architecture (the first is k). Default [3, 3].
    pub widths: Vec<usize>,
    /// Filtered PCA's settings (`max_dim` is set to k). Default: the
    /// filtered-PCA defaults with `noise_mult` 2.5 instead of 4 — with the
    /// dimension capped at k by the architecture, a spurious direction costs
    /// one unused input of the search, while a missed weak direction costs
    /// accuracy (seen on d = 50, depth 3, where the third direction scored 3.7).
    pub filtered: FilteredPcaParams,
    /// Which search runs. Default `auto`.
    pub search: Search,
    /// The net's budget: the finest net (hidden units within a covering
    /// angle between 0.02 rad and `net_angle`) with at most this many points
    /// is scored exhaustively; when even the net at `net_angle` is larger,
    /// this many points are drawn from it uniformly and the coverage
    /// probability is reported. Default 100 000 (scoring a net point on
    /// 2 000 rows costs about as much as one LM step).
    pub net_candidates: usize,
    /// The coarsest covering angle (radians) of the hidden units' nets,
    /// used when no exhaustive net fits the budget. Default 0.5.
    pub net_angle: f64,
    /// The best net points refined by Levenberg–Marquardt on the projected
    /// training rows (0: report the best net points as they are). Default
    /// 128.
    pub net_refine: usize,
    /// In `auto`, the refined net's relative validation error above which
    /// Adam runs too. Default 1e-3.
    pub train_above: f64,
    /// Settings of the practical search (`hidden` is set from `widths`).
    pub train: GdParams,
    /// Fraction of the rows held out to choose between the searches.
    /// Default 0.1.
    pub validation_fraction: f64,
    /// Polish the lifted network with Levenberg–Marquardt on the training
    /// rows in the full input space (this also corrects the subspace's
    /// error). Kept only if the validation error does not increase.
    /// Default true.
    pub polish: bool,
    /// Candidates (best by validation error in the subspace) polished in
    /// the full space; the polished validation error picks the answer.
    /// Default 8.
    pub polish_top: usize,
    /// Settings of the polish of each candidate (and of the net
    /// refinement in the subspace). Default: 5000 samples (`flop_budget`
    /// 0), so that screening `polish_top` candidates stays cheap.
    pub polish_params: PolishParams,
    /// Settings of one last polish of the chosen network on as many
    /// training rows as its budget affords (kept if the validation error
    /// does not increase): on noisy labels the excess error falls like
    /// `σ² p / n` with the rows it sees. Default: [`PolishParams`]'s
    /// defaults.
    pub final_polish: PolishParams,
    /// Settings of the exact-ERM search (`hidden` is set from `widths`,
    /// `max_dim` from k). Default: 16 points.
    pub exact: ExactErmParams,
}

impl Default for CkmParams {
    fn default() -> Self {
        Self {
            widths: vec![3, 3],
            filtered: FilteredPcaParams {
                noise_mult: 2.5,
                ..FilteredPcaParams::default()
            },
            search: Search::Auto,
            net_candidates: 100_000,
            net_angle: 0.5,
            net_refine: 128,
            train_above: 1e-3,
            train: GdParams {
                restarts: 3,
                ..GdParams::default()
            },
            validation_fraction: 0.1,
            polish: true,
            polish_top: 8,
            polish_params: PolishParams {
                flop_budget: 0.0,
                ..PolishParams::default()
            },
            final_polish: PolishParams::default(),
            exact: ExactErmParams {
                max_points: 16,
                ..ExactErmParams::default()
            },
        }
    }
}

impl CkmParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for out-of-range values.
    pub fn validate(self) -> Result<Ckm, LearnError> {
        if self.widths.is_empty() || self.widths.contains(&0) {
            return Err(LearnError::invalid(
                NAME,
                "widths",
                0.0,
                "a non-empty list of positive widths",
            ));
        }
        if !(self.net_angle > 0.0 && self.net_angle <= std::f64::consts::FRAC_PI_2) {
            return Err(LearnError::invalid(
                NAME,
                "net_angle",
                self.net_angle,
                "in (0, π/2] radians",
            ));
        }
        if self.polish_top == 0 || self.net_candidates == 0 {
            return Err(LearnError::invalid(
                NAME,
                "polish_top / net_candidates",
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
        let mut filtered = self.filtered.clone();
        filtered.max_dim = self.widths[0];
        let finder = filtered.validate().map_err(|e| LearnError::Unidentifiable {
            learner: NAME,
            reason: format!("filtered PCA parameters: {e}"),
        })?;
        let exact = if self.widths.len() == 1 && self.widths[0] <= 8 {
            Some(
                ExactErmParams {
                    hidden: self.widths[0],
                    max_dim: self.widths[0],
                    ..self.exact.clone()
                }
                .validate()?,
            )
        } else {
            None
        };
        if self.search == Search::Exact && exact.is_none() {
            return Err(LearnError::invalid(
                NAME,
                "widths",
                self.widths.len(),
                "a single hidden layer of at most 8 units for search = exact (exact ERM is for one hidden layer)",
            ));
        }
        let gd = GdParams {
            hidden: Some(self.widths.clone()),
            ..self.train.clone()
        }
        .validate()?;
        self.polish_params.validate(NAME, "polish_params")?;
        self.final_polish.validate(NAME, "final_polish")?;
        Ok(Ckm {
            params: self,
            finder,
            gd,
            exact,
        })
    }
}

impl crate::registry::LearnerParams for CkmParams {
    const ID: &'static str = "ckm";

    fn set_hidden(&mut self, k: usize) -> Result<(), LearnError> {
        self.widths = vec![k; self.widths.len()];
        Ok(())
    }

    fn build(self) -> Result<Box<dyn crate::Learner>, LearnError> {
        Ok(Box::new(self.validate()?))
    }
}
