//! `gd`: the baseline fits an easy instance and is deterministic.

use faer::Par;
use learners::Learner;
use learners::gd::GdParams;
use relu_net::metrics::relative_l2_error;
use relu_net::{Family, Planted, Seed};

#[test]
fn gd_fits_a_single_relu_and_is_deterministic() {
    let teacher = Family::Single { dim: 5 }.plant(Seed(1)).unwrap();
    let data = Planted::new(teacher.clone(), 20_000, 0.0, Seed(2))
        .unwrap()
        .materialize();
    let gd = GdParams {
        hidden: Some(vec![4]),
        max_epochs: 30,
        restarts: 2,
        ..GdParams::default()
    }
    .validate()
    .unwrap();
    let a = gd.fit(&data, Seed(3), Par::Seq).unwrap();
    let b = gd.fit(&data, Seed(3), Par::rayon(2)).unwrap();
    assert_eq!(
        a.network().unwrap(),
        b.network().unwrap(),
        "same seed, same network on 1 and 2 threads"
    );
    let err = relative_l2_error(a.network().unwrap(), &teacher, 20_000, Seed(4), Par::Seq).unwrap();
    // An over-parameterised student of one ReLU: Adam reaches a few 1e-3
    // within 30 epochs (measured 2e-4).
    assert!(err.relative_error < 1e-2, "relative error {}", err.relative_error);
}
