//! Snapshots of planted teachers: a seed must always plant the same
//! network, because every generated data set and every recovery snapshot
//! stands on it. Canonical forms are rounded to 6 significant digits with
//! `-0` normalised; each snapshot also asserts the family's defining
//! property, so a snapshot update cannot hide a broken family.

use relu_net::matching::canonical_depth2;
use relu_net::{FAMILY_NAMES, Family, FamilyOptions, Seed, gaussian_matrix};

fn round6(x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    let scale = 10f64.powi(5 - x.abs().log10().floor() as i32);
    let r = (x * scale).round() / scale;
    if r == 0.0 { 0.0 } else { r }
}

fn rows(m: faer::MatRef<'_, f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| round6(m[(i, j)])).collect())
        .collect()
}

#[test]
fn planted_depth2_families_are_stable() {
    for name in FAMILY_NAMES.iter().filter(|n| **n != "deep") {
        let family = Family::from_name(name, &FamilyOptions::new(4, 3)).unwrap();
        let net = family.plant(Seed(2026)).unwrap();
        let c = canonical_depth2(&net).unwrap();
        for i in 0..c.w.nrows() {
            let norm: f64 = (0..4).map(|j| c.w[(i, j)].powi(2)).sum();
            assert!(
                (norm - 1.0).abs() < 1e-12,
                "{name}: canonical rows are unit vectors"
            );
        }
        let a: Vec<f64> = (0..c.a.nrows()).map(|i| round6(c.a[i])).collect();
        if *name == "generic" {
            // Mixed signs, |a| in [0.5, 1.5] before canonicalisation scales
            // by the row norm (1 here: row_scale defaults to 1).
            assert!(
                a.iter().all(|&v| (0.5..=1.5).contains(&v.abs())),
                "{name}: |a| in [0.5, 1.5]"
            );
            assert!(
                a.iter().any(|&v| v < 0.0) && a.iter().any(|&v| v > 0.0),
                "{name}: both signs"
            );
        } else if *name != "signed" && *name != "conditioned" {
            assert!(
                a.iter().all(|&v| (0.5..=1.5).contains(&v)),
                "{name}: a in [0.5, 1.5]"
            );
        }
        let b: Vec<f64> = (0..c.b.nrows()).map(|i| round6(c.b[i])).collect();
        insta::assert_yaml_snapshot!(format!("family_{name}"), (rows(c.w.as_ref()), b, a, round6(c.c)));
    }
}

#[test]
fn gaussian_stream_is_stable() {
    let x = gaussian_matrix(3, 4, Seed(2026));
    let flat: Vec<f64> = (0..3)
        .flat_map(|i| (0..4).map(move |j| (i, j)))
        .map(|(i, j)| x[(i, j)])
        .collect();
    assert!(flat.iter().all(|v| v.abs() < 6.0));
    insta::assert_yaml_snapshot!("gaussian_rows_seed_2026", rows(x.as_ref()));
}
