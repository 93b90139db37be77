//! Reads back the medians criterion just wrote, so a benchmark can print
//! the comparisons it exists for as ratios (these machines are shared and
//! noisy: a ratio of two runs taken side by side says more than either
//! absolute figure).

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::SystemTime;

/// When this process started measuring: results older than that are from
/// an earlier run (a benchmark filtered out this time) and are not shown.
static SINCE: OnceLock<SystemTime> = OnceLock::new();

/// Marks the start of this run; call before the first benchmark.
pub fn start() {
    SINCE.get_or_init(SystemTime::now);
}

/// Where criterion writes its results: `$CRITERION_HOME`, else
/// `<target dir>/criterion`, which is what criterion itself picks.
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // CARGO_TARGET_TMPDIR is `<target dir>/tmp` for benches and tests.
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("criterion"))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// The median time in nanoseconds of `group/function/parameter` from the
/// run that just finished, or `None` when that benchmark was filtered out
/// (its file is missing or older than [`start`]).
pub fn median_ns(path: &str) -> Option<f64> {
    let file = criterion_home().join(path).join("new/estimates.json");
    let since = *SINCE.get()?;
    if std::fs::metadata(&file).ok()?.modified().ok()? < since {
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// Nanoseconds as a short human figure.
pub fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Prints `label: a / b = ratio` for two benchmarks, when both ran.
pub fn print_ratio(label: &str, numerator: &str, denominator: &str) {
    match (median_ns(numerator), median_ns(denominator)) {
        (Some(n), Some(d)) if d > 0.0 => println!(
            "{label}: {} / {} = {:.2}x   ({numerator} vs {denominator}, medians)",
            human(n),
            human(d),
            n / d
        ),
        _ => println!("{label}: not measured in this run (filtered out, or run as a test)"),
    }
}
