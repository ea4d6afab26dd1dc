//! A recording reverse proxy for interop tests: forwards every request to an MCP server written
//! by others and remembers what that server received (method, path, headers, JSON-RPC method)
//! and what it answered (status), so tests can assert on the wire without changing the peer.
//! Streams pass through as they arrive, so SSE keeps working.
//!
//! Usage: mcpstream-recording-proxy --upstream http://127.0.0.1:PORT [--port N]
//! Prints `listening on http://127.0.0.1:PORT` once ready. `GET /_proxy/requests` returns the
//! record as JSON; `DELETE /_proxy/requests` clears it.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};

const MAX_REQUEST_BODY: usize = 64 * 1024 * 1024;

struct Proxy {
    upstream: String,
    http: reqwest::Client,
    log: Mutex<Vec<Value>>,
}

fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection" | "keep-alive" | "transfer-encoding" | "upgrade" | "te" | "trailer" | "host"
    )
}

fn headers_json(headers: &HeaderMap) -> Value {
    let mut map = Map::new();
    for (name, value) in headers {
        map.insert(
            name.as_str().to_owned(),
            Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
        );
    }
    Value::Object(map)
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_REQUEST_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let rpc_method = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("method").and_then(Value::as_str).map(str::to_owned));
    let mut outgoing = proxy
        .http
        .request(parts.method.clone(), format!("{}{path}", proxy.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if !hop_by_hop(name) {
            outgoing = outgoing.header(name, value);
        }
    }
    let mut entry = json!({
        "method": parts.method.as_str(),
        "path": path,
        "headers": headers_json(&parts.headers),
        "rpc_method": rpc_method,
    });
    let answer = outgoing.send().await;
    let response = match answer {
        Ok(upstream) => {
            entry["status"] = json!(upstream.status().as_u16());
            entry["response_headers"] = headers_json(upstream.headers());
            let mut response = Response::builder().status(upstream.status().as_u16());
            for (name, value) in upstream.headers() {
                if !hop_by_hop(name) && name != "content-length" {
                    response = response.header(name, value);
                }
            }
            response
                .body(Body::from_stream(upstream.bytes_stream()))
                .unwrap_or_else(|e| (StatusCode::BAD_GATEWAY, e.to_string()).into_response())
        }
        Err(e) => {
            entry["status"] = json!(502);
            (
                StatusCode::BAD_GATEWAY,
                format!("upstream unreachable: {e}"),
            )
                .into_response()
        }
    };
    proxy
        .log
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(entry);
    response
}

async fn record(State(proxy): State<Arc<Proxy>>, method: Method) -> Json<Value> {
    let mut log = proxy.log.lock().unwrap_or_else(|p| p.into_inner());
    let requests = Value::Array(log.clone());
    if method == Method::DELETE {
        log.clear();
    }
    Json(json!({ "requests": requests }))
}

fn parse_args() -> Result<(String, u16), String> {
    let (mut upstream, mut port) = (None, 0u16);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--upstream" => upstream = Some(value()?.trim_end_matches('/').to_owned()),
            "--port" => port = value()?.parse().map_err(|_| "bad --port".to_owned())?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok((upstream.ok_or("--upstream is required")?, port))
}

#[tokio::main]
async fn main() {
    let (upstream, port) = parse_args().unwrap_or_else(|e| {
        eprintln!("mcpstream-recording-proxy: {e}");
        std::process::exit(2);
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client without TLS always builds");
    let proxy = Arc::new(Proxy {
        upstream,
        http,
        log: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/_proxy/requests", get(record).delete(record))
        .fallback(forward)
        .with_state(proxy);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| {
            eprintln!("mcpstream-recording-proxy: cannot listen: {e}");
            std::process::exit(1);
        });
    let addr = listener.local_addr().expect("bound socket has an address");
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!("listening on http://{addr}");
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("mcpstream-recording-proxy: {e}");
        std::process::exit(1);
    }
}
