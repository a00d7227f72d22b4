//! The runnable narrow-network learner (see the module docs).

use faer::{Col, Mat, MatRef, Par};
use gaussian_moments::hermite::relu_coefficient;
use gaussian_moments::{Estimator, low_order_moments, matrix_contractions};
use rand::rngs::ChaCha8Rng;
use relu_net::{Network, SampleSource, Seed};
use tensor_decomp::fit::{random_unit, top_eigen};

use super::NarrowParams;
use super::squared_labels::SquaredLabels;
use crate::common::{Rows, check_data, relative_error, split};
use crate::error::LearnError;
use crate::linalg::solve_psd;
use crate::polish::{PolishParams, polish_lm};
use crate::{Fitted, Learner, Observer, Report};

const NAME: &str = "narrow";

/// The highest even order step 2 raises `max_order` to when no moment
/// matrix of the orders up to `max_order` stands above its noise (the
/// variance of an order-l estimate grows like l!, so orders above this see
/// only noise at any practical n).
pub const MAX_ADAPTIVE_ORDER: usize = 12;

/// Up to this many directions, every sign pattern of the proper network is
/// tried when the directions outnumber V's dimensions (2^16 patterns).
const MAX_SIGN_ENUMERATION: usize = 16;

/// Iterations of the improper network's polish (see its use).
const IMPROPER_MAX_ITERS: usize = 30;

/// The narrow-network learner with validated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Narrow {
    pub(super) params: NarrowParams,
    pub(super) est: Estimator,
}

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

/// Least-squares coefficients of y on the features (tiny ridge).
fn least_squares(f: MatRef<'_, f64>, y: &Col<f64>) -> Option<Col<f64>> {
    let ftf = f.transpose() * f;
    let fty = f.transpose() * y;
    solve_psd(ftf.as_ref(), &fty, 1e-12)
}

/// Mean squared residual of `f β` against y, relative to Var(y).
fn relative_mse(f: MatRef<'_, f64>, beta: &Col<f64>, y: &Col<f64>) -> f64 {
    let pred = f * beta;
    let n = y.nrows().max(1) as f64;
    let mse = (0..y.nrows()).map(|i| (pred[i] - y[i]).powi(2)).sum::<f64>() / n;
    crate::common::relative(mse, crate::common::variance(y))
}

/// Unit vectors of ℝ^m for the net: a grid for m ≤ 3 (at most 720 angles,
/// 0.25°, on the half circle), random points above (only half the sphere is
/// needed: |·| is even).
fn net(m: usize, points: usize, rng: &mut ChaCha8Rng) -> Vec<Col<f64>> {
    match m {
        1 => vec![Col::from_fn(1, |_| 1.0)],
        2 => (0..points.min(720))
            .map(|i| {
                let t = std::f64::consts::PI * i as f64 / points.min(720) as f64;
                Col::from_fn(2, |j| if j == 0 { t.cos() } else { t.sin() })
            })
            .collect(),
        3 => {
            // A Fibonacci lattice on the upper hemisphere.
            let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
            (0..points)
                .map(|i| {
                    let zc = (i as f64 + 0.5) / points as f64;
                    let r = (1.0 - zc * zc).sqrt();
                    let t = golden * i as f64;
                    Col::from_fn(3, |j| [r * t.cos(), r * t.sin(), zc][j])
                })
                .collect()
        }
        _ => (0..points).map(|_| random_unit(rng, m)).collect(),
    }
}

/// The real parts of the eigenvectors of the pencil `A B⁻¹` (B symmetric,
/// well conditioned), normalised.
fn pencil(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Vec<Col<f64>> {
    let m = a.nrows();
    let (vecs, vals) = match top_eigen(b, m) {
        Ok(r) => r,
        Err(_) => return Vec::new(),
    };
    let (big, small) = (vals[0].abs(), vals[m - 1].abs());
    if small.is_nan() || small <= 1e-8 * big {
        return Vec::new();
    }
    // B⁻¹ = V diag(1/λ) Vᵀ.
    let binv = Mat::from_fn(m, m, |i, j| {
        (0..m).map(|r| vecs[(i, r)] * vecs[(j, r)] / vals[r]).sum::<f64>()
    });
    let n = a * &binv;
    let Ok(eig) = n.eigen() else { return Vec::new() };
    let u = eig.U();
    (0..m)
        .filter_map(|j| {
            let col = Col::from_fn(m, |i| u[(i, j)].re);
            let norm = col.norm_l2();
            (norm > 1e-8).then(|| Col::from_fn(m, |i| col[i] / norm))
        })
        .collect()
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

/// Subsets of at most 100 000 are searched.
const MAX_SUBSETS: usize = 100_000;

/// Every subset of at most k pool directions (as long as there are at most
/// [`MAX_SUBSETS`]), ranked by the training residual of the least-squares
/// fit on `[1, z, |⟨v, z⟩| …]` (from one precomputed Gram matrix); the ten
/// best are compared on the validation rows. Returns the directions, the
/// coefficients and the validation error of the winner.
fn subset_search(
    z: MatRef<'_, f64>,
    y: &Col<f64>,
    zv: MatRef<'_, f64>,
    yv: &Col<f64>,
    pool: &[Col<f64>],
    k: usize,
) -> Option<(Vec<Col<f64>>, Col<f64>, f64)> {
    let m = z.ncols();
    let all = features(z, pool);
    let gram = all.transpose() * &all;
    let rhs = all.transpose() * y;
    let yty = y.squared_norm_l2();
    let base = 1 + m;
    let mut ranked: Vec<(f64, Vec<usize>)> = Vec::new();
    let mut count = 0usize;
    let mut subset: Vec<usize> = Vec::new();
    // Depth-first enumeration of increasing index tuples.
    fn visit(
        start: usize,
        k: usize,
        n: usize,
        subset: &mut Vec<usize>,
        f: &mut dyn FnMut(&[usize]) -> bool,
    ) -> bool {
        if !subset.is_empty() && !f(subset) {
            return false;
        }
        if subset.len() == k {
            return true;
        }
        for i in start..n {
            subset.push(i);
            let go = visit(i + 1, k, n, subset, f);
            subset.pop();
            if !go {
                return false;
            }
        }
        true
    }
    visit(0, k, pool.len(), &mut subset, &mut |s: &[usize]| {
        count += 1;
        if count > MAX_SUBSETS {
            return false;
        }
        let idx: Vec<usize> = (0..base).chain(s.iter().map(|&i| base + i)).collect();
        if let Some(fit) = small_normal_fit(&gram, &rhs, &idx) {
            ranked.push((yty - fit, s.to_vec()));
        }
        true
    });
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

impl Narrow {
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &NarrowParams {
        &self.params
    }
}

/// The networks of step 5 from chosen directions (in V coordinates) and the
/// least-squares coefficients `[c, b_lin (m), μ_j …]`.
fn networks(
    v: MatRef<'_, f64>,
    dirs: &[Col<f64>],
    beta: &Col<f64>,
) -> Result<(Network, Option<(Network, bool)>), LearnError> {
    let (d, m) = (v.nrows(), v.ncols());
    let c = beta[0];
    let blin = Col::from_fn(m, |j| beta[1 + j]);
    let mu: Vec<f64> = (0..dirs.len()).map(|j| beta[1 + m + j]).collect();
    let lifted: Vec<Col<f64>> = dirs.iter().map(|dir| v * dir).collect();
    // Improper: μ |⟨u, x⟩| = μ relu(⟨u, x⟩) + μ relu(−⟨u, x⟩), plus the linear part.
    let mut rows: Vec<Col<f64>> = Vec::new();
    let mut a: Vec<f64> = Vec::new();
    for (u, &mj) in lifted.iter().zip(&mu) {
        rows.push(u.clone());
        rows.push(Col::from_fn(d, |i| -u[i]));
        a.extend([mj, mj]);
    }
    let wl = v * &blin;
    let nw = wl.norm_l2();
    if nw > 0.0 {
        rows.push(Col::from_fn(d, |i| wl[i] / nw));
        rows.push(Col::from_fn(d, |i| -wl[i] / nw));
        a.extend([nw, -nw]);
    }
    if rows.is_empty() {
        return Err(LearnError::Unidentifiable {
            learner: NAME,
            reason: "no direction carries signal: the moment matrices of the orders used show nothing above their noise, \
                     so the labels look constant to them. Supply more samples (the noise falls as 1/√n; d = 20, k = 4 \
                     needs about 10⁴), or, if moments of low degree vanish (the planar and parity families), raise \
                     max_order above the first non-zero degree"
                .to_owned(),
        });
    }
    let build = |rows: &[Col<f64>], a: &[f64]| -> Result<Network, LearnError> {
        let k = rows.len();
        let w = Mat::from_fn(k, d, |i, j| rows[i][j]);
        Ok(Network::depth2(
            w.as_ref(),
            Col::<f64>::zeros(k).as_ref(),
            Col::from_fn(k, |i| a[i]).as_ref(),
            c,
        )?)
    };
    let improper = build(&rows, &a)?;
    // Proper: the linear part must be Σ s_j μ_j v_j with s_j = ±1. The
    // candidate with the signs s_j = sign(t_j) is always built; the flag
    // says whether every |t_j / μ_j| is within 0.35 of 1 (the gate that
    // lets it replace the improper network before polishing).
    let proper = if !dirs.is_empty() && dirs.len() <= m {
        let basis = Mat::from_fn(m, dirs.len(), |i, j| dirs[j][i]);
        crate::linalg::least_squares(basis.as_ref(), &blin).map(|t| {
            let signs: Vec<f64> = (0..dirs.len()).map(|j| t[j] / mu[j]).collect();
            let gate = signs.iter().all(|s| (s.abs() - 1.0).abs() < 0.35);
            let rows: Vec<Col<f64>> = lifted
                .iter()
                .zip(&signs)
                .map(|(u, s)| Col::from_fn(d, |i| if *s < 0.0 { -u[i] } else { u[i] }))
                .collect();
            let a: Vec<f64> = mu.iter().map(|m| 2.0 * m).collect();
            build(&rows, &a).map(|net| (net, gate))
        })
    } else if dirs.len() > m && dirs.len() <= MAX_SIGN_ENUMERATION {
        // More directions than V has dimensions: the t_j are not determined,
        // so every sign pattern is tried and the one whose Σ s_j μ_j v_j is
        // nearest the linear part kept. Several patterns can come close, so
        // it never replaces the improper network before polishing; it is
        // polished as the runner-up (a close-0.05 teacher: polished first it
        // stalled at 2e-6 where the improper network's polish reaches 7e-13).
        let (best, _) = (0u32..1 << dirs.len())
            .map(|bits| {
                let sign = |j: usize| if bits >> j & 1 == 1 { -1.0 } else { 1.0 };
                let miss = (0..m)
                    .map(|i| {
                        let fit: f64 = (0..dirs.len()).map(|j| sign(j) * mu[j] * dirs[j][i]).sum();
                        (blin[i] - fit).powi(2)
                    })
                    .sum::<f64>()
                    .sqrt();
                (bits, miss)
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, f64::INFINITY));
        let rows: Vec<Col<f64>> = lifted
            .iter()
            .enumerate()
            .map(|(j, u)| Col::from_fn(d, |i| if best >> j & 1 == 1 { -u[i] } else { u[i] }))
            .collect();
        let a: Vec<f64> = mu.iter().map(|m| 2.0 * m).collect();
        Some(build(&rows, &a).map(|net| (net, false)))
    } else {
        None
    };
    Ok((improper, proper.transpose()?))
}

impl Learner for Narrow {
    fn name(&self) -> &'static str {
        NAME
    }

    // Over 100 lines: to be split into named parts (for a fit: one per step).
    #[allow(clippy::too_many_lines)]
    fn fit_observed(
        &self,
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        let p = &self.params;
        let d = src.dim();
        let k = p.hidden.unwrap_or(4);
        observer.stage("checks");
        let labels = check_data(NAME, src, 2000.max(50 * d), par)?;
        let (train, val) = split(src, p.validation_fraction);
        let mut report = Report {
            learner: NAME.to_owned(),
            samples_used: src.len(),
            ..Report::default()
        };
        observer.stage("moments");
        let low = low_order_moments(&train, &self.est, par)?;
        let mut rng = seed.derive("narrow").rng();
        let g = random_unit(&mut rng, d);
        let mut top = (2 * k + 2).min(p.max_order);
        // The Wigner-scale noise level of a symmetric estimate.
        let noise_of = |est: &gaussian_moments::MatrixEstimate, scale: f64| {
            crate::linalg::wigner_noise(est) * scale.abs()
        };
        let order = |l: usize| -> Result<(usize, Mat<f64>, f64), LearnError> {
            let est = if l == 2 {
                low.t2.clone()
            } else {
                matrix_contractions(&train, l, std::slice::from_ref(&g), &self.est, par)?.remove(0)
            };
            let scale = 1.0 / relu_coefficient(l, 0.0);
            Ok((l, faer::Scale(scale) * &est.mean, noise_of(&est, scale)))
        };
        let mut mats: Vec<(usize, Mat<f64>, f64)> = Vec::new();
        for l in (2..=top).step_by(2) {
            mats.push(order(l)?);
        }
        let squared = low_order_moments(&SquaredLabels::new(&train, labels.mean), &self.est, par)?.t2;
        let squared_noise = noise_of(&squared, 1.0);
        observer.stage("subspace");
        let mut projector = Mat::<f64>::zeros(d, d);
        // Adds the eigenvectors of `m` above `noise` to the projector and
        // returns how many there were.
        let mut add =
            |name: String, m: &Mat<f64>, noise: f64, report: &mut Report| -> Result<usize, LearnError> {
                let (vecs, vals) = top_eigen(m.as_ref(), d)?;
                let kept: Vec<usize> = (0..d)
                    .filter(|&i| vals[i].abs() > p.subspace_threshold * noise)
                    .collect();
                report.series.insert(
                    format!("{name}_spectrum"),
                    vals.iter().take(2 * k + 2).map(|v| v.abs()).collect(),
                );
                report.metrics.insert(format!("{name}_noise"), noise);
                for &i in &kept {
                    let col = vecs.col(i);
                    projector += col * col.transpose();
                }
                Ok(kept.len())
            };
        let mut seen = 0;
        for (l, m, noise) in &mats {
            seen += add(format!("order{l}"), m, *noise, &mut report)?;
        }
        let from_squared = add(
            "squared_labels".to_owned(),
            &squared.mean,
            squared_noise,
            &mut report,
        )?;
        // Adaptive orders: nothing above noise in y's moments nor in the
        // squared-label matrix → raise the order until something shows (the
        // cap is stated in the docs and here; a user's larger max_order is
        // its own cap).
        while seen == 0 && from_squared == 0 && top + 2 <= MAX_ADAPTIVE_ORDER.max(p.max_order) {
            top += 2;
            let (l, m, noise) = order(top)?;
            seen += add(format!("order{l}"), &m, noise, &mut report)?;
            mats.push((l, m, noise));
            report.notes.push(format!(
                "no moment of order up to {} stood above its noise: raised max_order to {top} (cap {MAX_ADAPTIVE_ORDER})",
                top - 2
            ));
        }
        report.metrics.insert("max_order_used".to_owned(), top as f64);
        if top > (2 * k + 2).min(p.max_order) {
            report.chosen.insert(
                "max_order".to_owned(),
                format!("{top}: raised until a moment stood above its noise (cap {MAX_ADAPTIVE_ORDER})"),
            );
        }
        report
            .metrics
            .insert("squared_label_directions".to_owned(), from_squared as f64);
        let (pv, pvals) = top_eigen(projector.as_ref(), d)?;
        let m = pvals
            .iter()
            .take_while(|&&v| v >= 0.5)
            .count()
            .min((2 * k).min(d));
        report.metrics.insert("subspace_dim".to_owned(), m as f64);
        report.chosen.insert(
            "subspace_dim".to_owned(),
            format!("{m}: eigenvalues >= 0.5 of the projector onto the moment matrices' significant eigenvectors (at most 2k)"),
        );
        report
            .notes
            .push(format!("joint subspace of the moment matrices: dimension {m}"));
        let v = Mat::from_fn(d, m, |i, j| pv[(i, j)]);
        observer.stage("features");
        let n_fit = train.len().min(p.fit_samples);
        let (z, y) = load_projected(&Rows::new(&train, 0, n_fit), n_fit, v.as_ref());
        let n_val = val.len().min(p.fit_samples);
        let (zv, yv) = load_projected(&Rows::new(&val, 0, n_val), n_val, v.as_ref());
        observer.stage("discovery");
        let mut candidates: Vec<Col<f64>> = Vec::new();
        // The moment and pencil candidates come first; `n_moment` counts
        // them (the net's size depends on m: one point for m = 1, at most
        // 720 for m = 2).
        let mut n_moment = 0;
        if m > 0 {
            let restricted: Vec<Mat<f64>> = mats.iter().map(|(_, mat, _)| v.transpose() * mat * &v).collect();
            for r in &restricted {
                if let Ok((vecs, _)) = top_eigen(r.as_ref(), m) {
                    candidates.extend((0..m).map(|j| vecs.col(j).to_owned()));
                }
            }
            for pair in restricted.windows(2) {
                candidates.extend(pencil(pair[1].as_ref(), pair[0].as_ref()));
            }
            n_moment = candidates.len();
            // A net is a real search only in few dimensions; above 3 the
            // pencils give the directions and random points only supplement.
            let points = if m <= 3 {
                p.net_points
            } else {
                (p.net_points / 8).max(1)
            };
            candidates.extend(net(m, points, &mut rng));
        }
        report
            .metrics
            .insert("candidates".to_owned(), candidates.len() as f64);
        let mut dirs: Vec<Col<f64>> = Vec::new();
        let mut f = features(z.as_ref(), &dirs);
        let mut beta = least_squares(f.as_ref(), &y).ok_or(LearnError::Unidentifiable {
            learner: NAME,
            reason: "the linear features are collinear".to_owned(),
        })?;
        let mut val_error = relative_mse(features(zv.as_ref(), &dirs).as_ref(), &beta, &yv);
        let mut history = vec![val_error];
        let cos_limit = p.resolution.cos();
        // Candidates are scored on the first `score_rows` fitting rows, in
        // blocks, with matrix products: for Φ = |Z C| the residual sum of
        // squares drops by (rᵀφ)² / ‖φ⊥‖², ‖φ⊥‖² = ‖φ‖² − gᵀ(FᵀF)⁻¹g, g = Fᵀφ
        // (r is orthogonal to F after the least-squares fit).
        let score_rows = n_fit.min(10_000);
        let zs = z.as_ref().subrows(0, score_rows);
        const BLOCK: usize = 256;
        while dirs.len() < k && !candidates.is_empty() {
            let fs = f.as_ref().subrows(0, score_rows);
            let resid: Col<f64> = Col::from_fn(score_rows, |i| y[i]) - fs * &beta;
            let ftf = fs.transpose() * fs;
            let pdim = ftf.nrows();
            let Some(ftf_inv) = (0..pdim)
                .map(|j| {
                    solve_psd(
                        ftf.as_ref(),
                        &Col::from_fn(pdim, |i| if i == j { 1.0 } else { 0.0 }),
                        1e-12,
                    )
                })
                .collect::<Option<Vec<Col<f64>>>>()
                .map(|cols| Mat::from_fn(pdim, pdim, |i, j| cols[j][i]))
            else {
                break;
            };
            let mut best: Option<(f64, usize)> = None;
            for start in (0..candidates.len()).step_by(BLOCK) {
                let block = &candidates[start..(start + BLOCK).min(candidates.len())];
                let c = Mat::from_fn(m, block.len(), |i, j| block[j][i]);
                let mut phi = zs * &c;
                for j in 0..phi.ncols() {
                    let col = phi
                        .col_mut(j)
                        .try_as_col_major_mut()
                        .expect("owned matrix")
                        .as_slice_mut();
                    col.iter_mut().for_each(|v| *v = v.abs());
                }
                let g = fs.transpose() * &phi;
                let a = &ftf_inv * &g;
                let corr = resid.transpose() * &phi;
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
                    if best.is_none_or(|(s, _)| score > s) {
                        best = Some((score, start + j));
                    }
                }
            }
            let Some((_, idx)) = best else { break };
            let mut trial = dirs.clone();
            trial.push(candidates[idx].clone());
            let ft = features(z.as_ref(), &trial);
            let Some(bt) = least_squares(ft.as_ref(), &y) else {
                break;
            };
            let ve = relative_mse(features(zv.as_ref(), &trial).as_ref(), &bt, &yv);
            if ve > (1.0 - p.min_improvement) * val_error {
                break;
            }
            dirs = trial;
            f = ft;
            beta = bt;
            val_error = ve;
            history.push(ve);
        }
        report
            .series
            .insert("discovery_validation_errors".to_owned(), history);
        if (1..=3).contains(&m) {
            // In a subspace of dimension ≤ 3 the papers' brute force over nets
            // is affordable: every subset of at most k directions of a coarse
            // net (plus the moment candidates), with least-squares
            // coefficients (exact for fixed directions). Greedy discovery can
            // miss instances whose units cancel (the planar family), the
            // exhaustive search cannot.
            let coarse = match m {
                1 => vec![Col::from_fn(1, |_| 1.0)],
                2 => net(2, 16, &mut rng),
                _ => net(3, 24, &mut rng),
            };
            let mut pool: Vec<Col<f64>> = coarse;
            for c in candidates.iter().take(n_moment) {
                if !pool.iter().any(|q| (q.transpose() * c).abs() >= cos_limit) {
                    pool.push(c.clone());
                }
            }
            report
                .metrics
                .insert("subset_search_pool".to_owned(), pool.len() as f64);
            if let Some((sdirs, sbeta, serr)) = subset_search(z.as_ref(), &y, zv.as_ref(), &yv, &pool, k) {
                report
                    .metrics
                    .insert("subset_search_validation_error".to_owned(), serr);
                if serr < val_error {
                    report.notes.push(format!(
                        "exhaustive search over {} pooled directions: {} direction(s), validation error {serr:.3e} (greedy: {val_error:.3e})",
                        pool.len(),
                        sdirs.len()
                    ));
                    dirs = sdirs;
                    beta = sbeta;
                    val_error = serr;
                }
            }
        }
        report.metrics.insert("directions".to_owned(), dirs.len() as f64);
        report.notes.push(format!(
            "{} direction(s) found; validation error of the |·| model {val_error:.3e}",
            dirs.len()
        ));
        observer.stage("networks");
        let (improper, proper) = networks(v.as_ref(), &dirs, &beta)?;
        let improper_error = relative_error(&improper, &val, par)?;
        let (mut network, mut error) = (improper, improper_error);
        let mut kept_proper = false;
        // The proper candidate left behind, if any: polished too when the
        // improper network is kept (see below).
        let mut runner_up = None;
        match proper {
            Some((proper, gate)) => {
                let proper_error = relative_error(&proper, &val, par)?;
                report
                    .metrics
                    .insert("proper_validation_error".to_owned(), proper_error);
                if gate && proper_error <= 2.0 * improper_error.max(1e-15) {
                    report.notes.push(
                        "the linear part matches Σ ±μ_j u_j: proper network with one ReLU per direction"
                            .to_owned(),
                    );
                    network = proper;
                    kept_proper = true;
                    error = proper_error;
                } else {
                    report.notes.push(format!(
                        "improper network kept before polishing (2 ReLUs per direction + 2 linear): the proper one with \
                         signs sign(t_j) has validation error {proper_error:.3e} vs {improper_error:.3e}{}",
                        if gate { "" } else { " and its |t_j / μ_j| are not all within 0.35 of 1" }
                    ));
                    runner_up = Some(proper);
                }
            }
            None => report.notes.push(
                "no sign pattern explains the linear part: improper network (2 ReLUs per direction + 2 linear)"
                    .to_owned(),
            ),
        }
        report.provable_stage_error = Some(error);
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
        if p.polish && !dirs.is_empty() && !hopeless {
            observer.stage("polish");
            // The improper form (twice the units, nearly collinear pairs)
            // converges slowly; past IMPROPER_MAX_ITERS its polish rarely
            // wins over the proper candidate's (parity-16, d = 10: 100
            // iterations to 2.6e-10, 56 s, where the proper polish took 22 to
            // 4.1e-13).
            let params = if kept_proper {
                p.polish_params
            } else {
                PolishParams {
                    max_iters: p.polish_params.max_iters.min(IMPROPER_MAX_ITERS),
                    ..p.polish_params
                }
            };
            let (polished, pr) = polish_lm(&network, &train, &params, par)?;
            let pe = relative_error(&polished, &val, par)?;
            report.metrics.insert("polish_iters".to_owned(), pr.iters as f64);
            report.n_iters = pr.iters;
            report.converged = pr.converged;
            if pe <= error {
                report.notes.push(format!(
                    "polish (Levenberg–Marquardt, {} iterations) kept: validation error {pe:.3e}",
                    pr.iters
                ));
                network = polished;
                error = pe;
            } else {
                report.notes.push(format!(
                    "polish discarded: validation error {pe:.3e} > {error:.3e}"
                ));
            }
            // The improper form has twice the units, and its polish can stop
            // in a worse stationary point than the proper form's even when the
            // proper start is worse (seen at n = 10⁷, d = 100, k = 4: 1.26e-2
            // vs 1.19e-2 validation, 8.1e-4 vs 4.1e-5 test error). So the proper
            // candidate is polished as well and the better one kept.
            if let Some(proper) = runner_up {
                let (polished, pr) = polish_lm(&proper, &train, &p.polish_params, par)?;
                let pe = relative_error(&polished, &val, par)?;
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
                k,
                threshold: p.subspace_threshold,
                fit_samples: p.fit_samples,
                est: &self.est,
                polish: &p.polish_params,
            };
            (network, error, _) =
                super::residual::grow(network, error, &train, &val, &grow, par, &mut report)?;
        } else {
            report.converged = !hopeless;
        }
        if error > p.search_above && v.ncols() > 0 {
            observer.stage("search-in-v");
            let s = super::subspace_search::SearchParams {
                k,
                rows: p.search_rows,
                polish: &p.polish_params,
            };
            let found = super::subspace_search::search(&train, &val, v.as_ref(), &s, seed, par, &mut report)?;
            match found {
                Some((net, e)) if e < error => {
                    report.notes.push(format!(
                        "the search in V gave the answer: validation error {error:.3e} -> {e:.3e}"
                    ));
                    report.metrics.insert("search_in_v_used".to_owned(), 1.0);
                    report.converged = true;
                    network = net;
                    error = e;
                }
                _ => {
                    report.metrics.insert("search_in_v_used".to_owned(), 0.0);
                }
            }
        }
        report.validation_error = Some(error);
        Ok(Fitted::from_network(network, report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// V = first two coordinate axes of R³, directions e₁ and e₂ of V,
    /// μ = (1, 1), linear part t = (t₁, t₂) on those directions.
    fn candidates(t: [f64; 2]) -> (Network, Option<(Network, bool)>) {
        let v = Mat::from_fn(3, 2, |i, j| f64::from(u8::from(i == j)));
        let dirs = vec![
            Col::from_fn(2, |i| f64::from(u8::from(i == 0))),
            Col::from_fn(2, |i| f64::from(u8::from(i == 1))),
        ];
        let beta = Col::from_fn(5, |i| [0.25, t[0], t[1], 1.0, 1.0][i]);
        networks(v.as_ref(), &dirs, &beta).unwrap()
    }

    #[test]
    fn proper_candidate_passes_the_gate_when_the_linear_part_is_signed_mu() {
        let (improper, proper) = candidates([1.0, -1.0]);
        assert_eq!(improper.layers()[0].fan_out(), 6);
        let (net, gate) = proper.unwrap();
        assert!(gate);
        let w = net.layers()[0].weight();
        // Unit j is relu(s_j ⟨e_j, x⟩) with s = sign(t), output weight 2μ_j.
        assert_eq!((w[(0, 0)], w[(1, 1)]), (1.0, -1.0));
        assert_eq!(net.layers()[1].weight()[(0, 0)], 2.0);
    }

    #[test]
    fn proper_candidate_is_still_offered_when_the_gate_fails() {
        // |t_j / μ_j| = 0.5: outside the gate, but the candidate with
        // signs sign(t_j) is kept for the second polish.
        let (_, proper) = candidates([0.5, -0.5]);
        let (net, gate) = proper.unwrap();
        assert!(!gate);
        let w = net.layers()[0].weight();
        assert_eq!((w[(0, 0)], w[(1, 1)]), (1.0, -1.0));
    }
}
