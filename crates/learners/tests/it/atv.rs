//! `atv`: exact recovery from population moments, recovery from samples.

use faer::Par;
use gaussian_moments::PopulationMoments;
use learners::atv::{AtvMoments, AtvParams, ProjectedMoments};
use learners::{Learner, Report};
use relu_net::matching::match_depth2;
use relu_net::metrics::relative_l2_error;
use relu_net::{Planted, Seed};
use tensor_decomp::SymTensor;

use crate::planted;

#[test]
fn recovers_biased_depth2_from_population_moments() {
    // d = 8, k = 4: biases at 0 (the order-3 coefficient vanishes), at ±1
    // (the order-4 one vanishes) and at −0.6 (neither), output weights of
    // both signs, so every case of the order-3/order-4 mix is exercised.
    let teacher = planted(8, &[0.0, 1.0, -0.6, -1.0], &[1.0, -1.5, 0.8, 1.2], 1);
    let pop = PopulationMoments::of_depth2(&teacher).unwrap();
    let t2 = pop.tensor(2).unwrap().contract_to_matrix(&[], Par::Seq);
    let atv = AtvParams {
        hidden: Some(4),
        ..AtvParams::default()
    }
    .validate()
    .unwrap();
    let choice = atv.subspace(t2.as_ref(), 0.0).unwrap();
    assert_eq!(choice.k, 4);
    let projected = ProjectedMoments::from_population(&pop, choice.basis.as_ref()).unwrap();
    let moments = AtvMoments {
        t0: pop.order0(),
        t1: pop.order1(),
        basis: choice.basis,
        projected,
        // Population moments: no sampling noise.
        noise: [0.0; 3],
    };
    let mut report = Report::default();
    let candidates = atv.candidates(&moments, Seed(3), Par::Seq, &mut report).unwrap();
    // Every draw's order-3/2 estimate recovers every parameter, signs included.
    let exact: Vec<f64> = candidates
        .iter()
        .filter(|c| c.tag.contains("bias order3, proper"))
        .map(|c| match_depth2(&c.network, &teacher).unwrap().parameter_error())
        .collect();
    assert_eq!(exact.len(), 4);
    for e in &exact {
        assert!(*e < 1e-8, "parameter errors {exact:?}");
    }
}

#[test]
fn choosing_k_from_the_spectral_gap_finds_the_number_of_units() {
    let teacher = planted(8, &[0.3, -0.5, 0.8], &[1.0, 1.2, -0.7], 2);
    let pop = PopulationMoments::of_depth2(&teacher).unwrap();
    let t2 = pop.tensor(2).unwrap().contract_to_matrix(&[], Par::Seq);
    let atv = AtvParams::default().validate().unwrap();
    let choice = atv.subspace(t2.as_ref(), 1e-9).unwrap();
    assert_eq!(choice.k, 3, "{:?} {:?}", choice.spectrum, choice.notes);
}

#[test]
fn recovers_a_planted_network_from_samples_after_polish() {
    // d = 10, k = 4, biases in [−1, 1]: from 2·10⁵ noise-free samples the
    // moment step lands in the basin of the exact solution and the polish
    // converges: relative test error measured 3e-21, parameter error
    // 2.7e-10, the moment stage's own validation error 0.044.
    let teacher = planted(10, &[0.0, 1.0, -0.4, 0.7], &[1.2, -0.8, 0.6, 1.0], 3);
    let data = Planted::new(teacher.clone(), 200_000, 0.0, Seed(4))
        .unwrap()
        .materialize();
    let fitted = AtvParams {
        hidden: Some(4),
        ..AtvParams::default()
    }
    .validate()
    .unwrap()
    .fit(&data, Seed(5), Par::rayon(2))
    .unwrap();
    let err = relative_l2_error(
        fitted.network().unwrap(),
        &teacher,
        50_000,
        Seed(6),
        Par::rayon(2),
    )
    .unwrap();
    assert!(
        err.relative_error < 1e-19,
        "relative error {:e}; {:?}",
        err.relative_error,
        fitted.report.notes
    );
    let params = match_depth2(fitted.network().unwrap(), &teacher)
        .unwrap()
        .parameter_error();
    assert!(params < 3e-8, "parameter error {params:e}");
    assert!(fitted.report.provable_stage_error.unwrap() < 0.2);
    // Every unit stands well above the moments' noise (measured 16–40).
    let conf = &fitted.report.series["unit_moment_confidence"];
    assert!(conf.len() == 4 && conf.iter().all(|c| *c > 5.0), "{conf:?}");
}

/// A `biased` instance (d = 4, k = 4) where the best moment candidate is
/// the affine one (k + 2 units) and the polish drives the pair to
/// negligible output weights rather than to a mirror image (found through
/// the `tropical` suite's picture, where the pair cut spurious region
/// boundaries). The answer must have exactly k units (the pair is
/// dropped), with the error at rounding (measured 5.9e-31).
#[test]
fn a_negligible_affine_pair_is_dropped() {
    let teacher = relu_net::Family::Biased {
        dim: 4,
        hidden: 4,
        bias_range: 1.0,
    }
    .plant(Seed(5))
    .unwrap();
    let data = Planted::new(teacher.clone(), 100_000, 0.0, Seed(6))
        .unwrap()
        .materialize();
    // Jennrich with its own 8 contractions (atv's default is 64): on this
    // instance that draw leaves an affine pair that the polish drives to ≈ 0,
    // the path this test is about.
    let fitted = learners::atv::Atv::with_decomposer(
        AtvParams {
            hidden: Some(4),
            ..AtvParams::default()
        },
        Box::new(tensor_decomp::Jennrich::default()),
    )
    .unwrap()
    .fit(&data, Seed(7), Par::rayon(2))
    .unwrap();
    let net = fitted.network().unwrap();
    let notes = &fitted.report.notes;
    assert_eq!(net.hidden_widths(), vec![4], "{notes:?}");
    let err = relative_l2_error(net, &teacher, 20_000, Seed(8), Par::rayon(2))
        .unwrap()
        .relative_error;
    assert!(err < 1e-12, "{err:e} {notes:?}");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("dropped by backward elimination")),
        "{notes:?}"
    );
}

/// A unit with b = −2.2 (second-moment weight φ(2.2)/√2 ≈ 0.025) whose
/// `T_2` eigenvalue sits inside the noise at 2·10⁵ samples: steps 2–7 alone
/// stop at relative error 2.7e-3 (one unit spent on noise); step 8 finds the
/// unit in the residual's second moment and the fit is exact (measured
/// 3.2e-26; same on the planted seed 6, 3.4e-3 → 1.8e-26).
#[test]
fn a_unit_hidden_in_the_noise_of_t2_is_found_in_the_residual() {
    let teacher = planted(10, &[0.3, -0.5, 0.8, -2.2], &[1.0, -1.2, 0.9, 1.0], 5);
    let data = Planted::new(teacher.clone(), 200_000, 0.0, Seed(105))
        .unwrap()
        .materialize();
    let fit = |residual_units: usize| {
        AtvParams {
            hidden: Some(4),
            residual_units,
            ..AtvParams::default()
        }
        .validate()
        .unwrap()
        .fit(&data, Seed(5), Par::rayon(2))
        .unwrap()
    };
    let error = |f: &learners::Fitted| {
        relative_l2_error(f.network().unwrap(), &teacher, 50_000, Seed(6), Par::rayon(2))
            .unwrap()
            .relative_error
    };
    let without = fit(0);
    assert!(
        without
            .report
            .notes
            .iter()
            .any(|n| n.contains("may not be identifiable")),
        "{:?}",
        without.report.notes
    );
    assert!(error(&without) > 1e-4, "{:e}", error(&without));
    let with = fit(3);
    let notes = &with.report.notes;
    assert!(with.report.metrics["residual_units"] >= 1.0, "{notes:?}");
    assert_eq!(with.network().unwrap().hidden_widths(), vec![4], "{notes:?}");
    assert!(error(&with) < 1e-20, "{:e} {notes:?}", error(&with));
}

/// The "add a decomposition backend" recipe of ARCHITECTURE.md: a backend
/// defined outside the workspace's crates (here: Jennrich with 16 draws,
/// counting its calls) plugs into atv through `Atv::with_decomposer`, is
/// called for every draw of g₀, and the fit recovers the network (measured
/// 1e-25 with the built-in backend on this instance).
#[test]
fn a_backend_of_your_own_plugs_into_atv() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tensor_decomp::{CpModel, DecompError, Decomposer, Hints, Jennrich, JennrichParams};

    static CALLS: AtomicUsize = AtomicUsize::new(0);
    struct Counting(Jennrich);
    impl Decomposer for Counting {
        fn name(&self) -> &'static str {
            "counting-jennrich"
        }
        fn decompose(
            &self,
            t: &dyn SymTensor,
            rank: usize,
            hints: &Hints<'_>,
            seed: u64,
            par: Par,
        ) -> Result<(CpModel, tensor_decomp::Report), DecompError> {
            CALLS.fetch_add(1, Ordering::Relaxed);
            self.0.decompose(t, rank, hints, seed, par)
        }
    }
    let backend = Counting(
        JennrichParams {
            n_draws: 16,
            ..JennrichParams::default()
        }
        .validate()
        .unwrap(),
    );
    let teacher = planted(10, &[0.0, 1.0, -0.4, 0.7], &[1.2, -0.8, 0.6, 1.0], 3);
    let data = Planted::new(teacher.clone(), 200_000, 0.0, Seed(4))
        .unwrap()
        .materialize();
    let fitted = learners::atv::Atv::with_decomposer(
        AtvParams {
            hidden: Some(4),
            ..AtvParams::default()
        },
        Box::new(backend),
    )
    .unwrap()
    .fit(&data, Seed(5), Par::rayon(2))
    .unwrap();
    assert!(CALLS.load(Ordering::Relaxed) >= AtvParams::default().mix_draws);
    let err = relative_l2_error(
        fitted.network().unwrap(),
        &teacher,
        50_000,
        Seed(6),
        Par::rayon(2),
    )
    .unwrap()
    .relative_error;
    assert!(err < 1e-20, "{err:e} {:?}", fitted.report.notes);
}

/// A unit with output weight 0.01 among units of weight about 1, from 2·10⁴
/// samples: its weight in T_2…T_4 is inside their noise, and the report says
/// the moments alone do not identify it (its confidence below 3, the others
/// above).
#[test]
fn a_weak_unit_is_reported_as_not_identified_by_the_moments() {
    let teacher = planted(10, &[0.0, 1.0, -0.4, 0.7], &[1.2, -0.8, 0.6, 0.01], 3);
    let data = Planted::new(teacher, 20_000, 0.0, Seed(4)).unwrap().materialize();
    let fitted = AtvParams {
        hidden: Some(4),
        ..AtvParams::default()
    }
    .validate()
    .unwrap()
    .fit(&data, Seed(5), Par::Seq)
    .unwrap();
    let conf = &fitted.report.series["unit_moment_confidence"];
    assert_eq!(conf.iter().filter(|c| **c < 3.0).count(), 1, "{conf:?}");
    // Measured: 0.08 for the weak unit, 5.1–12.6 for the others.
    assert_eq!(conf.iter().filter(|c| **c > 3.0).count(), 3, "{conf:?}");
    assert!(
        fitted
            .report
            .notes
            .iter()
            .any(|n| n.contains("does not identify")),
        "{:?}",
        fitted.report.notes
    );
}
