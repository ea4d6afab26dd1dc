//! The hostile lane: misbehaviours a test arms for the next matching request(s) at `/mcp`,
//! so that the Rust, Python and Ruby fault suites drive exactly the same faults.
//!
//! `POST /_admin/hostile {"fault": "never_answer", "for_method": "tools/call"}` arms one
//! (see [`Fault`] for the fields, [`FaultKind`] for the misbehaviours); `GET /_admin/hostile`
//! answers `{"armed": n, "elsewhere": [...]}`, the requests the second listener of
//! `redirect_cross_origin` received; `DELETE /_admin/hostile` disarms everything. An armed
//! fault wins over everything else the endpoint would do (scripts, authorization, sessions).

mod elsewhere;
mod respond;

use crate::state::{RecordedRequest, State};
use axum::body::{Body, Bytes};
use axum::extract::State as Shared;
use axum::http::{HeaderMap, Method, Response, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

pub(crate) use elsewhere::Elsewhere;

/// One misbehaviour. Each is what some deployed server, proxy or network has done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Reads the whole request, then closes the connection without a byte of answer.
    CloseAfterRequest,
    /// Sends SSE headers and half an event without an id, then cuts the connection.
    SseCutMidEvent,
    /// Reads the request and never answers (the connection stays open).
    NeverAnswer,
    /// SSE headers, then a keep-alive comment every `interval_ms` (100) forever, no event.
    KeepaliveForever,
    /// A valid JSON answer sent one byte every `interval_ms` (2).
    DripJson,
    /// 200 `application/json` whose body is not JSON.
    GarbageJson,
    /// A well-formed JSON-RPC response to another id.
    WrongId,
    /// A JSON answer of `bytes` (64 MiB), chunked, so no `Content-Length` warns the client.
    HugeJson,
    /// An SSE stream whose single event carries `bytes` (64 MiB) of data.
    HugeSseEvent,
    /// SSE with valid `notifications/message` notifications, a burst every `interval_ms` (1),
    /// forever, and never the response.
    NotificationFlood,
    /// 500 with an HTML error page, as a proxy in front of a crashed server answers.
    Html500,
    /// 404 with a plain body (a session the server does not know, or a proxy's 404).
    NotFound,
    /// 307 to another origin: a second listener on another port records what reached it.
    RedirectCrossOrigin,
    /// `status` (302, or 303) to `/mcp` on the same origin: a POST turned into a GET.
    RedirectPost,
    /// A DELETE (closing the session) that is never answered.
    DeleteNeverAnswers,
    /// Dies mid-call: SSE headers and a priming event with an id (and `retry: 50`), then
    /// every session is forgotten (as by a restart) and the connection cut.
    DieAndForget,
    /// `initialize` answered with a session id that is not visible ASCII.
    InitializeBadSessionId,
    /// `initialize` answered with a protocol version no client knows.
    InitializeUnknownVersion,
    /// Modern era: every call answered `input_required` with an elicitation, forever.
    InputRequiredForever,
}

fn one() -> u32 {
    1
}

/// An armed misbehaviour and which requests it catches.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub fault: FaultKind,
    /// Only requests with this JSON-RPC method; any if absent (`initialize` for the
    /// `initialize_*` faults).
    #[serde(default)]
    pub for_method: Option<String>,
    /// The HTTP method caught; POST if absent (DELETE for `delete_never_answers`).
    #[serde(default)]
    pub http_method: Option<String>,
    /// How many matching requests get the fault; 0 means every one until disarmed.
    #[serde(default = "one")]
    pub times: u32,
    /// Body size of `huge_json` and `huge_sse_event`.
    #[serde(default)]
    pub bytes: Option<u64>,
    /// Pace of `drip_json`, `keepalive_forever` and `notification_flood`.
    #[serde(default)]
    pub interval_ms: Option<u64>,
    /// The status of `redirect_post`.
    #[serde(default)]
    pub status: Option<u16>,
}

impl Fault {
    /// The fault once, for any request of the HTTP method it is meant for.
    pub fn new(fault: FaultKind) -> Self {
        Self {
            fault,
            for_method: None,
            http_method: None,
            times: 1,
            bytes: None,
            interval_ms: None,
            status: None,
        }
    }

    pub fn for_method(mut self, method: &str) -> Self {
        self.for_method = Some(method.to_owned());
        self
    }

    /// 0: every matching request until disarmed.
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    pub fn bytes(mut self, bytes: u64) -> Self {
        self.bytes = Some(bytes);
        self
    }

    pub fn interval_ms(mut self, ms: u64) -> Self {
        self.interval_ms = Some(ms);
        self
    }

    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    fn http_method(&self) -> &str {
        match (&self.http_method, self.fault) {
            (Some(method), _) => method,
            (None, FaultKind::DeleteNeverAnswers) => "DELETE",
            (None, _) => "POST",
        }
    }

    fn rpc_method(&self) -> Option<&str> {
        match (&self.for_method, self.fault) {
            (Some(method), _) => Some(method),
            (None, FaultKind::InitializeBadSessionId | FaultKind::InitializeUnknownVersion) => {
                Some("initialize")
            }
            (None, _) => None,
        }
    }

    fn catches(&self, http_method: &str, rpc_method: Option<&str>) -> bool {
        self.http_method().eq_ignore_ascii_case(http_method)
            && self.rpc_method().is_none_or(|m| Some(m) == rpc_method)
    }
}

struct Armed {
    fault: Fault,
    /// `None`: until disarmed.
    left: Option<u32>,
}

/// The armed faults of one server, and the second listener once a redirect needed it.
#[derive(Default)]
pub(crate) struct Hostile {
    armed: Mutex<Vec<Armed>>,
    elsewhere: Elsewhere,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Hostile {
    pub fn arm(&self, fault: Fault) {
        let left = (fault.times > 0).then_some(fault.times);
        lock(&self.armed).push(Armed { fault, left });
    }

    /// Disarms every fault and forgets what the second listener received; how many were armed.
    pub fn disarm(&self) -> usize {
        self.elsewhere.clear();
        std::mem::take(&mut *lock(&self.armed)).len()
    }

    pub fn armed(&self) -> usize {
        lock(&self.armed).len()
    }

    /// What reached the other origin of `redirect_cross_origin`, oldest first.
    pub fn elsewhere(&self) -> Vec<RecordedRequest> {
        self.elsewhere.requests()
    }

    fn take(&self, http_method: &str, rpc_method: Option<&str>) -> Option<Fault> {
        let mut armed = lock(&self.armed);
        let pos = armed
            .iter()
            .position(|a| a.fault.catches(http_method, rpc_method))?;
        let fault = armed[pos].fault.clone();
        match &mut armed[pos].left {
            Some(1) => {
                armed.remove(pos);
            }
            Some(n) => *n -= 1,
            None => {}
        }
        Some(fault)
    }
}

/// The answer of an armed fault, if one catches this request. It is recorded first, with
/// status 0 when no status will be sent, since some of these answers never end.
pub(crate) async fn intercept(
    state: &Arc<State>,
    method: &Method,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &Bytes,
) -> Option<Response<Body>> {
    let message: Option<Value> = serde_json::from_slice(body).ok();
    let rpc_method = message
        .as_ref()
        .and_then(|m| m.get("method"))
        .and_then(Value::as_str);
    let fault = state.hostile.take(method.as_str(), rpc_method)?;
    let status = respond::status_sent(&fault);
    state.record(crate::server::record(
        method,
        "/mcp",
        peer,
        headers,
        body,
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
    ));
    let id = message
        .as_ref()
        .and_then(|m| m.get("id"))
        .cloned()
        .unwrap_or(Value::Null);
    Some(respond::respond(state, &fault, &id).await)
}

pub(crate) fn routes(router: Router<Arc<State>>) -> Router<Arc<State>> {
    router.route("/_admin/hostile", post(arm).get(show).delete(disarm))
}

async fn arm(Shared(state): Shared<Arc<State>>, Json(fault): Json<Fault>) -> StatusCode {
    state.hostile.arm(fault);
    StatusCode::NO_CONTENT
}

async fn show(Shared(state): Shared<Arc<State>>) -> Json<Value> {
    Json(json!({"armed": state.hostile.armed(), "elsewhere": state.hostile.elsewhere()}))
}

async fn disarm(Shared(state): Shared<Arc<State>>) -> Json<Value> {
    Json(json!({"disarmed": state.hostile.disarm()}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_from_the_admin_json_and_catch_what_they_name() {
        let fault: Fault = serde_json::from_value(
            json!({"fault": "never_answer", "for_method": "tools/call", "times": 2}),
        )
        .unwrap();
        assert!(fault.catches("POST", Some("tools/call")));
        assert!(!fault.catches("POST", Some("ping")));
        assert!(!fault.catches("DELETE", Some("tools/call")));
        let delete: Fault =
            serde_json::from_value(json!({"fault": "delete_never_answers"})).unwrap();
        assert!(delete.catches("DELETE", None) && !delete.catches("POST", None));
        let init = Fault::new(FaultKind::InitializeUnknownVersion);
        assert!(init.catches("POST", Some("initialize")) && !init.catches("POST", Some("ping")));
        assert!(serde_json::from_value::<Fault>(json!({"fault": "nope"})).is_err());
        assert!(serde_json::from_value::<Fault>(json!({"fault": "html500", "x": 1})).is_err());
    }

    #[test]
    fn times_counts_down_and_zero_is_until_disarmed() {
        let hostile = Hostile::default();
        hostile.arm(Fault::new(FaultKind::Html500).times(2));
        assert!(hostile.take("POST", None).is_some());
        assert!(hostile.take("POST", None).is_some());
        assert!(hostile.take("POST", None).is_none());
        hostile.arm(Fault::new(FaultKind::NotFound).times(0));
        for _ in 0..5 {
            assert!(hostile.take("POST", Some("ping")).is_some());
        }
        assert_eq!(hostile.disarm(), 1);
        assert!(hostile.take("POST", None).is_none());
    }
}
