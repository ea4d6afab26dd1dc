//! Client configuration. Every field has a sensible default; bindings map their keyword
//! arguments onto these fields one to one.

use crate::era::{EraChoice, Verdict};
use crate::handlers::Handlers;
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

/// What a request does when the server answers that its session no longer exists (404).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionExpiryPolicy {
    /// The `SessionExpired` error reaches the caller; the session is cleared.
    #[default]
    Raise,
    /// A new session is started, then the error reaches the caller.
    Reinitialize,
    /// A new session is started and the failed request is sent once more, if the server
    /// refused it (404 to the POST: a server that does not know the session never ran it).
    /// If the server had taken the request and forgot the session while answering (its
    /// stream broke and resuming it met the 404), the request may have run, so it is not
    /// sent again: the new session is started and the error reaches the caller.
    ReinitializeAndRetry,
}

impl std::str::FromStr for SessionExpiryPolicy {
    type Err = crate::Error;

    /// The names the bindings use: `raise`, `reinitialize`, `retry`.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "raise" => Ok(Self::Raise),
            "reinitialize" => Ok(Self::Reinitialize),
            "retry" => Ok(Self::ReinitializeAndRetry),
            other => Err(crate::Error::InvalidArgument {
                message: format!(
                    "on_session_expired must be raise, reinitialize or retry, not {other:?}"
                ),
            }),
        }
    }
}

/// How the client resumes a broken SSE stream (GET with `Last-Event-ID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Attempts in a row without receiving a message; then the client gives up.
    pub max_attempts: u32,
    /// Total time spent reconnecting one stream before giving up.
    pub max_total: Duration,
    /// The wait before reconnecting when the server sent no `retry` field.
    pub default_retry: Duration,
    /// Exponential backoff never waits longer than this.
    pub max_delay: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            max_total: Duration::from_secs(60),
            default_retry: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
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
    /// `capabilities` sent in `initialize`; entries for registered handlers are added.
    pub capabilities: Value,
    pub on_session_expired: SessionExpiryPolicy,
    pub reconnect: ReconnectPolicy,
    /// Open the standalone GET stream after connecting, for server-initiated messages.
    pub standalone_stream: bool,
    /// How long `connect()` waits for the server to answer the standalone GET (an event stream
    /// or 405) before returning anyway. Servers that send a tool's requests on that stream lose
    /// them if a call arrives before it is open; a server that never answers the GET delays
    /// connecting by at most this much (the stream keeps trying in the background).
    pub standalone_open_timeout: Duration,
    /// No request runs longer than this, even when progress keeps resetting its timeout.
    pub max_request_time: Duration,
    pub handlers: Handlers,
    /// Which protocol era `connect()` speaks; `Auto` probes with `server/discover`.
    pub era: EraChoice,
    /// What an earlier probe found (see `Client::verdict`): `connect()` trusts it and sends no
    /// probe. A modern verdict the server disproves is probed again once.
    pub prior: Option<Verdict>,
    /// The `server/discover` probe gives up after this long (never longer than `timeout`); a
    /// probe that times out is an error, not a sign of a legacy server.
    pub probe_timeout: Duration,
    /// A modern request answered `input_required` more often than this fails.
    pub max_input_rounds: u32,
    /// OAuth: how the client obtains the token every request carries. Not together with an
    /// `Authorization` header in `headers`.
    pub auth: Option<crate::auth::Auth>,
    /// HTTP version, TLS, proxy and connection settings.
    pub network: crate::network::NetworkOptions,
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
            on_session_expired: SessionExpiryPolicy::Raise,
            reconnect: ReconnectPolicy::default(),
            standalone_stream: true,
            standalone_open_timeout: Duration::from_secs(1),
            max_request_time: Duration::from_secs(600),
            handlers: Handlers::default(),
            era: EraChoice::Auto,
            prior: None,
            probe_timeout: Duration::from_secs(10),
            max_input_rounds: 10,
            auth: None,
            network: Default::default(),
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

    pub fn on_session_expired(mut self, policy: SessionExpiryPolicy) -> Self {
        self.on_session_expired = policy;
        self
    }

    pub fn standalone_stream(mut self, enabled: bool) -> Self {
        self.standalone_stream = enabled;
        self
    }

    pub fn standalone_open_timeout(mut self, timeout: Duration) -> Self {
        self.standalone_open_timeout = timeout;
        self
    }

    pub fn handlers(mut self, handlers: Handlers) -> Self {
        self.handlers = handlers;
        self
    }

    pub fn era(mut self, era: EraChoice) -> Self {
        self.era = era;
        self
    }

    pub fn prior(mut self, verdict: Verdict) -> Self {
        self.prior = Some(verdict);
        self
    }

    pub fn auth(mut self, auth: impl Into<crate::auth::Auth>) -> Self {
        self.auth = Some(auth.into());
        self
    }

    pub fn client_info(mut self, name: &str, version: &str) -> Self {
        self.client_info = json!({"name": name, "version": version});
        self
    }
}

/// Per-request settings; `Default` uses the client's.
#[derive(Clone, Default)]
pub struct RequestOptions {
    /// Overrides the client's timeout for this request.
    pub timeout: Option<Duration>,
    /// Called with the params of every `notifications/progress` for this request. Setting it
    /// makes the client send `_meta.progressToken`.
    pub on_progress: Option<crate::handlers::ProgressHandler>,
    /// Each progress notification restarts the timeout; `max_request_time` still applies.
    pub reset_timeout_on_progress: bool,
    /// Modern era: the `logLevel` the server may send `notifications/message` at, on this
    /// request's stream (overrides `set_logging_level`).
    pub log_level: Option<String>,
    /// Modern era: ask the server even if a result it allowed to be reused (`ttlMs`) is still
    /// fresh; the new result replaces it.
    pub bypass_cache: bool,
    /// Entries added to the request's `params._meta` (e.g. W3C `traceparent`/`tracestate`),
    /// beside the ones the client sets itself, which win on a clash.
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
}

impl std::fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestOptions")
            .field("timeout", &self.timeout)
            .field("on_progress", &self.on_progress.is_some())
            .field("reset_timeout_on_progress", &self.reset_timeout_on_progress)
            .field("log_level", &self.log_level)
            .field("bypass_cache", &self.bypass_cache)
            .field("meta", &self.meta)
            .finish()
    }
}

impl RequestOptions {
    pub fn timeout(timeout: Duration) -> Self {
        Self {
            timeout: Some(timeout),
            ..Self::default()
        }
    }
}
