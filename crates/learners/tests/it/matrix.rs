//! The bad-input matrix: every learner against every kind of bad input.
//!
//! Each cell is what the learner did: a typed error (its variant), or a
//! fitted model whose predictions are checked to be finite (with the
//! relative error when it means something). A panic or a non-finite output
//! fails the test. The tables are `docs/bad-input-library.md`; the test
//! fails when that file is stale and rewrites it with
//! `RELU_LEARN_UPDATE_DOCS=1`.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use faer::{Col, ColMut, ColRef, Mat, MatMut, Par};
use learners::{LEARNERS, LearnError};
use relu_net::{Family, InMemory, Network, Planted, Predictor, SampleSource, Seed, gaussian_matrix};

use crate::what_to_do::says_what_to_do;

/// Samples handed over unchecked, as a user's own `SampleSource` may do.
struct Raw {
    x: Mat<f64>,
    y: Col<f64>,
}

impl SampleSource for Raw {
    fn dim(&self) -> usize {
        self.x.ncols()
    }
    fn len(&self) -> usize {
        self.y.nrows()
    }
    fn chunk(&self, start: usize, mut x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        let m = y.nrows();
        x.copy_from(self.x.as_ref().subrows(start, m));
        y.copy_from(self.y.as_ref().subrows(start, m));
    }
}

/// One row of the matrix: a bad input, the hidden-unit request, and what
/// every learner must do with it.
struct Case {
    name: &'static str,
    hidden: Option<usize>,
    data: Result<Box<dyn SampleSource>, String>,
    /// Every learner must return an error.
    must_fail: bool,
    /// The noise-free function behind the labels, to report the error of a
    /// fitted model (on fresh inputs).
    truth: Option<(Network, f64)>,
}

fn raw(x: Mat<f64>, y: Col<f64>) -> Result<Box<dyn SampleSource>, String> {
    Ok(Box::new(Raw { x, y }))
}

fn planted(net: &Network, n: usize, scale: f64, seed: u64) -> (Mat<f64>, Col<f64>) {
    let data = Planted::new(net.clone(), n, 0.0, Seed(seed))
        .unwrap()
        .materialize();
    let x = data.x().to_owned();
    let y = Col::from_fn(n, |i| scale * data.y()[i]);
    (x, y)
}

impl Case {
    /// A case every learner must refuse.
    fn fails(name: &'static str, hidden: Option<usize>, data: Result<Box<dyn SampleSource>, String>) -> Self {
        Self {
            name,
            hidden,
            data,
            must_fail: true,
            truth: None,
        }
    }

    /// A case a learner may fit, with the function behind its labels and
    /// their scale.
    fn fits(
        name: &'static str,
        hidden: Option<usize>,
        data: Result<Box<dyn SampleSource>, String>,
        truth: Network,
        scale: f64,
    ) -> Self {
        Self {
            name,
            hidden,
            data,
            must_fail: false,
            truth: Some((truth, scale)),
        }
    }
}

fn cases() -> Vec<Case> {
    let d = 3;
    let n = 3000;
    let teacher = Family::Biased {
        dim: d,
        hidden: 2,
        bias_range: 0.5,
    }
    .plant(Seed(1))
    .unwrap();
    let (x, y) = planted(&teacher, n, 1.0, 2);
    let with = |f: &dyn Fn(&mut Mat<f64>, &mut Col<f64>)| {
        let (mut x, mut y) = (x.clone(), y.clone());
        f(&mut x, &mut y);
        raw(x, y)
    };
    let single = Family::Biased {
        dim: 1,
        hidden: 1,
        bias_range: 0.5,
    }
    .plant(Seed(3))
    .unwrap();
    let (x1, y1) = planted(&single, n, 1.0, 4);
    // Two identical units: the network has one direction, not two.
    let w = teacher.layers()[0].weight();
    let dup = Network::depth2(
        Mat::from_fn(2, d, |_, j| w[(0, j)]).as_ref(),
        Col::from_fn(2, |_| 0.3).as_ref(),
        Col::from_fn(2, |_| 1.0).as_ref(),
        0.0,
    )
    .unwrap();
    let (xd, yd) = planted(&dup, n, 1.0, 5);
    let (xb, yb) = planted(&teacher, n, 1e12, 2);
    vec![
        Case::fits(
            "valid (reference)",
            Some(2),
            raw(x.clone(), y.clone()),
            teacher.clone(),
            1.0,
        ),
        Case::fails("NaN in x", Some(2), with(&|x, _| x[(17, 1)] = f64::NAN)),
        Case::fails("+inf label", Some(2), with(&|_, y| y[5] = f64::INFINITY)),
        Case::fails(
            "−inf in x",
            Some(2),
            with(&|x, _| x[(n - 1, 0)] = f64::NEG_INFINITY),
        ),
        Case::fails("empty data", Some(2), raw(Mat::zeros(0, d), Col::zeros(0))),
        Case::fails(
            "one sample",
            Some(2),
            raw(
                x.as_ref().subrows(0, 1).to_owned(),
                y.as_ref().subrows(0, 1).to_owned(),
            ),
        ),
        Case::fits(
            "n = 60 (below what moments need)",
            Some(2),
            raw(
                x.as_ref().subrows(0, 60).to_owned(),
                y.as_ref().subrows(0, 60).to_owned(),
            ),
            teacher.clone(),
            1.0,
        ),
        Case::fits("d = 1", Some(1), raw(x1, y1), single, 1.0),
        Case::fits("k = 0", Some(0), raw(x.clone(), y.clone()), teacher.clone(), 1.0),
        Case::fits(
            "k = 5 > d = 3",
            Some(5),
            raw(x.clone(), y.clone()),
            teacher.clone(),
            1.0,
        ),
        Case::fits(
            "duplicate directions (k = 2, one direction)",
            Some(2),
            raw(xd, yd),
            dup,
            1.0,
        ),
        Case::fails("constant labels", Some(2), with(&|_, y| y.fill(2.5))),
        Case::fits("labels × 1e12", Some(2), raw(xb, yb), teacher.clone(), 1e12),
        Case::fails(
            "x and y of different lengths",
            Some(2),
            InMemory::new(x.clone(), y.as_ref().subrows(0, n - 1).to_owned())
                .map(|s| Box::new(s) as Box<dyn SampleSource>)
                .map_err(|e| format!("{e}")),
        ),
    ]
}

/// The variant path of an error's Debug form: `Net(NonFinite)`.
fn variant(debug: &str) -> String {
    let head: String = debug
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    match debug[head.len()..].chars().next() {
        Some('(') => format!("{head}({})", variant(&debug[head.len() + 1..])),
        _ => head,
    }
}

/// Relative mean squared error of `model` against `scale · truth` on fresh
/// Gaussian inputs, and whether every prediction is finite.
fn check_output(model: &dyn Predictor, truth: Option<&(Network, f64)>, d: usize) -> (bool, Option<f64>) {
    let x = gaussian_matrix(2000, d, Seed(99));
    let mut out = Col::zeros(2000);
    model.predict_into(x.as_ref(), out.as_mut(), Par::Seq);
    let finite = out.iter().all(|v| v.is_finite());
    let err = truth.map(|(net, scale)| {
        let t = net.predict(x.as_ref(), Par::Seq).unwrap();
        let mean = t.iter().sum::<f64>() / 2000.0 * scale;
        let var: f64 = t.iter().map(|v| (scale * v - mean).powi(2)).sum();
        let mse: f64 = (0..2000).map(|i| (out[i] - scale * t[i]).powi(2)).sum();
        mse / var.max(f64::MIN_POSITIVE)
    });
    (finite, err)
}

#[test]
fn every_learner_handles_every_bad_input() {
    let cases = cases();
    let mut table = String::new();
    let _ = writeln!(table, "| input | {} |", LEARNERS.join(" | "));
    let _ = writeln!(table, "|---|{}", "---|".repeat(LEARNERS.len()));
    let mut messages: Vec<(String, String)> = Vec::new();
    let mut failures = Vec::new();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for case in &cases {
        let mut row = vec![case.name.to_owned()];
        for &name in LEARNERS {
            let cell = match &case.data {
                Err(msg) => {
                    if !messages.iter().any(|(c, _)| c == case.name) {
                        messages.push((case.name.to_owned(), msg.clone()));
                    }
                    "rejected by `InMemory::new`".to_owned()
                }
                Ok(src) => {
                    let run = catch_unwind(AssertUnwindSafe(|| {
                        // Only learners with hidden units are given a count.
                        let takes = learners::LearnerSpec::defaults(name).is_ok_and(|s| s.takes_hidden());
                        learners::learner(name, case.hidden.filter(|_| takes))
                            .and_then(|l| l.fit(src.as_ref(), Seed(7), Par::rayon(2)))
                    }));
                    match run {
                        Err(_) => {
                            failures.push(format!("{name} on {}: PANIC", case.name));
                            "**panic**".to_owned()
                        }
                        Ok(Err(e)) => {
                            if !messages.iter().any(|(c, _)| c == case.name) {
                                let msg = e.to_string();
                                let msg = if msg.starts_with(name) {
                                    msg
                                } else {
                                    format!("{name}: {msg}")
                                };
                                messages.push((case.name.to_owned(), msg));
                            }
                            assert_error_says_what_to_do(&e, name, case.name, &mut failures);
                            format!("error `{}`", variant(&format!("{e:?}")))
                        }
                        Ok(Ok(fitted)) => {
                            if case.must_fail {
                                failures.push(format!("{name} on {}: accepted", case.name));
                            }
                            let (finite, err) = check_output(&fitted.model, case.truth.as_ref(), src.dim());
                            if !finite {
                                failures.push(format!("{name} on {}: non-finite predictions", case.name));
                                "**non-finite output**".to_owned()
                            } else {
                                match err {
                                    Some(e) => format!("fit, error {}", sig2(e)),
                                    None => "fit".to_owned(),
                                }
                            }
                        }
                    }
                }
            };
            row.push(cell);
        }
        let _ = writeln!(table, "| {} |", row.join(" | "));
        rows.push(row);
    }
    // Scale equivariance: labels × 1e12 fit exactly as well as the
    // reference labels (a learner with absolute step sizes or tolerances
    // would return garbage here).
    let find = |prefix: &str| rows.iter().find(|r| r[0].starts_with(prefix)).unwrap();
    let (reference, scaled) = (find("valid"), find("labels ×"));
    for (i, name) in LEARNERS.iter().enumerate() {
        if reference[i + 1] != scaled[i + 1] {
            failures.push(format!(
                "{name}: labels × 1e12 give `{}`, the reference labels `{}`",
                scaled[i + 1],
                reference[i + 1]
            ));
        }
    }
    let mut doc = String::from(HEADER);
    doc.push_str(&table);
    doc.push_str("\nOne message per input, as the user sees it (`Display` of the error):\n\n");
    for (case, msg) in &messages {
        let _ = writeln!(doc, "- *{case}*: {}", msg.replace('\n', " "));
    }
    doc.push_str(&estimator_table(&cases, &mut failures));
    doc.push_str(&backend_table(&mut failures));
    assert!(failures.is_empty(), "{failures:#?}\n{doc}");
    crate::docs::check_generated("bad-input-library.md", &doc);
}

/// An error message must name the problem and, for data problems, what to
/// change (a number, a parameter or an alternative).
fn assert_error_says_what_to_do(e: &LearnError, learner: &str, case: &str, failures: &mut Vec<String>) {
    let msg = e.to_string();
    if msg.len() < 25 || msg.contains("panicked") || !says_what_to_do(&msg) {
        failures.push(format!("{learner} on {case}: unhelpful message {msg:?}"));
    }
}

/// What an error shows: its message and its `Debug` form.
trait ErrorText: std::fmt::Display + std::fmt::Debug {}
impl<E: std::fmt::Display + std::fmt::Debug> ErrorText for E {}

/// An error's cell in a table (its variant); its message goes to
/// `unhelpful` when it does not say what to do.
fn error_cell(e: &dyn ErrorText, unhelpful: &RefCell<Vec<String>>) -> String {
    let msg = e.to_string();
    if !says_what_to_do(&msg) {
        unhelpful.borrow_mut().push(msg);
    }
    variant(&format!("{e:?}"))
}

/// The error as a coarse class, stable across machines (rounding-level
/// differences between SIMD paths must not change the page).
fn sig2(x: f64) -> String {
    match x {
        x if x < 1e-6 => "< 1e-6".to_owned(),
        x if x < 1e-3 => "< 1e-3".to_owned(),
        x if x < 0.1 => "< 0.1".to_owned(),
        x if x < 1.0 => "< 1".to_owned(),
        _ => "≥ 1".to_owned(),
    }
}

const HEADER: &str = "<!-- GENERATED by `RELU_LEARN_UPDATE_DOCS=1 cargo test -p learners --test it matrix`; do not edit by hand. -->

# Bad input: the library

Every learner (`learners::learner(name, k)` with default parameters) against every kind of bad input, as
a user's own `SampleSource` may deliver it (unchecked), on d = 3 Gaussian inputs with labels from a biased
depth-2 network with two units (n = 3000) unless the row says otherwise. A cell is the learner's typed
error (`LearnError` variant) or `fit` with the relative error of the fitted model against the noise-free
labels on fresh inputs, in classes (< 1e-6, < 1e-3, < 0.1, < 1, ≥ 1; its predictions are checked finite). A panic, a non-finite prediction or an input
that every learner must refuse being accepted fails the test that writes this page
(`crates/learners/tests/it/matrix.rs`), and so does a learner whose class at labels × 10¹² differs from
its class on the reference labels, or an error message (of a learner, estimator or backend) that does not
say what to do: an instruction such as \"supply more samples\" or the range a value must lie in. `kernel`, `glmtron` and `alphatron` take no number of hidden units, so
k = 0 and k > d do not concern them. `exact-erm` reads only its first `max_points` rows and, with its
defaults, finds even those too many in d = 3 (it is meant for tiny problems); the −inf sits in the last
row, which it never reads.

";

/// Runs `f`, catching panics: the cell and whether the output is finite.
fn cell<T>(f: impl FnOnce() -> Result<T, String>, finite: impl Fn(&T) -> bool) -> (String, Option<T>) {
    match catch_unwind(AssertUnwindSafe(f)) {
        Err(_) => ("**panic**".to_owned(), None),
        Ok(Err(variant)) => (format!("error `{variant}`"), None),
        Ok(Ok(v)) if finite(&v) => ("ok".to_owned(), Some(v)),
        Ok(Ok(_)) => ("**non-finite output**".to_owned(), None),
    }
}

fn all_finite(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite())
}

/// Means (first half) finite; standard errors (second half) finite or +∞
/// (the estimators' documented "unknown" with fewer than two batches).
fn means_finite_errors_not_nan(v: &[f64]) -> bool {
    let half = v.len() / 2;
    all_finite(&v[..half]) && v[half..].iter().all(|x| !x.is_nan() && *x >= 0.0)
}

/// A cell of the estimator table: what it shows, and the numbers behind
/// it when it succeeded.
type EstimatorCell = (String, Option<Vec<f64>>);

/// The four estimator cells of one input: `low_order_moments`,
/// `matrix_contractions` (order 3), `dense_moment` (order 3) and filtered
/// PCA; error messages that do not say what to do go to `unhelpful`.
fn estimator_cells(
    src: &dyn SampleSource,
    est: &gaussian_moments::Estimator,
    pca: &subspace_pca::FilteredPca,
    unhelpful: &RefCell<Vec<String>>,
) -> [EstimatorCell; 4] {
    use gaussian_moments::{dense_moment, low_order_moments, matrix_contractions};
    use subspace_pca::SubspaceFinder;
    let d = src.dim();
    let g = Col::from_fn(d, |i| 1.0 / (1.0 + i as f64));
    let err = |e: &dyn ErrorText| error_cell(e, unhelpful);
    [
        cell(
            || {
                low_order_moments(src, est, Par::Seq)
                    .map_err(|e| err(&e))
                    .map(|m| {
                        // Its fields are checked through their Debug form.
                        let text = format!("{m:?}");
                        if text.contains("NaN") {
                            vec![f64::NAN]
                        } else {
                            Vec::new()
                        }
                    })
            },
            |v| all_finite(v),
        ),
        cell(
            || {
                matrix_contractions(src, 3, std::slice::from_ref(&g), est, Par::Seq)
                    .map_err(|e| err(&e))
                    .map(|v| {
                        let e = &v[0];
                        (0..d * d)
                            .map(|k| e.mean[(k / d, k % d)])
                            .chain((0..d * d).map(|k| e.std_error[(k / d, k % d)]))
                            .collect::<Vec<f64>>()
                    })
            },
            |v| means_finite_errors_not_nan(v),
        ),
        cell(
            || {
                dense_moment(src, 3, est, Par::Seq)
                    .map_err(|e| err(&e))
                    .map(|(t, se)| {
                        let mut v = t.data().to_vec();
                        v.extend(se);
                        v
                    })
            },
            |v| means_finite_errors_not_nan(v),
        ),
        cell(
            || {
                pca.find(src, Seed(3), Par::Seq)
                    .map_err(|e| err(&e))
                    .map(|(sub, _)| {
                        let b = sub.basis();
                        (0..b.nrows() * b.ncols())
                            .map(|k| b[(k % b.nrows(), k / b.nrows())])
                            .collect::<Vec<f64>>()
                    })
            },
            |v| all_finite(v),
        ),
    ]
}

/// At labels × 10¹² the means of `matrix_contractions` and `dense_moment`
/// must be the reference means × 10¹² to 10⁻⁹ relative.
fn check_label_scaling(
    reference: &[Vec<f64>],
    means: &[Vec<f64>],
    cols: &[&str],
    failures: &mut Vec<String>,
) {
    for (j, (a, b)) in reference.iter().zip(means).enumerate() {
        // Means only: the first half of each vector.
        let half = a.len() / 2;
        let ok = a.len() == b.len()
            && a[..half]
                .iter()
                .zip(&b[..half])
                .all(|(x, y)| (1e12 * x - y).abs() <= 1e-9 * (1e12 * x.abs()).max(1.0));
        if !ok {
            failures.push(format!(
                "{}: labels × 1e12 do not scale the means exactly",
                cols[j + 1]
            ));
        }
    }
}

/// The moment estimators and filtered PCA on the same inputs (those that
/// concern them: no k here).
fn estimator_table(cases: &[Case], failures: &mut Vec<String>) -> String {
    use gaussian_moments::Estimator;
    use subspace_pca::FilteredPcaParams;
    let est = Estimator::default();
    let pca = FilteredPcaParams {
        max_dim: 3,
        ..FilteredPcaParams::default()
    }
    .validate()
    .unwrap();
    let cols = [
        "`low_order_moments`",
        "`matrix_contractions` (order 3)",
        "`dense_moment` (order 3)",
        "`FilteredPca::find`",
    ];
    let mut out = format!(
        "\n## Moment estimators and filtered PCA\n\nThe same inputs (the rows about k do not concern them). `ok` means \
         the means are finite and the standard errors finite or `+∞` (their documented value with fewer than two \
         batches of 256 rows: unknown, never NaN); at labels × 10¹² the means must be the reference means × 10¹² \
         to 10⁻⁹ relative. Constant labels and a single sample are valid input here (the moments are estimates of zero; \
         one sample gives a mean with an infinite standard error).\n\n| input | {} |\n|---|{}\n",
        cols.join(" | "),
        "---|".repeat(cols.len())
    );
    let mut reference: Option<Vec<Vec<f64>>> = None;
    for case in cases.iter().filter(|c| !c.name.starts_with("k ")) {
        let Ok(src) = &case.data else { continue };
        let src = src.as_ref();
        let unhelpful = RefCell::new(Vec::new());
        let cells = estimator_cells(src, &est, &pca, &unhelpful);
        for msg in unhelpful.into_inner() {
            failures.push(format!("on {}: unhelpful message {msg:?}", case.name));
        }
        let shown: Vec<String> = cells.iter().map(|c| c.0.clone()).collect();
        for (c, name) in shown.iter().zip(cols) {
            if c.starts_with("**") {
                failures.push(format!("{name} on {}: {c}", case.name));
            }
            // Constant labels are a valid input for an estimator (its
            // moments are estimates of zero), and so is one sample (its
            // standard errors are +∞); everything else that every learner
            // must refuse, the estimators must refuse too.
            if case.must_fail
                && !case.name.starts_with("constant")
                && !case.name.starts_with("one sample")
                && c == "ok"
            {
                failures.push(format!("{name} on {}: accepted", case.name));
            }
        }
        let means: Vec<Vec<f64>> = vec![
            cells[1].1.clone().unwrap_or_default(),
            cells[2].1.clone().unwrap_or_default(),
        ];
        if case.name.starts_with("valid") {
            reference = Some(means);
        } else if case.name.starts_with("labels ×")
            && let Some(r) = &reference
        {
            check_label_scaling(r, &means, &cols, failures);
        }
        let _ = writeln!(out, "| {} | {} |", case.name, shown.join(" | "));
    }
    out
}

/// A user's implicit tensor whose contractions carry a NaN.
struct Poisoned(tensor_decomp::DenseSymTensor);

impl tensor_decomp::SymTensor for Poisoned {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn order(&self) -> usize {
        self.0.order()
    }
    fn contract_to_matrix(&self, vs: &[ColRef<'_, f64>], par: Par) -> Mat<f64> {
        let mut m = self.0.contract_to_matrix(vs, par);
        m[(0, 0)] = f64::NAN;
        m
    }
    fn contract_to_vector(&self, vs: &[ColRef<'_, f64>], par: Par) -> Col<f64> {
        let mut v = self.0.contract_to_vector(vs, par);
        v[0] = f64::NAN;
        v
    }
}

/// A row of the backend table: its name, the tensor and the rank asked for.
type Problem = (&'static str, Box<dyn tensor_decomp::SymTensor>, usize);

/// The problems of the backend table, and the planted CP model of the
/// valid ones.
fn backend_problems() -> (Vec<Problem>, tensor_decomp::CpModel) {
    use tensor_decomp::{CpModel, DenseSymTensor, SymTensor};
    let d = 4;
    let factors = Mat::from_fn(d, 2, |i, j| {
        ((i + 3 * j) as f64 * 0.7).sin() + if i == j { 2.0 } else { 0.0 }
    });
    let cp = |w: [f64; 2], f: &Mat<f64>| {
        DenseSymTensor::from_cp(&CpModel::new(3, Col::from_fn(2, |i| w[i]), f.clone()).unwrap()).unwrap()
    };
    let valid = cp([1.0, 2.0], &factors);
    let dup_f = Mat::from_fn(d, 2, |i, _| factors[(i, 0)]);
    let one = DenseSymTensor::from_cp(
        &CpModel::new(3, Col::from_fn(1, |_| 1.5), Mat::from_fn(1, 1, |_, _| 1.0)).unwrap(),
    )
    .unwrap();
    let zero = DenseSymTensor::new(3, d, vec![0.0; d * d * d]).unwrap();
    let order2 = DenseSymTensor::from_cp(
        &CpModel::new(2, Col::from_fn(2, |i| [1.0, 2.0][i]), factors.clone()).unwrap(),
    )
    .unwrap();
    let big = cp([1e12, 2e12], &factors);
    let rows: Vec<(&'static str, Box<dyn SymTensor>, usize)> = vec![
        ("valid (rank 2, d = 4)", Box::new(valid.clone()), 2),
        ("NaN in the contractions", Box::new(Poisoned(valid.clone())), 2),
        ("rank 0", Box::new(valid.clone()), 0),
        ("rank 5 > d = 4", Box::new(valid.clone()), 5),
        ("d = 1, rank 1", Box::new(one), 1),
        ("zero tensor", Box::new(zero), 2),
        (
            "duplicate components (rank 2, one direction)",
            Box::new(cp([1.0, 2.0], &dup_f)),
            2,
        ),
        ("weights × 1e12", Box::new(big), 2),
        ("order 2 (a matrix)", Box::new(order2), 2),
    ];
    let truth = CpModel::new(3, Col::from_fn(2, |i| [1.0, 2.0][i]), factors.clone()).unwrap();
    (rows, truth)
}

/// A backend's cell: for the valid problems (and their × 10¹² copy) the
/// smallest factor congruence to the planted factors; a decomposition that
/// did not converge says so.
fn backend_cell(
    name: &str,
    c: String,
    model: Option<(tensor_decomp::CpModel, tensor_decomp::Report)>,
    truth: &tensor_decomp::CpModel,
) -> String {
    match model {
        Some((m, report)) if name.starts_with("valid") || name.starts_with("weights") => {
            let cong = m
                .match_factors(truth)
                .map(|fm| fm.congruence.iter().copied().fold(1.0, f64::min))
                .unwrap_or(f64::NAN);
            format!(
                "ok, congruence {}{}",
                if cong > 1.0 - 1e-6 {
                    "≈ 1".to_owned()
                } else {
                    format!("{cong:.2}")
                },
                if report.converged {
                    ""
                } else {
                    " (not converged, reported)"
                }
            )
        }
        Some((_, report)) if !report.converged => "ok (not converged, reported)".to_owned(),
        _ => c,
    }
}

/// The decomposition backends against bad problems.
fn backend_table(failures: &mut Vec<String>) -> String {
    use tensor_decomp::{BACKENDS, Hints, backend};
    let (rows, truth) = backend_problems();
    let mut out = format!(
        "\n## Decomposition backends\n\n`Decomposer::decompose(t, rank, Hints::default(), seed, Par::Seq)` on symmetric order-3 \
         tensors. `ok` means a finite CP model (with the smallest factor congruence to the planted factors where \
         there are planted factors: 1 = exact).\n\n| problem | {} |\n|---|{}\n",
        BACKENDS.join(" | "),
        "---|".repeat(BACKENDS.len())
    );
    let unhelpful = RefCell::new(Vec::new());
    for (name, t, rank) in &rows {
        let mut shown = Vec::new();
        for id in BACKENDS {
            let b = backend(id).unwrap();
            let (c, model) = cell(
                || {
                    b.decompose(t.as_ref(), *rank, &Hints::default(), 1, Par::Seq)
                        .map_err(|e| error_cell(&e, &unhelpful))
                },
                |(m, _)| {
                    m.weights().iter().all(|v| v.is_finite()) && {
                        let f = m.factors();
                        (0..f.ncols()).all(|j| f.col(j).iter().all(|v| v.is_finite()))
                    }
                },
            );
            failures.extend(
                unhelpful
                    .take()
                    .into_iter()
                    .map(|msg| format!("{id} on {name}: unhelpful message {msg:?}")),
            );
            if c.starts_with("**") {
                failures.push(format!("{id} on {name}: {c}"));
            }
            if (name.starts_with("NaN") || name.starts_with("rank 0") || name.starts_with("rank 5"))
                && c == "ok"
            {
                failures.push(format!("{id} on {name}: accepted"));
            }
            shown.push(backend_cell(name, c, model, &truth));
        }
        let _ = writeln!(out, "| {name} | {} |", shown.join(" | "));
    }
    out
}
