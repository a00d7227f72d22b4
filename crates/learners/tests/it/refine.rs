//! The refinement on every row converges to the full-sample least-squares
//! fit: from a polish that saw m rows, its excess error falls from about
//! `σ² p / m` to about `σ² p / n`, its loss on all rows matches a polish
//! that could afford every row, and it is bit-identical on 1 and 2 threads.

use faer::Par;
use learners::polish::{PolishParams, polish_lm};
use learners::refine::refine_full;
use relu_net::metrics::relative_l2_error;
use relu_net::{Planted, Seed};

#[test]
fn refinement_reaches_the_full_sample_fit_from_a_subsample_polish() {
    let teacher = crate::planted(5, &[0.3, -0.5, 0.8], &[1.0, -1.2, 0.9], 11);
    let (n, sigma) = (200_000, 0.1);
    let data = Planted::new(teacher.clone(), n, sigma, Seed(12))
        .unwrap()
        .materialize();
    let p = teacher.n_params() as f64;
    // The polish affords only its first 2 000 rows (the refinement takes
    // its curvature from max(4 × 2 000, 10 n / p) = 90 909 of the 200 000).
    let sub = PolishParams {
        flop_budget: 0.0,
        samples: 2000,
        ..PolishParams::default()
    };
    let (polished, _) = polish_lm(&teacher, &data, &sub, Par::Seq).unwrap();
    let (refined, r) = refine_full(&polished, &data, &sub, Par::Seq).unwrap();
    assert_eq!((r.rows, r.curvature_rows), (n, 10 * n / teacher.n_params()));
    assert!(r.converged && r.iters >= 1, "{r:?}");
    // A polish that affords every row: the full-sample optimum.
    let all = PolishParams {
        flop_budget: 1e15,
        ..PolishParams::default()
    };
    let (full, f) = polish_lm(&teacher, &data, &all, Par::Seq).unwrap();
    // The refinement stops once a step would gain less than `refine_tol`
    // of the statistical excess (p / n of the loss); what is left is about
    // that much (measured 3.8·10⁻⁶ of the loss against 1.1·10⁻⁵ here).
    assert!(
        (r.loss_after - f.loss_after).abs() <= 2.0 * sub.refine_tol * p / n as f64 * f.loss_after,
        "refined {:e}, full-sample fit {:e}",
        r.loss_after,
        f.loss_after
    );
    // Excess test errors against σ² p / n (absolute; the delta-method error
    // of the estimates is a few per cent at 10⁶ test samples).
    let excess = |net| {
        let c = relative_l2_error(net, &teacher, 1_000_000, Seed(13), Par::rayon(2)).unwrap();
        c.mse
    };
    let limit = sigma * sigma * p / n as f64;
    let (e_sub, e_ref, e_full) = (excess(&polished), excess(&refined), excess(&full));
    // Measured: 49.8, 1.41 and 1.40 times the limit.
    assert!(e_sub > 20.0 * e_ref, "subsample {e_sub:e}, refined {e_ref:e}");
    assert!(
        e_ref < 3.0 * limit && e_ref < 1.05 * e_full,
        "refined {e_ref:e}, full {e_full:e}, limit {limit:e}"
    );
    // Same passes on two threads: the same bits.
    let (again, r2) = refine_full(&polished, &data, &sub, Par::rayon(2)).unwrap();
    assert_eq!(r, r2);
    assert_eq!(format!("{refined:?}"), format!("{again:?}"));
}

/// With 1 % of the labels replaced by gross outliers (±100 label standard
/// deviations), the Huber refinement from a start in the basin stays within
/// 3× of the clean fit's excess error, the square loss does not, and the
/// outliers are reported.
#[test]
fn huber_refinement_resists_gross_outliers() {
    let teacher = crate::planted(5, &[0.3, -0.5, 0.8], &[1.0, -1.2, 0.9], 21);
    let n = 100_000;
    let clean = Planted::new(teacher.clone(), n, 0.1, Seed(22))
        .unwrap()
        .materialize();
    let dirty = crate::with_outliers(&clean);
    let square = PolishParams {
        flop_budget: 0.0,
        samples: 5000,
        ..PolishParams::default()
    };
    let huber = PolishParams {
        huber: Some(1.345),
        ..square
    };
    let excess = |net: &relu_net::Network| {
        relative_l2_error(net, &teacher, 500_000, Seed(23), Par::rayon(2))
            .unwrap()
            .mse
    };
    let (clean_fit, _) = refine_full(&teacher, &clean, &square, Par::Seq).unwrap();
    let (robust, r) = refine_full(&teacher, &dirty, &huber, Par::Seq).unwrap();
    let (pulled, s) = refine_full(&teacher, &dirty, &square, Par::Seq).unwrap();
    let (e_clean, e_robust, e_pulled) = (excess(&clean_fit), excess(&robust), excess(&pulled));
    assert!(
        r.huber_threshold.is_some() && (r.outlier_fraction - 0.01).abs() < 2e-3,
        "{r:?}"
    );
    assert!((s.outlier_fraction - 0.01).abs() < 2e-3, "{s:?}");
    // Measured: clean 1.54e-6, Huber 1.67e-6, square loss 7.6e-3.
    assert!(e_robust < 3.0 * e_clean, "Huber {e_robust:e}, clean {e_clean:e}");
    assert!(
        e_pulled > 10.0 * e_robust,
        "square {e_pulled:e}, Huber {e_robust:e}"
    );
}

/// The rule that keeps added units (`learners::compare`): a missed unit
/// whose excess error is about the noise variance cannot halve the total
/// validation error, but it halves the excess above the noise floor and is
/// kept; noise alone (a network that differs from the smaller one by a
/// perturbation of the size of the estimation error) is not.
#[test]
fn added_units_are_judged_on_the_excess_above_the_noise_floor() {
    use learners::compare::compare;
    let full = crate::planted(6, &[0.2, -0.3, 0.4, 0.1], &[1.0, -0.9, 0.8, 0.15], 41);
    let p = full.as_depth2().unwrap();
    // The same network without its weakest unit (output weight 0.15).
    let missed = relu_net::Network::depth2(
        p.w.subrows(0, 3),
        p.b.subrows(0, 3),
        p.a.subcols(0, 3).transpose(),
        p.c,
    )
    .unwrap();
    let n = 200_000;
    let sigma = 0.15;
    let val = Planted::new(full.clone(), n, sigma, Seed(42)).unwrap();
    // The floor: the noise variance the larger network's training loss
    // would show.
    let v = compare(&missed, &full, &val, sigma * sigma, Par::rayon(2)).unwrap();
    let halves_total = v.new_mse <= 0.5 * v.old_mse;
    assert!(v.keep && !halves_total, "{v:?}");
    // A network that is the larger one up to a tiny output shift, against
    // itself: no significant gain, not kept.
    let shifted = relu_net::Network::depth2(p.w, p.b, p.a.transpose(), p.c + 1e-4).unwrap();
    let w = compare(&full, &shifted, &val, sigma * sigma, Par::rayon(2)).unwrap();
    assert!(!w.keep, "{w:?}");
}
