//! The HTTP side of the reference server: the MCP endpoint with the server half of the session
//! rules (S1–S9 of the spec checklist), plus admin routes tests use to inspect and steer it.

use crate::config::{ServerEra, SUPPORTED_VERSIONS};
use crate::http::{
    accepts, channel_body, header_str, json_response, origin_allowed, plain, post_refusal,
    sse_response,
};
use crate::interactive::{self, Outbox};
use crate::log_levels::LogGate;
use crate::modern;
use crate::state::{RecordedRequest, ScriptedResponse, State};
use crate::streams::ReplayError;
use crate::tools::{self, RpcError, METHOD_NOT_FOUND};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State as Shared};
use axum::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use futures_util::{stream, StreamExt};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";
const KEEPALIVE: Duration = Duration::from_secs(15);

pub fn router(state: Arc<State>) -> Router {
    let routes = Router::new()
        .route("/mcp", any(mcp))
        .route("/moved", any(moved))
        .route(
            "/_admin/requests",
            get(list_requests).delete(clear_requests),
        )
        .route("/_admin/expire", post(expire))
        .route("/_admin/script", post(script))
        .route("/_admin/sessions", get(sessions))
        .route("/_admin/connections", get(connections))
        .route("/_admin/push", post(push))
        .route("/_admin/notify", post(notify))
        .route("/_admin/listeners", get(listeners));
    let routes = crate::hostile::routes(routes);
    crate::http_version::track(crate::auth::mount(routes, &state).with_state(state))
}

async fn mcp(
    Shared(state): Shared<Arc<State>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    if let Some(hostile) = crate::hostile::intercept(&state, &method, peer, &headers, &body).await {
        return hostile;
    }
    let modern_only = state.config.era == ServerEra::ModernOnly;
    // A protected resource refuses before anything else, scripts included.
    let canned = match crate::auth::resource::refusal(&state, &headers, &body) {
        Some(refusal) => Some(refusal),
        None => scripted(&state, &method, &body).await,
    };
    let response = match canned {
        Some(canned) => canned,
        None => match method {
            Method::POST if modern::is_modern(&state.config, &headers, &body) => {
                modern::post(&state, &headers, &body).await
            }
            Method::POST if modern_only => modern::refuse_legacy(&state.config, &headers, &body),
            Method::POST => post_message(&state, &headers, &body).await,
            Method::GET | Method::DELETE if modern_only => plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "2026-07-28 has no standalone stream and no sessions",
            ),
            Method::GET => get_stream(&state, &headers).await,
            Method::DELETE => delete_session(&state, &headers),
            _ => plain(StatusCode::METHOD_NOT_ALLOWED, "use POST, GET or DELETE"),
        },
    };
    state.record(record(
        &method,
        "/mcp",
        peer,
        &headers,
        &body,
        response.status(),
    ));
    response
}

/// A queued canned answer, if one matches. `{{id}}` in its body becomes the JSON-RPC id of
/// the request it answers.
async fn scripted(state: &State, method: &Method, body: &[u8]) -> Option<Response<Body>> {
    let message: Option<Value> = serde_json::from_slice(body).ok();
    let rpc_method = message
        .as_ref()
        .and_then(|m| m.get("method"))
        .and_then(Value::as_str);
    let script = state.take_script(method.as_str(), rpc_method)?;
    let id = message
        .as_ref()
        .and_then(|m| m.get("id"))
        .map_or("null".to_owned(), Value::to_string);
    tokio::time::sleep(Duration::from_millis(script.delay_ms)).await;
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(script.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (name, value) in &script.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    Some(
        builder
            .body(Body::from(script.body.replace("{{id}}", &id)))
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "bad script")),
    )
}

/// A same-origin redirect to the endpoint, for redirect tests.
async fn moved(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
    Shared(state): Shared<Arc<State>>,
    body: Bytes,
) -> Response<Body> {
    let response = Response::builder()
        .status(StatusCode::TEMPORARY_REDIRECT)
        .header(header::LOCATION, "/mcp")
        .body(Body::empty())
        .expect("static response");
    state.record(record(
        &method,
        "/moved",
        peer,
        &headers,
        &body,
        response.status(),
    ));
    response
}

pub(crate) fn record(
    method: &Method,
    path: &str,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
    status: StatusCode,
) -> RecordedRequest {
    let mut map = std::collections::BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        map.entry(name.as_str().to_owned())
            .and_modify(|v: &mut String| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
    };
    RecordedRequest {
        method: method.as_str().to_owned(),
        path: path.to_owned(),
        headers: map,
        body,
        status: status.as_u16(),
        peer: peer.to_string(),
        http_version: crate::http_version::current(),
    }
}

/// An HTTP error whose body is a JSON-RPC error without id, as the spec allows.
fn rpc_http_error(status: StatusCode, code: i64, message: &str) -> Response<Body> {
    json_response(
        status,
        &json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}}),
    )
}

/// S9: a missing version header means 2025-03-26; an unknown one is a 400.
fn version_problem(state: &State, headers: &HeaderMap) -> Option<Response<Body>> {
    match headers.get(VERSION_HEADER) {
        None => None,
        Some(v) if v.to_str().is_ok_and(|v| state.config.accepts_version(v)) => None,
        Some(_) => Some(rpc_http_error(
            StatusCode::BAD_REQUEST,
            -32600,
            "unsupported MCP-Protocol-Version",
        )),
    }
}

/// S4/S5: the session a non-initialize request names must exist. `Ok(None)` when stateless.
#[allow(clippy::result_large_err)]
fn require_session(state: &State, headers: &HeaderMap) -> Result<Option<String>, Response<Body>> {
    if state.config.stateless {
        return Ok(None);
    }
    let Some(id) = header_str(headers, SESSION_HEADER) else {
        return Err(rpc_http_error(
            StatusCode::BAD_REQUEST,
            -32600,
            "missing MCP-Session-Id",
        ));
    };
    let Some(negotiated) = state.session_version(id) else {
        return Err(rpc_http_error(
            StatusCode::NOT_FOUND,
            -32001,
            "session not found",
        ));
    };
    if header_str(headers, VERSION_HEADER).is_some_and(|sent| sent != negotiated) {
        return Err(rpc_http_error(
            StatusCode::BAD_REQUEST,
            -32600,
            "MCP-Protocol-Version differs from the version this session negotiated",
        ));
    }
    Ok(Some(id.to_owned()))
}

async fn post_message(state: &Arc<State>, headers: &HeaderMap, body: &[u8]) -> Response<Body> {
    if let Some(refusal) = post_refusal(headers) {
        return refusal;
    }
    let message = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Value::Object(m),
        Ok(Value::Array(_)) => {
            return rpc_http_error(StatusCode::BAD_REQUEST, -32600, "batches are not supported")
        }
        Ok(_) => {
            return rpc_http_error(StatusCode::BAD_REQUEST, -32600, "invalid JSON-RPC message")
        }
        Err(_) => return rpc_http_error(StatusCode::BAD_REQUEST, -32700, "parse error"),
    };
    let id = message.get("id").cloned().filter(|v| !v.is_null());
    let method = message
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let params = message.get("params").cloned().unwrap_or(Value::Null);

    if method.as_deref() == Some("initialize") {
        let Some(id) = id else {
            return rpc_http_error(
                StatusCode::BAD_REQUEST,
                -32600,
                "initialize must be a request",
            );
        };
        return initialize(state, id, &params);
    }
    if let Some(problem) = version_problem(state, headers) {
        return problem;
    }
    if let Err(problem) = require_session(state, headers) {
        return problem;
    }
    let session = header_str(headers, SESSION_HEADER).map(str::to_owned);
    let (Some(id), Some(method)) = (id, method) else {
        // S2: notifications and responses are accepted without a body. A response answers
        // one of our requests to the client; route it to whoever waits.
        if message.get("result").is_some() || message.get("error").is_some() {
            state.deliver_answer(&message);
        }
        return Response::builder()
            .status(StatusCode::ACCEPTED)
            .body(Body::empty())
            .expect("static response");
    };
    let progress_token = params.pointer("/_meta/progressToken").cloned();
    respond(
        state,
        None,
        session,
        progress_token,
        move |out| async move {
            let result = dispatch(&out, &method, &params).await;
            rpc_reply(&id, result)
        },
    )
}

fn initialize(state: &Arc<State>, id: Value, params: &Value) -> Response<Body> {
    let requested = params
        .get("protocolVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let version = match &state.config.forced_protocol_version {
        Some(forced) => forced.clone(),
        None if SUPPORTED_VERSIONS.contains(&requested) => requested.to_owned(),
        None => SUPPORTED_VERSIONS[0].to_owned(),
    };
    let session = (!state.config.stateless).then(|| state.create_session(&version));
    let result = json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": false}, "resources": {}, "prompts": {}, "logging": {}},
        "serverInfo": {"name": "mcpstream-testserver", "version": env!("CARGO_PKG_VERSION")},
    });
    let reply = rpc_reply(&id, Ok(result));
    let stream_session = session.clone();
    respond(state, session, stream_session, None, move |_| async move {
        reply
    })
}

fn rpc_reply(id: &Value, result: Result<Value, RpcError>) -> Value {
    match result {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(e) => {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": e.code, "message": e.message}})
        }
    }
}

async fn dispatch(out: &Outbox, method: &str, params: &Value) -> Result<Value, RpcError> {
    let page_size = out.state.config.page_size;
    match method {
        "ping" => Ok(json!({})),
        "tools/list" => {
            let mut all = tools::tool_list();
            all.extend(tools::interactive_tool_list());
            tools::page(all, "tools", params, page_size)
        }
        "tools/call" => {
            let args = params
                .get("arguments")
                .cloned()
                .unwrap_or_else(|| json!({}));
            match params.get("name").and_then(Value::as_str) {
                Some("progress") => interactive::progress(out, &args).await,
                Some("ask") => interactive::ask(out, &args).await,
                _ => tools::call_tool(params).await,
            }
        }
        "resources/list" => tools::page(tools::resource_list(), "resources", params, page_size),
        "resources/read" => tools::read_resource(params),
        "prompts/list" => tools::page(tools::prompt_list(), "prompts", params, page_size),
        "prompts/get" => tools::get_prompt(params),
        "logging/setLevel" => tools::set_logging_level(params),
        other => Err(RpcError {
            code: METHOD_NOT_FOUND,
            message: format!("method not found: {other}"),
        }),
    }
}

/// Sends the reply as JSON or as an SSE stream. With SSE the headers go out at once, the
/// stream opens with a priming event, the handler's own messages follow as it sends them,
/// and the response ends the stream; every event is logged for resumption.
fn respond<W, F>(
    state: &Arc<State>,
    session_header: Option<String>,
    session: Option<String>,
    progress_token: Option<Value>,
    work: W,
) -> Response<Body>
where
    W: FnOnce(Arc<Outbox>) -> F + Send + 'static,
    F: std::future::Future<Output = Value> + Send + 'static,
{
    let mut builder = Response::builder().status(StatusCode::OK);
    if let Some(id) = &session_header {
        builder = builder.header(
            SESSION_HEADER,
            HeaderValue::from_str(id).expect("hex ids are valid headers"),
        );
    }
    let mut outbox = Outbox {
        state: state.clone(),
        session: session.clone(),
        writer: None,
        progress_token,
        logs: LogGate::All,
    };
    if state.config.json_response {
        let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
        tokio::spawn(async move {
            let reply = work(Arc::new(outbox)).await;
            let _ = tx.send(Bytes::from(reply.to_string()));
        });
        return builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(channel_body(rx))
            .expect("static response");
    }
    let (writer, rx) = state.hub.open(session);
    writer.prime(state.config.retry_ms);
    outbox.writer = Some(writer);
    tokio::spawn(async move {
        let outbox = Arc::new(outbox);
        let reply = work(outbox.clone()).await;
        if let Some(writer) = &outbox.writer {
            writer.finish(&reply);
        }
    });
    sse_response(builder, rx)
}

/// S7: the standalone stream. It stays open (with keepalive comments) until the session ends.
async fn get_stream(state: &Arc<State>, headers: &HeaderMap) -> Response<Body> {
    if !origin_allowed(headers) {
        return plain(StatusCode::FORBIDDEN, "origin not allowed");
    }
    if !accepts(headers, "text/event-stream") {
        return plain(
            StatusCode::NOT_ACCEPTABLE,
            "Accept must list text/event-stream",
        );
    }
    if state.config.stateless {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "no standalone stream");
    }
    if let Some(problem) = version_problem(state, headers) {
        return problem;
    }
    let id = match require_session(state, headers) {
        Ok(id) => id.expect("stateful"),
        Err(problem) => return problem,
    };
    // Resuming a request's stream: replay what came after the last event the client saw.
    if let Some(last) = header_str(headers, "last-event-id").filter(|l| !l.starts_with("g_")) {
        return match state.hub.resume(Some(&id), last) {
            Ok(rx) => sse_response(Response::builder().status(StatusCode::OK), rx),
            Err(ReplayError::UnknownEventId) => {
                rpc_http_error(StatusCode::BAD_REQUEST, -32600, "unknown Last-Event-ID")
            }
        };
    }
    // The stream exists only once this answer is sent; until then pushes find no listener.
    tokio::time::sleep(Duration::from_millis(state.config.get_delay_ms)).await;
    let Some(rx) = state.session_stream(&id) else {
        return rpc_http_error(StatusCode::NOT_FOUND, -32001, "session not found");
    };
    let opening =
        stream::once(async { Ok::<_, Infallible>(Bytes::from_static(b": stream open\n\n")) });
    let messages = stream::unfold(rx, |mut rx| async move {
        loop {
            match tokio::time::timeout(KEEPALIVE, rx.recv()).await {
                Err(_) => return Some((Ok(Bytes::from_static(b": keepalive\n\n")), rx)),
                Ok(Ok(event)) => return Some((Ok(Bytes::from(event)), rx)),
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
                Ok(Err(broadcast::error::RecvError::Closed)) => return None,
            }
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(opening.chain(messages)))
        .expect("static response")
}

/// S5/S6: DELETE ends a known session (200), 404 for unknown ones, 405 when not offered.
fn delete_session(state: &Arc<State>, headers: &HeaderMap) -> Response<Body> {
    if !origin_allowed(headers) {
        return plain(StatusCode::FORBIDDEN, "origin not allowed");
    }
    if state.config.stateless || !state.config.allow_delete {
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "session termination is not offered",
        );
    }
    if let Some(problem) = version_problem(state, headers) {
        return problem;
    }
    match require_session(state, headers) {
        Ok(id) => {
            state.terminate(&id.expect("stateful"));
            Response::builder()
                .status(StatusCode::OK)
                .body(Body::empty())
                .expect("static response")
        }
        Err(problem) => problem,
    }
}

async fn list_requests(Shared(state): Shared<Arc<State>>) -> Json<Vec<RecordedRequest>> {
    Json(state.requests())
}

async fn clear_requests(Shared(state): Shared<Arc<State>>) -> StatusCode {
    state.clear_requests();
    StatusCode::NO_CONTENT
}

async fn expire(Shared(state): Shared<Arc<State>>) -> Json<Value> {
    Json(json!({"expired": state.expire_sessions()}))
}

async fn script(
    Shared(state): Shared<Arc<State>>,
    Json(script): Json<ScriptedResponse>,
) -> StatusCode {
    state.push_script(script);
    StatusCode::NO_CONTENT
}

/// Sends a JSON-RPC message on every standalone GET stream; answers how many got it.
async fn push(Shared(state): Shared<Arc<State>>, Json(message): Json<Value>) -> Json<Value> {
    Json(json!({"delivered": state.push(&message)}))
}

/// Feeds the modern era's listen streams; answers how many streams it reached.
async fn notify(Shared(state): Shared<Arc<State>>, Json(command): Json<Value>) -> Response<Body> {
    match state.notify_listeners(&command) {
        Ok(n) => json_response(StatusCode::OK, &json!({"delivered": n})),
        Err(problem) => plain(StatusCode::BAD_REQUEST, &problem),
    }
}

async fn listeners(Shared(state): Shared<Arc<State>>) -> Json<Value> {
    Json(json!({"listeners": state.open_listeners()}))
}

async fn connections(Shared(state): Shared<Arc<State>>) -> Json<Value> {
    Json(json!({
        "accepted": state.connections(),
        "tls_handshakes": state.tls_handshakes(),
        "tls_failures": state.tls_failures(),
    }))
}

async fn sessions(Shared(state): Shared<Arc<State>>) -> Json<Value> {
    Json(json!({"sessions": state.session_ids()}))
}
