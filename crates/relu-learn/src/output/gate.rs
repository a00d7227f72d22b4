//! How `reproduce --check` compares each column of a run with its
//! baseline: the [`Gate`]s and the comparison under one.

use serde_json::Value;

/// How `reproduce --check` compares a column with its baseline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gate {
    /// Equal: text exactly, numbers to 10⁻⁹ relative (labels, sizes,
    /// parameters).
    Equal,
    /// An error or another positive accuracy figure, compared on a log
    /// scale: a baseline at or below [`EXACT`] must stay there (lost
    /// exactness fails); otherwise the value must lie within this factor of
    /// the baseline either way.
    Error(f64),
    /// A fitted slope or exponent: within ± this of the baseline.
    Slope(f64),
    /// A rate, a fraction or a count: within ± this of the baseline.
    Rate(f64),
    /// Not compared: times, memory, anything that depends on the machine.
    Ignore,
}

/// The default [`Gate::Error`]: a factor 3.
pub const ERROR: Gate = Gate::Error(3.0);
/// The default [`Gate::Slope`]: ± 0.1.
pub const SLOPE: Gate = Gate::Slope(0.1);
/// Errors at or below this are exact up to rounding.
pub const EXACT: f64 = 1e-12;

/// `new` against the baseline `old` under `gate`; `None` when it passes,
/// else why not.
pub(super) fn compare_gated(gate: Gate, old: &Value, new: &Value) -> Option<String> {
    if let (Value::Array(a), Value::Array(b)) = (old, new) {
        if a.len() != b.len() {
            return Some(format!("length {} vs baseline {}", b.len(), a.len()));
        }
        return a.iter().zip(b).find_map(|(x, y)| compare_gated(gate, x, y));
    }
    let fail = || Some(format!("{new} vs baseline {old} ({gate:?})"));
    match gate {
        Gate::Ignore => None,
        Gate::Equal => match (old.as_f64(), new.as_f64()) {
            (Some(a), Some(b)) => ((a - b).abs() > 1e-9 * (1.0 + a.abs().max(b.abs())))
                .then(fail)
                .flatten(),
            _ => (old != new).then(fail).flatten(),
        },
        Gate::Error(factor) => match (old.as_f64(), new.as_f64()) {
            (None, None) => (old != new).then(fail).flatten(),
            (Some(a), Some(b)) => {
                let direction = if b.abs() < a.abs() { "better" } else { "worse" };
                let fail = || Some(format!("{new} vs baseline {old} ({gate:?}; {direction})"));
                let ok = if a.abs() <= EXACT {
                    b.abs() <= EXACT
                } else {
                    b.abs() <= EXACT && a.abs() <= EXACT * factor
                        || (b != 0.0
                            && a.signum() == b.signum()
                            && (b / a).abs().ln().abs() <= factor.ln() + 1e-12)
                };
                (!ok).then(fail).flatten()
            }
            _ => fail(),
        },
        Gate::Slope(tol) | Gate::Rate(tol) => match (old.as_f64(), new.as_f64()) {
            (None, None) => (old != new).then(fail).flatten(),
            (Some(a), Some(b)) => ((a - b).abs() > tol + 1e-12).then(fail).flatten(),
            _ => fail(),
        },
    }
}
