//! faer's nonsymmetric eigensolver is accurate enough for Jennrich.

use faer::linalg::solvers::Solve;
use faer::{Col, Mat};

use crate::factors;

#[test]
fn nonsymmetric_eigensolver_recovers_known_spectra() {
    // N = V diag(μ) V⁻¹ with unit-column V of condition number ~10–100 and
    // eigenvalues 0.1 apart; eigenvalues to 1e-11 (relative to max |μ|),
    // eigenvectors to 1e-9 (times cond(V)).
    for (r, seed) in [(5, 1u64), (10, 2), (20, 3)] {
        let v = factors(r, r, false, seed);
        let mu: Vec<f64> = (0..r)
            .map(|i| 1.0 + 0.1 * i as f64 * if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let vinv = v.partial_piv_lu().solve(Mat::<f64>::identity(r, r));
        let n = &v * Mat::from_fn(r, r, |i, j| if i == j { mu[i] } else { 0.0 }) * &vinv;
        let eig = n.eigen().unwrap();
        let s = eig.S().column_vector();
        let u = eig.U();
        let cond = v.singular_values().unwrap().iter().copied().fold(0.0, f64::max)
            / v.singular_values()
                .unwrap()
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
        for (i, m) in mu.iter().enumerate() {
            let k = (0..r)
                .min_by(|&a, &b| (s[a].re - m).abs().total_cmp(&(s[b].re - m).abs()))
                .unwrap();
            assert!(
                (s[k].re - m).abs() < 1e-11 * 2.0 && s[k].im.abs() < 1e-11,
                "r = {r}: μ = {m}, got {:?}",
                s[k]
            );
            // Eigenvector k ∥ column i of V.
            let col = Col::from_fn(r, |a| u[(a, k)].re);
            let nrm = col.norm_l2();
            let dot: f64 = (0..r).map(|a| col[a] * v[(a, i)]).sum::<f64>() / nrm;
            let err = (1.0 - dot.abs()).max(0.0).sqrt();
            assert!(
                err < 1e-9 * cond,
                "r = {r}, eigenvector {i}: error {err:e} (cond {cond:.1})"
            );
        }
    }
}
