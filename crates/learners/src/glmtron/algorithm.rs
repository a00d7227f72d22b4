//! Parameters and the runnable GLMtron (see the module docs).

use faer::{Col, Mat, Par};
use relu_net::{Network, SampleSource, Seed};

use super::params::GlmtronParams;
use crate::common::{checked_split, load_rows, relative, variance};
use crate::error::LearnError;
use crate::{Fitted, Learner, Observer, Report};

pub(super) const NAME: &str = "glmtron";

/// GLMtron with validated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Glmtron {
    pub(super) params: GlmtronParams,
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
        let (_, train, val) = checked_split(NAME, src, 100, p.validation_fraction, par)?;
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
            n_iters: iters,
            converged,
            ..Report::new(NAME, x.nrows() + xv.nrows())
        };
        report.validation_error = Some(relative(best.0, var));
        report.metrics.insert("best_iteration".to_owned(), best.2 as f64);
        report.notes.push(format!(
            "{iters} iterations; best validation loss at iteration {}",
            best.2
        ));
        Ok(Fitted::from_network(network, report))
    }
}
