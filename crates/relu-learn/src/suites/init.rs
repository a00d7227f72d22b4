//! The `init` suite: the exact law of the squared signal norm of random
//! ReLU networks (Burkholz & Dubatovka 2019) against Monte Carlo
//! simulation, for He and parameter-sharing initialisations, with the
//! spread of the Jacobian's singular values.

use anyhow::Result;
use faer::Col;
use relu_net::signal::{RandomNet, hidden_jacobian, isometry_stats};
use relu_net::stats::{Summary, ks_two_sample, summarize};
use relu_net::{Init, Template, gaussian_matrix};
use serde_json::json;

use super::{Size, Suite, SuiteContext};
use crate::output::{Cell, Column, Gate, SuiteOutput, Table, col, fmt_sig, recorded, shown};
use crate::progress::Progress;

/// See the module docs.
pub(super) struct InitSuite;

struct Grid {
    depths: &'static [usize],
    widths: &'static [usize],
    n_mc: usize,
    n_exact: usize,
    n_jacobian: usize,
}

fn grid(size: Size) -> Grid {
    match size {
        Size::Smoke => Grid {
            depths: &[2, 5],
            widths: &[8],
            n_mc: 60,
            n_exact: 2000,
            n_jacobian: 1,
        },
        Size::Quick => Grid {
            depths: &[2, 10, 50],
            widths: &[16, 64, 256],
            n_mc: 300,
            n_exact: 20_000,
            n_jacobian: 3,
        },
        Size::Full => Grid {
            depths: &[2, 5, 10, 20, 50],
            widths: &[16, 32, 64, 128, 256],
            n_mc: 2000,
            n_exact: 100_000,
            n_jacobian: 10,
        },
    }
}

fn schemes() -> [Init; 3] {
    [
        Init::He,
        Init::ParamSharing {
            template: Template::Gaussian,
            gain: 1.0,
        },
        Init::ParamSharing {
            template: Template::Orthogonal,
            gain: 1.0,
        },
    ]
}

const DESCRIPTION: &str = "\
Fix an input x ∈ ℝ^{n₀} (one Gaussian draw, n₀ = width) and let Q = ‖x^{L−1}‖² be the squared norm of the
last hidden layer of a random network of depth L (L − 1 hidden layers of the given width). The exact law of Q
is a Markov chain over layers (`relu_net::signal`): for He, Q_l = (2 Q_{l−1}/n_{l−1}) · χ²_{B_l} with
B_l ~ Binomial(n_l, 1/2); for parameter sharing the network is linear at initialisation and Q follows the
norm of a product of template matrices (χ² for a Gaussian template, a Beta factor or nothing for an
orthogonal one; its first template maps ℝ^{n₀} to ℝ^{n₀/2}, which halves Q on average). Each row compares draws of the exact recursion with Monte Carlo draws of whole networks,
both normalised by Q₀ = ‖x‖², through mean, standard deviation, quantiles and a two-sample
Kolmogorov–Smirnov test (p-values are asymptotic; with one test per row, a few small p-values in a large
table are expected by chance). The last two columns describe the singular values of the Jacobian
∂x^{L−1}/∂x at x, averaged over a few networks: the fraction that is non-zero and the standard deviation of
their logarithms (0 = dynamical isometry).";

/// A log-spread at rounding level is shown as a bound, so that the table
/// does not depend on the last bits of an SVD.
fn spread(x: f64) -> String {
    if x < 1e-9 {
        "< 1e-9".to_owned()
    } else {
        fmt_sig(x, 3)
    }
}

fn pair(a: f64, b: f64) -> String {
    format!("{} / {}", fmt_sig(a, 3), fmt_sig(b, 3))
}

struct Row {
    scheme: &'static str,
    depth: usize,
    width: usize,
    q0: f64,
    exact: Summary,
    mc: Summary,
    ks_d: f64,
    ks_p: f64,
    jac_nonzero: f64,
    jac_log_spread: f64,
    jac_rms: f64,
}

impl Suite for InitSuite {
    fn name(&self) -> &'static str {
        "init"
    }

    fn title(&self) -> &'static str {
        "exact output distribution of random ReLU networks vs Monte Carlo"
    }

    fn description(&self) -> &'static str {
        DESCRIPTION
    }

    fn run(&self, ctx: &SuiteContext) -> Result<SuiteOutput> {
        let g = grid(ctx.size);
        let seed = ctx.seed.derive("init-suite");
        let total = schemes().len() * g.depths.len() * g.widths.len();
        let bar = Progress::rows(total as u64, "init");
        let mut rows = Vec::with_capacity(total);
        for init in schemes() {
            for &width in g.widths {
                let xm = gaussian_matrix(1, width, seed.derive("input").derive_index(width as u64));
                let x = Col::from_fn(width, |j| xm[(0, j)]);
                let q0 = x.squared_norm_l2();
                for &depth in g.depths {
                    bar.message(format!("{} L={depth} n={width}", init.name()));
                    let row_seed = seed
                        .derive(init.name())
                        .derive_index((depth * 10_000 + width) as u64);
                    let net = RandomNet {
                        init,
                        input_dim: width,
                        hidden: vec![width; depth - 1],
                    };
                    let exact = net.sample_exact(q0, g.n_exact, row_seed.derive("exact"))?;
                    let mc = net.simulate(x.as_ref(), g.n_mc, row_seed.derive("mc"), ctx.par)?;
                    let norm = |v: &[f64]| v.iter().map(|q| q / q0).collect::<Vec<f64>>();
                    let (qe, qm) = (norm(&exact.last_hidden_sq_norm), norm(&mc.last_hidden_sq_norm));
                    let ks = ks_two_sample(&qe, &qm).expect("non-empty samples");
                    let (mut nz, mut spread, mut rms) = (0.0, 0.0, 0.0);
                    for j in 0..g.n_jacobian {
                        let net = init.network(
                            width,
                            &vec![width; depth - 1],
                            row_seed.derive("jacobian").derive_index(j as u64),
                        )?;
                        let s = isometry_stats(hidden_jacobian(&net, x.as_ref())?.as_ref())?;
                        nz += s.nonzero_fraction;
                        spread += s.log_spread;
                        rms += s.rms;
                    }
                    let nj = g.n_jacobian as f64;
                    rows.push(Row {
                        scheme: init.name(),
                        depth,
                        width,
                        q0,
                        exact: summarize(&qe).expect("non-empty"),
                        mc: summarize(&qm).expect("non-empty"),
                        ks_d: ks.statistic,
                        ks_p: ks.p_value,
                        jac_nonzero: nz / nj,
                        jac_log_spread: spread / nj,
                        jac_rms: rms / nj,
                    });
                    bar.inc(1);
                }
            }
        }
        bar.finish();
        Ok(output(ctx, &g, &rows))
    }
}

/// Every figure is a deterministic function of the seed; the statistics may
/// move by 10 % (20 % for the tails of the Monte Carlo law and the KS
/// distance). The KS p-value is shown, not compared: it moves by orders of
/// magnitude with small changes of D.
const COLUMNS: [Column; 26] = [
    col("scheme", "scheme", Gate::Equal),
    col("depth", "depth", Gate::Equal),
    col("width", "width", Gate::Equal),
    recorded("q0", Gate::Equal),
    recorded("n_exact", Gate::Equal),
    recorded("n_mc", Gate::Equal),
    recorded("mean_exact", Gate::Error(1.1)),
    recorded("mean_mc", Gate::Error(1.1)),
    shown("mean Q/Q₀ exact / MC"),
    recorded("sd_exact", Gate::Error(1.1)),
    recorded("sd_mc", Gate::Error(1.2)),
    shown("sd exact / MC"),
    recorded("q05_exact", Gate::Error(1.1)),
    recorded("q05_mc", Gate::Error(1.2)),
    shown("q05 exact / MC"),
    recorded("q50_exact", Gate::Error(1.1)),
    recorded("q50_mc", Gate::Error(1.2)),
    shown("median exact / MC"),
    recorded("q95_exact", Gate::Error(1.1)),
    recorded("q95_mc", Gate::Error(1.2)),
    shown("q95 exact / MC"),
    col("KS D", "ks_d", Gate::Error(1.2)),
    col("KS p", "ks_p", Gate::Ignore),
    col("J non-zero", "jacobian_nonzero_fraction", Gate::Rate(0.05)),
    col("J log-spread", "jacobian_log_spread", Gate::Error(1.2)),
    recorded("jacobian_rms", Gate::Error(1.2)),
];

fn output(ctx: &SuiteContext, g: &Grid, rows: &[Row]) -> SuiteOutput {
    let mut table = Table::new(
        "signal",
        format!(
            "Squared signal norm Q/Q₀ of the last hidden layer: exact ({} draws) / Monte Carlo ({} networks)",
            g.n_exact, g.n_mc
        ),
        &COLUMNS,
    );
    for r in rows {
        let v = |x: f64| Cell::shown(json!(x), "");
        table.push(vec![
            Cell::text(r.scheme),
            Cell::int(r.depth),
            Cell::int(r.width),
            v(r.q0),
            Cell::int(r.exact.n),
            Cell::int(r.mc.n),
            v(r.exact.mean),
            v(r.mc.mean),
            Cell::text(pair(r.exact.mean, r.mc.mean)),
            v(r.exact.std),
            v(r.mc.std),
            Cell::text(pair(r.exact.std, r.mc.std)),
            v(r.exact.q05),
            v(r.mc.q05),
            Cell::text(pair(r.exact.q05, r.mc.q05)),
            v(r.exact.q50),
            v(r.mc.q50),
            Cell::text(pair(r.exact.q50, r.mc.q50)),
            v(r.exact.q95),
            v(r.mc.q95),
            Cell::text(pair(r.exact.q95, r.mc.q95)),
            Cell::shown(json!(r.ks_d), fmt_sig(r.ks_d, 2)),
            Cell::shown(json!(r.ks_p), fmt_sig(r.ks_p, 2)),
            Cell::shown(json!(r.jac_nonzero), fmt_sig(r.jac_nonzero, 3)),
            Cell::shown(json!(r.jac_log_spread), spread(r.jac_log_spread)),
            v(r.jac_rms),
        ]);
    }
    let mut notes = Vec::new();
    if let Some(worst) = rows.iter().min_by(|a, b| a.ks_p.total_cmp(&b.ks_p)) {
        let level = 0.01;
        let rejected = rows.iter().filter(|r| r.ks_p < level).count();
        notes.push(format!(
            "KS p < {level} in {rejected} of {} rows (about {} expected by chance); smallest p = {} ({} L = {}, width {}).",
            rows.len(),
            fmt_sig(level * rows.len() as f64, 2),
            fmt_sig(worst.ks_p, 2),
            worst.scheme,
            worst.depth,
            worst.width
        ));
    }
    let deepest = rows.iter().map(|r| r.depth).max().unwrap_or(0);
    let narrowest = rows.iter().map(|r| r.width).min().unwrap_or(0);
    for scheme in ["he", "ps-orthogonal"] {
        if let Some(r) = rows
            .iter()
            .find(|r| r.scheme == scheme && r.depth == deepest && r.width == narrowest)
        {
            notes.push(format!(
                "{scheme}, depth {deepest}, width {narrowest}: median Q/Q₀ = {} against mean {}; Jacobian log-spread {}, non-zero fraction {}.",
                fmt_sig(r.exact.q50, 3),
                fmt_sig(r.exact.mean, 3),
                spread(r.jac_log_spread),
                fmt_sig(r.jac_nonzero, 3)
            ));
        }
    }
    SuiteOutput {
        suite: "init".into(),
        title: "exact output distribution of random ReLU networks vs Monte Carlo".into(),
        description: DESCRIPTION.into(),
        params: json!({
            "size": format!("{:?}", ctx.size).to_lowercase(),
            "seed": ctx.seed.0,
            "depths": g.depths,
            "widths": g.widths,
            "n_exact": g.n_exact,
            "n_mc": g.n_mc,
            "n_jacobian": g.n_jacobian,
            "schemes": schemes(),
        }),
        tables: vec![table],
        notes,
        figures: Vec::new(),
    }
}
