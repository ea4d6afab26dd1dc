//! Which lane a request takes. A dual-era server tells a modern request by its version
//! header (one no session-era version) or by the `_meta` version in its body; everything else
//! is the session era's. A modern-only server refuses the session era with the versions it
//! does speak (-32022), as the spec asks of servers that dropped `initialize`.

use super::envelope::META_VERSION;
use super::error::ModernError;
use crate::config::{Config, ServerEra};
use crate::http::header_str;
use axum::body::Body;
use axum::http::{HeaderMap, Response};
use serde_json::Value;

/// What a request without a version header means in the session era (S9).
const DEFAULT_LEGACY_VERSION: &str = "2025-03-26";

pub fn is_modern(config: &Config, headers: &HeaderMap, body: &[u8]) -> bool {
    if config.era == ServerEra::LegacyOnly {
        return false;
    }
    if let Some(version) = headers.get("mcp-protocol-version") {
        let legacy = version.to_str().is_ok_and(|v| config.accepts_version(v));
        if !legacy {
            return true;
        }
    }
    // Session-era bodies (benchmarks send many) skip the parse unless they name the key.
    let key = META_VERSION.as_bytes();
    if !body.windows(key.len()).any(|w| w == key) {
        return false;
    }
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|m| m.pointer("/params/_meta").cloned())
        .is_some_and(|meta| meta.get(META_VERSION).is_some())
}

/// A modern-only server's answer to any session-era POST.
pub fn refuse_legacy(config: &Config, headers: &HeaderMap, body: &[u8]) -> Response<Body> {
    let message: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let requested = match message.get("method").and_then(Value::as_str) {
        Some("initialize") => message
            .pointer("/params/protocolVersion")
            .and_then(Value::as_str),
        _ => header_str(headers, "mcp-protocol-version"),
    }
    .unwrap_or(DEFAULT_LEGACY_VERSION);
    ModernError::unsupported_version(&config.modern_versions, requested).response(&id)
}
