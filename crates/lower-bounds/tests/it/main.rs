//! Integration tests of `lower-bounds`: vanishing moments verified exactly
//! and by Monte Carlo, reductions checked against exact ERM, seeds, errors.

use faer::{Col, Mat, Par};
use gaussian_moments::hermite::h;
use learners::exact_erm::ExactErmParams;
use lower_bounds::norms::{degree_norms, l2_norm_sq_bias_free};
use lower_bounds::{
    Colouring, FamilyParams, HardError, HardFamily, Hypergraph, Lipschitz, Parity, Planar, colourable, family,
};
use relu_net::{Network, Seed, gaussian_matrix};

/// Exact check: degrees < k vanish (≤ 1e-12 of ‖f‖² = 1), degree k does not.
#[test]
fn moment_families_have_vanishing_low_degrees_exactly() {
    for k in [2, 4, 6, 8] {
        let fam = Planar::new(12, k).unwrap();
        let inst = fam.instance(Seed(k as u64)).unwrap();
        let v = fam.verify(&inst).unwrap();
        assert!(v.holds, "planar k={k}: {}", v.details);
        let net = inst.network.as_ref().unwrap();
        assert!((l2_norm_sq_bias_free(net).unwrap() - 1.0).abs() < 1e-12);
        assert!(v.degree_norms[k] > 1e-4, "planar k={k}: {}", v.details);
    }
    for k in [2, 4, 6] {
        let fam = Parity::new(12, k).unwrap();
        let inst = fam.instance(Seed(10 + k as u64)).unwrap();
        let v = fam.verify(&inst).unwrap();
        assert!(v.holds, "parity k={k}: {}", v.details);
    }
}

/// Independent Monte Carlo check (Stein): `E[f(x) h_m(⟨v, x⟩)] = 0` for
/// m < k and random unit v, within 5 standard errors on 2·10⁵ samples; and
/// the sum of the exact degree norms matches `E f²` = 1 to the truncation.
#[test]
fn monte_carlo_agrees_with_the_exact_moments() {
    let fam = Planar::new(6, 4).unwrap();
    let net = fam.instance(Seed(3)).unwrap().network.unwrap();
    let n = 200_000;
    let x = gaussian_matrix(n, 6, Seed(4));
    let f = net.predict(x.as_ref(), Par::rayon(2)).unwrap();
    let g = gaussian_matrix(3, 6, Seed(5));
    for r in 0..3 {
        let norm = (0..6).map(|j| g[(r, j)].powi(2)).sum::<f64>().sqrt();
        for m in 0..4 {
            let vals: Vec<f64> = (0..n)
                .map(|i| {
                    let t: f64 = (0..6).map(|j| g[(r, j)] / norm * x[(i, j)]).sum();
                    f[i] * h(m, t)
                })
                .collect();
            let mean = vals.iter().sum::<f64>() / n as f64;
            let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
            assert!(
                mean.abs() <= 5.0 * sd / (n as f64).sqrt(),
                "m={m}: {mean} ± {}",
                sd / (n as f64).sqrt()
            );
        }
    }
    let total: f64 = degree_norms(&net, 200).unwrap().iter().sum();
    assert!((total - 1.0).abs() < 5e-3, "{total}");
}

/// Different seeds give nearly orthogonal members (the CSQ argument), the
/// same seed the same network.
#[test]
fn parity_members_are_nearly_orthogonal_and_seeded() {
    let fam = Parity::new(60, 4).unwrap();
    let a = fam.instance(Seed(1)).unwrap().network.unwrap();
    let b = fam.instance(Seed(2)).unwrap().network.unwrap();
    assert_eq!(fam.instance(Seed(1)).unwrap().network.unwrap(), a);
    // ‖a − b‖² = 2 − 2 E[ab].
    let pa = a.as_depth2().unwrap();
    let pb = b.as_depth2().unwrap();
    let k = pa.w.nrows();
    let w = Mat::from_fn(
        2 * k,
        60,
        |i, j| if i < k { pa.w[(i, j)] } else { pb.w[(i - k, j)] },
    );
    let out = Col::from_fn(2 * k, |i| if i < k { pa.a[i] } else { -pb.a[i - k] });
    let diff = Network::depth2(w.as_ref(), Col::zeros(2 * k).as_ref(), out.as_ref(), 0.0).unwrap();
    let corr = 1.0 - l2_norm_sq_bias_free(&diff).unwrap() / 2.0;
    assert!(corr.abs() < 0.05, "E[f_a f_b] = {corr}");
}

#[test]
fn invalid_parameters_explain_themselves() {
    let err = Planar::new(10, 3).unwrap_err().to_string();
    assert!(err.contains("f ≡ 0"), "{err}");
    let err = Parity::new(10, 5).unwrap_err().to_string();
    assert!(err.contains("f ≡ 0"), "{err}");
    assert!(Parity::new(3, 4).unwrap_err().to_string().contains("at least k"));
    assert!(Planar::new(1, 2).is_err());
    assert!(Lipschitz::new(5, 0.5, 0.0).is_err());
    assert!(Colouring::new(30, 5, 2, 2).is_err());
    assert!(Colouring::new(4, 7, 2, 2).is_err());
    assert!(matches!(
        family("nope", &FamilyParams::default()),
        Err(HardError::UnknownFamily { .. })
    ));
}

#[test]
fn lipschitz_bumps_live_on_their_slab() {
    for lambda in [4.0, 10.0, 100.0] {
        let fam = Lipschitz::new(8, lambda, 0.5).unwrap();
        let inst = fam.instance(Seed(2)).unwrap();
        let v = fam.verify(&inst).unwrap();
        assert!(v.holds, "Λ = {lambda}: {}", v.details);
    }
}

fn erm_zero_loss(x: &Mat<f64>, y: &Col<f64>, k: usize) -> f64 {
    let erm = ExactErmParams {
        hidden: k,
        biases: false,
        output_bias: false,
        convex: true,
        max_dim: x.ncols(),
        max_points: x.nrows(),
        ..ExactErmParams::default()
    }
    .validate()
    .unwrap();
    let yv: Vec<f64> = (0..y.nrows()).map(|i| y[i]).collect();
    let sol = erm.solve(x.as_ref(), &yv, Par::rayon(2)).unwrap();
    assert!(sol.certified());
    sol.loss
}

/// All graphs on 3 vertices (8) and all 11 graphs on 4 vertices up to
/// isomorphism: exact ERM over sums of 2 positive bias-free ReLUs reaches
/// zero loss iff the graph is 2-colourable.
#[test]
fn zero_loss_iff_colourable_on_all_small_graphs() {
    let mut cases: Vec<Hypergraph> = Vec::new();
    for n in [3usize, 4] {
        let pairs: Vec<Vec<usize>> = (0..n).flat_map(|i| (i + 1..n).map(move |j| vec![i, j])).collect();
        let perms: Vec<Vec<usize>> = permutations(n);
        let mut seen: Vec<Vec<Vec<usize>>> = Vec::new();
        for mask in 0..1u32 << pairs.len() {
            let edges: Vec<Vec<usize>> = pairs
                .iter()
                .enumerate()
                .filter(|(i, _)| mask >> i & 1 == 1)
                .map(|(_, e)| e.clone())
                .collect();
            // Canonical form: the smallest relabelled edge list.
            let canon = perms
                .iter()
                .map(|p| {
                    let mut es: Vec<Vec<usize>> = edges
                        .iter()
                        .map(|e| {
                            let mut f = vec![p[e[0]], p[e[1]]];
                            f.sort_unstable();
                            f
                        })
                        .collect();
                    es.sort();
                    es
                })
                .min()
                .unwrap_or_default();
            if n == 3 || !seen.contains(&canon) {
                seen.push(canon);
                cases.push(Hypergraph { n, edges });
            }
        }
    }
    assert_eq!(cases.len(), 8 + 11);
    for g in &cases {
        let (x, y) = Colouring::training_set(g);
        let loss = erm_zero_loss(&x, &y, 2);
        if colourable(g, 2).is_some() {
            assert!(loss <= 1e-20, "{g:?}: colourable but loss {loss:e}");
        } else {
            assert!(loss > 1e-4, "{g:?}: not colourable but loss {loss:e}");
        }
    }
    // The 3-uniform version: any hypergraph on 4 vertices is 2-colourable.
    let g = Hypergraph {
        n: 4,
        edges: vec![vec![0, 1, 2], vec![0, 1, 3], vec![0, 2, 3], vec![1, 2, 3]],
    };
    let (x, y) = Colouring::training_set(&g);
    assert!(erm_zero_loss(&x, &y, 2) <= 1e-20);
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for pos in 0..=p.len() {
            let mut q = p.clone();
            q.insert(pos, n - 1);
            out.push(q);
        }
    }
    out
}

/// Generated instances verify: colourable ones carry an exact certificate,
/// the Fano-like dense ones are refused by brute force.
#[test]
fn reduction_instances_verify_and_reproduce() {
    for (n, m) in [(6, 4), (7, 7), (7, 20), (9, 30)] {
        let fam = Colouring::new(n, m, 3, 2).unwrap();
        for s in 0..3 {
            let inst = fam.instance(Seed(s)).unwrap();
            let v = fam.verify(&inst).unwrap();
            assert!(v.holds, "{n} {m} seed {s}: {}", v.details);
            assert_eq!(inst.data.as_ref().unwrap().0.nrows(), n + m + 1);
            let again = fam.instance(Seed(s)).unwrap();
            assert_eq!(again.data.unwrap().0, inst.data.unwrap().0);
        }
    }
    let g = Colouring::new(5, 10, 2, 3).unwrap();
    let inst = g.instance(Seed(1)).unwrap();
    assert!(g.verify(&inst).unwrap().holds);
    // K5 is not 3-colourable.
    assert_eq!(inst.params["colourable"], 0.0);
}
