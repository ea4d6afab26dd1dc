//! The async client: the session lifecycle on top of the transport.

use crate::error::{Error, Result};
use crate::jsonrpc::{self, Incoming, RequestId};
use crate::options::ClientOptions;
use crate::session::{self, Session, SessionState, LATEST_PROTOCOL_VERSION, SESSION_ID_HEADER};
use crate::sse::{SseEvent, SseParser};
use crate::transport::Transport;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Guards against a server whose `nextCursor` never ends.
const MAX_LIST_PAGES: usize = 10_000;

/// What `close()` did. Local session state is cleared in every case.
#[derive(Debug, Clone)]
pub enum CloseOutcome {
    /// The server confirmed the DELETE (any 2xx).
    Terminated,
    /// The server does not let clients end sessions (405).
    NotSupported,
    /// The server no longer knew the session (404).
    AlreadyGone,
    /// There was no session to end (never connected, already closed, or a stateless server).
    NoSession,
    /// The DELETE failed (network, timeout, another status); the server may keep the session.
    Failed(Error),
}

impl CloseOutcome {
    /// The snake_case name the bindings return.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Terminated => "terminated",
            Self::NotSupported => "not_supported",
            Self::AlreadyGone => "already_gone",
            Self::NoSession => "no_session",
            Self::Failed(_) => "failed",
        }
    }
}

/// A Streamable HTTP MCP client. Cheap to clone (clones share one connection pool and one
/// session); `Send + Sync`, so any number of tasks or threads may use it at once.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transport: Transport,
    session: SessionState,
    next_id: AtomicI64,
    options: ClientOptions,
}

impl Client {
    pub fn new(url: &str) -> Result<Self> {
        Self::with_options(url, ClientOptions::default())
    }

    pub fn with_options(url: &str, options: ClientOptions) -> Result<Self> {
        Ok(Self {
            inner: Arc::new(Inner {
                transport: Transport::new(url, &options)?,
                session: SessionState::default(),
                next_id: AtomicI64::new(1),
                options,
            }),
        })
    }

    pub fn url(&self) -> &str {
        self.inner.transport.url().as_str()
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The current session, if `connect()` succeeded and nothing has ended it since.
    pub fn session(&self) -> Option<Arc<Session>> {
        self.inner.session.current()
    }

    /// The server-assigned `MCP-Session-Id`; `None` before connecting, after the session ended,
    /// and for stateless servers.
    pub fn session_id(&self) -> Option<String> {
        self.session().and_then(|s| s.id.clone())
    }

    pub fn protocol_version(&self) -> Option<String> {
        self.session().map(|s| s.protocol_version.clone())
    }

    pub fn server_info(&self) -> Option<Value> {
        self.session()
            .and_then(|s| s.initialize_result.get("serverInfo").cloned())
    }

    pub fn server_capabilities(&self) -> Option<Value> {
        self.session()
            .and_then(|s| s.initialize_result.get("capabilities").cloned())
    }

    /// Runs the `initialize` handshake and returns the server's InitializeResult. A session
    /// this client already holds is closed first, so reconnecting never leaks one.
    pub async fn connect(&self) -> Result<Value> {
        if self.session().is_some() {
            self.close().await;
        }
        let opts = &self.inner.options;
        let params = json!({
            "protocolVersion": LATEST_PROTOCOL_VERSION,
            "capabilities": opts.capabilities,
            "clientInfo": opts.client_info,
        });
        let id = self.next_id();
        let body = jsonrpc::request_body(&id, "initialize", Some(params));
        let answer = self
            .timed(opts.timeout, async {
                self.inner
                    .transport
                    .post_request(&id, body, None, &mut |m| self.on_server_message(m))
                    .await
            })
            .await?;
        let result = answer.message.into_result()?;
        let session_id = answer
            .headers
            .get(SESSION_ID_HEADER)
            .map(|v| session::validate_session_id(v.as_bytes()))
            .transpose()?;
        let protocol_version = match session::validate_protocol_version(&result) {
            Ok(v) => v,
            Err(e) => {
                if session_id.is_some() {
                    // The server made a session we cannot use; end it rather than leak it.
                    let chosen = result.get("protocolVersion").and_then(Value::as_str);
                    let doomed = Session {
                        id: session_id,
                        protocol_version: chosen.unwrap_or(LATEST_PROTOCOL_VERSION).into(),
                        initialize_result: Value::Null,
                    };
                    let _ = tokio::time::timeout(
                        opts.close_timeout,
                        self.inner.transport.delete(&doomed),
                    )
                    .await;
                }
                return Err(e);
            }
        };
        let session = self.inner.session.establish(Session {
            id: session_id,
            protocol_version,
            initialize_result: result.clone(),
        });
        let initialized = jsonrpc::notification_body("notifications/initialized", None);
        if let Err(e) = self.post_message(initialized, &session, opts.timeout).await {
            if !e.is_session_expired() {
                self.close().await;
            }
            return Err(e);
        }
        Ok(result)
    }

    /// Sends a JSON-RPC request and returns its `result`, with the client's default timeout.
    pub async fn request(&self, method: &str, params: Option<Value>) -> Result<Value> {
        self.request_with_timeout(method, params, None).await
    }

    /// Sends a JSON-RPC request; `timeout` overrides the client default for this call.
    pub async fn request_with_timeout(
        &self,
        method: &str,
        params: Option<Value>,
        timeout: Option<Duration>,
    ) -> Result<Value> {
        let id = self.next_id();
        let body = jsonrpc::request_body(&id, method, params);
        let session = self.session();
        let timeout = timeout.unwrap_or(self.inner.options.timeout);
        let outcome = self
            .timed(timeout, async {
                self.inner
                    .transport
                    .post_request(&id, body, session.as_deref(), &mut |m| {
                        self.on_server_message(m)
                    })
                    .await
            })
            .await;
        self.observe(outcome, session.as_ref())?
            .message
            .into_result()
    }

    /// Sends a notification; succeeds when the server accepts it (any 2xx).
    pub async fn notify(&self, method: &str, params: Option<Value>) -> Result<()> {
        let body = jsonrpc::notification_body(method, params);
        let session = self.session();
        let timeout = self.inner.options.timeout;
        let outcome = self
            .timed(timeout, async {
                self.inner
                    .transport
                    .post_message(body, session.as_deref())
                    .await
            })
            .await;
        self.observe(outcome, session.as_ref())
    }

    pub async fn ping(&self) -> Result<()> {
        self.request("ping", None).await.map(drop)
    }

    /// All tools, following `nextCursor` to the last page: `{"tools": [...]}`.
    pub async fn list_tools(&self) -> Result<Value> {
        self.list_all("tools/list", "tools").await
    }

    /// Calls a tool. A tool's own failure is a normal result with `isError: true`, not an `Err`.
    pub async fn call_tool(&self, name: &str, arguments: Option<Value>) -> Result<Value> {
        self.call_tool_with_timeout(name, arguments, None).await
    }

    pub async fn call_tool_with_timeout(
        &self,
        name: &str,
        arguments: Option<Value>,
        timeout: Option<Duration>,
    ) -> Result<Value> {
        let params = json!({"name": name, "arguments": arguments.unwrap_or_else(|| json!({}))});
        self.request_with_timeout("tools/call", Some(params), timeout)
            .await
    }

    /// All resources, following `nextCursor`: `{"resources": [...]}`.
    pub async fn list_resources(&self) -> Result<Value> {
        self.list_all("resources/list", "resources").await
    }

    pub async fn read_resource(&self, uri: &str) -> Result<Value> {
        self.request("resources/read", Some(json!({"uri": uri})))
            .await
    }

    /// All prompts, following `nextCursor`: `{"prompts": [...]}`.
    pub async fn list_prompts(&self) -> Result<Value> {
        self.list_all("prompts/list", "prompts").await
    }

    pub async fn get_prompt(&self, name: &str, arguments: Option<Value>) -> Result<Value> {
        let mut params = json!({"name": name});
        if let Some(args) = arguments {
            params["arguments"] = args;
        }
        self.request("prompts/get", Some(params)).await
    }

    /// Ends the session: DELETE with the session headers, bounded by `close_timeout`. Local state
    /// is cleared before anything is sent, so it is cleared whatever happens, even if this
    /// future is dropped. Safe to call any number of times.
    pub async fn close(&self) -> CloseOutcome {
        let Some(session) = self.inner.session.take() else {
            return CloseOutcome::NoSession;
        };
        if session.id.is_none() {
            return CloseOutcome::NoSession;
        }
        let limit = self.inner.options.close_timeout;
        match tokio::time::timeout(limit, self.inner.transport.delete(&session)).await {
            Err(_) => CloseOutcome::Failed(Error::Timeout { after: limit }),
            Ok(Err(e)) => CloseOutcome::Failed(e),
            Ok(Ok(200..=299)) => CloseOutcome::Terminated,
            Ok(Ok(405)) => CloseOutcome::NotSupported,
            Ok(Ok(404)) => CloseOutcome::AlreadyGone,
            Ok(Ok(status)) => CloseOutcome::Failed(session::error_for_status(status, b"", None)),
        }
    }

    /// Opens the standalone GET stream on which the server may send requests and
    /// notifications. `Ok(None)` if the server offers none (405).
    pub async fn open_event_stream(&self) -> Result<Option<EventStream>> {
        let session = self.session();
        let outcome = self
            .timed(self.inner.options.timeout, async {
                self.inner
                    .transport
                    .open_event_stream(session.as_deref(), None)
                    .await
            })
            .await;
        let response = self.observe(outcome, session.as_ref())?;
        Ok(response.map(|response| EventStream {
            response,
            parser: SseParser::new(self.inner.transport.max_response_bytes()),
            pending: Vec::new(),
        }))
    }

    fn next_id(&self) -> RequestId {
        RequestId::Number(self.inner.next_id.fetch_add(1, Ordering::Relaxed))
    }

    async fn timed<T>(&self, limit: Duration, fut: impl Future<Output = Result<T>>) -> Result<T> {
        tokio::time::timeout(limit, fut)
            .await
            .unwrap_or(Err(Error::Timeout { after: limit }))
    }

    /// A session expiry seen by any request ends the session it was sent with.
    fn observe<T>(&self, outcome: Result<T>, sent_with: Option<&Arc<Session>>) -> Result<T> {
        if let (Err(Error::SessionExpired { .. }), Some(session)) = (&outcome, sent_with) {
            self.inner.session.clear_if_current(session);
        }
        outcome
    }

    async fn post_message(
        &self,
        body: Vec<u8>,
        session: &Arc<Session>,
        limit: Duration,
    ) -> Result<()> {
        let outcome = self
            .timed(
                limit,
                self.inner.transport.post_message(body, Some(session)),
            )
            .await;
        self.observe(outcome, Some(session))
    }

    /// Messages the server sends on a request's stream besides the response. A server waiting
    /// on an answer must get one, so requests are answered even before handlers exist: `ping`
    /// with an empty result, anything else with "method not found".
    fn on_server_message(&self, message: Incoming) {
        let Incoming::Request { id, method, .. } = message else {
            return;
        };
        let reply = if method == "ping" {
            json!({"jsonrpc": "2.0", "id": id.to_value(), "result": {}})
        } else {
            json!({"jsonrpc": "2.0", "id": id.to_value(),
                   "error": {"code": -32601, "message": format!("method not found: {method}")}})
        };
        let client = self.clone();
        tokio::spawn(async move {
            if let Some(session) = client.session() {
                let body = serde_json::to_vec(&reply).expect("JSON values always serialise");
                let limit = client.inner.options.timeout;
                let _ = client.post_message(body, &session, limit).await;
            }
        });
    }

    async fn list_all(&self, method: &str, key: &str) -> Result<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<Value> = None;
        let mut seen = HashSet::new();
        for _ in 0..MAX_LIST_PAGES {
            let params = cursor.take().map(|c| json!({"cursor": c}));
            let mut page = self.request(method, params).await?;
            match page.get_mut(key).map(Value::take) {
                Some(Value::Array(mut batch)) => items.append(&mut batch),
                _ => {
                    return Err(Error::protocol(format!(
                        "{method} result has no {key:?} array"
                    )))
                }
            }
            match page.get("nextCursor") {
                None | Some(Value::Null) => return Ok(json!({ key: items })),
                Some(next) => {
                    if !seen.insert(next.to_string()) {
                        return Err(Error::protocol(format!(
                            "{method} returned the same nextCursor twice; stopping to avoid a loop"
                        )));
                    }
                    cursor = Some(next.clone());
                }
            }
        }
        Err(Error::protocol(format!(
            "{method} returned more than {MAX_LIST_PAGES} pages"
        )))
    }
}

/// A server-to-client SSE stream opened with GET.
pub struct EventStream {
    response: reqwest::Response,
    parser: SseParser,
    pending: Vec<SseEvent>,
}

impl EventStream {
    /// The next JSON-RPC message, or `Ok(None)` when the server ends the stream.
    pub async fn next_message(&mut self) -> Result<Option<Incoming>> {
        loop {
            while !self.pending.is_empty() {
                let event = self.pending.remove(0);
                if !event.data.is_empty() && (event.event.is_empty() || event.event == "message") {
                    return Incoming::from_slice(event.data.as_bytes()).map(Some);
                }
            }
            match self.response.chunk().await {
                Ok(Some(chunk)) => self.parser.feed(&chunk, &mut self.pending)?,
                Ok(None) => return Ok(None),
                Err(e) => return Err(Error::transport(e.to_string())),
            }
        }
    }

    /// The id of the last event received, for resuming with `Last-Event-ID`.
    pub fn last_event_id(&self) -> Option<&str> {
        self.parser.last_event_id()
    }
}
