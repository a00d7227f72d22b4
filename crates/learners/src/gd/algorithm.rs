//! The runnable gradient-descent baseline (see the module docs).

use faer::{Col, Mat, MatRef, Par};
use rand::RngExt;
use relu_net::{Init, Network, SampleSource, Seed};

use super::GdParams;
use crate::common::{checked_split, load_rows as load, map_indices, scale_output, variance};
use crate::error::LearnError;
use crate::forward::Forward;
use crate::{Fitted, Learner, Observer, Report};

const NAME: &str = "gd";

/// The gradient-descent baseline with validated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Gd {
    pub(super) params: GdParams,
}

/// Weights and biases of every layer, and Adam's moments.
#[derive(Clone)]
struct Model {
    w: Vec<Mat<f64>>,
    b: Vec<Col<f64>>,
}

impl Model {
    fn from_network(net: &Network) -> Self {
        Self {
            w: net.layers().iter().map(|l| l.weight().to_owned()).collect(),
            b: net.layers().iter().map(|l| l.bias().to_owned()).collect(),
        }
    }

    fn zeros_like(&self) -> Self {
        Self {
            w: self.w.iter().map(|w| Mat::zeros(w.nrows(), w.ncols())).collect(),
            b: self.b.iter().map(|b| Col::zeros(b.nrows())).collect(),
        }
    }

    fn network(&self) -> Result<Network, LearnError> {
        Ok(Network::from_parts(
            self.w.iter().cloned().zip(self.b.iter().cloned()).collect(),
        )?)
    }

    /// The forward pass on a batch ([`Forward`]).
    fn forward(&self, x: MatRef<'_, f64>) -> Forward {
        Forward::new(
            x,
            self.w.iter().zip(&self.b).map(|(w, b)| (w.as_ref(), b.as_ref())),
        )
    }

    /// Mean squared error on rows of (x, y).
    fn loss(&self, x: MatRef<'_, f64>, y: &Col<f64>) -> f64 {
        let mut total = 0.0;
        let mut start = 0;
        while start < x.nrows() {
            let m = 4096.min(x.nrows() - start);
            let fwd = self.forward(x.subrows(start, m));
            let f = fwd.output();
            total += (0..m).map(|i| (f[(i, 0)] - y[start + i]).powi(2)).sum::<f64>();
            start += m;
        }
        total / x.nrows().max(1) as f64
    }

    /// Gradient of the batch loss (back-propagation of
    /// `2 (f(x) − y) / m` by [`Forward::backward`]).
    fn gradient(&self, x: MatRef<'_, f64>, y: &[f64]) -> Model {
        let m = x.nrows() as f64;
        let fwd = self.forward(x);
        let out = fwd.output();
        let g = Mat::from_fn(x.nrows(), 1, |i, _| 2.0 * (out[(i, 0)] - y[i]) / m);
        let weights: Vec<MatRef<'_, f64>> = self.w.iter().map(Mat::as_ref).collect();
        let (w, b) = fwd.backward(x, &weights, g).into_iter().unzip();
        Model { w, b }
    }
}

/// Adam's state.
struct Adam {
    m: Model,
    v: Model,
    t: i32,
}

impl Adam {
    fn step(&mut self, model: &mut Model, grad: &Model, lr: f64) {
        const B1: f64 = 0.9;
        const B2: f64 = 0.999;
        const EPS: f64 = 1e-8;
        self.t += 1;
        let (c1, c2) = (1.0 - B1.powi(self.t), 1.0 - B2.powi(self.t));
        let update = |p: &mut f64, g: f64, m: &mut f64, v: &mut f64| {
            *m = B1 * *m + (1.0 - B1) * g;
            *v = B2 * *v + (1.0 - B2) * g * g;
            *p -= lr * (*m / c1) / ((*v / c2).sqrt() + EPS);
        };
        for l in 0..model.w.len() {
            for j in 0..model.w[l].ncols() {
                for i in 0..model.w[l].nrows() {
                    update(
                        &mut model.w[l][(i, j)],
                        grad.w[l][(i, j)],
                        &mut self.m.w[l][(i, j)],
                        &mut self.v.w[l][(i, j)],
                    );
                }
            }
            for i in 0..model.b[l].nrows() {
                update(
                    &mut model.b[l][i],
                    grad.b[l][i],
                    &mut self.m.b[l][i],
                    &mut self.v.b[l][i],
                );
            }
        }
    }
}

/// The outcome of one restart.
struct Run {
    model: Model,
    val_loss: f64,
    epochs: usize,
    steps: usize,
}

impl Gd {
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &GdParams {
        &self.params
    }

    fn run(
        &self,
        widths: &[usize],
        x: &Mat<f64>,
        y: &Col<f64>,
        xv: &Mat<f64>,
        yv: &Col<f64>,
        seed: Seed,
    ) -> Result<Run, LearnError> {
        let p = &self.params;
        let d = x.ncols();
        let init = Init::He.network(d, widths, seed.derive("init"))?;
        let mut model = Model::from_network(&init);
        let mut adam = Adam {
            m: model.zeros_like(),
            v: model.zeros_like(),
            t: 0,
        };
        let mut best = (model.loss(xv.as_ref(), yv), model.clone());
        let (mut stale, mut drops, mut lr, mut steps, mut epochs) = (0, 0, p.learning_rate, 0, 0);
        let mut rng = seed.derive("shuffle").rng();
        let n = x.nrows();
        let mut order: Vec<usize> = (0..n).collect();
        let bs = p.batch_size.min(n);
        let mut xb = Mat::zeros(bs, d);
        let mut yb = vec![0.0; bs];
        for epoch in 0..p.max_epochs {
            epochs = epoch + 1;
            for i in (1..n).rev() {
                let j = rng.random_range(0..=i);
                order.swap(i, j);
            }
            for batch in order.chunks(bs) {
                crate::cancel::checkpoint();
                let m = batch.len();
                for (r, &row) in batch.iter().enumerate() {
                    yb[r] = y[row];
                    for c in 0..d {
                        xb[(r, c)] = x[(row, c)];
                    }
                }
                let grad = model.gradient(xb.as_ref().subrows(0, m), &yb[..m]);
                adam.step(&mut model, &grad, lr);
                steps += 1;
            }
            let val = model.loss(xv.as_ref(), yv);
            if !val.is_finite() {
                break;
            }
            if val < best.0 * (1.0 - 1e-6) {
                best = (val, model.clone());
                stale = 0;
            } else {
                stale += 1;
                if stale >= p.patience {
                    if drops >= p.lr_drops {
                        break;
                    }
                    drops += 1;
                    lr /= 5.0;
                    stale = 0;
                    model = best.1.clone();
                }
            }
        }
        Ok(Run {
            model: best.1,
            val_loss: best.0,
            epochs,
            steps,
        })
    }
}

impl Learner for Gd {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit_observed(
        &self,
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        let widths = self.params.hidden.clone().unwrap_or_else(|| vec![10]);
        observer.stage("checks");
        let (_, train, val) = checked_split(NAME, src, 100, self.params.validation_fraction, par)?;
        observer.stage("load");
        let (x, y) = load(&train, train.len().min(self.params.max_train));
        let (xv, yv) = load(&val, val.len());
        // Adam's step sizes are absolute: train on standardised labels (the
        // training rows' mean and standard deviation) and map the output
        // layer back at the end, so that labels of any magnitude train alike.
        let n = y.nrows().max(1) as f64;
        let mean = y.iter().sum::<f64>() / n;
        let std = variance(&y).sqrt();
        let std = if std > 0.0 && std.is_finite() { std } else { 1.0 };
        let y = Col::from_fn(y.nrows(), |i| (y[i] - mean) / std);
        let yv = Col::from_fn(yv.nrows(), |i| (yv[i] - mean) / std);
        observer.stage("training");
        let run = |r: usize| self.run(&widths, &x, &y, &xv, &yv, seed.derive_index(r as u64));
        let runs: Vec<Run> = map_indices(self.params.restarts, par, run)
            .into_iter()
            .collect::<Result<_, _>>()?;
        let var = variance(&yv);
        let mut report = Report::new(NAME, x.nrows() + xv.nrows());
        report.series.insert(
            "restart_validation_errors".to_owned(),
            runs.iter().map(|r| r.val_loss / var).collect(),
        );
        report.series.insert(
            "restart_epochs".to_owned(),
            runs.iter().map(|r| r.epochs as f64).collect(),
        );
        let best = runs
            .into_iter()
            .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
            .expect("at least one restart");
        report.n_iters = best.steps;
        report.converged = best.epochs < self.params.max_epochs;
        report.validation_error = Some(best.val_loss / var);
        report.metrics.insert("epochs".to_owned(), best.epochs as f64);
        report.notes.push(format!(
            "Adam, widths {widths:?}, {} restarts; best: {} epochs, {} steps{}",
            self.params.restarts,
            best.epochs,
            best.steps,
            if report.converged {
                ""
            } else {
                " (epoch cap reached)"
            }
        ));
        Ok(Fitted::from_network(
            scale_output(&best.model.network()?, std, mean)?,
            report,
        ))
    }
}
