//! The soak's figures as Markdown: a summary (printed and written) and every sample (written).

use crate::judge::{warmed_up, Verdict};
use crate::soak::SoakRun;
use std::fmt::Write as _;
use std::path::Path;

pub fn summary(run: &SoakRun, verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Soak: core\n\n{:.1} s in all; RSS {:.1} MiB before, {:.1} MiB after, peak {:.1} MiB; \
         fds {} before, {} after.\n",
        run.seconds,
        run.before.rss_mib(),
        run.after.rss_mib(),
        run.after.peak_rss_mib(),
        run.before.open_fds,
        run.after.open_fds,
    );
    out.push_str(
        "| phase | operations | seconds | per second | RSS start / warmed / end MiB | live heap start / warmed / end KiB | fds start / max / after | TIME_WAIT start / max / end |\n\
         | --- | ---: | ---: | ---: | --- | --- | --- | --- |\n",
    );
    for phase in &run.phases {
        let first = phase.samples[0].reading;
        let end = phase.samples[phase.samples.len() - 1].reading;
        let max_fds = phase.samples.iter().map(|s| s.reading.open_fds).max();
        let max_tw = phase.samples.iter().map(|s| s.reading.time_wait).max();
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} | {:.0} | {:.1} / {:.1} / {:.1} | {} / {} / {} | {} / {} / {} | {} / {} / {} |",
            phase.name(),
            phase.ops,
            phase.seconds,
            phase.ops as f64 / phase.seconds.max(1e-9),
            first.rss_mib(),
            warmed_up(phase).reading.rss_mib(),
            end.rss_mib(),
            first.heap_bytes / 1024,
            warmed_up(phase).reading.heap_bytes / 1024,
            end.heap_bytes / 1024,
            first.open_fds,
            max_fds.unwrap_or(0),
            phase.after.open_fds,
            first.time_wait,
            max_tw.unwrap_or(0),
            end.time_wait,
        );
    }
    out.push_str("\n| check | measured | bound | verdict |\n| --- | --- | --- | --- |\n");
    for v in verdicts {
        let verdict = if v.passed { "flat" } else { "**NOT FLAT**" };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {verdict} |",
            v.check, v.measured, v.bound
        );
    }
    out
}

pub fn write(path: &Path, run: &SoakRun, summary: &str) -> std::io::Result<()> {
    let mut out = summary.to_owned();
    out.push_str(
        "\n## Samples\n\n| phase | operation | seconds | RSS MiB | peak RSS MiB | live heap MiB | malloc in use MiB | open fds | TIME_WAIT |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for phase in &run.phases {
        for s in &phase.samples {
            let _ = writeln!(
                out,
                "| {} | {} | {:.2} | {:.1} | {:.1} | {:.3} | {} | {} | {} |",
                phase.name(),
                s.op,
                s.seconds,
                s.reading.rss_mib(),
                s.reading.peak_rss_mib(),
                s.reading.heap_mib(),
                s.reading
                    .malloc_bytes
                    .map_or("?".into(), |b| format!("{:.3}", b as f64 / 1048576.0)),
                s.reading.open_fds,
                s.reading.time_wait
            );
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, out)
}
