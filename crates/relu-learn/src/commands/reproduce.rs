//! `relu-learn reproduce`: run experiment suites, write their tables and docs, check them against baselines.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use faer::Par;
use relu_net::Seed;

use crate::cli::ReproduceArgs;
use crate::output::Table;
use crate::progress::Progress;
use crate::provenance::Provenance;
use crate::suites::{self, Size, SuiteContext};

/// `relu-learn reproduce`.
///
/// # Errors
/// Unknown suites, failures inside a suite, IO errors.
pub fn reproduce(a: &ReproduceArgs, par: Par, threads: usize) -> Result<()> {
    let registry = suites::registry();
    let mut out = std::io::stdout().lock();
    if a.list {
        for s in &registry {
            writeln!(out, "{:<12}{}", s.name(), s.title())?;
        }
        return Ok(());
    }
    let chosen: Vec<_> = if a.suites.is_empty() {
        registry.iter().collect()
    } else {
        a.suites
            .iter()
            .map(|name| {
                registry.iter().find(|s| s.name() == name).with_context(|| {
                    let names: Vec<_> = registry.iter().map(|s| s.name()).collect();
                    format!("unknown suite {name:?}: choose among {}", names.join(", "))
                })
            })
            .collect::<Result<_>>()?
    };
    let size = if a.full { Size::Full } else { Size::Quick };
    let provenance = Provenance::collect(threads);
    let start_all = Instant::now();
    let mut rows = 0;
    let mut failures = 0;
    let overall = Progress::rows(chosen.len() as u64, "reproduce");
    for suite in &chosen {
        overall.message(suite.name().to_owned());
        let start = Instant::now();
        let ctx = SuiteContext {
            size,
            seed: Seed(a.seed),
            par,
        };
        let result = suite
            .run(&ctx)
            .with_context(|| format!("suite {}", suite.name()))?;
        let secs = start.elapsed().as_secs_f64();
        rows += result.tables.iter().map(Table::len).sum::<usize>();
        writeln!(out, "{}", result.to_markdown())?;
        let dir = result.write(&a.out, &provenance, secs)?;
        writeln!(
            out,
            "({}: {:.1} s, files in {})\n",
            suite.name(),
            secs,
            dir.display()
        )?;
        if let Some(dir) = &a.check {
            let path = dir.join(format!("{}.json", suite.name()));
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "{}: no baseline; run `cargo xtask reproduce` first",
                    path.display()
                )
            })?;
            let baseline: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", path.display()))?;
            let diffs = result.check_against(&baseline);
            if diffs.is_empty() {
                writeln!(
                    out,
                    "check {}: every accuracy figure within tolerance",
                    suite.name()
                )?;
            } else {
                for d in &diffs {
                    writeln!(out, "check FAILED: {d}")?;
                }
                failures += diffs.len();
            }
        }
        // After the check, so that `--check DIR --docs DIR` compares with the
        // old baseline and then refreshes it.
        if let Some(docs) = a.docs.as_ref().filter(|_| size == Size::Quick) {
            result.write_docs(docs)?;
        }
        overall.inc(1);
    }
    overall.finish();
    if failures > 0 {
        bail!("{failures} accuracy figure(s) moved beyond their tolerance (listed above)");
    }
    writeln!(
        out,
        "done: {} suite(s), {rows} row(s), {:.1} s, results under {}",
        chosen.len(),
        start_all.elapsed().as_secs_f64(),
        a.out.display()
    )?;
    Ok(())
}
