//! The modern lane (MCP 2026-07-28): stateless, no `initialize`; every POST carries its
//! protocol version and client capabilities. See `lane.rs` for how a request gets here.

mod dispatch;
mod envelope;
mod error;
mod lane;
mod listen;
mod mrtr;
mod reply;
mod request_state;
mod tools;

pub(crate) use lane::{is_modern, refuse_legacy};
pub(crate) use listen::admin as admin_notify;

use crate::http::post_refusal;
use crate::state::State;
use axum::body::Body;
use axum::http::{HeaderMap, Response};
use listen::Listeners;
use reply::Context;
use serde_json::{json, Value};
use std::sync::Arc;

pub const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

pub fn server_info() -> Value {
    json!({"name": "mcpstream-testserver", "version": env!("CARGO_PKG_VERSION")})
}

/// What the modern lane keeps between requests: the key that seals request states (so a
/// restart invalidates them, as with any real server) and the open listen streams.
pub struct ModernState {
    pub(crate) state_key: [u8; 16],
    pub(crate) listeners: Listeners,
}

impl Default for ModernState {
    fn default() -> Self {
        let mut state_key = [0u8; 16];
        getrandom::fill(&mut state_key).expect("the OS random source failed");
        Self {
            state_key,
            listeners: Listeners::default(),
        }
    }
}

impl ModernState {
    pub fn open_listeners(&self) -> usize {
        self.listeners.open()
    }
}

pub(crate) async fn post(state: &Arc<State>, headers: &HeaderMap, body: &[u8]) -> Response<Body> {
    if let Some(refusal) = post_refusal(headers) {
        return refusal;
    }
    let request = match envelope::check(&state.config, headers, body) {
        Ok(request) => request,
        Err((id, error)) => return error.response(&id),
    };
    if request.method == "subscriptions/listen" {
        return state
            .modern
            .listeners
            .listen(&request.id, &request.params)
            .unwrap_or_else(|e| e.response(&request.id));
    }
    let context = Context {
        streaming: !state.config.json_response
            || request.progress_token.is_some()
            || request.logs != crate::log_levels::LogGate::Off,
        progress_token: request.progress_token,
        logs: request.logs,
    };
    let (method, params, capabilities) = (request.method, request.params, request.capabilities);
    reply::reply(state, request.id, context, move |out| async move {
        dispatch::dispatch(&out, &method, &params, &capabilities).await
    })
    .await
}
