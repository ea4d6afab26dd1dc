//! Client operations by name: `{"op": "call_tool", "name": "echo", "arguments": {...}}`. The
//! one path every binding (blocking or async) takes into the client.

use mcpstream::handlers::ProgressHandler;
use mcpstream::{Client, Error, RequestOptions};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
// Operations without fields are empty structs, not unit variants: serde refuses unknown
// fields only in struct variants.
pub enum Operation {
    Connect {},
    Request {
        method: String,
        #[serde(default)]
        params: Option<Map<String, Value>>,
        #[serde(default)]
        timeout: Option<f64>,
        #[serde(default)]
        log_level: Option<String>,
        /// W3C trace context (`traceparent`, `tracestate`) and other entries for the
        /// request's `params._meta`.
        #[serde(default)]
        meta: Option<Map<String, Value>>,
    },
    Notify {
        method: String,
        #[serde(default)]
        params: Option<Map<String, Value>>,
    },
    Ping {},
    ListTools {
        #[serde(default)]
        timeout: Option<f64>,
        #[serde(default)]
        fresh: Option<bool>,
        #[serde(default)]
        log_level: Option<String>,
        #[serde(default)]
        meta: Option<Map<String, Value>>,
    },
    CallTool {
        name: String,
        #[serde(default)]
        arguments: Option<Map<String, Value>>,
        #[serde(default)]
        timeout: Option<f64>,
        #[serde(default)]
        log_level: Option<String>,
        /// A result with `isError: true` becomes `Error::Tool` (`ToolError`).
        #[serde(default)]
        raise_on_error: Option<bool>,
        #[serde(default)]
        meta: Option<Map<String, Value>>,
    },
    ListResources {
        #[serde(default)]
        timeout: Option<f64>,
        #[serde(default)]
        fresh: Option<bool>,
        #[serde(default)]
        log_level: Option<String>,
        #[serde(default)]
        meta: Option<Map<String, Value>>,
    },
    ReadResource {
        uri: String,
        #[serde(default)]
        timeout: Option<f64>,
        #[serde(default)]
        fresh: Option<bool>,
        #[serde(default)]
        log_level: Option<String>,
        #[serde(default)]
        meta: Option<Map<String, Value>>,
    },
    ListPrompts {
        #[serde(default)]
        timeout: Option<f64>,
        #[serde(default)]
        fresh: Option<bool>,
        #[serde(default)]
        log_level: Option<String>,
        #[serde(default)]
        meta: Option<Map<String, Value>>,
    },
    GetPrompt {
        name: String,
        #[serde(default)]
        arguments: Option<Map<String, Value>>,
        #[serde(default)]
        timeout: Option<f64>,
        #[serde(default)]
        fresh: Option<bool>,
        #[serde(default)]
        log_level: Option<String>,
        #[serde(default)]
        meta: Option<Map<String, Value>>,
    },
    SetLoggingLevel {
        level: String,
    },
    ClearCache {},
    Close {},
    /// Finishes an authorization that raised `AuthorizationRequired`.
    CompleteAuthorization {
        callback_url: String,
    },
    /// Adopts an existing session without `initialize`; see [`Client::resume`].
    Resume {
        session_id: String,
        protocol_version: String,
    },
}

/// A call waits at most this long for the session-change callbacks it caused to have run.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(5);

/// See [`Operation::settle`].
pub struct Settle {
    until: Option<Instant>,
}

impl Settle {
    /// How long the binding may still wait for the callbacks.
    pub fn limit(&self) -> Duration {
        match self.until {
            Some(until) => until.saturating_duration_since(Instant::now()),
            None => SETTLE_LIMIT,
        }
    }
}

impl Operation {
    /// Reads an operation; a missing or mistyped field is the caller's mistake, named.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::InvalidArgument {
            message: describe_serde_error(&e),
        })?;
        Self::from_value(value)
    }

    /// As [`Operation::from_json`], for a binding that built the JSON value itself.
    pub fn from_value(value: Value) -> Result<Self, Error> {
        let invalid = |message: String| Error::InvalidArgument { message };
        if let Some(fields) = value.as_object() {
            check_field_types(fields).map_err(invalid)?;
        }
        serde_json::from_value(value).map_err(|e| invalid(describe_serde_error(&e)))
    }

    /// Taken as the operation starts: how long the binding may then wait for the
    /// session-change callbacks it set off. A backlog of slow callbacks must not hold
    /// `close()` past its `close_timeout` (counted from the start), nor any call for long.
    pub fn settle(&self, client: &Client) -> Settle {
        Settle {
            until: matches!(self, Self::Close {})
                .then(|| Instant::now() + client.options().close_timeout),
        }
    }

    /// Runs the operation, and says whether it started, ended or replaced the session: the
    /// binding then lets the session-change callback run before the call returns, so callers
    /// see a consistent order (`connect()` returns after "connected" was reported).
    pub async fn run_and_settle(
        self,
        client: Client,
        on_progress: Option<ProgressHandler>,
    ) -> (Result<Value, Error>, bool) {
        let before = client.session();
        let outcome = self.run(client.clone(), on_progress).await;
        let after = client.session();
        let session_moved = match (&before, &after) {
            (Some(a), Some(b)) => !Arc::ptr_eq(a, b),
            (None, None) => false,
            _ => true,
        };
        (outcome, session_moved)
    }

    /// Runs the operation. The result is JSON: the server's result, the close outcome as a
    /// string for `close`, `null` for operations without a result. `on_progress` applies to
    /// `request` and `call_tool`.
    pub async fn run(
        self,
        client: Client,
        on_progress: Option<ProgressHandler>,
    ) -> Result<Value, Error> {
        let opts = |timeout: Option<f64>,
                    fresh: Option<bool>,
                    log_level: Option<String>,
                    meta: Option<Map<String, Value>>| {
            Ok::<_, Error>(RequestOptions {
                timeout: seconds("timeout", timeout)?,
                log_level,
                bypass_cache: fresh.unwrap_or(false),
                meta,
                ..RequestOptions::default()
            })
        };
        let with_progress = |mut opts: RequestOptions| {
            opts.on_progress = on_progress.clone();
            opts
        };
        Ok(match self {
            Self::Connect {} => client.connect().await?,
            Self::Request {
                method,
                params,
                timeout,
                log_level,
                meta,
            } => {
                let opts = with_progress(opts(timeout, None, log_level, meta)?);
                client
                    .request_with(&method, params.map(Value::Object), opts)
                    .await?
            }
            Self::Notify { method, params } => {
                client.notify(&method, params.map(Value::Object)).await?;
                Value::Null
            }
            Self::Ping {} => {
                client.ping().await?;
                Value::Null
            }
            Self::ListTools {
                timeout,
                fresh,
                log_level,
                meta,
            } => {
                client
                    .list_tools_with(opts(timeout, fresh, log_level, meta)?)
                    .await?
            }
            Self::CallTool {
                name,
                arguments,
                timeout,
                log_level,
                raise_on_error,
                meta,
            } => {
                let opts = with_progress(opts(timeout, None, log_level, meta)?);
                let result = client
                    .call_tool_with(&name, arguments.map(Value::Object), opts)
                    .await?;
                if raise_on_error.unwrap_or(false) {
                    Error::check_tool_result(&name, result)?
                } else {
                    result
                }
            }
            Self::ListResources {
                timeout,
                fresh,
                log_level,
                meta,
            } => {
                client
                    .list_resources_with(opts(timeout, fresh, log_level, meta)?)
                    .await?
            }
            Self::ReadResource {
                uri,
                timeout,
                fresh,
                log_level,
                meta,
            } => {
                client
                    .read_resource_with(&uri, opts(timeout, fresh, log_level, meta)?)
                    .await?
            }
            Self::ListPrompts {
                timeout,
                fresh,
                log_level,
                meta,
            } => {
                client
                    .list_prompts_with(opts(timeout, fresh, log_level, meta)?)
                    .await?
            }
            Self::GetPrompt {
                name,
                arguments,
                timeout,
                fresh,
                log_level,
                meta,
            } => {
                let opts = opts(timeout, fresh, log_level, meta)?;
                client
                    .get_prompt_with(&name, arguments.map(Value::Object), opts)
                    .await?
            }
            Self::SetLoggingLevel { level } => {
                client.set_logging_level(&level).await?;
                Value::Null
            }
            Self::ClearCache {} => {
                client.clear_cache();
                Value::Null
            }
            Self::Close {} => Value::from(client.close().await.as_str()),
            Self::Resume {
                session_id,
                protocol_version,
            } => {
                client.resume(&session_id, &protocol_version)?;
                Value::Null
            }
            Self::CompleteAuthorization { callback_url } => {
                client.complete_authorization(&callback_url).await?;
                Value::Null
            }
        })
    }
}

/// What each field of any operation must hold. serde reads tagged enums through a buffer and
/// then cannot say which field had the wrong type, so the types are checked here first.
const FIELD_KINDS: &[(&str, Kind)] = &[
    ("op", Kind::Text),
    ("method", Kind::Text),
    ("name", Kind::Text),
    ("uri", Kind::Text),
    ("session_id", Kind::Text),
    ("protocol_version", Kind::Text),
    ("level", Kind::Text),
    ("callback_url", Kind::Text),
    ("log_level", Kind::Text),
    ("params", Kind::Mapping),
    ("arguments", Kind::Mapping),
    ("meta", Kind::Mapping),
    ("timeout", Kind::Number),
    ("fresh", Kind::Flag),
    ("raise_on_error", Kind::Flag),
];

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Mapping,
    Number,
    Flag,
}

fn check_field_types(fields: &Map<String, Value>) -> Result<(), String> {
    let op = fields
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or("operation");
    for (name, kind) in FIELD_KINDS {
        let Some(value) = fields.get(*name).filter(|v| !v.is_null()) else {
            continue;
        };
        let (fits, wanted) = match kind {
            Kind::Text => (value.is_string(), "a string"),
            Kind::Mapping => (value.is_object(), "a mapping (dict / Hash)"),
            Kind::Number => (value.is_number(), "a number of seconds"),
            Kind::Flag => (value.is_boolean(), "true or false"),
        };
        if !fits {
            return Err(format!(
                "{op}: {name} must be {wanted}, not {}",
                kind_of(value)
            ));
        }
    }
    Ok(())
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "None / nil",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list / Array",
        Value::Object(_) => "a mapping",
    }
}

/// serde's own words, without the position in a JSON text the caller never wrote.
pub(crate) fn describe_serde_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.split(" at line ").next().unwrap_or(&text).to_owned()
}

/// Seconds from the caller as a duration; negative, NaN or infinite values are refused.
pub fn seconds(name: &str, secs: Option<f64>) -> Result<Option<Duration>, Error> {
    secs.map(|s| {
        Duration::try_from_secs_f64(s).map_err(|_| Error::InvalidArgument {
            message: format!("{name} must be a non-negative number of seconds, not {s}"),
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        match Operation::from_json(text) {
            Err(Error::InvalidArgument { message }) => message,
            other => panic!("{text} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn operations_are_read_by_name() {
        match Operation::from_json(
            r#"{"op": "call_tool", "name": "echo", "arguments": {"a": 1}, "timeout": 2.5}"#,
        ) {
            Ok(Operation::CallTool {
                name,
                arguments,
                timeout,
                log_level: None,
                raise_on_error: None,
                meta: None,
            }) => {
                assert_eq!(name, "echo");
                assert_eq!(arguments.unwrap()["a"], 1);
                assert_eq!(timeout, Some(2.5));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Operation::from_json(
                r#"{"op": "resume", "session_id": "a", "protocol_version": "2025-06-18"}"#
            ),
            Ok(Operation::Resume { .. })
        ));
        assert!(matches!(
            Operation::from_json(r#"{"op": "ping"}"#),
            Ok(Operation::Ping {})
        ));
        match Operation::from_json(
            r#"{"op": "read_resource", "uri": "mem://a", "timeout": 1, "fresh": true, "log_level": "debug"}"#,
        ) {
            Ok(Operation::ReadResource {
                uri,
                timeout: Some(t),
                fresh: Some(true),
                log_level: Some(level),
                meta: None,
            }) => assert_eq!((uri.as_str(), t, level.as_str()), ("mem://a", 1.0, "debug")),
            other => panic!("{other:?}"),
        }
        // Left out or null: the core's defaults (nil and None mean "not given").
        assert!(matches!(
            Operation::from_json(r#"{"op": "list_tools", "fresh": null}"#),
            Ok(Operation::ListTools {
                timeout: None,
                fresh: None,
                log_level: None,
                meta: None
            })
        ));
        assert!(matches!(
            Operation::from_json(r#"{"op": "call_tool", "name": "x", "arguments": null}"#),
            Ok(Operation::CallTool {
                arguments: None,
                ..
            })
        ));
    }

    #[test]
    fn mistakes_are_named() {
        assert!(refused(r#"{"op": "call_tool"}"#).contains("name"));
        assert!(refused(r#"{"op": "explode"}"#).contains("explode"));
        assert!(refused(r#"{"op": "ping", "extra": 1}"#).contains("extra"));
        assert_eq!(
            refused(r#"{"op": "call_tool", "name": "x", "arguments": "a string"}"#),
            "call_tool: arguments must be a mapping (dict / Hash), not a string"
        );
        assert_eq!(
            refused(r#"{"op": "read_resource", "uri": 3}"#),
            "read_resource: uri must be a string, not a number"
        );
        assert!(
            refused(r#"{"op": "request", "method": "m", "timeout": "soon"}"#).contains("timeout")
        );
        assert!(refused(r#"{"name": "x"}"#).contains("op"));
        assert_eq!(
            refused(r#"{"op": "list_tools", "fresh": "yes"}"#),
            "list_tools: fresh must be true or false, not a string"
        );
        assert_eq!(
            refused(r#"{"op": "call_tool", "name": "x", "raise_on_error": 1}"#),
            "call_tool: raise_on_error must be true or false, not a number"
        );
        assert!(
            refused(r#"{"op": "request", "method": "m", "raise_on_error": true}"#)
                .contains("raise_on_error")
        );
        assert_eq!(
            refused(r#"{"op": "call_tool", "name": "x", "log_level": 3}"#),
            "call_tool: log_level must be a string, not a number"
        );
        // A result that cannot be reused is never cached, so `fresh` would mean nothing here.
        assert!(refused(r#"{"op": "call_tool", "name": "x", "fresh": true}"#).contains("fresh"));
        assert!(refused(r#"{"op": "resume", "session_id": "a"}"#).contains("protocol_version"));
        assert!(seconds("timeout", Some(-1.0)).is_err());
        assert!(seconds("timeout", Some(f64::NAN)).is_err());
        assert_eq!(
            refused(r#"{"op": "call_tool", "name": "x", "meta": "00-abc"}"#),
            "call_tool: meta must be a mapping (dict / Hash), not a string"
        );
        // Only requests carry `_meta`; a notification or a ping has no options to put it in.
        assert!(refused(r#"{"op": "ping", "meta": {}}"#).contains("meta"));
    }

    const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    /// The `_meta` of every POST of `rpc_method` the server received.
    fn metas_received(server: &mcpstream_testkit::TestServer, rpc_method: &str) -> Vec<Value> {
        server
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.body["method"] == rpc_method)
            .map(|r| r.body["params"]["_meta"].clone())
            .collect()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn meta_reaches_the_server_in_both_eras() {
        use mcpstream_testkit::{Config, ServerEra, TestServer};
        for era in [ServerEra::LegacyOnly, ServerEra::ModernOnly] {
            let server = TestServer::start(Config {
                era,
                ..Config::default()
            });
            let client = Client::new(&server.url()).unwrap();
            client.connect().await.unwrap();
            let traced = |op: &str| {
                let text = format!(
                    r#"{{{op}, "meta": {{"traceparent": "{TRACEPARENT}", "tracestate": "a=1"}}}}"#
                );
                Operation::from_json(&text).unwrap()
            };
            let ops = [
                (
                    r#""op": "call_tool", "name": "echo", "arguments": {"text": "hi"}"#,
                    "tools/call",
                ),
                (r#""op": "list_tools""#, "tools/list"),
                (r#""op": "request", "method": "tools/list""#, "tools/list"),
            ];
            for (op, rpc_method) in ops {
                traced(op).run(client.clone(), None).await.unwrap();
                let metas = metas_received(&server, rpc_method);
                let meta = metas.last().unwrap();
                assert_eq!(meta["traceparent"], TRACEPARENT, "{era:?} {op}: {meta}");
                assert_eq!(meta["tracestate"], "a=1", "{era:?} {op}: {meta}");
            }
            // Without `meta`, nothing of it is sent.
            Operation::from_json(
                r#"{"op": "call_tool", "name": "echo", "arguments": {"text": "x"}}"#,
            )
            .unwrap()
            .run(client.clone(), None)
            .await
            .unwrap();
            let metas = metas_received(&server, "tools/call");
            assert!(
                metas.last().unwrap().get("traceparent").is_none(),
                "{era:?}: {metas:?}"
            );
            client.close().await;
            server.stop();
        }
    }
}
