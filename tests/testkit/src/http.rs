//! Small HTTP pieces both protocol lanes share: plain and JSON answers, SSE bodies, and the
//! checks every POST passes whatever its era (origin, `Accept`, `Content-Type`).

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Response, StatusCode};
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::Value;
use std::convert::Infallible;
use tokio::sync::mpsc;

pub(crate) fn plain(status: StatusCode, text: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(text.to_owned()))
        .expect("static response")
}

pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(value.to_string()))
        .expect("static response")
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// S1: browsers send `Origin`; only loopback origins may reach a loopback server.
pub(crate) fn origin_allowed(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = if rest.starts_with('[') {
        rest.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        rest.split(':').next().unwrap_or_default().to_owned()
    };
    matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]")
}

pub(crate) fn accepts(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| {
            m.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case(media)
        })
}

/// The refusal a POST gets before its body is read: a foreign origin, an `Accept` without
/// both media types, or a body that is not declared JSON.
pub(crate) fn post_refusal(headers: &HeaderMap) -> Option<Response<Body>> {
    if !origin_allowed(headers) {
        return Some(plain(StatusCode::FORBIDDEN, "origin not allowed"));
    }
    if !(accepts(headers, "application/json") && accepts(headers, "text/event-stream")) {
        return Some(plain(
            StatusCode::NOT_ACCEPTABLE,
            "Accept must list application/json and text/event-stream",
        ));
    }
    let json_content = header_str(headers, header::CONTENT_TYPE.as_str()).is_some_and(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/json")
    });
    if !json_content {
        return Some(plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ));
    }
    None
}

pub(crate) fn sse_response(
    builder: axum::http::response::Builder,
    rx: mpsc::UnboundedReceiver<Bytes>,
) -> Response<Body> {
    sse_body(builder, channel_body(rx))
}

pub(crate) fn sse_body(builder: axum::http::response::Builder, body: Body) -> Response<Body> {
    builder
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
        .expect("static response")
}

pub(crate) fn channel_body(rx: mpsc::UnboundedReceiver<Bytes>) -> Body {
    Body::from_stream(chunks(rx).map(Ok::<_, Infallible>))
}

pub(crate) fn chunks(rx: mpsc::UnboundedReceiver<Bytes>) -> impl Stream<Item = Bytes> {
    stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    })
}
