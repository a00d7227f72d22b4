//! The runnable ALS (see the module docs).

use faer::linalg::solvers::Solve;
use faer::{Col, ColRef, Mat, MatRef, Par};

use super::AlsParams;
use crate::decomposer::{Decomposer, Hints, Report, check_problem};
use crate::error::DecompError;
use crate::fit::{contract_matrix, contraction_residual, fit_weights, random_unit, rng, top_eigen};
use crate::model::CpModel;
use crate::tensor::SymTensor;

/// ALS with validated parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Als {
    pub(super) params: AlsParams,
}

/// The outcome of one ALS run.
struct Run {
    factors: Mat<f64>,
    converged: bool,
    iters: usize,
    sigma_min: f64,
}

impl Als {
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> AlsParams {
        self.params
    }

    fn run(&self, t: &dyn SymTensor, init: Mat<f64>, par: Par) -> Result<Run, DecompError> {
        let (d, r, l) = (init.nrows(), init.ncols(), t.order());
        let mut modes: Vec<Mat<f64>> = vec![init; l];
        let mut sigma_min = f64::NAN;
        let mut converged = false;
        let mut iters = self.params.max_iters;
        for it in 0..self.params.max_iters {
            let mut step: f64 = 0.0;
            for m in 0..l {
                let mut q = Mat::zeros(d, r);
                for i in 0..r {
                    let vs: Vec<ColRef<'_, f64>> =
                        (0..l).filter(|&k| k != m).map(|k| modes[k].col(i)).collect();
                    let v = t.contract_to_vector(&vs, par);
                    for k in 0..d {
                        q[(k, i)] = v[k];
                    }
                }
                let mut g = Mat::from_fn(r, r, |_, _| 1.0);
                for (k, a) in modes.iter().enumerate() {
                    if k != m {
                        let gram = a.transpose() * a;
                        g = Mat::from_fn(r, r, |i, j| g[(i, j)] * gram[(i, j)]);
                    }
                }
                if it + 1 == self.params.max_iters || m == 0 {
                    // Reported only: the conditioning of the last sweep.
                    let sv = g.singular_values().map_err(|_| DecompError::LinearAlgebra {
                        what: "singular values of the ALS Gram matrix",
                    })?;
                    sigma_min = sv.iter().copied().fold(f64::INFINITY, f64::min);
                }
                // A_m G = Q with G symmetric: A_mᵀ = G⁻¹ Qᵀ.
                let at = g.partial_piv_lu().solve(q.transpose().to_owned());
                let mut next = Mat::zeros(d, r);
                for i in 0..r {
                    let n = at.row(i).norm_l2();
                    if !(n > 0.0 && n.is_finite()) {
                        return Ok(Run {
                            factors: modes.swap_remove(0),
                            converged: false,
                            iters: it + 1,
                            sigma_min,
                        });
                    }
                    for k in 0..d {
                        next[(k, i)] = at[(i, k)] / n;
                    }
                    let plus = (next.col(i) - modes[m].col(i)).norm_l2();
                    let minus = (next.col(i) + modes[m].col(i)).norm_l2();
                    step = step.max(plus.min(minus));
                }
                modes[m] = next;
            }
            if step < self.params.tol {
                converged = true;
                iters = it + 1;
                break;
            }
        }
        // The sign-aligned mean of the modes.
        let mut u = modes[0].clone();
        for a in &modes[1..] {
            for i in 0..r {
                let dot: f64 = (0..d).map(|k| a[(k, i)] * modes[0][(k, i)]).sum();
                let s = if dot < 0.0 { -1.0 } else { 1.0 };
                for k in 0..d {
                    u[(k, i)] += s * a[(k, i)];
                }
            }
        }
        for i in 0..r {
            let n = u.col(i).norm_l2().max(f64::MIN_POSITIVE);
            for k in 0..d {
                u[(k, i)] /= n;
            }
        }
        Ok(Run {
            factors: u,
            converged,
            iters,
            sigma_min,
        })
    }
}

fn eigen_start(m: MatRef<'_, f64>, r: usize) -> Result<Mat<f64>, DecompError> {
    Ok(top_eigen(m, r)?.0)
}

impl Decomposer for Als {
    fn name(&self) -> &'static str {
        "als"
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
        let mut starts = rng(seed, 0);
        let mut probe_rng = rng(seed, 1);
        let probes: Vec<Col<f64>> = (0..p.n_probes).map(|_| random_unit(&mut probe_rng, d)).collect();
        let fresh: Vec<Col<f64>> = (0..p.n_probes).map(|_| random_unit(&mut probe_rng, d)).collect();
        let mut best: Option<(f64, CpModel, bool)> = None;
        let (mut total_iters, mut gaps, mut notes) = (0, Vec::new(), Vec::new());
        for restart in 0..p.restarts {
            let init = if restart == 0 {
                match hints.reference {
                    Some(b) => eigen_start(b, rank)?,
                    None => eigen_start(
                        contract_matrix(t, random_unit(&mut starts, d).as_ref(), par).as_ref(),
                        rank,
                    )?,
                }
            } else {
                let cols: Vec<Col<f64>> = (0..rank).map(|_| random_unit(&mut starts, d)).collect();
                Mat::from_fn(d, rank, |i, j| cols[j][i])
            };
            let run = self.run(t, init, par)?;
            total_iters += run.iters;
            gaps.push(run.sigma_min);
            let weights = match fit_weights(t, run.factors.as_ref(), &probes, par) {
                Ok(w) => w,
                Err(_) => {
                    notes.push(format!("restart {restart}: collinear factors, discarded"));
                    continue;
                }
            };
            let model = CpModel::new(t.order(), weights, run.factors)?.canonicalize();
            let residual = contraction_residual(t, &model, &fresh, par);
            notes.push(format!(
                "restart {restart}: residual {residual:.3e}, converged: {}",
                run.converged
            ));
            let done = run.converged && residual <= p.stop_residual;
            if best.as_ref().is_none_or(|(r, _, _)| residual < *r) {
                best = Some((residual, model, run.converged));
            }
            if done {
                break;
            }
        }
        let Some((residual, model, converged)) = best else {
            return Err(DecompError::LinearAlgebra {
                what: "every ALS restart ended with collinear factors",
            });
        };
        Ok((
            model,
            Report {
                backend: self.name().to_owned(),
                n_iters: total_iters,
                residual,
                converged,
                eigengaps: gaps,
                notes,
            },
        ))
    }
}
