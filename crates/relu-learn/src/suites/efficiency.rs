//! The `efficiency` suite: the excess test error of each learner against
//! the statistical limit `σ² p / n` of least squares with p parameters, as
//! n grows, with the provable stage's error beside it.

use anyhow::Result;
use learners::Learner;
use learners::gd::GdParams;
use relu_net::metrics::relative_l2_error;
use relu_net::{Family, Network, Planted, SampleSource, Seed, Signs, Variation};
use serde_json::json;

use super::{Size, Suite, SuiteContext};
use crate::output::{Cell, ERROR, Gate, SuiteOutput, Table, col, dash, recorded};
use crate::plots::{Series, log_log};
use crate::progress::Progress;

/// See the module docs.
pub(super) struct EfficiencySuite;

/// One curve: a learner on a family at (d, k), at every n of `ns`.
struct Case {
    learner: &'static str,
    family: &'static str,
    dim: usize,
    hidden: usize,
    ns: &'static [usize],
}

/// The grid of a size: the cases, seeds per point, label noise and test
/// samples.
struct Grid {
    cases: &'static [Case],
    seeds: u64,
    noise: f64,
    test_samples: usize,
}

/// Samples up to this many are held in memory (every pass reads them);
/// more are streamed from the teacher.
const IN_MEMORY: usize = 2_000_000;

fn grid(size: Size) -> Grid {
    match size {
        Size::Smoke => Grid {
            cases: &[Case {
                learner: "atv",
                family: "biased-mixed",
                dim: 5,
                hidden: 2,
                ns: &[5_000, 20_000],
            }],
            seeds: 1,
            noise: 0.1,
            test_samples: 20_000,
        },
        Size::Quick => Grid {
            cases: &[
                Case {
                    learner: "atv",
                    family: "biased-mixed",
                    dim: 20,
                    hidden: 4,
                    ns: &[10_000, 100_000, 1_000_000],
                },
                Case {
                    learner: "narrow",
                    family: "signed",
                    dim: 20,
                    hidden: 4,
                    ns: &[100_000, 1_000_000],
                },
                Case {
                    learner: "gd",
                    family: "biased-mixed",
                    dim: 20,
                    hidden: 4,
                    ns: &[10_000],
                },
            ],
            seeds: 2,
            noise: 0.1,
            test_samples: 300_000,
        },
        Size::Full => Grid {
            cases: &[
                Case {
                    learner: "atv",
                    family: "biased-mixed",
                    dim: 20,
                    hidden: 4,
                    ns: &[10_000, 100_000, 1_000_000, 4_000_000, 10_000_000],
                },
                Case {
                    learner: "atv",
                    family: "biased-mixed",
                    dim: 50,
                    hidden: 10,
                    ns: &[100_000, 1_000_000, 4_000_000],
                },
                Case {
                    learner: "narrow",
                    family: "signed",
                    dim: 20,
                    hidden: 4,
                    ns: &[10_000, 100_000, 1_000_000, 4_000_000],
                },
                Case {
                    learner: "ckm",
                    family: "deep",
                    dim: 20,
                    hidden: 2,
                    ns: &[100_000, 1_000_000],
                },
                Case {
                    learner: "gd",
                    family: "biased-mixed",
                    dim: 20,
                    hidden: 4,
                    ns: &[10_000, 100_000, 1_000_000],
                },
            ],
            seeds: 5,
            noise: 0.1,
            test_samples: 2_000_000,
        },
    }
}

/// The teacher of a case: biased units (b ∈ [−1, 1]) with output weights of
/// both signs, bias-free units with signed output weights, or a depth-3
/// network of widths k, k with hidden biases of standard deviation 0.5.
fn teacher(c: &Case, seed: Seed) -> Result<Network> {
    Ok(match c.family {
        "biased-mixed" => Family::Biased {
            dim: c.dim,
            hidden: c.hidden,
            bias_range: 1.0,
        }
        .plant_varied(
            seed,
            &Variation {
                signs: Signs::Mixed,
                ..Variation::default()
            },
        )?,
        "signed" => Family::Signed {
            dim: c.dim,
            hidden: c.hidden,
        }
        .plant(seed)?,
        _ => Family::Deep {
            dim: c.dim,
            widths: vec![c.hidden, c.hidden],
            bias_std: 0.5,
        }
        .plant(seed)?,
    })
}

/// The learner of a case; gd gets one hidden layer of k units (two of k for
/// the deep family) and at most 100 epochs.
fn learner(c: &Case) -> Result<Box<dyn Learner>> {
    Ok(match c.learner {
        "gd" => Box::new(
            GdParams {
                hidden: Some(vec![c.hidden]),
                max_epochs: 100,
                ..GdParams::default()
            }
            .validate()?,
        ),
        name => learners::learner(name, Some(c.hidden))?,
    })
}

/// One point of a curve: medians over seeds of the excess error over the
/// limit, after the whole fit and after the provable stage alone.
struct Point {
    n: usize,
    /// `E[(f̂ − f*)²] / (σ² p / n)`, median over the seeds that fitted.
    ratio: f64,
    /// The same for the network of the provable stage, where the learner
    /// reports its error (`provable_stage_error` is a validation error:
    /// this column is that relative error over the limit's relative size).
    provable_ratio: f64,
    /// Fits that failed (counted, never dropped silently).
    failures: usize,
    /// Mean passes over the data per fit (rows read / n).
    passes: f64,
}

/// The median of the finite values (NaN when there are none).
fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    relu_net::stats::median(&v)
}

impl Suite for EfficiencySuite {
    fn name(&self) -> &'static str {
        "efficiency"
    }

    fn title(&self) -> &'static str {
        "excess test error against the statistical limit σ² p / n"
    }

    fn description(&self) -> &'static str {
        DESCRIPTION
    }

    fn run(&self, ctx: &SuiteContext) -> Result<SuiteOutput> {
        let g = grid(ctx.size);
        let seed = ctx.seed.derive("efficiency-suite");
        let points: usize = g.cases.iter().map(|c| c.ns.len()).sum();
        let bar = Progress::rows(points as u64, "efficiency");
        let mut curves: Vec<(&Case, Vec<Point>, Vec<String>)> = Vec::new();
        for c in g.cases {
            let mut pts = Vec::new();
            let mut notes = Vec::new();
            for &n in c.ns {
                bar.message(format!("{} d={} k={} n={n}", c.learner, c.dim, c.hidden));
                pts.push(point(
                    c,
                    n,
                    &g,
                    seed.derive(c.learner).derive_index(c.dim as u64),
                    ctx,
                    &mut notes,
                )?);
                bar.inc(1);
            }
            curves.push((c, pts, notes));
        }
        bar.finish();
        output(ctx, &g, &curves)
    }
}

/// The fits of one point: every seed's teacher, `n` noisy samples, the fit
/// through the same source counter as the CLI, the excess error on fresh
/// samples.
fn point(
    c: &Case,
    n: usize,
    g: &Grid,
    seed: Seed,
    ctx: &SuiteContext,
    notes: &mut Vec<String>,
) -> Result<Point> {
    let (mut ratios, mut provable, mut passes) = (Vec::new(), Vec::new(), Vec::new());
    let mut failures = 0;
    for s in 0..g.seeds {
        let is = seed.derive_index(s);
        let t = teacher(c, is)?;
        let limit = g.noise * g.noise * t.n_params() as f64 / n as f64;
        let stream = Planted::new(t.clone(), n, g.noise, is.derive("data"))?;
        let held = (n <= IN_MEMORY).then(|| stream.materialize());
        let src: &dyn SampleSource = held.as_ref().map_or(&stream as &dyn SampleSource, |h| h);
        let counted = relu_net::Counted::new(src);
        match learner(c)?.fit(&counted, is.derive("fit"), ctx.par) {
            Ok(f) => {
                let cmp = relative_l2_error(&f.model, &t, g.test_samples, is.derive("test"), ctx.par)?;
                ratios.push(cmp.mse / limit);
                // The provable stage's validation error is relative to the
                // labels' variance (noise included): its excess over the
                // noise, in units of the limit.
                if let Some(e) = f.report.provable_stage_error {
                    let var_y = cmp.label_variance + g.noise * g.noise;
                    provable.push(((e * var_y - g.noise * g.noise).max(0.0)) / limit);
                }
                passes.push(counted.rows_read() as f64 / n as f64);
            }
            Err(e) => {
                failures += 1;
                notes.push(format!("{} at d = {}, n = {n}, seed {s}: {e}", c.learner, c.dim));
            }
        }
    }
    Ok(Point {
        n,
        ratio: median(ratios),
        provable_ratio: median(provable),
        failures,
        passes: passes.iter().sum::<f64>() / passes.len().max(1) as f64,
    })
}

/// The table (one row per point), the figure and the notes.
fn output(ctx: &SuiteContext, g: &Grid, curves: &[(&Case, Vec<Point>, Vec<String>)]) -> Result<SuiteOutput> {
    let columns = [
        col("learner", "learner", Gate::Equal),
        col("teacher", "teacher", Gate::Equal),
        col("d", "dim", Gate::Equal),
        col("k", "hidden", Gate::Equal),
        col("n", "n", Gate::Equal),
        col("excess / (σ²p/n)", "ratio", ERROR),
        col("paper's step / (σ²p/n)", "provable_ratio", ERROR),
        col("failed fits", "failures", Gate::Equal),
        col("passes over the data", "passes", Gate::Ignore),
        recorded("seeds", Gate::Equal),
    ];
    let mut table = Table::new(
        "efficiency",
        format!(
            "Excess test error E[(f̂ − f*)²] over σ² p / n (σ = {}, p the teacher's parameters; medians over {} seeds; 1 is the least-squares limit)",
            g.noise, g.seeds
        ),
        &columns,
    );
    let mut series: Vec<Series> = Vec::new();
    let mut notes = vec![
        "The polish affords m = max(5000, 20 p, 2·10¹⁰ / p²) rows; above that, the refinement on every row \
         (learners::refine) brings the fit to the least-squares fit on all n rows. The paper's-step column is \
         the provable stage's own network (atv: the best moment candidate; narrow: discovery; ckm: the search \
         in the subspace) before any local optimisation."
            .to_owned(),
    ];
    for (c, pts, case_notes) in curves {
        for p in pts {
            table.push(vec![
                Cell::text(c.learner),
                Cell::text(c.family),
                Cell::int(c.dim as u64),
                Cell::int(c.hidden as u64),
                Cell::int(p.n as u64),
                Cell::shown(json!(finite(p.ratio)), dash(p.ratio)),
                Cell::shown(json!(finite(p.provable_ratio)), dash(p.provable_ratio)),
                Cell::int(p.failures as u64),
                Cell::fixed(p.passes, 1),
                Cell::shown(json!(g.seeds), ""),
            ]);
        }
        series.push((
            format!("{} ({}, d = {}, k = {})", c.learner, c.family, c.dim, c.hidden),
            pts.iter().map(|p| (p.n as f64, p.ratio)).collect(),
        ));
        notes.extend(case_notes.iter().cloned());
    }
    let figure = log_log(
        "excess test error / (σ² p / n) against n",
        "n",
        "excess / limit",
        &series,
    )?;
    Ok(SuiteOutput {
        suite: "efficiency".into(),
        title: "excess test error against the statistical limit σ² p / n".into(),
        description: DESCRIPTION.into(),
        params: json!({
            "size": format!("{:?}", ctx.size).to_lowercase(),
            "seed": ctx.seed.0,
            "seeds": g.seeds,
            "noise": g.noise,
            "test_samples": g.test_samples,
        }),
        tables: vec![table],
        notes,
        figures: vec![(
            "ratio".to_owned(),
            "Excess test error over σ² p / n against n (log–log); 1 is the limit.".to_owned(),
            figure,
        )],
    })
}

/// `Some(x)` for finite x (JSON null otherwise).
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

const DESCRIPTION: &str = "With labels `y = f*(x) + N(0, σ²)` and a well-specified model with p parameters, \
no estimator beats least squares' excess error `E[(f̂ − f*)²] ≈ σ² p / n` by more than lower-order terms. \
Each row plants teachers (biased units with output weights of both signs, b ∈ [−1, 1]; signed bias-free \
units for narrow; depth 3 for ckm), fits n noisy samples (σ = 0.1; held in memory up to 2·10⁶, streamed from \
the teacher above) and divides the excess test error on fresh samples by σ² p / n, p the teacher's parameter \
count: 1 means the learner uses every sample as well as least squares can. The paper's-step column is the \
same ratio for the provable stage's own network, before any local optimisation (its validation error minus \
the noise). `passes over the data` counts the rows read over the whole fit divided by n. The quick size \
covers atv and narrow at d = 20, k = 4 and gd for comparison; `--full` adds d = 50, k = 10, n up to 10⁷ \
and ckm.";
