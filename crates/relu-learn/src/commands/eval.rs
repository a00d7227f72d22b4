//! `relu-learn eval`: a model against a teacher or labelled data.

use std::io::Write as _;

use anyhow::{Context, Result, bail};
use faer::Par;
use relu_net::matching::match_depth2;
use relu_net::metrics::{Comparison, compare_on_samples, exact_relative_l2_bias_free, relative_l2_error};
use relu_net::{InMemory, Seed};
use serde_json::json;

use super::{json_num, read_xy};
use crate::cli::EvalArgs;
use crate::model_io::{read_any_model, read_model};
use crate::output::fmt_sig;

/// A model against a teacher on `samples` fresh Gaussian inputs drawn from
/// `seed` (relative L² error with its standard error, the closed form for
/// bias-free depth 2, the unit matching for depth 2), as the JSON document
/// `eval --json` prints; the Python package's `relu_learn.eval` returns it.
///
/// # Errors
/// Mismatched input dimensions, too few samples.
pub fn evaluate_against_teacher(
    model: &learners::Model,
    teacher: &relu_net::Network,
    samples: usize,
    seed: u64,
    par: Par,
) -> Result<serde_json::Value> {
    let (cmp, exact, matching) = compare_with_teacher(model, teacher, samples, seed, par)?;
    Ok(evaluation_json(
        "teacher",
        &cmp,
        exact.as_ref(),
        matching.as_ref(),
    ))
}

/// The comparisons of `model` with `teacher`: relative L² error on
/// `samples` fresh inputs from `seed`, the closed form (bias-free depth 2)
/// and the unit matching (depth 2), each where it applies.
fn compare_with_teacher(
    model: &learners::Model,
    teacher: &relu_net::Network,
    samples: usize,
    seed: u64,
    par: Par,
) -> Result<(
    Comparison,
    Option<relu_net::metrics::ExactComparison>,
    Option<relu_net::matching::Matching>,
)> {
    let model_dim = relu_net::Predictor::dim(model);
    if teacher.input_dim() != model_dim {
        bail!(
            "the model has input dimension {} but the teacher has {}",
            model_dim,
            teacher.input_dim()
        );
    }
    let cmp = relative_l2_error(model, teacher, samples, Seed(seed), par)?;
    let network = model.network();
    let matching = network
        .filter(|m| teacher.depth() == 2 && m.depth() == 2)
        .map(|m| match_depth2(m, teacher))
        .transpose()?;
    let exact = network.and_then(|m| exact_relative_l2_bias_free(m, teacher).ok());
    Ok((cmp, exact, matching))
}

/// A model on labelled samples, as the JSON document `eval --json --x --y`
/// prints.
///
/// # Errors
/// Mismatched input dimensions, too few samples.
pub fn evaluate_on_data(
    model: &learners::Model,
    data: &dyn relu_net::SampleSource,
    par: Par,
) -> Result<serde_json::Value> {
    let model_dim = relu_net::Predictor::dim(model);
    if data.dim() != model_dim {
        bail!(
            "the model expects {} inputs but the data have {} columns; pass inputs with the columns the model was fitted on",
            model_dim,
            data.dim()
        );
    }
    let cmp = compare_on_samples(model, data, par)?;
    Ok(evaluation_json("data", &cmp, None, None))
}

fn evaluation_json(
    source: &str,
    cmp: &Comparison,
    exact: Option<&relu_net::metrics::ExactComparison>,
    matching: Option<&relu_net::matching::Matching>,
) -> serde_json::Value {
    json!({
        "source": source,
        "n_samples": cmp.n_samples,
        "mse": cmp.mse,
        "mse_std_error": cmp.mse_std_error,
        "label_variance": cmp.label_variance,
        "relative_error": json_num(cmp.relative_error),
        "relative_std_error": json_num(cmp.relative_std_error),
        "exact": exact,
        "matching": matching.map(|m| json!({
            "parameter_error": m.parameter_error(),
            "max_direction_error": m.max_direction_error(),
            "max_bias_error": m.max_bias_error(),
            "max_output_weight_error": m.max_output_weight_error(),
            "output_bias_error": m.output_bias_error,
            "units": m.pairs,
            "unmatched_teacher": m.unmatched_teacher,
            "unmatched_model": m.unmatched_model,
        })),
    })
}

/// `relu-learn eval`.
///
/// # Errors
/// Unreadable or invalid files, mismatched shapes, too few samples.
pub fn eval(a: &EvalArgs, par: Par) -> Result<()> {
    let model = read_any_model(&a.model)?;
    let model_dim = relu_net::Predictor::dim(&model);
    let (source, cmp, exact, matching, teacher) = if let Some(tp) = &a.teacher {
        let teacher = read_model(tp)?;
        let (cmp, exact, matching) = compare_with_teacher(&model, &teacher, a.samples, a.seed, par)?;
        ("teacher", cmp, exact, matching, Some(teacher))
    } else {
        let (xp, yp) = (
            a.x.as_ref().context("--x is required")?,
            a.y.as_ref().context("--y is required")?,
        );
        let (x, y) = read_xy(xp, yp)?;
        if x.ncols() != model_dim {
            bail!(
                "the model expects {} inputs but {} has {} columns; pass inputs with the columns the model was fitted on",
                model_dim,
                xp.display(),
                x.ncols()
            );
        }
        let data = InMemory::new(x, y)?;
        ("data", compare_on_samples(&model, &data, par)?, None, None, None)
    };
    let mut out = std::io::stdout().lock();
    if a.json {
        writeln!(
            out,
            "{}",
            evaluation_json(source, &cmp, exact.as_ref(), matching.as_ref())
        )?;
        return Ok(());
    }
    print_comparison(&mut out, source, &cmp, a)?;
    if let Some(e) = exact {
        writeln!(
            out,
            "{:<22}{} (closed form, bias-free depth 2)",
            "exact relative error",
            fmt_sig(e.relative_error, 4)
        )?;
    }
    if let (Some(m), Some(t)) = (matching, teacher) {
        let k = t.as_depth2().map(|p| p.w.nrows()).unwrap_or(0);
        writeln!(
            out,
            "{:<22}{} of {k} teacher units matched",
            "unit matching",
            m.pairs.len()
        )?;
        for (label, v) in [
            ("max direction error", m.max_direction_error()),
            ("max bias error", m.max_bias_error()),
            ("max output error", m.max_output_weight_error()),
            ("output bias error", m.output_bias_error),
        ] {
            writeln!(out, "  {label:<20}{}", fmt_sig(v, 4))?;
        }
    }
    Ok(())
}

fn print_comparison(out: &mut impl std::io::Write, source: &str, c: &Comparison, a: &EvalArgs) -> Result<()> {
    let what = if source == "teacher" {
        format!("fresh Gaussian inputs, seed {}", a.seed)
    } else {
        "from the data files".to_owned()
    };
    writeln!(out, "{:<22}{} ({what})", "samples", c.n_samples)?;
    writeln!(
        out,
        "{:<22}{} ± {}",
        "test MSE",
        fmt_sig(c.mse, 4),
        fmt_sig(c.mse_std_error, 2)
    )?;
    writeln!(out, "{:<22}{}", "label variance", fmt_sig(c.label_variance, 4))?;
    writeln!(
        out,
        "{:<22}{} ± {} (MSE / Var(y))",
        "relative error",
        fmt_sig(c.relative_error, 4),
        fmt_sig(c.relative_std_error, 2)
    )?;
    Ok(())
}
