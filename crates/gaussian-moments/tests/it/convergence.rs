//! Empirical moments converge to the population moments at the n^{-1/2}
//! rate, within their own standard errors.

use faer::{Col, Par};
use gaussian_moments::{
    EmpiricalTensor, Estimator, PopulationMoments, first_moment, label_mean, matrix_contractions,
    second_moment,
};
use tensor_decomp::{Decomposer, Hints, Jennrich, SymTensor, fit::contract_matrix};

use crate::{samples, teacher};

/// Largest |estimate − truth| / standard error over the entries.
fn max_z(est: &[f64], se: &[f64], truth: &[f64]) -> f64 {
    est.iter()
        .zip(se)
        .zip(truth)
        .map(|((e, s), t)| (e - t).abs() / s)
        .fold(0.0, f64::max)
}

#[test]
fn estimates_are_within_their_standard_errors_of_the_population_moments() {
    // With ~80 entries in all, each |z| < 5 fails with probability < 1e-4;
    // fixed seeds make the test deterministic.
    let pop = PopulationMoments::of_depth2(&teacher()).unwrap();
    let src = samples(60_000, 11);
    let est = Estimator::default();
    let m0 = label_mean(&src, &est, Par::Seq).unwrap();
    assert!((m0.mean - pop.order0()).abs() < 5.0 * m0.std_error);
    let m1 = first_moment(&src, &est, Par::Seq).unwrap();
    let p1 = pop.order1();
    assert!(
        max_z(
            &(0..5).map(|i| m1.mean[i]).collect::<Vec<_>>(),
            &(0..5).map(|i| m1.std_error[i]).collect::<Vec<_>>(),
            &(0..5).map(|i| p1[i]).collect::<Vec<_>>()
        ) < 5.0
    );
    let g = Col::from_fn(5, |i| [0.4, -0.3, 0.5, 0.2, -0.6][i]);
    for l in 2..=5 {
        let t = pop.tensor(l).unwrap();
        let gs = if l == 2 { vec![] } else { vec![g.clone()] };
        let m = matrix_contractions(&src, l, &gs, &est, Par::rayon(2))
            .unwrap()
            .remove(0);
        let truth = if l == 2 {
            t.contract_to_matrix(&[], Par::Seq)
        } else {
            contract_matrix(&t, g.as_ref(), Par::Seq)
        };
        let flat = |a: &faer::Mat<f64>| (0..25).map(|k| a[(k / 5, k % 5)]).collect::<Vec<f64>>();
        let z = max_z(&flat(&m.mean), &flat(&m.std_error), &flat(&truth));
        assert!(z < 5.0, "order {l}: max |z| = {z}");
    }
}

#[test]
fn standard_errors_shrink_like_one_over_root_n() {
    let est = Estimator::default();
    let small = second_moment(&samples(20_000, 3), &est, Par::Seq).unwrap();
    let large = second_moment(&samples(80_000, 4), &est, Par::Seq).unwrap();
    // Mean ratio over entries: 1/2 up to the batch-means noise of SE estimates
    // (78 and 312 batches: relative error ~ 1/√(2B) ≈ 8% and 4%).
    let ratio: f64 = (0..25)
        .map(|k| large.std_error[(k / 5, k % 5)] / small.std_error[(k / 5, k % 5)])
        .sum::<f64>()
        / 25.0;
    assert!((ratio - 0.5).abs() < 0.06, "SE ratio {ratio}");
}

#[test]
fn jennrich_recovers_the_directions_from_population_and_empirical_moments() {
    let net = teacher();
    let pop = PopulationMoments::of_depth2(&net).unwrap();
    let truth = pop.tensor(3).unwrap();
    let t2 = pop.tensor(2).unwrap().contract_to_matrix(&[], Par::Seq);
    let hints = Hints {
        reference: Some(t2.as_ref()),
    };
    let (found, report) = Jennrich::default()
        .decompose(&pop.tensor(3).unwrap(), 3, &hints, 1, Par::Seq)
        .unwrap();
    assert!(
        report.converged && truth.match_factors(&found).unwrap().min_congruence() > 1.0 - 1e-12,
        "{report:?}"
    );
    // From 4·10⁵ samples: the contraction noise is ~ 1/√n relative to
    // coefficients of order 0.1, so congruence above 0.99 is expected.
    let src = samples(400_000, 5);
    let est = Estimator::default();
    let emp2 = second_moment(&src, &est, Par::rayon(2)).unwrap().mean;
    let tensor = EmpiricalTensor::new(&src, 3, est).unwrap();
    let hints = Hints {
        reference: Some(emp2.as_ref()),
    };
    let (found, report) = Jennrich::default()
        .decompose(&tensor, 3, &hints, 1, Par::rayon(2))
        .unwrap();
    let c = truth.match_factors(&found).unwrap().min_congruence();
    assert!(c > 0.99, "congruence {c}, {report:?}");
}
