//! The max-plus semiring, tropical polynomials with real exponents and
//! tropical rational functions.
//!
//! In the max-plus semiring `𝕋 = (ℝ ∪ {−∞}, ⊕ = max, ⊙ = +)` the zero is
//! `−∞` and the one is `0`. A tropical monomial `c ⊙ x^{⊙e}` is the affine
//! function `c + ⟨e, x⟩` (real exponents allowed, as in Zhang–Naitzat–Lim),
//! and a tropical polynomial is a finite tropical sum of monomials,
//! `p(x) = max_m (c_m + ⟨e_m, x⟩)`: a convex piecewise-linear function. The
//! tropical product of two polynomials is their pointwise sum (the Minkowski
//! sum of their monomial sets), the tropical sum their pointwise max (the
//! union), and for λ ≥ 0 the tropical power `p^{⊙λ} = λ p` scales every
//! coefficient and exponent. A tropical rational function `p ⊘ q = p − q`
//! is a difference of two tropical polynomials: every ReLU network is one.

use serde::{Deserialize, Serialize};

use crate::error::TropicalError;
use crate::lp::{Lp, maximize};

/// The max-plus semiring's operations on `f64` (with `−∞` as zero).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MaxPlus;

impl MaxPlus {
    /// The additive identity, `−∞`.
    pub const ZERO: f64 = f64::NEG_INFINITY;
    /// The multiplicative identity, `0`.
    pub const ONE: f64 = 0.0;

    /// Tropical sum `a ⊕ b = max(a, b)`.
    #[must_use]
    pub fn add(a: f64, b: f64) -> f64 {
        a.max(b)
    }

    /// Tropical product `a ⊙ b = a + b` (with `−∞` absorbing).
    #[must_use]
    pub fn mul(a: f64, b: f64) -> f64 {
        if a == f64::NEG_INFINITY || b == f64::NEG_INFINITY {
            f64::NEG_INFINITY
        } else {
            a + b
        }
    }

    /// Tropical power `a^{⊙λ} = λ a` for λ ≥ 0 (`0 ⊙ −∞ = 0 = ONE`).
    #[must_use]
    pub fn pow(a: f64, lambda: f64) -> f64 {
        if lambda == 0.0 { 0.0 } else { lambda * a }
    }
}

/// One monomial `c + ⟨e, x⟩`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Monomial {
    /// Coefficient c.
    pub coef: f64,
    /// Exponent vector e.
    pub exp: Vec<f64>,
}

impl Monomial {
    /// Its value at x.
    #[must_use]
    pub fn eval(&self, x: &[f64]) -> f64 {
        self.coef + self.exp.iter().zip(x).map(|(e, v)| e * v).sum::<f64>()
    }
}

/// A tropical polynomial `max_m (c_m + ⟨e_m, x⟩)` in `dim` variables; with
/// no monomials it is the tropical zero `−∞`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TropicalPolynomial {
    dim: usize,
    monomials: Vec<Monomial>,
}

/// Exponents closer than this (per coordinate, relative) are merged.
const MERGE_TOL: f64 = 1e-12;

impl TropicalPolynomial {
    /// The polynomial with the given monomials.
    ///
    /// # Errors
    /// [`TropicalError::Dimension`] if an exponent has the wrong length,
    /// [`TropicalError::NonFinite`] for NaN or infinite entries.
    pub fn new(dim: usize, monomials: Vec<Monomial>) -> Result<Self, TropicalError> {
        for m in &monomials {
            if m.exp.len() != dim {
                return Err(TropicalError::Dimension {
                    what: "a monomial's exponent",
                    expected: dim,
                    got: m.exp.len(),
                });
            }
            if !m.coef.is_finite() || !m.exp.iter().all(|e| e.is_finite()) {
                return Err(TropicalError::NonFinite { what: "a monomial" });
            }
        }
        let mut p = Self { dim, monomials };
        p.merge();
        Ok(p)
    }

    /// The tropical one: the constant 0 (one monomial, c = 0, e = 0).
    #[must_use]
    pub fn one(dim: usize) -> Self {
        Self::constant(dim, 0.0)
    }

    /// The constant c.
    #[must_use]
    pub fn constant(dim: usize, c: f64) -> Self {
        Self {
            dim,
            monomials: vec![Monomial {
                coef: c,
                exp: vec![0.0; dim],
            }],
        }
    }

    /// The coordinate `x_i` (as a monomial with exponent `e_i`).
    #[must_use]
    pub fn variable(dim: usize, i: usize) -> Self {
        let mut exp = vec![0.0; dim];
        exp[i] = 1.0;
        Self {
            dim,
            monomials: vec![Monomial { coef: 0.0, exp }],
        }
    }

    /// Number of variables.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The monomials (merged: no two share an exponent).
    #[must_use]
    pub fn monomials(&self) -> &[Monomial] {
        &self.monomials
    }

    /// Number of monomials.
    #[must_use]
    pub fn len(&self) -> usize {
        self.monomials.len()
    }

    /// Whether it is the tropical zero (no monomials).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.monomials.is_empty()
    }

    /// `max_m (c_m + ⟨e_m, x⟩)` (`−∞` for no monomials).
    #[must_use]
    pub fn eval(&self, x: &[f64]) -> f64 {
        self.monomials
            .iter()
            .map(|m| m.eval(x))
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// Sorts the monomials by exponent and merges equal exponents (keeping
    /// the largest coefficient: `max(a + ⟨e,x⟩, b + ⟨e,x⟩)`).
    fn merge(&mut self) {
        self.monomials.sort_by(|a, b| {
            a.exp
                .iter()
                .zip(&b.exp)
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut out: Vec<Monomial> = Vec::with_capacity(self.monomials.len());
        for m in self.monomials.drain(..) {
            if let Some(last) = out.last_mut()
                && last
                    .exp
                    .iter()
                    .zip(&m.exp)
                    .all(|(a, b)| (a - b).abs() <= MERGE_TOL * (1.0 + a.abs().max(b.abs())))
            {
                last.coef = last.coef.max(m.coef);
                continue;
            }
            out.push(m);
        }
        self.monomials = out;
    }

    /// Tropical sum `p ⊕ q = max(p, q)`: the union of the monomials.
    ///
    /// # Errors
    /// [`TropicalError::Dimension`] if the numbers of variables differ.
    pub fn tropical_add(&self, other: &Self) -> Result<Self, TropicalError> {
        self.check_dim(other)?;
        let mut p = Self {
            dim: self.dim,
            monomials: self.monomials.iter().chain(&other.monomials).cloned().collect(),
        };
        p.merge();
        Ok(p)
    }

    /// Tropical product `p ⊙ q = p + q`: all pairwise sums of monomials
    /// (the Minkowski sum), at most `limit` of them.
    ///
    /// # Errors
    /// [`TropicalError::Dimension`]; [`TropicalError::TooLarge`] above `limit`.
    pub fn tropical_mul(&self, other: &Self, limit: usize) -> Result<Self, TropicalError> {
        self.check_dim(other)?;
        let size = self.len() as u128 * other.len() as u128;
        if size > limit as u128 {
            return Err(TropicalError::TooLarge {
                what: "a tropical product",
                size,
                unit: "monomials",
                limit: limit as u128,
                advice: "use a smaller network or simplify more often",
            });
        }
        let mut monomials = Vec::with_capacity(size as usize);
        for a in &self.monomials {
            for b in &other.monomials {
                monomials.push(Monomial {
                    coef: a.coef + b.coef,
                    exp: a.exp.iter().zip(&b.exp).map(|(x, y)| x + y).collect(),
                });
            }
        }
        let mut p = Self {
            dim: self.dim,
            monomials,
        };
        p.merge();
        Ok(p)
    }

    /// Tropical power `p^{⊙λ} = λ p` for λ ≥ 0 (λ = 0 gives the one).
    ///
    /// # Errors
    /// [`TropicalError::Invalid`] for negative or non-finite λ.
    pub fn tropical_pow(&self, lambda: f64) -> Result<Self, TropicalError> {
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(TropicalError::Invalid {
                reason: format!("tropical powers need λ >= 0, got {lambda}"),
            });
        }
        if lambda == 0.0 {
            return Ok(Self::one(self.dim));
        }
        let mut p = Self {
            dim: self.dim,
            monomials: self
                .monomials
                .iter()
                .map(|m| Monomial {
                    coef: lambda * m.coef,
                    exp: m.exp.iter().map(|e| lambda * e).collect(),
                })
                .collect(),
        };
        p.merge();
        Ok(p)
    }

    /// Drops every monomial that is never strictly maximal — those
    /// dominated by a convex combination of the others, i.e. not on the
    /// upper hull of the lifted Newton polytope — without changing the
    /// function. Monomial m is kept iff the LP
    /// `max c_m + ⟨e_m, x⟩ − t s.t. t ≥ c_j + ⟨e_j, x⟩ (j ≠ m)` has a positive
    /// (or unbounded) value. One LP in d + 1 variables per monomial,
    /// against the monomials kept so far and those not yet examined.
    ///
    /// # Errors
    /// [`TropicalError::Lp`] if the solver fails.
    pub fn simplify(&self) -> Result<Self, TropicalError> {
        let d = self.dim;
        let mut keep = vec![true; self.len()];
        for m in 0..self.len() {
            let others: Vec<usize> = (0..self.len()).filter(|&j| j != m && keep[j]).collect();
            if others.is_empty() {
                continue;
            }
            let mm = &self.monomials[m];
            // Variables (x, t): maximise ⟨e_m, x⟩ − t (+ c_m) subject to
            // ⟨e_j, x⟩ − t ≤ −c_j. Unbounded: m dominates far out in some
            // direction. A solver failure keeps the monomial (always safe).
            let scale = self.monomials.iter().map(|q| q.coef.abs()).fold(1.0, f64::max);
            let mut c = mm.exp.clone();
            c.push(-1.0);
            let mut a = Vec::with_capacity(others.len());
            let mut b = Vec::with_capacity(others.len());
            for &j in &others {
                let mut row = self.monomials[j].exp.clone();
                row.push(-1.0);
                a.push(row);
                b.push(-self.monomials[j].coef);
            }
            let gap = match maximize(&c, &a, &b, "tropical simplification") {
                Ok(Lp::Optimal(_, v)) => v + mm.coef,
                Ok(Lp::Infeasible) => f64::NEG_INFINITY,
                Ok(Lp::Unbounded) | Err(_) => f64::INFINITY,
            };
            if gap <= 1e-9 * scale {
                keep[m] = false;
            }
        }
        Ok(Self {
            dim: d,
            monomials: self
                .monomials
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(m, _)| m.clone())
                .collect(),
        })
    }

    fn check_dim(&self, other: &Self) -> Result<(), TropicalError> {
        if self.dim == other.dim {
            Ok(())
        } else {
            Err(TropicalError::Dimension {
                what: "tropical polynomials",
                expected: self.dim,
                got: other.dim,
            })
        }
    }
}

/// A tropical rational function `G ⊘ H = G − H`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TropicalRational {
    /// Numerator G.
    pub num: TropicalPolynomial,
    /// Denominator H.
    pub den: TropicalPolynomial,
}

impl TropicalRational {
    /// `G(x) − H(x)`.
    #[must_use]
    pub fn eval(&self, x: &[f64]) -> f64 {
        self.num.eval(x) - self.den.eval(x)
    }

    /// Monomials in numerator and denominator together.
    #[must_use]
    pub fn size(&self) -> usize {
        self.num.len() + self.den.len()
    }

    /// Both parts simplified ([`TropicalPolynomial::simplify`]).
    ///
    /// # Errors
    /// As [`TropicalPolynomial::simplify`].
    pub fn simplify(&self) -> Result<Self, TropicalError> {
        Ok(Self {
            num: self.num.simplify()?,
            den: self.den.simplify()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poly(ms: &[(f64, &[f64])]) -> TropicalPolynomial {
        TropicalPolynomial::new(
            ms[0].1.len(),
            ms.iter()
                .map(|(c, e)| Monomial {
                    coef: *c,
                    exp: e.to_vec(),
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn semiring_laws() {
        assert_eq!(MaxPlus::add(1.0, MaxPlus::ZERO), 1.0);
        assert_eq!(MaxPlus::mul(1.0, MaxPlus::ONE), 1.0);
        assert_eq!(MaxPlus::mul(1.0, MaxPlus::ZERO), MaxPlus::ZERO);
        assert_eq!(MaxPlus::pow(3.0, 2.0), 6.0);
    }

    #[test]
    fn products_sums_and_powers_are_pointwise() {
        let p = poly(&[(0.0, &[1.0, 0.0]), (1.0, &[0.0, 0.0])]);
        let q = poly(&[(0.5, &[0.0, 1.0]), (-1.0, &[-1.0, 2.0])]);
        let s = p.tropical_add(&q).unwrap();
        let m = p.tropical_mul(&q, 100).unwrap();
        let w = p.tropical_pow(2.5).unwrap();
        for x in [[0.3, -1.2], [2.0, 0.5], [-3.0, 4.0]] {
            assert!((s.eval(&x) - p.eval(&x).max(q.eval(&x))).abs() < 1e-12);
            assert!((m.eval(&x) - (p.eval(&x) + q.eval(&x))).abs() < 1e-12);
            assert!((w.eval(&x) - 2.5 * p.eval(&x)).abs() < 1e-12);
        }
        assert!(p.tropical_mul(&q, 3).is_err());
        assert!(p.tropical_pow(-1.0).is_err());
    }

    #[test]
    fn simplification_drops_only_dominated_monomials() {
        // max(x, −x, −1): the constant −1 is never maximal and goes;
        // max(x, −x, 0.5) keeps all three (0.5 is the max on |x| < 0.5).
        let p = poly(&[(0.0, &[1.0]), (0.0, &[-1.0]), (-1.0, &[0.0])]);
        let s = p.simplify().unwrap();
        assert_eq!(s.len(), 2);
        let q = poly(&[(0.0, &[1.0]), (0.0, &[-1.0]), (0.5, &[0.0])]);
        assert_eq!(q.simplify().unwrap().len(), 3);
        for x in [-2.0, -0.1, 0.0, 0.3, 5.0] {
            assert_eq!(s.eval(&[x]), p.eval(&[x]));
        }
        // Merging equal exponents keeps the larger coefficient.
        let m = poly(&[(0.0, &[1.0]), (2.0, &[1.0])]);
        assert_eq!(m.len(), 1);
        assert_eq!(m.monomials()[0].coef, 2.0);
    }
}
