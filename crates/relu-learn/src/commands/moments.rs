//! `relu-learn moments`: Hermite moment estimates, sharded across processes and merged exactly.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use faer::{Col, Mat, Par};
use relu_net::{SampleSource, Seed};
use serde_json::json;

use super::peak_rss_bytes;
use crate::cli::MomentsArgs;
use crate::progress::Progress;

/// Largest order `moments` accepts (the variance of order-l estimates grows
/// like l!, and so does the sample size they need).
/// The largest moment order `moments` accepts.
pub const MAX_ORDER: usize = 40;

/// Checks a moment request: the order, the number of contraction vectors
/// and, once the data are known, `(n, d)`: at least two samples and a
/// statistic within memory limits. The messages name the CLI's flags, which
/// the Python package's `relu_learn.moments` shares as keyword arguments.
///
/// # Errors
/// The first check that fails, with what to change.
pub fn check_request(order: usize, vectors: usize, data: Option<(usize, usize)>) -> Result<()> {
    if !(2..=MAX_ORDER).contains(&order) {
        bail!("--order must be between 2 and {MAX_ORDER}, got {order}");
    }
    if order > 2 && vectors == 0 {
        bail!("--vectors must be at least 1 for order {order}");
    }
    let Some((n, d)) = data else { return Ok(()) };
    if n < 2 {
        bail!("moments need at least 2 samples (the standard errors need two), got {n}; supply more samples");
    }
    let entries = vectors.max(1) as u128 * (d as u128 * (d as u128 + 1) / 2);
    if entries > gaussian_moments::statistics::MAX_STATISTIC_LEN {
        bail!(
            "{vectors} contraction(s) of {d} × {d} matrices are too large ({entries} entries, limit {}): use fewer --vectors or fewer input dimensions",
            gaussian_moments::statistics::MAX_STATISTIC_LEN
        );
    }
    Ok(())
}

/// The unit vectors `g_1 … g_v ∈ ℝ^d` that `moments` contracts an order-l
/// tensor with (`T(g_j, …, g_j, ·, ·)`), drawn from `vector_seed`; none for
/// l = 2. The Python package's `relu_learn.moments` draws the same.
#[must_use]
pub fn contraction_vectors(order: usize, vectors: usize, d: usize, vector_seed: u64) -> Vec<Col<f64>> {
    if order == 2 {
        return Vec::new();
    }
    let g = relu_net::gaussian_matrix(vectors, d, Seed(vector_seed).derive("contraction-vectors"));
    (0..vectors)
        .map(|j| {
            let n = (0..d).map(|k| g[(j, k)].powi(2)).sum::<f64>().sqrt();
            Col::from_fn(d, |k| g[(j, k)] / n)
        })
        .collect()
}

/// `relu-learn moments`.
///
/// # Errors
/// Unreadable or invalid files, invalid order or vector count.
pub fn moments(a: &MomentsArgs, par: Par) -> Result<()> {
    use gaussian_moments::{Estimator, matrix_contractions};
    if !a.merge.is_empty() {
        return merge_moment_shards(a);
    }
    check_request(a.order, a.vectors, None)?;
    if a.data.teacher.is_none() && a.data.x.is_none() {
        bail!("give the samples: --teacher T.json, or --x X.npy --y Y.npy, or --merge shard files");
    }
    let start = Instant::now();
    let data = a.data.source()?;
    let d = data.dim();
    check_request(a.order, a.vectors, Some((data.len(), d)))?;
    let gs = contraction_vectors(a.order, a.vectors, d, a.vector_seed);
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
