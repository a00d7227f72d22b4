//! Progress display: bars on a terminal, quiet lines in pipes.
//!
//! On a terminal every bar is drawn on standard error through one shared
//! [`MultiProgress`], so that `reproduce`'s per-suite bar and a suite's
//! per-row bar stack instead of overwriting each other. When standard error
//! is not a terminal (a pipe, a CI log), bars are hidden; those made with
//! [`Progress::rows`] print one line per finished step instead
//! (`[suite] 3/12 <what> (41.2 s)`), so long runs stay observable in logs
//! without carriage-return noise.

use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

fn multi() -> &'static MultiProgress {
    static MULTI: OnceLock<MultiProgress> = OnceLock::new();
    MULTI.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
}

/// A progress bar (see the module docs).
pub struct Progress {
    bar: ProgressBar,
    /// Print a line per step when not on a terminal.
    lines: bool,
    terminal: bool,
    label: String,
    message: Mutex<String>,
    start: Instant,
}

impl Progress {
    /// A bar for `total` steps labelled `label`, silent in pipes (for
    /// fine-grained progress such as sample chunks).
    #[must_use]
    pub fn new(total: u64, label: &str) -> Self {
        Self::make(total, label, false)
    }

    /// A bar for `total` rows of a table labelled `label`: a bar on a
    /// terminal, one line per finished row in pipes.
    #[must_use]
    pub fn rows(total: u64, label: &str) -> Self {
        Self::make(total, label, true)
    }

    fn make(total: u64, label: &str, lines: bool) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = if terminal {
            multi().add(ProgressBar::new(total))
        } else {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
        };
        let style = ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(label.to_owned());
        Self {
            bar,
            lines,
            terminal,
            label: label.to_owned(),
            message: Mutex::new(String::new()),
            start: Instant::now(),
        }
    }

    /// Advances by `n` steps.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
        if self.lines && !self.terminal {
            eprintln!("{}", self.line());
        }
    }

    /// The line printed for a finished step in pipes.
    fn line(&self) -> String {
        let msg = self.message.lock().map(|m| m.clone()).unwrap_or_default();
        format!(
            "[{}] {}/{} {} ({:.1} s)",
            self.label,
            self.bar.position(),
            self.bar.length().unwrap_or(0),
            msg,
            self.start.elapsed().as_secs_f64()
        )
    }

    /// Sets the message shown after the counter (and printed with the next
    /// step's line in pipes).
    pub fn message(&self, msg: String) {
        if let Ok(mut m) = self.message.lock() {
            m.clone_from(&msg);
        }
        self.bar.set_message(msg);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
        if self.terminal {
            multi().remove(&self.bar);
        }
    }
}

/// Records the time of each stage a learner announces, and shows it.
pub struct StageTimer {
    stages: Vec<(String, f64)>,
    current: Option<(String, Instant)>,
    bar: Progress,
}

impl StageTimer {
    /// A timer showing `label` on the progress line.
    #[must_use]
    pub fn new(label: &str) -> Self {
        Self {
            stages: Vec::new(),
            current: None,
            bar: Progress::new(1, label),
        }
    }

    /// Ends the current stage and returns `(stage, seconds)` in order.
    #[must_use]
    pub fn finish(mut self) -> Vec<(String, f64)> {
        if let Some((name, t)) = self.current.take() {
            self.stages.push((name, t.elapsed().as_secs_f64()));
        }
        self.bar.finish();
        self.stages
    }
}

impl learners::Observer for StageTimer {
    fn stage(&mut self, name: &str) {
        if let Some((prev, t)) = self.current.take() {
            self.stages.push((prev, t.elapsed().as_secs_f64()));
        }
        self.bar.message(name.to_owned());
        self.current = Some((name.to_owned(), Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_report_their_position_and_message() {
        let p = Progress::rows(3, "suite");
        p.message("atv n=100".to_owned());
        p.inc(1);
        let line = p.line();
        assert!(line.starts_with("[suite] 1/3 atv n=100 ("), "{line}");
        assert!(line.ends_with(" s)"), "{line}");
        p.finish();
    }
}
