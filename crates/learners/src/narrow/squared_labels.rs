//! Step 2's extra matrix: the second Hermite moment of the squared centred
//! labels, `Q = E[(y − ȳ)² S_2(x)] = E[(y − ȳ)² (x xᵀ − I)]`.
//!
//! When `f(x) = φ(Uᵀx)` depends on x through a k-dimensional projection, so
//! does `(f − ȳ)²`, and its order-2 Hermite moment lies in span U. Unlike
//! the moments `M_l` of y itself, it does not vanish when every low degree
//! of f does (parity of signs: `f²` depends on `|⟨u_i, x⟩|` only, and Q is
//! a multiple of the projector onto span U), and it is not damped by
//! `⟨u_i, g⟩^{l−2}` as the random contractions are. This is the label
//! transformation of Chen–Meka's filtered PCA in its simplest form; CDGKM
//! use moments of y only. Its eigenvectors above noise join the projector
//! of step 2; they are not used as candidate directions (they span U but
//! are not the units).

use faer::{ColMut, MatMut};
use relu_net::SampleSource;
use relu_net::view::{Viewed, executor_of, viewed};

/// The samples `(x, (y − shift)²)` of another source.
pub(crate) struct SquaredLabels<'a> {
    src: &'a dyn SampleSource,
    shift: f64,
    exec: Option<(Viewed<'a>, usize)>,
}

/// The name of this view in a job's views (its spec: `shift`).
pub(crate) const SQUARED_VIEW: &str = "squared-labels";

impl<'a> SquaredLabels<'a> {
    /// Labels `(y − shift)²`.
    pub(crate) fn new(src: &'a dyn SampleSource, shift: f64) -> Self {
        let exec = viewed(src, || {
            relu_net::view::spec(SQUARED_VIEW, &serde_json::json!({ "shift": shift }))
        });
        Self { src, shift, exec }
    }
}

impl SampleSource for SquaredLabels<'_> {
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

    fn chunk(&self, start: usize, x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        self.src.chunk(start, x, y.as_mut());
        for i in 0..y.nrows() {
            y[i] = (y[i] - self.shift).powi(2);
        }
    }
}
