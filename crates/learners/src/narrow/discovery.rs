//! Step 4 of narrow: iterative neuron discovery — features
//! `[1, z, |⟨v_j, z⟩| …]` of the projected inputs `z = Vᵀx` fitted by least
//! squares, the candidate that most lowers the residual added while the
//! validation error improves, and in V of dimension ≤ 3 the papers' brute
//! force over subsets of a net.

use faer::{Col, Mat, MatRef};
use rand::rngs::ChaCha8Rng;
use relu_net::SampleSource;

use super::algorithm::NAME;
use super::candidates::coarse_net;
use crate::Report;
use crate::common::Rows;
use crate::error::LearnError;
use crate::linalg::solve_psd;

/// Loads the first `n` rows of a source and projects them: `(X V, y)`.
fn load_projected(src: &dyn SampleSource, n: usize, v: MatRef<'_, f64>) -> (Mat<f64>, Col<f64>) {
    let (x, y) = crate::common::load_rows(src, n);
    (&x * v, y)
}

/// Features `[1, z, |⟨v_j, z⟩| …]` of projected inputs.
fn features(z: MatRef<'_, f64>, dirs: &[Col<f64>]) -> Mat<f64> {
    let (n, m) = (z.nrows(), z.ncols());
    let mut f = Mat::zeros(n, 1 + m + dirs.len());
    for i in 0..n {
        f[(i, 0)] = 1.0;
        for j in 0..m {
            f[(i, 1 + j)] = z[(i, j)];
        }
    }
    for (c, v) in dirs.iter().enumerate() {
        let p = z * v;
        for i in 0..n {
            f[(i, 1 + m + c)] = p[i].abs();
        }
    }
    f
}

/// The features of discovery: [`features`], and with `quadratic` the
/// degree-2 monomials `z_a z_b` (a ≤ b) inserted after the linear part, so
/// that candidates are scored on what the quadratic polynomials of z do not
/// explain (see [`DiscoverySettings::quadratic`]).
fn design(z: MatRef<'_, f64>, dirs: &[Col<f64>], quadratic: bool) -> Mat<f64> {
    let base = features(z, dirs);
    if !quadratic {
        return base;
    }
    let (n, m) = (z.nrows(), z.ncols());
    let pairs: Vec<(usize, usize)> = (0..m).flat_map(|a| (a..m).map(move |b| (a, b))).collect();
    let lead = 1 + m;
    Mat::from_fn(n, base.ncols() + pairs.len(), |i, j| {
        if j < lead {
            base[(i, j)]
        } else if j < lead + pairs.len() {
            let (a, b) = pairs[j - lead];
            z[(i, a)] * z[(i, b)]
        } else {
            base[(i, j - pairs.len())]
        }
    })
}

/// Least-squares coefficients of y on the features (tiny ridge).
fn least_squares(f: MatRef<'_, f64>, y: &Col<f64>) -> Option<Col<f64>> {
    let ftf = f.transpose() * f;
    let fty = f.transpose() * y;
    solve_psd(ftf.as_ref(), &fty, 1e-12)
}

/// Mean squared residual of `f β` against y, relative to Var(y).
pub(super) fn relative_mse(f: MatRef<'_, f64>, beta: &Col<f64>, y: &Col<f64>) -> f64 {
    let pred = f * beta;
    let n = y.nrows().max(1) as f64;
    let mse = (0..y.nrows()).map(|i| (pred[i] - y[i]).powi(2)).sum::<f64>() / n;
    crate::common::relative(mse, crate::common::variance(y))
}

/// The projected fitting and validation rows of step 4.
pub(super) struct Projections {
    /// `X V` of the fitting rows.
    z: Mat<f64>,
    /// Their labels.
    y: Col<f64>,
    /// `X V` of the validation rows.
    zv: Mat<f64>,
    /// Their labels.
    yv: Col<f64>,
}

impl Projections {
    /// The first `rows` training and validation rows, projected on V.
    pub(super) fn load(train: &Rows<'_>, val: &Rows<'_>, rows: usize, v: MatRef<'_, f64>) -> Self {
        let n_fit = train.len().min(rows);
        let (z, y) = load_projected(&Rows::new(train, 0, n_fit), n_fit, v);
        let n_val = val.len().min(rows);
        let (zv, yv) = load_projected(&Rows::new(val, 0, n_val), n_val, v);
        Self { z, y, zv, yv }
    }
}

/// What discovery found: directions in V, the least-squares coefficients
/// `[c, b_lin (m), μ_j …]` and the validation error of the |·| model.
pub(super) struct Discovery {
    /// The chosen directions (unit vectors of V).
    pub dirs: Vec<Col<f64>>,
    /// The coefficients.
    pub beta: Col<f64>,
    /// The validation error.
    pub val_error: f64,
}

/// Candidates are scored in blocks of this many columns.
const BLOCK: usize = 256;

/// Scores candidate directions against fixed features: for the features
/// `fs` on the scoring rows `zs` and the residual `resid` of their
/// least-squares fit, adding Φ = |Z C| lowers the residual sum of squares
/// by (rᵀφ)² / ‖φ⊥‖², ‖φ⊥‖² = ‖φ‖² − gᵀ(FᵀF)⁻¹g, g = Fᵀφ (r is orthogonal
/// to F after the fit), computed with matrix products. (FᵀF)⁻¹ is formed
/// once, and serves every call while the features stay the same (a whole
/// refinement).
struct Scorer<'a> {
    zs: MatRef<'a, f64>,
    fs: MatRef<'a, f64>,
    resid: &'a Col<f64>,
    ftf_inv: Mat<f64>,
}

impl<'a> Scorer<'a> {
    /// `None` when FᵀF is singular (then nothing can be scored).
    fn new(zs: MatRef<'a, f64>, fs: MatRef<'a, f64>, resid: &'a Col<f64>) -> Option<Self> {
        let ftf = fs.transpose() * fs;
        let pdim = ftf.nrows();
        let ftf_inv = (0..pdim)
            .map(|j| {
                solve_psd(
                    ftf.as_ref(),
                    &Col::from_fn(pdim, |i| if i == j { 1.0 } else { 0.0 }),
                    1e-12,
                )
            })
            .collect::<Option<Vec<Col<f64>>>>()
            .map(|cols| Mat::from_fn(pdim, pdim, |i, j| cols[j][i]))?;
        Some(Self {
            zs,
            fs,
            resid,
            ftf_inv,
        })
    }

    /// `(score, index)` of every candidate not within `cos_limit` of a
    /// chosen direction (up to sign) and not (numerically) in the span of
    /// the features.
    fn scores(&self, candidates: &[Col<f64>], dirs: &[Col<f64>], cos_limit: f64) -> Vec<(f64, usize)> {
        let m = self.zs.ncols();
        let mut out: Vec<(f64, usize)> = Vec::new();
        for start in (0..candidates.len()).step_by(BLOCK) {
            crate::cancel::checkpoint();
            let block = &candidates[start..(start + BLOCK).min(candidates.len())];
            let c = Mat::from_fn(m, block.len(), |i, j| block[j][i]);
            let mut phi = self.zs * &c;
            for j in 0..phi.ncols() {
                let col = phi
                    .col_mut(j)
                    .try_as_col_major_mut()
                    .expect("owned matrix")
                    .as_slice_mut();
                col.iter_mut().for_each(|v| *v = v.abs());
            }
            let g = self.fs.transpose() * &phi;
            let a = &self.ftf_inv * &g;
            let corr = self.resid.transpose() * &phi;
            for (j, cand) in block.iter().enumerate() {
                if dirs.iter().any(|dj| (dj.transpose() * cand).abs() >= cos_limit) {
                    continue;
                }
                let norm2 = phi.col(j).squared_norm_l2();
                let perp = norm2 - g.col(j).transpose() * a.col(j);
                if perp.is_nan() || perp <= 1e-12 * norm2 {
                    continue;
                }
                let score = corr[j] * corr[j] / perp;
                if score.is_finite() {
                    out.push((score, start + j));
                }
            }
        }
        out
    }

    /// The candidate of [`Scorer::scores`] with the highest score.
    fn best(&self, candidates: &[Col<f64>], dirs: &[Col<f64>], cos_limit: f64) -> Option<usize> {
        self.scores(candidates, dirs, cos_limit)
            .into_iter()
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, idx)| idx)
    }
}

/// Candidates refined per added direction (see `Scoring::add_best`).
const STARTS: usize = 8;

/// The largest exclusion zone around a chosen direction (radians; see
/// [`discover`]).
const MAX_EXCLUSION: f64 = 0.2;

/// The refinement starts at most at this scale (radians), even when the
/// net is coarser (m large: the covering angle approaches π/2).
const MAX_REFINE_SCALE: f64 = 0.5;

/// Below this angle (radians) the multi-scale refinement stops.
const FINEST_SCALE: f64 = 1e-4;

/// Step 4's multi-scale refinement of one direction (CDGKM's net at finer
/// and finer resolution, around what the coarse net found): a pattern
/// search over the local nets ([`super::net::local_net`]) around `u` at
/// scale s, moving to the best point (by the residual sum of squares it
/// removes, as the [`Scorer`] of the other directions' features scores
/// it) and halving s when the centre is best, from `start`
/// down to [`FINEST_SCALE`].
fn refine(
    scorer: &Scorer<'_>,
    mut u: Col<f64>,
    (others, cos_limit): (&[Col<f64>], f64),
    start: f64,
) -> Col<f64> {
    let mut s = start.clamp(FINEST_SCALE, MAX_REFINE_SCALE);
    let mut moves = 0;
    while s > FINEST_SCALE && moves < 200 {
        let local = super::net::local_net(&u, s);
        match scorer.best(&local, others, cos_limit) {
            Some(j) if j > 0 => {
                u = local[j].clone();
                moves += 1;
            }
            _ => s /= 2.0,
        }
    }
    u
}

/// How step 4 searches: at most k directions, the merge angle
/// `resolution`, the least relative gain `min_improvement`, and the net's
/// covering angle (the first scale of the refinement).
pub(super) struct DiscoverySettings {
    /// Largest number of directions.
    pub k: usize,
    /// Directions closer than this (radians, up to sign) are merged.
    pub resolution: f64,
    /// A new direction must lower the validation error by this fraction.
    pub min_improvement: f64,
    /// The covering angle of the net among the candidates.
    pub net_angle: f64,
    /// Whether the degree-2 polynomials of z are free features while
    /// directions are chosen (the coefficients are refitted without them at
    /// the end). A single |⟨u, x⟩| carries a large degree-2 Hermite part;
    /// when y has none (parity of signs: every degree below 4 vanishes) that
    /// part only adds variance, and a true direction explains 1.4 % of the
    /// labels, no more than many wrong ones; with the quadratics free it
    /// explains 11 %.
    pub quadratic: bool,
}

/// The scoring rows' residual of the least-squares fit `fs β`.
fn residual(y: &Col<f64>, fs: MatRef<'_, f64>, beta: &Col<f64>) -> Col<f64> {
    Col::from_fn(fs.nrows(), |i| y[i]) - fs * beta
}

/// Step 4, CDGKM's iterative neuron discovery over the net, at several
/// scales. From the linear features alone:
/// 1. the candidate (net point or moment eigenvector) outside the chosen
///    directions' exclusion zones (twice the net's covering angle, at most
///    [`MAX_EXCLUSION`]) that removes the most residual sum of squares on
///    the first 10 000 fitting rows is refined by [`refine`] from the net's
///    covering angle down to [`FINEST_SCALE`], and added while fewer than k
///    directions are chosen and the validation error falls by at least the
///    fraction `min_improvement`; units inside a zone are collapsed into
///    its direction (one direction with their summed weight);
/// 2. when no candidate pays, the chosen directions are refined jointly
///    (each with the others fixed), then the collapsed groups are resolved
///    at finer scale: around each chosen direction, the best point of the
///    local nets at twice the covering angle, the angle, half of it, … down
///    to 4 `resolution` is refined and added if it pays as in 1, and the
///    search goes on;
/// 3. each direction is refined once more with the others fixed.
///
/// Records the validation errors along the way (`discovery_validation_errors`)
/// and how many directions came from resolving a group (`resolved_close_units`).
///
/// # Errors
/// [`LearnError::Unidentifiable`] when the linear features are collinear.
pub(super) fn discover(
    rows: &Projections,
    candidates: &[Col<f64>],
    settings: &DiscoverySettings,
    report: &mut Report,
) -> Result<Discovery, LearnError> {
    let DiscoverySettings {
        k,
        resolution,
        min_improvement,
        net_angle,
        quadratic,
    } = *settings;
    let score_rows = rows.z.nrows().min(10_000);
    let ctx = Scoring {
        rows,
        zs: rows.z.as_ref().subrows(0, score_rows),
        ys: Col::from_fn(score_rows, |i| rows.y[i]),
        cos_limit: resolution.cos(),
        quadratic,
    };
    let mut state = ctx.fit(Vec::new()).ok_or(LearnError::Unidentifiable {
        learner: NAME,
        reason: "the linear features are collinear".to_owned(),
    })?;
    let mut history = vec![state.val_error];
    // The coarse scale's exclusion zone: a chosen direction stands for
    // every unit within twice the net's covering angle (at most
    // MAX_EXCLUSION): such units are collapsed into it until step 2
    // resolves them. Without the zone the next pick lands next to a chosen
    // direction, where a "dipole" corrects the chosen one's small error.
    let cos_coarse = (2.0 * net_angle).clamp(resolution, MAX_EXCLUSION).cos();
    let pays = |s: &State, current: f64| s.val_error <= (1.0 - min_improvement) * current;
    let mut resolved = 0usize;
    'grow: while state.dirs.len() < k && !candidates.is_empty() {
        // 1. The best candidate of the net outside the chosen directions'
        // exclusion zones, refined.
        if let Some(next) = ctx.add_best(&state, candidates, (cos_coarse, net_angle))
            && pays(&next, state.val_error)
        {
            state = next;
            history.push(state.val_error);
            continue;
        }
        // 2. The chosen directions refined jointly, then a collapsed group
        // resolved at a finer scale.
        if let Some(better) = ctx.sweep(&state, net_angle / 4.0) {
            state = better;
        }
        let mut scale = (2.0 * net_angle).min(MAX_REFINE_SCALE);
        while scale >= 4.0 * resolution {
            let ring: Vec<Col<f64>> = state
                .dirs
                .iter()
                .flat_map(|u| super::net::local_net(u, scale))
                .collect();
            if let Some(next) = ctx.add_best(&state, &ring, (ctx.cos_limit, scale / 2.0))
                && pays(&next, state.val_error)
            {
                state = next;
                history.push(state.val_error);
                resolved += 1;
                continue 'grow;
            }
            scale /= 2.0;
        }
        break;
    }
    // 3. Each direction refined once more with the others fixed.
    if let Some(better) = ctx.sweep(&state, net_angle / 4.0) {
        state = better;
    }
    if quadratic {
        // The network's own coefficients: without the quadratics.
        state = Scoring {
            quadratic: false,
            ..ctx
        }
        .fit(state.dirs)
        .ok_or(LearnError::Unidentifiable {
            learner: NAME,
            reason: "the discovered features are collinear".to_owned(),
        })?;
    }
    history.push(state.val_error);
    report
        .series
        .insert("discovery_validation_errors".to_owned(), history);
    report
        .metrics
        .insert("resolved_close_units".to_owned(), resolved as f64);
    Ok(Discovery {
        dirs: state.dirs,
        beta: state.beta,
        val_error: state.val_error,
    })
}

/// A set of directions with its least-squares fit.
struct State {
    /// The directions.
    dirs: Vec<Col<f64>>,
    /// Their features on the fitting rows.
    f: Mat<f64>,
    /// The coefficients.
    beta: Col<f64>,
    /// The validation error.
    val_error: f64,
}

/// What step 4 scores candidates on.
struct Scoring<'a> {
    /// The projected rows.
    rows: &'a Projections,
    /// The scoring rows (the first 10 000 fitting rows).
    zs: MatRef<'a, f64>,
    /// Their labels.
    ys: Col<f64>,
    /// Directions closer than `resolution` (up to sign) are merged.
    cos_limit: f64,
    /// See [`DiscoverySettings::quadratic`].
    quadratic: bool,
}

impl Scoring<'_> {
    /// The least-squares fit on given directions; `None` if singular.
    fn fit(&self, dirs: Vec<Col<f64>>) -> Option<State> {
        let Projections { z, y, zv, yv } = self.rows;
        let f = design(z.as_ref(), &dirs, self.quadratic);
        let beta = least_squares(f.as_ref(), y)?;
        let val_error = relative_mse(design(zv.as_ref(), &dirs, self.quadratic).as_ref(), &beta, yv);
        Some(State {
            dirs,
            f,
            beta,
            val_error,
        })
    }

    /// The state with the best of `candidates` (skipping those within
    /// `cos_skip` of a chosen direction) added after refinement from scale
    /// `start`: the [`STARTS`] best candidates at least `2 start` apart are
    /// each refined, and the refined one that removes the most residual
    /// wins (the peaks of a network with vanishing low-degree moments are
    /// narrow: the best coarse point need not lie under the highest one).
    fn add_best(
        &self,
        state: &State,
        candidates: &[Col<f64>],
        (cos_skip, start): (f64, f64),
    ) -> Option<State> {
        let fs = state.f.as_ref().subrows(0, self.zs.nrows());
        let resid = residual(&self.ys, fs, &state.beta);
        let scorer = Scorer::new(self.zs, fs, &resid)?;
        let mut ranked = scorer.scores(candidates, &state.dirs, cos_skip);
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        let apart = (2.0 * start).min(std::f64::consts::FRAC_PI_2).cos();
        let mut starts: Vec<&Col<f64>> = Vec::new();
        for &(_, i) in &ranked {
            if starts.len() == STARTS {
                break;
            }
            if starts
                .iter()
                .all(|c| (c.transpose() * &candidates[i]).abs() < apart)
            {
                starts.push(&candidates[i]);
            }
        }
        let refined: Vec<Col<f64>> = starts
            .into_iter()
            .map(|c| refine(&scorer, c.clone(), (&state.dirs, cos_skip), start))
            .collect();
        let u = scorer.best(&refined, &state.dirs, cos_skip)?;
        let mut trial = state.dirs.clone();
        trial.push(refined[u].clone());
        self.fit(trial)
    }

    /// Each direction refined with the others fixed, from scale `start`;
    /// the refined set if its validation error is lower.
    fn sweep(&self, state: &State, start: f64) -> Option<State> {
        let mut out = state.dirs.clone();
        for j in 0..out.len() {
            let others: Vec<Col<f64>> = out
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != j)
                .map(|(_, d)| d.clone())
                .collect();
            let fo = design(self.zs, &others, self.quadratic);
            let Some(bo) = least_squares(fo.as_ref(), &self.ys) else {
                continue;
            };
            let resid = residual(&self.ys, fo.as_ref(), &bo);
            if let Some(scorer) = Scorer::new(self.zs, fo.as_ref(), &resid) {
                out[j] = refine(&scorer, out[j].clone(), (&others, self.cos_limit), start);
            }
        }
        self.fit(out).filter(|s| s.val_error < state.val_error)
    }
}

/// Step 4 in V of dimension m ≤ 3, where the papers' brute force over nets
/// is affordable: every subset of at most k directions of a coarse net
/// (plus the `moment` candidates), with least-squares coefficients (exact
/// for fixed directions), replaces greedy discovery's result when its
/// validation error is lower. Greedy discovery can miss instances whose
/// units cancel (the planar family), the exhaustive search cannot.
pub(super) fn exhaustive(
    rows: &Projections,
    moment: &[Col<f64>],
    (k, resolution): (usize, f64),
    rng: &mut ChaCha8Rng,
    found: &mut Discovery,
    report: &mut Report,
) {
    let m = rows.z.ncols();
    let cos_limit = resolution.cos();
    let coarse = match m {
        1 => vec![Col::from_fn(1, |_| 1.0)],
        2 => coarse_net(2, 16),
        _ => coarse_net(3, 24),
    };
    let mut pool: Vec<Col<f64>> = coarse;
    for c in moment {
        if !pool.iter().any(|q| (q.transpose() * c).abs() >= cos_limit) {
            pool.push(c.clone());
        }
    }
    report
        .metrics
        .insert("subset_search_pool".to_owned(), pool.len() as f64);
    let Projections { z, y, zv, yv } = rows;
    let (subsets, total) = subsets_to_search(pool.len(), k, MAX_SUBSETS, rng);
    // Above the budget at least one size cannot fit its share and is
    // sampled; at or below it every subset is enumerated.
    let complete = total <= MAX_SUBSETS as u128;
    report
        .metrics
        .insert("subset_search_subsets".to_owned(), subsets.len() as f64);
    report
        .metrics
        .insert("subset_search_complete".to_owned(), f64::from(u8::from(complete)));
    if !complete {
        report.notes.push(format!(
            "subset search: {} of the {total} subsets of at most {k} of {} pooled directions, the larger sizes sampled uniformly (budget {MAX_SUBSETS})",
            subsets.len(),
            pool.len()
        ));
    }
    if let Some((sdirs, sbeta, serr)) = subset_search(z.as_ref(), (y, zv.as_ref(), yv), &pool, &subsets) {
        report
            .metrics
            .insert("subset_search_validation_error".to_owned(), serr);
        if serr < found.val_error {
            report.notes.push(format!(
                "exhaustive search over {} pooled directions: {} direction(s), validation error {serr:.3e} (greedy: {:.3e})",
                pool.len(),
                sdirs.len(),
                found.val_error
            ));
            *found = Discovery {
                dirs: sdirs,
                beta: sbeta,
                val_error: serr,
            };
        }
    }
}

/// `bᵀ A⁻¹ b` for the principal submatrix A of `gram` and the entries b of
/// `rhs` on `idx` (the explained sum of squares of a least-squares fit), by
/// an in-place Cholesky factorisation with a relative ridge of 1e-12;
/// `None` if A is not positive definite.
fn small_normal_fit(gram: &Mat<f64>, rhs: &Col<f64>, idx: &[usize]) -> Option<f64> {
    let q = idx.len();
    let mut l = vec![0.0; q * q];
    let tr = idx.iter().map(|&i| gram[(i, i)]).sum::<f64>() / q as f64;
    for i in 0..q {
        for j in 0..=i {
            let mut v = gram[(idx[i], idx[j])] + if i == j { 1e-12 * tr } else { 0.0 };
            for r in 0..j {
                v -= l[i * q + r] * l[j * q + r];
            }
            if i == j {
                if v.is_nan() || v <= 0.0 {
                    return None;
                }
                l[i * q + i] = v.sqrt();
            } else {
                l[i * q + j] = v / l[j * q + j];
            }
        }
    }
    // Solve L t = b; then bᵀA⁻¹b = ‖t‖².
    let mut t = vec![0.0; q];
    for i in 0..q {
        let mut v = rhs[idx[i]];
        for r in 0..i {
            v -= l[i * q + r] * t[r];
        }
        t[i] = v / l[i * q + i];
    }
    Some(t.iter().map(|v| v * v).sum())
}

/// At most this many subsets are scored; beyond it the search samples.
const MAX_SUBSETS: usize = 100_000;

/// The subsets of at most k of `n` pool indices that [`subset_search`]
/// scores, and how many subsets there are in all: every subset when there are at
/// most `budget`; otherwise every subset of each size whose count fits in
/// an equal share of what is left of the budget (smallest sizes first),
/// and for the larger sizes that share of subsets drawn uniformly at random
/// (sorted indices; a repeat costs one score). No index is favoured, unlike
/// a truncated lexicographic enumeration, whose subsets would all contain
/// the first few net points.
pub(super) fn subsets_to_search(
    n: usize,
    k: usize,
    budget: usize,
    rng: &mut ChaCha8Rng,
) -> (Vec<Vec<usize>>, u128) {
    use rand::RngExt;
    let k = k.min(n);
    let count = |j: usize| relu_net::stats::binomial(n as u64, j as u64);
    let total: u128 = (1..=k).map(count).fold(0, u128::saturating_add);
    let mut out: Vec<Vec<usize>> = Vec::new();
    for j in 1..=k {
        let share = (budget.saturating_sub(out.len()) / (k - j + 1)).max(1);
        if total <= budget as u128 || count(j) <= share as u128 {
            // Every subset of size j, in lexicographic order.
            let mut idx: Vec<usize> = (0..j).collect();
            loop {
                crate::cancel::checkpoint();
                out.push(idx.clone());
                let Some(i) = (0..j).rev().find(|&i| idx[i] < n - j + i) else {
                    break;
                };
                idx[i] += 1;
                for t in i + 1..j {
                    idx[t] = idx[t - 1] + 1;
                }
            }
        } else {
            let mut perm: Vec<usize> = (0..n).collect();
            for _ in 0..share {
                // A uniform j-subset: the first j of a partial Fisher–Yates.
                for t in 0..j {
                    let u = rng.random_range(t..n);
                    perm.swap(t, u);
                }
                let mut pick = perm[..j].to_vec();
                pick.sort_unstable();
                out.push(pick);
            }
        }
    }
    (out, total)
}

/// The subsets of at most k pool directions of [`subsets_to_search`],
/// ranked by the training residual of the least-squares fit on
/// `[1, z, |⟨v, z⟩| …]` (from one precomputed Gram matrix); the ten best are
/// compared on the validation rows. Returns the directions, the
/// coefficients and the validation error of the winner.
fn subset_search(
    z: MatRef<'_, f64>,
    (y, zv, yv): (&Col<f64>, MatRef<'_, f64>, &Col<f64>),
    pool: &[Col<f64>],
    subsets: &[Vec<usize>],
) -> Option<(Vec<Col<f64>>, Col<f64>, f64)> {
    let m = z.ncols();
    let all = features(z, pool);
    let gram = all.transpose() * &all;
    let rhs = all.transpose() * y;
    let yty = y.squared_norm_l2();
    let base = 1 + m;
    let mut ranked: Vec<(f64, Vec<usize>)> = Vec::new();
    let mut idx: Vec<usize> = Vec::new();
    for s in subsets {
        crate::cancel::checkpoint();
        idx.clear();
        idx.extend((0..base).chain(s.iter().map(|&i| base + i)));
        if let Some(fit) = small_normal_fit(&gram, &rhs, &idx) {
            ranked.push((yty - fit, s.clone()));
        }
    }
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    ranked
        .into_iter()
        .take(10)
        .filter_map(|(_, s)| {
            let dirs: Vec<Col<f64>> = s.iter().map(|&i| pool[i].clone()).collect();
            let f = features(z, &dirs);
            let beta = least_squares(f.as_ref(), y)?;
            let e = relative_mse(features(zv, &dirs).as_ref(), &beta, yv);
            Some((dirs, beta, e))
        })
        .min_by(|a, b| a.2.total_cmp(&b.2))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    /// Small pools are searched completely: every subset once.
    #[test]
    fn a_small_pool_is_searched_completely() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (subsets, total) = subsets_to_search(10, 3, 1000, &mut rng);
        assert_eq!(total, 10 + 45 + 120);
        assert_eq!(subsets.len(), 10 + 45 + 120);
        let mut seen = subsets.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), subsets.len());
        assert!(
            subsets
                .iter()
                .all(|s| s.windows(2).all(|w| w[0] < w[1]) && s.iter().all(|&i| i < 10))
        );
    }

    /// A large pool is sampled within the budget and without favouring any
    /// direction: over the sampled 4-subsets of 30, each index appears about
    /// 4/30 of the time (a truncated lexicographic enumeration put index 0
    /// in every one).
    #[test]
    fn a_large_pool_is_sampled_without_bias() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (subsets, total) = subsets_to_search(30, 4, 2000, &mut rng);
        assert_eq!(total, 30 + 435 + 4060 + 27405);
        assert!(subsets.len() <= 2000 + 4, "{}", subsets.len());
        // Sizes 1 and 2 fit their shares and are complete.
        assert_eq!(subsets.iter().filter(|s| s.len() == 1).count(), 30);
        assert_eq!(subsets.iter().filter(|s| s.len() == 2).count(), 435);
        let fours: Vec<&Vec<usize>> = subsets.iter().filter(|s| s.len() == 4).collect();
        let expected = fours.len() as f64 * 4.0 / 30.0;
        for i in 0..30 {
            let c = fours.iter().filter(|s| s.contains(&i)).count() as f64;
            // Binomial spread about √expected ≈ 10: 5 of it.
            assert!(
                (c - expected).abs() < 5.0 * expected.sqrt(),
                "index {i}: {c} vs {expected}"
            );
        }
    }
}
