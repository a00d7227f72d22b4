//! Steps 5–6 of atv: from the factors of one decomposition to candidate
//! networks (biases from the weight ratios of `T_2`, `T_3`, `T_4`, output
//! weights, signs from the first moment, the affine low-error mode).

use faer::{Col, ColRef, Mat, MatRef, Par};
use gaussian_moments::hermite::{norm_cdf, norm_pdf};
use relu_net::{Network, Seed};
use tensor_decomp::fit;

use super::Atv;
use super::algorithm::NAME;
use super::decompose::{Candidate, unit};
use super::moments::ProjectedMoments;
use crate::Report;
use crate::error::LearnError;
use crate::linalg::least_squares;

/// The bias estimators of step 5.
const ESTIMATORS: [&str; 3] = ["order3", "order4", "blend"];

impl Atv {
    /// Step 5–6 for one set of factors `v` (k × k, in z-coordinates).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn recover(
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
