//! Integration tests of `gaussian-moments`: one test binary.

mod bad_input;
mod brute_force;
mod convergence;
mod filtered;
mod polynomial;
mod props;
mod shards;

use relu_net::{Family, Network, Planted, Seed};

/// A biased depth-2 teacher: d = 5, k = 3.
pub fn teacher() -> Network {
    Family::Biased {
        dim: 5,
        hidden: 3,
        bias_range: 1.0,
    }
    .plant(Seed(7))
    .unwrap()
}

/// `n` samples of the teacher.
pub fn samples(n: usize, seed: u64) -> Planted {
    Planted::new(teacher(), n, 0.0, Seed(seed)).unwrap()
}
