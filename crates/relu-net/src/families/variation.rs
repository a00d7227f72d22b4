//! Variations of a planted teacher: output signs, an output offset and a
//! label scale, applied after the family drew the network.

use faer::{Col, Mat};
use serde::{Deserialize, Serialize};

use super::rows::random_signs;
use crate::error::NetError;
use crate::network::Network;
use crate::seed::Seed;

/// Signs of a planted network's output weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signs {
    /// Keep the family's own output weights (positive for the depth-2
    /// families but `signed` and `generic`).
    #[default]
    Positive,
    /// Multiply each output weight by an independent random sign; when
    /// there are at least two, both signs occur.
    Mixed,
}

/// Changes applied to a planted teacher after its family drew it: output
/// signs, an output offset and a label scale,
/// `f(x) = label_scale · (Σ_i σ_i a_i h_i(x) + c) + offset` for the last
/// hidden layer `h` and signs `σ_i`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variation {
    /// Output-weight signs.
    pub signs: Signs,
    /// Added to the output bias.
    pub offset: f64,
    /// Multiplies the output layer (weights and bias), applied before the
    /// offset is added.
    pub label_scale: f64,
}

impl Default for Variation {
    fn default() -> Self {
        Self {
            signs: Signs::Positive,
            offset: 0.0,
            label_scale: 1.0,
        }
    }
}

/// Applies a [`Variation`] to the output layer of `net`.
pub(super) fn vary(net: Network, seed: Seed, v: &Variation) -> Result<Network, NetError> {
    if !v.offset.is_finite() {
        return Err(NetError::InvalidParam {
            name: "offset",
            value: v.offset,
            expected: "a finite number",
        });
    }
    if !(v.label_scale.is_finite() && v.label_scale != 0.0) {
        return Err(NetError::InvalidParam {
            name: "label_scale",
            value: v.label_scale,
            expected: "a finite non-zero number",
        });
    }
    let mut parts: Vec<(Mat<f64>, Col<f64>)> = net
        .layers()
        .iter()
        .map(|l| (l.weight().to_owned(), l.bias().to_owned()))
        .collect();
    let (w, b) = parts.last_mut().expect("a network has an output layer");
    if v.signs == Signs::Mixed {
        let mut rng = seed.rng();
        let mut row = Col::from_fn(w.ncols(), |j| w[(0, j)].abs());
        random_signs(&mut rng, row.as_mut());
        for j in 0..w.ncols() {
            w[(0, j)] = row[j];
        }
    }
    for j in 0..w.ncols() {
        w[(0, j)] *= v.label_scale;
    }
    b[0] = v.label_scale * b[0] + v.offset;
    Network::from_parts(parts)
}
