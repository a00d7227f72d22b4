//! Integration tests of `tensor-decomp`: one test binary.

mod backends;
mod bad_input;
mod eigen;
mod props;
mod snapshots;

use faer::{Col, Mat, MatRef};
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use tensor_decomp::{CpModel, fit};

/// A d × r matrix with unit columns: random (not orthogonal) or
/// orthonormal (Gram–Schmidt).
pub fn factors(d: usize, r: usize, orthogonal: bool, seed: u64) -> Mat<f64> {
    let mut rng: ChaCha8Rng = fit::rng(seed, 99);
    let mut m = Mat::from_fn(d, r, |_, _| -> f64 { StandardNormal.sample(&mut rng) });
    for j in 0..r {
        if orthogonal {
            for _ in 0..2 {
                for p in 0..j {
                    let dot: f64 = (0..d).map(|i| m[(i, p)] * m[(i, j)]).sum();
                    for i in 0..d {
                        m[(i, j)] -= dot * m[(i, p)];
                    }
                }
            }
        }
        let n = m.col(j).norm_l2();
        for i in 0..d {
            m[(i, j)] /= n;
        }
    }
    m
}

/// A planted CP model with the given weights.
pub fn planted(order: usize, d: usize, weights: &[f64], orthogonal: bool, seed: u64) -> CpModel {
    let r = weights.len();
    CpModel::new(
        order,
        Col::from_fn(r, |i| weights[i]),
        factors(d, r, orthogonal, seed),
    )
    .unwrap()
}

/// `Σ_i ρ_i u_i u_iᵀ` for the factors of `m`.
pub fn reference(m: &CpModel, rho: &[f64]) -> Mat<f64> {
    let u = m.factors();
    Mat::from_fn(m.dim(), m.dim(), |a, b| {
        (0..m.rank()).map(|i| rho[i] * u[(a, i)] * u[(b, i)]).sum()
    })
}

/// The largest factor error `min_s ‖u_i − s u*_j‖` and the largest weight
/// error (relative to max |λ*|) after optimal matching.
pub fn errors(found: &CpModel, truth: &CpModel) -> (f64, f64) {
    let m = truth.match_factors(found).unwrap();
    let (ut, uf): (MatRef<'_, f64>, MatRef<'_, f64>) = (truth.factors(), found.factors());
    let d = truth.dim();
    let scale = (0..truth.rank())
        .map(|i| truth.weights()[i].abs())
        .fold(0.0, f64::max);
    let mut dir: f64 = 0.0;
    for &(i, j) in &m.pairs {
        let plus: f64 = (0..d)
            .map(|k| (ut[(k, i)] - uf[(k, j)]).powi(2))
            .sum::<f64>()
            .sqrt();
        let minus: f64 = (0..d)
            .map(|k| (ut[(k, i)] + uf[(k, j)]).powi(2))
            .sum::<f64>()
            .sqrt();
        dir = dir.max(plus.min(minus));
    }
    assert_eq!(m.pairs.len(), truth.rank().min(found.rank()));
    (dir, m.max_weight_error() / scale)
}
