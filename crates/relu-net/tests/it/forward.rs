//! The batched forward pass against a naive per-row loop.

use faer::{Mat, Par};
use relu_net::{Family, FamilyOptions, Init, Network, Seed, gaussian_matrix};

/// The textbook forward pass, one row and one unit at a time.
fn naive(net: &Network, x: &Mat<f64>) -> Vec<f64> {
    (0..x.nrows())
        .map(|r| {
            let mut h: Vec<f64> = (0..x.ncols()).map(|j| x[(r, j)]).collect();
            for (l, layer) in net.layers().iter().enumerate() {
                let w = layer.weight();
                let mut next = vec![0.0; layer.fan_out()];
                for (i, out) in next.iter_mut().enumerate() {
                    let mut s = layer.bias()[i];
                    for (k, hk) in h.iter().enumerate() {
                        s += w[(i, k)] * hk;
                    }
                    *out = if l + 1 < net.depth() { s.max(0.0) } else { s };
                }
                h = next;
            }
            h[0]
        })
        .collect()
}

fn check(net: &Network, n: usize) {
    let x = gaussian_matrix(n, net.input_dim(), Seed(7));
    let expected = naive(net, &x);
    for par in [Par::Seq, Par::rayon(2)] {
        let y = net.predict(x.as_ref(), par).unwrap();
        for i in 0..n {
            let tol = 1e-12 * (1.0 + expected[i].abs());
            assert!(
                (y[i] - expected[i]).abs() <= tol,
                "row {i}: {} vs {}",
                y[i],
                expected[i]
            );
        }
    }
}

#[test]
fn batched_forward_pass_matches_naive_loop_for_every_family() {
    for name in relu_net::FAMILY_NAMES {
        let opts = FamilyOptions {
            depth: 4,
            ..FamilyOptions::new(7, 5)
        };
        let net = Family::from_name(name, &opts).unwrap().plant(Seed(1)).unwrap();
        // 1300 rows: three forward blocks, the last one partial.
        check(&net, 1300);
    }
}

#[test]
fn batched_forward_pass_matches_naive_loop_for_initialisations() {
    let net = Init::Gaussian {
        sigma_w2: 2.0,
        sigma_b2: 0.5,
    }
    .network(9, &[16, 3, 8], Seed(2))
    .unwrap();
    check(&net, 700);
}

#[test]
fn forward_pass_is_bit_identical_on_one_and_two_threads() {
    let net = Family::Deep {
        dim: 20,
        widths: vec![30, 30],
        bias_std: 0.3,
    }
    .plant(Seed(3))
    .unwrap();
    let x = gaussian_matrix(5000, 20, Seed(4));
    let a = net.predict(x.as_ref(), Par::Seq).unwrap();
    let b = net.predict(x.as_ref(), Par::rayon(2)).unwrap();
    assert!((0..5000).all(|i| a[i].to_bits() == b[i].to_bits()));
}
