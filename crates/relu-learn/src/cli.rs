//! Command-line parsing and dispatch.
//!
//! Errors print as one line on standard error, `relu-learn: error: …`, and
//! exit with code 2; a panic (a bug) prints one line and exits with 101.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use faer::Par;

use crate::commands;

/// Learn ReLU networks from Gaussian samples with provable algorithms.
#[derive(Debug, Parser)]
#[command(name = "relu-learn", version, about, long_about = None)]
pub struct Cli {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true, value_name = "T")]
    pub threads: Option<usize>,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Plant a teacher network and write teacher.json, x.npy and y.npy.
    Generate(GenerateArgs),
    /// Learn a network from samples (files or a teacher stream).
    Fit(FitArgs),
    /// Compare a model with a teacher network or with labelled data.
    Eval(EvalArgs),
    /// Write a model's predictions on x.npy to a .npy file.
    Predict(PredictArgs),
    /// Estimate Hermite moment contractions from data or a teacher stream.
    Moments(MomentsArgs),
    /// Count and draw a network's linear (activation) regions; its tropical form.
    Regions(RegionsArgs),
    /// Generate a verified hard instance (vanishing moments, NP-hardness reductions).
    Hard(HardArgs),
    /// Run experiment suites and write their tables.
    Reproduce(ReproduceArgs),
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Planted family: random, conditioned, biased, close, signed, deep, single, cluster, generic.
    #[arg(long)]
    pub family: String,
    /// Input dimension d.
    #[arg(long)]
    pub dim: usize,
    /// Hidden units k (the width of every hidden layer for `deep`; 1 for `single`).
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Number of layers L for `deep` (default 3).
    #[arg(long)]
    pub depth: Option<usize>,
    /// Number of samples to write (0 writes only teacher.json).
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
    /// Standard deviation of Gaussian label noise.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub noise: f64,
    /// Seed of the teacher and the samples.
    #[arg(long)]
    pub seed: u64,
    /// Output directory (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Condition number κ of W for `conditioned` (default 10).
    #[arg(long, allow_negative_numbers = true)]
    pub kappa: Option<f64>,
    /// Biases uniform in [−β, β] for `biased` (default 1).
    #[arg(long, allow_negative_numbers = true)]
    pub bias_range: Option<f64>,
    /// Angle in radians between paired units for `close` (default 0.1).
    #[arg(long, allow_negative_numbers = true)]
    pub angle: Option<f64>,
    /// Standard deviation of hidden biases for `deep` (default 0.5).
    #[arg(long, allow_negative_numbers = true)]
    pub bias_std: Option<f64>,
    /// Hidden widths of `deep`, first layer first (e.g. 4,3,2; overrides --hidden and --depth).
    #[arg(long, value_delimiter = ',')]
    pub widths: Option<Vec<usize>>,
    /// Units per group for `cluster` (default 2; --angle is the group's largest angle).
    #[arg(long)]
    pub group: Option<usize>,
    /// Row norms log-uniform in [1/s, s] for `generic` (default 1).
    #[arg(long, allow_negative_numbers = true)]
    pub row_scale: Option<f64>,
    /// Output-weight signs: mixed (random signs, both occurring) or positive (the family's own).
    #[arg(long, default_value = "mixed", value_parser = ["mixed", "positive"])]
    pub signs: String,
    /// Added to the output bias.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub offset: f64,
    /// Multiplies the output layer.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub label_scale: f64,
    /// Inputs x = mean·1 + L z instead of z ~ N(0, I) (the teacher is written for x).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub mean: f64,
    /// Correlation ρ of neighbouring inputs, Σ_ij = ρ^|i−j| (0: independent).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub correlation: f64,
}

/// Where the samples come from, with the same flags in `fit` and
/// `moments`: a teacher's stream (memory flat in n) or `.npy` files.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Stream samples of this teacher (relu-net/v1 JSON) instead of reading files.
    #[arg(long, conflicts_with_all = ["x", "y"])]
    pub teacher: Option<PathBuf>,
    /// Samples of the teacher stream.
    #[arg(long, default_value_t = 1_000_000, requires = "teacher")]
    pub samples: usize,
    /// Label noise σ of the teacher stream.
    #[arg(
        long,
        default_value_t = 0.0,
        allow_negative_numbers = true,
        requires = "teacher"
    )]
    pub noise: f64,
    /// Seed of the teacher stream.
    #[arg(long, default_value_t = 0, requires = "teacher")]
    pub data_seed: u64,
    /// Inputs (n × d .npy).
    #[arg(long, requires = "y")]
    pub x: Option<PathBuf>,
    /// Labels (n or n × 1 .npy).
    #[arg(long, requires = "x")]
    pub y: Option<PathBuf>,
}

/// Arguments of `fit`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("data").required(true).args(["teacher", "x"])))]
pub struct FitArgs {
    /// Learner: atv, narrow, ckm, exact-erm, bounded-weight, kernel, glmtron, alphatron, gd (see docs/learners/).
    #[arg(long)]
    pub learner: String,
    /// The training samples.
    #[command(flatten)]
    pub data: SampleArgs,
    /// Hidden units (chosen from the data when the learner can): every hidden
    /// layer's width for ckm, one hidden layer for gd; kernel, glmtron and
    /// alphatron have none and reject it.
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Use only the first N samples.
    #[arg(long, value_name = "N")]
    pub samples_cap: Option<usize>,
    /// Learner parameters as JSON (the learner's Params; missing fields keep their defaults).
    #[arg(long, value_name = "P.json")]
    pub params: Option<PathBuf>,
    /// Seed of the learner's random choices.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write the fitted model.
    #[arg(long)]
    pub out: PathBuf,
    /// Where to write the report (diagnostics and time per stage) as JSON.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Where to write the paper's own stage's network (before any local
    /// optimisation; atv, narrow, ckm) as relu-net/v1, for `eval` against a
    /// teacher. A learner without such a stage writes nothing and says so.
    #[arg(long, value_name = "PATH")]
    pub provable_out: Option<PathBuf>,
    /// Take the inputs as N(0, I) and skip the input pass (mean, covariance, Gaussianity check, whitening).
    #[arg(long)]
    pub assume_standard: bool,
    /// Largest relative validation error of a fit that counts as recovered.
    #[arg(long, default_value_t = learners::recovery::RECOVERY_TOL)]
    pub recovery_tol: f64,
    /// Exit with code 3 when the fit did not recover a network.
    #[arg(long)]
    pub strict: bool,
}

/// Arguments of `hard`.
#[derive(Debug, Args)]
pub struct HardArgs {
    /// Family: planar, parity, lipschitz, hypergraph-2-colouring, graph-colouring.
    #[arg(long)]
    pub family: String,
    /// Input dimension d (planar, parity, lipschitz).
    #[arg(long, default_value_t = 20)]
    pub dim: usize,
    /// Degree k (planar, parity: even) or colours (graph-colouring).
    #[arg(long, default_value_t = 4)]
    pub k: usize,
    /// Slope Λ of the lipschitz bump.
    #[arg(long, default_value_t = 10.0)]
    pub lambda: f64,
    /// Offset c of the lipschitz bump's slab.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub offset: f64,
    /// Vertices of the (hyper)graph (colouring reductions).
    #[arg(long, default_value_t = 7)]
    pub vertices: usize,
    /// Edges of the (hyper)graph (colouring reductions).
    #[arg(long, default_value_t = 8)]
    pub edges: usize,
    /// Samples x ~ N(0, I), y = f(x) to write for the moment families (0: none).
    #[arg(long, default_value_t = 0)]
    pub samples: usize,
    /// Seed of the instance (and of the samples).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output directory: instance.json, teacher.json when there is a
    /// network, x.npy / y.npy for training sets and samples.
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `regions`.
#[derive(Debug, Args)]
pub struct RegionsArgs {
    /// The network (relu-net/v1 JSON, one output).
    #[arg(long)]
    pub model: PathBuf,
    /// The 2-D slice `o + s·u + t·v` as three comma-separated vectors
    /// separated by semicolons, `O;U;V` (default: the first two coordinate
    /// axes through 0).
    #[arg(long, conflicts_with = "cube")]
    pub slice: Option<String>,
    /// The slice's rectangle `s0,s1,t0,t1` (default -3,3,-3,3).
    #[arg(long, allow_hyphen_values = true)]
    pub rect: Option<String>,
    /// Enumerate the regions exactly (LP per branch) in the cube [-R, R]^d
    /// instead of slicing (small networks, d up to about 4).
    #[arg(long, alias = "box", allow_negative_numbers = true)]
    pub cube: Option<f64>,
    /// Most regions or cells before giving up.
    #[arg(long, default_value_t = 200_000)]
    pub max_regions: usize,
    /// Also build the tropical form G ⊘ H and report its size.
    #[arg(long)]
    pub tropical: bool,
    /// Write an SVG of the slice (cells coloured by activation pattern, the
    /// zero level set in black).
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `eval`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("against").required(true).args(["teacher", "x"])))]
pub struct EvalArgs {
    /// The model to evaluate (relu-net/v1 JSON).
    #[arg(long)]
    pub model: PathBuf,
    /// Compare with this teacher on fresh Gaussian samples.
    #[arg(long, conflicts_with_all = ["x", "y"])]
    pub teacher: Option<PathBuf>,
    /// Fresh samples drawn for `--teacher`.
    #[arg(long, default_value_t = 100_000, requires = "teacher")]
    pub samples: usize,
    /// Seed of the fresh samples for `--teacher`.
    #[arg(long, default_value_t = 0, requires = "teacher")]
    pub seed: u64,
    /// Test inputs (n × d .npy).
    #[arg(long, requires = "y")]
    pub x: Option<PathBuf>,
    /// Test labels (n or n × 1 .npy).
    #[arg(long, requires = "x")]
    pub y: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The model (relu-net/v1 JSON).
    #[arg(long)]
    pub model: PathBuf,
    /// Inputs (n × d .npy).
    #[arg(long)]
    pub x: PathBuf,
    /// Where to write the predictions (float64, shape (n,)).
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `moments`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").args(["teacher", "x", "merge"])))]
pub struct MomentsArgs {
    /// The samples.
    #[command(flatten)]
    pub data: SampleArgs,
    /// Order l ≥ 2 of the moment tensor E[y S_l(x)].
    #[arg(long, default_value_t = 2)]
    pub order: usize,
    /// Random unit contraction vectors (for order ≥ 3), all in one pass.
    #[arg(long, default_value_t = 1)]
    pub vectors: usize,
    /// Seed of the contraction vectors.
    #[arg(long, default_value_t = 0)]
    pub vector_seed: u64,
    /// Write the contractions (means and standard errors) as JSON here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Accumulate only shard I of N (contiguous chunks of the sample
    /// stream) and write the accumulator to `--accumulator`; run the N
    /// shards anywhere, then `--merge` them.
    #[arg(long, value_name = "I/N", requires = "accumulator")]
    pub shard: Option<String>,
    /// Where `--shard` writes its accumulator (JSON).
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub accumulator: Option<PathBuf>,
    /// Merge shard accumulators (any order) into the estimate one pass over
    /// all samples gives, bit for bit.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["shard", "samples", "noise", "data_seed", "order", "vectors", "vector_seed"])]
    pub merge: Vec<PathBuf>,
}

/// Arguments of `reproduce`.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// Suites to run (default: all registered suites).
    pub suites: Vec<String>,
    /// Run the quick size (the default).
    #[arg(long, conflicts_with = "full")]
    pub quick: bool,
    /// Run the full size (slower, larger grids and samples).
    #[arg(long)]
    pub full: bool,
    /// Output directory for tables, CSV and JSON.
    #[arg(long, default_value = "target/reproduce")]
    pub out: PathBuf,
    /// Also refresh the generated docs pages `<DIR>/<suite>.md`.
    #[arg(long, value_name = "DIR")]
    pub docs: Option<PathBuf>,
    /// Compare the accuracy figures with the baselines `<DIR>/<suite>.json`
    /// (written with the docs pages) and fail if any moved beyond its
    /// column's gate (see docs/reproducing.md); timings are ignored. With
    /// `--docs` the check reads the old baseline before the refresh.
    #[arg(long, value_name = "DIR")]
    pub check: Option<PathBuf>,
    /// Base seed of every suite.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// List the suites and exit.
    #[arg(long)]
    pub list: bool,
}

/// Sets up the thread pool and returns the `Par` to pass to the libraries.
fn setup_threads(threads: Option<usize>) -> anyhow::Result<(Par, usize)> {
    let available = std::thread::available_parallelism().map_or(1, usize::from);
    let t = threads.unwrap_or(available);
    if t == 0 {
        anyhow::bail!("--threads must be at least 1");
    }
    // A second initialisation (in tests) keeps the first pool; that is fine.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(t).build_global();
    let par = if t == 1 { Par::Seq } else { Par::rayon(t) };
    // Products written with `*` run on one thread: faer's parallel
    // matrix–vector products split the inner dimension by the thread count,
    // which would make a fit's bits depend on it (the learners crate docs: Determinism).
    faer::set_global_parallelism(Par::Seq);
    Ok((par, t))
}

/// Runs the command line `args` (including the program name) and returns
/// the process exit code.
pub fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        let loc = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "relu-learn: internal error (a bug, please report it): {}{loc}",
            msg.replace('\n', " ")
        );
    }));
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            eprintln!("relu-learn: error: {} (see relu-learn --help)", one_line_clap(&e));
            return ExitCode::from(2);
        }
    };
    let result = std::panic::catch_unwind(|| run(cli));
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) if e.downcast_ref::<crate::commands::NotRecovered>().is_some() => {
            eprintln!("relu-learn: {}", one_line(&e));
            ExitCode::from(3)
        }
        Ok(Err(e)) => {
            eprintln!("relu-learn: error: {}", one_line(&e));
            ExitCode::from(2)
        }
        Err(_) => ExitCode::from(101),
    }
}

/// A clap error on one line: the message and its details (the missing
/// arguments, the suggestion), without the usage block.
fn one_line_clap(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let parts: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let text = parts.join(" ");
    let text = text.strip_prefix("error: ").unwrap_or(&text).to_owned();
    if text.is_empty() {
        "invalid arguments".to_owned()
    } else {
        text
    }
}

/// An error and its causes on one line, `outer: inner: …`, skipping a cause
/// whose text its outer message already contains (errors that embed their
/// source would otherwise be printed twice).
fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out.replace('\n', " ")
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let (par, threads) = setup_threads(cli.threads)?;
    match cli.command {
        Command::Generate(a) => commands::generate(&a, par),
        Command::Fit(a) => commands::fit(&a, par),
        Command::Eval(a) => commands::eval(&a, par),
        Command::Predict(a) => commands::predict(&a, par),
        Command::Moments(a) => commands::moments(&a, par),
        Command::Regions(a) => commands::regions(&a),
        Command::Hard(a) => commands::hard(&a, par),
        Command::Reproduce(a) => commands::reproduce(&a, par, threads),
    }
}
