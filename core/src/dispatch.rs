//! Messages the server sends on any stream besides responses: its requests are answered
//! (ping at once, the rest by registered handlers, each on its own task so a slow handler
//! blocks nothing), its notifications reach progress listeners and the notification handler.

use crate::client::{lock, Client};
use crate::elicitation;
use crate::error::Error;
use crate::jsonrpc::{self, Incoming, RequestId, INTERNAL_ERROR, METHOD_NOT_FOUND};
use crate::request::token_key;
use crate::runtime::spawn_detached;
use bytes::Bytes;
use futures_util::FutureExt;
use serde_json::{json, Value};
use std::panic::AssertUnwindSafe;

impl Client {
    pub(crate) fn dispatch(&self, message: Incoming) {
        match message {
            Incoming::Request { id, method, params } => {
                if self.session().is_some_and(|s| !s.takes_server_requests()) {
                    // E1: modern servers ask for input in results; a request on a stream is
                    // a server bug, and answering it would POST a response nobody reads.
                    log::debug!("dropped a {method} request sent on a modern-era stream");
                    return;
                }
                self.answer(id, method, params)
            }
            Incoming::Notification { method, params } => self.notified(&method, params),
            // A response nobody waits for: its request was cancelled or timed out.
            Incoming::Response { .. } | Incoming::ErrorResponse { .. } => {}
        }
    }

    fn notified(&self, method: &str, params: Option<Value>) {
        match method {
            "notifications/progress" => {
                let Some(params) = params else { return };
                let Some(token) = params.get("progressToken") else {
                    return;
                };
                // User code never runs under a core lock: take the sink out, then deliver.
                let sink = lock(&self.inner.progress).get(&token_key(token)).cloned();
                if let Some(sink) = sink {
                    sink.deliver(&params);
                }
            }
            "notifications/cancelled" => {
                let Some(id) = params.as_ref().and_then(|p| p.get("requestId")) else {
                    return;
                };
                if let Some(task) = lock(&self.inner.server_requests).remove(&id.to_string()) {
                    task.abort();
                }
            }
            _ => {
                self.inner.cache.invalidate(method, params.as_ref());
                if let Some(handler) = &self.inner.options.handlers.notification {
                    crate::handlers::shielded("notification handler", || {
                        handler(method, params.as_ref())
                    });
                }
            }
        }
    }

    fn answer(&self, id: RequestId, method: String, params: Option<Value>) {
        let handler = self.inner.options.handlers.for_method(&method).cloned();
        let client = self.clone();
        let key = id.to_value().to_string();
        // Registered before the task can finish and unregister itself.
        let mut running = lock(&self.inner.server_requests);
        let task = spawn_detached(async move {
            let form = match method.as_str() {
                "elicitation/create" => elicitation::requested_properties(params.as_ref()),
                _ => None,
            };
            let outcome = match (method.as_str(), handler) {
                ("ping", _) => Ok(json!({})),
                (_, Some(handler)) => {
                    // A handler that panics (making its future, or running it) still answers,
                    // or the server would wait for ever.
                    let answered =
                        match std::panic::catch_unwind(AssertUnwindSafe(|| handler(params))) {
                            Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
                            Err(panic) => Err(panic),
                        };
                    let answered = answered.unwrap_or_else(|_| {
                        log::warn!("the {method} handler panicked");
                        Err(Error::Rpc {
                            code: INTERNAL_ERROR,
                            message: format!("the client's {method} handler failed"),
                            data: None,
                        })
                    });
                    answered.map(|mut answer| {
                        if let Some(properties) = &form {
                            elicitation::apply_defaults(properties, &mut answer);
                        }
                        answer
                    })
                }
                _ => Err(Error::Rpc {
                    code: METHOD_NOT_FOUND,
                    message: format!("method not found: {method}"),
                    data: None,
                }),
            };
            lock(&client.inner.server_requests).remove(&id.to_value().to_string());
            let body = Bytes::from(jsonrpc::reply_body(&id, outcome));
            let _ = client.post_message(body).await;
        });
        running.insert(key, task);
    }
}
