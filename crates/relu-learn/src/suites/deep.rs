//! The `deep` suite: CKM (filtered PCA, then a search in the first layer's
//! span) against gradient descent on planted deep networks, and how CKM's
//! time grows with the input dimension.

use std::time::Instant;

use anyhow::Result;
use learners::Learner;
use learners::ckm::{CkmParams, Search};
use learners::gd::GdParams;
use relu_net::metrics::relative_l2_error;
use relu_net::{Family, Network, Planted, Seed};
use serde_json::json;
use subspace_pca::{orthonormalize, sin_theta};

use super::{Size, Suite, SuiteContext};
use crate::output::{Cell, Column, ERROR, Gate, SuiteOutput, Table, col};
use crate::progress::Progress;

/// See the module docs.
pub(super) struct DeepSuite;

/// One planted instance: input dimension, hidden widths, bias std, samples.
#[derive(Clone, Copy)]
struct Case {
    d: usize,
    widths: &'static [usize],
    bias_std: f64,
    n: usize,
}

struct Grid {
    cases: &'static [Case],
    /// Input dimensions of the scaling table (widths [3, 3], biased).
    scaling_dims: &'static [usize],
    scaling_n: usize,
    test_samples: usize,
    gd_epochs: usize,
    /// Smoke runs shrink the search so that debug builds finish in seconds.
    smoke: bool,
}

const fn case(d: usize, widths: &'static [usize], bias_std: f64, n: usize) -> Case {
    Case {
        d,
        widths,
        bias_std,
        n,
    }
}

const SMOKE: &[Case] = &[case(6, &[2, 2], 0.5, 20_000)];
const QUICK: &[Case] = &[
    case(20, &[3, 3], 0.0, 300_000),
    case(20, &[3, 3], 0.5, 300_000),
    case(20, &[3, 3, 3], 0.5, 300_000),
    case(50, &[3, 3], 0.5, 300_000),
];
const FULL: &[Case] = &[
    case(20, &[3, 3], 0.0, 1_000_000),
    case(20, &[3, 3], 0.5, 1_000_000),
    case(20, &[3, 3, 3], 0.5, 1_000_000),
    case(20, &[4, 4], 0.5, 1_000_000),
    case(50, &[3, 3], 0.5, 1_000_000),
    case(100, &[3, 3], 0.5, 1_000_000),
];

fn grid(size: Size) -> Grid {
    match size {
        Size::Smoke => Grid {
            cases: SMOKE,
            scaling_dims: &[6],
            scaling_n: 20_000,
            test_samples: 20_000,
            gd_epochs: 3,
            smoke: true,
        },
        Size::Quick => Grid {
            cases: QUICK,
            scaling_dims: &[10, 20, 50, 100],
            scaling_n: 300_000,
            test_samples: 100_000,
            gd_epochs: 30,
            smoke: false,
        },
        Size::Full => Grid {
            cases: FULL,
            scaling_dims: &[10, 20, 50, 100, 200],
            scaling_n: 1_000_000,
            test_samples: 200_000,
            gd_epochs: 200,
            smoke: false,
        },
    }
}

/// Records the wall-clock time of each stage a learner reports.
#[derive(Default)]
struct Stages {
    done: Vec<(String, f64)>,
    current: Option<(String, Instant)>,
}

impl learners::Observer for Stages {
    fn stage(&mut self, name: &str) {
        if let Some((prev, t)) = self.current.take() {
            self.done.push((prev, t.elapsed().as_secs_f64()));
        }
        self.current = Some((name.to_owned(), Instant::now()));
    }
}

impl Stages {
    fn finish(mut self) -> Vec<(String, f64)> {
        if let Some((name, t)) = self.current.take() {
            self.done.push((name, t.elapsed().as_secs_f64()));
        }
        self.done
    }
}

/// One fit and its measurements.
#[derive(Clone)]
struct Outcome {
    relative: f64,
    /// sin θ between the teacher's and the model's first-layer row spans.
    sin_theta: f64,
    /// sin θ between the teacher's first-layer span and filtered PCA's
    /// subspace (CKM's first step on its own), the larger of the two
    /// directions; NaN for other learners.
    pca_sin_theta: f64,
    seconds: f64,
    /// Seconds in filtered PCA (CKM only).
    pca_seconds: f64,
    note: String,
}

fn ckm_params(widths: &[usize], smoke: bool) -> CkmParams {
    let base = CkmParams {
        widths: widths.to_vec(),
        ..CkmParams::default()
    };
    if smoke {
        CkmParams {
            search: Search::Net,
            net_candidates: 500,
            net_refine: 4,
            polish_top: 2,
            ..base
        }
    } else {
        base
    }
}

/// An orthonormal basis of a network's first-layer row span.
fn first_span(net: &Network) -> faer::Mat<f64> {
    orthonormalize(net.layers()[0].weight().transpose(), 1e-10)
}

fn span_error(teacher: &Network, model: &Network) -> f64 {
    sin_theta(first_span(teacher).as_ref(), first_span(model).as_ref()).unwrap_or(f64::NAN)
}

/// sin θ between filtered PCA's subspace (the report's `filtered_pca_basis`,
/// d × m column-major) and the teacher's first-layer span, in whichever
/// direction is larger (a missed direction or a spurious one); NaN without
/// a basis.
pub(super) fn pca_span_error(teacher: &Network, report: &learners::Report) -> f64 {
    let Some(flat) = report.series.get("filtered_pca_basis") else {
        return f64::NAN;
    };
    let d = teacher.input_dim();
    if d == 0 || flat.is_empty() || flat.len() % d != 0 {
        return f64::NAN;
    }
    let v = faer::Mat::from_fn(d, flat.len() / d, |i, j| flat[j * d + i]);
    let u = first_span(teacher);
    match (
        sin_theta(v.as_ref(), u.as_ref()),
        sin_theta(u.as_ref(), v.as_ref()),
    ) {
        (Ok(a), Ok(b)) => a.max(b),
        _ => f64::NAN,
    }
}

fn fit(
    learner: &dyn Learner,
    data: &relu_net::InMemory,
    teacher: &Network,
    g: &Grid,
    ctx: &SuiteContext,
    tag: &str,
) -> Result<Outcome> {
    let mut stages = Stages::default();
    let start = Instant::now();
    let fitted = learner.fit_observed(data, ctx.seed.derive(tag), ctx.par, &mut stages);
    let seconds = start.elapsed().as_secs_f64();
    let pca_seconds = stages
        .finish()
        .iter()
        .filter(|(s, _)| s == "filtered-pca")
        .map(|(_, t)| t)
        .sum();
    Ok(match fitted {
        Ok(f) => {
            let net = f
                .network()
                .ok_or_else(|| anyhow::anyhow!("{tag} returned a kernel model"))?;
            let err = relative_l2_error(net, teacher, g.test_samples, ctx.seed.derive("test"), ctx.par)?;
            Outcome {
                relative: err.relative_error,
                sin_theta: span_error(teacher, net),
                pca_sin_theta: pca_span_error(teacher, &f.report),
                seconds,
                pca_seconds,
                note: String::new(),
            }
        }
        Err(e) => Outcome {
            relative: f64::NAN,
            sin_theta: f64::NAN,
            pca_sin_theta: f64::NAN,
            seconds,
            pca_seconds,
            note: format!("{tag} failed: {e}"),
        },
    })
}

struct Row {
    case: Case,
    learner: &'static str,
    outcome: Outcome,
}

impl Suite for DeepSuite {
    fn name(&self) -> &'static str {
        "deep"
    }

    fn title(&self) -> &'static str {
        "deep networks: CKM (filtered PCA + subspace search) vs gradient descent"
    }

    fn description(&self) -> &'static str {
        DESCRIPTION
    }

    fn run(&self, ctx: &SuiteContext) -> Result<SuiteOutput> {
        let g = grid(ctx.size);
        let seed = ctx.seed.derive("deep-suite");
        let bar = Progress::rows((g.cases.len() + g.scaling_dims.len()) as u64, "deep");
        let plant = |c: &Case, s: Seed| -> Result<(Network, relu_net::InMemory)> {
            let teacher = Family::Deep {
                dim: c.d,
                widths: c.widths.to_vec(),
                bias_std: c.bias_std,
            }
            .plant(s)?;
            let data = Planted::new(teacher.clone(), c.n, 0.0, s.derive("data"))?.materialize();
            Ok((teacher, data))
        };
        let mut rows = Vec::new();
        for (i, c) in g.cases.iter().enumerate() {
            bar.message(format!("d={} widths={:?} n={}", c.d, c.widths, c.n));
            let (teacher, data) = plant(c, seed.derive_index(i as u64))?;
            let ckm = ckm_params(c.widths, g.smoke).validate()?;
            let gd = GdParams {
                hidden: Some(c.widths.to_vec()),
                max_epochs: g.gd_epochs,
                ..GdParams::default()
            }
            .validate()?;
            rows.push(Row {
                case: *c,
                learner: "ckm",
                outcome: fit(&ckm, &data, &teacher, &g, ctx, "ckm")?,
            });
            rows.push(Row {
                case: *c,
                learner: "gd",
                outcome: fit(&gd, &data, &teacher, &g, ctx, "gd")?,
            });
            bar.inc(1);
        }
        let mut scaling = Vec::new();
        for &d in g.scaling_dims {
            bar.message(format!("scaling d={d}"));
            let c = Case {
                d,
                widths: &[3, 3],
                bias_std: 0.5,
                n: g.scaling_n,
            };
            let c = if g.smoke { Case { widths: &[2, 2], ..c } } else { c };
            let (teacher, data) = plant(&c, seed.derive("scaling").derive_index(d as u64))?;
            let ckm = ckm_params(c.widths, g.smoke).validate()?;
            scaling.push(Row {
                case: c,
                learner: "ckm",
                outcome: fit(&ckm, &data, &teacher, &g, ctx, "ckm")?,
            });
            bar.inc(1);
        }
        bar.finish();
        Ok(output(ctx, &g, &rows, &scaling))
    }
}

fn widths_label(w: &[usize]) -> String {
    w.iter().map(ToString::to_string).collect::<Vec<_>>().join("-")
}

/// The columns of the main table.
const MAIN_COLUMNS: [Column; 9] = [
    col("d", "d", Gate::Equal),
    col("widths", "widths", Gate::Equal),
    col("bias std", "bias_std", Gate::Equal),
    col("n", "n", Gate::Equal),
    col("learner", "learner", Gate::Equal),
    col("rel. error", "relative_error", ERROR),
    col("sin θ", "sin_theta", ERROR),
    col("sin θ of filtered PCA (paper's step)", "pca_sin_theta", ERROR),
    col("seconds", "seconds", Gate::Ignore),
];

/// The columns of the time-against-d table.
const SCALING_COLUMNS: [Column; 5] = [
    col("d", "d", Gate::Equal),
    col("rel. error", "relative_error", ERROR),
    col("sin θ", "sin_theta", ERROR),
    col("filtered PCA s", "pca_seconds", Gate::Ignore),
    col("total s", "seconds", Gate::Ignore),
];

fn output(ctx: &SuiteContext, g: &Grid, rows: &[Row], scaling: &[Row]) -> SuiteOutput {
    let floor = |e: f64| {
        if e.is_finite() {
            e.max(1e-12)
        } else {
            f64::INFINITY
        }
    };
    let pairs: Vec<(&Row, &Row)> = rows
        .chunks(2)
        .filter(|p| p.len() == 2)
        .map(|p| (&p[0], &p[1]))
        .collect();
    let better = pairs
        .iter()
        .filter(|(c, gd)| floor(c.outcome.relative) <= floor(gd.outcome.relative))
        .count();
    let mut notes = vec![format!(
        "ckm is at least as accurate as gd on {better} of {} instances (errors below 1e-12 count as equal).",
        pairs.len()
    )];
    notes.extend(
        rows.iter()
            .chain(scaling)
            .filter(|r| !r.outcome.note.is_empty())
            .map(|r| r.outcome.note.clone()),
    );
    if let (Some(first), Some(last)) = (scaling.first(), scaling.last())
        && first.case.d < last.case.d
        && first.outcome.pca_seconds > 0.0
    {
        let slope = (last.outcome.pca_seconds / first.outcome.pca_seconds).ln()
            / (last.case.d as f64 / first.case.d as f64).ln();
        notes.push(format!(
                "filtered PCA time grows like d^{:.2} between d = {} and d = {} (the n·d² second-moment passes predict 2 once they dominate).",
                slope, first.case.d, last.case.d
            ));
    }
    let mut main = Table::new(
        "deep",
        format!(
            "Relative test error E[(f − f*)²]/Var(f*) on {} fresh samples; sin θ between the first-layer row spans of the teacher and the fitted network, and between the teacher's and filtered PCA's subspace before any search or polish (the larger of the two directions)",
            g.test_samples
        ),
        &MAIN_COLUMNS,
    );
    for r in rows {
        main.push(vec![
            Cell::int(r.case.d),
            Cell::shown(json!(r.case.widths), widths_label(r.case.widths)),
            Cell::shown(json!(r.case.bias_std), r.case.bias_std.to_string()),
            Cell::int(r.case.n),
            Cell::text(r.learner),
            Cell::err(r.outcome.relative),
            Cell::err(r.outcome.sin_theta),
            Cell::err(r.outcome.pca_sin_theta),
            Cell::secs(r.outcome.seconds),
        ]);
    }
    let mut scale = Table::new(
        "deep-scaling",
        format!(
            "CKM's time against the input dimension (widths 3-3, bias std 0.5, n = {})",
            g.scaling_n
        ),
        &SCALING_COLUMNS,
    );
    for r in scaling {
        scale.push(vec![
            Cell::int(r.case.d),
            Cell::err(r.outcome.relative),
            Cell::err(r.outcome.sin_theta),
            Cell::secs(r.outcome.pca_seconds),
            Cell::secs(r.outcome.seconds),
        ]);
    }
    SuiteOutput {
        suite: "deep".into(),
        title: "deep networks: CKM (filtered PCA + subspace search) vs gradient descent".into(),
        description: DESCRIPTION.into(),
        params: json!({
            "size": format!("{:?}", ctx.size).to_lowercase(),
            "seed": ctx.seed.0,
            "cases": g.cases.iter().map(|c| json!({"d": c.d, "widths": c.widths, "bias_std": c.bias_std, "n": c.n})).collect::<Vec<_>>(),
            "scaling_dims": g.scaling_dims,
            "scaling_n": g.scaling_n,
            "test_samples": g.test_samples,
            "gd_max_epochs": g.gd_epochs,
        }),
        tables: vec![main, scale],
        notes,
        figures: Vec::new(),
    }
}

const DESCRIPTION: &str = "\
Each row plants a deep ReLU network f* of the `deep` family (d inputs, the given hidden widths, unit-norm
first-layer rows, He-scaled deeper layers, hidden biases N(0, σ²)), draws n noise-free samples x ~ N(0, I_d),
y = f*(x), and fits the same data with `ckm` (filtered PCA for the span of the first layer's rows, a net over
networks in that k-dimensional span whose best points are refined by Levenberg–Marquardt, Adam there when the
net falls short,
then a Levenberg–Marquardt polish of the lifted network in ℝ^d; see docs/learners/ckm.md) and with `gd` (Adam
on the full network with the true architecture, He initialisation, 3 restarts, early stopping). sin θ measures
how far the teacher's first-layer span sticks out of the model's. The second table plants one network per d
and reports CKM's time, split into filtered PCA (O(n d²) per filter) and the rest (independent of d). Times
are wall-clock seconds on this machine (2 threads); errors do not depend on the thread count.";
