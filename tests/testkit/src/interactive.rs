//! Tools that talk back while they run: `progress` streams notifications (and can drop its
//! connection to exercise resumption), `ask` sends the client a request (elicitation,
//! sampling, roots, ping) and returns the client's answer.

use crate::log_levels::LogGate;
use crate::state::State;
use crate::streams::StreamWriter;
use crate::tools::{RpcError, INVALID_PARAMS};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const INTERNAL_ERROR: i64 = -32603;
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a request's handler sends messages besides its response.
pub struct Outbox {
    pub state: Arc<State>,
    pub session: Option<String>,
    /// Absent for JSON responses: they carry only the response.
    pub writer: Option<StreamWriter>,
    pub progress_token: Option<Value>,
    /// Which log messages this request's stream may carry.
    pub logs: LogGate,
}

impl Outbox {
    pub(crate) fn send(&self, message: &Value) {
        if !self.logs.passes(message) {
            return;
        }
        if let Some(writer) = &self.writer {
            writer.send(message);
        }
    }
}

fn invalid(message: impl Into<String>) -> RpcError {
    RpcError {
        code: INVALID_PARAMS,
        message: message.into(),
    }
}

fn text_result(text: String, structured: Value) -> Value {
    json!({"content": [{"type": "text", "text": text}], "structuredContent": structured, "isError": false})
}

/// `progress(steps, delay_ms?, log?, drop_after?, mid_event?)`: before step `drop_after + 1`
/// the live connection is dropped (with half of that step's event if `mid_event`).
pub async fn progress(out: &Outbox, args: &Value) -> Result<Value, RpcError> {
    let steps = args
        .get("steps")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("progress: steps must be an integer"))?;
    let delay = Duration::from_millis(args.get("delay_ms").and_then(Value::as_u64).unwrap_or(0));
    let log = args.get("log").and_then(Value::as_bool).unwrap_or(false);
    let drop_after = args.get("drop_after").and_then(Value::as_u64);
    let mid_event = args
        .get("mid_event")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    for step in 1..=steps {
        let note = match &out.progress_token {
            Some(token) => json!({"jsonrpc": "2.0", "method": "notifications/progress",
                                  "params": {"progressToken": token, "progress": step, "total": steps, "message": format!("step {step}")}}),
            None => json!({"jsonrpc": "2.0", "method": "notifications/message",
                           "params": {"level": "info", "logger": "progress", "data": format!("step {step}")}}),
        };
        let mut sent = false;
        if drop_after == Some(step - 1) {
            if let Some(writer) = &out.writer {
                writer.drop_connection(mid_event.then_some(&note));
                sent = mid_event;
            }
        }
        if !sent {
            out.send(&note);
        }
        if log && out.progress_token.is_some() {
            out.send(&json!({"jsonrpc": "2.0", "method": "notifications/message",
                             "params": {"level": "info", "logger": "progress", "data": format!("step {step}")}}));
        }
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    Ok(text_result(
        format!("done {steps}"),
        json!({"steps": steps}),
    ))
}

/// `ask(kind, via?, params?, wait?)`: kind is elicitation, sampling, roots or ping; via is
/// "post" (this request's stream, the default) or "get" (the session's standalone stream).
pub async fn ask(out: &Outbox, args: &Value) -> Result<Value, RpcError> {
    let kind = args.get("kind").and_then(Value::as_str).unwrap_or("");
    let (method, default_params) = match kind {
        "elicitation" => (
            "elicitation/create",
            json!({"message": "What is your name?",
            "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}),
        ),
        "sampling" => (
            "sampling/createMessage",
            json!({"messages": [{"role": "user", "content": {"type": "text", "text": "Say hi"}}], "maxTokens": 20}),
        ),
        "roots" => ("roots/list", Value::Null),
        "ping" => ("ping", Value::Null),
        other => return Err(invalid(format!("ask: unknown kind {other:?}"))),
    };
    let params = args.get("params").cloned().unwrap_or(default_params);
    let (id, answer) = out.state.expect_answer();
    let mut request = json!({"jsonrpc": "2.0", "id": id, "method": method});
    if !params.is_null() {
        request["params"] = params;
    }
    match args.get("via").and_then(Value::as_str).unwrap_or("post") {
        "post" if out.writer.is_some() => out.send(&request),
        "post" => {
            return Err(invalid(
                "ask: a JSON response cannot carry requests; use via=get",
            ))
        }
        "get" => {
            let session = out
                .session
                .clone()
                .ok_or_else(|| invalid("ask via=get needs a session"))?;
            // By default the client gets a moment to open its GET stream; with `wait: false`
            // the request goes out at once and is lost without a stream, as some real servers
            // (the TypeScript SDK's) do.
            let patient = args.get("wait").and_then(Value::as_bool).unwrap_or(true);
            let tries = if patient { 100 } else { 1 };
            let mut delivered = false;
            for _ in 0..tries {
                if out.state.push_to(&session, &request) > 0 {
                    delivered = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if !delivered {
                return Err(RpcError {
                    code: INTERNAL_ERROR,
                    message: "the client has no GET stream open".into(),
                });
            }
        }
        other => {
            return Err(invalid(format!(
                "ask: via must be post or get, not {other:?}"
            )))
        }
    }
    let reply = tokio::time::timeout(ANSWER_TIMEOUT, answer)
        .await
        .map_err(|_| RpcError {
            code: INTERNAL_ERROR,
            message: format!("the client did not answer {method}"),
        })?
        .map_err(|_| RpcError {
            code: INTERNAL_ERROR,
            message: "answer channel closed".into(),
        })?;
    Ok(text_result(reply.to_string(), reply))
}
