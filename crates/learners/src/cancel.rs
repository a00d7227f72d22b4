//! Stopping a fit from outside.
//!
//! A host that runs fits on threads of its own (the Python package, where
//! Ctrl-C must stop a fit) gives each of those threads a flag with
//! [`watch`]; the fit's long loops — every data chunk a source serves, the
//! epochs and batches of gradient descent, the iterations of
//! Levenberg–Marquardt, the searches over nets and subsets, the enumeration
//! of exact ERM — call [`checkpoint`], which unwinds with an [`Interrupted`]
//! payload once the flag is raised. The host catches the unwind
//! (`std::panic::catch_unwind`) and reports the interruption; no model comes
//! out of an interrupted fit. Threads without a flag (the command line, the
//! tests) never stop: `checkpoint` is a thread-local read.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The unwind payload of an interrupted fit.
#[derive(Debug)]
pub struct Interrupted;

thread_local! {
    static FLAG: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Makes [`checkpoint`] on the current thread stop once `flag` is raised
/// (call it on every thread of the pool the fit runs in, e.g. from rayon's
/// `start_handler`).
pub fn watch(flag: Arc<AtomicBool>) {
    FLAG.with(|f| *f.borrow_mut() = Some(flag));
}

/// Whether the current thread's flag is raised.
#[must_use]
pub fn is_interrupted() -> bool {
    FLAG.with(|f| f.borrow().as_ref().is_some_and(|a| a.load(Ordering::Relaxed)))
}

/// Unwinds with [`Interrupted`] if the current thread's flag is raised.
pub fn checkpoint() {
    if is_interrupted() {
        std::panic::panic_any(Interrupted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_stops_only_once_the_watched_flag_is_raised() {
        checkpoint();
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        let (ready, watching) = std::sync::mpsc::channel();
        let stopped = std::thread::spawn(move || {
            watch(f);
            // Watched but not raised: no stop.
            checkpoint();
            let _ = ready.send(());
            let r = std::panic::catch_unwind(|| {
                while !is_interrupted() {
                    std::thread::yield_now();
                }
                checkpoint();
            });
            r.err().is_some_and(|p| p.is::<Interrupted>())
        });
        watching.recv().unwrap_or(());
        flag.store(true, Ordering::Relaxed);
        assert!(stopped.join().unwrap_or(false));
        // This thread never watched the flag.
        checkpoint();
    }
}
