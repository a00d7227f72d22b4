//! `glmtron`, `alphatron` and `kernel` on a single ReLU, and the kernel
//! model's JSON form.

use faer::Par;
use learners::alphatron::AlphatronParams;
use learners::glmtron::GlmtronParams;
use learners::kernel::KernelParams;
use learners::{Learner, Model};
use relu_net::metrics::relative_l2_error;
use relu_net::{Family, Network, Planted, Seed};

fn single() -> Network {
    let base = Family::Single { dim: 6 }.plant(Seed(1)).unwrap();
    let p = base.as_depth2().unwrap();
    // A bias, so GLMtron's bias feature matters.
    Network::depth2(p.w, faer::col![0.3].as_ref(), faer::col![1.0].as_ref(), 0.0).unwrap()
}

fn error(model: &dyn relu_net::Predictor, teacher: &Network) -> f64 {
    relative_l2_error(model, teacher, 20_000, Seed(9), Par::Seq)
        .unwrap()
        .relative_error
}

#[test]
fn glmtron_recovers_a_single_biased_relu() {
    let teacher = single();
    let data = Planted::new(teacher.clone(), 20_000, 0.0, Seed(2))
        .unwrap()
        .materialize();
    let f = GlmtronParams::default()
        .validate()
        .unwrap()
        .fit(&data, Seed(3), Par::Seq)
        .unwrap();
    // Realizable and noise-free: GLMtron converges linearly to w*.
    let e = error(f.network().unwrap(), &teacher);
    assert!(e < 1e-8, "relative error {e:e}");
}

#[test]
fn alphatron_and_kernel_learn_a_single_relu_improperly() {
    let teacher = single();
    let data = Planted::new(teacher.clone(), 20_000, 0.0, Seed(4))
        .unwrap()
        .materialize();
    // Improper kernel approximations of a ReLU on Gaussian inputs: a few per
    // cent of the variance with degree-4 and degree-6 multinomial kernels
    // (measured 5.7 % and 3.1 % at n = 5·10⁴); we assert 15 %.
    let a = AlphatronParams {
        train_size: 1000,
        iters: 300,
        ..AlphatronParams::default()
    }
    .validate()
    .unwrap()
    .fit(&data, Seed(5), Par::Seq)
    .unwrap();
    assert!(matches!(a.model, Model::Kernel(_)));
    assert!(
        error(&a.model, &teacher) < 0.15,
        "alphatron {}",
        error(&a.model, &teacher)
    );
    let k = KernelParams {
        gram_samples: 800,
        ..KernelParams::default()
    }
    .validate()
    .unwrap()
    .fit(&data, Seed(6), Par::Seq)
    .unwrap();
    assert!(
        error(&k.model, &teacher) < 0.15,
        "kernel {}",
        error(&k.model, &teacher)
    );
    assert!(k.report.metrics["effective_dimension"] > 1.0 && k.report.series["gram_spectrum"].len() == 100);
    // The JSON form reproduces the predictions bit for bit.
    let back = Model::from_json(&k.model.to_json()).unwrap();
    assert_eq!(back, k.model);
}

#[test]
fn kernel_models_reject_invalid_json() {
    for text in [
        r#"{"format": "kernel-model/v1", "kernel": {"kind": "multinomial", "degree": 2}, "input_scale": 0.0, "link": "identity", "centers": [[1.0]], "coefficients": [1.0], "intercept": 0.0}"#,
        r#"{"format": "kernel-model/v1", "kernel": {"kind": "multinomial", "degree": 2}, "input_scale": 1.0, "link": "identity", "centers": [[1.0], [2.0]], "coefficients": [1.0], "intercept": 0.0}"#,
        r#"{"format": "kernel-model/v1", "kernel": {"kind": "gaussian"}, "input_scale": 1.0, "link": "identity", "centers": [[1.0]], "coefficients": [1.0], "intercept": 0.0}"#,
        r#"{"format": "kernel-model/v2"}"#,
        r#"not json"#,
    ] {
        assert!(Model::from_json(text).is_err(), "{text}");
    }
}
