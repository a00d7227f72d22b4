//! Number formatting shared by the tables: significant digits, "–" for
//! failed fits, `null` for non-finite JSON numbers.

use serde_json::{Value, json};

/// A table cell: `x` to two significant digits, or "–" when it is not
/// finite (a failed fit).
#[must_use]
pub fn dash(x: f64) -> String {
    if x.is_finite() {
        fmt_sig(x, 2)
    } else {
        "–".to_owned()
    }
}

/// A JSON number, or `null` when `x` is not finite.
#[must_use]
pub fn num(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

/// Formats `x` with `sig` significant digits, in plain or scientific
/// notation as fits, normalising `-0` to `0`.
#[must_use]
pub fn fmt_sig(x: f64, sig: usize) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let exp = x.abs().log10().floor() as i32;
    if (-3..5).contains(&exp) {
        let decimals = (sig as i32 - 1 - exp).max(0) as usize;
        let s = format!("{x:.decimals$}");
        if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
            "0".to_owned()
        } else {
            s
        }
    } else {
        format!("{:.*e}", sig.saturating_sub(1), x)
    }
}
