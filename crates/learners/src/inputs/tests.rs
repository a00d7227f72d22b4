//! Tests of the input pre-step.
use super::*;
use faer::Par;
use relu_net::{Family, InputLaw, Planted};

#[test]
fn whitening_round_trip_is_exact_on_a_planted_network() {
    let law = InputLaw::autoregressive(5, 0.8, 0.7).unwrap();
    let w = Whitening::new(law.mean_col(), law.covariance().as_ref()).unwrap();
    // A network on z, mapped to x, agrees with g(A(x − μ)) everywhere.
    let g = Family::Biased {
        dim: 5,
        hidden: 3,
        bias_range: 1.0,
    }
    .plant(Seed(1))
    .unwrap();
    let f = w.network_to_original(&g).unwrap();
    let src = Planted::new(f.clone(), 300, 0.0, Seed(2))
        .unwrap()
        .with_inputs(law)
        .unwrap();
    let z = w.source(&src);
    let (zx, _) = crate::common::load_rows(&z, 300);
    let (xx, _) = crate::common::load_rows(&src, 300);
    let (gz, fx) = (
        g.predict(zx.as_ref(), Par::Seq).unwrap(),
        f.predict(xx.as_ref(), Par::Seq).unwrap(),
    );
    for i in 0..300 {
        assert!((gz[i] - fx[i]).abs() < 1e-11 * (1.0 + fx[i].abs()), "{i}");
    }
    // z really is standard: A Σ Aᵀ = I.
    let s = InputLaw::autoregressive(5, 0.8, 0.7).unwrap().covariance();
    let asa = w.map() * &s * w.map().transpose();
    for i in 0..5 {
        for j in 0..5 {
            assert!((asa[(i, j)] - f64::from(u8::from(i == j))).abs() < 1e-12);
        }
    }
}

#[test]
fn statistics_tell_standard_from_correlated_and_non_gaussian_inputs() {
    let net = Family::Random { dim: 6, hidden: 2 }.plant(Seed(3)).unwrap();
    let std_src = Planted::new(net.clone(), 20_000, 0.0, Seed(4)).unwrap();
    let s = InputStats::estimate(&std_src, Seed(5), Par::Seq).unwrap();
    assert!(s.consistent_with_standard() && s.looks_gaussian(), "{s:?}");
    let law = InputLaw::autoregressive(6, 0.3, 0.5).unwrap();
    let cor = Planted::new(net, 20_000, 0.0, Seed(4))
        .unwrap()
        .with_inputs(law.clone())
        .unwrap();
    let s = InputStats::estimate(&cor, Seed(5), Par::Seq).unwrap();
    assert!(!s.consistent_with_standard() && s.looks_gaussian(), "{s:?}");
    let truth = law.covariance();
    for i in 0..6 {
        assert!((s.mean[i] - 0.3).abs() < 5.0 / (20_000f64).sqrt());
        for j in 0..6 {
            assert!((s.covariance[(i, j)] - truth[(i, j)]).abs() < 6.0 * (2.0 / 20_000f64).sqrt());
        }
    }
    // Uniform inputs: excess kurtosis −1.2, z ≈ −1.2 / sqrt(24/n) ≈ −35.
    let x = Mat::from_fn(20_000, 3, |i, j| {
        ((i * 7919 + j * 104_729) % 10_007) as f64 / 10_007.0 - 0.5
    });
    let y = Col::from_fn(20_000, |i| x[(i, 0)]);
    let uni = relu_net::InMemory::new(x, y).unwrap();
    let s = InputStats::estimate(&uni, Seed(5), Par::Seq).unwrap();
    assert!(
        !s.looks_gaussian() && s.gaussianity_z() > 20.0,
        "{}",
        s.gaussianity_z()
    );
}

#[test]
fn a_thin_equicorrelation_is_not_taken_for_standard_inputs() {
    // Σ = 0.98 I + 0.02 11ᵀ in d = 50: every entry is within the
    // entrywise threshold at n = 10⁵, but λ_max(Σ) ≈ 2.
    let d = 50;
    let cov = Mat::from_fn(d, d, |i, j| if i == j { 1.0 } else { 0.02 });
    let law = InputLaw::new(&vec![0.0; d], cov.as_ref()).unwrap();
    let net = Family::Random { dim: d, hidden: 2 }.plant(Seed(9)).unwrap();
    let src = Planted::new(net.clone(), 100_000, 0.0, Seed(10))
        .unwrap()
        .with_inputs(law)
        .unwrap();
    let s = InputStats::estimate(&src, Seed(11), Par::Seq).unwrap();
    assert!(!s.consistent_with_standard());
    let std_src = Planted::new(net, 100_000, 0.0, Seed(10)).unwrap();
    let s = InputStats::estimate(&std_src, Seed(11), Par::Seq).unwrap();
    assert!(s.consistent_with_standard());
}

#[test]
fn rank_deficient_covariance_is_learned_on_its_span() {
    // x = (z1, z2, z1 + z2): rank 2 in d = 3.
    let cov = Mat::from_fn(3, 3, |i, j| match (i, j) {
        (2, 2) => 2.0,
        (2, _) | (_, 2) => 1.0,
        _ => f64::from(u8::from(i == j)),
    });
    let w = Whitening::new(Col::zeros(3), cov.as_ref()).unwrap();
    assert_eq!((w.rank(), w.dim()), (2, 3));
    let asa = w.map() * &cov * w.map().transpose();
    for i in 0..2 {
        for j in 0..2 {
            assert!((asa[(i, j)] - f64::from(u8::from(i == j))).abs() < 1e-12);
        }
    }
    assert!(Whitening::new(Col::zeros(2), Mat::<f64>::zeros(2, 2).as_ref()).is_err());
    assert!(Whitening::new(Col::zeros(2), Mat::<f64>::zeros(3, 3).as_ref()).is_err());
}

/// The input-statistics pass gathers the labels' sums, so the learner's
/// check of the data reads nothing: one pass fewer than with the inputs
/// taken as standard, and the same fit bit for bit (the label statistics
/// are the same sums in the same chunk order). Bad labels are still caught.
#[test]
fn the_input_pass_carries_the_label_check() {
    let net = Family::Biased {
        dim: 4,
        hidden: 2,
        bias_range: 1.0,
    }
    .plant(Seed(5))
    .unwrap();
    let src = Planted::new(net, 20_000, 0.1, Seed(6)).unwrap();
    let glm = crate::learner("glmtron", None).unwrap();
    let fit = |mode: &InputMode| {
        fit_any_gaussian(
            glm.as_ref(),
            &src,
            mode,
            Seed(7),
            Par::Seq,
            &mut crate::NoObserver,
        )
        .unwrap()
    };
    let (auto, standard) = (fit(&InputMode::Auto), fit(&InputMode::AssumeStandard));
    assert_eq!(auto.report.metrics["input_whitened"], 0.0);
    assert_eq!(auto.report.passes.get("label-stats"), None);
    assert_eq!(auto.report.passes.get("input-stats"), Some(&1));
    assert_eq!(standard.report.passes.get("label-stats"), Some(&1));
    assert_eq!(auto.model, standard.model);
    // The same reads but for the first rows the input statistics centre on
    // (a full label pass would add 1).
    let passes = |f: &Fitted| f.report.data_passes.unwrap();
    assert!(
        passes(&auto) < passes(&standard) + 0.1,
        "{} {}",
        passes(&auto),
        passes(&standard)
    );

    // Constant and non-finite labels through the fused pass (a user's
    // source, unlike `InMemory`, may hold NaN).
    struct Labels(Mat<f64>, f64);
    impl SampleSource for Labels {
        fn dim(&self) -> usize {
            3
        }
        fn len(&self) -> usize {
            self.0.nrows()
        }
        fn chunk(&self, start: usize, mut x: faer::MatMut<'_, f64>, mut y: faer::ColMut<'_, f64>) {
            for i in 0..x.nrows() {
                for j in 0..3 {
                    x[(i, j)] = self.0[(start + i, j)];
                }
                y[i] = if start + i == 7 { self.1 } else { 0.5 };
            }
        }
    }
    let x = relu_net::gaussian_matrix(3000, 3, Seed(8));
    for (y, want) in [(0.5, "constant"), (f64::NAN, "non-finite")] {
        let src = Labels(x.clone(), y);
        let err = fit_any_gaussian(
            glm.as_ref(),
            &src,
            &InputMode::Auto,
            Seed(7),
            Par::Seq,
            &mut crate::NoObserver,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(want), "{err}");
    }
}
