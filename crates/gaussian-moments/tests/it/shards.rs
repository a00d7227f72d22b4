//! Determinism: identical results on 1 and 2 threads, and shard
//! accumulators (serialised and merged) equal to one pass, bit for bit.

use faer::{Col, Par};
use gaussian_moments::statistics::MatrixContractions;
use gaussian_moments::{Accumulator, Estimator, MomentParams, matrix_contractions};

use crate::samples;

#[test]
fn estimates_are_bit_identical_on_one_and_two_threads() {
    let src = samples(30_001, 1);
    let est = Estimator::default();
    let g = Col::from_fn(5, |i| (i as f64 + 1.0).sin());
    let a = matrix_contractions(&src, 4, std::slice::from_ref(&g), &est, Par::Seq).unwrap();
    let b = matrix_contractions(&src, 4, &[g], &est, Par::rayon(2)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn merged_shards_equal_one_pass_exactly() {
    let src = samples(50_000, 2);
    let est = MomentParams {
        chunk_rows: 1024,
        batch_rows: 128,
        std_errors: true,
    }
    .validate()
    .unwrap();
    let g = Col::from_fn(5, |i| (i as f64 - 2.0) / 3.0);
    let stat = MatrixContractions::new(5, 3, &[g]).unwrap();
    let whole = est.accumulate(&stat, &src, Par::Seq).unwrap().finish().unwrap();
    let n_chunks = 50_000usize.div_ceil(1024);
    for cuts in [[0, 7, 30], [13, 13, 40], [1, 2, 48]] {
        let bounds = [0, cuts[0], cuts[1], cuts[2], n_chunks];
        let shards: Vec<Accumulator> = bounds
            .windows(2)
            .map(|w| {
                let acc = est
                    .accumulate_range(&stat, &src, w[0]..w[1], Par::rayon(2))
                    .unwrap();
                // Through JSON, as between processes.
                let text = serde_json::to_string(&acc).unwrap();
                serde_json::from_str(&text).unwrap()
            })
            .collect();
        let merged = shards.into_iter().reduce(|a, b| a.merge(b).unwrap()).unwrap();
        assert_eq!(merged.n_samples(), 50_000);
        assert_eq!(merged.finish().unwrap(), whole, "cuts {cuts:?}");
    }
}

#[test]
fn merging_refuses_mismatched_or_gapped_shards() {
    let src = samples(10_000, 3);
    let est = MomentParams {
        chunk_rows: 1024,
        batch_rows: 128,
        std_errors: true,
    }
    .validate()
    .unwrap();
    let g = Col::from_fn(5, |i| i as f64 + 1.0);
    let s3 = MatrixContractions::new(5, 3, std::slice::from_ref(&g)).unwrap();
    let s4 = MatrixContractions::new(5, 4, &[g]).unwrap();
    let a = est.accumulate_range(&s3, &src, 0..3, Par::Seq).unwrap();
    let b = est.accumulate_range(&s4, &src, 3..5, Par::Seq).unwrap();
    assert!(a.clone().merge(b).is_err());
    let gap = est.accumulate_range(&s3, &src, 4..6, Par::Seq).unwrap();
    assert!(a.clone().merge(gap).is_err());
    let later = est.accumulate_range(&s3, &src, 3..10, Par::Seq).unwrap();
    assert!(
        later.finish().is_err(),
        "a shard not starting at chunk 0 cannot finish alone"
    );
    let other = MomentParams {
        chunk_rows: 2048,
        batch_rows: 128,
        std_errors: true,
    }
    .validate()
    .unwrap();
    let c = other.accumulate_range(&s3, &src, 2..3, Par::Seq).unwrap();
    assert!(a.merge(c).is_err());
}
