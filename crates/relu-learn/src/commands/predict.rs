//! `relu-learn predict`: a model's outputs on inputs from a file.

use std::io::Write as _;

use anyhow::{Result, bail};
use faer::{Col, Par};

use crate::cli::PredictArgs;
use crate::model_io::read_any_model;
use crate::npy::{read_matrix, write_vector};

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
