//! Absolute-form plain HTTP (`POST http://127.0.0.1:PORT/mcp`): sent on to the target without
//! the hop-by-hop and proxy headers, and its answer streamed back as it arrives, so SSE works.

use super::text;
use axum::body::Body;
use axum::http::{header, HeaderName, Request, Response, StatusCode};
use hyper::body::Incoming;

const MAX_REQUEST_BODY: usize = 64 * 1024 * 1024;

fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "content-length"
    )
}

pub(super) async fn send(
    forwarder: &reqwest::Client,
    request: Request<Incoming>,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let had_body = parts.headers.contains_key(header::CONTENT_LENGTH)
        || parts.headers.contains_key(header::TRANSFER_ENCODING);
    let Ok(body) = axum::body::to_bytes(Body::new(body), MAX_REQUEST_BODY).await else {
        return text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    };
    let mut outgoing = forwarder.request(parts.method, parts.uri.to_string());
    for (name, value) in &parts.headers {
        if !hop_by_hop(name) {
            outgoing = outgoing.header(name, value);
        }
    }
    // A GET without a body must stay without one (not even `content-length: 0`).
    if had_body {
        outgoing = outgoing.body(body);
    }
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(_) => return text(StatusCode::BAD_GATEWAY, "the target did not answer"),
    };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !hop_by_hop(name) {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from_stream(answer.bytes_stream()))
        .unwrap_or_else(|_| text(StatusCode::BAD_GATEWAY, "the target's answer was malformed"))
}
