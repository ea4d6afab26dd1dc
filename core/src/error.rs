//! The one error type every layer maps: Rust callers match on it, the Python and Ruby bindings
//! turn each variant into the exception class of the same name.

use serde_json::Value;
use std::fmt;
use std::time::Duration;

/// What a non-2xx HTTP status means to a caller, so code can match without memorising numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpErrorKind {
    Redirect,
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    NotAcceptable,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    ClientError,
    ServerError,
    Other,
}

impl HttpErrorKind {
    pub fn from_status(status: u16) -> Self {
        match status {
            300..=399 => Self::Redirect,
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            406 => Self::NotAcceptable,
            409 => Self::Conflict,
            413 => Self::PayloadTooLarge,
            415 => Self::UnsupportedMediaType,
            429 => Self::TooManyRequests,
            500..=599 => Self::ServerError,
            s if (400..500).contains(&s) => Self::ClientError,
            _ => Self::Other,
        }
    }

    /// The snake_case name the bindings expose (`HTTPError.error_type`, Ruby `#error_type`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Redirect => "redirect",
            Self::BadRequest => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::NotAcceptable => "not_acceptable",
            Self::Conflict => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooManyRequests => "too_many_requests",
            Self::ClientError => "client_error",
            Self::ServerError => "server_error",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for HttpErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The request never got an HTTP answer: DNS, connect, TLS, reset, or I/O mid-body.
    Transport { message: String },
    /// No complete answer within the allowed time.
    Timeout { after: Duration },
    /// A non-2xx answer. `body` is capped so a hostile server cannot make the error huge, and
    /// stays out of the message (an HTML error page is many lines). `method` and `url` name
    /// the HTTP request that got the answer; the URL without its query, which may hold keys.
    Http {
        status: u16,
        kind: HttpErrorKind,
        body: String,
        method: String,
        url: String,
    },
    /// The server no longer knows the session this request carried: a 404, or a 400 whose body
    /// says the session id was refused (servers that depart from the spec). Local session state
    /// has been cleared; a fresh `connect()` starts a new one.
    SessionExpired { session_id: String, status: u16 },
    /// The server answered with a JSON-RPC error object.
    Rpc {
        code: i64,
        message: String,
        data: Option<Value>,
    },
    /// The server's answer broke the protocol: malformed JSON or SSE, an unsupported protocol
    /// version, an invalid session id, an oversize body, a stream that ended without a response.
    Protocol { message: String },
    /// A call that needs a connection was made before `connect()`, after `close()`, or after
    /// the session expired (under `SessionExpiryPolicy::Raise`); nothing was sent.
    NotConnected,
    /// A tool reported its own failure (`isError: true`) and the caller asked for that to be
    /// an error ([`Error::check_tool_result`]). `result` is the whole `CallToolResult`.
    Tool {
        name: String,
        message: String,
        result: Value,
    },
    /// The caller's own input was unusable (a bad URL, header or option); nothing was sent.
    /// Bindings raise their language's argument error (`ValueError`, `ArgumentError`).
    InvalidArgument { message: String },
    /// Authorization (OAuth) could not give the request a token: the user must authorize, the
    /// server wants more scope, the authorization server refused, or its answers broke the
    /// rules. `error`/`error_description` are the authorization server's own words, when it
    /// gave any.
    Authorization(Box<AuthError>),
}

/// Why authorization failed; each kind is its own class in Python and Ruby.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// The user must authorize in a browser: no `on_authorize` callback was configured.
    /// `authorization_url` is where to send them; `Client::complete_authorization` finishes.
    Required,
    /// The server answered 403 `insufficient_scope` and stepping up did not help (or is not
    /// possible). `scope` is what it asked for.
    InsufficientScope,
    /// The user or the authorization server refused (`access_denied`, `invalid_grant` on a
    /// code, an `error` in the redirect).
    Denied,
    /// Anything else: discovery, registration, a token endpoint error, an insecure endpoint,
    /// an issuer or state mismatch, an authorization server without PKCE.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    pub kind: AuthErrorKind,
    pub message: String,
    /// The OAuth `error` code (e.g. `invalid_grant`, `access_denied`, `insufficient_scope`).
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// `Required`: the URL the user must open.
    pub authorization_url: Option<String>,
    /// `InsufficientScope`: the scope the server asked for.
    pub scope: Option<String>,
}

impl AuthError {
    pub(crate) fn new(kind: AuthErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            error: None,
            error_description: None,
            authorization_url: None,
            scope: None,
        }
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        Self::Authorization(Box::new(e))
    }
}

impl Error {
    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        Self::Protocol {
            message: message.into(),
        }
    }

    pub(crate) fn auth(kind: AuthErrorKind, message: impl Into<String>) -> Self {
        AuthError::new(kind, message).into()
    }

    pub(crate) fn transport(message: impl Into<String>) -> Self {
        Self::Transport {
            message: message.into(),
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Self::InvalidArgument {
            message: message.into(),
        }
    }

    /// The HTTP status behind the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Http { status, .. } | Self::SessionExpired { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The kind of HTTP failure, if any.
    pub fn http_kind(&self) -> Option<HttpErrorKind> {
        match self {
            Self::Http { kind, .. } => Some(*kind),
            Self::SessionExpired { status, .. } => Some(HttpErrorKind::from_status(*status)),
            _ => None,
        }
    }

    pub fn is_session_expired(&self) -> bool {
        matches!(self, Self::SessionExpired { .. })
    }

    /// A `tools/call` result as it is, or `Error::Tool` if the tool reported failure
    /// (`isError: true`): for callers who would rather handle a failing tool as an error.
    pub fn check_tool_result(name: &str, result: Value) -> Result<Value> {
        if result.get("isError").and_then(Value::as_bool) != Some(true) {
            return Ok(result);
        }
        let said = result
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|item| item.get("text").and_then(Value::as_str))
            .find(|text| !text.trim().is_empty());
        let message = match said {
            Some(text) => format!("tool {name:?} failed: {}", one_line(text, 200)),
            None => format!("tool {name:?} failed (isError: true, no text content)"),
        };
        Err(Self::Tool {
            name: name.to_owned(),
            message,
            result,
        })
    }

    /// Names the request an `Http` error answered (other errors are returned unchanged).
    pub(crate) fn for_request(mut self, request_method: &str, request_url: &url::Url) -> Self {
        if let Self::Http { method, url, .. } = &mut self {
            *method = request_method.to_owned();
            *url = shown_url(request_url);
        }
        self
    }
}

/// A URL fit for a message: no query (keys and codes travel there), fragment or credentials.
pub(crate) fn shown_url(url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.into()
}

/// `text` on one line (runs of whitespace become one space), at most `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut short: String = flat.chars().take(max).collect();
    short.push('…');
    short
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport { message } => write!(f, "transport error: {message}"),
            Self::Timeout { after } => write!(f, "timed out after {:.3}s", after.as_secs_f64()),
            Self::Http {
                status,
                kind,
                method,
                url,
                ..
            } => {
                if !method.is_empty() {
                    write!(f, "{method} {url}: ")?;
                }
                write!(f, "HTTP {status} ({kind})")
            }
            Self::SessionExpired { status, .. } => write!(
                f,
                "session expired: the server answered {status} for this session; connect again to start a new one"
            ),
            Self::Rpc { code, message, .. } => write!(f, "JSON-RPC error {code}: {message}"),
            Self::Protocol { message } => write!(f, "protocol error: {message}"),
            Self::NotConnected => f.write_str(
                "not connected: call connect() first (the client was never connected, was closed, or its session expired)",
            ),
            Self::Tool { message, .. } => f.write_str(message),
            Self::InvalidArgument { message } => write!(f, "invalid argument: {message}"),
            Self::Authorization(e) => {
                write!(f, "authorization: {}", e.message)?;
                match (&e.error, &e.error_description) {
                    (Some(code), Some(text)) => write!(f, " ({code}: {text})"),
                    (Some(code), None) => write!(f, " ({code})"),
                    _ => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_expiry_reads_as_a_404_not_found() {
        let e = Error::SessionExpired {
            session_id: "abc".into(),
            status: 404,
        };
        assert_eq!(e.status(), Some(404));
        assert_eq!(e.http_kind(), Some(HttpErrorKind::NotFound));
        assert!(
            !e.to_string().contains("abc"),
            "session ids stay out of messages"
        );
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(HttpErrorKind::from_status(400).as_str(), "bad_request");
        assert_eq!(
            HttpErrorKind::from_status(405).as_str(),
            "method_not_allowed"
        );
        assert_eq!(HttpErrorKind::from_status(418).as_str(), "client_error");
        assert_eq!(HttpErrorKind::from_status(503).as_str(), "server_error");
        assert_eq!(HttpErrorKind::from_status(307).as_str(), "redirect");
    }
}
