//! Integration tests of `learners`: one test binary.

mod atv;
mod bad_input;
mod bounded_weight;
mod ckm;
mod determinism;
mod docs;
mod exact_erm;
mod gd;
mod kernels;
mod matrix;
mod narrow;
mod refine;
mod robust;
mod snapshots;
mod what_to_do;

use faer::{Col, Mat};
use relu_net::{Network, Seed, gaussian_matrix};

/// A depth-2 network with random unit rows and the given biases and output
/// weights.
pub fn planted(d: usize, b: &[f64], a: &[f64], seed: u64) -> Network {
    let k = b.len();
    let g = gaussian_matrix(k, d, Seed(seed));
    let w = Mat::from_fn(k, d, |i, j| {
        let n = (0..d).map(|c| g[(i, c)].powi(2)).sum::<f64>().sqrt();
        g[(i, j)] / n
    });
    Network::depth2(
        w.as_ref(),
        Col::from_fn(k, |i| b[i]).as_ref(),
        Col::from_fn(k, |i| a[i]).as_ref(),
        0.0,
    )
    .unwrap()
}

/// `clean` with every 100th label replaced by ±100 label standard
/// deviations, alternating in sign: 1 % gross outliers.
pub fn with_outliers(clean: &relu_net::InMemory) -> relu_net::InMemory {
    let y = clean.y();
    let n = y.nrows();
    let mean = y.iter().sum::<f64>() / n as f64;
    let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    let dirty = Col::from_fn(n, |i| match (i % 100, (i / 100) % 2) {
        (37, 0) => 100.0 * sd,
        (37, _) => -100.0 * sd,
        _ => y[i],
    });
    relu_net::InMemory::new(clean.x().to_owned(), dirty).unwrap()
}
