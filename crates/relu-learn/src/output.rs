//! Tables of experiment results and their Markdown, CSV and JSON forms.
//!
//! A suite produces [`Table`]s: what a reader sees (headers and formatted
//! cells, for Markdown) and what a program reads (flat records of named
//! numbers, for CSV and JSON). Machine-readable values keep full
//! precision; Markdown cells are rounded for reading.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::provenance::Provenance;

/// One record: named values in column order.
pub type Record = Vec<(String, Value)>;

/// A results table.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// File-name stem (kebab-case).
    pub name: String,
    /// Title shown above the table.
    pub title: String,
    /// Markdown headers.
    pub headers: Vec<String>,
    /// Markdown rows (formatted cells).
    pub rows: Vec<Vec<String>>,
    /// Machine-readable records, one per row.
    pub records: Vec<Record>,
}

impl Table {
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
    /// [`SuiteOutput::baseline_json`], accuracy figures only: keys naming a
    /// time (`seconds`, `time`) are skipped; keys naming an error, a loss,
    /// an angle or a count of successes allow a factor 10 (both below 1e-8
    /// count as equal: rounding); every other value must be equal (to 1e-9
    /// relative for numbers).
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
            for (i, (ro, rn)) in o.iter().zip(n).enumerate() {
                let Some(fields) = rn.as_object() else { continue };
                for (k, vn) in fields {
                    let vo = &ro[k];
                    if let Some(why) = compare_value(k, vo, vn) {
                        out.push(format!("{}/{name} row {i} `{k}`: {why}", self.suite));
                    }
                }
            }
        }
        out
    }
}

fn compare_value(key: &str, old: &Value, new: &Value) -> Option<String> {
    let k = key.to_lowercase();
    if k.contains("second") || k.contains("time") {
        return None;
    }
    let loose = [
        "error", "loss", "sin", "theta", "success", "slope", "norm", "ks_", "count",
    ]
    .iter()
    .any(|w| k.contains(w));
    match (old, new) {
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Some(format!("length {} vs baseline {}", b.len(), a.len()));
            }
            a.iter().zip(b).find_map(|(x, y)| compare_value(key, x, y))
        }
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64()?, b.as_f64()?);
            let same = if loose {
                (a.abs() <= 1e-8 && b.abs() <= 1e-8)
                    || (a != 0.0
                        && b != 0.0
                        && a.signum() == b.signum()
                        && (b / a).abs().log10().abs() <= 1.0)
                    || (a - b).abs() <= 1e-8
            } else {
                (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
            };
            (!same).then(|| format!("{b} vs baseline {a}"))
        }
        (a, b) if a == b => None,
        (a, b) => Some(format!("{b} vs baseline {a}")),
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

    fn suite(err: f64, secs: f64, learner: &str) -> SuiteOutput {
        SuiteOutput {
            suite: "s".into(),
            tables: vec![Table {
                name: "t".into(),
                records: vec![vec![
                    ("learner".into(), json!(learner)),
                    ("relative_error".into(), json!(err)),
                    ("seconds".into(), json!(secs)),
                    ("n".into(), json!(1000)),
                ]],
                ..Table::default()
            }],
            ..SuiteOutput::default()
        }
    }

    #[test]
    fn the_check_ignores_time_and_allows_a_factor_ten_on_errors() {
        let base = suite(1e-3, 2.0, "atv").baseline_json();
        assert!(suite(1e-3, 9.0, "atv").check_against(&base).is_empty());
        assert!(suite(3e-3, 2.0, "atv").check_against(&base).is_empty());
        assert_eq!(suite(2e-2, 2.0, "atv").check_against(&base).len(), 1);
        assert_eq!(suite(1e-3, 2.0, "gd").check_against(&base).len(), 1);
        // Both at rounding: equal.
        let tiny = suite(1e-25, 1.0, "atv").baseline_json();
        assert!(suite(3e-20, 1.0, "atv").check_against(&tiny).is_empty());
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
        let t = Table {
            name: "t".into(),
            title: "T".into(),
            headers: vec!["a".into(), "b".into()],
            rows: vec![vec!["1".into(), "x".into()]],
            records: vec![vec![("a".into(), json!(1.5)), ("b".into(), json!("x,y"))]],
        };
        assert_eq!(t.to_markdown(), "| a | b |\n|---|---|\n| 1 | x |\n");
        assert_eq!(t.to_csv(), "a,b\n1.5,\"x,y\"\n");
    }
}
