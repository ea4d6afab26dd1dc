//! `subscriptions/listen` (E18, E19): a long-lived SSE answer that opens with an
//! acknowledgement of the honoured filter, then carries the notifications that filter asked
//! for, each tagged with the listen request's id. Tests drive it through `/_admin/notify`:
//! a notification, a graceful end (a result for the listen id) or an abrupt drop.

use super::error::ModernError;
use axum::body::{Body, Bytes};
use axum::http::{header, Response, StatusCode};
use futures_util::stream;
use serde_json::{json, Map, Value};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;

pub const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";
const KEEPALIVE: Duration = Duration::from_secs(15);
const LIST_CHANGED: [(&str, &str); 3] = [
    ("toolsListChanged", "notifications/tools/list_changed"),
    ("promptsListChanged", "notifications/prompts/list_changed"),
    (
        "resourcesListChanged",
        "notifications/resources/list_changed",
    ),
];
const RESOURCE_UPDATED: &str = "notifications/resources/updated";

enum Frame {
    Event(Bytes),
    /// Ends the connection as a network failure would: no final chunk, no result.
    Abort,
}

struct Listener {
    id: Value,
    /// The honoured filter, as acknowledged.
    filter: Map<String, Value>,
    tx: mpsc::UnboundedSender<Frame>,
}

impl Listener {
    fn wants(&self, method: &str, uri: Option<&str>) -> bool {
        if method == RESOURCE_UPDATED {
            let subscribed = self.filter.get("resourceSubscriptions");
            return subscribed
                .and_then(Value::as_array)
                .is_some_and(|uris| uris.iter().any(|u| u.as_str() == uri));
        }
        LIST_CHANGED
            .iter()
            .any(|(field, m)| *m == method && self.filter.get(*field) == Some(&json!(true)))
    }

    fn meta(&self) -> Value {
        json!({ SUBSCRIPTION_ID: self.id })
    }

    fn send(&self, message: &Value) -> bool {
        self.tx
            .send(Frame::Event(Bytes::from(format!("data: {message}\n\n"))))
            .is_ok()
    }
}

#[derive(Default)]
pub struct Listeners {
    streams: Mutex<Vec<Listener>>,
}

impl Listeners {
    fn lock(&self) -> MutexGuard<'_, Vec<Listener>> {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        streams.retain(|l| !l.tx.is_closed());
        streams
    }

    /// Listen streams whose client is still connected, as far as the server can tell.
    pub fn open(&self) -> usize {
        self.lock().len()
    }

    /// Sends a notification to every stream whose filter asked for it; how many got it.
    pub fn notify(&self, method: &str, uri: Option<&str>) -> usize {
        self.lock()
            .iter()
            .filter(|l| l.wants(method, uri))
            .filter(|l| {
                let mut params = json!({"_meta": l.meta()});
                if let Some(uri) = uri {
                    params["uri"] = json!(uri);
                }
                l.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
            })
            .count()
    }

    /// Graceful closure: a result for each listen request, then the end of its stream.
    pub fn end(&self) -> usize {
        std::mem::take(&mut *self.lock())
            .iter()
            .filter(|l| {
                let mut meta = l.meta();
                meta[super::SERVER_INFO] = super::server_info();
                l.send(&json!({"jsonrpc": "2.0", "id": l.id,
                               "result": {"resultType": "complete", "_meta": meta}}))
            })
            .count()
    }

    /// Cuts every stream without a result.
    pub fn drop_all(&self) -> usize {
        std::mem::take(&mut *self.lock())
            .iter()
            .filter(|l| l.tx.send(Frame::Abort).is_ok())
            .count()
    }

    /// Opens a listen stream; its first event acknowledges what will be delivered.
    pub fn listen(&self, id: &Value, params: &Value) -> Result<Response<Body>, ModernError> {
        let requested = params
            .get("notifications")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                ModernError::invalid_params(
                    "subscriptions/listen needs params.notifications (an object)",
                )
            })?;
        let filter = honoured(requested)?;
        let (tx, rx) = mpsc::unbounded_channel();
        let listener = Listener {
            id: id.clone(),
            filter,
            tx,
        };
        let params = json!({"notifications": listener.filter, "_meta": listener.meta()});
        listener.send(&json!({"jsonrpc": "2.0",
            "method": "notifications/subscriptions/acknowledged", "params": params}));
        self.lock().push(listener);
        Ok(Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/event-stream")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(body(rx))
            .expect("static response"))
    }
}

/// The part of the filter this server honours: all of it, since it advertises every kind
/// of notification; unknown fields are left out of the acknowledgement.
fn honoured(requested: &Map<String, Value>) -> Result<Map<String, Value>, ModernError> {
    let mut filter = Map::new();
    for (field, value) in requested {
        let valid = match field.as_str() {
            "toolsListChanged" | "promptsListChanged" | "resourcesListChanged" => {
                value.is_boolean()
            }
            "resourceSubscriptions" => value
                .as_array()
                .is_some_and(|uris| uris.iter().all(Value::is_string)),
            _ => continue,
        };
        if !valid {
            return Err(ModernError::invalid_params(format!(
                "notifications.{field} has the wrong type"
            )));
        }
        filter.insert(field.clone(), value.clone());
    }
    Ok(filter)
}

fn body(rx: mpsc::UnboundedReceiver<Frame>) -> Body {
    Body::from_stream(stream::unfold(Some(rx), |rx| async move {
        let mut rx = rx?;
        let chunk = match tokio::time::timeout(KEEPALIVE, rx.recv()).await {
            Err(_) => Ok(Bytes::from_static(b": keepalive\n\n")),
            Ok(Some(Frame::Event(event))) => Ok(event),
            Ok(Some(Frame::Abort)) => {
                return Some((Err(std::io::Error::other("listen stream dropped")), None))
            }
            Ok(None) => return None,
        };
        Some((chunk, Some(rx)))
    }))
}

/// `POST /_admin/notify`: `{"method": ..., "uri"?: ...}`, `{"end": true}` or `{"drop": true}`.
/// Answers how many listen streams it reached.
pub fn admin(listeners: &Listeners, command: &Value) -> Result<usize, String> {
    if command.get("end") == Some(&json!(true)) {
        return Ok(listeners.end());
    }
    if command.get("drop") == Some(&json!(true)) {
        return Ok(listeners.drop_all());
    }
    let method = command
        .get("method")
        .and_then(Value::as_str)
        .ok_or("expected {\"method\": ...}, {\"end\": true} or {\"drop\": true}")?;
    let uri = command.get("uri").and_then(Value::as_str);
    let known = LIST_CHANGED.iter().any(|(_, m)| *m == method);
    match (method, uri) {
        (RESOURCE_UPDATED, Some(uri)) => Ok(listeners.notify(method, Some(uri))),
        (RESOURCE_UPDATED, None) => Err(format!("{RESOURCE_UPDATED} needs a uri")),
        _ if known => Ok(listeners.notify(method, None)),
        _ => Err(format!("listen streams carry no {method}")),
    }
}
