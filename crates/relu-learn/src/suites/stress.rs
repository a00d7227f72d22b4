//! The `stress` suite: every learner on the families its docs claim, over
//! many seeds, with success rates; gd on the first seeds of every cell.

use std::time::Instant;

use anyhow::Result;
use relu_net::metrics::compare_on_samples;
use relu_net::stats::median;
use relu_net::{Family, InputLaw, Network, Planted, Seed, Signs, Variation};
use serde_json::json;

use super::{Size, Suite, SuiteContext};
use crate::output::{self, Column, ERROR, Gate, SuiteOutput, Table, col, fmt_sig};
use crate::progress::Progress;

/// See the module docs.
pub(super) struct StressSuite;

/// How a cell's teachers are drawn.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// [`Family::Generic`] with unit rows, relative biases in
    /// `[−bias, bias]`, output weights of mixed signs.
    Generic { bias: f64 },
    /// [`Family::Signed`]: bias-free, mixed signs (k > d allowed).
    Signed,
    /// [`Family::Cluster`] with mixed signs.
    Cluster { group: usize, angle: f64 },
    /// [`Family::Deep`] with the given widths (mixed-sign Gaussian output layer).
    Deep { widths: &'static [usize] },
    /// [`Family::Biased`] with mixed signs on inputs `N(mean·1, Σ_ij = ρ^|i−j|)`,
    /// the teacher written for x.
    Correlated { mean: f64, rho: f64 },
    /// The 16-unit parity-of-signs network of `lower-bounds` on a 4-dimensional span.
    Parity,
}

impl Kind {
    fn label(self) -> String {
        match self {
            Kind::Generic { bias } => format!("generic b ∈ [−{bias}, {bias}]"),
            Kind::Signed => "signed".to_owned(),
            Kind::Cluster { group, angle } => format!("cluster {group}×{angle} rad"),
            Kind::Deep { widths } => format!(
                "deep {}",
                widths
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("-")
            ),
            Kind::Correlated { mean, rho } => format!("biased, x ~ N({mean}, ρ = {rho})"),
            Kind::Parity => "parity-16".to_owned(),
        }
    }

    /// The teacher of seed `seed` and the law of its inputs.
    fn plant(self, d: usize, k: usize, seed: Seed) -> Result<(Network, Option<InputLaw>)> {
        let mixed = Variation {
            signs: Signs::Mixed,
            ..Variation::default()
        };
        Ok(match self {
            Kind::Generic { bias } => (
                Family::Generic {
                    dim: d,
                    hidden: k,
                    bias_range: bias,
                    row_scale: 1.0,
                }
                .plant(seed)?,
                None,
            ),
            Kind::Signed => (Family::Signed { dim: d, hidden: k }.plant(seed)?, None),
            Kind::Cluster { group, angle } => (
                Family::Cluster {
                    dim: d,
                    hidden: k,
                    group,
                    angle,
                }
                .plant_varied(seed, &mixed)?,
                None,
            ),
            Kind::Deep { widths } => (
                Family::Deep {
                    dim: d,
                    widths: widths.to_vec(),
                    bias_std: 0.5,
                }
                .plant(seed)?,
                None,
            ),
            Kind::Correlated { mean, rho } => {
                let g = Family::Biased {
                    dim: d,
                    hidden: k,
                    bias_range: 1.0,
                }
                .plant_varied(seed, &mixed)?;
                let law = InputLaw::autoregressive(d, mean, rho)?;
                (law.network_on_inputs(&g)?, Some(law))
            }
            Kind::Parity => {
                use lower_bounds::HardFamily as _;
                let inst = lower_bounds::Parity::new(d, 4)?.instance(seed)?;
                let net = inst
                    .network
                    .ok_or_else(|| anyhow::anyhow!("the parity family returned no network"))?;
                (net, None)
            }
        })
    }
}

/// One cell: a learner on a family at (d, k, n), judged against `target`.
#[derive(Clone, Copy, Debug)]
struct Cell {
    learner: &'static str,
    kind: Kind,
    d: usize,
    k: usize,
    n: usize,
    target: f64,
    /// Seeds of this cell when fewer than the grid's (the quick grid's
    /// slowest cells, to keep `cargo xtask reproduce` within its budget).
    seeds: Option<usize>,
}

impl Cell {
    /// The cell with `seeds` seeds instead of the grid's.
    const fn with_seeds(self, seeds: usize) -> Self {
        Cell {
            seeds: Some(seeds),
            ..self
        }
    }
}

struct Grid {
    cells: Vec<Cell>,
    seeds: usize,
    gd_seeds: usize,
    gd_samples: usize,
    gd_epochs: usize,
    test_samples: usize,
}

const fn cell(learner: &'static str, kind: Kind, d: usize, k: usize, n: usize, target: f64) -> Cell {
    Cell {
        learner,
        kind,
        d,
        k,
        n,
        target,
        seeds: None,
    }
}

fn grid(size: Size) -> Grid {
    let close = Kind::Cluster {
        group: 2,
        angle: 0.02,
    };
    let cor = Kind::Correlated { mean: 1.0, rho: 0.6 };
    match size {
        Size::Smoke => Grid {
            cells: vec![
                cell("atv", Kind::Generic { bias: 2.0 }, 6, 3, 50_000, 1e-6),
                cell("atv", cor, 6, 3, 50_000, 1e-6),
                cell("narrow", Kind::Signed, 6, 3, 50_000, 1e-3),
            ],
            seeds: 3,
            gd_seeds: 1,
            gd_samples: 20_000,
            gd_epochs: 5,
            test_samples: 20_000,
        },
        Size::Quick => Grid {
            cells: vec![
                cell("atv", Kind::Generic { bias: 2.0 }, 10, 4, 1_000_000, 1e-6),
                cell("atv", cor, 10, 4, 1_000_000, 1e-6),
                cell("narrow", Kind::Signed, 10, 4, 100_000, 1e-3),
                cell("narrow", close, 10, 4, 100_000, 1e-3),
                cell("ckm", Kind::Deep { widths: &[2, 2] }, 10, 2, 100_000, 1e-3),
                cell("atv", Kind::Generic { bias: 3.0 }, 10, 4, 1_000_000, 1e-6),
                cell("atv", Kind::Generic { bias: 2.0 }, 20, 8, 1_000_000, 1e-6),
                // The two slowest cells (30–60 s per fit) run 2 seeds in the
                // quick grid, 50 in the full one.
                cell("narrow", Kind::Signed, 6, 8, 200_000, 1e-3).with_seeds(2),
                cell("narrow", Kind::Parity, 10, 16, 100_000, 1e-3).with_seeds(2),
                cell("ckm", Kind::Deep { widths: &[3, 3] }, 20, 3, 300_000, 1e-3),
            ],
            // 3 seeds per cell keeps `cargo xtask reproduce` within its
            // 15 minutes; the full grid has 50.
            seeds: 3,
            gd_seeds: 1,
            gd_samples: 20_000,
            gd_epochs: 30,
            test_samples: 100_000,
        },
        Size::Full => Grid {
            cells: vec![
                cell("atv", Kind::Generic { bias: 2.0 }, 10, 4, 1_000_000, 1e-6),
                cell("atv", Kind::Generic { bias: 2.0 }, 20, 8, 1_000_000, 1e-6),
                cell("atv", cor, 10, 4, 1_000_000, 1e-6),
                cell("atv", Kind::Generic { bias: 2.0 }, 50, 10, 1_000_000, 1e-6),
                cell("atv", Kind::Generic { bias: 2.0 }, 100, 20, 1_000_000, 1e-6),
                cell("atv", Kind::Generic { bias: 3.0 }, 20, 8, 1_000_000, 1e-6),
                cell("atv", cor, 30, 6, 1_000_000, 1e-6),
                cell("narrow", Kind::Signed, 10, 4, 100_000, 1e-3),
                cell("narrow", Kind::Signed, 20, 6, 1_000_000, 1e-3),
                cell("narrow", close, 20, 6, 1_000_000, 1e-3),
                cell("narrow", Kind::Signed, 5, 10, 1_000_000, 1e-3),
                cell("narrow", Kind::Parity, 30, 16, 1_000_000, 1e-3),
                cell("ckm", Kind::Deep { widths: &[2, 2] }, 10, 2, 100_000, 1e-3),
                cell("ckm", Kind::Deep { widths: &[3, 3] }, 20, 3, 300_000, 1e-3),
                cell("ckm", Kind::Deep { widths: &[4, 4] }, 50, 4, 300_000, 1e-3),
            ],
            seeds: 50,
            gd_seeds: 5,
            gd_samples: 100_000,
            gd_epochs: 200,
            test_samples: 200_000,
        },
    }
}

/// The outcome of one fit.
#[derive(Clone, Debug)]
struct Outcome {
    /// Relative test error (NaN when the learner failed).
    error: f64,
    /// Relative validation error of the paper's step before any local
    /// optimisation (NaN when the learner has none or failed).
    paper: f64,
    seconds: f64,
    /// The learner's error message, if any.
    failure: Option<String>,
}

/// Fits `learner` to `data` through the shared input pre-step (what `fit`
/// does) and measures the relative test error on fresh samples of the
/// teacher under the same input law.
fn fit_one(
    learner: &dyn learners::Learner,
    data: &dyn relu_net::SampleSource,
    teacher: &Network,
    law: Option<&InputLaw>,
    test_samples: usize,
    seed: Seed,
    ctx: &SuiteContext,
) -> Result<Outcome> {
    let start = Instant::now();
    let fitted = learners::inputs::fit_any_gaussian(
        learner,
        data,
        &learners::inputs::InputMode::Auto,
        seed.derive("fit"),
        ctx.par,
        &mut learners::NoObserver,
    );
    let seconds = start.elapsed().as_secs_f64();
    Ok(match fitted {
        Ok(f) => {
            let mut test = Planted::new(teacher.clone(), test_samples, 0.0, seed.derive("test"))?;
            if let Some(l) = law {
                test = test.with_inputs(l.clone())?;
            }
            let c = compare_on_samples(&f.model, &test, ctx.par)?;
            Outcome {
                error: c.relative_error,
                paper: f.report.provable_stage_error.unwrap_or(f64::NAN),
                seconds,
                failure: None,
            }
        }
        Err(e) => Outcome {
            error: f64::NAN,
            paper: f64::NAN,
            seconds,
            failure: Some(e.to_string()),
        },
    })
}

/// A cell's results over its seeds.
struct CellResult {
    cell: Cell,
    outcomes: Vec<Outcome>,
    gd: Vec<Outcome>,
}

/// Errors with failures counted as +∞.
fn errors(o: &[Outcome]) -> Vec<f64> {
    o.iter()
        .map(|o| {
            if o.error.is_finite() {
                o.error
            } else {
                f64::INFINITY
            }
        })
        .collect()
}

fn successes(o: &[Outcome], target: f64) -> usize {
    o.iter().filter(|o| o.error <= target).count()
}

impl Suite for StressSuite {
    fn name(&self) -> &'static str {
        "stress"
    }

    fn title(&self) -> &'static str {
        "success rates over many seeds and families the learners' docs claim"
    }

    fn description(&self) -> &'static str {
        DESCRIPTION
    }

    fn run(&self, ctx: &SuiteContext) -> Result<SuiteOutput> {
        let g = grid(ctx.size);
        let seed = ctx.seed.derive("stress-suite");
        let bar = Progress::rows(
            g.cells.iter().map(|c| c.seeds.unwrap_or(g.seeds)).sum::<usize>() as u64,
            "stress",
        );
        let mut results = Vec::new();
        for (ci, c) in g.cells.iter().enumerate() {
            let learner = learners::learner(c.learner, Some(c.k))?;
            let gd = learners::gd::GdParams {
                hidden: Some(vec![c.k]),
                max_epochs: g.gd_epochs,
                ..Default::default()
            }
            .validate()?;
            let mut outcomes = Vec::new();
            let mut gd_out = Vec::new();
            for s in 0..c.seeds.unwrap_or(g.seeds) {
                bar.message(format!(
                    "{} {} d={} k={} seed {s}",
                    c.learner,
                    c.kind.label(),
                    c.d,
                    c.k
                ));
                let cs = seed.derive_index(ci as u64).derive_index(s as u64);
                let (teacher, law) = c.kind.plant(c.d, c.k, cs.derive("teacher"))?;
                let mut src = Planted::new(teacher.clone(), c.n, 0.0, cs.derive("samples"))?;
                if let Some(l) = &law {
                    src = src.with_inputs(l.clone())?;
                }
                let data = src.materialize();
                outcomes.push(fit_one(
                    learner.as_ref(),
                    &data,
                    &teacher,
                    law.as_ref(),
                    g.test_samples,
                    cs,
                    ctx,
                )?);
                if s < g.gd_seeds {
                    let m = g.gd_samples.min(c.n);
                    let rows = learners::common::Rows::new(&data, 0, m);
                    gd_out.push(fit_one(
                        &gd,
                        &rows,
                        &teacher,
                        law.as_ref(),
                        g.test_samples,
                        cs,
                        ctx,
                    )?);
                }
                bar.inc(1);
            }
            results.push(CellResult {
                cell: *c,
                outcomes,
                gd: gd_out,
            });
        }
        bar.finish();
        Ok(output(ctx, &g, &results))
    }
}

/// The table's columns. A success rate may move by one seed in ten; the
/// worst error, set by one seed, by a factor 10.
const COLUMNS: [Column; 13] = [
    col("learner", "learner", Gate::Equal),
    col("family", "family", Gate::Equal),
    col("d", "d", Gate::Equal),
    col("k", "k", Gate::Equal),
    col("n", "n", Gate::Equal),
    col("target", "target", Gate::Equal),
    col("success", "success_rate", Gate::Rate(0.1)),
    col("median paper's step", "median_paper_step_error", ERROR),
    col("median error", "median_error", ERROR),
    col("worst error", "worst_error", Gate::Error(10.0)),
    col("median s", "median_seconds", Gate::Ignore),
    col("gd success", "gd_success_rate", Gate::Rate(0.1)),
    col("gd median error", "gd_median_error", ERROR),
];

fn output(ctx: &SuiteContext, g: &Grid, results: &[CellResult]) -> SuiteOutput {
    let mut notes = Vec::new();
    let mut table = Table::new(
        "stress",
        format!(
            "Success = relative test error E[(f − f*)²]/Var(f*) ≤ target on {} fresh samples of the teacher's input law; \
             {} seeds per cell unless the successes column says fewer, gd (Adam, true widths, {} epochs, first {} samples) on the first {}",
            g.test_samples, g.seeds, g.gd_epochs, g.gd_samples, g.gd_seeds
        ),
        &COLUMNS,
    );
    for r in results {
        let c = &r.cell;
        let ok = successes(&r.outcomes, c.target);
        let errs = errors(&r.outcomes);
        let worst = errs.iter().copied().fold(0.0, f64::max);
        let med = median(&errs);
        let paper: Vec<f64> = r
            .outcomes
            .iter()
            .map(|o| o.paper)
            .filter(|e| e.is_finite())
            .collect();
        let paper_med = median(&paper);
        let secs = median(&r.outcomes.iter().map(|o| o.seconds).collect::<Vec<_>>());
        let gd_ok = successes(&r.gd, c.target);
        let gd_med = median(&errors(&r.gd));
        let rate = ok as f64 / r.outcomes.len().max(1) as f64;
        let label = c.kind.label();
        if ok < r.outcomes.len() {
            let failures: Vec<String> = r
                .outcomes
                .iter()
                .enumerate()
                .filter(|(_, o)| o.error.is_nan() || o.error > c.target)
                .map(|(s, o)| match &o.failure {
                    Some(f) => format!("seed {s}: error \"{f}\""),
                    None => format!("seed {s}: {}", fmt_sig(o.error, 2)),
                })
                .collect();
            notes.push(format!(
                "{} on {label} (d = {}, k = {}, n = {}): {ok} of {} within {} — misses: {}.",
                c.learner,
                c.d,
                c.k,
                c.n,
                r.outcomes.len(),
                fmt_sig(c.target, 1),
                failures.join("; ")
            ));
        }
        table.push(vec![
            output::Cell::text(c.learner),
            output::Cell::text(label.clone()),
            output::Cell::int(c.d),
            output::Cell::int(c.k),
            output::Cell::int(c.n),
            output::Cell::sig(c.target, 1),
            output::Cell::shown(
                json!(rate),
                format!("{ok}/{} ({:.0} %)", r.outcomes.len(), 100.0 * rate),
            ),
            output::Cell::err(paper_med),
            output::Cell::err(med),
            output::Cell::err(worst),
            output::Cell::secs(secs),
            output::Cell::shown(
                json!(gd_ok as f64 / r.gd.len().max(1) as f64),
                format!("{gd_ok}/{}", r.gd.len()),
            ),
            output::Cell::err(gd_med),
        ]);
    }
    if notes.is_empty() {
        notes.push("every cell met its target on every seed.".to_owned());
    }
    SuiteOutput {
        suite: "stress".into(),
        title: "success rates over many seeds and families the learners' docs claim".into(),
        description: DESCRIPTION.into(),
        params: json!({
            "size": format!("{:?}", ctx.size).to_lowercase(),
            "seed": ctx.seed.0,
            "seeds": g.seeds,
            "gd_seeds": g.gd_seeds,
            "gd_samples": g.gd_samples,
            "gd_max_epochs": g.gd_epochs,
            "test_samples": g.test_samples,
            "cells": g.cells.iter().map(|c| json!({
                "learner": c.learner, "family": c.kind.label(), "d": c.d, "k": c.k, "n": c.n, "target": c.target,
            })).collect::<Vec<_>>(),
        }),
        tables: vec![table],
        notes,
        figures: Vec::new(),
    }
}

const DESCRIPTION: &str = "\
Every cell plants a fresh teacher per seed from a family the learner's documentation claims, draws n
noise-free samples, fits them as `relu-learn fit` does (the shared input pre-step, then the learner at its
defaults with the true k), and measures the relative test error on fresh samples from the teacher's own
input law. Families: `generic b ∈ [−β, β]` (unit rows uniform on the sphere, biases uniform in [−β, β], output
weights ±U[0.5, 1.5] with random signs), `signed` (bias-free, mixed signs; k > d allowed), `cluster r×θ`
(groups of r units within θ radians, mixed signs), `deep w₁-w₂` (depth 3, He layers, hidden biases
N(0, 0.25)), `biased, x ~ N(μ, ρ)` (the biased family with mixed signs on inputs with mean μ·1 and
correlation ρ^|i−j|, the teacher written for x), `parity-16` (the 16-unit parity-of-signs network on a
4-dimensional span, every Hermite degree below 4 vanishing). A cell misses its target when
any seed does; the notes list every miss with its error. `median paper's step` is the median relative
validation error of the paper's own stage before any local optimisation (atv: the best network assembled
from the moments; narrow: the network its moment discovery returns; ckm: the best network of the search in
the filtered-PCA subspace). gd runs on the first seeds only (it is the slowest learner), on the first
samples, with the true widths. Times are wall-clock on 2 threads.";
