//! The `relu-learn` command line: see `relu-learn --help` and the crate
//! documentation of [`relu_learn`].

use std::process::ExitCode;

fn main() -> ExitCode {
    relu_learn::cli::main(std::env::args_os())
}
