//! Sample sources: determinism whatever the chunking and the thread count.

use faer::{Col, Mat, Par};
use relu_net::{Family, InMemory, Planted, SampleSource, Seed, fold_chunks};

fn planted() -> Planted {
    let teacher = Family::Biased {
        dim: 6,
        hidden: 3,
        bias_range: 1.0,
    }
    .plant(Seed(1))
    .unwrap();
    Planted::new(teacher, 3000, 0.1, Seed(2)).unwrap()
}

#[test]
fn planted_source_gives_the_same_rows_for_any_chunking() {
    let src = planted();
    let all = src.materialize();
    for &(start, m) in &[(0usize, 1usize), (1, 64), (63, 130), (2999, 1), (1000, 2000)] {
        let mut x = Mat::zeros(m, 6);
        let mut y = Col::zeros(m);
        src.chunk(start, x.as_mut(), y.as_mut());
        for i in 0..m {
            assert_eq!(y[i].to_bits(), all.y()[start + i].to_bits());
            for j in 0..6 {
                assert_eq!(x[(i, j)].to_bits(), all.x()[(start + i, j)].to_bits());
            }
        }
    }
}

#[test]
fn planted_source_gives_identical_samples_on_one_and_two_threads() {
    let src = planted();
    let collect = |par| {
        fold_chunks(
            &src,
            257,
            Vec::new,
            |acc: &mut Vec<u64>, x, y| {
                for i in 0..x.nrows() {
                    acc.push(y[i].to_bits());
                    acc.extend((0..6).map(|j| x[(i, j)].to_bits()));
                }
            },
            |t, p| t.extend(p),
            par,
        )
    };
    let seq = collect(Par::Seq);
    assert_eq!(seq.len(), 3000 * 7);
    assert_eq!(seq, collect(Par::rayon(2)));
}

#[test]
fn in_memory_source_round_trips_its_rows() {
    let data = planted().materialize();
    let (x, y) = data.clone().into_parts();
    let mem = InMemory::new(x, y).unwrap();
    let mut xs = Mat::zeros(10, 6);
    let mut ys = Col::zeros(10);
    mem.chunk(5, xs.as_mut(), ys.as_mut());
    assert_eq!(xs.as_ref(), data.x().subrows(5, 10));
    assert_eq!(ys.as_ref(), data.y().subrows(5, 10));
    assert!(!mem.is_empty());
}
