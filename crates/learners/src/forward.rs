//! The forward pass of a ReLU network on a batch, shared by the
//! gradient-descent baseline ([`crate::gd`]) and the Levenberg–Marquardt
//! polish ([`crate::polish`]): both back-propagate through the
//! pre-activations and activations it keeps.

use faer::linalg::matmul::matmul;
use faer::{Accum, ColRef, Mat, MatRef, Par};

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
}
