//! Bad input: typed errors, never panics.

use faer::{Col, Mat, Par};
use learners::atv::AtvParams;
use learners::gd::GdParams;
use learners::{LearnError, Learner};
use relu_net::{InMemory, Planted, Seed, gaussian_matrix};

use crate::planted;

#[test]
fn atv_rejects_bad_requests_and_data() {
    let teacher = planted(4, &[0.1, 0.2], &[1.0, 1.0], 1);
    let data = Planted::new(teacher.clone(), 5000, 0.0, Seed(2))
        .unwrap()
        .materialize();
    let fit = |p: AtvParams, src: &dyn relu_net::SampleSource| {
        p.validate().and_then(|a| a.fit(src, Seed(1), Par::Seq))
    };
    assert!(matches!(
        fit(
            AtvParams {
                hidden: Some(5),
                ..AtvParams::default()
            },
            &data
        ),
        Err(LearnError::HiddenTooLarge {
            hidden: 5,
            dim: 4,
            ..
        })
    ));
    assert!(matches!(
        AtvParams {
            hidden: Some(0),
            ..AtvParams::default()
        }
        .validate(),
        Err(LearnError::InvalidParam { .. })
    ));
    // A string parameter is printed as given, not as a number.
    let err = AtvParams {
        decomposer: "nope".into(),
        ..AtvParams::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "atv: parameter `decomposer` = \"nope\" is invalid: it must be one of tensor_decomp::BACKENDS"
    );
    let few = Planted::new(teacher, 100, 0.0, Seed(2)).unwrap();
    assert!(matches!(
        fit(
            AtvParams {
                hidden: Some(2),
                ..AtvParams::default()
            },
            &few
        ),
        Err(LearnError::TooFewSamples { .. })
    ));
    let constant = InMemory::new(gaussian_matrix(5000, 4, Seed(3)), Col::from_fn(5000, |_| 2.0)).unwrap();
    assert!(matches!(
        fit(AtvParams::default(), &constant),
        Err(LearnError::ConstantLabels { value: 2.0 })
    ));
    // Pure noise labels: nothing stands above the noise.
    let noise = gaussian_matrix(20_000, 5, Seed(4));
    let src = InMemory::new(
        Mat::from_fn(20_000, 4, |i, j| noise[(i, j)]),
        Col::from_fn(20_000, |i| noise[(i, 4)]),
    )
    .unwrap();
    assert!(matches!(
        fit(AtvParams::default(), &src),
        Err(LearnError::Unidentifiable { .. })
    ));
}

#[test]
fn atv_reports_near_duplicate_units() {
    // Two units 1e-6 apart in direction: not identifiable; an error or a
    // report entry, never a panic.
    let mut teacher = planted(5, &[0.2, 0.2, -0.3], &[1.0, 1.0, 0.8], 5);
    let p = teacher.as_depth2().unwrap();
    let w = Mat::from_fn(3, 5, |i, j| {
        if i == 1 {
            p.w[(0, j)] + if j == 0 { 1e-6 } else { 0.0 }
        } else {
            p.w[(i, j)]
        }
    });
    teacher = relu_net::Network::depth2(
        w.as_ref(),
        p.b.to_owned().as_ref(),
        Col::from_fn(3, |i| p.a[i]).as_ref(),
        0.0,
    )
    .unwrap();
    let data = Planted::new(teacher, 20_000, 0.0, Seed(6)).unwrap().materialize();
    let atv = AtvParams {
        hidden: Some(3),
        polish: false,
        ..AtvParams::default()
    }
    .validate()
    .unwrap();
    match atv.fit(&data, Seed(1), Par::Seq) {
        Err(LearnError::Unidentifiable { .. }) => {}
        Err(e) => panic!("unexpected error {e}"),
        Ok(f) => assert!(
            !f.report.notes.is_empty(),
            "a fit of an unidentifiable instance must say so"
        ),
    }
}

#[test]
fn gd_rejects_bad_parameters() {
    assert!(
        GdParams {
            hidden: Some(vec![]),
            ..GdParams::default()
        }
        .validate()
        .is_err()
    );
    assert!(
        GdParams {
            hidden: Some(vec![3, 0]),
            ..GdParams::default()
        }
        .validate()
        .is_err()
    );
    assert!(
        GdParams {
            learning_rate: -1.0,
            ..GdParams::default()
        }
        .validate()
        .is_err()
    );
    assert!(matches!(
        learners::learner("nope", None),
        Err(LearnError::UnknownLearner { .. })
    ));
}

/// The polish settings nested in a learner's parameters are validated with
/// the learner's, and named by their path.
#[test]
fn nested_polish_parameters_are_validated() {
    use learners::polish::PolishParams;
    let bad = [
        PolishParams {
            flop_budget: -1.0,
            ..PolishParams::default()
        },
        PolishParams {
            rel_tol: f64::NAN,
            ..PolishParams::default()
        },
        PolishParams {
            max_iters: 0,
            ..PolishParams::default()
        },
    ];
    for polish in bad {
        let err = AtvParams {
            polish_params: polish,
            ..AtvParams::default()
        }
        .validate()
        .unwrap_err();
        assert!(
            matches!(&err, LearnError::InvalidParam { name, .. } if name.starts_with("polish_params.")),
            "{err}"
        );
        let spec = learners::LearnerSpec::Ckm(learners::ckm::CkmParams {
            final_polish: polish,
            ..learners::ckm::CkmParams::default()
        });
        assert!(spec.build().is_err());
    }
}

/// The registry: `hidden` is rejected by learners without hidden units,
/// parameters come from JSON with defaults for missing fields, and unknown
/// fields are named.
#[test]
fn the_registry_builds_every_learner_and_says_what_hidden_means() {
    use learners::{LEARNERS, LearnerSpec};
    for &id in LEARNERS {
        let spec = LearnerSpec::defaults(id).unwrap();
        assert_eq!(spec.id(), id);
        let with = spec.clone().with_hidden(Some(3));
        assert_eq!(with.is_ok(), spec.takes_hidden(), "{id}");
        assert!(spec.build().is_ok(), "{id}");
    }
    // `takes_hidden` is derived from `with_hidden`, so the loop above checks
    // consistency only; which learners have no hidden units is stated here.
    let without: Vec<&str> = LEARNERS
        .iter()
        .copied()
        .filter(|id| !LearnerSpec::defaults(id).unwrap().takes_hidden())
        .collect();
    assert_eq!(without, ["kernel", "glmtron", "alphatron"]);
    let ckm = LearnerSpec::from_params("ckm", serde_json::json!({ "widths": [2, 2, 2] }))
        .unwrap()
        .with_hidden(Some(4))
        .unwrap();
    match ckm {
        LearnerSpec::Ckm(p) => assert_eq!(p.widths, vec![4, 4, 4]),
        other => panic!("{other:?}"),
    }
    let err = LearnerSpec::from_params("atv", serde_json::json!({ "hiden": 3 })).unwrap_err();
    assert!(err.to_string().contains("hiden"), "{err}");
    let Err(err) = learners::learner("kernel", Some(3)) else {
        panic!("kernel took --hidden")
    };
    assert!(err.to_string().contains("leave out --hidden"), "{err}");
}

#[test]
fn narrow_rejects_bad_parameters_and_data() {
    use learners::narrow::NarrowParams;
    assert!(
        NarrowParams {
            hidden: Some(0),
            ..NarrowParams::default()
        }
        .validate()
        .is_err()
    );
    assert!(
        NarrowParams {
            max_order: 7,
            ..NarrowParams::default()
        }
        .validate()
        .is_err()
    );
    assert!(
        NarrowParams {
            resolution: 2.0,
            ..NarrowParams::default()
        }
        .validate()
        .is_err()
    );
    let constant = InMemory::new(gaussian_matrix(5000, 3, Seed(3)), Col::from_fn(5000, |_| -1.0)).unwrap();
    let n = NarrowParams::default().validate().unwrap();
    assert!(matches!(
        n.fit(&constant, Seed(1), Par::Seq),
        Err(LearnError::ConstantLabels { .. })
    ));
    let few = InMemory::new(gaussian_matrix(50, 3, Seed(3)), Col::from_fn(50, |i| i as f64)).unwrap();
    assert!(matches!(
        n.fit(&few, Seed(1), Par::Seq),
        Err(LearnError::TooFewSamples { .. })
    ));
}

/// The "add a learner" recipe of ARCHITECTURE.md, outside the crate: a
/// params type implementing `LearnerParams` (id, what `hidden` means,
/// `build`) gives a runnable learner; here the constant predictor E[y],
/// whose validation error on any network's labels is 1.
#[test]
fn a_learner_of_your_own_implements_the_registry_trait() {
    use learners::{Fitted, LearnerParams, Observer, Report};
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Default, Serialize, Deserialize)]
    struct MeanParams {
        hidden: usize,
    }
    struct Mean;
    impl Learner for Mean {
        fn name(&self) -> &'static str {
            "mean"
        }
        fn fit_observed(
            &self,
            src: &dyn relu_net::SampleSource,
            _seed: Seed,
            _par: Par,
            observer: &mut dyn Observer,
        ) -> Result<Fitted, LearnError> {
            observer.stage("mean");
            let (_, y) = learners::common::load_rows(src, src.len());
            let mean = y.sum() / y.nrows() as f64;
            let net = relu_net::Network::depth2(
                Mat::zeros(1, src.dim()).as_ref(),
                Col::zeros(1).as_ref(),
                Col::zeros(1).as_ref(),
                mean,
            )?;
            Ok(Fitted::from_network(net, Report::default()))
        }
    }
    impl LearnerParams for MeanParams {
        const ID: &'static str = "mean";
        fn set_hidden(&mut self, k: usize) -> Result<(), LearnError> {
            self.hidden = k;
            Ok(())
        }
        fn build(self) -> Result<Box<dyn Learner>, LearnError> {
            Ok(Box::new(Mean))
        }
    }
    let mut p = MeanParams::default();
    p.set_hidden(3).unwrap();
    assert_eq!(p.hidden, 3);
    let teacher = planted(4, &[0.1, 0.2], &[1.0, -1.0], 1);
    let data = Planted::new(teacher.clone(), 5000, 0.0, Seed(2))
        .unwrap()
        .materialize();
    let fitted = p.build().unwrap().fit(&data, Seed(1), Par::Seq).unwrap();
    let err =
        relu_net::metrics::relative_l2_error(fitted.network().unwrap(), &teacher, 20_000, Seed(3), Par::Seq)
            .unwrap()
            .relative_error;
    assert!((err - 1.0).abs() < 0.1, "{err}");
}
