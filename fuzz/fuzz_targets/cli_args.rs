//! The command-line parser: any argument list (NUL-separated in the input)
//! parses or gives clap's error, never a panic.
#![no_main]

use clap::Parser;
use libfuzzer_sys::fuzz_target;
use relu_learn::cli::Cli;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let args = std::iter::once("relu-learn").chain(text.split('\0'));
    if let Err(e) = Cli::try_parse_from(args) {
        // Rendering the message is part of the error path users see.
        let _ = e.render().to_string();
    }
});
