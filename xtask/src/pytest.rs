//! `cargo xtask test`: the Rust tests, then the Python package's tests.
//!
//! The Python side runs in a virtual environment of its own,
//! `target/python-venv` (made with `python3 -m venv` on first use), into
//! which `python/requirements-test.txt` and then the package itself
//! (`pip install ./python`, built by maturin in release mode into this
//! workspace's `target/`, so the Rust dependencies are built once) are
//! installed; then `pytest python/tests`. The release `relu-learn` binary is
//! built too, so that the tests can compare a Python fit with the command
//! line's (`RELU_LEARN_BIN`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn ok(code: ExitCode) -> bool {
    code == ExitCode::SUCCESS
}

/// Runs the Rust tests (unless `--python-only`) and the Python tests
/// (unless `--rust-only`); extra arguments go to pytest.
pub(crate) fn run(root: &Path, args: &[String], cargo: impl Fn() -> Command) -> ExitCode {
    let rust = !args.iter().any(|a| a == "--python-only");
    let python = !args.iter().any(|a| a == "--rust-only");
    let pytest_args: Vec<&String> = args
        .iter()
        .filter(|a| *a != "--python-only" && *a != "--rust-only")
        .collect();
    if rust {
        let code = crate::run(cargo().args(["test", "--workspace"]));
        if !ok(code) {
            return code;
        }
    }
    if !python {
        return ExitCode::SUCCESS;
    }
    let py = match prepare(root, &cargo) {
        Ok(py) => py,
        Err(code) => return code,
    };
    let mut pytest = Command::new(&py);
    pytest
        .args(["-m", "pytest", "-q", "python/tests"])
        .args(pytest_args)
        .env("RELU_LEARN_BIN", root.join("target/release/relu-learn"));
    crate::run(&mut pytest)
}

/// The Python of `target/python-venv` with the test requirements and this
/// tree's package installed, and the release `relu-learn` binary built
/// (`target/release/relu-learn`); made on first use.
///
/// # Errors
/// The failing step's exit code (its output says why).
pub(crate) fn prepare(root: &Path, cargo: &impl Fn() -> Command) -> Result<PathBuf, ExitCode> {
    let venv = root.join("target/python-venv");
    let py = venv.join("bin/python");
    if !py.exists() {
        let code = crate::run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
        if !ok(code) {
            eprintln!(
                "xtask: cannot make a virtual environment; install python3 and its venv module (Debian: python3-venv)"
            );
            return Err(code);
        }
    }
    // maturin (run by pip without build isolation) is found on the venv's PATH.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![venv.join("bin")];
    paths.extend(std::env::split_paths(&path));
    let path = std::env::join_paths(paths).unwrap_or(path);
    let pip = |extra: &[&str]| {
        let mut c = Command::new(&py);
        c.env("PATH", &path).env("VIRTUAL_ENV", &venv);
        c.args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .args(extra);
        c
    };
    let steps: [Command; 3] = [
        pip(&["-r", "python/requirements-test.txt"]),
        {
            let mut c = pip(&[
                "--no-build-isolation",
                "--force-reinstall",
                "--no-deps",
                "./python",
            ]);
            c.env("CARGO_TARGET_DIR", root.join("target"));
            c
        },
        {
            let mut c = cargo();
            c.args(["build", "--release", "--quiet", "-p", "relu-learn"]);
            c
        },
    ];
    for mut step in steps {
        let code = crate::run(&mut step);
        if !ok(code) {
            return Err(code);
        }
    }
    Ok(py)
}
