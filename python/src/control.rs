//! Long calls from Python: the work runs on its own thread without the GIL
//! while the calling thread waits, delivers progress to a Python callback and
//! checks for Ctrl-C.
//!
//! The work runs in a thread pool of its own whose threads watch a flag
//! ([`learners::cancel::watch`]). An interrupt (or an exception raised by
//! the progress callback) raises the flag; the fit stops at its next
//! checkpoint (every data chunk, stage, batch, iteration and search step:
//! [`learners::cancel`]) by unwinding with [`learners::cancel::Interrupted`],
//! which [`run`] catches; the Python caller gets `KeyboardInterrupt` (or the
//! callback's exception) and no model. Any other panic becomes a
//! `RuntimeError` instead of taking the interpreter down.

// The Python package is an application, like the command line: it reads
// the clock for the progress callback's times and its 50 ms waits.
#![allow(clippy::disallowed_methods)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use faer::Par;
use learners::cancel::Interrupted;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

/// The unwind payload of work that failed outside the library (a cluster
/// that could not deliver rows): reported as `RuntimeError` with its
/// message, not as an internal error.
pub(crate) struct Failed(pub(crate) String);

/// Shared between the waiting Python thread and the working thread.
pub(crate) struct Control {
    interrupted: Arc<AtomicBool>,
    start: Instant,
    stages: Mutex<Vec<(String, f64)>>,
}

impl Control {
    fn take_stages(&self) -> Vec<(String, f64)> {
        std::mem::take(
            &mut *self
                .stages
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

impl learners::Observer for &Control {
    fn stage(&mut self, name: &str) {
        learners::cancel::checkpoint();
        self.stages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((name.to_owned(), self.start.elapsed().as_secs_f64()));
    }
}

/// Keeps the default panic message for real bugs but prints nothing for
/// the [`Interrupted`] unwind.
fn quiet_interrupts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<Interrupted>() && !info.payload().is::<Failed>() {
                previous(info);
            }
        }));
    });
}

/// Runs `work` without the GIL in a pool of `n_threads` threads (default:
/// every core; results do not depend on it), given the matching `Par`.
/// Meanwhile the calling
/// thread calls `progress(stage, seconds)` (seconds since the start at which
/// the stage began) for every stage the work
/// announces and checks for signals every 50 ms.
///
/// # Errors
/// The work's error as `ValueError`; `KeyboardInterrupt` (or the callback's
/// exception) when interrupted; `RuntimeError` for an internal panic.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
    n_threads: Option<usize>,
    work: impl FnOnce(&Control, Par) -> Result<T, String> + Send,
) -> PyResult<T> {
    quiet_interrupts();
    let control = Control {
        interrupted: Arc::new(AtomicBool::new(false)),
        start: Instant::now(),
        stages: Mutex::default(),
    };
    let (pool, par) = crate::threads(n_threads, Some(&control.interrupted))?;
    let control_ref = &control;
    std::thread::scope(|s| {
        let handle =
            s.spawn(move || catch_unwind(AssertUnwindSafe(|| pool.install(|| work(control_ref, par)))));
        let mut stop: Option<PyErr> = None;
        loop {
            let finished = py.detach(|| {
                let until = Instant::now() + Duration::from_millis(50);
                while !handle.is_finished() && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(2));
                }
                handle.is_finished()
            });
            if stop.is_none()
                && let Some(cb) = progress
            {
                for (stage, seconds) in control.take_stages() {
                    if let Err(e) = cb.call1((stage, seconds)) {
                        stop = Some(e);
                        break;
                    }
                }
            }
            if stop.is_none()
                && let Err(e) = py.check_signals()
            {
                stop = Some(e);
            }
            if stop.is_some() {
                control.interrupted.store(true, Ordering::Relaxed);
            }
            if finished {
                break;
            }
        }
        let outcome = py.detach(|| handle.join());
        if let Some(e) = stop {
            return Err(e);
        }
        match outcome {
            Ok(Ok(Ok(t))) => Ok(t),
            Ok(Ok(Err(message))) => Err(PyValueError::new_err(message)),
            Ok(Err(payload)) | Err(payload) if payload.is::<Failed>() => {
                let message = payload
                    .downcast_ref::<Failed>()
                    .map_or(String::new(), |f| f.0.clone());
                Err(PyRuntimeError::new_err(message))
            }
            Ok(Err(payload)) | Err(payload) => {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned());
                Err(PyRuntimeError::new_err(format!(
                    "relu-learn internal error: {what}; please report it with the data's shape and the parameters"
                )))
            }
        }
    })
}
