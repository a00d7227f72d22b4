//! The relu-learn application: the `relu-learn` command line, model and
//! data files, experiment suites with their tables, and progress display.
//!
//! This is the only crate of the workspace that reads or writes files,
//! reads the clock or prints. Library crates return typed errors; here they
//! become one-line messages and exit code 2.
//!
//! # Commands
//! ```text
//! relu-learn generate --family NAME --dim D --hidden K [--depth L] [--samples N] [--noise S] --seed S --out DIR
//! relu-learn eval --model M.json (--teacher T.json [--samples N] [--seed S] | --x X.npy --y Y.npy) [--json]
//! relu-learn predict --model M.json --x X.npy --out YHAT.npy
//! relu-learn reproduce [SUITE ...] [--full] [--out DIR] [--docs DIR]
//! ```
//! Every command takes `--threads T` (default: all cores). Results do not
//! depend on it.

// The application is where printing happens (see ARCHITECTURE.md).
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod cli;
pub mod commands;
mod io_context;
pub mod model_io;
pub mod npy;
pub mod output;
pub mod plots;
pub mod progress;
pub mod provenance;
pub mod suites;
