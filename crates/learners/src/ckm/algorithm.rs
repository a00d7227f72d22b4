//! Parameters and the runnable CKM learner (see the module docs): filtered
//! PCA (`subspace_pca`), the extension of its subspace (`extend`), the
//! search in it (`search`), then the polish in ℝ^d.

use faer::{Col, Mat, Par};
use gaussian_moments::Projected;
use relu_net::{Network, SampleSource, Seed};
use subspace_pca::SubspaceFinder;

use super::params::{CkmParams, Search};
use super::search::{Candidate, Scoring, mse};
use crate::common::{Standardized, check_data, lift, load_rows, relative, scale_output, split, variance};
use crate::error::LearnError;
use crate::exact_erm::ExactErm;
use crate::polish::{PolishOutcome, polish_lm};
use crate::refine::{RefineOutcome, refine_full};
use crate::{Fitted, Learner, Model, Observer, Report};

pub(super) const NAME: &str = "ckm";

/// CKM with validated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Ckm {
    pub(super) params: CkmParams,
    pub(super) finder: subspace_pca::FilteredPca,
    pub(super) gd: crate::gd::Gd,
    pub(super) exact: Option<ExactErm>,
}

/// Held-out rows in the full space, for the polish and the final choice.
struct Holdout<'a> {
    train: &'a dyn SampleSource,
    x: &'a Mat<f64>,
    y: &'a Col<f64>,
    var: f64,
}

/// The chosen network and how it was found.
struct Choice {
    error: f64,
    network: Network,
    search: &'static str,
    subspace_error: f64,
    polish_iters: usize,
}

impl Ckm {
    /// Lifts each candidate to ℝ^d, polishes it (if asked) and returns the
    /// best by validation error in the full space.
    fn finish(
        &self,
        pool: &[Candidate],
        v: faer::MatRef<'_, f64>,
        full: &Holdout<'_>,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Option<Choice>, LearnError> {
        let p = &self.params;
        if p.polish && !pool.is_empty() {
            observer.stage("polish");
        }
        let mut best: Option<Choice> = None;
        for (subspace_error, candidate, search) in pool {
            let lifted = lift(candidate, v)?;
            let (network, polish_iters) = if p.polish {
                let (polished, pr) = polish_lm(&lifted, full.train, &p.polish_params, par)?;
                (polished, pr.iters)
            } else {
                (lifted, 0)
            };
            let error = relative(mse(&network, full.x, full.y), full.var);
            if error.is_finite() && best.as_ref().is_none_or(|b| error < b.error) {
                best = Some(Choice {
                    error,
                    network,
                    search,
                    subspace_error: *subspace_error,
                    polish_iters,
                });
            }
        }
        Ok(best)
    }
}

impl Learner for Ckm {
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

impl Ckm {
    /// One fit of the learner's steps on `src`.
    fn fit_once(
        &self,
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        let d = src.dim();
        observer.stage("checks");
        let labels = check_data(NAME, src, 2000.max(50 * d), par)?;
        // The search and the polish have absolute scales (ridges,
        // tolerances): fit standardised labels and map the network back.
        let scaled = Standardized::new(src, labels);
        let (mean, std) = scaled.scale();
        let Fitted { model, mut report } = self.fit_standardized(&scaled, seed, par, observer)?;
        if let Some(net) = report.provable_network.take() {
            report.provable_network = Some(scale_output(&net, std, mean)?);
        }
        report.notes.push(format!(
            "labels standardised for the fit (mean {mean:.4e}, std {std:.4e}) and the output layer mapped back"
        ));
        match model {
            Model::Network(net) => Ok(Fitted::from_network(scale_output(&net, std, mean)?, report)),
            other => Ok(Fitted { model: other, report }),
        }
    }
}

impl Ckm {
    /// [`Learner::fit_observed`] on standardised labels: filtered PCA, the
    /// fit in its subspace, and the subspace extended while that helps.
    fn fit_standardized(
        &self,
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        observer.stage("filtered-pca");
        // The subspace is found on the training rows only: the validation
        // rows judge the networks fitted in it, so they must not choose it.
        let (train, _) = split(src, self.params.validation_fraction);
        let (subspace, sreport) = self
            .finder
            .find(&train, seed.derive("filtered-pca"), par)
            .map_err(|e| LearnError::Unidentifiable {
                learner: NAME,
                reason: format!("filtered PCA failed: {e}"),
            })?;
        let mut report = Report::new(NAME, src.len());
        report_filtered_pca(subspace.dim(), &sreport, &mut report);
        let v = subspace.basis().to_owned();
        // The paper's first step on its own: its basis (d × m, column-major),
        // for comparison with a teacher's first-layer span; in the
        // coordinates this fit sees (whitened ones when `fit_any_gaussian`
        // whitened the inputs).
        report.series.insert(
            "filtered_pca_basis".to_owned(),
            (0..v.ncols()).flat_map(|j| v.col(j).iter().copied()).collect(),
        );
        let best = if v.ncols() > 0 {
            Some(self.fit_in_subspace(src, v.clone(), seed, par, observer, report.clone())?)
        } else {
            None
        };
        let best = self.extend_while_better(src, v, best, &report, seed, par, observer)?;
        best.ok_or_else(|| LearnError::Unidentifiable {
            learner: NAME,
            reason: format!(
                "filtered PCA found no direction above its noise floor on {} samples, nor do the labels' first \
                 and second moments: supply more samples (the floor falls as 1/√n; the time-to-target table in \
                 docs/performance.md shows about 3·10⁴ for d = 20, depth 3, width 2) or check that the labels \
                 depend on x",
                src.len()
            ),
        })
    }

    /// Fewer directions than the first width and a fit that does not
    /// explain the labels: extend V from the residual's moments
    /// (`ckm/extend.rs`) and fit again, while the wider fit is better.
    #[allow(clippy::too_many_arguments)]
    fn extend_while_better(
        &self,
        src: &dyn SampleSource,
        mut v: Mat<f64>,
        mut best: Option<Fitted>,
        report: &Report,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Option<Fitted>, LearnError> {
        let p = &self.params;
        let (d, m) = (src.dim(), v.ncols());
        let k = p.widths.first().copied().unwrap_or(1);
        let error_of = |f: &Fitted| f.report.validation_error.unwrap_or(f64::INFINITY);
        while v.ncols() < k && best.as_ref().is_none_or(|f| error_of(f) > p.train_above) {
            observer.stage("extend-subspace");
            let net = best.as_ref().and_then(|f| match &f.model {
                Model::Network(n) => Some(n),
                Model::Kernel(_) => None,
            });
            let was = v.ncols();
            let (train, _) = split(src, p.validation_fraction);
            let (extra, from) = super::extend::extra_directions(&train, v.as_ref(), net, k - was, par)?;
            if extra.ncols() == 0 {
                break;
            }
            let wide = Mat::from_fn(d, was + extra.ncols(), |i, j| {
                if j < was { v[(i, j)] } else { extra[(i, j - was)] }
            });
            let mut more = best.as_ref().map_or_else(|| report.clone(), |b| b.report.clone());
            more.notes.push(format!(
                "subspace extended from dimension {was} to {} by the {} of the {}",
                wide.ncols(),
                from.join(" and "),
                if net.is_some() { "residual" } else { "labels" }
            ));
            more.metrics
                .insert("subspace_dim".to_owned(), wide.ncols() as f64);
            more.metrics
                .insert("subspace_extended".to_owned(), (wide.ncols() - m) as f64);
            let seed_w = seed.derive("ckm-extended").derive_index(wide.ncols() as u64);
            let wider = self.fit_in_subspace(src, wide.clone(), seed_w, par, observer, more);
            match (wider, &mut best) {
                (Ok(f), Some(b)) if error_of(&f) < error_of(b) => *b = f,
                (Ok(f), None) => best = Some(f),
                (Ok(f), Some(b)) => {
                    b.report.notes.push(format!(
                        "a subspace extended to dimension {} fitted to validation error {:.3e}: not kept",
                        wide.ncols(),
                        error_of(&f)
                    ));
                    break;
                }
                (Err(e), Some(b)) => {
                    b.report
                        .notes
                        .push(format!("the fit in the extended subspace failed: {e}"));
                    break;
                }
                (Err(e), None) => return Err(e),
            }
            v = wide;
        }
        Ok(best)
    }

    /// Everything after filtered PCA in the subspace with orthonormal
    /// basis `v` (d × m): projection, the searches (`ckm/search.rs`), the
    /// polish of their best candidates in ℝ^d, Adam when they fall short,
    /// and the final polish.
    fn fit_in_subspace(
        &self,
        src: &dyn SampleSource,
        v: Mat<f64>,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
        mut report: Report,
    ) -> Result<Fitted, LearnError> {
        let p = &self.params;
        let m = v.ncols();
        observer.stage("project");
        let projected = Projected::new(src, v.as_ref())?;
        let (train, val) = split(&projected, p.validation_fraction);
        let (xv, yv) = load_rows(&val, val.len().min(20_000));
        let scoring = Scoring {
            var: variance(&yv),
            x: xv,
            y: yv,
        };
        let mut pool: Vec<Candidate> = Vec::new();
        // The paper's step: the best point of the net in V (or exact ERM's
        // network), before any Levenberg–Marquardt.
        let mut stage: Vec<Candidate> = Vec::new();
        if matches!(p.search, Search::Net | Search::Auto) {
            observer.stage("net-search");
            let (found, best_point) =
                self.net_search(&train, &scoring, (seed, par), observer, &mut report)?;
            pool.extend(found);
            stage.extend(best_point);
        }
        if self.runs_exact(m) && self.exact.is_some() {
            observer.stage("exact-search");
            let exact = self.exact_search(&train, &scoring, par, &mut report)?;
            stage.extend(exact.clone());
            pool.extend(exact);
        }
        let (train_x, val_x) = split(src, p.validation_fraction);
        let (xv_full, yv_full) = load_rows(&val_x, val_x.len().min(20_000));
        let full = Holdout {
            train: &train_x,
            x: &xv_full,
            y: &yv_full,
            var: variance(&yv_full),
        };
        let provable = stage
            .into_iter()
            .filter(|c| c.0.is_finite())
            .min_by(|a, b| a.0.total_cmp(&b.0));
        report.provable_stage_error = provable.as_ref().map(|c| c.0);
        report.provable_network = provable.map(|c| lift(&c.1, v.as_ref())).transpose()?;
        let mut best = self.finish(&pool, v.as_ref(), &full, par, observer)?;
        let mut adam_converged = true;
        if self.runs_train(best.as_ref(), &mut report) {
            observer.stage("train-search");
            let fitted = self.gd.fit(&train, seed.derive("ckm-train"), par)?;
            let net = fitted.network().cloned().ok_or(LearnError::Unidentifiable {
                learner: NAME,
                reason: "gd returned no network".to_owned(),
            })?;
            let e = relative(mse(&net, &scoring.x, &scoring.y), scoring.var);
            report.metrics.insert("train_validation_error".to_owned(), e);
            report.n_iters = fitted.report.n_iters;
            adam_converged = fitted.report.converged;
            if let Some(c) = self.finish(&[(e, net, "train")], v.as_ref(), &full, par, observer)?
                && best.as_ref().is_none_or(|b| c.error < b.error)
            {
                best = Some(c);
            }
        }
        let Some(choice) = best else {
            return Err(LearnError::Unidentifiable {
                learner: NAME,
                reason: "every candidate network had a non-finite validation error".to_owned(),
            });
        };
        report.notes.push(format!(
            "the {} search gave the answer: validation error {:.3e} in the subspace of dimension {m}",
            choice.search, choice.subspace_error
        ));
        let (net, error) = self.final_polish(choice, &full, par, observer, &mut report)?;
        report.validation_error = Some(error);
        // Converged: the last local optimisation that ran met its stopping
        // rule (the refinement's, else the final polish's, else Adam's, if
        // it ran); a bare search result has none and counts as converged.
        report.converged = match (&report.refine, &report.polish) {
            (Some(r), _) => r.refine.converged,
            (None, Some(pol)) => pol.lm.converged,
            (None, None) => adam_converged,
        };
        Ok(Fitted::from_network(net, report))
    }

    /// Whether Adam (`gd` on z) runs: always for `search = "train"`, never
    /// for the net or exact; with `auto`, when the searches' best stays above
    /// `train_above` (noted when it is skipped).
    fn runs_train(&self, best: Option<&Choice>, report: &mut Report) -> bool {
        let p = &self.params;
        match p.search {
            Search::Net | Search::Exact => false,
            Search::Train => true,
            Search::Auto => {
                let run = best.is_none_or(|b| b.error.is_nan() || b.error > p.train_above);
                if !run {
                    report.notes.push(format!(
                        "auto: the searches reached {:.3e} <= {:.1e}; Adam skipped",
                        best.map_or(f64::NAN, |b| b.error),
                        p.train_above
                    ));
                }
                run
            }
        }
    }

    /// The final polish in ℝ^d (`final_polish` parameters), kept when its
    /// held-out error is finite and not larger, then the refinement on
    /// every training row ([`refine_full`]) under the same rule; recorded
    /// in [`Report::polish`] and [`Report::refine`].
    fn final_polish(
        &self,
        choice: Choice,
        full: &Holdout<'_>,
        par: Par,
        observer: &mut dyn Observer,
        report: &mut Report,
    ) -> Result<(Network, f64), LearnError> {
        let p = &self.params;
        let Choice {
            error,
            network: net,
            polish_iters,
            ..
        } = choice;
        // A report carried over from a narrower subspace's fit keeps none of
        // its polish or refinement.
        report.polish = None;
        report.refine = None;
        if !p.polish {
            return Ok((net, error));
        }
        observer.stage("final-polish");
        let (polished, pr) = polish_lm(&net, full.train, &p.final_polish, par)?;
        let e = relative(mse(&polished, full.x, full.y), full.var);
        let kept = e.is_finite() && e <= error;
        if kept {
            report.notes.push(format!(
                "final polish on up to {} rows: {} iterations, validation error {error:.3e} -> {e:.3e}",
                full.train.len(),
                pr.iters
            ));
        }
        report.polish = Some(PolishOutcome {
            lm: pr,
            validation_error: e,
            kept,
        });
        let (mut net, mut error) = if kept { (polished, e) } else { (net, error) };
        observer.stage("refine");
        let (refined, r) = refine_full(&net, full.train, &p.final_polish, par)?;
        if r.passes > 0 {
            let e = relative(mse(&refined, full.x, full.y), full.var);
            let kept = e.is_finite() && e <= error;
            report.notes.push(format!(
                "refinement on all {} training rows (curvature from {}): {} steps, {} passes, validation error {error:.3e} -> {e:.3e} ({})",
                r.rows,
                r.curvature_rows,
                r.iters,
                r.passes,
                if kept { "kept" } else { "discarded" }
            ));
            report.refine = Some(RefineOutcome {
                refine: r,
                validation_error: e,
                kept,
            });
            if kept {
                (net, error) = (refined, e);
            }
        }
        report
            .metrics
            .insert("polish_iters".to_owned(), polish_iters as f64);
        report.notes.push(format!(
            "Levenberg–Marquardt polish in ℝ^{} of the best {} candidates: {polish_iters} iterations, validation error {error:.3e}",
            full.train.dim(),
            p.polish_top
        ));
        Ok((net, error))
    }
}

/// Filtered PCA's result in the report: the dimension m it found, its
/// rounds' eigenvalues, noise floors and explained errors, and its notes.
fn report_filtered_pca(m: usize, sreport: &subspace_pca::Report, report: &mut Report) {
    report.metrics.insert("subspace_dim".to_owned(), m as f64);
    report.chosen.insert(
        "subspace_dim".to_owned(),
        format!("{m}: the directions filtered PCA found above its noise floors (at most the first width)"),
    );
    report.series.insert(
        "filtered_eigenvalues".to_owned(),
        sreport.rounds.iter().map(|r| r.eigenvalue).collect(),
    );
    report.series.insert(
        "filtered_noise_floors".to_owned(),
        sreport.rounds.iter().map(|r| r.noise_floor).collect(),
    );
    report.series.insert(
        "filtered_explained_errors".to_owned(),
        sreport.rounds.iter().map(|r| r.explained_error).collect(),
    );
    report
        .notes
        .extend(sreport.notes.iter().map(|n| format!("filtered PCA: {n}")));
    for (i, r) in sreport.rounds.iter().enumerate() {
        report.notes.push(format!(
            "filtered PCA round {i}: eigenvalue {:.3e} ({}, cell {}, {} of {} samples; noise {:.3e}, null {:.3e}){}",
            r.eigenvalue,
            r.label_set,
            r.cell,
            r.n_selected,
            r.n_cell,
            r.noise_floor,
            r.null_eigenvalue,
            if r.accepted { "" } else { " rejected" }
        ));
    }
}
