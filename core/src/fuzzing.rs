//! Entry points for the fuzz targets in `core/fuzz`: not an API (hidden from the docs, free to
//! change). Each takes bytes as the network delivers them to a parser the client runs on them,
//! and must return, never panic, whatever the bytes.

use crate::era::Era;
use crate::error::Error;
use crate::jsonrpc::Incoming;
use crate::session::{self, Session};
use crate::sse::{SseEvent, SseParser};
use serde_json::Value;

/// What a stream parsed into: the events, the error that stopped it (an oversize event), the
/// last event id to resume from, and whether it ended mid-event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseOutcome {
    pub events: Vec<SseEvent>,
    pub error: Option<String>,
    pub last_event_id: Option<String>,
    pub ended_mid_event: bool,
}

/// Feeds `chunks` to one parser as consecutive reads of one stream.
pub fn sse_stream<'a>(
    chunks: impl IntoIterator<Item = &'a [u8]>,
    max_event_bytes: usize,
) -> SseOutcome {
    let mut parser = SseParser::new(max_event_bytes);
    let mut events = Vec::new();
    let mut error = None;
    for chunk in chunks {
        if let Err(e) = parser.feed(chunk, &mut events) {
            error = Some(e.to_string());
            break;
        }
    }
    let last_event_id = parser.last_event_id().map(str::to_owned);
    let ended_mid_event = error.is_none() && parser.finish();
    SseOutcome {
        events,
        error,
        last_event_id,
        ended_mid_event,
    }
}

/// A body classified as the client classifies every message it receives, then read the way
/// the client reads a response.
pub fn classify_message(bytes: &[u8]) -> Result<Incoming, Error> {
    let message = Incoming::from_slice(bytes)?;
    let _ = message.response_id();
    let _ = message.clone().into_result();
    Ok(message)
}

/// The `MCP-Session-Id` header value check.
pub fn session_id(value: &[u8]) -> Result<String, Error> {
    session::validate_session_id(value)
}

/// The protocol version check of an `initialize` result given as JSON bytes.
pub fn initialize_version(result: &[u8]) -> Result<String, Error> {
    let value: Value = serde_json::from_slice(result)
        .map_err(|e| Error::protocol(format!("invalid JSON: {e}")))?;
    session::validate_protocol_version(&value)
}

/// What a non-2xx answer becomes, for a request that carried a session of `era` (or none).
pub fn status_error(status: u16, body: &[u8], era: Option<Era>) -> Error {
    let session = era.map(|era| Session {
        era,
        id: (era == Era::Legacy).then(|| "fuzz-session".to_owned()),
        protocol_version: String::new(),
        opening_result: Value::Null,
    });
    session::error_for_status(status, body, session.as_ref())
}

/// Every challenge of these `WWW-Authenticate` values, and the merged Bearer one, as text.
pub fn www_authenticate(headers: &[&str]) -> String {
    let challenges = crate::auth::parse_challenges(headers.iter().copied());
    let bearer = crate::auth::bearer_challenge(headers.iter().copied());
    format!("{challenges:?} {bearer:?}")
}

/// Authorization server metadata (RFC 8414) as the client checks it for `issuer`.
pub fn authorization_server_metadata(document: &[u8], issuer: &str) -> Result<String, Error> {
    let value: Value = serde_json::from_slice(document)
        .map_err(|e| Error::protocol(format!("invalid JSON: {e}")))?;
    crate::auth::parse_server_metadata(&value, issuer, false).map(|m| format!("{m:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_point_answers_garbage_without_panicking() {
        let garbage: &[u8] = b"\xff\x00data: {\r\n\r";
        assert!(sse_stream([garbage], 64).events.len() <= 1);
        assert!(classify_message(garbage).is_err());
        assert!(session_id(garbage).is_err());
        assert!(initialize_version(garbage).is_err());
        assert_eq!(
            status_error(404, garbage, Some(Era::Legacy)).status(),
            Some(404)
        );
        assert!(!www_authenticate(&["Bearer \"unterminated"]).is_empty());
        assert!(authorization_server_metadata(garbage, "https://as.example").is_err());
    }

    #[test]
    fn a_stream_split_anywhere_parses_as_whole() {
        let stream: &[u8] = b"id: 1\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\n: note\rdata: x\r\r";
        let whole = sse_stream([stream], 1024);
        assert_eq!(whole.events.len(), 2);
        for at in 0..=stream.len() {
            let (a, b) = stream.split_at(at);
            assert_eq!(sse_stream([a, b], 1024), whole, "split at {at}");
        }
        assert_eq!(sse_stream(stream.chunks(1), 1024), whole);
    }
}
