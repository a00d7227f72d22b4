//! Filtered second moments: their column space lies in the span of the
//! first-layer weights; projected moments equal projected contractions.

use faer::{Col, Mat, Par, Side};
use gaussian_moments::{Cell, Estimator, LabelSet, Projected, filtered_second_moment, matrix_contractions};
use relu_net::{Family, Planted, Seed};

/// Orthonormal basis of the row space of W (k × d) and of its complement.
fn spaces(w: faer::MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>) {
    let (k, d) = (w.nrows(), w.ncols());
    let p = w.transpose() * w;
    let eig = p.self_adjoint_eigen(Side::Lower).unwrap();
    let u = eig.U();
    // Ascending eigenvalues: the last k span the row space.
    (
        Mat::from_fn(d, k, |i, j| u[(i, d - k + j)]),
        Mat::from_fn(d, d - k, |i, j| u[(i, j)]),
    )
}

#[test]
fn filtered_moment_lives_in_the_weight_span() {
    let net = Family::Signed { dim: 6, hidden: 2 }.plant(Seed(3)).unwrap();
    let (inside, outside) = spaces(net.as_depth2().unwrap().w);
    let src = Planted::new(net, 200_000, 0.0, Seed(4)).unwrap();
    let est = Estimator::default();
    let f =
        filtered_second_moment(&src, LabelSet::AbsAtLeast { tau: 0.5 }, None, &est, Par::rayon(2)).unwrap();
    let on = (inside.transpose() * &f.matrix * &inside).norm_l2();
    let off = (outside.transpose() * &f.matrix * &outside).norm_l2();
    // Off the span only noise remains: a few times √(d/n) = 0.0055.
    assert!(
        off < 5.0 * f.noise_floor && on > 20.0 * f.noise_floor,
        "on {on}, off {off}, floor {}",
        f.noise_floor
    );
    assert!(f.n_selected > 0 && f.n_selected < f.n_cell);
    // Conditioning on a cell of V = the first direction of the span keeps
    // the column space inside span ∩ V⊥.
    let v = Mat::from_fn(6, 1, |i, _| inside[(i, 0)]);
    let cell = Cell::new(v.as_ref(), vec![0.2], vec![1.5]).unwrap();
    let fc = filtered_second_moment(
        &src,
        LabelSet::AtLeast { tau: 0.0 },
        Some(&cell),
        &est,
        Par::rayon(2),
    )
    .unwrap();
    let off = (outside.transpose() * &fc.matrix * &outside).norm_l2();
    let along_v = (v.transpose() * &fc.matrix * &v).norm_l2();
    assert!(off < 5.0 * fc.noise_floor, "off {off}, floor {}", fc.noise_floor);
    assert!(along_v < 1e-12, "P removes V: {along_v}");
}

#[test]
fn projected_moments_equal_projected_contractions() {
    let net = Family::Biased {
        dim: 6,
        hidden: 3,
        bias_range: 1.0,
    }
    .plant(Seed(5))
    .unwrap();
    let src = Planted::new(net.clone(), 5000, 0.0, Seed(6)).unwrap();
    let (u, _) = spaces(net.as_depth2().unwrap().w);
    let projected = Projected::new(&src, u.as_ref()).unwrap();
    let est = Estimator::default();
    let gm = Col::from_fn(3, |i| [0.5, -0.2, 0.7][i]);
    let gd = &u * &gm;
    let a = matrix_contractions(&projected, 4, &[gm], &est, Par::Seq)
        .unwrap()
        .remove(0);
    let b = matrix_contractions(&src, 4, &[gd], &est, Par::Seq)
        .unwrap()
        .remove(0);
    let b = u.transpose() * &b.mean * &u;
    assert!(
        (&a.mean - &b).norm_max() < 1e-10 * b.norm_max(),
        "{:?}",
        (&a.mean - &b).norm_max()
    );
}
