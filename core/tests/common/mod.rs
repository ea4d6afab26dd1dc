//! Helpers shared by the integration tests: a reference server per test and ways to read
//! what it received.
#![allow(dead_code)]

use mcpstream::{Client, ClientOptions, EraChoice};
#[allow(unused_imports)] // not every test binary picks the server's era
pub use mcpstream_testkit::{Config, RecordedRequest, ScriptedResponse, ServerEra, TestServer};
use std::time::Duration;

pub fn server() -> TestServer {
    TestServer::start(Config::default())
}

pub fn server_with(f: impl FnOnce(&mut Config)) -> TestServer {
    let mut config = Config::default();
    f(&mut config);
    TestServer::start(config)
}

/// Tests never wait long: a hang shows up as a failure in seconds, not minutes. The
/// standalone GET stream is off so tests can count requests exactly; stream tests turn it on.
/// These are the session era's tests, so the era is pinned: no `server/discover` probe comes
/// first (tests/eras.rs covers choosing the era).
pub fn quick_options() -> ClientOptions {
    ClientOptions::default()
        .timeout(Duration::from_secs(10))
        .close_timeout(Duration::from_secs(2))
        .standalone_stream(false)
        .era(EraChoice::Legacy)
}

pub const ALL_TOOLS: [&str; 7] = ["echo", "add", "slow", "fail", "big", "progress", "ask"];

pub fn client(server: &TestServer) -> Client {
    Client::with_options(&server.url(), quick_options()).unwrap()
}

/// Requests the server received at the MCP endpoint with this JSON-RPC method.
pub fn posts(server: &TestServer, rpc_method: &str) -> Vec<RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.rpc_method() == Some(rpc_method))
        .collect()
}

pub fn with_method(server: &TestServer, http_method: &str) -> Vec<RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == http_method)
        .collect()
}

/// A canned 200 SSE answer carrying these events (each a JSON text), ending the stream.
pub fn sse_script(for_method: &str, events: &[&str]) -> ScriptedResponse {
    let body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    ScriptedResponse {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        body,
        for_method: Some(for_method.into()),
        ..Default::default()
    }
}

pub fn script(for_method: &str, status: u16, content_type: &str, body: &str) -> ScriptedResponse {
    let headers = if content_type.is_empty() {
        vec![]
    } else {
        vec![("content-type".to_owned(), content_type.to_owned())]
    };
    ScriptedResponse {
        status,
        headers,
        body: body.into(),
        for_method: Some(for_method.into()),
        ..Default::default()
    }
}

pub fn text_of(result: &serde_json::Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_default()
}

/// Waits (bounded, 5 s) until `check` holds.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..250 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}
