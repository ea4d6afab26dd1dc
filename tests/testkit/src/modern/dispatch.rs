//! What each modern method answers. Results say they are complete and who answered (E9,
//! E13); cacheable ones carry the configured cache hints (E22). The methods the revision
//! removed are unknown here, like any other (E23).

use super::error::ModernError;
use super::{server_info, tools, SERVER_INFO};
use crate::config::Config;
use crate::interactive::Outbox;
use crate::tools as shared;
use crate::tools::RESOURCE_NOT_FOUND;
use serde_json::{json, Map, Value};

pub async fn dispatch(
    out: &Outbox,
    method: &str,
    params: &Value,
    capabilities: &Map<String, Value>,
) -> Result<Value, ModernError> {
    let config = &out.state.config;
    let page = |items: Vec<Value>, key: &str| -> Result<Value, ModernError> {
        Ok(cacheable(
            config,
            shared::page(items, key, params, config.page_size)?,
        ))
    };
    let result = match method {
        "server/discover" => cacheable(config, discover(config)),
        "tools/list" => page(tools::tool_list(), "tools")?,
        "tools/call" => tools::call(out, params, capabilities).await?,
        "resources/list" => page(shared::resource_list(), "resources")?,
        "resources/templates/list" => cacheable(config, json!({"resourceTemplates": []})),
        "resources/read" => cacheable(config, read_resource(params)?),
        "prompts/list" => page(shared::prompt_list(), "prompts")?,
        "prompts/get" => shared::get_prompt(params)?,
        other => return Err(ModernError::method_not_found(other)),
    };
    Ok(decorated(result))
}

fn discover(config: &Config) -> Value {
    json!({
        "supportedVersions": config.modern_versions,
        "capabilities": {
            "tools": {"listChanged": true},
            "resources": {"subscribe": true, "listChanged": true},
            "prompts": {"listChanged": true},
            // Deprecated, but this server honours a request's logLevel.
            "logging": {},
        },
        "instructions": "mcpstream reference server",
    })
}

fn read_resource(params: &Value) -> Result<Value, ModernError> {
    shared::read_resource(params).map_err(|e| {
        let missing = e.code == RESOURCE_NOT_FOUND;
        let error = ModernError::from(e);
        match (missing, params.get("uri")) {
            (true, Some(uri)) => error.with_data(json!({"uri": uri})),
            _ => error,
        }
    })
}

fn cacheable(config: &Config, mut result: Value) -> Value {
    if let Some(ttl) = config.cache_ttl_ms {
        result["ttlMs"] = json!(ttl);
        result["cacheScope"] = json!(config.cache_scope);
    }
    result
}

/// `resultType` (unless the handler chose one, as `input_required`) and `serverInfo`.
fn decorated(mut result: Value) -> Value {
    if result.get("resultType").is_none() {
        result["resultType"] = json!("complete");
    }
    if !result.get("_meta").is_some_and(Value::is_object) {
        result["_meta"] = json!({});
    }
    result["_meta"][SERVER_INFO] = server_info();
    result
}
