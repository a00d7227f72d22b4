//! Provenance of experiment results: revision, machine, versions, time.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// Where and when a result was produced.
#[derive(Clone, Debug, Serialize)]
pub struct Provenance {
    /// `git rev-parse HEAD`, or `"unknown"` outside a repository.
    pub git_revision: String,
    /// Whether the work tree had uncommitted changes.
    pub git_dirty: bool,
    /// relu-learn's version.
    pub version: String,
    /// `rustc --version`, if available.
    pub rustc: String,
    /// Operating system and architecture.
    pub target: String,
    /// CPU model from `/proc/cpuinfo`, if available.
    pub cpu: String,
    /// Logical CPUs available.
    pub cpus: usize,
    /// Worker threads used.
    pub threads: usize,
    /// Start time, UTC, RFC 3339.
    pub started_utc: String,
    /// The command line.
    pub command: Vec<String>,
}

fn run(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC.
#[must_use]
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

impl Provenance {
    /// Collects provenance now.
    #[must_use]
    pub fn collect(threads: usize) -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|v| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        Self {
            git_revision: run("git", &["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".to_owned()),
            git_dirty: run("git", &["status", "--porcelain"]).is_some_and(|s| !s.is_empty()),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            rustc: run("rustc", &["--version"]).unwrap_or_else(|| "unknown".to_owned()),
            target: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
            cpu,
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            threads,
            started_utc: rfc3339(secs),
            command: std::env::args().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_312_496), "2026-11-22T01:54:56Z");
    }
}
