//! Gaussian quadrature rules by the Golub–Welsch algorithm: the nodes are
//! the eigenvalues of the Jacobi matrix of the orthogonal polynomials and
//! the weights the squared first components of its eigenvectors.
//!
//! * [`gauss_hermite`]: `E[f(t)] ≈ Σ w_i f(t_i)` for t ~ N(0, 1) (weights sum
//!   to 1), exact for polynomials of degree < 2n. Jacobi matrix: zero
//!   diagonal, off-diagonal `√k`.
//! * [`gauss_legendre`]: `∫_{−1}^{1} f ≈ Σ w_i f(t_i)`; off-diagonal
//!   `k / √(4k² − 1)`.
//!
//! For a function with a kink (a ReLU), a rule on the whole line converges
//! slowly; split the integral at the kink and use Gauss–Legendre panels, as
//! the tests of [`crate::hermite`] do.

use faer::{Mat, Side};

use crate::error::MomentError;

fn golub_welsch(
    off: impl Fn(usize) -> f64,
    n: usize,
    mass: f64,
) -> Result<(Vec<f64>, Vec<f64>), MomentError> {
    if n == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let j = Mat::from_fn(n, n, |r, c| {
        if r + 1 == c {
            off(c)
        } else if c + 1 == r {
            off(r)
        } else {
            0.0
        }
    });
    let eig = j
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| MomentError::LinearAlgebra {
            what: "Golub–Welsch eigendecomposition",
        })?;
    let s = eig.S().column_vector();
    let u = eig.U();
    let nodes = (0..n).map(|i| s[i]).collect();
    let weights = (0..n).map(|i| mass * u[(0, i)] * u[(0, i)]).collect();
    Ok((nodes, weights))
}

/// The n-point Gauss–Hermite rule for the standard Gaussian measure:
/// `(nodes, weights)`, nodes ascending, weights summing to 1.
///
/// # Errors
/// [`MomentError::LinearAlgebra`] if the eigendecomposition fails.
pub fn gauss_hermite(n: usize) -> Result<(Vec<f64>, Vec<f64>), MomentError> {
    golub_welsch(|k| (k as f64).sqrt(), n, 1.0)
}

/// The n-point Gauss–Legendre rule on [−1, 1]: `(nodes, weights)`.
///
/// # Errors
/// [`MomentError::LinearAlgebra`] if the eigendecomposition fails.
pub fn gauss_legendre(n: usize) -> Result<(Vec<f64>, Vec<f64>), MomentError> {
    golub_welsch(
        |k| {
            let k = k as f64;
            k / (4.0 * k * k - 1.0).sqrt()
        },
        n,
        2.0,
    )
}

/// `∫_a^b f` by `panels` Gauss–Legendre panels of `n` points each.
///
/// # Errors
/// As [`gauss_legendre`].
pub fn integrate(
    f: impl Fn(f64) -> f64,
    a: f64,
    b: f64,
    panels: usize,
    n: usize,
) -> Result<f64, MomentError> {
    let (t, w) = gauss_legendre(n)?;
    let width = (b - a) / panels as f64;
    let mut total = 0.0;
    for p in 0..panels {
        let lo = a + p as f64 * width;
        let mid = lo + width / 2.0;
        total += (0..n).map(|i| w[i] * f(mid + width / 2.0 * t[i])).sum::<f64>() * width / 2.0;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hermite::{h, norm_pdf, relu_coefficient};

    #[test]
    fn gauss_hermite_integrates_gaussian_moments_exactly() {
        let (t, w) = gauss_hermite(20).unwrap();
        let moment = |p: i32| t.iter().zip(&w).map(|(ti, wi)| wi * ti.powi(p)).sum::<f64>();
        // E[t^{2m}] = (2m − 1)!!.
        for (p, expected) in [(0, 1.0), (2, 1.0), (4, 3.0), (6, 15.0), (8, 105.0), (10, 945.0)] {
            assert!((moment(p) - expected).abs() < 1e-11 * expected, "E t^{p}");
        }
        assert!(moment(5).abs() < 1e-12);
    }

    #[test]
    fn relu_coefficients_agree_with_split_gauss_legendre_quadrature() {
        // E[relu(t + b) h_k(t)] = ∫_{−b}^{∞} (t + b) h_k(t) φ(t) dt, truncated
        // where φ is below 1e-80 of its peak.
        for &b in &[-3.0, -2.0, -1.0, -0.5, 0.0, 0.3, 1.0, 1.7, 3.0] {
            for k in 0..=14 {
                let q = integrate(|t| (t + b) * h(k, t) * norm_pdf(t), -b, 20.0, 80, 20).unwrap();
                let c = relu_coefficient(k, b);
                assert!(
                    (q - c).abs() < 1e-13,
                    "b = {b}, k = {k}: quadrature {q} vs closed form {c}"
                );
            }
        }
    }

    #[test]
    fn relu_coefficients_agree_with_gauss_hermite_quadrature() {
        // On the whole line the kink limits a Gauss–Hermite rule to O(1/n)
        // accuracy (4e-4 at n = 400 for k = 0, b = 0); the closed form must
        // agree to that level for every (b, k), including the orders that
        // vanish at b = 0 and b = ±1. The split Gauss–Legendre test above is
        // the precise one.
        let (t, w) = gauss_hermite(400).unwrap();
        for &b in &[-2.0, -1.0, 0.0, 0.5, 1.0, 2.0] {
            for k in 0..=10 {
                let q: f64 = t
                    .iter()
                    .zip(&w)
                    .map(|(ti, wi)| wi * (ti + b).max(0.0) * h(k, *ti))
                    .sum();
                let c = relu_coefficient(k, b);
                assert!(
                    (q - c).abs() < 1e-3,
                    "b = {b}, k = {k}: Gauss–Hermite {q} vs closed form {c}"
                );
            }
        }
    }
}
