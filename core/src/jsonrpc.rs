//! JSON-RPC 2.0 messages as MCP uses them: one message per HTTP body, no batches.

use crate::error::{Error, Result};
use serde_json::{json, Map, Value};
use std::fmt;

/// The JSON-RPC error code for an unknown method.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// The JSON-RPC error code for a failure inside the answering side.
pub const INTERNAL_ERROR: i64 = -32603;

/// A request id. The client only mints integers, but servers may use strings for their own
/// requests, so both are kept exactly as received.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestId {
    Number(i64),
    String(String),
}

impl RequestId {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Number(n) => n.as_i64().map(Self::Number),
            Value::String(s) => Some(Self::String(s.clone())),
            _ => None,
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            Self::Number(n) => Value::from(*n),
            Self::String(s) => Value::from(s.as_str()),
        }
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// One message received from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Response {
        id: RequestId,
        result: Value,
    },
    ErrorResponse {
        id: Option<RequestId>,
        code: i64,
        message: String,
        data: Option<Value>,
    },
    Request {
        id: RequestId,
        method: String,
        params: Option<Value>,
    },
    Notification {
        method: String,
        params: Option<Value>,
    },
}

impl Incoming {
    /// Classifies a JSON value. Anything that is not a single, well-formed JSON-RPC 2.0 message
    /// is a protocol error, so garbage never passes silently as "some other message".
    pub fn from_value(value: Value) -> Result<Self> {
        let Value::Object(mut obj) = value else {
            return Err(Error::protocol(
                "expected one JSON-RPC message object (batches are not part of MCP since 2025-06-18)",
            ));
        };
        if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err(Error::protocol("message is not JSON-RPC 2.0"));
        }
        let id = match obj.get("id") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                RequestId::from_value(v)
                    .ok_or_else(|| Error::protocol("JSON-RPC id is neither integer nor string"))?,
            ),
        };
        if let Some(method) = obj.get("method") {
            let method = method
                .as_str()
                .ok_or_else(|| Error::protocol("JSON-RPC method is not a string"))?
                .to_owned();
            let params = obj.remove("params");
            return Ok(match id {
                Some(id) => Self::Request { id, method, params },
                None => Self::Notification { method, params },
            });
        }
        if let Some(error) = obj.remove("error") {
            let (code, message, data) = parse_error_object(error)?;
            return Ok(Self::ErrorResponse {
                id,
                code,
                message,
                data,
            });
        }
        match (id, obj.remove("result")) {
            (Some(id), Some(result)) => Ok(Self::Response { id, result }),
            (None, Some(_)) => Err(Error::protocol("JSON-RPC response without an id")),
            _ => Err(Error::protocol(
                "JSON-RPC message is neither request, notification nor response",
            )),
        }
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        Self::from_parsed(serde_json::from_slice(bytes))
    }

    /// As [`Incoming::from_slice`], for text already known to be UTF-8 (an SSE event's data),
    /// which the JSON parser then need not check again.
    pub fn from_text(text: &str) -> Result<Self> {
        Self::from_parsed(serde_json::from_str(text))
    }

    fn from_parsed(parsed: serde_json::Result<Value>) -> Result<Self> {
        let value =
            parsed.map_err(|e| Error::protocol(format!("invalid JSON from server: {e}")))?;
        Self::from_value(value)
    }

    /// The id this message answers, if it is a response.
    pub fn response_id(&self) -> Option<&RequestId> {
        match self {
            Self::Response { id, .. } => Some(id),
            Self::ErrorResponse { id, .. } => id.as_ref(),
            _ => None,
        }
    }

    /// A response becomes the caller's result; an error response becomes `Error::Rpc`.
    pub fn into_result(self) -> Result<Value> {
        match self {
            Self::Response { result, .. } => Ok(result),
            Self::ErrorResponse {
                code,
                message,
                data,
                ..
            } => Err(Error::Rpc {
                code,
                message,
                data,
            }),
            _ => Err(Error::protocol("expected a JSON-RPC response")),
        }
    }
}

fn parse_error_object(error: Value) -> Result<(i64, String, Option<Value>)> {
    let Value::Object(mut e) = error else {
        return Err(Error::protocol("JSON-RPC error is not an object"));
    };
    let code = e
        .get("code")
        .and_then(Value::as_i64)
        .ok_or_else(|| Error::protocol("JSON-RPC error without an integer code"))?;
    let message = match e.remove("message") {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    Ok((code, message, e.remove("data")))
}

/// If `body` is a JSON-RPC error object (with or without id), that error. HTTP error bodies
/// often are, and a 404 carrying -32601 must be told apart from a session expiry.
pub(crate) fn error_in_body(body: &[u8]) -> Option<Error> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    let (code, message, data) = parse_error_object(value.get_mut("error")?.take()).ok()?;
    Some(Error::Rpc {
        code,
        message,
        data,
    })
}

pub(crate) fn request_body(id: &RequestId, method: &str, params: Option<Value>) -> Vec<u8> {
    let size = params.as_ref().map_or(0, unescaped_size);
    request_body_of(id, method, params.as_ref(), size)
}

/// The reply to a server request `id`: its result, or a JSON-RPC error (an `Error::Rpc` keeps
/// its code and data; any other failure is an internal error).
pub(crate) fn reply_body(id: &RequestId, outcome: Result<Value>) -> Vec<u8> {
    let reply = match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id.to_value(), "result": result}),
        Err(Error::Rpc {
            code,
            message,
            data,
        }) => {
            let mut error = json!({"code": code, "message": message});
            if let Some(data) = data {
                error["data"] = data;
            }
            json!({"jsonrpc": "2.0", "id": id.to_value(), "error": error})
        }
        Err(other) => json!({"jsonrpc": "2.0", "id": id.to_value(),
                             "error": {"code": INTERNAL_ERROR, "message": other.to_string()}}),
    };
    to_body(&reply)
}

/// A request whose params (if any) are anything that serialises as a JSON object;
/// `params_size` is their length as JSON if nothing needed escaping.
pub(crate) fn request_body_of<P: serde::Serialize>(
    id: &RequestId,
    method: &str,
    params: Option<&P>,
    params_size: usize,
) -> Vec<u8> {
    // The fields in the order a JSON object's keys are written.
    #[derive(serde::Serialize)]
    struct Request<'a, P> {
        id: Value,
        jsonrpc: &'static str,
        method: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        params: Option<&'a P>,
    }
    let request = Request {
        id: id.to_value(),
        jsonrpc: "2.0",
        method,
        params,
    };
    written(&request, params_size + method.len() + 64)
}

fn to_body(message: &Value) -> Vec<u8> {
    written(message, unescaped_size(message))
}

/// `message` as JSON bytes, written into a buffer sized up front from `size` (its length if
/// nothing needed escaping): a large body is written once instead of being copied through
/// every doubling of a growing one.
fn written(message: &impl serde::Serialize, size: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(size + size / 64 + 16);
    serde_json::to_writer(&mut body, message).expect("JSON values always serialise");
    body
}

/// The length of `value` as JSON, if no string in it needed escaping (numbers counted long).
pub(crate) fn unescaped_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 24,
        Value::String(s) => s.len() + 2,
        Value::Array(items) => 2 + items.iter().map(|v| unescaped_size(v) + 1).sum::<usize>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.len() + 4 + unescaped_size(v))
                .sum::<usize>()
        }
    }
}

/// Whether `message` answers request `id`: its response, or an id-less error (the server
/// could not even read the request).
pub(crate) fn answers(message: &Incoming, id: &RequestId) -> bool {
    match message {
        Incoming::Response { id: got, .. } => got == id,
        Incoming::ErrorResponse { id: got, .. } => got.as_ref().is_none_or(|got| got == id),
        _ => false,
    }
}

pub(crate) fn notification_body(method: &str, params: Option<Value>) -> Vec<u8> {
    let mut msg = Map::with_capacity(3);
    msg.insert("jsonrpc".into(), json!("2.0"));
    msg.insert("method".into(), Value::from(method));
    if let Some(p) = params {
        msg.insert("params".into(), p);
    }
    to_body(&Value::Object(msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_each_kind_of_message() {
        let r = Incoming::from_slice(br#"{"jsonrpc":"2.0","id":7,"result":{"ok":true}}"#).unwrap();
        assert_eq!(r.response_id(), Some(&RequestId::Number(7)));
        let e = Incoming::from_slice(
            br#"{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"nope","data":[1]}}"#,
        )
        .unwrap();
        match e.into_result() {
            Err(Error::Rpc {
                code,
                message,
                data,
            }) => {
                assert_eq!(code, -32601);
                assert_eq!(message, "nope");
                assert_eq!(data, Some(json!([1])));
            }
            other => panic!("{other:?}"),
        }
        let q = Incoming::from_slice(br#"{"jsonrpc":"2.0","id":"s1","method":"ping"}"#).unwrap();
        assert!(matches!(q, Incoming::Request { .. }));
        let n = Incoming::from_slice(
            br#"{"jsonrpc":"2.0","method":"notifications/message","params":{}}"#,
        )
        .unwrap();
        assert!(matches!(n, Incoming::Notification { .. }));
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        for bad in [
            &b"not json"[..],
            b"[]",
            b"[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}]",
            b"{\"id\":1,\"result\":{}}",
            b"{\"jsonrpc\":\"2.0\",\"result\":{}}",
            b"{\"jsonrpc\":\"2.0\",\"id\":{},\"result\":{}}",
            b"{\"jsonrpc\":\"2.0\",\"id\":1}",
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"message\":\"no code\"}}",
            b"{\"jsonrpc\":\"2.0\",\"method\":5}",
        ] {
            assert!(
                matches!(Incoming::from_slice(bad), Err(Error::Protocol { .. })),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn request_body_round_trips() {
        let body = request_body(
            &RequestId::Number(3),
            "tools/list",
            Some(json!({"cursor": "x"})),
        );
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v,
            json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":"x"}})
        );
        let params = json!({"name": "e\u{1}\"", "arguments": {"n": [1, -2, 0.5, null, true]}});
        // Byte for byte the text of the whole message as a JSON value, with params or without.
        for id in [RequestId::Number(-4), RequestId::String("s\n".into())] {
            let whole = json!({"jsonrpc": "2.0", "id": id.to_value(), "method": "tools/call",
                               "params": params});
            let body = request_body(&id, "tools/call", Some(params.clone()));
            assert_eq!(body, serde_json::to_vec(&whole).unwrap());
            let bare = json!({"jsonrpc": "2.0", "id": id.to_value(), "method": "ping"});
            let body = request_body(&id, "ping", None);
            assert_eq!(body, serde_json::to_vec(&bare).unwrap());
        }
        let body = notification_body("notifications/initialized", None);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v,
            json!({"jsonrpc":"2.0","method":"notifications/initialized"})
        );
    }

    #[test]
    fn finds_an_error_in_any_error_body() {
        assert!(matches!(
            error_in_body(br#"{"jsonrpc":"2.0","error":{"code":-32601,"message":"x"}}"#),
            Some(Error::Rpc { code: -32601, .. })
        ));
        assert!(error_in_body(b"<html>not found</html>").is_none());
        assert!(error_in_body(br#"{"error":"text"}"#).is_none());
    }
}
