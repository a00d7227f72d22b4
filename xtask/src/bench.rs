//! `cargo xtask bench`: runs the criterion benches, then reads criterion's
//! JSON output and writes a performance report: every moment estimator as
//! effective GFLOP/s and as % of faer's GEMM rate measured in the same run,
//! decomposition and forward-pass times, and the peak memory of streamed
//! moment estimates at growing n. `--python` instead runs the Python
//! package's benchmarks (`python/benches/bench.py`) and writes their section.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use serde_json::Value;

/// One criterion result.
struct Bench {
    group: String,
    function: String,
    param: String,
    mean_ns: f64,
    elements: Option<f64>,
}

fn collect(dir: &Path, since: SystemTime, out: &mut Vec<Bench>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "new") {
                let (b, est) = (p.join("benchmark.json"), p.join("estimates.json"));
                let fresh = std::fs::metadata(&est)
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t >= since);
                if !fresh {
                    continue;
                }
                let (Ok(bt), Ok(et)) = (std::fs::read_to_string(&b), std::fs::read_to_string(&est)) else {
                    continue;
                };
                let (Ok(bv), Ok(ev)) = (
                    serde_json::from_str::<Value>(&bt),
                    serde_json::from_str::<Value>(&et),
                ) else {
                    continue;
                };
                out.push(Bench {
                    group: bv["group_id"].as_str().unwrap_or("").to_owned(),
                    function: bv["function_id"].as_str().unwrap_or("").to_owned(),
                    param: bv["value_str"].as_str().unwrap_or("").to_owned(),
                    mean_ns: ev["mean"]["point_estimate"].as_f64().unwrap_or(f64::NAN),
                    elements: bv["throughput"]["Elements"].as_f64(),
                });
            } else {
                collect(&p, since, out);
            }
        }
    }
}

fn rss_runs(root: &Path) -> Vec<(usize, Value)> {
    let exe = root.join("target/release/relu-learn");
    let dir = root.join("target/bench");
    let _ = std::fs::create_dir_all(&dir);
    let teacher = dir.join("teacher");
    let ok = Command::new(&exe)
        .args([
            "generate",
            "--family",
            "random",
            "--dim",
            "100",
            "--hidden",
            "10",
            "--samples",
            "0",
            "--seed",
            "1",
            "--out",
        ])
        .arg(&teacher)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        return Vec::new();
    }
    [1_000_000usize, 10_000_000]
        .iter()
        .filter_map(|&n| {
            let out = Command::new(&exe)
                .args([
                    "moments",
                    "--order",
                    "2",
                    "--json",
                    "--samples",
                    &n.to_string(),
                    "--teacher",
                ])
                .arg(teacher.join("teacher.json"))
                .output()
                .ok()?;
            let v: Value = serde_json::from_slice(&out.stdout).ok()?;
            Some((n, v))
        })
        .collect()
}

/// The heading of the streamed-learner section.
const STREAM_HEAD: &str = "## Learners from a planted stream";

/// One learner run on a planted stream: (learner, n, the fit report, the
/// relative test error from `eval`).
/// A streamed fit: learner, n, the fit's report, the evaluation (`eval --json`)
/// and the teacher's parameter count.
type LearnerRun = (String, usize, Value, Option<Value>, usize);

/// `atv` and `narrow` fitted from a planted stream in d = 100 (k = 10
/// biased for atv, k = 4 signed for narrow, label noise 0.1), nothing
/// materialised: time, peak RSS (flat in n) and the slowest stage.
fn learner_runs(root: &Path, ns: &[usize]) -> Vec<LearnerRun> {
    let exe = root.join("target/release/relu-learn");
    let dir = root.join("target/bench");
    let _ = std::fs::create_dir_all(&dir);
    let mut out = Vec::new();
    for (learner, family, k) in [("atv", "biased", "10"), ("narrow", "signed", "4")] {
        let tdir = dir.join(format!("teacher-{learner}"));
        let ok = Command::new(&exe)
            .args([
                "generate",
                "--family",
                family,
                "--dim",
                "100",
                "--hidden",
                k,
                "--samples",
                "0",
            ])
            .args(["--seed", "7", "--out"])
            .arg(&tdir)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            continue;
        }
        let teacher = tdir.join("teacher.json");
        // 10⁸ is the atv target's size (d = 100, k = 10); narrow stops at 10⁷.
        for &n in ns.iter().filter(|&&n| learner == "atv" || n <= 10_000_000) {
            eprintln!("xtask: {learner} on {n} streamed samples (d = 100)");
            let model = dir.join(format!("{learner}-{n}.json"));
            let rep = dir.join(format!("{learner}-{n}-report.json"));
            let fit = Command::new(&exe)
                .args([
                    "fit",
                    "--learner",
                    learner,
                    "--hidden",
                    k,
                    "--samples",
                    &n.to_string(),
                ])
                .args(["--noise", "0.1", "--data-seed", "8", "--teacher"])
                .arg(&teacher)
                .arg("--out")
                .arg(&model)
                .arg("--report")
                .arg(&rep)
                .output();
            let Ok(fit) = fit else { continue };
            if !fit.status.success() {
                eprintln!(
                    "xtask: {learner} failed: {}",
                    String::from_utf8_lossy(&fit.stderr)
                );
                continue;
            }
            let Some(report) = std::fs::read(&rep)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            else {
                continue;
            };
            let eval = Command::new(&exe)
                .args(["eval", "--json", "--samples", "1000000", "--model"])
                .arg(&model)
                .arg("--teacher")
                .arg(&teacher)
                .output()
                .ok()
                .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok());
            let k: usize = k.parse().unwrap_or(0);
            out.push((learner.to_owned(), n, report, eval, k * (100 + 2) + 1));
        }
    }
    out
}

/// The numbers in a parameter string such as `d100_n100000_t2`, for sorting.
fn numbers(param: &str) -> Vec<u64> {
    param
        .split('_')
        .map(|p| {
            p.trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .parse()
                .unwrap_or(0)
        })
        .collect()
}

/// Builds the report from the benches found and the memory runs.
fn report(benches: &[Bench], rss: &[(usize, Value)], learners: &[LearnerRun], machine: &str) -> String {
    let mut s =
        String::from("<!-- GENERATED by `cargo xtask bench`; do not edit by hand. -->\n\n# Performance\n\n");
    let _ = writeln!(
        s,
        "Machine: {machine}. Criterion means; GFLOP/s are 10⁹ floating-point operations per second.\n"
    );
    write_gemm(&mut s, benches);
    write_moments(&mut s, benches);
    write_decompositions(&mut s, benches);
    write_forward(&mut s, benches);
    if !rss.is_empty() {
        write_streaming_memory(&mut s, rss);
    }
    if !learners.is_empty() {
        write_learners(&mut s, learners);
    }
    s
}

/// faer's GEMM rate (flops per nanosecond) on the thread count `label`
/// (`t1`, `t2`), if that bench ran.
fn gemm_rate(benches: &[Bench], label: &str) -> Option<f64> {
    benches
        .iter()
        .find(|b| b.group == "gemm" && b.param.ends_with(label))
        .and_then(|b| b.elements.map(|e| e / b.mean_ns))
}

/// The reference section: faer's GEMM rate on 1 and 2 threads.
fn write_gemm(s: &mut String, benches: &[Bench]) {
    let _ = writeln!(
        s,
        "## Reference: faer GEMM (2000 × 2000 × 2000, 2n³ flops)\n\n| threads | GFLOP/s |\n|---|---|"
    );
    for (label, name) in [("t1", "1"), ("t2", "2")] {
        if let Some(r) = gemm_rate(benches, label) {
            let _ = writeln!(s, "| {name} | {r:.1} |");
        }
    }
}

/// The moment-estimator section: effective GFLOP/s and % of the GEMM rate.
fn write_moments(s: &mut String, benches: &[Bench]) {
    let _ = writeln!(
        s,
        "\n## Moment estimators\n\nEffective flops are `2 n d²` per contraction, what a dense `Xᵀ diag(w) X` GEMM of the same \
         problem costs; the estimator computes only the lower triangle (about half of that), plus per-batch \
         standard-error sums. `% GEMM` compares effective GFLOP/s with the GEMM rate on the same thread count; \
         the target at d ≥ 100 on 2 threads is 60 %.\n\n| estimator | source | d | n | threads | time (ms) | effective GFLOP/s | % GEMM |\n|---|---|---|---|---|---|---|---|"
    );
    let mut moments: Vec<&Bench> = benches.iter().filter(|b| b.group == "moments").collect();
    moments.sort_by_key(|b| (numbers(&b.param), b.function.clone()));
    for b in moments {
        let parts: Vec<&str> = b.param.split('_').collect();
        let (d, n, t) = (
            parts.first().unwrap_or(&""),
            parts.get(1).unwrap_or(&""),
            parts.get(2).unwrap_or(&""),
        );
        let (est, source) = b.function.split_once('_').unwrap_or((&b.function, ""));
        let rate = b.elements.map(|e| e / b.mean_ns);
        let pct = rate
            .zip(gemm_rate(benches, t))
            .map_or("–".to_owned(), |(r, g)| format!("{:.0} %", 100.0 * r / g));
        let _ = writeln!(
            s,
            "| {est} | {source} | {} | {} | {} | {:.1} | {} | {pct} |",
            d.trim_start_matches('d'),
            n.trim_start_matches('n'),
            t.trim_start_matches('t'),
            b.mean_ns / 1e6,
            rate.map_or("–".to_owned(), |r| format!("{r:.1}"))
        );
    }
}

/// The decomposition section: one time per backend, dimension and rank.
fn write_decompositions(s: &mut String, benches: &[Bench]) {
    let _ = writeln!(
        s,
        "\n## Decomposition backends (exact order-3 CP tensors, random unit factors, 1 thread)\n\n| backend | d | rank | time (ms) |\n|---|---|---|---|"
    );
    let mut dec: Vec<&Bench> = benches.iter().filter(|b| b.group == "decompose").collect();
    dec.sort_by_key(|b| (b.function.clone(), numbers(&b.param)));
    for b in dec {
        let (d, r) = b.param.split_once('_').unwrap_or((&b.param, ""));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.2} |",
            b.function,
            d.trim_start_matches('d'),
            r.trim_start_matches('r'),
            b.mean_ns / 1e6
        );
    }
}

/// The forward-pass and planted-stream section: time and samples per second.
fn write_forward(s: &mut String, benches: &[Bench]) {
    let _ = writeln!(
        s,
        "\n## Forward pass and planted stream\n\n| benchmark | time (ms) | samples/s |\n|---|---|---|"
    );
    for b in benches
        .iter()
        .filter(|b| b.group == "forward" || b.group == "planted")
    {
        let rate = b
            .elements
            .map_or("–".to_owned(), |e| format!("{:.3e}", e / b.mean_ns * 1e9));
        let _ = writeln!(
            s,
            "| {}/{} | {:.2} | {rate} |",
            b.group,
            b.function,
            b.mean_ns / 1e6
        );
    }
}

/// The streaming-memory section: `moments` runs at growing n.
fn write_streaming_memory(s: &mut String, rss: &[(usize, Value)]) {
    let _ = writeln!(
        s,
        "\n## Streaming memory\n\n`relu-learn moments --order 2` on a planted stream (d = 100, k = 10, 2 threads): peak RSS stays flat in n.\n\n| n | time (s) | effective GFLOP/s | peak RSS (MiB) |\n|---|---|---|---|"
    );
    for (n, v) in rss {
        let _ = writeln!(
            s,
            "| {n} | {:.2} | {:.1} | {:.1} |",
            v["wall_seconds"].as_f64().unwrap_or(f64::NAN),
            v["effective_gflops"].as_f64().unwrap_or(f64::NAN),
            v["peak_rss_bytes"].as_f64().unwrap_or(f64::NAN) / 1048576.0
        );
    }
}

/// The streamed-learner section: time, peak memory, error and slowest stage.
fn write_learners(s: &mut String, learners: &[LearnerRun]) {
    let _ = writeln!(
        s,
        "\n{STREAM_HEAD} (d = 100, 2 threads)\n\n`relu-learn fit --teacher T --samples n --noise 0.1`: `atv` on a biased network with k = 10, `narrow` on a signed bias-free one with k = 4; samples are generated chunk by chunk and never stored, so the peak memory does not grow with n. The relative error is `relu-learn eval` against the noise-free teacher on 10⁶ fresh samples; the efficiency is its excess error over the statistical limit σ²p/n (p parameters, n the 90 % training rows, σ = 0.1); \"× moments\" is the fit's time over the time of its moment stages; passes are the reads of the data (rows read / n).\n\n\
 | learner | n | seconds | × moments | passes | peak RSS (MiB) | rel. error | excess / (σ²p/n) | slowest stage |\n|---|---|---|---|---|---|---|---|---|"
    );
    for (learner, n, r, eval, p) in learners {
        let total = r["total_seconds"].as_f64().unwrap_or(f64::NAN);
        let moments: f64 = r["stages"]
            .as_array()
            .map(|st| {
                st.iter()
                    .filter(|x| x["stage"].as_str().is_some_and(|n| n.contains("moments")))
                    .filter_map(|x| x["seconds"].as_f64())
                    .sum()
            })
            .unwrap_or(f64::NAN);
        let field = |k: &str| eval.as_ref().and_then(|v| v[k].as_f64());
        let limit = 0.01 * *p as f64 / (0.9 * *n as f64);
        let _ = writeln!(
            s,
            "| {learner} | {n} | {total:.1} | {:.1} | {} | {:.1} | {} | {} | {} |",
            total / moments,
            r["report"]["data_passes"]
                .as_f64()
                .map_or("–".to_owned(), |v| format!("{v:.1}")),
            r["peak_rss_bytes"].as_f64().unwrap_or(f64::NAN) / 1048576.0,
            field("relative_error").map_or("–".to_owned(), |e| format!("{e:.2e}")),
            field("mse").map_or("–".to_owned(), |e| format!("{:.2}", e / limit)),
            slowest_stage(r)
        );
    }
}

/// The slowest stage of a fit report as `stage (seconds s)`, "–" if none.
fn slowest_stage(report: &Value) -> String {
    report["stages"]
        .as_array()
        .and_then(|st| {
            st.iter().max_by(|a, b| {
                a["seconds"]
                    .as_f64()
                    .unwrap_or(0.0)
                    .total_cmp(&b["seconds"].as_f64().unwrap_or(0.0))
            })
        })
        .map_or("–".to_owned(), |st| {
            format!(
                "{} ({:.1} s)",
                st["stage"].as_str().unwrap_or("?"),
                st["seconds"].as_f64().unwrap_or(f64::NAN)
            )
        })
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    format!("{cpu}, {cpus} logical CPUs")
}

/// Where the section of `t` that starts with `head` lies (up to the next
/// `## ` heading or the end).
fn section_span(t: &str, head: &str) -> Option<(usize, usize)> {
    let i = t.find(head)?;
    let end = t[i + head.len()..]
        .find("\n## ")
        .map_or(t.len(), |k| i + head.len() + k + 1);
    Some((i, end))
}

/// Replaces the section of `old` that starts with `head` (up to the next
/// `## ` heading or the end) by the one of `new`; `None` if either lacks it.
fn replace_section(old: &str, new: &str, head: &str) -> Option<String> {
    let ((i, e), (j, f)) = (section_span(old, head)?, section_span(new, head)?);
    Some(format!("{}{}{}", &old[..i], &new[j..f], &old[e..]))
}

/// Runs the benches (extra arguments go to criterion) and writes the report.
///
/// `--scale` (not passed to criterion) adds atv's 10⁸-sample run (about
/// twenty minutes); without it the learners run at 10⁶ and 10⁷.
/// `--learners-only` skips criterion and replaces only the two learner
/// sections (streamed fits and time to target) of `docs/performance.md`;
/// `--targets-only` only the time-to-target one. Both also write
/// `target/bench/report.md`.
pub(crate) fn run(root: &Path, args: &[String], cargo: &mut Command) -> Result<PathBuf, String> {
    let scale = args.iter().any(|a| a == "--scale");
    let targets_only = args.iter().any(|a| a == "--targets-only");
    let learners_only = targets_only || args.iter().any(|a| a == "--learners-only");
    let args: Vec<String> = args
        .iter()
        .filter(|a| !matches!(a.as_str(), "--scale" | "--learners-only" | "--targets-only"))
        .cloned()
        .collect();
    let ns: &[usize] = if scale {
        &[1_000_000, 10_000_000, 100_000_000]
    } else {
        &[1_000_000, 10_000_000]
    };
    let since = SystemTime::now();
    if !learners_only {
        let status = cargo
            .args(["bench", "--workspace", "--bench", "*", "--"])
            .arg("--noplot")
            .args(&args)
            .current_dir(root)
            .status()
            .map_err(|e| format!("cannot run cargo bench: {e}"))?;
        if !status.success() {
            return Err("cargo bench failed".to_owned());
        }
    }
    let build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["build", "--release", "--quiet", "-p", "relu-learn"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot build relu-learn: {e}"))?;
    let (rss, learners, sweeps) = if build.success() {
        (
            if learners_only { Vec::new() } else { rss_runs(root) },
            if targets_only {
                Vec::new()
            } else {
                learner_runs(root, ns)
            },
            crate::targets::runs(root),
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let mut benches = Vec::new();
    collect(&root.join("target/criterion"), since, &mut benches);
    let mut text = report(&benches, &rss, &learners, &machine());
    if !sweeps.is_empty() {
        text.push_str(&crate::targets::section(&sweeps));
    }
    let out = root.join("target/bench/report.md");
    let _ = std::fs::create_dir_all(root.join("target/bench"));
    std::fs::write(&out, &text).map_err(|e| format!("{}: {e}", out.display()))?;
    // The committed copy is refreshed only from a complete run.
    let docs = root.join("docs/performance.md");
    if args.is_empty() && !learners_only {
        // The Python section comes from `--python`: keep it.
        let old = std::fs::read_to_string(&docs).unwrap_or_default();
        let text = match section_span(&old, PYTHON_HEAD) {
            Some((i, e)) => format!("{}\n\n{}", text.trim_end_matches('\n'), &old[i..e]),
            None => text.clone(),
        };
        std::fs::write(&docs, &text).map_err(|e| format!("docs/performance.md: {e}"))?;
    } else if learners_only {
        // Replace only the sections that were re-run.
        let mut doc = std::fs::read_to_string(&docs).map_err(|e| format!("docs/performance.md: {e}"))?;
        let mut heads = vec![crate::targets::HEAD];
        if !targets_only {
            heads.push(STREAM_HEAD);
        }
        for head in heads {
            match replace_section(&doc, &text, head) {
                Some(new) => doc = new,
                // A section new to the committed copy goes at its end.
                None => {
                    if let Some((j, e)) = section_span(&text, head) {
                        doc = format!("{}\n{}", doc.trim_end_matches('\n'), &text[j..e]);
                    }
                }
            }
        }
        std::fs::write(&docs, doc).map_err(|e| format!("docs/performance.md: {e}"))?;
    }
    println!("{text}");
    Ok(out)
}

/// The heading of the Python section of `docs/performance.md`.
const PYTHON_HEAD: &str = "## Python and Dask";

/// `cargo xtask bench --python [--quick]`: prepares the Python environment
/// of `cargo xtask test`, runs `python/benches/bench.py` and writes its
/// section into `target/bench/report.md` and, unless `--quick`, into
/// `docs/performance.md` (replacing the old section).
pub(crate) fn python(root: &Path, args: &[String], cargo: impl Fn() -> Command) -> Result<PathBuf, String> {
    let quick = args.iter().any(|a| a == "--quick");
    let py = crate::pytest::prepare(root, &cargo)
        .map_err(|_| "preparing the Python environment failed (see above)".to_owned())?;
    let _ = std::fs::create_dir_all(root.join("target/bench"));
    let json = root.join("target/bench/python.json");
    let mut cmd = Command::new(&py);
    cmd.arg("python/benches/bench.py")
        .arg("--out")
        .arg(&json)
        .env("RELU_LEARN_BIN", root.join("target/release/relu-learn"))
        .current_dir(root);
    if quick {
        cmd.arg("--quick");
    }
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run python/benches/bench.py: {e}"))?;
    if !status.success() {
        return Err("python/benches/bench.py failed".to_owned());
    }
    let text = std::fs::read_to_string(&json).map_err(|e| format!("{}: {e}", json.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json.display()))?;
    let section = python_section(&v, &machine());
    let out = root.join("target/bench/report.md");
    std::fs::write(&out, &section).map_err(|e| format!("{}: {e}", out.display()))?;
    if !quick {
        let docs = root.join("docs/performance.md");
        let doc = std::fs::read_to_string(&docs).map_err(|e| format!("docs/performance.md: {e}"))?;
        let doc = replace_section(&doc, &section, PYTHON_HEAD).unwrap_or_else(|| {
            format!(
                "{}\n\n{}",
                doc.trim_end_matches('\n'),
                section.trim_start_matches('\n')
            )
        });
        std::fs::write(&docs, doc).map_err(|e| format!("docs/performance.md: {e}"))?;
    }
    println!("{section}");
    Ok(out)
}

/// The Python section from the benchmark's JSON.
fn python_section(v: &Value, machine: &str) -> String {
    let num = |x: &Value, k: &str| x.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let yes = |x: &Value| {
        if x.get("same_model").and_then(Value::as_bool) == Some(true) {
            "yes"
        } else {
            "**no**"
        }
    };
    let mut s = format!(
        "\n{PYTHON_HEAD}\n\n`cargo xtask bench --python` (`python/benches/bench.py`; {machine}). Targets: the \
         Python package within 5 % of the command line's fit time at 10⁶ samples; a Dask fit on two \
         single-threaded local workers within 1.5× of the local two-thread fit at 10⁷ samples (d = 50); the \
         client's peak memory independent of n.\n\n\
         **Overhead.** atv on a biased network (d = 20, k = 4, σ = 0.1), medians of 5 runs on 2 threads: \
         `relu-learn fit --x --y --report` against `relu_learn.ATV(...).fit(X, y)` on the same arrays with \
         the same seed, the two taking turns to go first. The command line's fit time is its report's \
         `fit_seconds` (the fit alone); its process time adds starting, reading the two `.npy` files and \
         writing the model and report. Python's time is the whole `fit` call, its checks and conversions \
         included.\n\n\
         | n | command line, fit (s) | command line, process (s) | Python (s) | Python / command-line fit − 1 | same model |\n\
         |---|---|---|---|---|---|\n"
    );
    if let Some(o) = v.get("overhead") {
        let _ = writeln!(
            s,
            "| {} | {:.3} | {:.2} | {:.3} | {:+.1} % | {} |",
            num(o, "n"),
            num(o, "cli_fit_seconds"),
            num(o, "cli_wall_seconds"),
            num(o, "python_seconds"),
            100.0 * num(o, "overhead"),
            yes(o)
        );
    }
    s.push_str(
        "\n**Dask.** atv (d = 50, k = 5, σ = 0.1); the rows are generated on the workers in blocks of 5·10⁵ and \
         stay there. The Dask fit runs in a client process that never holds the rows (its peak resident \
         memory, the kernel's `VmHWM` of that process, is the last but one column); the local fit is `ATV(..., n_jobs=2).fit` on the same rows, \
         generated in a process of its own. Medians of 3 runs of each, alternating; Dask / local is the median of \
         the ratio of each Dask run to the local run next to it (each in brackets).\n\n\
         | n | blocks | local, 2 threads (s) | Dask, 2 × 1 workers (s) | Dask / local | jobs | rows fetched | client peak RSS (MiB) | same model |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for r in v.get("dask").and_then(Value::as_array).into_iter().flatten() {
        // The run of the client alone has no local fit to compare with.
        let (local, ratio, same) = if r.get("local_seconds").is_some() {
            let each = r
                .get("ratios")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|x| format!("{:.2}", x.as_f64().unwrap_or(f64::NAN)))
                .collect::<Vec<_>>()
                .join(", ");
            (
                format!("{:.1}", num(r, "local_seconds")),
                format!("{:.2} ({each})", num(r, "ratio")),
                yes(r),
            )
        } else {
            ("—".to_owned(), "— (client alone, one run)".to_owned(), "—")
        };
        let _ = writeln!(
            s,
            "| {} | {} | {local} | {:.1} | {ratio} | {} | {} | {:.0} | {same} |",
            num(r, "n"),
            num(r, "blocks"),
            num(r, "dask_seconds"),
            num(r, "jobs"),
            num(r, "rows_fetched"),
            num(r, "client_peak_rss_mib"),
        );
    }
    s.push_str(
        "\nPython's `fit` reads the numpy arrays in place (no copy for C-contiguous float64) and runs the same \
         fit with the GIL released, so what it adds (checks, conversions, the progress thread) is within the \
         run-to-run spread of the fit itself, and the difference can come out negative. The client's peak memory is the fit's own working set plus the rows it fetched, kept up to 512 MiB \
         (`CACHE_BYTES` in `python/src/remote.rs`): the polish's subsample (`polish_rows`: max(samples, 20 p, \
         flop budget / p²) rows, a bound independent of n) and the first rows that the checks and the robust \
         scale read. Passes over at most a quarter of the rows and 256 MiB run at the client on rows it holds; \
         every other pass runs on the workers, the refinement's curvature rows included (max(4 m, 10 n/p) \
         rows for m polish rows).\n",
    );
    s
}
