//! Benchmarks of the moment estimators, with faer's GEMM as the reference
//! rate measured in the same run.
//!
//! Throughput is declared in floating-point operations, so criterion
//! reports GFLOP/s (as "Gelem/s"). For a moment contraction the count is the
//! effective `2 n d²` per contraction vector: what one dense `Xᵀ diag(w) X`
//! product costs (the estimator computes only the lower triangle, so it
//! executes about half of that). `cargo xtask bench` turns these into a
//! table with % of the GEMM rate.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, Par};
use gaussian_moments::{Estimator, MomentParams, matrix_contractions};
use relu_net::{Family, Planted, Seed, gaussian_matrix};

fn pars() -> [(&'static str, Par); 2] {
    [("t1", Par::Seq), ("t2", Par::rayon(2))]
}

fn gemm(c: &mut Criterion) {
    let mut g = c.benchmark_group("gemm");
    g.sample_size(10);
    let n = 2000;
    let a = gaussian_matrix(n, n, Seed(1));
    let b = gaussian_matrix(n, n, Seed(2));
    let mut out = Mat::zeros(n, n);
    g.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
    for (label, par) in pars() {
        g.bench_function(BenchmarkId::new("square", format!("n{n}_{label}")), |bch| {
            bch.iter(|| matmul(out.as_mut(), Accum::Replace, a.as_ref(), b.as_ref(), 1.0, par));
        });
    }
    g.finish();
}

fn sizes() -> Vec<(usize, usize)> {
    // (d, n); RELU_BENCH_FULL=1 adds n = 10⁶.
    let mut v = vec![(20, 100_000), (100, 100_000), (400, 100_000)];
    if std::env::var("RELU_BENCH_FULL").is_ok_and(|s| s == "1") {
        v.extend([(20, 1_000_000), (100, 1_000_000), (400, 1_000_000)]);
    }
    v
}

fn moments(c: &mut Criterion) {
    let mut g = c.benchmark_group("moments");
    g.sample_size(10);
    let est: Estimator = MomentParams::default()
        .validate()
        .expect("default parameters are valid");
    for (d, n) in sizes() {
        let teacher = Family::Random { dim: d, hidden: 5 }
            .plant(Seed(1))
            .expect("valid family");
        let planted = Planted::new(teacher, n, 0.0, Seed(2)).expect("valid source");
        let memory = planted.materialize();
        let gv = Col::from_fn(d, |i| ((i + 1) as f64).sin());
        for order in [2usize, 3, 4] {
            let gs: Vec<Col<f64>> = if order == 2 { vec![] } else { vec![gv.clone()] };
            g.throughput(Throughput::Elements(2 * (n * d * d) as u64));
            for (label, par) in pars() {
                g.bench_function(
                    BenchmarkId::new(format!("order{order}_memory"), format!("d{d}_n{n}_{label}")),
                    |b| {
                        b.iter(|| matrix_contractions(&memory, order, &gs, &est, par).expect("valid input"));
                    },
                );
            }
            if order == 2 {
                let (label, par) = pars()[1];
                g.bench_function(
                    BenchmarkId::new("order2_planted", format!("d{d}_n{n}_{label}")),
                    |b| {
                        b.iter(|| matrix_contractions(&planted, order, &gs, &est, par).expect("valid input"));
                    },
                );
            }
        }
    }
    g.finish();
}

criterion_group!(benches, gemm, moments);
criterion_main!(benches);
