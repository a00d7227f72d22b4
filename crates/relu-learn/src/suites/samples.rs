//! The `samples` suite: test error and parameter error against the number
//! of samples, with fitted log–log slopes, for every depth-2 learner on
//! noisy labels.

use anyhow::Result;
use learners::Learner;
use learners::gd::GdParams;
use relu_net::matching::match_depth2;
use relu_net::metrics::relative_l2_error;
use relu_net::{Family, Network, Planted, Seed};
use serde_json::json;

use super::{Size, Suite, SuiteContext};
use crate::output::{Cell, ERROR, Gate, SLOPE, SuiteOutput, Table, col, dash, recorded, shown_owned};
use crate::plots::{Series, log_log, log_slope};
use crate::progress::Progress;

/// See the module docs.
pub(super) struct SamplesSuite;

struct Grid {
    ns: &'static [usize],
    seeds: u64,
    dim: usize,
    hidden: usize,
    noise: f64,
    test_samples: usize,
    gd_epochs: usize,
}

fn grid(size: Size) -> Grid {
    match size {
        Size::Smoke => Grid {
            ns: &[2_000, 5_000],
            seeds: 1,
            dim: 5,
            hidden: 2,
            noise: 0.1,
            test_samples: 10_000,
            gd_epochs: 2,
        },
        Size::Quick => Grid {
            ns: &[10_000, 30_000, 100_000, 300_000],
            seeds: 2,
            dim: 10,
            hidden: 3,
            noise: 0.1,
            test_samples: 100_000,
            gd_epochs: 40,
        },
        Size::Full => Grid {
            ns: &[10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000],
            seeds: 5,
            dim: 10,
            hidden: 3,
            noise: 0.1,
            test_samples: 500_000,
            gd_epochs: 100,
        },
    }
}

/// (learner, teacher family, proper depth-2 network with matched
/// parameters).
const LEARNERS: &[(&str, &str)] = &[
    ("atv", "biased"),
    ("narrow", "signed"),
    ("glmtron", "single"),
    ("kernel", "single"),
    ("gd", "biased"),
];

fn teacher(family: &str, d: usize, k: usize, seed: Seed) -> Result<Network> {
    Ok(match family {
        "biased" => Family::Biased {
            dim: d,
            hidden: k,
            bias_range: 1.0,
        }
        .plant(seed)?,
        "signed" => Family::Signed { dim: d, hidden: k }.plant(seed)?,
        _ => Family::Biased {
            dim: d,
            hidden: 1,
            bias_range: 1.0,
        }
        .plant(seed)?,
    })
}

fn make(name: &str, k: usize, g: &Grid) -> Result<Box<dyn Learner>> {
    Ok(match name {
        "gd" => Box::new(
            GdParams {
                hidden: Some(vec![k]),
                max_epochs: g.gd_epochs,
                ..GdParams::default()
            }
            .validate()?,
        ),
        "glmtron" | "kernel" => learners::learner(name, None)?,
        _ => learners::learner(name, Some(k))?,
    })
}

struct Point {
    n: usize,
    /// Geometric means over seeds (NaN if a fit failed).
    error: f64,
    param_error: f64,
}

struct Curve {
    learner: &'static str,
    family: &'static str,
    points: Vec<Point>,
    notes: Vec<String>,
}

fn geo_mean(v: &[f64]) -> f64 {
    if v.is_empty() || v.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
        return f64::NAN;
    }
    (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp()
}

impl Suite for SamplesSuite {
    fn name(&self) -> &'static str {
        "samples"
    }

    fn title(&self) -> &'static str {
        "test and parameter error against the number of samples, with fitted slopes"
    }

    fn description(&self) -> &'static str {
        DESCRIPTION
    }

    fn run(&self, ctx: &SuiteContext) -> Result<SuiteOutput> {
        let g = grid(ctx.size);
        let seed = ctx.seed.derive("samples-suite");
        let bar = Progress::rows((LEARNERS.len() * g.ns.len()) as u64, "samples");
        let mut curves = Vec::new();
        for &(name, family) in LEARNERS {
            let mut curve = Curve {
                learner: name,
                family,
                points: Vec::new(),
                notes: Vec::new(),
            };
            for &n in g.ns {
                bar.message(format!("{name} n={n}"));
                let (mut errs, mut perrs) = (Vec::new(), Vec::new());
                for s in 0..g.seeds {
                    let is = seed.derive(name).derive_index(s);
                    let t = teacher(family, g.dim, g.hidden, is)?;
                    let k = t.hidden_widths()[0];
                    // Nested samples: the first n of one stream per seed.
                    let data = Planted::new(t.clone(), n, g.noise, is.derive("data"))?.materialize();
                    match make(name, k, &g)?.fit(&data, is.derive("fit"), ctx.par) {
                        Ok(f) => {
                            errs.push(
                                relative_l2_error(&f.model, &t, g.test_samples, is.derive("test"), ctx.par)?
                                    .relative_error,
                            );
                            if let Some(net) = f.network()
                                && net.depth() == 2
                                && let Ok(m) = match_depth2(net, &t)
                                && m.unmatched_teacher.is_empty()
                                && m.unmatched_model.is_empty()
                            {
                                perrs.push(m.parameter_error());
                            }
                        }
                        Err(e) => {
                            errs.push(f64::NAN);
                            curve.notes.push(format!("{name} at n = {n}, seed {s}: {e}"));
                        }
                    }
                }
                curve.points.push(Point {
                    n,
                    error: geo_mean(&errs),
                    param_error: if perrs.len() == errs.len() {
                        geo_mean(&perrs)
                    } else {
                        f64::NAN
                    },
                });
                bar.inc(1);
            }
            curves.push(curve);
        }
        bar.finish();
        output(ctx, &g, &curves)
    }
}

/// The fitted log–log slopes of each curve: (test error, parameter error).
type Slopes = (Option<f64>, Option<f64>);

/// The suite's output: the table, the figures, the notes and the parameters.
fn output(ctx: &SuiteContext, g: &Grid, curves: &[Curve]) -> Result<SuiteOutput> {
    let slopes: Vec<Slopes> = curves
        .iter()
        .map(|c| {
            (
                log_slope(&c.points.iter().map(|p| (p.n as f64, p.error)).collect::<Vec<_>>()),
                log_slope(
                    &c.points
                        .iter()
                        .map(|p| (p.n as f64, p.param_error))
                        .collect::<Vec<_>>(),
                ),
            )
        })
        .collect();
    let table = samples_table(g, curves, &slopes);
    let figures = figures(curves, &slopes)?;
    let mut notes = vec![
        "With label noise σ and p parameters, a consistent proper learner has excess error ≈ σ² p / (n Var f*) \
         (slope −1) and parameter error ∝ n^{−1/2} (slope −1/2); improper kernel methods and methods with a \
         bias (gd stopped early, GLMtron's iteration cap) flatten out."
            .to_owned(),
    ];
    notes.extend(curves.iter().flat_map(|c| c.notes.iter().cloned()));
    Ok(SuiteOutput {
        suite: "samples".into(),
        title: "test and parameter error against the number of samples, with fitted slopes".into(),
        description: DESCRIPTION.into(),
        params: json!({
            "size": format!("{:?}", ctx.size).to_lowercase(),
            "seed": ctx.seed.0,
            "ns": g.ns,
            "seeds": g.seeds,
            "dim": g.dim,
            "hidden": g.hidden,
            "noise": g.noise,
            "test_samples": g.test_samples,
            "gd_max_epochs": g.gd_epochs,
        }),
        tables: vec![table],
        notes,
        figures,
    })
}

/// The table: one row per learner, the errors per n and the two slopes.
fn samples_table(g: &Grid, curves: &[Curve], slopes: &[Slopes]) -> Table {
    // The errors per n are recorded as arrays and shown one column per n.
    let mut columns = vec![
        col("learner", "learner", Gate::Equal),
        col("teacher", "teacher", Gate::Equal),
        recorded("n", Gate::Equal),
        recorded("relative_error", ERROR),
        recorded("parameter_error", ERROR),
    ];
    columns.extend(g.ns.iter().map(|n| shown_owned(format!("n = {n}"))));
    columns.extend([
        col("slope (error)", "slope_error", SLOPE),
        col("slope (parameters)", "slope_parameters", SLOPE),
    ]);
    let mut table = Table::new(
        "samples",
        format!(
            "Relative excess test error E[(f − f*)²]/Var f* (and the matched parameter error) against n; d = {}, labels + N(0, {}²) noise; geometric means over {} seeds",
            g.dim, g.noise, g.seeds
        ),
        &columns,
    );
    let finite = |x: f64| x.is_finite().then_some(x);
    let slope =
        |s: &Option<f64>| Cell::shown(json!(s), s.map_or_else(|| "–".to_owned(), |s| format!("{s:.2}")));
    for (c, (se, sp)) in curves.iter().zip(slopes) {
        let mut cells = vec![
            Cell::text(c.learner),
            Cell::text(c.family),
            Cell::shown(json!(c.points.iter().map(|p| p.n).collect::<Vec<_>>()), ""),
            Cell::shown(
                json!(c.points.iter().map(|p| finite(p.error)).collect::<Vec<_>>()),
                "",
            ),
            Cell::shown(
                json!(c.points.iter().map(|p| finite(p.param_error)).collect::<Vec<_>>()),
                "",
            ),
        ];
        cells.extend(c.points.iter().map(|p| {
            Cell::text(if p.param_error.is_finite() {
                format!("{} ({})", dash(p.error), dash(p.param_error))
            } else {
                dash(p.error)
            })
        }));
        cells.extend([slope(se), slope(sp)]);
        table.push(cells);
    }
    table
}

/// The log–log series of every curve with a finite point, labelled with
/// its slope: parameter errors if `param`, else test errors.
fn series(curves: &[Curve], slopes: &[Slopes], param: bool) -> Vec<Series> {
    curves
        .iter()
        .zip(slopes)
        .map(|(c, (se, sp))| {
            let s = if param { sp } else { se };
            (
                format!(
                    "{} (slope {})",
                    c.learner,
                    s.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))
                ),
                c.points
                    .iter()
                    .map(|p| (p.n as f64, if param { p.param_error } else { p.error }))
                    .collect::<Vec<(f64, f64)>>(),
            )
        })
        .filter(|(_, p)| p.iter().any(|(_, y)| y.is_finite()))
        .collect()
}

/// The error figure, and the parameter-error one when some learner has
/// matched parameters.
fn figures(curves: &[Curve], slopes: &[Slopes]) -> Result<Vec<(String, String, String)>> {
    let mut figures = vec![(
        "error".to_owned(),
        "Relative excess test error against n (log–log), with the fitted slopes".to_owned(),
        log_log(
            "excess test error vs n",
            "samples n",
            "E(f − f*)² / Var f*",
            &series(curves, slopes, false),
        )?,
    )];
    let ps = series(curves, slopes, true);
    if !ps.is_empty() {
        figures.push((
            "parameters".to_owned(),
            "Matched parameter error against n (log–log), with the fitted slopes".to_owned(),
            log_log(
                "parameter error vs n",
                "samples n",
                "max matched parameter error",
                &ps,
            )?,
        ));
    }
    Ok(figures)
}

const DESCRIPTION: &str = "\
Each learner fits n samples of a teacher from its model class (`atv` and `gd`: `biased` depth-2 networks;
`narrow`: `signed` bias-free ones; `glmtron` and `kernel`: one biased ReLU) with Gaussian label noise, for n on
a log grid. The table reports the relative excess test error against the noise-free teacher and, in
parentheses, the largest matched parameter error (direction, bias, output weight; proper learners with the
teacher's number of units), with least-squares slopes of log error against log n. The figures plot the same.
These are the whole fits; the papers' own stages alone against n, with their slopes and the n that reaches a
target, are the `theory` suite's tables.";
