//! What `connect()` established, in either era, and the era's rules for everything that
//! follows: which headers every later request carries, whether streams resume, whether the
//! server may send requests, how an HTTP error maps. The session era (2025-03-26 … 2025-11-25)
//! has an `initialize` handshake and an optional session id; the modern era (2026-07-28) has
//! neither, and its envelope is built in `modern.rs`.

use crate::era::Era;
use crate::error::{Error, HttpErrorKind};
use crate::jsonrpc;
use serde_json::Value;
use std::sync::{Arc, Mutex, MutexGuard};

/// The version the client asks for in `initialize`.
pub const LATEST_PROTOCOL_VERSION: &str = "2025-11-25";

/// Versions the client accepts from a server, newest first.
pub const SUPPORTED_PROTOCOL_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];

pub const SESSION_ID_HEADER: &str = "mcp-session-id";
pub const PROTOCOL_VERSION_HEADER: &str = "mcp-protocol-version";

/// What a successful `connect()` established. Immutable: a new session is a new value. In the
/// modern era there is no session on the server; this holds the version spoken and what
/// `server/discover` said.
#[derive(Debug, Clone)]
pub struct Session {
    pub era: Era,
    /// `None` for a stateless server, which sent no `MCP-Session-Id`, and in the modern era.
    pub id: Option<String>,
    pub protocol_version: String,
    /// The `InitializeResult` (session era) or `DiscoverResult` (modern era).
    pub opening_result: Value,
}

impl Session {
    /// A broken response stream can be resumed with `Last-Event-ID` (gone in the modern era).
    pub(crate) fn resumes_streams(&self) -> bool {
        self.era == Era::Legacy
    }

    /// An abandoned request is cancelled with `notifications/cancelled`; in the modern era,
    /// closing its stream is the cancellation.
    pub(crate) fn cancels_by_notification(&self) -> bool {
        self.era == Era::Legacy
    }

    /// The server may send JSON-RPC requests on streams (the modern era moved them into
    /// results, and a client must drop any that arrive).
    pub(crate) fn takes_server_requests(&self) -> bool {
        self.era == Era::Legacy
    }

    /// Notifications and responses may be POSTed (the modern era defines none over HTTP).
    pub(crate) fn takes_client_messages(&self) -> bool {
        self.era == Era::Legacy
    }
}

/// How logs above DEBUG name a session: a fingerprint of its id, never the id itself (an id
/// is a bearer credential on many servers). DEBUG records carry the id in full.
pub(crate) fn shown(session: &Session) -> String {
    match &session.id {
        Some(id) => {
            let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, id.as_bytes());
            let short: String = hash.as_ref()[..4]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("session #{short}")
        }
        None if session.era == Era::Modern => "modern era".to_owned(),
        None => "stateless".to_owned(),
    }
}

/// The one place a client's session lives, shared by every task using the client.
#[derive(Debug, Default)]
pub(crate) struct SessionState {
    current: Mutex<Option<Arc<Session>>>,
}

impl SessionState {
    fn lock(&self) -> MutexGuard<'_, Option<Arc<Session>>> {
        // A panic elsewhere while holding this lock cannot leave an Option half-written.
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn current(&self) -> Option<Arc<Session>> {
        self.lock().clone()
    }

    pub fn establish(&self, session: Session) -> Arc<Session> {
        let session = Arc::new(session);
        *self.lock() = Some(session.clone());
        session
    }

    /// Replaces `old` by `new` if `old` is still current; returns `new` either way.
    pub fn replace_if_current(&self, old: &Arc<Session>, new: Session) -> Arc<Session> {
        let new = Arc::new(new);
        let mut current = self.lock();
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, old)) {
            *current = Some(new.clone());
        }
        new
    }

    pub fn take(&self) -> Option<Arc<Session>> {
        self.lock().take()
    }

    /// Clears the session only if it is still the one that expired, so an expiry reported by a
    /// slow request cannot wipe a session a concurrent `connect()` has just made.
    pub fn clear_if_current(&self, expired: &Arc<Session>) -> bool {
        let mut current = self.lock();
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, expired)) {
            *current = None;
            true
        } else {
            false
        }
    }
}

/// C8: a session id is one or more visible ASCII characters (0x21–0x7E).
pub(crate) fn validate_session_id(id: &[u8]) -> Result<String, Error> {
    if id.is_empty() || !id.iter().all(|b| (0x21..=0x7E).contains(b)) {
        return Err(Error::protocol(
            "server sent an invalid MCP-Session-Id (must be non-empty visible ASCII)",
        ));
    }
    Ok(String::from_utf8(id.to_vec()).expect("visible ASCII is UTF-8"))
}

pub(crate) fn validate_protocol_version(result: &Value) -> Result<String, Error> {
    let version = result
        .get("protocolVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::protocol("initialize result has no protocolVersion"))?;
    if !SUPPORTED_PROTOCOL_VERSIONS.contains(&version) {
        return Err(Error::protocol(format!(
            "server chose protocol version {version:?}, which mcpstream does not support (supported: {})",
            SUPPORTED_PROTOCOL_VERSIONS.join(", ")
        )));
    }
    Ok(version.to_owned())
}

/// Maps a non-2xx answer. `sent_session` is the session whose id the request carried.
pub(crate) fn error_for_status(status: u16, body: &[u8], sent_session: Option<&Session>) -> Error {
    if sent_session.is_some_and(|s| s.era == Era::Modern) {
        return modern_error_for_status(status, body);
    }
    // A JSON-RPC "method not found" is about the method, never the session; and a modern-only
    // server refusing `initialize` names the versions it speaks (-32022), which the caller
    // needs as such to find the server's era.
    match jsonrpc::error_in_body(body) {
        Some(rpc @ Error::Rpc { code: -32601, .. }) if status == 404 => return rpc,
        Some(
            rpc @ Error::Rpc {
                code: crate::era::UNSUPPORTED_PROTOCOL_VERSION,
                ..
            },
        ) => return rpc,
        _ => {}
    }
    // Some servers (server-everything among them) answer an unknown session with 400 where the
    // spec says 404. Reading that as an expiry is what keeps a client usable after such a server
    // restarts: otherwise every later call fails with the same 400.
    let session_refused = status == 404 || (status == 400 && refuses_the_session(body));
    match sent_session.and_then(|s| s.id.clone()) {
        Some(session_id) if session_refused => Error::SessionExpired { session_id, status },
        _ => http_error(status, body),
    }
}

/// The caller names the request with `Error::for_request`.
fn http_error(status: u16, body: &[u8]) -> Error {
    Error::Http {
        status,
        kind: HttpErrorKind::from_status(status),
        body: String::from_utf8_lossy(body).into_owned(),
        method: String::new(),
        url: String::new(),
    }
}

/// E10: modern servers answer errors with a JSON-RPC body at 400, 404 or 200 alike; the body
/// is the error. 401/403 stay HTTP errors (authorization answers them) and so do 5xx (an
/// outage, whatever the body says).
fn modern_error_for_status(status: u16, body: &[u8]) -> Error {
    let speaks_for_itself = !(status == 401 || status == 403 || status >= 500);
    if speaks_for_itself {
        if let Some(rpc) = jsonrpc::error_in_body(body) {
            return rpc;
        }
    }
    http_error(status, body)
}

/// Whether a 400 body says the session id itself was refused, as opposed to anything else
/// being wrong with the request. Deliberately narrow: it must name the session.
fn refuses_the_session(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]).to_ascii_lowercase();
    let names_session = text.contains("session");
    let refused = [
        "not found",
        "no valid",
        "invalid",
        "unknown",
        "expired",
        "terminated",
    ]
    .iter()
    .any(|phrase| text.contains(phrase));
    names_session && refused
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn session(id: Option<&str>) -> Session {
        Session {
            era: Era::Legacy,
            id: id.map(str::to_owned),
            protocol_version: LATEST_PROTOCOL_VERSION.into(),
            opening_result: json!({}),
        }
    }

    #[test]
    fn session_ids_must_be_visible_ascii() {
        assert!(validate_session_id(b"abc-123_~!").is_ok());
        for bad in [&b""[..], b"has space", b"tab\t", b"\x7f", "é".as_bytes()] {
            assert!(validate_session_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_known_versions_are_accepted() {
        assert_eq!(
            validate_protocol_version(&json!({"protocolVersion": "2025-03-26"})).unwrap(),
            "2025-03-26"
        );
        let err = validate_protocol_version(&json!({"protocolVersion": "2024-11-05"})).unwrap_err();
        assert!(err.to_string().contains("2024-11-05"), "{err}");
        assert!(validate_protocol_version(&json!({})).is_err());
    }

    #[test]
    fn not_found_depends_on_what_was_sent() {
        let s = session(Some("sid"));
        assert!(matches!(
            error_for_status(404, b"gone", Some(&s)),
            Error::SessionExpired { session_id, status: 404 } if session_id == "sid"
        ));
        assert!(matches!(
            error_for_status(404, b"gone", None),
            Error::Http {
                status: 404,
                kind: HttpErrorKind::NotFound,
                ..
            }
        ));
        assert!(matches!(
            error_for_status(404, b"", Some(&session(None))),
            Error::Http { status: 404, .. }
        ));
        let method_missing = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}}"#;
        assert!(matches!(
            error_for_status(404, method_missing, Some(&s)),
            Error::Rpc { code: -32601, .. }
        ));
        assert!(matches!(
            error_for_status(500, b"boom", Some(&s)),
            Error::Http {
                status: 500,
                kind: HttpErrorKind::ServerError,
                ..
            }
        ));
    }

    #[test]
    fn a_400_that_refuses_the_session_is_an_expiry() {
        let s = session(Some("sid"));
        let everything =
            br#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}"#;
        for body in [
            &everything[..],
            b"Session not found",
            b"Invalid or missing session ID",
        ] {
            assert!(
                matches!(
                    error_for_status(400, body, Some(&s)),
                    Error::SessionExpired { status: 400, .. }
                ),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        // Without a session id sent, or about something else, a 400 stays a 400.
        assert!(matches!(
            error_for_status(400, everything, None),
            Error::Http { status: 400, .. }
        ));
        for body in [
            &b"Bad Request: unsupported protocol version"[..],
            b"Parse error",
            b"",
        ] {
            assert!(matches!(
                error_for_status(400, body, Some(&s)),
                Error::Http { status: 400, .. }
            ));
        }
    }

    #[test]
    fn modern_errors_are_their_json_rpc_bodies_at_any_status() {
        let modern = Session {
            era: Era::Modern,
            id: None,
            protocol_version: "2026-07-28".into(),
            opening_result: json!({}),
        };
        let body = br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32020,"message":"x"}}"#;
        for status in [400, 404, 409] {
            assert!(matches!(
                error_for_status(status, body, Some(&modern)),
                Error::Rpc { code: -32020, .. }
            ));
        }
        for status in [401, 403, 500, 503] {
            assert!(matches!(
                error_for_status(status, body, Some(&modern)),
                Error::Http { .. }
            ));
        }
        assert!(matches!(
            error_for_status(404, b"", Some(&modern)),
            Error::Http { status: 404, .. }
        ));
    }

    #[test]
    fn clear_if_current_ignores_a_replaced_session() {
        let state = SessionState::default();
        let old = state.establish(session(Some("old")));
        let new = state.establish(session(Some("new")));
        assert!(!state.clear_if_current(&old));
        assert_eq!(state.current().unwrap().id.as_deref(), Some("new"));
        assert!(state.clear_if_current(&new));
        assert!(state.current().is_none());
    }
}
