//! `relu_learn._native`: the Rust side of the `relu_learn` Python package.
//!
//! The Python package (`python/relu_learn/`) wraps these functions in
//! scikit-learn estimators; see `python/README.md`. Every call that reads
//! data runs without the GIL (`control::run`), reads numpy arrays in place
//! (`source::ArraySource`) and raises `ValueError` with the command line's
//! one-line messages for bad input.

mod control;
mod model;
mod remote;
mod source;

use faer::{Mat, Par};
use numpy::{PyArray1, PyArray2, PyArray3, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;

use relu_net::{SampleSource, Seed};

use crate::model::Model;
use crate::source::{ArraySource, InputArray, label_view, labels};

/// Large blocks freed are kept for the next chunk (see
/// [`relu_net::alloc`]): Dask's workers tune glibc so that it would map
/// and unmap them at every chunk.
#[global_allocator]
static ALLOCATOR: relu_net::alloc::Recycling = relu_net::alloc::Recycling::new();

/// A thread pool of `n` threads (default: every core) and the matching
/// `Par`; results do not depend on it. Its threads watch `flag`
/// ([`learners::cancel::watch`]) when one is given.
pub(crate) fn threads(
    n: Option<usize>,
    flag: Option<&std::sync::Arc<std::sync::atomic::AtomicBool>>,
) -> PyResult<(rayon::ThreadPool, Par)> {
    let n = match n {
        Some(0) => {
            return Err(PyValueError::new_err(
                "n_jobs must be at least 1 (or None for every core)",
            ));
        }
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    };
    let mut builder = rayon::ThreadPoolBuilder::new().num_threads(n);
    if let Some(flag) = flag {
        let flag = flag.clone();
        builder = builder.start_handler(move |_| learners::cancel::watch(flag.clone()));
    }
    let pool = builder
        .build()
        .map_err(|e| PyValueError::new_err(format!("cannot start {n} threads: {e}")))?;
    Ok((pool, if n == 1 { Par::Seq } else { Par::rayon(n) }))
}

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A command-line message with its flags as Python keywords:
/// `--bias-range` becomes `bias_range`.
fn keyword_names(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("--") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '-'))
            .unwrap_or(after.len());
        if len == 0 {
            out.push_str("--");
        } else {
            out.push_str(&after[..len].replace('-', "_"));
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// The learner ids, in the registry's order.
#[pyfunction]
fn learner_ids() -> Vec<&'static str> {
    learners::LEARNERS.to_vec()
}

/// The learner's default parameters as JSON, and whether it takes `hidden`.
#[pyfunction]
fn default_params(learner: &str) -> PyResult<(String, bool)> {
    let spec = learners::LearnerSpec::defaults(learner).map_err(value_error)?;
    let takes_hidden = spec.takes_hidden();
    let doc = serde_json::to_value(&spec).map_err(value_error)?;
    Ok((doc["params"].to_string(), takes_hidden))
}

/// Checks parameters as a fit would, without data (`ValueError` naming the
/// parameter otherwise).
#[pyfunction]
#[pyo3(signature = (learner, params, hidden=None))]
fn check_params(learner: &str, params: &str, hidden: Option<usize>) -> PyResult<()> {
    spec(learner, params, hidden)?.build().map_err(value_error)?;
    Ok(())
}

fn spec(learner: &str, params: &str, hidden: Option<usize>) -> PyResult<learners::LearnerSpec> {
    let value: serde_json::Value =
        serde_json::from_str(params).map_err(|e| value_error(format!("parameters: not valid JSON ({e})")))?;
    learners::LearnerSpec::from_params(learner, value)
        .and_then(|s| s.with_hidden(hidden))
        .map_err(value_error)
}

fn same_rows(n_x: usize, n_y: usize) -> PyResult<()> {
    if n_x == n_y {
        Ok(())
    } else {
        Err(value_error(relu_net::NetError::SampleCount {
            x_rows: n_x,
            y_len: n_y,
        }))
    }
}

/// Fits learner `learner` with parameters `params` (a JSON object; missing
/// fields keep their defaults) on `x` (n × d, float64 or float32, C or
/// Fortran order, read in place) and `y` (n, float64), exactly as
/// `relu-learn fit` does: inputs whitened unless they look standard (or
/// taken as standard with `assume_standard`), the fit judged against
/// `recovery_tol`. Returns the model, the report as JSON and the paper's
/// stage's network (or `None`). `progress(stage, seconds)` hears every
/// stage; Ctrl-C stops the fit.
#[pyfunction]
#[pyo3(signature = (learner, params, x, y, seed, hidden=None, assume_standard=false, recovery_tol=learners::recovery::RECOVERY_TOL, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn fit(
    py: Python<'_>,
    learner: &str,
    params: &str,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    seed: u64,
    hidden: Option<usize>,
    assume_standard: bool,
    recovery_tol: f64,
    n_threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<(Model, String, Option<Model>)> {
    let spec = spec(learner, params, hidden)?;
    check_tol(recovery_tol)?;
    let xa = InputArray::extract(x)?;
    let ya = labels(y)?;
    let (xv, yv) = (xa.view()?, label_view(&ya)?);
    same_rows(xv.nrows(), yv.nrows())?;
    fit_source(
        py,
        &spec,
        &|| Ok(ArraySource { x: xv, y: yv }),
        seed,
        (assume_standard, recovery_tol),
        n_threads,
        progress.as_ref(),
    )
    .map(|(m, r, p, _)| (m, r, p))
}

/// A fit on any source, as `relu-learn fit` runs it (see [`fit`]); also
/// returns the source.
fn fit_source<S: SampleSource + Send>(
    py: Python<'_>,
    spec: &learners::LearnerSpec,
    make: &(dyn Fn() -> Result<S, String> + Sync),
    seed: u64,
    (assume_standard, recovery_tol): (bool, f64),
    n_threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<(Model, String, Option<Model>, S)> {
    let mode = if assume_standard {
        learners::inputs::InputMode::AssumeStandard
    } else {
        learners::inputs::InputMode::Auto
    };
    let (model, report, provable, src) = control::run(py, progress, n_threads, |ctl, par| {
        let src = make()?;
        let mut observer = ctl;
        let learner = spec.clone().build().map_err(|e| e.to_string())?;
        let mut fitted =
            learners::inputs::fit_any_gaussian(learner.as_ref(), &src, &mode, Seed(seed), par, &mut observer)
                .map_err(|e| e.to_string())?;
        learners::recovery::judge(&mut fitted.report, recovery_tol);
        let report = serde_json::to_string(&fitted.report).map_err(|e| e.to_string())?;
        let provable = fitted
            .report
            .provable_network
            .take()
            .map(learners::Model::Network);
        Ok((fitted.model, report, provable, src))
    })?;
    Ok((
        Model { inner: model },
        report,
        provable.map(|inner| Model { inner }),
        src,
    ))
}

/// [`fit`] on `n` rows of dimension `d` held elsewhere (a Dask cluster):
/// the portable passes go to `dispatch(job_json) -> [tree, …]`, other reads
/// to `fetch(row, want) -> (row, x_rows, y_rows)` (see `remote.rs`). Returns
/// the model, the report, the paper's stage's network, and the number of
/// rows fetched to the client and of jobs run on the workers.
#[pyfunction]
#[pyo3(signature = (learner, params, n, d, dispatch, fetch, seed, hidden=None, assume_standard=false, recovery_tol=learners::recovery::RECOVERY_TOL, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn fit_remote(
    py: Python<'_>,
    learner: &str,
    params: &str,
    n: usize,
    d: usize,
    dispatch: Py<PyAny>,
    fetch: Py<PyAny>,
    seed: u64,
    hidden: Option<usize>,
    assume_standard: bool,
    recovery_tol: f64,
    n_threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<(Model, String, Option<Model>, u64, u64)> {
    let spec = spec(learner, params, hidden)?;
    check_tol(recovery_tol)?;
    let src = std::sync::Mutex::new(Some(remote::RemoteSource::new(n, d, dispatch, fetch)));
    let take = || {
        src.lock()
            .ok()
            .and_then(|mut s| s.take())
            .ok_or_else(|| "the remote source was already used".to_owned())
    };
    let (m, r, p, used) = fit_source(
        py,
        &spec,
        &take,
        seed,
        (assume_standard, recovery_tol),
        n_threads,
        progress.as_ref(),
    )?;
    Ok((
        m,
        r,
        p,
        used.fetched.load(std::sync::atomic::Ordering::Relaxed),
        used.jobs.load(std::sync::atomic::Ordering::Relaxed),
    ))
}

fn check_tol(recovery_tol: f64) -> PyResult<()> {
    if recovery_tol.is_finite() && recovery_tol > 0.0 {
        Ok(())
    } else {
        Err(value_error(format!(
            "recovery_tol must be a finite number > 0 (the default is {})",
            learners::recovery::RECOVERY_TOL
        )))
    }
}

/// What [`generate`] returns: inputs, labels, teacher.
type Generated<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>, Model);

/// `relu-learn generate`'s arguments without `--out`, as `["--family",
/// "biased", "--dim", "10", …]`: the teacher and `samples` samples, as
/// `(x, y, teacher)` with x of shape (n, d) in C order.
#[pyfunction]
fn generate<'py>(py: Python<'py>, args: Vec<String>) -> PyResult<Generated<'py>> {
    #[derive(clap::Parser)]
    #[command(name = "relu_learn.generate", no_binary_name = true)]
    struct Cli {
        #[command(flatten)]
        args: relu_learn::cli::GenerateArgs,
    }
    let mut argv = args;
    // `plant` reads every argument but the output directory.
    argv.extend(["--out".to_owned(), ".".to_owned()]);
    let cli = <Cli as clap::Parser>::try_parse_from(argv).map_err(|e| {
        let text = e.to_string();
        let first = text
            .lines()
            .next()
            .unwrap_or("invalid arguments")
            .trim_start_matches("error: ");
        value_error(keyword_names(first))
    })?;
    let planting =
        relu_learn::commands::plant(&cli.args).map_err(|e| value_error(keyword_names(&format!("{e:#}"))))?;
    let src = &planting.source;
    let (n, d) = (src.len(), src.dim());
    const BLOCK: usize = 4096;
    let (xs, ys) = py.detach(|| {
        let mut xs = vec![0.0; n * d];
        let mut ys = vec![0.0; n];
        xs.par_chunks_mut(BLOCK * d.max(1))
            .zip(ys.par_chunks_mut(BLOCK))
            .enumerate()
            .for_each(|(b, (xb, yb))| {
                let m = yb.len();
                let mut x = Mat::<f64>::zeros(m, d);
                src.chunk(b * BLOCK, x.as_mut(), faer::ColMut::from_slice_mut(yb));
                for (i, row) in xb.chunks_mut(d.max(1)).enumerate() {
                    for (j, v) in row.iter_mut().enumerate() {
                        *v = x[(i, j)];
                    }
                }
            });
        (xs, ys)
    });
    let x = PyArray1::from_vec(py, xs).reshape([n, d])?;
    Ok((
        x,
        PyArray1::from_vec(py, ys),
        Model {
            inner: learners::Model::Network(planting.teacher),
        },
    ))
}

/// The order-`order` moment `E[y S_l(x)]` contracted with `vectors` random
/// unit vectors drawn from `seed` (as `relu-learn moments`), with standard
/// errors.
#[pyfunction]
#[pyo3(signature = (x, y, order, vectors=1, seed=0, n_threads=None))]
fn moments<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    order: usize,
    vectors: usize,
    seed: u64,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    relu_learn::commands::check_moment_request(order, vectors, None).map_err(value_error)?;
    let xa = InputArray::extract(x)?;
    let ya = labels(y)?;
    let (xv, yv) = (xa.view()?, label_view(&ya)?);
    same_rows(xv.nrows(), yv.nrows())?;
    let d = xv.ncols();
    relu_learn::commands::check_moment_request(order, vectors, Some((xv.nrows(), d))).map_err(value_error)?;
    let gs = relu_learn::commands::contraction_vectors(order, vectors, d, seed);
    let est = control::run(py, None, n_threads, |_, par| {
        let src = ArraySource { x: xv, y: yv };
        gaussian_moments::matrix_contractions(&src, order, &gs, &gaussian_moments::Estimator::default(), par)
            .map_err(|e| e.to_string())
    })?;
    moments_dict(py, order, d, &gs, &est)
}

/// [`moments`] on `n` rows of dimension `d` held elsewhere (see
/// [`fit_remote`]): the moment pass runs on the workers.
#[pyfunction]
#[pyo3(signature = (n, d, dispatch, fetch, order, vectors=1, seed=0, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn moments_remote<'py>(
    py: Python<'py>,
    n: usize,
    d: usize,
    dispatch: Py<PyAny>,
    fetch: Py<PyAny>,
    order: usize,
    vectors: usize,
    seed: u64,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    relu_learn::commands::check_moment_request(order, vectors, Some((n, d))).map_err(value_error)?;
    let gs = relu_learn::commands::contraction_vectors(order, vectors, d, seed);
    let src = remote::RemoteSource::new(n, d, dispatch, fetch);
    let est = control::run(py, None, n_threads, |_, par| {
        gaussian_moments::matrix_contractions(&src, order, &gs, &gaussian_moments::Estimator::default(), par)
            .map_err(|e| e.to_string())
    })?;
    moments_dict(py, order, d, &gs, &est)
}

fn moments_dict<'py>(
    py: Python<'py>,
    order: usize,
    d: usize,
    gs: &[faer::Col<f64>],
    est: &[gaussian_moments::MatrixEstimate],
) -> PyResult<Bound<'py, PyDict>> {
    let cube =
        |f: &dyn Fn(&gaussian_moments::MatrixEstimate) -> &Mat<f64>| -> PyResult<Bound<'py, PyArray3<f64>>> {
            let flat: Vec<f64> = est
                .iter()
                .flat_map(|e| {
                    let m = f(e);
                    (0..d).flat_map(move |i| (0..d).map(move |j| m[(i, j)]))
                })
                .collect();
            PyArray1::from_vec(py, flat).reshape([est.len(), d, d])
        };
    let out = PyDict::new(py);
    out.set_item("order", order)?;
    out.set_item("n_samples", est.first().map_or(0, |e| e.n_samples))?;
    out.set_item("normalisation", "E[y S_l(x)], S_l = H_l / sqrt(l!)")?;
    let flat_g: Vec<f64> = gs
        .iter()
        .flat_map(|g| g.iter().copied().collect::<Vec<_>>())
        .collect();
    out.set_item("vectors", PyArray1::from_vec(py, flat_g).reshape([gs.len(), d])?)?;
    out.set_item("mean", cube(&|e| &e.mean)?)?;
    out.set_item("std_error", cube(&|e| &e.std_error)?)?;
    Ok(out)
}

/// A model against a teacher network on `samples` fresh Gaussian inputs
/// from `seed`, or on labelled data `(x, y)`: the JSON document of
/// `relu-learn eval --json`.
#[pyfunction]
#[pyo3(signature = (model, teacher=None, x=None, y=None, samples=100_000, seed=0, n_threads=None))]
#[allow(clippy::too_many_arguments)]
fn evaluate(
    py: Python<'_>,
    model: &Model,
    teacher: Option<&Model>,
    x: Option<&Bound<'_, PyAny>>,
    y: Option<&Bound<'_, PyAny>>,
    samples: usize,
    seed: u64,
    n_threads: Option<usize>,
) -> PyResult<String> {
    let doc = match (teacher, x, y) {
        (Some(t), None, None) => {
            let Some(teacher) = t.inner.network() else {
                return Err(value_error(
                    "the teacher must be a ReLU network (relu-net/v1), not a kernel model",
                ));
            };
            control::run(py, None, n_threads, |_, par| {
                relu_learn::commands::evaluate_against_teacher(&model.inner, teacher, samples, seed, par)
                    .map_err(|e| format!("{e:#}"))
            })?
        }
        (None, Some(x), Some(y)) => {
            let xa = InputArray::extract(x)?;
            let ya = labels(y)?;
            let (xv, yv) = (xa.view()?, label_view(&ya)?);
            same_rows(xv.nrows(), yv.nrows())?;
            control::run(py, None, n_threads, |_, par| {
                let src = ArraySource { x: xv, y: yv };
                relu_learn::commands::evaluate_on_data(&model.inner, &src, par).map_err(|e| format!("{e:#}"))
            })?
        }
        _ => return Err(value_error("give either teacher= or both X= and y=")),
    };
    Ok(doc.to_string())
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Products written with `*` on one thread, so that fits are
    // bit-identical for every n_jobs (the learners crate docs: Determinism).
    faer::set_global_parallelism(Par::Seq);
    m.add_class::<Model>()?;
    m.add_function(wrap_pyfunction!(learner_ids, m)?)?;
    m.add_function(wrap_pyfunction!(default_params, m)?)?;
    m.add_function(wrap_pyfunction!(check_params, m)?)?;
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(fit_remote, m)?)?;
    m.add_function(wrap_pyfunction!(moments_remote, m)?)?;
    m.add_function(wrap_pyfunction!(remote::fold_block, m)?)?;
    m.add_function(wrap_pyfunction!(generate, m)?)?;
    m.add_function(wrap_pyfunction!(moments, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    Ok(())
}
