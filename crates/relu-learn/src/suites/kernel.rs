//! The `kernel` suite: the Gram spectrum's decay for each kernel and the
//! kernel learner's test error against its compression size (the number of
//! Nyström landmarks), after Goel & Klivans (NeurIPS 2017).

use anyhow::Result;
use learners::kernel::KernelParams;
use learners::{KernelFunction, Learner};
use relu_net::metrics::relative_l2_error;
use relu_net::{Family, Network, Planted, Seed};
use serde_json::json;

use super::{Size, Suite, SuiteContext};
use crate::output::{
    Cell, Column, ERROR, Gate, SLOPE, SuiteOutput, Table, col, dash, recorded, shown, shown_owned,
};
use crate::plots::{Series, log_log, log_slope};
use crate::progress::Progress;

/// See the module docs.
pub(super) struct KernelSuite;

struct Grid {
    dim: usize,
    samples: usize,
    gram_samples: usize,
    landmarks: &'static [usize],
    kernels: &'static [KernelFunction],
    teachers: &'static [&'static str],
    test_samples: usize,
}

/// The multinomial kernels, whose floor has a closed form (the quick grid).
const MULTINOMIAL_KERNELS: &[KernelFunction] = &[
    KernelFunction::Multinomial { degree: 2 },
    KernelFunction::Multinomial { degree: 4 },
    KernelFunction::Multinomial { degree: 6 },
];

/// Every kernel (the full grid): the arc-cosine kernel's fits at 1 000
/// landmarks took 35–50 s each, most of the quick grid's time.
const ALL_KERNELS: &[KernelFunction] = &[
    KernelFunction::Multinomial { degree: 2 },
    KernelFunction::Multinomial { degree: 4 },
    KernelFunction::Multinomial { degree: 6 },
    KernelFunction::ArcCosine,
];

fn grid(size: Size) -> Grid {
    match size {
        Size::Smoke => Grid {
            dim: 4,
            samples: 4_000,
            gram_samples: 300,
            landmarks: &[10, 40],
            kernels: &[
                KernelFunction::Multinomial { degree: 4 },
                KernelFunction::ArcCosine,
            ],
            teachers: &["single"],
            test_samples: 10_000,
        },
        Size::Quick => Grid {
            dim: 10,
            samples: 50_000,
            gram_samples: 1_500,
            landmarks: &[10, 30, 100, 300, 1_000],
            kernels: MULTINOMIAL_KERNELS,
            teachers: &["single", "depth-2"],
            test_samples: 50_000,
        },
        Size::Full => Grid {
            dim: 10,
            samples: 200_000,
            gram_samples: 3_000,
            landmarks: &[10, 30, 100, 300, 1_000, 3_000],
            kernels: ALL_KERNELS,
            teachers: &["single", "depth-2"],
            test_samples: 200_000,
        },
    }
}

fn kernel_name(k: &KernelFunction) -> String {
    match k {
        KernelFunction::Multinomial { degree } => format!("multinomial q = {degree}"),
        KernelFunction::ArcCosine => "arc-cosine".to_owned(),
    }
}

fn teacher(name: &str, d: usize, seed: Seed) -> Result<Network> {
    Ok(Family::Biased {
        dim: d,
        hidden: if name == "single" { 1 } else { 3 },
        bias_range: 1.0,
    }
    .plant(seed)?)
}

/// The spectrum of one kernel (it depends on the inputs only, so it is
/// read from the first fit of each kernel).
struct Spectrum {
    kernel: String,
    mu: Vec<f64>,
    d_eff: f64,
    poly: f64,
    expo: f64,
    /// `⌈2 d_eff log m⌉`, the compression size of Goel–Klivans.
    formula_landmarks: usize,
    /// What the learner uses by default: the formula capped at
    /// `max_landmarks` and at the m Gram rows.
    default_landmarks: usize,
}

struct Curve {
    teacher: &'static str,
    kernel: String,
    /// (landmarks actually used, relative test error, seconds).
    points: Vec<(usize, f64, f64)>,
    /// The best polynomial of the kernel's degree, relative to Var f*
    /// (closed form; multinomial kernels only).
    floor: Option<f64>,
}

impl Suite for KernelSuite {
    fn name(&self) -> &'static str {
        "kernel"
    }

    fn title(&self) -> &'static str {
        TITLE
    }

    fn description(&self) -> &'static str {
        DESCRIPTION
    }

    fn run(&self, ctx: &SuiteContext) -> Result<SuiteOutput> {
        let g = grid(ctx.size);
        let seed = ctx.seed.derive("kernel-suite");
        let total = g.teachers.len() * g.kernels.len() * g.landmarks.len();
        let bar = Progress::rows(total as u64, "kernel");
        let mut spectra: Vec<Spectrum> = Vec::new();
        let mut curves = Vec::new();
        let mut notes = Vec::new();
        for &tname in g.teachers {
            let ts = seed.derive(tname);
            let t = teacher(tname, g.dim, ts)?;
            // One data set per teacher, shared by every kernel and size:
            // the inputs (hence the spectra) are the same for both teachers.
            let data = Planted::new(t.clone(), g.samples, 0.0, seed.derive("data"))?.materialize();
            for kernel in g.kernels {
                let floor = match kernel {
                    KernelFunction::Multinomial { degree } => Some(
                        gaussian_moments::PopulationMoments::of_depth2(&t)?
                            .polynomial_error(*degree)
                            .relative(),
                    ),
                    KernelFunction::ArcCosine => None,
                };
                let mut curve = Curve {
                    teacher: tname,
                    kernel: kernel_name(kernel),
                    points: Vec::new(),
                    floor,
                };
                for &s in g.landmarks {
                    bar.message(format!("{tname} {} s={s}", kernel_name(kernel)));
                    let learner = KernelParams {
                        kernel: Some(*kernel),
                        gram_samples: g.gram_samples,
                        landmarks: Some(s),
                        ..KernelParams::default()
                    }
                    .validate()?;
                    let start = std::time::Instant::now();
                    let fitted = learner.fit(&data, seed.derive("fit"), ctx.par);
                    let secs = start.elapsed().as_secs_f64();
                    match fitted {
                        Ok(f) => {
                            let err =
                                relative_l2_error(&f.model, &t, g.test_samples, ts.derive("test"), ctx.par)?
                                    .relative_error;
                            let metric = |k: &str| f.report.metrics.get(k).copied().unwrap_or(f64::NAN);
                            let used = metric("landmarks") as usize;
                            curve.points.push((used, err, secs));
                            if !spectra.iter().any(|sp| sp.kernel == curve.kernel) {
                                let d_eff = metric("effective_dimension");
                                let formula_landmarks =
                                    (2.0 * d_eff * (g.gram_samples as f64).ln()).ceil() as usize;
                                spectra.push(Spectrum {
                                    kernel: curve.kernel.clone(),
                                    mu: f.report.series.get("gram_spectrum").cloned().unwrap_or_default(),
                                    d_eff,
                                    poly: metric("decay_polynomial_exponent"),
                                    expo: metric("decay_exponential_rate"),
                                    formula_landmarks,
                                    default_landmarks: KernelParams::default()
                                        .landmarks_for(d_eff, g.gram_samples),
                                });
                            }
                        }
                        Err(e) => {
                            curve.points.push((s, f64::NAN, secs));
                            notes.push(format!("{tname}, {}, s = {s}: {e}", curve.kernel));
                        }
                    }
                    bar.inc(1);
                }
                curves.push(curve);
            }
        }
        bar.finish();
        output(ctx, &g, &spectra, &curves, notes)
    }
}

fn mu_at(mu: &[f64], i: usize) -> f64 {
    mu.get(i - 1).copied().unwrap_or(f64::NAN)
}

/// The columns of the spectrum table: the spectrum and its fitted decay
/// are deterministic; they may move by 10 % (the rate and d_eff by 20 %).
const SPECTRUM_COLUMNS: [Column; 11] = [
    col("kernel", "kernel", Gate::Equal),
    recorded("spectrum_top", Gate::Error(1.1)),
    shown("μ₁"),
    shown("μ₁₀"),
    shown("μ₅₀"),
    shown("μ₁₀₀"),
    col("decay μ_i ∝ i^−a: a", "decay_polynomial_exponent", SLOPE),
    col("decay μ_i ∝ e^−bi: b", "decay_exponential_rate", Gate::Error(1.2)),
    col("d_eff(λ)", "effective_dimension", Gate::Error(1.2)),
    col("⌈2 d_eff log m⌉", "formula_landmarks", Gate::Error(1.2)),
    col(
        "default landmarks (capped at max_landmarks and m)",
        "default_landmarks",
        Gate::Error(1.2),
    ),
];

/// A figure: (name, caption, SVG document).
type Figure = (String, String, String);

/// The suite's output: the two tables, the figures, the notes and the
/// parameters.
fn output(
    ctx: &SuiteContext,
    g: &Grid,
    spectra: &[Spectrum],
    curves: &[Curve],
    mut notes: Vec<String>,
) -> Result<SuiteOutput> {
    let ridge = KernelParams::default().ridge;
    let spectrum_table = spectrum_table(g, spectra, ridge);
    let slopes: Vec<Option<f64>> = curves
        .iter()
        .map(|c| {
            log_slope(
                &c.points
                    .iter()
                    .map(|&(s, e, _)| (s as f64, e))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let compression = compression_table(g, curves, &slopes, ridge);
    let mut figures = vec![spectrum_figure(spectra)?];
    figures.extend(compression_figures(g, curves, &slopes)?);
    notes.insert(
        0,
        "Goel–Klivans: when μ_i decays polynomially (or exponentially), the ridge solution is compressed into \
         s ≈ d_eff(λ) log m landmarks at no loss, and the error of the compressed hypothesis is governed by \
         s rather than by the RKHS norm; beyond d_eff more landmarks stop helping and the error is set by the \
         kernel's approximation of the ReLU (degree q) and the ridge."
            .to_owned(),
    );
    Ok(SuiteOutput {
        suite: "kernel".into(),
        title: TITLE.into(),
        description: DESCRIPTION.into(),
        params: json!({
            "size": format!("{:?}", ctx.size).to_lowercase(),
            "seed": ctx.seed.0,
            "dim": g.dim,
            "samples": g.samples,
            "gram_samples": g.gram_samples,
            "landmarks": g.landmarks,
            "kernels": g.kernels.iter().map(kernel_name).collect::<Vec<_>>(),
            "teachers": g.teachers,
            "test_samples": g.test_samples,
            "ridge": ridge,
        }),
        tables: vec![spectrum_table, compression],
        notes,
        figures,
    })
}

/// The spectrum table: one row per kernel.
fn spectrum_table(g: &Grid, spectra: &[Spectrum], ridge: f64) -> Table {
    let mut table = Table::new(
        "spectrum",
        format!(
            "Eigenvalues μ_i of K/m (m = {} inputs x ~ N(0, I_{}) scaled to typical norm 1), their fitted decay over \
             i ≤ 50, and the effective dimension at the default ridge λ = {ridge:e}",
            g.gram_samples, g.dim
        ),
        &SPECTRUM_COLUMNS,
    );
    for s in spectra {
        table.push(vec![
            Cell::text(s.kernel.clone()),
            Cell::shown(json!(s.mu.iter().take(10).collect::<Vec<_>>()), ""),
            Cell::text(dash(mu_at(&s.mu, 1))),
            Cell::text(dash(mu_at(&s.mu, 10))),
            Cell::text(dash(mu_at(&s.mu, 50))),
            Cell::text(dash(mu_at(&s.mu, 100))),
            Cell::shown(json!(s.poly), format!("{:.2}", s.poly)),
            Cell::shown(json!(s.expo), format!("{:.3}", s.expo)),
            Cell::shown(json!(s.d_eff), format!("{:.1}", s.d_eff)),
            Cell::int(s.formula_landmarks),
            Cell::int(s.default_landmarks),
        ]);
    }
    table
}

/// The compression table: one row per teacher and kernel, the error per
/// number of landmarks, its slope and the time.
fn compression_table(g: &Grid, curves: &[Curve], slopes: &[Option<f64>], ridge: f64) -> Table {
    let mut columns = vec![
        col("teacher", "teacher", Gate::Equal),
        col("kernel", "kernel", Gate::Equal),
        recorded("landmarks", Gate::Equal),
        recorded("relative_error", ERROR),
    ];
    columns.extend(g.landmarks.iter().map(|s| shown_owned(format!("s = {s}"))));
    columns.extend([
        col(
            "best degree-q polynomial (closed form)",
            "polynomial_floor",
            Gate::Error(1.01),
        ),
        col("error at largest s / that floor", "floor_ratio", Gate::Error(1.2)),
        col("slope", "slope_error", SLOPE),
        recorded("seconds", Gate::Ignore),
        shown("seconds (largest s)"),
    ]);
    let mut table = Table::new(
        "compression",
        format!(
            "Relative test error E(h − f*)²/Var f* of the kernel learner against the number of landmarks s (the \
             compression size: s stored inputs and s + 1 coefficients); d = {}, n = {} noise-free samples, \
             {} Gram rows, ridge λ = {ridge:e}; slope of log error against log s",
            g.dim, g.samples, g.gram_samples
        ),
        &columns,
    );
    for (c, sl) in curves.iter().zip(slopes) {
        let mut cells = vec![
            Cell::text(c.teacher),
            Cell::text(c.kernel.clone()),
            Cell::shown(json!(c.points.iter().map(|p| p.0).collect::<Vec<_>>()), ""),
            Cell::shown(
                json!(
                    c.points
                        .iter()
                        .map(|p| p.1.is_finite().then_some(p.1))
                        .collect::<Vec<_>>()
                ),
                "",
            ),
        ];
        cells.extend(c.points.iter().map(|p| Cell::err(p.1)));
        let ratio = c
            .floor
            .zip(c.points.last())
            .map(|(f, p)| p.1 / f)
            .filter(|r| r.is_finite());
        cells.extend([
            Cell::sig(c.floor.unwrap_or(f64::NAN), 3),
            Cell::shown(
                json!(ratio),
                ratio.map_or_else(|| "–".to_owned(), |r| format!("{r:.2}")),
            ),
            Cell::shown(
                json!(sl),
                sl.map_or_else(|| "–".to_owned(), |s| format!("{s:.2}")),
            ),
            Cell::shown(json!(c.points.iter().map(|p| p.2).collect::<Vec<_>>()), ""),
            Cell::text(
                c.points
                    .last()
                    .map_or_else(|| "–".to_owned(), |p| format!("{:.1}", p.2)),
            ),
        ]);
        table.push(cells);
    }
    table
}

/// The figure of every kernel's Gram spectrum.
fn spectrum_figure(spectra: &[Spectrum]) -> Result<Figure> {
    let spectrum_series: Vec<Series> = spectra
        .iter()
        .map(|s| {
            (
                format!("{} (a = {:.2})", s.kernel, s.poly),
                // Eigenvalues below 1e-12 μ₁ are rounding (a multinomial
                // kernel of degree q has finite rank C(d + q, q)).
                s.mu.iter()
                    .enumerate()
                    .filter(|(_, v)| **v > 1e-12 * s.mu[0])
                    .map(|(i, &v)| ((i + 1) as f64, v))
                    .collect(),
            )
        })
        .collect();
    Ok((
        "spectrum".to_owned(),
        "Eigenvalues of the normalised Gram matrix K/m against their index (log–log)".to_owned(),
        log_log("Gram spectrum", "index i", "μ_i", &spectrum_series)?,
    ))
}

/// One error-against-landmarks figure per teacher that has a positive
/// finite error to plot.
fn compression_figures(g: &Grid, curves: &[Curve], slopes: &[Option<f64>]) -> Result<Vec<Figure>> {
    let mut figures = Vec::new();
    for &t in g.teachers {
        let series: Vec<Series> = curves
            .iter()
            .zip(slopes)
            .filter(|(c, _)| c.teacher == t)
            .map(|(c, sl)| {
                (
                    format!(
                        "{} (slope {})",
                        c.kernel,
                        sl.map_or_else(|| "–".to_owned(), |s| format!("{s:.2}"))
                    ),
                    c.points.iter().map(|&(s, e, _)| (s as f64, e)).collect(),
                )
            })
            .collect();
        if series
            .iter()
            .any(|(_, p)| p.iter().any(|(_, e)| e.is_finite() && *e > 0.0))
        {
            figures.push((
                format!("compression-{t}"),
                format!("Test error against the number of landmarks, {t} teacher (log–log)"),
                log_log(
                    &format!("error vs compression size ({t})"),
                    "landmarks s",
                    "E(h − f*)² / Var f*",
                    &series,
                )?,
            ));
        }
    }
    Ok(figures)
}

const TITLE: &str = "Gram spectrum decay and test error against compression size (kernel learner)";

const DESCRIPTION: &str = "\
The kernel learner (Goel & Klivans, *Eigenvalue decay implies polynomial-time learnability for neural
networks*) on Gaussian inputs scaled to typical norm 1 (σ = 1/√(mean ‖x‖²); the paper's unit ball pushes
the higher degrees under the ridge): for each kernel (multinomial of degree q, arc-cosine), the eigenvalues
of the normalised Gram matrix with their fitted polynomial and exponential decay and the effective
dimension; then, for a single biased ReLU and a biased depth-2 network with three units, the relative test
error of the Nyström-compressed kernel ridge regression against the number of landmarks chosen by ridge
leverage, next to the floor of any degree-q polynomial: the teacher's Hermite expansion truncated at q, in
closed form (`PopulationMoments::polynomial_error`). The figures plot the spectra and the error curves.";
