//! Random weights of the planted families: unit rows, output weights and
//! their signs, and the structured first layers (conditioned, close pairs,
//! clusters).

use faer::{Col, Mat};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;

use crate::init::haar_orthogonal;
use crate::seed::{Seed, gaussian_vec};

/// Multiplies the entries of `a` by independent random signs, flipping the
/// last one when all came out equal and there are at least two.
pub(super) fn random_signs(rng: &mut ChaCha8Rng, mut a: faer::ColMut<'_, f64>) {
    let k = a.nrows();
    let mut signs: Vec<f64> = (0..k)
        .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
        .collect();
    if k >= 2 && signs.iter().all(|&s| s == signs[0]) {
        signs[k - 1] = -signs[0];
    }
    for (i, s) in signs.iter().enumerate() {
        a[i] *= s;
    }
}

/// `k` rows uniform on the unit sphere of ℝ^d.
pub(super) fn unit_rows(rng: &mut ChaCha8Rng, k: usize, d: usize) -> Mat<f64> {
    let mut w = Mat::zeros(k, d);
    for i in 0..k {
        loop {
            let g = gaussian_vec(rng, d);
            let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 1e-12 {
                for j in 0..d {
                    w[(i, j)] = g[j] / norm;
                }
                break;
            }
        }
    }
    w
}

/// `k` output weights uniform in `[0.5, 1.5]`.
pub(super) fn positive_weights(rng: &mut ChaCha8Rng, k: usize) -> Col<f64> {
    Col::from_fn(k, |_| 0.5 + rng.random::<f64>())
}

/// `W = U diag(s) Vᵀ` with Haar factors and condition number `kappa`, rows
/// of mean squared norm 1 (see [`super::Family::Conditioned`]).
pub(super) fn conditioned_rows(k: usize, d: usize, kappa: f64, seed: Seed) -> Mat<f64> {
    let u = haar_orthogonal(k, k, seed.derive("u"));
    let v = haar_orthogonal(d, k, seed.derive("v"));
    let s: Vec<f64> = (0..k)
        .map(|i| {
            if k == 1 {
                1.0
            } else {
                kappa.powf(-(i as f64) / (k - 1) as f64)
            }
        })
        .collect();
    // Rescale so that Σ s_i² = k, i.e. the rows have mean squared norm 1.
    let scale = (k as f64 / s.iter().map(|x| x * x).sum::<f64>()).sqrt();
    Mat::from_fn(k, d, |i, j| {
        (0..k).map(|m| u[(i, m)] * scale * s[m] * v[(j, m)]).sum()
    })
}

/// Pairs of unit rows at angle `angle`, the last unpaired for odd `k` (see
/// [`super::Family::Close`]).
pub(super) fn close_pairs(rng: &mut ChaCha8Rng, k: usize, d: usize, angle: f64) -> Mat<f64> {
    let mut w = Mat::zeros(k, d);
    let (c, s) = ((angle / 2.0).cos(), (angle / 2.0).sin());
    let mut i = 0;
    while i < k {
        let pair = unit_rows(rng, 2, d);
        let u: Vec<f64> = (0..d).map(|j| pair[(0, j)]).collect();
        // v: the second random row made orthogonal to u.
        let dot: f64 = (0..d).map(|j| pair[(1, j)] * u[j]).sum();
        let mut v: Vec<f64> = (0..d).map(|j| pair[(1, j)] - dot * u[j]).collect();
        let nv = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if nv < 1e-8 {
            continue;
        }
        v.iter_mut().for_each(|x| *x /= nv);
        for j in 0..d {
            w[(i, j)] = c * u[j] + s * v[j];
        }
        if i + 1 < k {
            for j in 0..d {
                w[(i + 1, j)] = c * u[j] - s * v[j];
            }
        } else {
            // An unpaired last unit is a plain random unit row.
            for j in 0..d {
                w[(i, j)] = u[j];
            }
        }
        i += 2;
    }
    w
}

/// Groups of `r` rows within angle `angle` of each other (see
/// [`super::Family::Cluster`]).
pub(super) fn clusters(rng: &mut ChaCha8Rng, k: usize, d: usize, r: usize, angle: f64) -> Mat<f64> {
    let mut w = Mat::zeros(k, d);
    let (c, s) = ((angle / 2.0).cos(), (angle / 2.0).sin());
    let mut i = 0;
    while i < k {
        let centre = unit_rows(rng, 1, d);
        let size = r.min(k - i);
        for _ in 0..size {
            // A random unit direction orthogonal to the centre.
            let v = loop {
                let g = gaussian_vec(rng, d);
                let dot: f64 = (0..d).map(|j| g[j] * centre[(0, j)]).sum();
                let v: Vec<f64> = (0..d).map(|j| g[j] - dot * centre[(0, j)]).collect();
                let nv = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                if nv > 1e-8 {
                    break v.into_iter().map(|x| x / nv).collect::<Vec<f64>>();
                }
            };
            for j in 0..d {
                w[(i, j)] = if size == 1 {
                    centre[(0, j)]
                } else {
                    c * centre[(0, j)] + s * v[j]
                };
            }
            i += 1;
        }
    }
    w
}
