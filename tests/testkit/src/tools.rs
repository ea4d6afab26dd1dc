//! What the reference server answers to each MCP method: a few tools, resources and prompts
//! with behaviour tests can steer (echo, arithmetic, delays, failures, large bodies).

use crate::log_levels::LOG_LEVELS;
use serde_json::{json, Value};
use std::time::Duration;

pub const INVALID_PARAMS: i64 = -32602;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const RESOURCE_NOT_FOUND: i64 = -32002;

/// The largest `big` body a test may ask for; bounds the server's own memory.
const MAX_BIG_BYTES: u64 = 64 * 1024 * 1024;

pub struct RpcError {
    pub code: i64,
    pub message: String,
}

fn invalid(message: impl Into<String>) -> RpcError {
    RpcError {
        code: INVALID_PARAMS,
        message: message.into(),
    }
}

fn text(s: impl Into<String>) -> Value {
    json!({"content": [{"type": "text", "text": s.into()}], "isError": false})
}

pub fn tool_list() -> Vec<Value> {
    let obj = |props: Value, required: Value| json!({"type": "object", "properties": props, "required": required});
    vec![
        json!({"name": "echo", "description": "Returns its text",
               "inputSchema": obj(json!({"text": {"type": "string"}}), json!(["text"]))}),
        json!({"name": "add", "description": "Adds two numbers",
               "inputSchema": obj(json!({"a": {"type": "number"}, "b": {"type": "number"}}), json!(["a", "b"]))}),
        json!({"name": "slow", "description": "Answers after ms milliseconds",
               "inputSchema": obj(json!({"ms": {"type": "integer"}}), json!(["ms"]))}),
        json!({"name": "fail", "description": "A tool error with this message",
               "inputSchema": obj(json!({"message": {"type": "string"}}), json!(["message"]))}),
        json!({"name": "big", "description": "Returns a text of this many bytes",
               "inputSchema": obj(json!({"bytes": {"type": "integer"}}), json!(["bytes"]))}),
    ]
}

/// Tools implemented in `interactive.rs`, listed after the plain ones.
pub fn interactive_tool_list() -> Vec<Value> {
    vec![
        json!({"name": "progress", "description": "Sends progress notifications, optionally dropping its connection",
               "inputSchema": {"type": "object", "properties": {"steps": {"type": "integer"}}, "required": ["steps"]}}),
        json!({"name": "ask", "description": "Asks the client (elicitation, sampling, roots or ping) and returns the answer",
               "inputSchema": {"type": "object", "properties": {"kind": {"type": "string"}}, "required": ["kind"]}}),
    ]
}

pub async fn call_tool(params: &Value) -> Result<Value, RpcError> {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("missing tool name"))?;
    let args = params
        .get("arguments")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let str_arg = |key: &str| {
        args.get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(format!("{name}: argument {key:?} must be a string")))
    };
    let num_arg = |key: &str| {
        args.get(key)
            .and_then(Value::as_f64)
            .ok_or_else(|| invalid(format!("{name}: argument {key:?} must be a number")))
    };
    let uint_arg = |key: &str| {
        args.get(key).and_then(Value::as_u64).ok_or_else(|| {
            invalid(format!(
                "{name}: argument {key:?} must be a non-negative integer"
            ))
        })
    };
    match name {
        "echo" => Ok(text(str_arg("text")?)),
        "add" => {
            let sum = num_arg("a")? + num_arg("b")?;
            let mut result = text(format_number(sum));
            result["structuredContent"] = json!({"sum": sum});
            Ok(result)
        }
        "slow" => {
            let ms = uint_arg("ms")?;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(text(format!("slept {ms} ms")))
        }
        "fail" => {
            let mut result = text(str_arg("message")?);
            result["isError"] = json!(true);
            Ok(result)
        }
        "big" => {
            let bytes = uint_arg("bytes")?;
            if bytes > MAX_BIG_BYTES {
                return Err(invalid(format!("big: at most {MAX_BIG_BYTES} bytes")));
            }
            Ok(text("x".repeat(bytes as usize)))
        }
        other => Err(invalid(format!("unknown tool {other:?}"))),
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

pub fn resource_list() -> Vec<Value> {
    vec![
        json!({"uri": "mem://greeting", "name": "greeting", "mimeType": "text/plain"}),
        json!({"uri": "mem://about", "name": "about", "mimeType": "text/plain"}),
    ]
}

pub fn read_resource(params: &Value) -> Result<Value, RpcError> {
    let uri = params
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("missing uri"))?;
    let body = match uri {
        "mem://greeting" => "hello from the reference server",
        "mem://about" => "mcpstream reference server",
        _ => {
            return Err(RpcError {
                code: RESOURCE_NOT_FOUND,
                message: format!("resource not found: {uri}"),
            })
        }
    };
    Ok(json!({"contents": [{"uri": uri, "mimeType": "text/plain", "text": body}]}))
}

pub fn prompt_list() -> Vec<Value> {
    vec![json!({"name": "greet", "description": "Greets someone",
                "arguments": [{"name": "name", "required": true}]})]
}

pub fn get_prompt(params: &Value) -> Result<Value, RpcError> {
    match params.get("name").and_then(Value::as_str) {
        Some("greet") => {
            let who = params
                .pointer("/arguments/name")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("greet needs the argument name"))?;
            Ok(json!({"description": "A greeting",
                      "messages": [{"role": "user", "content": {"type": "text", "text": format!("Say hello to {who}")}}]}))
        }
        other => Err(invalid(format!("unknown prompt {other:?}"))),
    }
}

/// One page of `items`, with `nextCursor` (the next index) while more remain.
pub fn page(
    items: Vec<Value>,
    key: &str,
    params: &Value,
    page_size: usize,
) -> Result<Value, RpcError> {
    let start = match params.get("cursor") {
        None | Some(Value::Null) => 0,
        Some(Value::String(c)) => c
            .parse::<usize>()
            .ok()
            .filter(|i| *i < items.len())
            .ok_or_else(|| invalid("invalid cursor"))?,
        Some(_) => return Err(invalid("invalid cursor")),
    };
    let end = (start + page_size).min(items.len());
    let mut result = json!({ key: items[start..end].to_vec() });
    if end < items.len() {
        result["nextCursor"] = json!(end.to_string());
    }
    Ok(result)
}

pub fn set_logging_level(params: &Value) -> Result<Value, RpcError> {
    match params.get("level").and_then(Value::as_str) {
        Some(level) if LOG_LEVELS.contains(&level) => Ok(json!({})),
        _ => Err(invalid(format!(
            "logging/setLevel: level must be one of {}",
            LOG_LEVELS.join(", ")
        ))),
    }
}
