//! Integration tests of `subspace-pca`: filtered PCA finds the span of the
//! first-layer weights of deep networks.

use faer::{Mat, Par};
use relu_net::{Family, Network, Planted, Seed};
use subspace_pca::{FilteredPcaParams, SubspaceFinder, orthonormalize, sin_theta};

/// Orthonormal basis of the first layer's row space.
fn first_layer_span(net: &Network) -> Mat<f64> {
    let w = net.layers()[0].weight();
    orthonormalize(w.transpose(), 1e-10)
}

fn check(teacher: &Network, n: usize, tol: f64) -> (f64, f64) {
    let src = Planted::new(teacher.clone(), n, 0.0, Seed(2)).unwrap();
    let pca = FilteredPcaParams {
        max_dim: 3,
        ..FilteredPcaParams::default()
    }
    .validate()
    .unwrap();
    let (v, report) = pca.find(&src, Seed(3), Par::rayon(2)).unwrap();
    let u = first_layer_span(teacher);
    let out = sin_theta(v.basis(), u.as_ref()).unwrap();
    let cover = sin_theta(u.as_ref(), v.basis()).unwrap();
    assert!(
        out <= tol && cover <= tol,
        "sin θ(V, U) = {out}, sin θ(U, V) = {cover}, dim V = {}; {:?}",
        v.dim(),
        report.notes
    );
    (out, cover)
}

#[test]
fn filtered_pca_recovers_the_first_layer_span_of_a_bias_free_depth3_net() {
    let teacher = Family::Deep {
        dim: 12,
        widths: vec![3, 3],
        bias_std: 0.0,
    }
    .plant(Seed(1))
    .unwrap();
    // Measured sin θ = 0.063 (√(d/n) = 0.006: the filters keep a fraction
    // of the rows and the statistic's variance is larger).
    check(&teacher, 300_000, 0.1);
}

#[test]
fn filtered_pca_recovers_the_first_layer_span_with_biases() {
    let teacher = Family::Deep {
        dim: 12,
        widths: vec![3, 3],
        bias_std: 0.5,
    }
    .plant(Seed(4))
    .unwrap();
    // Measured sin θ = 0.049.
    check(&teacher, 300_000, 0.1);
}
