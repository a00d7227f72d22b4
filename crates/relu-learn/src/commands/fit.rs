//! `relu-learn fit`: a learner from the registry on samples from files or a teacher stream.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use faer::Par;
use relu_net::{SampleSource, Seed};
use serde_json::json;

use super::peak_rss_bytes;
use crate::cli::FitArgs;
use crate::model_io::write_any_model;
use crate::output::fmt_sig;
use crate::progress::StageTimer;

/// A learner by id, with parameters from a JSON file if given, through the
/// registry ([`learners::LearnerSpec`]); `hidden` as the registry defines it
/// per learner.
///
/// # Errors
/// Unknown learner, unreadable or invalid parameter file, `hidden` for a
/// learner without hidden units.
pub fn make_learner(
    name: &str,
    hidden: Option<usize>,
    params: Option<&std::path::Path>,
) -> Result<Box<dyn learners::Learner>> {
    let spec = match params {
        None => learners::LearnerSpec::defaults(name)?,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| crate::io_context::cannot_read(path, " the parameter file"))?;
            let value: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", path.display()))?;
            learners::LearnerSpec::from_params(name, value)
                .with_context(|| format!("{}: invalid parameter file", path.display()))?
        }
    };
    Ok(spec.with_hidden(hidden)?.build()?)
}

/// `relu-learn fit`.
///
/// # Errors
/// Unreadable or invalid files, unknown learner, any learner error.
pub fn fit(a: &FitArgs, par: Par) -> Result<()> {
    let learner = make_learner(&a.learner, a.hidden, a.params.as_deref())?;
    let start = Instant::now();
    let data = a.data.source()?;
    let n = a.samples_cap.map_or(data.len(), |c| c.min(data.len()));
    let capped = learners::common::Rows::new(data.as_ref(), 0, n);
    if !(a.recovery_tol.is_finite() && a.recovery_tol > 0.0) {
        bail!(
            "--recovery-tol must be a finite number > 0 (the default is {})",
            learners::recovery::RECOVERY_TOL
        );
    }
    let mut timer = StageTimer::new(learner.name());
    let mode = if a.assume_standard {
        learners::inputs::InputMode::AssumeStandard
    } else {
        learners::inputs::InputMode::Auto
    };
    let fit_start = Instant::now();
    let mut fitted =
        learners::inputs::fit_any_gaussian(learner.as_ref(), &capped, &mode, Seed(a.seed), par, &mut timer)?;
    learners::recovery::judge(&mut fitted.report, a.recovery_tol);
    // The fit alone: `total` also counts opening (or reading) the data.
    let fit_seconds = fit_start.elapsed().as_secs_f64();
    let stages = timer.finish();
    let total = start.elapsed().as_secs_f64();
    write_any_model(&a.out, &fitted.model)?;
    if let Some(path) = &a.provable_out {
        match &fitted.report.provable_network {
            Some(net) => crate::model_io::write_model(path, net)?,
            None => eprintln!(
                "relu-learn: warning: --provable-out: {} has no separate paper's stage (atv, narrow and ckm have one); nothing written to {}",
                learner.name(),
                path.display()
            ),
        }
    }
    if let Some(rp) = &a.report {
        let doc = json!({
            "learner": learner.name(),
            "samples": n,
            "dim": capped.dim(),
            "seed": a.seed,
            "report": fitted.report,
            "stages": stages.iter().map(|(s, t)| json!({"stage": s, "seconds": t})).collect::<Vec<_>>(),
            "total_seconds": total,
            "fit_seconds": fit_seconds,
            "peak_rss_bytes": peak_rss_bytes(),
        });
        std::fs::write(rp, serde_json::to_string_pretty(&doc)?)
            .with_context(|| crate::io_context::cannot_write(rp, " the report"))?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} samples, d = {}, {:.2} s; wrote {}",
        learner.name(),
        n,
        capped.dim(),
        total,
        a.out.display()
    )?;
    if let Some(v) = fitted.report.provable_stage_error {
        writeln!(
            out,
            "validation relative error of the paper's step (before local optimisation) {}",
            fmt_sig(v, 3)
        )?;
    }
    if let Some(v) = fitted.report.validation_error {
        writeln!(out, "validation relative error {}", fmt_sig(v, 3))?;
    }
    if let Some(p) = fitted.report.data_passes {
        writeln!(out, "passes over the data    {}", fmt_sig(p, 3))?;
    }
    if !fitted.report.passes.is_empty() {
        let kinds: Vec<String> = fitted
            .report
            .passes
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(out, "passes by kind          {}", kinds.join(", "))?;
    }
    for (name, how) in &fitted.report.chosen {
        writeln!(out, "chosen from the data: {name} = {how}")?;
    }
    for note in &fitted.report.notes {
        writeln!(out, "note: {note}")?;
    }
    drop(out);
    for w in &fitted.report.warnings {
        eprintln!("relu-learn: warning: {w}");
    }
    if a.strict && fitted.report.recovered == Some(false) {
        return Err(NotRecovered {
            validation_error: fitted.report.validation_error.unwrap_or(f64::NAN),
        }
        .into());
    }
    Ok(())
}

/// `fit --strict` on a fit that did not recover a network (exit code 3).
#[derive(Debug)]
pub struct NotRecovered {
    /// The relative validation error of the fit.
    pub validation_error: f64,
}

impl std::fmt::Display for NotRecovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--strict: the fit did not recover a network (validation error {}); the model was written, see the report's notes and warnings",
            fmt_sig(self.validation_error, 3)
        )
    }
}

impl std::error::Error for NotRecovered {}
