//! Time to target error, for every learner: `cargo xtask bench` plants one
//! teacher in each learner's regime, fits it through `relu-learn fit` from
//! streams of growing n (label noise N(0, 0.1²)), and stops at the first n
//! whose relative test error (`relu-learn eval`, 2·10⁵ fresh noise-free
//! samples) is at most the target. The fit time at that n is the time to
//! target; the fit report's stage times give the profile.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// One learner's instance and sweep.
pub(crate) struct Case {
    learner: &'static str,
    /// `relu-learn generate --family`.
    family: &'static str,
    dim: usize,
    /// Hidden units (every hidden layer for `deep`); `None` for `single`.
    hidden: Option<usize>,
    /// Layers of a `deep` teacher.
    depth: Option<usize>,
    /// Relative test error to reach.
    target: f64,
    /// Sample sizes tried in order (a half-decade grid, shorter where the
    /// learner's cost grows faster than linearly in n).
    ns: &'static [usize],
    /// Learner parameters (`--params`) with `{n}` replaced by n: learners
    /// that by default read only the first rows are told to use all n.
    params: Option<&'static str>,
}

const HALF_DECADES: &[usize] = &[1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000];

/// The cases: each learner on the family its paper addresses.
pub(crate) const CASES: &[Case] = &[
    Case {
        learner: "atv",
        family: "biased",
        dim: 20,
        hidden: Some(4),
        depth: None,
        target: 1e-3,
        ns: HALF_DECADES,
        params: None,
    },
    Case {
        learner: "narrow",
        family: "signed",
        dim: 20,
        hidden: Some(4),
        depth: None,
        target: 1e-3,
        ns: HALF_DECADES,
        params: None,
    },
    Case {
        learner: "ckm",
        family: "deep",
        dim: 20,
        hidden: Some(2),
        depth: Some(3),
        target: 1e-3,
        ns: HALF_DECADES,
        params: None,
    },
    Case {
        learner: "gd",
        family: "biased",
        dim: 20,
        hidden: Some(4),
        depth: None,
        target: 1e-3,
        ns: HALF_DECADES,
        params: None,
    },
    Case {
        learner: "glmtron",
        family: "single",
        dim: 20,
        hidden: None,
        depth: None,
        target: 1e-3,
        ns: HALF_DECADES,
        params: None,
    },
    Case {
        learner: "alphatron",
        family: "single",
        dim: 5,
        hidden: None,
        depth: None,
        target: 5e-2,
        ns: &[1_000, 2_000, 4_000, 8_000],
        params: Some(r#"{"train_size": {n}}"#),
    },
    Case {
        learner: "kernel",
        family: "single",
        dim: 5,
        hidden: None,
        depth: None,
        target: 5e-2,
        ns: &[1_000, 3_000, 10_000, 30_000, 100_000],
        params: None,
    },
    Case {
        learner: "bounded-weight",
        family: "biased",
        dim: 2,
        hidden: Some(1),
        depth: None,
        target: 1e-2,
        ns: &[1_000, 3_000, 10_000, 30_000, 100_000],
        params: Some(r#"{"samples": {n}}"#),
    },
    Case {
        learner: "exact-erm",
        family: "biased",
        dim: 2,
        hidden: Some(1),
        depth: None,
        target: 1e-3,
        ns: &[8, 16, 32, 64],
        params: Some(r#"{"max_points": {n}}"#),
    },
];

/// One fit of a sweep.
pub(crate) struct Attempt {
    n: usize,
    /// Error of `relu-learn fit`, if it failed.
    failure: Option<String>,
    /// The fit report (`--report`): total and per-stage seconds.
    report: Value,
    /// Relative test error from `relu-learn eval`.
    error: Option<f64>,
}

/// A learner's sweep: the attempts in order; the last one reached the
/// target if any did.
pub(crate) struct Sweep {
    case: &'static Case,
    attempts: Vec<Attempt>,
}

impl Sweep {
    fn reached(&self) -> Option<&Attempt> {
        self.attempts
            .last()
            .filter(|a| a.error.is_some_and(|e| e <= self.case.target))
    }
}

fn generate(exe: &Path, case: &Case, dir: &Path) -> Result<(), String> {
    let mut cmd = Command::new(exe);
    cmd.args(["generate", "--family", case.family, "--dim"])
        .arg(case.dim.to_string())
        .args(["--samples", "0", "--seed", "11", "--out"])
        .arg(dir);
    if let Some(k) = case.hidden {
        cmd.arg("--hidden").arg(k.to_string());
    }
    if let Some(l) = case.depth {
        cmd.arg("--depth").arg(l.to_string());
    }
    let out = cmd.output().map_err(|e| format!("cannot run relu-learn: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

fn attempt(exe: &Path, case: &Case, teacher: &Path, dir: &Path, n: usize) -> Attempt {
    let model = dir.join(format!("model-{n}.json"));
    let rep = dir.join(format!("report-{n}.json"));
    let mut cmd = Command::new(exe);
    cmd.args(["fit", "--learner", case.learner, "--samples"])
        .arg(n.to_string())
        .args(["--noise", "0.1", "--data-seed", "12", "--teacher"])
        .arg(teacher)
        .arg("--out")
        .arg(&model)
        .arg("--report")
        .arg(&rep);
    if let Some(k) = case.hidden {
        cmd.arg("--hidden").arg(k.to_string());
    }
    let failed = |failure: String| Attempt {
        n,
        failure: Some(failure),
        report: Value::Null,
        error: None,
    };
    if let Some(template) = case.params {
        let file = dir.join(format!("params-{n}.json"));
        if let Err(e) = std::fs::write(&file, template.replace("{n}", &n.to_string())) {
            return failed(format!("{}: {e}", file.display()));
        }
        cmd.arg("--params").arg(file);
    }
    match cmd.output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => return failed(String::from_utf8_lossy(&o.stderr).trim().to_owned()),
        Err(e) => return failed(format!("cannot run relu-learn: {e}")),
    }
    let Some(report) = std::fs::read(&rep)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return failed("no report written".to_owned());
    };
    let error = Command::new(exe)
        .args(["eval", "--json", "--samples", "200000", "--seed", "13", "--model"])
        .arg(&model)
        .arg("--teacher")
        .arg(teacher)
        .output()
        .ok()
        .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
        .and_then(|v| v["relative_error"].as_f64());
    Attempt {
        n,
        failure: None,
        report,
        error,
    }
}

/// Runs every case's sweep (release `relu-learn` must be built).
pub(crate) fn runs(root: &Path) -> Vec<Sweep> {
    let exe = root.join("target/release/relu-learn");
    let mut out = Vec::new();
    for case in CASES {
        let dir = root.join("target/bench/targets").join(case.learner);
        let _ = std::fs::create_dir_all(&dir);
        let mut sweep = Sweep {
            case,
            attempts: Vec::new(),
        };
        if let Err(e) = generate(&exe, case, &dir) {
            eprintln!("xtask: cannot plant the {} teacher: {e}", case.learner);
            out.push(sweep);
            continue;
        }
        let teacher = dir.join("teacher.json");
        for &n in case.ns {
            let a = attempt(&exe, case, &teacher, &dir, n);
            eprintln!(
                "xtask: time to target: {} n = {n}: {}",
                case.learner,
                match (&a.failure, a.error) {
                    (Some(f), _) => format!("failed: {f}"),
                    (None, Some(e)) => format!("error {e:.2e} in {:.2} s", seconds(&a.report)),
                    (None, None) => "no error measured".to_owned(),
                }
            );
            let done = a.error.is_some_and(|e| e <= case.target);
            sweep.attempts.push(a);
            if done {
                break;
            }
        }
        out.push(sweep);
    }
    out
}

fn seconds(report: &Value) -> f64 {
    report["total_seconds"].as_f64().unwrap_or(f64::NAN)
}

/// The stages of a fit report, largest share first, as
/// `polish 61 %, moments 30 %` (stages under 5 % left out).
fn profile(report: &Value) -> String {
    let total = seconds(report);
    let mut st: Vec<(String, f64)> = report["stages"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["stage"].as_str().unwrap_or("?").to_owned(),
                        s["seconds"].as_f64().unwrap_or(0.0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    st.sort_by(|a, b| b.1.total_cmp(&a.1));
    let shown: Vec<String> = st
        .iter()
        .filter(|(_, t)| total > 0.0 && *t >= 0.05 * total)
        .map(|(name, t)| format!("{name} {:.0} %", 100.0 * t / total))
        .collect();
    if shown.is_empty() {
        "–".to_owned()
    } else {
        shown.join(", ")
    }
}

fn teacher_label(c: &Case) -> String {
    match (c.family, c.hidden, c.depth) {
        ("single", _, _) => format!("single ReLU, d = {}", c.dim),
        (f, Some(k), Some(l)) => format!("{f}, d = {}, depth {l}, width {k}", c.dim),
        (f, Some(k), None) => format!("{f}, d = {}, k = {k}", c.dim),
        (f, None, _) => format!("{f}, d = {}", c.dim),
    }
}

/// The markdown section (starts with `\n## Time to target error`).
pub(crate) fn section(sweeps: &[Sweep]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{HEAD} (2 threads)\n\nEach learner on a teacher of the family its paper addresses, fitted by `relu-learn fit \
         --teacher T --samples n --noise 0.1` for growing n until the relative test error (`relu-learn eval`, 2·10⁵ \
         fresh noise-free samples) is at most the target. \"seconds\" is the fit time at that n (the time to \
         target); \"used\" is how many of the n samples the learner read; the profile is the fit report's stage \
         times at that n (stages under 5 % omitted). A learner that misses the target shows its best error and \
         the profile of that fit. Default parameters, except that `alphatron` (`train_size`), `bounded-weight` \
         (`samples`) and `exact-erm` (`max_points`) are told to use all n rows. Targets: 10⁻³ for the proper \
         learners; 5·10⁻² for the improper kernel learners (`kernel`, `alphatron`), whose error has a floor set \
         by the kernel; 10⁻² for `bounded-weight`, whose net of resolution 0.25 sets its floor.\n\n\
         | learner | teacher | target | n at target | used | seconds | rel. error | profile at that n | errors along the sweep |\n\
         |---|---|---|---|---|---|---|---|---|"
    );
    for sw in sweeps {
        let c = sw.case;
        let trail: Vec<String> = sw
            .attempts
            .iter()
            .map(|a| match (&a.failure, a.error) {
                (Some(_), _) => format!("{}: failed", a.n),
                (None, Some(e)) => format!("{}: {e:.1e}", a.n),
                (None, None) => format!("{}: –", a.n),
            })
            .collect();
        let used = |a: &Attempt| {
            a.report["report"]["samples_used"]
                .as_u64()
                .map_or("–".to_owned(), |u| u.to_string())
        };
        let (n, used, secs, err, prof) = if let Some(a) = sw.reached() {
            (
                a.n.to_string(),
                used(a),
                format!("{:.2}", seconds(&a.report)),
                a.error.map_or("–".to_owned(), |e| format!("{e:.2e}")),
                profile(&a.report),
            )
        } else {
            let best = sw
                .attempts
                .iter()
                .filter_map(|a| a.error.map(|e| (e, a)))
                .min_by(|x, y| x.0.total_cmp(&y.0));
            (
                format!("not reached by {}", sw.attempts.last().map_or(0, |a| a.n)),
                best.map_or("–".to_owned(), |(_, a)| used(a)),
                "–".to_owned(),
                best.map_or("–".to_owned(), |(e, a)| format!("best {e:.2e} (n = {})", a.n)),
                best.map_or("–".to_owned(), |(_, a)| profile(&a.report)),
            )
        };
        let _ = writeln!(
            s,
            "| {} | {} | {:.0e} | {n} | {used} | {secs} | {err} | {prof} | {} |",
            c.learner,
            teacher_label(c),
            c.target,
            trail.join(", ")
        );
    }
    s
}

/// The heading that starts the section.
pub(crate) const HEAD: &str = "## Time to target error";
