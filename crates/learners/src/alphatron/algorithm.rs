//! Parameters and the runnable Alphatron (see the module docs).

use faer::{Col, Mat, Par};
use relu_net::{SampleSource, Seed};

use super::params::AlphatronParams;
use crate::common::{checked_split, load_rows as load, relative, variance};
use crate::error::LearnError;
use crate::model::{KernelModel, Link, Model};
use crate::{Fitted, Learner, Observer, Report};

pub(super) const NAME: &str = "alphatron";

/// Alphatron with validated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Alphatron {
    pub(super) params: AlphatronParams,
}

/// `1 / max_i ‖x_i‖`: the scale that puts the rows in the unit ball.
pub(crate) fn ball_scale(x: &Mat<f64>) -> f64 {
    let m = (0..x.nrows()).map(|i| x.row(i).norm_l2()).fold(0.0, f64::max);
    if m > 0.0 { 1.0 / m } else { 1.0 }
}

fn link(l: Link, v: f64) -> f64 {
    match l {
        Link::Identity => v,
        Link::Relu => v.max(0.0),
    }
}

impl Learner for Alphatron {
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
        let (x, y) = load(&train, train.len().min(p.train_size));
        let (xv, yv) = load(&val, val.len().min(2000));
        let sigma = ball_scale(&x);
        let xs = faer::Scale(sigma) * &x;
        let xvs = faer::Scale(sigma) * &xv;
        observer.stage("gram");
        let k = p.kernel.gram(xs.as_ref(), xs.as_ref(), par);
        let kv = p.kernel.gram(xvs.as_ref(), xs.as_ref(), par);
        observer.stage("iterations");
        let m = x.nrows() as f64;
        let mut alpha = Col::<f64>::zeros(x.nrows());
        let val_loss = |a: &Col<f64>| {
            let s = &kv * a;
            (0..yv.nrows())
                .map(|i| (link(p.link, s[i]) - yv[i]).powi(2))
                .sum::<f64>()
                / yv.nrows().max(1) as f64
        };
        let mut best = (val_loss(&alpha), alpha.clone(), 0);
        for t in 0..p.iters {
            crate::cancel::checkpoint();
            let s = &k * &alpha;
            for i in 0..alpha.nrows() {
                alpha[i] += p.learning_rate / m * (y[i] - link(p.link, s[i]));
            }
            let l = val_loss(&alpha);
            if l < best.0 {
                best = (l, alpha.clone(), t + 1);
            }
        }
        let model = KernelModel::new(p.kernel, sigma, p.link, xs, best.1, 0.0)?;
        let var = variance(&yv);
        let mut report = Report {
            n_iters: p.iters,
            converged: true,
            ..Report::new(NAME, x.nrows() + xv.nrows())
        };
        report.validation_error = Some(relative(best.0, var));
        report.metrics.insert("best_iteration".to_owned(), best.2 as f64);
        report.notes.push(format!(
            "{} kernel centres; best hold-out loss at iteration {} of {}",
            model.n_centers(),
            best.2,
            p.iters
        ));
        Ok(Fitted {
            model: Model::Kernel(model),
            report,
        })
    }
}
