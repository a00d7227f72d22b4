//! Developer tasks for the relu-learn workspace (`cargo xtask <task>`).
//!
//! Thin on purpose: every task shells out to cargo or to the `relu-learn`
//! binary, so what a task does can be read here in a minute.
//!
//! ```text
//! cargo xtask reproduce [SUITE ...] [--full] [ARGS ...]   run experiment suites (release build)
//! cargo xtask bench [FILTER ...] [--scale] [--learners-only | --targets-only]
//!                                                        run the benches, write a performance report
//! cargo xtask snap [--review]                             run (or accept) the insta snapshot tests
//! cargo xtask test [--rust-only | --python-only]         the Rust tests and the Python package's tests
//! cargo xtask ci                                         run what CI runs (.ci/run)
//! ```

// xtask talks to the developer on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod pytest;
mod targets;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

fn run(cmd: &mut Command) -> ExitCode {
    eprintln!("xtask: running {cmd:?}");
    match cmd.current_dir(root()).status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(s.code().map_or(1, |c| c.clamp(1, 255) as u8)),
        Err(e) => {
            eprintln!("xtask: cannot start {cmd:?}: {e}");
            ExitCode::from(1)
        }
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

const USAGE: &str = "usage: cargo xtask <task>
tasks:
  reproduce [SUITE ...] [--full] [ARGS ...]  run experiment suites; tables under target/reproduce/,
                                             quick runs also refresh docs/results/
  reproduce [SUITE ...] --check              re-run the quick suites and fail if an accuracy figure
                                             moved beyond its tolerance against docs/results/*.json
  bench [FILTER ...]                         run the criterion benches and write a report with GFLOP/s
                                             and % of the GEMM rate (target/bench/report.md; a full run
                                             also refreshes docs/performance.md), learners fitted from
                                             10⁶ and 10⁷ streamed samples and every learner's time to
                                             target error; --scale adds 10⁸ samples, --learners-only
                                             re-runs only the learner sections, --targets-only only
                                             the time to target; --python runs only the Python
                                             package's benchmarks (overhead over the CLI at 10⁶, Dask
                                             against local fits at 10⁶ and 10⁷, the client's memory;
                                             --quick: 10× fewer rows, not written to the docs)
  snap [--review]                            run the insta snapshot tests of canonicalised recovered
                                             parameters (relu-net, tensor-decomp, learners), each next to
                                             its error bound; --review accepts the new snapshots
  test [--rust-only | --python-only]         run every test: cargo test --workspace, then the Python
                                             package's pytest suite in target/python-venv (made and
                                             filled from the package registries on first use)
  ci                                         run what CI runs (bash .ci/run)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match task.as_str() {
        "reproduce" => {
            let full = rest.iter().any(|a| a == "--full");
            let mut cmd = cargo();
            cmd.args([
                "run",
                "--release",
                "--quiet",
                "-p",
                "relu-learn",
                "--",
                "reproduce",
            ]);
            let check = rest.iter().any(|a| a == "--check");
            cmd.args(rest.iter().filter(|a| *a != "--check"));
            cmd.args(["--out", "target/reproduce"]);
            if check {
                cmd.args(["--check", "docs/results"]);
            } else if !full {
                cmd.args(["--docs", "docs/results"]);
            }
            run(&mut cmd)
        }
        "bench" => {
            let written = if rest.iter().any(|a| a == "--python") {
                bench::python(&root(), rest, cargo)
            } else {
                bench::run(&root(), rest, &mut cargo())
            };
            match written {
                Ok(path) => {
                    eprintln!("xtask: report written to {}", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("xtask: {e}");
                    ExitCode::from(1)
                }
            }
        }
        "snap" => {
            let mut cmd = cargo();
            cmd.args([
                "test",
                "-p",
                "relu-net",
                "-p",
                "tensor-decomp",
                "-p",
                "learners",
                "--test",
                "it",
                "snapshots",
            ]);
            if rest.iter().any(|a| a == "--review") {
                cmd.env("INSTA_UPDATE", "always");
            }
            run(&mut cmd)
        }
        "test" => pytest::run(&root(), rest, cargo),
        "ci" => run(Command::new("bash").arg(".ci/run")),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("xtask: unknown task {other:?}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
