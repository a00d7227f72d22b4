//! Reading and writing `relu-net/v1` model files.

use std::path::Path;

use anyhow::{Context, Result};
use relu_net::Network;

/// Reads and validates a model file.
///
/// # Errors
/// Missing file, invalid JSON, wrong format tag, inconsistent shapes or
/// non-finite weights; the message names the file.
pub fn read_model(path: &Path) -> Result<Network> {
    let text = std::fs::read_to_string(path)
        .with_context(|| crate::io_context::cannot_read(path, " the model file"))?;
    Network::from_json(&text).with_context(|| path.display().to_string())
}

/// Writes a model file.
///
/// # Errors
/// IO errors, with the file name.
pub fn write_model(path: &Path, net: &Network) -> Result<()> {
    std::fs::write(path, net.to_json())
        .with_context(|| crate::io_context::cannot_write(path, " the model file"))
}

/// Reads a model of any format (`relu-net/v1` or `kernel-model/v1`).
///
/// # Errors
/// Missing file, invalid JSON, unknown format, invalid contents; the
/// message names the file.
pub fn read_any_model(path: &Path) -> Result<learners::Model> {
    let text = std::fs::read_to_string(path)
        .with_context(|| crate::io_context::cannot_read(path, " the model file"))?;
    learners::Model::from_json(&text).with_context(|| path.display().to_string())
}

/// Writes a model of any format.
///
/// # Errors
/// IO errors, with the file name.
pub fn write_any_model(path: &Path, model: &learners::Model) -> Result<()> {
    std::fs::write(path, model.to_json())
        .with_context(|| crate::io_context::cannot_write(path, " the model file"))
}
