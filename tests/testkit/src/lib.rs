//! The mcpstream reference MCP server: spec-correct on sessions and on the stateless era
//! (2026-07-28), observable (it records every request) and steerable (expire sessions, queue
//! misbehaving answers, feed listen streams). Tests start it in-process with
//! [`TestServer::start`]; other languages run the `mcpstream-testserver` binary.

mod auth;
mod background;
mod base64;
pub mod certs;
mod config;
mod hostile;
mod http;
mod http_version;
mod interactive;
mod listen;
mod log_levels;
mod mcp_headers;
mod modern;
pub mod proxy;
mod server;
mod state;
mod streams;
mod tls;
mod tools;

pub use auth::{
    AuthSettings, AuthState, AuthStats, AuthorizeFailure, IssMode, StateMode, TokenFailure,
    TokenRequestRecord,
};
pub use config::{Config, ServerEra, MODERN_VERSION, SUPPORTED_VERSIONS};
pub use hostile::{Fault, FaultKind};
pub use proxy::{ProxiedRequest, ProxyConfig, ProxyCredentials, TestProxy};
pub use server::router;
pub use state::{RecordedRequest, ScriptedResponse, State};
pub use tls::TlsMode;

use background::Background;
use std::net::SocketAddr;
use std::sync::Arc;

/// Binds 127.0.0.1:`port` (0 picks a free one) and serves until `shutdown` resolves: HTTP/1.1
/// and HTTP/2 on one socket, over TLS when `config.tls` says so.
pub async fn serve(
    config: Config,
    port: u16,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_bound: impl FnOnce(SocketAddr, Arc<State>),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let tls = tls::acceptor(config.tls);
    let state = Arc::new(State::new(config));
    on_bound(addr, state.clone());
    listen::serve_connections(listener, router(state.clone()), state, tls, shutdown).await;
    Ok(())
}

/// A reference server on its own thread and runtime, so sync and async tests can share it
/// without tying it to the test's runtime. Stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    background: Background,
}

impl TestServer {
    pub fn start(config: Config) -> Self {
        let (background, (addr, state)) = Background::start("mcpstream-testserver", |ready| {
            serve(config, 0, std::future::pending(), move |addr, state| {
                let _ = ready.send(Ok((addr, state)));
            })
        });
        Self {
            addr,
            state,
            background,
        }
    }

    /// The MCP endpoint, `http://127.0.0.1:PORT/mcp` (`https://` with `Config.tls`).
    pub fn url(&self) -> String {
        format!("{}/mcp", self.base_url())
    }

    /// `http://127.0.0.1:PORT` (or `https://`), for other routes (`/moved`, admin).
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.state.config.scheme(), self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// The authorization server's controls and stats (the `/_admin/auth/...` twins).
    /// Panics unless the server was started with `Config.auth`.
    pub fn auth(&self) -> &AuthState {
        self.state
            .auth()
            .expect("this test server runs without Config.auth")
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    pub fn clear_requests(&self) {
        self.state.clear_requests();
    }

    /// Forgets all sessions, as a restart would; their ids get 404 from now on.
    pub fn expire_sessions(&self) -> usize {
        self.state.expire_sessions()
    }

    pub fn session_ids(&self) -> Vec<String> {
        self.state.session_ids()
    }

    /// Feeds the listen streams: `{"method": "notifications/tools/list_changed"}`,
    /// `{"method": "notifications/resources/updated", "uri": ...}`, `{"end": true}` or
    /// `{"drop": true}`. Returns how many streams it reached.
    pub fn notify_listeners(&self, command: &serde_json::Value) -> Result<usize, String> {
        self.state.notify_listeners(command)
    }

    /// Listen streams still open.
    pub fn open_listeners(&self) -> usize {
        self.state.open_listeners()
    }

    /// Queues a canned answer for the next matching POST.
    pub fn script(&self, script: ScriptedResponse) {
        self.state.push_script(script);
    }

    /// Arms a misbehaviour for the next matching request(s) (`POST /_admin/hostile`).
    pub fn hostile(&self, fault: Fault) {
        self.state.hostile.arm(fault);
    }

    /// Disarms every misbehaviour; how many were armed (`DELETE /_admin/hostile`).
    pub fn calm(&self) -> usize {
        self.state.hostile.disarm()
    }

    /// What reached the other origin a `redirect_cross_origin` fault sent clients to.
    pub fn elsewhere_requests(&self) -> Vec<RecordedRequest> {
        self.state.hostile.elsewhere()
    }

    /// TCP connections accepted so far (`/_admin/connections`: `accepted`).
    pub fn connections(&self) -> u64 {
        self.state.connections()
    }

    /// TLS handshakes completed so far (`tls_handshakes`).
    pub fn tls_handshakes(&self) -> u64 {
        self.state.tls_handshakes()
    }

    /// TLS handshakes that failed so far (`tls_failures`): refused client certificates, or
    /// clients that did not trust the server's.
    pub fn tls_failures(&self) -> u64 {
        self.state.tls_failures()
    }

    /// Stops the server now and waits until its port is closed.
    pub fn stop(mut self) {
        self.background.stop();
    }
}
