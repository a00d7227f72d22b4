//! A second fit on screened labels, when the first fit's residuals show
//! gross outliers and the fit was asked to be robust.
//!
//! The Huber refinement ([`crate::refine`]) resists outlying labels once
//! the fit is in the right basin, but the steps before it do not: a
//! moment estimate is a mean, and 1 % of labels at ±100 label standard
//! deviations moves `E[y S_2(x)]` by about one standard deviation of y —
//! enough to lose a unit (atv, d = 5, k = 3: test error 9·10⁻³ against
//! 1.5·10⁻⁶ on clean labels). Validation errors, which choose among
//! candidates, are dominated by the held-out outliers in the same way.
//!
//! So when `polish_params.huber` is set and the first fit's refinement
//! finds more than 0.1 % of its residuals beyond 5 robust standard
//! deviations (Gaussian noise leaves 6·10⁻⁷), the learner fits again on
//! the labels
//!
//! `y' = f̂(x) + clip(y − f̂(x), ±5 σ̂)`,   `σ̂ = 1.4826 · median |y − f̂(x)|`,
//!
//! with f̂ the first fit: a label the first fit explains is unchanged (to
//! within 5 σ̂, all of them but 6·10⁻⁷ under Gaussian noise), an outlier is
//! pulled to 5 σ̂ of the first fit. A first fit that the outliers spoilt
//! has a large σ̂, so the screen is repeated once with the second fit
//! (always on the original labels) when σ̂ fell by a tenth or more. The
//! screens and the rows pulled in are in the report. This screen is an addition to the papers,
//! whose guarantees assume clean (or sub-Gaussian) labels.

use faer::{Col, ColMut, MatMut, Par};
use relu_net::{Network, SampleSource};

use crate::error::LearnError;
use crate::{Fitted, Observer};

/// Residuals beyond this many robust standard deviations are pulled in.
pub const SCREEN_AT: f64 = 5.0;

/// Screens at most this many times (each a whole fit).
pub const SCREEN_ROUNDS: usize = 2;

/// Rows the robust scale is measured on.
const SCALE_ROWS: usize = 100_000;

/// The labels of `src` pulled to within `limit` of `net`'s predictions.
pub(crate) struct ScreenedLabels<'a> {
    src: &'a dyn SampleSource,
    net: &'a Network,
    limit: f64,
    exec: Option<(relu_net::view::Viewed<'a>, usize)>,
}

/// The name of the screening view in a job's views (its spec: `network`,
/// `limit`).
pub(crate) const SCREEN_VIEW: &str = "screen";

impl<'a> ScreenedLabels<'a> {
    /// The labels of `src` pulled to within `limit` of `net`'s predictions.
    pub(crate) fn new(src: &'a dyn SampleSource, net: &'a Network, limit: f64) -> Self {
        let exec = relu_net::view::viewed(src, || {
            relu_net::view::spec(
                SCREEN_VIEW,
                &serde_json::json!({ "network": crate::passes::net_value(net)?, "limit": limit }),
            )
        });
        Self {
            src,
            net,
            limit,
            exec,
        }
    }
}

impl SampleSource for ScreenedLabels<'_> {
    fn note_pass(&self, name: &'static str) {
        self.src.note_pass(name);
    }
    fn executor(&self) -> Option<(&dyn relu_net::Executor, usize)> {
        relu_net::view::executor_of(&self.exec)
    }
    fn dim(&self) -> usize {
        self.src.dim()
    }
    fn len(&self) -> usize {
        self.src.len()
    }
    fn chunk(&self, start: usize, mut x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        self.src.chunk(start, x.as_mut(), y.as_mut());
        let mut f = Col::zeros(y.nrows());
        relu_net::Predictor::predict_into(self.net, x.as_ref(), f.as_mut(), Par::Seq);
        for i in 0..y.nrows() {
            y[i] = f[i] + (y[i] - f[i]).clamp(-self.limit, self.limit);
        }
    }
}

/// Fits with `fit_once`, and again on labels screened by the latest fit
/// when `huber` is set and the first fit's refinement saw more than 0.1 %
/// outliers (see the module docs): at most [`SCREEN_ROUNDS`] times, while
/// the robust scale of the residuals falls by a tenth or more.
///
/// # Errors
/// The fits' errors.
pub(crate) fn fit(
    src: &dyn SampleSource,
    huber: Option<f64>,
    par: Par,
    observer: &mut dyn Observer,
    mut fit_once: impl FnMut(&dyn SampleSource, &mut dyn Observer) -> Result<Fitted, LearnError>,
) -> Result<Fitted, LearnError> {
    let first = fit_once(src, observer)?;
    let outliers = first
        .report
        .refine
        .as_ref()
        .is_some_and(|r| r.refine.outlier_fraction > crate::refine::OUTLIER_WARNING);
    if huber.is_none() || !outliers {
        return Ok(first);
    }
    let first_error = first.report.validation_error.unwrap_or(f64::NAN);
    let mut current = first;
    let mut notes = Vec::new();
    let mut last_sigma = f64::INFINITY;
    for round in 1..=SCREEN_ROUNDS {
        let Some(net) = current.model.network().cloned() else {
            break;
        };
        let m = src.len().min(SCALE_ROWS);
        let (sigma, fraction) = crate::refine::robust_scale(&net, src, m, par);
        let pulled = (fraction * m as f64).round() as usize;
        let limit = SCREEN_AT * sigma;
        // A zero or non-finite scale (the fit interpolates) screens
        // nothing; a scale that no longer falls has found the noise.
        if limit.is_nan() || limit <= 0.0 || sigma > 0.9 * last_sigma {
            break;
        }
        notes.push(format!(
            "labels screened for outliers (round {round}): {pulled} of the first {m} residuals of the fit lie beyond {SCREEN_AT} robust standard deviations ({sigma:.3e} each); those labels were pulled to within {limit:.3e} of it and the learner fitted again"
        ));
        let screened = ScreenedLabels::new(src, &net, limit);
        let mut next = fit_once(&screened, observer)?;
        next.report.notes.extend(notes.iter().cloned());
        let metrics = &mut next.report.metrics;
        metrics.insert("screened_fraction".to_owned(), pulled as f64 / m.max(1) as f64);
        metrics.insert("screen_rounds".to_owned(), round as f64);
        metrics.insert("first_fit_validation_error".to_owned(), first_error);
        last_sigma = sigma;
        current = next;
    }
    Ok(current)
}
