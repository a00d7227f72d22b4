//! The bad-input matrix of the command line: every subcommand that reads
//! data or a model against every kind of bad file, plus bad arguments.
//!
//! A cell is `exit 2` (the binary refused with one line on stderr, no
//! panic) or `ok`; the first refusal's message is listed under each table.
//! The pages are `docs/bad-input-cli.md`; the test fails when it is stale
//! and rewrites it with `RELU_LEARN_UPDATE_DOCS=1`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::what_to_do::says_what_to_do;
use crate::{f64s, npy, relu_learn, scratch};

/// Runs the binary; returns the cell and the one-line message (with the
/// scratch directory replaced by `<dir>`). Panics, backtraces, other exit
/// codes and multi-line errors are recorded as failures.
fn run(args: &[&str], dir: &Path, failures: &mut Vec<String>) -> (String, Option<String>) {
    let out = relu_learn(args);
    let err = String::from_utf8_lossy(&out.stderr).replace(dir.to_str().unwrap(), "<dir>");
    match out.status.code() {
        Some(0) => ("ok".to_owned(), None),
        Some(2)
            if err.trim_end().lines().count() == 1
                && err.starts_with("relu-learn: error: ")
                && !err.contains("panicked") =>
        {
            let msg = err
                .trim_end()
                .trim_start_matches("relu-learn: error: ")
                .to_owned();
            if !says_what_to_do(&msg) {
                failures.push(format!("{args:?}: the message does not say what to do: {msg}"));
            }
            ("exit 2".to_owned(), Some(msg))
        }
        code => {
            failures.push(format!("{args:?}: exit {code:?}: {err}"));
            (format!("**exit {code:?}**"), None)
        }
    }
}

struct Table {
    text: String,
    messages: Vec<(String, String)>,
}

impl Table {
    fn new(first: &str, columns: &[&str]) -> Self {
        let mut text = format!("| {first} | {} |\n", columns.join(" | "));
        let _ = writeln!(text, "|---|{}", "---|".repeat(columns.len()));
        Self {
            text,
            messages: Vec::new(),
        }
    }

    fn row(&mut self, name: &str, cells: Vec<(String, Option<String>)>) {
        let shown: Vec<String> = cells.iter().map(|c| c.0.clone()).collect();
        let _ = writeln!(self.text, "| {name} | {} |", shown.join(" | "));
        if let Some(msg) = cells.into_iter().find_map(|c| c.1) {
            self.messages.push((name.to_owned(), msg));
        }
    }

    fn render(&self, out: &mut String) {
        out.push_str(&self.text);
        out.push_str("\nMessages (the first refusal in each row):\n\n");
        for (name, msg) in &self.messages {
            let _ = writeln!(out, "- *{name}*: `{msg}`");
        }
    }
}

/// The model file every data row and argument uses (2 inputs, 2 units).
const MODEL_TEXT: &str = r#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0], [-1.0, 0.5]], "bias": [0.1, 0.0]}, {"weight": [[1.0, -1.0]], "bias": [0.0]}]}"#;

/// The number of samples in the valid data files.
const N: usize = 400;

/// The scratch directory, the valid files every row starts from and the
/// output paths.
struct Fixture {
    dir: PathBuf,
    model: String,
    xs: Vec<f64>,
    ys: Vec<f64>,
    x: String,
    y: String,
    out_json: String,
    out_npy: String,
}

impl Fixture {
    /// Writes the valid model and data files into a fresh scratch directory.
    fn new() -> Self {
        let dir = scratch("matrix");
        let xs: Vec<f64> = (0..2 * N)
            .map(|i| ((i * 7919) % 1000) as f64 / 250.0 - 2.0)
            .collect();
        let ys: Vec<f64> = (0..N)
            .map(|i| (xs[2 * i] + 2.0 * xs[2 * i + 1]).max(0.0))
            .collect();
        let model = write_file(&dir, "m.json", MODEL_TEXT.as_bytes());
        let x = write_file(&dir, "x.npy", &npy("<f8", &format!("({N}, 2)"), &f64s(&xs)));
        let y = write_file(&dir, "y.npy", &npy("<f8", &format!("({N},)"), &f64s(&ys)));
        let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
        let (out_json, out_npy) = (path("out.json"), path("yhat.npy"));
        Self {
            dir,
            model,
            xs,
            ys,
            x,
            y,
            out_json,
            out_npy,
        }
    }

    /// Writes `bytes` to `name` in the scratch directory; returns its path.
    fn write(&self, name: &str, bytes: &[u8]) -> String {
        write_file(&self.dir, name, bytes)
    }
}

/// Writes `bytes` to `dir/name`; returns the path.
fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn every_subcommand_refuses_every_bad_file() {
    let f = Fixture::new();
    let mut failures = Vec::new();
    let mut data_rows = npy_format_rows(&f);
    data_rows.extend(data_shape_rows(&f));
    let data_table = data_table(&f, &data_rows, &mut failures);
    let model_rows = model_rows(&f);
    let model_table = model_table(&f, &model_rows, &mut failures);
    let arg_table = argument_table(&f, &model_rows[1].1, &mut failures);

    let mut doc = String::from(HEADER);
    doc.push_str("\n## Data files (`--x`, `--y`)\n\n");
    data_table.render(&mut doc);
    doc.push_str("\n## Model files (`relu-net/v1` JSON)\n\n");
    model_table.render(&mut doc);
    doc.push_str("\n## Arguments\n\n");
    arg_table.render(&mut doc);
    assert!(failures.is_empty(), "{failures:#?}\n{doc}");
    check_docs_page(&doc);
}

/// Compares the page with `docs/bad-input-cli.md`, or rewrites that with
/// `RELU_LEARN_UPDATE_DOCS=1`.
fn check_docs_page(doc: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/bad-input-cli.md");
    if std::env::var_os("RELU_LEARN_UPDATE_DOCS").is_some() {
        std::fs::write(&path, doc).unwrap();
    } else {
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            old == doc,
            "{} is stale; regenerate it with `RELU_LEARN_UPDATE_DOCS=1 cargo test --workspace`.\nNew text:\n{doc}",
            path.display()
        );
    }
}

/// Data rows (row, x file, y file), first part: the valid pair and files
/// whose values or `.npy` encoding are bad.
fn npy_format_rows(f: &Fixture) -> Vec<(&'static str, String, String)> {
    let (xs, ys, x, y) = (&f.xs, &f.ys, &f.x, &f.y);
    let mut nan_x = xs.clone();
    nan_x[3] = f64::NAN;
    let mut inf_y = ys.clone();
    inf_y[7] = f64::INFINITY;
    let f32x: Vec<u8> = xs.iter().flat_map(|v| (*v as f32).to_le_bytes()).collect();
    vec![
        ("valid (reference)", x.clone(), y.clone()),
        (
            "NaN in x",
            f.write("x_nan.npy", &npy("<f8", &format!("({N}, 2)"), &f64s(&nan_x))),
            y.clone(),
        ),
        (
            "+inf in y",
            x.clone(),
            f.write("y_inf.npy", &npy("<f8", &format!("({N},)"), &f64s(&inf_y))),
        ),
        (
            "float32 x (supported)",
            f.write("x_f32.npy", &npy("<f4", &format!("({N}, 2)"), &f32x)),
            y.clone(),
        ),
        (
            "int32 x (wrong dtype)",
            f.write("x_int.npy", &npy("<i4", &format!("({N}, 2)"), &vec![0u8; 8 * N])),
            y.clone(),
        ),
        (
            "big-endian float64",
            f.write("x_be.npy", &npy(">f8", &format!("({N}, 2)"), &vec![0u8; 16 * N])),
            y.clone(),
        ),
        (
            "truncated data",
            f.write("x_trunc.npy", &npy("<f8", &format!("({N}, 2)"), &f64s(&xs[..10]))),
            y.clone(),
        ),
        (
            "trailing bytes",
            f.write("x_trail.npy", &{
                let mut b = npy("<f8", &format!("({N}, 2)"), &f64s(xs));
                b.extend_from_slice(&[1, 2, 3]);
                b
            }),
            y.clone(),
        ),
        (
            "header promises 10^12 rows",
            f.write("x_huge.npy", &npy("<f8", "(1000000000000, 2)", &f64s(xs))),
            y.clone(),
        ),
        (
            "header dimensions overflow u64",
            f.write(
                "x_overflow.npy",
                &npy("<f8", "(18446744073709551615, 18446744073709551615)", &[]),
            ),
            y.clone(),
        ),
        (
            "not an .npy file",
            f.write("x_zip.npy", b"PK\x03\x04 a zip file"),
            y.clone(),
        ),
        ("empty file", f.write("x_empty_file.npy", b""), y.clone()),
    ]
}

/// Data rows, second part: well-formed files of the wrong shape, length or
/// content for the command, and a missing file.
fn data_shape_rows(f: &Fixture) -> Vec<(&'static str, String, String)> {
    let (xs, ys, x, y) = (&f.xs, &f.ys, &f.x, &f.y);
    let big_y: Vec<f64> = ys.iter().map(|v| v * 1e12).collect();
    vec![
        (
            "x is 1-D",
            f.write("x_1d.npy", &npy("<f8", &format!("({},)", 2 * N), &f64s(xs))),
            y.clone(),
        ),
        (
            "y has two columns",
            x.clone(),
            f.write("y_2col.npy", &npy("<f8", &format!("({N}, 2)"), &f64s(xs))),
        ),
        (
            "x and y of different lengths",
            x.clone(),
            f.write(
                "y_short.npy",
                &npy("<f8", &format!("({},)", N - 1), &f64s(&ys[1..])),
            ),
        ),
        (
            "zero samples",
            f.write("x0.npy", &npy("<f8", "(0, 2)", &[])),
            f.write("y0.npy", &npy("<f8", "(0,)", &[])),
        ),
        (
            "one sample",
            f.write("x1.npy", &npy("<f8", "(1, 2)", &f64s(&xs[..2]))),
            f.write("y1.npy", &npy("<f8", "(1,)", &f64s(&ys[..1]))),
        ),
        (
            "wrong number of columns for the model",
            f.write("x3.npy", &npy("<f8", "(2, 3)", &f64s(&xs[..6]))),
            f.write("y3.npy", &npy("<f8", "(2,)", &f64s(&ys[..2]))),
        ),
        (
            "constant labels",
            x.clone(),
            f.write(
                "y_const.npy",
                &npy("<f8", &format!("({N},)"), &f64s(&vec![1.5; N])),
            ),
        ),
        (
            "labels × 1e12",
            x.clone(),
            f.write("y_big.npy", &npy("<f8", &format!("({N},)"), &f64s(&big_y))),
        ),
        ("missing file", "/nonexistent/x.npy".to_owned(), y.clone()),
    ]
}

/// Runs every data-reading subcommand on every data row; good data must be
/// accepted and bad files refused everywhere.
fn data_table(f: &Fixture, rows: &[(&str, String, String)], failures: &mut Vec<String>) -> Table {
    let columns = [
        "`fit --learner glmtron`",
        "`fit --learner atv`",
        "`eval`",
        "`predict` (x only)",
        "`moments`",
    ];
    let (dir, model, out_json, out_npy) = (&f.dir, &f.model, &f.out_json, &f.out_npy);
    let mut table = Table::new("data file", &columns);
    for (name, xp, yp) in rows {
        let fit = |learner: &str, failures: &mut Vec<String>| {
            run(
                &[
                    "fit",
                    "--learner",
                    learner,
                    "--x",
                    xp,
                    "--y",
                    yp,
                    "--out",
                    out_json,
                ],
                dir,
                failures,
            )
        };
        let cells = vec![
            fit("glmtron", failures),
            fit("atv", failures),
            run(&["eval", "--model", model, "--x", xp, "--y", yp], dir, failures),
            run(
                &["predict", "--model", model, "--x", xp, "--out", out_npy],
                dir,
                failures,
            ),
            run(
                &["moments", "--x", xp, "--y", yp, "--order", "2", "--out", out_json],
                dir,
                failures,
            ),
        ];
        if name.starts_with("valid") || name.starts_with("float32") {
            // glmtron, eval, predict and moments accept good data (atv
            // needs more than 400 samples and says so).
            for (i, c) in cells.iter().enumerate() {
                if i != 1 && c.0 != "ok" {
                    failures.push(format!("{name}: column {i} refused good data: {:?}", c.1));
                }
            }
        }
        if ["NaN", "+inf", "int32", "truncated", "trailing", "header", "not an", "empty file", "missing"]
            .iter()
            .any(|p| name.starts_with(p))
            // (`predict` reads no labels: a bad y is not its business.)
            && cells.iter().enumerate().any(|(i, c)| c.0 == "ok" && !(i == 3 && *xp == f.x))
        {
            failures.push(format!("{name}: accepted by some subcommand: {cells:?}"));
        }
        table.row(name, cells);
    }
    table
}

/// Model rows (row, model file): the valid model and broken ones.
fn model_rows(f: &Fixture) -> Vec<(&'static str, String)> {
    vec![
        ("valid (reference)", f.model.clone()),
        ("not JSON", f.write("notjson.json", b"{not json")),
        ("empty file", f.write("empty.json", b"")),
        (
            "truncated",
            f.write("trunc.json", &MODEL_TEXT.as_bytes()[..MODEL_TEXT.len() / 2]),
        ),
        (
            "unknown format",
            f.write(
                "fmt.json",
                br#"{"format": "onnx", "input_dim": 2, "layers": []}"#,
            ),
        ),
        (
            "ragged weight rows",
            f.write(
                "ragged.json",
                br#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0], [1.0]], "bias": [0.0, 0.0]}]}"#,
            ),
        ),
        (
            "two outputs",
            f.write(
                "two.json",
                br#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0], [2.0, 1.0]], "bias": [0.0, 0.0]}]}"#,
            ),
        ),
        (
            "weight 1e999 (infinite)",
            f.write(
                "inf.json",
                br#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1e999, 2.0]], "bias": [0.0]}]}"#,
            ),
        ),
        (
            "bias of the wrong length",
            f.write(
                "bias.json",
                br#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0]], "bias": [0.0, 1.0]}]}"#,
            ),
        ),
        (
            "input_dim disagrees with the weights",
            f.write(
                "dim.json",
                br#"{"format": "relu-net/v1", "input_dim": 3, "layers": [{"weight": [[1.0, 2.0]], "bias": [0.0]}]}"#,
            ),
        ),
        (
            "no layers",
            f.write(
                "nolayers.json",
                br#"{"format": "relu-net/v1", "input_dim": 2, "layers": []}"#,
            ),
        ),
        (
            "unknown field",
            f.write(
                "field.json",
                br#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0]], "bias": [0.0]}], "colour": 1}"#,
            ),
        ),
        ("a JSON array", f.write("array.json", b"[1, 2, 3]")),
        ("missing file", "/nonexistent/m.json".to_owned()),
    ]
}

/// Runs every model-reading subcommand on every model row; the valid model
/// must be accepted everywhere and the others refused everywhere.
fn model_table(f: &Fixture, rows: &[(&str, String)], failures: &mut Vec<String>) -> Table {
    let mcolumns = [
        "`eval --model`",
        "`eval --teacher`",
        "`predict`",
        "`fit --teacher`",
        "`moments --teacher`",
        "`regions`",
    ];
    let (dir, model, x, out_json) = (&f.dir, &f.model, &f.x, &f.out_json);
    let mut table = Table::new("model file", &mcolumns);
    for (name, mp) in rows {
        let cells = vec![
            run(
                &["eval", "--model", mp, "--teacher", model, "--samples", "200"],
                dir,
                failures,
            ),
            run(
                &["eval", "--model", model, "--teacher", mp, "--samples", "200"],
                dir,
                failures,
            ),
            run(
                &["predict", "--model", mp, "--x", x, "--out", &f.out_npy],
                dir,
                failures,
            ),
            run(
                &[
                    "fit",
                    "--learner",
                    "glmtron",
                    "--teacher",
                    mp,
                    "--samples",
                    "2000",
                    "--out",
                    out_json,
                ],
                dir,
                failures,
            ),
            run(
                &[
                    "moments",
                    "--teacher",
                    mp,
                    "--samples",
                    "500",
                    "--order",
                    "2",
                    "--out",
                    out_json,
                ],
                dir,
                failures,
            ),
            run(&["regions", "--model", mp], dir, failures),
        ];
        let ok = cells.iter().filter(|c| c.0 == "ok").count();
        if name.starts_with("valid") {
            if ok != cells.len() {
                failures.push(format!("{name}: refused: {cells:?}"));
            }
        } else if ok > 0 {
            failures.push(format!("{name}: accepted by some subcommand: {cells:?}"));
        }
        table.row(name, cells);
    }
    table
}

/// Runs every bad argument list; none may be accepted. `not_json` is a
/// file that is not JSON (for `--params`).
fn argument_table(f: &Fixture, not_json: &str, failures: &mut Vec<String>) -> Table {
    let mut table = Table::new("arguments", &["result"]);
    for (name, a) in argument_rows(f, not_json) {
        let cell = run(&a, &f.dir, failures);
        if cell.0 == "ok" {
            failures.push(format!("{name}: accepted: {a:?}"));
        }
        table.row(name, vec![cell]);
    }
    table
}

/// The bad argument lists (row, arguments).
fn argument_rows<'a>(f: &'a Fixture, not_json: &'a str) -> Vec<(&'static str, Vec<&'a str>)> {
    let (x, y, model, out_json) = (f.x.as_str(), f.y.as_str(), f.model.as_str(), f.out_json.as_str());
    let d = f.dir.to_str().unwrap();
    let fit = |extra: &[&'a str]| {
        let mut v = vec!["fit", "--learner"];
        v.extend_from_slice(extra);
        v.extend_from_slice(&["--x", x, "--y", y, "--out", out_json]);
        v
    };
    let generate = |extra: &[&'a str]| {
        let mut v = vec!["generate", "--seed", "1", "--family"];
        v.extend_from_slice(extra);
        v.extend_from_slice(&["--out", d]);
        v
    };
    vec![
        ("unknown subcommand", vec!["frobnicate"]),
        ("unknown learner", fit(&["nope"])),
        ("k = 0", fit(&["atv", "--hidden", "0"])),
        ("k > d", fit(&["atv", "--hidden", "3"])),
        (
            "noise NaN",
            generate(&["random", "--dim", "3", "--hidden", "2", "--noise", "NaN"]),
        ),
        (
            "noise −1",
            generate(&["random", "--dim", "3", "--hidden", "2", "--noise", "-1"]),
        ),
        (
            "dimension 0",
            generate(&["random", "--dim", "0", "--hidden", "2"]),
        ),
        (
            "k > d for the conditioned family",
            generate(&["conditioned", "--dim", "2", "--hidden", "5"]),
        ),
        (
            "negative sample count",
            generate(&["random", "--dim", "3", "--hidden", "2", "--samples", "-5"]),
        ),
        (
            "threads 0",
            vec!["--threads", "0", "eval", "--model", model, "--teacher", model],
        ),
        ("unknown suite", vec!["reproduce", "nope"]),
        (
            "moments order 0",
            vec!["moments", "--x", x, "--y", y, "--order", "0", "--out", out_json],
        ),
        (
            "--params file that is not JSON",
            fit(&["atv", "--params", not_json]),
        ),
        ("--params with an unknown key", fit(&["atv", "--params", model])),
        (
            "regions slice of the wrong dimension",
            vec!["regions", "--model", model, "--slice", "0,0,0;1,0,0;0,1,0"],
        ),
        (
            "hard: unknown family",
            vec!["hard", "--family", "nope", "--out", d],
        ),
        (
            "hard: k = 0",
            vec!["hard", "--family", "planar", "--k", "0", "--out", d],
        ),
        (
            "output into a missing directory",
            vec![
                "predict",
                "--model",
                model,
                "--x",
                x,
                "--out",
                "/nonexistent/dir/y.npy",
            ],
        ),
    ]
}

const HEADER: &str = "<!-- GENERATED by `RELU_LEARN_UPDATE_DOCS=1 cargo test -p relu-learn --test it matrix`; do not edit by hand. -->

# Bad input: the command line

Every subcommand that reads a data or model file, run on every kind of bad file, and a list of bad
arguments. `exit 2` means the binary refused with exit code 2 and one line on standard error (quoted
below each table, with the scratch directory shown as `<dir>`); `ok` means it ran. A panic, another exit
code, a multi-line error, a bad file accepted anywhere, or a message that does not say what to do (an
instruction such as \"check the path\" or \"supply more samples\", or the range a value must lie in) fails
the test that writes this page (`crates/relu-learn/tests/it/matrix.rs`). The library-level matrix is
[bad-input-library.md](bad-input-library.md).
";
