//! Exact population moments of a planted depth-2 network: the reference that
//! separates algorithmic error from sampling error.
//!
//! For `f(x) = Σ_i a_i relu(⟨w_i, x⟩ + b_i) + c` write each unit in canonical
//! form `ã_i relu(⟨u_i, x⟩ + β_i)` with `u_i = w_i/‖w_i‖`, `β_i = b_i/‖w_i‖`,
//! `ã_i = a_i ‖w_i‖`. By Stein's identity (see `docs/math/gaussian-moments.md`)
//!
//! ```text
//! E[f]        = c + Σ_i ã_i ĉ_0(β_i)
//! E[f x]      = Σ_i ã_i ĉ_1(β_i) u_i
//! E[f S_l(x)] = Σ_i ã_i ĉ_l(β_i) u_i^{⊗l}     (l ≥ 2)
//! ```
//!
//! so every moment tensor of order ≥ 2 is a symmetric CP model with the
//! hidden directions as factors. Units with `w_i = 0` are constants
//! `a_i relu(b_i)` and only enter `E[f]`.

use faer::{Col, Mat};
use relu_net::{NetError, Network};
use tensor_decomp::CpModel;

use crate::error::MomentError;
use crate::hermite::{relu_coefficient, relu_coefficients};

/// The population moments of a depth-2 network under x ~ N(0, I).
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationMoments {
    // Invariant: directions has unit columns, one per non-zero unit.
    directions: Mat<f64>,
    biases: Vec<f64>,
    scales: Vec<f64>,
    constant: f64,
}

impl PopulationMoments {
    /// The moments of a depth-2 network.
    ///
    /// # Errors
    /// [`MomentError::Net`] with [`NetError::NotDepth2`] for other depths.
    pub fn of_depth2(net: &Network) -> Result<Self, MomentError> {
        let p = net.as_depth2().map_err(|_| {
            MomentError::Net(NetError::NotDepth2 {
                what: "population moments",
                depth: net.depth(),
            })
        })?;
        let (k, d) = (p.w.nrows(), p.w.ncols());
        let mut constant = p.c;
        let (mut cols, mut biases, mut scales) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..k {
            let norm = (0..d).map(|j| p.w[(i, j)].powi(2)).sum::<f64>().sqrt();
            if norm == 0.0 {
                constant += p.a[i] * p.b[i].max(0.0);
                continue;
            }
            cols.push((0..d).map(|j| p.w[(i, j)] / norm).collect::<Vec<f64>>());
            biases.push(p.b[i] / norm);
            scales.push(p.a[i] * norm);
        }
        Ok(Self {
            directions: Mat::from_fn(d, cols.len(), |j, i| cols[i][j]),
            biases,
            scales,
            constant,
        })
    }

    /// `E[f(x)]`.
    #[must_use]
    pub fn order0(&self) -> f64 {
        self.constant
            + self
                .scales
                .iter()
                .zip(&self.biases)
                .map(|(a, b)| a * relu_coefficient(0, *b))
                .sum::<f64>()
    }

    /// `E[f(x) x]`.
    #[must_use]
    pub fn order1(&self) -> Col<f64> {
        let d = self.directions.nrows();
        Col::from_fn(d, |j| {
            (0..self.scales.len())
                .map(|i| self.scales[i] * relu_coefficient(1, self.biases[i]) * self.directions[(j, i)])
                .sum()
        })
    }

    /// `E[f(x) S_l(x)] = Σ_i ã_i ĉ_l(β_i) u_i^{⊗l}` as a CP model (l ≥ 2).
    ///
    /// # Errors
    /// [`MomentError::Order`] for l < 2.
    pub fn tensor(&self, order: usize) -> Result<CpModel, MomentError> {
        if order < 2 {
            return Err(MomentError::Order {
                order,
                expected: "at least 2 (use order0 and order1 below)",
            });
        }
        let weights = Col::from_fn(self.scales.len(), |i| {
            self.scales[i] * relu_coefficient(order, self.biases[i])
        });
        CpModel::new(order, weights, self.directions.clone()).map_err(|_| MomentError::Order {
            order,
            expected: "a finite CP model (non-finite weights)",
        })
    }

    /// The best approximation of f by a polynomial of degree at most `q`
    /// in L²(N(0, I)): its squared error and f's variance.
    ///
    /// Polynomials of degree ≤ q are spanned by the Hermite tensors of
    /// orders ≤ q, so the best one is f's Hermite expansion truncated at q,
    /// and with `E[h_j(⟨u, x⟩) h_l(⟨v, x⟩)] = δ_jl ⟨u, v⟩^j`
    ///
    /// ```text
    /// ‖f − P_q f‖² = Σ_{i,i'} ã_i ã_i' Σ_{j>q} ĉ_j(β_i) ĉ_j(β_i') ⟨u_i, u_i'⟩^j,
    /// Var f        = the same sum over j ≥ 1.
    /// ```
    ///
    /// A unit's own term uses `Σ_j ĉ_j(β)² = E[relu(t + β)²]`, which is
    /// `(1 + β²) Φ(β) + β φ(β)`, exactly; the cross terms sum the series until `|ρ|^j` is
    /// below 10⁻¹⁷ or for 4 000 terms (distinct units along the same
    /// direction, |ρ| = 1, converge like `J^{−3/2}`: about 10⁻⁵ of the
    /// variance). This is the floor of any learner whose hypotheses are
    /// polynomials of degree q, such as kernel regression with the
    /// multinomial kernel of degree q.
    #[must_use]
    pub fn polynomial_error(&self, q: usize) -> PolynomialError {
        const TERMS: usize = 4000;
        let k = self.scales.len();
        let coef: Vec<Vec<f64>> = self.biases.iter().map(|&b| relu_coefficients(b, TERMS)).collect();
        let (mut residual, mut variance) = (0.0, 0.0);
        for i in 0..k {
            for t in 0..k {
                let w = self.scales[i] * self.scales[t];
                let (res, var) = if i == t {
                    let b = self.biases[i];
                    let total = (1.0 + b * b) * crate::hermite::norm_cdf(b) + b * crate::hermite::norm_pdf(b);
                    let head = |upto: usize| coef[i][..=upto].iter().map(|c| c * c).sum::<f64>();
                    (total - head(q.min(TERMS)), total - head(0))
                } else {
                    let rho = (0..self.directions.nrows())
                        .map(|j| self.directions[(j, i)] * self.directions[(j, t)])
                        .sum::<f64>()
                        .clamp(-1.0, 1.0);
                    let (mut res, mut var, mut pow) = (0.0, 0.0, 1.0);
                    for (j, (ci, ct)) in coef[i].iter().zip(&coef[t]).enumerate().skip(1) {
                        pow *= rho;
                        if pow.abs() < 1e-17 {
                            break;
                        }
                        let term = ci * ct * pow;
                        var += term;
                        if j > q {
                            res += term;
                        }
                    }
                    (res, var)
                };
                residual += w * res;
                variance += w * var;
            }
        }
        PolynomialError {
            degree: q,
            residual: residual.max(0.0),
            variance: variance.max(0.0),
        }
    }

    /// The unit directions u_i (d × k').
    #[must_use]
    pub fn directions(&self) -> &Mat<f64> {
        &self.directions
    }
}

/// [`PopulationMoments::polynomial_error`]: the squared L² error of the
/// best polynomial of degree at most `degree`, and the network's variance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PolynomialError {
    /// The degree q.
    pub degree: usize,
    /// `E[(f − P_q f)²]`.
    pub residual: f64,
    /// `Var f`.
    pub variance: f64,
}

impl PolynomialError {
    /// `E[(f − P_q f)²] / Var f`: the relative error floor of degree q
    /// (0 for a constant network).
    #[must_use]
    pub fn relative(&self) -> f64 {
        if self.variance > 0.0 {
            self.residual / self.variance
        } else {
            0.0
        }
    }
}
