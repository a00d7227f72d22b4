//! The bad-input matrix of the command line: every subcommand that reads
//! data or a model against every kind of bad file, plus bad arguments.
//!
//! A cell is `exit 2` (the binary refused with one line on stderr, no
//! panic) or `ok`; the first refusal's message is listed under each table.
//! The pages are `docs/bad-input-cli.md`; the test fails when it is stale
//! and rewrites it with `RELU_LEARN_UPDATE_DOCS=1`.

use std::fmt::Write as _;
use std::path::Path;

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

#[test]
// Over 100 lines: to be split into named parts (for a fit: one per step).
#[allow(clippy::too_many_lines)]
fn every_subcommand_refuses_every_bad_file() {
    let dir = scratch("matrix");
    let mut failures = Vec::new();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let model_text = r#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0], [-1.0, 0.5]], "bias": [0.1, 0.0]}, {"weight": [[1.0, -1.0]], "bias": [0.0]}]}"#;
    let model = write("m.json", model_text.as_bytes());
    let n = 400;
    let xs: Vec<f64> = (0..2 * n)
        .map(|i| ((i * 7919) % 1000) as f64 / 250.0 - 2.0)
        .collect();
    let ys: Vec<f64> = (0..n)
        .map(|i| (xs[2 * i] + 2.0 * xs[2 * i + 1]).max(0.0))
        .collect();
    let x = write("x.npy", &npy("<f8", &format!("({n}, 2)"), &f64s(&xs)));
    let y = write("y.npy", &npy("<f8", &format!("({n},)"), &f64s(&ys)));
    let mut nan_x = xs.clone();
    nan_x[3] = f64::NAN;
    let mut inf_y = ys.clone();
    inf_y[7] = f64::INFINITY;
    let big_y: Vec<f64> = ys.iter().map(|v| v * 1e12).collect();
    let f32x: Vec<u8> = xs.iter().flat_map(|v| (*v as f32).to_le_bytes()).collect();
    // (row, x file, y file)
    let data_rows: Vec<(&str, String, String)> = vec![
        ("valid (reference)", x.clone(), y.clone()),
        (
            "NaN in x",
            write("x_nan.npy", &npy("<f8", &format!("({n}, 2)"), &f64s(&nan_x))),
            y.clone(),
        ),
        (
            "+inf in y",
            x.clone(),
            write("y_inf.npy", &npy("<f8", &format!("({n},)"), &f64s(&inf_y))),
        ),
        (
            "float32 x (supported)",
            write("x_f32.npy", &npy("<f4", &format!("({n}, 2)"), &f32x)),
            y.clone(),
        ),
        (
            "int32 x (wrong dtype)",
            write("x_int.npy", &npy("<i4", &format!("({n}, 2)"), &vec![0u8; 8 * n])),
            y.clone(),
        ),
        (
            "big-endian float64",
            write("x_be.npy", &npy(">f8", &format!("({n}, 2)"), &vec![0u8; 16 * n])),
            y.clone(),
        ),
        (
            "truncated data",
            write("x_trunc.npy", &npy("<f8", &format!("({n}, 2)"), &f64s(&xs[..10]))),
            y.clone(),
        ),
        (
            "trailing bytes",
            write("x_trail.npy", &{
                let mut b = npy("<f8", &format!("({n}, 2)"), &f64s(&xs));
                b.extend_from_slice(&[1, 2, 3]);
                b
            }),
            y.clone(),
        ),
        (
            "header promises 10^12 rows",
            write("x_huge.npy", &npy("<f8", "(1000000000000, 2)", &f64s(&xs))),
            y.clone(),
        ),
        (
            "header dimensions overflow u64",
            write(
                "x_overflow.npy",
                &npy("<f8", "(18446744073709551615, 18446744073709551615)", &[]),
            ),
            y.clone(),
        ),
        (
            "not an .npy file",
            write("x_zip.npy", b"PK\x03\x04 a zip file"),
            y.clone(),
        ),
        ("empty file", write("x_empty_file.npy", b""), y.clone()),
        (
            "x is 1-D",
            write("x_1d.npy", &npy("<f8", &format!("({},)", 2 * n), &f64s(&xs))),
            y.clone(),
        ),
        (
            "y has two columns",
            x.clone(),
            write("y_2col.npy", &npy("<f8", &format!("({n}, 2)"), &f64s(&xs))),
        ),
        (
            "x and y of different lengths",
            x.clone(),
            write(
                "y_short.npy",
                &npy("<f8", &format!("({},)", n - 1), &f64s(&ys[1..])),
            ),
        ),
        (
            "zero samples",
            write("x0.npy", &npy("<f8", "(0, 2)", &[])),
            write("y0.npy", &npy("<f8", "(0,)", &[])),
        ),
        (
            "one sample",
            write("x1.npy", &npy("<f8", "(1, 2)", &f64s(&xs[..2]))),
            write("y1.npy", &npy("<f8", "(1,)", &f64s(&ys[..1]))),
        ),
        (
            "wrong number of columns for the model",
            write("x3.npy", &npy("<f8", "(2, 3)", &f64s(&xs[..6]))),
            write("y3.npy", &npy("<f8", "(2,)", &f64s(&ys[..2]))),
        ),
        (
            "constant labels",
            x.clone(),
            write(
                "y_const.npy",
                &npy("<f8", &format!("({n},)"), &f64s(&vec![1.5; n])),
            ),
        ),
        (
            "labels × 1e12",
            x.clone(),
            write("y_big.npy", &npy("<f8", &format!("({n},)"), &f64s(&big_y))),
        ),
        ("missing file", "/nonexistent/x.npy".to_owned(), y.clone()),
    ];
    let out_json = dir.join("out.json");
    let out_json = out_json.to_str().unwrap().to_owned();
    let out_npy = dir.join("yhat.npy");
    let out_npy = out_npy.to_str().unwrap().to_owned();
    let columns = [
        "`fit --learner glmtron`",
        "`fit --learner atv`",
        "`eval`",
        "`predict` (x only)",
        "`moments`",
    ];
    let mut data_table = Table::new("data file", &columns);
    for (name, xp, yp) in &data_rows {
        let cells = vec![
            run(
                &[
                    "fit",
                    "--learner",
                    "glmtron",
                    "--x",
                    xp,
                    "--y",
                    yp,
                    "--out",
                    &out_json,
                ],
                &dir,
                &mut failures,
            ),
            run(
                &[
                    "fit",
                    "--learner",
                    "atv",
                    "--x",
                    xp,
                    "--y",
                    yp,
                    "--out",
                    &out_json,
                ],
                &dir,
                &mut failures,
            ),
            run(
                &["eval", "--model", &model, "--x", xp, "--y", yp],
                &dir,
                &mut failures,
            ),
            run(
                &["predict", "--model", &model, "--x", xp, "--out", &out_npy],
                &dir,
                &mut failures,
            ),
            run(
                &[
                    "moments", "--x", xp, "--y", yp, "--order", "2", "--out", &out_json,
                ],
                &dir,
                &mut failures,
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
            && cells.iter().enumerate().any(|(i, c)| c.0 == "ok" && !(i == 3 && *xp == x))
        {
            failures.push(format!("{name}: accepted by some subcommand: {cells:?}"));
        }
        data_table.row(name, cells);
    }

    // Model files.
    let model_rows: Vec<(&str, String)> = vec![
        ("valid (reference)", model.clone()),
        ("not JSON", write("notjson.json", b"{not json")),
        ("empty file", write("empty.json", b"")),
        (
            "truncated",
            write("trunc.json", &model_text.as_bytes()[..model_text.len() / 2]),
        ),
        (
            "unknown format",
            write(
                "fmt.json",
                br#"{"format": "onnx", "input_dim": 2, "layers": []}"#,
            ),
        ),
        (
            "ragged weight rows",
            write(
                "ragged.json",
                br#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0], [1.0]], "bias": [0.0, 0.0]}]}"#,
            ),
        ),
        (
            "two outputs",
            write(
                "two.json",
                br#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0], [2.0, 1.0]], "bias": [0.0, 0.0]}]}"#,
            ),
        ),
        (
            "weight 1e999 (infinite)",
            write(
                "inf.json",
                br#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1e999, 2.0]], "bias": [0.0]}]}"#,
            ),
        ),
        (
            "bias of the wrong length",
            write(
                "bias.json",
                br#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0]], "bias": [0.0, 1.0]}]}"#,
            ),
        ),
        (
            "input_dim disagrees with the weights",
            write(
                "dim.json",
                br#"{"format": "relu-net/v1", "input_dim": 3, "layers": [{"weight": [[1.0, 2.0]], "bias": [0.0]}]}"#,
            ),
        ),
        (
            "no layers",
            write(
                "nolayers.json",
                br#"{"format": "relu-net/v1", "input_dim": 2, "layers": []}"#,
            ),
        ),
        (
            "unknown field",
            write(
                "field.json",
                br#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0]], "bias": [0.0]}], "colour": 1}"#,
            ),
        ),
        ("a JSON array", write("array.json", b"[1, 2, 3]")),
        ("missing file", "/nonexistent/m.json".to_owned()),
    ];
    let mcolumns = [
        "`eval --model`",
        "`eval --teacher`",
        "`predict`",
        "`fit --teacher`",
        "`moments --teacher`",
        "`regions`",
    ];
    let mut model_table = Table::new("model file", &mcolumns);
    for (name, mp) in &model_rows {
        let cells = vec![
            run(
                &["eval", "--model", mp, "--teacher", &model, "--samples", "200"],
                &dir,
                &mut failures,
            ),
            run(
                &["eval", "--model", &model, "--teacher", mp, "--samples", "200"],
                &dir,
                &mut failures,
            ),
            run(
                &["predict", "--model", mp, "--x", &x, "--out", &out_npy],
                &dir,
                &mut failures,
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
                    &out_json,
                ],
                &dir,
                &mut failures,
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
                    &out_json,
                ],
                &dir,
                &mut failures,
            ),
            run(&["regions", "--model", mp], &dir, &mut failures),
        ];
        let ok = cells.iter().filter(|c| c.0 == "ok").count();
        if name.starts_with("valid") {
            if ok != cells.len() {
                failures.push(format!("{name}: refused: {cells:?}"));
            }
        } else if ok > 0 {
            failures.push(format!("{name}: accepted by some subcommand: {cells:?}"));
        }
        model_table.row(name, cells);
    }

    // Arguments.
    let d = dir.to_str().unwrap();
    let args: Vec<(&str, Vec<&str>)> = vec![
        ("unknown subcommand", vec!["frobnicate"]),
        (
            "unknown learner",
            vec![
                "fit",
                "--learner",
                "nope",
                "--x",
                &x,
                "--y",
                &y,
                "--out",
                &out_json,
            ],
        ),
        (
            "k = 0",
            vec![
                "fit",
                "--learner",
                "atv",
                "--hidden",
                "0",
                "--x",
                &x,
                "--y",
                &y,
                "--out",
                &out_json,
            ],
        ),
        (
            "k > d",
            vec![
                "fit",
                "--learner",
                "atv",
                "--hidden",
                "3",
                "--x",
                &x,
                "--y",
                &y,
                "--out",
                &out_json,
            ],
        ),
        (
            "noise NaN",
            vec![
                "generate", "--seed", "1", "--family", "random", "--dim", "3", "--hidden", "2", "--noise",
                "NaN", "--out", d,
            ],
        ),
        (
            "noise −1",
            vec![
                "generate", "--seed", "1", "--family", "random", "--dim", "3", "--hidden", "2", "--noise",
                "-1", "--out", d,
            ],
        ),
        (
            "dimension 0",
            vec![
                "generate", "--seed", "1", "--family", "random", "--dim", "0", "--hidden", "2", "--out", d,
            ],
        ),
        (
            "k > d for the conditioned family",
            vec![
                "generate",
                "--seed",
                "1",
                "--family",
                "conditioned",
                "--dim",
                "2",
                "--hidden",
                "5",
                "--out",
                d,
            ],
        ),
        (
            "negative sample count",
            vec![
                "generate",
                "--seed",
                "1",
                "--family",
                "random",
                "--dim",
                "3",
                "--hidden",
                "2",
                "--samples",
                "-5",
                "--out",
                d,
            ],
        ),
        (
            "threads 0",
            vec!["--threads", "0", "eval", "--model", &model, "--teacher", &model],
        ),
        ("unknown suite", vec!["reproduce", "nope"]),
        (
            "moments order 0",
            vec![
                "moments", "--x", &x, "--y", &y, "--order", "0", "--out", &out_json,
            ],
        ),
        (
            "--params file that is not JSON",
            vec![
                "fit",
                "--learner",
                "atv",
                "--params",
                &model_rows[1].1,
                "--x",
                &x,
                "--y",
                &y,
                "--out",
                &out_json,
            ],
        ),
        (
            "--params with an unknown key",
            vec![
                "fit",
                "--learner",
                "atv",
                "--params",
                &model,
                "--x",
                &x,
                "--y",
                &y,
                "--out",
                &out_json,
            ],
        ),
        (
            "regions slice of the wrong dimension",
            vec!["regions", "--model", &model, "--slice", "0,0,0;1,0,0;0,1,0"],
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
                &model,
                "--x",
                &x,
                "--out",
                "/nonexistent/dir/y.npy",
            ],
        ),
    ];
    let mut arg_table = Table::new("arguments", &["result"]);
    for (name, a) in &args {
        let cell = run(a, &dir, &mut failures);
        if cell.0 == "ok" {
            failures.push(format!("{name}: accepted: {a:?}"));
        }
        arg_table.row(name, vec![cell]);
    }

    let mut doc = String::from(HEADER);
    doc.push_str("\n## Data files (`--x`, `--y`)\n\n");
    data_table.render(&mut doc);
    doc.push_str("\n## Model files (`relu-net/v1` JSON)\n\n");
    model_table.render(&mut doc);
    doc.push_str("\n## Arguments\n\n");
    arg_table.render(&mut doc);
    assert!(failures.is_empty(), "{failures:#?}\n{doc}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/bad-input-cli.md");
    if std::env::var_os("RELU_LEARN_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &doc).unwrap();
    } else {
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            old == doc,
            "{} is stale; regenerate it with `RELU_LEARN_UPDATE_DOCS=1 cargo test --workspace`.\nNew text:\n{doc}",
            path.display()
        );
    }
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
