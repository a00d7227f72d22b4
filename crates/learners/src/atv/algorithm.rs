//! The runnable ATV learner (see the module docs): the fit that runs steps
//! 1–8, one file per step (`subspace`, `moments`, `decompose`, `recover`,
//! this file's validation and polish, `residual`, `simplify`).

use faer::{Mat, Par};
use gaussian_moments::{Estimator, LowOrderMoments, low_order_moments};
use relu_net::{Network, SampleSource, Seed};
use tensor_decomp::Decomposer;

use super::AtvParams;
use super::decompose::Candidate;
use super::subspace::SubspaceChoice;
use crate::common::{Judge, Rows, checked_split, relative_errors};
use crate::compare::compare;
use crate::error::LearnError;
use crate::polish::polish_if_better;
use crate::refine::refine_if_better;
use crate::{Fitted, Learner, Observer, Report};

pub(super) const NAME: &str = "atv";

/// Step 8 (residual units) runs when the validation error is above this:
/// below it the fit has recovered the network to the precision of the
/// arithmetic.
const RESIDUAL_ABOVE: f64 = 1e-12;

/// The ATV learner with validated parameters and its decomposition backend.
pub struct Atv {
    pub(super) params: AtvParams,
    pub(super) decomposer: Box<dyn Decomposer>,
    pub(super) est: Estimator,
}

impl std::fmt::Debug for Atv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Atv")
            .field("params", &self.params)
            .field("decomposer", &self.decomposer.name())
            .finish()
    }
}

impl Atv {
    pub(super) fn new(params: AtvParams, decomposer: Box<dyn Decomposer>, est: Estimator) -> Self {
        Self {
            params,
            decomposer,
            est,
        }
    }

    /// ATV with a decomposition backend of your own (any
    /// [`Decomposer`]); `params.decomposer` is ignored.
    ///
    /// # Errors
    /// As [`AtvParams::validate`].
    pub fn with_decomposer(params: AtvParams, decomposer: Box<dyn Decomposer>) -> Result<Self, LearnError> {
        let base = AtvParams {
            decomposer: "jennrich".to_owned(),
            ..params.clone()
        }
        .validate()?;
        Ok(Self {
            params,
            decomposer,
            est: base.est,
        })
    }

    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &AtvParams {
        &self.params
    }
}

impl Atv {
    /// Steps 3–7 in the subspace `u` (d × k): projected moments, candidates,
    /// validation, polish and the return to k units; returns the network
    /// and its validation error.
    fn fit_in_subspace(
        &self,
        rows: &Judge<'_>,
        low: &LowOrderMoments,
        u: Mat<f64>,
        seed: Seed,
        observer: &mut dyn Observer,
        report: &mut Report,
    ) -> Result<(Network, f64), LearnError> {
        let (train, val, par) = (rows.train, rows.val, rows.par);
        let k = u.ncols();
        observer.stage("projected-moments");
        let moments = self.project_moments(train, low, u, par)?;
        for (l, level) in (2..=4).zip(moments.noise) {
            report.metrics.insert(format!("moment_noise_t{l}"), level);
        }
        observer.stage("decomposition");
        let candidates = self.candidates(&moments, seed, par, report)?;
        observer.stage("validation");
        let (moment_error, best) = best_candidate(candidates, val, par, report)?;
        let mut network = best.network;
        let mut final_error = moment_error;
        if self.params.polish {
            observer.stage("polish");
            (network, final_error) =
                polish_if_better(network, moment_error, rows, &self.params.polish_params, report)?;
        } else {
            report.converged = true;
        }
        if network.layers()[0].fan_out() == k + 2 {
            observer.stage("simplify");
            (network, final_error) = self.simplify(network, final_error, k, rows, report)?;
        }
        Ok((network, final_error))
    }

    /// Steps 3–7 with the chosen k and, when step 2 found eigenvalues
    /// between the noise bulk and the threshold, again with them: the
    /// larger network is kept only if it halves the validation error's
    /// excess above the noise floor ([`crate::compare`]).
    /// Returns the network, its validation error and the report of the fit
    /// that was kept.
    fn fit_chosen_and_extended(
        &self,
        rows: &Judge<'_>,
        low: &LowOrderMoments,
        choice: &SubspaceChoice,
        seed: Seed,
        observer: &mut dyn Observer,
        start: Report,
    ) -> Result<(Network, f64, Report), LearnError> {
        let k = choice.k;
        let mut report = start.clone();
        let (network, final_error) =
            self.fit_in_subspace(rows, low, choice.basis.clone(), seed, observer, &mut report)?;
        if choice.extended <= k {
            return Ok((network, final_error, report));
        }
        let k_ext = choice.extended;
        let mut extended = start;
        let result = self.fit_in_subspace(
            rows,
            low,
            choice.extended_basis.clone(),
            seed.derive("atv-extended"),
            observer,
            &mut extended,
        );
        // The extended fit's training loss is its noise floor (the polish's
        // when it ran, else 0: the plain halving rule).
        let floor = extended.polish.as_ref().map_or(0.0, |p| p.lm.loss_after);
        let verdict = match &result {
            Ok((net, _)) => Some(compare(&network, net, rows.val, floor, rows.par)?),
            Err(_) => None,
        };
        match result {
            Ok((net, e)) if verdict.is_some_and(|v| v.keep) => {
                extended.notes.push(format!(
                    "kept the fit with k = {k_ext}: validation error {e:.3e} against {final_error:.3e} with k = {k} ({})",
                    verdict.map(|v| v.describe()).unwrap_or_default()
                ));
                extended.metrics.insert("k".to_owned(), k_ext as f64);
                extended.chosen.insert(
                    "hidden".to_owned(),
                    format!("{k_ext}: {k} eigenvalues of T2 above 1.5x its noise level, and {} more above the noise bulk whose fit halved the validation excess", k_ext - k),
                );
                extended.metrics.insert("extended_k_kept".to_owned(), 1.0);
                Ok((net, e, extended))
            }
            Ok((_, e)) => {
                report.notes.push(format!(
                    "kept k = {k}: the fit with k = {k_ext} reached validation error {e:.3e} (against {final_error:.3e})"
                ));
                report.metrics.insert("extended_k_kept".to_owned(), 0.0);
                Ok((network, final_error, report))
            }
            Err(err) => {
                report
                    .notes
                    .push(format!("kept k = {k}: the fit with k = {k_ext} failed ({err})"));
                report.metrics.insert("extended_k_kept".to_owned(), 0.0);
                Ok((network, final_error, report))
            }
        }
    }

    /// Step 8 (`atv/residual.rs`) and the return to k units
    /// (`atv/simplify.rs`): with k given, units beyond it go if that costs
    /// at most 2×; with k chosen, units that only compensate each other go.
    fn residual_units(
        &self,
        network: Network,
        error: f64,
        k: usize,
        rows: &Judge<'_>,
        report: &mut Report,
    ) -> Result<(Network, f64), LearnError> {
        let k_now = network.layers()[0].fan_out();
        let grow = super::residual::GrowParams {
            max_units: self.params.residual_units,
            fit_samples: 100_000,
            est: &self.est,
            polish: &self.params.polish_params,
        };
        let (network, error, added) =
            super::residual::grow(network, error, rows.train, rows.val, &grow, rows.par, report)?;
        match self.params.hidden {
            Some(target) if added > 0 && k_now + added > target => {
                self.simplify(network, error, target, rows, report)
            }
            None if added > 0 => self.simplify_auto(network, error, k, rows, report),
            _ => Ok((network, error)),
        }
    }
}

/// Step 7's choice: every candidate scored on the validation rows; the best,
/// or a proper network (k units) within a factor 2 of it, which is preferred
/// to an affine one (k + 2 units) so that the polish starts from
/// identifiable parameters. Returns its validation error (the provable
/// stage's error, recorded in the report) and the candidate.
fn best_candidate(
    candidates: Vec<Candidate>,
    val: &Rows<'_>,
    par: Par,
    report: &mut Report,
) -> Result<(f64, Candidate), LearnError> {
    // One pass for every candidate (two over the validation rows in all).
    let nets: Vec<&relu_net::Network> = candidates.iter().map(|c| &c.network).collect();
    let errors = relative_errors(&nets, val, par)?;
    let mut scored: Vec<(f64, Candidate)> = errors.into_iter().zip(candidates).collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    report.series.insert(
        "candidate_validation_errors".to_owned(),
        scored.iter().map(|s| s.0).collect(),
    );
    let best_error = scored[0].0;
    let pick = scored
        .iter()
        .position(|(e, c)| !c.tag.ends_with("affine") && *e <= 2.0 * best_error)
        .unwrap_or(0);
    let (moment_error, best) = scored.swap_remove(pick);
    report.provable_stage_error = Some(moment_error);
    report.provable_network = Some(best.network.clone());
    report.notes.push(format!(
        "best moment candidate: {} (validation relative error {moment_error:.3e})",
        best.tag
    ));
    if best.ambiguous_units > 0 {
        report.notes.push(format!(
            "{} unit(s) had a sign that the first moment could not resolve",
            best.ambiguous_units
        ));
    }
    Ok((moment_error, best))
}

/// The fitted units' moment confidence ([`super::moments::unit_confidence`])
/// as the series `unit_moment_confidence`, and a note naming the units below
/// 3: the moments alone would not have identified them at this n.
fn note_unit_confidence(network: &Network, report: &mut Report) -> Result<(), LearnError> {
    let m = &report.metrics;
    let (Some(&t2), Some(&t3), Some(&t4)) = (
        m.get("moment_noise_t2"),
        m.get("moment_noise_t3"),
        m.get("moment_noise_t4"),
    ) else {
        return Ok(());
    };
    if network.depth() != 2 {
        return Ok(());
    }
    let conf = super::moments::unit_confidence(network, &[t2, t3, t4])?;
    let weak: Vec<String> = conf
        .iter()
        .enumerate()
        .filter(|(_, c)| **c < 3.0)
        .map(|(i, c)| format!("{i} ({c:.2})"))
        .collect();
    if !weak.is_empty() {
        report.notes.push(format!(
            "unit(s) {} stand less than 3 times above the noise of T2, T3 and T4 (weight |a c_l(b)| over the tensor's noise level): the moment stage alone does not identify them at this n; their values come from the polish",
            weak.join(", ")
        ));
    }
    report.series.insert("unit_moment_confidence".to_owned(), conf);
    Ok(())
}

impl Learner for Atv {
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

impl Atv {
    /// One fit of the learner's steps on `src`.
    fn fit_once(
        &self,
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        let d = src.dim();
        let k_hint = self.params.hidden.unwrap_or(d.min(10));
        if k_hint > d {
            return Err(LearnError::HiddenTooLarge {
                learner: NAME,
                hidden: k_hint,
                dim: d,
                max: d,
            });
        }
        observer.stage("checks");
        let (_, train, held_out) = checked_split(
            NAME,
            src,
            2000.max(20 * (d + k_hint * k_hint)),
            self.params.validation_fraction,
            par,
        )?;
        let val = Rows::new(&held_out, 0, held_out.len().min(self.params.max_validation));
        let rows = Judge {
            train: &train,
            val: &val,
            par,
        };
        let mut report = Report::new(NAME, src.len());
        observer.stage("moments");
        let low = low_order_moments(&train, &self.est, par)?;
        let noise = crate::linalg::wigner_noise(&low.t2);
        let choice = self.subspace(low.t2.mean.as_ref(), noise)?;
        self.report_subspace(&choice, noise, &mut report);
        let (mut network, mut error, mut report) =
            self.fit_chosen_and_extended(&rows, &low, &choice, seed, observer, report)?;
        // The refinement first: with noisy labels the polish's own excess
        // error (σ² p / m on its m rows) has structure that step 8 would
        // take for missed units (d = 100, k = 10, 10⁷ samples: 8 residual
        // units tried in 79 s, none kept).
        if self.params.polish {
            observer.stage("refine");
            (network, error) =
                refine_if_better(network, error, &rows, &self.params.polish_params, &mut report)?;
        }
        if self.params.polish && self.params.residual_units > 0 && error > RESIDUAL_ABOVE {
            observer.stage("residual");
            (network, error) = self.residual_units(network, error, choice.k, &rows, &mut report)?;
            if report.metrics.get("residual_units").is_some_and(|&m| m > 0.0) {
                observer.stage("refine");
                (network, error) =
                    refine_if_better(network, error, &rows, &self.params.polish_params, &mut report)?;
            }
        }
        self.note_next_eigenvalue(&choice, noise, src.len(), &mut report);
        note_unit_confidence(&network, &mut report)?;
        report.validation_error = Some(error);
        Ok(Fitted::from_network(network, report))
    }
}
