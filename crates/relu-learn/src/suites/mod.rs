//! Experiment suites: each runs a grid of experiments and returns tables.
//!
//! Suites are registered in [`registry`]; `relu-learn reproduce` runs them
//! and `cargo xtask reproduce` wraps that. Every suite has a quick size (the
//! default; all quick suites together take minutes on two cores) and a full
//! size, and derives every random choice from the context's seed, so a
//! rerun reproduces its tables.

use anyhow::Result;
use faer::Par;
use relu_net::Seed;

use crate::output::SuiteOutput;

mod deep;
mod efficiency;
mod gd_fails;
mod hardness;
mod init;
mod kernel;
mod recovery;
mod samples;
mod scaling;
mod stress;
mod theory;
mod tropical;

/// How big a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// A few seconds per suite; used by the test suite to check that every
    /// suite runs end to end.
    Smoke,
    /// The default: minutes for all suites together.
    Quick,
    /// The paper-style grids.
    Full,
}

/// What a suite gets to run with.
#[derive(Clone, Copy, Debug)]
pub struct SuiteContext {
    /// The size of the run.
    pub size: Size,
    /// The base seed; suites derive everything from it.
    pub seed: Seed,
    /// Parallelism for the libraries.
    pub par: Par,
}

/// A registered experiment suite.
pub trait Suite: Sync {
    /// The suite's name (as typed on the command line).
    fn name(&self) -> &'static str;
    /// A one-line title.
    fn title(&self) -> &'static str;
    /// What the suite measures and how to read it (the Markdown under the
    /// title; also used to check that `docs/results/` is not stale).
    fn description(&self) -> &'static str;
    /// Runs the suite.
    ///
    /// # Errors
    /// Whatever the experiments report.
    fn run(&self, ctx: &SuiteContext) -> Result<SuiteOutput>;
}

/// Every registered suite, in the order `reproduce` runs them.
#[must_use]
pub fn registry() -> Vec<Box<dyn Suite>> {
    vec![
        Box::new(init::InitSuite),
        Box::new(recovery::RecoverySuite),
        Box::new(samples::SamplesSuite),
        Box::new(efficiency::EfficiencySuite),
        Box::new(deep::DeepSuite),
        Box::new(scaling::ScalingSuite),
        Box::new(tropical::TropicalSuite),
        Box::new(gd_fails::GdFailsSuite),
        Box::new(hardness::HardnessSuite),
        Box::new(kernel::KernelSuite),
        Box::new(stress::StressSuite),
        Box::new(theory::TheorySuite),
    ]
}
