//! The happy paths of `generate`, `eval` and `predict`.

use relu_learn::npy::{read_matrix, read_vector};
use serde_json::Value;

use crate::{ok, scratch};

/// The forward pass computed straight from the JSON text, without the
/// `relu-net` crate: an independent check of `generate`.
fn forward_from_json(json: &Value, x: &[f64]) -> f64 {
    let layers = json["layers"].as_array().unwrap();
    let mut h = x.to_vec();
    for (l, layer) in layers.iter().enumerate() {
        let w = layer["weight"].as_array().unwrap();
        let b = layer["bias"].as_array().unwrap();
        h = w
            .iter()
            .zip(b)
            .map(|(row, bi)| {
                let s: f64 = row
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(&h)
                    .map(|(wij, hj)| wij.as_f64().unwrap() * hj)
                    .sum();
                let s = s + bi.as_f64().unwrap();
                if l + 1 < layers.len() { s.max(0.0) } else { s }
            })
            .collect();
    }
    h[0]
}

#[test]
fn generate_writes_a_teacher_and_labels_equal_to_its_forward_pass() {
    let dir = scratch("generate");
    let d = dir.to_str().unwrap();
    ok(&[
        "generate",
        "--family",
        "biased",
        "--dim",
        "10",
        "--hidden",
        "4",
        "--samples",
        "1000",
        "--seed",
        "1",
        "--out",
        d,
    ]);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("teacher.json")).unwrap()).unwrap();
    assert_eq!(json["format"], "relu-net/v1");
    assert_eq!(json["input_dim"], 10);
    let x = read_matrix(&dir.join("x.npy")).unwrap();
    let y = read_vector(&dir.join("y.npy")).unwrap();
    assert_eq!((x.nrows(), x.ncols(), y.nrows()), (1000, 10, 1000));
    for i in 0..1000 {
        let row: Vec<f64> = (0..10).map(|j| x[(i, j)]).collect();
        let expected = forward_from_json(&json, &row);
        assert!(
            (y[i] - expected).abs() <= 1e-12 * (1.0 + expected.abs()),
            "row {i}"
        );
    }
    // The same seed gives the same files; another seed does not.
    let again = scratch("generate-again");
    ok(&[
        "generate",
        "--family",
        "biased",
        "--dim",
        "10",
        "--hidden",
        "4",
        "--samples",
        "1000",
        "--seed",
        "1",
        "--out",
        again.to_str().unwrap(),
        "--threads",
        "1",
    ]);
    assert_eq!(
        std::fs::read(dir.join("x.npy")).unwrap(),
        std::fs::read(again.join("x.npy")).unwrap()
    );
    assert_eq!(
        std::fs::read(dir.join("y.npy")).unwrap(),
        std::fs::read(again.join("y.npy")).unwrap()
    );
}

#[test]
fn eval_of_the_teacher_against_itself_reports_zero_error() {
    let dir = scratch("eval-self");
    let d = dir.to_str().unwrap();
    ok(&[
        "generate",
        "--family",
        "signed",
        "--dim",
        "5",
        "--hidden",
        "3",
        "--samples",
        "500",
        "--seed",
        "2",
        "--out",
        d,
    ]);
    let t = dir.join("teacher.json");
    let t = t.to_str().unwrap();
    let out = ok(&[
        "eval",
        "--model",
        t,
        "--teacher",
        t,
        "--samples",
        "2000",
        "--json",
    ]);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["source"], "teacher");
    assert_eq!(v["mse"], 0.0);
    assert_eq!(v["relative_error"], 0.0);
    assert_eq!(v["matching"]["parameter_error"], 0.0);
    assert!(v["exact"]["relative_error"].as_f64().unwrap() < 1e-12);
    let text = ok(&["eval", "--model", t, "--teacher", t, "--samples", "2000"]);
    assert!(
        text.contains("relative error") && text.contains("3 of 3 teacher units matched"),
        "{text}"
    );
    let (x, y) = (dir.join("x.npy"), dir.join("y.npy"));
    let out = ok(&[
        "eval",
        "--model",
        t,
        "--x",
        x.to_str().unwrap(),
        "--y",
        y.to_str().unwrap(),
        "--json",
    ]);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["source"].as_str(), v["n_samples"].as_u64(), v["mse"].as_f64()),
        (Some("data"), Some(500), Some(0.0))
    );
}

#[test]
fn eval_of_a_different_network_reports_a_positive_error() {
    let a = scratch("eval-a");
    let b = scratch("eval-b");
    ok(&[
        "generate",
        "--family",
        "random",
        "--dim",
        "4",
        "--hidden",
        "2",
        "--samples",
        "0",
        "--seed",
        "3",
        "--out",
        a.to_str().unwrap(),
    ]);
    ok(&[
        "generate",
        "--family",
        "random",
        "--dim",
        "4",
        "--hidden",
        "2",
        "--samples",
        "0",
        "--seed",
        "4",
        "--out",
        b.to_str().unwrap(),
    ]);
    let out = ok(&[
        "eval",
        "--model",
        a.join("teacher.json").to_str().unwrap(),
        "--teacher",
        b.join("teacher.json").to_str().unwrap(),
        "--samples",
        "50000",
        "--json",
    ]);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let (mc, se, exact) = (
        v["relative_error"].as_f64().unwrap(),
        v["relative_std_error"].as_f64().unwrap(),
        v["exact"]["relative_error"].as_f64().unwrap(),
    );
    assert!(exact > 0.01, "two random teachers differ: {exact}");
    assert!((mc - exact).abs() < 5.0 * se, "MC {mc} ± {se} vs exact {exact}");
    assert!(v["matching"]["parameter_error"].as_f64().unwrap() > 0.0);
}

#[test]
fn predict_writes_the_forward_pass() {
    let dir = scratch("predict");
    let d = dir.to_str().unwrap();
    ok(&[
        "generate",
        "--family",
        "deep",
        "--dim",
        "6",
        "--hidden",
        "5",
        "--depth",
        "4",
        "--samples",
        "300",
        "--seed",
        "5",
        "--out",
        d,
    ]);
    let out = dir.join("yhat.npy");
    ok(&[
        "predict",
        "--model",
        dir.join("teacher.json").to_str().unwrap(),
        "--x",
        dir.join("x.npy").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        read_vector(&out).unwrap(),
        read_vector(&dir.join("y.npy")).unwrap()
    );
}

#[test]
fn every_family_can_be_generated() {
    for family in relu_net::FAMILY_NAMES {
        let dir = scratch(&format!("family-{family}"));
        let mut args = vec![
            "generate",
            "--family",
            family,
            "--dim",
            "6",
            "--samples",
            "20",
            "--seed",
            "1",
            "--out",
            dir.to_str().unwrap(),
        ];
        if *family != "single" {
            args.extend(["--hidden", "3"]);
        }
        ok(&args);
        assert!(dir.join("teacher.json").exists() && dir.join("y.npy").exists());
    }
}

#[test]
fn moments_estimates_contractions_from_files_and_streams() {
    let dir = scratch("moments");
    let d = dir.to_str().unwrap();
    ok(&[
        "generate",
        "--family",
        "biased",
        "--dim",
        "4",
        "--hidden",
        "2",
        "--samples",
        "5000",
        "--seed",
        "8",
        "--out",
        d,
    ]);
    let (x, y, t, out) = (
        dir.join("x.npy"),
        dir.join("y.npy"),
        dir.join("teacher.json"),
        dir.join("m.json"),
    );
    let text = ok(&[
        "moments",
        "--x",
        x.to_str().unwrap(),
        "--y",
        y.to_str().unwrap(),
        "--order",
        "3",
        "--vectors",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        text.contains("order 3, 5000 samples, d = 4, 2 contraction(s)"),
        "{text}"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["contractions"].as_array().unwrap().len(), 2);
    assert_eq!(v["contractions"][0]["mean"].as_array().unwrap().len(), 4);
    // The same samples streamed from the teacher give the same numbers.
    let summary = ok(&[
        "moments",
        "--teacher",
        t.to_str().unwrap(),
        "--samples",
        "3000",
        "--order",
        "2",
        "--json",
    ]);
    let s: Value = serde_json::from_str(summary.trim()).unwrap();
    assert_eq!(
        (s["n_samples"].as_u64(), s["dim"].as_u64()),
        (Some(3000), Some(4))
    );
}

/// `eval --json` of a model against a teacher on 20 000 fresh samples.
fn eval_json(model: &std::path::Path, teacher: &std::path::Path) -> Value {
    serde_json::from_str(
        ok(&[
            "eval",
            "--model",
            model.to_str().unwrap(),
            "--teacher",
            teacher.to_str().unwrap(),
            "--samples",
            "20000",
            "--json",
        ])
        .trim(),
    )
    .unwrap()
}

#[test]
fn fit_recovers_a_planted_network_from_files_and_from_a_stream() {
    let dir = scratch("fit");
    let d = dir.to_str().unwrap();
    ok(&[
        "generate",
        "--family",
        "biased",
        "--dim",
        "6",
        "--hidden",
        "3",
        "--samples",
        "100000",
        "--seed",
        "9",
        "--out",
        d,
    ]);
    let (x, y, t) = (dir.join("x.npy"), dir.join("y.npy"), dir.join("teacher.json"));
    let (m, r) = (dir.join("atv.json"), dir.join("report.json"));
    let paper = dir.join("paper.json");
    let text = ok(&[
        "fit",
        "--learner",
        "atv",
        "--x",
        x.to_str().unwrap(),
        "--y",
        y.to_str().unwrap(),
        "--out",
        m.to_str().unwrap(),
        "--report",
        r.to_str().unwrap(),
        "--provable-out",
        paper.to_str().unwrap(),
    ]);
    assert!(text.contains("chose k = 3"), "{text}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&r).unwrap()).unwrap();
    assert_eq!(report["learner"], "atv");
    assert!(
        report["stages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["stage"] == "polish")
    );
    let e = eval_json(&m, &t);
    // Measured 2.4e-21.
    assert!(e["relative_error"].as_f64().unwrap() < 2.4e-19, "{e}");
    // The paper's step alone (the best moment candidate), written by
    // --provable-out: measured relative error 3.5e-3 and parameter error
    // 0.086 against the teacher.
    let e = eval_json(&paper, &t);
    let paper_error = e["relative_error"].as_f64().unwrap();
    let paper_params = e["matching"]["parameter_error"].as_f64().unwrap();
    assert!((1e-5..0.35).contains(&paper_error), "{e}");
    assert!((1e-4..1.0).contains(&paper_params), "{e}");
    // From the teacher stream, with a cap on the samples; a fit to rounding
    // is not warned of heavy-tailed residuals (it was, at 5 %, before the
    // rounding floor of the outlier count).
    let out = crate::relu_learn(&[
        "fit",
        "--learner",
        "atv",
        "--teacher",
        t.to_str().unwrap(),
        "--samples",
        "200000",
        "--samples-cap",
        "80000",
        "--hidden",
        "3",
        "--out",
        m.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("heavy tails"),
        "{stderr}"
    );
    let e = eval_json(&m, &t);
    // Measured 7.2e-24.
    assert!(e["relative_error"].as_f64().unwrap() < 1e-21, "{e}");
}

#[test]
fn kernel_models_are_fitted_evaluated_and_used_for_prediction() {
    let dir = scratch("kernel-model");
    let d = dir.to_str().unwrap();
    ok(&[
        "generate",
        "--family",
        "single",
        "--dim",
        "4",
        "--samples",
        "5000",
        "--seed",
        "3",
        "--out",
        d,
    ]);
    let (x, y, t, m, p) = (
        dir.join("x.npy"),
        dir.join("y.npy"),
        dir.join("teacher.json"),
        dir.join("k.json"),
        dir.join("params.json"),
    );
    std::fs::write(&p, r#"{"gram_samples": 500, "max_landmarks": 200}"#).unwrap();
    ok(&[
        "fit",
        "--learner",
        "kernel",
        "--x",
        x.to_str().unwrap(),
        "--y",
        y.to_str().unwrap(),
        "--params",
        p.to_str().unwrap(),
        "--out",
        m.to_str().unwrap(),
    ]);
    let model: Value = serde_json::from_str(&std::fs::read_to_string(&m).unwrap()).unwrap();
    assert_eq!(model["format"], "kernel-model/v1");
    let e: Value = serde_json::from_str(
        ok(&[
            "eval",
            "--model",
            m.to_str().unwrap(),
            "--teacher",
            t.to_str().unwrap(),
            "--samples",
            "5000",
            "--json",
        ])
        .trim(),
    )
    .unwrap();
    assert!(e["relative_error"].as_f64().unwrap() < 0.2, "{e}");
    assert!(e["matching"].is_null(), "no unit matching for kernel models");
    let out = dir.join("yhat.npy");
    ok(&[
        "predict",
        "--model",
        m.to_str().unwrap(),
        "--x",
        x.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(read_vector(&out).unwrap().nrows(), 5000);
    for learner in ["glmtron", "alphatron"] {
        let mj = dir.join(format!("{learner}.json"));
        ok(&[
            "fit",
            "--learner",
            learner,
            "--x",
            x.to_str().unwrap(),
            "--y",
            y.to_str().unwrap(),
            "--out",
            mj.to_str().unwrap(),
        ]);
        ok(&[
            "eval",
            "--model",
            mj.to_str().unwrap(),
            "--x",
            x.to_str().unwrap(),
            "--y",
            y.to_str().unwrap(),
        ]);
    }
}

#[test]
fn regions_counts_slices_enumerates_cubes_and_draws() {
    let dir = scratch("regions");
    let d = dir.to_str().unwrap();
    ok(&[
        "generate",
        "--family",
        "biased",
        "--dim",
        "2",
        "--hidden",
        "3",
        "--samples",
        "0",
        "--seed",
        "4",
        "--out",
        d,
    ]);
    let model = dir.join("teacher.json");
    let m = model.to_str().unwrap();
    let svg = dir.join("slice.svg");
    let text = ok(&[
        "regions",
        "--model",
        m,
        "--svg",
        svg.to_str().unwrap(),
        "--tropical",
    ]);
    assert!(text.contains("activation regions"), "{text}");
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    let doc: Value =
        serde_json::from_str(&ok(&["regions", "--model", m, "--json", "--rect", "-5,5,-5,5"])).unwrap();
    let slice_count = doc["slice"]["regions"].as_u64().unwrap();
    // Three lines in the plane: at most 7 regions.
    assert!((1..=7).contains(&slice_count), "{doc}");
    let cube: Value = serde_json::from_str(&ok(&["regions", "--model", m, "--json", "--cube", "5"])).unwrap();
    assert_eq!(cube["cube"]["regions"].as_u64().unwrap(), slice_count);
    assert!(doc["tropical"].is_null());
}

#[test]
fn hard_writes_verified_instances() {
    let dir = scratch("hard");
    let d = dir.to_str().unwrap();
    let text = ok(&[
        "hard",
        "--family",
        "planar",
        "--k",
        "4",
        "--dim",
        "8",
        "--samples",
        "50",
        "--seed",
        "3",
        "--out",
        d,
    ]);
    assert!(text.contains("verified: true"), "{text}");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("instance.json")).unwrap()).unwrap();
    assert_eq!(doc["verified"], true);
    let norms = doc["degree_norms"].as_array().unwrap();
    assert!(
        norms[..4].iter().all(|v| v.as_f64().unwrap() < 1e-12),
        "{norms:?}"
    );
    assert!(norms[4].as_f64().unwrap() > 1e-3);
    assert_eq!(read_matrix(&dir.join("x.npy")).unwrap().nrows(), 50);
    let dir2 = scratch("hard-graph");
    let text = ok(&[
        "hard",
        "--family",
        "graph-colouring",
        "--vertices",
        "5",
        "--edges",
        "10",
        "--k",
        "3",
        "--out",
        dir2.to_str().unwrap(),
    ]);
    assert!(text.contains("it is not"), "{text}");
    assert!(!dir2.join("teacher.json").exists());
    assert_eq!(read_vector(&dir2.join("y.npy")).unwrap().nrows(), 16);
}

#[test]
fn generate_plants_generic_networks_on_correlated_inputs_written_for_x() {
    let dir = scratch("generate-generic");
    let d = dir.to_str().unwrap();
    ok(&[
        "generate",
        "--family",
        "generic",
        "--dim",
        "5",
        "--hidden",
        "7",
        "--bias-range",
        "3",
        "--row-scale",
        "2",
        "--offset",
        "0.5",
        "--label-scale",
        "3",
        "--mean",
        "2",
        "--correlation",
        "0.7",
        "--samples",
        "2000",
        "--seed",
        "4",
        "--out",
        d,
    ]);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("teacher.json")).unwrap()).unwrap();
    let x = read_matrix(&dir.join("x.npy")).unwrap();
    let y = read_vector(&dir.join("y.npy")).unwrap();
    // The labels are the teacher's forward pass on the saved x.
    for i in 0..2000 {
        let row: Vec<f64> = (0..5).map(|j| x[(i, j)]).collect();
        let expected = forward_from_json(&json, &row);
        assert!(
            (y[i] - expected).abs() <= 1e-10 * (1.0 + expected.abs()),
            "row {i}"
        );
    }
    // The inputs have the requested law: mean 2, neighbour correlation 0.7.
    let n = 2000.0;
    let mean0: f64 = (0..2000).map(|i| x[(i, 0)]).sum::<f64>() / n;
    let mean1: f64 = (0..2000).map(|i| x[(i, 1)]).sum::<f64>() / n;
    let cov01: f64 = (0..2000)
        .map(|i| (x[(i, 0)] - mean0) * (x[(i, 1)] - mean1))
        .sum::<f64>()
        / n;
    assert!(
        (mean0 - 2.0).abs() < 0.15 && (cov01 - 0.7).abs() < 0.15,
        "{mean0} {cov01}"
    );
    // Output weights of both signs, scaled by 3, and the offset.
    let a: Vec<f64> = json["layers"][1]["weight"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(a.iter().any(|&v| v < 0.0) && a.iter().any(|&v| v > 0.0));
    assert!(
        a.iter().all(|v| (1.5 - 1e-12..=4.5 + 1e-12).contains(&v.abs())),
        "{a:?}"
    );
    assert_eq!(json["layers"][1]["bias"][0].as_f64().unwrap(), 0.5);
}

#[test]
fn fit_whitens_correlated_inputs_and_strict_flags_a_fit_that_did_not_recover() {
    let dir = scratch("fit-correlated");
    let d = dir.to_str().unwrap();
    ok(&[
        "generate",
        "--family",
        "biased",
        "--dim",
        "6",
        "--hidden",
        "3",
        "--mean",
        "1",
        "--correlation",
        "0.6",
        "--samples",
        "100000",
        "--seed",
        "3",
        "--out",
        d,
    ]);
    let (x, y) = (dir.join("x.npy"), dir.join("y.npy"));
    let (x, y) = (x.to_str().unwrap(), y.to_str().unwrap());
    let model = dir.join("atv.json");
    let report = dir.join("report.json");
    let out = crate::relu_learn(&[
        "fit",
        "--learner",
        "atv",
        "--hidden",
        "3",
        "--x",
        x,
        "--y",
        y,
        "--out",
        model.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--strict",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rep: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(rep["report"]["recovered"], Value::Bool(true), "{rep}");
    assert_eq!(rep["report"]["metrics"]["input_whitened"].as_f64(), Some(1.0));
    // Checked on the data's own law: the held-out labels of the file.
    let ev = ok(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--x",
        x,
        "--y",
        y,
        "--json",
    ]);
    let ev: Value = serde_json::from_str(&ev).unwrap();
    let rel = ev["relative_error"].as_f64().unwrap();
    assert!(rel < 1e-6, "{ev}");
    // glmtron (one unit) cannot fit three: not recovered, exit code 3 under --strict.
    let out = crate::relu_learn(&[
        "fit",
        "--learner",
        "glmtron",
        "--x",
        x,
        "--y",
        y,
        "--out",
        dir.join("glm.json").to_str().unwrap(),
        "--strict",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("did not recover a network"), "{err}");
    assert!(dir.join("glm.json").exists());
}

#[test]
fn generate_takes_widths_without_hidden() {
    // `--widths` sets every hidden width of `deep`; it used to fail with
    // "--hidden K is required".
    let dir = scratch("generate-widths");
    let d = dir.to_str().unwrap();
    ok(&[
        "generate",
        "--family",
        "deep",
        "--dim",
        "6",
        "--widths",
        "3,2",
        "--samples",
        "10",
        "--seed",
        "1",
        "--out",
        d,
    ]);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("teacher.json")).unwrap()).unwrap();
    let widths: Vec<usize> = json["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["weight"].as_array().unwrap().len())
        .collect();
    assert_eq!(widths, vec![3, 2, 1]);
}
