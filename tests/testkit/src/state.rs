//! What a reference server remembers: live sessions, every request it received (so tests
//! assert on what reached the server, not only on what the client returned), and canned
//! answers tests queue up to make the server misbehave on purpose.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::{broadcast, oneshot};

use crate::streams::StreamHub;

use crate::auth::AuthState;
use crate::config::Config;
use crate::modern::ModernState;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method: POST, GET or DELETE.
    pub method: String,
    pub path: String,
    /// Header names lowercased; repeated headers joined with ", ".
    pub headers: BTreeMap<String, String>,
    /// The body as JSON, a JSON string if it was not JSON, or null if empty.
    pub body: Value,
    /// The status the server answered with.
    pub status: u16,
    /// The client's address: one value per TCP connection, so tests can count connections
    /// (every HTTP/2 stream of one connection shares it).
    pub peer: String,
    /// `"HTTP/1.1"` or `"HTTP/2.0"`; `"unknown"` only on the hostile lane's other origin.
    #[serde(default)]
    pub http_version: String,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The token of a `Bearer` `Authorization` header, to tell which token a request carried.
    pub fn bearer(&self) -> Option<&str> {
        let (scheme, token) = self.header("authorization")?.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    }

    /// The JSON-RPC method of the body, if it is a request or notification.
    pub fn rpc_method(&self) -> Option<&str> {
        self.body.get("method").and_then(Value::as_str)
    }
}

/// A canned answer for the next matching request, sent instead of the real one, before any
/// checks. `{{id}}` in the body is replaced by the JSON-RPC id of the request it answers.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ScriptedResponse {
    pub status: u16,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body: String,
    /// Only a request whose JSON-RPC method is this one takes the script (any if absent).
    #[serde(default)]
    pub for_method: Option<String>,
    /// The HTTP method the script answers; POST if absent.
    #[serde(default)]
    pub http_method: Option<String>,
    /// Wait this long before answering, to make a stalled server.
    #[serde(default)]
    pub delay_ms: u64,
}

pub(crate) struct SessionEntry {
    pub protocol_version: String,
    /// Messages for the session's standalone GET streams; dropping it ends those streams.
    pub stream: broadcast::Sender<String>,
}

pub struct State {
    pub config: Config,
    pub(crate) hub: Arc<StreamHub>,
    pub(crate) modern: ModernState,
    auth: Option<AuthState>,
    /// Server requests sent to clients, waiting for their answers, by JSON id text.
    answers: Mutex<HashMap<String, oneshot::Sender<Value>>>,
    next_server_request: AtomicU64,
    sessions: Mutex<HashMap<String, SessionEntry>>,
    requests: Mutex<Vec<RecordedRequest>>,
    scripts: Mutex<VecDeque<ScriptedResponse>>,
    next_event_id: AtomicU64,
    connections: AtomicU64,
    tls_handshakes: AtomicU64,
    tls_failures: AtomicU64,
    /// Misbehaviours armed through `/_admin/hostile` (see `hostile/`).
    pub(crate) hostile: crate::hostile::Hostile,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    pub fn new(config: Config) -> Self {
        Self {
            auth: config.auth.clone().map(AuthState::new),
            config,
            hub: Arc::default(),
            modern: ModernState::default(),
            answers: Mutex::default(),
            next_server_request: AtomicU64::new(1),
            sessions: Mutex::default(),
            requests: Mutex::default(),
            scripts: Mutex::default(),
            next_event_id: AtomicU64::new(1),
            connections: AtomicU64::new(0),
            tls_handshakes: AtomicU64::new(0),
            tls_failures: AtomicU64::new(0),
            hostile: Default::default(),
        }
    }

    /// The authorization server, when the server runs with `Config.auth`.
    pub fn auth(&self) -> Option<&AuthState> {
        self.auth.as_ref()
    }

    /// A new session with an id from the OS CSPRNG: 32 hex characters.
    pub(crate) fn create_session(&self, protocol_version: &str) -> String {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the OS random source failed");
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let (stream, _) = broadcast::channel(64);
        lock(&self.sessions).insert(
            id.clone(),
            SessionEntry {
                protocol_version: protocol_version.to_owned(),
                stream,
            },
        );
        id
    }

    pub(crate) fn session_stream(&self, id: &str) -> Option<broadcast::Receiver<String>> {
        lock(&self.sessions).get(id).map(|s| s.stream.subscribe())
    }

    /// The version a live session negotiated; `None` if the session is unknown.
    pub(crate) fn session_version(&self, id: &str) -> Option<String> {
        lock(&self.sessions)
            .get(id)
            .map(|s| s.protocol_version.clone())
    }

    /// Ends one session; its id gets 404 from now on.
    pub(crate) fn terminate(&self, id: &str) -> bool {
        lock(&self.sessions).remove(id).is_some()
    }

    /// Forgets every session (and stream), as a server restart would. Returns how many
    /// sessions there were.
    pub fn expire_sessions(&self) -> usize {
        self.hub.clear();
        let mut sessions = lock(&self.sessions);
        let n = sessions.len();
        sessions.clear();
        n
    }

    pub fn session_ids(&self) -> Vec<String> {
        lock(&self.sessions).keys().cloned().collect()
    }

    pub(crate) fn next_event_id(&self) -> u64 {
        self.next_event_id.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh id for a request to a client, and where its answer will arrive.
    pub(crate) fn expect_answer(&self) -> (String, oneshot::Receiver<Value>) {
        let id = format!(
            "srv-{}",
            self.next_server_request.fetch_add(1, Ordering::Relaxed)
        );
        let (tx, rx) = oneshot::channel();
        lock(&self.answers).insert(format!("{id:?}"), tx);
        (id, rx)
    }

    /// Routes a client's response to the server request waiting for it. False if none waits.
    pub(crate) fn deliver_answer(&self, message: &Value) -> bool {
        let Some(id) = message.get("id") else {
            return false;
        };
        match lock(&self.answers).remove(&id.to_string()) {
            Some(waiting) => waiting.send(message.clone()).is_ok(),
            None => false,
        }
    }

    /// Sends a message on every standalone GET stream of every session. Returns how many
    /// streams received it.
    pub fn push(&self, message: &Value) -> usize {
        let event = self.standalone_event(message);
        lock(&self.sessions)
            .values()
            .map(|s| s.stream.send(event.clone()).unwrap_or(0))
            .sum()
    }

    /// Like `push`, for one session only.
    pub(crate) fn push_to(&self, session: &str, message: &Value) -> usize {
        let event = self.standalone_event(message);
        lock(&self.sessions)
            .get(session)
            .map_or(0, |s| s.stream.send(event).unwrap_or(0))
    }

    /// Events on standalone streams have `g_` ids: they are not logged for replay.
    fn standalone_event(&self, message: &Value) -> String {
        format!("id: g_{}\ndata: {message}\n\n", self.next_event_id())
    }

    /// Sends a notification to the matching listen streams, or ends (`{"end": true}`) or cuts
    /// (`{"drop": true}`) them all; how many streams it reached. See `/_admin/notify`.
    pub fn notify_listeners(&self, command: &Value) -> Result<usize, String> {
        crate::modern::admin_notify(&self.modern.listeners, command)
    }

    /// Listen streams still open.
    pub fn open_listeners(&self) -> usize {
        self.modern.open_listeners()
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        if self.config.record_requests {
            lock(&self.requests).push(request);
        }
    }

    /// Counts an accepted TCP connection, so tests and benchmarks can see connection reuse.
    pub fn count_connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    pub(crate) fn count_tls_handshake(&self) {
        self.tls_handshakes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_tls_failure(&self) {
        self.tls_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// TLS handshakes completed: with HTTP/2 one per client, however many calls it makes.
    pub fn tls_handshakes(&self) -> u64 {
        self.tls_handshakes.load(Ordering::Relaxed)
    }

    /// TLS handshakes that failed: an untrusted server certificate on the client's side, or
    /// (mTLS) a missing or foreign client certificate.
    pub fn tls_failures(&self) -> u64 {
        self.tls_failures.load(Ordering::Relaxed)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.requests).clear();
    }

    pub fn push_script(&self, script: ScriptedResponse) {
        lock(&self.scripts).push_back(script);
    }

    pub(crate) fn take_script(
        &self,
        http_method: &str,
        rpc_method: Option<&str>,
    ) -> Option<ScriptedResponse> {
        let mut scripts = lock(&self.scripts);
        let pos = scripts.iter().position(|s| {
            s.http_method.as_deref().unwrap_or("POST") == http_method
                && (s.for_method.is_none() || s.for_method.as_deref() == rpc_method)
        })?;
        scripts.remove(pos)
    }
}
