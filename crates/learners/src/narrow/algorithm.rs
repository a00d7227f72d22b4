//! The runnable narrow-network learner (see the module docs): the fit that
//! runs steps 1–7, one file per step (`moments`, `subspace`, `candidates`,
//! `discovery`, `networks`, this file's polish, `residual`,
//! `subspace_search`).

use faer::{MatRef, Par};
use gaussian_moments::Estimator;
use relu_net::{Network, SampleSource, Seed};

use super::NarrowParams;
use super::discovery::{Projections, discover, exhaustive};
use super::moments::MomentMatrices;
use super::networks::Start;
use crate::common::{Judge, checked_split, relative_error};
use crate::error::LearnError;
use crate::polish::{PolishParams, polish_if_better, polish_lm};
use crate::refine::refine_if_better;
use crate::{Fitted, Learner, Observer, Report};

pub(super) const NAME: &str = "narrow";

/// The highest even order step 2 raises `max_order` to when no moment
/// matrix of the orders up to `max_order` stands above its noise (the
/// variance of an order-l estimate grows like l!, so orders above this see
/// only noise at any practical n).
pub const MAX_ADAPTIVE_ORDER: usize = 12;

/// Discovery runs again with the quadratic polynomials free when the first
/// one leaves more than this fraction of the label variance.
const QUADRATIC_ABOVE: f64 = 0.5;

/// Iterations of the improper network's polish (see its use).
const IMPROPER_MAX_ITERS: usize = 30;

/// The narrow-network learner with validated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Narrow {
    pub(super) params: NarrowParams,
    pub(super) est: Estimator,
}

impl Narrow {
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &NarrowParams {
        &self.params
    }

    /// Steps 1–5b: the moment stage's network (before any local
    /// optimisation) in the joint subspace V, and V.
    fn moment_stage<'a>(
        &self,
        rows: &Judge<'a>,
        labels: &crate::common::LabelStats,
        seed: Seed,
        observer: &mut dyn Observer,
        report: &mut Report,
    ) -> Result<(Start, faer::Mat<f64>), LearnError> {
        let p = &self.params;
        let k = p.hidden.unwrap_or(4);
        observer.stage("moments");
        let mut rng = seed.derive("narrow").rng();
        let top = (2 * k + 2).min(p.max_order);
        let mut moments = MomentMatrices::estimate(rows.train, labels, &self.est, top, &mut rng, rows.par)?;
        observer.stage("subspace");
        let mut v =
            super::subspace::joint_subspace(&mut moments, (p.subspace_threshold, k), p.max_order, report)?;
        observer.stage("discovery");
        let mut start = self.discover_in(v.as_ref(), &moments, rows, &mut rng, report)?;
        // Step 5b: re-estimation on the residual (CDGKM's iteration).
        let (mut rounds, mut added) = (0, 0);
        while rounds < super::regroup::MAX_ROUNDS
            && v.ncols() > 0
            && v.ncols() < v.nrows()
            && start.error > 0.0
        {
            observer.stage("regroup");
            let Some(wider) = super::regroup::extended_subspace(
                rows.train,
                &start.network,
                v.as_ref(),
                moments.g(),
                (&self.est, p.subspace_threshold),
                rows.par,
            )?
            else {
                break;
            };
            rounds += 1;
            let mut trial_report = report.clone();
            let trial = self.discover_in(wider.as_ref(), &moments, rows, &mut rng, &mut trial_report)?;
            let gained = wider.ncols() - v.ncols();
            if trial.error >= start.error {
                report.notes.push(format!(
                    "residual moments: {gained} direction(s) outside V, but discovery in the wider V did not lower the validation error ({:.3e} >= {:.3e})",
                    trial.error, start.error
                ));
                break;
            }
            *report = trial_report;
            report.notes.push(format!(
                "residual moments: {gained} direction(s) outside V added (dimension {}): validation error {:.3e} -> {:.3e}",
                wider.ncols(),
                start.error,
                trial.error
            ));
            added += gained;
            start = trial;
            v = wider;
        }
        report.metrics.insert("regroup_rounds".to_owned(), rounds as f64);
        report
            .metrics
            .insert("regroup_added_dimensions".to_owned(), added as f64);
        Ok((start, v))
    }

    /// Steps 3–5 in a given V: the candidates and the net, discovery at
    /// several scales, the exhaustive subset search when m ≤ 3, and the
    /// networks.
    fn discover_in(
        &self,
        v: MatRef<'_, f64>,
        moments: &MomentMatrices<'_>,
        rows: &Judge<'_>,
        rng: &mut rand::rngs::ChaCha8Rng,
        report: &mut Report,
    ) -> Result<Start, LearnError> {
        let p = &self.params;
        let k = p.hidden.unwrap_or(4);
        let m = v.ncols();
        let projected = Projections::load(rows.train, rows.val, p.fit_samples, v);
        let (candidates, n_moment, net_angle) = super::candidates::candidates(&moments.mats, v, p.net_points);
        report
            .metrics
            .insert("candidates".to_owned(), candidates.len() as f64);
        report
            .metrics
            .insert("net_points".to_owned(), (candidates.len() - n_moment) as f64);
        report.metrics.insert("net_covering_angle".to_owned(), net_angle);
        let mut settings = super::discovery::DiscoverySettings {
            k,
            resolution: p.resolution,
            min_improvement: p.min_improvement,
            net_angle,
            quadratic: false,
        };
        let mut found = discover(&projected, &candidates, &settings, report)?;
        if found.val_error > QUADRATIC_ABOVE {
            // Little explained: y may lack a degree-2 part (see
            // `DiscoverySettings::quadratic`); search again with the
            // quadratics free, keep the better.
            settings.quadratic = true;
            let mut scratch = report.clone();
            let again = discover(&projected, &candidates, &settings, &mut scratch)?;
            let used = again.val_error < found.val_error;
            if used {
                *report = scratch;
                report.notes.push(format!(
                    "discovery with the quadratic polynomials free: validation error {:.3e} -> {:.3e}",
                    found.val_error, again.val_error
                ));
                found = again;
            }
            report
                .metrics
                .insert("discovery_quadratic_used".to_owned(), f64::from(u8::from(used)));
        }
        if (1..=3).contains(&m) {
            exhaustive(
                &projected,
                &candidates[..n_moment],
                (k, p.resolution),
                rng,
                &mut found,
                report,
            );
        }
        report
            .metrics
            .insert("directions".to_owned(), found.dirs.len() as f64);
        report.notes.push(format!(
            "{} direction(s) found in V of dimension {m}; validation error of the |·| model {:.3e}",
            found.dirs.len(),
            found.val_error
        ));
        super::networks::start(v, &found, rows.val, rows.par, report)
    }

    /// Step 5's polish and step 6: the start polished (the improper form
    /// with at most [`IMPROPER_MAX_ITERS`] iterations), the proper runner-up
    /// polished too and kept if better, then units found in the residual.
    fn polish_and_grow(
        &self,
        start: Start,
        rows: &Judge<'_>,
        observer: &mut dyn Observer,
        report: &mut Report,
    ) -> Result<(Network, f64), LearnError> {
        let p = &self.params;
        observer.stage("polish");
        // The improper form (twice the units, nearly collinear pairs)
        // converges slowly; past IMPROPER_MAX_ITERS its polish rarely
        // wins over the proper candidate's (parity-16, d = 10: 100
        // iterations to 2.6e-10, 56 s, where the proper polish took 22 to
        // 4.1e-13).
        let params = if start.proper {
            p.polish_params
        } else {
            PolishParams {
                max_iters: p.polish_params.max_iters.min(IMPROPER_MAX_ITERS),
                ..p.polish_params
            }
        };
        let (mut network, mut error) = polish_if_better(start.network, start.error, rows, &params, report)?;
        // The improper form has twice the units, and its polish can stop
        // in a worse stationary point than the proper form's even when the
        // proper start is worse (seen at n = 10⁷, d = 100, k = 4: 1.26e-2
        // vs 1.19e-2 validation, 8.1e-4 vs 4.1e-5 test error). So the proper
        // candidate is polished as well and the better one kept.
        if let Some(proper) = start.runner_up {
            let (polished, pr) = polish_lm(&proper, rows.train, &p.polish_params, rows.par)?;
            let pe = relative_error(&polished, rows.val, rows.par)?;
            report
                .metrics
                .insert("proper_polished_validation_error".to_owned(), pe);
            if pe < error {
                report.notes.push(format!(
                    "the polished proper network is better: validation error {pe:.3e} < {error:.3e} ({} iterations)",
                    pr.iters
                ));
                network = polished;
                error = pe;
                report.n_iters = pr.iters;
                report.converged = pr.converged;
            }
        }
        observer.stage("residual");
        let grow = super::residual::GrowParams {
            k: p.hidden.unwrap_or(4),
            threshold: p.subspace_threshold,
            fit_samples: p.fit_samples,
            est: &self.est,
            polish: &p.polish_params,
        };
        let (network, error, _) =
            super::residual::grow(network, error, rows.train, rows.val, &grow, rows.par, report)?;
        Ok((network, error))
    }

    /// Step 7: Adam with k units on `Vᵀx` (`subspace_search`), lifted and
    /// polished in ℝ^d; replaces `(network, error)` when better.
    #[allow(clippy::too_many_arguments)]
    fn search_in_v(
        &self,
        network: Network,
        error: f64,
        v: MatRef<'_, f64>,
        rows: &Judge<'_>,
        seed: Seed,
        observer: &mut dyn Observer,
        report: &mut Report,
    ) -> Result<(Network, f64), LearnError> {
        let p = &self.params;
        observer.stage("search-in-v");
        let s = super::subspace_search::SearchParams {
            k: p.hidden.unwrap_or(4),
            rows: p.search_rows,
            polish: &p.polish_params,
        };
        let found = super::subspace_search::search(rows.train, rows.val, v, &s, seed, rows.par, report)?;
        match found {
            Some((net, e)) if e < error => {
                report.notes.push(format!(
                    "the search in V gave the answer: validation error {error:.3e} -> {e:.3e}"
                ));
                report.metrics.insert("search_in_v_used".to_owned(), 1.0);
                report.converged = true;
                Ok((net, e))
            }
            _ => {
                report.metrics.insert("search_in_v_used".to_owned(), 0.0);
                Ok((network, error))
            }
        }
    }
}

impl Learner for Narrow {
    fn name(&self) -> &'static str {
        NAME
    }

    /// The fit (`fit_once`), and a second one on screened labels when a
    /// robust fit was asked for and the first saw outliers
    /// ([`crate::screen`]).
    fn fit_observed(
        &self,
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        let huber = self.params.polish_params.huber;
        crate::screen::fit(src, huber, par, observer, |s, o| self.fit_once(s, seed, par, o))
    }
}

impl Narrow {
    /// One fit of the learner's steps on `src`.
    fn fit_once(
        &self,
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        let p = &self.params;
        let d = src.dim();
        observer.stage("checks");
        let (labels, train, val) = checked_split(NAME, src, 2000.max(50 * d), p.validation_fraction, par)?;
        let rows = Judge {
            train: &train,
            val: &val,
            par,
        };
        let mut report = Report::new(NAME, src.len());
        let (start, v) = self.moment_stage(&rows, &labels, seed, observer, &mut report)?;
        let error = start.error;
        report.provable_stage_error = Some(error);
        report.provable_network = Some(start.network.clone());
        // A start that explains less than half of the label variance is not
        // one a local polish turns into the network (parity-16: 0.99 -> 0.86
        // in 29 iterations, 17 s); the search in V (`subspace_search`) runs instead.
        let hopeless = error > 0.5 && v.ncols() > 0 && p.search_above.is_finite();
        if hopeless {
            report.notes.push(format!(
                "the moment stage explains less than half of the label variance (validation error {error:.3e}): \
                 its polish is skipped for the search in V"
            ));
        }
        let (mut network, mut error) = if p.polish && start.directions > 0 && !hopeless {
            self.polish_and_grow(start, &rows, observer, &mut report)?
        } else {
            report.converged = !hopeless;
            (start.network, start.error)
        };
        if error > p.search_above && v.ncols() > 0 {
            (network, error) =
                self.search_in_v(network, error, v.as_ref(), &rows, seed, observer, &mut report)?;
        }
        if p.polish {
            observer.stage("refine");
            (network, error) = refine_if_better(network, error, &rows, &p.polish_params, &mut report)?;
        }
        report.validation_error = Some(error);
        Ok(Fitted::from_network(network, report))
    }
}
