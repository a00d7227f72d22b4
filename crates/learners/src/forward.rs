//! The forward pass of a ReLU network on a batch and the batched
//! back-propagation through it, shared by the gradient-descent baseline
//! ([`crate::gd`]), the Levenberg–Marquardt polish ([`crate::polish`],
//! whose Jacobian rows start from the same pre-activations) and the
//! refinement on every row ([`crate::refine`]).

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, ColRef, Mat, MatRef, Par};

/// Pre-activations and activations of every layer for a batch of rows x:
/// `pre[l] = a_l W_lᵀ + 1 b_lᵀ` with `a_0 = x` and `a_{l+1} = relu(pre[l])`
/// for the hidden layers; the last layer is linear, its pre-activation is
/// the output.
pub(crate) struct Forward {
    /// `pre[l]` (rows × fan-out of layer l), for every layer.
    pub pre: Vec<Mat<f64>>,
    /// `relu(pre[l])` for the hidden layers (one fewer than `pre`).
    pub acts: Vec<Mat<f64>>,
}

impl Forward {
    /// Runs the layers `(W_l, b_l)` on x, one GEMM per layer
    /// (sequential: the callers parallelise over chunks).
    pub(crate) fn new<'a>(
        x: MatRef<'_, f64>,
        layers: impl ExactSizeIterator<Item = (MatRef<'a, f64>, ColRef<'a, f64>)>,
    ) -> Self {
        let depth = layers.len();
        let m = x.nrows();
        let mut pre: Vec<Mat<f64>> = Vec::with_capacity(depth);
        let mut acts: Vec<Mat<f64>> = Vec::with_capacity(depth.saturating_sub(1));
        for (l, (w, b)) in layers.enumerate() {
            let input = if l == 0 { x } else { acts[l - 1].as_ref() };
            let mut z = Mat::zeros(m, w.nrows());
            matmul(z.as_mut(), Accum::Replace, input, w.transpose(), 1.0, Par::Seq);
            for j in 0..w.nrows() {
                let bj = b[j];
                for i in 0..m {
                    z[(i, j)] += bj;
                }
            }
            if l + 1 != depth {
                acts.push(Mat::from_fn(m, w.nrows(), |i, j| z[(i, j)].max(0.0)));
            }
            pre.push(z);
        }
        Self { pre, acts }
    }

    /// The input of layer l: x for the first, the previous activation
    /// after it.
    pub(crate) fn input<'s>(&'s self, x: MatRef<'s, f64>, l: usize) -> MatRef<'s, f64> {
        if l == 0 { x } else { self.acts[l - 1].as_ref() }
    }

    /// The network's output (the last pre-activation), rows × 1.
    pub(crate) fn output(&self) -> &Mat<f64> {
        &self.pre[self.pre.len() - 1]
    }

    /// Back-propagation of `g` (rows × 1: the derivative of a loss with
    /// respect to each row's output) through the layers `(W_l, b_l)` the
    /// pass ran: for every layer, `Σ_rows ∂loss/∂W_l` and `Σ_rows ∂loss/∂b_l`,
    /// in layer order. One GEMM per layer for the weights and one for the
    /// signal below (ReLU′(0) = 0): `G_{l−1} = (G_l W_l) ⊙ 1[pre_{l−1} > 0]`.
    pub(crate) fn backward(
        &self,
        x: MatRef<'_, f64>,
        weights: &[MatRef<'_, f64>],
        mut g: Mat<f64>,
    ) -> Vec<(Mat<f64>, Col<f64>)> {
        let depth = weights.len();
        let mut grads: Vec<(Mat<f64>, Col<f64>)> = Vec::with_capacity(depth);
        for l in (0..depth).rev() {
            let w = weights[l];
            let mut gw = Mat::zeros(w.nrows(), w.ncols());
            matmul(
                gw.as_mut(),
                Accum::Replace,
                g.transpose(),
                self.input(x, l),
                1.0,
                Par::Seq,
            );
            let gb = Col::from_fn(g.ncols(), |j| (0..g.nrows()).map(|i| g[(i, j)]).sum());
            grads.push((gw, gb));
            if l > 0 {
                let mut prev = Mat::zeros(g.nrows(), w.ncols());
                matmul(prev.as_mut(), Accum::Replace, g.as_ref(), w, 1.0, Par::Seq);
                for j in 0..prev.ncols() {
                    for i in 0..prev.nrows() {
                        if self.pre[l - 1][(i, j)] <= 0.0 {
                            prev[(i, j)] = 0.0;
                        }
                    }
                }
                g = prev;
            }
        }
        grads.reverse();
        grads
    }
}
