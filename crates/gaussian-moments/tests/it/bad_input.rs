//! Bad input gives typed errors.

use faer::{Col, Mat, Par};
use gaussian_moments::statistics::{DenseMoments, MatrixContractions, VectorContractions};
use gaussian_moments::{
    Cell, EmpiricalTensor, Estimator, MomentError, MomentParams, PopulationMoments, Projected,
    matrix_contractions,
};
use relu_net::{Family, Planted, Seed};

use crate::samples;

#[test]
fn bad_orders_vectors_and_shapes_are_rejected() {
    let g = Col::from_fn(5, |_| 1.0);
    assert!(matches!(
        MatrixContractions::new(5, 1, std::slice::from_ref(&g)),
        Err(MomentError::Order { order: 1, .. })
    ));
    assert!(matches!(
        MatrixContractions::new(5, 3, &[]),
        Err(MomentError::InvalidParam { .. })
    ));
    assert!(matches!(
        MatrixContractions::new(5, 2, std::slice::from_ref(&g)),
        Err(MomentError::InvalidParam { .. })
    ));
    assert!(matches!(
        MatrixContractions::new(5, 3, &[Col::zeros(5)]),
        Err(MomentError::BadVector { index: 0 })
    ));
    assert!(matches!(
        MatrixContractions::new(5, 3, &[Col::from_fn(5, |_| f64::NAN)]),
        Err(MomentError::BadVector { .. })
    ));
    assert!(matches!(
        MatrixContractions::new(5, 3, &[Col::zeros(4)]),
        Err(MomentError::Dim {
            expected: 5,
            got: 4,
            ..
        })
    ));
    assert!(matches!(
        VectorContractions::new(5, 0, std::slice::from_ref(&g)),
        Err(MomentError::Order { .. })
    ));
    assert!(matches!(DenseMoments::new(5, 5), Err(MomentError::Order { .. })));
    assert!(matches!(
        DenseMoments::new(100, 4),
        Err(MomentError::TooLarge { .. })
    ));
    let many: Vec<Col<f64>> = (0..2000).map(|_| Col::from_fn(400, |_| 1.0)).collect();
    assert!(matches!(
        MatrixContractions::new(400, 3, &many),
        Err(MomentError::TooLarge { .. })
    ));
    let src = samples(100, 1);
    let stat = MatrixContractions::new(4, 3, &[Col::from_fn(4, |_| 1.0)]).unwrap();
    assert!(matches!(
        Estimator::default().estimate(&stat, &src, Par::Seq),
        Err(MomentError::Dim { .. })
    ));
    assert!(matches!(
        Estimator::default().accumulate_range(&MatrixContractions::second_order(5), &src, 0..9, Par::Seq),
        Err(MomentError::InvalidParam { .. })
    ));
}

#[test]
fn empty_sources_and_bad_parameters_are_rejected() {
    let empty = samples(0, 1);
    let est = Estimator::default();
    assert!(matches!(
        matrix_contractions(&empty, 2, &[], &est, Par::Seq),
        Err(MomentError::TooFewSamples { .. })
    ));
    assert!(matches!(
        EmpiricalTensor::new(&empty, 3, est),
        Err(MomentError::TooFewSamples { .. })
    ));
    assert!(matches!(
        EmpiricalTensor::new(&samples(10, 1), 1, est),
        Err(MomentError::Order { .. })
    ));
    assert!(
        MomentParams {
            chunk_rows: 1000,
            batch_rows: 300,
            std_errors: true
        }
        .validate()
        .is_err()
    );
    assert!(
        MomentParams {
            chunk_rows: 0,
            batch_rows: 0,
            std_errors: true
        }
        .validate()
        .is_err()
    );
    // One batch: the standard error is unknown (infinite), not made up.
    let one = matrix_contractions(&samples(100, 2), 2, &[], &est, Par::Seq)
        .unwrap()
        .remove(0);
    assert!(one.std_error[(0, 0)].is_infinite());
}

#[test]
fn bad_projections_cells_and_networks_are_rejected() {
    let src = samples(10, 1);
    let not_orthonormal = Mat::from_fn(5, 2, |i, _| if i == 0 { 1.0 } else { 0.0 });
    assert!(matches!(
        Projected::new(&src, not_orthonormal.as_ref()),
        Err(MomentError::InvalidParam { .. })
    ));
    assert!(matches!(
        Projected::new(&src, Mat::<f64>::zeros(4, 1).as_ref()),
        Err(MomentError::Dim { .. })
    ));
    let e1 = Mat::from_fn(5, 1, |i, _| if i == 0 { 1.0 } else { 0.0 });
    assert!(Cell::new(e1.as_ref(), vec![1.0], vec![0.0]).is_err());
    assert!(Cell::new(e1.as_ref(), vec![0.0, 1.0], vec![1.0]).is_err());
    let deep = Family::Deep {
        dim: 3,
        widths: vec![2, 2],
        bias_std: 0.1,
    }
    .plant(Seed(1))
    .unwrap();
    assert!(matches!(
        PopulationMoments::of_depth2(&deep),
        Err(MomentError::Net(_))
    ));
    let pop = PopulationMoments::of_depth2(&crate::teacher()).unwrap();
    assert!(matches!(pop.tensor(1), Err(MomentError::Order { .. })));
    // A cell nothing falls into.
    let far = Cell::new(e1.as_ref(), vec![50.0], vec![60.0]).unwrap();
    let src = Planted::new(crate::teacher(), 1000, 0.0, Seed(2)).unwrap();
    let r = gaussian_moments::filtered_second_moment(
        &src,
        gaussian_moments::LabelSet::AtLeast { tau: 0.0 },
        Some(&far),
        &Estimator::default(),
        Par::Seq,
    );
    assert!(matches!(r, Err(MomentError::TooFewSamples { .. })));
}
