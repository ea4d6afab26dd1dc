//! What "flat" means, as bounds a run either keeps or not. The figures behind each bound are in
//! docs/soak.md.

use crate::soak::{PhaseRun, SoakRun};

/// RSS growth allowed within a phase, from the sample after its first tenth (allocator pools,
/// the TLS and HTTP stacks' lazily built state are in place by then) to its end. The coarse
/// check: glibc keeps freed pages and grows its heap in steps (up to +1.1 MiB seen in a full
/// phase while the heap below stayed flat). The two heap bounds below catch small leaks.
pub const RSS_GROWTH_BOUND_MIB: f64 = 3.0;

/// Growth of the Rust heap's live bytes, and of all that malloc handed out (C included), allowed
/// within a phase after the same warm-up: a leak of 128 bytes per cycle, or 8 bytes per call,
/// over a full-count phase would exceed it.
pub const HEAP_GROWTH_BOUND_KIB: usize = 256;

/// Descriptors a phase may hold above where it started: a client's connection pool (the POST
/// connection, the session era's GET stream) and the ones the runtime is still closing.
pub const FD_SLACK_IN_PHASE: usize = 8;

/// Descriptors left open once a phase's clients are closed and dropped (and up to 2 s given to
/// the runtime to close their connections), compared with before the phase.
pub const FD_SLACK_AFTER: usize = 2;

/// TIME_WAIT sockets a phase of calls may add: its calls reuse one pooled connection.
pub const CALLS_TIME_WAIT: usize = 4;

/// TIME_WAIT sockets a cycle may leave: the connections it opens, and it should open fewer than
/// the five requests it sends (session era: initialize, initialized, the GET stream, the call,
/// DELETE; modern: the call and the four pages of `tools/list` a first call reads). Measured:
/// 1 to 2.7 a cycle, as a request that goes out while the previous SSE answer is still
/// finishing on the pooled connection gets a new one.
pub const TIME_WAIT_PER_CYCLE: usize = 4;

pub struct Verdict {
    pub check: String,
    pub measured: String,
    pub bound: String,
    pub passed: bool,
}

pub fn judge(run: &SoakRun) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    for phase in &run.phases {
        verdicts.push(rss_growth(phase));
        verdicts.push(heap_growth(phase));
        verdicts.extend(malloc_growth(phase));
        verdicts.push(fds_in_phase(phase));
        verdicts.push(fds_after(phase));
        verdicts.push(time_wait(phase));
    }
    verdicts
}

/// The sample a phase's growth is measured from: the first after a tenth of its operations.
pub fn warmed_up(phase: &PhaseRun) -> &crate::soak::Sample {
    let tenth = phase.ops.div_ceil(10);
    phase
        .samples
        .iter()
        .find(|s| s.op >= tenth)
        .unwrap_or(&phase.samples[0])
}

fn rss_growth(phase: &PhaseRun) -> Verdict {
    let from = warmed_up(phase).reading.rss_mib();
    let to = last(phase).reading.rss_mib();
    let growth = to - from;
    Verdict {
        check: format!("RSS growth, {}", phase.name()),
        measured: format!("{from:.1} → {to:.1} MiB ({growth:+.2})"),
        bound: format!("≤ {RSS_GROWTH_BOUND_MIB} MiB"),
        passed: growth <= RSS_GROWTH_BOUND_MIB,
    }
}

fn heap_growth(phase: &PhaseRun) -> Verdict {
    let from = warmed_up(phase).reading.heap_bytes / 1024;
    let to = last(phase).reading.heap_bytes / 1024;
    Verdict {
        check: format!("live heap growth, {}", phase.name()),
        measured: format!("{from} → {to} KiB"),
        bound: format!("+{HEAP_GROWTH_BOUND_KIB} KiB"),
        passed: to <= from + HEAP_GROWTH_BOUND_KIB,
    }
}

fn malloc_growth(phase: &PhaseRun) -> Option<Verdict> {
    let from = warmed_up(phase).reading.malloc_bytes? / 1024;
    let to = last(phase).reading.malloc_bytes? / 1024;
    Some(Verdict {
        check: format!("malloc in use growth, {}", phase.name()),
        measured: format!("{from} → {to} KiB"),
        bound: format!("+{HEAP_GROWTH_BOUND_KIB} KiB"),
        passed: to <= from + HEAP_GROWTH_BOUND_KIB,
    })
}

fn fds_in_phase(phase: &PhaseRun) -> Verdict {
    let start = phase.samples[0].reading.open_fds;
    let most = phase
        .samples
        .iter()
        .map(|s| s.reading.open_fds)
        .max()
        .unwrap_or(start);
    Verdict {
        check: format!("open fds, {}", phase.name()),
        measured: format!("{start} at start, at most {most}"),
        bound: format!("+{FD_SLACK_IN_PHASE}"),
        passed: most <= start + FD_SLACK_IN_PHASE,
    }
}

fn fds_after(phase: &PhaseRun) -> Verdict {
    let start = phase.samples[0].reading.open_fds;
    let after = phase.after.open_fds;
    Verdict {
        check: format!("fds once the clients are gone, {}", phase.name()),
        measured: format!("{start} before, {after} after"),
        bound: format!("+{FD_SLACK_AFTER}"),
        passed: after <= start + FD_SLACK_AFTER,
    }
}

fn time_wait(phase: &PhaseRun) -> Verdict {
    let start = phase.samples[0].reading.time_wait;
    let most = phase
        .samples
        .iter()
        .map(|s| s.reading.time_wait)
        .max()
        .unwrap_or(start);
    let allowed = match phase.workload {
        crate::workload::Workload::Calls => CALLS_TIME_WAIT,
        _ => TIME_WAIT_PER_CYCLE * phase.ops,
    };
    Verdict {
        check: format!("TIME_WAIT, {}", phase.name()),
        measured: format!("{start} at start, at most {most}"),
        bound: format!("+{allowed}"),
        passed: most <= start + allowed,
    }
}

fn last(phase: &PhaseRun) -> &crate::soak::Sample {
    phase.samples.last().unwrap_or(&phase.samples[0])
}
