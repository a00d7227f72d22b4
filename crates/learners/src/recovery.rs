//! Whether a fit recovered a network: the one judgement every learner's
//! result goes through before it reaches the user.
//!
//! A fit is judged by its relative held-out error
//! `E_val = mean((f̂ − y)²) / Var(y)` (the report's `validation_error`).
//! Without knowing the label noise nothing can tell a wrong network from
//! noisy labels, so the rule is stated in terms of explained variance: a
//! fit that leaves more than `tol` of the held-out label variance
//! unexplained is marked `recovered: false` with a warning. The default
//! [`RECOVERY_TOL`] = 0.05 flags, for example, a network with one unit of
//! four found (relative error 0.2 and more) while accepting every proper
//! recovery up to label noise of 20 % of the label standard deviation;
//! users with noisier labels raise it.

use crate::Report;

/// Default tolerance on the relative validation error.
pub const RECOVERY_TOL: f64 = 0.05;

/// Sets `report.recovered` from the relative validation error and `tol`,
/// adding a warning when the fit did not recover a network. A report
/// without `validation_error` is left unjudged (`None`), and a learner's
/// own `recovered: false` stands.
pub fn judge(report: &mut Report, tol: f64) {
    let Some(err) = report.validation_error else {
        return;
    };
    let ok = err.is_finite() && err <= tol;
    if report.recovered == Some(false) {
        return;
    }
    report.recovered = Some(ok);
    if !ok {
        report.warnings.push(format!(
            "the fit did not recover a network: validation error {err:.3e} (relative to the label variance) is above the tolerance {tol}; see the report's notes, supply more samples, or raise the tolerance if the labels are that noisy"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judge_marks_fits_by_their_validation_error() {
        let mut r = Report::default();
        judge(&mut r, RECOVERY_TOL);
        assert_eq!(r.recovered, None);
        r.validation_error = Some(1e-9);
        judge(&mut r, RECOVERY_TOL);
        assert_eq!(r.recovered, Some(true));
        assert!(r.warnings.is_empty());
        r.validation_error = Some(0.23);
        judge(&mut r, RECOVERY_TOL);
        assert_eq!(r.recovered, Some(false));
        assert!(r.warnings[0].contains("did not recover") && r.warnings[0].contains("2.300e-1"));
        let mut nan = Report {
            validation_error: Some(f64::NAN),
            ..Report::default()
        };
        judge(&mut nan, RECOVERY_TOL);
        assert_eq!(nan.recovered, Some(false));
    }
}
