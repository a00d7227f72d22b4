//! Bad problems give typed errors, never panics.

use faer::{Mat, Par};
use tensor_decomp::{AlsParams, DecompError, Hints, JennrichParams, TensorPowerParams};

use crate::{planted, reference};

#[test]
fn every_backend_rejects_bad_ranks_orders_and_references() {
    let t = planted(3, 4, &[1.0, 2.0], false, 1);
    let t2 = planted(2, 4, &[1.0, 2.0], false, 1);
    let nan = Mat::from_fn(4, 4, |i, j| if i == j { f64::NAN } else { 0.0 });
    let small = Mat::<f64>::identity(3, 3);
    for id in tensor_decomp::BACKENDS {
        let b = tensor_decomp::backend(id).unwrap();
        let h = Hints::default();
        assert!(
            matches!(
                b.decompose(&t, 5, &h, 0, Par::Seq),
                Err(DecompError::RankTooLarge { rank: 5, dim: 4, .. })
            ),
            "{id}"
        );
        assert!(
            matches!(b.decompose(&t, 0, &h, 0, Par::Seq), Err(DecompError::ZeroRank)),
            "{id}"
        );
        assert!(
            matches!(
                b.decompose(&t2, 2, &h, 0, Par::Seq),
                Err(DecompError::UnsupportedOrder { order: 2, .. })
            ),
            "{id}"
        );
        let h = Hints {
            reference: Some(nan.as_ref()),
        };
        assert!(
            matches!(
                b.decompose(&t, 2, &h, 0, Par::Seq),
                Err(DecompError::NonFinite { .. })
            ),
            "{id}"
        );
        let h = Hints {
            reference: Some(small.as_ref()),
        };
        assert!(
            matches!(
                b.decompose(&t, 2, &h, 0, Par::Seq),
                Err(DecompError::Shape { .. })
            ),
            "{id}"
        );
    }
    let indefinite = reference(&t, &[1.0, -1.0]);
    let power = tensor_decomp::backend("tensor-power").unwrap();
    let h = Hints {
        reference: Some(indefinite.as_ref()),
    };
    assert!(matches!(
        power.decompose(&t, 2, &h, 0, Par::Seq),
        Err(DecompError::IndefiniteReference { rank: 2 })
    ));
}

#[test]
fn invalid_parameters_are_rejected() {
    assert!(
        JennrichParams {
            n_draws: 0,
            ..Default::default()
        }
        .validate()
        .is_err()
    );
    assert!(
        JennrichParams {
            imag_tol: 2.0,
            ..Default::default()
        }
        .validate()
        .is_err()
    );
    assert!(
        TensorPowerParams {
            tol: -1.0,
            ..Default::default()
        }
        .validate()
        .is_err()
    );
    assert!(
        AlsParams {
            restarts: 0,
            ..Default::default()
        }
        .validate()
        .is_err()
    );
    assert!(JennrichParams::default().validate().is_ok());
}
