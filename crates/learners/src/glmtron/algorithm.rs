//! Parameters and the runnable GLMtron (see the module docs).

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, ColRef, Mat, MatRef, Par};
use relu_net::{Network, SampleSource, Seed};

use super::params::GlmtronParams;
use crate::common::{checked_split, load_rows, map_indices, relative, variance};
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

/// Rows per chunk of [`residual_pass`]: about 256 KiB of inputs, so a
/// chunk stays in cache between its forward and backward products.
fn chunk_rows(cols: usize) -> usize {
    (32_768 / cols.max(1)).max(64)
}

/// One fused pass over the rows of `x`: the sum of squared residuals
/// `Σ_i (relu(⟨w, x̃_i⟩) − y_i)²` and, when `grad`, the GLMtron direction
/// `Σ_i (y_i − relu(⟨w, x̃_i⟩)) x̃_i`. Each chunk's forward and backward
/// products read its rows once; chunks run in parallel under `par` and are
/// summed in chunk order, so the result is bit-identical on any number of
/// threads.
fn residual_pass(
    x: MatRef<'_, f64>,
    y: ColRef<'_, f64>,
    w: ColRef<'_, f64>,
    grad: bool,
    par: Par,
) -> (f64, Col<f64>) {
    let (n, p) = (x.nrows(), x.ncols());
    let rows = chunk_rows(p);
    let chunk = |c: usize| {
        let start = c * rows;
        let m = rows.min(n - start);
        let xc = x.subrows(start, m);
        let mut pred = Col::<f64>::zeros(m);
        matmul(pred.as_mut(), Accum::Replace, xc, w, 1.0, Par::Seq);
        let mut sse = 0.0;
        for i in 0..m {
            let r = y[start + i] - pred[i].max(0.0);
            sse += r * r;
            pred[i] = r;
        }
        let mut g = Col::<f64>::zeros(if grad { p } else { 0 });
        if grad {
            matmul(
                g.as_mut(),
                Accum::Replace,
                xc.transpose(),
                pred.as_ref(),
                1.0,
                Par::Seq,
            );
        }
        (sse, g)
    };
    let parts = map_indices(n.div_ceil(rows), par, chunk);
    let mut total = (0.0, Col::zeros(if grad { p } else { 0 }));
    for (sse, g) in parts {
        total.0 += sse;
        total.1 += &g;
    }
    total
}

/// The mean squared error of `relu(⟨w, x̃⟩)` on `(x, y)`.
fn loss(x: &Mat<f64>, y: &Col<f64>, w: &Col<f64>, par: Par) -> f64 {
    residual_pass(x.as_ref(), y.as_ref(), w.as_ref(), false, par).0 / y.nrows().max(1) as f64
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
        let mut best = (loss(&xv, &yv, &w, par), w.clone(), 0);
        let (mut iters, mut converged) = (0, false);
        for t in 0..p.max_iters {
            iters = t + 1;
            let (_, direction) = residual_pass(x.as_ref(), y.as_ref(), w.as_ref(), true, par);
            let step = faer::Scale(1.0 / m) * &direction;
            w += &step;
            let l = loss(&xv, &yv, &w, par);
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
