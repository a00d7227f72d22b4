//! Integration tests of `tropical`: the tropical form is the network, region
//! counts agree between exact enumeration and slicing and stay below the
//! bounds, lattice polynomials reproduce the function, bad input is typed.

use faer::{Col, Mat, Par};
use proptest::prelude::*;
use relu_net::{Network, Seed, gaussian_matrix};
use tropical::{
    ConvertOptions, EnumerateOptions, Lattice, SliceOptions, TropicalError, enumerate_regions,
    regions_on_line, serra_bound, slice, to_network, to_tropical,
};

/// A random network with Gaussian weights and biases.
fn random_net(d: usize, widths: &[usize], seed: u64) -> Network {
    let mut parts = Vec::new();
    let mut fan_in = d;
    for (l, &w) in widths.iter().chain(std::iter::once(&1)).enumerate() {
        let g = gaussian_matrix(w, fan_in + 1, Seed(seed).derive_index(l as u64));
        parts.push((
            Mat::from_fn(w, fan_in, |i, j| g[(i, j)]),
            Col::from_fn(w, |i| 0.5 * g[(i, fan_in)]),
        ));
        fan_in = w;
    }
    Network::from_parts(parts).unwrap()
}

fn forward(net: &Network, x: &[f64]) -> f64 {
    let m = Mat::from_fn(1, x.len(), |_, j| x[j]);
    net.predict(m.as_ref(), Par::Seq).unwrap()[0]
}

proptest! {
    // A fixed seed: CI runs the same cases every time.
    #![proptest_config(ProptestConfig {
        cases: 24,
        rng_seed: proptest::test_runner::RngSeed::Fixed(7),
        ..ProptestConfig::default()
    })]

    /// G(x) − H(x) equals the forward pass, with and without LP
    /// simplification, and the network rebuilt from G ⊘ H computes the same
    /// function.
    #[test]
    fn tropical_form_is_the_network(
        d in 1usize..=3,
        widths in prop::collection::vec(1usize..=3, 1..=2),
        seed in 0u64..1000,
    ) {
        let net = random_net(d, &widths, seed);
        let full = to_tropical(&net, &ConvertOptions { simplify: false, ..ConvertOptions::default() }).unwrap();
        let simple = to_tropical(&net, &ConvertOptions::default()).unwrap();
        prop_assert!(simple.size() <= full.size());
        let back = to_network(&simple).unwrap();
        let xs = gaussian_matrix(20, d, Seed(seed + 7));
        for r in 0..20 {
            let x: Vec<f64> = (0..d).map(|j| 3.0 * xs[(r, j)]).collect();
            let f = forward(&net, &x);
            let tol = 1e-8 * (1.0 + f.abs());
            prop_assert!((full.eval(&x) - f).abs() <= tol, "full {} vs {}", full.eval(&x), f);
            prop_assert!((simple.eval(&x) - f).abs() <= tol, "simplified {} vs {}", simple.eval(&x), f);
            prop_assert!((forward(&back, &x) - f).abs() <= tol);
        }
    }

    /// For 2-D inputs the exact LP enumeration in a box and the polygon
    /// slicing of the same box find the same number of activation regions,
    /// never more than Serra et al.'s bound, and the lattice polynomial built
    /// from the cells reproduces the network.
    #[test]
    fn enumeration_and_slicing_agree(
        widths in prop::collection::vec(1usize..=4, 1..=2),
        seed in 0u64..1000,
    ) {
        let net = random_net(2, &widths, seed);
        let r = 4.0;
        let regions = enumerate_regions(&net, &EnumerateOptions::cube(2, r)).unwrap();
        let s = slice(&net, &[0.0, 0.0], &[1.0, 0.0], &[0.0, 1.0], [-r, r, -r, r], &SliceOptions::default()).unwrap();
        prop_assert_eq!(regions.len(), s.count());
        prop_assert!(s.count() as u128 <= serra_bound(2, &widths));
        let total: f64 = s.cells.iter().map(tropical::Cell::area).sum();
        prop_assert!((total - 4.0 * r * r).abs() < 1e-8);
        let lat = Lattice::from_slice(&s);
        let xs = gaussian_matrix(30, 2, Seed(seed + 3));
        for i in 0..30 {
            let x = [xs[(i, 0)].clamp(-r, r), xs[(i, 1)].clamp(-r, r)];
            let f = forward(&net, &x);
            prop_assert!((lat.eval(&x) - f).abs() <= 1e-8 * (1.0 + f.abs()), "lattice {} vs {}", lat.eval(&x), f);
        }
        // A segment crosses at most as many regions as the slice has, and
        // its pieces' patterns are patterns of the slice.
        let line = regions_on_line(&net, &[-r, -1.0], &[1.0, 0.25], 0.0, 2.0 * r).unwrap();
        prop_assert!(line.count() <= s.count());
        for p in &line.patterns {
            prop_assert!(s.cells.iter().any(|c| &c.pattern == p));
        }
    }
}

/// Regions in d = 3: the LP enumeration agrees with a dense sample of
/// patterns (every sampled pattern is found) and stays below the bound.
#[test]
fn enumeration_in_three_dimensions_finds_every_sampled_pattern() {
    let net = random_net(3, &[4, 3], 5);
    let regions = enumerate_regions(&net, &EnumerateOptions::cube(3, 3.0)).unwrap();
    assert!(regions.len() as u128 <= serra_bound(3, &[4, 3]));
    let xs = gaussian_matrix(5000, 3, Seed(6));
    let l0 = &net.layers()[0];
    let l1 = &net.layers()[1];
    for i in 0..5000 {
        let x: Vec<f64> = (0..3).map(|j| xs[(i, j)].clamp(-3.0, 3.0)).collect();
        let h: Vec<f64> = (0..4)
            .map(|u| (l0.bias()[u] + (0..3).map(|j| l0.weight()[(u, j)] * x[j]).sum::<f64>()).max(0.0))
            .collect();
        let p0: Vec<bool> = h.iter().map(|v| *v > 0.0).collect();
        let p1: Vec<bool> = (0..3)
            .map(|u| l1.bias()[u] + (0..4).map(|j| l1.weight()[(u, j)] * h[j]).sum::<f64>() > 0.0)
            .collect();
        assert!(
            regions.iter().any(|r| r.pattern == vec![p0.clone(), p1.clone()]),
            "pattern {p0:?} {p1:?} at {x:?} missing"
        );
    }
}

#[test]
fn bad_input_gives_typed_errors() {
    let net = random_net(2, &[3], 1);
    assert!(matches!(
        enumerate_regions(&net, &EnumerateOptions::cube(3, 1.0)),
        Err(TropicalError::Dimension { .. })
    ));
    let mut tiny = EnumerateOptions::cube(2, 10.0);
    tiny.max_regions = 2;
    assert!(matches!(
        enumerate_regions(&net, &tiny),
        Err(TropicalError::TooLarge { .. })
    ));
    let mut bad = EnumerateOptions::cube(2, 1.0);
    bad.bounds[0] = (1.0, -1.0);
    assert!(matches!(
        enumerate_regions(&net, &bad),
        Err(TropicalError::Invalid { .. })
    ));
    assert!(matches!(
        slice(
            &net,
            &[f64::NAN, 0.0],
            &[1.0, 0.0],
            &[0.0, 1.0],
            [0.0, 1.0, 0.0, 1.0],
            &SliceOptions::default()
        ),
        Err(TropicalError::NonFinite { .. })
    ));
    assert!(
        slice(
            &net,
            &[0.0, 0.0],
            &[1.0, 0.0],
            &[0.0, 1.0],
            [1.0, 0.0, 0.0, 1.0],
            &SliceOptions::default()
        )
        .is_err()
    );
    assert!(regions_on_line(&net, &[0.0], &[1.0, 0.0], 0.0, 1.0).is_err());
    let big = random_net(3, &[6, 6, 6], 2);
    let err = to_tropical(
        &big,
        &ConvertOptions {
            max_monomials: 50,
            simplify: false,
        },
    )
    .unwrap_err();
    assert!(matches!(err, TropicalError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("limit"));
}

/// A network without hidden layers is affine: one region, no panic.
#[test]
fn an_affine_network_has_one_region() {
    let net = Network::from_parts(vec![(
        Mat::from_fn(1, 2, |_, j| [1.0, -2.0][j]),
        Col::from_fn(1, |_| 0.5),
    )])
    .unwrap();
    let regions = enumerate_regions(&net, &EnumerateOptions::cube(2, 1.0)).unwrap();
    assert_eq!(regions.len(), 1);
    assert!((regions[0].map.eval(&[0.3, 0.1]) - (0.3 - 0.2 + 0.5)).abs() < 1e-15);
    let s = slice(
        &net,
        &[0.0, 0.0],
        &[1.0, 0.0],
        &[0.0, 1.0],
        [-1.0, 1.0, -1.0, 1.0],
        &SliceOptions::default(),
    )
    .unwrap();
    assert_eq!(s.count(), 1);
}
