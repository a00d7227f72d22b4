//! Whether a larger network pays for its units: the paired comparison of
//! two fits on the validation rows.
//!
//! The residual steps (atv step 8, narrow step 6) and atv's extended k fit
//! a network with more units and must decide whether to keep it. "The
//! validation error halves" is the right rule without label noise and the
//! wrong one with it: the validation error is `σ² + excess`, and a missed
//! unit whose excess equals the noise σ² can never halve it (seen on a
//! generic d = 40, k = 16 teacher with σ = 0.1: the unit was found and
//! dropped, and the fit stayed 10³ times above the statistical limit).
//!
//! So the comparison is on the *excess*: with `floor` an estimate of σ²
//! (the larger network's training loss, which is below σ² by about
//! `σ² p / m` on m rows, never above it), the larger network is kept when
//!
//! `mse_new − floor ≤ ½ (mse_old − floor)`
//!
//! and the gain is real: the mean of the paired differences
//! `d_i = (y_i − f_old(x_i))² − (y_i − f_new(x_i))²` over the validation
//! rows is at least [`Z_KEEP`] standard errors above zero. Without noise
//! the floor is about 0 and the first condition is the old halving rule.

use std::borrow::Cow;

use faer::{Col, ColRef, MatRef, Par};
use relu_net::{Network, SampleSource};
use serde::{Deserialize, Serialize};

use crate::common::CHUNK_ROWS;
use crate::error::LearnError;

/// Standard errors the paired gain must exceed.
pub const Z_KEEP: f64 = 4.0;

/// The sums of a paired comparison.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct PairedSums {
    n: u64,
    old: f64,
    new: f64,
    d: f64,
    d2: f64,
}

/// The pass of [`compare`] (`paired-errors`).
pub(crate) struct PairedPass<'a> {
    pub(crate) old: Cow<'a, Network>,
    pub(crate) new: Cow<'a, Network>,
}

impl relu_net::Pass for PairedPass<'_> {
    type Acc = PairedSums;
    fn name(&self) -> &'static str {
        "paired-errors"
    }
    fn chunk_rows(&self) -> usize {
        CHUNK_ROWS
    }
    fn init(&self) -> PairedSums {
        PairedSums::default()
    }
    fn fold(&self, acc: &mut PairedSums, x: MatRef<'_, f64>, y: ColRef<'_, f64>) {
        let m = x.nrows();
        let (mut fo, mut fn_) = (Col::zeros(m), Col::zeros(m));
        relu_net::Predictor::predict_into(self.old.as_ref(), x, fo.as_mut(), Par::Seq);
        relu_net::Predictor::predict_into(self.new.as_ref(), x, fn_.as_mut(), Par::Seq);
        for i in 0..m {
            let (eo, en) = ((y[i] - fo[i]).powi(2), (y[i] - fn_[i]).powi(2));
            acc.n += 1;
            acc.old += eo;
            acc.new += en;
            acc.d += eo - en;
            acc.d2 += (eo - en).powi(2);
        }
    }
    fn merge(&self, a: &mut PairedSums, b: PairedSums) {
        a.n += b.n;
        a.old += b.old;
        a.new += b.new;
        a.d += b.d;
        a.d2 += b.d2;
    }
    fn spec(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({
            "old": crate::passes::net_value(&self.old)?,
            "new": crate::passes::net_value(&self.new)?,
        }))
    }
    fn decode(&self, text: &str) -> Result<relu_net::ChunkTree<PairedSums>, relu_net::NetError> {
        relu_net::pass::decode_tree(self.name(), text)
    }
}

/// The outcome of [`compare`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    /// Whether the larger network is kept (see the module docs).
    pub keep: bool,
    /// Validation MSE of the smaller network.
    pub old_mse: f64,
    /// Validation MSE of the larger one.
    pub new_mse: f64,
    /// The noise floor used, `min(floor, new_mse)`.
    pub floor: f64,
    /// The paired gain in standard errors.
    pub z: f64,
}

impl Verdict {
    /// One line for the report's notes.
    #[must_use]
    pub fn describe(&self) -> String {
        format!(
            "validation MSE {:.3e} -> {:.3e} above a noise floor {:.3e}, gain {:.1} standard errors",
            self.old_mse, self.new_mse, self.floor, self.z
        )
    }
}

/// Compares `old` with the larger `new` on the validation rows `val`, with
/// `floor` the larger network's training loss (see the module docs).
///
/// # Errors
/// [`LearnError::Net`] when a pass failed.
pub fn compare(
    old: &Network,
    new: &Network,
    val: &dyn SampleSource,
    floor: f64,
    par: Par,
) -> Result<Verdict, LearnError> {
    let pass = PairedPass {
        old: Cow::Borrowed(old),
        new: Cow::Borrowed(new),
    };
    let s = relu_net::pass::run(val, &pass, par)?;
    let n = s.n.max(1) as f64;
    let (old_mse, new_mse) = (s.old / n, s.new / n);
    let mean = s.d / n;
    let var = (s.d2 / n - mean * mean).max(0.0);
    let se = (var / n).sqrt();
    let z = if se > 0.0 {
        mean / se
    } else if mean > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    let floor = floor.clamp(0.0, new_mse);
    let halves = new_mse - floor <= 0.5 * (old_mse - floor);
    Ok(Verdict {
        keep: halves && z >= Z_KEEP && new_mse < old_mse,
        old_mse,
        new_mse,
        floor,
        z,
    })
}
