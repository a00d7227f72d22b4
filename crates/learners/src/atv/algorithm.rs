//! The runnable ATV learner (see the module docs).

use faer::{Col, ColRef, Mat, MatRef, Par};
use gaussian_moments::hermite::{norm_cdf, norm_pdf};
use gaussian_moments::{Estimator, PopulationMoments, Projected, dense_moments, low_order_moments};
use relu_net::{Network, SampleSource, Seed};
use tensor_decomp::{CpModel, Decomposer, DenseSymTensor, Hints, SymTensor, fit};

use super::AtvParams;
use crate::common::{Rows, check_data, relative_error, split};
use crate::error::LearnError;
use crate::linalg::least_squares;
use crate::polish::polish_lm;
use crate::{Fitted, Learner, Observer, Report};

const NAME: &str = "atv";

/// Step 8 (residual units) runs when the validation error is above this:
/// below it the fit has recovered the network to the precision of the
/// arithmetic.
const RESIDUAL_ABOVE: f64 = 1e-12;

/// The ATV learner with validated parameters and its decomposition backend.
pub struct Atv {
    params: AtvParams,
    decomposer: Box<dyn Decomposer>,
    est: Estimator,
}

impl std::fmt::Debug for Atv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Atv")
            .field("params", &self.params)
            .field("decomposer", &self.decomposer.name())
            .finish()
    }
}

/// The moments of the projected inputs `z = Uᵀ x` that steps 4–6 use.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectedMoments {
    /// `E[y z]` (k).
    pub t1: Col<f64>,
    /// `E[y S_2(z)]`.
    pub t2: DenseSymTensor,
    /// `E[y S_3(z)]`.
    pub t3: DenseSymTensor,
    /// `E[y S_4(z)]`.
    pub t4: DenseSymTensor,
}

impl ProjectedMoments {
    /// The exact projected moments of a depth-2 network (for population
    /// tests): `T_l(U, …, U)` from its CP form.
    ///
    /// # Errors
    /// [`LearnError::Moment`] for networks of another depth.
    pub fn from_population(pop: &PopulationMoments, u: MatRef<'_, f64>) -> Result<Self, LearnError> {
        let project = |l: usize| -> Result<DenseSymTensor, LearnError> {
            let t = pop.tensor(l)?;
            let factors = u.transpose() * t.factors();
            Ok(DenseSymTensor::from_cp(&CpModel::new(
                l,
                t.weights().to_owned(),
                factors,
            )?)?)
        };
        Ok(Self {
            t1: u.transpose() * pop.order1(),
            t2: project(2)?,
            t3: project(3)?,
            t4: project(4)?,
        })
    }
}

/// The choice of step 2.
#[derive(Clone, Debug, PartialEq)]
pub struct SubspaceChoice {
    /// U (d × k), orthonormal columns.
    pub basis: Mat<f64>,
    /// k.
    pub k: usize,
    /// |eigenvalues| of `T_2`, descending.
    pub spectrum: Vec<f64>,
    /// A second, larger k worth a fit of its own (k chosen from the data
    /// only): eigenvalues below `1.5 · noise` that still stand 20 % above
    /// the noise bulk's edge, at most 2 of them. Equal to `k` when there are
    /// none.
    pub extended: usize,
    /// The top of the noise bulk of `T_2`'s spectrum: |eigenvalue| k + 4,
    /// the fourth below the threshold; `None` when d < 2k + 10.
    pub bulk_edge: Option<f64>,
    /// What was decided, in words.
    pub notes: Vec<String>,
    /// The `extended` leading eigenvectors (d × extended).
    pub extended_basis: Mat<f64>,
}

/// Everything steps 4–6 start from.
#[derive(Clone, Debug, PartialEq)]
pub struct AtvMoments {
    /// `E[y]`.
    pub t0: f64,
    /// `E[y x]` (d).
    pub t1: Col<f64>,
    /// The subspace U (d × k).
    pub basis: Mat<f64>,
    /// The moments of `z = Uᵀ x`.
    pub projected: ProjectedMoments,
}

/// A candidate network and how it was made.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// `draw <g₀ draw>, bias <estimator>, <proper|affine>`.
    pub tag: String,
    /// The network.
    pub network: Network,
    /// Units whose sign was not identifiable.
    pub ambiguous_units: usize,
}

/// `T̃ = T_3 + T_4(g₀, ·, ·, ·)`: an order-3 tensor with the factors of both.
struct Mixed<'a> {
    t3: &'a DenseSymTensor,
    t4: &'a DenseSymTensor,
    g0: Col<f64>,
}

impl SymTensor for Mixed<'_> {
    fn dim(&self) -> usize {
        self.t3.dim()
    }
    fn order(&self) -> usize {
        3
    }
    fn contract_to_matrix(&self, vs: &[ColRef<'_, f64>], par: Par) -> Mat<f64> {
        self.t3.contract_to_matrix(vs, par) + self.t4.contract_to_matrix(&[self.g0.as_ref(), vs[0]], par)
    }
    fn contract_to_vector(&self, vs: &[ColRef<'_, f64>], par: Par) -> Col<f64> {
        self.t3.contract_to_vector(vs, par)
            + self.t4.contract_to_vector(&[self.g0.as_ref(), vs[0], vs[1]], par)
    }
}

/// The bias estimators of step 5.
const ESTIMATORS: [&str; 3] = ["order3", "order4", "blend"];

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

    /// Step 2: the subspace of the k eigenvectors of `T_2` with the largest
    /// |eigenvalue|; k from the parameters or from the spectral gap above
    /// `1.5 · noise`. Returns `(U, k, |eigenvalues| descending, notes)`.
    ///
    /// # Errors
    /// [`LearnError::HiddenTooLarge`] for k > d, [`LearnError::Unidentifiable`]
    /// when no eigenvalue stands above the noise.
    pub fn subspace(&self, t2: MatRef<'_, f64>, noise: f64) -> Result<SubspaceChoice, LearnError> {
        let d = t2.nrows();
        if let Some(k) = self.params.hidden.filter(|&k| k > d) {
            return Err(LearnError::HiddenTooLarge {
                learner: NAME,
                hidden: k,
                dim: d,
                max: d,
            });
        }
        let (vecs, values) = fit::top_eigen(t2, d)?;
        let mags: Vec<f64> = values.iter().map(|v| v.abs()).collect();
        let floor = 1.5 * noise;
        let above = mags.iter().take_while(|&&m| m > floor).count();
        let mut notes = Vec::new();
        let k = match self.params.hidden {
            Some(k) => {
                if mags[k - 1] <= floor {
                    notes.push(format!(
                        "eigenvalue {k} of T2 ({:.3e}) is within 1.5x its noise level {noise:.3e}: some units may not be identifiable",
                        mags[k - 1]
                    ));
                }
                k
            }
            None => {
                if above == 0 {
                    return Err(LearnError::Unidentifiable {
                        learner: NAME,
                        reason: format!(
                            "no eigenvalue of the second moment stands above 1.5x its noise level {noise:.3e}"
                        ),
                    });
                }
                // Every eigenvalue that stands above the noise bulk is a unit:
                // k is where the spectrum drops below 1.5x the noise level (the
                // Wigner estimate is conservative: measured noise eigenvalues sit
                // at about 0.4x it).
                let k = above;
                let next = mags.get(k).copied().unwrap_or(0.0);
                notes.push(format!(
                    "chose k = {k}: eigenvalues of T2 above 1.5x the noise level {noise:.3e} (gap |λ_k|/|λ_k+1| = {:.3e})",
                    mags[k - 1] / next.max(f64::MIN_POSITIVE)
                ));
                k
            }
        };
        // The top of the noise bulk: the fourth eigenvalue below the
        // threshold (at most three units are taken to hide between the bulk
        // and 1.5x the noise). Noise eigenvalues near the edge lie within a
        // few per cent of each other (measured 0.77..0.88x the noise level at
        // d = 100), a unit there stands apart.
        let bulk_edge = (d >= 2 * k + 10).then(|| mags[k + 3]);
        let extended = match (self.params.hidden, bulk_edge) {
            (None, Some(edge)) => {
                let more = mags[k..].iter().take_while(|&&m| m > 1.2 * edge).count();
                k + more.min(2).min(d - k)
            }
            _ => k,
        };
        if extended > k {
            notes.push(format!(
                "eigenvalue(s) {}..={extended} of T2 lie between the noise bulk's edge {:.3e} and 1.5x the noise level: a second fit with k = {extended} is tried",
                k + 1,
                bulk_edge.unwrap_or(0.0)
            ));
        }
        let basis = Mat::from_fn(d, k, |i, j| vecs[(i, j)]);
        let extended_basis = Mat::from_fn(d, extended, |i, j| vecs[(i, j)]);
        Ok(SubspaceChoice {
            basis,
            k,
            spectrum: mags,
            extended,
            bulk_edge,
            notes,
            extended_basis,
        })
    }

    /// Steps 4–6: candidate networks from the moments.
    ///
    /// # Errors
    /// [`LearnError::Unidentifiable`] if every decomposition fails.
    pub fn candidates(
        &self,
        m: &AtvMoments,
        seed: Seed,
        par: Par,
        report: &mut Report,
    ) -> Result<Vec<Candidate>, LearnError> {
        let mut out = Vec::new();
        let mut failures = Vec::new();
        self.draws(
            self.decomposer.as_ref(),
            m,
            seed,
            par,
            report,
            &mut out,
            &mut failures,
        );
        // A fallback across backends: when every draw of the chosen backend
        // fails (Jennrich's pencil can return collinear factors at large k),
        // the other backends get the same draws before atv gives up.
        if out.is_empty() {
            // ALS first, with one start and 50 sweeps (on noisy moment tensors
            // its default tolerance is never met, and 5 × 1000 sweeps per draw
            // took minutes at d = 100, k = 20), then the power method, then
            // Jennrich with atv's contraction count.
            let fallbacks: Vec<(&str, Box<dyn Decomposer>)> = vec![
                (
                    "als",
                    Box::new(
                        tensor_decomp::AlsParams {
                            restarts: 1,
                            max_iters: 50,
                            ..tensor_decomp::AlsParams::default()
                        }
                        .validate()?,
                    ),
                ),
                ("tensor-power", Box::new(tensor_decomp::TensorPower::default())),
                (
                    "jennrich",
                    Box::new(
                        tensor_decomp::JennrichParams {
                            n_draws: super::params::JENNRICH_DRAWS,
                            ..tensor_decomp::JennrichParams::default()
                        }
                        .validate()?,
                    ),
                ),
            ];
            for (id, backend) in fallbacks.iter().filter(|(id, _)| *id != self.decomposer.name()) {
                let before = failures.len();
                self.draws(
                    backend.as_ref(),
                    m,
                    seed.derive(id),
                    par,
                    report,
                    &mut out,
                    &mut failures,
                );
                if !out.is_empty() {
                    report.notes.push(format!(
                        "every {} draw failed; the {id} backend recovered candidates ({} of its draws failed)",
                        self.decomposer.name(),
                        failures.len() - before
                    ));
                    report.metrics.insert("fallback_backend".to_owned(), 1.0);
                    break;
                }
            }
        }
        if out.is_empty() {
            let noise_note = report
                .notes
                .iter()
                .find(|n| n.contains("within"))
                .map_or(String::new(), |n| format!("; {n}"));
            return Err(LearnError::Unidentifiable {
                learner: NAME,
                reason: format!(
                    "all {} decompositions failed (first: {}){noise_note}",
                    failures.len(),
                    failures.first().map_or("none", String::as_str)
                ),
            });
        }
        report.notes.extend(failures);
        Ok(out)
    }

    /// The `mix_draws` decompositions of one backend (steps 4–6), appending
    /// candidates to `out` and failures to `failures`.
    #[allow(clippy::too_many_arguments)]
    fn draws(
        &self,
        decomposer: &dyn Decomposer,
        m: &AtvMoments,
        seed: Seed,
        par: Par,
        report: &mut Report,
        out: &mut Vec<Candidate>,
        failures: &mut Vec<String>,
    ) {
        let (t0, t1, u, proj) = (m.t0, m.t1.as_ref(), m.basis.as_ref(), &m.projected);
        let k = u.ncols();
        let reference = proj.t2.contract_to_matrix(&[], par);
        let mut rng = seed.derive("atv-mix").rng();
        for draw in 0..self.params.mix_draws {
            let g0 = unit(&mut rng, k);
            let mixed = Mixed {
                t3: &proj.t3,
                t4: &proj.t4,
                g0,
            };
            let hints = Hints {
                reference: Some(reference.as_ref()),
            };
            let decomposition =
                decomposer.decompose(&mixed, k, &hints, seed.derive_index(draw as u64).0, par);
            let (cp, rep) = match decomposition {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("draw {draw}: {e}"));
                    continue;
                }
            };
            report
                .series
                .insert(format!("draw{draw}_eigengaps"), rep.eigengaps.clone());
            report
                .metrics
                .insert(format!("draw{draw}_decomposition_residual"), rep.residual);
            if !rep.converged {
                report.notes.push(format!(
                    "draw {draw}: the {} decomposition did not converge ({})",
                    rep.backend,
                    rep.notes.join("; ")
                ));
            }
            match self.recover(t0, t1, u, proj, cp.factors(), draw, seed, par, report) {
                Ok(mut c) => out.append(&mut c),
                Err(e) => failures.push(format!("draw {draw}: {e}")),
            }
        }
    }

    /// Step 5–6 for one set of factors `v` (k × k, in z-coordinates).
    #[allow(clippy::too_many_arguments)]
    fn recover(
        &self,
        t0: f64,
        t1: ColRef<'_, f64>,
        u: MatRef<'_, f64>,
        proj: &ProjectedMoments,
        v: MatRef<'_, f64>,
        draw: usize,
        seed: Seed,
        par: Par,
        report: &mut Report,
    ) -> Result<Vec<Candidate>, LearnError> {
        let k = u.ncols();
        let mut rng = seed.derive("atv-probes").derive_index(draw as u64).rng();
        let probes: Vec<Col<f64>> = (0..4).map(|_| unit(&mut rng, k)).collect();
        let a2 = fit::fit_weights(&proj.t2, v, &probes, par)?;
        let a3 = fit::fit_weights(&proj.t3, v, &probes, par)?;
        let a4 = fit::fit_weights(&proj.t4, v, &probes, par)?;
        let c1 = least_squares(v, &proj.t1).ok_or(LearnError::Unidentifiable {
            learner: NAME,
            reason: "the recovered directions are collinear".to_owned(),
        })?;
        let scale = (0..k).map(|i| a2[i].abs()).fold(0.0, f64::max);
        let max_bias = self.params.max_bias;
        let plausible = |b: f64| b.is_finite() && b.abs() <= max_bias;
        let (mut t3_est, mut t4_est) = (Vec::new(), Vec::new());
        let mut out = Vec::new();
        for (e, estimator) in ESTIMATORS.iter().enumerate() {
            let mut units: Vec<Unit> = Vec::new();
            for i in 0..k {
                if a2[i].abs() <= 1e-12 * scale {
                    if e == 0 {
                        report.notes.push(format!(
                            "draw {draw}: unit {i} has no weight in T2 and is dropped"
                        ));
                    }
                    continue;
                }
                let t = -(3f64).sqrt() * a3[i] / a2[i];
                let q = 1.0 + (12f64).sqrt() * a4[i] / a2[i];
                let from4 = if q >= 0.0 { t.signum() * q.sqrt() } else { f64::NAN };
                if e == 0 {
                    t3_est.push(t);
                    t4_est.push(from4);
                }
                let wanted = match e {
                    0 => t,
                    1 => from4,
                    _ if t.abs() < 0.5 => t,
                    _ => from4,
                };
                let tau = if plausible(wanted) {
                    wanted
                } else if plausible(t) {
                    t
                } else if plausible(from4) {
                    from4
                } else {
                    t.clamp(-max_bias, max_bias)
                };
                if !plausible(wanted) {
                    report.notes.push(format!("draw {draw}, bias {estimator}: unit {i}: implausible estimate {wanted:.3e}, using {tau:.3e}"));
                }
                let a = std::f64::consts::SQRT_2 * a2[i] / norm_pdf(tau);
                let (plus, minus) = (a * norm_cdf(tau), a * (norm_cdf(tau) - 1.0));
                let sign = if (c1[i] - plus).abs() <= (c1[i] - minus).abs() {
                    1.0
                } else {
                    -1.0
                };
                let ambiguous = (c1[i] - a * (norm_cdf(tau) - 0.5)).abs() < 0.25 * a.abs();
                units.push(Unit {
                    factor: i,
                    sign,
                    tau,
                    a,
                    ambiguous,
                });
            }
            let ambiguous = units.iter().filter(|x| x.ambiguous).count();
            let tag = format!("draw {draw}, bias {estimator}");
            out.push(Candidate {
                tag: format!("{tag}, proper"),
                network: assemble(&units, v, u, t0, None)?,
                ambiguous_units: ambiguous,
            });
            if ambiguous > 0 {
                // Low-error mode: ambiguous units keep the factor as found
                // (s = +1), and the affine difference goes into two units.
                let relaxed: Vec<Unit> = units
                    .iter()
                    .map(|x| Unit {
                        sign: if x.ambiguous { 1.0 } else { x.sign },
                        ..*x
                    })
                    .collect();
                out.push(Candidate {
                    tag: format!("{tag}, affine"),
                    network: assemble(&relaxed, v, u, t0, Some(t1))?,
                    ambiguous_units: ambiguous,
                });
                if let Some(resolved) = resolve_signs(&relaxed, v, u, t1) {
                    out.push(Candidate {
                        tag: format!("{tag}, resolved"),
                        network: assemble(&resolved, v, u, t0, None)?,
                        ambiguous_units: 0,
                    });
                }
            }
        }
        report.series.insert(format!("draw{draw}_bias_order3"), t3_est);
        report.series.insert(format!("draw{draw}_bias_order4"), t4_est);
        Ok(out)
    }
}

/// A recovered unit: factor column, its sign s, `τ = s b`, output weight,
/// and whether the first moment could resolve s.
#[derive(Clone, Copy, Debug)]
struct Unit {
    factor: usize,
    sign: f64,
    tau: f64,
    a: f64,
    ambiguous: bool,
}

/// A random unit vector of ℝ^k.
fn unit(rng: &mut rand::rngs::ChaCha8Rng, k: usize) -> Col<f64> {
    tensor_decomp::fit::random_unit(rng, k)
}

/// Reads the signs of ambiguous units off the affine correction: since
/// `a relu(z) = a relu(−z) + a z`, flipping the units of a set S changes the
/// function by `−Σ_{i∈S} a_i (⟨w_i, x⟩ + b_i)`, so the correction
/// `c = T_1 − Σ a Φ(b) w` should equal `Σ λ_i a_i w_i` with `λ_i ∈ {0, −1}`
/// (flip where −1). Solves for λ by least squares over the units and
/// accepts when every λ is within 0.25 of 0 or −1 (and those near −1 are
/// ambiguous units); returns the units with those signs flipped.
fn resolve_signs(
    units: &[Unit],
    v: MatRef<'_, f64>,
    u: MatRef<'_, f64>,
    t1: ColRef<'_, f64>,
) -> Option<Vec<Unit>> {
    let d = u.nrows();
    let rows: Vec<Col<f64>> = units
        .iter()
        .map(|x| faer::Scale(x.sign) * (u * v.col(x.factor)))
        .collect();
    let mut c = t1.to_owned();
    for (row, x) in rows.iter().zip(units) {
        c -= faer::Scale(x.a * norm_cdf(x.sign * x.tau)) * row;
    }
    let basis = Mat::from_fn(d, units.len(), |j, i| units[i].a * rows[i][j]);
    let lambda = least_squares(basis.as_ref(), &c)?;
    let mut out = units.to_vec();
    for (i, x) in out.iter_mut().enumerate() {
        let l = lambda[i];
        if l.abs() <= 0.25 {
            continue;
        }
        if (l + 1.0).abs() <= 0.25 && x.ambiguous {
            x.sign = -x.sign;
        } else {
            return None;
        }
    }
    Some(out)
}

/// The network of the units (direction `s v` lifted by U, bias `s τ`,
/// output weight a) with the output bias from `T_0`; with `affine =
/// Some(T_1)`, plus the two units of the affine correction
/// `⟨T_1 − Σ a Φ(b) w, x⟩`.
fn assemble(
    units: &[Unit],
    v: MatRef<'_, f64>,
    u: MatRef<'_, f64>,
    t0: f64,
    affine: Option<ColRef<'_, f64>>,
) -> Result<Network, LearnError> {
    let d = u.nrows();
    let mut rows: Vec<Col<f64>> = units
        .iter()
        .map(|x| faer::Scale(x.sign) * (u * v.col(x.factor)))
        .collect();
    let mut b: Vec<f64> = units.iter().map(|x| x.sign * x.tau).collect();
    let mut a: Vec<f64> = units.iter().map(|x| x.a).collect();
    let c = t0
        - b.iter()
            .zip(&a)
            .map(|(bi, ai)| ai * (bi * norm_cdf(*bi) + norm_pdf(*bi)))
            .sum::<f64>();
    if let Some(t1) = affine {
        let mut cv = t1.to_owned();
        for (row, (bi, ai)) in rows.iter().zip(b.iter().zip(&a)) {
            cv -= faer::Scale(ai * norm_cdf(*bi)) * row;
        }
        let n = cv.norm_l2();
        if n > 0.0 {
            let dir = Col::from_fn(d, |j| cv[j] / n);
            let neg = Col::from_fn(d, |j| -dir[j]);
            rows.push(dir);
            rows.push(neg);
            b.extend([0.0, 0.0]);
            a.extend([n, -n]);
        }
    }
    let k = rows.len();
    let w = Mat::from_fn(k, d, |i, j| rows[i][j]);
    Ok(Network::depth2(
        w.as_ref(),
        Col::from_fn(k, |i| b[i]).as_ref(),
        Col::from_fn(k, |i| a[i]).as_ref(),
        c,
    )?)
}

impl Atv {
    /// Steps 3–7 in the subspace `u` (d × k): projected moments, candidates,
    /// validation, polish and the return to k units; returns the network
    /// and its validation error.
    #[allow(clippy::too_many_arguments)]
    fn fit_in_subspace(
        &self,
        train: &Rows<'_>,
        val: &Rows<'_>,
        low: &gaussian_moments::LowOrderMoments,
        u: Mat<f64>,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
        report: &mut Report,
    ) -> Result<(Network, f64), LearnError> {
        let k = u.ncols();
        observer.stage("projected-moments");
        let projected = Projected::new(train, u.as_ref())?;
        let dense = dense_moments(&projected, 4, &self.est, par)?;
        let proj = ProjectedMoments {
            t1: Col::from_fn(k, |i| dense[1].mean[i]),
            t2: DenseSymTensor::new(2, k, dense[2].mean.clone())?,
            t3: DenseSymTensor::new(3, k, dense[3].mean.clone())?,
            t4: DenseSymTensor::new(4, k, dense[4].mean.clone())?,
        };
        observer.stage("decomposition");
        let moments = AtvMoments {
            t0: low.t0.mean,
            t1: low.t1.mean.clone(),
            basis: u,
            projected: proj,
        };
        let candidates = self.candidates(&moments, seed, par, report)?;
        observer.stage("validation");
        let mut scored: Vec<(f64, Candidate)> = candidates
            .into_iter()
            .map(|c| relative_error(&c.network, val, par).map(|e| (e, c)))
            .collect::<Result<_, _>>()?;
        scored.sort_by(|a, b| a.0.total_cmp(&b.0));
        report.series.insert(
            "candidate_validation_errors".to_owned(),
            scored.iter().map(|s| s.0).collect(),
        );
        // A proper network (k units) within a factor 2 of the best candidate
        // is preferred to an affine one (k + 2 units): the polish then starts
        // from identifiable parameters.
        let best_error = scored[0].0;
        let pick = scored
            .iter()
            .position(|(e, c)| !c.tag.ends_with("affine") && *e <= 2.0 * best_error)
            .unwrap_or(0);
        let (moment_error, best) = scored.swap_remove(pick);
        report.provable_stage_error = Some(moment_error);
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
        let mut network = best.network;
        let mut final_error = moment_error;
        if self.params.polish {
            observer.stage("polish");
            let (polished, pr) = polish_lm(&network, train, &self.params.polish_params, par)?;
            let polished_error = relative_error(&polished, val, par)?;
            report.metrics.insert("polish_iters".to_owned(), pr.iters as f64);
            report
                .metrics
                .insert("polish_loss_before".to_owned(), pr.loss_before);
            report
                .metrics
                .insert("polish_loss_after".to_owned(), pr.loss_after);
            report.n_iters = pr.iters;
            if polished_error <= moment_error {
                report.notes.push(format!(
                    "polish (Levenberg–Marquardt, {} iterations) kept: validation error {polished_error:.3e}",
                    pr.iters
                ));
                network = polished;
                final_error = polished_error;
            } else {
                report.notes.push(format!(
                    "polish discarded: validation error {polished_error:.3e} > {moment_error:.3e}"
                ));
            }
            report.converged = pr.converged;
        } else {
            report.converged = true;
        }
        if network.as_depth2().map(|p| p.w.nrows()).unwrap_or(0) == k + 2 {
            observer.stage("simplify");
            let rows = super::simplify::Judge { train, val, par };
            (network, final_error) = self.simplify(network, final_error, k, &rows, report)?;
        }
        Ok((network, final_error))
    }
}

impl Atv {
    /// Step 2's decision in the report: k, the noise level, the bulk's
    /// edge, the spectrum and, with k chosen, the rule that chose it.
    fn report_subspace(&self, choice: &SubspaceChoice, noise: f64, report: &mut Report) {
        let k = choice.k;
        report.notes.extend(choice.notes.iter().cloned());
        report.metrics.insert("k".to_owned(), k as f64);
        report.metrics.insert("t2_noise".to_owned(), noise);
        if let Some(edge) = choice.bulk_edge {
            report.metrics.insert("t2_bulk_edge".to_owned(), edge);
        }
        report.series.insert(
            "t2_spectrum".to_owned(),
            choice.spectrum.iter().copied().take(3 * k + 2).collect(),
        );
        if self.params.hidden.is_none() {
            report.chosen.insert(
                "hidden".to_owned(),
                format!("{k}: the eigenvalues of T2 above 1.5x its noise level {noise:.3e}"),
            );
        }
    }

    /// Steps 3–7 with the chosen k and, when step 2 found eigenvalues
    /// between the noise bulk and the threshold, again with them: the
    /// larger network is kept only if it halves the validation error.
    /// Returns the network, its validation error and the report of the fit
    /// that was kept.
    fn fit_chosen_and_extended(
        &self,
        rows: &super::simplify::Judge<'_>,
        low: &gaussian_moments::LowOrderMoments,
        choice: &SubspaceChoice,
        seed: Seed,
        observer: &mut dyn Observer,
        start: Report,
    ) -> Result<(Network, f64, Report), LearnError> {
        let (train, val, par) = (rows.train, rows.val, rows.par);
        let k = choice.k;
        let mut report = start.clone();
        let (network, final_error) = self.fit_in_subspace(
            train,
            val,
            low,
            choice.basis.clone(),
            seed,
            par,
            observer,
            &mut report,
        )?;
        if choice.extended <= k {
            return Ok((network, final_error, report));
        }
        let k_ext = choice.extended;
        let mut extended = start;
        let result = self.fit_in_subspace(
            train,
            val,
            low,
            choice.extended_basis.clone(),
            seed.derive("atv-extended"),
            par,
            observer,
            &mut extended,
        );
        match result {
            Ok((net, e)) if e < 0.5 * final_error => {
                extended.notes.push(format!(
                    "kept the fit with k = {k_ext}: validation error {e:.3e} against {final_error:.3e} with k = {k}"
                ));
                extended.metrics.insert("k".to_owned(), k_ext as f64);
                extended.chosen.insert(
                    "hidden".to_owned(),
                    format!("{k_ext}: {k} eigenvalues of T2 above 1.5x its noise level, and {} more above the noise bulk whose fit halved the validation error", k_ext - k),
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
        rows: &super::simplify::Judge<'_>,
        report: &mut Report,
    ) -> Result<(Network, f64), LearnError> {
        let k_now = network.as_depth2().map(|p| p.w.nrows()).unwrap_or(0);
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

    /// With k chosen and nothing found in the residual: how many samples
    /// would lift eigenvalue k + 1 above the threshold, if it stands above
    /// the noise bulk (the noise level falls as 1/√n, so
    /// `n · (1.5 noise / λ_{k+1})²`).
    fn note_next_eigenvalue(&self, choice: &SubspaceChoice, noise: f64, n: usize, report: &mut Report) {
        let k = choice.k;
        let found_more = report.metrics.get("residual_units").is_some_and(|&m| m > 0.0);
        if self.params.hidden.is_none()
            && !found_more
            && let Some(&next) = choice.spectrum.get(k)
            && next > 1.2 * choice.bulk_edge.unwrap_or(f64::INFINITY)
            && next <= 1.5 * noise
        {
            let needed = n as f64 * (1.5 * noise / next).powi(2);
            report.notes.push(format!(
                "eigenvalue {} of T2 ({next:.3e}) stands above the noise bulk but within 1.5x the noise level: if it is a unit, about {needed:.2e} samples would separate it",
                k + 1
            ));
            report
                .metrics
                .insert("samples_to_separate_next".to_owned(), needed);
        }
    }
}

impl Learner for Atv {
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
        check_data(NAME, src, 2000.max(20 * (d + k_hint * k_hint)), par)?;
        let (train, held_out) = split(src, self.params.validation_fraction);
        let val = Rows::new(&held_out, 0, held_out.len().min(self.params.max_validation));
        let rows = super::simplify::Judge {
            train: &train,
            val: &val,
            par,
        };
        let mut report = Report {
            learner: NAME.to_owned(),
            samples_used: src.len(),
            ..Report::default()
        };
        observer.stage("moments");
        let low = low_order_moments(&train, &self.est, par)?;
        let noise = crate::linalg::wigner_noise(&low.t2);
        let choice = self.subspace(low.t2.mean.as_ref(), noise)?;
        self.report_subspace(&choice, noise, &mut report);
        let (mut network, mut error, mut report) =
            self.fit_chosen_and_extended(&rows, &low, &choice, seed, observer, report)?;
        if self.params.polish && self.params.residual_units > 0 && error > RESIDUAL_ABOVE {
            observer.stage("residual");
            (network, error) = self.residual_units(network, error, choice.k, &rows, &mut report)?;
        }
        self.note_next_eigenvalue(&choice, noise, src.len(), &mut report);
        report.validation_error = Some(error);
        Ok(Fitted::from_network(network, report))
    }
}
