//! Integration tests of the `relu-learn` application: one test binary.

mod bad_input;
mod cli;
mod matrix;
mod shards;
mod suites;
// Shared with the library's bad-input matrix.
#[path = "../../../learners/tests/it/what_to_do.rs"]
mod what_to_do;

use std::path::PathBuf;
use std::process::{Command, Output};

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relu-learn-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary with `args` on one thread count.
pub fn relu_learn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relu-learn"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Stdout of a successful run.
pub fn ok(args: &[&str]) -> String {
    let out = relu_learn(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The bytes of a C-order `.npy` file with this dtype, shape and data.
pub fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Little-endian float64 bytes.
pub fn f64s(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}
