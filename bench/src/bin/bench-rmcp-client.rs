//! The rmcp 3.9 client (the official Rust SDK), sequential, as a baseline for mcpstream.

use mcpstream_bench::{parse_args, rss_kb, warmup_calls, Meter};
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args = parse_args();
    let transport = StreamableHttpClientTransport::from_uri(args.url.as_str());
    let client = ClientConfig::default()
        .serve(transport)
        .await
        .expect("connect");
    let mut arguments = Map::new();
    arguments.insert("text".into(), Value::String(args.text.clone()));
    let call = || CallToolRequestParams::new("echo").with_arguments(arguments.clone());
    for _ in 0..warmup_calls(&args.text) {
        client.call_tool(call()).await.expect("call");
    }
    let limit = Duration::from_secs_f64(args.seconds);
    let mut meter = Meter::start(rss_kb());
    while meter.elapsed() < limit {
        let t = Instant::now();
        client.call_tool(call()).await.expect("call");
        meter.latencies.push(t.elapsed());
    }
    meter.report(json!({}));
    let _ = client.cancel().await;
}
