//! [`Whitening`]: the exact affine reduction of Gaussian inputs to standard
//! ones, and the source of whitened samples.

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, ColMut, Mat, MatMut, MatRef, Par, Side};
use relu_net::{Network, SampleSource};

use super::RANK_TOL;
use crate::error::LearnError;
use crate::model::Model;

/// An exact affine reduction `z = A (x − μ)` of Gaussian inputs to standard
/// ones, `A` of size r × d.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Whitening {
    #[serde(with = "relu_net::pass::col")]
    mean: Col<f64>,
    #[serde(with = "relu_net::pass::mat")]
    map: Mat<f64>,
    eigenvalues: Vec<f64>,
}

impl Whitening {
    /// The whitening of `N(mean, covariance)`: `A = Σ^(−1/2)` when `Σ` has
    /// full rank, else `Λ_r^(−1/2) U_rᵀ` on the span of the eigenvalues above
    /// [`RANK_TOL`] times the largest.
    ///
    /// # Errors
    /// [`LearnError::InvalidParam`] for a covariance of the wrong shape, not
    /// finite, or zero.
    pub fn new(mean: Col<f64>, covariance: MatRef<'_, f64>) -> Result<Self, LearnError> {
        let d = mean.nrows();
        let bad = |expected: &'static str| {
            LearnError::invalid(
                "inputs",
                "covariance",
                format!("a {}x{} matrix", covariance.nrows(), covariance.ncols()),
                expected,
            )
        };
        if covariance.nrows() != d || covariance.ncols() != d {
            return Err(bad("a d x d covariance for inputs of dimension d"));
        }
        if (0..d).any(|j| !mean[j].is_finite()) || relu_net_first_bad(covariance) {
            return Err(bad("finite mean and covariance entries"));
        }
        let sym = Mat::from_fn(d, d, |i, j| 0.5 * (covariance[(i, j)] + covariance[(j, i)]));
        let eig = sym.self_adjoint_eigen(Side::Lower).map_err(|_| LearnError::Unidentifiable {
            learner: "inputs",
            reason: "the eigendecomposition of the input covariance failed; check the inputs for extreme values".to_owned(),
        })?;
        let s = eig.S().column_vector();
        let u = eig.U();
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| s[b].total_cmp(&s[a]).then(a.cmp(&b)));
        let top = s[order[0]];
        if top.is_nan() || top <= 0.0 {
            return Err(bad(
                "a covariance with a positive eigenvalue (the inputs are constant)",
            ));
        }
        let kept: Vec<usize> = order.iter().copied().filter(|&i| s[i] > RANK_TOL * top).collect();
        let r = kept.len();
        let map = if r == d {
            // Symmetric Σ^(−1/2) = U Λ^(−1/2) Uᵀ keeps the coordinates' meaning.
            Mat::from_fn(d, d, |i, j| {
                (0..d).map(|m| u[(i, m)] * u[(j, m)] / s[m].sqrt()).sum()
            })
        } else {
            Mat::from_fn(r, d, |i, j| u[(j, kept[i])] / s[kept[i]].sqrt())
        };
        Ok(Self {
            mean,
            map,
            eigenvalues: order.iter().map(|&i| s[i]).collect(),
        })
    }

    /// The input dimension d.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.map.ncols()
    }

    /// The rank r of the covariance (the dimension of `z`).
    #[must_use]
    pub fn rank(&self) -> usize {
        self.map.nrows()
    }

    /// The mean μ.
    #[must_use]
    pub fn mean(&self) -> &Col<f64> {
        &self.mean
    }

    /// The map `A` (r × d).
    #[must_use]
    pub fn map(&self) -> MatRef<'_, f64> {
        self.map.as_ref()
    }

    /// The condition number `λ_max / λ_min` of the covariance on its span.
    #[must_use]
    pub fn condition_number(&self) -> f64 {
        self.eigenvalues[0] / self.eigenvalues[self.rank() - 1]
    }

    /// The eigenvalues of the covariance, largest first.
    #[must_use]
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The source of `(A (x − μ), y)`.
    ///
    /// # Panics
    /// If `src.dim() != self.dim()` (a programming error).
    #[must_use]
    pub fn source<'a>(&'a self, src: &'a dyn SampleSource) -> WhitenedSource<'a> {
        assert_eq!(src.dim(), self.dim(), "Whitening::source: dimension");
        let exec = relu_net::view::viewed(src, || relu_net::view::spec(WHITEN_VIEW, self));
        WhitenedSource { src, w: self, exec }
    }

    /// The whitening a job's view `spec` names (its `mean`, `map` and
    /// `eigenvalues`): the worker's rebuild of [`Whitening::source`]'s view.
    ///
    /// # Errors
    /// [`relu_net::NetError::Pass`] for a spec that does not decode or whose
    /// shapes disagree.
    pub(crate) fn from_view(spec: &serde_json::Value) -> Result<Self, relu_net::NetError> {
        let w: Self = relu_net::view::params(spec)?;
        if w.map.ncols() != w.mean.nrows() || w.map.nrows() != w.eigenvalues.len() || w.map.nrows() == 0 {
            return Err(relu_net::NetError::Pass {
                pass: format!("view {WHITEN_VIEW:?}"),
                reason: format!(
                    "a {}x{} map with a mean of {} entries and {} eigenvalues",
                    w.map.nrows(),
                    w.map.ncols(),
                    w.mean.nrows(),
                    w.eigenvalues.len()
                ),
            });
        }
        Ok(w)
    }

    /// The network on `x` of a network `g` on `z`: first layer `(W A, b − W A μ)`.
    ///
    /// # Errors
    /// [`LearnError::Net`] if `g`'s input dimension is not r.
    pub fn network_to_original(&self, g: &Network) -> Result<Network, LearnError> {
        let layers = g.layers();
        let w = layers[0].weight();
        if w.ncols() != self.rank() {
            return Err(LearnError::Net(relu_net::NetError::InputDim {
                expected: self.rank(),
                got: w.ncols(),
            }));
        }
        let wa = w * self.map.as_ref();
        let shift = &wa * &self.mean;
        let b = Col::from_fn(wa.nrows(), |i| layers[0].bias()[i] - shift[i]);
        let mut parts = vec![(wa, b)];
        parts.extend(
            layers[1..]
                .iter()
                .map(|l| (l.weight().to_owned(), l.bias().to_owned())),
        );
        Ok(Network::from_parts(parts)?)
    }

    /// A model on `x` of a model on `z`: networks through
    /// [`Whitening::network_to_original`], kernel models by composing their
    /// input map.
    ///
    /// # Errors
    /// As [`Whitening::network_to_original`].
    pub fn model_to_original(&self, model: Model) -> Result<Model, LearnError> {
        Ok(match model {
            Model::Network(net) => Model::Network(self.network_to_original(&net)?),
            Model::Kernel(k) => Model::Kernel(k.with_input_map(self.mean.clone(), self.map.clone())?),
        })
    }
}

fn relu_net_first_bad(m: MatRef<'_, f64>) -> bool {
    (0..m.ncols()).any(|j| m.col(j).iter().any(|v| !v.is_finite()))
}

/// The samples `(A (x − μ), y)` of a [`Whitening`].
pub struct WhitenedSource<'a> {
    src: &'a dyn SampleSource,
    w: &'a Whitening,
    exec: Option<(relu_net::view::Viewed<'a>, usize)>,
}

/// The name of the whitening view in a job's views.
pub(crate) const WHITEN_VIEW: &str = "whiten";

impl SampleSource for WhitenedSource<'_> {
    fn note_pass(&self, name: &'static str) {
        self.src.note_pass(name);
    }
    fn executor(&self) -> Option<(&dyn relu_net::Executor, usize)> {
        relu_net::view::executor_of(&self.exec)
    }
    fn label_sums(&self) -> Option<&relu_net::stats::LabelSums> {
        // The labels are the source's; whitening keeps finite inputs finite.
        self.src.label_sums()
    }
    fn dim(&self) -> usize {
        self.w.rank()
    }

    fn len(&self) -> usize {
        self.src.len()
    }

    fn chunk(&self, start: usize, z: MatMut<'_, f64>, y: ColMut<'_, f64>) {
        let m = z.nrows();
        let d = self.w.dim();
        let mut x = Mat::zeros(m, d);
        self.src.chunk(start, x.as_mut(), y);
        for j in 0..d {
            let mu = self.w.mean[j];
            for i in 0..m {
                x[(i, j)] -= mu;
            }
        }
        matmul(
            z,
            Accum::Replace,
            x.as_ref(),
            self.w.map.transpose(),
            1.0,
            Par::Seq,
        );
    }
}
