//! `relu_learn._native.Model`: a fitted model (a ReLU network or a kernel
//! expansion) held in Rust.

use faer::{ColMut, Mat, MatRef, Par};
use numpy::{PyArray1, PyArray2, ToPyArray};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use relu_net::Predictor;

use crate::source::{InputArray, Inputs};

/// A fitted model: a ReLU network (`relu-net/v1`) or a kernel expansion
/// (`kernel-model/v1`).
#[pyclass(module = "relu_learn._native", frozen)]
pub(crate) struct Model {
    pub(crate) inner: learners::Model,
}

/// Rows per block of a prediction (blocks are copied only for float32 input).
const PREDICT_BLOCK: usize = 65_536;

/// `f(x)` for every row of `x` into `out`.
pub(crate) fn predict_rows(model: &learners::Model, x: Inputs<'_>, out: &mut [f64], par: Par) {
    match x {
        Inputs::F64(x) => model.predict_into(x, ColMut::from_slice_mut(out), par),
        Inputs::F32(_) => {
            let n = x.nrows();
            let mut buf = Mat::<f64>::zeros(0, 0);
            let mut start = 0;
            while start < n {
                let m = PREDICT_BLOCK.min(n - start);
                buf.resize_with(m, x.ncols(), |_, _| 0.0);
                x.copy_rows(start, buf.as_mut());
                model.predict_into(
                    buf.as_ref(),
                    ColMut::from_slice_mut(&mut out[start..start + m]),
                    par,
                );
                start += m;
            }
        }
    }
}

fn matrix<'py>(py: Python<'py>, m: MatRef<'_, f64>) -> Bound<'py, PyArray2<f64>> {
    let rows: Vec<Vec<f64>> = (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect();
    // The rows have equal lengths by construction.
    PyArray2::from_vec2(py, &rows).unwrap_or_else(|_| PyArray2::zeros(py, [m.nrows(), m.ncols()], false))
}

#[pymethods]
impl Model {
    /// Reads a model from its JSON text (`relu-net/v1` or `kernel-model/v1`).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        learners::Model::from_json(text)
            .map(|inner| Model { inner })
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The model as JSON text in its own format.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// `"network"` or `"kernel"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.inner {
            learners::Model::Network(_) => "network",
            learners::Model::Kernel(_) => "kernel",
        }
    }

    /// The input dimension d.
    #[getter]
    fn input_dim(&self) -> usize {
        self.inner.dim()
    }

    /// The network's layers as a list of `(W, b)` (W of shape
    /// `(width, fan_in)`; ReLU after every layer but the last); `None` for a
    /// kernel model.
    fn layers<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let Some(net) = self.inner.network() else {
            return Ok(None);
        };
        let items = net
            .layers()
            .iter()
            .map(|l| {
                let b = l.bias().iter().copied().collect::<Vec<f64>>().to_pyarray(py);
                PyTuple::new(py, [matrix(py, l.weight()).into_any(), b.into_any()])
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items).map(Some)
    }

    /// `f(x)` for every row of `x` (float64 or float32, C or Fortran order;
    /// float64 is read in place). Runs without the GIL.
    #[pyo3(signature = (x, n_threads=None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        n_threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let arr = InputArray::extract(x)?;
        let view = arr.view()?;
        if view.ncols() != self.inner.dim() {
            return Err(PyValueError::new_err(format!(
                "the model expects {} inputs but X has {} columns; pass inputs with the columns the model was fitted on",
                self.inner.dim(),
                view.ncols()
            )));
        }
        let (pool, par) = crate::threads(n_threads, None)?;
        let mut out = vec![0.0; view.nrows()];
        py.detach(|| pool.install(|| predict_rows(&self.inner, view, &mut out, par)));
        Ok(PyArray1::from_vec(py, out))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let ctor = py.get_type::<Model>().getattr("from_json")?;
        let args = PyTuple::new(py, [slf.get().inner.to_json()])?;
        PyTuple::new(py, [ctor.into_any(), args.into_any()])
    }

    fn __repr__(&self) -> String {
        match &self.inner {
            learners::Model::Network(n) => {
                let widths: Vec<String> = n
                    .layers()
                    .iter()
                    .map(|l| l.weight().nrows().to_string())
                    .collect();
                format!(
                    "Model(network: d = {}, widths {})",
                    n.input_dim(),
                    widths.join("-")
                )
            }
            learners::Model::Kernel(k) => format!("Model(kernel: d = {})", k.dim()),
        }
    }
}
