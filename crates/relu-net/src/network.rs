//! The [`Network`] type: fully connected ReLU networks with one output.
//!
//! A network of depth L is a chain of affine layers
//! `x ↦ W_l x + b_l`, with ReLU after every layer but the last, which has
//! exactly one output:
//!
//! ```text
//! f(x) = W_L relu(W_{L-1} relu( … relu(W_1 x + b_1) … ) + b_{L-1}) + b_L
//! ```
//!
//! A depth-2 network is `f(x) = aᵀ relu(W x + b) + c`; its parts are read
//! through [`Network::as_depth2`].

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, ColMut, ColRef, Mat, MatMut, MatRef, Par, RowRef};
use rayon::prelude::*;

use crate::error::NetError;

/// Rows per block of the batched forward pass.
///
/// Blocks are the unit of parallel work and each block is computed with a
/// sequential kernel, so the output is bit-identical for every thread
/// count.
pub const FORWARD_BLOCK_ROWS: usize = 512;

/// Something that predicts one real number per input row.
pub trait Predictor: Sync {
    /// The input dimension d.
    fn dim(&self) -> usize;

    /// Writes the prediction for every row of `x` (n × d) into `out` (n).
    ///
    /// # Panics
    /// If `x.ncols() != self.dim()` or `out.nrows() != x.nrows()`; callers
    /// that take data from users check shapes first (see
    /// [`Network::predict`]).
    fn predict_into(&self, x: MatRef<'_, f64>, out: ColMut<'_, f64>, par: Par);

    /// The predictor as a [`Network`], when it is one: what lets a metric
    /// pass run on an [`crate::Executor`]'s workers (others run here).
    fn network(&self) -> Option<&Network> {
        None
    }
}

/// One affine layer `x ↦ W x + b`, `W` having one row per output unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    // Invariant: bias.nrows() == weight.nrows() >= 1, weight.ncols() >= 1,
    // every entry finite.
    weight: Mat<f64>,
    bias: Col<f64>,
}

/// Returns the location of the first non-finite entry of `m`, if any.
pub(crate) fn first_non_finite(m: MatRef<'_, f64>) -> Option<(usize, usize)> {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            if !m[(i, j)].is_finite() {
                return Some((i, j));
            }
        }
    }
    None
}

/// Returns the index of the first non-finite entry of `v`, if any.
pub(crate) fn first_non_finite_col(v: ColRef<'_, f64>) -> Option<usize> {
    (0..v.nrows()).find(|&i| !v[i].is_finite())
}

impl Layer {
    /// A layer with the given weight (outputs × inputs) and bias (outputs).
    ///
    /// # Errors
    /// [`NetError::ZeroDim`] for an empty matrix, [`NetError::LayerShape`]
    /// when the bias length differs from the number of rows, and
    /// [`NetError::NonFinite`] for NaN or infinite entries. The layer index
    /// in errors is 0; [`Network::new`] reports the real index.
    pub fn new(weight: Mat<f64>, bias: Col<f64>) -> Result<Self, NetError> {
        Self::checked(weight, bias, 0)
    }

    fn checked(weight: Mat<f64>, bias: Col<f64>, layer: usize) -> Result<Self, NetError> {
        if weight.nrows() == 0 {
            return Err(NetError::ZeroDim {
                what: "a layer's number of units",
            });
        }
        if weight.ncols() == 0 {
            return Err(NetError::ZeroDim {
                what: "a layer's input dimension",
            });
        }
        if bias.nrows() != weight.nrows() {
            return Err(NetError::LayerShape {
                layer,
                what: "the bias",
                expected: weight.nrows(),
                got: bias.nrows(),
            });
        }
        if let Some((i, j)) = first_non_finite(weight.as_ref()) {
            return Err(NetError::NonFinite {
                what: "a weight matrix",
                location: format!("layer {layer}, row {i}, column {j}"),
            });
        }
        if let Some(i) = first_non_finite_col(bias.as_ref()) {
            return Err(NetError::NonFinite {
                what: "a bias vector",
                location: format!("layer {layer}, entry {i}"),
            });
        }
        Ok(Self { weight, bias })
    }

    /// The weight matrix W (one row per output unit).
    #[must_use]
    pub fn weight(&self) -> MatRef<'_, f64> {
        self.weight.as_ref()
    }

    /// The bias vector b.
    #[must_use]
    pub fn bias(&self) -> ColRef<'_, f64> {
        self.bias.as_ref()
    }

    /// Number of inputs of the layer.
    #[must_use]
    pub fn fan_in(&self) -> usize {
        self.weight.ncols()
    }

    /// Number of output units of the layer.
    #[must_use]
    pub fn fan_out(&self) -> usize {
        self.weight.nrows()
    }
}

/// A fully connected ReLU network with one real output.
///
/// # Example
/// ```
/// use faer::{mat, col, Par};
/// use relu_net::Network;
///
/// // f(x) = 2 relu(x1 - x2 + 1) - relu(x2) + 0.5
/// let w = mat![[1.0, -1.0], [0.0, 1.0]];
/// let net = Network::depth2(w.as_ref(), col![1.0, 0.0].as_ref(), col![2.0, -1.0].as_ref(), 0.5)?;
/// let x = mat![[0.0, 0.0], [1.0, 3.0]];
/// let y = net.predict(x.as_ref(), Par::Seq)?;
/// assert_eq!(y[0], 2.0 * 1.0 - 0.0 + 0.5);
/// assert_eq!(y[1], 2.0 * 0.0 - 3.0 + 0.5);
/// # Ok::<(), relu_net::NetError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    // Invariant: non-empty; layers[l].fan_in() == layers[l-1].fan_out();
    // the last layer has fan_out() == 1; every entry finite.
    layers: Vec<Layer>,
}

/// Borrowed parts of a depth-2 network `f(x) = aᵀ relu(W x + b) + c`.
#[derive(Clone, Copy, Debug)]
pub struct Depth2<'a> {
    /// Hidden weights W (k × d), one row per hidden unit.
    pub w: MatRef<'a, f64>,
    /// Hidden biases b (k).
    pub b: ColRef<'a, f64>,
    /// Output weights a (k), as a row of the output layer.
    pub a: RowRef<'a, f64>,
    /// Output bias c.
    pub c: f64,
}

impl Network {
    /// A network from its layers, first to last.
    ///
    /// # Errors
    /// [`NetError::NoLayers`], [`NetError::LayerShape`] if consecutive
    /// layers do not chain, [`NetError::OutputNotScalar`] if the last layer
    /// has more than one unit; layer errors as in [`Layer::new`].
    pub fn new(layers: Vec<Layer>) -> Result<Self, NetError> {
        if layers.is_empty() {
            return Err(NetError::NoLayers);
        }
        for l in 1..layers.len() {
            if layers[l].fan_in() != layers[l - 1].fan_out() {
                return Err(NetError::LayerShape {
                    layer: l,
                    what: "the weight's column count (inputs)",
                    expected: layers[l - 1].fan_out(),
                    got: layers[l].fan_in(),
                });
            }
        }
        let last = layers.len() - 1;
        if layers[last].fan_out() != 1 {
            return Err(NetError::OutputNotScalar {
                got: layers[last].fan_out(),
            });
        }
        Ok(Self { layers })
    }

    /// A network from raw layer parts `(W_l, b_l)`, validated with the
    /// right layer index in errors.
    ///
    /// # Errors
    /// As [`Network::new`] and [`Layer::new`].
    pub fn from_parts(parts: Vec<(Mat<f64>, Col<f64>)>) -> Result<Self, NetError> {
        let layers = parts
            .into_iter()
            .enumerate()
            .map(|(l, (w, b))| Layer::checked(w, b, l))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(layers)
    }

    /// The depth-2 network `f(x) = aᵀ relu(W x + b) + c`.
    ///
    /// # Errors
    /// [`NetError::LayerShape`] if `b` or `a` do not have one entry per row
    /// of `W`; [`NetError::NonFinite`], [`NetError::ZeroDim`] as in
    /// [`Layer::new`].
    pub fn depth2(
        w: MatRef<'_, f64>,
        b: ColRef<'_, f64>,
        a: ColRef<'_, f64>,
        c: f64,
    ) -> Result<Self, NetError> {
        if a.nrows() != w.nrows() {
            return Err(NetError::LayerShape {
                layer: 1,
                what: "the output weight vector a",
                expected: w.nrows(),
                got: a.nrows(),
            });
        }
        let out_w = Mat::from_fn(1, a.nrows(), |_, j| a[j]);
        Self::from_parts(vec![
            (w.to_owned(), b.to_owned()),
            (out_w, Col::from_fn(1, |_| c)),
        ])
    }

    /// The layers, first to last.
    #[must_use]
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The input dimension d.
    #[must_use]
    pub fn input_dim(&self) -> usize {
        self.layers[0].fan_in()
    }

    /// The depth L: the number of affine layers (a depth-2 network has one
    /// hidden layer).
    #[must_use]
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// The widths of the hidden layers (empty for an affine network).
    #[must_use]
    pub fn hidden_widths(&self) -> Vec<usize> {
        self.layers[..self.layers.len() - 1]
            .iter()
            .map(Layer::fan_out)
            .collect()
    }

    /// The total number of weights and biases.
    #[must_use]
    pub fn n_params(&self) -> usize {
        self.layers.iter().map(|l| l.fan_out() * (l.fan_in() + 1)).sum()
    }

    /// The parts `(W, b, a, c)` of a depth-2 network.
    ///
    /// # Errors
    /// [`NetError::NotDepth2`] if the network has another depth.
    pub fn as_depth2(&self) -> Result<Depth2<'_>, NetError> {
        if self.depth() != 2 {
            return Err(NetError::NotDepth2 {
                what: "the depth-2 view (W, b, a, c)",
                depth: self.depth(),
            });
        }
        let (hidden, out) = (&self.layers[0], &self.layers[1]);
        Ok(Depth2 {
            w: hidden.weight(),
            b: hidden.bias(),
            a: out.weight().row(0),
            c: out.bias()[0],
        })
    }

    /// Checks that `x` can be fed to the network: `d` columns and finite
    /// entries.
    ///
    /// # Errors
    /// [`NetError::InputDim`] or [`NetError::NonFinite`].
    pub fn check_input(&self, x: MatRef<'_, f64>) -> Result<(), NetError> {
        if x.ncols() != self.input_dim() {
            return Err(NetError::InputDim {
                expected: self.input_dim(),
                got: x.ncols(),
            });
        }
        if let Some((i, j)) = first_non_finite(x) {
            return Err(NetError::NonFinite {
                what: "the input x",
                location: format!("row {i}, column {j}"),
            });
        }
        Ok(())
    }

    /// The network's output on every row of `x` (n × d).
    ///
    /// Rows are processed in blocks of [`FORWARD_BLOCK_ROWS`], each with
    /// sequential faer matrix products; blocks run in parallel when `par`
    /// allows, and the result does not depend on the thread count.
    ///
    /// # Errors
    /// As [`Network::check_input`].
    ///
    /// # Complexity
    /// O(n · Σ_l fan_in_l · fan_out_l) time, O(block · max width) memory
    /// per thread.
    pub fn predict(&self, x: MatRef<'_, f64>, par: Par) -> Result<Col<f64>, NetError> {
        self.check_input(x)?;
        let mut out = Col::zeros(x.nrows());
        self.predict_into(x, out.as_mut(), par);
        Ok(out)
    }

    /// The activations of the last hidden layer on every row of `x`
    /// (n × width); for depth 1 this is `x` itself.
    ///
    /// # Panics
    /// If `x.ncols() != self.input_dim()`.
    #[must_use]
    pub fn last_hidden(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        assert_eq!(x.ncols(), self.input_dim(), "Network::last_hidden: input dim");
        let mut h = x.to_owned();
        for layer in &self.layers[..self.layers.len() - 1] {
            h = affine_relu(h.as_ref(), layer, true);
        }
        h
    }
}

/// `relu(x Wᵀ + 1 bᵀ)` (or without the ReLU) for one block of rows.
fn affine_relu(x: MatRef<'_, f64>, layer: &Layer, relu: bool) -> Mat<f64> {
    let mut h = Mat::zeros(x.nrows(), layer.fan_out());
    affine_relu_into(h.as_mut(), x, layer, relu);
    h
}

fn affine_relu_into(mut h: MatMut<'_, f64>, x: MatRef<'_, f64>, layer: &Layer, relu: bool) {
    matmul(
        h.as_mut(),
        Accum::Replace,
        x,
        layer.weight().transpose(),
        1.0,
        Par::Seq,
    );
    for j in 0..h.ncols() {
        let bj = layer.bias[j];
        let col = h.as_mut().col_mut(j);
        if relu {
            for v in col.iter_mut() {
                *v = (*v + bj).max(0.0);
            }
        } else {
            for v in col.iter_mut() {
                *v += bj;
            }
        }
    }
}

impl Network {
    /// Forward pass of one block into `out` (len = x.nrows()).
    fn forward_block(&self, x: MatRef<'_, f64>, out: &mut [f64]) {
        let mut h: Option<Mat<f64>> = None;
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let input = h.as_ref().map_or(x, Mat::as_ref);
            let next = affine_relu(input, layer, l != last);
            h = Some(next);
        }
        let h = h.expect("a network has at least one layer");
        for (i, o) in out.iter_mut().enumerate() {
            *o = h[(i, 0)];
        }
    }
}

impl Predictor for Network {
    fn dim(&self) -> usize {
        self.input_dim()
    }

    fn network(&self) -> Option<&Network> {
        Some(self)
    }

    fn predict_into(&self, x: MatRef<'_, f64>, mut out: ColMut<'_, f64>, par: Par) {
        assert_eq!(x.ncols(), self.input_dim(), "predict_into: input dimension");
        assert_eq!(out.nrows(), x.nrows(), "predict_into: output length");
        let n = x.nrows();
        let mut buf = vec![0.0; n];
        let run = |(b, chunk): (usize, &mut [f64])| {
            let start = b * FORWARD_BLOCK_ROWS;
            self.forward_block(x.subrows(start, chunk.len()), chunk);
        };
        match par {
            Par::Seq => buf.chunks_mut(FORWARD_BLOCK_ROWS).enumerate().for_each(run),
            Par::Rayon(_) => buf.par_chunks_mut(FORWARD_BLOCK_ROWS).enumerate().for_each(run),
        }
        for (i, v) in buf.into_iter().enumerate() {
            out[i] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::{col, mat};

    fn check(net: &Network, x: MatRef<'_, f64>, expected: &[f64]) {
        let y = net.predict(x, Par::Seq).unwrap();
        for (i, e) in expected.iter().enumerate() {
            assert!((y[i] - e).abs() < 1e-12, "row {i}: {} vs {e}", y[i]);
        }
    }

    #[test]
    fn depth2_forward_matches_hand_computation() {
        let net = Network::depth2(
            mat![[1.0, -1.0], [0.0, 1.0]].as_ref(),
            col![1.0, 0.0].as_ref(),
            col![2.0, -1.0].as_ref(),
            0.5,
        )
        .unwrap();
        check(
            &net,
            mat![[0.0, 0.0], [1.0, 3.0], [-2.0, 0.5]].as_ref(),
            &[2.5, -2.5, 0.0],
        );
    }

    #[test]
    fn depth1_network_is_affine() {
        let net = Network::from_parts(vec![(mat![[2.0, 3.0]], col![-1.0])]).unwrap();
        check(&net, mat![[1.0, 1.0], [-1.0, 0.0]].as_ref(), &[4.0, -3.0]);
        assert!(net.hidden_widths().is_empty());
    }

    #[test]
    fn constructors_reject_bad_shapes_and_values() {
        assert!(matches!(Network::new(vec![]), Err(NetError::NoLayers)));
        let bad_bias = Network::from_parts(vec![(mat![[1.0, 2.0]], col![1.0, 2.0])]);
        assert!(matches!(bad_bias, Err(NetError::LayerShape { layer: 0, .. })));
        let not_scalar = Network::from_parts(vec![(mat![[1.0], [2.0]], col![0.0, 0.0])]);
        assert!(matches!(not_scalar, Err(NetError::OutputNotScalar { got: 2 })));
        let chain = Network::from_parts(vec![
            (mat![[1.0, 2.0], [3.0, 4.0]], col![0.0, 0.0]),
            (mat![[1.0, 2.0, 3.0]], col![0.0]),
        ]);
        assert!(matches!(chain, Err(NetError::LayerShape { layer: 1, .. })));
        let nan = Network::from_parts(vec![(mat![[1.0, f64::NAN]], col![0.0])]);
        assert!(matches!(nan, Err(NetError::NonFinite { .. })));
        let inf = Network::from_parts(vec![(mat![[1.0, 0.0]], col![f64::INFINITY])]);
        assert!(matches!(inf, Err(NetError::NonFinite { .. })));
        let empty = Network::from_parts(vec![(Mat::zeros(1, 0), col![0.0])]);
        assert!(matches!(empty, Err(NetError::ZeroDim { .. })));
    }

    #[test]
    fn predict_rejects_wrong_width_and_nan() {
        let net = Network::from_parts(vec![(mat![[1.0, 1.0]], col![0.0])]).unwrap();
        assert!(matches!(
            net.predict(mat![[1.0, 2.0, 3.0]].as_ref(), Par::Seq),
            Err(NetError::InputDim { expected: 2, got: 3 })
        ));
        assert!(matches!(
            net.predict(mat![[1.0, f64::NAN]].as_ref(), Par::Seq),
            Err(NetError::NonFinite { .. })
        ));
    }

    #[test]
    fn depth2_view_reads_back_parts() {
        let net = Network::depth2(
            mat![[1.0, 2.0]].as_ref(),
            col![3.0].as_ref(),
            col![4.0].as_ref(),
            5.0,
        )
        .unwrap();
        let p = net.as_depth2().unwrap();
        assert_eq!((p.w[(0, 1)], p.b[0], p.a[0], p.c), (2.0, 3.0, 4.0, 5.0));
        assert_eq!(net.n_params(), 2 + 1 + 1 + 1);
        let deep = Network::from_parts(vec![(mat![[1.0]], col![0.0])]).unwrap();
        assert!(matches!(
            deep.as_depth2(),
            Err(NetError::NotDepth2 { depth: 1, .. })
        ));
    }
}
