//! The exact output distribution of random ReLU networks at initialisation
//! (Burkholz & Dubatovka, NeurIPS 2019, arXiv 1806.06362; the recursion
//! below is derived in `docs/math/relu-net.md`) and dynamical-isometry
//! diagnostics.
//!
//! Fix an input x and let `Q_l = ‖x^l‖²` be the squared norm of the signal
//! after hidden layer l (`Q_0 = ‖x‖²`), for widths `n_0, …, n_{L-1}`.
//!
//! **Gaussian weights** `W ~ N(0, σ_w²/fan_in)`, `b ~ N(0, σ_b²)` (He:
//! σ_w² = 2, σ_b² = 0). Given `x^{l-1}`, the pre-activations of layer l are
//! i.i.d. `N(0, v_l)` with `v_l = σ_w² Q_{l-1} / n_{l-1} + σ_b²`; half of them
//! are positive on average, so exactly
//!
//! ```text
//! Q_l = v_l · χ²_{B_l},   B_l ~ Binomial(n_l, 1/2),   χ²_0 := 0,
//! y | Q_{L-1} ~ N(0, σ_w² Q_{L-1} / n_{L-1} + σ_b²),
//! ```
//!
//! all draws independent: a Markov chain sampled in O(1) work per layer
//! (one binomial and one gamma variate) instead of O(n_l n_{l-1}).
//!
//! **Parameter sharing** ([`crate::Init::ParamSharing`]): the signal norm
//! equals the norm of the linear difference signal `δ^l = W₀^l δ^{l-1}`
//! (template widths `h_l`, `h_0 = n_0`). A Gaussian template gives
//! `Q_l = gain² Q_{l-1} χ²_{h_l} / h_{l-1}` (rotation invariance); an
//! orthogonal one gives `Q_l = gain² Q_{l-1}` when `h_l ≥ h_{l-1}` and
//! `Q_l = gain² Q_{l-1} · Beta(h_l/2, (h_{l-1} − h_l)/2)` otherwise (the
//! squared length of a random unit vector projected onto `h_l`
//! coordinates). The output is `y = ⟨w₀, δ^{L-1}⟩`.
//!
//! [`RandomNet::simulate`] draws whole networks and runs them, for comparison.

use faer::linalg::matmul::matmul;
use faer::{Accum, ColRef, Mat, Par};
use rand::RngExt;
use rand_distr::{Beta, Binomial, Distribution, Gamma, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::NetError;
use crate::init::{Init, Template};
use crate::network::Network;
use crate::seed::Seed;

/// Draws of the squared signal norm of the last hidden layer and of the
/// output, for one fixed input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignalDraws {
    /// `Q_{L-1} = ‖x^{L-1}‖²`, one per draw.
    pub last_hidden_sq_norm: Vec<f64>,
    /// The network output y, one per draw.
    pub output: Vec<f64>,
}

/// An architecture under an initialisation: input dimension, hidden widths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomNet {
    /// The initialisation scheme.
    pub init: Init,
    /// Input dimension n_0.
    pub input_dim: usize,
    /// Hidden widths n_1, …, n_{L-1}.
    pub hidden: Vec<usize>,
}

fn chi2(rng: &mut impl rand::Rng, dof: f64) -> f64 {
    if dof <= 0.0 {
        return 0.0;
    }
    Gamma::new(dof / 2.0, 2.0)
        .expect("positive shape and scale")
        .sample(rng)
}

impl RandomNet {
    fn validate(&self) -> Result<(), NetError> {
        // Building one network validates widths and parameters.
        self.init
            .network(self.input_dim, &self.hidden, Seed(0))
            .map(|_| ())
    }

    /// `n_draws` exact draws of `(Q_{L-1}, y)` for an input of squared norm
    /// `q0`, by the recursion of the module docs.
    ///
    /// # Errors
    /// [`NetError::InvalidParam`] for a negative or non-finite `q0`, and the
    /// errors of [`Init::network`] for the architecture.
    ///
    /// # Complexity
    /// O(n_draws · L).
    pub fn sample_exact(&self, q0: f64, n_draws: usize, seed: Seed) -> Result<SignalDraws, NetError> {
        self.validate()?;
        if !(q0.is_finite() && q0 >= 0.0) {
            return Err(NetError::InvalidParam {
                name: "q0",
                value: q0,
                expected: "a finite squared norm >= 0",
            });
        }
        let mut widths = vec![self.input_dim];
        widths.extend_from_slice(&self.hidden);
        let (qs, ys): (Vec<f64>, Vec<f64>) = (0..n_draws)
            .map(|i| {
                let mut rng = seed.derive_index(i as u64).rng();
                self.one_exact_draw(&widths, q0, &mut rng)
            })
            .unzip();
        Ok(SignalDraws {
            last_hidden_sq_norm: qs,
            output: ys,
        })
    }

    fn one_exact_draw(&self, widths: &[usize], q0: f64, rng: &mut impl rand::Rng) -> (f64, f64) {
        let n_hidden = widths.len() - 1;
        let z: f64 = StandardNormal.sample(rng);
        match self.init {
            Init::He | Init::Gaussian { .. } => {
                let (sw2, sb2) = match self.init {
                    Init::Gaussian { sigma_w2, sigma_b2 } => (sigma_w2, sigma_b2),
                    _ => (2.0, 0.0),
                };
                let mut q = q0;
                for l in 1..=n_hidden {
                    let v = sw2 * q / widths[l - 1] as f64 + sb2;
                    let b = Binomial::new(widths[l] as u64, 0.5)
                        .expect("p = 1/2 is valid")
                        .sample(rng);
                    q = v * chi2(rng, b as f64);
                }
                let v_out = sw2 * q / widths[n_hidden] as f64 + sb2;
                (q, v_out.sqrt() * z)
            }
            Init::ParamSharing { template, gain } => {
                let half = |l: usize| if l == 0 { widths[0] } else { widths[l] / 2 };
                let g2 = gain * gain;
                let mut q = q0;
                for l in 1..=n_hidden {
                    let (h_in, h_out) = (half(l - 1), half(l));
                    q *= g2
                        * match template {
                            Template::Gaussian => chi2(rng, h_out as f64) / h_in as f64,
                            Template::Orthogonal if h_out >= h_in => 1.0,
                            Template::Orthogonal => {
                                Beta::new(h_out as f64 / 2.0, (h_in - h_out) as f64 / 2.0)
                                    .expect("positive parameters")
                                    .sample(rng)
                            }
                        };
                }
                let h = half(n_hidden);
                let y = match template {
                    Template::Gaussian => gain * (q / h as f64).sqrt() * z,
                    Template::Orthogonal => {
                        let t2 = if h == 1 {
                            1.0
                        } else {
                            Beta::new(0.5, (h - 1) as f64 / 2.0)
                                .expect("positive parameters")
                                .sample(rng)
                        };
                        let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
                        sign * gain * (q * t2).sqrt()
                    }
                };
                (q, y)
            }
        }
    }

    /// `n_draws` Monte Carlo draws of `(Q_{L-1}, y)` at input `x`: each
    /// draw builds a whole network with [`Init::network`] (seed
    /// `seed.derive_index(i)`) and runs it. Draws run in parallel when
    /// `par` allows; the result does not depend on the thread count.
    ///
    /// # Errors
    /// [`NetError::InputDim`] if `x` has the wrong length,
    /// [`NetError::NonFinite`] for non-finite `x`, and the errors of
    /// [`Init::network`].
    ///
    /// # Complexity
    /// O(n_draws · Σ_l n_l n_{l-1}).
    pub fn simulate(
        &self,
        x: ColRef<'_, f64>,
        n_draws: usize,
        seed: Seed,
        par: Par,
    ) -> Result<SignalDraws, NetError> {
        self.validate()?;
        if x.nrows() != self.input_dim {
            return Err(NetError::InputDim {
                expected: self.input_dim,
                got: x.nrows(),
            });
        }
        let xm = Mat::from_fn(1, x.nrows(), |_, j| x[j]);
        if let Some((_, j)) = crate::network::first_non_finite(xm.as_ref()) {
            return Err(NetError::NonFinite {
                what: "the input x",
                location: format!("entry {j}"),
            });
        }
        let draw = |i: usize| -> Result<(f64, f64), NetError> {
            let net = self
                .init
                .network(self.input_dim, &self.hidden, seed.derive_index(i as u64))?;
            let h = net.last_hidden(xm.as_ref());
            let q = (0..h.ncols()).map(|j| h[(0, j)].powi(2)).sum();
            let y = net.predict(xm.as_ref(), Par::Seq)?[0];
            Ok((q, y))
        };
        let pairs: Vec<(f64, f64)> = match par {
            Par::Seq => (0..n_draws).map(draw).collect::<Result<_, _>>()?,
            Par::Rayon(_) => (0..n_draws).into_par_iter().map(draw).collect::<Result<_, _>>()?,
        };
        let (qs, ys) = pairs.into_iter().unzip();
        Ok(SignalDraws {
            last_hidden_sq_norm: qs,
            output: ys,
        })
    }
}

/// The Jacobian `J = ∂x^{L-1}/∂x` of the last hidden layer's activations
/// with respect to the input, at the input `x`:
/// `J = D_{L-1} W_{L-1} ⋯ D_1 W_1`, `D_l = diag(1[W_l x^{l-1} + b_l > 0])`.
/// For depth 1 it is the identity.
///
/// # Errors
/// [`NetError::InputDim`] if `x` has the wrong length.
///
/// # Complexity
/// O(Σ_l n_l n_{l-1} n_0).
pub fn hidden_jacobian(net: &Network, x: ColRef<'_, f64>) -> Result<Mat<f64>, NetError> {
    let d = net.input_dim();
    if x.nrows() != d {
        return Err(NetError::InputDim {
            expected: d,
            got: x.nrows(),
        });
    }
    let mut j = Mat::<f64>::identity(d, d);
    let mut h: Vec<f64> = (0..d).map(|i| x[i]).collect();
    for layer in &net.layers()[..net.depth() - 1] {
        let w = layer.weight();
        let pre: Vec<f64> = (0..layer.fan_out())
            .map(|i| layer.bias()[i] + (0..w.ncols()).map(|k| w[(i, k)] * h[k]).sum::<f64>())
            .collect();
        let mut next = Mat::zeros(layer.fan_out(), d);
        matmul(next.as_mut(), Accum::Replace, w, j.as_ref(), 1.0, Par::Seq);
        for (i, &p) in pre.iter().enumerate() {
            if p <= 0.0 {
                for c in 0..d {
                    next[(i, c)] = 0.0;
                }
            }
        }
        j = next;
        h = pre.into_iter().map(|p| p.max(0.0)).collect();
    }
    Ok(j)
}

/// Singular-value diagnostics of an input–output Jacobian.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IsometryStats {
    /// Number of singular values, min(rows, cols).
    pub n: usize,
    /// Fraction of singular values above `1e-10 · s_max`.
    pub nonzero_fraction: f64,
    /// Root mean square of all singular values.
    pub rms: f64,
    /// Largest singular value.
    pub max: f64,
    /// Smallest singular value above the threshold (0 if none).
    pub min_nonzero: f64,
    /// Standard deviation of ln s over the non-zero singular values: 0 for
    /// perfect dynamical isometry.
    pub log_spread: f64,
}

/// Dynamical-isometry diagnostics of `J` (see [`IsometryStats`]).
///
/// Exactly-zero rows (dead units of a ReLU Jacobian) are removed before the
/// SVD: they do not change the singular values, and faer 0.24's SVD returns
/// a spurious singular value 2^-13 for some square matrices with
/// interleaved zero rows (seen at n = 128; `docs/math/relu-net.md` has the
/// reproduction).
///
/// # Errors
/// [`NetError::LinearAlgebra`] if the SVD fails.
pub fn isometry_stats(j: faer::MatRef<'_, f64>) -> Result<IsometryStats, NetError> {
    let n = j.nrows().min(j.ncols());
    let live: Vec<usize> = (0..j.nrows())
        .filter(|&i| (0..j.ncols()).any(|c| j[(i, c)] != 0.0))
        .collect();
    let compact = Mat::from_fn(live.len(), j.ncols(), |i, c| j[(live[i], c)]);
    let mut s = if live.is_empty() {
        Vec::new()
    } else {
        compact.singular_values().map_err(|_| NetError::LinearAlgebra {
            what: "singular values of the Jacobian",
        })?
    };
    s.resize(n, 0.0);
    let max = s.iter().copied().fold(0.0, f64::max);
    let nonzero: Vec<f64> = s
        .iter()
        .copied()
        .filter(|&v| v > 1e-10 * max && v > 0.0)
        .collect();
    let rms = if n > 0 {
        (s.iter().map(|v| v * v).sum::<f64>() / n as f64).sqrt()
    } else {
        0.0
    };
    let logs: Vec<f64> = nonzero.iter().map(|v| v.ln()).collect();
    let log_spread = if logs.len() > 1 {
        let m = logs.iter().sum::<f64>() / logs.len() as f64;
        (logs.iter().map(|v| (v - m).powi(2)).sum::<f64>() / logs.len() as f64).sqrt()
    } else {
        0.0
    };
    Ok(IsometryStats {
        n,
        nonzero_fraction: if n > 0 {
            nonzero.len() as f64 / n as f64
        } else {
            0.0
        },
        rms,
        max,
        min_nonzero: if nonzero.is_empty() {
            0.0
        } else {
            nonzero.iter().copied().fold(f64::INFINITY, f64::min)
        },
        log_spread,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::gaussian_matrix;
    use crate::stats::ks_two_sample;

    fn check_against_simulation(net: RandomNet) {
        let x = gaussian_matrix(1, net.input_dim, Seed(1));
        let xc = faer::Col::from_fn(net.input_dim, |j| x[(0, j)]);
        let q0 = xc.squared_norm_l2();
        let exact = net.sample_exact(q0, 4000, Seed(2)).unwrap();
        let sim = net.simulate(xc.as_ref(), 600, Seed(3), Par::rayon(2)).unwrap();
        // Level 0.001 per test: with fixed seeds this either always passes or always fails.
        let kq = ks_two_sample(&exact.last_hidden_sq_norm, &sim.last_hidden_sq_norm).unwrap();
        let ky = ks_two_sample(&exact.output, &sim.output).unwrap();
        assert!(kq.p_value > 1e-3, "{net:?}: Q KS {kq:?}");
        assert!(ky.p_value > 1e-3, "{net:?}: y KS {ky:?}");
    }

    #[test]
    fn exact_recursion_agrees_with_simulation_for_he_and_gaussian() {
        check_against_simulation(RandomNet {
            init: Init::He,
            input_dim: 8,
            hidden: vec![12, 6, 10],
        });
        check_against_simulation(RandomNet {
            init: Init::Gaussian {
                sigma_w2: 1.5,
                sigma_b2: 0.3,
            },
            input_dim: 5,
            hidden: vec![7, 7],
        });
    }

    #[test]
    fn exact_recursion_agrees_with_simulation_for_parameter_sharing() {
        for template in [Template::Gaussian, Template::Orthogonal] {
            check_against_simulation(RandomNet {
                init: Init::ParamSharing { template, gain: 1.0 },
                input_dim: 8,
                hidden: vec![6, 10, 4],
            });
        }
    }

    #[test]
    fn simulation_is_identical_on_one_and_two_threads() {
        let net = RandomNet {
            init: Init::He,
            input_dim: 4,
            hidden: vec![6, 6],
        };
        let x = faer::Col::from_fn(4, |j| j as f64 - 1.5);
        let a = net.simulate(x.as_ref(), 20, Seed(5), Par::Seq).unwrap();
        let b = net.simulate(x.as_ref(), 20, Seed(5), Par::rayon(2)).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn orthogonal_parameter_sharing_is_an_exact_isometry() {
        let init = Init::ParamSharing {
            template: Template::Orthogonal,
            gain: 1.0,
        };
        // J has rows (x⁺, x⁻) for each unit: JᵀJ = Πᵀ Π with Π the product
        // of orthogonal templates. Width 128 is where faer's SVD misbehaves
        // on the uncompacted Jacobian.
        for (n0, hidden) in [(6, vec![12, 12, 12]), (128, vec![128])] {
            let net = init.network(n0, &hidden, Seed(1)).unwrap();
            let x = faer::Col::from_fn(n0, |j| ((7 * j) as f64).sin());
            let j = hidden_jacobian(&net, x.as_ref()).unwrap();
            let s = isometry_stats(j.as_ref()).unwrap();
            assert!(
                (s.max - 1.0).abs() < 1e-12 && (s.min_nonzero - 1.0).abs() < 1e-12,
                "{s:?}"
            );
            assert!(s.log_spread < 1e-12, "{s:?}");
        }
        let x = faer::Col::from_fn(6, |j| (j as f64).sin());
        let he = Init::He.network(6, &[12, 12, 12], Seed(4)).unwrap();
        let s = isometry_stats(hidden_jacobian(&he, x.as_ref()).unwrap().as_ref()).unwrap();
        assert!(s.log_spread > 0.1, "He is not isometric: {s:?}");
    }
}
