//! [`Table`]: columns, cells and rows, and their Markdown and CSV forms
//! and JSON records.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::{Value, json};

use super::format::{fmt_sig, num};
use super::gate::Gate;

/// One record: named values in column order.
pub type Record = Vec<(String, Value)>;

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
    pub(super) fn gate(&self, key: &str) -> Option<Gate> {
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
