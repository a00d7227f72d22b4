//! The depth-2 families: one function per family that checks its parameters
//! and draws `f(x) = Σ_i a_i relu(⟨w_i, x⟩ + b_i)` (output bias 0).

use faer::{Col, Mat};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;

use super::rows::{close_pairs, clusters, conditioned_rows, positive_weights, random_signs, unit_rows};
use crate::error::NetError;
use crate::network::Network;
use crate::seed::Seed;

/// Checks that `value` is finite and positive.
fn positive(name: &'static str, value: f64, expected: &'static str) -> Result<(), NetError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(NetError::InvalidParam {
            name,
            value,
            expected,
        })
    }
}

/// Checks a bias half-width: finite and non-negative.
fn check_bias_range(bias_range: f64) -> Result<(), NetError> {
    if bias_range.is_finite() && bias_range >= 0.0 {
        Ok(())
    } else {
        Err(NetError::InvalidParam {
            name: "bias_range",
            value: bias_range,
            expected: "a finite number >= 0",
        })
    }
}

/// Checks an angle between units: in (0, π].
fn check_angle(angle: f64) -> Result<(), NetError> {
    positive("angle", angle, "in (0, pi] radians")?;
    if angle > std::f64::consts::PI {
        return Err(NetError::InvalidParam {
            name: "angle",
            value: angle,
            expected: "in (0, pi] radians",
        });
    }
    Ok(())
}

/// Checks that the input dimension and the hidden width are non-zero.
fn check_dims(dim: usize, hidden: usize) -> Result<(), NetError> {
    if dim == 0 {
        return Err(NetError::ZeroDim { what: "dim" });
    }
    if hidden == 0 {
        return Err(NetError::ZeroDim { what: "hidden" });
    }
    Ok(())
}

/// Checks that the input dimension leaves room for two close units (`why`
/// names the structure that needs it).
fn check_dim_at_least_2(dim: usize, why: &'static str) -> Result<(), NetError> {
    if dim < 2 {
        return Err(NetError::InvalidParam {
            name: "dim",
            value: dim as f64,
            expected: why,
        });
    }
    Ok(())
}

/// The depth-2 network `aᵀ relu(W x + b)` with output bias 0.
fn depth2(w: Mat<f64>, b: Col<f64>, a: Col<f64>) -> Result<Network, NetError> {
    Network::depth2(w.as_ref(), b.as_ref(), a.as_ref(), 0.0)
}

/// [`super::Family::Random`]: unit rows, zero biases, positive output weights.
pub(super) fn plant_random(rng: &mut ChaCha8Rng, dim: usize, hidden: usize) -> Result<Network, NetError> {
    check_dims(dim, hidden)?;
    let w = unit_rows(rng, hidden, dim);
    let a = positive_weights(rng, hidden);
    depth2(w, Col::zeros(hidden), a)
}

/// [`super::Family::Conditioned`]: rows of condition number `kappa` (drawn
/// from their own stream of `seed`), zero biases, positive output weights.
pub(super) fn plant_conditioned(
    rng: &mut ChaCha8Rng,
    seed: Seed,
    dim: usize,
    hidden: usize,
    kappa: f64,
) -> Result<Network, NetError> {
    check_dims(dim, hidden)?;
    if !(kappa.is_finite() && kappa >= 1.0) {
        return Err(NetError::InvalidParam {
            name: "kappa",
            value: kappa,
            expected: "a finite number >= 1",
        });
    }
    if hidden > dim {
        return Err(NetError::InvalidParam {
            name: "hidden",
            value: hidden as f64,
            expected: "at most dim for a full-rank W with a finite condition number",
        });
    }
    let w = conditioned_rows(hidden, dim, kappa, seed.derive("conditioned"));
    let a = positive_weights(rng, hidden);
    depth2(w, Col::zeros(hidden), a)
}

/// [`super::Family::Biased`]: unit rows, biases uniform in
/// `[−bias_range, bias_range]`, positive output weights.
pub(super) fn plant_biased(
    rng: &mut ChaCha8Rng,
    dim: usize,
    hidden: usize,
    bias_range: f64,
) -> Result<Network, NetError> {
    check_dims(dim, hidden)?;
    check_bias_range(bias_range)?;
    let w = unit_rows(rng, hidden, dim);
    let a = positive_weights(rng, hidden);
    let b = Col::from_fn(hidden, |_| bias_range * (2.0 * rng.random::<f64>() - 1.0));
    depth2(w, b, a)
}

/// [`super::Family::Close`]: pairs of units at angle `angle`, zero biases,
/// positive output weights.
pub(super) fn plant_close(
    rng: &mut ChaCha8Rng,
    dim: usize,
    hidden: usize,
    angle: f64,
) -> Result<Network, NetError> {
    check_dims(dim, hidden)?;
    check_dim_at_least_2(dim, "at least 2 for pairs of close units")?;
    check_angle(angle)?;
    let w = close_pairs(rng, hidden, dim, angle);
    let a = positive_weights(rng, hidden);
    depth2(w, Col::zeros(hidden), a)
}

/// [`super::Family::Signed`]: unit rows, zero biases, output weights of
/// random sign.
pub(super) fn plant_signed(rng: &mut ChaCha8Rng, dim: usize, hidden: usize) -> Result<Network, NetError> {
    check_dims(dim, hidden)?;
    let w = unit_rows(rng, hidden, dim);
    let mut a = positive_weights(rng, hidden);
    random_signs(rng, a.as_mut());
    depth2(w, Col::zeros(hidden), a)
}

/// [`super::Family::Single`]: one unit row, zero bias, output weight 1.
pub(super) fn plant_single(rng: &mut ChaCha8Rng, dim: usize) -> Result<Network, NetError> {
    check_dims(dim, 1)?;
    let w = unit_rows(rng, 1, dim);
    depth2(w, Col::zeros(1), Col::from_fn(1, |_| 1.0))
}

/// [`super::Family::Cluster`]: groups of `group` units within angle
/// `angle`, zero biases, positive output weights.
pub(super) fn plant_cluster(
    rng: &mut ChaCha8Rng,
    dim: usize,
    hidden: usize,
    group: usize,
    angle: f64,
) -> Result<Network, NetError> {
    check_dims(dim, hidden)?;
    check_dim_at_least_2(dim, "at least 2 for clusters of close units")?;
    if group == 0 {
        return Err(NetError::ZeroDim { what: "group" });
    }
    check_angle(angle)?;
    let w = clusters(rng, hidden, dim, group, angle);
    let a = positive_weights(rng, hidden);
    depth2(w, Col::zeros(hidden), a)
}

/// [`super::Family::Generic`]: unit rows rescaled by log-uniform norms,
/// biases proportional to the norms, output weights of random sign.
pub(super) fn plant_generic(
    rng: &mut ChaCha8Rng,
    dim: usize,
    hidden: usize,
    bias_range: f64,
    row_scale: f64,
) -> Result<Network, NetError> {
    check_dims(dim, hidden)?;
    check_bias_range(bias_range)?;
    if !(row_scale.is_finite() && row_scale >= 1.0) {
        return Err(NetError::InvalidParam {
            name: "row_scale",
            value: row_scale,
            expected: "a finite number >= 1",
        });
    }
    let mut w = unit_rows(rng, hidden, dim);
    let mut b = Col::zeros(hidden);
    let log_s = row_scale.ln();
    for i in 0..hidden {
        let s = (log_s * (2.0 * rng.random::<f64>() - 1.0)).exp();
        for j in 0..dim {
            w[(i, j)] *= s;
        }
        b[i] = s * bias_range * (2.0 * rng.random::<f64>() - 1.0);
    }
    let mut a = positive_weights(rng, hidden);
    random_signs(rng, a.as_mut());
    depth2(w, b, a)
}
