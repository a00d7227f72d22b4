//! Samples with projected inputs `z = Uᵀ x` for an orthonormal `U` (d × m):
//! high-order statistics inside a recovered subspace cost O(m^l) instead of
//! O(d^l). Since `z ~ N(0, I_m)`, every estimator of this crate applies
//! unchanged, and `H_l(x)[U, …, U] = H_l^{(m)}(z)` (see
//! `docs/math/gaussian-moments.md`).

use faer::linalg::matmul::matmul;
use faer::{Accum, ColMut, Mat, MatMut, MatRef, Par};
use relu_net::SampleSource;
use relu_net::view::{self, Viewed, executor_of, viewed};

use crate::error::MomentError;

/// A [`SampleSource`] whose inputs are `Uᵀ x` for the inputs x of another
/// source.
pub struct Projected<'a> {
    src: &'a dyn SampleSource,
    // Invariant: basis is src.dim() × m with orthonormal columns (to 1e-10).
    basis: Mat<f64>,
    /// Where `src`'s passes run elsewhere, the same with this projection
    /// as a view (`relu_net::view`).
    exec: Option<(Viewed<'a>, usize)>,
}

/// The name of the projection view in a job's views.
pub const PROJECT_VIEW: &str = "project";

/// The projection view's parameters.
#[derive(serde::Serialize, serde::Deserialize)]
struct ProjectView {
    #[serde(with = "relu_net::pass::mat")]
    basis: Mat<f64>,
}

impl<'a> Projected<'a> {
    /// Projects `src` onto the columns of `basis`.
    ///
    /// # Errors
    /// [`MomentError::Dim`] if `basis` has the wrong number of rows or no
    /// columns, [`MomentError::InvalidParam`] if its columns are not
    /// orthonormal (then z would not be standard Gaussian).
    pub fn new(src: &'a dyn SampleSource, basis: MatRef<'_, f64>) -> Result<Self, MomentError> {
        if basis.nrows() != src.dim() || basis.ncols() == 0 {
            return Err(MomentError::Dim {
                what: "the rows of the projection basis",
                expected: src.dim(),
                got: basis.nrows(),
            });
        }
        let gram = basis.transpose() * basis;
        let mut dev: f64 = 0.0;
        for i in 0..gram.nrows() {
            for j in 0..gram.ncols() {
                let e = if i == j { 1.0 } else { 0.0 };
                dev = dev.max((gram[(i, j)] - e).abs());
            }
        }
        if dev.is_nan() || dev > 1e-10 {
            return Err(MomentError::InvalidParam {
                name: "basis orthonormality deviation",
                value: dev,
                expected: "at most 1e-10 (orthonormalise the basis first)",
            });
        }
        let exec = viewed(src, || {
            view::spec(
                PROJECT_VIEW,
                &ProjectView {
                    basis: basis.to_owned(),
                },
            )
        });
        Ok(Self {
            src,
            basis: basis.to_owned(),
            exec,
        })
    }

    /// Rebuilds the projection a job's view `spec` names, over `src` (a
    /// worker's rows).
    ///
    /// # Errors
    /// [`relu_net::NetError::Pass`] with [`Projected::new`]'s reason, or for
    /// a spec that does not decode.
    pub fn from_view(
        src: &'a dyn SampleSource,
        spec: &serde_json::Value,
    ) -> Result<Self, relu_net::NetError> {
        let ProjectView { basis } = view::params(spec)?;
        Self::new(src, basis.as_ref()).map_err(|e| relu_net::NetError::Pass {
            pass: format!("view {PROJECT_VIEW:?}"),
            reason: e.to_string(),
        })
    }
}

impl SampleSource for Projected<'_> {
    fn note_pass(&self, name: &'static str) {
        self.src.note_pass(name);
    }
    fn executor(&self) -> Option<(&dyn relu_net::Executor, usize)> {
        executor_of(&self.exec)
    }
    fn dim(&self) -> usize {
        self.basis.ncols()
    }

    fn len(&self) -> usize {
        self.src.len()
    }

    fn chunk(&self, start: usize, z: MatMut<'_, f64>, y: ColMut<'_, f64>) {
        let mut x = Mat::zeros(z.nrows(), self.src.dim());
        self.src.chunk(start, x.as_mut(), y);
        matmul(z, Accum::Replace, x.as_ref(), self.basis.as_ref(), 1.0, Par::Seq);
    }
}
