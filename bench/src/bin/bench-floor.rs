//! The floor: what any client must spend. A raw HTTP loop (reqwest) sending the same headers
//! and body as an MCP client and reading each response to its end, with no MCP logic: no
//! parsing, no session handling beyond copying the id. Sequential only.

use mcpstream_bench::{echo_params, parse_args, rss_kb, warmup_calls, Meter};
use serde_json::json;
use std::time::{Duration, Instant};

const VERSION: &str = "2025-11-25";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = parse_args();
    let http = reqwest::Client::new();
    let post = |body: String, session: Option<&str>| {
        let mut req = http
            .post(&args.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body);
        if let Some(id) = session {
            req = req
                .header("mcp-session-id", id)
                .header("mcp-protocol-version", VERSION);
        }
        req
    };
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": VERSION, "capabilities": {},
        "clientInfo": {"name": "bench-floor", "version": "0"}}});
    let resp = post(init.to_string(), None)
        .send()
        .await
        .expect("initialize");
    let session = resp
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    resp.bytes().await.expect("initialize body");
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    exchange(post(initialized.to_string(), session.as_deref())).await;

    let params = echo_params(&args.text);
    let mut id = 0u64;
    let mut call = || {
        id += 1;
        let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params});
        post(body.to_string(), session.as_deref())
    };
    for _ in 0..warmup_calls(&args.text) {
        exchange(call()).await;
    }
    let mut meter = Meter::start(rss_kb());
    let limit = Duration::from_secs_f64(args.seconds);
    while meter.elapsed() < limit {
        let t = Instant::now();
        assert!(exchange(call()).await > 0, "empty answer");
        meter.latencies.push(t.elapsed());
    }
    meter.report(json!({}));
}

/// Sends a request and reads its response to the end; returns the body's length.
async fn exchange(request: reqwest::RequestBuilder) -> usize {
    let response = request.send().await.expect("request");
    response.bytes().await.expect("response body").len()
}
