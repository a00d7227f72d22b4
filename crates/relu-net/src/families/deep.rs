//! The deep family: a network of any depth with He-scaled hidden layers.

use faer::{Col, Mat};
use rand::rngs::ChaCha8Rng;

use super::rows::unit_rows;
use crate::error::NetError;
use crate::network::Network;
use crate::seed::gaussian_vec;

/// Draws a [`super::Family::Deep`] network: checks the architecture, then
/// unit first-layer rows, He-scaled deeper layers and Gaussian hidden biases.
pub(super) fn plant_deep(
    rng: &mut ChaCha8Rng,
    dim: usize,
    widths: &[usize],
    bias_std: f64,
) -> Result<Network, NetError> {
    if dim == 0 {
        return Err(NetError::ZeroDim { what: "dim" });
    }
    if widths.is_empty() {
        return Err(NetError::InvalidParam {
            name: "depth",
            value: 1.0,
            expected: "at least 2 (one hidden layer and the output layer)",
        });
    }
    if widths.contains(&0) {
        return Err(NetError::ZeroDim {
            what: "a hidden width",
        });
    }
    if !(bias_std.is_finite() && bias_std >= 0.0) {
        return Err(NetError::InvalidParam {
            name: "bias_std",
            value: bias_std,
            expected: "a finite number >= 0",
        });
    }
    let mut all = vec![dim];
    all.extend_from_slice(widths);
    all.push(1);
    let n_layers = all.len() - 1;
    let mut parts = Vec::with_capacity(n_layers);
    for l in 1..=n_layers {
        let (fan_in, fan_out) = (all[l - 1], all[l]);
        let w = if l == 1 {
            unit_rows(rng, fan_out, fan_in)
        } else {
            let var = if l == n_layers { 1.0 } else { 2.0 } / fan_in as f64;
            let g = gaussian_vec(rng, fan_out * fan_in);
            Mat::from_fn(fan_out, fan_in, |i, j| var.sqrt() * g[i * fan_in + j])
        };
        let b = if l == n_layers {
            Col::zeros(1)
        } else {
            let g = gaussian_vec(rng, fan_out);
            Col::from_fn(fan_out, |i| bias_std * g[i])
        };
        parts.push((w, b));
    }
    Network::from_parts(parts)
}
