//! What the TLS, HTTP/2 and proxy tests share: clients that trust the test CA (and never an
//! environment proxy unless given one), and a tool call over raw HTTP.
#![allow(dead_code)] // each test file uses its own part

use mcpstream_testkit::certs;
use reqwest::{Certificate, Client, ClientBuilder, Identity, Response};
use serde_json::{json, Value};
use std::time::Duration;

pub fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A client that trusts the test CA only, and talks to servers directly.
pub fn trusting_ca() -> ClientBuilder {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .tls_certs_only([Certificate::from_pem(&read(certs::CA_PEM)).unwrap()])
}

/// A client identity from a certificate and key file (concatenated PEM, as rustls wants).
pub fn identity(cert: &str, key: &str) -> Identity {
    Identity::from_pem(&[read(cert), read(key)].concat()).unwrap()
}

/// A `tools/call` of `echo` on a stateless server: one POST, no session.
pub async fn echo(client: &Client, url: &str, text: &str) -> reqwest::Result<Response> {
    call(client, url, 1, "echo", json!({"text": text})).await
}

pub async fn call(
    client: &Client,
    url: &str,
    id: u64,
    tool: &str,
    arguments: Value,
) -> reqwest::Result<Response> {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                      "params": {"name": tool, "arguments": arguments,
                                 "_meta": {"progressToken": format!("p{id}")}}});
    client
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
}

/// The JSON-RPC response at the end of an SSE answer, or the JSON answer itself.
pub fn rpc_result(body: &str) -> Value {
    let last = body
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .next_back()
        .unwrap_or(body);
    serde_json::from_str::<Value>(last).unwrap()["result"].clone()
}

pub fn stateless() -> mcpstream_testkit::Config {
    mcpstream_testkit::Config {
        stateless: true,
        ..Default::default()
    }
}

pub async fn json_body(answer: Response) -> Value {
    serde_json::from_str(&answer.text().await.unwrap()).unwrap()
}
