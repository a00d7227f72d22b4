//! Determinism: for a fixed seed, every learner, moment estimator,
//! decomposition backend and subspace finder gives bit-identical results on
//! one and on two threads, and on repeated runs.
//!
//! "Bit-identical" is checked on the `Debug` form of the results: Rust
//! prints an `f64` with the shortest digits that round-trip, so two equal
//! strings mean equal bits (and `-0.0` differs from `0.0`).

use faer::{Col, Par};
use gaussian_moments::{
    Estimator, dense_moment, low_order_moments, matrix_contractions, vector_contractions,
};
use learners::LEARNERS;
use relu_net::{Family, InMemory, Planted, Seed};
use subspace_pca::{FilteredPcaParams, SubspaceFinder};
use tensor_decomp::{BACKENDS, Hints, backend};

fn data(d: usize, k: usize, n: usize, noise: f64) -> InMemory {
    let teacher = Family::Biased {
        dim: d,
        hidden: k,
        bias_range: 0.5,
    }
    .plant(Seed(11))
    .unwrap();
    Planted::new(teacher, n, noise, Seed(12)).unwrap().materialize()
}

/// Runs `f` on 1 thread (in a pool of one thread), on 2 threads (in a pool
/// of two), and again on 2 threads; all three `Debug` forms must be equal.
/// faer's global parallelism is `Par::Seq`, as the command line and the
/// Python package set it (the learners crate docs, "Determinism"): with the
/// global at the pool's width, products written with `*` change their
/// rounding with the thread count.
fn same_everywhere<T: std::fmt::Debug + Send>(what: &str, f: impl Fn(Par) -> T + Sync) {
    // (Setting the global to Par::rayon(2) for the two-thread runs makes
    // the narrow case below fail: checked.)
    faer::set_global_parallelism(Par::Seq);
    let pool = |n: usize| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    let one = format!("{:?}", pool(1).install(|| f(Par::Seq)));
    let two = format!("{:?}", pool(2).install(|| f(Par::rayon(2))));
    let again = format!("{:?}", pool(2).install(|| f(Par::rayon(2))));
    assert!(one == two, "{what}: 1 thread and 2 threads differ");
    assert!(two == again, "{what}: two runs on 2 threads differ");
}

#[test]
fn every_learner_is_bit_identical_on_one_and_two_threads() {
    // Noisy labels, so nothing converges to an exact fixed point that would
    // hide a difference in the path.
    let src = data(4, 2, 6000, 0.05);
    // Exact ERM is for tiny problems: 8 points in the plane.
    let tiny = data(2, 2, 8, 0.05);
    for &name in LEARNERS {
        let src = if name == "exact-erm" { &tiny } else { &src };
        same_everywhere(name, |par| {
            let spec = learners::LearnerSpec::defaults(name).unwrap();
            let hidden = spec.takes_hidden().then_some(2);
            let l = spec.with_hidden(hidden).unwrap().build().unwrap();
            let f = l.fit(src, Seed(5), par).unwrap_or_else(|e| panic!("{name}: {e}"));
            (f.model, f.report)
        });
    }
}

#[test]
fn narrow_at_a_size_where_parallel_products_engage_is_bit_identical() {
    // With faer's global parallelism at the pool's width this fit differed
    // in its last bits between 1 and 2 threads (matrix–vector products
    // split their inner dimension by the thread count).
    // The data of `relu-learn generate --family biased --dim 10 --hidden 4
    // --seed 3`, first 5·10⁴ rows.
    let teacher = relu_net::Family::from_name("biased", &relu_net::FamilyOptions::new(10, 4))
        .unwrap()
        .plant_varied(
            Seed(3).derive("teacher"),
            &relu_net::Variation {
                signs: relu_net::Signs::Mixed,
                ..relu_net::Variation::default()
            },
        )
        .unwrap();
    let src = Planted::new(teacher, 50_000, 0.0, Seed(3).derive("samples"))
        .unwrap()
        .materialize();
    same_everywhere("narrow d = 10, k = 4", |par| {
        // As `relu-learn fit --learner narrow --hidden 4` runs it.
        let l = learners::learner("narrow", Some(4)).unwrap();
        let mode = learners::inputs::InputMode::Auto;
        let f = learners::inputs::fit_any_gaussian(
            l.as_ref(),
            &src,
            &mode,
            Seed(0),
            par,
            &mut learners::NoObserver,
        )
        .unwrap();
        (f.model, f.report)
    });
}

#[test]
fn moment_estimators_are_bit_identical_on_one_and_two_threads() {
    // More than one chunk (4096 rows), so the parallel reduction is used.
    let src = data(5, 2, 10_000, 0.1);
    let est = Estimator::default();
    let gs: Vec<Col<f64>> = (0..2)
        .map(|i| Col::from_fn(5, |j| ((i + 2 * j) as f64).sin()))
        .collect();
    same_everywhere("low_order_moments", |par| {
        low_order_moments(&src, &est, par).unwrap()
    });
    same_everywhere("vector_contractions", |par| {
        vector_contractions(&src, 3, &gs, &est, par).unwrap()
    });
    same_everywhere("matrix_contractions", |par| {
        matrix_contractions(&src, 4, &gs, &est, par).unwrap()
    });
    same_everywhere("dense_moment", |par| dense_moment(&src, 3, &est, par).unwrap());
}

#[test]
fn decomposers_and_filtered_pca_are_bit_identical_on_one_and_two_threads() {
    let src = data(5, 2, 10_000, 0.0);
    let (t, _) = dense_moment(&src, 3, &Estimator::default(), Par::Seq).unwrap();
    for &id in BACKENDS {
        same_everywhere(id, |par| {
            backend(id)
                .unwrap()
                .decompose(&t, 2, &Hints::default(), 3, par)
                .unwrap()
        });
    }
    let pca = FilteredPcaParams {
        max_dim: 3,
        ..FilteredPcaParams::default()
    }
    .validate()
    .unwrap();
    same_everywhere("filtered-pca", |par| pca.find(&src, Seed(4), par).unwrap());
}

/// Runs `fit` (a fit's `Debug` form) on `src` here and on `src` with its
/// passes run in three shards, each crossing a JSON boundary as on a
/// cluster's worker ([`relu_net::Sharded`] with
/// [`learners::passes::worker`]); asserts the two are bit-identical and
/// returns the number of jobs and the views the jobs read through.
fn sharded_fit_is_identical(
    name: &str,
    src: &InMemory,
    fit: impl Fn(&dyn relu_net::SampleSource) -> String,
) -> (usize, std::collections::BTreeSet<String>) {
    let jobs = std::sync::atomic::AtomicUsize::new(0);
    let viewed = std::sync::Mutex::new(std::collections::BTreeSet::new());
    let sharded = relu_net::Sharded::new(
        src,
        3,
        |job: &relu_net::Job, rows: &dyn relu_net::SampleSource, chunks| {
            jobs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            for v in &job.views {
                viewed
                    .lock()
                    .unwrap()
                    .insert(relu_net::view::name_of(v).to_owned());
            }
            learners::passes::worker(job, rows, chunks, Par::Seq)
        },
    );
    let here = fit(src);
    let there = fit(&sharded);
    if here != there {
        let (a, b): (Vec<_>, Vec<_>) = (here.split(", ").collect(), there.split(", ").collect());
        let diff: Vec<_> = a.iter().zip(&b).filter(|(x, y)| x != y).take(5).collect();
        panic!("{name}: the sharded fit differs: {diff:?}");
    }
    (
        jobs.load(std::sync::atomic::Ordering::Relaxed),
        viewed.into_inner().unwrap(),
    )
}

/// Every learner's fit on a source whose passes run in shards equals the
/// local fit bit for bit ([`sharded_fit_is_identical`]); the worker must
/// actually have been used, and the passes over derived rows (projected
/// inputs, residual and squared labels) must have run there as views.
#[test]
fn every_learner_is_bit_identical_when_its_passes_run_in_shards() {
    let src = data(4, 2, 20_000, 0.05);
    let tiny = data(2, 2, 8, 0.05);
    for &name in LEARNERS {
        let src = if name == "exact-erm" { &tiny } else { &src };
        let spec = learners::LearnerSpec::defaults(name).unwrap();
        let hidden = spec.takes_hidden().then_some(2);
        let l = spec.with_hidden(hidden).unwrap().build().unwrap();
        let (ran, viewed) = sharded_fit_is_identical(name, src, |s| {
            let f = l
                .fit(s, Seed(5), Par::rayon(2))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            format!("{:?}", (f.model, f.report))
        });
        // Exact ERM loads its handful of rows once and makes no pass.
        assert!(ran > 0 || name == "exact-erm", "{name}: no pass ran in shards");
        let expected: &[&str] = match name {
            "atv" => &["project", "residual"],
            "narrow" => &["residual", "squared-labels"],
            "ckm" => &["project", "standardize"],
            _ => &[],
        };
        for v in expected {
            assert!(
                viewed.contains(*v),
                "{name}: no pass ran through the view {v:?} ({viewed:?})"
            );
        }
    }
}

/// The same for a fit whose inputs are whitened (correlated, shifted
/// inputs) and whose labels are screened (1 % gross outliers with a Huber
/// polish): both views run in the shards and the fit is bit-identical.
#[test]
fn whitened_and_screened_fits_are_bit_identical_in_shards() {
    let clean = data(4, 2, 20_000, 0.05);
    let x = clean.x();
    let mixed = faer::Mat::from_fn(x.nrows(), 4, |i, j| {
        0.3 + x[(i, j)] + if j > 0 { 0.6 * x[(i, j - 1)] } else { 0.0 }
    });
    let src = crate::with_outliers(&InMemory::new(mixed, clean.y().to_owned()).unwrap());
    let params = serde_json::json!({ "polish_params": { "huber": 1.345 } });
    let learner = learners::LearnerSpec::from_params("atv", params)
        .unwrap()
        .with_hidden(Some(2))
        .unwrap()
        .build()
        .unwrap();
    let read = std::sync::Mutex::new(Vec::new());
    let (_, viewed) = sharded_fit_is_identical("atv", &src, |s| {
        let f = learners::inputs::fit_any_gaussian(
            learner.as_ref(),
            s,
            &learners::inputs::InputMode::Auto,
            Seed(5),
            Par::rayon(2),
            &mut learners::NoObserver,
        )
        .unwrap();
        // Rows read here differ by design: the sharded passes read none.
        let mut report = f.report;
        let passes = report.data_passes.take().unwrap();
        read.lock().unwrap().push(passes);
        format!("{:?}", (f.model, report))
    });
    // Measured: 98.8 reads of the data here, 7.5 with the passes in shards
    // (the polish's rows and filtered statistics' bounded reads).
    let read = read.into_inner().unwrap();
    assert!(read[1] < 0.1 * read[0], "rows read here: {read:?}");
    for v in ["whiten", "screen"] {
        assert!(
            viewed.contains(v),
            "no pass ran through the view {v:?} ({viewed:?})"
        );
    }
}
