//! Benchmarks of the forward pass and of the planted sample stream.
//!
//! Ids name the sizes; throughput is declared in samples so criterion
//! reports samples per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faer::{Col, Mat, Par};
use relu_net::{Family, Planted, SampleSource, Seed, fold_chunks, gaussian_matrix};

fn forward(c: &mut Criterion) {
    let mut g = c.benchmark_group("forward");
    for &(d, k, n) in &[(100usize, 10usize, 200_000usize), (20, 64, 200_000)] {
        let net = Family::Random { dim: d, hidden: k }
            .plant(Seed(1))
            .expect("valid family");
        let x = gaussian_matrix(n, d, Seed(2));
        let mut out = Col::zeros(n);
        g.throughput(Throughput::Elements(n as u64));
        for (label, par) in [("seq", Par::Seq), ("rayon2", Par::rayon(2))] {
            g.bench_function(format!("d{d}_k{k}_n{n}_{label}"), |b| {
                b.iter(|| relu_net::Predictor::predict_into(&net, x.as_ref(), out.as_mut(), par));
            });
        }
    }
    g.finish();
}

fn planted_stream(c: &mut Criterion) {
    let mut g = c.benchmark_group("planted");
    let (d, k, n) = (100usize, 10usize, 100_000usize);
    let net = Family::Random { dim: d, hidden: k }
        .plant(Seed(1))
        .expect("valid family");
    let src = Planted::new(net, n, 0.1, Seed(3)).expect("valid source");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(format!("chunk_d{d}_k{k}_n{n}"), |b| {
        let mut x = Mat::zeros(n, d);
        let mut y = Col::zeros(n);
        b.iter(|| src.chunk(0, x.as_mut(), y.as_mut()));
    });
    for (label, par) in [("seq", Par::Seq), ("rayon2", Par::rayon(2))] {
        g.bench_function(format!("fold_sum_y_d{d}_n{n}_{label}"), |b| {
            b.iter(|| {
                fold_chunks(
                    &src,
                    4096,
                    || 0.0f64,
                    |acc, _x, y| *acc += y.sum(),
                    |t, p| *t += p,
                    par,
                )
            });
        });
    }
    g.finish();
}

criterion_group!(benches, forward, planted_stream);
criterion_main!(benches);
