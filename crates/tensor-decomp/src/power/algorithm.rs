//! The runnable tensor power method (see the module docs).

use faer::{Col, Mat, Par};

use super::TensorPowerParams;
use crate::decomposer::{Decomposer, Hints, Report, check_problem};
use crate::error::DecompError;
use crate::fit::{contract_vector, contraction_residual, fit_weights, random_unit, rng, top_eigen};
use crate::model::CpModel;
use crate::tensor::{Deflated, SymTensor, Whitened};

/// The tensor power method with validated parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TensorPower {
    pub(super) params: TensorPowerParams,
}

impl TensorPower {
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> TensorPowerParams {
        self.params
    }

    /// Power iterations from θ; returns the last θ and whether the step
    /// fell below tol.
    fn iterate(&self, t: &dyn SymTensor, mut theta: Col<f64>, par: Par) -> (Col<f64>, bool, usize) {
        for it in 0..self.params.n_iters {
            let v = contract_vector(t, theta.as_ref(), par);
            let n = v.norm_l2();
            if !(n > 0.0 && n.is_finite()) {
                return (theta, false, it + 1);
            }
            let mut next = Col::from_fn(v.nrows(), |i| v[i] / n);
            let dot: f64 = (0..v.nrows()).map(|i| next[i] * theta[i]).sum();
            if dot < 0.0 {
                next = Col::from_fn(v.nrows(), |i| -next[i]);
            }
            let step = (&next - &theta).norm_l2();
            theta = next;
            if step < self.params.tol {
                return (theta, true, it + 1);
            }
        }
        (theta, false, self.params.n_iters)
    }
}

fn value(t: &dyn SymTensor, theta: &Col<f64>, par: Par) -> f64 {
    let v = contract_vector(t, theta.as_ref(), par);
    (0..v.nrows()).map(|i| v[i] * theta[i]).sum()
}

impl Decomposer for TensorPower {
    fn name(&self) -> &'static str {
        "tensor-power"
    }

    fn decompose(
        &self,
        t: &dyn SymTensor,
        rank: usize,
        hints: &Hints<'_>,
        seed: u64,
        par: Par,
    ) -> Result<(CpModel, Report), DecompError> {
        check_problem(t, rank, hints, 3)?;
        let p = self.params;
        let d = t.dim();
        let mut notes = Vec::new();
        // Whitening, and the map back to ℝ^d.
        let (whitened, back) = match hints.reference {
            Some(b) => {
                let (u, spectrum) = top_eigen(b, rank)?;
                let top = &spectrum[..rank];
                let positive = top.iter().all(|&s| s > 0.0);
                let negative = top.iter().all(|&s| s < 0.0);
                if !(positive || negative) {
                    return Err(DecompError::IndefiniteReference { rank });
                }
                let w = Mat::from_fn(d, rank, |i, j| u[(i, j)] / top[j].abs().sqrt());
                let back = Mat::from_fn(d, rank, |i, j| u[(i, j)] * top[j].abs().sqrt());
                notes.push("whitened with the reference's top eigenpairs".to_owned());
                (Some(Whitened::new(t, w)), Some(back))
            }
            None => (None, None),
        };
        let work: &dyn SymTensor = match &whitened {
            Some(w) => w,
            None => t,
        };
        let k = work.dim();
        let mut found: Vec<(f64, Col<f64>)> = Vec::with_capacity(rank);
        let mut all_converged = true;
        let mut total_iters = 0;
        let mut starts = rng(seed, 0);
        for comp in 0..rank {
            let defl = Deflated::new(work, &found);
            let mut best: Option<(f64, Col<f64>)> = None;
            for _ in 0..p.restarts {
                let (theta, _, its) = self.iterate(&defl, random_unit(&mut starts, k), par);
                total_iters += its;
                let lambda = value(&defl, &theta, par);
                if best.as_ref().is_none_or(|(bl, _)| lambda.abs() > bl.abs()) {
                    best = Some((lambda, theta));
                }
            }
            let (_, theta) = best.expect("at least one restart");
            let (theta, ok, its) = self.iterate(&defl, theta, par);
            total_iters += its;
            if !ok {
                notes.push(format!("component {comp}: the refinement did not reach tol"));
                all_converged = false;
            }
            let lambda = value(&defl, &theta, par);
            found.push((lambda, theta));
        }
        let eigengaps = found.iter().map(|(l, _)| l.abs()).collect();
        let thetas = Mat::from_fn(k, rank, |i, j| found[j].1[i]);
        let factors = match &back {
            Some(b) => b * &thetas,
            None => thetas,
        };
        let factors = Mat::from_fn(d, rank, |i, j| {
            factors[(i, j)] / factors.col(j).norm_l2().max(f64::MIN_POSITIVE)
        });
        let mut probe_rng = rng(seed, 1);
        let probes: Vec<Col<f64>> = (0..p.n_probes).map(|_| random_unit(&mut probe_rng, d)).collect();
        let weights = fit_weights(t, factors.as_ref(), &probes, par)?;
        let model = CpModel::new(t.order(), weights, factors)?.canonicalize();
        let fresh: Vec<Col<f64>> = (0..p.n_probes).map(|_| random_unit(&mut probe_rng, d)).collect();
        let residual = contraction_residual(t, &model, &fresh, par);
        Ok((
            model,
            Report {
                backend: self.name().to_owned(),
                n_iters: total_iters,
                residual,
                converged: all_converged,
                eigengaps,
                notes,
            },
        ))
    }
}
