//! The search in the filtered-PCA subspace V (Chen–Klivans–Meka's step
//! after filtered PCA): networks on `z = Vᵀx` from a grid of weights and
//! biases (each start refined by Levenberg–Marquardt when asked), and exact
//! empirical risk minimisation for tiny architectures.

use faer::{Col, Mat, Par};
use rand::RngExt;
use relu_net::{Network, SampleSource, Seed};

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

/// A random network of the architecture with every weight and bias on the
/// grid `{−B, −B + η, …, B}`.
fn grid_network(
    m: usize,
    widths: &[usize],
    bound: f64,
    eta: f64,
    rng: &mut rand::rngs::ChaCha8Rng,
) -> Result<Network, LearnError> {
    let steps = (2.0 * bound / eta).round() as i64;
    let mut draw = || -bound + eta * rng.random_range(0..=steps) as f64;
    let mut sizes = vec![m];
    sizes.extend_from_slice(widths);
    sizes.push(1);
    let parts = (1..sizes.len())
        .map(|l| {
            (
                Mat::from_fn(sizes[l], sizes[l - 1], |_, _| draw()),
                Col::from_fn(sizes[l], |_| draw()),
            )
        })
        .collect();
    Ok(Network::from_parts(parts)?)
}

/// The mean squared error of `net` on `(x, y)`.
pub(super) fn mse(net: &Network, x: &Mat<f64>, y: &Col<f64>) -> f64 {
    let mut out = Col::zeros(x.nrows());
    relu_net::Predictor::predict_into(net, x.as_ref(), out.as_mut(), Par::Seq);
    (0..y.nrows()).map(|i| (out[i] - y[i]).powi(2)).sum::<f64>() / y.nrows().max(1) as f64
}

impl Ckm {
    /// The grid search: `grid_candidates` random grid networks (drawn in
    /// sequence from one seeded stream, scored in parallel when `par`
    /// allows: the scores do not depend on the thread count) on the first
    /// 2000 scoring rows; the best `polish_top` go to the pool, or, with
    /// `grid_refine` > 0, that many best starts are refined first.
    ///
    /// # Errors
    /// Invalid networks, and the refinement's errors.
    pub(super) fn grid_search(
        &self,
        train: &Rows<'_>,
        scoring: &Scoring,
        (seed, par): (Seed, Par),
        observer: &mut dyn Observer,
        report: &mut Report,
    ) -> Result<Vec<Candidate>, LearnError> {
        let p = &self.params;
        let (xv, yv, var) = (&scoring.x, &scoring.y, scoring.var);
        let m = xv.ncols();
        let mut rng = seed.derive("ckm-grid").rng();
        let (xs, ys) = (
            Mat::from_fn(xv.nrows().min(2000), m, |i, j| xv[(i, j)]),
            Col::from_fn(yv.nrows().min(2000), |i| yv[i]),
        );
        let nets = (0..p.grid_candidates)
            .map(|_| grid_network(m, &p.widths, p.weight_bound, p.grid_resolution, &mut rng))
            .collect::<Result<Vec<_>, _>>()?;
        let score = |net: Network| (mse(&net, &xs, &ys), net);
        let mut scored: Vec<(f64, Network)> = if matches!(par, Par::Seq) {
            nets.into_iter().map(score).collect()
        } else {
            use rayon::prelude::*;
            nets.into_par_iter().map(score).collect()
        };
        scored.retain(|(e, _)| e.is_finite());
        // Stable sort: ties keep the order of the draws.
        scored.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, net)) = scored.first() {
            report.metrics.insert(
                "grid_validation_error".to_owned(),
                relative(mse(net, xv, yv), var),
            );
        }
        if p.grid_refine == 0 {
            return Ok(scored
                .into_iter()
                .take(p.polish_top)
                .map(|(_, net)| (relative(mse(&net, xv, yv), var), net, "grid"))
                .collect());
        }
        observer.stage("grid-refine");
        let starts: Vec<&Network> = scored.iter().take(p.grid_refine).map(|(_, n)| n).collect();
        let refined = self.refine(&starts, train, scoring, par)?;
        if let Some((e, _)) = refined.first() {
            report
                .metrics
                .insert("grid_refined_validation_error".to_owned(), *e);
        }
        Ok(refined
            .into_iter()
            .take(p.polish_top)
            .map(|(e, net)| (e, net, "refined grid"))
            .collect())
    }

    /// The grid refinement: each start polished sequentially on its own
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
            Search::Grid | Search::Train => false,
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
