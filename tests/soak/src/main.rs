//! `mcpstream-soak [--url URL] [--cycles N] [--calls M] [--samples S] [--out FILE]`: N
//! connect/call/close cycles (a new client per cycle, then one client reconnecting) and M `echo`
//! calls on one client, in both eras, against the reference server (started here unless `--url`
//! names one). Reads RSS, open fds and TIME_WAIT sockets S times per phase, writes the table
//! and the verdict to FILE (target/soak/core.md), prints the verdict, and exits 1 if the
//! process did not stay flat within the bounds in `judge.rs`.

mod heap;
mod judge;
mod probe;
mod report;
mod server;
mod soak;
mod workload;

use std::path::PathBuf;

#[global_allocator]
static ALLOCATOR: heap::CountingAllocator = heap::CountingAllocator;

struct Args {
    url: Option<String>,
    cycles: usize,
    calls: usize,
    samples: usize,
    out: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: None,
        cycles: 10_000,
        calls: 100_000,
        samples: 10,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/soak/core.md"),
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let mut value = || given.next().ok_or(format!("{flag} needs a value"));
        let count = |text: String| {
            text.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("{flag} takes a positive number, not {text:?}"))
        };
        match flag.as_str() {
            "--url" => args.url = Some(value()?),
            "--cycles" => args.cycles = count(value()?)?,
            "--calls" => args.calls = count(value()?)?,
            "--samples" => args.samples = count(value()?)?,
            "--out" => args.out = PathBuf::from(value()?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if args.cycles < 4 || args.calls < 2 {
        return Err("--cycles takes at least 4 (four phases), --calls at least 2".into());
    }
    Ok(args)
}

#[tokio::main]
async fn main() {
    let args = parse_args().unwrap_or_else(|e| fail(2, &e));
    let own_server = match args.url {
        Some(_) => None,
        None => Some(server::ReferenceServer::start().unwrap_or_else(|e| fail(2, &e))),
    };
    let url = args
        .url
        .clone()
        .or_else(|| own_server.as_ref().map(|s| s.url.clone()))
        .unwrap_or_default();
    let port = server::port_of(&url).unwrap_or_else(|| {
        fail(
            2,
            &format!("{url} names no port: TIME_WAIT is counted by port"),
        )
    });
    let plan = soak::Plan {
        url,
        port,
        cycles: args.cycles,
        calls: args.calls,
        samples_per_phase: args.samples,
    };
    let run = soak::run(&plan).await;
    // Before any exit: process::exit runs no destructors, and the server would outlive us.
    drop(own_server);
    let run = run.unwrap_or_else(|e| fail(1, &format!("the soak stopped: {e}")));
    let verdicts = judge::judge(&run);
    let summary = report::summary(&run, &verdicts);
    print!("{summary}");
    if let Err(e) = report::write(&args.out, &run, &summary) {
        fail(1, &format!("cannot write {}: {e}", args.out.display()));
    }
    println!("samples in {}", args.out.display());
    if verdicts.iter().any(|v| !v.passed) {
        fail(1, "the soak did not stay flat (see above)");
    }
}

fn fail(code: i32, message: &str) -> ! {
    eprintln!("mcpstream-soak: {message}");
    std::process::exit(code)
}
