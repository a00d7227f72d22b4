//! Parameters and the runnable CKM learner (see the module docs).

use faer::{Col, Mat, Par};
use gaussian_moments::Projected;
use rand::RngExt;
use relu_net::{Network, SampleSource, Seed};
use subspace_pca::SubspaceFinder;

use super::params::{CkmParams, Search};
use crate::common::{Standardized, check_data, lift, load_rows, relative, scale_output, split, variance};
use crate::error::LearnError;
use crate::exact_erm::ExactErm;
use crate::polish::polish_lm;
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

fn mse(net: &Network, x: &Mat<f64>, y: &Col<f64>) -> f64 {
    let mut out = Col::zeros(x.nrows());
    relu_net::Predictor::predict_into(net, x.as_ref(), out.as_mut(), Par::Seq);
    (0..y.nrows()).map(|i| (out[i] - y[i]).powi(2)).sum::<f64>() / y.nrows().max(1) as f64
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
        pool: &[(f64, Network, &'static str)],
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

    fn fit_observed(
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
    /// [`Learner::fit_observed`] on standardised labels.
    // Over 100 lines: to be split into named parts (for a fit: one per step).
    #[allow(clippy::too_many_lines)]
    fn fit_standardized(
        &self,
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        let p = &self.params;
        let d = src.dim();
        observer.stage("filtered-pca");
        let (subspace, sreport) = self
            .finder
            .find(src, seed.derive("filtered-pca"), par)
            .map_err(|e| LearnError::Unidentifiable {
                learner: NAME,
                reason: format!("filtered PCA failed: {e}"),
            })?;
        let mut report = Report {
            learner: NAME.to_owned(),
            samples_used: src.len(),
            ..Report::default()
        };
        let m = subspace.dim();
        report.metrics.insert("subspace_dim".to_owned(), m as f64);
        report.chosen.insert(
            "subspace_dim".to_owned(),
            format!(
                "{m}: the directions filtered PCA found above its noise floors (at most the first width)"
            ),
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
        let v = subspace.basis().to_owned();
        let k = p.widths.first().copied().unwrap_or(1);
        let error_of = |f: &Fitted| f.report.validation_error.unwrap_or(f64::INFINITY);
        let mut best = if m > 0 {
            Some(self.fit_in_subspace(src, v.clone(), seed, par, observer, report.clone())?)
        } else {
            None
        };
        // Fewer directions than the first width and a fit that does not
        // explain the labels: extend V from the residual's moments
        // (ckm/extend.rs) and fit again, while the wider fit is better.
        let mut v = v;
        while v.ncols() < k && best.as_ref().is_none_or(|f| error_of(f) > p.train_above) {
            observer.stage("extend-subspace");
            let net = best.as_ref().and_then(|f| match &f.model {
                Model::Network(n) => Some(n),
                Model::Kernel(_) => None,
            });
            let was = v.ncols();
            let (extra, from) = super::extend::extra_directions(src, v.as_ref(), net, k - was, par)?;
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

    /// Everything after filtered PCA in the subspace with orthonormal
    /// basis `v` (d × m): projection, the searches, the polish in ℝ^d.
    // Over 100 lines: to be split into named parts (for a fit: one per step).
    #[allow(clippy::too_many_lines)]
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
        let d = src.dim();
        let m = v.ncols();
        observer.stage("project");
        let projected = Projected::new(src, v.as_ref())?;
        let (train, val) = split(&projected, p.validation_fraction);
        let (xv, yv) = load_rows(&val, val.len().min(20_000));
        let var = variance(&yv);
        // Candidates on z: (validation error on z, network, the search that made it).
        let mut pool: Vec<(f64, Network, &'static str)> = Vec::new();
        if matches!(p.search, Search::Grid | Search::Auto) {
            observer.stage("grid-search");
            let mut rng = seed.derive("ckm-grid").rng();
            let (xs, ys) = (
                Mat::from_fn(xv.nrows().min(2000), m, |i, j| xv[(i, j)]),
                Col::from_fn(yv.nrows().min(2000), |i| yv[i]),
            );
            // Drawn in sequence (one seeded stream), scored in parallel when
            // `par` allows (the scores do not depend on the thread count).
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
                    relative(mse(net, &xv, &yv), var),
                );
            }
            if p.grid_refine == 0 {
                pool.extend(
                    scored
                        .into_iter()
                        .take(p.polish_top)
                        .map(|(_, net)| (relative(mse(&net, &xv, &yv), var), net, "grid")),
                );
            } else {
                observer.stage("grid-refine");
                let n_fit = p.polish_params.samples.min(train.len());
                let (xt, yt) = load_rows(&train, n_fit);
                let fit_rows = relu_net::InMemory::new(xt, yt)?;
                // Each start is polished sequentially on its own, the starts
                // in parallel when `par` allows: the results do not depend
                // on the thread count (collected in draw order).
                let refine = |start: &Network| -> Result<(f64, Network), LearnError> {
                    let (net, _) = polish_lm(start, &fit_rows, &p.polish_params, Par::Seq)?;
                    Ok((relative(mse(&net, &xv, &yv), var), net))
                };
                let starts: Vec<&Network> = scored.iter().take(p.grid_refine).map(|(_, n)| n).collect();
                let mut refined: Vec<(f64, Network)> = if matches!(par, Par::Seq) {
                    starts.into_iter().map(refine).collect::<Result<_, _>>()?
                } else {
                    use rayon::prelude::*;
                    starts.into_par_iter().map(refine).collect::<Result<_, _>>()?
                };
                refined.sort_by(|a, b| a.0.total_cmp(&b.0));
                if let Some((e, _)) = refined.first() {
                    report
                        .metrics
                        .insert("grid_refined_validation_error".to_owned(), *e);
                }
                pool.extend(
                    refined
                        .into_iter()
                        .take(p.polish_top)
                        .map(|(e, net)| (e, net, "refined grid")),
                );
            }
        }
        let run_exact = match p.search {
            Search::Exact => true,
            Search::Auto => p.widths.len() == 1 && p.widths[0] <= 2 && m <= 2,
            Search::Grid | Search::Train => false,
        };
        if run_exact && let Some(exact) = &self.exact {
            observer.stage("exact-search");
            let n_pts = exact.params().max_points.min(train.len());
            let (xe, ye) = load_rows(&train, n_pts);
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
                    let e = relative(mse(&sol.network, &xv, &yv), var);
                    report.metrics.insert("exact_validation_error".to_owned(), e);
                    pool.push((e, sol.network, "exact ERM"));
                }
                Err(err) if p.search == Search::Auto => {
                    report.notes.push(format!("auto: exact ERM skipped: {err}"));
                }
                Err(err) => return Err(err),
            }
        }
        let (train_x, val_x) = split(src, p.validation_fraction);
        let (xv_full, yv_full) = load_rows(&val_x, val_x.len().min(20_000));
        let full = Holdout {
            train: &train_x,
            x: &xv_full,
            y: &yv_full,
            var: variance(&yv_full),
        };
        // The paper's step: the best network of the search in V (grid or
        // exact ERM), before any Levenberg–Marquardt.
        report.provable_stage_error = pool
            .iter()
            .map(|c| c.0)
            .filter(|e| e.is_finite())
            .min_by(f64::total_cmp);
        let mut best = self.finish(&pool, v.as_ref(), &full, par, observer)?;
        let run_train = match p.search {
            Search::Grid | Search::Exact => false,
            Search::Train => true,
            Search::Auto => {
                let run = best
                    .as_ref()
                    .is_none_or(|b| b.error.is_nan() || b.error > p.train_above);
                if !run {
                    report.notes.push(format!(
                        "auto: the searches reached {:.3e} <= {:.1e}; Adam skipped",
                        best.as_ref().map_or(f64::NAN, |b| b.error),
                        p.train_above
                    ));
                }
                run
            }
        };
        if run_train {
            observer.stage("train-search");
            let fitted = self.gd.fit(&train, seed.derive("ckm-train"), par)?;
            let net = fitted.network().cloned().ok_or(LearnError::Unidentifiable {
                learner: NAME,
                reason: "gd returned no network".to_owned(),
            })?;
            let e = relative(mse(&net, &xv, &yv), var);
            report.metrics.insert("train_validation_error".to_owned(), e);
            report.n_iters = fitted.report.n_iters;
            if let Some(c) = self.finish(&[(e, net, "train")], v.as_ref(), &full, par, observer)?
                && best.as_ref().is_none_or(|b| c.error < b.error)
            {
                best = Some(c);
            }
        }
        let Some(Choice {
            error,
            network: net,
            search,
            subspace_error,
            polish_iters,
        }) = best
        else {
            return Err(LearnError::Unidentifiable {
                learner: NAME,
                reason: "every candidate network had a non-finite validation error".to_owned(),
            });
        };
        report.notes.push(format!("the {search} search gave the answer: validation error {subspace_error:.3e} in the subspace of dimension {m}"));
        let (net, error) = if p.polish {
            observer.stage("final-polish");
            let (polished, pr) = polish_lm(&net, &train_x, &p.final_polish, par)?;
            let e = relative(mse(&polished, &xv_full, &yv_full), variance(&yv_full));
            if e.is_finite() && e <= error {
                report.notes.push(format!(
                    "final polish on up to {} rows: {} iterations, validation error {error:.3e} -> {e:.3e}",
                    train_x.len(),
                    pr.iters
                ));
                (polished, e)
            } else {
                (net, error)
            }
        } else {
            (net, error)
        };
        if p.polish {
            report
                .metrics
                .insert("polish_iters".to_owned(), polish_iters as f64);
            report.notes.push(format!("Levenberg–Marquardt polish in ℝ^{d} of the best {} candidates: {polish_iters} iterations, validation error {error:.3e}", p.polish_top));
        }
        report.validation_error = Some(error);
        report.converged = true;
        Ok(Fitted::from_network(net, report))
    }
}
