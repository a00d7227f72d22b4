//! What a learner returns: a ReLU [`Network`] (proper learners) or a
//! [`KernelModel`] (the improper kernel learners), both [`Predictor`]s with
//! a JSON form.

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, ColMut, Mat, MatRef, Par};
use relu_net::{Network, Predictor};
use serde::{Deserialize, Serialize};

use crate::error::LearnError;

/// The format tag of kernel models.
pub const KERNEL_FORMAT: &str = "kernel-model/v1";

/// A kernel on ℝ^d.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum KernelFunction {
    /// The multinomial kernel `MK_q(u, v) = Σ_{j=0}^q ⟨u, v⟩^j` (Goel–Klivans;
    /// Alphatron), for inputs in the unit ball.
    Multinomial {
        /// The degree q.
        degree: usize,
    },
    /// The arc-cosine kernel of degree 1 (Cho & Saul 2009),
    /// `k(u, v) = ‖u‖ ‖v‖ (sin θ + (π − θ) cos θ) / π`: twice the kernel of an
    /// infinitely wide ReLU layer.
    ArcCosine,
}

impl KernelFunction {
    /// `k(u, v)` from `⟨u, v⟩`, `‖u‖` and `‖v‖`.
    #[must_use]
    pub fn eval(&self, dot: f64, nu: f64, nv: f64) -> f64 {
        match *self {
            KernelFunction::Multinomial { degree } => {
                let mut s = 1.0;
                let mut p = 1.0;
                for _ in 0..degree {
                    p *= dot;
                    s += p;
                }
                s
            }
            KernelFunction::ArcCosine => {
                let n = nu * nv;
                if n == 0.0 {
                    return 0.0;
                }
                let c = (dot / n).clamp(-1.0, 1.0);
                // sin θ = √(1 − cos² θ) for θ = arccos c ∈ [0, π].
                let sin = (1.0 - c * c).max(0.0).sqrt();
                n * (sin + (std::f64::consts::PI - c.acos()) * c) / std::f64::consts::PI
            }
        }
    }

    /// The Gram block `k(a_i, b_j)` (rows of a and b), through one matrix
    /// product of the inputs; the entrywise kernel runs over columns in
    /// parallel under `par` (each entry on its own: the same bits on any
    /// number of threads).
    #[must_use]
    pub fn gram(&self, a: MatRef<'_, f64>, b: MatRef<'_, f64>, par: Par) -> Mat<f64> {
        let mut g = Mat::zeros(a.nrows(), b.nrows());
        matmul(g.as_mut(), Accum::Replace, a, b.transpose(), 1.0, par);
        let na: Vec<f64> = (0..a.nrows()).map(|i| a.row(i).norm_l2()).collect();
        let nb: Vec<f64> = (0..b.nrows()).map(|i| b.row(i).norm_l2()).collect();
        let column = |(j, col): (usize, &mut [f64])| {
            for (v, ni) in col.iter_mut().zip(&na) {
                *v = self.eval(*v, *ni, nb[j]);
            }
        };
        let cols: Vec<&mut [f64]> = g
            .col_iter_mut()
            .map(|c| {
                c.try_as_col_major_mut()
                    .expect("an owned matrix's columns are contiguous")
                    .as_slice_mut()
            })
            .collect();
        if matches!(par, Par::Seq) {
            cols.into_iter().enumerate().for_each(column);
        } else {
            use rayon::prelude::*;
            cols.into_par_iter().enumerate().for_each(column);
        }
        g
    }
}

/// The output link: `identity` for a linear output, `relu` for a single
/// ReLU (Alphatron's known activation u).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Link {
    /// `h(x) = s(x)`.
    Identity,
    /// `h(x) = max(s(x), 0)`.
    Relu,
}

/// A kernel expansion `h(x) = link(Σ_j γ_j k(σ x, c_j) + c₀)` with centres
/// `c_j` (already scaled) and input scale σ.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelModel {
    // Invariant: centers.nrows() == coefficients.nrows() >= 1; all finite;
    // input_scale > 0.
    kernel: KernelFunction,
    input_scale: f64,
    link: Link,
    centers: Mat<f64>,
    coefficients: Col<f64>,
    intercept: f64,
    // Optional affine map applied to the inputs first, z = A (x − μ)
    // (the whitening of non-standard Gaussian inputs).
    input_map: Option<InputMap>,
}

/// An affine map of the inputs, `z = A x − offset` with `A` of size r × d.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InputMap {
    matrix: Vec<Vec<f64>>,
    offset: Vec<f64>,
}

impl InputMap {
    fn from_parts(a: MatRef<'_, f64>, offset: faer::ColRef<'_, f64>) -> Self {
        Self {
            matrix: (0..a.nrows())
                .map(|i| (0..a.ncols()).map(|j| a[(i, j)]).collect())
                .collect(),
            offset: offset.iter().copied().collect(),
        }
    }

    fn input_dim(&self) -> usize {
        self.matrix.first().map_or(0, Vec::len)
    }

    fn parts(&self) -> (Mat<f64>, Col<f64>) {
        let d = self.input_dim();
        (
            Mat::from_fn(self.matrix.len(), d, |i, j| self.matrix[i][j]),
            Col::from_fn(self.offset.len(), |i| self.offset[i]),
        )
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KernelJson {
    format: String,
    kernel: KernelFunction,
    input_scale: f64,
    link: Link,
    centers: Vec<Vec<f64>>,
    coefficients: Vec<f64>,
    intercept: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input_map: Option<InputMap>,
}

fn invalid(reason: &str) -> LearnError {
    LearnError::InvalidModel {
        reason: reason.to_owned(),
    }
}

impl KernelModel {
    /// A kernel model.
    ///
    /// # Errors
    /// [`LearnError::InvalidModel`] for mismatched shapes, no centres, a
    /// non-positive scale or non-finite values.
    pub fn new(
        kernel: KernelFunction,
        input_scale: f64,
        link: Link,
        centers: Mat<f64>,
        coefficients: Col<f64>,
        intercept: f64,
    ) -> Result<Self, LearnError> {
        if centers.nrows() == 0 || centers.nrows() != coefficients.nrows() || centers.ncols() == 0 {
            return Err(invalid(
                "it needs at least one centre and one coefficient per centre",
            ));
        }
        if !(input_scale > 0.0 && input_scale.is_finite()) {
            return Err(invalid("input_scale must be a finite number > 0"));
        }
        let finite = intercept.is_finite()
            && coefficients.iter().all(|v| v.is_finite())
            && (0..centers.ncols()).all(|j| (0..centers.nrows()).all(|i| centers[(i, j)].is_finite()));
        if !finite {
            return Err(invalid("it contains a non-finite value"));
        }
        if matches!(kernel, KernelFunction::Multinomial { degree } if degree > 64) {
            return Err(invalid("the multinomial degree must be at most 64"));
        }
        Ok(Self {
            kernel,
            input_scale,
            link,
            centers,
            coefficients,
            intercept,
            input_map: None,
        })
    }

    /// The same model on inputs `x` through `z = A (x − μ)` (`A`: r × d, r
    /// the model's current input dimension): `h'(x) = h(A (x − μ))`. A map
    /// already present composes exactly: `B (A x − A μ) − e = (BA) x − (B A μ + e)`.
    ///
    /// # Errors
    /// [`LearnError::InvalidModel`] when the shapes do not chain or a value
    /// is not finite.
    pub fn with_input_map(mut self, mean: Col<f64>, a: Mat<f64>) -> Result<Self, LearnError> {
        if a.nrows() != self.dim() || mean.nrows() != a.ncols() {
            return Err(invalid(
                "the input map's rows must match the model's input dimension",
            ));
        }
        let finite = mean.iter().all(|v| v.is_finite())
            && (0..a.ncols()).all(|j| a.col(j).iter().all(|v| v.is_finite()));
        if !finite {
            return Err(invalid("the input map contains a non-finite value"));
        }
        let mut offset = &a * &mean;
        let mut matrix = a;
        if let Some(old) = self.input_map.take() {
            let (b, e) = old.parts();
            offset = &b * &offset + &e;
            matrix = &b * &matrix;
        }
        self.input_map = Some(InputMap::from_parts(matrix.as_ref(), offset.as_ref()));
        Ok(self)
    }

    /// The kernel.
    #[must_use]
    pub fn kernel(&self) -> KernelFunction {
        self.kernel
    }

    /// Number of centres (the compression size).
    #[must_use]
    pub fn n_centers(&self) -> usize {
        self.centers.nrows()
    }

    /// The model as `kernel-model/v1` JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        let doc = KernelJson {
            format: KERNEL_FORMAT.to_owned(),
            kernel: self.kernel,
            input_scale: self.input_scale,
            link: self.link,
            centers: (0..self.centers.nrows())
                .map(|i| (0..self.centers.ncols()).map(|j| self.centers[(i, j)]).collect())
                .collect(),
            coefficients: self.coefficients.iter().copied().collect(),
            intercept: self.intercept,
            input_map: self.input_map.clone(),
        };
        serde_json::to_string(&doc).expect("finite values serialise")
    }

    fn from_doc(doc: KernelJson) -> Result<Self, LearnError> {
        if doc.format != KERNEL_FORMAT {
            return Err(invalid("the format tag is not kernel-model/v1"));
        }
        let d = doc.centers.first().map_or(0, Vec::len);
        if doc.centers.iter().any(|r| r.len() != d) {
            return Err(invalid("the centres have different lengths"));
        }
        let centers = Mat::from_fn(doc.centers.len(), d, |i, j| doc.centers[i][j]);
        let coefficients = Col::from_fn(doc.coefficients.len(), |i| doc.coefficients[i]);
        let model = Self::new(
            doc.kernel,
            doc.input_scale,
            doc.link,
            centers,
            coefficients,
            doc.intercept,
        )?;
        match doc.input_map {
            None => Ok(model),
            Some(map) => {
                let d = map.input_dim();
                let ok = d > 0
                    && map.matrix.iter().all(|r| r.len() == d)
                    && map.offset.len() == map.matrix.len()
                    && map.matrix.len() == model.dim()
                    && map
                        .matrix
                        .iter()
                        .flatten()
                        .chain(&map.offset)
                        .all(|v| v.is_finite());
                if !ok {
                    return Err(invalid(
                        "the input map needs one finite row of equal length and one offset per input of the kernel",
                    ));
                }
                Ok(Self {
                    input_map: Some(map),
                    ..model
                })
            }
        }
    }
}

impl Predictor for KernelModel {
    fn dim(&self) -> usize {
        self.input_map
            .as_ref()
            .map_or(self.centers.ncols(), InputMap::input_dim)
    }

    fn predict_into(&self, x: MatRef<'_, f64>, mut out: ColMut<'_, f64>, par: Par) {
        assert_eq!(
            x.ncols(),
            self.dim(),
            "KernelModel::predict_into: input dimension"
        );
        let map = self.input_map.as_ref().map(InputMap::parts);
        let mut start = 0;
        while start < x.nrows() {
            let m = 1024.min(x.nrows() - start);
            let xs = match &map {
                None => Mat::from_fn(m, x.ncols(), |i, j| self.input_scale * x[(start + i, j)]),
                Some((a, offset)) => {
                    let z = x.subrows(start, m) * a.transpose();
                    Mat::from_fn(m, a.nrows(), |i, j| self.input_scale * (z[(i, j)] - offset[j]))
                }
            };
            let k = self.kernel.gram(xs.as_ref(), self.centers.as_ref(), par);
            let s = &k * &self.coefficients;
            for i in 0..m {
                let v = s[i] + self.intercept;
                out[start + i] = match self.link {
                    Link::Identity => v,
                    Link::Relu => v.max(0.0),
                };
            }
            start += m;
        }
    }
}

/// A fitted model: a ReLU network or a kernel expansion.
#[derive(Clone, Debug, PartialEq)]
pub enum Model {
    /// A ReLU network (`relu-net/v1`).
    Network(Network),
    /// A kernel expansion (`kernel-model/v1`).
    Kernel(KernelModel),
}

impl Model {
    /// The network, for proper learners.
    #[must_use]
    pub fn network(&self) -> Option<&Network> {
        match self {
            Model::Network(n) => Some(n),
            Model::Kernel(_) => None,
        }
    }

    /// The model as JSON in its own format.
    #[must_use]
    pub fn to_json(&self) -> String {
        match self {
            Model::Network(n) => n.to_json(),
            Model::Kernel(k) => k.to_json(),
        }
    }

    /// Reads either format, dispatching on the `format` tag.
    ///
    /// # Errors
    /// [`LearnError::Net`] for invalid networks, [`LearnError::InvalidModel`]
    /// for invalid kernel models and unknown tags.
    pub fn from_json(text: &str) -> Result<Self, LearnError> {
        #[derive(Deserialize)]
        struct Tag {
            format: String,
        }
        let tag: Tag = serde_json::from_str(text).map_err(|e| {
            invalid(&format!(
                "not a model file ({e}); check that it is a model written by relu-learn (docs/formats.md)"
            ))
        })?;
        match tag.format.as_str() {
            relu_net::FORMAT_TAG => Ok(Model::Network(Network::from_json(text)?)),
            KERNEL_FORMAT => {
                let doc: KernelJson = serde_json::from_str(text)
                    .map_err(|e| invalid(&format!("invalid kernel-model/v1 JSON ({e})")))?;
                Ok(Model::Kernel(KernelModel::from_doc(doc)?))
            }
            other => Err(invalid(&format!(
                "unknown model format {other:?}: expected relu-net/v1 or kernel-model/v1; check that it is a model written by relu-learn"
            ))),
        }
    }
}

impl Predictor for Model {
    fn dim(&self) -> usize {
        match self {
            Model::Network(n) => n.input_dim(),
            Model::Kernel(k) => k.dim(),
        }
    }

    fn predict_into(&self, x: MatRef<'_, f64>, out: ColMut<'_, f64>, par: Par) {
        match self {
            Model::Network(n) => n.predict_into(x, out, par),
            Model::Kernel(k) => k.predict_into(x, out, par),
        }
    }
}

#[cfg(test)]
mod input_map_tests {
    use super::*;

    #[test]
    fn input_maps_compose_exactly_and_survive_json() {
        let centers = Mat::from_fn(3, 2, |i, j| 0.1 * (i as f64 + 1.0) - 0.2 * j as f64);
        let base = KernelModel::new(
            KernelFunction::ArcCosine,
            0.5,
            Link::Identity,
            centers,
            Col::from_fn(3, |i| 1.0 - i as f64),
            0.3,
        )
        .unwrap();
        // z = A (x − μ) with A 2 × 3, then w = B (z − ν) with B 2 × 2.
        let a = Mat::from_fn(2, 3, |i, j| ((i * 3 + j) as f64 * 0.7).sin());
        let mu = Col::from_fn(3, |j| 0.5 - j as f64);
        let b = Mat::from_fn(2, 2, |i, j| if i == j { 2.0 } else { 0.3 });
        let nu = Col::from_fn(2, |j| 0.1 * j as f64 + 0.2);
        let inner = base.clone().with_input_map(nu.clone(), b.clone()).unwrap();
        let both = inner.clone().with_input_map(mu.clone(), a.clone()).unwrap();
        assert_eq!(Predictor::dim(&both), 3);
        let x = Mat::from_fn(5, 3, |i, j| ((i + 2 * j) as f64 * 0.37).cos());
        let z = Mat::from_fn(5, 2, |i, r| (0..3).map(|j| a[(r, j)] * (x[(i, j)] - mu[j])).sum());
        let mut got = Col::zeros(5);
        both.predict_into(x.as_ref(), got.as_mut(), Par::Seq);
        let mut want = Col::zeros(5);
        inner.predict_into(z.as_ref(), want.as_mut(), Par::Seq);
        for i in 0..5 {
            assert!((got[i] - want[i]).abs() < 1e-12, "{i}: {} vs {}", got[i], want[i]);
        }
        let back = Model::from_json(&Model::Kernel(both.clone()).to_json()).unwrap();
        let mut again = Col::zeros(5);
        back.predict_into(x.as_ref(), again.as_mut(), Par::Seq);
        assert_eq!(got, again);
        assert!(base.with_input_map(mu, Mat::zeros(3, 3)).is_err());
    }
}
