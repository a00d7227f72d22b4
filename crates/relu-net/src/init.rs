//! Random initialisations: He/Kaiming, Gaussian with bias variance, and the
//! parameter-sharing scheme of Burkholz and Dubatovka.
//!
//! All schemes build a network of depth L = `hidden.len() + 1` with the
//! given hidden widths and one output.
//!
//! * [`Init::He`]: `W_l ~ N(0, 2 / fan_in)`, `b_l = 0` (He et al. 2015).
//! * [`Init::Gaussian`]: `W_l ~ N(0, σ_w² / fan_in)`, `b_l ~ N(0, σ_b²)`.
//! * [`Init::ParamSharing`] (the parameter sharing of Burkholz & Dubatovka,
//!   NeurIPS 2019, arXiv 1806.06362; see `docs/math/relu-net.md`): every
//!   hidden width is even, `2h_l`, and a template `W₀^l ∈ ℝ^{h_l × h_{l-1}}`
//!   is drawn per layer: first layer `W = [W₀; −W₀]`, hidden layers
//!   `W = [[W₀, −W₀], [−W₀, W₀]]`, output `W = [W₀, −W₀]`, all biases 0.
//!   Writing a hidden signal as
//!   `(x⁺, x⁻)`, a layer outputs `(relu(a), relu(−a))` with
//!   `a = W₀(x⁺ − x⁻)`, and `relu(a) − relu(−a) = a`: the difference signal
//!   evolves linearly, so at initialisation the network computes exactly the
//!   linear map `W₀^L ⋯ W₀^1 x` and its input–output Jacobian is that
//!   product. With an orthogonal template (gain 1, non-decreasing template
//!   widths) every singular value is 1: perfect dynamical isometry.
//!
//! Template scaling (our choice, documented because the paper's exact
//! constants were not available): a Gaussian template has entries
//! `N(0, gain² / h_in)` (`h_in` = the template's column count), so the
//! difference signal keeps its squared norm in expectation when widths are
//! equal; an orthogonal template is `gain · O` with `O` Haar-distributed with
//! orthonormal rows or columns. Because there is no ReLU halving at
//! initialisation, this matches He's per-entry variance `2 / fan_in` of the
//! full (doubled) hidden layers.

use faer::linalg::matmul::matmul;
use faer::prelude::IntoConst;
use faer::{Accum, Col, Mat, Par};
use serde::{Deserialize, Serialize};

use crate::error::NetError;
use crate::network::Network;
use crate::seed::{Seed, gaussian_vec};

/// The template of the parameter-sharing initialisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Template {
    /// Entries i.i.d. `N(0, gain² / h_in)`.
    Gaussian,
    /// `gain ·` a Haar-random matrix with orthonormal rows (h_out ≤ h_in) or
    /// columns (h_out ≥ h_in).
    Orthogonal,
}

/// A random initialisation scheme.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "scheme", rename_all = "kebab-case")]
pub enum Init {
    /// He/Kaiming: `W ~ N(0, 2 / fan_in)`, zero biases.
    He,
    /// `W ~ N(0, sigma_w2 / fan_in)`, `b ~ N(0, sigma_b2)`.
    Gaussian {
        /// Weight variance times fan-in, σ_w².
        sigma_w2: f64,
        /// Bias variance σ_b².
        sigma_b2: f64,
    },
    /// Burkholz–Dubatovka parameter sharing (see the module docs).
    ParamSharing {
        /// Gaussian or orthogonal template.
        template: Template,
        /// Template gain (1 keeps the signal norm).
        gain: f64,
    },
}

impl Init {
    /// A short kebab-case name for tables and file names.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Init::He => "he",
            Init::Gaussian { .. } => "gaussian",
            Init::ParamSharing {
                template: Template::Gaussian,
                ..
            } => "ps-gaussian",
            Init::ParamSharing {
                template: Template::Orthogonal,
                ..
            } => "ps-orthogonal",
        }
    }

    /// A random network with input dimension `input_dim`, the given hidden
    /// widths, and one output.
    ///
    /// # Errors
    /// [`NetError::ZeroDim`] for a zero dimension or width,
    /// [`NetError::InvalidParam`] for negative or non-finite variances and
    /// gains, and for odd hidden widths under parameter sharing.
    pub fn network(&self, input_dim: usize, hidden: &[usize], seed: Seed) -> Result<Network, NetError> {
        if input_dim == 0 {
            return Err(NetError::ZeroDim { what: "input_dim" });
        }
        if hidden.contains(&0) {
            return Err(NetError::ZeroDim {
                what: "a hidden width",
            });
        }
        let mut widths = vec![input_dim];
        widths.extend_from_slice(hidden);
        widths.push(1);
        match *self {
            Init::He => gaussian_layers(&widths, 2.0, 0.0, seed),
            Init::Gaussian { sigma_w2, sigma_b2 } => {
                check_nonneg("sigma_w2", sigma_w2)?;
                check_nonneg("sigma_b2", sigma_b2)?;
                gaussian_layers(&widths, sigma_w2, sigma_b2, seed)
            }
            Init::ParamSharing { template, gain } => {
                check_nonneg("gain", gain)?;
                param_sharing(&widths, template, gain, seed)
            }
        }
    }
}

fn check_nonneg(name: &'static str, value: f64) -> Result<(), NetError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(NetError::InvalidParam {
            name,
            value,
            expected: "a finite number >= 0",
        })
    }
}

fn gaussian_layers(widths: &[usize], sigma_w2: f64, sigma_b2: f64, seed: Seed) -> Result<Network, NetError> {
    let parts = (1..widths.len())
        .map(|l| {
            let (fan_in, fan_out) = (widths[l - 1], widths[l]);
            let mut rng = seed.derive_index(l as u64).rng();
            let sw = (sigma_w2 / fan_in as f64).sqrt();
            let g = gaussian_vec(&mut rng, fan_out * fan_in);
            let w = Mat::from_fn(fan_out, fan_in, |i, j| sw * g[i * fan_in + j]);
            let gb = gaussian_vec(&mut rng, fan_out);
            let b = Col::from_fn(fan_out, |i| sigma_b2.sqrt() * gb[i]);
            (w, b)
        })
        .collect();
    Network::from_parts(parts)
}

/// A Haar-distributed `rows × cols` matrix with orthonormal columns
/// (rows ≥ cols) or rows (rows < cols).
///
/// Gram–Schmidt of Gaussian columns is exactly Haar (it is the QR
/// factorisation with a positive diagonal of R). We use classical
/// Gram–Schmidt applied twice ("CGS2", as stable as modified Gram–Schmidt
/// with reorthogonalisation), written as sequential faer matrix–vector
/// products so the result never depends on the thread count.
#[must_use]
pub fn haar_orthogonal(rows: usize, cols: usize, seed: Seed) -> Mat<f64> {
    let (tall, short) = (rows.max(cols), rows.min(cols));
    let mut rng = seed.rng();
    let g = gaussian_vec(&mut rng, tall * short);
    let mut q = Mat::from_fn(tall, short, |i, j| g[j * tall + i]);
    let mut r = Mat::<f64>::zeros(short, 1);
    for j in 0..short {
        for _pass in 0..2 {
            let (done, mut rest) = q.as_mut().split_at_col_mut(j);
            let done = done.into_const();
            let mut v = rest.as_mut().subcols_mut(0, 1);
            let mut rj = r.as_mut().subrows_mut(0, j);
            matmul(
                rj.as_mut(),
                Accum::Replace,
                done.transpose(),
                v.as_ref(),
                1.0,
                Par::Seq,
            );
            matmul(v.as_mut(), Accum::Add, done, rj.as_ref(), -1.0, Par::Seq);
        }
        let norm = q.col(j).norm_l2();
        for i in 0..tall {
            q[(i, j)] /= norm;
        }
    }
    if rows >= cols { q } else { q.transpose().to_owned() }
}

/// The template `W₀` of layer `l` (h_out × h_in).
fn template_matrix(h_out: usize, h_in: usize, template: Template, gain: f64, seed: Seed) -> Mat<f64> {
    match template {
        Template::Gaussian => {
            let mut rng = seed.rng();
            let g = gaussian_vec(&mut rng, h_out * h_in);
            let s = gain / (h_in as f64).sqrt();
            Mat::from_fn(h_out, h_in, |i, j| s * g[i * h_in + j])
        }
        Template::Orthogonal => {
            let mut o = haar_orthogonal(h_out, h_in, seed);
            for j in 0..h_in {
                for i in 0..h_out {
                    o[(i, j)] *= gain;
                }
            }
            o
        }
    }
}

fn param_sharing(widths: &[usize], template: Template, gain: f64, seed: Seed) -> Result<Network, NetError> {
    let n_layers = widths.len() - 1;
    for &w in &widths[1..n_layers] {
        if w % 2 != 0 {
            return Err(NetError::InvalidParam {
                name: "hidden width",
                value: w as f64,
                expected: "even under parameter sharing (each unit has a mirrored twin)",
            });
        }
    }
    // Template widths: the input is not doubled, the output has one unit.
    let half = |l: usize| {
        if l == 0 || l == n_layers {
            widths[l]
        } else {
            widths[l] / 2
        }
    };
    let parts = (1..=n_layers)
        .map(|l| {
            let (h_in, h_out) = (half(l - 1), half(l));
            let w0 = template_matrix(h_out, h_in, template, gain, seed.derive_index(l as u64));
            let doubled_in = l > 1;
            let doubled_out = l < n_layers;
            let rows = if doubled_out { 2 * h_out } else { h_out };
            let cols = if doubled_in { 2 * h_in } else { h_in };
            let w = Mat::from_fn(rows, cols, |i, j| {
                let (bi, ii) = (i / h_out, i % h_out);
                let (bj, jj) = (j / h_in, j % h_in);
                let sign = if bi == bj { 1.0 } else { -1.0 };
                sign * w0[(ii, jj)]
            });
            (w, Col::zeros(rows))
        })
        .collect();
    Network::from_parts(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::gaussian_matrix;
    use faer::Par;

    #[test]
    fn param_sharing_computes_the_template_product_at_init() {
        for template in [Template::Gaussian, Template::Orthogonal] {
            let init = Init::ParamSharing { template, gain: 1.0 };
            let net = init.network(5, &[8, 6, 10], Seed(1)).unwrap();
            let x = gaussian_matrix(50, 5, Seed(2));
            let y = net.predict(x.as_ref(), Par::Seq).unwrap();
            // Rebuild the product of templates from the first block of each layer.
            let mut p = Mat::<f64>::identity(5, 5);
            let halves = [(4, 5), (3, 4), (5, 3), (1, 5)];
            for (l, &(ho, hi)) in halves.iter().enumerate() {
                let w = net.layers()[l].weight();
                let w0 = Mat::from_fn(ho, hi, |i, j| w[(i, j)]);
                p = &w0 * &p;
            }
            for i in 0..50 {
                let lin: f64 = (0..5).map(|j| p[(0, j)] * x[(i, j)]).sum();
                assert!((lin - y[i]).abs() < 1e-10 * (1.0 + lin.abs()));
            }
        }
    }

    #[test]
    fn haar_orthogonal_has_orthonormal_columns_or_rows() {
        for &(r, c) in &[(6, 3), (3, 6), (4, 4)] {
            let q = haar_orthogonal(r, c, Seed(3));
            let g = if r >= c {
                q.transpose() * &q
            } else {
                &q * q.transpose()
            };
            for i in 0..g.nrows() {
                for j in 0..g.ncols() {
                    let e = if i == j { 1.0 } else { 0.0 };
                    assert!((g[(i, j)] - e).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn he_has_the_documented_variance() {
        let net = Init::He.network(400, &[300], Seed(5)).unwrap();
        let w = net.layers()[0].weight();
        let n = (w.nrows() * w.ncols()) as f64;
        let var = (0..w.nrows())
            .flat_map(|i| (0..w.ncols()).map(move |j| (i, j)))
            .map(|(i, j)| w[(i, j)].powi(2))
            .sum::<f64>()
            / n;
        // Target 2/400 = 0.005; relative standard error sqrt(2/120000) = 0.4%.
        assert!((var / 0.005 - 1.0).abs() < 0.02, "variance {var}");
        assert!(net.layers()[0].bias().iter().all(|&b| b == 0.0));
    }

    #[test]
    fn invalid_schemes_are_rejected() {
        let ps = Init::ParamSharing {
            template: Template::Gaussian,
            gain: 1.0,
        };
        assert!(matches!(
            ps.network(4, &[5], Seed(0)),
            Err(NetError::InvalidParam { .. })
        ));
        assert!(matches!(
            Init::He.network(0, &[5], Seed(0)),
            Err(NetError::ZeroDim { .. })
        ));
        assert!(matches!(
            Init::He.network(3, &[0], Seed(0)),
            Err(NetError::ZeroDim { .. })
        ));
        let bad = Init::Gaussian {
            sigma_w2: -1.0,
            sigma_b2: 0.0,
        };
        assert!(matches!(
            bad.network(3, &[2], Seed(0)),
            Err(NetError::InvalidParam { .. })
        ));
    }
}
