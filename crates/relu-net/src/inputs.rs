//! Gaussian input laws other than the standard one: `x = μ + L z` with
//! `z ~ N(0, I_d)` and `L Lᵀ = Σ`, for planting data that look like saved
//! data (centred nowhere, correlated coordinates).
//!
//! The learners' guarantees are stated for `x ~ N(0, I_d)`; a general
//! Gaussian reduces to it exactly by `z = Σ^(−1/2)(x − μ)` (see
//! `learners::standardize`). A teacher planted with an [`InputLaw`] is
//! written in the original coordinates `x`: its first layer acts on `x`.

use faer::{Col, Mat, MatMut, Side};
use serde::{Deserialize, Serialize};

use crate::error::NetError;
use crate::network::Network;

/// The law `N(μ, Σ)` of the inputs, held as `μ` and the lower Cholesky
/// factor `L` of `Σ`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputLaw {
    mean: Vec<f64>,
    // Row-major d × d lower-triangular factor.
    chol: Vec<f64>,
}

impl InputLaw {
    /// `N(mean, cov)`.
    ///
    /// # Errors
    /// [`NetError::ZeroDim`] for d = 0, [`NetError::InvalidParam`] when
    /// `cov` is not d × d, [`NetError::NonFinite`] for NaN/inf entries and
    /// [`NetError::InvalidParam`] when `cov` is not symmetric positive
    /// definite.
    pub fn new(mean: &[f64], cov: faer::MatRef<'_, f64>) -> Result<Self, NetError> {
        let d = mean.len();
        if d == 0 {
            return Err(NetError::ZeroDim {
                what: "the input mean",
            });
        }
        if cov.nrows() != d || cov.ncols() != d {
            return Err(NetError::InvalidParam {
                name: "covariance rows",
                value: cov.nrows() as f64,
                expected: "a square covariance with one row and column per entry of the mean",
            });
        }
        if let Some(j) = mean.iter().position(|v| !v.is_finite()) {
            return Err(NetError::NonFinite {
                what: "the input mean",
                location: format!("entry {j}"),
            });
        }
        if let Some((i, j)) = crate::network::first_non_finite(cov) {
            return Err(NetError::NonFinite {
                what: "the input covariance",
                location: format!("row {i}, column {j}"),
            });
        }
        let asym = (0..d)
            .flat_map(|i| (0..d).map(move |j| (i, j)))
            .map(|(i, j)| (cov[(i, j)] - cov[(j, i)]).abs())
            .fold(0.0, f64::max);
        let scale = (0..d).map(|i| cov[(i, i)].abs()).fold(0.0, f64::max);
        if asym > 1e-12 * scale.max(f64::MIN_POSITIVE) {
            return Err(NetError::InvalidParam {
                name: "covariance asymmetry",
                value: asym,
                expected: "a symmetric covariance matrix",
            });
        }
        let llt = cov
            .to_owned()
            .llt(Side::Lower)
            .map_err(|_| NetError::InvalidParam {
                name: "covariance",
                value: f64::NAN,
                expected: "a positive definite covariance matrix (full rank)",
            })?;
        let l = llt.L();
        let chol = (0..d)
            .flat_map(|i| (0..d).map(move |j| (i, j)))
            .map(|(i, j)| if j <= i { l[(i, j)] } else { 0.0 })
            .collect();
        Ok(Self {
            mean: mean.to_vec(),
            chol,
        })
    }

    /// Mean `μ = mean·1` and the autoregressive correlation
    /// `Σ_ij = ρ^|i − j|` (condition number about `(1 + ρ)/(1 − ρ)` for
    /// large d), a simple law with correlated neighbouring coordinates.
    ///
    /// # Errors
    /// [`NetError::InvalidParam`] unless `−1 < ρ < 1`; as [`InputLaw::new`].
    pub fn autoregressive(dim: usize, mean: f64, rho: f64) -> Result<Self, NetError> {
        if !(rho.is_finite() && rho.abs() < 1.0) {
            return Err(NetError::InvalidParam {
                name: "correlation",
                value: rho,
                expected: "a number in (-1, 1)",
            });
        }
        let cov = Mat::from_fn(dim, dim, |i, j| rho.powi(i.abs_diff(j) as i32));
        Self::new(&vec![mean; dim], cov.as_ref())
    }

    /// The dimension d.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// The mean μ.
    #[must_use]
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The lower Cholesky factor L of Σ.
    #[must_use]
    pub fn cholesky(&self) -> Mat<f64> {
        let d = self.dim();
        Mat::from_fn(d, d, |i, j| self.chol[i * d + j])
    }

    /// The covariance Σ = L Lᵀ.
    #[must_use]
    pub fn covariance(&self) -> Mat<f64> {
        let l = self.cholesky();
        &l * l.transpose()
    }

    /// Whether this is `N(0, I)` exactly.
    #[must_use]
    pub fn is_standard(&self) -> bool {
        let d = self.dim();
        self.mean.iter().all(|&m| m == 0.0)
            && (0..d).all(|i| (0..d).all(|j| self.chol[i * d + j] == if i == j { 1.0 } else { 0.0 }))
    }

    /// Maps standard rows `z` (m × d) in place to `x = μ + L z` row by row.
    ///
    /// # Panics
    /// If `z.ncols() != self.dim()` (a programming error).
    pub fn transform_rows(&self, mut z: MatMut<'_, f64>) {
        let d = self.dim();
        assert_eq!(z.ncols(), d, "InputLaw::transform_rows: columns");
        let l = self.cholesky();
        let x = z.as_ref() * l.transpose();
        for i in 0..z.nrows() {
            for j in 0..d {
                z[(i, j)] = x[(i, j)] + self.mean[j];
            }
        }
    }

    /// The network `f(x) = g(L⁻¹ (x − μ))` on inputs of this law of a
    /// network `g` on the standard inputs `z`: first layer `(W L⁻¹,
    /// b − W L⁻¹ μ)`, deeper layers unchanged. A family planted on `z` and
    /// mapped here keeps its structure (angles, biases relative to the
    /// spread) while its teacher is written in the coordinates of `x`.
    ///
    /// # Errors
    /// [`NetError::InputDim`] when `g` does not take d inputs.
    pub fn network_on_inputs(&self, g: &Network) -> Result<Network, NetError> {
        let d = self.dim();
        if g.input_dim() != d {
            return Err(NetError::InputDim {
                expected: d,
                got: g.input_dim(),
            });
        }
        let l = self.cholesky();
        let layers = g.layers();
        let w = layers[0].weight();
        // W L⁻¹ row by row: solve Lᵀ vᵀ = wᵀ (back substitution).
        let mut wl = Mat::zeros(w.nrows(), d);
        for i in 0..w.nrows() {
            for j in (0..d).rev() {
                let s: f64 = (j + 1..d).map(|m| wl[(i, m)] * l[(m, j)]).sum();
                wl[(i, j)] = (w[(i, j)] - s) / l[(j, j)];
            }
        }
        let shift = &wl * self.mean_col();
        let b = Col::from_fn(w.nrows(), |i| layers[0].bias()[i] - shift[i]);
        let mut parts = vec![(wl, b)];
        parts.extend(
            layers[1..]
                .iter()
                .map(|l| (l.weight().to_owned(), l.bias().to_owned())),
        );
        Network::from_parts(parts)
    }

    /// The mean as a column.
    #[must_use]
    pub fn mean_col(&self) -> Col<f64> {
        Col::from_fn(self.dim(), |j| self.mean[j])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autoregressive_law_has_its_covariance_and_rejects_bad_parameters() {
        let law = InputLaw::autoregressive(4, 1.5, 0.6).unwrap();
        let cov = law.covariance();
        for i in 0..4 {
            for j in 0..4 {
                assert!((cov[(i, j)] - 0.6f64.powi(i.abs_diff(j) as i32)).abs() < 1e-14);
            }
        }
        assert!(!law.is_standard());
        assert!(InputLaw::autoregressive(4, 0.0, 0.0).unwrap().is_standard());
        assert!(InputLaw::autoregressive(4, 0.0, 1.0).is_err());
        assert!(InputLaw::new(&[0.0, 0.0], Mat::from_fn(2, 2, |_, _| 1.0).as_ref()).is_err());
        assert!(InputLaw::new(&[0.0], Mat::<f64>::zeros(2, 2).as_ref()).is_err());
        // A network on z mapped to x: f(μ + L z) = g(z).
        let g = crate::Family::Biased {
            dim: 4,
            hidden: 3,
            bias_range: 1.0,
        }
        .plant(crate::Seed(1))
        .unwrap();
        let f = law.network_on_inputs(&g).unwrap();
        let zs = Mat::from_fn(5, 4, |i, j| ((i * 4 + j) as f64 * 0.37).sin());
        let mut xs = zs.clone();
        law.transform_rows(xs.as_mut());
        let (gz, fx) = (
            g.predict(zs.as_ref(), faer::Par::Seq).unwrap(),
            f.predict(xs.as_ref(), faer::Par::Seq).unwrap(),
        );
        for i in 0..5 {
            assert!((gz[i] - fx[i]).abs() < 1e-12, "{i}");
        }
        let mut z = Mat::from_fn(3, 4, |i, j| (i + j) as f64);
        let z0 = z.clone();
        law.transform_rows(z.as_mut());
        let l = law.cholesky();
        for i in 0..3 {
            for j in 0..4 {
                let want: f64 = 1.5 + (0..4).map(|m| l[(j, m)] * z0[(i, m)]).sum::<f64>();
                assert!((z[(i, j)] - want).abs() < 1e-12);
            }
        }
    }
}
