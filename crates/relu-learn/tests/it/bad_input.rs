//! Every error path reachable from the command line: exit code 2 and a
//! one-line message that names the problem; never a panic.

use std::path::{Path, PathBuf};

use crate::{f64s, npy, relu_learn, scratch};

/// Asserts exit code 2, one line on stderr containing every needle, nothing
/// that looks like a panic or a backtrace.
fn fails(args: &[&str], needles: &[&str]) {
    let out = relu_learn(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err}");
    assert!(err.starts_with("relu-learn: error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: {err:?} lacks {n:?}");
    }
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
}

#[test]
fn generate_rejects_bad_arguments() {
    let dir = scratch("bad-generate");
    let d = dir.to_str().unwrap();
    let base = |extra: &[&'static str]| {
        let mut v = vec!["generate", "--dim", "4", "--seed", "1", "--out", d];
        v.extend_from_slice(extra);
        v
    };
    fails(
        &base(&["--family", "nope", "--hidden", "2"]),
        &["unknown family \"nope\"", "random"],
    );
    fails(&base(&["--family", "random"]), &["--hidden K is required"]);
    fails(
        &base(&["--family", "random", "--hidden", "2", "--noise", "-1"]),
        &["noise", ">= 0"],
    );
    fails(
        &base(&["--family", "random", "--hidden", "2", "--noise", "NaN"]),
        &["noise"],
    );
    fails(&base(&["--family", "random", "--hidden", "0"]), &["hidden is 0"]);
    fails(
        &base(&["--family", "conditioned", "--hidden", "6"]),
        &["hidden", "at most dim"],
    );
    fails(
        &base(&["--family", "conditioned", "--hidden", "2", "--kappa", "0.5"]),
        &["kappa"],
    );
    fails(
        &base(&["--family", "close", "--hidden", "2", "--angle", "4"]),
        &["angle"],
    );
    fails(
        &base(&["--family", "biased", "--hidden", "2", "--bias-range", "inf"]),
        &["bias_range"],
    );
    fails(
        &base(&["--family", "random", "--hidden", "2", "--depth", "3"]),
        &["use --family deep"],
    );
    fails(
        &base(&["--family", "deep", "--hidden", "2", "--depth", "1"]),
        &["depth"],
    );
    fails(
        &base(&["--family", "single", "--hidden", "3"]),
        &["one hidden unit"],
    );
    fails(
        &base(&["--family", "random", "--hidden", "100000000000"]),
        &["too large"],
    );
    fails(
        &[
            "generate", "--family", "random", "--dim", "0", "--hidden", "2", "--seed", "1", "--out", d,
        ],
        &["dim is 0"],
    );
    fails(
        &base(&["--family", "random", "--hidden", "two"]),
        &["invalid value 'two'"],
    );
    fails(&["generate", "--family", "random"], &["required"]);
    fails(
        &base(&["--family", "random", "--hidden", "2", "--threads", "0"]),
        &["--threads must be at least 1"],
    );
    std::fs::write(dir.join("file"), b"").unwrap();
    let file = dir.join("file");
    fails(
        &[
            "generate",
            "--family",
            "random",
            "--dim",
            "3",
            "--hidden",
            "2",
            "--seed",
            "1",
            "--out",
            file.to_str().unwrap(),
        ],
        &["cannot create the directory"],
    );
}

#[test]
fn model_files_with_problems_are_rejected() {
    let dir = scratch("bad-model");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let good = write(
        "good.json",
        r#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0]], "bias": [0.0]}]}"#,
    );
    let cases = [
        (
            write("notjson.json", "{not json"),
            vec!["notjson.json", "not a model file"],
        ),
        (
            write(
                "format.json",
                r#"{"format": "onnx", "input_dim": 2, "layers": []}"#,
            ),
            vec!["unknown model format \"onnx\""],
        ),
        (
            write(
                "ragged.json",
                r#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0], [1.0]], "bias": [0.0, 0.0]}]}"#,
            ),
            vec!["weight row"],
        ),
        (
            write(
                "two.json",
                r#"{"format": "relu-net/v1", "input_dim": 1, "layers": [{"weight": [[1.0], [2.0]], "bias": [0.0, 0.0]}]}"#,
            ),
            vec!["exactly one output"],
        ),
        (
            write(
                "big.json",
                r#"{"format": "relu-net/v1", "input_dim": 1, "layers": [{"weight": [[1e999]], "bias": [0.0]}]}"#,
            ),
            vec!["big.json"],
        ),
        (write("empty.json", ""), vec!["empty.json"]),
        (
            write(
                "truncated.json",
                r#"{"format": "relu-net/v1", "input_dim": 1, "layers": [{"weight": [[1.0"#,
            ),
            vec!["truncated.json"],
        ),
    ];
    for (path, needles) in &cases {
        fails(
            &["eval", "--model", path, "--teacher", &good, "--samples", "100"],
            needles,
        );
    }
    fails(
        &["eval", "--model", "/nonexistent/m.json", "--teacher", &good],
        &["/nonexistent/m.json", "cannot read"],
    );
    let other = write(
        "other.json",
        r#"{"format": "relu-net/v1", "input_dim": 3, "layers": [{"weight": [[1.0, 2.0, 3.0]], "bias": [0.0]}]}"#,
    );
    fails(
        &["eval", "--model", &good, "--teacher", &other],
        &["input dimension 2", "teacher has 3"],
    );
    fails(
        &["eval", "--model", &good, "--teacher", &good, "--samples", "1"],
        &["at least 2 samples"],
    );
    fails(&["eval", "--model", &good], &["required"]);
    fails(
        &[
            "eval",
            "--model",
            &good,
            "--teacher",
            &good,
            "--x",
            &good,
            "--y",
            &good,
        ],
        &["cannot be used with"],
    );
}

/// A scratch directory with a model of two inputs (`m.json`) and a valid
/// pair `x.npy`, `y.npy` of three samples: (directory, model, x, y).
fn data_fixture(name: &str) -> (PathBuf, String, String, String) {
    let dir = scratch(name);
    let model = write_in(
        &dir,
        "m.json",
        br#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0]], "bias": [0.0]}]}"#
            .to_vec(),
    );
    let x = write_in(
        &dir,
        "x.npy",
        npy("<f8", "(3, 2)", &f64s(&[1., 2., 3., 4., 5., 6.])),
    );
    let y = write_in(&dir, "y.npy", npy("<f8", "(3,)", &f64s(&[1., 2., 3.])));
    (dir, model, x, y)
}

/// Writes `bytes` to `dir/name`; returns the path.
fn write_in(dir: &Path, name: &str, bytes: Vec<u8>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn data_files_with_problems_are_rejected() {
    let (dir, m, x, y) = data_fixture("bad-data");
    for (xp, yp, needles) in &bad_data_cases(&dir, &x, &y) {
        fails(&["eval", "--model", &m, "--x", xp, "--y", yp], needles);
    }
}

/// Bad (x, y) pairs for `eval`, written into `dir` next to the valid `x`
/// and `y`, with what the message must contain.
fn bad_data_cases(dir: &Path, x: &str, y: &str) -> Vec<(String, String, Vec<&'static str>)> {
    let write = |name: &str, bytes: Vec<u8>| write_in(dir, name, bytes);
    let (x, y) = (x.to_owned(), y.to_owned());
    vec![
        (
            write(
                "x_nan.npy",
                npy("<f8", "(3, 2)", &f64s(&[1., 2., f64::NAN, 4., 5., 6.])),
            ),
            y.clone(),
            vec!["x_nan.npy", "non-finite value NaN at row 1, column 0"],
        ),
        (
            x.clone(),
            write(
                "y_inf.npy",
                npy("<f8", "(3,)", &f64s(&[1., f64::NEG_INFINITY, 3.])),
            ),
            vec!["y_inf.npy", "non-finite value -inf at entry 1"],
        ),
        (
            write("x_int.npy", npy("<i4", "(3, 2)", &[0u8; 24])),
            y.clone(),
            vec!["x_int.npy", "dtype <i4 is not supported"],
        ),
        (
            write("x_trunc.npy", npy("<f8", "(3, 2)", &f64s(&[1., 2., 3.]))),
            y.clone(),
            vec!["x_trunc.npy", "truncated"],
        ),
        (
            write("x_garbage.npy", b"PK\x03\x04 this is a zip".to_vec()),
            y.clone(),
            vec!["x_garbage.npy", "not a valid .npy file"],
        ),
        (
            write("x_1d.npy", npy("<f8", "(3,)", &f64s(&[1., 2., 3.]))),
            y.clone(),
            vec!["x_1d.npy", "2-D array"],
        ),
        (
            x.clone(),
            write("y_short.npy", npy("<f8", "(2,)", &f64s(&[1., 2.]))),
            vec!["3 rows", "2 entries"],
        ),
        (
            x.clone(),
            write(
                "y_2col.npy",
                npy("<f8", "(3, 2)", &f64s(&[1., 2., 3., 4., 5., 6.])),
            ),
            vec!["y_2col.npy", "(n,) or (n, 1)"],
        ),
        (
            write("x_3col.npy", npy("<f8", "(1, 3)", &f64s(&[1., 2., 3.]))),
            write("y_1.npy", npy("<f8", "(1,)", &f64s(&[1.]))),
            vec!["expects 2 inputs", "3 columns"],
        ),
        (
            write("x_empty.npy", npy("<f8", "(0, 2)", &[])),
            write("y_empty.npy", npy("<f8", "(0,)", &[])),
            vec!["at least 2 samples"],
        ),
    ]
}

#[test]
fn predict_rejects_bad_data_and_unwritable_outputs() {
    let (dir, m, x, _) = data_fixture("bad-predict");
    let m = m.as_str();
    let out = dir.join("yhat.npy");
    let out = out.to_str().unwrap();
    fails(
        &[
            "predict",
            "--model",
            m,
            "--x",
            &write_in(
                &dir,
                "p_nan.npy",
                npy("<f4", "(1, 2)", &[0, 0, 0xc0, 0x7f, 0, 0, 0, 0]),
            ),
            "--out",
            out,
        ],
        &["p_nan.npy", "NaN"],
    );
    fails(
        &["predict", "--model", m, "--x", "/nonexistent/x.npy", "--out", out],
        &["/nonexistent/x.npy", "cannot open"],
    );
    fails(
        &[
            "predict",
            "--model",
            m,
            "--x",
            &x,
            "--out",
            "/nonexistent/dir/yhat.npy",
        ],
        &["/nonexistent/dir/yhat.npy", "cannot create"],
    );
}

#[test]
fn reproduce_rejects_unknown_suites() {
    fails(
        &[
            "reproduce",
            "nope",
            "--out",
            scratch("bad-reproduce").to_str().unwrap(),
        ],
        &["unknown suite \"nope\"", "init"],
    );
    fails(&["frobnicate"], &["unrecognized subcommand"]);
}

#[test]
fn moments_rejects_bad_orders_and_vector_counts() {
    let dir = scratch("bad-moments");
    let t = dir.join("t.json");
    std::fs::write(
        &t,
        r#"{"format": "relu-net/v1", "input_dim": 2, "layers": [{"weight": [[1.0, 2.0]], "bias": [0.0]}]}"#,
    )
    .unwrap();
    let t = t.to_str().unwrap();
    fails(
        &["moments", "--teacher", t, "--order", "1"],
        &["--order must be between 2 and 40"],
    );
    fails(
        &["moments", "--teacher", t, "--order", "99"],
        &["--order must be between 2 and 40"],
    );
    fails(
        &["moments", "--teacher", t, "--order", "3", "--vectors", "0"],
        &["--vectors must be at least 1"],
    );
    fails(
        &["moments", "--teacher", t, "--samples", "0"],
        &["at least 2 samples"],
    );
    fails(&["moments", "--teacher", t, "--noise", "-2"], &["noise"]);
    fails(
        &[
            "moments",
            "--teacher",
            t,
            "--order",
            "3",
            "--vectors",
            "100000000",
        ],
        &["too large", "fewer --vectors"],
    );
    fails(
        &["moments", "--order", "2"],
        &["give the samples", "--teacher", "--merge"],
    );
}

#[test]
fn fit_rejects_bad_learners_parameters_and_data() {
    let dir = scratch("bad-fit");
    let d = dir.to_str().unwrap();
    let out = dir.join("m.json");
    let out = out.to_str().unwrap();
    crate::ok(&[
        "generate",
        "--family",
        "random",
        "--dim",
        "3",
        "--hidden",
        "2",
        "--samples",
        "300",
        "--seed",
        "1",
        "--out",
        d,
    ]);
    let (x, y) = (dir.join("x.npy"), dir.join("y.npy"));
    let (x, y) = (x.to_str().unwrap(), y.to_str().unwrap());
    // `fit --learner L --x X --y Y [extra] --out OUT` fails with the needles.
    let fit_fails = |learner: &str, y: &str, extra: &[&str], needles: &[&str]| {
        let mut args = vec!["fit", "--learner", learner, "--x", x, "--y", y];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--out", out]);
        fails(&args, needles);
    };
    fit_fails("nope", y, &[], &["unknown learner \"nope\"", "atv"]);
    fit_fails("atv", y, &["--hidden", "0"], &["hidden", "at least 1"]);
    fit_fails("atv", y, &["--hidden", "5"], &["at most 3 hidden units"]);
    fit_fails("atv", y, &["--hidden", "2"], &["needs at least", "samples"]);
    let p = dir.join("p.json");
    let params = p.to_str().unwrap();
    std::fs::write(&p, r#"{"mix_draws": "many"}"#).unwrap();
    fit_fails(
        "atv",
        y,
        &["--params", params],
        &["p.json", "invalid atv parameters"],
    );
    std::fs::write(&p, r#"{"validation_fraction": 0.9}"#).unwrap();
    fit_fails("atv", y, &["--params", params], &["validation_fraction"]);
    let constant = write_constant(&dir);
    fit_fails("gd", &constant, &[], &["labels are constant"]);
    fails(&["fit", "--learner", "atv", "--out", out], &["required"]);
}

/// Writes 300 labels all equal to 1.5; returns the path.
fn write_constant(dir: &std::path::Path) -> String {
    let p = dir.join("y_const.npy");
    std::fs::write(&p, npy("<f8", "(300,)", &f64s(&[1.5; 300]))).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn regions_rejects_bad_arguments() {
    let dir = crate::scratch("regions-bad");
    let d = dir.to_str().unwrap();
    crate::ok(&[
        "generate",
        "--family",
        "biased",
        "--dim",
        "3",
        "--hidden",
        "2",
        "--samples",
        "0",
        "--seed",
        "1",
        "--out",
        d,
    ]);
    let m = dir.join("teacher.json");
    let m = m.to_str().unwrap();
    fails(
        &["regions", "--model", m, "--slice", "0,0,0;1,0,0"],
        &["three vectors"],
    );
    fails(
        &["regions", "--model", m, "--slice", "0,0;1,0;0,1"],
        &["3 inputs"],
    );
    fails(
        &["regions", "--model", m, "--slice", "0,0,x;1,0,0;0,1,0"],
        &["not a comma-separated list"],
    );
    fails(&["regions", "--model", m, "--rect", "1,0,0,1"], &["s0 < s1"]);
    fails(&["regions", "--model", m, "--cube", "-1"], &["positive"]);
    fails(
        &["regions", "--model", m, "--cube", "3", "--max-regions", "1"],
        &["limit"],
    );
    fails(
        &["regions", "--model", "/nonexistent/model.json"],
        &["model.json"],
    );
}

#[test]
fn hard_rejects_bad_parameters_with_reasons() {
    let dir = crate::scratch("hard-bad");
    let d = dir.to_str().unwrap();
    fails(
        &["hard", "--family", "planar", "--k", "3", "--out", d],
        &["even", "f ≡ 0"],
    );
    fails(
        &["hard", "--family", "parity", "--k", "4", "--dim", "2", "--out", d],
        &["at least k"],
    );
    fails(
        &["hard", "--family", "nope", "--out", d],
        &["choose one of planar"],
    );
    fails(
        &["hard", "--family", "lipschitz", "--lambda", "0.1", "--out", d],
        &["lambda"],
    );
    fails(
        &[
            "hard",
            "--family",
            "graph-colouring",
            "--vertices",
            "4",
            "--edges",
            "9",
            "--out",
            d,
        ],
        &["edges"],
    );
}
