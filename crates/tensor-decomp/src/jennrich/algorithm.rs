//! The runnable Jennrich algorithm (see the module docs).

use faer::{Col, Mat, MatRef, Par};

use super::JennrichParams;
use crate::decomposer::{Decomposer, Hints, Report, check_problem};
use crate::error::DecompError;
use crate::fit::{contract_matrix, contraction_residual, fit_weights, random_unit, rng, top_eigen};
use crate::model::CpModel;
use crate::tensor::SymTensor;

/// Jennrich's algorithm with validated parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Jennrich {
    pub(super) params: JennrichParams,
}

/// One random draw: the spectrum of `A B_r^{−1}` and its quality.
struct Draw {
    g: Col<f64>,
    imag_ratio: f64,
    gap: f64,
    vectors: Mat<f64>,
}

fn draw(
    t: &dyn SymTensor,
    u: MatRef<'_, f64>,
    beta: &[f64],
    g: Col<f64>,
    par: Par,
) -> Result<Draw, DecompError> {
    let r = u.ncols();
    let a = u.transpose() * contract_matrix(t, g.as_ref(), par) * u;
    let n = Mat::from_fn(r, r, |i, j| a[(i, j)] / beta[j]);
    if (0..r).any(|j| (0..r).any(|i| !n[(i, j)].is_finite())) {
        return Err(DecompError::NonFinite {
            what: "a contraction of the tensor",
        });
    }
    let eig = n.eigen().map_err(|_| DecompError::LinearAlgebra {
        what: "nonsymmetric eigendecomposition",
    })?;
    let mu = eig.S().column_vector();
    let scale = (0..r)
        .map(|i| mu[i].norm())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let imag_ratio = (0..r).map(|i| mu[i].im.abs()).fold(0.0, f64::max) / scale;
    let mut gap = f64::INFINITY;
    for i in 0..r {
        for j in i + 1..r {
            gap = gap.min((mu[i] - mu[j]).norm() / scale);
        }
    }
    if r == 1 {
        gap = 1.0;
    }
    // Rotate each complex eigenvector so its largest entry is real, then keep
    // the real part (exact for a real eigenvalue up to rounding).
    let v = eig.U();
    let vectors = Mat::from_fn(r, r, |i, j| {
        let pivot = (0..r)
            .max_by(|&a, &b| v[(a, j)].norm().total_cmp(&v[(b, j)].norm()))
            .unwrap_or(0);
        let p = v[(pivot, j)];
        let phase = p.conj() / p.norm().max(f64::MIN_POSITIVE);
        (v[(i, j)] * phase).re
    });
    Ok(Draw {
        g,
        imag_ratio,
        gap,
        vectors,
    })
}

impl Jennrich {
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> JennrichParams {
        self.params
    }
}

impl Decomposer for Jennrich {
    fn name(&self) -> &'static str {
        "jennrich"
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
        let mut draws_rng = rng(seed, 0);
        let reference = match hints.reference {
            Some(b) => b.to_owned(),
            None => {
                notes.push("reference: a random contraction of the tensor".to_owned());
                contract_matrix(t, random_unit(&mut draws_rng, d).as_ref(), par)
            }
        };
        if (0..d).any(|j| (0..d).any(|i| !reference[(i, j)].is_finite())) {
            return Err(DecompError::NonFinite {
                what: "the reference contraction",
            });
        }
        let (u, spectrum) = top_eigen(reference.as_ref(), rank)?;
        // U holds eigenvectors of the reference, so B_r = Uᵀ B U = diag(β).
        let beta: Vec<f64> = spectrum[..rank].to_vec();
        let largest = spectrum.first().map_or(0.0, |v| v.abs());
        let subspace_gap = spectrum.get(rank).map_or(f64::INFINITY, |next| {
            spectrum[rank - 1].abs() / next.abs().max(f64::MIN_POSITIVE)
        });
        notes.push(format!(
            "reference: |eigenvalue {rank}| / |eigenvalue {}| = {subspace_gap:.3e}",
            rank + 1
        ));
        if spectrum[rank - 1].abs() <= 1e-12 * largest || spectrum[rank - 1].is_nan() {
            let found = spectrum.iter().filter(|s| s.abs() > 1e-12 * largest).count();
            return Err(DecompError::RankDeficient { rank, found });
        }
        let mut best: Option<Draw> = None;
        let mut fallback: Option<Draw> = None;
        let mut gaps = Vec::new();
        let mut complex = 0;
        for _ in 0..p.n_draws {
            let g = random_unit(&mut draws_rng, d);
            let dr = draw(t, u.as_ref(), &beta, g, par)?;
            if dr.imag_ratio <= p.imag_tol {
                gaps.push(dr.gap);
                if best.as_ref().is_none_or(|b| dr.gap > b.gap) {
                    best = Some(dr);
                }
            } else {
                complex += 1;
                if fallback.as_ref().is_none_or(|f| dr.imag_ratio < f.imag_ratio) {
                    fallback = Some(dr);
                }
            }
        }
        if complex > 0 {
            notes.push(format!(
                "{complex} of {} draws had complex spectra and were rejected",
                p.n_draws
            ));
        }
        let real_found = best.is_some();
        let chosen = match best.or(fallback) {
            Some(c) => c,
            None => {
                return Err(DecompError::LinearAlgebra {
                    what: "no eigendecomposition succeeded",
                });
            }
        };
        if !real_found {
            notes.push(format!(
                "no draw had a real spectrum (best |Im|/|μ| = {:.3e}); using real parts",
                chosen.imag_ratio
            ));
        }
        let converged = real_found && chosen.gap >= p.min_gap;
        if real_found && chosen.gap < p.min_gap {
            notes.push(format!(
                "best relative eigengap {:.3e} is below min_gap {:.1e}",
                chosen.gap, p.min_gap
            ));
        }
        let lifted = &u * &chosen.vectors;
        let factors = Mat::from_fn(d, rank, |i, j| {
            lifted[(i, j)] / lifted.col(j).norm_l2().max(f64::MIN_POSITIVE)
        });
        let mut probes = vec![chosen.g.clone()];
        let mut probe_rng = rng(seed, 1);
        probes.extend((1..p.n_probes).map(|_| random_unit(&mut probe_rng, d)));
        let weights = fit_weights(t, factors.as_ref(), &probes, par)?;
        let model = CpModel::new(t.order(), weights, factors)?.canonicalize();
        let fresh: Vec<Col<f64>> = (0..p.n_probes).map(|_| random_unit(&mut probe_rng, d)).collect();
        let residual = contraction_residual(t, &model, &fresh, par);
        Ok((
            model,
            Report {
                backend: self.name().to_owned(),
                n_iters: p.n_draws,
                residual,
                converged,
                eigengaps: gaps,
                notes,
            },
        ))
    }
}
