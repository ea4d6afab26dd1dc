//! What each armed fault sends. Large and endless bodies are generated as they are sent, so
//! the server's own memory stays flat whatever a test asks for.

use super::{Fault, FaultKind};
use crate::config::MODERN_VERSION;
use crate::state::State;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, Response, StatusCode};
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const DEFAULT_HUGE: u64 = 64 * 1024 * 1024;
static FILL_CHUNK: [u8; 64 * 1024] = [b'x'; 64 * 1024];

type Chunk = Result<Bytes, std::io::Error>;

/// The status line the fault sends, for the request log; 0 when it sends none.
pub(super) fn status_sent(fault: &Fault) -> u16 {
    match fault.fault {
        FaultKind::CloseAfterRequest | FaultKind::NeverAnswer | FaultKind::DeleteNeverAnswers => 0,
        FaultKind::Html500 => 500,
        FaultKind::NotFound => 404,
        FaultKind::RedirectCrossOrigin => 307,
        FaultKind::RedirectPost => fault.status.unwrap_or(302),
        _ => 200,
    }
}

pub(super) async fn respond(state: &Arc<State>, fault: &Fault, id: &Value) -> Response<Body> {
    let interval = |default_ms| Duration::from_millis(fault.interval_ms.unwrap_or(default_ms));
    let huge = fault.bytes.unwrap_or(DEFAULT_HUGE);
    match fault.fault {
        FaultKind::CloseAfterRequest => with_body(200, "application/json", cut_now()),
        FaultKind::NeverAnswer | FaultKind::DeleteNeverAnswers => {
            std::future::pending::<()>().await;
            unreachable!("pending never resolves")
        }
        FaultKind::SseCutMidEvent => {
            let half = format!("data: {{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{{\"con");
            sse(stream::iter([Ok(Bytes::from(half))]).chain(cut_after(Duration::from_millis(50))))
        }
        FaultKind::KeepaliveForever => {
            let every = interval(100);
            sse(stream::unfold((), move |()| async move {
                tokio::time::sleep(every).await;
                Some((Ok(Bytes::from_static(b": keepalive\n\n")), ()))
            }))
        }
        FaultKind::DripJson => {
            let text = answer(id, json!({"content": [{"type": "text", "text": "dripped"}], "isError": false}));
            let every = interval(2);
            let bytes = Bytes::from(text.to_string());
            let drip = stream::unfold(0usize, move |at| {
                let bytes = bytes.clone();
                async move {
                    if at == bytes.len() {
                        return None;
                    }
                    tokio::time::sleep(every).await;
                    Some((Ok::<_, std::io::Error>(bytes.slice(at..at + 1)), at + 1))
                }
            });
            with_body(200, "application/json", Body::from_stream(drip))
        }
        FaultKind::GarbageJson => with_body(
            200,
            "application/json",
            Body::from(format!("{{\"jsonrpc\": \"2.0\", \"id\": {id}, \u{0}garbage}}")),
        ),
        FaultKind::WrongId => {
            let other = json!(format!("not-{id}"));
            let text = answer(&other, json!({"content": [{"type": "text", "text": "for someone else"}]}));
            with_body(200, "application/json", Body::from(text.to_string()))
        }
        FaultKind::HugeJson => {
            let (head, tail) = huge_text(id);
            let fill = huge.saturating_sub((head.len() + tail.len()) as u64);
            with_body(200, "application/json", Body::from_stream(framed(head, fill, tail)))
        }
        FaultKind::HugeSseEvent => {
            let (head, tail) = huge_text(id);
            let fill = huge.saturating_sub((head.len() + tail.len()) as u64);
            sse(framed(format!("data: {head}"), fill, format!("{tail}\n\n")))
        }
        FaultKind::NotificationFlood => {
            let every = interval(1);
            sse(stream::unfold(0u64, move |n| async move {
                tokio::time::sleep(every).await;
                let burst: String = (n..n + 50)
                    .map(|i| {
                        let note = json!({"jsonrpc": "2.0", "method": "notifications/message",
                            "params": {"level": "info", "logger": "flood", "data": i}});
                        format!("data: {note}\n\n")
                    })
                    .collect();
                Some((Ok(Bytes::from(burst)), n + 50))
            }))
        }
        FaultKind::Html500 => with_body(
            500,
            "text/html",
            Body::from(
                "<html><head><title>500 Internal Server Error</title></head>\n<body><h1>Internal Server Error</h1>\n<p>The server encountered an internal error.</p></body></html>\n",
            ),
        ),
        FaultKind::NotFound => with_body(404, "text/plain", Body::from("404 page not found")),
        FaultKind::RedirectCrossOrigin => {
            let addr = state.hostile.elsewhere.address().await;
            redirect(307, &format!("http://{addr}/mcp"))
        }
        FaultKind::RedirectPost => redirect(fault.status.unwrap_or(302), "/mcp"),
        FaultKind::DieAndForget => {
            let priming = Bytes::from_static(b"id: dying-1\nretry: 50\ndata:\n\n");
            let state = state.clone();
            let death = stream::once(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                state.expire_sessions();
                Err(std::io::Error::other("the server died"))
            });
            sse(stream::iter([Ok(priming)]).chain(death))
        }
        FaultKind::InitializeBadSessionId => {
            let mut response = initialize_answer(id, SUPPORTED_DEFAULT);
            response.headers_mut().insert(
                "mcp-session-id",
                HeaderValue::from_static("not visible ascii"),
            );
            response
        }
        FaultKind::InitializeUnknownVersion => {
            let mut response = initialize_answer(id, "1999-01-01");
            response
                .headers_mut()
                .insert("mcp-session-id", HeaderValue::from_static("0123456789abcdef"));
            response
        }
        FaultKind::InputRequiredForever => {
            let result = json!({
                "resultType": "input_required",
                "inputRequests": {"again": {"method": "elicitation/create", "params": {
                    "message": "One more thing?",
                    "requestedSchema": {"type": "object", "properties": {"answer": {"type": "string"}}}}}},
                "requestState": "forever",
            });
            let mut response = with_body(
                200,
                "application/json",
                Body::from(answer(id, result).to_string()),
            );
            response.headers_mut().insert(
                "mcp-protocol-version",
                HeaderValue::from_static(MODERN_VERSION),
            );
            response
        }
    }
}

const SUPPORTED_DEFAULT: &str = crate::config::SUPPORTED_VERSIONS[0];

fn answer(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn initialize_answer(id: &Value, version: &str) -> Response<Body> {
    let result = json!({
        "protocolVersion": version,
        "capabilities": {"tools": {}},
        "serverInfo": {"name": "mcpstream-testserver (hostile)", "version": env!("CARGO_PKG_VERSION")},
    });
    with_body(
        200,
        "application/json",
        Body::from(answer(id, result).to_string()),
    )
}

/// A tool result whose text is the fill: the JSON before it and after it.
fn huge_text(id: &Value) -> (String, String) {
    (
        format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{{\"content\":[{{\"type\":\"text\",\"text\":\""),
        "\"}]}}".to_owned(),
    )
}

/// `head`, then `fill` bytes of `x` in 64 KiB chunks, then `tail`.
fn framed(head: String, fill: u64, tail: String) -> impl Stream<Item = Chunk> + Send {
    let chunk = FILL_CHUNK.len() as u64;
    let full = fill / chunk;
    let rest = (fill % chunk) as usize;
    let body = (0..full)
        .map(|_| Bytes::from_static(&FILL_CHUNK))
        .chain((rest > 0).then(|| Bytes::from_static(&FILL_CHUNK[..rest])));
    stream::iter(
        std::iter::once(Bytes::from(head))
            .chain(body)
            .chain(std::iter::once(Bytes::from(tail)))
            .map(Ok),
    )
}

fn with_body(status: u16, content_type: &str, body: Body) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).expect("a valid status"))
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .expect("static response")
}

fn sse(events: impl Stream<Item = Chunk> + Send + 'static) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(events))
        .expect("static response")
}

fn redirect(status: u16, location: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).expect("a redirect status"))
        .header(header::LOCATION, location)
        .body(Body::empty())
        .expect("static response")
}

/// A body that fails before its first byte: hyper drops the connection without sending even
/// the status line it had buffered.
fn cut_now() -> Body {
    Body::from_stream(stream::once(async {
        Err::<Bytes, _>(std::io::Error::other("connection closed on purpose"))
    }))
}

/// Fails after `delay`, long enough for what came before to reach the client.
fn cut_after(delay: Duration) -> impl Stream<Item = Chunk> + Send {
    stream::once(async move {
        tokio::time::sleep(delay).await;
        Err(std::io::Error::other("connection cut on purpose"))
    })
}
