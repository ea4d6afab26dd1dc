//! The async client: its public API, and the session lifecycle (connect, close, expiry,
//! session-change events). A request's life (deadline, progress, cancellation, resumption,
//! expiry policy) is in `request.rs`, server messages in `dispatch.rs`, the standalone GET
//! stream in `standalone.rs`.

use crate::era::{Era, Verdict};
use crate::error::{Error, Result};
use crate::handlers::{SessionChange, SessionChangeReason};
use crate::jsonrpc::{self, RequestId};
use crate::options::{ClientOptions, RequestOptions, SessionExpiryPolicy};
use crate::request::OnBreak;
use crate::session::{self, Session, SessionState, LATEST_PROTOCOL_VERSION, SESSION_ID_HEADER};
use crate::standalone;
use crate::stream::{MessageStream, Next};
use crate::tool_headers::ToolHeaders;
use crate::transport::{Reply, Transport};
use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use tokio::task::AbortHandle;

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
    /// The session came with the client across `fork()`: the parent process may still use it,
    /// so the child forgot it without ending it on the server.
    LeftToParent,
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
            Self::LeftToParent => "left_to_parent",
        }
    }
}

/// A Streamable HTTP MCP client. Cheap to clone (clones share one connection pool and one
/// session); `Send + Sync`, so any number of tasks or threads may use it at once.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub transport: Transport,
    pub session: SessionState,
    next_id: AtomicI64,
    pub options: ClientOptions,
    /// Progress listeners of requests in flight, by progress token.
    pub progress: Mutex<HashMap<String, crate::request::ProgressSink>>,
    /// Handlers answering server requests, by request id, so the server can cancel them.
    pub server_requests: Mutex<HashMap<String, AbortHandle>>,
    pub standalone: Mutex<Option<AbortHandle>>,
    /// Serialises re-initialisation so concurrent expiries start one new session, not many.
    /// Per process: a task of the parent that held it at fork time would hold it for ever.
    reinit: crate::fork::PerProcess<Arc<tokio::sync::Mutex<()>>>,
    /// `capabilities` plus one entry per registered handler: sent in `initialize`, and in
    /// every modern request's `_meta`.
    pub capabilities: Value,
    /// Modern era: what `tools/list` said about each tool's `x-mcp-header` arguments; `None`
    /// until the tools were listed on this connection.
    pub tools: Mutex<Option<HashMap<String, ToolHeaders>>>,
    /// Modern era: the `logLevel` every request asks for, set by `set_logging_level`.
    pub log_level: Mutex<Option<String>>,
    /// The modern era was taken from a remembered verdict that no answer has confirmed yet.
    pub verdict_unproven: AtomicBool,
    /// Modern era: results the server said may be reused for a while.
    pub cache: crate::cache::ResultCache,
    /// The process generation (`fork.rs`) this client's state belongs to.
    pub generation: std::sync::atomic::AtomicU64,
    /// The session a forked child inherited from its parent: the child does not end it.
    pub inherited: Mutex<Option<Arc<Session>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if self.generation.load(Ordering::Acquire) != crate::fork::generation() {
            self.forget_the_parents_tasks();
            return;
        }
        if let Some(task) = lock(&self.standalone).take() {
            task.abort();
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Client {
    pub fn new(url: &str) -> Result<Self> {
        Self::with_options(url, ClientOptions::default())
    }

    pub fn with_options(url: &str, options: ClientOptions) -> Result<Self> {
        let mut capabilities = options.handlers.capabilities(&options.capabilities);
        if let Some(extension) = options.auth.as_ref().and_then(crate::auth::Auth::extension) {
            capabilities["extensions"][extension] = json!({});
        }
        Ok(Self {
            inner: Arc::new(Inner {
                transport: Transport::new(url, &options)?,
                capabilities,
                tools: Mutex::default(),
                log_level: Mutex::default(),
                verdict_unproven: AtomicBool::new(false),
                cache: Default::default(),
                session: SessionState::default(),
                next_id: AtomicI64::new(1),
                options,
                progress: Mutex::default(),
                server_requests: Mutex::default(),
                standalone: Mutex::default(),
                reinit: crate::fork::PerProcess::new(Default::default),
                generation: crate::fork::generation().into(),
                inherited: Mutex::default(),
            }),
        })
    }

    pub(crate) fn downgrade(&self) -> Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    pub(crate) fn upgrade(weak: &Weak<Inner>) -> Option<Self> {
        weak.upgrade().map(|inner| Self { inner })
    }

    pub fn url(&self) -> &str {
        self.inner.transport.url().as_str()
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The current session, if `connect()` succeeded and nothing has ended it since.
    pub fn session(&self) -> Option<Arc<Session>> {
        self.adopt_if_forked();
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

    /// The era `connect()` settled on; `None` when not connected.
    pub fn era(&self) -> Option<Era> {
        self.session().map(|s| s.era)
    }

    /// What `connect()` learnt about the server's era, to hand to a later client as
    /// `ClientOptions::prior` (e.g. saved across runs) so it need not probe.
    pub fn verdict(&self) -> Option<Verdict> {
        self.session().map(|s| match s.era {
            Era::Legacy => Verdict::Legacy,
            Era::Modern => Verdict::Modern {
                version: s.protocol_version.clone(),
                discover: s.opening_result.clone(),
            },
        })
    }

    pub fn server_info(&self) -> Option<Value> {
        let session = self.session()?;
        match session.era {
            Era::Legacy => session.opening_result.get("serverInfo").cloned(),
            Era::Modern => crate::modern::server_info(&session.opening_result),
        }
    }

    pub fn server_capabilities(&self) -> Option<Value> {
        self.session()
            .and_then(|s| s.opening_result.get("capabilities").cloned())
    }

    /// The server's `instructions`, if it gave any.
    pub fn instructions(&self) -> Option<String> {
        let session = self.session()?;
        let text = session.opening_result.get("instructions")?.as_str()?;
        Some(text.to_owned())
    }

    /// The server's description in the shape of a `DiscoverResult` in both eras:
    /// `supportedVersions`, `capabilities`, `serverInfo` and `instructions` (when given). In
    /// the session era it comes from the `InitializeResult` and lists the negotiated version.
    pub fn discover_result(&self) -> Option<Value> {
        let session = self.session()?;
        let mut described = json!({
            "capabilities": self.server_capabilities().unwrap_or_else(|| json!({})),
        });
        let versions = match session.era {
            Era::Modern => session
                .opening_result
                .get("supportedVersions")
                .cloned()
                .unwrap_or_else(|| json!([])),
            Era::Legacy => json!([session.protocol_version]),
        };
        described["supportedVersions"] = versions;
        if let Some(info) = self.server_info() {
            described["serverInfo"] = info;
        }
        if let Some(text) = self.instructions() {
            described["instructions"] = text.into();
        }
        Some(described)
    }

    /// Connects in the era `ClientOptions::era` asks for (by default: probe with
    /// `server/discover`, fall back to `initialize`) and returns the server's opening result:
    /// its `InitializeResult`, or in the modern era its `DiscoverResult`. A session this
    /// client already holds is closed first, so reconnecting never leaks one.
    pub async fn connect(&self) -> Result<Value> {
        if self.session().is_some() {
            // The pooled connections stay: the new session goes to the same server.
            self.end_session().await;
        }
        let (result, session) = self.open().await?;
        log::info!(
            "connected to {}: {} era, protocol {}{}",
            crate::error::shown_url(self.inner.transport.url()),
            session.era.as_str(),
            session.protocol_version,
            match session.era {
                Era::Legacy => format!(", {}", session::shown(&session)),
                Era::Modern => String::new(),
            }
        );
        if let Some(id) = &session.id {
            log::debug!("{} has id {id}", session::shown(&session));
        }
        self.session_changed(None, session.id.clone(), SessionChangeReason::Connected);
        Ok(result)
    }

    /// Adopts a session made earlier (e.g. by another process) without `initialize`. The
    /// server must still know it; if not, the first request reports the expiry.
    pub fn resume(&self, session_id: &str, protocol_version: &str) -> Result<()> {
        let id = session::validate_session_id(session_id.as_bytes())
            .map_err(|_| Error::invalid_argument("session id must be non-empty visible ASCII"))?;
        session::validate_protocol_version(&json!({ "protocolVersion": protocol_version }))
            .map_err(|e| Error::invalid_argument(e.to_string()))?;
        let old = self.session_id();
        let session = self.inner.session.establish(Session {
            era: Era::Legacy,
            id: Some(id),
            protocol_version: protocol_version.to_owned(),
            opening_result: Value::Null,
        });
        self.session_changed(old, session.id.clone(), SessionChangeReason::Connected);
        // resume() is synchronous: the stream opens in the background, unawaited.
        let _ = standalone::start(self, session);
        Ok(())
    }

    /// The handshake; the caller reports the session change (outside any lock it holds).
    pub(crate) async fn initialize(&self) -> Result<(Value, Arc<Session>)> {
        let opts = &self.inner.options;
        let params = json!({
            "protocolVersion": LATEST_PROTOCOL_VERSION,
            "capabilities": self.inner.capabilities,
            "clientInfo": opts.client_info,
        });
        let id = self.next_id();
        let body = Bytes::from(jsonrpc::request_body(&id, "initialize", Some(params)));
        // initialize is never cancelled (C6): a timeout abandons it without notifying.
        let (headers, message) = self
            .within(opts.timeout, async {
                let transport = &self.inner.transport;
                let (headers, reply) = transport.post_request(&id, body, None, &[]).await?;
                let message = match reply {
                    Reply::Json(message) => message,
                    // Only pings may precede the initialize response (C5), and a broken
                    // initialize stream is not resumed.
                    Reply::Stream(stream) => {
                        self.await_response(&id, *stream, OnBreak::Fail).await?
                    }
                };
                Ok((headers, message))
            })
            .await?;
        let result = message.into_result()?;
        let session_id = headers
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
                        era: Era::Legacy,
                        id: session_id,
                        protocol_version: chosen.unwrap_or(LATEST_PROTOCOL_VERSION).into(),
                        opening_result: Value::Null,
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
            era: Era::Legacy,
            id: session_id,
            protocol_version,
            opening_result: result.clone(),
        });
        let initialized = Bytes::from(jsonrpc::notification_body(
            "notifications/initialized",
            None,
        ));
        let transport = &self.inner.transport;
        let sent = self
            .within(
                opts.timeout,
                transport.post_message(initialized, Some(&session)),
            )
            .await;
        if let Err(e) = sent {
            if e.is_session_expired() {
                self.inner.session.clear_if_current(&session);
            } else {
                self.close().await;
            }
            return Err(e);
        }
        if let Some(first_answer) = standalone::start(self, session.clone()) {
            standalone::wait_until_answered(self, first_answer).await;
        }
        Ok((result, session))
    }

    /// Finishes an authorization that failed with `AuthorizationRequired` (no `on_authorize`
    /// callback was configured): `callback_url` is the URL the authorization server sent the
    /// user back to. Then send the request (or `connect()`) again.
    pub async fn complete_authorization(&self, callback_url: &str) -> Result<()> {
        let Some(auth) = self.inner.transport.authorizer() else {
            return Err(Error::invalid_argument(
                "complete_authorization needs a client configured with auth",
            ));
        };
        auth.complete(callback_url).await
    }

    /// Sends a JSON-RPC request and returns its `result`, with the client's default timeout.
    pub async fn request(&self, method: &str, params: Option<Value>) -> Result<Value> {
        self.request_with(method, params, RequestOptions::default())
            .await
    }

    /// Sends a JSON-RPC request with per-request options (timeout, progress callback) and
    /// applies the session-expiry policy; `request.rs` has the request's whole life.
    pub async fn request_with(
        &self,
        method: &str,
        params: Option<Value>,
        opts: RequestOptions,
    ) -> Result<Value> {
        self.send_request(method, params, opts).await
    }

    /// Sends a notification; succeeds when the server accepts it (any 2xx). The modern era
    /// has no client notifications over HTTP: there it is an `InvalidArgument` error.
    pub async fn notify(&self, method: &str, params: Option<Value>) -> Result<()> {
        let body = Bytes::from(jsonrpc::notification_body(method, params));
        self.post_message(body).await
    }

    /// Checks the server answers. The modern era removed `ping`; there `server/discover`,
    /// which every modern server answers cheaply, stands in for it.
    pub async fn ping(&self) -> Result<()> {
        self.request("ping", None).await.map(drop)
    }

    /// All tools, following `nextCursor` to the last page: `{"tools": [...]}`. In the modern
    /// era, tools whose `x-mcp-header` annotations are invalid are left out (and logged).
    pub async fn list_tools(&self) -> Result<Value> {
        self.list_tools_with(RequestOptions::default()).await
    }

    /// [`Client::list_tools`] with per-request options (timeout, `bypass_cache`, `log_level`)
    /// applied to each page.
    pub async fn list_tools_with(&self, opts: RequestOptions) -> Result<Value> {
        self.list_all("tools/list", "tools", opts).await
    }

    /// Calls a tool. A tool's own failure is a normal result with `isError: true`, not an `Err`.
    pub async fn call_tool(&self, name: &str, arguments: Option<Value>) -> Result<Value> {
        self.call_tool_with(name, arguments, RequestOptions::default())
            .await
    }

    /// Calls a tool with per-request options (timeout, progress callback).
    pub async fn call_tool_with(
        &self,
        name: &str,
        arguments: Option<Value>,
        opts: RequestOptions,
    ) -> Result<Value> {
        // Moved in, not through json!, which would copy what may be a large argument.
        let mut params = json!({"name": name});
        params["arguments"] = arguments.unwrap_or_else(|| json!({}));
        self.request_with("tools/call", Some(params), opts).await
    }

    /// All resources, following `nextCursor`: `{"resources": [...]}`.
    pub async fn list_resources(&self) -> Result<Value> {
        self.list_resources_with(RequestOptions::default()).await
    }

    pub async fn list_resources_with(&self, opts: RequestOptions) -> Result<Value> {
        self.list_all("resources/list", "resources", opts).await
    }

    pub async fn read_resource(&self, uri: &str) -> Result<Value> {
        self.read_resource_with(uri, RequestOptions::default())
            .await
    }

    pub async fn read_resource_with(&self, uri: &str, opts: RequestOptions) -> Result<Value> {
        self.request_with("resources/read", Some(json!({"uri": uri})), opts)
            .await
    }

    /// All prompts, following `nextCursor`: `{"prompts": [...]}`.
    pub async fn list_prompts(&self) -> Result<Value> {
        self.list_prompts_with(RequestOptions::default()).await
    }

    pub async fn list_prompts_with(&self, opts: RequestOptions) -> Result<Value> {
        self.list_all("prompts/list", "prompts", opts).await
    }

    pub async fn get_prompt(&self, name: &str, arguments: Option<Value>) -> Result<Value> {
        self.get_prompt_with(name, arguments, RequestOptions::default())
            .await
    }

    pub async fn get_prompt_with(
        &self,
        name: &str,
        arguments: Option<Value>,
        opts: RequestOptions,
    ) -> Result<Value> {
        let mut params = json!({"name": name});
        if let Some(args) = arguments {
            params["arguments"] = args;
        }
        self.request_with("prompts/get", Some(params), opts).await
    }

    /// Asks the server to send log messages (`notifications/message`) of `level` and above:
    /// debug, info, notice, warning, error, critical, alert or emergency. The modern era has
    /// no `logging/setLevel`: there every later request carries the level in its `_meta`, and
    /// messages arrive on that request's stream.
    pub async fn set_logging_level(&self, level: &str) -> Result<()> {
        let params = json!({ "level": level });
        self.request("logging/setLevel", Some(params))
            .await
            .map(drop)
    }

    /// Forgets every result kept under the server's `ttlMs` hints (modern era), so the next
    /// list or read asks the server. `RequestOptions::bypass_cache` does it for one request.
    pub fn clear_cache(&self) {
        self.inner.cache.clear();
    }

    /// Ends the session: DELETE with the session headers, bounded by `close_timeout`. Local state
    /// is cleared before anything is sent, so it is cleared whatever happens, even if this
    /// future is dropped. Safe to call any number of times. The client's idle connections are
    /// closed too (its subscriptions keep theirs until they end); a later `connect()` opens
    /// new ones.
    pub async fn close(&self) -> CloseOutcome {
        // After the DELETE, which may reuse a pooled connection, and even if this future is
        // dropped: a closed client that lingers (Ruby keeps it until a GC) holds no sockets.
        let _release = ReleaseOnDrop(&self.inner.transport);
        self.end_session().await
    }

    /// `close()` but for the connections, which a reconnecting client reuses.
    async fn end_session(&self) -> CloseOutcome {
        self.adopt_if_forked();
        let Some(session) = self.inner.session.take() else {
            return CloseOutcome::NoSession;
        };
        self.stop_standalone();
        self.session_changed(session.id.clone(), None, SessionChangeReason::Closed);
        if session.id.is_none() {
            log::info!(
                "closed ({}: nothing to end on the server)",
                session::shown(&session)
            );
            return CloseOutcome::NoSession;
        }
        if self.is_inherited(&session) {
            log::info!(
                "left {} to the parent process (forked child)",
                session::shown(&session)
            );
            return CloseOutcome::LeftToParent;
        }
        let limit = self.inner.options.close_timeout;
        let outcome = self.delete_session(&session, limit).await;
        match &outcome {
            CloseOutcome::Failed(e) => {
                log::warn!("closing {} failed: {e}", session::shown(&session))
            }
            done => log::info!("closed {}: {}", session::shown(&session), done.as_str()),
        }
        outcome
    }

    async fn delete_session(&self, session: &Session, limit: std::time::Duration) -> CloseOutcome {
        match tokio::time::timeout(limit, self.inner.transport.delete(session)).await {
            Err(_) => CloseOutcome::Failed(Error::Timeout { after: limit }),
            Ok(Err(e)) => CloseOutcome::Failed(e),
            Ok(Ok((200..=299, _))) => CloseOutcome::Terminated,
            Ok(Ok((405, _))) => CloseOutcome::NotSupported,
            // A 404, or a 400 that says the session is unknown: the server forgot it already.
            Ok(Ok((status, body))) => {
                match session::error_for_status(status, &body, Some(session)) {
                    Error::SessionExpired { .. } => CloseOutcome::AlreadyGone,
                    other => CloseOutcome::Failed(
                        other.for_request("DELETE", self.inner.transport.url()),
                    ),
                }
            }
        }
    }

    /// Opens a GET event stream by hand, in addition to the standalone one the client manages.
    /// `Ok(None)` if the server offers none (405).
    pub async fn open_event_stream(&self) -> Result<Option<EventStream>> {
        let session = self.session().ok_or(Error::NotConnected)?;
        let limit = self.inner.options.timeout;
        let transport = &self.inner.transport;
        let outcome = self
            .within(limit, transport.open_event_stream(Some(&*session), None))
            .await;
        if let Err(Error::SessionExpired { .. }) = &outcome {
            self.expired(&session);
        }
        Ok(outcome?.map(|stream| EventStream { stream }))
    }

    pub(crate) fn next_id(&self) -> RequestId {
        RequestId::Number(self.inner.next_id.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn stop_standalone(&self) {
        if let Some(task) = lock(&self.inner.standalone).take() {
            task.abort();
        }
    }

    pub(crate) fn session_changed(
        &self,
        old: Option<String>,
        new: Option<String>,
        reason: SessionChangeReason,
    ) {
        if old == new {
            return;
        }
        if let Some(callback) = &self.inner.options.handlers.session_change {
            let change = SessionChange {
                old_session_id: old,
                new_session_id: new,
                reason,
            };
            crate::handlers::shielded("session-change callback", || callback(&change));
        }
    }

    /// The server said (404) it no longer knows `session`. Clears it if it is still current,
    /// and under `Raise` tells the session-change callback. Returns whether it was current.
    pub(crate) fn expired(&self, session: &Arc<Session>) -> bool {
        if !self.inner.session.clear_if_current(session) {
            return false;
        }
        log::warn!(
            "{} expired: the server no longer knows it",
            session::shown(session)
        );
        self.stop_standalone();
        if self.inner.options.on_session_expired == SessionExpiryPolicy::Raise {
            self.session_changed(session.id.clone(), None, SessionChangeReason::Expired);
        }
        true
    }

    /// Starts a new session after `expired` ended, unless another task already did.
    pub(crate) async fn reinitialize(&self, expired: &Arc<Session>) -> Result<()> {
        let reinit = self.inner.reinit.get();
        let one_at_a_time = reinit.lock().await;
        if let Some(current) = self.session() {
            if !Arc::ptr_eq(&current, expired) {
                return Ok(());
            }
            self.inner.session.clear_if_current(expired);
        }
        let (_, session) = self.initialize().await?;
        drop(one_at_a_time);
        log::info!(
            "started {} in place of the expired {}",
            session::shown(&session),
            session::shown(expired)
        );
        self.session_changed(
            expired.id.clone(),
            session.id.clone(),
            SessionChangeReason::Reinitialized,
        );
        Ok(())
    }

    /// The session a call goes out with. A call made while an expired session is being
    /// replaced (the reinitialize policies) waits for the new one instead of failing.
    pub(crate) async fn session_for_call(&self) -> Result<Arc<Session>> {
        if let Some(session) = self.session() {
            return Ok(session);
        }
        if self.inner.options.on_session_expired != SessionExpiryPolicy::Raise {
            let reinit = self.inner.reinit.get();
            drop(reinit.lock().await);
            if let Some(session) = self.session() {
                return Ok(session);
            }
        }
        Err(Error::NotConnected)
    }

    pub(crate) async fn post_message(&self, body: Bytes) -> Result<()> {
        let session = self.session().ok_or(Error::NotConnected)?;
        if !session.takes_client_messages() {
            return Err(Error::invalid_argument(
                "the modern era (2026-07-28) has no client notifications or responses over HTTP",
            ));
        }
        let limit = self.inner.options.timeout;
        let transport = &self.inner.transport;
        let outcome = self
            .within(limit, transport.post_message(body, Some(&*session)))
            .await;
        if let Err(Error::SessionExpired { .. }) = &outcome {
            self.expired(&session);
        }
        outcome
    }

    async fn list_all(&self, method: &str, key: &str, opts: RequestOptions) -> Result<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<Value> = None;
        let mut seen = HashSet::new();
        for _ in 0..MAX_LIST_PAGES {
            let params = cursor.take().map(|c| json!({"cursor": c}));
            let mut page = self.request_with(method, params, opts.clone()).await?;
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

struct ReleaseOnDrop<'a>(&'a Transport);

impl Drop for ReleaseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.release_connections();
    }
}

/// A server-to-client SSE stream opened by hand with [`Client::open_event_stream`].
pub struct EventStream {
    stream: MessageStream,
}

impl EventStream {
    /// The next JSON-RPC message, or `Ok(None)` when the stream ends.
    pub async fn next_message(&mut self) -> Result<Option<jsonrpc::Incoming>> {
        match self.stream.next().await? {
            Next::Message(m) => Ok(Some(m)),
            Next::Ended => Ok(None),
        }
    }

    /// The id of the last event received, for resuming with `Last-Event-ID`.
    pub fn last_event_id(&self) -> Option<&str> {
        self.stream.last_event_id()
    }
}
