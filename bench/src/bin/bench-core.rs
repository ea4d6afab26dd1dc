//! mcpstream's Rust core: `async` (sequential awaits), `blocking` (the blocking facade that the
//! bindings use), `cN` (N calls in flight on one client, e.g. `c64`), or `cold` (connect, one
//! call, report at once: the remote benchmark times a fresh process to its first result).

use mcpstream::{blocking, Client, ClientOptions};
use mcpstream_bench::{parse_args, rss_kb, warmup_calls, Args, Meter};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn main() {
    let args = parse_args();
    let arguments = json!({"text": args.text});
    let limit = Duration::from_secs_f64(args.seconds);
    let options = ClientOptions::default().timeout(Duration::from_secs(60));
    let mode = args.mode.clone();
    match mode.as_str() {
        "blocking" => {
            let client = blocking::Client::with_options(&args.url, options).expect("client");
            client.connect().expect("connect");
            for _ in 0..warmup_calls(&args.text) {
                client
                    .call_tool("echo", Some(arguments.clone()))
                    .expect("call");
            }
            let mut meter = Meter::start(rss_kb());
            while meter.elapsed() < limit {
                let t = Instant::now();
                client
                    .call_tool("echo", Some(arguments.clone()))
                    .expect("call");
                meter.latencies.push(t.elapsed());
            }
            meter.report(json!({}));
            client.close();
        }
        // The caller's own runtime, as in the floor: a Rust program on
        // `#[tokio::main(flavor = "current_thread")]`.
        "current" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(run_async(args, arguments, options, limit)),
        _ => blocking::run(run_async(args, arguments, options, limit)),
    }
}

/// Sequential awaits, N calls in flight (`cN`) or one cold call, on whatever runtime runs it.
async fn run_async(args: Args, arguments: Value, options: ClientOptions, limit: Duration) {
    let client = Client::with_options(&args.url, options).expect("client");
    if args.mode == "cold" {
        let mut meter = Meter::start(rss_kb());
        client.connect().await.expect("connect");
        client
            .call_tool("echo", Some(arguments.clone()))
            .await
            .expect("call");
        meter.latencies.push(meter.elapsed());
        meter.report(json!({}));
        client.close().await;
        return;
    }
    client.connect().await.expect("connect");
    for _ in 0..warmup_calls(&args.text) {
        client
            .call_tool("echo", Some(arguments.clone()))
            .await
            .expect("call");
    }
    let in_flight = args
        .mode
        .strip_prefix('c')
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let mut meter = Meter::start(rss_kb());
    let started = Instant::now();
    let workers = (0..in_flight).map(|_| {
        let (client, arguments) = (client.clone(), arguments.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while started.elapsed() < limit {
                let t = Instant::now();
                client
                    .call_tool("echo", Some(arguments.clone()))
                    .await
                    .expect("call");
                latencies.push(t.elapsed());
            }
            latencies
        })
    });
    for worker in workers.collect::<Vec<_>>() {
        meter.latencies.extend(worker.await.expect("worker"));
    }
    meter.report(json!({}));
    client.close().await;
}
