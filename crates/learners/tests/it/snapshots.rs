//! Snapshots of canonicalised recovered parameters on fixed seeds, each
//! next to the assertion of its error bound. Rounded to 6 significant
//! digits, `-0` normalised, values below 1e-8 in magnitude (rounding noise
//! of a parameter that is 0) written as 0, iteration counts left out.

use faer::Par;
use gaussian_moments::PopulationMoments;
use learners::atv::{AtvMoments, AtvParams, ProjectedMoments};
use learners::{Learner, Report};
use relu_net::matching::{canonical_depth2, match_depth2};
use relu_net::{Network, Planted, Seed};
use tensor_decomp::SymTensor;

use crate::planted;

fn round6(x: f64) -> f64 {
    if x.abs() < 1e-8 {
        return 0.0;
    }
    let s = 10f64.powi(5 - x.abs().log10().floor() as i32);
    let r = (x * s).round() / s;
    if r == 0.0 { 0.0 } else { r }
}

/// The canonical form, rounded: (rows, biases, output weights, output bias).
fn canonical(net: &Network) -> (Vec<Vec<f64>>, Vec<f64>, Vec<f64>, f64) {
    let c = canonical_depth2(net).unwrap();
    let (k, d) = (c.w.nrows(), c.w.ncols());
    (
        (0..k)
            .map(|i| (0..d).map(|j| round6(c.w[(i, j)])).collect())
            .collect(),
        (0..k).map(|i| round6(c.b[i])).collect(),
        (0..k).map(|i| round6(c.a[i])).collect(),
        round6(c.c),
    )
}

#[test]
fn atv_population_recovery_is_stable() {
    let teacher = planted(6, &[0.0, 1.0, -0.5], &[1.0, -1.2, 0.7], 11);
    let pop = PopulationMoments::of_depth2(&teacher).unwrap();
    let atv = AtvParams {
        hidden: Some(3),
        ..AtvParams::default()
    }
    .validate()
    .unwrap();
    let choice = atv
        .subspace(
            pop.tensor(2).unwrap().contract_to_matrix(&[], Par::Seq).as_ref(),
            0.0,
        )
        .unwrap();
    let projected = ProjectedMoments::from_population(&pop, choice.basis.as_ref()).unwrap();
    let moments = AtvMoments {
        t0: pop.order0(),
        t1: pop.order1(),
        basis: choice.basis,
        projected,
        // Population moments: no sampling noise.
        noise: [0.0; 3],
    };
    let candidates = atv
        .candidates(&moments, Seed(2026), Par::Seq, &mut Report::default())
        .unwrap();
    let c = candidates
        .iter()
        .find(|c| c.tag == "draw 0, bias order3, proper")
        .unwrap();
    assert!(match_depth2(&c.network, &teacher).unwrap().parameter_error() < 1e-8);
    insta::assert_yaml_snapshot!("atv_population", canonical(&c.network));
}

#[test]
fn atv_sampled_recovery_is_stable() {
    let teacher = planted(6, &[0.4, -0.8, 0.1], &[1.1, 0.9, -0.6], 12);
    let data = Planted::new(teacher.clone(), 60_000, 0.0, Seed(13))
        .unwrap()
        .materialize();
    let fitted = AtvParams {
        hidden: Some(3),
        ..AtvParams::default()
    }
    .validate()
    .unwrap()
    .fit(&data, Seed(2026), Par::Seq)
    .unwrap();
    // Noise-free labels: the polish converges to the teacher.
    assert!(
        match_depth2(fitted.network().unwrap(), &teacher)
            .unwrap()
            .parameter_error()
            < 1e-6
    );
    insta::assert_yaml_snapshot!("atv_sampled", canonical(fitted.network().unwrap()));
}

#[test]
fn narrow_and_glmtron_recoveries_are_stable() {
    use learners::glmtron::GlmtronParams;
    use learners::narrow::NarrowParams;
    use relu_net::metrics::relative_l2_error;
    // narrow on a signed bias-free network: the snapshot is the function's
    // parameters as returned (units of the |·| form, canonicalised).
    let teacher = relu_net::Family::Signed { dim: 5, hidden: 2 }
        .plant(Seed(31))
        .unwrap();
    let data = Planted::new(teacher.clone(), 60_000, 0.0, Seed(32))
        .unwrap()
        .materialize();
    let fitted = NarrowParams {
        hidden: Some(2),
        ..NarrowParams::default()
    }
    .validate()
    .unwrap()
    .fit(&data, Seed(2026), Par::Seq)
    .unwrap();
    let net = fitted.network().unwrap();
    assert!(
        relative_l2_error(net, &teacher, 20_000, Seed(33), Par::Seq)
            .unwrap()
            .relative_error
            < 1e-6
    );
    insta::assert_yaml_snapshot!("narrow_sampled", canonical(net));
    // glmtron on a single ReLU with a bias.
    let single = planted(5, &[0.25], &[1.0], 34);
    let data = Planted::new(single.clone(), 20_000, 0.0, Seed(35))
        .unwrap()
        .materialize();
    let fitted = GlmtronParams::default()
        .validate()
        .unwrap()
        .fit(&data, Seed(2026), Par::Seq)
        .unwrap();
    assert!(
        match_depth2(fitted.network().unwrap(), &single)
            .unwrap()
            .parameter_error()
            < 1e-6
    );
    insta::assert_yaml_snapshot!("glmtron_sampled", canonical(fitted.network().unwrap()));
}

#[test]
fn exact_erm_and_bounded_weight_answers_are_stable() {
    use faer::{Col, Mat};
    use learners::bounded_weight::BoundedWeightParams;
    use learners::exact_erm::ExactErmParams;
    use relu_net::gaussian_matrix;
    // exact-erm on 12 realizable points in the plane: certified zero loss.
    let teacher = Network::depth2(
        Mat::from_fn(2, 2, |i, j| [[1.0, -0.5], [0.3, 0.9]][i][j]).as_ref(),
        Col::from_fn(2, |i| [0.2, -0.4][i]).as_ref(),
        Col::from_fn(2, |i| [1.5, -0.7][i]).as_ref(),
        0.1,
    )
    .unwrap();
    let x = gaussian_matrix(12, 2, Seed(41));
    let y = teacher.predict(x.as_ref(), Par::Seq).unwrap();
    let y: Vec<f64> = (0..12).map(|i| y[i]).collect();
    let sol = ExactErmParams::default()
        .validate()
        .unwrap()
        .solve(x.as_ref(), &y, Par::Seq)
        .unwrap();
    assert!(sol.loss <= 1e-20 && sol.certified());
    insta::assert_yaml_snapshot!("exact_erm_realizable", canonical(&sol.network));
    // bounded-weight's net search with d' = d = 3 on one biased ReLU.
    let single = planted(3, &[0.5], &[1.0], 42);
    let data = Planted::new(single.clone(), 5_000, 0.0, Seed(43))
        .unwrap()
        .materialize();
    let fitted = BoundedWeightParams {
        hidden: 1,
        proj_dim: 3,
        ..BoundedWeightParams::default()
    }
    .validate()
    .unwrap()
    .fit(&data, Seed(2026), Par::Seq)
    .unwrap();
    // The net's direction resolution (η/B = 0.25) limits the answer:
    // measured relative validation error 0.104.
    assert!(
        fitted.report.validation_error.unwrap() < 0.15,
        "{:?}",
        fitted.report.metrics
    );
    insta::assert_yaml_snapshot!("bounded_weight_net", canonical(fitted.network().unwrap()));
}
