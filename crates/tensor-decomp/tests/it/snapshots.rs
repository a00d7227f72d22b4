//! Snapshots of canonicalised decompositions for fixed seeds, each next to
//! the assertion of its error bound. Rounded to 6 significant digits, `-0`
//! normalised; iteration counts redacted.

use faer::Par;
use tensor_decomp::{CpModel, Hints};

use crate::{errors, planted, reference};

fn round6(x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    let s = 10f64.powi(5 - x.abs().log10().floor() as i32);
    let r = (x * s).round() / s;
    if r == 0.0 { 0.0 } else { r }
}

fn rounded(m: &CpModel) -> (Vec<f64>, Vec<Vec<f64>>) {
    let w = (0..m.rank()).map(|i| round6(m.weights()[i])).collect();
    let u = (0..m.rank())
        .map(|i| (0..m.dim()).map(|k| round6(m.factors()[(k, i)])).collect())
        .collect();
    (w, u)
}

#[test]
fn canonical_decompositions_are_stable() {
    let truth = planted(3, 5, &[1.0, -1.5, 0.75], false, 42);
    let b = reference(&truth, &[1.0, 0.5, 2.0]);
    for id in tensor_decomp::BACKENDS {
        let be = tensor_decomp::backend(id).unwrap();
        let hints = Hints {
            reference: Some(b.as_ref()),
        };
        let (found, report) = be.decompose(&truth, 3, &hints, 2026, Par::Seq).unwrap();
        let (dir, w) = errors(&found, &truth);
        assert!(dir < 1e-10 && w < 1e-10, "{id}: {dir:e} {w:e}");
        let mut report = report;
        report.n_iters = 0;
        report.residual = round6(report.residual.max(1e-300)).min(1e-10);
        report.eigengaps = report.eigengaps.iter().map(|g| round6(*g)).collect();
        report.notes.clear();
        insta::assert_yaml_snapshot!(
            format!("decomposition_{id}"),
            (rounded(&found), report.converged, report.backend)
        );
    }
}
