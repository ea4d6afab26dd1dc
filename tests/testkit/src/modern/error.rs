//! A modern-era JSON-RPC error with the HTTP status it travels under (E10): the spec gives
//! the new codes and `-32602` a 400 and "method not found" a 404 with a JSON-RPC body.

use crate::http::json_response;
use crate::mcp_headers::Mismatch;
use crate::tools::{RpcError, METHOD_NOT_FOUND, RESOURCE_NOT_FOUND};
use axum::body::Body;
use axum::http::{Response, StatusCode};
use serde_json::{json, Value};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
pub const HEADER_MISMATCH: i64 = -32020;
pub const MISSING_CAPABILITY: i64 = -32021;
pub const UNSUPPORTED_VERSION: i64 = -32022;

#[derive(Debug, Clone)]
pub struct ModernError {
    pub status: StatusCode,
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl ModernError {
    fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub fn parse_error() -> Self {
        Self::new(StatusCode::BAD_REQUEST, PARSE_ERROR, "parse error")
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, INVALID_REQUEST, message)
    }

    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, INVALID_PARAMS, message)
    }

    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            METHOD_NOT_FOUND,
            format!("method not found: {method}"),
        )
    }

    pub fn header_mismatch(mismatch: Mismatch) -> Self {
        Self::new(StatusCode::BAD_REQUEST, HEADER_MISMATCH, mismatch.message()).with_data(
            json!({"header": mismatch.header, "expected": mismatch.expected, "received": mismatch.received}),
        )
    }

    pub fn unsupported_version(supported: &[String], requested: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            UNSUPPORTED_VERSION,
            format!("unsupported protocol version {requested:?}"),
        )
        .with_data(json!({"supported": supported, "requested": requested}))
    }

    pub fn missing_capability(capability: &str, shape: Value) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            MISSING_CAPABILITY,
            format!("this request needs the client capability {capability}"),
        )
        .with_data(json!({"requiredCapabilities": {capability: shape}}))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_ERROR, message)
    }

    /// The JSON-RPC error object.
    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }

    /// The whole answer; `id` is null when the request's id could not be read.
    pub fn response(&self, id: &Value) -> Response<Body> {
        json_response(
            self.status,
            &json!({"jsonrpc": "2.0", "id": id, "error": self.body()}),
        )
    }
}

/// Errors of the session era's handlers, under modern codes and statuses: a missing resource
/// is `-32602` with its uri now, no longer `-32002`.
impl From<RpcError> for ModernError {
    fn from(e: RpcError) -> Self {
        match e.code {
            RESOURCE_NOT_FOUND => Self::invalid_params(e.message),
            METHOD_NOT_FOUND => Self::new(StatusCode::NOT_FOUND, e.code, e.message),
            INVALID_PARAMS => Self::invalid_params(e.message),
            code => Self::new(StatusCode::INTERNAL_SERVER_ERROR, code, e.message),
        }
    }
}
