//! What a modern request must be before anything runs, checked in a fixed order so each
//! client mistake meets one predictable error: one JSON-RPC request with an id, the `_meta`
//! envelope (E2), a version header equal to it (E3), a version we speak (-32022), and headers
//! mirroring the method, the name and the annotated arguments (E3, E5).

use super::error::ModernError;
use super::tools::tool_schema;
use crate::config::Config;
use crate::log_levels::LogGate;
use crate::mcp_headers::{self, METHOD_HEADER, NAME_HEADER};
use axum::http::HeaderMap;
use serde_json::{Map, Value};

pub const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
const VERSION_HEADER: &str = "mcp-protocol-version";

/// A request that passed every check.
pub struct Envelope {
    pub id: Value,
    pub method: String,
    pub params: Value,
    pub capabilities: Map<String, Value>,
    pub progress_token: Option<Value>,
    pub logs: LogGate,
}

/// The refusal, with the request's id once it is known (null before).
pub type Refusal = (Value, ModernError);

pub fn check(config: &Config, headers: &HeaderMap, body: &[u8]) -> Result<Envelope, Refusal> {
    let (id, method, params) = one_request(body).map_err(|e| (Value::Null, e))?;
    let refuse = |e: ModernError| (id.clone(), e);
    let meta = params
        .get("_meta")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let version = meta
        .get(META_VERSION)
        .and_then(Value::as_str)
        .ok_or_else(|| refuse(missing_meta(META_VERSION, "a string")))?;
    let capabilities = meta
        .get(META_CAPABILITIES)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| refuse(missing_meta(META_CAPABILITIES, "an object")))?;
    mcp_headers::check(headers, VERSION_HEADER, Some(version))
        .map_err(|m| refuse(ModernError::header_mismatch(m)))?;
    if !config.modern_versions.iter().any(|v| v == version) {
        return Err(refuse(ModernError::unsupported_version(
            &config.modern_versions,
            version,
        )));
    }
    mirrored_headers(headers, &method, &params).map_err(refuse)?;
    let logs = LogGate::for_level(meta.get(META_LOG_LEVEL)).map_err(|()| {
        refuse(ModernError::invalid_params(format!(
            "params._meta[{META_LOG_LEVEL:?}] must be one of {}",
            crate::log_levels::LOG_LEVELS.join(", ")
        )))
    })?;
    Ok(Envelope {
        progress_token: meta.get("progressToken").cloned(),
        id,
        method,
        params,
        capabilities,
        logs,
    })
}

fn missing_meta(field: &str, kind: &str) -> ModernError {
    ModernError::invalid_params(format!("params._meta[{field:?}] is required ({kind})"))
}

/// The body as one request: its id, method and params (`{}` when absent).
fn one_request(body: &[u8]) -> Result<(Value, String, Value), ModernError> {
    let message = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m,
        Ok(Value::Array(_)) => {
            return Err(ModernError::invalid_request(
                "batches are not part of 2026-07-28",
            ))
        }
        Ok(_) => return Err(ModernError::invalid_request("not a JSON-RPC message")),
        Err(_) => return Err(ModernError::parse_error()),
    };
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(ModernError::invalid_request(r#"jsonrpc must be "2.0""#));
    }
    let Some(method) = message.get("method").and_then(Value::as_str) else {
        return Err(ModernError::invalid_request(
            "clients send requests only, never responses",
        ));
    };
    let id = match message.get("id") {
        Some(id @ Value::String(_)) => id.clone(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Value::Number(n.clone()),
        // Client notifications are gone from the HTTP wire, like the other removed methods.
        None if method.starts_with("notifications/") => {
            return Err(ModernError::method_not_found(method))
        }
        None => return Err(ModernError::invalid_request("a request needs an id")),
        Some(_) => {
            return Err(ModernError::invalid_request(
                "the id must be a string or an integer",
            ))
        }
    };
    let params = match message.get("params") {
        None => Value::Object(Map::new()),
        Some(p @ Value::Object(_)) => p.clone(),
        Some(_) => return Err(ModernError::invalid_request("params must be an object")),
    };
    Ok((id, method.to_owned(), params))
}

/// `Mcp-Method` always; `Mcp-Name` for the methods that name something; `Mcp-Param-*` for
/// the annotated arguments of a known tool (an unknown one fails later, as unknown).
fn mirrored_headers(headers: &HeaderMap, method: &str, params: &Value) -> Result<(), ModernError> {
    mcp_headers::check(headers, METHOD_HEADER, Some(method))
        .map_err(ModernError::header_mismatch)?;
    let named_by = match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    };
    if let Some(field) = named_by {
        let name = params.get(field).and_then(Value::as_str).ok_or_else(|| {
            ModernError::invalid_params(format!("{method} needs params.{field} (a string)"))
        })?;
        mcp_headers::check(headers, NAME_HEADER, Some(name))
            .map_err(ModernError::header_mismatch)?;
        if method == "tools/call" {
            if let Some(schema) = tool_schema(name) {
                let arguments = params.get("arguments").unwrap_or(&Value::Null);
                mcp_headers::check_params(headers, &schema, arguments)
                    .map_err(ModernError::header_mismatch)?;
            }
        }
    }
    Ok(())
}
