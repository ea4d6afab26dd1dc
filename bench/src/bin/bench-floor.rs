//! The floor: what any client must spend. A raw HTTP loop (reqwest) sending the same headers
//! and body as an MCP client and reading each response to its end, with no MCP logic: no
//! parsing, no era detection, nothing kept between calls but the session id.
//!
//! MODE `modern` (the default) sends what mcpstream sends in the 2026-07-28 era: no handshake,
//! the `Mcp-Method`/`Mcp-Name` headers and the `_meta` envelope on every call. It is the divisor
//! for mcpstream's rows, which speak that era to the (dual-era) servers of the run. MODE
//! `session` initializes and sends the session headers, as a 2025 client does. Both run on a
//! current-thread runtime, where the connection's task and the loop share one thread; MODE
//! `threaded` is `modern` on a multi-threaded runtime (`#[tokio::main]`'s default) with the loop
//! on a worker, where the tasks wake each other across threads as they do on mcpstream's shared
//! runtime. Sequential only.

use mcpstream_bench::{echo_params, parse_args, rss_kb, warmup_calls, Args, Meter};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const SESSION_VERSION: &str = "2025-11-25";
const MODERN_VERSION: &str = "2026-07-28";

fn main() {
    let args = parse_args();
    let (modern, threaded) = match args.mode.as_str() {
        "modern" | "sync" => (true, false),
        "threaded" => (true, true),
        "session" => (false, false),
        other => panic!("unknown floor mode {other:?}: modern, threaded or session"),
    };
    let mut runtime = if threaded {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = runtime.enable_all().build().expect("runtime");
    // On a worker, as mcpstream's calls run on its shared runtime (not on the thread that
    // blocks on the runtime, which no worker is).
    runtime
        .block_on(runtime.spawn(run(args, modern)))
        .expect("the loop panicked");
}

async fn run(args: Args, modern: bool) {
    let http = reqwest::Client::new();
    let post = |body: String, headers: &[(&str, &str)]| {
        let mut req = http
            .post(&args.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req
    };

    let mut params = echo_params(&args.text);
    let session = if modern {
        params["_meta"] = json!({
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "bench-floor", "version": "0"},
            "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
        });
        None
    } else {
        Some(initialize(&post).await)
    };
    let headers: Vec<(&str, &str)> = match &session {
        Some(id) => session_headers(id.as_deref()),
        None => vec![
            ("mcp-protocol-version", MODERN_VERSION),
            ("mcp-method", "tools/call"),
            ("mcp-name", "echo"),
        ],
    };

    let mut id = 0u64;
    let mut call = || {
        id += 1;
        let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params});
        post(body.to_string(), &headers)
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

/// The 2025 handshake; the session id the server gave, if any.
async fn initialize<F>(post: &F) -> Option<String>
where
    F: Fn(String, &[(&str, &str)]) -> reqwest::RequestBuilder,
{
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": SESSION_VERSION, "capabilities": {},
        "clientInfo": {"name": "bench-floor", "version": "0"}}});
    let resp = post(init.to_string(), &[])
        .send()
        .await
        .expect("initialize");
    let session = resp
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    resp.bytes().await.expect("initialize body");
    let initialized: Value = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    exchange(post(
        initialized.to_string(),
        &session_headers(session.as_deref()),
    ))
    .await;
    session
}

/// What a 2025 client sends after initialize: the version, and the session id if there is one.
fn session_headers(id: Option<&str>) -> Vec<(&'static str, &str)> {
    let mut headers = vec![("mcp-protocol-version", SESSION_VERSION)];
    if let Some(id) = id {
        headers.push(("mcp-session-id", id));
    }
    headers
}

/// Sends a request and reads its response to the end; returns the body's length.
async fn exchange(request: reqwest::RequestBuilder) -> usize {
    let response = request.send().await.expect("request");
    response.bytes().await.expect("response body").len()
}
