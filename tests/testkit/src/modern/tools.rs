//! The modern lane's tools: the session era's own, less `ask` (servers no longer send
//! requests to clients; `ask_input` is its stateless successor), plus `headers_echo` for
//! `x-mcp-header` mirroring. `slow` reports progress here, and `echo` logs when asked to.

use super::error::ModernError;
use super::mrtr;
use crate::interactive::{self, Outbox};
use crate::tools;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// How often `slow` reports progress, so clients can test timeouts that reset on progress.
const SLOW_PROGRESS_EVERY: Duration = Duration::from_millis(100);

pub fn tool_list() -> Vec<Value> {
    let mut all = tools::tool_list();
    all.extend(
        tools::interactive_tool_list()
            .into_iter()
            .filter(|t| t["name"] != "ask"),
    );
    all.push(json!({
        "name": "headers_echo",
        "description": "Returns the arguments it got; the annotated ones travel as Mcp-Param-* headers too",
        "inputSchema": {"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "count": {"type": "integer", "x-mcp-header": "Count"},
            "dry_run": {"type": "boolean", "x-mcp-header": "Dry-Run"},
            "note": {"type": "string"}}}
    }));
    all.push(mrtr::definition());
    all
}

pub fn tool_schema(name: &str) -> Option<Value> {
    tool_list()
        .into_iter()
        .find(|t| t["name"] == name)
        .map(|t| t["inputSchema"].clone())
}

pub async fn call(
    out: &Outbox,
    params: &Value,
    capabilities: &Map<String, Value>,
) -> Result<Value, ModernError> {
    let args = params
        .get("arguments")
        .cloned()
        .unwrap_or_else(|| json!({}));
    match params.get("name").and_then(Value::as_str) {
        Some("headers_echo") => Ok(headers_echo(&args)),
        Some("ask_input") => mrtr::ask_input(&out.state, params, &args, capabilities),
        Some("slow") => slow(out, &args).await,
        Some("progress") => Ok(interactive::progress(out, &args).await?),
        Some("echo") => {
            let result = tools::call_tool(params).await?;
            out.send(&json!({"jsonrpc": "2.0", "method": "notifications/message",
                "params": {"level": "info", "logger": "mcpstream-testserver", "data": format!("echo called: {args}")}}));
            Ok(result)
        }
        Some("ask") => Err(ModernError::invalid_params(
            "unknown tool \"ask\" (use ask_input in 2026-07-28)",
        )),
        _ => Ok(tools::call_tool(params).await?),
    }
}

fn headers_echo(args: &Value) -> Value {
    let got: Vec<String> = ["region", "count", "dry_run", "note"]
        .iter()
        .filter_map(|key| args.get(*key).map(|v| format!("{key}={v}")))
        .collect();
    json!({"content": [{"type": "text", "text": got.join(", ")}],
           "structuredContent": {"arguments": args}, "isError": false})
}

/// `slow(ms)`: with a progress token, progress every 100 ms (in ms slept, of `ms`).
async fn slow(out: &Outbox, args: &Value) -> Result<Value, ModernError> {
    let ms = args
        .get("ms")
        .and_then(Value::as_u64)
        .ok_or_else(|| ModernError::invalid_params("slow: ms must be a non-negative integer"))?;
    let Some(token) = &out.progress_token else {
        return Ok(tools::call_tool(&json!({"name": "slow", "arguments": args})).await?);
    };
    let total = Duration::from_millis(ms);
    let started = Instant::now();
    loop {
        let elapsed = started.elapsed().min(total);
        out.send(&json!({"jsonrpc": "2.0", "method": "notifications/progress",
            "params": {"progressToken": token, "progress": elapsed.as_millis() as u64, "total": ms}}));
        if elapsed >= total {
            break;
        }
        tokio::time::sleep(SLOW_PROGRESS_EVERY.min(total - elapsed)).await;
    }
    Ok(json!({"content": [{"type": "text", "text": format!("slept {ms} ms")}], "isError": false}))
}
