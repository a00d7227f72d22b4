//! The subcommands, one file each: `generate`, `fit`, `eval`, `predict`,
//! `moments`, `reproduce`, `regions`, `hard`, and what
//! they share: reading samples from files or a teacher stream, the peak
//! memory probe.

use std::path::Path;

use anyhow::{Context, Result, bail};
use faer::{Col, Mat};
use relu_net::{InMemory, Planted, SampleSource, Seed};
use serde_json::json;

use crate::model_io::read_model;
use crate::npy::{read_matrix, read_vector};

mod eval;
mod fit;
mod generate;
mod hard;
mod moments;
mod predict;
mod regions;
mod reproduce;

pub use eval::{eval, evaluate_against_teacher, evaluate_on_data};
pub use fit::{NotRecovered, fit, make_learner};
pub use generate::{Planting, generate, plant};
pub use hard::hard;
pub use moments::{MAX_ORDER, check_request as check_moment_request, contraction_vectors, moments};
pub use predict::predict;
pub use regions::regions;
pub use reproduce::reproduce;

/// JSON has no infinity: write it as null.
pub(crate) fn json_num(x: f64) -> serde_json::Value {
    if x.is_finite() {
        json!(x)
    } else {
        serde_json::Value::Null
    }
}

/// Reads `--x` and `--y` and checks that they have as many rows.
pub(crate) fn read_xy(xp: &Path, yp: &Path) -> Result<(Mat<f64>, Col<f64>)> {
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

impl crate::cli::SampleArgs {
    /// Samples from `--teacher` (streamed, `--samples` of them with label
    /// noise `--noise`, drawn with `--data-seed`) or from the `--x` / `--y`
    /// files (checked to have equal numbers of rows).
    pub(crate) fn source(&self) -> Result<Box<dyn SampleSource>> {
        if let Some(tp) = &self.teacher {
            return Ok(Box::new(Planted::new(
                read_model(tp)?,
                self.samples,
                self.noise,
                Seed(self.data_seed),
            )?));
        }
        let (xp, yp) = (
            self.x.as_deref().context("--x is required")?,
            self.y.as_deref().context("--y is required")?,
        );
        let (x, y) = read_xy(xp, yp)?;
        Ok(Box::new(InMemory::new(x, y)?))
    }
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`), if known.
#[must_use]
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
