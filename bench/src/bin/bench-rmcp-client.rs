//! The rmcp 3.9 client (the official Rust SDK), as a baseline for mcpstream: sequential (the
//! default, or `seq`), `cN` (N calls in flight on one client) or `cold` (connect, one call,
//! report at once: the remote benchmark times a fresh process to its first result).

use mcpstream_bench::{parse_args, rss_kb, warmup_calls, Meter};
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args = parse_args();
    let cold = (args.mode == "cold").then(|| Meter::start(rss_kb()));
    let transport = StreamableHttpClientTransport::from_uri(args.url.as_str());
    let client = ClientConfig::default()
        .serve(transport)
        .await
        .expect("connect");
    let mut arguments = Map::new();
    arguments.insert("text".into(), Value::String(args.text.clone()));
    let call = move || CallToolRequestParams::new("echo").with_arguments(arguments.clone());
    if let Some(mut meter) = cold {
        client.call_tool(call()).await.expect("call");
        meter.latencies.push(meter.elapsed());
        meter.report(json!({}));
        let _ = client.cancel().await;
        return;
    }
    for _ in 0..warmup_calls(&args.text) {
        client.call_tool(call()).await.expect("call");
    }
    let in_flight: usize = args
        .mode
        .strip_prefix('c')
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let limit = Duration::from_secs_f64(args.seconds);
    let mut meter = Meter::start(rss_kb());
    let started = Instant::now();
    let workers: Vec<_> = (0..in_flight)
        .map(|_| {
            let (peer, call) = (client.peer().clone(), call.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < limit {
                    let t = Instant::now();
                    peer.call_tool(call()).await.expect("call");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    for worker in workers {
        meter.latencies.extend(worker.await.expect("worker"));
    }
    meter.report(json!({}));
    let _ = client.cancel().await;
}
