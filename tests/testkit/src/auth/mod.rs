//! An OAuth 2.1 authorization server (AS) in the reference server, and the bearer check that
//! makes `/mcp` a protected resource, both on when `Config.auth` is set (`--auth`). Headless
//! like the conformance suite's AS: `/authorize` answers a 302 at once.
//!
//! Routes (origin = `http://<Host header>`, issuer = origin + the issuer path, `""` by default):
//! - `/.well-known/oauth-protected-resource/mcp` and `/.well-known/oauth-protected-resource`:
//!   RFC 9728 metadata naming the current issuer.
//! - `/.well-known/oauth-authorization-server<path>` (or the OpenID Connect URLs): RFC 8414.
//! - `<path>/authorize`, `<path>/token`, `<path>/register` for every issuer this server knows
//!   (the configured one and any an admin switch named since), each with its own clients and
//!   tokens.
//! - `/_admin/auth/...`: see `admin.rs`.
//!
//! Every request to these routes is recorded like `/mcp` ones; what the AS saw is summarised
//! in [`AuthStats`] (`GET /_admin/auth/stats`, [`crate::TestServer::auth`]).

mod admin;
mod authorize;
mod client_auth;
mod metadata;
mod pkce;
mod register;
pub(crate) mod resource;
mod routes;
pub(crate) mod settings;
mod state;
mod token;

pub use settings::{AuthSettings, IssMode, StateMode};
pub use state::{AuthState, AuthStats, AuthorizeFailure, TokenFailure, TokenRequestRecord};

use axum::body::Body;
use axum::http::{header, HeaderMap, Response, StatusCode};
use serde_json::json;

pub(crate) use routes::mount;

pub(crate) const PRM_PATH: &str = "/.well-known/oauth-protected-resource";

/// The scheme and authority clients used to reach this server, so that every URL it
/// advertises matches theirs (`localhost` stays `localhost`).
pub(crate) fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', ' ', '@']))
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// The path-based PRM URL for `/mcp`, the one 401 challenges name.
pub(crate) fn prm_url(origin: &str) -> String {
    format!("{origin}{PRM_PATH}/mcp")
}

pub(crate) fn base64url(bytes: &[u8]) -> String {
    crate::base64::encode(bytes)
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

pub(crate) fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    if text.contains(['+', '/', '=']) {
        return None;
    }
    let mut standard = text.replace('-', "+").replace('_', "/");
    let padding = (4 - standard.len() % 4) % 4;
    standard.push_str(&"=".repeat(padding));
    crate::base64::decode(&standard)
}

/// An unguessable opaque value with a prefix that says what it is, for readable logs.
pub(crate) fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).expect("the OS random source failed");
    format!("{prefix}_{}", base64url(&bytes))
}

/// What an authorization route does with a request.
pub(crate) enum Outcome {
    Answer(Response<Body>),
    /// Close the connection without answering, as a network failure would.
    Drop,
}

/// An OAuth error (RFC 6749 §5.2) the endpoints answer with.
#[derive(Debug)]
pub(crate) struct OAuthError {
    pub status: StatusCode,
    pub error: String,
    pub description: String,
}

impl OAuthError {
    pub fn new(error: &str, description: impl Into<String>) -> Self {
        let status = if error == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        Self {
            status,
            error: error.to_owned(),
            description: description.into(),
        }
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn response(&self) -> Response<Body> {
        let mut builder = Response::builder()
            .status(self.status)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CACHE_CONTROL, "no-store");
        if self.status == StatusCode::UNAUTHORIZED {
            builder = builder.header(
                header::WWW_AUTHENTICATE,
                "Basic realm=\"mcpstream-testkit\"",
            );
        }
        builder
            .body(Body::from(
                json!({"error": self.error, "error_description": self.description}).to_string(),
            ))
            .expect("static response")
    }
}
