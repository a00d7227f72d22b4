//! The `scaling` suite: wall-clock time (and the error it buys) of every
//! learner against the input dimension d and the number of hidden units k,
//! and of exact ERM against the number of points.

use std::time::Instant;

use anyhow::Result;
use faer::Par;
use learners::Learner;
use learners::bounded_weight::BoundedWeightParams;
use learners::ckm::{CkmParams, Search};
use learners::exact_erm::ExactErmParams;
use learners::gd::GdParams;
use relu_net::metrics::relative_l2_error;
use relu_net::{Family, Network, Planted, Seed, gaussian_matrix};
use serde_json::json;

use super::{Size, Suite, SuiteContext};
use crate::output::{Cell, Column, ERROR, Gate, SuiteOutput, Table, col, recorded};
use crate::progress::Progress;

/// See the module docs.
pub(super) struct ScalingSuite;

/// The teacher a learner is run on (its own model class).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Teacher {
    /// `biased`: unit rows, biases U[−1, 1], positive output weights.
    Biased,
    /// `signed`: bias-free, output weights of both signs.
    Signed,
    /// One biased ReLU (k is ignored).
    Single,
    /// `deep` with one hidden layer, biases N(0, 0.5²).
    Deep2,
}

impl Teacher {
    fn label(self) -> &'static str {
        match self {
            Self::Biased => "biased",
            Self::Signed => "signed",
            Self::Single => "single ReLU",
            Self::Deep2 => "deep (depth 2)",
        }
    }

    fn plant(self, d: usize, k: usize, seed: Seed) -> Result<Network> {
        Ok(match self {
            Self::Biased => Family::Biased {
                dim: d,
                hidden: k,
                bias_range: 1.0,
            }
            .plant(seed)?,
            Self::Signed => Family::Signed { dim: d, hidden: k }.plant(seed)?,
            Self::Single => Family::Biased {
                dim: d,
                hidden: 1,
                bias_range: 1.0,
            }
            .plant(seed)?,
            Self::Deep2 => Family::Deep {
                dim: d,
                widths: vec![k],
                bias_std: 0.5,
            }
            .plant(seed)?,
        })
    }
}

/// Learners of the d and k tables, with their teachers.
const LEARNERS_D: &[(&str, Teacher)] = &[
    ("atv", Teacher::Biased),
    ("narrow", Teacher::Signed),
    ("ckm", Teacher::Deep2),
    ("kernel", Teacher::Single),
    ("glmtron", Teacher::Single),
    ("alphatron", Teacher::Single),
    ("bounded-weight", Teacher::Biased),
    ("gd", Teacher::Biased),
];
const LEARNERS_K: &[(&str, Teacher)] = &[
    ("atv", Teacher::Biased),
    ("narrow", Teacher::Signed),
    ("ckm", Teacher::Deep2),
    ("bounded-weight", Teacher::Biased),
    ("gd", Teacher::Biased),
];

struct Grid {
    dims: &'static [usize],
    k_for_d: usize,
    ks: &'static [usize],
    d_for_k: usize,
    n: usize,
    test_samples: usize,
    gd_epochs: usize,
    /// Exact ERM: (input dimension, k, points).
    exact: &'static [(usize, usize, usize)],
    smoke: bool,
}

fn grid(size: Size) -> Grid {
    match size {
        Size::Smoke => Grid {
            dims: &[4, 6],
            k_for_d: 2,
            ks: &[1, 2],
            d_for_k: 6,
            n: 5_000,
            test_samples: 10_000,
            gd_epochs: 3,
            exact: &[(1, 1, 6), (2, 1, 6)],
            smoke: true,
        },
        Size::Quick => Grid {
            dims: &[10, 20, 50, 100],
            k_for_d: 2,
            ks: &[1, 2, 4, 8],
            d_for_k: 20,
            // 5·10⁴ rows keep `cargo xtask reproduce` within its 15
            // minutes (the errors are noise-free; --full has 10⁶).
            n: 50_000,
            test_samples: 20_000,
            gd_epochs: 30,
            exact: &[
                (1, 1, 8),
                (1, 1, 16),
                (1, 1, 32),
                (1, 2, 8),
                (1, 2, 16),
                (1, 2, 32),
                (2, 1, 8),
                (2, 1, 16),
                (2, 1, 32),
                (2, 2, 8),
                (2, 2, 12),
                (2, 2, 16),
                (2, 2, 20),
            ],
            smoke: false,
        },
        Size::Full => Grid {
            dims: &[10, 20, 50, 100, 200],
            k_for_d: 2,
            ks: &[1, 2, 4, 8, 12],
            d_for_k: 20,
            n: 1_000_000,
            test_samples: 200_000,
            gd_epochs: 100,
            exact: &[
                (1, 1, 16),
                (1, 1, 64),
                (1, 2, 16),
                (1, 2, 64),
                (2, 1, 16),
                (2, 1, 64),
                (2, 2, 12),
                (2, 2, 16),
                (2, 2, 24),
                (3, 1, 16),
                (3, 1, 24),
            ],
            smoke: false,
        },
    }
}

/// Builds the learner of a row.
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
        "ckm" => {
            let base = CkmParams {
                widths: vec![k],
                ..CkmParams::default()
            };
            let p = if g.smoke {
                CkmParams {
                    search: Search::Net,
                    net_candidates: 500,
                    net_refine: 4,
                    polish_top: 2,
                    ..base
                }
            } else {
                base
            };
            Box::new(p.validate()?)
        }
        "bounded-weight" => Box::new(
            BoundedWeightParams {
                hidden: k,
                polish: true,
                ..BoundedWeightParams::default()
            }
            .validate()?,
        ),
        "glmtron" | "alphatron" | "kernel" => learners::learner(name, None)?,
        _ => learners::learner(name, Some(k))?,
    })
}

struct Row {
    learner: &'static str,
    teacher: Teacher,
    d: usize,
    k: usize,
    seconds: f64,
    /// The relative validation error of the paper's stage before any local
    /// optimisation (NaN for learners without a separate stage).
    paper: f64,
    relative: f64,
    note: String,
}

fn run_one(
    name: &'static str,
    teacher: Teacher,
    d: usize,
    k: usize,
    g: &Grid,
    ctx: &SuiteContext,
    seed: Seed,
) -> Result<Row> {
    let k_eff = if teacher == Teacher::Single { 1 } else { k };
    let net = teacher.plant(d, k_eff, seed)?;
    let data = Planted::new(net.clone(), g.n, 0.0, seed.derive("data"))?.materialize();
    let learner = make(name, k_eff, g)?;
    let start = Instant::now();
    let fitted = learner.fit(&data, seed.derive(name), ctx.par);
    let seconds = start.elapsed().as_secs_f64();
    let (paper, relative, note) = match fitted {
        Ok(f) => (
            f.report.provable_stage_error.unwrap_or(f64::NAN),
            relative_l2_error(&f.model, &net, g.test_samples, seed.derive("test"), ctx.par)?.relative_error,
            String::new(),
        ),
        Err(e) => (f64::NAN, f64::NAN, format!("{name} at d = {d}, k = {k_eff}: {e}")),
    };
    Ok(Row {
        learner: name,
        teacher,
        d,
        k: k_eff,
        seconds,
        paper,
        relative,
        note,
    })
}

struct ExactRow {
    dim: usize,
    k: usize,
    points: usize,
    dichotomies: usize,
    programs: u64,
    qp: u64,
    loss: f64,
    seconds: f64,
}

fn run_exact(dim: usize, k: usize, points: usize, seed: Seed) -> Result<ExactRow> {
    let teacher = Family::Biased {
        dim,
        hidden: k,
        bias_range: 1.0,
    }
    .plant(seed)?;
    let x = gaussian_matrix(points, dim, seed.derive("x"));
    let noise = gaussian_matrix(points, 1, seed.derive("noise"));
    let f = teacher.predict(x.as_ref(), Par::Seq)?;
    let y: Vec<f64> = (0..points).map(|i| f[i] + 0.1 * noise[(i, 0)]).collect();
    let erm = ExactErmParams {
        hidden: k,
        max_points: points,
        ..ExactErmParams::default()
    }
    .validate()?;
    let start = Instant::now();
    let sol = erm.solve(x.as_ref(), &y, Par::rayon(2))?;
    Ok(ExactRow {
        dim,
        k,
        points,
        dichotomies: sol.dichotomies,
        programs: sol.programs,
        qp: sol.qp,
        loss: sol.loss,
        seconds: start.elapsed().as_secs_f64(),
    })
}

impl Suite for ScalingSuite {
    fn name(&self) -> &'static str {
        "scaling"
    }

    fn title(&self) -> &'static str {
        "time against d and k for every learner; exact ERM against the number of points"
    }

    fn description(&self) -> &'static str {
        DESCRIPTION
    }

    fn run(&self, ctx: &SuiteContext) -> Result<SuiteOutput> {
        let g = grid(ctx.size);
        let seed = ctx.seed.derive("scaling-suite");
        let total = LEARNERS_D.len() * g.dims.len() + LEARNERS_K.len() * g.ks.len() + g.exact.len();
        let bar = Progress::rows(total as u64, "scaling");
        let mut by_d = Vec::new();
        for &(name, teacher) in LEARNERS_D {
            for &d in g.dims {
                bar.message(format!("{name} d={d}"));
                let s = seed.derive("d").derive(name).derive_index(d as u64);
                by_d.push(run_one(name, teacher, d, g.k_for_d, &g, ctx, s)?);
                bar.inc(1);
            }
        }
        let mut by_k = Vec::new();
        for &(name, teacher) in LEARNERS_K {
            for &k in g.ks {
                bar.message(format!("{name} k={k}"));
                let s = seed.derive("k").derive(name).derive_index(k as u64);
                by_k.push(run_one(name, teacher, g.d_for_k, k, &g, ctx, s)?);
                bar.inc(1);
            }
        }
        let mut exact = Vec::new();
        for (i, &(dim, k, points)) in g.exact.iter().enumerate() {
            bar.message(format!("exact-erm n={dim} k={k} D={points}"));
            exact.push(run_exact(
                dim,
                k,
                points,
                seed.derive("exact").derive_index(i as u64),
            )?);
            bar.inc(1);
        }
        bar.finish();
        Ok(output(ctx, &g, &by_d, &by_k, &exact))
    }
}

/// Log–log slope of time against `x` between the first and last rows that
/// succeeded.
fn slope(rows: &[&Row], x: impl Fn(&Row) -> usize) -> Option<f64> {
    let ok: Vec<&&Row> = rows.iter().filter(|r| r.relative.is_finite()).collect();
    let (a, b) = (ok.first()?, ok.last()?);
    (x(b) > x(a) && a.seconds > 0.0).then(|| (b.seconds / a.seconds).ln() / (x(b) as f64 / x(a) as f64).ln())
}

/// The columns of the time tables (`axis` is the swept quantity).
const LEARNER_COLUMNS: [Column; 8] = [
    col("learner", "learner", Gate::Equal),
    col("teacher", "teacher", Gate::Equal),
    recorded("axis", Gate::Equal),
    col("d", "d", Gate::Equal),
    col("k", "k", Gate::Equal),
    col("paper's step", "paper_step_validation_error", ERROR),
    col("rel. error", "relative_error", ERROR),
    col("seconds", "seconds", Gate::Ignore),
];

fn learner_table(name: &str, title: String, rows: &[Row], axis: &'static str) -> Table {
    let mut t = Table::new(name, title, &LEARNER_COLUMNS);
    for r in rows {
        t.push(vec![
            Cell::text(r.learner),
            Cell::text(r.teacher.label()),
            Cell::text(axis),
            Cell::int(r.d),
            Cell::int(r.k),
            Cell::err(r.paper),
            Cell::err(r.relative),
            Cell::shown(
                json!(r.seconds),
                if r.relative.is_finite() {
                    format!("{:.2}", r.seconds)
                } else {
                    "–".to_owned()
                },
            ),
        ]);
    }
    t
}

/// The columns of the exact-ERM table: the counts are deterministic.
const EXACT_COLUMNS: [Column; 8] = [
    col("input dim", "input_dim", Gate::Equal),
    col("k", "k", Gate::Equal),
    col("D", "points", Gate::Equal),
    col("dichotomies", "dichotomies", Gate::Equal),
    col("programs", "programs", Gate::Equal),
    col("QPs solved", "qp", Gate::Equal),
    col("training loss", "training_loss", ERROR),
    col("seconds", "seconds", Gate::Ignore),
];

fn output(ctx: &SuiteContext, g: &Grid, by_d: &[Row], by_k: &[Row], exact: &[ExactRow]) -> SuiteOutput {
    let mut notes = Vec::new();
    for (rows, axis, learners) in [(by_d, "d", LEARNERS_D), (by_k, "k", LEARNERS_K)] {
        let parts: Vec<String> = learners
            .iter()
            .filter_map(|(name, _)| {
                let mine: Vec<&Row> = rows.iter().filter(|r| r.learner == *name).collect();
                let s = slope(&mine, |r| if axis == "d" { r.d } else { r.k })?;
                Some(format!("{name} {axis}^{s:.2}"))
            })
            .collect();
        if !parts.is_empty() {
            notes.push(format!(
                "time ∝ {axis}^s between the smallest and largest {axis} that succeeded: {}.",
                parts.join(", ")
            ));
        }
    }
    notes.extend(
        by_d.iter()
            .chain(by_k)
            .filter(|r| !r.note.is_empty())
            .map(|r| r.note.clone()),
    );
    let t_d = learner_table(
        "scaling-d",
        format!(
            "Time against the input dimension (k = {}, n = {}, noise-free; relative test error on {} fresh samples)",
            g.k_for_d, g.n, g.test_samples
        ),
        by_d,
        "d",
    );
    let t_k = learner_table(
        "scaling-k",
        format!(
            "Time against the number of hidden units (d = {}, n = {})",
            g.d_for_k, g.n
        ),
        by_k,
        "k",
    );
    let mut t_exact = Table::new(
        "scaling-exact",
        "exact-erm against the number of points D (labels of a planted network + N(0, 0.1²) noise)",
        &EXACT_COLUMNS,
    );
    for r in exact {
        t_exact.push(vec![
            Cell::int(r.dim),
            Cell::int(r.k),
            Cell::int(r.points),
            Cell::int(r.dichotomies),
            Cell::int(r.programs),
            Cell::int(r.qp),
            Cell::err(r.loss),
            Cell::fixed(r.seconds, 3),
        ]);
    }
    SuiteOutput {
        suite: "scaling".into(),
        title: "time against d and k for every learner; exact ERM against the number of points".into(),
        description: DESCRIPTION.into(),
        params: json!({
            "size": format!("{:?}", ctx.size).to_lowercase(),
            "seed": ctx.seed.0,
            "dims": g.dims,
            "k_for_d": g.k_for_d,
            "ks": g.ks,
            "d_for_k": g.d_for_k,
            "n": g.n,
            "test_samples": g.test_samples,
            "gd_max_epochs": g.gd_epochs,
            "exact": g.exact,
        }),
        tables: vec![t_d, t_k, t_exact],
        notes,
        figures: figures(by_d, by_k),
    }
}

/// Log–log plots of time against d and against k, one line per learner.
fn figures(by_d: &[Row], by_k: &[Row]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (rows, axis, learners, name, caption) in [
        (
            by_d,
            "d",
            LEARNERS_D,
            "time-d",
            "Wall-clock time against the input dimension d (log–log)",
        ),
        (
            by_k,
            "k",
            LEARNERS_K,
            "time-k",
            "Wall-clock time against the number of hidden units k (log–log)",
        ),
    ] {
        let series: Vec<crate::plots::Series> = learners
            .iter()
            .map(|(l, _)| {
                (
                    (*l).to_owned(),
                    rows.iter()
                        .filter(|r| r.learner == *l && r.relative.is_finite())
                        .map(|r| ((if axis == "d" { r.d } else { r.k }) as f64, r.seconds))
                        .collect(),
                )
            })
            .collect();
        if let Ok(svg) = crate::plots::log_log(&format!("time vs {axis}"), axis, "seconds", &series) {
            out.push((name.to_owned(), caption.to_owned(), svg));
        }
    }
    out
}

const DESCRIPTION: &str = "\
Every learner runs with its defaults on n noise-free samples of a teacher from its own model class: `atv`,
`bounded-weight` and `gd` on `biased` depth-2 networks, `narrow` on `signed` (bias-free) ones, `ckm` on a
depth-2 `deep` network (biases N(0, 0.5²)), `glmtron`, `alphatron` and `kernel` on one biased ReLU.
`bounded-weight` projects to d' = 2, searches a net there and is then polished by Levenberg–Marquardt (its
raw answer is only ε-good with ε ~ 1/√d'; see docs/learners/bounded-weight.md); `gd` is capped at a fixed
number of epochs. The first table varies d at fixed k, the second k at fixed d; a row without a time failed
(the reason is in the notes: for example the net of `bounded-weight` grows like C(N, k)). The last table
runs `exact-erm` (one QP per sign/activation-pattern combination) on D points: its cost grows like D^{nk}
for input dimension n — polynomial in D, exponential in n and k, as Froese–Hertrich show it must be.
`paper's step` is the relative validation error of the paper's own stage before any local optimisation (atv:
the best moment candidate; narrow: discovery; ckm: the best net point), `–` for learners without one.
Times are wall-clock seconds on this machine (2 threads); errors do not depend on the thread count.";
