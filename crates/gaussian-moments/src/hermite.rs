//! Hermite polynomials, the Gaussian density and distribution function, and
//! the Hermite coefficients of a ReLU with bias.
//!
//! * Probabilists' Hermite polynomials: `He_0 = 1`, `He_1(t) = t`,
//!   `He_{n+1}(t) = t He_n(t) − n He_{n−1}(t)`; `E[He_m He_n] = n! δ_{mn}`
//!   for t ~ N(0, 1).
//! * Normalised `h_n = He_n / √(n!)` by the stable recurrence
//!   `h_{n+1}(t) = (t h_n(t) − √n h_{n−1}(t)) / √(n+1)`: no factorials, no
//!   overflow where `He_n` grows like √(n!) (`He_30(6) ≈ −5.5 · 10¹⁹`).
//! * ReLU with bias (derivation in `docs/math/gaussian-moments.md`): for
//!   t ~ N(0, 1),
//!   `E[relu(t + b)] = b Φ(b) + φ(b)`, `E[relu(t + b) t] = Φ(b)` and, for
//!   k ≥ 2, `E[relu(t + b) He_k(t)] = (−1)^k He_{k−2}(b) φ(b)` (Stein's
//!   identity with `relu'' = δ`), so the normalised coefficient is
//!   `ĉ_k(b) = E[relu(t + b) h_k(t)] = (−1)^k h_{k−2}(b) φ(b) / √(k(k−1))`.

use std::f64::consts::PI;

/// The standard Gaussian density φ(t).
#[must_use]
pub fn norm_pdf(t: f64) -> f64 {
    (-0.5 * t * t).exp() / (2.0 * PI).sqrt()
}

/// The standard Gaussian distribution function Φ(t), accurate in both
/// tails (through `erfc`).
#[must_use]
pub fn norm_cdf(t: f64) -> f64 {
    0.5 * libm::erfc(-t / std::f64::consts::SQRT_2)
}

/// `He_n(t)` by the three-term recurrence.
///
/// For large n and |t| prefer [`h`]: `He_n` grows like √(n!).
#[must_use]
pub fn he(n: usize, t: f64) -> f64 {
    let (mut prev, mut cur) = (0.0, 1.0);
    for k in 0..n {
        let next = t * cur - k as f64 * prev;
        prev = cur;
        cur = next;
    }
    cur
}

/// `h_n(t) = He_n(t) / √(n!)` by the stable normalised recurrence.
#[must_use]
pub fn h(n: usize, t: f64) -> f64 {
    let (mut prev, mut cur) = (0.0, 1.0);
    for k in 0..n {
        let next = (t * cur - (k as f64).sqrt() * prev) / ((k + 1) as f64).sqrt();
        prev = cur;
        cur = next;
    }
    cur
}

/// Fills `out[n] = h_n(t)` for `n < out.len()`.
pub fn h_all(t: f64, out: &mut [f64]) {
    let (mut prev, mut cur) = (0.0, 1.0);
    for (k, o) in out.iter_mut().enumerate() {
        *o = cur;
        let next = (t * cur - (k as f64).sqrt() * prev) / ((k + 1) as f64).sqrt();
        prev = cur;
        cur = next;
    }
}

/// `(h_{n−2}(t), h_{n−1}(t), h_n(t))` for n ≥ 2, in one recurrence.
///
/// # Panics
/// If `n < 2`.
#[must_use]
pub fn h_three(n: usize, t: f64) -> (f64, f64, f64) {
    assert!(n >= 2, "h_three needs n >= 2");
    let (mut a, mut b) = (0.0, 1.0); // (h_{k-1}, h_k) at k = 0
    for k in 0..n - 1 {
        let next = (t * b - (k as f64).sqrt() * a) / ((k + 1) as f64).sqrt();
        a = b;
        b = next;
    }
    // Now (a, b) = (h_{n-2}, h_{n-1}).
    let c = (t * b - ((n - 1) as f64).sqrt() * a) / (n as f64).sqrt();
    (a, b, c)
}

/// The normalised Hermite coefficient `ĉ_k(b) = E[relu(t + b) h_k(t)]`,
/// t ~ N(0, 1), so that `relu(t + b) = Σ_k ĉ_k(b) h_k(t)` in L²(N(0, 1)).
///
/// `ĉ_0 = b Φ(b) + φ(b)`, `ĉ_1 = Φ(b)`, and
/// `ĉ_k = (−1)^k h_{k−2}(b) φ(b) / √(k(k−1))` for k ≥ 2. At b = 0 the odd
/// coefficients of order ≥ 3 vanish; at the roots of `He_{k−2}` the order-k
/// coefficient vanishes, but never two consecutive ones (interlacing roots).
#[must_use]
pub fn relu_coefficient(k: usize, b: f64) -> f64 {
    match k {
        0 => b * norm_cdf(b) + norm_pdf(b),
        1 => norm_cdf(b),
        _ => {
            let sign = if k.is_multiple_of(2) { 1.0 } else { -1.0 };
            sign * h(k - 2, b) * norm_pdf(b) / ((k * (k - 1)) as f64).sqrt()
        }
    }
}

/// The unnormalised coefficient `E[relu(t + b) He_k(t)] = √(k!) ĉ_k(b)`;
/// for k ≥ 2 it is `(−1)^k He_{k−2}(b) φ(b)`.
#[must_use]
pub fn relu_coefficient_unnormalized(k: usize, b: f64) -> f64 {
    match k {
        0 | 1 => relu_coefficient(k, b),
        _ => {
            let sign = if k.is_multiple_of(2) { 1.0 } else { -1.0 };
            sign * he(k - 2, b) * norm_pdf(b)
        }
    }
}

/// `ĉ_j(β)` for `j = 0..=terms`, by one normalised Hermite recurrence (see
/// [`relu_coefficient`]), all at once: `O(terms)` where calling
/// [`relu_coefficient`] for each order would cost `O(terms²)`.
#[must_use]
pub fn relu_coefficients(beta: f64, terms: usize) -> Vec<f64> {
    // Beyond |β| = 10 the unit is linear or dead on all but a φ(10) ≈ 10⁻²²
    // share of the inputs: its coefficients of order ≥ 2 are below that,
    // and the recurrence for h_n(β) would overflow at larger |β|.
    if beta.is_nan() || beta.abs() > 10.0 {
        return (0..=terms)
            .map(|j| {
                if j < 2 && beta.is_finite() {
                    relu_coefficient(j, beta)
                } else {
                    0.0
                }
            })
            .collect();
    }
    let mut h = vec![0.0; terms.max(2) - 1];
    h_all(beta, &mut h);
    let pdf = norm_pdf(beta);
    (0..=terms)
        .map(|j| match j {
            0 | 1 => relu_coefficient(j, beta),
            _ => {
                let sign = if j % 2 == 0 { 1.0 } else { -1.0 };
                sign * h[j - 2] * pdf / ((j * (j - 1)) as f64).sqrt()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(got: f64, expected: f64, tol: f64) {
        assert!(
            (got - expected).abs() <= tol * (1.0 + expected.abs()),
            "{got} vs {expected}"
        );
    }

    #[test]
    fn hermite_polynomials_match_closed_forms() {
        for &t in &[-2.5, -1.0, 0.0, 0.3, 1.7] {
            check(he(2, t), t * t - 1.0, 1e-15);
            check(he(3, t), t * t * t - 3.0 * t, 1e-15);
            check(he(4, t), t.powi(4) - 6.0 * t * t + 3.0, 1e-14);
            check(he(5, t), t.powi(5) - 10.0 * t.powi(3) + 15.0 * t, 1e-14);
            for n in 0..12 {
                let fact: f64 = (1..=n).map(|k| k as f64).product();
                check(h(n, t), he(n, t) / fact.sqrt(), 1e-13);
            }
            let (a, b, c) = h_three(7, t);
            check(a, h(5, t), 1e-15);
            check(b, h(6, t), 1e-15);
            check(c, h(7, t), 1e-15);
            let mut all = [0.0; 9];
            h_all(t, &mut all);
            for (n, v) in all.iter().enumerate() {
                check(*v, h(n, t), 1e-15);
            }
        }
    }

    #[test]
    fn normalised_recurrence_stays_finite_where_he_is_huge() {
        // He_30(6) = −5.47e19 (numpy agrees); its normalised value is O(1).
        assert!((he(30, 6.0) / -5.473_235_740_933_68e19 - 1.0).abs() < 1e-12);
        // Cramér's inequality bounds |h_n(t)| e^{−t²/4} by about 0.82, so the
        // Hermite function h_n √φ stays below 1 for every n and t.
        let v = h(200, 6.0);
        assert!(v.is_finite() && (v * norm_pdf(6.0).sqrt()).abs() < 1.0, "{v}");
    }

    #[test]
    fn gaussian_cdf_and_pdf_have_known_values() {
        check(norm_cdf(0.0), 0.5, 1e-16);
        check(norm_cdf(1.959_963_984_540_054), 0.975, 1e-15);
        check(norm_cdf(-8.0), 6.220_960_574_271_785e-16, 1e-12);
        check(norm_pdf(0.0), 1.0 / (2.0 * PI).sqrt(), 1e-16);
    }

    #[test]
    fn bias_free_coefficients_match_the_known_values() {
        // ĉ_0 = 1/√(2π), ĉ_1 = 1/2, odd k ≥ 3 vanish,
        // ĉ_k = (−1)^{k/2−1} (k−3)!! / √(2π k!) for even k ≥ 2.
        check(relu_coefficient(0, 0.0), 1.0 / (2.0 * PI).sqrt(), 1e-15);
        check(relu_coefficient(1, 0.0), 0.5, 1e-15);
        for k in (3..20).step_by(2) {
            assert!(relu_coefficient(k, 0.0).abs() < 1e-17);
        }
        for k in (2..20usize).step_by(2) {
            let dfact: f64 = (1..k.saturating_sub(2)).step_by(2).map(|j| j as f64).product();
            let fact: f64 = (1..=k).map(|j| j as f64).product();
            let sign = if (k / 2 - 1) % 2 == 0 { 1.0 } else { -1.0 };
            check(
                relu_coefficient(k, 0.0),
                sign * dfact / (2.0 * PI * fact).sqrt(),
                1e-13,
            );
        }
    }

    #[test]
    fn all_coefficients_at_once_match_one_at_a_time() {
        for b in [-3.0, -0.7, 0.0, 0.4, 2.5] {
            let all = relu_coefficients(b, 30);
            for (k, c) in all.iter().enumerate() {
                check(*c, relu_coefficient(k, b), 1e-12);
            }
        }
    }

    #[test]
    fn normalised_and_unnormalised_coefficients_agree() {
        for k in 0..15 {
            let fact: f64 = (1..=k).map(|j| j as f64).product();
            for &b in &[-2.0, -0.5, 0.0, 0.8, 2.5] {
                check(
                    relu_coefficient_unnormalized(k, b),
                    fact.sqrt() * relu_coefficient(k, b),
                    1e-12,
                );
            }
        }
    }
}
