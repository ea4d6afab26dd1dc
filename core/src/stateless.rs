//! A request in the modern era (2026-07-28): the envelope on every send, one retry with the
//! server's version after `-32022` (E11), one retry after re-listing tools on `-32020` for a
//! `tools/call` (E5), and multi round-trip requests (E14–E17): an `input_required` result is
//! answered by the same handlers that answer server requests in the session era, and the
//! request is sent again under a new id with the answers and the server's state.

use crate::client::{lock, Client};
use crate::era::{HEADER_MISMATCH, MODERN_PROTOCOL_VERSIONS, UNSUPPORTED_PROTOCOL_VERSION};
use crate::error::{Error, Result};
use crate::jsonrpc;
use crate::modern::{self, Envelope, Outcome, SendParams};
use crate::mrtr::{self, InputReply};
use crate::options::RequestOptions;
use crate::session::Session;
use crate::tool_headers::{self, ToolHeaders};
use bytes::Bytes;
use serde_json::{json, Value};
use std::sync::Arc;

/// Log levels (RFC 5424 names) a request may ask for in `_meta`.
const LOG_LEVELS: &[&str] = &[
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

impl Client {
    /// A request in the modern era. Methods the revision removed keep working where they have
    /// a modern equivalent: `ping` becomes `server/discover`, and `logging/setLevel` becomes
    /// the `logLevel` every later request carries.
    pub(crate) async fn send_stateless(
        &self,
        session: Arc<Session>,
        method: &str,
        params: Option<&Value>,
        opts: &RequestOptions,
    ) -> Result<Value> {
        match method {
            "ping" => {
                Box::pin(self.send_stateless(session, "server/discover", None, opts)).await?;
                return Ok(json!({}));
            }
            "logging/setLevel" => {
                let level = params.and_then(|p| p.get("level")).and_then(Value::as_str);
                let Some(level) = level.filter(|l| LOG_LEVELS.contains(l)) else {
                    return Err(Error::invalid_argument(format!(
                        "log level must be one of {}",
                        LOG_LEVELS.join(", ")
                    )));
                };
                *lock(&self.inner.log_level) = Some(level.to_owned());
                return Ok(json!({}));
            }
            _ => {}
        }
        let mut result = self.send_modern(session, method, params, opts).await?;
        if method == "tools/list" {
            self.learn_tools(&mut result);
        }
        Ok(result)
    }

    /// Keeps what the tools' schemas say about `x-mcp-header`, and leaves out the tools whose
    /// annotations are invalid (E5).
    fn learn_tools(&self, page: &mut Value) {
        let Some(Value::Array(tools)) = page.get_mut("tools").map(Value::take) else {
            return;
        };
        // Sorted outside the lock: dropping a tool logs, and a logger is the application's code.
        let mut learnt = std::collections::HashMap::new();
        page["tools"] = Value::Array(tool_headers::sort_tools(tools, &mut learnt));
        lock(&self.inner.tools)
            .get_or_insert_with(Default::default)
            .extend(learnt);
    }

    async fn send_modern(
        &self,
        mut session: Arc<Session>,
        method: &str,
        params: Option<&Value>,
        opts: &RequestOptions,
    ) -> Result<Value> {
        let cache_key = crate::cache::key(method, params);
        if let Some(key) = cache_key.as_deref().filter(|_| !opts.bypass_cache) {
            if let Some(kept) = self.inner.cache.get(key) {
                return Ok(kept);
            }
        }
        if method == "tools/call" && lock(&self.inner.tools).is_none() {
            // Mirroring arguments as headers needs the tools' schemas.
            Box::pin(self.list_tools()).await?;
        }
        let limit = self.inner.options.max_input_rounds;
        let mut version_retried = false;
        let mut tools_relisted = false;
        let mut rounds = 0;
        let mut input: Option<InputReply> = None;
        loop {
            let sent = self
                .send_stateless_once(&session, method, params, input.as_ref(), opts)
                .await;
            let result = match sent {
                Ok(result) => result,
                Err(e) => {
                    if !version_retried {
                        if let Some(version) = mutual_version(&e) {
                            version_retried = true;
                            session = self.adopt_version(&session, version);
                            continue;
                        }
                    }
                    let cursor_refused = matches!(e, Error::Rpc { code: -32602, .. })
                        && params.is_some_and(|p| p.get("cursor").is_some());
                    if cursor_refused {
                        // Pages of one listing belong together (E22).
                        self.inner.cache.forget_method(method);
                    }
                    let header_mismatch = matches!(
                        e,
                        Error::Rpc {
                            code: HEADER_MISMATCH,
                            ..
                        }
                    );
                    if header_mismatch && method == "tools/call" && !tools_relisted {
                        // The tool's annotations may have changed since we listed it.
                        tools_relisted = true;
                        Box::pin(self.list_tools()).await?;
                        continue;
                    }
                    return Err(e);
                }
            };
            match modern::outcome(result)? {
                Outcome::Complete(result) => {
                    // Never an answer that took input: it belongs to that exchange (E22).
                    if let (Some(key), None) = (cache_key, &input) {
                        self.inner.cache.put(key, &result);
                    }
                    return Ok(result);
                }
                Outcome::InputRequired(result) => {
                    if !mrtr::may_ask_for_input(method) {
                        return Err(Error::protocol(format!(
                            "the server answered {method} with input_required, which only tools/call, prompts/get and resources/read may get"
                        )));
                    }
                    rounds += 1;
                    if rounds > limit {
                        return Err(Error::protocol(format!(
                            "{method} still needed input after {limit} rounds; giving up (max_input_rounds)"
                        )));
                    }
                    input = Some(mrtr::answer(&self.inner.options.handlers, result).await?);
                }
            }
        }
    }

    async fn send_stateless_once(
        &self,
        session: &Arc<Session>,
        method: &str,
        params: Option<&Value>,
        input: Option<&InputReply>,
        opts: &RequestOptions,
    ) -> Result<Value> {
        let id = self.next_id();
        // Answers belong to one round of one request: never a caller's stale ones (E15).
        let mut params = SendParams::new(params, &["inputResponses", "requestState"]);
        if let Some(input) = input {
            input.attach(&mut params.own);
        }
        let callers_meta = params.get("_meta");
        let mut meta = callers_meta
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let wants_progress = opts.on_progress.is_some() || opts.reset_timeout_on_progress;
        // A `_meta` that is not an object is replaced, and gets no progress token.
        if wants_progress && callers_meta.is_none_or(Value::is_object) {
            meta.insert("progressToken".into(), id.to_value());
        }
        let log_level = opts
            .log_level
            .clone()
            .or_else(|| lock(&self.inner.log_level).clone());
        let envelope = Envelope {
            version: &session.protocol_version,
            capabilities: &self.inner.capabilities,
            client_info: &self.inner.options.client_info,
            log_level: log_level.as_deref(),
        };
        envelope.fill(&mut meta);
        params.own.insert("_meta".into(), Value::Object(meta));
        let mut headers = modern::standard_headers_by(method, |k| params.get(k))?;
        if method == "tools/call" {
            headers.extend(self.tool_param_headers(&params)?);
        }
        let size = params.unescaped_size();
        let body = Bytes::from(jsonrpc::request_body_of(&id, method, Some(&params), size));
        self.attempt(Some(session.clone()), &id, body, &headers, opts)
            .await
            .outcome
    }

    fn tool_param_headers(
        &self,
        params: &SendParams<'_>,
    ) -> Result<Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>> {
        let name = params.get("name").and_then(Value::as_str).unwrap_or("");
        let known = lock(&self.inner.tools)
            .as_ref()
            .and_then(|t| t.get(name).cloned());
        match known {
            Some(ToolHeaders::Valid(mirrored)) => {
                tool_headers::param_headers(&mirrored, params.get("arguments"))
            }
            Some(ToolHeaders::Invalid(reason)) => Err(Error::invalid_argument(format!(
                "tool {name:?} was left out of tools/list because {reason}; it cannot be called"
            ))),
            // Not listed (yet): the server says -32020 if it wanted headers, and we re-list.
            None => Ok(Vec::new()),
        }
    }

    /// Speaks `version` from now on, as the server asked (E11).
    fn adopt_version(&self, session: &Arc<Session>, version: String) -> Arc<Session> {
        let changed = Session {
            protocol_version: version,
            ..(**session).clone()
        };
        self.inner.session.replace_if_current(session, changed)
    }
}

/// A `-32022` naming a version we speak.
fn mutual_version(e: &Error) -> Option<String> {
    let Error::Rpc {
        code: UNSUPPORTED_PROTOCOL_VERSION,
        data: Some(data),
        ..
    } = e
    else {
        return None;
    };
    let supported = data.get("supported")?.as_array()?;
    MODERN_PROTOCOL_VERSIONS
        .iter()
        .find(|ours| supported.iter().any(|v| v.as_str() == Some(ours)))
        .map(|v| (*v).to_owned())
}
