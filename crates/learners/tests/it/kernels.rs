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
    // Alphatron's improper approximation (its degree-4 kernel on inputs in
    // the unit ball, 1 000 rows): measured 3.9 % of the variance; we assert
    // 15 %.
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
    // The kernel learner against its floor: no degree-4 polynomial beats the
    // teacher's Hermite expansion truncated at 4 (closed form), and with the
    // C(10, 4) = 210 polynomials of d = 6 within its landmarks it comes
    // close (measured: 1.24 % against a floor of 1.07 %).
    let k = KernelParams {
        kernel: Some(learners::KernelFunction::Multinomial { degree: 4 }),
        gram_samples: 800,
        ..KernelParams::default()
    }
    .validate()
    .unwrap()
    .fit(&data, Seed(6), Par::Seq)
    .unwrap();
    let floor = gaussian_moments::PopulationMoments::of_depth2(&teacher)
        .unwrap()
        .polynomial_error(4)
        .relative();
    let ek = error(&k.model, &teacher);
    assert!(
        ek < 1.5 * floor && ek > 0.9 * floor,
        "kernel {ek} against the floor {floor}"
    );
    // The default degree follows the landmark budget.
    for (d, q) in [(5, 6), (6, 6), (10, 4), (20, 2), (200, 1)] {
        assert_eq!(
            learners::kernel::auto_kernel(d, 800),
            learners::KernelFunction::Multinomial { degree: q },
            "d = {d}"
        );
    }
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
