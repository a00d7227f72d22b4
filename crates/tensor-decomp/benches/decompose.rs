//! Benchmarks of the decomposition backends on exact order-3 CP tensors
//! with random (non-orthogonal) unit factors; tensor-power whitens with the
//! reference `Σ u_i u_iᵀ`, the others get it as a hint too.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use faer::{Col, Mat, Par};
use rand_distr::{Distribution, StandardNormal};
use tensor_decomp::{CpModel, Hints, fit};

fn planted(d: usize, r: usize) -> (CpModel, Mat<f64>) {
    let mut rng = fit::rng(7, 0);
    let mut u = Mat::from_fn(d, r, |_, _| -> f64 { StandardNormal.sample(&mut rng) });
    for j in 0..r {
        let n = u.col(j).norm_l2();
        for i in 0..d {
            u[(i, j)] /= n;
        }
    }
    let w = Col::from_fn(r, |i| 1.0 + 0.1 * i as f64 * if i % 2 == 0 { 1.0 } else { -1.0 });
    let reference = &u * u.transpose();
    (CpModel::new(3, w, u).expect("valid model"), reference)
}

fn backends(c: &mut Criterion) {
    let mut g = c.benchmark_group("decompose");
    g.sample_size(10);
    for d in [10usize, 50, 100] {
        for r in [5usize, 10, 20] {
            if r > d {
                continue;
            }
            let (t, reference) = planted(d, r);
            for id in tensor_decomp::BACKENDS {
                let backend = tensor_decomp::backend(id).expect("known backend");
                let hints = Hints {
                    reference: Some(reference.as_ref()),
                };
                g.bench_function(BenchmarkId::new(*id, format!("d{d}_r{r}")), |b| {
                    b.iter(|| {
                        backend
                            .decompose(&t, r, &hints, 1, Par::Seq)
                            .expect("valid problem")
                    });
                });
            }
        }
    }
    g.finish();
}

criterion_group!(benches, backends);
criterion_main!(benches);
