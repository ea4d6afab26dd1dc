//! What the application registers to answer the server: handlers for server-to-client
//! requests, a listener for notifications, and callbacks for progress and session changes.

use crate::error::Error;
use serde_json::{json, Map, Value};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Runs an application callback (progress, notification, session change). A panic in it is
/// caught and logged: the call or stream it ran on goes on, as a Python or Ruby callback that
/// raises is reported and the call goes on.
pub(crate) fn shielded(what: &str, callback: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(callback)).is_err() {
        log::warn!("the {what} panicked; the call goes on");
    }
}

/// Answers one kind of server request (`sampling/createMessage`, `elicitation/create`,
/// `roots/list`) with a result, or an `Error::Rpc` that is sent back as a JSON-RPC error.
pub type RequestHandler =
    Arc<dyn Fn(Option<Value>) -> BoxFuture<Result<Value, Error>> + Send + Sync>;
/// Receives every server notification except progress: `(method, params)`.
pub type NotificationHandler = Arc<dyn Fn(&str, Option<&Value>) + Send + Sync>;
/// Receives the params of each `notifications/progress` for one request.
pub type ProgressHandler = Arc<dyn Fn(&Value) + Send + Sync>;
/// Told whenever the session id changes.
pub type SessionChangeHandler = Arc<dyn Fn(&SessionChange) + Send + Sync>;

/// Why the session changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionChangeReason {
    /// `connect()` started a session.
    Connected,
    /// The server no longer knows the session (404) and the policy is `Raise`.
    Expired,
    /// The session expired and the expiry policy started a new one.
    Reinitialized,
    /// `close()` ended it.
    Closed,
}

impl SessionChangeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Expired => "expired",
            Self::Reinitialized => "reinitialized",
            Self::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionChange {
    pub old_session_id: Option<String>,
    pub new_session_id: Option<String>,
    pub reason: SessionChangeReason,
}

/// The handlers a client is built with. Capabilities sent in `initialize` follow from them:
/// only what has a handler is advertised.
#[derive(Clone, Default)]
pub struct Handlers {
    pub sampling: Option<RequestHandler>,
    pub elicitation: Option<RequestHandler>,
    pub roots: Option<RequestHandler>,
    pub notification: Option<NotificationHandler>,
    pub session_change: Option<SessionChangeHandler>,
}

impl fmt::Debug for Handlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handlers")
            .field("sampling", &self.sampling.is_some())
            .field("elicitation", &self.elicitation.is_some())
            .field("roots", &self.roots.is_some())
            .field("notification", &self.notification.is_some())
            .field("session_change", &self.session_change.is_some())
            .finish()
    }
}

/// Wraps an async closure as a [`RequestHandler`].
pub fn request_handler<F, Fut>(f: F) -> RequestHandler
where
    F: Fn(Option<Value>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, Error>> + Send + 'static,
{
    Arc::new(move |params| Box::pin(f(params)))
}

impl Handlers {
    pub(crate) fn for_method(&self, method: &str) -> Option<&RequestHandler> {
        match method {
            "sampling/createMessage" => self.sampling.as_ref(),
            "elicitation/create" => self.elicitation.as_ref(),
            "roots/list" => self.roots.as_ref(),
            _ => None,
        }
    }

    /// `base` plus one entry per registered request handler.
    pub(crate) fn capabilities(&self, base: &Value) -> Value {
        let mut caps = match base {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        };
        if self.sampling.is_some() {
            caps.entry("sampling").or_insert_with(|| json!({}));
        }
        if self.elicitation.is_some() {
            caps.entry("elicitation").or_insert_with(|| json!({}));
        }
        if self.roots.is_some() {
            caps.entry("roots").or_insert_with(|| json!({}));
        }
        Value::Object(caps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_follow_registered_handlers() {
        let none = Handlers::default();
        assert_eq!(none.capabilities(&json!({})), json!({}));
        let handlers = Handlers {
            elicitation: Some(request_handler(|_| async { Ok(json!({})) })),
            roots: Some(request_handler(|_| async { Ok(json!({"roots": []})) })),
            ..Handlers::default()
        };
        assert_eq!(
            handlers.capabilities(&json!({"experimental": {}})),
            json!({"experimental": {}, "elicitation": {}, "roots": {}})
        );
        assert!(handlers.for_method("roots/list").is_some());
        assert!(handlers.for_method("sampling/createMessage").is_none());
    }
}
