//! The `relu-net/v1` JSON model format.
//!
//! ```json
//! {"format": "relu-net/v1", "input_dim": 2,
//!  "layers": [{"weight": [[1.0, -1.0], [0.0, 1.0]], "bias": [1.0, 0.0]},
//!             {"weight": [[2.0, -1.0]], "bias": [0.5]}]}
//! ```
//!
//! Each layer's `weight` has one row per output unit; ReLU follows every
//! layer except the last, which has one output. Numbers are written with
//! Rust's shortest round-trip formatting, so a write–read cycle reproduces
//! every weight bit for bit. Reading validates everything [`Network::new`]
//! validates, plus the declared `input_dim`. This crate only converts
//! between strings and networks; files are the application's business.

use faer::{Col, Mat};
use serde::{Deserialize, Serialize};

use crate::error::NetError;
use crate::network::Network;

/// The format tag written to and required in every model file.
pub const FORMAT_TAG: &str = "relu-net/v1";

/// The serialised form of a layer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayerJson {
    weight: Vec<Vec<f64>>,
    bias: Vec<f64>,
}

/// The serialised form of a network.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkJson {
    format: String,
    input_dim: usize,
    layers: Vec<LayerJson>,
}

impl Network {
    /// The network as `relu-net/v1` JSON (pretty-printed, one row of a
    /// weight matrix per line).
    #[must_use]
    pub fn to_json(&self) -> String {
        let doc = NetworkJson {
            format: FORMAT_TAG.to_owned(),
            input_dim: self.input_dim(),
            layers: self
                .layers()
                .iter()
                .map(|l| LayerJson {
                    weight: (0..l.fan_out())
                        .map(|i| (0..l.fan_in()).map(|j| l.weight()[(i, j)]).collect())
                        .collect(),
                    bias: (0..l.fan_out()).map(|i| l.bias()[i]).collect(),
                })
                .collect(),
        };
        // Pretty-printing puts one number per line, which is unreadable for
        // matrices; write one weight row per line instead.
        let mut s = String::new();
        s.push_str("{\n  \"format\": ");
        s.push_str(&serde_json::to_string(&doc.format).expect("a string serialises"));
        s.push_str(&format!(
            ",\n  \"input_dim\": {},\n  \"layers\": [",
            doc.input_dim
        ));
        for (l, layer) in doc.layers.iter().enumerate() {
            s.push_str(if l == 0 { "\n" } else { ",\n" });
            s.push_str("    {\n      \"weight\": [");
            for (i, row) in layer.weight.iter().enumerate() {
                s.push_str(if i == 0 { "\n        " } else { ",\n        " });
                s.push_str(&serde_json::to_string(row).expect("finite floats serialise"));
            }
            s.push_str("\n      ],\n      \"bias\": ");
            s.push_str(&serde_json::to_string(&layer.bias).expect("finite floats serialise"));
            s.push_str("\n    }");
        }
        s.push_str("\n  ]\n}\n");
        s
    }

    /// Reads a network from `relu-net/v1` JSON.
    ///
    /// # Errors
    /// [`NetError::Json`] for malformed JSON, missing or unknown fields and
    /// numbers out of range; [`NetError::UnknownFormat`] for another format
    /// tag; [`NetError::LayerShape`] for ragged weight rows or an
    /// `input_dim` that disagrees with the first layer; every error of
    /// [`Network::new`].
    pub fn from_json(text: &str) -> Result<Self, NetError> {
        let doc: NetworkJson = serde_json::from_str(text)?;
        if doc.format != FORMAT_TAG {
            return Err(NetError::UnknownFormat { found: doc.format });
        }
        if doc.input_dim == 0 {
            return Err(NetError::ZeroDim { what: "input_dim" });
        }
        if doc.layers.is_empty() {
            return Err(NetError::NoLayers);
        }
        let mut parts = Vec::with_capacity(doc.layers.len());
        for (l, layer) in doc.layers.into_iter().enumerate() {
            let rows = layer.weight.len();
            let cols = layer.weight.first().map_or(0, Vec::len);
            if let Some(bad) = layer.weight.iter().find(|r| r.len() != cols) {
                return Err(NetError::LayerShape {
                    layer: l,
                    what: "a weight row",
                    expected: cols,
                    got: bad.len(),
                });
            }
            if l == 0 && cols != doc.input_dim {
                return Err(NetError::LayerShape {
                    layer: 0,
                    what: "the weight's column count (input_dim)",
                    expected: doc.input_dim,
                    got: cols,
                });
            }
            let w = Mat::from_fn(rows, cols, |i, j| layer.weight[i][j]);
            let b = Col::from_fn(layer.bias.len(), |i| layer.bias[i]);
            parts.push((w, b));
        }
        Network::from_parts(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::{col, mat};

    fn check(text: &str, expected: impl Fn(&Result<Network, NetError>) -> bool) {
        let got = Network::from_json(text);
        assert!(expected(&got), "unexpected result {got:?} for {text}");
    }

    #[test]
    fn round_trip_is_bit_exact() {
        let net = Network::depth2(
            mat![[0.1, -1.0 / 3.0], [1e-300, 2.5e10]].as_ref(),
            col![f64::MIN_POSITIVE, -0.0].as_ref(),
            col![std::f64::consts::PI, -1.0].as_ref(),
            0.7,
        )
        .unwrap();
        let back = Network::from_json(&net.to_json()).unwrap();
        assert_eq!(net, back);
    }

    #[test]
    fn rejects_invalid_documents() {
        let ok_layer = r#"{"weight": [[1.0, 2.0]], "bias": [0.0]}"#;
        check("not json", |r| matches!(r, Err(NetError::Json(_))));
        check(
            &format!(r#"{{"format": "onnx", "input_dim": 2, "layers": [{ok_layer}]}}"#),
            |r| matches!(r, Err(NetError::UnknownFormat { .. })),
        );
        check(
            &format!(r#"{{"format": "relu-net/v1", "input_dim": 3, "layers": [{ok_layer}]}}"#),
            |r| matches!(r, Err(NetError::LayerShape { layer: 0, .. })),
        );
        check(
            r#"{"format": "relu-net/v1", "input_dim": 2, "layers": []}"#,
            |r| matches!(r, Err(NetError::NoLayers)),
        );
        check(
            r#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0], [1.0]], "bias": [0.0, 0.0]}]}"#,
            |r| matches!(r, Err(NetError::LayerShape { .. })),
        );
        check(
            r#"{"format": "relu-net/v1", "input_dim": 1, "layers": [{"weight": [[1e999]], "bias": [0.0]}]}"#,
            |r| matches!(r, Err(NetError::Json(_))),
        );
        check(
            &format!(r#"{{"format": "relu-net/v1", "input_dim": 2, "extra": 1, "layers": [{ok_layer}]}}"#),
            |r| matches!(r, Err(NetError::Json(_))),
        );
        check(
            r#"{"format": "relu-net/v1", "input_dim": 0, "layers": []}"#,
            |r| matches!(r, Err(NetError::ZeroDim { .. })),
        );
        check(
            r#"{"format": "relu-net/v1", "input_dim": 1, "layers": [{"weight": [[1.0]], "bias": [0.0]}, {"weight": [[1.0, 1.0]], "bias": [0.0]}]}"#,
            |r| matches!(r, Err(NetError::LayerShape { layer: 1, .. })),
        );
    }
}
