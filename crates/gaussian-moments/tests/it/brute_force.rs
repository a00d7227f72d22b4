//! The streaming estimators against a brute-force sum over all entries of
//! the Hermite tensor `S_l(x)_{i_1…i_l} = Π_j He_{α_j}(x_j) / √(l!)`, on the
//! same samples: equal up to rounding, for orders 2 to 6.

use faer::{Col, Mat, Par};
use gaussian_moments::hermite::he;
use gaussian_moments::{
    EmpiricalTensor, Estimator, dense_moment, label_mean, matrix_contractions, vector_contractions,
};
use relu_net::{Family, InMemory, Planted, SampleSource, Seed};
use tensor_decomp::SymTensor;

fn data(d: usize, n: usize) -> InMemory {
    let t = Family::Biased {
        dim: d,
        hidden: 2,
        bias_range: 1.0,
    }
    .plant(Seed(1))
    .unwrap();
    Planted::new(t, n, 0.1, Seed(2)).unwrap().materialize()
}

/// `(1/n) Σ y S_l(x)[v_1, …, v_p, ·, … ]` with `free` free indices, by
/// enumerating all d^l index tuples.
fn brute(src: &InMemory, l: usize, vs: &[Col<f64>], free: usize) -> Vec<f64> {
    let (x, y) = (src.x(), src.y());
    let (n, d) = (x.nrows(), x.ncols());
    let fact: f64 = (1..=l).map(|k| k as f64).product();
    let mut out = vec![0.0; d.pow(free as u32)];
    let mut idx = vec![0usize; l];
    for s in 0..n {
        for flat in 0..d.pow(l as u32) {
            let mut rest = flat;
            for slot in idx.iter_mut().rev() {
                *slot = rest % d;
                rest /= d;
            }
            let mut counts = vec![0; d];
            idx.iter().for_each(|&i| counts[i] += 1);
            let h: f64 = (0..d).map(|j| he(counts[j], x[(s, j)])).product::<f64>() / fact.sqrt();
            let w: f64 = vs.iter().zip(&idx).map(|(v, &i)| v[i]).product();
            let out_idx = idx[l - free..].iter().fold(0, |a, &i| a * d + i);
            out[out_idx] += y[s] * h * w;
        }
    }
    out.iter().map(|v| v / n as f64).collect()
}

fn close(a: &[f64], b: &[f64], what: &str) {
    let scale = b.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
    for (i, (p, q)) in a.iter().zip(b).enumerate() {
        assert!((p - q).abs() <= 1e-11 * scale, "{what}: entry {i}: {p} vs {q}");
    }
}

#[test]
fn matrix_contractions_equal_the_brute_force_sum() {
    let (d, n) = (3, 300);
    let src = data(d, n);
    let est = Estimator::default();
    let g1 = Col::from_fn(d, |i| [0.3, -0.5, 0.8][i]);
    let g2 = Col::from_fn(d, |i| [1.0, 0.2, 0.0][i]);
    for l in 2..=6 {
        let gs: Vec<Col<f64>> = if l == 2 {
            vec![]
        } else {
            vec![g1.clone(), g2.clone()]
        };
        let got = matrix_contractions(&src, l, &gs, &est, Par::Seq).unwrap();
        for (j, m) in got.iter().enumerate() {
            let vs: Vec<Col<f64>> = if l == 2 {
                vec![]
            } else {
                vec![gs[j].clone(); l - 2]
            };
            let expected = brute(&src, l, &vs, 2);
            let flat: Vec<f64> = (0..d * d).map(|k| m.mean[(k / d, k % d)]).collect();
            close(&flat, &expected, &format!("order {l}, vector {j}"));
        }
    }
}

#[test]
fn vector_contractions_and_scalars_equal_the_brute_force_sum() {
    let (d, n) = (3, 300);
    let src = data(d, n);
    let est = Estimator::default();
    let g = Col::from_fn(d, |i| [0.6, 0.0, -0.4][i]);
    for l in 1..=5 {
        let got = vector_contractions(&src, l, std::slice::from_ref(&g), &est, Par::Seq).unwrap();
        let vs = if l == 1 { vec![] } else { vec![g.clone(); l - 1] };
        let flat: Vec<f64> = (0..d).map(|k| got[0].mean[k]).collect();
        close(&flat, &brute(&src, l, &vs, 1), &format!("vector order {l}"));
    }
    let mean = label_mean(&src, &est, Par::Seq).unwrap();
    let y = src.y();
    let direct = (0..n).map(|i| y[i]).sum::<f64>() / n as f64;
    assert!((mean.mean - direct).abs() < 1e-14);
}

#[test]
fn dense_moments_and_polarised_contractions_agree() {
    let (d, n) = (3, 200);
    let src = data(d, n);
    let est = Estimator::default();
    let (t4, _) = dense_moment(&src, 4, &est, Par::Seq).unwrap();
    close(t4.data(), &brute(&src, 4, &[], 4), "dense order 4");
    let all = gaussian_moments::dense_moments(&src, 4, &est, Par::Seq).unwrap();
    for (l, e) in all.iter().enumerate() {
        close(&e.mean, &brute(&src, l, &[], l), &format!("dense order {l}"));
        assert_eq!(e.std_error.len(), e.mean.len());
    }
    // Distinct contraction vectors go through polarisation.
    let empirical = EmpiricalTensor::new(&src, 4, est).unwrap();
    let (u, v) = (
        Col::from_fn(d, |i| [0.3, -0.5, 0.8][i]),
        Col::from_fn(d, |i| [1.0, 0.2, -0.1][i]),
    );
    let a = empirical.contract_to_matrix(&[u.as_ref(), v.as_ref()], Par::Seq);
    let b = t4.contract_to_matrix(&[u.as_ref(), v.as_ref()], Par::Seq);
    close(
        &(0..9).map(|k| a[(k / 3, k % 3)]).collect::<Vec<_>>(),
        &(0..9).map(|k| b[(k / 3, k % 3)]).collect::<Vec<_>>(),
        "polarised matrix",
    );
    let a = empirical.contract_to_vector(&[u.as_ref(), v.as_ref(), u.as_ref()], Par::Seq);
    let b = t4.contract_to_vector(&[u.as_ref(), v.as_ref(), u.as_ref()], Par::Seq);
    close(
        &(0..3).map(|k| a[k]).collect::<Vec<_>>(),
        &(0..3).map(|k| b[k]).collect::<Vec<_>>(),
        "polarised vector",
    );
    assert_eq!(
        empirical.contract_to_matrix(&[Col::zeros(d).as_ref(), v.as_ref()], Par::Seq),
        Mat::<f64>::zeros(d, d)
    );
    assert_eq!(src.dim(), 3);
}

#[test]
fn low_order_moments_equal_the_separate_estimates() {
    let src = data(4, 1000);
    let est = Estimator::default();
    let low = gaussian_moments::low_order_moments(&src, &est, Par::Seq).unwrap();
    let m0 = label_mean(&src, &est, Par::Seq).unwrap();
    let m1 = gaussian_moments::first_moment(&src, &est, Par::Seq).unwrap();
    let m2 = gaussian_moments::second_moment(&src, &est, Par::Seq).unwrap();
    assert!((low.t0.mean - m0.mean).abs() < 1e-14 && (low.t0.std_error - m0.std_error).abs() < 1e-14);
    assert!(
        (&low.t1.mean - &m1.mean).norm_max() < 1e-14
            && (&low.t1.std_error - &m1.std_error).norm_max() < 1e-14
    );
    assert!(
        (&low.t2.mean - &m2.mean).norm_max() < 1e-14
            && (&low.t2.std_error - &m2.std_error).norm_max() < 1e-14
    );
}
