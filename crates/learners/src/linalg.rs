//! The small linear algebra the learners share: one ridge-guarded solver for
//! positive semi-definite systems, least squares through it, and the noise
//! level of a symmetric moment estimate.

use faer::linalg::solvers::Solve;
use faer::{Col, Mat, MatRef, Side};

/// The Wigner-scale noise level of a symmetric d × d moment estimate:
/// a symmetric matrix of independent entries with standard deviation σ has
/// operator norm about `2 σ √d`, with σ² the mean of the entries' squared
/// standard errors. Eigenvalues of the estimate above a few times this are
/// signal.
#[must_use]
pub(crate) fn wigner_noise(est: &gaussian_moments::MatrixEstimate) -> f64 {
    let d = est.std_error.nrows();
    if d == 0 {
        return 0.0;
    }
    let se = est.std_error.as_ref();
    let mean_var = (0..d)
        .flat_map(|i| (0..d).map(move |j| (i, j)))
        .map(|(i, j)| se[(i, j)].powi(2))
        .sum::<f64>()
        / (d * d) as f64;
    2.0 * (d as f64).sqrt() * mean_var.sqrt()
}

/// Solves the symmetric positive semidefinite system `A x = b` with a small
/// ridge `eps · tr(A)/p` for stability.
pub(crate) fn solve_psd(a: MatRef<'_, f64>, b: &Col<f64>, eps: f64) -> Option<Col<f64>> {
    let p = a.nrows();
    let tr: f64 = (0..p).map(|i| a[(i, i)]).sum::<f64>() / p.max(1) as f64;
    let reg = Mat::from_fn(p, p, |i, j| {
        a[(i, j)] + if i == j { eps * tr.max(1e-300) } else { 0.0 }
    });
    let llt = reg.llt(Side::Lower).ok()?;
    let x = llt.solve(b.as_mat());
    let x = Col::from_fn(p, |i| x[(i, 0)]);
    let finite = x.iter().all(|v| v.is_finite());
    finite.then_some(x)
}

/// Solves the least-squares problem `min ‖V c − t‖` for a d × k matrix V of
/// full column rank (normal equations with a tiny ridge).
pub(crate) fn least_squares(v: MatRef<'_, f64>, t: &Col<f64>) -> Option<Col<f64>> {
    let vtv = v.transpose() * v;
    let vtt = v.transpose() * t;
    solve_psd(vtv.as_ref(), &vtt, 1e-14)
}
