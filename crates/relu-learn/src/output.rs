//! Tables of experiment results and their Markdown, CSV and JSON forms.
//!
//! A suite produces [`Table`]s: what a reader sees (headers and formatted
//! cells, for Markdown) and what a program reads (flat records of named
//! numbers, for CSV and JSON). Machine-readable values keep full
//! precision; Markdown cells are rounded for reading.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::provenance::Provenance;

/// One record: named values in column order.
pub type Record = Vec<(String, Value)>;

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

/// One column of a [`Table`]: its Markdown header, its key in the records
/// (CSV, JSON, the baseline) and how the gate compares it. A column may be
/// shown only (a verdict in words) or recorded only (a figure the Markdown
/// leaves out).
#[derive(Clone, Debug)]
pub struct Column {
    /// Markdown header; `None`: recorded only.
    pub header: Option<Cow<'static, str>>,
    /// Record key; `None`: shown only.
    pub key: Option<Cow<'static, str>>,
    /// How `reproduce --check` compares it.
    pub gate: Gate,
}

/// A [`Column`] in one line: shown under `header`, recorded as `key`.
#[must_use]
pub const fn col(header: &'static str, key: &'static str, gate: Gate) -> Column {
    Column {
        header: Some(Cow::Borrowed(header)),
        key: Some(Cow::Borrowed(key)),
        gate,
    }
}

/// A [`Column`] whose header or key are computed (one column per sample
/// size, say).
#[must_use]
pub fn col_owned(header: impl Into<String>, key: impl Into<String>, gate: Gate) -> Column {
    Column {
        header: Some(Cow::Owned(header.into())),
        key: Some(Cow::Owned(key.into())),
        gate,
    }
}

/// A column shown in the Markdown only.
#[must_use]
pub const fn shown(header: &'static str) -> Column {
    Column {
        header: Some(Cow::Borrowed(header)),
        key: None,
        gate: Gate::Ignore,
    }
}

/// A column shown in the Markdown only, under a computed header.
#[must_use]
pub fn shown_owned(header: impl Into<String>) -> Column {
    Column {
        header: Some(Cow::Owned(header.into())),
        key: None,
        gate: Gate::Ignore,
    }
}

/// A column in the records only.
#[must_use]
pub const fn recorded(key: &'static str, gate: Gate) -> Column {
    Column {
        header: None,
        key: Some(Cow::Borrowed(key)),
        gate,
    }
}

/// One cell: its machine-readable value and the text a reader sees.
#[derive(Clone, Debug)]
pub struct Cell {
    value: Value,
    shown: String,
}

impl Cell {
    /// A text cell.
    #[must_use]
    pub fn text(s: impl Into<String>) -> Self {
        let s = s.into();
        Self {
            value: json!(s),
            shown: s,
        }
    }
    /// A whole number.
    #[must_use]
    pub fn int<T: Into<Value> + std::fmt::Display>(n: T) -> Self {
        Self {
            shown: n.to_string(),
            value: n.into(),
        }
    }
    /// A number shown to `digits` significant digits (`null`/"–" when not
    /// finite).
    #[must_use]
    pub fn sig(x: f64, digits: usize) -> Self {
        Self {
            value: num(x),
            shown: if x.is_finite() {
                fmt_sig(x, digits)
            } else {
                "–".to_owned()
            },
        }
    }
    /// An error or another figure shown to two significant digits, "–" when
    /// not finite (a failed fit).
    #[must_use]
    pub fn err(x: f64) -> Self {
        Self::sig(x, 2)
    }
    /// Seconds, shown with two decimals.
    #[must_use]
    pub fn secs(x: f64) -> Self {
        Self::fixed(x, 2)
    }
    /// A number shown with `decimals` decimals.
    #[must_use]
    pub fn fixed(x: f64, decimals: usize) -> Self {
        Self {
            value: num(x),
            shown: format!("{x:.decimals$}"),
        }
    }
    /// Any value, shown as `shown`.
    #[must_use]
    pub fn shown(value: Value, shown: impl Into<String>) -> Self {
        Self {
            value,
            shown: shown.into(),
        }
    }
}

/// A results table, built column by column ([`Table::new`], [`Table::push`]):
/// every column states its header, its record key and its gate in one place.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// File-name stem (kebab-case).
    pub name: String,
    /// Title shown above the table.
    pub title: String,
    /// Markdown headers.
    headers: Vec<String>,
    /// Markdown rows (formatted cells).
    rows: Vec<Vec<String>>,
    /// Machine-readable records, one per row.
    records: Vec<Record>,
    /// The gate of each record key.
    gates: Vec<(String, Gate)>,
    /// The columns.
    columns: Vec<Column>,
}

impl Table {
    /// An empty table with these columns.
    #[must_use]
    pub fn new(name: impl Into<String>, title: impl Into<String>, columns: &[Column]) -> Self {
        Self {
            name: name.into(),
            title: title.into(),
            headers: columns
                .iter()
                .filter_map(|c| c.header.as_ref().map(|h| h.to_string()))
                .collect(),
            rows: Vec::new(),
            records: Vec::new(),
            gates: columns
                .iter()
                .filter_map(|c| c.key.as_ref().map(|k| (k.to_string(), c.gate)))
                .collect(),
            columns: columns.to_vec(),
        }
    }

    /// Appends a row, one cell per column in order.
    ///
    /// # Panics
    /// When the number of cells differs from the number of columns (a bug
    /// in the suite, caught by its tests).
    pub fn push(&mut self, cells: Vec<Cell>) {
        assert_eq!(
            cells.len(),
            self.columns.len(),
            "table {}: {} cells for {} columns",
            self.name,
            cells.len(),
            self.columns.len()
        );
        self.rows.push(
            self.columns
                .iter()
                .zip(&cells)
                .filter(|(c, _)| c.header.is_some())
                .map(|(_, cell)| cell.shown.clone())
                .collect(),
        );
        self.records.push(
            self.columns
                .iter()
                .zip(cells)
                .filter_map(|(c, cell)| c.key.as_ref().map(|k| (k.to_string(), cell.value)))
                .collect(),
        );
    }

    /// The Markdown headers.
    #[must_use]
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The Markdown rows (formatted cells).
    #[must_use]
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// The machine-readable records, one per row.
    #[must_use]
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The gate of record key `key`, if the table states it.
    fn gate(&self, key: &str) -> Option<Gate> {
        self.gates.iter().find(|(k, _)| k == key).map(|(_, g)| *g)
    }

    /// The table in GitHub-flavoured Markdown.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "| {} |", self.headers.join(" | "));
        let _ = writeln!(s, "|{}", "---|".repeat(self.headers.len()));
        for row in &self.rows {
            let _ = writeln!(s, "| {} |", row.join(" | "));
        }
        s
    }

    /// The records as CSV (header from the first record's keys).
    #[must_use]
    pub fn to_csv(&self) -> String {
        let mut s = String::new();
        let Some(first) = self.records.first() else {
            return s;
        };
        let keys: Vec<&str> = first.iter().map(|(k, _)| k.as_str()).collect();
        let _ = writeln!(s, "{}", keys.join(","));
        for rec in &self.records {
            let cells: Vec<String> = rec
                .iter()
                .map(|(_, v)| match v {
                    Value::String(t) if t.contains([',', '"', '\n']) => {
                        format!("\"{}\"", t.replace('"', "\"\""))
                    }
                    Value::String(t) => t.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect();
            let _ = writeln!(s, "{}", cells.join(","));
        }
        s
    }

    /// The records as a JSON array of objects.
    #[must_use]
    pub fn records_json(&self) -> Value {
        Value::Array(
            self.records
                .iter()
                .map(|r| Value::Object(r.iter().cloned().collect()))
                .collect(),
        )
    }
}

/// Everything a suite produced.
#[derive(Clone, Debug, Default)]
pub struct SuiteOutput {
    /// The suite's name.
    pub suite: String,
    /// A one-line title.
    pub title: String,
    /// What the suite measures and how to read it (Markdown).
    pub description: String,
    /// The suite's parameters (sizes, seeds), for the JSON record.
    pub params: Value,
    /// Result tables.
    pub tables: Vec<Table>,
    /// Observations printed under the tables (Markdown).
    pub notes: Vec<String>,
    /// Figures: (name, caption, SVG document), written as
    /// `<suite>-<name>.svg` next to the Markdown report and linked from it.
    pub figures: Vec<(String, String, String)>,
}

impl SuiteOutput {
    /// The full Markdown report (deterministic: no times, no revision).
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut s = format!(
            "# {}: {}\n\n{}\n",
            self.suite,
            self.title,
            self.description.trim_end()
        );
        for t in &self.tables {
            let _ = write!(s, "\n## {}\n\n{}", t.title, t.to_markdown());
        }
        if !self.notes.is_empty() {
            s.push('\n');
            for n in &self.notes {
                let _ = writeln!(s, "- {n}");
            }
        }
        for (name, caption, _) in &self.figures {
            let _ = write!(s, "\n![{caption}]({}-{name}.svg)\n", self.suite);
        }
        s
    }

    fn write_figures(&self, dir: &Path) -> Result<()> {
        for (name, _, svg) in &self.figures {
            let p = dir.join(format!("{}-{name}.svg", self.suite));
            std::fs::write(&p, svg).with_context(|| crate::io_context::cannot_write(&p, ""))?;
        }
        Ok(())
    }

    /// Writes `<dir>/<suite>/{report.md, <table>.csv, results.json}` and
    /// returns the suite's directory.
    ///
    /// # Errors
    /// IO errors, with the file name.
    pub fn write(&self, dir: &Path, provenance: &Provenance, wall_seconds: f64) -> Result<PathBuf> {
        let out = dir.join(&self.suite);
        std::fs::create_dir_all(&out).with_context(|| crate::io_context::cannot_create_dir(&out))?;
        let write = |name: &str, text: &str| {
            let p = out.join(name);
            std::fs::write(&p, text).with_context(|| crate::io_context::cannot_write(&p, ""))
        };
        write("report.md", &self.to_markdown())?;
        self.write_figures(&out)?;
        for t in &self.tables {
            write(&format!("{}.csv", t.name), &t.to_csv())?;
        }
        let json = json!({
            "suite": self.suite,
            "title": self.title,
            "provenance": provenance,
            "wall_seconds": wall_seconds,
            "params": self.params,
            "tables": self.tables.iter().map(|t| json!({"name": t.name, "title": t.title, "records": t.records_json()})).collect::<Vec<_>>(),
            "notes": self.notes,
        });
        write(
            "results.json",
            &serde_json::to_string_pretty(&json).context("serialising results")?,
        )?;
        Ok(out)
    }

    /// Writes the generated docs page `<docs>/<suite>.md`.
    ///
    /// # Errors
    /// IO errors, with the file name.
    pub fn write_docs(&self, docs: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(docs).with_context(|| crate::io_context::cannot_create_dir(docs))?;
        let p = docs.join(format!("{}.md", self.suite));
        let text = format!(
            "<!-- GENERATED by `cargo xtask reproduce {}` (quick size); do not edit by hand. -->\n\n{}",
            self.suite,
            self.to_markdown()
        );
        std::fs::write(&p, text).with_context(|| crate::io_context::cannot_write(&p, ""))?;
        self.write_figures(docs)?;
        let baseline = docs.join(format!("{}.json", self.suite));
        std::fs::write(&baseline, serde_json::to_string_pretty(&self.baseline_json())?)
            .with_context(|| crate::io_context::cannot_write(&baseline, ""))?;
        Ok(p)
    }

    /// The records of every table: the baseline `reproduce --check`
    /// compares against (`docs/results/<suite>.json`).
    #[must_use]
    pub fn baseline_json(&self) -> Value {
        json!({
            "suite": self.suite,
            "tables": self.tables.iter().map(|t| json!({"name": t.name, "records": t.records_json()})).collect::<Vec<_>>(),
        })
    }

    /// Differences between this run and a baseline of
    /// [`SuiteOutput::baseline_json`], each record value compared under its
    /// column's [`Gate`] (errors on a log scale with exactness kept, slopes
    /// and rates within a stated margin, times ignored, everything else
    /// equal).
    #[must_use]
    pub fn check_against(&self, baseline: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let new = self.baseline_json();
        let (Some(old_tables), Some(new_tables)) = (baseline["tables"].as_array(), new["tables"].as_array())
        else {
            return vec![format!("{}: the baseline has no tables", self.suite)];
        };
        for nt in new_tables {
            let name = nt["name"].as_str().unwrap_or("");
            let Some(ot) = old_tables.iter().find(|t| t["name"] == nt["name"]) else {
                out.push(format!("{}/{name}: table missing from the baseline", self.suite));
                continue;
            };
            let (o, n) = (ot["records"].as_array(), nt["records"].as_array());
            let (Some(o), Some(n)) = (o, n) else { continue };
            if o.len() != n.len() {
                out.push(format!(
                    "{}/{name}: {} rows, baseline {}",
                    self.suite,
                    n.len(),
                    o.len()
                ));
                continue;
            }
            let table = self.tables.iter().find(|t| t.name == name);
            for (i, (ro, rn)) in o.iter().zip(n).enumerate() {
                let Some(fields) = rn.as_object() else { continue };
                for (k, vn) in fields {
                    let vo = &ro[k];
                    // A key without a stated gate must be equal.
                    let gate = table.and_then(|t| t.gate(k)).unwrap_or(Gate::Equal);
                    let why = compare_gated(gate, vo, vn);
                    if let Some(why) = why {
                        out.push(format!("{}/{name} row {i} `{k}`: {why}", self.suite));
                    }
                }
            }
        }
        out
    }
}

/// `new` against the baseline `old` under `gate`; `None` when it passes,
/// else why not.
fn compare_gated(gate: Gate, old: &Value, new: &Value) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn gated(values: &[(&str, Value)], gates: &[Column]) -> SuiteOutput {
        let mut t = Table::new("t", "T", gates);
        t.push(values.iter().map(|(_, v)| Cell::shown(v.clone(), "")).collect());
        SuiteOutput {
            suite: "s".into(),
            tables: vec![t],
            ..SuiteOutput::default()
        }
    }

    /// The two degradations the gate exists for: a rate that falls from
    /// n^−1.03 to n^−0.11, and exact recovery that falls from 1e-23 to 1e-9;
    /// a time that doubles and an error within the factor pass.
    #[test]
    fn the_gate_fails_on_a_degraded_rate_and_on_lost_exactness() {
        let cols = [
            col("learner", "learner", Gate::Equal),
            col("slope", "slope", SLOPE),
            col("error", "error", ERROR),
            col("s", "seconds", Gate::Ignore),
        ];
        let run = |slope: f64, err: f64, secs: f64| {
            gated(
                &[
                    ("learner", json!("atv")),
                    ("slope", json!(slope)),
                    ("error", json!(err)),
                    ("seconds", json!(secs)),
                ],
                &cols,
            )
        };
        let base = run(-1.03, 1e-23, 1.0).baseline_json();
        assert!(run(-1.03, 1e-23, 2.0).check_against(&base).is_empty());
        assert!(run(-0.98, 3e-20, 1.0).check_against(&base).is_empty());
        let rate = run(-0.11, 1e-23, 1.0).check_against(&base);
        assert_eq!(rate.len(), 1, "{rate:?}");
        assert!(rate[0].contains("slope"), "{rate:?}");
        let exact = run(-1.03, 1e-9, 1.0).check_against(&base);
        assert_eq!(exact.len(), 1, "{exact:?}");
        assert!(exact[0].contains("error"), "{exact:?}");
        // Above exactness: within a factor 3 either way.
        let base = run(-1.0, 1e-3, 1.0).baseline_json();
        assert!(run(-1.0, 2.9e-3, 1.0).check_against(&base).is_empty());
        assert!(run(-1.0, 3.5e-4, 1.0).check_against(&base).is_empty());
        assert_eq!(run(-1.0, 3.1e-3, 1.0).check_against(&base).len(), 1);
        // A failed fit (null) that now returns a number moved: the baseline
        // must be refreshed on purpose.
        assert_eq!(
            run(-1.0, 1e-3, 1.0)
                .check_against(&run(-1.0, f64::NAN, 1.0).baseline_json())
                .len(),
            1
        );
    }

    #[test]
    fn formats_significant_digits() {
        assert_eq!(fmt_sig(1.23456, 3), "1.23");
        assert_eq!(fmt_sig(0.0012345, 3), "0.00123");
        assert_eq!(fmt_sig(123456.0, 3), "1.23e5");
        assert_eq!(fmt_sig(-0.0, 3), "0");
        assert_eq!(fmt_sig(-1e-9, 2), "-1.0e-9");
        assert_eq!(fmt_sig(f64::INFINITY, 2), "inf");
    }

    #[test]
    fn renders_markdown_and_csv() {
        let mut t = Table::new(
            "t",
            "T",
            &[
                col("a", "a", Gate::Equal),
                col("b", "b", Gate::Equal),
                shown("c"),
                recorded("d", Gate::Ignore),
            ],
        );
        t.push(vec![
            Cell::shown(json!(1.5), "1"),
            Cell::text("x,y"),
            Cell::text("only shown"),
            Cell::secs(2.0),
        ]);
        assert_eq!(
            t.to_markdown(),
            "| a | b | c |\n|---|---|---|\n| 1 | x,y | only shown |\n"
        );
        assert_eq!(t.to_csv(), "a,b,d\n1.5,\"x,y\",2.0\n");
    }
}
