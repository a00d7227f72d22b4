//! The `theory` suite: the papers' own stages alone — atv's moment
//! candidates, narrow's network discovery, ckm's search in the filtered-PCA
//! subspace — against the number of samples, with their polish and every
//! later local step turned off, next to the shape the theorems predict.
//!
//! For each variant (learner, teacher family, d, k and the parameter the
//! theorem's rate depends on) and each n of the grid, every seed plants a
//! teacher, draws n noise-free samples and fits; the table shows the
//! geometric mean over seeds of the report's `provable_stage_error` (the
//! relative validation error of the paper's stage), how many seeds failed
//! (an error, no provable-stage network, or an error above 0.5, which is
//! counted and left out of the mean, never silently dropped), the fitted
//! log–log slope, and the smallest n of the grid where the mean reaches ε.

use anyhow::Result;
use faer::Par;
use learners::Learner;
use learners::atv::AtvParams;
use learners::ckm::{CkmParams, Search};
use learners::narrow::NarrowParams;
use relu_net::{Family, Network, Planted, Seed};
use serde_json::json;

use super::{Size, Suite, SuiteContext};
use crate::output::{
    Cell, ERROR, Gate, SLOPE, SuiteOutput, Table, col, col_owned, dash, recorded, shown_owned,
};
use crate::plots::{log_log, log_slope};
use crate::progress::Progress;

/// See the module docs.
pub(super) struct TheorySuite;

/// The accuracy whose sample size the table reports.
const EPSILON: f64 = 1e-2;

/// A provable-stage error above this counts as a failure.
const FAILED_ABOVE: f64 = 0.5;

/// Where a row's teachers come from.
#[derive(Clone, Debug)]
enum Teachers {
    /// A planted family of `relu-net`.
    Planted(Family),
    /// The slab bump of `lower-bounds` (slope Λ, offset 0.5, a random
    /// direction): three ReLUs of slope Λ, Lipschitz constant Λ; CKM's
    /// "some dependence on Λ is necessary".
    Lipschitz { dim: usize, lambda: f64 },
}

/// One row of the table: a learner on a teacher family.
#[derive(Clone, Debug)]
struct Variant {
    learner: &'static str,
    /// What varies, in words (shown).
    label: String,
    family: Teachers,
    /// The theorem's predicted dependence, in words.
    predicted: &'static str,
}

struct Grid {
    ns: &'static [usize],
    seeds: u64,
    variants: Vec<Variant>,
}

fn atv(dim: usize, hidden: usize, bias_range: f64) -> Variant {
    Variant {
        learner: "atv",
        label: format!("biased, d = {dim}, k = {hidden}, |b| ≤ {bias_range}"),
        family: Teachers::Planted(Family::Biased {
            dim,
            hidden,
            bias_range,
        }),
        predicted: "n ∝ poly(d, k, 1/σ_min(W)) · e^{b²} / ε (slope −1)",
    }
}

fn atv_conditioned(dim: usize, hidden: usize, kappa: f64) -> Variant {
    Variant {
        learner: "atv",
        label: format!("conditioned, d = {dim}, k = {hidden}, κ(W) = {kappa}"),
        family: Teachers::Planted(Family::Conditioned { dim, hidden, kappa }),
        predicted: "n ∝ poly(d, k, 1/σ_min(W)) · e^{b²} / ε (slope −1)",
    }
}

fn narrow(dim: usize, hidden: usize) -> Variant {
    Variant {
        learner: "narrow",
        label: format!("signed, d = {dim}, k = {hidden}"),
        family: Teachers::Planted(Family::Signed { dim, hidden }),
        predicted: "n ≤ (d/ε)^{h(k)}, no conditioning; moments: slope −1",
    }
}

fn ckm(dim: usize, widths: Vec<usize>) -> Variant {
    Variant {
        learner: "ckm",
        label: format!("deep, d = {dim}, widths {widths:?}"),
        family: Teachers::Planted(Family::Deep {
            dim,
            widths,
            bias_std: 0.5,
        }),
        predicted: "PCA: sin θ ∝ √(d/n); search: net resolution, not n",
    }
}

fn ckm_lipschitz(dim: usize, lambda: f64) -> Variant {
    Variant {
        learner: "ckm",
        label: format!("slab bump, d = {dim}, Λ = {lambda}"),
        family: Teachers::Lipschitz { dim, lambda },
        predicted: "time and n grow with Λ; at a fixed net, error grows with Λ",
    }
}

fn grid(size: Size) -> Grid {
    match size {
        Size::Smoke => Grid {
            ns: &[3_000, 10_000],
            seeds: 2,
            variants: vec![atv(5, 2, 1.0), narrow(5, 2)],
        },
        Size::Quick => Grid {
            ns: &[3_000, 10_000, 30_000, 100_000],
            seeds: 5,
            variants: vec![
                atv(10, 3, 1.0),
                atv(10, 3, 3.0),
                atv(20, 3, 1.0),
                atv_conditioned(10, 3, 10.0),
                narrow(10, 3),
                narrow(10, 5),
                narrow(20, 3),
                ckm(10, vec![2, 2]),
                ckm_lipschitz(10, 2.0),
                ckm_lipschitz(10, 8.0),
            ],
        },
        Size::Full => Grid {
            ns: &[3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000],
            seeds: 10,
            variants: vec![
                atv(10, 3, 1.0),
                atv(10, 3, 2.0),
                atv(10, 3, 3.0),
                atv(20, 3, 1.0),
                atv(40, 3, 1.0),
                atv(10, 6, 1.0),
                atv_conditioned(10, 3, 10.0),
                atv_conditioned(10, 3, 100.0),
                narrow(10, 3),
                narrow(10, 4),
                narrow(10, 6),
                narrow(20, 3),
                narrow(40, 3),
                ckm(10, vec![2, 2]),
                ckm(20, vec![2, 2]),
                ckm(10, vec![3, 2]),
                ckm_lipschitz(10, 2.0),
                ckm_lipschitz(10, 4.0),
                ckm_lipschitz(10, 8.0),
                ckm_lipschitz(10, 16.0),
            ],
        },
    }
}

/// The learner of a variant with its polish and every later local step
/// off: what remains is the paper's stage.
fn provable_only(v: &Variant, k: usize) -> Result<Box<dyn Learner>> {
    Ok(match v.learner {
        "atv" => Box::new(
            AtvParams {
                hidden: Some(k),
                polish: false,
                ..AtvParams::default()
            }
            .validate()?,
        ),
        "narrow" => Box::new(
            NarrowParams {
                hidden: Some(k),
                polish: false,
                search_above: f64::INFINITY,
                ..NarrowParams::default()
            }
            .validate()?,
        ),
        _ => {
            let widths = match &v.family {
                Teachers::Planted(Family::Deep { widths, .. }) => widths.clone(),
                Teachers::Lipschitz { .. } => vec![3],
                Teachers::Planted(_) => anyhow::bail!("ckm variants are deep networks or slab bumps"),
            };
            Box::new(
                CkmParams {
                    widths,
                    search: Search::Net,
                    net_refine: 0,
                    polish: false,
                    ..CkmParams::default()
                }
                .validate()?,
            )
        }
    })
}

/// One seed of a point: the notes its teacher drew, and the stage's error
/// and parameter error, or the fit's error message.
type SeedOutcome = (Vec<String>, Result<(Option<f64>, f64), String>);

/// One point of a row: n, the geometric mean of the successful seeds'
/// provable-stage errors (NaN when none succeeded) and the failures.
struct Point {
    n: usize,
    error: f64,
    /// Geometric mean over the successful seeds of the stage's parameter
    /// error ([`stage_parameter_error`]).
    param: f64,
    failures: usize,
}

/// The paper's stage's own parameter error against the teacher: for atv
/// and ckm on depth-2 teachers the largest error of the matched units of
/// the stage's network (direction, bias, output weight, output bias;
/// `relu_net::matching`); for narrow, whose stage returns the improper
/// form (a pair of ReLUs per direction, so output weights do not match
/// unit by unit), the largest direction error up to sign
/// ([`direction_error_up_to_sign`]); for deeper ckm
/// teachers, sin θ between filtered PCA's subspace and the teacher's
/// first-layer span. NaN when it cannot be measured.
fn stage_parameter_error(learner: &str, teacher: &Network, fitted: &learners::Fitted) -> f64 {
    if teacher.depth() != 2 {
        return super::deep::pca_span_error(teacher, &fitted.report);
    }
    let Some(net) = fitted.report.provable_network.as_ref() else {
        return f64::NAN;
    };
    if learner == "narrow" {
        return direction_error_up_to_sign(net, teacher);
    }
    relu_net::matching::match_depth2(net, teacher).map_or(f64::NAN, |m| m.parameter_error())
}

/// The largest over the teacher's units of the distance from its unit
/// direction to the nearest unit direction of `net`'s first layer, up to
/// sign: the improper form's pairs `relu(t) + relu(−t)` and its linear part
/// would otherwise take part in a unit-by-unit assignment.
fn direction_error_up_to_sign(net: &Network, teacher: &Network) -> f64 {
    // The canonical units' rows, without the zero rows (left as they are).
    let unit_rows = |n: &Network| -> Vec<Vec<f64>> {
        relu_net::matching::canonical_units_in_order(n).map_or_else(
            |_| Vec::new(),
            |(units, _)| {
                units
                    .into_iter()
                    .map(|u| u.0)
                    .filter(|w| w.iter().any(|&v| v != 0.0))
                    .collect()
            },
        )
    };
    let (ours, theirs) = (unit_rows(net), unit_rows(teacher));
    if ours.is_empty() || theirs.is_empty() || net.input_dim() != teacher.input_dim() {
        return f64::NAN;
    }
    theirs
        .iter()
        .map(|t| {
            ours.iter()
                .map(|u| {
                    let dot: f64 = t.iter().zip(u).map(|(a, b)| a * b).sum();
                    (2.0 - 2.0 * dot.abs()).max(0.0).sqrt()
                })
                .fold(f64::INFINITY, f64::min)
        })
        .fold(0.0, f64::max)
}

struct Row {
    variant: Variant,
    points: Vec<Point>,
    notes: Vec<String>,
}

fn geo_mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    (v.iter().map(|x| x.max(f64::MIN_POSITIVE).ln()).sum::<f64>() / v.len() as f64).exp()
}

/// The variant's teacher for a seed, redrawn (up to 10 times, with a note)
/// while its output is constant on 1000 inputs: a deep teacher can be dead,
/// and its constant labels are the teacher's failure, not the learner's.
fn teacher(v: &Variant, seed: Seed, notes: &mut Vec<String>) -> Result<Network> {
    for r in 0..10 {
        let at = seed.derive("teacher").derive_index(r);
        let t = match &v.family {
            Teachers::Planted(f) => f.plant(at)?,
            Teachers::Lipschitz { dim, lambda } => {
                use lower_bounds::HardFamily as _;
                lower_bounds::Lipschitz::new(*dim, *lambda, 0.5)?
                    .instance(at)?
                    .network
                    .ok_or_else(|| anyhow::anyhow!("the slab bump family returned no network"))?
            }
        };
        let probe = Planted::new(t.clone(), 1000, 0.0, seed.derive("probe"))?.materialize();
        let y = probe.y();
        let first = y[0];
        if (0..y.nrows()).any(|i| y[i] != first) {
            return Ok(t);
        }
        notes.push(format!(
            "{} ({}): a teacher with constant output was redrawn",
            v.learner, v.label
        ));
    }
    anyhow::bail!(
        "{} ({}): ten teachers in a row had constant output",
        v.learner,
        v.label
    )
}

fn hidden_of(t: &Network) -> usize {
    t.hidden_widths()[0]
}

impl Suite for TheorySuite {
    fn name(&self) -> &'static str {
        "theory"
    }

    fn title(&self) -> &'static str {
        "the papers' own stages alone against n, with fitted rates and the n that reaches ε"
    }

    fn description(&self) -> &'static str {
        DESCRIPTION
    }

    fn run(&self, ctx: &SuiteContext) -> Result<SuiteOutput> {
        let g = grid(ctx.size);
        let seed = ctx.seed.derive("theory-suite");
        let bar = Progress::rows((g.variants.len() * g.ns.len()) as u64, "theory");
        let mut rows = Vec::new();
        for (vi, v) in g.variants.iter().enumerate() {
            let mut row = Row {
                variant: v.clone(),
                points: Vec::new(),
                notes: Vec::new(),
            };
            for &n in g.ns {
                bar.message(format!("{} n={n}", v.label));
                let (mut errs, mut params, mut failures) = (Vec::new(), Vec::new(), 0);
                // The seeds run side by side, each fit on one thread: a fit's
                // result does not depend on its thread count, and the small
                // fits of this suite use two threads poorly.
                let one = |s: u64| -> Result<SeedOutcome> {
                    let mut notes = Vec::new();
                    let is: Seed = seed.derive_index(vi as u64).derive_index(s);
                    let t = teacher(v, is, &mut notes)?;
                    let data = Planted::new(t.clone(), n, 0.0, is.derive("data"))?;
                    let outcome = provable_only(v, hidden_of(&t))?
                        .fit(&data, is.derive("fit"), Par::Seq)
                        .map(|f| {
                            (
                                f.report.provable_stage_error,
                                stage_parameter_error(v.learner, &t, &f),
                            )
                        })
                        .map_err(|e| e.to_string());
                    Ok((notes, outcome))
                };
                let results: Vec<_> = if matches!(ctx.par, Par::Seq) {
                    (0..g.seeds).map(one).collect::<Result<_>>()?
                } else {
                    use rayon::prelude::*;
                    (0..g.seeds).into_par_iter().map(one).collect::<Result<_>>()?
                };
                for (s, (notes, outcome)) in results.into_iter().enumerate() {
                    row.notes.extend(notes);
                    match outcome {
                        Ok((Some(e), param)) if e.is_finite() && e <= FAILED_ABOVE => {
                            errs.push(e);
                            if param.is_finite() {
                                params.push(param);
                            }
                        }
                        Ok((e, _)) => {
                            failures += 1;
                            row.notes.push(format!(
                                "{} ({}) at n = {n}, seed {s}: provable-stage error {}",
                                v.learner,
                                v.label,
                                e.map_or_else(|| "missing".to_owned(), dash)
                            ));
                        }
                        Err(e) => {
                            failures += 1;
                            row.notes
                                .push(format!("{} ({}) at n = {n}, seed {s}: {e}", v.learner, v.label));
                        }
                    }
                }
                row.points.push(Point {
                    n,
                    error: geo_mean(&errs),
                    param: geo_mean(&params),
                    failures,
                });
                bar.inc(1);
            }
            rows.push(row);
        }
        bar.finish();
        output(ctx, &g, &rows)
    }
}

/// The slope of log error against log n over the points where every seed
/// succeeded.
fn slope(r: &Row) -> Option<f64> {
    log_slope(
        &r.points
            .iter()
            .map(|p| (p.n as f64, if p.failures == 0 { p.error } else { f64::NAN }))
            .collect::<Vec<_>>(),
    )
}

/// The smallest n of the grid whose mean error is at most ε with no
/// failure.
fn n_epsilon(r: &Row) -> Option<usize> {
    r.points
        .iter()
        .find(|p| p.failures == 0 && p.error <= EPSILON)
        .map(|p| p.n)
}

fn output(ctx: &SuiteContext, g: &Grid, rows: &[Row]) -> Result<SuiteOutput> {
    let mut columns = vec![
        col("learner", "learner", Gate::Equal),
        col("teacher", "teacher", Gate::Equal),
        recorded("n", Gate::Equal),
        recorded("provable_stage_error", ERROR),
        recorded("failures", Gate::Rate(1.0)),
    ];
    columns.extend(g.ns.iter().map(|n| shown_owned(format!("n = {n}"))));
    columns.extend([
        col("slope", "slope", SLOPE),
        col_owned(format!("n reaching ε = {EPSILON}"), "n_epsilon", Gate::Equal),
        col("theorem's shape", "predicted", Gate::Equal),
    ]);
    let mut table = Table::new(
        "theory",
        format!(
            "Relative validation error of the paper's stage alone (polish off), noise-free labels; geometric means over {} seeds, failures (error, no network, or error > {FAILED_ABOVE}) counted in brackets",
            g.seeds
        ),
        &columns,
    );
    let finite = |x: f64| x.is_finite().then_some(x);
    for r in rows {
        let s = slope(r);
        let ne = n_epsilon(r);
        let mut cells = vec![
            Cell::text(r.variant.learner),
            Cell::text(r.variant.label.clone()),
            Cell::shown(json!(r.points.iter().map(|p| p.n).collect::<Vec<_>>()), ""),
            Cell::shown(
                json!(r.points.iter().map(|p| finite(p.error)).collect::<Vec<_>>()),
                "",
            ),
            Cell::shown(json!(r.points.iter().map(|p| p.failures).collect::<Vec<_>>()), ""),
        ];
        cells.extend(r.points.iter().map(|p| {
            Cell::text(if p.failures > 0 {
                format!("{} [{} failed]", dash(p.error), p.failures)
            } else {
                dash(p.error)
            })
        }));
        cells.extend([
            Cell::shown(json!(s), s.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))),
            Cell::shown(
                json!(ne),
                ne.map_or_else(|| format!("> {}", g.ns[g.ns.len() - 1]), |n| n.to_string()),
            ),
            Cell::text(r.variant.predicted),
        ]);
        table.push(cells);
    }
    let params = parameter_table(g, rows);
    let series: Vec<(String, Vec<(f64, f64)>)> = rows
        .iter()
        .map(|r| {
            (
                format!("{} {}", r.variant.learner, r.variant.label),
                r.points.iter().map(|p| (p.n as f64, p.error)).collect(),
            )
        })
        .filter(|(_, p): &(String, Vec<(f64, f64)>)| p.iter().any(|(_, y)| y.is_finite()))
        .collect();
    let figures = vec![(
        "provable".to_owned(),
        "Provable-stage error against n (log–log)".to_owned(),
        log_log(
            "paper's stage alone vs n",
            "samples n",
            "relative validation error",
            &series,
        )?,
    )];
    let mut notes = vec![
        "Moment methods estimate their tensors with standard error ∝ n^{−1/2}, so the squared relative error of \
         the moment stage falls like 1/n (slope −1) until the stage's own bias floor; a flatter slope at the \
         largest n is that floor (atv: the candidates' rounding; narrow: the joint subspace's and the net \
         refinement's resolution; ckm: the net's covering angle, which the sample size does not move)."
            .to_owned(),
        "The theorems' constants are not the code's: the table shows the shape (slope; how n_ε moves with d, k, \
         |b|, κ), not the constants."
            .to_owned(),
    ];
    notes.extend(rows.iter().flat_map(|r| r.notes.iter().cloned()));
    Ok(SuiteOutput {
        suite: "theory".into(),
        title: "the papers' own stages alone against n, with fitted rates and the n that reaches ε".into(),
        description: DESCRIPTION.into(),
        params: json!({
            "size": format!("{:?}", ctx.size).to_lowercase(),
            "seed": ctx.seed.0,
            "ns": g.ns,
            "seeds": g.seeds,
            "epsilon": EPSILON,
            "failed_above": FAILED_ABOVE,
        }),
        tables: vec![table, params],
        notes,
        figures,
    })
}

/// The second table: the stage's parameter error ([`stage_parameter_error`])
/// against n, with its slope; a moment estimate's parameters converge like
/// n^{−1/2}.
fn parameter_table(g: &Grid, rows: &[Row]) -> Table {
    let mut columns = vec![
        col("learner", "learner", Gate::Equal),
        col("teacher", "teacher", Gate::Equal),
        recorded("n", Gate::Equal),
        recorded("stage_parameter_error", ERROR),
    ];
    columns.extend(g.ns.iter().map(|n| shown_owned(format!("n = {n}"))));
    columns.extend([
        col("slope", "slope", SLOPE),
        col("measured", "measured", Gate::Equal),
    ]);
    let mut table = Table::new(
        "theory-parameters",
        format!(
            "Parameter error of the paper's stage alone against the teacher (atv and ckm on depth 2: the largest error over matched units of direction, bias and output weight, and the output bias; narrow, whose stage returns the improper |·| form: the largest distance of a teacher unit's direction to the nearest found direction, up to sign; deeper ckm teachers: sin θ between filtered PCA's subspace and the first layer's span); geometric means over the successful seeds of {}; a moment estimate's parameters converge like n^{{−1/2}}",
            g.seeds
        ),
        &columns,
    );
    let finite = |x: f64| x.is_finite().then_some(x);
    for r in rows {
        let pts: Vec<(f64, f64)> = r
            .points
            .iter()
            .map(|p| (p.n as f64, if p.failures == 0 { p.param } else { f64::NAN }))
            .collect();
        let s = log_slope(&pts);
        let mut cells = vec![
            Cell::text(r.variant.learner),
            Cell::text(r.variant.label.clone()),
            Cell::shown(json!(r.points.iter().map(|p| p.n).collect::<Vec<_>>()), ""),
            Cell::shown(
                json!(r.points.iter().map(|p| finite(p.param)).collect::<Vec<_>>()),
                "",
            ),
        ];
        cells.extend(r.points.iter().map(|p| Cell::text(dash(p.param))));
        cells.extend([
            Cell::shown(json!(s), s.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))),
            Cell::text(match (&r.variant.family, r.variant.learner) {
                (Teachers::Planted(Family::Deep { .. }), _) => "sin θ of filtered PCA's subspace",
                (_, "narrow") => "largest direction error (up to sign)",
                _ => "largest matched-unit error",
            }),
        ]);
        table.push(cells);
    }
    table
}

const DESCRIPTION: &str = "\
The papers' own stages alone, with every polish and later local step turned off: atv's moment candidates
(Hermite tensors, decomposition, biases, signs and output weights), narrow's network discovery (moment matrices,
joint subspace, the net over its sphere refined at finer scales, least-squares coefficients), and ckm's net over
networks in the filtered-PCA subspace (hidden units within the net's covering angle, output layer by least
squares; its best point, with no refinement). Each row plants a teacher per seed (noise-free labels), fits n samples for n on a log
grid, and reports the geometric mean over seeds of the relative validation error of that stage, the seeds that
failed (a fit error, no network from the stage, or an error above 0.5; counted, not averaged), the fitted log–log
slope over the points without failures, and the smallest n of the grid where the mean reaches ε = 0.01. The last
column states the dependence the paper's theorem predicts. The slab-bump rows (three ReLUs of slope Λ along one
direction, Lipschitz constant Λ) show CKM's dependence on Λ: at a fixed net budget the three units' normalised
rows lie about 1/Λ apart, so the net resolves them less well as Λ grows. A second table gives the stage's
parameter error against the teacher.";
