//! Step 7 of `narrow` (module docs): a search for the whole network inside the joint subspace V, for
//! when the moment-based discovery did not explain the labels.
//!
//! CDGKM's final step is a brute force over a net of networks whose units
//! lie in V. In dimension m ≤ 3 narrow runs it as an exhaustive search over
//! subsets of a net of directions; above, a net fine enough to
//! contain k directions is out of reach, and the pencil candidates need
//! linearly independent units, which V cannot hold when k > m (the
//! parity-of-signs family: 16 units, 8 directions up to sign, in a
//! 4-dimensional V, every Hermite degree below 4 vanishing). There the
//! search is run as what it is meant to be, a minimisation of the square
//! loss over networks with k units on `z = Vᵀx`: Adam with restarts
//! ([`crate::gd`]) on the projected rows, which in m dimensions is a small,
//! well-posed problem (Adam in ℝ^d fails on the same instance; in the
//! 4-dimensional V it reaches 10⁻¹¹ on 3 of 3 seeds). The best network is
//! lifted to ℝ^d (`W Vᵀ`) and polished there. This is a departure from the
//! papers: a local search replaces the net, so there is no guarantee, and
//! the report says when this step gave the answer (`subspace_search_used`).
//! It runs only when the validation error after the earlier steps is above
//! `search_above`.

use faer::{MatRef, Par};
use gaussian_moments::Projected;
use relu_net::{Network, SampleSource, Seed};

use crate::common::{Rows, lift, relative_error};
use crate::error::LearnError;
use crate::gd::GdParams;
use crate::polish::{PolishParams, polish_lm};
use crate::{Learner, Report};

/// What [`search`] needs.
pub(super) struct SearchParams<'a> {
    /// Hidden units of the searched networks.
    pub k: usize,
    /// Rows of the projected training set given to Adam.
    pub rows: usize,
    /// The polish in ℝ^d.
    pub polish: &'a PolishParams,
}

/// Step 7 (see the module docs): the best network with `k` units found by
/// Adam on the projected rows, lifted and polished, with its validation
/// error; `None` when Adam returned nothing usable.
pub(super) fn search(
    train: &Rows<'_>,
    val: &Rows<'_>,
    v: MatRef<'_, f64>,
    s: &SearchParams<'_>,
    seed: Seed,
    par: Par,
    report: &mut Report,
) -> Result<Option<(Network, f64)>, LearnError> {
    let gd = GdParams {
        hidden: Some(vec![s.k]),
        ..GdParams::default()
    }
    .validate()?;
    let projected = Projected::new(train, v)?;
    let rows = Rows::new(&projected, 0, s.rows.min(projected.len()));
    let fitted = gd.fit(&rows, seed.derive("narrow-subspace-search"), par)?;
    let Some(small) = fitted.network() else {
        return Ok(None);
    };
    let lifted = lift(small, v)?;
    let before = relative_error(&lifted, val, par)?;
    let (polished, pr) = polish_lm(&lifted, train, s.polish, par)?;
    let after = relative_error(&polished, val, par)?;
    report.notes.push(format!(
        "search in V (dimension {}): Adam with {} units on {} projected rows, validation error {before:.3e}; polished in ℝ^{} ({} iterations): {after:.3e}",
        v.ncols(),
        s.k,
        rows.len(),
        v.nrows(),
        pr.iters
    ));
    report
        .metrics
        .insert("search_in_v_validation_error".to_owned(), before.min(after));
    Ok(Some(if after <= before {
        (polished, after)
    } else {
        (lifted, before)
    }))
}
