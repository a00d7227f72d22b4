//! `relu-learn generate`: plant a teacher and write its samples.

use std::io::Write as _;

use anyhow::{Context, Result, bail};
use faer::{Col, Mat, Par};
use relu_net::{
    FAMILY_NAMES, Family, FamilyOptions, InputLaw, Planted, SampleSource, Seed, Signs, Variation,
};

use crate::cli::GenerateArgs;
use crate::model_io::write_model;
use crate::npy::{write_matrix_streaming, write_vector};
use crate::progress::Progress;

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

/// A planted teacher and its sample stream, as `generate` makes them (the
/// Python package's `relu_learn.generate` makes the same).
pub struct Planting {
    /// The family.
    pub family: Family,
    /// Its hidden units (the first layer's width for `deep`).
    pub hidden: usize,
    /// The teacher, for the inputs the stream draws.
    pub teacher: relu_net::Network,
    /// `a.samples` samples of the teacher, with `a.noise` label noise.
    pub source: Planted,
}

/// Plants the teacher of `a` and its sample stream (every argument but
/// `out` is read).
///
/// # Errors
/// Unknown family, invalid family options, too large a network.
pub fn plant(a: &GenerateArgs) -> Result<Planting> {
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
    let mut source = Planted::new(teacher.clone(), a.samples, a.noise, seed.derive("samples"))?;
    if let Some(law) = law {
        source = source.with_inputs(law)?;
    }
    Ok(Planting {
        family,
        hidden,
        teacher,
        source,
    })
}

/// `relu-learn generate`.
///
/// # Errors
/// Unknown family, invalid parameters, IO errors.
pub fn generate(a: &GenerateArgs, _par: Par) -> Result<()> {
    let Planting {
        family,
        hidden,
        teacher,
        source: src,
    } = plant(a)?;
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
