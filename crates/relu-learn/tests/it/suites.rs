//! Every registered suite runs end to end at its smoke size, and its claims
//! hold there.

use faer::Par;
use relu_learn::suites::{Size, SuiteContext, registry};
use relu_net::Seed;

#[test]
fn init_suite_runs_and_the_exact_law_matches_simulation() {
    let suite = registry()
        .into_iter()
        .find(|s| s.name() == "init")
        .expect("init is registered");
    let ctx = SuiteContext {
        size: Size::Smoke,
        seed: Seed(0),
        par: Par::rayon(2),
    };
    let out = suite.run(&ctx).unwrap();
    let table = &out.tables[0];
    assert_eq!(table.rows().len(), 3 * 2);
    assert_eq!(table.records().len(), table.rows().len());
    for rec in table.records() {
        let get = |k: &str| rec.iter().find(|(key, _)| key == k).unwrap().1.as_f64().unwrap();
        // A fixed-seed KS test at level 0.001 per row (6 rows).
        assert!(get("ks_p") > 1e-3, "{rec:?}");
    }
    let md = out.to_markdown();
    assert!(md.starts_with("# init:") && md.contains("| scheme | depth | width |"));
    // The same seed reproduces the Markdown exactly, on any thread count.
    let again = suite.run(&SuiteContext { par: Par::Seq, ..ctx }).unwrap();
    assert_eq!(md, again.to_markdown());
}

#[test]
fn recovery_suite_runs_and_atv_recovers_the_generic_family() {
    let suite = registry()
        .into_iter()
        .find(|s| s.name() == "recovery")
        .expect("recovery is registered");
    let ctx = SuiteContext {
        size: Size::Smoke,
        seed: Seed(0),
        par: Par::rayon(2),
    };
    let out = suite.run(&ctx).unwrap();
    let table = &out.tables[0];
    // Six families; atv and gd on each, narrow on the four bias-free ones.
    assert_eq!(table.rows().len(), 6 * 2 + 4);
    let field = |r: &Vec<(String, serde_json::Value)>, k: &str| {
        r.iter().find(|(key, _)| key == k).map(|x| x.1.clone())
    };
    let biased = table
        .records()
        .iter()
        .find(|r| field(r, "family") == Some("biased".into()) && field(r, "learner") == Some("atv".into()))
        .unwrap();
    // Noise-free samples: atv's polish converges to the teacher.
    let err = field(biased, "relative_error").and_then(|v| v.as_f64()).unwrap();
    assert!(err < 1e-6, "{biased:?}");
}

#[test]
fn deep_suite_runs_and_ckm_finds_the_first_layer_span() {
    let suite = registry()
        .into_iter()
        .find(|s| s.name() == "deep")
        .expect("deep is registered");
    let ctx = SuiteContext {
        size: Size::Smoke,
        seed: Seed(0),
        par: Par::rayon(2),
    };
    let out = suite.run(&ctx).unwrap();
    assert_eq!(out.tables.len(), 2);
    // One instance: ckm and gd; one scaling row.
    assert_eq!(out.tables[0].rows().len(), 2);
    assert_eq!(out.tables[1].rows().len(), 1);
    let get = |r: &Vec<(String, serde_json::Value)>, k: &str| {
        r.iter().find(|(key, _)| key == k).and_then(|x| x.1.as_f64())
    };
    let ckm = &out.tables[0].records()[0];
    assert_eq!(ckm[4].1, "ckm");
    // 2·10⁴ samples in d = 6 with a tiny search: the span is found, and the
    // polished network is far better than predicting the mean.
    let err = get(ckm, "relative_error").unwrap();
    let sin = get(ckm, "sin_theta").unwrap();
    assert!(err < 0.1 && sin < 0.2, "{ckm:?}");
    assert!(out.to_markdown().contains("| d | widths | bias std |"));
}

#[test]
fn scaling_suite_times_every_learner() {
    let suite = registry()
        .into_iter()
        .find(|s| s.name() == "scaling")
        .expect("scaling is registered");
    let ctx = SuiteContext {
        size: Size::Smoke,
        seed: Seed(0),
        par: Par::rayon(2),
    };
    let out = suite.run(&ctx).unwrap();
    assert_eq!(out.tables.len(), 3);
    // 8 learners × 2 dimensions, 5 learners × 2 widths, 2 exact-erm rows.
    assert_eq!(out.tables[0].rows().len(), 16);
    assert_eq!(out.tables[1].rows().len(), 10);
    assert_eq!(out.tables[2].rows().len(), 2);
    let field = |r: &Vec<(String, serde_json::Value)>, k: &str| {
        r.iter().find(|(key, _)| key == k).map(|x| x.1.clone())
    };
    // The exact single-ReLU learner fits its noise-free teacher.
    let glm = out.tables[0]
        .records()
        .iter()
        .find(|r| field(r, "learner") == Some("glmtron".into()))
        .unwrap();
    let err = field(glm, "relative_error").and_then(|v| v.as_f64()).unwrap();
    assert!(err < 1e-3, "{glm:?}");
    // Exact ERM: D = 6 points in one dimension with one unit: 2·6 = 12
    // dichotomies (Cover's count), 2·C(12, 1) = 24 programs.
    let e = &out.tables[2].records()[0];
    assert_eq!(field(e, "dichotomies"), Some(12.into()));
    assert_eq!(field(e, "programs"), Some(24.into()));
    assert!(out.to_markdown().contains("| learner | teacher | d | k |"));
}

#[test]
fn tropical_suite_counts_regions_and_draws_a_slice() {
    let suite = registry()
        .into_iter()
        .find(|s| s.name() == "tropical")
        .expect("tropical is registered");
    let ctx = SuiteContext {
        size: Size::Smoke,
        seed: Seed(0),
        par: Par::rayon(2),
    };
    let out = suite.run(&ctx).unwrap();
    assert_eq!(out.tables.len(), 2);
    assert_eq!(out.tables[0].rows().len(), 4);
    // Exact enumeration and slicing agree, and no count exceeds its bound.
    for row in out.tables[0].rows() {
        assert!(row[5].starts_with("yes"), "{row:?}");
        let max: u128 = row[4].parse().unwrap();
        let bound: u128 = row[6].parse().unwrap();
        assert!(max <= bound, "{row:?}");
    }
    assert_eq!(out.figures.len(), 1);
    assert!(out.figures[0].2.starts_with("<svg"));
    assert!(out.to_markdown().contains("![A biased teacher"));
}

#[test]
fn hardness_and_gd_fails_suites_run() {
    let ctx = SuiteContext {
        size: Size::Smoke,
        seed: Seed(0),
        par: Par::rayon(2),
    };
    let find = |name: &str| registry().into_iter().find(|s| s.name() == name).unwrap();
    let hard = find("hardness").run(&ctx).unwrap();
    assert_eq!(hard.tables.len(), 3);
    // Every vanishing-moment claim verified, every ERM optimum agrees.
    assert!(
        hard.tables[0].rows().iter().all(|r| r.last().unwrap() == "yes"),
        "{:?}",
        hard.tables[0].rows()
    );
    assert!(
        hard.tables[1].rows().iter().all(|r| r[5] == "yes"),
        "{:?}",
        hard.tables[1].rows()
    );
    let gd = find("gd-fails").run(&ctx).unwrap();
    // Two families × three learners.
    assert_eq!(gd.tables[0].rows().len(), 6);
    assert!(gd.to_markdown().contains("| family | first non-zero degree |"));
    // The success-rate bars.
    assert_eq!(gd.figures.len(), 1);
    assert!(gd.figures[0].2.contains("<svg"));
}

#[test]
fn samples_suite_fits_slopes_and_draws_them() {
    let suite = registry().into_iter().find(|s| s.name() == "samples").unwrap();
    let ctx = SuiteContext {
        size: Size::Smoke,
        seed: Seed(0),
        par: Par::rayon(2),
    };
    let out = suite.run(&ctx).unwrap();
    assert_eq!(out.tables[0].rows().len(), 5);
    assert!(!out.figures.is_empty());
    assert!(out.figures.iter().all(|f| f.2.contains("<svg")));
    assert!(out.to_markdown().contains("samples-error.svg"));
}

/// `docs/results/` is regenerated by `cargo xtask reproduce`; this fails
/// when a suite is registered without its page, or its description (what
/// it measures) changed without a regeneration, or a linked figure is
/// missing. (Numbers are not compared: timings change run to run; use
/// `cargo xtask reproduce` to refresh.)
#[test]
fn docs_results_are_fresh() {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/results");
    for suite in registry() {
        let path = docs.join(format!("{}.md", suite.name()));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run `cargo xtask reproduce {}`",
                path.display(),
                suite.name()
            )
        });
        assert!(
            text.starts_with("<!-- GENERATED by `cargo xtask reproduce"),
            "{}: not generated",
            path.display()
        );
        assert!(
            text.contains(suite.description().trim_end()),
            "{} is stale (the suite's description changed): run `cargo xtask reproduce {}`",
            path.display(),
            suite.name()
        );
        for link in text.split("](").skip(1) {
            let file = link.split(')').next().unwrap_or("");
            if file.ends_with(".svg") {
                assert!(
                    docs.join(file).exists(),
                    "{}: missing figure {file}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn kernel_suite_reports_spectra_and_compression_curves() {
    let suite = registry().into_iter().find(|s| s.name() == "kernel").unwrap();
    let ctx = SuiteContext {
        size: Size::Smoke,
        seed: Seed(0),
        par: Par::rayon(2),
    };
    let out = suite.run(&ctx).unwrap();
    assert_eq!(out.tables.len(), 2);
    // Two kernels; one teacher × two kernels.
    assert_eq!(out.tables[0].rows().len(), 2);
    assert_eq!(out.tables[1].rows().len(), 2);
    let get =
        |r: &Vec<(String, serde_json::Value)>, k: &str| r.iter().find(|(key, _)| key == k).unwrap().1.clone();
    for rec in out.tables[0].records() {
        // Eigenvalues of a PSD Gram matrix: non-negative, sorted, decaying.
        let mu: Vec<f64> = serde_json::from_value(get(rec, "spectrum_top")).unwrap();
        assert!(mu.windows(2).all(|w| w[0] >= w[1] && w[1] >= 0.0), "{mu:?}");
        assert!(
            get(rec, "decay_polynomial_exponent").as_f64().unwrap() > 0.5,
            "{rec:?}"
        );
    }
    for rec in out.tables[1].records() {
        // A single ReLU in d = 4 from 4 000 samples: more landmarks help,
        // and 40 landmarks explain two thirds of the variance.
        let err: Vec<f64> = serde_json::from_value(get(rec, "relative_error")).unwrap();
        assert!(err[1] < 0.35 && err[1] < err[0], "{rec:?}");
    }
    assert_eq!(out.figures.len(), 2);
    assert!(out.to_markdown().contains("kernel-spectrum.svg"));
}

#[test]
fn stress_suite_runs_and_its_smoke_cells_succeed_on_most_seeds() {
    let suite = registry()
        .into_iter()
        .find(|s| s.name() == "stress")
        .expect("stress is registered");
    let ctx = SuiteContext {
        size: Size::Smoke,
        seed: Seed(0),
        par: Par::rayon(2),
    };
    let out = suite.run(&ctx).unwrap();
    let table = &out.tables[0];
    // atv on generic and on correlated inputs, narrow on signed: 3 seeds each.
    assert_eq!(table.records().len(), 3);
    for rec in table.records() {
        let get = |k: &str| rec.iter().find(|(key, _)| key == k).unwrap().1.clone();
        let rate = get("success_rate").as_f64().unwrap();
        assert!(rate >= 2.0 / 3.0 - 1e-12, "{rec:?}\n{:?}", out.notes);
    }
}

/// The "add a suite" recipe of ARCHITECTURE.md with a suite defined here:
/// a `Suite` whose table is built from one-line columns runs, gives the
/// same Markdown on every run, passes `check_against` its own baseline and
/// fails it when the learner loses exact recovery.
#[test]
fn a_suite_of_your_own_runs_and_is_gated() {
    use anyhow::Result;
    use relu_learn::output::{Cell, ERROR, Gate, SuiteOutput, Table, col};
    use relu_learn::suites::Suite;
    use relu_net::{Family, Planted, metrics::relative_l2_error};

    /// glmtron on one planted biased ReLU, two seeds.
    struct OneUnit;
    impl Suite for OneUnit {
        fn name(&self) -> &'static str {
            "one-unit"
        }
        fn title(&self) -> &'static str {
            "glmtron on one biased ReLU"
        }
        fn description(&self) -> &'static str {
            "The relative test error of glmtron on a planted single ReLU."
        }
        fn run(&self, ctx: &SuiteContext) -> Result<SuiteOutput> {
            let cols = [
                col("seed", "seed", Gate::Equal),
                col("rel. error", "relative_error", ERROR),
            ];
            let mut table = Table::new(self.name(), self.title(), &cols);
            for s in 1..=2u64 {
                let teacher = Family::Single { dim: 4 }.plant(ctx.seed.derive_index(s))?;
                let data = Planted::new(teacher.clone(), 20_000, 0.0, Seed(s))?.materialize();
                let fitted = learners::learner("glmtron", None)?.fit(&data, Seed(s), ctx.par)?;
                let err = relative_l2_error(&fitted.model, &teacher, 5000, Seed(99), ctx.par)?;
                table.push(vec![Cell::int(s), Cell::err(err.relative_error)]);
            }
            Ok(SuiteOutput {
                suite: self.name().into(),
                title: self.title().into(),
                description: self.description().into(),
                tables: vec![table],
                ..SuiteOutput::default()
            })
        }
    }
    let ctx = SuiteContext {
        size: Size::Smoke,
        seed: Seed(0),
        par: Par::rayon(2),
    };
    let out = OneUnit.run(&ctx).unwrap();
    assert_eq!(
        out.to_markdown(),
        OneUnit
            .run(&SuiteContext { par: Par::Seq, ..ctx })
            .unwrap()
            .to_markdown()
    );
    let baseline = out.baseline_json();
    assert!(out.check_against(&baseline).is_empty());
    // The same suite where the learner got 10x worse on seed 1 (or lost
    // exact recovery): the gate names that record's column.
    let first = baseline["tables"][0]["records"][0]["relative_error"]
        .as_f64()
        .unwrap();
    let columns = [
        col("seed", "seed", Gate::Equal),
        col("rel. error", "relative_error", ERROR),
    ];
    let mut table = Table::new("one-unit", "glmtron on one biased ReLU", &columns);
    table.push(vec![Cell::int(1u64), Cell::err(10.0 * first + 1e-6)]);
    table.push(vec![
        Cell::int(2u64),
        Cell::err(out.tables[0].records()[1][1].1.as_f64().unwrap()),
    ]);
    let degraded = SuiteOutput {
        suite: out.suite.clone(),
        tables: vec![table],
        ..SuiteOutput::default()
    };
    let failures = degraded.check_against(&baseline);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("relative_error"), "{failures:?}");
}

/// The theory suite at its smoke size: both tables have a row per variant,
/// the papers' stages reach a finite error on every point, the parameter
/// errors are measured, and the result is the same whether the seeds run
/// side by side (two threads) or one after the other.
#[test]
fn theory_suite_measures_the_papers_stages_and_their_parameters() {
    let suite = registry()
        .into_iter()
        .find(|s| s.name() == "theory")
        .expect("theory is registered");
    let ctx = SuiteContext {
        size: Size::Smoke,
        seed: Seed(0),
        par: Par::rayon(2),
    };
    let out = suite.run(&ctx).unwrap();
    assert_eq!(out.tables.len(), 2);
    for table in &out.tables {
        assert_eq!(table.rows().len(), 2);
    }
    for (t, key) in [(0, "provable_stage_error"), (1, "stage_parameter_error")] {
        for rec in out.tables[t].records() {
            let values = rec
                .iter()
                .find(|(k, _)| k == key)
                .unwrap()
                .1
                .as_array()
                .unwrap()
                .clone();
            assert!(
                values
                    .iter()
                    .all(|v| v.as_f64().is_some_and(|e| e.is_finite() && e < 2.0)),
                "{key}: {rec:?}"
            );
        }
    }
    let again = suite.run(&SuiteContext { par: Par::Seq, ..ctx }).unwrap();
    assert_eq!(out.to_markdown(), again.to_markdown());
}
