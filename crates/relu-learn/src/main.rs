//! The `relu-learn` command line: see `relu-learn --help` and the crate
//! documentation of [`relu_learn`].

use std::process::ExitCode;

/// Large blocks freed are kept for the next chunk (see [`relu_net::alloc`]).
#[global_allocator]
static ALLOCATOR: relu_net::alloc::Recycling = relu_net::alloc::Recycling::new();

fn main() -> ExitCode {
    relu_learn::cli::main(std::env::args_os())
}
