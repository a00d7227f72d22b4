//! The runnable Jennrich algorithm (see the module docs).

use faer::{Col, ColRef, Mat, MatRef, Par};

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
    /// Relative gap between the real eigenvalues and the pairs (a pair
    /// counts once, at its real part).
    gap: f64,
    /// Complex-conjugate pairs `(j, j')` of eigenvalues.
    pairs: Vec<(usize, usize)>,
    /// Real eigenvectors; for a pair `(j, j')` columns j and j' hold an
    /// orthonormal basis `Re v_j, Im v_j` of its real invariant plane.
    vectors: Mat<f64>,
}

/// `Uᵀ T(g) U diag(β)^{−1}`.
fn pencil(
    t: &dyn SymTensor,
    u: MatRef<'_, f64>,
    beta: &[f64],
    g: ColRef<'_, f64>,
    par: Par,
) -> Result<Mat<f64>, DecompError> {
    let r = u.ncols();
    let a = u.transpose() * contract_matrix(t, g, par) * u;
    let n = Mat::from_fn(r, r, |i, j| a[(i, j)] / beta[j]);
    if (0..r).any(|j| (0..r).any(|i| !n[(i, j)].is_finite())) {
        return Err(DecompError::NonFinite {
            what: "a contraction of the tensor",
        });
    }
    Ok(n)
}

fn draw(
    t: &dyn SymTensor,
    u: MatRef<'_, f64>,
    beta: &[f64],
    g: Col<f64>,
    imag_tol: f64,
    par: Par,
) -> Result<Draw, DecompError> {
    let r = u.ncols();
    let n = pencil(t, u, beta, g.as_ref(), par)?;
    let eig = n.eigen().map_err(|_| DecompError::LinearAlgebra {
        what: "nonsymmetric eigendecomposition",
    })?;
    let mu = eig.S().column_vector();
    let scale = (0..r)
        .map(|i| mu[i].norm())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let imag_ratio = (0..r).map(|i| mu[i].im.abs()).fold(0.0, f64::max) / scale;
    // Pair each eigenvalue with Im > imag_tol · scale with its conjugate.
    let mut partner = vec![usize::MAX; r];
    let mut pairs = Vec::new();
    for j in 0..r {
        if partner[j] != usize::MAX || mu[j].im <= imag_tol * scale {
            continue;
        }
        let conj = (0..r)
            .filter(|&i| i != j && partner[i] == usize::MAX && mu[i].im < -imag_tol * scale)
            .min_by(|&a, &b| {
                (mu[a] - mu[j].conj())
                    .norm()
                    .total_cmp(&(mu[b] - mu[j].conj()).norm())
            });
        if let Some(i) = conj {
            partner[j] = i;
            partner[i] = j;
            pairs.push((j, i));
        }
    }
    let centre = |i: usize| {
        if partner[i] == usize::MAX {
            mu[i]
        } else {
            faer::c64::new(mu[i].re, 0.0)
        }
    };
    let mut gap = f64::INFINITY;
    for (i, &pi) in partner.iter().enumerate() {
        for j in i + 1..r {
            if pi != j {
                gap = gap.min((centre(i) - centre(j)).norm() / scale);
            }
        }
    }
    if r == 1 || !gap.is_finite() {
        gap = 1.0;
    }
    // Rotate each eigenvector so its largest entry is real, then keep the
    // real part (exact for a real eigenvalue up to rounding); a pair keeps
    // an orthonormal basis of its real plane instead of twice the same
    // vector.
    let v = eig.U();
    let mut vectors = Mat::from_fn(r, r, |i, j| {
        let pivot = (0..r)
            .max_by(|&a, &b| v[(a, j)].norm().total_cmp(&v[(b, j)].norm()))
            .unwrap_or(0);
        let p = v[(pivot, j)];
        let phase = p.conj() / p.norm().max(f64::MIN_POSITIVE);
        (v[(i, j)] * phase).re
    });
    for &(j, i) in &pairs {
        let re = Col::from_fn(r, |q| v[(q, j)].re);
        let im = Col::from_fn(r, |q| v[(q, j)].im);
        let (a, b) = orthonormal_pair(re, im);
        for q in 0..r {
            vectors[(q, j)] = a[q];
            vectors[(q, i)] = b[q];
        }
    }
    Ok(Draw {
        g,
        imag_ratio,
        gap,
        pairs,
        vectors,
    })
}

/// Gram–Schmidt on two vectors of a plane.
fn orthonormal_pair(a: Col<f64>, b: Col<f64>) -> (Col<f64>, Col<f64>) {
    let na = a.norm_l2().max(f64::MIN_POSITIVE);
    let a = Col::from_fn(a.nrows(), |q| a[q] / na);
    let proj = a.transpose() * &b;
    let b = Col::from_fn(b.nrows(), |q| b[q] - proj * a[q]);
    let nb = b.norm_l2().max(f64::MIN_POSITIVE);
    (a, Col::from_fn(b.nrows(), |q| b[q] / nb))
}

/// The two factors a pair split into and the restricted spectrum's gap.
type Split = (Col<f64>, Col<f64>, f64);

/// Splits the real invariant plane `[s₁ s₂]` of a complex pair: the plane
/// is spanned by two of the `v_i`, so it is invariant under every pencil
/// `A(g') B_r^{−1}`, and the 2 × 2 restriction `Sᵀ N(g') S` has the two
/// factors as eigenvectors. Fresh contractions are tried until one gives a
/// real, separated 2 × 2 spectrum (the best of `tries`); `None` if none does.
#[allow(clippy::too_many_arguments)]
fn split_pair(
    t: &dyn SymTensor,
    u: MatRef<'_, f64>,
    beta: &[f64],
    s1: ColRef<'_, f64>,
    s2: ColRef<'_, f64>,
    rng: &mut rand::rngs::ChaCha8Rng,
    tries: usize,
    par: Par,
) -> Result<Option<Split>, DecompError> {
    let r = u.ncols();
    let mut best: Option<Split> = None;
    for _ in 0..tries {
        let g = random_unit(rng, u.nrows());
        let n = pencil(t, u, beta, g.as_ref(), par)?;
        let (ns1, ns2) = (&n * s1, &n * s2);
        // The restriction M = Sᵀ N S in the orthonormal basis S = [s₁ s₂].
        let (m11, m12) = (s1.transpose() * &ns1, s1.transpose() * &ns2);
        let (m21, m22) = (s2.transpose() * &ns1, s2.transpose() * &ns2);
        let half_trace = 0.5 * (m11 + m22);
        let disc = 0.25 * (m11 - m22).powi(2) + m12 * m21;
        let spread = m11.abs() + m22.abs() + m12.abs() + m21.abs();
        if disc <= 0.0 || spread <= 0.0 {
            continue;
        }
        let root = disc.sqrt();
        let gap = 2.0 * root / spread;
        if best.as_ref().is_some_and(|b| b.2 >= gap) {
            continue;
        }
        // Eigenvectors of M for λ = half_trace ± root, each from the row of
        // M − λ I with the larger entries.
        let eigvec = |lambda: f64| -> (f64, f64) {
            let (a, b) = (m11 - lambda, m12);
            let (c, d) = (m21, m22 - lambda);
            if a.abs() + b.abs() >= c.abs() + d.abs() {
                (-b, a)
            } else {
                (-d, c)
            }
        };
        let lift = |(x, y): (f64, f64)| {
            let w = Col::from_fn(r, |q| x * s1[q] + y * s2[q]);
            let nw = w.norm_l2().max(f64::MIN_POSITIVE);
            Col::from_fn(r, |q| w[q] / nw)
        };
        best = Some((
            lift(eigvec(half_trace + root)),
            lift(eigvec(half_trace - root)),
            gap,
        ));
    }
    Ok(best)
}

/// The problem restricted to the reference's top eigenspace: the tensor,
/// the reference's top eigenvectors `U` (d × r) and their eigenvalues β, so
/// that `B_r = Uᵀ B U = diag(β)`.
struct Restricted<'a> {
    t: &'a dyn SymTensor,
    u: Mat<f64>,
    beta: Vec<f64>,
    par: Par,
}

/// The reference contraction: the hint, or a random contraction of the
/// tensor drawn from `draws_rng`; refused when not finite.
fn reference_matrix(
    t: &dyn SymTensor,
    hints: &Hints<'_>,
    draws_rng: &mut rand::rngs::ChaCha8Rng,
    notes: &mut Vec<String>,
    par: Par,
) -> Result<Mat<f64>, DecompError> {
    let d = t.dim();
    let reference = match hints.reference {
        Some(b) => b.to_owned(),
        None => {
            notes.push("reference: a random contraction of the tensor".to_owned());
            contract_matrix(t, random_unit(draws_rng, d).as_ref(), par)
        }
    };
    if (0..d).any(|j| (0..d).any(|i| !reference[(i, j)].is_finite())) {
        return Err(DecompError::NonFinite {
            what: "the reference contraction",
        });
    }
    Ok(reference)
}

impl<'a> Restricted<'a> {
    /// Restricts `t` to the top-`rank` eigenspace of the reference; refuses
    /// a reference whose rank-th eigenvalue is (numerically) zero.
    fn new(
        t: &'a dyn SymTensor,
        reference: MatRef<'_, f64>,
        rank: usize,
        notes: &mut Vec<String>,
        par: Par,
    ) -> Result<Self, DecompError> {
        let (u, spectrum) = top_eigen(reference, rank)?;
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
        Ok(Self { t, u, beta, par })
    }

    /// The best of `n_draws` random pencils (the fewest complex pairs, then
    /// the largest relative gap) and the gaps of the draws with a real
    /// spectrum.
    fn best_draw(
        &self,
        p: &JennrichParams,
        draws_rng: &mut rand::rngs::ChaCha8Rng,
        notes: &mut Vec<String>,
    ) -> Result<(Draw, Vec<f64>), DecompError> {
        let d = self.t.dim();
        let mut best: Option<Draw> = None;
        let mut gaps = Vec::new();
        let mut complex = 0;
        for _ in 0..p.n_draws {
            let g = random_unit(draws_rng, d);
            let dr = draw(self.t, self.u.as_ref(), &self.beta, g, p.imag_tol, self.par)?;
            if dr.pairs.is_empty() && dr.imag_ratio <= p.imag_tol {
                gaps.push(dr.gap);
            } else {
                complex += 1;
            }
            let better = best
                .as_ref()
                .is_none_or(|b| (dr.pairs.len(), -dr.gap) < (b.pairs.len(), -b.gap));
            if better {
                best = Some(dr);
            }
        }
        if complex > 0 {
            notes.push(format!("{complex} of {} draws had complex spectra", p.n_draws));
        }
        let Some(chosen) = best else {
            return Err(DecompError::LinearAlgebra {
                what: "no eigendecomposition succeeded",
            });
        };
        Ok((chosen, gaps))
    }

    /// Splits the complex pairs of the chosen draw (two eigenvalues too
    /// close for the noise to keep them real, whose real plane holds two
    /// factors) with fresh contractions restricted to their planes, drawn
    /// from stream 2 of `seed`; whether every pair split with a gap of at
    /// least `min_gap`.
    fn split_pairs(
        &self,
        chosen: &mut Draw,
        p: &JennrichParams,
        seed: u64,
        notes: &mut Vec<String>,
    ) -> Result<bool, DecompError> {
        let mut split_ok = true;
        if chosen.pairs.is_empty() {
            return Ok(split_ok);
        }
        let rank = self.u.ncols();
        let mut split_rng = rng(seed, 2);
        let mut split = 0;
        for &(j, i) in &chosen.pairs.clone() {
            let s1 = chosen.vectors.col(j).to_owned();
            let s2 = chosen.vectors.col(i).to_owned();
            match split_pair(
                self.t,
                self.u.as_ref(),
                &self.beta,
                s1.as_ref(),
                s2.as_ref(),
                &mut split_rng,
                p.n_draws,
                self.par,
            )? {
                Some((a, b, gap)) => {
                    split += 1;
                    split_ok &= gap >= p.min_gap;
                    for q in 0..rank {
                        chosen.vectors[(q, j)] = a[q];
                        chosen.vectors[(q, i)] = b[q];
                    }
                }
                None => split_ok = false,
            }
        }
        notes.push(format!(
            "best draw had {} complex pair(s) (|Im|/|μ| up to {:.3e}); {split} split by contractions restricted to their planes",
            chosen.pairs.len(),
            chosen.imag_ratio
        ));
        Ok(split_ok)
    }

    /// The CP model from the chosen draw's eigenvectors: factors lifted by
    /// `U` and normalised, weights fitted on probe contractions (the draw's
    /// own and fresh ones from stream 1 of `seed`), and the residual on
    /// further fresh contractions.
    fn fit_model(&self, chosen: &Draw, p: &JennrichParams, seed: u64) -> Result<(CpModel, f64), DecompError> {
        let (t, par) = (self.t, self.par);
        let (d, rank) = (t.dim(), self.u.ncols());
        let lifted = &self.u * &chosen.vectors;
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
        Ok((model, residual))
    }
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
        let mut notes = Vec::new();
        let mut draws_rng = rng(seed, 0);
        let reference = reference_matrix(t, hints, &mut draws_rng, &mut notes, par)?;
        let restricted = Restricted::new(t, reference.as_ref(), rank, &mut notes, par)?;
        let (mut chosen, gaps) = restricted.best_draw(&p, &mut draws_rng, &mut notes)?;
        let split_ok = restricted.split_pairs(&mut chosen, &p, seed, &mut notes)?;
        let converged = split_ok && chosen.gap >= p.min_gap;
        if chosen.gap < p.min_gap {
            notes.push(format!(
                "best relative eigengap {:.3e} is below min_gap {:.1e}",
                chosen.gap, p.min_gap
            ));
        }
        let (model, residual) = restricted.fit_model(&chosen, &p, seed)?;
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
