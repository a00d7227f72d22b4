//! `bounded-weight`: random projection, search in the projected space, lift.

use faer::Par;
use learners::bounded_weight::{BoundedWeightParams, Inner};
use learners::{LearnError, Learner};
use relu_net::metrics::relative_l2_error;
use relu_net::{Family, Planted, Seed};

fn teacher(dim: usize, hidden: usize) -> relu_net::Network {
    Family::Biased {
        dim,
        hidden,
        bias_range: 1.0,
    }
    .plant(Seed(3))
    .unwrap()
}

/// With d' = d = 3 the projection loses nothing, so the answer is as good as
/// the net: spacing η = 0.25 on the scaled weights (1280 net points).
/// Measured relative error 0.0055 on this seed; the test demands 0.03
/// (η = 0.5 gave 0.2 here: the error is set by the net, as the theory says). With d' = 2 < d = 10 the
/// projection loses a direction and the error is large (measured 0.90) —
/// the price of the theory's ε ~ 1/√d' — but the Levenberg–Marquardt polish
/// from the lifted network reaches the teacher (measured 8.8e-22; demanded
/// 100× that).
#[test]
fn bounded_weight_learns_in_the_projected_space() {
    let t3 = teacher(3, 1);
    let data = Planted::new(t3.clone(), 20_000, 0.0, Seed(1)).unwrap();
    let fitted = BoundedWeightParams {
        hidden: 1,
        proj_dim: 3,
        ..BoundedWeightParams::default()
    }
    .validate()
    .unwrap()
    .fit(&data, Seed(2), Par::rayon(2))
    .unwrap();
    let err = relative_l2_error(fitted.network().unwrap(), &t3, 50_000, Seed(4), Par::rayon(2))
        .unwrap()
        .relative_error;
    assert!(err <= 0.03, "relative error {err}; {:?}", fitted.report.notes);

    let t10 = teacher(10, 2);
    let data = Planted::new(t10.clone(), 20_000, 0.0, Seed(1)).unwrap();
    let plain = BoundedWeightParams::default().validate().unwrap();
    let rough = plain.fit(&data, Seed(2), Par::rayon(2)).unwrap();
    let rough_err = rough.report.validation_error.unwrap();
    assert!(
        rough_err > 0.1,
        "d' = 2 cannot see 2 units in d = 10: {rough_err}"
    );
    let polished = BoundedWeightParams {
        polish: true,
        ..BoundedWeightParams::default()
    }
    .validate()
    .unwrap()
    .fit(&data, Seed(2), Par::rayon(2))
    .unwrap();
    let err = relative_l2_error(polished.network().unwrap(), &t10, 50_000, Seed(4), Par::rayon(2))
        .unwrap()
        .relative_error;
    assert!(err <= 8.8e-20, "polished relative error {err}");
    // Determinism across threads.
    let again = plain.fit(&data, Seed(2), Par::Seq).unwrap();
    assert_eq!(again.network(), rough.network());
}

#[test]
fn bounded_weight_with_exact_erm_inside() {
    let t3 = teacher(3, 1);
    let data = Planted::new(t3, 5_000, 0.0, Seed(1)).unwrap();
    let fitted = BoundedWeightParams {
        hidden: 1,
        proj_dim: 2,
        inner: Inner::Exact,
        ..BoundedWeightParams::default()
    }
    .validate()
    .unwrap()
    .fit(&data, Seed(2), Par::rayon(2))
    .unwrap();
    // Exact ERM on 16 projected points: the training loss is the certified
    // optimum in the projected space, so it is at most the net's.
    let net = BoundedWeightParams {
        hidden: 1,
        proj_dim: 2,
        samples: 16,
        ..BoundedWeightParams::default()
    }
    .validate()
    .unwrap()
    .fit(&data, Seed(2), Par::rayon(2))
    .unwrap();
    assert!(
        fitted.report.metrics["training_loss"] <= net.report.metrics["training_loss"] + 1e-12,
        "{:?} vs {:?}",
        fitted.report.metrics,
        net.report.metrics
    );
}

#[test]
fn bounded_weight_rejects_bad_input() {
    let data = Planted::new(teacher(3, 1), 1000, 0.0, Seed(1)).unwrap();
    let too_wide = BoundedWeightParams {
        proj_dim: 4,
        ..BoundedWeightParams::default()
    }
    .validate()
    .unwrap();
    assert!(matches!(
        too_wide.fit(&data, Seed(0), Par::Seq),
        Err(LearnError::InvalidParam { name, .. }) if name == "proj_dim"
    ));
    let fine = BoundedWeightParams {
        hidden: 3,
        resolution: 0.05,
        ..BoundedWeightParams::default()
    }
    .validate()
    .unwrap();
    let err = fine.fit(&data, Seed(0), Par::Seq).unwrap_err();
    assert!(err.to_string().contains("max_candidates"), "{err}");
    for p in [
        BoundedWeightParams {
            hidden: 0,
            ..BoundedWeightParams::default()
        },
        BoundedWeightParams {
            proj_dim: 0,
            ..BoundedWeightParams::default()
        },
        BoundedWeightParams {
            resolution: 0.0,
            ..BoundedWeightParams::default()
        },
        BoundedWeightParams {
            weight_bound: f64::NAN,
            ..BoundedWeightParams::default()
        },
    ] {
        assert!(p.validate().is_err());
    }
}
