//! Runs the phases one after another, reading the process every few operations.

use crate::probe::Reading;
use crate::workload::{Runner, Workload};
use mcpstream::Era;
use std::time::{Duration, Instant};

/// The runtime closes a dropped client's connections a moment later, not at once: a phase waits
/// up to this long for its descriptors to come back, so that the next phase does not count its
/// predecessor's sockets, and its own last reading shows where it settled.
const SETTLE: Duration = Duration::from_secs(2);

pub struct Plan {
    pub url: String,
    pub port: u16,
    pub cycles: usize,
    pub calls: usize,
    pub samples_per_phase: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Operations of this phase done when it was taken.
    pub op: usize,
    /// Since the soak started.
    pub seconds: f64,
    pub reading: Reading,
}

pub struct PhaseRun {
    pub workload: Workload,
    pub era: Era,
    pub ops: usize,
    pub seconds: f64,
    /// The first before any operation, the last after all of them.
    pub samples: Vec<Sample>,
    /// Once the phase's clients are closed and dropped, and their connections closed.
    pub after: Reading,
}

impl PhaseRun {
    pub fn name(&self) -> String {
        format!("{}, {}", self.workload.name(), self.era.as_str())
    }
}

pub struct SoakRun {
    pub before: Reading,
    pub phases: Vec<PhaseRun>,
    /// Once every client is closed and dropped.
    pub after: Reading,
    pub seconds: f64,
}

/// The cycles are shared out among the four cycle phases, the calls between the two call phases.
pub async fn run(plan: &Plan) -> Result<SoakRun, String> {
    let started = Instant::now();
    let before = Reading::now(plan.port);
    let mut phases = Vec::new();
    for (workload, count) in [
        (Workload::FreshClients, plan.cycles / 4),
        (Workload::Reconnect, plan.cycles / 4),
        (Workload::Calls, plan.calls / 2),
    ] {
        for era in [Era::Legacy, Era::Modern] {
            phases.push(run_phase(plan, workload, era, count, started).await?);
        }
    }
    Ok(SoakRun {
        before,
        after: phases.last().map_or(before, |p| p.after),
        phases,
        seconds: started.elapsed().as_secs_f64(),
    })
}

async fn run_phase(
    plan: &Plan,
    workload: Workload,
    era: Era,
    ops: usize,
    soak_started: Instant,
) -> Result<PhaseRun, String> {
    let every = (ops / plan.samples_per_phase.max(1)).max(1);
    let sample = |op| Sample {
        op,
        seconds: soak_started.elapsed().as_secs_f64(),
        reading: Reading::now(plan.port),
    };
    let mut samples = vec![sample(0)];
    let started = Instant::now();
    let runner = Runner::new(&plan.url, era, workload).await?;
    for n in 0..ops {
        let failed = |e| {
            format!(
                "{}, {} era, operation {}: {e}",
                workload.name(),
                era.as_str(),
                n + 1
            )
        };
        runner.step(n).await.map_err(failed)?;
        if (n + 1) % every == 0 || n + 1 == ops {
            samples.push(sample(n + 1));
        }
    }
    let closed = |e| format!("{}, {} era, closing: {e}", workload.name(), era.as_str());
    runner.finish().await.map_err(closed)?;
    let seconds = started.elapsed().as_secs_f64();
    let after = settled(plan.port, samples[0].reading.open_fds).await;
    Ok(PhaseRun {
        workload,
        era,
        ops,
        seconds,
        samples,
        after,
    })
}

async fn settled(port: u16, open_fds: usize) -> Reading {
    let deadline = Instant::now() + SETTLE;
    let mut reading = Reading::now(port);
    while reading.open_fds > open_fds && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        reading = Reading::now(port);
    }
    reading
}
