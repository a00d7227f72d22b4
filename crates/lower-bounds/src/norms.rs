//! Exact Hermite-degree norms and L² norms of depth-2 networks under
//! N(0, I) — the verifier of every vanishing-moment claim.
//!
//! Write `f(x) = Σ_i λ_i relu(⟨u_i, x⟩ + β_i) + c` with unit `u_i`
//! (`λ_i = a_i ‖w_i‖`, `β_i = b_i / ‖w_i‖`). With the normalised Hermite
//! coefficients `ĉ_m(β)` of `relu(t + β)` and
//! `E[h_m(⟨u, x⟩) h_m(⟨v, x⟩)] = ⟨u, v⟩^m`, the degree-m component of f
//! has squared norm
//!
//! ```text
//! ‖f^{[m]}‖² = Σ_{i,j} λ_i λ_j ĉ_m(β_i) ĉ_m(β_j) ⟨u_i, u_j⟩^m   (+ c² and the cross terms at m = 0).
//! ```
//!
//! (Derivation in `docs/math/lower-bounds.md`.) For bias-free units the
//! total norm has the arc-cosine closed form
//! ([`relu_net::metrics::arc_cosine`]).

use gaussian_moments::hermite::relu_coefficient;
use relu_net::Network;
use relu_net::metrics::arc_cosine;

use crate::HardError;

/// A unit `(λ, u, β)`: `λ relu(⟨u, x⟩ + β)` with unit u (β = NaN marks a
/// constant unit).
type Unit = (f64, Vec<f64>, f64);

/// Units and the output bias of a depth-2 network.
pub(crate) fn unit_form(net: &Network) -> Result<(Vec<Unit>, f64), HardError> {
    let p = net.as_depth2()?;
    let d = p.w.ncols();
    let mut units = Vec::with_capacity(p.w.nrows());
    for i in 0..p.w.nrows() {
        let n = (0..d).map(|j| p.w[(i, j)].powi(2)).sum::<f64>().sqrt();
        if n == 0.0 {
            // A constant unit relu(b): degree 0 only.
            units.push((p.a[i] * p.b[i].max(0.0), vec![0.0; d], f64::NAN));
            continue;
        }
        units.push((p.a[i] * n, (0..d).map(|j| p.w[(i, j)] / n).collect(), p.b[i] / n));
    }
    Ok((units, p.c))
}

/// `‖f^{[m]}‖²` for m = 0 … `max_degree` of a depth-2 network (exact up to
/// rounding; Gram matrix of the units computed once).
///
/// # Errors
/// [`HardError::Net`] if the network is not depth 2.
pub fn degree_norms(net: &Network, max_degree: usize) -> Result<Vec<f64>, HardError> {
    let (units, c) = unit_form(net)?;
    let k = units.len();
    let gram: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| {
                    units[i]
                        .1
                        .iter()
                        .zip(&units[j].1)
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                })
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(max_degree + 1);
    for m in 0..=max_degree {
        let coef: Vec<f64> = units
            .iter()
            .map(|(lam, _, beta)| {
                if beta.is_nan() {
                    if m == 0 { *lam } else { 0.0 }
                } else {
                    lam * relu_coefficient(m, *beta)
                }
            })
            .collect();
        let mut s = 0.0;
        for i in 0..k {
            for j in 0..k {
                let g = if units[i].2.is_nan() || units[j].2.is_nan() {
                    1.0
                } else {
                    gram[i][j].powi(m as i32)
                };
                s += coef[i] * coef[j] * g;
            }
        }
        if m == 0 {
            let mean: f64 = coef.iter().sum::<f64>() + c;
            s = mean * mean;
        }
        out.push(s);
    }
    Ok(out)
}

/// `E[f(x)²]` of a bias-free depth-2 network without output bias, exactly
/// (arc-cosine kernel).
///
/// # Errors
/// [`HardError::Net`] if the network is not depth 2;
/// [`HardError::InvalidParam`] if it has biases.
pub fn l2_norm_sq_bias_free(net: &Network) -> Result<f64, HardError> {
    let (units, c) = unit_form(net)?;
    if c != 0.0 || units.iter().any(|u| u.2 != 0.0) {
        return Err(HardError::InvalidParam {
            family: "norms",
            name: "bias",
            value: c,
            expected: "zero (the closed form is for bias-free networks)",
        });
    }
    let mut s = 0.0;
    for (li, ui, _) in &units {
        for (lj, uj, _) in &units {
            s += li * lj * arc_cosine(ui, uj);
        }
    }
    Ok(s)
}

/// The lowest degree whose component is non-zero (relative to the total
/// `norm_sq`, threshold `rel_tol`), or `None` up to `norms.len() − 1`.
#[must_use]
pub fn first_nonzero_degree(norms: &[f64], norm_sq: f64, rel_tol: f64) -> Option<usize> {
    norms.iter().position(|&v| v > rel_tol * norm_sq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::{Col, Mat};

    #[test]
    fn one_relu_has_the_known_spectrum_and_norm() {
        // relu(x₁): ‖f‖² = 1/2; degree 0: 1/(2π); degree 1: 1/4.
        let net = Network::depth2(
            Mat::from_fn(1, 2, |_, j| if j == 0 { 1.0 } else { 0.0 }).as_ref(),
            Col::zeros(1).as_ref(),
            Col::from_fn(1, |_| 1.0).as_ref(),
            0.0,
        )
        .unwrap();
        let n = degree_norms(&net, 200).unwrap();
        assert!((n[0] - 1.0 / (2.0 * std::f64::consts::PI)).abs() < 1e-14);
        assert!((n[1] - 0.25).abs() < 1e-14);
        assert!(n[3].abs() < 1e-30);
        let total: f64 = n.iter().sum();
        assert!((total - 0.5).abs() < 1e-4, "{total}");
        assert!((l2_norm_sq_bias_free(&net).unwrap() - 0.5).abs() < 1e-15);
    }
}
