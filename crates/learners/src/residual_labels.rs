//! The samples `(x, y − f̂(x))` of a source and a fitted network: what a
//! fit leaves unexplained, as a source of its own, so that every moment
//! estimator streams it (narrow's residual discovery, ckm's subspace
//! extension).

use faer::{Col, ColMut, MatMut, Par};
use relu_net::view::{Viewed, executor_of, viewed};
use relu_net::{Network, Predictor, SampleSource};

/// Labels `y − f̂(x)` of another source; `f̂` must take the source's inputs.
pub(crate) struct ResidualLabels<'a> {
    src: &'a dyn SampleSource,
    net: &'a Network,
    exec: Option<(Viewed<'a>, usize)>,
}

/// The name of the residual view in a job's views (its spec: `network`).
pub(crate) const RESIDUAL_VIEW: &str = "residual";

impl<'a> ResidualLabels<'a> {
    /// The residual of `net` on `src` (`net.input_dim() == src.dim()`,
    /// checked by the callers, which build `net` for `src`).
    pub(crate) fn new(src: &'a dyn SampleSource, net: &'a Network) -> Self {
        debug_assert_eq!(src.dim(), net.input_dim());
        let exec = viewed(src, || {
            relu_net::view::spec(
                RESIDUAL_VIEW,
                &serde_json::json!({ "network": crate::passes::net_value(net)? }),
            )
        });
        Self { src, net, exec }
    }
}

impl SampleSource for ResidualLabels<'_> {
    fn note_pass(&self, name: &'static str) {
        self.src.note_pass(name);
    }
    fn executor(&self) -> Option<(&dyn relu_net::Executor, usize)> {
        executor_of(&self.exec)
    }
    fn dim(&self) -> usize {
        self.src.dim()
    }

    fn len(&self) -> usize {
        self.src.len()
    }

    fn chunk(&self, start: usize, mut x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        self.src.chunk(start, x.as_mut(), y.as_mut());
        let mut pred = Col::zeros(y.nrows());
        self.net.predict_into(x.as_ref(), pred.as_mut(), Par::Seq);
        for i in 0..y.nrows() {
            y[i] -= pred[i];
        }
    }
}
