//! What every benchmark client shares: the command line (`URL WORKLOAD SECONDS [MODE]`), the
//! workloads, and the one-line JSON report that bench/run.py reads. The Python, Ruby and
//! TypeScript clients in bench/clients follow the same contract.

use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub struct Args {
    pub url: String,
    pub text: String,
    pub seconds: f64,
    pub mode: String,
}

/// The `echo` argument of each workload: a short text, 1 KiB, 1 MiB.
pub fn workload_text(workload: &str) -> Option<String> {
    match workload {
        "short" => Some("hello".to_owned()),
        "1k" => Some("x".repeat(1024)),
        "1m" => Some("x".repeat(1024 * 1024)),
        _ => None,
    }
}

pub fn parse_args() -> Args {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let usage = || -> ! {
        eprintln!("usage: URL short|1k|1m SECONDS [MODE]");
        std::process::exit(2)
    };
    if argv.len() < 3 {
        usage()
    }
    Args {
        url: argv[0].clone(),
        text: workload_text(&argv[1]).unwrap_or_else(|| usage()),
        seconds: argv[2].parse().unwrap_or_else(|_| usage()),
        mode: argv.get(3).cloned().unwrap_or_else(|| "sync".to_owned()),
    }
}

/// Warm-up calls before measuring: fewer for 1 MiB bodies.
pub fn warmup_calls(text: &str) -> usize {
    if text.len() > 64 * 1024 {
        2
    } else {
        20
    }
}

/// This process's resident set, in KiB.
pub fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time (user + system) this process has used.
pub fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let total = ticks(11) + ticks(12);
    Duration::from_millis(total * 10) // USER_HZ is 100 on Linux
}

/// Collects per-call latencies and prints the report.
pub struct Meter {
    started: Instant,
    cpu_at_start: Duration,
    pub latencies: Vec<Duration>,
    rss_idle_kb: u64,
}

impl Meter {
    pub fn start(rss_idle_kb: u64) -> Self {
        Self {
            started: Instant::now(),
            cpu_at_start: cpu_time(),
            latencies: Vec::new(),
            rss_idle_kb,
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn report(mut self, extra: Value) {
        let seconds = self.started.elapsed().as_secs_f64();
        let cpu = (cpu_time() - self.cpu_at_start).as_secs_f64();
        self.latencies.sort();
        let pick = |q: f64| {
            let n = self.latencies.len();
            if n == 0 {
                return 0.0;
            }
            let i = ((n as f64 * q).ceil() as usize).clamp(1, n) - 1;
            self.latencies[i].as_secs_f64() * 1e6
        };
        let mut report = json!({
            "calls": self.latencies.len(),
            "seconds": seconds,
            "p50_us": pick(0.50),
            "p99_us": pick(0.99),
            "cpu_seconds": cpu,
            "rss_idle_kb": self.rss_idle_kb,
        });
        if let (Value::Object(r), Value::Object(e)) = (&mut report, extra) {
            r.extend(e);
        }
        println!("{report}");
    }
}

/// The `tools/call` params every client sends.
pub fn echo_params(text: &str) -> Value {
    json!({"name": "echo", "arguments": {"text": text}})
}
