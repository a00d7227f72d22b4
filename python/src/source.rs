//! numpy arrays as a [`SampleSource`], read in place.
//!
//! `x` is read where numpy keeps it: a C- or Fortran-contiguous float64 or
//! float32 array is viewed, never copied; each chunk the learners ask for is
//! copied (and, for float32, widened) into their buffer, as every source
//! does. The labels are a float64 vector (the Python side widens other
//! dtypes: they are n numbers, not n·d).

use faer::{ColMut, ColRef, MatMut, MatRef};
use numpy::{PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use relu_net::SampleSource;

/// The inputs, viewed in place.
#[derive(Clone, Copy)]
pub(crate) enum Inputs<'a> {
    /// float64.
    F64(MatRef<'a, f64>),
    /// float32, widened chunk by chunk.
    F32(MatRef<'a, f32>),
}

impl Inputs<'_> {
    pub(crate) fn nrows(&self) -> usize {
        match self {
            Inputs::F64(m) => m.nrows(),
            Inputs::F32(m) => m.nrows(),
        }
    }

    pub(crate) fn ncols(&self) -> usize {
        match self {
            Inputs::F64(m) => m.ncols(),
            Inputs::F32(m) => m.ncols(),
        }
    }

    /// Copies rows `[start, start + out.nrows())` into `out`.
    pub(crate) fn copy_rows(&self, start: usize, mut out: MatMut<'_, f64>) {
        let m = out.nrows();
        match self {
            Inputs::F64(x) => out.copy_from(x.subrows(start, m)),
            Inputs::F32(x) => {
                let x = x.subrows(start, m);
                for j in 0..x.ncols() {
                    for i in 0..m {
                        out[(i, j)] = f64::from(x[(i, j)]);
                    }
                }
            }
        }
    }
}

/// The guards that keep numpy's buffers borrowed (read-only) for as long as
/// the views are used.
pub(crate) enum InputArray<'py> {
    /// float64.
    F64(PyReadonlyArray2<'py, f64>),
    /// float32.
    F32(PyReadonlyArray2<'py, f32>),
}

impl<'py> InputArray<'py> {
    /// Borrows a 2-D float64 or float32 array.
    ///
    /// # Errors
    /// `ValueError` for other dtypes or dimensions (the Python layer
    /// converts those before calling).
    pub(crate) fn extract(x: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = x.extract::<PyReadonlyArray2<'py, f64>>() {
            return Ok(InputArray::F64(a));
        }
        if let Ok(a) = x.extract::<PyReadonlyArray2<'py, f32>>() {
            return Ok(InputArray::F32(a));
        }
        Err(PyValueError::new_err(
            "X must be a 2-D numpy array of float64 or float32 (one row per sample)",
        ))
    }

    /// The array as a faer view (no copy).
    ///
    /// # Errors
    /// `ValueError` if the array is neither C- nor Fortran-contiguous (the
    /// Python layer makes it contiguous before calling).
    pub(crate) fn view(&self) -> PyResult<Inputs<'_>> {
        fn mat<'a, T: numpy::Element>(a: &'a PyReadonlyArray2<'_, T>) -> PyResult<MatRef<'a, T>> {
            let (n, d) = (a.shape()[0], a.shape()[1]);
            let s = a
                .as_slice()
                .map_err(|_| PyValueError::new_err("X must be C- or Fortran-contiguous and aligned"))?;
            Ok(if a.is_c_contiguous() {
                MatRef::from_row_major_slice(s, n, d)
            } else {
                MatRef::from_column_major_slice(s, n, d)
            })
        }
        Ok(match self {
            InputArray::F64(a) => Inputs::F64(mat(a)?),
            InputArray::F32(a) => Inputs::F32(mat(a)?),
        })
    }
}

/// Borrows the labels: a float64 vector.
///
/// # Errors
/// `ValueError` for anything else.
pub(crate) fn labels<'py>(y: &Bound<'py, PyAny>) -> PyResult<PyReadonlyArray1<'py, f64>> {
    y.extract::<PyReadonlyArray1<'py, f64>>()
        .map_err(|_| PyValueError::new_err("y must be a 1-D numpy array of float64 (one label per sample)"))
}

/// The label vector as a faer view.
///
/// # Errors
/// `ValueError` if it is not contiguous.
pub(crate) fn label_view<'a>(y: &'a PyReadonlyArray1<'_, f64>) -> PyResult<ColRef<'a, f64>> {
    let s = y
        .as_slice()
        .map_err(|_| PyValueError::new_err("y must be contiguous and aligned"))?;
    Ok(ColRef::from_slice(s))
}

/// Samples `(x_i, y_i)` from numpy arrays; every chunk read is a
/// checkpoint of [`learners::cancel`].
pub(crate) struct ArraySource<'a> {
    pub(crate) x: Inputs<'a>,
    pub(crate) y: ColRef<'a, f64>,
}

impl SampleSource for ArraySource<'_> {
    fn dim(&self) -> usize {
        self.x.ncols()
    }

    fn len(&self) -> usize {
        self.y.nrows()
    }

    fn chunk(&self, start: usize, x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        learners::cancel::checkpoint();
        let m = y.nrows();
        self.x.copy_rows(start, x);
        y.copy_from(self.y.subrows(start, m));
    }
}
