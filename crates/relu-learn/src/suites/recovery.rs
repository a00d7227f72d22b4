//! The `recovery` suite: every learner against planted families, with the
//! gradient-descent baseline on the same data.

use std::time::Instant;

use anyhow::Result;
use faer::{Col, Mat};
use relu_net::matching::match_depth2;
use relu_net::metrics::relative_l2_error;
use relu_net::{Family, Network, Planted, Seed};
use serde_json::json;

use super::{Size, Suite, SuiteContext};
use crate::output::{Cell, Column, ERROR, Gate, SuiteOutput, Table, col, fmt_sig, recorded, shown};
use crate::progress::Progress;

/// See the module docs.
pub(super) struct RecoverySuite;

/// A planted instance of the suite.
struct Instance {
    family: &'static str,
    teacher: Network,
    /// Whether the hidden units have no biases (the model of `narrow`).
    bias_free: bool,
}

/// Teachers of dimension d with k units: the families of the suite.
fn instances(d: usize, k: usize, seed: Seed) -> Result<Vec<Instance>> {
    let planted = |f: Family, tag: &str| f.plant(seed.derive(tag));
    Ok(vec![
        Instance {
            family: "biased",
            teacher: planted(
                Family::Biased {
                    dim: d,
                    hidden: k,
                    bias_range: 1.0,
                },
                "biased",
            )?,
            bias_free: false,
        },
        Instance {
            family: "bias-0-1",
            teacher: special_biases(d, k, seed)?,
            bias_free: false,
        },
        Instance {
            family: "kappa-8",
            teacher: planted(
                Family::Conditioned {
                    dim: d,
                    hidden: k,
                    kappa: 8.0,
                },
                "kappa",
            )?,
            bias_free: true,
        },
        Instance {
            family: "close-0.05",
            teacher: planted(
                Family::Close {
                    dim: d,
                    hidden: k,
                    angle: 0.05,
                },
                "close",
            )?,
            bias_free: true,
        },
        Instance {
            family: "signed",
            teacher: planted(Family::Signed { dim: d, hidden: k }, "signed")?,
            bias_free: true,
        },
        Instance {
            family: "planar-8",
            teacher: planar(d, seed)?,
            bias_free: true,
        },
    ])
}

/// The planar construction of Diakonikolas–Kane–Kontonis–Zarifis with
/// k = 4 (COLT 2020, arXiv 2006.12476, Eq. (3); see
/// `docs/math/lower-bounds.md`): 8 ReLUs at angles πm/4 in a random plane
/// with output weights (−1)^m. Its second moment vanishes.
fn planar(d: usize, seed: Seed) -> Result<Network> {
    let q = relu_net::init::haar_orthogonal(d, 2, seed.derive("planar"));
    let w = Mat::from_fn(8, d, |m, j| {
        let t = std::f64::consts::PI * (m + 1) as f64 / 4.0;
        t.cos() * q[(j, 0)] + t.sin() * q[(j, 1)]
    });
    let a = Col::from_fn(8, |m| if (m + 1) % 2 == 0 { 1.0 } else { -1.0 });
    Ok(Network::depth2(
        w.as_ref(),
        Col::<f64>::zeros(8).as_ref(),
        a.as_ref(),
        0.0,
    )?)
}

/// Biases cycling through 0, 1, −1, where the order-3 or the order-4 Hermite
/// coefficient vanishes; random unit rows and output weights of both signs.
fn special_biases(d: usize, k: usize, seed: Seed) -> Result<Network> {
    let base = Family::Signed { dim: d, hidden: k }.plant(seed.derive("special"))?;
    let p = base.as_depth2()?;
    let b = Col::from_fn(k, |i| [0.0, 1.0, -1.0][i % 3]);
    Ok(Network::depth2(
        Mat::from_fn(k, d, |i, j| p.w[(i, j)]).as_ref(),
        b.as_ref(),
        p.a.transpose().to_owned().as_ref(),
        0.0,
    )?)
}

struct Grid {
    sizes: &'static [(usize, usize, usize)],
    test_samples: usize,
    gd_epochs: usize,
}

fn grid(size: Size) -> Grid {
    match size {
        Size::Smoke => Grid {
            sizes: &[(6, 3, 20_000)],
            test_samples: 20_000,
            gd_epochs: 5,
        },
        Size::Quick => Grid {
            sizes: &[(10, 4, 100_000)],
            test_samples: 100_000,
            gd_epochs: 200,
        },
        Size::Full => Grid {
            sizes: &[(10, 4, 100_000), (10, 4, 1_000_000), (50, 10, 1_000_000)],
            test_samples: 200_000,
            gd_epochs: 200,
        },
    }
}

/// One learner's result on one instance.
#[derive(Clone)]
struct Outcome {
    relative: f64,
    /// The relative validation error of the paper's step before any local
    /// optimisation (NaN for learners without one, and for gd).
    paper: f64,
    params: f64,
    seconds: f64,
    note: String,
}

fn run(
    learner: &str,
    k: usize,
    gd_epochs: usize,
    data: &relu_net::InMemory,
    teacher: &Network,
    g: &Grid,
    ctx: &SuiteContext,
) -> Result<Outcome> {
    let model = if learner == "gd" {
        Box::new(
            learners::gd::GdParams {
                hidden: Some(vec![k]),
                max_epochs: gd_epochs,
                ..Default::default()
            }
            .validate()?,
        ) as Box<dyn learners::Learner>
    } else {
        learners::learner(learner, Some(k))?
    };
    let start = Instant::now();
    let fitted = model.fit(data, ctx.seed.derive(learner), ctx.par);
    let seconds = start.elapsed().as_secs_f64();
    match fitted {
        Ok(f) => {
            let net = f
                .network()
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("{learner} returned a kernel model"))?;
            let f = learners::Fitted::from_network(net, f.report);
            let err = relative_l2_error(
                f.network().expect("a network"),
                teacher,
                g.test_samples,
                ctx.seed.derive("test"),
                ctx.par,
            )?;
            let params = match_depth2(f.network().expect("a network"), teacher).map_or(f64::NAN, |m| {
                if m.unmatched_teacher.is_empty() {
                    m.parameter_error()
                } else {
                    f64::INFINITY
                }
            });
            Ok(Outcome {
                relative: err.relative_error,
                paper: f.report.provable_stage_error.unwrap_or(f64::NAN),
                params,
                seconds,
                note: String::new(),
            })
        }
        Err(e) => Ok(Outcome {
            relative: f64::NAN,
            paper: f64::NAN,
            params: f64::NAN,
            seconds,
            note: format!("{learner} failed: {e}"),
        }),
    }
}

/// One row of the table.
struct Row {
    family: &'static str,
    d: usize,
    k: usize,
    n: usize,
    learner: &'static str,
    outcome: Outcome,
    gd: Outcome,
}

/// How a moment learner compared with gd, against the targets: at
/// least gd's accuracy in at most a fifth of its time, and 10× more accurate
/// where gd stalls. Relative errors below 1e-8 count as 1e-8 (both exact).
fn verdict(m: &Outcome, gd: &Outcome) -> String {
    if !m.relative.is_finite() {
        return if m.note.is_empty() {
            "failed".to_owned()
        } else {
            m.note.clone()
        };
    }
    // Errors below 1e-12 are exact fits up to rounding: compare them as equal.
    let floor = |e: f64| {
        if e.is_finite() {
            e.max(1e-12)
        } else {
            f64::INFINITY
        }
    };
    let acc = floor(gd.relative) / floor(m.relative);
    let speed = gd.seconds / m.seconds.max(1e-9);
    let accurate = floor(m.relative) <= floor(gd.relative);
    let fast = speed >= 5.0;
    let mut s = format!("{}× as accurate, {}× as fast", fmt_sig(acc, 2), fmt_sig(speed, 2));
    if accurate && fast {
        s.push_str(": target met");
    } else {
        s.push_str(": target NOT met");
    }
    s
}

impl Suite for RecoverySuite {
    fn name(&self) -> &'static str {
        "recovery"
    }

    fn title(&self) -> &'static str {
        "recovering planted depth-2 networks: moment learners vs gradient descent"
    }

    fn description(&self) -> &'static str {
        DESCRIPTION
    }

    fn run(&self, ctx: &SuiteContext) -> Result<SuiteOutput> {
        let g = grid(ctx.size);
        let seed = ctx.seed.derive("recovery-suite");
        let mut rows: Vec<Row> = Vec::new();
        let total: usize = g
            .sizes
            .iter()
            .map(|&(d, k, _)| instances(d, k, seed).map_or(0, |v| v.len()))
            .sum();
        let bar = Progress::rows(total as u64, "recovery");
        for &(d, k, n) in g.sizes {
            for inst in instances(d, k, seed)? {
                bar.message(format!("{} d={d} k={k} n={n}", inst.family));
                let data = Planted::new(
                    inst.teacher.clone(),
                    n,
                    0.0,
                    seed.derive(inst.family).derive_index(n as u64),
                )?
                .materialize();
                let units = inst.teacher.hidden_widths()[0];
                // narrow fits |·| terms: the planar instance's 8 ReLUs are 4 of them.
                let narrow_k = if inst.family == "planar-8" { 4 } else { k };
                let gd = run("gd", units, g.gd_epochs, &data, &inst.teacher, &g, ctx)?;
                let atv = run("atv", units, g.gd_epochs, &data, &inst.teacher, &g, ctx)?;
                rows.push(Row {
                    family: inst.family,
                    d,
                    k: units,
                    n,
                    learner: "atv",
                    outcome: atv,
                    gd: gd.clone(),
                });
                if inst.bias_free {
                    let narrow = run("narrow", narrow_k, g.gd_epochs, &data, &inst.teacher, &g, ctx)?;
                    rows.push(Row {
                        family: inst.family,
                        d,
                        k: units,
                        n,
                        learner: "narrow",
                        outcome: narrow,
                        gd: gd.clone(),
                    });
                }
                rows.push(Row {
                    family: inst.family,
                    d,
                    k: units,
                    n,
                    learner: "gd",
                    outcome: gd.clone(),
                    gd,
                });
                bar.inc(1);
            }
        }
        bar.finish();
        Ok(output(ctx, &g, rows))
    }
}

/// The table's columns.
const COLUMNS: [Column; 12] = [
    col("family", "family", Gate::Equal),
    col("d", "d", Gate::Equal),
    col("k", "k", Gate::Equal),
    col("n", "n", Gate::Equal),
    col("learner", "learner", Gate::Equal),
    col("paper's step", "paper_step_validation_error", ERROR),
    col("rel. error", "relative_error", ERROR),
    col("param. error", "parameter_error", ERROR),
    col("seconds", "seconds", Gate::Ignore),
    recorded("gd_relative_error", ERROR),
    recorded("gd_seconds", Gate::Ignore),
    shown("vs gd"),
];

fn output(ctx: &SuiteContext, g: &Grid, rows: Vec<Row>) -> SuiteOutput {
    let moment_rows: Vec<&Row> = rows.iter().filter(|r| r.learner != "gd").collect();
    let met = moment_rows
        .iter()
        .filter(|r| verdict(&r.outcome, &r.gd).ends_with("target met"))
        .count();
    let mut notes = vec![format!(
        "moment learners meet the target (at least gd's accuracy in at most a fifth of its time) on {met} of {} rows.",
        moment_rows.len()
    )];
    notes.extend(
        rows.iter()
            .filter(|r| !r.outcome.note.is_empty() && r.learner != "gd")
            .map(|r| format!("{} on {}: {}", r.learner, r.family, r.outcome.note)),
    );
    let mut table = Table::new(
        "recovery",
        format!(
            "Relative test error E[(f − f*)²]/Var(f*) on {} fresh samples; parameter error after matching units",
            g.test_samples
        ),
        &COLUMNS,
    );
    for r in &rows {
        let o = &r.outcome;
        table.push(vec![
            Cell::text(r.family),
            Cell::int(r.d),
            Cell::int(r.k),
            Cell::int(r.n),
            Cell::text(r.learner),
            Cell::err(o.paper),
            Cell::err(o.relative),
            Cell::err(o.params),
            Cell::secs(o.seconds),
            Cell::err(r.gd.relative),
            Cell::secs(r.gd.seconds),
            Cell::text(if r.learner == "gd" {
                String::new()
            } else {
                verdict(o, &r.gd)
            }),
        ]);
    }
    SuiteOutput {
        suite: "recovery".into(),
        title: "recovering planted depth-2 networks: moment learners vs gradient descent".into(),
        description: DESCRIPTION.into(),
        params: json!({
            "size": format!("{:?}", ctx.size).to_lowercase(),
            "seed": ctx.seed.0,
            "sizes": g.sizes,
            "test_samples": g.test_samples,
            "gd_max_epochs": g.gd_epochs,
        }),
        tables: vec![table],
        notes,
        figures: Vec::new(),
    }
}

const DESCRIPTION: &str = "\
Each row plants a depth-2 network f* of the family (d inputs, k hidden units), draws n noise-free samples
x ~ N(0, I_d), y = f*(x), and fits the same data with `atv` (Hermite moments, decomposition, polish) and with
`gd` (Adam, k hidden units, He initialisation, 3 restarts, early stopping; see docs/learners/gd.md). Families:
`biased` (unit rows, b ∈ [−1, 1], a ∈ [0.5, 1.5]), `bias-0-1` (biases cycling through 0, 1, −1 where the order-3
or order-4 coefficient vanishes, output weights of both signs), `kappa-8` (condition number 8, bias-free),
`close-0.05` (pairs of units 0.05 rad apart), `signed` (bias-free, output weights of both signs), `planar-8`
(the 8-ReLU planar construction of Diakonikolas et al. with k = 4, whose second moment vanishes; k = 8 > the
rank of its weights, so `atv` does not apply and says so). `narrow` runs on the bias-free families. Times are
wall-clock seconds on this machine (2 threads), so they vary between runs; errors do not. The target: each
moment learner reaches at least gd's accuracy in at most a fifth of its time. `paper's step` is the relative
validation error of the paper's own stage before any local optimisation (atv: the best network assembled
from the moments; narrow: the network its moment discovery returns); `rel. error` is the final test error.";
