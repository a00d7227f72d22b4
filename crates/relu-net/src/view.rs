//! Views: derived rows (projected or whitened inputs, residual or
//! standardised labels) that travel with a pass to where the rows live.
//!
//! Many passes of a fit read rows *derived* from the data rather than the
//! data themselves: moments of `Uᵀx` in a recovered subspace, moments of
//! the residual `y − f̂(x)`, statistics of whitened inputs `A (x − μ)`. Each
//! such derivation is a [`SampleSource`] wrapping another, and each is
//! *row-local*: row i of the view depends only on row i of the wrapped
//! source. So a pass over a view is portable whenever the pass is: the
//! view's parameters go into the [`Job`] (its `views`, innermost first)
//! and the worker rebuilds the same chain of views over its own rows
//! before folding. Since a view computes each chunk exactly as it does
//! locally (same arithmetic, same chunk), the result is bit for bit the
//! local pass.
//!
//! A view source implements [`SampleSource::executor`] with [`viewed`]: the
//! wrapped source's executor with one more view pushed in front of every
//! job it runs. A worker reads a job's views with the registry of views of
//! its build (`learners::passes::worker` knows every view of this
//! workspace).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::NetError;
use crate::pass::{Executor, Job};
use crate::source::SampleSource;

/// The executor of a view source: runs a job on the wrapped source's
/// executor with the view's spec put first in [`Job::views`] (views nest
/// outwards: the innermost view applies first to the worker's rows).
pub struct Viewed<'a> {
    inner: &'a dyn Executor,
    spec: serde_json::Value,
}

impl Executor for Viewed<'_> {
    fn run(&self, job: &Job) -> Result<Vec<String>, NetError> {
        let mut job = job.clone();
        job.views.insert(0, self.spec.clone());
        self.inner.run(&job)
    }
}

/// The executor (and row offset) of a view over `src` whose parameters are
/// `spec()`: `None` when `src` has no executor (every pass then runs here)
/// or the view cannot be written as JSON. `spec` is called only when `src`
/// has an executor. A view source calls this once, when it is built, and
/// returns the result from [`SampleSource::executor`].
#[must_use]
pub fn viewed<'a>(
    src: &'a dyn SampleSource,
    spec: impl FnOnce() -> Option<serde_json::Value>,
) -> Option<(Viewed<'a>, usize)> {
    let (inner, offset) = src.executor()?;
    Some((Viewed { inner, spec: spec()? }, offset))
}

/// [`SampleSource::executor`]'s answer for a view built with [`viewed`].
#[must_use]
pub fn executor_of<'s>(v: &'s Option<(Viewed<'_>, usize)>) -> Option<(&'s dyn Executor, usize)> {
    v.as_ref().map(|(e, offset)| (e as &dyn Executor, *offset))
}

/// A view's spec: its parameters `params` (a struct serialised as a JSON
/// object; matrices with [`crate::pass::mat`]) with the view's `name` under
/// the key `"view"`; `None` if they do not serialise or hold a number JSON
/// cannot (NaN and infinities become `null`): the view's passes then run
/// where the fit runs.
#[must_use]
pub fn spec<T: Serialize>(name: &str, params: &T) -> Option<serde_json::Value> {
    fn has_null(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Null => true,
            serde_json::Value::Array(a) => a.iter().any(has_null),
            serde_json::Value::Object(o) => o.values().any(has_null),
            _ => false,
        }
    }
    let mut v = serde_json::to_value(params).ok()?;
    if has_null(&v) {
        return None;
    }
    v.as_object_mut()?
        .insert("view".to_owned(), serde_json::Value::String(name.to_owned()));
    Some(v)
}

/// The name of the view a spec describes (`""` if it names none).
#[must_use]
pub fn name_of(spec: &serde_json::Value) -> &str {
    spec.get("view").and_then(serde_json::Value::as_str).unwrap_or("")
}

/// The parameters of a view's spec written by [`spec`].
///
/// # Errors
/// [`NetError::Pass`] (naming the view) if they do not decode.
pub fn params<T: DeserializeOwned>(spec: &serde_json::Value) -> Result<T, NetError> {
    T::deserialize(spec).map_err(|e| NetError::Pass {
        pass: format!("view {:?}", name_of(spec)),
        reason: format!("its parameters do not decode: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_names_its_view_and_refuses_numbers_json_cannot_hold() {
        let v = spec("residual", &serde_json::json!({ "limit": 2.5 })).unwrap();
        assert_eq!(name_of(&v), "residual");
        assert_eq!(v["limit"], 2.5);
        // NaN and infinities serialise as null: no spec, so the view's passes
        // run where the fit runs instead of failing on a worker.
        assert!(spec("screen", &serde_json::json!({ "limit": f64::INFINITY })).is_none());
        assert!(spec("screen", &serde_json::json!({ "a": [1.0, f64::NAN] })).is_none());
        #[derive(serde::Deserialize)]
        struct Limit {
            limit: f64,
        }
        assert_eq!(params::<Limit>(&v).unwrap().limit, 2.5);
        assert!(params::<Limit>(&serde_json::json!({ "view": "x" })).is_err());
    }
}
