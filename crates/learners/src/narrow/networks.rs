//! Step 5 of narrow: networks from the discovered directions — the exact
//! |·| form (improper) and, when the linear part allows it, the proper
//! network — and the choice of the start for the polish.

use faer::{Col, Mat, MatRef, Par};
use relu_net::Network;

use super::algorithm::NAME;
use super::discovery::Discovery;
use crate::Report;
use crate::common::{Rows, relative_error};
use crate::error::LearnError;

/// Up to this many directions, every sign pattern of the proper network is
/// tried when the directions outnumber V's dimensions (2^16 patterns).
const MAX_SIGN_ENUMERATION: usize = 16;

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

/// The network the polish starts from, and the proper candidate it did not
/// take (polished as well, see `algorithm.rs`).
pub(super) struct Start {
    /// The start.
    pub network: Network,
    /// Its validation error (the provable stage's error).
    pub error: f64,
    /// Whether the start is the proper network.
    pub proper: bool,
    /// The number of discovered directions.
    pub directions: usize,
    /// The proper candidate left behind when the improper network was kept.
    pub runner_up: Option<Network>,
}

/// Step 5's choice: the proper network when its linear part passes the gate
/// and its validation error is within 2× the improper one's; otherwise the
/// improper network, with the proper candidate as the runner-up.
///
/// # Errors
/// As [`networks`] and [`relative_error`].
pub(super) fn start(
    v: MatRef<'_, f64>,
    found: &Discovery,
    val: &Rows<'_>,
    par: Par,
    report: &mut Report,
) -> Result<Start, LearnError> {
    let (improper, proper) = networks(v, &found.dirs, &found.beta)?;
    let improper_error = relative_error(&improper, val, par)?;
    let mut out = Start {
        network: improper,
        error: improper_error,
        proper: false,
        directions: found.dirs.len(),
        runner_up: None,
    };
    match proper {
        Some((proper, gate)) => {
            let proper_error = relative_error(&proper, val, par)?;
            report
                .metrics
                .insert("proper_validation_error".to_owned(), proper_error);
            if gate && proper_error <= 2.0 * improper_error.max(1e-15) {
                report.notes.push(
                    "the linear part matches Σ ±μ_j u_j: proper network with one ReLU per direction"
                        .to_owned(),
                );
                out.network = proper;
                out.proper = true;
                out.error = proper_error;
            } else {
                report.notes.push(format!(
                    "improper network kept before polishing (2 ReLUs per direction + 2 linear): the proper one with \
                     signs sign(t_j) has validation error {proper_error:.3e} vs {improper_error:.3e}{}",
                    if gate { "" } else { " and its |t_j / μ_j| are not all within 0.35 of 1" }
                ));
                out.runner_up = Some(proper);
            }
        }
        None => report.notes.push(
            "no sign pattern explains the linear part: improper network (2 ReLUs per direction + 2 linear)"
                .to_owned(),
        ),
    }
    Ok(out)
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
