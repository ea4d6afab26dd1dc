//! Client configuration. Every field has a sensible default; bindings map their keyword
//! arguments onto these fields one to one.

use serde_json::{json, Value};
use std::time::Duration;

pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Which HTTP redirects the client follows. Whatever the policy, `MCP-Session-Id` and
/// `Authorization` are never sent to another origin: a cross-origin redirect is not followed
/// and surfaces as an `Http` error of kind `Redirect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectPolicy {
    /// Never follow; every 3xx is an `Http` error.
    None,
    /// Follow 307/308 (which keep the method and body) within the same origin, up to this many
    /// hops. 301/302/303 would turn a POST into a GET, which no MCP endpoint answers usefully.
    SameOrigin { max_hops: usize },
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Sent on every request (e.g. `Authorization`). Session headers are managed by the client.
    pub headers: Vec<(String, String)>,
    /// Default time for one request, from sending to the complete response.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// `close()` gives up after this long; local state is cleared regardless.
    pub close_timeout: Duration,
    /// Largest JSON body or single SSE event accepted; larger is a `Protocol` error.
    pub max_response_bytes: usize,
    pub redirects: RedirectPolicy,
    pub user_agent: String,
    /// `clientInfo` sent in `initialize`: at least `name` and `version`.
    pub client_info: Value,
    /// `capabilities` sent in `initialize`.
    pub capabilities: Value,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            headers: Vec::new(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(5),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            redirects: RedirectPolicy::SameOrigin { max_hops: 5 },
            user_agent: concat!("mcpstream/", env!("CARGO_PKG_VERSION")).to_owned(),
            client_info: json!({"name": "mcpstream", "version": env!("CARGO_PKG_VERSION")}),
            capabilities: json!({}),
        }
    }
}

impl ClientOptions {
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    pub fn redirects(mut self, policy: RedirectPolicy) -> Self {
        self.redirects = policy;
        self
    }

    pub fn client_info(mut self, name: &str, version: &str) -> Self {
        self.client_info = json!({"name": name, "version": version});
        self
    }
}
