//! What the fault suites share: the timeout every case runs under, the bound it must finish
//! within, the outcome names the three languages agree on, peak RSS, and the record each case
//! leaves for docs/reliability.md (`tests/reliability/report.py` renders it).
#![allow(dead_code)]

use mcpstream::Error;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// The request timeout (and close timeout) of every fault case.
pub const TIMEOUT: Duration = Duration::from_secs(1);
/// What a case may take beyond its timeout: a loaded 2-core machine, debug builds.
pub const SLACK: Duration = Duration::from_secs(1);
/// Growth of the process's peak RSS allowed while a 64 MiB answer arrives: less than the
/// answer itself, so buffering it whole fails the case.
pub const RSS_BOUND_MIB: f64 = 48.0;

pub fn bound() -> Duration {
    TIMEOUT + SLACK
}

/// The class a binding raises for this error (bindings-kit/src/errors.rs), with the status or
/// code that tells cases apart; `ok` for success.
pub fn outcome<T>(result: &Result<T, Error>) -> String {
    let Err(e) = result else {
        return "ok".to_owned();
    };
    match e {
        Error::Transport { .. } => "TransportError".to_owned(),
        Error::Timeout { .. } => "TimeoutError".to_owned(),
        Error::Http { status, .. } => format!("HTTPError {status}"),
        Error::SessionExpired { .. } => "SessionExpiredError".to_owned(),
        Error::Rpc { code, .. } => format!("RPCError {code}"),
        Error::Protocol { .. } => "ProtocolError".to_owned(),
        Error::NotConnected => "NotConnectedError".to_owned(),
        Error::InvalidArgument { .. } => "ArgumentError".to_owned(),
        other => format!("{other:?}"),
    }
}

fn status_kib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(0.0)
}

pub fn rss_mib() -> f64 {
    status_kib("VmRSS:") / 1024.0
}

pub fn peak_rss_mib() -> f64 {
    status_kib("VmHWM:") / 1024.0
}

/// Starts a new peak: from here VmHWM is the current RSS (Linux's clear_refs 5).
pub fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS");
}

pub struct Memory {
    pub growth_mib: f64,
}

fn out_dir() -> PathBuf {
    std::env::var_os("MCPSTREAM_RELIABILITY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/reliability"))
}

static WRITE: Mutex<()> = Mutex::new(());

/// Appends one case's result to target/reliability/rust.jsonl.
pub fn record(
    case: &str,
    outcome: &str,
    elapsed: Duration,
    bound: Duration,
    memory: Option<Memory>,
) {
    let line = json!({
        "language": "rust",
        "case": case,
        "outcome": outcome,
        "seconds": elapsed.as_secs_f64(),
        "bound_seconds": bound.as_secs_f64(),
        "rss_growth_mib": memory.as_ref().map(|m| m.growth_mib),
        "rss_bound_mib": memory.as_ref().map(|_| RSS_BOUND_MIB),
    });
    let _guard = WRITE.lock().unwrap_or_else(|p| p.into_inner());
    let dir = out_dir();
    std::fs::create_dir_all(&dir).expect("target/reliability");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("rust.jsonl"))
        .expect("rust.jsonl");
    writeln!(file, "{line}").expect("write rust.jsonl");
}
