//! The subcommands: `generate`, `eval`, `predict`, `reproduce`.

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use faer::{Col, Mat, Par};
use relu_net::matching::match_depth2;
use relu_net::metrics::{Comparison, compare_on_samples, exact_relative_l2_bias_free, relative_l2_error};
use relu_net::{
    FAMILY_NAMES, Family, FamilyOptions, InMemory, InputLaw, Planted, SampleSource, Seed, Signs, Variation,
};
use serde_json::json;

use crate::cli::{EvalArgs, FitArgs, GenerateArgs, MomentsArgs, PredictArgs, ReproduceArgs};
use crate::model_io::{read_any_model, read_model, write_any_model, write_model};
use crate::npy::{read_matrix, read_vector, write_matrix_streaming, write_vector};
use crate::output::{Table, fmt_sig};
use crate::progress::Progress;
use crate::provenance::Provenance;
use crate::suites::{self, Size, SuiteContext};

/// Largest number of network parameters `generate` agrees to build.
const MAX_PARAMS: usize = 1 << 28;

/// Rows per block when streaming samples to disk.
const WRITE_BLOCK_ROWS: usize = 4096;

fn family_options(a: &GenerateArgs) -> Result<(Family, usize)> {
    let name = a.family.as_str();
    if !FAMILY_NAMES.contains(&name) {
        bail!(
            "unknown family {name:?}: choose one of {}",
            FAMILY_NAMES.join(", ")
        );
    }
    let hidden = match (name, a.hidden, &a.widths) {
        ("single", None | Some(1), _) => 1,
        ("single", Some(k), _) => bail!("family single has one hidden unit, but --hidden {k} was given"),
        (_, Some(k), _) => k,
        // --widths sets the first width itself (checked below).
        ("deep", None, Some(w)) => w.first().copied().unwrap_or(0),
        (_, None, _) => bail!("--hidden K is required for family {name}"),
    };
    let depth = match (name, a.depth) {
        ("deep", d) => d.unwrap_or(3),
        (_, None | Some(2)) => 2,
        (_, Some(l)) => bail!("family {name} has depth 2; use --family deep for depth {l}"),
    };
    if a.widths.is_some() && name != "deep" {
        bail!("--widths applies to family deep only; use --hidden for family {name}");
    }
    let (hidden, depth) = match &a.widths {
        Some(w) if w.is_empty() || w.contains(&0) => bail!("--widths needs positive widths, e.g. 4,3,2"),
        Some(w) => (w[0], w.len() + 1),
        None => (hidden, depth),
    };
    let defaults = FamilyOptions::new(a.dim, hidden);
    let opts = FamilyOptions {
        depth,
        kappa: a.kappa.unwrap_or(defaults.kappa),
        bias_range: a.bias_range.unwrap_or(defaults.bias_range),
        angle: a.angle.unwrap_or(defaults.angle),
        bias_std: a.bias_std.unwrap_or(defaults.bias_std),
        group: a.group.unwrap_or(defaults.group),
        row_scale: a.row_scale.unwrap_or(defaults.row_scale),
        widths: a.widths.clone().unwrap_or_default(),
        ..defaults
    };
    let params = a
        .dim
        .checked_mul(hidden)
        .and_then(|p| p.checked_add(hidden.saturating_mul(hidden).saturating_mul(depth)));
    if params.is_none_or(|p| p > MAX_PARAMS) {
        bail!(
            "a network with dim {} and {hidden} hidden units is too large (limit {MAX_PARAMS} parameters)",
            a.dim
        );
    }
    let family = Family::from_name(name, &opts).context("unknown family")?;
    Ok((family, hidden))
}

/// `relu-learn generate`.
///
/// # Errors
/// Unknown family, invalid parameters, IO errors.
pub fn generate(a: &GenerateArgs, _par: Par) -> Result<()> {
    let (family, hidden) = family_options(a)?;
    let seed = Seed(a.seed);
    let variation = Variation {
        signs: if a.signs == "positive" {
            Signs::Positive
        } else {
            Signs::Mixed
        },
        offset: a.offset,
        label_scale: a.label_scale,
    };
    let teacher = family.plant_varied(seed.derive("teacher"), &variation)?;
    // With non-standard inputs the family is planted on the standard
    // coordinates z and written for x = mean + L z.
    let (teacher, law) = if a.mean == 0.0 && a.correlation == 0.0 {
        (teacher, None)
    } else {
        let law = InputLaw::autoregressive(a.dim, a.mean, a.correlation)?;
        (law.network_on_inputs(&teacher)?, Some(law))
    };
    let mut src = Planted::new(teacher.clone(), a.samples, a.noise, seed.derive("samples"))?;
    if let Some(law) = law {
        src = src.with_inputs(law)?;
    }
    std::fs::create_dir_all(&a.out).with_context(|| crate::io_context::cannot_create_dir(&a.out))?;
    write_model(&a.out.join("teacher.json"), &teacher)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "wrote {} (family {}, d = {}, k = {hidden}, depth {})",
        a.out.join("teacher.json").display(),
        family.name(),
        a.dim,
        teacher.depth()
    )?;
    if a.samples == 0 {
        return Ok(());
    }
    let (n, d) = (src.len(), src.dim());
    let mut y = Col::zeros(n);
    let bar = Progress::new(n as u64, "generate");
    write_matrix_streaming(&a.out.join("x.npy"), n, d, WRITE_BLOCK_ROWS, |start, m| {
        let mut x = Mat::zeros(m, d);
        src.chunk(start, x.as_mut(), y.as_mut().subrows_mut(start, m));
        bar.inc(m as u64);
        x
    })?;
    bar.finish();
    write_vector(&a.out.join("y.npy"), y.as_ref())?;
    writeln!(
        out,
        "wrote {} ({n} x {d}) and {} ({n}), noise {}",
        a.out.join("x.npy").display(),
        a.out.join("y.npy").display(),
        a.noise
    )?;
    Ok(())
}

/// `relu-learn eval`.
///
/// # Errors
/// Unreadable or invalid files, mismatched shapes, too few samples.
pub fn eval(a: &EvalArgs, par: Par) -> Result<()> {
    let model = read_any_model(&a.model)?;
    let model_dim = relu_net::Predictor::dim(&model);
    let (source, cmp, teacher) = if let Some(tp) = &a.teacher {
        let teacher = read_model(tp)?;
        if teacher.input_dim() != model_dim {
            bail!(
                "the model has input dimension {} but the teacher has {}",
                model_dim,
                teacher.input_dim()
            );
        }
        let cmp = relative_l2_error(&model, &teacher, a.samples, Seed(a.seed), par)?;
        ("teacher", cmp, Some(teacher))
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
        ("data", compare_on_samples(&model, &data, par)?, None)
    };
    let network = model.network();
    let matching = teacher
        .as_ref()
        .zip(network)
        .filter(|(t, m)| t.depth() == 2 && m.depth() == 2)
        .map(|(t, m)| match_depth2(m, t))
        .transpose()?;
    let exact = teacher
        .as_ref()
        .zip(network)
        .and_then(|(t, m)| exact_relative_l2_bias_free(m, t).ok());
    let mut out = std::io::stdout().lock();
    if a.json {
        let doc = json!({
            "source": source,
            "n_samples": cmp.n_samples,
            "mse": cmp.mse,
            "mse_std_error": cmp.mse_std_error,
            "label_variance": cmp.label_variance,
            "relative_error": json_num(cmp.relative_error),
            "relative_std_error": json_num(cmp.relative_std_error),
            "exact": exact,
            "matching": matching.as_ref().map(|m| json!({
                "parameter_error": m.parameter_error(),
                "max_direction_error": m.max_direction_error(),
                "max_bias_error": m.max_bias_error(),
                "max_output_weight_error": m.max_output_weight_error(),
                "output_bias_error": m.output_bias_error,
                "units": m.pairs,
                "unmatched_teacher": m.unmatched_teacher,
                "unmatched_model": m.unmatched_model,
            })),
        });
        writeln!(out, "{doc}")?;
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

/// JSON has no infinity: write it as null.
fn json_num(x: f64) -> serde_json::Value {
    if x.is_finite() {
        json!(x)
    } else {
        serde_json::Value::Null
    }
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

/// `relu-learn predict`.
///
/// # Errors
/// Unreadable or invalid files, mismatched dimensions.
pub fn predict(a: &PredictArgs, par: Par) -> Result<()> {
    let model = read_any_model(&a.model)?;
    let x = read_matrix(&a.x)?;
    let dim = relu_net::Predictor::dim(&model);
    if x.ncols() != dim {
        bail!(
            "the model expects {dim} inputs but {} has {} columns; pass inputs with the columns the model was fitted on",
            a.x.display(),
            x.ncols()
        );
    }
    let mut y = Col::zeros(x.nrows());
    relu_net::Predictor::predict_into(&model, x.as_ref(), y.as_mut(), par);
    write_vector(&a.out, y.as_ref())?;
    writeln!(
        std::io::stdout().lock(),
        "wrote {} ({} predictions)",
        a.out.display(),
        y.nrows()
    )?;
    Ok(())
}

/// `relu-learn reproduce`.
///
/// # Errors
/// Unknown suites, failures inside a suite, IO errors.
pub fn reproduce(a: &ReproduceArgs, par: Par, threads: usize) -> Result<()> {
    let registry = suites::registry();
    let mut out = std::io::stdout().lock();
    if a.list {
        for s in &registry {
            writeln!(out, "{:<12}{}", s.name(), s.title())?;
        }
        return Ok(());
    }
    let chosen: Vec<_> = if a.suites.is_empty() {
        registry.iter().collect()
    } else {
        a.suites
            .iter()
            .map(|name| {
                registry.iter().find(|s| s.name() == name).with_context(|| {
                    let names: Vec<_> = registry.iter().map(|s| s.name()).collect();
                    format!("unknown suite {name:?}: choose among {}", names.join(", "))
                })
            })
            .collect::<Result<_>>()?
    };
    let size = if a.full { Size::Full } else { Size::Quick };
    let provenance = Provenance::collect(threads);
    let start_all = Instant::now();
    let mut rows = 0;
    let mut failures = 0;
    let overall = Progress::rows(chosen.len() as u64, "reproduce");
    for suite in &chosen {
        overall.message(suite.name().to_owned());
        let start = Instant::now();
        let ctx = SuiteContext {
            size,
            seed: Seed(a.seed),
            par,
        };
        let result = suite
            .run(&ctx)
            .with_context(|| format!("suite {}", suite.name()))?;
        let secs = start.elapsed().as_secs_f64();
        rows += result.tables.iter().map(Table::len).sum::<usize>();
        writeln!(out, "{}", result.to_markdown())?;
        let dir = result.write(&a.out, &provenance, secs)?;
        writeln!(
            out,
            "({}: {:.1} s, files in {})\n",
            suite.name(),
            secs,
            dir.display()
        )?;
        if let Some(docs) = a.docs.as_ref().filter(|_| size == Size::Quick) {
            result.write_docs(docs)?;
        }
        if let Some(dir) = &a.check {
            let path = dir.join(format!("{}.json", suite.name()));
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "{}: no baseline; run `cargo xtask reproduce` first",
                    path.display()
                )
            })?;
            let baseline: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", path.display()))?;
            let diffs = result.check_against(&baseline);
            if diffs.is_empty() {
                writeln!(
                    out,
                    "check {}: every accuracy figure within tolerance",
                    suite.name()
                )?;
            } else {
                for d in &diffs {
                    writeln!(out, "check FAILED: {d}")?;
                }
                failures += diffs.len();
            }
        }
        overall.inc(1);
    }
    overall.finish();
    if failures > 0 {
        bail!("{failures} accuracy figure(s) moved beyond their tolerance (listed above)");
    }
    writeln!(
        out,
        "done: {} suite(s), {rows} row(s), {:.1} s, results under {}",
        chosen.len(),
        start_all.elapsed().as_secs_f64(),
        a.out.display()
    )?;
    Ok(())
}

/// Reads `--x` and `--y` and checks that they have as many rows.
fn read_xy(xp: &Path, yp: &Path) -> Result<(Mat<f64>, Col<f64>)> {
    let x = read_matrix(xp)?;
    let y = read_vector(yp)?;
    if x.nrows() != y.nrows() {
        bail!(
            "{} has {} rows but {} has {} entries; x and y must describe the same samples",
            xp.display(),
            x.nrows(),
            yp.display(),
            y.nrows()
        );
    }
    Ok((x, y))
}

/// Samples from `--teacher` (streamed, `samples` of them with label noise
/// `noise`, drawn with `seed`) or from the `--x` / `--y` files (checked to
/// have equal numbers of rows).
fn data_source(
    teacher: Option<&Path>,
    samples: usize,
    noise: f64,
    seed: Seed,
    x: Option<&Path>,
    y: Option<&Path>,
) -> Result<Box<dyn SampleSource>> {
    if let Some(tp) = teacher {
        return Ok(Box::new(Planted::new(read_model(tp)?, samples, noise, seed)?));
    }
    let (xp, yp) = (x.context("--x is required")?, y.context("--y is required")?);
    let (x, y) = read_xy(xp, yp)?;
    Ok(Box::new(InMemory::new(x, y)?))
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`), if known.
#[must_use]
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Largest order `moments` accepts (the variance of order-l estimates grows
/// like l!, and so does the sample size they need).
const MAX_ORDER: usize = 40;

/// `relu-learn moments`.
///
/// # Errors
/// Unreadable or invalid files, invalid order or vector count.
pub fn moments(a: &MomentsArgs, par: Par) -> Result<()> {
    use gaussian_moments::{Estimator, matrix_contractions};
    if !a.merge.is_empty() {
        return merge_moment_shards(a);
    }
    if !(2..=MAX_ORDER).contains(&a.order) {
        bail!("--order must be between 2 and {MAX_ORDER}, got {}", a.order);
    }
    if a.order > 2 && a.vectors == 0 {
        bail!("--vectors must be at least 1 for order {}", a.order);
    }
    if a.teacher.is_none() && a.x.is_none() {
        bail!("give the samples: --teacher T.json, or --x X.npy --y Y.npy, or --merge shard files");
    }
    let start = Instant::now();
    let data = data_source(
        a.teacher.as_deref(),
        a.samples,
        a.noise,
        Seed(a.seed),
        a.x.as_deref(),
        a.y.as_deref(),
    )?;
    if data.len() < 2 {
        bail!(
            "moments need at least 2 samples (the standard errors need two), got {}; supply more samples",
            data.len()
        );
    }
    let d = data.dim();
    let entries = a.vectors.max(1) as u128 * (d as u128 * (d as u128 + 1) / 2);
    if entries > gaussian_moments::statistics::MAX_STATISTIC_LEN {
        bail!(
            "{} contraction(s) of {d} × {d} matrices are too large ({entries} entries, limit {}): use fewer --vectors or fewer input dimensions",
            a.vectors,
            gaussian_moments::statistics::MAX_STATISTIC_LEN
        );
    }
    let gs: Vec<Col<f64>> = if a.order == 2 {
        Vec::new()
    } else {
        let g = relu_net::gaussian_matrix(a.vectors, d, Seed(a.vector_seed).derive("contraction-vectors"));
        (0..a.vectors)
            .map(|j| {
                let n = (0..d).map(|k| g[(j, k)].powi(2)).sum::<f64>().sqrt();
                Col::from_fn(d, |k| g[(j, k)] / n)
            })
            .collect()
    };
    if let Some(spec) = &a.shard {
        return write_moment_shard(a, spec, data.as_ref(), &gs, par);
    }
    let bar = Progress::new(1, "moments");
    let est = matrix_contractions(data.as_ref(), a.order, &gs, &Estimator::default(), par)?;
    bar.finish();
    let secs = start.elapsed().as_secs_f64();
    write_moments(a, d, a.order, &gs, &est, secs)
}

/// The format of a `moments --shard` accumulator file.
const SHARD_FORMAT: &str = "relu-learn-moment-shard/v1";

/// One shard of a moment pass, as `moments --shard I/N` writes it.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MomentShard {
    format: String,
    order: usize,
    dim: usize,
    vectors: Vec<Vec<f64>>,
    accumulator: gaussian_moments::Accumulator,
}

/// `--shard I/N`: the I-th of N contiguous chunk ranges, accumulated and
/// written with what `--merge` needs to finish the estimate.
fn write_moment_shard(
    a: &MomentsArgs,
    spec: &str,
    data: &dyn SampleSource,
    gs: &[Col<f64>],
    par: Par,
) -> Result<()> {
    use gaussian_moments::statistics::MatrixContractions;
    let parsed = spec
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse::<usize>().ok()?, n.trim().parse::<usize>().ok()?)));
    let Some((i, n)) = parsed.filter(|(i, n)| *n >= 1 && i < n) else {
        bail!("--shard {spec:?}: expected I/N with 0 <= I < N, e.g. --shard 0/2");
    };
    let est = gaussian_moments::Estimator::default();
    let chunk_rows = est.params().chunk_rows;
    let n_chunks = data.len().div_ceil(chunk_rows);
    let range = (i * n_chunks / n)..((i + 1) * n_chunks / n);
    let stat = MatrixContractions::new(data.dim(), a.order, gs)?;
    let acc = est.accumulate_range(&stat, data, range.clone(), par)?;
    let shard = MomentShard {
        format: SHARD_FORMAT.to_owned(),
        order: a.order,
        dim: data.dim(),
        vectors: gs.iter().map(|g| g.iter().copied().collect()).collect(),
        accumulator: acc,
    };
    let path = a
        .accumulator
        .as_ref()
        .context("--accumulator FILE is required with --shard")?;
    std::fs::write(path, serde_json::to_string(&shard)?)
        .with_context(|| crate::io_context::cannot_write(path, ""))?;
    writeln!(
        std::io::stdout().lock(),
        "shard {i}/{n}: chunks {}..{} of {n_chunks} ({} samples), accumulator in {}",
        range.start,
        range.end,
        shard.accumulator.n_samples(),
        path.display()
    )?;
    Ok(())
}

/// `--merge FILE...`: the shards merged in stream order and finished.
fn merge_moment_shards(a: &MomentsArgs) -> Result<()> {
    let start = Instant::now();
    let mut shards = Vec::new();
    for p in &a.merge {
        let text = std::fs::read_to_string(p).with_context(|| crate::io_context::cannot_read(p, ""))?;
        let s: MomentShard = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a moment shard file ({SHARD_FORMAT})", p.display()))?;
        if s.format != SHARD_FORMAT {
            bail!("{}: format {:?}, expected {SHARD_FORMAT}", p.display(), s.format);
        }
        shards.push((p, s));
    }
    let (first_path, first) = &shards[0];
    for (p, s) in &shards[1..] {
        if (s.order, s.dim, &s.vectors) != (first.order, first.dim, &first.vectors) {
            bail!(
                "{} and {} are shards of different moments (order, dimension or contraction vectors differ)",
                first_path.display(),
                p.display()
            );
        }
    }
    let (order, d) = (first.order, first.dim);
    let gs: Vec<Col<f64>> = first
        .vectors
        .iter()
        .map(|v| Col::from_fn(v.len(), |k| v[k]))
        .collect();
    if gs.iter().any(|g| g.nrows() != d) {
        bail!(
            "{}: contraction vectors of the wrong length",
            first_path.display()
        );
    }
    shards.sort_by_key(|(_, s)| s.accumulator.chunk_range().map_or(0, |r| r.0));
    let mut merged: Option<gaussian_moments::Accumulator> = None;
    for (p, s) in shards {
        merged = Some(match merged {
            None => s.accumulator,
            Some(m) => m
                .merge(s.accumulator)
                .with_context(|| format!("{}: cannot be merged with the shards before it", p.display()))?,
        });
    }
    let e = merged
        .context("no shard")?
        .finish()
        .context("the shards do not cover the stream from its first chunk: is one missing?")?;
    let stat_len = (d * (d + 1) / 2) * gs.len().max(1);
    if e.mean.len() != stat_len {
        bail!(
            "the shards' statistic has {} entries, expected {stat_len} for order {order} in d = {d}",
            e.mean.len()
        );
    }
    let est = gaussian_moments::matrix_estimates(&e, d, order, &gs);
    write_moments(a, d, order, &gs, &est, start.elapsed().as_secs_f64())
}

/// Writes `--out` and prints the summary of a moment estimate.
fn write_moments(
    a: &MomentsArgs,
    d: usize,
    order: usize,
    gs: &[Col<f64>],
    est: &[gaussian_moments::MatrixEstimate],
    secs: f64,
) -> Result<()> {
    let n_samples = est.first().map_or(0, |e| e.n_samples);
    let rss = peak_rss_bytes();
    if let Some(out) = &a.out {
        let rows = |m: &Mat<f64>| {
            (0..d)
                .map(|i| (0..d).map(|j| m[(i, j)]).collect::<Vec<f64>>())
                .collect::<Vec<_>>()
        };
        let doc = json!({
            "order": order,
            "normalisation": "E[y S_l(x)], S_l = H_l / sqrt(l!)",
            "n_samples": n_samples,
            "dim": d,
            "vectors": gs.iter().map(|g| (0..d).map(|k| g[k]).collect::<Vec<f64>>()).collect::<Vec<_>>(),
            "contractions": est.iter().map(|e| json!({"mean": rows(&e.mean), "std_error": rows(&e.std_error)})).collect::<Vec<_>>(),
        });
        std::fs::write(out, serde_json::to_string(&doc)?)
            .with_context(|| crate::io_context::cannot_write(out, ""))?;
    }
    let flops = 2.0 * (n_samples as usize * d * d * est.len()) as f64;
    let mut stdout = std::io::stdout().lock();
    if a.json {
        writeln!(
            stdout,
            "{}",
            json!({"order": order, "n_samples": n_samples, "dim": d, "vectors": est.len(), "wall_seconds": secs,
                   "effective_gflops": flops / secs / 1e9, "peak_rss_bytes": rss})
        )?;
    } else {
        writeln!(
            stdout,
            "order {}, {} samples, d = {d}, {} contraction(s): {:.2} s ({:.1} effective GFLOP/s), peak RSS {}",
            order,
            n_samples,
            est.len(),
            secs,
            flops / secs / 1e9,
            rss.map_or("unknown".to_owned(), |b| format!(
                "{:.1} MiB",
                b as f64 / 1048576.0
            ))
        )?;
    }
    Ok(())
}

/// Records the time of each stage a learner announces, and shows it.
pub struct StageTimer {
    stages: Vec<(String, f64)>,
    current: Option<(String, Instant)>,
    bar: Progress,
}

impl StageTimer {
    /// A timer showing `label` on the progress line.
    #[must_use]
    pub fn new(label: &str) -> Self {
        Self {
            stages: Vec::new(),
            current: None,
            bar: Progress::new(1, label),
        }
    }

    /// Ends the current stage and returns `(stage, seconds)` in order.
    #[must_use]
    pub fn finish(mut self) -> Vec<(String, f64)> {
        if let Some((name, t)) = self.current.take() {
            self.stages.push((name, t.elapsed().as_secs_f64()));
        }
        self.bar.finish();
        self.stages
    }
}

impl learners::Observer for StageTimer {
    fn stage(&mut self, name: &str) {
        if let Some((prev, t)) = self.current.take() {
            self.stages.push((prev, t.elapsed().as_secs_f64()));
        }
        self.bar.message(name.to_owned());
        self.current = Some((name.to_owned(), Instant::now()));
    }
}

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
    let data = data_source(
        a.teacher.as_deref(),
        a.samples,
        a.noise,
        Seed(a.data_seed),
        a.x.as_deref(),
        a.y.as_deref(),
    )?;
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
    let mut fitted =
        learners::inputs::fit_any_gaussian(learner.as_ref(), &capped, &mode, Seed(a.seed), par, &mut timer)?;
    learners::recovery::judge(&mut fitted.report, a.recovery_tol);
    let stages = timer.finish();
    let total = start.elapsed().as_secs_f64();
    write_any_model(&a.out, &fitted.model)?;
    if let Some(rp) = &a.report {
        let doc = json!({
            "learner": learner.name(),
            "samples": n,
            "dim": capped.dim(),
            "seed": a.seed,
            "report": fitted.report,
            "stages": stages.iter().map(|(s, t)| json!({"stage": s, "seconds": t})).collect::<Vec<_>>(),
            "total_seconds": total,
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
    if let Some(v) = fitted.report.metrics.get("validation_error") {
        writeln!(out, "validation relative error {}", fmt_sig(*v, 3))?;
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
            validation_error: fitted
                .report
                .metrics
                .get("validation_error")
                .copied()
                .unwrap_or(f64::NAN),
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
