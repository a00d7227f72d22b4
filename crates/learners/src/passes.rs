//! The worker side of every pass the learners make.
//!
//! A fit reads all its rows through [`relu_net::Pass`]es (moments, label
//! and input statistics, losses, gradients, normal equations, validation
//! errors). When the data live elsewhere, the source's
//! [`relu_net::Executor`] sends each portable pass as a [`Job`] — the pass's
//! name and its parameters as JSON — and a worker that holds the rows calls
//! [`worker`] on its chunk range; the encoded accumulators come back and
//! merge, in chunk order, into exactly the accumulator of a local pass.
//!
//! | pass | what it sums | where |
//! |---|---|---|
//! | `moments` | a Hermite statistic (`gaussian_moments`) | every moment stage |
//! | `input-stats` | mean, covariance, power sums of x; the labels' sums | start of every fit |
//! | `label-stats` | min, max, mean, M₂ of y; non-finite entries | start of a fit whose inputs were taken as standard, or on derived labels |
//! | `error-sums`, `error-spread` | validation errors of one or several networks and their spread | the candidates' validation (all in one pass), each later step's |
//! | `loss` | squared error | the polish's line search |
//! | `normal-equations` | `JᵀJ`, `Jᵀr` | the polish, the refinement's curvature |
//! | `loss-gradient` | loss and `Jᵀψ(r)` on every row | the refinement |
//! | `output-normal-equations` | `FᵀF`, `Fᵀy` of fixed units | output-weight refits |
//! | `paired-errors` | two fits' squared errors, paired | whether added units are kept |
//!
//! Passes over derived rows travel too, as *views* ([`relu_net::view`])
//! that the worker rebuilds over its rows before folding:
//!
//! | view | rows | made by |
//! |---|---|---|
//! | `project` | `(Uᵀx, y)` | moments in a recovered subspace (atv, narrow, ckm) |
//! | `whiten` | `(A (x − μ), y)` | fits of correlated inputs |
//! | `residual` | `(x, y − f̂(x))` | narrow's residual moments, ckm's subspace extension |
//! | `squared-labels` | `(x, (y − c)²)` | narrow's matrix `Q` |
//! | `standardize` | `(x, (y − μ)/σ)` | learners with absolute scales |
//! | `screen` | `(x, f̂ + clip(y − f̂))` | robust fits' second fit |
//!
//! What still runs in the process of the fit: the bounded reads of rows
//! (the polish's subsample, search rows) and filtered PCA's null test over
//! labels shifted between rows, which is not row-local.

use std::borrow::Cow;
use std::ops::Range;

use faer::Par;
use relu_net::pass::fold_job_range;
use relu_net::{Job, NetError, Network, SampleSource};

use crate::common::{LabelPass, OutputPass};
use crate::compare::PairedPass;
use crate::inputs::InputPass;
use crate::polish::{LossPass, NormalPass};
use crate::refine::GradientPass;

/// A network as a JSON value, for a pass's spec.
pub(crate) fn net_value(net: &Network) -> Option<serde_json::Value> {
    serde_json::from_str(&net.to_json()).ok()
}

/// Folds the chunks `chunks` of the job's rows `rows` for any pass of this
/// workspace, read through the job's views, and returns the encoded
/// accumulator tree (see the module docs). `rows` must be the job's rows:
/// row 0 is the job's first row.
///
/// # Errors
/// [`NetError::Pass`] for an unknown pass or view, parameters that do not
/// decode, or chunks beyond the rows.
pub fn worker(
    job: &Job,
    rows: &dyn SampleSource,
    chunks: Range<usize>,
    par: Par,
) -> Result<String, NetError> {
    through_views(&job.views, job, rows, chunks, par)
}

/// Builds the innermost of `views` over `rows` and recurses; folds the job
/// when none are left.
fn through_views(
    views: &[serde_json::Value],
    job: &Job,
    rows: &dyn SampleSource,
    chunks: Range<usize>,
    par: Par,
) -> Result<String, NetError> {
    let Some((view, outer)) = views.split_first() else {
        return fold(job, rows, chunks, par);
    };
    let name = relu_net::view::name_of(view);
    let bad = |reason: String| NetError::Pass {
        pass: format!("{} (view {name:?})", job.pass),
        reason,
    };
    let number = |field: &str| -> Result<f64, NetError> {
        view.get(field)
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| bad(format!("no number {field} in the view")))
    };
    let network = || -> Result<Network, NetError> {
        let net = view
            .get("network")
            .ok_or_else(|| bad("no network in the view".to_owned()))?;
        Network::from_json(&net.to_string())
    };
    let dim_check = |net: &Network| {
        if net.input_dim() == rows.dim() {
            Ok(())
        } else {
            Err(bad(format!(
                "a network on {} inputs over rows of dimension {}",
                net.input_dim(),
                rows.dim()
            )))
        }
    };
    match name {
        gaussian_moments::PROJECT_VIEW => {
            let v = gaussian_moments::Projected::from_view(rows, view)?;
            through_views(outer, job, &v, chunks, par)
        }
        crate::inputs::WHITEN_VIEW => {
            let w = crate::inputs::Whitening::from_view(view)?;
            if w.dim() != rows.dim() {
                return Err(bad(format!(
                    "a whitening of {} inputs over rows of dimension {}",
                    w.dim(),
                    rows.dim()
                )));
            }
            through_views(outer, job, &w.source(rows), chunks, par)
        }
        crate::residual_labels::RESIDUAL_VIEW => {
            let net = network()?;
            dim_check(&net)?;
            let v = crate::residual_labels::ResidualLabels::new(rows, &net);
            through_views(outer, job, &v, chunks, par)
        }
        crate::screen::SCREEN_VIEW => {
            let net = network()?;
            dim_check(&net)?;
            let v = crate::screen::ScreenedLabels::new(rows, &net, number("limit")?);
            through_views(outer, job, &v, chunks, par)
        }
        crate::narrow::SQUARED_VIEW => {
            let v = crate::narrow::SquaredLabels::new(rows, number("shift")?);
            through_views(outer, job, &v, chunks, par)
        }
        crate::common::STANDARDIZE_VIEW => {
            let v = crate::common::Standardized::with_scale(rows, number("mean")?, number("std")?);
            through_views(outer, job, &v, chunks, par)
        }
        other => Err(bad(format!("no view named {other:?} in this build"))),
    }
}

/// Folds the job over `rows` (the job's views already applied).
fn fold(job: &Job, rows: &dyn SampleSource, chunks: Range<usize>, par: Par) -> Result<String, NetError> {
    if let Some(r) = gaussian_moments::worker(job, rows, chunks.clone(), par) {
        return r;
    }
    if let Some(r) = relu_net::metrics::worker(job, rows, chunks.clone(), par) {
        return r;
    }
    let bad = |reason: String| NetError::Pass {
        pass: job.pass.clone(),
        reason,
    };
    let decode = |what: &str| -> Result<serde_json::Value, NetError> {
        job.spec
            .get(what)
            .cloned()
            .ok_or_else(|| bad(format!("no {what} in the job")))
    };
    let network = || -> Result<Network, NetError> { Network::from_json(&decode("network")?.to_string()) };
    let huber = || -> Result<Option<f64>, NetError> {
        serde_json::from_value(decode("huber")?).map_err(|e| bad(format!("bad huber: {e}")))
    };
    let whole = || -> Result<serde_json::Value, NetError> { Ok(job.spec.clone()) };
    let parse = |e: serde_json::Error| bad(format!("the job does not decode: {e}"));
    match job.pass.as_str() {
        "label-stats" => {
            let pass: LabelPass = serde_json::from_value(whole()?).map_err(parse)?;
            fold_job_range(&pass, rows, chunks, par)
        }
        "input-stats" => {
            let pass: InputPass = serde_json::from_value(whole()?).map_err(parse)?;
            fold_job_range(&pass, rows, chunks, par)
        }
        "output-normal-equations" => {
            let pass: OutputPass = serde_json::from_value(whole()?).map_err(parse)?;
            fold_job_range(&pass, rows, chunks, par)
        }
        "loss" => fold_job_range(&LossPass(Cow::Owned(network()?)), rows, chunks, par),
        "normal-equations" => {
            let pass = NormalPass {
                net: Cow::Owned(network()?),
                huber: huber()?,
            };
            fold_job_range(&pass, rows, chunks, par)
        }
        "loss-gradient" => {
            let pass = GradientPass {
                net: Cow::Owned(network()?),
                huber: huber()?,
            };
            fold_job_range(&pass, rows, chunks, par)
        }
        "paired-errors" => {
            let net =
                |what: &str| -> Result<Network, NetError> { Network::from_json(&decode(what)?.to_string()) };
            let pass = PairedPass {
                old: Cow::Owned(net("old")?),
                new: Cow::Owned(net("new")?),
            };
            fold_job_range(&pass, rows, chunks, par)
        }
        other => Err(bad(format!("no pass named {other:?} in this build"))),
    }
}
