//! Parameters and the runnable GLMtron (see the module docs).

use faer::{Col, Mat, Par};
use relu_net::{Network, SampleSource, Seed};
use serde::{Deserialize, Serialize};

use crate::common::{check_data, load_rows, relative, split, variance};
use crate::error::LearnError;
use crate::{Fitted, Learner, Observer, Report};

const NAME: &str = "glmtron";

/// Parameters of GLMtron; `validate` makes the runnable [`Glmtron`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlmtronParams {
    /// Fit a bias b. Default true.
    pub bias: bool,
    /// Iteration cap. Default 3000: the expected step contracts the error by
    /// about `1 − 1/(2(d + 1))`, so d = 10 needs about 600 iterations per
    /// factor 10⁻⁵.
    pub max_iters: usize,
    /// Stop when the update's norm falls below this. Default 1e-12.
    pub tol: f64,
    /// Fraction of the rows held out for validation. Default 0.1.
    pub validation_fraction: f64,
    /// Training rows loaded at most. Default 10⁶.
    pub max_train: usize,
}

impl Default for GlmtronParams {
    fn default() -> Self {
        Self {
            bias: true,
            max_iters: 3000,
            tol: 1e-12,
            validation_fraction: 0.1,
            max_train: 1_000_000,
        }
    }
}

impl GlmtronParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for out-of-range values.
    pub fn validate(self) -> Result<Glmtron, LearnError> {
        if self.max_iters == 0 || self.max_train == 0 {
            return Err(LearnError::invalid(
                NAME,
                "max_iters / max_train",
                0.0,
                "at least 1",
            ));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(LearnError::invalid(NAME, "tol", self.tol, "a finite number >= 0"));
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction <= 0.5) {
            return Err(LearnError::invalid(
                NAME,
                "validation_fraction",
                self.validation_fraction,
                "in (0, 0.5]",
            ));
        }
        Ok(Glmtron { params: self })
    }
}

/// GLMtron with validated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Glmtron {
    params: GlmtronParams,
}

/// Loads rows and returns the scaled, augmented inputs and the labels.
pub(crate) fn load_augmented(src: &dyn SampleSource, n: usize, bias: bool) -> (Mat<f64>, Col<f64>, f64) {
    let d = src.dim();
    let (x, y) = load_rows(src, n);
    let p = d + usize::from(bias);
    let s = 1.0 / (p as f64).sqrt();
    (
        Mat::from_fn(n, p, |i, j| if j < d { s * x[(i, j)] } else { s }),
        y,
        s,
    )
}

fn loss(x: &Mat<f64>, y: &Col<f64>, w: &Col<f64>) -> f64 {
    let pred = x * w;
    (0..y.nrows())
        .map(|i| (pred[i].max(0.0) - y[i]).powi(2))
        .sum::<f64>()
        / y.nrows().max(1) as f64
}

impl Learner for Glmtron {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit_observed(
        &self,
        src: &dyn SampleSource,
        _seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        let p = &self.params;
        observer.stage("checks");
        check_data(NAME, src, 100, par)?;
        let (train, val) = split(src, p.validation_fraction);
        let (x, y, s) = load_augmented(&train, train.len().min(p.max_train), p.bias);
        let (xv, yv, _) = load_augmented(&val, val.len(), p.bias);
        observer.stage("iterations");
        let m = x.nrows() as f64;
        let mut w = Col::zeros(x.ncols());
        let mut best = (loss(&xv, &yv, &w), w.clone(), 0);
        let (mut iters, mut converged) = (0, false);
        for t in 0..p.max_iters {
            iters = t + 1;
            let pred = &x * &w;
            let r = Col::from_fn(x.nrows(), |i| y[i] - pred[i].max(0.0));
            let step = faer::Scale(1.0 / m) * (x.transpose() * &r);
            w += &step;
            let l = loss(&xv, &yv, &w);
            if l < best.0 {
                best = (l, w.clone(), t + 1);
            }
            if step.norm_l2() < p.tol {
                converged = true;
                break;
            }
        }
        let d = src.dim();
        let wb = &best.1;
        let wrow = Mat::from_fn(1, d, |_, j| s * wb[j]);
        let b = if p.bias { s * wb[d] } else { 0.0 };
        let network = Network::depth2(
            wrow.as_ref(),
            faer::col![b].as_ref(),
            faer::col![1.0].as_ref(),
            0.0,
        )?;
        let var = variance(&yv);
        let mut report = Report {
            learner: NAME.to_owned(),
            samples_used: x.nrows() + xv.nrows(),
            n_iters: iters,
            converged,
            ..Report::default()
        };
        report
            .metrics
            .insert("validation_error".to_owned(), relative(best.0, var));
        report.metrics.insert("best_iteration".to_owned(), best.2 as f64);
        report.notes.push(format!(
            "{iters} iterations; best validation loss at iteration {}",
            best.2
        ));
        Ok(Fitted::from_network(network, report))
    }
}
