//! `exact-erm`: certified global optima of one-hidden-layer training on tiny
//! instances, checked against brute force and against local search.

use faer::{Col, Mat, Par};
use learners::exact_erm::{ExactErmParams, chamber_bound, dichotomies};
use learners::polish::{PolishParams, polish_lm};
use learners::{LearnError, Learner};
use relu_net::{InMemory, Network, Seed, gaussian_matrix};

fn data(n: usize, d: usize, seed: u64) -> (Mat<f64>, Vec<f64>) {
    let g = gaussian_matrix(n, d + 1, Seed(seed));
    let x = Mat::from_fn(n, d, |i, j| g[(i, j)]);
    let y = (0..n).map(|i| g[(i, d)]).collect();
    (x, y)
}

fn erm(k: usize, convex: bool) -> learners::exact_erm::ExactErm {
    ExactErmParams {
        hidden: k,
        convex,
        ..ExactErmParams::default()
    }
    .validate()
    .unwrap()
}

/// The pattern enumeration against all 2^D patterns per unit: the optima
/// agree to 1e-9 on random (non-realizable) labels, for n ∈ {1, 2},
/// k ∈ {1, 2}, with and without the convex restriction. The exhaustive run
/// cannot miss a pattern, so a missing dichotomy would show here.
#[test]
fn exact_erm_agrees_with_brute_force_on_tiny_instances() {
    for (d, k, n, convex, seed) in [
        (1, 1, 7, false, 1),
        (1, 2, 7, false, 2),
        (2, 1, 7, false, 3),
        (2, 2, 6, false, 4),
        (2, 2, 6, true, 5),
        (1, 2, 8, true, 6),
    ] {
        let (x, y) = data(n, d, seed);
        let e = erm(k, convex);
        let fast = e.solve(x.as_ref(), &y, Par::Seq).unwrap();
        let brute = e.solve_exhaustive(x.as_ref(), &y, Par::rayon(2)).unwrap();
        assert!(fast.certified() && brute.certified());
        assert!(
            (fast.loss - brute.loss).abs() <= 1e-9 * (1.0 + brute.loss),
            "d={d} k={k} n={n} convex={convex}: enumeration {} vs brute force {}",
            fast.loss,
            brute.loss
        );
        // The optimum is not trivial: it beats the best constant.
        let mean = y.iter().sum::<f64>() / n as f64;
        let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(fast.loss < var, "{} vs variance {var}", fast.loss);
        assert!(fast.dichotomies as u128 <= chamber_bound(n, d + 1));
    }
}

/// Realizable data (labels of a planted 2-unit network, 12 points in the
/// plane, one positive and one negative output weight): the optimum is zero
/// to rounding and the enumeration stops there.
#[test]
fn exact_erm_certifies_zero_loss_on_realizable_data() {
    let teacher = Network::depth2(
        Mat::from_fn(2, 2, |i, j| [[1.0, -0.5], [0.3, 0.9]][i][j]).as_ref(),
        Col::from_fn(2, |i| [0.2, -0.4][i]).as_ref(),
        Col::from_fn(2, |i| [1.5, -0.7][i]).as_ref(),
        0.1,
    )
    .unwrap();
    let (x, _) = data(12, 2, 7);
    let y = teacher.predict(x.as_ref(), Par::Seq).unwrap();
    let y: Vec<f64> = (0..12).map(|i| y[i]).collect();
    let sol = erm(2, false).solve(x.as_ref(), &y, Par::rayon(2)).unwrap();
    assert!(sol.loss <= 1e-20, "loss {:e}", sol.loss);
    assert!(sol.stopped_at_zero && sol.certified());
    assert_eq!(sol.dichotomies as u128, chamber_bound(12, 3));
    // The convex restriction cannot fit a network with a negative output
    // weight exactly here, and its optimum is never below the general one.
    let convex = erm(2, true).solve(x.as_ref(), &y, Par::rayon(2)).unwrap();
    assert!(convex.loss > 1e-6, "convex loss {:e}", convex.loss);
    assert!(convex.signs.iter().all(|&s| s > 0.0));
}

/// No local search beats the certified optimum: 30 Levenberg–Marquardt runs
/// from random starts on 12 noisy points in the plane stay at or above it
/// (to 1e-10), and the best of them typically sits strictly above.
#[test]
fn local_search_never_beats_the_certified_optimum() {
    let (x, y) = data(12, 2, 11);
    let sol = erm(2, false).solve(x.as_ref(), &y, Par::rayon(2)).unwrap();
    assert!(sol.certified());
    let src = InMemory::new(x.clone(), Col::from_fn(12, |i| y[i])).unwrap();
    let params = PolishParams {
        max_iters: 200,
        ..PolishParams::default()
    };
    let mut best_local = f64::INFINITY;
    for s in 0..30 {
        let g = gaussian_matrix(2, 5, Seed(100 + s));
        let start = Network::depth2(
            Mat::from_fn(2, 2, |i, j| g[(i, j)]).as_ref(),
            Col::from_fn(2, |i| g[(i, 2)]).as_ref(),
            Col::from_fn(2, |i| g[(i, 3)]).as_ref(),
            g[(0, 4)],
        )
        .unwrap();
        let (net, _) = polish_lm(&start, &src, &params, Par::Seq).unwrap();
        let p = net.predict(x.as_ref(), Par::Seq).unwrap();
        let loss = (0..12).map(|i| (p[i] - y[i]).powi(2)).sum::<f64>() / 12.0;
        best_local = best_local.min(loss);
    }
    assert!(
        sol.loss <= best_local + 1e-10,
        "exact {} vs local {best_local}",
        sol.loss
    );
}

#[test]
fn exact_erm_is_deterministic_across_threads_and_as_a_learner() {
    let (x, y) = data(10, 2, 21);
    let e = erm(2, false);
    let a = e.solve(x.as_ref(), &y, Par::Seq).unwrap();
    let b = e.solve(x.as_ref(), &y, Par::rayon(2)).unwrap();
    assert_eq!(a.network, b.network);
    assert_eq!(a.loss.to_bits(), b.loss.to_bits());
    let src = InMemory::new(x.clone(), Col::from_fn(10, |i| y[i])).unwrap();
    let fitted = e.fit(&src, Seed(0), Par::rayon(2)).unwrap();
    assert_eq!(fitted.network().unwrap(), &a.network);
    assert_eq!(fitted.report.metrics["training_loss"], a.loss);
    assert!(fitted.report.converged);
}

#[test]
fn exact_erm_rejects_what_it_cannot_do() {
    let (x, y) = data(10, 4, 1);
    let e = erm(2, false);
    assert!(matches!(
        e.solve(x.as_ref(), &y, Par::Seq),
        Err(LearnError::TooLarge { .. })
    ));
    // 200 points in the plane with three units: ~10¹⁰ programs, refused
    // before any is solved.
    let (x, y) = data(200, 2, 1);
    let err = erm(3, false).solve(x.as_ref(), &y, Par::Seq).unwrap_err();
    assert!(err.to_string().contains("max_programs"), "{err}");
    let (x, mut y) = data(6, 2, 1);
    y[3] = f64::NAN;
    assert!(e.solve(x.as_ref(), &y, Par::Seq).is_err());
    assert!(e.solve(x.as_ref(), &y[..5], Par::Seq).is_err());
    let src = InMemory::new(x.clone(), Col::from_fn(6, |_| 2.0)).unwrap();
    assert!(matches!(
        e.fit(&src, Seed(0), Par::Seq),
        Err(LearnError::ConstantLabels { .. })
    ));
    assert!(
        ExactErmParams {
            hidden: 0,
            ..ExactErmParams::default()
        }
        .validate()
        .is_err()
    );
}

/// Dichotomies of points in general position: Cover's count, and every
/// split by a random line is among them.
#[test]
fn dichotomies_contain_every_sampled_split() {
    let (x, _) = data(9, 2, 5);
    let pts: Vec<Vec<f64>> = (0..9).map(|i| vec![x[(i, 0)], x[(i, 1)]]).collect();
    let ds = dichotomies(&pts, true);
    assert_eq!(ds.len() as u128, chamber_bound(9, 3));
    let g = gaussian_matrix(2000, 3, Seed(9));
    for r in 0..2000 {
        let split: Vec<bool> = pts
            .iter()
            .map(|p| g[(r, 0)] * p[0] + g[(r, 1)] * p[1] + 0.5 * g[(r, 2)] > 0.0)
            .collect();
        assert!(ds.binary_search(&split).is_ok(), "{split:?} missing");
    }
}
