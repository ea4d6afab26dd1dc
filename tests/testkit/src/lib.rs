//! The mcpstream reference MCP server: spec-correct on sessions and on the stateless era
//! (2026-07-28), observable (it records every request) and steerable (expire sessions, queue
//! misbehaving answers, feed listen streams). Tests start it in-process with
//! [`TestServer::start`]; other languages run the `mcpstream-testserver` binary.

mod auth;
mod base64;
mod config;
mod hostile;
mod http;
mod interactive;
mod log_levels;
mod mcp_headers;
mod modern;
mod server;
mod state;
mod streams;
mod tools;

pub use auth::{
    AuthSettings, AuthState, AuthStats, AuthorizeFailure, IssMode, StateMode, TokenFailure,
    TokenRequestRecord,
};
pub use config::{Config, ServerEra, MODERN_VERSION, SUPPORTED_VERSIONS};
pub use hostile::{Fault, FaultKind};
pub use server::router;
pub use state::{RecordedRequest, ScriptedResponse, State};

use axum::serve::ListenerExt;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

/// Binds 127.0.0.1:`port` (0 picks a free one) and serves until `shutdown` resolves.
pub async fn serve(
    config: Config,
    port: u16,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_bound: impl FnOnce(SocketAddr, Arc<State>),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(State::new(config));
    on_bound(addr, state.clone());
    // Without TCP_NODELAY, small SSE writes wait on delayed ACKs (~40 ms per call).
    let counter = state.clone();
    let listener = listener.tap_io(move |tcp| {
        counter.count_connection();
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// A reference server on its own thread and runtime, so sync and async tests can share it
/// without tying it to the test's runtime. Stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start(config: Config) -> Self {
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("mcpstream-testserver".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("test server runtime");
                rt.block_on(async move {
                    let ready = ready_tx.clone();
                    let serving = serve(config, 0, std::future::pending(), move |addr, state| {
                        let _ = ready.send(Ok((addr, state)));
                    });
                    // Stopping is abrupt on purpose: a test that stalled a handler must not
                    // wait for it, and "server gone" tests need the port closed at once.
                    tokio::select! {
                        result = serving => {
                            if let Err(e) = result {
                                let _ = ready_tx.send(Err(e));
                            }
                        }
                        _ = stop_rx => {}
                    }
                });
                // Streams that never end (GET) must not keep the thread alive past drop.
                rt.shutdown_background();
            })
            .expect("spawn test server thread");
        let (addr, state) = ready_rx
            .recv()
            .expect("test server thread died")
            .expect("test server could not bind 127.0.0.1");
        Self {
            addr,
            state,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// The MCP endpoint, `http://127.0.0.1:PORT/mcp`.
    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// `http://127.0.0.1:PORT`, for other routes (`/moved`, admin).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
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

    /// Stops the server now and waits until its port is closed.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
