//! The search in the filtered-PCA subspace V (Chen–Klivans–Meka's step
//! after filtered PCA): a net over networks on `z = Vᵀx` ([`NetPlan`]:
//! hidden units on nets of the unit sphere, output layer by least squares;
//! its best points refined by Levenberg–Marquardt when asked), and exact
//! empirical risk minimisation for tiny architectures.

use faer::{Col, Mat, Par};
use rand::RngExt;
use relu_net::{Network, SampleSource, Seed};

use crate::sphere_net::FullSphereNet;

use super::algorithm::Ckm;
use super::params::Search;
use crate::common::{Rows, load_rows, relative};
use crate::error::LearnError;
use crate::polish::polish_lm;
use crate::{Observer, Report};

/// A candidate of the search: its validation error on z, the network on z
/// and the search that made it.
pub(super) type Candidate = (f64, Network, &'static str);

/// The held-out projected rows the candidates on z are scored on.
pub(super) struct Scoring {
    /// Inputs `z`.
    pub x: Mat<f64>,
    /// Labels.
    pub y: Col<f64>,
    /// The labels' variance.
    pub var: f64,
}

/// The net over networks of the architecture on z (CKM's search, made
/// concrete). Every hidden unit `relu(⟨w, a⟩ + b)` of a ReLU network equals
/// `‖(w, b)‖ · relu(⟨ŵ, a⟩ + b̂)` with `(ŵ, b̂)` on the unit sphere of
/// `ℝ^{fan_in + 1}`, and the scale moves into the next layer (positive
/// homogeneity), so every network on z equals one whose hidden units' rows
/// `(w, b)` are unit vectors; and for given hidden layers the best output
/// layer is a least-squares solution. The net is therefore the product over
/// hidden units of a net of the unit sphere of `ℝ^{fan_in + 1}`
/// ([`crate::sphere_net::full_sphere_net`]), each unit within `angle` of the
/// nearest net point, with the output layer fitted by least squares: no
/// weight bound is needed for the hidden layers, and the output layer is
/// exact rather than netted.
pub(super) struct NetPlan {
    /// The dimension m of V.
    m: usize,
    /// Per hidden layer, its units' net of rows `(w, b)`, made on demand.
    nets: Vec<FullSphereNet>,
    /// The hidden widths.
    widths: Vec<usize>,
    /// The covering angle of every unit's net (radians).
    pub angle: f64,
    /// log₁₀ of the net's size `∏_l |N_l|^{k_l}`.
    pub log10_size: f64,
    /// Whether every point of the net is scored; otherwise `draws` points
    /// are drawn uniformly (with replacement) from it.
    pub exhaustive: bool,
    /// Net points scored.
    pub draws: usize,
    /// The probability that the scored points include the cell of a given
    /// network with distinct units (one of its `∏_l k_l!` orderings): 1 for
    /// an exhaustive net, `1 − (1 − ∏ k_l! / |net|)^draws` for a sampled one.
    pub coverage: f64,
}

/// The smallest covering angle the net is refined to when it is exhaustive.
const FINEST_ANGLE: f64 = 0.02;

/// Buffers of one scoring thread, reused from net point to net point: the
/// hidden layers' outputs (column-major) and one unit's row.
pub(super) struct Scratch {
    cur: Vec<f64>,
    next: Vec<f64>,
    row: Vec<f64>,
    /// One scratch column per layer (its fan-in + 1 entries).
    v: Vec<Col<f64>>,
}

impl NetPlan {
    /// The finest net (covering angle between [`FINEST_ANGLE`] and
    /// `max_angle`, in steps of 10 %) with at most `budget` points, scored
    /// exhaustively; if even the net at `max_angle` is larger, `budget`
    /// uniform draws from that one.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] when a hidden unit's net has more points
    /// than a `usize` counts (fan-in above about 18 at 0.5 rad).
    pub(super) fn new(m: usize, widths: &[usize], budget: usize, max_angle: f64) -> Result<Self, LearnError> {
        let fan_ins: Vec<usize> = (0..widths.len())
            .map(|l| if l == 0 { m } else { widths[l - 1] } + 1)
            .collect();
        let log10_size = |a: f64| -> f64 {
            fan_ins
                .iter()
                .zip(widths)
                .map(|(&f, &k)| k as f64 * crate::sphere_net::full_sphere_net_size(f, a).log10())
                .sum()
        };
        let mut angle = FINEST_ANGLE.min(max_angle);
        while log10_size(angle) > (budget as f64).log10() && angle < max_angle {
            angle = (angle * 1.1).min(max_angle);
        }
        let exhaustive = log10_size(angle) <= (budget as f64).log10();
        let nets = fan_ins
            .iter()
            .map(|&f| {
                FullSphereNet::new(f, angle).ok_or_else(|| {
                    LearnError::invalid(
                        super::algorithm::NAME,
                        "widths",
                        f - 1,
                        "hidden units of fan-in at most 18: the net of a wider unit's rows has more points than \
                         can be counted (use search \"train\")",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let covering = nets.iter().map(FullSphereNet::angle).fold(0.0, f64::max);
        let log10_size = log10_size(angle);
        let draws = if exhaustive {
            10f64.powf(log10_size).round() as usize
        } else {
            budget
        };
        // ∏ k_l! orderings of a network with distinct units lie in distinct
        // cells; the chance that none of `draws` uniform draws hits one.
        let log10_sym: f64 = widths
            .iter()
            .map(|&k| (1..=k).map(|i| (i as f64).log10()).sum::<f64>())
            .sum();
        let q = 10f64.powf((log10_sym - log10_size).min(0.0));
        let coverage = if exhaustive {
            1.0
        } else {
            -(draws as f64 * (-q).ln_1p()).exp_m1()
        };
        Ok(Self {
            m,
            nets,
            widths: widths.to_vec(),
            angle: covering,
            log10_size,
            exhaustive,
            draws,
            coverage,
        })
    }

    /// Hidden units per net point (the stride of [`Self::points`]).
    fn units(&self) -> usize {
        self.widths.iter().sum()
    }

    /// The net points to score, as unit indices (layer by layer, unit by
    /// unit; `units()` per point, flattened): every point in mixed-radix
    /// order when exhaustive, else `draws` uniform draws from one seeded
    /// stream.
    fn points(&self, seed: Seed) -> Vec<usize> {
        let radices: Vec<usize> = self
            .widths
            .iter()
            .zip(&self.nets)
            .flat_map(|(&k, net)| std::iter::repeat_n(net.len(), k))
            .collect();
        let mut out = Vec::with_capacity(self.draws * radices.len());
        if self.exhaustive {
            for mut c in 0..self.draws {
                for &r in &radices {
                    out.push(c % r);
                    c /= r;
                }
            }
        } else {
            let mut rng = seed.derive("ckm-net").rng();
            for _ in 0..self.draws {
                out.extend(radices.iter().map(|&r| rng.random_range(0..r)));
            }
        }
        out
    }

    /// The fan-in of hidden layer l (m, then the previous width).
    fn fan_in(&self, l: usize) -> usize {
        if l == 0 { self.m } else { self.widths[l - 1] }
    }

    /// Scoring buffers for rows of length n.
    pub(super) fn scratch(&self, n: usize) -> Scratch {
        let widest = self.widths.iter().copied().max().unwrap_or(0);
        let layers = 0..self.widths.len();
        Scratch {
            cur: vec![0.0; n * widest],
            next: vec![0.0; n * widest],
            row: vec![0.0; layers.clone().map(|l| self.fan_in(l) + 1).max().unwrap_or(0)],
            v: layers.map(|l| Col::zeros(self.fan_in(l) + 1)).collect(),
        }
    }

    /// The hidden layers of the net point `idx` on the rows `x` (n × m,
    /// column-major, so that every unit is a vectorised pass over
    /// contiguous columns): the last hidden layer's outputs (n × k_L,
    /// column-major), in `s`.
    fn hidden<'s>(&self, idx: &[usize], x: &[f64], n: usize, s: &'s mut Scratch) -> &'s [f64] {
        let Scratch { cur, next, row, v } = s;
        let (mut width, mut off) = (self.m, 0);
        for (l, &k) in self.widths.iter().enumerate() {
            let input: &[f64] = if l == 0 { x } else { &cur[..n * width] };
            for (out, &r) in next[..n * k].chunks_exact_mut(n).zip(&idx[off..off + k]) {
                self.nets[l].point_into(r, &mut v[l], row);
                out.fill(row[width]);
                for (col, &w) in input.chunks_exact(n).zip(row.iter()) {
                    for (o, &x) in out.iter_mut().zip(col) {
                        *o += w * x;
                    }
                }
                out.iter_mut().for_each(|o| *o = o.max(0.0));
            }
            std::mem::swap(cur, next);
            (width, off) = (k, off + k);
        }
        &cur[..n * width]
    }

    /// The least-squares output layer (weights, then the bias) of the net
    /// point `idx` on `(x, y)` (x column-major) and its sum of squared
    /// residuals (`yᵀy − βᵀFᵀy`, exact at the least-squares solution up to
    /// the tiny ridge); `None` when the system is not solvable.
    fn output_layer(&self, idx: &[usize], x: &[f64], y: &[f64], s: &mut Scratch) -> Option<(f64, Col<f64>)> {
        let n = y.len();
        let k = *self.widths.last()?;
        let h = self.hidden(idx, x, n, s);
        let p = k + 1;
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(u, v)| u * v).sum::<f64>();
        // Feature k is the constant 1: its products are plain sums.
        let col = |a: usize| &h[a * n..(a + 1) * n];
        let entry = |a: usize, b: usize| match (a < k, b < k) {
            (true, true) => dot(col(a), col(b)),
            (true, false) => col(a).iter().sum::<f64>(),
            (false, true) => col(b).iter().sum::<f64>(),
            (false, false) => n as f64,
        };
        let mut gram = Mat::<f64>::zeros(p, p);
        for a in 0..p {
            for b in 0..=a {
                let g = entry(a, b);
                gram[(a, b)] = g;
                gram[(b, a)] = g;
            }
        }
        let fty = Col::from_fn(p, |a| {
            if a < k {
                dot(col(a), y)
            } else {
                y.iter().sum::<f64>()
            }
        });
        let beta = crate::linalg::solve_psd(gram.as_ref(), &fty, 1e-10)?;
        let sse = (dot(y, y) - (0..p).map(|j| beta[j] * fty[j]).sum::<f64>()).max(0.0);
        Some((sse, beta))
    }

    /// The network of the net point `idx` with output layer `beta`.
    fn network(&self, idx: &[usize], beta: &Col<f64>) -> Result<Network, LearnError> {
        let mut parts = Vec::with_capacity(self.widths.len() + 1);
        let (mut width, mut off) = (self.m, 0);
        for (l, &k) in self.widths.iter().enumerate() {
            let mut v = Col::zeros(width + 1);
            let rows: Vec<Vec<f64>> = idx[off..off + k]
                .iter()
                .map(|&i| {
                    let mut row = vec![0.0; width + 1];
                    self.nets[l].point_into(i, &mut v, &mut row);
                    row
                })
                .collect();
            parts.push((
                Mat::from_fn(k, width, |u, j| rows[u][j]),
                Col::from_fn(k, |u| rows[u][width]),
            ));
            (width, off) = (k, off + k);
        }
        parts.push((
            Mat::from_fn(1, width, |_, j| beta[j]),
            Col::from_fn(1, |_| beta[width]),
        ));
        Ok(Network::from_parts(parts)?)
    }
}

/// The mean squared error of `net` on `(x, y)`.
pub(super) fn mse(net: &Network, x: &Mat<f64>, y: &Col<f64>) -> f64 {
    let mut out = Col::zeros(x.nrows());
    relu_net::Predictor::predict_into(net, x.as_ref(), out.as_mut(), Par::Seq);
    (0..y.nrows()).map(|i| (out[i] - y[i]).powi(2)).sum::<f64>() / y.nrows().max(1) as f64
}

/// Rows the net points are fitted and ranked on (the first projected
/// training rows).
const NET_ROWS: usize = 2000;

impl Ckm {
    /// The net search ([`NetPlan`]): every net point (or `net_candidates`
    /// uniform draws) gets its least-squares output layer on the first
    /// [`NET_ROWS`] projected training rows and is ranked by its residual
    /// there (in parallel when `par` allows: the ranking does not depend on
    /// the thread count); the best point is the paper's step (returned
    /// second, its validation error as `net_validation_error`). The best
    /// `polish_top` go to the pool (returned first), or, with `net_refine`
    /// > 0, that many best points are refined first.
    ///
    /// # Errors
    /// Invalid networks, and the refinement's errors.
    pub(super) fn net_search(
        &self,
        train: &Rows<'_>,
        scoring: &Scoring,
        (seed, par): (Seed, Par),
        observer: &mut dyn Observer,
        report: &mut Report,
    ) -> Result<(Vec<Candidate>, Option<Candidate>), LearnError> {
        let p = &self.params;
        let (xv, yv, var) = (&scoring.x, &scoring.y, scoring.var);
        let m = xv.ncols();
        let plan = NetPlan::new(m, &p.widths, p.net_candidates, p.net_angle)?;
        let (xt, yt) = load_rows(train, train.len().min(NET_ROWS));
        let nt = yt.nrows();
        let x_rows: Vec<f64> = (0..m)
            .flat_map(|j| (0..nt).map(move |i| (i, j)))
            .map(|(i, j)| xt[(i, j)])
            .collect();
        let y_rows: Vec<f64> = yt.iter().copied().collect();
        let points = plan.points(seed);
        let stride = plan.units();
        let score = |s: &mut Scratch, idx: &[usize]| {
            crate::cancel::checkpoint();
            plan.output_layer(idx, &x_rows, &y_rows, s)
                .map_or(f64::INFINITY, |(sse, _)| sse)
        };
        let sse: Vec<f64> = if matches!(par, Par::Seq) {
            let mut s = plan.scratch(nt);
            points
                .chunks_exact(stride)
                .map(|idx| score(&mut s, idx))
                .collect()
        } else {
            use rayon::prelude::*;
            points
                .par_chunks_exact(stride)
                .map_init(|| plan.scratch(nt), score)
                .collect()
        };
        let mut order: Vec<usize> = (0..sse.len()).filter(|&i| sse[i].is_finite()).collect();
        // Stable sort: ties keep the order of the points.
        order.sort_by(|&a, &b| sse[a].total_cmp(&sse[b]));
        let keep = p.polish_top.max(p.net_refine);
        let mut best: Vec<Network> = Vec::with_capacity(keep);
        let mut s = plan.scratch(nt);
        for &i in order.iter().take(keep) {
            let idx = &points[i * stride..(i + 1) * stride];
            if let Some((_, beta)) = plan.output_layer(idx, &x_rows, &y_rows, &mut s) {
                best.push(plan.network(idx, &beta)?);
            }
        }
        report
            .metrics
            .insert("net_size_log10".to_owned(), plan.log10_size);
        report
            .metrics
            .insert("net_points_scored".to_owned(), plan.draws as f64);
        report.metrics.insert("net_covering_angle".to_owned(), plan.angle);
        report
            .metrics
            .insert("net_coverage_probability".to_owned(), plan.coverage);
        report.notes.push(format!(
            "net over networks in V: hidden units within {:.3} rad of a net point (output layer by least squares), \
             10^{:.1} points, {} {} (coverage probability {:.2e})",
            plan.angle,
            plan.log10_size,
            plan.draws,
            if plan.exhaustive { "scored: all of them" } else { "drawn uniformly and scored" },
            plan.coverage
        ));
        let stage = best
            .first()
            .map(|net| (relative(mse(net, xv, yv), var), net.clone(), "net"));
        if let Some((e, _, _)) = &stage {
            report.metrics.insert("net_validation_error".to_owned(), *e);
        }
        if p.net_refine == 0 {
            let pool = best
                .into_iter()
                .take(p.polish_top)
                .map(|net| (relative(mse(&net, xv, yv), var), net, "net"))
                .collect();
            return Ok((pool, stage));
        }
        observer.stage("net-refine");
        let starts: Vec<&Network> = best.iter().take(p.net_refine).collect();
        let refined = self.refine(&starts, train, scoring, par)?;
        if let Some((e, _)) = refined.first() {
            report
                .metrics
                .insert("net_refined_validation_error".to_owned(), *e);
        }
        let pool = refined
            .into_iter()
            .take(p.polish_top)
            .map(|(e, net)| (e, net, "refined net"))
            .collect();
        Ok((pool, stage))
    }

    /// The net refinement: each start polished sequentially on its own
    /// (on the first `polish_params.samples` training rows), the starts in
    /// parallel when `par` allows: the results do not depend on the thread
    /// count (collected in draw order). Sorted by validation error.
    fn refine(
        &self,
        starts: &[&Network],
        train: &Rows<'_>,
        scoring: &Scoring,
        par: Par,
    ) -> Result<Vec<(f64, Network)>, LearnError> {
        let p = &self.params;
        let n_fit = p.polish_params.samples.min(train.len());
        let (xt, yt) = load_rows(train, n_fit);
        let fit_rows = relu_net::InMemory::new(xt, yt)?;
        let refine = |start: &&Network| -> Result<(f64, Network), LearnError> {
            let (net, _) = polish_lm(start, &fit_rows, &p.polish_params, Par::Seq)?;
            Ok((relative(mse(&net, &scoring.x, &scoring.y), scoring.var), net))
        };
        let mut refined: Vec<(f64, Network)> = if matches!(par, Par::Seq) {
            starts.iter().map(refine).collect::<Result<_, _>>()?
        } else {
            use rayon::prelude::*;
            starts.par_iter().map(refine).collect::<Result<_, _>>()?
        };
        refined.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(refined)
    }

    /// Whether the exact search runs: always for `search = "exact"`; with
    /// `auto`, for one hidden layer of width ≤ 2 in a subspace of
    /// dimension ≤ 2.
    pub(super) fn runs_exact(&self, m: usize) -> bool {
        let p = &self.params;
        match p.search {
            Search::Exact => true,
            Search::Auto => p.widths.len() == 1 && p.widths[0] <= 2 && m <= 2,
            Search::Net | Search::Train => false,
        }
    }

    /// Exact empirical risk minimisation (Arora et al.) on the first
    /// `max_points` projected training rows; `None` when there is no exact
    /// solver or, with `auto`, when it declined.
    ///
    /// # Errors
    /// The solver's errors, unless the search is `auto`.
    pub(super) fn exact_search(
        &self,
        train: &Rows<'_>,
        scoring: &Scoring,
        par: Par,
        report: &mut Report,
    ) -> Result<Option<Candidate>, LearnError> {
        let Some(exact) = &self.exact else {
            return Ok(None);
        };
        let n_pts = exact.params().max_points.min(train.len());
        let (xe, ye) = load_rows(train, n_pts);
        let ye: Vec<f64> = (0..n_pts).map(|i| ye[i]).collect();
        match exact.solve(xe.as_ref(), &ye, par) {
            Ok(sol) => {
                report.metrics.insert("exact_training_loss".to_owned(), sol.loss);
                report.notes.push(format!(
                    "exact ERM on {n_pts} projected rows: {} programs, loss {:.3e}{}",
                    sol.programs,
                    sol.loss,
                    if sol.certified() {
                        " (certified)"
                    } else {
                        " (not certified)"
                    }
                ));
                let e = relative(mse(&sol.network, &scoring.x, &scoring.y), scoring.var);
                report.metrics.insert("exact_validation_error".to_owned(), e);
                Ok(Some((e, sol.network, "exact ERM")))
            }
            Err(err) if self.params.search == Search::Auto => {
                report.notes.push(format!("auto: exact ERM skipped: {err}"));
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exhaustive net of a one-hidden-layer architecture scores every
    /// point once; a teacher built from two of its points (any output
    /// layer) is found exactly: its point's least-squares residual is zero
    /// and the ranking puts a zero-residual point first.
    #[test]
    fn the_exhaustive_net_finds_a_network_made_of_net_points() {
        let plan = NetPlan::new(2, &[2], 100_000, 0.5).unwrap();
        assert!(plan.exhaustive && (plan.coverage - 1.0).abs() < 1e-15);
        let all = plan.points(Seed(1));
        let pts: Vec<&[usize]> = all.chunks_exact(plan.units()).collect();
        assert_eq!(pts.len() as f64, 10f64.powf(plan.log10_size).round());
        let teacher_idx = pts[pts.len() / 3 + 17];
        let n = 500;
        let g = relu_net::gaussian_matrix(n, 2, Seed(2));
        let x: Vec<f64> = (0..2)
            .flat_map(|j| (0..n).map(move |i| (i, j)))
            .map(|(i, j)| g[(i, j)])
            .collect();
        let mut s = plan.scratch(n);
        let h = plan.hidden(teacher_idx, &x, n, &mut s).to_vec();
        let y: Vec<f64> = (0..n).map(|i| 1.5 * h[i] - 0.7 * h[n + i] + 0.3).collect();
        let (sse, beta) = plan.output_layer(teacher_idx, &x, &y, &mut s).unwrap();
        let yy: f64 = y.iter().map(|v| v * v).sum();
        assert!(sse <= 1e-9 * yy, "{sse}");
        assert!((beta[0] - 1.5).abs() < 1e-6 && (beta[1] + 0.7).abs() < 1e-6 && (beta[2] - 0.3).abs() < 1e-6);
        let best = pts
            .iter()
            .map(|p| {
                plan.output_layer(p, &x, &y, &mut s)
                    .map_or(f64::INFINITY, |r| r.0)
            })
            .fold(f64::INFINITY, f64::min);
        assert!(best <= 1e-9 * yy, "{best}");
        // The network built from the point computes the same function.
        let net = plan.network(teacher_idx, &beta).unwrap();
        let xm = Mat::from_fn(n, 2, |i, j| x[j * n + i]);
        let yc = Col::from_fn(n, |i| y[i]);
        assert!(mse(&net, &xm, &yc) <= 1e-9 * yy / n as f64);
    }

    /// A net too large for the budget is sampled: `budget` draws, and the
    /// coverage is `1 − (1 − ∏k_l!/N)^draws`, about `draws · ∏k_l! / N`
    /// when small.
    #[test]
    fn a_sampled_net_reports_its_coverage() {
        let plan = NetPlan::new(3, &[3, 3], 1000, 0.5).unwrap();
        assert!(!plan.exhaustive);
        assert_eq!(plan.points(Seed(3)).len(), 1000 * plan.units());
        let expected = 1000.0 * 36.0 / 10f64.powf(plan.log10_size);
        assert!(
            (plan.coverage / expected - 1.0).abs() < 1e-6,
            "{} vs {expected}",
            plan.coverage
        );
        assert!(plan.angle <= 0.5);
        // Same seed, same draws.
        assert_eq!(plan.points(Seed(3)), plan.points(Seed(3)));
    }
}
