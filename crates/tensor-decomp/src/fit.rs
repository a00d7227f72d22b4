//! Shared numerics of the backends: random unit vectors, least-squares CP
//! weights for given factors, and residuals measured on contractions.

use faer::{Col, ColRef, Mat, MatRef, Par, Side};
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::DecompError;
use crate::tensor::SymTensor;

/// A ChaCha8 generator for `seed`, positioned on stream `stream` (so that
/// sub-tasks of one decomposition draw independent numbers).
#[must_use]
pub fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// A uniformly random unit vector of ℝ^d.
pub fn random_unit(rng: &mut ChaCha8Rng, d: usize) -> Col<f64> {
    loop {
        let g = Col::from_fn(d, |_| -> f64 { StandardNormal.sample(&mut *rng) });
        let n = g.norm_l2();
        if n > 1e-12 {
            return Col::from_fn(d, |i| g[i] / n);
        }
    }
}

/// `T(g, …, g, ·, ·)` with l − 2 copies of g.
#[must_use]
pub fn contract_matrix(t: &dyn SymTensor, g: ColRef<'_, f64>, par: Par) -> Mat<f64> {
    let vs = vec![g; t.order() - 2];
    t.contract_to_matrix(&vs, par)
}

/// `T(g, …, g, ·)` with l − 1 copies of g.
#[must_use]
pub fn contract_vector(t: &dyn SymTensor, g: ColRef<'_, f64>, par: Par) -> Col<f64> {
    let vs = vec![g; t.order() - 1];
    t.contract_to_vector(&vs, par)
}

/// The weights λ minimising `Σ_g ‖T(g^{l−2}, ·, ·) − Σ_i λ_i ⟨u_i, g⟩^{l−2} u_i u_iᵀ‖_F²`
/// over the probe vectors `probes`, for unit factors `u` (columns).
///
/// With `c_i(g) = ⟨u_i, g⟩^{l−2}` the normal equations are
/// `Σ_g c_i c_j ⟨u_i, u_j⟩² λ_j = Σ_g c_i u_iᵀ T(g) u_i`.
///
/// # Errors
/// [`DecompError::LinearAlgebra`] if the normal equations are singular
/// (collinear factors, or probes orthogonal to a factor).
pub fn fit_weights(
    t: &dyn SymTensor,
    u: MatRef<'_, f64>,
    probes: &[Col<f64>],
    par: Par,
) -> Result<Col<f64>, DecompError> {
    let (d, r, l) = (u.nrows(), u.ncols(), t.order());
    let gram = u.transpose() * u;
    let mut a = Mat::<f64>::zeros(r, r);
    let mut b = Col::<f64>::zeros(r);
    let no_probe = [Col::zeros(d)];
    let probes = if l == 2 { &no_probe[..] } else { probes };
    for g in probes {
        let m = if l == 2 {
            t.contract_to_matrix(&[], par)
        } else {
            contract_matrix(t, g.as_ref(), par)
        };
        let c: Vec<f64> = (0..r)
            .map(|i| {
                if l == 2 {
                    1.0
                } else {
                    (0..d).map(|k| u[(k, i)] * g[k]).sum::<f64>().powi(l as i32 - 2)
                }
            })
            .collect();
        let mu = &m * u;
        for i in 0..r {
            b[i] += c[i] * (0..d).map(|k| u[(k, i)] * mu[(k, i)]).sum::<f64>();
            for j in 0..r {
                a[(i, j)] += c[i] * c[j] * gram[(i, j)] * gram[(i, j)];
            }
        }
    }
    solve_spd(a.as_ref(), b.as_ref())
}

/// The r eigenvectors of a symmetric matrix (symmetrised first) with the
/// largest |eigenvalue|, and all eigenvalues sorted by decreasing magnitude.
///
/// # Errors
/// [`DecompError::LinearAlgebra`] if the eigendecomposition fails.
pub fn top_eigen(m: MatRef<'_, f64>, r: usize) -> Result<(Mat<f64>, Vec<f64>), DecompError> {
    let sym = Mat::from_fn(m.nrows(), m.ncols(), |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
    let eig = sym
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| DecompError::LinearAlgebra {
            what: "symmetric eigendecomposition of the reference",
        })?;
    let s = eig.S().column_vector();
    let mut order: Vec<usize> = (0..s.nrows()).collect();
    order.sort_by(|&a, &b| s[b].abs().total_cmp(&s[a].abs()).then(a.cmp(&b)));
    let u = eig.U();
    let top = Mat::from_fn(m.nrows(), r, |i, j| u[(i, order[j])]);
    Ok((top, order.iter().map(|&k| s[k]).collect()))
}

/// Solves a symmetric positive (semi)definite system by its eigendecomposition,
/// refusing it when numerically singular.
pub(crate) fn solve_spd(a: MatRef<'_, f64>, b: ColRef<'_, f64>) -> Result<Col<f64>, DecompError> {
    let eig = a
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| DecompError::LinearAlgebra {
            what: "eigendecomposition of the normal equations",
        })?;
    let s = eig.S().column_vector();
    let v = eig.U();
    let n = s.nrows();
    let smax = (0..n).map(|i| s[i].abs()).fold(0.0, f64::max);
    if n > 0 && (0..n).any(|i| s[i] <= 1e-13 * smax) {
        return Err(DecompError::LinearAlgebra {
            what: "singular normal equations for the weights (collinear factors?)",
        });
    }
    let vtb = v.transpose() * b;
    let scaled = Col::from_fn(n, |i| vtb[i] / s[i]);
    Ok(v * scaled)
}

/// The relative residual `√(Σ_g ‖T(g) − M(g)‖_F² / Σ_g ‖T(g)‖_F²)` of a
/// model M against T on the matrix contractions at `probes`.
#[must_use]
pub fn contraction_residual(t: &dyn SymTensor, model: &dyn SymTensor, probes: &[Col<f64>], par: Par) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    let single = t.order() == 2;
    for g in probes {
        let (a, m) = if single {
            (t.contract_to_matrix(&[], par), model.contract_to_matrix(&[], par))
        } else {
            (
                contract_matrix(t, g.as_ref(), par),
                contract_matrix(model, g.as_ref(), par),
            )
        };
        num += (&a - &m).squared_norm_l2();
        den += a.squared_norm_l2();
        if single {
            break;
        }
    }
    if den > 0.0 {
        (num / den).sqrt()
    } else if num > 0.0 {
        f64::INFINITY
    } else {
        0.0
    }
}
