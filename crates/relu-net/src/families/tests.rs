//! Tests of the planted families.

use super::*;

fn singular_values(w: faer::MatRef<'_, f64>) -> Vec<f64> {
    let mut s = w.singular_values().unwrap();
    s.sort_by(|a, b| b.total_cmp(a));
    s
}

#[test]
fn every_named_family_plants_a_valid_network() {
    for name in FAMILY_NAMES {
        let f = Family::from_name(name, &FamilyOptions::new(6, 4)).unwrap();
        let net = f.plant(Seed(1)).unwrap();
        assert_eq!(net.input_dim(), 6, "{name}");
        assert_eq!(f.name(), *name);
        assert_eq!(net, f.plant(Seed(1)).unwrap(), "{name} is deterministic");
    }
    assert!(Family::from_name("nope", &FamilyOptions::new(6, 4)).is_none());
}

#[test]
fn conditioned_family_has_the_requested_condition_number() {
    let net = Family::Conditioned {
        dim: 8,
        hidden: 5,
        kappa: 30.0,
    }
    .plant(Seed(2))
    .unwrap();
    let s = singular_values(net.as_depth2().unwrap().w);
    assert!((s[0] / s[4] - 30.0).abs() < 1e-8, "{s:?}");
    assert!(
        Family::Conditioned {
            dim: 3,
            hidden: 5,
            kappa: 2.0
        }
        .plant(Seed(2))
        .is_err()
    );
    assert!(
        Family::Conditioned {
            dim: 5,
            hidden: 3,
            kappa: 0.5
        }
        .plant(Seed(2))
        .is_err()
    );
}

#[test]
fn close_family_has_pairs_at_the_requested_angle() {
    let net = Family::Close {
        dim: 7,
        hidden: 5,
        angle: 0.2,
    }
    .plant(Seed(3))
    .unwrap();
    let w = net.as_depth2().unwrap().w;
    for p in [0, 2] {
        let dot: f64 = (0..7).map(|j| w[(p, j)] * w[(p + 1, j)]).sum();
        assert!((dot.acos() - 0.2).abs() < 1e-10);
    }
    for i in 0..5 {
        let n: f64 = (0..7).map(|j| w[(i, j)].powi(2)).sum();
        assert!((n - 1.0).abs() < 1e-12);
    }
    assert!(
        Family::Close {
            dim: 7,
            hidden: 2,
            angle: 0.0
        }
        .plant(Seed(3))
        .is_err()
    );
    assert!(
        Family::Close {
            dim: 1,
            hidden: 2,
            angle: 0.5
        }
        .plant(Seed(3))
        .is_err()
    );
}

#[test]
fn signed_and_biased_families_have_their_structure() {
    let net = Family::Signed { dim: 4, hidden: 3 }.plant(Seed(4)).unwrap();
    let a = net.as_depth2().unwrap().a;
    assert!((0..3).any(|i| a[i] < 0.0) && (0..3).any(|i| a[i] > 0.0));
    let net = Family::Biased {
        dim: 4,
        hidden: 50,
        bias_range: 0.7,
    }
    .plant(Seed(4))
    .unwrap();
    let b = net.as_depth2().unwrap().b;
    assert!((0..50).all(|i| b[i].abs() <= 0.7) && (0..50).any(|i| b[i].abs() > 0.3));
}

#[test]
fn deep_family_has_the_requested_architecture() {
    let f = Family::from_name(
        "deep",
        &FamilyOptions {
            depth: 4,
            ..FamilyOptions::new(5, 3)
        },
    )
    .unwrap();
    let net = f.plant(Seed(5)).unwrap();
    assert_eq!(net.depth(), 4);
    assert_eq!(net.hidden_widths(), vec![3, 3, 3]);
    let bad = Family::from_name(
        "deep",
        &FamilyOptions {
            depth: 1,
            ..FamilyOptions::new(5, 3)
        },
    )
    .unwrap();
    assert!(bad.plant(Seed(5)).is_err());
}

#[test]
fn cluster_family_has_groups_within_the_angle() {
    let (k, r, theta) = (7, 3, 0.02);
    let net = Family::Cluster {
        dim: 9,
        hidden: k,
        group: r,
        angle: theta,
    }
    .plant(Seed(6))
    .unwrap();
    let w = net.as_depth2().unwrap().w;
    let angle = |p: usize, q: usize| {
        let dot: f64 = (0..9).map(|j| w[(p, j)] * w[(q, j)]).sum();
        dot.clamp(-1.0, 1.0).acos()
    };
    for g in 0..2 {
        for p in 3 * g..3 * g + 3 {
            for q in p + 1..3 * g + 3 {
                assert!(angle(p, q) <= theta + 1e-12 && angle(p, q) > 1e-4, "{p} {q}");
            }
        }
    }
    // Units of different groups are far apart (random centres in d = 9).
    assert!(angle(0, 3) > 0.1 && angle(2, 6) > 0.1);
    assert!(
        Family::Cluster {
            dim: 9,
            hidden: 4,
            group: 0,
            angle: 0.1
        }
        .plant(Seed(6))
        .is_err()
    );
}

#[test]
fn generic_family_spreads_norms_biases_and_signs() {
    let net = Family::Generic {
        dim: 5,
        hidden: 40,
        bias_range: 2.0,
        row_scale: 3.0,
    }
    .plant(Seed(7))
    .unwrap();
    let p = net.as_depth2().unwrap();
    let norms: Vec<f64> = (0..40)
        .map(|i| (0..5).map(|j| p.w[(i, j)].powi(2)).sum::<f64>().sqrt())
        .collect();
    assert!(
        norms
            .iter()
            .all(|&s| (1.0 / 3.0 - 1e-12..=3.0 + 1e-12).contains(&s))
    );
    assert!(norms.iter().any(|&s| s > 2.0) && norms.iter().any(|&s| s < 0.5));
    assert!((0..40).all(|i| p.b[i].abs() <= 2.0 * norms[i] + 1e-12));
    assert!((0..40).any(|i| p.b[i].abs() > 1.5 * norms[i]));
    assert!((0..40).any(|i| p.a[i] < 0.0) && (0..40).any(|i| p.a[i] > 0.0));
    assert!((0..40).all(|i| (0.5..=1.5).contains(&p.a[i].abs())));
}

#[test]
fn variation_flips_signs_scales_and_offsets_the_output_only() {
    let family = Family::Biased {
        dim: 6,
        hidden: 5,
        bias_range: 1.0,
    };
    let plain = family.plant(Seed(8)).unwrap();
    assert_eq!(
        plain,
        family.plant_varied(Seed(8), &Variation::default()).unwrap()
    );
    let v = Variation {
        signs: Signs::Mixed,
        offset: 0.7,
        label_scale: -2.0,
    };
    let varied = family.plant_varied(Seed(8), &v).unwrap();
    let (p, q) = (plain.as_depth2().unwrap(), varied.as_depth2().unwrap());
    assert_eq!(p.w, q.w);
    assert_eq!(p.b, q.b);
    assert!((0..5).all(|i| (q.a[i].abs() - 2.0 * p.a[i].abs()).abs() < 1e-12));
    assert!((0..5).any(|i| q.a[i] > 0.0) && (0..5).any(|i| q.a[i] < 0.0));
    assert!((q.c - 0.7).abs() < 1e-15);
    let bad = Variation {
        label_scale: 0.0,
        ..Variation::default()
    };
    assert!(family.plant_varied(Seed(8), &bad).is_err());
}
